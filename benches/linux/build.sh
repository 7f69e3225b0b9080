#!/usr/bin/env bash
# Builds the Linux boot benchmark (benches/compare.py's `linux` workload): a
# small Linux 6.1 kernel from Debian's linux-source-6.1 and an initramfs whose
# only program (init.S) prints one line and powers the machine off.
# Everything goes under ${TERN_LINUX_DIR:-$HOME/.cache/tern-linux}, never into
# the repository. Finished steps are skipped, so running it again is cheap.
# Usage: benches/linux/build.sh   (Debian, root or sudo; the kernel build takes
# several minutes on two cores)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${TERN_LINUX_DIR:-$HOME/.cache/tern-linux}"
SRC="$OUT/linux-source-6.1"
BUILD="$OUT/build"
CROSS=riscv64-linux-gnu-
JOBS="${JOBS:-2}"
KMAKE=(make -C "$SRC" O="$BUILD" ARCH=riscv CROSS_COMPILE="$CROSS")

step() { printf '=== %s\n' "$*"; }

# gcc-riscv64-linux-gnu: kernel and init; flex, bison, bc, libelf-dev,
# libssl-dev: the kernel build's host tools; cpio for inspecting the initramfs;
# opensbi and qemu-system-misc: the firmware and the reference emulator.
PACKAGES=(linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc libelf-dev libssl-dev
          cpio make gcc xz-utils opensbi qemu-system-misc)
missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  SUDO=()
  [[ $(id -u) == 0 ]] || SUDO=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

mkdir -p "$OUT"
# A stamp marks a complete unpack: an interrupted tar must not count as done.
if [[ ! -e "$SRC/.tern-unpacked" ]]; then
  step "unpacking /usr/src/linux-source-6.1.tar.xz into $OUT"
  rm -rf "$SRC"
  tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$OUT"
  touch "$SRC/.tern-unpacked"
else
  step "kernel sources already in $SRC"
fi

# Configure afresh only when tern.config changed since the last configure.
mkdir -p "$BUILD"
if ! cmp -s "$HERE/tern.config" "$BUILD/.tern.config" || [[ ! -e "$BUILD/.config" ]]; then
  step "configuring: tinyconfig + benches/linux/tern.config"
  # Both merge fragments, printing every override: only errors matter here.
  "${KMAKE[@]}" -s tinyconfig >/dev/null
  (cd "$SRC" && ARCH=riscv CROSS_COMPILE="$CROSS" \
    scripts/kconfig/merge_config.sh -m -O "$BUILD" "$BUILD/.config" "$HERE/tern.config" >/dev/null)
  "${KMAKE[@]}" -s olddefconfig
  # Kconfig silently drops what it cannot satisfy: check every line took.
  bad=0
  while IFS= read -r line; do
    [[ "$line" =~ ^CONFIG_ || "$line" =~ ^#\ CONFIG_.*\ is\ not\ set$ ]] || continue
    grep -qxF "$line" "$BUILD/.config" || { echo "build.sh: not in the final .config: $line" >&2; bad=1; }
  done <"$HERE/tern.config"
  ((bad == 0)) || exit 1
  cp "$HERE/tern.config" "$BUILD/.tern.config"
else
  step "kernel configuration up to date ($BUILD/.config)"
fi

# make itself skips the work when nothing changed.
step "building the kernel Image (make -j$JOBS; several minutes the first time)"
"${KMAKE[@]}" -s -j"$JOBS" Image
IMAGE="$BUILD/arch/riscv/boot/Image"

if [[ ! -e "$OUT/init" || "$HERE/init.S" -nt "$OUT/init" ]]; then
  step "building init (benches/linux/init.S)"
  "${CROSS}gcc" -static -nostdlib -o "$OUT/init" "$HERE/init.S"
fi
# gen_init_cpio (built with the kernel) makes /dev/console without root.
if [[ ! -e "$OUT/initramfs.cpio" || "$OUT/init" -nt "$OUT/initramfs.cpio" ]]; then
  step "packing initramfs.cpio"
  cat >"$OUT/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $OUT/init 0755 0 0
LIST
  "$BUILD/usr/gen_init_cpio" "$OUT/initramfs.list" >"$OUT/initramfs.cpio.tmp"
  mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
fi

step "done"
echo "kernel:    $IMAGE"
echo "initramfs: $OUT/initramfs.cpio"
echo "boot:      qemu-system-riscv64 -machine virt -nographic -bios default -m 256M \\"
echo "             -kernel $IMAGE -initrd $OUT/initramfs.cpio -append 'console=ttyS0 earlycon'"
