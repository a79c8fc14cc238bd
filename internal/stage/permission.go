package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// CheckPermissionName is the name of the permission check.
const CheckPermissionName = outcome.CheckAliasPermission

const apiGatewayService = "apigateway.amazonaws.com"

// Policies is the part of the Lambda client ReadPolicy calls.
type Policies interface {
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// ReadPolicy reads the resource policy of a function's alias: "" when there
// is none. function may be a name or an ARN, so the read needs nothing else
// read first.
func ReadPolicy(ctx context.Context, c Policies, function, alias string) (string, error) {
	out, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(function), Qualifier: aws.String(alias)})
	var nf *lambdatypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get policy of %s:%s: %w", function, alias, err)
	}
	return aws.ToString(out.Policy), nil
}

// call is one way API Gateway invokes the function: a route of the stage
// through an integration, or an authorizer.
type call struct {
	what    string // "GET /orders" or "authorizer auth (a1b2c3)"
	pattern string // its source ARN, wildcard for "*"
	route   bool   // a route (stage-scoped), not an authorizer
	id      string // the authorizer's id
}

// Permission judges a Lambda resource policy (the JSON GetPolicy returns;
// "" for none) for the calls the stage of f makes to the function through
// alias: for each route and authorizer that calls it, some statement must
// let API Gateway invoke the alias with that call's source ARN, and no
// statement may deny it.
//
// A statement counts when its Principal is the service
// apigateway.amazonaws.com (or everyone), its Action covers
// lambda:InvokeFunction, its Resource is the alias ARN (statements on the
// function or on another alias do not count: Lambda keeps one policy per
// alias, https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)
// and its conditions hold for every source ARN of the call, with IAM's
// operators (see iam.go). An integration with a credentials role is invoked
// as that role, so the resource policy does not decide it; the check says
// so and does not fail on it
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html).
func Permission(policyJSON string, f Finding, alias string) outcome.Check {
	c := outcome.Check{Name: CheckPermissionName}
	aliasARN := f.Function.Qualified(alias)
	target := f.Function.Name + ":" + alias
	stage := fmt.Sprintf("stage %s of %s %s", f.Stage, f.Kind, f.APIID)

	var (
		calls []call
		roles []string
	)
	for _, b := range f.Bindings {
		if b.Credentials != "" {
			roles = append(roles, roleNote(b, target))
			continue
		}
		if b.Kind == BindingAuthorizer {
			calls = append(calls, call{what: b.Where, pattern: b.patterns[0], id: b.ID})
			continue
		}
		for i, p := range b.patterns {
			calls = append(calls, call{what: b.Routes[i], pattern: p, route: true})
		}
	}
	if len(f.Bindings) == 0 {
		c.Detail = fmt.Sprintf("no integration or authorizer of %s calls %s, so there is no route whose permission to judge (see the integration check)", stage, f.Function.Name)
		c.Fix = f.fixCalls(alias, []call{{what: "the stage", pattern: f.Function.SourceARN(f.APIID, f.Stage+"/*"), route: true}}, nil, nil)
		return c
	}
	if len(calls) == 0 {
		c.OK = true
		c.Detail = strings.Join(roles, "; ")
		return c
	}

	var stmts []statement
	if strings.TrimSpace(policyJSON) != "" {
		var err error
		if stmts, err = parsePolicy(policyJSON); err != nil {
			c.Detail = fmt.Sprintf("the resource policy of %s is not valid JSON: %v", target, err)
			c.Fix = f.fixCalls(alias, calls, nil, nil)
			return c
		}
	}

	var (
		allowedBy []string                // statements that allow some call, in policy order
		covers    = map[string][]string{} // what each of them allows
		uncovered []call
		denied    []string // what the denying statements deny
		denySids  []string
		notes     []string // why allow statements did not count
	)
	noted := map[string]bool{}
	note := func(s string) {
		if !noted[s] {
			noted[s] = true
			notes = append(notes, s)
		}
	}
	for _, cl := range calls {
		req := request{sourceARN: cl.pattern, sourceAccount: f.Function.Account}
		allowed := false
		for i, s := range stmts {
			sid := s.Sid
			if sid == "" {
				sid = fmt.Sprintf("#%d", i+1)
			}
			if !s.principalAllows() || !s.actionAllows() {
				continue // not about API Gateway invoking
			}
			allow := strings.EqualFold(s.Effect, "Allow")
			if !allow && !strings.EqualFold(s.Effect, "Deny") {
				continue
			}
			if !s.resourceMatches(aliasARN) {
				if allow {
					note(fmt.Sprintf("statement %s is for %s", sid, strings.Join(s.Resource, ", ")))
				}
				continue
			}
			v, why := s.condition(req)
			switch {
			case allow && v == always:
				allowed = true
				if !slices.Contains(allowedBy, sid) {
					allowedBy = append(allowedBy, sid)
				}
				if !slices.Contains(covers[sid], cl.what) {
					covers[sid] = append(covers[sid], cl.what)
				}
			case allow:
				note(fmt.Sprintf("statement %s allows only when %s", sid, why))
			case v == always:
				denied = append(denied, fmt.Sprintf("statement %s denies %s", sid, cl.what))
				if s.Sid != "" && !slices.Contains(denySids, s.Sid) {
					denySids = append(denySids, s.Sid)
				}
			case v == maybe:
				denied = append(denied, fmt.Sprintf("statement %s may deny %s (when %s)", sid, cl.what, why))
				if s.Sid != "" && !slices.Contains(denySids, s.Sid) {
					denySids = append(denySids, s.Sid)
				}
			}
		}
		if !allowed {
			uncovered = append(uncovered, cl)
		}
	}

	if len(uncovered) == 0 && len(denied) == 0 {
		c.OK = true
		word := "statement %s lets"
		if len(allowedBy) > 1 {
			word = "statements %s let"
		}
		c.Detail = fmt.Sprintf(word+" API Gateway invoke %s from %s of %s", strings.Join(allowedBy, ", "), target, callList(calls), stage)
		if len(allowedBy) > 1 {
			c.Detail += ": " + coverage(allowedBy, covers)
		}
		if len(roles) > 0 {
			c.Detail += "; " + strings.Join(roles, "; ")
		}
		return c
	}

	var parts []string
	if len(denied) > 0 {
		parts = append(parts, fmt.Sprintf("API Gateway may not invoke %s: %s", target, list(denied)))
	}
	if len(uncovered) > 0 {
		what := fmt.Sprintf("no statement of the resource policy lets API Gateway invoke %s", target)
		if len(stmts) == 0 {
			what = fmt.Sprintf("%s has no resource policy, so API Gateway may not invoke it", target)
		}
		var srcs []string
		for _, u := range uncovered {
			srcs = append(srcs, u.what+" ("+showPattern(u.pattern)+")")
		}
		what += fmt.Sprintf(" from %s of %s", list(srcs), stage)
		if len(notes) > 0 {
			what += " (" + list(notes) + ")"
		}
		if len(allowedBy) > 0 {
			what += "; " + coverage(allowedBy, covers)
		}
		parts = append(parts, what)
	}
	if len(roles) > 0 {
		parts = append(parts, strings.Join(roles, "; "))
	}
	c.Detail = strings.Join(parts, "; ")
	c.Fix = f.fixCalls(alias, uncovered, denySids, stmts)
	return c
}

// coverage says which calls each allowing statement covers, in policy
// order: "statement get covers GET /orders, statement any covers ANY
// /orders/{id}".
func coverage(sids []string, covers map[string][]string) string {
	parts := make([]string, len(sids))
	for i, sid := range sids {
		parts[i] = fmt.Sprintf("statement %s covers %s", sid, list(covers[sid]))
	}
	return strings.Join(parts, ", ")
}

// roleNote says that API Gateway invokes a binding with its credentials.
func roleNote(b Binding, target string) string {
	if strings.HasSuffix(b.Credentials, ":user/*") {
		// arn:aws:iam::*:user/* passes the caller's own credentials.
		return fmt.Sprintf("%s invokes %s with the caller's own credentials, so the resource policy does not decide it", b.Where, target)
	}
	return fmt.Sprintf("%s invokes %s with role %s, so the resource policy does not decide it (the role needs lambda:InvokeFunction on the alias)", b.Where, target, b.Credentials)
}

// callList names the calls judged, briefly.
func callList(calls []call) string {
	seen := map[string]bool{}
	var names []string
	for _, c := range calls {
		if !seen[c.what] {
			seen[c.what] = true
			names = append(names, c.what)
		}
	}
	return list(names)
}

// fixCalls is the command that lets API Gateway invoke the alias for the
// calls given: the denying statements removed, one stage-scoped statement for
// the routes (the route's own source ARN when there is one), one statement
// per authorizer.
func (f Finding) fixCalls(alias string, calls []call, denySids []string, stmts []statement) string {
	taken := map[string]bool{}
	for _, s := range stmts {
		taken[s.Sid] = true
	}
	for _, sid := range denySids {
		delete(taken, sid)
	}
	sid := func(base string) string {
		const most = 100 // Lambda's limit on a statement id
		base = base[:min(len(base), most-4)]
		id := base
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		taken[id] = true
		return id
	}
	var cmds []string
	for _, s := range denySids {
		cmds = append(cmds, fix.AWS("lambda", "remove-permission", "--function-name", f.Function.Name, "--qualifier", alias, "--statement-id", s))
	}
	var routes []call
	for _, c := range calls {
		if c.route {
			routes = append(routes, c)
		}
	}
	switch {
	case len(routes) == 1:
		cmds = append(cmds, f.addPermission(alias, sid("apigateway-"+f.APIID+"-"+sidPart(f.Stage)+"-"+alias), showPattern(routes[0].pattern)))
	case len(routes) > 1:
		// METHOD/PATH routes are all under STAGE/*/*; the $default route
		// (STAGE/$default) is not.
		src := f.Stage + "/*/*"
		for _, r := range routes {
			if r.what == DefaultStage {
				src = f.Stage + "/*"
			}
		}
		cmds = append(cmds, f.addPermission(alias, sid("apigateway-"+f.APIID+"-"+sidPart(f.Stage)+"-"+alias), f.Function.SourceARN(f.APIID, src)))
	}
	for _, c := range calls {
		if !c.route {
			cmds = append(cmds, f.addPermission(alias, sid("apigateway-"+f.APIID+"-authorizer-"+sidPart(c.id)+"-"+alias), showPattern(c.pattern)))
		}
	}
	return fix.And(cmds...)
}

func (f Finding) addPermission(alias, sid, sourceARN string) string {
	return fix.AWS("lambda", "add-permission", "--function-name", f.Function.Name, "--qualifier", alias, "--statement-id", sid,
		"--action", "lambda:InvokeFunction", "--principal", apiGatewayService, "--source-arn", sourceARN)
}

// sidPart keeps the characters a statement id may hold: letters, digits,
// "-" and "_" (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
func sidPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}
