package callers

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

var accessDenied = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User is not authorized to perform: lambda:X"}

// fakeLambda answers the reads of this package from fields, and counts them.
type fakeLambda struct {
	mu       sync.Mutex
	mappings int // how many mappings to list, in pages of 100
	listErr  error
	urls     map[string]URL   // by qualifier ("" for $LATEST)
	urlErr   map[string]error // by qualifier
	policy   string
	polErr   error
	calls    map[string]int
	markers  []string
}

func (f *fakeLambda) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *fakeLambda) ListEventSourceMappings(_ context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	f.count("ListEventSourceMappings")
	if f.listErr != nil {
		return nil, f.listErr
	}
	if in.FunctionName != nil {
		return nil, errors.New("listed by function name")
	}
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		start, _ = strconv.Atoi(m)
	}
	f.mu.Lock()
	f.markers = append(f.markers, aws.ToString(in.Marker))
	f.mu.Unlock()
	out := &lambda.ListEventSourceMappingsOutput{}
	end := min(start+100, f.mappings)
	for i := start; i < end; i++ {
		out.EventSourceMappings = append(out.EventSourceMappings, lambdatypes.EventSourceMappingConfiguration{
			UUID: aws.String("u" + strconv.Itoa(i)), FunctionArn: aws.String(fn.String()), State: aws.String("Enabled"),
			EventSourceArn: aws.String("arn:aws:sqs:eu-west-1:123456789012:q"),
		})
	}
	if end < f.mappings {
		out.NextMarker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeLambda) GetFunctionUrlConfig(_ context.Context, in *lambda.GetFunctionUrlConfigInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error) {
	f.count("GetFunctionUrlConfig")
	q := aws.ToString(in.Qualifier)
	if err := f.urlErr[q]; err != nil {
		return nil, err
	}
	u, ok := f.urls[q]
	if !ok {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("The resource you requested does not exist.")}
	}
	return &lambda.GetFunctionUrlConfigOutput{FunctionUrl: aws.String(u.URL), FunctionArn: aws.String(u.FunctionARN), AuthType: lambdatypes.FunctionUrlAuthType(u.AuthType)}, nil
}

func (f *fakeLambda) GetPolicy(_ context.Context, in *lambda.GetPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	f.count("GetPolicy")
	if in.Qualifier != nil {
		return nil, errors.New("read the policy of a qualifier")
	}
	if f.polErr != nil {
		return nil, f.polErr
	}
	if f.policy == "" {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("The resource you requested does not exist.")}
	}
	return &lambda.GetPolicyOutput{Policy: aws.String(f.policy)}, nil
}

func TestReadMappings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fake      *fakeLambda
		wantN     int
		wantCalls int
		markers   []string // the Marker of each call, when given
		want      Mappings // List left out
		wantErr   bool
	}{
		{name: "none", fake: &fakeLambda{}, wantCalls: 1},
		{name: "every page", fake: &fakeLambda{mappings: 250}, wantN: 250, wantCalls: 3, markers: []string{"", "100", "200"}},
		{name: "at most 100 pages", fake: &fakeLambda{mappings: 10050}, wantN: 10000, wantCalls: 100, want: Mappings{Truncated: true}},
		{name: "denied", fake: &fakeLambda{listErr: accessDenied}, wantCalls: 1, want: Mappings{Denied: ActionListMappings}},
		{name: "another error", fake: &fakeLambda{listErr: errors.New("boom")}, wantCalls: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadMappings(t.Context(), tc.fake)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if len(got.List) != tc.wantN {
				t.Errorf("%d mappings, want %d", len(got.List), tc.wantN)
			}
			if got.Denied != tc.want.Denied || got.Truncated != tc.want.Truncated {
				t.Errorf("denied %q truncated %v, want %q %v", got.Denied, got.Truncated, tc.want.Denied, tc.want.Truncated)
			}
			if n := tc.fake.calls["ListEventSourceMappings"]; n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
			}
			if diff := cmp.Diff(tc.markers, tc.fake.markers); tc.markers != nil && diff != "" {
				t.Errorf("the calls' markers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadFunction(t *testing.T) {
	t.Parallel()
	latest := URL{URL: "https://a.lambda-url.eu-west-1.on.aws/", FunctionARN: fn.String(), AuthType: "NONE"}
	onAlias := URL{URL: "https://b.lambda-url.eu-west-1.on.aws/", FunctionARN: fn.Qualified("prod"), AuthType: "AWS_IAM"}
	tests := []struct {
		name    string
		fake    *fakeLambda
		want    Function
		wantErr bool
	}{
		{name: "nothing", fake: &fakeLambda{}},
		{name: "both URLs and a policy", fake: &fakeLambda{urls: map[string]URL{"": latest, "prod": onAlias}, policy: "{}"},
			want: Function{URLs: []URL{latest, onAlias}, Policy: "{}"}},
		{name: "one URL answered for both (moto)", fake: &fakeLambda{urls: map[string]URL{"": latest, "prod": latest}},
			want: Function{URLs: []URL{latest}}},
		{name: "denied", fake: &fakeLambda{urlErr: map[string]error{"": accessDenied, "prod": accessDenied}, polErr: accessDenied},
			want: Function{Denied: []string{ActionGetURL, ActionGetPolicy}}},
		{name: "another error", fake: &fakeLambda{polErr: errors.New("boom")}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadFunction(t.Context(), tc.fake, fn.Name, "prod")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadFunction (-want +got):\n%s", diff)
			}
			if n := tc.fake.calls["GetFunctionUrlConfig"] + tc.fake.calls["GetPolicy"]; n != 3 {
				t.Errorf("%d reads, want 3: two URLs and one policy", n)
			}
		})
	}
}
