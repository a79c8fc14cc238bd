// Package parallel lets a test binary whose tests wait on servers and
// clocks (moto, bakes, delays), not on the CPU, run more of them at once
// than the default of -parallel, which is GOMAXPROCS: on a 2-core machine
// two tests that each sleep would otherwise hold back all the others.
//
//	func TestMain(m *testing.M) {
//		if err := parallel.Default(8); err != nil { ... }
//		os.Exit(m.Run())
//	}
package parallel

import (
	"flag"
	"strconv"
)

// flagName is the testing package's -parallel flag.
const flagName = "test.parallel"

// Default sets -parallel to n unless the command line gives it. Call it
// from TestMain, before m.Run; it parses the command line.
func Default(n int) error {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == flagName })
	if given || flag.Lookup(flagName) == nil {
		return nil
	}
	return flag.Set(flagName, strconv.Itoa(n))
}
