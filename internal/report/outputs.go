package report

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Output is one step output.
type Output struct{ Name, Value string }

// Outputs are the action's outputs for r, in the order of the README's
// Outputs table.
func Outputs(r outcome.Result) []Output {
	outs := []Output{
		{"version", r.Version},
		{"previous-version", r.PreviousVersion},
		{"alias-arn", r.AliasARN},
		{"status", string(r.Status)},
		{"traffic-weight", r.TrafficWeight.Number()},
		{"stage-url", r.StageURL},
		{"functions", FunctionsJSON(r)},
	}
	if !r.NextStepAt.IsZero() {
		outs = append(outs, Output{"next-step-at", r.NextStepAt.UTC().Format(time.RFC3339)})
	}
	return outs
}

// functionJSON is one function's entry in the functions output.
type functionJSON struct {
	Function        string `json:"function"`
	AliasARN        string `json:"alias-arn"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previous-version"`
	Status          string `json:"status"`
	TrafficWeight   string `json:"traffic-weight"`
	Error           string `json:"error,omitempty"`
}

// FunctionsJSON is the functions output: per function of the run, its
// version, previous version, alias ARN, status and weight, as a JSON array
// (fromJSON in a workflow expression reads it).
func FunctionsJSON(r outcome.Result) string {
	fns := make([]functionJSON, 0, len(r.Functions))
	for _, f := range r.Functions {
		fns = append(fns, functionJSON{
			Function: f.FunctionName, AliasARN: f.AliasARN, Version: f.Version, PreviousVersion: f.PreviousVersion,
			Status: string(f.Status), TrafficWeight: f.TrafficWeight.Number(), Error: f.Error,
		})
	}
	b, _ := json.Marshal(fns) // strings only: cannot fail
	return string(b)
}

// WriteOutputs appends outs to the GITHUB_OUTPUT file at path, each in the
// delimiter form (name<<ghadelimiter_RANDOM … ghadelimiter_RANDOM) so that
// values with newlines are safe. All outputs are written in one write.
//
// This is deliberately not go-githubactions' SetOutput, although the command
// uses that library for the run's context and its workflow commands: it
// writes every value with one fixed delimiter, so a value that contains it
// ends the output early and injects the rest as further outputs, and it
// panics when the file cannot be written, where a run must report the error
// and still end with the exit code its AWS outcome decides.
func WriteOutputs(path string, outs []Output) error {
	if path == "" {
		return errors.New("write outputs: GITHUB_OUTPUT is not set")
	}
	var b strings.Builder
	for _, o := range outs {
		if o.Name == "" || strings.ContainsAny(o.Name, "\r\n<=") {
			return fmt.Errorf("write outputs: invalid output name %q", o.Name)
		}
		delim, err := delimiter(o.Value)
		if err != nil {
			return fmt.Errorf("write output %s: %w", o.Name, err)
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	if err := appendFile(path, b.String()); err != nil {
		return fmt.Errorf("write outputs to GITHUB_OUTPUT (%s): %w", path, unpath(err))
	}
	return nil
}

// delimiter returns a random heredoc delimiter that does not occur in value.
func delimiter(value string) (string, error) {
	for range 3 {
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", fmt.Errorf("make delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(raw[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", errors.New("value contains every delimiter tried")
}

// AppendSummary appends markdown to the GITHUB_STEP_SUMMARY file at path. It
// refuses, without writing, when the file would grow past SummaryLimit, since
// the runner would then drop the whole summary.
func AppendSummary(path, markdown string) error {
	if path == "" {
		return errors.New("write job summary: GITHUB_STEP_SUMMARY is not set")
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	if size+int64(len(markdown)) > SummaryLimit {
		return fmt.Errorf("write job summary to GITHUB_STEP_SUMMARY (%s): %d bytes would pass the runner's limit of %d bytes", path, size+int64(len(markdown)), SummaryLimit)
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	if err := appendFile(path, markdown); err != nil {
		return fmt.Errorf("write job summary to GITHUB_STEP_SUMMARY (%s): %w", path, unpath(err))
	}
	return nil
}

// unpath drops the path from a *fs.PathError, which the caller's message
// already names, keeping the operation and the cause.
func unpath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func appendFile(path, s string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = f.WriteString(s)
	return err
}
