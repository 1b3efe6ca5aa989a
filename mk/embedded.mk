# The embedded flavour: the Rust components linked into the Go binary
# through cgo (rust/otelcol-ffi, a static library with a C ABI). Entry points:
#   make build-embedded        bin/otelcol-hybrid-embedded (cgo, no child, nothing extracted;
#                              zig cc, glibc 2.17 floor, see scripts/build-embedded.sh)
#   make ffi-release           the Rust objects GoReleaser's embedded builds link, for
#                              EMBEDDED_PLATFORMS (all: linux/amd64 linux/arm64; an arch
#                              without its Rust std is skipped with the reason, STRICT=1 fails)
#   make check-glibc-embedded  the embedded binary needs no glibc symbol above 2.17
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

.PHONY: ffi build-embedded ffi-release check-glibc-embedded generate-ffi-header check-ffi-header test-embedded test-embedded-go lint-embedded \
	test-embedded-e2e test-ffi-miri

$(CBINDGEN): $(call TOOLS_STAMP,cbindgen,$(CBINDGEN_VERSION))
$(call TOOLS_STAMP,cbindgen,$(CBINDGEN_VERSION)): | $(TOOLS_DIR)/stamps
	nice cargo install --quiet --locked cbindgen --version $(CBINDGEN_VERSION) --root $(TOOLS_DIR)
	@touch $@ $(CBINDGEN)

# Linux only: cgo binds the binary to a libc, and the floor is glibc's.
EMBEDDED_ALL := linux/amd64 linux/arm64
# "all" or platforms as make release-snapshot passes them (HYBRID_PLATFORMS);
# those without an embedded flavour (darwin, windows) are left out.
EMBEDDED_PLATFORMS ?= all
EMBEDDED_SELECTED = $(if $(filter all,$(EMBEDDED_PLATFORMS)),$(EMBEDDED_ALL),$(filter $(EMBEDDED_ALL),$(EMBEDDED_PLATFORMS)))
HOST_GOARCH := $(shell go env GOARCH)
EMBEDDED_BUILD = DIST_TAGS=$(DIST_TAGS) ZIG=$(ZIG) CARGO_ZIGBUILD=$(CARGO_ZIGBUILD) STRICT=$(STRICT) scripts/build-embedded.sh
# .goreleaser.yaml's embedded builds link with $HYBRID_ZIG cc.
export HYBRID_ZIG ?= $(ZIG)

# The static library is cross-built like the subprocess blob (cargo-zigbuild,
# glibc 2.17, rust/target, same flags), so the two share compiled dependencies.
ffi: $(ZIG) $(CARGO_ZIGBUILD)
	$(EMBEDDED_BUILD) linux/$(HOST_GOARCH) -

build-embedded: $(ZIG) $(CARGO_ZIGBUILD)
	$(EMBEDDED_BUILD) linux/$(HOST_GOARCH) bin/otelcol-hybrid-embedded

# The release's Rust objects (GoReleaser's before hook): one per platform,
# each built once; GoReleaser's Go builds link them.
ffi-release: $(ZIG) $(CARGO_ZIGBUILD)
	for p in $(EMBEDDED_SELECTED); do $(EMBEDDED_BUILD) $$p - || exit 1; done

check-glibc-embedded: build-embedded
	scripts/check-glibc.sh bin/otelcol-hybrid-embedded 2.17

build: build-embedded

generate-ffi-header: $(CBINDGEN)
	cd rust/otelcol-ffi && $(CBINDGEN) --quiet --config cbindgen.toml --crate otelcol-ffi --output include/otelcol_ffi.h .

check-ffi-header: $(CBINDGEN)
	@tmp=$$(mktemp) && cd rust/otelcol-ffi && $(CBINDGEN) --quiet --config cbindgen.toml --crate otelcol-ffi --output $$tmp . && \
	  cmp -s $$tmp include/otelcol_ffi.h || { echo "check-ffi-header: $(FFI_HEADER) is stale; run make generate-ffi-header" >&2; rm -f $$tmp; exit 1; }; rm -f $$tmp

test-embedded: check-ffi-header lint-embedded check-glibc-embedded test-embedded-go test-embedded-e2e test-ffi-miri

# make lint sees only the default build; the cgo files carry the otelcol_embedded tag.
lint-embedded: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run --allow-serial-runners --build-tags otelcol_embedded ./embedded/... ./collector/...

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
	$(if $(PRUNE),rm -rf rust/target/miri)
