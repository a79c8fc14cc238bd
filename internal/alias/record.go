package alias

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record is what lambda-promote keeps in the description of an alias it
// moves, written in the same conditional UpdateAlias that moves the weights,
// so that record and routing never disagree: the version to roll back to,
// when the new version first took traffic (the error-rate window of a later
// run starts there), and for a rollout that goes on in later runs, its
// schedule and the step it is at.
//
// Lambda allows 256 characters in an alias description
// (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html);
// Encode refuses a record that does not fit.
type Record struct {
	State  RecordState
	Stable string    // the version served before the promotion; the rollback target
	New    string    // the version being promoted
	Since  time.Time // when New first took traffic; zero when it has none yet
	// A detached rollout's schedule and where it is.
	Plan   string    // the rollout's schedule (see rollout.Encode); "" when not detached
	Step   int       // index of the step the alias is at
	StepAt time.Time // when that step was taken
}

// RecordState says what the last promotion did to the alias.
type RecordState string

// The states of a record.
const (
	Created    RecordState = "created"     // a first deploy created the alias on New
	Shifting   RecordState = "shifting"    // New takes part (or all) of the traffic; Stable is the rollback target
	RolledBack RecordState = "rolled-back" // the alias went back to Stable; nothing to roll back to
)

// recordPrefix starts every record; the number is the format's version.
const recordPrefix = "lambda-promote/1 "

// legacyPrefix started the records of earlier releases, which kept only the
// version to roll back to.
const legacyPrefix = "lambda-promote: "

// MaxDescription is Lambda's limit on an alias description.
const MaxDescription = 256

// ErrForeignRecord means the description looks like a record of this action
// but cannot be read: edited by hand, cut short, or written by another
// version of the action.
var ErrForeignRecord = errors.New("not a record this version of lambda-promote can read")

// Encode writes the record as the alias description.
func (r Record) Encode() (string, error) {
	var b strings.Builder
	b.WriteString(recordPrefix)
	b.WriteString(string(r.State))
	field := func(k, v string) {
		if v != "" {
			b.WriteString(" " + k + "=" + v)
		}
	}
	field("stable", r.Stable)
	field("new", r.New)
	if !r.Since.IsZero() {
		field("since", r.Since.UTC().Format(time.RFC3339))
	}
	if r.Plan != "" {
		field("plan", r.Plan)
		field("step", strconv.Itoa(r.Step))
		field("at", r.StepAt.UTC().Format(time.RFC3339))
	}
	if b.Len() > MaxDescription {
		return "", fmt.Errorf("the alias record is %d characters, more than Lambda's %d for an alias description: %q", b.Len(), MaxDescription, b.String())
	}
	return b.String(), nil
}

// MustEncode is Encode for records that always fit (those without a plan).
func (r Record) MustEncode() string {
	s, err := r.Encode()
	if err != nil {
		panic(err)
	}
	return s
}

// ParseRecord reads an alias description. ok is false when the description
// is not a record of this action (someone else's, or empty). A description
// that starts like a record but cannot be read is an error that wraps
// ErrForeignRecord.
func ParseRecord(description string) (r Record, ok bool, err error) {
	if rest, found := strings.CutPrefix(description, legacyPrefix); found {
		return parseLegacy(rest)
	}
	rest, found := strings.CutPrefix(description, recordPrefix)
	if !found {
		if strings.HasPrefix(description, "lambda-promote/") {
			return Record{}, true, fmt.Errorf("alias description %q: %w (written by a newer release?)", description, ErrForeignRecord)
		}
		return Record{}, false, nil
	}
	bad := func(why string) (Record, bool, error) {
		return Record{}, true, fmt.Errorf("alias description %q: %s: %w", description, why, ErrForeignRecord)
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return bad("no state")
	}
	r.State = RecordState(fields[0])
	switch r.State {
	case Created, Shifting, RolledBack:
	default:
		return bad(fmt.Sprintf("unknown state %q", fields[0]))
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		k, v, found := strings.Cut(f, "=")
		if !found || v == "" || seen[k] {
			return bad(fmt.Sprintf("field %q", f))
		}
		seen[k] = true
		var err error
		switch k {
		case "stable":
			r.Stable, err = versionField(v)
		case "new":
			r.New, err = versionField(v)
		case "since":
			r.Since, err = time.Parse(time.RFC3339, v)
		case "plan":
			r.Plan = v
		case "step":
			r.Step, err = strconv.Atoi(v)
			if err == nil && r.Step < 0 {
				err = errors.New("negative")
			}
		case "at":
			r.StepAt, err = time.Parse(time.RFC3339, v)
		default:
			return bad(fmt.Sprintf("unknown field %q", k))
		}
		if err != nil {
			return bad(fmt.Sprintf("field %q", f))
		}
	}
	switch {
	case r.State == Shifting && (r.Stable == "" || r.New == ""):
		return bad("a shift needs the stable and the new version")
	case r.Plan != "" && (!seen["step"] || !seen["at"] || r.Since.IsZero()):
		return bad("a detached rollout needs its step, when it was taken and when it began")
	}
	return r, true, nil
}

// parseLegacy reads the records of earlier releases: "lambda-promote:
// previous version 6", "lambda-promote: created", "lambda-promote: rolled
// back from 7".
func parseLegacy(rest string) (Record, bool, error) {
	switch {
	case rest == "created":
		return Record{State: Created}, true, nil
	case strings.HasPrefix(rest, "rolled back from "):
		return Record{State: RolledBack}, true, nil
	}
	v, found := strings.CutPrefix(rest, "previous version ")
	if !found {
		return Record{}, false, nil
	}
	v, _, _ = strings.Cut(v, " ")
	if _, err := versionField(v); err != nil {
		return Record{}, false, nil
	}
	return Record{State: Shifting, Stable: v}, true, nil
}

// versionField checks a version in a record: a number or $LATEST.
func versionField(v string) (string, error) {
	if v == Latest {
		return v, nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 {
		return "", fmt.Errorf("version %q", v)
	}
	return v, nil
}
