#!/usr/bin/env bash
# Tern (-accel jit and -accel interp) against qemu-system-riscv64 on the benchmark
# images in roms/build/bench/ plus a start-up case, and a Linux boot once
# benches/linux/build.sh has built it; prints a markdown table of median wall
# times and speed ratios. See benches/compare.py for the method.
# Usage: benches/compare.sh [-n RUNS] [--only mix,fp,...] [--native]   (default 5 runs;
# --native also runs the workloads' C built for the host, as the bound on any emulator)
# Needs qemu-system-riscv64 (apt-get install qemu-system-misc) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-system-riscv64 >/dev/null ||
  { echo "compare.sh: qemu-system-riscv64 not found (apt-get install qemu-system-misc)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "compare.sh: python3 not found" >&2; exit 1; }
cargo build --release --quiet
exec python3 benches/compare.py "$@"
