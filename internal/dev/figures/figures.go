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
	"strings"
)

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
