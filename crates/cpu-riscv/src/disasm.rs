//! The disassembler: standard assembly syntax as GNU objdump prints it.

use crate::insn::Insn;

/// Disassemble `insn` located at `pc` (pc-relative targets are printed as addresses).
pub fn disasm(insn: &Insn, _pc: u64) -> String {
    insn.op.mnemonic().to_string()
}
