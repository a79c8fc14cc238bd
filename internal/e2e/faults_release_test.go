package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// The fail-safe bench for releases: a release of three functions in two
// steps, with one fault at one call of one function, must end with every
// alias on the new version (exit 0, promoted) or every alias on the stable
// one (exit non-zero, rolled back or failed): never some on each.
func TestFailSafeRelease(t *testing.T) {
	t.Parallel()
	type position struct {
		fn      int    // which function of the release, from 0
		op      string // its call
		nth     int    // the nth call of op for that function
		between bool   // made once the aliases may have moved
	}
	positions := []position{
		{0, "PublishVersion", 1, false},
		{1, "GetAlias", 2, true}, // the drift check before 10 %
		{1, "UpdateAlias", 1, true},
		{2, "GetAlias", 3, true}, // before 100 %
		{2, "UpdateAlias", 2, true},
	}
	var (
		mu                     sync.Mutex
		ended, whole, promoted int
	)
	for _, pos := range positions {
		for _, k := range fsKinds {
			if !fsPossible(pos.op, k) {
				continue
			}
			for _, persistent := range []bool{false, true} {
				waited := k.waited && fsWaitedOps[pos.op]
				if persistent && !k.retried && !waited {
					continue // the first attempt is the only one
				}
				name := fmt.Sprintf("fn%d/%s#%d/%s", pos.fn+1, pos.op, pos.nth, k.name)
				if persistent {
					name += "/persistent"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					if testing.Short() && (persistent || k.name != "500") {
						t.Skip("one kind of fault per position under -short")
					}
					srv, svc := service(t, 3)
					p := realProxy(t, srv.URL)
					fn := svc.Functions[pos.fn]
					attempts := 1
					switch {
					case persistent && waited:
						attempts = fsConflictAttempts
					case persistent:
						attempts = fsAttempts
					}
					for a := range attempts {
						p.InjectFor(fn, pos.op, pos.nth+a, k.fault)
					}
					r := runAction(t, srv, releaseInputs(svc, "steps", "10,100", "interval", "1s", "wait-timeout", fsWait.String()), Options{Proxy: p})
					got := routes(t, srv, svc)
					all := func(v string) bool {
						for _, g := range got {
							if g != v {
								return false
							}
						}
						return true
					}
					ok := r.Code == 0 && all("2") && r.Outputs["status"] == "promoted" ||
						r.Code != 0 && all("1") && (r.Outputs["status"] == "rolled-back" || r.Outputs["status"] == "failed")
					if !ok {
						t.Errorf("exit %d, status %q, aliases %s: want all on 2 and promoted, or all on 1", r.Code, r.Outputs["status"], strings.Join(got, " "))
					}
					if !persistent && (k.retried || waited) && r.Code != 0 {
						t.Errorf("a fault the SDK's retries or the binary's wait absorb failed the release: exit %d, status %q", r.Code, r.Outputs["status"])
					}
					mu.Lock()
					defer mu.Unlock()
					ended++
					if ok {
						whole++
					}
					if r.Code == 0 {
						promoted++
					}
				})
			}
		}
	}
	t.Cleanup(func() {
		if ended > 0 {
			t.Logf("release fault matrix: %d scenarios, %d ended whole (%d promoted, %d back on stable)", ended, whole, promoted, whole-promoted)
		}
	})
}
