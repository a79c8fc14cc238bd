package awsmodel

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// restRequest checks a rest-json request's members where the model puts
// them: URI labels, query string, headers and body.
func (c *checker) restRequest(op *Operation, labels map[string]string, q url.Values, h http.Header, body []byte) {
	claimed := map[string]bool{}
	if _, lit, ok := strings.Cut(op.RequestURI, "?"); ok {
		for _, kv := range strings.Split(lit, "&") {
			k, _, _ := strings.Cut(kv, "=")
			claimed[k] = true
		}
	}
	in := op.Input
	if in == nil {
		for _, k := range sortedKeys(q) {
			if !claimed[k] {
				c.add(k, "querystring", "the operation takes no input, and %s is none of its query literals", k)
			}
		}
		c.document(nil, body, false)
		return
	}
	inBody := false
	var queryMap *Member
	for _, name := range sortedKeys(in.Members) {
		m := in.Members[name]
		required := slices.Contains(in.Required, name)
		wire := m.WireName()
		switch m.Location {
		case "uri":
			v, ok := labels[wire]
			if !ok {
				c.add(name, "uri", "the request URI %s has no label {%s}", op.RequestURI, wire)
				continue
			}
			c.text(m, v, name, "uri", "iso8601")
		case "querystring":
			if m.Shape.Type == "map" {
				queryMap = m
				continue
			}
			claimed[wire] = true
			vs, ok := q[wire]
			if !ok {
				if required {
					c.add(name, "querystring", "is required by %s and missing (%s=)", in.Name, wire)
				}
				continue
			}
			if m.Shape.Type == "list" {
				c.size(m.Shape, len(vs), name, "querystring", "items")
				for i, v := range vs {
					c.text(m.Shape.Member, v, fmt.Sprintf("%s[%d]", name, i), "querystring", "iso8601")
				}
				continue
			}
			if len(vs) > 1 {
				c.add(name, "querystring", "is given %d times (%s=)", len(vs), wire)
			}
			c.text(m, vs[0], name, "querystring", "iso8601")
		case "header":
			c.header(m, h, name, required, in.Name)
		case "headers":
			c.prefixHeaders(m, h, name)
		case "statusCode":
		default:
			inBody = true
		}
	}
	if queryMap != nil {
		var n int
		for _, k := range sortedKeys(q) {
			if claimed[k] {
				continue
			}
			claimed[k] = true
			n++
			p := fmt.Sprintf("%s[%q]", queryMap.Name, k)
			c.str(queryMap.Shape.Key, k, p+" key", "querystring")
			if vm := queryMap.Shape.Value; vm.Shape.Type == "list" {
				for i, v := range q[k] {
					c.text(vm.Shape.Member, v, fmt.Sprintf("%s[%d]", p, i), "querystring", "iso8601")
				}
			} else {
				c.text(vm, q.Get(k), p, "querystring", "iso8601")
			}
		}
		c.size(queryMap.Shape, n, queryMap.Name, "querystring", "entries")
	}
	for _, k := range sortedKeys(q) {
		if !claimed[k] {
			c.add(k, "querystring", "is not a member of %s", in.Name)
		}
	}
	c.restBody(in, body, inBody, false)
}

// restBody checks the body of a rest-json request or answer: the payload
// member, or the members without a location.
func (c *checker) restBody(s *Shape, body []byte, inBody, errBody bool) {
	if s.Payload != "" {
		m := s.Members[s.Payload]
		required := slices.Contains(s.Required, s.Payload)
		switch m.Shape.Type {
		case "structure":
			if len(bytes.TrimSpace(body)) == 0 {
				if required {
					c.add(m.Name, "body", "is the required payload of %s, and the body is empty", s.Name)
				}
				return
			}
			v, err := decodeDoc(body, false)
			if err != nil {
				c.add(m.Name, "body", "%v", err)
				return
			}
			c.value(m, v, m.Name, "body", false)
		case "blob", "string":
			if len(body) == 0 && required {
				c.add(m.Name, "body", "is the required payload of %s, and the body is empty", s.Name)
			}
			if m.Shape.Type == "string" {
				c.str(m, string(body), m.Name, "body")
			} else {
				c.size(m.Shape, len(body), m.Name, "body", "bytes")
			}
		}
		return
	}
	if !inBody {
		if t := bytes.TrimSpace(body); len(t) > 0 && string(t) != "{}" {
			c.add("", "body", "%s has no body members, and the body is %s", s.Name, brief(string(t)))
		}
		return
	}
	mode := bodyMembers
	if errBody {
		mode = errorBody
	}
	c.documentAs(s, body, false, mode)
}

// header checks a member in a header.
func (c *checker) header(m *Member, h http.Header, name string, required bool, shape string) {
	vs := h.Values(m.WireName())
	if len(vs) == 0 {
		if required {
			c.add(name, "header", "is required by %s and missing (%s)", shape, m.WireName())
		}
		return
	}
	v := strings.Join(vs, ",")
	switch {
	case m.Shape.Type == "list":
		for i, item := range strings.Split(v, ",") {
			c.text(m.Shape.Member, strings.TrimSpace(item), fmt.Sprintf("%s[%d]", name, i), "header", "rfc822")
		}
	case m.JSONValue:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || !json.Valid(b) {
			c.add(name, "header", "is base64-encoded JSON, not %q", v)
		}
	default:
		c.text(m, v, name, "header", "rfc822")
	}
}

// prefixHeaders checks a map member given as the headers that begin with
// its locationName.
func (c *checker) prefixHeaders(m *Member, h http.Header, name string) {
	prefix := strings.ToLower(m.WireName())
	for _, k := range sortedKeys(h) {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, prefix) {
			p := fmt.Sprintf("%s[%q]", name, lk[len(prefix):])
			c.str(m.Shape.Key, lk[len(prefix):], p+" key", "header")
			c.text(m.Shape.Value, strings.Join(h.Values(k), ","), p, "header", "rfc822")
		}
	}
}

// success checks a 2xx answer.
func (c *checker) success(status int, h http.Header, body []byte) {
	op := c.call.Operation
	switch c.call.Protocol {
	case RESTJSON:
		if status != op.ResponseCode {
			c.add("", "status", "a success answers %d, not %d", op.ResponseCode, status)
		}
		out := op.Output
		if out == nil {
			c.document(nil, body, false)
			return
		}
		inBody := false
		for _, name := range sortedKeys(out.Members) {
			m := out.Members[name]
			switch m.Location {
			case "header":
				c.header(m, h, name, false, out.Name)
			case "headers":
				c.prefixHeaders(m, h, name)
			case "statusCode", "uri", "querystring":
			default:
				inBody = true
			}
		}
		c.restBody(out, body, inBody, false)
	case JSON, CBOR:
		if status != 200 {
			c.add("", "status", "a success answers 200, not %d", status)
		}
		c.document(op.Output, body, c.call.Protocol == CBOR)
	case Query:
		if status != 200 {
			c.add("", "status", "a success answers 200, not %d", status)
		}
		c.queryResponse(body)
	}
}

// failure checks an error answer: its code is one the operation declares,
// or a common error; its status is the error's; its members are the error
// shape's.
func (c *checker) failure(status int, h http.Header, body []byte) {
	proto := c.call.Protocol
	var (
		code, fault string
		obj         map[string]any
	)
	if proto == Query {
		var err error
		if code, fault, err = queryError(body); err != nil {
			c.add("", "body", "%v", err)
			return
		}
	} else {
		if len(bytes.TrimSpace(body)) > 0 {
			v, err := decodeDoc(body, proto == CBOR)
			if err != nil {
				c.add("", "body", "the error answer: %v", err)
			}
			obj, _ = v.(map[string]any)
		}
		if proto == RESTJSON {
			code = h.Get("X-Amzn-Errortype")
		}
		for _, k := range []string{"__type", "code", "Code"} {
			if s, ok := obj[k].(string); ok && code == "" {
				code = s
			}
		}
	}
	code = errorCode(code)
	if code == "" {
		c.add("", "body", "an error answer (status %d) without an error code", status)
		return
	}
	shape := c.errorShape(code, proto == Query)
	switch {
	case shape != nil:
		if shape.Error != nil && shape.Error.HTTPStatusCode != 0 && shape.Error.HTTPStatusCode != status {
			c.add("", "status", "%s answers %d, not %d", code, shape.Error.HTTPStatusCode, status)
		}
	default:
		// A common error can share its code with a service's own (STS's
		// ExpiredTokenException of a web identity token answers 400, the
		// common one of expired credentials 403): an operation that does
		// not declare the service's answers the common one.
		if st, ok := commonStatus(code, proto == Query); ok {
			if st != status {
				c.add("", "status", "the common error %s answers %d, not %d", code, st, status)
			}
			break
		}
		if other := c.call.model.errorShape(code); other != nil {
			c.add("", "error", "%s is an error of %s, but %s does not declare it (it declares %s)", code, c.call.Service, c.call.Operation.Name, c.declared())
			shape = other
			break
		}
		c.add("", "error", "%s is neither an error %s declares (%s) nor a common error AWS documents", code, c.call.Operation.Name, c.declared())
	}
	if proto == Query {
		if fault != "" && fault != faultOf(shape, status) {
			c.add("Type", "body", "%s is a %s fault, not %s", code, faultOf(shape, status), fault)
		}
		return
	}
	if qe := h.Get("X-Amzn-Query-Error"); qe != "" {
		c.queryErrorHeader(qe, shape, status)
	}
	if shape == nil {
		return
	}
	for _, name := range sortedKeys(shape.Members) {
		if m := shape.Members[name]; m.Location == "header" {
			c.header(m, h, name, false, shape.Name)
		}
	}
	if obj != nil {
		c.structure(shape, obj, "", "body", proto == CBOR, errorBody)
	}
}

// queryErrorHeader checks X-Amzn-Query-Error, "Code;Sender", which a
// query-compatible service sends with the code its query protocol would.
func (c *checker) queryErrorHeader(qe string, shape *Shape, status int) {
	if !c.call.model.QueryCompatible {
		c.add("", "header", "%s is not query-compatible, yet the answer carries X-Amzn-Query-Error %q", c.call.Service, qe)
		return
	}
	qcode, fault, _ := strings.Cut(qe, ";")
	if shape != nil {
		if qcode != shape.QueryCode() {
			c.add("", "header", "the query code of %s is %s, not %s (X-Amzn-Query-Error)", shape.Name, shape.QueryCode(), qcode)
		}
	} else if st, ok := commonStatus(qcode, true); !ok {
		c.add("", "header", "X-Amzn-Query-Error code %s is not a common error AWS documents", qcode)
	} else if st != status {
		c.add("", "header", "the common error %s answers %d, not %d (X-Amzn-Query-Error)", qcode, st, status)
	}
	if fault != "" && fault != faultOf(shape, status) {
		c.add("", "header", "the error is a %s fault, not %s (X-Amzn-Query-Error)", faultOf(shape, status), fault)
	}
}

// faultOf is Sender or Receiver for an error shape, or for a common error
// by its status.
func faultOf(s *Shape, status int) string {
	if s != nil && s.Error != nil {
		if s.Error.SenderFault {
			return "Sender"
		}
		return "Receiver"
	}
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// errorShape is the error the operation declares for code: by shape name,
// or for the query protocol by its query code.
func (c *checker) errorShape(code string, query bool) *Shape {
	for _, e := range c.call.Operation.Errors {
		if e.Name == code || (query && e.QueryCode() == code) {
			return e
		}
	}
	return nil
}

func (c *checker) declared() string {
	names := make([]string, len(c.call.Operation.Errors))
	for i, e := range c.call.Operation.Errors {
		names[i] = e.Name
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// errorCode is the bare code of an error type: without a namespace
// (aws.protocoltests#Foo, com.amazon.coral.service#Foo) or a suffix
// (Foo:http://internal.amazon.com/...).
func errorCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return strings.TrimSpace(code)
}

// node is an XML element.
type node struct {
	name     string
	children []*node
	text     string
}

func parseXML(body []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the body is not XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("the body has no XML element")
	}
	return root, nil
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// queryError reads an awsQuery error answer: <ErrorResponse><Error>
// <Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
func queryError(body []byte) (code, fault string, err error) {
	root, err := parseXML(body)
	if err != nil {
		return "", "", err
	}
	e := root.child("Error")
	if root.name != "ErrorResponse" || e == nil {
		return "", "", fmt.Errorf("a query protocol error is <ErrorResponse><Error>…, not <%s>", root.name)
	}
	if c := e.child("Code"); c != nil {
		code = strings.TrimSpace(c.text)
	}
	if t := e.child("Type"); t != nil {
		fault = strings.TrimSpace(t.text)
	}
	return code, fault, nil
}

// queryResponse checks an awsQuery success: <OpResponse><OpResult>members
// </OpResult><ResponseMetadata/></OpResponse>.
func (c *checker) queryResponse(body []byte) {
	op := c.call.Operation
	root, err := parseXML(body)
	if err != nil {
		c.add("", "body", "%v", err)
		return
	}
	if want := op.Name + "Response"; root.name != want {
		c.add("", "body", "the answer is <%s>, not <%s>", root.name, want)
		return
	}
	var result *node
	for _, ch := range root.children {
		switch {
		case ch.name == "ResponseMetadata":
		case op.Output != nil && op.ResultWrapper != "" && ch.name == op.ResultWrapper:
			result = ch
		case op.Output != nil && op.ResultWrapper == "":
		default:
			c.add(ch.name, "body", "is not an element of <%s>", root.name)
		}
	}
	if op.Output == nil {
		return
	}
	if op.ResultWrapper == "" {
		result = root
	}
	if result == nil {
		result = &node{name: op.ResultWrapper}
	}
	c.xmlStruct(op.Output, result, "", map[string]bool{"ResponseMetadata": op.ResultWrapper == ""})
}

// xmlValue checks an XML element against member m's shape.
func (c *checker) xmlValue(m *Member, n *node, path string) {
	s := m.Shape
	switch s.Type {
	case "structure":
		c.xmlStruct(s, n, path, nil)
	case "list":
		item := "member"
		if s.Member.LocationName != "" {
			item = s.Member.LocationName
		}
		i := 0
		for _, ch := range n.children {
			if ch.name != item {
				c.add(join(path, ch.name), "body", "a list %s holds <%s> elements, not <%s>", s.Name, item, ch.name)
				continue
			}
			c.xmlValue(s.Member, ch, fmt.Sprintf("%s[%d]", path, i))
			i++
		}
		c.size(s, i, path, "body", "items")
	case "map":
		for _, e := range n.children {
			k, v := e.child("key"), e.child("value")
			if e.name != "entry" || k == nil || v == nil {
				c.add(path, "body", "a map %s holds <entry><key/><value/></entry> elements, not <%s>", s.Name, e.name)
				continue
			}
			p := fmt.Sprintf("%s[%q]", path, k.text)
			c.str(s.Key, k.text, p+" key", "body")
			c.xmlValue(s.Value, v, p)
		}
		c.size(s, len(n.children), path, "body", "entries")
	default:
		if len(n.children) > 0 {
			c.add(path, "body", "%s is a %s, not an element with children", s.Name, s.Type)
			return
		}
		c.text(m, n.text, path, "body", "iso8601")
	}
}

// xmlStruct checks an element's children against structure s; extra names
// elements the protocol allows besides the members.
func (c *checker) xmlStruct(s *Shape, n *node, path string, extra map[string]bool) {
	byWire := make(map[string]*Member, len(s.Members))
	for _, m := range s.Members {
		byWire[m.WireName()] = m
	}
	seen := map[string]int{}
	for _, ch := range n.children {
		m := byWire[ch.name]
		if m == nil {
			if !extra[ch.name] {
				c.add(join(path, ch.name), "body", "is not a member of %s", s.Name)
			}
			continue
		}
		seen[ch.name]++
		if m.Flattened || m.Shape.Flattened {
			continue
		}
		if seen[ch.name] > 1 {
			c.add(join(path, m.Name), "body", "is given %d times", seen[ch.name])
			continue
		}
		c.xmlValue(m, ch, join(path, m.Name))
	}
	for _, name := range sortedKeys(byWire) {
		m := byWire[name]
		if !(m.Flattened || m.Shape.Flattened) || seen[name] == 0 {
			continue
		}
		// A flattened list is its elements, repeated under the member's name.
		list := &node{name: name}
		for _, ch := range n.children {
			if ch.name == name {
				list.children = append(list.children, &node{name: "member", children: ch.children, text: ch.text})
			}
		}
		flat := *m.Shape
		flat.Member = &Member{Name: "member", Shape: m.Shape.Member.Shape}
		c.xmlValue(&Member{Name: m.Name, Shape: &flat}, list, join(path, m.Name))
	}
	for _, name := range s.Required {
		if m := s.Members[name]; m != nil && seen[m.WireName()] == 0 {
			c.add(join(path, name), "body", "is required by %s and missing", s.Name)
		}
	}
}

// queryStruct checks the form parameters of structure s under prefix,
// marking those it reads in used.
func (c *checker) queryStruct(s *Shape, prefix, path string, form url.Values, used map[string]bool) {
	for _, name := range sortedKeys(s.Members) {
		m := s.Members[name]
		key := name
		if m.LocationName != "" {
			key = m.LocationName
		}
		if prefix != "" {
			key = prefix + "." + key
		}
		present := c.queryValue(m, key, join(path, name), form, used)
		if !present && slices.Contains(s.Required, name) {
			c.add(join(path, name), "body", "is required by %s and missing (%s=)", s.Name, key)
		}
	}
}

// queryValue checks the parameters of member m under key and reports
// whether the form has any.
func (c *checker) queryValue(m *Member, key, path string, form url.Values, used map[string]bool) bool {
	s := m.Shape
	switch s.Type {
	case "structure":
		if !hasUnder(form, key) {
			return false
		}
		c.queryStruct(s, key, path, form, used)
		return true
	case "list":
		if vs, ok := form[key]; ok && len(vs) == 1 && vs[0] == "" {
			used[key] = true // an empty list
			c.size(s, 0, path, "body", "items")
			return true
		}
		base := key + ".member"
		if s.Member.LocationName != "" {
			base = key + "." + s.Member.LocationName
		}
		if m.Flattened || s.Flattened {
			base = key
		}
		n := 0
		for i := 1; ; i++ {
			k := base + "." + strconv.Itoa(i)
			if _, ok := form[k]; !ok && !hasUnder(form, k) {
				break
			}
			c.queryValue(s.Member, k, fmt.Sprintf("%s[%d]", path, i-1), form, used)
			n++
		}
		if n == 0 {
			return false
		}
		c.size(s, n, path, "body", "items")
		return true
	case "map":
		base := key + ".entry"
		if m.Flattened || s.Flattened {
			base = key
		}
		n := 0
		for i := 1; ; i++ {
			k := base + "." + strconv.Itoa(i)
			if !hasUnder(form, k) {
				break
			}
			kk, vk := k+".key", k+".value"
			used[kk] = true
			c.str(s.Key, form.Get(kk), fmt.Sprintf("%s[%d] key", path, i-1), "body")
			c.queryValue(s.Value, vk, fmt.Sprintf("%s[%q]", path, form.Get(kk)), form, used)
			n++
		}
		if n == 0 {
			return false
		}
		c.size(s, n, path, "body", "entries")
		return true
	}
	vs, ok := form[key]
	if !ok {
		return false
	}
	used[key] = true
	if len(vs) > 1 {
		c.add(path, "body", "is given %d times (%s=)", len(vs), key)
	}
	c.text(m, vs[0], path, "body", "iso8601")
	return true
}

// hasUnder reports whether the form has a parameter under key (key.…).
func hasUnder(form url.Values, key string) bool {
	for k := range form {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}
