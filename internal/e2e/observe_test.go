package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// How the tests see and steer a run: by the run's own calls, as the proxy
// meets them, never by polling AWS against the clock. A hook on a call acts
// before the call reaches moto, so what the run reads next already shows
// it; the proxy's records say how the run moved the alias.

// startTraffic records steady invocations of tr.Function through its alias
// as Lambda's metrics, sent through a proxy of their own that holds them
// back as the realism layer does (Realism.MetricDelay), so that CloudWatch
// shows them late, as it shows Lambda's, and keeps their raw values for
// the percentiles moto cannot answer (Realism.Percentiles). cfg's
// credentials sign the metrics. The traffic stops when the test ends, and
// a tick that failed fails the test.
func startTraffic(t *testing.T, srv *moto.Server, cfg aws.Config, tr moto.Traffic) *moto.TrafficRun {
	t.Helper()
	p := faultproxy.NewT(t, srv.URL)
	p.SetRealism(faultproxy.Realism{MetricDelay: faultproxy.DefaultRealism().MetricDelay, Percentiles: true})
	tr.CloudWatch = gate.NewCloudWatch(p.AWSConfig(cfg))
	run := srv.StartTraffic(context.Background(), tr)
	t.Cleanup(func() {
		if err := run.Stop(); err != nil {
			t.Errorf("traffic: %v", err)
		}
	})
	return run
}

// traffic is startTraffic on the shared moto server.
func traffic(t *testing.T, srv *moto.Server, tr moto.Traffic) *moto.TrafficRun {
	t.Helper()
	return startTraffic(t, srv, srv.AWSConfig(), tr)
}

// moves is how the run's UpdateAlias calls that Lambda carried out set the
// alias, in order, written as aliasRoute writes a route: "1+2@0.1", "2".
func moves(t *testing.T, p *faultproxy.Proxy) []string {
	t.Helper()
	var out []string
	for _, rec := range p.Requests() {
		if rec.Op.Name != "UpdateAlias" || !rec.Forwarded || rec.Upstream/100 != 2 {
			continue
		}
		var in struct {
			FunctionVersion string
			RoutingConfig   *struct{ AdditionalVersionWeights map[string]float64 }
		}
		if err := json.Unmarshal(rec.Body, &in); err != nil {
			t.Fatalf("UpdateAlias body %q: %v", rec.Body, err)
		}
		route := in.FunctionVersion
		if in.RoutingConfig != nil {
			w := in.RoutingConfig.AdditionalVersionWeights
			for _, v := range slices.Sorted(maps.Keys(w)) {
				if w[v] > 0 {
					route += fmt.Sprintf("+%s@%g", v, w[v])
				}
			}
		}
		out = append(out, route)
	}
	return out
}

// afterMove calls fn once, on the request's goroutine before it reaches
// moto, at the run's first call of op made after its first move of the
// alias (UpdateAlias) was made: what that call reads shows fn's doing.
// It returns a function that reports whether fn ran. fn runs on the
// proxy's goroutine: it reports with t.Errorf, never t.Fatal. afterMove
// takes p's OnRequest hook, of which a proxy has one.
func afterMove(p *faultproxy.Proxy, op string, fn func()) (ran func() bool) {
	var (
		mu          sync.Mutex
		moved, done bool
	)
	p.OnRequest(func(o faultproxy.Op, attempt int) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case done:
		case o.Name == "UpdateAlias":
			moved = true
		case moved && o.Name == op:
			done = true
			fn()
		}
	})
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
}
