package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/dev/figures"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// The runner's cancellation of a step: SIGINT, then SIGTERM if the process
// has not exited 7500 ms later, then the process tree killed 2500 ms after
// that.
// https://docs.github.com/en/actions/reference/workflow-cancellation-reference
const (
	sigtermAfter = 7500 * time.Millisecond
	killAfter    = sigtermAfter + 2500*time.Millisecond
)

// cancelResult is what the cancelled release measured. Times are from the
// SIGINT.
type cancelResult struct {
	Functions int    `json:"functions"`
	Schedule  string `json:"schedule"`
	Trigger   string `json:"trigger"`
	// SignalAtMS is when SIGINT was sent, after the process started;
	// MovedBefore counts the aliases at the first step's weight by then.
	SignalAtMS  float64 `json:"sigint_at_ms"`
	MovedBefore int     `json:"aliases_at_first_step"`
	// FirstMoveMS is when the first move back reached the proxy;
	// LastMoveMS when the proxy answered the last UpdateAlias; ExitMS when
	// the process exited.
	FirstMoveMS float64 `json:"sigint_to_first_move_ms"`
	LastMoveMS  float64 `json:"sigint_to_last_move_answered_ms"`
	ExitMS      float64 `json:"sigint_to_exit_ms"`
	// AfterSignal counts the requests that arrived after SIGINT, by
	// operation; RollbackMoves the UpdateAlias calls among them.
	AfterSignal   map[string]int `json:"requests_after_sigint"`
	RollbackMoves int            `json:"rollback_moves"`
	// BusiestControlPlane is the busiest second from the SIGINT's on, as
	// the proxy counted it; Throttled the 429s answered after the SIGINT.
	BusiestControlPlane int `json:"busiest_second_control_plane_after_sigint"`
	Throttled           int `json:"throttled_429_after_sigint"`
	// SIGTERM and Killed say whether the process was still running when
	// the runner would have sent SIGTERM, and killed it.
	SIGTERM  bool     `json:"running_at_sigterm"`
	Killed   bool     `json:"running_at_kill"`
	ExitCode int      `json:"exit_code"`
	Status   string   `json:"status"`
	AllBack  bool     `json:"all_back_on_stable"`
	NotBack  []string `json:"not_back,omitempty"`
}

// cancel runs a gradual release of every function of svc and cancels it as
// the runner cancels a job, once every alias has reached the first step:
// on the first GetAlias after the first step's moves (the drift check of
// the next gate reading), which the proxy's OnRequest hook sees on the
// run's own calls.
func (b *bench) cancel(ctx context.Context, svc moto.Service, p plan) (cancelResult, error) {
	n := len(svc.Functions)
	var (
		fired     atomic.Bool
		moves     atomic.Int64
		signalled = make(chan time.Time, 1)
		exited    = make(chan struct{})
		timers    sync.WaitGroup
		sigAt     time.Time // written by the timers' goroutine, read after timers.Wait
	)
	watch := func(px *faultproxy.Proxy, proc *atomic.Pointer[os.Process]) func() {
		px.OnRequest(func(op faultproxy.Op, _ int) {
			if op.Service != "lambda" {
				return
			}
			switch op.Name {
			case "UpdateAlias":
				moves.Add(1)
			case "GetAlias":
				// Every alias was moved, and each move answered (a
				// release reads again only once all are): cancel now.
				if moves.Load() >= int64(n) && fired.CompareAndSwap(false, true) {
					signalled <- time.Now()
					if pr := proc.Load(); pr != nil {
						_ = pr.Signal(os.Interrupt)
					}
				}
			}
		})
		timers.Go(func() {
			select {
			case sigAt = <-signalled:
			case <-exited:
				return
			}
			for _, t := range []struct {
				after time.Duration
				sig   os.Signal
			}{{sigtermAfter, syscall.SIGTERM}, {killAfter, syscall.SIGKILL}} {
				select {
				case <-time.After(time.Until(sigAt.Add(t.after))):
					if pr := proc.Load(); pr != nil {
						_ = pr.Signal(t.sig)
					}
				case <-exited:
					return
				}
			}
		})
		return func() { close(exited) }
	}
	r, err := b.release(ctx, svc, p, perQuota, watch)
	timers.Wait()
	if err != nil {
		return cancelResult{}, err
	}
	if sigAt.IsZero() {
		return cancelResult{}, fmt.Errorf("the release never read an alias after moving all %d: no signal was sent (exit %d, status %q)\n%s", n, r.exitCode, r.outputs["status"], tail(r.out, 40))
	}

	c := cancelResult{
		Functions: n, Schedule: p.name,
		Trigger:    "the first GetAlias after every alias's first move (the drift check of the next gate reading)",
		SignalAtMS: figures.MS(sigAt.Sub(r.start)), ExitMS: figures.MS(r.exit.Sub(sigAt)),
		AfterSignal: map[string]int{},
		SIGTERM:     r.exit.Sub(sigAt) > sigtermAfter, Killed: r.exit.Sub(sigAt) > killAfter,
		ExitCode: r.exitCode, Status: r.outputs["status"],
	}
	first, err := firstStepWeight(p.steps)
	if err != nil {
		return c, err
	}
	var errs []error
	for _, rec := range r.records {
		if rec.Arrived.Before(sigAt) {
			if rec.Op.String() == "lambda.UpdateAlias" {
				if w, ok := newWeight(rec.Body); rec.Status/100 == 2 && ok && math.Abs(w-first) < 1e-9 {
					c.MovedBefore++
				}
			}
			continue
		}
		c.AfterSignal[rec.Op.String()]++
		if rec.Realism == "QuotaExceeded" {
			c.Throttled++
		}
		if rec.Op.String() != "lambda.UpdateAlias" {
			continue
		}
		c.RollbackMoves++
		if c.RollbackMoves == 1 {
			c.FirstMoveMS = figures.MS(rec.Arrived.Sub(sigAt))
		}
		if rec.Answered.IsZero() {
			errs = append(errs, fmt.Errorf("an UpdateAlias after the signal was never answered"))
			continue
		}
		c.LastMoveMS = max(c.LastMoveMS, figures.MS(rec.Answered.Sub(sigAt)))
	}
	for _, s := range r.stats.Seconds {
		if s.Start.Unix() >= sigAt.Unix() {
			c.BusiestControlPlane = max(c.BusiestControlPlane, s.ControlPlane)
		}
	}
	if c.MovedBefore != n {
		errs = append(errs, fmt.Errorf("%d of %d aliases were at %g%% when the signal came", c.MovedBefore, n, first*100))
	}

	fns, err := parseFunctions(r.outputs["functions"])
	if err != nil {
		errs = append(errs, err)
	}
	for _, fn := range svc.Functions {
		v, w, err := b.srv.Alias(ctx, fn, svc.Alias)
		if err != nil {
			return c, err
		}
		if v != r.stable[fn] || w != nil || fns[fn].Status != "rolled-back" {
			c.NotBack = append(c.NotBack, fmt.Sprintf("%s on %s with weights %v (%s)", fn, v, w, fns[fn].Status))
		}
	}
	c.AllBack = len(c.NotBack) == 0
	if len(errs) > 0 {
		return c, fmt.Errorf("%w\n%s", errors.Join(errs...), tail(r.out, 40))
	}
	return c, nil
}

// firstStepWeight is the first weight of a steps input as Lambda stores
// it, a fraction: "10,50,100" is 0.1. The cancel needs a step to cancel at.
func firstStepWeight(steps string) (float64, error) {
	weights, err := rollout.ParseSteps(steps)
	if err != nil {
		return 0, fmt.Errorf("steps %q: %w", steps, err)
	}
	if len(weights) < 2 {
		return 0, fmt.Errorf("steps %q: the first step must be a weight between 0 and 100", steps)
	}
	return weights[0].Fraction(), nil
}

// newWeight is the weight an UpdateAlias body gives its one additional
// version, and whether it gives one.
func newWeight(body []byte) (float64, bool) {
	var in struct {
		RoutingConfig *struct{ AdditionalVersionWeights map[string]float64 }
	}
	if json.Unmarshal(body, &in) != nil || in.RoutingConfig == nil || len(in.RoutingConfig.AdditionalVersionWeights) != 1 {
		return 0, false
	}
	for _, w := range in.RoutingConfig.AdditionalVersionWeights {
		return w, true
	}
	return 0, false
}
