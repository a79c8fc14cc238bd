package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// actionInput is an input as action.yml declares it.
type actionInput struct {
	Name, Default string
	Required      bool
}

// readActionInputs reads the inputs block of action.yml: two-space keys
// under "inputs:", with four-space required/default lines.
func readActionInputs(t *testing.T) []actionInput {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out    []actionInput
		inside bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "inputs:":
			inside = true
		case inside && line != "" && !strings.HasPrefix(line, " "):
			inside = false
		case inside && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			out = append(out, actionInput{Name: strings.TrimSuffix(strings.TrimSpace(line), ":")})
		case inside && strings.HasPrefix(line, "    default: "):
			v := strings.TrimPrefix(line, "    default: ")
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			out[len(out)-1].Default = v
		case inside && line == "    required: true":
			out[len(out)-1].Required = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestActionYMLMatchesInputs(t *testing.T) {
	t.Parallel()
	var want []actionInput
	for _, in := range Inputs() {
		d := in.Default
		if in.ActionDefault != "" {
			d = in.ActionDefault
		}
		want = append(want, actionInput{Name: in.Name, Default: d, Required: in.Required})
	}
	if diff := cmp.Diff(want, readActionInputs(t)); diff != "" {
		t.Errorf("action.yml inputs differ from the input table (-table +action.yml):\n%s", diff)
	}
}
