//go:build unix

package act

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
)

// LockT holds a lock on the machine until the test ends: act tags the
// image of `uses: ./` with one name on every machine
// (act-dockeraction:latest), so two runs at once would build over each
// other.
func LockT(t testing.TB) {
	t.Helper()
	dir, err := container.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "act.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		t.Logf("another act judge holds %s: waiting for it", f.Name())
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		t.Fatal(fmt.Errorf("lock %s: %w", f.Name(), err))
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}
