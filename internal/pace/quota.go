package pace

// Quota is one of Lambda's request quotas per account and Region, as the
// quotas page lists them under "Lambda API requests"
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests):
//
//   - GetFunction API requests: 100 requests per second, cannot be
//     increased;
//   - GetPolicy API requests: 15 requests per second, cannot be increased;
//   - the remainder of the control plane API requests (every operation but
//     the invocations, GetFunction and GetPolicy): 15 requests per second
//     across all of those APIs, not 15 per API, cannot be increased.
//
// A request past its quota is answered 429 TooManyRequestsException with
// Reason CallerRateLimitExceeded
// (https://docs.aws.amazon.com/lambda/latest/api/API_TooManyRequestsException.html).
// Invocations (Invoke, InvokeAsync, InvokeWithResponseStream) count in none
// of these: concurrency limits them.
type Quota int

const (
	// ControlPlane is the quota the control-plane operations share: every
	// Lambda operation but GetFunction, GetPolicy and the invocations.
	ControlPlane Quota = iota
	// GetFunction is GetFunction's own quota.
	GetFunction
	// GetPolicy is GetPolicy's own quota.
	GetPolicy

	numQuotas
)

// Quotas are the quotas the pacer keeps a bucket for, in order.
var Quotas = []Quota{ControlPlane, GetFunction, GetPolicy}

var quotas = [numQuotas]struct {
	name      string
	perSecond float64
}{
	ControlPlane: {"control plane", 15},
	GetFunction:  {"GetFunction", 100},
	GetPolicy:    {"GetPolicy", 15},
}

// String is the quota's name: "control plane", "GetFunction", "GetPolicy".
func (q Quota) String() string { return quotas[q].name }

// PerSecond is the quota: the requests per second AWS allows per account
// and Region.
func (q Quota) PerSecond() float64 { return quotas[q].perSecond }

// invocations are Lambda's data-plane operations, outside every request
// quota.
var invocations = map[string]bool{"Invoke": true, "InvokeAsync": true, "InvokeWithResponseStream": true}

// Of is the quota AWS counts Lambda operation op in, by the operation's
// name as the SDK and the API reference spell it ("GetFunction",
// "UpdateAlias"). ok is false for an invocation, which counts in none. Any
// other name, one this package has never heard of included, is in the
// control plane's shared quota: that is where AWS counts every operation
// without a quota of its own.
func Of(op string) (q Quota, ok bool) {
	switch {
	case invocations[op]:
		return 0, false
	case op == "GetFunction":
		return GetFunction, true
	case op == "GetPolicy":
		return GetPolicy, true
	}
	return ControlPlane, true
}
