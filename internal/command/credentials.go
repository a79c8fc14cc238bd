package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambda-promote/lambda-promote/internal/promote"
)

// stsAudience is the audience AWS STS expects in a GitHub OIDC token
// (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services).
const stsAudience = "sts.amazonaws.com"

// Lifetime of the role session and how early it is renewed. STS keeps a
// web-identity session for one hour unless the role allows more
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html);
// asking for an hour works with every role's default maximum.
const (
	roleSession   = time.Hour
	renewalWindow = 5 * time.Minute
)

// assumeRole gives the run credentials of its own: the job's GitHub OIDC
// token exchanged for the role's credentials through STS
// AssumeRoleWithWebIdentity, by the SDK's web-identity provider, cached and
// renewed 5 minutes before they expire, so that a rollout of hours and its
// rollback keep working. A new OIDC token is fetched for each renewal.
func assumeRole(ac aws.Config, role, runID string, getenv func(string) string, log *logger) (aws.CredentialsProvider, error) {
	reqURL, reqToken := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || reqToken == "" {
		return nil, errors.New("input \"role-to-assume\": the job has no OIDC token to assume the role with; give the job `permissions: id-token: write` (and keep the workflow's other permissions), or drop role-to-assume and set credentials with aws-actions/configure-aws-credentials")
	}
	log.mask(reqToken)
	session := "lambda-promote"
	if runID != "" {
		session += "-" + runID
	}
	tokens := &oidcTokens{url: reqURL, token: reqToken, log: log, client: &http.Client{Timeout: requestTimeout}}
	provider := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(ac), role, tokens, func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = session
		o.Duration = roleSession
	})
	return aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = renewalWindow
	}), nil
}

// oidcTokens fetches the job's OIDC token from the runner, as
// actions/toolkit's core.getIDToken does: GET the request URL with the
// audience added, authorized by the request token, answering {"value": JWT}.
type oidcTokens struct {
	url, token string
	client     *http.Client
	log        *logger
}

func (o *oidcTokens) GetIdentityToken() ([]byte, error) {
	u, err := url.Parse(o.url)
	if err != nil {
		return nil, fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", stsAudience)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+o.token)
	req.Header.Set("Accept", "application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get the job's OIDC token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("get the job's OIDC token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get the job's OIDC token: the runner answered %s", resp.Status)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil || strings.TrimSpace(v.Value) == "" {
		return nil, errors.New("get the job's OIDC token: the runner's answer holds no token")
	}
	o.log.mask(v.Value)
	return []byte(v.Value), nil
}

// lifetime tells promote how long the run's credentials last. Credentials
// that carry their expiry come from a source the SDK renews them from
// itself, before they expire: a container endpoint, an instance role, a
// web-identity token file, SSO, a credential process
// (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html);
// the SDK's cache reports as their expiry the time it will renew them. So
// they count as renewable, as role-to-assume's do. What is left is session
// credentials without a known expiry, such as the environment variables
// configure-aws-credentials sets.
func lifetime(c aws.Credentials, roleToAssume bool) promote.Credentials {
	lt := promote.Credentials{Session: c.SessionToken != "", Renewable: roleToAssume || c.CanExpire}
	if c.CanExpire {
		lt.Expires = c.Expires
	}
	return lt
}
