package callers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

var fn = lambdaarn.Function{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "orders-api"}

// row is what a test wants of a path: everything but its fixes.
type row struct {
	Kind, Source, Invokes string
	Covered, Bypass       bool
	Detail                string
}

func rows(paths []outcome.Path) []row {
	var out []row
	for _, p := range paths {
		out = append(out, row{p.Kind, p.Source, p.Invokes, p.Covered, p.Bypass, p.Detail})
	}
	return out
}

func policy(stmts ...string) string {
	return `{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func TestJudge(t *testing.T) {
	t.Parallel()
	arn := fn.String()
	tests := []struct {
		name string
		in   Input
		want []row
	}{
		{
			name: "mappings: each qualifier, another function, a disabled one",
			in: Input{Mappings: Mappings{List: []Mapping{
				{UUID: "u1", Source: "arn:aws:sqs:eu-west-1:123456789012:jobs", FunctionARN: arn, State: "Enabled"},
				{UUID: "u2", Source: "arn:aws:sqs:eu-west-1:123456789012:jobs-prod", FunctionARN: arn + ":prod", State: "Enabled"},
				{UUID: "u3", Source: "arn:aws:kinesis:eu-west-1:123456789012:stream/audit", FunctionARN: arn + ":dev", State: "Enabled"},
				{UUID: "u4", Source: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000", FunctionARN: arn + ":3", State: "Creating"},
				{UUID: "u5", Source: "arn:aws:sqs:eu-west-1:123456789012:old", FunctionARN: arn + ":$LATEST", State: "Disabled"},
				{UUID: "u6", Source: "arn:aws:sqs:eu-west-1:123456789012:other", FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:orders-api-v2", State: "Enabled"},
				{UUID: "u7", Source: "arn:aws:sqs:eu-west-1:123456789012:other", FunctionARN: "arn:aws:lambda:eu-west-1:999999999999:function:orders-api", State: "Enabled"},
			}}},
			want: []row{
				{outcome.PathMapping, "SQS queue jobs (mapping u1)", "$LATEST (unqualified ARN)", false, true, "state Enabled"},
				{outcome.PathMapping, "SQS queue jobs-prod (mapping u2)", "orders-api:prod (the alias promoted)", true, false, "state Enabled"},
				{outcome.PathMapping, "Kinesis stream audit (mapping u3)", "orders-api:dev (another alias)", false, false, "state Enabled"},
				{outcome.PathMapping, "DynamoDB stream of table orders (mapping u4)", "version 3", false, true, "state Creating"},
				{outcome.PathMapping, "SQS queue old (mapping u5)", "$LATEST", false, false, "state Disabled: it invokes nothing unless enabled"},
			},
		},
		{
			name: "URLs: of $LATEST and of the alias, the same one read twice",
			in: Input{Read: Function{URLs: []URL{
				{URL: "https://a.lambda-url.eu-west-1.on.aws/", FunctionARN: arn, AuthType: "NONE"},
				{URL: "https://b.lambda-url.eu-west-1.on.aws/", FunctionARN: arn + ":prod", AuthType: "AWS_IAM"},
			}}},
			want: []row{
				{outcome.PathURL, "https://a.lambda-url.eu-west-1.on.aws/", "$LATEST (unqualified ARN)", false, true, "auth type NONE"},
				{outcome.PathURL, "https://b.lambda-url.eu-west-1.on.aws/", "orders-api:prod (the alias promoted)", true, false, "auth type AWS_IAM"},
			},
		},
		{
			name: "grants: S3, SNS, EventBridge, another account, anyone, on the alias; not a deny or a function URL's grants",
			in: Input{Read: Function{Policy: policy(
				`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}`,
				`{"Sid":"sns","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:sns:eu-west-1:123456789012:orders"}}}`,
				`{"Sid":"rule","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`:7","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:eu-west-1:123456789012:rule/custom-bus/nightly"}}}`,
				`{"Sid":"partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`"}`,
				`{"Sid":"open","Effect":"Allow","Principal":"*","Action":"lambda:*","Resource":"`+arn+`","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`,
				`{"Sid":"apigw","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`:prod","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*/*"}}}`,
				`{"Sid":"deny","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"`+arn+`"}`,
				`{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"`+arn+`","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`,
				`{"Sid":"FunctionURLInvokeAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"`+arn+`","Condition":{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}`,
			)}},
			want: []row{
				{outcome.PathGrant, "S3 bucket uploads (statement s3)", "$LATEST (unqualified ARN)", false, true, "source account 123456789012; a grant says who may call; where s3.amazonaws.com sends its calls is set in that service, which is not read here"},
				{outcome.PathGrant, "SNS topic orders (statement sns)", "$LATEST (unqualified ARN)", false, true, "a grant says who may call; where sns.amazonaws.com sends its calls is set in that service, which is not read here"},
				{outcome.PathGrant, "EventBridge rule nightly on bus custom-bus (statement rule)", "version 7", false, true, "a grant says who may call; where events.amazonaws.com sends its calls is set in that service, which is not read here"},
				{outcome.PathGrant, "account 111122223333 (statement partner)", "$LATEST (unqualified ARN)", false, true, ""},
				{outcome.PathGrant, `anyone (principal "*") in organization o-abc (statement open)`, "$LATEST (unqualified ARN)", false, true, "organization o-abc"},
				{outcome.PathGrant, "API Gateway a1b2c3d4e5/*/*/* (statement apigw)", "orders-api:prod (the alias promoted)", true, false, ""},
			},
		},
		{
			name: "routes of the checked stage",
			in: Input{
				Stage: &stage.Finding{Kind: stage.KindREST, APIID: "a1b2c3d4e5", Stage: "prod", Function: fn, Bindings: []stage.Binding{
					{Kind: stage.BindingIntegration, Where: "ANY /", Routes: []string{"ANY /"}, Resolved: arn + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias"},
					{Kind: stage.BindingIntegration, Where: "GET /legacy", Routes: []string{"GET /legacy"}, Resolved: arn, Qualifier: ""},
					{Kind: stage.BindingAuthorizer, Where: "authorizer auth (x1)", Resolved: arn + ":5", Qualifier: "5"},
				}},
				Checks: []outcome.Check{{Name: stage.CheckIntegration, Fix: "aws apigateway update-integration …"}},
			},
			want: []row{
				{outcome.PathRoute, "ANY / of stage prod of REST API a1b2c3d4e5", "orders-api:prod (the alias promoted)", true, false, "through stage variable lambdaAlias"},
				{outcome.PathRoute, "GET /legacy of stage prod of REST API a1b2c3d4e5", "$LATEST (unqualified ARN)", false, true, "the integration check fails for it"},
				{outcome.PathRoute, "authorizer auth (x1) of stage prod of REST API a1b2c3d4e5", "version 5", false, true, "the integration check fails for it"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.in.Function, tc.in.Alias = fn, "prod"
			paths, notChecked := Judge(tc.in)
			if diff := cmp.Diff(tc.want, rows(paths)); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if len(notChecked) > 0 {
				t.Errorf("not checked: %v, want everything read", notChecked)
			}
			for _, p := range paths {
				if p.Function != fn.Name {
					t.Errorf("path %s names function %q", p.Source, p.Function)
				}
				if p.Bypass && len(p.Fixes) == 0 {
					t.Errorf("path %s bypasses the alias but has no fix", p.Source)
				}
				if p.Covered && len(p.Fixes) > 0 {
					t.Errorf("path %s is covered but has fixes %v", p.Source, p.Fixes)
				}
			}
		})
	}
}

// A read that was refused is "not checked", never "none found".
func TestJudgeNotChecked(t *testing.T) {
	t.Parallel()
	paths, notChecked := Judge(Input{Function: fn, Alias: "prod",
		Mappings: Mappings{Denied: ActionListMappings},
		Read:     Function{Denied: []string{ActionGetURL, ActionGetPolicy}},
	})
	if len(paths) > 0 {
		t.Errorf("paths %v from reads that were all refused", rows(paths))
	}
	want := []string{
		"event source mappings: not checked (AccessDenied on lambda:ListEventSourceMappings)",
		"function URLs: not checked (AccessDenied on lambda:GetFunctionUrlConfig)",
		"resource-policy grants: not checked (AccessDenied on lambda:GetPolicy)",
	}
	if diff := cmp.Diff(want, whats(notChecked)); diff != "" {
		t.Errorf("not checked (-want +got):\n%s", diff)
	}
	_, notChecked = Judge(Input{Function: fn, Alias: "prod", Mappings: Mappings{Truncated: true}, Read: Function{Policy: "{"}})
	if len(notChecked) != 2 || !strings.Contains(notChecked[0].What, "not valid JSON") || !strings.Contains(notChecked[1].What, "only the first 10000") ||
		strings.Contains(notChecked[0].Remedy+notChecked[1].Remedy, "grant") {
		t.Errorf("not checked = %q, want the bad policy and the truncated listing", notChecked)
	}
}

func TestJudgeFixes(t *testing.T) {
	t.Parallel()
	arn := fn.String()
	paths, _ := Judge(Input{Function: fn, Alias: "prod",
		Mappings: Mappings{List: []Mapping{{UUID: "u1", Source: "arn:aws:sqs:eu-west-1:123456789012:jobs", FunctionARN: arn, State: "Enabled"}}},
		Read: Function{
			URLs: []URL{{URL: "https://a.lambda-url.eu-west-1.on.aws/", FunctionARN: arn, AuthType: "NONE"}},
			Policy: policy(`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}`,
				`{"Sid":"it's","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"lambda:InvokeFunction","Resource":"`+arn+`:4"}`),
		},
	})
	got := map[string][]outcome.Fix{}
	for _, p := range paths {
		got[p.Source] = p.Fixes
	}
	want := map[string][]outcome.Fix{
		"SQS queue jobs (mapping u1)": {{Choice: "point the mapping at the alias", Commands: "aws lambda update-event-source-mapping --uuid u1 --function-name orders-api:prod"}},
		"https://a.lambda-url.eu-west-1.on.aws/": {
			{Choice: "serve the URL from the alias", Commands: "aws lambda create-function-url-config --function-name orders-api --qualifier prod --auth-type NONE\n" +
				"aws lambda add-permission --function-name orders-api --qualifier prod --statement-id FunctionURLAllowPublicAccess-prod --action lambda:InvokeFunctionUrl --principal '*' --function-url-auth-type NONE\n" +
				"aws lambda add-permission --function-name orders-api --qualifier prod --statement-id FunctionURLInvokeAllowPublicAccess-prod --action lambda:InvokeFunction --principal '*' --invoked-via-function-url\n" +
				"# the alias's URL has an address of its own (create-function-url-config prints it): move the clients to it, then\n" +
				"aws lambda delete-function-url-config --function-name orders-api"},
			{Choice: "delete the URL, if nothing calls it", Commands: "aws lambda delete-function-url-config --function-name orders-api"},
		},
		"S3 bucket uploads (statement s3)": {
			// One chain: the function's grant goes only once the alias's
			// is in place and the bucket sends its events to the alias.
			{Choice: "grant the alias and point the source at it", Commands: "# S3 sends the bucket's events to the ARN in its notification configuration, which Lambda cannot change: point it at the alias\n" +
				"aws lambda add-permission --function-name orders-api --qualifier prod --statement-id s3-prod --action lambda:InvokeFunction --principal s3.amazonaws.com --source-arn arn:aws:s3:::uploads --source-account 123456789012 && \\\n" +
				"  aws s3api get-bucket-notification-configuration --bucket uploads > notification.json && sed 's|\"" + arn + "\"|\"" + arn + ":prod\"|g' notification.json > notification-alias.json && aws s3api put-bucket-notification-configuration --bucket uploads --notification-configuration file://notification-alias.json && \\\n" +
				"  aws lambda remove-permission --function-name orders-api --statement-id s3"},
			{Choice: "remove the grant, if nothing uses it", Commands: "aws lambda remove-permission --function-name orders-api --statement-id s3"},
		},
		"account 111122223333 (statement it's)": {
			{Choice: "grant the alias and point the source at it", Commands: "aws lambda add-permission --function-name orders-api --qualifier prod --statement-id its-prod --action lambda:InvokeFunction --principal 111122223333\n" +
				"# the callers choose the ARN they invoke: they must invoke " + arn + ":prod instead of " + arn + ":4\n" +
				"# once nothing invokes " + arn + ":4 any more:\n" +
				`aws lambda remove-permission --function-name orders-api --qualifier 4 --statement-id 'it'\''s'`},
			{Choice: "remove the grant, if nothing uses it", Commands: `aws lambda remove-permission --function-name orders-api --qualifier 4 --statement-id 'it'\''s'`},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("fixes (-want +got):\n%s", diff)
	}
}

// TestGrantFixesNarrowAsTheGrant shows that the alias's grant is never
// wider than the function's: a source ARN and an organization are copied
// for every principal, and a grant whose conditions add-permission cannot
// write is copied by hand, not printed without them; a statement with no
// Sid is removed by hand.
// whats are the reads not made, as the summary names them.
func whats(n []NotChecked) []string {
	var out []string
	for _, x := range n {
		out = append(out, x.What)
	}
	return out
}

func TestGrantFixesNarrowAsTheGrant(t *testing.T) {
	t.Parallel()
	arn := fn.String()
	show := "aws lambda get-policy --function-name orders-api --query Policy --output text"
	tests := []struct {
		name      string
		statement string
		want      []string // in the first choice's commands
		wantNot   []string
	}{
		{name: "anyone, from one bucket",
			statement: `{"Sid":"any","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"}}}`,
			want:      []string{"--principal '*' --source-arn arn:aws:s3:::uploads"}},
		{name: "anyone in an organization",
			statement: `{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`,
			want:      []string{"--principal '*' --principal-org-id o-abc"}},
		{name: "anyone, with a condition add-permission cannot write",
			statement: `{"Sid":"vpc","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}`,
			want:      []string{"the grant tests aws:SourceVpc, which add-permission cannot write", show, "aws lambda remove-permission --function-name orders-api --statement-id vpc"},
			wantNot:   []string{"aws lambda add-permission"}},
		{name: "a source ARN under a negation is not copied as one",
			statement: `{"Sid":"not","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"ArnNotLike":{"AWS:SourceArn":"arn:aws:s3:::private"}}}`,
			want:      []string{"the grant tests AWS:SourceArn, which", show},
			wantNot:   []string{"aws lambda add-permission"}},
		{name: "a statement with no Sid",
			statement: `{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:sns:eu-west-1:123456789012:orders"}}}`,
			want:      []string{"--statement-id grant-prod ", "the statement has no Sid", show},
			wantNot:   []string{"aws lambda remove-permission", "--statement-id ''", "--statement-id -prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			paths, _ := Judge(Input{Function: fn, Alias: "prod", Read: Function{Policy: policy(tt.statement)}})
			if len(paths) != 1 || len(paths[0].Fixes) != 2 {
				t.Fatalf("paths = %+v, want one grant with two choices", paths)
			}
			cmds := paths[0].Fixes[0].Commands
			for _, w := range tt.want {
				if !strings.Contains(cmds, w) {
					t.Errorf("the fix does not say %q:\n%s", w, cmds)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(cmds, w) {
					t.Errorf("the fix says %q:\n%s", w, cmds)
				}
			}
		})
	}
}

func TestSourceName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                     "a self-managed event source",
		"arn:aws:sqs:us-east-1:1:q":            "SQS queue q",
		"arn:aws:kinesis:us-east-1:1:stream/s": "Kinesis stream s",
		"arn:aws:kafka:us-east-1:1:cluster/c/uuid-1": "MSK cluster c",
		"arn:aws:mq:us-east-1:1:broker:b:id":         "Amazon MQ broker b:id",
		"not an arn":                                 "not an arn",
	} {
		if got := sourceName(in); got != want {
			t.Errorf("sourceName(%q) = %q, want %q", in, got, want)
		}
	}
}
