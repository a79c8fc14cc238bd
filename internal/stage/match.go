package stage

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
)

// The kinds of Binding.
const (
	BindingIntegration = "integration"
	BindingAuthorizer  = "authorizer"
)

// wildcard stands, in a source ARN pattern, for any text: the method of an
// ANY route. It is shown as "*".
const wildcard = '\x00'

// Binding is one integration or Lambda authorizer of the stage that calls
// the function, once the stage's variables are put in.
type Binding struct {
	Kind  string // BindingIntegration or BindingAuthorizer
	ID    string // HTTP API integration id, REST API "METHOD PATH", or authorizer id
	Where string // for messages: "ANY /orders", "integration abc123 (GET /pets)", "authorizer auth (a1b2c3)"

	URI      string // as written, stage variables and all
	Resolved string // the function ARN it calls, stage variables put in
	// Qualifier is the version or alias it calls, stage variables put in;
	// "" when unqualified ($LATEST).
	Qualifier string
	// QualifierVariable is the stage variable the qualifier comes from; ""
	// when the URI names the qualifier itself.
	QualifierVariable string
	// NameVariable is a stage variable the function's name comes from; ""
	// when the URI names the function itself.
	NameVariable string
	// Missing lists the stage variables the URI uses that the stage does
	// not set.
	Missing []string
	// Credentials is the IAM role API Gateway invokes the function with;
	// "" when it invokes with its service principal, which the function's
	// resource policy must allow.
	Credentials string

	ResourceID, HTTPMethod string // REST API integrations: where the method sits

	// Routes are the keys of the routes that reach it: "GET /orders",
	// "$default".
	Routes []string
	// SourceARNs are the execute-api ARNs API Gateway invokes the function
	// with, one per route (arn:…:APIID/STAGE/METHOD/PATH, PATH the route's
	// template with its {parameters}, "*" for an ANY method) or, for an
	// authorizer, arn:…:APIID/authorizers/ID.
	SourceARNs []string

	patterns []string // SourceARNs with wildcard for "*"
	qspan    [2]int   // where the qualifier sits in QualifierVariable's value
	whole    bool     // the qualifier is all from QualifierVariable
}

// Finding is what Match found about a stage and a function.
type Finding struct {
	Kind           string // KindREST or KindHTTP
	APIID, Stage   string
	Function       lambdaarn.Function
	Variable       string // the stage variable that must name the alias
	VariableValue  string // "" when unset
	VariableSet    bool
	StageVariables map[string]string // every variable of the stage
	AutoDeploy     bool              // HTTP API stage deploys changes at once
	URL            string            // invoke URL of the stage

	// Bindings are the integrations and authorizers that routes of the
	// stage use and that call the function.
	Bindings []Binding
	// Others say what the other integrations and authorizers routes use
	// call, for messages.
	Others []string
	// Unused are HTTP API integrations and authorizers that call the
	// function but that no route uses: API Gateway never invokes them.
	Unused []string
	// unusedIntegrations are the ids of the HTTP API integrations in
	// Unused that select the alias through the stage variable; routeKeys are the keys of every route of the API; resources
	// are a REST API's resources, path → id. The fix for a stage where no route
	// calls the function uses them.
	unusedIntegrations []string
	routeKeys          []string
	resources          map[string]string
	// Unresolved are integrations and authorizers whose URI names a
	// stage variable the stage does not set, so the function they call is
	// unknown.
	Unresolved []string
}

// Match judges what Read found against the function: which integrations
// and authorizers that routes use call it, after the stage's variables are
// put into their URIs; with which qualifier, through which variable or
// literally, with which credentials; and the source ARNs API Gateway invokes
// them with.
func (st Stage) Match(variable string, fn lambdaarn.Function) Finding {
	f := Finding{
		Kind:           st.Kind,
		APIID:          st.APIID,
		Stage:          st.Name,
		Function:       fn,
		Variable:       variable,
		StageVariables: maps.Clone(st.Variables),
		AutoDeploy:     st.AutoDeploy,
		URL:            fn.InvokeURL(st.APIID, st.Name, st.Kind == KindHTTP && st.Name == DefaultStage),
	}
	f.VariableValue, f.VariableSet = st.Variables[variable]
	f.routeKeys = routeKeys(st.Routes)
	f.resources = st.Resources

	routesOf := func(match func(Route) bool) []Route {
		var rs []Route
		for _, r := range st.Routes {
			if match(r) {
				rs = append(rs, r)
			}
		}
		return rs
	}
	for _, in := range st.Integrations {
		routes := routesOf(func(r Route) bool { return r.IntegrationID == in.ID })
		where := in.ID
		if st.Kind == KindHTTP {
			where = "integration " + in.ID
			if len(routes) > 0 {
				where += " (" + list(routeKeys(routes)) + ")"
			}
		}
		b := Binding{Kind: BindingIntegration, ID: in.ID, Where: where, URI: in.URI, Credentials: in.Credentials,
			ResourceID: in.ResourceID, HTTPMethod: in.HTTPMethod}
		for _, r := range routes {
			b.Routes = append(b.Routes, r.Key())
			b.patterns = append(b.patterns, st.routeSource(fn, r))
		}
		f.add(b, st.Variables, len(routes) > 0)
	}
	for _, a := range st.Authorizers {
		routes := routesOf(func(r Route) bool { return r.AuthorizerID == a.ID })
		if a.URI == "" {
			continue // a JWT or Cognito authorizer: no function to call
		}
		where := "authorizer " + a.ID
		if a.Name != "" {
			where = fmt.Sprintf("authorizer %s (%s)", a.Name, a.ID)
		}
		b := Binding{Kind: BindingAuthorizer, ID: a.ID, Where: where, URI: a.URI, Credentials: a.Credentials,
			Routes: routeKeys(routes)}
		// API Gateway invokes an authorizer with the source ARN of the
		// authorizer, whatever the route.
		// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
		// and https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
		b.patterns = []string{fn.SourceARN(st.APIID, "authorizers/"+a.ID)}
		f.add(b, st.Variables, len(routes) > 0)
	}
	return f
}

// add records a binding when it calls the function and a route uses it.
func (f *Finding) add(b Binding, vars map[string]string, used bool) {
	r := resolve(b.URI, vars)
	switch {
	case !r.ok:
		if used && b.URI != "" {
			f.Others = append(f.Others, b.Where+" calls "+r.sub.text)
		}
		return
	case !sameFunction(r.ref.fn, f.Function):
		if !used {
			return
		}
		if r.nameVar != "" && len(r.sub.missing) > 0 {
			f.Unresolved = append(f.Unresolved, fmt.Sprintf("%s uses %s, which stage %s does not set", b.Where, refs(r.sub.missing), f.Stage))
			return
		}
		f.Others = append(f.Others, b.Where+" calls "+r.ref.fn.Qualified(r.ref.qualifier))
		return
	case !used:
		f.Unused = append(f.Unused, b.Where)
		if b.Kind == BindingIntegration && r.qualifierVar == f.Variable {
			// Routing one that selects the alias through the variable is
			// the fix; one that calls a fixed qualifier would send the
			// route's traffic around the alias, so it is not offered.
			f.unusedIntegrations = append(f.unusedIntegrations, b.ID)
		}
		return
	}
	b.Resolved = r.ref.fn.Qualified(r.ref.qualifier)
	b.Qualifier = r.ref.qualifier
	b.QualifierVariable = r.qualifierVar
	b.NameVariable = r.nameVar
	b.Missing = r.sub.missing
	b.qspan, b.whole = r.qspan, r.whole
	if r.missingQualifier() {
		b.Qualifier = ""
		b.Resolved = r.ref.fn.String()
	}
	for _, p := range b.patterns {
		b.SourceARNs = append(b.SourceARNs, showPattern(p))
	}
	f.Bindings = append(f.Bindings, b)
}

// sameFunction reports whether a function an integration calls is fn. Names
// and accounts are case-sensitive in Lambda.
func sameFunction(a, fn lambdaarn.Function) bool { return a == fn }

// routeSource is the source ARN pattern API Gateway invokes an integration
// with for route r of the stage: arn:…:APIID/STAGE/METHOD/PATH, or
// arn:…:APIID/STAGE/$default for an HTTP API's $default route.
//
// PATH is the route's path template as the API defines it, its parameters
// written as they are ({id}, {proxy+}), not the path of the request: the ARN
// format reference names that part the resource path, and the grants that
// are known to work follow it. Terraform's aws_lambda_permission example
// builds the source ARN from the resource's path attribute (/{proxy+},
// /orders/{id}); grants of EXECUTION_ARN/*/*/{proxy+} for an ANY /{proxy+}
// route are common in public infrastructure code; and a grant of
// APIID/*/*/{proxy+} does not let an HTTP API's $default route in, whose
// ARN ends in /$default (the HTTP API console asks for APIID/*/$default:
// aws/serverless-application-model#1860). METHOD is the request's method,
// so an ANY route stands for every method and needs a * there: a statement
// with ANY in that place lets nothing in
// (aws/serverless-application-model#296).
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html#apigateway-execute-api-arns,
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
// and https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_permission
func (st Stage) routeSource(fn lambdaarn.Function, r Route) string {
	if r.Method == "" {
		return fn.SourceARN(st.APIID, st.Name+"/"+r.Path)
	}
	method := r.Method
	if method == "ANY" {
		method = string(wildcard)
	}
	return fn.SourceARN(st.APIID, st.Name+"/"+method+"/"+strings.TrimPrefix(r.Path, "/"))
}

func showPattern(p string) string { return strings.ReplaceAll(p, string(wildcard), "*") }

func routeKeys(rs []Route) []string {
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.Key()
	}
	return keys
}

func refs(vars []string) string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = variableRef(v)
	}
	return strings.Join(out, ", ")
}

// qualifierVariables are the stage variables the bindings take their
// qualifier from, sorted.
func (f Finding) qualifierVariables() []string {
	set := map[string]bool{}
	for _, b := range f.Bindings {
		if b.QualifierVariable != "" {
			set[b.QualifierVariable] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// list names at most a few items.
func list(items []string) string {
	const most = 3
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:most], ", "), len(items)-most)
}
