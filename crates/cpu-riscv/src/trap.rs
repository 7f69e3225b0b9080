//! Exceptions and interrupts (Privileged spec 3.1.15, table "mcause values").
//! These are guest-architectural events only; host errors have their own types.

/// Synchronous exception causes, numbered as in `mcause`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cause {
    InstructionMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,
    StoreAccessFault = 7,
    EcallFromU = 8,
    EcallFromS = 9,
    EcallFromM = 11,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,
}

/// A synchronous exception with the value it writes to `xtval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exception {
    pub cause: Cause,
    pub tval: u64,
}

impl Exception {
    pub const fn new(cause: Cause, tval: u64) -> Self {
        Exception { cause, tval }
    }
    pub const fn illegal(raw: u32) -> Self {
        Exception { cause: Cause::IllegalInstruction, tval: raw as u64 }
    }
}

/// Interrupt causes, numbered as in `mcause` (with the interrupt bit clear)
/// and as bit positions in `mip`/`mie`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Interrupt {
    SupervisorSoftware = 1,
    MachineSoftware = 3,
    SupervisorTimer = 5,
    MachineTimer = 7,
    SupervisorExternal = 9,
    MachineExternal = 11,
}

impl Interrupt {
    pub const fn mask(self) -> u64 {
        1 << self as u8
    }
}

impl crate::cpu::Cpu {
    /// Take a synchronous exception. Placeholder: M-mode entry without delegation.
    pub fn take_trap(&mut self, e: Exception) {
        let h = &mut self.hart;
        h.csr.mepc = h.pc;
        h.csr.mcause = e.cause as u64;
        h.csr.mtval = e.tval;
        h.pc = h.csr.mtvec & !3;
    }

    /// Take the highest-priority pending and enabled interrupt, if any.
    /// Placeholder: never.
    pub fn take_interrupt_if_pending(&mut self) -> bool {
        false
    }
}
