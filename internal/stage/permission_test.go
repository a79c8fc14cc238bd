package stage

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

const (
	aliasARNProd = "arn:aws:lambda:us-east-1:123456789012:function:orders:prod"
	apiPrefix    = "arn:aws:execute-api:us-east-1:123456789012:abc123"
	fixProd      = "aws lambda add-permission --function-name orders --qualifier prod --statement-id apigateway-abc123-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn 'arn:aws:execute-api:us-east-1:123456789012:abc123/*/*/*'"
)

// stmt builds a one-statement policy from the JSON of its fields.
func stmt(fields ...string) string {
	return `{"Version":"2012-10-17","Statement":[{` + strings.Join(fields, ",") + `}]}`
}

const (
	allow     = `"Sid":"s1","Effect":"Allow"`
	deny      = `"Sid":"d1","Effect":"Deny"`
	invoke    = `"Action":"lambda:InvokeFunction"`
	apigw     = `"Principal":{"Service":"apigateway.amazonaws.com"}`
	onProd    = `"Resource":"` + aliasARNProd + `"`
	fromAPI   = `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abc123/*/*/*"}}`
	notOKProd = "no statement of the resource policy lets API Gateway invoke orders:prod from API abc123"
	okByS1    = "statement s1 lets API Gateway invoke orders:prod from API abc123"
)

func TestPermissionCheck(t *testing.T) {
	t.Parallel()
	ok := outcome.Check{Name: "alias permission", OK: true, Detail: okByS1}
	notOK := func(detail string) outcome.Check {
		return outcome.Check{Name: "alias permission", Detail: detail, Fix: fixProd}
	}
	tests := []struct {
		name   string
		policy string
		prefix string // apiPrefix when empty
		want   outcome.Check
	}{
		{"allowed", stmt(allow, invoke, apigw, onProd, fromAPI), "", ok},
		{"no policy", "", "", notOK("orders:prod has no resource policy, so API Gateway may not invoke it")},
		{"no statements", `{"Version":"2012-10-17","Statement":[]}`, "", notOK(notOKProd)},
		{"statement is an object", `{"Statement":{` + strings.Join([]string{allow, invoke, apigw, onProd, fromAPI}, ",") + `}}`, "", ok},
		{"no condition", stmt(allow, invoke, apigw, onProd), "", ok},
		{"other alias", stmt(allow, invoke, apigw, `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders:dev"`, fromAPI), "",
			notOK(notOKProd + " (statement s1 is for arn:aws:lambda:us-east-1:123456789012:function:orders:dev)")},
		{"unqualified function", stmt(allow, invoke, apigw, `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"`, fromAPI), "",
			notOK(notOKProd + " (statement s1 is for arn:aws:lambda:us-east-1:123456789012:function:orders)")},
		{"wildcard resource", stmt(allow, invoke, apigw, `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders:*"`, fromAPI), "", ok},
		{"other principal", stmt(allow, invoke, `"Principal":{"Service":"s3.amazonaws.com"}`, onProd, fromAPI), "", notOK(notOKProd)},
		{"account principal", stmt(allow, invoke, `"Principal":{"AWS":"arn:aws:iam::123456789012:root"}`, onProd), "", notOK(notOKProd)},
		{"everyone", stmt(allow, invoke, `"Principal":"*"`, onProd, fromAPI), "", ok},
		{"service list", stmt(allow, invoke, `"Principal":{"Service":["s3.amazonaws.com","apigateway.amazonaws.com"]}`, onProd), "", ok},
		{"other api", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:xyz789/*/*/*"}}`), "",
			notOK(notOKProd + " (statement s1 allows source arn:aws:execute-api:us-east-1:123456789012:xyz789/*/*/* only)")},
		{"api id that extends ours", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abc1234/*"}}`), "",
			notOK(notOKProd + " (statement s1 allows source arn:aws:execute-api:us-east-1:123456789012:abc1234/* only)")},
		{"wildcard api", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"aws:sourcearn":"arn:aws:execute-api:*:123456789012:*"}}`), "", ok},
		{"question marks", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abc???/prod/GET/*"}}`), "", ok},
		{"stage scoped, no stage asked", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/*"}}`), "", ok},
		{"stage scoped, other stage asked", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/*"}}`), apiPrefix + "/prod",
			notOK(notOKProd + " (statement s1 allows source arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/* only)")},
		{"source arn list", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":["arn:aws:execute-api:us-east-1:123456789012:other/*","arn:aws:execute-api:us-east-1:123456789012:abc123/*"]}}`), "", ok},
		{"arn equals exact", stmt(allow, invoke, apigw, onProd, `"Condition":{"ArnEquals":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/"}}`), "", ok},
		{"source account ok", stmt(allow, invoke, apigw, onProd, `"Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"}}`), "", ok},
		{"source account other", stmt(allow, invoke, apigw, onProd, `"Condition":{"StringEquals":{"AWS:SourceAccount":"999999999999"}}`), "",
			notOK(notOKProd + " (statement s1 allows source account 999999999999 only)")},
		{"deny", stmt(deny, invoke, apigw, onProd), "",
			outcome.Check{Name: "alias permission", Detail: "statement d1 denies API Gateway invoking orders:prod",
				Fix: "aws lambda remove-permission --function-name orders --qualifier prod --statement-id d1 && " + fixProd}},
		{"deny wins", `{"Statement":[{` + strings.Join([]string{allow, invoke, apigw, onProd}, ",") + `},{` + strings.Join([]string{deny, invoke, apigw, onProd}, ",") + `}]}`, "",
			outcome.Check{Name: "alias permission", Detail: "statement d1 denies API Gateway invoking orders:prod",
				Fix: "aws lambda remove-permission --function-name orders --qualifier prod --statement-id d1 && " + fixProd}},
		{"deny for another api", `{"Statement":[{` + strings.Join([]string{allow, invoke, apigw, onProd}, ",") + `},{` +
			strings.Join([]string{deny, invoke, apigw, onProd, `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:xyz789/*"}}`}, ",") + `}]}`, "", ok},
		{"action list", stmt(allow, `"Action":["lambda:GetFunction","lambda:InvokeFunction"]`, apigw, onProd), "", ok},
		{"action wildcard", stmt(allow, `"Action":"lambda:*"`, apigw, onProd), "", ok},
		{"action other", stmt(allow, `"Action":"lambda:GetFunction"`, apigw, onProd), "", notOK(notOKProd)},
		{"action case", stmt(allow, `"Action":"Lambda:invokeFunction"`, apigw, onProd), "", ok},
		{"resource list", stmt(allow, invoke, apigw, `"Resource":["arn:aws:lambda:us-east-1:123456789012:function:orders",`+`"`+aliasARNProd+`"]`), "", ok},
		{"moto shape", `{"Version": "2012-10-17", "Id": "default", "Statement": [{"Action": "lambda:InvokeFunction", "Principal": {"Service": "apigateway.amazonaws.com"}, "Effect": "Allow", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:orders:prod", "Sid": "s1", "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*/*"}}}]}`, "", ok},
		{"not json", `{"Statement":`, "", notOK("the resource policy of orders:prod is not valid JSON: unexpected end of JSON input")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := tt.prefix
			if prefix == "" {
				prefix = apiPrefix
			}
			got := PermissionCheck(tt.policy, aliasARNProd, prefix)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PermissionCheck() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermissionCheckBadAlias(t *testing.T) {
	t.Parallel()
	got := PermissionCheck(stmt(allow, invoke, apigw, onProd), "arn:aws:lambda:us-east-1:123456789012:function:orders", apiPrefix)
	if got.OK || !strings.Contains(got.Detail, "is not a lambda alias ARN") {
		t.Errorf("PermissionCheck() with an unqualified ARN = %+v, want not OK naming the bad ARN", got)
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s  string
		full, start bool // glob(pattern, s), globPrefix(pattern, s)
	}{
		{"abc", "abc", true, true},
		{"abc", "ab", false, true},
		{"abc", "abd", false, false},
		{"a*c", "abbbc", true, true},
		{"a*c", "ac", true, true},
		{"a*", "", false, true},
		{"*", "", true, true},
		{"a?c", "abc", true, true},
		{"a?c", "ac", false, true},
		{"a/*/*/*", "a/", false, true},
		{"a/*/*/*", "a/p/g/x", true, true},
		{"x*", "a", false, false},
		{"", "", true, true},
		{"", "a", false, false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.full {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.full)
		}
		if got := globPrefix(tt.pattern, tt.s); got != tt.start {
			t.Errorf("globPrefix(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.start)
		}
	}
}

func FuzzPermissionCheck(f *testing.F) {
	f.Add(stmt(allow, invoke, apigw, onProd, fromAPI), apiPrefix)
	f.Add(`{"Statement":{"Principal":"*","Action":["*"],"Resource":"*","Effect":"Deny"}}`, apiPrefix+"/prod/")
	f.Add(`{"Statement":[{"Condition":{"ArnLike":{"AWS:SourceArn":["*?*"]}}}]}`, "")
	f.Add(`{"Statement":null}`, "arn")
	f.Fuzz(func(t *testing.T, policy, prefix string) {
		c := PermissionCheck(policy, aliasARNProd, prefix)
		if c.OK && c.Fix != "" {
			t.Errorf("an OK check has a fix: %+v", c)
		}
		if !c.OK && c.Fix == "" {
			t.Errorf("a failed check has no fix: %+v", c)
		}
		_ = glob(policy, prefix)
		_ = globPrefix(prefix, policy)
	})
}
