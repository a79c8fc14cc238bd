package stage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// CheckPermissionName is the name of the permission check.
const CheckPermissionName = outcome.CheckAliasPermission

const apiGatewayService = "apigateway.amazonaws.com"

// Policies is the part of the Lambda client CheckPermission calls.
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

type aliasARN struct {
	fn    function
	alias string
}

func parseAliasARN(s string) (aliasARN, error) {
	fn, err := parseFunctionARN(s)
	parts := strings.Split(s, ":")
	if err != nil || len(parts) != 8 || parts[7] == "" {
		return aliasARN{}, fmt.Errorf("%q is not a lambda alias ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS)", s)
	}
	return aliasARN{fn: fn, alias: parts[7]}, nil
}

// PermissionCheck judges a Lambda resource policy (the JSON GetPolicy
// returns; "" for none): does it let API Gateway invoke aliasARN for calls
// from the API whose source ARNs start with apiSourceARNPrefix
// (arn:aws:execute-api:REGION:ACCOUNT:APIID, optionally followed by
// /STAGE to demand the stage as well)?
//
// A statement allows when its Effect is Allow, its Action covers
// lambda:InvokeFunction, its Principal is the service
// apigateway.amazonaws.com (or everyone), its Resource is the alias ARN
// (statements on the function or on another alias do not count, whatever
// Qualifier the policy was read with), and its AWS:SourceArn condition, if
// any, can match a source ARN of the API (and an AWS:SourceAccount condition
// names the API's account). A Deny statement that matches the same way wins.
func PermissionCheck(policyJSON, aliasARN, apiSourceARNPrefix string) outcome.Check {
	c := outcome.Check{Name: CheckPermissionName}
	a, err := parseAliasARN(aliasARN)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	api := parseSourcePrefix(apiSourceARNPrefix)
	target := a.fn.name + ":" + a.alias
	c.Fix = fmt.Sprintf("aws lambda add-permission --function-name %s --qualifier %s --statement-id %s --action lambda:InvokeFunction --principal %s --source-arn %s",
		shellQuote(a.fn.name), shellQuote(a.alias), shellQuote("apigateway-"+api.id+"-"+a.alias), apiGatewayService,
		shellQuote(api.base+"/*/*/*"))

	if strings.TrimSpace(policyJSON) == "" {
		c.Detail = fmt.Sprintf("%s has no resource policy, so API Gateway may not invoke it", target)
		return c
	}
	stmts, err := parsePolicy(policyJSON)
	if err != nil {
		c.Detail = fmt.Sprintf("the resource policy of %s is not valid JSON: %v", target, err)
		return c
	}

	var allowedBy string
	var notes []string
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
				notes = append(notes, fmt.Sprintf("statement %s is for %s", sid, strings.Join(s.Resource, ", ")))
			}
			continue
		}
		if why := s.conditionBlocks(api); why != "" {
			if allow {
				notes = append(notes, fmt.Sprintf("statement %s %s", sid, why))
			}
			continue
		}
		if !allow {
			c.Detail = fmt.Sprintf("statement %s denies API Gateway invoking %s", sid, target)
			if s.Sid != "" {
				c.Fix = fmt.Sprintf("aws lambda remove-permission --function-name %s --qualifier %s --statement-id %s && %s",
					shellQuote(a.fn.name), shellQuote(a.alias), shellQuote(s.Sid), c.Fix)
			}
			return c
		}
		if allowedBy == "" {
			allowedBy = sid
		}
	}
	if allowedBy != "" {
		c.OK = true
		c.Fix = ""
		c.Detail = fmt.Sprintf("statement %s lets API Gateway invoke %s from API %s", allowedBy, target, api.id)
		return c
	}
	c.Detail = fmt.Sprintf("no statement of the resource policy lets API Gateway invoke %s from API %s", target, api.id)
	if len(notes) > 0 {
		if len(notes) > 3 {
			notes = append(notes[:3], fmt.Sprintf("%d more", len(notes)-3))
		}
		c.Detail += " (" + strings.Join(notes, "; ") + ")"
	}
	return c
}

// sourcePrefix is a parsed execute-api source ARN prefix.
type sourcePrefix struct {
	base    string // arn:aws:execute-api:REGION:ACCOUNT:APIID
	match   string // what a source ARN must start with: base + "/" (+ "STAGE/")
	id      string
	account string
}

func parseSourcePrefix(s string) sourcePrefix {
	p := sourcePrefix{base: s, match: s}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		p.base = s[:i]
	}
	if !strings.HasSuffix(p.match, "/") {
		p.match += "/"
	}
	parts := strings.Split(p.base, ":")
	if len(parts) == 6 {
		p.account = parts[4]
		p.id = parts[5]
	}
	return p
}

// statement is one statement of a resource policy, with the fields that may
// be a string or a list read as lists.
type statement struct {
	Sid       string
	Effect    string
	Action    stringList
	Principal principal
	Resource  stringList
	Condition map[string]map[string]stringList
}

type policy struct {
	Statement json.RawMessage
}

// parsePolicy reads the statements of a policy document; Statement may be
// one object or a list.
func parsePolicy(doc string) ([]statement, error) {
	var p policy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, err
	}
	raw := bytes.TrimSpace(p.Statement)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '{' {
		var s statement
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []statement{s}, nil
	}
	var ss []statement
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, err
	}
	return ss, nil
}

// stringList is a policy field that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// principal is "*" or a map of principal kinds to names.
type principal struct {
	everyone bool
	kinds    map[string]stringList
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		p.everyone = one == "*"
		return nil
	}
	return json.Unmarshal(b, &p.kinds)
}

func (s statement) principalAllows() bool {
	if s.Principal.everyone {
		return true
	}
	for kind, names := range s.Principal.kinds {
		for _, n := range names {
			switch {
			case strings.EqualFold(kind, "Service") && strings.EqualFold(n, apiGatewayService):
				return true
			case strings.EqualFold(kind, "AWS") && n == "*":
				return true
			}
		}
	}
	return false
}

func (s statement) actionAllows() bool {
	for _, a := range s.Action {
		if glob(strings.ToLower(a), "lambda:invokefunction") {
			return true
		}
	}
	return false
}

func (s statement) resourceMatches(arn string) bool {
	for _, r := range s.Resource {
		if glob(r, arn) {
			return true
		}
	}
	return false
}

// conditionBlocks says why the statement's conditions keep the API out, or
// "" when they let it in. Only the source ARN and source account conditions
// are judged; others are taken to hold.
func (s statement) conditionBlocks(api sourcePrefix) string {
	for op, keys := range s.Condition {
		for key, values := range keys {
			switch {
			case strings.EqualFold(key, "aws:SourceArn"):
				like := strings.EqualFold(op, "ArnLike") || strings.EqualFold(op, "ArnEquals") || strings.EqualFold(op, "StringLike")
				if !like && !strings.EqualFold(op, "StringEquals") {
					continue
				}
				ok := false
				for _, v := range values {
					if like && globPrefix(v, api.match) || !like && strings.HasPrefix(v, api.match) {
						ok = true
					}
				}
				if !ok {
					return "allows source " + strings.Join(values, ", ") + " only"
				}
			case strings.EqualFold(key, "aws:SourceAccount"):
				if !strings.EqualFold(op, "StringEquals") && !strings.EqualFold(op, "StringLike") {
					continue
				}
				ok := false
				for _, v := range values {
					if glob(v, api.account) {
						ok = true
					}
				}
				if !ok {
					return "allows source account " + strings.Join(values, ", ") + " only"
				}
			}
		}
	}
	return ""
}

// glob reports whether s matches pattern, where * matches any run of
// characters (also none) and ? any one character.
func glob(pattern, s string) bool {
	states := globStep(pattern, s)
	return states[len(pattern)]
}

// globPrefix reports whether some string that starts with prefix matches
// pattern.
func globPrefix(pattern, prefix string) bool {
	for _, alive := range globStep(pattern, prefix) {
		if alive {
			return true
		}
	}
	return false
}

// globStep runs pattern over s and returns, for each position of pattern
// (0…len(pattern)), whether the match can stand there after all of s.
func globStep(pattern, s string) []bool {
	cur := make([]bool, len(pattern)+1)
	next := make([]bool, len(pattern)+1)
	cur[0] = true
	closeStars(pattern, cur)
	for i := 0; i < len(s); i++ {
		clear(next)
		for p, alive := range cur {
			if !alive || p == len(pattern) {
				continue
			}
			switch pattern[p] {
			case '*':
				next[p] = true
			case '?':
				next[p+1] = true
			default:
				if pattern[p] == s[i] {
					next[p+1] = true
				}
			}
		}
		closeStars(pattern, next)
		cur, next = next, cur
	}
	return cur
}

// closeStars lets a * match nothing: a state on a star is also a state past it.
func closeStars(pattern string, states []bool) {
	for p := 0; p < len(pattern); p++ {
		if states[p] && pattern[p] == '*' {
			states[p+1] = true
		}
	}
}
