#!/usr/bin/env bash
# build-embedded.sh GOOS/GOARCH OUT|- [GO BUILD FLAGS...]: the embedded flavour
# for one Linux platform, with the glibc floor of the platforms/ table:
#   1. rust/otelcol-ffi as a static library, cross-built with cargo-zigbuild
#      for <triple>.2.17 into rust/target;
#   2. one relocatable object of it (scripts/ffi-object.sh);
#   3. the Go binary, cgo compiled and linked by `zig cc -target <arch>-linux-gnu.2.17`.
# A platform whose Rust std is not installed is reported in one line and
# skipped (exit 0, nothing written), as scripts/rustcross does; STRICT=1 makes
# that an error. OUT "-" stops after the object (what the FFI tests link).
# The objects are where embedded/ffi's cgo directives name them:
# build/ffi/otelcol_ffi.o for amd64, build/ffi/linux_arm64/otelcol_ffi.o.
#
# The staticlib is built exactly as rustcross builds the subprocess blob
# (same cargo-zigbuild triple, target dir, profile and RUSTFLAGS), so the two
# share every compiled registry dependency: the Arrow and DataFusion crates
# under the otap exporter cost about ten minutes of release build on two
# cores, and are then built once for both flavours. Cargo keeps one copy of a
# dependency per (features, profile, LTO role, target) and rebuilds it in
# place when RUSTFLAGS differ, so each of those must match:
#   - `cargo rustc --crate-type staticlib`: with the crate's rlib type too,
#     cargo would compile every dependency with object code as well as
#     bitcode (an rlib cannot take part in LTO), a second copy of each;
#   - the remap flags rustcross sets for the crates of that target dir (see
#     reproducibleEnv in scripts/rustcross);
#   - no SOURCE_DATE_EPOCH (ring's and zstd-sys's build scripts rerun on it).
#
# hybrid-builder builds an embedded distribution's staticlib with this script
# too (OUT "-"), from the workspace it generates; these say where, with
# defaults for this repository's own build:
#   FFI_WORKSPACE   the Cargo workspace holding the otelcol-ffi package (rust)
#   FFI_TARGET_DIR  the cargo target dir (rust/target)
#   FFI_REMAP_ROOT  the directory rustcross maps to /otelcol-hybrid besides the
#                   checkout (the checkout itself for rust/target: nothing more
#                   to map, as make's rustcross -remap-root says)
#   FFI_OBJ         the object to write (the path embedded/ffi links)
set -euo pipefail
platform=${1:?usage: build-embedded.sh GOOS/GOARCH OUT|- [GO BUILD FLAGS...]}
out=${2:?usage: build-embedded.sh GOOS/GOARCH OUT|- [GO BUILD FLAGS...]}
shift 2
root=$(pwd)
zig=${ZIG:-$root/.tools/bin/zig}
zigbuild=${CARGO_ZIGBUILD:-$root/.tools/bin/cargo-zigbuild}
floor=2.17

goos=${platform%/*}
goarch=${platform#*/}
case "$goos/$goarch" in
  linux/amd64) arch=x86_64 ;;
  linux/arm64) arch=aarch64 ;;
  *) echo "build-embedded: $platform: the embedded flavour is built for linux/amd64 and linux/arm64 only" >&2; exit 1 ;;
esac
triple=$arch-unknown-linux-gnu
workspace=${FFI_WORKSPACE:-rust}
target_dir=${FFI_TARGET_DIR:-$root/rust/target}
remap_root=${FFI_REMAP_ROOT:-$root}

sysroot=$(cd "$workspace" && rustc --print sysroot)
if ! compgen -G "$sysroot/lib/rustlib/$triple/lib/*" >/dev/null; then
  msg="cannot build $platform: Rust std for $triple is not installed in $sysroot (rustup target add $triple)"
  if [[ -n ${STRICT:-} ]]; then echo "build-embedded: $msg" >&2; exit 1; fi
  echo "build-embedded: $msg; skipped" >&2
  exit 0
fi

if [[ -n ${FFI_OBJ:-} ]]; then obj=$FFI_OBJ
elif [[ $goarch == amd64 ]]; then obj=build/ffi/otelcol_ffi.o; else obj=build/ffi/linux_$goarch/otelcol_ffi.o; fi

cargo_home=${CARGO_HOME:-$HOME/.cargo}
# Exactly rustcross's list: a root equal to the checkout is not repeated.
flags=("--remap-path-prefix=$root=/otelcol-hybrid")
if [[ $remap_root != "$root" ]]; then flags+=("--remap-path-prefix=$remap_root=/otelcol-hybrid"); fi
flags+=(
  "--remap-path-prefix=$cargo_home=/cargo"
  "--remap-path-prefix=$target_dir=/target"
)
encoded=$(IFS=$'\x1f'; echo "${flags[*]}")
lockflag=()
[[ -f $workspace/Cargo.lock ]] && lockflag=(--locked)
echo "build-embedded: $platform: otelcol-ffi staticlib for $triple.$floor" >&2
(cd "$workspace" && env -u SOURCE_DATE_EPOCH CARGO_ENCODED_RUSTFLAGS="$encoded" RUSTFLAGS= CARGO_INCREMENTAL=0 \
  nice "$zigbuild" rustc --release "${lockflag[@]}" -p otelcol-ffi --lib --crate-type staticlib \
  --target "$triple.$floor" --target-dir "$target_dir")

# The host linker handles the host's objects; zig's lld any architecture.
if [[ $goarch == "$(go env GOHOSTARCH)" ]]; then ld=ld; else ld="$zig ld.lld"; fi
FFI_LD=$ld scripts/ffi-object.sh "$target_dir/$triple/release" "$obj"
# The object's hash, for -X ...ffi.LinkedObject (here and in .goreleaser.yaml):
# it names the Rust build in the start-up log, and makes Go relink when the
# object changes (its build cache does not hash files named in cgo LDFLAGS).
sum=$(sha256sum "$obj" | cut -c1-64)
printf %s "$sum" > "$obj.sha256"
[[ $out == - ]] && exit 0

echo "build-embedded: $platform: linking $out (zig cc, glibc $floor)" >&2
mkdir -p "$(dirname "$out")"
# zig cc ignores the -s Go passes, so --strip-all drops the symbol table and
# the Rust object's debug info (170 MB → 139 MB); the unwind tables stay.
# -lunwind: Rust's std unwinds (catch_unwind) through the _Unwind_* API, which
# a gcc link takes from libgcc_s; zig cc supplies LLVM's libunwind instead.
CGO_ENABLED=1 GOOS=$goos GOARCH=$goarch CC="$zig cc -target $arch-linux-gnu.$floor" CGO_LDFLAGS="-g -O2 -lunwind" \
  nice go build -trimpath -tags="otelcol_embedded${DIST_TAGS:+,$DIST_TAGS}" \
  -ldflags="-s -w -extldflags=-Wl,--strip-all -X=github.com/otelcol-hybrid/otelcol-hybrid/embedded/ffi.LinkedObject=$sum" \
  "$@" -o "$out.tmp" ./cmd/otelcol-hybrid
mv "$out.tmp" "$out"
