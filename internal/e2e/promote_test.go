package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// sharedMoto is the moto server the tests of this package share; each test
// uses functions of its own name (unique). TestMain stops it.
func sharedMoto(t *testing.T) *moto.Server { return moto.Shared(t) }

// world seeds the README's world for a function named fn and a number of
// its own (see unique): v1 behind prod, a REST stage prod calling
// ${stageVariables.lambdaAlias}, the permission, new code.
func world(t *testing.T, fn string) (*moto.Server, moto.World) {
	t.Helper()
	srv := sharedMoto(t)
	w, err := srv.Demo(context.Background(), unique(fn))
	if err != nil {
		t.Fatal(err)
	}
	return srv, w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFirstDeployCreatesTheAlias(t *testing.T) {
	t.Parallel()
	srv := sharedMoto(t)
	ctx := context.Background()
	fn := unique("first")
	role, err := srv.CreateRole(ctx, fn+"-role")
	must(t, err)
	_, err = srv.CreateFunction(ctx, fn, role)
	must(t, err)

	r := runAction(t, srv, map[string]string{"function-name": fn, "alias": "prod"}, Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "1", "previous-version": "", "traffic-weight": "100",
		"alias-arn": srv.FunctionARN(fn) + ":prod"})
	if got := aliasRoute(t, srv, fn, "prod"); got != "1" {
		t.Errorf("alias routes %s, want 1", got)
	}
	if !strings.Contains(r.Stdout, "first deploy") {
		t.Errorf("the log does not say this is a first deploy")
	}
}

func TestPromoteAllAtOnce(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "allatonce")
	in := map[string]string{"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod"}

	r := runAction(t, srv, in, Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2", "previous-version": "1", "traffic-weight": "100",
		"stage-url": "https://" + w.RESTAPIID + ".execute-api.us-east-1.amazonaws.com/prod"})
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "2" {
		t.Errorf("alias routes %s, want 2", got)
	}
	for _, want := range []string{"1 → 2", "stage variable", "alias permission", "promoted"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Summary)
		}
	}

	// The same code again: Lambda hands back version 2, nothing moves.
	r = runAction(t, srv, in, Options{})
	if r.Code != 0 {
		t.Fatalf("rerun: exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "unchanged", "version": "2", "previous-version": "2"})
	if n := versions(t, srv, w.Function); n != 2 {
		t.Errorf("%d versions after the rerun, want 2", n)
	}
}

func TestPromoteVersionSourceAliasAndLatest(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "pick")
	ctx := context.Background()
	v2, err := srv.Publish(ctx, w.Function)
	must(t, err)
	must(t, srv.UpdateCode(ctx, w.Function))
	v3, err := srv.Publish(ctx, w.Function)
	must(t, err)
	must(t, srv.CreateAlias(ctx, w.Function, "staging", v3, nil))

	// version: N
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "version": v2}, Options{})
	if r.Code != 0 || aliasRoute(t, srv, w.Function, "prod") != v2 {
		t.Fatalf("version %s: exit %d, alias %s", v2, r.Code, aliasRoute(t, srv, w.Function, "prod"))
	}
	// source-alias: staging → prod
	r = runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "source-alias": "staging"}, Options{})
	if r.Code != 0 || aliasRoute(t, srv, w.Function, "prod") != v3 {
		t.Fatalf("source-alias: exit %d, alias %s", r.Code, aliasRoute(t, srv, w.Function, "prod"))
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": v3, "previous-version": v2})
	// $LATEST on a dev alias, by full ARN.
	r = runAction(t, srv, map[string]string{"function-name": w.FunctionARN, "alias": "dev", "version": "$LATEST"}, Options{})
	if r.Code != 0 || aliasRoute(t, srv, w.Function, "dev") != "$LATEST" {
		t.Fatalf("$LATEST: exit %d, alias %s", r.Code, aliasRoute(t, srv, w.Function, "dev"))
	}
	if n := versions(t, srv, w.Function); n != 3 {
		t.Errorf("%d versions, want 3: no run here publishes", n)
	}
}

func TestHTTPAPIStage(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "httpapi")
	ctx := context.Background()
	api, err := srv.CreateHTTPStage(ctx, w.Function, "prod", "prod")
	must(t, err)
	must(t, srv.AllowAPIGateway(ctx, w.Function, "prod", api))

	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "api-id": api, "stage": "prod"}, Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2",
		"stage-url": "https://" + api + ".execute-api.us-east-1.amazonaws.com/prod"})
	if !strings.Contains(r.Summary, "HTTP API") {
		t.Errorf("summary does not name the HTTP API:\n%s", r.Summary)
	}
}

func TestFailedChecksChangeNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, srv *moto.Server, w moto.World) map[string]string
		want  []string // in the errors printed
	}{
		{
			name: "stage variable names another alias",
			setup: func(t *testing.T, srv *moto.Server, w moto.World) map[string]string {
				api, err := srv.CreateRESTStage(context.Background(), w.Function, "prod", "staging")
				must(t, err)
				must(t, srv.AllowAPIGateway(context.Background(), w.Function, "prod", api))
				return map[string]string{"api-id": api, "stage": "prod"}
			},
			want: []string{"lambdaAlias", "staging", "aws apigateway update-stage"},
		},
		{
			name: "no permission for the alias",
			setup: func(t *testing.T, srv *moto.Server, w moto.World) map[string]string {
				api, err := srv.CreateRESTStage(context.Background(), w.Function, "prod", "prod")
				must(t, err)
				return map[string]string{"api-id": api, "stage": "prod"}
			},
			want: []string{"alias permission", "aws lambda add-permission"},
		},
		{
			name: "stage does not exist",
			setup: func(t *testing.T, srv *moto.Server, w moto.World) map[string]string {
				return map[string]string{"api-id": w.RESTAPIID, "stage": "nope"}
			},
			want: []string{"nope"},
		},
		{
			name: "function does not exist",
			setup: func(t *testing.T, srv *moto.Server, w moto.World) map[string]string {
				return map[string]string{"function-name": "no-such-function"}
			},
			want: []string{"no-such-function", "list-functions"},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, w := world(t, "checks"+string(rune('a'+i)))
			in := map[string]string{"function-name": w.Function, "alias": "prod"}
			for k, v := range tc.setup(t, srv, w) {
				in[k] = v
			}
			r := runAction(t, srv, in, Options{})
			if r.Code == 0 {
				t.Fatalf("exit 0, want a failure")
			}
			wantOutputs(t, r, map[string]string{"status": "failed"})
			for _, s := range tc.want {
				if !strings.Contains(r.Stdout, s) {
					t.Errorf("the errors do not mention %q", s)
				}
			}
			if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
				t.Errorf("alias routes %s, want 1: nothing may change", got)
			}
			if n := versions(t, srv, w.Function); n != 1 {
				t.Errorf("%d versions, want 1: nothing may be published", n)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "dryrun")
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod",
		"strategy": "Canary10Percent5Minutes", "dry-run": "true"}, Options{})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "dry-run", "version": "1"})
	if !strings.Contains(r.Stdout, "10% for 5m") {
		t.Errorf("the plan is not printed")
	}
	if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
		t.Errorf("alias routes %s, want 1", got)
	}
	if n := versions(t, srv, w.Function); n != 1 {
		t.Errorf("%d versions, want 1", n)
	}
}

func TestUnwritableOutputFile(t *testing.T) {
	t.Parallel()
	srv, w := world(t, "unwritable")
	bad := filepath.Join(t.TempDir(), "missing-dir", "output")
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod"}, Options{Env: []string{"GITHUB_OUTPUT=" + bad}})
	if r.Code == 0 {
		t.Fatal("exit 0 with an unwritable GITHUB_OUTPUT")
	}
	if !strings.Contains(r.Stdout, "GITHUB_OUTPUT") || strings.Contains(r.Stderr, "panic") {
		t.Errorf("the error does not name GITHUB_OUTPUT, or it panicked")
	}
}

// badInputCase is one row of testdata/config/bad-inputs.json.
type badInputCase struct {
	Name   string            `json:"name"`
	Inputs map[string]string `json:"inputs"`
	Errors []string          `json:"errors"`
}

func TestBadInputsChangeNothing(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "config", "bad-inputs.json"))
	must(t, err)
	var cases []badInputCase
	must(t, json.Unmarshal(data, &cases))
	if len(cases) < 40 {
		t.Fatalf("%d bad-input cases, want at least 40", len(cases))
	}
	rec := newRecorder(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r := runAction(t, nil, tc.Inputs, Options{Endpoint: rec.URL, Env: rec.env()})
			if r.Code == 0 {
				t.Fatal("exit 0 for bad input")
			}
			for _, in := range tc.Errors {
				if !strings.Contains(r.Stdout, `input "`+in+`"`) {
					t.Errorf("no error names input %q", in)
				}
			}
			wantOutputs(t, r, map[string]string{"status": "failed"})
		})
	}
	if n := rec.count(); n != 0 {
		t.Errorf("%d requests reached AWS for bad input, want 0", n)
	}
}
