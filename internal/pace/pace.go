// Package pace keeps a run's calls to Lambda's control plane within the
// account's quota: about 15 requests per second per account and Region,
// shared with everything else in the account and not raised on request
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests).
// Every request of the Lambda client, its retries included, waits for its
// turn; a 429 answer slows the pace down, and it comes back up a step each
// second without one.
//
// Turns are spaced at the pace, as a token bucket: a burst of up to Burst
// turns goes at once, so that a promotion of one function (its 7 reads at
// start-up, 4 of them of what calls the function, the publish, the move)
// does not wait, and beyond it one turn
// every 1/pace seconds, so that calls in a wait loop (a Pending version's
// reads) are never held back by more than their place in line. A sliding
// window caps them besides: at most the pace's whole number of turns in any
// one second. AWS does not document how Lambda counts its second, so the
// window holds for every second, however it is cut.
package pace

import (
	"container/list"
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Quota is Lambda's control-plane quota per account and Region.
const Quota = 15

// Lowest is the slowest pace a run of 429s brings the pacer to.
const Lowest = 1

// Burst is the most turns that go at once after a quiet while.
const Burst = 10

// slack lengthens the window: a request reaches AWS a little after its
// turn, some later than others (a new connection's handshake), and the
// window must still hold where AWS counts.
const slack = 50 * time.Millisecond

// Pacer hands out turns to make a request, in the order they are asked for.
type Pacer struct {
	mu        sync.Mutex
	pace      float64 // requests per second now
	want      float64 // the pace asked for; Urgent raises it to the quota
	tokens    float64 // turns that may go at once, up to the burst
	filled    time.Time
	turns     []time.Time // the turns within the window, oldest first
	last429   time.Time
	throttled int

	now   func() time.Time
	after func(time.Duration) <-chan time.Time

	// line is the calls waiting for a turn, in order; each element is a
	// channel closed when the call becomes the head.
	lineMu sync.Mutex
	line   list.List
}

// New paces requests at perSecond (at most Quota).
func New(perSecond float64) *Pacer {
	want := min(perSecond, Quota)
	return &Pacer{pace: want, want: want, tokens: Burst, now: time.Now, after: time.After}
}

// Urgent raises the pace to Lambda's whole quota: putting aliases back
// after a failure, or before the runner's SIGKILL, may use it all.
func (p *Pacer) Urgent() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.want, p.pace = Quota, Quota
}

// Throttled is how many 429 answers the pacer has seen.
func (p *Pacer) Throttled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled
}

// Pace is the requests per second the pacer allows now.
func (p *Pacer) Pace() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pace
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
// the line, a turn in the window. A call whose context ends leaves the line
// having taken nothing, so a cancelled job's queued calls cost the
// rollback's moves no turns.
func (p *Pacer) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.lineMu.Lock()
	me := p.line.PushBack(make(chan struct{}))
	head := p.line.Front() == me
	p.lineMu.Unlock()
	defer p.leave(me)
	if !head {
		select {
		case <-me.Value.(chan struct{}):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		// A select with both cases ready picks one at random: a call that
		// became the head, or whose wait ended, as its context ended must
		// still take no turn.
		if err := ctx.Err(); err != nil {
			return err
		}
		d := p.take()
		if d == 0 {
			return nil
		}
		select {
		case <-p.after(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take takes a turn if there is a token and the window has room, and
// returns 0; otherwise it returns how long until there may be.
func (p *Pacer) take() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	n, window := p.window()
	burst := float64(min(Burst, n))
	if !p.filled.IsZero() {
		p.tokens = min(burst, p.tokens+now.Sub(p.filled).Seconds()*p.pace)
	}
	p.tokens = min(p.tokens, burst)
	p.filled = now
	i := 0
	for i < len(p.turns) && !p.turns[i].After(now.Add(-window)) {
		i++
	}
	p.turns = p.turns[i:]
	var wait time.Duration
	if p.tokens < 1 {
		wait = time.Duration((1 - p.tokens) / p.pace * float64(time.Second))
	}
	if len(p.turns) >= n {
		// The n-th latest turn must leave the window first.
		wait = max(wait, p.turns[len(p.turns)-n].Add(window).Sub(now))
	}
	if wait > 0 {
		return max(wait, time.Millisecond)
	}
	p.tokens--
	p.turns = append(p.turns, now)
	return 0
}

// window is how many turns fit in how long: the pace's whole number of
// requests in a second (2 for 2.5), or one request in 1/pace seconds below
// one a second; plus the slack.
func (p *Pacer) window() (int, time.Duration) {
	if p.pace < 1 {
		return 1, time.Duration(float64(time.Second)/p.pace) + slack
	}
	return int(math.Floor(p.pace)), time.Second + slack
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
	p.pace = max(p.pace/2, Lowest)
}

// recover brings the pace back up by one request per second for each second
// without a 429, up to the pace asked for.
func (p *Pacer) recover() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pace >= p.want || p.last429.IsZero() {
		return
	}
	quiet := p.now().Sub(p.last429).Seconds()
	if quiet < 1 {
		return
	}
	p.pace = min(p.pace+quiet, p.want)
	p.last429 = p.now()
}
