# Build and test tools, pinned and installed into $(ROOT)/.tools (gitignored).
# Each tool is a file target: installed once, reused afterwards, re-installed
# only when its pin below changes (the stamp file name carries the version).
# The top-level Makefile puts $(ROOT)/.tools/bin first on PATH.

TOOLS_DIR      := $(ROOT)/.tools
TOOLS_BIN      := $(TOOLS_DIR)/bin
TOOLS_VENV     := $(TOOLS_DIR)/venv

ZIGLANG_VERSION        := 0.15.2
CARGO_ZIGBUILD_VERSION := 0.24.1
# GoReleaser v2.15.1: v2.18 needs Go 1.27; v2.16/v2.17 need go-msix (via nfpm), which the module proxy here refuses (403).
GORELEASER_VERSION     := v2.15.1
TELEMETRYGEN_VERSION   := v0.161.0
GRPC_HEALTH_PROBE_VERSION := v0.4.61
CARGO_FUZZ_VERSION     := 0.13.1
# golangci-lint v2.15.0: the newest v2 release; built from source with the local Go 1.26.
GOLANGCI_LINT_VERSION  := v2.15.0

ZIG            := $(TOOLS_BIN)/zig
CARGO_ZIGBUILD := $(TOOLS_BIN)/cargo-zigbuild
GORELEASER     := $(TOOLS_BIN)/goreleaser
TELEMETRYGEN   := $(TOOLS_BIN)/telemetrygen
GRPC_HEALTH_PROBE := $(TOOLS_BIN)/grpc-health-probe
CARGO_FUZZ     := $(TOOLS_BIN)/cargo-fuzz
GOLANGCI_LINT  := $(TOOLS_BIN)/golangci-lint

# Version stamps: changing a pin above makes the matching tool stale.
TOOLS_STAMP = $(TOOLS_DIR)/stamps/$(1)-$(2)

.PHONY: tools
tools: $(ZIG) $(CARGO_ZIGBUILD) $(GORELEASER) $(TELEMETRYGEN) $(GRPC_HEALTH_PROBE) $(CARGO_FUZZ) $(GOLANGCI_LINT) ## install every pinned tool into .tools/

$(TOOLS_DIR)/stamps:
	@mkdir -p $@ $(TOOLS_BIN)

# zig and cargo-zigbuild come from PyPI (the only place a prebuilt zig can be
# had here): one venv, two shims on .tools/bin.
$(TOOLS_VENV)/bin/python: | $(TOOLS_DIR)/stamps
	python3 -m venv $(TOOLS_VENV)

$(call TOOLS_STAMP,ziglang,$(ZIGLANG_VERSION)): $(TOOLS_VENV)/bin/python
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check 'ziglang==$(ZIGLANG_VERSION)'
	@touch $@

$(call TOOLS_STAMP,cargo-zigbuild,$(CARGO_ZIGBUILD_VERSION)): $(TOOLS_VENV)/bin/python
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-zigbuild==$(CARGO_ZIGBUILD_VERSION)'
	@touch $@

# A shim that execs the wheel's real zig binary (what `python -m ziglang` runs,
# minus a Python start-up per compiler call: cargo-zigbuild calls zig a lot).
$(ZIG): $(call TOOLS_STAMP,ziglang,$(ZIGLANG_VERSION))
	zigbin=$$($(TOOLS_VENV)/bin/python -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))') && \
	test -x "$$zigbin" && printf '#!/bin/sh\nexec "%s" "$$@"\n' "$$zigbin" > $@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

# A shim, not a symlink: make would see the (older) venv file's mtime through
# a symlink and re-run this rule every time.
$(CARGO_ZIGBUILD): $(call TOOLS_STAMP,cargo-zigbuild,$(CARGO_ZIGBUILD_VERSION)) $(ZIG)
	printf '#!/bin/sh\nexec "%s" "$$@"\n' '$(TOOLS_VENV)/bin/cargo-zigbuild' > $@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

# Go tools: `go install` with GOBIN pointing into .tools/bin. GOFLAGS is cleared
# so a -mod=vendor or -buildvcs setting of the caller can't break the install.
define GO_TOOL
$(1): $(call TOOLS_STAMP,$(notdir $(1)),$(3))
$(call TOOLS_STAMP,$(notdir $(1)),$(3)): | $(TOOLS_DIR)/stamps
	cd $(TOOLS_DIR) && GOFLAGS= GOBIN=$(TOOLS_BIN) nice go install $(2)@$(3)
	@test -x $(1) || { echo "tools.mk: go install $(2)@$(3) did not produce $(1)" >&2; exit 1; }
	@touch $$@ $(1)
endef

$(eval $(call GO_TOOL,$(GORELEASER),github.com/goreleaser/goreleaser/v2,$(GORELEASER_VERSION)))
$(eval $(call GO_TOOL,$(TELEMETRYGEN),github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen,$(TELEMETRYGEN_VERSION)))
$(eval $(call GO_TOOL,$(GRPC_HEALTH_PROBE),github.com/grpc-ecosystem/grpc-health-probe,$(GRPC_HEALTH_PROBE_VERSION)))
$(eval $(call GO_TOOL,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION)))

# cargo-fuzz from crates.io, built with the stable toolchain; the fuzz targets
# themselves build on nightly (libFuzzer + sanitizers).
$(CARGO_FUZZ): $(call TOOLS_STAMP,cargo-fuzz,$(CARGO_FUZZ_VERSION))
$(call TOOLS_STAMP,cargo-fuzz,$(CARGO_FUZZ_VERSION)): | $(TOOLS_DIR)/stamps
	nice cargo install --quiet --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION) --root $(TOOLS_DIR)
	@touch $@ $(CARGO_FUZZ)
