#!/usr/bin/env bash
# The peer `make bench` measures lambda-promote against: an all-at-once
# promotion as users write it by hand in a workflow step, with AWS CLI calls.
# It reaches whatever endpoint the environment names (AWS_ENDPOINT_URL).
#
#   peer-cli.sh FUNCTION ALIAS API_ID STAGE
set -euo pipefail

fn=$1 alias=$2 api=$3 stage=$4

state=$(aws lambda get-function-configuration --function-name "$fn" \
	--query '[State, LastUpdateStatus]' --output text)
if [[ $state != $'Active\tSuccessful' ]]; then
	echo "function $fn is not ready: $state" >&2
	exit 1
fi

version=$(aws lambda publish-version --function-name "$fn" \
	--description "promoted by peer-cli.sh" --query Version --output text)

variable=$(aws apigateway get-stage --rest-api-id "$api" --stage-name "$stage" \
	--query 'variables.lambdaAlias' --output text)
if [[ $variable != "$alias" ]]; then
	echo "stage $stage of api $api has lambdaAlias=$variable, want $alias" >&2
	exit 1
fi

policy=$(aws lambda get-policy --function-name "$fn" --qualifier "$alias" --query Policy --output text)
if ! grep -q '"apigateway.amazonaws.com"' <<<"$policy"; then
	echo "alias $alias of $fn does not let API Gateway invoke it" >&2
	exit 1
fi

aws lambda update-alias --function-name "$fn" --name "$alias" --function-version "$version" \
	--routing-config '{"AdditionalVersionWeights": {}}' --output text --query FunctionVersion >/dev/null

echo "promoted $fn:$alias to version $version"
