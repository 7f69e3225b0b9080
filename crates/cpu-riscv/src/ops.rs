//! The one table of RV64GC operations. Every instruction is listed once with
//! its mnemonic, operand format, encoding mask/match and interpreter handler;
//! the decoder, the disassembler and the interpreter's dispatch are all
//! expanded from it, so they cannot drift apart (Cranelift/Pulley style).
//!
//! Compressed (C) instructions decode to the same operations with `len == 2`.
//! Mask/match values follow the RISC-V Unprivileged ISA spec, chapter
//! "RV32/64G Instruction Set Listings", and the Privileged spec for the
//! system instructions.

use crate::exec;
use crate::insn::Format;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct OpInfo {
    pub op: Op,
    pub mnemonic: &'static str,
    pub format: Format,
    /// Bits of a 32-bit encoding that identify the operation.
    pub mask: u32,
    /// Value of those bits.
    pub bits: u32,
    pub ext: Ext,
}

/// The ISA extension an operation belongs to (for misa checks and statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ext {
    I,
    M,
    A,
    F,
    D,
    Zicsr,
    Zifencei,
    Priv,
}

macro_rules! define_ops {
    ($( $variant:ident $mnem:literal $fmt:ident $mask:literal $bits:literal $ext:ident $module:ident::$handler:ident; )*) => {
        /// An RV64GC operation. `Op::Illegal` stands for any encoding that is not one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum Op { $( $variant, )* Illegal }

        /// The table, in `Op` order (`OPS[op as usize].op == op`).
        pub const OPS: &[OpInfo] = &[ $( OpInfo {
            op: Op::$variant, mnemonic: $mnem, format: Format::$fmt,
            mask: $mask, bits: $bits, ext: Ext::$ext,
        }, )* ];

        /// Interpreter handlers, in `Op` order, with the illegal-instruction handler last.
        pub(crate) const HANDLERS: &[exec::Handler] = &[ $( exec::$module::$handler, )* exec::illegal ];

        /// Each row's handler as written in the table (`module::handler`), for the tests.
        #[cfg(test)]
        const HANDLER_NAMES: &[(&str, &str)] = &[ $( (stringify!($module), stringify!($handler)), )* ];
    };
}

impl Op {
    /// The table row of this operation, `None` for `Op::Illegal`.
    pub fn info(self) -> Option<&'static OpInfo> {
        OPS.get(self as usize)
    }

    pub fn mnemonic(self) -> &'static str {
        self.info().map_or("illegal", |i| i.mnemonic)
    }
}

define_ops! {
    // ---- RV64I (Unprivileged spec, ch. 2 and 5) ----
    Lui    "lui"    U     0x0000007f 0x00000037 I rvi::lui;
    Auipc  "auipc"  U     0x0000007f 0x00000017 I rvi::auipc;
    Jal    "jal"    J     0x0000007f 0x0000006f I rvi::jal;
    Jalr   "jalr"   Jalr  0x0000707f 0x00000067 I rvi::jalr;
    Beq    "beq"    B     0x0000707f 0x00000063 I rvi::beq;
    Bne    "bne"    B     0x0000707f 0x00001063 I rvi::bne;
    Blt    "blt"    B     0x0000707f 0x00004063 I rvi::blt;
    Bge    "bge"    B     0x0000707f 0x00005063 I rvi::bge;
    Bltu   "bltu"   B     0x0000707f 0x00006063 I rvi::bltu;
    Bgeu   "bgeu"   B     0x0000707f 0x00007063 I rvi::bgeu;
    Lb     "lb"     Load  0x0000707f 0x00000003 I rvi::lb;
    Lh     "lh"     Load  0x0000707f 0x00001003 I rvi::lh;
    Lw     "lw"     Load  0x0000707f 0x00002003 I rvi::lw;
    Ld     "ld"     Load  0x0000707f 0x00003003 I rvi::ld;
    Lbu    "lbu"    Load  0x0000707f 0x00004003 I rvi::lbu;
    Lhu    "lhu"    Load  0x0000707f 0x00005003 I rvi::lhu;
    Lwu    "lwu"    Load  0x0000707f 0x00006003 I rvi::lwu;
    Sb     "sb"     Store 0x0000707f 0x00000023 I rvi::sb;
    Sh     "sh"     Store 0x0000707f 0x00001023 I rvi::sh;
    Sw     "sw"     Store 0x0000707f 0x00002023 I rvi::sw;
    Sd     "sd"     Store 0x0000707f 0x00003023 I rvi::sd;
    Addi   "addi"   I     0x0000707f 0x00000013 I rvi::addi;
    Slti   "slti"   I     0x0000707f 0x00002013 I rvi::slti;
    Sltiu  "sltiu"  I     0x0000707f 0x00003013 I rvi::sltiu;
    Xori   "xori"   I     0x0000707f 0x00004013 I rvi::xori;
    Ori    "ori"    I     0x0000707f 0x00006013 I rvi::ori;
    Andi   "andi"   I     0x0000707f 0x00007013 I rvi::andi;
    Slli   "slli"   Shift 0xfc00707f 0x00001013 I rvi::slli;
    Srli   "srli"   Shift 0xfc00707f 0x00005013 I rvi::srli;
    Srai   "srai"   Shift 0xfc00707f 0x40005013 I rvi::srai;
    Add    "add"    R     0xfe00707f 0x00000033 I rvi::add;
    Sub    "sub"    R     0xfe00707f 0x40000033 I rvi::sub;
    Sll    "sll"    R     0xfe00707f 0x00001033 I rvi::sll;
    Slt    "slt"    R     0xfe00707f 0x00002033 I rvi::slt;
    Sltu   "sltu"   R     0xfe00707f 0x00003033 I rvi::sltu;
    Xor    "xor"    R     0xfe00707f 0x00004033 I rvi::xor;
    Srl    "srl"    R     0xfe00707f 0x00005033 I rvi::srl;
    Sra    "sra"    R     0xfe00707f 0x40005033 I rvi::sra;
    Or     "or"     R     0xfe00707f 0x00006033 I rvi::or;
    And    "and"    R     0xfe00707f 0x00007033 I rvi::and;
    Fence  "fence"  Fence 0x0000707f 0x0000000f I rvi::fence;
    Addiw  "addiw"  I     0x0000707f 0x0000001b I rvi::addiw;
    Slliw  "slliw"  Shift 0xfe00707f 0x0000101b I rvi::slliw;
    Srliw  "srliw"  Shift 0xfe00707f 0x0000501b I rvi::srliw;
    Sraiw  "sraiw"  Shift 0xfe00707f 0x4000501b I rvi::sraiw;
    Addw   "addw"   R     0xfe00707f 0x0000003b I rvi::addw;
    Subw   "subw"   R     0xfe00707f 0x4000003b I rvi::subw;
    Sllw   "sllw"   R     0xfe00707f 0x0000103b I rvi::sllw;
    Srlw   "srlw"   R     0xfe00707f 0x0000503b I rvi::srlw;
    Sraw   "sraw"   R     0xfe00707f 0x4000503b I rvi::sraw;
    Ecall  "ecall"  None  0xffffffff 0x00000073 I system::ecall;
    Ebreak "ebreak" None  0xffffffff 0x00100073 I system::ebreak;
    // ---- Zifencei ----
    FenceI "fence.i" None 0x0000707f 0x0000100f Zifencei rvi::fence_i;
    // ---- Zicsr ----
    Csrrw  "csrrw"  Csr   0x0000707f 0x00001073 Zicsr zicsr::csrrw;
    Csrrs  "csrrs"  Csr   0x0000707f 0x00002073 Zicsr zicsr::csrrs;
    Csrrc  "csrrc"  Csr   0x0000707f 0x00003073 Zicsr zicsr::csrrc;
    Csrrwi "csrrwi" CsrI  0x0000707f 0x00005073 Zicsr zicsr::csrrwi;
    Csrrsi "csrrsi" CsrI  0x0000707f 0x00006073 Zicsr zicsr::csrrsi;
    Csrrci "csrrci" CsrI  0x0000707f 0x00007073 Zicsr zicsr::csrrci;
    // ---- Privileged (Privileged spec, ch. 3.3 and 4.2.1) ----
    Sret      "sret"       None   0xffffffff 0x10200073 Priv system::sret;
    Mret      "mret"       None   0xffffffff 0x30200073 Priv system::mret;
    Wfi       "wfi"        None   0xffffffff 0x10500073 Priv system::wfi;
    SfenceVma "sfence.vma" Sfence 0xfe007fff 0x12000073 Priv system::sfence_vma;
    // ---- M ----
    Mul    "mul"    R 0xfe00707f 0x02000033 M rvm::mul;
    Mulh   "mulh"   R 0xfe00707f 0x02001033 M rvm::mulh;
    Mulhsu "mulhsu" R 0xfe00707f 0x02002033 M rvm::mulhsu;
    Mulhu  "mulhu"  R 0xfe00707f 0x02003033 M rvm::mulhu;
    Div    "div"    R 0xfe00707f 0x02004033 M rvm::div;
    Divu   "divu"   R 0xfe00707f 0x02005033 M rvm::divu;
    Rem    "rem"    R 0xfe00707f 0x02006033 M rvm::rem;
    Remu   "remu"   R 0xfe00707f 0x02007033 M rvm::remu;
    Mulw   "mulw"   R 0xfe00707f 0x0200003b M rvm::mulw;
    Divw   "divw"   R 0xfe00707f 0x0200403b M rvm::divw;
    Divuw  "divuw"  R 0xfe00707f 0x0200503b M rvm::divuw;
    Remw   "remw"   R 0xfe00707f 0x0200603b M rvm::remw;
    Remuw  "remuw"  R 0xfe00707f 0x0200703b M rvm::remuw;
    // ---- A ----
    LrW      "lr.w"      Lr  0xf9f0707f 0x1000202f A rva::lr_w;
    ScW      "sc.w"      Amo 0xf800707f 0x1800202f A rva::sc_w;
    AmoswapW "amoswap.w" Amo 0xf800707f 0x0800202f A rva::amoswap_w;
    AmoaddW  "amoadd.w"  Amo 0xf800707f 0x0000202f A rva::amoadd_w;
    AmoxorW  "amoxor.w"  Amo 0xf800707f 0x2000202f A rva::amoxor_w;
    AmoandW  "amoand.w"  Amo 0xf800707f 0x6000202f A rva::amoand_w;
    AmoorW   "amoor.w"   Amo 0xf800707f 0x4000202f A rva::amoor_w;
    AmominW  "amomin.w"  Amo 0xf800707f 0x8000202f A rva::amomin_w;
    AmomaxW  "amomax.w"  Amo 0xf800707f 0xa000202f A rva::amomax_w;
    AmominuW "amominu.w" Amo 0xf800707f 0xc000202f A rva::amominu_w;
    AmomaxuW "amomaxu.w" Amo 0xf800707f 0xe000202f A rva::amomaxu_w;
    LrD      "lr.d"      Lr  0xf9f0707f 0x1000302f A rva::lr_d;
    ScD      "sc.d"      Amo 0xf800707f 0x1800302f A rva::sc_d;
    AmoswapD "amoswap.d" Amo 0xf800707f 0x0800302f A rva::amoswap_d;
    AmoaddD  "amoadd.d"  Amo 0xf800707f 0x0000302f A rva::amoadd_d;
    AmoxorD  "amoxor.d"  Amo 0xf800707f 0x2000302f A rva::amoxor_d;
    AmoandD  "amoand.d"  Amo 0xf800707f 0x6000302f A rva::amoand_d;
    AmoorD   "amoor.d"   Amo 0xf800707f 0x4000302f A rva::amoor_d;
    AmominD  "amomin.d"  Amo 0xf800707f 0x8000302f A rva::amomin_d;
    AmomaxD  "amomax.d"  Amo 0xf800707f 0xa000302f A rva::amomax_d;
    AmominuD "amominu.d" Amo 0xf800707f 0xc000302f A rva::amominu_d;
    AmomaxuD "amomaxu.d" Amo 0xf800707f 0xe000302f A rva::amomaxu_d;
    // ---- F ----
    Flw      "flw"       FLoad  0x0000707f 0x00002007 F rvf::flw;
    Fsw      "fsw"       FStore 0x0000707f 0x00002027 F rvf::fsw;
    FmaddS   "fmadd.s"   R4     0x0600007f 0x00000043 F rvf::fmadd_s;
    FmsubS   "fmsub.s"   R4     0x0600007f 0x00000047 F rvf::fmsub_s;
    FnmsubS  "fnmsub.s"  R4     0x0600007f 0x0000004b F rvf::fnmsub_s;
    FnmaddS  "fnmadd.s"  R4     0x0600007f 0x0000004f F rvf::fnmadd_s;
    FaddS    "fadd.s"    FRrm   0xfe00007f 0x00000053 F rvf::fadd_s;
    FsubS    "fsub.s"    FRrm   0xfe00007f 0x08000053 F rvf::fsub_s;
    FmulS    "fmul.s"    FRrm   0xfe00007f 0x10000053 F rvf::fmul_s;
    FdivS    "fdiv.s"    FRrm   0xfe00007f 0x18000053 F rvf::fdiv_s;
    FsqrtS   "fsqrt.s"   FR1rm  0xfff0007f 0x58000053 F rvf::fsqrt_s;
    FsgnjS   "fsgnj.s"   FR     0xfe00707f 0x20000053 F rvf::fsgnj_s;
    FsgnjnS  "fsgnjn.s"  FR     0xfe00707f 0x20001053 F rvf::fsgnjn_s;
    FsgnjxS  "fsgnjx.s"  FR     0xfe00707f 0x20002053 F rvf::fsgnjx_s;
    FminS    "fmin.s"    FR     0xfe00707f 0x28000053 F rvf::fmin_s;
    FmaxS    "fmax.s"    FR     0xfe00707f 0x28001053 F rvf::fmax_s;
    FcvtWS   "fcvt.w.s"  FtoXrm 0xfff0007f 0xc0000053 F rvf::fcvt_w_s;
    FcvtWuS  "fcvt.wu.s" FtoXrm 0xfff0007f 0xc0100053 F rvf::fcvt_wu_s;
    FcvtLS   "fcvt.l.s"  FtoXrm 0xfff0007f 0xc0200053 F rvf::fcvt_l_s;
    FcvtLuS  "fcvt.lu.s" FtoXrm 0xfff0007f 0xc0300053 F rvf::fcvt_lu_s;
    FmvXW    "fmv.x.w"   FtoX   0xfff0707f 0xe0000053 F rvf::fmv_x_w;
    FclassS  "fclass.s"  FtoX   0xfff0707f 0xe0001053 F rvf::fclass_s;
    FeqS     "feq.s"     FCmp   0xfe00707f 0xa0002053 F rvf::feq_s;
    FltS     "flt.s"     FCmp   0xfe00707f 0xa0001053 F rvf::flt_s;
    FleS     "fle.s"     FCmp   0xfe00707f 0xa0000053 F rvf::fle_s;
    FcvtSW   "fcvt.s.w"  XtoFrm 0xfff0007f 0xd0000053 F rvf::fcvt_s_w;
    FcvtSWu  "fcvt.s.wu" XtoFrm 0xfff0007f 0xd0100053 F rvf::fcvt_s_wu;
    FcvtSL   "fcvt.s.l"  XtoFrm 0xfff0007f 0xd0200053 F rvf::fcvt_s_l;
    FcvtSLu  "fcvt.s.lu" XtoFrm 0xfff0007f 0xd0300053 F rvf::fcvt_s_lu;
    FmvWX    "fmv.w.x"   XtoF   0xfff0707f 0xf0000053 F rvf::fmv_w_x;
    // ---- D ----
    Fld      "fld"       FLoad  0x0000707f 0x00003007 D rvd::fld;
    Fsd      "fsd"       FStore 0x0000707f 0x00003027 D rvd::fsd;
    FmaddD   "fmadd.d"   R4     0x0600007f 0x02000043 D rvd::fmadd_d;
    FmsubD   "fmsub.d"   R4     0x0600007f 0x02000047 D rvd::fmsub_d;
    FnmsubD  "fnmsub.d"  R4     0x0600007f 0x0200004b D rvd::fnmsub_d;
    FnmaddD  "fnmadd.d"  R4     0x0600007f 0x0200004f D rvd::fnmadd_d;
    FaddD    "fadd.d"    FRrm   0xfe00007f 0x02000053 D rvd::fadd_d;
    FsubD    "fsub.d"    FRrm   0xfe00007f 0x0a000053 D rvd::fsub_d;
    FmulD    "fmul.d"    FRrm   0xfe00007f 0x12000053 D rvd::fmul_d;
    FdivD    "fdiv.d"    FRrm   0xfe00007f 0x1a000053 D rvd::fdiv_d;
    FsqrtD   "fsqrt.d"   FR1rm  0xfff0007f 0x5a000053 D rvd::fsqrt_d;
    FsgnjD   "fsgnj.d"   FR     0xfe00707f 0x22000053 D rvd::fsgnj_d;
    FsgnjnD  "fsgnjn.d"  FR     0xfe00707f 0x22001053 D rvd::fsgnjn_d;
    FsgnjxD  "fsgnjx.d"  FR     0xfe00707f 0x22002053 D rvd::fsgnjx_d;
    FminD    "fmin.d"    FR     0xfe00707f 0x2a000053 D rvd::fmin_d;
    FmaxD    "fmax.d"    FR     0xfe00707f 0x2a001053 D rvd::fmax_d;
    FcvtSD   "fcvt.s.d"  FR1rm  0xfff0007f 0x40100053 D rvd::fcvt_s_d;
    FcvtDS   "fcvt.d.s"  FR1rm  0xfff0007f 0x42000053 D rvd::fcvt_d_s;
    FeqD     "feq.d"     FCmp   0xfe00707f 0xa2002053 D rvd::feq_d;
    FltD     "flt.d"     FCmp   0xfe00707f 0xa2001053 D rvd::flt_d;
    FleD     "fle.d"     FCmp   0xfe00707f 0xa2000053 D rvd::fle_d;
    FclassD  "fclass.d"  FtoX   0xfff0707f 0xe2001053 D rvd::fclass_d;
    FcvtWD   "fcvt.w.d"  FtoXrm 0xfff0007f 0xc2000053 D rvd::fcvt_w_d;
    FcvtWuD  "fcvt.wu.d" FtoXrm 0xfff0007f 0xc2100053 D rvd::fcvt_wu_d;
    FcvtLD   "fcvt.l.d"  FtoXrm 0xfff0007f 0xc2200053 D rvd::fcvt_l_d;
    FcvtLuD  "fcvt.lu.d" FtoXrm 0xfff0007f 0xc2300053 D rvd::fcvt_lu_d;
    FmvXD    "fmv.x.d"   FtoX   0xfff0707f 0xe2000053 D rvd::fmv_x_d;
    FcvtDW   "fcvt.d.w"  XtoFrm 0xfff0007f 0xd2000053 D rvd::fcvt_d_w;
    FcvtDWu  "fcvt.d.wu" XtoFrm 0xfff0007f 0xd2100053 D rvd::fcvt_d_wu;
    FcvtDL   "fcvt.d.l"  XtoFrm 0xfff0007f 0xd2200053 D rvd::fcvt_d_l;
    FcvtDLu  "fcvt.d.lu" XtoFrm 0xfff0007f 0xd2300053 D rvd::fcvt_d_lu;
    FmvDX    "fmv.d.x"   XtoF   0xfff0707f 0xf2000053 D rvd::fmv_d_x;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The extension an encoding belongs to, from the opcode map and the
    /// instruction listings of the Unprivileged spec (chapter "RV32/64G
    /// Instruction Set Listings"), not from the table.
    fn ext_of(bits: u32) -> Ext {
        let (opcode, funct3, funct7) = (bits & 0x7f, (bits >> 12) & 7, bits >> 25);
        match opcode {
            0x2f => Ext::A,
            0x33 | 0x3b if funct7 == 1 => Ext::M,
            0x07 | 0x27 => [Ext::F, Ext::D][(funct3 == 3) as usize],
            // fcvt.s.d and fcvt.d.s (funct5 01000) are RV32D whatever their fmt.
            0x53 if bits >> 27 == 0x08 => Ext::D,
            0x43 | 0x47 | 0x4b | 0x4f | 0x53 => [Ext::F, Ext::D][(funct7 & 3) as usize],
            0x0f if funct3 == 1 => Ext::Zifencei,
            0x73 if funct3 != 0 => Ext::Zicsr,
            0x73 if bits == 0x73 || bits == 0x0010_0073 => Ext::I,
            0x73 => Ext::Priv,
            _ => Ext::I,
        }
    }

    #[test]
    fn rows_agree_with_their_names_handlers_and_extensions() {
        assert_eq!(HANDLER_NAMES.len(), OPS.len());
        for (info, (module, handler)) in OPS.iter().zip(HANDLER_NAMES) {
            let m = info.mnemonic;
            assert_eq!(info.bits & !info.mask, 0, "{m}: match bits outside mask");
            // The variant spells the mnemonic without dots (FcvtWuS: fcvt.wu.s)
            // and the handler with underscores (fcvt_wu_s).
            assert_eq!(format!("{:?}", info.op).to_lowercase(), m.replace('.', ""), "{m}: variant");
            assert_eq!(*handler, m.replace('.', "_"), "{m}: handler");
            assert_eq!(info.ext, ext_of(info.bits), "{m}: extension");
            let want = match info.ext {
                Ext::I | Ext::Zifencei if info.bits & 0x7f == 0x73 => "system",
                Ext::I | Ext::Zifencei => "rvi",
                Ext::M => "rvm",
                Ext::A => "rva",
                Ext::F => "rvf",
                Ext::D => "rvd",
                Ext::Zicsr => "zicsr",
                Ext::Priv => "system",
            };
            assert_eq!(*module, want, "{m}: handler module");
        }
    }

    #[test]
    fn rows_match_what_gnu_as_assembled() {
        // tests/data/asm.golden: words GNU as assembled, with objdump's
        // text. Wherever objdump names a row (not an alias such as `li`),
        // that row, and no other, must match the word.
        let golden = include_str!("../tests/data/asm.golden");
        let mut confirmed = vec![0; OPS.len()];
        for line in golden.lines() {
            let mut f = line.splitn(3, ' ');
            let (raw, text) = (f.nth(1).unwrap(), f.next().unwrap_or(""));
            if raw.len() != 8 {
                continue; // compressed
            }
            let raw = u32::from_str_radix(raw, 16).unwrap();
            let (mn, args) = text.split_once('\t').unwrap_or((text, ""));
            let mut mn = mn.trim_end_matches(".aqrl").trim_end_matches(".aq").trim_end_matches(".rl").to_string();
            // objdump names immediate forms after the register form
            // (`add a0,a1,1` is addi, `sllw`: slliw, `csrrw`: csrrwi).
            let last = args.rsplit(',').next().unwrap_or("");
            let is_int = last.parse::<i64>().is_ok()
                || last.strip_prefix("0x").is_some_and(|h| u64::from_str_radix(h, 16).is_ok());
            if is_int {
                let imm = match mn.strip_suffix('w') {
                    Some(stem) if !mn.starts_with("csr") => format!("{stem}iw"),
                    _ => format!("{mn}i"),
                };
                if OPS.iter().any(|o| o.mnemonic == imm) {
                    mn = imm;
                }
            }
            let Some(row) = OPS.iter().position(|o| o.mnemonic == mn) else { continue };
            let matching: Vec<&str> = OPS.iter().filter(|o| raw & o.mask == o.bits).map(|o| o.mnemonic).collect();
            assert_eq!(matching, [mn.as_str()], "{line}");
            confirmed[row] += 1;
        }
        for (info, n) in OPS.iter().zip(confirmed) {
            assert!(n > 0, "{}: no word in asm.golden confirms it", info.mnemonic);
        }
    }

    #[test]
    fn no_two_rows_claim_one_encoding() {
        // Two rows overlap if some word satisfies both: their fixed bits agree where both masks are set.
        for (i, a) in OPS.iter().enumerate() {
            for b in &OPS[i + 1..] {
                let common = a.mask & b.mask;
                if a.bits & common == b.bits & common {
                    // fence.i and fence share opcode but differ in funct3, so only true subsets reach here.
                    panic!("{} and {} overlap", a.mnemonic, b.mnemonic);
                }
            }
        }
    }
}
