package faultproxy_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

const (
	pendingMessage  = "The operation cannot be performed at this time. The function is currently in the following state: Pending"
	updatingMessage = "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:"
)

// demo seeds the Demo world of fn: alias prod on version 1, new code on
// $LATEST, nothing published through a proxy.
func demo(t *testing.T, s *moto.Server, fn string) moto.World {
	t.Helper()
	w, err := s.Demo(t.Context(), fn)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRealismPendingVersion checks that a version published through the
// proxy is Pending for PendingReads reads, refuses Invoke meanwhile, and
// that an alias giving it traffic is a violation.
func TestRealismPendingVersion(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("pend"))
	fn := aws.String(w.Function)
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.Realism{PendingReads: 2})
	c := newClients(s, p, 1)
	ctx := t.Context()

	pub, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(pub.Version); v != "2" || pub.State != ltypes.StatePending || pub.StateReasonCode != ltypes.StateReasonCodeCreating {
		t.Fatalf("PublishVersion = version %s, %s (%s); want 2, Pending (Creating)", v, pub.State, pub.StateReasonCode)
	}

	// Invoke of the Pending version, by qualifier and by qualified name.
	for _, in := range []*lambda.InvokeInput{
		{FunctionName: fn, Qualifier: aws.String("2")},
		{FunctionName: aws.String(w.Function + ":2")},
		{FunctionName: aws.String(w.FunctionARN + ":2")},
	} {
		_, err := c.lambda.Invoke(ctx, in)
		code, msg := apiError(err)
		if !isA[*ltypes.ResourceConflictException](err) || httpStatus(err) != http.StatusConflict || msg != pendingMessage {
			t.Errorf("Invoke %s qualifier %s = %v (%s), want 409 ResourceConflictException %q", aws.ToString(in.FunctionName), aws.ToString(in.Qualifier), err, code, pendingMessage)
		}
	}
	// The stable version still runs.
	if _, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: fn, Qualifier: aws.String("1")}); err != nil {
		t.Errorf("Invoke of version 1 = %v", err)
	}

	// A canary on the Pending version is passed on and recorded.
	before := time.Now()
	if _, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1"),
		RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, weights, _ := s.Alias(ctx, w.Function, "prod"); weights["2"] != 0.1 {
		t.Errorf("alias weights on moto = %v, want the change passed on", weights)
	}
	want := []faultproxy.Violation{{Op: "UpdateAlias", Function: w.Function, Alias: "prod", Version: "2", Weight: 0.1}}
	ignoreAt := cmpopts.IgnoreFields(faultproxy.Violation{}, "At")
	st := p.RealismStats()
	if diff := cmp.Diff(want, st.Violations, ignoreAt); diff != "" {
		t.Errorf("Violations (-want +got):\n%s", diff)
	}
	if len(st.Violations) == 1 && st.Violations[0].At.Before(before) {
		t.Errorf("violation at %v, before the UpdateAlias", st.Violations[0].At)
	}
	// A new alias all on it is one too.
	if _, err := c.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("next"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	want = append(want, faultproxy.Violation{Op: "CreateAlias", Function: w.Function, Alias: "next", Version: "2", Weight: 1})
	if diff := cmp.Diff(want, p.RealismStats().Violations, ignoreAt); diff != "" {
		t.Errorf("Violations (-want +got):\n%s", diff)
	}

	// Listing shows the state without counting a read.
	list, err := c.lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: fn})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]ltypes.State{}
	for _, v := range list.Versions {
		states[aws.ToString(v.Version)] = v.State
	}
	if states["2"] != ltypes.StatePending || states["1"] != ltypes.StateActive {
		t.Errorf("listed states = %v, want 2 Pending and 1 Active", states)
	}

	// Two reads say Pending, the third Active.
	var got []ltypes.State
	for range 3 {
		out, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn, Qualifier: aws.String("2")})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.State)
	}
	if diff := cmp.Diff([]ltypes.State{ltypes.StatePending, ltypes.StatePending, ltypes.StateActive}, got); diff != "" {
		t.Errorf("states read (-want +got):\n%s", diff)
	}
	if _, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: fn, Qualifier: aws.String("2")}); err != nil {
		t.Errorf("Invoke of the Active version = %v", err)
	}
	if _, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	st = p.RealismStats()
	if len(st.Violations) != 2 || st.PendingInvokes != 3 {
		t.Errorf("%d violations, %d Pending invokes; want 2 (none once Active), 3", len(st.Violations), st.PendingInvokes)
	}

	// Nothing changed: Lambda hands back version 2, which is not new.
	again, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.Version) != "2" || again.State != ltypes.StateActive {
		t.Errorf("PublishVersion of unchanged code = %s %s, want 2 Active", aws.ToString(again.Version), again.State)
	}

	// The SDK's waiter sees it through.
	if err := s.UpdateCode(ctx, w.Function); err != nil {
		t.Fatal(err)
	}
	if pub, err = c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn}); err != nil || pub.State != ltypes.StatePending {
		t.Fatalf("PublishVersion of new code = %v, %v; want Pending", pub, err)
	}
	p.Reset()
	waiter := lambda.NewPublishedVersionActiveWaiter(c.lambda, func(o *lambda.PublishedVersionActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := waiter.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn, Qualifier: pub.Version}, 10*time.Second); err != nil {
		t.Fatalf("PublishedVersionActive waiter: %v", err)
	}
	if diff := cmp.Diff([]string{"State=Pending", "State=Pending", ""}, realisms(p, "GetFunctionConfiguration")); diff != "" {
		t.Errorf("what the reads of the waiter saw (-want +got):\n%s", diff)
	}
}

// TestRealismPendingFor checks the time limit of Pending, and GetFunction.
func TestRealismPendingFor(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("slow"))
	fn := aws.String(w.Function)
	p := faultproxy.NewT(t, s.URL)
	const pending = 800 * time.Millisecond
	p.SetRealism(faultproxy.Realism{PendingFor: pending})
	c := newClients(s, p, 1)
	ctx := t.Context()

	start := time.Now()
	pub, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
	if err != nil || pub.State != ltypes.StatePending {
		t.Fatalf("PublishVersion = %v, %v; want Pending", pub, err)
	}
	for i := 0; ; i++ {
		out, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(w.FunctionARN + ":" + aws.ToString(pub.Version))})
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		if out.Configuration.State == ltypes.StateActive {
			if elapsed < pending || i < 3 {
				t.Errorf("Active after %v and %d reads, want Pending for %v whatever the reads", elapsed, i, pending)
			}
			break
		}
		if elapsed > pending+5*time.Second {
			t.Fatalf("still %s after %v", out.Configuration.State, elapsed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRealismUpdateInProgress checks the update window after
// UpdateFunctionCode: $LATEST reads InProgress, the operations the
// documentation lists answer 409 (which the SDK does not retry), others go
// on; and ConflictNext.
func TestRealismUpdateInProgress(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("busy"))
	fn := aws.String(w.Function)
	ctx := t.Context()

	t.Run("window", func(t *testing.T) {
		p := faultproxy.NewT(t, s.URL)
		p.SetRealism(faultproxy.Realism{UpdateReads: 2})
		c := newClients(s, p, 0) // the SDK's own retries

		up, err := c.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: fn, ZipFile: zipCode(t, 5)})
		if err != nil {
			t.Fatal(err)
		}
		if up.LastUpdateStatus != ltypes.LastUpdateStatusInProgress || up.State != ltypes.StateActive {
			t.Errorf("UpdateFunctionCode answer: %s, %s; want Active, InProgress", up.State, up.LastUpdateStatus)
		}
		_, err = c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
		if _, msg := apiError(err); !isA[*ltypes.ResourceConflictException](err) || msg != updatingMessage+w.Function {
			t.Fatalf("PublishVersion during the update = %v, want ResourceConflictException %q", err, updatingMessage+w.Function)
		}
		if n := p.Count("PublishVersion"); n != 1 {
			t.Errorf("%d PublishVersion requests, want 1: the SDK does not retry a 409", n)
		}
		_, err = c.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: fn, Description: aws.String("x")})
		if !isA[*ltypes.ResourceConflictException](err) {
			t.Errorf("UpdateFunctionConfiguration during the update = %v, want ResourceConflictException", err)
		}
		// Not in the documented list.
		if _, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1")}); err != nil {
			t.Errorf("UpdateAlias during the update = %v, want it to go on", err)
		}

		var got []ltypes.LastUpdateStatus
		for range 3 {
			out, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out.LastUpdateStatus)
		}
		want := []ltypes.LastUpdateStatus{ltypes.LastUpdateStatusInProgress, ltypes.LastUpdateStatusInProgress, ltypes.LastUpdateStatusSuccessful}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LastUpdateStatus read (-want +got):\n%s", diff)
		}
		if _, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn}); err != nil {
			t.Errorf("PublishVersion after the update = %v", err)
		}
		if n := p.RealismStats().UpdateConflicts; n != 2 {
			t.Errorf("UpdateConflicts = %d, want 2", n)
		}

		// The SDK's FunctionUpdatedV2 waiter reads GetFunction.
		if _, err := c.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: fn, Description: aws.String("y")}); err != nil {
			t.Fatal(err)
		}
		waiter := lambda.NewFunctionUpdatedV2Waiter(c.lambda, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
			o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
		})
		if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: fn}, 10*time.Second); err != nil {
			t.Fatalf("FunctionUpdatedV2 waiter: %v", err)
		}
		if diff := cmp.Diff([]string{"LastUpdateStatus=InProgress", "LastUpdateStatus=InProgress", ""}, realisms(p, "GetFunction")); diff != "" {
			t.Errorf("what the waiter's reads saw (-want +got):\n%s", diff)
		}
	})

	t.Run("begun outside, for a time, other operations", func(t *testing.T) {
		p := faultproxy.NewT(t, s.URL)
		const window = 600 * time.Millisecond
		p.SetRealism(faultproxy.Realism{UpdateFor: window, UpdateBlocks: []string{"UpdateAlias"}})
		c := newClients(s, p, 1)
		start := time.Now()
		p.BeginUpdate(w.Function)
		update := &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1")}
		if _, err := c.lambda.UpdateAlias(ctx, update); !isA[*ltypes.ResourceConflictException](err) {
			t.Fatalf("UpdateAlias during an update = %v, want ResourceConflictException", err)
		}
		for {
			_, err := c.lambda.UpdateAlias(ctx, update)
			if err == nil {
				break
			}
			if time.Since(start) > window+5*time.Second {
				t.Fatalf("UpdateAlias still fails after %v: %v", time.Since(start), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if took := time.Since(start); took < window {
			t.Errorf("the update ended after %v, want %v", took, window)
		}
	})

	t.Run("conflict next", func(t *testing.T) {
		p := faultproxy.NewT(t, s.URL)
		c := newClients(s, p, 0)
		p.ConflictNext("PublishVersion", 2)
		var errs []error
		for range 3 {
			_, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
			errs = append(errs, err)
		}
		if !isA[*ltypes.ResourceConflictException](errs[0]) || !isA[*ltypes.ResourceConflictException](errs[1]) || errs[2] != nil {
			t.Errorf("three PublishVersion = %v, want two 409s and a success", errs)
		}
		if diff := cmp.Diff([]string{"ConflictNext", "ConflictNext", ""}, realisms(p, "PublishVersion")); diff != "" {
			t.Errorf("Realism of the PublishVersion records (-want +got):\n%s", diff)
		}
	})
}

// TestRealismQuota checks Lambda's request quotas: 15 control-plane
// requests a second, GetFunction on its own quota, Invoke outside.
func TestRealismQuota(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("quota"))
	fn := aws.String(w.Function)
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.DefaultRealism())
	c := newClients(s, p, 1)
	ctx := t.Context()

	burst := func(n int, call func() error) (throttled int, errs []error) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				err := call()
				mu.Lock()
				defer mu.Unlock()
				var tm *ltypes.TooManyRequestsException
				switch {
				case err == nil:
				case errors.As(err, &tm) && tm.Reason == ltypes.ThrottleReasonCallerRateLimitExceeded && httpStatus(err) == http.StatusTooManyRequests:
					throttled++
				default:
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		return throttled, errs
	}

	// 40 at once land in at most two seconds, 30 of them at most accepted.
	throttled, errs := burst(40, func() error {
		_, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")})
		return err
	})
	if len(errs) > 0 || throttled < 10 {
		t.Fatalf("40 GetAlias at once: %d throttled, errors %v; want at least 10 throttled", throttled, errs)
	}
	st := p.RealismStats()
	total := 0
	for _, sec := range st.Seconds {
		total += sec.ControlPlane
		if accepted := sec.ControlPlane - sec.Throttled; accepted > 15 {
			t.Errorf("second %v let %d control-plane requests through, want at most 15", sec.Start, accepted)
		}
	}
	if total != 40 || st.Throttled != throttled || st.BusiestSecond.ControlPlane < 20 {
		t.Errorf("stats: %d requests, %d throttled, busiest second %d; want 40, %d, at least 20", total, st.Throttled, st.BusiestSecond.ControlPlane, throttled)
	}

	// GetFunction has 100 a second; Invoke is not a control-plane call.
	time.Sleep(time.Second)
	if n, errs := burst(40, func() error {
		_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn})
		return err
	}); n != 0 || len(errs) > 0 {
		t.Errorf("40 GetFunction at once: %d throttled, errors %v; want none", n, errs)
	}
	if n, errs := burst(30, func() error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: fn, Qualifier: aws.String("prod")})
		return err
	}); n != 0 || len(errs) > 0 {
		t.Errorf("30 Invoke at once: %d throttled, errors %v; want none", n, errs)
	}
	st = p.RealismStats()
	getFunction, controlPlane := 0, 0
	for _, sec := range st.Seconds {
		getFunction += sec.GetFunction
		controlPlane += sec.ControlPlane
	}
	if getFunction != 40 || controlPlane != 40 {
		t.Errorf("counted %d GetFunction and %d control-plane requests, want 40 and 40 (Invoke not counted)", getFunction, controlPlane)
	}

	// With the quota off the requests are counted, none throttled.
	free := faultproxy.NewT(t, s.URL)
	fc := newClients(s, free, 1)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := fc.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if st := free.RealismStats(); st.Throttled != 0 || st.BusiestSecond.ControlPlane == 0 {
		t.Errorf("without a quota: %d throttled, busiest second %d; want 0 and counted", st.Throttled, st.BusiestSecond.ControlPlane)
	}
}
