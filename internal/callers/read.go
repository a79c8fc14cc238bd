package callers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// The IAM actions of the reads, as AccessDenied names them.
const (
	ActionListMappings = "lambda:ListEventSourceMappings"
	ActionGetURL       = "lambda:GetFunctionUrlConfig"
	ActionGetPolicy    = "lambda:GetPolicy"
)

// MappingsAPI is the part of the Lambda client ReadMappings calls.
type MappingsAPI interface {
	ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
}

// FunctionAPI is the part of the Lambda client ReadFunction calls.
type FunctionAPI interface {
	GetFunctionUrlConfig(context.Context, *lambda.GetFunctionUrlConfigInput, ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error)
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// Mapping is one event source mapping as ListEventSourceMappings gives it.
type Mapping struct {
	UUID        string
	Source      string // EventSourceArn; "" for a self-managed source
	FunctionARN string // the function, version or alias it invokes
	State       string // Enabled, Disabled, Creating, Enabling, Disabling, Updating, Deleting
}

// Mappings is what ReadMappings found: the mappings, or the action the
// caller may not call.
type Mappings struct {
	List   []Mapping
	Denied string // the IAM action refused (AccessDenied); "" when read
	// Truncated is true when the listing stopped at maxMappingPages
	// pages: List is then the first of them.
	Truncated bool
}

// maxMappingPages bounds the listing: 100 mappings a page
// (https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html),
// so 10,000 mappings at most, read at the pacer's pace (10 s at 10 a
// second); past them the listing is reported as not all checked.
const maxMappingPages = 100

// ReadMappings lists the event source mappings of the account and Region,
// every page, once for every function of a run.
//
// It lists them all, not by FunctionName: Lambda's reference does not say
// whether a function's name alone lists the mappings of its versions and
// aliases too (it says a version or alias ARN lists theirs), and a path to
// $LATEST is only found for sure when nothing is filtered out. The judge
// keeps each function's own by the FunctionArn of each mapping.
// lambda:ListEventSourceMappings has no resource-level permission (its
// Resource is "*"), so listing them all needs no more than listing one
// function's.
// https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
func ReadMappings(ctx context.Context, c MappingsAPI) (Mappings, error) {
	var out Mappings
	in := &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(100)}
	for page := 0; ; page++ {
		if page == maxMappingPages {
			out.Truncated = true
			return out, nil
		}
		res, err := c.ListEventSourceMappings(ctx, in)
		switch {
		case denied(err):
			return Mappings{Denied: ActionListMappings}, nil
		case err != nil:
			return Mappings{}, fmt.Errorf("list event source mappings: %w", err)
		}
		for _, m := range res.EventSourceMappings {
			out.List = append(out.List, Mapping{
				UUID: aws.ToString(m.UUID), Source: aws.ToString(m.EventSourceArn),
				FunctionARN: aws.ToString(m.FunctionArn), State: aws.ToString(m.State),
			})
		}
		if aws.ToString(res.NextMarker) == "" {
			return out, nil
		}
		in.Marker = res.NextMarker
	}
}

// URL is one function URL as GetFunctionUrlConfig gives it.
type URL struct {
	URL         string
	FunctionARN string // the function ($LATEST) or the alias it serves
	AuthType    string // AWS_IAM or NONE
}

// Function is what ReadFunction found of one function.
type Function struct {
	URLs []URL
	// Policy is the resource policy of the unqualified function: "" for
	// none.
	Policy string
	// Denied are the IAM actions the caller may not call, whose reads are
	// therefore not checked.
	Denied []string
}

// ReadFunction reads, at once, the function URLs of the function ($LATEST)
// and of alias, and the resource policy of the unqualified function.
//
//   - A function URL is on $LATEST (no qualifier) or on an alias, never on
//     a version; GetFunctionUrlConfig reads one at a time
//     (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html).
//     Each is judged by the FunctionArn Lambda answers with.
//   - Lambda keeps one resource policy per function, version and alias, and
//     a grant on the unqualified function lets the grantee invoke the
//     unqualified ARN, which runs $LATEST
//     (https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html,
//     https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html).
//     Lambda "does not support adding policies to version $LATEST"
//     (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html),
//     so there is no policy of $LATEST's own to read.
//
// A missing URL or policy (ResourceNotFoundException) is none; a read the
// caller may not make (AccessDeniedException) is in Denied.
func ReadFunction(ctx context.Context, c FunctionAPI, function, alias string) (Function, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		out    Function
		errs   []error
		urls   = make([]*URL, 2)
		policy string
	)
	fail := func(action string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if denied(err) {
			if !slices.Contains(out.Denied, action) {
				out.Denied = append(out.Denied, action)
			}
			return
		}
		errs = append(errs, err)
	}
	for i, q := range []string{"", alias} {
		wg.Go(func() {
			in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(function)}
			what := "function URL of " + function
			if q != "" {
				in.Qualifier = aws.String(q)
				what += ":" + q
			}
			res, err := c.GetFunctionUrlConfig(ctx, in)
			switch {
			case notFound(err):
			case err != nil:
				fail(ActionGetURL, fmt.Errorf("get %s: %w", what, err))
			default:
				urls[i] = &URL{URL: aws.ToString(res.FunctionUrl), FunctionARN: aws.ToString(res.FunctionArn), AuthType: string(res.AuthType)}
			}
		})
	}
	wg.Go(func() {
		res, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(function)})
		switch {
		case notFound(err):
		case err != nil:
			fail(ActionGetPolicy, fmt.Errorf("get policy of %s: %w", function, err))
		default:
			policy = aws.ToString(res.Policy)
		}
	})
	wg.Wait()
	for _, u := range urls {
		// Both reads answer with the same URL where Lambda keeps one per
		// function (moto, or an alias read that Lambda answers for the
		// function): keep it once.
		if u != nil && !slices.ContainsFunc(out.URLs, func(x URL) bool { return x.URL == u.URL }) {
			out.URLs = append(out.URLs, *u)
		}
	}
	out.Policy = policy
	slices.Sort(out.Denied)
	if err := errors.Join(errs...); err != nil {
		return Function{}, err
	}
	return out, nil
}

// denied reports whether err is AWS refusing the caller the action. Lambda's
// API model has no modeled type for it; its code is AccessDeniedException
// (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html).
func denied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "AccessDenied")
}

func notFound(err error) bool {
	var nf *lambdatypes.ResourceNotFoundException
	return errors.As(err, &nf)
}
