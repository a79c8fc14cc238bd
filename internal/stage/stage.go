// Package stage checks the API Gateway side of a promotion: that a stage of a
// REST API or HTTP API sets the stage variable to the alias, that its
// integrations call the function through that variable, and that the alias's
// resource policy lets API Gateway invoke it.
package stage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agv2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
)

// The kinds of API Read tells apart.
const (
	KindREST = "REST API"
	KindHTTP = "HTTP API"
)

// Names of the checks Finding.Check makes.
const (
	CheckVariable    = "stage variable"
	CheckIntegration = "integration"
)

// ErrNotFound is wrapped by the errors Read returns when the API or the
// stage does not exist.
var ErrNotFound = errors.New("not found")

// RESTAPI is the part of the API Gateway (v1) client Read calls.
type RESTAPI interface {
	GetStage(context.Context, *apigateway.GetStageInput, ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error)
	GetResources(context.Context, *apigateway.GetResourcesInput, ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
}

// HTTPAPI is the part of the API Gateway v2 client Read calls.
type HTTPAPI interface {
	GetApi(context.Context, *apigatewayv2.GetApiInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetApiOutput, error)
	GetStage(context.Context, *apigatewayv2.GetStageInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetStageOutput, error)
	GetIntegrations(context.Context, *apigatewayv2.GetIntegrationsInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetIntegrationsOutput, error)
}

// Clients are the API Gateway clients Read uses, both for the same region
// as the function.
type Clients struct {
	REST RESTAPI
	HTTP HTTPAPI
}

// Binding is one integration of the API that names the function.
type Binding struct {
	URI       string
	Qualifier string // as written in the URI: "", "7", "prod" or "${stageVariables.lambdaAlias}"
	Where     string // "ANY /orders" (REST) or "integration abc123" (HTTP)

	ResourceID, HTTPMethod string // REST
	IntegrationID          string // HTTP
}

// Finding is what Match found about a stage and a function.
type Finding struct {
	Kind          string // KindREST or KindHTTP
	APIID, Stage  string
	Variable      string // the stage variable that must name the alias
	VariableValue string // "" when unset
	VariableSet   bool
	Integrations  []string // URIs of the integrations that name the function
	UsesVariable  bool     // some integration of the function uses ${stageVariables.VAR} as its qualifier
	URL           string   // invoke URL of the stage
	// SourceARNPrefix is arn:PARTITION:execute-api:REGION:ACCOUNT:APIID, the
	// start of every source ARN of the API's calls to Lambda.
	SourceARNPrefix string

	Bindings       []Binding         // the integrations that name the function
	Others         []string          // URIs of the integrations that do not name it
	StageVariables map[string]string // every variable of the stage
	AutoDeploy     bool              // HTTP API stage deploys changes at once

	fn function
}

// function is a parsed unqualified function ARN.
type function struct {
	partition, region, account, name string
}

// sourceARNPrefix is arn:PARTITION:execute-api:REGION:ACCOUNT:APIID, the
// start of the source ARN of every call the API makes to the function.
func (f function) sourceARNPrefix(apiID string) string {
	return "arn:" + f.partition + ":execute-api:" + f.region + ":" + f.account + ":" + apiID
}

// SourceARNPrefix is the source ARN prefix of API apiID's calls to the
// function (or alias) functionARN; "" when functionARN is not a Lambda ARN.
func SourceARNPrefix(functionARN, apiID string) string {
	fn, err := parseFunctionARN(functionARN)
	if err != nil {
		return ""
	}
	return fn.sourceARNPrefix(apiID)
}

func (f function) arn() string {
	return "arn:" + f.partition + ":lambda:" + f.region + ":" + f.account + ":function:" + f.name
}

func parseFunctionARN(s string) (function, error) {
	parts := strings.Split(s, ":")
	if (len(parts) != 7 && len(parts) != 8) || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" ||
		parts[1] == "" || parts[3] == "" || parts[4] == "" || parts[6] == "" {
		return function{}, fmt.Errorf("%q is not a lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", s)
	}
	return function{partition: parts[1], region: parts[3], account: parts[4], name: parts[6]}, nil
}

// Stage is what Read found: the stage's variables and every integration URI
// of its API. It needs nothing of the function, so it can be read at the same
// time as the function.
type Stage struct {
	Kind, APIID, Name string
	Variables         map[string]string
	AutoDeploy        bool
	integrations      []integration
}

// integration is one integration URI and where it sits.
type integration struct {
	uri, where, resourceID, httpMethod, integrationID string
}

// Read reads a stage and the integrations of its API. It asks the REST API
// side first, stage and resources at once; only when REST does not know the
// API does it ask the HTTP API side (stage, integrations and the API's
// protocol at once). A REST API thus costs one round trip and no detection
// call.
func Read(ctx context.Context, c Clients, apiID, stage string) (Stage, error) {
	st := Stage{Kind: KindREST, APIID: apiID, Name: stage}
	var (
		wg                sync.WaitGroup
		stageErr, resErr  error
		stageOut          *apigateway.GetStageOutput
		restNF, restResNF *agtypes.NotFoundException
	)
	wg.Go(func() {
		stageOut, stageErr = c.REST.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
	})
	wg.Go(func() { resErr = st.readResources(ctx, c.REST) })
	wg.Wait()
	switch {
	case stageErr == nil && resErr == nil:
		st.Variables = maps.Clone(stageOut.Variables)
		return st, nil
	case errors.As(resErr, &restResNF):
		// REST does not know the API: it may be an HTTP API.
		return readHTTP(ctx, c.HTTP, apiID, stage)
	case errors.As(stageErr, &restNF):
		return Stage{}, fmt.Errorf("stage %s of REST API %s does not exist; list its stages with: aws apigateway get-stages --rest-api-id %s --query 'item[].stageName': %w",
			stage, apiID, apiID, ErrNotFound)
	case stageErr != nil:
		return Stage{}, fmt.Errorf("get stage %s of REST API %s: %w", stage, apiID, stageErr)
	default:
		return Stage{}, fmt.Errorf("get resources of REST API %s: %w", apiID, resErr)
	}
}

func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func variableRef(variable string) string { return "${stageVariables." + variable + "}" }

// readResources reads every method integration of a REST API. A missing API
// is returned as the SDK's NotFoundException.
func (st *Stage) readResources(ctx context.Context, c RESTAPI) error {
	in := &apigateway.GetResourcesInput{RestApiId: aws.String(st.APIID), Embed: []string{"methods"}, Limit: aws.Int32(500)}
	for {
		out, err := c.GetResources(ctx, in)
		if err != nil {
			return err
		}
		for _, r := range out.Items {
			for _, method := range slices.Sorted(maps.Keys(r.ResourceMethods)) {
				m := r.ResourceMethods[method]
				if m.MethodIntegration == nil || aws.ToString(m.MethodIntegration.Uri) == "" {
					continue
				}
				st.integrations = append(st.integrations, integration{
					uri:        aws.ToString(m.MethodIntegration.Uri),
					where:      method + " " + aws.ToString(r.Path),
					resourceID: aws.ToString(r.Id),
					httpMethod: method,
				})
			}
		}
		if aws.ToString(out.Position) == "" {
			return nil
		}
		in.Position = out.Position
	}
}

// readHTTP reads the stage, the integrations and the protocol of an HTTP API.
func readHTTP(ctx context.Context, c HTTPAPI, apiID, stage string) (Stage, error) {
	st := Stage{Kind: KindHTTP, APIID: apiID, Name: stage}
	var (
		wg                       sync.WaitGroup
		apiErr, stageErr, intErr error
		api                      *apigatewayv2.GetApiOutput
		stageOut                 *apigatewayv2.GetStageOutput
		apiNF, stageNF           *agv2types.NotFoundException
	)
	wg.Go(func() { api, apiErr = c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(apiID)}) })
	wg.Go(func() {
		stageOut, stageErr = c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(apiID), StageName: aws.String(stage)})
	})
	wg.Go(func() { intErr = st.readIntegrations(ctx, c) })
	wg.Wait()
	switch {
	case errors.As(apiErr, &apiNF):
		return Stage{}, fmt.Errorf("api %s is neither a REST API nor an HTTP API in this region; list them with: "+
			"aws apigateway get-rest-apis --query 'items[].[id,name]' && "+
			"aws apigatewayv2 get-apis --query 'Items[].[ApiId,Name,ProtocolType]': %w", apiID, ErrNotFound)
	case apiErr != nil:
		return Stage{}, fmt.Errorf("get http api %s: %w", apiID, apiErr)
	case api.ProtocolType == agv2types.ProtocolTypeWebsocket:
		return Stage{}, fmt.Errorf("api %s is a WebSocket API; only REST APIs and HTTP APIs can be checked", apiID)
	case errors.As(stageErr, &stageNF):
		return Stage{}, fmt.Errorf("stage %s of HTTP API %s does not exist; list its stages with: aws apigatewayv2 get-stages --api-id %s --query 'Items[].StageName': %w",
			stage, apiID, apiID, ErrNotFound)
	case stageErr != nil:
		return Stage{}, fmt.Errorf("get stage %s of HTTP API %s: %w", stage, apiID, stageErr)
	case intErr != nil:
		return Stage{}, fmt.Errorf("get integrations of HTTP API %s: %w", apiID, intErr)
	}
	st.Variables = maps.Clone(stageOut.StageVariables)
	st.AutoDeploy = aws.ToBool(stageOut.AutoDeploy)
	return st, nil
}

func (st *Stage) readIntegrations(ctx context.Context, c HTTPAPI) error {
	in := &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(st.APIID)}
	for {
		out, err := c.GetIntegrations(ctx, in)
		if err != nil {
			return err
		}
		for _, i := range out.Items {
			if uri := aws.ToString(i.IntegrationUri); uri != "" {
				id := aws.ToString(i.IntegrationId)
				st.integrations = append(st.integrations, integration{uri: uri, where: "integration " + id, integrationID: id})
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

// Match judges what Read found against the function: which integrations
// name it, with which qualifier, and what the stage variable says.
func (st Stage) Match(variable, functionARN string) (Finding, error) {
	fn, err := parseFunctionARN(functionARN)
	if err != nil {
		return Finding{}, fmt.Errorf("inspect stage: %w", err)
	}
	f := Finding{
		Kind:            st.Kind,
		APIID:           st.APIID,
		Stage:           st.Name,
		Variable:        variable,
		StageVariables:  maps.Clone(st.Variables),
		AutoDeploy:      st.AutoDeploy,
		SourceARNPrefix: fn.sourceARNPrefix(st.APIID),
		fn:              fn,
	}
	f.URL = "https://" + st.APIID + ".execute-api." + fn.region + "." + dnsSuffix(fn.partition)
	if !(st.Kind == KindHTTP && st.Name == "$default") {
		f.URL += "/" + st.Name
	}
	for _, i := range st.integrations {
		ref, ok := parseIntegrationURI(i.uri)
		if !ok || !fn.names(ref) {
			f.Others = append(f.Others, i.uri)
			continue
		}
		f.Bindings = append(f.Bindings, Binding{
			URI: i.uri, Qualifier: ref.qualifier, Where: i.where,
			ResourceID: i.resourceID, HTTPMethod: i.httpMethod, IntegrationID: i.integrationID,
		})
	}
	f.VariableValue, f.VariableSet = f.StageVariables[variable]
	for _, b := range f.Bindings {
		f.Integrations = append(f.Integrations, b.URI)
		if b.Qualifier == variableRef(variable) {
			f.UsesVariable = true
		}
	}
	return f, nil
}

// names reports whether an integration's function reference is this
// function. A reference that takes its account from a stage variable counts
// when the name matches.
func (f function) names(r functionRef) bool {
	return r.name == f.name && (r.account == f.account || strings.Contains(r.account, "${"))
}

// functionRef is the Lambda function an integration URI names.
type functionRef struct {
	partition, region, account, name string
	qualifier                        string // "" when unqualified
	start, end                       int    // where the function ARN sits in the URI
}

// parseIntegrationURI finds the Lambda function an integration URI calls. It
// takes the REST form
// arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
// and the HTTP API form, the bare function ARN. ok is false for URIs that
// call no Lambda function.
func parseIntegrationURI(uri string) (ref functionRef, ok bool) {
	start, end := 0, len(uri)
	if strings.HasPrefix(uri, "arn:") && strings.Contains(uri, ":apigateway:") {
		const fns, inv = "/functions/", "/invocations"
		i := strings.Index(uri, ":lambda:path/")
		if i < 0 {
			return functionRef{}, false
		}
		j := strings.Index(uri[i:], fns)
		if j < 0 {
			return functionRef{}, false
		}
		start = i + j + len(fns)
		k := strings.LastIndex(uri, inv)
		if k < start {
			return functionRef{}, false
		}
		end = k
	}
	parts := strings.Split(uri[start:end], ":")
	if (len(parts) != 7 && len(parts) != 8) || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" ||
		parts[1] == "" || parts[3] == "" || parts[4] == "" || parts[6] == "" {
		return functionRef{}, false
	}
	ref = functionRef{partition: parts[1], region: parts[3], account: parts[4], name: parts[6], start: start, end: end}
	if len(parts) == 8 {
		if parts[7] == "" {
			return functionRef{}, false
		}
		ref.qualifier = parts[7]
	}
	return ref, true
}
