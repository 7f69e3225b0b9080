//! Integer loads and stores: the software TLB's hit path inline (one
//! compare of the entry's tag, one add of its host addend, as TinyEMU's),
//! everything else (miss, MMIO, misaligned, fault) through the
//! instruction's handler on a slow path (`mod.rs`).

use cpu_riscv::engine::{DirectReads, TLB_LAYOUT};
use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use super::regs::{get, loc, set, R, RAX, RDX};
use super::Asm;

const TLB_SHIFT: i8 = TLB_LAYOUT.entry_size.trailing_zeros() as i8;
const TLB_MASK: i32 = TLB_LAYOUT.entries as i32 - 1;
const READ_TAG: i32 = (TLB_LAYOUT.read + TLB_LAYOUT.tag) as i32;
const READ_HOST: i32 = (TLB_LAYOUT.read + TLB_LAYOUT.host) as i32;
const WRITE_TAG: i32 = (TLB_LAYOUT.write + TLB_LAYOUT.tag) as i32;
const WRITE_HOST: i32 = (TLB_LAYOUT.write + TLB_LAYOUT.host) as i32;

const _: () = assert!(TLB_LAYOUT.entry_size.is_power_of_two() && TLB_SHIFT <= 12);
const _: () = assert!(DirectReads::MAX_LEN <= i32::MAX as u64);

#[derive(Clone, Copy)]
pub(crate) enum Mem {
    Load { size: u8, signed: bool },
    Store { size: u8 },
}

pub(crate) fn kind(op: Op) -> Option<Mem> {
    let l = |size, signed| Some(Mem::Load { size, signed });
    match op {
        Op::Lb => l(1, true),
        Op::Lh => l(2, true),
        Op::Lw => l(4, true),
        Op::Ld => l(8, false),
        Op::Lbu => l(1, false),
        Op::Lhu => l(2, false),
        Op::Lwu => l(4, false),
        Op::Sb => Some(Mem::Store { size: 1 }),
        Op::Sh => Some(Mem::Store { size: 2 }),
        Op::Sw => Some(Mem::Store { size: 4 }),
        Op::Sd => Some(Mem::Store { size: 8 }),
        _ => None,
    }
}

/// The host address of the `size`-byte access at `x[rs1] + imm` as
/// `[rax + rcx]`, through the direct-read window `direct` for loads when
/// there is one (`cpu_riscv::engine::DirectReads`: `rax` = the virtual
/// address, `rcx` = the window's addend, once the address is checked to
/// lie inside), else through the read (or write) TLB as `Cpu::load` /
/// `Cpu::store` on a hit: entry `(vaddr >> 12) % entries` hits when its
/// tag equals `vaddr & (!0xfff | (size - 1))`, so misaligned accesses
/// always miss. Anything else jumps to `slow`. Uses rdx.
pub(crate) fn translate(
    a: &mut Asm,
    rs1: u8,
    imm: i32,
    size: u8,
    write: bool,
    direct: Option<&DirectReads>,
    slow: DynamicLabel,
) {
    match loc(rs1) {
        R::Host(h) if imm == 0 => dynasm!(a; .arch x64; mov rax, Rq(h)),
        R::Host(h) => dynasm!(a; .arch x64; lea rax, [Rq(h) + imm]),
        _ => {
            get(a, RAX, rs1);
            if imm != 0 {
                dynasm!(a; .arch x64; add rax, imm);
            }
        }
    }
    if let (Some(w), false) = (direct, write) {
        // rdx = vaddr - lo; inside if rdx <= len - size, unsigned. The
        // check is off the load's dependency chain (address, then load).
        match i32::try_from(w.lo.wrapping_neg() as i64) {
            Ok(neg_lo) => dynasm!(a; .arch x64; lea rdx, [rax + neg_lo]),
            Err(_) => dynasm!(a; .arch x64; mov rdx, QWORD w.lo.wrapping_neg() as i64; add rdx, rax),
        }
        let last = (w.len - u64::from(size)) as i32; // len <= MAX_LEN
        dynasm!(a; .arch x64
            ; cmp rdx, last
            ; ja =>slow
            ; mov rcx, QWORD w.addend as i64
        );
        return;
    }
    let (tag, host) = if write { (WRITE_TAG, WRITE_HOST) } else { (READ_TAG, READ_HOST) };
    let tag_mask = !0xfff_i32 | (i32::from(size) - 1);
    entry_of(a, tag_mask);
    dynasm!(a; .arch x64
        ; cmp rdx, QWORD [r14 + rcx + tag]
        ; jne =>slow
        ; mov rcx, QWORD [r14 + rcx + host]
    );
}

/// For the virtual address in `rax`: `rcx` = the offset of its TLB entries
/// (`(vaddr >> 12) % entries`, scaled: one shift and one mask, as the
/// index's bits all lie in the low half), `rdx` = the tag to compare.
fn entry_of(a: &mut Asm, tag_mask: i32) {
    dynasm!(a; .arch x64
        ; mov ecx, eax
        ; shr ecx, 12 - TLB_SHIFT
        ; and ecx, TLB_MASK << TLB_SHIFT
        ; mov rdx, rax
        ; and rdx, tag_mask
    );
}

/// The hit path of a load or store; anything else jumps to `slow`.
/// `direct`: the direct-read window loads may use.
pub(crate) fn emit(a: &mut Asm, i: &Insn, kind: Mem, direct: Option<&DirectReads>, slow: DynamicLabel) {
    match kind {
        Mem::Load { size, signed } => {
            translate(a, i.rs1, i.imm, size, false, direct, slow);
            // Straight into rd's host register if it has one.
            let d = match loc(i.rd) {
                R::Host(h) => h,
                _ => RAX,
            };
            match (size, signed) {
                (1, true) => dynasm!(a; .arch x64; movsx Rq(d), BYTE [rax + rcx]),
                (1, false) => dynasm!(a; .arch x64; movzx Rd(d), BYTE [rax + rcx]),
                (2, true) => dynasm!(a; .arch x64; movsx Rq(d), WORD [rax + rcx]),
                (2, false) => dynasm!(a; .arch x64; movzx Rd(d), WORD [rax + rcx]),
                (4, true) => dynasm!(a; .arch x64; movsxd Rq(d), DWORD [rax + rcx]),
                (4, false) => dynasm!(a; .arch x64; mov Rd(d), DWORD [rax + rcx]),
                _ => dynasm!(a; .arch x64; mov Rq(d), QWORD [rax + rcx]),
            }
            if d == RAX {
                set(a, i.rd, RAX);
            }
        }
        Mem::Store { size } => {
            translate(a, i.rs1, i.imm, size, true, None, slow);
            let v = match loc(i.rs2) {
                R::Host(h) => h,
                _ => {
                    get(a, RDX, i.rs2);
                    RDX
                }
            };
            match size {
                1 => dynasm!(a; .arch x64; mov BYTE [rax + rcx], Rb(v)),
                2 => dynasm!(a; .arch x64; mov WORD [rax + rcx], Rw(v)),
                4 => dynasm!(a; .arch x64; mov DWORD [rax + rcx], Rd(v)),
                _ => dynasm!(a; .arch x64; mov QWORD [rax + rcx], Rq(v)),
            }
        }
    }
}
