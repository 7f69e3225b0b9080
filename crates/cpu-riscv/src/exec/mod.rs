//! The interpreter's instruction semantics, one file per extension (as QEMU's
//! `trans_rv*.c.inc`). Handlers are reached through `ops::HANDLERS`.
//!
//! Handler contract: on entry `hart.pc` is the instruction's address and
//! `hart.npc` is `pc + len`; a control transfer writes `npc`. On `Err` the
//! instruction must have changed no architectural state (precise traps).

use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::trap::Exception;

pub(crate) mod fast;
pub(crate) mod rva;
pub(crate) mod rvd;
pub(crate) mod rvf;
pub(crate) mod rvi;
pub(crate) mod rvm;
pub(crate) mod system;
pub(crate) mod zicsr;

pub(crate) type Handler = fn(&mut Cpu, &Insn) -> Result<(), Exception>;

/// Any encoding that is not an instruction (Unprivileged spec 1.5: illegal instruction).
pub(crate) fn illegal(_cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    Err(Exception::illegal(i.raw))
}
