package faultproxy_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// An alias without provisioned concurrency reads as Lambda answers it:
// ProvisionedConcurrencyConfigNotFoundException, which moto cannot say.
func TestRealismNoProvisionedConcurrency(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w, err := s.Demo(t.Context(), moto.Unique("provisioned"))
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.NewT(t, s.URL)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	if _, err := alias.ReadProvisioned(t.Context(), lc, w.Function, "prod"); err == nil {
		t.Fatal("moto answered the read: the realism layer would not be needed")
	}
	p.SetRealism(faultproxy.Realism{NoProvisionedConcurrency: true})
	got, err := alias.ReadProvisioned(t.Context(), lc, w.Function, "prod")
	if err != nil || got != nil {
		t.Errorf("ReadProvisioned() = %+v, %v; want none", got, err)
	}
}
