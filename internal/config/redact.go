package config

import (
	"strconv"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/rollout"
)

// Redacted returns the config as input name → value, in the inputs' text
// form, for debug logs and the dry-run plan. The token is "***" when set.
func (c Config) Redacted() map[string]string {
	m := map[string]string{
		InFunctionName:       strings.Join(c.Functions, ","),
		InAlias:              c.Alias,
		InVersion:            c.Version,
		InSourceAlias:        c.SourceAlias,
		InDescription:        c.Description,
		InStrategy:           c.Strategy,
		InSteps:              "",
		InInterval:           rollout.ShortDuration(c.Interval),
		InTrafficWeight:      "",
		InAlarms:             strings.Join(c.Alarms, ","),
		InMaxErrorRate:       "",
		InSmokeTestPayload:   string(c.SmokePayload),
		InRollback:           strconv.FormatBool(c.Rollback),
		InAPIID:              c.APIID,
		InStage:              c.Stage,
		InStageVariable:      c.StageVariable,
		InCheckPermission:    strconv.FormatBool(c.CheckPermission),
		InDryRun:             strconv.FormatBool(c.DryRun),
		InGitHubToken:        "",
		InComment:            strconv.FormatBool(c.Comment),
		InDeployment:         strconv.FormatBool(c.Deployment),
		InEnvironment:        c.Environment,
		InAWSRegion:          c.Region,
		InMinInvocations:     strconv.Itoa(c.MinInvocations),
		InCompareToStable:    strconv.FormatBool(c.CompareToStable),
		InConfidence:         c.Confidence.String(),
		InMaxLatencyIncrease: c.MaxLatencyIncrease.String(),
		InRoleToAssume:       c.RoleToAssume,
		InDetach:             strconv.FormatBool(c.Detach),
		InMaxRPS:             strconv.FormatFloat(c.MaxRPS, 'f', -1, 64),
		InWaitTimeout:        rollout.ShortDuration(c.WaitTimeout),
	}
	m[InRequireAliasTraffic] = strconv.FormatBool(c.RequireAliasTraffic)
	if len(c.Steps) > 0 {
		parts := make([]string, len(c.Steps))
		for i, s := range c.Steps {
			parts[i] = s.Number()
		}
		m[InSteps] = strings.Join(parts, ",")
	}
	if c.TrafficWeight != nil {
		m[InTrafficWeight] = c.TrafficWeight.String()
	}
	if c.MaxErrorRate != nil {
		m[InMaxErrorRate] = c.MaxErrorRate.String()
	}
	if c.GitHubToken != "" {
		m[InGitHubToken] = "***"
	}
	return m
}

// Plan returns the rollout this config asks for: a held slice for
// traffic-weight (all at once when it is 100), the custom steps, or the
// strategy's preset.
func (c Config) Plan() rollout.Plan {
	switch {
	case c.TrafficWeight != nil && *c.TrafficWeight < 100:
		return rollout.Hold(*c.TrafficWeight)
	case c.TrafficWeight != nil:
		p, _ := rollout.Preset(StrategyAllAtOnce)
		return p
	case len(c.Steps) > 0:
		return rollout.Custom(c.Steps, c.Interval)
	}
	if p, ok := rollout.Preset(c.Strategy); ok {
		return p
	}
	p, _ := rollout.Preset(StrategyAllAtOnce)
	return p
}
