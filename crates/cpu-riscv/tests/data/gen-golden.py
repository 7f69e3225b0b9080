#!/usr/bin/env python3
"""Generate the objdump golden files for tests/decode_golden.rs.

Needs riscv64-unknown-elf-as and riscv64-unknown-elf-objdump (binutils 2.40).
Run from anywhere: `python3 crates/cpu-riscv/tests/data/gen-golden.py`.
Outputs (line format: `<pc hex> <raw hex> <objdump text>`, the text being the
instruction column exactly as objdump prints it, minus any ` <symbol>` suffix):
  asm.golden   every op of ops.rs with varied operands + compressed forms + aliases
  rvc.golden   all 49152 16-bit (compressed) encodings
  rand.golden  a deterministic set of random / table-mutated 32-bit encodings
  csr.golden   `csrrc a0,<csr>,a1` for all 4096 CSR numbers (CSR names)
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OPS_RS = os.path.join(HERE, "..", "..", "src", "ops.rs")
AS = "riscv64-unknown-elf-as"
OBJDUMP = "riscv64-unknown-elf-objdump"


class Rng:
    """xorshift64*: deterministic regardless of the Python version."""

    def __init__(self, seed):
        self.s = seed

    def next(self):
        s = self.s
        s ^= (s >> 12)
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= (s >> 27)
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def u32(self):
        return self.next() >> 32

    def below(self, n):
        return self.u32() % n

    def pick(self, xs):
        return xs[self.below(len(xs))]


def read_ops():
    ops = []
    pat = re.compile(r'^\s*(\w+)\s+"([^"]+)"\s+(\w+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+\w+\s+\w+::\w+;')
    with open(OPS_RS) as f:
        for line in f:
            m = pat.match(line)
            if m:
                ops.append((m.group(2), m.group(3), int(m.group(4), 16), int(m.group(5), 16)))
    if len(ops) < 100:
        sys.exit("could not parse ops.rs")
    return ops


LINE = re.compile(r'^\s*([0-9a-f]+):\t([0-9a-f]+)\s+\t(.*)$')


def objdump_lines(args):
    out = subprocess.run([OBJDUMP] + args, check=True, capture_output=True, text=True).stdout
    res = []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        text = re.sub(r' <[^>]*>$', '', m.group(3).rstrip())
        res.append((int(m.group(1), 16), m.group(2), text))
    return res


def write_golden(name, rows):
    with open(os.path.join(HERE, name), "w") as f:
        for pc, raw, text in rows:
            f.write("%x %s %s\n" % (pc, raw, text))


def disasm_binary(words, width):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "b.bin")
        with open(path, "wb") as f:
            for w in words:
                f.write(w.to_bytes(width, "little"))
        # -b binary has no ELF attributes, so objdump uses its default arch rv64gc.
        rows = objdump_lines(["-D", "-z", "-b", "binary", "-m", "riscv:rv64", path])
    if len(rows) != len(words):
        sys.exit("objdump desynchronised: %d rows for %d words" % (len(rows), len(words)))
    for (pc, raw, _), w, i in zip(rows, words, range(len(words))):
        if pc != i * width or int(raw, 16) != w:
            sys.exit("objdump row mismatch at %x" % pc)
    return rows


# ---------------------------------------------------------------- assembly
XREGS = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + ["a%d" % i for i in range(8)] + \
    ["s%d" % i for i in range(2, 12)] + ["t%d" % i for i in range(3, 7)]
FREGS = ["f%d" % i for i in range(32)]
NO_RM = ("fcvt.d.s", "fcvt.d.w", "fcvt.d.wu")
RMS = ["rne", "rtz", "rdn", "rup", "rmm", "dyn"]
FENCE_SETS = ["i", "o", "r", "w", "io", "rw", "iorw", "ow", "ir", "iorw"]
CSRS = ["mstatus", "misa", "mie", "mtvec", "mscratch", "mepc", "mcause", "mtval", "mip", "sstatus", "sie",
        "stvec", "sscratch", "sepc", "scause", "stval", "sip", "satp", "mhartid", "mvendorid", "cycle", "time",
        "instret", "fflags", "frm", "fcsr", "medeleg", "mideleg", "pmpcfg0", "pmpaddr0", "mcounteren",
        "scounteren", "mcycle", "minstret", "mhpmcounter3", "hpmcounter3", "0x7c0", "0x800", "0x5c0", "0xfff"]


def operands(rng, mn, fmt):
    x = lambda: rng.pick(XREGS)
    f = lambda: rng.pick(FREGS)
    imm12 = lambda: rng.pick([0, 1, -1, 2047, -2048, rng.below(4096) - 2048, rng.below(64) - 32])
    # gas 2.40 rejects a rounding mode on the exact conversions; the random words cover those encodings.
    rm = lambda: "" if rng.below(3) == 0 or mn in NO_RM else "," + rng.pick(RMS)
    if fmt == "R":
        return "%s,%s,%s" % (x(), x(), x())
    if fmt == "I":
        return "%s,%s,%d" % (x(), x(), imm12())
    if fmt == "Shift":
        top = 64 if mn in ("slli", "srli", "srai") else 32
        return "%s,%s,%d" % (x(), x(), rng.pick([0, 1, top - 1, rng.below(top)]))
    if fmt in ("Load", "Jalr"):
        return "%s,%d(%s)" % (x(), imm12(), x())
    if fmt == "Store":
        return "%s,%d(%s)" % (x(), imm12(), x())
    if fmt == "B":
        return "%s,%s,.%+d" % (x(), x(), rng.pick([0, 4, -4, 4094, -4096, 2 * (rng.below(4096) - 2048)]))
    if fmt == "U":
        return "%s,0x%x" % (x(), rng.pick([0, 1, 0xfffff, 0x80000, rng.below(1 << 20)]))
    if fmt == "J":
        return "%s,.%+d" % (x(), rng.pick([0, 2, -2, 4, (1 << 20) - 2, -(1 << 20), 2 * (rng.below(1 << 20) - (1 << 19))]))
    if fmt == "Fence":
        return "%s,%s" % (rng.pick(FENCE_SETS), rng.pick(FENCE_SETS))
    if fmt == "None":
        return ""
    if fmt == "Sfence":
        return "%s,%s" % (x(), x())
    if fmt == "Csr":
        return "%s,%s,%s" % (x(), rng.pick(CSRS), x())
    if fmt == "CsrI":
        return "%s,%s,%d" % (x(), rng.pick(CSRS), rng.below(32))
    if fmt == "Lr":
        return "%s,(%s)" % (x(), x())
    if fmt == "Amo":
        return "%s,%s,(%s)" % (x(), x(), x())
    if fmt in ("FLoad", "FStore"):
        return "%s,%d(%s)" % (f(), imm12(), x())
    if fmt == "R4":
        return "%s,%s,%s,%s%s" % (f(), f(), f(), f(), rm())
    if fmt == "FRrm":
        return "%s,%s,%s%s" % (f(), f(), f(), rm())
    if fmt == "FR":
        return "%s,%s,%s" % (f(), f(), f())
    if fmt == "FR1rm":
        return "%s,%s%s" % (f(), f(), rm())
    if fmt == "FCmp":
        return "%s,%s,%s" % (x(), f(), f())
    if fmt == "FtoXrm":
        return "%s,%s%s" % (x(), f(), rm())
    if fmt == "FtoX":
        return "%s,%s" % (x(), f())
    if fmt == "XtoFrm":
        return "%s,%s%s" % (f(), x(), rm())
    if fmt == "XtoF":
        return "%s,%s" % (f(), x())
    sys.exit("unknown format " + fmt)


# Alias targets, written with their base instruction so the encoding is exactly the one intended.
ALIASES = """
addi zero,zero,0
addi a0,zero,5
addi a0,zero,-2048
addi a0,a1,0
addi sp,sp,0
xori a0,a1,-1
sub a0,zero,a1
subw a0,zero,a1
addiw a0,a1,0
sltiu a0,a1,1
sltu a0,zero,a1
slt a0,a1,zero
slt a0,zero,a1
beq a0,zero,.+8
bne a0,zero,.-8
bge zero,a0,.+16
bge a0,zero,.+16
blt a0,zero,.+16
blt zero,a0,.+16
blt a0,a1,.+16
bge a1,a0,.+16
bltu a0,a1,.+16
bgeu a0,a1,.+16
jal zero,.+64
jal ra,.-64
jal t0,.+64
jalr zero,0(ra)
jalr zero,0(a0)
jalr ra,0(a0)
jalr zero,4(a0)
jalr ra,-4(a0)
jalr a0,0(a1)
csrrs a0,cycle,zero
csrrs a0,time,zero
csrrs a0,instret,zero
csrrs a0,cycleh,zero
csrrs a0,fflags,zero
csrrs a0,frm,zero
csrrs a0,fcsr,zero
csrrw zero,fflags,a0
csrrw zero,frm,a0
csrrw zero,fcsr,a0
csrrw a1,fflags,a0
csrrw a1,frm,a0
csrrw a1,fcsr,a0
csrrwi zero,fflags,3
csrrwi zero,frm,3
csrrwi a1,frm,3
csrrw zero,cycle,zero
csrrw zero,mstatus,a0
csrrs zero,mstatus,a0
csrrc zero,mstatus,a0
csrrs a0,mstatus,zero
csrrwi zero,mstatus,5
csrrsi zero,mstatus,5
csrrci zero,mstatus,5
csrrs a0,0x7c0,zero
csrrs a0,0xc03,zero
fsgnj.s fa0,fa1,fa1
fsgnjn.s fa0,fa1,fa1
fsgnjx.s fa0,fa1,fa1
fsgnj.d fa0,fa1,fa1
fsgnjn.d fa0,fa1,fa1
fsgnjx.d fa0,fa1,fa1
fence iorw,iorw
fence rw,rw
fence.tso
.insn i 0x0f, 0, x0, x0, 0x010
.insn i 0x0f, 0, x0, x0, 0x100
.insn i 0x0f, 0, x0, x0, 0
.insn i 0x0f, 0, x0, x0, 0x0ff
.insn i 0x0f, 0, x0, x0, -1997
.insn i 0x0f, 0, x0, x0, -1793
fence.i
ecall
ebreak
sfence.vma zero,zero
sfence.vma a0,zero
sfence.vma zero,a0
sfence.vma a0,a1
wfi
mret
sret
fcvt.s.d fa0,fa1,dyn
fcvt.w.s a0,fa0,dyn
lui a0,0
auipc a0,0
slt a0,zero,zero
slt zero,zero,zero
sltu a0,zero,zero
sub a0,zero,zero
subw zero,zero,zero
jalr zero,0(zero)
jalr ra,0(zero)
jalr zero,0(ra)
jalr ra,0(ra)
jalr ra,4(ra)
jalr zero,-4(ra)
beq zero,zero,.+8
bne zero,zero,.+8
blt zero,zero,.+8
bge zero,zero,.+8
bltu zero,zero,.+8
bgeu a0,zero,.+8
bltu zero,a0,.+8
jal ra,.
jal zero,.
addi zero,zero,5
addi zero,a0,0
addi a0,zero,0
addi zero,zero,-1
xori zero,zero,-1
sltiu zero,zero,1
addiw zero,zero,0
slli zero,zero,0
srai a0,a0,0
slliw a0,a0,0
csrrs zero,mstatus,zero
csrrc zero,mstatus,zero
csrrw zero,mstatus,zero
csrrs zero,cycle,zero
csrrs zero,fcsr,zero
csrrw zero,fcsr,zero
csrrw zero,frm,zero
csrrsi a0,mstatus,0
csrrsi zero,mstatus,0
csrrci zero,fflags,0
csrrwi zero,fflags,0
csrrwi zero,fcsr,1
csrrsi a0,fcsr,1
csrrsi a0,frm,1
csrrci a0,fflags,1
csrrw zero,0xc00,a0
csrrw a0,0xc00,zero
csrrs zero,0xc00,a0
csrrwi zero,0xc00,0
fsgnj.s ft0,ft0,ft0
fsgnjn.d ft11,ft11,ft11
fsgnjx.d fa0,fa0,fa1
amoswap.w zero,zero,(zero)
lr.d.aqrl zero,(zero)
sc.d.rl zero,zero,(zero)
fmadd.s ft0,ft0,ft0,ft0,rne
fmv.x.w zero,ft0
fmv.w.x ft0,zero
"""

RVC = """
c.addi4spn a0,sp,4
c.addi4spn s0,sp,1020
c.fld fa0,0(a0)
c.fld fs1,248(s1)
c.lw a0,0(a1)
c.lw a5,124(s0)
c.ld a0,0(a1)
c.ld a5,248(s0)
c.fsd fa0,8(a0)
c.sw a0,4(a1)
c.sd a0,248(a1)
c.nop
c.addi a0,1
c.addi a0,-32
c.addi sp,31
c.addiw a0,-1
c.addiw a0,0
c.li a0,0
c.li a0,-32
c.li t6,31
c.addi16sp sp,-512
c.addi16sp sp,496
c.addi16sp sp,16
c.lui a0,1
c.lui a0,0x1f
c.lui a0,0xfffe0
c.lui t6,0xfffff
c.srli a0,1
c.srli a5,63
c.srai a0,32
c.andi a0,-1
c.andi a0,0
c.sub a0,a1
c.xor a0,a1
c.or a0,a1
c.and a0,a1
c.subw a0,a1
c.addw a0,a1
c.j .+2046
c.j .-2048
c.j .
c.beqz a0,.+254
c.beqz a0,.-256
c.bnez a5,.+2
c.slli a0,1
c.slli t6,63
c.fldsp fa0,0(sp)
c.fldsp ft11,504(sp)
c.lwsp a0,0(sp)
c.lwsp ra,252(sp)
c.ldsp a0,504(sp)
c.jr ra
c.jr a0
c.mv a0,a1
c.ebreak
c.jalr a0
c.jalr ra
c.add a0,a1
c.add sp,sp
c.fsdsp fa0,504(sp)
c.swsp a0,252(sp)
c.sdsp ra,504(sp)
c.unimp
"""


def gen_asm(ops, rng):
    lines = ["\t.option norelax", "\t.option norvc"]
    for mn, fmt, _, _ in ops:
        for _ in range(12):
            lines.append("\t%s %s" % (mn, operands(rng, mn, fmt)))
    for a in ALIASES.strip().splitlines():
        lines.append("\t" + a)
    lines.append("\t.option rvc")
    for a in RVC.strip().splitlines():
        lines.append("\t" + a)
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "a.s")
        obj = os.path.join(d, "a.o")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([AS, "-march=rv64gc", "-o", obj, src], check=True)
        return objdump_lines(["-d", "-z", obj])


# ---------------------------------------------------------------- random words
def gen_rand(ops, rng):
    majors = sorted({b & 0x7f for _, _, _, b in ops})
    words = []
    n = 32768
    while len(words) < 2 * n:
        k = len(words)
        if k < n // 2:
            w = rng.u32() | 3  # uniformly random 32-bit encoding
        elif k < n:
            w = (rng.u32() & ~0x7f) | rng.pick(majors)  # random fields on a real major opcode
        else:
            _, _, mask, bits = rng.pick(ops)  # a table row with random free fields
            w = (rng.u32() & ~mask) | bits
            if rng.below(4) == 0:
                w ^= 1 << rng.below(32)  # and sometimes one flipped bit
            w |= 3
        if (w >> 2) & 7 == 7:
            continue  # 48-bit+ encodings would desynchronise objdump's stream
        words.append(w & 0xFFFFFFFF)
    return disasm_binary(words, 4)


def check_arch():
    """objdump must decode RV64GC only: words of other extensions must stay undecoded."""
    others = [0x20B52533,  # sh1add (Zba)
              0x60051513,  # clz (Zbb)
              0x04C5F553,  # fadd.h (Zfh)
              0x0015200F,  # cbo.clean (Zicbom)
              0x0EB55533]  # czero.eqz (Zicond)
    for pc, raw, text in disasm_binary(others, 4):
        if not text.startswith(".4byte"):
            sys.exit("objdump decodes a non-RV64GC word %s as %r: its default arch is not rv64gc" % (raw, text))


def main():
    check_arch()
    ops = read_ops()
    write_golden("asm.golden", gen_asm(ops, Rng(0x9E3779B97F4A7C15)))
    write_golden("rvc.golden", disasm_binary([h for h in range(65536) if h & 3 != 3], 2))
    write_golden("rand.golden", gen_rand(ops, Rng(0xD1B54A32D192ED03)))
    # Every CSR number, as `csrrc a0,<csr>,a1`, for the CSR names.
    write_golden("csr.golden", disasm_binary([n << 20 | 11 << 15 | 3 << 12 | 10 << 7 | 0x73 for n in range(4096)], 4))


if __name__ == "__main__":
    main()
