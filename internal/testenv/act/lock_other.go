//go:build !unix

package act

import "testing"

// LockT holds no lock where flock is missing: podman, which the judge
// needs, runs on Linux only.
func LockT(t testing.TB) { t.Helper() }
