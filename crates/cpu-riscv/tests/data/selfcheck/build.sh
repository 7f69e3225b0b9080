#!/bin/sh
# Rebuild selfcheck.bin: the host build of selfcheck.c gives the expected
# checksum, then the RV64IMAC build embeds it. QEMU, if present, must agree
# (exit code 0). Needs gcc and riscv64-unknown-elf-gcc.
set -e
cd "$(dirname "$0")"
gcc -O2 -o /tmp/selfcheck-host selfcheck.c
EXPECTED=$(/tmp/selfcheck-host)
echo "expected checksum $EXPECTED"
riscv64-unknown-elf-gcc -O2 -march=rv64imac -mabi=lp64 -mcmodel=medany -nostdlib -ffreestanding \
    -fno-builtin -DEXPECTED="$EXPECTED" -T link.ld start.S selfcheck.c -o /tmp/selfcheck.elf
riscv64-unknown-elf-objcopy -O binary /tmp/selfcheck.elf selfcheck.bin
if command -v qemu-system-riscv64 >/dev/null; then
    timeout 20 qemu-system-riscv64 -machine spike -bios none -nographic -kernel /tmp/selfcheck.elf
    echo "qemu: pass"
fi
