# lambda-promote: the commands a newcomer runs.
#   make demo   a full promotion against a local AWS emulator (moto), started and stopped here
#   make test   lint, unit, integration (moto) and end-to-end tests
#   make bench  the action against an AWS CLI script and a minimal SDK program, on one moto server
# Go modules and the lint tools come from the Go module proxy; moto is a Python
# package (moto[server]) that must be importable by python3.

GO        ?= go
BIN       := bin/lambda-promote
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)

.PHONY: all build test unit lint demo bench check-moto clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) .

# moto is required: tests that need it fail under CI=true when it is missing.
check-moto:
	@python3 -c 'import moto, flask' 2>/dev/null || { \
	  echo "moto's server is not installed for python3: pip install 'moto[server]'" >&2; exit 1; }

lint:
	bash .ci/lint.sh

unit:
	$(GO) test -race -shuffle=on -count=1 ./...

test: check-moto lint unit

demo: check-moto build
	$(GO) run ./internal/dev/demo -bin $(BIN)

# Twice: on bare moto, and with 20 ms added to every request (a nearby AWS
# region), where running independent reads at once pays off as it does on AWS.
bench: check-moto build
	$(GO) run ./internal/dev/bench -bin $(BIN) -out testdata/bench
	$(GO) run ./internal/dev/bench -bin $(BIN) -latency 20ms -out testdata/bench/latency-20ms

clean:
	rm -rf bin
