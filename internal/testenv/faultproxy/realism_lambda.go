package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Lambda's answers for a function that is not ready. The messages are
// Lambda's own, as its troubleshooting guide quotes them:
// https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-invocation-ResourceConflictException
const (
	pendingMessage    = "The operation cannot be performed at this time. The function is currently in the following state: Pending"
	inProgressMessage = "The operation cannot be performed at this time. An update is in progress for resource: "
)

// documentedUpdateBlocks are the operations that fail while an update is in
// progress, as "Function states during updates" lists them:
// https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
var documentedUpdateBlocks = []string{"UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion", "TagResource"}

// invokeOps are Lambda's data-plane operations: outside the control-plane
// quota, and refused for a Pending version.
var invokeOps = map[string]bool{"Invoke": true, "InvokeAsync": true, "InvokeWithResponseStream": true}

// lambdaTarget is the function a Lambda request names in its path (by name,
// ARN or partial ARN) and the qualifier it gives, in the name or in the
// Qualifier query parameter.
func lambdaTarget(r *http.Request) (fn, qualifier string) {
	segs := splitPath(r.URL.EscapedPath())
	if len(segs) < 3 || segs[1] != "functions" {
		return "", ""
	}
	name := label(segs, 2)
	if i := strings.Index(name, ":function:"); i >= 0 {
		// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] or
		// ACCOUNT:function:NAME[:QUALIFIER]
		name = name[i+len(":function:"):]
	}
	fn, qualifier, _ = strings.Cut(name, ":")
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	return fn, qualifier
}

// quota counts a Lambda request in its second and answers 429 when it is
// past its quota. The quotas are those of "Lambda API requests", each on
// its own: GetFunction 100 requests per second, GetPolicy 15, and 15
// across all the other control-plane APIs (not 15 per API), the
// invocations in none; a throttled request answers 429
// TooManyRequestsException with Reason CallerRateLimitExceeded. Each
// quota is per account and Region.
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests
// https://docs.aws.amazon.com/lambda/latest/api/API_TooManyRequestsException.html
func (rl *realism) quota(r *http.Request, op Op, now time.Time) *realAnswer {
	if invokeOps[op.Name] {
		return nil
	}
	auth := r.Header.Get("Authorization")
	key := secondKey{account: rl.accountOf(accessKeyID(auth)), region: credentialScope(auth).region, sec: now.Unix()}
	s := rl.seconds[key]
	if s == nil {
		s = &secondState{SecondCount: SecondCount{Start: time.Unix(key.sec, 0), Account: key.account, Region: key.region}}
		rl.seconds[key] = s
	}
	var group, limit int
	switch op.Name {
	case "GetFunction":
		s.GetFunction++
		group, limit = 1, rl.cfg.GetFunctionRate
	case "GetPolicy":
		s.GetPolicy++
		group, limit = 2, rl.cfg.GetPolicyRate
	default:
		s.ControlPlane++
		group, limit = 0, rl.cfg.ControlPlaneRate
	}
	if limit <= 0 || s.accepted[group] < limit {
		s.accepted[group]++
		return nil
	}
	s.Throttled++
	rl.stats.Throttled++
	return &realAnswer{name: "QuotaExceeded", err: apiError{
		status: http.StatusTooManyRequests, code: "TooManyRequestsException", message: "Rate exceeded", reason: "CallerRateLimitExceeded",
	}}
}

// secondKey is one second of one account's Region.
type secondKey struct {
	account, region string
	sec             int64
}

// accountOf is the account whose quotas a request signed with access key
// id counts against: the role's, for credentials STS issued through the
// proxy for a role, as moto picks it; "" for any other key, moto's
// default account.
func (rl *realism) accountOf(id string) string {
	for _, is := range rl.stats.Issued {
		if is.AccessKeyID != id {
			continue
		}
		if a, err := arn.Parse(is.RoleARN); err == nil {
			return a.AccountID
		}
	}
	return ""
}

// secondState is a SecondCount with the requests each quota group let
// through: ControlPlane, GetFunction, GetPolicy.
type secondState struct {
	SecondCount
	accepted [3]int
}

// updateConflict answers 409 ResourceConflictException "An update is in
// progress" to a call ConflictNext picked, and to an operation that fails
// while its function's update is in progress: "While an update is in
// progress (when LastUpdateStatus is InProgress) ... the following
// operations fail".
// https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
func (rl *realism) updateConflict(r *http.Request, op Op, now time.Time) *realAnswer {
	conflict := apiError{status: http.StatusConflict, code: "ResourceConflictException", message: inProgressMessage + functionARN(r)}
	if n := rl.conflictNext[op.Name]; n > 0 {
		rl.conflictNext[op.Name] = n - 1
		rl.stats.UpdateConflicts++
		return &realAnswer{name: "ConflictNext", err: conflict}
	}
	fn, _ := lambdaTarget(r)
	w := rl.updating[fn]
	if w == nil {
		return nil
	}
	if w.over(now) {
		delete(rl.updating, fn)
		return nil
	}
	blocks := rl.cfg.UpdateBlocks
	if blocks == nil {
		blocks = documentedUpdateBlocks
	}
	if !slices.Contains(blocks, op.Name) {
		return nil
	}
	rl.stats.UpdateConflicts++
	return &realAnswer{name: "UpdateInProgress", err: conflict}
}

// pendingInvoke answers 409 to an invocation of a Pending version: with
// SnapStart, while Lambda takes the snapshot of a new version, "any
// invocations or other API actions that operate on the function version
// will fail".
// https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html#snapstart-function-states
func (rl *realism) pendingInvoke(r *http.Request, op Op, now time.Time) *realAnswer {
	if !invokeOps[op.Name] {
		return nil
	}
	fn, q := lambdaTarget(r)
	if !rl.isPending(fn, q, now) {
		return nil
	}
	rl.stats.PendingInvokes++
	return &realAnswer{name: "VersionPending", err: apiError{status: http.StatusConflict, code: "ResourceConflictException", message: pendingMessage}}
}

// isPending reports whether version of fn is Pending, without counting a
// read.
func (rl *realism) isPending(fn, version string, now time.Time) bool {
	key := fn + ":" + version
	w := rl.pending[key]
	if w == nil {
		return false
	}
	if w.over(now) {
		delete(rl.pending, key)
		return false
	}
	return true
}

// pendingOn reports whether new versions start Pending.
func (p *Proxy) pendingOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.real.cfg.PendingReads > 0 || p.real.cfg.PendingFor > 0
}

// prepared is what the proxy learned before passing a request on.
type prepared struct {
	// latest is the highest version of the function before a
	// PublishVersion; ok is false when the proxy could not learn it.
	latest int
	ok     bool
}

// realismPrepare asks moto, before a PublishVersion is passed on, for the
// function's highest version, so that the answer tells a new version from
// the existing one Lambda hands back when nothing changed.
func (p *Proxy) realismPrepare(r *http.Request, op Op) prepared {
	if op.Service != "lambda" || op.Name != "PublishVersion" || !p.pendingOn() {
		return prepared{}
	}
	fn, _ := lambdaTarget(r)
	latest, err := p.latestVersion(r, fn)
	if err != nil {
		return prepared{}
	}
	return prepared{latest: latest, ok: true}
}

// latestVersion lists the versions of fn on moto, with the headers of r
// (moto picks the account by the access key), and returns the highest.
func (p *Proxy) latestVersion(r *http.Request, fn string) (int, error) {
	b, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/versions", "MaxItems=10000")
	if err != nil {
		return 0, fmt.Errorf("list versions of %s: %w", fn, err)
	}
	var out struct{ Versions []struct{ Version string } }
	if err := json.Unmarshal(b, &out); err != nil {
		return 0, fmt.Errorf("list versions of %s: %w", fn, err)
	}
	latest := 0
	for _, v := range out.Versions {
		if n, err := strconv.Atoi(v.Version); err == nil && n > latest {
			latest = n
		}
	}
	return latest, nil
}

// lambdaAfter rewrites moto's successful answer to a Lambda request where
// the function's state is not what moto says, and records alias changes
// that give a Pending version traffic. It returns the answer and what it
// did, for Record.Realism.
func (rl *realism) lambdaAfter(r *http.Request, op Op, reqBody, respBody []byte, pre prepared, now time.Time) ([]byte, string) {
	fn, q := lambdaTarget(r)
	switch op.Name {
	case "PublishVersion":
		v := jsonString(respBody, "Version")
		key := fn + ":" + v
		n, err := strconv.Atoi(v)
		// Lambda hands back the latest version when nothing changed since;
		// only a version above it is new.
		if err == nil && (!pre.ok || n > pre.latest) {
			if w := newWindow(rl.cfg.PendingReads, rl.cfg.PendingFor, now); w != nil {
				rl.pending[key] = w
			}
		}
		if rl.isPending(fn, v, now) {
			return setPending(respBody, ""), "State=Pending"
		}
	case "GetFunctionConfiguration", "GetFunction":
		nested := ""
		if op.Name == "GetFunction" {
			nested = "Configuration"
		}
		if q == "" || q == "$LATEST" {
			if w := rl.updating[fn]; w != nil {
				if w.read(now) {
					return setInProgress(respBody, nested), "LastUpdateStatus=InProgress"
				}
				delete(rl.updating, fn)
			}
			if f, ok := rl.failed[fn]; ok {
				name := "State=Failed"
				if f.update {
					name = "LastUpdateStatus=Failed"
				}
				return editConfig(respBody, nested, f.fields), name
			}
			return respBody, ""
		}
		if w := rl.pending[fn+":"+q]; w != nil {
			if w.read(now) {
				return setPending(respBody, nested), "State=Pending"
			}
			delete(rl.pending, fn+":"+q)
		}
	case "ListVersionsByFunction":
		return rl.listPending(fn, respBody, now)
	case "UpdateFunctionCode", "UpdateFunctionConfiguration":
		// An update replaces a failed state. The answer to it already
		// says InProgress; the function stays so until Lambda has applied
		// it.
		delete(rl.failed, fn)
		if w := newWindow(rl.cfg.UpdateReads, rl.cfg.UpdateFor, now); w != nil {
			rl.updating[fn] = w
			return setInProgress(respBody, ""), "LastUpdateStatus=InProgress"
		}
	case "UpdateAlias", "CreateAlias":
		rl.aliasViolations(r, op, fn, reqBody, now)
	case "CreateEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping", "GetEventSourceMapping", "ListEventSourceMappings":
		if rl.cfg.MappingQualifiers {
			return rl.mappingARNs(op, reqBody, respBody)
		}
	}
	return respBody, ""
}

// listPending marks the Pending versions of a ListVersionsByFunction answer,
// without counting reads.
func (rl *realism) listPending(fn string, body []byte, now time.Time) ([]byte, string) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return body, ""
	}
	var versions []map[string]json.RawMessage
	if json.Unmarshal(top["Versions"], &versions) != nil {
		return body, ""
	}
	changed := false
	for _, v := range versions {
		var version string
		_ = json.Unmarshal(v["Version"], &version)
		if rl.isPending(fn, version, now) {
			pendingFields(v)
			changed = true
		}
	}
	if !changed {
		return body, ""
	}
	top["Versions"] = mustJSON(versions)
	return mustJSON(top), "State=Pending"
}

// aliasViolations records the versions an UpdateAlias or CreateAlias gives
// traffic to while they are Pending: Lambda fails the invocations that
// reach them.
func (rl *realism) aliasViolations(r *http.Request, op Op, fn string, reqBody []byte, now time.Time) {
	var in struct {
		Name            string
		FunctionVersion string
		RoutingConfig   *struct{ AdditionalVersionWeights map[string]float64 }
	}
	if json.Unmarshal(reqBody, &in) != nil {
		return
	}
	alias := in.Name
	if op.Name == "UpdateAlias" {
		alias = label(splitPath(r.URL.EscapedPath()), 4)
	}
	primary := 1.0
	var weights map[string]float64
	if in.RoutingConfig != nil {
		weights = in.RoutingConfig.AdditionalVersionWeights
	}
	for _, v := range slices.Sorted(maps.Keys(weights)) {
		w := weights[v]
		primary -= w
		if w > 0 && rl.isPending(fn, v, now) {
			rl.stats.Violations = append(rl.stats.Violations, Violation{At: now, Op: op.Name, Function: fn, Alias: alias, Version: v, Weight: w})
		}
	}
	if in.FunctionVersion != "" && primary > 0 && rl.isPending(fn, in.FunctionVersion, now) {
		rl.stats.Violations = append(rl.stats.Violations, Violation{At: now, Op: op.Name, Function: fn, Alias: alias, Version: in.FunctionVersion, Weight: primary})
	}
}

// pendingFields sets a function configuration's state to Pending, as Lambda
// reports a function it is creating (StateReasonCode Creating).
// https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html#lambda-GetFunctionConfiguration-response-State
func pendingFields(m map[string]json.RawMessage) {
	m["State"] = mustJSON("Pending")
	m["StateReason"] = mustJSON("The function is being created.")
	m["StateReasonCode"] = mustJSON("Creating")
}

// setPending rewrites the configuration in body (or under key nested) to
// State Pending.
func setPending(body []byte, nested string) []byte {
	return editConfig(body, nested, pendingFields)
}

// setInProgress rewrites the configuration in body (or under key nested) to
// LastUpdateStatus InProgress; State stays Active, as the documentation's
// example of a function being updated shows.
// https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
func setInProgress(body []byte, nested string) []byte {
	return editConfig(body, nested, func(m map[string]json.RawMessage) {
		m["LastUpdateStatus"] = mustJSON("InProgress")
		delete(m, "LastUpdateStatusReason")
		delete(m, "LastUpdateStatusReasonCode")
	})
}

// editConfig applies edit to the JSON object body, or to its member nested;
// a body that is not such an object comes back unchanged.
func editConfig(body []byte, nested string, edit func(map[string]json.RawMessage)) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return body
	}
	if nested == "" {
		edit(top)
		return mustJSON(top)
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(top[nested], &inner) != nil || inner == nil {
		return body
	}
	edit(inner)
	top[nested] = mustJSON(inner)
	return mustJSON(top)
}

// jsonString is the string member key of the JSON object body, or "".
func jsonString(body []byte, key string) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(top[key], &s)
	return s
}

// motoGet asks moto for escapedPath (already escaped) and query, with the
// credentials of r (moto picks the account by the access key), and returns
// the body of a 2xx answer (moto answers some reads with 201).
func (p *Proxy) motoGet(r *http.Request, escapedPath, query string) ([]byte, error) {
	b, _, err := p.motoDo(r, http.MethodGet, escapedPath, query, nil)
	return b, err
}

// motoError is a non-2xx answer of moto's.
type motoError struct {
	status int
	body   []byte
}

func (e *motoError) Error() string { return http.StatusText(e.status) + ": " + string(e.body) }

// motoDo sends moto a request of its own: method, escapedPath (already
// escaped), query and a JSON body (nil for none), with the credentials of r.
// It returns the body and status of a 2xx answer; another answer is a
// *motoError.
func (p *Proxy) motoDo(r *http.Request, method, escapedPath, query string, body []byte) ([]byte, int, error) {
	u := *p.target
	u.RawPath = strings.TrimSuffix(p.target.EscapedPath(), "/") + escapedPath
	path, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, 0, err
	}
	u.Path, u.RawQuery = path, query
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, resp.StatusCode, &motoError{status: resp.StatusCode, body: b}
	}
	return b, resp.StatusCode, nil
}
