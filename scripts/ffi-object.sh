#!/usr/bin/env bash
# ffi-object.sh PROFILE_DIR OUT: one relocatable object from the whole
# otelcol-ffi static library (ld -r --whole-archive), so that linking it
# keeps the Rust components' linkme registrations, which nothing references
# by symbol and a plain archive link would drop. FFI_LD names the linker
# (default ld; `zig ld.lld` for another architecture).
set -euo pipefail
lib="$1/libotelcol_ffi.a"
out="$2"
mkdir -p "$(dirname "$out")"
${FFI_LD:-ld} -r --whole-archive "$lib" -o "$out.tmp"
mv "$out.tmp" "$out"
