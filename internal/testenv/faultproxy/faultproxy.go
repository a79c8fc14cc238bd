// Package faultproxy is an HTTP reverse proxy for tests that stands between
// the AWS SDK (or the built binary, through AWS_ENDPOINT_URL) and moto's
// server. It names the AWS operation of every request, records it, and on
// the calls a test picks answers with a throttle, a server error, a
// conflict, a reset connection or a delay instead of, or after, passing
// the call on. It judges every request, and every answer it writes or
// rewrites, against AWS's own API models (judge.go, package awsmodel).
//
//	p := faultproxy.NewT(t, moto.URL)
//	p.Inject("UpdateAlias", 1, faultproxy.Throttle)
//	p.Inject("PublishVersion", faultproxy.Every, faultproxy.AfterForward(faultproxy.Reset))
//	lc := lambda.NewFromConfig(p.AWSConfig(moto.AWSConfig()))
package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
)

// Every, as the attempt of Inject, applies a fault to every call of an
// operation.
const Every = 0

// maxBody bounds the request body kept in a Record.
const maxBody = 64 << 10

// Record is one request the proxy received.
type Record struct {
	Op      Op
	Attempt int // the nth call of Op since New or the last Reset, from 1
	Method  string
	Path    string // decoded
	Query   string // raw
	// Status is the status the client was answered with; 0 when it got no
	// answer (Reset, or it gave up during a Delay).
	Status int
	// Upstream is moto's status; 0 when the request did not reach moto.
	Upstream int
	// Forwarded is true when moto received the request and answered it, so
	// that a change took effect, even if the client then saw a fault; or
	// when the realism layer carried it out in moto's place.
	Forwarded bool
	Fault     string // Fault.String() of the fault applied, "" for none
	Err       string // why the proxy could not pass the request on or answer, "" if it could
	Body      []byte // the request body, at most 64 KiB
	Header    http.Header
	// Realism names what the realism layer did (see Realism): the answer
	// it gave in place of moto's (ExpiredToken, QuotaExceeded,
	// UpdateInProgress, ConflictNext, VersionPending, InvalidIdentityToken,
	// ExpiredWebIdentityToken, MetricHeld, Percentiles, PolicyPerQualifier,
	// URLPerQualifier) or the part of moto's answer it rewrote
	// (State=Pending, LastUpdateStatus=InProgress, Expiration,
	// FunctionArn=alias); "" for nothing.
	Realism string
	// Arrived is when the request reached the proxy; Answered is when the
	// proxy was done with it (its answer written, or the connection closed
	// without one), zero while it is under way.
	Arrived, Answered time.Time
}

// Proxy is a running fault-injection proxy listening on 127.0.0.1.
type Proxy struct {
	// URL is the proxy's base URL, e.g. http://127.0.0.1:41235.
	URL string

	target    *url.URL
	server    *httptest.Server
	transport *http.Transport
	closing   chan struct{}
	closeOnce sync.Once
	// ctx ends when the proxy closes; held counts the requests held back
	// to be passed on later.
	ctx    context.Context
	cancel context.CancelFunc
	held   sync.WaitGroup

	mu       sync.Mutex
	rules    []rule
	hook     func(Op, int)
	counts   map[Op]int
	fnCounts map[fnOp]int // calls of an operation per Lambda function
	records  []*Record
	seq      int // request ids
	real     *realism
	revs     revisions

	// judge is AWS's API models (judge.go); nil when off, and judgeOff
	// says why. model is what it found, guarded by mu.
	judge    *awsmodel.Judge
	judgeOff string
	model    modelState
}

type rule struct {
	op      string
	attempt int
	fault   Fault
	// function, when set, limits the rule to the calls of op that name
	// this Lambda function, and attempt counts only those.
	function string
}

// New starts a proxy that passes requests on to target, the base URL of
// moto's server. Call Close when done.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("fault proxy: target %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fault proxy: target %q is not an http(s) base URL", target)
	}
	judge, off, err := loadJudge()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil               // talk to the target, never to $HTTP_PROXY
	tr.DisableCompression = true // pass bodies on as they are
	p := &Proxy{
		target:    u,
		transport: tr,
		closing:   make(chan struct{}),
		counts:    map[Op]int{},
		fnCounts:  map[fnOp]int{},
		real:      newRealism(),
		judge:     judge,
		judgeOff:  off,
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.server.URL
	return p, nil
}

// NewT starts a proxy in front of target for a test and closes it when the
// test ends. Then it fails the test for every request and every answer of
// its own that broke AWS's API model and was not reported yet (see
// TakeModelViolations), and logs those of moto's answers.
func NewT(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	if p.judgeOff != "" {
		t.Logf("the AWS API model judge is off: %s", p.judgeOff)
	}
	t.Cleanup(func() {
		p.Close()
		p.reportModel(t)
	})
	return p
}

// Close stops the proxy: delayed requests end at once, metrics still held
// back are dropped, and Close waits for the requests under way. It is safe
// to call more than once.
func (p *Proxy) Close() {
	p.closeOnce.Do(func() {
		close(p.closing)
		p.cancel()
		p.server.Close()
		p.held.Wait()
		p.transport.CloseIdleConnections()
	})
}

// AWSConfig is cfg sending every call to the proxy.
func (p *Proxy) AWSConfig(cfg aws.Config) aws.Config {
	cfg = cfg.Copy()
	cfg.BaseEndpoint = aws.String(p.URL)
	return cfg
}

// Env is env (such as moto.Server.Env()) with AWS_ENDPOINT_URL pointing
// at the proxy, for the built binary.
func (p *Proxy) Env(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			out = append(out, kv)
		}
	}
	return append(out, "AWS_ENDPOINT_URL="+p.URL)
}

// Inject applies f to the attempt-th call (from 1) of operation op, or to
// every call with attempt Every. op is an operation name (UpdateAlias) or
// one qualified by its service (apigatewayv2.GetStage) where two services
// share a name. Of the faults that fit a call, the one injected last wins.
func (p *Proxy) Inject(op string, attempt int, f Fault) {
	if attempt < 0 {
		panic(fmt.Sprintf("faultproxy: Inject(%q, %d): attempt must be Every or from 1", op, attempt))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, rule{op: op, attempt: attempt, fault: f})
}

// InjectFor is Inject for the calls of op that name Lambda function fn (by
// name or ARN): attempt counts only those calls, from 1. A release of
// several functions makes its calls at once, so that the nth call of an
// operation overall could be any function's.
func (p *Proxy) InjectFor(fn, op string, attempt int, f Fault) {
	if attempt < 0 {
		panic(fmt.Sprintf("faultproxy: InjectFor(%q, %q, %d): attempt must be Every or from 1", fn, op, attempt))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, rule{op: op, attempt: attempt, fault: f, function: fn})
}

// fnOp is an operation on one Lambda function.
type fnOp struct {
	fn string
	op Op
}

// ClearFaults removes every fault injected.
func (p *Proxy) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// OnRequest sets fn to be called with the operation and attempt of every
// request as it arrives, before any fault or delay and before it reaches
// moto, on the request's goroutine; nil removes it. A test uses it to act
// at a precise point: signal a process, or change the alias by hand.
func (p *Proxy) OnRequest(fn func(op Op, attempt int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = fn
}

// Requests is a copy of the log, in the order the requests arrived.
func (p *Proxy) Requests() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Record, len(p.records))
	for i, r := range p.records {
		out[i] = r.clone()
	}
	return out
}

// Count is how many requests of operation name (see Inject) the log holds.
func (p *Proxy) Count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.records {
		if matches(name, r.Op) {
			n++
		}
	}
	return n
}

// Changing is the log of the changing requests that reached moto, which
// includes those answered with an AfterForward fault and leaves out those
// failed before being passed on.
func (p *Proxy) Changing() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Record
	for _, r := range p.records {
		if r.Op.Changing && r.Forwarded {
			out = append(out, r.clone())
		}
	}
	return out
}

// Reset clears the log and the attempt counts, so that attempts count from
// 1 again; faults and the OnRequest hook stay.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records = nil
	p.counts = map[Op]int{}
	p.fnCounts = map[fnOp]int{}
}

func (r *Record) clone() Record {
	c := *r
	c.Body = slices.Clone(r.Body)
	c.Header = r.Header.Clone()
	return c
}

func matches(name string, op Op) bool {
	return name == op.Name || name == op.String()
}

// arrive counts and logs a request and finds its fault and the hook.
func (p *Proxy) arrive(op Op, r *http.Request, body []byte) (*Record, Fault, func(Op, int), string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[op]++
	p.seq++
	rec := &Record{
		Op:      op,
		Attempt: p.counts[op],
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.RawQuery,
		Body:    slices.Clone(body[:min(len(body), maxBody)]),
		Header:  r.Header.Clone(),
		Arrived: time.Now(),
	}
	p.records = append(p.records, rec)
	fn, _ := lambdaTarget(r)
	if fn != "" {
		p.fnCounts[fnOp{fn, op}]++
	}
	var f Fault
	for _, ru := range slices.Backward(p.rules) {
		attempt := rec.Attempt
		if ru.function != "" {
			if ru.function != fn {
				continue
			}
			attempt = p.fnCounts[fnOp{fn, op}]
		}
		if matches(ru.op, op) && (ru.attempt == Every || ru.attempt == attempt) {
			f = ru.fault
			break
		}
	}
	if f.kind != kindNone || f.after {
		rec.Fault = f.String()
	}
	return rec, f, p.hook, "faultproxy-" + strconv.Itoa(p.seq)
}

// done updates rec under the lock.
func (p *Proxy) done(rec *Record, update func(*Record)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	update(rec)
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// The client went away while sending; there is no one to answer.
		return
	}
	op, proto := classify(r, body)
	call := p.judgeRequest(op, r, body)
	rec, f, hook, requestID := p.arrive(op, r, body)
	defer p.done(rec, func(rec *Record) { rec.Answered = time.Now() })
	cw := &capture{ResponseWriter: w}
	w = cw
	var from answered
	defer p.judgeAnswer(call, op, rec, cw, &from)
	if hook != nil {
		hook(op, rec.Attempt)
	}

	if a := p.realismBefore(r, op, body, time.Now()); a != nil {
		status := writeError(w, proto, op, a.err, requestID)
		p.done(rec, func(rec *Record) { rec.Status, rec.Realism = status, a.name })
		return
	}

	if !f.after && p.inject(w, r, f, op, call, proto, rec, requestID) {
		return
	}

	if p.realismServe(w, r, op, proto, body, rec, requestID) {
		return
	}

	if a := p.realismLocal(r, op, body); a != nil {
		p.done(rec, func(rec *Record) {
			// A change the realism layer carried out took effect as one
			// moto carried out does.
			rec.Realism, rec.Forwarded = a.name, a.status/100 == 2
		})
		if f.after && p.inject(w, r, f, op, call, proto, rec, requestID) {
			return
		}
		status := a.status
		if status == 0 {
			status = writeError(w, proto, op, a.err, requestID)
		} else {
			writeLocal(w, a, requestID)
		}
		p.done(rec, func(rec *Record) { rec.Status = status })
		return
	}

	// Percentiles: the raw values of metrics are kept as they reach moto,
	// and percentile queries are answered from them.
	var kept map[string][]rawValues
	if op.Service == "cloudwatch" && proto == awsJSON && p.percentilesOn() {
		switch op.Name {
		case "PutMetricData":
			body, kept = splitValues(body, time.Now())
		case "GetMetricData":
			// Answered here, a request meets no AfterForward fault.
			if p.answerPercentiles(w, r, body, rec) {
				return
			}
		}
	}
	delivered := func() {
		if kept != nil {
			storeFor(p.target.String()).keep(kept)
		}
	}

	if delay := p.metricDelay(op, proto); delay > 0 {
		p.holdMetrics(w, r, proto, body, rec, requestID, delay, delivered)
		return
	}

	if op.Service == "lambda" && op.Name == "UpdateAlias" && p.revisionsOn() {
		// The check, the update and its new revision are one step.
		p.revs.update.Lock()
		defer p.revs.update.Unlock()
		if a := p.checkRevision(r, op, call, body); a != nil {
			status := writeError(w, proto, op, a.err, requestID)
			p.done(rec, func(rec *Record) { rec.Status, rec.Realism = status, a.name })
			return
		}
	}
	pre := p.realismPrepare(r, op)
	resp, respBody, err := p.forward(r, body)
	if err != nil {
		p.done(rec, func(rec *Record) { rec.Err = err.Error() })
		if r.Context().Err() != nil {
			return
		}
		from.unjudged = true
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		p.done(rec, func(rec *Record) { rec.Status = http.StatusBadGateway })
		return
	}
	p.done(rec, func(rec *Record) { rec.Forwarded, rec.Upstream = true, resp.StatusCode })
	from.upstream = &upstream{status: resp.StatusCode, header: resp.Header, body: respBody}
	if resp.StatusCode/100 == 2 {
		delivered()
	}
	if rewritten, name := p.realismAfter(r, op, body, resp.StatusCode, respBody, pre, time.Now()); name != "" {
		respBody = rewritten
		p.done(rec, func(rec *Record) { rec.Realism = name })
	}
	if p.revisionsOn() {
		respBody, _ = p.rewriteRevision(r, op, resp.StatusCode, respBody)
	}

	if f.after && p.inject(w, r, f, op, call, proto, rec, requestID) {
		return
	}

	from.passed = true
	h := w.Header()
	for k, vs := range resp.Header {
		if !hopByHop(k) {
			h[k] = vs
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(respBody)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
	p.done(rec, func(rec *Record) { rec.Status = resp.StatusCode })
}

// wait waits d, and fails when the client gives up or the proxy closes
// first.
func (p *Proxy) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("client gave up during the delay: %w", context.Cause(ctx))
	case <-p.closing:
		return errors.New("proxy closed during the delay")
	}
}

// forward sends r, whose body has been read into body, to the target and
// reads the whole answer.
func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	u := *p.target
	base := strings.TrimSuffix(u.Path, "/")
	u.Path = base + r.URL.Path
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = strings.TrimSuffix(p.target.EscapedPath(), "/") + r.URL.RawPath
	}
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out.Header = r.Header.Clone()
	for k := range out.Header {
		if hopByHop(k) {
			out.Header.Del(k)
		}
	}
	out.Host = r.Host
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body = http.NoBody
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer of %s: %w", p.target.Host, err)
	}
	return resp, respBody, nil
}

// hopByHop reports whether header k belongs to one connection and is not
// passed on.
func hopByHop(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Expect":
		return true
	}
	return false
}

// hangUp closes the connection of w without an answer, with a TCP reset
// where it can.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// The server closes the connection of a handler that panics so.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// inject applies fault f to the request, before or after it is forwarded:
// a delay, a reset connection or an error answer. It reports whether it
// answered (or hung up), so that serve stops there.
func (p *Proxy) inject(w http.ResponseWriter, r *http.Request, f Fault, op Op, call *awsmodel.Call, proto protocol, rec *Record, requestID string) bool {
	switch f.kind {
	case kindNone:
		return false
	case kindDelay:
		if err := p.wait(r.Context(), f.delay); err != nil {
			p.done(rec, func(rec *Record) { rec.Err = err.Error() })
			hangUp(w)
			return true
		}
		return false
	case kindReset:
		hangUp(w)
		return true
	default:
		status := writeError(w, proto, op, errorFor(f, op, r, call), requestID)
		p.done(rec, func(rec *Record) { rec.Status = status })
		return true
	}
}
