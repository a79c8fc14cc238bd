// Package pace keeps a run's calls to Lambda's control plane within the
// account's quota: about 15 requests per second per account and Region,
// shared with everything else in the account and not raised on request
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests).
// Every request of the Lambda client, its retries included, waits for its
// turn; a 429 answer slows the pace down, and it comes back up a step each
// second without one.
package pace

import (
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

// wait waits until a turn is free and takes it, or until ctx ends. It does
// not book a turn ahead, as rate.Limiter's Wait does: a booked turn is given
// back when its context ends only if no later one was booked since ("as
// much as possible, considering that other reservations may have already
// been made", https://pkg.go.dev/golang.org/x/time/rate#Reservation.Cancel).
// When a job is cancelled, the calls queued for their turns all end at
// once and most of their turns would stay booked: the rollback's moves,
// on a fresh context, would wait behind up to the whole queue ÷ the pace
// for requests no one makes, past the runner's SIGKILL with 50 functions.
// Here a waiter that gives up leaves nothing behind. Waiters are not
// served in order: whichever wakes first when a turn is due takes it.
func (p *Pacer) wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		if p.lim.AllowN(now, 1) {
			return nil
		}
		// The next turn is due when the bucket holds a whole token again.
		due := time.Duration((1 - p.lim.TokensAt(now)) / float64(p.lim.Limit()) * float64(time.Second))
		t := time.NewTimer(max(due, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
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
