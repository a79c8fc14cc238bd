// Package oidc is a fake of the GitHub Actions OIDC token endpoint for
// tests: the URL and bearer token a job with `id-token: write` finds in
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, answering
// GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with {"value": "<JWT>"}.
// It records every request, so a test can check the audience asked for and
// that the request token was sent.
//
// The contract is GitHub's "Methods for requesting the OIDC token":
// https://docs.github.com/en/actions/reference/security/oidc#methods-for-requesting-the-oidc-token
//
//	idp := oidc.NewT(t)
//	cmd.Env = append(cmd.Env, idp.Env()...)
//	...
//	reqs := idp.Requests() // reqs[0].Audience == "sts.amazonaws.com"
package oidc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Issuer is the iss claim of GitHub's tokens.
const Issuer = "https://token.actions.githubusercontent.com"

// tokenPath is the path of the token endpoint, shaped like the runner's.
const tokenPath = "/_apis/distributedtask/hubs/Actions/plans/plan/jobs/job/idtoken"

// Options change the tokens a Server issues.
type Options struct {
	// TTL is how long a token is valid; 0 means 5 minutes.
	TTL time.Duration
	// Subject is the sub claim; "" means repo:octo-org/octo-repo:ref:refs/heads/main.
	Subject string
}

// Request is one request the endpoint received.
type Request struct {
	At            time.Time
	Audience      string // the audience query parameter, "" when absent
	Authorization string // the Authorization header as sent
	// Status is the answer: 200 with a token, 401 without the request
	// token.
	Status int
	Token  string // the JWT issued, "" when refused
}

// Server is a running fake token endpoint on 127.0.0.1.
type Server struct {
	// RequestURL and RequestToken are the values of
	// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestURL   string
	RequestToken string

	opts   Options
	key    *rsa.PrivateKey
	kid    string
	server *httptest.Server

	mu       sync.Mutex
	requests []Request
	seq      int
}

// New starts an endpoint; call Close when done.
func New(o Options) (*Server, error) {
	if o.TTL <= 0 {
		o.TTL = 5 * time.Minute
	}
	if o.Subject == "" {
		o.Subject = "repo:octo-org/octo-repo:ref:refs/heads/main"
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, key: key, kid: "fake-" + strconv.FormatInt(time.Now().UnixNano(), 36), RequestToken: rand.Text()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+tokenPath, s.token)
	mux.HandleFunc("GET /.well-known/jwks", s.jwks)
	s.server = httptest.NewServer(mux)
	// The runner's URL carries a query, so a client appends &audience=.
	s.RequestURL = s.server.URL + tokenPath + "?api-version=2.0"
	return s, nil
}

// NewT starts an endpoint for a test and closes it when the test ends.
func NewT(t testing.TB) *Server {
	t.Helper()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the endpoint.
func (s *Server) Close() { s.server.Close() }

// Env is the two variables a job with `id-token: write` gets.
func (s *Server) Env() []string {
	return []string{
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + s.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + s.RequestToken,
	}
}

// JWKSURL is where the endpoint publishes the public key of its tokens.
func (s *Server) JWKSURL() string { return s.server.URL + "/.well-known/jwks" }

// Requests is a copy of the requests received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	rec := Request{At: now, Audience: r.URL.Query().Get("audience"), Authorization: r.Header.Get("Authorization")}
	// The runner's endpoint takes the request token as a bearer token;
	// curl examples spell the scheme "bearer", the toolkit "Bearer".
	if rec.Authorization != "Bearer "+s.RequestToken && rec.Authorization != "bearer "+s.RequestToken {
		rec.Status = http.StatusUnauthorized
		s.record(rec)
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	aud := rec.Audience
	if aud == "" {
		// Without an audience GitHub uses the URL of the repository owner.
		aud = "https://github.com/octo-org"
	}
	tok, err := s.sign(aud, now)
	if err != nil {
		rec.Status = http.StatusInternalServerError
		s.record(rec)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rec.Status, rec.Token = http.StatusOK, tok
	s.record(rec)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"count": len(tok), "value": tok})
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// sign makes an RS256 JWT with the claims GitHub's tokens carry.
// https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims
func (s *Server) sign(aud string, now time.Time) (string, error) {
	s.mu.Lock()
	s.seq++
	jti := strconv.Itoa(s.seq)
	s.mu.Unlock()
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": s.kid})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss": Issuer,
		"aud": aud,
		"sub": s.opts.Subject,
		"iat": now.Unix(),
		"nbf": now.Add(-5 * time.Second).Unix(),
		"exp": now.Add(s.opts.TTL).Unix(),
		"jti": jti,
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// jwks publishes the public key, as GitHub does at
// https://token.actions.githubusercontent.com/.well-known/jwks.
func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	enc := base64.RawURLEncoding
	pub := s.key.PublicKey
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": s.kid,
		"n": enc.EncodeToString(pub.N.Bytes()),
		"e": enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}
