package e2e

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/oidc"
)

// What AWS does that moto does not, each the reason a promotion that
// passed on moto could hurt on AWS: metrics that reach CloudWatch minutes
// late, "an update is in progress", versions Pending until Lambda is ready
// to run them, and session credentials that expire. The realism layer of
// the fault proxy plays each (see faultproxy.Realism); each test here
// failed against the binary before lambda-promote learned to handle it
// (run them against an earlier build with LAMBDA_PROMOTE_E2E_BINARY).

// TestHeldCanaryWithLateErrorsIsNotFinalized holds 10% on a version that
// fails every request, and finalizes it as soon as the failures happened,
// before CloudWatch shows them: the finalize run must wait for CloudWatch,
// judge the canary since it began, and roll back.
func TestHeldCanaryWithLateErrorsIsNotFinalized(t *testing.T) {
	t.Parallel()
	skipLong(t, "the finalize waits for CloudWatch's next minute")
	srv, w := world(t, "lateerrors")
	in := func(weight string) map[string]string {
		return map[string]string{"function-name": w.Function, "alias": "prod", "max-error-rate": "2%", "traffic-weight": weight}
	}
	r := runAction(t, srv, in("10"), Options{})
	if r.Code != 0 {
		t.Fatalf("hold: exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "canary", "version": "2", "traffic-weight": "10"})

	// Every request that reaches version 2 fails. The traffic follows the
	// alias, and its metrics reach CloudWatch late.
	tr := traffic(t, srv, moto.Traffic{Function: w.Function, Alias: "prod", PerTick: 20, ErrorRate: map[string]float64{"2": 1}})
	for deadline := time.Now().Add(30 * time.Second); tr.Totals()["2"].Errors == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the canary served no request in 30s")
		}
	}

	r = runAction(t, srv, in("100"), Options{})
	wantRolledBack(t, srv, w, r, "error rate")
	if got := tr.Totals()["2"]; got.Errors == 0 || got.Errors != got.Invocations {
		t.Errorf("the canary served %v: the test wants every request failed", got)
	}
}

// TestCanaryWithoutTrafficIsNotPromoted: with min-invocations, a canary
// that no request reached has not shown it works, and zero invocations must
// not read as a healthy error rate.
func TestCanaryWithoutTrafficIsNotPromoted(t *testing.T) {
	t.Parallel()
	skipLong(t, "the last step waits for CloudWatch's next minute")
	srv, w := world(t, "notraffic")
	// Steady traffic, all of it served by version 1.
	traffic(t, srv, moto.Traffic{Function: w.Function, Alias: "prod", PerTick: 10, Split: map[string]float64{"1": 1}})
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,100", "interval": "2s", "min-invocations": "5"}, Options{})
	wantRolledBack(t, srv, w, r, "not enough traffic to judge")
}

// TestUpdateInProgressIsWaitedOut: Lambda answers 409 "An update is in
// progress" to PublishVersion and UpdateAlias while the function or the
// alias is being updated, and the SDK does not retry it; the run must wait
// and try again, and promote.
func TestUpdateInProgressIsWaitedOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(p *faultproxy.Proxy, fn string)
		op    string // the operation met with 409, "" for none in particular
		in    map[string]string
	}{
		{"two 409s on PublishVersion", func(p *faultproxy.Proxy, _ string) { p.ConflictNext("PublishVersion", 2) }, "PublishVersion", nil},
		{"two 409s on UpdateAlias", func(p *faultproxy.Proxy, _ string) { p.ConflictNext("UpdateAlias", 2) }, "UpdateAlias",
			map[string]string{"steps": "50,100", "interval": "1s"}},
		// New code was uploaded just before the action runs, as a workflow
		// step does: $LATEST is InProgress, and PublishVersion fails until
		// Lambda has applied it.
		{"function still being updated", func(p *faultproxy.Proxy, fn string) { p.BeginUpdate(fn) }, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, w := world(t, "conflict")
			p := realProxy(t, srv.URL)
			tc.setup(p, w.Function)
			in := map[string]string{"function-name": w.Function, "alias": "prod"}
			maps.Copy(in, tc.in)
			r := runAction(t, srv, in, Options{Proxy: p})
			if r.Code != 0 {
				t.Fatalf("exit %d, want 0: an update in progress is waited out", r.Code)
			}
			wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})
			if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
				t.Errorf("alias routes %s, want 2", got)
			}
			st := p.RealismStats()
			if tc.op != "" {
				if st.UpdateConflicts != 2 {
					t.Errorf("%d answers 409, want 2", st.UpdateConflicts)
				}
				var answers []string
				for _, rec := range p.Requests() {
					if rec.Op.Name == tc.op {
						answers = append(answers, answerClass(rec.Status))
					}
				}
				if len(answers) < 3 || !slices.Equal(answers[:3], []string{"409", "409", "2xx"}) {
					t.Errorf("%s answered %v, want 409, 409, 2xx first", tc.op, answers)
				}
				return
			}
			busy := false
			for _, rec := range p.Requests() {
				busy = busy || rec.Realism == "LastUpdateStatus=InProgress"
			}
			if !busy {
				t.Error("the run never read the function as being updated: the scenario did not happen")
			}
		})
	}
}

// TestPendingVersionGetsNoTrafficUntilActive: a new version can stay
// Pending for a while (SnapStart snapshots it), and Lambda does not invoke
// a Pending version: no smoke test and no weight may reach it before it is
// Active.
func TestPendingVersionGetsNoTrafficUntilActive(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "pending")
	p := faultproxy.NewT(t, srv.URL)
	rl := faultproxy.DefaultRealism()
	rl.PendingReads, rl.PendingFor = 0, 4*time.Second // Pending for 4 s, however often it is read
	p.SetRealism(rl)
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "50,100", "interval": "1s",
		"smoke-test-payload": `{"ping":true}`}, Options{Proxy: p})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})
	st := p.RealismStats()
	if st.PendingInvokes != 0 || len(st.Violations) != 0 {
		t.Errorf("%d invocations and %d alias moves reached version 2 while it was Pending", st.PendingInvokes, len(st.Violations))
	}
	reqs := p.Requests()
	lastPending, firstUse := -1, -1
	for i, rec := range reqs {
		switch {
		case rec.Realism == "State=Pending":
			lastPending = i
		case firstUse < 0 && (rec.Op.Name == "Invoke" || rec.Op.Name == "UpdateAlias"):
			firstUse = i
		}
	}
	if lastPending < 0 {
		t.Fatal("version 2 was never read as Pending: the scenario did not happen")
	}
	if firstUse < lastPending {
		t.Errorf("request %d (%s) used version 2 before request %d read it Pending", firstUse, reqs[firstUse].Op.Name, lastPending)
	}
	if n := p.Count("Invoke"); n != 1 {
		t.Errorf("%d smoke-test invocations, want exactly 1", n)
	}
}

// The role the tests assume; moto's STS takes any role.
const assumedRole = "arn:aws:iam::123456789012:role/github-deploy"

// TestRoleToAssumeOutlivesSessionCredentials runs a rollout twice as long
// as the session credentials STS issues last, with role-to-assume and the
// job's OIDC token: the run renews them, no call is refused as expired, and
// the alias ends whole.
func TestRoleToAssumeOutlivesSessionCredentials(t *testing.T) {
	t.Parallel()
	skipLong(t, "a rollout of 40 s")
	srv, w := world(t, "assumed")
	idp := oidc.NewT(t)
	p := realProxy(t, srv.URL)
	ttl := faultproxy.DefaultRealism().SessionTTL
	start := time.Now()
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,50,100", "interval": "20s",
		"role-to-assume": assumedRole}, Options{Proxy: p, Env: idp.Env()})
	took := time.Since(start)

	route := aliasRoute(t, srv, w.Function, "prod")
	switch {
	case strings.Contains(route, "+"):
		t.Fatalf("the alias is split: %s", route)
	case r.Code == 0:
		wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})
		if route != "2" {
			t.Errorf("exit 0 but the alias routes %s", route)
		}
	default:
		t.Errorf("exit %d, want 0: renewed credentials keep the rollout going", r.Code)
		wantOutputs(t, r, map[string]string{"status": "rolled-back", "version": "1"})
	}
	if took < 2*ttl {
		t.Fatalf("the run took %s, not twice the credentials' %s: it did not outlive them", took.Round(time.Second), ttl)
	}

	st := p.RealismStats()
	if st.Expired != 0 || st.WebIdentityRejected != 0 {
		t.Errorf("%d calls refused as expired and %d web identities refused, want none", st.Expired, st.WebIdentityRejected)
	}
	if len(st.Issued) < 2 {
		t.Fatalf("STS issued %d sets of credentials, want a new set before the first expired", len(st.Issued))
	}
	issued := map[string]faultproxy.Issued{}
	for _, c := range st.Issued {
		issued[c.AccessKeyID] = c
		if c.Op != "AssumeRoleWithWebIdentity" || c.RoleARN != assumedRole {
			t.Errorf("credentials %s came from %s of %s, want AssumeRoleWithWebIdentity of %s", c.AccessKeyID, c.Op, c.RoleARN, assumedRole)
		}
	}
	// Every call to Lambda is signed with the role's credentials, and the
	// last ones with credentials issued after the first set expired.
	var last faultproxy.Issued
	for _, rec := range p.Requests() {
		if rec.Op.Service != "lambda" {
			continue
		}
		key := signedBy(rec)
		c, ok := issued[key]
		if !ok {
			t.Fatalf("%s was signed with %q, not with the role's credentials", rec.Op, key)
		}
		last = c
	}
	if first := st.Issued[0]; !last.Expires.After(first.Expires.Add(ttl)) {
		t.Errorf("the last call to Lambda used credentials expiring at %s, issued before the first set (expiring at %s) ran out", last.Expires, first.Expires)
	}
	reqs := idp.Requests()
	if len(reqs) < 2 {
		t.Errorf("the job's OIDC token was asked for %d times, want once per set of credentials", len(reqs))
	}
	for _, q := range reqs {
		if q.Audience != "sts.amazonaws.com" || q.Status != http.StatusOK {
			t.Errorf("OIDC token asked for audience %q, answered %d; want sts.amazonaws.com, 200", q.Audience, q.Status)
		}
	}
}

// TestExpiringCredentialsAreRenewed: credentials that carry their expiry,
// here from a container credentials endpoint as a CodeBuild- or ECS-hosted
// runner has them, come from a source the SDK renews them from before they
// expire; a rollout that outlives one set ends whole on the next. (Session
// credentials of unknown lifetime are warned of, and a plan longer than
// credentials that cannot be renewed is refused: see the promote tests.)
func TestExpiringCredentialsAreRenewed(t *testing.T) {
	t.Parallel()
	skipLong(t, "a rollout of 25 s on 10-second credentials")
	srv, w := world(t, "renewed")
	var issued atomic.Int64
	p := realProxy(t, srv.URL)
	endpoint := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		key := strings.ToUpper(strings.ReplaceAll(unique("ASIARENEWED"), "-", "")) + "N" + strconv.FormatInt(issued.Add(1), 10)
		expires := time.Now().Add(10 * time.Second).UTC().Truncate(time.Second)
		p.ExpireKey(key, expires)
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(map[string]string{
			"AccessKeyId": key, "SecretAccessKey": "container-secret", "Token": "container-session",
			"Expiration": expires.Format(time.RFC3339),
		})
	}))
	t.Cleanup(endpoint.Close)
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "steps": "10,50,100", "interval": "12s"}, Options{
		Proxy: p,
		Env: []string{
			// No keys in the environment: the SDK's chain goes on to the
			// container endpoint.
			"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + endpoint.URL + "/v2/credentials",
		},
	})
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0: the SDK renews the container's credentials", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})
	keys := map[string]bool{}
	for _, rec := range r.Proxy.Requests() {
		keys[signedBy(rec)] = true
	}
	if len(keys) < 2 {
		t.Errorf("requests signed with %d keys, want the run to renew its credentials at least once", len(keys))
	}
	if n := r.Proxy.RealismStats().Expired; n != 0 {
		t.Errorf("%d requests were answered as signed with expired credentials", n)
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
		t.Errorf("alias routes %s, want 2", got)
	}
}

// answerClass is an HTTP status as "2xx", or the status itself.
func answerClass(status int) string {
	if status/100 == 2 {
		return "2xx"
	}
	return strconv.Itoa(status)
}

// signedBy is the access key id that signed a request.
func signedBy(rec faultproxy.Record) string {
	_, rest, ok := strings.Cut(rec.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
