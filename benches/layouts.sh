#!/usr/bin/env bash
# A/B of Tern builds over many code layouts. Where each loop and branch of
# generated code falls moves the time of branchy integer code such as CoreMark
# by several percent either way (fetch windows, predictor tables), so the one
# layout that packing blocks gives says little about a change to generated
# code. Each run here sets TERN_JIT_LAYOUT_SEED (gaps of 0-63 bytes after each
# block, drawn from the seed), the builds alternate within each seed, and the
# mean over seeds is what to compare.
# Usage: benches/layouts.sh [-n SEEDS] IMAGE TERN_BINARY...   (default 8 seeds)
# Example: cp target/release/tern /tmp/tern-before; (change, build);
#   benches/layouts.sh roms/build/bench/mix.elf /tmp/tern-before target/release/tern
set -euo pipefail
seeds=8
if [[ ${1:-} == -n ]]; then seeds=$2; shift 2; fi
if [[ $# -lt 2 ]]; then
  echo "usage: benches/layouts.sh [-n SEEDS] IMAGE TERN_BINARY..." >&2
  exit 2
fi
img=$1; shift
[[ -f $img ]] || { echo "layouts.sh: no image $img" >&2; exit 1; }
for b in "$@"; do [[ -x $b ]] || { echo "layouts.sh: $b is not an executable" >&2; exit 1; }; done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
declare -A times
for s in $(seq 1 "$seeds"); do
  n=0
  for b in "$@"; do
    n=$((n + 1))
    t0=$EPOCHREALTIME
    if ! TERN_JIT_LAYOUT_SEED=$s "$b" -machine virt -bios none -nographic -kernel "$img" >"$tmp/out" 2>&1 </dev/null; then
      echo "layouts.sh: $b failed on $img with seed $s:" >&2; tail -5 "$tmp/out" >&2; exit 1
    fi
    t1=$EPOCHREALTIME
    times[$n]="${times[$n]:-} $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
  done
done
n=0
for b in "$@"; do
  n=$((n + 1))
  echo "${times[$n]}" | tr ' ' '\n' | grep . | sort -n | awk -v b="$b" -v s="$seeds" '
    { t[NR] = $1; sum += $1 }
    END { printf "%-40s mean %.4f s  median %.4f s  min %.4f  max %.4f  (%d layouts)\n", b, sum / NR, t[int((NR + 1) / 2)], t[1], t[NR], s }'
done
