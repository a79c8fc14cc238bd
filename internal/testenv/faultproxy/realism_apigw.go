package faultproxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// API Gateway updates that moto does not implement (it answers 500
// NotImplementedError or 404), or implements otherwise, carried out with
// Realism.APIGatewayUpdates as API Gateway documents them, on moto's own
// state:
//
//   - a REST API's UpdateIntegration applies its patch operations to the
//     integration (replace or add of /uri, /credentials, /passthroughBehavior,
//     /contentHandling, /timeoutInMillis, /connectionType, /connectionId,
//     /cacheNamespace; remove of /credentials) and answers the integration
//     (https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateIntegration.html,
//     https://docs.aws.amazon.com/apigateway/latest/api/API_PatchOperation.html).
//     The proxy reads the integration from moto and puts it back changed;
//     an integration's responses are kept only as moto's PutIntegration
//     keeps them.
//   - a REST API's CreateDeployment to an existing stage keeps the stage's
//     settings (its variables above all) and points it at the new
//     deployment, as redeploying to a stage does ("You can reuse the same
//     stage as many times as desired",
//     https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-deployments.html;
//     the AWS CLI's example "To deploy the configured resources for an API
//     to an existing stage",
//     https://docs.aws.amazon.com/cli/latest/reference/apigateway/create-deployment.html).
//     moto replaces the stage with a new one that has no variables; the
//     proxy puts them back (those the request gives win).
//   - an HTTP API's UpdateStage sets the fields the request gives (stage
//     variables, auto-deploy, description…) and answers the stage
//     (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages-stagename.html#UpdateStage);
//     the proxy recreates the stage on moto with them.
//   - an HTTP API's CreateDeployment answers 201 with a new deployment,
//     DEPLOYED, for an API and (when named) a stage that exist, 404
//     NotFoundException otherwise
//     (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-deployments.html#CreateDeployment).
//     moto keeps no deployments of HTTP APIs, and the checks read the API's
//     routes and integrations, not a deployment of them.

// serveAPIGateway answers the API Gateway operations the realism layer
// carries out, or returns nil.
func (p *Proxy) serveAPIGateway(r *http.Request, op Op, body []byte) *served {
	if !p.realismConfig().APIGatewayUpdates {
		return nil
	}
	switch {
	case op.Service == "apigateway" && op.Name == "UpdateIntegration":
		return p.updateIntegration(r, body)
	case op.Service == "apigateway" && op.Name == "CreateDeployment":
		return p.createDeploymentREST(r, body)
	case op.Service == "apigatewayv2" && op.Name == "UpdateStage":
		return p.updateStageV2(r, body)
	case op.Service == "apigatewayv2" && op.Name == "CreateDeployment":
		return p.createDeploymentV2(r, body)
	}
	return nil
}

// apigwError is moto's error as API Gateway answers it: a 404
// NotFoundException, or a 500 for anything else.
func apigwError(name string, err error) *served {
	var me *motoError
	if errors.As(err, &me) && me.status == http.StatusNotFound {
		return failed(name, http.StatusNotFound, "NotFoundException", "Invalid resource identifier specified")
	}
	return failed(name, http.StatusInternalServerError, "InternalFailure", "fault proxy: "+err.Error())
}

// patchable are the integration fields UpdateIntegration may set, by patch
// path, with whether the value is a number.
var patchable = map[string]bool{
	"/uri": false, "/credentials": false, "/passthroughBehavior": false, "/contentHandling": false,
	"/timeoutInMillis": true, "/connectionType": false, "/connectionId": false, "/cacheNamespace": false,
}

// updateIntegration carries out a REST API's UpdateIntegration.
func (p *Proxy) updateIntegration(r *http.Request, body []byte) *served {
	const name = "UpdateIntegration"
	var in struct {
		PatchOperations []struct{ Op, Path, Value string } `json:"patchOperations"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return failed(name, http.StatusBadRequest, "BadRequestException", "Invalid patch operations: "+err.Error())
	}
	path := r.URL.EscapedPath()
	cur, _, err := p.motoDo(r, http.MethodGet, path, "", nil)
	if err != nil {
		return apigwError(name, err)
	}
	var integ map[string]any
	if err := json.Unmarshal(cur, &integ); err != nil {
		return apigwError(name, err)
	}
	for _, o := range in.PatchOperations {
		number, ok := patchable[o.Path]
		switch {
		case !ok:
			return failed(name, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("Invalid patch path '%s' specified for op '%s'", o.Path, o.Op))
		case o.Op == "remove" && o.Path == "/credentials":
			delete(integ, "credentials")
		case o.Op != "replace" && o.Op != "add":
			return failed(name, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("Invalid patch operation specified. Must be 'add'|'remove'|'replace' for path '%s'", o.Path))
		case number:
			var n int
			if _, err := fmt.Sscan(o.Value, &n); err != nil {
				return failed(name, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("Invalid value '%s' for path '%s'", o.Value, o.Path))
			}
			integ[o.Path[1:]] = n
		default:
			integ[o.Path[1:]] = o.Value
		}
	}
	// PutIntegration takes the integration's own HTTP method as
	// httpMethod, which GetIntegration names httpMethod too.
	put := map[string]any{}
	for _, k := range []string{"type", "httpMethod", "uri", "credentials", "requestParameters", "requestTemplates", "passthroughBehavior",
		"cacheNamespace", "cacheKeyParameters", "contentHandling", "timeoutInMillis", "connectionType", "connectionId", "tlsConfig"} {
		if v, ok := integ[k]; ok && v != nil {
			put[k] = v
		}
	}
	out, _, err := p.motoDo(r, http.MethodPut, path, "", mustJSON(put))
	if err != nil {
		return apigwError(name, err)
	}
	return &served{name: name, status: http.StatusOK, body: out, changed: true}
}

// createDeploymentREST carries out a REST API's CreateDeployment; to an
// existing stage, it keeps the stage's variables and description.
func (p *Proxy) createDeploymentREST(r *http.Request, body []byte) *served {
	const name = "CreateDeployment"
	var in struct {
		StageName        string            `json:"stageName"`
		StageDescription string            `json:"stageDescription"`
		Variables        map[string]string `json:"variables"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return failed(name, http.StatusBadRequest, "BadRequestException", "Invalid request body: "+err.Error())
		}
	}
	api := strings.TrimSuffix(r.URL.EscapedPath(), "/deployments") // /restapis/ID
	var before struct {
		Description string            `json:"description"`
		Variables   map[string]string `json:"variables"`
	}
	existed := false
	if in.StageName != "" {
		b, _, err := p.motoDo(r, http.MethodGet, api+"/stages/"+url.PathEscape(in.StageName), "", nil)
		existed = err == nil && json.Unmarshal(b, &before) == nil
	}
	out, status, err := p.motoDo(r, http.MethodPost, r.URL.EscapedPath(), "", body)
	if err != nil {
		return apigwError(name, err)
	}
	out = deploymentOf(out)
	if !existed {
		return &served{name: name, status: status, body: out, changed: true}
	}
	var ops []map[string]string
	for k, v := range before.Variables {
		if _, given := in.Variables[k]; !given {
			ops = append(ops, map[string]string{"op": "replace", "path": "/variables/" + k, "value": v})
		}
	}
	if before.Description != "" && in.StageDescription == "" {
		ops = append(ops, map[string]string{"op": "replace", "path": "/description", "value": before.Description})
	}
	if len(ops) > 0 {
		if _, _, err := p.motoDo(r, http.MethodPatch, api+"/stages/"+url.PathEscape(in.StageName), "", mustJSON(map[string]any{"patchOperations": ops})); err != nil {
			return apigwError(name, err)
		}
	}
	return &served{name: name, status: status, body: out, changed: true}
}

// deploymentOf is moto's answer to a REST API's CreateDeployment in the
// shape of API Gateway's Deployment: moto adds the stage's name, which a
// Deployment does not have
// (https://docs.aws.amazon.com/apigateway/latest/api/API_CreateDeployment.html).
func deploymentOf(moto []byte) []byte {
	var d map[string]json.RawMessage
	if json.Unmarshal(moto, &d) != nil {
		return moto
	}
	for k := range d {
		switch k {
		case "id", "description", "createdDate", "apiSummary":
		default:
			delete(d, k)
		}
	}
	return mustJSON(d)
}

// stageFields are the fields of an HTTP API stage that CreateStage takes.
var stageFields = []string{"stageName", "autoDeploy", "stageVariables", "description", "deploymentId", "defaultRouteSettings",
	"routeSettings", "accessLogSettings", "clientCertificateId", "tags"}

// updateStageV2 carries out an HTTP API's UpdateStage.
func (p *Proxy) updateStageV2(r *http.Request, body []byte) *served {
	const name = "UpdateStage"
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		return failed(name, http.StatusBadRequest, "BadRequestException", "Invalid request body: "+err.Error())
	}
	path := r.URL.EscapedPath() // /v2/apis/ID/stages/NAME
	cur, _, err := p.motoDo(r, http.MethodGet, path, "", nil)
	if err != nil {
		return apigwError(name, err)
	}
	var stage map[string]json.RawMessage
	if err := json.Unmarshal(cur, &stage); err != nil {
		return apigwError(name, err)
	}
	for k, v := range patch {
		stage[k] = v
	}
	create := map[string]json.RawMessage{}
	for _, k := range stageFields {
		if v, ok := stage[k]; ok && string(v) != "null" {
			create[k] = v
		}
	}
	if _, _, err := p.motoDo(r, http.MethodDelete, path, "", nil); err != nil {
		return apigwError(name, err)
	}
	out, _, err := p.motoDo(r, http.MethodPost, path[:strings.LastIndexByte(path, '/')], "", mustJSON(create))
	if err != nil {
		return apigwError(name, err)
	}
	return &served{name: name, status: http.StatusOK, body: out, changed: true}
}

// createDeploymentV2 answers an HTTP API's CreateDeployment.
func (p *Proxy) createDeploymentV2(r *http.Request, body []byte) *served {
	const name = "CreateDeployment"
	var in struct {
		StageName   string `json:"stageName"`
		Description string `json:"description"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return failed(name, http.StatusBadRequest, "BadRequestException", "Invalid request body: "+err.Error())
		}
	}
	api := strings.TrimSuffix(r.URL.EscapedPath(), "/deployments") // /v2/apis/ID
	if _, _, err := p.motoDo(r, http.MethodGet, api, "", nil); err != nil {
		return apigwError(name, err)
	}
	if in.StageName != "" {
		if _, _, err := p.motoDo(r, http.MethodGet, api+"/stages/"+url.PathEscape(in.StageName), "", nil); err != nil {
			var me *motoError
			if errors.As(err, &me) && me.status == http.StatusNotFound {
				return failed(name, http.StatusNotFound, "NotFoundException", "Invalid stage identifier specified")
			}
			return apigwError(name, err)
		}
	}
	var id [5]byte
	_, _ = rand.Read(id[:])
	out := map[string]any{
		"deploymentId": hex.EncodeToString(id[:]), "deploymentStatus": "DEPLOYED", "autoDeployed": false,
		"createdDate": time.Now().UTC().Format(time.RFC3339),
	}
	if in.Description != "" {
		out["description"] = in.Description
	}
	return &served{name: name, status: http.StatusCreated, body: mustJSON(out)}
}
