package command

import (
	"slices"
	"strings"
	"sync"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// redactor replaces secrets (the GitHub token, the AWS keys) with *** in
// every text the run prints, summarises or posts. AWS can echo an access key
// id in an error message; the runner's masks cover its log, but not the
// summary file, the pull-request comment or a terminal.
// Secrets can be added while requests run (refreshed credentials), so it
// is safe for concurrent use.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

// add records a secret and reports whether it is new. Very short values are
// ignored: they would turn ordinary words into ***.
func (r *redactor) add(v string) bool {
	if len(v) < 8 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.secrets, v) {
		return false
	}
	r.secrets = append(r.secrets, v)
	return true
}

func (r *redactor) text(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// result redacts every free text of a result.
func (r *redactor) result(res outcome.Result) outcome.Result {
	res.Error = r.text(res.Error)
	res.AliasState = r.text(res.AliasState)
	res.Next = r.text(res.Next)
	res.NextCode = r.text(res.NextCode)
	res.Plan = append([]string(nil), res.Plan...)
	for i := range res.Plan {
		res.Plan[i] = r.text(res.Plan[i])
	}
	res.Checks = append([]outcome.Check(nil), res.Checks...)
	for i := range res.Checks {
		res.Checks[i].Detail = r.text(res.Checks[i].Detail)
		res.Checks[i].Fix = r.text(res.Checks[i].Fix)
	}
	res.Timeline = append([]outcome.Event(nil), res.Timeline...)
	for i := range res.Timeline {
		res.Timeline[i].Note = r.text(res.Timeline[i].Note)
		gates := append([]outcome.Gate(nil), res.Timeline[i].Gates...)
		for j := range gates {
			gates[j].Detail = r.text(gates[j].Detail)
		}
		res.Timeline[i].Gates = gates
	}
	res.Functions = append([]outcome.FunctionResult(nil), res.Functions...)
	for i := range res.Functions {
		res.Functions[i].Error = r.text(res.Functions[i].Error)
		res.Functions[i].AliasState = r.text(res.Functions[i].AliasState)
	}
	return res
}
