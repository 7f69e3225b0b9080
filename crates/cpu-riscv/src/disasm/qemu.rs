//! The instruction text of QEMU's monitor (`x/i`, `-d in_asm` in QEMU 7.2),
//! whose RISC-V disassembler differs from objdump: every instruction is
//! decompressed first, operands follow a per-operation template, immediates
//! and pc-relative offsets are decimal, a pc-relative operand is followed by
//! `# 0x<target>` in column 48, FP operations with a rounding-mode field
//! print it first (`rne`, ..., `dyn`), and a small set of aliases applies
//! (`bgt`/`ble`/`bgtu`/`bleu` with swapped operands, `fscsr`, `frflags`, ...).
//! HMP users compare this text with QEMU's, so it is matched to the byte
//! (tests/data/qemu-xi.golden holds QEMU 7.2's own output).
//!
//! Encodings Tern does not decode (other extensions, reserved forms) print
//! `illegal`, as QEMU prints words it cannot decode.

use crate::disasm::{freg, xreg};
use crate::insn::{Format, Insn};
use crate::ops::Op;

/// Column of the operands (QEMU's `tab`), and of the `#` comment (twice it).
const TAB: usize = 24;

/// One operand of a template: what QEMU's format characters stand for.
#[derive(Clone, Copy)]
enum Arg {
    Rd,
    Rs1,
    Rs2,
    Frd,
    Frs1,
    Frs2,
    Frs3,
    /// rs1 as a number (CSR immediate forms).
    Uimm,
    Imm,
    /// A pc-relative offset: decimal, then the target as a comment.
    Offset,
    Csr,
    Rm,
    Pred,
    Succ,
    /// `imm(rs1)`
    Mem,
    /// `(rs1)`
    Addr,
}

use Arg::*;

/// QEMU's rendering of `insn` at `pc`: the mnemonic padded to column 24, the
/// operands, and for pc-relative ones the target (padded to column 48).
pub fn disasm_qemu(insn: &Insn, pc: u64) -> String {
    let (name, args) = lift(insn);
    let mut s = String::from(name);
    if matches!(insn.info().map(|i| i.format), Some(Format::Lr | Format::Amo)) {
        if insn.aqrl & 2 != 0 {
            s.push_str(".aq");
        }
        if insn.aqrl & 1 != 0 {
            s.push_str(".rl");
        }
    }
    pad(&mut s, TAB);
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        operand(&mut s, insn, pc, *a);
    }
    s
}

fn pad(s: &mut String, col: usize) {
    while s.len() < col {
        s.push(' ');
    }
}

fn operand(s: &mut String, insn: &Insn, pc: u64, a: Arg) {
    let imm = insn.imm;
    match a {
        Rd => s.push_str(xreg(insn.rd)),
        Rs1 => s.push_str(xreg(insn.rs1)),
        Rs2 => s.push_str(xreg(insn.rs2)),
        Frd => s.push_str(freg(insn.rd)),
        Frs1 => s.push_str(freg(insn.rs1)),
        Frs2 => s.push_str(freg(insn.rs2)),
        Frs3 => s.push_str(freg(insn.rs3)),
        Uimm => s.push_str(&insn.rs1.to_string()),
        Imm => s.push_str(&imm.to_string()),
        Offset => {
            s.push_str(&imm.to_string());
            pad(s, 2 * TAB);
            s.push_str(&format!("# {:#x}", pc.wrapping_add(i64::from(imm) as u64)));
        }
        Csr => {
            let num = (imm & 0xfff) as u16;
            match QEMU_CSR_NAMES.binary_search_by_key(&num, |&(n, _)| n) {
                Ok(i) => s.push_str(QEMU_CSR_NAMES[i].1),
                Err(_) => s.push_str(&format!("0x{num:03x}")),
            }
        }
        Rm => s.push_str(["rne", "rtz", "rdn", "rup", "rmm", "inv", "inv", "dyn"][usize::from(insn.rm & 7)]),
        Pred => fence_set(s, (imm >> 4) & 0xf),
        Succ => fence_set(s, imm & 0xf),
        Mem => s.push_str(&format!("{imm}({})", xreg(insn.rs1))),
        Addr => s.push_str(&format!("({})", xreg(insn.rs1))),
    }
}

/// A fence's predecessor or successor set, in QEMU's order (i, o, r, w).
fn fence_set(s: &mut String, set: i32) {
    for (bit, c) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
        if set & bit != 0 {
            s.push(c);
        }
    }
}

/// The mnemonic and operand template, after QEMU's alias ("pseudo") rules.
fn lift(insn: &Insn) -> (&'static str, &'static [Arg]) {
    let Some(info) = insn.info() else {
        return ("illegal", &[]);
    };
    let (op, rd, rs1, rs2, imm) = (insn.op, insn.rd, insn.rs1, insn.rs2, insn.imm);
    let csr = imm & 0xfff;
    if insn.len == 2 {
        match op {
            // QEMU rejects these compressed HINTs (spec 16.7) as it decompresses.
            Op::Addi if insn.raw >> 13 == 0 && imm == 0 && rd != 0 => return ("illegal", &[]),
            Op::Srli | Op::Srai if imm == 0 => return ("illegal", &[]),
            // c.mv decompresses to `addi rd,rs2,0`.
            Op::Add if rs1 == 0 => return ("mv", &[Rd, Rs2]),
            _ => {}
        }
    }
    match op {
        Op::Jal if rd == 0 => return ("j", &[Offset]),
        Op::Jalr if rd == 0 && rs1 == 1 => return ("ret", &[]),
        Op::Jalr if rd == 0 && imm == 0 => return ("jr", &[Rs1]),
        Op::Beq if rs2 == 0 => return ("beqz", &[Rs1, Offset]),
        Op::Bne if rs2 == 0 => return ("bnez", &[Rs1, Offset]),
        Op::Blt if rs2 == 0 => return ("bltz", &[Rs1, Offset]),
        Op::Blt if rs1 == 0 => return ("bgtz", &[Rs2, Offset]),
        Op::Blt => return ("bgt", &[Rs2, Rs1, Offset]),
        Op::Bge if rs1 == 0 => return ("blez", &[Rs2, Offset]),
        Op::Bge if rs2 == 0 => return ("bgez", &[Rs1, Offset]),
        Op::Bge => return ("ble", &[Rs2, Rs1, Offset]),
        Op::Bltu => return ("bgtu", &[Rs2, Rs1, Offset]),
        Op::Bgeu => return ("bleu", &[Rs2, Rs1, Offset]),
        Op::Addi if rd == 0 && rs1 == 0 && imm == 0 => return ("nop", &[]),
        Op::Addi if imm == 0 => return ("mv", &[Rd, Rs1]),
        Op::Sltiu if imm == 1 => return ("seqz", &[Rd, Rs1]),
        Op::Xori if imm == -1 => return ("not", &[Rd, Rs1]),
        Op::Sub if rs1 == 0 => return ("neg", &[Rd, Rs2]),
        Op::Slt if rs2 == 0 => return ("sltz", &[Rd, Rs1]),
        Op::Slt if rs1 == 0 => return ("sgtz", &[Rd, Rs2]),
        Op::Sltu if rs1 == 0 => return ("snez", &[Rd, Rs2]),
        Op::Addiw if imm == 0 => return ("sext.w", &[Rd, Rs1]),
        Op::Subw if rs1 == 0 => return ("negw", &[Rd, Rs2]),
        Op::Csrrw if csr == 3 => return ("fscsr", &[Rd, Rs1]),
        Op::Csrrw if csr == 2 => return ("fsrm", &[Rd, Rs1]),
        Op::Csrrw if csr == 1 => return ("fsflags", &[Rd, Rs1]),
        Op::Csrrs if rs1 == 0 => {
            let alias = match csr {
                0xc00 => Some("rdcycle"),
                0xc01 => Some("rdtime"),
                0xc02 => Some("rdinstret"),
                0xc80 => Some("rdcycleh"),
                0xc81 => Some("rdtimeh"),
                0xc82 => Some("rdinstreth"),
                3 => Some("frcsr"),
                2 => Some("frrm"),
                1 => Some("frflags"),
                _ => None,
            };
            if let Some(a) = alias {
                return (a, &[Rd]);
            }
        }
        Op::Csrrwi if csr == 2 => return ("fsrmi", &[Rd, Uimm]),
        Op::Csrrwi if csr == 1 => return ("fsflagsi", &[Rd, Uimm]),
        // QEMU prints these three aliases with integer register names.
        Op::FsgnjS if rs1 == rs2 => return ("fmv.s", &[Rd, Rs1]),
        Op::FsgnjnS if rs1 == rs2 => return ("fneg.s", &[Rd, Rs1]),
        Op::FsgnjxS if rs1 == rs2 => return ("fabs.s", &[Rd, Rs1]),
        Op::FsgnjD if rs1 == rs2 => return ("fmv.d", &[Rd, Rs1]),
        Op::FsgnjnD if rs1 == rs2 => return ("fneg.d", &[Rd, Rs1]),
        Op::FsgnjxD if rs1 == rs2 => return ("fabs.d", &[Rd, Rs1]),
        // The names of the 2.1 spec.
        Op::FmvXW => return ("fmv.x.s", &[Rd, Frs1]),
        Op::FmvWX => return ("fmv.s.x", &[Frd, Rs1]),
        _ => {}
    }
    let args: &'static [Arg] = match info.format {
        Format::R => &[Rd, Rs1, Rs2],
        Format::I | Format::Shift => &[Rd, Rs1, Imm],
        Format::Load => &[Rd, Mem],
        Format::Store => &[Rs2, Mem],
        Format::B => &[Rs1, Rs2, Offset],
        Format::U if op == Op::Auipc => &[Rd, Offset],
        Format::U => &[Rd, Imm],
        Format::J => &[Rd, Offset],
        Format::Jalr => &[Rd, Rs1, Imm],
        Format::Fence if op == Op::Fence => &[Pred, Succ],
        Format::Fence | Format::None => &[],
        Format::Sfence => &[Rs1, Rs2],
        Format::Csr => &[Rd, Csr, Rs1],
        Format::CsrI => &[Rd, Csr, Uimm],
        Format::Lr => &[Rd, Addr],
        Format::Amo => &[Rd, Rs2, Addr],
        Format::FLoad => &[Frd, Mem],
        Format::FStore => &[Frs2, Mem],
        Format::R4 => &[Rm, Frd, Frs1, Frs2, Frs3],
        Format::FRrm => &[Rm, Frd, Frs1, Frs2],
        Format::FR => &[Frd, Frs1, Frs2],
        Format::FR1rm => &[Rm, Frd, Frs1],
        Format::FCmp => &[Rd, Frs1, Frs2],
        Format::FtoXrm => &[Rm, Rd, Frs1],
        Format::FtoX => &[Rd, Frs1],
        Format::XtoFrm => &[Rm, Frd, Rs1],
        Format::XtoF => &[Frd, Rs1],
    };
    (info.mnemonic, args)
}

/// The CSR names QEMU 7.2's disassembler knows, by number: those of the
/// privileged specs it was written against, some since renamed or retired
/// (`mucounteren`, `hbadaddr`, the N extension's user trap CSRs), and not
/// the newer ones (`menvcfg`, `senvcfg`, `mcountinhibit`, `hpmcounter3`...).
const QEMU_CSR_NAMES: &[(u16, &str)] = &[
    (0x000, "ustatus"),
    (0x001, "fflags"),
    (0x002, "frm"),
    (0x003, "fcsr"),
    (0x004, "uie"),
    (0x005, "utvec"),
    (0x008, "vstart"),
    (0x009, "vxsat"),
    (0x00a, "vxrm"),
    (0x00f, "vcsr"),
    (0x015, "seed"),
    (0x040, "uscratch"),
    (0x041, "uepc"),
    (0x042, "ucause"),
    (0x043, "utval"),
    (0x044, "uip"),
    (0x100, "sstatus"),
    (0x104, "sie"),
    (0x105, "stvec"),
    (0x106, "scounteren"),
    (0x140, "sscratch"),
    (0x141, "sepc"),
    (0x142, "scause"),
    (0x143, "stval"),
    (0x144, "sip"),
    (0x180, "satp"),
    (0x200, "hstatus"),
    (0x202, "hedeleg"),
    (0x203, "hideleg"),
    (0x204, "hie"),
    (0x205, "htvec"),
    (0x240, "hscratch"),
    (0x241, "hepc"),
    (0x242, "hcause"),
    (0x243, "hbadaddr"),
    (0x244, "hip"),
    (0x300, "mstatus"),
    (0x301, "misa"),
    (0x302, "medeleg"),
    (0x303, "mideleg"),
    (0x304, "mie"),
    (0x305, "mtvec"),
    (0x306, "mcounteren"),
    (0x320, "mucounteren"),
    (0x321, "mscounteren"),
    (0x322, "mhcounteren"),
    (0x323, "mhpmevent3"),
    (0x324, "mhpmevent4"),
    (0x325, "mhpmevent5"),
    (0x326, "mhpmevent6"),
    (0x327, "mhpmevent7"),
    (0x328, "mhpmevent8"),
    (0x329, "mhpmevent9"),
    (0x32a, "mhpmevent10"),
    (0x32b, "mhpmevent11"),
    (0x32c, "mhpmevent12"),
    (0x32d, "mhpmevent13"),
    (0x32e, "mhpmevent14"),
    (0x32f, "mhpmevent15"),
    (0x330, "mhpmevent16"),
    (0x331, "mhpmevent17"),
    (0x332, "mhpmevent18"),
    (0x333, "mhpmevent19"),
    (0x334, "mhpmevent20"),
    (0x335, "mhpmevent21"),
    (0x336, "mhpmevent22"),
    (0x337, "mhpmevent23"),
    (0x338, "mhpmevent24"),
    (0x339, "mhpmevent25"),
    (0x33a, "mhpmevent26"),
    (0x33b, "mhpmevent27"),
    (0x33c, "mhpmevent28"),
    (0x33d, "mhpmevent29"),
    (0x33e, "mhpmevent30"),
    (0x33f, "mhpmevent31"),
    (0x340, "mscratch"),
    (0x341, "mepc"),
    (0x342, "mcause"),
    (0x343, "mtval"),
    (0x344, "mip"),
    (0x380, "mbase"),
    (0x381, "mbound"),
    (0x382, "mibase"),
    (0x383, "mibound"),
    (0x384, "mdbase"),
    (0x385, "mdbound"),
    (0x3a0, "pmpcfg0"),
    (0x3a1, "pmpcfg1"),
    (0x3a2, "pmpcfg2"),
    (0x3a3, "pmpcfg3"),
    (0x3a4, "pmpcfg4"),
    (0x3a5, "pmpcfg5"),
    (0x3a6, "pmpcfg6"),
    (0x3a7, "pmpcfg7"),
    (0x3a8, "pmpcfg8"),
    (0x3a9, "pmpcfg9"),
    (0x3aa, "pmpcfg10"),
    (0x3ab, "pmpcfg11"),
    (0x3ac, "pmpcfg12"),
    (0x3ad, "pmpcfg13"),
    (0x3ae, "pmpcfg14"),
    (0x3af, "pmpcfg15"),
    (0x3b0, "pmpaddr0"),
    (0x3b1, "pmpaddr1"),
    (0x3b2, "pmpaddr2"),
    (0x3b3, "pmpaddr3"),
    (0x3b4, "pmpaddr4"),
    (0x3b5, "pmpaddr5"),
    (0x3b6, "pmpaddr6"),
    (0x3b7, "pmpaddr7"),
    (0x3b8, "pmpaddr8"),
    (0x3b9, "pmpaddr9"),
    (0x3ba, "pmpaddr10"),
    (0x3bb, "pmpaddr11"),
    (0x3bc, "pmpaddr12"),
    (0x3bd, "pmpaddr13"),
    (0x3be, "pmpaddr14"),
    (0x3bf, "pmpaddr15"),
    (0x3c0, "pmpaddr16"),
    (0x3c1, "pmpaddr17"),
    (0x3c2, "pmpaddr18"),
    (0x3c3, "pmpaddr19"),
    (0x3c4, "pmpaddr20"),
    (0x3c5, "pmpaddr21"),
    (0x3c6, "pmpaddr22"),
    (0x3c7, "pmpaddr23"),
    (0x3c8, "pmpaddr24"),
    (0x3c9, "pmpaddr25"),
    (0x3ca, "pmpaddr26"),
    (0x3cb, "pmpaddr27"),
    (0x3cc, "pmpaddr28"),
    (0x3cd, "pmpaddr29"),
    (0x3ce, "pmpaddr30"),
    (0x3cf, "pmpaddr31"),
    (0x3d0, "pmpaddr32"),
    (0x3d1, "pmpaddr33"),
    (0x3d2, "pmpaddr34"),
    (0x3d3, "pmpaddr35"),
    (0x3d4, "pmpaddr36"),
    (0x3d5, "pmpaddr37"),
    (0x3d6, "pmpaddr38"),
    (0x3d7, "pmpaddr39"),
    (0x3d8, "pmpaddr40"),
    (0x3d9, "pmpaddr41"),
    (0x3da, "pmpaddr42"),
    (0x3db, "pmpaddr43"),
    (0x3dc, "pmpaddr44"),
    (0x3dd, "pmpaddr45"),
    (0x3de, "pmpaddr46"),
    (0x3df, "pmpaddr47"),
    (0x3e0, "pmpaddr48"),
    (0x3e1, "pmpaddr49"),
    (0x3e2, "pmpaddr50"),
    (0x3e3, "pmpaddr51"),
    (0x3e4, "pmpaddr52"),
    (0x3e5, "pmpaddr53"),
    (0x3e6, "pmpaddr54"),
    (0x3e7, "pmpaddr55"),
    (0x3e8, "pmpaddr56"),
    (0x3e9, "pmpaddr57"),
    (0x3ea, "pmpaddr58"),
    (0x3eb, "pmpaddr59"),
    (0x3ec, "pmpaddr60"),
    (0x3ed, "pmpaddr61"),
    (0x3ee, "pmpaddr62"),
    (0x3ef, "pmpaddr63"),
    (0x780, "mtohost"),
    (0x781, "mfromhost"),
    (0x782, "mreset"),
    (0x783, "mipi"),
    (0x784, "miobase"),
    (0x7a0, "tselect"),
    (0x7a1, "tdata1"),
    (0x7a2, "tdata2"),
    (0x7a3, "tdata3"),
    (0x7b0, "dcsr"),
    (0x7b1, "dpc"),
    (0x7b2, "dscratch"),
    (0xb00, "mcycle"),
    (0xb01, "mtime"),
    (0xb02, "minstret"),
    (0xb03, "mhpmcounter3"),
    (0xb04, "mhpmcounter4"),
    (0xb05, "mhpmcounter5"),
    (0xb06, "mhpmcounter6"),
    (0xb07, "mhpmcounter7"),
    (0xb08, "mhpmcounter8"),
    (0xb09, "mhpmcounter9"),
    (0xb0a, "mhpmcounter10"),
    (0xb0b, "mhpmcounter11"),
    (0xb0c, "mhpmcounter12"),
    (0xb0d, "mhpmcounter13"),
    (0xb0e, "mhpmcounter14"),
    (0xb0f, "mhpmcounter15"),
    (0xb10, "mhpmcounter16"),
    (0xb11, "mhpmcounter17"),
    (0xb12, "mhpmcounter18"),
    (0xb13, "mhpmcounter19"),
    (0xb14, "mhpmcounter20"),
    (0xb15, "mhpmcounter21"),
    (0xb16, "mhpmcounter22"),
    (0xb17, "mhpmcounter23"),
    (0xb18, "mhpmcounter24"),
    (0xb19, "mhpmcounter25"),
    (0xb1a, "mhpmcounter26"),
    (0xb1b, "mhpmcounter27"),
    (0xb1c, "mhpmcounter28"),
    (0xb1d, "mhpmcounter29"),
    (0xb1e, "mhpmcounter30"),
    (0xb1f, "mhpmcounter31"),
    (0xb80, "mcycleh"),
    (0xb81, "mtimeh"),
    (0xb82, "minstreth"),
    (0xb83, "mhpmcounter3h"),
    (0xb84, "mhpmcounter4h"),
    (0xb85, "mhpmcounter5h"),
    (0xb86, "mhpmcounter6h"),
    (0xb87, "mhpmcounter7h"),
    (0xb88, "mhpmcounter8h"),
    (0xb89, "mhpmcounter9h"),
    (0xb8a, "mhpmcounter10h"),
    (0xb8b, "mhpmcounter11h"),
    (0xb8c, "mhpmcounter12h"),
    (0xb8d, "mhpmcounter13h"),
    (0xb8e, "mhpmcounter14h"),
    (0xb8f, "mhpmcounter15h"),
    (0xb90, "mhpmcounter16h"),
    (0xb91, "mhpmcounter17h"),
    (0xb92, "mhpmcounter18h"),
    (0xb93, "mhpmcounter19h"),
    (0xb94, "mhpmcounter20h"),
    (0xb95, "mhpmcounter21h"),
    (0xb96, "mhpmcounter22h"),
    (0xb97, "mhpmcounter23h"),
    (0xb98, "mhpmcounter24h"),
    (0xb99, "mhpmcounter25h"),
    (0xb9a, "mhpmcounter26h"),
    (0xb9b, "mhpmcounter27h"),
    (0xb9c, "mhpmcounter28h"),
    (0xb9d, "mhpmcounter29h"),
    (0xb9e, "mhpmcounter30h"),
    (0xb9f, "mhpmcounter31h"),
    (0xc00, "cycle"),
    (0xc01, "time"),
    (0xc02, "instret"),
    (0xc20, "vl"),
    (0xc21, "vtype"),
    (0xc22, "vlenb"),
    (0xc80, "cycleh"),
    (0xc81, "timeh"),
    (0xc82, "instreth"),
    (0xd00, "scycle"),
    (0xd01, "stime"),
    (0xd02, "sinstret"),
    (0xd80, "scycleh"),
    (0xd81, "stimeh"),
    (0xd82, "sinstreth"),
    (0xe00, "hcycle"),
    (0xe01, "htime"),
    (0xe02, "hinstret"),
    (0xe80, "hcycleh"),
    (0xe81, "htimeh"),
    (0xe82, "hinstreth"),
    (0xf11, "mvendorid"),
    (0xf12, "marchid"),
    (0xf13, "mimpid"),
    (0xf14, "mhartid"),
];
