package alias

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
)

// GetFunction's Configuration and the answers of GetFunctionConfiguration
// and PublishVersion have the same fields: configuration copies every one.
func TestConfigurationFields(t *testing.T) {
	t.Parallel()
	want := reflect.TypeFor[types.FunctionConfiguration]()
	for _, other := range []reflect.Type{reflect.TypeFor[lambda.GetFunctionConfigurationOutput](), reflect.TypeFor[lambda.PublishVersionOutput]()} {
		for f := range want.Fields() {
			if !f.IsExported() {
				continue
			}
			g, ok := other.FieldByName(f.Name)
			if !ok || g.Type != f.Type {
				t.Errorf("%v has no field %s of type %v, which FunctionConfiguration has", other, f.Name, f.Type)
			}
		}
		for g := range other.Fields() {
			if _, ok := want.FieldByName(g.Name); g.IsExported() && !ok && g.Name != "ResultMetadata" {
				t.Errorf("%v has a field %s that FunctionConfiguration lacks", other, g.Name)
			}
		}
	}
	out := &lambda.GetFunctionConfigurationOutput{
		FunctionName: aws.String("orders"), Version: aws.String("7"), State: types.StatePending,
		LastUpdateStatus: types.LastUpdateStatusSuccessful, CodeSha256: aws.String("sha"), Timeout: aws.Int32(9),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:dlq")},
		Environment:      &types.EnvironmentResponse{Variables: map[string]string{"A": "1"}},
		Architectures:    []types.Architecture{types.ArchitectureArm64},
	}
	got := configuration(out)
	wantConf := &types.FunctionConfiguration{
		FunctionName: aws.String("orders"), Version: aws.String("7"), State: types.StatePending,
		LastUpdateStatus: types.LastUpdateStatusSuccessful, CodeSha256: aws.String("sha"), Timeout: aws.Int32(9),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:dlq")},
		Environment:      &types.EnvironmentResponse{Variables: map[string]string{"A": "1"}},
		Architectures:    []types.Architecture{types.ArchitectureArm64},
	}
	if diff := cmp.Diff(wantConf, got, cmpopts.IgnoreUnexported(types.FunctionConfiguration{}, types.DeadLetterConfig{}, types.EnvironmentResponse{})); diff != "" {
		t.Errorf("configuration (-want +got):\n%s", diff)
	}
}

// The reads of a function, the waits for an update in progress and for a
// Pending version included, go to GetFunction and find what
// GetFunctionConfiguration finds: the realism layer answers both as
// Lambda does while the function is busy.
func TestReadsWithGetFunction(t *testing.T) {
	t.Parallel()
	s := moto.StartT(t)
	ctx := t.Context()
	const fn = "reads"
	role, err := s.CreateRole(ctx, fn+"-role")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFunction(ctx, fn, role); err != nil {
		t.Fatal(err)
	}
	px := faultproxy.NewT(t, s.URL)
	px.SetRealism(faultproxy.Realism{PendingReads: 2, UpdateReads: 2})
	lc := lambda.NewFromConfig(px.AWSConfig(s.AWSConfig()))
	patience := Patience{Max: 30 * time.Second}

	var versions []string
	for _, tc := range []struct {
		name      string
		c         API
		op, other string // the operation the reads use, and the one they must not
	}{
		{"GetFunction", lc, "GetFunction", "GetFunctionConfiguration"},
		{"ConfigurationReads", ConfigurationReads(lc), "GetFunctionConfiguration", "GetFunction"},
	} {
		if err := s.UpdateCode(ctx, fn); err != nil {
			t.Fatal(err)
		}
		px.BeginUpdate(fn)
		reads, others := px.Count(tc.op), px.Count(tc.other)
		latest, err := GetFunction(ctx, tc.c, fn, Latest)
		if err != nil || latest.Update != string(types.LastUpdateStatusInProgress) || !latest.Busy() {
			t.Fatalf("%s: $LATEST read as %+v, %v; want an update in progress", tc.name, latest, err)
		}
		ready, err := WaitReady(ctx, tc.c, latest, patience.Max)
		if err != nil || ready.Update != string(types.LastUpdateStatusSuccessful) {
			t.Fatalf("%s: WaitReady = %+v, %v; want Successful", tc.name, ready, err)
		}
		pub, err := Publish(ctx, tc.c, ready, "test", patience)
		if err != nil || pub.State != string(types.StatePending) {
			t.Fatalf("%s: Publish = %+v, %v; want a new version, Pending", tc.name, pub, err)
		}
		active, err := WaitActive(ctx, tc.c, pub, patience)
		if err != nil || active.State != string(types.StateActive) || active.Version != pub.Version {
			t.Fatalf("%s: WaitActive = %+v, %v; want version %s Active", tc.name, active, err, pub.Version)
		}
		// The read and the wait for the update: two reads in progress and
		// one Successful; the wait for the version: two Pending and one
		// Active.
		if n := px.Count(tc.op) - reads; n != 3+3 {
			t.Errorf("%s: %d %s requests, want 6", tc.name, n, tc.op)
		}
		if n := px.Count(tc.other) - others; n != 0 {
			t.Errorf("%s: %d %s requests, want none", tc.name, n, tc.other)
		}
		versions = append(versions, pub.Version)
	}
	// Both read every version the same.
	for _, v := range append(versions, Latest) {
		a, aerr := GetFunction(ctx, lc, fn, v)
		b, berr := GetFunction(ctx, ConfigurationReads(lc), fn, v)
		if aerr != nil || berr != nil {
			t.Fatalf("version %s: %v, %v", v, aerr, berr)
		}
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("version %s read with GetFunctionConfiguration (-) and GetFunction (+):\n%s", v, diff)
		}
	}
	if _, err := GetFunction(ctx, lc, fn, "99"); err == nil {
		t.Error("a version that does not exist was read")
	}
}
