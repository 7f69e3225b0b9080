#!/usr/bin/env bash
# Build every Tern test ROM deterministically into roms/build/ (or $OUT).
#   roms/build.sh          build into roms/build and regenerate roms/manifest.tsv
#   roms/build.sh --check  rebuild into a temp dir; fail listing ELFs that differ
#                          from the committed ones, or are missing/extra
# Metadata lines in sources (first match used):
#   EXPECT_EXIT: N         expected process exit code (default 0)
#   EXPECT_STDOUT: text    substring expected on stdout (default empty)
set -euo pipefail
export LC_ALL=C
ROMS="$(cd "$(dirname "$0")" && pwd)"
cd "$ROMS"

CHECK=0
if [[ "${1:-}" == "--check" ]]; then CHECK=1; fi

CC=riscv64-unknown-elf-gcc
# Fixed flags; prefix maps keep absolute paths out of any output.
COMMON=(-ffile-prefix-map="$ROMS"/= -fdebug-prefix-map="$ROMS"/= -Wl,--build-id=none -Wl,--no-warn-rwx-segments -static -mcmodel=medany)
ISA_FLAGS=(-nostdlib -nostartfiles -mabi=lp64d -Iisa/common -Tisa/common/link.ld -Wa,--fatal-warnings)
C_FLAGS=(--specs=picolibc.specs -march=rv64gc -mabi=lp64d -O2 -Wall -Wextra -Werror -ffreestanding
         -fno-common -ffunction-sections -fdata-sections -Icommon-c -Tcommon-c/virt.ld -nostartfiles)

if [[ $CHECK == 1 ]]; then
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
else
  OUT="$ROMS/build"
  rm -rf "$OUT"
fi
mkdir -p "$OUT/isa" "$OUT/selftest" "$OUT/demo" "$OUT/bench"

# gcc names FILE symbols of assembled .S inputs after random temp files: drop them.
scrub() { # scrub ELF
  local args=() s
  for s in $(riscv64-unknown-elf-readelf -sW "$1" | awk '$4 == "FILE" { print $8 }' | sort -u); do
    args+=(--strip-symbol="$s")
  done
  if [[ ${#args[@]} -gt 0 ]]; then riscv64-unknown-elf-objcopy "${args[@]}" "$1"; fi
}

meta() { # meta FILE KEY DEFAULT
  local v
  v="$(grep -m1 -o "$2: .*" "$1" | sed -e "s/^$2: //" -e 's/[[:space:]]*\*\/[[:space:]]*$//' -e 's/[[:space:]]*$//' || true)"
  echo "${v:-$3}"
}

MANIFEST="$OUT/manifest.tsv"
printf 'path\tboard\texpected_exit\texpected_stdout_substring\n' > "$MANIFEST"

build_isa() { # build_isa SRC OUTDIR
  local src="$1" dir="$2" name march
  name="$(basename "$src" .S)"
  march=rv64g
  case "$name" in rv64uc-*|*-rvc*) march=rv64gc ;; esac
  $CC "${COMMON[@]}" "${ISA_FLAGS[@]}" -march=$march -o "$OUT/$dir/$name.elf" isa/common/rt.S "$src"
  scrub "$OUT/$dir/$name.elf"
  printf 'build/%s/%s.elf\tspike\t%s\t%s\n' "$dir" "$name" "$(meta "$src" EXPECT_EXIT 0)" \
    "$(meta "$src" EXPECT_STDOUT '')" >> "$MANIFEST"
}

for src in $(ls isa/*.S 2>/dev/null | sort); do build_isa "$src" isa; done

# rv64uc images must really contain every RV64C instruction in 16-bit form.
RVC_ALL="c.add c.addi c.addi16sp c.addi4spn c.addiw c.addw c.and c.andi c.beqz c.bnez c.ebreak c.fld c.fldsp
c.fsd c.fsdsp c.j c.jalr c.jr c.ld c.ldsp c.li c.lui c.lw c.lwsp c.mv c.or c.sd c.sdsp c.slli c.srai c.srli c.sub
c.subw c.sw c.swsp c.xor"
have="$(for f in "$OUT"/isa/rv64uc-*.elf; do
  riscv64-unknown-elf-objdump -d -M no-aliases "$f"; done | grep -oE '\sc\.[a-z0-9]+' | tr -d ' \t' | sort -u)"
for m in $RVC_ALL; do
  grep -qx "$m" <<<"$have" || { echo "rv64uc images lack compressed $m" >&2; exit 1; }
done
for src in $(ls isa/selftest/*.S 2>/dev/null | sort); do build_isa "$src" selftest; done

build_c() { # build_c SRC OUTDIR
  local src="$1" dir="$2" name
  name="$(basename "$src" .c)"
  $CC "${COMMON[@]}" "${C_FLAGS[@]}" -o "$OUT/$dir/$name.elf" common-c/crt.S common-c/virt.c "$src"
  riscv64-unknown-elf-strip --strip-debug "$OUT/$dir/$name.elf"
  scrub "$OUT/$dir/$name.elf"
  printf 'build/%s/%s.elf\tvirt\t%s\t%s\n' "$dir" "$name" "$(meta "$src" EXPECT_EXIT 0)" \
    "$(meta "$src" EXPECT_STDOUT '')" >> "$MANIFEST"
}
for src in $(ls demo/*.c 2>/dev/null | sort); do build_c "$src" demo; done
for src in $(ls bench/*.c 2>/dev/null | sort); do build_c "$src" bench; done
# Translation-heavy benchmark: a C driver plus a generated straight-line body of
# over a million instructions (about 20 MB of assembly, so generated, not committed).
GEN="$(mktemp -d)"
python3 bench/trans/gen_trans.py > "$GEN/trans_body.S"
$CC "${COMMON[@]}" "${C_FLAGS[@]}" -o "$OUT/bench/trans.elf" common-c/crt.S common-c/virt.c bench/trans/trans.c \
  "$GEN/trans_body.S"
rm -rf "$GEN"
riscv64-unknown-elf-strip --strip-debug "$OUT/bench/trans.elf"
scrub "$OUT/bench/trans.elf"
printf 'build/bench/trans.elf\tvirt\t%s\t%s\n' "$(meta bench/trans/trans.c EXPECT_EXIT 0)" \
  "$(meta bench/trans/trans.c EXPECT_STDOUT '')" >> "$MANIFEST"

for src in $(ls selftest-c/*.c 2>/dev/null | sort); do build_c "$src" selftest; done

if [[ $CHECK == 0 ]]; then
  mv "$MANIFEST" "$ROMS/manifest.tsv"
  echo "built $(find "$OUT" -name '*.elf' | wc -l) images into roms/build"
  exit 0
fi

# --check: compare with the committed tree.
status=0
# generated sources must match their generators
mkdir -p "$OUT/gen"
for g in isa/gen/gen_*.py; do GEN_OUT="$OUT/gen" python3 "$g"; done
for f in "$OUT"/gen/*.S; do
  cmp -s "$f" "isa/$(basename "$f")" || { echo "stale generated source: isa/$(basename "$f")"; status=1; }
done
while IFS= read -r f; do
  if [[ ! -f "$ROMS/build/$f" ]]; then echo "missing in roms/build: $f"; status=1
  elif ! cmp -s "$OUT/$f" "$ROMS/build/$f"; then echo "differs: build/$f"; status=1; fi
done < <(cd "$OUT" && find . -name '*.elf' | sed 's|^\./||' | sort)
while IFS= read -r f; do
  [[ -f "$OUT/$f" ]] || { echo "extra (no source): build/$f"; status=1; }
done < <(cd "$ROMS/build" && find . -name '*.elf' | sed 's|^\./||' | sort)
cmp -s "$MANIFEST" "$ROMS/manifest.tsv" || { echo "differs: manifest.tsv"; status=1; }
[[ $status == 0 ]] && echo "check OK: all images reproduce bit-for-bit"
exit $status
