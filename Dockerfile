# lambda-promote: the image behind the GitHub action (action.yml) and the
# released ghcr.io image.
#
# Both base images are pinned by the digest of their multi-arch index, so the
# same reference serves linux/amd64 and linux/arm64. The tag next to each
# digest is for readers only; the digest decides. Bump tag and digest together.

# Build stage. It runs on the builder's own platform and cross-compiles
# (CGO_ENABLED=0 needs no C toolchain), so an arm64 release is not compiled
# under QEMU emulation.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:9fdc884aacc3bec89b20ffc69f4bb369c78210e3e4f600387b5128b12c199f81 AS build

ARG TARGETOS
ARG TARGETARCH

WORKDIR /src

# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /lambda-promote .

# Final stage: distroless static carries CA certificates, tzdata and
# /etc/passwd, and nothing else. No USER: GitHub runs container actions as
# root and needs to write to the mounted workspace and GITHUB_* files. No
# WORKDIR: GitHub sets the working directory to the workspace itself.
FROM gcr.io/distroless/static-debian12:latest@sha256:d75cdd72874d4790092fcb1b058493ecf6bb5bf2b2b897045b00ff01d91843f2

COPY --from=build /lambda-promote /lambda-promote

ENTRYPOINT ["/lambda-promote"]
