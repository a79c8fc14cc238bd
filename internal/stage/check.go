package stage

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lambda-promote/lambda-promote/internal/outcome"
)

// Check judges the finding for alias: the stage variable must equal alias
// ("stage variable"), and every integration that names the function must call
// it through ${stageVariables.VAR}, or name alias itself ("integration").
// Failed checks say what was found and give the aws CLI command that fixes
// them. Stage variables take effect at once; integration changes of a REST
// API need a new deployment, which the command includes.
func (f Finding) Check(alias string) []outcome.Check {
	return []outcome.Check{f.checkVariable(alias), f.checkIntegration(alias)}
}

func (f Finding) what() string {
	return fmt.Sprintf("stage %s of %s %s", f.Stage, f.Kind, f.APIID)
}

func (f Finding) checkVariable(alias string) outcome.Check {
	c := outcome.Check{Name: CheckVariable}
	switch {
	case f.VariableSet && f.VariableValue == alias:
		c.OK = true
		c.Detail = fmt.Sprintf("%s sets %s=%s", f.what(), f.Variable, alias)
		return c
	case f.VariableSet:
		c.Detail = fmt.Sprintf("%s sets %s=%s, not %s", f.what(), f.Variable, f.VariableValue, alias)
	default:
		c.Detail = fmt.Sprintf("%s does not set stage variable %s", f.what(), f.Variable)
	}
	if f.Kind == KindREST {
		c.Fix = fmt.Sprintf("aws apigateway update-stage --rest-api-id %s --stage-name %s --patch-operations %s",
			shellQuote(f.APIID), shellQuote(f.Stage), shellQuote("op=replace,path=/variables/"+f.Variable+",value="+alias))
		return c
	}
	// The HTTP API takes the variables as one map; keep the others as they are.
	vars := maps.Clone(f.StageVariables)
	if vars == nil {
		vars = map[string]string{}
	}
	vars[f.Variable] = alias
	pairs := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		pairs = append(pairs, k+"="+vars[k])
	}
	c.Fix = fmt.Sprintf("aws apigatewayv2 update-stage --api-id %s --stage-name %s --stage-variables %s",
		shellQuote(f.APIID), shellQuote(f.Stage), shellQuote(strings.Join(pairs, ",")))
	return c
}

func (f Finding) checkIntegration(alias string) outcome.Check {
	c := outcome.Check{Name: CheckIntegration}
	ref := variableRef(f.Variable)
	target := f.fn.name + ":" + ref

	if len(f.Bindings) == 0 {
		found := "no integrations"
		if len(f.Others) > 0 {
			found = "integrations " + list(f.Others)
		}
		c.Detail = fmt.Sprintf("no integration of %s %s calls function %s (found %s)", f.Kind, f.APIID, f.fn.name, found)
		if f.Kind == KindREST {
			uri := "arn:" + f.fn.partition + ":apigateway:" + f.fn.region + ":lambda:path/2015-03-31/functions/" + f.fn.arn() + ":" + ref + "/invocations"
			c.Fix = fmt.Sprintf("aws apigateway put-integration --rest-api-id %s --resource-id RESOURCE_ID --http-method ANY --type AWS_PROXY --integration-http-method POST --uri %s && %s",
				shellQuote(f.APIID), shellQuote(uri), f.redeploy())
		} else {
			c.Fix = fmt.Sprintf("aws apigatewayv2 create-integration --api-id %s --integration-type AWS_PROXY --payload-format-version 2.0 --integration-uri %s",
				shellQuote(f.APIID), shellQuote(f.fn.arn()+":"+ref))
		}
		return c
	}

	var good, bad []string
	var fixes []string
	for _, b := range f.Bindings {
		switch b.Qualifier {
		case ref:
			good = append(good, b.Where+" calls "+target)
			continue
		case alias:
			good = append(good, b.Where+" calls "+f.fn.name+":"+alias+" (a fixed qualifier; the stage variable is not used)")
			continue
		case "":
			bad = append(bad, b.Where+" calls "+f.fn.name+" with no qualifier ($LATEST)")
		default:
			bad = append(bad, b.Where+" calls "+f.fn.name+":"+b.Qualifier+" (a fixed qualifier)")
		}
		fixes = append(fixes, f.fixBinding(b))
	}
	if len(bad) == 0 {
		c.OK = true
		c.Detail = strings.Join(good, "; ")
		return c
	}
	c.Detail = strings.Join(bad, "; ") + ", not " + target
	if f.Kind == KindREST || !f.AutoDeploy {
		fixes = append(fixes, f.redeploy())
	}
	c.Fix = strings.Join(fixes, " && ")
	return c
}

// fixBinding is the command that makes b call the function through the
// stage variable.
func (f Finding) fixBinding(b Binding) string {
	uri := b.URI
	if r, ok := parseIntegrationURI(b.URI); ok {
		uri = b.URI[:r.start] + "arn:" + r.partition + ":lambda:" + r.region + ":" + r.account + ":function:" + r.name + ":" + variableRef(f.Variable) + b.URI[r.end:]
	}
	if f.Kind == KindREST {
		op, _ := json.Marshal([]map[string]string{{"op": "replace", "path": "/uri", "value": uri}})
		return fmt.Sprintf("aws apigateway update-integration --rest-api-id %s --resource-id %s --http-method %s --patch-operations %s",
			shellQuote(f.APIID), shellQuote(b.ResourceID), shellQuote(b.HTTPMethod), shellQuote(string(op)))
	}
	return fmt.Sprintf("aws apigatewayv2 update-integration --api-id %s --integration-id %s --integration-uri %s",
		shellQuote(f.APIID), shellQuote(b.IntegrationID), shellQuote(uri))
}

func (f Finding) redeploy() string {
	if f.Kind == KindREST {
		return fmt.Sprintf("aws apigateway create-deployment --rest-api-id %s --stage-name %s", shellQuote(f.APIID), shellQuote(f.Stage))
	}
	return fmt.Sprintf("aws apigatewayv2 create-deployment --api-id %s --stage-name %s", shellQuote(f.APIID), shellQuote(f.Stage))
}

// list names at most a few items.
func list(items []string) string {
	const most = 3
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:most], ", "), len(items)-most)
}

// shellQuote quotes s for a POSIX shell when it holds anything but plainly
// safe characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
