package stage

import (
	"slices"
	"strings"
)

// Grant is one Allow statement of a Lambda resource policy that lets some
// principal invoke the function (its actions cover lambda:InvokeFunction),
// as Grants reads it for the paths into the function.
type Grant struct {
	Sid       string
	Resources []string // the ARNs it is on: the function, a version, an alias
	// Everyone is true for Principal "*" (or AWS "*").
	Everyone bool
	// Services are the service principals it names, e.g.
	// "s3.amazonaws.com"; Accounts the AWS principals (account ids or
	// ARNs).
	Services, Accounts []string
	// SourceARNs, SourceAccounts and PrincipalOrgIDs are the values its
	// conditions require aws:SourceArn, aws:SourceAccount and
	// aws:PrincipalOrgID to match (with ArnLike, ArnEquals, StringLike or
	// StringEquals, the operators AddPermission writes them with).
	SourceARNs, SourceAccounts, PrincipalOrgIDs []string
	// OtherConditions names the condition keys it tests besides those, or
	// tests those with another operator (a negation, say).
	OtherConditions []string
}

// Grants reads the Allow statements of a resource policy (the JSON GetPolicy
// returns) that grant lambda:InvokeFunction; "" has none. A statement that
// grants only lambda:InvokeFunctionUrl belongs to a function URL, which is
// read on its own.
func Grants(policyJSON string) ([]Grant, error) {
	if strings.TrimSpace(policyJSON) == "" {
		return nil, nil
	}
	stmts, err := parsePolicy(policyJSON)
	if err != nil {
		return nil, err
	}
	var out []Grant
	for _, s := range stmts {
		if !strings.EqualFold(s.Effect, "Allow") || !s.actionAllows() {
			continue
		}
		g := Grant{Sid: s.Sid, Resources: slices.Clone(s.Resource), Everyone: s.Principal.everyone}
		if s.Principal.plain != "" {
			g.Accounts = append(g.Accounts, s.Principal.plain)
		}
		for kind, names := range s.Principal.kinds {
			for _, n := range names {
				switch {
				case strings.EqualFold(kind, "Service"):
					g.Services = append(g.Services, n)
				case strings.EqualFold(kind, "AWS") && n == "*":
					g.Everyone = true
				case strings.EqualFold(kind, "AWS"):
					g.Accounts = append(g.Accounts, n)
				}
			}
		}
		for op, keys := range s.Condition {
			matches := slices.ContainsFunc([]string{"ArnLike", "ArnEquals", "StringLike", "StringEquals"}, func(o string) bool { return strings.EqualFold(o, op) })
			for key, values := range keys {
				switch {
				case matches && strings.EqualFold(key, "aws:SourceArn"):
					g.SourceARNs = append(g.SourceARNs, values...)
				case matches && strings.EqualFold(key, "aws:SourceAccount"):
					g.SourceAccounts = append(g.SourceAccounts, values...)
				case matches && strings.EqualFold(key, "aws:PrincipalOrgID"):
					g.PrincipalOrgIDs = append(g.PrincipalOrgIDs, values...)
				default:
					g.OtherConditions = append(g.OtherConditions, key)
				}
			}
		}
		for _, l := range []*[]string{&g.Services, &g.Accounts, &g.SourceARNs, &g.SourceAccounts, &g.PrincipalOrgIDs, &g.OtherConditions} {
			slices.Sort(*l)
			*l = slices.Compact(*l)
		}
		out = append(out, g)
	}
	return out, nil
}
