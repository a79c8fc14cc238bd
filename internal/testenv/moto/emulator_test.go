package moto

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Start(ctx)
	if errors.Is(err, ErrNoMoto) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = s.Stop()
		}
	})

	w, err := s.Demo(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	want := World{
		Region:      "us-east-1",
		AccountID:   "123456789012",
		Function:    "orders",
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:orders",
		RoleARN:     "arn:aws:iam::123456789012:role/orders-role",
		Alias:       "prod",
		AliasARN:    "arn:aws:lambda:us-east-1:123456789012:function:orders:prod",
		Version:     "1",
		RESTAPIID:   w.RESTAPIID,
		Stage:       "prod",
	}
	if diff := cmp.Diff(want, w); diff != "" {
		t.Errorf("Demo() world (-want +got):\n%s", diff)
	}

	version, weights, err := s.Alias(ctx, "orders", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if version != "1" || weights != nil {
		t.Errorf("alias prod = %q %v, want 1 with no weights", version, weights)
	}

	stage, err := s.APIGateway().GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(w.RESTAPIID), StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if got := stage.Variables[StageVariable]; got != "prod" {
		t.Errorf("stage variable %s = %q, want prod", StageVariable, got)
	}

	pol, err := s.Lambda().GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: aws.String("prod")})
	if err != nil {
		t.Fatalf("get policy: %v", err)
	}
	if aws.ToString(pol.Policy) == "" {
		t.Error("policy of orders:prod is empty")
	}

	// The new code on $LATEST publishes as version 2; publishing again
	// without a change hands back 2.
	for range 2 {
		v, err := s.Publish(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		if v != "2" {
			t.Errorf("Publish() = %q, want 2", v)
		}
	}

	// Invoke echoes the payload (Lambda runs without Docker).
	out, err := s.Lambda().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("prod"), Payload: []byte(`{"ping":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out.Payload); got != `{"ping":1}` {
		t.Errorf("Invoke() payload = %s, want the request echoed", got)
	}

	pid := s.PID()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop() = %v, want nil", err)
	}
	if alive(pid) {
		t.Errorf("moto process group %d still has processes after Stop", pid)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	s := &Server{URL: "http://127.0.0.1:1", Region: Region, AccountID: AccountID}
	want := []string{
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if diff := cmp.Diff(want, s.Env()); diff != "" {
		t.Errorf("Env() (-want +got):\n%s", diff)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop() of a server never started = %v", err)
	}
}
