package gate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

type invokeFunc func(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)

func (f invokeFunc) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return f(ctx, in, opts...)
}

func TestSmokeFake(t *testing.T) {
	t.Parallel()
	long := `{"errorMessage":"` + strings.Repeat("x", 600) + `"}`
	tests := []struct {
		name string
		out  *lambda.InvokeOutput
		err  error
		want outcome.Gate
	}{
		{
			name: "ok",
			out:  &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{}`)},
			want: outcome.Gate{Kind: outcome.GateSmoke, Name: "smoke test", OK: true, Detail: "fn:7 answered with status 200"},
		},
		{
			name: "function error",
			out: &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
				Payload: []byte("{\"errorMessage\":\"boom\",\n\"errorType\":\"KeyError\x1b[31m\"}")},
			want: outcome.Gate{Kind: outcome.GateSmoke, Name: "smoke test", Detail: `fn:7 returned a function error (Unhandled): {"errorMessage":"boom", "errorType":"KeyError` + "\uFFFD" + `[31m"}`},
		},
		{
			name: "function error truncated",
			out:  &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(long)},
			want: outcome.Gate{Kind: outcome.GateSmoke, Name: "smoke test", Detail: "fn:7 returned a function error (Unhandled): " + long[:500] + "…"},
		},
		{
			name: "status",
			out:  &lambda.InvokeOutput{StatusCode: 500, Payload: []byte("oops")},
			want: outcome.Gate{Kind: outcome.GateSmoke, Name: "smoke test", Detail: "fn:7 answered with status 500: oops"},
		},
		{
			name: "call fails",
			err:  errors.New("throttled"),
			want: outcome.Gate{Kind: outcome.GateSmoke, Name: "smoke test", Detail: "invoke fn:7: throttled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *lambda.InvokeInput
			c := invokeFunc(func(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
				got = in
				return tt.out, tt.err
			})
			g := Smoke(t.Context(), c, "fn", "7", []byte(`{"ping":1}`), time.Minute)
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("Smoke() (-want +got):\n%s", diff)
			}
			if aws.ToString(got.FunctionName) != "fn" || aws.ToString(got.Qualifier) != "7" || string(got.Payload) != `{"ping":1}` {
				t.Errorf("Invoke input = %s %s %s, want fn 7 {\"ping\":1}", aws.ToString(got.FunctionName), aws.ToString(got.Qualifier), got.Payload)
			}
		})
	}
}

func TestSafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\nb\tc", 10, "a b c"},
		{"bad \xff byte", 20, "bad \uFFFD byte"},
		{"héllo", 2, "h…"}, // é is two bytes and does not fit
		{"héllo", 3, "hé…"},
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := safe([]byte(tt.in), tt.max); got != tt.want {
			t.Errorf("safe(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

type describeFunc func(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)

func (f describeFunc) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return f(ctx, in, opts...)
}

func TestCheckAlarmsChunks(t *testing.T) {
	t.Parallel()
	names := make([]string, 0, 250)
	for i := range 250 {
		names = append(names, "alarm-"+strconv.Itoa(i))
	}
	var calls []int
	c := describeFunc(func(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
		calls = append(calls, len(in.AlarmNames))
		out := &cloudwatch.DescribeAlarmsOutput{}
		for _, n := range in.AlarmNames {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(n), StateValue: cwtypes.StateValueOk})
		}
		return out, nil
	})
	gates, err := CheckAlarms(t.Context(), c, append(names, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{100, 100, 50}, calls); diff != "" {
		t.Errorf("DescribeAlarms name counts (-want +got):\n%s", diff)
	}
	if len(gates) != 250 {
		t.Errorf("got %d gates, want 250 (duplicates folded)", len(gates))
	}
}

// moto does not implement PutCompositeAlarm, so composite alarms are tested
// with a fake.
func TestCheckAlarmsComposite(t *testing.T) {
	t.Parallel()
	c := describeFunc(func(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
		want := []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}
		if diff := cmp.Diff(want, in.AlarmTypes); diff != "" {
			t.Errorf("AlarmTypes (-want +got):\n%s", diff)
		}
		if in.NextToken == nil {
			return &cloudwatch.DescribeAlarmsOutput{
				MetricAlarms: []cwtypes.MetricAlarm{{AlarmName: aws.String("latency"), StateValue: cwtypes.StateValueOk}},
				NextToken:    aws.String("page2"),
			}, nil
		}
		return &cloudwatch.DescribeAlarmsOutput{
			CompositeAlarms: []cwtypes.CompositeAlarm{{AlarmName: aws.String("service"), StateValue: cwtypes.StateValueAlarm,
				StateReason: aws.String("latency in ALARM")}},
		}, nil
	})
	got, err := CheckAlarms(t.Context(), c, []string{"service", "latency"})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome.Gate{
		{Kind: outcome.GateAlarm, Name: "service", Detail: "ALARM: latency in ALARM"},
		{Kind: outcome.GateAlarm, Name: "latency", OK: true, Detail: "OK"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckAlarms() (-want +got):\n%s", diff)
	}
}

func TestCheckAlarmsError(t *testing.T) {
	t.Parallel()
	c := describeFunc(func(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
		return nil, errors.New("access denied")
	})
	_, err := CheckAlarms(t.Context(), c, []string{"a"})
	if err == nil || err.Error() != "describe alarms: access denied" {
		t.Errorf("CheckAlarms() error = %v, want describe alarms: access denied", err)
	}
}

type metricDataFunc func(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)

func (f metricDataFunc) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	return f(ctx, in, opts...)
}

func TestReadMetricsQuery(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC)
	now := time.Date(2026, 5, 1, 10, 4, 10, 0, time.UTC)
	minute := func(m int) time.Time { return time.Date(2026, 5, 1, 10, m, 0, 0, time.UTC) }
	calls := 0
	c := metricDataFunc(func(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
		calls++
		if got, want := aws.ToTime(in.StartTime), minute(0); !got.Equal(want) {
			t.Errorf("StartTime = %v, want %v", got, want)
		}
		if got, want := aws.ToTime(in.EndTime), minute(5); !got.Equal(want) {
			t.Errorf("EndTime = %v, want %v", got, want)
		}
		var metrics []string
		for _, q := range in.MetricDataQueries {
			ms := q.MetricStat
			var dims []string
			for _, d := range ms.Metric.Dimensions {
				dims = append(dims, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
			}
			metrics = append(metrics, fmt.Sprintf("%s %s %s %s %d %v", aws.ToString(q.Id), aws.ToString(ms.Metric.Namespace), aws.ToString(ms.Metric.MetricName),
				aws.ToString(ms.Stat), aws.ToInt32(ms.Period), dims))
		}
		want := []string{
			"errors AWS/Lambda Errors Sum 60 [FunctionName=fn Resource=fn:prod ExecutedVersion=4]",
			"invocations AWS/Lambda Invocations Sum 60 [FunctionName=fn Resource=fn:prod ExecutedVersion=4]",
			"alias AWS/Lambda Invocations Sum 60 [FunctionName=fn Resource=fn:prod]",
		}
		if diff := cmp.Diff(want, metrics); diff != "" {
			t.Errorf("queries (-want +got):\n%s", diff)
		}
		if in.NextToken == nil {
			return &cloudwatch.GetMetricDataOutput{
				MetricDataResults: []cwtypes.MetricDataResult{
					{Id: aws.String("errors"), Timestamps: []time.Time{minute(1), minute(2)}, Values: []float64{1, 2}},
					{Id: aws.String("invocations"), Timestamps: []time.Time{minute(1), minute(2)}, Values: []float64{10, 20}},
					{Id: aws.String("alias"), Timestamps: []time.Time{minute(0), minute(1), minute(2)}, Values: []float64{90, 100, 200}},
				},
				NextToken: aws.String("more"),
			}, nil
		}
		return &cloudwatch.GetMetricDataOutput{
			MetricDataResults: []cwtypes.MetricDataResult{
				{Id: aws.String("invocations"), Timestamps: []time.Time{minute(3)}, Values: []float64{5}},
				{Id: aws.String("alias"), Timestamps: []time.Time{minute(3)}, Values: []float64{50}},
			},
		}, nil
	})
	got, err := ReadMetrics(t.Context(), c, "fn", "prod", "4", since, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Series{
		Version: []Minute{{minute(1), 1, 10}, {minute(2), 2, 20}, {minute(3), 0, 5}},
		Alias:   []time.Time{minute(0), minute(1), minute(2), minute(3)},
	}
	if diff := cmp.Diff(want, got); diff != "" || calls != 2 {
		t.Errorf("ReadMetrics() after %d calls (-want +got):\n%s", calls, diff)
	}
}
