package faultproxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
)

// TestRoutesAgreeWithModel checks the proxy's route table against AWS's
// model: every operation of the model is in the table, with the model's
// method and URI; a route the model does not have (an operation newer in
// the Go SDK than in botocore) is logged.
func TestRoutesAgreeWithModel(t *testing.T) {
	t.Parallel()
	j := awsmodel.Required(t)
	for _, rs := range restServices {
		t.Run(rs.name, func(t *testing.T) {
			t.Parallel()
			m := j.Model(rs.name)
			mine := map[string]string{}
			for _, r := range rs.routes {
				mine[r.name] = r.method + " " + shape(r)
			}
			theirs := map[string]bool{}
			for _, r := range m.Routes() {
				theirs[r.Name] = true
				want := r.Method + " " + r.Path
				if r.Query != "" {
					want += "?" + r.Query
				}
				got, ok := mine[r.Name]
				switch {
				case !ok:
					t.Errorf("the model's %s %s is not in the route table: the proxy names it unknown", r.Name, want)
				case got != want:
					t.Errorf("%s: the route table says %s, the model %s", r.Name, got, want)
				}
			}
			for name, route := range mine {
				if !theirs[name] {
					t.Logf("%s (%s) is in the route table but not in botocore's model of %s %s", name, route, rs.name, m.APIVersion)
				}
			}
		})
	}
}

// shape writes a compiled route as awsmodel.Route does: labels as {}.
func shape(r compiledRoute) string {
	var b strings.Builder
	for _, s := range r.segs {
		b.WriteByte('/')
		if s == "" {
			b.WriteString("{}")
		} else {
			b.WriteString(s)
		}
	}
	if b.Len() == 0 {
		b.WriteByte('/')
	}
	if len(r.query) > 0 {
		var kv []string
		for k, vs := range r.query {
			for _, v := range vs {
				kv = append(kv, k+"="+v)
			}
		}
		slices.Sort(kv)
		b.WriteString("?" + strings.Join(kv, "&"))
	}
	return b.String()
}

// offline is a proxy in front of nothing, for tests that call the judge's
// hooks themselves.
func offline(t *testing.T) *Proxy {
	t.Helper()
	awsmodel.Required(t)
	p, err := New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// lambdaRequest is a GET of Lambda's, signed in name.
func lambdaRequest(target string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
	return r
}

// TestJudgeRouteMismatch: a request the proxy names otherwise than the
// model is a violation on every request, besides the table test above.
func TestJudgeRouteMismatch(t *testing.T) {
	t.Parallel()
	p := offline(t)
	r := lambdaRequest("/2015-03-31/functions/orders/aliases/prod")
	if c := p.judgeRequest(Op{Service: "lambda", Name: "GetFunction"}, r, nil); c == nil || c.String() != "lambda.GetAlias" {
		t.Fatalf("judged as %v, want lambda.GetAlias", c)
	}
	vs := p.TakeModelViolations()
	want := "AWS API model: lambda.GetAlias request (route): the proxy's route table names this request lambda.GetFunction, the model lambda.GetAlias (sent by the client)"
	if len(vs) != 1 || vs[0].String() != want {
		t.Errorf("violations %v, want [%s]", vs, want)
	}
}

// fakeT records what reportModel does with a test.
type fakeT struct{ errors, logs []string }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// TestReportModel: what NewT does when the test ends. Every violation
// fails the test once, moto's are logged.
func TestReportModel(t *testing.T) {
	t.Parallel()
	p := offline(t)
	// Unique to the run: moto's are logged once per process.
	bad := awsmodel.Problem{Operation: "lambda.UpdateAlias", Side: "request", Member: "Name", Location: "uri", Message: fmt.Sprintf("bad %d", time.Now().UnixNano())}
	p.mu.Lock()
	p.model.failures = append(p.model.failures, ModelViolation{Source: "request", Problem: bad}, ModelViolation{Source: "answer", By: "fault Conflict", Problem: bad})
	p.model.moto = append(p.model.moto, ModelViolation{Source: "moto", Problem: bad})
	p.mu.Unlock()

	f := &fakeT{}
	p.reportModel(f)
	if len(f.errors) != 2 || len(f.logs) != 1 {
		t.Errorf("errors %q, logs %q; want 2 errors (request, answer) and moto's logged", f.errors, f.logs)
	}
	f = &fakeT{}
	p.reportModel(f)
	if len(f.errors) != 0 {
		t.Errorf("reported again: %q", f.errors)
	}
}

// TestJudgeRewrite: a realism rewrite of moto's answer is judged as the
// proxy's own, less what moto's answer already broke, which is moto's.
func TestJudgeRewrite(t *testing.T) {
	t.Parallel()
	p := offline(t)
	r := lambdaRequest("/2015-03-31/functions/orders/configuration?Qualifier=2")
	op := Op{Service: "lambda", Name: "GetFunctionConfiguration"}
	call := p.judgeRequest(op, r, nil)
	moto := `{"FunctionName":"orders","Version":"2","State":"Active","MotoOnly":1}`
	rewritten := `{"FunctionName":"orders","Version":"2","State":"Snapshotting","MotoOnly":1}`
	w := &capture{ResponseWriter: httptest.NewRecorder()}
	w.WriteHeader(200)
	_, _ = w.Write([]byte(rewritten))
	rec := &Record{Realism: "State=Pending"}
	p.judgeAnswer(call, op, rec, w, &answered{passed: true, upstream: &upstream{status: 200, body: []byte(moto)}})

	rep := p.ModelReport()
	if len(rep.Answers) != 1 || !strings.HasPrefix(rep.Answers[0].Problem.String(), "lambda.GetFunctionConfiguration response member State (body): State is one of") ||
		rep.Answers[0].By != "the realism layer's rewrite of moto's answer (State=Pending)" {
		t.Errorf("answer violations %v, want the State the rewrite put", rep.Answers)
	}
	if len(rep.Moto) != 1 || rep.Moto[0].Problem.Member != "MotoOnly" {
		t.Errorf("moto's violations %v, want its MotoOnly", rep.Moto)
	}
}
