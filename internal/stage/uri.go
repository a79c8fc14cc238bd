package stage

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
)

// variablePrefix starts a stage variable reference, ${stageVariables.NAME}.
// A name is letters, digits and underscores.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/aws-api-gateway-stage-variables-reference.html
const variablePrefix = "${stageVariables."

func variableRef(variable string) string { return variablePrefix + variable + "}" }

func variableNameChar(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// origin says where one byte of a substituted URI came from: the URI as
// written (variable "") or the value of a stage variable, at offset.
type origin struct {
	variable string
	missing  bool // the stage does not set the variable; the reference is kept as written
	offset   int  // in the variable's value, or in the URI for written bytes
}

// substituted is a URI with the stage's variables put in, as API Gateway
// does when it calls the integration: every ${stageVariables.NAME} is
// replaced by the value of NAME. A reference to a variable the stage does
// not set stays as written, and is listed in missing.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/stage-variables.html
type substituted struct {
	text    string
	origins []origin // one per byte of text
	missing []string // variables referenced but not set, in order, once each
	vars    []string // variables referenced, in order, once each
}

func substitute(uri string, vars map[string]string) substituted {
	var (
		b strings.Builder
		s substituted
	)
	add := func(text string, o origin) {
		for i := range len(text) {
			b.WriteByte(text[i])
			oo := o
			oo.offset += i
			s.origins = append(s.origins, oo)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < len(uri); {
		j := strings.Index(uri[i:], variablePrefix)
		if j < 0 {
			add(uri[i:], origin{offset: i})
			break
		}
		add(uri[i:i+j], origin{offset: i})
		start := i + j
		k := start + len(variablePrefix)
		for k < len(uri) && variableNameChar(uri[k]) {
			k++
		}
		name := uri[start+len(variablePrefix) : k]
		if name == "" || k >= len(uri) || uri[k] != '}' {
			// Not a reference: keep "${" as written and go on after it.
			add(uri[start:start+2], origin{offset: start})
			i = start + 2
			continue
		}
		if !seen[name] {
			seen[name] = true
			s.vars = append(s.vars, name)
		}
		if v, ok := vars[name]; ok {
			add(v, origin{variable: name})
		} else {
			if !slices.Contains(s.missing, name) {
				s.missing = append(s.missing, name)
			}
			ref := uri[start : k+1]
			for n := range len(ref) {
				b.WriteByte(ref[n])
				s.origins = append(s.origins, origin{variable: name, missing: true, offset: -1})
			}
		}
		i = k + 1
	}
	s.text = b.String()
	return s
}

// functionRef is the Lambda function a (substituted) integration or
// authorizer URI calls.
type functionRef struct {
	fn         lambdaarn.Function
	qualifier  string // "" when unqualified
	start, end int    // where the function ARN sits in the URI
	qstart     int    // where the qualifier starts (end when unqualified)
}

// parseFunctionURI finds the Lambda function a URI calls. It takes the form
// of REST API integrations and authorizers,
// arn:PARTITION:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations,
// which HTTP APIs accept too, and the HTTP API form, the bare function ARN
// (optionally qualified). ok is false for URIs that call no Lambda function.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
// and https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
func parseFunctionURI(uri string) (functionRef, bool) {
	a, err := arn.Parse(uri)
	if err != nil {
		return functionRef{}, false
	}
	start, end := 0, len(uri)
	switch {
	case a.Service == "lambda":
	case a.Service == "apigateway" && a.AccountID == "lambda":
		// arn.Parse keeps the resource, the sixth part, whole.
		res := a.Resource
		base := len(uri) - len(res)
		const fns, inv = "/functions/", "/invocations"
		if !strings.HasPrefix(res, "path/") {
			return functionRef{}, false
		}
		i := strings.Index(res, fns)
		k := strings.LastIndex(res, inv)
		if i < 0 || k < i+len(fns) || k+len(inv) != len(res) {
			return functionRef{}, false
		}
		start, end = base+i+len(fns), base+k
	default:
		return functionRef{}, false
	}
	fn, qualifier, err := lambdaarn.Parse(uri[start:end])
	if err != nil {
		return functionRef{}, false
	}
	ref := functionRef{fn: fn, qualifier: qualifier, start: start, end: end, qstart: end}
	if qualifier != "" {
		ref.qstart = end - len(qualifier)
	}
	return ref, true
}

// resolved is what an integration or authorizer URI calls once the stage's
// variables are put in.
type resolved struct {
	ref functionRef
	ok  bool // the URI calls a Lambda function
	sub substituted

	// qualifierVar is the stage variable the qualifier comes from, "" when
	// it is written in the URI; qspan is where the qualifier sits in that
	// variable's value (valid when whole is true: the qualifier comes from
	// that one variable alone).
	qualifierVar string
	qspan        [2]int
	whole        bool
	// nameVar is a stage variable the function's name comes from, "" when
	// the name is written in the URI.
	nameVar string
}

func resolve(uri string, vars map[string]string) resolved {
	r := resolved{sub: substitute(uri, vars)}
	r.ref, r.ok = parseFunctionURI(r.sub.text)
	if !r.ok {
		return r
	}
	if q := r.ref.qualifier; q != "" {
		qo := r.sub.origins[r.ref.qstart:r.ref.end]
		for _, o := range qo {
			if o.variable != "" {
				r.qualifierVar = o.variable
				break
			}
		}
		if r.qualifierVar != "" {
			// Whole: one run of one reference, so that the fix can replace
			// that run of the variable's value.
			r.whole = true
			for k, o := range qo {
				if o.variable != r.qualifierVar || o.missing || o.offset != qo[0].offset+k {
					r.whole = false
					break
				}
			}
			if r.whole {
				r.qspan = [2]int{qo[0].offset, qo[len(qo)-1].offset + 1}
			}
		}
	}
	nameEnd := r.ref.qstart
	if r.ref.qualifier != "" {
		nameEnd-- // the colon before the qualifier
	}
	nameStart := nameEnd - len(r.ref.fn.Name)
	for _, o := range r.sub.origins[nameStart:nameEnd] {
		if o.variable != "" {
			r.nameVar = o.variable
			break
		}
	}
	return r
}

// missingQualifier reports whether the qualifier is a reference to a variable
// the stage does not set.
func (r resolved) missingQualifier() bool {
	if r.ref.qualifier == "" {
		return false
	}
	for _, o := range r.sub.origins[r.ref.qstart:r.ref.end] {
		if o.missing {
			return true
		}
	}
	return false
}
