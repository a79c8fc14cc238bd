package awsmodel

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The wire protocols, as botocore names them.
const (
	RESTJSON = "rest-json"
	JSON     = "json"
	Query    = "query"
	CBOR     = "smithy-rpc-v2-cbor"
)

// Judge holds the models of Services and judges requests and answers by
// them. It is safe for concurrent use.
type Judge struct {
	models   map[string]*Model
	ordered  []*Model
	byTarget map[string]*Model // X-Amz-Target prefix, also the RPCv2 service name
}

func (j *Judge) index() {
	j.byTarget = map[string]*Model{}
	for _, s := range Services {
		m := j.models[s.Name]
		j.ordered = append(j.ordered, m)
		if m.TargetPrefix != "" {
			j.byTarget[m.TargetPrefix] = m
		}
	}
}

// Model is the model of service (lambda, apigateway, apigatewayv2,
// cloudwatch, sts), or nil.
func (j *Judge) Model(service string) *Model { return j.models[service] }

// Call is a request the judge found the operation of.
type Call struct {
	Service   string // lambda
	Operation *Operation
	Protocol  string // RESTJSON, JSON, Query or CBOR
	model     *Model
}

// String is service.Operation, e.g. lambda.UpdateAlias.
func (c *Call) String() string { return c.Service + "." + c.Operation.Name }

// Problem is one way a request or an answer breaks the model.
type Problem struct {
	Operation string // lambda.UpdateAlias, or the service when no operation matched
	Side      string // "request" or "response"
	// Member is the path of the member at fault, such as
	// RoutingConfig.AdditionalVersionWeights["2"], or "" for the message as
	// a whole (its status, its error code, its operation).
	Member   string
	Location string // uri, querystring, header, body, status, target
	Message  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Operation + " " + p.Side)
	if p.Member != "" {
		b.WriteString(" member " + p.Member)
	}
	if p.Location != "" {
		b.WriteString(" (" + p.Location + ")")
	}
	b.WriteString(": " + p.Message)
	return b.String()
}

// Verdict is what the judge found of one request or answer.
type Verdict struct {
	// Call is the operation of the request; nil when it is not one of a
	// modeled service's (Skipped says why) or matches none (a Problem says
	// so).
	Call     *Call
	Problems []Problem
	// Unchecked names the patterns that could not be checked (see
	// Judge.Unchecked) for values the message carried.
	Unchecked []string
	// Skipped says why a request was not judged: its service has no model
	// here (IAM), or its framing is none of a modeled protocol's.
	Skipped string
}

// OK reports whether the judge found nothing wrong.
func (v Verdict) OK() bool { return len(v.Problems) == 0 }

// Request judges a request, whose body has been read into body.
func (j *Judge) Request(r *http.Request, body []byte) Verdict {
	body, err := decoded(r.Header, body)
	if err != nil {
		return Verdict{Skipped: err.Error()}
	}
	signing := signingName(r.Header.Get("Authorization"))

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, name := target, ""
		if i := strings.LastIndexByte(target, '.'); i >= 0 {
			prefix, name = target[:i], target[i+1:]
		}
		m := j.byTarget[prefix]
		if m == nil {
			return Verdict{Skipped: "X-Amz-Target " + target + " is of no modeled service"}
		}
		return j.judgeRPC(m, JSON, name, r, body)
	}
	if segs := splitSegments(r.URL.Path); len(segs) == 4 && segs[0] == "service" && segs[2] == "operation" {
		if m := j.byTarget[segs[1]]; m != nil {
			return j.judgeRPC(m, CBOR, segs[3], r, body)
		}
	}
	if form, ok := queryForm(r, body); ok {
		action := form.Get("Action")
		var cands []*Model
		for _, m := range j.ordered {
			if m.Speaks(Query) && (m.SigningName == signing || (signing == "" && m.Operations[action] != nil)) {
				cands = append(cands, m)
			}
		}
		if len(cands) != 1 {
			return Verdict{Skipped: "query protocol request (Action=" + action + ") of no modeled service"}
		}
		return j.judgeQuery(cands[0], action, form)
	}
	var cands []*Model
	for _, m := range j.ordered {
		if m.Speaks(RESTJSON) && (signing == "" || m.SigningName == signing) {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return Verdict{Skipped: "request signed for " + signing + ", which has no model here"}
	}
	query := r.URL.Query()
	for _, m := range cands {
		if op, labels := m.matchREST(r.Method, r.URL.EscapedPath(), query); op != nil {
			c := &Call{Service: m.Service, Operation: op, Protocol: RESTJSON, model: m}
			ck := newChecker(c, "request")
			ck.restRequest(op, labels, query, r.Header, body)
			return ck.verdict()
		}
	}
	names := make([]string, len(cands))
	for i, m := range cands {
		names[i] = m.Service
	}
	return Verdict{Problems: []Problem{{
		Operation: strings.Join(names, " or "), Side: "request", Location: "uri",
		Message: "no operation of the model is " + r.Method + " " + r.URL.EscapedPath() + queryString(r.URL.RawQuery),
	}}}
}

func queryString(raw string) string {
	if raw == "" {
		return ""
	}
	return "?" + raw
}

// judgeRPC judges an AWS JSON or RPCv2 CBOR request of operation name.
func (j *Judge) judgeRPC(m *Model, protocol, name string, r *http.Request, body []byte) Verdict {
	op := m.Operations[name]
	if op == nil {
		return Verdict{Problems: []Problem{{Operation: m.Service, Side: "request", Location: "target", Message: "the model has no operation " + name}}}
	}
	c := &Call{Service: m.Service, Operation: op, Protocol: protocol, model: m}
	ck := newChecker(c, "request")
	if !m.Speaks(protocol) {
		ck.add("", "target", "%s does not speak %s (it speaks %s)", m.Service, protocol, strings.Join(m.Protocols, ", "))
	}
	if r.Method != http.MethodPost {
		ck.add("", "method", "%s requests are POST, not %s", protocol, r.Method)
	}
	ck.document(op.Input, body, protocol == CBOR)
	return ck.verdict()
}

// judgeQuery judges a query protocol request.
func (j *Judge) judgeQuery(m *Model, action string, form url.Values) Verdict {
	op := m.Operations[action]
	if op == nil {
		return Verdict{Problems: []Problem{{Operation: m.Service, Side: "request", Location: "body", Message: "the model has no operation " + action + " (Action)"}}}
	}
	c := &Call{Service: m.Service, Operation: op, Protocol: Query, model: m}
	ck := newChecker(c, "request")
	if v := form.Get("Version"); v != m.APIVersion {
		ck.add("Version", "body", "the API version is %q, not %q", m.APIVersion, v)
	}
	used := map[string]bool{"Action": true, "Version": true}
	if op.Input != nil {
		ck.queryStruct(op.Input, "", "", form, used)
	}
	for _, k := range sortedKeys(form) {
		if !used[k] {
			ck.add(k, "body", "is not a parameter of %s", shapeName(op.Input))
		}
	}
	return ck.verdict()
}

// Response judges the answer to call c.
func (j *Judge) Response(c *Call, status int, h http.Header, body []byte) Verdict {
	ck := newChecker(c, "response")
	body, err := decoded(h, body)
	if err != nil {
		ck.add("", "body", "%v", err)
		return ck.verdict()
	}
	if status/100 == 2 {
		ck.success(status, h, body)
	} else {
		ck.failure(status, h, body)
	}
	return ck.verdict()
}

// decoded is body without the Content-Encoding gzip that compressed it.
func decoded(h http.Header, body []byte) ([]byte, error) {
	if !strings.EqualFold(h.Get("Content-Encoding"), "gzip") {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("a body with Content-Encoding gzip that is not gzip: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("a body with Content-Encoding gzip that is not gzip: %w", err)
	}
	return out, nil
}

// queryForm is the parameters of a query protocol request: a form posted in
// the body, or the query of a GET, with an Action.
func queryForm(r *http.Request, body []byte) (url.Values, bool) {
	var form url.Values
	switch r.Method {
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return nil, false
		}
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, false
		}
		form = f
	case http.MethodGet:
		form = r.URL.Query()
	default:
		return nil, false
	}
	return form, form.Get("Action") != ""
}

// signingName is the service of a SigV4 Authorization header's credential
// scope, "" when the request is not signed.
func signingName(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[len(parts)-2]
}

func shapeName(s *Shape) string {
	if s == nil {
		return "the operation's input"
	}
	return s.Name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
