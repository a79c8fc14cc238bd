package faultproxy_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// stats reads the given statistics of a metric over [start, end) in one
// GetMetricData call with one period over the whole range, by statistic.
func stats(t *testing.T, cw *cloudwatch.Client, metric string, dims []cwtypes.Dimension, start, end time.Time, names ...string) (map[string][]float64, error) {
	t.Helper()
	var qs []cwtypes.MetricDataQuery
	for i, s := range names {
		qs = append(qs, cwtypes.MetricDataQuery{Id: aws.String("q" + string(rune('a'+i))), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("Test/Percentiles"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(int32(end.Sub(start) / time.Second)), Stat: aws.String(s),
		}})
	}
	out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: qs})
	if err != nil {
		return nil, err
	}
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		for i, s := range names {
			if aws.ToString(r.Id) == "q"+string(rune('a'+i)) {
				got[s] = r.Values
			}
		}
	}
	return got, nil
}

func TestRealismPercentiles(t *testing.T) {
	t.Parallel()
	srv := moto.Shared(t)
	metric := moto.Unique("Duration")
	dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("f")}, {Name: aws.String("Resource"), Value: aws.String("f:prod")}}
	start := time.Now().Truncate(time.Minute).Add(-time.Minute)
	end := start.Add(3 * time.Minute)

	// The sender's proxy holds the metrics back; the reader's proxy is
	// another one in front of the same moto.
	sender := faultproxy.NewT(t, srv.URL)
	sender.SetRealism(faultproxy.Realism{MetricDelay: 500 * time.Millisecond, Percentiles: true})
	reader := faultproxy.NewT(t, srv.URL)
	reader.SetRealism(faultproxy.Realism{Percentiles: true})
	put := gate.NewCloudWatch(sender.AWSConfig(srv.AWSConfig()))
	cw := gate.NewCloudWatch(reader.AWSConfig(srv.AWSConfig()))

	values, counts := make([]float64, 100), make([]float64, 100)
	for i := range values {
		values[i], counts[i] = float64(i+1), 1
	}
	counts[0] = 101 // 101 ones, then 2 … 100: 200 values; the 100th is 1 (p50), the 198th 98 (p99)
	at := start.Add(30 * time.Second)
	if _, err := put.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("Test/Percentiles"), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String(metric), Dimensions: dims, Values: values, Counts: counts, Timestamp: aws.Time(at), Unit: cwtypes.StandardUnitMilliseconds},
	}}); err != nil {
		t.Fatal(err)
	}
	// Before the delay has passed CloudWatch has nothing.
	got, err := stats(t, cw, metric, dims, start, end, "p99")
	if err != nil {
		t.Fatal(err)
	}
	if len(got["p99"]) != 0 {
		t.Errorf("p99 before the metrics were delivered: %v", got["p99"])
	}
	deadline := time.Now().Add(10 * time.Second)
	for sender.RealismStats().MetricsDelivered == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}

	// moto alone answers a percentile query of data it has with a 500.
	bare := faultproxy.NewT(t, srv.URL)
	bareCW := gate.NewCloudWatch(bare.AWSConfig(srv.AWSConfig()), func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
	if _, err := stats(t, bareCW, metric, dims, start, end, "p99"); err == nil {
		t.Error("moto answered a p99 query without the realism layer: the layer may no longer be needed")
	}

	// The dimensions in another order name the same metric.
	reversed := []cwtypes.Dimension{dims[1], dims[0]}
	got, err = stats(t, cw, metric, reversed, start, end, "p99", "p50", "p100", "p0.5")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{"p99": {98}, "p50": {1}, "p100": {100}, "p0.5": {1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("percentiles (-want +got):\n%s", diff)
	}
	// moto answers the other statistics, from the statistic set the proxy
	// gave it, in the same answer.
	got, err = stats(t, cw, metric, dims, start, end, "p99", "Sum", "SampleCount", "Maximum")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string][]float64{"p99": {98}, "Sum": {101 + 5049}, "SampleCount": {200}, "Maximum": {100}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statistics (-want +got):\n%s", diff)
	}
	if got := realisms(reader, "GetMetricData"); got[len(got)-1] != "Percentiles" {
		t.Errorf("realism of the last GetMetricData: %q", got[len(got)-1])
	}

	// A statistic set with several samples that differ gives no
	// percentile for its period, nor does a negative value.
	other := moto.Unique("Duration")
	if _, err := put.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("Test/Percentiles"), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String(other), Dimensions: dims, Value: aws.Float64(8), Timestamp: aws.Time(at.Add(-time.Minute))},
		{MetricName: aws.String(other), Dimensions: dims, Value: aws.Float64(9), Timestamp: aws.Time(at.Add(-time.Minute))},
		{MetricName: aws.String(other), Dimensions: dims, Values: []float64{5, 6}, Timestamp: aws.Time(at)},
		{MetricName: aws.String(other), Dimensions: dims, StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(3), Sum: aws.Float64(9), Minimum: aws.Float64(1), Maximum: aws.Float64(5)}, Timestamp: aws.Time(at)},
		{MetricName: aws.String(other), Dimensions: dims, Value: aws.Float64(-1), Timestamp: aws.Time(at.Add(time.Minute))},
		{MetricName: aws.String(other), Dimensions: dims, Value: aws.Float64(7), Timestamp: aws.Time(at.Add(time.Minute))},
	}}); err != nil {
		t.Fatal(err)
	}
	for sender.RealismStats().MetricsDelivered < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got, err = stats(t, cw, other, dims, start, end, "p99", "SampleCount")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string][]float64{"p99": nil, "SampleCount": {7}}
	if diff := cmp.Diff(want, got, cmpNilEmpty); diff != "" {
		t.Errorf("no percentile from a statistic set or a negative value (-want +got):\n%s", diff)
	}
	// Minute by minute: the minute of plain values alone has one; the
	// negative value takes the next one's, where 7 is plain.
	perMinute, err := p99s(t, cw, other, dims, start.Add(-time.Minute), end)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int64]float64{start.Add(-time.Minute).Unix(): 9}, perMinute); diff != "" {
		t.Errorf("p99 of each minute (-want +got):\n%s", diff)
	}
}

// p99s reads the p99 of each minute of [start, end) that has one, by the
// minute's start (Unix seconds).
func p99s(t *testing.T, cw *cloudwatch.Client, metric string, dims []cwtypes.Dimension, start, end time.Time) (map[int64]float64, error) {
	t.Helper()
	out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: []cwtypes.MetricDataQuery{{
		Id: aws.String("p"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("Test/Percentiles"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String("p99"),
		},
	}}})
	if err != nil {
		return nil, err
	}
	got := map[int64]float64{}
	for _, r := range out.MetricDataResults {
		for i, ts := range r.Timestamps {
			got[ts.Unix()] = r.Values[i]
		}
	}
	return got, nil
}

// cmpNilEmpty treats a nil and an empty slice alike.
var cmpNilEmpty = cmp.Transformer("nilEmpty", func(s []float64) []float64 {
	if len(s) == 0 {
		return nil
	}
	return s
})
