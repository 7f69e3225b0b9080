//! The decoder and both disassemblers (objdump's style and QEMU's) on any
//! 32-bit word and any 16-bit (compressed) half.
#![no_main]

use cpu_riscv::decode::decode;
use cpu_riscv::disasm::{disasm, disasm_qemu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pc = data.get(..8).map_or(0x8000_0000, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
    for w in data.chunks(4) {
        let mut b = [0u8; 4];
        b[..w.len()].copy_from_slice(w);
        let word = u32::from_le_bytes(b);
        for raw in [word, word & 0xffff] {
            let insn = decode(raw);
            let len = if raw & 3 == 3 { 4 } else { 2 };
            assert_eq!(insn.len, len, "{raw:#x}");
            assert!(!disasm(&insn, pc).is_empty(), "{raw:#x}");
            assert!(!disasm_qemu(&insn, pc).is_empty(), "{raw:#x}");
        }
    }
});
