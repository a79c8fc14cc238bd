package pace

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
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

// However many requests run at once, no second holds more than the pace
// (one more at the edge of a second, the limiter's burst).
func TestPace(t *testing.T) {
	t.Parallel()
	s := &server{}
	url := s.start(t)
	p := New(10)
	fire(t, p.Client(http.DefaultClient), url, 25)
	if got := s.busiest(); got > 11 {
		t.Errorf("busiest second held %d requests at a pace of 10 per second", got)
	}
}

func TestSlowDownAndRecover(t *testing.T) {
	t.Parallel()
	s := &server{throttle: func(n int) bool { return n <= 2 }}
	url := s.start(t)
	now := time.Unix(0, 0)
	p := New(10)
	p.now = func() time.Time { return now }
	fire(t, p.Client(http.DefaultClient), url, 2)
	if got := p.lim.Limit(); got != 2.5 || p.Throttled() != 2 {
		t.Fatalf("after two 429s the pace is %v (%d seen), want 2.5", got, p.Throttled())
	}
	now = now.Add(3 * time.Second)
	fire(t, p.Client(http.DefaultClient), url, 1)
	if got := p.lim.Limit(); got != 5.5 {
		t.Errorf("three quiet seconds later the pace is %v, want 5.5", got)
	}
	now = now.Add(time.Minute)
	fire(t, p.Client(http.DefaultClient), url, 1)
	if got := p.lim.Limit(); got != 10 {
		t.Errorf("a quiet minute later the pace is %v, want back at 10", got)
	}
	p.Urgent()
	if got := p.lim.Limit(); got != rate.Limit(Quota) {
		t.Errorf("urgent pace %v, want the quota %d", got, Quota)
	}
	if got := New(50).lim.Limit(); got != Quota {
		t.Errorf("a pace above the quota is %v, want %d", got, Quota)
	}
}
