package alias

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/fix"
)

// Patience is how long calls wait for Lambda to finish an update in
// progress, or for a new version to become Active.
type Patience struct {
	Max time.Duration // the longest wait of one call, all retries included
	// Sleep waits d or until ctx ends; nil means real time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (p Patience) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p Patience) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Pauses between two tries of a call that met an update in progress.
const (
	firstPause = time.Second
	maxPause   = 10 * time.Second
)

// IsConflict reports whether err is Lambda's ResourceConflictException
// (HTTP 409): "The operation cannot be performed at this time. An update is
// in progress for resource". Lambda answers it to PublishVersion,
// CreateAlias and UpdateAlias while the function or the alias is being
// updated; the SDK does not retry it
// (https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html#API_PublishVersion_Errors,
// https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html#API_UpdateAlias_Errors).
func IsConflict(err error) bool {
	var rc *types.ResourceConflictException
	return errors.As(err, &rc)
}

// whileConflict calls op until it answers anything but an update in
// progress. Between two calls it runs wait (an SDK waiter for the update
// to finish; nil for none), then pauses, 1 s at first and twice as long each
// time up to 10 s, for at most p.Max in all. A 409 that outlasts p.Max is
// returned as it is.
func (p Patience) whileConflict(ctx context.Context, wait func(ctx context.Context, left time.Duration) error, op func(ctx context.Context) error) error {
	deadline := p.now().Add(p.Max)
	pause := firstPause
	for {
		err := op(ctx)
		if !IsConflict(err) {
			return err
		}
		left := deadline.Sub(p.now())
		if left <= 0 {
			return fmt.Errorf("an update was still in progress after %s of waiting: %w", p.Max, err)
		}
		if wait != nil {
			if werr := wait(ctx, left); werr != nil && ctx.Err() != nil {
				return errors.Join(err, werr)
			}
		}
		if serr := p.sleep(ctx, min(pause, max(deadline.Sub(p.now()), 0))); serr != nil {
			return errors.Join(err, serr)
		}
		pause = min(2*pause, maxPause)
	}
}

// WaitActive waits until version v of the function is Active: Lambda does
// not invoke a Pending version, and a new version can stay Pending for a
// while (with SnapStart, while Lambda snapshots it)
// (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html,
// https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). It uses the
// SDK's FunctionActiveV2 waiter, which reads the version with GetFunction
// (on GetFunction's own quota) and has the acceptors of the
// PublishedVersionActive waiter, which reads it with
// GetFunctionConfiguration: Active, Failed, Pending. It makes no request
// when v is Active.
func WaitActive(ctx context.Context, c API, v Function, p Patience) (Function, error) {
	if v.State == string(types.StateActive) {
		return v, nil
	}
	w := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = pollMin, pollMax
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(v.ARN), Qualifier: aws.String(v.Version)}, p.Max)
	if err == nil {
		err = hasConfiguration(out)
	}
	if err != nil {
		see := fix.AWS("lambda", "get-function", "--function-name", v.Name, "--qualifier", v.Version, "--query", "Configuration.[State,StateReason]")
		return v, fix.Errorf("run again once the version is Active; see it with:", see,
			"wait for version %s of %s to become Active (Lambda does not invoke a Pending version): %w", v.Version, v.Name, err)
	}
	active := functionFrom(out.Configuration)
	return active, nil
}

// pollMin and pollMax bound the waits between the reads of the SDK's
// waiters. The waiter doubles its wait from pollMin up to pollMax, with
// jitter, and gives up once less than pollMin of its time is left: a short
// pollMin sees a state change soon and keeps the last read close to the
// end of wait-timeout. A handful of reads in the first seconds costs
// nothing against Lambda's quota; past them one every 5 s.
const (
	pollMin = 250 * time.Millisecond
	pollMax = 5 * time.Second
)
