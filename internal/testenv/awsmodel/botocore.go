package awsmodel

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// DataDirEnv names the variable that points the judge at a botocore data
// directory (the one holding lambda/2015-03-31/service-2.json.gz) in place
// of the installed botocore's.
const DataDirEnv = "BOTOCORE_DATA_DIR"

// ErrNoBotocore means neither BOTOCORE_DATA_DIR nor an installed botocore
// gives the models. The Makefile's check-moto says how to install it.
var ErrNoBotocore = errors.New("AWS's API models are not available: install botocore for python3 (pip install botocore, or the AWS CLI v1, which carries it) or set " + DataDirEnv)

// DataDir is botocore's data directory: BOTOCORE_DATA_DIR when set, else
// the data directory of the botocore python3 imports.
func DataDir() (string, error) {
	if dir := os.Getenv(DataDirEnv); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("%s=%s is not a directory: %w", DataDirEnv, dir, ErrNoBotocore)
		}
		return dir, nil
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("find python3: %w: %w", err, ErrNoBotocore)
	}
	out, err := exec.Command(python, "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		return "", fmt.Errorf("python3 cannot import botocore (%w): %w", err, ErrNoBotocore)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "data"), nil
}

// Load reads the models of Services from botocore's data directory.
func Load() (*Judge, error) {
	dir, err := DataDir()
	if err != nil {
		return nil, err
	}
	return LoadDir(dir)
}

// LoadDir reads the models of Services from the data directory dir.
func LoadDir(dir string) (*Judge, error) {
	j := &Judge{models: map[string]*Model{}}
	var errs []error
	for _, s := range Services {
		path, err := modelPath(dir, s.Dir, s.Version)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := LoadFile(s.Name, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		j.models[s.Name] = m
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	j.index()
	return j, nil
}

// Default is the judge of this process, loaded on first use: models are
// read and their patterns compiled once, however many proxies judge by
// them.
var Default = sync.OnceValues(Load)

// Required returns the default judge for a test. When botocore is missing,
// the test is skipped, or fails under CI=true, where it must be there.
func Required(t testing.TB) *Judge {
	t.Helper()
	j, err := Default()
	if err != nil {
		if errors.Is(err, ErrNoBotocore) && os.Getenv("CI") != "true" {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("load AWS's API models: %v", err)
	}
	return j
}
