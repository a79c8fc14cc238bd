// Package stage checks the API Gateway side of a promotion: that a stage of a
// REST API or HTTP API calls the function through the alias (its stage
// variables substituted into the integration and authorizer URIs), and that
// the alias's resource policy lets API Gateway invoke it from every route and
// authorizer of that stage that calls it.
//
// Read gathers the data (one stage, the API's methods or routes, their
// integrations and authorizers); Match, Checks and Permission are pure
// judgements of it.
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

	"github.com/lambda-promote/lambda-promote/internal/fix"
)

// The kinds of API Read tells apart.
const (
	KindREST = "REST API"
	KindHTTP = "HTTP API"
)

// Names of the checks Finding.Checks makes.
const (
	CheckVariable    = "stage variable"
	CheckIntegration = "integration"
)

// DefaultStage is the name of an HTTP API's default stage, served at the
// root of the invoke URL, and of its catch-all route.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
// and https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
const DefaultStage = "$default"

// ErrNotFound is wrapped by the errors Read returns when the API or the
// stage does not exist.
var ErrNotFound = errors.New("not found")

// RESTAPI is the part of the API Gateway (v1) client Read calls.
type RESTAPI interface {
	GetStage(context.Context, *apigateway.GetStageInput, ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error)
	GetResources(context.Context, *apigateway.GetResourcesInput, ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
	GetAuthorizers(context.Context, *apigateway.GetAuthorizersInput, ...func(*apigateway.Options)) (*apigateway.GetAuthorizersOutput, error)
}

// HTTPAPI is the part of the API Gateway v2 client Read calls.
type HTTPAPI interface {
	GetApi(context.Context, *apigatewayv2.GetApiInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetApiOutput, error)
	GetStage(context.Context, *apigatewayv2.GetStageInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetStageOutput, error)
	GetIntegrations(context.Context, *apigatewayv2.GetIntegrationsInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetIntegrationsOutput, error)
	GetRoutes(context.Context, *apigatewayv2.GetRoutesInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetRoutesOutput, error)
	GetAuthorizer(context.Context, *apigatewayv2.GetAuthorizerInput, ...func(*apigatewayv2.Options)) (*apigatewayv2.GetAuthorizerOutput, error)
}

// Clients are the API Gateway clients Read uses, both for the same region
// as the function.
type Clients struct {
	REST RESTAPI
	HTTP HTTPAPI
}

// Stage is what Read found: the stage's variables and the API's current
// definition (routes, integrations, authorizers). It needs nothing of the
// function, so it can be read at the same time as the function.
type Stage struct {
	Kind       string // KindREST or KindHTTP
	APIID      string
	Name       string
	Variables  map[string]string
	AutoDeploy bool // an HTTP API stage that deploys every change at once
	// Resources are a REST API's resources, path → id ("/" the root),
	// those with methods and those without; nil for an HTTP API.
	Resources map[string]string

	// Routes are what a client can call: a REST API's methods, an HTTP
	// API's routes.
	Routes []Route
	// Integrations are a REST API's method integrations (one per method)
	// or an HTTP API's integrations, used by a route or not.
	Integrations []Integration
	// Authorizers are the API's authorizers. For an HTTP API only those
	// a route names are read.
	Authorizers []Authorizer
}

// Route is a REST API method or an HTTP API route.
type Route struct {
	Method string // GET, POST, ANY…; "" for the HTTP API route $default
	Path   string // "/", "/orders/{id}"; "$default" for the HTTP API route $default
	// IntegrationID names the route's integration: for an HTTP API the id
	// of the target integrations/ID, for a REST API the method's own
	// integration (Integration.ID). "" when it has none.
	IntegrationID string
	// AuthorizerID names the Lambda or JWT authorizer the route uses; ""
	// when it uses none.
	AuthorizerID string
}

// Key is the route as API Gateway writes it: "GET /orders", "ANY /{proxy+}",
// "$default".
func (r Route) Key() string {
	if r.Method == "" {
		return r.Path
	}
	return r.Method + " " + r.Path
}

// Integration is one integration of the API.
type Integration struct {
	ID  string // HTTP API integration id; for a REST API "METHOD PATH"
	URI string // as written, stage variables and all
	// Credentials is the IAM role API Gateway invokes the backend with
	// ("" for none; arn:aws:iam::*:user/* passes the caller's identity).
	Credentials string

	ResourceID, HTTPMethod string // REST API: where the method sits
}

// Authorizer is one authorizer of the API.
type Authorizer struct {
	ID, Name    string
	Type        string // TOKEN, REQUEST, COGNITO_USER_POOLS (REST); REQUEST, JWT (HTTP)
	URI         string // the Lambda authorizer's URI; "" for others
	Credentials string // the role API Gateway invokes the authorizer with; "" for none
}

// Read reads a stage and the definition of its API. It asks the REST API
// side first (stage, resources with their methods, and authorizers at once);
// only when REST does not know the API does it ask the HTTP API side (the
// API's protocol, stage, integrations and routes at once, then the
// authorizers the routes name). A REST API thus costs one round trip and no
// detection call.
func Read(ctx context.Context, c Clients, apiID, stageName string) (Stage, error) {
	st := Stage{Kind: KindREST, APIID: apiID, Name: stageName}
	var (
		wg                      sync.WaitGroup
		stageErr, resErr, auErr error
		resources               map[string]string
		stageOut                *apigateway.GetStageOutput
		restNF, restResNF       *agtypes.NotFoundException
		routes                  []Route
		integs                  []Integration
		authorizers             []Authorizer
	)
	wg.Go(func() {
		stageOut, stageErr = c.REST.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stageName)})
	})
	wg.Go(func() { routes, integs, resources, resErr = readRESTResources(ctx, c.REST, apiID) })
	wg.Go(func() { authorizers, auErr = readRESTAuthorizers(ctx, c.REST, apiID) })
	wg.Wait()
	switch {
	case errors.As(resErr, &restResNF):
		// REST does not know the API: it may be an HTTP API.
		return readHTTP(ctx, c.HTTP, apiID, stageName)
	case errors.As(stageErr, &restNF):
		list := fix.AWS("apigateway", "get-stages", "--rest-api-id", apiID, "--query", "item[].stageName")
		return Stage{}, fix.Errorf("check the stage input; list the API's stages with:", list,
			"stage %s of REST API %s does not exist: %w", stageName, apiID, ErrNotFound)
	case stageErr != nil:
		return Stage{}, fmt.Errorf("get stage %s of REST API %s: %w", stageName, apiID, stageErr)
	case resErr != nil:
		return Stage{}, fmt.Errorf("get resources of REST API %s: %w", apiID, resErr)
	case auErr != nil:
		return Stage{}, fmt.Errorf("get authorizers of REST API %s: %w", apiID, auErr)
	}
	st.Variables = maps.Clone(stageOut.Variables)
	st.Routes, st.Integrations, st.Authorizers, st.Resources = routes, integs, authorizers, resources
	return st, nil
}

// readRESTResources reads every method of a REST API and its integration. A
// missing API is returned as the SDK's NotFoundException.
func readRESTResources(ctx context.Context, c RESTAPI, apiID string) (routes []Route, integs []Integration, resources map[string]string, err error) {
	resources = map[string]string{}
	in := &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Embed: []string{"methods"}, Limit: aws.Int32(500)}
	for {
		out, err := c.GetResources(ctx, in)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, r := range out.Items {
			resources[aws.ToString(r.Path)] = aws.ToString(r.Id)
			for _, method := range slices.Sorted(maps.Keys(r.ResourceMethods)) {
				m := r.ResourceMethods[method]
				route := Route{Method: method, Path: aws.ToString(r.Path)}
				if authorizerType(aws.ToString(m.AuthorizationType)) {
					route.AuthorizerID = aws.ToString(m.AuthorizerId)
				}
				if i := m.MethodIntegration; i != nil {
					route.IntegrationID = route.Key()
					integs = append(integs, Integration{
						ID: route.IntegrationID, URI: aws.ToString(i.Uri), Credentials: aws.ToString(i.Credentials),
						ResourceID: aws.ToString(r.Id), HTTPMethod: method,
					})
				}
				routes = append(routes, route)
			}
		}
		if aws.ToString(out.Position) == "" {
			return routes, integs, resources, nil
		}
		in.Position = out.Position
	}
}

// authorizerType reports whether a REST method's authorization type names an
// authorizer of the API (a Lambda authorizer is CUSTOM).
// See https://docs.aws.amazon.com/apigateway/latest/api/API_Method.html
func authorizerType(t string) bool {
	return t == "CUSTOM" || t == "COGNITO_USER_POOLS"
}

func readRESTAuthorizers(ctx context.Context, c RESTAPI, apiID string) ([]Authorizer, error) {
	var out []Authorizer
	in := &apigateway.GetAuthorizersInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)}
	for {
		page, err := c.GetAuthorizers(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Items {
			out = append(out, Authorizer{
				ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Type: string(a.Type),
				URI: aws.ToString(a.AuthorizerUri), Credentials: aws.ToString(a.AuthorizerCredentials),
			})
		}
		if aws.ToString(page.Position) == "" {
			return out, nil
		}
		in.Position = page.Position
	}
}

// readHTTP reads the stage, the integrations, the routes and the protocol of
// an HTTP API, then the authorizers its routes name.
func readHTTP(ctx context.Context, c HTTPAPI, apiID, stageName string) (Stage, error) {
	st := Stage{Kind: KindHTTP, APIID: apiID, Name: stageName}
	var (
		wg                                 sync.WaitGroup
		apiErr, stageErr, intErr, routeErr error
		api                                *apigatewayv2.GetApiOutput
		stageOut                           *apigatewayv2.GetStageOutput
		apiNF, stageNF                     *agv2types.NotFoundException
	)
	wg.Go(func() { api, apiErr = c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(apiID)}) })
	wg.Go(func() {
		stageOut, stageErr = c.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(apiID), StageName: aws.String(stageName)})
	})
	wg.Go(func() { st.Integrations, intErr = readHTTPIntegrations(ctx, c, apiID) })
	wg.Go(func() { st.Routes, routeErr = readHTTPRoutes(ctx, c, apiID) })
	wg.Wait()
	switch {
	case errors.As(apiErr, &apiNF):
		list := fix.And(fix.AWS("apigateway", "get-rest-apis", "--query", "items[].[id,name]"),
			fix.AWS("apigatewayv2", "get-apis", "--query", "Items[].[ApiId,Name,ProtocolType]"))
		return Stage{}, fix.Errorf("check the api-id input and the region; list the APIs with:", list,
			"api %s is neither a REST API nor an HTTP API in this region: %w", apiID, ErrNotFound)
	case apiErr != nil:
		return Stage{}, fmt.Errorf("get http api %s: %w", apiID, apiErr)
	case api.ProtocolType == agv2types.ProtocolTypeWebsocket:
		return Stage{}, fmt.Errorf("api %s is a WebSocket API; only REST APIs and HTTP APIs can be checked", apiID)
	case errors.As(stageErr, &stageNF):
		list := fix.AWS("apigatewayv2", "get-stages", "--api-id", apiID, "--query", "Items[].StageName")
		return Stage{}, fix.Errorf("check the stage input; list the API's stages with:", list,
			"stage %s of HTTP API %s does not exist: %w", stageName, apiID, ErrNotFound)
	case stageErr != nil:
		return Stage{}, fmt.Errorf("get stage %s of HTTP API %s: %w", stageName, apiID, stageErr)
	case intErr != nil:
		return Stage{}, fmt.Errorf("get integrations of HTTP API %s: %w", apiID, intErr)
	case routeErr != nil:
		return Stage{}, fmt.Errorf("get routes of HTTP API %s: %w", apiID, routeErr)
	}
	st.Variables = maps.Clone(stageOut.StageVariables)
	st.AutoDeploy = aws.ToBool(stageOut.AutoDeploy)

	// Only the authorizers a route names can be invoked; read those, by id.
	ids := map[string]bool{}
	for _, r := range st.Routes {
		if r.AuthorizerID != "" {
			ids[r.AuthorizerID] = true
		}
	}
	authorizers := make([]Authorizer, len(ids))
	errs := make([]error, len(ids))
	for i, id := range slices.Sorted(maps.Keys(ids)) {
		wg.Go(func() {
			out, err := c.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: aws.String(apiID), AuthorizerId: aws.String(id)})
			if err != nil {
				errs[i] = fmt.Errorf("get authorizer %s of HTTP API %s: %w", id, apiID, err)
				return
			}
			authorizers[i] = Authorizer{
				ID: id, Name: aws.ToString(out.Name), Type: string(out.AuthorizerType),
				URI: aws.ToString(out.AuthorizerUri), Credentials: aws.ToString(out.AuthorizerCredentialsArn),
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Stage{}, err
	}
	st.Authorizers = authorizers
	return st, nil
}

func readHTTPIntegrations(ctx context.Context, c HTTPAPI, apiID string) ([]Integration, error) {
	var out []Integration
	in := &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(apiID)}
	for {
		page, err := c.GetIntegrations(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, i := range page.Items {
			out = append(out, Integration{ID: aws.ToString(i.IntegrationId), URI: aws.ToString(i.IntegrationUri), Credentials: aws.ToString(i.CredentialsArn)})
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

func readHTTPRoutes(ctx context.Context, c HTTPAPI, apiID string) ([]Route, error) {
	var out []Route
	in := &apigatewayv2.GetRoutesInput{ApiId: aws.String(apiID)}
	for {
		page, err := c.GetRoutes(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Items {
			route := parseRouteKey(aws.ToString(r.RouteKey))
			if id, ok := strings.CutPrefix(aws.ToString(r.Target), "integrations/"); ok {
				route.IntegrationID = id
			}
			if r.AuthorizationType == agv2types.AuthorizationTypeCustom || r.AuthorizationType == agv2types.AuthorizationTypeJwt {
				route.AuthorizerID = aws.ToString(r.AuthorizerId)
			}
			out = append(out, route)
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// parseRouteKey splits an HTTP API route key, "METHOD /path" or "$default".
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
func parseRouteKey(key string) Route {
	method, path, ok := strings.Cut(key, " ")
	if !ok {
		return Route{Path: key}
	}
	return Route{Method: method, Path: path}
}
