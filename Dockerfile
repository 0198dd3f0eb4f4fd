# syntax=docker/dockerfile:1
#
# The EduPulse Live server as a container image: one static binary, the CA
# certificates and an empty data directory, nothing else (no shell, no
# package manager, no libc).
#
#   docker build -t edupulse:dev .
#   docker build --build-arg VERSION=$(git describe --tags --always) -t edupulse:$(git describe --tags --always) .
#
# The build command below is the one `make check-static` (scripts/check-static.sh)
# runs and then proves static by starting the result in an empty root: keep
# the two in step (deploy_test.go checks that they are).
#
# Health: the image has no shell and no HTTP client, so it declares no
# HEALTHCHECK. Probe over HTTP from outside instead: GET /healthz (liveness:
# the process serves HTTP) and GET /readyz (readiness: the store reachable),
# as a Kubernetes httpGet probe or a load balancer's active health check
# does (compose.yaml's Caddy checks /readyz). See docs/deployment.md.

ARG GO_VERSION=1.26

# The builder runs on the build machine's platform and cross-compiles
# (CGO_ENABLED=0 needs no C toolchain for the target), so that
# `docker buildx build --platform linux/amd64,linux/arm64` needs no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

# VERSION is stamped into main.version. The linker ignores -X for a
# variable that does not exist, so the flag is harmless until package main
# declares `var version string` for `edupulse version`.
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}" -o /out/edupulse ./cmd/edupulse

# The data directory (EDUPULSE_DATA_DIR): the embedded SQLite store and
# NATS server's files when no DATABASE_URL / NATS_URL is given. Created
# here because the final image has no mkdir; owned by the runtime user.
RUN mkdir -p /out/data

FROM scratch

# TLS to PostgreSQL, NATS and a JWKS endpoint: Go reads this bundle itself.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/edupulse /edupulse
COPY --from=build --chown=65532:65532 /out/data /data

ARG VERSION=dev
LABEL org.opencontainers.image.title="edupulse" \
      org.opencontainers.image.description="EduPulse Live GraphQL server" \
      org.opencontainers.image.version="${VERSION}"

# A numeric user: scratch has no /etc/passwd to look a name up in.
USER 65532:65532

# Listen on every interface inside the container (the binary's default,
# 127.0.0.1, is unreachable from outside it).
ENV EDUPULSE_HTTP_ADDR=0.0.0.0:8080 \
    EDUPULSE_DATA_DIR=/data

# 8080: HTTP API, websockets, SSE, /healthz, /readyz. 9090: the admin
# listener, when EDUPULSE_ADMIN_ADDR=0.0.0.0:9090 is set (keep it private).
EXPOSE 8080 9090

ENTRYPOINT ["/edupulse"]
CMD ["serve"]
