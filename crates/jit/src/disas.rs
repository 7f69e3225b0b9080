//! `-d out_asm`: generated host code, disassembled in the layout of QEMU's
//! log (`disas/capstone.c`, `cap_dump_insn`, with QEMU's AT&T syntax for
//! x86 hosts): `OUT: [size=N]`, then one line per instruction, `0xADDR: `,
//! the first 8 bytes in hex, padding, the mnemonic in 8 columns and the
//! operands; the rest of a longer instruction's bytes on lines of their own.

use std::fmt::Write;

use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, Instruction};

/// Bytes shown on an instruction's first line (capstone's `cap_insn_split`
/// for x86 in QEMU).
const SPLIT: usize = 8;

/// The formatter set up as capstone's AT&T output reads.
fn formatter() -> GasFormatter {
    let mut f = GasFormatter::new();
    let o = f.options_mut();
    o.set_gas_show_mnemonic_size_suffix(true);
    o.set_uppercase_hex(false);
    o.set_space_after_operand_separator(true);
    o.set_signed_immediate_operands(true);
    o.set_branch_leading_zeros(false);
    o.set_rip_relative_addresses(true);
    f
}

/// One block's log entry: `header` (`OUT: [size=N]` for a block), the code
/// at host address `addr` disassembled, and an empty line.
pub(crate) fn dump(header: &str, code: &[u8], addr: u64) -> String {
    let mut out = format!("{header}: [size={}]\n", code.len());
    let mut f = formatter();
    let mut d = Decoder::with_ip(64, code, addr, DecoderOptions::NONE);
    let mut insn = Instruction::default();
    let (mut mnemonic, mut operands) = (String::new(), String::new());
    while d.can_decode() {
        let start = d.position();
        // A run of int3 (the padding before an aligned block entry, never
        // run) as one entry, its bytes on lines of their own as a long
        // instruction's are.
        let run = code[start..].iter().take_while(|&&b| b == 0xcc).count();
        if run > 1 {
            let ip = addr + start as u64;
            line(&mut out, ip, &code[start..start + run], Some(("int3", &format!("# {run} bytes of padding"))));
            d.set_position(start + run).expect("within the code");
            d.set_ip(ip + run as u64);
            continue;
        }
        d.decode_out(&mut insn);
        let bytes = &code[start..d.position()];
        mnemonic.clear();
        operands.clear();
        if insn.is_invalid() {
            // As capstone leaves undecodable bytes: shown, not interpreted.
            mnemonic.push_str("(bad)");
        } else {
            f.format_mnemonic(&insn, &mut mnemonic);
            f.format_all_operands(&insn, &mut operands);
        }
        line(&mut out, insn.ip(), bytes, Some((&mnemonic, &operands)));
    }
    out.push('\n');
    out
}

/// `0xADDR: ` and up to `SPLIT` bytes; with the instruction's text on its
/// first line, then the remaining bytes on lines of their own.
fn line(out: &mut String, addr: u64, bytes: &[u8], text: Option<(&str, &str)>) {
    let _ = write!(out, "0x{addr:08x}: ");
    let first = &bytes[..bytes.len().min(SPLIT)];
    for b in first {
        let _ = write!(out, " {b:02x}");
    }
    if let Some((mnemonic, operands)) = text {
        let pad = (SPLIT - first.len()) * 3;
        let _ = writeln!(out, "{:pad$}  {mnemonic:<8} {operands}", "");
    } else {
        out.push('\n');
    }
    if bytes.len() > SPLIT {
        line(out, addr + SPLIT as u64, &bytes[SPLIT..], None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Code and lines from qemu-system-riscv64 7.2 (Debian's, with capstone)
    /// `-d out_asm`: the same bytes give the same text.
    #[test]
    fn matches_qemus_capstone_lines() {
        let code: &[u8] = &[
            0x8b, 0x5d, 0xf0, // movl -0x10(%rbp), %ebx
            0x85, 0xdb, // testl
            0x0f, 0x8c, 0x32, 0x00, 0x00, 0x00, // jl
            0x48, 0xc7, 0x85, 0x30, 0x13, 0x00, 0x00, 0x0c, 0x10, 0x00, 0x00, // 11 bytes: two lines
            0xff, 0x15, 0x27, 0x00, 0x00, 0x00, // callq *0x27(%rip)
            0x48, 0x81, 0xc4, 0x78, 0xfb, 0xff, 0xff, // addq $-0x488, %rsp
            0xff, 0xe6, // jmpq *%rsi
            0xc5, 0xf8, 0x77, // vzeroupper
            0x48, 0x8d, 0x05, 0xff, 0xfe, 0xff, 0xff, // leaq
            0xe9, 0xd9, 0xfe, 0xff, 0xff, // jmp
            0x41, 0x5f, // popq %r15
            0x90, // nop
            0xc3, // retq
        ];
        let want = "\
OUT: [size=56]
0x7f4ed8000100:  8b 5d f0                 movl     -0x10(%rbp), %ebx
0x7f4ed8000103:  85 db                    testl    %ebx, %ebx
0x7f4ed8000105:  0f 8c 32 00 00 00        jl       0x7f4ed800013d
0x7f4ed800010b:  48 c7 85 30 13 00 00 0c  movq     $0x100c, 0x1330(%rbp)
0x7f4ed8000113:  10 00 00
0x7f4ed8000116:  ff 15 27 00 00 00        callq    *0x27(%rip)
0x7f4ed800011c:  48 81 c4 78 fb ff ff     addq     $-0x488, %rsp
0x7f4ed8000123:  ff e6                    jmpq     *%rsi
0x7f4ed8000125:  c5 f8 77                 vzeroupper 
0x7f4ed8000128:  48 8d 05 ff fe ff ff     leaq     -0x101(%rip), %rax
0x7f4ed800012f:  e9 d9 fe ff ff           jmp      0x7f4ed800000d
0x7f4ed8000134:  41 5f                    popq     %r15
0x7f4ed8000136:  90                       nop      
0x7f4ed8000137:  c3                       retq     

";
        let got = dump("OUT", code, 0x7f4e_d800_0100);
        for (g, w) in got.lines().zip(want.lines()) {
            assert_eq!(g, w);
        }
        assert_eq!(got, want);
    }

    #[test]
    fn padding_is_one_line() {
        // nop; 10 x int3; nop; one int3 (shown as itself).
        let mut code = vec![0x90];
        code.extend([0xcc; 10]);
        code.extend([0x90, 0xcc]);
        let out = dump("OUT", &code, 0x1000);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 7, "{out}");
        assert_eq!(lines[2], "0x00001001:  cc cc cc cc cc cc cc cc  int3     # 10 bytes of padding");
        assert_eq!(lines[3], "0x00001009:  cc cc");
        assert!(lines[4].starts_with("0x0000100b:  90 ") && lines[4].trim_end().ends_with("nop"), "{out}");
        assert!(lines[5].starts_with("0x0000100c:  cc ") && lines[5].contains("int3"), "{out}");
    }

    #[test]
    fn undecodable_bytes_are_shown_not_dropped() {
        let got = dump("OUT", &[0x0f, 0x0b, 0x06], 0x1000);
        assert!(got.starts_with("OUT: [size=3]\n0x00001000:  0f 0b"), "{got}");
        assert!(got.contains("0x00001002:  06") && got.contains("(bad)"), "{got}");
    }
}
