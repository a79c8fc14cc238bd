package awsmodel

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
)

// checker gathers the problems of one message.
type checker struct {
	call      *Call
	side      string
	problems  []Problem
	unchecked []string
}

func newChecker(c *Call, side string) *checker { return &checker{call: c, side: side} }

func (c *checker) add(member, loc, format string, args ...any) {
	c.problems = append(c.problems, Problem{
		Operation: c.call.String(), Side: c.side, Member: member, Location: loc, Message: fmt.Sprintf(format, args...),
	})
}

func (c *checker) verdict() Verdict {
	return Verdict{Call: c.call, Problems: c.problems, Unchecked: c.unchecked}
}

// join is the path of member name under path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// brief quotes a value for a message, cut short.
func brief(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = strconv.Quote(v)
	case []byte:
		s = strconv.Quote(string(v))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			s = fmt.Sprint(v)
		} else {
			s = string(b)
		}
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// epoch is a CBOR timestamp (tag 1): seconds since the Unix epoch.
type epoch float64

// decodeDoc decodes a JSON or CBOR body into maps, lists, strings, bools,
// json.Number, and for CBOR []byte and epoch.
func decodeDoc(body []byte, cbor bool) (any, error) {
	if cbor {
		v, err := smithycbor.Decode(body)
		if err != nil {
			return nil, fmt.Errorf("the body is not CBOR: %w", err)
		}
		return fromCBOR(v), nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("the body is not JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("the body is more than one JSON value")
	}
	return v, nil
}

func fromCBOR(v smithycbor.Value) any {
	switch v := v.(type) {
	case smithycbor.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = fromCBOR(e)
		}
		return out
	case smithycbor.List:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = fromCBOR(e)
		}
		return out
	case smithycbor.String:
		return string(v)
	case smithycbor.Slice:
		return []byte(v)
	case smithycbor.Bool:
		return bool(v)
	case smithycbor.Uint:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case smithycbor.NegInt:
		if v == 0 {
			return json.Number("-18446744073709551616")
		}
		return json.Number("-" + strconv.FormatUint(uint64(v), 10))
	case smithycbor.Float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case smithycbor.Float64:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 64))
	case *smithycbor.Tag:
		if v.ID == 1 {
			if n, ok := fromCBOR(v.Value).(json.Number); ok {
				if f, err := n.Float64(); err == nil {
					return epoch(f)
				}
			}
		}
		return fromCBOR(v.Value)
	}
	return nil // Nil, Undefined
}

// structMode says which members of a structure a document holds.
type structMode int

const (
	allMembers  structMode = iota // a nested structure, or an AWS JSON body
	bodyMembers                   // a rest-json body: the members without a location
	errorBody                     // an error's body: its members, __type and message in any case
)

// document checks a whole JSON or CBOR body as shape s; with s nil (the
// operation takes or gives nothing) the body is empty or an empty object.
func (c *checker) document(s *Shape, body []byte, cbor bool) {
	c.documentAs(s, body, cbor, allMembers)
}

func (c *checker) documentAs(s *Shape, body []byte, cbor bool, mode structMode) {
	var v any = map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		var err error
		if v, err = decodeDoc(body, cbor); err != nil {
			c.add("", "body", "%v", err)
			return
		}
	}
	if s == nil {
		if obj, ok := v.(map[string]any); !ok || len(obj) > 0 {
			c.add("", "body", "the operation has no %s, so the body is empty or {}, not %s", c.sideShape(), brief(v))
		}
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		c.add("", "body", "%s is a structure, not %s", s.Name, brief(v))
		return
	}
	c.structure(s, obj, "", "body", cbor, mode)
}

func (c *checker) sideShape() string {
	if c.side == "request" {
		return "input"
	}
	return "output"
}

// value checks a decoded document value against member m's shape.
func (c *checker) value(m *Member, v any, path, loc string, cbor bool) {
	s := m.Shape
	if v == nil {
		return // null is absent; required members are checked by the structure
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			c.add(path, loc, "%s is a structure, not %s", s.Name, brief(v))
			return
		}
		c.structure(s, obj, path, loc, cbor, allMembers)
	case "list":
		list, ok := v.([]any)
		if !ok {
			c.add(path, loc, "%s is a list, not %s", s.Name, brief(v))
			return
		}
		c.size(s, len(list), path, loc, "items")
		for i, e := range list {
			p := fmt.Sprintf("%s[%d]", path, i)
			if e == nil {
				c.add(p, loc, "a list item of %s is null", s.Name)
				continue
			}
			c.value(s.Member, e, p, loc, cbor)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			c.add(path, loc, "%s is a map, not %s", s.Name, brief(v))
			return
		}
		c.size(s, len(obj), path, loc, "entries")
		for _, k := range sortedKeys(obj) {
			p := fmt.Sprintf("%s[%q]", path, k)
			c.str(s.Key, k, p+" key", loc)
			if obj[k] == nil {
				c.add(p, loc, "a map value of %s is null", s.Name)
				continue
			}
			c.value(s.Value, obj[k], p, loc, cbor)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			c.add(path, loc, "%s is a string, not %s", s.Name, brief(v))
			return
		}
		c.str(m, str, path, loc)
	case "integer", "long", "short", "byte":
		n, ok := v.(json.Number)
		if !ok {
			c.add(path, loc, "%s is an integer, not %s", s.Name, brief(v))
			return
		}
		c.integer(m, string(n), path, loc)
	case "float", "double":
		switch n := v.(type) {
		case json.Number:
			c.float(m, string(n), path, loc)
		case string:
			if !cbor && (n == "NaN" || n == "Infinity" || n == "-Infinity") {
				c.float(m, n, path, loc)
				return
			}
			c.add(path, loc, "%s is a number, not %s", s.Name, brief(v))
		default:
			c.add(path, loc, "%s is a number, not %s", s.Name, brief(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.add(path, loc, "%s is a boolean, not %s", s.Name, brief(v))
		}
	case "timestamp":
		c.docTimestamp(m, v, path, loc, cbor)
	case "blob":
		if cbor {
			b, ok := v.([]byte)
			if !ok {
				c.add(path, loc, "%s is a byte string, not %s", s.Name, brief(v))
				return
			}
			c.size(s, len(b), path, loc, "bytes")
			return
		}
		str, ok := v.(string)
		if !ok {
			c.add(path, loc, "%s is base64 text, not %s", s.Name, brief(v))
			return
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			c.add(path, loc, "%s is base64 text, not %s", s.Name, brief(v))
			return
		}
		c.size(s, len(b), path, loc, "bytes")
	case "document":
	default:
		c.add(path, loc, "the judge does not know shape type %q of %s", s.Type, s.Name)
	}
}

// docTimestamp checks a timestamp in a JSON or CBOR document: epoch seconds
// unless the model gives another format.
func (c *checker) docTimestamp(m *Member, v any, path, loc string, cbor bool) {
	s := m.Shape
	if cbor {
		if _, ok := v.(epoch); !ok {
			c.add(path, loc, "%s is a timestamp (CBOR tag 1), not %s", s.Name, brief(v))
		}
		return
	}
	switch format := timestampFormat(m, "unixTimestamp"); format {
	case "unixTimestamp":
		if _, ok := v.(json.Number); !ok {
			c.add(path, loc, "%s is a timestamp in epoch seconds, not %s", s.Name, brief(v))
		}
	default:
		str, ok := v.(string)
		if !ok {
			c.add(path, loc, "%s is a timestamp in %s, not %s", s.Name, format, brief(v))
			return
		}
		c.timestampText(m, str, path, loc, format)
	}
}

func timestampFormat(m *Member, def string) string {
	if m.TimestampFormat != "" {
		return m.TimestampFormat
	}
	if m.Shape.TimestampFormat != "" {
		return m.Shape.TimestampFormat
	}
	return def
}

// structure checks a JSON or CBOR object against structure s.
func (c *checker) structure(s *Shape, obj map[string]any, path, loc string, cbor bool, mode structMode) {
	byWire := make(map[string]*Member, len(s.Members))
	for _, m := range s.Members {
		if mode != bodyMembers || m.Location == "" {
			byWire[m.WireName()] = m
		}
	}
	set := 0
	for _, k := range sortedKeys(obj) {
		m := byWire[k]
		if m == nil && mode == errorBody {
			if k == "__type" || k == "code" {
				continue
			}
			if strings.EqualFold(k, "message") {
				// The AWS protocols read an error's message in any case.
				for wire, mm := range byWire {
					if strings.EqualFold(wire, k) {
						m = mm
					}
				}
				if m == nil {
					continue
				}
			}
		}
		if m == nil {
			c.add(join(path, k), loc, "is not a member of %s", s.Name)
			continue
		}
		if obj[k] != nil {
			set++
		}
		c.value(m, obj[k], join(path, m.Name), loc, cbor)
	}
	for _, name := range s.Required {
		m := s.Members[name]
		if m == nil || (mode == bodyMembers && m.Location != "") {
			continue
		}
		if obj[m.WireName()] == nil {
			c.add(join(path, name), loc, "is required by %s and missing", s.Name)
		}
	}
	if s.Union && set != 1 {
		c.add(path, loc, "%s is a union: exactly one member is set, not %d", s.Name, set)
	}
}

// size checks the length of a string (n characters), blob (bytes), list
// (items) or map (entries) against the shape's min and max.
func (c *checker) size(s *Shape, n int, path, loc, unit string) {
	if s.Min != nil && float64(n) < *s.Min {
		c.add(path, loc, "%s has at least %v %s, not %d", s.Name, *s.Min, unit, n)
	}
	if s.Max != nil && float64(n) > *s.Max {
		c.add(path, loc, "%s has at most %v %s, not %d", s.Name, *s.Max, unit, n)
	}
}

// str checks a string against member m's enum, length and pattern.
func (c *checker) str(m *Member, v, path, loc string) {
	s := m.Shape
	enum := m.Enum
	if len(enum) == 0 {
		enum = s.Enum
	}
	if len(enum) > 0 && !slices.Contains(enum, v) {
		c.add(path, loc, "%s is one of %s, not %q", s.Name, strings.Join(enum, ", "), v)
	}
	c.size(s, utf8.RuneCountInString(v), path, loc, "characters")
	if s.Pattern == "" {
		return
	}
	p := compiled(s.Pattern)
	if p.err != nil {
		name := c.call.Service + "." + s.Name
		if !slices.Contains(c.unchecked, name) {
			c.unchecked = append(c.unchecked, name)
		}
		return
	}
	if !p.match(v) {
		c.add(path, loc, "%q does not match the pattern of %s: %s", v, s.Name, s.Pattern)
	}
}

// Bounds of the integer types.
var intBounds = map[string][2]float64{
	"byte":    {math.MinInt8, math.MaxInt8},
	"short":   {math.MinInt16, math.MaxInt16},
	"integer": {math.MinInt32, math.MaxInt32},
	"long":    {math.MinInt64, math.MaxInt64},
}

func (c *checker) integer(m *Member, v, path, loc string) {
	s := m.Shape
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		c.add(path, loc, "%s is an integer, not %s", s.Name, v)
		return
	}
	if b := intBounds[s.Type]; float64(n) < b[0] || float64(n) > b[1] {
		c.add(path, loc, "%s is a %s, and %d is out of its range", s.Name, s.Type, n)
	}
	c.bounds(s, float64(n), v, path, loc)
}

func (c *checker) float(m *Member, v, path, loc string) {
	s := m.Shape
	var f float64
	switch v {
	case "NaN":
		f = math.NaN()
	case "Infinity":
		f = math.Inf(1)
	case "-Infinity":
		f = math.Inf(-1)
	default:
		var err error
		if f, err = strconv.ParseFloat(v, 64); err != nil {
			c.add(path, loc, "%s is a number, not %s", s.Name, v)
			return
		}
	}
	c.bounds(s, f, v, path, loc)
}

// bounds checks a number against the shape's range.
func (c *checker) bounds(s *Shape, f float64, text, path, loc string) {
	if s.Min != nil && !(f >= *s.Min) {
		c.add(path, loc, "%s is at least %v, not %s", s.Name, *s.Min, text)
	}
	if s.Max != nil && !(f <= *s.Max) {
		c.add(path, loc, "%s is at most %v, not %s", s.Name, *s.Max, text)
	}
}

// text checks a value given as text (a URI label, a query string or form
// parameter, a header, an XML element) against member m's shape; tsFormat
// is the timestamp format of the location.
func (c *checker) text(m *Member, v, path, loc, tsFormat string) {
	s := m.Shape
	switch s.Type {
	case "string":
		c.str(m, v, path, loc)
	case "integer", "long", "short", "byte":
		c.integer(m, v, path, loc)
	case "float", "double":
		c.float(m, v, path, loc)
	case "boolean":
		if v != "true" && v != "false" {
			c.add(path, loc, "%s is true or false, not %q", s.Name, v)
		}
	case "timestamp":
		c.timestampText(m, v, path, loc, timestampFormat(m, tsFormat))
	case "blob":
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			c.add(path, loc, "%s is base64 text, not %q", s.Name, v)
			return
		}
		c.size(s, len(b), path, loc, "bytes")
	default:
		c.add(path, loc, "%s is a %s, which cannot be given as text %q", s.Name, s.Type, v)
	}
}

func (c *checker) timestampText(m *Member, v, path, loc, format string) {
	var err error
	switch format {
	case "iso8601":
		_, err = time.Parse(time.RFC3339Nano, v)
	case "rfc822":
		_, err = http.ParseTime(v)
	case "unixTimestamp":
		_, err = strconv.ParseFloat(v, 64)
	default:
		err = fmt.Errorf("unknown format")
	}
	if err != nil {
		c.add(path, loc, "%s is a timestamp in %s, not %q", m.Shape.Name, format, v)
	}
}
