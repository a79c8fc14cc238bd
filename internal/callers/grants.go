package callers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/stage"
)

// grants are the paths the resource policy opens: who may invoke which
// qualifier. A grant says who may call, not who does: where S3, SNS or
// EventBridge send their events is set in those services, which this check
// does not read, so a grant on the unqualified function is a path to
// $LATEST that its service may take.
// https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
func (in Input) grants(gs []stage.Grant) []outcome.Path {
	var out []outcome.Path
	for _, g := range gs {
		if slices.ContainsFunc(g.OtherConditions, func(k string) bool { return strings.EqualFold(k, "lambda:InvokedViaFunctionUrl") }) {
			// It admits only calls through a function URL, which is a
			// path of its own (urls-auth.html).
			continue
		}
		for _, res := range g.Resources {
			t, ok := in.target(res)
			if !ok {
				continue
			}
			p := t.path(outcome.PathGrant, grantee(g))
			if g.Sid != "" {
				p.Source += " (statement " + g.Sid + ")"
			}
			p.Detail = grantDetail(g)
			if t.bypass {
				p.Fixes = in.grantFixes(g, t)
			}
			out = append(out, p)
		}
	}
	return out
}

// grantee says who a grant lets invoke, with what narrows it whatever the
// principal: the source ARNs and the organization.
func grantee(g stage.Grant) string {
	var who []string
	from := ""
	if len(g.SourceARNs) > 0 {
		from = " from " + strings.Join(g.SourceARNs, ", ")
	}
	if len(g.PrincipalOrgIDs) > 0 {
		from += " in organization " + strings.Join(g.PrincipalOrgIDs, ", ")
	}
	if g.Everyone {
		who = append(who, `anyone (principal "*")`+from)
	}
	for _, s := range g.Services {
		if len(g.SourceARNs) == 0 {
			who = append(who, "any resource of "+s)
			continue
		}
		for _, a := range g.SourceARNs {
			who = append(who, sourceOf(s, a))
		}
	}
	for _, a := range g.Accounts {
		who = append(who, principalName(a)+from)
	}
	if len(who) == 0 {
		return "a principal this check does not know"
	}
	return strings.Join(who, ", ")
}

// sourceOf names the resource a service calls from, by its source ARN.
func sourceOf(service, arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return service + " from " + arn
	}
	res := parts[5]
	switch parts[2] {
	case "s3":
		return "S3 bucket " + res
	case "sns":
		return "SNS topic " + res
	case "events":
		rule := strings.TrimPrefix(res, "rule/")
		if bus, name, ok := strings.Cut(rule, "/"); ok {
			return "EventBridge rule " + name + " on bus " + bus
		}
		return "EventBridge rule " + rule
	case "execute-api":
		return "API Gateway " + res
	case "logs":
		return "CloudWatch Logs " + res
	}
	return service + " from " + arn
}

// principalName names an AWS principal: an account by its id, another by
// its ARN.
func principalName(p string) string {
	if isVersion(p) && len(p) == 12 {
		return "account " + p
	}
	if id, ok := strings.CutPrefix(p, "arn:"); ok {
		parts := strings.SplitN(id, ":", 5)
		if len(parts) == 5 && parts[1] == "iam" && parts[4] == "root" {
			return "account " + parts[3]
		}
	}
	return "principal " + p
}

func grantDetail(g stage.Grant) string {
	var d []string
	if len(g.SourceAccounts) > 0 {
		d = append(d, "source account "+strings.Join(g.SourceAccounts, ", "))
	}
	if len(g.PrincipalOrgIDs) > 0 {
		d = append(d, "organization "+strings.Join(g.PrincipalOrgIDs, ", "))
	}
	if len(g.OtherConditions) > 0 {
		d = append(d, "also tests "+strings.Join(g.OtherConditions, ", "))
	}
	if len(g.Services) > 0 && !slices.Equal(g.Services, []string{"apigateway.amazonaws.com"}) {
		d = append(d, "a grant says who may call; where "+strings.Join(g.Services, ", ")+" sends its calls is set in that service, which is not read here")
	}
	return strings.Join(d, "; ")
}

// grantFixes point a grant on $LATEST or a version at the alias: the same
// grant on the alias, the change at the source that Lambda cannot make,
// then the old grant removed; or only the removal, when nothing uses it.
// https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
// https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html
func (in Input) grantFixes(g stage.Grant, t target) []outcome.Fix {
	name := in.Function.Name
	from := in.Function.Qualified(t.qualifier)
	to := in.Function.Qualified(in.Alias)
	rmArgs := []string{"--function-name", name}
	if t.qualifier != "" {
		rmArgs = append(rmArgs, "--qualifier", t.qualifier)
	}
	remove := fix.AWS("lambda", "remove-permission", append(rmArgs, "--statement-id", g.Sid)...)
	if g.Sid == "" {
		// remove-permission names a statement by its Sid; one without
		// (a policy put whole can hold it) is taken out of the policy by
		// hand.
		remove = "# the statement has no Sid, so remove-permission cannot name it: put the policy back without it (Lambda's PutResourcePolicy); it reads:\n" + in.showPolicy(t.qualifier)
	}

	// The alias's grant narrows it as the function's does: the same source
	// ARNs and source account, for every principal, and the same
	// organization. A grant whose conditions add-permission cannot write
	// (another key, several accounts or organizations) is copied by hand:
	// printing it without them would open the alias wider than the function
	// was, to anyone for principal "*".
	copyable := len(g.OtherConditions) == 0 && len(g.SourceAccounts) <= 1 && len(g.PrincipalOrgIDs) <= 1
	type grant struct{ principal, sourceARN string }
	var add []grant
	principals := slices.Clone(g.Services)
	principals = append(principals, g.Accounts...)
	if g.Everyone {
		principals = append(principals, "*")
	}
	for _, p := range principals {
		if id, ok := strings.CutPrefix(principalName(p), "account "); ok {
			p = id // add-permission takes an account by its id
		}
		if len(g.SourceARNs) == 0 {
			add = append(add, grant{principal: p})
			continue
		}
		for _, a := range g.SourceARNs {
			add = append(add, grant{principal: p, sourceARN: a})
		}
	}
	base := g.Sid
	if base == "" {
		base = "grant"
	}
	var adds []string
	for i, a := range add {
		sid := statementID(base, in.Alias)
		if i > 0 {
			sid = statementID(fmt.Sprintf("%s-%d", base, i+1), in.Alias)
		}
		args := []string{"--function-name", name, "--qualifier", in.Alias, "--statement-id", sid, "--action", "lambda:InvokeFunction", "--principal", a.principal}
		if a.sourceARN != "" {
			args = append(args, "--source-arn", a.sourceARN)
		}
		if len(g.SourceAccounts) == 1 {
			args = append(args, "--source-account", g.SourceAccounts[0])
		}
		if len(g.PrincipalOrgIDs) == 1 {
			args = append(args, "--principal-org-id", g.PrincipalOrgIDs[0])
		}
		adds = append(adds, fix.AWS("lambda", "add-permission", args...))
	}
	var lines []string
	if !copyable {
		// The commands cannot carry what the grant tests: the reader copies
		// its statement, conditions and all, onto the alias.
		lines = append(lines, "# the grant tests "+strings.Join(slices.Concat(g.OtherConditions, tested("aws:SourceAccount", g.SourceAccounts), tested("aws:PrincipalOrgID", g.PrincipalOrgIDs)), ", ")+
			", which add-permission cannot write: copy its statement, conditions and all, onto "+to+" by hand (Lambda's PutResourcePolicy); it reads:",
			in.showPolicy(t.qualifier))
		adds = nil
	}
	// Where every source can be pointed at the alias with a command, the
	// whole fix is one chain: the function's grant is removed only once the
	// alias's grant is in place and every source invokes the alias, so a
	// step that fails stops it before traffic is cut off. Where a source
	// must be changed by hand, the removal waits for the reader.
	var byHand []string
	chain := adds
	for _, st := range sourceSteps(g, from, to) {
		if st.command == "" {
			byHand = append(byHand, st.comment)
			continue
		}
		lines = append(lines, st.comment)
		chain = append(chain, st.command)
	}
	switch {
	case len(byHand) == 0 && copyable && g.Sid != "":
		lines = append(lines, strings.Join(append(chain, remove), " && \\\n  "))
	default:
		if len(chain) > 0 {
			lines = append(lines, strings.Join(chain, " && \\\n  "))
		}
		lines = append(lines, byHand...)
		lines = append(lines, "# once nothing invokes "+from+" any more:", remove)
	}
	return []outcome.Fix{
		{Choice: "grant the alias and point the source at it", Commands: strings.Join(lines, "\n")},
		{Choice: "remove the grant, if nothing uses it", Commands: remove},
	}
}

// tested names key when a grant tests it against more than one value.
func tested(key string, values []string) []string {
	if len(values) > 1 {
		return []string{key + " (" + strings.Join(values, ", ") + ")"}
	}
	return nil
}

// showPolicy is the command that prints the resource policy of the function
// (qualifier "") or of one of its versions.
func (in Input) showPolicy(qualifier string) string {
	args := []string{"--function-name", in.Function.Name}
	if qualifier != "" {
		args = append(args, "--qualifier", qualifier)
	}
	return fix.AWS("lambda", "get-policy", append(args, "--query", "Policy", "--output", "text")...)
}

// step is one change a source of a grant needs: what it is, and the
// command that makes it ("" when the reader must make it by hand).
type step struct{ comment, command string }

// sourceSteps are the change each source needs: that it invokes the alias,
// which is set in the source's service, not in Lambda.
func sourceSteps(g stage.Grant, from, to string) []step {
	var lines []step
	sources := g.SourceARNs
	if len(sources) == 0 {
		sources = []string{""}
	}
	for _, s := range g.Services {
		for _, a := range sources {
			res := ""
			if parts := strings.SplitN(a, ":", 6); len(parts) == 6 {
				res = parts[5]
			}
			switch {
			case s == "s3.amazonaws.com" && res != "":
				// The configuration comes back as JSON that put reads;
				// only the quoted ARN itself is replaced, not one that
				// goes on with a qualifier.
				lines = append(lines, step{"# S3 sends the bucket's events to the ARN in its notification configuration, which Lambda cannot change: point it at the alias",
					fix.And(
						fix.AWS("s3api", "get-bucket-notification-configuration", "--bucket", res)+" > notification.json",
						"sed "+fix.Quote(`s|"`+from+`"|"`+to+`"|g`)+" notification.json > notification-alias.json",
						fix.AWS("s3api", "put-bucket-notification-configuration", "--bucket", res, "--notification-configuration", "file://notification-alias.json"))})
			case s == "sns.amazonaws.com" && res != "":
				lines = append(lines, step{"# SNS delivers to the function's own subscription, which Lambda cannot change: subscribe the alias, then end the function's subscription",
					fix.And(
						fix.AWS("sns", "subscribe", "--topic-arn", a, "--protocol", "lambda", "--notification-endpoint", to),
						fix.Capture("subscription", fix.AWS("sns", "list-subscriptions-by-topic", "--topic-arn", a,
							"--query", "Subscriptions[?Endpoint=='"+from+"'].SubscriptionArn | [0]", "--output", "text")),
						fix.AWS("sns", "unsubscribe", "--subscription-arn", fix.Expand("$subscription")))})
			case s == "events.amazonaws.com" && strings.HasPrefix(res, "rule/"):
				args := []string{"--rule", strings.TrimPrefix(res, "rule/")}
				if b, r, ok := strings.Cut(args[1], "/"); ok {
					args = []string{"--rule", r, "--event-bus-name", b}
				}
				lines = append(lines, step{"# EventBridge invokes the rule's target, which Lambda cannot change: point the target at the alias",
					fix.And(
						fix.Capture("target", fix.AWS("events", "list-targets-by-rule", append(slices.Clone(args),
							"--query", "Targets[?Arn=='"+from+"'].Id | [0]", "--output", "text")...)),
						fix.AWS("events", "put-targets", append(slices.Clone(args), "--targets", fix.Expand("Id=$target,Arn="+to))...))})
			default:
				lines = append(lines, step{comment: fmt.Sprintf("# %s invokes the ARN it is configured with, which Lambda cannot change: configure it with %s instead of %s", s, to, from)})
			}
		}
	}
	if g.Everyone || len(g.Accounts) > 0 {
		lines = append(lines, step{comment: "# the callers choose the ARN they invoke: they must invoke " + to + " instead of " + from})
	}
	return lines
}

// statementID is the id of a new statement for alias: letters, digits, "-"
// and "_", at most 100
// (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
func statementID(base, alias string) string {
	id := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return r
		}
		return -1
	}, base+"-"+alias)
	return id[:min(len(id), 100)]
}
