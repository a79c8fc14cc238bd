package promote

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// nameErrorRate is the name of the error-rate gate.
const nameErrorRate = "error rate"

// unknownSince is how far back the error rate of a canary is judged when
// the alias does not record when it began (a split made by hand).
const unknownSince = time.Hour

// wantMetrics reports whether the gates read CloudWatch's metrics.
func (x *execution) wantMetrics() bool {
	return x.d.Metrics != nil && (x.wantRate() || x.cfg.CompareToStable)
}

// wantRate reports whether the error-rate gate judges the new version
// alone: max-error-rate or min-invocations.
func (x *execution) wantRate() bool {
	return x.cfg.MaxErrorRate != nil || x.cfg.MinInvocations > 0
}

// compared reports whether the run judges its steps against the stable
// version: compare-to-stable, except for a run that takes a held slice out
// (traffic-weight: 0), which must not wait to undo it.
func (x *execution) compared() bool {
	undo := x.cfg.TrafficWeight != nil && *x.cfg.TrafficWeight == 0
	return x.cfg.CompareToStable && x.d.Pair != nil && !undo
}

// reading is what one reading of the gates is for.
type reading struct {
	// final is set for a reading that ends a bake: the next step depends
	// on it.
	final bool
	// look is which judgement of the step a final reading is, with
	// compare-to-stable: 0 at the end of its bake, then up to
	// rollout.ExtraLooks while the comparison cannot tell yet.
	look int
}

// readGates reads the alarms once for the release and judges each moving
// function's error rate since its new version first took traffic. A final
// reading ends a bake, and the next step depends on it: for each function it
// first waits, within MetricWait, until CloudWatch has delivered the
// metrics up to now, because Lambda sends them in 1-minute periods that
// arrive late (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html),
// and it wants the new version to have served min-invocations.
func (r *release) readGates(ctx context.Context, units []*execution, rd reading) ([]outcome.Gate, error) {
	alarms, err := readAlarms(ctx, r.d, r.cfg.Alarms)
	if err != nil || failed(alarms) || !units[0].wantMetrics() {
		logGates(r.d.Log, alarms)
		return alarms, err
	}
	asOf := r.d.Clock.Now()
	rates := make([][]outcome.Gate, len(units))
	var (
		mu     sync.Mutex
		firing []outcome.Gate // alarms that fired while the metrics were awaited
	)
	err = r.each(units, func(x *execution) error {
		g, late, err := x.judgeMetrics(ctx, asOf, rd)
		if len(late) > 0 {
			mu.Lock()
			firing = late
			mu.Unlock()
		}
		rates[slices.Index(units, x)] = g
		return err
	})
	if err != nil {
		return nil, err
	}
	if firing != nil {
		logGates(r.d.Log, firing)
		return firing, nil
	}
	gates := alarms
	for i, gs := range rates {
		for _, g := range gs {
			if len(r.units) > 1 {
				g.Name += " of " + units[i].name()
			}
			gates = append(gates, g)
		}
	}
	logGates(r.d.Log, gates)
	return gates, nil
}

// judgeMetrics judges one function's error rate since its new version first
// took traffic and, at a final reading with compare-to-stable, the new
// version against the stable one over the step's window; none when the new
// version has no traffic yet. A final reading waits for CloudWatch to
// deliver the metrics up to asOf, reading the alarms meanwhile: those are
// returned when one fires.
func (x *execution) judgeMetrics(ctx context.Context, asOf time.Time, rd reading) ([]outcome.Gate, []outcome.Gate, error) {
	final := rd.final
	compared := x.compared() && final
	if x.weight == 0 || !x.wantRate() && !compared {
		// The comparison judges only the end of a step.
		return nil, nil, nil
	}
	if x.since.IsZero() {
		x.since = asOf.Add(-unknownSince)
		x.d.Log.Warningf("alias %s of %s does not record when version %s first took traffic; its error rate is judged over the last %s", x.cfg.Alias, x.name(), x.target.Version, unknownSince)
	}
	waitUntil := asOf.Add(x.d.MetricWait)
	var series gate.Series
	for waited := false; ; waited = true {
		var err error
		series, err = x.d.Metrics(ctx, x.name(), x.cfg.Alias, x.target.Version, x.since, x.d.Clock.Now())
		if err != nil {
			return nil, nil, fmt.Errorf("read the metrics of version %s: %w", x.target.Version, err)
		}
		if !final || covers(series, asOf) {
			break
		}
		now := x.d.Clock.Now()
		if !now.Before(waitUntil) {
			x.d.Log.Warningf("CloudWatch has delivered no metrics of alias %s of %s after %s UTC in %s; judging on what it has (Lambda sends none for minutes without invocations)", x.cfg.Alias, x.name(), asOf.UTC().Format("15:04:05"), x.d.MetricWait)
			break
		}
		if !waited {
			x.d.Log.Infof("waiting for CloudWatch to deliver the metrics of alias %s of %s up to %s UTC (Lambda's metrics come per minute and minutes late), at most until %s UTC", x.cfg.Alias, x.name(), asOf.UTC().Format("15:04:05"), waitUntil.UTC().Format("15:04:05"))
		}
		if err := x.sleep(ctx, min(x.d.CheckEvery, waitUntil.Sub(now))); err != nil {
			return nil, nil, err
		}
		// Alarms still count while the metrics are awaited.
		alarms, err := readAlarms(ctx, x.d, x.cfg.Alarms)
		if err != nil {
			return nil, nil, err
		}
		if failed(alarms) {
			return nil, alarms, nil
		}
	}
	var gates []outcome.Gate
	// A step held because the comparison cannot tell yet is not failed for
	// want of min-invocations: more traffic comes while it holds.
	rateFinal := final
	if compared {
		_, invocations := totalsSince(series, x.since)
		c, err := x.judgeCompare(ctx, rd.look, invocations >= float64(x.cfg.MinInvocations))
		if err != nil {
			return nil, nil, err
		}
		rateFinal = c.Compare.Call != rollout.HoldStep.String()
		gates = append(gates, c)
	}
	if x.wantRate() {
		gates = append([]outcome.Gate{judgeRate(series, x.since, x.cfg.MaxErrorRate, x.cfg.MinInvocations, rateFinal)}, gates...)
	}
	return gates, nil, nil
}

func readAlarms(ctx context.Context, d Deps, names []string) ([]outcome.Gate, error) {
	if len(names) == 0 || d.Alarms == nil {
		return nil, nil
	}
	g, err := d.Alarms(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("read alarms: %w", err)
	}
	return g, nil
}

func logGates(log Logger, gates []outcome.Gate) {
	for _, g := range gates {
		log.Infof("gate %s: %s", g.Name, g.Detail)
	}
}

func failed(gates []outcome.Gate) bool {
	for _, g := range gates {
		if !g.OK {
			return true
		}
	}
	return false
}

// covers reports whether CloudWatch has delivered the metrics up to t: a
// minute that starts at or after t has a datapoint, of the alias as a whole
// or of the new version. Lambda's metrics of a minute are taken as complete
// once a later minute has data.
func covers(s gate.Series, t time.Time) bool {
	for _, at := range s.Alias {
		if !at.Before(t) {
			return true
		}
	}
	for _, m := range s.Version {
		if !m.At.Before(t) {
			return true
		}
	}
	return false
}

// judgeRate judges the new version's metrics since it first took traffic:
// its Errors / Invocations above max fails; at the end of a bake, fewer
// invocations than min fails too, since there is not enough traffic to
// judge. With no max, only the traffic is judged.
func judgeRate(s gate.Series, since time.Time, max *percent.Percent, min int, final bool) outcome.Gate {
	errs, invocations := totalsSince(s, since)
	limit := percent.All
	if max != nil {
		limit = *max
	}
	g := rateGate(errs, invocations, limit)
	if final && min > 0 && invocations < float64(min) {
		g.OK = false
		g.Detail = fmt.Sprintf("not enough traffic to judge: %s since %s UTC, and min-invocations is %d", count(invocations, "invocation"), since.UTC().Format("15:04"), min)
	}
	return g
}

// totalsSince sums the new version's errors and invocations of the minutes
// from the one since falls in.
func totalsSince(s gate.Series, since time.Time) (errs, invocations float64) {
	from := since.Truncate(time.Minute)
	for _, m := range s.Version {
		if !m.At.Before(from) {
			errs += m.Errors
			invocations += m.Invocations
		}
	}
	return errs, invocations
}

// rateGate judges an error rate: errors/invocations above max fails. With no
// invocations there is nothing to judge and the gate passes.
func rateGate(errors, invocations float64, max percent.Percent) outcome.Gate {
	g := outcome.Gate{Kind: outcome.GateErrorRate, Name: nameErrorRate, Errors: errors, Invocations: invocations, Max: max}
	if invocations <= 0 || math.IsNaN(invocations) {
		g.OK = true
		g.Invocations = 0
		g.Detail = "no invocations yet"
		return g
	}
	g.Rate = percent.Of(errors, invocations)
	g.OK = g.Rate <= max
	op := "≤"
	if !g.OK {
		op = ">"
	}
	g.Detail = fmt.Sprintf("%s / %s = %s %s %s", count(errors, "error"), count(invocations, "invocation"), g.Rate.Fixed(), op, max.Fixed())
	return g
}

func count(n float64, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%s %s", fmt.Sprint(n), noun)
}
