package faultproxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What calls a function, as Lambda keeps it and moto does not (see
// Realism.PolicyPerQualifier, MappingQualifiers and URLPerQualifier):
//
//   - Lambda keeps a resource policy per function, version and alias, and
//     GetPolicy answers the one asked for: "Returns the resource-based IAM
//     policy for a function, version, or alias"
//     (https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html);
//     a grant on an alias is valid only for the alias ARN
//     (https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html).
//     moto keeps one policy per function and answers every statement,
//     whatever the Qualifier.
//   - An event source mapping made on an alias invokes the alias, so that
//     "you don't need to update the mapping when the function version
//     changes" (https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html);
//     its FunctionArn is the alias ARN. moto resolves the alias once and
//     keeps the ARN of the version it pointed to.
//   - A function URL belongs to $LATEST or to one alias, each with its own
//     address (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunctionUrlConfig.html,
//     Qualifier "The alias name"). moto keeps one URL per function and
//     ignores the Qualifier.
//
// The proxy keeps what moto cannot: the alias ARN of each mapping made or
// pointed at an alias through it, and the URLs of aliases. A mapping or an
// alias URL made on moto directly is not known to it.

// urlConfig is a function URL of an alias as the proxy keeps it.
type urlConfig struct {
	FunctionURL      string          `json:"FunctionUrl"`
	FunctionARN      string          `json:"FunctionArn"`
	AuthType         string          `json:"AuthType"`
	Cors             json.RawMessage `json:"Cors,omitempty"`
	InvokeMode       string          `json:"InvokeMode"`
	CreationTime     string          `json:"CreationTime"`
	LastModifiedTime string          `json:"LastModifiedTime,omitempty"`
}

// localAnswer is an answer the realism layer gives in place of moto's.
type localAnswer struct {
	name   string // Record.Realism
	status int
	body   []byte   // a JSON body, or nil for none
	err    apiError // when status is 0: the error to answer with
}

const notFoundMessage = "The resource you requested does not exist."

// realismLocal answers, without moto, the requests whose answer moto cannot
// give right: GetPolicy of a qualifier, RemovePermission of a statement of
// another qualifier's policy, and function URLs of aliases. It
// asks moto what it needs without the proxy's lock, and returns nil to pass
// the request on.
func (p *Proxy) realismLocal(r *http.Request, op Op, body []byte) *localAnswer {
	if op.Service != "lambda" {
		return nil
	}
	p.mu.Lock()
	cfg := p.real.cfg
	p.mu.Unlock()
	switch {
	case op.Name == "GetPolicy" && cfg.PolicyPerQualifier:
		return p.policyOf(r)
	case op.Name == "RemovePermission" && cfg.PolicyPerQualifier:
		return p.removeOf(r)
	case cfg.URLPerQualifier && strings.HasSuffix(op.Name, "FunctionUrlConfig"):
		return p.aliasURL(r, op, body)
	case cfg.URLPerQualifier && op.Name == "ListFunctionUrlConfigs":
		return p.listFunctionURLs(r)
	}
	return nil
}

// policyOf answers GetPolicy with the statements of the qualifier asked
// for (none: the unqualified function's), as Lambda keeps them: those whose
// Resource is that ARN. No statement is no policy: 404
// ResourceNotFoundException.
func (p *Proxy) policyOf(r *http.Request) *localAnswer {
	fn, q := lambdaTarget(r)
	b, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/policy", "")
	if err != nil {
		// No policy at all, or no function: moto's own answer is Lambda's.
		return nil
	}
	var out struct {
		Policy     string
		RevisionID string `json:"RevisionId"`
	}
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal([]byte(out.Policy), &doc) != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(doc["Statement"], &stmts) != nil {
		return nil
	}
	var keep []map[string]json.RawMessage
	for _, s := range stmts {
		if statementOf(s, fn, q) {
			keep = append(keep, s)
			awsPrincipal(s)
			awsConditions(s)
		}
	}
	if len(keep) == 0 {
		return &localAnswer{name: "PolicyPerQualifier", err: apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: notFoundMessage}}
	}
	doc["Statement"] = mustJSON(keep)
	out.Policy = string(mustJSON(doc))
	return &localAnswer{name: "PolicyPerQualifier", status: http.StatusOK, body: mustJSON(out)}
}

// removeOf answers RemovePermission 404 ResourceNotFoundException when
// the statement is not in the policy of the qualifier asked for (none: the
// unqualified function's), as Lambda keeps a policy per function, version
// and alias: without a Qualifier "the API removes permission associated with
// the unqualified function ARN"
// (https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html),
// and a statement it lacks is ResourceNotFoundException. moto keeps one
// policy for them all and would remove the Sid from it whatever the
// qualifier.
// Otherwise it returns nil, and moto removes it.
func (p *Proxy) removeOf(r *http.Request) *localAnswer {
	fn, q := lambdaTarget(r)
	want := label(splitPath(r.URL.EscapedPath()), 4)
	stmts, ok := p.motoStatements(r, fn)
	if !ok || slices.ContainsFunc(stmts, func(s map[string]json.RawMessage) bool { return sid(s) == want && statementOf(s, fn, q) }) {
		// No policy at all, no function, or the statement is the
		// qualifier's: moto's answer is Lambda's.
		return nil
	}
	return &localAnswer{name: "PolicyPerQualifier", err: apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: statementNotFound(want)}}
}

// motoStatements are the statements of function fn's one policy in moto,
// every qualifier's; ok is false when moto answers none (no policy, or no
// function) or an answer this cannot read.
func (p *Proxy) motoStatements(r *http.Request, fn string) ([]map[string]json.RawMessage, bool) {
	b, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/policy", "")
	if err != nil {
		return nil, false
	}
	var out struct{ Policy string }
	var doc struct{ Statement []map[string]json.RawMessage }
	if json.Unmarshal(b, &out) != nil || json.Unmarshal([]byte(out.Policy), &doc) != nil {
		return nil, false
	}
	return doc.Statement, true
}

// statementNotFound is Lambda's message for a Sid the policy lacks.
func statementNotFound(sid string) string {
	return "Statement " + sid + " is not found in resource policy."
}

// awsPrincipal writes an account principal as Lambda answers it,
// {"AWS": "arn:aws:iam::ACCOUNT:root"}
// (https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html);
// moto keeps the bare account id AddPermission was given.
func awsPrincipal(stmt map[string]json.RawMessage) {
	var p string
	if json.Unmarshal(stmt["Principal"], &p) != nil || p == "*" {
		return
	}
	if len(p) == 12 && strings.Trim(p, "0123456789") == "" {
		p = "arn:aws:iam::" + p + ":root"
	}
	stmt["Principal"] = mustJSON(map[string]string{"AWS": p})
}

// awsConditions writes the conditions AddPermission's FunctionUrlAuthType
// and InvokedViaFunctionUrl make as Lambda answers them, in Condition:
// StringEquals lambda:FunctionUrlAuthType and Bool
// lambda:InvokedViaFunctionUrl
// (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html); moto keeps
// them as members of the statement, where IAM would not read them.
func awsConditions(stmt map[string]json.RawMessage) {
	var cond map[string]map[string]json.RawMessage
	if raw, ok := stmt["Condition"]; ok && json.Unmarshal(raw, &cond) != nil {
		return // not a condition this can add to
	}
	changed := false
	add := func(op, key, value string) {
		if cond == nil {
			cond = map[string]map[string]json.RawMessage{}
		}
		if cond[op] == nil {
			cond[op] = map[string]json.RawMessage{}
		}
		cond[op][key] = mustJSON(value)
		changed = true
	}
	var auth string
	if json.Unmarshal(stmt["FunctionUrlAuthType"], &auth) == nil && auth != "" {
		add("StringEquals", "lambda:FunctionUrlAuthType", auth)
		delete(stmt, "FunctionUrlAuthType")
	}
	var via bool
	if json.Unmarshal(stmt["InvokedViaFunctionUrl"], &via) == nil && via {
		add("Bool", "lambda:InvokedViaFunctionUrl", "true")
		delete(stmt, "InvokedViaFunctionUrl")
	}
	if changed {
		stmt["Condition"] = mustJSON(cond)
	}
}

// statementOf reports whether policy statement s belongs to the policy of
// function fn's qualifier q ("" for the unqualified function): whether its
// Resource is that ARN, as Lambda keeps a policy per function, version and
// alias.
func statementOf(s map[string]json.RawMessage, fn, q string) bool {
	var res string
	_ = json.Unmarshal(s["Resource"], &res)
	name, qualifier := qualifiedName(res)
	return name == fn && qualifier == q
}

// qualifiedName is the function name and qualifier of a function ARN,
// partial ARN or NAME[:QUALIFIER].
func qualifiedName(s string) (name, qualifier string) {
	if i := strings.Index(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

// aliasURL answers the function URL operations on an alias from the
// proxy's own record; those on the function ($LATEST) go on to moto, which
// keeps its one URL right for them.
func (p *Proxy) aliasURL(r *http.Request, op Op, body []byte) *localAnswer {
	fn, q := lambdaTarget(r)
	if q == "" || q == "$LATEST" {
		return nil
	}
	const name = "URLPerQualifier"
	// The alias must exist: Lambda answers 404 for an alias it does not
	// have.
	ab, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/aliases/"+url.PathEscape(q), "")
	if err != nil {
		return &localAnswer{name: name, err: apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: "Function not found: " + functionARN(r) + ":" + q}}
	}
	aliasARN := jsonString(ab, "AliasArn")
	key := fn + ":" + q
	notFound := &localAnswer{name: name, err: apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: notFoundMessage}}

	var in struct {
		AuthType   string
		Cors       json.RawMessage
		InvokeMode string
	}
	_ = json.Unmarshal(body, &in)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000+0000")

	p.mu.Lock()
	defer p.mu.Unlock()
	urls := p.real.urls
	cur := urls[key]
	switch op.Name {
	case "GetFunctionUrlConfig":
		if cur == nil {
			return notFound
		}
		return &localAnswer{name: name, status: http.StatusOK, body: mustJSON(cur)}
	case "CreateFunctionUrlConfig":
		if cur != nil {
			return &localAnswer{name: name, err: apiError{status: http.StatusConflict, code: "ResourceConflictException", message: "Failed to create function url config for [functionArn = " + aliasARN + "]. Error message:  FunctionUrlConfig exists for this Lambda function"}}
		}
		mode := in.InvokeMode
		if mode == "" {
			mode = "BUFFERED"
		}
		region := credentialScope(r.Header.Get("Authorization")).region
		if region == "" {
			region = "us-east-1"
		}
		c := &urlConfig{FunctionURL: "https://" + urlID() + ".lambda-url." + region + ".on.aws/", FunctionARN: aliasARN,
			AuthType: in.AuthType, Cors: in.Cors, InvokeMode: mode, CreationTime: now, LastModifiedTime: now}
		urls[key] = c
		// CreateFunctionUrlConfig answers all but LastModifiedTime
		// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunctionUrlConfig.html#API_CreateFunctionUrlConfig_ResponseSyntax).
		created := *c
		created.LastModifiedTime = ""
		return &localAnswer{name: name, status: http.StatusCreated, body: mustJSON(created)}
	case "UpdateFunctionUrlConfig":
		if cur == nil {
			return notFound
		}
		if in.AuthType != "" {
			cur.AuthType = in.AuthType
		}
		if len(in.Cors) > 0 {
			cur.Cors = in.Cors
		}
		if in.InvokeMode != "" {
			cur.InvokeMode = in.InvokeMode
		}
		cur.LastModifiedTime = now
		return &localAnswer{name: name, status: http.StatusOK, body: mustJSON(cur)}
	case "DeleteFunctionUrlConfig":
		if cur == nil {
			return notFound
		}
		delete(urls, key)
		return &localAnswer{name: name, status: http.StatusNoContent}
	}
	return nil
}

// listFunctionURLs answers ListFunctionUrlConfigs, which moto does not
// implement: the function's URL ($LATEST's, moto's) and those of its
// aliases (the proxy's), ordered by ARN, MaxItems (at most 50) to a page
// (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctionUrlConfigs.html).
func (p *Proxy) listFunctionURLs(r *http.Request) *localAnswer {
	const name = "URLPerQualifier"
	fn, _ := lambdaTarget(r)
	if _, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/configuration", ""); err != nil {
		return &localAnswer{name: name, err: apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: "Function not found: " + functionARN(r)}}
	}
	var list []urlConfig
	if b, err := p.motoGet(r, "/2021-10-31/functions/"+url.PathEscape(fn)+"/url", ""); err == nil {
		var c urlConfig
		if json.Unmarshal(b, &c) == nil {
			// moto's shape: InvokeMode "Buffered", Cors null.
			if c.InvokeMode == "Buffered" {
				c.InvokeMode = "BUFFERED"
			}
			if string(c.Cors) == "null" {
				c.Cors = nil
			}
			list = append(list, c)
		}
	}
	p.mu.Lock()
	for key, c := range p.real.urls {
		if strings.HasPrefix(key, fn+":") {
			list = append(list, *c)
		}
	}
	p.mu.Unlock()
	slices.SortFunc(list, func(a, b urlConfig) int { return strings.Compare(a.FunctionARN, b.FunctionARN) })
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("Marker"))
	start = min(max(start, 0), len(list))
	size := 50
	if n, err := strconv.Atoi(q.Get("MaxItems")); err == nil && n > 0 {
		size = min(n, size)
	}
	end := min(start+size, len(list))
	out := map[string]any{"FunctionUrlConfigs": append([]urlConfig{}, list[start:end]...)}
	if end < len(list) {
		out["NextMarker"] = strconv.Itoa(end)
	}
	return &localAnswer{name: name, status: http.StatusOK, body: mustJSON(out)}
}

// urlID is the random part of a function URL's address: 32 lowercase
// letters and digits.
func urlID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeLocal writes a local answer that is not an error.
func writeLocal(w http.ResponseWriter, a *localAnswer, requestID string) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID)
	if a.body != nil {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// mappingARNs rewrites the FunctionArn of event source mappings to the
// alias ARN they were made or pointed at through the proxy, and records it
// from Create and Update.
func (rl *realism) mappingARNs(op Op, reqBody, respBody []byte) ([]byte, string) {
	const name = "FunctionArn=alias"
	switch op.Name {
	case "CreateEventSourceMapping", "UpdateEventSourceMapping":
		uuid := jsonString(respBody, "UUID")
		var in struct{ FunctionName string }
		if json.Unmarshal(reqBody, &in) != nil || in.FunctionName == "" || uuid == "" {
			break
		}
		_, q := qualifiedName(in.FunctionName)
		if q == "" || q == "$LATEST" || strings.Trim(q, "0123456789") == "" {
			// moto's ARN is right for the function and for a version.
			delete(rl.mappings, uuid)
			break
		}
		base, _, _ := strings.Cut(jsonString(respBody, "FunctionArn"), ":function:")
		fnName, _ := qualifiedName(jsonString(respBody, "FunctionArn"))
		rl.mappings[uuid] = base + ":function:" + fnName + ":" + q
	case "DeleteEventSourceMapping":
		defer delete(rl.mappings, jsonString(respBody, "UUID"))
	}
	if len(rl.mappings) == 0 {
		return respBody, ""
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(respBody, &top) != nil {
		return respBody, ""
	}
	changed := false
	fix := func(m map[string]json.RawMessage) {
		var uuid string
		_ = json.Unmarshal(m["UUID"], &uuid)
		if arn, ok := rl.mappings[uuid]; ok {
			m["FunctionArn"] = mustJSON(arn)
			changed = true
		}
	}
	if list, ok := top["EventSourceMappings"]; ok {
		var ms []map[string]json.RawMessage
		if json.Unmarshal(list, &ms) != nil {
			return respBody, ""
		}
		for _, m := range ms {
			fix(m)
		}
		top["EventSourceMappings"] = mustJSON(ms)
	} else {
		fix(top)
	}
	if !changed {
		return respBody, ""
	}
	return mustJSON(top), name
}
