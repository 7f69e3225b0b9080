//! ecall/ebreak and the privileged instructions (Privileged spec 3.3, 4.2.1).

use crate::cpu::Cpu;
use crate::csr::*;
use crate::hart::Priv;
use crate::insn::Insn;
use crate::trap::{Cause, Exception};

pub(crate) fn ecall(cpu: &mut Cpu, _i: &Insn) -> Result<(), Exception> {
    let cause = match cpu.hart.prv {
        Priv::U => Cause::EcallFromU,
        Priv::S => Cause::EcallFromS,
        Priv::M => Cause::EcallFromM,
    };
    Err(Exception::new(cause, 0))
}

/// tval is the pc of the ebreak, as QEMU sets it (Privileged spec 3.1.16 allows it).
pub(crate) fn ebreak(cpu: &mut Cpu, _i: &Insn) -> Result<(), Exception> {
    Err(Exception::new(Cause::Breakpoint, cpu.hart.pc))
}

/// Return from an S-mode trap (Privileged spec 3.3.2): illegal in U, and in S when TSR is set.
pub(crate) fn sret(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let s = cpu.hart.csr.mstatus;
    match cpu.hart.prv {
        Priv::U => return Err(Exception::illegal(i.raw)),
        Priv::S if s & MSTATUS_TSR != 0 => return Err(Exception::illegal(i.raw)),
        _ => {}
    }
    let new = if s & MSTATUS_SPP != 0 { Priv::S } else { Priv::U };
    // SIE <- SPIE, SPIE <- 1, SPP <- U; MPRV <- 0 since new < M.
    let mut n = s & !(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
    if s & MSTATUS_SPIE != 0 {
        n |= MSTATUS_SIE;
    }
    n |= MSTATUS_SPIE;
    xret(cpu, n, new, cpu.hart.csr.sepc);
    Ok(())
}

/// Return from an M-mode trap (Privileged spec 3.3.2): M-mode only.
pub(crate) fn mret(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    if cpu.hart.prv != Priv::M {
        return Err(Exception::illegal(i.raw));
    }
    let s = cpu.hart.csr.mstatus;
    let new = Priv::from_bits(s >> MSTATUS_MPP_SHIFT).unwrap_or(Priv::U);
    // MIE <- MPIE, MPIE <- 1, MPP <- U; MPRV <- 0 when returning below M.
    let mut n = s & !(MSTATUS_MIE | MSTATUS_MPP);
    if s & MSTATUS_MPIE != 0 {
        n |= MSTATUS_MIE;
    }
    n |= MSTATUS_MPIE;
    if new != Priv::M {
        n &= !MSTATUS_MPRV;
    }
    xret(cpu, n, new, cpu.hart.csr.mepc);
    Ok(())
}

fn xret(cpu: &mut Cpu, mstatus: u64, new: Priv, epc: u64) {
    if cpu.hart.csr.mstatus != mstatus {
        cpu.hart.csr.mstatus = mstatus;
        cpu.flush_tlb();
    }
    cpu.set_priv(new);
    cpu.hart.npc = epc;
}

/// Wait for interrupt (Privileged spec 3.3.3): illegal in U (S-mode exists)
/// and in S when TW is set. The hart may simply continue; the run loop
/// sleeps while `wfi` is set and nothing is pending.
pub(crate) fn wfi(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let tw = cpu.hart.csr.mstatus & MSTATUS_TW != 0;
    match cpu.hart.prv {
        Priv::U => Err(Exception::illegal(i.raw)),
        Priv::S if tw => Err(Exception::illegal(i.raw)),
        _ => {
            cpu.hart.wfi = true;
            Ok(())
        }
    }
}

/// Illegal in U, and in S when TVM is set (Privileged spec 3.1.6.5, 4.2.1).
/// Flushes every translation whatever the operands select.
pub(crate) fn sfence_vma(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let tvm = cpu.hart.csr.mstatus & MSTATUS_TVM != 0;
    match cpu.hart.prv {
        Priv::U => Err(Exception::illegal(i.raw)),
        Priv::S if tvm => Err(Exception::illegal(i.raw)),
        _ => {
            cpu.flush_tlb();
            Ok(())
        }
    }
}
