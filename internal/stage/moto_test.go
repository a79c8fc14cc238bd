package stage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// TestMoto checks stages and permissions seeded on moto's server, one server
// for all subtests.
func TestMoto(t *testing.T) {
	t.Parallel()
	s := moto.StartT(t)
	ctx := t.Context()
	cfg := s.AWSConfig()
	clients := stage.Clients{REST: apigateway.NewFromConfig(cfg), HTTP: apigatewayv2.NewFromConfig(cfg)}
	lc := lambda.NewFromConfig(cfg)

	w, err := s.Demo(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	httpID := must(s.CreateHTTPStage(ctx, "orders", "prod", "prod"))
	httpDefault := must(s.CreateHTTPStage(ctx, "orders", "$default", "prod"))
	mismatch := must(s.CreateRESTStage(ctx, "orders", "prod", "dev"))
	unset := must(s.CreateRESTStage(ctx, "orders", "prod", ""))
	fixed := must(s.CreateRESTStageURI(ctx, "fixed", s.RESTIntegrationURI(w.FunctionARN+":3"), "prod", "prod"))
	other := must(s.CreateRESTStageURI(ctx, "other", s.RESTIntegrationURI(s.FunctionARN("billing")+":${stageVariables.lambdaAlias}"), "prod", "prod"))
	if err := s.AllowAPIGateway(ctx, "orders", "prod", httpID); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAlias(ctx, "orders", "dev", "1", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AllowAPIGateway(ctx, "orders", "dev", mismatch); err != nil {
		t.Fatal(err)
	}
	restURI := s.RESTIntegrationURI(w.FunctionARN + ":${stageVariables.lambdaAlias}")
	httpURI := w.FunctionARN + ":${stageVariables.lambdaAlias}"
	prefix := func(id string) string { return "arn:aws:execute-api:us-east-1:123456789012:" + id }
	ignore := cmpopts.IgnoreFields(stage.Finding{}, "Bindings", "Others", "AutoDeploy")

	t.Run("inspect", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			apiID  string
			stage  string
			want   stage.Finding
			checks []bool // OK of the stage variable and integration checks
		}{
			{
				name: "rest ok", apiID: w.RESTAPIID, stage: "prod",
				want: stage.Finding{Kind: "REST API", APIID: w.RESTAPIID, Stage: "prod", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true,
					Integrations: []string{restURI}, UsesVariable: true, URL: "https://" + w.RESTAPIID + ".execute-api.us-east-1.amazonaws.com/prod",
					SourceARNPrefix: prefix(w.RESTAPIID), StageVariables: map[string]string{"lambdaAlias": "prod"}},
				checks: []bool{true, true},
			},
			{
				name: "http ok", apiID: httpID, stage: "prod",
				want: stage.Finding{Kind: "HTTP API", APIID: httpID, Stage: "prod", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true,
					Integrations: []string{httpURI}, UsesVariable: true, URL: "https://" + httpID + ".execute-api.us-east-1.amazonaws.com/prod",
					SourceARNPrefix: prefix(httpID), StageVariables: map[string]string{"lambdaAlias": "prod"}},
				checks: []bool{true, true},
			},
			{
				name: "http default stage", apiID: httpDefault, stage: "$default",
				want: stage.Finding{Kind: "HTTP API", APIID: httpDefault, Stage: "$default", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true,
					Integrations: []string{httpURI}, UsesVariable: true, URL: "https://" + httpDefault + ".execute-api.us-east-1.amazonaws.com",
					SourceARNPrefix: prefix(httpDefault), StageVariables: map[string]string{"lambdaAlias": "prod"}},
				checks: []bool{true, true},
			},
			{
				name: "variable mismatch", apiID: mismatch, stage: "prod",
				want: stage.Finding{Kind: "REST API", APIID: mismatch, Stage: "prod", Variable: "lambdaAlias", VariableValue: "dev", VariableSet: true,
					Integrations: []string{restURI}, UsesVariable: true, URL: "https://" + mismatch + ".execute-api.us-east-1.amazonaws.com/prod",
					SourceARNPrefix: prefix(mismatch), StageVariables: map[string]string{"lambdaAlias": "dev"}},
				checks: []bool{false, true},
			},
			{
				name: "variable missing", apiID: unset, stage: "prod",
				want: stage.Finding{Kind: "REST API", APIID: unset, Stage: "prod", Variable: "lambdaAlias",
					Integrations: []string{restURI}, UsesVariable: true, URL: "https://" + unset + ".execute-api.us-east-1.amazonaws.com/prod",
					SourceARNPrefix: prefix(unset)},
				checks: []bool{false, true},
			},
			{
				name: "fixed qualifier", apiID: fixed, stage: "prod",
				want: stage.Finding{Kind: "REST API", APIID: fixed, Stage: "prod", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true,
					Integrations: []string{s.RESTIntegrationURI(w.FunctionARN + ":3")}, URL: "https://" + fixed + ".execute-api.us-east-1.amazonaws.com/prod",
					SourceARNPrefix: prefix(fixed), StageVariables: map[string]string{"lambdaAlias": "prod"}},
				checks: []bool{true, false},
			},
			{
				name: "another function", apiID: other, stage: "prod",
				want: stage.Finding{Kind: "REST API", APIID: other, Stage: "prod", Variable: "lambdaAlias", VariableValue: "prod", VariableSet: true,
					URL: "https://" + other + ".execute-api.us-east-1.amazonaws.com/prod", SourceARNPrefix: prefix(other), StageVariables: map[string]string{"lambdaAlias": "prod"}},
				checks: []bool{true, false},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				f, err := inspect(ctx, clients, tt.apiID, tt.stage, "lambdaAlias", w.FunctionARN)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, f, ignore, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(stage.Finding{})); diff != "" {
					t.Errorf("Inspect() (-want +got):\n%s", diff)
				}
				var got []bool
				for _, c := range f.Check("prod") {
					got = append(got, c.OK)
					if !c.OK && (c.Detail == "" || c.Fix == "") {
						t.Errorf("failed check without detail or fix: %+v", c)
					}
				}
				if diff := cmp.Diff(tt.checks, got); diff != "" {
					t.Errorf("Check(prod) OKs (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("not found", func(t *testing.T) {
		t.Parallel()
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
				_, err := inspect(ctx, clients, tt.apiID, tt.stage, "lambdaAlias", w.FunctionARN)
				if !errors.Is(err, stage.ErrNotFound) {
					t.Fatalf("Inspect() error = %v, want ErrNotFound", err)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Inspect() error = %q, want it to name %q", err, tt.want)
				}
			})
		}
	})

	t.Run("permission", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, alias, apiID string
			ok                 bool
		}{
			{"present", "prod", w.RESTAPIID, true},
			{"present for http api", "prod", httpID, true},
			{"for another api", "prod", mismatch, false},
			{"only for another alias", "dev", w.RESTAPIID, false},
			{"for the other alias", "dev", mismatch, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				c, err := checkPermission(ctx, lc, w.FunctionARN+":"+tt.alias, prefix(tt.apiID))
				if err != nil {
					t.Fatal(err)
				}
				if c.OK != tt.ok || (!c.OK && c.Fix == "") {
					t.Errorf("CheckPermission(%s, %s) = %+v, want OK %v", tt.alias, tt.apiID, c, tt.ok)
				}
			})
		}
	})

	t.Run("permission missing", func(t *testing.T) {
		t.Parallel()
		arn, err := s.CreateFunction(ctx, "nopolicy", w.RoleARN)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAlias(ctx, "nopolicy", "prod", "$LATEST", nil); err != nil {
			t.Fatal(err)
		}
		c, err := checkPermission(ctx, lc, arn+":prod", prefix(w.RESTAPIID))
		if err != nil {
			t.Fatal(err)
		}
		want := outcome.Check{
			Name:   "alias permission",
			Detail: "nopolicy:prod has no resource policy, so API Gateway may not invoke it",
			Fix: "aws lambda add-permission --function-name nopolicy --qualifier prod --statement-id apigateway-" + w.RESTAPIID +
				"-prod --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn 'arn:aws:execute-api:us-east-1:123456789012:" + w.RESTAPIID + "/*/*/*'",
		}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Errorf("CheckPermission() (-want +got):\n%s", diff)
		}
	})
}

// inspect reads a stage and matches it against a function, as the action does.
func inspect(ctx context.Context, c stage.Clients, apiID, name, variable, functionARN string) (stage.Finding, error) {
	st, err := stage.Read(ctx, c, apiID, name)
	if err != nil {
		return stage.Finding{}, err
	}
	return st.Match(variable, functionARN)
}

// checkPermission reads an alias's policy and judges it, as the action does.
func checkPermission(ctx context.Context, c stage.Policies, aliasARN, sourcePrefix string) (outcome.Check, error) {
	i := strings.LastIndex(aliasARN, ":")
	policy, err := stage.ReadPolicy(ctx, c, aliasARN[:i], aliasARN[i+1:])
	if err != nil {
		return outcome.Check{}, err
	}
	return stage.PermissionCheck(policy, aliasARN, sourcePrefix), nil
}
