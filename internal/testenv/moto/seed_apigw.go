package moto

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agv2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// RESTMethod is one method of a REST API that RESTAPI creates.
type RESTMethod struct {
	Path        string // "/", "/orders/{id}"; parent resources are created as needed
	Method      string // "GET", "ANY"…
	URI         string // integration URI (AWS_PROXY)
	Credentials string // integration credentials role; "" for none
	Authorizer  string // name of an authorizer of the spec; "" for none
}

// RESTAuthorizer is one Lambda authorizer of a REST API that RESTAPI
// creates.
type RESTAuthorizer struct {
	Name        string
	Type        string // "TOKEN" or "REQUEST"
	URI         string
	Credentials string
}

// RESTSpec is a REST API: methods, authorizers and one stage.
type RESTSpec struct {
	Name        string
	Methods     []RESTMethod
	Authorizers []RESTAuthorizer
	Stage       string
	Variables   map[string]string
}

// RESTAPI creates a REST API from spec, deploys it to its stage and returns
// the API id and the ids of its authorizers by name.
func (s *Server) RESTAPI(ctx context.Context, spec RESTSpec) (id string, authorizers map[string]string, err error) {
	c := s.APIGateway()
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(spec.Name)})
	if err != nil {
		return "", nil, fmt.Errorf("create rest api %s: %w", spec.Name, err)
	}
	id = aws.ToString(api.Id)
	authorizers = map[string]string{}
	for _, a := range spec.Authorizers {
		in := &apigateway.CreateAuthorizerInput{
			RestApiId: api.Id, Name: aws.String(a.Name), Type: agtypes.AuthorizerType(a.Type),
			AuthorizerUri: aws.String(a.URI), IdentitySource: aws.String("method.request.header.Authorization"),
		}
		if a.Credentials != "" {
			in.AuthorizerCredentials = aws.String(a.Credentials)
		}
		out, err := c.CreateAuthorizer(ctx, in)
		if err != nil {
			return "", nil, fmt.Errorf("create authorizer %s of rest api %s: %w", a.Name, id, err)
		}
		authorizers[a.Name] = aws.ToString(out.Id)
	}
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	if err != nil {
		return "", nil, fmt.Errorf("get resources of rest api %s: %w", id, err)
	}
	byPath := map[string]string{}
	for _, r := range res.Items {
		byPath[aws.ToString(r.Path)] = aws.ToString(r.Id)
	}
	resource := func(path string) (string, error) {
		parent := "/"
		for part := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
			if part == "" {
				continue
			}
			p := strings.TrimSuffix(parent, "/") + "/" + part
			if _, ok := byPath[p]; !ok {
				r, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: aws.String(byPath[parent]), PathPart: aws.String(part)})
				if err != nil {
					return "", fmt.Errorf("create resource %s of rest api %s: %w", p, id, err)
				}
				byPath[p] = aws.ToString(r.Id)
			}
			parent = p
		}
		return byPath[parent], nil
	}
	for _, m := range spec.Methods {
		rid, err := resource(m.Path)
		if err != nil {
			return "", nil, err
		}
		in := &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: aws.String(rid), HttpMethod: aws.String(m.Method), AuthorizationType: aws.String("NONE")}
		if m.Authorizer != "" {
			in.AuthorizationType = aws.String("CUSTOM")
			in.AuthorizerId = aws.String(authorizers[m.Authorizer])
		}
		if _, err := c.PutMethod(ctx, in); err != nil {
			return "", nil, fmt.Errorf("put method %s %s on rest api %s: %w", m.Method, m.Path, id, err)
		}
		pin := &apigateway.PutIntegrationInput{
			RestApiId: api.Id, ResourceId: aws.String(rid), HttpMethod: aws.String(m.Method),
			Type: agtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(m.URI),
		}
		if m.Credentials != "" {
			pin.Credentials = aws.String(m.Credentials)
		}
		if _, err := c.PutIntegration(ctx, pin); err != nil {
			return "", nil, fmt.Errorf("put integration %s %s on rest api %s: %w", m.Method, m.Path, id, err)
		}
	}
	dep, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id})
	if err != nil {
		return "", nil, fmt.Errorf("deploy rest api %s: %w", id, err)
	}
	if _, err := c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, DeploymentId: dep.Id, StageName: aws.String(spec.Stage), Variables: spec.Variables}); err != nil {
		return "", nil, fmt.Errorf("create stage %s of rest api %s: %w", spec.Stage, id, err)
	}
	return id, authorizers, nil
}

// HTTPIntegration is one integration of an HTTP API that HTTPAPI creates.
type HTTPIntegration struct {
	URI         string
	Credentials string
}

// HTTPRoute is one route of an HTTP API that HTTPAPI creates.
type HTTPRoute struct {
	Key         string // "GET /orders", "ANY /{proxy+}", "$default"
	Integration int    // index into the spec's integrations
	Authorizer  string // name of an authorizer of the spec; "" for none
}

// HTTPAuthorizer is one Lambda (REQUEST) authorizer of an HTTP API.
type HTTPAuthorizer struct {
	Name        string
	URI         string
	Credentials string
}

// HTTPSpec is an HTTP API: integrations (some maybe used by no route),
// routes, authorizers and one stage, auto-deployed unless ManualDeploy.
type HTTPSpec struct {
	Name         string
	Integrations []HTTPIntegration
	Routes       []HTTPRoute
	Authorizers  []HTTPAuthorizer
	Stage        string
	Variables    map[string]string
	ManualDeploy bool // the stage does not deploy changes by itself
}

// HTTPAPI creates an HTTP API from spec and returns its id, the ids of its
// integrations in the spec's order, and the ids of its authorizers by name.
func (s *Server) HTTPAPI(ctx context.Context, spec HTTPSpec) (id string, integrations []string, authorizers map[string]string, err error) {
	c := s.APIGatewayV2()
	api, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(spec.Name), ProtocolType: agv2types.ProtocolTypeHttp})
	if err != nil {
		return "", nil, nil, fmt.Errorf("create http api %s: %w", spec.Name, err)
	}
	id = aws.ToString(api.ApiId)
	for _, in := range spec.Integrations {
		ci := &apigatewayv2.CreateIntegrationInput{
			ApiId: api.ApiId, IntegrationType: agv2types.IntegrationTypeAwsProxy,
			IntegrationUri: aws.String(in.URI), PayloadFormatVersion: aws.String("2.0"),
		}
		if in.Credentials != "" {
			ci.CredentialsArn = aws.String(in.Credentials)
		}
		out, err := c.CreateIntegration(ctx, ci)
		if err != nil {
			return "", nil, nil, fmt.Errorf("create integration of http api %s: %w", id, err)
		}
		integrations = append(integrations, aws.ToString(out.IntegrationId))
	}
	authorizers = map[string]string{}
	for _, a := range spec.Authorizers {
		in := &apigatewayv2.CreateAuthorizerInput{
			ApiId: api.ApiId, Name: aws.String(a.Name), AuthorizerType: agv2types.AuthorizerTypeRequest,
			AuthorizerUri: aws.String(a.URI), AuthorizerPayloadFormatVersion: aws.String("2.0"),
			IdentitySource: []string{"$request.header.Authorization"},
		}
		if a.Credentials != "" {
			in.AuthorizerCredentialsArn = aws.String(a.Credentials)
		}
		out, err := c.CreateAuthorizer(ctx, in)
		if err != nil {
			return "", nil, nil, fmt.Errorf("create authorizer %s of http api %s: %w", a.Name, id, err)
		}
		authorizers[a.Name] = aws.ToString(out.AuthorizerId)
	}
	for _, r := range spec.Routes {
		in := &apigatewayv2.CreateRouteInput{ApiId: api.ApiId, RouteKey: aws.String(r.Key), Target: aws.String("integrations/" + integrations[r.Integration])}
		if r.Authorizer != "" {
			in.AuthorizationType = agv2types.AuthorizationTypeCustom
			in.AuthorizerId = aws.String(authorizers[r.Authorizer])
		}
		if _, err := c.CreateRoute(ctx, in); err != nil {
			return "", nil, nil, fmt.Errorf("create route %s of http api %s: %w", r.Key, id, err)
		}
	}
	if _, err := c.CreateStage(ctx, &apigatewayv2.CreateStageInput{
		ApiId: api.ApiId, StageName: aws.String(spec.Stage), AutoDeploy: aws.Bool(!spec.ManualDeploy), StageVariables: spec.Variables,
	}); err != nil {
		return "", nil, nil, fmt.Errorf("create stage %s of http api %s: %w", spec.Stage, id, err)
	}
	return id, integrations, authorizers, nil
}

// AllowSource lets API Gateway invoke alias of fn for calls whose source ARN
// matches sourceARN (arn:aws:execute-api:…:APIID/STAGE/METHOD/PATH, or
// …:APIID/authorizers/ID), with statement id sid.
func (s *Server) AllowSource(ctx context.Context, fn, alias, sid, sourceARN string) error {
	if _, err := s.Lambda().AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(fn),
		Qualifier:    aws.String(alias),
		StatementId:  aws.String(sid),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String("apigateway.amazonaws.com"),
		SourceArn:    aws.String(sourceARN),
	}); err != nil {
		return fmt.Errorf("allow %s to invoke %s:%s: %w", sourceARN, fn, alias, err)
	}
	return nil
}

// ExecuteAPIARN is the execute-api ARN of API apiID on this server with the
// resource path after it: "prod/GET/orders", "authorizers/ID", "*/*/*".
func (s *Server) ExecuteAPIARN(apiID, path string) string {
	return "arn:aws:execute-api:" + s.Region + ":" + s.AccountID + ":" + apiID + "/" + path
}
