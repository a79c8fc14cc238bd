package promote

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/lambda-promote/lambda-promote/internal/alias"
)

const fnARNPrefix = "arn:aws:lambda:us-east-1:123456789012:function:"

type fakeVersion struct {
	code, role, dlq string
}

type fakeAlias struct {
	version string
	weights map[string]float64
	rev     int
	desc    string
}

// fakeLambda is an in-memory Lambda that keeps Lambda's own rules (no weights
// with $LATEST, revision preconditions, publish returns the latest version
// when nothing changed). fail and onCall let a test inject faults.
type fakeLambda struct {
	name     string // the function's name: "api" unless set
	mu       sync.Mutex
	latest   fakeVersion
	busy     int // GetFunction answers InProgress this many more times
	versions []fakeVersion
	aliases  map[string]*fakeAlias
	calls    map[string]int
	order    []string
	fail     func(op string, n int) error
	onCall   func(op string, n int)
}

var _ alias.API = (*fakeLambda)(nil)

func newFake() *fakeLambda {
	return &fakeLambda{name: "api", latest: fakeVersion{code: "c1", role: "role"}, aliases: map[string]*fakeAlias{}, calls: map[string]int{}}
}

// arn is the function's unqualified ARN.
func (f *fakeLambda) arn() string { return fnARNPrefix + f.name }

// withVersions publishes n versions, each with new code.
func (f *fakeLambda) withVersions(n int) *fakeLambda {
	for i := 1; i <= n; i++ {
		f.latest.code = "c" + strconv.Itoa(i)
		f.versions = append(f.versions, f.latest)
	}
	return f
}

func (f *fakeLambda) withAlias(name, version string, weights map[string]float64, desc string) *fakeLambda {
	f.aliases[name] = &fakeAlias{version: version, weights: weights, rev: 1, desc: desc}
	return f
}

func (f *fakeLambda) newCode() { f.latest.code += "+" }

func (f *fakeLambda) enter(op string) error {
	f.mu.Lock()
	f.calls[op]++
	n := f.calls[op]
	f.order = append(f.order, op)
	fail, on := f.fail, f.onCall
	f.mu.Unlock()
	if on != nil {
		on(op, n)
	}
	if fail != nil {
		return fail(op, n)
	}
	return nil
}

func (f *fakeLambda) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeLambda) changes() int {
	return f.count("PublishVersion") + f.count("CreateAlias") + f.count("UpdateAlias")
}

// route reads an alias as "version" or "version+extra@weight".
func (f *fakeLambda) route(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.aliases[name]
	if !ok {
		return "missing"
	}
	s := a.version
	for v, w := range a.weights {
		if w > 0 {
			s += fmt.Sprintf("+%s@%g", v, w)
		}
	}
	return s
}

func notFound(what string) error {
	return &types.ResourceNotFoundException{Message: aws.String(what + " not found")}
}

func (f *fakeLambda) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	if err := f.enter("GetFunction"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q := aws.ToString(in.Qualifier)
	out := &types.FunctionConfiguration{FunctionName: aws.String(f.name), FunctionArn: aws.String(f.arn()), State: types.StateActive, LastUpdateStatus: types.LastUpdateStatusSuccessful}
	var v fakeVersion
	switch {
	case q == "" || q == alias.Latest:
		v = f.latest
		out.Version = aws.String(alias.Latest)
		out.RevisionId = aws.String("latest-" + f.latest.code)
		if f.busy > 0 {
			f.busy--
			out.LastUpdateStatus = types.LastUpdateStatusInProgress
		}
	default:
		i, err := strconv.Atoi(q)
		if err != nil || i < 1 || i > len(f.versions) {
			return nil, notFound("version " + q)
		}
		v = f.versions[i-1]
		out.Version = aws.String(q)
		out.FunctionArn = aws.String(f.arn() + ":" + q)
	}
	out.CodeSha256, out.Role = aws.String(v.code), aws.String(v.role)
	if v.dlq != "" {
		out.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String(v.dlq)}
	}
	return &lambda.GetFunctionOutput{Configuration: out}, nil
}

func (f *fakeLambda) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, _ ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	if err := f.enter("PublishVersion"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if sha := aws.ToString(in.CodeSha256); sha != "" && sha != f.latest.code {
		return nil, &types.PreconditionFailedException{Message: aws.String("code changed")}
	}
	if n := len(f.versions); n == 0 || f.versions[n-1] != f.latest {
		f.versions = append(f.versions, f.latest)
	}
	v := strconv.Itoa(len(f.versions))
	return &lambda.PublishVersionOutput{FunctionName: aws.String(f.name), FunctionArn: aws.String(f.arn() + ":" + v), Version: aws.String(v), Role: aws.String(f.latest.role), CodeSha256: aws.String(f.latest.code), State: types.StateActive}, nil
}

func (f *fakeLambda) aliasOut(name string, a *fakeAlias) (*string, *string, *string, *string, *string, *types.AliasRoutingConfiguration) {
	rc := &types.AliasRoutingConfiguration{AdditionalVersionWeights: maps.Clone(a.weights)}
	return aws.String(f.arn() + ":" + name), aws.String(name), aws.String(a.version), aws.String("rev" + strconv.Itoa(a.rev)), aws.String(a.desc), rc
}

func (f *fakeLambda) GetAlias(ctx context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	if err := f.enter("GetAlias"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		// As the SDK says it when a call's context ends.
		return nil, fmt.Errorf("operation error Lambda: GetAlias, canceled, %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.aliases[aws.ToString(in.Name)]
	if !ok {
		return nil, notFound("alias")
	}
	o := &lambda.GetAliasOutput{}
	o.AliasArn, o.Name, o.FunctionVersion, o.RevisionId, o.Description, o.RoutingConfig = f.aliasOut(aws.ToString(in.Name), a)
	return o, nil
}

func (f *fakeLambda) checkRoute(version string, weights map[string]float64) error {
	exists := func(v string) bool {
		i, err := strconv.Atoi(v)
		return v == alias.Latest || (err == nil && i >= 1 && i <= len(f.versions))
	}
	if !exists(version) {
		return notFound("version " + version)
	}
	for v, w := range weights {
		if w > 0 && (v == alias.Latest || version == alias.Latest) {
			return &types.InvalidParameterValueException{Message: aws.String("$LATEST cannot take weights")}
		}
		if !exists(v) {
			return notFound("version " + v)
		}
	}
	return nil
}

func (f *fakeLambda) CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, _ ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error) {
	if err := f.enter("CreateAlias"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	if _, ok := f.aliases[name]; ok {
		return nil, &types.ResourceConflictException{Message: aws.String("alias exists")}
	}
	if err := f.checkRoute(aws.ToString(in.FunctionVersion), nil); err != nil {
		return nil, err
	}
	a := &fakeAlias{version: aws.ToString(in.FunctionVersion), weights: map[string]float64{}, rev: 1, desc: aws.ToString(in.Description)}
	f.aliases[name] = a
	o := &lambda.CreateAliasOutput{}
	o.AliasArn, o.Name, o.FunctionVersion, o.RevisionId, o.Description, o.RoutingConfig = f.aliasOut(name, a)
	return o, nil
}

func (f *fakeLambda) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, _ ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	if err := f.enter("UpdateAlias"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	a, ok := f.aliases[name]
	if !ok {
		return nil, notFound("alias")
	}
	if rev := aws.ToString(in.RevisionId); rev != "" && rev != "rev"+strconv.Itoa(a.rev) {
		return nil, &types.PreconditionFailedException{Message: aws.String("revision mismatch")}
	}
	weights := a.weights
	if in.RoutingConfig != nil {
		weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
	}
	version := a.version
	if in.FunctionVersion != nil {
		version = aws.ToString(in.FunctionVersion)
	}
	if err := f.checkRoute(version, weights); err != nil {
		return nil, err
	}
	a.version, a.weights, a.rev = version, weights, a.rev+1
	if in.Description != nil {
		a.desc = aws.ToString(in.Description)
	}
	o := &lambda.UpdateAliasOutput{}
	o.AliasArn, o.Name, o.FunctionVersion, o.RevisionId, o.Description, o.RoutingConfig = f.aliasOut(name, a)
	return o, nil
}

// moveBySomeoneElse changes an alias the way another tool would.
func (f *fakeLambda) moveBySomeoneElse(name, version string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.aliases[name]
	a.version, a.weights, a.rev = version, map[string]float64{}, a.rev+1
}

// autoClock is a clock whose waits pass at once, moving time forward.
type autoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *autoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *autoClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// fakeAccount is several fake functions behind one client: each call goes
// to the function it names (by name or ARN).
type fakeAccount struct {
	fns   map[string]*fakeLambda
	names []string
}

var _ alias.API = (*fakeAccount)(nil)

func newAccount(fns ...*fakeLambda) *fakeAccount {
	a := &fakeAccount{fns: map[string]*fakeLambda{}}
	for _, f := range fns {
		a.fns[f.name] = f
		a.names = append(a.names, f.name)
	}
	return a
}

func (a *fakeAccount) of(name *string) *fakeLambda {
	n := aws.ToString(name)
	if i := strings.LastIndex(n, ":function:"); i >= 0 {
		n = n[i+len(":function:"):]
	}
	n, _, _ = strings.Cut(n, ":")
	return a.fns[n]
}

func (a *fakeAccount) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, o ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return a.of(in.FunctionName).GetFunction(ctx, in, o...)
}

func (a *fakeAccount) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, o ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return a.of(in.FunctionName).PublishVersion(ctx, in, o...)
}

func (a *fakeAccount) GetAlias(ctx context.Context, in *lambda.GetAliasInput, o ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return a.of(in.FunctionName).GetAlias(ctx, in, o...)
}

func (a *fakeAccount) CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, o ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error) {
	return a.of(in.FunctionName).CreateAlias(ctx, in, o...)
}

func (a *fakeAccount) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, o ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return a.of(in.FunctionName).UpdateAlias(ctx, in, o...)
}
