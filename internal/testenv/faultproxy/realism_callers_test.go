package faultproxy_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// policySids reads the statement ids of a policy as GetPolicy answers it
// through lc; nil for none (ResourceNotFoundException).
func policySids(t *testing.T, lc *lambda.Client, fn, qualifier string) []string {
	t.Helper()
	in := &lambda.GetPolicyInput{FunctionName: aws.String(fn)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := lc.GetPolicy(t.Context(), in)
	var nf *lambdatypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("get policy of %s:%s: %v", fn, qualifier, err)
	}
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		t.Fatal(err)
	}
	var sids []string
	for _, s := range doc.Statement {
		sids = append(sids, s.Sid)
	}
	return sids
}

// granted is demo world fn with a grant to S3 (Sid s3-uploads) on the
// unqualified function beside the demo's grant to API Gateway on the
// alias, and the alias grant's Sid.
func granted(t *testing.T, s *moto.Server, fn string) (moto.World, string) {
	t.Helper()
	w := demo(t, s, fn)
	must(t, s.Grant(t.Context(), w.Function, "", "s3-uploads", "s3.amazonaws.com", "arn:aws:s3:::uploads", s.AccountID))
	return w, "apigateway-" + w.RESTAPIID + "-prod"
}

// GetPolicy answers the policy of the qualifier asked for, as Lambda keeps
// one per function, version and alias; moto answers them all.
func TestRealismPolicyPerQualifier(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w, aliasSid := granted(t, s, moto.Unique("policyq"))

	p := faultproxy.NewT(t, s.URL)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	if got := policySids(t, lc, w.Function, ""); len(got) != 2 {
		t.Fatalf("moto answers %v for the unqualified function: the realism layer would not be needed", got)
	}
	p.SetRealism(faultproxy.Realism{PolicyPerQualifier: true})
	for _, tc := range []struct {
		qualifier string
		want      []string
	}{
		{"", []string{"s3-uploads"}},
		{"prod", []string{aliasSid}},
		{"1", nil}, // version 1 has no policy of its own
	} {
		if diff := cmp.Diff(tc.want, policySids(t, lc, w.Function, tc.qualifier)); diff != "" {
			t.Errorf("policy of %s:%s (-want +got):\n%s", w.Function, tc.qualifier, diff)
		}
	}

	// An account principal and a function URL's conditions read as Lambda
	// writes them, not as moto keeps them.
	must(t, s.Grant(t.Context(), w.Function, "prod", "partner", "111122223333", "", ""))
	_, err := s.Lambda().AddPermission(t.Context(), &lambda.AddPermissionInput{
		FunctionName: aws.String(w.Function), Qualifier: aws.String("prod"), StatementId: aws.String("url"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true),
	})
	must(t, err)
	out, err := lc.GetPolicy(t.Context(), &lambda.GetPolicyInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod")})
	must(t, err)
	var doc struct {
		Statement []struct {
			Sid       string
			Principal json.RawMessage
			Condition json.RawMessage
		}
	}
	must(t, json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc))
	got := map[string]string{}
	for _, st := range doc.Statement {
		got[st.Sid] = string(st.Principal) + " " + string(st.Condition)
	}
	for sid, want := range map[string]string{
		"partner": `{"AWS":"arn:aws:iam::111122223333:root"} `,
		"url":     `"*" {"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}`,
	} {
		if got[sid] != want {
			t.Errorf("statement %s reads %s, want %s", sid, got[sid], want)
		}
	}
}

// RemovePermission removes a statement of the policy of the qualifier it
// names (none: the unqualified function's), and answers 404 for a
// statement of another's, as Lambda does; moto removes the Sid from its one
// policy whatever the Qualifier.
func TestRealismRemovePermissionPerQualifier(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w, aliasSid := granted(t, s, moto.Unique("removeq"))
	p := faultproxy.NewT(t, s.URL)
	p.SetRealism(faultproxy.Realism{PolicyPerQualifier: true})
	cfg := p.AWSConfig(s.AWSConfig())
	cfg.RetryMaxAttempts = 1
	lc := lambda.NewFromConfig(cfg)
	remove := func(qualifier, sid string) error {
		in := &lambda.RemovePermissionInput{FunctionName: aws.String(w.Function), StatementId: aws.String(sid)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		_, err := lc.RemovePermission(t.Context(), in)
		return err
	}
	for _, tc := range []struct{ qualifier, sid string }{
		{"", aliasSid},         // the alias's statement, asked of the function
		{"prod", "s3-uploads"}, // the function's, asked of the alias
		{"1", aliasSid},        // a version with no policy
	} {
		if err := remove(tc.qualifier, tc.sid); !errors.As(err, new(*lambdatypes.ResourceNotFoundException)) {
			t.Errorf("RemovePermission of %s from %s:%s = %v, want ResourceNotFoundException", tc.sid, w.Function, tc.qualifier, err)
		}
	}
	if diff := cmp.Diff([]string{aliasSid}, policySids(t, lc, w.Function, "prod")); diff != "" {
		t.Errorf("the alias's policy after removals asked of other qualifiers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"s3-uploads"}, policySids(t, lc, w.Function, "")); diff != "" {
		t.Errorf("the function's policy after removals asked of other qualifiers (-want +got):\n%s", diff)
	}
	must(t, remove("prod", aliasSid))
	must(t, remove("", "s3-uploads"))
	for _, q := range []string{"", "prod"} {
		if got := policySids(t, lc, w.Function, q); got != nil {
			t.Errorf("policy of %s:%s after its removal: %v, want none", w.Function, q, got)
		}
	}
}

// An event source mapping made on an alias, or pointed at one, invokes the
// alias: its FunctionArn is the alias ARN. moto keeps the version's.
func TestRealismMappingQualifiers(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("esmq"))
	q, err := s.CreateQueue(t.Context(), moto.Unique("esmq-queue"))
	must(t, err)
	q2, err := s.CreateQueue(t.Context(), moto.Unique("esmq-queue2"))
	must(t, err)

	p := faultproxy.NewT(t, s.URL)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	bare, err := s.MapQueue(t.Context(), lc, q, w.Function+":prod")
	must(t, err)
	if got := mappingARN(t, lc, bare); got != w.FunctionARN+":1" {
		t.Fatalf("moto answers FunctionArn %s for a mapping on the alias; the test expects moto's version ARN %s:1", got, w.FunctionARN)
	}

	p.SetRealism(faultproxy.Realism{MappingQualifiers: true})
	onAlias, err := s.MapQueue(t.Context(), lc, q2, w.Function+":prod")
	must(t, err)
	if got, want := mappingARN(t, lc, onAlias), w.AliasARN; got != want {
		t.Errorf("a mapping made on the alias: FunctionArn %s, want %s", got, want)
	}
	// Pointed at the alias later, and back at the function.
	_, err = lc.UpdateEventSourceMapping(t.Context(), &lambda.UpdateEventSourceMappingInput{UUID: aws.String(bare), FunctionName: aws.String(w.Function + ":prod")})
	must(t, err)
	if got, want := mappingARN(t, lc, bare), w.AliasARN; got != want {
		t.Errorf("a mapping pointed at the alias: FunctionArn %s, want %s", got, want)
	}
	_, err = lc.UpdateEventSourceMapping(t.Context(), &lambda.UpdateEventSourceMappingInput{UUID: aws.String(bare), FunctionName: aws.String(w.Function)})
	must(t, err)
	if got, want := mappingARN(t, lc, bare), w.FunctionARN; got != want {
		t.Errorf("a mapping pointed back at the function: FunctionArn %s, want %s", got, want)
	}
}

// mappingARN is the FunctionArn of mapping uuid as ListEventSourceMappings
// answers it.
func mappingARN(t *testing.T, lc *lambda.Client, uuid string) string {
	t.Helper()
	out, err := lc.ListEventSourceMappings(t.Context(), &lambda.ListEventSourceMappingsInput{})
	must(t, err)
	for _, m := range out.EventSourceMappings {
		if aws.ToString(m.UUID) == uuid {
			return aws.ToString(m.FunctionArn)
		}
	}
	t.Fatalf("mapping %s not listed", uuid)
	return ""
}

// A function URL belongs to $LATEST or to one alias; moto keeps one per
// function and ignores the Qualifier.
func TestRealismURLPerQualifier(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := demo(t, s, moto.Unique("urlq"))
	p := faultproxy.NewT(t, s.URL)
	lc := lambda.NewFromConfig(p.AWSConfig(s.AWSConfig()))
	latest, err := s.CreateFunctionURL(t.Context(), lc, w.Function, "", "NONE")
	must(t, err)
	if got := urlOf(t, lc, w.Function, "prod"); got != latest {
		t.Fatalf("moto answers %q for the alias's URL, want the function's %q: the realism layer would not be needed", got, latest)
	}

	p.SetRealism(faultproxy.Realism{URLPerQualifier: true})
	if got := urlOf(t, lc, w.Function, "prod"); got != "" {
		t.Errorf("the alias has no URL, but GetFunctionUrlConfig answers %q", got)
	}
	onAlias, err := s.CreateFunctionURL(t.Context(), lc, w.Function, "prod", "AWS_IAM")
	must(t, err)
	if onAlias == latest {
		t.Errorf("the alias's URL has the function's address %s", onAlias)
	}
	if _, err := s.CreateFunctionURL(t.Context(), lc, w.Function, "prod", "AWS_IAM"); !errors.As(err, new(*lambdatypes.ResourceConflictException)) {
		t.Errorf("a second URL on the alias: %v, want ResourceConflictException", err)
	}
	if _, err := s.CreateFunctionURL(t.Context(), lc, w.Function, "missing", "AWS_IAM"); !errors.As(err, new(*lambdatypes.ResourceNotFoundException)) {
		t.Errorf("a URL on an alias that does not exist: %v, want ResourceNotFoundException", err)
	}
	out, err := lc.GetFunctionUrlConfig(t.Context(), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(w.Function), Qualifier: aws.String("prod")})
	must(t, err)
	if got := aws.ToString(out.FunctionArn); got != w.AliasARN || aws.ToString(out.FunctionUrl) != onAlias || out.AuthType != "AWS_IAM" {
		t.Errorf("the alias's URL reads %s %s %s, want %s %s AWS_IAM", aws.ToString(out.FunctionUrl), got, out.AuthType, onAlias, w.AliasARN)
	}
	if got := urlOf(t, lc, w.Function, ""); got != latest {
		t.Errorf("the function's URL is %q, want %q", got, latest)
	}
	// ListFunctionUrlConfigs lists the function's and the alias's, a page
	// at a time.
	if diff := cmp.Diff([]string{w.FunctionARN + " " + latest, w.AliasARN + " " + onAlias}, listURLs(t, lc, w.Function)); diff != "" {
		t.Errorf("ListFunctionUrlConfigs (-want +got):\n%s", diff)
	}
	_, err = lc.DeleteFunctionUrlConfig(t.Context(), &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String(w.Function)})
	must(t, err)
	if got := urlOf(t, lc, w.Function, ""); got != "" {
		t.Errorf("the function's URL was deleted, but reads %q", got)
	}
	if got := urlOf(t, lc, w.Function, "prod"); got != onAlias {
		t.Errorf("deleting the function's URL took the alias's: it reads %q, want %q", got, onAlias)
	}
}

// listURLs is "ARN URL" of each function URL ListFunctionUrlConfigs lists
// for fn, one to a page.
func listURLs(t *testing.T, lc *lambda.Client, fn string) []string {
	t.Helper()
	var got []string
	pages := lambda.NewListFunctionUrlConfigsPaginator(lc, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(fn), MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(t.Context())
		must(t, err)
		if len(out.FunctionUrlConfigs) > 1 {
			t.Errorf("a page of MaxItems 1 holds %d", len(out.FunctionUrlConfigs))
		}
		for _, c := range out.FunctionUrlConfigs {
			got = append(got, aws.ToString(c.FunctionArn)+" "+aws.ToString(c.FunctionUrl))
		}
	}
	return got
}

// urlOf is the function URL of fn:qualifier; "" for none.
func urlOf(t *testing.T, lc *lambda.Client, fn, qualifier string) string {
	t.Helper()
	in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := lc.GetFunctionUrlConfig(t.Context(), in)
	if errors.As(err, new(*lambdatypes.ResourceNotFoundException)) {
		return ""
	}
	must(t, err)
	return aws.ToString(out.FunctionUrl)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
