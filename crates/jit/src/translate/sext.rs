//! Sign extensions nobody sees: a W operation (`addw`, `mulw`, `addiw`,
//! ...) sign-extends its 32-bit result to 64 bits (Unprivileged spec 4.2),
//! one more x86 instruction (`movsxd`) after the 32-bit one. When the next
//! instructions that touch its rd read only rd's low 32 bits, and one of
//! them overwrites rd before anything else can look (another W operation,
//! `andi` with a small mask, `slli` by 32 or more), the upper half is never
//! read and the extension is left out.

use cpu_riscv::{Insn, Op};

use super::regs::{loc, R};
use super::select;

/// How far past the W operation its rd is followed.
const REACH: usize = 4;

/// The W operations this leaves unextended (those `alu::emit` does).
fn is_word(op: Op) -> bool {
    matches!(
        op,
        Op::Addw | Op::Subw | Op::Mulw | Op::Sllw | Op::Srlw | Op::Sraw | Op::Addiw | Op::Slliw | Op::Srliw | Op::Sraiw
    )
}

/// Whether `i`'s result depends on register `r`'s low 32 bits only.
fn reads_low_32(i: &Insn, r: u8) -> bool {
    match i.op {
        // W operations, as rs1 and as rs2.
        op if is_word(op) => true,
        // rs1 & a mask of 11 bits at most.
        Op::Andi => i.rs1 == r && (0..2048).contains(&i.imm),
        // rs1 << 32 or more: its upper half is shifted out.
        Op::Slli => i.rs1 == r && (i.imm & 63) >= 32,
        _ => false,
    }
}

/// Per instruction: a W operation whose sign extension can be left out.
pub(crate) fn plan(insns: &[Insn]) -> Vec<bool> {
    let mut out = vec![false; insns.len()];
    let plain = select::plain_ops(insns);
    for (k, w) in insns.iter().enumerate() {
        // Only in host registers (a `Hart` slot is what helpers read).
        if !is_word(w.op) || !plain[k] || !matches!(loc(w.rd), R::Host(_)) {
            continue;
        }
        let r = w.rd;
        for (m, i) in insns.iter().enumerate().take(k + 1 + REACH).skip(k + 1) {
            if !plain[m] {
                break;
            }
            // Every field counted as a read of `r` (safe).
            let reads = i.rs1 == r || i.rs2 == r;
            if reads && !reads_low_32(i, r) {
                break;
            }
            if i.rd == r {
                out[k] = true;
                break;
            }
        }
    }
    out
}
