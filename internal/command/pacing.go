package command

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/alias"
	"github.com/lambda-promote/lambda-promote/internal/pace"
)

// PacingEnv names the environment variable that makes a run pace its
// Lambda calls as runs did before the pacer kept a bucket per quota:
// OneBucketPacing puts every Lambda call in one bucket at
// max-requests-per-second and reads functions with
// GetFunctionConfiguration. The release bench sets it to measure that
// pacing beside today's, in the same run; nothing else should.
const (
	PacingEnv       = "LAMBDA_PROMOTE_PACING"
	OneBucketPacing = "one-bucket"
)

// pacing is the pacer of a run, at perSecond on the control plane, and
// how the run reads functions through the paced client, as PacingEnv's
// value (pacing) says.
func pacing(perSecond float64, pacing string) (*pace.Pacer, func(*lambda.Client) alias.API, error) {
	switch pacing {
	case "":
		return pace.New(perSecond), func(c *lambda.Client) alias.API { return c }, nil
	case OneBucketPacing:
		return pace.OneBucket(perSecond), func(c *lambda.Client) alias.API { return alias.ConfigurationReads(c) }, nil
	}
	return nil, nil, fmt.Errorf("%s=%q: the one value it takes is %q, the pacing of before for the release bench; unset it for a run", PacingEnv, pacing, OneBucketPacing)
}
