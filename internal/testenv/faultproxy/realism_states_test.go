package faultproxy_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agv2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// A function Failed, or whose last update failed, reads so through the
// proxy until the next update; moto knows neither state.
func TestRealismFailedStates(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("failed"))
	p := faultproxy.NewT(t, s.URL)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	ctx := t.Context()
	latest := func() *lambda.GetFunctionConfigurationOutput {
		t.Helper()
		out, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("$LATEST")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if c := latest(); c.State != ltypes.StateActive {
		t.Fatalf("before: State %s, want Active", c.State)
	}

	p.FailFunction(w.Function, "The subnet is gone", "SubnetOutOfIPAddresses")
	if c := latest(); c.State != ltypes.StateFailed || aws.ToString(c.StateReason) != "The subnet is gone" || c.StateReasonCode != "SubnetOutOfIPAddresses" {
		t.Errorf("FailFunction: State %s (%s, %s), want Failed with the reason", c.State, aws.ToString(c.StateReason), c.StateReasonCode)
	}
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(w.Function)})
	if err != nil || got.Configuration.State != ltypes.StateFailed {
		t.Errorf("GetFunction: %v, %v; want State Failed there too", got, err)
	}
	// A version published before keeps its own state.
	v1, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("1")})
	if err != nil || v1.State != ltypes.StateActive {
		t.Errorf("version 1: %v, %v; want Active", v1.State, err)
	}
	// An update through the proxy replaces the failed state.
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(w.Function), Timeout: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	if c := latest(); c.State != ltypes.StateActive {
		t.Errorf("after an update: State %s, want Active", c.State)
	}

	p.FailUpdate(w.Function, "The code is too large", "InvalidZipFileException")
	if c := latest(); c.LastUpdateStatus != ltypes.LastUpdateStatusFailed || aws.ToString(c.LastUpdateStatusReason) != "The code is too large" || c.LastUpdateStatusReasonCode != "InvalidZipFileException" {
		t.Errorf("FailUpdate: LastUpdateStatus %s (%s, %s), want Failed with the reason", c.LastUpdateStatus, aws.ToString(c.LastUpdateStatusReason), c.LastUpdateStatusReasonCode)
	}
	p.BeginUpdate(w.Function) // new code uploaded straight to moto
	if c := latest(); c.LastUpdateStatus != ltypes.LastUpdateStatusSuccessful {
		t.Errorf("after BeginUpdate: LastUpdateStatus %s, want Successful", c.LastUpdateStatus)
	}
}

// Code that throws answers every invocation with a function error, as
// Lambda does; new code does not.
func TestRealismCodeFails(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("throws"))
	p := faultproxy.NewT(t, s.URL)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	ctx := t.Context()
	cfg, err := s.Lambda().GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function)})
	if err != nil {
		t.Fatal(err)
	}
	p.CodeFails(w.Function, aws.ToString(cfg.CodeSha256), "KeyError", "'order'")
	v2, err := s.Publish(ctx, w.Function)
	if err != nil {
		t.Fatal(err)
	}
	invoke := func(q string) *lambda.InvokeOutput {
		t.Helper()
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(w.Function), Qualifier: aws.String(q), Payload: []byte(`{"ping":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := invoke(v2)
	var payload struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(out.Payload, &payload); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || payload.ErrorType != "KeyError" || payload.ErrorMessage != "'order'" || aws.ToString(out.ExecutedVersion) != v2 {
		t.Errorf("Invoke of the failing version = %s, %s, version %s; want Unhandled KeyError on %s", aws.ToString(out.FunctionError), out.Payload, aws.ToString(out.ExecutedVersion), v2)
	}
	if out := invoke("1"); out.FunctionError != nil {
		t.Errorf("version 1 runs other code, but it failed: %s", out.Payload)
	}
}

// Settle ends a Pending version and an update in progress at once.
func TestRealismSettle(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("settle"))
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.Realism{PendingFor: time.Hour, UpdateFor: time.Hour})
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	ctx := t.Context()
	pub, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(w.Function)})
	if err != nil || pub.State != ltypes.StatePending {
		t.Fatalf("PublishVersion = %v, %v; want Pending", pub, err)
	}
	p.BeginUpdate(w.Function)
	p.Settle(w.Function)
	v, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function), Qualifier: pub.Version})
	if err != nil || v.State != ltypes.StateActive {
		t.Errorf("version %s after Settle: %v, %v; want Active", aws.ToString(pub.Version), v.State, err)
	}
	l, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function)})
	if err != nil || l.LastUpdateStatus != ltypes.LastUpdateStatusSuccessful {
		t.Errorf("$LATEST after Settle: %v, %v; want Successful", l.LastUpdateStatus, err)
	}
}

// The API Gateway updates moto does not implement, or implements otherwise,
// are carried out on moto's state: a REST API's UpdateIntegration and its
// CreateDeployment to an existing stage, an HTTP API's UpdateStage and
// CreateDeployment.
func TestRealismAPIGatewayUpdates(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	ctx := t.Context()
	fn := moto.Unique("apigw")
	uri := s.RESTIntegrationURI(s.FunctionARN(fn))
	restID, err := s.CreateRESTStageURI(ctx, fn+"-rest", uri, "prod", "prod")
	if err != nil {
		t.Fatal(err)
	}
	httpID, _, _, err := s.HTTPAPI(ctx, moto.HTTPSpec{Name: fn + "-http", Stage: "$default", Variables: map[string]string{"a": "1", "b": "2"},
		Integrations: []moto.HTTPIntegration{{URI: s.FunctionARN(fn)}}, Routes: []moto.HTTPRoute{{Key: "$default"}}})
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.NewT(t, s.URL)
	cfg := p.AWSConfig(s.AWSConfig())
	cfg.RetryMaxAttempts = 1
	rest, v2 := apigateway.NewFromConfig(cfg), apigatewayv2.NewFromConfig(cfg)

	res, err := rest.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(restID)})
	if err != nil {
		t.Fatal(err)
	}
	root := res.Items[0].Id
	newURI := s.RESTIntegrationURI(s.FunctionARN(fn) + ":${stageVariables.lambdaAlias}")
	update := func() (*apigateway.UpdateIntegrationOutput, error) {
		return rest.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: aws.String(restID), ResourceId: root, HttpMethod: aws.String("ANY"),
			PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/uri"), Value: aws.String(newURI)}}})
	}
	updateStage := func() error {
		_, err := v2.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: aws.String(httpID), StageName: aws.String("$default"), StageVariables: map[string]string{"a": "1", "b": "3"}})
		return err
	}
	deploy := func(stage string) error {
		_, err := v2.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: aws.String(httpID), StageName: aws.String(stage)})
		return err
	}
	deployREST := func() map[string]string {
		t.Helper()
		if _, err := rest.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(restID), StageName: aws.String("prod")}); err != nil {
			t.Fatal(err)
		}
		st, err := s.APIGateway().GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(restID), StageName: aws.String("prod")})
		if err != nil {
			t.Fatal(err)
		}
		return st.Variables
	}
	// moto alone implements none of them, and loses a stage's variables
	// when it deploys to it.
	if vars := deployREST(); vars["lambdaAlias"] == "prod" {
		t.Error("moto kept the stage's variables: the realism layer would not be needed")
	}
	if _, err := s.APIGateway().UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(restID), StageName: aws.String("prod"),
		PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/variables/lambdaAlias"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := update(); err == nil {
		t.Error("moto carried out UpdateIntegration: the realism layer would not be needed")
	}
	if err := updateStage(); err == nil {
		t.Error("moto carried out UpdateStage: the realism layer would not be needed")
	}
	if err := deploy("$default"); err == nil {
		t.Error("moto carried out CreateDeployment: the realism layer would not be needed")
	}

	p.SetRealism(faultproxy.Realism{APIGatewayUpdates: true})
	if diff := cmp.Diff(map[string]string{"lambdaAlias": "prod"}, deployREST()); diff != "" {
		t.Errorf("the stage's variables after a deployment to it (-want +got):\n%s", diff)
	}
	out, err := update()
	if err != nil || aws.ToString(out.Uri) != newURI || out.Type != agtypes.IntegrationTypeAwsProxy {
		t.Errorf("UpdateIntegration = %v, %v; want the new URI", out, err)
	}
	got, err := s.APIGateway().GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: aws.String(restID), ResourceId: root, HttpMethod: aws.String("ANY")})
	if err != nil || aws.ToString(got.Uri) != newURI || aws.ToString(got.HttpMethod) != "POST" {
		t.Errorf("moto's integration after the update: %v, %v; want the new URI, still POST", got, err)
	}
	if _, err := rest.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: aws.String(restID), ResourceId: root, HttpMethod: aws.String("ANY"),
		PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/nonsense"), Value: aws.String("x")}}}); !isA[*agtypes.BadRequestException](err) {
		t.Errorf("a patch of an unknown path = %v, want BadRequestException", err)
	}

	if err := updateStage(); err != nil {
		t.Fatal(err)
	}
	st, err := s.APIGatewayV2().GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(httpID), StageName: aws.String("$default")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "1", "b": "3"}, st.StageVariables); diff != "" || !aws.ToBool(st.AutoDeploy) {
		t.Errorf("the stage after UpdateStage: auto-deploy %v, variables (-want +got):\n%s", aws.ToBool(st.AutoDeploy), diff)
	}

	if err := deploy("$default"); err != nil {
		t.Errorf("CreateDeployment = %v", err)
	}
	if err := deploy("nosuch"); !isA[*agv2types.NotFoundException](err) {
		t.Errorf("CreateDeployment on a stage that does not exist = %v, want NotFoundException", err)
	}
}

// A resource policy put whole replaces what AddPermission wrote, may hold a
// Deny, and AddPermission and RemovePermission then work on it, as Lambda
// does; moto has no PutResourcePolicy.
func TestRealismResourcePolicies(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w, _ := granted(t, s, moto.Unique("policy"))
	p := faultproxy.NewT(t, s.URL)
	cfg := p.AWSConfig(s.AWSConfig())
	cfg.RetryMaxAttempts = 1
	lc := lambda.NewFromConfig(cfg)
	ctx := t.Context()
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"allow-api","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + w.AliasARN + `"},` +
		`{"Sid":"no-dev","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + w.AliasARN + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:*/dev/*"}}}]}`
	put := func() error {
		_, err := lc.PutResourcePolicy(ctx, &lambda.PutResourcePolicyInput{ResourceArn: aws.String(w.AliasARN), Policy: aws.String(policy)})
		return err
	}
	sids := func() []string {
		t.Helper()
		out, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod")})
		if isA[*ltypes.ResourceNotFoundException](err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Statement []struct{ Sid, Effect string }
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range doc.Statement {
			got = append(got, st.Sid+"/"+st.Effect)
		}
		return got
	}
	if err := put(); err == nil {
		t.Error("moto took PutResourcePolicy: the realism layer would not be needed")
	}
	// With a policy per qualifier, the alias's policy is its own once the
	// policy put is gone, not moto's statements of every qualifier.
	p.SetRealism(faultproxy.Realism{ResourcePolicies: true, PolicyPerQualifier: true})
	if err := put(); err != nil {
		t.Fatal(err)
	}
	// Demo's statement (AddPermission) is replaced.
	if diff := cmp.Diff([]string{"allow-api/Allow", "no-dev/Deny"}, sids()); diff != "" {
		t.Errorf("after PutResourcePolicy (-want +got):\n%s", diff)
	}
	// The grant on the unqualified function is of another policy than the
	// alias's: a policy put on the alias leaves it.
	if diff := cmp.Diff([]string{"s3-uploads"}, policySids(t, lc, w.Function, "")); diff != "" {
		t.Errorf("the unqualified function's policy after a PutResourcePolicy on the alias (-want +got):\n%s", diff)
	}
	if _, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod"), StatementId: aws.String("more"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:us-east-1:123456789012:x/*")}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod"), StatementId: aws.String("more"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com")}); !isA[*ltypes.ResourceConflictException](err) {
		t.Errorf("AddPermission of a Sid that exists = %v, want ResourceConflictException", err)
	}
	// An account principal, a function URL's conditions and an
	// organization's read as Lambda writes them.
	for _, in := range []*lambda.AddPermissionInput{
		{StatementId: aws.String("acct"), Principal: aws.String("111122223333"), FunctionUrlAuthType: ltypes.FunctionUrlAuthTypeNone},
		{StatementId: aws.String("org"), Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true), PrincipalOrgID: aws.String("o-a1b2c3d4e5")},
	} {
		in.FunctionName, in.Qualifier, in.Action = aws.String(w.Function), aws.String("prod"), aws.String("lambda:InvokeFunction")
		if _, err := lc.AddPermission(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	out, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid                  string
			Principal, Condition json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		t.Fatal(err)
	}
	written := map[string]string{}
	for _, st := range doc.Statement {
		written[st.Sid] = string(st.Principal) + " " + string(st.Condition)
	}
	for sid, want := range map[string]string{
		"acct": `{"AWS":"arn:aws:iam::111122223333:root"} {"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}`,
		"org":  `"*" {"Bool":{"lambda:InvokedViaFunctionUrl":"true"},"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`,
	} {
		if written[sid] != want {
			t.Errorf("statement %s added to the policy put reads %s, want %s", sid, written[sid], want)
		}
	}
	for _, sid := range []string{"no-dev", "allow-api", "acct", "org"} {
		if _, err := lc.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod"), StatementId: aws.String(sid)}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"more/Allow"}, sids()); diff != "" {
		t.Errorf("after RemovePermission (-want +got):\n%s", diff)
	}
	if _, err := lc.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod"), StatementId: aws.String("no-dev")}); !isA[*ltypes.ResourceNotFoundException](err) {
		t.Errorf("RemovePermission of a Sid that is gone = %v, want ResourceNotFoundException", err)
	}
	if _, err := lc.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod"), StatementId: aws.String("more")}); err != nil {
		t.Fatal(err)
	}
	if got := sids(); got != nil {
		t.Errorf("with no statement left the policy is %v, want none", got)
	}
}
