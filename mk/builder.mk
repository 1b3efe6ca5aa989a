# hybrid-builder: distributions from an OCB manifest with `cargo:` components.
#   make example-distribution [BUILDER_CONFIG=my.yaml] [PLATFORMS=...]
#                          build a distribution (default: examples/builder-config.yaml → build/example/),
#                          embedded or subprocess as its dist.subprocess_mode says (auto: embedded with cgo
#                          on Linux; CGO_ENABLED=0 for subprocess)
#   make test-builder      builder unit tests + the design's manifest (examples/design-manifest.yaml)
#                          built and run end to end: components, real Jaeger clients, the design config;
#                          and an embedded distribution (examples/embedded-manifest.yaml) built and run:
#                          its components, a Go → Rust → Go pipeline in-process, no child
#   make generate          regenerate cmd/otelcol-hybrid/*.go (and build/otelcol-hybrid/rust)
#                          from cmd/otelcol-hybrid/builder-config.yaml
#   make check-generate    fail when the committed cmd/otelcol-hybrid/*.go differ from a fresh generation

# The Makefile includes tools.mk first, so its tool paths (CARGO_ZIGBUILD,
# GO_TOOL) are defined where the prerequisites below are expanded.
OCB_VERSION    := v0.162.0
OCB            := $(TOOLS_BIN)/builder
HYBRID_BUILDER := $(ROOT)/build/bin/hybrid-builder
BUILDER_CONFIG ?= examples/builder-config.yaml
SELF_MANIFEST  := cmd/otelcol-hybrid/builder-config.yaml
# The example's binary (dist.output_path/dist.name of examples/builder-config.yaml).
EXAMPLE_BIN    := $(ROOT)/build/example/otelcol-example
# test-builder builds the design's own manifest: it covers what the example
# covers (version and bridge entries, a mixed pipeline each way) and more
# (contrib prometheus, jaeger, otap), and one distribution build is enough.
DESIGN_MANIFEST := examples/design-manifest.yaml
DESIGN_BIN      := $(ROOT)/build/otelcol-custom/otelcol-custom
# test-builder builds both distributions into rust/target (--rust-target-dir):
# the builder remaps a target dir's crates from the directory above it, the
# checkout here, exactly as `make build` does, so the Arrow, DataFusion and
# tonic crates `make build` compiled are not compiled again for them (a cold
# release build of that graph takes 7-25 minutes on two cores).
EMBEDDED_MANIFEST   := examples/embedded-manifest.yaml
EMBEDDED_DIST_BIN   := $(ROOT)/build/otelcol-embedded/otelcol-embedded
DIST_RUST_TARGET    := $(ROOT)/rust/target

# OCB, pinned, installed as tools.mk installs its Go tools.
$(eval $(call GO_TOOL,$(OCB),go.opentelemetry.io/collector/cmd/builder,$(OCB_VERSION)))

.PHONY: hybrid-builder example-distribution test-builder generate check-generate

# Always rebuilt (go's cache makes that cheap): the builder follows the sources.
hybrid-builder:
	@mkdir -p $(dir $(HYBRID_BUILDER))
	go build -o $(HYBRID_BUILDER) ./cmd/hybrid-builder

# zig: an embedded distribution (subprocess_mode: embedded, or auto with cgo
# on Linux) is compiled and linked with zig cc at the glibc floor.
example-distribution: hybrid-builder $(OCB) $(CARGO_ZIGBUILD) $(ZIG)
	nice $(HYBRID_BUILDER) build --config $(BUILDER_CONFIG) --ocb $(OCB) --platforms "$(PLATFORMS)"

# The design's manifest says `subprocess_mode: auto`: CGO_ENABLED=0 makes it
# the subprocess build these tests are about (OCB compiles it without cgo
# either way); the embedded flavour is the second manifest's.
test-builder: hybrid-builder $(OCB) $(CARGO_ZIGBUILD) $(ZIG)
	CGO_ENABLED=0 nice $(HYBRID_BUILDER) build --config $(DESIGN_MANIFEST) --ocb $(OCB) --platforms "$(PLATFORMS)" --rust-target-dir $(DIST_RUST_TARGET)
	CGO_ENABLED=1 nice $(HYBRID_BUILDER) build --config $(EMBEDDED_MANIFEST) --ocb $(OCB) --rust-target-dir $(DIST_RUST_TARGET)
	scripts/check-glibc.sh $(EMBEDDED_DIST_BIN) 2.17
	go test -count=1 ./builder/ ./cmd/hybrid-builder/
	HYBRID_EXAMPLE_BIN=$(DESIGN_BIN) HYBRID_EMBEDDED_BIN=$(EMBEDDED_DIST_BIN) go test -count=1 -run 'TestExample|TestEmbeddedExample' -v ./cmd/hybrid-builder/
	cd e2e/jaegerpeer && E2E_REQUIRED=1 HYBRID_DESIGN_BIN=$(DESIGN_BIN) go test -count=1 -timeout 5m \
	  -run 'TestRealJaegerClientsThroughTheHybridPipeline|TestDesignConfigDeliversTheCollectorsOwnSeriesOverOTAP' -v ./...

generate: hybrid-builder $(OCB)
	$(HYBRID_BUILDER) generate --config $(SELF_MANIFEST) --ocb $(OCB) --go-out cmd/otelcol-hybrid --rust-out build/otelcol-hybrid/rust

check-generate: hybrid-builder $(OCB)
	$(HYBRID_BUILDER) generate --check --config $(SELF_MANIFEST) --ocb $(OCB) --go-out cmd/otelcol-hybrid --rust-out build/otelcol-hybrid/rust
