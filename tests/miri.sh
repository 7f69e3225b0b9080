#!/usr/bin/env bash
# Opt-in: the interpreter's and the machine's tests under Miri, once with
# Stacked Borrows (Miri's default) and once with Tree Borrows, to check the
# guest-memory contract (issue 11: RAM and the TLB behind raw root pointers,
# copies in and out) for undefined behaviour.
#
# usage: tests/miri.sh [--all | TEST FILTER...]
#   default: the guest-RAM contract subset that .ci/run runs (about a minute):
#   RAM's own tests, the block cache's (blocks run in place), TLB hits at the
#   end of RAM, a Sv39 walk with A/D writes, a program loading and storing
#   across pages through the TLB; --all: every test Miri can run (far longer).
# Needs a nightly toolchain with the miri and rust-src components
# (`rustup component add --toolchain nightly miri rust-src`).
#
# Left out under Miri (`cfg(miri)`): the FP tests (SoftFloat is C, which
# Miri cannot run), and the tests that run long compiled programs or
# exhaustive loops (far too slow interpreted twice over). The JIT cannot
# run under Miri at all (it executes generated machine code).
# Isolation is off: the machine's tests read image files and use the clock.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "$0: cargo +nightly miri is not available (rustup component add --toolchain nightly miri rust-src)" >&2
  exit 2
fi
if [[ "${1:-}" == "--all" ]]; then
  shift
elif (($# == 0)); then
  set -- bus:: blocks:: mem::tests::tlb_hits_stay_inside_ram mmu::tests::sv39_pages_and_ad_bits interp_tests::misaligned_access_across_pages
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}/miri
cargo +nightly miri setup >/dev/null

base_flags="-Zmiri-disable-isolation ${MIRIFLAGS:-}"
for model in stacked tree; do
  flags=$base_flags
  [[ $model == tree ]] && flags="$flags -Zmiri-tree-borrows"
  for crate in cpu-riscv machine; do
    start=$SECONDS
    echo "=== miri ($model borrows): $crate"
    MIRIFLAGS=$flags cargo +nightly miri test -q -p "$crate" --lib -- "$@"
    echo "=== $crate ($model borrows): $((SECONDS - start)) s"
  done
done
