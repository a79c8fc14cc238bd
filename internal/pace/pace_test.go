package pace

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/rollout/rollouttest"
)

// server records when requests arrive, and answers 429 while throttle says.
type server struct {
	mu       sync.Mutex
	arrivals []time.Time
	throttle func(n int) bool
}

func (s *server) start(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.arrivals = append(s.arrivals, time.Now())
		n := len(s.arrivals)
		s.mu.Unlock()
		if s.throttle != nil && s.throttle(n) {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// busiest is the most requests that arrived within any one second.
func (s *server) busiest() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return most(s.arrivals)
}

// most is the most of times, in order, that fall within any one second.
func most(times []time.Time) int {
	m := 0
	for i, a := range times {
		n := 0
		for _, b := range times[i:] {
			if b.Sub(a) < time.Second {
				n++
			}
		}
		m = max(m, n)
	}
	return m
}

func fire(t *testing.T, c interface {
	Do(*http.Request) (*http.Response, error)
}, url string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
}

// fakeTime is the pacer's clock in tests: a fake clock that moves only by
// Advance, and the waits the pacer asked of it.
type fakeTime struct {
	*rollouttest.FakeClock
	mu    sync.Mutex
	waits []time.Duration // every wait asked for, in order
}

func newFakeTime(p *Pacer) *fakeTime {
	f := &fakeTime{FakeClock: rollouttest.NewFakeClock(time.Unix(1_800_000_000, 0))}
	p.clock.now = f.Now
	p.clock.after = func(d time.Duration) <-chan time.Time {
		f.mu.Lock()
		f.waits = append(f.waits, d)
		f.mu.Unlock()
		return f.After(d)
	}
	return f
}

func (f *fakeTime) asked() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// inLine waits until n calls stand in the bucket's line.
func inLine(t *testing.T, b *bucket, n int) {
	t.Helper()
	for range 10_000 {
		b.lineMu.Lock()
		got := b.line.Len()
		b.lineMu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the line never held %d calls", n)
}

// turns is how many turns bucket b holds in its window.
func turns(b *bucket) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.turns)
}

func TestOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op string
		q  Quota
		ok bool
	}{
		{"GetFunction", GetFunction, true},
		{"GetPolicy", GetPolicy, true},
		// Every other operation shares the control plane's quota: the
		// reads of other shapes of a function too.
		{"GetFunctionConfiguration", ControlPlane, true},
		{"GetAlias", ControlPlane, true},
		{"UpdateAlias", ControlPlane, true},
		{"PublishVersion", ControlPlane, true},
		{"GetProvisionedConcurrencyConfig", ControlPlane, true},
		{"GetLayerVersionPolicy", ControlPlane, true},
		{"ListTags", ControlPlane, true},
		{"SomeOperationAddedLater", ControlPlane, true},
		{"", ControlPlane, true},
		// Invocations count in no request quota.
		{"Invoke", 0, false},
		{"InvokeAsync", 0, false},
		{"InvokeWithResponseStream", 0, false},
	} {
		q, ok := Of(tc.op)
		if ok != tc.ok || (ok && q != tc.q) {
			t.Errorf("Of(%q) = %v, %t; want %v, %t", tc.op, q, ok, tc.q, tc.ok)
		}
	}
}

// Each bucket's budget is the same share of its quota as the control
// plane's budget is of its own; Urgent raises each to its whole quota.
func TestBudgets(t *testing.T) {
	t.Parallel()
	type budgets [numQuotas]float64
	of := func(p *Pacer) budgets {
		var b budgets
		for _, q := range Quotas {
			b[q] = p.Budget(q)
			if p.Pace(q) != b[q] {
				t.Errorf("%v: pace %v, budget %v; want the same before any 429", q, p.Pace(q), b[q])
			}
		}
		return b
	}
	near := func(a, b budgets) bool {
		for i := range a {
			if d := a[i] - b[i]; d > 1e-9 || d < -1e-9 {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		name         string
		p            *Pacer
		want, urgent budgets
	}{
		{"the default: two thirds of each", New(10), budgets{10, 200.0 / 3, 10}, budgets{15, 100, 15}},
		{"a third", New(5), budgets{5, 100.0 / 3, 5}, budgets{15, 100, 15}},
		{"the whole quota", New(15), budgets{15, 100, 15}, budgets{15, 100, 15}},
		{"above the quota", New(50), budgets{15, 100, 15}, budgets{15, 100, 15}},
		{"one bucket for all", OneBucket(10), budgets{10, 10, 10}, budgets{15, 15, 15}},
		{"one bucket above the quota", OneBucket(50), budgets{15, 15, 15}, budgets{15, 15, 15}},
	} {
		if got := of(tc.p); !near(got, tc.want) {
			t.Errorf("%s: budgets %v, want %v", tc.name, got, tc.want)
		}
		tc.p.Urgent()
		if got := of(tc.p); !near(got, tc.urgent) {
			t.Errorf("%s: urgent budgets %v, want %v", tc.name, got, tc.urgent)
		}
	}
}

// However many requests run at once, no second holds more than the pace.
func TestPace(t *testing.T) {
	t.Parallel()
	s := &server{}
	url := s.start(t)
	p := New(10)
	fire(t, p.Client(http.DefaultClient), url, 25)
	if got := s.busiest(); got > 10 {
		t.Errorf("busiest second held %d requests at a pace of 10 per second", got)
	}
}

// takeAll takes n turns of b, letting the fake clock run through each
// wait, and returns when each was taken and the waits before it.
func takeAll(b *bucket, ft *fakeTime, n int) (at []time.Time, waits []time.Duration) {
	for len(at) < n {
		var waited time.Duration
		for d := b.take(); d != 0; d = b.take() {
			ft.Advance(d)
			waited += d
		}
		at = append(at, ft.Now())
		waits = append(waits, waited)
	}
	return at, waits
}

// Each bucket's turns: the first go at once, up to the burst; then one
// every 1/pace seconds; and never more than the pace's whole number in
// any one second. A promotion of one function (6 control-plane requests
// all at once) never waits.
func TestPaceShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		perSecond float64 // the budget New is given
		q         Quota
		pace      float64       // the bucket's pace
		free      int           // turns taken without a wait
		next      time.Duration // the wait of the next
		most      int           // turns in any one second
	}{
		{10, ControlPlane, 10, 10, time.Second + slack, 10}, // the burst is the window's whole second
		{10, GetFunction, 200.0 / 3, 10, 15 * time.Millisecond, 66},
		{10, GetPolicy, 10, 10, time.Second + slack, 10},
		{15, ControlPlane, 15, 10, time.Second / 15, 15},
		{15, GetFunction, 100, 10, 10 * time.Millisecond, 100},
		{2.5, ControlPlane, 2.5, 2, time.Second + slack, 2}, // whole requests: never 3 in a second
		{2.5, GetPolicy, 2.5, 2, time.Second + slack, 2},
		{2.5, GetFunction, 50.0 / 3, 10, 60 * time.Millisecond, 16},
		{1, ControlPlane, 1, 1, time.Second + slack, 1},
		{0.5, ControlPlane, 0.5, 1, 2*time.Second + slack, 1},
		{0.5, GetFunction, 10.0 / 3, 3, time.Second + slack, 3},
	} {
		p := New(tc.perSecond)
		ft := newFakeTime(p)
		b := p.buckets[tc.q]
		at, waits := takeAll(b, ft, 300)
		name := func() string { return fmt.Sprintf("%v at %.3g per second", tc.q, tc.pace) }
		for i, w := range waits[:tc.free] {
			if w != 0 {
				t.Errorf("%s: turn %d waited %v; the first %d go at once", name(), i+1, w, tc.free)
			}
		}
		if got := waits[tc.free]; got != tc.next {
			t.Errorf("%s: turn %d waited %v, want %v", name(), tc.free+1, got, tc.next)
		}
		if got := most(at); got > tc.most {
			t.Errorf("%s: %d turns in one second, want at most %d", name(), got, tc.most)
		}
		// Over 300 turns the pace is kept, less the window's slack.
		span := at[len(at)-1].Sub(at[0]).Seconds()
		if rate := float64(len(at)-tc.free) / span; rate > tc.pace || rate < 0.9*min(tc.pace, float64(tc.most)) {
			t.Errorf("%s: %.2f turns per second over 300", name(), rate)
		}
	}
}

// A bucket whose window is full holds back only its own calls: the other
// quotas' turns still go at once.
func TestBucketsApart(t *testing.T) {
	t.Parallel()
	p := New(10)
	ft := newFakeTime(p)
	takeAll(p.buckets[ControlPlane], ft, 10)
	if d := p.buckets[ControlPlane].take(); d == 0 {
		t.Fatal("an 11th control-plane turn within the second went at once at a pace of 10")
	}
	for _, q := range []Quota{GetFunction, GetPolicy} {
		for i := range Burst {
			if d := p.buckets[q].take(); d != 0 {
				t.Errorf("%v turn %d waits %v behind a full control-plane window", q, i+1, d)
			}
		}
	}
	// In one bucket for all, as before, every call waits behind them.
	one := OneBucket(10)
	oft := newFakeTime(one)
	takeAll(one.buckets[ControlPlane], oft, 10)
	for _, q := range []Quota{GetFunction, GetPolicy} {
		if d := one.bucketFor(q.String()).take(); d == 0 {
			t.Errorf("one bucket: a %v turn went at once behind 10 control-plane turns at 10 per second", q)
		}
	}
	if one.bucketFor("Invoke") != one.buckets[ControlPlane] || p.bucketFor("Invoke") != nil {
		t.Error("an invocation waits in the one bucket of OneBucket, and in none of New's")
	}
}

// Calls take turns in the order they came: a release's phases keep the
// order in which its calls were made.
func TestTurnsInOrder(t *testing.T) {
	t.Parallel()
	p := New(3)
	ft := newFakeTime(p)
	b := p.buckets[ControlPlane]
	// Three turns a millisecond apart (the burst) fill the window.
	for range 3 {
		if d := b.take(); d != 0 {
			t.Fatalf("a turn of the burst waits %v", d)
		}
		ft.Advance(time.Millisecond)
	}
	got := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := b.wait(context.Background()); err != nil {
				t.Error(err)
			}
			got <- i
		}()
		inLine(t, b, i+1)
	}
	// Each old turn that leaves the window lets exactly one call go: the
	// one that came first. The clock moves only once the head of the line
	// waits on it: a head that has read the time but not yet asked to wait
	// would otherwise wait from a later time than it measured from.
	start := ft.Now().Add(-3 * time.Millisecond)
	for want := range 3 {
		headWaits(t, ft)
		ft.AdvanceToNext()
		var g int
		select {
		case g = <-got:
		case <-time.After(10 * time.Second): // a guard against a hung test only
			t.Fatalf("call %d never took the turn its wait led to", want)
		}
		if g != want {
			t.Fatalf("call %d took the turn, want call %d", g, want)
		}
		// The turn came when the burst's turn number want left the window.
		if at, due := ft.Now(), start.Add(time.Duration(want)*time.Millisecond+time.Second+slack); !at.Equal(due) {
			t.Errorf("call %d went at %v after the burst, want %v", want, at.Sub(start), due.Sub(start))
		}
	}
}

// headWaits waits until the head of the pacer's line waits on the fake
// clock. The bound only keeps a broken pacer from hanging the test run.
func headWaits(t *testing.T, ft *fakeTime) {
	t.Helper()
	select {
	case <-ft.Blocked(1):
	case <-time.After(10 * time.Second): // a guard against a hung test only
		t.Fatal("the head of the line never waited on the clock")
	}
}

// Calls whose context ends while they wait leave having taken no turn: a
// cancelled job's queued reads must not delay the rollback's moves that
// follow on a fresh context (the runner kills the job 10 s after SIGINT).
func TestCancelledWaitsTakeNoTurn(t *testing.T) {
	t.Parallel()
	p := New(10)
	ft := newFakeTime(p)
	b := p.buckets[ControlPlane]
	takeAll(b, ft, 10) // the window is full
	before := len(ft.asked())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if err := b.wait(ctx); err == nil {
				t.Error("a queued read got a turn in a full window")
			}
		})
	}
	inLine(t, b, 30)
	cancel()
	wg.Wait()
	// The 30 reads took nothing: the window holds the 10 turns it held,
	// and only the head of the line asked for a wait.
	if n := turns(b); n != 10 {
		t.Errorf("%d turns in the window, want 10", n)
	}
	if w := ft.asked()[before:]; len(w) != 1 {
		t.Errorf("waits %v; want only the head's one, cancelled", w)
	}
	// The rollback at the quota waits for one turn at most, as if no
	// read had queued.
	p.Urgent()
	if _, waits := takeAll(b, ft, 5); waits[0] > time.Second/15 {
		t.Errorf("the first move back waited %v", waits[0])
	}
}

func TestSlowDownAndRecover(t *testing.T) {
	t.Parallel()
	s := &server{throttle: func(n int) bool { return n <= 2 }}
	url := s.start(t)
	p := New(10)
	ft := newFakeTime(p)
	fire(t, p.Client(http.DefaultClient), url, 2)
	if got := p.Pace(ControlPlane); got != 2.5 || p.Throttled(ControlPlane) != 2 {
		t.Fatalf("after two 429s the pace is %v (%d seen), want 2.5", got, p.Throttled(ControlPlane))
	}
	ft.Advance(3 * time.Second)
	fire(t, p.Client(http.DefaultClient), url, 1)
	if got := p.Pace(ControlPlane); got != 5.5 {
		t.Errorf("three quiet seconds later the pace is %v, want 5.5", got)
	}
	ft.Advance(time.Minute)
	fire(t, p.Client(http.DefaultClient), url, 1)
	if got := p.Pace(ControlPlane); got != 10 {
		t.Errorf("a quiet minute later the pace is %v, want back at 10", got)
	}
	// GetFunction's bucket comes back by a tenth of its 66.7 a second.
	gf := p.buckets[GetFunction]
	gf.slowDown()
	gf.slowDown()
	ft.Advance(3 * time.Second)
	gf.recover()
	if got, want := p.Pace(GetFunction), 200.0/3/4+3*200.0/3/10; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("GetFunction: two 429s and three quiet seconds later the pace is %v, want %v", got, want)
	}
	p.Urgent()
	if got := p.Pace(ControlPlane); got != 15 {
		t.Errorf("urgent pace %v, want the quota 15", got)
	}
}
