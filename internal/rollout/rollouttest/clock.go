// Package rollouttest provides a fake clock for tests of code that waits
// through rollout.Clock.
package rollouttest

import (
	"sort"
	"sync"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// FakeClock is a rollout.Clock that moves only when told to. It is safe for
// use by several goroutines.
type FakeClock struct {
	mu       sync.Mutex
	now      time.Time
	waiters  []waiter
	watchers []watcher
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

type watcher struct {
	n  int
	ch chan struct{}
}

var _ rollout.Clock = (*FakeClock)(nil)

// NewFakeClock returns a fake clock that reads start until advanced.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start}
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the fake time once the clock has been
// advanced by d or more. A d of zero or less fires at once.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.notifyLocked()
	return ch
}

// Advance moves the clock forward by d and fires every After that is due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// AdvanceToNext moves the clock to the earliest pending After and fires it
// (and any other that is due by then). It reports false, and does nothing,
// when no After is pending.
func (c *FakeClock) AdvanceToNext() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return false
	}
	next := c.waiters[0].at
	for _, w := range c.waiters[1:] {
		if w.at.Before(next) {
			next = w.at
		}
	}
	if next.After(c.now) {
		c.setLocked(next)
	} else {
		c.setLocked(c.now)
	}
	return true
}

func (c *FakeClock) setLocked(t time.Time) {
	c.now = t
	sort.SliceStable(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t // buffered, never blocks
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}

// Waiters returns how many After channels have not fired yet.
func (c *FakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Blocked returns a channel that is closed once at least n After channels are
// pending. Use it in a select next to a done channel when the code under test
// may finish instead of waiting.
func (c *FakeClock) Blocked(n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if len(c.waiters) >= n {
		close(ch)
		return ch
	}
	c.watchers = append(c.watchers, watcher{n: n, ch: ch})
	return ch
}

// BlockUntil waits until at least n After channels are pending, that is until
// the code under test is waiting on the clock.
func (c *FakeClock) BlockUntil(n int) {
	<-c.Blocked(n)
}

func (c *FakeClock) notifyLocked() {
	kept := c.watchers[:0]
	for _, w := range c.watchers {
		if len(c.waiters) >= w.n {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	clear(c.watchers[len(kept):])
	c.watchers = kept
}
