#!/usr/bin/env bash
# check-glibc.sh BINARY FLOOR: fail if BINARY needs a glibc symbol version
# newer than FLOOR (e.g. 2.17), i.e. would not start on older distros.
set -euo pipefail
bin=${1:?usage: check-glibc.sh BINARY FLOOR}
floor=${2:?usage: check-glibc.sh BINARY FLOOR}
[[ -f $bin ]] || { echo "check-glibc: $bin: no such file (run make rust)" >&2; exit 1; }
versions=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -u -V)
[[ -n $versions ]] || { echo "check-glibc: $bin: no GLIBC_ symbol versions found (not a dynamic glibc binary?)" >&2; exit 1; }
newest=$(tail -n1 <<<"$versions")
if [[ $(printf '%s\n%s\n' "$floor" "$newest" | sort -V | tail -n1) != "$floor" ]]; then
  echo "check-glibc: $bin needs GLIBC_$newest, above the $floor floor: $(objdump -T "$bin" | grep -F "GLIBC_$newest" | awk '{print $NF}' | head -3 | tr '\n' ' ')" >&2
  exit 1
fi
echo "check-glibc: $bin: newest GLIBC symbol version $newest <= $floor"
