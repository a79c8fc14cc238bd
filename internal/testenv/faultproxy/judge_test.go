package faultproxy_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// judged is a proxy made with New, not NewT, so that the violations a test
// provokes on purpose do not fail it: the test reads them itself.
func judged(t *testing.T, s *moto.Server) *faultproxy.Proxy {
	t.Helper()
	awsmodel.Required(t)
	p, err := faultproxy.New(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func problems(vs []faultproxy.ModelViolation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("\n" + v.String())
	}
	return b.String()
}

// TestJudgeRequest sends requests the real SDK encodes but AWS's model
// refuses, through the proxy, and sees each reported with its operation
// and member.
func TestJudgeRequest(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("judged"))
	fn := aws.String(w.Function)
	tests := []struct {
		name         string
		call         func(c clients) error
		op, member   string
		wantInReport string
	}{
		{"a weight above 1", func(c clients) error {
			_, err := c.lambda.UpdateAlias(t.Context(), &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("prod"), FunctionVersion: aws.String("1"),
				RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1.5}}})
			return err
		}, "lambda.UpdateAlias", `RoutingConfig.AdditionalVersionWeights["2"]`, "Weight is at most 1, not 1.5"},
		{"an alias named by a number", func(c clients) error {
			_, err := c.lambda.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("42")})
			return err
		}, "lambda.GetAlias", "Name", `"42" does not match the pattern of Alias`},
		{"a description too long", func(c clients) error {
			_, err := c.lambda.PublishVersion(t.Context(), &lambda.PublishVersionInput{FunctionName: fn, Description: aws.String(strings.Repeat("x", 300))})
			return err
		}, "lambda.PublishVersion", "Description", "Description has at most 256 characters, not 300"},
		{"a function name with a space", func(c clients) error {
			_, err := c.lambda.GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders api")})
			return err
		}, "lambda.GetFunctionConfiguration", "FunctionName", `"orders api" does not match the pattern of NamespacedFunctionName`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := judged(t, s)
			_ = tt.call(newClients(s, p, 1)) // moto may take it; the judge does not
			r := p.ModelReport()
			for _, v := range r.Requests {
				if v.Source == "request" && v.Problem.Operation == tt.op && v.Problem.Member == tt.member && strings.Contains(v.Problem.Message, tt.wantInReport) {
					return
				}
			}
			t.Errorf("request violations:%s\nwant %s member %s: %s", problems(r.Requests), tt.op, tt.member, tt.wantInReport)
		})
	}
}

// TestJudgeAnswer injects answers AWS's model does not allow and sees each
// reported as the proxy's own, with the operation and what is wrong; an
// answer the model allows is not.
func TestJudgeAnswer(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("judged"))
	fn := aws.String(w.Function)
	getAlias := func(c clients) error {
		_, err := c.lambda.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("prod")})
		return err
	}
	tests := []struct {
		name  string
		op    string
		fault faultproxy.Fault
		call  func(c clients) error
		want  string // "" for an answer the model allows
	}{
		{"an error the operation does not declare", "GetAlias", faultproxy.Conflict, getAlias,
			"lambda.GetAlias response (error): ResourceConflictException is an error of lambda, but GetAlias does not declare it"},
		{"the wrong status for a declared error", "GetAlias", faultproxy.APIError(400, "ResourceNotFoundException", "Function not found"), getAlias,
			"lambda.GetAlias response (status): ResourceNotFoundException answers 404, not 400"},
		{"an error code of no one's", "GetAlias", faultproxy.APIError(400, "AliasMissing", "no"), getAlias,
			"lambda.GetAlias response (error): AliasMissing is neither an error GetAlias declares"},
		{"a conflict where API Gateway V2 declares none", "GetApi", faultproxy.Conflict, func(c clients) error {
			_, err := c.http.GetApi(t.Context(), &apigatewayv2.GetApiInput{ApiId: aws.String(w.HTTPAPIID)})
			return err
		}, "apigatewayv2.GetApi response (error): ConflictException is an error of apigatewayv2, but GetApi does not declare it"},
		{"a declared error", "GetAlias", faultproxy.APIError(404, "ResourceNotFoundException", "Function not found"), getAlias, ""},
		{"a throttle", "GetAlias", faultproxy.Throttle, getAlias, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := judged(t, s)
			p.Inject(tt.op, faultproxy.Every, tt.fault)
			if err := tt.call(newClients(s, p, 1)); err == nil {
				t.Fatalf("the call succeeded despite fault %v", tt.fault)
			}
			r := p.ModelReport()
			if tt.want == "" {
				if len(r.Answers) > 0 {
					t.Errorf("answer violations of an answer the model allows:%s", problems(r.Answers))
				}
				return
			}
			for _, v := range r.Answers {
				if strings.HasPrefix(v.Problem.String(), tt.want) && v.By == "fault "+tt.fault.String() {
					return
				}
			}
			t.Errorf("answer violations:%s\nwant one by fault %v beginning %q", problems(r.Answers), tt.fault, tt.want)
		})
	}
}

// TestJudgeMoto: moto's own answers are judged and listed, and fail
// nothing. moto answers UpdateAlias 201 where Lambda's model says 200.
func TestJudgeMoto(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("judged"))
	p := judged(t, s)
	c := newClients(s, p, 1)
	if _, err := c.lambda.UpdateAlias(t.Context(), &lambda.UpdateAliasInput{FunctionName: aws.String(w.Function), Name: aws.String("prod"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	r := p.ModelReport()
	if len(r.Requests)+len(r.Answers) > 0 || len(p.TakeModelViolations()) > 0 {
		t.Errorf("violations of a request and answer that keep to the model:%s%s", problems(r.Requests), problems(r.Answers))
	}
	if r.Judged != 1 {
		t.Errorf("judged %d requests, want 1", r.Judged)
	}
	for _, v := range r.Moto {
		if v.Problem.String() == "lambda.UpdateAlias response (status): a success answers 200, not 201" {
			return
		}
	}
	t.Errorf("moto's violations:%s\nwant UpdateAlias's 201", problems(r.Moto))
}
