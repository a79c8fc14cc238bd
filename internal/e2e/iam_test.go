package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// testdata/iam/policy.json is the least-privilege policy the README shows,
// written for the README's example: function orders-api and API a1b2c3d4e5
// of account 123456789012 in eu-west-1. These tests hold it to two things:
//
//   - TestIAMPolicyCoversTheCalls: the policy allows exactly the actions
//     the binary calls, and its Resource elements cover every resource the
//     binary names, checked against the requests themselves (moto checks
//     neither).
//   - TestIAMLeastPrivilege: with moto enforcing IAM, a user holding the
//     policy can promote, and a user missing any one action cannot, gets an
//     error naming it, and the alias stays where it was.

// The README's example the policy is written for.
const (
	iamRegion   = "eu-west-1"
	iamAccount  = "123456789012"
	iamFunction = "orders-api"
	iamAPI      = "a1b2c3d4e5"
)

type iamPolicy struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

type iamStatement struct {
	Sid      string  `json:"Sid,omitempty"`
	Effect   string  `json:"Effect"`
	Action   iamList `json:"Action"`
	Resource iamList `json:"Resource"`
}

// iamList is a policy element that is a string or a list of strings.
type iamList []string

func (l *iamList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = iamList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

func iamReadPolicy(t *testing.T) iamPolicy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "iam", "policy.json"))
	must(t, err)
	var p iamPolicy
	must(t, json.Unmarshal(data, &p))
	if p.Version != "2012-10-17" {
		t.Fatalf("policy version %q, want 2012-10-17", p.Version)
	}
	for _, s := range p.Statement {
		if s.Effect != "Allow" || len(s.Action) == 0 || len(s.Resource) == 0 {
			t.Fatalf("statement %q: want Effect Allow with actions and resources", s.Sid)
		}
	}
	return p
}

func (p iamPolicy) actions() []string {
	var out []string
	for _, s := range p.Statement {
		out = append(out, s.Action...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// allows reports whether the policy allows action on resource, by IAM's
// rules for Action and Resource (* and ? wildcards, case-insensitive
// actions).
func (p iamPolicy) allows(action, resource string) bool {
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
		okAction := slices.ContainsFunc(s.Action, func(a string) bool { return iamMatch(strings.ToLower(a), strings.ToLower(action)) })
		okResource := slices.ContainsFunc(s.Resource, func(r string) bool { return iamMatch(r, resource) })
		if okAction && okResource {
			return true
		}
	}
	return false
}

func iamMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// without is the policy with one action removed.
func (p iamPolicy) without(action string) iamPolicy {
	out := iamPolicy{Version: p.Version}
	for _, s := range p.Statement {
		s.Action = slices.DeleteFunc(slices.Clone(s.Action), func(a string) bool { return a == action })
		if len(s.Action) > 0 {
			out.Statement = append(out.Statement, s)
		}
	}
	return out
}

// iamAction is the IAM action that authorizes an operation the binary calls.
func iamAction(op faultproxy.Op) string {
	switch op.Service {
	case "apigateway", "apigatewayv2":
		// API Gateway's management API is authorized by HTTP method.
		return "apigateway:" + iamMethod(op.Name)
	case "lambda":
		if op.Name == "Invoke" {
			return "lambda:InvokeFunction"
		}
	}
	return op.Service + ":" + op.Name
}

func iamMethod(op string) string {
	switch {
	case strings.HasPrefix(op, "Get"):
		return "GET"
	case strings.HasPrefix(op, "Create"):
		return "POST"
	case strings.HasPrefix(op, "Update"):
		return "PATCH"
	case strings.HasPrefix(op, "Delete"):
		return "DELETE"
	}
	return "PUT"
}

// iamResource is the resource ARN a request is authorized against, in the
// account and region given, or "*" for actions with no resource-level
// permissions.
func iamResource(rec faultproxy.Record, region, account string) string {
	switch rec.Op.Service {
	case "lambda":
		// /2015-03-31/functions/NAME-OR-ARN[/aliases/ALIAS|/policy|/versions|/configuration|/invocations],
		// /2019-09-30/functions/NAME-OR-ARN/provisioned-concurrency?Qualifier=Q,
		// /2021-10-31/functions/NAME-OR-ARN/url?Qualifier=Q; and
		// /2015-03-31/event-source-mappings, whose List has no
		// resource-level permission
		// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html).
		if rec.Path == "/2015-03-31/event-source-mappings" || rec.Path == "/2015-03-31/event-source-mappings/" {
			return "*"
		}
		var rest string
		ok := false
		for _, prefix := range []string{"/2015-03-31/functions/", "/2019-09-30/functions/", "/2021-10-31/functions/"} {
			if r, found := strings.CutPrefix(rec.Path, prefix); found {
				rest, ok = r, true
			}
		}
		if !ok {
			return "?" + rec.Path
		}
		fn, tail, _ := strings.Cut(rest, "/")
		if u, err := url.PathUnescape(fn); err == nil {
			fn = u
		}
		arn := fn
		if !strings.HasPrefix(fn, "arn:") {
			arn = "arn:aws:lambda:" + region + ":" + account + ":function:" + fn
		}
		if a, ok := strings.CutPrefix(tail, "aliases/"); ok {
			return arn + ":" + a
		}
		q, _ := url.ParseQuery(rec.Query)
		if v := q.Get("Qualifier"); v != "" {
			return arn + ":" + v
		}
		return arn
	case "apigateway":
		return "arn:aws:apigateway:" + region + "::" + rec.Path
	case "apigatewayv2":
		return "arn:aws:apigateway:" + region + "::" + strings.TrimPrefix(rec.Path, "/v2")
	}
	return "*"
}

// iamFullInputs are the inputs that make the binary use every permission
// but CreateAlias: a stage check, a smoke test, gates, and weighted steps.
func iamFullInputs(w moto.World) map[string]string {
	return map[string]string{
		"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod",
		"steps": "50,100", "interval": "1s", "alarms": w.Function + "-5xx", "max-error-rate": "2%",
		"smoke-test-payload": `{"ping":true}`,
	}
}

// TestIAMPolicyCoversTheCalls records every request the binary makes in a
// first deploy and in a gated rollout, and checks the policy allows each one
// on its resource, and holds no action the binary never calls.
func TestIAMPolicyCoversTheCalls(t *testing.T) {
	t.Parallel()
	skipLong(t, "the gated rollout waits for CloudWatch's next minute")
	policy := iamReadPolicy(t)
	srv, w := world(t, "iamcalls")
	ctx := context.Background()
	must(t, srv.CreateAlarm(ctx, w.Function+"-5xx"))
	httpAPI, err := srv.CreateHTTPStage(ctx, w.Function, "prod", "prod")
	must(t, err)
	must(t, srv.AllowAPIGateway(ctx, w.Function, "prod", httpAPI))
	first := unique("iamcalls-first")
	role, err := srv.CreateRole(ctx, first+"-role")
	must(t, err)
	_, err = srv.CreateFunction(ctx, first, role)
	must(t, err)
	// The error-rate gate judges the metrics CloudWatch delivers.
	traffic(t, srv, moto.Traffic{Function: w.Function, Alias: "prod", PerTick: 10})

	// Each run: what it promotes, and the API id the resources name.
	runs := []struct {
		name   string
		in     map[string]string
		apiID  string
		wantOK bool
	}{
		{"gated rollout, REST API", iamFullInputs(w), w.RESTAPIID, true},
		{"all at once, HTTP API", map[string]string{"function-name": w.Function, "alias": "prod", "api-id": httpAPI, "stage": "prod", "version": "1"}, httpAPI, true},
		{"first deploy", map[string]string{"function-name": first, "alias": "prod"}, "", true},
	}
	called := map[string]bool{}
	for _, run := range runs {
		p := realProxy(t, srv.URL)
		r := runAction(t, srv, run.in, Options{Proxy: p})
		if r.Code != 0 {
			t.Fatalf("%s: exit %d", run.name, r.Code)
		}
		fn := run.in["function-name"]
		// The policy as it would be written for this function and API.
		mine := iamPolicy{Version: policy.Version}
		for _, s := range policy.Statement {
			var res []string
			for _, r := range s.Resource {
				r = strings.ReplaceAll(r, ":"+iamRegion+":", ":"+srv.Region+":")
				r = strings.ReplaceAll(r, ":function:"+iamFunction, ":function:"+fn)
				if run.apiID != "" {
					r = strings.ReplaceAll(r, "/"+iamAPI, "/"+run.apiID)
				}
				res = append(res, r)
			}
			s.Resource = res
			mine.Statement = append(mine.Statement, s)
		}
		for _, rec := range p.Requests() {
			action, resource := iamAction(rec.Op), iamResource(rec, srv.Region, srv.AccountID)
			called[action] = true
			if !mine.allows(action, resource) {
				t.Errorf("%s: the policy does not allow %s on %s (%s %s)", run.name, action, resource, rec.Method, rec.Path)
			}
		}
	}
	var calls []string
	for a := range called {
		calls = append(calls, a)
	}
	sort.Strings(calls)
	if diff := cmp.Diff(calls, policy.actions()); diff != "" {
		t.Errorf("actions the binary calls (-) vs actions the policy allows (+):\n%s", diff)
	}
}

// iamCase is one run under enforced IAM.
type iamCase struct {
	name     string
	drop     string // the action removed from the policy, "" for none
	first    bool   // a first deploy (no alias yet) instead of the gated rollout
	allAtOnc bool   // all at once with the stage check, instead of the gated rollout
	// published: the run gets as far as publishing version 2 before the
	// missing permission stops it; the alias is left alone all the same.
	published bool
	// unread are reads of what calls the function removed from the
	// policy: they are reported "not checked" and the promotion goes on,
	// unless require (require-alias-traffic) refuses it.
	unread  []string
	require bool
}

func TestIAMLeastPrivilege(t *testing.T) {
	t.Parallel()
	skipLong(t, "the gated rollouts wait for CloudWatch's next minute")
	policy := iamReadPolicy(t)
	// A moto of its own: IAM is enforced on every request once switched on.
	srv := iamMoto(t)
	ctx := context.Background()
	front := iamFront(t, srv.URL)

	cases := []iamCase{
		{name: "all at once with the stage check", allAtOnc: true},
		{name: "gated rollout"},
		{name: "first deploy", first: true},
		{name: "without lambda:GetFunction", drop: "lambda:GetFunction"},
		{name: "without lambda:GetAlias", drop: "lambda:GetAlias"},
		{name: "without lambda:GetPolicy", drop: "lambda:GetPolicy"},
		{name: "without apigateway:GET", drop: "apigateway:GET"},
		{name: "without cloudwatch:DescribeAlarms", drop: "cloudwatch:DescribeAlarms"},
		{name: "without lambda:PublishVersion", drop: "lambda:PublishVersion"},
		{name: "without lambda:InvokeFunction", drop: "lambda:InvokeFunction", published: true},
		{name: "without cloudwatch:GetMetricData", drop: "cloudwatch:GetMetricData", published: true},
		{name: "without lambda:UpdateAlias", drop: "lambda:UpdateAlias", published: true},
		{name: "first deploy without lambda:CreateAlias", drop: "lambda:CreateAlias", first: true, published: true},
		{name: "without the reads of what calls it", allAtOnc: true, unread: iamPathReads},
		{name: "without the reads of what calls it, alias traffic required", allAtOnc: true, unread: iamPathReads, require: true},
	}

	// Seed while moto still lets anyone in.
	type seeded struct {
		w           moto.World
		key, secret string
		motoPolicy  iamPolicy
	}
	seeds := make([]seeded, len(cases))
	for i, c := range cases {
		fn := fmt.Sprintf("iam%02d", i)
		var w moto.World
		if c.first {
			role, err := srv.CreateRole(ctx, fn+"-role")
			must(t, err)
			_, err = srv.CreateFunction(ctx, fn, role)
			must(t, err)
			w = moto.World{Function: fn}
		} else {
			var err error
			w, err = srv.Demo(ctx, fn)
			must(t, err)
			must(t, srv.CreateAlarm(ctx, fn+"-5xx"))
		}
		p := policy
		for _, a := range c.unread {
			p = p.without(a)
		}
		if c.drop != "" {
			p = policy.without(c.drop)
			if slices.Contains(p.actions(), c.drop) || len(p.actions()) != len(policy.actions())-1 {
				t.Fatalf("%s: the policy does not hold %s once", c.name, c.drop)
			}
		}
		mp := iamForMoto(p)
		key, secret := iamUser(t, srv, fn+"-deployer", mp)
		seeds[i] = seeded{w: w, key: key, secret: secret, motoPolicy: mp}
	}
	adminKey, adminSecret := iamUser(t, srv, "iam-admin", iamPolicy{Version: "2012-10-17", Statement: []iamStatement{{Effect: "Allow", Action: iamList{"*"}, Resource: iamList{"*"}}}})
	adminCfg := aws.Config{
		Region:       srv.Region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, nil
		}),
	}
	admin := lambda.NewFromConfig(adminCfg)

	// From here on every request is authorized against the caller's
	// policies (moto's server-mode equivalent of starting it with
	// INITIAL_NO_AUTH_ACTION_COUNT=0).
	iamEnforce(t, srv)
	// Sanity: the seeding credentials are refused now.
	if _, err := srv.Lambda().GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(seeds[0].w.Function), Name: aws.String("prod")}); err == nil {
		t.Fatal("moto still accepts unknown credentials: IAM is not enforced")
	}

	// The error-rate gates judge the metrics CloudWatch delivers: traffic,
	// all on the stable version, signed by the admin (the traffic cannot
	// read the alias with the seeding credentials any more).
	for i, c := range cases {
		if !c.first {
			startTraffic(t, srv, adminCfg, moto.Traffic{Function: seeds[i].w.Function, Alias: "prod", PerTick: 10, Split: map[string]float64{"1": 1}})
		}
	}

	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			t.Run(c.name, func(t *testing.T) {
				s := seeds[i]
				var in map[string]string
				switch {
				case c.first:
					in = map[string]string{"function-name": s.w.Function, "alias": "prod"}
				case c.allAtOnc:
					in = map[string]string{"function-name": s.w.Function, "alias": "prod", "api-id": s.w.RESTAPIID, "stage": "prod"}
				default:
					in = iamFullInputs(s.w)
				}
				if c.require {
					in["require-alias-traffic"] = "true"
				}
				r := runAction(t, srv, in, Options{Endpoint: front, Env: []string{"AWS_ACCESS_KEY_ID=" + s.key, "AWS_SECRET_ACCESS_KEY=" + s.secret}})
				route := iamRoute(t, admin, s.w.Function)
				nVersions := iamVersions(t, admin, s.w.Function)

				for _, a := range c.unread {
					// Never "none found": the summary says which read was refused.
					if want := "not checked (AccessDenied on " + a + ")"; !strings.Contains(r.Summary, want) {
						t.Errorf("the summary does not say %q", want)
					}
				}
				if c.require {
					if r.Code == 0 || r.Outputs["status"] != "failed" || route != "1" || nVersions != 1 {
						t.Errorf("require-alias-traffic with reads refused: exit %d, status %q, alias %s, %d versions; want a failure that changed nothing", r.Code, r.Outputs["status"], route, nVersions)
					}
					return
				}
				if c.drop == "" {
					if r.Code != 0 {
						t.Fatalf("exit %d with the whole policy", r.Code)
					}
					if want := map[bool]string{true: "1", false: "2"}[c.first]; route != want {
						t.Errorf("the alias routes %s, want %s", route, want)
					}
					return
				}
				if r.Code == 0 {
					t.Fatalf("exit 0 without %s", c.drop)
				}
				if st := r.Outputs["status"]; st != "failed" && st != "rolled-back" {
					t.Errorf("status %q, want failed or rolled-back", st)
				}
				wantRoute := "1"
				if c.first {
					wantRoute = "missing"
				}
				if route != wantRoute {
					t.Errorf("the alias routes %s, want %s: nothing may move", route, wantRoute)
				}
				wantVersions := 1
				if c.published && !c.first {
					wantVersions = 2
				}
				if nVersions != wantVersions {
					t.Errorf("%d published versions, want %d", nVersions, wantVersions)
				}
				// moto names the action it refused as it names the
				// operation; see iamForMoto.
				named := false
				for _, a := range iamMotoActions(c.drop) {
					if strings.Contains(r.Stdout, "not authorized to perform: "+a) {
						named = true
					}
				}
				if !named || !strings.Contains(r.Stdout, "AccessDenied") {
					t.Errorf("the error does not say AccessDenied for %s (%v)", c.drop, iamMotoActions(c.drop))
				}
			})
		})
	}
	wg.Wait()
}

// iamPathReads are the actions of the reads of what calls the function
// that only it makes: a policy without them still promotes.
var iamPathReads = []string{"lambda:ListEventSourceMappings", "lambda:GetFunctionUrlConfig"}

// iamMotoActions are the actions moto checks in place of a policy action:
// moto names an action after the operation called and the signing name,
// where IAM names some by another name (lambda:InvokeFunction for Invoke,
// cloudwatch: for the signing name monitoring) or, for API Gateway, by the
// HTTP method.
func iamMotoActions(action string) []string {
	switch action {
	case "lambda:InvokeFunction":
		return []string{"lambda:Invoke"}
	case "apigateway:GET":
		return []string{"apigateway:GetRestApi", "apigateway:GetApi", "apigateway:GetStage", "apigateway:GetResources", "apigateway:GetIntegrations", "apigateway:GetRoutes", "apigateway:GetAuthorizers", "apigateway:GetAuthorizer"}
	}
	if op, ok := strings.CutPrefix(action, "cloudwatch:"); ok {
		// moto takes the service from the request's signing name.
		return []string{"monitoring:" + op}
	}
	return []string{action}
}

// iamForMoto rewrites a policy into what moto's IAM check can evaluate:
// the actions as moto names them (iamMotoActions), and every Resource "*",
// because moto authorizes Lambda, API Gateway and CloudWatch requests
// against the resource "*" — a statement that names an ARN never matches
// there. So moto tests the actions of the policy, not its resources;
// TestIAMPolicyCoversTheCalls checks those against the requests.
func iamForMoto(p iamPolicy) iamPolicy {
	out := iamPolicy{Version: p.Version}
	for _, s := range p.Statement {
		var actions iamList
		for _, a := range s.Action {
			actions = append(actions, iamMotoActions(a)...)
		}
		out.Statement = append(out.Statement, iamStatement{Sid: s.Sid, Effect: s.Effect, Action: actions, Resource: iamList{"*"}})
	}
	return out
}

// iamUser creates an IAM user with p as its inline policy and an access key,
// while moto still lets the seeding credentials in.
func iamUser(t *testing.T, srv *moto.Server, name string, p iamPolicy) (key, secret string) {
	t.Helper()
	doc, err := json.Marshal(p)
	must(t, err)
	iamCall(t, srv, url.Values{"Action": {"CreateUser"}, "UserName": {name}}, nil)
	iamCall(t, srv, url.Values{"Action": {"PutUserPolicy"}, "UserName": {name}, "PolicyName": {"lambda-promote"}, "PolicyDocument": {string(doc)}}, nil)
	var out struct {
		Key struct {
			ID     string `xml:"AccessKeyId"`
			Secret string `xml:"SecretAccessKey"`
		} `xml:"CreateAccessKeyResult>AccessKey"`
	}
	iamCall(t, srv, url.Values{"Action": {"CreateAccessKey"}, "UserName": {name}}, &out)
	if out.Key.ID == "" || out.Key.Secret == "" {
		t.Fatalf("create access key of %s: no key in the answer", name)
	}
	return out.Key.ID, out.Key.Secret
}

// iamCall makes one IAM query-protocol call with the seeding credentials
// (the module has no IAM client) and decodes the XML answer into out.
func iamCall(t *testing.T, srv *moto.Server, form url.Values, out any) {
	t.Helper()
	form.Set("Version", "2010-05-08")
	body := form.Encode()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/", strings.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := srv.AWSConfig().Credentials.Retrieve(ctx)
	must(t, err)
	sum := sha256.Sum256([]byte(body))
	must(t, v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", srv.Region, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("iam %s: %s: %s", form.Get("Action"), resp.Status, data)
	}
	if out != nil {
		must(t, xml.Unmarshal(data, out))
	}
}

// iamEnforce switches moto's IAM check on for every later request.
func iamEnforce(t *testing.T, srv *moto.Server) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/moto-api/reset-auth", "text/plain", strings.NewReader("0"))
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("enforce IAM: %s: %s", resp.Status, b)
	}
}

// iamRoute is aliasRoute read with the admin's credentials.
func iamRoute(t *testing.T, c *lambda.Client, fn string) string {
	t.Helper()
	out, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod")})
	if err != nil {
		return "missing"
	}
	v := aws.ToString(out.FunctionVersion)
	if out.RoutingConfig != nil {
		for extra, weight := range out.RoutingConfig.AdditionalVersionWeights {
			if weight > 0 {
				v += fmt.Sprintf("+%s@%g", extra, weight)
			}
		}
	}
	return v
}

// iamVersions counts the published versions with the admin's credentials.
func iamVersions(t *testing.T, c *lambda.Client, fn string) int {
	t.Helper()
	out, err := c.ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
	must(t, err)
	n := 0
	for _, v := range out.Versions {
		if aws.ToString(v.Version) != "$LATEST" {
			n++
		}
	}
	return n
}

// iamShim starts moto's server with its SigV4 signature check turned off
// and nothing else changed. In server mode moto rebuilds a bodiless request
// (every GET the binary makes to Lambda and API Gateway) with the request
// headers as its form body, so the signature it computes never matches and
// every such call is refused as SignatureDoesNotMatch. The access key must
// still belong to a user, and every action is still checked against the
// user's policies.
const iamShim = `import sys
import moto.iam.access_control as ac
ac.IAMRequestBase.check_signature = lambda self: None
from moto.server import main
main(sys.argv[1:])
`

// iamMoto starts a moto server of its own for the IAM tests, letting the
// first million requests in unchecked (INITIAL_NO_AUTH_ACTION_COUNT) so
// that the test can seed it; iamEnforce then checks every later one.
func iamMoto(t *testing.T) *moto.Server {
	t.Helper()
	srv, err := moto.StartWith(context.Background(), moto.Options{
		Env:    []string{"INITIAL_NO_AUTH_ACTION_COUNT=1000000"},
		Script: iamShim,
	})
	if err != nil {
		if errors.Is(err, moto.ErrNoMoto) && os.Getenv("CI") != "true" {
			t.Skipf("moto not available: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// iamFront is a reverse proxy in front of moto that rewrites moto's access
// denials into the shape AWS gives them. moto answers every service with
// IAM's XML ErrorResponse, which the Lambda, API Gateway and CloudWatch
// (JSON) clients cannot decode, so the binary would only see
// "deserialization failed"; AWS answers these JSON protocols with a JSON
// error body naming the action.
func iamFront(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("Content-Type"), "html") && !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var e struct {
			Code    string `xml:"Errors>Error>Code"`
			Message string `xml:"Errors>Error>Message"`
		}
		if xml.Unmarshal(body, &e) != nil || e.Code == "" {
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return nil
		}
		code := e.Code
		if code == "AccessDenied" {
			code = "AccessDeniedException"
		}
		js, err := json.Marshal(map[string]string{"__type": code, "message": e.Message, "Message": e.Message})
		if err != nil {
			return err
		}
		resp.Header.Set("Content-Type", "application/json")
		resp.Header.Set("X-Amzn-Errortype", code)
		resp.Header.Set("Content-Length", strconv.Itoa(len(js)))
		resp.ContentLength = int64(len(js))
		resp.Body = io.NopCloser(bytes.NewReader(js))
		return nil
	}
	s := httptest.NewServer(rp)
	t.Cleanup(s.Close)
	return s.URL
}
