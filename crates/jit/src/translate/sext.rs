//! Sign extensions nobody sees: a W operation (`addw`, `mulw`, `addiw`,
//! ...) sign-extends its 32-bit result to 64 bits (Unprivileged spec 4.2),
//! one more x86 instruction (`movsxd`) after the 32-bit one. When every
//! instruction that reads its rd before rd is next written reads only the
//! low 32 bits (another W operation, `andi` with a small mask, `slli` by 32
//! or more, a store of 32 bits or fewer), the extension is left out of the
//! hot path: the register is *pending* until then, and every way out of
//! generated code on the way (a slow path, a helper, a side exit, the end
//! of the block) extends the pending registers first, so the state is
//! exact wherever anything else can look at it.
//!
//! In a block that loops to its own start (the inner loops of C code,
//! whose `int` counters and sums are W operations) the way round counts as
//! the start following the end: a counter updated at the bottom and read
//! at the top by W operations only is never extended while the loop runs;
//! the loop's exit extends it, and so does its way round when the budget
//! runs out there. The way round skips the block's entry, which checks
//! (`guard`) that such registers hold sign-extended values, as an `int`
//! does (else Rust runs the block in the interpreter): so on the first
//! round, where their values come from outside, extending them on a way
//! out changes nothing.

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynasmApi};

use super::enc::{self, op, W};
use super::pairs::Pair;
use super::regs::{self, loc, R, RAX};
use super::{alu, jump, mem, select, Asm};

/// The W operations this leaves unextended (those `alu::emit` does).
fn is_word(op: Op) -> bool {
    matches!(
        op,
        Op::Addw | Op::Subw | Op::Mulw | Op::Sllw | Op::Srlw | Op::Sraw | Op::Addiw | Op::Slliw | Op::Srliw | Op::Sraiw
    )
}

/// Bitwise operations (`and`, `or`, `xor` and their immediate forms)
/// commute with sign extension: of two values each the extension of its
/// low 32 bits (an immediate is one), the result is the extension of its
/// own low 32 bits. So one whose sources all hold such values reads only
/// their low halves, and leaves a result that may stay pending as a W
/// operation's: `lazy` below. A hash's or cipher's `sllw`/`srlw`/`or`
/// rotations and `xor`s of `int`s need no extension before the `addw`
/// that reads them.
fn bitwise(op: Op) -> bool {
    matches!(op, Op::And | Op::Or | Op::Xor | Op::Andi | Op::Ori | Op::Xori)
}

/// The registers bitwise operation `i` reads (rs2 only for the register
/// forms).
fn bitwise_sources(i: &Insn) -> u32 {
    let rs2 = if matches!(i.op, Op::And | Op::Or | Op::Xor) { 1 << (i.rs2 & 31) } else { 0 };
    1 << (i.rs1 & 31) | rs2
}

/// Whether `i` leaves its rd holding the sign extension of its low 32 bits
/// (in the `Hart` as in a host register, once extended), its sources
/// being such where `w` has their bits.
fn gives_sext(i: &Insn, w: u32) -> bool {
    match i.op {
        op if is_word(op) => true,
        Op::Lw | Op::Lh | Op::Lb | Op::Lhu | Op::Lbu | Op::Lui => true,
        Op::Slt | Op::Sltu | Op::Slti | Op::Sltiu => true,
        // A non-negative mask: small. x0 plus an immediate, or a copy.
        Op::Andi if i.imm >= 0 => true,
        Op::Addi => i.rs1 == 0 || i.imm == 0 && w & 1 << (i.rs1 & 31) != 0,
        op if bitwise(op) => w & bitwise_sources(i) == bitwise_sources(i),
        _ => false,
    }
}

/// Per instruction: the bitwise operations whose sources all hold sign
/// extensions of 32 bits (pending or not: `bitwise`), into a host register,
/// run unconditionally.
fn lazy_ops(insns: &[Insn], pairs: &[Pair], plain: &[bool]) -> Vec<bool> {
    let mut w = 1u32;
    let mut out = vec![false; insns.len()];
    for (k, i) in insns.iter().enumerate() {
        let plain = plain[k] && pairs[k] == Pair::None;
        out[k] = bitwise(i.op)
            && plain
            && i.rd != 0
            && matches!(loc(i.rd), R::Host(_))
            && gives_sext(i, w)
            // `andi` with a non-negative mask is a reader of the low half already.
            && !(i.op == Op::Andi && i.imm >= 0);
        // Whatever the format, its rd field counts as written (FP ones
        // too: safe); a select's body may run or not.
        let bit = 1u32 << (i.rd & 31);
        if plain && gives_sext(i, w) {
            w |= bit;
        } else {
            w &= !bit;
        }
        w |= 1;
    }
    out
}

/// Whether `i` reads register `r` at all (every field counted: safe), and
/// if so whether only its low 32 bits; `pair`: what `pairs` made of `i`;
/// `lazy`: `i` is a bitwise operation of sign extensions (`lazy_ops`).
fn reads(i: &Insn, pair: Pair, r: u8, lazy: bool) -> Option<bool> {
    if let Pair::Fused { rs, shl, .. } = pair {
        // Computed from `rs`, keeping its low 64 - shl bits.
        if rs == r {
            return Some(shl >= 32);
        }
    }
    if i.rs1 != r && i.rs2 != r {
        return None;
    }
    Some(match i.op {
        op if is_word(op) && alu::is_inline(i) => true,
        _ if lazy => true,
        // rs1 & a mask of 11 bits at most.
        Op::Andi => (0..2048).contains(&i.imm),
        // rs1 << 32 or more: its upper half is shifted out.
        Op::Slli => (i.imm & 63) >= 32,
        // The stored bytes only, not the address.
        Op::Sw | Op::Sh | Op::Sb => i.rs1 != r,
        // A compare with x0, of the low half (`jump::compare`; a select's
        // branch, which compares all of it, ends the search before this).
        op if jump::is_branch(op) => i.rs1 == 0 || i.rs2 == 0,
        _ => false,
    })
}

/// Whether `i` surely writes integer register `r` (and is done as itself:
/// a dropped left shift of a pair writes nothing).
fn writes(i: &Insn, pair: Pair, r: u8) -> bool {
    let int_rd = alu::is_inline(i) || matches!(mem::kind(i.op), Some(mem::Mem::Load { .. })) || i.op == Op::Jal;
    i.rd == r && int_rd && pair != Pair::Dead
}

/// A block's sign extensions (`plan`). Register sets are masks of guest
/// registers, all in host registers.
pub(crate) struct Plan {
    /// Per instruction: a W operation whose extension is left out.
    pub skip: Vec<bool>,
    /// Per instruction: the registers pending when it starts, to extend on
    /// its ways out (slow path, helper, side exit).
    pub pending: Vec<u32>,
    /// Pending at the block's start on the way round a loop: checked to be
    /// sign-extended on entry (`guard`), extended where the way round's
    /// budget runs out.
    pub round: u32,
    /// Pending at the end: extended on the loop's exit.
    pub exit: u32,
    /// Per instruction: a bitwise operation of pending sources whose result
    /// is read whole: its rd is extended after it (`lazy_ops`).
    pub extend_after: Vec<bool>,
}

/// Whether the block `insns` ends with a jump to its own start and may go
/// round by itself (`allowed`: `Env::loops`): `Plan::round` can then be
/// nonzero.
pub(crate) fn loops(insns: &[Insn], allowed: bool) -> bool {
    let Some(last) = insns.last() else { return false };
    let off: i64 = insns[..insns.len() - 1].iter().map(|i| i64::from(i.len)).sum();
    let to_start = off + i64::from(last.imm) == 0;
    allowed && to_start && (jump::is_branch(last.op) || last.op == Op::Jal)
}

/// The extensions of block `insns` to leave out, and where the registers
/// they leave pending must be extended. `looping`: `loops` said so.
pub(crate) fn plan(insns: &[Insn], pairs: &[Pair], looping: bool) -> Plan {
    let n = insns.len();
    let mut p = Plan { skip: vec![false; n], pending: vec![0; n], round: 0, exit: 0, extend_after: vec![false; n] };
    // Nothing pending without a W operation (most of an OS's blocks): no
    // search (translation time).
    if !insns.iter().any(|i| is_word(i.op)) {
        return p;
    }
    let plain = select::plain_ops(insns);
    let lazy = lazy_ops(insns, pairs, &plain);
    // Instructions a select does (its branch and body): the body may read
    // or write their registers or not, and the branch compares all 64
    // bits, so any touching a pending register ends the search.
    let mut in_select = vec![false; n];
    for k in 0..n.saturating_sub(1) {
        if jump::is_branch(insns[k].op) {
            if let Some(h) = select::find(insns, k) {
                in_select[k..=k + h.body].fill(true);
            }
        }
    }
    let mut walked = Vec::with_capacity(n);
    for (k, w) in insns.iter().enumerate() {
        // Only in host registers (a `Hart` slot is what helpers read).
        let word = is_word(w.op) && plain[k] && pairs[k] == Pair::None;
        if !(word || lazy[k]) || !matches!(loc(w.rd), R::Host(_)) {
            continue;
        }
        let r = w.rd;
        walked.clear();
        let (mut m, mut wrapped, mut found) = (k + 1, false, false);
        // At most once round (back at `k`, which writes `r`).
        for _ in 0..=n {
            if m == n {
                if !looping {
                    break;
                }
                m = 0;
                wrapped = true;
            }
            let i = &insns[m];
            if in_select[m] && (i.rd == r || i.rs1 == r || i.rs2 == r) {
                break;
            }
            walked.push(m);
            if reads(i, pairs[m], r, lazy[m]) == Some(false) {
                break;
            }
            // Anything else that may write `r` (a helper, an FP
            // destination of the same number, a dropped shift) ends the
            // search too: extending what it leaves would be wrong.
            if i.rd == r {
                found = writes(i, pairs[m], r);
                break;
            }
            m += 1;
        }
        if !found {
            continue;
        }
        p.skip[k] = true;
        let bit = 1u32 << r;
        for &m in &walked {
            p.pending[m] |= bit;
        }
        if wrapped {
            p.round |= bit;
            p.exit |= bit;
        }
    }
    // A bitwise operation left unextended is exact unless a source was
    // pending: then, read whole after, it is extended.
    for (k, i) in insns.iter().enumerate() {
        p.extend_after[k] = lazy[k] && !p.skip[k] && p.pending[k] & bitwise_sources(i) & !1 != 0;
    }
    p
}

/// Jump to the code at offset `to` (before this) unless every register of
/// `mask` holds a sign-extended 32-bit value.
/// (Under the run's pinning where the loop has its own: `regs::loop_pinning`.)
pub(crate) fn guard(a: &mut Asm, mask: u32, to: usize) {
    for g in (1..32u8).filter(|g| mask & 1 << g != 0) {
        match loc(g) {
            R::Host(h) => dynasm!(a; .arch x64; movsxd rax, Rd(h); cmp rax, Rq(h)),
            R::Mem(d) => {
                enc::rm(a, W::Q, op::MOVSXD, RAX, regs::hart(d));
                enc::rm(a, W::Q, &[enc::CMP.load], RAX, regs::hart(d));
            }
            R::Zero => continue,
        }
        super::jcc_back(a, super::JNE, to);
    }
}

/// Whether guest register values `x` hold every register of `mask`
/// sign-extended (as `guard` checks).
pub(crate) fn extended(x: &[u64; 32], mask: u32) -> bool {
    mask == 0 || (1..32).filter(|g| mask & 1 << g != 0).all(|g| x[g] == x[g] as i32 as i64 as u64)
}

/// Sign-extend the registers of `mask` (their low 32 bits) in place.
pub(crate) fn extend(a: &mut Asm, mask: u32) {
    for g in (1..32u8).filter(|g| mask & 1 << g != 0) {
        if let R::Host(h) = loc(g) {
            dynasm!(a; .arch x64; movsxd Rq(h), Rd(h));
        }
    }
}
