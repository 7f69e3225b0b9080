//! Registers whose values a block knows as it is translated: set by `lui`,
//! `auipc`, or `addi`/`addiw` of x0 or of a register already known, and
//! not written since. A branch comparing with one compares with an
//! immediate: no register read and, for a register kept in the `Hart`, no
//! reload of the value just stored there (a store-forwarding delay before
//! the branch can resolve: state machines compare a loaded value with one
//! `li` after another, and mispredict often).

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
    let mut known = [None; 32];
    known[0] = Some(0);
    let mut out = Vec::with_capacity(insns.len());
    // Instructions still to pass in a select's body, which runs or not.
    let mut body = 0;
    let mut pc = vpc;
    for (k, i) in insns.iter().enumerate() {
        out.push(Known { rs1: known[usize::from(i.rs1 & 31)], rs2: known[usize::from(i.rs2 & 31)] });
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
