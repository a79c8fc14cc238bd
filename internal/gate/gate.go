// Package gate reads the health gates of a rollout: CloudWatch alarms, the
// new version's error rate, and a smoke-test invocation of the new version.
package gate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Gate names other than alarm names.
const (
	NameErrorRate = "error rate"
	NameSmoke     = "smoke test"
)

// Alarms is the part of the CloudWatch client CheckAlarms calls.
type Alarms interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// maxAlarmNames is the most names DescribeAlarms takes in one call.
const maxAlarmNames = 100

// MissingAlarmsError lists alarm names that do not exist.
type MissingAlarmsError struct {
	Names []string
}

func (e *MissingAlarmsError) Error() string {
	return "alarms not found: " + strings.Join(e.Names, ", ")
}

// Hint is what to do about the missing alarms.
func (e *MissingAlarmsError) Hint() (next, code string) {
	return "check the alarms input against the alarms of this account and region:", listAlarms
}

var listAlarms = fix.AWS("cloudwatch", "describe-alarms", "--alarm-types", "MetricAlarm", "CompositeAlarm",
	"--query", "[MetricAlarms[].AlarmName, CompositeAlarms[].AlarmName]")

// CheckAlarms reads the state of the named metric and composite alarms, one
// gate per distinct name in the order given. An alarm in ALARM fails its gate;
// INSUFFICIENT_DATA passes (there is nothing to judge yet) and says so.
//
// Names that do not exist make a *MissingAlarmsError, returned together with
// the gates of the alarms that were found.
func CheckAlarms(ctx context.Context, c Alarms, names []string) ([]outcome.Gate, error) {
	names = distinct(names)
	type state struct {
		value  cwtypes.StateValue
		reason string
	}
	found := make(map[string]state, len(names))
	for chunk := range slices.Chunk(names, maxAlarmNames) {
		in := &cloudwatch.DescribeAlarmsInput{
			AlarmNames: chunk,
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		}
		for {
			out, err := c.DescribeAlarms(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("describe alarms: %w", err)
			}
			for _, a := range out.MetricAlarms {
				found[aws.ToString(a.AlarmName)] = state{a.StateValue, aws.ToString(a.StateReason)}
			}
			for _, a := range out.CompositeAlarms {
				found[aws.ToString(a.AlarmName)] = state{a.StateValue, aws.ToString(a.StateReason)}
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}

	gates := make([]outcome.Gate, 0, len(names))
	var missing []string
	for _, name := range names {
		st, ok := found[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		g := outcome.Gate{Kind: outcome.GateAlarm, Name: name, OK: st.value != cwtypes.StateValueAlarm, Detail: string(st.value)}
		switch st.value {
		case cwtypes.StateValueAlarm:
			if st.reason != "" {
				g.Detail += ": " + safe([]byte(st.reason), 200)
			}
		case cwtypes.StateValueInsufficientData:
			g.Detail += " (counts as OK: no data to judge yet)"
		}
		gates = append(gates, g)
	}
	if len(missing) > 0 {
		return gates, &MissingAlarmsError{Names: missing}
	}
	return gates, nil
}

func distinct(names []string) []string {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// Metrics is the part of the CloudWatch client ErrorRate calls.
type Metrics interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// period is the period of Lambda's metrics: Lambda sends them to CloudWatch
// in 1-minute intervals
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html).
const period = 60

// Minute is one minute of a version's metrics.
type Minute struct {
	At          time.Time // start of the minute
	Errors      float64
	Invocations float64
}

// Series is what CloudWatch has delivered of a rollout's metrics.
type Series struct {
	// Version is the new version's Errors and Invocations served through
	// the alias, per minute with data.
	Version []Minute
	// Alias holds the minutes in which the alias as a whole (every
	// version) has an Invocations datapoint: the evidence of how far
	// CloudWatch has delivered, whichever version took the traffic.
	Alias []time.Time
}

// ReadMetrics reads, in one GetMetricData call (and its pages), the Errors
// and Invocations of version of fn served through alias (namespace
// AWS/Lambda, dimensions FunctionName, Resource=FN:ALIAS, ExecutedVersion)
// and the alias's own Invocations (FunctionName, Resource=FN:ALIAS), per
// minute, over whole minutes from start to end. Lambda publishes the
// ExecutedVersion dimension for an alias that routes to two versions
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#monitoring-metrics-dimensions).
func ReadMetrics(ctx context.Context, c Metrics, fn, alias, version string, start, end time.Time) (Series, error) {
	byAlias := []cwtypes.Dimension{
		{Name: aws.String("FunctionName"), Value: aws.String(fn)},
		{Name: aws.String("Resource"), Value: aws.String(fn + ":" + alias)},
	}
	byVersion := append(slices.Clone(byAlias), cwtypes.Dimension{Name: aws.String("ExecutedVersion"), Value: aws.String(version)})
	query := func(id, metric string, dims []cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: dims},
				Period: aws.Int32(period),
				Stat:   aws.String("Sum"),
			},
			ReturnData: aws.Bool(true),
		}
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start.Truncate(time.Minute)),
		EndTime:   aws.Time(end.Truncate(time.Minute).Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			query("errors", "Errors", byVersion),
			query("invocations", "Invocations", byVersion),
			query("alias", "Invocations", byAlias),
		},
		ScanBy: cwtypes.ScanByTimestampAscending,
	}
	minutes := map[time.Time]*Minute{}
	seen := map[time.Time]bool{}
	for {
		out, err := c.GetMetricData(ctx, in)
		if err != nil {
			return Series{}, fmt.Errorf("get metrics of %s:%s version %s: %w", fn, alias, version, err)
		}
		for _, r := range out.MetricDataResults {
			for i, at := range r.Timestamps {
				if i >= len(r.Values) {
					break
				}
				at = at.UTC().Truncate(time.Minute)
				v := r.Values[i]
				id := aws.ToString(r.Id)
				if id == "alias" {
					seen[at] = true
					continue
				}
				m := minutes[at]
				if m == nil {
					m = &Minute{At: at}
					minutes[at] = m
				}
				switch id {
				case "errors":
					m.Errors += v
				case "invocations":
					m.Invocations += v
				}
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	var s Series
	for _, at := range slices.SortedFunc(maps.Keys(minutes), time.Time.Compare) {
		s.Version = append(s.Version, *minutes[at])
	}
	s.Alias = slices.SortedFunc(maps.Keys(seen), time.Time.Compare)
	return s, nil
}

// Invoker is the part of the Lambda client Smoke calls.
type Invoker interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// maxDetail bounds the bytes of a response quoted in a gate's Detail.
const maxDetail = 500

// Smoke invokes version of fn once with payload and waits for the answer,
// for at most timeout (the version's own Timeout plus a margin: Lambda runs
// an invocation for up to the function's timeout). The SDK's retries are
// off: a retried Invoke would run the payload again, and a cold start slower
// than the client's timeout would run it up to five times. A function
// error, a status other than 2xx, or a failed call fails the gate; the
// Detail quotes the response (at most 500 bytes, printable characters).
func Smoke(ctx context.Context, c Invoker, fn, version string, payload []byte, timeout time.Duration) outcome.Gate {
	g := outcome.Gate{Kind: outcome.GateSmoke, Name: NameSmoke}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		Qualifier:      aws.String(version),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        payload,
	}, func(o *lambda.Options) {
		o.Retryer = aws.NopRetryer{}
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
	})
	switch {
	case err != nil:
		g.Detail = fmt.Sprintf("invoke %s:%s: %v", fn, version, err)
	case out.FunctionError != nil:
		g.Detail = fmt.Sprintf("%s:%s returned a function error (%s): %s",
			fn, version, safe([]byte(aws.ToString(out.FunctionError)), 50), safe(out.Payload, maxDetail))
	case out.StatusCode < 200 || out.StatusCode > 299:
		g.Detail = fmt.Sprintf("%s:%s answered with status %d: %s", fn, version, out.StatusCode, safe(out.Payload, maxDetail))
	default:
		g.OK = true
		g.Detail = fmt.Sprintf("%s:%s answered with status %d", fn, version, out.StatusCode)
	}
	return g
}

// safe makes b printable on one line (control characters and invalid UTF-8
// become U+FFFD, newlines become spaces) and cuts it to at most max bytes on
// a character boundary, marking the cut with "…".
func safe(b []byte, max int) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ':
			r = utf8.RuneError
		}
		if sb.Len()+utf8.RuneLen(r) > max {
			return sb.String() + "…"
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
