//! W operations done as their 64-bit forms where the block knows their
//! sources are small and non-negative, so that the 32-bit result, sign
//! extended (Unprivileged spec 4.2), is the 64-bit one: no `movsxd` after
//! it. A bitwise CRC's `crc = (crc >> 1) ^ (poly & -(crc & 1))` is
//! `andi; negw; and; xor`, and the extension of the `negw` is on the
//! loop's critical path (one cycle of five). Bounds come from the
//! operations that make them (`andi` with a non-negative mask, `lbu`,
//! `lhu`, the compares, right shifts) and follow additions of bounded
//! values; anything else writing a register forgets its bound.

use cpu_riscv::{Insn, Op};

use super::select;

/// Largest bound kept: a sum of two stays below 2^31 only from here.
const LIMIT: u64 = (1 << 31) - 1;

/// The bound `i` gives its rd (its value is in `0..=bound`), from the
/// sources' bounds `b`.
fn bound(i: &Insn, b: &[Option<u64>; 32]) -> Option<u64> {
    let src = |g: u8| b[usize::from(g & 31)];
    let imm = i64::from(i.imm);
    let sum = |x: u64, y: u64| Some(x + y).filter(|&s| s <= LIMIT);
    match i.op {
        Op::Andi if imm >= 0 => Some(src(i.rs1).map_or(imm as u64, |x| x.min(imm as u64))),
        Op::And => match (src(i.rs1), src(i.rs2)) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        },
        // Below the next power of two.
        Op::Or | Op::Xor => Some(u64::MAX.checked_shr((src(i.rs1)? | src(i.rs2)?).leading_zeros()).unwrap_or(0)),
        // (A constant, as `consts::fold` makes them.)
        Op::Lui if imm >= 0 => Some(imm as u64),
        Op::Lbu => Some(0xff),
        Op::Lhu => Some(0xffff),
        Op::Slt | Op::Sltu | Op::Slti | Op::Sltiu => Some(1),
        Op::Srliw if i.imm & 31 != 0 => Some(u64::from(u32::MAX >> (i.imm & 31))),
        Op::Srli => {
            let sh = i.imm & 63;
            src(i.rs1).map(|x| x >> sh).or((sh >= 33).then(|| u64::MAX >> sh))
        }
        Op::Add | Op::Addw => sum(src(i.rs1)?, src(i.rs2)?),
        Op::Addi | Op::Addiw if imm >= 0 => sum(src(i.rs1)?, imm as u64),
        Op::Slli | Op::Slliw => {
            let (x, sh) = (src(i.rs1)?, i.imm & 63);
            (sh < 31 && x <= LIMIT >> sh).then(|| x << sh)
        }
        _ => None,
    }
}

/// `i` as its 64-bit form, if its sources' bounds `b` make the two equal:
/// every value they may take, and the result, fit in 32 signed bits.
fn widened(i: &Insn, b: &[Option<u64>; 32]) -> Option<Insn> {
    let small = |g: u8| b[usize::from(g & 31)].is_some_and(|x| x <= LIMIT);
    let op = match i.op {
        // Both in 0..2^31: the difference is in (-2^31, 2^31).
        Op::Subw if small(i.rs1) && small(i.rs2) => Op::Sub,
        // The bound of the sum is below 2^31 (`bound`).
        Op::Addw if bound(i, b).is_some() => Op::Add,
        Op::Addiw if bound(i, b).is_some() => Op::Addi,
        // Non-negative plus a negative immediate: above -2^31.
        Op::Addiw if i.imm < 0 && small(i.rs1) => Op::Addi,
        Op::Slliw if bound(i, b).is_some() => Op::Slli,
        _ => return None,
    };
    // (A W shift's amount is 5 bits: so is the 64-bit one's here.)
    Some(Insn { op, imm: if op == Op::Slli { i.imm & 31 } else { i.imm }, ..*i })
}

/// `insns` with W operations widened where `widened` allows (`None`: none
/// is). In a select's body an operation runs or not, so after the body
/// the registers it writes are unknown.
pub(crate) fn narrow(insns: &[Insn]) -> Option<Vec<Insn>> {
    let mut b: [Option<u64>; 32] = [None; 32];
    b[0] = Some(0);
    let mut out: Option<Vec<Insn>> = None;
    let mut body = 0;
    let mut written_in_body = 0u32;
    for (k, i) in insns.iter().enumerate() {
        if let Some(w) = widened(i, &b) {
            out.get_or_insert_with(|| insns.to_vec())[k] = w;
        }
        // Every field counts as written (FP ones too: safe), whatever
        // the format; only the operations of `bound` set one.
        if i.rd != 0 {
            b[usize::from(i.rd & 31)] = bound(i, &b);
            if body > 0 {
                written_in_body |= 1 << (i.rd & 31);
            }
        }
        if body > 0 {
            body -= 1;
            if body == 0 {
                for (g, x) in b.iter_mut().enumerate().skip(1) {
                    if written_in_body & 1 << g != 0 {
                        *x = None;
                    }
                }
                written_in_body = 0;
            }
        } else if k + 1 < insns.len() && super::jump::is_branch(i.op) {
            body = select::find(insns, k).map_or(0, |h| h.body);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu_riscv::decode::decode;

    fn ops(words: &[u32]) -> Vec<Op> {
        let insns: Vec<Insn> = words.iter().map(|&w| decode(w)).collect();
        narrow(&insns).unwrap_or(insns).iter().map(|i| i.op).collect()
    }

    const ANDI_A4_A5_1: u32 = 0x0017_f713; // andi a4,a5,1
    const NEGW_A4: u32 = 0x40e0_073b; // negw a4,a4
    const NEGW_A3_A5: u32 = 0x40f0_06bb; // negw a3,a5
    const ADDW_A4_A4_A4: u32 = 0x00e7_073b; // addw a4,a4,a4
    const ADDIW_A4_M1: u32 = 0xfff7_071b; // addiw a4,a4,-1
    const LBU_A5: u32 = 0x0005_4783; // lbu a5,0(a0)
    const LW_A4: u32 = 0x0005_2703; // lw a4,0(a0)

    #[test]
    fn w_operations_on_small_values_are_done_in_64_bits() {
        // The CRC step: negw of a bit.
        assert_eq!(ops(&[ANDI_A4_A5_1, NEGW_A4]), [Op::Andi, Op::Sub]);
        // a5 unknown: stays.
        assert_eq!(ops(&[ANDI_A4_A5_1, NEGW_A3_A5]), [Op::Andi, Op::Subw]);
        // Bounds add up (1 + 1), and a negative immediate keeps it above -2^31.
        assert_eq!(ops(&[ANDI_A4_A5_1, ADDW_A4_A4_A4, ADDIW_A4_M1]), [Op::Andi, Op::Add, Op::Addi]);
        // ... but the result of that is not known non-negative: a second
        // addiw with -1 stays.
        assert_eq!(ops(&[ANDI_A4_A5_1, ADDIW_A4_M1, ADDIW_A4_M1]), [Op::Andi, Op::Addi, Op::Addiw]);
        // A byte loaded: negw of a5 widened; a word loaded forgets a4.
        assert_eq!(ops(&[LBU_A5, NEGW_A3_A5]), [Op::Lbu, Op::Sub]);
        assert_eq!(ops(&[ANDI_A4_A5_1, LW_A4, NEGW_A4]), [Op::Andi, Op::Lw, Op::Subw]);
        // Sums that may reach 2^31 stay: 0x7fff_ffff from srliw 1, doubled.
        let srliw_a4_a5_1 = 0x0017_d71b; // srliw a4,a5,1
        assert_eq!(ops(&[srliw_a4_a5_1, ADDW_A4_A4_A4]), [Op::Srliw, Op::Addw]);
        assert_eq!(ops(&[srliw_a4_a5_1, NEGW_A4]), [Op::Srliw, Op::Sub]);
    }

    #[test]
    fn a_select_body_forgets_what_it_writes() {
        // beqz a0,+8; andi a4,a5,1 (skipped or not); negw a4,a4.
        let beqz_a0_8 = 0x0005_0463;
        assert_eq!(
            select::find(&[decode(beqz_a0_8), decode(ANDI_A4_A5_1), decode(NEGW_A4)], 0).map(|h| h.body),
            Some(1)
        );
        assert_eq!(ops(&[beqz_a0_8, ANDI_A4_A5_1, NEGW_A4]), [Op::Beq, Op::Andi, Op::Subw]);
        // Known before the select and not written in it: still known.
        let addi_a3 = 0x0016_8693; // addi a3,a3,1
        assert_eq!(ops(&[ANDI_A4_A5_1, beqz_a0_8, addi_a3, NEGW_A4]).last(), Some(&Op::Sub));
    }
}
