# Benchmarks (bench/ is its own Go module; see bench/README.md). Not part of `make test`.
#   make bench         build what it needs, run every benchmark, write bench/results/
#                      {summary.json, REPORT.md, throughput.png, cpu.png} (~6-8 min on 2 cores)
#   make bench-check   exit non-zero when a target in bench/results/summary.json is missed
#   make bench-report  re-render REPORT.md + charts from summary.json (e.g. after editing bench/NOTES.md)
#                    (bench-otap runs first: the otap exporter beside otlp_rust, bench/results/otap.json)
# Knobs: BENCH_FLAGS="-dur 10s -rounds 2 -only native,hybrid ..." (see `hybench run -h`),
#        RUST_BENCH=0 skips the Rust bench binary, BENCH_PERF=0 skips the perf profile.

BENCH_DIR  := $(ROOT)/bench
BENCH_BIN  := $(BENCH_DIR)/.bin
BENCH_OUT  := $(BENCH_DIR)/results
BENCH_FLAGS ?=
RUST_BENCH ?= 1
BENCH_PERF ?= 1
# Same Go flags as the product binary (mk/build.mk), so gocol is a fair baseline.
BENCH_GO_FLAGS := -trimpath -ldflags=-s\ -w

.PHONY: bench bench-check bench-report bench-tools bench-rust

bench-tools:
	@mkdir -p $(BENCH_BIN)
	cd $(BENCH_DIR) && CGO_ENABLED=0 nice go build -trimpath -o .bin/hybench ./cmd/hybench
	cd $(BENCH_DIR) && CGO_ENABLED=0 nice go build $(BENCH_GO_FLAGS) -o .bin/gocol ./cmd/gocol
	cd $(BENCH_DIR) && { CGO_ENABLED=0 nice go build -trimpath -o .bin/extractbench ./cmd/extractbench || \
	  { rm -f .bin/extractbench; echo "bench: extractbench did not build; extraction figures will be missing" >&2; }; }
	@# An unstripped copy of the product, only for perf symbols (bin/ is built with -s -w).
	if [ "$(BENCH_PERF)" = 1 ] && command -v perf >/dev/null; then \
	  CGO_ENABLED=0 nice go build -trimpath -tags=require_blob,$(DIST_TAGS) -o $(BENCH_BIN)/otelcol-hybrid-syms ./cmd/otelcol-hybrid || rm -f $(BENCH_BIN)/otelcol-hybrid-syms; fi

# The Rust bench binary (rust/otelcol-rust/benches/pipeline_throughput.rs)
# prints one JSON line; a failure or a missing bench only leaves a note.
bench-rust:
	@mkdir -p $(BENCH_OUT)
	@rm -f $(BENCH_OUT)/rust_bench.txt
	@# Compiled first, without a time limit: on a cold target the release build
	@# of the dependencies (Arrow, DataFusion) alone takes longer than the run's.
	-if [ "$(RUST_BENCH)" = 1 ] && [ -f rust/otelcol-rust/benches/pipeline_throughput.rs ]; then \
	  cd rust && nice cargo bench --locked --no-run -p otelcol-rust --bench pipeline_throughput 2>$(BENCH_OUT)/rust_bench.stderr && \
	  OTELCOL_RUST_BIN=$(ROOT)/bin/otelcol-rust nice timeout 900 cargo bench --locked -p otelcol-rust --bench pipeline_throughput 2>>$(BENCH_OUT)/rust_bench.stderr > $(BENCH_OUT)/rust_bench.txt.tmp \
	    && mv $(BENCH_OUT)/rust_bench.txt.tmp $(BENCH_OUT)/rust_bench.txt \
	    || { echo "bench: Rust bench failed (see bench/results/rust_bench.stderr)" >&2; rm -f $(BENCH_OUT)/rust_bench.txt.tmp; }; fi
	@# Per-request context and error costs on the Rust side (context decode, error → status).
	@rm -f $(BENCH_OUT)/rust_context_errors.txt
	-cd rust && nice timeout 600 cargo bench --locked -p otelcol-core --bench context_errors 2>$(BENCH_OUT)/rust_context_errors.stderr > $(BENCH_OUT)/rust_context_errors.txt.tmp \
	    && mv $(BENCH_OUT)/rust_context_errors.txt.tmp $(BENCH_OUT)/rust_context_errors.txt \
	    || { echo "bench: Rust context_errors bench failed (see bench/results/rust_context_errors.stderr)" >&2; rm -f $(BENCH_OUT)/rust_context_errors.txt.tmp; }

bench: build bench-tools
	$(MAKE) --no-print-directory bench-rust
	-$(MAKE) --no-print-directory bench-otap
	cd $(BENCH_DIR) && HYBENCH_NOTES_FILE=$(BENCH_DIR)/NOTES.md nice .bin/hybench run -root $(ROOT) -out $(BENCH_OUT) \
	  -gocol $(BENCH_BIN)/gocol $(if $(wildcard $(BENCH_BIN)/extractbench),-extractbench $(BENCH_BIN)/extractbench) \
	  -rust-bench-json $(BENCH_OUT)/rust_bench.txt -otap-bench-json $(BENCH_OUT)/otap.json -rust-context-errors-json $(BENCH_OUT)/rust_context_errors.txt \
	  -embedded-bin $(ROOT)/bin/otelcol-hybrid-embedded \
	  $(if $(filter 1,$(BENCH_PERF)),-perf-bin $(BENCH_BIN)/otelcol-hybrid-syms -rust-bin $(ROOT)/bin/otelcol-rust) $(BENCH_FLAGS)
	@echo "bench: results in bench/results/ (REPORT.md, summary.json, throughput.png, cpu.png); targets: make bench-check"

bench-check:
	@test -f $(BENCH_OUT)/summary.json || { echo "bench-check: no bench/results/summary.json: run make bench first" >&2; exit 2; }
	cd $(BENCH_DIR) && CGO_ENABLED=0 nice go build -trimpath -o .bin/hybench ./cmd/hybench && .bin/hybench check -summary $(BENCH_OUT)/summary.json

# Re-render REPORT.md and the charts from summary.json (after editing bench/NOTES.md).
bench-report:
	cd $(BENCH_DIR) && CGO_ENABLED=0 nice go build -trimpath -o .bin/hybench ./cmd/hybench && \
	  HYBENCH_NOTES_FILE=$(BENCH_DIR)/NOTES.md .bin/hybench report -summary $(BENCH_OUT)/summary.json -out $(BENCH_OUT)
