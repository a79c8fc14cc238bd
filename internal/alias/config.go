package alias

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// configDigest hashes the code and the settings a version copies from
// $LATEST when it is published
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html:
// "a version includes the function code and all configuration settings").
// PublishVersion hands back the latest version instead of making a new one
// only when neither code nor these settings changed
// (https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html), so
// comparing digests tells whether publishing $LATEST would make a new
// version. Fields that name the version itself (ARN, version, revision, last
// modified, state) and its description are left out.
func configDigest(c *types.FunctionConfiguration) string {
	d := struct {
		Code          string
		Architectures []string
		Environment   map[string]string
		Ephemeral     int32
		FileSystems   []string
		Handler       string
		Image         any
		KMSKey        string
		Layers        []string
		Logging       any
		Memory        int32
		PackageType   string
		Role          string
		Runtime       string
		SnapStart     string
		Timeout       int32
		Tracing       string
		VPC           any
		DeadLetter    string
	}{
		Code:        aws.ToString(c.CodeSha256),
		Handler:     aws.ToString(c.Handler),
		KMSKey:      aws.ToString(c.KMSKeyArn),
		Memory:      aws.ToInt32(c.MemorySize),
		PackageType: string(c.PackageType),
		Role:        aws.ToString(c.Role),
		Runtime:     string(c.Runtime),
		Timeout:     aws.ToInt32(c.Timeout),
		DeadLetter:  deadLetter(c.DeadLetterConfig),
	}
	for _, a := range c.Architectures {
		d.Architectures = append(d.Architectures, string(a))
	}
	if c.Environment != nil {
		d.Environment = c.Environment.Variables
	}
	if c.EphemeralStorage != nil {
		d.Ephemeral = aws.ToInt32(c.EphemeralStorage.Size)
	}
	for _, f := range c.FileSystemConfigs {
		d.FileSystems = append(d.FileSystems, aws.ToString(f.Arn)+"@"+aws.ToString(f.LocalMountPath))
	}
	if c.ImageConfigResponse != nil {
		d.Image = c.ImageConfigResponse.ImageConfig
	}
	for _, l := range c.Layers {
		d.Layers = append(d.Layers, aws.ToString(l.Arn))
	}
	if c.LoggingConfig != nil {
		d.Logging = *c.LoggingConfig
	}
	if c.SnapStart != nil {
		d.SnapStart = string(c.SnapStart.ApplyOn)
	}
	if c.TracingConfig != nil {
		d.Tracing = string(c.TracingConfig.Mode)
	}
	if c.VpcConfig != nil {
		subnets := slices.Sorted(slices.Values(c.VpcConfig.SubnetIds))
		groups := slices.Sorted(slices.Values(c.VpcConfig.SecurityGroupIds))
		if len(subnets)+len(groups) > 0 {
			d.VPC = []any{subnets, groups}
		}
	}
	b, _ := json.Marshal(d) // plain values: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
