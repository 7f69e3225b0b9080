//! Zicsr: CSR instructions (Unprivileged spec ch. 9).

use crate::cpu::Cpu;
use crate::csr;
use crate::insn::Insn;
use crate::trap::{Cause, Exception};

/// One CSR access. `read`: whether the instruction reads the CSR (csrrw/csrrwi
/// with rd = x0 do not); `new`: the value to write, computed from the old
/// value, or `None` when the instruction does not write (csrrs/csrrc with
/// rs1 = x0 or uimm = 0), which makes read-only CSRs legal (Unprivileged spec 9.1).
fn access(cpu: &mut Cpu, i: &Insn, read: bool, new: Option<&dyn Fn(u64) -> u64>) -> Result<(), Exception> {
    crate::host_panic::check(cpu.hart.instret);
    let addr = (i.imm as u32 & 0xfff) as u16;
    let with_tval = |e: Exception| {
        if e.cause == Cause::IllegalInstruction {
            Exception::illegal(i.raw)
        } else {
            e
        }
    };
    // The write permission is checked before the read, so a trap leaves no state changed.
    let old = csr::read_write(cpu, addr, read, new).map_err(with_tval)?;
    cpu.hart.set_x(i.rd, old);
    Ok(())
}

pub(crate) fn csrrw(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let v = cpu.hart.get_x(i.rs1);
    access(cpu, i, i.rd != 0, Some(&|_| v))
}

pub(crate) fn csrrs(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let v = cpu.hart.get_x(i.rs1);
    access(cpu, i, true, (i.rs1 != 0).then_some(&|old| old | v))
}

pub(crate) fn csrrc(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let v = cpu.hart.get_x(i.rs1);
    access(cpu, i, true, (i.rs1 != 0).then_some(&|old| old & !v))
}

pub(crate) fn csrrwi(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let v = u64::from(i.rs1);
    access(cpu, i, i.rd != 0, Some(&|_| v))
}

pub(crate) fn csrrsi(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let v = u64::from(i.rs1);
    access(cpu, i, true, (v != 0).then_some(&|old| old | v))
}

pub(crate) fn csrrci(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    let v = u64::from(i.rs1);
    access(cpu, i, true, (v != 0).then_some(&|old| old & !v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::tests::cpu;
    use crate::csr::*;
    use crate::hart::Priv;
    use crate::ops::Op;

    /// `op rd, csr, rs1` (or the 5-bit immediate for the *i forms), with its real encoding.
    fn insn(op: Op, rd: u8, csr: u16, rs1: u8) -> Insn {
        let f3 = match op {
            Op::Csrrw => 1,
            Op::Csrrs => 2,
            Op::Csrrc => 3,
            Op::Csrrwi => 5,
            Op::Csrrsi => 6,
            _ => 7,
        };
        let raw = (u32::from(csr) << 20) | (u32::from(rs1) << 15) | (f3 << 12) | (u32::from(rd) << 7) | 0x73;
        Insn { op, rd, rs1, rs2: 0, rs3: 0, rm: 0, aqrl: 0, len: 4, imm: i32::from(csr), raw }
    }

    fn exec(cpu: &mut Cpu, i: Insn) -> Result<(), Exception> {
        let h = crate::ops::HANDLERS[i.op as usize];
        h(cpu, &i)
    }

    /// csrr rd, csr via csrrs rd, csr, x0.
    fn csrr(cpu: &mut Cpu, csr: u16) -> Result<u64, Exception> {
        exec(cpu, insn(Op::Csrrs, 5, csr, 0))?;
        Ok(cpu.hart.x[5])
    }

    /// csrw csr, value via x6.
    fn csrw(cpu: &mut Cpu, csr: u16, v: u64) -> Result<(), Exception> {
        cpu.hart.x[6] = v;
        exec(cpu, insn(Op::Csrrw, 0, csr, 6))
    }

    const MSTATUS: u16 = 0x300;
    const SSTATUS: u16 = 0x100;

    #[test]
    fn csrrw_swaps_and_set_clear_modify() {
        let mut c = cpu();
        c.hart.x[6] = 0x1234;
        exec(&mut c, insn(Op::Csrrw, 7, 0x340, 6)).unwrap();
        assert_eq!(c.hart.x[7], 0);
        c.hart.x[6] = 0xff00;
        exec(&mut c, insn(Op::Csrrs, 7, 0x340, 6)).unwrap();
        assert_eq!(c.hart.x[7], 0x1234);
        c.hart.x[6] = 0x1030;
        exec(&mut c, insn(Op::Csrrc, 7, 0x340, 6)).unwrap();
        assert_eq!(c.hart.x[7], 0xff34);
        exec(&mut c, insn(Op::Csrrwi, 7, 0x340, 0x1f)).unwrap();
        assert_eq!(c.hart.x[7], 0xef04);
        exec(&mut c, insn(Op::Csrrci, 7, 0x340, 0x3)).unwrap();
        exec(&mut c, insn(Op::Csrrsi, 7, 0x340, 0x20 - 1)).unwrap();
        assert_eq!(c.hart.x[7], 0x1c);
        assert_eq!(csrr(&mut c, 0x340).unwrap(), 0x1f);
    }

    #[test]
    fn privilege_from_address_bits() {
        let mut c = cpu();
        c.hart.prv = Priv::S;
        let i = insn(Op::Csrrs, 5, MSTATUS, 0);
        assert_eq!(exec(&mut c, i), Err(Exception::illegal(i.raw)), "tval is the instruction");
        assert!(csrr(&mut c, SSTATUS).is_ok());
        c.hart.prv = Priv::U;
        assert_eq!(csrr(&mut c, SSTATUS).unwrap_err().cause, Cause::IllegalInstruction);
        assert_eq!(csrr(&mut c, 0x7c0).unwrap_err().cause, Cause::IllegalInstruction, "no such CSR");
    }

    #[test]
    fn read_only_csrs_only_without_write() {
        let mut c = cpu();
        c.hart.hartid = 3;
        assert_eq!(csrr(&mut c, 0xf14).unwrap(), 3);
        assert_eq!(exec(&mut c, insn(Op::Csrrsi, 5, 0xf14, 0)), Ok(()));
        assert_eq!(exec(&mut c, insn(Op::Csrrci, 5, 0xf14, 0)), Ok(()));
        // rs1 != x0 writes even when the register holds zero (Unprivileged spec 9.1).
        c.hart.x[6] = 0;
        let i = insn(Op::Csrrs, 5, 0xf14, 6);
        assert_eq!(exec(&mut c, i), Err(Exception::illegal(i.raw)));
        assert_eq!(csrw(&mut c, 0xf14, 0).unwrap_err().cause, Cause::IllegalInstruction);
        assert_eq!(exec(&mut c, insn(Op::Csrrwi, 0, 0xc00, 0)).unwrap_err().cause, Cause::IllegalInstruction);
        // A trapping instruction leaves rd alone.
        c.hart.x[5] = 77;
        let _ = exec(&mut c, insn(Op::Csrrsi, 5, 0xf14, 1));
        assert_eq!(c.hart.x[5], 77);
    }

    #[test]
    fn mstatus_warl_fields() {
        let mut c = cpu();
        let s = csrr(&mut c, MSTATUS).unwrap();
        assert_eq!(s, 0xa_0000_0000, "QEMU's reset value: 64-bit U and S, FP off");
        assert_eq!(c.hart.csr.mstatus, s, "the field holds the architectural value");
        csrw(&mut c, MSTATUS, u64::MAX).unwrap();
        let s = csrr(&mut c, MSTATUS).unwrap();
        assert_eq!(s & MSTATUS_XS, 0);
        assert_ne!(s & MSTATUS_SD, 0, "SD summarises FS dirty");
        assert_eq!(s & (MSTATUS_UXL | MSTATUS_SXL), (2 << 32) | (2 << 34), "XL read-only");
        csrw(&mut c, MSTATUS, 1 << MSTATUS_MPP_SHIFT).unwrap();
        assert_eq!(csrr(&mut c, MSTATUS).unwrap() & MSTATUS_MPP, 1 << MSTATUS_MPP_SHIFT);
        csrw(&mut c, MSTATUS, 2 << MSTATUS_MPP_SHIFT).unwrap();
        assert_eq!(csrr(&mut c, MSTATUS).unwrap() & MSTATUS_MPP, 1 << MSTATUS_MPP_SHIFT, "reserved MPP ignored");
        // sstatus is a view: writes reach only its fields.
        csrw(&mut c, MSTATUS, MSTATUS_MIE | MSTATUS_TVM).unwrap();
        csrw(&mut c, SSTATUS, u64::MAX).unwrap();
        let s = csrr(&mut c, MSTATUS).unwrap();
        assert_ne!(s & MSTATUS_MIE, 0);
        assert_ne!(s & MSTATUS_TVM, 0);
        assert_ne!(s & (MSTATUS_SIE | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPP), 0);
        let ss = csrr(&mut c, SSTATUS).unwrap();
        assert_eq!(ss & (MSTATUS_MIE | MSTATUS_TVM | MSTATUS_MPP | MSTATUS_SXL), 0);
        assert_eq!(ss & MSTATUS_UXL, 2 << 32);
    }

    #[test]
    fn misa_deleg_tvec_epc_warl() {
        let mut c = cpu();
        let misa = csrr(&mut c, 0x301).unwrap();
        assert_eq!(misa >> 62, 2);
        for e in "IMAFDCSU".bytes() {
            assert_ne!(misa & (1 << (e - b'A')), 0, "{}", e as char);
        }
        csrw(&mut c, 0x301, 0).unwrap();
        assert_eq!(csrr(&mut c, 0x301).unwrap(), misa);
        csrw(&mut c, 0x302, u64::MAX).unwrap();
        let medeleg = csrr(&mut c, 0x302).unwrap();
        assert_eq!(medeleg & (1 << 11), 0, "ecall from M is not delegable");
        assert_ne!(medeleg & (1 << 8 | 1 << 12 | 1 << 13 | 1 << 15 | 1 << 2), 0);
        csrw(&mut c, 0x303, u64::MAX).unwrap();
        assert_eq!(csrr(&mut c, 0x303).unwrap(), 0x222, "only S-level interrupts delegable");
        csrw(&mut c, 0x305, 0x8000_0101).unwrap();
        assert_eq!(csrr(&mut c, 0x305).unwrap(), 0x8000_0101);
        csrw(&mut c, 0x305, 0x8000_0202).unwrap();
        assert_eq!(csrr(&mut c, 0x305).unwrap(), 0x8000_0101, "reserved mode ignored");
        csrw(&mut c, 0x341, 0x8000_0003).unwrap();
        assert_eq!(csrr(&mut c, 0x341).unwrap(), 0x8000_0002);
        csrw(&mut c, 0x141, 0x8000_0007).unwrap();
        assert_eq!(csrr(&mut c, 0x141).unwrap(), 0x8000_0006);
    }

    #[test]
    fn satp_modes_and_tvm() {
        let mut c = cpu();
        let sv39 = (8 << 60) | (5 << 44) | 0x80123;
        csrw(&mut c, 0x180, sv39).unwrap();
        assert_eq!(csrr(&mut c, 0x180).unwrap(), sv39);
        csrw(&mut c, 0x180, (9 << 60) | 0x80124).unwrap();
        assert_eq!(csrr(&mut c, 0x180).unwrap(), (9 << 60) | 0x80124);
        csrw(&mut c, 0x180, (1 << 60) | 0x5).unwrap();
        assert_eq!(csrr(&mut c, 0x180).unwrap(), (9 << 60) | 0x80124, "unsupported mode: unchanged");
        c.hart.prv = Priv::S;
        assert!(csrr(&mut c, 0x180).is_ok());
        c.hart.csr.mstatus |= MSTATUS_TVM;
        assert_eq!(csrr(&mut c, 0x180).unwrap_err().cause, Cause::IllegalInstruction);
        assert_eq!(csrw(&mut c, 0x180, 0).unwrap_err().cause, Cause::IllegalInstruction);
        c.hart.prv = Priv::M;
        assert!(csrw(&mut c, 0x180, 0).is_ok(), "TVM does not bind M");
    }

    #[test]
    fn fp_csrs_need_fs_and_dirty_it() {
        let mut c = cpu();
        assert_eq!(csrr(&mut c, 0x003).unwrap_err().cause, Cause::IllegalInstruction);
        c.hart.csr.mstatus |= 1 << MSTATUS_FS_SHIFT; // Initial
        csrw(&mut c, 0x002, 0b101).unwrap();
        assert_eq!(c.hart.csr.mstatus & MSTATUS_FS, MSTATUS_FS, "write makes FS dirty");
        assert_ne!(csrr(&mut c, MSTATUS).unwrap() & MSTATUS_SD, 0);
        csrw(&mut c, 0x001, 0xff).unwrap();
        assert_eq!(csrr(&mut c, 0x003).unwrap(), 0b101_11111);
        csrw(&mut c, 0x003, 0x1ff).unwrap();
        assert_eq!(csrr(&mut c, 0x002).unwrap(), 7);
        assert_eq!(csrr(&mut c, 0x001).unwrap(), 0x1f);
        assert_eq!(csrr(&mut c, 0x003).unwrap(), 0xff);
    }

    #[test]
    fn counters_and_counteren() {
        let mut c = cpu();
        c.hart.instret = 100;
        csrw(&mut c, 0xb02, 5000).unwrap();
        c.hart.instret += 1; // the csrw retires
        assert_eq!(csrr(&mut c, 0xb02).unwrap(), 5000);
        c.hart.instret += 10;
        assert_eq!(csrr(&mut c, 0xc02).unwrap(), 5010);
        assert_eq!(csrr(&mut c, 0xb03).unwrap(), 0, "mhpmcounter3 reads zero");
        csrw(&mut c, 0x323, 9).unwrap();
        assert_eq!(csrr(&mut c, 0x323).unwrap(), 0);
        c.clock.set_mtime(1 << 40);
        assert!(csrr(&mut c, 0xc01).unwrap() >= 1 << 40);
        c.hart.prv = Priv::S;
        assert_eq!(csrr(&mut c, 0xc01).unwrap_err().cause, Cause::IllegalInstruction);
        c.hart.csr.mcounteren = 0b010; // TM
        assert!(csrr(&mut c, 0xc01).is_ok());
        assert!(csrr(&mut c, 0xc00).is_err());
        c.hart.prv = Priv::U;
        assert!(csrr(&mut c, 0xc01).is_err(), "U also needs scounteren");
        c.hart.csr.scounteren = 0b111;
        assert!(csrr(&mut c, 0xc01).is_ok());
        assert!(csrr(&mut c, 0xc02).is_err(), "and mcounteren");
    }

    #[test]
    fn mcountinhibit_stops_counters() {
        let mut c = cpu();
        c.hart.instret = 50;
        csrw(&mut c, 0x320, 0b101).unwrap(); // stop CY and IR
        c.hart.instret += 1;
        let (cy, ir) = (csrr(&mut c, 0xb00).unwrap(), csrr(&mut c, 0xb02).unwrap());
        c.hart.instret += 100;
        assert_eq!(csrr(&mut c, 0xb00).unwrap(), cy);
        assert_eq!(csrr(&mut c, 0xb02).unwrap(), ir);
        csrw(&mut c, 0xb02, 7).unwrap();
        c.hart.instret += 1;
        assert_eq!(csrr(&mut c, 0xb02).unwrap(), 7, "writable while stopped");
        csrw(&mut c, 0x320, 0).unwrap();
        c.hart.instret += 1;
        assert_eq!(csrr(&mut c, 0xb02).unwrap(), 7, "restarts from where it stopped");
        c.hart.instret += 5;
        assert_eq!(csrr(&mut c, 0xb02).unwrap(), 12);
        assert_eq!(csrr(&mut c, 0xb00).unwrap(), cy + 5);
        csrw(&mut c, 0x320, u64::MAX).unwrap();
        assert_eq!(csrr(&mut c, 0x320).unwrap(), 0xffff_fffd, "TM is read-only zero");
    }

    #[test]
    fn mip_sip_sie_views() {
        let mut c = cpu();
        csrw(&mut c, 0x344, u64::MAX).unwrap();
        assert_eq!(csrr(&mut c, 0x344).unwrap(), 0x222, "SSIP, STIP, SEIP writable");
        csrw(&mut c, 0x344, 0).unwrap();
        // A device line is visible but a read-modify-write does not latch it.
        c.irq.set(9, true);
        assert_eq!(csrr(&mut c, 0x344).unwrap(), 0x200);
        exec(&mut c, insn(Op::Csrrsi, 0, 0x344, 2)).unwrap();
        c.irq.set(9, false);
        assert_eq!(csrr(&mut c, 0x344).unwrap(), 0x2);
        csrw(&mut c, 0x344, 0).unwrap();
        // sip: nothing visible or writable until delegated, then only SSIP writable.
        csrw(&mut c, 0x144, u64::MAX).unwrap();
        assert_eq!(c.hart.csr.mip, 0);
        c.hart.csr.mideleg = 0x222;
        csrw(&mut c, 0x144, u64::MAX).unwrap();
        assert_eq!(c.hart.csr.mip, 0x2);
        c.hart.csr.mip |= 0x20;
        assert_eq!(csrr(&mut c, 0x144).unwrap(), 0x22);
        c.hart.csr.mideleg = 0x20;
        assert_eq!(csrr(&mut c, 0x144).unwrap(), 0x20);
        // sie writes only the delegated bits of mie.
        csrw(&mut c, 0x304, 0x888).unwrap();
        csrw(&mut c, 0x104, u64::MAX).unwrap();
        assert_eq!(csrr(&mut c, 0x304).unwrap(), 0x8a8);
        assert_eq!(csrr(&mut c, 0x104).unwrap(), 0x20);
    }

    #[test]
    fn pmp_csrs_warl_and_lock() {
        let mut c = cpu();
        csrw(&mut c, 0x3b0, u64::MAX).unwrap();
        assert_eq!(csrr(&mut c, 0x3b0).unwrap(), (1 << 54) - 1);
        // Entry 0: W without R is reserved; entry 1: TOR RWX with bits 6:5 dropped.
        csrw(&mut c, 0x3a0, 0x6f_1a).unwrap();
        assert_eq!(csrr(&mut c, 0x3a0).unwrap(), 0x0f_00);
        // Lock entry 1 as TOR: pmpaddr0 (its bottom), pmpaddr1 and its cfg freeze.
        csrw(&mut c, 0x3a0, 0x8f_00).unwrap();
        csrw(&mut c, 0x3b0, 0x100).unwrap();
        csrw(&mut c, 0x3b1, 0x200).unwrap();
        csrw(&mut c, 0x3a0, 0x00_1f).unwrap();
        assert_eq!(csrr(&mut c, 0x3a0).unwrap(), 0x8f_1f);
        assert_eq!(csrr(&mut c, 0x3b0).unwrap(), (1 << 54) - 1);
        assert_eq!(csrr(&mut c, 0x3b1).unwrap(), 0);
        csrw(&mut c, 0x3a2, 0x1f).unwrap();
        assert_eq!(csrr(&mut c, 0x3a2).unwrap(), 0x1f);
        assert_eq!(csrr(&mut c, 0x3a1).unwrap_err().cause, Cause::IllegalInstruction, "no odd pmpcfg on RV64");
    }

    #[test]
    fn debug_trigger_probe() {
        // riscv-tests write tselect/tdata1 and skip when the value does not stick.
        let mut c = cpu();
        csrw(&mut c, 0x7a0, 0).unwrap();
        csrw(&mut c, 0x7a1, (2 << 60) | 0x44).unwrap();
        assert_eq!(csrr(&mut c, 0x7a1).unwrap(), 0);
    }
}
