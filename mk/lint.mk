# Linters: golangci-lint (pinned in tools.mk, configured by .golangci.yml) over
# every Go module of the repository; rustfmt (rust/rustfmt.toml) and clippy
# over the Cargo workspace and the fuzz crate.
# build/ is generated (reproducibility builds, example distributions) and is
# not linted. `make test` runs this first.

# The Go modules: the root one, the benchmarks, the OTAP and Jaeger peers of the e2e tests.
GO_LINT_MODULES := . bench e2e/otappeer e2e/jaegerpeer

.PHONY: lint lint-go lint-rust

lint: lint-go lint-rust ## golangci-lint over every Go module, rustfmt and clippy over rust/

# --allow-serial-runners: another golangci-lint (another checkout, an editor)
# makes this one wait for it instead of failing the run.
lint-go: $(GOLANGCI_LINT)
	@for m in $(GO_LINT_MODULES); do \
	  echo "golangci-lint: $$m"; \
	  (cd $(ROOT)/$$m && nice $(GOLANGCI_LINT) run --allow-serial-runners --config $(ROOT)/.golangci.yml ./...) || exit 1; \
	done

lint-rust:
	@cd rust && cargo fmt --all --check >/dev/null || { echo "lint-rust: rust/ is not rustfmt-clean; run: cd rust && cargo fmt --all" >&2; exit 1; }
	@cd rust/fuzz && cargo fmt --check >/dev/null || { echo "lint-rust: rust/fuzz is not rustfmt-clean; run: cd rust/fuzz && cargo fmt" >&2; exit 1; }
	cd rust && nice cargo clippy --workspace --all-targets --locked -- -D warnings
