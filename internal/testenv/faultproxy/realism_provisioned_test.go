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
	w := demo(t, s, moto.Unique("provisioned"))
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
	// Lambda answers ResourceNotFoundException for an alias or a function
	// that does not exist, not "none configured".
	for _, target := range [][2]string{{w.Function, "missing"}, {w.Function + "-missing", "prod"}} {
		if got, err := alias.ReadProvisioned(t.Context(), lc, target[0], target[1]); err == nil {
			t.Errorf("ReadProvisioned(%s:%s) = %+v, nil; want an error, as it does not exist", target[0], target[1], got)
		}
	}
}
