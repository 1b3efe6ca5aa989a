# The embedded flavour: the Rust components linked into the Go binary
# through cgo (rust/otelcol-ffi, a static library with a C ABI). Entry points:
#   make build-embedded        bin/otelcol-hybrid-embedded (cgo, no child, nothing extracted)
#   make generate-ffi-header   rust/otelcol-ffi/include/otelcol_ffi.h from the crate (cbindgen)
#   make check-ffi-header      fails when the committed header is stale
#   make test-embedded         FFI bridge tests (-race), the e2e suite against the embedded binary,
#                              and the unsafe Rust side under Miri
# `make build` builds this flavour too, next to the pure-Go bin/otelcol-hybrid.

CBINDGEN_VERSION := 0.29.0
CBINDGEN := $(TOOLS_BIN)/cbindgen
FFI_HEADER := rust/otelcol-ffi/include/otelcol_ffi.h
# One relocatable object of the whole static library: see embedded/ffi/ffi.go.
FFI_OBJ := build/ffi/otelcol_ffi.o
# The object's hash in -X makes Go relink when the object changes: its build
# cache does not hash files named in cgo LDFLAGS.
FFI_OBJ_LDFLAG = -X=github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi.LinkedObject=$$(sha256sum $(FFI_OBJ) | cut -c1-64)
EMBEDDED_GO_FLAGS = -trimpath -tags=otelcol_embedded -ldflags="-s -w $(FFI_OBJ_LDFLAG)"

.PHONY: ffi build-embedded generate-ffi-header check-ffi-header test-embedded test-embedded-go lint-embedded \
	test-embedded-e2e test-ffi-miri

$(CBINDGEN): $(call TOOLS_STAMP,cbindgen,$(CBINDGEN_VERSION))
$(call TOOLS_STAMP,cbindgen,$(CBINDGEN_VERSION)): | $(TOOLS_DIR)/stamps
	nice cargo install --quiet --locked cbindgen --version $(CBINDGEN_VERSION) --root $(TOOLS_DIR)
	@touch $@ $(CBINDGEN)

ffi:
	cd rust && nice cargo build --release --locked -p otelcol-ffi --lib
	scripts/ffi-object.sh rust/target/release $(FFI_OBJ)

build-embedded: ffi
	@mkdir -p bin
	CGO_ENABLED=1 nice go build $(EMBEDDED_GO_FLAGS) -o bin/otelcol-hybrid-embedded ./cmd/otelcol-hybrid

build: build-embedded

generate-ffi-header: $(CBINDGEN)
	cd rust/otelcol-ffi && $(CBINDGEN) --quiet --config cbindgen.toml --crate otelcol-ffi --output include/otelcol_ffi.h .

check-ffi-header: $(CBINDGEN)
	@tmp=$$(mktemp) && cd rust/otelcol-ffi && $(CBINDGEN) --quiet --config cbindgen.toml --crate otelcol-ffi --output $$tmp . && \
	  cmp -s $$tmp include/otelcol_ffi.h || { echo "check-ffi-header: $(FFI_HEADER) is stale; run make generate-ffi-header" >&2; rm -f $$tmp; exit 1; }; rm -f $$tmp

test-embedded: check-ffi-header lint-embedded test-embedded-go test-embedded-e2e test-ffi-miri

# make lint sees only the default build; the cgo files carry the otelcol_embedded tag.
lint-embedded: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run --build-tags otelcol_embedded ./embedded/... ./collector/...

# The FFI bridge under the race detector (needs the object `make ffi` writes).
test-embedded-go: ffi
	CGO_ENABLED=1 go test -race -count=1 -tags=otelcol_embedded -ldflags="$(FFI_OBJ_LDFLAG)" ./embedded/...

# The e2e suite against the embedded binary: tests about the child process skip with their reason.
test-embedded-e2e: build-embedded $(TELEMETRYGEN) $(GRPC_HEALTH_PROBE)
	$(TEST_ENV) OTELCOL_HYBRID_EMBEDDED_BIN=$(BIN)/otelcol-hybrid-embedded \
	  go test -count=1 -timeout 15m ./e2e/

# The unsafe conversions of the C ABI (context and error structs, the
# cancellation registry) under Miri on nightly; the runtime-driven tests
# (threads, sockets, FFI calls) are outside what Miri interprets.
test-ffi-miri:
	@if rustup toolchain list | grep -q nightly && rustup component list --toolchain nightly --installed 2>/dev/null | grep -q miri; then \
	  cd rust && MIRIFLAGS=-Zmiri-disable-isolation nice cargo +nightly miri test -p otelcol-ffi --lib -- miri_; \
	else echo "test-ffi-miri: nightly with miri is not installed (rustup +nightly component add miri); skipped" >&2; fi
