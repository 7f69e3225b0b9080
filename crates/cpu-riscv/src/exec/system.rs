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

/// tval is 0, as QEMU 7.2 writes it (checked against `-d int`; Privileged
/// spec 3.1.16 also allows the pc).
pub(crate) fn ebreak(_cpu: &mut Cpu, _i: &Insn) -> Result<(), Exception> {
    Err(Exception::new(Cause::Breakpoint, 0))
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
    // QEMU 7.2 refuses to leave M while no PMP entry is active (its helper_mret),
    // where the spec would let the first fetch fault instead.
    if new != Priv::M && !cpu.pmp_active() {
        return Err(Exception::illegal(i.raw));
    }
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
    let old = cpu.hart.csr.mstatus;
    cpu.hart.csr.mstatus = mstatus;
    if mstatus_changes_translation(old, mstatus) {
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
            cpu.irq_quiet = false;
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
        // rs1 = x0: every address; else the page holding x[rs1] (Privileged
        // spec 4.2.1). The ASID in rs2 is not told apart: that page for all.
        _ if i.rs1 != 0 => {
            let va = cpu.hart.x[usize::from(i.rs1)];
            cpu.flush_tlb_page(va);
            Ok(())
        }
        _ => {
            cpu.flush_tlb();
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::tests::cpu;
    use crate::ops::Op;

    fn run(cpu: &mut Cpu, op: Op) -> Result<(), Exception> {
        let raw = crate::ops::OPS[op as usize].bits;
        let i = Insn { op, rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, aqrl: 0, len: 4, imm: 0, raw };
        cpu.hart.npc = cpu.hart.pc + 4;
        crate::ops::HANDLERS[op as usize](cpu, &i)
    }

    fn illegal(op: Op) -> Result<(), Exception> {
        Err(Exception::illegal(crate::ops::OPS[op as usize].bits))
    }

    #[test]
    fn ecall_cause_by_mode_and_ebreak_tval() {
        let mut c = cpu();
        for (p, cause) in [(Priv::U, Cause::EcallFromU), (Priv::S, Cause::EcallFromS), (Priv::M, Cause::EcallFromM)] {
            c.hart.prv = p;
            assert_eq!(run(&mut c, Op::Ecall), Err(Exception::new(cause, 0)));
        }
        c.hart.pc = 0x8000_0abc;
        assert_eq!(run(&mut c, Op::Ebreak), Err(Exception::new(Cause::Breakpoint, 0)));
    }

    #[test]
    fn mret_unstacks() {
        let mut c = cpu();
        c.hart.csr.pmpcfg[0] = 0x18; // one NAPOT entry, as firmware sets up
        c.hart.csr.mepc = 0x4000;
        c.hart.csr.mstatus = MSTATUS_MPIE | (1 << MSTATUS_MPP_SHIFT) | MSTATUS_MPRV;
        c.hart.reservation = 0x100;
        run(&mut c, Op::Mret).unwrap();
        assert_eq!((c.hart.npc, c.hart.prv), (0x4000, Priv::S));
        let s = c.hart.csr.mstatus;
        assert_eq!(s & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV), MSTATUS_MIE | MSTATUS_MPIE);
        assert_eq!(c.hart.reservation, u64::MAX);
        // To M: MPRV kept; MPIE clear gives MIE clear.
        c.hart.prv = Priv::M;
        c.hart.csr.mstatus = MSTATUS_MIE | MSTATUS_MPP | MSTATUS_MPRV;
        run(&mut c, Op::Mret).unwrap();
        assert_eq!(c.hart.prv, Priv::M);
        assert_eq!(c.hart.csr.mstatus, MSTATUS_MPIE | MSTATUS_MPRV);
        // Only in M.
        c.hart.prv = Priv::S;
        assert_eq!(run(&mut c, Op::Mret), illegal(Op::Mret));
    }

    #[test]
    fn mret_below_m_needs_a_pmp_entry_as_in_qemu() {
        let mut c = cpu();
        c.hart.csr.mepc = 0x4000;
        c.hart.csr.mstatus = 1 << MSTATUS_MPP_SHIFT;
        assert_eq!(run(&mut c, Op::Mret), illegal(Op::Mret));
        assert_eq!((c.hart.prv, c.hart.csr.mstatus), (Priv::M, 1 << MSTATUS_MPP_SHIFT), "no state changed");
        c.hart.csr.mstatus = MSTATUS_MPP;
        assert!(run(&mut c, Op::Mret).is_ok(), "staying in M is fine");
        c.hart.csr.pmpcfg[1] = 0x08 << 56; // TOR entry 15
        c.hart.csr.mstatus = 0;
        assert!(run(&mut c, Op::Mret).is_ok());
        assert_eq!(c.hart.prv, Priv::U);
    }

    #[test]
    fn sret_unstacks_and_traps() {
        let mut c = cpu();
        c.hart.csr.sepc = 0x5000;
        c.hart.csr.mstatus = MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_MPRV;
        run(&mut c, Op::Sret).unwrap();
        assert_eq!((c.hart.npc, c.hart.prv), (0x5000, Priv::S));
        assert_eq!(c.hart.csr.mstatus, MSTATUS_SIE | MSTATUS_SPIE, "SPP <- U, MPRV cleared");
        run(&mut c, Op::Sret).unwrap();
        assert_eq!(c.hart.prv, Priv::U);
        assert_eq!(run(&mut c, Op::Sret), illegal(Op::Sret), "sret in U");
        c.hart.prv = Priv::S;
        c.hart.csr.mstatus |= MSTATUS_TSR;
        assert_eq!(run(&mut c, Op::Sret), illegal(Op::Sret), "TSR");
        c.hart.prv = Priv::M;
        assert!(run(&mut c, Op::Sret).is_ok(), "TSR does not bind M");
    }

    #[test]
    fn wfi_rules() {
        let mut c = cpu();
        run(&mut c, Op::Wfi).unwrap();
        assert!(c.hart.wfi);
        assert_eq!(c.hart.npc, c.hart.pc + 4, "continues after");
        c.hart.wfi = false;
        c.hart.csr.mstatus = MSTATUS_TW;
        run(&mut c, Op::Wfi).unwrap();
        c.hart.prv = Priv::S;
        assert_eq!(run(&mut c, Op::Wfi), illegal(Op::Wfi));
        c.hart.csr.mstatus = 0;
        assert!(run(&mut c, Op::Wfi).is_ok());
        c.hart.prv = Priv::U;
        assert_eq!(run(&mut c, Op::Wfi), illegal(Op::Wfi));
    }

    #[test]
    fn sfence_rules() {
        let mut c = cpu();
        assert!(run(&mut c, Op::SfenceVma).is_ok());
        c.hart.prv = Priv::S;
        assert!(run(&mut c, Op::SfenceVma).is_ok());
        c.hart.csr.mstatus = MSTATUS_TVM;
        assert_eq!(run(&mut c, Op::SfenceVma), illegal(Op::SfenceVma));
        c.hart.prv = Priv::U;
        c.hart.csr.mstatus = 0;
        assert_eq!(run(&mut c, Op::SfenceVma), illegal(Op::SfenceVma));
    }
}
