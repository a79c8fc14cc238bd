package alias

import (
	"context"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// configuration copies a GetFunctionConfiguration answer (or a
// PublishVersion answer converted to one: the two have the same fields)
// into the FunctionConfiguration GetFunction answers with: the same
// fields, by name, the answer's metadata aside. A field of one that the
// other lacks, or has with another type, is left out; a test holds the
// SDK to having none.
func configuration(out *lambda.GetFunctionConfigurationOutput) *types.FunctionConfiguration {
	var c types.FunctionConfiguration
	dst := reflect.ValueOf(&c).Elem()
	src := reflect.ValueOf(out).Elem()
	for i := range dst.NumField() {
		f := dst.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if v := src.FieldByName(f.Name); v.IsValid() && v.Type() == f.Type {
			dst.Field(i).Set(v)
		}
	}
	return &c
}

// ConfigurationAPI is API with GetFunctionConfiguration, which
// ConfigurationReads reads with.
type ConfigurationAPI interface {
	API
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// ConfigurationReads is c with every read of a function, the waits'
// included, made with GetFunctionConfiguration, on the control plane's
// shared quota, as they were made before they moved to GetFunction's own.
// The release bench runs it to measure the pacing of before beside
// today's; a run does not.
func ConfigurationReads(c ConfigurationAPI) API { return configurationReads{c} }

type configurationReads struct{ ConfigurationAPI }

func (c configurationReads) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: in.FunctionName, Qualifier: in.Qualifier}, opts...)
	if err != nil {
		return nil, err
	}
	return &lambda.GetFunctionOutput{Configuration: configuration(out), ResultMetadata: out.ResultMetadata}, nil
}
