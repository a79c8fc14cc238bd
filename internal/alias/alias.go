// Package alias holds the Lambda side of a promotion: reading the function and
// its alias, waiting for an update in progress, publishing a version, and
// moving the alias with weighted routing. Lambda's rules for weighted aliases
// are enforced here, because emulators (and mistakes) do not enforce them.
package alias

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/fix"
	"github.com/lambda-promote/lambda-promote/internal/lambdaarn"
	"github.com/lambda-promote/lambda-promote/internal/percent"
)

// Latest is Lambda's name for the unpublished version.
const Latest = lambdaarn.Latest

// API is the part of the Lambda client this package calls. A function is
// read with GetFunction, which answers with the same configuration as
// GetFunctionConfiguration (its Configuration is a FunctionConfiguration)
// and has a quota of its own, 100 requests per second, where
// GetFunctionConfiguration shares the control plane's 15 with the
// publishes and the moves
// (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html,
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests).
// It answers with more, unused here: a link to download the deployment
// package, valid for 10 minutes, which is why it takes lambda:GetFunction
// rather than lambda:GetFunctionConfiguration.
type API interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	CreateAlias(context.Context, *lambda.CreateAliasInput, ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// Function is what a promotion needs to know about one version of a function.
type Function struct {
	Name        string // function name
	ARN         string // unqualified function ARN
	Version     string // "$LATEST" or a number
	State       string // Pending, Active, Inactive, Failed
	StateReason string
	Update      string // LastUpdateStatus: InProgress, Successful, Failed ("" when never updated)
	UpdateWhy   string // LastUpdateStatusReason
	Role        string
	DeadLetter  string // dead-letter target ARN, "" when none
	CodeSHA     string
	RevisionID  string
	Timeout     time.Duration // how long Lambda lets one invocation run
	// Config is a digest of the code and the configuration a published
	// version copies from $LATEST: two versions with the same Config run the
	// same thing.
	Config string
}

// Busy reports whether Lambda is still creating or updating this version.
func (f Function) Busy() bool {
	return f.State == string(types.StatePending) || f.Update == string(types.LastUpdateStatusInProgress)
}

// Broken returns a non-nil error when the function cannot be promoted as it is.
func (f Function) Broken() error {
	switch {
	case f.State == string(types.StateFailed):
		see := fix.AWS("lambda", "get-function", "--function-name", f.Name, "--qualifier", f.Version, "--query", "Configuration.[State,StateReason,StateReasonCode]")
		return fix.Errorf("fix the cause and deploy the code again; see why with:", see,
			"function %s version %s is in state Failed: %s", f.Name, f.Version, f.StateReason)
	case f.Update == string(types.LastUpdateStatusFailed):
		see := fix.AWS("lambda", "get-function", "--function-name", f.Name, "--query", "Configuration.[LastUpdateStatus,LastUpdateStatusReason,LastUpdateStatusReasonCode]")
		return fix.Errorf("fix the cause and deploy the code again (your deploy step, or update-function-code); see why with:", see,
			"the last update of function %s failed: %s", f.Name, f.UpdateWhy)
	}
	return nil
}

func functionFrom(c *types.FunctionConfiguration) Function {
	timeout := int32(3) // Lambda's default timeout
	if c.Timeout != nil {
		timeout = *c.Timeout
	}
	f := Function{
		Name:        aws.ToString(c.FunctionName),
		ARN:         Unqualified(aws.ToString(c.FunctionArn)),
		Version:     aws.ToString(c.Version),
		State:       string(c.State),
		StateReason: aws.ToString(c.StateReason),
		Update:      string(c.LastUpdateStatus),
		UpdateWhy:   aws.ToString(c.LastUpdateStatusReason),
		Role:        aws.ToString(c.Role),
		CodeSHA:     aws.ToString(c.CodeSha256),
		RevisionID:  aws.ToString(c.RevisionId),
		Timeout:     time.Duration(timeout) * time.Second,
		Config:      configDigest(c),
	}
	if c.DeadLetterConfig != nil {
		f.DeadLetter = aws.ToString(c.DeadLetterConfig.TargetArn)
	}
	return f
}

// Unqualified strips a version or alias qualifier from a function ARN.
func Unqualified(arn string) string {
	fn, _, err := lambdaarn.Parse(arn)
	if err != nil {
		return arn
	}
	return fn.String()
}

// GetFunction reads one version of the function ("" or "$LATEST" for the
// unpublished one), with Lambda's GetFunction. A missing function or
// version is ErrNotFound.
func GetFunction(ctx context.Context, c API, name, version string) (Function, error) {
	in := &lambda.GetFunctionInput{FunctionName: aws.String(name)}
	if version != "" && version != Latest {
		in.Qualifier = aws.String(version)
	}
	out, err := c.GetFunction(ctx, in)
	if err == nil {
		err = hasConfiguration(out)
	}
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			what := "function " + name
			if version != "" {
				what += " version " + version
			}
			return Function{}, fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		return Function{}, fmt.Errorf("read function %s: %w", name, err)
	}
	return functionFrom(out.Configuration), nil
}

// errNoConfiguration is a GetFunction answer without the configuration
// Lambda documents it always holds.
var errNoConfiguration = errors.New("lambda answered GetFunction without the function's configuration")

func hasConfiguration(out *lambda.GetFunctionOutput) error {
	if out == nil || out.Configuration == nil {
		return errNoConfiguration
	}
	return nil
}

// ErrNotFound marks a function, version or alias that does not exist.
var ErrNotFound = errors.New("not found")

// WaitReady waits while Lambda creates or updates $LATEST, for at most max,
// and returns the function as it is once ready. It makes no request when f is
// not busy.
func WaitReady(ctx context.Context, c API, f Function, max time.Duration) (Function, error) {
	if !f.Busy() {
		return f, f.Broken()
	}
	out, err := waitUpdated(ctx, c, f.ARN, max)
	if err != nil {
		see := fix.AWS("lambda", "get-function", "--function-name", f.Name, "--query", "Configuration.[LastUpdateStatus,LastUpdateStatusReason]")
		return f, fix.Errorf("run again once its LastUpdateStatus is Successful; see it with:", see,
			"wait for the update of function %s to finish (nothing was changed): %w", f.Name, err)
	}
	ready := functionFrom(out)
	return ready, ready.Broken()
}

// waitUpdated waits with the SDK's FunctionUpdatedV2 waiter until the last
// update of $LATEST is no longer in progress
// (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html). It
// reads with GetFunction, as FunctionUpdated does with
// GetFunctionConfiguration, with the same acceptors on the same field
// (Successful, Failed, InProgress), on GetFunction's own quota.
func waitUpdated(ctx context.Context, c API, arn string, max time.Duration) (*types.FunctionConfiguration, error) {
	w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = pollMin, pollMax
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)}, max)
	if err == nil {
		err = hasConfiguration(out)
	}
	if err != nil {
		return nil, err
	}
	return out.Configuration, nil
}

// Publish publishes $LATEST as read in f. Passing its code hash and revision
// makes Lambda refuse when $LATEST changed after it was checked. When neither
// code nor configuration changed since the last published version, Lambda
// returns that version and creates nothing. While Lambda answers that an
// update is in progress, it waits for the update to finish and tries again,
// within p.Max.
func Publish(ctx context.Context, c API, f Function, description string, p Patience) (Function, error) {
	in := &lambda.PublishVersionInput{
		FunctionName: aws.String(f.ARN),
		Description:  aws.String(description),
	}
	if f.CodeSHA != "" {
		in.CodeSha256 = aws.String(f.CodeSHA)
	}
	if f.RevisionID != "" {
		in.RevisionId = aws.String(f.RevisionID)
	}
	var out *lambda.PublishVersionOutput
	wait := func(ctx context.Context, left time.Duration) error {
		_, err := waitUpdated(ctx, c, f.ARN, left)
		return err
	}
	err := p.whileConflict(ctx, wait, func(ctx context.Context) error {
		var err error
		out, err = c.PublishVersion(ctx, in)
		return err
	})
	if err != nil {
		var pf *types.PreconditionFailedException
		if errors.As(err, &pf) {
			return Function{}, fmt.Errorf("publish function %s: $LATEST changed after it was checked; run again to promote the new code: %w", f.Name, err)
		}
		return Function{}, fmt.Errorf("publish function %s: %w", f.Name, err)
	}
	// PublishVersion answers with the version's configuration, in a type
	// of its own with the same fields.
	conf := lambda.GetFunctionConfigurationOutput(*out)
	return functionFrom(configuration(&conf)), nil
}

func deadLetter(d *types.DeadLetterConfig) string {
	if d == nil {
		return ""
	}
	return aws.ToString(d.TargetArn)
}

// State is an alias as Lambda has it.
type State struct {
	Name        string
	ARN         string
	Version     string                     // primary version
	Weights     map[string]percent.Percent // additional versions and their share
	RevisionID  string
	Description string
}

// Split reports whether traffic is shared between two versions.
func (s State) Split() (version string, weight percent.Percent, ok bool) {
	for v, w := range s.Weights {
		if w > 0 {
			return v, w, true
		}
	}
	return "", 0, false
}

// Same reports whether two readings show the same routing: same primary
// version, same weights. Revision IDs are not compared: a change of the
// description alone is not someone else's routing, and some emulators never
// change them.
func (s State) Same(o State) bool {
	if s.Version != o.Version {
		return false
	}
	return maps.EqualFunc(nonZero(s.Weights), nonZero(o.Weights), func(a, b percent.Percent) bool {
		return a.Number() == b.Number()
	})
}

func nonZero(m map[string]percent.Percent) map[string]percent.Percent {
	out := map[string]percent.Percent{}
	for k, v := range m {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// String says where the alias points, for logs and messages:
// "4", "3 with 10% on 4".
func (s State) String() string {
	if v, w, ok := s.Split(); ok {
		return fmt.Sprintf("%s with %s on %s", s.Version, w, v)
	}
	return s.Version
}

func stateFrom(arn, name, version, rev, desc *string, rc *types.AliasRoutingConfiguration) State {
	s := State{
		Name:        aws.ToString(name),
		ARN:         aws.ToString(arn),
		Version:     aws.ToString(version),
		RevisionID:  aws.ToString(rev),
		Description: aws.ToString(desc),
		Weights:     map[string]percent.Percent{},
	}
	if rc != nil {
		// Lambda's routing weights are fractions, 0–1.
		for v, w := range rc.AdditionalVersionWeights {
			s.Weights[v] = percent.FromFraction(w)
		}
	}
	return s
}

// Get reads an alias. A missing alias is returned as ok=false with no error.
func Get(ctx context.Context, c API, function, name string) (State, bool, error) {
	out, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(name)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return State{}, false, nil
		}
		return State{}, false, fmt.Errorf("read alias %s of function %s: %w", name, function, err)
	}
	return stateFrom(out.AliasArn, out.Name, out.FunctionVersion, out.RevisionId, out.Description, out.RoutingConfig), true, nil
}

// Create creates an alias on version with no weights. Lambda answers 409
// both when the alias exists and while the function is being updated; the
// caller reads the alias to tell them apart (see IsConflict).
func Create(ctx context.Context, c API, function, name, version, description string) (State, error) {
	out, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName:    aws.String(function),
		Name:            aws.String(name),
		FunctionVersion: aws.String(version),
		Description:     aws.String(description),
	})
	if err != nil {
		return State{}, fmt.Errorf("create alias %s on version %s: %w", name, version, err)
	}
	return stateFrom(out.AliasArn, out.Name, out.FunctionVersion, out.RevisionId, out.Description, out.RoutingConfig), nil
}

// ErrMoved means the alias changed since it was last read: someone else moved
// it. Lambda reports it as PreconditionFailedException on the revision ID.
var ErrMoved = errors.New("the alias was changed by someone else since it was read")

// Route is where an alias should send traffic.
type Route struct {
	Version string          // primary version
	Extra   string          // additional version, "" for none
	Weight  percent.Percent // share of Extra
}

// Move points the alias at r, on the condition that it is still at the
// revision `from` was read at. Weights are always written, so moving to a
// route with no Extra clears any earlier split. While Lambda answers that
// an update is in progress (the move was not made, so the revision still
// holds), it tries again within p.Max.
func Move(ctx context.Context, c API, function string, from State, r Route, description string, p Patience) (State, error) {
	weights := map[string]float64{} // Lambda takes fractions, 0–1
	if r.Extra != "" && r.Weight > 0 {
		weights[r.Extra] = r.Weight.Fraction()
	}
	in := &lambda.UpdateAliasInput{
		FunctionName:    aws.String(function),
		Name:            aws.String(from.Name),
		FunctionVersion: aws.String(r.Version),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights},
		Description:     aws.String(description),
	}
	if from.RevisionID != "" {
		in.RevisionId = aws.String(from.RevisionID)
	}
	var out *lambda.UpdateAliasOutput
	err := p.whileConflict(ctx, nil, func(ctx context.Context) error {
		var err error
		out, err = c.UpdateAlias(ctx, in)
		return err
	})
	if err != nil {
		var pf *types.PreconditionFailedException
		if errors.As(err, &pf) {
			return from, fmt.Errorf("move alias %s: %w", from.Name, errors.Join(ErrMoved, err))
		}
		return from, fmt.Errorf("move alias %s to %s: %w", from.Name, r, err)
	}
	return stateFrom(out.AliasArn, out.Name, out.FunctionVersion, out.RevisionId, out.Description, out.RoutingConfig), nil
}

// String says where the route sends traffic.
func (r Route) String() string {
	if r.Extra != "" && r.Weight > 0 {
		return fmt.Sprintf("%s with %s on %s", r.Version, r.Weight, r.Extra)
	}
	return r.Version
}

// WeightedRules checks Lambda's rules for an alias that splits traffic between
// stable and next: both published, same execution role, same dead-letter
// target. It returns one error per broken rule.
func WeightedRules(stable, next Function) error {
	var errs []error
	for _, f := range []Function{stable, next} {
		if f.Version == Latest || f.Version == "" {
			errs = append(errs, fmt.Errorf("weighted routing needs published versions, and one side is $LATEST; promote a published version (version: publish)"))
			break
		}
	}
	if stable.Role != next.Role {
		// The role of a published version cannot change: $LATEST takes the
		// stable one's, and a version published from it shares traffic.
		// https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html
		same := fix.AWS("lambda", "update-function-configuration", "--function-name", next.Name, "--role", stable.Role)
		errs = append(errs, fix.Errorf(fmt.Sprintf("give $LATEST the execution role of version %s and promote it (version: publish), or promote all at once (strategy: all-at-once) to change the role:", stable.Version), same,
			"weighted routing needs the same execution role on both versions: version %s has %s, version %s has %s; promote all at once (strategy: all-at-once) or give both the same role", stable.Version, stable.Role, next.Version, next.Role))
	}
	if stable.DeadLetter != next.DeadLetter {
		errs = append(errs, fmt.Errorf("weighted routing needs the same dead-letter queue on both versions: version %s has %q, version %s has %q; promote all at once (strategy: all-at-once) or give both the same dead-letter config", stable.Version, stable.DeadLetter, next.Version, next.DeadLetter))
	}
	return errors.Join(errs...)
}
