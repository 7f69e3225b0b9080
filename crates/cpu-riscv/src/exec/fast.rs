//! Block-threaded execution: every decoded entry holds its own handler (no
//! per-instruction match or table lookup), and a block's instructions run
//! without the per-instruction bookkeeping of the handler contract.
//!
//! While a block runs, `hart.pc` and `hart.instret` keep their values from
//! the block's start (`BlockRun`) and are brought up to date only where they
//! can be seen: before a contract handler runs (`generic`, and the slow
//! paths of loads and stores), when a trap is taken, when the block is left
//! early and at its end. Instruction `e` is at `start pc + e.off` and
//! retires as the block's `e.idx + 1`th.
//!
//! Dispatch is direct-threaded: a fast handler gets its entry and the
//! entries after it, and ends by calling the next one's handler (`next`,
//! a tail call in optimised builds, at most `MAX_BLOCK` deep otherwise), so
//! each has its own indirect jump and there is no dispatch loop. The chain
//! returns the work done (instructions retired plus one if a trap was
//! taken) once the block is left with the hart's state exact.

use super::rvi::{self, xr};
use super::rvm;
use crate::blocks::Entry;
use crate::cpu::Cpu;
use crate::ops::Op;
use crate::trap::Exception;
use std::marker::PhantomData;
use std::ptr::NonNull;

pub(crate) type Fast = for<'a> fn(&mut Cpu, At<'a>) -> u64;

/// An entry of a run of entries ended by an end marker (`Entry::end`):
/// the entry after an instruction is reached by stepping a pointer, with no
/// length to keep and no last-entry test (measured: a tenth of the
/// interpreter's host instructions on `mix` went to testing for the last entry).
#[derive(Clone, Copy)]
pub(crate) struct At<'a>(NonNull<Entry>, PhantomData<&'a [Entry]>);

impl<'a> At<'a> {
    /// The first entry of `run`. Panics unless `run` is terminated: an end
    /// marker last and nowhere else.
    #[inline(always)]
    pub(crate) fn start(run: &'a [Entry]) -> At<'a> {
        assert!(run.split_last().is_some_and(|(e, rest)| e.end && rest.iter().all(|e| !e.end)), "unterminated run");
        // SAFETY: checked just above.
        unsafe { At::start_terminated(run) }
    }

    /// `start` without the check (a cached block's run: `Block::run`).
    ///
    /// # Safety
    ///
    /// `run` ends with an end marker (`Entry::end`) and has no other.
    #[inline(always)]
    pub(crate) unsafe fn start_terminated(run: &'a [Entry]) -> At<'a> {
        debug_assert!(run.split_last().is_some_and(|(e, rest)| e.end && rest.iter().all(|e| !e.end)));
        At(NonNull::from(run).cast(), PhantomData)
    }

    #[inline(always)]
    pub(crate) fn entry(self) -> &'a Entry {
        // SAFETY: `self` points to an entry of the run given to `start`
        // (see `after`), which is borrowed shared for 'a.
        unsafe { self.0.as_ref() }
    }

    /// The entry after this one, which is an instruction: only the end
    /// marker has none, and its handler (`fall_out`) never steps.
    #[inline(always)]
    fn after(self) -> At<'a> {
        debug_assert!(!self.entry().end);
        // SAFETY: the run ends with its only end marker (`start_terminated`)
        // and this entry is not it, so another follows inside the run; the
        // pointer keeps the whole run's provenance (made from the slice).
        At(unsafe { self.0.add(1) }, PhantomData)
    }
}

/// Go on with the entry after `at`'s (an instruction's; the end marker's
/// handler leaves the block).
#[inline(always)]
pub(crate) fn next(cpu: &mut Cpu, at: At) -> u64 {
    let n = at.after();
    (n.entry().fast)(cpu, n)
}

/// Where the running block started (its latest round, see `again`).
#[derive(Clone, Copy, Default)]
pub(crate) struct BlockRun {
    pub pc: u64,
    pub instret: u64,
    /// Instructions this round and any more may retire (0 in runs that
    /// must not go round again).
    pub left: u64,
}

/// What a run's handlers return to have it start over from its first entry
/// (`Cpu::exec_run`): never a count of work, which is at most `MAX_BLOCK` + 1.
pub(crate) const AGAIN: u64 = u64::MAX;

impl Cpu {
    /// The virtual address of entry `e` of the running block.
    #[inline(always)]
    pub(crate) fn pc_of(&self, e: &Entry) -> u64 {
        self.blk.pc.wrapping_add(u64::from(e.off))
    }

    /// Bring `hart` to the state the handler contract expects on entry to `e`.
    #[inline(always)]
    fn sync_to(&mut self, e: &Entry) {
        let pc = self.pc_of(e);
        self.hart.pc = pc;
        self.hart.npc = pc.wrapping_add(u64::from(e.insn.len));
        self.hart.instret = self.blk.instret + u64::from(e.idx);
    }

    /// Leave the block after `e` retired, continuing at `target` (`npc`
    /// too, as after any instruction).
    #[inline(always)]
    pub(crate) fn leave(&mut self, e: &Entry, target: u64) -> u64 {
        let n = u64::from(e.idx) + 1;
        self.hart.pc = target;
        self.hart.npc = target;
        self.hart.instret = self.blk.instret + n;
        n
    }

    /// End the block after `e`, which did not jump.
    #[inline(never)]
    fn leave_after(&mut self, e: &Entry) -> u64 {
        let next = self.pc_of(e).wrapping_add(u64::from(e.insn.len));
        self.leave(e, next)
    }

    /// The branch `e` back to its block's first instruction was taken: go
    /// round again (`AGAIN`) if the run loop would run this block next
    /// anyway, with nothing to do in between: budget for a whole round
    /// left, no exit request, no interrupt to look at (`irq_quiet`), no
    /// code dropped (`BlockCache::stop`), no block to log; else leave for
    /// the run loop. Loops are most block
    /// changes (57% on `mix`), and each costs the run loop's bookkeeping.
    #[inline(always)]
    pub(crate) fn again(&mut self, e: &Entry) -> u64 {
        let n = u64::from(e.idx) + 1;
        let left = self.blk.left;
        if left >= 2 * n
            && self.irq_quiet
            && !self.blocks.stop
            && !self.exit_request.load(std::sync::atomic::Ordering::Relaxed)
            && self.dlog.mask & (crate::dlog::LOG_EXEC | crate::dlog::LOG_CPU) == 0
        {
            self.blk.left = left - n;
            self.blk.instret += n;
            return AGAIN;
        }
        self.leave(e, self.blk.pc)
    }

    /// Take the trap `ex` raised by `e` (which changed nothing) and leave.
    #[cold]
    #[inline(never)]
    pub(crate) fn trap_at(&mut self, e: &Entry, ex: Exception) -> u64 {
        self.sync_to(e);
        self.take_trap(ex);
        u64::from(e.idx) + 1
    }

    /// A load or store that missed the TLB's fast path: its contract
    /// handler with exact state, then on unless it dropped code or flushed
    /// the TLB (as after any instruction, the block must then end).
    #[cold]
    #[inline(never)]
    pub(crate) fn mem_slow(&mut self, at: At) -> u64 {
        let e = at.entry();
        self.sync_to(e);
        match e.handler()(self, &e.insn) {
            Ok(()) if self.blocks.stop => self.leave_after(e),
            Ok(()) => next(self, at),
            Err(ex) => self.trap_at(e, ex),
        }
    }
}

/// Any instruction without a fast form: its contract handler, with exact
/// state before and after. Leaves the block when it transferred control or
/// the block must end.
pub(crate) fn generic(cpu: &mut Cpu, at: At) -> u64 {
    let e = at.entry();
    cpu.sync_to(e);
    let fall = cpu.hart.npc;
    match e.handler()(cpu, &e.insn) {
        Ok(()) => {
            let npc = cpu.hart.npc;
            if npc != fall || cpu.blocks.stop {
                return cpu.leave(e, npc);
            }
            next(cpu, at)
        }
        Err(ex) => {
            cpu.take_trap(ex);
            u64::from(e.idx) + 1
        }
    }
}

/// The end marker's handler: the run fell through its last instruction.
/// `e` stands where an instruction after it would, `e.idx` having retired.
pub(crate) fn fall_out(cpu: &mut Cpu, at: At) -> u64 {
    let e = at.entry();
    let n = u64::from(e.idx);
    let pc = cpu.pc_of(e);
    cpu.hart.pc = pc;
    cpu.hart.npc = pc;
    cpu.hart.instret = cpu.blk.instret + n;
    n
}

/// An ALU operation writing x0 (a HINT): nothing to do.
fn nop(cpu: &mut Cpu, at: At) -> u64 {
    next(cpu, at)
}

pub(crate) fn lui(cpu: &mut Cpu, at: At) -> u64 {
    let e = at.entry();
    rvi::set(cpu, e.rd, e.insn.imm as i64 as u64);
    next(cpu, at)
}

pub(crate) fn auipc(cpu: &mut Cpu, at: At) -> u64 {
    let e = at.entry();
    rvi::set(cpu, e.rd, cpu.pc_of(e).wrapping_add(e.insn.imm as i64 as u64));
    next(cpu, at)
}

pub(crate) fn jal(cpu: &mut Cpu, at: At) -> u64 {
    let e = at.entry();
    let pc = cpu.pc_of(e);
    rvi::wxr(cpu, e.rd, pc.wrapping_add(u64::from(e.insn.len)));
    cpu.leave(e, pc.wrapping_add(e.insn.imm as i64 as u64))
}

/// The target is computed before rd is written, as rd may be rs1 (2.5).
pub(crate) fn jalr(cpu: &mut Cpu, at: At) -> u64 {
    let e = at.entry();
    let pc = cpu.pc_of(e);
    let target = xr(cpu, e.rs1).wrapping_add(e.insn.imm as i64 as u64) & !1;
    rvi::wxr(cpu, e.rd, pc.wrapping_add(u64::from(e.insn.len)));
    cpu.leave(e, target)
}

/// Operations with fast forms. Those that only compute rd from registers
/// and an immediate are marked `true`: with rd = x0 they do nothing (the
/// entry gets `nop`), so their fast forms write rd without checking for x0.
const FAST: &[(Op, Fast, bool)] = &[
    (Op::Lui, lui, true),
    (Op::Auipc, auipc, true),
    (Op::Jal, jal, false),
    (Op::Jalr, jalr, false),
    (Op::Beq, rvi::fast_br::beq, false),
    (Op::Bne, rvi::fast_br::bne, false),
    (Op::Blt, rvi::fast_br::blt, false),
    (Op::Bge, rvi::fast_br::bge, false),
    (Op::Bltu, rvi::fast_br::bltu, false),
    (Op::Bgeu, rvi::fast_br::bgeu, false),
    (Op::Lb, rvi::fast_ld::lb, false),
    (Op::Lh, rvi::fast_ld::lh, false),
    (Op::Lw, rvi::fast_ld::lw, false),
    (Op::Ld, rvi::fast_ld::ld, false),
    (Op::Lbu, rvi::fast_ld::lbu, false),
    (Op::Lhu, rvi::fast_ld::lhu, false),
    (Op::Lwu, rvi::fast_ld::lwu, false),
    (Op::Sb, rvi::fast_st::sb, false),
    (Op::Sh, rvi::fast_st::sh, false),
    (Op::Sw, rvi::fast_st::sw, false),
    (Op::Sd, rvi::fast_st::sd, false),
    (Op::Addi, rvi::fast_ri::addi, true),
    (Op::Slti, rvi::fast_ri::slti, true),
    (Op::Sltiu, rvi::fast_ri::sltiu, true),
    (Op::Xori, rvi::fast_ri::xori, true),
    (Op::Ori, rvi::fast_ri::ori, true),
    (Op::Andi, rvi::fast_ri::andi, true),
    (Op::Slli, rvi::fast_ri::slli, true),
    (Op::Srli, rvi::fast_ri::srli, true),
    (Op::Srai, rvi::fast_ri::srai, true),
    (Op::Addiw, rvi::fast_ri::addiw, true),
    (Op::Slliw, rvi::fast_ri::slliw, true),
    (Op::Srliw, rvi::fast_ri::srliw, true),
    (Op::Sraiw, rvi::fast_ri::sraiw, true),
    (Op::Add, rvi::fast_rr::add, true),
    (Op::Sub, rvi::fast_rr::sub, true),
    (Op::Sll, rvi::fast_rr::sll, true),
    (Op::Slt, rvi::fast_rr::slt, true),
    (Op::Sltu, rvi::fast_rr::sltu, true),
    (Op::Xor, rvi::fast_rr::xor, true),
    (Op::Srl, rvi::fast_rr::srl, true),
    (Op::Sra, rvi::fast_rr::sra, true),
    (Op::Or, rvi::fast_rr::or, true),
    (Op::And, rvi::fast_rr::and, true),
    (Op::Addw, rvi::fast_rr::addw, true),
    (Op::Subw, rvi::fast_rr::subw, true),
    (Op::Sllw, rvi::fast_rr::sllw, true),
    (Op::Srlw, rvi::fast_rr::srlw, true),
    (Op::Sraw, rvi::fast_rr::sraw, true),
    (Op::Mul, rvm::fast::mul, true),
    (Op::Mulh, rvm::fast::mulh, true),
    (Op::Mulhsu, rvm::fast::mulhsu, true),
    (Op::Mulhu, rvm::fast::mulhu, true),
    (Op::Div, rvm::fast::div, true),
    (Op::Divu, rvm::fast::divu, true),
    (Op::Rem, rvm::fast::rem, true),
    (Op::Remu, rvm::fast::remu, true),
    (Op::Mulw, rvm::fast::mulw, true),
    (Op::Divw, rvm::fast::divw, true),
    (Op::Divuw, rvm::fast::divuw, true),
    (Op::Remw, rvm::fast::remw, true),
    (Op::Remuw, rvm::fast::remuw, true),
];

const N_OPS: usize = Op::Illegal as usize + 1;

/// Fast handlers by `Op` (`generic` where there is none), and whether each
/// is a pure ALU operation.
const TABLE: [(Fast, bool); N_OPS] = {
    let mut t: [(Fast, bool); N_OPS] = [(generic as Fast, false); N_OPS];
    let mut k = 0;
    while k < FAST.len() {
        t[FAST[k].0 as usize] = (FAST[k].1, FAST[k].2);
        k += 1;
    }
    t
};

/// The fast handler for `op` as the last entry of a loop: a conditional
/// branch back to its block's first instruction (see `Cpu::again`).
pub(crate) fn loop_handler(op: Op) -> Option<Fast> {
    use rvi::fast_br_loop as l;
    Some(match op {
        Op::Beq => l::beq,
        Op::Bne => l::bne,
        Op::Blt => l::blt,
        Op::Bge => l::bge,
        Op::Bltu => l::bltu,
        Op::Bgeu => l::bgeu,
        _ => return None,
    })
}

/// The fast handler for `op` with destination `rd`.
pub(crate) fn fast_handler(op: Op, rd: u8) -> Fast {
    let (f, pure) = TABLE[op as usize];
    if pure && rd == 0 {
        nop
    } else {
        f
    }
}

#[cfg(test)]
mod tests;
