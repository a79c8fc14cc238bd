package faultproxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// auth is an Authorization header signed for service.
func auth(service string) string {
	return "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}

func TestClassify(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded; charset=utf-8"
	tests := []struct {
		name        string
		method, url string
		header      map[string]string
		body        string
		want        Op
		wantProto   protocol
	}{
		{
			name: "lambda get alias", method: "GET", url: "/2015-03-31/functions/orders/aliases/prod",
			header: map[string]string{"Authorization": auth("lambda")},
			want:   Op{"lambda", "GetAlias", false},
		},
		{
			name: "lambda escaped arn", method: "PUT", url: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders/aliases/prod",
			header: map[string]string{"Authorization": auth("lambda")},
			want:   Op{"lambda", "UpdateAlias", true},
		},
		{
			name: "lambda invoke is no change", method: "POST", url: "/2015-03-31/functions/orders/invocations?Qualifier=prod",
			want: Op{"lambda", "Invoke", false},
		},
		{
			name: "lambda list functions with a trailing slash", method: "GET", url: "/2015-03-31/functions/",
			want: Op{"lambda", "ListFunctions", false},
		},
		{
			name: "lambda query literal wins", method: "GET", url: "/2018-10-31/layers?find=LayerVersion&Arn=x",
			want: Op{"lambda", "GetLayerVersionByArn", false},
		},
		{
			name: "lambda without the query literal", method: "GET", url: "/2018-10-31/layers",
			want: Op{"lambda", "ListLayers", false},
		},
		{
			name: "lambda empty label", method: "GET", url: "/2015-03-31/functions//aliases/prod",
			header: map[string]string{"Authorization": auth("lambda")},
			want:   Op{"lambda", "unknown", false},
		},
		{
			name: "apigateway stage", method: "GET", url: "/restapis/abc/stages/prod",
			header: map[string]string{"Authorization": auth("apigateway")},
			want:   Op{"apigateway", "GetStage", false},
		},
		{
			name: "apigateway update stage", method: "PATCH", url: "/restapis/abc/stages/prod",
			header: map[string]string{"Authorization": auth("apigateway")},
			want:   Op{"apigateway", "UpdateStage", true},
		},
		{
			name: "apigateway import", method: "POST", url: "/restapis?mode=import",
			want: Op{"apigateway", "ImportRestApi", true},
		},
		{
			name: "apigateway test invoke is no change", method: "POST", url: "/restapis/abc/resources/r1/methods/GET",
			want: Op{"apigateway", "TestInvokeMethod", false},
		},
		{
			name: "apigatewayv2 stage", method: "GET", url: "/v2/apis/abc/stages/prod",
			header: map[string]string{"Authorization": auth("apigateway")},
			want:   Op{"apigatewayv2", "GetStage", false},
		},
		{
			name: "apigatewayv2 unknown", method: "DELETE", url: "/v2/nothing",
			header: map[string]string{"Authorization": auth("apigateway")},
			want:   Op{"apigatewayv2", "unknown", true},
		},
		{
			name: "cloudwatch json", method: "POST", url: "/",
			header:    map[string]string{"X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms", "Authorization": auth("monitoring")},
			want:      Op{"cloudwatch", "DescribeAlarms", false},
			wantProto: awsJSON,
		},
		{
			name: "cloudwatch json put", method: "POST", url: "/",
			header:    map[string]string{"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"},
			want:      Op{"cloudwatch", "PutMetricData", true},
			wantProto: awsJSON,
		},
		{
			name: "cloudwatch cbor", method: "POST", url: "/service/GraniteServiceVersion20100801/operation/GetMetricData",
			want:      Op{"cloudwatch", "GetMetricData", false},
			wantProto: rpcv2CBOR,
		},
		{
			name: "cloudwatch query", method: "POST", url: "/",
			header:    map[string]string{"Content-Type": form, "Authorization": auth("monitoring")},
			body:      "Action=SetAlarmState&Version=2010-08-01&AlarmName=a",
			want:      Op{"cloudwatch", "SetAlarmState", true},
			wantProto: awsQuery,
		},
		{
			name: "sts query", method: "POST", url: "/",
			header:    map[string]string{"Content-Type": form, "Authorization": auth("sts")},
			body:      "Action=GetCallerIdentity&Version=2011-06-15",
			want:      Op{"sts", "GetCallerIdentity", false},
			wantProto: awsQuery,
		},
		{
			name: "sts web identity is unsigned", method: "POST", url: "/",
			header:    map[string]string{"Content-Type": form},
			body:      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn&WebIdentityToken=a.b.c",
			want:      Op{"sts", "AssumeRoleWithWebIdentity", false},
			wantProto: awsQuery,
		},
		{
			name: "unsigned unknown action", method: "POST", url: "/",
			header:    map[string]string{"Content-Type": form},
			body:      "Action=ListUsers",
			want:      Op{"unknown", "ListUsers", false},
			wantProto: awsQuery,
		},
		{
			name: "iam query", method: "POST", url: "/",
			header:    map[string]string{"Content-Type": form, "Authorization": auth("iam")},
			body:      "Action=CreateRole&Version=2010-05-08",
			want:      Op{"iam", "CreateRole", true},
			wantProto: awsQuery,
		},
		{
			name: "other json target", method: "POST", url: "/",
			header:    map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter", "Authorization": auth("ssm")},
			want:      Op{"ssm", "GetParameter", false},
			wantProto: awsJSON,
		},
		{
			name: "unsigned unknown", method: "GET", url: "/moto-api/",
			want: Op{"unknown", "unknown", false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			got, proto := classify(r, []byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("classify() op (-want +got):\n%s", diff)
			}
			if proto != tt.wantProto {
				t.Errorf("classify() protocol = %d, want %d", proto, tt.wantProto)
			}
		})
	}
}

// Every route names an operation, and no two routes of a service can match
// the same request.
func TestRoutesDistinct(t *testing.T) {
	t.Parallel()
	for _, svc := range restServices {
		seen := map[string]string{}
		for _, r := range svc.routes {
			key := r.method + " " + strings.Join(r.segs, "/") + "?" + r.query.Encode()
			if prev, ok := seen[key]; ok {
				t.Errorf("%s: %s and %s share %s", svc.name, prev, r.name, key)
			}
			seen[key] = r.name
			if r.name == "" {
				t.Errorf("%s: route %s has no name", svc.name, key)
			}
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("GET", "/2015-03-31/functions/orders/aliases/prod", "", "", "")
	f.Add("POST", "/", "GraniteServiceVersion20100801.DescribeAlarms", "", "{}")
	f.Add("POST", "/", "", auth("sts"), "Action=GetCallerIdentity")
	f.Add("POST", "/service/X/operation/Y", "", "Credential=/", "")
	f.Fuzz(func(t *testing.T, method, path, target, authorization, body string) {
		r, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Authorization", authorization)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		op, _ := classify(r, []byte(body))
		if op.Service == "" || op.Name == "" {
			t.Errorf("classify(%s %s) = %+v, want a service and a name", method, path, op)
		}
	})
}
