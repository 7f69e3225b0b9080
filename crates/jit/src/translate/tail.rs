//! Side exits threaded through short blocks. A taken branch inside a
//! region that leads to a few simple operations and a jump (`if (c) { i++;
//! continue; }`, a `switch` case's `state = 3; break;`, `return 0;`) does
//! those operations on its way out and goes on where the jump leads: one
//! block change (the small block's budget check and a jump) fewer each
//! time it is taken, and where the jump leads back to the region's start,
//! a loop of one block. The copied bytes become part of the region
//! (`Cpu::add_block_part`), so that writing them drops it.

use cpu_riscv::{Insn, Op};

use super::consts::Known;
use super::{alu, jump, regs, Asm, Builder};

/// Most instructions copied, the jump included.
pub(crate) const MAX_TAIL: usize = 4;

/// The code at `delta` bytes from the region's start to copy into its side
/// exits there: simple operations, then a `jal` or `jalr`.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    delta: i64,
    /// Never empty; the last a `jal` or `jalr` (`Tail::of`).
    insns: Vec<Insn>,
}

impl Tail {
    /// The tail of code `run` (decoded at `delta`): its operations up to
    /// and including the first `jal` or `jalr` (a `return x;`), if all
    /// before it are simple (`alu::is_inline`: they only write rd, and
    /// are done inline).
    pub(crate) fn of(delta: i64, run: &[Insn]) -> Option<Tail> {
        let end = run.iter().position(|i| !alu::is_inline(i))?;
        matches!(run[end].op, Op::Jal | Op::Jalr).then(|| Tail { delta, insns: run[..=end].to_vec() })
    }

    /// Its length in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        self.insns.iter().map(|i| u64::from(i.len)).sum()
    }

    pub(crate) fn delta(&self) -> i64 {
        self.delta
    }

    /// Where its `jal` leads (bytes from the region's start); `None` for
    /// a `jalr`.
    pub(crate) fn target(&self) -> Option<i64> {
        let (last, ops) = self.insns.split_last()?;
        let before: i64 = ops.iter().map(|i| i64::from(i.len)).sum();
        (last.op == Op::Jal).then(|| self.delta + before + i64::from(last.imm))
    }

    /// Its length in instructions (as the budget counts).
    pub(crate) fn len(&self) -> i32 {
        self.insns.len() as i32
    }
}

/// The targets (bytes from the start) of `insns`'s branches that may
/// become side exits: conditional branches before the last instruction.
pub(crate) fn side_exits(insns: &[Insn]) -> impl Iterator<Item = i64> + '_ {
    exits(insns).map(|(_, target)| target)
}

/// Those branches' indices and targets.
fn exits(insns: &[Insn]) -> impl Iterator<Item = (usize, i64)> + '_ {
    let n = insns.len();
    let mut off = 0i64;
    insns.iter().enumerate().filter_map(move |(k, i)| {
        let at = off;
        off += i64::from(i.len);
        (k + 1 < n && jump::is_branch(i.op)).then(|| (k, at + i64::from(i.imm)))
    })
}

/// The tail a side exit to `target` takes, `left` instructions of the
/// region after it: the first of `tails` there that fits in the budget
/// they give back.
pub(crate) fn for_exit(tails: &[Tail], target: i64, left: i32) -> Option<&Tail> {
    tails.iter().find(|t| t.delta() == target && t.len() <= left)
}

/// The tail a side exit to `target` takes (`for_exit`) if it leads back
/// to the region's start: a way round, which `translate::emit_body` lays
/// out inline and `ways_round` bounds.
pub(crate) fn going_round(tails: &[Tail], target: i64, left: i32) -> Option<&Tail> {
    for_exit(tails, target, left).filter(|t| t.target() == Some(0))
}

/// The ways round a region through its side exits' tails back to its
/// start (`going_round`).
pub(crate) struct WaysRound {
    /// The fewest instructions a round takes.
    pub shortest: i32,
    /// The instructions of those tails.
    pub moves: Vec<Insn>,
    /// The region's instructions any round may run: up to the last branch
    /// with a way round.
    pub reach: usize,
}

/// The ways round `insns` (`WaysRound`); `None` if there are none. Any
/// side exit may count (a branch done as a select is never taken): more
/// ways, only a wider bound.
pub(crate) fn ways_round(insns: &[Insn], tails: &[Tail]) -> Option<WaysRound> {
    let n = insns.len() as i32;
    let mut ways: Option<WaysRound> = None;
    for (k, target) in exits(insns) {
        let left = n - k as i32 - 1;
        if let Some(t) = going_round(tails, target, left) {
            let round = k as i32 + 1 + t.len();
            let w = ways.get_or_insert(WaysRound { shortest: round, moves: Vec::new(), reach: 0 });
            w.shortest = w.shortest.min(round);
            w.moves.extend_from_slice(&t.insns);
            w.reach = k + 1;
        }
    }
    ways
}

impl WaysRound {
    /// The instructions of the loop these ways make: the region's up to
    /// the last of them, and their tails'.
    pub(crate) fn body(&self, insns: &[Insn]) -> Vec<Insn> {
        insns[..self.reach].iter().chain(&self.moves).copied().collect()
    }
}

/// Do `t`'s operations, then its jump (as a block's last: `jump::emit`).
pub(crate) fn emit(a: &mut Asm, b: &mut Builder, t: &Tail) {
    let Some((jump, _)) = t.insns.split_last() else { return };
    let off = ops(a, b, t);
    // (After the way out's swap, if any: under the run's pinning.)
    let done = jump::emit(a, b, jump, off, Known::default(), 0, None, &Vec::new());
    debug_assert!(done, "Tail::of ends every tail with a jump");
}

/// Do `t`'s operations (not its jump); returns the jump's offset from the
/// region's start.
fn ops(a: &mut Asm, b: &Builder, t: &Tail) -> u32 {
    let mut off = t.delta;
    for i in &t.insns[..t.insns.len().saturating_sub(1)] {
        let done = alu::emit(a, i, b.vpc.wrapping_add(off as u64), true);
        debug_assert!(done, "Tail::of takes only inline operations");
        off += i64::from(i.len);
    }
    off as u32
}

/// Do `t`'s operations and its `jal`'s link, for a way round to the
/// region's start (`target` 0).
pub(crate) fn ops_and_link(a: &mut Asm, b: &Builder, t: &Tail) {
    let off = ops(a, b, t);
    if let Some(jal) = t.insns.last() {
        let link = b.vpc.wrapping_add(u64::from(off)).wrapping_add(u64::from(jal.len));
        regs::set_imm(a, jal.rd, link);
    }
}
