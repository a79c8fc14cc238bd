// Package lambdaarn names a Lambda function the ways a promotion needs: its
// ARN with or without a qualifier, the alias ARN, the execute-api source ARN
// API Gateway invokes it with, and the DNS and console domains of its
// partition. ARNs are parsed with the SDK's aws/arn, and DNS suffixes come
// from the SDK's own partition data, so new partitions need no change here.
package lambdaarn

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Latest is Lambda's name for the unpublished version.
const Latest = "$LATEST"

// Function is an unqualified Lambda function ARN:
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME.
type Function struct {
	Partition string // aws, aws-cn, aws-us-gov, aws-eusc, aws-iso, …
	Region    string
	Account   string
	Name      string
}

// Parse reads a function ARN with or without a qualifier (a version or an
// alias): arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
// See https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
// for the function, version and alias ARN forms.
func Parse(s string) (fn Function, qualifier string, err error) {
	a, err := arn.Parse(s)
	if err != nil {
		return Function{}, "", fmt.Errorf("%q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME): %w", s, err)
	}
	kind, rest, _ := strings.Cut(a.Resource, ":")
	name, qualifier, qualified := strings.Cut(rest, ":")
	switch {
	case a.Service != "lambda" || kind != "function":
		err = errors.New("not a function")
	case a.Partition == "" || a.Region == "" || a.AccountID == "" || name == "":
		err = errors.New("a part is empty")
	case qualified && (qualifier == "" || strings.Contains(qualifier, ":")):
		err = errors.New("bad qualifier")
	}
	if err != nil {
		return Function{}, "", fmt.Errorf("%q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME): %w", s, err)
	}
	return Function{Partition: a.Partition, Region: a.Region, Account: a.AccountID, Name: name}, qualifier, nil
}

// MustParse is Parse for ARNs known to be good, such as those Lambda returns;
// it panics on a bad one.
func MustParse(s string) Function {
	fn, _, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return fn
}

// NameOf is the function name in a name, a partial ARN (ACCOUNT:function:NAME)
// or a full ARN, with any qualifier left out.
func NameOf(s string) string {
	if fn, _, err := Parse(s); err == nil {
		return fn.Name
	}
	if _, rest, ok := strings.Cut(s, ":function:"); ok {
		name, _, _ := strings.Cut(rest, ":")
		return name
	}
	return s
}

// IsZero reports whether f names nothing.
func (f Function) IsZero() bool { return f == Function{} }

// String is the unqualified function ARN.
func (f Function) String() string {
	return arn.ARN{Partition: f.Partition, Service: "lambda", Region: f.Region, AccountID: f.Account, Resource: "function:" + f.Name}.String()
}

// Qualified is the ARN of a version or alias of the function; with an empty
// qualifier it is the unqualified ARN.
func (f Function) Qualified(qualifier string) string {
	if qualifier == "" {
		return f.String()
	}
	return f.String() + ":" + qualifier
}

// SourceARN is the execute-api ARN API Gateway invokes the function with, for
// API apiID and the resource path after it: "" for the API itself,
// "STAGE/METHOD/PATH" for a route, "authorizers/ID" for an authorizer.
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
func (f Function) SourceARN(apiID, path string) string {
	res := apiID
	if path != "" {
		res += "/" + strings.TrimPrefix(path, "/")
	}
	return arn.ARN{Partition: f.Partition, Service: "execute-api", Region: f.Region, AccountID: f.Account, Resource: res}.String()
}

// DNSSuffix is the DNS domain of the function's region, "amazonaws.com" in
// the commercial partition, taken from the SDK's partition data through
// Lambda's endpoint rules (the endpoint is lambda.REGION.SUFFIX).
func (f Function) DNSSuffix() string { return DNSSuffix(f.Region) }

// DNSSuffix is the DNS domain of a region's partition, from the SDK's
// partition data; "amazonaws.com" when the rules give no regional endpoint.
func DNSSuffix(region string) string {
	ep, err := lambda.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), lambda.EndpointParameters{Region: aws.String(region)})
	if err == nil {
		if suffix, ok := strings.CutPrefix(ep.URI.Hostname(), "lambda."+region+"."); ok && suffix != "" {
			return suffix
		}
	}
	return "amazonaws.com"
}

// InvokeURL is the URL that calls stage of API apiID in the function's region:
// https://APIID.execute-api.REGION.SUFFIX/STAGE; an HTTP API's $default stage
// has no path. See
// https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html
func (f Function) InvokeURL(apiID, stage string, defaultStage bool) string {
	u := "https://" + apiID + ".execute-api." + f.Region + "." + f.DNSSuffix()
	if defaultStage {
		return u + "/"
	}
	return u + "/" + url.PathEscape(stage)
}

// consoleDomains are the AWS console's domains where a partition has a
// public one. The SDK's partition data does not carry console domains.
var consoleDomains = map[string]string{
	"aws":        "console.aws.amazon.com",
	"aws-cn":     "console.amazonaws.cn",
	"aws-us-gov": "console.amazonaws-us-gov.com",
	"aws-eusc":   "console.amazonaws-eusc.eu",
}

// Console is the base URL of the AWS console for the function's region, e.g.
// https://eu-west-1.console.aws.amazon.com; "" in a partition without a
// public console (the ISO partitions).
func (f Function) Console() string {
	domain, ok := consoleDomains[f.Partition]
	if !ok {
		return ""
	}
	return "https://" + f.Region + "." + domain
}
