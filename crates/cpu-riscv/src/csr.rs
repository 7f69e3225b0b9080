//! The CSR table: name, access predicate, read and write for every CSR
//! (Privileged spec ch. 2 and 3, Unprivileged spec ch. 9 and 11.2).

use crate::cpu::Cpu;
use crate::trap::Exception;

/// Read CSR `addr` as the current privilege may. Placeholder: every CSR is illegal.
pub fn read(_cpu: &mut Cpu, addr: u16) -> Result<u64, Exception> {
    Err(Exception::illegal(u32::from(addr) << 20 | 0x2073))
}

/// Write CSR `addr`. Placeholder: every CSR is illegal.
pub fn write(_cpu: &mut Cpu, addr: u16, _val: u64) -> Result<(), Exception> {
    Err(Exception::illegal(u32::from(addr) << 20 | 0x1073))
}

impl Cpu {
    /// Illegal instruction if mstatus.FS is Off (Privileged spec 3.1.6.6).
    pub fn fs_check(&self) -> Result<(), Exception> {
        Ok(())
    }

    /// Mark the FP state Dirty (FS = 3, SD = 1).
    pub fn fs_dirty(&mut self) {}
}

/// The name of CSR `addr` as assemblers spell it, for the disassembler and
/// register dumps. Placeholder until the CSR table lands.
pub fn csr_name(_addr: u16) -> Option<&'static str> {
    None
}
