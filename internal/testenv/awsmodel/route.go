package awsmodel

import (
	"net/url"
	"strings"
)

// route is a rest-json operation's request URI split for matching:
// /2015-03-31/functions/{FunctionName}/aliases/{Name}, where {Key+} is a
// greedy label that takes one or more segments, and ?List=ALL a query
// literal the request must carry.
type route struct {
	op     *Operation
	segs   []segment
	query  []queryLiteral
	greedy bool
}

type segment struct {
	literal string // "" for a label
	label   string
	greedy  bool
}

type queryLiteral struct{ key, value string }

// Route is the public form of a route, for comparing route tables.
type Route struct {
	Method string
	// Path is the URI pattern with every label written {} (a greedy one
	// {+}), so that two tables that name their labels differently compare
	// equal.
	Path  string
	Query string // the query literal, "" for none
	Name  string
}

func compileRoutes(m *Model) []route {
	if !m.Speaks("rest-json") {
		return nil
	}
	out := make([]route, 0, len(m.Operations))
	for _, name := range sortedKeys(m.Operations) {
		op := m.Operations[name]
		path, query, _ := strings.Cut(op.RequestURI, "?")
		r := route{op: op}
		for _, s := range splitSegments(path) {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				label := s[1 : len(s)-1]
				greedy := strings.HasSuffix(label, "+")
				r.segs = append(r.segs, segment{label: strings.TrimSuffix(label, "+"), greedy: greedy})
				r.greedy = r.greedy || greedy
				continue
			}
			r.segs = append(r.segs, segment{literal: s})
		}
		if query != "" {
			for _, kv := range strings.Split(query, "&") {
				k, v, _ := strings.Cut(kv, "=")
				r.query = append(r.query, queryLiteral{k, v})
			}
		}
		out = append(out, r)
	}
	return out
}

// Routes is the model's table of rest-json operations.
func (m *Model) Routes() []Route {
	out := make([]Route, 0, len(m.routes))
	for _, r := range m.routes {
		var b strings.Builder
		for _, s := range r.segs {
			b.WriteByte('/')
			switch {
			case s.greedy:
				b.WriteString("{+}")
			case s.literal == "":
				b.WriteString("{}")
			default:
				b.WriteString(s.literal)
			}
		}
		if b.Len() == 0 {
			b.WriteByte('/')
		}
		_, query, _ := strings.Cut(r.op.RequestURI, "?")
		out = append(out, Route{Method: r.op.Method, Path: b.String(), Query: query, Name: r.op.Name})
	}
	return out
}

// splitSegments splits a path on "/", dropping the leading and a trailing
// slash; "/" has none.
func splitSegments(p string) []string {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// matchREST finds the operation of a rest-json request from its method,
// escaped path and query, and the decoded values of its URI labels. Of the
// routes that match, the one with more literal segments wins, then the one
// with more query literals, then one without a greedy label.
func (m *Model) matchREST(method, escapedPath string, query url.Values) (*Operation, map[string]string) {
	segs := splitSegments(escapedPath)
	var best *route
	var bestLabels map[string]string
	score := func(r *route) (int, int, int) {
		lits := 0
		for _, s := range r.segs {
			if s.literal != "" {
				lits++
			}
		}
		g := 1
		if r.greedy {
			g = 0
		}
		return lits, len(r.query), g
	}
	for i := range m.routes {
		r := &m.routes[i]
		if r.op.Method != method || !r.matchQuery(query) {
			continue
		}
		labels, ok := r.matchPath(segs)
		if !ok {
			continue
		}
		if best != nil {
			a1, a2, a3 := score(r)
			b1, b2, b3 := score(best)
			if a1 < b1 || (a1 == b1 && (a2 < b2 || (a2 == b2 && a3 <= b3))) {
				continue
			}
		}
		best, bestLabels = r, labels
	}
	if best == nil {
		return nil, nil
	}
	return best.op, bestLabels
}

func (r *route) matchQuery(q url.Values) bool {
	for _, l := range r.query {
		vs, ok := q[l.key]
		if !ok {
			return false
		}
		if l.value != "" && (len(vs) == 0 || vs[0] != l.value) {
			return false
		}
	}
	return true
}

// matchPath matches escaped path segments against the route and returns
// the decoded label values.
func (r *route) matchPath(segs []string) (map[string]string, bool) {
	if !r.greedy && len(r.segs) != len(segs) {
		return nil, false
	}
	for i, s := range r.segs {
		if s.greedy {
			break
		}
		if s.literal != "" && (i >= len(segs) || segs[i] != s.literal) {
			return nil, false
		}
	}
	labels := map[string]string{}
	i := 0
	for k, s := range r.segs {
		if s.greedy {
			// The greedy label takes what the literals after it leave.
			rest := len(r.segs) - k - 1
			n := len(segs) - i - rest
			if n < 1 {
				return nil, false
			}
			parts := make([]string, n)
			for j := range n {
				parts[j] = unescape(segs[i+j])
			}
			labels[s.label] = strings.Join(parts, "/")
			i += n
			continue
		}
		if i >= len(segs) {
			return nil, false
		}
		if s.literal != "" {
			if segs[i] != s.literal {
				return nil, false
			}
		} else {
			if segs[i] == "" {
				return nil, false
			}
			labels[s.label] = unescape(segs[i])
		}
		i++
	}
	return labels, i == len(segs)
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
