package promote

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/callers"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// recordLog keeps what a run logs.
type recordLog struct {
	mu       sync.Mutex
	warnings []string
}

func (l *recordLog) Infof(string, ...any) {}
func (l *recordLog) Warningf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warnings = append(l.warnings, fmt.Sprintf(format, args...))
}
func (l *recordLog) Group(string) {}
func (l *recordLog) EndGroup()    {}

// pathReads are the reads of what calls the functions, as fakes: mappings
// of the Region, and per function its URLs and policy. They count their
// calls.
type pathReads struct {
	mu       sync.Mutex
	mappings callers.Mappings
	function callers.Function
	listed   int
	read     []string
}

func (p *pathReads) wire(d *Deps) {
	d.Mappings = func(context.Context) (callers.Mappings, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.listed++
		return p.mappings, nil
	}
	d.Callers = func(_ context.Context, function, aliasName string) (callers.Function, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.read = append(p.read, function+":"+aliasName)
		return p.function, nil
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	onLatest := callers.Mapping{UUID: "u1", Source: "arn:aws:sqs:us-east-1:123456789012:jobs", FunctionARN: fnARNPrefix + "api", State: "Enabled"}
	onAlias := callers.Mapping{UUID: "u2", Source: "arn:aws:sqs:us-east-1:123456789012:jobs2", FunctionARN: fnARNPrefix + "api:prod", State: "Enabled"}
	url := callers.URL{URL: "https://x.lambda-url.us-east-1.on.aws/", FunctionARN: fnARNPrefix + "api", AuthType: "AWS_IAM"}
	tests := []struct {
		name       string
		require    bool
		reads      *pathReads
		wantStatus outcome.Status
		wantErrs   int // require-alias-traffic errors
		wantWarns  []string
		wantPaths  int
		wantUnread int
	}{
		{
			name:       "only the alias: promoted, no warning",
			reads:      &pathReads{mappings: callers.Mappings{List: []callers.Mapping{onAlias}}},
			wantStatus: outcome.Promoted,
			wantPaths:  1,
		},
		{
			name:       "bypasses warned of, with the fix",
			reads:      &pathReads{mappings: callers.Mappings{List: []callers.Mapping{onLatest, onAlias}}, function: callers.Function{URLs: []callers.URL{url}}},
			wantStatus: outcome.Promoted,
			wantWarns: []string{
				"event source mapping SQS queue jobs (mapping u1) invokes $LATEST (unqualified ARN), not alias prod: the canary and the gates do not see its traffic; to point it at the alias, run:\naws lambda update-event-source-mapping --uuid u1 --function-name api:prod",
				"function URL https://x.lambda-url.us-east-1.on.aws/ invokes $LATEST (unqualified ARN), not alias prod: the canary and the gates do not see its traffic; to fix it, do one of these:\n(1) serve the URL from the alias:",
			},
			wantPaths: 3,
		},
		{
			name:       "bypasses refused with require-alias-traffic, one error each",
			require:    true,
			reads:      &pathReads{mappings: callers.Mappings{List: []callers.Mapping{onLatest, onAlias}}, function: callers.Function{URLs: []callers.URL{url}}},
			wantStatus: outcome.Failed,
			wantErrs:   2,
			wantWarns:  []string{"event source mapping SQS queue jobs", "function URL https://x"},
			wantPaths:  3,
		},
		{
			name:       "a refused read is not checked, and the promotion goes on",
			reads:      &pathReads{mappings: callers.Mappings{Denied: callers.ActionListMappings}},
			wantStatus: outcome.Promoted,
			wantWarns:  []string{"what calls the function: event source mappings: not checked (AccessDenied on lambda:ListEventSourceMappings); a path around alias prod there is unknown"},
			wantUnread: 1,
		},
		{
			name:       "a refused read fails safe with require-alias-traffic",
			require:    true,
			reads:      &pathReads{mappings: callers.Mappings{Denied: callers.ActionListMappings}},
			wantStatus: outcome.Failed,
			wantErrs:   1,
			wantWarns:  []string{"what calls the function: event source mappings: not checked"},
			wantUnread: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake().withVersions(1).withAlias("prod", "1", nil, "")
			fake.newCode()
			w := &world{lambda: fake}
			d := w.deps()
			log := &recordLog{}
			d.Log = log
			tc.reads.wire(&d)
			cfg := base()
			cfg.RequireAliasTraffic = tc.require
			res := Process(context.Background(), cfg, d)

			if res.Status != tc.wantStatus {
				t.Fatalf("status %s, want %s (error %q)", res.Status, tc.wantStatus, res.Error)
			}
			n := 0
			for _, line := range strings.Split(res.Error, "\n") {
				if strings.HasPrefix(line, "require-alias-traffic: ") {
					n++
				}
			}
			if n != tc.wantErrs {
				t.Errorf("%d require-alias-traffic errors, want %d: %q", n, tc.wantErrs, res.Error)
			}
			if tc.wantErrs > 0 {
				if fake.changes() != 0 {
					t.Errorf("%d changes, want none before the paths are judged", fake.changes())
				}
				if !strings.Contains(res.Next, "What calls this function") {
					t.Errorf("next %q does not lead to the fixes", res.Next)
				}
			}
			if len(log.warnings) != len(tc.wantWarns) {
				t.Errorf("warnings %q, want %d", log.warnings, len(tc.wantWarns))
			}
			for i, want := range tc.wantWarns {
				if i < len(log.warnings) && !strings.HasPrefix(log.warnings[i], want) {
					t.Errorf("warning %d = %q, want it to start %q", i, log.warnings[i], want)
				}
			}
			if len(res.Paths) != tc.wantPaths || len(res.PathsNotChecked) != tc.wantUnread || !res.PathsRead {
				t.Errorf("result has %d paths, %d not checked, read %v; want %d, %d, true", len(res.Paths), len(res.PathsNotChecked), res.PathsRead, tc.wantPaths, tc.wantUnread)
			}
		})
	}
}

// The mappings of the Region are read once for a release; each function's
// URLs and policy once for it; a rollback reads none of them.
func TestPathReads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		cfg        func(*config.Config)
		wantListed int
		wantRead   int
	}{
		{"a release of two", func(c *config.Config) { c.Functions = []string{"api", "api"} }, 1, 2},
		{"a rollback", func(c *config.Config) { c.Rollback = true }, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake().withVersions(1).withAlias("prod", "1", nil, "")
			w := &world{lambda: fake}
			d := w.deps()
			var reads pathReads
			reads.wire(&d)
			cfg := base()
			tc.cfg(&cfg)
			Process(context.Background(), cfg, d)
			if reads.listed != tc.wantListed || len(reads.read) != tc.wantRead {
				t.Errorf("mappings listed %d times, functions read %v; want %d and %d", reads.listed, reads.read, tc.wantListed, tc.wantRead)
			}
		})
	}
}
