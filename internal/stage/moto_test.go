package stage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// TestMoto reads stages seeded on moto's server with the real SDK clients,
// matches and judges them as the action does, and where a check fails,
// applies what it says and judges again. One server for all subtests; each
// subtest has its own API, and its own statement ids on the shared function
// (moto's GetPolicy returns every statement of the function, whatever the
// qualifier).
func TestMoto(t *testing.T) {
	t.Parallel()
	s := moto.StartT(t)
	ctx := t.Context()
	// Through a proxy without the realism layer: AWS's API models judge
	// every request the checks send (and the test fails on a mismatch).
	cfg := faultproxy.NewT(t, s.URL).AWSConfig(s.AWSConfig())
	clients := stage.Clients{REST: apigateway.NewFromConfig(cfg), HTTP: apigatewayv2.NewFromConfig(cfg)}
	lc := lambda.NewFromConfig(cfg)

	w, err := s.Demo(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	fn := lambdaarn.MustParse(w.FunctionARN)
	if err := s.CreateAlias(ctx, "orders", "dev", "1", nil); err != nil {
		t.Fatal(err)
	}
	restURI := func(qualifier string) string { return s.RESTIntegrationURI(fn.Qualified(qualifier)) }
	viaVariable := "${stageVariables.lambdaAlias}"

	// judge reads the stage, matches it, and judges the checks and the
	// permission of alias prod.
	judge := func(t *testing.T, apiID, stageName string) (stage.Finding, []outcome.Check) {
		t.Helper()
		st, err := stage.Read(ctx, clients, apiID, stageName)
		if err != nil {
			t.Fatal(err)
		}
		f := st.Match("lambdaAlias", fn)
		policy, err := stage.ReadPolicy(ctx, lc, "orders", "prod")
		if err != nil {
			t.Fatal(err)
		}
		checks := append(f.Checks("prod"), stage.Permission(policy, f, "prod"))
		for _, c := range checks {
			if !c.OK && (c.Detail == "" || c.Fix == "") {
				t.Errorf("failed check without detail or fix: %+v", c)
			}
		}
		return f, checks
	}
	oks := func(checks []outcome.Check) []bool {
		var out []bool
		for _, c := range checks {
			out = append(out, c.OK)
		}
		return out
	}
	want := func(t *testing.T, checks []outcome.Check, ok []bool, details ...string) {
		t.Helper()
		if diff := cmp.Diff(ok, oks(checks)); diff != "" {
			t.Errorf("checks OK (-want +got):\n%s\n%+v", diff, checks)
		}
		all := ""
		for _, c := range checks {
			all += c.Detail + "\n" + c.Fix + "\n"
		}
		for _, d := range details {
			if !strings.Contains(all, d) {
				t.Errorf("checks do not say %q:\n%s", d, all)
			}
		}
	}

	t.Run("demo REST stage", func(t *testing.T) {
		t.Parallel()
		f, checks := judge(t, w.RESTAPIID, "prod")
		want(t, checks, []bool{true, true, true}, "ANY / calls orders:${stageVariables.lambdaAlias}")
		if got, want := f.URL, "https://"+w.RESTAPIID+".execute-api.us-east-1.amazonaws.com/prod"; got != want {
			t.Errorf("URL = %s, want %s", got, want)
		}
	})

	// A permission for the dev stage does not let the prod stage in
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html);
	// the fix names the routes and adds a prod-scoped statement.
	t.Run("stage-scoped permission", func(t *testing.T) {
		t.Parallel()
		api, _, err := s.RESTAPI(ctx, moto.RESTSpec{
			Name: "scoped", Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
			Methods: []moto.RESTMethod{
				{Path: "/orders", Method: "GET", URI: restURI(viaVariable)},
				{Path: "/orders/{id}", Method: "ANY", URI: restURI(viaVariable)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AllowSource(ctx, "orders", "prod", "scoped-dev", s.ExecuteAPIARN(api, "dev/*/*")); err != nil {
			t.Fatal(err)
		}
		_, checks := judge(t, api, "prod")
		want(t, checks, []bool{true, true, false},
			"GET /orders ("+s.ExecuteAPIARN(api, "prod/GET/orders")+")",
			"ANY /orders/{id} ("+s.ExecuteAPIARN(api, "prod/*/orders/{id}")+")",
			"--source-arn '"+s.ExecuteAPIARN(api, "prod/*/*")+"'")

		if err := s.AllowSource(ctx, "orders", "prod", "scoped-prod", s.ExecuteAPIARN(api, "prod/*/*")); err != nil {
			t.Fatal(err)
		}
		_, checks = judge(t, api, "prod")
		want(t, checks, []bool{true, true, true}, "statement scoped-prod lets API Gateway invoke orders:prod from GET /orders, ANY /orders/{id}")
	})

	// The function name itself from a stage variable, the qualifier inside
	// its value
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/amazon-api-gateway-using-stage-variables.html).
	t.Run("function name from a variable", func(t *testing.T) {
		t.Parallel()
		uri := s.RESTIntegrationURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}")
		api, _, err := s.RESTAPI(ctx, moto.RESTSpec{
			Name: "byname", Stage: "prod", Variables: map[string]string{"fn": "orders:dev"},
			Methods: []moto.RESTMethod{{Path: "/", Method: "ANY", URI: uri}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AllowSource(ctx, "orders", "prod", "byname", s.ExecuteAPIARN(api, "prod/*/")); err != nil {
			t.Fatal(err)
		}
		_, checks := judge(t, api, "prod")
		want(t, checks, []bool{false, true, true},
			"sets fn=orders:dev, so its integrations call orders:dev, not orders:prod",
			"path=/variables/fn,value=orders:prod")

		if _, err := clients.REST.(*apigateway.Client).UpdateStage(ctx, &apigateway.UpdateStageInput{
			RestApiId: &api, StageName: ptr("prod"),
			PatchOperations: patch("/variables/fn", "orders:prod"),
		}); err != nil {
			t.Fatal(err)
		}
		_, checks = judge(t, api, "prod")
		want(t, checks, []bool{true, true, true}, "sets fn=orders:prod, through which its integrations call orders:prod")
	})

	// A REST API's Lambda authorizer is invoked with its own source ARN,
	// APIID/authorizers/ID
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html).
	t.Run("REST authorizer", func(t *testing.T) {
		t.Parallel()
		api, auth, err := s.RESTAPI(ctx, moto.RESTSpec{
			Name: "authz", Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
			Authorizers: []moto.RESTAuthorizer{{Name: "tokens", Type: "TOKEN", URI: restURI(viaVariable)}},
			Methods: []moto.RESTMethod{
				{Path: "/orders", Method: "GET", URI: s.RESTIntegrationURI(s.FunctionARN("billing")), Authorizer: "tokens"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AllowSource(ctx, "orders", "prod", "authz-routes", s.ExecuteAPIARN(api, "prod/*/*")); err != nil {
			t.Fatal(err)
		}
		_, checks := judge(t, api, "prod")
		src := s.ExecuteAPIARN(api, "authorizers/"+auth["tokens"])
		want(t, checks, []bool{true, true, false},
			"authorizer tokens ("+auth["tokens"]+") calls orders:${stageVariables.lambdaAlias}",
			"--source-arn "+src)

		if err := s.AllowSource(ctx, "orders", "prod", "authz-authorizer", src); err != nil {
			t.Fatal(err)
		}
		_, checks = judge(t, api, "prod")
		want(t, checks, []bool{true, true, true}, "statement authz-authorizer lets API Gateway invoke orders:prod from authorizer tokens")
	})

	// An HTTP API's $default stage (no path in the URL) and $default route
	// (source ARN APIID/$default/$default), an HTTP Lambda authorizer, and
	// an integration no route uses, which is not judged.
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
	t.Run("HTTP API $default", func(t *testing.T) {
		t.Parallel()
		api, integ, auth, err := s.HTTPAPI(ctx, moto.HTTPSpec{
			Name: "default", Stage: "$default", Variables: map[string]string{"lambdaAlias": "prod"},
			Integrations: []moto.HTTPIntegration{{URI: fn.Qualified(viaVariable)}, {URI: fn.Qualified("3")}},
			Authorizers:  []moto.HTTPAuthorizer{{Name: "gate", URI: fn.Qualified("prod")}},
			Routes:       []moto.HTTPRoute{{Key: "$default", Integration: 0, Authorizer: "gate"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		// The SAM shape for a $default route.
		if err := s.AllowSource(ctx, "orders", "prod", "default-route", s.ExecuteAPIARN(api, "*/$default")); err != nil {
			t.Fatal(err)
		}
		f, checks := judge(t, api, "$default")
		want(t, checks, []bool{true, true, false},
			"integration "+integ[0]+" ($default) calls orders:${stageVariables.lambdaAlias}",
			"authorizer gate ("+auth["gate"]+") names orders:prod itself",
			"authorizers/"+auth["gate"])
		if got, want := f.URL, "https://"+api+".execute-api.us-east-1.amazonaws.com/"; got != want {
			t.Errorf("URL = %s, want %s", got, want)
		}
		if diff := cmp.Diff([]string{"integration " + integ[1]}, f.Unused); diff != "" {
			t.Errorf("unused integrations (-want +got):\n%s", diff)
		}

		if err := s.AllowSource(ctx, "orders", "prod", "default-gate", s.ExecuteAPIARN(api, "authorizers/"+auth["gate"])); err != nil {
			t.Fatal(err)
		}
		_, checks = judge(t, api, "$default")
		want(t, checks, []bool{true, true, true})
	})

	// API Gateway puts the route's path template in the source ARN, {id}
	// and {proxy+} as written, and the request's method: the grants that
	// public infrastructure code writes are judged as AWS judges them, and
	// the fix the check prints, run with the AWS CLI as the person on call
	// would, makes the check pass. See routeSource in match.go for the
	// sources.
	t.Run("path templates, and the printed fix run", func(t *testing.T) {
		t.Parallel()
		moto.RequireCLI(t)
		api, _, err := s.RESTAPI(ctx, moto.RESTSpec{
			Name: "templates", Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
			Methods: []moto.RESTMethod{
				{Path: "/{proxy+}", Method: "ANY", URI: restURI(viaVariable)},
				{Path: "/orders/{id}", Method: "GET", URI: restURI(viaVariable)},
				{Path: "/", Method: "ANY", URI: restURI(viaVariable)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Terraform's EXECUTION_ARN/*/*/{proxy+}, and serverless-aws-alias's
		// per-route APIID/*/GET/orders/{id}: each covers its own route; the
		// root resource ANY / is left out.
		if err := s.AllowSource(ctx, "orders", "prod", "tpl-proxy", s.ExecuteAPIARN(api, "*/*/{proxy+}")); err != nil {
			t.Fatal(err)
		}
		if err := s.AllowSource(ctx, "orders", "prod", "tpl-get", s.ExecuteAPIARN(api, "*/GET/orders/{id}")); err != nil {
			t.Fatal(err)
		}
		_, checks := judge(t, api, "prod")
		want(t, checks, []bool{true, true, false},
			"from ANY / ("+s.ExecuteAPIARN(api, "prod/*/")+") of stage prod",
			"statement tpl-proxy covers ANY /{proxy+}, statement tpl-get covers GET /orders/{id}")
		fix := checks[2].Fix
		if !strings.Contains(fix, "--source-arn '"+s.ExecuteAPIARN(api, "prod/*/")+"'") {
			t.Fatalf("fix = %q, want the source ARN of ANY /", fix)
		}
		if out, err := s.RunCLI(ctx, fix); err != nil {
			t.Fatalf("the printed fix failed: %v", err)
		} else {
			t.Logf("ran %s\n%s", fix, out)
		}
		_, checks = judge(t, api, "prod")
		want(t, checks, []bool{true, true, true}, "statement apigateway-"+api+"-prod-prod covers ANY /")
	})

	// An HTTP API: EXECUTION_ARN/*/*/{proxy+} covers ANY /{proxy+} but not
	// the $default route, whose source ARN ends in /$default; the printed
	// fix covers both.
	t.Run("HTTP API path templates and $default, and the printed fix run", func(t *testing.T) {
		t.Parallel()
		moto.RequireCLI(t)
		api, _, _, err := s.HTTPAPI(ctx, moto.HTTPSpec{
			Name: "templates", Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
			Integrations: []moto.HTTPIntegration{{URI: fn.Qualified(viaVariable)}},
			Routes: []moto.HTTPRoute{
				{Key: "ANY /{proxy+}", Integration: 0},
				{Key: "GET /orders/{id}", Integration: 0},
				{Key: "$default", Integration: 0},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AllowSource(ctx, "orders", "prod", "http-proxy", s.ExecuteAPIARN(api, "*/*/{proxy+}")); err != nil {
			t.Fatal(err)
		}
		if err := s.AllowSource(ctx, "orders", "prod", "http-get", s.ExecuteAPIARN(api, "*/*/orders/{id}")); err != nil {
			t.Fatal(err)
		}
		_, checks := judge(t, api, "prod")
		want(t, checks, []bool{true, true, false},
			"from $default ("+s.ExecuteAPIARN(api, "prod/$default")+") of stage prod",
			"statement http-proxy covers ANY /{proxy+}, statement http-get covers GET /orders/{id}")
		fix := checks[2].Fix
		if _, err := s.RunCLI(ctx, fix); err != nil {
			t.Fatalf("the printed fix failed: %v", err)
		}
		_, checks = judge(t, api, "prod")
		want(t, checks, []bool{true, true, true}, "covers $default")
	})

	// An integration with a credentials role is invoked as that role: no
	// statement is needed for it.
	t.Run("credentials role", func(t *testing.T) {
		t.Parallel()
		role := "arn:aws:iam::123456789012:role/apigw-invoke"
		api, _, err := s.RESTAPI(ctx, moto.RESTSpec{
			Name: "role", Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
			Methods: []moto.RESTMethod{{Path: "/", Method: "POST", URI: restURI(viaVariable), Credentials: role}},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, checks := judge(t, api, "prod")
		want(t, checks, []bool{true, true, true}, "POST / invokes orders:prod with role "+role+", so the resource policy does not decide it")
	})

	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		httpID, err := s.CreateHTTPStage(ctx, "orders", "prod", "prod")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, apiID, stage, want string
		}{
			{"rest stage", w.RESTAPIID, "live", "aws apigateway get-stages --rest-api-id " + w.RESTAPIID},
			{"http stage", httpID, "live", "aws apigatewayv2 get-stages --api-id " + httpID},
			{"api", "nope123456", "prod", "aws apigatewayv2 get-apis"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := stage.Read(ctx, clients, tt.apiID, tt.stage)
				if !errors.Is(err, stage.ErrNotFound) {
					t.Fatalf("Read() error = %v, want ErrNotFound", err)
				}
				// The command is the error's hint, which the summary and
				// the log show as the next step's code.
				if _, code, ok := fix.HintOf(err); !ok || !strings.Contains(code, tt.want) {
					t.Errorf("Read() error = %q with hint %q, want a hint naming %q", err, code, tt.want)
				}
			})
		}
	})

	t.Run("no policy", func(t *testing.T) {
		t.Parallel()
		arn, err := s.CreateFunction(ctx, "nopolicy", w.RoleARN)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAlias(ctx, "nopolicy", "prod", "$LATEST", nil); err != nil {
			t.Fatal(err)
		}
		policy, err := stage.ReadPolicy(ctx, lc, "nopolicy", "prod")
		if err != nil || policy != "" {
			t.Fatalf("ReadPolicy() = %q, %v, want no policy", policy, err)
		}
		nf := lambdaarn.MustParse(arn)
		api, _, err := s.RESTAPI(ctx, moto.RESTSpec{
			Name: "nopolicy", Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
			Methods: []moto.RESTMethod{{Path: "/", Method: "GET", URI: s.RESTIntegrationURI(nf.Qualified(viaVariable))}},
		})
		if err != nil {
			t.Fatal(err)
		}
		st, err := stage.Read(ctx, clients, api, "prod")
		if err != nil {
			t.Fatal(err)
		}
		got := stage.Permission(policy, st.Match("lambdaAlias", nf), "prod")
		wantCheck := outcome.Check{
			Name:   "alias permission",
			Detail: "nopolicy:prod has no resource policy, so API Gateway may not invoke it from GET / (" + s.ExecuteAPIARN(api, "prod/GET/") + ") of stage prod of REST API " + api,
			Fix: "aws lambda add-permission --function-name nopolicy --qualifier prod --statement-id apigateway-" + api +
				"-prod-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn " + s.ExecuteAPIARN(api, "prod/GET/"),
		}
		if diff := cmp.Diff(wantCheck, got); diff != "" {
			t.Errorf("Permission() (-want +got):\n%s", diff)
		}
	})
}

func ptr(s string) *string { return &s }

func patch(path, value string) []agtypes.PatchOperation {
	return []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: &path, Value: &value}}
}
