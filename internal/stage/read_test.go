package stage

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agv2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/google/go-cmp/cmp"
)

// restFake is a func-type fake of RESTAPI.
type restFake struct {
	stage       func(*apigateway.GetStageInput) (*apigateway.GetStageOutput, error)
	resources   func(*apigateway.GetResourcesInput) (*apigateway.GetResourcesOutput, error)
	authorizers func(*apigateway.GetAuthorizersInput) (*apigateway.GetAuthorizersOutput, error)
}

func (f restFake) GetStage(_ context.Context, in *apigateway.GetStageInput, _ ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error) {
	return f.stage(in)
}

func (f restFake) GetResources(_ context.Context, in *apigateway.GetResourcesInput, _ ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error) {
	return f.resources(in)
}

func (f restFake) GetAuthorizers(_ context.Context, in *apigateway.GetAuthorizersInput, _ ...func(*apigateway.Options)) (*apigateway.GetAuthorizersOutput, error) {
	return f.authorizers(in)
}

// httpFake is a func-type fake of HTTPAPI.
type httpFake struct {
	api          func(*apigatewayv2.GetApiInput) (*apigatewayv2.GetApiOutput, error)
	stage        func(*apigatewayv2.GetStageInput) (*apigatewayv2.GetStageOutput, error)
	integrations func(*apigatewayv2.GetIntegrationsInput) (*apigatewayv2.GetIntegrationsOutput, error)
	routes       func(*apigatewayv2.GetRoutesInput) (*apigatewayv2.GetRoutesOutput, error)
	authorizer   func(*apigatewayv2.GetAuthorizerInput) (*apigatewayv2.GetAuthorizerOutput, error)
}

func (f httpFake) GetApi(_ context.Context, in *apigatewayv2.GetApiInput, _ ...func(*apigatewayv2.Options)) (*apigatewayv2.GetApiOutput, error) {
	return f.api(in)
}

func (f httpFake) GetStage(_ context.Context, in *apigatewayv2.GetStageInput, _ ...func(*apigatewayv2.Options)) (*apigatewayv2.GetStageOutput, error) {
	return f.stage(in)
}

func (f httpFake) GetIntegrations(_ context.Context, in *apigatewayv2.GetIntegrationsInput, _ ...func(*apigatewayv2.Options)) (*apigatewayv2.GetIntegrationsOutput, error) {
	return f.integrations(in)
}

func (f httpFake) GetRoutes(_ context.Context, in *apigatewayv2.GetRoutesInput, _ ...func(*apigatewayv2.Options)) (*apigatewayv2.GetRoutesOutput, error) {
	return f.routes(in)
}

func (f httpFake) GetAuthorizer(_ context.Context, in *apigatewayv2.GetAuthorizerInput, _ ...func(*apigatewayv2.Options)) (*apigatewayv2.GetAuthorizerOutput, error) {
	return f.authorizer(in)
}

// restNotFound is a REST side that knows no API.
func restNotFound() restFake {
	nf := &agtypes.NotFoundException{Message: aws.String("Invalid API identifier specified")}
	return restFake{
		stage:       func(*apigateway.GetStageInput) (*apigateway.GetStageOutput, error) { return nil, nf },
		resources:   func(*apigateway.GetResourcesInput) (*apigateway.GetResourcesOutput, error) { return nil, nf },
		authorizers: func(*apigateway.GetAuthorizersInput) (*apigateway.GetAuthorizersOutput, error) { return nil, nf },
	}
}

func TestReadRESTPages(t *testing.T) {
	t.Parallel()
	uri := restURI(ordersARN + ":" + varRef)
	rest := restFake{
		stage: func(in *apigateway.GetStageInput) (*apigateway.GetStageOutput, error) {
			return &apigateway.GetStageOutput{StageName: in.StageName, Variables: map[string]string{"lambdaAlias": "prod"}}, nil
		},
		resources: func(in *apigateway.GetResourcesInput) (*apigateway.GetResourcesOutput, error) {
			if len(in.Embed) != 1 || in.Embed[0] != "methods" {
				t.Errorf("GetResources embeds %v, want the methods", in.Embed)
			}
			if aws.ToString(in.Position) == "" {
				return &apigateway.GetResourcesOutput{Position: aws.String("p2"), Items: []agtypes.Resource{{
					Id: aws.String("r1"), Path: aws.String("/orders"),
					ResourceMethods: map[string]agtypes.Method{
						"POST": {MethodIntegration: &agtypes.Integration{Uri: aws.String(uri), Credentials: aws.String("arn:aws:iam::123456789012:role/r")}},
						"GET":  {AuthorizationType: aws.String("CUSTOM"), AuthorizerId: aws.String("a1"), MethodIntegration: &agtypes.Integration{Uri: aws.String(uri)}},
					},
				}}}, nil
			}
			return &apigateway.GetResourcesOutput{Items: []agtypes.Resource{{
				Id: aws.String("r2"), Path: aws.String("/health"),
				ResourceMethods: map[string]agtypes.Method{"GET": {AuthorizationType: aws.String("NONE")}}, // MOCK-less, no integration
			}}}, nil
		},
		authorizers: func(in *apigateway.GetAuthorizersInput) (*apigateway.GetAuthorizersOutput, error) {
			if aws.ToString(in.Position) == "" {
				return &apigateway.GetAuthorizersOutput{Position: aws.String("a2"), Items: []agtypes.Authorizer{{Id: aws.String("a1"), Name: aws.String("tokens"), Type: agtypes.AuthorizerTypeToken, AuthorizerUri: aws.String(uri)}}}, nil
			}
			return &apigateway.GetAuthorizersOutput{Items: []agtypes.Authorizer{{Id: aws.String("a2"), Name: aws.String("pool"), Type: agtypes.AuthorizerTypeCognitoUserPools}}}, nil
		},
	}
	got, err := Read(t.Context(), Clients{REST: rest}, "abc123", "prod")
	if err != nil {
		t.Fatal(err)
	}
	want := Stage{
		Kind: KindREST, APIID: "abc123", Name: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
		Resources: map[string]string{"/orders": "r1", "/health": "r2"},
		Routes: []Route{
			{Method: "GET", Path: "/orders", IntegrationID: "GET /orders", AuthorizerID: "a1"},
			{Method: "POST", Path: "/orders", IntegrationID: "POST /orders"},
			{Method: "GET", Path: "/health"},
		},
		Integrations: []Integration{
			{ID: "GET /orders", URI: uri, ResourceID: "r1", HTTPMethod: "GET"},
			{ID: "POST /orders", URI: uri, Credentials: "arn:aws:iam::123456789012:role/r", ResourceID: "r1", HTTPMethod: "POST"},
		},
		Authorizers: []Authorizer{
			{ID: "a1", Name: "tokens", Type: "TOKEN", URI: uri},
			{ID: "a2", Name: "pool", Type: "COGNITO_USER_POOLS"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read() (-want +got):\n%s", diff)
	}
}

// TestReadHTTP reads an HTTP API after the REST side answers not found:
// every page of integrations and routes, and only the authorizers a route
// names, each once.
func TestReadHTTP(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		asked []string
	)
	h := httpFake{
		api: func(*apigatewayv2.GetApiInput) (*apigatewayv2.GetApiOutput, error) {
			return &apigatewayv2.GetApiOutput{ProtocolType: agv2types.ProtocolTypeHttp}, nil
		},
		stage: func(in *apigatewayv2.GetStageInput) (*apigatewayv2.GetStageOutput, error) {
			return &apigatewayv2.GetStageOutput{StageName: in.StageName, AutoDeploy: aws.Bool(true), StageVariables: map[string]string{"lambdaAlias": "prod"}}, nil
		},
		integrations: func(in *apigatewayv2.GetIntegrationsInput) (*apigatewayv2.GetIntegrationsOutput, error) {
			if in.NextToken == nil {
				return &apigatewayv2.GetIntegrationsOutput{NextToken: aws.String("n"), Items: []agv2types.Integration{{IntegrationId: aws.String("i1"), IntegrationUri: aws.String(ordersARN + ":" + varRef)}}}, nil
			}
			return &apigatewayv2.GetIntegrationsOutput{Items: []agv2types.Integration{{IntegrationId: aws.String("i2"), IntegrationUri: aws.String(ordersARN), CredentialsArn: aws.String("arn:aws:iam::123456789012:role/r")}}}, nil
		},
		routes: func(in *apigatewayv2.GetRoutesInput) (*apigatewayv2.GetRoutesOutput, error) {
			if in.NextToken == nil {
				return &apigatewayv2.GetRoutesOutput{NextToken: aws.String("n"), Items: []agv2types.Route{
					{RouteKey: aws.String("GET /orders"), Target: aws.String("integrations/i1"), AuthorizationType: agv2types.AuthorizationTypeCustom, AuthorizerId: aws.String("au1")},
					{RouteKey: aws.String("POST /orders"), Target: aws.String("integrations/i1"), AuthorizationType: agv2types.AuthorizationTypeCustom, AuthorizerId: aws.String("au1")},
				}}, nil
			}
			return &apigatewayv2.GetRoutesOutput{Items: []agv2types.Route{
				{RouteKey: aws.String("$default"), Target: aws.String("integrations/i2"), AuthorizationType: agv2types.AuthorizationTypeJwt, AuthorizerId: aws.String("jwt")},
				{RouteKey: aws.String("GET /open"), AuthorizationType: agv2types.AuthorizationTypeNone, AuthorizerId: aws.String("stale")},
			}}, nil
		},
		authorizer: func(in *apigatewayv2.GetAuthorizerInput) (*apigatewayv2.GetAuthorizerOutput, error) {
			mu.Lock()
			asked = append(asked, aws.ToString(in.AuthorizerId))
			mu.Unlock()
			switch aws.ToString(in.AuthorizerId) {
			case "au1":
				return &apigatewayv2.GetAuthorizerOutput{Name: aws.String("gate"), AuthorizerType: agv2types.AuthorizerTypeRequest, AuthorizerUri: aws.String(ordersARN + ":prod")}, nil
			default:
				return &apigatewayv2.GetAuthorizerOutput{Name: aws.String("jwt"), AuthorizerType: agv2types.AuthorizerTypeJwt}, nil
			}
		},
	}
	got, err := Read(t.Context(), Clients{REST: restNotFound(), HTTP: h}, "xyz789", "$default")
	if err != nil {
		t.Fatal(err)
	}
	want := Stage{
		Kind: KindHTTP, APIID: "xyz789", Name: "$default", AutoDeploy: true, Variables: map[string]string{"lambdaAlias": "prod"},
		Routes: []Route{
			{Method: "GET", Path: "/orders", IntegrationID: "i1", AuthorizerID: "au1"},
			{Method: "POST", Path: "/orders", IntegrationID: "i1", AuthorizerID: "au1"},
			{Path: "$default", IntegrationID: "i2", AuthorizerID: "jwt"},
			{Method: "GET", Path: "/open"},
		},
		Integrations: []Integration{
			{ID: "i1", URI: ordersARN + ":" + varRef},
			{ID: "i2", URI: ordersARN, Credentials: "arn:aws:iam::123456789012:role/r"},
		},
		Authorizers: []Authorizer{
			{ID: "au1", Name: "gate", Type: "REQUEST", URI: ordersARN + ":prod"},
			{ID: "jwt", Name: "jwt", Type: "JWT"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read() (-want +got):\n%s", diff)
	}
	if len(asked) != 2 {
		t.Errorf("GetAuthorizer asked for %v, want au1 and jwt once each", asked)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	okHTTP := func() httpFake {
		return httpFake{
			api: func(*apigatewayv2.GetApiInput) (*apigatewayv2.GetApiOutput, error) {
				return &apigatewayv2.GetApiOutput{ProtocolType: agv2types.ProtocolTypeHttp}, nil
			},
			stage: func(*apigatewayv2.GetStageInput) (*apigatewayv2.GetStageOutput, error) {
				return &apigatewayv2.GetStageOutput{}, nil
			},
			integrations: func(*apigatewayv2.GetIntegrationsInput) (*apigatewayv2.GetIntegrationsOutput, error) {
				return &apigatewayv2.GetIntegrationsOutput{}, nil
			},
			routes: func(*apigatewayv2.GetRoutesInput) (*apigatewayv2.GetRoutesOutput, error) {
				return &apigatewayv2.GetRoutesOutput{Items: []agv2types.Route{{RouteKey: aws.String("GET /"), AuthorizationType: agv2types.AuthorizationTypeCustom, AuthorizerId: aws.String("au1")}}}, nil
			},
			authorizer: func(*apigatewayv2.GetAuthorizerInput) (*apigatewayv2.GetAuthorizerOutput, error) {
				return &apigatewayv2.GetAuthorizerOutput{}, nil
			},
		}
	}
	tests := []struct {
		name string
		c    func() Clients
		want string
	}{
		{"websocket", func() Clients {
			h := okHTTP()
			h.api = func(*apigatewayv2.GetApiInput) (*apigatewayv2.GetApiOutput, error) {
				return &apigatewayv2.GetApiOutput{ProtocolType: agv2types.ProtocolTypeWebsocket}, nil
			}
			return Clients{REST: restNotFound(), HTTP: h}
		}, "api xyz789 is a WebSocket API"},
		{"routes", func() Clients {
			h := okHTTP()
			h.routes = func(*apigatewayv2.GetRoutesInput) (*apigatewayv2.GetRoutesOutput, error) { return nil, boom }
			return Clients{REST: restNotFound(), HTTP: h}
		}, "get routes of HTTP API xyz789: boom"},
		{"authorizer", func() Clients {
			h := okHTTP()
			h.authorizer = func(*apigatewayv2.GetAuthorizerInput) (*apigatewayv2.GetAuthorizerOutput, error) { return nil, boom }
			return Clients{REST: restNotFound(), HTTP: h}
		}, "get authorizer au1 of HTTP API xyz789: boom"},
		{"rest authorizers", func() Clients {
			r := restNotFound()
			r.stage = func(*apigateway.GetStageInput) (*apigateway.GetStageOutput, error) {
				return &apigateway.GetStageOutput{}, nil
			}
			r.resources = func(*apigateway.GetResourcesInput) (*apigateway.GetResourcesOutput, error) {
				return &apigateway.GetResourcesOutput{}, nil
			}
			r.authorizers = func(*apigateway.GetAuthorizersInput) (*apigateway.GetAuthorizersOutput, error) { return nil, boom }
			return Clients{REST: r}
		}, "get authorizers of REST API xyz789: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(t.Context(), tt.c(), "xyz789", "prod")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read() error = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, boom) && tt.name != "websocket" {
				t.Errorf("Read() error %v does not wrap the cause", err)
			}
		})
	}
}
