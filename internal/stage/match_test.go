package stage

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	const exec = "arn:aws:execute-api:us-east-1:123456789012:"
	type binding struct {
		Where, Resolved, Qualifier, QualifierVariable, NameVariable, Credentials string
		Routes, SourceARNs                                                       []string
	}
	eusc := lambdaarn.MustParse("arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders")
	isob := lambdaarn.MustParse("arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:orders")
	tests := []struct {
		name     string
		st       Stage
		fn       lambdaarn.Function
		url      string
		bindings []binding
		unused   []string
		others   []string
	}{
		{
			name: "REST stage variable", st: shapeREST("prod"), fn: fnOrders,
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "GET /orders", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"GET /orders"}, SourceARNs: []string{exec + "abc123/prod/GET/orders"}},
				// ANY and path parameters stand for any method and value.
				{Where: "ANY /orders/{id}", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"ANY /orders/{id}"}, SourceARNs: []string{exec + "abc123/prod/*/orders/{id}"}},
				// The root resource: STAGE/METHOD/ with nothing after.
				{Where: "POST /", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"POST /"}, SourceARNs: []string{exec + "abc123/prod/POST/"}},
			},
		},
		{
			name: "SAM AutoPublishAlias names the alias", st: shapeSAMAutoPublish(), fn: fnOrders,
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "ANY /{proxy+}", Resolved: ordersARN + ":live", Qualifier: "live", Routes: []string{"ANY /{proxy+}"}, SourceARNs: []string{exec + "abc123/prod/*/{proxy+}"}},
				{Where: "ANY /", Resolved: ordersARN + ":live", Qualifier: "live", Routes: []string{"ANY /"}, SourceARNs: []string{exec + "abc123/prod/*/"}},
			},
		},
		{
			name: "function name from a variable", st: shapeFunctionVariable("orders:prod"), fn: fnOrders,
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "ANY /{proxy+}", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "fn", NameVariable: "fn",
					Routes: []string{"ANY /{proxy+}"}, SourceARNs: []string{exec + "abc123/prod/*/{proxy+}"}},
			},
		},
		{
			name: "function name from a variable naming another function", st: shapeFunctionVariable("billing:prod"), fn: fnOrders,
			url:    "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			others: []string{"ANY /{proxy+} calls arn:aws:lambda:us-east-1:123456789012:function:billing:prod"},
		},
		{
			name: "function and alias from two variables", st: shapeTwoVariables("orders", "prod"), fn: fnOrders,
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "GET /orders", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "alias", NameVariable: "fn",
					Routes: []string{"GET /orders"}, SourceARNs: []string{exec + "abc123/prod/GET/orders"}},
			},
		},
		{
			// The authorizer no method uses and the Cognito one are not
			// judged; the authorizer's source ARN is the API's, not a
			// stage's.
			name: "REST Lambda authorizer", st: shapeRESTAuthorizer(), fn: fnOrders,
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "authorizer tokens (tok3n)", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"GET /invoices"}, SourceARNs: []string{exec + "abc123/authorizers/tok3n"}},
			},
			unused: []string{"authorizer spare (unus3d)"},
			others: []string{"GET /invoices calls arn:aws:lambda:us-east-1:123456789012:function:billing"},
		},
		{
			name: "HTTP API, an integration no route uses", st: shapeHTTP("prod"), fn: fnOrders,
			url: "https://xyz789.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "integration i1 (GET /orders, POST /orders)", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"GET /orders", "POST /orders"}, SourceARNs: []string{exec + "xyz789/prod/GET/orders", exec + "xyz789/prod/POST/orders"}},
			},
			unused: []string{"integration old"},
		},
		{
			// $default stage: no stage in the URL, "$default" in the
			// source ARN; the $default route has no method or path.
			name: "HTTP API $default stage and route, authorizer", st: shapeHTTPDefault(), fn: fnOrders,
			url: "https://xyz789.execute-api.us-east-1.amazonaws.com/",
			bindings: []binding{
				{Where: "integration i1 ($default)", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"$default"}, SourceARNs: []string{exec + "xyz789/$default/$default"}},
				{Where: "authorizer gate (au1)", Resolved: ordersARN + ":prod", Qualifier: "prod",
					Routes: []string{"$default"}, SourceARNs: []string{exec + "xyz789/authorizers/au1"}},
			},
		},
		{
			name: "credentials role", st: shapeCredentials(), fn: fnOrders,
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			bindings: []binding{
				{Where: "GET /orders", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias", Routes: []string{"GET /orders"}, SourceARNs: []string{exec + "abc123/prod/GET/orders"}},
				{Where: "ANY /orders/{id}", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias", Routes: []string{"ANY /orders/{id}"}, SourceARNs: []string{exec + "abc123/prod/*/orders/{id}"}},
				{Where: "POST /", Resolved: ordersARN + ":prod", Qualifier: "prod", QualifierVariable: "lambdaAlias", Credentials: "arn:aws:iam::123456789012:role/apigw-invoke",
					Routes: []string{"POST /"}, SourceARNs: []string{exec + "abc123/prod/POST/"}},
			},
		},
		{
			name: "EU sovereign cloud", st: shapePartition(eusc), fn: eusc,
			url: "https://abc123.execute-api.eusc-de-east-1.amazonaws.eu/prod",
			bindings: []binding{
				{Where: "GET /orders", Resolved: eusc.Qualified("prod"), Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"GET /orders"}, SourceARNs: []string{"arn:aws-eusc:execute-api:eusc-de-east-1:123456789012:abc123/prod/GET/orders"}},
			},
		},
		{
			name: "ISO-B partition", st: shapePartition(isob), fn: isob,
			url: "https://abc123.execute-api.us-isob-east-1.sc2s.sgov.gov/prod",
			bindings: []binding{
				{Where: "GET /orders", Resolved: isob.Qualified("prod"), Qualifier: "prod", QualifierVariable: "lambdaAlias",
					Routes: []string{"GET /orders"}, SourceARNs: []string{"arn:aws-iso-b:execute-api:us-isob-east-1:123456789012:abc123/prod/GET/orders"}},
			},
		},
		{
			// The same function name in another partition is another
			// function.
			name: "function of another partition", st: shapePartition(eusc), fn: fnOrders,
			url:    "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
			others: []string{"GET /orders calls " + eusc.Qualified("prod")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.st.Match("lambdaAlias", tt.fn)
			var got []binding
			for _, b := range f.Bindings {
				got = append(got, binding{b.Where, b.Resolved, b.Qualifier, b.QualifierVariable, b.NameVariable, b.Credentials, b.Routes, b.SourceARNs})
			}
			if diff := cmp.Diff(tt.bindings, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("bindings (-want +got):\n%s", diff)
			}
			if f.URL != tt.url {
				t.Errorf("URL = %s, want %s", f.URL, tt.url)
			}
			if diff := cmp.Diff(tt.unused, f.Unused, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("unused (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.others, f.Others, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("others (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchUnresolved(t *testing.T) {
	t.Parallel()
	st := shapeFunctionVariable("")
	st.Variables = nil
	f := st.Match("lambdaAlias", fnOrders)
	want := []string{"ANY /{proxy+} uses ${stageVariables.fn}, which stage prod does not set"}
	if diff := cmp.Diff(want, f.Unresolved); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
	if len(f.Bindings) != 0 {
		t.Errorf("bindings %+v, want none", f.Bindings)
	}
}
