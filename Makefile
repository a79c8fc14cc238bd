# lambda-promote: the commands a newcomer runs.
#   make demo   a full promotion against a local AWS emulator (moto), started and stopped here
#   make test   lint, unit, integration (moto), end-to-end and container contract tests
#   make image  the real Dockerfile built with podman, then the container contract test on it (minutes)
#   make act    the workflows of testdata/workflows/act run by nektos/act, which builds the
#               Dockerfile for uses: ./ through podman's Docker API (minutes; CI runs it after make test)
#   make bench  the action against an AWS CLI script and a minimal SDK program, on one moto server;
#               then a job's start-up: build the Dockerfile, pull the released image, or neither
# Go modules and the lint tools come from the Go module proxy; moto is a Python
# package (moto[server]) that must be importable by python3; podman runs the
# containers (under CI=true it is installed when missing, with apt-get).

GO        ?= go
BIN       := bin/lambda-promote
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# The image make image builds and make contract runs.
IMAGE     ?= localhost/lambda-promote:dev
# The stand-in images and act live in a cache outside the repository.
CACHE     := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/lambda-promote
# nektos/act, the runner make act judges the action with: a tool, not a
# module dependency; bump deliberately.
ACT_VERSION := v0.2.89
ACT       := $(CACHE)/act-$(ACT_VERSION)/act
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET   := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
# GitHub's REST API description (npm @octokit/openapi), which the tests' fake
# GitHub answers to (internal/testenv/githubapi): installed once into the
# cache, outside the repository; the tests find it through the variable.
OCTOKIT_OPENAPI_VERSION := 23.0.2
OCTOKIT_OPENAPI_DIR := $(CACHE)/octokit-openapi-$(OCTOKIT_OPENAPI_VERSION)
export LAMBDA_PROMOTE_GITHUB_OPENAPI ?= $(OCTOKIT_OPENAPI_DIR)/node_modules/@octokit/openapi/generated/api.github.com.json

.PHONY: all build test unit lint demo bench check-moto check-podman check-standins check-act github-openapi image contract act clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) .

# moto is required: tests that need it fail under CI=true when it is missing.
# So is botocore (moto depends on it; the AWS CLI v1 carries it too): its AWS
# API models judge every request and answer through the fault proxy, read
# from the installed botocore at test time (or BOTOCORE_DATA_DIR).
check-moto:
	@python3 -c 'import moto, flask' 2>/dev/null || { \
	  echo "moto's server is not installed for python3: pip install 'moto[server]'" >&2; exit 1; }
	@[ -n "$$BOTOCORE_DATA_DIR" ] || python3 -c 'import botocore' 2>/dev/null || { \
	  echo "botocore is not installed for python3 (AWS's API models): pip install botocore, or set BOTOCORE_DATA_DIR" >&2; exit 1; }

# podman runs the container contract test (internal/testenv/container). Under
# CI=true a missing podman is installed, as the lint tools are fetched; the
# test then fails rather than skips if it cannot run. Elsewhere it skips and
# says why.
check-podman:
	@command -v podman >/dev/null 2>&1 || { \
	  if [ "$$CI" = true ]; then \
	    echo "podman is missing: installing it (CI=true)"; \
	    $(APT_GET) update && $(APT_GET) install -y --no-install-recommends podman runc; \
	  else \
	    echo "podman is not installed: the container contract test will be skipped" \
	      "(install it: apt-get install -y --no-install-recommends podman runc)" >&2; \
	  fi; }

# npm installs the description into a temporary folder, moved into place
# whole, so an interrupted install is never taken for a complete one. Under
# CI=true a missing npm is installed; the tests fail there without the
# description, and elsewhere skip and say how to install it.
github-openapi:
	@[ -f "$(LAMBDA_PROMOTE_GITHUB_OPENAPI)" ] || { \
	  command -v npm >/dev/null 2>&1 || { \
	    if [ "$$CI" = true ]; then $(APT_GET) update && $(APT_GET) install -y --no-install-recommends npm; \
	    else echo "npm is missing: it installs GitHub's OpenAPI description (apt-get install -y npm)" >&2; exit 1; fi; }; \
	  mkdir -p "$(dir $(OCTOKIT_OPENAPI_DIR))" && tmp=$$(mktemp -d "$(OCTOKIT_OPENAPI_DIR).XXXXXX") && \
	  npm install --prefix "$$tmp" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
	    "@octokit/openapi@$(OCTOKIT_OPENAPI_VERSION)" && \
	  rm -rf "$(OCTOKIT_OPENAPI_DIR)" && mv "$$tmp" "$(OCTOKIT_OPENAPI_DIR)" || { rm -rf "$$tmp"; exit 1; }; }

lint:
	bash .ci/lint.sh

unit: github-openapi
	$(GO) test -race -shuffle=on -count=1 ./...

test: check-moto check-podman github-openapi lint unit

# The real Dockerfile, unmodified, built with podman: its base images come
# from local stand-ins (Debian bookworm by debootstrap plus this machine's Go;
# scratch with CA certificates), as no container registry can be reached
# here. The bookworm tree is made once and kept in ~/.cache/lambda-promote.
# Then the contract test runs the image as the runner would.
image: check-moto check-podman check-standins
	$(GO) run ./internal/dev/image -tag $(IMAGE) -version $(VERSION)
	$(MAKE) contract IMAGE=$(IMAGE)

# What the stand-ins of the Dockerfile's base images need: podman, and
# debootstrap once (until the bookworm tree is in the cache).
check-standins:
	@command -v podman >/dev/null 2>&1 || { echo "$(MAKECMDGOALS) needs podman (apt-get install -y --no-install-recommends podman runc)" >&2; exit 1; }
	@[ -f "$(CACHE)/debootstrap-bookworm-minbase-$$($(GO) env GOARCH).tar" ] || \
	  command -v debootstrap >/dev/null 2>&1 || { \
	  if [ "$$CI" = true ]; then $(APT_GET) update && $(APT_GET) install -y --no-install-recommends debootstrap; \
	  else echo "$(MAKECMDGOALS) needs debootstrap once (apt-get install -y debootstrap)" >&2; exit 1; fi; }

# act, built from the Go module proxy once per version into the cache.
check-act:
	@[ -x "$(ACT)" ] || GOBIN="$(dir $(ACT))" $(GO) install github.com/nektos/act@$(ACT_VERSION)

# The workflows of testdata/workflows/act run by act against podman's Docker
# API (internal/testenv/act): act builds the Dockerfile for uses: ./, with
# the stand-ins of make image for its base images.
act: check-moto check-podman check-standins check-act github-openapi
	LAMBDA_PROMOTE_ACT=$(ACT) $(GO) test -count=1 -v -timeout 30m -run '^TestAct$$' ./internal/testenv/act/

# The container contract test against an image already built: IMAGE=…
contract: check-moto check-podman
	LAMBDA_PROMOTE_IMAGE=$(IMAGE) $(GO) test -count=1 -v -run '^TestContract$$' ./internal/testenv/container/

demo: check-moto build
	$(GO) run ./internal/dev/demo -bin $(BIN)

# Twice: on bare moto, and with 20 ms added to every request (a nearby AWS
# region), where running independent reads at once pays off as it does on AWS.
# Then a job's start-up, side by side: the Dockerfile built with an empty
# cache (image: Dockerfile, today), the released image pulled from a registry
# on localhost (image: docker://…@sha256:…), and the image already present.
# Then releases of 1, 10 and 50 functions within Lambda's quota, and a
# cancelled release of 50 (internal/dev/releasebench).
bench: check-moto check-podman build
	$(GO) run ./internal/dev/bench -bin $(BIN) -out testdata/bench
	$(GO) run ./internal/dev/bench -bin $(BIN) -latency 20ms -out testdata/bench/latency-20ms
	$(GO) run ./internal/dev/startup -version $(VERSION) -out testdata/bench/startup
	$(GO) run ./internal/dev/releasebench -bin $(BIN) -out testdata/bench/releases

clean:
	rm -rf bin
