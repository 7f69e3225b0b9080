//! Integer register-register and register-immediate operations (RV64I and
//! M), generated inline. Semantics as `cpu-riscv/src/exec/rvi.rs` and
//! `rvm.rs`; the differential tests hold the two together.
//!
//! x86 operations are two-operand (`dst OP= src`), so a result is computed
//! in place where it can be: in rd's host register (or its `Hart` slot when
//! rd is also rs1), with rs2 or the immediate taken straight from where it
//! lives; otherwise in `rax` and stored.

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

use super::consts::Rhs;
use super::enc::{self, op, Mem, W};
use super::regs::{cmp, cmp_rhs, get, get32, hart, loc, set, set_imm, R, RAX, RCX, RDX};
use super::Asm;

/// Destination of a two-operand operation.
#[derive(Clone, Copy)]
enum Dst {
    Reg(u8),
    Mem(i32),
}

/// Source of a two-operand operation.
#[derive(Clone, Copy)]
enum Src {
    Reg(u8),
    Mem(i32),
    Imm(i32),
    /// The count in `cl` (shifts by a register).
    Cl,
}

/// An x86 two-operand operation: `emit(dst, src)` does `dst OP= src`.
#[derive(Clone, Copy)]
struct TwoOp {
    emit: fn(&mut Asm, Dst, Src),
    /// 32-bit operation whose result is sign-extended (the W forms).
    word: bool,
    /// `a OP b == b OP a`.
    commutes: bool,
    /// `x OP 0 == x`.
    zero_is_identity: bool,
}

/// `dst OP= src` for a group-1 ALU operation (`enc::Alu`) with all operand
/// forms (`Mem`-`Mem` through rcx), at width `$r`/`$w` (`Rq`, `W::Q` or
/// `Rd`, `W::D`).
macro_rules! arith {
    ($op:ident, $alu:expr, $r:ident, $w:expr) => {
        |a: &mut Asm, d: Dst, s: Src| match (d, s) {
            (Dst::Reg(d), Src::Reg(s)) => dynasm!(a; .arch x64; $op $r(d), $r(s)),
            (Dst::Reg(d), Src::Mem(m)) => enc::rm(a, $w, &[$alu.load], d, hart(m)),
            (Dst::Reg(d), Src::Imm(v)) => enc::alu_imm(a, $w, $alu, enc::Rm::Reg(d), v),
            (Dst::Mem(m), Src::Reg(s)) => enc::rm(a, $w, &[$alu.store], s, hart(m)),
            (Dst::Mem(m), Src::Mem(n)) => {
                enc::rm(a, $w, op::MOV_LOAD, RCX, hart(n));
                enc::rm(a, $w, &[$alu.store], RCX, hart(m));
            }
            (Dst::Mem(m), Src::Imm(v)) => enc::alu_imm(a, $w, $alu, hart(m), v),
            (Dst::Reg(d), Src::Cl) => dynasm!(a; .arch x64; $op $r(d), $r(RCX)),
            (Dst::Mem(m), Src::Cl) => enc::rm(a, $w, &[$alu.store], RCX, hart(m)),
        }
    };
}

/// `dst OP= src` for a shift (`/digit` of group 2): by `cl` or an
/// immediate (x86 masks counts to 6 bits, or 5 for 32-bit shifts, as
/// RISC-V does: 2.4, 5.2).
macro_rules! shift {
    ($op:ident, $digit:expr, $r:ident, $w:expr) => {
        |a: &mut Asm, d: Dst, s: Src| match (d, s) {
            (Dst::Reg(d), Src::Imm(v)) => dynasm!(a; .arch x64; $op $r(d), v as i8),
            (Dst::Mem(m), Src::Imm(v)) => {
                enc::ext(a, $w, op::SHIFT_IMM, $digit, hart(m).into());
                a.push(v as u8);
            }
            (Dst::Reg(d), _) => dynasm!(a; .arch x64; $op $r(d), cl),
            (Dst::Mem(m), _) => enc::ext(a, $w, op::SHIFT_CL, $digit, hart(m).into()),
        }
    };
}

/// `dst *= src`: x86 multiplies only into a register.
macro_rules! imul {
    ($r:ident, $w:expr) => {
        |a: &mut Asm, d: Dst, s: Src| {
            let (d, mem) = match d {
                Dst::Reg(d) => (d, None),
                Dst::Mem(m) => {
                    enc::rm(a, $w, op::MOV_LOAD, RAX, hart(m));
                    (RAX, Some(m))
                }
            };
            match s {
                Src::Reg(s) => dynasm!(a; .arch x64; imul $r(d), $r(s)),
                Src::Mem(n) => enc::rm(a, $w, op::IMUL, d, hart(n)),
                Src::Imm(v) => dynasm!(a; .arch x64; imul $r(d), $r(d), v),
                Src::Cl => dynasm!(a; .arch x64; imul $r(d), $r(RCX)),
            }
            if let Some(m) = mem {
                enc::rm(a, $w, op::MOV_STORE, RAX, hart(m));
            }
        }
    };
}

const fn op(emit: fn(&mut Asm, Dst, Src), word: bool, commutes: bool, zero_is_identity: bool) -> TwoOp {
    TwoOp { emit, word, commutes, zero_is_identity }
}

const ADD: TwoOp = op(arith!(add, enc::ADD, Rq, W::Q), false, true, true);
const SUB: TwoOp = op(arith!(sub, enc::SUB, Rq, W::Q), false, false, true);
const AND: TwoOp = op(arith!(and, enc::AND, Rq, W::Q), false, true, false);
const OR: TwoOp = op(arith!(or, enc::OR, Rq, W::Q), false, true, true);
const XOR: TwoOp = op(arith!(xor, enc::XOR, Rq, W::Q), false, true, true);
const MUL: TwoOp = op(imul!(Rq, W::Q), false, true, false);
const SLL: TwoOp = op(shift!(shl, 4, Rq, W::Q), false, false, true);
const SRL: TwoOp = op(shift!(shr, 5, Rq, W::Q), false, false, true);
const SRA: TwoOp = op(shift!(sar, 7, Rq, W::Q), false, false, true);
const ADDW: TwoOp = op(arith!(add, enc::ADD, Rd, W::D), true, true, true);
const SUBW: TwoOp = op(arith!(sub, enc::SUB, Rd, W::D), true, false, true);
const MULW: TwoOp = op(imul!(Rd, W::D), true, true, false);
const SLLW: TwoOp = op(shift!(shl, 4, Rd, W::D), true, false, true);
const SRLW: TwoOp = op(shift!(shr, 5, Rd, W::D), true, false, true);
const SRAW: TwoOp = op(shift!(sar, 7, Rd, W::D), true, false, true);

/// Emit `i` (at virtual `pc`) inline if it is one of the simple integer
/// operations; false if it needs its interpreter handler. `sext`: a W
/// operation sign-extends its result (else rd's upper half is left as the
/// 32-bit operation leaves it: `sext::plan` found nobody reads it).
pub(crate) fn emit(a: &mut Asm, i: &Insn, pc: u64, sext: bool) -> bool {
    let w = |o: TwoOp| TwoOp { word: o.word && sext, ..o };
    let (s1, s2, rd) = (i.rs1, i.rs2, i.rd);
    let imm = i.imm;
    let sh = (imm & 63) as i8;
    let shw = (imm & 31) as i8;
    if rd == 0 && writes_rd_only(i.op) {
        return true; // no effect: writes to x0 are discarded (2.4)
    }
    let src2 = || src_of(s2);
    let imm_src = Src::Imm(imm);
    match i.op {
        Op::Fence => {}
        Op::Add if lea(a, rd, s1, Some(s2), 0) => {}
        Op::Addi if lea(a, rd, s1, None, imm) => {}
        Op::Add => two(a, ADD, rd, s1, src2(), Some(s2)),
        // neg / negw: x0 - rs2.
        Op::Sub | Op::Subw if s1 == 0 => negate(a, rd, s2, i.op == Op::Subw, sext),
        Op::Sub => two(a, SUB, rd, s1, src2(), Some(s2)),
        Op::And => two(a, AND, rd, s1, src2(), Some(s2)),
        Op::Or => two(a, OR, rd, s1, src2(), Some(s2)),
        Op::Xor => two(a, XOR, rd, s1, src2(), Some(s2)),
        Op::Mul => two(a, MUL, rd, s1, src2(), Some(s2)),
        Op::Sll => by_cl(a, SLL, i),
        Op::Srl => by_cl(a, SRL, i),
        Op::Sra => by_cl(a, SRA, i),
        // sgtz, snez: x0 < rs2 is rs2 > 0 (signed), rs2 != 0 (unsigned).
        Op::Slt | Op::Sltu if s1 == 0 => {
            cmp_rhs(a, s2, Rhs::Imm(0));
            set_flag(a, rd, if i.op == Op::Slt { Cond::Greater } else { Cond::NotEqual });
        }
        Op::Slt | Op::Sltu => {
            cmp(a, s1, s2);
            set_less(a, rd, i.op == Op::Sltu);
        }
        Op::Addw => two(a, w(ADDW), rd, s1, src2(), Some(s2)),
        Op::Subw => two(a, w(SUBW), rd, s1, src2(), Some(s2)),
        Op::Mulw => two(a, w(MULW), rd, s1, src2(), Some(s2)),
        Op::Sllw => by_cl(a, w(SLLW), i),
        Op::Srlw => by_cl(a, w(SRLW), i),
        Op::Sraw => by_cl(a, w(SRAW), i),
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
        // li (addi, ori, xori, addiw with x0): the constant, in one move.
        Op::Addi | Op::Ori | Op::Xori | Op::Addiw if s1 == 0 => set_imm(a, rd, imm as i64 as u64),
        Op::Andi if s1 == 0 => set_imm(a, rd, 0),
        // Immediates are sign-extended from 32 bits by x86, as `imm` is by RISC-V.
        Op::Addi => two(a, ADD, rd, s1, imm_src, None),
        Op::Xori => two(a, XOR, rd, s1, imm_src, None),
        Op::Ori => two(a, OR, rd, s1, imm_src, None),
        Op::Andi => two(a, AND, rd, s1, imm_src, None),
        Op::Slti | Op::Sltiu => {
            cmp_rhs(a, s1, Rhs::Imm(imm));
            set_less(a, rd, i.op == Op::Sltiu);
        }
        Op::Slli => two(a, SLL, rd, s1, Src::Imm(i32::from(sh)), None),
        Op::Srli => two(a, SRL, rd, s1, Src::Imm(i32::from(sh)), None),
        Op::Srai => two(a, SRA, rd, s1, Src::Imm(i32::from(sh)), None),
        Op::Addiw => two(a, w(ADDW), rd, s1, imm_src, None),
        Op::Slliw => two(a, w(SLLW), rd, s1, Src::Imm(i32::from(shw)), None),
        // Shifted right by 1 or more, the low half has bit 31 clear: the
        // 32-bit `shr`, which clears the upper half, extends it already
        // (but in place in the `Hart` it would leave the upper half).
        Op::Srliw if shw != 0 && !(rd == s1 && matches!(loc(rd), R::Mem(_))) => {
            two(a, TwoOp { word: false, ..SRLW }, rd, s1, Src::Imm(i32::from(shw)), None)
        }
        Op::Srliw => two(a, w(SRLW), rd, s1, Src::Imm(i32::from(shw)), None),
        Op::Sraiw => two(a, w(SRAW), rd, s1, Src::Imm(i32::from(shw)), None),
        Op::Lui => set_imm(a, rd, imm as i64 as u64),
        Op::Auipc => set_imm(a, rd, pc.wrapping_add(imm as i64 as u64)),
        _ => return false,
    }
    true
}

/// Whether `to_rax` does `op`.
pub(crate) fn to_rax_does(op: Op) -> bool {
    to_rax_op(op, 0, Src::Imm(0)).is_some() || matches!(op, Op::Lui | Op::Auipc)
}

/// The two-operand operation and second operand that compute `op`, for
/// `to_rax`; `None` if it is not one of them.
fn to_rax_op(op: Op, imm: i32, rs2: Src) -> Option<(TwoOp, Src)> {
    let sh = Src::Imm(imm & 63);
    let shw = Src::Imm(imm & 31);
    let imm = Src::Imm(imm);
    Some(match op {
        Op::Add => (ADD, rs2),
        Op::Sub => (SUB, rs2),
        Op::And => (AND, rs2),
        Op::Or => (OR, rs2),
        Op::Xor => (XOR, rs2),
        Op::Mul => (MUL, rs2),
        Op::Addw => (ADDW, rs2),
        Op::Subw => (SUBW, rs2),
        Op::Mulw => (MULW, rs2),
        Op::Addi => (ADD, imm),
        Op::Andi => (AND, imm),
        Op::Ori => (OR, imm),
        Op::Xori => (XOR, imm),
        Op::Addiw => (ADDW, imm),
        Op::Slli => (SLL, sh),
        Op::Srli => (SRL, sh),
        Op::Srai => (SRA, sh),
        Op::Slliw => (SLLW, shw),
        Op::Srliw => (SRLW, shw),
        Op::Sraiw => (SRAW, shw),
        _ => return None,
    })
}

/// `rax` = the result of `i` (at virtual `pc`; one `to_rax_does`), its
/// operands read where they live, except guest register `d` from `rax`
/// when `d_in_rax` (a body computing `d` in `rax`: `select`). Uses `rcx`;
/// writes no guest register.
pub(crate) fn to_rax(a: &mut Asm, i: &Insn, pc: u64, d: u8, d_in_rax: bool) {
    let src = |g: u8| if d_in_rax && g == d && g != 0 { Src::Reg(RAX) } else { src_of(g) };
    let Some((o, mut s2)) = to_rax_op(i.op, i.imm, src(i.rs2)) else {
        debug_assert!(matches!(i.op, Op::Lui | Op::Auipc), "{:?}", i.op);
        let v = if i.op == Op::Auipc { pc.wrapping_add(i.imm as i64 as u64) } else { i.imm as i64 as u64 };
        super::regs::mov_imm(a, RAX, v);
        return;
    };
    // rs1 from `rax` (in place), or where it lives (`get`).
    let s1 = src(i.rs1);
    // rs1 OP 0 (mv, sext.w: `if (x < m) m = x;` on `int`s), or 0 OP rs2
    // (c.mv is `add rd, x0, rs2`): one move.
    let copied = match (s1, s2) {
        (_, Src::Imm(0)) if o.zero_is_identity => Some((s1, i.rs1)),
        (Src::Imm(0), Src::Reg(_) | Src::Mem(_)) if o.zero_is_identity && o.commutes && i.rs1 == 0 => Some((s2, i.rs2)),
        _ => None,
    };
    if let Some((from, g)) = copied {
        match (from, o.word) {
            (Src::Reg(RAX), false) => {}
            (Src::Reg(RAX), true) => dynasm!(a; .arch x64; movsxd rax, eax),
            _ => move_to(a, RAX, g, o.word),
        }
        return;
    }
    match (s1, s2) {
        (Src::Reg(RAX), _) => {}
        (_, Src::Reg(RAX)) if o.commutes => s2 = s1,
        (_, Src::Reg(RAX)) => {
            dynasm!(a; .arch x64; mov rcx, rax);
            s2 = Src::Reg(RCX);
            get(a, RAX, i.rs1);
        }
        _ => get(a, RAX, i.rs1),
    }
    (o.emit)(a, Dst::Reg(RAX), s2);
    if o.word {
        dynasm!(a; .arch x64; movsxd rax, eax);
    }
}

/// Whether `emit` does `i` inline, touching general registers only (no
/// helper call, no xmm register).
pub(crate) fn is_inline(i: &Insn) -> bool {
    writes_rd_only(i.op)
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

/// Guest register `g` as a source operand (x0 as the immediate 0).
fn src_of(g: u8) -> Src {
    match loc(g) {
        R::Zero => Src::Imm(0),
        R::Host(h) => Src::Reg(h),
        R::Mem(d) => Src::Mem(d),
    }
}

/// rd = rs1 OP `src`, where `src` is guest register `src_g` (if one) or an
/// immediate or `cl`, computed in place where the operands allow.
fn two(a: &mut Asm, o: TwoOp, rd: u8, rs1: u8, src: Src, src_g: Option<u8>) {
    let identity = o.zero_is_identity && matches!(src, Src::Imm(0));
    // rd = x0 + rs2 (or |, ^; c.mv, and addw as a sign extension): a copy.
    if let (0, true, true, Some(g)) = (rs1, o.commutes, o.zero_is_identity, src_g) {
        copy(a, rd, g, o.word);
        return;
    }
    match loc(rd) {
        R::Zero => {}
        R::Host(h) if rs1 == rd => {
            if !identity {
                (o.emit)(a, Dst::Reg(h), src);
            }
            if o.word {
                dynasm!(a; .arch x64; movsxd Rq(h), Rd(h));
            }
        }
        // rd = rs1 OP 0 (mv, sext.w): one move.
        R::Host(h) if identity => move_to(a, h, rs1, o.word),
        // rd is not an operand, so it can take rs1 first.
        R::Host(h) if src_g != Some(rd) => {
            get(a, h, rs1);
            (o.emit)(a, Dst::Reg(h), src);
            if o.word {
                dynasm!(a; .arch x64; movsxd Rq(h), Rd(h));
            }
        }
        // rd is rs2 (not rs1): in place only if the operands commute.
        R::Host(h) if o.commutes => {
            (o.emit)(a, Dst::Reg(h), src_of(rs1));
            if o.word {
                dynasm!(a; .arch x64; movsxd Rq(h), Rd(h));
            }
        }
        R::Mem(d) if rs1 == rd && !o.word => {
            if !identity {
                (o.emit)(a, Dst::Mem(d), src);
            }
        }
        _ => {
            get(a, RAX, rs1);
            if !identity {
                (o.emit)(a, Dst::Reg(RAX), src);
            }
            if o.word {
                dynasm!(a; .arch x64; movsxd rax, eax);
            }
            set(a, rd, RAX);
        }
    }
}

/// Guest register `rd` = guest register `g`, or with `word` its low 32
/// bits sign-extended: one move, or one store into the `Hart`.
fn copy(a: &mut Asm, rd: u8, g: u8, word: bool) {
    match (loc(rd), word, loc(g)) {
        (R::Zero, _, _) => {}
        (R::Host(h), _, _) => move_to(a, h, g, word),
        (R::Mem(_), false, R::Host(s)) => set(a, rd, s),
        (R::Mem(_), _, _) => {
            move_to(a, RAX, g, word);
            set(a, rd, RAX);
        }
    }
}

/// Host register `h` = guest register `g`, or with `word` its low 32 bits
/// sign-extended.
fn move_to(a: &mut Asm, h: u8, g: u8, word: bool) {
    match (word, loc(g)) {
        (false, _) => get(a, h, g),
        (true, R::Host(s)) => dynasm!(a; .arch x64; movsxd Rq(h), Rd(s)),
        (true, R::Mem(m)) => enc::rm(a, W::Q, op::MOVSXD, h, hart(m)),
        (true, R::Zero) => dynasm!(a; .arch x64; xor Rd(h), Rd(h)),
    }
}

/// rd = -x[g] in one `neg`; with `word` of the low half, sign-extended
/// where `sext` (as `emit` takes it).
fn negate(a: &mut Asm, rd: u8, g: u8, word: bool, sext: bool) {
    let h = match loc(rd) {
        R::Zero => return,
        R::Host(h) => h,
        R::Mem(_) => RAX,
    };
    if g != rd || h == RAX {
        get(a, h, g);
    }
    if !word {
        dynasm!(a; .arch x64; neg Rq(h));
    } else if sext {
        dynasm!(a; .arch x64; neg Rd(h); movsxd Rq(h), Rd(h));
    } else {
        dynasm!(a; .arch x64; neg Rd(h));
    }
    if h == RAX {
        set(a, rd, RAX);
    }
}

/// A shift by rs2: the count goes to `cl` first (rd may be rs2).
fn by_cl(a: &mut Asm, o: TwoOp, i: &Insn) {
    get(a, RCX, i.rs2);
    two(a, o, i.rd, i.rs1, Src::Cl, None);
}

/// rd = rs1 + rs2 (or + `imm`) as one `lea`, when rd is a host register
/// other than rs1 and rs2, and the addends are host registers. False otherwise.
fn lea(a: &mut Asm, rd: u8, rs1: u8, rs2: Option<u8>, imm: i32) -> bool {
    let (R::Host(h), R::Host(b)) = (loc(rd), loc(rs1)) else { return false };
    if rd == rs1 {
        return false;
    }
    match rs2 {
        None if imm != 0 => enc::rm(a, W::Q, op::LEA, h, Mem::at(b, imm)),
        None => return false,
        Some(g) => match loc(g) {
            R::Host(x) if g != rd => enc::rm(a, W::Q, op::LEA, h, Mem { base: b, index: Some(x), disp: 0 }),
            _ => return false,
        },
    }
    true
}

/// rd = 1 if the last compare found its first operand less than the second
/// (as unsigned numbers if `unsigned`), else 0.
fn set_less(a: &mut Asm, rd: u8, unsigned: bool) {
    set_flag(a, rd, if unsigned { Cond::Below } else { Cond::Less });
}

/// A condition of the last compare (`set_flag`).
#[derive(Clone, Copy)]
enum Cond {
    Below,
    Less,
    Greater,
    NotEqual,
}

/// rd = 1 if condition `c` of the last compare holds, else 0: zero-extended
/// straight into rd's host register if it has one.
fn set_flag(a: &mut Asm, rd: u8, c: Cond) {
    match c {
        Cond::Below => dynasm!(a; .arch x64; setb al),
        Cond::Less => dynasm!(a; .arch x64; setl al),
        Cond::Greater => dynasm!(a; .arch x64; setg al),
        Cond::NotEqual => dynasm!(a; .arch x64; setne al),
    }
    match loc(rd) {
        R::Host(h) => dynasm!(a; .arch x64; movzx Rd(h), al),
        _ => {
            dynasm!(a; .arch x64; movzx eax, al);
            set(a, rd, RAX);
        }
    }
}

/// rax = rax / rcx (or the remainder, `rem`), at width `$r` (`Rd`, with
/// `cdq`, or `Rq`, with `cqo`), with RISC-V's results where x86 faults.
macro_rules! divide_as {
    ($a:expr, $r:ident, $extend:ident, $signed:expr, $rem:expr) => {{
        let (by_zero, by_minus_one, done) = ($a.new_dynamic_label(), $a.new_dynamic_label(), $a.new_dynamic_label());
        dynasm!($a; .arch x64; test $r(RCX), $r(RCX); jz =>by_zero);
        if $signed {
            dynasm!($a; .arch x64; cmp $r(RCX), -1; je =>by_minus_one; $extend; idiv $r(RCX));
        } else {
            dynasm!($a; .arch x64; xor edx, edx; div $r(RCX));
        }
        if $rem {
            dynasm!($a; .arch x64; mov $r(RAX), $r(RDX));
        }
        dynasm!($a; .arch x64; jmp =>done; =>by_minus_one);
        if $rem {
            dynasm!($a; .arch x64; xor eax, eax);
        } else {
            dynasm!($a; .arch x64; neg $r(RAX));
        }
        dynasm!($a; .arch x64; jmp =>done; =>by_zero);
        if !$rem {
            dynasm!($a; .arch x64; mov $r(RAX), -1);
        }
        dynasm!($a; .arch x64; =>done);
    }};
}

/// Division and remainder (Unprivileged spec 13.2): by zero, the quotient
/// is all ones and the remainder the dividend; signed overflow (MIN / -1)
/// gives MIN and 0. x86 faults on both, so they are branched around; a
/// signed divisor of -1 is done as a negation, which also covers MIN / -1.
/// W forms operate on the low 32 bits and sign-extend the 32-bit result.
fn divide(a: &mut Asm, i: &Insn) {
    let rem = matches!(i.op, Op::Rem | Op::Remu | Op::Remw | Op::Remuw);
    let signed = matches!(i.op, Op::Div | Op::Rem | Op::Divw | Op::Remw);
    if matches!(i.op, Op::Divw | Op::Divuw | Op::Remw | Op::Remuw) {
        get32(a, RAX, i.rs1);
        get32(a, RCX, i.rs2);
        divide_as!(a, Rd, cdq, signed, rem);
        dynasm!(a; .arch x64; movsxd rax, eax);
    } else {
        get(a, RAX, i.rs1);
        get(a, RCX, i.rs2);
        divide_as!(a, Rq, cqo, signed, rem);
    }
    set(a, i.rd, RAX);
}
