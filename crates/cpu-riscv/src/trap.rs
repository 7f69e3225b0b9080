//! Exceptions and interrupts (Privileged spec 3.1.15, table "mcause values").
//! These are guest-architectural events only; host errors have their own types.
//! Trap entry and interrupt selection live here too.

use crate::csr::*;
use crate::dlog::LOG_INT;
use crate::hart::Priv;

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

const EXCEPTION_NAMES: [&str; 16] = [
    "misaligned_fetch",
    "fault_fetch",
    "illegal_instruction",
    "breakpoint",
    "misaligned_load",
    "fault_load",
    "misaligned_store",
    "fault_store",
    "user_ecall",
    "supervisor_ecall",
    "hypervisor_ecall",
    "machine_ecall",
    "exec_page_fault",
    "load_page_fault",
    "reserved",
    "store_page_fault",
];

const INTERRUPT_NAMES: [&str; 12] = [
    "u_software",
    "s_software",
    "vs_software",
    "m_software",
    "u_timer",
    "s_timer",
    "vs_timer",
    "m_timer",
    "u_external",
    "s_external",
    "vs_external",
    "m_external",
];

/// Interrupts in the order they are taken when several are pending
/// (Privileged spec 3.1.9: MEI, MSI, MTI, SEI, SSI, STI).
const PRIORITY: [Interrupt; 6] = [
    Interrupt::MachineExternal,
    Interrupt::MachineSoftware,
    Interrupt::MachineTimer,
    Interrupt::SupervisorExternal,
    Interrupt::SupervisorSoftware,
    Interrupt::SupervisorTimer,
];

impl crate::cpu::Cpu {
    /// Change privilege. As QEMU's `riscv_cpu_set_mode`, this drops the LR
    /// reservation, so an SC cannot succeed across a context switch.
    pub fn set_priv(&mut self, p: Priv) {
        if self.hart.prv != p {
            self.hart.prv = p;
            self.flush_tlb();
        }
        self.hart.reservation = u64::MAX;
    }

    /// Take a synchronous exception at `hart.pc` (Privileged spec 3.1.6.1, 3.1.8, 4.1.1).
    pub fn take_trap(&mut self, e: Exception) {
        self.trap_entry(e.cause as u64, false, e.tval);
    }

    /// Enter the trap handler for `cause` (an interrupt when `interrupt`).
    fn trap_entry(&mut self, cause: u64, interrupt: bool, tval: u64) {
        if self.dlog.enabled(LOG_INT) {
            let names: &[&str] = if interrupt { &INTERRUPT_NAMES } else { &EXCEPTION_NAMES };
            let desc = names.get(cause as usize).copied().unwrap_or("(unknown)");
            let (hart, pc) = (self.hart.hartid, self.hart.pc);
            writeln!(
                self.dlog,
                "riscv_cpu_do_interrupt: hart:{hart}, async:{}, cause:{cause:016x}, epc:0x{pc:016x}, tval:0x{tval:016x}, desc={desc}",
                u8::from(interrupt)
            );
        }
        let csr = &self.hart.csr;
        let deleg = if interrupt { csr.mideleg } else { csr.medeleg };
        let xcause = cause | if interrupt { 1 << 63 } else { 0 };
        let prv = self.hart.prv;
        let s = csr.mstatus;
        if prv <= Priv::S && (deleg >> cause) & 1 != 0 {
            // Trap to S-mode (Privileged spec 4.1.1).
            let mut s = s & !(MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SIE);
            if csr.mstatus & MSTATUS_SIE != 0 {
                s |= MSTATUS_SPIE;
            }
            if prv == Priv::S {
                s |= MSTATUS_SPP;
            }
            let pc = tvec_target(csr.stvec, cause, interrupt);
            let csr = &mut self.hart.csr;
            csr.mstatus = s;
            csr.sepc = self.hart.pc;
            csr.scause = xcause;
            csr.stval = tval;
            self.hart.pc = pc;
            self.set_priv(Priv::S);
        } else {
            // Trap to M-mode (Privileged spec 3.1.6.1).
            let mut s = s & !(MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MIE);
            if csr.mstatus & MSTATUS_MIE != 0 {
                s |= MSTATUS_MPIE;
            }
            s |= (prv as u64) << MSTATUS_MPP_SHIFT;
            let pc = tvec_target(csr.mtvec, cause, interrupt);
            let csr = &mut self.hart.csr;
            csr.mstatus = s;
            csr.mepc = self.hart.pc;
            csr.mcause = xcause;
            csr.mtval = tval;
            self.hart.pc = pc;
            self.set_priv(Priv::M);
        }
        self.hart.npc = self.hart.pc;
    }

    /// The highest-priority interrupt that is pending, enabled in mie and
    /// globally enabled for the mode it traps to (Privileged spec 3.1.9).
    pub fn pending_interrupt(&self) -> Option<Interrupt> {
        let csr = &self.hart.csr;
        let pending = (csr.mip | self.irq.pending()) & csr.mie;
        let prv = self.hart.prv;
        let m_on = prv < Priv::M || csr.mstatus & MSTATUS_MIE != 0;
        let s_on = prv < Priv::S || (prv == Priv::S && csr.mstatus & MSTATUS_SIE != 0);
        let m = if m_on { pending & !csr.mideleg } else { 0 };
        let s = if s_on { pending & csr.mideleg } else { 0 };
        // Interrupts for M are taken before those delegated to S.
        let pick = |set: u64| PRIORITY.into_iter().find(|i| set & i.mask() != 0);
        pick(m).or_else(|| pick(s))
    }

    /// Take the highest-priority pending and enabled interrupt, if any. Any
    /// interrupt pending in mip & mie ends a `wfi`, even when globally
    /// disabled (Privileged spec 3.3.3).
    pub fn take_interrupt_if_pending(&mut self) -> bool {
        let csr = &self.hart.csr;
        if (csr.mip | self.irq.pending()) & csr.mie == 0 {
            return false;
        }
        self.hart.wfi = false;
        match self.pending_interrupt() {
            Some(i) => {
                self.trap_entry(i as u64, true, 0);
                true
            }
            None => false,
        }
    }
}

/// The handler address: vectored mode sends interrupts to base + 4 * cause
/// (Privileged spec 3.1.7).
fn tvec_target(tvec: u64, cause: u64, interrupt: bool) -> u64 {
    let base = tvec & !3;
    if interrupt && tvec & 3 == 1 {
        base.wrapping_add(4 * cause)
    } else {
        base
    }
}
