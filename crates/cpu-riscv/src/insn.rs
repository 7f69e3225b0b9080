//! The decoded instruction: the one typed value the interpreter, the
//! disassembler and the JIT consume.

use crate::ops::{Op, OpInfo};

/// Operand layout of an operation: which fields `Insn` carries and how the
/// disassembler prints them. `x` = integer register, `f` = FP register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `rd, rs1, rs2` (x)
    R,
    /// `rd, rs1, imm` (x); imm is the sign-extended 12-bit immediate
    I,
    /// `rd, rs1, shamt` (x); imm is the shift amount
    Shift,
    /// `rd, imm(rs1)` (x)
    Load,
    /// `rs2, imm(rs1)` (x)
    Store,
    /// `rs1, rs2, target`; imm is the pc-relative offset
    B,
    /// `rd, imm`; imm holds the already-shifted value (`imm20 << 12`, sign-extended)
    U,
    /// `rd, target`; imm is the pc-relative offset
    J,
    /// `rd, imm(rs1)`
    Jalr,
    /// `fence pred, succ`: imm holds bits 31:20 (fm, pred, succ)
    Fence,
    /// no operands
    None,
    /// `rs1, rs2`
    Sfence,
    /// `rd, csr, rs1`: imm holds the CSR number
    Csr,
    /// `rd, csr, uimm`: imm holds the CSR number, rs1 the 5-bit immediate
    CsrI,
    /// `rd, (rs1)`; `aqrl` holds aq (bit 1) and rl (bit 0)
    Lr,
    /// `rd, rs2, (rs1)`; `aqrl` as for `Lr`
    Amo,
    /// `frd, imm(rs1)`
    FLoad,
    /// `frs2, imm(rs1)`
    FStore,
    /// `frd, frs1, frs2, frs3, rm`
    R4,
    /// `frd, frs1, frs2, rm`
    FRrm,
    /// `frd, frs1, frs2`
    FR,
    /// `frd, frs1, rm`
    FR1rm,
    /// `rd, frs1, frs2` (x result)
    FCmp,
    /// `rd, frs1, rm` (x result)
    FtoXrm,
    /// `rd, frs1` (x result)
    FtoX,
    /// `frd, rs1, rm` (x source)
    XtoFrm,
    /// `frd, rs1` (x source)
    XtoF,
}

/// A decoded instruction. Fields a format does not use are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub rs3: u8,
    /// Rounding mode field (bits 14:12) for FP operations that have one.
    pub rm: u8,
    /// aq (bit 1) / rl (bit 0) for atomics.
    pub aqrl: u8,
    /// Length in bytes: 4, or 2 for a compressed instruction.
    pub len: u8,
    pub imm: i32,
    /// The raw encoding as fetched (16 bits for a compressed instruction);
    /// `mtval` of an illegal-instruction trap reports it (Privileged spec 3.1.16).
    pub raw: u32,
}

impl Insn {
    /// The illegal instruction `raw` of length `len`.
    pub const fn illegal(raw: u32, len: u8) -> Insn {
        Insn { op: Op::Illegal, rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, aqrl: 0, len, imm: 0, raw }
    }

    pub fn info(&self) -> Option<&'static OpInfo> {
        self.op.info()
    }

    pub fn is_compressed(&self) -> bool {
        self.len == 2
    }
}
