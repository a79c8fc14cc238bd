package pace

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Calls whose context ends while they wait for a turn leave no turn taken:
// a cancelled job's queued reads must not delay the rollback's moves that
// follow on a fresh context (the runner kills the job 10 s after SIGINT).
func TestCancelledWaitsLeaveNoDebt(t *testing.T) {
	t.Parallel()
	s := &server{}
	url := s.start(t)
	p := New(10)
	c := p.Client(http.DefaultClient)

	// 30 reads queue up; the job is cancelled once the first is answered.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	answered := make(chan struct{}, 1)
	for range 30 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
				select {
				case answered <- struct{}{}:
				default:
				}
			}
		})
	}
	<-answered
	cancel()
	cancelled := time.Now()
	wg.Wait()
	queued := len(s.times())

	// The rollback: 15 moves at the quota.
	p.Urgent()
	fire(t, c, url, 15)
	moves := s.times()[queued:]
	if len(moves) != 15 {
		t.Fatalf("%d moves reached the server, want 15", len(moves))
	}
	first, last := moves[0].Sub(cancelled), moves[len(moves)-1].Sub(cancelled)
	// At 15 per second the 15 moves take 14/15 s after the first; the
	// first goes within a turn. The 29 cancelled reads must not add their
	// turns (about 2 s at the quota).
	if first > 300*time.Millisecond || last > 1500*time.Millisecond {
		t.Errorf("after the cancel the first move went at %s and the last at %s, want within 0.3 s and 1.5 s (%d cancelled reads had queued)",
			first, last, 30-queued)
	}
}

// Calls take turns in the order they came: a release's phases keep the
// order in which its calls were made.
func TestTurnsInOrder(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []string
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Query().Get("call"))
		mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	c := New(10).Client(http.DefaultClient)
	var wg sync.WaitGroup
	want := []string{"0", "1", "2", "3", "4"}
	for _, call := range want {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"?call="+call, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
		// Turns are 100 ms apart: each call is in line well before the
		// next comes.
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order of the calls (-want +got):\n%s", diff)
	}
}

// times is a copy of the arrivals, in order.
func (s *server) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrivals...)
}
