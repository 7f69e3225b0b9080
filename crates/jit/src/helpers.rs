//! Calls from generated code into `cpu-riscv`: every instruction that is not
//! generated inline runs its interpreter handler here, so semantics have one
//! source.
//!
//! No unwind may cross generated code: it has no unwind info, so a panic
//! unwinding into it aborts the process. Every helper therefore runs its
//! body in `guarded`, which catches a panic, keeps it (with the guest pc)
//! for `Jit::exec_block` and makes generated code leave at once;
//! `exec_block` resumes it on the Rust side, past the trampoline. Helpers
//! are `extern "sysv64-unwind"` (the convention generated code calls with),
//! so that the compiler adds no abort-on-unwind shim of its own: what
//! becomes of a panic is decided in one place, `guarded`.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use cpu_riscv::engine::handler;
use cpu_riscv::{Cpu, HostPanic, Insn};

thread_local! {
    /// A panic caught in a helper on this thread, until `exec_block` takes it.
    static CAUGHT: Cell<Option<Box<HostPanic>>> = const { Cell::new(None) };
}

/// Whether any helper on any thread ever caught a panic: `take_panic`'s
/// test in the common case, cheaper than reaching the thread-local.
static EVER_CAUGHT: AtomicBool = AtomicBool::new(false);

/// `exec_insn`'s result that makes generated code end the block and
/// return to the trampoline.
pub(crate) const LEAVE: u32 = 1;

/// `exec_insn`'s result after which the block ends but generated code may
/// go on at `hart.pc` through the jump cache, in the TLB bank that
/// `Cpu::go_on` left in `Cpu::next` (a trap taken, an xRET, a CSR write).
pub(crate) const NEXT: u32 = 2;

/// Run a helper's body `f` for the instruction at guest `pc`. If it
/// panics, keep the panic for `take_panic` and return `leave`, which must
/// make generated code return to Rust without running more guest code.
fn guarded<R>(pc: u64, leave: R, f: impl FnOnce() -> R) -> R {
    // The state a panicking handler leaves is never used again:
    // `exec_block` resumes the panic as soon as generated code returns.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            CAUGHT.set(Some(Box::new(HostPanic::from_payload(payload, pc))));
            EVER_CAUGHT.store(true, Ordering::Relaxed);
            leave
        }
    }
}

/// The panic a helper caught since the last call, if any.
#[inline(always)]
pub(crate) fn take_panic() -> Option<Box<HostPanic>> {
    if !EVER_CAUGHT.load(Ordering::Relaxed) {
        return None;
    }
    CAUGHT.take()
}

/// Run one instruction through its interpreter handler, as the interpreter's
/// block loop does: `npc = pc + len` first; on success `pc = npc` and one
/// more instruction retired; on an exception the trap is taken. Returns 0
/// to go on with the block; else the block ends here (trap taken, code
/// invalidated or flushed, as the interpreter ends its block, the last
/// instruction, `ahead` = 1, or an exit requested): `NEXT` if generated
/// code may go on to the next block itself (`Cpu::go_on`), `LEAVE` if it
/// must return to Rust (an exit requested, and after a panic caught).
///
/// Generated code has written `hart.pc` (the instruction's address) and the
/// up-to-date `instret` before the call.
pub(crate) extern "sysv64-unwind" fn exec_insn(cpu: *mut Cpu, insn: *const Insn, ahead: u32) -> u32 {
    // SAFETY: generated code passes the `*mut Cpu` it was entered with,
    // derived once from the `&mut Cpu` that `Jit::exec_block` holds
    // exclusively for the whole run and does not touch meanwhile; the
    // `&mut` made here is its only reference and ends before generated
    // code, which waits for this call, uses the pointer again. `insn`
    // points into the block's instruction array, which the `Jit` keeps
    // alive until its code buffer is flushed (never while a block runs).
    let (cpu, insn) = unsafe { (&mut *cpu, &*insn) };
    guarded(cpu.hart.pc, LEAVE, || {
        cpu.hart.npc = cpu.hart.pc.wrapping_add(u64::from(insn.len));
        let ends = match handler(insn.op)(cpu, insn) {
            Ok(()) => {
                cpu.hart.pc = cpu.hart.npc;
                cpu.hart.instret += 1;
                ahead <= 1 || cpu.block_must_end()
            }
            Err(e) => {
                cpu.take_trap(e);
                true
            }
        };
        // An exit request (or an interrupt line this instruction raised,
        // as a store to a device can) ends the block and returns to Rust
        // now, not when generated code next refills its budget; so do
        // guarded stores that fault too often (`Jit::steer_guard`).
        let exit = cpu.exit_request.load(Ordering::Relaxed) || crate::guard::over_limit();
        if !(ends || exit) {
            0
        } else if !exit && cpu.go_on() {
            NEXT
        } else {
            LEAVE
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in a helper's body becomes its `leave` result and is kept,
    /// with the pc, for the Rust side; a normal result passes through.
    #[test]
    fn guarded_keeps_a_panic_for_the_rust_side() {
        assert_eq!(guarded(0x10, 9u32, || 3), 3);
        assert!(take_panic().is_none());
        assert_eq!(guarded(0x8000_0042, LEAVE, || -> u32 { panic!("handler bug {}", 1) }), LEAVE);
        assert_eq!(take_panic().as_deref(), Some(&HostPanic { message: "handler bug 1".into(), pc: 0x8000_0042 }));
        assert!(take_panic().is_none(), "taken once");
    }
}
