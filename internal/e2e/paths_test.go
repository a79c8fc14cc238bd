package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// pathsWorld is the README's world with every kind of path into the
// function besides the stage's: an SQS mapping on the unqualified function
// and one on the alias, a function URL on $LATEST, a grant to an S3 bucket
// on the unqualified function. With route set, the checked REST API also
// has a route, GET /legacy, whose integration names the unqualified
// function. The mapping on the alias is made through p, whose realism layer
// keeps it as Lambda does; p's log is cleared afterwards.
type pathsWorld struct {
	moto.World
	apiID          string // the API the run checks
	latestQueue    string // the queue mapped to the unqualified function
	aliasQueue     string
	latestMapping  string // its mapping's UUID
	aliasMapping   string
	url, bucketSid string
}

func seedPaths(t *testing.T, srv *moto.Server, p *faultproxy.Proxy, name string, route bool) pathsWorld {
	t.Helper()
	ctx := context.Background()
	w, err := srv.Demo(ctx, unique(name))
	must(t, err)
	pw := pathsWorld{World: w, apiID: w.RESTAPIID, latestQueue: w.Function + "-jobs", aliasQueue: w.Function + "-prod-jobs", bucketSid: "s3-uploads"}
	q1, err := srv.CreateQueue(ctx, pw.latestQueue)
	must(t, err)
	q2, err := srv.CreateQueue(ctx, pw.aliasQueue)
	must(t, err)
	pw.latestMapping, err = srv.MapQueue(ctx, srv.Lambda(), q1, w.Function)
	must(t, err)
	pw.aliasMapping, err = srv.MapQueue(ctx, lambda.NewFromConfig(p.AWSConfig(srv.AWSConfig())), q2, w.Function+":prod")
	must(t, err)
	pw.url, err = srv.CreateFunctionURL(ctx, srv.Lambda(), w.Function, "", "AWS_IAM")
	must(t, err)
	must(t, srv.Grant(ctx, w.Function, "", pw.bucketSid, "s3.amazonaws.com", "arn:aws:s3:::"+w.Function+"-uploads", srv.AccountID))
	if route {
		pw.apiID, _, err = srv.RESTAPI(ctx, moto.RESTSpec{
			Name: w.Function + "-legacy",
			Methods: []moto.RESTMethod{
				{Path: "/", Method: "ANY", URI: srv.RESTIntegrationURI(w.FunctionARN + ":${stageVariables.lambdaAlias}")},
				{Path: "/legacy", Method: "GET", URI: srv.RESTIntegrationURI(w.FunctionARN)},
			},
			Stage:     "prod",
			Variables: map[string]string{moto.StageVariable: "prod"},
		})
		must(t, err)
		must(t, srv.AllowAPIGateway(ctx, w.Function, "prod", pw.apiID))
	}
	p.Reset()
	return pw
}

// pathRows are the rows of the summary's "What calls this function", by
// their first cell: the rest of the row.
func pathRows(t *testing.T, summary string) map[string]string {
	t.Helper()
	_, section, ok := strings.Cut(summary, "What calls this function")
	if !ok {
		t.Fatalf("the summary has no \"What calls this function\":\n%s", summary)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Path ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		rows[cells[0]] = strings.Join(cells[1:], " | ")
	}
	return rows
}

// Every path is found and described: what it invokes, whether the canary
// covers it; each that bypasses the alias is a warning with the command
// that points it at the alias; the promotion goes on.
func TestPathsFoundAndDescribed(t *testing.T) {
	t.Parallel()
	srv := sharedMoto(t)
	p := realProxy(t, srv.URL)
	w := seedPaths(t, srv, p, "paths", false)
	r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "api-id": w.apiID, "stage": "prod"}, Options{Proxy: p})
	if r.Code != 0 {
		t.Fatalf("exit %d: paths around the alias are warnings unless require-alias-traffic is true", r.Code)
	}
	wantOutputs(t, r, map[string]string{"status": "promoted", "version": "2"})

	const bypass = "⚠️ no: bypasses the alias"
	latest := `\$LATEST (unqualified ARN)`
	want := map[string]string{
		"event source mapping: SQS queue " + w.latestQueue + " (mapping " + w.latestMapping + ")": latest + " | " + bypass + " | state Enabled",
		"event source mapping: SQS queue " + w.aliasQueue + " (mapping " + w.aliasMapping + ")":   w.Function + ":prod (the alias promoted) | ✅ yes | state Enabled",
		"function URL: " + w.url: latest + " | " + bypass + " | auth type AWS\\_IAM",
		"resource-policy grant: S3 bucket " + w.Function + "-uploads (statement " + w.bucketSid + ")": latest + " | " + bypass +
			" | source account " + srv.AccountID + "; a grant says who may call; where s3.amazonaws.com sends its calls is set in that service, which is not read here",
		"API route: ANY / of stage prod of REST API " + w.apiID: w.Function + ":prod (the alias promoted) | ✅ yes | through stage variable lambdaAlias",
	}
	got := pathRows(t, r.Summary)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("row %q:\n got %q\nwant %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(got), len(want), got)
	}

	// One warning per bypass, each with its fix.
	warnings := regexp.MustCompile(`(?m)^::warning::.*`).FindAllString(r.Stdout, -1)
	var paths []string
	for _, wl := range warnings {
		if strings.Contains(wl, "the canary and the gates do not see its traffic") {
			paths = append(paths, wl)
		}
	}
	if len(paths) != 3 {
		t.Errorf("%d warnings of paths around the alias, want 3:\n%s", len(paths), strings.Join(warnings, "\n"))
	}
	for _, fix := range []string{
		"aws lambda update-event-source-mapping --uuid " + w.latestMapping + " --function-name " + w.Function + ":prod",
		"aws lambda create-function-url-config --function-name " + w.Function + " --qualifier prod --auth-type AWS_IAM",
		"aws lambda remove-permission --function-name " + w.Function + " --statement-id " + w.bucketSid,
	} {
		if !strings.Contains(r.Summary, fix) || !strings.Contains(strings.Join(paths, "\n"), fix) {
			t.Errorf("the fix %q is not in both the warnings and the summary", fix)
		}
	}
}

// With require-alias-traffic: true, each path that bypasses the alias fails
// preflight with an error of its own, and no request that changes anything
// reaches AWS: on its own, and beside a route naming $LATEST, which fails
// the stage's integration check as it always does and is listed with the
// others.
func TestRequireAliasTrafficChangesNothing(t *testing.T) {
	t.Parallel()
	for _, route := range []bool{false, true} {
		name := map[bool]string{false: "paths around the alias", true: "and a route naming $LATEST"}[route]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := sharedMoto(t)
			p := realProxy(t, srv.URL)
			w := seedPaths(t, srv, p, "pathsreq", route)
			r := runAction(t, srv, map[string]string{"function-name": w.Function, "alias": "prod", "api-id": w.apiID, "stage": "prod", "require-alias-traffic": "true"}, Options{Proxy: p})
			if r.Code == 0 {
				t.Fatal("exit 0 with paths around the alias and require-alias-traffic: true")
			}
			wantOutputs(t, r, map[string]string{"status": "failed", "version": "1"})
			for _, rec := range p.Changing() {
				t.Errorf("a changing request reached AWS: %s %s %s", rec.Op, rec.Method, rec.Path)
			}
			if got := aliasRoute(t, srv, w.Function, "prod"); got != "1" {
				t.Errorf("alias routes %s, want 1", got)
			}
			if n := versions(t, srv, w.Function); n != 1 {
				t.Errorf("%d versions, want 1: nothing published", n)
			}

			// The error: one per path, each naming it.
			_, errLine, _ := strings.Cut(r.Stdout, "::error::prod failed: ")
			errLine, _, _ = strings.Cut(errLine, "\n")
			for _, path := range []string{
				"event source mapping SQS queue " + w.latestQueue + " (mapping " + w.latestMapping + ") invokes $LATEST (unqualified ARN), not alias prod",
				"function URL " + w.url + " invokes $LATEST (unqualified ARN), not alias prod",
				"resource-policy grant S3 bucket " + w.Function + "-uploads (statement " + w.bucketSid + ") invokes $LATEST (unqualified ARN), not alias prod",
			} {
				if strings.Count(errLine, "require-alias-traffic: "+path) != 1 {
					t.Errorf("the error does not name once: %s\n%s", path, errLine)
				}
			}
			if n := strings.Count(errLine, "require-alias-traffic: "); n != 3 {
				t.Errorf("%d require-alias-traffic errors, want 3 (a route fails the integration check instead):\n%s", n, errLine)
			}
			if failed := strings.Contains(errLine, `check "integration" failed`); failed != route {
				t.Errorf("integration check failed: %v, want %v:\n%s", failed, route, errLine)
			}
			if !route {
				return
			}
			rows := pathRows(t, r.Summary)
			if got, want := rows["API route: GET /legacy of stage prod of REST API "+w.apiID], `\$LATEST (unqualified ARN) | ⚠️ no: bypasses the alias | the integration check fails for it`; got != want {
				t.Errorf("the route naming $LATEST:\n got %q\nwant %q", got, want)
			}
		})
	}
}
