// Package pace keeps a run's calls to Lambda's control plane within the
// account's quota: about 15 requests per second per account and Region,
// shared with everything else in the account and not raised on request
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests).
// Every request of the Lambda client, its retries included, waits for its
// turn; a 429 answer slows the pace down, and it comes back up a step each
// second without one.
package pace

import (
	"container/list"
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/time/rate"
)

// Quota is Lambda's control-plane quota per account and Region.
const Quota = 15

// Lowest is the slowest pace a run of 429s brings the pacer to.
const Lowest = 1

// Pacer hands out turns to make a request at a steady rate.
type Pacer struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	want    rate.Limit // the pace asked for; Urgent raises it to the quota
	last429 time.Time
	now     func() time.Time

	throttled int

	// line is the calls waiting for a turn, in order; each element is a
	// channel closed when the call becomes the head.
	lineMu sync.Mutex
	line   list.List
}

// New paces requests at perSecond (at most Quota).
func New(perSecond float64) *Pacer {
	want := rate.Limit(min(perSecond, Quota))
	// A burst of one: the requests of a second spread over it, as
	// Lambda counts them per second.
	return &Pacer{lim: rate.NewLimiter(want, 1), want: want, now: time.Now}
}

// Urgent raises the pace to Lambda's whole quota: putting aliases back
// after a failure, or before the runner's SIGKILL, may use it all.
func (p *Pacer) Urgent() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.want = Quota
	p.lim.SetLimit(Quota)
}

// Throttled is how many 429 answers the pacer has seen.
func (p *Pacer) Throttled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled
}

// Client paces the requests of inner.
func (p *Pacer) Client(inner aws.HTTPClient) aws.HTTPClient {
	return client{p: p, inner: inner}
}

type client struct {
	p     *Pacer
	inner aws.HTTPClient
}

func (c client) Do(req *http.Request) (*http.Response, error) {
	c.p.recover()
	if err := c.p.wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := c.inner.Do(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.p.slowDown()
	}
	return resp, err
}

// wait waits for the call's turn: its place in line, then, at the head of
// the line, the limiter's next turn. Calls take turns in the order they
// came.
//
// Only the head of the line books a turn with the limiter. rate.Limiter's
// Wait books a turn ahead and, when its context ends, gives it back only
// if no later turn was booked since ("as much as possible, considering
// that other reservations may have already been made",
// https://pkg.go.dev/golang.org/x/time/rate#Reservation.Cancel). Were every
// call to book ahead, the calls queued when a job is cancelled would end
// together with most of their turns still booked, and the rollback's
// moves, on a fresh context, would wait behind turns no one uses: up to
// the queue's length at the quota, past the 5 s a cancelled run has to
// put 50 aliases back. With one booking at a time the one given back is
// always the last, in full, and a call that leaves the line has booked
// nothing.
func (p *Pacer) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.lineMu.Lock()
	me := p.line.PushBack(make(chan struct{}))
	head := p.line.Front() == me
	p.lineMu.Unlock()
	if !head {
		select {
		case <-me.Value.(chan struct{}):
		case <-ctx.Done():
			p.leave(me)
			return ctx.Err()
		}
	}
	defer p.leave(me)
	return p.lim.Wait(ctx)
}

// leave takes a call out of the line; when it was the head, the next call
// becomes the head.
func (p *Pacer) leave(e *list.Element) {
	p.lineMu.Lock()
	defer p.lineMu.Unlock()
	wasHead := p.line.Front() == e
	p.line.Remove(e)
	if next := p.line.Front(); wasHead && next != nil {
		close(next.Value.(chan struct{}))
	}
}

// slowDown halves the pace after a 429: the account's quota is shared, and
// something else is using it.
func (p *Pacer) slowDown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttled++
	p.last429 = p.now()
	p.lim.SetLimit(max(p.lim.Limit()/2, Lowest))
}

// recover brings the pace back up by one request per second for each second
// without a 429, up to the pace asked for.
func (p *Pacer) recover() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.lim.Limit()
	if cur >= p.want || p.last429.IsZero() {
		return
	}
	quiet := p.now().Sub(p.last429).Seconds()
	if quiet < 1 {
		return
	}
	p.lim.SetLimit(min(cur+rate.Limit(quiet), p.want))
	p.last429 = p.now()
}
