package awsmodel

// The errors AWS documents as common to the API actions of every service,
// which no operation's model lists. Each service's API reference carries
// the same list on its Common Errors page:
// https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
// https://docs.aws.amazon.com/apigateway/latest/api/CommonErrors.html
// https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/CommonErrors.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
// The value is the HTTP status the page gives.
var commonErrors = map[string]int{
	"AccessDeniedException":          403,
	"ExpiredTokenException":          403,
	"IncompleteSignature":            403,
	"InternalFailure":                500,
	"MalformedHttpRequestException":  400,
	"NotAuthorized":                  401,
	"OptInRequired":                  403,
	"RequestAbortedException":        400,
	"RequestEntityTooLargeException": 413,
	"RequestExpired":                 400,
	"RequestTimeoutException":        408,
	"ServiceUnavailable":             503,
	"ThrottlingException":            400,
	"UnrecognizedClientException":    403,
	"UnknownOperationException":      404,
	"ValidationError":                400,
}

// queryCommonErrors are the common errors the pages of query protocol
// services list besides those (the IAM and SNS references, which share the
// list: https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html),
// and the code query protocol services throttle with, which AWS quotes for
// CloudWatch, "<Code>Throttling</Code> <Message>Rate exceeded</Message>"
// (https://repost.aws/knowledge-center/cloudwatch-400-error-throttling),
// and for IAM and STS, "Throttling: Rate exceeded, status code: 400"
// (https://repost.aws/knowledge-center/iam-sts-throttling-error).
// They apply to the query protocol and to X-Amzn-Query-Error, the query
// code a query-compatible JSON service sends besides its own.
var queryCommonErrors = map[string]int{
	"InvalidAction":               400,
	"InvalidClientTokenId":        403,
	"InvalidParameterCombination": 400,
	"InvalidParameterValue":       400,
	"InvalidQueryParameter":       400,
	"MalformedQueryString":        404,
	"MissingAction":               400,
	"MissingAuthenticationToken":  403,
	"MissingParameter":            400,
	"Throttling":                  400,
}

// commonStatus is the documented status of common error code; query
// says whether the code is a query protocol one (an awsQuery answer's
// Code, or X-Amzn-Query-Error).
func commonStatus(code string, query bool) (int, bool) {
	if st, ok := commonErrors[code]; ok {
		return st, true
	}
	if query {
		st, ok := queryCommonErrors[code]
		return st, ok
	}
	return 0, false
}
