package faultproxy_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// An alias's revision changes with each change, through the proxy or on
// moto directly, and a stale RevisionId is refused as Lambda refuses it.
func TestRealismRevisions(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	ctx := t.Context()
	w, err := s.Demo(ctx, moto.Unique("revisions"))
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.Realism{Revisions: true})
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	get := func() string {
		t.Helper()
		out, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(w.Function), Name: aws.String("prod")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.RevisionId)
	}
	update := func(rev, desc string) (string, error) {
		out, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(w.Function), Name: aws.String("prod"), RevisionId: aws.String(rev), Description: aws.String(desc)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.RevisionId), nil
	}
	a := get()
	if again := get(); again != a {
		t.Fatalf("two readings of an unchanged alias: revisions %s and %s", a, again)
	}
	b, err := update(a, "first")
	if err != nil {
		t.Fatalf("update with the latest revision: %v", err)
	}
	if b == a || get() != b {
		t.Fatalf("revision after an update %s (before %s, read back %s), want a new one read back", b, a, get())
	}
	var pf *ltypes.PreconditionFailedException
	if _, err := update(a, "stale"); !errors.As(err, &pf) {
		t.Fatalf("update with a stale revision: %v, want PreconditionFailedException", err)
	}
	// A hand move on moto itself, as a test makes one, is a change too.
	if err := s.CreateAlias(ctx, w.Function, "prod-other", "1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lambda().UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(w.Function), Name: aws.String("prod"), Description: aws.String("by hand")}); err != nil {
		t.Fatal(err)
	}
	if _, err := update(b, "after the hand move"); !errors.As(err, &pf) {
		t.Fatalf("update with the revision from before a hand move: %v, want PreconditionFailedException", err)
	}
	if _, err := update(get(), "fresh"); err != nil {
		t.Fatalf("update with the revision read after the hand move: %v", err)
	}
	if got := p.RealismStats().StaleRevisions; got != 2 {
		t.Errorf("StaleRevisions = %d, want 2", got)
	}
}

// InjectFor counts the calls of one function only, whatever the others do
// at the same time.
func TestInjectFor(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	ctx := t.Context()
	var fns []string
	for _, name := range []string{"inject-a", "inject-b"} {
		fns = append(fns, demo(t, s, moto.Unique(name)).Function)
	}
	p := faultproxy.NewT(t, s.URL)
	p.InjectFor(fns[1], "GetAlias", 2, faultproxy.ServerError)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	get := func(fn string) error {
		_, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod")})
		return err
	}
	for i, call := range []struct {
		fn   string
		fail bool
	}{{fns[1], false}, {fns[0], false}, {fns[0], false}, {fns[1], true}, {fns[1], false}} {
		if err := get(call.fn); (err != nil) != call.fail {
			t.Errorf("call %d of %s: error %v, want failure %v", i+1, call.fn, err, call.fail)
		}
	}
}
