//! The decoder: 32-bit and compressed encodings to `Insn`, driven by `ops::OPS`.

use crate::insn::Insn;

/// Decode the instruction whose low bits are `raw`. If `raw & 3 != 3` it is a
/// compressed instruction and only the low 16 bits are used.
pub fn decode(raw: u32) -> Insn {
    if raw & 3 != 3 {
        Insn::illegal(raw & 0xffff, 2)
    } else {
        Insn::illegal(raw, 4)
    }
}
