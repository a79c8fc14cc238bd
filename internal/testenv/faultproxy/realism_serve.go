package faultproxy

import (
	"net/http"
	"strconv"
)

// served is an answer the realism layer gave in place of moto's, for an
// operation moto does not implement or keeps no state for.
type served struct {
	name   string // Record.Realism
	status int
	body   []byte            // JSON; nil for none
	header map[string]string // more headers
	err    *apiError         // an error answer instead
	// changed is true when the layer changed moto's state to carry the
	// operation out, so that the Record counts as forwarded.
	changed bool
}

// realismServe carries out the operations the realism layer answers
// itself (see Realism: ProvisionedConcurrency, APIGatewayUpdates,
// ResourcePolicies, and the function errors of CodeFails), and reports whether it answered. It runs
// after the faults a test injected before forwarding, so a fault on such an
// operation still applies; one injected AfterForward does not.
func (p *Proxy) realismServe(w http.ResponseWriter, r *http.Request, op Op, proto protocol, body []byte, rec *Record, requestID string) bool {
	var a *served
	switch op.Service {
	case "lambda":
		a = p.serveLambda(r, op, body)
	case "apigateway", "apigatewayv2":
		a = p.serveAPIGateway(r, op, body)
	}
	if a == nil {
		return false
	}
	if a.err != nil {
		status := writeError(w, proto, op, *a.err, requestID)
		p.done(rec, func(rec *Record) { rec.Status, rec.Realism, rec.Forwarded = status, a.name, a.changed })
		return true
	}
	h := w.Header()
	for k, v := range a.header {
		h.Set(k, v)
	}
	if a.body != nil {
		h.Set("Content-Type", "application/json")
	}
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
	p.done(rec, func(rec *Record) { rec.Status, rec.Realism, rec.Forwarded = a.status, a.name, a.changed })
	return true
}

// serveLambda answers the Lambda operations the realism layer carries out
// itself, or returns nil.
func (p *Proxy) serveLambda(r *http.Request, op Op, body []byte) *served {
	switch op.Name {
	case "PutProvisionedConcurrencyConfig", "GetProvisionedConcurrencyConfig", "DeleteProvisionedConcurrencyConfig":
		return p.serveProvisioned(r, op, body)
	case "Invoke":
		return p.serveFailingCode(r)
	case "PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy", "GetPolicy", "AddPermission", "RemovePermission":
		return p.servePolicy(r, op, body)
	}
	return nil
}

// realismConfig is the realism layer's configuration as it is now.
func (p *Proxy) realismConfig() Realism {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.real.cfg
}

// failed is the served answer of an API error.
func failed(name string, status int, code, message string) *served {
	return &served{name: name, err: &apiError{status: status, code: code, message: message}}
}
