package faultproxy_test

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// apiError is the code and message of the AWS error err wraps.
func apiError(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// realisms are the Realism names of the records of operation op.
func realisms(p *faultproxy.Proxy, op string) []string {
	var out []string
	for _, r := range p.Requests() {
		if r.Op.Name == op {
			out = append(out, r.Realism)
		}
	}
	return out
}

// sumMetric sums the datapoints of metric name with exactly dims (name,
// value, name, value...) over the last 10 minutes, reading moto directly;
// found is false when there are none. moto matches dimensions only in some
// orders (see moto.Traffic): dims keep Lambda's.
func sumMetric(t *testing.T, s *moto.Server, name string, dims ...string) (sum float64, found bool) {
	t.Helper()
	var ds []cwtypes.Dimension
	for i := 0; i+1 < len(dims); i += 2 {
		ds = append(ds, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	now := time.Now()
	out, err := s.CloudWatch().GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-10 * time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(name), Dimensions: ds},
			Period: aws.Int32(60), Stat: aws.String("Sum"),
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			sum += v
			found = true
		}
	}
	return sum, found
}

// TestRealismMetricDelay checks that a PutMetricData through the proxy is
// answered at once and reaches moto only after MetricDelay, with its own
// timestamp.
func TestRealismMetricDelay(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	p := faultproxy.NewT(t, s.URL)
	const delay = 1500 * time.Millisecond
	p.SetRealism(faultproxy.Realism{MetricDelay: delay})
	cw := gate.NewCloudWatch(p.AWSConfig(s.AWSConfig()))
	late := moto.Unique("late")
	dims := []string{"FunctionName", late}

	start := time.Now()
	if _, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("AWS/Lambda"),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String("Errors"), Value: aws.Float64(7), Unit: cwtypes.StandardUnitCount, Timestamp: aws.Time(start.Add(-time.Second)),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(late)}},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= delay {
		t.Errorf("PutMetricData took %v, want an answer before the delay of %v", took, delay)
	}
	if _, found := sumMetric(t, s, "Errors", dims...); found {
		t.Fatal("GetMetricData sees the datapoint at once, want it only after the delay")
	}
	rs := p.Requests()
	if len(rs) != 1 || rs[0].Realism != "MetricHeld" || rs[0].Status != 200 || rs[0].Forwarded {
		t.Errorf("record = %+v, want a PutMetricData answered 200, held, not yet forwarded", rs)
	}
	if st := p.RealismStats(); st.MetricsHeld != 1 || st.MetricsDelivered != 0 {
		t.Errorf("held %d, delivered %d; want 1, 0", st.MetricsHeld, st.MetricsDelivered)
	}

	waitFor(t, func() bool { _, found := sumMetric(t, s, "Errors", dims...); return found })
	if took := time.Since(start); took < delay {
		t.Errorf("the datapoint showed after %v, want at least %v", took, delay)
	}
	if sum, _ := sumMetric(t, s, "Errors", dims...); sum != 7 {
		t.Errorf("sum = %v, want 7", sum)
	}
	if st := p.RealismStats(); st.MetricsDelivered != 1 {
		t.Errorf("delivered %d, want 1", st.MetricsDelivered)
	}
	if r := p.Requests()[0]; !r.Forwarded || r.Upstream != 200 {
		t.Errorf("record after delivery: forwarded %v, upstream %d; want true, 200", r.Forwarded, r.Upstream)
	}

	// The AWS CLI speaks CloudWatch's query protocol: the held answer is XML.
	cliFn := moto.Unique("cli")
	if _, err := exec.LookPath("aws"); err != nil {
		t.Log("no aws CLI: the query protocol answer is not checked")
		return
	}
	cli := exec.CommandContext(t.Context(), "aws", "cloudwatch", "put-metric-data", "--endpoint-url", p.URL,
		"--namespace", "AWS/Lambda", "--metric-name", "Errors", "--value", "3", "--dimensions", "FunctionName="+cliFn)
	cli.Env = append(s.Env(), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	if out, err := cli.CombinedOutput(); err != nil {
		t.Fatalf("aws cloudwatch put-metric-data through the proxy: %v\n%s", err, out)
	}
	if _, found := sumMetric(t, s, "Errors", "FunctionName", cliFn); found {
		t.Error("the CLI's datapoint is visible at once")
	}
	waitFor(t, func() bool { _, found := sumMetric(t, s, "Errors", "FunctionName", cliFn); return found })
}

// TestTraffic checks the traffic helper: its datapoints carry the three
// dimension sets Lambda publishes, GetMetricData matches dimensions
// exactly, and through a delaying proxy they arrive late.
func TestTraffic(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("busy"))
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.Realism{MetricDelay: time.Second})
	fn, res := w.Function, w.Function+":prod"

	run := s.StartTraffic(t.Context(), moto.Traffic{
		Function: fn, Alias: "prod", PerTick: 10, Tick: 100 * time.Millisecond,
		Split: map[string]float64{"1": 0.9, "2": 0.1}, ErrorRate: map[string]float64{"2": 0.5},
		CloudWatch: gate.NewCloudWatch(p.AWSConfig(s.AWSConfig())),
	})
	time.Sleep(450 * time.Millisecond)
	if _, found := sumMetric(t, s, "Invocations", "FunctionName", fn); found {
		t.Error("traffic through the delaying proxy is visible at once")
	}
	if err := run.Stop(); err != nil {
		t.Fatal(err)
	}
	totals := run.Totals()
	v1, v2 := totals["1"], totals["2"]
	if v1.Invocations == 0 || v2.Invocations == 0 || v1.Invocations != 9*v2.Invocations || v1.Errors != 0 || v2.Errors != float64(int(v2.Invocations/2)) {
		t.Fatalf("totals = %+v, want 9 invocations of 1 for each of 2, half of 2's failing", totals)
	}
	waitFor(t, func() bool {
		st := p.RealismStats()
		return st.MetricsHeld > 0 && st.MetricsDelivered == st.MetricsHeld
	})

	tests := []struct {
		name   string
		metric string
		dims   []string
		want   float64
		found  bool
	}{
		{"function", "Invocations", []string{"FunctionName", fn}, v1.Invocations + v2.Invocations, true},
		{"alias", "Invocations", []string{"FunctionName", fn, "Resource", res}, v1.Invocations + v2.Invocations, true},
		{"alias errors", "Errors", []string{"FunctionName", fn, "Resource", res}, v2.Errors, true},
		{"version 2", "Invocations", []string{"FunctionName", fn, "Resource", res, "ExecutedVersion", "2"}, v2.Invocations, true},
		{"version 2 errors", "Errors", []string{"FunctionName", fn, "Resource", res, "ExecutedVersion", "2"}, v2.Errors, true},
		{"version 1 errors", "Errors", []string{"FunctionName", fn, "Resource", res, "ExecutedVersion", "1"}, 0, true},
		// Exact match: a subset of a published set is another metric.
		{"without Resource", "Invocations", []string{"FunctionName", fn, "ExecutedVersion", "2"}, 0, false},
		{"Resource alone", "Invocations", []string{"Resource", res}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, found := sumMetric(t, s, tt.metric, tt.dims...)
			if sum != tt.want || found != tt.found {
				t.Errorf("%s %v = %v (found %v), want %v (found %v)", tt.metric, tt.dims, sum, found, tt.want, tt.found)
			}
		})
	}

	t.Run("follows the alias", func(t *testing.T) {
		run := s.StartTraffic(t.Context(), moto.Traffic{Function: fn, Alias: "prod", PerTick: 4, Tick: 50 * time.Millisecond})
		waitFor(t, func() bool { return run.Totals()["1"].Invocations > 0 })
		if _, err := s.Lambda().UpdateAlias(t.Context(), &lambda.UpdateAliasInput{
			FunctionName: aws.String(fn), Name: aws.String("prod"), FunctionVersion: aws.String("1"),
			RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}},
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return run.Totals()["2"].Invocations > 0 })
		if err := run.Stop(); err != nil {
			t.Fatal(err)
		}
	})
}
