// Package githubapi is the fake GitHub REST API of the tests, judged by
// GitHub's own published OpenAPI description (the npm package
// @octokit/openapi, release Version) rather than by our reading of GitHub's
// docs.
//
// A Server is an httptest server under Prefix, as GitHub Enterprise Server's
// API is. Every request it gets is checked against the operation the
// description gives for its method and path before the test's handler sees
// it, and every answer the handler writes is checked against that
// operation's response before the client sees it. A mismatch fails the test
// with the operation and the field named. The builders (User, Comment,
// PullRequest, Deployment, DeploymentStatus, Error) make objects in the
// shape GitHub answers.
package githubapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Prefix is the path the fake API lives under, as on GitHub Enterprise
// Server (https://HOST/api/v3), so that a request built from an absolute
// path, which ignores GITHUB_API_URL's path, misses it.
const Prefix = "/api/v3"

// Server is a fake GitHub API whose every request and answer is judged.
type Server struct {
	// URL is the API's base URL, for GITHUB_API_URL: the server's address
	// and Prefix, without a trailing slash, as the runner sets it.
	URL string
	// Web is the server's root, standing in for https://github.com in
	// the html_url of the objects it answers.
	Web string

	judge  *Judge
	srv    *httptest.Server
	report func(msg string)
}

// Option changes a Server.
type Option func(*Server)

// ReportTo sends each mismatch to f instead of failing the test, for tests
// that show the judge at work.
func ReportTo(f func(msg string)) Option {
	return func(s *Server) { s.report = f }
}

// New starts a fake GitHub API that serves h under Prefix, and closes it when
// the test ends. h sees each request with the prefix stripped from its path
// and its body as sent, once the request has been judged; a request the
// description refuses is answered as GitHub would (404 for an unknown path,
// 422 for a bad body or parameter) without reaching h. A request without an
// Authorization header is answered 401: lambda-promote always sends its
// token, and GitHub refuses every write without one. One without a
// User-Agent is answered 403, as GitHub does. The test is skipped,
// or fails under CI=true, when the description is not installed.
func New(tb testing.TB, h http.Handler, opts ...Option) *Server {
	tb.Helper()
	s := &Server{judge: Default(tb), report: func(msg string) { tb.Errorf("%s", msg) }}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s.serve(h))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + Prefix
	s.Web = s.srv.URL
	return s
}

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server, for a test of a GitHub that cannot be reached.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) serve(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, Prefix+"/")
		if !ok {
			s.report(fmt.Sprintf("GitHub request %s %s is outside %s/: a path built as absolute ignores GITHUB_API_URL's path", r.Method, r.URL.Path, Prefix))
			s.answerError(w, http.StatusNotFound, "Not Found")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.report(fmt.Sprintf("GitHub request %s %s: read body: %v", r.Method, r.URL.Path, err))
			return
		}
		api := r.Clone(r.Context())
		api.URL.Path = "/" + rest
		api.URL.RawPath = ""
		if r.URL.RawPath != "" {
			api.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, Prefix)
		}
		api.RequestURI = api.URL.RequestURI()
		if r.Header.Get("Authorization") == "" {
			s.report(fmt.Sprintf("GitHub request %s %s carries no Authorization header", r.Method, api.URL.Path))
			s.answerError(w, http.StatusUnauthorized, "Requires authentication")
			return
		}
		// "Requests with no User-Agent header will be rejected" (403):
		// https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
		if r.Header.Get("User-Agent") == "" {
			s.report(fmt.Sprintf("GitHub request %s %s carries no User-Agent header, which GitHub refuses", r.Method, api.URL.Path))
			s.answerError(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header")
			return
		}
		x, err := s.judge.Request(api, body)
		if err != nil {
			s.report(err.Error())
			if x == nil {
				s.answerError(w, http.StatusNotFound, "Not Found")
			} else {
				s.answerError(w, http.StatusUnprocessableEntity, "Validation Failed: "+err.Error())
			}
			return
		}
		api.Body = io.NopCloser(strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, api)
		res := rec.Result()
		got := rec.Body.Bytes()
		if err := x.Response(res.StatusCode, res.Header, got); err != nil {
			s.report(err.Error())
		}
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(got)
	}
}

// answerError answers as GitHub does when it refuses a request.
func (s *Server) answerError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, Error(status, msg))
}

// Body is the JSON object request r carries, for a handler to read; the
// test fails when it is not one.
func Body(tb testing.TB, r *http.Request) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		tb.Errorf("%s %s: body: %v", r.Method, r.URL.Path, err)
	}
	return m
}

// WriteJSON answers v as JSON with status, as GitHub does.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
