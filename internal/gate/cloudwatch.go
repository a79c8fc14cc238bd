package gate

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// NewCloudWatch returns a CloudWatch client that speaks AWS JSON 1.0.
//
// The SDK's default wire protocol for CloudWatch is RPCv2 CBOR. CloudWatch
// serves AWS JSON 1.0 as well, and so does moto's server, which does not speak
// CBOR; using JSON everywhere keeps production and tests on one protocol.
// Request compression is off (see below); only PutMetricData uses it.
func NewCloudWatch(cfg aws.Config, optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	opts := make([]func(*cloudwatch.Options), 0, len(optFns)+1)
	opts = append(opts, func(o *cloudwatch.Options) {
		o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801)
		// With the protocol swapped, the gzip middleware of PutMetricData
		// runs before the body is serialized: it sets Content-Encoding: gzip
		// on a plain body, which the server cannot read.
		o.DisableRequestCompression = true
	})
	opts = append(opts, optFns...)
	return cloudwatch.NewFromConfig(cfg, opts...)
}
