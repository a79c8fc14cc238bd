package faultproxy

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// What a function can be that moto never makes it: Failed, with a last
// update that failed, or with code that throws. A test sets these states
// on the proxy; every read through it then says so, as Lambda does.

// failure is a function's $LATEST in State Failed, or its last update
// Failed, with Lambda's reason and reason code.
type failure struct {
	update       bool // LastUpdateStatus Failed; otherwise State Failed
	reason, code string
}

// FailFunction puts function fn's $LATEST in State Failed with StateReason
// reason and StateReasonCode code (such as InvalidSubnet or
// EniLimitExceeded), as Lambda reports a function it could not create or
// set up: "Failed – Indicates that resource configuration or provisioning
// encountered an error"
// (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html,
// https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html#lambda-GetFunctionConfiguration-response-StateReasonCode).
// Reads of $LATEST through the proxy say so until the next update of the
// function through the proxy, or BeginUpdate.
func (p *Proxy) FailFunction(fn, reason, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.real.failed[fn] = failure{reason: reason, code: code}
}

// FailUpdate makes the last update of function fn read LastUpdateStatus
// Failed with LastUpdateStatusReason reason and
// LastUpdateStatusReasonCode code, as Lambda reports an update it could not
// apply (the function keeps running its previous code and configuration:
// https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
// Reads of $LATEST through the proxy say so until the next update of the
// function through the proxy, or BeginUpdate.
func (p *Proxy) FailUpdate(fn, reason, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.real.failed[fn] = failure{update: true, reason: reason, code: code}
}

// Settle ends, for function fn, every state the realism layer keeps it in
// for a while: its versions' Pending and its update in progress. A test
// calls it where the reader of a "wait until it is done" message would wait.
func (p *Proxy) Settle(fn string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.real.updating, fn)
	for key := range p.real.pending {
		if strings.HasPrefix(key, fn+":") {
			delete(p.real.pending, key)
		}
	}
}

// fields rewrites a configuration of $LATEST to the failure.
func (f failure) fields(m map[string]json.RawMessage) {
	if f.update {
		m["LastUpdateStatus"] = mustJSON("Failed")
		m["LastUpdateStatusReason"] = mustJSON(f.reason)
		m["LastUpdateStatusReasonCode"] = mustJSON(f.code)
		return
	}
	m["State"] = mustJSON("Failed")
	m["StateReason"] = mustJSON(f.reason)
	m["StateReasonCode"] = mustJSON(f.code)
}

// failingCode is code that throws: every invocation of a version that runs
// it answers a function error.
type failingCode struct {
	sha256, errorType, message string
}

// CodeFails makes every invocation of a version of function fn whose code
// is codeSHA256 (its CodeSha256) answer as Lambda answers a function that
// throws: 200 with X-Amz-Function-Error: Unhandled and the error in the
// payload, {"errorMessage": message, "errorType": errorType, …}
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_ResponseSyntax,
// https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html).
// moto echoes the payload of every invocation. New code (another SHA-256)
// runs as before.
func (p *Proxy) CodeFails(fn, codeSHA256, errorType, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.real.failing[fn] = append(p.real.failing[fn], failingCode{codeSHA256, errorType, message})
}

// serveFailingCode answers an Invoke of a version whose code CodeFails
// named, or returns nil.
func (p *Proxy) serveFailingCode(r *http.Request) *served {
	fn, q := lambdaTarget(r)
	p.mu.Lock()
	codes := slices.Clone(p.real.failing[fn])
	p.mu.Unlock()
	if len(codes) == 0 {
		return nil
	}
	query := ""
	if q != "" {
		query = "Qualifier=" + url.QueryEscape(q)
	}
	b, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/configuration", query)
	if err != nil {
		return nil // moto answers for a function it does not know
	}
	sha, version := jsonString(b, "CodeSha256"), jsonString(b, "Version")
	i := slices.IndexFunc(codes, func(c failingCode) bool { return c.sha256 == sha })
	if i < 0 {
		return nil
	}
	c := codes[i]
	return &served{
		name:   "FunctionError",
		status: http.StatusOK,
		header: map[string]string{"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": version},
		body:   mustJSON(map[string]any{"errorMessage": c.message, "errorType": c.errorType, "requestId": "", "stackTrace": []string{}}),
	}
}
