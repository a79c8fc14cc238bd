package moto

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agv2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// StageVariable is the stage variable the seeded stages use to name the alias.
const StageVariable = "lambdaAlias"

// World is what Demo seeded.
type World struct {
	Region, AccountID string
	Function          string // function name
	FunctionARN       string // unqualified function ARN
	RoleARN           string
	Alias             string // "prod"
	AliasARN          string
	Version           string // the version the alias serves: "1"
	RESTAPIID         string // REST API whose stage Stage calls the alias
	HTTPAPIID         string // empty: Demo makes no HTTP API (see CreateHTTPStage)
	Stage             string // "prod"
}

// FunctionARN is the unqualified ARN of function fn on this server.
func (s *Server) FunctionARN(fn string) string {
	return "arn:aws:lambda:" + s.Region + ":" + s.AccountID + ":function:" + fn
}

// CreateRole creates an IAM role that Lambda may assume and returns its ARN.
// Lambda on moto only accepts roles that exist.
func (s *Server) CreateRole(ctx context.Context, name string) (string, error) {
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	form := url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {name},
		"AssumeRolePolicyDocument": {trust},
	}
	// The module has no IAM client; IAM's query protocol is a signed form post.
	// moto's IAM answers 500 now and then under concurrent load; retry that
	// the way the SDK retries its own calls.
	var lastErr error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("create role %s: %w", name, ctx.Err())
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		status, msg, err := s.postIAM(ctx, form.Encode())
		switch {
		case err != nil:
			return "", fmt.Errorf("create role %s: %w", name, err)
		case status/100 == 2:
			return "arn:aws:iam::" + s.AccountID + ":role/" + name, nil
		case status/100 != 5:
			return "", fmt.Errorf("create role %s: %d: %s", name, status, msg)
		}
		lastErr = fmt.Errorf("create role %s: %d: %s", name, status, msg)
	}
	return "", lastErr
}

// postIAM sends a signed IAM query-protocol request and returns the status
// and the start of the body.
func (s *Server) postIAM(ctx context.Context, body string) (int, []byte, error) {
	return s.postQuery(ctx, "iam", body)
}

// postQuery sends a query-protocol request to service (its signing name),
// signed, and returns the status and the start of the body.
func (s *Server) postQuery(ctx context.Context, service, body string) (int, []byte, error) {
	status, b, err := s.signed(ctx, service, http.MethodPost, "/", "application/x-www-form-urlencoded; charset=utf-8", "", []byte(body))
	return status, bytes.TrimSpace(b[:min(len(b), 4096)]), err
}

// CreateFunction creates a python3.12 function from a zip made in memory and
// returns its unqualified ARN.
func (s *Server) CreateFunction(ctx context.Context, name, roleARN string) (string, error) {
	code, err := s.code()
	if err != nil {
		return "", fmt.Errorf("create function %s: %w", name, err)
	}
	out, err := s.Lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(roleARN),
		Runtime:      lambdatypes.RuntimePython312,
		Handler:      aws.String("index.handler"),
		Code:         &lambdatypes.FunctionCode{ZipFile: code},
		Timeout:      aws.Int32(3),
	})
	if err != nil {
		return "", fmt.Errorf("create function %s: %w", name, err)
	}
	return aws.ToString(out.FunctionArn), nil
}

// UpdateCode uploads new code to $LATEST, different on every call, so that the
// next Publish makes a new version.
func (s *Server) UpdateCode(ctx context.Context, name string) error {
	code, err := s.code()
	if err != nil {
		return fmt.Errorf("update code of %s: %w", name, err)
	}
	if _, err := s.Lambda().UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(name),
		ZipFile:      code,
	}); err != nil {
		return fmt.Errorf("update code of %s: %w", name, err)
	}
	return nil
}

// code is a zip with a handler that differs on every call.
func (s *Server) code() ([]byte, error) {
	n := s.codeSeq.Add(1)
	src := fmt.Sprintf("BUILD = %d\n\n\ndef handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"build %d\"}\n", n, n)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "index.py", Method: zip.Deflate, Modified: time.Unix(0, 0)})
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Publish publishes a version from $LATEST. With code unchanged since the last
// publish, moto (like Lambda) hands back the existing latest version.
func (s *Server) Publish(ctx context.Context, name string) (string, error) {
	out, err := s.Lambda().PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", name, err)
	}
	return aws.ToString(out.Version), nil
}

// CreateAlias creates alias of fn on version. weights maps other versions to
// the fraction (0–1) of traffic they get, as Lambda stores it; nil for none.
func (s *Server) CreateAlias(ctx context.Context, fn, alias, version string, weights map[string]float64) error {
	in := &lambda.CreateAliasInput{
		FunctionName:    aws.String(fn),
		Name:            aws.String(alias),
		FunctionVersion: aws.String(version),
	}
	if len(weights) > 0 {
		in.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
	}
	if _, err := s.Lambda().CreateAlias(ctx, in); err != nil {
		return fmt.Errorf("create alias %s of %s: %w", alias, fn, err)
	}
	return nil
}

// Alias reads an alias: its primary version and its additional version
// weights as fractions (0–1), as Lambda stores them; weights is nil when none.
func (s *Server) Alias(ctx context.Context, fn, alias string) (version string, weights map[string]float64, err error) {
	out, err := s.Lambda().GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(alias)})
	if err != nil {
		return "", nil, fmt.Errorf("get alias %s of %s: %w", alias, fn, err)
	}
	if out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0 {
		weights = out.RoutingConfig.AdditionalVersionWeights
	}
	return aws.ToString(out.FunctionVersion), weights, nil
}

// SourceARN is the execute-api source ARN pattern that covers every stage,
// method and path of API apiID.
func (s *Server) SourceARN(apiID string) string {
	return "arn:aws:execute-api:" + s.Region + ":" + s.AccountID + ":" + apiID + "/*/*/*"
}

// AllowAPIGateway lets API Gateway API apiID invoke alias of fn, with
// statement id apigateway-APIID-ALIAS.
func (s *Server) AllowAPIGateway(ctx context.Context, fn, alias, apiID string) error {
	if _, err := s.Lambda().AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(fn),
		Qualifier:    aws.String(alias),
		StatementId:  aws.String("apigateway-" + apiID + "-" + alias),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String("apigateway.amazonaws.com"),
		SourceArn:    aws.String(s.SourceARN(apiID)),
	}); err != nil {
		return fmt.Errorf("allow api %s to invoke %s:%s: %w", apiID, fn, alias, err)
	}
	return nil
}

// aliasVariableARN names fn through the stage variable: FN:${stageVariables.lambdaAlias}.
func (s *Server) aliasVariableARN(fn string) string {
	return s.FunctionARN(fn) + ":${stageVariables." + StageVariable + "}"
}

// RESTIntegrationURI is the REST API integration URI that calls functionARN
// (qualified or not) through Lambda's invocations path.
func (s *Server) RESTIntegrationURI(functionARN string) string {
	return "arn:aws:apigateway:" + s.Region + ":lambda:path/2015-03-31/functions/" + functionARN + "/invocations"
}

// CreateRESTStage creates a REST API whose root ANY method calls
// FN:${stageVariables.lambdaAlias} (AWS_PROXY), deploys it, and creates stage
// with lambdaAlias=aliasVar; with aliasVar empty the variable is not set.
func (s *Server) CreateRESTStage(ctx context.Context, fn, stage, aliasVar string) (string, error) {
	return s.CreateRESTStageURI(ctx, fn+"-rest", s.RESTIntegrationURI(s.aliasVariableARN(fn)), stage, aliasVar)
}

// CreateRESTStageURI is CreateRESTStage with the integration URI given.
func (s *Server) CreateRESTStageURI(ctx context.Context, apiName, uri, stage, aliasVar string) (string, error) {
	c := s.APIGateway()
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(apiName)})
	if err != nil {
		return "", fmt.Errorf("create rest api %s: %w", apiName, err)
	}
	id := aws.ToString(api.Id)
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	if err != nil {
		return "", fmt.Errorf("get resources of rest api %s: %w", id, err)
	}
	var root *string
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/" {
			root = r.Id
		}
	}
	if root == nil {
		return "", fmt.Errorf("rest api %s has no root resource", id)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{
		RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("ANY"), AuthorizationType: aws.String("NONE"),
	}); err != nil {
		return "", fmt.Errorf("put method on rest api %s: %w", id, err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{
		RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("ANY"),
		Type: agtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(uri),
	}); err != nil {
		return "", fmt.Errorf("put integration on rest api %s: %w", id, err)
	}
	dep, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id})
	if err != nil {
		return "", fmt.Errorf("deploy rest api %s: %w", id, err)
	}
	in := &apigateway.CreateStageInput{RestApiId: api.Id, DeploymentId: dep.Id, StageName: aws.String(stage)}
	if aliasVar != "" {
		in.Variables = map[string]string{StageVariable: aliasVar}
	}
	if _, err := c.CreateStage(ctx, in); err != nil {
		return "", fmt.Errorf("create stage %s of rest api %s: %w", stage, id, err)
	}
	return id, nil
}

// CreateHTTPStage creates an HTTP API with an AWS_PROXY integration that calls
// FN:${stageVariables.lambdaAlias}, a route `ANY /{proxy+}` to it, and stage
// with lambdaAlias=aliasVar (auto-deployed); with aliasVar empty the variable
// is not set.
func (s *Server) CreateHTTPStage(ctx context.Context, fn, stage, aliasVar string) (string, error) {
	return s.CreateHTTPStageURI(ctx, fn+"-http", s.aliasVariableARN(fn), stage, aliasVar)
}

// CreateHTTPStageURI is CreateHTTPStage with the integration URI given.
func (s *Server) CreateHTTPStageURI(ctx context.Context, apiName, uri, stage, aliasVar string) (string, error) {
	c := s.APIGatewayV2()
	api, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(apiName), ProtocolType: agv2types.ProtocolTypeHttp})
	if err != nil {
		return "", fmt.Errorf("create http api %s: %w", apiName, err)
	}
	id := aws.ToString(api.ApiId)
	integ, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{
		ApiId: api.ApiId, IntegrationType: agv2types.IntegrationTypeAwsProxy,
		IntegrationUri: aws.String(uri), PayloadFormatVersion: aws.String("2.0"),
	})
	if err != nil {
		return "", fmt.Errorf("create integration of http api %s: %w", id, err)
	}
	if _, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{
		ApiId: api.ApiId, RouteKey: aws.String("ANY /{proxy+}"), Target: aws.String("integrations/" + aws.ToString(integ.IntegrationId)),
	}); err != nil {
		return "", fmt.Errorf("create route of http api %s: %w", id, err)
	}
	in := &apigatewayv2.CreateStageInput{ApiId: api.ApiId, StageName: aws.String(stage), AutoDeploy: aws.Bool(true)}
	if aliasVar != "" {
		in.StageVariables = map[string]string{StageVariable: aliasVar}
	}
	if _, err := c.CreateStage(ctx, in); err != nil {
		return "", fmt.Errorf("create stage %s of http api %s: %w", stage, id, err)
	}
	return id, nil
}

// CreateAlarm creates a metric alarm on the AWS/Lambda Errors metric of a
// function that need not exist. moto starts it in OK (AWS would start it in
// INSUFFICIENT_DATA); set the state wanted with SetAlarmState.
func (s *Server) CreateAlarm(ctx context.Context, name string) error {
	if _, err := s.CloudWatch().PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		Namespace:          aws.String("AWS/Lambda"),
		MetricName:         aws.String("Errors"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(name)}},
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	}); err != nil {
		return fmt.Errorf("create alarm %s: %w", name, err)
	}
	return nil
}

// SetAlarmState sets alarm name to state: OK, ALARM or INSUFFICIENT_DATA.
func (s *Server) SetAlarmState(ctx context.Context, name, state string) error {
	if _, err := s.CloudWatch().SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName:   aws.String(name),
		StateValue:  cwtypes.StateValue(state),
		StateReason: aws.String("set by the emulator"),
	}); err != nil {
		return fmt.Errorf("set alarm %s to %s: %w", name, state, err)
	}
	return nil
}

// PutLambdaMetrics records Errors and Invocations sums for version of fn
// served through alias, with the dimensions Lambda uses: FunctionName,
// Resource=FN:ALIAS and ExecutedVersion. The data points are stamped one
// second ago, so a query ending now includes them.
func (s *Server) PutLambdaMetrics(ctx context.Context, fn, alias, version string, errors, invocations float64) error {
	dims := []cwtypes.Dimension{
		{Name: aws.String("FunctionName"), Value: aws.String(fn)},
		{Name: aws.String("Resource"), Value: aws.String(fn + ":" + alias)},
		{Name: aws.String("ExecutedVersion"), Value: aws.String(version)},
	}
	at := time.Now().Add(-time.Second)
	if _, err := s.CloudWatch().PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("AWS/Lambda"),
		MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("Errors"), Dimensions: dims, Value: aws.Float64(errors), Timestamp: aws.Time(at), Unit: cwtypes.StandardUnitCount},
			{MetricName: aws.String("Invocations"), Dimensions: dims, Value: aws.Float64(invocations), Timestamp: aws.Time(at), Unit: cwtypes.StandardUnitCount},
		},
	}); err != nil {
		return fmt.Errorf("put lambda metrics of %s:%s version %s: %w", fn, alias, version, err)
	}
	return nil
}

// Demo seeds the world of the README: a role, function fn with version 1
// published, alias prod on 1, a REST API with stage prod whose variable
// lambdaAlias=prod names the alias, the permission for that API to invoke
// prod, and new code on $LATEST ready to be published as version 2.
func (s *Server) Demo(ctx context.Context, fn string) (World, error) {
	w := World{Region: s.Region, AccountID: s.AccountID, Function: fn, Alias: "prod", Stage: "prod"}
	var err error
	if w.RoleARN, err = s.CreateRole(ctx, fn+"-role"); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	if w.FunctionARN, err = s.CreateFunction(ctx, fn, w.RoleARN); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	if w.Version, err = s.Publish(ctx, fn); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	if err := s.CreateAlias(ctx, fn, w.Alias, w.Version, nil); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	w.AliasARN = w.FunctionARN + ":" + w.Alias
	if w.RESTAPIID, err = s.CreateRESTStage(ctx, fn, w.Stage, w.Alias); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	if err := s.AllowAPIGateway(ctx, fn, w.Alias, w.RESTAPIID); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	if err := s.UpdateCode(ctx, fn); err != nil {
		return w, fmt.Errorf("demo: %w", err)
	}
	return w, nil
}
