# Build, embed and release. Entry points:
#   make rust                        bin/otelcol-rust (host, glibc 2.17 floor)
#   make blobs PLATFORMS=host|all|"linux/amd64 darwin/arm64" [STRICT=1]
#                                    cross-build + zstd + manifest + embedbin/zz_embed_*.go
#   make build                       bin/otelcol-hybrid (host, with its blob) + bin/otelcol-rust
#   make release-snapshot            goreleaser snapshot for the platforms buildable here
#   make release                     full release: every platform or a loud failure
#   make check-release               = check-glibc check-embed check-blob-paths
#                                      goreleaser-check release-snapshot (+ check-dist)
#   make check-reproducible          a second blob build in another target dir, byte-compared
#                                    (run by `make release`; a cold Rust release build)

PLATFORMS ?= host
# STRICT=1: a requested platform that cannot be built is an error, not a skip.
STRICT ?=

# Reproducible builds take their time from the last commit, never the clock
# (0 in a repository without commits). It is handed only to the steps that
# stamp it (embedgen's manifest, goreleaser): exported to cargo it would rerun
# the build scripts of ring and zstd-sys after every commit and rebuild
# tonic, rustls and arrow with them, although no Rust output depends on it
# (cargo never sees it, even under goreleaser, which sets it for its hooks).
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
EPOCH_ENV := SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH)

HOST_KEY   := $(shell go env GOOS)_$(shell go env GOARCH)
RUST_OUT   := build/rust
# The embedded collector is the crate `make generate` derives from
# cmd/otelcol-hybrid/builder-config.yaml (the same builder path every
# distribution takes); it shares rust/target so dependencies build once.
# Every crate built into rust/target is remapped from the checkout alone (the
# generated crates live under it), as hybrid-builder remaps a target dir's
# builds from the directory above it: one set of RUSTFLAGS, so the blob, the
# static library and test-builder's distributions share compiled crates.
RUST_CRATE := build/otelcol-hybrid/rust/Cargo.toml
RUSTCROSS  := env -u SOURCE_DATE_EPOCH go run ./scripts/rustcross -manifest-path $(RUST_CRATE) -target-dir $(ROOT)/rust/target -remap-root $(ROOT)
EMBEDGEN   := $(EPOCH_ENV) go run ./scripts/embedgen
# The distribution's own build tags (dist.build_tags of its manifest: which
# Prometheus service discoveries are linked), for every Go build of it.
DIST_TAGS := $(shell sed -n 's/^  build_tags: *//p' cmd/otelcol-hybrid/builder-config.yaml)
# Same flags as .goreleaser.yaml, so bin/ measures what a release ships.
# require_blob makes a binary without its embedded collector fail to compile.
GO_BUILD_FLAGS := -trimpath -tags=require_blob,$(DIST_TAGS) -ldflags=-s\ -w

.PHONY: rust blobs build clean-blobs release-snapshot release goreleaser-config \
	goreleaser-check check-reproducible check-blob-paths check-glibc check-embed check-dist sizes check-release

rust: $(CARGO_ZIGBUILD) generate
	nice $(RUSTCROSS) -platforms host -out $(RUST_OUT)
	@mkdir -p bin && cp $(RUST_OUT)/$(HOST_KEY)/otelcol-rust bin/otelcol-rust.tmp && mv bin/otelcol-rust.tmp bin/otelcol-rust

blobs: $(CARGO_ZIGBUILD) generate | build/go.mod
	nice $(RUSTCROSS) -platforms "$(PLATFORMS)" $(if $(STRICT),-strict) -out $(RUST_OUT)
	$(EMBEDGEN) -platforms @$(RUST_OUT)/built.txt -in $(RUST_OUT) -out embedbin -version "$$(cat $(RUST_OUT)/version.txt)"

# The host binary needs the host blob whatever else PLATFORMS asks for.
build: override PLATFORMS += host
build: blobs
	@mkdir -p bin && cp $(RUST_OUT)/$(HOST_KEY)/otelcol-rust bin/otelcol-rust.tmp && mv bin/otelcol-rust.tmp bin/otelcol-rust
	CGO_ENABLED=0 nice go build $(GO_BUILD_FLAGS) -o bin/otelcol-hybrid ./cmd/otelcol-hybrid

# build/ holds generated copies of our packages (reproducibility builds,
# example distributions); its own go.mod keeps them out of `go build ./...`.
build/go.mod:
	@mkdir -p build && printf 'module generated.build.output\n\ngo 1.26\n' > $@

clean-blobs:
	rm -rf embedbin/blobs embedbin/zz_embed_*.go $(RUST_OUT)

# --- release -----------------------------------------------------------------

# .goreleaser.yaml is generated from platforms/ (a test keeps it in sync).
goreleaser-config:
	go run ./scripts/goreleasergen > .goreleaser.yaml.tmp && mv .goreleaser.yaml.tmp .goreleaser.yaml

goreleaser-check: $(GORELEASER)
	goreleaser check

# SBOMs need syft, which no registry reachable here ships: generated only
# when it is on PATH (HYBRID_SBOM tells .goreleaser.yaml).
SBOM_ENV = $$(if command -v syft >/dev/null; then echo HYBRID_SBOM=1; else echo "release: syft not on PATH, no SBOMs" >&2; fi)

# Snapshot: only the platforms whose Rust std is installed (the others are
# reported, one line each); goreleaser skips the Go builds of the rest.
release-snapshot: $(GORELEASER) $(CARGO_ZIGBUILD)
	buildable="$$($(RUSTCROSS) -platforms all -list)" && echo "release-snapshot: platforms $$buildable" && \
	env $(EPOCH_ENV) HYBRID_PLATFORMS="$$buildable" $(SBOM_ENV) nice goreleaser release --snapshot --clean
	$(MAKE) --no-print-directory check-dist

# Full release: HYBRID_PLATFORMS unset means "all", built strictly, after
# proving the blobs reproducible.
release: $(GORELEASER) $(CARGO_ZIGBUILD) check-reproducible
	env $(EPOCH_ENV) $(SBOM_ENV) goreleaser release --clean

# --- checks ------------------------------------------------------------------

# Packaging, for CI: a goreleaser snapshot and what it packs, plus the checks
# that need no second build. check-reproducible is left to `make release`: it
# is one more cold Rust release build (Arrow and DataFusion), 7 to 25+ minutes
# measured on two CPUs, which CI's time limit cannot carry on top of the
# others; what leaks from the build machine into a blob is caught by
# check-blob-paths.
check-release: check-glibc check-embed check-blob-paths goreleaser-check release-snapshot

# A blob must not name the machine that built it (the checkout, cargo's and
# rustup's homes, the target dir): those paths make two builds differ and
# tell a user's `strings` nothing. rustcross remaps them; this checks it did.
check-blob-paths: rust
	scripts/check-blob-paths.sh bin/otelcol-rust "$(ROOT)" "$${CARGO_HOME:-$$HOME/.cargo}" "$${RUSTUP_HOME:-$$HOME/.rustup}"

check-glibc: rust
	scripts/check-glibc.sh bin/otelcol-rust 2.17

check-embed: build
	go run ./scripts/embedcheck -binary bin/otelcol-hybrid -embedbin embedbin

check-dist:
	scripts/check-dist.sh dist

# Two builds in two target dirs (the regular one and build/repro/target) must
# give byte-identical blobs and manifests.
check-reproducible: blobs
	nice $(RUSTCROSS) -platforms "$(PLATFORMS)" -out build/repro/rust -target-dir build/repro/target
	$(EMBEDGEN) -platforms @build/repro/rust/built.txt -in build/repro/rust -out build/repro/embedbin -version "$$(cat build/repro/rust/version.txt)"
	for p in $$(cat build/repro/rust/built.txt); do k=$${p/\//_}; \
	  for f in otelcol-rust.zst manifest.json; do \
	    cmp embedbin/blobs/$$k/$$f build/repro/embedbin/blobs/$$k/$$f || { echo "check-reproducible: $$k/$$f differs between two builds" >&2; exit 1; }; \
	  done; echo "check-reproducible: $$p blob and manifest byte-identical ($$(sha256sum < embedbin/blobs/$$k/otelcol-rust.zst | cut -c1-16))"; done
	$(if $(PRUNE),rm -rf build/repro/target)

# Sizes for the README: raw/compressed collector and what the embed adds.
# The blob-less build deletes the generated file through a -overlay (mapped
# to ""), without touching the work tree.
sizes: build
	printf '{"Replace":{"%s":""}}' "$(ROOT)/embedbin/zz_embed_$(HOST_KEY).go" > build/noblob-overlay.json
	CGO_ENABLED=0 nice go build -trimpath -tags=$(DIST_TAGS) -ldflags='-s -w' -overlay build/noblob-overlay.json -o build/otelcol-hybrid-noblob ./cmd/otelcol-hybrid
	scripts/sizes.sh embedbin/blobs/$(HOST_KEY)/manifest.json bin/otelcol-hybrid build/otelcol-hybrid-noblob
