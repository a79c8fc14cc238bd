package faultproxy_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/parallel"
)

// The tests wait on moto and on the realism layer's delays, not on the
// CPU. They share one moto server, each with resources of its own name.
func TestMain(m *testing.M) {
	if err := parallel.Default(8); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(moto.Main(m))
}
