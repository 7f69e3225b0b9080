//! Branches and jumps, which end their block, and the ways a block leaves:
//! a direct jump to a block in the same page is a `jmp rel32` that `lib.rs`
//! patches to the target's code once it is translated (and back to the
//! exit stub when the target is dropped); any other target is looked up
//! from generated code in the jump cache and otherwise returns to Rust.

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use super::consts::{self, Known};
use super::enc::{self, op, W};
use super::regs::{cmp_rhs, get, loc, set_imm, swap_out, Swaps, R, RAX};
use super::{Asm, Builder, CACHE, NPC, PC};

/// Entries of the jump cache (`lib.rs`): (virtual pc, code), 16 bytes
/// each.
pub(crate) const JUMP_CACHE_BITS: u32 = 12;

/// The jump cache entry of virtual pc `vpc`.
pub(crate) fn jump_cache_index(vpc: u64) -> usize {
    (vpc >> 1) as usize & ((1 << JUMP_CACHE_BITS) - 1)
}

/// The tag of an empty jump cache entry `i`: a pc of another entry, so
/// that no address looked up there matches it, odd ones (a `jalr`'s
/// target before bit 0 is cleared) included: 0 (entry 0's) but at entry 0,
/// whose is 2 (entry 1's). A cache in zeroed memory is then empty once
/// each bank's entry 0 is written, its pages untouched until used.
pub(crate) fn jump_cache_empty(i: usize) -> u64 {
    if i & ((1 << JUMP_CACHE_BITS) - 1) == 0 {
        2
    } else {
        0
    }
}

/// Set `pc` (and `npc`) to `rax` and return to Rust: code shared by all
/// blocks (`exit_common`, in the prologue), reached by a `jmp`.
pub(crate) fn exit_rax(a: &mut Asm, b: &Builder) {
    super::rel32(a, b.base, b.exit, 0xe9);
}

/// `pc` = `npc` = `rax` (bit 0 cleared: a `jalr`'s target is cleared
/// only here, on the lookup's miss), then return to Rust.
pub(crate) fn exit_common(a: &mut Asm) {
    dynasm!(a; .arch x64
        ; and rax, -2
        ; mov QWORD [rbx + PC], rax
        ; mov QWORD [rbx + NPC], rax
        ; ret
    );
}

/// `rax` = `v`.
pub(crate) fn mov_rax(a: &mut Asm, v: u64) {
    super::regs::mov_imm(a, RAX, v);
}

/// Leave for the virtual pc in `rax`: the jump cache, indexed by virtual pc
/// as QEMU's `tb_jmp_cache`, gives a block translated for it. `lib.rs` keeps the cache
/// true to the current translation of pcs (cleared with every TLB flush), so
/// a hit needs no fetch translation. A miss returns to Rust, which does the
/// same the slow way.
pub(crate) fn leave_lookup(a: &mut Asm, b: &Builder) {
    if !b.chain {
        exit_rax(a, b);
        return;
    }
    lookup(a);
    exit_rax(a, b);
}

/// Jump to the block the jump cache holds for the virtual pc in `rax`, if
/// it holds one; else fall through (`rax` kept). `rax` may have bit 0 set
/// (a `jalr`'s target, Unprivileged spec 2.5): no entry's tag is odd
/// (`jump_cache_empty`), so it misses, and the exit clears it.
pub(crate) fn lookup(a: &mut Asm) {
    let miss = a.new_dynamic_label();
    dynasm!(a; .arch x64
        // Entry `(pc >> 1) & mask` (`jump_cache_index`) is 16 bytes at
        // `(pc & mask << 1) * 8`: scaled by the address, no shift.
        ; mov ecx, eax
        ; and ecx, ((1 << JUMP_CACHE_BITS) - 1) << 1
        ; mov rdx, QWORD [rsp + CACHE]
        ; cmp rax, QWORD [rdx + rcx * 8]
        ; jne =>miss
        ; jmp QWORD [rdx + rcx * 8 + 8]
        ; =>miss
    );
}

/// Whether a jump to `delta` from the block's start is chained: its target
/// is in the block's page.
fn chains(b: &Builder, delta: i64) -> bool {
    b.chain && b.pa.wrapping_add(delta as u64) & !0xfff == b.pa & !0xfff
}

/// A patchable jump (`jmp rel32`, or the conditional jump `cond` of a
/// branch, also rel32) to the block at `delta` from this one, which must
/// chain; it leads to an exit stub until `lib.rs` patches it.
fn chained_jump(a: &mut Asm, b: &mut Builder, delta: i64, cond: Option<(Op, bool)>) {
    let target = b.vpc.wrapping_add(delta as u64);
    let tpa = b.pa.wrapping_add(delta as u64);
    let stub = a.new_dynamic_label();
    match cond {
        Some((op, invert)) => jcc(a, op, invert, stub),
        None => dynasm!(a; .arch x64; jmp =>stub),
    }
    let at = a.offset().0 - 4;
    b.sites.push(super::Site { at, stub: None, pa: tpa, vpc: target });
    b.stubs.push((stub, b.sites.len() - 1));
}

/// Leave for the constant virtual pc `target`: chained if it is in this
/// block's page (physical `pa` + `delta`), else looked up.
pub(crate) fn leave_to(a: &mut Asm, b: &mut Builder, delta: i64) {
    if chains(b, delta) {
        chained_jump(a, b, delta, None);
    } else {
        mov_rax(a, b.vpc.wrapping_add(delta as u64));
        leave_lookup(a, b);
    }
}

/// The jump (rel32) taken when branch `op`'s condition holds (or, with
/// `invert`, does not), after a `cmp` of rs1 with rs2.
fn jcc(a: &mut Asm, op: Op, invert: bool, l: DynamicLabel) {
    match if invert { inverse(op) } else { op } {
        Op::Beq => dynasm!(a; .arch x64; je =>l),
        Op::Bne => dynasm!(a; .arch x64; jne =>l),
        Op::Blt => dynasm!(a; .arch x64; jl =>l),
        Op::Bge => dynasm!(a; .arch x64; jge =>l),
        Op::Bltu => dynasm!(a; .arch x64; jb =>l),
        _ => dynasm!(a; .arch x64; jae =>l),
    }
}

/// Whether `op` is a conditional branch.
pub(crate) fn is_branch(op: Op) -> bool {
    matches!(op, Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu)
}

/// Flags for branch `i` (its sources' values as `known`); the branch
/// whose condition they are to take (`consts::compare`).
/// `pending`: registers whose value is their low half sign-extended
/// (`sext`); one compared with x0 is compared by its low half, which
/// orders the same way, signed or not (`sext::reads` counts on it).
pub(crate) fn compare(a: &mut Asm, i: &Insn, known: Known, pending: u32) -> Op {
    let low = |g: u8| match loc(g) {
        R::Host(h) if g != 0 && pending & 1 << g != 0 => Some(h),
        _ => None,
    };
    match (i.rs1, i.rs2, low(i.rs1), low(i.rs2)) {
        (_, 0, Some(h), _) => {
            dynasm!(a; .arch x64; test Rd(h), Rd(h));
            return i.op;
        }
        (0, _, _, Some(h)) => {
            dynasm!(a; .arch x64; xor eax, eax; cmp eax, Rd(h));
            return i.op;
        }
        _ => {}
    }
    let (op, g, rhs) = consts::compare(i.op, i.rs1, i.rs2, known);
    cmp_rhs(a, g, rhs);
    op
}

/// Jump to `l` if branch `op` is taken (with `invert`, if it is not), the
/// flags being those of `cmp rs1, rs2` (or, `swapped`, of `cmp rs2, rs1`:
/// the condition mirrored).
pub(crate) fn jump_if(a: &mut Asm, op: Op, swapped: bool, invert: bool, l: DynamicLabel) {
    // (Equality reads the same either way round.)
    if !swapped || matches!(op, Op::Beq | Op::Bne) {
        jcc(a, op, invert, l);
        return;
    }
    match if invert { inverse(op) } else { op } {
        // rs1 < rs2 is rs2 > rs1, and so on.
        Op::Blt => dynasm!(a; .arch x64; jg =>l),
        Op::Bge => dynasm!(a; .arch x64; jle =>l),
        Op::Bltu => dynasm!(a; .arch x64; ja =>l),
        _ => dynasm!(a; .arch x64; jbe =>l),
    }
}

/// Jump to `l` if branch `i` is taken (with `invert`, if it is not;
/// `pending` as `compare` takes it).
pub(crate) fn branch_to(a: &mut Asm, i: &Insn, known: Known, pending: u32, invert: bool, l: DynamicLabel) {
    let op = compare(a, i, known, pending);
    jcc(a, op, invert, l);
}

/// The branch taken exactly when `op` is not.
fn inverse(op: Op) -> Op {
    match op {
        Op::Beq => Op::Bne,
        Op::Bne => Op::Beq,
        Op::Blt => Op::Bge,
        Op::Bge => Op::Blt,
        Op::Bltu => Op::Bgeu,
        _ => Op::Bltu,
    }
}

/// The way round a loop to the block's start, which may leave registers
/// pending (`sext`): to `body`, past the entry's checks, with a budget
/// check of its own (`short` when it is spent); `exit`: the registers to
/// extend on the way out of the loop.
#[derive(Clone, Copy)]
pub(crate) struct Round {
    pub body: DynamicLabel,
    pub short: DynamicLabel,
    pub n: i32,
    pub exit: u32,
}

/// Round the loop: the block's length off the budget, and on at `body`
/// (or to `short` when that leaves it below zero).
fn go_round(a: &mut Asm, r: &Round) {
    super::budget(a, -r.n);
    dynasm!(a; .arch x64; jge =>r.body; jmp =>r.short);
}

/// A block-ending branch or jump at `off` in the block; false if not one.
/// `round`: the block loops to its start as `Round` says; `pending` as
/// `compare` takes it; `swaps`: the block's own pinning
/// (`regs::loop_pinning`), undone on every way out (after the compare:
/// its moves keep the flags).
#[allow(clippy::too_many_arguments)]
pub(crate) fn emit(
    a: &mut Asm,
    b: &mut Builder,
    i: &Insn,
    off: u32,
    known: Known,
    pending: u32,
    round: Option<&Round>,
    swaps: &Swaps,
) -> bool {
    let off = i64::from(off);
    let next = off + i64::from(i.len);
    let target = off + i64::from(i.imm);
    let link = b.vpc.wrapping_add(next as u64);
    match i.op {
        Op::Jal => {
            set_imm(a, i.rd, link);
            match round {
                Some(r) if target == 0 => go_round(a, r),
                _ => {
                    swap_out(a, swaps);
                    leave_to(a, b, target);
                }
            }
        }
        Op::Jalr => {
            // The target is computed before rd is written (rd may be rs1);
            // bit 0 is cleared on the lookup's miss (`lookup`).
            match loc(i.rs1) {
                R::Host(h) => enc::rm(a, W::Q, op::LEA, RAX, enc::Mem::at(h, i.imm)),
                _ => {
                    get(a, RAX, i.rs1);
                    enc::alu_imm(a, W::Q, enc::ADD, enc::Rm::Reg(RAX), i.imm);
                }
            }
            set_imm(a, i.rd, link);
            swap_out(a, swaps);
            leave_lookup(a, b);
        }
        Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => {
            let op = compare(a, i, known, pending);
            // The conditional jump itself is patched where a target chains.
            if let (Some(r), 0) = (round, target) {
                let out = a.new_dynamic_label();
                jcc(a, op, true, out);
                go_round(a, r);
                dynasm!(a; .arch x64; =>out);
                super::sext::extend(a, r.exit);
                swap_out(a, swaps);
                leave_to(a, b, next);
                return true;
            }
            swap_out(a, swaps);
            if chains(b, target) {
                chained_jump(a, b, target, Some((op, false)));
                leave_to(a, b, next);
            } else if chains(b, next) {
                chained_jump(a, b, next, Some((op, true)));
                leave_to(a, b, target);
            } else {
                let taken = a.new_dynamic_label();
                jcc(a, op, false, taken);
                leave_to(a, b, next);
                dynasm!(a; .arch x64; =>taken);
                leave_to(a, b, target);
            }
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No pc looked up at entry `i` (even or odd: `jump_cache_index`) is
    /// its empty tag; zero, a zeroed entry's, is the empty tag but at entry 0.
    #[test]
    fn an_empty_entry_matches_no_pc_looked_up_there() {
        for i in 0..4 << JUMP_CACHE_BITS {
            let t = jump_cache_empty(i);
            assert_ne!(jump_cache_index(t), i & ((1 << JUMP_CACHE_BITS) - 1), "entry {i}");
            assert_eq!(t == 0, i & ((1 << JUMP_CACHE_BITS) - 1) != 0, "entry {i}");
        }
    }
}
