package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambda-promote/lambda-promote/internal/compare"
)

// Pair is what CloudWatch has delivered of the two versions behind an alias
// over one window.
type Pair struct {
	New, Stable compare.Sample
}

// ReadPair reads, in one GetMetricData call (and its pages), the Errors
// and Invocations sums and the Duration p99 of the new and the stable
// version of fn served through alias (namespace AWS/Lambda, dimensions
// FunctionName, Resource=FN:ALIAS, ExecutedVersion), each over the whole
// minutes from start to end as one period: a percentile over a window is
// computed from all its values, never from the minutes' percentiles.
// Lambda's Duration takes percentile statistics, which GetMetricData asks
// for as the Stat "p99"
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html);
// a period is a multiple of 60 seconds for Lambda's 1-minute metrics. A
// version without a datapoint has zero counts and no p99.
func ReadPair(ctx context.Context, c Metrics, fn, alias, newVersion, stableVersion string, start, end time.Time) (Pair, error) {
	from := start.Truncate(time.Minute)
	to := end.Truncate(time.Minute).Add(time.Minute)
	window := int32(to.Sub(from) / time.Second)
	query := func(id, version, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: []cwtypes.Dimension{
					{Name: aws.String("FunctionName"), Value: aws.String(fn)},
					{Name: aws.String("Resource"), Value: aws.String(fn + ":" + alias)},
					{Name: aws.String("ExecutedVersion"), Value: aws.String(version)},
				}},
				Period: aws.Int32(window),
				Stat:   aws.String(stat),
			},
			ReturnData: aws.Bool(true),
		}
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from),
		EndTime:   aws.Time(to),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			query("new_errors", newVersion, "Errors", "Sum"),
			query("new_invocations", newVersion, "Invocations", "Sum"),
			query("new_p99", newVersion, "Duration", "p99"),
			query("stable_errors", stableVersion, "Errors", "Sum"),
			query("stable_invocations", stableVersion, "Invocations", "Sum"),
			query("stable_p99", stableVersion, "Duration", "p99"),
		},
		ScanBy: cwtypes.ScanByTimestampAscending,
	}
	var p Pair
	for {
		out, err := c.GetMetricData(ctx, in)
		if err != nil {
			return Pair{}, fmt.Errorf("get metrics of %s:%s versions %s and %s: %w", fn, alias, newVersion, stableVersion, err)
		}
		for _, r := range out.MetricDataResults {
			for _, v := range r.Values {
				switch aws.ToString(r.Id) {
				case "new_errors":
					p.New.Errors += v
				case "new_invocations":
					p.New.Invocations += v
				case "new_p99":
					p.New.P99, p.New.HasP99 = v, true
				case "stable_errors":
					p.Stable.Errors += v
				case "stable_invocations":
					p.Stable.Invocations += v
				case "stable_p99":
					p.Stable.P99, p.Stable.HasP99 = v, true
				}
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return p, nil
}
