package fix

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"prod":                        "prod",
		"$default":                    "'$default'",
		"it's":                        `'it'\''s'`,
		"":                            "''",
		"a=b,c=d":                     "a=b,c=d",
		"${stageVariables.x}":         "'${stageVariables.x}'",
		"ANY /{proxy+}":               "'ANY /{proxy+}'",
		"AdditionalVersionWeights={}": "'AdditionalVersionWeights={}'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAWS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"options", AWS("lambda", "get-alias", "--function-name", "orders", "--name", "prod"),
			"aws lambda get-alias --function-name orders --name prod"},
		{"values quoted", AWS("apigatewayv2", "create-route", "--api-id", "a1", "--route-key", "$default", "--target", "integrations/x1"),
			"aws apigatewayv2 create-route --api-id a1 --route-key '$default' --target integrations/x1"},
		{"empty value", AWS("lambda", "update-alias", "--description", ""), "aws lambda update-alias --description ''"},
		{"positional", AWS("lambda", "invoke", "--function-name", "orders", "out.json"), "aws lambda invoke --function-name orders out.json"},
		{"expanded", And(Capture("id", AWS("apigatewayv2", "create-integration", "--query", "IntegrationId")), AWS("apigatewayv2", "create-route", "--target", Expand("integrations/$id"))),
			`id=$(aws apigatewayv2 create-integration --query IntegrationId) && aws apigatewayv2 create-route --target "integrations/$id"`},
		{"an expansion with other characters is literal", AWS("x", "y", "--v", Expand("a b$(rm -rf /)")), `aws x y --v 'a b$(rm -rf /)'`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// FuzzQuote checks that a POSIX shell reads every quoted value back as it
// was, whatever it holds.
func FuzzQuote(f *testing.F) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		f.Skip("no sh")
	}
	for _, s := range []string{"prod", "it's", "$default", "a b", "`x`", "\\", "\n", "''", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			t.Skip("a shell argument cannot hold NUL")
		}
		out, err := exec.Command(sh, "-c", "printf %s "+Quote(s)).Output()
		if err != nil {
			t.Fatalf("sh -c printf %%s %s: %v", Quote(s), err)
		}
		if string(out) != s {
			t.Errorf("the shell read %q back as %q", s, out)
		}
	})
}

func TestHintOf(t *testing.T) {
	t.Parallel()
	err := errors.Join(errors.New("other"), Errorf("see it with:", "aws lambda get-alias", "alias %s: %w", "prod", errors.New("gone")))
	next, code, ok := HintOf(err)
	if !ok || next != "see it with:" || code != "aws lambda get-alias" {
		t.Errorf("HintOf() = %q, %q, %v", next, code, ok)
	}
	if !strings.Contains(err.Error(), "alias prod: gone") {
		t.Errorf("Error() = %q", err)
	}
	if _, _, ok := HintOf(errors.New("plain")); ok {
		t.Error("HintOf(plain) found a hint")
	}
}
