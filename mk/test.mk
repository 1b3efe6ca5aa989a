# Tests, the quickstart and the Rust component catalog.

BIN := $(ROOT)/bin
# Go fuzz targets run a fixed number of executions (-fuzztime Nx), a few
# seconds to a minute each on a 2-CPU machine (executions per second vary
# fivefold between runs), rather than a duration: Go 1.26's fuzz coordinator
# can fail a target with a bare "context deadline exceeded" when the duration
# ends while a worker is mid-call (golang/go#75804, fixed in Go 1.27), which a
# loaded machine hits; a count has no deadline to race. FUZZTIME=30s (or
# 1000000x) sets every target's budget at once.
FUZZ_PARTITION_EXECS ?= 80000x
FUZZ_MANIFEST_EXECS ?= 250000x
FUZZ_EXTRACT_EXECS ?= 400000x
# Minimizing a newly interesting input stops the execution count; Go's default
# of 60 s for it once stalled a short run for a minute at 853 executions.
FUZZ_GO_FLAGS := -fuzzminimizetime 10s
# Seconds for the coverage-guided Rust fuzz target (libFuzzer, nightly).
RUST_FUZZ_SECONDS ?= 30
# PRUNE=1 (set by .ci/run) deletes a build output as soon as the last step
# that reads it is done: the Miri target (1.1 GB on a cold run). CI's disk is shared with other jobs and a run once
# filled it in its last step; a developer's warm tree keeps them.
PRUNE ?=

# Environment the Go tests use to find the real binaries and clients.
# E2E_REQUIRED turns a missing binary into a failure instead of a skip.
TEST_ENV = E2E_REQUIRED=1 OTELCOL_HYBRID_BIN=$(BIN)/otelcol-hybrid OTELCOL_RUST_BIN=$(BIN)/otelcol-rust \
	TELEMETRYGEN_BIN=$(TELEMETRYGEN) GRPC_HEALTH_PROBE_BIN=$(GRPC_HEALTH_PROBE)

.PHONY: test test-tools test-rust test-go fuzz-short fuzz-rust run rust-catalog check-rust-catalog

# `make test` is what CI runs: every test, and then the release pipeline as a
# test (check-release builds a GoReleaser snapshot and checks what it packs),
# so that a change that breaks packaging fails here and not on release day.
# Every step records its wall time in $(STEP_TIMES); .ci/run prints the list
# when it ends, passed, failed or killed, because CI keeps only the tail of the
# log and a run that hits its time limit must still say where the time went.
STEP_TIMES ?= $(ROOT)/build/test-steps.txt
step = @s=$$(date +%s); $(MAKE) --no-print-directory $(1); rc=$$?; \
	printf '%-20s %5ss  exit %s  at %s\n' $(1) $$(( $$(date +%s) - s )) $$rc "$$(date +%T)" >> $(STEP_TIMES); exit $$rc

test: ## every test: lint, Rust, Go unit + end-to-end, fuzzing, then release checks
	@mkdir -p $(dir $(STEP_TIMES)) && : > $(STEP_TIMES)
	$(call step,build)
	$(call step,test-tools)
	$(call step,lint)
	$(call step,check-generate)
	$(call step,check-rust-catalog)
	$(call step,test-rust)
	$(call step,test-otap)
	$(call step,test-jaeger)
	$(call step,test-go)
	$(call step,soak-short)
	$(call step,test-embedded)
	$(call step,fuzz-short)
	$(call step,check-release)
	$(call step,test-builder)

# The clients the end-to-end tests drive.
test-tools: $(TELEMETRYGEN) $(GRPC_HEALTH_PROBE)

# clippy runs in lint (mk/lint.mk), once.
test-rust:
	cd rust && cargo test --workspace --locked

# build/ holds generated copies of packages (reproducibility builds, example
# distributions): not part of the module's own packages.
GO_PKGS = $(shell CGO_ENABLED=0 go list ./... | grep -v '/build/')

# The Go tests and vet build as bin/otelcol-hybrid is built (no cgo,
# -trimpath), so they reuse its ~1800 compiled packages from Go's build cache
# instead of compiling and storing every dependency once more: on a clean
# machine that copy cost minutes and gigabytes of disk. (cgo is for the
# embedded tests, which ask for it: mk/embedded.mk.)
GO_TEST_ENV := CGO_ENABLED=0
GO_TEST_FLAGS := -trimpath
# Our packages with code of their own for Windows and darwin (the service
# handler, file ownership, child reaping, extraction), vetted for those
# platforms. Not cmd/otelcol-hybrid: its other-platform entry points are OCB's
# generated files, and vetting them would compile all ~1800 dependencies twice
# more (windows, darwin).
OTHER_OS_PKGS := ./collector/... ./supervisor/... ./extract/...

test-go:
	$(GO_TEST_ENV) go vet $(GO_TEST_FLAGS) $(GO_PKGS)
	GOOS=windows $(GO_TEST_ENV) go vet $(GO_TEST_FLAGS) $(OTHER_OS_PKGS)
	GOOS=darwin $(GO_TEST_ENV) go vet $(GO_TEST_FLAGS) $(OTHER_OS_PKGS)
	$(TEST_ENV) $(GO_TEST_ENV) go test $(GO_TEST_FLAGS) -count=1 -timeout 20m $(GO_PKGS)

fuzz-short: fuzz-rust ## short fuzzing runs of every fuzz target
	go test -run '^$$' -fuzz '^FuzzPartition$$' $(FUZZ_GO_FLAGS) -fuzztime $(or $(FUZZTIME),$(FUZZ_PARTITION_EXECS)) ./partition/
	go test -run '^$$' -fuzz '^FuzzParseManifest$$' $(FUZZ_GO_FLAGS) -fuzztime $(or $(FUZZTIME),$(FUZZ_MANIFEST_EXECS)) ./embedbin/
	go test -run '^$$' -fuzz '^FuzzDecode$$' $(FUZZ_GO_FLAGS) -fuzztime $(or $(FUZZTIME),$(FUZZ_EXTRACT_EXECS)) ./extract/
	go test -run '^$$' -fuzz '^FuzzArtifactValidate$$' $(FUZZ_GO_FLAGS) -fuzztime $(or $(FUZZTIME),$(FUZZ_EXTRACT_EXECS)) ./extract/

run: build $(TELEMETRYGEN) ## build everything and run examples/quickstart.yaml
	@echo "otelcol-hybrid is starting on localhost:4317; in another shell send data with:"
	@echo "  $(TELEMETRYGEN) metrics --otlp-insecure --metrics 5 --otlp-metric-name up"
	@echo "  $(TELEMETRYGEN) metrics --otlp-insecure --metrics 5 --otlp-metric-name requests_total"
	$(BIN)/otelcol-hybrid --config $(ROOT)/examples/quickstart.yaml

# collector/rust_components.json is what `otelcol-rust components` says, kept
# in the tree so the catalog is known without extracting the binary.
rust-catalog: $(BIN)/otelcol-rust
	{ printf '{\n  "generated_by": "make rust-catalog (bin/otelcol-rust components); do not edit",\n  "components": '; \
	  $(BIN)/otelcol-rust components; printf '\n}\n'; } > collector/rust_components.json.tmp
	mv collector/rust_components.json.tmp collector/rust_components.json

check-rust-catalog: $(BIN)/otelcol-rust
	@$(BIN)/otelcol-rust components > /tmp/.rust-catalog.$$$$ && \
	go run ./collector/internal/catalogcheck collector/rust_components.json /tmp/.rust-catalog.$$$$; \
	rc=$$?; rm -f /tmp/.rust-catalog.$$$$; exit $$rc

# Coverage-guided fuzzing of the Rust wire data plane (rust/fuzz): any bytes as
# any signal's request must be refused or accepted without a panic, accepted
# bytes must decode with prost, and edits of them must stay valid. ASan on.
fuzz-rust: $(CARGO_FUZZ)
	cd rust/fuzz && nice cargo +nightly fuzz run --release payload -- \
	  -max_total_time=$(RUST_FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1
