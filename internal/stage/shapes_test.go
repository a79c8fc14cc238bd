package stage

import (
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
)

// The API definitions the judging tests use, in the shapes public templates
// and AWS's how-tos give them, as Read returns them. Function orders of
// account 123456789012 in us-east-1 unless a shape says otherwise.

var fnOrders = lambdaarn.MustParse(ordersARN)

// restStage is a REST API stage prod whose methods all call uri through
// their own integration.
func restStage(vars map[string]string, uri string, methods ...string) Stage {
	st := Stage{Kind: KindREST, APIID: "abc123", Name: "prod", Variables: vars, Resources: map[string]string{"/": "root1"}}
	for i, m := range methods {
		method, path := splitKey(m)
		id := method + " " + path
		st.Routes = append(st.Routes, Route{Method: method, Path: path, IntegrationID: id})
		st.Integrations = append(st.Integrations, Integration{ID: id, URI: uri, ResourceID: "r" + string(rune('0'+i)), HTTPMethod: method})
	}
	return st
}

func splitKey(key string) (string, string) {
	r := parseRouteKey(key)
	return r.Method, r.Path
}

// shapeREST is the AWS how-to's stage-variable setup: every method calls
// FUNCTION:${stageVariables.lambdaAlias}.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/amazon-api-gateway-using-stage-variables.html
func shapeREST(alias string) Stage {
	return restStage(map[string]string{"lambdaAlias": alias}, restURI(ordersARN+":"+varRef), "GET /orders", "ANY /orders/{id}", "POST /")
}

// shapeSAMAutoPublish is what SAM generates for a function with
// AutoPublishAlias: live and an Api event on ANY /{proxy+}: the integration
// names the alias ARN itself (!Ref MyFunction.Alias), no stage variable.
// https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html#sam-function-autopublishalias
func shapeSAMAutoPublish() Stage {
	return restStage(nil, restURI(ordersARN+":live"), "ANY /{proxy+}", "ANY /")
}

// shapeFunctionVariable names the function through a stage variable whose
// value holds the qualifier too (fn=orders:prod), as the API Gateway docs
// allow: function:${stageVariables.fn}.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/aws-api-gateway-stage-variables-reference.html
func shapeFunctionVariable(value string) Stage {
	return restStage(map[string]string{"fn": value},
		restURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"), "ANY /{proxy+}")
}

// shapeTwoVariables names function and alias through two variables:
// function:${stageVariables.fn}:${stageVariables.alias}.
func shapeTwoVariables(fn, alias string) Stage {
	return restStage(map[string]string{"fn": fn, "alias": alias},
		restURI("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}:${stageVariables.alias}"), "GET /orders")
}

// shapeRESTAuthorizer is the AWS how-to's REST API with a Lambda TOKEN
// authorizer that calls the function; the methods call another function.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html
func shapeRESTAuthorizer() Stage {
	st := restStage(map[string]string{"lambdaAlias": "prod"}, restURI("arn:aws:lambda:us-east-1:123456789012:function:billing"), "GET /invoices")
	st.Routes[0].AuthorizerID = "tok3n"
	st.Authorizers = []Authorizer{
		{ID: "tok3n", Name: "tokens", Type: "TOKEN", URI: restURI(ordersARN + ":" + varRef)},
		{ID: "unus3d", Name: "spare", Type: "TOKEN", URI: restURI(ordersARN + ":" + varRef)},
		{ID: "c0gn1to", Name: "pool", Type: "COGNITO_USER_POOLS"},
	}
	return st
}

// shapeHTTP is an HTTP API as Terraform's aws_apigatewayv2_* examples build
// it: an integration with the function through the stage variable, routes
// to it, and an integration that no route uses (left over from an old
// route), which API Gateway never invokes.
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/apigatewayv2_integration
func shapeHTTP(stageName string) Stage {
	return Stage{
		Kind: KindHTTP, APIID: "xyz789", Name: stageName, AutoDeploy: true,
		Variables: map[string]string{"lambdaAlias": "prod", "region": "eu"},
		Integrations: []Integration{
			{ID: "i1", URI: ordersARN + ":" + varRef},
			{ID: "old", URI: ordersARN + ":3"},
		},
		Routes: []Route{
			{Method: "GET", Path: "/orders", IntegrationID: "i1"},
			{Method: "POST", Path: "/orders", IntegrationID: "i1"},
		},
	}
}

// shapeHTTPDefault is the console's, SAM's and CDK's HTTP API: the
// $default stage and a $default route to the function, with a Lambda
// REQUEST authorizer that calls the function by its alias ARN.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
func shapeHTTPDefault() Stage {
	return Stage{
		Kind: KindHTTP, APIID: "xyz789", Name: DefaultStage, AutoDeploy: true,
		Variables:    map[string]string{"lambdaAlias": "prod"},
		Integrations: []Integration{{ID: "i1", URI: ordersARN + ":" + varRef}},
		Routes:       []Route{{Path: DefaultStage, IntegrationID: "i1", AuthorizerID: "au1"}},
		Authorizers:  []Authorizer{{ID: "au1", Name: "gate", Type: "REQUEST", URI: ordersARN + ":prod"}},
	}
}

// shapeCredentials is a REST API whose integration carries a credentials
// role: API Gateway assumes it to call Lambda.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html
func shapeCredentials() Stage {
	st := shapeREST("prod")
	for i := range st.Integrations {
		if st.Integrations[i].HTTPMethod == "POST" {
			st.Integrations[i].Credentials = "arn:aws:iam::123456789012:role/apigw-invoke"
		}
	}
	return st
}

// shapePartition is the how-to's REST API in another partition: the
// function, the invoke URL and the source ARNs all in it.
func shapePartition(fn lambdaarn.Function) Stage {
	return restStage(map[string]string{"lambdaAlias": "prod"},
		"arn:"+fn.Partition+":apigateway:"+fn.Region+":lambda:path/2015-03-31/functions/"+fn.Qualified(varRef)+"/invocations", "GET /orders")
}
