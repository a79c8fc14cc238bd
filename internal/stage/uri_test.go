package stage

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
)

const (
	ordersARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	varRef    = "${stageVariables.lambdaAlias}"
)

// restURI is the REST integration URI that calls functionARN.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
func restURI(functionARN string) string {
	return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + functionARN + "/invocations"
}

func TestParseFunctionURI(t *testing.T) {
	t.Parallel()
	type ref struct{ Function, Qualifier, Span string }
	tests := []struct {
		name string
		uri  string
		want ref
		ok   bool
	}{
		{"rest, stage variable", restURI(ordersARN + ":" + varRef), ref{ordersARN, varRef, ordersARN + ":" + varRef}, true},
		{"rest, unqualified", restURI(ordersARN), ref{ordersARN, "", ordersARN}, true},
		{"rest, version", restURI(ordersARN + ":7"), ref{ordersARN, "7", ordersARN + ":7"}, true},
		{"http, bare arn", ordersARN + ":prod", ref{ordersARN, "prod", ordersARN + ":prod"}, true},
		{"http, apigateway form", restURI(ordersARN + ":$LATEST"), ref{ordersARN, "$LATEST", ordersARN + ":$LATEST"}, true},
		{"china partition", "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders", ref{"arn:aws-cn:lambda:cn-north-1:123456789012:function:orders", "", "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders"}, true},
		{"eu sovereign cloud", "arn:aws-eusc:apigateway:eusc-de-east-1:lambda:path/2015-03-31/functions/arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders:prod/invocations",
			ref{"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders", "prod", "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders:prod"}, true},
		{"name from a variable", restURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"),
			ref{"arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}", "", "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"}, true},
		{"http proxy", "https://example.com/{proxy}", ref{}, false},
		{"other aws service", "arn:aws:apigateway:us-east-1:sqs:path/123456789012/queue", ref{}, false},
		{"no invocations suffix", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + ordersARN, ref{}, false},
		{"text after invocations", restURI(ordersARN) + "/x", ref{}, false},
		{"empty qualifier", ordersARN + ":", ref{}, false},
		{"not a function", "arn:aws:lambda:us-east-1:123456789012:layer:x:1", ref{}, false},
		{"too many parts", ordersARN + ":prod:x", ref{}, false},
		{"empty", "", ref{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := parseFunctionURI(tt.uri)
			if ok != tt.ok {
				t.Fatalf("parseFunctionURI(%q) ok = %v, want %v", tt.uri, ok, tt.ok)
			}
			if !ok {
				return
			}
			got := ref{r.fn.String(), r.qualifier, tt.uri[r.start:r.end]}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseFunctionURI(%q) (-want +got):\n%s", tt.uri, diff)
			}
		})
	}
}

// TestResolve puts stage variables into URIs in the shapes the API Gateway
// docs allow: the qualifier from a variable, the function name from a
// variable with the qualifier in its value, and variables a stage does not
// set.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/amazon-api-gateway-using-stage-variables.html
func TestResolve(t *testing.T) {
	t.Parallel()
	type res struct {
		Resolved     string
		Qualifier    string
		QualifierVar string
		Whole        bool
		QSpan        [2]int
		NameVar      string
		Missing      []string
	}
	tests := []struct {
		name string
		uri  string
		vars map[string]string
		want res
	}{
		{"qualifier from the variable", restURI(ordersARN + ":" + varRef), map[string]string{"lambdaAlias": "prod"},
			res{ordersARN + ":prod", "prod", "lambdaAlias", true, [2]int{0, 4}, "", nil}},
		{"name and qualifier from one variable", restURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"), map[string]string{"fn": "orders:prod"},
			res{ordersARN + ":prod", "prod", "fn", true, [2]int{7, 11}, "fn", nil}},
		{"name and qualifier from two variables", "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}:${stageVariables.alias}", map[string]string{"fn": "orders", "alias": "live"},
			res{ordersARN + ":live", "live", "alias", true, [2]int{0, 4}, "fn", nil}},
		{"account and region from variables", restURI("arn:aws:lambda:${stageVariables.region}:${stageVariables.account}:function:orders:prod"),
			map[string]string{"region": "us-east-1", "account": "123456789012"},
			res{ordersARN + ":prod", "prod", "", false, [2]int{}, "", nil}},
		{"qualifier partly from a variable", ordersARN + ":${stageVariables.env}-live", map[string]string{"env": "eu"},
			res{ordersARN + ":eu-live", "eu-live", "env", false, [2]int{}, "", nil}},
		{"qualifier variable not set", ordersARN + ":" + varRef, nil,
			res{ordersARN + ":" + varRef, varRef, "lambdaAlias", false, [2]int{}, "", []string{"lambdaAlias"}}},
		{"literal qualifier", ordersARN + ":prod", map[string]string{"lambdaAlias": "dev"},
			res{ordersARN + ":prod", "prod", "", false, [2]int{}, "", nil}},
		{"not a reference", ordersARN + ":${stageVariables.}", map[string]string{"": "x"},
			res{ordersARN + ":${stageVariables.}", "${stageVariables.}", "", false, [2]int{}, "", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := resolve(tt.uri, tt.vars)
			if !r.ok {
				t.Fatalf("resolve(%q) calls no function", tt.uri)
			}
			got := res{r.ref.fn.Qualified(r.ref.qualifier), r.ref.qualifier, r.qualifierVar, r.whole, r.qspan, r.nameVar, r.sub.missing}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("resolve(%q) (-want +got):\n%s", tt.uri, diff)
			}
		})
	}
}

// FuzzResolve checks substitution and parsing on any URI and variables: the
// origins follow the text byte for byte, written bytes are the URI's own,
// variable bytes are the value's, and a function found parses back.
func FuzzResolve(f *testing.F) {
	for _, s := range []struct{ uri, name, value string }{
		{restURI(ordersARN + ":" + varRef), "lambdaAlias", "prod"},
		{restURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"), "fn", "orders:prod"},
		{"arn:aws:lambda:us-east-1:123456789012:function:orders:${stageVariables.a}${stageVariables.a}", "a", "x"},
		{"arn:aws:apigateway:r:lambda:path//functions//invocations/functions/", "x", ""},
		{"${stageVariables.${stageVariables.x}}", "x", "${stageVariables.x}"},
		{"https://example.com", "", ""},
	} {
		f.Add(s.uri, s.name, s.value)
	}
	f.Fuzz(func(t *testing.T, uri, name, value string) {
		vars := map[string]string{name: value}
		r := resolve(uri, vars)
		sub := r.sub
		if len(sub.origins) != len(sub.text) {
			t.Fatalf("%d origins for %d bytes", len(sub.origins), len(sub.text))
		}
		for i, o := range sub.origins {
			switch {
			case o.variable == "":
				if o.offset < 0 || o.offset >= len(uri) || uri[o.offset] != sub.text[i] {
					t.Fatalf("byte %d (%q) does not come from the URI at %d", i, sub.text[i], o.offset)
				}
			case !o.missing:
				v, ok := vars[o.variable]
				if !ok || o.offset < 0 || o.offset >= len(v) || v[o.offset] != sub.text[i] {
					t.Fatalf("byte %d (%q) does not come from variable %q at %d", i, sub.text[i], o.variable, o.offset)
				}
			}
		}
		if !strings.Contains(uri, variablePrefix) && sub.text != uri {
			t.Fatalf("a URI without references changed: %q → %q", uri, sub.text)
		}
		if !r.ok {
			return
		}
		if r.ref.start < 0 || r.ref.end > len(sub.text) || r.ref.start > r.ref.end || r.ref.qstart > r.ref.end {
			t.Fatalf("span %d:%d (qualifier at %d) out of %q", r.ref.start, r.ref.end, r.ref.qstart, sub.text)
		}
		fn, q, err := lambdaarn.Parse(sub.text[r.ref.start:r.ref.end])
		if err != nil || fn != r.ref.fn || q != r.ref.qualifier {
			t.Fatalf("function %q does not parse back: %+v %q %v", sub.text[r.ref.start:r.ref.end], fn, q, err)
		}
		if r.whole {
			v := vars[r.qualifierVar]
			if r.qspan[0] < 0 || r.qspan[1] > len(v) || v[r.qspan[0]:r.qspan[1]] != r.ref.qualifier {
				t.Fatalf("qualifier %q is not at %v of %s=%q", r.ref.qualifier, r.qspan, r.qualifierVar, v)
			}
		}
	})
}
