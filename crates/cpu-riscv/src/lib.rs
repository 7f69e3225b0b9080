//! An RV64GC hart: decoder, disassembler, the interpreter that defines the
//! semantics, CSRs, traps and the MMU.

mod blocks;
pub mod bus;
pub mod cpu;
pub mod csr;
pub mod decode;
pub mod disasm;
pub mod dlog;
pub mod engine;
mod exec;
pub mod fpu;
pub mod hart;
pub mod host_panic;
pub mod insn;
#[cfg(test)]
mod interp_tests;
mod mem;
pub mod mmu;
pub mod ops;
pub mod trap;
pub mod trap_log;

pub use bus::{Bus, BusError, Clock, IrqLines, Ram};
pub use cpu::{Cpu, Stop};
pub use engine::{DecodedBlock, DroppedCode, Engine};
pub use hart::{Hart, Priv};
pub use host_panic::HostPanic;
pub use insn::{Format, Insn};
pub use ops::Op;
pub use trap::{Cause, Exception, Interrupt};
