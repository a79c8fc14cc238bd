package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// Limits of the run inputs.
const (
	maxRPS            = 15 // Lambda's control-plane quota per account and Region
	maxMinInvocations = 1_000_000_000
	maxWaitTimeout    = time.Hour
)

// run checks min-invocations, detach, max-requests-per-second,
// role-to-assume and wait-timeout.
func (p *parser) run(c *Config) {
	c.Detach = p.bool(InDetach)
	if c.Detach && p.given(InTrafficWeight) {
		p.fail(InDetach, `not together with "traffic-weight": a held canary already ends the run; detach carries a "strategy" or "steps" schedule on in later runs`)
	}
	rps, err := strconv.ParseFloat(p.value(InMaxRPS), 64)
	switch {
	case err != nil || rps <= 0 || rps > maxRPS || strings.ContainsAny(p.value(InMaxRPS), "eExXpP_"):
		p.fail(InMaxRPS, fmt.Sprintf("a number of requests per second above 0 and at most %d (Lambda's quota per account and region), e.g. \"10\" or \"2.5\"", maxRPS))
	default:
		c.MaxRPS = rps
	}
	if v := p.value(InMinInvocations); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 0 || n > maxMinInvocations || strings.HasPrefix(v, "+"):
			p.fail(InMinInvocations, `a whole number of invocations, 0 or more, e.g. "100"`)
		default:
			c.MinInvocations = n
		}
	}
	if p.given(InRoleToAssume) {
		r := p.value(InRoleToAssume)
		if roleARN(r) {
			c.RoleToAssume = r
		} else {
			p.fail(InRoleToAssume, `an IAM role ARN, e.g. "arn:aws:iam::123456789012:role/github-deploy"`)
		}
	}
	d, err := time.ParseDuration(p.value(InWaitTimeout))
	switch {
	case err != nil || d <= 0:
		p.fail(InWaitTimeout, `a Go duration above zero, e.g. "5m" or "90s"`)
	case d > maxWaitTimeout:
		p.fail(InWaitTimeout, fmt.Sprintf("at most %s", rollout.ShortDuration(maxWaitTimeout)))
	default:
		c.WaitTimeout = d
	}
}

// roleARN reports whether s is an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME.
func roleARN(s string) bool {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || a.Region != "" || len(a.AccountID) != 12 {
		return false
	}
	name, ok := strings.CutPrefix(a.Resource, "role/")
	return ok && name != "" && !strings.HasSuffix(name, "/") && strings.Trim(a.AccountID, "0123456789") == ""
}
