package awsmodel

import "testing"

func TestPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern string
		match, fail   []string
	}{
		{"whole value", `[a-zA-Z0-9-_]+`, []string{"prod", "a-b_c"}, []string{"my alias", "", "prod!"}},
		{"alternation anchored as a whole", `\$LATEST|[0-9]+`, []string{"$LATEST", "12"}, []string{"$LATEST1", "1$LATEST"}},
		{"opening lookahead (Lambda's Alias)", `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`, []string{"prod", "v1", "1a"}, []string{"123", "a b"}},
		{"lookahead in a group", `((?!^\d+$)^[0-9a-zA-Z-_]+$)`, []string{"live"}, []string{"42"}},
		{"closing lookbehind", `[0-9A-Za-z\.\-_]*(?<!\.)`, []string{"bucket.name", ""}, []string{"bucket."}},
		{`\u escapes`, `[\u0009\u000A\u000D\u0020-\u00FF]+`, []string{"{\"a\": 1}\n"}, []string{"\u2603"}},
		{"Unicode classes", `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, []string{"Team Ü 1"}, []string{"a!b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compilePattern(tt.pattern)
			if p.err != nil {
				t.Fatalf("compile %s: %v", tt.pattern, p.err)
			}
			for _, s := range tt.match {
				if !p.match(s) {
					t.Errorf("%q does not match %s", s, tt.pattern)
				}
			}
			for _, s := range tt.fail {
				if p.match(s) {
					t.Errorf("%q matches %s", s, tt.pattern)
				}
			}
		})
	}
}

// TestPatternUnsupported: a lookaround anywhere else is not compiled, and
// said so, never passed silently.
func TestPatternUnsupported(t *testing.T) {
	t.Parallel()
	for _, src := range []string{`(^(?!(system\x2e)))(^[_a-zA-Z0-9])([^$]*)`, `a(?=b)c`} {
		if p := compilePattern(src); p.err == nil {
			t.Errorf("%s compiled, want an error", src)
		}
	}
}
