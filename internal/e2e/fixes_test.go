package e2e

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// TestFixes builds, for every fix the action prints, the state that prints
// it, runs the action, takes the printed commands from the summary, runs
// them with the AWS CLI through the same realism layer the action met, runs
// the action again and judges that the check now passes or the promotion
// completes. A block of choices ("# either …", "# or …") is run once per
// choice, each on a fresh copy of the state; workflow inputs (a yaml block)
// are run as a run of the action with them. Read-only commands ("see it
// with") must exit 0 and show what the error said.
//
// A case is a seed function and what the reader sees and does; see
// fixCases. TestEveryFixHasACase holds the cases to the product's code.
func TestFixes(t *testing.T) {
	t.Parallel()
	moto.RequireCLI(t)
	for i, c := range fixCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if c.long != "" {
				skipLong(t, c.long)
			}
			// Under -short, one case in shortEvery stands for the rest
			// (the inventory still holds every fix to a case); CI runs
			// them all.
			if i%shortEvery != 0 {
				skipLong(t, "a case of TestFixes that -short leaves to CI")
			}
			runFixCase(t, c)
		})
	}
}

// shortEvery is how many of TestFixes' cases one run under -short stands
// for.
const shortEvery = 6

// fixCase is one state in which the action prints a fix, and what the
// reader does with it.
type fixCase struct {
	name string
	// claims are the calls of fix.AWS whose commands this case runs (see
	// fixKey): TestEveryFixHasACase wants every call claimed, and the
	// case fails unless it ran a command of each.
	claims []fixKey
	// long says why the case takes more than a few seconds; it is
	// skipped under -short.
	long string

	// seed builds the state on moto, through h (h.demo for the README's
	// world), and sets h.in, the workflow's inputs: the run with them
	// prints the fix, and runs again after it.
	seed func(h *fixWorld)
	// block is the printed block the case runs: "Next", or the name of a
	// failed check.
	block string
	// before is what happens between the run that prints the fix and the
	// reader running it (AWS stops refusing writes, say); nil for nothing.
	before func(h *fixWorld)
	// n is what the reader chooses where a command says N.
	n func(h *fixWorld) string
	// see is what the commands must print, read-only ones above all: what
	// the error said (State Pending, the alias's version, the stages…).
	see func(h *fixWorld) []string
	// then is what the reader does after running the block, before running
	// the workflow again: wait for Lambda, correct an input, deploy new
	// code. nil for nothing.
	then func(h *fixWorld)
	// want judges the run after the fix; nil wants it promoted (exit 0)
	// with every check passed.
	want func(h *fixWorld, r Run)
	// noRerun is set for a block that only shows something: nothing to
	// run again.
	noRerun bool
	// firstOK is set where the run that prints the block succeeds (a held
	// canary's next step).
	firstOK bool
}

// fixWorld is the state one choice of a case runs in: a moto server seeded
// for it and the proxy with the realism layer that the action and the AWS
// CLI both go through.
type fixWorld struct {
	t   *testing.T
	srv *moto.Server
	p   *faultproxy.Proxy
	w   moto.World   // when seeded with demo
	svc moto.Service // when seeded with a service of several functions
	// in are the workflow's inputs; opts the options of the run that
	// prints the fix; again, when set, the inputs of the run after the fix
	// in place of in.
	in    map[string]string
	opts  Options
	again map[string]string
	// dir is where the reader runs the commands.
	dir string

	mu  sync.Mutex
	ran []string // every command line run
	out strings.Builder
}

func newFixWorld(t *testing.T) *fixWorld {
	t.Helper()
	srv := sharedMoto(t)
	return &fixWorld{t: t, srv: srv, p: realProxy(t, srv.URL), dir: t.TempDir()}
}

// ctx is the test's context.
func (h *fixWorld) ctx() context.Context { return h.t.Context() }

// must fails the case on err.
func (h *fixWorld) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// demo seeds the README's world for a function of its own: version 1
// behind prod, a REST stage prod that calls it through lambdaAlias=prod,
// the permission, new code on $LATEST. The inputs promote it and check the
// stage.
func (h *fixWorld) demo(name string) {
	h.t.Helper()
	w, err := h.srv.Demo(h.ctx(), unique(name))
	h.must(err)
	h.w = w
	h.in = map[string]string{"function-name": w.Function, "alias": "prod", "api-id": w.RESTAPIID, "stage": "prod"}
}

// lambda is a Lambda client that goes through the realism layer, for a
// change the reader makes (new code, say) that Lambda would see as an
// update.
func (h *fixWorld) lambda() *lambda.Client {
	return lambda.NewFromConfig(h.p.AWSConfig(h.srv.AWSConfig()))
}

// latestSHA is the CodeSha256 of the function's $LATEST.
func (h *fixWorld) latestSHA(fn string) string {
	h.t.Helper()
	out, err := h.srv.Lambda().GetFunctionConfiguration(h.ctx(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
	h.must(err)
	return aws.ToString(out.CodeSha256)
}

// fixSecrets are the credentials the action and the reader run with: no
// printed command may hold them.
var fixSecrets = []string{"AWS_ACCESS_KEY_ID=" + secretKeyID, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_SESSION_TOKEN=" + secretSession}

// run runs the action with inputs through the case's proxy, with a
// GitHub token and AWS keys that must never appear in what it prints.
func (h *fixWorld) run(inputs map[string]string, o Options) Run {
	h.t.Helper()
	in := maps.Clone(inputs)
	in["github-token"] = secretToken
	o.Proxy = h.p
	o.Env = append(slices.Clone(o.Env), fixSecrets...)
	return runAction(h.t, h.srv, in, o)
}

// cli runs one command line as the reader would: the AWS CLI through the
// case's proxy, in the case's folder.
func (h *fixWorld) cli(line string) (string, error) {
	h.mu.Lock()
	h.ran = append(h.ran, line)
	h.mu.Unlock()
	out, err := h.srv.RunCLIAt(h.ctx(), h.p.URL, h.dir, line, fixSecrets...)
	h.mu.Lock()
	h.out.WriteString(out)
	h.mu.Unlock()
	return out, err
}

// runFixCase runs every choice of the case's block, the first here and
// each other on a fresh copy of the state, and checks that the case ran a
// command of every call it claims.
func runFixCase(t *testing.T, c fixCase) {
	t.Helper()
	runs, ran := runChoice(t, c, 0)
	var (
		mu  sync.Mutex
		all = ran
	)
	if len(runs) > 1 {
		var wg sync.WaitGroup
		for i := 1; i < len(runs); i++ {
			wg.Go(func() {
				t.Run(fmt.Sprintf("choice %d (%s)", i+1, runs[i].label), func(t *testing.T) {
					_, ran := runChoice(t, c, i)
					mu.Lock()
					defer mu.Unlock()
					all = append(all, ran...)
				})
			})
		}
		wg.Wait()
	}
	for _, k := range c.claims {
		if !slices.ContainsFunc(all, func(l string) bool { return strings.Contains(l, k.command()+" ") }) {
			t.Errorf("the case claims %s, but ran no %s: %q", k, k.command(), all)
		}
	}
}

// runChoice seeds a fresh state, runs the action, runs choice i of the
// case's block and judges the run after it. It returns the block's choices
// and the command lines run.
func runChoice(t *testing.T, c fixCase, i int) ([]option, []string) {
	t.Helper()
	h := newFixWorld(t)
	c.seed(h)
	r := h.run(h.in, h.opts)
	if r.Code == 0 && !c.firstOK {
		t.Fatalf("the run that should print a fix ended with exit 0, status %q:\n%s", r.Outputs["status"], r.Summary)
	}
	blocks := printedBlocks(r.Summary)
	for _, b := range blocks {
		checkPrinted(t, b)
	}
	// A path's block is named by its kind and source, which carries ids
	// the case cannot know (a mapping's UUID): the case names its start.
	idx := slices.IndexFunc(blocks, func(b printed) bool {
		return b.where == c.block || strings.HasPrefix(c.block, "path: ") && strings.HasPrefix(b.where, c.block)
	})
	if idx < 0 {
		t.Fatalf("the summary prints no block for %q; it prints %v:\n%s", c.block, blocks, r.Summary)
	}
	b := blocks[idx]
	if c.before != nil {
		c.before(h)
	}
	runs := readBlock(b.code).runs()
	if i >= len(runs) {
		t.Fatalf("a fresh copy of the state prints %d choices, the first printed %d:\n%s", len(runs), i+1, b.code)
	}
	choice := runs[i]
	t.Logf("running %s of the %s block:\n%s", choice.label, c.block, strings.Join(choice.lines, "\n"))

	if b.lang == "yaml" {
		in, ok := yamlInputs(choice.lines)
		if !ok {
			t.Fatalf("the %s block is not workflow inputs: %q", c.block, choice.lines)
		}
		// A run started with these inputs: the workflow's own (which
		// function, alias and stage) and the printed ones, not those of
		// the run that printed them.
		with := map[string]string{}
		for _, k := range workflowInputs {
			if v, ok := h.in[k]; ok {
				with[k] = v
			}
		}
		maps.Copy(with, in)
		if r := h.run(with, Options{}); r.Code != 0 {
			t.Fatalf("the run with the printed inputs %v ended with exit %d, status %q:\n%s", in, r.Code, r.Outputs["status"], r.Summary)
		}
	} else {
		n := ""
		if c.n != nil {
			n = c.n(h)
		}
		for _, line := range choice.lines {
			line, ok := chosen(line, n)
			if !ok {
				t.Fatalf("%q asks the reader to choose N, and the case does not say what they choose", line)
			}
			out, err := h.cli(line)
			if err != nil {
				t.Fatalf("the printed command failed: %v", err)
			}
			t.Logf("$ %s\n%s", line, out)
		}
	}
	if c.see != nil {
		for _, want := range c.see(h) {
			if !strings.Contains(h.out.String(), want) {
				t.Errorf("the commands' output does not show %q:\n%s", want, h.out.String())
			}
		}
	}
	if c.then != nil {
		c.then(h)
	}
	if !c.noRerun {
		again := h.in
		if h.again != nil {
			again = h.again
		}
		r := h.run(again, Options{})
		if c.want != nil {
			c.want(h, r)
		} else {
			wantFixed(t, r, c.block)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return runs, slices.Clone(h.ran)
}

// workflowInputs are the inputs a workflow fixes for every run; a run
// started with printed inputs has these and the printed ones.
var workflowInputs = []string{"function-name", "alias", "api-id", "stage", "stage-variable"}

// wantFixed wants a run promoted with exit 0, and the check a block fixed
// not failed.
func wantFixed(t *testing.T, r Run, check string) {
	t.Helper()
	if r.Code != 0 || (r.Outputs["status"] != "promoted" && r.Outputs["status"] != "unchanged") {
		t.Errorf("after the fix: exit %d, status %q; want promoted:\n%s", r.Code, r.Outputs["status"], r.Summary)
	}
	if check == "Next" {
		return
	}
	// A fix may take away what the check judges (provisioned concurrency
	// removed): then it is not listed.
	if ok, found := checkMarks(r.Summary)[check]; found && !ok {
		t.Errorf("after the fix the %s check still fails:\n%s", check, r.Summary)
	}
}

// checkPrinted fails the test on what printedProblems finds.
func checkPrinted(t *testing.T, b printed) {
	t.Helper()
	for _, p := range printedProblems(b) {
		t.Error(p)
	}
}

// printedProblems checks what any printed block must be: no secret in it,
// every command line one a POSIX shell parses (its values quoted), every
// input line an input of the action.
func printedProblems(b printed) []string {
	var problems []string
	for _, s := range secretNeedles {
		if strings.Contains(b.code, s) {
			problems = append(problems, fmt.Sprintf("the %s block holds a secret (%q):\n%s", b.where, s, b.code))
		}
	}
	for _, run := range readBlock(b.code).runs() {
		for _, line := range run.lines {
			switch b.lang {
			case "yaml":
				in, ok := yamlInputs([]string{line})
				for k := range in {
					if !slices.ContainsFunc(config.Inputs(), func(i config.Input) bool { return i.Name == k }) {
						ok = false
					}
				}
				if !ok {
					problems = append(problems, fmt.Sprintf("the %s block's line %q is not an input of the action", b.where, line))
				}
			default:
				if out, err := exec.Command("sh", "-n", "-c", line).CombinedOutput(); err != nil {
					problems = append(problems, fmt.Sprintf("a POSIX shell cannot parse the %s block's line %q: %v\n%s", b.where, line, err, out))
				}
			}
		}
	}
	return problems
}
