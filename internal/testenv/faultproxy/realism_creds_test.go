package faultproxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/lambda-promote/lambda-promote/internal/gate"
	"github.com/lambda-promote/lambda-promote/internal/testenv/faultproxy"
	"github.com/lambda-promote/lambda-promote/internal/testenv/moto"
	"github.com/lambda-promote/lambda-promote/internal/testenv/oidc"
)

// staticCreds is a provider of fixed session credentials.
func staticCreds(key string) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: "secret", SessionToken: "session-" + key, Source: "test"}, nil
	}
}

// TestRealismExpiredKey checks that requests signed with a key past its
// deadline are answered as AWS answers expired session credentials, in the
// shape of each protocol, and that other keys go on.
func TestRealismExpiredKey(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("creds"))
	p := faultproxy.NewT(t, s.URL)
	ctx := t.Context()

	cfg := p.AWSConfig(s.AWSConfig())
	cfg.RetryMaxAttempts = 1
	cfg.Credentials = staticCreds("ASIAGIVENTOTHEJOB01")
	lc, stc, cw := lambda.NewFromConfig(cfg), sts.NewFromConfig(cfg), gate.NewCloudWatch(cfg)
	calls := []struct {
		name string
		call func() error
		code string // once expired
	}{
		{"lambda", func() error {
			_, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function)})
			return err
		}, "ExpiredTokenException"},
		{"sts", func() error { _, err := stc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); return err }, "ExpiredTokenException"},
		{"cloudwatch", func() error { _, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); return err }, "ExpiredTokenException"},
	}

	deadline := time.Now().Add(time.Second)
	p.ExpireKey("ASIAGIVENTOTHEJOB01", deadline)
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s before the deadline: %v", c.name, err)
		}
	}
	time.Sleep(time.Until(deadline))
	for _, c := range calls {
		err := c.call()
		if code, msg := apiError(err); code != c.code || msg != "The security token included in the request is expired" || httpStatus(err) != http.StatusForbidden {
			t.Errorf("%s after the deadline = %v (code %q), want 403 %s", c.name, err, code, c.code)
		}
	}
	if n := p.RealismStats().Expired; n != len(calls) {
		t.Errorf("Expired = %d, want %d", n, len(calls))
	}
	// Another key is not affected.
	other := newClients(s, p, 1)
	if _, err := other.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function)}); err != nil {
		t.Errorf("a call with another key = %v", err)
	}
}

// tokenFrom fetches a token from the fake GitHub endpoint as a job does.
type tokenFrom struct {
	idp      *oidc.Server
	audience string
}

func (f tokenFrom) GetIdentityToken() ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, f.idp.RequestURL+"&audience="+f.audience, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+f.idp.RequestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint: %s: %s", resp.Status, b)
	}
	var out struct{ Value string }
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return []byte(out.Value), nil
}

// TestRealismWebIdentity checks the OIDC/STS pair: AssumeRoleWithWebIdentity
// through the proxy issues credentials whose Expiration is SessionTTL away
// and enforced, the SDK's cache renews them, and a token for another
// audience is refused.
func TestRealismWebIdentity(t *testing.T) {
	t.Parallel()
	s := moto.Shared(t)
	w := seed(t, s, moto.Unique("oidc"))
	p := faultproxy.NewT(t, s.URL)
	const ttl = 1500 * time.Millisecond
	p.SetRealism(faultproxy.Realism{SessionTTL: ttl, WebIdentityAudience: "sts.amazonaws.com"})
	idp := oidc.NewT(t)
	ctx := t.Context()
	role := "arn:aws:iam::123456789012:role/deploy"

	base := p.AWSConfig(s.AWSConfig())
	base.RetryMaxAttempts = 1
	base.Credentials = nil // AssumeRoleWithWebIdentity is not signed
	provider := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(base), role, tokenFrom{idp, "sts.amazonaws.com"})

	start := time.Now()
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !creds.CanExpire || creds.Expires.Before(start.Add(ttl-time.Second)) || creds.Expires.After(time.Now().Add(ttl)) {
		t.Fatalf("credentials expire at %v (can expire %v), want about %v from %v", creds.Expires, creds.CanExpire, ttl, start)
	}
	rs := p.Requests()
	if len(rs) != 1 || rs[0].Op != (faultproxy.Op{Service: "sts", Name: "AssumeRoleWithWebIdentity"}) || rs[0].Realism != "Expiration" {
		t.Errorf("records = %+v, want one sts.AssumeRoleWithWebIdentity with its Expiration rewritten", summary(rs))
	}

	// Those credentials, held as they are, stop working at Expiration.
	held := base.Copy()
	held.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	lc := lambda.NewFromConfig(held)
	getConfig := func(c *lambda.Client) error {
		_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function)})
		return err
	}
	if err := getConfig(lc); err != nil {
		t.Fatalf("call with fresh credentials: %v", err)
	}
	time.Sleep(time.Until(creds.Expires))
	if code, _ := apiError(getConfig(lc)); code != "ExpiredTokenException" {
		t.Errorf("call with expired credentials: code %q, want ExpiredTokenException", code)
	}

	// The SDK's cache asks STS again when they expire, and goes on.
	if testing.Short() {
		t.Skip("skipping the renewals in -short mode")
	}
	cached := base.Copy()
	// Renewed a little before they expire, as a caller should.
	cached.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 300 * time.Millisecond })
	cc := lambda.NewFromConfig(cached)
	for range 2 {
		if err := getConfig(cc); err != nil {
			t.Fatalf("call through the credentials cache: %v", err)
		}
		time.Sleep(ttl)
	}
	if err := getConfig(cc); err != nil {
		t.Fatalf("call through the credentials cache after renewals: %v", err)
	}
	st := p.RealismStats()
	if len(st.Issued) < 3 || st.Expired != 1 {
		t.Errorf("issued %d, expired answers %d; want at least 3 (renewed), 1", len(st.Issued), st.Expired)
	}
	for _, is := range st.Issued {
		if is.RoleARN != role || is.Op != "AssumeRoleWithWebIdentity" || is.Expires.IsZero() {
			t.Errorf("issued %+v, want role %s, AssumeRoleWithWebIdentity, an expiry", is, role)
		}
	}
	for _, r := range idp.Requests() {
		if r.Audience != "sts.amazonaws.com" || r.Authorization != "Bearer "+idp.RequestToken || r.Status != http.StatusOK {
			t.Errorf("token request %+v, want audience sts.amazonaws.com with the request token", r)
		}
	}

	// A token for another audience is refused, as STS refuses it.
	wrong := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(base), role, tokenFrom{idp, "api://AzureADTokenExchange"})
	_, err = wrong.Retrieve(ctx)
	if !isA[*ststypes.InvalidIdentityTokenException](err) || httpStatus(err) != http.StatusBadRequest {
		t.Errorf("AssumeRoleWithWebIdentity with a token for another audience = %v, want 400 InvalidIdentityToken", err)
	}
	if n := p.RealismStats().WebIdentityRejected; n == 0 {
		t.Error("WebIdentityRejected = 0")
	}
}
