// Package awsmodel judges AWS requests and answers against AWS's own API
// models: the service descriptions botocore ships (data/SERVICE/VERSION/
// service-2.json), which the AWS CLI and every boto3 program are built
// from. Nothing here is a copy: the models are read at test time from the
// botocore installed for python3 (or BOTOCORE_DATA_DIR), once per process.
//
// A Judge finds the operation of a request the way the service does (by
// method and URI for rest-json, X-Amz-Target for AWS JSON, Action for the
// query protocol, the path for RPCv2 CBOR) and checks every member by its
// location (URI label, query string, header, body): required members,
// types, enums, patterns, lengths and ranges, down through nested
// structures, lists and maps. It checks an answer's status, its members and
// that an error code is one the operation declares or one of the errors
// AWS documents as common to every operation.
package awsmodel

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Model is one service's API model.
type Model struct {
	Service    string // the name the proxy uses: lambda, apigateway, apigatewayv2, cloudwatch, sts
	APIVersion string // 2015-03-31
	// Protocols are the wire protocols the service speaks, in botocore's
	// order of preference: rest-json, json, query, smithy-rpc-v2-cbor.
	Protocols []string
	// TargetPrefix is the X-Amz-Target prefix of AWS JSON requests.
	TargetPrefix string
	// QueryCompatible is set for a JSON or CBOR service that also answers
	// the codes of its query protocol past (X-Amzn-Query-Error).
	QueryCompatible bool
	// SigningName is the SigV4 service name of its requests.
	SigningName string

	Operations map[string]*Operation
	Shapes     map[string]*Shape

	routes []route // rest-json operations, for matching
}

// Operation is one API operation.
type Operation struct {
	Name          string
	Method        string
	RequestURI    string
	ResponseCode  int    // the status of a success, 200 unless the model says
	Input, Output *Shape // nil when the operation takes or gives nothing
	ResultWrapper string // the query protocol's element around the output
	Errors        []*Shape
}

// Shape is a type of the model.
type Shape struct {
	Name string
	// Type is structure, list, map, string, integer, long, float, double,
	// boolean, timestamp, blob or document.
	Type     string
	Members  map[string]*Member
	Required []string
	Member   *Member // of a list
	Key      *Member // of a map
	Value    *Member // of a map
	// Min and Max bound a string's length (in characters), a blob's (in
	// bytes), a list's or map's size, or a number's value.
	Min, Max        *float64
	Enum            []string
	Pattern         string
	Payload         string // the member that is the whole body (rest-json)
	Flattened       bool   // a list or map written without its wrapper (query, XML)
	TimestampFormat string
	Union           bool
	Exception       bool
	Error           *ErrorTrait
	Sensitive       bool
	Streaming       bool
	// LocationName is the element name of a list member shape, when set on
	// the shape itself.
	LocationName string
}

// ErrorTrait is what the model says of an error shape's wire form.
type ErrorTrait struct {
	Code           string // the query protocol code; "" means the shape name
	HTTPStatusCode int
	SenderFault    bool
}

// QueryCode is the code an error shape answers with in the query protocol.
func (s *Shape) QueryCode() string {
	if s.Error != nil && s.Error.Code != "" {
		return s.Error.Code
	}
	return s.Name
}

// Member is a member of a structure, or the element of a list or map.
type Member struct {
	Name  string
	Shape *Shape
	// Location is uri, querystring, header, headers, statusCode, or ""
	// for the body.
	Location        string
	LocationName    string
	Flattened       bool
	TimestampFormat string
	JSONValue       bool
	Enum            []string // a member-level enum, which some models have
	Box             bool
}

// WireName is the name the member has on the wire: its locationName, or
// its own name.
func (m *Member) WireName() string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

// Services are the models the proxy judges by: the services lambda-promote
// and its tests call, each at the API version their SDK clients speak.
var Services = []struct{ Name, Dir, Version string }{
	{"lambda", "lambda", "2015-03-31"},
	{"apigateway", "apigateway", "2015-07-09"},
	{"apigatewayv2", "apigatewayv2", "2018-11-29"},
	{"cloudwatch", "cloudwatch", "2010-08-01"},
	{"sts", "sts", "2011-06-15"},
}

// raw is the JSON of a service-2.json file.
type raw struct {
	Metadata struct {
		APIVersion         string          `json:"apiVersion"`
		Protocol           string          `json:"protocol"`
		Protocols          []string        `json:"protocols"`
		TargetPrefix       string          `json:"targetPrefix"`
		SigningName        string          `json:"signingName"`
		EndpointPrefix     string          `json:"endpointPrefix"`
		AWSQueryCompatible json.RawMessage `json:"awsQueryCompatible"`
	} `json:"metadata"`
	Operations map[string]struct {
		Name string `json:"name"`
		HTTP struct {
			Method       string `json:"method"`
			RequestURI   string `json:"requestUri"`
			ResponseCode int    `json:"responseCode"`
		} `json:"http"`
		Input  *rawRef `json:"input"`
		Output *rawRef `json:"output"`
		Errors []rawRef
	} `json:"operations"`
	Shapes map[string]rawShape `json:"shapes"`
}

type rawRef struct {
	Shape           string   `json:"shape"`
	Location        string   `json:"location"`
	LocationName    string   `json:"locationName"`
	Flattened       bool     `json:"flattened"`
	TimestampFormat string   `json:"timestampFormat"`
	JSONValue       bool     `json:"jsonvalue"`
	Enum            []string `json:"enum"`
	Box             bool     `json:"box"`
	ResultWrapper   string   `json:"resultWrapper"`
}

type rawShape struct {
	Type            string            `json:"type"`
	Members         map[string]rawRef `json:"members"`
	Required        []string          `json:"required"`
	Member          *rawRef           `json:"member"`
	Key             *rawRef           `json:"key"`
	Value           *rawRef           `json:"value"`
	Min             *float64          `json:"min"`
	Max             *float64          `json:"max"`
	Enum            []string          `json:"enum"`
	Pattern         string            `json:"pattern"`
	Payload         string            `json:"payload"`
	Flattened       bool              `json:"flattened"`
	TimestampFormat string            `json:"timestampFormat"`
	Union           bool              `json:"union"`
	Exception       bool              `json:"exception"`
	Document        bool              `json:"document"`
	Sensitive       bool              `json:"sensitive"`
	Streaming       bool              `json:"streaming"`
	LocationName    string            `json:"locationName"`
	Error           *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

// LoadFile reads the model of service from a service-2.json or
// service-2.json.gz file.
func LoadFile(service, path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	var doc raw
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	m, err := build(service, &doc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return m, nil
}

// build links the shapes of a model.
func build(service string, doc *raw) (*Model, error) {
	md := doc.Metadata
	m := &Model{
		Service:         service,
		APIVersion:      md.APIVersion,
		Protocols:       md.Protocols,
		TargetPrefix:    md.TargetPrefix,
		QueryCompatible: len(md.AWSQueryCompatible) > 0 && string(md.AWSQueryCompatible) != "null",
		SigningName:     md.SigningName,
		Operations:      map[string]*Operation{},
		Shapes:          map[string]*Shape{},
	}
	if len(m.Protocols) == 0 && md.Protocol != "" {
		m.Protocols = []string{md.Protocol}
	}
	if m.SigningName == "" {
		m.SigningName = md.EndpointPrefix
	}
	for name, rs := range doc.Shapes {
		s := &Shape{
			Name: name, Type: rs.Type, Required: rs.Required, Min: rs.Min, Max: rs.Max,
			Enum: rs.Enum, Pattern: rs.Pattern, Payload: rs.Payload, Flattened: rs.Flattened,
			TimestampFormat: rs.TimestampFormat, Union: rs.Union, Exception: rs.Exception,
			Sensitive: rs.Sensitive, Streaming: rs.Streaming, LocationName: rs.LocationName,
		}
		if rs.Document {
			s.Type = "document"
		}
		if rs.Error != nil {
			s.Error = &ErrorTrait{Code: rs.Error.Code, HTTPStatusCode: rs.Error.HTTPStatusCode, SenderFault: rs.Error.SenderFault}
		}
		m.Shapes[name] = s
	}
	var errs []error
	ref := func(name string, r *rawRef) *Member {
		if r == nil {
			return nil
		}
		s := m.Shapes[r.Shape]
		if s == nil {
			errs = append(errs, fmt.Errorf("%s refers to shape %q, which the model does not define", name, r.Shape))
			s = &Shape{Name: r.Shape, Type: "document"}
		}
		return &Member{
			Name: name, Shape: s, Location: r.Location, LocationName: r.LocationName, Flattened: r.Flattened,
			TimestampFormat: r.TimestampFormat, JSONValue: r.JSONValue, Enum: r.Enum, Box: r.Box,
		}
	}
	for name, rs := range doc.Shapes {
		s := m.Shapes[name]
		if len(rs.Members) > 0 {
			s.Members = make(map[string]*Member, len(rs.Members))
			for mn, mr := range rs.Members {
				s.Members[mn] = ref(mn, &mr)
			}
		}
		s.Member = ref("member", rs.Member)
		s.Key = ref("key", rs.Key)
		s.Value = ref("value", rs.Value)
	}
	for name, ro := range doc.Operations {
		op := &Operation{
			Name: name, Method: ro.HTTP.Method, RequestURI: ro.HTTP.RequestURI, ResponseCode: ro.HTTP.ResponseCode,
		}
		if op.ResponseCode == 0 {
			op.ResponseCode = 200
		}
		if ro.Input != nil {
			op.Input = ref(name+" input", ro.Input).Shape
		}
		if ro.Output != nil {
			op.Output = ref(name+" output", ro.Output).Shape
			op.ResultWrapper = ro.Output.ResultWrapper
		}
		for _, e := range ro.Errors {
			op.Errors = append(op.Errors, ref(name+" error", &e).Shape)
		}
		m.Operations[name] = op
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.routes = compileRoutes(m)
	return m, nil
}

// Speaks reports whether the service speaks protocol p (rest-json, json,
// query, smithy-rpc-v2-cbor).
func (m *Model) Speaks(p string) bool { return slices.Contains(m.Protocols, p) }

// errorShape finds an error shape of the model by the code an answer
// carries: its shape name, or its query protocol code.
func (m *Model) errorShape(code string) *Shape {
	if s := m.Shapes[code]; s != nil && s.Exception {
		return s
	}
	for _, s := range m.Shapes {
		if s.Exception && s.Error != nil && s.Error.Code == code {
			return s
		}
	}
	return nil
}

// modelPath is where the model of one service lies under botocore's data
// directory: SERVICE/VERSION/service-2.json, gzipped in most installs.
func modelPath(dataDir, dir, version string) (string, error) {
	base := filepath.Join(dataDir, dir, version, "service-2.json")
	for _, p := range []string{base + ".gz", base} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("botocore data directory %s has no model of %s %s (%s.gz or %s): %w", dataDir, dir, version, base, base, ErrNoBotocore)
}

// Declares reports whether the operation lists error shape name among its
// errors.
func (o *Operation) Declares(name string) bool {
	return slices.ContainsFunc(o.Errors, func(s *Shape) bool { return s.Name == name })
}
