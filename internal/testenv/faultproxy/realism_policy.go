package faultproxy

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// A resource policy put whole, as Lambda's PutResourcePolicy does for a
// function, version or alias: "This operation replaces any existing policy
// on the Lambda resource. If you previously added permissions using the
// AddPermission operation, the new policy overwrites those permissions"
// (https://docs.aws.amazon.com/lambda/latest/api/API_PutResourcePolicy.html).
// Such a policy may hold what AddPermission cannot write, a Deny above all.
// moto implements neither the operation nor a Deny. With
// Realism.ResourcePolicies the proxy keeps the policies put so: it removes
// moto's statements of the resource, answers GetPolicy and
// GetResourcePolicy from the policy, adds AddPermission's statement to it
// (as Lambda writes one: an account principal as its root ARN, an
// organization and a function URL's settings as conditions) and removes
// RemovePermission's by its Sid. A
// resource whose policy was never put is moto's.

// policyDoc is a resource policy the proxy keeps.
type policyDoc struct {
	doc map[string]json.RawMessage
	rev string
}

func (d *policyDoc) statements() []map[string]json.RawMessage {
	var st []map[string]json.RawMessage
	_ = json.Unmarshal(d.doc["Statement"], &st)
	return st
}

func (d *policyDoc) setStatements(st []map[string]json.RawMessage) {
	d.doc["Statement"] = mustJSON(st)
	d.rev = newRevision()
}

func (d *policyDoc) answer() []byte {
	return mustJSON(map[string]string{"Policy": string(mustJSON(d.doc)), "RevisionId": d.rev})
}

// policyKey is function name + ":" + qualifier of a resource ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
func policyKey(arn string) (fn, qualifier string, ok bool) {
	_, rest, found := strings.Cut(arn, ":function:")
	if !found || rest == "" {
		return "", "", false
	}
	fn, qualifier, _ = strings.Cut(rest, ":")
	return fn, qualifier, true
}

// servePolicy answers the resource-policy operations of a resource whose
// policy was put whole, or returns nil for moto to answer.
func (p *Proxy) servePolicy(r *http.Request, op Op, body []byte) *served {
	if !p.realismConfig().ResourcePolicies {
		return nil
	}
	const name = "ResourcePolicy"
	if op.Name == "PutResourcePolicy" {
		return p.putResourcePolicy(r, body)
	}
	var fn, q string
	switch op.Name {
	case "GetResourcePolicy", "DeleteResourcePolicy":
		var ok bool
		if fn, q, ok = policyKey(label(splitPath(r.URL.EscapedPath()), 2)); !ok {
			return failed(name, http.StatusBadRequest, "InvalidParameterValueException", "The resource ARN is not valid")
		}
	default:
		fn, q = lambdaTarget(r)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.real.policies[fn+":"+q]
	if d == nil {
		return nil
	}
	switch op.Name {
	case "GetPolicy", "GetResourcePolicy":
		return &served{name: name, status: http.StatusOK, body: d.answer()}
	case "DeleteResourcePolicy":
		delete(p.real.policies, fn+":"+q)
		return &served{name: name, status: http.StatusNoContent}
	case "AddPermission":
		var in struct {
			StatementId, Action, Principal, SourceArn, SourceAccount string
			PrincipalOrgID, FunctionUrlAuthType                      string
			InvokedViaFunctionUrl                                    bool
		}
		if json.Unmarshal(body, &in) != nil || in.StatementId == "" || in.Action == "" || in.Principal == "" {
			return failed(name, http.StatusBadRequest, "InvalidParameterValueException", "StatementId, Action and Principal are required")
		}
		st := d.statements()
		if slices.ContainsFunc(st, func(s map[string]json.RawMessage) bool { return sid(s) == in.StatementId }) {
			return failed(name, http.StatusConflict, "ResourceConflictException", "The statement id ("+in.StatementId+") provided already exists. Please provide a new statement id, or remove the existing statement.")
		}
		s := map[string]json.RawMessage{
			"Sid": mustJSON(in.StatementId), "Effect": mustJSON("Allow"), "Action": mustJSON(in.Action),
			"Resource": mustJSON(strings.TrimSuffix(functionARN(r)+":"+q, ":")),
		}
		// The statement as moto would write it, then in Lambda's shape
		// (awsPrincipal, awsConditions), as GetPolicy answers it.
		if strings.Contains(in.Principal, ".") {
			s["Principal"] = mustJSON(map[string]string{"Service": in.Principal})
		} else {
			s["Principal"] = mustJSON(in.Principal)
		}
		cond := map[string]map[string]string{}
		if in.SourceArn != "" {
			cond["ArnLike"] = map[string]string{"AWS:SourceArn": in.SourceArn}
		}
		if in.SourceAccount != "" {
			cond["StringEquals"] = map[string]string{"AWS:SourceAccount": in.SourceAccount}
		}
		// An organization is a condition on the principal's
		// (https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-organization.html).
		if in.PrincipalOrgID != "" {
			if cond["StringEquals"] == nil {
				cond["StringEquals"] = map[string]string{}
			}
			cond["StringEquals"]["aws:PrincipalOrgID"] = in.PrincipalOrgID
		}
		if len(cond) > 0 {
			s["Condition"] = mustJSON(cond)
		}
		if in.FunctionUrlAuthType != "" {
			s["FunctionUrlAuthType"] = mustJSON(in.FunctionUrlAuthType)
		}
		if in.InvokedViaFunctionUrl {
			s["InvokedViaFunctionUrl"] = mustJSON(true)
		}
		awsPrincipal(s)
		awsConditions(s)
		d.setStatements(append(st, s))
		return &served{name: name, status: http.StatusCreated, body: mustJSON(map[string]string{"Statement": string(mustJSON(s))})}
	case "RemovePermission":
		want := label(splitPath(r.URL.EscapedPath()), 4)
		st := d.statements()
		i := slices.IndexFunc(st, func(s map[string]json.RawMessage) bool { return sid(s) == want })
		if i < 0 {
			return failed(name, http.StatusNotFound, "ResourceNotFoundException", statementNotFound(want))
		}
		st = slices.Delete(st, i, i+1)
		if len(st) == 0 {
			delete(p.real.policies, fn+":"+q) // no statement left: no policy
		} else {
			d.setStatements(st)
		}
		return &served{name: name, status: http.StatusNoContent}
	}
	return nil
}

// sid is a statement's Sid.
func sid(s map[string]json.RawMessage) string {
	var v string
	_ = json.Unmarshal(s["Sid"], &v)
	return v
}

// putResourcePolicy keeps the policy put for a resource that exists, and
// removes moto's statements of it (those whose Resource is its ARN), which
// the policy replaces; the statements of the function's other qualifiers
// stay.
func (p *Proxy) putResourcePolicy(r *http.Request, body []byte) *served {
	const name = "ResourcePolicy"
	arn := label(splitPath(r.URL.EscapedPath()), 2)
	fn, q, ok := policyKey(arn)
	if !ok {
		return failed(name, http.StatusBadRequest, "InvalidParameterValueException", "The resource ARN is not valid")
	}
	var in struct{ Policy string }
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil || json.Unmarshal([]byte(in.Policy), &doc) != nil || doc["Statement"] == nil {
		return failed(name, http.StatusBadRequest, "InvalidParameterValueException", "The policy is not a valid policy document")
	}
	query := ""
	if q != "" {
		query = "Qualifier=" + url.QueryEscape(q)
	}
	fnPath := "/2015-03-31/functions/" + url.PathEscape(fn)
	if _, err := p.motoGet(r, fnPath+"/configuration", query); err != nil {
		return failed(name, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn)
	}
	stmts, _ := p.motoStatements(r, fn)
	for _, s := range stmts {
		// moto keeps every statement of the function in one policy,
		// whatever the qualifier; the policy put replaces the resource's
		// own alone.
		if !statementOf(s, fn, q) {
			continue
		}
		if _, _, err := p.motoDo(r, http.MethodDelete, fnPath+"/policy/"+url.PathEscape(sid(s)), query, nil); err != nil {
			return failed(name, http.StatusInternalServerError, "ServiceException", "fault proxy: "+err.Error())
		}
	}
	// A single statement may be an object; keep a list.
	if st := doc["Statement"]; len(st) > 0 && st[0] == '{' {
		doc["Statement"] = append(append([]byte{'['}, st...), ']')
	}
	d := &policyDoc{doc: doc, rev: newRevision()}
	p.mu.Lock()
	p.real.policies[fn+":"+q] = d
	p.mu.Unlock()
	return &served{name: name, status: http.StatusOK, body: d.answer(), changed: true}
}
