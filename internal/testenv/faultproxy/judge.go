package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
)

// The proxy judges every request it receives, and every answer the realism
// layer or a fault writes or rewrites, against AWS's own API models
// (package awsmodel): a request that breaks its operation's model is a bug
// of the client (the action, or a test's own client), an answer that breaks
// it a bug of this test layer. Either is a ModelViolation, and NewT fails
// the test for it, as the e2e harness and make demo do. moto's own answers
// are judged too, and listed (ModelReport.Moto), but fail nothing: moto is
// not ours to fix.

// ModelViolation is one way a request, or an answer the proxy gave, breaks
// the model of its operation.
type ModelViolation struct {
	At time.Time
	// Source is who wrote what breaks the model: "request" (the client),
	// "answer" (the realism layer or a fault, By says which) or "moto".
	Source  string
	By      string // for an answer: "realism ExpiredToken", "fault Throttle"
	Op      Op     // the operation as the proxy named it
	Problem awsmodel.Problem
}

func (v ModelViolation) String() string {
	switch v.Source {
	case "answer":
		return fmt.Sprintf("AWS API model: %s (an answer the proxy wrote: %s)", v.Problem, v.By)
	case "moto":
		return fmt.Sprintf("AWS API model: %s (moto's answer)", v.Problem)
	}
	return fmt.Sprintf("AWS API model: %s (sent by the client)", v.Problem)
}

// ModelReport is what the judge found since the proxy started.
type ModelReport struct {
	// Off says why the judge is off (no botocore outside CI); "" when on.
	Off string
	// Judged counts the requests judged; Skipped counts the others by
	// why (a service without a model here, such as IAM).
	Judged  int
	Skipped map[string]int
	// Requests and Answers are the violations that fail a test.
	Requests, Answers []ModelViolation
	// Moto lists the ways moto's own answers break the model, each once.
	Moto []ModelViolation
	// Unchecked names the patterns the judge could not check for values
	// the messages carried.
	Unchecked []string
}

// modelState is the judge's record, guarded by Proxy.mu.
type modelState struct {
	judged    int
	skipped   map[string]int
	failures  []ModelViolation // requests and answers, in order
	taken     int              // failures handed out by TakeModelViolations
	moto      []ModelViolation
	motoSeen  map[string]bool
	unchecked []string
}

// loadJudge loads the models for a new proxy. Without botocore the judge is
// off, and says why, except under CI=true, where it must be there.
func loadJudge() (*awsmodel.Judge, string, error) {
	j, err := awsmodel.Default()
	if err == nil {
		return j, "", nil
	}
	if errors.Is(err, awsmodel.ErrNoBotocore) && os.Getenv("CI") != "true" {
		return nil, err.Error(), nil
	}
	return nil, "", fmt.Errorf("fault proxy: load AWS's API models: %w", err)
}

// ModelReport is a copy of what the judge found.
func (p *Proxy) ModelReport() ModelReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := ModelReport{Off: p.judgeOff, Judged: p.model.judged, Skipped: map[string]int{}}
	for k, n := range p.model.skipped {
		r.Skipped[k] = n
	}
	for _, v := range p.model.failures {
		if v.Source == "request" {
			r.Requests = append(r.Requests, v)
		} else {
			r.Answers = append(r.Answers, v)
		}
	}
	r.Moto = slices.Clone(p.model.moto)
	r.Unchecked = slices.Clone(p.model.unchecked)
	return r
}

// TakeModelViolations returns the request and answer violations found since
// the last call, so that each is reported once: by the e2e harness at the
// end of a run, by NewT when the test ends, by make demo.
func (p *Proxy) TakeModelViolations() []ModelViolation {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.model.failures[p.model.taken:])
	p.model.taken = len(p.model.failures)
	return out
}

// motoLogged holds the moto violations logged so far by this process: each
// is logged once, by the first test that meets it.
var motoLogged sync.Map

// reportModel fails t for the violations not yet reported, and logs moto's
// (each once per process) and the patterns left unchecked.
func (p *Proxy) reportModel(t reporter) {
	t.Helper()
	for _, v := range p.TakeModelViolations() {
		t.Errorf("%s", v)
	}
	r := p.ModelReport()
	for _, v := range r.Moto {
		if _, seen := motoLogged.LoadOrStore(v.Problem.String(), true); !seen {
			t.Logf("%s", v)
		}
	}
	if len(r.Skipped) > 0 {
		t.Logf("AWS API model: requests not judged, by why: %v", r.Skipped)
	}
	if len(r.Unchecked) > 0 {
		t.Logf("AWS API model: patterns not checked (Go's regexp cannot compile them): %v", r.Unchecked)
	}
}

// reporter is what reportModel uses of a testing.TB.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// judgeRequest judges a request as it arrives and returns its operation
// as the model names it, or nil. It also checks that the proxy's own
// route table names the operation as the model does.
func (p *Proxy) judgeRequest(op Op, r *http.Request, body []byte) *awsmodel.Call {
	if p.judge == nil {
		return nil
	}
	v := p.judge.Request(r, body)
	if v.Call == nil && len(v.Problems) > 0 && v.Problems[0].Location == "uri" && p.newerThanModel(op) {
		// The SDK knows the operation and the installed botocore's model
		// does not: the model predates it (Lambda's resource-policy
		// operations are newer than botocore 1.43). There is nothing to
		// judge it by.
		v = awsmodel.Verdict{Skipped: op.String() + " is newer than the installed botocore's model"}
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if v.Skipped != "" {
		if p.model.skipped == nil {
			p.model.skipped = map[string]int{}
		}
		p.model.skipped[v.Skipped]++
		return nil
	}
	p.model.judged++
	for _, pr := range v.Problems {
		p.model.failures = append(p.model.failures, ModelViolation{At: now, Source: "request", Op: op, Problem: pr})
	}
	p.noteUnchecked(v.Unchecked)
	if c := v.Call; c != nil && (c.Service != op.Service || c.Operation.Name != op.Name) {
		p.model.failures = append(p.model.failures, ModelViolation{At: now, Source: "request", Op: op, Problem: awsmodel.Problem{
			Operation: c.String(), Side: "request", Location: "route",
			Message: fmt.Sprintf("the proxy's route table names this request %s, the model %s", op, c),
		}})
	}
	return v.Call
}

// newerThanModel reports whether the proxy's route table, taken from the
// AWS SDK for Go, names op while the model of its service has no operation
// of that name.
func (p *Proxy) newerThanModel(op Op) bool {
	if op.Name == "" || op.Name == unknown {
		return false
	}
	m := p.judge.Model(op.Service)
	return m != nil && m.Operations[op.Name] == nil
}

func (p *Proxy) noteUnchecked(names []string) {
	for _, n := range names {
		if !slices.Contains(p.model.unchecked, n) {
			p.model.unchecked = append(p.model.unchecked, n)
			sort.Strings(p.model.unchecked)
		}
	}
}

// capture is the proxy's ResponseWriter: it keeps the answer written, for
// the judge.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (hangUp).
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// answered is where the answer to a request came from.
type answered struct {
	// upstream is moto's answer, when the request reached moto and the
	// proxy read it.
	upstream *upstream
	// passed is set when the client got moto's answer, perhaps rewritten
	// by the realism layer; otherwise the proxy wrote the answer itself.
	passed bool
	// unjudged is set for an answer that is not AWS's to give: the proxy's
	// own 502 when moto cannot be reached.
	unjudged bool
}

type upstream struct {
	status int
	header http.Header
	body   []byte
}

// judgeAnswer judges what the client was answered: moto's answer as it
// came (reported, not failed), and the answer the proxy wrote or rewrote
// (failed), leaving out of the latter what moto's answer already broke.
func (p *Proxy) judgeAnswer(call *awsmodel.Call, op Op, rec *Record, w *capture, a *answered) {
	if call == nil || a.unjudged {
		return
	}
	var motoProblems []awsmodel.Problem
	if up := a.upstream; up != nil {
		v := p.judge.Response(call, up.status, up.header, up.body)
		motoProblems = v.Problems
		p.mu.Lock()
		for _, pr := range v.Problems {
			if key := pr.String(); !p.model.motoSeen[key] {
				if p.model.motoSeen == nil {
					p.model.motoSeen = map[string]bool{}
				}
				p.model.motoSeen[key] = true
				p.model.moto = append(p.model.moto, ModelViolation{At: time.Now(), Source: "moto", Op: op, Problem: pr})
			}
		}
		p.noteUnchecked(v.Unchecked)
		p.mu.Unlock()
	}
	if w.status == 0 {
		return // no answer: a reset, or a client that gave up
	}
	if a.passed && a.upstream != nil && w.status == a.upstream.status && bytes.Equal(w.body.Bytes(), a.upstream.body) {
		return // moto's answer, untouched
	}
	v := p.judge.Response(call, w.status, w.Header(), w.body.Bytes())
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noteUnchecked(v.Unchecked)
	by := "the realism layer's rewrite of moto's answer (" + rec.Realism + ")"
	switch {
	case rec.Fault != "" && !a.passed:
		by = "fault " + rec.Fault
	case !a.passed:
		by = "the realism layer (" + rec.Realism + ")"
	}
	for _, pr := range v.Problems {
		if a.passed && slices.Contains(motoProblems, pr) {
			continue
		}
		p.model.failures = append(p.model.failures, ModelViolation{At: time.Now(), Source: "answer", By: by, Op: op, Problem: pr})
	}
}
