package faultproxy

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CloudWatch computes percentile statistics (p99, p95.5) from the raw
// values of a metric: those sent one by one (Value) or as a Values array
// with Counts, which "supports retrieving percentile statistics on this
// data" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
// A statistic set gives a percentile only when its SampleCount is 1 or its
// Minimum equals its Maximum, and no percentile exists for a period with a
// negative value
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html).
// GetMetricData takes a percentile as a MetricStat's Stat, "any CloudWatch
// statistic or extended statistic"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html).
//
// moto 5.x answers a GetMetricData query with such a Stat with a 500, and
// keeps each value of a Values array as a datapoint of its own, which
// slows every later query. With Realism.Percentiles the proxy keeps the
// raw values of every PutMetricData it passes on (AWS JSON protocol, as
// the action and the tests speak it), passes moto a statistic set of each
// Values array instead (moto answers Sum, SampleCount, Average, Minimum and
// Maximum from it), and answers the percentile queries of a GetMetricData
// itself, the other queries from moto, in one answer. The raw values
// belong to the upstream: every proxy in front of the same moto server
// shares them, as every client of CloudWatch sees the same metrics. A
// percentile is the nearest-rank value (the smallest value with at least
// p % of the period's values at or below it); CloudWatch does not document
// its interpolation.

// percentileStat is CloudWatch's pNN.NN extended statistic.
var percentileStat = regexp.MustCompile(`^p([0-9]{1,2}(?:\.[0-9]{1,2})?|100)$`)

// rawValues are the raw values of one metric, as delivered.
type rawValues struct {
	at     time.Time
	values []float64
	counts []float64
	// noPercentile marks a statistic set CloudWatch computes no
	// percentile from.
	noPercentile bool
}

// percentileStore is the raw values of every metric delivered to one
// upstream, by metric key (see metricKey).
type percentileStore struct {
	mu      sync.Mutex
	metrics map[string][]rawValues
}

// stores holds one percentileStore per upstream URL.
var stores sync.Map

func storeFor(target string) *percentileStore {
	s, _ := stores.LoadOrStore(target, &percentileStore{metrics: map[string][]rawValues{}})
	return s.(*percentileStore)
}

// percentilesOn reports whether the proxy answers percentiles itself.
func (p *Proxy) percentilesOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.real.cfg.Percentiles
}

// wireDimension, wireMetric and wireDatum are the AWS JSON shapes of
// CloudWatch's Dimension, Metric and MetricDatum.
type wireDimension struct {
	Name, Value string
}

type wireMetric struct {
	Namespace, MetricName string
	Dimensions            []wireDimension
}

// metricKey names a metric as CloudWatch does: namespace, name and the
// exact set of dimensions, in any order.
func metricKey(namespace, name string, dims []wireDimension) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = d.Name + "=" + d.Value
	}
	slices.Sort(parts)
	return namespace + "|" + name + "|" + strings.Join(parts, ",")
}

// epoch reads an AWS JSON timestamp: seconds since 1970, with a fraction.
func epoch(n json.Number) (time.Time, bool) {
	f, err := n.Float64()
	if err != nil || n == "" {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// splitValues reads a PutMetricData body: it returns the raw values to
// keep, by metric key, and the body to pass on to moto, in which each
// Values array is a statistic set. A body it cannot read is passed on as
// it is, with nothing kept.
func splitValues(body []byte, now time.Time) ([]byte, map[string][]rawValues) {
	var in map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return body, nil
	}
	ns, _ := in["Namespace"].(string)
	data, _ := in["MetricData"].([]any)
	kept := map[string][]rawValues{}
	rewritten := false
	for _, d := range data {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		var datum struct {
			MetricName      string
			Dimensions      []wireDimension
			Timestamp       json.Number
			Value           *json.Number
			Values, Counts  []json.Number
			StatisticValues *struct{ SampleCount, Sum, Minimum, Maximum json.Number }
		}
		raw, _ := json.Marshal(m)
		if json.Unmarshal(raw, &datum) != nil {
			continue
		}
		at, ok := epoch(datum.Timestamp)
		if !ok {
			at = now.UTC()
		}
		rv := rawValues{at: at}
		switch {
		case len(datum.Values) > 0:
			var n, sum float64
			lo, hi := math.Inf(1), math.Inf(-1)
			for i, v := range datum.Values {
				f, _ := v.Float64()
				c := 1.0
				if i < len(datum.Counts) {
					c, _ = datum.Counts[i].Float64()
				}
				rv.values, rv.counts = append(rv.values, f), append(rv.counts, c)
				n, sum, lo, hi = n+c, sum+f*c, min(lo, f), max(hi, f)
			}
			delete(m, "Values")
			delete(m, "Counts")
			m["StatisticValues"] = map[string]float64{"SampleCount": n, "Sum": sum, "Minimum": lo, "Maximum": hi}
			rewritten = true
		case datum.StatisticValues != nil:
			sv := datum.StatisticValues
			n, _ := sv.SampleCount.Float64()
			lo, _ := sv.Minimum.Float64()
			hi, _ := sv.Maximum.Float64()
			if n == 1 || lo == hi {
				rv.values, rv.counts = []float64{lo}, []float64{n}
			} else {
				rv.noPercentile = true
			}
		case datum.Value != nil:
			f, _ := datum.Value.Float64()
			rv.values, rv.counts = []float64{f}, []float64{1}
		default:
			continue
		}
		k := metricKey(ns, datum.MetricName, datum.Dimensions)
		kept[k] = append(kept[k], rv)
	}
	if !rewritten {
		return body, kept
	}
	out, err := json.Marshal(in)
	if err != nil {
		return body, kept
	}
	return out, kept
}

// keep adds delivered raw values to the store.
func (s *percentileStore) keep(kept map[string][]rawValues) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, rvs := range kept {
		s.metrics[k] = append(s.metrics[k], rvs...)
	}
}

// percentile is the nearest-rank p-th percentile of the raw values at
// times in [from, to), and whether CloudWatch has one.
func (s *percentileStore) percentile(key string, p float64, from, to time.Time) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type vc struct{ v, c float64 }
	var all []vc
	total := 0.0
	for _, rv := range s.metrics[key] {
		if rv.at.Before(from) || !rv.at.Before(to) {
			continue
		}
		if rv.noPercentile {
			return 0, false
		}
		for i, v := range rv.values {
			if v < 0 {
				return 0, false
			}
			all = append(all, vc{v, rv.counts[i]})
			total += rv.counts[i]
		}
	}
	if total <= 0 {
		return 0, false
	}
	slices.SortFunc(all, func(a, b vc) int { return cmpFloat(a.v, b.v) })
	rank := math.Max(1, math.Ceil(p/100*total-1e-9))
	seen := 0.0
	for _, x := range all {
		seen += x.c
		if seen >= rank {
			return x.v, true
		}
	}
	return all[len(all)-1].v, true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// answerPercentiles answers a GetMetricData (AWS JSON) with percentile
// queries: those from the store, the others from moto. It reports whether
// it answered; a request without a percentile query is left to serve.
func (p *Proxy) answerPercentiles(w http.ResponseWriter, r *http.Request, body []byte, rec *Record) bool {
	var in map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&in) != nil {
		return false
	}
	queries, _ := in["MetricDataQueries"].([]any)
	var mine, theirs []any
	for _, q := range queries {
		if stat := queryStat(q); percentileStat.MatchString(stat) {
			mine = append(mine, q)
		} else {
			theirs = append(theirs, q)
		}
	}
	if len(mine) == 0 {
		return false
	}
	var times struct{ StartTime, EndTime json.Number }
	_ = json.Unmarshal(body, &times)
	start, okStart := epoch(times.StartTime)
	end, okEnd := epoch(times.EndTime)
	if !okStart || !okEnd || !end.After(start) {
		return false // moto says what is wrong with it
	}
	descending := in["ScanBy"] != "TimestampAscending"

	// Moto's part first, as the client would have had it.
	answer := map[string]any{"MetricDataResults": []any{}}
	header := http.Header{"Content-Type": {"application/x-amz-json-1.0"}}
	status := http.StatusOK
	if len(theirs) > 0 {
		in["MetricDataQueries"] = theirs
		fwd, _ := json.Marshal(in)
		resp, respBody, err := p.forward(r, fwd)
		if err != nil {
			p.done(rec, func(rec *Record) { rec.Err = err.Error() })
			http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
			return true
		}
		p.done(rec, func(rec *Record) { rec.Forwarded, rec.Upstream = true, resp.StatusCode })
		if resp.StatusCode/100 != 2 || json.Unmarshal(respBody, &answer) != nil {
			writeAnswer(w, resp.Header, resp.StatusCode, respBody)
			p.done(rec, func(rec *Record) { rec.Status = resp.StatusCode })
			return true
		}
		header = resp.Header
	}
	results, _ := answer["MetricDataResults"].([]any)
	store := storeFor(p.target.String())
	for _, q := range mine {
		if res := store.result(q, start, end, descending); res != nil {
			results = append(results, res)
		}
	}
	answer["MetricDataResults"] = results
	out, _ := json.Marshal(answer)
	writeAnswer(w, header, status, out)
	p.done(rec, func(rec *Record) { rec.Status, rec.Realism = status, "Percentiles" })
	return true
}

// queryStat is the Stat of a MetricDataQuery's MetricStat, or "".
func queryStat(q any) string {
	m, _ := q.(map[string]any)
	ms, _ := m["MetricStat"].(map[string]any)
	s, _ := ms["Stat"].(string)
	return s
}

// result is the MetricDataResult of a percentile query: one value per
// period from start that has one, as CloudWatch answers; nil when the
// query does not ask for its data back.
func (s *percentileStore) result(q any, start, end time.Time, descending bool) map[string]any {
	var query struct {
		ID         string `json:"Id"`
		Label      string
		ReturnData *bool
		MetricStat struct {
			Metric wireMetric
			Period int
			Stat   string
		}
	}
	raw, _ := json.Marshal(q)
	_ = json.Unmarshal(raw, &query)
	if query.ReturnData != nil && !*query.ReturnData {
		return nil
	}
	ms := query.MetricStat
	pct, _ := strconv.ParseFloat(strings.TrimPrefix(ms.Stat, "p"), 64)
	period := time.Duration(max(ms.Period, 1)) * time.Second
	key := metricKey(ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions)
	timestamps, values := []float64{}, []float64{}
	for from := start; from.Before(end); from = from.Add(period) {
		if v, ok := s.percentile(key, pct, from, from.Add(period)); ok {
			timestamps = append(timestamps, float64(from.Unix()))
			values = append(values, v)
		}
	}
	if descending {
		slices.Reverse(timestamps)
		slices.Reverse(values)
	}
	label := query.Label
	if label == "" {
		label = ms.Metric.MetricName + " " + ms.Stat
	}
	return map[string]any{"Id": query.ID, "Label": label, "Timestamps": timestamps, "Values": values, "StatusCode": "Complete"}
}

// writeAnswer writes an answer to the client with the end-to-end headers
// of header.
func writeAnswer(w http.ResponseWriter, header http.Header, status int, body []byte) {
	h := w.Header()
	for k, vs := range header {
		if !hopByHop(k) {
			h[k] = vs
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
