package faultproxy

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Provisioned concurrency as Lambda keeps it, which moto does not implement
// (it answers an HTML 404). With Realism.ProvisionedConcurrency the proxy
// keeps the configurations of aliases and versions itself:
//
//   - PutProvisionedConcurrencyConfig answers 202 with Status IN_PROGRESS
//     and nothing allocated yet, and stays so for Realism.AllocationReads
//     reads or AllocationFor, whichever ends first; the allocation then
//     ends READY (all of it allocated and available), or FAILED with the
//     StatusReason that Proxy.FailAllocation gave. A second Put starts a new allocation.
//     https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html
//     (202, Status IN_PROGRESS | READY | FAILED, StatusReason "for failed
//     allocations, the reason that provisioned concurrency could not be
//     allocated"). Provisioned concurrency goes on a published version or
//     an alias, never on $LATEST
//     (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html):
//     a Put on $LATEST answers 400 InvalidParameterValueException.
//   - GetProvisionedConcurrencyConfig answers the configuration; an alias
//     or version without one answers 404
//     ProvisionedConcurrencyConfigNotFoundException, and a function or
//     qualifier that does not exist 404 ResourceNotFoundException
//     (https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html#API_GetProvisionedConcurrencyConfig_Errors).
//   - DeleteProvisionedConcurrencyConfig answers 204 with no body, or 404
//     ResourceNotFoundException when there is nothing to delete
//     (https://docs.aws.amazon.com/lambda/latest/api/API_DeleteProvisionedConcurrencyConfig.html).
//
// Real allocations fail for reasons of their own, most often a version
// whose initialization fails (StatusReason FUNCTION_ERROR_INIT_FAILURE, as
// users report it: aws/aws-cdk#6016, serverless/serverless#7250); the test
// says which with FailAllocation.

// provisionedConfig is one alias's or version's provisioned concurrency.
type provisionedConfig struct {
	requested int
	status    string  // IN_PROGRESS, READY, FAILED
	reason    string  // of a FAILED allocation
	alloc     *window // the allocation in progress
	failWith  string  // FailAllocation's reason, for the allocation in progress
	modified  time.Time
}

// read counts a read of the configuration, and ends the allocation in
// progress once its window is over.
func (c *provisionedConfig) read(now time.Time) {
	if c.status != "IN_PROGRESS" || c.alloc.read(now) {
		return
	}
	c.alloc = nil
	if c.failWith != "" {
		c.status, c.reason = "FAILED", c.failWith
		return
	}
	c.status = "READY"
}

func (c *provisionedConfig) answer() []byte {
	allocated := 0
	if c.status == "READY" {
		allocated = c.requested
	}
	m := map[string]any{
		"RequestedProvisionedConcurrentExecutions": c.requested,
		"AllocatedProvisionedConcurrentExecutions": allocated,
		"AvailableProvisionedConcurrentExecutions": allocated,
		"Status":       c.status,
		"LastModified": c.modified.UTC().Format("2006-01-02T15:04:05.000+0000"),
	}
	if c.reason != "" {
		m["StatusReason"] = c.reason
	}
	return mustJSON(m)
}

// serveProvisioned answers Put, Get and Delete of provisioned concurrency,
// or returns nil when Realism.ProvisionedConcurrency is off.
func (p *Proxy) serveProvisioned(r *http.Request, op Op, body []byte) *served {
	if !p.realismConfig().ProvisionedConcurrency {
		return nil
	}
	const name = "ProvisionedConcurrency"
	fn, q := lambdaTarget(r)
	if op.Name == "PutProvisionedConcurrencyConfig" && q == "$LATEST" {
		return failed(name, http.StatusBadRequest, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	}
	// Only a function and qualifier that exist have a configuration.
	if _, err := p.motoGet(r, "/2015-03-31/functions/"+url.PathEscape(fn)+"/configuration", "Qualifier="+url.QueryEscape(q)); fn == "" || q == "" || err != nil {
		return failed(name, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+functionARN(r)+":"+q)
	}
	now := time.Now()
	key := fn + ":" + q
	p.mu.Lock()
	defer p.mu.Unlock()
	rl := p.real
	c := rl.provisioned[key]
	switch op.Name {
	case "PutProvisionedConcurrencyConfig":
		var in struct{ ProvisionedConcurrentExecutions int }
		if json.Unmarshal(body, &in) != nil || in.ProvisionedConcurrentExecutions < 1 {
			return failed(name, http.StatusBadRequest, "InvalidParameterValueException", "ProvisionedConcurrentExecutions must be at least 1")
		}
		// A nil window (both limits 0) settles at the first read.
		c = &provisionedConfig{
			requested: in.ProvisionedConcurrentExecutions, status: "IN_PROGRESS", modified: now,
			alloc: newWindow(rl.cfg.AllocationReads, rl.cfg.AllocationFor, now),
		}
		rl.provisioned[key] = c
		return &served{name: name, status: http.StatusAccepted, body: c.answer()}
	case "GetProvisionedConcurrencyConfig":
		if c == nil {
			return failed(name, http.StatusNotFound, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
		}
		c.read(now)
		return &served{name: name, status: http.StatusOK, body: c.answer()}
	default: // DeleteProvisionedConcurrencyConfig
		if c == nil {
			return failed(name, http.StatusNotFound, "ResourceNotFoundException", "No Provisioned Concurrency Config found for this function")
		}
		delete(rl.provisioned, key)
		return &served{name: name, status: http.StatusNoContent}
	}
}

// FailAllocation makes the allocation of provisioned concurrency in
// progress on function fn's qualifier (an alias or a version) end FAILED
// with StatusReason reason, as Lambda reports one it could not make (such
// as FUNCTION_ERROR_INIT_FAILURE); an allocation already READY fails at
// once. A later PutProvisionedConcurrencyConfig starts an allocation that
// succeeds. It does nothing where there is no configuration.
func (p *Proxy) FailAllocation(fn, qualifier, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.real.provisioned[fn+":"+qualifier]
	switch {
	case c == nil:
	case c.status == "IN_PROGRESS":
		c.failWith = reason
	default:
		c.status, c.reason, c.alloc = "FAILED", reason, nil
	}
}
