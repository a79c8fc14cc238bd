package gate_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// TestMoto runs the gates against moto's server, one server for all subtests.
func TestMoto(t *testing.T) {
	t.Parallel()
	s := moto.StartT(t)
	// Through a proxy without the realism layer: AWS's API models judge
	// every request the gates send (and the test fails on a mismatch).
	cfg := faultproxy.NewT(t, s.URL).AWSConfig(s.AWSConfig())
	cw := gate.NewCloudWatch(cfg)
	lc := lambda.NewFromConfig(cfg)
	ctx := t.Context()

	for name, state := range map[string]string{"ok-alarm": "OK", "firing": "ALARM", "new": "INSUFFICIENT_DATA"} {
		if err := s.CreateAlarm(ctx, name); err != nil {
			t.Fatal(err)
		}
		// moto creates alarms in OK; set every state explicitly.
		if err := s.SetAlarmState(ctx, name, state); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Demo(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("alarms", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name    string
			alarms  []string
			want    []outcome.Gate
			missing []string
		}{
			{
				name:   "ok and insufficient data",
				alarms: []string{"ok-alarm", "new"},
				want: []outcome.Gate{
					{Kind: outcome.GateAlarm, Name: "ok-alarm", OK: true, Detail: "OK"},
					{Kind: outcome.GateAlarm, Name: "new", OK: true, Detail: "INSUFFICIENT_DATA (counts as OK: no data to judge yet)"},
				},
			},
			{
				name:   "alarm",
				alarms: []string{"ok-alarm", "firing"},
				want: []outcome.Gate{
					{Kind: outcome.GateAlarm, Name: "ok-alarm", OK: true, Detail: "OK"},
					{Kind: outcome.GateAlarm, Name: "firing", Detail: "ALARM: set by the emulator"},
				},
			},
			{
				name:    "missing",
				alarms:  []string{"nope", "ok-alarm", "gone"},
				want:    []outcome.Gate{{Kind: outcome.GateAlarm, Name: "ok-alarm", OK: true, Detail: "OK"}},
				missing: []string{"nope", "gone"},
			},
			{
				name:   "none",
				alarms: nil,
				want:   []outcome.Gate{},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				got, err := gate.CheckAlarms(ctx, cw, tt.alarms)
				var me *gate.MissingAlarmsError
				switch {
				case tt.missing == nil && err != nil:
					t.Fatalf("CheckAlarms() error = %v", err)
				case tt.missing != nil && !errors.As(err, &me):
					t.Fatalf("CheckAlarms() error = %v, want a *MissingAlarmsError", err)
				case tt.missing != nil:
					if diff := cmp.Diff(tt.missing, me.Names); diff != "" {
						t.Errorf("missing alarms (-want +got):\n%s", diff)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("CheckAlarms() (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("metrics", func(t *testing.T) {
		t.Parallel()
		start := time.Now().Add(-5 * time.Minute)
		if err := s.PutLambdaMetrics(ctx, "metrics-fn", "prod", "2", 3, 100); err != nil {
			t.Fatal(err)
		}
		if err := s.PutLambdaMetrics(ctx, "metrics-fn", "prod", "2", 1, 50); err != nil {
			t.Fatal(err)
		}
		// Another version and another alias must not count.
		if err := s.PutLambdaMetrics(ctx, "metrics-fn", "prod", "1", 40, 40); err != nil {
			t.Fatal(err)
		}
		if err := s.PutLambdaMetrics(ctx, "metrics-fn", "dev", "2", 40, 40); err != nil {
			t.Fatal(err)
		}
		got, err := gate.ReadMetrics(ctx, cw, "metrics-fn", "prod", "2", start, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var errs, invs float64
		for _, m := range got.Version {
			errs += m.Errors
			invs += m.Invocations
			if m.At.Second() != 0 || m.At.Before(start.Truncate(time.Minute)) {
				t.Errorf("minute %v is not a whole minute of the window", m.At)
			}
		}
		if errs != 4 || invs != 150 {
			t.Errorf("ReadMetrics() = %v errors, %v invocations, want 4, 150", errs, invs)
		}

		got, err = gate.ReadMetrics(ctx, cw, "metrics-fn", "prod", "3", start, time.Now())
		if err != nil || len(got.Version) != 0 {
			t.Errorf("ReadMetrics() of a version without data = %+v, %v, want none", got, err)
		}
	})

	// The smoke test runs the payload once: a failed first attempt is not
	// retried, as the SDK would retry a 500 and run the function again.
	t.Run("smoke runs once", func(t *testing.T) {
		t.Parallel()
		p := faultproxy.NewT(t, s.URL)
		p.Inject("Invoke", 1, faultproxy.ServerError)
		plc := lambda.NewFromConfig(p.AWSConfig(cfg))
		got := gate.Smoke(ctx, plc, w.Function, w.Version, []byte(`{"ping":1}`), 10*time.Second)
		if got.OK || p.Count("Invoke") != 1 {
			t.Errorf("Smoke() = %+v after %d invocations; want a failed gate after exactly 1", got, p.Count("Invoke"))
		}
	})

	t.Run("smoke", func(t *testing.T) {
		t.Parallel()
		got := gate.Smoke(ctx, lc, w.Function, w.Version, []byte(`{"ping":1}`), 10*time.Second)
		want := outcome.Gate{Kind: outcome.GateSmoke, Name: "smoke test", OK: true, Detail: "orders:1 answered with status 200"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Smoke() (-want +got):\n%s", diff)
		}
	})

	// Both versions' counts and Duration p99 over one window, as the
	// realism layer answers the percentiles moto cannot.
	t.Run("pair", func(t *testing.T) {
		t.Parallel()
		p := faultproxy.NewT(t, s.URL)
		p.SetRealism(faultproxy.Realism{Percentiles: true})
		pcw := gate.NewCloudWatch(p.AWSConfig(cfg))
		start := time.Now()
		run := s.StartTraffic(ctx, moto.Traffic{
			Function: "pair-fn", Alias: "prod", PerTick: 400, Tick: 100 * time.Millisecond,
			Split:      map[string]float64{"1": 0.9, "2": 0.1},
			ErrorRate:  map[string]float64{"1": 0.005, "2": 0.01},
			Duration:   map[string]float64{"1": 40, "2": 60},
			CloudWatch: pcw,
		})
		time.Sleep(2 * time.Second)
		if err := run.Stop(); err != nil {
			t.Fatal(err)
		}
		totals := run.Totals()
		got, err := gate.ReadPair(ctx, pcw, "pair-fn", "prod", "2", "1", start, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got.New.Invocations != totals["2"].Invocations || got.New.Errors != totals["2"].Errors ||
			got.Stable.Invocations != totals["1"].Invocations || got.Stable.Errors != totals["1"].Errors {
			t.Errorf("ReadPair counts %+v, traffic recorded %+v", got, totals)
		}
		if got.New.Invocations < 100 || got.New.Errors == 0 {
			t.Errorf("too little traffic to test: %+v", got)
		}
		// A log-normal p99 is the median × e^(2.326 × 0.3) ≈ 2.01 × the
		// median: 80 ms and 121 ms, to the millisecond the values have.
		if !got.Stable.HasP99 || got.Stable.P99 < 78 || got.Stable.P99 > 83 || !got.New.HasP99 || got.New.P99 < 117 || got.New.P99 > 124 {
			t.Errorf("p99s: new %v (%v), stable %v (%v); want about 121 and 80", got.New.P99, got.New.HasP99, got.Stable.P99, got.Stable.HasP99)
		}

		// moto alone cannot answer the p99.
		if _, err := gate.ReadPair(ctx, cw, "pair-fn", "prod", "2", "1", start, time.Now()); err == nil {
			t.Error("ReadPair against moto without the realism layer succeeded")
		}
	})
}
