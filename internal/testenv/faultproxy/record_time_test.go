package faultproxy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
)

// A record says when its request arrived and when the proxy was done with
// it, the time the target took in between.
func TestRecordTimes(t *testing.T) {
	t.Parallel()
	const took = 50 * time.Millisecond
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(took)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(target.Close)
	p := faultproxy.NewT(t, target.URL)

	before := time.Now()
	resp, err := http.Get(p.URL + "/2015-03-31/functions/orders/aliases/prod")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	after := time.Now()

	recs := p.Requests()
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Arrived.Before(before) || r.Answered.After(after) {
		t.Errorf("arrived %s, answered %s: not within the call (%s to %s)", r.Arrived, r.Answered, before, after)
	}
	if d := r.Answered.Sub(r.Arrived); d < took {
		t.Errorf("answered %s after arriving, want at least the target's %s", d, took)
	}
}
