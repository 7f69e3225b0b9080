//! The decoder: 32-bit and compressed encodings to `Insn`, driven by `ops::OPS`.
//!
//! 32-bit words are matched against the table through an index keyed by the
//! major opcode (bits 6:2) and funct3 (bits 14:12), built once; every word
//! that matches no row, or carries a reserved static rounding mode, is
//! `Op::Illegal`. Compressed words are expanded in `rvc`.

mod rvc;

use std::sync::OnceLock;

use crate::insn::{Format, Insn};
use crate::ops::{Op, OPS};

/// Decode the instruction whose low bits are `raw`. If `raw & 3 != 3` it is a
/// compressed instruction and only the low 16 bits are used.
pub fn decode(raw: u32) -> Insn {
    if raw & 3 != 3 {
        rvc::decode16(raw as u16)
    } else {
        decode32(raw)
    }
}

/// Candidate rows per (opcode[6:2], funct3): 256 short lists.
fn index() -> &'static [Vec<Op>] {
    static INDEX: OnceLock<Vec<Vec<Op>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut idx = vec![Vec::new(); 256];
        for info in OPS {
            // Every row fixes bits 1:0 = 11 and bits 6:2, so only funct3 can be free.
            debug_assert_eq!(info.mask & 0x7f, 0x7f, "{}", info.mnemonic);
            for f3 in 0..8u32 {
                let word = f3 << 12;
                if (word ^ info.bits) & info.mask & 0x7000 == 0 {
                    idx[key(info.bits | word)].push(info.op);
                }
            }
        }
        idx
    })
}

fn key(raw: u32) -> usize {
    ((raw >> 2) & 0x1f | ((raw >> 12) & 7) << 5) as usize
}

fn decode32(raw: u32) -> Insn {
    let Some(info) = index()[key(raw)].iter().map(|&op| &OPS[op as usize]).find(|i| raw & i.mask == i.bits) else {
        return Insn::illegal(raw, 4);
    };
    let mut insn = Insn { op: info.op, len: 4, raw, ..Insn::illegal(raw, 4) };
    let (rd, rs1, rs2) = (bits(raw, 11, 7), bits(raw, 19, 15), bits(raw, 24, 20));
    let rm = bits(raw, 14, 12);
    match info.format {
        Format::R | Format::FR | Format::FCmp => (insn.rd, insn.rs1, insn.rs2) = (rd, rs1, rs2),
        Format::I | Format::Load | Format::Jalr | Format::FLoad => {
            (insn.rd, insn.rs1, insn.imm) = (rd, rs1, imm_i(raw));
        }
        Format::Shift => (insn.rd, insn.rs1, insn.imm) = (rd, rs1, ((raw >> 20) & 0x3f) as i32),
        Format::Store | Format::FStore => (insn.rs1, insn.rs2, insn.imm) = (rs1, rs2, imm_s(raw)),
        Format::B => (insn.rs1, insn.rs2, insn.imm) = (rs1, rs2, imm_b(raw)),
        Format::U => (insn.rd, insn.imm) = (rd, (raw & 0xffff_f000) as i32),
        Format::J => (insn.rd, insn.imm) = (rd, imm_j(raw)),
        // fm/pred/succ; rd and rs1 are reserved and ignored (Unprivileged spec 2.7).
        Format::Fence => insn.imm = (raw >> 20) as i32,
        Format::None => {}
        Format::Sfence => (insn.rs1, insn.rs2) = (rs1, rs2),
        Format::Csr | Format::CsrI => (insn.rd, insn.rs1, insn.imm) = (rd, rs1, (raw >> 20) as i32),
        Format::Lr => (insn.rd, insn.rs1, insn.aqrl) = (rd, rs1, bits(raw, 26, 25)),
        Format::Amo => (insn.rd, insn.rs1, insn.rs2, insn.aqrl) = (rd, rs1, rs2, bits(raw, 26, 25)),
        Format::R4 => (insn.rd, insn.rs1, insn.rs2, insn.rs3, insn.rm) = (rd, rs1, rs2, bits(raw, 31, 27), rm),
        Format::FRrm => (insn.rd, insn.rs1, insn.rs2, insn.rm) = (rd, rs1, rs2, rm),
        Format::FR1rm | Format::FtoXrm | Format::XtoFrm => (insn.rd, insn.rs1, insn.rm) = (rd, rs1, rm),
        Format::FtoX | Format::XtoF => (insn.rd, insn.rs1) = (rd, rs1),
    }
    // Rounding modes 5 and 6 are reserved (Unprivileged spec 11.2, table 11.1);
    // 7 (dynamic) is checked against frm at execution.
    if has_rm(info.format) && (insn.rm == 5 || insn.rm == 6) {
        return Insn::illegal(raw, 4);
    }
    insn
}

/// Whether operations of this format carry a rounding-mode field.
pub fn has_rm(format: Format) -> bool {
    matches!(format, Format::R4 | Format::FRrm | Format::FR1rm | Format::FtoXrm | Format::XtoFrm)
}

/// Bits `hi..=lo` of `raw`, as a small field.
fn bits(raw: u32, hi: u32, lo: u32) -> u8 {
    ((raw >> lo) & ((1 << (hi - lo + 1)) - 1)) as u8
}

fn imm_i(raw: u32) -> i32 {
    raw as i32 >> 20
}

fn imm_s(raw: u32) -> i32 {
    (raw as i32 >> 25) << 5 | ((raw >> 7) & 0x1f) as i32
}

fn imm_b(raw: u32) -> i32 {
    (raw as i32 >> 31) << 12 | (((raw >> 7) & 1) << 11 | ((raw >> 25) & 0x3f) << 5 | ((raw >> 8) & 0xf) << 1) as i32
}

fn imm_j(raw: u32) -> i32 {
    (raw as i32 >> 31) << 20 | ((raw & 0xff000) | ((raw >> 20) & 1) << 11 | ((raw >> 21) & 0x3ff) << 1) as i32
}
