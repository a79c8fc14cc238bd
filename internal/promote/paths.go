package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// This file is the part of preflight and decide that finds what calls each
// function besides the alias (see internal/callers): the reads, made beside
// the others, and the judgement, which warns of every path that bypasses
// the alias, or refuses it with require-alias-traffic.

// readMappings adds the read of the event source mappings, one for every
// function of the run, to r. A rollback needs none.
func readMappings(cfg config.Config, d Deps, r *reads, into **callers.Mappings) {
	if d.Mappings == nil || cfg.Rollback {
		return
	}
	r.do("", func(ctx context.Context) error {
		m, err := d.Mappings(ctx)
		if err != nil {
			return err
		}
		*into = &m
		return nil
	})
}

// readCallers adds the reads of one function's URLs and resource policy to r.
func readCallers(cfg config.Config, d Deps, r *reads, f *facts) {
	if d.Callers == nil || cfg.Rollback {
		return
	}
	r.do(f.given, func(ctx context.Context) error {
		c, err := d.Callers(ctx, f.given, cfg.Alias)
		if err != nil {
			return err
		}
		f.callers = &c
		return nil
	})
}

// judgePaths judges what the reads found of the function's paths. It
// returns one error per path that bypasses the alias, and per read that was
// refused, when the inputs require alias traffic.
func (d *decision) judgePaths(cfg config.Config, f facts) error {
	if f.callers == nil || f.mappings == nil {
		return nil
	}
	fn, _, err := lambdaarn.Parse(f.fn.ARN)
	if err != nil {
		return nil // the function read failed; it says so itself
	}
	in := callers.Input{Function: fn, Alias: cfg.Alias, Mappings: *f.mappings, Read: *f.callers, Checks: d.checks}
	if f.stage != nil {
		m := f.stage.Match(cfg.StageVariable, fn)
		in.Stage = &m
	}
	d.paths, d.pathsNotChecked = callers.Judge(in)
	if !cfg.RequireAliasTraffic {
		return nil
	}
	var errs []error
	for _, p := range d.paths {
		if p.Bypass && p.Kind != outcome.PathRoute {
			errs = append(errs, fmt.Errorf("require-alias-traffic: %s %s invokes %s, not alias %s, so the canary and the gates do not see its traffic; its fix is under \"What calls this function\" in the summary and in the warning above", p.Kind, p.Source, p.Invokes, cfg.Alias))
		}
	}
	for _, n := range d.pathsNotChecked {
		errs = append(errs, fmt.Errorf("require-alias-traffic: %s, so a path around alias %s cannot be ruled out; %s or set require-alias-traffic: false", n.What, cfg.Alias, n.Remedy))
	}
	if len(errs) == 0 {
		return nil
	}
	return &fix.Error{
		Err:  errors.Join(errs...),
		Next: "point each path at the alias with the commands in the warnings above, also under \"What calls this function\" in the summary (or set require-alias-traffic: false to let them be warnings), then run the workflow again",
	}
}

// logPaths warns of each path that bypasses the alias, with its fix, and
// of each read that could not be made. A route that bypasses it fails a
// stage check, which says so itself.
func logPaths(log Logger, cfg config.Config, who string, d decision) {
	for _, p := range d.paths {
		if !p.Bypass || p.Kind == outcome.PathRoute {
			continue
		}
		log.Warningf("%s%s %s invokes %s, not alias %s: the canary and the gates do not see its traffic%s", who, p.Kind, p.Source, p.Invokes, cfg.Alias, fixText(p.Fixes))
	}
	for _, n := range d.pathsNotChecked {
		log.Warningf("%swhat calls the function: %s; a path around alias %s there is unknown (%s)", who, n.What, cfg.Alias, n.Remedy)
	}
}

// fixText is the fixes of a path for a log line: the commands, each on a
// line of its own.
func fixText(fixes []outcome.Fix) string {
	switch len(fixes) {
	case 0:
		return ""
	case 1:
		return "; to point it at the alias, run:\n" + fixes[0].Commands
	}
	var b strings.Builder
	b.WriteString("; to fix it, do one of these:")
	for i, fx := range fixes {
		fmt.Fprintf(&b, "\n(%d) %s:\n%s", i+1, fx.Choice, fx.Commands)
	}
	return b.String()
}
