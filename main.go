// Command lambda-promote promotes an AWS Lambda function through an alias: it
// publishes a version, moves the alias at once or step by step while watching
// alarms and the error rate, checks that the API Gateway stage calls the alias,
// and reports the outcome. It runs as a GitHub Action or from a terminal.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambda-promote/lambda-promote/internal/command"
)

// version is set at build time with -ldflags '-X main.version=...'.
var version = "dev"

func main() {
	// A cancelled job gets SIGINT, then SIGTERM 7.5 s later. The context is
	// cancelled on the first; the run then rolls the alias back on a fresh
	// context, and later signals are caught here and ignored until it ends.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := command.Run(ctx, command.Env{
		Args:    os.Args[1:],
		Getenv:  os.Getenv,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Version: version,
	})
	stop()
	if err != nil {
		if !command.Reported(err) {
			fmt.Fprintln(os.Stderr, "lambda-promote:", err)
		}
		os.Exit(1)
	}
}
