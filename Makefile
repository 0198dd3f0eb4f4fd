# Every target carries a `## description`; `make` (or `make help`) lists them.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go

# Linters are pinned and installed on first use into $(TOOLBIN), under
# versioned names so that a version bump reinstalls them. To use binaries of
# your own instead: make lint GOLANGCI_LINT=golangci-lint STATICCHECK=staticcheck
GOLANGCI_LINT_VERSION := v2.15.0
STATICCHECK_VERSION   := v0.8.2
TOOLBIN ?= $(CURDIR)/bin
GOLANGCI_LINT ?= $(TOOLBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
STATICCHECK   ?= $(TOOLBIN)/staticcheck-$(STATICCHECK_VERSION)

.PHONY: help
help: ## List the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the server (go run ./cmd/edupulse)
	$(GO) run ./cmd/edupulse

.PHONY: build
build: ## Build every package, and the server binary into ./bin/edupulse
	$(GO) build ./...
	$(GO) build -o bin/edupulse ./cmd/edupulse

.PHONY: test
test: ## Run the tests
	$(GO) test ./...

.PHONY: test-race
test-race: ## Run the tests with the race detector, uncached (what CI runs)
	$(GO) test -race -count=1 -timeout 20m ./...

# Each fuzz target runs for FUZZTIME, one after another; FUZZ=regexp picks
# targets by name. Plain `make test` already replays every seed corpus.
FUZZTIME ?= 1m
FUZZ ?= .

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for FUZZTIME each (default 1m; FUZZ=regexp to pick some)
	FUZZTIME=$(FUZZTIME) FUZZ='$(FUZZ)' GO=$(GO) scripts/fuzz.sh

.PHONY: generate
generate: ## Regenerate generated code (go generate ./...)
	$(GO) generate ./...

.PHONY: verify
verify: generate fmt-check ## Fail on generated-code drift (generate + git diff), unformatted files or go vet findings
	@git diff --exit-code || { echo 'verify: the tree differs after go generate: generated code drifted (run make generate and commit), or changes are uncommitted' >&2; exit 1; }
	$(GO) vet ./...

.PHONY: fmt-check
fmt-check: ## Fail when a Go file (tracked or new) is not gofmt-ed
	@unformatted="$$(git ls-files --cached --others --exclude-standard -- '*.go' \
		| while IFS= read -r f; do if [[ -f "$$f" ]]; then echo "$$f"; fi; done | xargs gofmt -l)"; \
	if [[ -n "$$unformatted" ]]; then echo "not gofmt-ed (run gofmt -w):" >&2; echo "$$unformatted" >&2; exit 1; fi

.PHONY: lint
lint: $(filter $(TOOLBIN)/%,$(GOLANGCI_LINT) $(STATICCHECK)) ## Run golangci-lint and staticcheck (installs pinned versions if missing)
	$(GOLANGCI_LINT) run ./...
	$(STATICCHECK) ./...

.PHONY: check-static
check-static: ## Build the server as the Dockerfile does, check it is statically linked, and run it from an empty root
	scripts/check-static.sh

.PHONY: compose-check
compose-check: ## Validate compose.yaml (Compose spec schema, variables) and build in the context .dockerignore leaves, without a container engine
	$(GO) -C deploy/composecheck run . ../..
	$(GO) test -count=1 -run 'Compose|Dockerfile' .

.PHONY: bench
bench: ## The whole server under load next to its physical floors (< 10 min; BENCH_FLAGS=-quick for a 1-minute smoke run); writes bench/results/latest.{md,jsonl}
	$(GO) build -o bin/edupulse ./cmd/edupulse
	$(GO) build -o bin/edupulse-bench ./cmd/edupulse-bench
	bin/edupulse-bench -bin bin/edupulse -out bench/results $(BENCH_FLAGS)

# The chaos run's processes, built from the tree: the server, the NATS
# server at the version go.mod pins (a `tool` of the module), the harness.
.PHONY: chaos-build
chaos-build:
	$(GO) build -o bin/edupulse ./cmd/edupulse
	$(GO) build -o bin/nats-server github.com/nats-io/nats-server/v2
	$(GO) build -o bin/edupulse-chaos ./cmd/edupulse-chaos

.PHONY: chaos
chaos: chaos-build ## Chaos run: 3 instances, 3-node NATS, PostgreSQL as processes; 21 faults over 10 min, then store/stream/subscribers reconciled (CHAOS_FLAGS=-duration … -faults … -seed …; CHAOS_DATABASE_URL)
	bin/edupulse-chaos $(CHAOS_FLAGS)

.PHONY: chaos-short
chaos-short: chaos-build ## The chaos run in under 2 minutes: 4 faults over 60 s (what CI runs)
	bin/edupulse-chaos -duration 60s -faults 4 -kinds kill-relay-leader,kill-nats-leader,pg-restart,sigterm-instance $(CHAOS_FLAGS)

.PHONY: bench-go
bench-go: ## Run the Go benchmarks, no tests
	$(GO) test -run '^$$' -bench . -benchtime 3s ./...

$(TOOLBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION):
	@mkdir -p $(TOOLBIN)
	GOBIN=$(TOOLBIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLBIN)/golangci-lint $@

$(TOOLBIN)/staticcheck-$(STATICCHECK_VERSION):
	@mkdir -p $(TOOLBIN)
	GOBIN=$(TOOLBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLBIN)/staticcheck $@
