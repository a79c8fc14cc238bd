package command

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-promote/lambda-promote/internal/pace"
)

func TestPacing(t *testing.T) {
	t.Parallel()
	lc := lambda.NewFromConfig(aws.Config{Region: "eu-west-1"})
	for _, tc := range []struct {
		env         string
		getFunction float64 // GetFunction's budget
		sameClient  bool    // the reads go to the client as it is (GetFunction)
		err         string
	}{
		{env: "", getFunction: 200.0 / 3, sameClient: true},
		{env: OneBucketPacing, getFunction: 10},
		{env: "one", err: `LAMBDA_PROMOTE_PACING="one": the one value it takes is "one-bucket"`},
	} {
		p, reads, err := pacing(10, tc.env)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one starting %q", tc.env, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.env, err)
		}
		if got := p.Budget(pace.GetFunction); got < tc.getFunction-1e-9 || got > tc.getFunction+1e-9 {
			t.Errorf("%q: GetFunction's budget %v, want %v", tc.env, got, tc.getFunction)
		}
		if got, ok := reads(lc).(*lambda.Client); (ok && got == lc) != tc.sameClient {
			t.Errorf("%q: reads through %T, want the client itself: %t", tc.env, reads(lc), tc.sameClient)
		}
	}
}
