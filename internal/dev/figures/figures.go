// Package figures holds what the benchmarks (internal/dev/bench, startup and
// releasebench) share: the machine they ran on, the words of their target
// tables, and writing results.md and results.json.
package figures

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Machine is what every bench's results say of the machine and the day it
// ran on.
type Machine struct {
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu,omitempty"`
}

// ThisMachine is this machine on now's date (UTC).
func ThisMachine(now time.Time) Machine {
	return Machine{
		Date:      now.UTC().Format("2006-01-02"),
		GoVersion: GoVersion(),
		Cores:     runtime.NumCPU(),
		CPU:       CPUModel(),
	}
}

// ActionBinary is the absolute path of the built action binary at path, or
// an error that says how to build it.
func ActionBinary(path string) (string, error) {
	bin, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("the action binary: %w (run make build)", err)
	}
	return bin, nil
}

// Median is the middle of v, or the mean of the two middle values; 0 for
// none.
func Median[T ~int64 | ~float64](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MS is d in milliseconds, to the microsecond.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Round3 rounds f to three decimals, for results.json.
func Round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// Met is the last column of a target table.
func Met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// Code is "`a`, `b`": names set as code in Markdown.
func Code(names []string) string {
	q := make([]string, 0, len(names))
	for _, n := range names {
		q = append(q, "`"+n+"`")
	}
	return strings.Join(q, ", ")
}

// GoVersion is what `go version` prints, without the "go version " prefix.
func GoVersion() string {
	out, err := exec.CommandContext(context.Background(), "go", "version").Output()
	if err != nil {
		return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
}

// CPUModel is the model name Linux reports, or "".
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// AWSCLIVersion is "aws-cli/1.x.y Python/3.x.y botocore/1.x.y", or "".
func AWSCLIVersion() string {
	out, err := exec.CommandContext(context.Background(), "aws", "--version").CombinedOutput()
	if err != nil {
		return ""
	}
	var keep []string
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "aws-cli/") || strings.HasPrefix(f, "botocore/") || strings.HasPrefix(f, "Python/") {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// Write writes markdown to dir/results.md and v, indented, to
// dir/results.json, and says so on stdout.
func Write(stdout io.Writer, dir, markdown string, v any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	md, js := filepath.Join(dir, "results.md"), filepath.Join(dir, "results.json")
	if err := os.WriteFile(md, []byte(markdown), 0o644); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(js, append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n==> wrote %s and %s\n", md, js)
	return nil
}
