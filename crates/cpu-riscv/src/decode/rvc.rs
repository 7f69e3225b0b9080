//! The "C" extension, RV64 variants (Unprivileged spec ch. 16): each
//! compressed form expands to its base operation with `len == 2`.
//!
//! Reserved encodings are illegal; HINTs (spec 16.7) expand to their base
//! operation, which has no architectural effect when rd = x0 or the operand is 0.

use crate::insn::Insn;
use crate::ops::Op;

const SP: u8 = 2;
const RA: u8 = 1;

/// Bit `n` of `h` moved to bit `to`.
fn bit(h: u16, n: u32, to: u32) -> u32 {
    u32::from((h >> n) & 1) << to
}

/// Bits `hi..=lo` of `h`.
fn field(h: u16, hi: u32, lo: u32) -> u8 {
    ((h >> lo) & ((1 << (hi - lo + 1)) - 1)) as u8
}

/// A 3-bit register field naming x8..x15 (or f8..f15).
fn creg(h: u16, lo: u32) -> u8 {
    field(h, lo + 2, lo) + 8
}

/// Sign-extend the low `n` bits of `v`.
fn sext(v: u32, n: u32) -> i32 {
    ((v << (32 - n)) as i32) >> (32 - n)
}

/// The 6-bit immediate imm[5] = bit 12, imm[4:0] = bits 6:2 (CI format).
fn ci_imm(h: u16) -> u32 {
    bit(h, 12, 5) | u32::from(field(h, 6, 2))
}

fn mk(op: Op, h: u16, rd: u8, rs1: u8, rs2: u8, imm: i32) -> Insn {
    Insn { op, rd, rs1, rs2, rs3: 0, rm: 0, aqrl: 0, len: 2, imm, raw: u32::from(h) }
}

pub(super) fn decode16(h: u16) -> Insn {
    let illegal = Insn::illegal(u32::from(h), 2);
    let funct3 = h >> 13;
    let rd = field(h, 11, 7);
    let rs2 = field(h, 6, 2);
    match (h & 3, funct3) {
        (0, 0) => {
            // c.addi4spn: nzuimm[5:4|9:6|2|3]; nzuimm = 0 (including the all-zero word) is reserved.
            let uimm = bit(h, 12, 5) | bit(h, 11, 4) | u32::from(field(h, 10, 7)) << 6 | bit(h, 6, 2) | bit(h, 5, 3);
            if uimm == 0 {
                return illegal;
            }
            mk(Op::Addi, h, creg(h, 2), SP, 0, uimm as i32)
        }
        (0, 1) => mk(Op::Fld, h, creg(h, 2), creg(h, 7), 0, cl_d_off(h)),
        (0, 2) => mk(Op::Lw, h, creg(h, 2), creg(h, 7), 0, cl_w_off(h)),
        (0, 3) => mk(Op::Ld, h, creg(h, 2), creg(h, 7), 0, cl_d_off(h)),
        (0, 5) => mk(Op::Fsd, h, 0, creg(h, 7), creg(h, 2), cl_d_off(h)),
        (0, 6) => mk(Op::Sw, h, 0, creg(h, 7), creg(h, 2), cl_w_off(h)),
        (0, 7) => mk(Op::Sd, h, 0, creg(h, 7), creg(h, 2), cl_d_off(h)),
        // c.addi (c.nop when rd = 0).
        (1, 0) => mk(Op::Addi, h, rd, rd, 0, sext(ci_imm(h), 6)),
        // c.addiw (RV64; c.jal's slot on RV32): rd = 0 is reserved.
        (1, 1) if rd != 0 => mk(Op::Addiw, h, rd, rd, 0, sext(ci_imm(h), 6)),
        (1, 2) => mk(Op::Addi, h, rd, 0, 0, sext(ci_imm(h), 6)),
        (1, 3) if rd == SP => {
            // c.addi16sp: nzimm[9|4|6|8:7|5]; nzimm = 0 is reserved.
            let imm = bit(h, 12, 9) | bit(h, 6, 4) | bit(h, 5, 6) | u32::from(field(h, 4, 3)) << 7 | bit(h, 2, 5);
            if imm == 0 {
                return illegal;
            }
            mk(Op::Addi, h, SP, SP, 0, sext(imm, 10))
        }
        // c.lui: nzimm[17|16:12]; nzimm = 0 is reserved.
        (1, 3) if ci_imm(h) != 0 => mk(Op::Lui, h, rd, 0, 0, sext(ci_imm(h), 6) << 12),
        (1, 4) => misc_alu(h),
        (1, 5) => mk(Op::Jal, h, 0, 0, 0, cj_off(h)),
        (1, 6) => mk(Op::Beq, h, 0, creg(h, 7), 0, cb_off(h)),
        (1, 7) => mk(Op::Bne, h, 0, creg(h, 7), 0, cb_off(h)),
        // c.slli: shamt[5|4:0]; rd = 0 or shamt = 0 are HINTs.
        (2, 0) => mk(Op::Slli, h, rd, rd, 0, ci_imm(h) as i32),
        (2, 1) => mk(Op::Fld, h, rd, SP, 0, ci_sp_d_off(h)),
        // c.lwsp / c.ldsp: rd = 0 is reserved.
        (2, 2) if rd != 0 => {
            let off = bit(h, 12, 5) | u32::from(field(h, 6, 4)) << 2 | u32::from(field(h, 3, 2)) << 6;
            mk(Op::Lw, h, rd, SP, 0, off as i32)
        }
        (2, 3) if rd != 0 => mk(Op::Ld, h, rd, SP, 0, ci_sp_d_off(h)),
        (2, 4) => match (h >> 12 & 1, rd, rs2) {
            (0, 0, 0) => illegal, // c.jr with rs1 = 0 is reserved
            (0, rs1, 0) => mk(Op::Jalr, h, 0, rs1, 0, 0),
            (0, rd, rs2) => mk(Op::Add, h, rd, 0, rs2, 0), // c.mv
            (_, 0, 0) => mk(Op::Ebreak, h, 0, 0, 0, 0),
            (_, rs1, 0) => mk(Op::Jalr, h, RA, rs1, 0, 0),
            (_, rd, rs2) => mk(Op::Add, h, rd, rd, rs2, 0), // c.add
        },
        (2, 5) => mk(Op::Fsd, h, 0, SP, rs2, css_d_off(h)),
        (2, 6) => {
            let off = u32::from(field(h, 12, 9)) << 2 | u32::from(field(h, 8, 7)) << 6;
            mk(Op::Sw, h, 0, SP, rs2, off as i32)
        }
        (2, 7) => mk(Op::Sd, h, 0, SP, rs2, css_d_off(h)),
        // (0, 4) is reserved; everything else here is a reserved case of a guarded arm.
        _ => illegal,
    }
}

/// Quadrant 1, funct3 = 100: shifts, c.andi and the CA arithmetic group.
fn misc_alu(h: u16) -> Insn {
    let rd = creg(h, 7);
    let rs2 = creg(h, 2);
    match (field(h, 11, 10), h >> 12 & 1, field(h, 6, 5)) {
        // c.srli / c.srai: shamt = 0 is a HINT on RV64 (c.srli64 on RV128).
        (0, _, _) => mk(Op::Srli, h, rd, rd, 0, ci_imm(h) as i32),
        (1, _, _) => mk(Op::Srai, h, rd, rd, 0, ci_imm(h) as i32),
        (2, _, _) => mk(Op::Andi, h, rd, rd, 0, sext(ci_imm(h), 6)),
        (_, 0, 0) => mk(Op::Sub, h, rd, rd, rs2, 0),
        (_, 0, 1) => mk(Op::Xor, h, rd, rd, rs2, 0),
        (_, 0, 2) => mk(Op::Or, h, rd, rd, rs2, 0),
        (_, 0, 3) => mk(Op::And, h, rd, rd, rs2, 0),
        (_, _, 0) => mk(Op::Subw, h, rd, rd, rs2, 0),
        (_, _, 1) => mk(Op::Addw, h, rd, rd, rs2, 0),
        // funct6 = 100111 with funct2 = 10/11 is reserved.
        _ => Insn::illegal(u32::from(h), 2),
    }
}

/// CL/CS word offset: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5.
fn cl_w_off(h: u16) -> i32 {
    (u32::from(field(h, 12, 10)) << 3 | bit(h, 6, 2) | bit(h, 5, 6)) as i32
}

/// CL/CS doubleword offset: uimm[5:3] = bits 12:10, uimm[7:6] = bits 6:5.
fn cl_d_off(h: u16) -> i32 {
    (u32::from(field(h, 12, 10)) << 3 | u32::from(field(h, 6, 5)) << 6) as i32
}

/// CI sp-relative doubleword offset: uimm[5] = bit 12, uimm[4:3|8:6] = bits 6:2.
fn ci_sp_d_off(h: u16) -> i32 {
    (bit(h, 12, 5) | u32::from(field(h, 6, 5)) << 3 | u32::from(field(h, 4, 2)) << 6) as i32
}

/// CSS doubleword offset: uimm[5:3|8:6] = bits 12:7.
fn css_d_off(h: u16) -> i32 {
    (u32::from(field(h, 12, 10)) << 3 | u32::from(field(h, 9, 7)) << 6) as i32
}

/// CJ offset: imm[11|4|9:8|10|6|7|3:1|5] = bits 12:2.
fn cj_off(h: u16) -> i32 {
    let v = bit(h, 12, 11)
        | bit(h, 11, 4)
        | u32::from(field(h, 10, 9)) << 8
        | bit(h, 8, 10)
        | bit(h, 7, 6)
        | bit(h, 6, 7)
        | u32::from(field(h, 5, 3)) << 1
        | bit(h, 2, 5);
    sext(v, 12)
}

/// CB offset: imm[8|4:3] = bits 12:10, imm[7:6|2:1|5] = bits 6:2.
fn cb_off(h: u16) -> i32 {
    let v = bit(h, 12, 8)
        | u32::from(field(h, 11, 10)) << 3
        | u32::from(field(h, 6, 5)) << 6
        | u32::from(field(h, 4, 3)) << 1
        | bit(h, 2, 5);
    sext(v, 9)
}
