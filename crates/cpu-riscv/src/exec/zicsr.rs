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
    let addr = (i.imm as u32 & 0xfff) as u16;
    let with_tval = |e: Exception| {
        if e.cause == Cause::IllegalInstruction {
            Exception::illegal(i.raw)
        } else {
            e
        }
    };
    // Check the write permission first so that a trap leaves no state changed.
    csr::check_access(cpu, addr, new.is_some()).map_err(with_tval)?;
    let old = if read { csr::read(cpu, addr).map_err(with_tval)? } else { 0 };
    if let Some(f) = new {
        csr::write(cpu, addr, f(csr::rmw_base(cpu, addr, old))).map_err(with_tval)?;
    }
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
