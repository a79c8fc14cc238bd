package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/runner"
)

// Recognizable secrets. moto accepts any keys; AWS_* here come after
// srv.Env() in the run's environment, so they are the ones the SDK signs with.
const (
	secretToken   = "ghs_SECRETtoken1234567890"
	secretKeyID   = "AKIASECRETKEY1234567"
	secretKey     = "secretSECRETsecret+key/1234"
	secretSession = "IQoJb3JpZ2luX2VjSECRETsessionTOKEN0123456789"
)

// secretNeedles are what no output may contain: the secrets, their encoded
// forms, and fragments that survive any encoding that keeps letters.
var secretNeedles = []string{
	secretToken, secretKeyID, secretKey, secretSession,
	url.QueryEscape(secretKey), url.PathEscape(secretKey),
	"SECRETtoken", "SECRETKEY", "SECRETsecret", "SECRETsession",
}

// secretRun is a run with the secrets set, with its output and summary files
// as written and every request GitHub received.
type secretRun struct {
	Run
	OutputsFile string
	SummaryFile string
	Requests    []ghRequest
}

func runWithSecrets(t *testing.T, srv *moto.Server, gh *ghAPI, inputs map[string]string, event string, o Options) secretRun {
	t.Helper()
	dir := t.TempDir()
	outPath, sumPath := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, p := range []string{outPath, sumPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(append(o.Env, gh.env(t, event)...),
		"GITHUB_OUTPUT="+outPath,
		"GITHUB_STEP_SUMMARY="+sumPath,
		"AWS_ACCESS_KEY_ID="+secretKeyID,
		"AWS_SECRET_ACCESS_KEY="+secretKey,
		"AWS_SESSION_TOKEN="+secretSession,
	)
	in := map[string]string{"github-token": secretToken, "comment": "true", "deployment": "true"}
	for k, v := range inputs {
		in[k] = v
	}
	o.Env = env
	r := runAction(t, srv, in, o)
	out, err := os.ReadFile(outPath)
	must(t, err)
	sum, err := os.ReadFile(sumPath)
	must(t, err)
	r.Outputs = runner.ParseOutputs(string(out))
	r.Summary = string(sum)
	return secretRun{Run: r, OutputsFile: string(out), SummaryFile: string(sum), Requests: gh.requests()}
}

// wantNoSecrets scans everything the run printed, wrote or sent. The only
// places a secret may be are a ::add-mask:: line for it (which must be the
// first line of stdout for the token, before anything could print it) and
// the Authorization header of GitHub requests.
func wantNoSecrets(t *testing.T, r secretRun) {
	t.Helper()
	lines := strings.Split(r.Stdout, "\n")
	if lines[0] != "::add-mask::"+secretToken {
		t.Errorf("stdout starts with %q, want ::add-mask:: of the token first", lines[0])
	}
	var kept []string
	for _, line := range lines {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok && (v == secretToken || v == secretKeyID || v == secretKey || v == secretSession) {
			continue
		}
		kept = append(kept, line)
	}
	places := map[string]string{
		"stdout":       strings.Join(kept, "\n"),
		"stderr":       r.Stderr,
		"outputs file": r.OutputsFile,
		"summary file": r.SummaryFile,
	}
	for i, req := range r.Requests {
		name := fmt.Sprintf("GitHub request %d (%s)", i, req)
		places[name+" URL"] = req.Path + "?" + req.Query
		places[name+" body"] = string(req.Raw)
		var hs []string
		for k, vs := range req.Header {
			if k != "Authorization" {
				hs = append(hs, k+": "+strings.Join(vs, ", "))
			}
		}
		sort.Strings(hs)
		places[name+" headers"] = strings.Join(hs, "\n")
	}
	for place, text := range places {
		for _, s := range secretNeedles {
			if i := strings.Index(text, s); i >= 0 {
				lo, hi := max(0, i-80), min(len(text), i+len(s)+80)
				t.Errorf("%s contains secret %q: …%s…", place, s, text[lo:hi])
			}
		}
	}
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, srv *moto.Server, w moto.World, gh *ghAPI) map[string]string
		check func(t *testing.T, r secretRun)
	}{
		{
			name: "promoted",
			setup: func(t *testing.T, srv *moto.Server, w moto.World, gh *ghAPI) map[string]string {
				return map[string]string{"api-id": w.RESTAPIID, "stage": "prod"}
			},
			check: func(t *testing.T, r secretRun) {
				if r.Code != 0 || r.Outputs["status"] != "promoted" {
					t.Errorf("exit %d, status %q, want 0 and promoted", r.Code, r.Outputs["status"])
				}
			},
		},
		{
			name: "failed checks",
			setup: func(t *testing.T, srv *moto.Server, w moto.World, gh *ghAPI) map[string]string {
				api, err := srv.CreateRESTStage(context.Background(), w.Function, "prod", "staging")
				must(t, err)
				must(t, srv.AllowAPIGateway(context.Background(), w.Function, "prod", api))
				return map[string]string{"api-id": api, "stage": "prod"}
			},
			check: func(t *testing.T, r secretRun) {
				if r.Code == 0 || r.Outputs["status"] != "failed" {
					t.Errorf("exit %d, status %q, want non-zero and failed", r.Code, r.Outputs["status"])
				}
			},
		},
		{
			name: "bad input",
			setup: func(t *testing.T, srv *moto.Server, w moto.World, gh *ghAPI) map[string]string {
				// The token pasted into another input must not be echoed.
				return map[string]string{"traffic-weight": secretToken, "interval": "soon"}
			},
			check: func(t *testing.T, r secretRun) {
				if r.Code == 0 || r.Outputs["status"] != "failed" {
					t.Errorf("exit %d, status %q, want non-zero and failed", r.Code, r.Outputs["status"])
				}
				for _, in := range []string{"traffic-weight", "interval"} {
					if !strings.Contains(r.Stdout, `input "`+in+`"`) {
						t.Errorf("no error names input %q", in)
					}
				}
				if len(r.Requests) != 0 {
					t.Errorf("bad input, yet GitHub got %v", ghNames(r.Requests))
				}
			},
		},
		{
			name: "GitHub fails and echoes the token",
			setup: func(t *testing.T, srv *moto.Server, w moto.World, gh *ghAPI) map[string]string {
				gh.fail, gh.echo = http.StatusUnauthorized, true
				return map[string]string{"api-id": w.RESTAPIID, "stage": "prod"}
			},
			check: func(t *testing.T, r secretRun) {
				if r.Code != 0 || r.Outputs["status"] != "promoted" {
					t.Errorf("exit %d, status %q, want 0 and promoted", r.Code, r.Outputs["status"])
				}
				if !strings.Contains(r.Stdout, "::warning::") || !strings.Contains(r.Stdout, "401") {
					t.Errorf("no warning about GitHub's 401: the echoed message was not exercised")
				}
			},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, w := world(t, "secrets"+string(rune('a'+i)))
			gh := newGHAPI(t)
			gh.pulls = []ghPull{{ghPR, "open"}}
			in := map[string]string{"function-name": w.Function, "alias": "prod"}
			for k, v := range tc.setup(t, srv, w, gh) {
				in[k] = v
			}
			r := runWithSecrets(t, srv, gh, in, "push", Options{})
			tc.check(t, r)
			if tc.name != "bad input" {
				// The scan sees the token where it belongs.
				if len(r.Requests) == 0 {
					t.Fatal("no request reached GitHub: nothing was scanned there")
				}
				ghWantAuth(t, r.Requests, secretToken)
			}
			wantNoSecrets(t, r)
		})
	}
}

// TestAWSKeyEchoedByAWSIsNotShown: AWS quotes the Authorization header,
// access key id included, in some errors, e.g. IncompleteSignatureException
// "… in Authorization header: 'AWS4-HMAC-SHA256 Credential=AKIA…/…'". The run
// fails, and says so everywhere, without the key id.
func TestAWSKeyEchoedByAWSIsNotShown(t *testing.T) {
	t.Parallel()
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", "IncompleteSignatureException")
		w.Header().Set("X-Amzn-RequestId", "6c1b6b0e-0b4e-4c8e-9a43-0d5f3f1e2a10")
		w.WriteHeader(http.StatusBadRequest)
		msg := "'" + r.Header.Get("X-Amz-Date") + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + r.Header.Get("Authorization") + "'."
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}))
	t.Cleanup(aws.Close)
	gh := newGHAPI(t)
	gh.pulls = []ghPull{{ghPR, "open"}}

	r := runWithSecrets(t, nil, gh, map[string]string{"function-name": "echoed", "alias": "prod"}, "push",
		Options{Endpoint: aws.URL, Env: []string{"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"},
			Bare: "the fake AWS refuses every request, so there is no behaviour of AWS's to model; the echo must reach the binary as AWS sends it"})
	if r.Code == 0 || r.Outputs["status"] != "failed" {
		t.Errorf("exit %d, status %q, want non-zero and failed", r.Code, r.Outputs["status"])
	}
	if !strings.Contains(r.Stdout, "IncompleteSignatureException") {
		t.Fatalf("the run does not report AWS's error: the echo was not exercised")
	}
	if len(r.Requests) == 0 {
		t.Fatal("no request reached GitHub: nothing was scanned there")
	}
	ghWantAuth(t, r.Requests, secretToken)
	wantNoSecrets(t, r)
}
