#!/usr/bin/env bash
# check-dist.sh DIST: what a release must contain, checked after
# `goreleaser release --snapshot`: verified checksums, archives, an amd64 .deb
# and .rpm with the right files, a Homebrew cask, and the packaged binary
# working with an empty HOME and TMPDIR and no network; the same for the
# embedded flavour (otelcol-hybrid-embedded: archive, .deb, .rpm), plus its
# glibc floor.
set -euo pipefail
dist=${1:?usage: check-dist.sh DIST}
fail() { echo "check-dist: $*" >&2; exit 1; }
one() { # one PATTERN WHAT: exactly one file matches
  local m=( $1 )
  [[ ${#m[@]} -eq 1 && -f ${m[0]} ]] || fail "want one $2 ($1), found: ${m[*]}"
  echo "${m[0]}"
}
[[ -d $dist ]] || fail "$dist: no such directory (run make release-snapshot)"

(cd "$dist" && sha256sum --quiet -c checksums.txt) || fail "$dist/checksums.txt does not verify"
[[ $(wc -l < "$dist/checksums.txt") -ge 3 ]] || fail "$dist/checksums.txt lists fewer than 3 artifacts"
tgz=$(one "$dist/otelcol-hybrid_*_linux_amd64.tar.gz" "linux/amd64 archive")
deb=$(one "$dist/otelcol-hybrid_*_amd64.deb" ".deb")
rpm=$(one "$dist/otelcol-hybrid-[0-9]*.x86_64.rpm" ".rpm")
cask=$(one "$dist/homebrew/Casks/otelcol-hybrid.rb" "Homebrew cask")
etgz=$(one "$dist/otelcol-hybrid-embedded_*_linux_amd64.tar.gz" "embedded linux/amd64 archive")
edeb=$(one "$dist/otelcol-hybrid-embedded_*_amd64.deb" "embedded .deb")
erpm=$(one "$dist/otelcol-hybrid-embedded-[0-9]*.x86_64.rpm" "embedded .rpm")
for f in "$tgz" "$deb" "$rpm" "$etgz" "$edeb" "$erpm"; do
  grep -q " $(basename "$f")\$" "$dist/checksums.txt" || fail "$(basename "$f") is not in checksums.txt"
done
grep -q 'binary "otelcol-hybrid"' "$cask" || fail "$cask does not install the otelcol-hybrid binary"
tar -tzf "$tgz" | grep -qx otelcol-hybrid || fail "$tgz has no otelcol-hybrid"
tar -tzf "$tgz" | grep -qx otelcol-hybrid-embedded && fail "$tgz holds the embedded binary too"
tar -tzf "$etgz" | grep -qx otelcol-hybrid-embedded || fail "$etgz has no otelcol-hybrid-embedded"
tar -tzf "$etgz" | grep -qx config.yaml || fail "$etgz has no config.yaml"
dpkg-deb -c "$edeb" | grep -q ' ./usr/bin/otelcol-hybrid-embedded$' || fail "$edeb lacks ./usr/bin/otelcol-hybrid-embedded"

# .deb: files, conffile, unit, maintainer scripts.
listing=$(dpkg-deb -c "$deb")
for p in ./usr/bin/otelcol-hybrid ./etc/otelcol-hybrid/config.yaml ./usr/lib/systemd/system/otelcol-hybrid.service; do
  grep -q " $p\$" <<<"$listing" || fail "$deb lacks $p"
done
dpkg-deb -I "$deb" conffiles | grep -qx /etc/otelcol-hybrid/config.yaml || fail "$deb: config.yaml is not a conffile"
dpkg-deb -I "$deb" preinst | grep -q useradd || fail "$deb: preinst does not create the user"

# .rpm: its header (file list, %config flags) is read with rpm when installed.
if command -v rpm >/dev/null; then
  rpm -qlp "$rpm" | grep -qx /usr/bin/otelcol-hybrid || fail "$rpm lacks /usr/bin/otelcol-hybrid"
  rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" | grep -q '^cn /etc/otelcol-hybrid/config.yaml$' || fail "$rpm: config.yaml is not %config(noreplace)"
  rpm -qlp "$erpm" | grep -qx /usr/bin/otelcol-hybrid-embedded || fail "$erpm lacks /usr/bin/otelcol-hybrid-embedded"
else
  echo "check-dist: rpm not installed: $rpm checked by name and checksum only"
fi

# Each built binary embeds its own platform's blob and no other.
for b in "$dist"/otelcol-hybrid_*/otelcol-hybrid "$dist"/otelcol-hybrid_*/otelcol-hybrid.exe; do
  if [[ -f $b ]]; then
    go run ./scripts/embedcheck -binary "$b" -embedbin embedbin || fail "$b: embedded blobs are wrong"
  fi
done

# The packaged binary, air-gapped: empty HOME and TMPDIR, no network.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
mkdir -m 0700 "$work/home" "$work/tmp"
run() {
  local net=(unshare --net --)
  "${net[@]}" true 2>/dev/null || { echo "check-dist: no network namespace here: running with the network" >&2; net=(); }
  env -i PATH=/usr/bin:/bin HOME="$work/home" TMPDIR="$work/tmp" "${net[@]}" "$work/root/usr/bin/otelcol-hybrid" "$@"
}
out=$(run components) || fail "otelcol-hybrid components failed: $out"
grep -q 'runtime: rust' <<<"$out" || fail "otelcol-hybrid components lists no Rust component"
# validate partitions the packaged config and has the embedded collector
# (extracted from the blob) validate the Rust half.
out=$(run validate --config "$work/root/etc/otelcol-hybrid/config.yaml" 2>&1) || fail "packaged config does not validate: $out"
[[ -z $(ls -A "$work/home") ]] || fail "the binary wrote into HOME: $(ls -A "$work/home")"

# The embedded binary from its package: the same offline checks, the Rust
# components linked in (mode embedded, nothing extracted), and glibc 2.17.
dpkg-deb -x "$edeb" "$work/eroot"
ebin=$work/eroot/usr/bin/otelcol-hybrid-embedded
mkdir -m 0700 "$work/ehome" "$work/etmp"
scripts/check-glibc.sh "$ebin" 2.17 >/dev/null || fail "$ebin needs a glibc above 2.17: $(scripts/check-glibc.sh "$ebin" 2.17 2>&1)"
run_embedded() {
  local net=(unshare --net --)
  "${net[@]}" true 2>/dev/null || net=()
  env -i PATH=/usr/bin:/bin HOME="$work/ehome" TMPDIR="$work/etmp" "${net[@]}" "$ebin" "$@"
}
out=$(run_embedded components) || fail "otelcol-hybrid-embedded components failed: $out"
grep -q 'runtime: rust' <<<"$out" || fail "otelcol-hybrid-embedded components lists no Rust component"
grep -q 'rust_mode: embedded' <<<"$out" || fail "otelcol-hybrid-embedded components does not say it runs embedded: $out"
out=$(run_embedded validate --config "$work/root/etc/otelcol-hybrid/config.yaml" 2>&1) || fail "packaged config does not validate in the embedded binary: $out"
[[ -z $(ls -A "$work/ehome") && -z $(ls -A "$work/etmp") ]] || fail "the embedded binary wrote into HOME or TMPDIR: $(ls -A "$work/ehome" "$work/etmp")"
echo "check-dist: $dist ok: checksums, $(basename "$tgz"), $(basename "$deb"), $(basename "$rpm"), $(basename "$cask"), $(basename "$etgz"), $(basename "$edeb"), $(basename "$erpm"); both packaged binaries list Rust components and validate the packaged config offline; the embedded one needs glibc <= 2.17"
