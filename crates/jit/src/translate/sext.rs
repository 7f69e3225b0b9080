//! Sign extensions nobody sees: a W operation (`addw`, `mulw`, `addiw`,
//! ...) sign-extends its 32-bit result to 64 bits (Unprivileged spec 4.2),
//! one more x86 instruction (`movsxd`) after the 32-bit one. When the next
//! instructions that touch its rd read only rd's low 32 bits, and one of
//! them overwrites rd before anything else can look (another W operation,
//! `andi` with a small mask, `slli` by 32 or more), the upper half is never
//! read and the extension is left out.

use cpu_riscv::{Insn, Op};

use super::regs::{loc, R};
use super::{alu, select};

/// How far past the W operation its rd is followed.
const REACH: usize = 4;

/// Operations whose result depends on their register sources' low 32
/// bits only (as rs1 and as rs2).
fn reads_low_32(i: &Insn, r: u8) -> bool {
    match i.op {
        Op::Addw | Op::Subw | Op::Mulw | Op::Sllw | Op::Srlw | Op::Sraw => true,
        Op::Addiw | Op::Slliw | Op::Srliw | Op::Sraiw => true,
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
    // Instructions a select does: they run conditionally.
    let mut in_select = vec![false; insns.len()];
    for k in 0..insns.len().saturating_sub(1) {
        if super::jump::is_branch(insns[k].op) {
            if let Some(h) = select::find(insns, k) {
                in_select[k + 1..=k + h.body].fill(true);
            }
        }
    }
    let plain = |i: usize| alu::is_inline(&insns[i]) && !in_select[i];
    for (k, w) in insns.iter().enumerate() {
        let word = matches!(
            w.op,
            Op::Addw
                | Op::Subw
                | Op::Mulw
                | Op::Sllw
                | Op::Srlw
                | Op::Sraw
                | Op::Addiw
                | Op::Slliw
                | Op::Srliw
                | Op::Sraiw
        );
        // Only in host registers (a `Hart` slot is what helpers read).
        if !word || !plain(k) || !matches!(loc(w.rd), R::Host(_)) {
            continue;
        }
        let r = w.rd;
        for (m, i) in insns.iter().enumerate().take(k + 1 + REACH).skip(k + 1) {
            if !plain(m) {
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
