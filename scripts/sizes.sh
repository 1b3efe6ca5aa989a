#!/usr/bin/env bash
# sizes.sh MANIFEST WITH_BLOB WITHOUT_BLOB: the numbers the README reports.
set -euo pipefail
manifest=${1:?}; with=${2:?}; without=${3:?}
field() { sed -n "s/.*\"$1\": \\([0-9]*\\).*/\\1/p" "$manifest"; }
raw=$(field raw_size); zst=$(field compressed_size)
w=$(stat -c %s "$with"); wo=$(stat -c %s "$without")
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
echo "otelcol-rust raw:        $raw bytes ($(mib "$raw"))"
echo "otelcol-rust zstd:       $zst bytes ($(mib "$zst"), $(awk -v a="$zst" -v b="$raw" 'BEGIN { printf "%.1f%%", 100 * a / b }') of raw)"
echo "otelcol-hybrid:          $w bytes ($(mib "$w"))"
echo "without the blob:        $wo bytes ($(mib "$wo"))"
echo "embed adds:              $((w - wo)) bytes ($(mib $((w - wo))))"
