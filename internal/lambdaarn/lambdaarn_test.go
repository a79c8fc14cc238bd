package lambdaarn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		want      Function
		qualifier string
		bad       bool
	}{
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:orders", want: Function{"aws", "eu-west-1", "123456789012", "orders"}},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:orders:prod", want: Function{"aws", "eu-west-1", "123456789012", "orders"}, qualifier: "prod"},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:orders:$LATEST", want: Function{"aws", "eu-west-1", "123456789012", "orders"}, qualifier: "$LATEST"},
		{in: "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:f:7", want: Function{"aws-eusc", "eusc-de-east-1", "123456789012", "f"}, qualifier: "7"},
		{in: "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f", want: Function{"aws-iso-b", "us-isob-east-1", "123456789012", "f"}},
		{in: "orders", bad: true},
		{in: "123456789012:function:orders", bad: true},
		{in: "arn:aws:lambda:eu-west-1:123456789012:layer:orders", bad: true},
		{in: "arn:aws:s3:eu-west-1:123456789012:function:orders", bad: true},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:", bad: true},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:orders:", bad: true},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:orders:a:b", bad: true},
		{in: "arn:aws:lambda::123456789012:function:orders", bad: true},
	}
	for _, tt := range tests {
		fn, q, err := Parse(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("Parse(%q) error = %v, want bad %v", tt.in, err, tt.bad)
			continue
		}
		if diff := cmp.Diff(tt.want, fn); diff != "" || q != tt.qualifier {
			t.Errorf("Parse(%q) = %+v, %q; want %+v, %q", tt.in, fn, q, tt.want, tt.qualifier)
		}
		if !tt.bad {
			if got := fn.Qualified(q); got != tt.in {
				t.Errorf("Qualified round trip = %q, want %q", got, tt.in)
			}
		}
	}
}

func TestNameOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"orders":                       "orders",
		"123456789012:function:orders": "orders",
		"arn:aws:lambda:eu-west-1:123456789012:function:orders":   "orders",
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:o:p":  "o",
		"arn:aws:lambda:eu-west-1:123456789012:function:orders:7": "orders",
	} {
		if got := NameOf(in); got != want {
			t.Errorf("NameOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// The DNS suffixes come from the SDK's partition data, not a list of ours.
func TestDomains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region, partition, dns, console string
	}{
		{"eu-west-1", "aws", "amazonaws.com", "https://eu-west-1.console.aws.amazon.com"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn", "https://cn-north-1.console.amazonaws.cn"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com", "https://us-gov-west-1.console.amazonaws-us-gov.com"},
		{"eusc-de-east-1", "aws-eusc", "amazonaws.eu", "https://eusc-de-east-1.console.amazonaws-eusc.eu"},
		{"us-iso-east-1", "aws-iso", "c2s.ic.gov", ""},
		{"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov", ""},
		{"eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk", ""},
	}
	for _, tt := range tests {
		fn := Function{Partition: tt.partition, Region: tt.region, Account: "123456789012", Name: "f"}
		if got := fn.DNSSuffix(); got != tt.dns {
			t.Errorf("%s: DNSSuffix = %q, want %q", tt.region, got, tt.dns)
		}
		if got := fn.Console(); got != tt.console {
			t.Errorf("%s: Console = %q, want %q", tt.region, got, tt.console)
		}
	}
	fn := Function{Partition: "aws-eusc", Region: "eusc-de-east-1", Account: "123456789012", Name: "f"}
	if got, want := fn.InvokeURL("a1b2", "prod", false), "https://a1b2.execute-api.eusc-de-east-1.amazonaws.eu/prod"; got != want {
		t.Errorf("InvokeURL = %q, want %q", got, want)
	}
	if got, want := fn.SourceARN("a1b2", "prod/GET/orders"), "arn:aws-eusc:execute-api:eusc-de-east-1:123456789012:a1b2/prod/GET/orders"; got != want {
		t.Errorf("SourceARN = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"arn:aws:lambda:eu-west-1:123456789012:function:orders:prod", "arn:::::", "arn:aws:lambda:r:1:function:a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, q, err := Parse(s)
		if err != nil {
			return
		}
		if got := fn.Qualified(q); got != s {
			t.Fatalf("Parse(%q) then Qualified = %q", s, got)
		}
	})
}
