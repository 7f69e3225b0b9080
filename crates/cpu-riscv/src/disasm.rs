//! The disassembler: the instruction text GNU objdump 2.40 (`objdump -d`,
//! default options, so with aliases) prints, minus its ` <symbol>` and
//! ` # address` annotations. Branch and jump targets are absolute addresses in
//! bare hex, as objdump prints them for an ELF with symbols.
//!
//! Illegal words print as objdump prints words it cannot decode:
//! `.4byte 0x...` / `.2byte 0x...`, and the all-zero halfword as `unimp`.
//!
//! objdump 2.40 quirks reproduced on purpose (the golden tests pin them):
//! register-immediate ALU operations print with the register-register
//! mnemonic (`addi a0,a1,1` -> `add a0,a1,1`, `slli` -> `sll` with a hex
//! shift amount, `addiw` -> `addw`), and the CSR immediate forms likewise
//! (`csrrwi` -> `csrrw`, `csrwi` -> `csrw`).
//!
//! Where objdump and the spec disagree the spec wins and the text is ours:
//! fence / fence.i with nonzero reserved fields print as plain `fence ...` /
//! `fence.i` (objdump: `.4byte`), fcvt.d.s / fcvt.d.w / fcvt.d.wu with a
//! rounding mode other than rne print it (objdump: `.4byte`), and reserved
//! encodings objdump still names (static rm 5/6, c.addi16sp 0, `uret`,
//! `hret`, `sfence.vm`) are illegal here.

mod qemu;

pub use qemu::disasm_qemu;

use crate::csr::csr_name;
use crate::insn::{Format, Insn};
use crate::ops::Op;

const XNAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2",
    "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

const FNAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// Rounding-mode names (Unprivileged spec table 11.1); 5 and 6 are reserved and never decode.
const RM_NAMES: [&str; 8] = ["rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"];

/// ABI name of integer register `r`.
pub fn xreg(r: u8) -> &'static str {
    XNAMES[usize::from(r & 31)]
}

/// ABI name of FP register `r`.
pub fn freg(r: u8) -> &'static str {
    FNAMES[usize::from(r & 31)]
}

/// The CSR operand: its name, or its number in hex as objdump prints unknown CSRs.
fn csr(num: i32) -> String {
    let addr = (num & 0xfff) as u16;
    csr_name(addr).map_or_else(|| format!("{addr:#x}"), str::to_string)
}

fn line(mnemonic: &str, operands: String) -> String {
    if operands.is_empty() {
        mnemonic.to_string()
    } else {
        format!("{mnemonic}\t{operands}")
    }
}

/// Disassemble `insn` located at `pc` (pc-relative targets are printed as addresses).
pub fn disasm(insn: &Insn, pc: u64) -> String {
    let Some(info) = insn.info() else {
        return match (insn.len, insn.raw) {
            (2, 0) => "unimp".to_string(),
            (2, raw) => format!(".2byte\t{raw:#x}"),
            (_, raw) => format!(".4byte\t{raw:#x}"),
        };
    };
    if insn.len == 2 {
        if let Some(s) = compressed_special(insn) {
            return s;
        }
    }
    let (op, mn) = (insn.op, info.mnemonic);
    let (rd, rs1, rs2, imm) = (xreg(insn.rd), xreg(insn.rs1), xreg(insn.rs2), insn.imm);
    let (fd, fs1, fs2) = (freg(insn.rd), freg(insn.rs1), freg(insn.rs2));
    let target = || format!("{:x}", pc.wrapping_add(i64::from(imm) as u64));
    let rm = || rm_suffix(insn);
    match info.format {
        Format::R => match (op, insn.rs1, insn.rs2) {
            (Op::Sub, 0, _) => line("neg", format!("{rd},{rs2}")),
            (Op::Subw, 0, _) => line("negw", format!("{rd},{rs2}")),
            (Op::Sltu, 0, _) => line("snez", format!("{rd},{rs2}")),
            (Op::Slt, _, 0) => line("sltz", format!("{rd},{rs1}")),
            (Op::Slt, 0, _) => line("sgtz", format!("{rd},{rs2}")),
            _ => line(mn, format!("{rd},{rs1},{rs2}")),
        },
        Format::I => match (op, insn.rd, insn.rs1, imm) {
            (Op::Addi, 0, 0, 0) => "nop".to_string(),
            (Op::Addi, _, 0, _) => line("li", format!("{rd},{imm}")),
            (Op::Addi, _, _, 0) => line("mv", format!("{rd},{rs1}")),
            (Op::Xori, _, _, -1) => line("not", format!("{rd},{rs1}")),
            (Op::Sltiu, _, _, 1) => line("seqz", format!("{rd},{rs1}")),
            (Op::Addiw, _, _, 0) => line("sext.w", format!("{rd},{rs1}")),
            _ => line(objdump_imm_mnemonic(op, mn), format!("{rd},{rs1},{imm}")),
        },
        Format::Shift => line(objdump_imm_mnemonic(op, mn), format!("{rd},{rs1},{imm:#x}")),
        Format::Load => line(mn, format!("{rd},{imm}({rs1})")),
        Format::Store => line(mn, format!("{rs2},{imm}({rs1})")),
        Format::FLoad => line(mn, format!("{fd},{imm}({rs1})")),
        Format::FStore => line(mn, format!("{fs2},{imm}({rs1})")),
        Format::B => match (op, insn.rs1, insn.rs2) {
            (Op::Beq, _, 0) => line("beqz", format!("{rs1},{}", target())),
            (Op::Bne, _, 0) => line("bnez", format!("{rs1},{}", target())),
            (Op::Blt, _, 0) => line("bltz", format!("{rs1},{}", target())),
            (Op::Blt, 0, _) => line("bgtz", format!("{rs2},{}", target())),
            // objdump tries blez before bgez (but bltz before bgtz): `bge zero,zero` is `blez zero`.
            (Op::Bge, 0, _) => line("blez", format!("{rs2},{}", target())),
            (Op::Bge, _, 0) => line("bgez", format!("{rs1},{}", target())),
            _ => line(mn, format!("{rs1},{rs2},{}", target())),
        },
        Format::U => line(mn, format!("{rd},{:#x}", (imm >> 12) & 0xfffff)),
        Format::J => match insn.rd {
            0 => line("j", target()),
            1 => line("jal", target()),
            _ => line("jal", format!("{rd},{}", target())),
        },
        Format::Jalr => match (insn.rd, insn.rs1, imm) {
            (0, 1, 0) => "ret".to_string(),
            (0, _, 0) => line("jr", rs1.to_string()),
            (0, _, _) => line("jr", format!("{imm}({rs1})")),
            (1, _, 0) => line("jalr", rs1.to_string()),
            (1, _, _) => line("jalr", format!("{imm}({rs1})")),
            (_, _, 0) => line("jalr", format!("{rd},{rs1}")),
            _ => line("jalr", format!("{rd},{imm}({rs1})")),
        },
        Format::Fence => fence(insn),
        Format::None => mn.to_string(),
        Format::Sfence => match (insn.rs1, insn.rs2) {
            (0, 0) => mn.to_string(),
            (_, 0) => line(mn, rs1.to_string()),
            _ => line(mn, format!("{rs1},{rs2}")),
        },
        Format::Csr => csr_rr(insn, mn),
        Format::CsrI => csr_ri(insn, mn),
        Format::Lr => line(&format!("{mn}{}", aqrl(insn.aqrl)), format!("{rd},({rs1})")),
        Format::Amo => line(&format!("{mn}{}", aqrl(insn.aqrl)), format!("{rd},{rs2},({rs1})")),
        Format::R4 => line(mn, format!("{fd},{fs1},{fs2},{}{}", freg(insn.rs3), rm())),
        Format::FRrm => line(mn, format!("{fd},{fs1},{fs2}{}", rm())),
        Format::FR => match (op, insn.rs1 == insn.rs2) {
            (Op::FsgnjS, true) => line("fmv.s", format!("{fd},{fs1}")),
            (Op::FsgnjnS, true) => line("fneg.s", format!("{fd},{fs1}")),
            (Op::FsgnjxS, true) => line("fabs.s", format!("{fd},{fs1}")),
            (Op::FsgnjD, true) => line("fmv.d", format!("{fd},{fs1}")),
            (Op::FsgnjnD, true) => line("fneg.d", format!("{fd},{fs1}")),
            (Op::FsgnjxD, true) => line("fabs.d", format!("{fd},{fs1}")),
            _ => line(mn, format!("{fd},{fs1},{fs2}")),
        },
        Format::FR1rm => line(mn, format!("{fd},{fs1}{}", rm())),
        Format::FCmp => line(mn, format!("{rd},{fs1},{fs2}")),
        Format::FtoXrm => line(mn, format!("{rd},{fs1}{}", rm())),
        Format::FtoX => line(mn, format!("{rd},{fs1}")),
        Format::XtoFrm => line(mn, format!("{fd},{rs1}{}", rm())),
        Format::XtoF => line(mn, format!("{fd},{rs1}")),
    }
}

/// objdump 2.40 prints register-immediate ALU operations with the
/// register-register mnemonic (its `add rd,rs1,imm` style aliases precede
/// `addi` in its opcode table).
fn objdump_imm_mnemonic(op: Op, mn: &'static str) -> &'static str {
    match op {
        Op::Addi => "add",
        Op::Xori => "xor",
        Op::Ori => "or",
        Op::Andi => "and",
        Op::Addiw => "addw",
        Op::Slli => "sll",
        Op::Srli => "srl",
        Op::Srai => "sra",
        Op::Slliw => "sllw",
        Op::Srliw => "srlw",
        Op::Sraiw => "sraw",
        _ => mn,
    }
}

/// `,rm` unless the mode is dynamic (objdump's default). The exact
/// conversions print no mode when it is rne (0), the only one objdump accepts.
fn rm_suffix(insn: &Insn) -> String {
    let exact = matches!(insn.op, Op::FcvtDS | Op::FcvtDW | Op::FcvtDWu);
    match (exact, insn.rm) {
        (true, 0) | (false, 7) => String::new(),
        (_, rm) => format!(",{}", RM_NAMES[usize::from(rm & 7)]),
    }
}

fn aqrl(bits: u8) -> &'static str {
    ["", ".rl", ".aq", ".aqrl"][usize::from(bits & 3)]
}

/// `fence pred,succ`, `fence` for iorw,iorw and `fence.tso` (Unprivileged spec 2.7).
fn fence(insn: &Insn) -> String {
    let (fm, pred, succ) = ((insn.imm >> 8) & 0xf, (insn.imm >> 4) & 0xf, insn.imm & 0xf);
    if fm == 8 && pred == 3 && succ == 3 {
        return "fence.tso".to_string();
    }
    if pred == 0xf && succ == 0xf {
        return "fence".to_string();
    }
    let set = |s: i32| -> String {
        if s == 0 {
            return "unknown".to_string(); // objdump's word for the empty set
        }
        "iorw".chars().enumerate().filter(|&(i, _)| s & (8 >> i) != 0).map(|(_, c)| c).collect()
    };
    line("fence", format!("{},{}", set(pred), set(succ)))
}

/// csrrw/csrrs/csrrc and their aliases (Unprivileged spec ch. 9 and 25, "pseudoinstructions").
fn csr_rr(insn: &Insn, mn: &str) -> String {
    let (rd, rs1) = (xreg(insn.rd), xreg(insn.rs1));
    let num = insn.imm & 0xfff;
    let fp_alias = match num {
        1 => Some("flags"),
        2 => Some("rm"),
        3 => Some("csr"),
        _ => None,
    };
    match (insn.op, insn.rd, insn.rs1, fp_alias) {
        (Op::Csrrw, 0, 0, _) if num == 0xc00 => "unimp".to_string(),
        (Op::Csrrw, 0, _, Some(a)) => line(&format!("fs{a}"), rs1.into()),
        (Op::Csrrw, _, _, Some(a)) => line(&format!("fs{a}"), format!("{rd},{rs1}")),
        (Op::Csrrs, _, 0, Some(a)) => line(&format!("fr{a}"), rd.into()),
        (Op::Csrrs, _, 0, _) if (0xc00..=0xc02).contains(&num) => {
            line(["rdcycle", "rdtime", "rdinstret"][(num - 0xc00) as usize], rd.into())
        }
        (Op::Csrrs, _, 0, _) => line("csrr", format!("{rd},{}", csr(num))),
        (Op::Csrrw, 0, _, _) => line("csrw", format!("{},{rs1}", csr(num))),
        (Op::Csrrs, 0, _, _) => line("csrs", format!("{},{rs1}", csr(num))),
        (Op::Csrrc, 0, _, _) => line("csrc", format!("{},{rs1}", csr(num))),
        _ => line(mn, format!("{rd},{},{rs1}", csr(num))),
    }
}

/// csrrwi/csrrsi/csrrci, printed by objdump 2.40 with the register-form mnemonics.
fn csr_ri(insn: &Insn, mn: &str) -> String {
    let (rd, uimm, num) = (xreg(insn.rd), insn.rs1, insn.imm & 0xfff);
    match (insn.op, insn.rd, num) {
        (Op::Csrrwi, _, 1) => line("fsflagsi", format!("{rd},{uimm}")),
        (Op::Csrrwi, _, 2) => line("fsrmi", format!("{rd},{uimm}")),
        (Op::Csrrwi, 0, _) => line("csrw", format!("{},{uimm}", csr(num))),
        (Op::Csrrsi, 0, _) => line("csrs", format!("{},{uimm}", csr(num))),
        (Op::Csrrci, 0, _) => line("csrc", format!("{},{uimm}", csr(num))),
        _ => line(mn.trim_end_matches('i'), format!("{rd},{},{uimm}", csr(num))),
    }
}

/// Compressed forms objdump prints differently from their expansion: HINTs
/// (spec 16.7) keep their `c.` name, and a few forms keep the compressed
/// operand shape. `None` means "print the expansion".
fn compressed_special(insn: &Insn) -> Option<String> {
    let h = insn.raw;
    let (rd, rs2, imm) = (xreg(insn.rd), xreg(insn.rs2), insn.imm);
    let s = match (h & 3, h >> 13, insn.op) {
        (1, 0, Op::Addi) if insn.rd == 0 && imm != 0 => line("c.nop", imm.to_string()),
        (1, 0, Op::Addi) if insn.rd != 0 && imm == 0 => line("add", format!("{rd},{rd},0")),
        (1, 2, Op::Addi) if insn.rd == 0 => line("c.li", format!("zero,{imm}")),
        (1, 2, Op::Addi) => line("li", format!("{rd},{imm}")),
        (1, 3, Op::Lui) if insn.rd == 0 => line("c.lui", format!("zero,{:#x}", (imm >> 12) & 0xfffff)),
        (1, 4, Op::Srli) if imm == 0 => line("c.srli64", rd.to_string()),
        (1, 4, Op::Srai) if imm == 0 => line("c.srai64", rd.to_string()),
        (2, 0, Op::Slli) if imm == 0 => line("c.slli64", rd.to_string()),
        (2, 0, Op::Slli) if insn.rd == 0 => line("c.slli", format!("zero,{imm:#x}")),
        (2, 4, Op::Add) if insn.rd == 0 => {
            let mn = if h >> 12 & 1 == 0 { "c.mv" } else { "c.add" };
            line(mn, format!("zero,{rs2}"))
        }
        (2, 4, Op::Add) if insn.rs1 == 0 => line("mv", format!("{rd},{rs2}")),
        _ => return None,
    };
    Some(s)
}
