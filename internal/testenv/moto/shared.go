package moto

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// One server for all the tests of a test binary that seed resources under
// names of their own (see Unique): starting moto for each test costs more
// CPU than most tests use.
var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	seq        atomic.Int64
)

// Shared returns the test binary's shared server, started on first use.
// When moto is not installed the test is skipped, or fails when CI=true.
// The package's TestMain stops it with StopShared, or runs its tests with
// Main.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start(context.Background()) })
	required(t, sharedErr)
	return shared
}

// StopShared stops the shared server, if one was started.
func StopShared() error {
	if shared == nil {
		return nil
	}
	return shared.Stop()
}

// Main runs the tests of a package that uses the shared server, then stops
// the server, and returns the tests' exit code, for its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stop moto:", err)
	}
	return code
}

// Unique is name with a number no other call in this test binary gets, so
// that each test (and each run of it under go test -count=N) seeds
// resources of its own in the shared server.
func Unique(name string) string {
	return fmt.Sprintf("%s-%d", name, seq.Add(1))
}
