# otelcol-hybrid — entry points. On a fresh machine:
#   make run    builds everything and runs examples/quickstart.yaml
#   make test   builds everything, runs every test, then the release checks
#               (check-release: glibc floor, embedded blob, reproducible blobs,
#               a GoReleaser snapshot) and the builder's distribution test
# Tools (zig, cargo-zigbuild, goreleaser, telemetrygen, grpc-health-probe,
# golangci-lint) are installed into .tools/ by the targets that need them.

SHELL := /bin/bash
.DEFAULT_GOAL := build
ROOT := $(abspath .)
export PATH := $(ROOT)/.tools/bin:$(PATH)

# tools.mk first: the other fragments name its tool paths in prerequisites,
# which make expands as it reads them.
include mk/tools.mk
include $(filter-out mk/tools.mk,$(sort $(wildcard mk/*.mk)))
