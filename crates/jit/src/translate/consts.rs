//! Registers whose values a block knows as it is translated: set by `lui`,
//! `auipc`, or `addi`/`addiw` of x0 or of a register already known, and
//! not written since. A branch comparing with one compares with an
//! immediate: no register read and, for a register kept in the `Hart`, no
//! reload of the value just stored there (a store-forwarding delay before
//! the branch can resolve: state machines compare a loaded value with one
//! `li` after another, and mispredict often). A register operation with
//! one becomes its immediate form (`with_immediate`, `fold`).

use cpu_riscv::{Format, Insn, Op};

use super::select;

/// The known values of an instruction's `rs1` and `rs2` as it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Known {
    pub rs1: Option<i64>,
    pub rs2: Option<i64>,
}

/// How an instruction's integer destination is written.
enum Writes {
    /// Not at all (stores, branches, FP results).
    Nothing,
    /// `rd`, by this format.
    Rd,
    /// Not known: forget everything.
    Unknown,
}

fn writes(i: &Insn) -> Writes {
    use Format as F;
    match i.info().map(|o| o.format) {
        Some(F::R | F::Amo | F::I | F::Shift | F::Load | F::Jalr | F::Csr | F::Lr | F::U | F::J | F::CsrI) => {
            Writes::Rd
        }
        Some(F::FCmp | F::FtoXrm | F::FtoX) => Writes::Rd,
        Some(F::Store | F::B | F::Sfence | F::Fence | F::FLoad | F::FStore | F::XtoFrm | F::XtoF) => Writes::Nothing,
        Some(F::R4 | F::FRrm | F::FR | F::FR1rm) => Writes::Nothing,
        _ => Writes::Unknown,
    }
}

/// The value `i` gives its `rd`, when its sources are known.
fn value(i: &Insn, pc: u64, known: &[Option<i64>; 32]) -> Option<i64> {
    let imm = i64::from(i.imm);
    match i.op {
        Op::Lui => Some(imm),
        Op::Auipc => Some(pc.wrapping_add(imm as u64) as i64),
        Op::Addi => Some(known[usize::from(i.rs1 & 31)]?.wrapping_add(imm)),
        Op::Addiw => Some(i64::from(known[usize::from(i.rs1 & 31)]?.wrapping_add(imm) as i32)),
        _ => None,
    }
}

/// Per instruction of the block at virtual `vpc`: the known values of its
/// source registers (x0 is always known, as zero).
pub(crate) fn plan(insns: &[Insn], vpc: u64) -> Vec<Known> {
    plan_of(insns, insns, vpc)
}

/// As `plan` for the block `insns`, but the values of the sources of
/// `of`'s instructions (one per instruction of `insns`).
fn plan_of(insns: &[Insn], of: &[Insn], vpc: u64) -> Vec<Known> {
    let mut known = [None; 32];
    known[0] = Some(0);
    let mut out = Vec::with_capacity(insns.len());
    // Instructions still to pass in a select's body, which runs or not.
    let mut body = 0;
    let mut pc = vpc;
    for (k, (i, o)) in insns.iter().zip(of).enumerate() {
        out.push(Known { rs1: known[usize::from(o.rs1 & 31)], rs2: known[usize::from(o.rs2 & 31)] });
        match writes(i) {
            Writes::Nothing => {}
            Writes::Rd if i.rd == 0 => {}
            Writes::Rd => {
                let v = if body > 0 { None } else { value(i, pc, &known) };
                known[usize::from(i.rd & 31)] = v;
            }
            Writes::Unknown => {
                known = [None; 32];
                known[0] = Some(0);
            }
        }
        if body > 0 {
            body -= 1;
        } else if k + 1 < insns.len() && super::jump::is_branch(i.op) {
            body = select::find(insns, k).map_or(0, |h| h.body);
        }
        pc = pc.wrapping_add(u64::from(i.len));
    }
    out
}

/// `i` as the operation with an immediate that does the same, where a
/// source's value is known (as `k` says) and fits: `add rd, rs1, t` with
/// `t` known as `addi rd, rs1, t`, `sub` as `addi` of the negation, shifts
/// by the amount's low bits (Unprivileged spec 4.2.2: only those count),
/// W operations by the low 32 bits (only those are read); a known left
/// operand of a commutative one moves right. The later passes see these as
/// if written so (`slli`/`srli` pairs, selects' bodies).
pub(crate) fn with_immediate(i: &Insn, k: Known) -> Option<Insn> {
    let fits = |v: i64| i32::try_from(v).ok();
    let (op, rs1, imm) = match (i.op, k.rs1, k.rs2) {
        (_, _, Some(c)) if i.rs2 != 0 => match i.op {
            Op::Add => (Op::Addi, i.rs1, fits(c)?),
            Op::Sub => (Op::Addi, i.rs1, fits(c.checked_neg()?)?),
            Op::And => (Op::Andi, i.rs1, fits(c)?),
            Op::Or => (Op::Ori, i.rs1, fits(c)?),
            Op::Xor => (Op::Xori, i.rs1, fits(c)?),
            Op::Slt => (Op::Slti, i.rs1, fits(c)?),
            // The immediate is sign-extended, then compared unsigned.
            Op::Sltu => (Op::Sltiu, i.rs1, fits(c)?),
            Op::Sll => (Op::Slli, i.rs1, (c & 63) as i32),
            Op::Srl => (Op::Srli, i.rs1, (c & 63) as i32),
            Op::Sra => (Op::Srai, i.rs1, (c & 63) as i32),
            Op::Addw => (Op::Addiw, i.rs1, c as i32),
            Op::Subw => (Op::Addiw, i.rs1, (c as i32).wrapping_neg()),
            Op::Sllw => (Op::Slliw, i.rs1, (c & 31) as i32),
            Op::Srlw => (Op::Srliw, i.rs1, (c & 31) as i32),
            Op::Sraw => (Op::Sraiw, i.rs1, (c & 31) as i32),
            _ => return None,
        },
        (Op::Add | Op::And | Op::Or | Op::Xor | Op::Addw, Some(c), _) if i.rs1 != 0 && i.rs2 != 0 => {
            let imm = if i.op == Op::Addw { c as i32 } else { fits(c)? };
            let op = match i.op {
                Op::Add => Op::Addi,
                Op::And => Op::Andi,
                Op::Or => Op::Ori,
                Op::Xor => Op::Xori,
                _ => Op::Addiw,
            };
            (op, i.rs2, imm)
        }
        _ => return None,
    };
    Some(Insn { op, rs1, rs2: 0, imm, ..*i })
}

/// `i` (at virtual `pc`) as the instruction that sets its result where
/// that is known (`value`) from a known register: `la`'s `auipc; addi`,
/// `li; addi` give the `addi` one `mov` of the sum instead of an addition
/// after the first's `mov`. As `lui` of it where the value fits 32 signed
/// bits, else as `auipc` at `pc`; `None` otherwise (x0's are constants
/// already).
fn as_constant(i: &Insn, k: Known, pc: u64) -> Option<Insn> {
    if i.rs1 == 0 || !matches!(i.op, Op::Addi | Op::Addiw) {
        return None;
    }
    let v = match i.op {
        Op::Addi => k.rs1?.wrapping_add(i64::from(i.imm)),
        _ => i64::from(k.rs1?.wrapping_add(i64::from(i.imm)) as i32),
    };
    let (op, imm) = match i32::try_from(v) {
        Ok(v) => (Op::Lui, v),
        Err(_) => (Op::Auipc, i32::try_from((v as u64).wrapping_sub(pc) as i64).ok()?),
    };
    Some(Insn { op, rs1: 0, rs2: 0, imm, ..*i })
}

/// `i` at `pc` as the constant it sets (`as_constant`) or with an
/// immediate (`with_immediate`), where either can be.
fn folded(i: &Insn, k: Known, pc: u64) -> Option<Insn> {
    as_constant(i, k, pc).or_else(|| with_immediate(i, k))
}

/// The virtual pc of each of `insns`, from `vpc`.
fn pcs(insns: &[Insn], vpc: u64) -> impl Iterator<Item = u64> + '_ {
    insns.iter().scan(vpc, |pc, i| {
        let at = *pc;
        *pc = pc.wrapping_add(u64::from(i.len));
        Some(at)
    })
}

/// `insns` (the block at `vpc`) with `folded` done where it can
/// be (`None`: nowhere), and the known values of the block translated
/// (empty if none is: `Known::default()` for every instruction).
/// Done only if the values each change relied on are still known in the
/// changed block (a branch over an operation that now takes an immediate
/// may become a select, whose body then runs or not).
pub(crate) fn fold(insns: &[Insn], vpc: u64) -> (Option<Vec<Insn>>, Vec<Known>) {
    // Most blocks set no register to a constant: nothing to plan (no
    // values, as an empty plan says).
    let sets = |i: &Insn| matches!(i.op, Op::Lui | Op::Auipc) || matches!(i.op, Op::Addi | Op::Addiw) && i.rs1 == 0;
    if !insns.iter().any(sets) {
        return (None, Vec::new());
    }
    let known = plan(insns, vpc);
    let out: Vec<Insn> =
        insns.iter().zip(&known).zip(pcs(insns, vpc)).map(|((i, k), pc)| folded(i, *k, pc).unwrap_or(*i)).collect();
    if out == insns {
        return (None, known);
    }
    // Constants set (`as_constant`) change no select (`select::find` sees
    // an operation done in `rax` either way) nor any value: the plan holds.
    if insns.iter().zip(&out).all(|(i, f)| i == f || matches!(f.op, Op::Lui | Op::Auipc)) {
        return (Some(out), known);
    }
    // The values of the unchanged operations' sources, in the changed
    // block; also those of its branches (the plan's only readers once
    // folded), which folding leaves as they were.
    let after = plan_of(&out, insns, vpc);
    let same = insns
        .iter()
        .zip(&out)
        .zip(&after)
        .zip(pcs(insns, vpc))
        .all(|(((i, f), k), pc)| i == f || folded(i, *k, pc) == Some(*f));
    if same {
        (Some(out), after)
    } else {
        (None, known)
    }
}

/// The right-hand side of a branch's compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rhs {
    Reg(u8),
    Imm(i32),
}

/// Branch `op x[rs1], x[rs2]` as the same branch of `rs1` (or `rs2`) with an
/// immediate where a known operand allows it: `(op, register, rhs)`. A
/// known left operand `c` turns `c < x` into `x >= c + 1` (and so on), so
/// that the register comes first as `cmp` wants it.
pub(crate) fn compare(op: Op, rs1: u8, rs2: u8, k: Known) -> (Op, u8, Rhs) {
    let imm = |v: Option<i64>| v.and_then(|v| i32::try_from(v).ok());
    // x0 on either side: `test`, or too rare to bother.
    if rs1 == 0 || rs2 == 0 {
        return (op, rs1, Rhs::Reg(rs2));
    }
    if let Some(c) = imm(k.rs2) {
        return (op, rs1, Rhs::Imm(c));
    }
    let Some(c) = k.rs1 else { return (op, rs1, Rhs::Reg(rs2)) };
    let swapped = match op {
        Op::Beq | Op::Bne => Some((op, c)),
        // c < x  <=>  x >= c + 1 (none is above i64::MAX).
        Op::Blt => c.checked_add(1).map(|c1| (Op::Bge, c1)),
        Op::Bge => c.checked_add(1).map(|c1| (Op::Blt, c1)),
        // Unsigned: none is above u64::MAX (-1).
        Op::Bltu => (c != -1).then(|| (Op::Bgeu, c.wrapping_add(1))),
        Op::Bgeu => (c != -1).then(|| (Op::Bltu, c.wrapping_add(1))),
        _ => None,
    };
    match swapped.and_then(|(op2, c2)| Some((op2, imm(Some(c2))?))) {
        Some((op2, c2)) => (op2, rs2, Rhs::Imm(c2)),
        _ => (op, rs1, Rhs::Reg(rs2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu_riscv::decode::decode;

    fn block(words: &[u32]) -> Vec<Insn> {
        words.iter().map(|&w| decode(w)).collect()
    }

    // Encodings (RV64I).
    fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
        ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13
    }
    fn lui(rd: u32, imm20: u32) -> u32 {
        (imm20 << 12) | (rd << 7) | 0x37
    }
    fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
        (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33
    }
    fn beq(rs1: u32, rs2: u32, off: i32) -> u32 {
        let o = off as u32;
        ((o >> 12 & 1) << 31)
            | ((o >> 5 & 0x3f) << 25)
            | (rs2 << 20)
            | (rs1 << 15)
            | ((o >> 1 & 0xf) << 8)
            | ((o >> 11 & 1) << 7)
            | 0x63
    }

    #[test]
    fn values_follow_li_lui_and_addi_until_overwritten() {
        let b = block(&[
            addi(10, 0, 44),  // li a0, 44
            lui(11, 0x12345), // lui a1
            addi(11, 11, -1), // addi a1, a1, -1
            beq(10, 11, 64),  // side exit
            add(10, 10, 12),  // a0 unknown from here
            beq(10, 11, 64),
        ]);
        let p = plan(&b, 0x8000_0000);
        assert_eq!(p[3], Known { rs1: Some(44), rs2: Some(0x1234_5000 - 1) });
        assert_eq!(p[5], Known { rs1: None, rs2: Some(0x1234_5000 - 1) });
    }

    #[test]
    fn a_selects_body_makes_its_register_unknown() {
        // beq a2, a3, +8 over `li a0, 1`: a0 is 1 or what it was.
        let b = block(&[addi(10, 0, 7), beq(12, 13, 8), addi(10, 0, 1), beq(10, 0, 64), addi(5, 0, 0)]);
        assert!(select::find(&b, 1).is_some());
        let p = plan(&b, 0);
        assert_eq!(p[1].rs1, None);
        assert_eq!(p[3].rs1, None, "written in a select's body");
    }

    #[test]
    fn operations_with_a_known_source_take_an_immediate() {
        let r = |op, rs1, rs2| Insn { op, rd: 5, rs1, rs2, ..decode(add(5, rs1.into(), rs2.into())) };
        let k = |rs1, rs2| Known { rs1, rs2 };
        let imm = |i: Option<Insn>| i.map(|i| (i.op, i.rs1, i.rs2, i.imm));
        assert_eq!(imm(with_immediate(&r(Op::Add, 6, 7), k(None, Some(-5)))), Some((Op::Addi, 6, 0, -5)));
        assert_eq!(imm(with_immediate(&r(Op::Sub, 6, 7), k(None, Some(-5)))), Some((Op::Addi, 6, 0, 5)));
        // -i32::MIN does not fit: as it was.
        assert_eq!(with_immediate(&r(Op::Sub, 6, 7), k(None, Some(i64::from(i32::MIN)))), None);
        assert_eq!(imm(with_immediate(&r(Op::Sll, 6, 7), k(None, Some(65)))), Some((Op::Slli, 6, 0, 1)));
        assert_eq!(imm(with_immediate(&r(Op::Sraw, 6, 7), k(None, Some(33)))), Some((Op::Sraiw, 6, 0, 1)));
        assert_eq!(imm(with_immediate(&r(Op::Subw, 6, 7), k(None, Some(1 << 40 | 3)))), Some((Op::Addiw, 6, 0, -3)));
        // Left operand known: commutative ones only.
        assert_eq!(imm(with_immediate(&r(Op::And, 6, 7), k(Some(255), None))), Some((Op::Andi, 7, 0, 255)));
        assert_eq!(with_immediate(&r(Op::Sub, 6, 7), k(Some(255), None)), None);
        assert_eq!(with_immediate(&r(Op::Mul, 6, 7), k(None, Some(3))), None);
        assert_eq!(with_immediate(&r(Op::Add, 6, 7), k(None, Some(1 << 40))), None);
    }

    #[test]
    fn an_addition_to_a_known_register_sets_its_sum() {
        fn auipc(rd: u32, imm20: u32) -> u32 {
            (imm20 << 12) | (rd << 7) | 0x17
        }
        let ops = |b: &[Insn], vpc| fold(b, vpc).0.map(|f| f.iter().map(|i| (i.op, i.rs1, i.imm)).collect::<Vec<_>>());
        // la a4, sym (auipc; addi) in RAM at 0x8000_0000: the sum is no
        // 32-bit signed value, so an `auipc` of it at the `addi`'s pc.
        let la = block(&[auipc(14, 0x16), addi(14, 14, -1948)]);
        let sum = 0x8000_0000i64 + 0x16000 - 1948;
        assert_eq!(
            ops(&la, 0x8000_0000),
            Some(vec![(Op::Auipc, 0, 0x16000), (Op::Auipc, 0, (sum - 0x8000_0004) as i32)])
        );
        // li a0, 44; addi a0, a0, 5; addiw a1, a0, -50: `lui`s of 49 and -1.
        let li = block(&[addi(10, 0, 44), addi(10, 10, 5), (addi(11, 10, -50) & !0x7f) | 0x1b]);
        assert_eq!(ops(&li, 0), Some(vec![(Op::Addi, 0, 44), (Op::Lui, 0, 49), (Op::Lui, 0, -1)]));
        // Unknown source: as it was.
        assert_eq!(ops(&block(&[addi(10, 0, 1), addi(11, 12, 5)]), 0), None);
        // Far from the pc and no 32-bit value: as it was.
        let far = block(&[lui(10, 0x80000), addi(10, 10, -1)]);
        assert_eq!(ops(&far, 0x4000_0000_0000), None);
        // Near the pc (code high in the address space): an `auipc`.
        assert_eq!(ops(&far, 0xffff_ffff_8000_0000), Some(vec![(Op::Lui, 0, i32::MIN), (Op::Auipc, 0, -5)]));
    }

    #[test]
    fn a_known_left_operand_moves_right() {
        let k = |rs1, rs2| Known { rs1, rs2 };
        assert_eq!(compare(Op::Beq, 5, 6, k(None, Some(9))), (Op::Beq, 5, Rhs::Imm(9)));
        assert_eq!(compare(Op::Bne, 5, 6, k(Some(9), None)), (Op::Bne, 6, Rhs::Imm(9)));
        // 9 >=u x  <=>  x <u 10.
        assert_eq!(compare(Op::Bgeu, 5, 6, k(Some(9), None)), (Op::Bltu, 6, Rhs::Imm(10)));
        assert_eq!(compare(Op::Blt, 5, 6, k(Some(-3), None)), (Op::Bge, 6, Rhs::Imm(-2)));
        // No c + 1 for these: as they were.
        assert_eq!(compare(Op::Bltu, 5, 6, k(Some(-1), None)), (Op::Bltu, 5, Rhs::Reg(6)));
        assert_eq!(compare(Op::Bge, 5, 6, k(Some(i64::MAX), None)), (Op::Bge, 5, Rhs::Reg(6)));
        // Too wide for an immediate.
        assert_eq!(compare(Op::Beq, 5, 6, k(None, Some(1 << 40))), (Op::Beq, 5, Rhs::Reg(6)));
        // x0 stays the register it is (`test`).
        assert_eq!(compare(Op::Beq, 5, 0, k(None, Some(0))), (Op::Beq, 5, Rhs::Reg(0)));
    }
}
