package pace

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// The real Lambda client's calls each wait in the bucket of the quota AWS
// counts them in, picked by the operation's name the SDK puts in the
// request's context; a 429 slows down only the bucket that answered it.
// The proxy answers GetPolicy and Invoke 429, as Lambda does when
// something else in the account spends their quota.
func TestCallsWaitInTheirQuota(t *testing.T) {
	t.Parallel()
	s := moto.StartT(t)
	ctx := t.Context()
	const fn = "paced"
	role, err := s.CreateRole(ctx, fn+"-role")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFunction(ctx, fn, role); err != nil {
		t.Fatal(err)
	}
	version, err := s.Publish(ctx, fn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAlias(ctx, fn, "prod", version, nil); err != nil {
		t.Fatal(err)
	}
	px := faultproxy.NewT(t, s.URL)
	px.Inject("GetPolicy", faultproxy.Every, faultproxy.Throttle)
	px.Inject("Invoke", faultproxy.Every, faultproxy.Throttle)

	type call func(context.Context, *lambda.Client) error
	getAlias := func(ctx context.Context, c *lambda.Client) error {
		_, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod")})
		return err
	}
	getFunction := func(ctx context.Context, c *lambda.Client) error {
		_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(version)})
		return err
	}
	throttled := func(do call) call {
		return func(ctx context.Context, c *lambda.Client) error {
			var tm *types.TooManyRequestsException
			if err := do(ctx, c); !errors.As(err, &tm) {
				return errors.New("not answered 429 TooManyRequestsException")
			}
			return nil
		}
	}
	getPolicy := throttled(func(ctx context.Context, c *lambda.Client) error {
		_, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn), Qualifier: aws.String("prod")})
		return err
	})
	invoke := throttled(func(ctx context.Context, c *lambda.Client) error {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Qualifier: aws.String("prod")})
		return err
	})

	type perQuota [numQuotas]float64
	for _, tc := range []struct {
		name  string
		p     *Pacer
		calls []call
		// turns taken, 429s seen and the pace after, per bucket
		turns, throttled, pace perQuota
	}{
		{
			name:  "a bucket per quota",
			p:     New(10),
			calls: []call{getAlias, getFunction, getPolicy, getFunction, getPolicy, invoke, getAlias, getFunction},
			// Invoke takes no turn and slows nothing down; the two 429s
			// of GetPolicy halve its pace twice, and only its.
			turns: perQuota{2, 3, 2}, throttled: perQuota{0, 0, 2}, pace: perQuota{10, 200.0 / 3, 2.5},
		},
		{
			name:  "one bucket for all",
			p:     OneBucket(10),
			calls: []call{getFunction, getAlias, getPolicy, invoke},
			turns: perQuota{4, 4, 4}, throttled: perQuota{2, 2, 2}, pace: perQuota{2.5, 2.5, 2.5},
		},
	} {
		newFakeTime(tc.p) // every call fits in the bursts: the clock never moves
		cfg := px.AWSConfig(s.AWSConfig())
		cfg.RetryMaxAttempts = 1
		c := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.HTTPClient = tc.p.Client(o.HTTPClient) })
		for i, do := range tc.calls {
			// A call that waits for a turn would wait for ever on the
			// clock that never moves: the bound only keeps that from
			// hanging the test run.
			callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := do(callCtx, c)
			cancel()
			if err != nil {
				t.Fatalf("%s: call %d: %v", tc.name, i+1, err)
			}
		}
		for _, q := range Quotas {
			if got := turns(tc.p.buckets[q]); float64(got) != tc.turns[q] {
				t.Errorf("%s: %v holds %d turns, want %v", tc.name, q, got, tc.turns[q])
			}
			if got := tc.p.Throttled(q); float64(got) != tc.throttled[q] {
				t.Errorf("%s: %v saw %d 429s, want %v", tc.name, q, got, tc.throttled[q])
			}
			if got := tc.p.Pace(q); got < tc.pace[q]-1e-9 || got > tc.pace[q]+1e-9 {
				t.Errorf("%s: %v paces at %v, want %v", tc.name, q, got, tc.pace[q])
			}
		}
	}
}
