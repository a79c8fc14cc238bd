// Package act runs the repository's workflows with a runner this team did
// not write: nektos/act (github.com/nektos/act), against the Docker API
// that podman serves (`podman system service`). The action is used as
// `uses: ./`, so act builds the repository's Dockerfile itself, through
// that API; its base images come from the local stand-ins of
// internal/testenv/container (no registry can be reached here), put in by
// APIProxy.
//
// act is not a dependency of the module: `make act` installs a pinned
// release into a cache folder and names it with LAMBDA_PROMOTE_ACT.
package act

import (
	"os"
	"testing"
)

// BinaryEnv names the act binary the tests run; make act sets it.
const BinaryEnv = "LAMBDA_PROMOTE_ACT"

// install is how to get act, for messages.
const install = "make act installs it (go install of the Makefile's ACT_VERSION into ~/.cache/lambda-promote) and runs this test"

// BinaryT is the act binary BinaryEnv names. Without it the test is
// skipped: the judge builds the Dockerfile, minutes of CPU, so it runs in
// make act, not in make test. A binary that is named but missing fails the
// test under CI=true and skips it elsewhere.
func BinaryT(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(BinaryEnv)
	if bin == "" {
		t.Skipf("%s is not set: the act judge builds the Dockerfile (minutes); %s", BinaryEnv, install)
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("act is required when CI=true: %s=%s: %v", BinaryEnv, bin, err)
		}
		t.Skipf("act not found: %s=%s: %v; %s", BinaryEnv, bin, err, install)
	}
	return bin
}
