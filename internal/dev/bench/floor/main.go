// Command floor is the lower bound `make bench` measures lambda-promote
// against: the same AWS SDK calls as an all-at-once promotion with a stage
// and permission check, made one after another with no checks, no retries
// tuning and no reporting. It is what the fastest hand-written Go tool could
// do sequentially.
//
//	floor -function-name NAME -alias ALIAS -api-id ID -stage STAGE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	fn := flag.String("function-name", "", "function name")
	aliasName := flag.String("alias", "", "alias to move")
	apiID := flag.String("api-id", "", "REST API id")
	stage := flag.String("stage", "", "stage name")
	flag.Parse()

	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	lc := lambda.NewFromConfig(cfg)
	ag := apigateway.NewFromConfig(cfg)

	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn}); err != nil {
		return err
	}
	pub, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
	if err != nil {
		return err
	}
	if _, err := ag.GetStage(ctx, &apigateway.GetStageInput{RestApiId: apiID, StageName: stage}); err != nil {
		return err
	}
	if _, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: fn, Qualifier: aliasName}); err != nil {
		return err
	}
	_, err = lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    fn,
		Name:            aliasName,
		FunctionVersion: pub.Version,
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	})
	if err != nil {
		return err
	}
	fmt.Println("promoted", aws.ToString(fn), "to version", aws.ToString(pub.Version))
	return nil
}
