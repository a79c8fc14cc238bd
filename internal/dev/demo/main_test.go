package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lambda-promote/lambda-promote/internal/testenv/awsmodel"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
)

// TestJudgedFails: make demo fails when a request of the promotion breaks
// AWS's API model, and passes when none does.
func TestJudgedFails(t *testing.T) {
	t.Parallel()
	awsmodel.Required(t)
	for _, tc := range []struct {
		name, fn string
		fails    bool
	}{
		{"a function name with a space", "orders%20api", true},
		{"a function name AWS accepts", "orders-api", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Nothing listens there: the answer is the proxy's 502, which
			// is not judged; the request is.
			proxy, err := faultproxy.New("http://127.0.0.1:1")
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(t.Context(), "GET", proxy.URL+"/2015-03-31/functions/"+tc.fn+"/configuration", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			err = judged(proxy)
			if tc.fails && (err == nil || !strings.Contains(err.Error(), "lambda.GetFunctionConfiguration request member FunctionName (uri)")) {
				t.Errorf("judged = %v, want the FunctionName named", err)
			}
			if !tc.fails && err != nil {
				t.Errorf("judged = %v, want nil", err)
			}
		})
	}
}
