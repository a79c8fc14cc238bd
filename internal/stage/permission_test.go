package stage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

const execAPI = "arn:aws:execute-api:us-east-1:123456789012:"

// stmt is one policy statement in the shape `aws lambda add-permission`
// writes it: principal the API Gateway service, action
// lambda:InvokeFunction, resource the qualified ARN, and the source ARN as an
// ArnLike condition
// (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions).
// cond replaces the condition ("" for none); effect is Allow unless sid
// starts with "deny".
func stmt(sid, resource, cond string) string {
	effect := "Allow"
	if strings.HasPrefix(sid, "deny") {
		effect = "Deny"
	}
	s := fmt.Sprintf(`{"Sid":%q,"Effect":%q,"Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":%q`, sid, effect, resource)
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

// arnLikeSource is the condition add-permission writes for --source-arn.
func arnLikeSource(src string) string {
	return fmt.Sprintf(`{"ArnLike":{"AWS:SourceArn":%q}}`, src)
}

func policyOf(stmts ...string) string {
	return `{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func TestPermission(t *testing.T) {
	t.Parallel()
	prod := ordersARN + ":prod"
	eusc := lambdaarn.MustParse("arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders")
	isob := lambdaarn.MustParse("arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:orders")
	tests := []struct {
		name   string
		st     Stage
		fn     lambdaarn.Function // fnOrders when zero
		policy string
		ok     bool
		detail []string // each in the detail
		fix    []string // each in the fix
	}{
		// https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions:
		// the console's and the docs' statement for a whole API.
		{name: "whole API", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/*/*/*"))), ok: true,
			detail: []string{"statement s1 lets API Gateway invoke orders:prod from GET /orders, ANY /orders/{id}, POST / of stage prod of REST API abc123"}},
		// Serverless Framework's statement: APIID/*/*.
		// https://www.serverless.com/framework/docs/providers/aws/events/apigateway
		{name: "Serverless whole API", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/*/*"))), ok: true},
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html:
		// the source ARN starts with the stage, so dev's statement does not
		// let prod in.
		{name: "statement for another stage", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/dev/*/*"))),
			detail: []string{
				"no statement of the resource policy lets API Gateway invoke orders:prod from GET /orders (" + execAPI + "abc123/prod/GET/orders), ANY /orders/{id} (" + execAPI + "abc123/prod/*/orders/{id}), POST / (" + execAPI + "abc123/prod/POST/) of stage prod of REST API abc123",
				"statement s1 allows only when ArnLike AWS:SourceArn " + execAPI + "abc123/dev/*/*",
			},
			fix: []string{"aws lambda add-permission --function-name orders --qualifier prod --statement-id apigateway-abc123-prod-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn '" + execAPI + "abc123/prod/*/*'"}},
		{name: "statement for this stage", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/prod/*/*"))), ok: true},
		// SAM's per-route statement (Api event: APIID/STAGE/METHOD/PATH):
		// the other routes stay out.
		// https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-api.html
		{name: "statement for one route", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/prod/GET/orders"))),
			detail: []string{"from ANY /orders/{id} (" + execAPI + "abc123/prod/*/orders/{id}), POST / (" + execAPI + "abc123/prod/POST/) of stage prod"},
			fix:    []string{"--source-arn '" + execAPI + "abc123/prod/*/*'"}},
		{name: "one statement per route", st: shapeREST("prod"), ok: true,
			policy: policyOf(
				stmt("get", prod, arnLikeSource(execAPI+"abc123/prod/GET/orders")),
				stmt("any", prod, arnLikeSource(execAPI+"abc123/prod/*/orders/*")),
				stmt("post", prod, arnLikeSource(execAPI+"abc123/prod/POST/"))),
			detail: []string{"statements get, any, post let API Gateway invoke orders:prod"}},
		// An ANY route needs * for the method: the ARN carries the
		// request's method, never "ANY".
		{name: "ANY written in the statement", st: shapeREST("prod"),
			policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/prod/ANY/*")), stmt("s2", prod, arnLikeSource(execAPI+"abc123/prod/GET/*")), stmt("s3", prod, arnLikeSource(execAPI+"abc123/prod/POST/*"))),
			detail: []string{"from ANY /orders/{id}"}, fix: []string{"--source-arn '" + execAPI + "abc123/prod/*/orders/{id}'"}},
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String:
		// StringEquals matches exactly; a * in it is a star.
		{name: "StringEquals with a star", st: shapeREST("prod"),
			policy: policyOf(stmt("s1", prod, `{"StringEquals":{"AWS:SourceArn":"`+execAPI+`abc123/*/*/*"}}`)),
			detail: []string{"statement s1 allows only when StringEquals AWS:SourceArn " + execAPI + "abc123/*/*/*"}},
		// https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html:
		// "Lambda configures the comparison using the StringLike operator."
		{name: "StringLike", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, `{"StringLike":{"AWS:SourceArn":"`+execAPI+`abc123/*"}}`)), ok: true},
		// ArnEquals takes wildcards as ArnLike does.
		{name: "ArnEquals with wildcards", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, `{"ArnEquals":{"AWS:SourceArn":"`+execAPI+`abc123/prod/*/*"}}`)), ok: true},
		{name: "source account only", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, `{"StringEquals":{"AWS:SourceAccount":"123456789012"}}`)), ok: true},
		{name: "source account of another account", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, `{"StringEquals":{"AWS:SourceAccount":"999999999999"}}`)),
			detail: []string{"statement s1 allows only when StringEquals AWS:SourceAccount 999999999999"}},
		{name: "no condition", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, "")), ok: true},
		{name: "condition this check cannot judge", st: shapeREST("prod"), policy: policyOf(stmt("s1", prod, `{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}`)),
			detail: []string{"statement s1 allows only when StringEquals aws:PrincipalOrgID o-123"}},
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
		// an explicit Deny wins.
		{name: "deny for this stage", st: shapeREST("prod"),
			policy: policyOf(stmt("s1", prod, ""), stmt("deny1", prod, arnLikeSource(execAPI+"abc123/prod/POST/*"))),
			// POST /orders/42 is a call of ANY /orders/{id} too.
			detail: []string{"API Gateway may not invoke orders:prod: statement deny1 may deny ANY /orders/{id} (when ArnLike AWS:SourceArn " + execAPI + "abc123/prod/POST/*), statement deny1 denies POST /"},
			fix:    []string{"aws lambda remove-permission --function-name orders --qualifier prod --statement-id deny1"}},
		{name: "deny for another API", st: shapeREST("prod"), ok: true,
			policy: policyOf(stmt("s1", prod, ""), stmt("deny1", prod, arnLikeSource(execAPI+"xyz789/*")))},
		{name: "deny that may apply", st: shapeREST("prod"),
			policy: policyOf(stmt("s1", prod, ""), stmt("deny1", prod, `{"Bool":{"aws:SecureTransport":"false"}}`)),
			detail: []string{"statement deny1 may deny GET /orders (when Bool aws:SecureTransport false)"}},
		// https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html:
		// each alias has its own policy; a statement on the function or
		// on another alias does not let API Gateway invoke this one.
		// moto's GetPolicy returns them all, so they are judged by
		// Resource.
		{name: "statement on the function", st: shapeREST("prod"), policy: policyOf(stmt("s1", ordersARN, "")),
			detail: []string{"statement s1 is for " + ordersARN}},
		{name: "statements of other aliases", st: shapeREST("prod"),
			policy: policyOf(stmt("dev", ordersARN+":dev", arnLikeSource(execAPI+"abc123/*/*/*")), stmt("live", ordersARN+":live", "")),
			detail: []string{"statement dev is for " + ordersARN + ":dev", "statement live is for " + ordersARN + ":live"}},
		{name: "wildcard resource", st: shapeREST("prod"), policy: policyOf(stmt("s1", ordersARN+":*", "")), ok: true},
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
		{name: "everyone", st: shapeREST("prod"), ok: true,
			policy: `{"Statement":{"Sid":"s1","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + prod + `"}}`},
		{name: "an account principal", st: shapeREST("prod"),
			policy: `{"Statement":[{"Sid":"s1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"lambda:InvokeFunction","Resource":"` + prod + `"}]}`,
			detail: []string{"no statement of the resource policy lets API Gateway invoke orders:prod"}},
		{name: "action wildcard", st: shapeREST("prod"), ok: true,
			policy: `{"Statement":[{"Sid":"s1","Effect":"Allow","Principal":{"Service":["s3.amazonaws.com","apigateway.amazonaws.com"]},"Action":["lambda:*"],"Resource":"` + prod + `"}]}`},
		{name: "another action", st: shapeREST("prod"),
			policy: `{"Statement":[{"Sid":"s1","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:GetFunction","Resource":"` + prod + `"}]}`,
			detail: []string{"no statement of the resource policy lets API Gateway invoke orders:prod"}},
		{name: "no policy", st: shapeREST("prod"), policy: "",
			detail: []string{"orders:prod has no resource policy, so API Gateway may not invoke it from GET /orders"},
			fix:    []string{"--statement-id apigateway-abc123-prod-prod "}},
		{name: "not JSON", st: shapeREST("prod"), policy: `{"Statement":`,
			detail: []string{"the resource policy of orders:prod is not valid JSON"}, fix: []string{"aws lambda add-permission"}},
		// A statement id already taken by another statement is not reused.
		{name: "statement id taken", st: shapeREST("prod"), policy: policyOf(stmt("apigateway-abc123-prod-prod", prod, arnLikeSource(execAPI+"abc123/dev/*/*"))),
			fix: []string{"--statement-id apigateway-abc123-prod-prod-2 "}},
		// Terraform's aws_lambda_permission for an HTTP API:
		// "${aws_apigatewayv2_api.example.execution_arn}/*/*".
		// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_permission
		{name: "HTTP API, Terraform statement", st: shapeHTTP("prod"), policy: policyOf(stmt("tf", prod, arnLikeSource(execAPI+"xyz789/*/*"))), ok: true,
			detail: []string{"from GET /orders, POST /orders of stage prod of HTTP API xyz789"}},
		// The integration no route uses does not need a statement; the
		// routes do.
		{name: "HTTP API, a statement for one route", st: shapeHTTP("prod"), policy: policyOf(stmt("get", prod, arnLikeSource(execAPI+"xyz789/prod/GET/orders"))),
			detail: []string{"from POST /orders (" + execAPI + "xyz789/prod/POST/orders)"},
			fix:    []string{"--source-arn " + execAPI + "xyz789/prod/POST/orders"}},
		// SAM's statement for an HTTP API $default route: APIID/*/$default
		// (aws/serverless-application-model#2574). The authorizer has its
		// own source ARN.
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
		{name: "HTTP API $default route, authorizer left out", st: shapeHTTPDefault(), policy: policyOf(stmt("sam", prod, arnLikeSource(execAPI+"xyz789/*/$default"))),
			detail: []string{"from authorizer gate (au1) (" + execAPI + "xyz789/authorizers/au1) of stage $default of HTTP API xyz789"},
			fix:    []string{"--statement-id apigateway-xyz789-authorizer-au1-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn " + execAPI + "xyz789/authorizers/au1"}},
		{name: "HTTP API $default route and authorizer", st: shapeHTTPDefault(), ok: true,
			policy: policyOf(stmt("sam", prod, arnLikeSource(execAPI+"xyz789/*/$default")), stmt("auth", prod, arnLikeSource(execAPI+"xyz789/authorizers/au1"))),
			detail: []string{"statements sam, auth let API Gateway invoke orders:prod from $default, authorizer gate (au1) of stage $default of HTTP API xyz789"}},
		// CDK's HttpLambdaIntegration statement for the $default route:
		// APIID/*/*.
		// https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_apigatewayv2_integrations.HttpLambdaIntegration.html
		{name: "HTTP API $default route, CDK statement", ok: true,
			st: func() Stage {
				st := shapeHTTPDefault()
				st.Routes[0].AuthorizerID = ""
				return st
			}(),
			policy: policyOf(stmt("cdk", prod, arnLikeSource(execAPI+"xyz789/*/*")))},
		{name: "HTTP API $default route, a METHOD/PATH statement", st: shapeHTTPDefault(),
			policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"xyz789/$default/*/*")), stmt("auth", prod, arnLikeSource(execAPI+"xyz789/authorizers/au1"))),
			detail: []string{"from $default (" + execAPI + "xyz789/$default/$default)"},
			fix:    []string{"--statement-id apigateway-xyz789-default-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn '" + execAPI + "xyz789/$default/$default'"}},
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html:
		// a statement for the stage's routes does not cover the authorizer.
		{name: "REST authorizer left out", st: shapeRESTAuthorizer(), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/prod/*/*"))),
			detail: []string{"from authorizer tokens (tok3n) (" + execAPI + "abc123/authorizers/tok3n)"},
			fix:    []string{"--source-arn " + execAPI + "abc123/authorizers/tok3n"}},
		{name: "REST authorizer allowed", st: shapeRESTAuthorizer(), policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/authorizers/*"))), ok: true},
		// A credentials role: API Gateway calls Lambda as the role.
		{name: "credentials role, the other routes allowed", st: shapeCredentials(), ok: true,
			policy: policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/prod/*/*"))),
			detail: []string{"from GET /orders, ANY /orders/{id} of stage prod", "POST / invokes orders:prod with role arn:aws:iam::123456789012:role/apigw-invoke, so the resource policy does not decide it"}},
		{name: "credentials role, no policy", st: shapeCredentials(), policy: "",
			detail: []string{"from GET /orders", "ANY /orders/{id}", "POST / invokes orders:prod with role"}},
		{name: "credentials role everywhere, no policy", ok: true, policy: "",
			st: func() Stage {
				st := shapeREST("prod")
				for i := range st.Integrations {
					st.Integrations[i].Credentials = "arn:aws:iam::*:user/*"
				}
				return st
			}(),
			detail: []string{"GET /orders invokes orders:prod with the caller's own credentials, so the resource policy does not decide it"}},
		// Partitions: the source ARN is in the function's partition.
		{name: "EU sovereign cloud", st: shapePartition(eusc), fn: eusc, ok: true,
			policy: policyOf(stmt("s1", eusc.Qualified("prod"), arnLikeSource("arn:aws-eusc:execute-api:eusc-de-east-1:123456789012:abc123/prod/*/*")))},
		{name: "EU sovereign cloud, a commercial source ARN", st: shapePartition(eusc), fn: eusc,
			policy: policyOf(stmt("s1", eusc.Qualified("prod"), arnLikeSource(execAPI+"abc123/prod/*/*"))),
			fix:    []string{"--source-arn arn:aws-eusc:execute-api:eusc-de-east-1:123456789012:abc123/prod/GET/orders"}},
		{name: "ISO-B", st: shapePartition(isob), fn: isob, ok: true,
			policy: policyOf(stmt("s1", isob.Qualified("prod"), arnLikeSource("arn:aws-iso-b:execute-api:us-isob-east-1:123456789012:abc123/*/*/*")))},
		{name: "no integration calls the function", st: shapeFunctionVariable("billing:prod"), policy: policyOf(stmt("s1", prod, "")),
			detail: []string{"no integration or authorizer of stage prod of REST API abc123 calls orders"},
			fix:    []string{"--source-arn '" + execAPI + "abc123/prod/*'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fn := tt.fn
			if fn.IsZero() {
				fn = fnOrders
			}
			c := Permission(tt.policy, tt.st.Match("lambdaAlias", fn), "prod")
			if c.Name != "alias permission" || c.OK != tt.ok {
				t.Errorf("Permission() = %+v, want OK %v", c, tt.ok)
			}
			if c.OK != (c.Fix == "") {
				t.Errorf("OK %v with fix %q", c.OK, c.Fix)
			}
			for _, d := range tt.detail {
				if !strings.Contains(c.Detail, d) {
					t.Errorf("detail does not say %q:\n%s", d, c.Detail)
				}
			}
			for _, f := range tt.fix {
				if !strings.Contains(c.Fix, f) {
					t.Errorf("fix does not say %q:\n%s", f, c.Fix)
				}
			}
		})
	}
}

// TestPermissionPathTemplates judges grants by the source ARN API Gateway
// sends: the route's path template with its parameters as written, and the
// request's method (see routeSource). Each case names where its shape comes
// from.
func TestPermissionPathTemplates(t *testing.T) {
	t.Parallel()
	prod := ordersARN + ":prod"
	rest := func(keys ...string) Stage {
		return restStage(map[string]string{"lambdaAlias": "prod"}, restURI(ordersARN+":"+varRef), keys...)
	}
	http := func(keys ...string) Stage {
		st := Stage{Kind: KindHTTP, APIID: "xyz789", Name: "prod", AutoDeploy: true,
			Variables:    map[string]string{"lambdaAlias": "prod"},
			Integrations: []Integration{{ID: "i1", URI: ordersARN + ":" + varRef}}}
		for _, k := range keys {
			r := parseRouteKey(k)
			r.IntegrationID = "i1"
			st.Routes = append(st.Routes, r)
		}
		return st
	}
	grant := func(sid, src string) string { return stmt(sid, prod, arnLikeSource(execAPI+src)) }
	tests := []struct {
		name   string
		st     Stage
		grants []string // the alias's policy
		ok     bool
		detail []string // each in the detail
	}{
		// Terraform's aws_lambda_permission example builds the source ARN
		// from the resource's path (/{proxy+}), and ${execution_arn}/*/*/{proxy+}
		// is the grant public code writes for ANY /{proxy+}.
		// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_permission
		{name: "REST ANY greedy, */*/{proxy+}", st: rest("ANY /{proxy+}"), ok: true,
			grants: []string{grant("tf", "abc123/*/*/{proxy+}")},
			detail: []string{"statement tf lets API Gateway invoke orders:prod from ANY /{proxy+}"}},
		// serverless-aws-alias grants per route: APIID/*/METHOD/PATH with
		// the path's parameters as written.
		// https://github.com/serverless-heaven/serverless-aws-alias
		{name: "REST method with a parameter, per-route grant", st: rest("GET /orders/{id}"), ok: true,
			grants: []string{grant("alias", "abc123/*/GET/orders/{id}")}},
		// A * covers the parameter's place as it covers any text (IAM's
		// ArnLike).
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
		{name: "REST method with a parameter, a star for it", st: rest("GET /orders/{id}"), ok: true,
			grants: []string{grant("star", "abc123/*/GET/orders/*")}},
		{name: "REST greedy parameter under a path", st: rest("ANY /files/{path+}"), ok: true,
			grants: []string{grant("files", "abc123/prod/*/files/{path+}")}},
		// The ARN carries the template, not the request's path: a grant for
		// one request path lets the route in for no request.
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html#apigateway-execute-api-arns
		{name: "REST grant for a request path", st: rest("GET /orders/{id}"),
			grants: []string{grant("one", "abc123/prod/GET/orders/42")},
			detail: []string{"from GET /orders/{id} (" + execAPI + "abc123/prod/GET/orders/{id})", "statement one allows only when ArnLike AWS:SourceArn " + execAPI + "abc123/prod/GET/orders/42"}},
		// The method is the request's: ANY in the grant lets nothing in
		// (aws/serverless-application-model#296), and one method leaves
		// the others out.
		{name: "REST ANY route, ANY in the grant", st: rest("ANY /{proxy+}"),
			grants: []string{grant("any", "abc123/*/ANY/{proxy+}")},
			detail: []string{"from ANY /{proxy+} (" + execAPI + "abc123/prod/*/{proxy+})"}},
		{name: "REST ANY route, one method granted", st: rest("ANY /{proxy+}"),
			grants: []string{grant("get", "abc123/*/GET/{proxy+}")},
			detail: []string{"statement get allows only when ArnLike AWS:SourceArn " + execAPI + "abc123/*/GET/{proxy+}"}},
		// A greedy resource does not cover the root resource: ANY / has its
		// own ARN, APIID/STAGE/METHOD/ (SAM's AutoPublishAlias API has both).
		{name: "REST greedy grant, root resource left out", st: rest("ANY /{proxy+}", "ANY /"),
			grants: []string{grant("tf", "abc123/*/*/{proxy+}")},
			detail: []string{"from ANY / (" + execAPI + "abc123/prod/*/) of stage prod", "statement tf covers ANY /{proxy+}"}},
		// HTTP APIs send their route's template the same way.
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
		{name: "HTTP ANY greedy, */*/{proxy+}", st: http("ANY /{proxy+}"), ok: true,
			grants: []string{grant("tf", "xyz789/*/*/{proxy+}")}},
		{name: "HTTP method with a parameter, per-route grant", st: http("GET /orders/{id}"), ok: true,
			grants: []string{grant("route", "xyz789/*/*/orders/{id}")}},
		// $default's ARN is APIID/STAGE/$default; */*/{proxy+} does not
		// cover it (aws/serverless-application-model#1860), */$default does.
		{name: "HTTP $default, */*/{proxy+}", st: http("$default"),
			grants: []string{grant("tf", "xyz789/*/*/{proxy+}")},
			detail: []string{"from $default (" + execAPI + "xyz789/prod/$default)"}},
		{name: "HTTP $default, */$default", st: http("$default"), ok: true,
			grants: []string{grant("sam", "xyz789/*/$default")}},
		// Several statements: the result says which covers which route.
		{name: "HTTP greedy and $default, one statement each", st: http("ANY /{proxy+}", "$default"), ok: true,
			grants: []string{grant("tf", "xyz789/*/*/{proxy+}"), grant("sam", "xyz789/*/$default")},
			detail: []string{"statements tf, sam let API Gateway invoke orders:prod from ANY /{proxy+}, $default of stage prod of HTTP API xyz789: statement tf covers ANY /{proxy+}, statement sam covers $default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.st.Match("lambdaAlias", fnOrders)
			c := Permission(policyOf(tt.grants...), f, "prod")
			if c.OK != tt.ok {
				t.Errorf("Permission() OK = %v, want %v:\n%s\n%s", c.OK, tt.ok, c.Detail, c.Fix)
			}
			for _, d := range tt.detail {
				if !strings.Contains(c.Detail, d) {
					t.Errorf("detail does not say %q:\n%s", d, c.Detail)
				}
			}
			if c.OK {
				return
			}
			// The printed fix, as add-permission writes it
			// (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html:
			// the source ARN as an ArnLike condition on the qualified ARN),
			// makes the check pass.
			fixed := addedBy(t, c.Fix, prod)
			if c := Permission(policyOf(append(tt.grants, fixed...)...), f, "prod"); !c.OK {
				t.Errorf("after the fix the check still fails:\n%s", c.Detail)
			}
		})
	}
}

// addedBy is the statements a fix's add-permission commands add to the
// alias's policy, and fails the test on any other command.
func addedBy(t *testing.T, fix, resource string) []string {
	t.Helper()
	var out []string
	for cmd := range strings.SplitSeq(fix, " && ") {
		args := strings.Fields(cmd)
		if len(args) < 3 || args[0] != "aws" || args[1] != "lambda" || args[2] != "add-permission" {
			t.Fatalf("fix %q: not an add-permission", cmd)
		}
		var sid, src string
		for i := 3; i+1 < len(args); i += 2 {
			v := strings.Trim(args[i+1], "'")
			switch args[i] {
			case "--statement-id":
				sid = v
			case "--source-arn":
				src = v
			}
		}
		out = append(out, stmt(sid, resource, arnLikeSource(src)))
	}
	return out
}

// TestPermissionExact pins one failed check whole: what the on-call engineer
// reads.
func TestPermissionExact(t *testing.T) {
	t.Parallel()
	got := Permission(policyOf(stmt("dev", ordersARN+":prod", arnLikeSource(execAPI+"xyz789/dev/*/*"))), shapeHTTP("prod").Match("lambdaAlias", fnOrders), "prod")
	want := outcome.Check{
		Name: "alias permission",
		Detail: "no statement of the resource policy lets API Gateway invoke orders:prod from GET /orders (" + execAPI + "xyz789/prod/GET/orders), POST /orders (" + execAPI + "xyz789/prod/POST/orders) of stage prod of HTTP API xyz789 " +
			"(statement dev allows only when ArnLike AWS:SourceArn " + execAPI + "xyz789/dev/*/*)",
		Fix: "aws lambda add-permission --function-name orders --qualifier prod --statement-id apigateway-xyz789-prod-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn '" + execAPI + "xyz789/prod/*/*'",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Permission() (-want +got):\n%s", diff)
	}
}

func FuzzPermission(f *testing.F) {
	prod := ordersARN + ":prod"
	f.Add(policyOf(stmt("s1", prod, arnLikeSource(execAPI+"abc123/*/*/*"))), "GET /orders/{id}", "prod")
	f.Add(`{"Statement":{"Principal":"*","Action":["*"],"Resource":"*","Effect":"Deny"}}`, "$default", "$default")
	f.Add(`{"Statement":[{"Condition":{"ArnLike":{"AWS:SourceArn":["*?*"]}}}]}`, "ANY /{proxy+}", "dev")
	f.Add(`{"Statement":null}`, "POST /", "prod")
	f.Fuzz(func(t *testing.T, policy, routeKey, stageName string) {
		st := restStage(map[string]string{"lambdaAlias": "prod"}, restURI(ordersARN+":"+varRef), routeKey)
		st.Name = stageName
		c := Permission(policy, st.Match("lambdaAlias", fnOrders), "prod")
		if c.OK && c.Fix != "" {
			t.Errorf("an OK check has a fix: %+v", c)
		}
		if !c.OK && (c.Fix == "" || c.Detail == "") {
			t.Errorf("a failed check has no fix or detail: %+v", c)
		}
	})
}
