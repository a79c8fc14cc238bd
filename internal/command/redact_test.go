package command

import (
	"strings"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
	"github.com/lambda-promote/lambda-promote/internal/report"
)

// TestRedactedBeforeRendering puts a secret in every text of a result the
// report renders and checks that neither the summary nor the comment shows
// it after redaction.
func TestRedactedBeforeRendering(t *testing.T) {
	t.Parallel()
	const secret = "ghs_s3cretT0kenValue123"
	var red redactor
	red.add(secret)
	res := outcome.Result{
		FunctionName: "f", Alias: "prod", Status: outcome.Failed, NewVersion: "2",
		Error: "e " + secret, AliasState: "a " + secret, Next: "n " + secret, NextCode: "aws x --token " + secret,
		Plan:      []string{"p " + secret},
		Checks:    []outcome.Check{{Name: "c", Detail: "d " + secret, Fix: "f " + secret}},
		Timeline:  []outcome.Event{{Note: "n " + secret, Gates: []outcome.Gate{{Detail: secret}}}, {Note: secret}},
		Functions: []outcome.FunctionResult{{FunctionName: "f", Error: "e " + secret, AliasState: "a " + secret}, {FunctionName: "g"}},
	}
	res = red.result(res)
	outs := ""
	for _, o := range report.Outputs(res) {
		outs += o.Name + "=" + o.Value + "\n"
	}
	for kind, md := range map[string]string{"summary": report.Summary(res, report.Run{}), "comment": report.Comment(res, report.Run{}), "outputs": outs} {
		if strings.Contains(md, secret) {
			t.Errorf("%s shows the secret:\n%s", kind, md)
		}
	}
	res.Status = outcome.DryRun
	if md := report.Summary(res, report.Run{}); strings.Contains(md, secret) {
		t.Errorf("dry-run summary shows the secret:\n%s", md)
	}
}
