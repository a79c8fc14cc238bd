package faultproxy

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
)

// Fault is what the proxy does to a request instead of, or after, passing
// it on. The zero Fault passes the request on untouched.
type Fault struct {
	kind  kind
	delay time.Duration // Delay
	err   apiError      // APIError
	after bool          // AfterForward
}

type kind int

const (
	kindNone kind = iota
	kindThrottle
	kindServerError
	kindUnavailable
	kindConflict
	kindPreconditionFailed
	kindAPIError
	kindReset
	kindDelay
)

// The faults. Each answers in the error shape of the service and protocol of
// the request, so the SDK turns it into the modeled error type.
var (
	// Throttle answers Lambda with 429 TooManyRequestsException, API Gateway
	// with 429 TooManyRequestsException, CloudWatch with 400
	// ThrottlingException (Throttling in its query protocol) and other
	// query protocol services with 400 Throttling. The SDK's retryer
	// retries all of them.
	Throttle = Fault{kind: kindThrottle}
	// ServerError answers 500: Lambda's ServiceException, CloudWatch's
	// InternalServiceFault where the operation declares it,
	// InternalFailure elsewhere.
	ServerError = Fault{kind: kindServerError}
	// Unavailable answers 503: API Gateway's ServiceUnavailableException
	// where the operation declares it, the common ServiceUnavailable
	// elsewhere.
	Unavailable = Fault{kind: kindUnavailable}
	// Conflict answers Lambda with 409 ResourceConflictException "An update
	// is in progress for resource: ...", other services with 409
	// ConflictException.
	Conflict = Fault{kind: kindConflict}
	// PreconditionFailed answers 412 PreconditionFailedException, Lambda's
	// answer to a RevisionId that is no longer the latest.
	PreconditionFailed = Fault{kind: kindPreconditionFailed}
	// Reset closes the connection without an answer: the client sees a
	// connection reset or EOF. Go's http.Transport itself resends a GET
	// reset on a kept-alive connection, below the SDK's retries, so such a
	// call reaches the proxy again (as the next attempt) even with
	// RetryMaxAttempts 1; inject Every to fail it for good.
	Reset = Fault{kind: kindReset}
)

// Delay waits d, or until the client gives up or the proxy closes, before
// passing the request on. With AfterForward it holds back moto's answer
// instead.
func Delay(d time.Duration) Fault { return Fault{kind: kindDelay, delay: d} }

// APIError answers with status and error code (an exception name such as
// ResourceNotFoundException) in the shape of the request's service.
func APIError(status int, code, message string) Fault {
	return Fault{kind: kindAPIError, err: apiError{status: status, code: code, message: message}}
}

// AfterForward passes the request on to moto first, so that it takes
// effect, and then does f in place of moto's answer: the change is applied
// but the client does not learn it.
func AfterForward(f Fault) Fault {
	f.after = true
	return f
}

// String names the fault as Record.Fault does: Throttle, Delay(2s),
// AfterForward(Reset), APIError(404 ResourceNotFoundException).
func (f Fault) String() string {
	var s string
	switch f.kind {
	case kindNone:
		s = "None"
	case kindThrottle:
		s = "Throttle"
	case kindServerError:
		s = "ServerError"
	case kindUnavailable:
		s = "Unavailable"
	case kindConflict:
		s = "Conflict"
	case kindPreconditionFailed:
		s = "PreconditionFailed"
	case kindAPIError:
		s = "APIError(" + strconv.Itoa(f.err.status) + " " + f.err.code + ")"
	case kindReset:
		s = "Reset"
	case kindDelay:
		s = "Delay(" + f.delay.String() + ")"
	}
	if f.after {
		s = "AfterForward(" + s + ")"
	}
	return s
}

// apiError is an error answer before it is put in a protocol's shape.
type apiError struct {
	status  int
	code    string // the exception name
	message string
	// queryCode is the awsQuery error code CloudWatch also sends, in the
	// X-Amzn-Query-Error header; "" for none.
	queryCode string
	reason    string // Lambda's Reason, for throttling
}

// sender is the party to blame in awsQuery terms.
func (e apiError) sender() string {
	if e.status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// errorFor is the answer fault f gives to a request of op. Where a service
// answers a kind of failure with an error only some operations declare
// (CloudWatch's InternalServiceFault, API Gateway's
// ServiceUnavailableException), call, the operation as AWS's model has it,
// decides: an operation that does not declare it answers the common error
// AWS documents for every operation (InternalFailure, ServiceUnavailable),
// https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html. With the
// judge off (call nil) the operation is taken to declare it.
func errorFor(f Fault, op Op, req *http.Request, call *awsmodel.Call) apiError {
	lambda := op.Service == "lambda"
	apigw := op.Service == "apigateway" || op.Service == "apigatewayv2"
	cloudwatch := op.Service == "cloudwatch"
	declares := func(name string) bool { return call == nil || call.Operation.Declares(name) }
	switch f.kind {
	case kindThrottle:
		switch {
		case lambda:
			return apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", message: "Rate exceeded", reason: "CallerRateLimitExceeded"}
		case apigw:
			return apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", message: "Too Many Requests"}
		case cloudwatch:
			// The common ThrottlingException, which CloudWatch's query
			// protocol spells Throttling:
			// https://repost.aws/knowledge-center/cloudwatch-400-error-throttling
			return apiError{status: http.StatusBadRequest, code: "ThrottlingException", message: "Rate exceeded", queryCode: "Throttling"}
		}
		// STS and IAM: https://repost.aws/knowledge-center/iam-sts-throttling-error
		return apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded", queryCode: "Throttling"}
	case kindServerError:
		switch {
		case lambda:
			return apiError{status: http.StatusInternalServerError, code: "ServiceException", message: "The service encountered an internal error"}
		case cloudwatch && declares("InternalServiceFault"):
			return apiError{status: http.StatusInternalServerError, code: "InternalServiceFault", message: "Internal service error", queryCode: "InternalServiceError"}
		case cloudwatch:
			return apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: internalFailure, queryCode: "InternalFailure"}
		}
		return apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: internalFailure}
	case kindUnavailable:
		if apigw && declares("ServiceUnavailableException") {
			return apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailableException", message: "Service Unavailable"}
		}
		e := apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable", message: "Service Unavailable"}
		if !lambda && !apigw {
			e.queryCode = "ServiceUnavailable"
		}
		return e
	case kindConflict:
		if lambda {
			return apiError{status: http.StatusConflict, code: "ResourceConflictException", message: "An update is in progress for resource: " + functionARN(req)}
		}
		return apiError{status: http.StatusConflict, code: "ConflictException", message: "Unable to complete operation due to concurrent modification. Please try again later."}
	case kindPreconditionFailed:
		return apiError{status: http.StatusPreconditionFailed, code: "PreconditionFailedException", message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	case kindAPIError:
		e := f.err
		if cloudwatch {
			e.queryCode = e.code
		}
		return e
	}
	panic(fmt.Sprintf("faultproxy: no error for fault %v", f))
}

// internalFailure is the message of the common InternalFailure.
const internalFailure = "The request processing has failed because of an unknown error, exception or failure"

// defaultAccount is the account moto answers for, used when a request names
// a function without its ARN.
const defaultAccount = "123456789012"

// functionARN is the unqualified ARN of the function a Lambda request
// names in its path.
func functionARN(r *http.Request) string {
	segs := splitPath(r.URL.EscapedPath())
	if len(segs) < 3 || segs[1] != "functions" {
		return "arn:aws:lambda"
	}
	fn := label(segs, 2)
	if strings.HasPrefix(fn, "arn:") {
		return fn
	}
	region := credentialScope(r.Header.Get("Authorization")).region
	if region == "" {
		region = "us-east-1"
	}
	return "arn:aws:lambda:" + region + ":" + defaultAccount + ":function:" + fn
}

// writeError answers w with e in the shape protocol p of op's service
// expects, and returns the status.
func writeError(w http.ResponseWriter, p protocol, op Op, e apiError, requestID string) int {
	h := w.Header()
	var body []byte
	switch p {
	case awsQuery:
		h.Set("Content-Type", "text/xml")
		type errorXML struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		type responseXML struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Error     errorXML `xml:"Error"`
			RequestID string   `xml:"RequestId"`
		}
		code := e.code
		if e.queryCode != "" {
			code = e.queryCode
		}
		body, _ = xml.Marshal(responseXML{Error: errorXML{Type: e.sender(), Code: code, Message: e.message}, RequestID: requestID})
		body = append([]byte(xml.Header), body...)
	case rpcv2CBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		body = smithycbor.Encode(smithycbor.Map{
			"__type":  smithycbor.String(e.code),
			"message": smithycbor.String(e.message),
		})
	case awsJSON:
		h.Set("Content-Type", "application/x-amz-json-1.0")
		body = mustJSON(map[string]string{"__type": e.code, "message": e.message})
	default: // restJSON
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", e.code)
		m := map[string]string{"__type": e.code, "message": e.message}
		if op.Service == "lambda" {
			m["Type"] = "User"
			if e.status >= 500 {
				m["Type"] = "Service"
			}
			if e.reason != "" {
				m["Reason"] = e.reason
			}
		}
		body = mustJSON(m)
	}
	if e.queryCode != "" && (p == awsJSON || p == rpcv2CBOR) {
		h.Set("X-Amzn-Query-Error", e.queryCode+";"+e.sender())
	}
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
	return e.status
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
