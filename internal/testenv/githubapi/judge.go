package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Judge holds GitHub's description and says whether a request, and the
// response to it, is one GitHub's REST API describes.
//
// It checks with kin-openapi's openapi3filter: the operation found by method
// and path, path and query parameters (types, enums), the request body
// (required members, types, enums, lengths), and the response's status,
// headers and body against the schema of that status. It is stricter than
// the description in three ways, each for a mistake that GitHub would pass
// over in silence: a query parameter the operation does not declare, and a
// request body member its schema does not declare, are refused (GitHub
// ignores both, so a misspelt one is lost); a success status the operation
// does not declare is refused (GitHub does not answer one). Error statuses
// the operation does not list (401, 403, 429, 500: GitHub may answer them to
// any request) are checked against the description's basic-error. Values
// in "uri" format must be absolute URIs, and "date-time" ones RFC 3339.
type Judge struct {
	doc        *openapi3.T
	router     routers.Router
	basicError *openapi3.SchemaRef
	schemaOpts []openapi3.SchemaValidationOption
}

// Load reads the description at path (the api.github.com.json of
// @octokit/openapi) and makes its judge. It refuses a description of
// another release than Version.
func Load(path string) (*Judge, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if doc.Info == nil || doc.Info.Version != Version {
		got := "none"
		if doc.Info != nil {
			got = doc.Info.Version
		}
		return nil, fmt.Errorf("%s is release %s of @octokit/openapi, want %s: %s", path, got, Version, installHint)
	}
	// The description is not run through doc.Validate: GitHub's own
	// fails it (examples that do not match their schemas, paths that
	// conflict), which says nothing about the operations judged here.
	//
	// Its one server is https://api.github.com; the fake lives elsewhere
	// (and under a prefix, stripped before routing), so route on the path
	// alone.
	doc.Servers = nil
	closeRequestBodies(doc)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", path, err)
	}
	basic := doc.Components.Schemas["basic-error"]
	if basic == nil {
		return nil, fmt.Errorf("%s has no basic-error schema", path)
	}
	return &Judge{
		doc:        doc,
		router:     router,
		basicError: basic,
		schemaOpts: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(absoluteURI)),
		},
	}, nil
}

// absoluteURI is the "uri" format of JSON Schema: an absolute URI (RFC 3986
// section 4.3), which an empty string or a path is not.
func absoluteURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URI: %w", err)
	}
	if !u.IsAbs() || (u.Host == "" && u.Opaque == "") {
		return errors.New("not an absolute URI")
	}
	return nil
}

// closeRequestBodies makes each operation's JSON request body refuse
// members it does not declare, where the body is a plain object schema of
// its own (not one shared with responses through a $ref).
func closeRequestBodies(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Ref != "" || mt.Schema.Value == nil {
				continue
			}
			s := mt.Schema.Value
			if !s.Type.Is("object") || len(s.Properties) == 0 || s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil ||
				len(s.OneOf)+len(s.AnyOf)+len(s.AllOf) > 0 {
				continue
			}
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
	}
}

// Mismatch is a request or a response that GitHub's description does not
// allow.
type Mismatch struct {
	Operation string // the operationId, e.g. issues/create-comment; "" when no operation matched
	Method    string
	Path      string // the API path, without the fake's prefix
	Where     string // "request", or "response 201"
	Problems  []string
}

func (m *Mismatch) Error() string {
	op := m.Operation
	if op == "" {
		op = "no operation"
	}
	return fmt.Sprintf("GitHub's REST API description (@octokit/openapi %s) refuses the %s of %s %s (%s): %s",
		Version, m.Where, m.Method, m.Path, op, strings.Join(m.Problems, "; "))
}

// Exchange is a request the judge found an operation for; its response is
// judged against that operation.
type Exchange struct {
	Operation string
	j         *Judge
	in        *openapi3filter.RequestValidationInput
}

// Request judges r, whose URL path is the API path (without the fake's
// prefix) and whose body is body. It returns the exchange to judge the
// response with, and a *Mismatch when r is not what the description
// allows; the exchange is nil only when no operation matched.
func (j *Judge) Request(r *http.Request, body []byte) (*Exchange, error) {
	mm := &Mismatch{Method: r.Method, Path: r.URL.Path, Where: "request"}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := j.router.FindRoute(r)
	if err != nil {
		mm.Problems = []string{"no operation of the description has this method and path (" + err.Error() + ")"}
		return nil, mm
	}
	mm.Operation = route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			SkipSettingDefaults:     true,
			SchemaValidationOptions: j.schemaOpts,
			// The description declares no security scheme, so this is
			// never asked; the server checks the Authorization header.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	x := &Exchange{Operation: mm.Operation, j: j, in: in}
	mm.Problems = undeclaredQuery(route, r.URL.Query())
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		mm.Problems = append(mm.Problems, problems(err)...)
	}
	if len(mm.Problems) > 0 {
		return x, mm
	}
	return x, nil
}

// undeclaredQuery lists the query parameters the operation does not declare.
func undeclaredQuery(route *routers.Route, q url.Values) []string {
	declared := map[string]bool{}
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				declared[p.Value.Name] = true
			}
		}
	}
	var out []string
	for name := range q {
		if !declared[name] {
			out = append(out, fmt.Sprintf("query parameter %q: the operation declares no such parameter", name))
		}
	}
	slices.Sort(out)
	return out
}

// Response judges the answer to the exchange's request.
func (x *Exchange) Response(status int, h http.Header, body []byte) error {
	in := x.in
	mm := &Mismatch{Operation: x.Operation, Method: in.Request.Method, Path: in.Request.URL.Path, Where: "response " + strconv.Itoa(status)}
	op := in.Route.Operation
	if op.Responses.Status(status) == nil && op.Responses.Default() == nil {
		if status < 400 {
			mm.Problems = []string{"the operation describes no such status"}
			return mm
		}
		// An error the operation does not list: GitHub's general shape.
		mm.Problems = x.genericError(h, body)
		if len(mm.Problems) > 0 {
			return mm
		}
		return nil
	}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 h,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{MultiError: true, SchemaValidationOptions: x.j.schemaOpts},
	})
	if err != nil {
		mm.Problems = problems(err)
		return mm
	}
	return nil
}

// genericError checks an error answer against the description's
// basic-error.
func (x *Exchange) genericError(h http.Header, body []byte) []string {
	ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		return []string{fmt.Sprintf("Content-Type %q: GitHub answers errors as application/json", h.Get("Content-Type"))}
	}
	v, err := decodeJSON(body)
	if err != nil {
		return []string{"body: " + err.Error()}
	}
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, x.j.schemaOpts...)
	if err := x.j.basicError.Value.VisitJSON(v, opts...); err != nil {
		return problems(err)
	}
	return nil
}

func decodeJSON(body []byte) (any, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return v, nil
}

// problems flattens a validation error into one line per problem, each
// naming the parameter, header or body field. It looks at each error's own
// type, not with errors.As, which would see through a RequestError to the
// MultiError it wraps and lose which part of the request it was about.
func problems(err error) []string {
	var out []string
	var walk func(where string, err error)
	walk = func(where string, err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, e := range e {
				walk(where, e)
			}
		case *openapi3filter.RequestError:
			w := where
			switch {
			case e.Parameter != nil:
				w = fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name)
			case e.RequestBody != nil:
				w = "body"
			}
			if e.Err == nil {
				out = append(out, join(w, e.Reason))
				return
			}
			walk(w, e.Err)
		case *openapi3filter.ResponseError:
			w := "body"
			if strings.Contains(e.Reason, "header") {
				w = e.Reason
			}
			if e.Err == nil {
				out = append(out, join(where, e.Reason))
				return
			}
			walk(w, e.Err)
		case *openapi3.SchemaError:
			w := where
			if field := strings.Join(e.JSONPointer(), "."); field != "" {
				w = join(where, "field "+field)
			}
			out = append(out, join(w, e.Reason))
		default:
			if inner := errors.Unwrap(err); inner != nil {
				walk(where, inner)
				return
			}
			out = append(out, join(where, err.Error()))
		}
	}
	walk("", err)
	return out
}

func join(where, what string) string {
	if where == "" {
		return what
	}
	return where + ": " + what
}
