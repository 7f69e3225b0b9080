//! Short forward branches over a few integer operations writing one
//! register (`if (c) x = f(x);`, a hammock) done without a jump: the
//! operations compute the register's new value in `rax` whatever the branch
//! does, and a conditional move writes it where the branch is not taken.
//! RISC-V without Zicond has no conditional move, so compilers branch where
//! x86 code would use `cmov`; when the condition follows the data (bitwise
//! CRCs, clamps, min/max, bit tests) such a branch mispredicts often, a
//! pipeline flush each. Semantics are the branch's (Unprivileged spec
//! 2.5): when it is taken the skipped operations do not retire, so the
//! budget (hence `instret`) gets them back.

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynasmApi};

use super::consts::{self, Known, Rhs};
use super::enc::{self, op, W};
use super::regs::{cmp_rhs, get, hart, loc, R, RAX, RBP, RCX, RDX};
use super::{alu, jump, pairs, Asm};

/// Most operations a branch may skip: longer bodies cost more than a
/// mispredicted branch saves.
const MAX_BODY: usize = 4;

/// A branch done as a select: how many operations it skips, and the one
/// register they write (0 if none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hammock {
    pub body: usize,
    dest: u8,
}

/// Whether the conditional branch `insns[k]` skips forward over at most
/// `MAX_BODY` operations that `alu::to_rax` does, all writing the same
/// register (or x0), to an instruction of the same block.
pub(crate) fn find(insns: &[Insn], k: usize) -> Option<Hammock> {
    let target = i64::from(insns[k].imm);
    let mut at = i64::from(insns[k].len);
    let mut h = Hammock { body: 0, dest: 0 };
    for i in insns.get(k + 1..)? {
        if at == target {
            return (h.body > 0).then_some(h);
        }
        if at > target || h.body == MAX_BODY || !alu::to_rax_does(i.op) {
            return None;
        }
        if i.rd != 0 {
            if h.dest != 0 && h.dest != i.rd {
                return None;
            }
            h.dest = i.rd;
        }
        h.body += 1;
        at += i64::from(i.len);
    }
    // The target is past the block's last instruction: a side exit.
    None
}

/// `cmov` of `rax` into host register `h` when branch `op` is not taken by
/// the last compare.
fn move_if_not_taken(a: &mut Asm, op: Op, h: u8) {
    match op {
        Op::Beq => dynasm!(a; .arch x64; cmovne Rq(h), rax),
        Op::Bne => dynasm!(a; .arch x64; cmove Rq(h), rax),
        Op::Blt => dynasm!(a; .arch x64; cmovge Rq(h), rax),
        Op::Bge => dynasm!(a; .arch x64; cmovl Rq(h), rax),
        Op::Bltu => dynasm!(a; .arch x64; cmovae Rq(h), rax),
        _ => dynasm!(a; .arch x64; cmovb Rq(h), rax),
    }
}

/// `rbp` = `rdx` if branch `op` is taken by the last compare.
fn move_if_taken_to_rbp(a: &mut Asm, op: Op) {
    match op {
        Op::Beq => dynasm!(a; .arch x64; cmove rbp, rdx),
        Op::Bne => dynasm!(a; .arch x64; cmovne rbp, rdx),
        Op::Blt => dynasm!(a; .arch x64; cmovl rbp, rdx),
        Op::Bge => dynasm!(a; .arch x64; cmovge rbp, rdx),
        Op::Bltu => dynasm!(a; .arch x64; cmovb rbp, rdx),
        _ => dynasm!(a; .arch x64; cmovae rbp, rdx),
    }
}

/// Flags for branch `br` (`jump::compare`, its operands' values as
/// `known`), `rax` kept; the branch whose condition they are to take.
fn compare_keeping_rax(a: &mut Asm, br: &Insn, known: Known) -> Op {
    let (op, g, rhs) = consts::compare(br.op, br.rs1, br.rs2, known);
    match (loc(g), rhs) {
        // These need no scratch register.
        (R::Host(_), _) | (_, Rhs::Imm(_)) => cmp_rhs(a, g, rhs),
        (R::Mem(_), Rhs::Reg(g2)) if matches!(loc(g2), R::Zero | R::Host(_)) => cmp_rhs(a, g, rhs),
        (_, Rhs::Reg(g2)) => {
            get(a, RCX, g);
            match loc(g2) {
                R::Host(h) => dynasm!(a; .arch x64; cmp rcx, Rq(h)),
                R::Mem(d) => enc::rm(a, W::Q, &[enc::CMP.load], RCX, hart(d)),
                R::Zero => dynasm!(a; .arch x64; test rcx, rcx),
            }
        }
    }
    op
}

/// Per instruction: a plain register operation (`alu::is_inline`) outside
/// any select's body, so run unconditionally, and neither leaving the block
/// nor letting anything look at the registers (the peepholes' ground:
/// `pairs`, `sext`).
pub(crate) fn plain_ops(insns: &[Insn]) -> Vec<bool> {
    let mut plain: Vec<bool> = insns.iter().map(alu::is_inline).collect();
    for k in 0..insns.len().saturating_sub(1) {
        if jump::is_branch(insns[k].op) {
            if let Some(h) = find(insns, k) {
                plain[k + 1..=k + h.body].fill(false);
            }
        }
    }
    plain
}

/// The branch `insns[k]` (at virtual `pc`) and its body, as `find` found
/// them: the body computes its register's new value in `rax` (no guest
/// register written, so the branch's operands are still as they were),
/// then the compare, a `cmov` of the new value where the branch is not
/// taken, and the budget given back the skipped operations where it is.
pub(crate) fn emit(a: &mut Asm, insns: &[Insn], k: usize, h: &Hammock, pc: u64, known: Known) {
    let br = &insns[k];
    let d = h.dest;
    let mut pc = pc.wrapping_add(u64::from(br.len));
    let mut in_rax = false;
    let body = &insns[k + 1..=k + h.body];
    let mut n = 0;
    while n < body.len() {
        let i = &body[n];
        // A shift pair (both write `d`): one extension (`pairs`).
        if let (Op::Slli, Some(r)) = (i.op, body.get(n + 1)) {
            let (shl, shr) = ((i.imm & 63) as u8, (r.imm & 63) as u8);
            let pair = d != 0 && i.rd == d && r.rd == d && r.rs1 == d;
            if pair && matches!(r.op, Op::Srli | Op::Srai) && pairs::supported(shl, r.op, shr) {
                let from = if in_rax && i.rs1 == d { R::Host(RAX) } else { loc(i.rs1) };
                pairs::extend(a, RAX, from, shl, r.op, shr);
                in_rax = true;
                pc = pc.wrapping_add(u64::from(i.len) + u64::from(r.len));
                n += 2;
                continue;
            }
        }
        if i.rd != 0 {
            alu::to_rax(a, i, pc, d, in_rax);
            in_rax = true;
        }
        pc = pc.wrapping_add(u64::from(i.len));
        n += 1;
    }
    let op = compare_keeping_rax(a, br, known);
    match loc(d) {
        R::Host(r) => move_if_not_taken(a, op, r),
        R::Mem(m) => {
            enc::rm(a, W::Q, op::MOV_LOAD, RCX, hart(m));
            move_if_not_taken(a, op, RCX);
            enc::rm(a, W::Q, op::MOV_STORE, RCX, hart(m));
        }
        R::Zero => {}
    }
    // `mov`, `lea` and `cmov` keep the flags.
    enc::rm(a, W::Q, op::LEA, RDX, enc::Mem::at(RBP, h.body as i32));
    move_if_taken_to_rbp(a, op);
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu_riscv::decode::decode;

    /// `beqz rs1, off` (B-type, Unprivileged spec 2.3).
    fn beqz(rs1: u32, off: i32) -> u32 {
        let i = off as u32;
        (i >> 12 & 1) << 31 | (i >> 5 & 0x3f) << 25 | rs1 << 15 | (i >> 1 & 0xf) << 8 | (i >> 11 & 1) << 7 | 0x63
    }

    fn block(words: &[u32]) -> Vec<Insn> {
        words.iter().map(|&w| decode(w)).collect()
    }

    const ADDI_A0: u32 = 0x0015_0513; // addi a0, a0, 1
    const ADDI_T3: u32 = 0x001e_0e13; // addi t3, t3, 1

    #[test]
    fn finds_branches_over_a_few_operations_in_the_block() {
        // beqz a3, +12; two operations; the target, then more.
        let b = block(&[beqz(13, 12), ADDI_A0, ADDI_A0, ADDI_T3]);
        let h = find(&b, 0).expect("a hammock");
        assert_eq!((h.body, h.dest), (2, 10));
        // The target must be an instruction of the block (else a side exit).
        assert_eq!(find(&block(&[beqz(13, 12), ADDI_A0, ADDI_T3]), 0), None);
        // Not backward, not onto itself, not into the middle of an instruction.
        assert_eq!(find(&block(&[beqz(13, -4), ADDI_A0, ADDI_A0]), 0), None);
        assert_eq!(find(&block(&[beqz(13, 0), ADDI_A0]), 0), None);
        assert_eq!(find(&block(&[beqz(13, 6), ADDI_A0, ADDI_A0]), 0), None);
        // Not over a load (it may fault), a division or a shift by a register.
        let ld = 0x0005_3583; // ld a1, 0(a0)
        assert_eq!(find(&block(&[beqz(13, 8), ld, ADDI_A0]), 0), None);
        let div = 0x02b5_4533; // div a0, a0, a1
        assert_eq!(find(&block(&[beqz(13, 8), div, ADDI_A0]), 0), None);
        let sll = 0x00b5_1533; // sll a0, a0, a1
        assert_eq!(find(&block(&[beqz(13, 8), sll, ADDI_A0]), 0), None);
        // Not over more than MAX_BODY operations or two registers.
        let mut long = vec![beqz(13, 4 * (MAX_BODY as i32 + 2))];
        long.extend([ADDI_A0; MAX_BODY + 2]);
        assert_eq!(find(&block(&long), 0), None);
        assert_eq!(find(&block(&[beqz(13, 12), ADDI_A0, ADDI_T3, ADDI_A0]), 0), None);
        // A body writing only x0 has nothing to move.
        let nop = 0x0000_0013;
        let h = find(&block(&[beqz(13, 8), nop, ADDI_A0]), 0).expect("a hammock");
        assert_eq!(h.dest, 0);
    }
}
