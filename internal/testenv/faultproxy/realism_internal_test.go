package faultproxy

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestLambdaTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url           string
		fn, qualifier string
	}{
		{"/2015-03-31/functions/orders/configuration", "orders", ""},
		{"/2015-03-31/functions/orders/configuration?Qualifier=7", "orders", "7"},
		{"/2015-03-31/functions/orders:7/invocations", "orders", "7"},
		{"/2015-03-31/functions/orders:prod/invocations?Qualifier=7", "orders", "7"},
		{"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders/versions", "orders", ""},
		{"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders%3A3/invocations", "orders", "3"},
		{"/2015-03-31/functions/123456789012%3Afunction%3Aorders%3A%24LATEST", "orders", "$LATEST"},
		{"/2015-03-31/functions", "", ""},
		{"/restapis/abc/stages/prod", "", ""},
	}
	for _, tt := range tests {
		fn, q := lambdaTarget(httptest.NewRequest("GET", tt.url, nil))
		if fn != tt.fn || q != tt.qualifier {
			t.Errorf("lambdaTarget(%s) = %q, %q; want %q, %q", tt.url, fn, q, tt.fn, tt.qualifier)
		}
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	now := time.Now()
	if w := newWindow(0, 0, now); w != nil {
		t.Errorf("newWindow(0, 0) = %+v, want nil: the behaviour is off", w)
	}
	reads := newWindow(2, 0, now)
	later := now.Add(time.Hour)
	var got []bool
	for range 3 {
		got = append(got, reads.read(later))
	}
	if !slices.Equal(got, []bool{true, true, false}) {
		t.Errorf("reads of a window of 2 reads = %v, want 2 inside and the third outside, whatever the time", got)
	}
	timed := newWindow(0, time.Second, now)
	for range 5 {
		if !timed.read(now) {
			t.Fatal("a window of 1s ended on reads")
		}
	}
	if timed.read(now.Add(time.Second)) {
		t.Error("a window of 1s is still open after 1s")
	}
	both := newWindow(10, time.Second, now)
	if both.read(now.Add(time.Second)) {
		t.Error("a window of 10 reads or 1s is still open after 1s")
	}
}

func TestJWTClaims(t *testing.T) {
	t.Parallel()
	tok := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	tests := []struct {
		token string
		ok    bool
		aud   bool // has audience sts.amazonaws.com
		exp   int64
	}{
		{tok(`{"aud":"sts.amazonaws.com","exp":5}`), true, true, 5},
		{tok(`{"aud":["x","sts.amazonaws.com"]}`), true, true, 0},
		{tok(`{"aud":"api://AzureADTokenExchange"}`), true, false, 0},
		{tok(`{"aud":7}`), true, false, 0},
		{tok(`not json`), false, false, 0},
		{"a.b", false, false, 0},
		{"", false, false, 0},
	}
	for _, tt := range tests {
		c, ok := jwtClaims(tt.token)
		if ok != tt.ok || (ok && (c.hasAudience("sts.amazonaws.com") != tt.aud || c.Exp != tt.exp)) {
			t.Errorf("jwtClaims(%q) = %+v, %v; want ok %v, audience %v, exp %d", tt.token, c, ok, tt.ok, tt.aud, tt.exp)
		}
	}
}

func FuzzJWTClaims(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.sig")
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, token string) {
		c, ok := jwtClaims(token)
		if !ok && (c.Exp != 0 || c.Aud != nil) {
			t.Errorf("jwtClaims(%q) = %+v with ok false", token, c)
		}
		_ = c.hasAudience("sts.amazonaws.com")
	})
}

// Each of Lambda's request quotas is counted on its own, per account and
// Region and second: a full control plane leaves GetFunction and GetPolicy
// their own quotas, and the invocations count in none.
func TestQuotaPerGroup(t *testing.T) {
	t.Parallel()
	rl := newRealism()
	rl.cfg = DefaultRealism()
	const other = "AKIAOTHERACCOUNT"
	rl.stats.Issued = []Issued{{AccessKeyID: other, Op: "AssumeRole", RoleARN: "arn:aws:iam::210987654321:role/deploy"}}
	t0 := time.Unix(1_800_000_000, 0)
	req := func(key, region string) *http.Request {
		r := httptest.NewRequest("GET", "/2015-03-31/functions/orders", nil)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20270115/"+region+"/lambda/aws4_request, SignedHeaders=host, Signature=0")
		return r
	}
	// call makes n calls of op and returns how many were answered 429,
	// each as Lambda answers a throttled request.
	call := func(op, key, region string, at time.Time, n int) int {
		throttled := 0
		for range n {
			a := rl.quota(req(key, region), Op{Service: "lambda", Name: op}, at)
			if a == nil {
				continue
			}
			throttled++
			if a.err.status != http.StatusTooManyRequests || a.err.code != "TooManyRequestsException" || a.err.reason != "CallerRateLimitExceeded" {
				t.Errorf("%s throttled as %+v, want 429 TooManyRequestsException, Reason CallerRateLimitExceeded", op, a.err)
			}
		}
		return throttled
	}
	const key, region = "AKIADEFAULT", "us-east-1"
	for _, tc := range []struct {
		what      string
		op, key   string
		region    string
		at        time.Time
		n, wantOK int
	}{
		{"the control plane's quota, across its operations", "GetAlias", key, region, t0, 10, 10},
		{"the control plane's quota, across its operations", "UpdateAlias", key, region, t0, 10, 5},
		{"GetFunction's own, the control plane full", "GetFunction", key, region, t0, 110, 100},
		{"GetPolicy's own", "GetPolicy", key, region, t0, 20, 15},
		{"GetFunctionConfiguration is the control plane's", "GetFunctionConfiguration", key, region, t0, 1, 0},
		{"the invocations in none", "Invoke", key, region, t0, 50, 50},
		{"the invocations in none", "InvokeWithResponseStream", key, region, t0, 5, 5},
		{"another Region's quotas", "GetAlias", key, "eu-west-1", t0, 20, 15},
		{"another account's quotas", "GetAlias", other, region, t0, 20, 15},
		{"the next second's", "PublishVersion", key, region, t0.Add(time.Second), 20, 15},
		{"the next second's", "GetPolicy", key, region, t0.Add(1500 * time.Millisecond), 15, 15},
	} {
		if got := tc.n - call(tc.op, tc.key, tc.region, tc.at, tc.n); got != tc.wantOK {
			t.Errorf("%s: %d of %d %s let through, want %d", tc.what, got, tc.n, tc.op, tc.wantOK)
		}
	}
	first := rl.seconds[secondKey{region: region, sec: t0.Unix()}]
	if first == nil {
		t.Fatal("the first second was not counted")
	}
	want := SecondCount{Start: t0, Region: region, ControlPlane: 21, GetFunction: 110, GetPolicy: 20, Throttled: 5 + 10 + 5 + 1}
	if first.SecondCount != want {
		t.Errorf("first second counted %+v, want %+v", first.SecondCount, want)
	}
	if got := rl.seconds[secondKey{account: "210987654321", region: region, sec: t0.Unix()}]; got == nil || got.ControlPlane != 20 {
		t.Errorf("the other account's second counted %+v, want 20 control-plane requests", got)
	}
}
