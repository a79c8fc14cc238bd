package stage

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

func TestParseIntegrationURI(t *testing.T) {
	t.Parallel()
	const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	rest := func(arn string) string {
		return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + arn + "/invocations"
	}
	type ref struct{ Partition, Region, Account, Name, Qualifier, ARN string }
	tests := []struct {
		name string
		uri  string
		want ref
		ok   bool
	}{
		{"rest, stage variable", rest(fnARN + ":${stageVariables.lambdaAlias}"), ref{"aws", "us-east-1", "123456789012", "orders", "${stageVariables.lambdaAlias}", fnARN + ":${stageVariables.lambdaAlias}"}, true},
		{"rest, unqualified", rest(fnARN), ref{"aws", "us-east-1", "123456789012", "orders", "", fnARN}, true},
		{"rest, version", rest(fnARN + ":7"), ref{"aws", "us-east-1", "123456789012", "orders", "7", fnARN + ":7"}, true},
		{"http, bare arn", fnARN + ":prod", ref{"aws", "us-east-1", "123456789012", "orders", "prod", fnARN + ":prod"}, true},
		{"http, apigateway form", rest(fnARN + ":$LATEST"), ref{"aws", "us-east-1", "123456789012", "orders", "$LATEST", fnARN + ":$LATEST"}, true},
		{"china partition", "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders", ref{"aws-cn", "cn-north-1", "123456789012", "orders", "", "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders"}, true},
		{"name from a variable", rest("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"), ref{"aws", "us-east-1", "123456789012", "${stageVariables.fn}", "", "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"}, true},
		{"http proxy", "https://example.com/{proxy}", ref{}, false},
		{"other aws service", "arn:aws:apigateway:us-east-1:sqs:path/123456789012/queue", ref{}, false},
		{"no invocations suffix", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnARN, ref{}, false},
		{"empty qualifier", fnARN + ":", ref{}, false},
		{"not a function", "arn:aws:lambda:us-east-1:123456789012:layer:x:1", ref{}, false},
		{"too many parts", fnARN + ":prod:x", ref{}, false},
		{"empty", "", ref{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := parseIntegrationURI(tt.uri)
			if ok != tt.ok {
				t.Fatalf("parseIntegrationURI(%q) ok = %v, want %v", tt.uri, ok, tt.ok)
			}
			if !ok {
				return
			}
			got := ref{r.partition, r.region, r.account, r.name, r.qualifier, tt.uri[r.start:r.end]}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseIntegrationURI(%q) (-want +got):\n%s", tt.uri, diff)
			}
		})
	}
}

func FuzzParseIntegrationURI(f *testing.F) {
	for _, s := range []string{
		"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders:${stageVariables.lambdaAlias}/invocations",
		"arn:aws:lambda:us-east-1:123456789012:function:orders",
		"arn:aws:apigateway:r:lambda:path//functions//invocations/functions/",
		"https://example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		r, ok := parseIntegrationURI(uri)
		if !ok {
			return
		}
		if r.start < 0 || r.end > len(uri) || r.start > r.end {
			t.Fatalf("span %d:%d out of %q", r.start, r.end, uri)
		}
		if r.name == "" || !strings.HasPrefix(uri[r.start:r.end], "arn:") {
			t.Errorf("parseIntegrationURI(%q) = %+v, want a named function ARN", uri, r)
		}
		fn := function{partition: r.partition, region: r.region, account: r.account, name: r.name}
		got, err := parseFunctionARN(fn.arn())
		if err != nil || got != fn {
			t.Errorf("function ARN %q does not parse back: %+v, %v", fn.arn(), got, err)
		}
	})
}

func TestParseFunctionARN(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"orders", "arn:aws:lambda:us-east-1:123456789012:function:", "arn:aws:s3:::bucket", "arn:aws:lambda::123456789012:function:orders"} {
		if _, err := parseFunctionARN(s); err == nil {
			t.Errorf("parseFunctionARN(%q) = nil error, want one", s)
		}
	}
	want := function{"aws", "us-east-1", "123456789012", "orders"}
	for _, s := range []string{"arn:aws:lambda:us-east-1:123456789012:function:orders", "arn:aws:lambda:us-east-1:123456789012:function:orders:prod"} {
		got, err := parseFunctionARN(s)
		if err != nil || got != want {
			t.Errorf("parseFunctionARN(%q) = %+v, %v, want %+v", s, got, err, want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	fn := function{"aws", "us-east-1", "123456789012", "orders"}
	const (
		restURIVar   = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders:${stageVariables.lambdaAlias}/invocations"
		restURIFixed = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders:dev/invocations"
		restURINone  = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations"
		httpURIVar   = "arn:aws:lambda:us-east-1:123456789012:function:orders:${stageVariables.lambdaAlias}"
		httpURIFixed = "arn:aws:lambda:us-east-1:123456789012:function:orders:7"
	)
	rest := func(value string, set bool, bindings ...Binding) Finding {
		f := Finding{Kind: KindREST, APIID: "abc123", Stage: "prod", Variable: "lambdaAlias", VariableValue: value, VariableSet: set, Bindings: bindings, fn: fn}
		if set {
			f.StageVariables = map[string]string{"lambdaAlias": value}
		}
		return f
	}
	http := func(value string, set, autoDeploy bool, bindings ...Binding) Finding {
		f := Finding{Kind: KindHTTP, APIID: "xyz789", Stage: "$default", Variable: "lambdaAlias", VariableValue: value, VariableSet: set, Bindings: bindings,
			AutoDeploy: autoDeploy, StageVariables: map[string]string{"region": "eu"}, fn: fn}
		if set {
			f.StageVariables["lambdaAlias"] = value
		}
		return f
	}
	restVar := Binding{URI: restURIVar, Qualifier: "${stageVariables.lambdaAlias}", Where: "ANY /", ResourceID: "r00t", HTTPMethod: "ANY"}
	restFixed := Binding{URI: restURIFixed, Qualifier: "dev", Where: "GET /admin", ResourceID: "adm1n", HTTPMethod: "GET"}
	restNone := Binding{URI: restURINone, Qualifier: "", Where: "POST /jobs", ResourceID: "j0bs", HTTPMethod: "POST"}
	restProd := Binding{URI: restURIFixed, Qualifier: "prod", Where: "GET /health", ResourceID: "h", HTTPMethod: "GET"}
	httpVar := Binding{URI: httpURIVar, Qualifier: "${stageVariables.lambdaAlias}", Where: "integration i1", IntegrationID: "i1"}
	httpFixed := Binding{URI: httpURIFixed, Qualifier: "7", Where: "integration i2", IntegrationID: "i2"}

	varOK := func(what string) outcome.Check {
		return outcome.Check{Name: "stage variable", OK: true, Detail: what + " sets lambdaAlias=prod"}
	}
	restVarFix := "aws apigateway update-stage --rest-api-id abc123 --stage-name prod --patch-operations op=replace,path=/variables/lambdaAlias,value=prod"
	tests := []struct {
		name    string
		finding Finding
		want    []outcome.Check
	}{
		{
			name:    "rest ok",
			finding: rest("prod", true, restVar),
			want: []outcome.Check{
				varOK("stage prod of REST API abc123"),
				{Name: "integration", OK: true, Detail: "ANY / calls orders:${stageVariables.lambdaAlias}"},
			},
		},
		{
			name:    "rest variable mismatch",
			finding: rest("dev", true, restVar),
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 sets lambdaAlias=dev, not prod", Fix: restVarFix},
				{Name: "integration", OK: true, Detail: "ANY / calls orders:${stageVariables.lambdaAlias}"},
			},
		},
		{
			name:    "rest variable missing, fixed and unqualified integrations",
			finding: rest("", false, restVar, restFixed, restNone, restProd),
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 does not set stage variable lambdaAlias", Fix: restVarFix},
				{
					Name: "integration",
					Detail: "GET /admin calls orders:dev (a fixed qualifier); POST /jobs calls orders with no qualifier ($LATEST), " +
						"not orders:${stageVariables.lambdaAlias}",
					Fix: `aws apigateway update-integration --rest-api-id abc123 --resource-id adm1n --http-method GET --patch-operations '[{"op":"replace","path":"/uri","value":"` + restURIVar + `"}]' && ` +
						`aws apigateway update-integration --rest-api-id abc123 --resource-id j0bs --http-method POST --patch-operations '[{"op":"replace","path":"/uri","value":"` + restURIVar + `"}]' && ` +
						`aws apigateway create-deployment --rest-api-id abc123 --stage-name prod`,
				},
			},
		},
		{
			name:    "rest fixed on the alias",
			finding: rest("prod", true, restProd),
			want: []outcome.Check{
				varOK("stage prod of REST API abc123"),
				{Name: "integration", OK: true, Detail: "GET /health calls orders:prod (a fixed qualifier; the stage variable is not used)"},
			},
		},
		{
			name:    "rest no integration",
			finding: Finding{Kind: KindREST, APIID: "abc123", Stage: "prod", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true, Others: []string{"https://example.com"}, fn: fn},
			want: []outcome.Check{
				varOK("stage prod of REST API abc123"),
				{
					Name:   "integration",
					Detail: "no integration of REST API abc123 calls function orders (found integrations https://example.com)",
					Fix:    "aws apigateway put-integration --rest-api-id abc123 --resource-id RESOURCE_ID --http-method ANY --type AWS_PROXY --integration-http-method POST --uri '" + restURIVar + "' && aws apigateway create-deployment --rest-api-id abc123 --stage-name prod",
				},
			},
		},
		{
			name:    "http ok",
			finding: http("prod", true, true, httpVar),
			want: []outcome.Check{
				varOK("stage $default of HTTP API xyz789"),
				{Name: "integration", OK: true, Detail: "integration i1 calls orders:${stageVariables.lambdaAlias}"},
			},
		},
		{
			name:    "http variable missing, fixed integration, no auto deploy",
			finding: http("", false, false, httpFixed),
			want: []outcome.Check{
				{
					Name:   "stage variable",
					Detail: "stage $default of HTTP API xyz789 does not set stage variable lambdaAlias",
					Fix:    "aws apigatewayv2 update-stage --api-id xyz789 --stage-name '$default' --stage-variables lambdaAlias=prod,region=eu",
				},
				{
					Name:   "integration",
					Detail: "integration i2 calls orders:7 (a fixed qualifier), not orders:${stageVariables.lambdaAlias}",
					Fix:    "aws apigatewayv2 update-integration --api-id xyz789 --integration-id i2 --integration-uri '" + httpURIVar + "' && aws apigatewayv2 create-deployment --api-id xyz789 --stage-name '$default'",
				},
			},
		},
		{
			name:    "http no integration",
			finding: Finding{Kind: KindHTTP, APIID: "xyz789", Stage: "live", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true, fn: fn},
			want: []outcome.Check{
				varOK("stage live of HTTP API xyz789"),
				{
					Name:   "integration",
					Detail: "no integration of HTTP API xyz789 calls function orders (found no integrations)",
					Fix:    "aws apigatewayv2 create-integration --api-id xyz789 --integration-type AWS_PROXY --payload-format-version 2.0 --integration-uri '" + httpURIVar + "'",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.finding.Check("prod")); diff != "" {
				t.Errorf("Check(prod) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"prod":                "prod",
		"$default":            "'$default'",
		"it's":                `'it'\''s'`,
		"":                    "''",
		"a=b,c=d":             "a=b,c=d",
		"${stageVariables.x}": "'${stageVariables.x}'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
