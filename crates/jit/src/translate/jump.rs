//! Branches and jumps, which end their block, and the ways a block leaves:
//! a direct jump to a block in the same page is a `jmp rel32` that `lib.rs`
//! patches to the target's code once it is translated (and back to the
//! exit stub when the target is dropped); any other target is looked up
//! from generated code (fetch TLB, then the jump cache) and otherwise
//! returns to Rust.

use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use super::mem::{self, FETCH_ADDEND, FETCH_TAG};
use super::regs::{cmp, get, loc, set_imm, R, RAX};
use super::{Asm, Builder, CACHE, NPC, PC};

/// Entries of the jump cache (`lib.rs`): (physical address, virtual pc,
/// code), 32 bytes each.
pub(crate) const JUMP_CACHE_BITS: u32 = 12;

/// The jump cache entry of physical address `pa`.
pub(crate) fn jump_cache_index(pa: u64) -> usize {
    (pa >> 1) as usize & ((1 << JUMP_CACHE_BITS) - 1)
}

/// Set `pc` (and `npc`) to `rax` and return to Rust.
pub(crate) fn exit_rax(a: &mut Asm) {
    dynasm!(a; .arch x64
        ; mov QWORD [rbx + PC], rax
        ; mov QWORD [rbx + NPC], rax
        ; ret
    );
}

/// Leave for the virtual pc in `rax`: the fetch TLB gives its physical
/// address (as `Cpu::fetch_phys` on a hit), the jump cache a block
/// translated for that address and pc, entered where it checks for exit
/// requests and interrupts. Any miss returns to Rust, which does the same
/// the slow way.
pub(crate) fn leave_lookup(a: &mut Asm, lookup: bool) {
    if !lookup {
        exit_rax(a);
        return;
    }
    let miss = a.new_dynamic_label();
    mem::entry_of(a, !0xfff);
    dynasm!(a; .arch x64
        ; cmp rdx, QWORD [r14 + rcx + FETCH_TAG]
        ; jne =>miss
        ; mov rdx, rax
        ; add rdx, QWORD [r14 + rcx + FETCH_ADDEND]
        ; mov rcx, rdx
        ; shr rcx, 1
        ; and ecx, (1 << JUMP_CACHE_BITS) - 1
        ; shl ecx, 5
        ; add rcx, QWORD [rsp + CACHE]
        ; cmp rdx, QWORD [rcx]
        ; jne =>miss
        ; cmp rax, QWORD [rcx + 8]
        ; jne =>miss
        ; jmp QWORD [rcx + 16]
        ; =>miss
    );
    exit_rax(a);
}

/// Leave for the constant virtual pc `target`: chained if it is in this
/// block's page (physical `pa` + `delta`), else looked up.
pub(crate) fn leave_to(a: &mut Asm, b: &mut Builder, delta: i64) {
    let target = b.vpc.wrapping_add(delta as u64);
    let tpa = b.pa.wrapping_add(delta as u64);
    if tpa & !0xfff == b.pa & !0xfff && b.chain {
        let stub = a.new_dynamic_label();
        dynasm!(a; .arch x64; jmp =>stub);
        let at = a.offset().0 - 4;
        b.sites.push(super::Site { at, stub: None, pa: tpa, vpc: target, backward: tpa <= b.pa });
        b.stubs.push((stub, b.sites.len() - 1));
    } else {
        dynasm!(a; .arch x64; mov rax, QWORD target as i64);
        leave_lookup(a, b.chain);
    }
}

/// A block-ending branch or jump at `off` in the block; false if not one.
pub(crate) fn emit(a: &mut Asm, b: &mut Builder, i: &Insn, off: u32) -> bool {
    let off = i64::from(off);
    let next = off + i64::from(i.len);
    let target = off + i64::from(i.imm);
    let link = b.vpc.wrapping_add(next as u64);
    match i.op {
        Op::Jal => {
            set_imm(a, i.rd, link);
            leave_to(a, b, target);
        }
        Op::Jalr => {
            // The target is computed before rd is written (rd may be rs1);
            // bit 0 cleared (2.5).
            match loc(i.rs1) {
                R::Host(h) => dynasm!(a; .arch x64; lea rax, [Rq(h) + i.imm]),
                _ => {
                    get(a, RAX, i.rs1);
                    dynasm!(a; .arch x64; add rax, i.imm);
                }
            }
            dynasm!(a; .arch x64; and rax, -2);
            set_imm(a, i.rd, link);
            leave_lookup(a, b.chain);
        }
        Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => {
            let taken: DynamicLabel = a.new_dynamic_label();
            cmp(a, i.rs1, i.rs2);
            match i.op {
                Op::Beq => dynasm!(a; .arch x64; je =>taken),
                Op::Bne => dynasm!(a; .arch x64; jne =>taken),
                Op::Blt => dynasm!(a; .arch x64; jl =>taken),
                Op::Bge => dynasm!(a; .arch x64; jge =>taken),
                Op::Bltu => dynasm!(a; .arch x64; jb =>taken),
                _ => dynasm!(a; .arch x64; jae =>taken),
            }
            leave_to(a, b, next);
            dynasm!(a; .arch x64; =>taken);
            leave_to(a, b, target);
        }
        _ => return false,
    }
    true
}
