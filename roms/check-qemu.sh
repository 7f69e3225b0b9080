#!/usr/bin/env bash
# Run every row of roms/manifest.tsv on qemu-system-riscv64 (the reference) and
# compare exit code and stdout substring. Usage: roms/check-qemu.sh [FILTER]
set -uo pipefail
ROMS="$(cd "$(dirname "$0")" && pwd)"
cd "$ROMS"
QEMU="${QEMU:-qemu-system-riscv64}"
TIMEOUT="${TIMEOUT:-20}"
filter="${1:-}"
pass=0; failn=0
while IFS=$'\t' read -r path board exp_exit exp_out; do
  [[ "$path" == path ]] && continue
  [[ -n "$filter" && "$path" != *"$filter"* ]] && continue
  out="$(timeout "$TIMEOUT" "$QEMU" -machine "$board" -bios none -nographic -kernel "$path" </dev/null 2>&1)"
  rc=$?
  if [[ "$rc" == "$exp_exit" && ( -z "$exp_out" || "$out" == *"$exp_out"* ) ]]; then
    pass=$((pass + 1))
  else
    failn=$((failn + 1))
    echo "FAIL $path: exit $rc (expected $exp_exit)${exp_out:+, stdout substring '$exp_out'}"
    [[ -n "$out" ]] && echo "$out" | tail -5 | sed 's/^/    /'
  fi
done < manifest.tsv
echo "qemu check: $pass passed, $failn failed"
[[ $failn == 0 ]]
