package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// The fail-safe bench: the built binary runs through the fault proxy in
// front of moto, with one fault at one call, and the run must end in one of
// two states, never in between:
//
//   - exit 0, the alias fully on the new version (2) with no weights, status
//     promoted or unchanged, and the outputs and the summary saying so; or
//   - exit non-zero, the alias fully on the stable version (1) with no
//     weights, status failed or rolled-back, and the outputs and the summary
//     saying so.
//
// A fault the SDK's retries absorb (a throttle, a 5xx, a reset or a lost
// answer on one attempt) must not fail the run at all, and neither must a
// 409 "update in progress" on a call the binary waits out (PublishVersion,
// CreateAlias, UpdateAlias) when the update ends within wait-timeout.
//
// Every run goes through the realism layer as well (new versions Pending
// for a while, Lambda's request quotas), with wait-timeout 3s.

// fsKind is one kind of fault.
type fsKind struct {
	name  string
	fault faultproxy.Fault
	// retried: the SDK retries it, so once is absorbed and "every attempt of
	// the call" means the SDK's whole budget of five attempts.
	retried bool
	// waited: the binary itself waits it out on the calls of fsWaitedOps,
	// trying again for up to wait-timeout, so once is absorbed there and
	// "every attempt" means more tries than fit in the wait.
	waited bool
	// code is the error the fault answers a call of service with, where
	// only the operations whose model declares it can answer it (see
	// fsPossible); nil for what any call can meet (a throttle, a 5xx, a
	// lost connection).
	code func(service string) string
}

var fsKinds = []fsKind{
	{"429", faultproxy.Throttle, true, false, nil},
	{"500", faultproxy.ServerError, true, false, nil},
	{"503", faultproxy.Unavailable, true, false, nil},
	{"409", faultproxy.Conflict, false, true, conflictCode}, // ResourceConflictException "An update is in progress"
	{"412", faultproxy.PreconditionFailed, false, false, func(string) string { return "PreconditionFailedException" }},
	{"reset", faultproxy.Reset, true, false, nil},
	// The call reaches moto and takes effect, and the answer is lost: what a
	// client sees when its request times out after the server acted.
	{"lost", faultproxy.AfterForward(faultproxy.Reset), true, false, nil},
}

// conflictCode is the error of faultproxy.Conflict.
func conflictCode(service string) string {
	if service == "lambda" {
		return "ResourceConflictException"
	}
	return "ConflictException"
}

// fsPossible reports whether AWS can answer a call of op (Name, or
// service.Name for a service other than Lambda) with fault kind k: a 409
// or a 412 only where the operation's model declares it. Lambda answers no
// read (GetAlias, GetFunctionConfiguration, GetPolicy) with 409 or 412, and
// API Gateway no GetResources with 409; a scenario AWS cannot produce tests
// nothing real, and the proxy's judge of AWS's API models fails it. With
// the judge off (no botocore outside CI) every scenario runs.
func fsPossible(op string, k fsKind) bool {
	if k.code == nil {
		return true
	}
	j, err := awsmodel.Default()
	if err != nil {
		return true
	}
	service, name := "lambda", op
	if s, n, ok := strings.Cut(op, "."); ok {
		service, name = s, n
	}
	o := j.Model(service).Operations[name]
	return o != nil && o.Declares(k.code(service))
}

// fsWaitedOps are the calls on which the binary waits an update in progress
// out: Lambda answers them 409 while the function or the alias is being
// updated, and the SDK does not retry that.
// https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html#API_PublishVersion_Errors
// https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html#API_UpdateAlias_Errors
var fsWaitedOps = map[string]bool{"PublishVersion": true, "CreateAlias": true, "UpdateAlias": true}

// fsAttempts is how many attempts the binary's SDK makes of one call
// (RetryMaxAttempts 5).
const fsAttempts = 5

// fsWait is the wait-timeout of the matrix's runs, and fsConflictAttempts
// more tries of one call than fit in it: the binary tries at once, then
// after pauses of 1 s, 2 s, 4 s…, so three or four tries fit in 3 s.
const (
	fsWait             = 3 * time.Second
	fsConflictAttempts = 6
)

// fsWaitedEnd bounds the run of a persistent 409 on a waited call: it gives
// up after wait-timeout, not after the default 5 minutes, and rolls back.
const fsWaitedEnd = 45 * time.Second

// fsFlow is the promotion a scenario runs.
type fsFlow string

const (
	fsAllAtOnce fsFlow = "all-at-once" // with api-id and stage
	fsRollout   fsFlow = "rollout"     // steps 10,50,100 every 1s
)

// fsPosition is a call of a flow: the nth call of op.
type fsPosition struct {
	flow fsFlow
	op   string
	nth  int
	// between is true for a call made once the alias may have moved: a
	// persistent fault there lasts the call's attempts, so that the calls
	// that put the alias back get through. Before anything moves, the fault
	// is on every call of op for the rest of the run.
	between bool
}

// The call positions, in the order the binary makes the calls.
var fsPositions = []fsPosition{
	{fsAllAtOnce, "GetFunction", 1, false},
	{fsAllAtOnce, "GetAlias", 1, false},
	{fsAllAtOnce, "apigateway.GetStage", 1, false},
	{fsAllAtOnce, "apigateway.GetResources", 1, false},
	{fsAllAtOnce, "GetPolicy", 1, false},
	{fsAllAtOnce, "PublishVersion", 1, false},
	{fsAllAtOnce, "UpdateAlias", 1, true},
	{fsRollout, "GetAlias", 2, true}, // the drift check before 10%
	{fsRollout, "UpdateAlias", 1, true},
	{fsRollout, "GetAlias", 3, true}, // before 50%
	{fsRollout, "UpdateAlias", 2, true},
	{fsRollout, "GetAlias", 4, true}, // before 100%
	{fsRollout, "UpdateAlias", 3, true},
}

// fsRule is one Inject call.
type fsRule struct {
	op      string
	attempt int
	fault   faultproxy.Fault
}

// fsScenario is one row of the matrix.
type fsScenario struct {
	name   string
	flow   fsFlow
	rules  []fsRule
	absorb bool // the SDK's retries, or the binary's wait, absorb the fault: the run must promote
	// waited is true for a 409 that outlasts the binary's wait on a call
	// it waits out: the run must end fail-safe within fsWaitedEnd.
	waited bool
	// beyond is true when the fault also defeats every way back (AWS
	// refuses every write): the run cannot be fail-safe, only honest.
	beyond bool
	// long is true for a scenario that waits out retry budgets, timeouts
	// or the rollback's budget.
	long bool
	// sample is true for the scenarios that run under -short: each kind of
	// fault once, on the first attempt of an all-at-once move.
	sample bool
}

// fsMatrix is the scenario table: every kind at every position, on the
// first attempt only (transient) and on every attempt (persistent) where
// that differs, plus the cases a plain table cannot say.
func fsMatrix() []fsScenario {
	var out []fsScenario
	for _, pos := range fsPositions {
		for _, k := range fsKinds {
			if !fsPossible(pos.op, k) {
				continue
			}
			where := fmt.Sprintf("%s/%s#%d/%s", pos.flow, pos.op, pos.nth, k.name)
			waited := k.waited && fsWaitedOps[pos.op]
			out = append(out, fsScenario{
				name:   where + "/transient",
				flow:   pos.flow,
				rules:  []fsRule{{pos.op, pos.nth, k.fault}},
				absorb: k.retried || waited,
				sample: pos.flow == fsAllAtOnce && pos.op == "UpdateAlias",
			})
			attempts := fsAttempts
			switch {
			case waited:
				attempts = fsConflictAttempts
			case !k.retried:
				// Not retried: the first attempt is the only one, so
				// "every attempt of the call" is the transient case.
				continue
			}
			var rules []fsRule
			if pos.between {
				for a := pos.nth; a < pos.nth+attempts; a++ {
					rules = append(rules, fsRule{pos.op, a, k.fault})
				}
			} else {
				rules = []fsRule{{pos.op, faultproxy.Every, k.fault}}
			}
			out = append(out, fsScenario{name: where + "/persistent", flow: pos.flow, rules: rules, waited: waited, long: true})
		}
	}

	// A request that outlives the binary's 20s per-request timeout. Only
	// two: each costs 20s of wall time, and a persistent one would cost
	// five times that (the reset and lost kinds above cover the same
	// failure of the connection without the wait).
	out = append(out,
		fsScenario{
			name:   "rollout/UpdateAlias#2/timeout-before-forward/transient",
			flow:   fsRollout,
			rules:  []fsRule{{"UpdateAlias", 2, faultproxy.Delay(21 * time.Second)}},
			absorb: true,
			long:   true,
		},
		fsScenario{
			name:   "all-at-once/UpdateAlias#1/timeout-after-forward/transient",
			flow:   fsAllAtOnce,
			rules:  []fsRule{{"UpdateAlias", 1, faultproxy.AfterForward(faultproxy.Delay(21 * time.Second))}},
			absorb: true,
			long:   true,
		},
	)

	// Lambda checks the RevisionId an UpdateAlias carries; moto does not.
	// When the answer to an UpdateAlias is lost, the SDK sends the same
	// request again, with the RevisionId read before the first attempt
	// landed, and Lambda answers the retry 412 PreconditionFailedException.
	// Here the proxy gives that answer in moto's place.
	lostThen412 := func(flow fsFlow, nth int) fsScenario {
		return fsScenario{
			name: fmt.Sprintf("%s/UpdateAlias#%d/lost-then-412(lambda-revision)/transient", flow, nth),
			flow: flow,
			rules: []fsRule{
				{"UpdateAlias", nth, faultproxy.AfterForward(faultproxy.Reset)},
				{"UpdateAlias", nth + 1, faultproxy.PreconditionFailed},
			},
		}
	}
	out = append(out,
		lostThen412(fsAllAtOnce, 1),
		lostThen412(fsRollout, 1),
		lostThen412(fsRollout, 2),
		lostThen412(fsRollout, 3),
	)
	// The same on the rollback's own move: the 50% step fails for good
	// (every attempt of the call), the move back lands but its answer is
	// lost, and the retry is answered 412.
	rb := fsScenario{name: "rollout/UpdateAlias#2/500-then-rollback-lost-then-412(lambda-revision)/persistent", flow: fsRollout, long: true}
	for a := 2; a < 2+fsAttempts; a++ {
		rb.rules = append(rb.rules, fsRule{"UpdateAlias", a, faultproxy.ServerError})
	}
	rb.rules = append(rb.rules,
		fsRule{"UpdateAlias", 2 + fsAttempts, faultproxy.AfterForward(faultproxy.Reset)},
		fsRule{"UpdateAlias", 3 + fsAttempts, faultproxy.PreconditionFailed},
	)
	out = append(out, rb)

	// Beyond repair: from the 50% step on, Lambda refuses every UpdateAlias,
	// so the 10% cannot be taken back by anyone. The run must say so
	// truthfully: failed, and the alias's real state. It tries to roll back
	// for the whole of the rollback's budget (2 minutes).
	out = append(out, fsScenario{
		name:   "rollout/UpdateAlias#2/503-every-attempt-forever/beyond-repair",
		flow:   fsRollout,
		rules:  []fsRule{{"UpdateAlias", faultproxy.Every, faultproxy.Unavailable}, {"UpdateAlias", 1, faultproxy.Fault{}}},
		beyond: true,
		long:   true,
	})
	return out
}

// fsEnd is how a scenario ended.
type fsEnd struct {
	name       string
	consistent bool
	absorb     bool // expected to be absorbed
	absorbed   bool // it was
	waited     bool // a persistent 409 on a waited call
	took       time.Duration
	beyond     bool
	route      string // the alias on moto
	status     string
	noVersion  bool // status failed with an empty version output
	problems   []string
}

// fsTally collects the ends of all scenarios.
type fsTally struct {
	mu   sync.Mutex
	ends []fsEnd
}

func (t *fsTally) add(e fsEnd) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ends = append(t.ends, e)
}

// fsWorkers is how many scenarios run at once. Runs mostly wait (backoff,
// step intervals), so more than the cores; moto is the shared limit.
const fsWorkers = 20

func TestFailSafe(t *testing.T) {
	t.Parallel()
	srv := sharedMoto(t)
	matrix := fsMatrix()
	tally := &fsTally{}

	// The longest scenarios start first, so that the bench takes about as
	// long as its longest scenario (the rollback's budget of 2 minutes).
	order := make([]int, len(matrix))
	for i := range order {
		order[i] = i
	}
	weight := func(sc fsScenario) int {
		switch {
		case sc.beyond:
			return 2
		case sc.long:
			return 1
		}
		return 0
	}
	sort.SliceStable(order, func(a, b int) bool { return weight(matrix[order[a]]) > weight(matrix[order[b]]) })

	// t.Run from several goroutines at once, rather than t.Parallel, so that
	// the bench is not held to -parallel runs at a time.
	sem := make(chan struct{}, fsWorkers)
	var wg sync.WaitGroup
	for _, i := range order {
		sc := matrix[i]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(sc.name, func(t *testing.T) {
				if testing.Short() && !sc.sample {
					t.Skip("the whole matrix runs without -short; -short runs each kind of fault once")
				}
				tally.add(fsRun(t, srv, fmt.Sprintf("failsafe%03d", i), sc))
			})
		})
	}
	wg.Wait()

	t.Run("summary", func(t *testing.T) {
		tally.mu.Lock()
		defer tally.mu.Unlock()
		ends := tally.ends
		sort.Slice(ends, func(i, j int) bool { return ends[i].name < ends[j].name })
		var n, consistent, absorbed, absorbable, beyond, beyondHonest, noVersion, waited, waitedSafe int
		var waitedLongest time.Duration
		for _, e := range ends {
			if e.beyond {
				beyond++
				if e.consistent {
					beyondHonest++
				}
				continue
			}
			n++
			if e.consistent {
				consistent++
			}
			if e.absorb {
				absorbable++
				if e.absorbed {
					absorbed++
				}
			}
			if e.waited {
				waited++
				if e.consistent {
					waitedSafe++
				}
				waitedLongest = max(waitedLongest, e.took)
			}
			if e.noVersion {
				noVersion++
			}
		}
		for _, e := range ends {
			mark := "ok"
			if !e.consistent || (e.absorb && !e.absorbed) {
				mark = "FAIL"
			}
			t.Logf("%-4s %-90s alias %-8s status %-11s %s", mark, e.name, e.route, e.status, strings.Join(e.problems, "; "))
		}
		t.Logf("fail-safe: %d scenarios, %d consistent, %d of %d transient absorbed", n, consistent, absorbed, absorbable)
		t.Logf("409 outlasting wait-timeout %s on a waited call: %d scenarios, %d ended whole, the longest in %s", fsWait, waited, waitedSafe, waitedLongest.Round(100*time.Millisecond))
		t.Logf("beyond repair (AWS refuses every write): %d scenarios, %d reported truthfully", beyond, beyondHonest)
		if noVersion > 0 {
			t.Logf("failed runs with an empty version output (alias named only in the summary): %d", noVersion)
		}
	})
}

// fsRun runs one scenario on its own function and judges how it ended.
func fsRun(t *testing.T, srv *moto.Server, fn string, sc fsScenario) fsEnd {
	t.Helper()
	_, w := world(t, fn)
	p := realProxy(t, srv.URL)
	for _, r := range sc.rules {
		p.Inject(r.op, r.attempt, r.fault)
	}
	in := map[string]string{"function-name": w.Function, "alias": "prod", "wait-timeout": fsWait.String()}
	switch sc.flow {
	case fsAllAtOnce:
		in["api-id"], in["stage"] = w.RESTAPIID, "prod"
	case fsRollout:
		in["steps"], in["interval"] = "10,50,100", "1s"
	}
	start := time.Now()
	r := runAction(t, srv, in, Options{Proxy: p})
	took := time.Since(start)
	route := aliasRoute(t, srv, w.Function, "prod")

	end := fsEnd{name: sc.name, absorb: sc.absorb, waited: sc.waited, took: took, beyond: sc.beyond, route: route, status: r.Outputs["status"]}
	bad := func(format string, args ...any) {
		end.problems = append(end.problems, fmt.Sprintf(format, args...))
	}
	if !fsFired(p.Requests(), sc.rules) {
		bad("no injected fault fired: the binary never made the call this scenario is about")
	}
	if sc.beyond {
		fsJudgeBeyond(r, route, bad)
	} else {
		end.noVersion = fsJudge(r, route, bad)
	}
	end.consistent = len(end.problems) == 0
	end.absorbed = r.Code == 0 && route == "2" && r.Outputs["status"] == "promoted"
	if sc.absorb && !end.absorbed {
		bad("a fault the SDK's retries or the binary's wait absorb failed the run: exit %d, status %q, alias %s", r.Code, r.Outputs["status"], route)
	}
	if sc.waited {
		if r.Code == 0 {
			bad("exit 0 although the update stayed in progress past wait-timeout %s", fsWait)
		}
		if took > fsWaitedEnd {
			bad("the run took %s: it did not give up after wait-timeout %s", took.Round(time.Second), fsWait)
		}
	}
	for _, msg := range end.problems {
		t.Error(msg)
	}
	if t.Failed() {
		var calls []string
		for _, rec := range p.Requests() {
			calls = append(calls, fmt.Sprintf("%s#%d→%d%s", rec.Op, rec.Attempt, rec.Status, fsFault(rec.Fault)))
		}
		t.Logf("calls: %s", strings.Join(calls, " "))
	}
	return end
}

// fsFired reports whether a scenario without faults, or one of its faults,
// met a request.
func fsFired(recs []faultproxy.Record, rules []fsRule) bool {
	faulty := false
	for _, r := range rules {
		faulty = faulty || r.fault != (faultproxy.Fault{})
	}
	if !faulty {
		return true
	}
	for _, rec := range recs {
		if rec.Fault != "" {
			return true
		}
	}
	return false
}

func fsFault(f string) string {
	if f == "" {
		return ""
	}
	return "(" + f + ")"
}

// fsJudge checks the invariant. It reports whether the run failed with an
// empty version output, which the invariant lets pass when the summary names
// the version.
func fsJudge(r Run, route string, bad func(string, ...any)) (noVersion bool) {
	status, version := r.Outputs["status"], r.Outputs["version"]
	if strings.Contains(route, "+") {
		bad("the alias is split: %s", route)
	}
	switch {
	case r.Code == 0:
		if route != "2" {
			bad("exit 0 but the alias routes %s, want 2 with no weights", route)
		}
		if status != "promoted" && status != "unchanged" {
			bad("exit 0 with status %q, want promoted or unchanged", status)
		}
		if version != route {
			bad("version output %q, but the alias serves %s", version, route)
		}
	default:
		if route != "1" {
			bad("exit %d but the alias routes %s, want the stable version 1 with no weights", r.Code, route)
		}
		if status != "failed" && status != "rolled-back" {
			bad("exit %d with status %q, want failed or rolled-back", r.Code, status)
		}
		switch {
		case version == route:
		case version == "" && status == "failed":
			noVersion = true
		default:
			bad("version output %q, but the alias serves %s", version, route)
		}
	}
	// A run that could not read the alias at all can only say, truthfully,
	// that it changed nothing; the alias is then where it was (1).
	now := fsAliasNow(r.Summary)
	unread := r.Code != 0 && route == "1" && strings.Contains(now, "could not be read") && strings.Contains(now, "changed nothing")
	if !fsSays(now, route) && !unread {
		bad("the summary's Alias now line %q does not say the alias serves %s", now, route)
	}
	return noVersion
}

// fsJudgeBeyond checks a run whose way back AWS refused: it cannot end
// whole, so it must end failed and say where the alias really is.
func fsJudgeBeyond(r Run, route string, bad func(string, ...any)) {
	if r.Code == 0 {
		bad("exit 0 although every move after the first was refused")
	}
	if s := r.Outputs["status"]; s != "failed" {
		bad("status %q, want failed: the rollback could not be made", s)
	}
	if now := fsAliasNow(r.Summary); !fsSays(now, route) {
		bad("the summary's Alias now line %q does not say the alias serves %s", now, route)
	}
}

// fsAliasNow is the text of the summary's "Alias now" line.
func fsAliasNow(summary string) string {
	for _, line := range strings.Split(summary, "\n") {
		if rest, ok := strings.CutPrefix(line, "**Alias now:** "); ok {
			return rest
		}
	}
	return ""
}

var fsServes = regexp.MustCompile(`serves ([^\s;,]+)(?: with (?:([^\s%]+)% of traffic on ([^\s;,]+)|no weights))?`)

// fsSays reports whether an Alias now sentence says the alias routes as
// route ("1", "2" or "1+2@0.1") and nothing else.
func fsSays(now, route string) bool {
	if strings.Contains(now, "unknown") {
		return false
	}
	m := fsServes.FindStringSubmatch(now)
	if m == nil {
		return false
	}
	primary, rest, split := strings.Cut(route, "+")
	if !split {
		return m[1] == primary && m[2] == ""
	}
	on, at, _ := strings.Cut(rest, "@")
	var frac float64
	if _, err := fmt.Sscanf(at, "%g", &frac); err != nil {
		return false
	}
	return m[1] == primary && m[3] == on && m[2] == fmt.Sprint(frac*100)
}
