package githubapi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Version is the release of the npm package @octokit/openapi whose
// description of api.github.com the fake answers to. The Makefile installs
// the same release (OCTOKIT_OPENAPI_VERSION); a test checks the two agree.
const Version = "23.0.2"

// PathEnv names the description file to load. The Makefile sets it; without
// it the file is looked for where the Makefile installs it (DefaultPath).
const PathEnv = "LAMBDA_PROMOTE_GITHUB_OPENAPI"

// file is the description within the package: api.github.com (the package
// has no 3.1 variant in this release) with its $refs kept. It loads in about
// 2.5 s on this team's 2-core machines; the deref'd copy, 73 MB against 13,
// took five times as long and keeps no components (basic-error is needed).
const file = "node_modules/@octokit/openapi/generated/api.github.com.json"

// DefaultPath is where the Makefile installs the description: the user's
// cache, outside the repository.
func DefaultPath() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "lambda-promote", "octokit-openapi-"+Version, file)
}

// Path is the description file the tests load: PathEnv's, or DefaultPath.
func Path() string {
	if p := os.Getenv(PathEnv); p != "" {
		return p
	}
	return DefaultPath()
}

// installHint says how to install the description.
const installHint = "make github-openapi installs it (npm install @octokit/openapi@" + Version + " into the cache), or set " + PathEnv + " to its api.github.com.json"

// loaded is the description, read once per test process: it takes a few
// seconds and some 70 MB.
var loaded = sync.OnceValues(func() (*Judge, error) { return Load(Path()) })

// Default is the judge of the process, loaded once. When the description is
// not installed the test is skipped with how to install it, or fails under
// CI=true, where it must be there.
func Default(tb testing.TB) *Judge {
	tb.Helper()
	j, err := loaded()
	if err == nil {
		return j
	}
	if errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("GitHub's OpenAPI description is not installed: %v; %s", err, installHint)
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s (it is required in CI)", msg)
		}
		tb.Skipf("skipping: %s", msg)
	}
	tb.Fatalf("GitHub's OpenAPI description: %v", err)
	return nil
}
