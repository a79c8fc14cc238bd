package faultproxy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
)

// TestAnswered checks that Answered returns once a call has its answer,
// not when it arrives, and gives up on a call that never gets one.
func TestAnswered(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Name":"prod","FunctionVersion":"1"}`))
	}))
	t.Cleanup(target.Close)
	p := faultproxy.NewT(t, target.URL)
	p.Inject("GetAlias", 2, faultproxy.Reset)
	cfg := p.AWSConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	lc := lambda.NewFromConfig(cfg)

	arrived := make(chan struct{})
	p.OnRequest(func(op faultproxy.Op, attempt int) {
		if op.Name == "GetAlias" && attempt == 1 {
			close(arrived)
		}
	})
	called := make(chan error, 1)
	go func() {
		_, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("prod")})
		called <- err
	}()
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, ok := p.Answered(ctx, "GetAlias", 1); ok {
		t.Fatal("Answered returned before the call had its answer")
	}
	close(release)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, ok := p.Answered(ctx, "GetAlias", 1)
	if !ok || rec.Status != http.StatusOK || rec.Attempt != 1 {
		t.Fatalf("Answered = %d (attempt %d), %v; want the 200 of attempt 1", rec.Status, rec.Attempt, ok)
	}
	if err := <-called; err != nil {
		t.Fatalf("GetAlias: %v", err)
	}

	// A call the proxy hangs up on ends without an answer.
	_, _ = lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("prod")})
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rec, ok := p.Answered(ctx, "GetAlias", 2); ok {
		t.Errorf("Answered = %d for a call the proxy hung up on, want none", rec.Status)
	}
	if ctx.Err() != nil {
		t.Error("Answered waited out its context for a call the proxy had hung up on")
	}
}
