package moto

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
)

func TestSeedService(t *testing.T) {
	t.Parallel()
	s := StartT(t)
	ctx := context.Background()

	svc, err := s.SeedService(ctx, "shop", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := Service{
		Region: "us-east-1", AccountID: "123456789012",
		Functions: []string{"shop-000", "shop-001", "shop-002"},
		RoleARN:   "arn:aws:iam::123456789012:role/shop-role",
		Alias:     "prod", Version: "1", RESTAPIID: svc.RESTAPIID, Stage: "prod",
	}
	if diff := cmp.Diff(want, svc); diff != "" {
		t.Errorf("SeedService() (-want +got):\n%s", diff)
	}

	stage, err := s.APIGateway().GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(svc.RESTAPIID), StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if got := stage.Variables[StageVariable]; got != "prod" {
		t.Errorf("stage variable %s = %q, want prod", StageVariable, got)
	}
	res, err := s.APIGateway().GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(svc.RESTAPIID), Embed: []string{"methods"}})
	if err != nil {
		t.Fatal(err)
	}
	uris := map[string]string{}
	for _, r := range res.Items {
		if m, ok := r.ResourceMethods["ANY"]; ok && m.MethodIntegration != nil {
			uris[aws.ToString(r.Path)] = aws.ToString(m.MethodIntegration.Uri)
		}
	}

	for _, fn := range svc.Functions {
		version, weights, err := s.Alias(ctx, fn, "prod")
		if err != nil {
			t.Fatal(err)
		}
		if version != "1" || weights != nil {
			t.Errorf("alias prod of %s = %q %v, want 1 with no weights", fn, version, weights)
		}
		// New code waits on $LATEST: publishing makes version 2.
		if v, err := s.Publish(ctx, fn); err != nil || v != "2" {
			t.Errorf("publish %s = %q, %v; want version 2", fn, v, err)
		}
		wantURI := s.RESTIntegrationURI(s.FunctionARN(fn) + ":${stageVariables.lambdaAlias}")
		if uris["/"+fn] != wantURI {
			t.Errorf("integration of /%s = %q, want %q", fn, uris["/"+fn], wantURI)
		}
		pol, err := s.Lambda().GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn), Qualifier: aws.String("prod")})
		if err != nil {
			t.Fatalf("policy of %s: %v", fn, err)
		}
		if p := aws.ToString(pol.Policy); !strings.Contains(p, s.SourceARN(svc.RESTAPIID)) {
			t.Errorf("policy of %s does not name the API's source ARN:\n%s", fn, p)
		}
	}

	// UpdateCodeAll puts new code on every function again.
	if err := s.UpdateCodeAll(ctx, svc.Functions); err != nil {
		t.Fatal(err)
	}
	for _, fn := range svc.Functions {
		if v, err := s.Publish(ctx, fn); err != nil || v != "3" {
			t.Errorf("publish %s after UpdateCodeAll = %q, %v; want version 3", fn, v, err)
		}
	}
}

func TestSeedServiceNone(t *testing.T) {
	t.Parallel()
	var s Server
	if _, err := s.SeedService(context.Background(), "shop", 0); err == nil {
		t.Error("SeedService with 0 functions: no error")
	}
}
