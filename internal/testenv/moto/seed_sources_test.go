package moto

import "testing"

func TestInvokesOnly(t *testing.T) {
	t.Parallel()
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	for _, tt := range []struct {
		name, doc string
		want      bool
	}{
		{"a bucket's notification on the alias", `<CloudFunction>` + fn + `:prod</CloudFunction>`, true},
		{"a bucket's notification on the function", `<CloudFunction>` + fn + `</CloudFunction>`, false},
		{"a topic's subscriptions to both", `<Endpoint>` + fn + `:prod</Endpoint><Endpoint>` + fn + `</Endpoint>`, false},
		{"a rule's target on the alias", `{"Targets":[{"Id":"invoke","Arn":"` + fn + `:prod"}]}`, true},
		{"a rule's target on the function", `{"Targets":[{"Id":"invoke","Arn":"` + fn + `"}]}`, false},
		{"a rule's target on another alias", `{"Targets":[{"Id":"invoke","Arn":"` + fn + `:dev"}]}`, false},
	} {
		if got := InvokesOnly(tt.doc, fn, "prod"); got != tt.want {
			t.Errorf("%s: InvokesOnly = %v, want %v", tt.name, got, tt.want)
		}
	}
}
