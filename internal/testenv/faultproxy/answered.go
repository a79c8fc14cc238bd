package faultproxy

import (
	"context"
	"time"
)

// answeredPoll is how often Answered looks at the log.
const answeredPoll = 5 * time.Millisecond

// Answered waits until the attempt-th call (from 1) of operation name (see
// Inject) has been answered, with an answer of moto's, the realism layer's
// or a fault's, and returns its record. It returns false when ctx ends
// first, or when the call ends without an answer (a Reset, or a client
// that gave up). A test uses it with OnRequest to act just after one of
// the run's own calls took effect: OnRequest sees the call arrive, Answered
// sees it done.
func (p *Proxy) Answered(ctx context.Context, name string, attempt int) (Record, bool) {
	tick := time.NewTicker(answeredPoll)
	defer tick.Stop()
	for {
		if rec, ended := p.answered(name, attempt); ended {
			return rec, rec.Status != 0
		}
		select {
		case <-ctx.Done():
			return Record{}, false
		case <-tick.C:
		}
	}
}

// answered finds the call and reports whether the proxy is done with it:
// answered, hung up on (a Reset records neither a status nor an error) or
// given up on.
func (p *Proxy) answered(name string, attempt int) (Record, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.records {
		if matches(name, r.Op) && r.Attempt == attempt {
			return r.clone(), !r.Answered.IsZero()
		}
	}
	return Record{}, false
}
