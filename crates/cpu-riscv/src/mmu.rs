//! Address translation (Sv39, Sv48; Privileged spec 4.3-4.5) and PMP (3.7).

use crate::cpu::Cpu;
use crate::trap::Exception;

/// The kind of access being translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

impl Cpu {
    /// Translate a virtual address for `access` at the current privilege.
    /// Placeholder: bare (identity) translation, no PMP.
    pub fn translate(&mut self, vaddr: u64, _access: Access) -> Result<u64, Exception> {
        Ok(vaddr)
    }
}
