package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func base() config.Config {
	return config.Config{FunctionName: "api", Functions: []string{"api"}, Alias: "prod", Version: config.VersionPublish, Strategy: config.StrategyAllAtOnce, Interval: time.Minute, StageVariable: "lambdaAlias", CheckPermission: true}
}

func ptr(f percent.Percent) *percent.Percent { return &f }

// world is a fake Lambda and gates for one test.
type world struct {
	lambda *fakeLambda
	alarm  func(n int) string // state of the alarm on its n-th read
	alarms int
	rate   func(n int) (errors, invocations float64)
	smoke  outcome.Gate
	// pair answers the n-th reading of both versions' metrics
	// (compare-to-stable).
	pair func(n int, function string, start, end time.Time) gate.Pair
}

func (w *world) deps() Deps {
	d := Deps{
		Lambda: w.lambda,
		Clock:  &autoClock{now: t0},
		Alarms: func(ctx context.Context, names []string) ([]outcome.Gate, error) {
			w.alarms++
			state := "OK"
			if w.alarm != nil {
				state = w.alarm(w.alarms)
			}
			return []outcome.Gate{{Name: names[0], OK: state != "ALARM", Detail: state}}, nil
		},
		Smoke: func(ctx context.Context, function, version string, payload []byte, timeout time.Duration) outcome.Gate {
			return w.smoke
		},
	}
	if w.rate != nil || w.pair != nil {
		n := 0
		d.Metrics = func(ctx context.Context, function, aliasName, version string, start, end time.Time) (gate.Series, error) {
			n++
			var errs, inv float64
			if w.rate != nil {
				errs, inv = w.rate(n)
			}
			// CloudWatch has delivered up to the end: its minute and the next.
			return gate.Series{
				Version: []gate.Minute{{At: start.Truncate(time.Minute), Errors: errs, Invocations: inv}},
				Alias:   []time.Time{end.Truncate(time.Minute), end.Truncate(time.Minute).Add(time.Minute)},
			}, nil
		}
	}
	if w.pair != nil {
		var mu sync.Mutex
		n := 0
		d.Pair = func(ctx context.Context, function, aliasName, newVersion, stableVersion string, start, end time.Time) (gate.Pair, error) {
			mu.Lock()
			n++
			k := n
			mu.Unlock()
			return w.pair(k, function, start, end), nil
		}
	}
	return d
}

func TestAllAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		lambda      *fakeLambda
		cfg         func(*config.Config)
		wantStatus  outcome.Status
		wantRoute   string
		wantVersion string
		wantPrev    string
		wantChanges int
	}{
		{
			name:        "first deploy creates the alias",
			lambda:      newFake(),
			wantStatus:  outcome.Promoted,
			wantRoute:   "1",
			wantVersion: "1",
			wantChanges: 2, // publish, create
		},
		{
			name: "new code moves the alias to a new version",
			lambda: func() *fakeLambda {
				f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
				f.newCode()
				return f
			}(),
			wantStatus:  outcome.Promoted,
			wantRoute:   "2",
			wantVersion: "2",
			wantPrev:    "1",
			wantChanges: 2, // publish, update
		},
		{
			name:        "unchanged code leaves the alias alone",
			lambda:      newFake().withVersions(1).withAlias("prod", "1", nil, ""),
			wantStatus:  outcome.Unchanged,
			wantRoute:   "1",
			wantVersion: "1",
			wantPrev:    "1",
			wantChanges: 1, // publish returns version 1 again
		},
		{
			name:        "version N",
			lambda:      newFake().withVersions(3).withAlias("prod", "1", nil, ""),
			cfg:         func(c *config.Config) { c.Version = "3" },
			wantStatus:  outcome.Promoted,
			wantRoute:   "3",
			wantVersion: "3",
			wantPrev:    "1",
			wantChanges: 1,
		},
		{
			name:        "source alias",
			lambda:      newFake().withVersions(3).withAlias("prod", "1", nil, "").withAlias("staging", "2", nil, ""),
			cfg:         func(c *config.Config) { c.SourceAlias = "staging" },
			wantStatus:  outcome.Promoted,
			wantRoute:   "2",
			wantVersion: "2",
			wantPrev:    "1",
			wantChanges: 1,
		},
		{
			name:        "$LATEST",
			lambda:      newFake().withVersions(1).withAlias("dev", "1", nil, ""),
			cfg:         func(c *config.Config) { c.Alias, c.Version = "dev", config.VersionLatest },
			wantStatus:  outcome.Promoted,
			wantRoute:   "$LATEST",
			wantVersion: "$LATEST",
			wantPrev:    "1",
			wantChanges: 1,
		},
		{
			name: "update in progress is waited for",
			lambda: func() *fakeLambda {
				f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
				f.newCode()
				f.busy = 1
				return f
			}(),
			wantStatus:  outcome.Promoted,
			wantRoute:   "2",
			wantVersion: "2",
			wantPrev:    "1",
			wantChanges: 2,
		},
		{
			name: "dry run changes nothing",
			lambda: func() *fakeLambda {
				f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
				f.newCode()
				return f
			}(),
			cfg:         func(c *config.Config) { c.DryRun = true },
			wantStatus:  outcome.DryRun,
			wantRoute:   "1",
			wantVersion: "1",
			wantPrev:    "1",
		},
		{
			name:       "source alias in the middle of a canary is refused",
			lambda:     newFake().withVersions(3).withAlias("prod", "1", nil, "").withAlias("staging", "2", map[string]float64{"3": 0.1}, ""),
			cfg:        func(c *config.Config) { c.SourceAlias = "staging" },
			wantStatus: outcome.Failed,
			wantRoute:  "1",
			wantPrev:   "1",
		},
		{
			name:       "a canary of another version is in progress",
			lambda:     newFake().withVersions(3).withAlias("prod", "1", map[string]float64{"2": 0.1}, ""),
			cfg:        func(c *config.Config) { c.Version = "3" },
			wantStatus: outcome.Failed,
			wantRoute:  "1+2@0.1",
			wantPrev:   "1",
		},
		{
			name:       "version that does not exist",
			lambda:     newFake().withVersions(1).withAlias("prod", "1", nil, ""),
			cfg:        func(c *config.Config) { c.Version = "9" },
			wantStatus: outcome.Failed,
			wantRoute:  "1",
		},
		{
			name: "failed smoke test moves nothing",
			lambda: func() *fakeLambda {
				f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
				f.newCode()
				return f
			}(),
			cfg:         func(c *config.Config) { c.SmokePayload = []byte(`{}`) },
			wantStatus:  outcome.Failed,
			wantRoute:   "1",
			wantPrev:    "1",
			wantChanges: 1, // the publish
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			w := &world{lambda: tc.lambda, smoke: outcome.Gate{Name: "smoke test", OK: false, Detail: "Unhandled: boom"}}
			alias := cfg.Alias
			res := Process(context.Background(), cfg, w.deps())
			if res.Status != tc.wantStatus {
				t.Fatalf("status = %s, want %s (error: %s)", res.Status, tc.wantStatus, res.Error)
			}
			if got := tc.lambda.route(alias); got != tc.wantRoute {
				t.Errorf("alias routes %s, want %s", got, tc.wantRoute)
			}
			if res.Version != tc.wantVersion && tc.wantStatus.OK() {
				t.Errorf("version output = %q, want %q", res.Version, tc.wantVersion)
			}
			if tc.wantPrev != "" && res.PreviousVersion != tc.wantPrev {
				t.Errorf("previous-version = %q, want %q", res.PreviousVersion, tc.wantPrev)
			}
			if got := tc.lambda.changes(); got != tc.wantChanges {
				t.Errorf("changing calls = %d (%v), want %d", got, tc.lambda.order, tc.wantChanges)
			}
			if res.AliasState == "" || (!res.Status.OK() && (res.Error == "" || res.Next == "")) {
				t.Errorf("result lacks state/error/next: %+v", res)
			}
		})
	}
}

func TestPublishSendsTheCheckedCode(t *testing.T) {
	t.Parallel()
	f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
	f.newCode()
	// $LATEST changes between the preflight read and the publish.
	f.onCall = func(op string, n int) {
		if op == "PublishVersion" {
			f.mu.Lock()
			f.latest.code = "someone-else"
			f.mu.Unlock()
		}
	}
	res := Process(context.Background(), base(), (&world{lambda: f}).deps())
	if res.Status != outcome.Failed || !strings.Contains(res.Error, "changed after it was checked") {
		t.Fatalf("status %s, error %q; want failed because $LATEST changed", res.Status, res.Error)
	}
	if got := f.route("prod"); got != "1" {
		t.Errorf("alias routes %s, want 1", got)
	}
}

func TestWeightedRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(f *fakeLambda)
		alias string
		want  string
	}{
		{"role differs", func(f *fakeLambda) { f.latest.role = "other-role" }, "1", "same execution role"},
		{"dead-letter differs", func(f *fakeLambda) { f.latest.dlq = "arn:aws:sqs:us-east-1:1:q" }, "1", "same dead-letter queue"},
		{"alias on $LATEST", func(f *fakeLambda) {}, "$LATEST", "cannot share traffic between $LATEST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake().withVersions(1).withAlias("prod", tc.alias, nil, "")
			f.newCode()
			tc.setup(f)
			cfg := base()
			cfg.Steps, cfg.Interval = []percent.Percent{10, 50, 100}, time.Minute
			res := Process(context.Background(), cfg, (&world{lambda: f}).deps())
			if res.Status != outcome.Failed || !strings.Contains(res.Error, tc.want) {
				t.Fatalf("status %s, error %q; want failed with %q", res.Status, res.Error, tc.want)
			}
			if f.changes() != 0 {
				t.Errorf("changing calls %v, want none", f.order)
			}
		})
	}
}

func gradualFake() *fakeLambda {
	f := newFake().withVersions(1).withAlias("prod", "1", nil, "")
	f.newCode()
	return f
}

func stepsCfg() config.Config {
	cfg := base()
	cfg.Steps, cfg.Interval = []percent.Percent{10, 50, 100}, time.Minute
	cfg.Alarms = []string{"api-5xx"}
	return cfg
}

func TestRolloutAllStepsPass(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	var seen []string
	f.onCall = func(op string, n int) {
		if op == "UpdateAlias" && n > 1 {
			seen = append(seen, f.route("prod")) // the route the previous step set
		}
	}
	res := Process(context.Background(), stepsCfg(), (&world{lambda: f}).deps())
	if res.Status != outcome.Promoted {
		t.Fatalf("status %s (%s), want promoted", res.Status, res.Error)
	}
	seen = append(seen, f.route("prod"))
	if diff := cmp.Diff([]string{"1+2@0.1", "1+2@0.5", "2"}, seen); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	var weights []percent.Percent
	for _, e := range res.Timeline {
		weights = append(weights, e.Weight)
	}
	if diff := cmp.Diff([]percent.Percent{10, 50, 100}, weights); diff != "" {
		t.Errorf("timeline weights (-want +got):\n%s", diff)
	}
	if got := res.Timeline[2].At.Sub(res.Timeline[0].At); got != 2*time.Minute {
		t.Errorf("rollout took %s of fake time, want 2m0s", got)
	}
	if res.TrafficWeight != 100 || res.Version != "2" || res.PreviousVersion != "1" {
		t.Errorf("outputs weight=%v version=%s previous=%s", res.TrafficWeight, res.Version, res.PreviousVersion)
	}
}

func TestRolloutFailures(t *testing.T) {
	t.Parallel()
	// UpdateAlias n = 1, 2, 3 are the shifts to 10, 50 and 100.
	for step := 1; step <= 3; step++ {
		t.Run(fmt.Sprintf("alarm before step %d", step), func(t *testing.T) {
			t.Parallel()
			f := gradualFake()
			w := &world{lambda: f}
			// Alarms are read in preflight (1), then before each step and during
			// bakes; fire once the rollout reaches the given step.
			w.alarm = func(n int) string {
				if f.count("UpdateAlias") >= step-1 && n > 1 && step > 1 || (step == 1 && n == 2) {
					return "ALARM"
				}
				return "OK"
			}
			res := Process(context.Background(), stepsCfg(), w.deps())
			wantStable(t, f, res, "health gate failed")
			if step == 1 && f.count("UpdateAlias") != 0 {
				t.Errorf("an alarm before the first step still moved the alias: %v", f.order)
			}
		})
		t.Run(fmt.Sprintf("error at step %d", step), func(t *testing.T) {
			t.Parallel()
			f := gradualFake()
			f.fail = func(op string, n int) error {
				if op == "UpdateAlias" && n == step {
					return errors.New("InternalError: try again")
				}
				return nil
			}
			res := Process(context.Background(), stepsCfg(), (&world{lambda: f}).deps())
			wantStable(t, f, res, "InternalError")
		})
		t.Run(fmt.Sprintf("cancel at step %d", step), func(t *testing.T) {
			t.Parallel()
			f := gradualFake()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.onCall = func(op string, n int) {
				if op == "UpdateAlias" && n == step {
					cancel() // the job is cancelled while this step's move is made
				}
			}
			res := Process(ctx, stepsCfg(), (&world{lambda: f}).deps())
			if step == 3 && res.Status == outcome.Promoted {
				// The last move finished before the cancel was seen: the alias
				// is fully on the new version, and the result says so.
				if got := f.route("prod"); got != "2" {
					t.Fatalf("promoted but alias routes %s", got)
				}
				return
			}
			wantStable(t, f, res, "cancelled")
		})
		t.Run(fmt.Sprintf("error rate above the limit at step %d", step), func(t *testing.T) {
			t.Parallel()
			f := gradualFake()
			w := &world{lambda: f, rate: func(n int) (float64, float64) {
				if f.count("UpdateAlias") >= step-1 && (step == 1 || n > 1) {
					return 5, 100 // 5% > 2%
				}
				return 0, 0
			}}
			cfg := stepsCfg()
			cfg.Alarms, cfg.MaxErrorRate = nil, ptr(2)
			res := Process(context.Background(), cfg, w.deps())
			wantStable(t, f, res, "error rate")
		})
	}
}

// wantStable checks that a failed rollout left the alias fully on the stable
// version and says so.
func wantStable(t *testing.T, f *fakeLambda, res outcome.Result, why string) {
	t.Helper()
	if got := f.route("prod"); got != "1" {
		t.Errorf("alias routes %s, want 1 with no weights", got)
	}
	if res.Status.OK() {
		t.Errorf("status %s, want a failure", res.Status)
	}
	if res.Status == outcome.RolledBack && (res.Version != "1" || res.TrafficWeight != 0) {
		t.Errorf("rolled back but outputs say version %s at %v%%", res.Version, res.TrafficWeight)
	}
	if !strings.Contains(res.Error, why) {
		t.Errorf("error %q does not say %q", res.Error, why)
	}
	if !strings.Contains(res.AliasState, "serves 1") {
		t.Errorf("alias state %q does not say it serves 1", res.AliasState)
	}
}

func TestRolloutDrift(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	moved := false
	f.onCall = func(op string, n int) {
		// Someone moves the alias back while step 1 (10%) bakes.
		if op == "GetAlias" && f.count("UpdateAlias") == 1 && !moved {
			moved = true
			f.moveBySomeoneElse("prod", "1")
		}
	}
	res := Process(context.Background(), stepsCfg(), (&world{lambda: f}).deps())
	if res.Status != outcome.Failed || !strings.Contains(res.Error, "someone else") {
		t.Fatalf("status %s error %q, want failed because someone else moved the alias", res.Status, res.Error)
	}
	if f.count("UpdateAlias") != 1 {
		t.Errorf("the run moved the alias after the drift: %v", f.order)
	}
	if !strings.Contains(res.AliasState, "left it as it is") {
		t.Errorf("alias state %q", res.AliasState)
	}
}

func TestHeldCanary(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	hold := base()
	hold.TrafficWeight = ptr(10)
	res := Process(context.Background(), hold, (&world{lambda: f}).deps())
	if res.Status != outcome.Canary || f.route("prod") != "1+2@0.1" || res.Version != "2" || res.TrafficWeight != 10 {
		t.Fatalf("hold: status %s route %s version %s weight %v (%s)", res.Status, f.route("prod"), res.Version, res.TrafficWeight, res.Error)
	}

	// Rolling back a held canary removes the slice.
	undo := base()
	undo.Rollback = true
	g := gradualFake().withAlias("prod", "1", map[string]float64{"2": 0.1}, "lambda-promote: previous version 1")
	res = Process(context.Background(), undo, (&world{lambda: g}).deps())
	if res.Status != outcome.RolledBack || g.route("prod") != "1" {
		t.Errorf("rollback of canary: status %s route %s", res.Status, g.route("prod"))
	}

	// Finalizing: same version, traffic-weight 100.
	fin := base()
	fin.TrafficWeight = ptr(100)
	res = Process(context.Background(), fin, (&world{lambda: f}).deps())
	if res.Status != outcome.Promoted || f.route("prod") != "2" || res.PreviousVersion != "1" {
		t.Fatalf("finalize: status %s route %s previous %s (%s)", res.Status, f.route("prod"), res.PreviousVersion, res.Error)
	}

	// Rolling back after the full promotion returns to the recorded version.
	res = Process(context.Background(), undo, (&world{lambda: f}).deps())
	if res.Status != outcome.RolledBack || f.route("prod") != "1" || res.Version != "1" {
		t.Fatalf("rollback: status %s route %s (%s)", res.Status, f.route("prod"), res.Error)
	}
	// A second rollback has nothing recorded to go back to.
	res = Process(context.Background(), undo, (&world{lambda: f}).deps())
	if res.Status != outcome.Failed || !strings.Contains(res.Error, "records no earlier promotion") {
		t.Fatalf("second rollback: status %s (%s)", res.Status, res.Error)
	}
}

func TestCheckEvery(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	w := &world{lambda: f}
	cfg := stepsCfg()
	cfg.Interval = 2 * time.Minute
	d := w.deps()
	d.CheckEvery = 15 * time.Second
	res := Process(context.Background(), cfg, d)
	if res.Status != outcome.Promoted {
		t.Fatalf("status %s (%s)", res.Status, res.Error)
	}
	// 1 preflight read, 3 before the steps, and 7 during each of the two
	// 2-minute bakes (every 15s, not at their very end).
	if w.alarms != 1+3+7*2 {
		t.Errorf("alarms read %d times, want %d", w.alarms, 1+3+7*2)
	}
}

func TestRevisionMismatchWithOurRoutingStillRollsBack(t *testing.T) {
	t.Parallel()
	// Lambda answers 412 on the second move although the routing is still
	// what this run set (someone edited only the description, say): the run
	// must not stop with the alias split.
	f := gradualFake()
	f.fail = func(op string, n int) error {
		if op == "UpdateAlias" && n == 2 {
			return &types.PreconditionFailedException{Message: aws.String("revision mismatch")}
		}
		return nil
	}
	res := Process(context.Background(), stepsCfg(), (&world{lambda: f}).deps())
	wantStable(t, f, res, "changed by someone else")
	if res.Status != outcome.RolledBack {
		t.Errorf("status %s, want rolled-back", res.Status)
	}
}

func TestRevisionMismatchWithOtherRoutingLeavesIt(t *testing.T) {
	t.Parallel()
	f := gradualFake()
	f.fail = func(op string, n int) error {
		if op == "UpdateAlias" && n == 2 {
			f.moveBySomeoneElse("prod", "2")
			return &types.PreconditionFailedException{Message: aws.String("revision mismatch")}
		}
		return nil
	}
	res := Process(context.Background(), stepsCfg(), (&world{lambda: f}).deps())
	if res.Status != outcome.Failed || f.route("prod") != "2" || f.count("UpdateAlias") != 2 {
		t.Fatalf("status %s route %s moves %d; want failed, left on 2 by the other party, no more moves", res.Status, f.route("prod"), f.count("UpdateAlias"))
	}
	if !strings.Contains(res.AliasState, "left it as it is") {
		t.Errorf("alias state %q", res.AliasState)
	}
}

func TestRollbackSurvivesALostAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fail func(f *fakeLambda) func(op string, n int) error
	}{
		{
			// Step 2 fails for good; the first rollback move is applied but
			// its answer is lost, and its retry fails on the revision.
			name: "rollback applied, answer lost",
			fail: func(f *fakeLambda) func(op string, n int) error {
				return func(op string, n int) error {
					switch {
					case op == "UpdateAlias" && n == 2:
						return errors.New("InternalError")
					case op == "UpdateAlias" && n == 3:
						f.moveBySomeoneElse("prod", "1")      // Lambda applied it...
						return errors.New("connection reset") // ...but the answer was lost
					}
					return nil
				}
			},
		},
		{
			// Step 2 is applied with its answer lost; the first rollback move
			// fails; the second goes through.
			name: "forward step applied, first rollback fails",
			fail: func(f *fakeLambda) func(op string, n int) error {
				return func(op string, n int) error {
					switch {
					case op == "UpdateAlias" && n == 2:
						f.mu.Lock()
						f.aliases["prod"].weights = map[string]float64{"2": 0.5}
						f.aliases["prod"].rev++
						f.mu.Unlock()
						return errors.New("connection reset")
					case op == "UpdateAlias" && n == 3:
						return errors.New("InternalError")
					}
					return nil
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := gradualFake()
			f.fail = tc.fail(f)
			res := Process(context.Background(), stepsCfg(), (&world{lambda: f}).deps())
			if res.Status != outcome.RolledBack {
				t.Fatalf("status %s (%s), alias %s; want rolled-back", res.Status, res.Error, f.route("prod"))
			}
			wantStable(t, f, res, "")
		})
	}
}

// Each case is a finding of the code review: the end state must be whole
// and the outputs must say what the alias serves.
func TestReviewedEndStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		lambda      func() *fakeLambda
		cfg         func(*config.Config)
		wantStatus  outcome.Status
		wantRoute   string
		wantVersion string
	}{
		{
			name: "moved by someone else before the first step: outputs show their version",
			lambda: func() *fakeLambda {
				f := newFake().withVersions(2).withAlias("prod", "1", nil, "")
				f.newCode()
				f.onCall = func(op string, n int) {
					if op == "GetAlias" && n == 2 {
						f.moveBySomeoneElse("prod", "2")
					}
				}
				return f
			},
			cfg:         func(c *config.Config) { c.Steps = []percent.Percent{10, 50, 100} },
			wantStatus:  outcome.Failed,
			wantRoute:   "2",
			wantVersion: "2",
		},
		{
			name: "requested rollback whose answer is lost",
			lambda: func() *fakeLambda {
				f := newFake().withVersions(2).withAlias("prod", "2", nil, "lambda-promote: previous version 1")
				f.fail = func(op string, n int) error {
					if op == "UpdateAlias" && n == 1 {
						f.moveBySomeoneElse("prod", "1")
						return errors.New("connection reset")
					}
					return nil
				}
				return f
			},
			cfg:         func(c *config.Config) { c.Rollback = true },
			wantStatus:  outcome.RolledBack,
			wantRoute:   "1",
			wantVersion: "1",
		},
		{
			name: "create whose answer is lost",
			lambda: func() *fakeLambda {
				f := newFake()
				f.fail = func(op string, n int) error {
					if op == "CreateAlias" {
						f.mu.Lock()
						f.aliases["prod"] = &fakeAlias{version: "1", weights: map[string]float64{}, rev: 1, desc: "lambda-promote: created"}
						f.mu.Unlock()
						return errors.New("connection reset")
					}
					return nil
				}
				return f
			},
			wantStatus:  outcome.Promoted,
			wantRoute:   "1",
			wantVersion: "1",
		},
		{
			name: "traffic-weight 0 takes a held slice out",
			lambda: func() *fakeLambda {
				return newFake().withVersions(2).withAlias("prod", "1", map[string]float64{"2": 0.1}, "")
			},
			cfg:         func(c *config.Config) { c.Version, c.TrafficWeight = "2", ptr(0) },
			wantStatus:  outcome.RolledBack,
			wantRoute:   "1",
			wantVersion: "1",
		},
		{
			name: "alarm before the first step of a continued canary rolls it back",
			lambda: func() *fakeLambda {
				return newFake().withVersions(2).withAlias("prod", "1", map[string]float64{"2": 0.1}, "")
			},
			cfg: func(c *config.Config) {
				c.Version, c.Steps, c.Alarms = "2", []percent.Percent{10, 50, 100}, []string{"api-5xx"}
			},
			wantStatus:  outcome.RolledBack,
			wantRoute:   "1",
			wantVersion: "1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.lambda()
			cfg := base()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			w := &world{lambda: f, alarm: func(n int) string {
				if n > 1 {
					return "ALARM" // OK in preflight, ALARM from the first step on
				}
				return "OK"
			}}
			res := Process(context.Background(), cfg, w.deps())
			if res.Status != tc.wantStatus || f.route("prod") != tc.wantRoute || res.Version != tc.wantVersion {
				t.Errorf("status %s, alias %s, version output %q; want %s, %s, %q (error: %s, alias now: %s)",
					res.Status, f.route("prod"), res.Version, tc.wantStatus, tc.wantRoute, tc.wantVersion, res.Error, res.AliasState)
			}
			if !strings.Contains(res.AliasState, "serves "+tc.wantRoute) {
				t.Errorf("alias now %q does not say it serves %s", res.AliasState, tc.wantRoute)
			}
		})
	}
}

func TestNewCodeDuringACanaryPublishesNothing(t *testing.T) {
	t.Parallel()
	f := newFake().withVersions(2).withAlias("prod", "1", map[string]float64{"2": 0.1}, "")
	f.newCode() // $LATEST now differs from the canary's version 2
	res := Process(context.Background(), base(), (&world{lambda: f}).deps())
	if res.Status != outcome.Failed || !strings.Contains(res.Error, "canary of version 2") {
		t.Fatalf("status %s (%s), want failed because a canary of 2 holds", res.Status, res.Error)
	}
	if f.changes() != 0 || f.route("prod") != "1+2@0.1" {
		t.Errorf("changing calls %v, alias %s; want none, the canary as it was", f.order, f.route("prod"))
	}
}
