//! Zicsr inline on the plain CSRs (`cpu_riscv::csr::PLAIN`: the scratch,
//! exception pc, cause and trap value registers, which trap handlers read
//! and write on every trap): the privilege check of Privileged spec 2.1,
//! then the field itself, as the CSR table does. Below that privilege the
//! helper runs the instruction (and raises the illegal-instruction trap).

use cpu_riscv::csr::{plain, PlainCsr};
use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use super::regs::{get, set, RCX, RDX};
use super::{Asm, CSRS, PRV};

/// The plain CSR `i` accesses, if `i` is a CSR instruction on one.
pub(crate) fn inlinable(i: &Insn) -> Option<&'static PlainCsr> {
    use Op::*;
    if !matches!(i.op, Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci) {
        return None;
    }
    plain((i.imm as u32 & 0xfff) as u16)
}

/// Emit `i` on plain CSR `p`, going to `slow` (which runs the helper) when
/// the privilege is too low.
pub(crate) fn emit(a: &mut Asm, i: &Insn, p: &PlainCsr, slow: DynamicLabel) {
    use Op::*;
    let field = CSRS + p.offset as i32;
    dynasm!(a; .arch x64
        ; cmp BYTE [rbx + PRV], p.min_priv() as i8
        ; jb =>slow
    );
    // The operand first: rd may be rs1.
    if matches!(i.op, Csrrwi | Csrrsi | Csrrci) {
        dynasm!(a; .arch x64; mov ecx, i32::from(i.rs1));
    } else {
        get(a, RCX, i.rs1);
    }
    dynasm!(a; .arch x64; mov rdx, QWORD [rbx + field]);
    // csrrs/csrrc with x0 (or 0) do not write (Unprivileged spec 9.1).
    let writes = matches!(i.op, Csrrw | Csrrwi) || i.rs1 != 0;
    if writes {
        match i.op {
            Csrrs | Csrrsi => dynasm!(a; .arch x64; or rcx, rdx),
            Csrrc | Csrrci => dynasm!(a; .arch x64; not rcx; and rcx, rdx),
            _ => {}
        }
        if p.mask != u64::MAX {
            dynasm!(a; .arch x64; mov rax, QWORD p.mask as i64; and rcx, rax);
        }
        dynasm!(a; .arch x64; mov QWORD [rbx + field], rcx);
    }
    set(a, i.rd, RDX);
}
