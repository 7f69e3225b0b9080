//! Differential test: random hart state and a random valid encoding of every
//! operation in `ops.rs` (plus random compressed encodings), each run as
//! the one instruction of a block (and a `j .` after it) through the
//! interpreter and through the JIT; the resulting hart state and memory
//! must be identical.
//!
//! `TERN_JIT_DIFF_CASES=N` sets the number of cases (default below);
//! `TERN_JIT_DIFF_SEED` the seed.

use cpu_riscv::decode::decode;
use cpu_riscv::ops::OPS;
use cpu_riscv::{Cpu, Hart, Insn, Priv, Ram};
use jit::Jit;

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: usize = 0x8000;
/// The instruction sits at the end of this page; the next page starts with
/// `j .`, where its block (running on into that page) ends.
const CODE_PAGE: u64 = RAM_BASE + 0x1000;
/// `jal x0, 0`.
const J_SELF: u32 = 0x0000_006f;
/// Registers often point here (loads and stores hit RAM, with any imm).
const DATA: u64 = RAM_BASE + 0x4000;
const TRAP_VEC: u64 = RAM_BASE + 0x100;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A register value: edge cases, small numbers, pointers into RAM, or noise.
fn reg_value(r: &mut Rng) -> u64 {
    match r.below(8) {
        0 => [0, 1, u64::MAX, i64::MIN as u64, i64::MAX as u64, 0x8000_0000, 0xffff_ffff, 0x7fff_ffff]
            [r.below(8) as usize],
        1 => r.below(64),
        2 | 3 => DATA - 0x800 + r.below(0x1000 + 0x800),
        4 => CODE_PAGE + r.below(0x1000),
        5 => r.next() as i32 as i64 as u64,
        _ => r.next(),
    }
}

fn random_hart(r: &mut Rng, pc: u64) -> Hart {
    let mut h = Hart::new(0, pc);
    for i in 1..32 {
        h.x[i] = reg_value(r);
    }
    for i in 0..32 {
        // Integers of every magnitude (converted exactly or rounded), so that
        // conversions meet the edges of each integer range.
        let int = (r.next() as i64 >> r.below(64)) as f64 * if r.below(2) == 0 { 1.0 } else { 0.75 };
        h.f[i] = match r.below(6) {
            0 => 0xffff_ffff_0000_0000 | (r.next() & 0xffff_ffff), // NaN-boxed single
            1 => (r.below(2000) as f64 - 1000.0).to_bits(),
            2 => 0xffff_ffff_0000_0000 | u64::from((int as f32).to_bits()),
            3 => int.to_bits(),
            _ => r.next(),
        };
    }
    h.instret = r.below(1 << 40);
    h.prv = [Priv::M, Priv::M, Priv::S, Priv::U][r.below(4) as usize];
    // FS Dirty, RNE and inexact accrued half the time: the JIT's inline FP
    // paths need all three.
    let fp_fast = r.below(2) == 0;
    let fs = if fp_fast { 3 } else { r.below(4) } << 13;
    let mpp = [0u64, 1, 3][r.below(3) as usize] << 11;
    let spp = r.below(2) << 8;
    h.csr.mstatus = fs | mpp | spp | if fs == 3 << 13 { 1 << 63 } else { 0 };
    h.csr.mtvec = TRAP_VEC;
    h.csr.stvec = TRAP_VEC + 0x40;
    h.csr.mepc = RAM_BASE + 2 * r.below(0x400);
    h.csr.sepc = RAM_BASE + 2 * r.below(0x400);
    h.csr.medeleg = if r.below(2) == 0 { 0 } else { r.next() & 0xb3ff };
    h.csr.fcsr = if fp_fast { r.below(32) | 1 } else { r.below(256) };
    h.csr.mscratch = r.next();
    // One NAPOT entry over everything, so that S and U may access RAM.
    h.csr.pmpcfg[0] = 0x1f;
    h.csr.pmpaddr[0] = (1 << 54) - 1;
    if r.below(4) == 0 {
        h.reservation = DATA + 8 * r.below(16);
    }
    h
}

/// A random encoding of `OPS[i]`: its fixed bits and random others.
fn encoding_of(r: &mut Rng, i: usize) -> u32 {
    let info = &OPS[i];
    let mut free = r.next() as u32;
    // Half the time the register fields come from a few registers (x0, two
    // in host registers, two in the `Hart`), so that rd, rs1 and rs2 often
    // coincide: the JIT computes in place then.
    if r.below(2) == 0 {
        const FEW: [u32; 5] = [0, 10, 15, 5, 6];
        for at in [7, 15, 20] {
            free = free & !(31 << at) | FEW[r.below(5) as usize] << at;
        }
    }
    // CSR instructions: the FP CSRs (which the JIT does inline) half the time.
    if info.mnemonic.starts_with("csrr") && r.below(2) == 0 {
        free = free & 0x000f_ffff | (1 + r.below(3) as u32) << 20;
    }
    info.bits | (free & !info.mask)
}

fn cpu() -> Cpu {
    Cpu::with_ram(Ram::new(RAM_BASE, RAM_SIZE), RAM_BASE)
}

/// Put `state`, `data` and the instruction `raw` into `c`.
fn setup(c: &mut Cpu, state: &Hart, data: &[u8], raw: u32, len: u8) {
    c.ram_write_bytes(RAM_BASE, data).expect("RAM");
    // Through the physical write path, so the old block is dropped as for any code write.
    c.phys_write(state.pc, len, u64::from(raw)).expect("code in RAM");
    c.phys_write(CODE_PAGE + 0x1000, 4, u64::from(J_SELF)).expect("code in RAM");
    c.hart = state.clone();
    c.flush_tlb();
    // Warm the TLB for the data pages (in the hart's own privilege), so that
    // the generated fast paths are taken, not only the slow ones.
    for page in (DATA - 0x1000..DATA + 0x2000).step_by(0x1000) {
        if let Ok(v) = c.load(page, 8) {
            c.store(page, 8, v).expect("a readable data page is writable");
        }
    }
    c.hart = state.clone();
}

fn describe(insn: &Insn, raw: u32, h: &Hart) -> String {
    format!("{:?} raw={raw:#010x} prv={:?} mstatus={:#x}", insn.op, h.prv, h.csr.mstatus)
}

/// Report the first differing register or field.
fn diff(a: &Hart, b: &Hart) -> String {
    let mut out = Vec::new();
    for i in 0..32 {
        if a.x[i] != b.x[i] {
            out.push(format!("x{i}: interp {:#x} jit {:#x}", a.x[i], b.x[i]));
        }
        if a.f[i] != b.f[i] {
            out.push(format!("f{i}: interp {:#x} jit {:#x}", a.f[i], b.f[i]));
        }
    }
    for (n, x, y) in [("pc", a.pc, b.pc), ("npc", a.npc, b.npc), ("instret", a.instret, b.instret)] {
        if x != y {
            out.push(format!("{n}: interp {x:#x} jit {y:#x}"));
        }
    }
    if a.csr != b.csr {
        out.push(format!("csr: interp {:?}\n     jit {:?}", a.csr, b.csr));
    }
    if out.is_empty() {
        out.push(format!("other fields: interp {a:?}\n jit {b:?}"));
    }
    out.join("; ")
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn one_instruction_blocks_match_the_interpreter() {
    let cases = env_u64("TERN_JIT_DIFF_CASES", if cfg!(debug_assertions) { 60_000 } else { 400_000 });
    let mut r = Rng(env_u64("TERN_JIT_DIFF_SEED", 0x7e53_1dea_5eed) | 1);
    let mut interp = cpu();
    let mut jitted = cpu();
    // One stopped clock: `time` reads the same in both.
    interp.clock.freeze(true);
    jitted.clock = interp.clock.clone();
    // A small buffer, so that flushing when full is exercised too.
    let mut jit = Jit::with_code_size(256 << 10).expect("code buffer");
    jit.set_hot_threshold(0);
    jitted.set_engine(Some(Box::new(jit)));
    let mut data = vec![0u8; RAM_SIZE];
    let mut seen = vec![0u32; OPS.len() + 1];
    for case in 0..cases {
        let (raw, len) = if r.below(5) == 0 {
            (r.next() as u32 & 0xffff, 2u8)
        } else {
            let op = r.below(OPS.len() as u64) as usize;
            (encoding_of(&mut r, op), 4u8)
        };
        let (raw, len) = if len == 2 && raw & 3 == 3 { (raw & !1, 2) } else { (raw, len) };
        let insn = decode(raw);
        assert_eq!(insn.len, len, "decoder length for {raw:#x}");
        seen[insn.op as usize] += 1;
        let pc = CODE_PAGE + 0x1000 - u64::from(len);
        let state = random_hart(&mut r, pc);
        // Fresh random data where loads and stores land (the rest keeps its bytes).
        for chunk in data[(DATA - RAM_BASE) as usize - 0x1000..].chunks_mut(8).step_by(1 + case as usize % 7) {
            chunk.copy_from_slice(&r.next().to_le_bytes());
        }
        setup(&mut interp, &state, &data, raw, len);
        setup(&mut jitted, &state, &data, raw, len);
        // The instruction and the `j .` (a block of two, which the JIT runs
        // only with the budget for both), or the instruction and whatever
        // it leads to.
        let si = interp.run(2);
        let sj = jitted.run(2);
        let what = describe(&insn, raw, &state);
        assert_eq!(si, sj, "case {case}: {what}: stop reason");
        assert!(interp.hart == jitted.hart, "case {case}: {what}: {}", diff(&interp.hart, &jitted.hart));
        let (mi, mj) =
            (interp.ram().to_vec(RAM_BASE, RAM_SIZE).unwrap(), jitted.ram().to_vec(RAM_BASE, RAM_SIZE).unwrap());
        if mi != mj {
            let at = (0..RAM_SIZE).find(|&i| mi[i] != mj[i]).unwrap_or(0);
            panic!("case {case}: {what}: memory differs at {:#x}", RAM_BASE + at as u64);
        }
    }
    // Every operation (and illegal encodings) came up, so none escaped the comparison.
    if cases >= 20_000 {
        for (i, &n) in seen.iter().enumerate() {
            let name = OPS.get(i).map_or("illegal", |o| o.mnemonic);
            assert!(n > 0, "{name} never generated");
        }
    }
    let stats: std::collections::HashMap<_, _> = jitted.engine_stats().into_iter().collect();
    assert!(stats["translated"] >= cases / 2, "the JIT translated too few blocks: {stats:?}");
    assert!(stats["entered"] >= cases / 2, "generated code ran too few cases: {stats:?}");
    assert!(stats["buffer_flushes"] > 0, "the small code buffer never filled: {stats:?}");
}
