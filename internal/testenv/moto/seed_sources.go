package moto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The sources that invoke a function through a grant of its resource
// policy, as S3, SNS and EventBridge triggers are set up: a bucket whose
// notification configuration names the function, a topic with a lambda
// subscription, a rule with the function as its target. The module has no
// clients of these services, so each request is made and signed here.

// Bucket creates S3 bucket name with a notification configuration that
// sends its object-created events to the function (or alias) ARN target,
// and returns the bucket's ARN.
func (s *Server) Bucket(ctx context.Context, name, target string) (string, error) {
	if _, err := s.send(ctx, "s3", http.MethodPut, "/"+name, "", "", nil); err != nil {
		return "", fmt.Errorf("create bucket %s: %w", name, err)
	}
	var b bytes.Buffer
	b.WriteString(`<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CloudFunctionConfiguration><Id>invoke</Id><CloudFunction>`)
	if err := xmlEscape(&b, target); err != nil {
		return "", err
	}
	b.WriteString(`</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>`)
	if _, err := s.send(ctx, "s3", http.MethodPut, "/"+name+"?notification", "application/xml", "", b.Bytes()); err != nil {
		return "", fmt.Errorf("put the notification configuration of bucket %s: %w", name, err)
	}
	return "arn:aws:s3:::" + name, nil
}

// BucketNotification is the notification configuration of bucket name, as
// S3 answers it (XML).
func (s *Server) BucketNotification(ctx context.Context, name string) (string, error) {
	b, err := s.send(ctx, "s3", http.MethodGet, "/"+name+"?notification", "", "", nil)
	if err != nil {
		return "", fmt.Errorf("get the notification configuration of bucket %s: %w", name, err)
	}
	return string(b), nil
}

// Topic creates SNS topic name with a lambda subscription to endpoint, a
// function or alias ARN, and returns the topic's ARN.
func (s *Server) Topic(ctx context.Context, name, endpoint string) (string, error) {
	if _, err := s.query(ctx, "sns", url.Values{"Action": {"CreateTopic"}, "Version": {"2010-03-31"}, "Name": {name}}); err != nil {
		return "", fmt.Errorf("create topic %s: %w", name, err)
	}
	arn := s.TopicARN(name)
	if _, err := s.query(ctx, "sns", url.Values{"Action": {"Subscribe"}, "Version": {"2010-03-31"}, "TopicArn": {arn}, "Protocol": {"lambda"}, "Endpoint": {endpoint}}); err != nil {
		return "", fmt.Errorf("subscribe %s to topic %s: %w", endpoint, name, err)
	}
	return arn, nil
}

// TopicARN is the ARN of SNS topic name on this server.
func (s *Server) TopicARN(name string) string {
	return "arn:aws:sns:" + s.Region + ":" + s.AccountID + ":" + name
}

// Subscriptions is what ListSubscriptionsByTopic answers for topicARN (XML).
func (s *Server) Subscriptions(ctx context.Context, topicARN string) (string, error) {
	b, err := s.query(ctx, "sns", url.Values{"Action": {"ListSubscriptionsByTopic"}, "Version": {"2010-03-31"}, "TopicArn": {topicARN}})
	if err != nil {
		return "", fmt.Errorf("list the subscriptions of %s: %w", topicARN, err)
	}
	return string(b), nil
}

// Rule creates EventBridge rule name on the default bus, on a schedule,
// with target (a function or alias ARN) as its one target, and returns the
// rule's ARN.
func (s *Server) Rule(ctx context.Context, name, target string) (string, error) {
	if _, err := s.events(ctx, "PutRule", map[string]any{"Name": name, "ScheduleExpression": "rate(5 minutes)"}); err != nil {
		return "", fmt.Errorf("put rule %s: %w", name, err)
	}
	if _, err := s.events(ctx, "PutTargets", map[string]any{"Rule": name, "Targets": []map[string]string{{"Id": "invoke", "Arn": target}}}); err != nil {
		return "", fmt.Errorf("put the target of rule %s: %w", name, err)
	}
	return "arn:aws:events:" + s.Region + ":" + s.AccountID + ":rule/" + name, nil
}

// RuleTargets is what ListTargetsByRule answers for rule name (JSON).
func (s *Server) RuleTargets(ctx context.Context, name string) (string, error) {
	b, err := s.events(ctx, "ListTargetsByRule", map[string]any{"Rule": name})
	if err != nil {
		return "", fmt.Errorf("list the targets of rule %s: %w", name, err)
	}
	return string(b), nil
}

// InvokesOnly reports whether doc, what a source answers for what it
// invokes (BucketNotification, Subscriptions or RuleTargets: XML or JSON),
// names alias of the function functionARN (its unqualified ARN) and not
// the unqualified function, whose ARN would end a value there at a tag or
// a quote.
func InvokesOnly(doc, functionARN, alias string) bool {
	return strings.Contains(doc, functionARN+":"+alias) &&
		!strings.Contains(doc, functionARN+"<") && !strings.Contains(doc, functionARN+`"`)
}

func (s *Server) query(ctx context.Context, service string, form url.Values) ([]byte, error) {
	return s.send(ctx, service, http.MethodPost, "/", "application/x-www-form-urlencoded; charset=utf-8", "", []byte(form.Encode()))
}

func (s *Server) events(ctx context.Context, op string, in any) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return s.send(ctx, "events", http.MethodPost, "/", "application/x-amz-json-1.1", "AWSEvents."+op, body)
}

// send makes one request of service (its signing name) to the server,
// signed, and returns the body of a 2xx answer; any other is an error with
// the status and the start of the body.
func (s *Server) send(ctx context.Context, service, method, path, contentType, target string, body []byte) ([]byte, error) {
	status, b, err := s.signed(ctx, service, method, path, contentType, target, body)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d: %s", method, path, status, strings.TrimSpace(string(b[:min(len(b), 512)])))
	}
	return b, nil
}

// signed makes one request of service to the server, signed with the
// server's test credentials, and returns the status and the body.
func (s *Server) signed(ctx context.Context, service, method, path, contentType, target string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	sum := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	creds, err := s.AWSConfig().Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, s.Region, time.Now()); err != nil {
		return 0, nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

func xmlEscape(w io.Writer, s string) error { return xml.EscapeText(w, []byte(s)) }
