package faultproxy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agv2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// clients are SDK clients that call moto through a proxy.
type clients struct {
	lambda *lambda.Client
	rest   *apigateway.Client
	http   *apigatewayv2.Client
	cw     *cloudwatch.Client // AWS JSON 1.0, as lambda-promote uses it
	cbor   *cloudwatch.Client // the SDK's default protocol, RPCv2 CBOR
	cfg    aws.Config
}

// newClients makes clients of s through p; with attempts > 0 the SDK makes
// at most that many attempts of a call, with 0 it keeps its default.
func newClients(s *moto.Server, p *faultproxy.Proxy, attempts int) clients {
	cfg := p.AWSConfig(s.AWSConfig())
	if attempts > 0 {
		cfg.RetryMaxAttempts = attempts
	}
	return clients{
		lambda: lambda.NewFromConfig(cfg),
		rest:   apigateway.NewFromConfig(cfg),
		http:   apigatewayv2.NewFromConfig(cfg),
		cw:     gate.NewCloudWatch(cfg),
		cbor:   cloudwatch.NewFromConfig(cfg),
		cfg:    cfg,
	}
}

// seen is what the tests compare of a Record.
type seen struct {
	Op        faultproxy.Op
	Attempt   int
	Status    int
	Upstream  int
	Forwarded bool
	Fault     string
}

func summary(rs []faultproxy.Record) []seen {
	out := make([]seen, 0, len(rs))
	for _, r := range rs {
		out = append(out, seen{r.Op, r.Attempt, r.Status, r.Upstream, r.Forwarded, r.Fault})
	}
	return out
}

// isA reports whether err wraps an error of type T.
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// connectionError reports whether err is a connection that ended without
// an answer rather than an answer from the service.
func connectionError(err error) bool {
	if isA[smithy.APIError](err) || !isA[*smithyhttp.RequestSendError](err) {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// httpStatus is the HTTP status of the answer err came from, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// world seeds s with the Demo world of function fn, an HTTP API stage, an
// alarm and a version 2 (published directly on moto).
type world struct {
	moto.World
	rootResource string
}

func seed(t *testing.T, s *moto.Server, fn string) world {
	t.Helper()
	ctx := t.Context()
	w, err := s.Demo(ctx, fn)
	if err != nil {
		t.Fatal(err)
	}
	if w.HTTPAPIID, err = s.CreateHTTPStage(ctx, fn, "prod", "prod"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAlarm(ctx, fn+"-errors"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Publish(ctx, fn); err != nil || v != "2" {
		t.Fatalf("publish %s = %q, %v; want version 2", fn, v, err)
	}
	res, err := s.APIGateway().GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(w.RESTAPIID)})
	if err != nil {
		t.Fatal(err)
	}
	out := world{World: w}
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/" {
			out.rootResource = aws.ToString(r.Id)
		}
	}
	return out
}

// zipCode is a function zip with a handler returning n.
func zipCode(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("index.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(f, "def handler(event, context):\n    return "+string(rune('0'+n))+"\n"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// callerIdentity calls STS GetCallerIdentity, an AWS query protocol
// operation, at endpoint; the module has no STS client.
func callerIdentity(ctx context.Context, endpoint string, cfg aws.Config) (int, []byte, error) {
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, err
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", cfg.Region, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestOperations calls each operation lambda-promote and its tests use
// through the proxy and checks the proxy names it, passes it on and logs it.
func TestOperations(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("orders"))
	p := faultproxy.NewT(t, s.URL)
	c := newClients(s, p, 0)
	fn := aws.String(w.Function)
	now := time.Now()

	op := func(service, name string, changing bool) faultproxy.Op {
		return faultproxy.Op{Service: service, Name: name, Changing: changing}
	}
	// In order: later calls rely on what earlier ones made.
	tests := []struct {
		name string
		call func(context.Context) error
		want faultproxy.Op
	}{
		{"GetFunctionConfiguration", func(ctx context.Context) error {
			_, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn})
			return err
		}, op("lambda", "GetFunctionConfiguration", false)},
		{"GetFunction", func(ctx context.Context) error {
			_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn})
			return err
		}, op("lambda", "GetFunction", false)},
		{"GetFunction by qualified ARN", func(ctx context.Context) error {
			_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(w.AliasARN)})
			return err
		}, op("lambda", "GetFunction", false)},
		{"UpdateFunctionCode", func(ctx context.Context) error {
			_, err := c.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: fn, ZipFile: zipCode(t, 3)})
			return err
		}, op("lambda", "UpdateFunctionCode", true)},
		{"UpdateFunctionConfiguration", func(ctx context.Context) error {
			_, err := c.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: fn, Description: aws.String("build 3")})
			return err
		}, op("lambda", "UpdateFunctionConfiguration", true)},
		{"PublishVersion", func(ctx context.Context) error {
			_, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
			return err
		}, op("lambda", "PublishVersion", true)},
		{"ListVersionsByFunction", func(ctx context.Context) error {
			_, err := c.lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: fn})
			return err
		}, op("lambda", "ListVersionsByFunction", false)},
		{"CreateAlias", func(ctx context.Context) error {
			_, err := c.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("staging"), FunctionVersion: aws.String("1")})
			return err
		}, op("lambda", "CreateAlias", true)},
		{"GetAlias", func(ctx context.Context) error {
			_, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")})
			return err
		}, op("lambda", "GetAlias", false)},
		{"UpdateAlias by function ARN", func(ctx context.Context) error {
			_, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
				FunctionName: aws.String(w.FunctionARN), Name: aws.String("staging"), FunctionVersion: aws.String("1"),
				RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
			})
			return err
		}, op("lambda", "UpdateAlias", true)},
		{"ListAliases", func(ctx context.Context) error {
			_, err := c.lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: fn})
			return err
		}, op("lambda", "ListAliases", false)},
		{"GetPolicy", func(ctx context.Context) error {
			_, err := c.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: fn, Qualifier: aws.String("prod")})
			return err
		}, op("lambda", "GetPolicy", false)},
		{"AddPermission", func(ctx context.Context) error {
			_, err := c.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
				FunctionName: fn, Qualifier: aws.String("staging"), StatementId: aws.String("test"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
			})
			return err
		}, op("lambda", "AddPermission", true)},
		{"RemovePermission", func(ctx context.Context) error {
			_, err := c.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: fn, Qualifier: aws.String("staging"), StatementId: aws.String("test")})
			return err
		}, op("lambda", "RemovePermission", true)},
		{"Invoke", func(ctx context.Context) error {
			_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: fn, Qualifier: aws.String("prod"), Payload: []byte(`{}`)})
			return err
		}, op("lambda", "Invoke", false)},
		{"DeleteAlias", func(ctx context.Context) error {
			_, err := c.lambda.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: fn, Name: aws.String("staging")})
			return err
		}, op("lambda", "DeleteAlias", true)},

		{"GetRestApi", func(ctx context.Context) error {
			_, err := c.rest.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(w.RESTAPIID)})
			return err
		}, op("apigateway", "GetRestApi", false)},
		{"GetStage", func(ctx context.Context) error {
			_, err := c.rest.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(w.RESTAPIID), StageName: aws.String("prod")})
			return err
		}, op("apigateway", "GetStage", false)},
		{"GetStages", func(ctx context.Context) error {
			_, err := c.rest.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: aws.String(w.RESTAPIID)})
			return err
		}, op("apigateway", "GetStages", false)},
		{"GetResources", func(ctx context.Context) error {
			_, err := c.rest.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(w.RESTAPIID)})
			return err
		}, op("apigateway", "GetResources", false)},
		{"GetIntegration", func(ctx context.Context) error {
			_, err := c.rest.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: aws.String(w.RESTAPIID), ResourceId: aws.String(w.rootResource), HttpMethod: aws.String("ANY")})
			return err
		}, op("apigateway", "GetIntegration", false)},
		{"UpdateStage", func(ctx context.Context) error {
			_, err := c.rest.UpdateStage(ctx, &apigateway.UpdateStageInput{
				RestApiId: aws.String(w.RESTAPIID), StageName: aws.String("prod"),
				PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/variables/" + moto.StageVariable), Value: aws.String("prod")}},
			})
			return err
		}, op("apigateway", "UpdateStage", true)},
		{"v2 GetApi", func(ctx context.Context) error {
			_, err := c.http.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(w.HTTPAPIID)})
			return err
		}, op("apigatewayv2", "GetApi", false)},
		{"v2 GetStage", func(ctx context.Context) error {
			_, err := c.http.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(w.HTTPAPIID), StageName: aws.String("prod")})
			return err
		}, op("apigatewayv2", "GetStage", false)},
		{"v2 GetIntegrations", func(ctx context.Context) error {
			_, err := c.http.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(w.HTTPAPIID)})
			return err
		}, op("apigatewayv2", "GetIntegrations", false)},

		{"DescribeAlarms", func(ctx context.Context) error {
			_, err := c.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{w.Function + "-errors"}})
			return err
		}, op("cloudwatch", "DescribeAlarms", false)},
		{"GetMetricData", func(ctx context.Context) error {
			_, err := c.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("e"), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors")},
					Period: aws.Int32(60), Stat: aws.String("Sum"),
				}}},
			})
			return err
		}, op("cloudwatch", "GetMetricData", false)},
		{"PutMetricData", func(ctx context.Context) error {
			_, err := c.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace:  aws.String("Test"),
				MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1)}},
			})
			return err
		}, op("cloudwatch", "PutMetricData", true)},
		{"SetAlarmState", func(ctx context.Context) error {
			_, err := c.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(w.Function + "-errors"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")})
			return err
		}, op("cloudwatch", "SetAlarmState", true)},
		{"PutMetricAlarm", func(ctx context.Context) error {
			_, err := c.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
				AlarmName: aws.String("other"), Namespace: aws.String("Test"), MetricName: aws.String("M"),
				Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
			})
			return err
		}, op("cloudwatch", "PutMetricAlarm", true)},

		{"sts GetCallerIdentity", func(ctx context.Context) error {
			status, body, err := callerIdentity(ctx, p.URL, c.cfg)
			if err == nil && status != http.StatusOK {
				err = errors.New(string(body))
			}
			return err
		}, op("sts", "GetCallerIdentity", false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			if err := tt.call(t.Context()); err != nil {
				t.Fatalf("call through the proxy: %v", err)
			}
			got := summary(p.Requests())
			want := []seen{{Op: tt.want, Attempt: 1, Status: got0(got).Status, Upstream: got0(got).Status, Forwarded: true}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Requests() (-want +got):\n%s", diff)
			}
			if s := got0(got).Status; s/100 != 2 {
				t.Errorf("status = %d, want 2xx", s)
			}
			if n := p.Count(tt.want.Name); n != 1 {
				t.Errorf("Count(%q) = %d, want 1", tt.want.Name, n)
			}
		})
	}

	// Recorded bodies and headers are the request's.
	p.Reset()
	if _, err := c.lambda.UpdateAlias(t.Context(), &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1"), Description: aws.String("marker")}); err != nil {
		t.Fatal(err)
	}
	rs := p.Requests()
	if len(rs) != 1 || !bytes.Contains(rs[0].Body, []byte(`"Description":"marker"`)) || !strings.Contains(rs[0].Header.Get("Authorization"), "/lambda/aws4_request") {
		t.Errorf("Requests() = %+v, want one UpdateAlias with its body and signed header", rs)
	}
	if got, want := rs[0].Path, "/2015-03-31/functions/"+w.Function+"/aliases/prod"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

func got0(s []seen) seen {
	if len(s) == 0 {
		return seen{}
	}
	return s[0]
}

// TestFaults checks that each fault reaches the SDK as the modeled error
// (or a network error) of its service, with retries off, and that the
// SDK's retries absorb a throttle on the first attempt. Each subtest has
// its own proxy in front of one moto.
func TestFaults(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("orders"))
	fn := aws.String(w.Function)

	getAlias := func(ctx context.Context, c clients) error {
		_, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")})
		return err
	}
	updateAlias := func(ctx context.Context, c clients) error {
		_, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1")})
		return err
	}
	getConfig := func(ctx context.Context, c clients) error {
		_, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn})
		return err
	}
	publish := func(ctx context.Context, c clients) error {
		_, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
		return err
	}
	restStage := func(ctx context.Context, c clients) error {
		_, err := c.rest.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(w.RESTAPIID), StageName: aws.String("prod")})
		return err
	}
	restAPI := func(ctx context.Context, c clients) error {
		_, err := c.rest.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(w.RESTAPIID)})
		return err
	}
	restDeployments := func(ctx context.Context, c clients) error {
		_, err := c.rest.GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: aws.String(w.RESTAPIID)})
		return err
	}
	httpStage := func(ctx context.Context, c clients) error {
		_, err := c.http.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(w.HTTPAPIID), StageName: aws.String("prod")})
		return err
	}
	httpAPI := func(ctx context.Context, c clients) error {
		_, err := c.http.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(w.HTTPAPIID)})
		return err
	}
	httpUpdateStage := func(ctx context.Context, c clients) error {
		_, err := c.http.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: aws.String(w.HTTPAPIID), StageName: aws.String("prod"), Description: aws.String("x")})
		return err
	}
	alarms := func(ctx context.Context, c clients) error {
		_, err := c.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{w.Function + "-errors"}})
		return err
	}
	alarmsCBOR := func(ctx context.Context, c clients) error {
		_, err := c.cbor.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{w.Function + "-errors"}})
		return err
	}
	putMetric := func(ctx context.Context, c clients) error {
		_, err := c.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Test"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1)}}})
		return err
	}
	deleteDashboards := func(ctx context.Context, c clients) error {
		_, err := c.cw.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{w.Function}})
		return err
	}
	code := func(want string) func(error) bool {
		return func(err error) bool {
			var ae smithy.APIError
			return errors.As(err, &ae) && ae.ErrorCode() == want
		}
	}
	conflictMessage := "An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:" + w.Function

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name       string
			op         string
			fault      faultproxy.Fault
			call       func(context.Context, clients) error
			is         func(error) bool
			wantStatus int // of the answer, 0 for none
		}{
			{"lambda throttle", "GetAlias", faultproxy.Throttle, getAlias, isA[*ltypes.TooManyRequestsException], 429},
			{"lambda server error", "GetAlias", faultproxy.ServerError, getAlias, isA[*ltypes.ServiceException], 500},
			// Lambda models no 503: the common ServiceUnavailable.
			{"lambda unavailable", "GetAlias", faultproxy.Unavailable, getAlias, code("ServiceUnavailable"), 503},
			{"lambda conflict", "UpdateAlias", faultproxy.Conflict, updateAlias, func(err error) bool {
				var e *ltypes.ResourceConflictException
				return errors.As(err, &e) && e.ErrorMessage() == conflictMessage
			}, 409},
			{"lambda precondition failed", "UpdateAlias", faultproxy.PreconditionFailed, updateAlias, isA[*ltypes.PreconditionFailedException], 412},
			{"lambda not found", "GetFunctionConfiguration", faultproxy.APIError(404, "ResourceNotFoundException", "Function not found"), getConfig, isA[*ltypes.ResourceNotFoundException], 404},
			{"lambda reset", "UpdateAlias", faultproxy.Reset, updateAlias, connectionError, 0},
			{"lambda reset of a publish", "PublishVersion", faultproxy.Reset, publish, connectionError, 0},
			{"rest api throttle", "GetStage", faultproxy.Throttle, restStage, isA[*agtypes.TooManyRequestsException], 429},
			// API Gateway answers ServiceUnavailableException where the
			// operation declares it (the deployment operations), the
			// common ServiceUnavailable elsewhere.
			{"rest api unavailable", "GetRestApi", faultproxy.Unavailable, restAPI, code("ServiceUnavailable"), 503},
			{"rest api unavailable where modeled", "GetDeployments", faultproxy.Unavailable, restDeployments, isA[*agtypes.ServiceUnavailableException], 503},
			{"rest api conflict", "apigateway.GetStage", faultproxy.Conflict, restStage, isA[*agtypes.ConflictException], 409},
			{"rest api server error", "GetStage", faultproxy.ServerError, restStage, code("InternalFailure"), 500},
			{"http api throttle", "apigatewayv2.GetStage", faultproxy.Throttle, httpStage, isA[*agv2types.TooManyRequestsException], 429},
			{"http api conflict", "UpdateStage", faultproxy.Conflict, httpUpdateStage, isA[*agv2types.ConflictException], 409},
			{"http api reset", "GetApi", faultproxy.Reset, httpAPI, connectionError, 0},
			{"cloudwatch throttle", "DescribeAlarms", faultproxy.Throttle, alarms, code("Throttling"), 400},
			// CloudWatch answers InternalServiceFault where the operation
			// declares it (PutMetricData), the common InternalFailure
			// elsewhere.
			{"cloudwatch server error", "DescribeAlarms", faultproxy.ServerError, alarms, code("InternalFailure"), 500},
			{"cloudwatch server error where modeled", "PutMetricData", faultproxy.ServerError, putMetric, isA[*cwtypes.InternalServiceFault], 500},
			{"cloudwatch unavailable", "DescribeAlarms", faultproxy.Unavailable, alarms, code("ServiceUnavailable"), 503},
			{"cloudwatch conflict", "DeleteDashboards", faultproxy.Conflict, deleteDashboards, isA[*cwtypes.ConflictException], 409},
			{"cloudwatch cbor throttle", "DescribeAlarms", faultproxy.Throttle, alarmsCBOR, code("Throttling"), 400},
			{"cloudwatch cbor server error", "DescribeAlarms", faultproxy.ServerError, alarmsCBOR, code("InternalFailure"), 500},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				p := faultproxy.NewT(t, s.URL)
				c := newClients(s, p, 1)
				p.Inject(tt.op, faultproxy.Every, tt.fault)
				err := tt.call(t.Context(), c)
				if err == nil || !tt.is(err) {
					t.Fatalf("call with fault %v = %v (%T), want the %s error", tt.fault, err, errors.Unwrap(err), tt.name)
				}
				if tt.wantStatus != 0 && httpStatus(err) != tt.wantStatus {
					t.Errorf("HTTP status = %d, want %d", httpStatus(err), tt.wantStatus)
				}
				rs := p.Requests()
				if len(rs) != 1 {
					t.Fatalf("proxy saw %d requests, want 1: %+v", len(rs), summary(rs))
				}
				if r := rs[0]; r.Status != tt.wantStatus || r.Forwarded || r.Upstream != 0 || r.Fault != tt.fault.String() {
					t.Errorf("record = %+v, want status %d, not forwarded, fault %v", summary(rs)[0], tt.wantStatus, tt.fault)
				}
				if got := p.Changing(); len(got) != 0 {
					t.Errorf("Changing() = %+v, want none: the fault came before moto", summary(got))
				}
			})
		}
	})

	t.Run("query protocol throttle", func(t *testing.T) {
		t.Parallel()
		p := faultproxy.NewT(t, s.URL)
		p.Inject("GetCallerIdentity", 1, faultproxy.Throttle)
		cfg := s.AWSConfig()
		status, body, err := callerIdentity(t.Context(), p.URL, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Error struct{ Type, Code, Message string }
		}
		if err := xml.Unmarshal(body, &got); err != nil {
			t.Fatalf("error body %s: %v", body, err)
		}
		if status != 400 || got.Error.Code != "Throttling" || got.Error.Type != "Sender" {
			t.Errorf("answer = %d %+v, want 400 Throttling from the Sender", status, got.Error)
		}
		if status, _, err := callerIdentity(t.Context(), p.URL, cfg); err != nil || status != 200 {
			t.Errorf("second call = %d, %v; want 200", status, err)
		}
	})

	t.Run("retried", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name  string
			op    string
			fault faultproxy.Fault
			call  func(context.Context, clients) error
			first int // status of the first answer
		}{
			{"lambda throttle", "GetAlias", faultproxy.Throttle, getAlias, 429},
			{"lambda throttle of a change", "UpdateAlias", faultproxy.Throttle, updateAlias, 429},
			{"lambda unavailable", "GetFunctionConfiguration", faultproxy.Unavailable, getConfig, 503},
			{"lambda reset of a change", "UpdateAlias", faultproxy.Reset, updateAlias, 0},
			{"rest api throttle", "GetStage", faultproxy.Throttle, restStage, 429},
			{"http api throttle", "GetApi", faultproxy.Throttle, httpAPI, 429},
			{"cloudwatch throttle", "DescribeAlarms", faultproxy.Throttle, alarms, 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				p := faultproxy.NewT(t, s.URL)
				c := newClients(s, p, 0)
				p.Inject(tt.op, 1, tt.fault)
				if err := tt.call(t.Context(), c); err != nil {
					t.Fatalf("call with %v on attempt 1 = %v, want the SDK to retry it away", tt.fault, err)
				}
				got := summary(p.Requests())
				op := got0(got).Op
				ok := 200 // moto answers some reads with 201
				if len(got) == 2 && got[1].Status/100 == 2 {
					ok = got[1].Status
				}
				want := []seen{
					{Op: op, Attempt: 1, Status: tt.first, Fault: tt.fault.String()},
					{Op: op, Attempt: 2, Status: ok, Upstream: ok, Forwarded: true},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Requests() (-want +got):\n%s", diff)
				}
				if n := p.Count(tt.op); n != 2 {
					t.Errorf("Count(%q) = %d, want 2", tt.op, n)
				}
			})
		}
	})

	t.Run("nth attempt under concurrency", func(t *testing.T) {
		t.Parallel()
		p := faultproxy.NewT(t, s.URL)
		c := newClients(s, p, 1)
		p.Inject("GetAlias", 5, faultproxy.Throttle)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() { errs <- getAlias(t.Context(), c) })
		}
		wg.Wait()
		close(errs)
		throttled := 0
		for err := range errs {
			if isA[*ltypes.TooManyRequestsException](err) {
				throttled++
			} else if err != nil {
				t.Error(err)
			}
		}
		var faulted []int
		for _, r := range p.Requests() {
			if r.Fault != "" {
				faulted = append(faulted, r.Attempt)
			}
		}
		if throttled != 1 || !cmp.Equal(faulted, []int{5}) {
			t.Errorf("throttled %d calls, faulted attempts %v; want 1 call, attempt [5]", throttled, faulted)
		}
	})

	t.Run("delay", func(t *testing.T) {
		t.Parallel()
		p := faultproxy.NewT(t, s.URL)
		c := newClients(s, p, 1)

		// A delay shorter than the client's patience only slows the call.
		p.Inject("GetAlias", 1, faultproxy.Delay(300*time.Millisecond))
		start := time.Now()
		if err := getAlias(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("delayed call took %v, want at least 300ms", d)
		}

		// Past the deadline of the call's context: a timeout, and moto never
		// sees the call.
		p.Inject("GetAlias", 2, faultproxy.Delay(time.Minute))
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		start = time.Now()
		err := getAlias(ctx, c)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("call past its deadline = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("timed out call took %v", d)
		}

		// Past the timeout of the HTTP client.
		p.Inject("GetAlias", 3, faultproxy.Delay(time.Minute))
		slow := lambda.NewFromConfig(c.cfg, func(o *lambda.Options) {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(500 * time.Millisecond)
		})
		_, err = slow.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")})
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("call past the HTTP client timeout = %v, want a timeout", err)
		}

		// The proxy learns that the client gave up, and ends the delay.
		waitFor(t, func() bool {
			rs := p.Requests()
			return len(rs) == 3 && rs[1].Err != "" && rs[2].Err != ""
		})
		for _, r := range p.Requests()[1:] {
			if r.Forwarded || r.Status != 0 || !strings.Contains(r.Err, "client gave up") {
				t.Errorf("record = %+v (err %q), want not forwarded, no answer, the client gave up", summary([]faultproxy.Record{r}), r.Err)
			}
		}
	})

	t.Run("reset of a read on a kept-alive connection", func(t *testing.T) {
		t.Parallel()
		p := faultproxy.NewT(t, s.URL)
		c := newClients(s, p, 1)
		if err := getAlias(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		// net/http resends the GET on a new connection, under the SDK.
		p.Inject("GetAlias", 2, faultproxy.Reset)
		if err := getAlias(t.Context(), c); err != nil {
			t.Fatalf("GetAlias reset on a reused connection = %v, want net/http to resend it", err)
		}
		var faults []string
		for _, r := range p.Requests() {
			faults = append(faults, r.Fault)
		}
		if diff := cmp.Diff([]string{"", "Reset", ""}, faults); diff != "" {
			t.Errorf("faults of the requests (-want +got):\n%s", diff)
		}
		// A PUT is not resent: the reset reaches the caller.
		p.Inject("UpdateAlias", 2, faultproxy.Reset)
		if err := updateAlias(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		if err := updateAlias(t.Context(), c); !connectionError(err) {
			t.Errorf("UpdateAlias reset on a reused connection = %v, want a connection error", err)
		}
	})

	t.Run("close ends a delay", func(t *testing.T) {
		t.Parallel()
		p, err := faultproxy.New(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		c := newClients(s, p, 1)
		p.Inject("GetAlias", faultproxy.Every, faultproxy.Delay(time.Hour))
		done := make(chan error, 1)
		go func() { done <- getAlias(context.Background(), c) }()
		waitFor(t, func() bool { return p.Count("GetAlias") == 1 })
		start := time.Now()
		p.Close()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Close() took %v with a delayed request under way", d)
		}
		if err := <-done; err == nil {
			t.Error("delayed call through a closed proxy succeeded")
		}
	})
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAfterForward checks that a fault after forwarding lets the change
// take effect in moto while the client sees the fault.
func TestAfterForward(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("orders"))
	p := faultproxy.NewT(t, s.URL)
	c := newClients(s, p, 1)

	tests := []struct {
		name    string
		fault   faultproxy.Fault
		version string
		timeout time.Duration
		is      func(error) bool
		status  int // the client's answer
	}{
		{"reset", faultproxy.AfterForward(faultproxy.Reset), "2", 0, connectionError, 0},
		{"throttle", faultproxy.AfterForward(faultproxy.Throttle), "1", 0, isA[*ltypes.TooManyRequestsException], 429},
		{"conflict", faultproxy.AfterForward(faultproxy.Conflict), "2", 0, isA[*ltypes.ResourceConflictException], 409},
		{"delay past the deadline", faultproxy.AfterForward(faultproxy.Delay(time.Minute)), "1", 3 * time.Second, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			p.ClearFaults()
			p.Inject("UpdateAlias", 1, tt.fault)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(w.Function), Name: aws.String("prod"), FunctionVersion: aws.String(tt.version)})
			if !tt.is(err) {
				t.Fatalf("UpdateAlias with %v = %v, want the fault's error", tt.fault, err)
			}
			version, _, err := s.Alias(t.Context(), w.Function, "prod")
			if err != nil {
				t.Fatal(err)
			}
			if version != tt.version {
				t.Errorf("alias prod on moto serves %s, want %s: the update was forwarded", version, tt.version)
			}
			if tt.timeout > 0 {
				waitFor(t, func() bool { return p.Requests()[0].Err != "" })
			}
			got := summary(p.Changing())
			if up := got0(got).Upstream; up/100 != 2 {
				t.Errorf("moto answered %d, want 2xx", up)
			}
			want := []seen{{
				Op:      faultproxy.Op{Service: "lambda", Name: "UpdateAlias", Changing: true},
				Attempt: 1, Status: tt.status, Upstream: got0(got).Upstream, Forwarded: true, Fault: tt.fault.String(),
			}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Changing() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChanging checks that Changing lists exactly the changing calls that
// reached moto, and that OnRequest runs at the point a test picks.
func TestChanging(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("orders"))
	p := faultproxy.NewT(t, s.URL)
	c := newClients(s, p, 1)
	ctx := t.Context()
	fn := aws.String(w.Function)

	// When the second GetAlias arrives, someone moves the alias by hand.
	var mu sync.Mutex
	var arrived []string
	p.OnRequest(func(op faultproxy.Op, attempt int) {
		mu.Lock()
		arrived = append(arrived, op.Name)
		mu.Unlock()
		if op.Name == "GetAlias" && attempt == 2 {
			if _, err := s.Lambda().UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("2")}); err != nil {
				t.Errorf("move alias by hand: %v", err)
			}
		}
	})
	p.Inject("UpdateAlias", 1, faultproxy.Throttle)
	p.Inject("AddPermission", 1, faultproxy.AfterForward(faultproxy.Reset))
	// SetAlarmState declares no conflict; its model's ResourceNotFound.
	p.Inject("SetAlarmState", 1, faultproxy.APIError(404, "ResourceNotFound", "alarm not found"))

	getAlias := func() string {
		out, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.FunctionVersion)
	}
	if v := getAlias(); v != "1" {
		t.Errorf("first GetAlias = %s, want 1", v)
	}
	if v := getAlias(); v != "2" {
		t.Errorf("second GetAlias = %s, want 2: the hook moved it before the call reached moto", v)
	}
	if _, err := c.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: fn, Qualifier: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	update := &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1")}
	if _, err := c.lambda.UpdateAlias(ctx, update); !isA[*ltypes.TooManyRequestsException](err) {
		t.Fatalf("first UpdateAlias = %v, want throttled", err)
	}
	if _, err := c.lambda.UpdateAlias(ctx, update); err != nil {
		t.Fatal(err)
	}
	if _, err := c.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: fn, Qualifier: aws.String("prod"), StatementId: aws.String("changing"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
	}); !connectionError(err) {
		t.Fatalf("AddPermission = %v, want a connection error", err)
	}
	if _, err := c.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(w.Function + "-errors"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")}); !isA[*cwtypes.ResourceNotFound](err) {
		t.Fatalf("SetAlarmState = %v, want ResourceNotFound", err)
	}
	if err := s.PutLambdaMetrics(ctx, w.Function, "prod", "1", 0, 1); err != nil { // straight to moto: not logged
		t.Fatal(err)
	}
	if _, err := c.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Test"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.rest.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(w.RESTAPIID), StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.rest.UpdateStage(ctx, &apigateway.UpdateStageInput{
		RestApiId: aws.String(w.RESTAPIID), StageName: aws.String("prod"),
		PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/variables/" + moto.StageVariable), Value: aws.String("prod")}},
	}); err != nil {
		t.Fatal(err)
	}

	type change struct {
		Name    string
		Attempt int
		Fault   string
	}
	var got []change
	for _, r := range p.Changing() {
		got = append(got, change{r.Op.Name, r.Attempt, r.Fault})
	}
	want := []change{
		{"PublishVersion", 1, ""},
		{"UpdateAlias", 2, ""},
		{"AddPermission", 1, "AfterForward(Reset)"},
		{"PutMetricData", 1, ""},
		{"UpdateStage", 1, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Changing() (-want +got):\n%s", diff)
	}

	var all []string
	for _, r := range p.Requests() {
		all = append(all, r.Op.Name)
	}
	mu.Lock()
	if diff := cmp.Diff(all, arrived); diff != "" {
		t.Errorf("OnRequest saw (-logged +hook):\n%s", diff)
	}
	mu.Unlock()

	// Reset starts the count again; faults stay.
	p.Reset()
	p.OnRequest(nil)
	if _, err := c.lambda.UpdateAlias(ctx, update); !isA[*ltypes.TooManyRequestsException](err) {
		t.Errorf("UpdateAlias after Reset = %v, want attempt 1 throttled again", err)
	}
	if diff := cmp.Diff([]seen{{Op: faultproxy.Op{Service: "lambda", Name: "UpdateAlias", Changing: true}, Attempt: 1, Status: 429, Fault: "Throttle"}}, summary(p.Requests())); diff != "" {
		t.Errorf("Requests() after Reset (-want +got):\n%s", diff)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"", "127.0.0.1:5000", "ftp://x", "http://"} {
		if p, err := faultproxy.New(target); err == nil {
			p.Close()
			t.Errorf("New(%q) = nil error, want one", target)
		}
	}
	p := faultproxy.NewT(t, "http://127.0.0.1:1")
	env := p.Env([]string{"A=1", "AWS_ENDPOINT_URL=http://moto", "B=2"})
	if diff := cmp.Diff([]string{"A=1", "B=2", "AWS_ENDPOINT_URL=" + p.URL}, env); diff != "" {
		t.Errorf("Env() (-want +got):\n%s", diff)
	}
	// Nothing listens on the target: the client gets 502 and the log says why.
	resp, err := http.Get(p.URL + "/2015-03-31/functions/f")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rs := p.Requests()
	if resp.StatusCode != http.StatusBadGateway || len(rs) != 1 || rs[0].Forwarded || rs[0].Err == "" || rs[0].Op.Name != "GetFunction" {
		t.Errorf("status %d, log %+v; want 502 and one GetFunction not forwarded with an error", resp.StatusCode, rs)
	}
	for _, f := range []struct {
		fault faultproxy.Fault
		want  string
	}{
		{faultproxy.Fault{}, "None"},
		{faultproxy.Throttle, "Throttle"},
		{faultproxy.Delay(1500 * time.Millisecond), "Delay(1.5s)"},
		{faultproxy.AfterForward(faultproxy.Reset), "AfterForward(Reset)"},
		{faultproxy.APIError(404, "ResourceNotFoundException", "x"), "APIError(404 ResourceNotFoundException)"},
	} {
		if got := f.fault.String(); got != f.want {
			t.Errorf("String() = %q, want %q", got, f.want)
		}
	}
}
