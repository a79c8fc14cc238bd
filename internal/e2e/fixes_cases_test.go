package e2e

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// fixCases are the cases of TestFixes, one per state that prints a fix.
// Adding one: a seed that builds the state (h.demo and the moto and
// faultproxy helpers) and sets the inputs, the block to run, and what the
// reader sees and does; claim the calls of fix.AWS whose commands it runs.
func fixCases() []fixCase {
	return slices.Concat(checkFixCases(), moreFixCases(), pathFixCases())
}

// checkFixCases are the cases of failed checks and of reads that found
// nothing.
func checkFixCases() []fixCase {
	return []fixCase{
		// The stage variable.
		{
			name:   "REST stage variable missing",
			claims: []fixKey{"internal/stage/check.go Finding.fixVariables apigateway update-stage"},
			seed: func(h *fixWorld) {
				h.demo("fixrestvar")
				h.restStage("")
			},
			block: "stage variable",
		},
		{
			name:   "REST stage variable wrong",
			claims: []fixKey{"internal/stage/check.go Finding.fixVariables apigateway update-stage"},
			seed: func(h *fixWorld) {
				h.demo("fixrestwrong")
				h.restStage("dev")
			},
			block: "stage variable",
		},
		{
			// The stage is $default, the route {proxy+}, and another
			// variable has a space: all must reach the CLI as written.
			name:   "HTTP stage variable missing on stage $default",
			claims: []fixKey{"internal/stage/check.go Finding.fixVariables apigatewayv2 update-stage"},
			seed: func(h *fixWorld) {
				h.demo("fixhttpvar")
				h.httpAPI(moto.HTTPSpec{
					Stage: "$default", Variables: map[string]string{"other": "kept as it is"},
					Integrations: []moto.HTTPIntegration{{URI: h.viaVariable()}},
					Routes:       []moto.HTTPRoute{{Key: "ANY /{proxy+}"}},
				})
			},
			block: "stage variable",
			then: func(h *fixWorld) {
				st, err := h.srv.APIGatewayV2().GetStage(h.ctx(), &apigatewayv2.GetStageInput{ApiId: aws.String(h.in["api-id"]), StageName: aws.String("$default")})
				h.must(err)
				if want := map[string]string{"lambdaAlias": "prod", "other": "kept as it is"}; !maps.Equal(st.StageVariables, want) {
					h.t.Errorf("the stage's variables after the fix: %v, want %v", st.StageVariables, want)
				}
			},
		},
		{
			name:   "HTTP stage variable wrong",
			claims: []fixKey{"internal/stage/check.go Finding.fixVariables apigatewayv2 update-stage"},
			seed: func(h *fixWorld) {
				h.demo("fixhttpwrong")
				h.httpAPI(moto.HTTPSpec{
					Stage: "prod", Variables: map[string]string{"lambdaAlias": "dev"},
					Integrations: []moto.HTTPIntegration{{URI: h.viaVariable()}},
					Routes:       []moto.HTTPRoute{{Key: "GET /orders/{id}"}},
				})
			},
			block: "stage variable",
		},

		// The integration: none calls the function, or one calls it
		// without the alias.
		{
			name: "REST no method calls the function",
			claims: []fixKey{
				"internal/stage/check.go Finding.fixRoute apigateway create-resource",
				"internal/stage/check.go Finding.fixRoute apigateway put-method",
				"internal/stage/check.go Finding.fixRoute apigateway put-integration",
				"internal/stage/check.go Finding.redeploy apigateway create-deployment",
			},
			long: "two choices of four AWS CLI commands each",
			seed: func(h *fixWorld) {
				h.demo("fixrestroute")
				h.restAPI(moto.RESTSpec{Methods: []moto.RESTMethod{{Path: "/other", Method: "GET", URI: h.srv.RESTIntegrationURI(h.srv.FunctionARN("someone-else"))}}}, true)
			},
			block: "integration",
		},
		{
			name: "HTTP no integration calls the function",
			claims: []fixKey{
				"internal/stage/check.go Finding.fixRoute apigatewayv2 create-integration",
				"internal/stage/check.go Finding.fixRoute apigatewayv2 create-route",
			},
			seed: func(h *fixWorld) {
				h.demo("fixhttpnone")
				h.httpAPI(moto.HTTPSpec{
					Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
					Integrations: []moto.HTTPIntegration{{URI: h.srv.FunctionARN("someone-else")}},
					Routes:       []moto.HTTPRoute{{Key: "GET /other"}},
				})
			},
			block: "integration",
		},
		{
			// The case of issue 23: the integration exists, no route uses
			// it.
			name:   "HTTP integration that no route uses",
			claims: []fixKey{"internal/stage/check.go Finding.fixRoute apigatewayv2 create-route"},
			seed: func(h *fixWorld) {
				h.demo("fixhttpunrouted")
				h.httpAPI(moto.HTTPSpec{
					Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
					Integrations: []moto.HTTPIntegration{{URI: h.srv.FunctionARN("someone-else")}, {URI: h.viaVariable()}},
					Routes:       []moto.HTTPRoute{{Key: "GET /other", Integration: 0}},
				})
			},
			block: "integration",
		},
		{
			// Both routes the fix would add exist and call another
			// function: the reader chooses from the list.
			name:   "HTTP routes all taken by another function",
			claims: []fixKey{"internal/stage/check.go Finding.oneChoice apigatewayv2 get-routes"},
			seed: func(h *fixWorld) {
				h.demo("fixhttptaken")
				h.httpAPI(moto.HTTPSpec{
					Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
					Integrations: []moto.HTTPIntegration{{URI: h.srv.FunctionARN("someone-else")}},
					Routes:       []moto.HTTPRoute{{Key: "$default"}, {Key: "ANY /{proxy+}"}},
				})
			},
			block:   "integration",
			see:     func(h *fixWorld) []string { return []string{`"$default"`, `"ANY /{proxy+}"`} },
			noRerun: true,
		},
		{
			name:   "REST methods all taken by another function",
			claims: []fixKey{"internal/stage/check.go Finding.oneChoice apigateway get-resources"},
			seed: func(h *fixWorld) {
				h.demo("fixresttaken")
				other := h.srv.RESTIntegrationURI(h.srv.FunctionARN("someone-else"))
				h.restAPI(moto.RESTSpec{Methods: []moto.RESTMethod{{Path: "/", Method: "ANY", URI: other}, {Path: "/{proxy+}", Method: "ANY", URI: other}}}, true)
			},
			block:   "integration",
			see:     func(h *fixWorld) []string { return []string{`"/{proxy+}"`} },
			noRerun: true,
		},
		{
			name: "REST method calls $LATEST",
			claims: []fixKey{
				"internal/stage/check.go Finding.fixBinding apigateway update-integration",
				"internal/stage/check.go Finding.redeploy apigateway create-deployment",
			},
			seed: func(h *fixWorld) {
				h.demo("fixrestlatest")
				h.restAPI(moto.RESTSpec{Methods: []moto.RESTMethod{{Path: "/orders/{id}", Method: "GET", URI: h.srv.RESTIntegrationURI(h.w.FunctionARN)}}}, true)
			},
			block: "integration",
		},
		{
			name: "HTTP integration calls a fixed version, stage without auto-deploy",
			claims: []fixKey{
				"internal/stage/check.go Finding.fixBinding apigatewayv2 update-integration",
				"internal/stage/check.go Finding.redeploy apigatewayv2 create-deployment",
			},
			seed: func(h *fixWorld) {
				h.demo("fixhttpfixed")
				h.httpAPI(moto.HTTPSpec{
					Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"}, ManualDeploy: true,
					Integrations: []moto.HTTPIntegration{{URI: h.w.FunctionARN + ":1"}},
					Routes:       []moto.HTTPRoute{{Key: "ANY /{proxy+}"}},
				})
			},
			block: "integration",
		},
		{
			name:   "REST authorizer calls $LATEST",
			claims: []fixKey{"internal/stage/check.go Finding.fixBinding apigateway update-authorizer"},
			seed: func(h *fixWorld) {
				h.demo("fixrestauth")
				h.restAPI(moto.RESTSpec{
					Authorizers: []moto.RESTAuthorizer{{Name: "auth", Type: "TOKEN", URI: h.srv.RESTIntegrationURI(h.w.FunctionARN)}},
					Methods:     []moto.RESTMethod{{Path: "/", Method: "ANY", URI: h.srv.RESTIntegrationURI(h.viaVariable()), Authorizer: "auth"}},
				}, true)
			},
			block: "integration",
		},
		{
			name:   "HTTP authorizer calls a fixed version",
			claims: []fixKey{"internal/stage/check.go Finding.fixBinding apigatewayv2 update-authorizer"},
			seed: func(h *fixWorld) {
				h.demo("fixhttpauth")
				h.httpAPI(moto.HTTPSpec{
					Stage: "prod", Variables: map[string]string{"lambdaAlias": "prod"},
					Authorizers:  []moto.HTTPAuthorizer{{Name: "auth", URI: h.srv.RESTIntegrationURI(h.w.FunctionARN + ":1")}},
					Integrations: []moto.HTTPIntegration{{URI: h.viaVariable()}},
					Routes:       []moto.HTTPRoute{{Key: "ANY /{proxy+}", Authorizer: "auth"}},
				})
			},
			block: "integration",
		},

		// The alias permission.
		{
			name:   "alias permission missing",
			claims: []fixKey{"internal/stage/permission.go Finding.addPermission lambda add-permission"},
			seed: func(h *fixWorld) {
				h.demo("fixpermmissing")
				api, err := h.srv.CreateRESTStage(h.ctx(), h.w.Function, "prod", "prod")
				h.must(err)
				h.in["api-id"] = api
			},
			block: "alias permission",
		},
		{
			name:   "alias permission for another stage",
			claims: []fixKey{"internal/stage/permission.go Finding.addPermission lambda add-permission"},
			seed: func(h *fixWorld) {
				h.demo("fixpermstage")
				api, err := h.srv.CreateRESTStage(h.ctx(), h.w.Function, "prod", "prod")
				h.must(err)
				h.must(h.srv.AllowSource(h.ctx(), h.w.Function, "prod", "dev-only", h.srv.ExecuteAPIARN(api, "dev/*/*")))
				h.in["api-id"] = api
			},
			block: "alias permission",
		},
		{
			name:   "alias permission for another route",
			claims: []fixKey{"internal/stage/permission.go Finding.addPermission lambda add-permission"},
			seed: func(h *fixWorld) {
				h.demo("fixpermroute")
				uri := h.srv.RESTIntegrationURI(h.viaVariable())
				api := h.restAPI(moto.RESTSpec{Methods: []moto.RESTMethod{{Path: "/orders", Method: "GET", URI: uri}, {Path: "/orders/{id}", Method: "POST", URI: uri}}}, false)
				h.must(h.srv.AllowSource(h.ctx(), h.w.Function, "prod", "get-orders", h.srv.ExecuteAPIARN(api, "prod/GET/orders")))
			},
			block: "alias permission",
		},

		{
			// Lambda's AddPermission writes no Deny; a policy put whole
			// (PutResourcePolicy, which the realism layer keeps) can.
			name:   "alias permission denied by a statement",
			claims: []fixKey{"internal/stage/permission.go Finding.fixCalls lambda remove-permission"},
			seed: func(h *fixWorld) {
				h.demo("fixpermdeny")
				api := h.w.RESTAPIID
				policy := `{"Version":"2012-10-17","Statement":[` +
					`{"Sid":"allow-api","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + h.w.AliasARN + `","Condition":{"ArnLike":{"AWS:SourceArn":"` + h.srv.ExecuteAPIARN(api, "*") + `"}}},` +
					`{"Sid":"no-prod","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + h.w.AliasARN + `","Condition":{"ArnLike":{"AWS:SourceArn":"` + h.srv.ExecuteAPIARN(api, "prod/*") + `"}}}]}`
				_, err := h.lambda().PutResourcePolicy(h.ctx(), &lambda.PutResourcePolicyInput{ResourceArn: aws.String(h.w.AliasARN), Policy: aws.String(policy)})
				h.must(err)
			},
			block: "alias permission",
		},
		// The function and the version.
		{
			name:   "function in state Failed",
			claims: []fixKey{"internal/alias/alias.go Function.Broken lambda get-function"},
			seed: func(h *fixWorld) {
				h.demo("fixfailed")
				h.p.FailFunction(h.w.Function, "Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant.", "InvalidStateKMSKey")
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"Failed"`, "InvalidStateKMSKey"} },
			then:  func(h *fixWorld) { h.deployNewCode() },
		},
		{
			name:   "last update of the function failed",
			claims: []fixKey{"internal/alias/alias.go Function.Broken lambda get-function #2"},
			seed: func(h *fixWorld) {
				h.demo("fixupdatefailed")
				h.p.FailUpdate(h.w.Function, "Could not unzip uploaded file. Please check your file, then try to upload again.", "InvalidZipFileException")
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"Failed"`, "InvalidZipFileException"} },
			then:  func(h *fixWorld) { h.deployNewCode() },
		},
		{
			name:   "update in progress outlasts wait-timeout",
			claims: []fixKey{"internal/alias/alias.go WaitReady lambda get-function"},
			seed: func(h *fixWorld) {
				h.demo("fixupdating")
				r := faultproxy.DefaultRealism()
				r.UpdateReads, r.UpdateFor = 0, time.Hour
				h.p.SetRealism(r)
				h.p.BeginUpdate(h.w.Function)
				h.in["wait-timeout"] = "2s"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"InProgress"`} },
			then:  func(h *fixWorld) { h.p.Settle(h.w.Function) },
		},
		{
			name:   "version Pending outlasts wait-timeout",
			claims: []fixKey{"internal/alias/patience.go WaitActive lambda get-function"},
			seed: func(h *fixWorld) {
				h.demo("fixpending")
				r := faultproxy.DefaultRealism()
				r.PendingReads, r.PendingFor = 0, time.Hour
				h.p.SetRealism(r)
				h.in["wait-timeout"] = "2s"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"Pending"`, "being created"} },
			then:  func(h *fixWorld) { h.p.Settle(h.w.Function) },
		},
		{
			// The payload holds what a shell would otherwise read: quotes,
			// $, braces, %.
			name:   "smoke test fails",
			claims: []fixKey{"internal/promote/execute.go cmdInvoke lambda invoke"},
			seed: func(h *fixWorld) {
				h.demo("fixsmoke")
				h.p.CodeFails(h.w.Function, h.latestSHA(h.w.Function), "KeyError", "'customer'")
				h.in["smoke-test-payload"] = smokePayload
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"FunctionError": "Unhandled"`, `"errorType":"KeyError"`} },
			then: func(h *fixWorld) {
				sent, err := os.ReadFile(filepath.Join(h.dir, "payload.json"))
				h.must(err)
				if string(sent) != smokePayload {
					h.t.Errorf("the printed command wrote payload.json as %q, want the smoke-test payload %q", sent, smokePayload)
				}
				h.deployNewCode()
			},
		},

		// Inputs that name what does not exist: the printed list shows
		// what does, and the reader corrects the input.
		{
			name:   "function not found",
			claims: []fixKey{"internal/promote/preflight.go readFunction lambda list-functions"},
			seed: func(h *fixWorld) {
				h.demo("fixnofn")
				h.in["function-name"] = h.w.Function + "-typo"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"` + h.w.Function + `"`} },
			then:  func(h *fixWorld) { h.in["function-name"] = h.w.Function },
		},
		{
			name:   "version not found",
			claims: []fixKey{"internal/promote/preflight.go readFunction lambda list-versions-by-function"},
			seed: func(h *fixWorld) {
				h.demo("fixnoversion")
				h.publish()
				h.in["version"] = "9"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"2"`} },
			then:  func(h *fixWorld) { h.in["version"] = "2" },
		},
		{
			name:   "source alias not found",
			claims: []fixKey{"internal/promote/preflight.go readFunction lambda list-aliases"},
			seed: func(h *fixWorld) {
				h.demo("fixnosource")
				h.must(h.srv.CreateAlias(h.ctx(), h.w.Function, "staging", h.publish(), nil))
				h.in["source-alias"] = "stagin"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"staging"`} },
			then:  func(h *fixWorld) { h.in["source-alias"] = "staging" },
		},
		{
			name: "API not found",
			claims: []fixKey{
				"internal/stage/stage.go readHTTP apigateway get-rest-apis",
				"internal/stage/stage.go readHTTP apigatewayv2 get-apis",
			},
			seed: func(h *fixWorld) {
				h.demo("fixnoapi")
				h.in["api-id"] = "nosuchapi"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"` + h.w.RESTAPIID + `"`} },
			then:  func(h *fixWorld) { h.in["api-id"] = h.w.RESTAPIID },
		},
		{
			name:   "REST stage not found",
			claims: []fixKey{"internal/stage/stage.go Read apigateway get-stages"},
			seed: func(h *fixWorld) {
				h.demo("fixnoreststage")
				h.in["stage"] = "prd"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"prod"`} },
			then:  func(h *fixWorld) { h.in["stage"] = "prod" },
		},
		{
			name:   "HTTP stage not found",
			claims: []fixKey{"internal/stage/stage.go readHTTP apigatewayv2 get-stages"},
			seed: func(h *fixWorld) {
				h.demo("fixnohttpstage")
				api, err := h.srv.CreateHTTPStage(h.ctx(), h.w.Function, "prod", "prod")
				h.must(err)
				h.must(h.srv.AllowAPIGateway(h.ctx(), h.w.Function, "prod", api))
				h.in["api-id"], h.in["stage"] = api, "prd"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"prod"`} },
			then:  func(h *fixWorld) { h.in["stage"] = "prod" },
		},
		{
			name:   "alarm not found",
			claims: []fixKey{"internal/gate/gate.go var listAlarms cloudwatch describe-alarms"},
			seed: func(h *fixWorld) {
				h.demo("fixnoalarm")
				h.must(h.srv.CreateAlarm(h.ctx(), h.w.Function+"-errors"))
				h.in["alarms"] = h.w.Function + "-erors"
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"` + h.w.Function + `-errors"`} },
			then:  func(h *fixWorld) { h.in["alarms"] = h.w.Function + "-errors" },
		},

		// Provisioned concurrency (the realism layer keeps it).
		{
			name:   "$LATEST with provisioned concurrency",
			claims: []fixKey{"internal/promote/decide.go judgeProvisioned lambda delete-provisioned-concurrency-config"},
			seed: func(h *fixWorld) {
				h.demo("fixpclatest")
				h.provision("prod", 2, "")
				h.in["version"] = "$LATEST"
			},
			block: "Next",
		},
		{
			name: "provisioned concurrency whose allocation failed",
			claims: []fixKey{
				"internal/promote/decide.go judgeProvisioned lambda get-provisioned-concurrency-config",
				"internal/promote/decide.go judgeProvisioned lambda delete-provisioned-concurrency-config #2",
				"internal/promote/decide.go judgeProvisioned lambda put-provisioned-concurrency-config",
			},
			long: "two choices, each followed by a gradual rollout",
			seed: func(h *fixWorld) {
				h.demo("fixpcfailed")
				h.provision("prod", 5, "FUNCTION_ERROR_INIT_FAILURE")
				h.in["steps"], h.in["interval"] = "50,100", "1s"
			},
			block: "provisioned concurrency",
			n:     func(*fixWorld) string { return "2" },
			see:   func(h *fixWorld) []string { return []string{`"FAILED"`, "FUNCTION_ERROR_INIT_FAILURE"} },
		},

		// Where the alias is, after someone else or AWS stood in the way.
		{
			name:   "alias moved by hand during the rollout",
			claims: []fixKey{"internal/promote/result.go sentences.cmdAlias lambda get-alias"},
			seed: func(h *fixWorld) {
				h.demo("fixdrift")
				h.publish()
				afterMove(h.p, "GetAlias", func() {
					if err := raceMove(h.srv, h.w.Function, "1", map[string]float64{"2": 0.3}); err != nil {
						h.t.Errorf("move by hand: %v", err)
					}
				})
				h.in["version"], h.in["steps"], h.in["interval"] = "2", "10,100", "1s"
			},
			block: "Next",
			see: func(h *fixWorld) []string {
				return []string{`"FunctionVersion": "1"`, `"2": 0.3`}
			},
		},
	}
}

// smokePayload is a smoke test's payload that a shell would change if the
// printed command did not quote it.
const smokePayload = `{"order": "it's \"42\"", "note": "$HOME ${x} {proxy+} 50% \\ done"}`

// restStage puts a REST API of the demo's shape (ANY / through
// ${stageVariables.lambdaAlias}, the permission) in the inputs, its stage
// prod setting lambdaAlias to aliasVar ("" for not at all).
func (h *fixWorld) restStage(aliasVar string) {
	h.t.Helper()
	api, err := h.srv.CreateRESTStage(h.ctx(), h.w.Function, "prod", aliasVar)
	h.must(err)
	h.must(h.srv.AllowAPIGateway(h.ctx(), h.w.Function, "prod", api))
	h.in["api-id"] = api
}

// restAPI creates a REST API from spec with stage prod (lambdaAlias=prod)
// and puts it in the inputs. With allow, API Gateway may invoke prod from
// anywhere in it, so that only the check the case is about can fail. It
// returns the API's id.
func (h *fixWorld) restAPI(spec moto.RESTSpec, allow bool) string {
	h.t.Helper()
	spec.Name, spec.Stage, spec.Variables = h.w.Function+"-rest", "prod", map[string]string{"lambdaAlias": "prod"}
	api, _, err := h.srv.RESTAPI(h.ctx(), spec)
	h.must(err)
	if allow {
		h.allowAll(api)
	}
	h.in["api-id"], h.in["stage"] = api, "prod"
	return api
}

// httpAPI creates an HTTP API from spec, lets API Gateway invoke prod from
// anywhere in it, and puts it in the inputs.
func (h *fixWorld) httpAPI(spec moto.HTTPSpec) string {
	h.t.Helper()
	spec.Name = h.w.Function + "-http"
	api, _, _, err := h.srv.HTTPAPI(h.ctx(), spec)
	h.must(err)
	h.allowAll(api)
	h.in["api-id"], h.in["stage"] = api, spec.Stage
	return api
}

// allowAll lets API Gateway API api invoke prod from every stage, route
// and authorizer: arn:…:API/*.
func (h *fixWorld) allowAll(api string) {
	h.t.Helper()
	h.must(h.srv.AllowSource(h.ctx(), h.w.Function, "prod", "apigateway-"+api+"-all", h.srv.ExecuteAPIARN(api, "*")))
}

// viaVariable is the demo function named through the stage variable:
// ARN:${stageVariables.lambdaAlias}.
func (h *fixWorld) viaVariable() string {
	return h.w.FunctionARN + ":${stageVariables." + moto.StageVariable + "}"
}

// publish publishes $LATEST on moto and returns the version.
func (h *fixWorld) publish() string {
	h.t.Helper()
	v, err := h.srv.Publish(h.ctx(), h.w.Function)
	h.must(err)
	return v
}

// deployNewCode is the reader's deploy step: new code on $LATEST, which
// Lambda then applies (an update in progress, through the realism layer).
func (h *fixWorld) deployNewCode() {
	h.t.Helper()
	h.must(h.srv.UpdateCode(h.ctx(), h.w.Function))
	h.p.BeginUpdate(h.w.Function)
}

// provision puts n provisioned concurrency on the demo function's
// qualifier through the realism layer, which keeps it, and waits until
// Lambda is done allocating it (READY or FAILED), reading it as the
// reader would.
func (h *fixWorld) provision(qualifier string, n int32, failure string) {
	h.t.Helper()
	lc := h.lambda()
	_, err := lc.PutProvisionedConcurrencyConfig(h.ctx(), &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(h.w.Function), Qualifier: aws.String(qualifier), ProvisionedConcurrentExecutions: aws.Int32(n)})
	h.must(err)
	if failure != "" {
		h.p.FailAllocation(h.w.Function, qualifier, failure)
	}
	for range 10 {
		out, err := lc.GetProvisionedConcurrencyConfig(h.ctx(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(h.w.Function), Qualifier: aws.String(qualifier)})
		h.must(err)
		if out.Status != ltypes.ProvisionedConcurrencyStatusEnumInProgress {
			return
		}
	}
	h.t.Fatal("the allocation of provisioned concurrency is still IN_PROGRESS after 10 reads")
}

// setAlias puts the demo's alias prod on version with weights and
// description, on moto, as a hand would.
func (h *fixWorld) setAlias(version string, weights map[string]float64, description string) {
	h.t.Helper()
	if weights == nil {
		weights = map[string]float64{}
	}
	_, err := h.srv.Lambda().UpdateAlias(h.ctx(), &lambda.UpdateAliasInput{
		FunctionName: aws.String(h.w.Function), Name: aws.String("prod"), FunctionVersion: aws.String(version),
		RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: weights}, Description: aws.String(description),
	})
	h.must(err)
}

// moreFixCases are the cases of rollouts, records and rollbacks.
func moreFixCases() []fixCase {
	return []fixCase{
		{
			name:   "weighted routing: the new version runs as another role",
			claims: []fixKey{"internal/alias/alias.go WeightedRules lambda update-function-configuration"},
			seed: func(h *fixWorld) {
				h.demo("fixrole")
				role, err := h.srv.CreateRole(h.ctx(), h.w.Function+"-other-role")
				h.must(err)
				_, err = h.srv.Lambda().UpdateFunctionConfiguration(h.ctx(), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(h.w.Function), Role: aws.String(role)})
				h.must(err)
				h.in["steps"], h.in["interval"] = "50,100", "1s"
			},
			block: "Next",
		},
		{
			// $LATEST changed during a canary: publishing would make a
			// version other than the canary's. The reader finishes or
			// undoes the canary with the printed inputs, then promotes.
			name: "configuration changed during a canary",
			seed: func(h *fixWorld) {
				h.demo("fixcanaryconfig")
				h.runOK(map[string]string{"traffic-weight": "10"})
				_, err := h.srv.Lambda().UpdateFunctionConfiguration(h.ctx(), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(h.w.Function), Timeout: aws.Int32(7)})
				h.must(err)
			},
			block: "Next",
		},
		{
			// A canary of 2 holds, and the reader asks for version 3.
			name: "another version asked for during a canary",
			seed: func(h *fixWorld) {
				h.demo("fixcanaryother")
				h.runOK(map[string]string{"traffic-weight": "10"})
				h.must(h.srv.UpdateCode(h.ctx(), h.w.Function))
				h.in["version"] = h.publish()
			},
			block: "Next",
		},
		{
			// Not a failure: a held canary says how to finish or undo it.
			name: "held canary",
			seed: func(h *fixWorld) {
				h.demo("fixheld")
				h.in["traffic-weight"] = "10"
			},
			firstOK: true,
			block:   "Next",
			want:    wantExit0,
		},
		{
			// Not a failure: a detached rollout says how to stop it.
			name: "detached rollout between its steps",
			seed: func(h *fixWorld) {
				h.demo("fixdetachstop")
				h.detached()
			},
			firstOK: true,
			block:   "Next",
			want:    wantExit0,
		},
		{
			name:   "canary whose record cannot be read",
			claims: []fixKey{"internal/promote/result.go cmdMoveClear lambda update-alias"},
			seed: func(h *fixWorld) {
				h.demo("fixcanaryrecord")
				h.publish()
				h.setAlias("1", map[string]float64{"2": 0.1}, unreadableRecord)
			},
			block: "Next",
		},
		{
			name:   "detached rollout whose record cannot be read",
			claims: []fixKey{"internal/promote/decide.go decision.decideDetach lambda update-alias"},
			seed: func(h *fixWorld) {
				h.demo("fixdetachrecord")
				h.setAlias("1", nil, unreadableRecord)
				h.detached()
			},
			block: "Next",
			want:  wantExit0,
		},
		{
			name:   "detached rollout whose record cannot be read, alias split",
			claims: []fixKey{"internal/promote/result.go cmdMoveClear lambda update-alias"},
			seed: func(h *fixWorld) {
				h.demo("fixdetachsplit")
				h.publish()
				h.setAlias("1", map[string]float64{"2": 0.1}, unreadableRecord)
				h.detached()
			},
			block: "Next",
			want:  wantExit0,
		},
		{
			name:   "detached rollout changed by hand",
			claims: []fixKey{"internal/promote/result.go cmdMoveClear lambda update-alias"},
			seed: func(h *fixWorld) {
				h.demo("fixdetachhand")
				h.detached()
				h.runOK(nil)
				h.must(raceMove(h.srv, h.w.Function, "1", map[string]float64{"2": 0.3}))
			},
			block: "Next",
			want:  wantExit0,
		},
		{
			name: "rollback with a record that cannot be read",
			claims: []fixKey{
				"internal/promote/decide.go versionsThenMove lambda list-versions-by-function",
				"internal/promote/result.go cmdMoveClear lambda update-alias",
			},
			seed: func(h *fixWorld) {
				h.demo("fixrollbackrecord")
				h.setAlias(h.publish(), nil, unreadableRecord)
				h.rollback()
			},
			block: "Next",
			n:     func(*fixWorld) string { return "1" },
			see:   func(h *fixWorld) []string { return []string{`"1"`, `"2"`} },
			then:  func(h *fixWorld) { h.wantAlias("1", "") },
		},
		{
			name: "rollback with no record of an earlier promotion",
			claims: []fixKey{
				"internal/promote/decide.go versionsThenMove lambda list-versions-by-function",
				"internal/promote/result.go cmdMove lambda update-alias",
			},
			seed: func(h *fixWorld) {
				h.demo("fixrollbacknone")
				h.setAlias(h.publish(), nil, "promoted by hand")
				h.rollback()
			},
			block: "Next",
			n:     func(*fixWorld) string { return "1" },
			see:   func(h *fixWorld) []string { return []string{`"1"`, `"2"`} },
			then:  func(h *fixWorld) { h.wantAlias("1", "promoted by hand") },
		},
		{
			// A release whose rollback AWS refuses: the job is cancelled at
			// 50%, every UpdateAlias then answers 503, and the 5 s the
			// rollback has after a cancel run out. Then AWS takes writes
			// again, and the reader runs what was printed.
			name:   "release left split: AWS refused the rollback",
			claims: []fixKey{"internal/promote/result.go sentences.cmdAlias lambda get-alias", "internal/promote/result.go cmdMove lambda update-alias"},
			long:   "the rollback's 5 s after a cancel, and a release of two functions",
			seed: func(h *fixWorld) {
				svc, err := h.srv.SeedService(h.ctx(), unique("fixsplit"), 2)
				h.must(err)
				h.svc = svc
				h.in = releaseInputs(svc, "steps", "50,100", "interval", "10m")
				h.again = releaseInputs(svc)
				h.opts.Wait = func(ctx context.Context, cmd *exec.Cmd) {
					for attempt := 1; attempt <= len(svc.Functions); attempt++ {
						if _, ok := h.p.Answered(ctx, "UpdateAlias", attempt); !ok {
							return
						}
					}
					h.p.Inject("UpdateAlias", faultproxy.Every, faultproxy.Unavailable)
					cancelJob(cmd)
				}
			},
			before: func(h *fixWorld) {
				if got := routes(h.t, h.srv, h.svc); !slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "+") }) {
					h.t.Fatalf("the aliases are %v: none was left split", got)
				}
				h.p.ClearFaults()
			},
			block: "Next",
			see:   func(h *fixWorld) []string { return []string{`"FunctionVersion": "1"`} },
			then: func(h *fixWorld) {
				for i, got := range routes(h.t, h.srv, h.svc) {
					if got != "1" {
						h.t.Errorf("after the printed commands %s routes %s, want 1 with no weights", h.svc.Functions[i], got)
					}
				}
			},
		},
	}
}

// unreadableRecord is an alias description that starts as lambda-promote's
// record and cannot be read as one.
const unreadableRecord = "lambda-promote/1 shifting stable=1 new"

// detached makes the inputs a detached rollout's: steps that take an hour,
// each run doing what is due and exiting.
func (h *fixWorld) detached() {
	h.in["detach"], h.in["steps"], h.in["interval"] = "true", "10,50,100", "1h"
}

// rollback makes the inputs ask for a rollback; the run after the fix
// promotes again, without it.
func (h *fixWorld) rollback() {
	h.again = maps.Clone(h.in)
	h.in["rollback"] = "true"
}

// runOK runs the action with the inputs and more, to build a state; it must
// succeed.
func (h *fixWorld) runOK(more map[string]string) {
	h.t.Helper()
	in := maps.Clone(h.in)
	maps.Copy(in, more)
	if r := h.run(in, Options{}); r.Code != 0 {
		h.t.Fatalf("the run that builds the state ended with exit %d:\n%s", r.Code, r.Summary)
	}
}

// wantAlias wants the demo's alias on version with no weights and the
// description.
func (h *fixWorld) wantAlias(version, description string) {
	h.t.Helper()
	out, err := h.srv.Lambda().GetAlias(h.ctx(), &lambda.GetAliasInput{FunctionName: aws.String(h.w.Function), Name: aws.String("prod")})
	h.must(err)
	if got := aliasRoute(h.t, h.srv, h.w.Function, "prod"); got != version || aws.ToString(out.Description) != description {
		h.t.Errorf("the alias routes %s with description %q, want %s with %q", got, aws.ToString(out.Description), version, description)
	}
}

// wantExit0 wants the run after the fix to succeed, whatever it did: a
// detached run starts a rollout and exits with its first step taken.
func wantExit0(h *fixWorld, r Run) {
	h.t.Helper()
	if r.Code != 0 {
		h.t.Errorf("after the fix: exit %d, status %q:\n%s", r.Code, r.Outputs["status"], r.Summary)
	}
}

// pathFixCases are the paths into the function that bypass the alias,
// refused with require-alias-traffic: true, one path a case: its printed
// fix points it at the alias (or removes it), and the next run is promoted.
func pathFixCases() []fixCase {
	// sourceNow checks, after a choice that points a source at the alias,
	// that the source invokes the alias and no longer the function.
	sourceNow := func(h *fixWorld, step string, read func() (string, error)) {
		h.t.Helper()
		h.mu.Lock()
		ran := strings.Join(h.ran, "\n")
		h.mu.Unlock()
		if !strings.Contains(ran, step) {
			return // the choice that removes the grant leaves the source as it is
		}
		got, err := read()
		h.must(err)
		if !moto.InvokesOnly(got, h.w.FunctionARN, "prod") {
			h.t.Errorf("after the fix the source does not invoke %s:prod alone:\n%s", h.w.FunctionARN, got)
		}
	}
	grantClaims := []fixKey{
		"internal/callers/grants.go Input.grantFixes lambda add-permission",
		"internal/callers/grants.go Input.grantFixes lambda remove-permission",
	}
	return []fixCase{
		{
			name:   "SQS mapping on the unqualified function",
			claims: []fixKey{"internal/callers/judge.go Input.mappings lambda update-event-source-mapping"},
			seed: func(h *fixWorld) {
				h.demo("fixpathsqs")
				q, err := h.srv.CreateQueue(h.ctx(), h.w.Function+"-jobs")
				h.must(err)
				_, err = h.srv.MapQueue(h.ctx(), h.srv.Lambda(), q, h.w.Function)
				h.must(err)
				h.in["require-alias-traffic"] = "true"
			},
			block: "path: event source mapping: SQS queue ",
		},
		{
			name: "function URL on $LATEST",
			claims: []fixKey{
				"internal/callers/judge.go Input.urlFixes lambda create-function-url-config",
				"internal/callers/judge.go Input.urlFixes lambda add-permission",
				"internal/callers/judge.go Input.urlFixes lambda add-permission #2",
				"internal/callers/judge.go Input.urlFixes lambda delete-function-url-config",
			},
			seed: func(h *fixWorld) {
				h.demo("fixpathurl")
				_, err := h.srv.CreateFunctionURL(h.ctx(), h.srv.Lambda(), h.w.Function, "", "NONE")
				h.must(err)
				h.in["require-alias-traffic"] = "true"
			},
			block: "path: function URL: ",
		},
		{
			name: "S3 grant on the unqualified function",
			claims: append(slices.Clone(grantClaims),
				"internal/callers/grants.go sourceSteps s3api get-bucket-notification-configuration",
				"internal/callers/grants.go sourceSteps s3api put-bucket-notification-configuration"),
			seed: func(h *fixWorld) {
				h.demo("fixpaths3")
				bucket, err := h.srv.Bucket(h.ctx(), h.w.Function+"-uploads", h.w.FunctionARN)
				h.must(err)
				h.must(h.srv.Grant(h.ctx(), h.w.Function, "", "s3-uploads", "s3.amazonaws.com", bucket, h.srv.AccountID))
				h.in["require-alias-traffic"] = "true"
			},
			block: "path: resource-policy grant: S3 bucket ",
			then: func(h *fixWorld) {
				sourceNow(h, "put-bucket-notification-configuration", func() (string, error) {
					return h.srv.BucketNotification(h.ctx(), h.w.Function+"-uploads")
				})
			},
		},
		{
			// A grant whose condition add-permission cannot write (a
			// policy put whole can hold one): its copy onto the alias is
			// the reader's, with the policy shown; the function's grant
			// goes once nothing uses it.
			name: "grant with a condition add-permission cannot write",
			claims: []fixKey{
				"internal/callers/grants.go Input.showPolicy lambda get-policy",
				"internal/callers/grants.go Input.grantFixes lambda remove-permission",
			},
			seed: func(h *fixWorld) {
				h.demo("fixpathvpc")
				policy := `{"Version":"2012-10-17","Statement":[{"Sid":"from-vpc","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` +
					h.w.FunctionARN + `","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-0a1b2c3d"}}}]}`
				_, err := h.lambda().PutResourcePolicy(h.ctx(), &lambda.PutResourcePolicyInput{ResourceArn: aws.String(h.w.FunctionARN), Policy: aws.String(policy)})
				h.must(err)
				h.in["require-alias-traffic"] = "true"
			},
			block: "path: resource-policy grant: anyone",
		},
		{
			name: "SNS grant on the unqualified function",
			claims: append(slices.Clone(grantClaims),
				"internal/callers/grants.go sourceSteps sns subscribe",
				"internal/callers/grants.go sourceSteps sns list-subscriptions-by-topic",
				"internal/callers/grants.go sourceSteps sns unsubscribe"),
			seed: func(h *fixWorld) {
				h.demo("fixpathsns")
				topic, err := h.srv.Topic(h.ctx(), h.w.Function+"-orders", h.w.FunctionARN)
				h.must(err)
				h.must(h.srv.Grant(h.ctx(), h.w.Function, "", "sns-orders", "sns.amazonaws.com", topic, ""))
				h.in["require-alias-traffic"] = "true"
			},
			block: "path: resource-policy grant: SNS topic ",
			then: func(h *fixWorld) {
				sourceNow(h, "sns subscribe", func() (string, error) {
					return h.srv.Subscriptions(h.ctx(), h.srv.TopicARN(h.w.Function+"-orders"))
				})
			},
		},
		{
			name: "EventBridge grant on the unqualified function",
			claims: append(slices.Clone(grantClaims),
				"internal/callers/grants.go sourceSteps events list-targets-by-rule",
				"internal/callers/grants.go sourceSteps events put-targets"),
			seed: func(h *fixWorld) {
				h.demo("fixpathrule")
				rule, err := h.srv.Rule(h.ctx(), h.w.Function+"-nightly", h.w.FunctionARN)
				h.must(err)
				h.must(h.srv.Grant(h.ctx(), h.w.Function, "", "events-nightly", "events.amazonaws.com", rule, ""))
				h.in["require-alias-traffic"] = "true"
			},
			block: "path: resource-policy grant: EventBridge rule ",
			then: func(h *fixWorld) {
				sourceNow(h, "events put-targets", func() (string, error) {
					return h.srv.RuleTargets(h.ctx(), h.w.Function+"-nightly")
				})
			},
		},
	}
}
