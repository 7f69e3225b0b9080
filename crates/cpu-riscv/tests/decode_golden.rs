//! Decoder and disassembler against GNU objdump 2.40 as the oracle.
//!
//! The golden files in `tests/data` were produced by `tests/data/gen-golden.py`
//! (needs the riscv64-unknown-elf binutils; not needed to run this test).
//! Each line is `<pc hex> <raw hex> <objdump text>`.
//!
//! Documented differences from objdump (each accepted only in the exact case listed):
//! - objdump annotates some operands with ` # <address>` computed from earlier
//!   instructions; the disassembler is per instruction, so the comment is dropped.
//! - `-b binary` output prints targets as `0x...` (no symbols); we print the bare
//!   hex objdump uses for ELF files with symbols.
//! - Until `csr::csr_name` knows a CSR, its number is printed where objdump has a name.
//! - Encodings objdump decodes but RV64GC reserves are illegal for us: static
//!   rounding modes 5/6 (objdump: `unknown`), c.addi16sp with imm 0, and the
//!   obsolete `uret`, `hret`, `sfence.vm` of old privileged specs.
//! - Encodings the spec defines but objdump rejects are legal for us: fence /
//!   fence.i with nonzero reserved fields (spec 2.7: ignored), and fcvt.d.s /
//!   fcvt.d.w / fcvt.d.wu with a rounding mode other than rne.

use cpu_riscv::csr::csr_name;
use cpu_riscv::decode::decode;
use cpu_riscv::disasm::{disasm, xreg};
use cpu_riscv::ops::{Op, OPS};
use cpu_riscv::{Format, Insn};
use std::collections::HashSet;

struct Golden {
    pc: u64,
    raw: u32,
    width: usize,
    text: String,
}

fn load(name: &str) -> Vec<Golden> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    data.lines()
        .map(|l| {
            let mut it = l.splitn(3, ' ');
            let (pc, raw, text) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap_or(""));
            let text = text.split(" # ").next().unwrap().to_string();
            Golden {
                pc: u64::from_str_radix(pc, 16).unwrap(),
                raw: u32::from_str_radix(raw, 16).unwrap(),
                width: raw.len() / 2,
                text,
            }
        })
        .collect()
}

fn objdump_rejects(text: &str) -> bool {
    text.starts_with(".4byte") || text.starts_with(".2byte")
}

/// Cases where we decode an encoding objdump does not (see module doc).
fn legal_only_for_us(insn: &Insn) -> bool {
    let raw = insn.raw;
    match insn.op {
        // rd, rs1 (and for fence.i the immediate) are reserved; fm other than 0 or tso.
        Op::Fence => raw & 0x000f_8f80 != 0 || raw >> 28 != 0 && raw >> 20 != 0x833,
        Op::FenceI => raw & 0xffff_8f80 != 0,
        Op::FcvtDS | Op::FcvtDW | Op::FcvtDWu => insn.rm != 0,
        _ => false,
    }
}

/// Cases where objdump decodes an encoding RV64GC reserves (see module doc).
fn illegal_only_for_us(g: &Golden) -> bool {
    let mn = g.text.split('\t').next().unwrap();
    g.text.ends_with(",unknown")
        || ["uret", "hret", "sfence.vm"].contains(&mn)
        || g.width == 2 && g.raw & 0xef83 == 0x6101 && g.text == "add\tsp,sp,0"
}

/// objdump's text adjusted for the documented presentation differences.
fn normalise(g: &Golden, insn: &Insn) -> String {
    let mut text = g.text.clone();
    let fmt = insn.info().unwrap().format;
    if matches!(fmt, Format::B | Format::J) {
        if let Some(i) = text.rfind("0x") {
            text.replace_range(i..i + 2, "");
        }
    }
    if matches!(fmt, Format::Csr | Format::CsrI) {
        let num = (insn.imm & 0xfff) as u16;
        if csr_name(num).is_none() {
            let ops: Vec<String> = text
                .split(['\t', ','])
                .map(|t| {
                    let is_name = t.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                    let is_reg = (0..32).any(|r| xreg(r) == t);
                    if is_name && !is_reg && t.len() > 1 && !t.starts_with("0x") {
                        format!("{num:#x}")
                    } else {
                        t.to_string()
                    }
                })
                .collect();
            // Rebuild with the mnemonic untouched.
            let mn = text.split('\t').next().unwrap().to_string();
            if ops.len() > 1 {
                text = format!("{mn}\t{}", ops[1..].join(","));
            }
        }
    }
    text
}

fn check(name: &str) -> Vec<Insn> {
    let mut bad = Vec::new();
    let mut decoded = Vec::new();
    for g in load(name) {
        let insn = decode(g.raw);
        assert_eq!(usize::from(insn.len), g.width, "{name}: {:08x} length", g.raw);
        assert_eq!(insn.raw, g.raw, "{name}: raw kept");
        decoded.push(insn);
        let ours = disasm(&insn, g.pc);
        if objdump_rejects(&g.text) {
            if insn.op != Op::Illegal && !legal_only_for_us(&insn) {
                bad.push(format!("{:x} {:08x}: objdump `{}`, we decode `{ours}`", g.pc, g.raw, g.text));
            }
            if insn.op == Op::Illegal && ours != g.text {
                bad.push(format!("{:x} {:08x}: illegal printed `{ours}`, objdump `{}`", g.pc, g.raw, g.text));
            }
            continue;
        }
        if insn.op == Op::Illegal {
            if !(illegal_only_for_us(&g) || g.raw == 0 && g.text == ours) {
                bad.push(format!("{:x} {:08x}: objdump `{}`, we say illegal", g.pc, g.raw, g.text));
            }
            continue;
        }
        let want = normalise(&g, &insn);
        if ours != want {
            bad.push(format!("{:x} {:08x}: objdump `{want}`, we print `{ours}`", g.pc, g.raw));
        }
    }
    let shown: Vec<_> = bad.iter().take(60).cloned().collect();
    assert!(bad.is_empty(), "{name}: {} mismatches, first:\n{}", bad.len(), shown.join("\n"));
    decoded
}

#[test]
fn assembled_ops_match_objdump() {
    let decoded = check("asm.golden");
    // The assembly exercises every row of the table.
    let seen: HashSet<Op> = decoded.iter().map(|i| i.op).collect();
    for info in OPS {
        assert!(seen.contains(&info.op), "{} not exercised by asm.golden", info.mnemonic);
    }
}

#[test]
fn all_compressed_encodings_match_objdump() {
    let decoded = check("rvc.golden");
    assert_eq!(decoded.len(), 3 * 16384);
}

#[test]
fn csr_names_match_objdump() {
    let decoded = check("csr.golden");
    assert_eq!(decoded.len(), 4096);
}

#[test]
fn random_words_match_objdump() {
    let decoded = check("rand.golden");
    let legal = decoded.iter().filter(|i| i.op != Op::Illegal).count();
    assert!(legal > decoded.len() / 3, "too few legal words ({legal}) to be a useful sample");
}
