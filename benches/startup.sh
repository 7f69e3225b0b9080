#!/usr/bin/env bash
# Start-up + exit time of tern vs QEMU on a small test image (spike, HTIF exit).
# Usage: benches/startup.sh [IMAGE]   (default: roms/build/isa/rv64ui-add.elf)
# Needs hyperfine and qemu-system-riscv64 (apt-get install hyperfine qemu-system-misc).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${1:-roms/build/isa/rv64ui-add.elf}"
for tool in hyperfine qemu-system-riscv64; do
  command -v "$tool" >/dev/null || { echo "startup.sh: $tool not found (apt-get install hyperfine qemu-system-misc)" >&2; exit 1; }
done
[[ -f "$IMAGE" ]] || { echo "startup.sh: $IMAGE not found (roms/build.sh builds it)" >&2; exit 1; }
cargo build --release --quiet
ARGS="-machine spike -bios none -nographic -kernel $IMAGE"
# Both must exit 0 on this image, or the comparison is meaningless.
for cmd in "target/release/tern $ARGS" "qemu-system-riscv64 $ARGS"; do
  $cmd </dev/null >/dev/null 2>&1 || { echo "startup.sh: '$cmd' exited $?" >&2; exit 1; }
done
# -N: no intermediate shell, whose start-up would swamp tern's few milliseconds.
hyperfine -N --warmup 5 --min-runs 50 --output null \
  -n tern "target/release/tern $ARGS" \
  -n qemu "qemu-system-riscv64 $ARGS"
