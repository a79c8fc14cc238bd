package awsmodel_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	j := awsmodel.Required(t)
	for _, s := range awsmodel.Services {
		m := j.Model(s.Name)
		if m == nil || m.APIVersion != s.Version || len(m.Operations) == 0 {
			t.Errorf("model of %s: %+v, want API version %s with operations", s.Name, m, s.Version)
		}
	}
	// Reported, not hidden: the values of these shapes are not checked
	// against their pattern.
	for _, u := range j.Unchecked() {
		t.Logf("unchecked pattern: %s", u)
	}
}

// captured is a request an SDK client sent.
type captured struct {
	req  *http.Request
	body []byte
}

// sdkRequest sends one call of the real SDK to a server that records it
// and answers 400, and returns the request.
func sdkRequest(t *testing.T, call func(ctx context.Context, cfg aws.Config) error) captured {
	t.Helper()
	var (
		mu  sync.Mutex
		got []captured
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Clone(context.Background()), body})
		mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	cfg := aws.Config{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		}),
	}
	_ = call(t.Context(), cfg) // the server refuses it; only the request counts
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the SDK sent %d requests, want 1", len(got))
	}
	return got[0]
}

// TestSDKRequestsPass sends the calls lambda-promote and its tests make
// with the real SDK, each protocol's encoding, and sees the judge pass
// them: it reads every protocol as the SDK writes it.
func TestSDKRequestsPass(t *testing.T) {
	t.Parallel()
	j := awsmodel.Required(t)
	fn, alias := aws.String("orders-api"), aws.String("prod")
	tests := []struct {
		name string
		want string // the operation the judge finds
		call func(ctx context.Context, cfg aws.Config) error
	}{
		{"UpdateAlias", "lambda.UpdateAlias", func(ctx context.Context, cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).UpdateAlias(ctx, &lambda.UpdateAliasInput{
				FunctionName: fn, Name: alias, FunctionVersion: aws.String("3"), RevisionId: aws.String("abc"),
				RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"4": 0.1}},
			})
			return err
		}},
		{"GetFunctionConfiguration", "lambda.GetFunctionConfiguration", func(ctx context.Context, cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:orders-api"), Qualifier: aws.String("7")})
			return err
		}},
		{"PublishVersion", "lambda.PublishVersion", func(ctx context.Context, cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn, CodeSha256: aws.String("x"), Description: aws.String("release")})
			return err
		}},
		{"Invoke", "lambda.Invoke", func(ctx context.Context, cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{FunctionName: fn, Qualifier: alias, Payload: []byte(`{"a":1}`), LogType: ltypes.LogTypeTail})
			return err
		}},
		{"ListVersionsByFunction", "lambda.ListVersionsByFunction", func(ctx context.Context, cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: fn, Marker: aws.String("m"), MaxItems: aws.Int32(50)})
			return err
		}},
		{"GetProvisionedConcurrencyConfig", "lambda.GetProvisionedConcurrencyConfig", func(ctx context.Context, cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: fn, Qualifier: alias})
			return err
		}},
		{"rest GetStage", "apigateway.GetStage", func(ctx context.Context, cfg aws.Config) error {
			_, err := apigateway.NewFromConfig(cfg).GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String("a1b2c3"), StageName: alias})
			return err
		}},
		{"http GetStage", "apigatewayv2.GetStage", func(ctx context.Context, cfg aws.Config) error {
			_, err := apigatewayv2.NewFromConfig(cfg).GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String("a1b2c3"), StageName: alias})
			return err
		}},
		{"GetMetricData json", "cloudwatch.GetMetricData", func(ctx context.Context, cfg aws.Config) error {
			_, err := gate.NewCloudWatch(cfg).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(time.Unix(1700000000, 0)), EndTime: aws.Time(time.Unix(1700000600, 0)),
				MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("errors"), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"), Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: fn}}},
					Period: aws.Int32(60), Stat: aws.String("Sum"),
				}}},
			})
			return err
		}},
		{"PutMetricData json", "cloudwatch.PutMetricData", func(ctx context.Context, cfg aws.Config) error {
			_, err := gate.NewCloudWatch(cfg).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Errors"), Value: aws.Float64(2), Timestamp: aws.Time(time.Unix(1700000000, 0)), Unit: cwtypes.StandardUnitCount}}})
			return err
		}},
		{"DescribeAlarms cbor", "cloudwatch.DescribeAlarms", func(ctx context.Context, cfg aws.Config) error {
			_, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a", "b"}, StateValue: cwtypes.StateValueAlarm})
			return err
		}},
		{"AssumeRoleWithWebIdentity", "sts.AssumeRoleWithWebIdentity", func(ctx context.Context, cfg aws.Config) error {
			_, err := sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"), RoleSessionName: aws.String("gha-1"), WebIdentityToken: aws.String(strings.Repeat("t", 20)), DurationSeconds: aws.Int32(900),
			})
			return err
		}},
		{"GetCallerIdentity", "sts.GetCallerIdentity", func(ctx context.Context, cfg aws.Config) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := sdkRequest(t, tt.call)
			v := j.Request(c.req, c.body)
			if v.Call == nil || v.Call.String() != tt.want {
				t.Fatalf("judged %s %s as %v (%s), want %s", c.req.Method, c.req.URL, v.Call, v.Skipped, tt.want)
			}
			for _, p := range v.Problems {
				t.Errorf("%s\nbody: %s", p, c.body)
			}
		})
	}
}

// signed is a request signed (in name) for service, as the judge reads the
// credential scope.
func signed(method, target, service string, header map[string]string, body string) (*http.Request, []byte) {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r, []byte(body)
}

var (
	jsonCT = map[string]string{"Content-Type": "application/json"}
	cwJSON = func(op string) map[string]string {
		return map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801." + op}
	}
	formCT  = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	aliases = "/2015-03-31/functions/orders-api/aliases"
)

// TestRequestCatches feeds the judge requests that break the model, one
// way each, and sees it name the operation and the member.
func TestRequestCatches(t *testing.T) {
	t.Parallel()
	j := awsmodel.Required(t)
	tests := []struct {
		name           string
		method, target string
		service        string
		header         map[string]string
		body           string
		// want is the problem the judge reports, as Problem.String begins.
		want string
	}{
		{"required body member missing", "POST", aliases, "lambda", jsonCT, `{"Name":"prod"}`,
			"lambda.CreateAlias request member FunctionVersion (body): is required by CreateAliasRequest and missing"},
		{"bad enum in a header", "POST", "/2015-03-31/functions/orders-api/invocations", "lambda", map[string]string{"X-Amz-Invocation-Type": "Sometimes"}, `{}`,
			"lambda.Invoke request member InvocationType (header): InvocationType is one of Event, RequestResponse, DryRun, not \"Sometimes\""},
		{"pattern of a URI label (a lookahead)", "PUT", aliases + "/123", "lambda", jsonCT, `{"FunctionVersion":"2"}`,
			"lambda.UpdateAlias request member Name (uri): \"123\" does not match the pattern of Alias"},
		{"pattern of a URI label", "PUT", aliases + "/my%20alias", "lambda", jsonCT, `{"FunctionVersion":"2"}`,
			"lambda.UpdateAlias request member Name (uri): \"my alias\" does not match the pattern of Alias"},
		{"pattern in the query string", "GET", "/2015-03-31/functions/orders-api/configuration?Qualifier=a%20b", "lambda", nil, "",
			"lambda.GetFunctionConfiguration request member Qualifier (querystring): \"a b\" does not match the pattern of NumericLatestPublishedOrAliasQualifier"},
		{"length", "PUT", aliases + "/prod", "lambda", jsonCT, `{"Description":"` + strings.Repeat("d", 257) + `"}`,
			"lambda.UpdateAlias request member Description (body): Description has at most 256 characters, not 257"},
		{"range in a nested map", "PUT", aliases + "/prod", "lambda", jsonCT, `{"RoutingConfig":{"AdditionalVersionWeights":{"2":1.5}}}`,
			"lambda.UpdateAlias request member RoutingConfig.AdditionalVersionWeights[\"2\"] (body): Weight is at most 1, not 1.5"},
		{"pattern of a map key", "PUT", aliases + "/prod", "lambda", jsonCT, `{"RoutingConfig":{"AdditionalVersionWeights":{"v2":0.5}}}`,
			"lambda.UpdateAlias request member RoutingConfig.AdditionalVersionWeights[\"v2\"] key (body): \"v2\" does not match the pattern of AdditionalVersion"},
		{"type", "PUT", aliases + "/prod", "lambda", jsonCT, `{"FunctionVersion":2}`,
			"lambda.UpdateAlias request member FunctionVersion (body): VersionWithLatestPublished is a string, not 2"},
		{"a member the shape does not have", "PUT", aliases + "/prod", "lambda", jsonCT, `{"Weight":0.5}`,
			"lambda.UpdateAlias request member Weight (body): is not a member of UpdateAliasRequest"},
		{"a query parameter the shape does not have", "GET", "/2015-03-31/functions/orders-api/configuration?Version=3", "lambda", nil, "",
			"lambda.GetFunctionConfiguration request member Version (querystring): is not a member of GetFunctionConfigurationRequest"},
		{"integer range in the query string", "GET", "/2015-03-31/functions/orders-api/versions?MaxItems=100000", "lambda", nil, "",
			"lambda.ListVersionsByFunction request member MaxItems (querystring): MaxListItems is at most 10000, not 100000"},
		{"no such operation", "PATCH", "/2015-03-31/functions/orders-api", "lambda", nil, "",
			"lambda request (uri): no operation of the model is PATCH /2015-03-31/functions/orders-api"},
		{"API Gateway label pattern", "GET", "/restapis/a1/resources/r1/methods/GET/integration/responses/2000", "apigateway", nil, "",
			"apigateway.GetIntegrationResponse request member statusCode (uri): \"2000\" does not match the pattern of StatusCode"},
		{"AWS JSON required member", "POST", "/", "monitoring", cwJSON("GetMetricData"), `{"MetricDataQueries":[{"Id":"e","Expression":"1"}],"EndTime":1700000000}`,
			"cloudwatch.GetMetricData request member StartTime (body): is required by GetMetricDataInput and missing"},
		{"AWS JSON enum in a list item", "POST", "/", "monitoring", cwJSON("DescribeAlarms"), `{"AlarmTypes":["MetricAlarm","Alarm"]}`,
			"cloudwatch.DescribeAlarms request member AlarmTypes[1] (body): AlarmType is one of CompositeAlarm, MetricAlarm, not \"Alarm\""},
		{"AWS JSON timestamp", "POST", "/", "monitoring", cwJSON("GetMetricData"), `{"MetricDataQueries":[],"StartTime":"yesterday","EndTime":1700000000}`,
			"cloudwatch.GetMetricData request member StartTime (body): Timestamp is a timestamp in epoch seconds, not \"yesterday\""},
		{"AWS JSON unknown operation", "POST", "/", "monitoring", cwJSON("GetMetrics"), `{}`,
			"cloudwatch request (target): the model has no operation GetMetrics"},
		{"query required member", "POST", "/", "sts", formCT, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=s&WebIdentityToken=" + strings.Repeat("t", 20),
			"sts.AssumeRoleWithWebIdentity request member RoleArn (body): is required by AssumeRoleWithWebIdentityRequest and missing (RoleArn=)"},
		{"query range", "POST", "/", "sts", formCT, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s&DurationSeconds=60&WebIdentityToken=" + strings.Repeat("t", 20),
			"sts.AssumeRoleWithWebIdentity request member DurationSeconds (body): roleDurationSecondsType is at least 900, not 60"},
		{"query API version", "POST", "/", "sts", formCT, "Action=GetCallerIdentity&Version=2012-01-01",
			"sts.GetCallerIdentity request member Version (body): the API version is \"2011-06-15\", not \"2012-01-01\""},
		{"query pattern of a list item", "POST", "/", "sts", formCT, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s&TransitiveTagKeys.member.1=bad%21key",
			"sts.AssumeRole request member TransitiveTagKeys[0] (body): \"bad!key\" does not match the pattern of tagKeyType"},
		{"query unknown parameter", "POST", "/", "sts", formCT, "Action=GetCallerIdentity&Version=2011-06-15&RoleArn=x",
			"sts.GetCallerIdentity request member RoleArn (body): is not a parameter of GetCallerIdentityRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, body := signed(tt.method, tt.target, tt.service, tt.header, tt.body)
			v := j.Request(r, body)
			var got []string
			for _, p := range v.Problems {
				got = append(got, p.String())
				if strings.HasPrefix(p.String(), tt.want) {
					return
				}
			}
			t.Errorf("%s %s: problems\n%s\nwant one beginning %q", tt.method, tt.target, strings.Join(got, "\n"), tt.want)
		})
	}
}

// call is the judge's Call of a request.
func call(t *testing.T, j *awsmodel.Judge, method, target, service string, header map[string]string, body string) *awsmodel.Call {
	t.Helper()
	r, b := signed(method, target, service, header, body)
	v := j.Request(r, b)
	if v.Call == nil || !v.OK() {
		t.Fatalf("%s %s: %+v", method, target, v)
	}
	return v.Call
}

// TestResponseCatches feeds the judge answers that break the model, as a
// fabricated one could, and sees it name the operation and the member;
// and answers that keep to it, which it passes.
func TestResponseCatches(t *testing.T) {
	t.Parallel()
	j := awsmodel.Required(t)
	updateAlias := call(t, j, "PUT", aliases+"/prod", "lambda", jsonCT, `{"FunctionVersion":"2"}`)
	getConfig := call(t, j, "GET", "/2015-03-31/functions/orders-api/configuration?Qualifier=2", "lambda", nil, "")
	publish := call(t, j, "POST", "/2015-03-31/functions/orders-api/versions", "lambda", jsonCT, `{}`)
	getPC := call(t, j, "GET", "/2019-09-30/functions/orders-api/provisioned-concurrency?Qualifier=prod", "lambda", nil, "")
	getStage := call(t, j, "GET", "/v2/apis/a1/stages/prod", "apigateway", nil, "")
	getMetrics := call(t, j, "POST", "/", "monitoring", cwJSON("GetMetricData"), `{"MetricDataQueries":[],"StartTime":1,"EndTime":2}`)
	callerID := call(t, j, "POST", "/", "sts", formCT, "Action=GetCallerIdentity&Version=2011-06-15")
	webID := call(t, j, "POST", "/", "", formCT, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=gha&WebIdentityToken="+strings.Repeat("t", 20))

	restErr := func(code string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, "X-Amzn-Errortype": {code}}
	}
	cwErr := func(query string) http.Header {
		return http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Query-Error": {query}}
	}
	xmlCT := http.Header{"Content-Type": {"text/xml"}}
	credentials := func(expiration string) string {
		return `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>` +
			expiration + `</Expiration></Credentials></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`
	}
	tests := []struct {
		name   string
		call   *awsmodel.Call
		status int
		header http.Header
		body   string
		want   string // "" for an answer that keeps to the model
	}{
		{"declared conflict", updateAlias, 409, restErr("ResourceConflictException"), `{"Type":"User","message":"An update is in progress"}`, ""},
		{"declared throttle with its Reason", updateAlias, 429, restErr("TooManyRequestsException"), `{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`, ""},
		{"a Reason outside the enum", updateAlias, 429, restErr("TooManyRequestsException"), `{"Type":"User","message":"Rate exceeded","Reason":"TooFast"}`,
			"lambda.UpdateAlias response member Reason (body): ThrottleReason is one of"},
		{"an error the operation does not declare", updateAlias, 404, restErr("ProvisionedConcurrencyConfigNotFoundException"), `{"Type":"User","message":"none"}`,
			"lambda.UpdateAlias response (error): ProvisionedConcurrencyConfigNotFoundException is an error of lambda, but UpdateAlias does not declare it"},
		{"an error of no one's", updateAlias, 503, restErr("ServiceUnavailableException"), `{"message":"later"}`,
			"lambda.UpdateAlias response (error): ServiceUnavailableException is neither an error UpdateAlias declares"},
		{"a common error", updateAlias, 503, restErr("ServiceUnavailable"), `{"message":"later"}`, ""},
		{"a common error with the wrong status", updateAlias, 500, restErr("ExpiredTokenException"), `{"message":"expired"}`,
			"lambda.UpdateAlias response (status): the common error ExpiredTokenException answers 403, not 500"},
		{"the wrong status", updateAlias, 400, restErr("PreconditionFailedException"), `{"Type":"User","message":"stale"}`,
			"lambda.UpdateAlias response (status): PreconditionFailedException answers 412, not 400"},
		{"an error member the shape does not have", getPC, 404, restErr("ProvisionedConcurrencyConfigNotFoundException"), `{"Type":"User","message":"none","Hint":"x"}`,
			"lambda.GetProvisionedConcurrencyConfig response member Hint (body): is not a member of ProvisionedConcurrencyConfigNotFoundException"},
		{"a Pending rewrite that keeps to the model", getConfig, 200, http.Header{}, `{"FunctionName":"orders-api","Version":"2","State":"Pending","StateReason":"The function is being created.","StateReasonCode":"Creating"}`, ""},
		{"a state outside the enum", getConfig, 200, http.Header{}, `{"FunctionName":"orders-api","Version":"2","State":"Snapshotting"}`,
			"lambda.GetFunctionConfiguration response member State (body): State is one of"},
		{"the wrong success status", publish, 200, http.Header{}, `{"Version":"2"}`,
			"lambda.PublishVersion response (status): a success answers 201, not 200"},
		{"a version that breaks its pattern", publish, 201, http.Header{}, `{"Version":"two"}`,
			"lambda.PublishVersion response member Version (body): \"two\" does not match the pattern of Version"},
		{"an HTTP API stage without its wire names", getStage, 200, http.Header{}, `{"StageName":"prod"}`,
			"apigatewayv2.GetStage response member StageName (body): is not a member of GetStageResponse"},
		{"a query-compatible error", getMetrics, 400, cwErr("InvalidNextToken;Sender"), `{"__type":"InvalidNextToken","message":"bad token"}`, ""},
		{"the wrong query code", getMetrics, 500, cwErr("InternalFailure;Receiver"), `{"__type":"InternalServiceFault","Message":"oops"}`,
			"cloudwatch.GetMetricData response (header): the query code of InternalServiceFault is InternalServiceError, not InternalFailure"},
		{"a query throttle code as the JSON type", getMetrics, 400, cwErr("Throttling;Sender"), `{"__type":"Throttling","message":"Rate exceeded"}`,
			"cloudwatch.GetMetricData response (error): Throttling is neither an error GetMetricData declares"},
		{"a JSON throttle with its query code", getMetrics, 400, cwErr("Throttling;Sender"), `{"__type":"ThrottlingException","message":"Rate exceeded"}`, ""},
		{"a success member of the wrong type", getMetrics, 200, http.Header{}, `{"MetricDataResults":[{"Id":"e","Values":["1"]}]}`,
			"cloudwatch.GetMetricData response member MetricDataResults[0].Values[0] (body): DatapointValue is a number, not \"1\""},
		{"a query error code of no one's", callerID, 403, xmlCT, `<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>expired</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
			"sts.GetCallerIdentity response (error): ExpiredToken is neither an error GetCallerIdentity declares"},
		{"a common query error", callerID, 403, xmlCT, `<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredTokenException</Code><Message>expired</Message></Error><RequestId>1</RequestId></ErrorResponse>`, ""},
		{"a declared query error by its code", webID, 400, xmlCT, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>aud</Message></Error><RequestId>1</RequestId></ErrorResponse>`, ""},
		{"the wrong fault", webID, 400, xmlCT, `<ErrorResponse><Error><Type>Receiver</Type><Code>InvalidIdentityToken</Code><Message>aud</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
			"sts.AssumeRoleWithWebIdentity response member Type (body): InvalidIdentityToken is a Sender fault, not Receiver"},
		{"rewritten credentials", webID, 200, xmlCT, credentials("2025-01-01T00:00:20.000Z"), ""},
		{"an expiration that is no timestamp", webID, 200, xmlCT, credentials("in 20 seconds"),
			"sts.AssumeRoleWithWebIdentity response member Credentials.Expiration (body): dateType is a timestamp in iso8601, not \"in 20 seconds\""},
		{"credentials without a required member", webID, 200, xmlCT, strings.Replace(credentials("2025-01-01T00:00:20Z"), "<SessionToken>t</SessionToken>", "", 1),
			"sts.AssumeRoleWithWebIdentity response member Credentials.SessionToken (body): is required by Credentials and missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := j.Response(tt.call, tt.status, tt.header, []byte(tt.body))
			var got []string
			for _, p := range v.Problems {
				got = append(got, p.String())
			}
			if tt.want == "" {
				if len(got) > 0 {
					t.Errorf("problems with an answer that keeps to the model:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			for _, g := range got {
				if strings.HasPrefix(g, tt.want) {
					return
				}
			}
			t.Errorf("problems\n%s\nwant one beginning %q", strings.Join(got, "\n"), tt.want)
		})
	}
}

// TestGzipBody reads a body compressed as PutMetricData may send it.
func TestGzipBody(t *testing.T) {
	t.Parallel()
	j := awsmodel.Required(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"Namespace":"AWS/Lambda","MetricData":[{"Value":1}]}`))
	_ = zw.Close()
	h := cwJSON("PutMetricData")
	h["Content-Encoding"] = "gzip"
	r, body := signed("POST", "/", "monitoring", h, buf.String())
	v := j.Request(r, body)
	want := "cloudwatch.PutMetricData request member MetricData[0].MetricName (body): is required by MetricDatum and missing"
	if len(v.Problems) != 1 || v.Problems[0].String() != want {
		t.Errorf("problems %v, want [%s]", v.Problems, want)
	}
}

// BenchmarkJudge is the judge's cost per call through the proxy: a request
// and its answer, as an UpdateAlias and GetFunctionConfiguration are.
func BenchmarkJudge(b *testing.B) {
	j, err := awsmodel.Default()
	if err != nil {
		b.Skip(err)
	}
	r, body := signed("PUT", aliases+"/prod", "lambda", jsonCT, `{"FunctionVersion":"3","RevisionId":"abc","RoutingConfig":{"AdditionalVersionWeights":{"4":0.1}}}`)
	answer := []byte(`{"AliasArn":"arn:aws:lambda:us-east-1:123456789012:function:orders-api:prod","Name":"prod","FunctionVersion":"3","Description":"","RoutingConfig":{"AdditionalVersionWeights":{"4":0.1}},"RevisionId":"abc"}`)
	h := http.Header{"Content-Type": {"application/json"}}
	b.ReportAllocs()
	for b.Loop() {
		v := j.Request(r, body)
		if !v.OK() {
			b.Fatal(v.Problems)
		}
		if v := j.Response(v.Call, 200, h, answer); !v.OK() {
			b.Fatal(v.Problems)
		}
	}
}

// BenchmarkLoad is the cost of reading the five models, paid once per
// process.
func BenchmarkLoad(b *testing.B) {
	dir, err := awsmodel.DataDir()
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := awsmodel.LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDataDir: BOTOCORE_DATA_DIR points the judge at a data directory; one
// that is not there, or lacks a model, is an error that names it, and
// ErrNoBotocore (a skip outside CI, a failure under CI=true).
func TestDataDir(t *testing.T) {
	dataDir, err := awsmodel.DataDir()
	if err != nil {
		awsmodel.Required(t)
	}
	partial := t.TempDir()
	if err := os.MkdirAll(filepath.Join(partial, "lambda", "2015-03-31"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dataDir, "lambda", "2015-03-31", "service-2.json.gz"), filepath.Join(partial, "lambda", "2015-03-31", "service-2.json.gz")); err != nil {
		t.Fatal(err)
	}

	t.Setenv(awsmodel.DataDirEnv, filepath.Join(t.TempDir(), "none"))
	if _, err := awsmodel.Load(); !errors.Is(err, awsmodel.ErrNoBotocore) {
		t.Errorf("Load with %s a missing directory = %v, want ErrNoBotocore", awsmodel.DataDirEnv, err)
	}
	t.Setenv(awsmodel.DataDirEnv, partial)
	_, err = awsmodel.Load()
	if !errors.Is(err, awsmodel.ErrNoBotocore) || !strings.Contains(err.Error(), "no model of sts 2011-06-15") || strings.Contains(err.Error(), "no model of lambda") {
		t.Errorf("Load with only lambda's model = %v, want ErrNoBotocore naming the others", err)
	}
	t.Setenv(awsmodel.DataDirEnv, dataDir)
	if j, err := awsmodel.Load(); err != nil || j.Model("sts") == nil {
		t.Errorf("Load with %s=%s: %v", awsmodel.DataDirEnv, dataDir, err)
	}
}
