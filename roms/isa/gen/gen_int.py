#!/usr/bin/env python3
"""Generate the table-driven integer tests (rv64ui ALU/shift/compare, rv64um).

Expected values are computed here from the ISA definitions in plain Python
(independent of any emulator); QEMU is then used to confirm the images pass.
Run from anywhere: writes ../rv64u{i,m}-*.S next to this directory.
"""
import os
import random

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
OUT = os.environ.get("GEN_OUT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def s64(x):
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def s32(x):
    x &= M32
    return x - (1 << 32) if x >> 31 else x


def sext32(x):
    return s32(x) & M64


def u64(x):
    return x & M64


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def div64(a, b, signed):
    if signed:
        a, b = s64(a), s64(b)
        if b == 0:
            return M64
        if a == -(1 << 63) and b == -1:
            return u64(a)
        return u64(trunc_div(a, b))
    a, b = u64(a), u64(b)
    return M64 if b == 0 else a // b


def rem64(a, b, signed):
    if signed:
        a, b = s64(a), s64(b)
        if b == 0:
            return u64(a)
        if a == -(1 << 63) and b == -1:
            return 0
        return u64(a - b * trunc_div(a, b))
    a, b = u64(a), u64(b)
    return a if b == 0 else a % b


def div32(a, b, signed):
    if signed:
        a, b = s32(a), s32(b)
        if b == 0:
            return M64
        if a == -(1 << 31) and b == -1:
            return sext32(a)
        return sext32(trunc_div(a, b))
    a, b = a & M32, b & M32
    return M64 if b == 0 else sext32(a // b)


def rem32(a, b, signed):
    if signed:
        a, b = s32(a), s32(b)
        if b == 0:
            return sext32(a)
        if a == -(1 << 31) and b == -1:
            return 0
        return sext32(a - b * trunc_div(a, b))
    a, b = a & M32, b & M32
    return sext32(a) if b == 0 else sext32(a % b)


RR = {
    "add": lambda a, b: u64(a + b),
    "sub": lambda a, b: u64(a - b),
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "sll": lambda a, b: u64(a << (b & 63)),
    "srl": lambda a, b: a >> (b & 63),
    "sra": lambda a, b: u64(s64(a) >> (b & 63)),
    "slt": lambda a, b: int(s64(a) < s64(b)),
    "sltu": lambda a, b: int(a < b),
    "addw": lambda a, b: sext32(a + b),
    "subw": lambda a, b: sext32(a - b),
    "sllw": lambda a, b: sext32(a << (b & 31)),
    "srlw": lambda a, b: sext32((a & M32) >> (b & 31)),
    "sraw": lambda a, b: sext32(s32(a) >> (b & 31)),
    "mul": lambda a, b: u64(a * b),
    "mulh": lambda a, b: u64((s64(a) * s64(b)) >> 64),
    "mulhsu": lambda a, b: u64((s64(a) * u64(b)) >> 64),
    "mulhu": lambda a, b: u64((a * b) >> 64),
    "mulw": lambda a, b: sext32(a * b),
    "div": lambda a, b: div64(a, b, True),
    "divu": lambda a, b: div64(a, b, False),
    "rem": lambda a, b: rem64(a, b, True),
    "remu": lambda a, b: rem64(a, b, False),
    "divw": lambda a, b: div32(a, b, True),
    "divuw": lambda a, b: div32(a, b, False),
    "remw": lambda a, b: rem32(a, b, True),
    "remuw": lambda a, b: rem32(a, b, False),
}

IMM = {
    "addi": lambda a, i: u64(a + i),
    "andi": lambda a, i: a & u64(i),
    "ori": lambda a, i: a | u64(i),
    "xori": lambda a, i: a ^ u64(i),
    "slti": lambda a, i: int(s64(a) < i),
    "sltiu": lambda a, i: int(a < u64(i)),
    "addiw": lambda a, i: sext32(a + i),
    "slli": lambda a, i: u64(a << i),
    "srli": lambda a, i: a >> i,
    "srai": lambda a, i: u64(s64(a) >> i),
    "slliw": lambda a, i: sext32(a << i),
    "srliw": lambda a, i: sext32((a & M32) >> i),
    "sraiw": lambda a, i: sext32(s32(a) >> i),
}

EDGE = [0, 1, 2, 3, 7, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
        0x7fffffffffffffff, 0x8000000000000000, M64, M64 - 1, u64(-0x800), u64(-0x80000000), u64(-0x80000001),
        0x123456789abcdef0, 0xfedcba9876543210, 0x00ff00ff00ff00ff, 0x5555555555555555, 0xaaaaaaaa55555555]
SHAMTS = [0, 1, 2, 7, 14, 20, 31, 32, 33, 47, 62, 63, 64, 65, 95, 127, 0xffffffffffffffc1, M64]


def pairs(name):
    if name[:2] in ("sl", "sr"):
        vals = [0x1, 0x8000000000000000, M64, 0x21212121_21212121, 0xffffffff80000000, 0x7fffffff, 0x80000000,
                0xfedcba9876543210]
        return [(a, b) for a in vals for b in SHAMTS]
    if name.startswith(("div", "rem")):
        vals = [0, 1, 2, 3, 7, u64(-1), u64(-2), u64(-7), 0x7fffffff, 0x80000000, 0xffffffff80000000,
                0x8000000000000000, 0x7fffffffffffffff, 0x123456789abcdef0, 0xfffffffffffffff9, 0x100000007]
        return [(a, b) for a in vals for b in [0, 1, u64(-1), 2, 3, u64(-7), 0x80000000, 0xffffffff80000000,
                                                0x8000000000000000, 0x100000007, 0xfffffffff]]
    return [(a, b) for a in EDGE for b in EDGE[::3]] + [(b, a) for a in EDGE[1::5] for b in EDGE[::2]]


def emit(name, lines, header):
    path = os.path.join(OUT, name + ".S")
    with open(path, "w") as f:
        f.write("/* %s\n * Generated by gen/gen_int.py (expected values from the ISA definition). */\n" % header)
        f.write('#include "test.h"\nTESTS_BEGIN\n')
        for ln in lines:
            f.write("  " + ln + "\n")
        f.write("TESTS_END\n")


def chunk(cases, limit=240):
    # numbers 2..241; tests beyond that are dropped deterministically by striding
    if len(cases) <= limit:
        return cases
    step = len(cases) / limit
    return [cases[int(i * step)] for i in range(limit)]


# Sums that carry out of bit 31 or bit 63, or cross the signed limits: every
# operand pair here is on a boundary of the 64-bit or 32-bit sign/carry.
ADD_CORNERS = [(0x7fffffffffffffff, 1), (0x8000000000000000, M64), (M64, 1), (M64, M64),
               (0x8000000000000000, 0x8000000000000000), (0x7fffffffffffffff, 0x7fffffffffffffff),
               (0x7fffffff, 1), (0xffffffff, 1), (0x80000000, 0x80000000), (0xffffffff80000000, u64(-1)),
               (0x7fffffffffffffff, 0x8000000000000001), (0xfffffffffffff800, 0x800)]

# Registers a generated case may freely name: everything but x0, gp (the case
# number) and t6 (holds the expected value in the check).
FREE_REGS = ["ra", "sp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
             "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5"]


def add_extras(fn, n):
    """Cases only add gets: a chain of dependent adds, each reading the previous
    result at once (value forwarding in a block), and a walk over the register
    file so that every register is a destination and a source once."""
    lines = []
    # chain: x = x + x (doubling) then x = x + k, alternating, 12 instructions
    x, code = 0x0123456789abcdef, ["li a5, 0x0123456789abcdef", "li a6, 0x1111"]
    for i in range(6):
        x = fn(x, x); code.append("add a5, a5, a5")
        x = fn(x, 0x1111); code.append("add a5, a5, a6")
    lines.append("CASE_CODE(%d, a5, 0x%x, %s)" % (n, x, "; ".join(code))); n += 1
    # register walk: case k computes R[k] = R[k+1] + R[k+2] over FREE_REGS (rotating)
    for j, rd in enumerate(FREE_REGS):
        r1, r2 = FREE_REGS[(j + 1) % len(FREE_REGS)], FREE_REGS[(j + 2) % len(FREE_REGS)]
        a, b = (j * 0x0101010101010101) & M64, u64(-(j + 1) * 0x10001)
        lines.append("CASE_CODE(%d, %s, 0x%x, li %s, 0x%x; li %s, 0x%x; add %s, %s, %s)"
                     % (n, rd, fn(a, b), r1, a, r2, b, rd, r1, r2))
        n += 1
    return lines, n


def rr_file(op, ext):
    fn = RR[op]
    if op == "add":
        # room for the corner pairs and add_extras within case numbers 2..254
        cases = list(ADD_CORNERS) + chunk(pairs(op), 200)
    else:
        cases = chunk(pairs(op))
    lines = []
    n = 2
    for a, b in cases:
        lines.append("RR(%d, %s, 0x%x, 0x%x, 0x%x)" % (n, op, fn(a, b), a, b))
        n += 1
    a, b = 0x7654321089abcdef, 0x13
    for mac, args in [("RR_TO_RS1", (a, b)), ("RR_TO_RS2", (a, b))]:
        lines.append("%s(%d, %s, 0x%x, 0x%x, 0x%x)" % (mac, n, op, fn(*args), *args))
        n += 1
    lines.append("RR_ONE_REG(%d, %s, 0x%x, 0x%x)" % (n, op, fn(a, a), a)); n += 1
    lines.append("RR_X0_RS1(%d, %s, 0x%x, 0x%x)" % (n, op, fn(0, b), b)); n += 1
    lines.append("RR_X0_RS2(%d, %s, 0x%x, 0x%x)" % (n, op, fn(a, 0), a)); n += 1
    lines.append("RR_X0_RD(%d, %s, 0x%x, 0x%x)" % (n, op, a, b)); n += 1
    header = "%s: edge values, aliasing, x0 source/destination." % op
    if op == "add":
        extra, n = add_extras(fn, n)
        lines += extra
        header = ("add: carry/overflow corners, edge values, aliasing, x0 source/destination,\n"
                  " * a dependent chain, every register as destination and source.")
    assert n <= 255, n
    emit("rv64%s-%s" % (ext, op), lines, header)


def imm_file(op):
    fn = IMM[op]
    if op.startswith(("sl", "sr")):
        maxs = 31 if op.endswith("w") else 63
        imms = sorted(set([0, 1, 2, 7, 15, 16, 31, maxs - 1, maxs]))
        vals = [0x1, 0x8000000000000000, M64, 0x21212121_21212121, 0xffffffff80000000, 0x7fffffff, 0x80000000,
                0xfedcba9876543210, 0x00000000fffffffe]
    else:
        imms = [0, 1, -1, 0x7ff, -0x800, 0x555, -0x556, 0x10, -0x2]
        vals = EDGE
    cases = chunk([(a, i) for a in vals for i in imms])
    lines = []
    n = 2
    for a, i in cases:
        lines.append("RI(%d, %s, 0x%x, 0x%x, %d)" % (n, op, fn(a, i), a, i))
        n += 1
    a, i = 0x7654321089abcdef, imms[-2]
    lines.append("RI_TO_RS1(%d, %s, 0x%x, 0x%x, %d)" % (n, op, fn(a, i), a, i)); n += 1
    lines.append("RI_X0_RS1(%d, %s, 0x%x, %d)" % (n, op, fn(0, i), i)); n += 1
    lines.append("RI_X0_RD(%d, %s, 0x%x, %d)" % (n, op, a, i)); n += 1
    assert n < 255
    emit("rv64ui-%s" % op, lines, "%s: edge values and immediates, aliasing, x0." % op)


def upper(imm):
    """lui/auipc: the 20-bit immediate in bits 31..12, sign-extended from bit 31."""
    return sext32(imm << 12)


UPPER_IMMS = [0, 1, 2, 0x7ffff, 0x80000, 0x80001, 0x7fffe, 0xfffff, 0xffffe, 0x800, 0xfff, 0x1000, 0x40000,
              0xc0000, 0x55555, 0xaaaaa, 0x12345, 0xedcba]


def upper_file(op, seed):
    rng = random.Random(seed)
    imms = UPPER_IMMS + [rng.randrange(1 << 20) for _ in range(24)]
    lines, n = [], 2
    # the value itself: lui writes it, auipc adds it to its own pc (compared with la of the same label)
    for k, imm in enumerate(imms):
        rd = ["a0", "t0", "s1", "a7"][k % 4]
        if op == "lui":
            lines.append("CASE_CODE(%d, %s, 0x%x, lui %s, 0x%x)" % (n, rd, upper(imm), rd, imm))
        else:
            lines.append("CASE_CODE(%d, %s, 0x%x, 1: auipc %s, 0x%x; la a1, 1b; sub %s, %s, a1)"
                         % (n, rd, upper(imm), rd, imm, rd, rd))
        n += 1
    # x0 destination: no effect
    lines.append("CASE_CODE(%d, zero, 0, %s zero, 0x%x)" % (n, op, imms[-1])); n += 1
    # the upper part followed by the usual low-part completions (how constants and
    # addresses are built): addi sign-extends its 12 bits, addiw also wraps to 32 bits
    for hi, lo in [(0x80000, -1), (0x12345, -0x800), (0x7ffff, 0x7ff), (0xfffff, -0x800), (0x00001, -1)]:
        if op == "lui":
            lines.append("CASE_CODE(%d, a0, 0x%x, lui a0, 0x%x; addi a0, a0, %d)" % (n, u64(upper(hi) + lo), hi, lo))
            n += 1
            lines.append("CASE_CODE(%d, a0, 0x%x, lui a0, 0x%x; addiw a0, a0, %d)" % (n, sext32(upper(hi) + lo), hi, lo))
            n += 1
        else:
            lines.append("CASE_CODE(%d, a0, 0x%x, 1: auipc a0, 0x%x; addi a0, a0, %d; la a1, 1b; sub a0, a0, a1)"
                         % (n, u64(upper(hi) + lo), hi, lo))
            n += 1
    # sign extension to 64 bits seen through shifts
    for imm in [0x80000, 0x7ffff, 0xfffff]:
        if op == "lui":
            lines.append("CASE_CODE(%d, a0, 0x%x, lui a0, 0x%x; srai a0, a0, 12)" % (n, u64(s64(upper(imm)) >> 12), imm))
            n += 1
            lines.append("CASE_CODE(%d, a0, 0x%x, lui a0, 0x%x; srli a0, a0, 32)" % (n, upper(imm) >> 32, imm))
            n += 1
    if op == "auipc":
        # auipc sees its own address, not the start of the sequence
        lines.append("CASE_CODE(%d, a0, 12, 1: nop; nop; nop; auipc a0, 0; la a1, 1b; sub a0, a0, a1)" % n); n += 1
        # the absolute value: images are linked at 0x80000000 and are far smaller than 1 MiB
        lines.append("CASE_CODE(%d, a0, 0x800, auipc a0, 0; srli a0, a0, 20)" % n); n += 1
        # two auipc in a row differ by 4 plus the immediate difference
        lines.append("CASE_CODE(%d, a0, 0x%x, auipc a1, 0x3; auipc a0, 0x5; sub a0, a0, a1)"
                     % (n, u64(upper(5) + 4 - upper(3)))); n += 1
    assert n <= 255
    what = "upper immediate into rd" if op == "lui" else "pc plus upper immediate"
    emit("rv64ui-" + op, lines, "%s: %s, sign extension from bit 31, x0, with addi/addiw low parts." % (op, what))


for op in ["add", "sub", "and", "or", "xor", "sll", "srl", "sra", "slt", "sltu", "addw", "subw", "sllw", "srlw", "sraw"]:
    rr_file(op, "ui")
for op in ["mul", "mulh", "mulhsu", "mulhu", "mulw", "div", "divu", "rem", "remu", "divw", "divuw", "remw", "remuw"]:
    rr_file(op, "um")
for op in IMM:
    imm_file(op)
upper_file("lui", 0x1017)
upper_file("auipc", 0xa01c)
