package faultproxy

import (
	"net/http"
	"slices"
	"time"
)

// Realism makes the proxy behave as AWS does where moto does not: CloudWatch
// datapoints that arrive late, new versions that stay Pending for a while,
// functions busy with an update, session credentials that expire, and
// Lambda's control-plane quota. Each behaviour is off at its zero value and
// independent of the others; DefaultRealism turns all of them on, scaled
// down for tests. Set it with Proxy.SetRealism and read what it did with
// Proxy.RealismStats.
//
// Realism answers come before the faults of Inject: AWS authenticates,
// throttles and checks the function's state before anything a test injects
// can happen. A request realism answers is not passed on to moto, and its
// Record says why in Record.Realism.
type Realism struct {
	// MetricDelay holds every CloudWatch PutMetricData that comes through
	// the proxy this long before passing it on to moto, while the client is
	// answered with success at once: GetMetricData sees a datapoint only
	// after the delay, under its own timestamp. Lambda publishes its metrics
	// in 1-minute periods, and they reach CloudWatch late. 0 passes them on
	// at once.
	MetricDelay time.Duration

	// PendingReads and PendingFor keep a version that PublishVersion
	// creates through the proxy in State Pending (StateReasonCode
	// Creating), as Lambda does while SnapStart takes the snapshot: the
	// PublishVersion answer and the next PendingReads reads of that version
	// (GetFunctionConfiguration or GetFunction with the version as
	// qualifier) say Pending, and so does every read until PendingFor has
	// passed, whichever ends first; 0 leaves a limit out, both 0 turn it
	// off. While Pending, Invoke of the version answers 409
	// ResourceConflictException, and an UpdateAlias or CreateAlias that
	// gives it traffic is passed on but recorded as a Violation.
	PendingReads int
	PendingFor   time.Duration

	// UpdateReads and UpdateFor keep a function's $LATEST in
	// LastUpdateStatus InProgress after UpdateFunctionCode or
	// UpdateFunctionConfiguration through the proxy (or Proxy.BeginUpdate):
	// the update's answer and the next UpdateReads reads of $LATEST say
	// InProgress, and so does every read until UpdateFor has passed,
	// whichever ends first; both 0 turn it off. Meanwhile the operations of
	// UpdateBlocks answer 409 ResourceConflictException "An update is in
	// progress for resource".
	UpdateReads int
	UpdateFor   time.Duration
	// UpdateBlocks names the Lambda operations that fail during an update;
	// nil means those the Lambda documentation lists: UpdateFunctionCode,
	// UpdateFunctionConfiguration, PublishVersion and TagResource.
	UpdateBlocks []string

	// SessionTTL rewrites the Expiration of the credentials that STS
	// AssumeRoleWithWebIdentity and AssumeRole issue through the proxy to
	// this long from now, and answers requests signed with them after that
	// with ExpiredTokenException. 0 leaves moto's Expiration (an hour) and
	// does not enforce it. Proxy.ExpireKey sets a deadline on any other
	// key.
	SessionTTL time.Duration
	// WebIdentityAudience, when set, answers AssumeRoleWithWebIdentity with
	// 400 InvalidIdentityToken when the token's aud claim is not this, and
	// with 400 ExpiredTokenException when its exp has passed, as STS does
	// for an IAM OIDC provider whose client ID is this audience. moto
	// checks neither.
	WebIdentityAudience string

	// ControlPlaneRate, GetFunctionRate and GetPolicyRate are Lambda's
	// request quotas per second, per account and Region, each counted on
	// its own: one for GetFunction, one for GetPolicy, and one shared by
	// every other Lambda operation but the invocations (Invoke,
	// InvokeAsync, InvokeWithResponseStream), which count in none
	// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests).
	// A request past its quota in a second answers 429
	// TooManyRequestsException with Reason CallerRateLimitExceeded, and a
	// full quota leaves the others' requests alone. The second is the
	// clock's: AWS does not document how it cuts it. 0 does not limit that
	// group; requests are counted either way.
	ControlPlaneRate int
	GetFunctionRate  int
	GetPolicyRate    int

	// Revisions gives every alias a revision ID that changes with each
	// change of the alias, and answers an UpdateAlias with a stale
	// RevisionId 412 PreconditionFailedException, as Lambda does; moto
	// keeps one revision ID for ever and ignores the one sent. See
	// realism_revision.go.
	Revisions bool

	// ProvisionedConcurrency keeps the provisioned concurrency of aliases
	// and versions as Lambda does; moto does not implement it and answers
	// an HTML 404. See realism_provisioned.go.
	ProvisionedConcurrency bool
	// AllocationReads and AllocationFor are how long an allocation of
	// provisioned concurrency stays IN_PROGRESS: that many reads of it, or
	// that long, whichever ends first; both 0 settle it at its first read.
	AllocationReads int
	AllocationFor   time.Duration

	// APIGatewayUpdates carries out, as API Gateway does, the updates that
	// moto does not implement: a REST API's UpdateIntegration, and an HTTP
	// API's UpdateStage and CreateDeployment. See realism_apigw.go.
	APIGatewayUpdates bool

	// ResourcePolicies keeps the resource policies PutResourcePolicy puts
	// on a function, version or alias, which may hold a Deny; moto
	// implements neither. See realism_policy.go.
	ResourcePolicies bool

	// PolicyPerQualifier answers GetPolicy with the statements of the
	// qualifier asked for (the unqualified function's without one), and
	// 404 ResourceNotFoundException when it has none, as Lambda keeps one
	// policy per function, version and alias; moto answers every
	// statement of the function. With it RemovePermission of a statement
	// that is not the qualifier's answers 404 too, where moto would remove
	// it from its one policy. MappingQualifiers keeps the alias ARN as
	// the FunctionArn of an event source mapping made or pointed at an
	// alias through the proxy; moto answers the ARN of the version the
	// alias pointed to. URLPerQualifier keeps the function URLs of aliases
	// (Create, Get, Update and Delete with an alias Qualifier) and lists
	// them with the function's (ListFunctionUrlConfigs, which moto does not
	// implement); moto keeps one per function and ignores the Qualifier.
	// See realism_callers.go.
	PolicyPerQualifier bool
	MappingQualifiers  bool
	URLPerQualifier    bool

	// Percentiles keeps the raw values of the metrics that PutMetricData
	// passes on (AWS JSON), hands moto a statistic set of each Values
	// array, and answers the percentile queries of GetMetricData (Stat
	// pNN.NN) from the raw values, as CloudWatch does; moto answers such
	// a query with a 500. Every proxy in front of the same upstream shares
	// the raw values. See realism_percentile.go.
	Percentiles bool
}

// DefaultRealism is every behaviour on, with the quotas AWS documents and
// the delays scaled down from minutes to seconds, as test intervals are.
func DefaultRealism() Realism {
	return Realism{
		MetricDelay:         2 * time.Second,
		PendingReads:        2,
		PendingFor:          3 * time.Second,
		UpdateReads:         2,
		UpdateFor:           3 * time.Second,
		SessionTTL:          20 * time.Second,
		WebIdentityAudience: "sts.amazonaws.com",
		ControlPlaneRate:    15,
		GetFunctionRate:     100,
		GetPolicyRate:       15,
		Revisions:           true,

		ProvisionedConcurrency: true,
		AllocationReads:        1,
		APIGatewayUpdates:      true,
		ResourcePolicies:       true,
		PolicyPerQualifier:     true,
		MappingQualifiers:      true,
		URLPerQualifier:        true,
		Percentiles:            true,
	}
}

// RealismStats is what the realism layer did since the proxy started.
type RealismStats struct {
	// Throttled counts the 429 answers of the Lambda quota.
	Throttled int
	// Seconds counts the Lambda requests of each second that had some, in
	// order, and BusiestSecond is the one with the most control-plane
	// requests (the group of ControlPlaneRate).
	Seconds       []SecondCount
	BusiestSecond SecondCount

	// PendingInvokes counts the Invokes answered 409 because the version
	// was Pending; Violations lists the alias changes that gave a Pending
	// version traffic.
	PendingInvokes int
	Violations     []Violation

	// StaleRevisions counts the UpdateAlias calls answered 412 for a
	// RevisionId that was not the alias's latest.
	StaleRevisions int

	// UpdateConflicts counts the 409 "An update is in progress" answers,
	// of an update window and of ConflictNext.
	UpdateConflicts int

	// Expired counts the requests answered ExpiredToken; Issued lists the
	// credentials STS issued through the proxy, with the expiry enforced;
	// WebIdentityRejected counts the AssumeRoleWithWebIdentity calls
	// refused for their token.
	Expired             int
	Issued              []Issued
	WebIdentityRejected int

	// MetricsHeld counts the PutMetricData requests held back, and
	// MetricsDelivered those of them passed on to moto since.
	MetricsHeld, MetricsDelivered int
}

// SecondCount is the Lambda requests that arrived in one second, by quota,
// in one account (its ID; "" for moto's default account) and Region.
type SecondCount struct {
	Start        time.Time
	Account      string
	Region       string
	ControlPlane int // every operation but Invoke, GetFunction and GetPolicy
	GetFunction  int
	GetPolicy    int
	Throttled    int // of those, answered 429
}

// Violation is an alias change that gave traffic to a Pending version:
// Lambda would fail the invocations routed to it.
type Violation struct {
	At       time.Time
	Op       string // UpdateAlias or CreateAlias
	Function string
	Alias    string
	Version  string
	Weight   float64 // the share of the alias's traffic it got, 0–1
}

// Issued is one set of credentials STS issued through the proxy.
type Issued struct {
	AccessKeyID string
	Op          string // AssumeRoleWithWebIdentity or AssumeRole
	RoleARN     string
	Expires     time.Time // as rewritten; zero when SessionTTL is 0
}

// realism is the state of the realism layer, guarded by Proxy.mu.
type realism struct {
	cfg          Realism
	pending      map[string]*window            // function name + ":" + version
	updating     map[string]*window            // function name
	conflictNext map[string]int                // operation → calls left
	provisioned  map[string]*provisionedConfig // function name + ":" + qualifier
	failed       map[string]failure            // function name
	failing      map[string][]failingCode      // function name
	policies     map[string]*policyDoc         // function name + ":" + qualifier
	keys         map[string]time.Time
	seconds      map[secondKey]*secondState
	stats        RealismStats
	// mappings is the alias ARN of each event source mapping (by UUID)
	// made or pointed at an alias through the proxy; urls the function
	// URLs of aliases, by function:alias.
	mappings map[string]string
	urls     map[string]*urlConfig
}

func newRealism() *realism {
	return &realism{
		pending:      map[string]*window{},
		updating:     map[string]*window{},
		conflictNext: map[string]int{},
		provisioned:  map[string]*provisionedConfig{},
		failed:       map[string]failure{},
		failing:      map[string][]failingCode{},
		policies:     map[string]*policyDoc{},
		keys:         map[string]time.Time{},
		seconds:      map[secondKey]*secondState{},
		mappings:     map[string]string{},
		urls:         map[string]*urlConfig{},
	}
}

// window is a state that ends after a number of reads or at a time,
// whichever comes first.
type window struct {
	reads, readsLeft int
	until            time.Time // zero: no time limit
}

// newWindow opens a window, or returns nil when both limits are 0.
func newWindow(reads int, d time.Duration, now time.Time) *window {
	if reads <= 0 && d <= 0 {
		return nil
	}
	w := &window{reads: reads, readsLeft: reads}
	if d > 0 {
		w.until = now.Add(d)
	}
	return w
}

// over reports whether the window has ended.
func (w *window) over(now time.Time) bool {
	if w == nil {
		return true
	}
	if w.reads > 0 && w.readsLeft <= 0 {
		return true
	}
	return !w.until.IsZero() && !now.Before(w.until)
}

// read counts a read of the state and reports whether it is still in the
// window.
func (w *window) read(now time.Time) bool {
	if w.over(now) {
		return false
	}
	w.readsLeft--
	return true
}

// SetRealism turns the realism layer's behaviours on or off as r says. The
// state it keeps (versions Pending, updates in progress, keys and their
// deadlines, counts) stays.
func (p *Proxy) SetRealism(r Realism) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.real.cfg = r
	p.real.cfg.UpdateBlocks = slices.Clone(r.UpdateBlocks)
}

// ExpireKey makes requests signed with access key id accessKeyID answered
// as AWS answers expired session credentials from at on: 403
// ExpiredTokenException.
func (p *Proxy) ExpireKey(accessKeyID string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.real.keys[accessKeyID] = at
}

// ConflictNext makes the next k calls of Lambda operation op (such as
// PublishVersion or UpdateAlias) answer 409 ResourceConflictException "An
// update is in progress", whatever the function's state.
func (p *Proxy) ConflictNext(op string, k int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.real.conflictNext[op] += k
}

// BeginUpdate puts function fn (its name) in an update in progress, as
// UpdateFunctionCode through the proxy would: for code a test uploaded
// straight to moto, as a workflow step does before the action runs. It
// ends a state FailFunction or FailUpdate set; the update in progress
// itself is left out when UpdateReads and UpdateFor are both 0.
func (p *Proxy) BeginUpdate(fn string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.real.failed, fn) // an update replaces a failed state
	if w := newWindow(p.real.cfg.UpdateReads, p.real.cfg.UpdateFor, time.Now()); w != nil {
		p.real.updating[fn] = w
	}
}

// RealismStats is a copy of what the realism layer did.
func (p *Proxy) RealismStats() RealismStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.real.stats
	s.Violations = slices.Clone(s.Violations)
	s.Issued = slices.Clone(s.Issued)
	s.Seconds = make([]SecondCount, 0, len(p.real.seconds))
	for _, c := range p.real.seconds {
		s.Seconds = append(s.Seconds, c.SecondCount)
	}
	slices.SortFunc(s.Seconds, func(a, b SecondCount) int { return a.Start.Compare(b.Start) })
	for _, c := range s.Seconds {
		if c.ControlPlane > s.BusiestSecond.ControlPlane {
			s.BusiestSecond = c
		}
	}
	return s
}

// realAnswer is how the realism layer answers a request in place of moto.
type realAnswer struct {
	name string   // Record.Realism
	err  apiError // the error to answer with
}

// before decides, as a request arrives, whether AWS would refuse it: expired
// credentials, a quota, an update in progress, a Pending version. It
// returns nil to let the request go on.
func (p *Proxy) realismBefore(r *http.Request, op Op, body []byte, now time.Time) *realAnswer {
	p.mu.Lock()
	defer p.mu.Unlock()
	rl := p.real
	if a := rl.expired(r, now); a != nil {
		return a
	}
	if op.Service == "sts" && op.Name == "AssumeRoleWithWebIdentity" && rl.cfg.WebIdentityAudience != "" {
		if a := rl.checkWebIdentity(body, now); a != nil {
			return a
		}
	}
	if op.Service != "lambda" {
		return nil
	}
	if a := rl.quota(r, op, now); a != nil {
		return a
	}
	if a := rl.updateConflict(r, op, now); a != nil {
		return a
	}
	return rl.pendingInvoke(r, op, now)
}

// realismAfter rewrites moto's answer body to a request that moto carried
// out, where AWS would report another state, and returns it with what it
// did for Record.Realism.
func (p *Proxy) realismAfter(r *http.Request, op Op, reqBody []byte, status int, respBody []byte, pre prepared, now time.Time) ([]byte, string) {
	if status/100 != 2 {
		return respBody, ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch op.Service {
	case "lambda":
		return p.real.lambdaAfter(r, op, reqBody, respBody, pre, now)
	case "sts":
		return p.real.stsAfter(op, reqBody, respBody, now)
	}
	return respBody, ""
}
