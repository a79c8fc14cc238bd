package alias

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// ProvisionedAPI is the Lambda call ReadProvisioned makes.
type ProvisionedAPI interface {
	GetProvisionedConcurrencyConfig(context.Context, *lambda.GetProvisionedConcurrencyConfigInput, ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error)
}

// Provisioned is an alias's provisioned concurrency.
type Provisioned struct {
	Requested, Allocated, Available int32
	Status                          string // IN_PROGRESS, READY, FAILED
	Reason                          string
}

// ReadProvisioned reads the provisioned concurrency configured on an alias;
// nil when there is none (Lambda answers
// ProvisionedConcurrencyConfigNotFoundException,
// https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html).
func ReadProvisioned(ctx context.Context, c ProvisionedAPI, function, aliasName string) (*Provisioned, error) {
	out, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(function),
		Qualifier:    aws.String(aliasName),
	})
	var none *types.ProvisionedConcurrencyConfigNotFoundException
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &none):
		return nil, nil
	case errors.As(err, &missing):
		// The function or the alias does not exist (yet)
		// (https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html#API_GetProvisionedConcurrencyConfig_Errors).
		return nil, fmt.Errorf("read the provisioned concurrency of %s:%s: %w", function, aliasName, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("read the provisioned concurrency of %s:%s: %w", function, aliasName, err)
	}
	return &Provisioned{
		Requested: aws.ToInt32(out.RequestedProvisionedConcurrentExecutions),
		Allocated: aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions),
		Available: aws.ToInt32(out.AvailableProvisionedConcurrentExecutions),
		Status:    string(out.Status),
		Reason:    aws.ToString(out.StatusReason),
	}, nil
}
