package runner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       map[string]string
	}{
		{"delimited and plain", "status<<ghadelimiter_1\npromoted\nghadelimiter_1\nversion=7\n",
			map[string]string{"status": "promoted", "version": "7"}},
		{"a value of several lines", "functions<<EOF\n[1,\n2]\nEOF\nstatus=canary\n",
			map[string]string{"functions": "[1,\n2]", "status": "canary"}},
		{"a value with = in it", "next=aws lambda update-alias --routing-config AdditionalVersionWeights={}\n",
			map[string]string{"next": "aws lambda update-alias --routing-config AdditionalVersionWeights={}"}},
		{"empty", "", map[string]string{}},
		{"a line longer than bufio.Scanner's 64 KiB", "functions<<EOF\n" + strings.Repeat("x", 100_000) + "\nEOF\n",
			map[string]string{"functions": strings.Repeat("x", 100_000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, ParseOutputs(tc.file)); diff != "" {
				t.Errorf("ParseOutputs (-want +got):\n%s", diff)
			}
		})
	}
}
