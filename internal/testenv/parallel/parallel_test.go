package parallel

import (
	"flag"
	"testing"
)

func TestDefault(t *testing.T) {
	f := flag.Lookup(flagName)
	if f == nil {
		t.Fatal("the testing package has no -parallel flag")
	}
	before := f.Value.String()
	t.Cleanup(func() { _ = flag.Set(flagName, before) })

	// go test gives -test.parallel only when the command line has it.
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == flagName })
	if err := Default(7); err != nil {
		t.Fatal(err)
	}
	want := "7"
	if given {
		want = before
	}
	if got := f.Value.String(); got != want {
		t.Errorf("-parallel = %s after Default(7), want %s (given on the command line: %v)", got, want, given)
	}
}
