package faultproxy_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

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
	p.SetRealism(faultproxy.Realism{ProvisionedConcurrency: true})
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

// Provisioned concurrency put on an alias is allocated as Lambda does it:
// IN_PROGRESS for the allocation's reads, then READY, or FAILED with the
// reason FailAllocation gave; another Put allocates again; Delete removes
// it; $LATEST takes none.
func TestRealismProvisionedConcurrency(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("pc"))
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.Realism{ProvisionedConcurrency: true, AllocationReads: 1})
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	ctx := t.Context()
	put := func(q string, n int32) (*lambda.PutProvisionedConcurrencyConfigOutput, error) {
		return lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(w.Function), Qualifier: aws.String(q), ProvisionedConcurrentExecutions: aws.Int32(n)})
	}
	read := func() alias.Provisioned {
		t.Helper()
		got, err := alias.ReadProvisioned(ctx, lc, w.Function, "prod")
		if err != nil || got == nil {
			t.Fatalf("ReadProvisioned() = %+v, %v", got, err)
		}
		return *got
	}

	out, err := put("prod", 5)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != ltypes.ProvisionedConcurrencyStatusEnumInProgress || aws.ToInt32(out.RequestedProvisionedConcurrentExecutions) != 5 || aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions) != 0 {
		t.Errorf("Put() = %s, requested %d, allocated %d; want IN_PROGRESS, 5, 0", out.Status, aws.ToInt32(out.RequestedProvisionedConcurrentExecutions), aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions))
	}
	if got := read(); got.Status != "IN_PROGRESS" {
		t.Errorf("first read: %+v, want IN_PROGRESS (AllocationReads 1)", got)
	}
	if got := read(); got != (alias.Provisioned{Requested: 5, Allocated: 5, Available: 5, Status: "READY"}) {
		t.Errorf("second read: %+v, want READY with 5 allocated", got)
	}

	p.FailAllocation(w.Function, "prod", "FUNCTION_ERROR_INIT_FAILURE")
	if got := read(); got.Status != "FAILED" || got.Reason != "FUNCTION_ERROR_INIT_FAILURE" || got.Allocated != 0 {
		t.Errorf("after FailAllocation: %+v, want FAILED for FUNCTION_ERROR_INIT_FAILURE", got)
	}
	if _, err := put("prod", 2); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.Status != "IN_PROGRESS" {
		t.Errorf("first read after a new Put: %+v, want IN_PROGRESS (AllocationReads 1)", got)
	}
	if got := read(); got.Status != "READY" || got.Requested != 2 {
		t.Errorf("after a new Put: %+v, want READY with 2", got)
	}

	if _, err := put("$LATEST", 1); !isA[*ltypes.InvalidParameterValueException](err) {
		t.Errorf("Put on $LATEST = %v, want InvalidParameterValueException", err)
	}
	if _, err := put("missing", 1); !isA[*ltypes.ResourceNotFoundException](err) {
		t.Errorf("Put on an alias that does not exist = %v, want ResourceNotFoundException", err)
	}

	del := func() error {
		_, err := lc.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod")})
		return err
	}
	if err := del(); err != nil {
		t.Fatal(err)
	}
	if got, err := alias.ReadProvisioned(ctx, lc, w.Function, "prod"); err != nil || got != nil {
		t.Errorf("after Delete: %+v, %v; want none", got, err)
	}
	if err := del(); !isA[*ltypes.ResourceNotFoundException](err) || httpStatus(err) != http.StatusNotFound {
		t.Errorf("a second Delete = %v, want 404 ResourceNotFoundException", err)
	}
}
