package stage

import (
	"strings"
	"testing"
)

// pat writes a source ARN pattern with "*" for the wildcard.
func pat(s string) string { return strings.ReplaceAll(s, "*", string(wildcard)) }

func TestGlobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		glob, value     string // value: "*" is the wildcard
		covers, touches bool   // covers(glob, value), intersects(glob, value, false)
	}{
		{"abc", "abc", true, true},
		{"abc", "ab", false, false},
		{"a*c", "abbbc", true, true},
		{"a*c", "ac", true, true},
		{"*", "", true, true},
		{"a?c", "abc", true, true},
		{"a?c", "ac", false, false},
		{"", "", true, true},
		{"", "a", false, false},
		// Route patterns: a wildcard is covered only by a star.
		{"api/prod/*/*", "api/prod/*/orders", true, true},
		{"api/prod/GET/*", "api/prod/*/orders", false, true},
		{"api/dev/*/*", "api/prod/*/orders", false, false},
		{"api/prod/*/orders/*", "api/prod/GET/orders/*", true, true},
		{"api/prod/GET/orders/?", "api/prod/GET/orders/*", false, true},
		{"api/prod/GET/orders", "api/prod/GET/orders/*", false, false},
		{"api/*", "api/prod/$default", true, true},
		{"api/*/*/*", "api/prod/$default", false, false},
		// A trailing wildcard may stand for text the glob has no room for.
		{"api/prod/GET/", "api/prod/GET/*", false, true},
	}
	for _, tt := range tests {
		if got := covers(tt.glob, pat(tt.value)); got != tt.covers {
			t.Errorf("covers(%q, %q) = %v, want %v", tt.glob, tt.value, got, tt.covers)
		}
		if got := intersects(tt.glob, pat(tt.value), false); got != tt.touches {
			t.Errorf("intersects(%q, %q) = %v, want %v", tt.glob, tt.value, got, tt.touches)
		}
	}
	// Literal: StringEquals takes * as a star.
	if !intersects("api/prod/*/*", pat("api/prod/*/*"), true) || intersects("api/prod/GET/x", pat("api/dev/*"), true) {
		t.Error("literal intersects")
	}
}

// TestJudgeCondition judges one condition of a statement for the calls of
// the route GET /orders/{id} of stage prod, whose source ARN is a pattern.
// The semantics are IAM's:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func TestJudgeCondition(t *testing.T) {
	t.Parallel()
	const api = "arn:aws:execute-api:us-east-1:123456789012:abc123"
	route := request{sourceARN: pat(api + "/prod/GET/orders/*"), sourceAccount: "123456789012"}
	anyRoute := request{sourceARN: pat(api + "/prod/*/*"), sourceAccount: "123456789012"}
	exact := request{sourceARN: api + "/prod/GET/orders", sourceAccount: "123456789012"}
	tests := []struct {
		name   string
		op     string
		key    string
		values []string
		req    request
		want   verdict
	}{
		// "ArnEquals, ArnLike: case-sensitive matching of the ARN. Each of
		// the six colon-delimited components of the ARN is checked
		// separately and each can include multi-character match wildcards
		// (*) or single-character match wildcards (?)."
		{"ArnLike stage scoped", "ArnLike", "AWS:SourceArn", []string{api + "/prod/*/*"}, route, always},
		{"ArnLike other stage", "ArnLike", "AWS:SourceArn", []string{api + "/dev/*/*"}, route, never},
		{"ArnEquals is ArnLike", "ArnEquals", "aws:SourceArn", []string{api + "/prod/*/*"}, route, always},
		{"ArnLike one path", "ArnLike", "aws:SourceArn", []string{api + "/prod/GET/orders/42"}, route, maybe},
		{"ArnLike wildcard does not cross a colon", "ArnLike", "aws:SourceArn", []string{"arn:aws:execute-api:*"}, route, never},
		{"ArnLike every part wild", "ArnLike", "aws:SourceArn", []string{"arn:aws:execute-api:*:*:*"}, route, always},
		{"ArnLike case-sensitive", "ArnLike", "aws:SourceArn", []string{strings.ToUpper(api) + "/prod/*/*"}, route, never},
		{"ArnLike values are ORed", "ArnLike", "aws:SourceArn", []string{api + "/dev/*", api + "/prod/*"}, route, always},
		// "StringEquals: exact matching, case sensitive" — a * in the
		// value is a star, which no source ARN holds.
		{"StringEquals with a star", "StringEquals", "AWS:SourceArn", []string{api + "/prod/*/*"}, route, never},
		{"StringEquals with a star, ANY route", "StringEquals", "AWS:SourceArn", []string{api + "/prod/*/*"}, anyRoute, maybe},
		{"StringEquals with a star, exact route", "StringEquals", "AWS:SourceArn", []string{api + "/prod/*/*"}, exact, never},
		{"StringEquals exact", "StringEquals", "AWS:SourceArn", []string{api + "/prod/GET/orders"}, exact, always},
		{"StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "AWS:SourceArn", []string{strings.ToUpper(api + "/prod/GET/orders")}, exact, always},
		// "StringLike: case-sensitive matching. The values can include
		// multi-character match wildcards (*) and single-character match
		// wildcards (?) anywhere in the string."
		{"StringLike", "StringLike", "AWS:SourceArn", []string{api + "/prod/*"}, route, always},
		{"StringLike other api", "StringLike", "AWS:SourceArn", []string{"arn:aws:execute-api:us-east-1:123456789012:xyz789/*"}, route, never},
		// Negated operators hold when no value matches.
		{"ArnNotLike", "ArnNotLike", "AWS:SourceArn", []string{api + "/dev/*"}, route, always},
		{"ArnNotLike of this stage", "ArnNotLike", "AWS:SourceArn", []string{api + "/prod/*"}, route, never},
		{"StringNotEquals with a star", "StringNotEquals", "AWS:SourceArn", []string{api + "/prod/*/*"}, anyRoute, maybe},
		// "…IfExists": the key is present, so the base operator decides.
		{"ArnLikeIfExists", "ArnLikeIfExists", "AWS:SourceArn", []string{api + "/prod/*/*"}, route, always},
		// Single-valued key with a set operator: the one value is the set.
		{"ForAnyValue:StringLike", "ForAnyValue:StringLike", "AWS:SourceArn", []string{api + "/*"}, route, always},
		// "Null": true asks for the key to be absent.
		{"Null false", "Null", "AWS:SourceArn", []string{"false"}, route, always},
		{"Null true", "Null", "AWS:SourceArn", []string{"true"}, route, never},
		// aws:SourceAccount is the API's account, the function's.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount
		{"SourceAccount", "StringEquals", "AWS:SourceAccount", []string{"123456789012"}, route, always},
		{"SourceAccount other", "StringEquals", "AWS:SourceAccount", []string{"999999999999"}, route, never},
		// Keys and operators the check does not judge.
		{"unknown key", "StringEquals", "aws:PrincipalOrgID", []string{"o-1"}, route, maybe},
		{"numeric operator", "NumericEquals", "AWS:SourceArn", []string{"1"}, route, maybe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := judgeCondition(tt.op, tt.key, tt.values, tt.req); got != tt.want {
				t.Errorf("judgeCondition(%s, %s, %q) = %d, want %d", tt.op, tt.key, tt.values, got, tt.want)
			}
		})
	}
}
