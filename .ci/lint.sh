#!/usr/bin/env bash
# Hygiene checks run by `make test`: formatting, vet, staticcheck, a tidy
# go.mod, and actionlint over the workflows (the repository's own and the
# README's examples). Tools come from the Go module proxy at pinned versions,
# so nothing needs installing first.
set -euo pipefail

cd "$(dirname "$0")/.."

# Bump deliberately; both must build with the go directive in go.mod.
readonly STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2
readonly ACTIONLINT_VERSION=v1.7.12

status=0
fail() {
	echo "lint: $*" >&2
	status=1
}

echo "lint: gofmt"
unformatted=$(gofmt -l .)
if [[ -n "$unformatted" ]]; then
	fail "gofmt would change these files (run gofmt -w on them):"
	while IFS= read -r file; do
		echo "  $file" >&2
	done <<<"$unformatted"
fi

echo "lint: go vet"
go vet ./... || fail "go vet found problems"

echo "lint: staticcheck ${STATICCHECK_VERSION}"
go run "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}" ./... ||
	fail "staticcheck found problems"

echo "lint: go mod tidy"
go mod tidy -diff || fail "go.mod or go.sum is not tidy (run go mod tidy)"

echo "lint: actionlint ${ACTIONLINT_VERSION}"
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml testdata/workflows/*.yml testdata/workflows/*.yaml testdata/workflows/act/*.yml)
shopt -u nullglob
if ((${#workflows[@]} == 0)); then
	fail "no workflow files found for actionlint"
else
	go run "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" "${workflows[@]}" ||
		fail "actionlint found problems"
fi

if ((status != 0)); then
	echo "lint: FAILED" >&2
else
	echo "lint: ok"
fi
exit "$status"
