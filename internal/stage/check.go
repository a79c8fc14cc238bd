package stage

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Checks judges the finding for alias:
//
//   - "stage variable": the stage variable through which the integrations
//     select the qualifier (the configured one, or another whose value holds
//     the qualifier) gives alias; when every integration names alias itself
//     the check passes with a note that the stage does not select it through
//     a variable;
//   - "integration": every integration and authorizer of the stage that
//     calls the function does so through a stage variable or names alias
//     itself; one that calls a fixed version, another alias or $LATEST
//     bypasses the promotion.
//
// Failed checks say what was found and give the aws CLI command that fixes
// them. Stage variables take effect at once; integration changes of a REST
// API (and of an HTTP API stage without auto-deploy) need a new deployment,
// which the command includes.
func (f Finding) Checks(alias string) []outcome.Check {
	return []outcome.Check{f.checkVariable(alias), f.checkIntegration(alias)}
}

func (f Finding) what() string {
	return fmt.Sprintf("stage %s of %s %s", f.Stage, f.Kind, f.APIID)
}

func (f Finding) checkVariable(alias string) outcome.Check {
	c := outcome.Check{Name: CheckVariable}
	vars := f.qualifierVariables()
	if len(f.Bindings) > 0 && len(vars) == 0 {
		literal := true
		for _, b := range f.Bindings {
			literal = literal && b.Qualifier == alias
		}
		if literal {
			c.OK = true
			c.Detail = fmt.Sprintf("the integrations of %s name %s themselves; the stage does not select the alias through a variable (%s is not used)",
				f.what(), f.Function.Name+":"+alias, f.Variable)
			return c
		}
	}
	if len(vars) == 0 {
		vars = []string{f.Variable}
	}
	var (
		details []string
		ok      = true
		set     = map[string]string{} // variable → value that fixes it
	)
	for _, v := range vars {
		detail, fix, good := f.judgeVariable(v, alias)
		details = append(details, detail)
		if !good {
			ok = false
			set[v] = fix
		}
	}
	c.Detail = strings.Join(details, "; ")
	if ok {
		c.OK = true
		return c
	}
	c.Fix = f.fixVariables(set)
	return c
}

// judgeVariable judges one stage variable the qualifier comes from: what it
// says, the value that fixes it, and whether it gives alias.
func (f Finding) judgeVariable(v, alias string) (detail, fix string, ok bool) {
	value, isSet := f.StageVariables[v]
	var using []Binding
	for _, b := range f.Bindings {
		if b.QualifierVariable == v {
			using = append(using, b)
		}
	}
	fix = alias
	switch {
	case !isSet && len(using) > 0:
		return fmt.Sprintf("%s does not set stage variable %s, which %s uses", f.what(), v, list(wheres(using))), fix, false
	case !isSet:
		return fmt.Sprintf("%s does not set stage variable %s", f.what(), v), fix, false
	case len(using) == 0 && value == alias:
		return fmt.Sprintf("%s sets %s=%s", f.what(), v, value), "", true
	case len(using) == 0:
		return fmt.Sprintf("%s sets %s=%s, not %s", f.what(), v, value, alias), fix, false
	}
	// Judge what the integrations call: the qualifier may be only part of
	// the variable's value (fn=orders:prod).
	var wrong []string
	plain := true // the value is the qualifier and nothing else
	for _, b := range using {
		plain = plain && b.whole && b.qspan == [2]int{0, len(value)}
		if b.Qualifier != alias {
			wrong = append(wrong, f.Function.Name+":"+b.Qualifier)
			if b.whole && b.qspan[1] <= len(value) {
				fix = value[:b.qspan[0]] + alias + value[b.qspan[1]:]
			}
		}
	}
	switch {
	case len(wrong) == 0 && plain:
		return fmt.Sprintf("%s sets %s=%s", f.what(), v, value), "", true
	case len(wrong) == 0:
		return fmt.Sprintf("%s sets %s=%s, through which its integrations call %s:%s", f.what(), v, value, f.Function.Name, alias), "", true
	case plain:
		return fmt.Sprintf("%s sets %s=%s, not %s", f.what(), v, value, alias), fix, false
	}
	slices.Sort(wrong)
	wrong = slices.Compact(wrong)
	return fmt.Sprintf("%s sets %s=%s, so its integrations call %s, not %s:%s", f.what(), v, value, strings.Join(wrong, ", "), f.Function.Name, alias), fix, false
}

func wheres(bs []Binding) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Where
	}
	return out
}

// fixVariables is the command that sets the stage variables to the values
// given.
func (f Finding) fixVariables(set map[string]string) string {
	if f.Kind == KindREST {
		var cmds []string
		for _, v := range slices.Sorted(maps.Keys(set)) {
			cmds = append(cmds, fix.AWS("apigateway", "update-stage", "--rest-api-id", f.APIID, "--stage-name", f.Stage,
				"--patch-operations", "op=replace,path=/variables/"+v+",value="+set[v]))
		}
		return fix.And(cmds...)
	}
	// The HTTP API takes the variables as one map; keep the others as they are.
	vars := maps.Clone(f.StageVariables)
	if vars == nil {
		vars = map[string]string{}
	}
	maps.Copy(vars, set)
	pairs := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		pairs = append(pairs, k+"="+vars[k])
	}
	return fix.AWS("apigatewayv2", "update-stage", "--api-id", f.APIID, "--stage-name", f.Stage, "--stage-variables", strings.Join(pairs, ","))
}

func (f Finding) checkIntegration(alias string) outcome.Check {
	c := outcome.Check{Name: CheckIntegration}
	ref := variableRef(f.Variable)
	target := f.Function.Name + ":" + ref

	if len(f.Bindings) == 0 {
		var found []string
		found = append(found, f.Unresolved...)
		for _, u := range f.Unused {
			found = append(found, u+" calls it but no route uses it")
		}
		found = append(found, f.Others...)
		what := "found no integrations"
		if len(found) > 0 {
			what = "found: " + list(found)
		}
		c.Detail = fmt.Sprintf("no integration of %s calls function %s (%s); if %s %s does not serve %s, fix the api-id input instead",
			f.what(), f.Function.Name, what, f.Kind, f.APIID, f.Function.Name)
		c.Fix = f.fixRoute()
		return c
	}

	var good, bad, fixes []string
	for _, b := range f.Bindings {
		switch {
		case b.QualifierVariable == f.Variable:
			good = append(good, b.Where+" calls "+target)
			continue
		case b.QualifierVariable != "":
			good = append(good, fmt.Sprintf("%s calls %s through stage variable %s", b.Where, f.Function.Name+":"+b.Qualifier, b.QualifierVariable))
			continue
		case b.Qualifier == alias:
			good = append(good, b.Where+" names "+f.Function.Name+":"+alias+" itself (the stage does not select the alias through a variable)")
			continue
		case b.Qualifier == "":
			bad = append(bad, b.Where+" calls "+f.Function.Name+" with no qualifier ($LATEST)")
		default:
			bad = append(bad, b.Where+" calls "+f.Function.Name+":"+b.Qualifier+" (a fixed qualifier)")
		}
		fixes = append(fixes, f.fixBinding(b))
	}
	if len(bad) == 0 {
		c.OK = true
		c.Detail = strings.Join(good, "; ")
		return c
	}
	c.Detail = strings.Join(bad, "; ") + ", not " + target
	if f.Kind == KindREST || !f.AutoDeploy {
		fixes = append(fixes, f.redeploy())
	}
	c.Fix = fix.And(fixes...)
	return c
}

// fixRoute is what makes a route of the stage call the function through the
// stage variable, when none does: which route is the user's choice, so it
// gives the commands for each, one choice a line under a comment line. An
// HTTP API integration that calls the function but that no route uses needs
// only a route (aws apigatewayv2 create-route); otherwise the integration is
// made first. A REST API gets a method on a new /{proxy+} resource or on the
// root resource, whichever it does not have yet. Either way a stage that
// does not deploy changes by itself is deployed last.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
// and https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html
func (f Finding) fixRoute() string {
	ref := variableRef(f.Variable)
	var choices []string
	if f.Kind == KindHTTP {
		target, create := "", ""
		if len(f.unusedIntegrations) > 0 {
			target = "integrations/" + f.unusedIntegrations[0]
		} else {
			create = fix.Capture("integration", fix.AWS("apigatewayv2", "create-integration", "--api-id", f.APIID,
				"--integration-type", "AWS_PROXY", "--payload-format-version", "2.0", "--integration-uri", f.Function.Qualified(ref),
				"--query", "IntegrationId", "--output", "text"))
			target = fix.Expand("integrations/$integration")
		}
		for _, c := range []struct{ comment, key string }{
			{"# either: every request that no other route takes ($default)", DefaultStage},
			{"# or: a route of your own, for example every path", "ANY /{proxy+}"},
		} {
			if f.hasRoute(c.key) {
				continue
			}
			cmds := []string{fix.AWS("apigatewayv2", "create-route", "--api-id", f.APIID, "--route-key", c.key, "--target", target)}
			if create != "" {
				cmds = append([]string{create}, cmds...)
			}
			if !f.AutoDeploy {
				cmds = append(cmds, f.redeploy())
			}
			choices = append(choices, c.comment+"\n"+fix.And(cmds...))
		}
		return f.oneChoice(choices)
	}
	uri := "arn:" + f.Function.Partition + ":apigateway:" + f.Function.Region + ":lambda:path/2015-03-31/functions/" + f.Function.Qualified(ref) + "/invocations"
	method := func(resource string) []string {
		return []string{
			fix.AWS("apigateway", "put-method", "--rest-api-id", f.APIID, "--resource-id", resource, "--http-method", "ANY", "--authorization-type", "NONE"),
			fix.AWS("apigateway", "put-integration", "--rest-api-id", f.APIID, "--resource-id", resource, "--http-method", "ANY",
				"--type", "AWS_PROXY", "--integration-http-method", "POST", "--uri", uri),
			f.redeploy(),
		}
	}
	root, proxy := f.resources["/"], f.resources["/{proxy+}"]
	switch {
	case f.hasRoute("ANY /{proxy+}"):
	case proxy != "":
		// The resource is there (with other methods, or none): it gets ANY.
		choices = append(choices, "# either: ANY on the resource /{proxy+}, for every path\n"+fix.And(method(proxy)...))
	case root != "":
		create := fix.Capture("resource", fix.AWS("apigateway", "create-resource", "--rest-api-id", f.APIID, "--parent-id", root,
			"--path-part", "{proxy+}", "--query", "id", "--output", "text"))
		choices = append(choices, "# either: a new resource /{proxy+} for every path\n"+fix.And(append([]string{create}, method(fix.Expand("$resource"))...)...))
	}
	if !f.hasRoute("ANY /") && root != "" {
		choices = append(choices, "# or: the root resource /\n"+fix.And(method(root)...))
	}
	return f.oneChoice(choices)
}

// oneChoice drops the comment of a choice that is the only one. With none
// (the API has both routes already, calling something else), it is the
// command that lists the API's routes and what they call, to choose from.
func (f Finding) oneChoice(choices []string) string {
	switch {
	case len(choices) == 0 && f.Kind == KindHTTP:
		return fix.AWS("apigatewayv2", "get-routes", "--api-id", f.APIID, "--query", "Items[].[RouteKey,Target]")
	case len(choices) == 0:
		return fix.AWS("apigateway", "get-resources", "--rest-api-id", f.APIID, "--embed", "methods", "--query", "items[].[path,id]")
	case len(choices) == 1:
		_, cmd, _ := strings.Cut(choices[0], "\n")
		return cmd
	}
	return strings.Join(choices, "\n")
}

// hasRoute reports whether the stage's API has the route key.
func (f Finding) hasRoute(key string) bool {
	return slices.Contains(f.routeKeys, key)
}

// fixBinding is the command that makes b call the function through the
// stage variable.
func (f Finding) fixBinding(b Binding) string {
	uri := b.URI
	if r, ok := parseFunctionURI(b.URI); ok {
		uri = b.URI[:r.start] + r.fn.Qualified(variableRef(f.Variable)) + b.URI[r.end:]
	}
	switch {
	case b.Kind == BindingAuthorizer && f.Kind == KindREST:
		op, _ := json.Marshal([]map[string]string{{"op": "replace", "path": "/authorizerUri", "value": uri}})
		return fix.AWS("apigateway", "update-authorizer", "--rest-api-id", f.APIID, "--authorizer-id", b.ID, "--patch-operations", string(op))
	case b.Kind == BindingAuthorizer:
		return fix.AWS("apigatewayv2", "update-authorizer", "--api-id", f.APIID, "--authorizer-id", b.ID, "--authorizer-uri", uri)
	case f.Kind == KindREST:
		op, _ := json.Marshal([]map[string]string{{"op": "replace", "path": "/uri", "value": uri}})
		return fix.AWS("apigateway", "update-integration", "--rest-api-id", f.APIID, "--resource-id", b.ResourceID, "--http-method", b.HTTPMethod, "--patch-operations", string(op))
	}
	return fix.AWS("apigatewayv2", "update-integration", "--api-id", f.APIID, "--integration-id", b.ID, "--integration-uri", uri)
}

func (f Finding) redeploy() string {
	if f.Kind == KindREST {
		return fix.AWS("apigateway", "create-deployment", "--rest-api-id", f.APIID, "--stage-name", f.Stage)
	}
	return fix.AWS("apigatewayv2", "create-deployment", "--api-id", f.APIID, "--stage-name", f.Stage)
}
