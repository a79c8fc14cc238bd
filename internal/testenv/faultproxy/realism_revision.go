package faultproxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
)

// Lambda gives an alias a new revision ID at every change, and refuses an
// UpdateAlias whose RevisionId is not the alias's latest with 412
// PreconditionFailedException: "Only update the alias if the revision ID
// matches the ID that's specified. Use this option to avoid modifying an
// alias that has changed since you last read it."
// (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html#lambda-UpdateAlias-request-RevisionId).
// moto keeps one revision ID for ever and ignores the one sent. With
// Realism.Revisions the proxy keeps the revisions itself: it gives each
// alias a revision, rewrites the RevisionId of moto's alias answers to it,
// makes a new one whenever the alias changes (through the proxy, or on moto
// directly, as a test's hand move does), and answers a stale RevisionId as
// Lambda does.

// aliasRev is the revision the proxy gives one alias.
type aliasRev struct {
	content string // what moto says of the alias: version, routing, description
	rev     string
}

// revisions is the proxy's record of alias revisions, with the lock that
// makes an UpdateAlias's check, call and new revision one step.
type revisions struct {
	update sync.Mutex // serializes UpdateAlias through the proxy
	mu     sync.Mutex
	byKey  map[string]*aliasRev // function:alias
}

func newRevision() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// aliasKey is function:alias of an alias request (…/functions/FN/aliases/NAME).
func aliasKey(r *http.Request) (string, bool) {
	segs := splitPath(r.URL.EscapedPath())
	if len(segs) < 5 || segs[1] != "functions" || segs[3] != "aliases" {
		return "", false
	}
	fn, _ := lambdaTarget(r)
	return fn + ":" + label(segs, 4), true
}

// aliasContent is what makes two readings of an alias the same: everything
// but its revision.
func aliasContent(body []byte) (string, bool) {
	var a struct {
		FunctionVersion string
		Description     string
		RoutingConfig   json.RawMessage
	}
	if err := json.Unmarshal(body, &a); err != nil || a.FunctionVersion == "" {
		return "", false
	}
	var weights map[string]float64
	if len(a.RoutingConfig) > 0 && string(a.RoutingConfig) != "null" {
		var rc struct{ AdditionalVersionWeights map[string]float64 }
		_ = json.Unmarshal(a.RoutingConfig, &rc)
		weights = rc.AdditionalVersionWeights
	}
	w, _ := json.Marshal(weights) // sorted keys
	return a.FunctionVersion + "|" + string(w) + "|" + a.Description, true
}

// current is the revision of an alias as moto now has it: a new one when
// its content changed since the proxy last saw it.
func (rv *revisions) current(key, content string) string {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.byKey == nil {
		rv.byKey = map[string]*aliasRev{}
	}
	a := rv.byKey[key]
	if a == nil || a.content != content {
		a = &aliasRev{content: content, rev: newRevision()}
		rv.byKey[key] = a
	}
	return a.rev
}

// rewrite sets the RevisionId of an alias answer to the proxy's revision.
func (rv *revisions) rewrite(key string, body []byte) []byte {
	content, ok := aliasContent(body)
	if !ok {
		return body
	}
	rev := rv.current(key, content)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	m["RevisionId"], _ = json.Marshal(rev)
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// revisionsOn reports whether the proxy keeps alias revisions.
func (p *Proxy) revisionsOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.real.cfg.Revisions
}

// checkRevision is called before an UpdateAlias is passed on, with the
// update lock held: it reads the alias from moto, and answers a RevisionId
// that is not the alias's latest with Lambda's 412.
func (p *Proxy) checkRevision(r *http.Request, op Op, call *awsmodel.Call, body []byte) *realAnswer {
	key, ok := aliasKey(r)
	if !ok {
		return nil
	}
	var in struct{ RevisionId string }
	if err := json.Unmarshal(body, &in); err != nil || in.RevisionId == "" {
		return nil
	}
	now, err := p.getAlias(r)
	if err != nil {
		return nil // moto will answer the request itself
	}
	content, ok := aliasContent(now)
	if !ok {
		return nil
	}
	if in.RevisionId == p.revs.current(key, content) {
		return nil
	}
	p.mu.Lock()
	p.real.stats.StaleRevisions++
	p.mu.Unlock()
	return &realAnswer{name: "StaleRevision", err: errorFor(PreconditionFailed, op, r, call)}
}

// getAlias reads the alias a request names from moto, with the request's
// credentials.
func (p *Proxy) getAlias(r *http.Request) ([]byte, error) {
	return p.motoGet(r, r.URL.EscapedPath(), "")
}

// rewriteRevision gives a successful alias answer the proxy's revision.
func (p *Proxy) rewriteRevision(r *http.Request, op Op, status int, body []byte) ([]byte, bool) {
	if status/100 != 2 || op.Service != "lambda" {
		return body, false
	}
	switch op.Name {
	case "GetAlias", "UpdateAlias":
	case "CreateAlias":
		var in struct{ Name string }
		if err := json.Unmarshal(body, &in); err != nil || in.Name == "" {
			return body, false
		}
		fn, _ := lambdaTarget(r)
		return p.revs.rewrite(fn+":"+in.Name, body), true
	default:
		return body, false
	}
	key, ok := aliasKey(r)
	if !ok {
		return body, false
	}
	return p.revs.rewrite(key, body), true
}
