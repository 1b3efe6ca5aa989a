#!/usr/bin/env bash
# check-blob-paths BINARY PATH...: fail when BINARY contains any of the given
# build-machine paths (the checkout, cargo's and rustup's homes). rustcross
# remaps them to fixed names (/otelcol-hybrid, /cargo, /rustup, /target) so
# that a blob does not depend on where it was built.
set -euo pipefail
bin=$1; shift
[ -f "$bin" ] || { echo "check-blob-paths: $bin: no such file" >&2; exit 1; }
bad=0
for p in "$@"; do
  [ -n "$p" ] && [ "$p" != / ] || continue
  n=$(grep -c -a -F -- "$p" "$bin" || true)
  if [ "$n" -gt 0 ]; then
    echo "check-blob-paths: $bin names the build machine's $p ($n places, e.g. $(grep -a -o -F -m1 -- "$p" "$bin" | head -1)...); its --remap-path-prefix flags (scripts/rustcross) missed it" >&2
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "check-blob-paths: $bin names none of: $*"
exit "$bad"
