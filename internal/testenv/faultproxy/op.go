package faultproxy

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Op is the AWS operation a request calls.
type Op struct {
	// Service is lambda, apigateway, apigatewayv2, cloudwatch, sts, iam, the
	// SigV4 signing name of another service, or unknown.
	Service string
	// Name is the operation as the SDK names it (UpdateAlias,
	// DescribeAlarms), or unknown.
	Name string
	// Changing is true for an operation that changes what AWS stores
	// (PublishVersion, UpdateAlias, PutMetricData, an API Gateway PUT) and
	// false for one that reads or runs something (GetAlias, Invoke,
	// DescribeAlarms, GetMetricData).
	Changing bool
}

// String is service.Name, e.g. lambda.UpdateAlias.
func (o Op) String() string { return o.Service + "." + o.Name }

// unknown names a service or an operation the proxy does not recognize.
const unknown = "unknown"

// protocol is how a request is framed, which decides how a fault answers it.
type protocol int

const (
	restJSON  protocol = iota // Lambda, API Gateway: the path names the operation
	awsJSON                   // X-Amz-Target names the operation
	rpcv2CBOR                 // /service/S/operation/O
	awsQuery                  // Action=O in a form body or the query
)

// The services whose names differ from their X-Amz-Target prefix or their
// SigV4 signing name.
var serviceNames = map[string]string{
	"GraniteServiceVersion20100801": "cloudwatch",
	"monitoring":                    "cloudwatch",
}

// classify names the operation of r, whose body has been read into body.
func classify(r *http.Request, body []byte) (Op, protocol) {
	scope := credentialScope(r.Header.Get("Authorization"))

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, name := target, unknown
		if i := strings.LastIndexByte(target, '.'); i >= 0 && i < len(target)-1 {
			prefix, name = target[:i], target[i+1:]
		}
		return Op{Service: service(prefix, scope.service), Name: name, Changing: changingName(name)}, awsJSON
	}

	if svc, name, ok := rpcv2Path(r.URL.Path); ok {
		return Op{Service: service(svc, scope.service), Name: name, Changing: changingName(name)}, rpcv2CBOR
	}

	if action := queryAction(r, body); action != "" {
		svc := service("", scope.service)
		if svc == unknown && unsignedSTS[action] {
			svc = "sts"
		}
		return Op{Service: svc, Name: action, Changing: changingName(action)}, awsQuery
	}

	segs := splitPath(r.URL.EscapedPath())
	query := r.URL.Query()
	var tables []restService
	switch scope.service {
	case "lambda":
		tables = restServices[:1]
	case "apigateway":
		tables = restServices[1:]
	case "":
		tables = restServices
	}
	for _, t := range tables {
		if name, ok := t.routes.match(r.Method, segs, query); ok {
			changing := !readMethod(r.Method) && !runs[name]
			return Op{Service: t.name, Name: name, Changing: changing}, restJSON
		}
	}
	svc := service("", scope.service)
	if svc == "apigateway" && len(segs) > 0 && segs[0] == "v2" {
		svc = "apigatewayv2"
	}
	return Op{Service: svc, Name: unknown, Changing: !readMethod(r.Method)}, restJSON
}

// service names a service from an X-Amz-Target prefix or the signing name of
// a request, whichever is known.
func service(prefix, signingName string) string {
	for _, s := range []string{prefix, signingName} {
		if s == "" {
			continue
		}
		if name, ok := serviceNames[s]; ok {
			return name
		}
	}
	if signingName != "" {
		return signingName
	}
	if prefix != "" {
		return strings.ToLower(prefix)
	}
	return unknown
}

// scope is what the proxy uses of a SigV4 credential scope.
type scope struct {
	region, service string
}

// credentialScope reads region and service from an Authorization header
// such as "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/lambda/aws4_request, ...".
func credentialScope(auth string) scope {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return scope{}
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 5 {
		return scope{}
	}
	n := len(parts)
	return scope{region: parts[n-3], service: parts[n-2]}
}

// rpcv2Path reads /service/SERVICE/operation/OPERATION, the path of Smithy
// RPCv2 CBOR.
func rpcv2Path(path string) (svc, name string, ok bool) {
	segs := splitPath(path)
	if len(segs) != 4 || segs[0] != "service" || segs[2] != "operation" || segs[1] == "" || segs[3] == "" {
		return "", "", false
	}
	return segs[1], segs[3], true
}

// queryAction is the Action of an AWS query protocol request: a form posted
// in the body, or the query of a GET.
func queryAction(r *http.Request, body []byte) string {
	if r.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return ""
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		return form.Get("Action")
	}
	if r.Method == http.MethodGet {
		return r.URL.Query().Get("Action")
	}
	return ""
}

// unsignedSTS are the STS operations a client calls without signing, so
// without a credential scope to name the service: the caller has no AWS
// credentials yet.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
var unsignedSTS = map[string]bool{"AssumeRoleWithWebIdentity": true, "AssumeRoleWithSAML": true}

func readMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// runs names the REST operations sent with POST that run code or a test
// rather than change what AWS stores.
var runs = map[string]bool{
	"Invoke":                   true,
	"InvokeAsync":              true,
	"InvokeWithResponseStream": true,
	"TestInvokeMethod":         true,
	"TestInvokeAuthorizer":     true,
}

// readPrefixes begin the names of the operations of JSON and query protocol
// services that change nothing.
var readPrefixes = []string{"Get", "Describe", "List", "Invoke", "Test", "Assume", "Validate", "Decode", "Lookup", "Search"}

// changingName says whether the JSON or query protocol operation name
// changes what AWS stores, judged by the verb it starts with.
func changingName(name string) bool {
	if name == unknown {
		return false
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// splitPath splits an escaped path into its segments, dropping the leading
// and a trailing slash; "/" has none.
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// route is one REST operation: method, URI pattern with {labels} and an
// optional query literal, and name.
type route struct {
	method, uri, name string
}

// compiledRoute is a route split for matching.
type compiledRoute struct {
	method string
	segs   []string // a segment "" is a label
	query  url.Values
	name   string
}

type routes []compiledRoute

func compile(rs []route) routes {
	out := make(routes, 0, len(rs))
	for _, r := range rs {
		path, rawQuery, _ := strings.Cut(r.uri, "?")
		c := compiledRoute{method: r.method, name: r.name}
		for _, s := range splitPath(path) {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				s = ""
			}
			c.segs = append(c.segs, s)
		}
		if rawQuery != "" {
			q, err := url.ParseQuery(rawQuery)
			if err != nil {
				panic("faultproxy: bad route " + r.uri)
			}
			c.query = q
		}
		out = append(out, c)
	}
	return out
}

// match finds the route of a request. Of the routes that match, one that
// asks for a query literal wins over one that does not.
func (rs routes) match(method string, segs []string, query url.Values) (string, bool) {
	best, found := compiledRoute{}, false
	for _, r := range rs {
		if r.method != method || len(r.segs) != len(segs) || !r.matchSegs(segs) || !r.matchQuery(query) {
			continue
		}
		if !found || len(r.query) > len(best.query) {
			best, found = r, true
		}
	}
	return best.name, found
}

func (r compiledRoute) matchSegs(segs []string) bool {
	for i, s := range r.segs {
		if s == "" {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if s != segs[i] {
			return false
		}
	}
	return true
}

func (r compiledRoute) matchQuery(query url.Values) bool {
	for k, vs := range r.query {
		for _, v := range vs {
			if query.Get(k) != v {
				return false
			}
		}
	}
	return true
}

// label is the decoded path segment of a request that stands where the
// route of op has the label at index i, or "".
func label(segs []string, i int) string {
	if i < 0 || i >= len(segs) {
		return ""
	}
	s, err := url.PathUnescape(segs[i])
	if err != nil {
		return segs[i]
	}
	return s
}

// restService is the route table of one REST service.
type restService struct {
	name   string
	routes routes
}

var restServices = []restService{
	{"lambda", lambdaRoutes},
	{"apigateway", apigatewayRoutes},
	{"apigatewayv2", apigatewayv2Routes},
}
