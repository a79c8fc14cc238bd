package stage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// This file judges a Lambda resource policy the way IAM evaluates it for one
// call API Gateway makes: principal apigateway.amazonaws.com, action
// lambda:InvokeFunction, resource the alias ARN, and the request context
// keys aws:SourceArn (the execute-api ARN of the route or authorizer) and
// aws:SourceAccount. A route's source ARN is a pattern (an ANY method and
// path parameters stand for any value), so a statement's conditions are
// judged for all the ARNs the route can send: they hold for all of them,
// for none, or maybe (for some, or the check cannot tell).
//
// IAM's rules followed here:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html (an explicit Deny wins)
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html (keys AND, values OR)
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html (set operators on a single-valued key)

// verdict is whether a condition holds for every call of a route.
type verdict int8

const (
	never  verdict = iota // holds for no call
	maybe                 // holds for some calls, or the check cannot tell
	always                // holds for every call
)

func (v verdict) not() verdict { return always - v }

// request is what API Gateway's call to Lambda carries that a resource
// policy can test.
type request struct {
	sourceARN     string // pattern: wildcard stands for any text
	sourceAccount string // the account of the API, which is the function's
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

// principal is "*" or a map of principal kinds to names. Another plain
// string, which IAM's grammar does not allow but moto stores for an
// account, is kept in plain.
type principal struct {
	everyone bool
	plain    string
	kinds    map[string]stringList
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		p.everyone = one == "*"
		if !p.everyone {
			p.plain = one
		}
		return nil
	}
	return json.Unmarshal(b, &p.kinds)
}

// principalAllows reports whether the statement names API Gateway's service
// principal, or everyone.
// See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
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

// actionAllows reports whether the statement's actions cover
// lambda:InvokeFunction; action names are case-insensitive.
func (s statement) actionAllows() bool {
	for _, a := range s.Action {
		if glob(strings.ToLower(a), "lambda:invokefunction") {
			return true
		}
	}
	return false
}

// resourceMatches reports whether the statement is on arn. A statement on
// the function or on another alias does not count, whatever Qualifier the
// policy was read with (moto returns every statement of the function).
func (s statement) resourceMatches(arn string) bool {
	for _, r := range s.Resource {
		if r == "*" || arnLike(r, arn) {
			return true
		}
	}
	return false
}

// condition judges the statement's conditions for the calls of one route:
// every operator must hold (AND), and within one, every key (AND), with any
// of a key's values (OR). why names the first condition that does not
// always hold.
func (s statement) condition(req request) (v verdict, why string) {
	v = always
	for op, keys := range s.Condition {
		for key, values := range keys {
			kv := judgeCondition(op, key, values, req)
			if kv < v {
				v = kv
				why = fmt.Sprintf("%s %s %s", op, key, strings.Join(values, ", "))
			}
		}
	}
	return v, why
}

// judgeCondition judges one key of one condition operator.
func judgeCondition(op, key string, values []string, req request) verdict {
	var (
		value   string
		pattern bool // value is a pattern with wildcards
	)
	switch {
	case strings.EqualFold(key, "aws:SourceArn"):
		value, pattern = req.sourceARN, true
	case strings.EqualFold(key, "aws:SourceAccount"):
		value = req.sourceAccount
	default:
		// A key this check does not know may or may not be in the request.
		return maybe
	}

	// Both keys are single-valued and present in API Gateway's call: the
	// set operators ForAnyValue and ForAllValues test the one value, and
	// …IfExists tests it as the operator without the suffix.
	base := op
	for _, prefix := range []string{"ForAnyValue:", "ForAllValues:"} {
		if len(base) > len(prefix) && strings.EqualFold(base[:len(prefix)], prefix) {
			base = base[len(prefix):]
		}
	}
	if strings.HasSuffix(strings.ToLower(base), "ifexists") {
		base = base[:len(base)-len("IfExists")]
	}
	if strings.EqualFold(base, "Null") {
		// Null: "true" asks for the key to be absent, "false" present.
		v := never
		for _, x := range values {
			if strings.EqualFold(x, "false") {
				v = always
			}
		}
		return v
	}

	var (
		match   func(want string) verdict
		negated bool
	)
	switch strings.ToLower(base) {
	case "stringequals", "stringnotequals":
		match = func(want string) verdict { return equalsPattern(want, value, pattern, false) }
	case "stringequalsignorecase", "stringnotequalsignorecase":
		match = func(want string) verdict { return equalsPattern(want, value, pattern, true) }
	case "stringlike", "stringnotlike":
		match = func(want string) verdict { return likePattern(want, value) }
	case "arnequals", "arnlike", "arnnotequals", "arnnotlike":
		// ArnEquals and ArnLike behave the same: each of the six
		// colon-separated parts is matched on its own, with * and ?.
		match = func(want string) verdict { return arnLikePattern(want, value) }
	default:
		// Numeric, date, Boolean, IP and binary operators do not apply to
		// these string keys; IAM would not match them.
		return maybe
	}
	switch strings.ToLower(base) {
	case "stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike":
		negated = true
	}
	v := never
	for _, want := range values {
		v = max(v, match(want))
	}
	if negated {
		// A negated operator holds when none of the values match.
		return v.not()
	}
	return v
}

// equalsPattern judges StringEquals: want is literal (a "*" in it is a
// star, not a wildcard). Against a pattern, it holds always only when the
// pattern has no wildcard and is want; maybe when want is one of the
// pattern's strings.
func equalsPattern(want, value string, pattern, fold bool) verdict {
	if fold {
		want, value = strings.ToLower(want), strings.ToLower(value)
	}
	if !pattern || !strings.ContainsRune(value, wildcard) {
		if want == value {
			return always
		}
		return never
	}
	if intersects(want, value, true) {
		return maybe
	}
	return never
}

// likePattern judges StringLike: want is a glob over the whole string.
func likePattern(want, value string) verdict {
	switch {
	case covers(want, value):
		return always
	case intersects(want, value, false):
		return maybe
	}
	return never
}

// arnLikePattern judges ArnLike and ArnEquals.
func arnLikePattern(want, value string) verdict {
	if want == "*" {
		return always
	}
	w, v := arnParts(want), arnParts(value)
	if w == nil || v == nil {
		return never
	}
	res := always
	for i := range w {
		res = min(res, likePattern(w[i], v[i]))
	}
	return res
}

// arnParts splits an ARN into its six parts; the last (the resource) keeps
// its colons. nil when it has fewer.
func arnParts(s string) []string {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 {
		return nil
	}
	return p
}

// arnLike matches a concrete ARN against an ARN pattern part by part.
func arnLike(pattern, arn string) bool { return arnLikePattern(pattern, arn) == always }

// glob reports whether s (no wildcards) matches pattern, where * matches any
// run of characters (also none) and ? any one character.
func glob(pattern, s string) bool { return covers(pattern, s) }

// covers reports whether every string of the pattern value (in which each
// wildcard byte stands for any text) matches the glob. A wildcard of value
// can be matched only by a * of the glob. This is exact for globs without ?,
// and errs towards "does not cover" with them.
func covers(glob, value string) bool { return match(glob, value, false, true) }

// intersects reports whether some string of the pattern value matches the
// glob; with literal, the glob's * and ? are plain characters.
func intersects(glob, value string, literal bool) bool { return match(glob, value, literal, false) }

// match walks glob against value over states (i, j), positions in each.
// With all, value's wildcards must be matched by a * of the glob (every
// string of value matches); without, a wildcard may produce whatever the
// glob wants (some string of value matches).
func match(glob, value string, literal, all bool) bool {
	n, m := len(glob), len(value)
	seen := make([]bool, (n+1)*(m+1))
	var stack [][2]int
	step := func(i, j int) {
		if seen[i*(m+1)+j] {
			return
		}
		seen[i*(m+1)+j] = true
		stack = append(stack, [2]int{i, j})
	}
	step(0, 0)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := s[0], s[1]
		if i == n && j == m {
			return true
		}
		star := i < n && !literal && glob[i] == '*'
		if star {
			step(i+1, j) // * matches nothing more
			if j < m {
				step(i, j+1) // * takes the next byte, or all a wildcard stands for
			}
			continue
		}
		if j < m && value[j] == wildcard {
			if !all {
				step(i, j+1) // the wildcard produces nothing more
				if i < n {
					step(i+1, j) // the wildcard produces the byte the glob wants
				}
			}
			continue
		}
		if i < n && j < m && (glob[i] == value[j] || !literal && glob[i] == '?') {
			step(i+1, j+1)
		}
	}
	return false
}
