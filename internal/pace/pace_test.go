package pace

import (
	"context"
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
	most := 0
	for i, a := range s.arrivals {
		n := 0
		for _, b := range s.arrivals[i:] {
			if b.Sub(a) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
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
	p.now = f.Now
	p.after = func(d time.Duration) <-chan time.Time {
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

// inLine waits until n calls stand in the pacer's line.
func inLine(t *testing.T, p *Pacer, n int) {
	t.Helper()
	for range 10_000 {
		p.lineMu.Lock()
		got := p.line.Len()
		p.lineMu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the line never held %d calls", n)
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

// takeAll takes n turns, letting the fake clock run through each wait, and
// returns when each was taken and the waits before it.
func takeAll(p *Pacer, ft *fakeTime, n int) (at []time.Time, waits []time.Duration) {
	for len(at) < n {
		var waited time.Duration
		for d := p.take(); d != 0; d = p.take() {
			ft.Advance(d)
			waited += d
		}
		at = append(at, ft.Now())
		waits = append(waits, waited)
	}
	return at, waits
}

// The first turns go at once, up to the burst; then one every 1/pace
// seconds; and never more than the pace's whole number in any one second.
// A promotion of one function (9 Lambda requests all at once) never waits.
func TestPaceShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pace float64
		free int           // turns taken without a wait
		next time.Duration // the wait of the next
		most int           // turns in any one second
	}{
		{10, 10, time.Second + slack, 10}, // the burst is the window's whole second
		{15, 10, time.Second / 15, 15},
		{2.5, 2, time.Second + slack, 2}, // whole requests: never 3 in a second
		{1, 1, time.Second + slack, 1},
		{0.5, 1, 2*time.Second + slack, 1},
	} {
		p := New(tc.pace)
		ft := newFakeTime(p)
		at, waits := takeAll(p, ft, 100)
		for i, w := range waits[:tc.free] {
			if w != 0 {
				t.Errorf("pace %v: turn %d waited %v; the first %d go at once", tc.pace, i+1, w, tc.free)
			}
		}
		if got := waits[tc.free]; got != tc.next {
			t.Errorf("pace %v: turn %d waited %v, want %v", tc.pace, tc.free+1, got, tc.next)
		}
		most := 0
		for i := range at {
			n := 0
			for _, b := range at[i:] {
				if b.Sub(at[i]) < time.Second {
					n++
				}
			}
			most = max(most, n)
		}
		if most > tc.most {
			t.Errorf("pace %v: %d turns in one second, want at most %d", tc.pace, most, tc.most)
		}
		// Over 100 turns the pace is kept, less the window's slack.
		span := at[len(at)-1].Sub(at[0]).Seconds()
		if rate := float64(len(at)-tc.free) / span; rate > tc.pace || rate < 0.9*min(tc.pace, float64(tc.most)) {
			t.Errorf("pace %v: %.2f turns per second over 100", tc.pace, rate)
		}
	}
}

// Calls take turns in the order they came: a release's phases keep the
// order in which its calls were made.
func TestTurnsInOrder(t *testing.T) {
	t.Parallel()
	p := New(3)
	ft := newFakeTime(p)
	// Three turns a millisecond apart (the burst) fill the window.
	for range 3 {
		if d := p.take(); d != 0 {
			t.Fatalf("a turn of the burst waits %v", d)
		}
		ft.Advance(time.Millisecond)
	}
	got := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := p.wait(context.Background()); err != nil {
				t.Error(err)
			}
			got <- i
		}()
		inLine(t, p, i+1)
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
	takeAll(p, ft, 10) // the window is full
	before := len(ft.asked())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if err := p.wait(ctx); err == nil {
				t.Error("a queued read got a turn in a full window")
			}
		})
	}
	inLine(t, p, 30)
	cancel()
	wg.Wait()
	// The 30 reads took nothing: the window holds the 10 turns it held,
	// and only the head of the line asked for a wait.
	if n := len(p.turns); n != 10 {
		t.Errorf("%d turns in the window, want 10", n)
	}
	if w := ft.asked()[before:]; len(w) != 1 {
		t.Errorf("waits %v; want only the head's one, cancelled", w)
	}
	// The rollback at the quota waits for one turn at most, as if no
	// read had queued.
	p.Urgent()
	if _, waits := takeAll(p, ft, 5); waits[0] > time.Second/Quota {
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
	if got := p.Pace(); got != 2.5 || p.Throttled() != 2 {
		t.Fatalf("after two 429s the pace is %v (%d seen), want 2.5", got, p.Throttled())
	}
	ft.Advance(3 * time.Second)
	fire(t, p.Client(http.DefaultClient), url, 1)
	if got := p.Pace(); got != 5.5 {
		t.Errorf("three quiet seconds later the pace is %v, want 5.5", got)
	}
	ft.Advance(time.Minute)
	fire(t, p.Client(http.DefaultClient), url, 1)
	if got := p.Pace(); got != 10 {
		t.Errorf("a quiet minute later the pace is %v, want back at 10", got)
	}
	p.Urgent()
	if got := p.Pace(); got != Quota {
		t.Errorf("urgent pace %v, want the quota %d", got, Quota)
	}
	if got := New(50).Pace(); got != Quota {
		t.Errorf("a pace above the quota is %v, want %d", got, Quota)
	}
}
