// Command demo is `make demo`: it starts a local AWS emulator (moto), seeds
// the README's world (a function with version 1 behind alias prod, a REST API
// whose prod stage calls ${stageVariables.lambdaAlias}, the alias permission,
// and new code on $LATEST), runs a gradual promotion with the built binary as
// a user would from a terminal, prints what it did, and stops the emulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	bin := flag.String("bin", "bin/lambda-promote", "the built lambda-promote binary")
	flag.Parse()

	fmt.Println("==> starting moto (a local AWS emulator) on a free port")
	srv, err := moto.Start(ctx)
	if err != nil {
		return err
	}
	defer func() {
		_ = srv.Stop()
		fmt.Println("==> moto stopped; nothing is left running")
	}()

	w, err := srv.Demo(ctx, "orders-api")
	if err != nil {
		return err
	}
	// moto is more lenient than AWS; the realism layer in front of it
	// answers as AWS does where moto does not (alias revisions, versions
	// that are Pending for a moment, the control-plane quota, late metrics).
	proxy, err := faultproxy.New(srv.URL)
	if err != nil {
		return err
	}
	defer proxy.Close()
	proxy.SetRealism(faultproxy.DefaultRealism())
	fmt.Printf("==> seeded: function %s, alias %s on version %s, REST API %s stage %s (lambdaAlias=%s), new code on $LATEST\n",
		w.Function, w.Alias, w.Version, w.RESTAPIID, w.Stage, w.Alias)

	args := []string{
		"--function-name", w.Function,
		"--alias", w.Alias,
		"--api-id", w.RESTAPIID,
		"--stage", w.Stage,
		"--steps", "10,50,100",
		"--interval", "2s",
	}
	fmt.Printf("==> %s %v\n\n", *bin, args)
	cmd := exec.CommandContext(ctx, *bin, args...)
	cmd.Env = append(os.Environ(), proxy.Env(srv.Env())...)
	cmd.Env = append(cmd.Env, "GITHUB_ACTIONS=")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the promotion failed: %w", err)
	}

	version, weights, err := srv.Alias(ctx, w.Function, w.Alias)
	if err != nil {
		return err
	}
	fmt.Printf("\n==> read back from the emulator: alias %s serves version %s, weights %v\n", w.Alias, version, weights)
	return judged(proxy)
}

// judged reports what the proxy's judge found: every request the promotion
// sent, and every answer the realism layer gave it, against AWS's own API
// models (botocore's). A mismatch fails the demo, as it fails a test.
func judged(proxy *faultproxy.Proxy) error {
	proxy.Close() // wait for the requests under way
	r := proxy.ModelReport()
	if r.Off != "" {
		return fmt.Errorf("the AWS API model judge is off: %s", r.Off)
	}
	var errs []error
	for _, v := range proxy.TakeModelViolations() {
		errs = append(errs, errors.New(v.String()))
	}
	for _, st := range proxy.RealismStats().Violations {
		errs = append(errs, fmt.Errorf("%s gave version %s %.0f%% of alias %s's traffic while it was Pending", st.Op, st.Version, st.Weight*100, st.Alias))
	}
	fmt.Printf("==> AWS API models: %d requests judged, %d answers of moto's that break them (moto's, listed, not failed)\n", r.Judged, len(r.Moto))
	for _, v := range r.Moto {
		fmt.Println("    " + v.String())
	}
	return errors.Join(errs...)
}
