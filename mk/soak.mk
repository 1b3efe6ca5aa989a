# Soak (soak/, soak/README.md): the real collector under steady load from
# clients of every signal, through Go → Rust and Rust → Go pipelines, while a
# fault schedule runs (kill -9 and SIGSTOP of the Rust child, backend outage,
# slow backend, throttling with RetryInfo, cancelling and tight-deadline
# clients, memory_limiter refusals). It writes a JSON summary and exits
# non-zero when an acknowledged item is lost, fewer than four fault kinds ran,
# the parent's fds or goroutines did not return to their idle level, or a
# process or socket is left behind.
#   make soak          SOAK_DURATION (default 2m) of load and faults → soak/results/summary.json
#   make soak-short    45 s, part of `make test` → soak/results/summary-short.json
# SOAK_TRANSPORT=tcp runs the bridges over authenticated loopback TCP instead
# of unix sockets.

SOAK_DURATION ?= 2m
SOAK_SHORT_DURATION ?= 45s
SOAK_TRANSPORT ?= unix
SOAK_BIN ?= $(ROOT)/bin/otelcol-hybrid

.PHONY: soak soak-short

soak: build ## the soak run: load and faults for SOAK_DURATION, JSON summary in soak/results/
	$(GO_TEST_ENV) nice go run $(GO_TEST_FLAGS) ./soak/cmd/soak -bin $(SOAK_BIN) -duration $(SOAK_DURATION) -transport $(SOAK_TRANSPORT) \
	  -out soak/results/summary.json -collector-log soak/results/collector.log

soak-short: build
	$(GO_TEST_ENV) nice go run $(GO_TEST_FLAGS) ./soak/cmd/soak -bin $(SOAK_BIN) -duration $(SOAK_SHORT_DURATION) -transport $(SOAK_TRANSPORT) \
	  -out soak/results/summary-short.json -collector-log soak/results/collector-short.log
