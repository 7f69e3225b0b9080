//! Shift pairs: RV64 has no zero- or sign-extension of a register's low
//! bits, so compilers write `slli t, rs, a` then `srli d, t, b` (or
//! `srai`): `zext.w`, `zext.h`, `sext.h`, and an index scaled by a power of
//! two (`(u32)i << 1` is `slli 32; srli 31`). Done as two x86 shifts, both
//! take ports 0 and 6, which branches need too (generated code is bound by
//! them: one never-taken branch per guest instruction makes CoreMark 57%
//! slower, a `cmp` alone 17%). Here the right shift is computed from `rs`
//! itself with a zero- or sign-extending move and at most one shift (often
//! an `add` or `lea` instead), and the left shift is not done at all when
//! its result is dead (overwritten before anything reads it or can see it).

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynasmApi};

use super::enc::{self, op, W};
use super::regs::{hart, loc, set, R, RAX};
use super::{select, Asm};

/// What a block does with instruction k (`plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pair {
    /// As usual.
    None,
    /// Nothing: a left shift whose result a later `Fused` takes from its
    /// source, and which is dead after that.
    Dead,
    /// A right shift `rd = (x[rs] << shl) >> shr` (arithmetic for `Srai`),
    /// computed from `rs`, unchanged since the left shift.
    Fused { rs: u8, shl: u8, right: Op, shr: u8 },
}

/// How far apart (in instructions) a pair may be, and how far past it the
/// left shift's result is looked for being overwritten.
const REACH: usize = 3;

/// The pairs of `insns` (`Pair` per instruction).
pub(crate) fn plan(insns: &[Insn]) -> Vec<Pair> {
    let mut out = vec![Pair::None; insns.len()];
    let plain = select::plain_ops(insns);
    // Whether `i` may read or write `r` (every field counted: safe).
    let touches = |i: &Insn, r: u8| i.rd == r || i.rs1 == r || i.rs2 == r;
    for (k, s) in insns.iter().enumerate() {
        if s.op != Op::Slli || s.rd == 0 || s.rs1 == 0 || !plain[k] {
            continue;
        }
        let (t, rs, shl) = (s.rd, s.rs1, (s.imm & 63) as u8);
        let Some(j) = (k + 1..insns.len().min(k + 1 + REACH)).find(|&j| touches(&insns[j], t)) else {
            continue;
        };
        let r = &insns[j];
        let between_ok = (k + 1..j).all(|i| plain[i] && !touches(&insns[i], rs));
        if !matches!(r.op, Op::Srli | Op::Srai) || r.rs1 != t || !plain[j] || !between_ok {
            continue;
        }
        let shr = (r.imm & 63) as u8;
        if !supported(shl, r.op, shr) {
            continue;
        }
        // The left shift's result is dead if the right shift overwrites it,
        // or a plain write that does not read it comes before any reader.
        let dead = r.rd == t
            || (j + 1..insns.len().min(j + 1 + REACH))
                .take_while(|&i| plain[i])
                .find(|&i| touches(&insns[i], t))
                .is_some_and(|i| insns[i].rd == t && insns[i].rs1 != t && insns[i].rs2 != t);
        // `rs` overwritten by the left shift itself: only if that is not done.
        if t == rs && !dead {
            continue;
        }
        if dead {
            out[k] = Pair::Dead;
        }
        out[j] = Pair::Fused { rs, shl, right: r.op, shr };
    }
    out
}

/// Whether `emit` does `(x << shl) >> shr` with `right`.
pub(crate) fn supported(shl: u8, right: Op, shr: u8) -> bool {
    let keep = 64 - u32::from(shl);
    match right {
        Op::Srli => keep == 8 || keep == 16 || keep <= 32,
        Op::Srai => shl == shr && (keep == 8 || keep == 16 || keep == 32),
        _ => false,
    }
}

/// `x[rd] = (x[rs] << shl) >> shr`, shifted right as `right` does (a
/// `Pair::Fused` that `plan` found `supported`).
pub(crate) fn emit(a: &mut Asm, rd: u8, rs: u8, shl: u8, right: Op, shr: u8) {
    let h = match loc(rd) {
        R::Zero => return,
        R::Host(h) => h,
        R::Mem(_) => RAX,
    };
    extend(a, h, loc(rs), shl, right, shr);
    if h == RAX {
        set(a, rd, RAX);
    }
}

/// Host register `h` = `(x << shl) >> shr` (shifted right as `right`
/// does) for the `x` at `from` (`supported` shapes only).
pub(crate) fn extend(a: &mut Asm, h: u8, from: R, shl: u8, right: Op, shr: u8) {
    let keep = 64 - shl;
    // h = the low `keep` bits of x, zero- or sign-extended.
    match (right, keep, from) {
        (_, _, R::Zero) => dynasm!(a; .arch x64; xor Rd(h), Rd(h)),
        (Op::Srai, 32, R::Host(s)) => dynasm!(a; .arch x64; movsxd Rq(h), Rd(s)),
        (Op::Srai, 32, R::Mem(m)) => enc::rm(a, W::Q, op::MOVSXD, h, hart(m)),
        (Op::Srai, 16, R::Host(s)) => dynasm!(a; .arch x64; movsx Rq(h), Rw(s)),
        (Op::Srai, 16, R::Mem(m)) => enc::rm(a, W::Q, op::MOVSX16, h, hart(m)),
        (Op::Srai, _, R::Host(s)) => dynasm!(a; .arch x64; movsx Rq(h), Rb(s)),
        (Op::Srai, _, R::Mem(m)) => enc::rm(a, W::Q, op::MOVSX8, h, hart(m)),
        (_, 16, R::Host(s)) => dynasm!(a; .arch x64; movzx Rd(h), Rw(s)),
        (_, 16, R::Mem(m)) => enc::rm(a, W::D, op::MOVZX16, h, hart(m)),
        (_, 8, R::Host(s)) => dynasm!(a; .arch x64; movzx Rd(h), Rb(s)),
        (_, 8, R::Mem(m)) => enc::rm(a, W::D, op::MOVZX8, h, hart(m)),
        (_, _, R::Host(s)) => dynasm!(a; .arch x64; mov Rd(h), Rd(s)),
        (_, _, R::Mem(m)) => enc::rm(a, W::D, op::MOV_LOAD, h, hart(m)),
    }
    if right == Op::Srli && !matches!(keep, 8 | 16 | 32) && !matches!(from, R::Zero) {
        dynasm!(a; .arch x64; and Rd(h), ((1u32 << keep) - 1) as i32);
    }
    if right == Op::Srli {
        match i32::from(shl) - i32::from(shr) {
            0 => {}
            1 => dynasm!(a; .arch x64; add Rq(h), Rq(h)),
            2 => dynasm!(a; .arch x64; lea Rq(h), [Rq(h) * 4]),
            3 => dynasm!(a; .arch x64; lea Rq(h), [Rq(h) * 8]),
            n if n > 0 => dynasm!(a; .arch x64; shl Rq(h), n as i8),
            n => dynasm!(a; .arch x64; shr Rq(h), (-n) as i8),
        }
    }
}
