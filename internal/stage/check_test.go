package stage

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

func TestChecks(t *testing.T) {
	t.Parallel()
	const (
		restVarURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + ordersARN + ":" + varRef + "/invocations"
		restSetVar = "aws apigateway update-stage --rest-api-id abc123 --stage-name prod --patch-operations op=replace,path=/variables/lambdaAlias,value=prod"
		deployREST = "aws apigateway create-deployment --rest-api-id abc123 --stage-name prod"
	)
	varOK := func(detail string) outcome.Check {
		return outcome.Check{Name: "stage variable", OK: true, Detail: detail}
	}
	integOK := func(detail string) outcome.Check { return outcome.Check{Name: "integration", OK: true, Detail: detail} }
	restWithMethod := func(uri string) Stage {
		st := shapeREST("prod")
		st.Integrations[2].URI = uri // POST /
		return st
	}

	tests := []struct {
		name  string
		st    Stage
		alias string
		want  []outcome.Check
	}{
		{
			name: "REST, the variable names the alias", st: shapeREST("prod"), alias: "prod",
			want: []outcome.Check{
				varOK("stage prod of REST API abc123 sets lambdaAlias=prod"),
				integOK("GET /orders calls orders:" + varRef + "; ANY /orders/{id} calls orders:" + varRef + "; POST / calls orders:" + varRef),
			},
		},
		{
			name: "REST, the variable names another alias", st: shapeREST("dev"), alias: "prod",
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 sets lambdaAlias=dev, not prod", Fix: restSetVar},
				integOK("GET /orders calls orders:" + varRef + "; ANY /orders/{id} calls orders:" + varRef + "; POST / calls orders:" + varRef),
			},
		},
		{
			name: "REST, variable unset", alias: "prod",
			st: func() Stage {
				st := shapeREST("prod")
				st.Variables = nil
				return st
			}(),
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 does not set stage variable lambdaAlias, which GET /orders, ANY /orders/{id}, POST / uses", Fix: restSetVar},
				integOK("GET /orders calls orders:" + varRef + "; ANY /orders/{id} calls orders:" + varRef + "; POST / calls orders:" + varRef),
			},
		},
		{
			// SAM's AutoPublishAlias: the integration names the alias; the
			// stage calls it, with no variable.
			name: "SAM AutoPublishAlias, the alias promoted", st: shapeSAMAutoPublish(), alias: "live",
			want: []outcome.Check{
				varOK("the integrations of stage prod of REST API abc123 name orders:live themselves; the stage does not select the alias through a variable (lambdaAlias is not used)"),
				integOK("ANY /{proxy+} names orders:live itself (the stage does not select the alias through a variable); ANY / names orders:live itself (the stage does not select the alias through a variable)"),
			},
		},
		{
			name: "SAM AutoPublishAlias, another alias promoted", st: shapeSAMAutoPublish(), alias: "prod",
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 does not set stage variable lambdaAlias", Fix: restSetVar},
				{
					Name:   "integration",
					Detail: "ANY /{proxy+} calls orders:live (a fixed qualifier); ANY / calls orders:live (a fixed qualifier), not orders:" + varRef,
					Fix: `aws apigateway update-integration --rest-api-id abc123 --resource-id r0 --http-method ANY --patch-operations '[{"op":"replace","path":"/uri","value":"` + restVarURI + `"}]' && ` +
						`aws apigateway update-integration --rest-api-id abc123 --resource-id r1 --http-method ANY --patch-operations '[{"op":"replace","path":"/uri","value":"` + restVarURI + `"}]' && ` + deployREST,
				},
			},
		},
		{
			name: "REST, a method on $LATEST", st: restWithMethod(restURI(ordersARN)), alias: "prod",
			want: []outcome.Check{
				varOK("stage prod of REST API abc123 sets lambdaAlias=prod"),
				{
					Name:   "integration",
					Detail: "POST / calls orders with no qualifier ($LATEST), not orders:" + varRef,
					Fix:    `aws apigateway update-integration --rest-api-id abc123 --resource-id r2 --http-method POST --patch-operations '[{"op":"replace","path":"/uri","value":"` + restVarURI + `"}]' && ` + deployREST,
				},
			},
		},
		{
			// The qualifier inside the value of the variable that names the
			// function: the fix keeps the function's name in the value.
			name: "function name from a variable, another alias", st: shapeFunctionVariable("orders:dev"), alias: "prod",
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 sets fn=orders:dev, so its integrations call orders:dev, not orders:prod",
					Fix: "aws apigateway update-stage --rest-api-id abc123 --stage-name prod --patch-operations op=replace,path=/variables/fn,value=orders:prod"},
				integOK("ANY /{proxy+} calls orders:dev through stage variable fn"),
			},
		},
		{
			name: "function name from a variable, the alias", st: shapeFunctionVariable("orders:prod"), alias: "prod",
			want: []outcome.Check{
				varOK("stage prod of REST API abc123 sets fn=orders:prod, through which its integrations call orders:prod"),
				integOK("ANY /{proxy+} calls orders:prod through stage variable fn"),
			},
		},
		{
			name: "function and alias from two variables", st: shapeTwoVariables("orders", "dev"), alias: "prod",
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 sets alias=dev, not prod",
					Fix: "aws apigateway update-stage --rest-api-id abc123 --stage-name prod --patch-operations op=replace,path=/variables/alias,value=prod"},
				integOK("GET /orders calls orders:dev through stage variable alias"),
			},
		},
		{
			name: "function name from a variable the stage does not set", st: Stage{Kind: KindREST, APIID: "abc123", Name: "prod", Resources: map[string]string{"/": "root1"},
				Routes:       []Route{{Method: "ANY", Path: "/", IntegrationID: "ANY /"}},
				Integrations: []Integration{{ID: "ANY /", URI: restURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}")}}},
			alias: "prod",
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage prod of REST API abc123 does not set stage variable lambdaAlias", Fix: restSetVar},
				{Name: "integration", Detail: "no integration of stage prod of REST API abc123 calls function orders (found: ANY / uses ${stageVariables.fn}, which stage prod does not set); if REST API abc123 does not serve orders, fix the api-id input instead",
					// The root resource has ANY already: only a new
					// /{proxy+} resource is offered.
					Fix: "resource=$(aws apigateway create-resource --rest-api-id abc123 --parent-id root1 --path-part '{proxy+}' --query id --output text) && " +
						`aws apigateway put-method --rest-api-id abc123 --resource-id "$resource" --http-method ANY --authorization-type NONE && ` +
						`aws apigateway put-integration --rest-api-id abc123 --resource-id "$resource" --http-method ANY --type AWS_PROXY --integration-http-method POST --uri '` + restVarURI + "' && " + deployREST},
			},
		},
		{
			name: "REST authorizer through the variable", st: shapeRESTAuthorizer(), alias: "prod",
			want: []outcome.Check{
				varOK("stage prod of REST API abc123 sets lambdaAlias=prod"),
				integOK("authorizer tokens (tok3n) calls orders:" + varRef),
			},
		},
		{
			name: "REST authorizer on a fixed version", alias: "prod",
			st: func() Stage {
				st := shapeRESTAuthorizer()
				st.Authorizers[0].URI = restURI(ordersARN + ":4")
				return st
			}(),
			want: []outcome.Check{
				varOK("stage prod of REST API abc123 sets lambdaAlias=prod"),
				{Name: "integration", Detail: "authorizer tokens (tok3n) calls orders:4 (a fixed qualifier), not orders:" + varRef,
					Fix: `aws apigateway update-authorizer --rest-api-id abc123 --authorizer-id tok3n --patch-operations '[{"op":"replace","path":"/authorizerUri","value":"` + restVarURI + `"}]' && ` + deployREST},
			},
		},
		{
			// The integration no route uses calls version 3: not judged.
			name: "HTTP API", st: shapeHTTP("prod"), alias: "prod",
			want: []outcome.Check{
				varOK("stage prod of HTTP API xyz789 sets lambdaAlias=prod"),
				integOK("integration i1 (GET /orders, POST /orders) calls orders:" + varRef),
			},
		},
		{
			name: "HTTP API only an unused integration calls the function", alias: "prod",
			st: func() Stage {
				st := shapeHTTP("prod")
				st.Routes = nil
				return st
			}(),
			want: []outcome.Check{
				varOK("stage prod of HTTP API xyz789 sets lambdaAlias=prod"),
				{Name: "integration", Detail: "no integration of stage prod of HTTP API xyz789 calls function orders (found: integration i1 calls it but no route uses it, integration old calls it but no route uses it); if HTTP API xyz789 does not serve orders, fix the api-id input instead",
					// The integration through the variable gets a route:
					// which route is a choice.
					Fix: "# either: every request that no other route takes ($default)\n" +
						"aws apigatewayv2 create-route --api-id xyz789 --route-key '$default' --target integrations/i1\n" +
						"# or: a route of your own, for example every path\n" +
						"aws apigatewayv2 create-route --api-id xyz789 --route-key 'ANY /{proxy+}' --target integrations/i1"},
			},
		},
		{
			// /{proxy+} exists with GET only, calling another function: a
			// second /{proxy+} cannot be made (one path part a parent), so
			// the fix puts ANY on the one there is.
			name: "REST resource /{proxy+} there, no method calls the function", alias: "prod",
			st: func() Stage {
				st := restStage(map[string]string{"lambdaAlias": "prod"}, restURI("arn:aws:lambda:us-east-1:123456789012:function:billing"), "GET /{proxy+}", "ANY /")
				st.Resources = map[string]string{"/": "root1", "/{proxy+}": "px1"}
				return st
			}(),
			want: []outcome.Check{
				{Name: "stage variable", OK: true, Detail: "stage prod of REST API abc123 sets lambdaAlias=prod"},
				{Name: "integration", Detail: "no integration of stage prod of REST API abc123 calls function orders (found: GET /{proxy+} calls arn:aws:lambda:us-east-1:123456789012:function:billing, ANY / calls arn:aws:lambda:us-east-1:123456789012:function:billing); if REST API abc123 does not serve orders, fix the api-id input instead",
					Fix: "aws apigateway put-method --rest-api-id abc123 --resource-id px1 --http-method ANY --authorization-type NONE && " +
						"aws apigateway put-integration --rest-api-id abc123 --resource-id px1 --http-method ANY --type AWS_PROXY --integration-http-method POST --uri '" + restVarURI + "' && " + deployREST},
			},
		},
		{
			// The only unused integration calls a fixed version: routing it
			// would send the route's traffic to version 3, so the fix makes
			// an integration through the variable instead.
			name: "HTTP API only an unused integration on a fixed version", alias: "prod",
			st: func() Stage {
				st := shapeHTTP("prod")
				st.Routes = nil
				st.Integrations = st.Integrations[1:]
				return st
			}(),
			want: []outcome.Check{
				varOK("stage prod of HTTP API xyz789 sets lambdaAlias=prod"),
				{Name: "integration", Detail: "no integration of stage prod of HTTP API xyz789 calls function orders (found: integration old calls it but no route uses it); if HTTP API xyz789 does not serve orders, fix the api-id input instead",
					Fix: "# either: every request that no other route takes ($default)\n" +
						"integration=$(aws apigatewayv2 create-integration --api-id xyz789 --integration-type AWS_PROXY --payload-format-version 2.0 --integration-uri '" + ordersARN + ":" + varRef + "' --query IntegrationId --output text) && " +
						`aws apigatewayv2 create-route --api-id xyz789 --route-key '$default' --target "integrations/$integration"` + "\n" +
						"# or: a route of your own, for example every path\n" +
						"integration=$(aws apigatewayv2 create-integration --api-id xyz789 --integration-type AWS_PROXY --payload-format-version 2.0 --integration-uri '" + ordersARN + ":" + varRef + "' --query IntegrationId --output text) && " +
						`aws apigatewayv2 create-route --api-id xyz789 --route-key 'ANY /{proxy+}' --target "integrations/$integration"`},
			},
		},
		{
			// The variable fix keeps the stage's other variables, and the
			// $default stage name is quoted for the shell.
			name: "HTTP API $default stage, variable unset, authorizer on a version", alias: "prod",
			st: func() Stage {
				st := shapeHTTPDefault()
				st.Variables = map[string]string{"region": "eu"}
				st.AutoDeploy = false
				st.Authorizers[0].URI = ordersARN + ":7"
				return st
			}(),
			want: []outcome.Check{
				{Name: "stage variable", Detail: "stage $default of HTTP API xyz789 does not set stage variable lambdaAlias, which integration i1 ($default) uses",
					Fix: "aws apigatewayv2 update-stage --api-id xyz789 --stage-name '$default' --stage-variables lambdaAlias=prod,region=eu"},
				{Name: "integration", Detail: "authorizer gate (au1) calls orders:7 (a fixed qualifier), not orders:" + varRef,
					Fix: "aws apigatewayv2 update-authorizer --api-id xyz789 --authorizer-id au1 --authorizer-uri '" + ordersARN + ":" + varRef + "' && aws apigatewayv2 create-deployment --api-id xyz789 --stage-name '$default'"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.st.Match("lambdaAlias", fnOrders).Checks(tt.alias)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Checks(%s) (-want +got):\n%s", tt.alias, diff)
			}
		})
	}
}
