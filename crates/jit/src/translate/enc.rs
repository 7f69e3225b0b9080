//! x86-64 instructions with a memory operand, encoded by hand where
//! dynasm-rs's encoding is longer than it need be: it gives a displacement
//! known only at run time four bytes even when one would do, and a base
//! register chosen at run time a SIB byte it does not need (its language
//! reference: displacement sizes cannot be overridden). Guest registers in
//! the `Hart` (`[rbx + d]`) and loads through the direct-read window
//! (`[base + addend]`) are in nearly every block, and bytes of hot code
//! cost here about as much as operations (the tenth session's
//! measurement). The tests hold these encodings to iced-x86's encoder.

use dynasmrt::DynasmApi;

use super::Asm;

/// A memory operand `[base + index + disp]` (dynasm register numbers; the
/// index is never rsp, which x86 cannot scale).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Mem {
    pub base: u8,
    pub index: Option<u8>,
    pub disp: i32,
}

impl Mem {
    pub(crate) const fn at(base: u8, disp: i32) -> Mem {
        Mem { base, index: None, disp }
    }
}

/// The `r/m` operand of an instruction: a register or memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Rm {
    Reg(u8),
    Mem(Mem),
}

impl From<Mem> for Rm {
    fn from(m: Mem) -> Rm {
        Rm::Mem(m)
    }
}

/// Operand size: 8, 16 (the 0x66 prefix), 32 or 64 bits (REX.W).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum W {
    B,
    H,
    D,
    Q,
}

/// An instruction whose ModRM `reg` field names the register `reg` (of
/// size `w`) and whose `r/m` operand is `m`: `opcode reg, [m]` or
/// `opcode [m], reg`, as the opcode says. The caller appends an immediate.
pub(crate) fn rm(a: &mut Asm, w: W, opcode: &[u8], reg: u8, m: Mem) {
    emit(a, w, opcode, reg, Rm::Mem(m), byte_reg(w, reg));
}

/// An instruction whose ModRM `reg` field is the opcode extension
/// `digit` (`opcode /digit`) with `r/m` operand `to`.
pub(crate) fn ext(a: &mut Asm, w: W, opcode: &[u8], digit: u8, to: Rm) {
    let force_rex = matches!(to, Rm::Reg(r) if byte_reg(w, r));
    emit(a, w, opcode, digit & 7, to, force_rex);
}

/// Whether register `r` at width `w` needs a REX prefix of its own: spl,
/// bpl, sil and dil exist only with one (without, 4-7 name ah, ch, dh, bh).
fn byte_reg(w: W, r: u8) -> bool {
    w == W::B && (4..8).contains(&r)
}

fn emit(a: &mut Asm, w: W, opcode: &[u8], reg: u8, to: Rm, force_rex: bool) {
    if w == W::H {
        a.push(0x66);
    }
    let m = match to {
        Rm::Reg(r) => {
            // Mod 11: the register itself.
            let rex = 0x40 | u8::from(w == W::Q) << 3 | (reg >> 3 & 1) << 2 | (r >> 3 & 1);
            if rex != 0x40 || force_rex {
                a.push(rex);
            }
            a.extend(opcode.iter().copied());
            a.push(0xc0 | (reg & 7) << 3 | (r & 7));
            return;
        }
        Rm::Mem(m) => m,
    };
    debug_assert!(m.index != Some(4), "rsp cannot be an index");
    let (base, index) = (m.base & 15, m.index.unwrap_or(4) & 15);
    let rex = 0x40 | u8::from(w == W::Q) << 3 | (reg >> 3 & 1) << 2 | (index >> 3) << 1 | base >> 3;
    if rex != 0x40 || force_rex {
        a.push(rex);
    }
    a.extend(opcode.iter().copied());
    // Mod 00 has no displacement, but with a base of rbp or r13 (low bits
    // 101) it means rip-relative (or no base, with a SIB): those take a
    // zero disp8.
    let (md, disp8) = match i8::try_from(m.disp) {
        Ok(0) if base & 7 != 5 => (0, None),
        Ok(d) => (1, Some(d)),
        Err(_) => (2, None),
    };
    // r/m 100 means a SIB byte follows: needed for an index, and for a
    // base of rsp or r12.
    let sib = m.index.is_some() || base & 7 == 4;
    let rm = if sib { 4 } else { base & 7 };
    a.push(md << 6 | (reg & 7) << 3 | rm);
    if sib {
        a.push((index & 7) << 3 | base & 7);
    }
    match (md, disp8) {
        (1, Some(d)) => a.push(d as u8),
        (2, _) => a.push_i32(m.disp),
        _ => {}
    }
}

/// Opcodes used with `rm` and `ext`.
pub(crate) mod op {
    /// `mov r, [m]` / `mov [m], r` / `mov [m], imm32` (`/0`); byte stores.
    pub const MOV_LOAD: &[u8] = &[0x8b];
    pub const MOV_STORE: &[u8] = &[0x89];
    pub const MOV_STORE8: &[u8] = &[0x88];
    pub const MOV_IMM: &[u8] = &[0xc7];
    pub const LEA: &[u8] = &[0x8d];
    pub const MOVSXD: &[u8] = &[0x63];
    pub const MOVSX8: &[u8] = &[0x0f, 0xbe];
    pub const MOVSX16: &[u8] = &[0x0f, 0xbf];
    pub const MOVZX8: &[u8] = &[0x0f, 0xb6];
    pub const MOVZX16: &[u8] = &[0x0f, 0xb7];
    pub const IMUL: &[u8] = &[0x0f, 0xaf];
    /// Group 1 with an imm8 (sign-extended) or imm32: `/digit` as `Alu::ext`.
    pub const GRP1_IMM8: &[u8] = &[0x83];
    pub const GRP1_IMM32: &[u8] = &[0x81];
    /// Group 2 shifts by an imm8 or by cl: `/4` shl, `/5` shr, `/7` sar.
    pub const SHIFT_IMM: &[u8] = &[0xc1];
    pub const SHIFT_CL: &[u8] = &[0xd3];
}

/// The opcodes of one two-operand ALU operation of group 1.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Alu {
    /// `op r, [m]`.
    pub load: u8,
    /// `op [m], r`.
    pub store: u8,
    /// `op [m], imm` is `GRP1_IMM8`/`GRP1_IMM32` with this `/digit`.
    pub ext: u8,
}

pub(crate) const ADD: Alu = Alu { load: 0x03, store: 0x01, ext: 0 };
pub(crate) const OR: Alu = Alu { load: 0x0b, store: 0x09, ext: 1 };
pub(crate) const AND: Alu = Alu { load: 0x23, store: 0x21, ext: 4 };
pub(crate) const SUB: Alu = Alu { load: 0x2b, store: 0x29, ext: 5 };
pub(crate) const XOR: Alu = Alu { load: 0x33, store: 0x31, ext: 6 };
pub(crate) const CMP: Alu = Alu { load: 0x3b, store: 0x39, ext: 7 };

/// `op r/m, imm` of group 1, with the shorter immediate where it fits
/// (dynasm-rs takes four bytes for an immediate known only at run time).
pub(crate) fn alu_imm(a: &mut Asm, w: W, alu: Alu, to: impl Into<Rm>, imm: i32) {
    // 0x83/0x81 are the 16-, 32- and 64-bit forms (bytes have 0x80).
    debug_assert!(w != W::B);
    let to = to.into();
    match i8::try_from(imm) {
        Ok(b) => {
            ext(a, w, op::GRP1_IMM8, alu.ext, to);
            a.push(b as u8);
        }
        Err(_) => {
            ext(a, w, op::GRP1_IMM32, alu.ext, to);
            a.push_i32(imm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced_x86::{Code, Encoder, Instruction, MemoryOperand, Register};

    const Q: [Register; 16] = [
        Register::RAX,
        Register::RCX,
        Register::RDX,
        Register::RBX,
        Register::RSP,
        Register::RBP,
        Register::RSI,
        Register::RDI,
        Register::R8,
        Register::R9,
        Register::R10,
        Register::R11,
        Register::R12,
        Register::R13,
        Register::R14,
        Register::R15,
    ];

    fn sized(w: W, r: u8) -> Register {
        let q = Q[usize::from(r)];
        match w {
            W::Q => q,
            W::D => [
                Register::EAX,
                Register::ECX,
                Register::EDX,
                Register::EBX,
                Register::ESP,
                Register::EBP,
                Register::ESI,
                Register::EDI,
                Register::R8D,
                Register::R9D,
                Register::R10D,
                Register::R11D,
                Register::R12D,
                Register::R13D,
                Register::R14D,
                Register::R15D,
            ][usize::from(r)],
            W::H => [
                Register::AX,
                Register::CX,
                Register::DX,
                Register::BX,
                Register::SP,
                Register::BP,
                Register::SI,
                Register::DI,
                Register::R8W,
                Register::R9W,
                Register::R10W,
                Register::R11W,
                Register::R12W,
                Register::R13W,
                Register::R14W,
                Register::R15W,
            ][usize::from(r)],
            W::B => [
                Register::AL,
                Register::CL,
                Register::DL,
                Register::BL,
                Register::SPL,
                Register::BPL,
                Register::SIL,
                Register::DIL,
                Register::R8L,
                Register::R9L,
                Register::R10L,
                Register::R11L,
                Register::R12L,
                Register::R13L,
                Register::R14L,
                Register::R15L,
            ][usize::from(r)],
        }
    }

    fn iced(i: Instruction) -> Vec<u8> {
        let mut e = Encoder::new(64);
        e.encode(&i, 0).unwrap();
        e.take_buffer()
    }

    fn ours(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let mut a = Asm::new(0);
        f(&mut a);
        a.finalize().unwrap()
    }

    fn mems() -> Vec<Mem> {
        let mut out = Vec::new();
        for base in 0..16 {
            for index in [None, Some(1), Some(13), Some(5), Some(8)] {
                for disp in [0, 1, -1, 127, -128, 128, -129, 0x7fff_ffff, i32::MIN, 0x130] {
                    out.push(Mem { base, index, disp });
                }
            }
        }
        out
    }

    fn operand(m: Mem) -> MemoryOperand {
        let index = m.index.map_or(Register::None, |i| Q[usize::from(i)]);
        MemoryOperand::with_base_index_scale_displ_size(
            Q[usize::from(m.base)],
            index,
            1,
            i64::from(m.disp),
            if m.disp == 0 { 0 } else { 1 },
        )
    }

    #[test]
    fn register_and_memory_forms_match_iced() {
        let cases: [(W, &[u8], Code, bool); 14] = [
            (W::Q, op::MOV_LOAD, Code::Mov_r64_rm64, true),
            (W::D, op::MOV_LOAD, Code::Mov_r32_rm32, true),
            (W::Q, op::MOV_STORE, Code::Mov_rm64_r64, false),
            (W::D, op::MOV_STORE, Code::Mov_rm32_r32, false),
            (W::H, op::MOV_STORE, Code::Mov_rm16_r16, false),
            (W::B, op::MOV_STORE8, Code::Mov_rm8_r8, false),
            (W::Q, op::LEA, Code::Lea_r64_m, true),
            (W::Q, op::MOVSXD, Code::Movsxd_r64_rm32, true),
            (W::Q, op::MOVSX8, Code::Movsx_r64_rm8, true),
            (W::Q, op::MOVSX16, Code::Movsx_r64_rm16, true),
            (W::D, op::MOVZX8, Code::Movzx_r32_rm8, true),
            (W::D, op::MOVZX16, Code::Movzx_r32_rm16, true),
            (W::Q, op::IMUL, Code::Imul_r64_rm64, true),
            (W::Q, &[CMP.load], Code::Cmp_r64_rm64, true),
        ];
        for (w, opcode, code, reg_first) in cases {
            // The register operand of movsx/movzx/lea is the destination's
            // size, not the memory operand's.
            let rw = match code {
                Code::Movsx_r64_rm8 | Code::Movsx_r64_rm16 | Code::Movsxd_r64_rm32 => W::Q,
                Code::Movzx_r32_rm8 | Code::Movzx_r32_rm16 => W::D,
                _ => w,
            };
            for reg in 0..16 {
                for m in mems() {
                    let r = sized(rw, reg);
                    let i = if reg_first {
                        Instruction::with2(code, r, operand(m))
                    } else {
                        Instruction::with2(code, operand(m), r)
                    }
                    .unwrap();
                    let got = ours(|a| rm(a, w, opcode, reg, m));
                    assert_eq!(got, iced(i), "{code:?} reg {reg} {m:?}");
                }
            }
        }
    }

    #[test]
    fn register_immediate_forms_match_iced() {
        for r in 0..16 {
            for imm in [0, -5, 127, 128, -128, -129, 0x1234_5678, i32::MIN] {
                let short = i8::try_from(imm).is_ok();
                for (w, alu, c8, c32) in [
                    (W::Q, CMP, Code::Cmp_rm64_imm8, Code::Cmp_rm64_imm32),
                    (W::Q, ADD, Code::Add_rm64_imm8, Code::Add_rm64_imm32),
                    (W::D, AND, Code::And_rm32_imm8, Code::And_rm32_imm32),
                ] {
                    let code = if short { c8 } else { c32 };
                    let i = Instruction::with2(code, sized(w, r), imm).unwrap();
                    assert_eq!(ours(|a| alu_imm(a, w, alu, Rm::Reg(r), imm)), iced(i), "{code:?} {r} {imm}");
                }
            }
        }
    }

    #[test]
    fn immediate_and_extension_forms_match_iced() {
        for m in mems() {
            for (alu, c8, c32) in [
                (ADD, Code::Add_rm64_imm8, Code::Add_rm64_imm32),
                (SUB, Code::Sub_rm64_imm8, Code::Sub_rm64_imm32),
                (CMP, Code::Cmp_rm64_imm8, Code::Cmp_rm64_imm32),
                (XOR, Code::Xor_rm64_imm8, Code::Xor_rm64_imm32),
            ] {
                for imm in [0, -5, 127, 128, -129, 0x1234_5678] {
                    let code = if i8::try_from(imm).is_ok() { c8 } else { c32 };
                    let i = Instruction::with2(code, operand(m), imm).unwrap();
                    assert_eq!(ours(|a| alu_imm(a, W::Q, alu, m, imm)), iced(i), "{code:?} {m:?} {imm}");
                }
            }
            for (w, alu, code) in [(W::Q, OR, Code::Or_r64_rm64), (W::D, AND, Code::And_r32_rm32)] {
                let i = Instruction::with2(code, sized(w, 9), operand(m)).unwrap();
                assert_eq!(ours(|a| rm(a, w, &[alu.load], 9, m)), iced(i), "{code:?} {m:?}");
            }
            let i = Instruction::with2(Code::Add_rm32_r32, operand(m), Register::EDI).unwrap();
            assert_eq!(ours(|a| rm(a, W::D, &[ADD.store], 7, m)), iced(i), "{m:?}");
            let i = Instruction::with2(Code::Mov_rm64_imm32, operand(m), -7).unwrap();
            assert_eq!(
                ours(|a| {
                    ext(a, W::Q, op::MOV_IMM, 0, m.into());
                    a.push_i32(-7)
                }),
                iced(i),
                "{m:?}"
            );
            let i = Instruction::with2(Code::Shl_rm32_imm8, operand(m), 3u32).unwrap();
            assert_eq!(
                ours(|a| {
                    ext(a, W::D, op::SHIFT_IMM, 4, m.into());
                    a.push(3)
                }),
                iced(i),
                "{m:?}"
            );
            let i = Instruction::with2(Code::Sar_rm64_CL, operand(m), Register::CL).unwrap();
            assert_eq!(ours(|a| ext(a, W::Q, op::SHIFT_CL, 7, m.into())), iced(i), "{m:?}");
        }
    }
}
