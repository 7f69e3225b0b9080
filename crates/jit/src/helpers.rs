//! Calls from generated code into `cpu-riscv`: every instruction that is not
//! generated inline runs its interpreter handler here, so semantics have one
//! source.

use cpu_riscv::engine::handler;
use cpu_riscv::{Cpu, Insn};

/// Run one instruction through its interpreter handler, as the interpreter's
/// block loop does: `npc = pc + len` first; on success `pc = npc` and one
/// more instruction retired; on an exception the trap is taken. Returns 0
/// to go on with the block, 1 if the block must end here (trap taken, or
/// code invalidated or flushed, as the interpreter ends its block).
///
/// Generated code has written `hart.pc` (the instruction's address) and the
/// up-to-date `instret` before the call.
pub(crate) extern "sysv64" fn exec_insn(cpu: *mut Cpu, insn: *const Insn) -> u32 {
    // SAFETY: generated code passes the `Cpu` it was entered with, which
    // `Jit::exec_block` holds exclusively for the whole run and does not
    // touch meanwhile, and a pointer into the block's instruction array,
    // which the `Jit` keeps alive until its code buffer is flushed (never
    // while a block runs).
    let (cpu, insn) = unsafe { (&mut *cpu, &*insn) };
    cpu.hart.npc = cpu.hart.pc.wrapping_add(u64::from(insn.len));
    match handler(insn.op)(cpu, insn) {
        Ok(()) => {
            cpu.hart.pc = cpu.hart.npc;
            cpu.hart.instret += 1;
            u32::from(cpu.block_must_end())
        }
        Err(e) => {
            cpu.take_trap(e);
            1
        }
    }
}
