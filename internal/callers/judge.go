package callers

import (
	"fmt"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// Input is what Judge judges for one function of a run.
type Input struct {
	Function lambdaarn.Function // the function, unqualified
	Alias    string             // the alias promoted
	Mappings Mappings           // the event source mappings read, of every function
	Read     Function           // the function's URLs and resource policy
	// Stage is the finding of the checked API stage, nil without one, and
	// Checks its checks, whose fixes the stage's routes share.
	Stage  *stage.Finding
	Checks []outcome.Check
}

// Judge finds every path into the function that the reads show, says what
// each invokes and whether the promotion's canary and gates see its traffic
// (only traffic through the alias promoted), and gives the commands that
// point a bypassing path at the alias. notChecked names the reads that could
// not be made: a path there is unknown, not absent.
func Judge(in Input) (paths []outcome.Path, notChecked []NotChecked) {
	paths = append(paths, in.mappings()...)
	paths = append(paths, in.urls()...)
	grants, err := stage.Grants(in.Read.Policy)
	if err != nil {
		notChecked = append(notChecked, NotChecked{
			What:   fmt.Sprintf("resource-policy grants: not checked (the resource policy of %s is not valid JSON: %v)", in.Function.Name, err),
			Remedy: "put a policy Lambda can read back on the function (its GetPolicy shows what it holds)",
		})
	}
	paths = append(paths, in.grants(grants)...)
	paths = append(paths, in.routes()...)
	for i := range paths {
		paths[i].Function = in.Function.Name
	}

	if in.Mappings.Denied != "" {
		notChecked = append(notChecked, deniedRead("event source mappings", in.Mappings.Denied))
	}
	if in.Mappings.Truncated {
		notChecked = append(notChecked, NotChecked{
			What:   fmt.Sprintf("event source mappings: not all checked (only the first %d of the account's mappings in this region were read)", maxMappingPages*100),
			Remedy: "check the function's other mappings by hand (ListEventSourceMappings with its name)",
		})
	}
	for _, a := range in.Read.Denied {
		notChecked = append(notChecked, deniedRead(map[string]string{ActionGetURL: "function URLs", ActionGetPolicy: "resource-policy grants"}[a], a))
	}
	return paths, notChecked
}

// NotChecked is a read of what calls the function that could not be made,
// and what lets it be made.
type NotChecked struct {
	What   string // "function URLs: not checked (AccessDenied on lambda:GetFunctionUrlConfig)"
	Remedy string // what to do about it
}

func (n NotChecked) String() string { return n.What }

func deniedRead(what, action string) NotChecked {
	return NotChecked{
		What:   what + ": not checked (AccessDenied on " + action + ")",
		Remedy: "grant that action to the job's role (see the README's permissions)",
	}
}

// target is what an ARN of the function invokes. ok is false for an ARN of
// another function.
type target struct {
	qualifier string
	invokes   string
	covered   bool // the alias promoted
	bypass    bool // $LATEST or a version: no alias at all
}

func (in Input) target(arn string) (target, bool) {
	fn, q, err := lambdaarn.Parse(arn)
	if err != nil || fn != in.Function {
		return target{}, false
	}
	t := target{qualifier: q}
	switch {
	case q == "":
		t.invokes, t.bypass = "$LATEST (unqualified ARN)", true
	case q == lambdaarn.Latest:
		t.invokes, t.bypass = "$LATEST", true
	case isVersion(q):
		t.invokes, t.bypass = "version "+q, true
	case q == in.Alias:
		t.invokes, t.covered = fn.Name+":"+q+" (the alias promoted)", true
	default:
		t.invokes = fn.Name + ":" + q + " (another alias)"
	}
	return t, true
}

func isVersion(q string) bool {
	return q != "" && strings.Trim(q, "0123456789") == ""
}

func (t target) path(kind, source string) outcome.Path {
	return outcome.Path{Kind: kind, Source: source, Invokes: t.invokes, Covered: t.covered, Bypass: t.bypass}
}

// mappings are the function's event source mappings. A disabled one
// invokes nothing until it is enabled again.
// https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingConfiguration.html
func (in Input) mappings() []outcome.Path {
	var out []outcome.Path
	for _, m := range in.Mappings.List {
		t, ok := in.target(m.FunctionARN)
		if !ok {
			continue
		}
		p := t.path(outcome.PathMapping, sourceName(m.Source)+" (mapping "+m.UUID+")")
		switch m.State {
		case "Disabled", "Disabling", "Deleting":
			p.Detail = "state " + m.State + ": it invokes nothing unless enabled"
			p.Bypass = false
		case "":
		default:
			p.Detail = "state " + m.State
		}
		if !t.covered {
			p.Fixes = []outcome.Fix{{
				Choice:   "point the mapping at the alias",
				Commands: fix.AWS("lambda", "update-event-source-mapping", "--uuid", m.UUID, "--function-name", in.Function.Name+":"+in.Alias),
			}}
		}
		out = append(out, p)
	}
	return out
}

// sourceName names an event source by its ARN.
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-EventSourceArn
func sourceName(arn string) string {
	if arn == "" {
		return "a self-managed event source"
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return arn
	}
	service, res := parts[2], parts[5]
	switch service {
	case "sqs":
		return "SQS queue " + res
	case "kinesis":
		return "Kinesis stream " + strings.TrimPrefix(res, "stream/")
	case "dynamodb":
		table, _, _ := strings.Cut(strings.TrimPrefix(res, "table/"), "/")
		return "DynamoDB stream of table " + table
	case "kafka":
		return "MSK cluster " + strings.Split(strings.TrimPrefix(res, "cluster/")+"/", "/")[0]
	case "mq":
		return "Amazon MQ broker " + strings.TrimPrefix(res, "broker:")
	case "rds":
		return "DocumentDB cluster " + strings.TrimPrefix(res, "cluster:")
	}
	return arn
}

// urls are the function's URLs.
func (in Input) urls() []outcome.Path {
	var out []outcome.Path
	for _, u := range in.Read.URLs {
		t, ok := in.target(u.FunctionARN)
		if !ok {
			continue
		}
		p := t.path(outcome.PathURL, u.URL)
		p.Detail = "auth type " + u.AuthType
		if t.bypass {
			p.Fixes = in.urlFixes(u, t)
		}
		out = append(out, p)
	}
	return out
}

// urlFixes move a URL of $LATEST to the alias. A URL cannot be moved: a new
// one has a new address, so the clients must move to it; or the URL is not
// used and goes.
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunctionUrlConfig.html
// https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunctionUrlConfig.html
// https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html (AuthType NONE
// needs resource-policy statements for lambda:InvokeFunctionUrl and, for
// URLs made since October 2025, lambda:InvokeFunction via the URL)
func (in Input) urlFixes(u URL, t target) []outcome.Fix {
	name, alias := in.Function.Name, in.Alias
	delArgs := []string{"--function-name", name}
	if t.qualifier != "" {
		delArgs = append(delArgs, "--qualifier", t.qualifier)
	}
	del := fix.AWS("lambda", "delete-function-url-config", delArgs...)
	auth := u.AuthType
	if auth == "" {
		auth = "AWS_IAM"
	}
	lines := []string{fix.AWS("lambda", "create-function-url-config", "--function-name", name, "--qualifier", alias, "--auth-type", auth)}
	if auth == "NONE" {
		lines = append(lines,
			fix.AWS("lambda", "add-permission", "--function-name", name, "--qualifier", alias, "--statement-id", statementID("FunctionURLAllowPublicAccess", alias),
				"--action", "lambda:InvokeFunctionUrl", "--principal", "*", "--function-url-auth-type", "NONE"),
			fix.AWS("lambda", "add-permission", "--function-name", name, "--qualifier", alias, "--statement-id", statementID("FunctionURLInvokeAllowPublicAccess", alias),
				"--action", "lambda:InvokeFunction", "--principal", "*", "--invoked-via-function-url"))
	}
	lines = append(lines,
		"# the alias's URL has an address of its own (create-function-url-config prints it): move the clients to it, then",
		del)
	return []outcome.Fix{
		{Choice: "serve the URL from the alias", Commands: strings.Join(lines, "\n")},
		{Choice: "delete the URL, if nothing calls it", Commands: del},
	}
}

// routes are the integrations and authorizers of the checked stage that
// call the function, as internal/stage matched them (read once, for the
// stage checks too). One that bypasses the alias already fails a stage
// check, whose fix it shares.
func (in Input) routes() []outcome.Path {
	if in.Stage == nil {
		return nil
	}
	f := in.Stage
	var out []outcome.Path
	for _, b := range f.Bindings {
		t, ok := in.target(b.Resolved)
		if !ok {
			continue
		}
		where := b.Where
		if len(b.Routes) > 0 && f.Kind == stage.KindREST && b.Kind == stage.BindingIntegration {
			where = strings.Join(b.Routes, ", ")
		}
		p := t.path(outcome.PathRoute, fmt.Sprintf("%s of stage %s of %s %s", where, f.Stage, f.Kind, f.APIID))
		if b.QualifierVariable != "" {
			p.Detail = "through stage variable " + b.QualifierVariable
		}
		if !t.covered {
			check := stage.CheckIntegration
			if b.QualifierVariable != "" {
				check = stage.CheckVariable
			}
			p.Detail = strings.TrimPrefix(p.Detail+"; the "+check+" check fails for it", "; ")
			for _, c := range in.Checks {
				if c.Name == check && !c.OK && c.Fix != "" {
					p.Fixes = []outcome.Fix{{Choice: "the " + check + " check's fix", Commands: c.Fix}}
				}
			}
		}
		out = append(out, p)
	}
	return out
}
