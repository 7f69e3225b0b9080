//! The QEMU-style disassembly (`disasm::disasm_qemu`, used by HMP `x/i`)
//! against qemu-system-riscv64 7.2's own `x/i` output as the oracle
//! (`tests/data/qemu-xi.golden`, made by `tests/data/gen-qemu-xi.py`).
//!
//! Words Tern does not decode as RV64GC are skipped where QEMU names them
//! (other extensions: V, Zb*, Zk*, Q, and reserved forms QEMU accepts);
//! Tern prints `illegal` for them.

use cpu_riscv::decode::decode;
use cpu_riscv::disasm::disasm_qemu;

#[test]
fn x_i_text_matches_qemu() {
    let path = format!("{}/tests/data/qemu-xi.golden", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut checked, mut skipped, mut bad) = (0, 0, Vec::new());
    for line in data.lines() {
        let mut it = line.splitn(3, ' ');
        let (pc, raw, want) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap_or(""));
        let pc = u64::from_str_radix(pc, 16).unwrap();
        let insn = decode(u32::from_str_radix(raw, 16).unwrap());
        if insn.info().is_none() && !want.starts_with("illegal") {
            skipped += 1;
            continue;
        }
        checked += 1;
        let got = disasm_qemu(&insn, pc);
        if got != want {
            bad.push(format!("{raw}: got {got:?}, QEMU {want:?}"));
        }
    }
    assert!(checked > 20_000, "only {checked} lines checked ({skipped} skipped)");
    assert!(bad.is_empty(), "{} of {checked} differ:\n{}", bad.len(), bad[..bad.len().min(400)].join("\n"));
}
