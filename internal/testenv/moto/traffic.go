package moto

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// MetricPutter is the CloudWatch call Traffic makes.
type MetricPutter interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Traffic is steady invocations of a function through an alias, recorded as
// the AWS/Lambda metrics Lambda would publish for them: every tick, the
// Invocations and Errors of the tick, stamped with the time of the tick.
//
// Lambda publishes Invocations and Errors under the dimension sets
// {FunctionName}, {FunctionName, Resource=FN:ALIAS} and, for invocations of
// an alias, {FunctionName, Resource=FN:ALIAS, ExecutedVersion=V}; Traffic
// puts each datapoint under all three.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
//
// CloudWatch treats each unique combination of dimensions as a separate
// metric, and GetMetricData returns only the metric whose dimensions are
// exactly those asked for, never a sum over the metrics that have them
// among others.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#dimension-combinations
// moto's GetMetricData means to do the same, comparing sorted dimension
// lists, with three differences: its sort is broken (moto 5.x compares a
// dimension's value with the other's name), so a query matches only when
// its dimensions come in an order that "sorts" as the datapoint's did; in
// Lambda's order (FunctionName, Resource, ExecutedVersion), which Traffic
// and PutLambdaMetrics use, a query in the same order always matches,
// while one starting with Resource never does. Once a query names
// dimensions moto no longer checks the namespace, and its periods start at
// the query's StartTime instead of on whole periods.
type Traffic struct {
	Function, Alias string
	// PerTick is how many invocations a tick records, split between the
	// versions by Split. Shares that are not whole numbers are carried over
	// to later ticks, so each datapoint is a whole count.
	PerTick float64
	// Tick is the time between two datapoints; 0 means one second.
	Tick time.Duration
	// Split maps each version to its share of the invocations (0–1). nil
	// follows the alias as moto routes it, read at every tick.
	Split map[string]float64
	// ErrorRate maps a version to the share of its invocations that fail.
	ErrorRate map[string]float64
	// Duration maps a version to the median Duration of its invocations,
	// in milliseconds; a version without one records no Duration. Each
	// invocation's Duration comes from a log-normal distribution around
	// the median (σ = DurationSpread of the logarithm, 0.3 when 0), drawn
	// by an even sequence rather than at random, so that over a few
	// hundred invocations the percentiles are those of the distribution:
	// the p99 is median × e^(2.326 σ), about 2 × the median at σ = 0.3.
	// The values go to CloudWatch as Values and Counts, rounded to the
	// millisecond, from which CloudWatch computes percentiles.
	Duration       map[string]float64
	DurationSpread float64
	// CloudWatch receives the metrics. nil puts them straight on the
	// server, visible at once; a client of a faultproxy.Proxy with
	// Realism.MetricDelay delays them as CloudWatch does.
	CloudWatch MetricPutter
}

// Counts is what Traffic recorded for one version.
type Counts struct {
	Invocations, Errors float64
}

// TrafficRun is Traffic under way; Stop ends it.
type TrafficRun struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	totals map[string]Counts
	errs   []error
}

// StartTraffic records tr's first tick at once and then one every tick,
// until ctx ends or Stop.
func (s *Server) StartTraffic(ctx context.Context, tr Traffic) *TrafficRun {
	if tr.Tick <= 0 {
		tr.Tick = time.Second
	}
	if tr.CloudWatch == nil {
		tr.CloudWatch = s.CloudWatch()
	}
	ctx, cancel := context.WithCancel(ctx)
	run := &TrafficRun{cancel: cancel, done: make(chan struct{}), totals: map[string]Counts{}}
	go func() {
		defer close(run.done)
		owed, errOwed := map[string]float64{}, map[string]float64{}
		drawn := map[string]int{} // Durations drawn so far, by version
		tick := time.NewTicker(tr.Tick)
		defer tick.Stop()
		for {
			if err := s.trafficTick(ctx, tr, owed, errOwed, drawn, run); err != nil && ctx.Err() == nil {
				run.mu.Lock()
				run.errs = append(run.errs, err)
				run.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return run
}

// Stop ends the traffic, waits for a tick under way, and returns the errors
// of the ticks that failed.
func (r *TrafficRun) Stop() error {
	r.cancel()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

// Totals is what the ticks recorded so far, by version.
func (r *TrafficRun) Totals() map[string]Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.totals)
}

// trafficTick puts one tick's datapoints.
func (s *Server) trafficTick(ctx context.Context, tr Traffic, owed, errOwed map[string]float64, drawn map[string]int, run *TrafficRun) error {
	split := tr.Split
	if split == nil {
		var err error
		if split, err = s.aliasSplit(ctx, tr.Function, tr.Alias); err != nil {
			return err
		}
	}
	at := time.Now()
	tick := map[string]Counts{}
	var total Counts
	for _, v := range slices.Sorted(maps.Keys(split)) {
		owed[v] += tr.PerTick * split[v]
		n := math.Floor(owed[v] + 1e-9)
		owed[v] -= n
		errOwed[v] += n * tr.ErrorRate[v]
		e := math.Floor(errOwed[v] + 1e-9)
		errOwed[v] -= e
		if n > 0 {
			tick[v] = Counts{Invocations: n, Errors: e}
			total.Invocations += n
			total.Errors += e
		}
	}
	if total.Invocations == 0 {
		return nil
	}
	fn := cwtypes.Dimension{Name: aws.String("FunctionName"), Value: aws.String(tr.Function)}
	resource := cwtypes.Dimension{Name: aws.String("Resource"), Value: aws.String(tr.Function + ":" + tr.Alias)}
	var data []cwtypes.MetricDatum
	add := func(c Counts, dims ...cwtypes.Dimension) {
		data = append(data,
			cwtypes.MetricDatum{MetricName: aws.String("Invocations"), Dimensions: dims, Value: aws.Float64(c.Invocations), Timestamp: aws.Time(at), Unit: cwtypes.StandardUnitCount},
			cwtypes.MetricDatum{MetricName: aws.String("Errors"), Dimensions: dims, Value: aws.Float64(c.Errors), Timestamp: aws.Time(at), Unit: cwtypes.StandardUnitCount},
		)
	}
	add(total, fn)
	add(total, fn, resource)
	all := map[float64]float64{}          // the Durations of every version
	var durations [][]cwtypes.MetricDatum // by metric
	for _, v := range slices.Sorted(maps.Keys(tick)) {
		version := cwtypes.Dimension{Name: aws.String("ExecutedVersion"), Value: aws.String(v)}
		add(tick[v], fn, resource, version)
		if median, ok := tr.Duration[v]; ok {
			d := drawDurations(median, tr.DurationSpread, drawn[v], int(tick[v].Invocations))
			drawn[v] += int(tick[v].Invocations)
			for ms, n := range d {
				all[ms] += n
			}
			durations = append(durations, durationData(d, at, fn, resource, version))
		}
	}
	if len(all) > 0 {
		durations = append(durations, durationData(all, at, fn), durationData(all, at, fn, resource))
	}
	// CloudWatch takes up to 150 values per metric in one PutMetricData
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html):
	// the k-th datum of each metric's Durations goes in the k-th request.
	requests := [][]cwtypes.MetricDatum{data}
	for _, metric := range durations {
		for k, d := range metric {
			if k == len(requests) {
				requests = append(requests, nil)
			}
			requests[k] = append(requests[k], d)
		}
	}
	// A put under way when Stop cancels ctx is finished, not cut off: cut
	// off, moto may have stored the datapoints while the totals leave them
	// out, and a test comparing the two would see more errors than were
	// counted.
	putCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, req := range requests {
		if _, err := tr.CloudWatch.PutMetricData(putCtx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: req}); err != nil {
			return fmt.Errorf("traffic of %s:%s: put metrics: %w", tr.Function, tr.Alias, err)
		}
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	for v, c := range tick {
		t := run.totals[v]
		t.Invocations += c.Invocations
		t.Errors += c.Errors
		run.totals[v] = t
	}
	return nil
}

// aliasSplit is how alias of fn splits traffic on moto: its version's share
// and each additional version's weight.
func (s *Server) aliasSplit(ctx context.Context, fn, alias string) (map[string]float64, error) {
	out, err := s.Lambda().GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(alias)})
	if err != nil {
		return nil, fmt.Errorf("traffic of %s:%s: %w", fn, alias, err)
	}
	split := map[string]float64{}
	primary := 1.0
	if out.RoutingConfig != nil {
		for v, w := range out.RoutingConfig.AdditionalVersionWeights {
			split[v] += w
			primary -= w
		}
	}
	split[aws.ToString(out.FunctionVersion)] += primary
	return split, nil
}

// maxValues is the most values of one metric a PutMetricData takes.
const maxValues = 150

// drawDurations is n Durations of a version with the given median (ms),
// the from-th to the (from+n−1)-th of its even sequence, as counts by
// millisecond. The i-th draw is the quantile at u = frac(0.5 + i/φ) of the
// log-normal distribution: the golden-ratio sequence covers (0, 1) evenly,
// so any run of draws has the distribution's percentiles.
func drawDurations(median, spread float64, from, n int) map[float64]float64 {
	if spread <= 0 {
		spread = 0.3
	}
	out := map[float64]float64{}
	for i := from; i < from+n; i++ {
		_, u := math.Modf(0.5 + float64(i)*0.6180339887498949)
		u = min(max(u, 1e-9), 1-1e-9)
		z := math.Sqrt2 * math.Erfinv(2*u-1)
		out[math.Max(1, math.Round(median*math.Exp(spread*z)))]++
	}
	return out
}

// durationData is the Duration datums of counts by millisecond under dims,
// each of at most maxValues values.
func durationData(counts map[float64]float64, at time.Time, dims ...cwtypes.Dimension) []cwtypes.MetricDatum {
	var out []cwtypes.MetricDatum
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(counts)), maxValues) {
		n := make([]float64, len(chunk))
		for i, ms := range chunk {
			n[i] = counts[ms]
		}
		out = append(out, cwtypes.MetricDatum{
			MetricName: aws.String("Duration"), Dimensions: dims, Values: chunk, Counts: n,
			Timestamp: aws.Time(at), Unit: cwtypes.StandardUnitMilliseconds,
		})
	}
	return out
}
