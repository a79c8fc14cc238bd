package faultproxy_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/parallel"
)

// The tests wait on their moto servers and on the realism layer's delays,
// not on the CPU.
func TestMain(m *testing.M) {
	if err := parallel.Default(8); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
