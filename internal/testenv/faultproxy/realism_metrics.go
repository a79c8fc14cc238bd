package faultproxy

import (
	"net/http"
	"strconv"
	"time"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
)

// metricDelay is how long a request of op is held back before it reaches
// moto, or 0. Lambda sends its metrics to CloudWatch in 1-minute intervals,
// so a datapoint is in CloudWatch only some time after the invocations it
// counts; CloudWatch itself does not promise when a datapoint it accepted
// becomes available to GetMetricData.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
func (p *Proxy) metricDelay(op Op, proto protocol) time.Duration {
	if op.Service != "cloudwatch" || op.Name != "PutMetricData" || proto == restJSON {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.real.cfg.MetricDelay
}

// holdMetrics answers a PutMetricData with success at once and passes it on
// to moto after delay, unless the proxy closes first, then calls
// delivered if moto took it. The datapoints keep the timestamps the request
// gives them.
func (p *Proxy) holdMetrics(w http.ResponseWriter, r *http.Request, proto protocol, body []byte, rec *Record, requestID string, delay time.Duration, delivered func()) {
	later := r.Clone(p.ctx)
	p.mu.Lock()
	p.real.stats.MetricsHeld++
	p.mu.Unlock()
	p.held.Go(func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.ctx.Done():
			p.done(rec, func(rec *Record) { rec.Err = "proxy closed while the metrics were held" })
			return
		}
		resp, _, err := p.forward(later, body)
		if err != nil {
			p.done(rec, func(rec *Record) { rec.Err = "pass on held metrics: " + err.Error() })
			return
		}
		if resp.StatusCode/100 == 2 {
			delivered()
		}
		p.done(rec, func(rec *Record) {
			rec.Forwarded, rec.Upstream = true, resp.StatusCode
			p.real.stats.MetricsDelivered++
		})
	})

	status := writeAccepted(w, proto, requestID)
	p.done(rec, func(rec *Record) { rec.Status, rec.Realism = status, "MetricHeld" })
}

// writeAccepted answers an empty PutMetricData success in the shape of
// protocol proto.
func writeAccepted(w http.ResponseWriter, proto protocol, requestID string) int {
	h := w.Header()
	var body []byte
	switch proto {
	case awsQuery:
		h.Set("Content-Type", "text/xml")
		body = []byte(`<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>` +
			requestID + `</RequestId></ResponseMetadata></PutMetricDataResponse>`)
	case rpcv2CBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		body = smithycbor.Encode(smithycbor.Map{})
	default: // awsJSON
		h.Set("Content-Type", "application/x-amz-json-1.0")
		body = []byte("{}")
	}
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return http.StatusOK
}
