package callers_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is the README's world with a path of every kind besides the
// alias's: an SQS mapping on the unqualified function and one on the alias,
// a function URL on $LATEST, grants to S3, SNS and another account on the
// unqualified function. The reads go through the realism layer, as AWS
// answers them.
type world struct {
	srv   *moto.Server
	proxy *faultproxy.Proxy
	lc    *lambda.Client
	w     moto.World
	fn    lambdaarn.Function
}

func seed(t *testing.T, name string) world {
	t.Helper()
	ctx := t.Context()
	srv := moto.Shared(t)
	w, err := srv.Demo(ctx, moto.Unique(name))
	must(t, err)
	p := faultproxy.NewT(t, srv.URL)
	p.SetRealism(faultproxy.DefaultRealism())
	lc := lambda.NewFromConfig(p.AWSConfig(srv.AWSConfig()))
	q1, err := srv.CreateQueue(ctx, w.Function+"-jobs")
	must(t, err)
	q2, err := srv.CreateQueue(ctx, w.Function+"-prod-jobs")
	must(t, err)
	_, err = srv.MapQueue(ctx, srv.Lambda(), q1, w.Function)
	must(t, err)
	_, err = srv.MapQueue(ctx, lc, q2, w.Function+":prod")
	must(t, err)
	_, err = srv.CreateFunctionURL(ctx, srv.Lambda(), w.Function, "", "NONE")
	must(t, err)
	// The sources of the grants exist and invoke the unqualified function,
	// as their triggers were set up.
	bucket, err := srv.Bucket(ctx, w.Function+"-uploads", w.FunctionARN)
	must(t, err)
	topic, err := srv.Topic(ctx, w.Function+"-orders", w.FunctionARN)
	must(t, err)
	rule, err := srv.Rule(ctx, w.Function+"-nightly", w.FunctionARN)
	must(t, err)
	must(t, srv.Grant(ctx, w.Function, "", "s3-uploads", "s3.amazonaws.com", bucket, srv.AccountID))
	must(t, srv.Grant(ctx, w.Function, "", "sns-orders", "sns.amazonaws.com", topic, ""))
	must(t, srv.Grant(ctx, w.Function, "", "events-nightly", "events.amazonaws.com", rule, ""))
	must(t, srv.Grant(ctx, w.Function, "", "partner", "111122223333", "", ""))
	return world{srv: srv, proxy: p, lc: lc, w: w, fn: lambdaarn.MustParse(w.FunctionARN)}
}

// judge reads and judges the world's paths as preflight does.
func (w world) judge(t *testing.T) []outcome.Path {
	t.Helper()
	m, err := callers.ReadMappings(t.Context(), w.lc)
	must(t, err)
	f, err := callers.ReadFunction(t.Context(), w.lc, w.w.Function, "prod")
	must(t, err)
	paths, notChecked := callers.Judge(callers.Input{Function: w.fn, Alias: "prod", Mappings: m, Read: f})
	if len(notChecked) > 0 {
		t.Fatalf("not checked: %v", notChecked)
	}
	return paths
}

func bypassing(paths []outcome.Path) []outcome.Path {
	return slices.DeleteFunc(slices.Clone(paths), func(p outcome.Path) bool { return !p.Bypass })
}

// TestReadOnMoto finds each seeded path and describes it as AWS would.
func TestReadOnMoto(t *testing.T) {
	t.Parallel()
	w := seed(t, "callers-read")
	got := map[string]string{}
	for _, p := range w.judge(t) {
		mark := "other"
		switch {
		case p.Covered:
			mark = "covered"
		case p.Bypass:
			mark = "bypass"
		}
		got[p.Kind+": "+p.Source] = p.Invokes + " / " + mark
	}
	fnName := w.w.Function
	want := map[string]string{
		"resource-policy grant: S3 bucket " + fnName + "-uploads (statement s3-uploads)":            "$LATEST (unqualified ARN) / bypass",
		"resource-policy grant: SNS topic " + fnName + "-orders (statement sns-orders)":             "$LATEST (unqualified ARN) / bypass",
		"resource-policy grant: EventBridge rule " + fnName + "-nightly (statement events-nightly)": "$LATEST (unqualified ARN) / bypass",
		"resource-policy grant: account 111122223333 (statement partner)":                           "$LATEST (unqualified ARN) / bypass",
	}
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "event source mapping: SQS queue "+fnName+"-jobs "):
			want[k] = "$LATEST (unqualified ARN) / bypass"
		case strings.HasPrefix(k, "event source mapping: SQS queue "+fnName+"-prod-jobs "):
			want[k] = fnName + ":prod (the alias promoted) / covered"
		case strings.HasPrefix(k, "function URL: https://"):
			want[k] = "$LATEST (unqualified ARN) / bypass"
		default:
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected path %s: %s", k, v)
			}
		}
	}
	if len(got) != 7 {
		t.Errorf("%d paths, want 7: %v", len(got), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// TestFixesRun runs every fix the judge gives, each choice on a world of
// its own, with the AWS CLI against the realism layer, and judges again:
// no path bypasses the alias any more.
func TestFixesRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: runs the AWS CLI a dozen times")
	}
	moto.RequireCLI(t)
	for choice := range 2 {
		t.Run(fmt.Sprintf("choice %d", choice+1), func(t *testing.T) {
			t.Parallel()
			w := seed(t, fmt.Sprintf("callers-fix%d", choice+1))
			before := bypassing(w.judge(t))
			if len(before) != 6 {
				t.Fatalf("%d paths bypass the alias before the fixes, want 6", len(before))
			}
			for _, p := range before {
				fx := p.Fixes[min(choice, len(p.Fixes)-1)]
				runCLI(t, w, fx.Commands)
			}
			if after := bypassing(w.judge(t)); len(after) > 0 {
				for _, p := range after {
					t.Errorf("after its fix, %s %s still invokes %s", p.Kind, p.Source, p.Invokes)
				}
			}
			if choice > 0 {
				return // the grants were removed, their sources left as they are
			}
			// The sources invoke the alias now, and no longer the
			// function: what the grant's fix said it would do.
			for name, read := range map[string]func() (string, error){
				"bucket " + w.w.Function + "-uploads": func() (string, error) { return w.srv.BucketNotification(t.Context(), w.w.Function+"-uploads") },
				"topic " + w.w.Function + "-orders": func() (string, error) {
					return w.srv.Subscriptions(t.Context(), w.srv.TopicARN(w.w.Function+"-orders"))
				},
				"rule " + w.w.Function + "-nightly": func() (string, error) { return w.srv.RuleTargets(t.Context(), w.w.Function+"-nightly") },
			} {
				got, err := read()
				must(t, err)
				if !moto.InvokesOnly(got, w.w.FunctionARN, "prod") {
					t.Errorf("after the fix, %s does not invoke %s:prod alone:\n%s", name, w.w.FunctionARN, got)
				}
			}
		})
	}
}

// runCLI runs commands with the AWS CLI pointed at the world's proxy.
func runCLI(t *testing.T, w world, commands string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// The commands write their files (notification.json) in a directory
	// of their own.
	out, err := w.srv.RunCLIAt(ctx, w.proxy.URL, t.TempDir(), commands, "HOME="+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ran:\n%s\n%s", commands, out)
}
