package moto

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// The seeds of what calls a function besides its alias: an SQS queue and
// its event source mapping, a function URL, a grant of the resource policy.
// A mapping on an alias and a URL on an alias are what moto cannot keep
// (it resolves the alias to its version, and keeps one URL per function):
// make them through a client of the fault proxy's realism layer
// (faultproxy.Realism.MappingQualifiers, URLPerQualifier), which keeps
// them as Lambda does. The others can go to moto directly (s.Lambda()).

// QueueARN is the ARN of SQS queue name on this server.
func (s *Server) QueueARN(name string) string {
	return "arn:aws:sqs:" + s.Region + ":" + s.AccountID + ":" + name
}

// CreateQueue creates an SQS queue and returns its ARN. The module has no
// SQS client; SQS takes the query protocol, a signed form post.
func (s *Server) CreateQueue(ctx context.Context, name string) (string, error) {
	form := url.Values{"Action": {"CreateQueue"}, "Version": {"2012-11-05"}, "QueueName": {name}}
	status, msg, err := s.postQuery(ctx, "sqs", form.Encode())
	switch {
	case err != nil:
		return "", fmt.Errorf("create queue %s: %w", name, err)
	case status/100 != 2:
		return "", fmt.Errorf("create queue %s: %d: %s", name, status, msg)
	}
	return s.QueueARN(name), nil
}

// MapQueue creates an event source mapping from SQS queue queueARN to
// function, a name with or without a qualifier (fn, fn:prod, fn:3), through
// lc, and returns its UUID.
func (s *Server) MapQueue(ctx context.Context, lc *lambda.Client, queueARN, function string) (string, error) {
	out, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(queueARN),
		FunctionName:   aws.String(function),
		BatchSize:      aws.Int32(10),
	})
	if err != nil {
		return "", fmt.Errorf("map queue %s to %s: %w", queueARN, function, err)
	}
	return aws.ToString(out.UUID), nil
}

// CreateFunctionURL creates a function URL for fn ($LATEST when qualifier
// is "", else the alias) through lc, with auth type AWS_IAM or NONE, and
// returns its address.
func (s *Server) CreateFunctionURL(ctx context.Context, lc *lambda.Client, fn, qualifier, authType string) (string, error) {
	in := &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(fn), AuthType: lambdatypes.FunctionUrlAuthType(authType)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := lc.CreateFunctionUrlConfig(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create function url of %s:%s: %w", fn, qualifier, err)
	}
	return aws.ToString(out.FunctionUrl), nil
}

// Grant adds a statement sid to the resource policy of fn (qualifier ""
// for the unqualified function) that lets principal, a service such as
// s3.amazonaws.com or an account id, invoke it, from sourceARN and
// sourceAccount when given, as S3, SNS and EventBridge triggers are set up.
func (s *Server) Grant(ctx context.Context, fn, qualifier, sid, principal, sourceARN, sourceAccount string) error {
	in := &lambda.AddPermissionInput{
		FunctionName: aws.String(fn),
		StatementId:  aws.String(sid),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String(principal),
	}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if sourceARN != "" {
		in.SourceArn = aws.String(sourceARN)
	}
	if sourceAccount != "" {
		in.SourceAccount = aws.String(sourceAccount)
	}
	if _, err := s.Lambda().AddPermission(ctx, in); err != nil {
		return fmt.Errorf("grant %s invoke on %s:%s: %w", principal, fn, qualifier, err)
	}
	return nil
}
