package e2e

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every command the action prints is built by internal/fix's AWS, so the
// product's code says which commands there are: TestEveryFixHasACase finds
// each call of fix.AWS and wants a case of TestFixes (or an exemption below)
// to claim it, and wants no command written any other way.

// fixPackage is the import path of the package that builds the commands.
const fixPackage = "github.com/lambda-promote/lambda-promote/internal/fix"

// notProduct are the folders under internal/ whose code the action does not
// run, and the builder itself.
var notProduct = []string{"internal/testenv", "internal/dev", "internal/e2e", "internal/fix"}

// fixExemptions are the commands no case runs, each with why: the state
// that prints them cannot be built, even through the realism layer. Keep
// them few.
var fixExemptions = map[string]string{}

// notCommands are the strings that look like the start of an aws command
// but print none, by "file function", each with what it is.
var notCommands = map[string]string{
	"internal/report/report.go codeLang": `"aws " is how a Next block's first line tells a command from workflow inputs`,
}

// fixKey names one call of fix.AWS in the product: its file (from the
// module's root), the function it is in ("Type.method" for a method, "var
// NAME" at package level) and the command, "service operation". A second
// call of the same command in the same function gets "#2", and so on.
type fixKey string

func newFixKey(file, fn, service, operation string, nth int) fixKey {
	k := file + " " + fn + " " + service + " " + operation
	if nth > 1 {
		k += " #" + strconv.Itoa(nth)
	}
	return fixKey(k)
}

// command is the "aws SERVICE OPERATION" the key's call prints.
func (k fixKey) command() string {
	f := strings.Fields(string(k))
	if strings.HasPrefix(f[len(f)-1], "#") {
		f = f[:len(f)-1]
	}
	return "aws " + f[len(f)-2] + " " + f[len(f)-1]
}

// inventory is what the product's code holds: the calls of fix.AWS, and
// the places that write a command some other way.
type inventory struct {
	keys  []fixKey
	loose []string // "file function: literal" for a string that looks like an aws command
}

// awsCommand is a string that holds an aws CLI command, or its start:
// "aws lambda update-alias", or "aws " followed by a verb or nothing.
var awsCommand = regexp.MustCompile(`\baws ([a-z][a-z0-9-]* [a-z][a-z0-9-]*|%|$)`)

// moduleRoot is the repository's root, two folders up from this file.
func moduleRoot(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}

// readInventory parses every product file under root/internal: all but
// the tests and the folders of notProduct.
func readInventory(root string) (inventory, error) {
	var inv inventory
	fset := token.NewFileSet()
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if slices.Contains(notProduct, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		keys, loose, err := fileInventory(rel, f)
		if err != nil {
			return err
		}
		inv.keys = append(inv.keys, keys...)
		inv.loose = append(inv.loose, loose...)
		return nil
	})
	return inv, err
}

// fileInventory finds the calls of fix.AWS in one file, and the string
// literals that look like an aws command outside them.
func fileInventory(rel string, f *ast.File) (keys []fixKey, loose []string, err error) {
	fixName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == fixPackage {
			fixName = "fix"
			if imp.Name != nil {
				fixName = imp.Name.Name
			}
		}
	}
	for _, decl := range f.Decls {
		name := declName(decl)
		seen := map[string]int{}
		ast.Inspect(decl, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "AWS" {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); !ok || fixName == "" || x.Name != fixName {
					return true
				}
				if len(n.Args) < 2 {
					err = fmt.Errorf("%s %s: fix.AWS with fewer than two arguments", rel, name)
					return false
				}
				svc, ok1 := stringLit(n.Args[0])
				op, ok2 := stringLit(n.Args[1])
				if !ok1 || !ok2 {
					err = fmt.Errorf("%s %s: fix.AWS's service and operation must be string literals, so that the command can be found", rel, name)
					return false
				}
				seen[svc+" "+op]++
				keys = append(keys, newFixKey(rel, name, svc, op, seen[svc+" "+op]))
			case *ast.BasicLit:
				if s, ok := stringLit(n); ok && awsCommand.MatchString(s) && notCommands[rel+" "+name] == "" {
					loose = append(loose, fmt.Sprintf("%s %s: %q", rel, name, s))
				}
			}
			return true
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return keys, loose, nil
}

// declName names a declaration as a key does: "Type.method", "function",
// or "var NAME" (the first name of a var, const or type declaration).
func declName(decl ast.Decl) string {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil || len(d.Recv.List) == 0 {
			return d.Name.Name
		}
		t := d.Recv.List[0].Type
		if s, ok := t.(*ast.StarExpr); ok {
			t = s.X
		}
		if g, ok := t.(*ast.IndexExpr); ok {
			t = g.X
		}
		if id, ok := t.(*ast.Ident); ok {
			return id.Name + "." + d.Name.Name
		}
		return d.Name.Name
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				return d.Tok.String() + " " + s.Names[0].Name
			case *ast.TypeSpec:
				return "type " + s.Name.Name
			}
		}
	}
	return "?"
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// claimProblems compares the keys the product holds with those the cases
// claim and the exemptions: each key must be claimed or exempt, and each
// claim and exemption must name a key.
func claimProblems(keys []fixKey, claims map[fixKey][]string, exempt map[string]string) []string {
	var problems []string
	have := map[fixKey]bool{}
	for _, k := range keys {
		have[k] = true
		if len(claims[k]) == 0 && exempt[string(k)] == "" {
			problems = append(problems, fmt.Sprintf("%s: no case of TestFixes runs the command this call prints; add one to fixCases (or, if the state cannot be built, an exemption saying why)", k))
		}
	}
	for k, cases := range claims {
		if !have[k] {
			problems = append(problems, fmt.Sprintf("case %s claims %s, which the product no longer has", strings.Join(cases, ", "), k))
		}
	}
	for k := range exempt {
		if !have[fixKey(k)] {
			problems = append(problems, fmt.Sprintf("the exemption of %s names a call the product no longer has", k))
		}
	}
	slices.Sort(problems)
	return problems
}

// caseClaims are the keys each case of TestFixes claims.
func caseClaims() map[fixKey][]string {
	claims := map[fixKey][]string{}
	for _, c := range fixCases() {
		for _, k := range c.claims {
			claims[k] = append(claims[k], c.name)
		}
	}
	return claims
}

func TestEveryFixHasACase(t *testing.T) {
	t.Parallel()
	inv, err := readInventory(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.keys) < 20 {
		t.Fatalf("found %d calls of fix.AWS: the walk is not reading the product", len(inv.keys))
	}
	for _, p := range claimProblems(inv.keys, caseClaims(), fixExemptions) {
		t.Error(p)
	}
	for _, l := range inv.loose {
		t.Errorf("%s looks like an aws command written outside fix.AWS: build it with fix.AWS so that a case runs it", l)
	}
}

// TestInventoryCatchesNewFixes shows that the inventory fails on what it
// must catch: a case removed, a call of fix.AWS added (in a scratch copy of
// a product file), a command written as a plain string, and a stale claim.
func TestInventoryCatchesNewFixes(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	inv, err := readInventory(root)
	if err != nil {
		t.Fatal(err)
	}
	// What each change adds to the problems the tree has now (none, once
	// every call has its case).
	baseline := claimProblems(inv.keys, caseClaims(), fixExemptions)
	added := func(problems []string) []string {
		var out []string
		for _, p := range problems {
			if !slices.Contains(baseline, p) {
				out = append(out, p)
			}
		}
		return out
	}

	t.Run("a case removed", func(t *testing.T) {
		claims := caseClaims()
		var gone fixKey
		for _, k := range inv.keys {
			if len(claims[k]) == 1 {
				gone = k
				break
			}
		}
		if gone == "" {
			t.Skip("every call is claimed by more than one case")
		}
		delete(claims, gone)
		got := added(claimProblems(inv.keys, claims, fixExemptions))
		if len(got) != 1 || !strings.HasPrefix(got[0], string(gone)+": no case") {
			t.Errorf("without the case that claims %s: %q, want one problem naming it", gone, got)
		}
	})

	t.Run("a new call in a scratch copy", func(t *testing.T) {
		scratch := t.TempDir()
		src, err := os.ReadFile(filepath.Join(root, "internal", "promote", "result.go"))
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, []byte(`
func cmdScratch(function string) string {
	return fix.AWS("lambda", "delete-alias", "--function-name", function, "--name", "prod") + " # aws lambda get-alias by hand"
}
`)...)
		dir := filepath.Join(scratch, "internal", "promote")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "result.go"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readInventory(scratch)
		if err != nil {
			t.Fatal(err)
		}
		want := newFixKey("internal/promote/result.go", "cmdScratch", "lambda", "delete-alias", 1)
		problems := added(claimProblems(got.keys, caseClaims(), fixExemptions))
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, string(want)+": no case") }) {
			t.Errorf("problems %q do not name the new call %s", problems, want)
		}
		if !slices.ContainsFunc(got.loose, func(l string) bool {
			return strings.HasPrefix(l, "internal/promote/result.go cmdScratch:") && strings.Contains(l, "aws lambda get-alias")
		}) {
			t.Errorf("the command in a plain string was not found: %q", got.loose)
		}
	})

	t.Run("a stale claim", func(t *testing.T) {
		claims := caseClaims()
		stale := newFixKey("internal/promote/gone.go", "cmdGone", "lambda", "get-alias", 1)
		claims[stale] = []string{"some case"}
		got := added(claimProblems(inv.keys, claims, fixExemptions))
		if len(got) != 1 || !strings.Contains(got[0], string(stale)) {
			t.Errorf("problems = %q, want one naming the stale claim %s", got, stale)
		}
	})
}
