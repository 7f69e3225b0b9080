#!/usr/bin/env python3
"""Generate qemu-xi.golden: QEMU 7.2's own `x/i` text for the encodings of the
objdump golden files (gen-golden.py), for tests/decode_golden.rs.

Needs qemu-system-riscv64 (Debian's qemu-system-misc). The words are loaded as
a raw image at 0x80000000 on `virt` (paused with -S) and disassembled by the
HMP command `x/Ni`, whose output is kept as it is, columns after the address
and encoding included (trailing blanks are significant).
Run: `python3 crates/cpu-riscv/tests/data/gen-qemu-xi.py`.
Line format: `<pc hex> <raw hex> <text>` (single spaces between the first
three fields; the text is everything QEMU prints after the encoding column).
"""
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = 0x80000000


def words(name, width):
    out = []
    for line in open(os.path.join(HERE, name)):
        p = line.split()
        if len(p) >= 2 and len(p[1]) == width // 4:
            out.append(int(p[1], 16))
    return out


def qemu_xi(blob, count):
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "w.bin")
        open(img, "wb").write(blob)
        cmds = f"x/{count}i {BASE:#x}\nquit\n"
        r = subprocess.run(
            ["qemu-system-riscv64", "-machine", "virt", "-bios", "none", "-nographic", "-S",
             "-monitor", "stdio", "-serial", "none", "-kernel", img],
            input=cmds.encode(), capture_output=True, timeout=600)
    lines = [l for l in r.stdout.decode().replace("\r", "").split("\n") if l.startswith("0x")]
    assert len(lines) == count, (len(lines), count)
    return lines


def main():
    seen = set()
    w32 = []
    # Every 32-bit word of asm/csr, and the first 8192 of rand.
    for name, limit in (("asm.golden", None), ("csr.golden", None), ("rand.golden", 8192)):
        ws = [w for w in words(name, 32) if w & 3 == 3][:limit]
        for w in ws:
            if w not in seen:
                seen.add(w)
                w32.append(w)
    # Every 4th compressed encoding, and every compressed word of asm.golden.
    w16 = sorted(set(w for w in range(0, 0x10000, 4) if w & 3 != 3) | set(
        w for w in range(0x10000) if w & 3 != 3 and w & 0xf == 0x1) |
        set(w for w in words("asm.golden", 16) if w & 3 != 3))
    out = []
    for blob, n in ((b"".join(struct.pack("<I", w) for w in w32), len(w32)),
                    (b"".join(struct.pack("<H", w) for w in w16), len(w16))):
        for line in qemu_xi(blob, n):
            addr, rest = line.split(":  ", 1)
            raw, text = rest[:18].strip(), rest[18:]
            out.append(f"{int(addr, 16):x} {raw} {text}")
    open(os.path.join(HERE, "qemu-xi.golden"), "w").write("\n".join(out) + "\n")
    print(len(out), "lines")


main()
