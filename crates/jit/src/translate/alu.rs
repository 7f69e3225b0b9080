//! Integer register-register and register-immediate operations (RV64I and
//! M), generated inline. Semantics as `cpu-riscv/src/exec/rvi.rs` and
//! `rvm.rs`; the differential tests hold the two together.

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

use super::regs::{get, get32, op_eax, op_rax, set, set_imm, RAX, RCX, RDX};
use super::Asm;

/// Emit `i` (at virtual `pc`) inline if it is one of the simple integer
/// operations; false if it needs its interpreter handler.
pub(crate) fn emit(a: &mut Asm, i: &Insn, pc: u64) -> bool {
    let (s1, s2, rd) = (i.rs1, i.rs2, i.rd);
    let imm = i.imm;
    let sh = (imm & 63) as i8;
    let shw = (imm & 31) as i8;
    if rd == 0 && writes_rd_only(i.op) {
        return true; // no effect: writes to x0 are discarded (2.4)
    }
    match i.op {
        Op::Fence => {}
        Op::Add => rr(a, i, |a| op_rax!(a, add, s2)),
        Op::Sub => rr(a, i, |a| op_rax!(a, sub, s2)),
        Op::And => rr(a, i, |a| op_rax!(a, and, s2)),
        Op::Or => rr(a, i, |a| op_rax!(a, or, s2)),
        Op::Xor => rr(a, i, |a| op_rax!(a, xor, s2)),
        Op::Mul => rr(a, i, |a| op_rax!(a, imul, s2)),
        // x86 masks 64-bit shift counts to 6 bits and 32-bit ones to 5, as
        // RISC-V does (2.4, 5.2).
        Op::Sll => shift(a, i, |a| dynasm!(a; .arch x64; shl rax, cl)),
        Op::Srl => shift(a, i, |a| dynasm!(a; .arch x64; shr rax, cl)),
        Op::Sra => shift(a, i, |a| dynasm!(a; .arch x64; sar rax, cl)),
        Op::Slt => rr(a, i, |a| {
            op_rax!(a, cmp, s2);
            dynasm!(a; .arch x64; setl al; movzx eax, al);
        }),
        Op::Sltu => rr(a, i, |a| {
            op_rax!(a, cmp, s2);
            dynasm!(a; .arch x64; setb al; movzx eax, al);
        }),
        Op::Addw => rrw(a, i, |a| op_eax!(a, add, s2)),
        Op::Subw => rrw(a, i, |a| op_eax!(a, sub, s2)),
        Op::Mulw => rrw(a, i, |a| op_eax!(a, imul, s2)),
        Op::Sllw => shiftw(a, i, |a| dynasm!(a; .arch x64; shl eax, cl)),
        Op::Srlw => shiftw(a, i, |a| dynasm!(a; .arch x64; shr eax, cl)),
        Op::Sraw => shiftw(a, i, |a| dynasm!(a; .arch x64; sar eax, cl)),
        Op::Mulh => {
            get(a, RAX, s1);
            get(a, RCX, s2);
            dynasm!(a; .arch x64; imul rcx);
            set(a, rd, RDX);
        }
        Op::Mulhu => {
            get(a, RAX, s1);
            get(a, RCX, s2);
            dynasm!(a; .arch x64; mul rcx);
            set(a, rd, RDX);
        }
        // Signed x unsigned: the unsigned high part, less rs2 when rs1 is negative.
        Op::Mulhsu => {
            get(a, RAX, s1);
            get(a, RCX, s2);
            dynasm!(a; .arch x64; mul rcx);
            get(a, RAX, s1);
            dynasm!(a; .arch x64; sar rax, 63; and rax, rcx; sub rdx, rax);
            set(a, rd, RDX);
        }
        Op::Div | Op::Divu | Op::Rem | Op::Remu | Op::Divw | Op::Divuw | Op::Remw | Op::Remuw => divide(a, i),
        // Immediates are sign-extended from 32 bits by x86, as `imm` is by RISC-V.
        Op::Addi => rr(a, i, |a| dynasm!(a; .arch x64; add rax, imm)),
        Op::Xori => rr(a, i, |a| dynasm!(a; .arch x64; xor rax, imm)),
        Op::Ori => rr(a, i, |a| dynasm!(a; .arch x64; or rax, imm)),
        Op::Andi => rr(a, i, |a| dynasm!(a; .arch x64; and rax, imm)),
        Op::Slti => rr(a, i, |a| dynasm!(a; .arch x64; cmp rax, imm; setl al; movzx eax, al)),
        Op::Sltiu => rr(a, i, |a| dynasm!(a; .arch x64; cmp rax, imm; setb al; movzx eax, al)),
        Op::Slli => rr(a, i, |a| dynasm!(a; .arch x64; shl rax, sh)),
        Op::Srli => rr(a, i, |a| dynasm!(a; .arch x64; shr rax, sh)),
        Op::Srai => rr(a, i, |a| dynasm!(a; .arch x64; sar rax, sh)),
        Op::Addiw => rrw(a, i, |a| dynasm!(a; .arch x64; add eax, imm)),
        Op::Slliw => rrw(a, i, |a| dynasm!(a; .arch x64; shl eax, shw)),
        Op::Srliw => rrw(a, i, |a| dynasm!(a; .arch x64; shr eax, shw)),
        Op::Sraiw => rrw(a, i, |a| dynasm!(a; .arch x64; sar eax, shw)),
        Op::Lui => set_imm(a, rd, imm as i64 as u64),
        Op::Auipc => set_imm(a, rd, pc.wrapping_add(imm as i64 as u64)),
        _ => return false,
    }
    true
}

/// Operations whose only effect is writing rd.
fn writes_rd_only(op: Op) -> bool {
    matches!(
        op,
        Op::Add
            | Op::Sub
            | Op::And
            | Op::Or
            | Op::Xor
            | Op::Sll
            | Op::Srl
            | Op::Sra
            | Op::Slt
            | Op::Sltu
            | Op::Addw
            | Op::Subw
            | Op::Sllw
            | Op::Srlw
            | Op::Sraw
            | Op::Mul
            | Op::Mulh
            | Op::Mulhu
            | Op::Mulhsu
            | Op::Mulw
            | Op::Div
            | Op::Divu
            | Op::Rem
            | Op::Remu
            | Op::Divw
            | Op::Divuw
            | Op::Remw
            | Op::Remuw
            | Op::Addi
            | Op::Slti
            | Op::Sltiu
            | Op::Xori
            | Op::Ori
            | Op::Andi
            | Op::Slli
            | Op::Srli
            | Op::Srai
            | Op::Addiw
            | Op::Slliw
            | Op::Srliw
            | Op::Sraiw
            | Op::Lui
            | Op::Auipc
    )
}

/// rd = rs1 OP rs2 (or OP imm) with the operation on `rax` (holding rs1).
fn rr(a: &mut Asm, i: &Insn, op: impl FnOnce(&mut Asm)) {
    get(a, RAX, i.rs1);
    op(a);
    set(a, i.rd, RAX);
}

/// The W form: 32-bit operation on `eax`, result sign-extended.
fn rrw(a: &mut Asm, i: &Insn, op: impl FnOnce(&mut Asm)) {
    get32(a, RAX, i.rs1);
    op(a);
    dynasm!(a; .arch x64; movsxd rax, eax);
    set(a, i.rd, RAX);
}

/// Shift by rs2 (in `cl`).
fn shift(a: &mut Asm, i: &Insn, op: impl FnOnce(&mut Asm)) {
    get(a, RCX, i.rs2);
    rr(a, i, op)
}

fn shiftw(a: &mut Asm, i: &Insn, op: impl FnOnce(&mut Asm)) {
    get(a, RCX, i.rs2);
    rrw(a, i, op)
}

/// Division and remainder (Unprivileged spec 13.2): by zero, the quotient
/// is all ones and the remainder the dividend; signed overflow (MIN / -1)
/// gives MIN and 0. x86 faults on both, so they are branched around; a
/// signed divisor of -1 is done as a negation, which also covers MIN / -1.
/// W forms operate on the low 32 bits and sign-extend the 32-bit result.
fn divide(a: &mut Asm, i: &Insn) {
    let (by_zero, by_minus_one, done) = (a.new_dynamic_label(), a.new_dynamic_label(), a.new_dynamic_label());
    let rem = matches!(i.op, Op::Rem | Op::Remu | Op::Remw | Op::Remuw);
    let signed = matches!(i.op, Op::Div | Op::Rem | Op::Divw | Op::Remw);
    let word = matches!(i.op, Op::Divw | Op::Divuw | Op::Remw | Op::Remuw);
    if word {
        get32(a, RAX, i.rs1);
        get32(a, RCX, i.rs2);
        dynasm!(a; .arch x64; test ecx, ecx; jz =>by_zero);
        if signed {
            dynasm!(a; .arch x64; cmp ecx, -1; je =>by_minus_one; cdq; idiv ecx);
        } else {
            dynasm!(a; .arch x64; xor edx, edx; div ecx);
        }
        if rem {
            dynasm!(a; .arch x64; mov eax, edx);
        }
        dynasm!(a; .arch x64; jmp =>done; =>by_minus_one);
        if rem {
            dynasm!(a; .arch x64; xor eax, eax);
        } else {
            dynasm!(a; .arch x64; neg eax);
        }
        dynasm!(a; .arch x64; jmp =>done; =>by_zero);
        if !rem {
            dynasm!(a; .arch x64; mov eax, -1);
        }
        dynasm!(a; .arch x64; =>done; movsxd rax, eax);
    } else {
        get(a, RAX, i.rs1);
        get(a, RCX, i.rs2);
        dynasm!(a; .arch x64; test rcx, rcx; jz =>by_zero);
        if signed {
            dynasm!(a; .arch x64; cmp rcx, -1; je =>by_minus_one; cqo; idiv rcx);
        } else {
            dynasm!(a; .arch x64; xor edx, edx; div rcx);
        }
        if rem {
            dynasm!(a; .arch x64; mov rax, rdx);
        }
        dynasm!(a; .arch x64; jmp =>done; =>by_minus_one);
        if rem {
            dynasm!(a; .arch x64; xor eax, eax);
        } else {
            dynasm!(a; .arch x64; neg rax);
        }
        dynasm!(a; .arch x64; jmp =>done; =>by_zero);
        if !rem {
            dynasm!(a; .arch x64; mov rax, -1);
        }
        dynasm!(a; .arch x64; =>done);
    }
    set(a, i.rd, RAX);
}
