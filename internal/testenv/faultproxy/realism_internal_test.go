package faultproxy

import (
	"encoding/base64"
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
