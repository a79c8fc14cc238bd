package oidc_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/oidc"
)

// get calls url with the Authorization header auth ("" for none).
func get(t *testing.T, url, auth string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// publicKey reads the first key of the endpoint's JWKS.
func publicKey(t *testing.T, s *oidc.Server) *rsa.PublicKey {
	t.Helper()
	status, b := get(t, s.JWKSURL(), "")
	var set struct{ Keys []struct{ N, E string } }
	if err := json.Unmarshal(b, &set); status != http.StatusOK || err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS: %d %s (%v)", status, b, err)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, err2 := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	if err1 != nil || err2 != nil {
		t.Fatalf("JWKS key: %v %v", err1, err2)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

func TestToken(t *testing.T) {
	t.Parallel()
	s, err := oidc.New(oidc.Options{TTL: time.Minute, Subject: "repo:acme/orders:environment:prod"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)

	env := s.Env()
	if diff := cmp.Diff([]string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + s.RequestURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + s.RequestToken}, env); diff != "" {
		t.Errorf("Env() (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.RequestURL, "?") || s.RequestToken == "" {
		t.Errorf("RequestURL %q must carry a query (clients append &audience=), RequestToken %q must be set", s.RequestURL, s.RequestToken)
	}

	// Without the request token: refused.
	if status, _ := get(t, s.RequestURL+"&audience=sts.amazonaws.com", ""); status != http.StatusUnauthorized {
		t.Errorf("no Authorization: %d, want 401", status)
	}
	if status, _ := get(t, s.RequestURL+"&audience=sts.amazonaws.com", "Bearer wrong"); status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", status)
	}

	before := time.Now()
	status, b := get(t, s.RequestURL+"&audience=sts.amazonaws.com", "Bearer "+s.RequestToken)
	var out struct{ Value string }
	if err := json.Unmarshal(b, &out); status != http.StatusOK || err != nil || out.Value == "" {
		t.Fatalf("token: %d %s (%v)", status, b, err)
	}
	parts := strings.Split(out.Value, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWT", out.Value)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(publicKey(t, s), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature does not verify with the JWKS key: %v", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Iss, Aud, Sub string
		Exp, Iat      int64
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Iss != oidc.Issuer || claims.Aud != "sts.amazonaws.com" || claims.Sub != "repo:acme/orders:environment:prod" {
		t.Errorf("claims = %+v", claims)
	}
	if exp := time.Unix(claims.Exp, 0); exp.Before(before.Add(time.Minute-time.Second)) || exp.After(time.Now().Add(time.Minute)) {
		t.Errorf("exp = %v, want a minute after %v", exp, before)
	}

	type seen struct {
		Audience, Authorization string
		Status                  int
		Token                   bool
	}
	var got []seen
	for _, r := range s.Requests() {
		got = append(got, seen{r.Audience, r.Authorization, r.Status, r.Token != ""})
	}
	want := []seen{
		{"sts.amazonaws.com", "", 401, false},
		{"sts.amazonaws.com", "Bearer wrong", 401, false},
		{"sts.amazonaws.com", "Bearer " + s.RequestToken, 200, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Requests() (-want +got):\n%s", diff)
	}
}
