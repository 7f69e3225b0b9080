//! Exceptions and interrupts (Privileged spec 3.1.15, table "mcause values").
//! These are guest-architectural events only; host errors have their own types.
//! Trap entry and interrupt selection live here too.

use crate::csr::*;
use crate::dlog::LOG_INT;
use crate::hart::Priv;
use crate::trap_log::TrapRecord;

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

pub(crate) const EXCEPTION_NAMES: [&str; 16] = [
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

pub(crate) const INTERRUPT_NAMES: [&str; 12] = [
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
    /// reservation, so an SC cannot succeed across a context switch, and
    /// switches TLBs (QEMU's MMU index) rather than flushing them.
    pub fn set_priv(&mut self, p: Priv) {
        if self.hart.prv != p {
            self.hart.prv = p;
            // Its own TLB bank (no flush); the block ends, as engines may
            // cache what translations said.
            self.select_tlb_bank();
            self.blocks.stop = true;
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
            let asy = u8::from(interrupt);
            writeln!(
                self.dlog,
                "riscv_cpu_do_interrupt: hart:{hart}, async:{asy}, cause:{cause:016x}, epc:0x{pc:016x}, \
                 tval:0x{tval:016x}, desc={desc}"
            );
        }
        let csr = &self.hart.csr;
        let deleg = if interrupt { csr.mideleg } else { csr.medeleg };
        let prv = self.hart.prv;
        let to = if prv <= Priv::S && (deleg >> cause) & 1 != 0 { Priv::S } else { Priv::M };
        let (epc, instret) = (self.hart.pc, self.hart.instret);
        self.traps.push(TrapRecord { interrupt, code: cause, epc, tval, from: prv, to, instret });
        let csr = &self.hart.csr;
        let xcause = cause | if interrupt { 1 << 63 } else { 0 };
        let s = csr.mstatus;
        if to == Priv::S {
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
            let old = csr.mstatus;
            let csr = &mut self.hart.csr;
            csr.mstatus = s;
            csr.mepc = self.hart.pc;
            csr.mcause = xcause;
            csr.mtval = tval;
            self.hart.pc = pc;
            if mstatus_changes_translation(old, s) {
                self.flush_tlb();
            }
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
        if !self.interrupt_enabled_in_mie() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::tests::cpu;
    use crate::dlog::DebugLog;
    use std::sync::{Arc, Mutex};

    #[test]
    fn exception_in_m_goes_to_m_even_if_delegated() {
        let mut c = cpu();
        c.hart.pc = 0x8000_0040;
        c.hart.csr.mtvec = 0x8000_1001; // vectored: exceptions still go to base
        c.hart.csr.medeleg = 1 << 2;
        c.hart.csr.mstatus = MSTATUS_MIE;
        c.hart.reservation = 0x8000_0100;
        c.take_trap(Exception::illegal(0x1234));
        assert_eq!(c.hart.pc, 0x8000_1000);
        assert_eq!(c.hart.prv, Priv::M);
        assert_eq!((c.hart.csr.mepc, c.hart.csr.mcause, c.hart.csr.mtval), (0x8000_0040, 2, 0x1234));
        let s = c.hart.csr.mstatus;
        assert_eq!(s & MSTATUS_MIE, 0);
        assert_ne!(s & MSTATUS_MPIE, 0);
        assert_eq!(s & MSTATUS_MPP, MSTATUS_MPP, "MPP = M");
        assert_eq!(c.hart.reservation, u64::MAX, "reservation dropped as QEMU does");
    }

    #[test]
    fn delegated_exception_from_u_and_s_goes_to_s() {
        for (from, spp) in [(Priv::U, 0), (Priv::S, MSTATUS_SPP)] {
            let mut c = cpu();
            c.hart.prv = from;
            c.hart.pc = 0x1000;
            c.hart.csr.stvec = 0x8000_2000;
            c.hart.csr.mtvec = 0x8000_1000;
            c.hart.csr.medeleg = 1 << Cause::LoadPageFault as u8;
            c.hart.csr.mstatus = MSTATUS_SIE | MSTATUS_MIE | (3 << MSTATUS_MPP_SHIFT);
            c.take_trap(Exception::new(Cause::LoadPageFault, 0xdead));
            assert_eq!((c.hart.pc, c.hart.prv), (0x8000_2000, Priv::S));
            assert_eq!((c.hart.csr.sepc, c.hart.csr.scause, c.hart.csr.stval), (0x1000, 13, 0xdead));
            let s = c.hart.csr.mstatus;
            assert_eq!(s & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP), MSTATUS_SPIE | spp);
            assert_eq!(s & (MSTATUS_MIE | MSTATUS_MPP), MSTATUS_MIE | MSTATUS_MPP, "M state untouched");
            assert_eq!(c.hart.csr.mcause, 0);
            // Not delegated: to M, MPP records the old mode.
            c.hart.prv = from;
            c.take_trap(Exception::new(Cause::StorePageFault, 0xbeef));
            assert_eq!((c.hart.pc, c.hart.prv, c.hart.csr.mcause), (0x8000_1000, Priv::M, 15));
            assert_eq!(c.hart.csr.mstatus & MSTATUS_MPP, (from as u64) << MSTATUS_MPP_SHIFT);
        }
    }

    #[test]
    fn interrupt_vectored_with_cause_bit() {
        let mut c = cpu();
        c.hart.prv = Priv::U;
        c.hart.pc = 0x4000;
        c.hart.csr.mtvec = 0x8000_0001;
        c.hart.csr.mie = Interrupt::MachineTimer.mask();
        assert!(!c.take_interrupt_if_pending());
        c.irq.set(7, true);
        assert!(c.take_interrupt_if_pending());
        assert_eq!(c.hart.pc, 0x8000_0000 + 4 * 7);
        assert_eq!(c.hart.csr.mcause, (1 << 63) | 7);
        assert_eq!((c.hart.csr.mepc, c.hart.csr.mtval), (0x4000, 0));
        assert_eq!(c.hart.prv, Priv::M);
        // Now in M with MIE clear: not taken again.
        assert!(!c.take_interrupt_if_pending());
    }

    #[test]
    fn priority_order() {
        let mut c = cpu();
        c.hart.prv = Priv::U;
        c.hart.csr.mie = ALL_INTS;
        c.hart.csr.mip = S_INTS;
        c.irq.set(3, true);
        c.irq.set(7, true);
        c.irq.set(11, true);
        let order = [11, 3, 7, 9, 1, 5];
        for want in order {
            assert_eq!(c.pending_interrupt().map(|i| i as u8), Some(want));
            c.irq.set(want, false);
            c.hart.csr.mip &= !(1 << want);
        }
        assert_eq!(c.pending_interrupt(), None);
        // Interrupts for M come before higher-numbered ones delegated to S.
        c.hart.csr.mideleg = S_INTS;
        c.hart.csr.mip = 1 << 9;
        c.irq.set(7, true);
        assert_eq!(c.pending_interrupt(), Some(Interrupt::MachineTimer));
    }

    #[test]
    fn global_enables_per_mode() {
        let mut c = cpu();
        c.hart.csr.mie = ALL_INTS;
        c.hart.csr.mideleg = Interrupt::SupervisorTimer.mask();
        c.hart.csr.mip = Interrupt::SupervisorTimer.mask();
        // Delegated to S: never taken in M, in S only with SIE, always in U.
        c.hart.csr.mstatus = MSTATUS_MIE | MSTATUS_SIE;
        assert_eq!(c.pending_interrupt(), None);
        c.hart.prv = Priv::S;
        assert_eq!(c.pending_interrupt(), Some(Interrupt::SupervisorTimer));
        c.hart.csr.mstatus = MSTATUS_MIE;
        assert_eq!(c.pending_interrupt(), None);
        c.hart.prv = Priv::U;
        assert_eq!(c.pending_interrupt(), Some(Interrupt::SupervisorTimer));
        // Not delegated: in M only with MIE, below M always.
        c.hart.csr.mip = Interrupt::SupervisorSoftware.mask();
        c.hart.csr.mstatus = 0;
        c.hart.prv = Priv::S;
        assert_eq!(c.pending_interrupt(), Some(Interrupt::SupervisorSoftware));
        c.hart.prv = Priv::M;
        assert_eq!(c.pending_interrupt(), None);
        c.hart.csr.mstatus = MSTATUS_MIE;
        assert_eq!(c.pending_interrupt(), Some(Interrupt::SupervisorSoftware));
        // mie masks.
        c.hart.csr.mie = 0;
        assert_eq!(c.pending_interrupt(), None);
    }

    #[test]
    fn delegated_interrupt_enters_s() {
        let mut c = cpu();
        c.hart.prv = Priv::U;
        c.hart.pc = 0x2000;
        c.hart.csr.stvec = 0x8000_3001;
        c.hart.csr.mideleg = S_INTS;
        c.hart.csr.mie = 1 << 9;
        c.irq.set(9, true);
        assert!(c.take_interrupt_if_pending());
        assert_eq!((c.hart.prv, c.hart.pc), (Priv::S, 0x8000_3000 + 36));
        assert_eq!((c.hart.csr.scause, c.hart.csr.sepc), ((1 << 63) | 9, 0x2000));
    }

    #[test]
    fn wfi_wakes_even_when_globally_disabled() {
        let mut c = cpu();
        c.hart.wfi = true;
        c.hart.csr.mie = 1 << 7;
        c.irq.set(3, true);
        assert!(!c.take_interrupt_if_pending());
        assert!(c.hart.wfi, "not enabled in mie: keeps waiting");
        c.irq.set(7, true);
        assert!(!c.take_interrupt_if_pending(), "MIE clear in M: not taken");
        assert!(!c.hart.wfi, "but wfi ends");
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn int_log_line() {
        let mut c = cpu();
        let sink = Sink::default();
        c.dlog = DebugLog::new(LOG_INT, Box::new(sink.clone()));
        c.hart.pc = 0x8000_0004;
        c.take_trap(Exception::new(Cause::EcallFromM, 0));
        c.hart.csr.mstatus |= MSTATUS_MIE;
        c.hart.csr.mie = 1 << 7;
        c.irq.set(7, true);
        c.hart.pc = 0x8000_0010;
        c.take_interrupt_if_pending();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "riscv_cpu_do_interrupt: hart:0, async:0, cause:000000000000000b, epc:0x0000000080000004, \
             tval:0x0000000000000000, desc=machine_ecall\n\
             riscv_cpu_do_interrupt: hart:0, async:1, cause:0000000000000007, epc:0x0000000080000010, \
             tval:0x0000000000000000, desc=m_timer\n"
        );
    }
}
