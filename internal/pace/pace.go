// Package pace keeps a run's calls to Lambda within the account's request
// quotas. Lambda has one quota per group of operations, per account and
// Region, shared with everything else in the account and not raised on
// request (see Quota): GetFunction 100 requests per second, GetPolicy 15,
// and the rest of the control plane 15 across all its operations
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests).
// The pacer keeps a bucket for each: every request of the Lambda client,
// its retries included, waits for a turn in the bucket of the quota AWS
// counts it in, chosen by the operation's name (Of); invocations, in no
// request quota, wait for none. A 429 answer slows down the bucket that
// answered it, and only that one; it comes back up a step each second
// without one.
//
// Each bucket hands out its turns as a token bucket: a burst of up to
// Burst turns goes at once, so that a promotion of one function (its reads
// at start-up, 4 of them of what calls the function, the publish, the move:
// 6 on the control plane) does not wait, and beyond it
// one turn every 1/pace seconds, so that calls in a wait loop (a Pending
// version's reads) are never held back by more than their place in line.
// A sliding window caps them besides: at most the pace's whole number of
// turns in any one second. AWS does not document how Lambda counts its
// second, so the window holds for every second, however it is cut.
package pace

import (
	"container/list"
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
)

// Lowest is the slowest pace a run of 429s brings a bucket to.
const Lowest = 1

// Burst is the most turns of one bucket that go at once after a quiet
// while: the default budget's whole second. The window still caps every
// second at the pace.
const Burst = 10

// slack lengthens the window: a request reaches AWS a little after its
// turn, some later than others (a new connection's handshake), and the
// window must still hold where AWS counts.
const slack = 50 * time.Millisecond

// Pacer hands out turns to make a request, in each bucket in the order
// they are asked for.
type Pacer struct {
	clock *clock
	// buckets holds the bucket of each quota; in a pacer of one bucket,
	// the same one for all, which invocations wait in too.
	buckets [numQuotas]*bucket
	one     bool
}

// clock is the time the buckets read and wait on; tests set a fake one.
type clock struct {
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// New paces the control plane's shared quota at perSecond (at most its
// quota, 15) and each other quota at the same share of it: at the default
// of 10, two thirds of each, GetFunction at 66.7 and GetPolicy at 10. A
// budget lowered for something else in the account lowers them all, since
// every quota is the account's.
func New(perSecond float64) *Pacer {
	share := min(perSecond, ControlPlane.PerSecond()) / ControlPlane.PerSecond()
	p := &Pacer{clock: &clock{now: time.Now, after: time.After}}
	for _, q := range Quotas {
		p.buckets[q] = newBucket(p.clock, q.PerSecond(), share*q.PerSecond())
	}
	return p
}

// OneBucket paces every Lambda request, invocations included, in one
// bucket at perSecond (at most the control plane's quota), as the pacer
// did before it kept a bucket per quota. The bench runs it beside New to
// measure the difference; a run uses New.
func OneBucket(perSecond float64) *Pacer {
	p := &Pacer{clock: &clock{now: time.Now, after: time.After}, one: true}
	b := newBucket(p.clock, ControlPlane.PerSecond(), min(perSecond, ControlPlane.PerSecond()))
	for _, q := range Quotas {
		p.buckets[q] = b
	}
	return p
}

// bucketFor is the bucket a request of Lambda operation op waits in; nil
// for an invocation, which waits for no turn.
func (p *Pacer) bucketFor(op string) *bucket {
	q, ok := Of(op)
	switch {
	case ok:
		return p.buckets[q]
	case p.one:
		return p.buckets[ControlPlane]
	}
	return nil
}

// Urgent raises every bucket's pace to its whole quota: putting aliases
// back after a failure, or before the runner's SIGKILL, may use it all.
func (p *Pacer) Urgent() {
	for _, b := range p.buckets {
		b.urgent()
	}
}

// Throttled is how many 429 answers quota q's bucket has seen.
func (p *Pacer) Throttled(q Quota) int {
	b := p.buckets[q]
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.throttled
}

// Pace is the requests per second quota q's bucket allows now.
func (p *Pacer) Pace(q Quota) float64 {
	b := p.buckets[q]
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pace
}

// Budget is the pace asked of quota q's bucket: where 429s slow it down
// from and come back up to.
func (p *Pacer) Budget(q Quota) float64 {
	b := p.buckets[q]
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.want
}

// Client paces the requests of inner, a Lambda client's HTTP client: each
// waits in the bucket of its operation, which the SDK puts in the
// request's context.
func (p *Pacer) Client(inner aws.HTTPClient) aws.HTTPClient {
	return client{p: p, inner: inner}
}

type client struct {
	p     *Pacer
	inner aws.HTTPClient
}

func (c client) Do(req *http.Request) (*http.Response, error) {
	b := c.p.bucketFor(awsmiddleware.GetOperationName(req.Context()))
	if b == nil {
		return c.inner.Do(req)
	}
	b.recover()
	if err := b.wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := c.inner.Do(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		b.slowDown()
	}
	return resp, err
}

// bucket paces the requests of one quota.
type bucket struct {
	*clock
	quota float64 // the quota itself: Urgent's pace

	mu        sync.Mutex
	pace      float64 // requests per second now
	want      float64 // the pace asked for; Urgent raises it to the quota
	tokens    float64 // turns that may go at once, up to the burst
	filled    time.Time
	turns     []time.Time // the turns within the window, oldest first
	last429   time.Time
	throttled int

	// line is the calls waiting for a turn, in order; each element is a
	// channel closed when the call becomes the head.
	lineMu sync.Mutex
	line   list.List
}

func newBucket(c *clock, quota, perSecond float64) *bucket {
	want := min(perSecond, quota)
	return &bucket{clock: c, quota: quota, pace: want, want: want, tokens: Burst}
}

func (b *bucket) urgent() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.want, b.pace = b.quota, b.quota
}

// wait waits for the call's turn: its place in line, then, at the head of
// the line, a turn in the window. A call whose context ends leaves the line
// having taken nothing, so a cancelled job's queued calls cost the
// rollback's moves no turns.
func (b *bucket) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.lineMu.Lock()
	me := b.line.PushBack(make(chan struct{}))
	head := b.line.Front() == me
	b.lineMu.Unlock()
	defer b.leave(me)
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
		d := b.take()
		if d == 0 {
			return nil
		}
		select {
		case <-b.after(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take takes a turn if there is a token and the window has room, and
// returns 0; otherwise it returns how long until there may be.
func (b *bucket) take() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	n, window := b.window()
	burst := float64(min(Burst, n))
	if !b.filled.IsZero() {
		b.tokens = min(burst, b.tokens+now.Sub(b.filled).Seconds()*b.pace)
	}
	b.tokens = min(b.tokens, burst)
	b.filled = now
	i := 0
	for i < len(b.turns) && !b.turns[i].After(now.Add(-window)) {
		i++
	}
	b.turns = b.turns[i:]
	var wait time.Duration
	if b.tokens < 1 {
		wait = time.Duration((1 - b.tokens) / b.pace * float64(time.Second))
	}
	if len(b.turns) >= n {
		// The n-th latest turn must leave the window first.
		wait = max(wait, b.turns[len(b.turns)-n].Add(window).Sub(now))
	}
	if wait > 0 {
		return max(wait, time.Millisecond)
	}
	b.tokens--
	b.turns = append(b.turns, now)
	return 0
}

// window is how many turns fit in how long: the pace's whole number of
// requests in a second (2 for 2.5, 66 for 66.7), or one request in 1/pace
// seconds below one a second; plus the slack.
func (b *bucket) window() (int, time.Duration) {
	if b.pace < 1 {
		return 1, time.Duration(float64(time.Second)/b.pace) + slack
	}
	return int(math.Floor(b.pace)), time.Second + slack
}

// leave takes a call out of the line; when it was the head, the next call
// becomes the head.
func (b *bucket) leave(e *list.Element) {
	b.lineMu.Lock()
	defer b.lineMu.Unlock()
	wasHead := b.line.Front() == e
	b.line.Remove(e)
	if next := b.line.Front(); wasHead && next != nil {
		close(next.Value.(chan struct{}))
	}
}

// slowDown halves the pace after a 429: the account's quota is shared, and
// something else is using it.
func (b *bucket) slowDown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.throttled++
	b.last429 = b.now()
	b.pace = max(b.pace/2, Lowest)
}

// recover brings the pace back up for each second without a 429, by a
// tenth of the pace asked for and at least one request per second, up to
// the pace asked for: at the control plane's default of 10, one request
// per second, and GetFunction's 66.7 in as many seconds.
func (b *bucket) recover() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pace >= b.want || b.last429.IsZero() {
		return
	}
	quiet := b.now().Sub(b.last429).Seconds()
	if quiet < 1 {
		return
	}
	b.pace = min(b.pace+quiet*max(b.want/10, 1), b.want)
	b.last429 = b.now()
}
