//! Random short programs run on the interpreter and on the JIT side by side,
//! for the differential test (`tests/programs.rs`) and the `jit_diff` fuzz
//! target: integer and M operations, loads and stores (fast and slow paths,
//! faults), branches and jumps within the program (loops), CSR accesses
//! (the lazy instruction count; mscratch writes that end a block), short
//! forward branches over integer operations (done as selects), stores
//! into the program itself (self-modifying code), helpers in the middle of
//! blocks, traps to a handler that skips the faulting instruction; programs
//! placed across a page end at times (blocks spanning two pages).

use cpu_riscv::{Cpu, Hart, Priv, Ram, Stop};

use crate::Jit;

pub const RAM_BASE: u64 = 0x8000_0000;
pub const RAM_SIZE: usize = 0x8000;
pub const CODE: u64 = RAM_BASE + 0x1000;
pub const DATA: u64 = RAM_BASE + 0x4000;
pub const TRAP_VEC: u64 = RAM_BASE + 0x100;
/// `wfi` (Privileged spec 3.3.3): ends `Cpu::run` with nothing pending.
pub const WFI: u32 = 0x1050_0073;

/// Where a program's choices come from: a seeded generator (tests) or the
/// fuzzer's bytes.
pub trait Entropy {
    fn next(&mut self) -> u64;
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// xorshift64*: a fixed seed gives the same programs every run.
pub struct Rng(pub u64);

impl Entropy for Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A fuzzer's input, eight bytes per choice, zeros once it runs out.
pub struct Bytes<'a>(pub &'a [u8]);

impl Entropy for Bytes<'_> {
    fn next(&mut self) -> u64 {
        let n = self.0.len().min(8);
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        u64::from_le_bytes(b)
    }
}

fn r_type(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, opc: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc
}
pub fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, opc: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc
}
pub fn s_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let i = imm as u32;
    (i >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 0x1f) << 7 | 0x23
}
pub fn b_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let i = imm as u32;
    (i >> 12 & 1) << 31
        | (i >> 5 & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | f3 << 12
        | (i >> 1 & 0xf) << 8
        | (i >> 11 & 1) << 7
        | 0x63
}
pub fn j_type(imm: i32, rd: u32) -> u32 {
    let i = imm as u32;
    (i >> 20 & 1) << 31 | (i >> 1 & 0x3ff) << 21 | (i >> 11 & 1) << 20 | (i >> 12 & 0xff) << 12 | rd << 7 | 0x6f
}

/// x8 and x9 hold pointers (into the data area, or into the program for
/// self-modifying stores) and are never written by the program.
fn rd(r: &mut impl Entropy) -> u32 {
    loop {
        let x = r.below(16) as u32;
        if x != 8 && x != 9 {
            return x;
        }
    }
}
fn rs(r: &mut impl Entropy) -> u32 {
    r.below(16) as u32
}

/// OP / OP-32 with the M extension's funct7 too, writing `rd`.
fn op(r: &mut impl Entropy, rd: u32) -> u32 {
    let f7 = [0, 0, 0x20, 1][r.below(4) as usize];
    let f3 = r.below(8) as u32;
    let f7 = if f7 == 0x20 && f3 != 0 && f3 != 5 { 0 } else { f7 };
    let opc = if r.below(3) == 0 { 0x3b } else { 0x33 };
    let (f3, f7) = if opc == 0x3b && f7 != 1 && ![0, 1, 5].contains(&f3) { (0, f7) } else { (f3, f7) };
    r_type(f7, rs(r), rs(r), f3, rd, opc)
}

/// OP-IMM / OP-IMM-32, writing `rd`.
fn op_imm(r: &mut impl Entropy, rd: u32) -> u32 {
    let f3 = r.below(8) as u32;
    let mut imm = (r.next() as i32) >> 20;
    if f3 == 1 || f3 == 5 {
        imm = (imm & 63) | if f3 == 5 && r.below(2) == 0 { 0x400 } else { 0 };
    }
    if r.below(3) == 0 {
        let f3 = [0, 1, 5][r.below(3) as usize];
        let imm = if f3 == 0 { imm } else { (imm & 31) | (imm & 0x400) };
        return i_type(imm, rs(r), f3, rd, 0x1b);
    }
    i_type(imm, rs(r), f3, rd, 0x13)
}

/// A loop to its own start, as C's inner loops are: a body of W
/// operations mostly (`int` sums and indices: `translate::sext` may leave
/// them unextended round the loop) among other instructions of the
/// program's kinds (loads, helpers, branches out), then a counter in a
/// register counted down by `addiw` and `bne` back to the start.
fn counted_loop(r: &mut impl Entropy, n: usize) -> Vec<u32> {
    let counter = rd(r);
    let mut out = Vec::new();
    for i in 0..2 + r.below(8) as usize {
        let d = rd(r);
        out.push(match r.below(4) {
            0 => random_insn(r, i, n),
            1 => i_type((r.next() as i32) >> 20, rs(r), 0, d, 0x1b),
            2 => i_type((r.below(32)) as i32, rs(r), 1, d, 0x1b),
            _ => r_type([0, 1][r.below(2) as usize], rs(r), rs(r), 0, d, 0x3b),
        });
    }
    out.push(i_type(-1, counter, 0, counter, 0x1b));
    let back = -4 * out.len() as i32;
    // Back while the counter is not zero, above zero, or not below it
    // (compares with x0 of a W result: `translate::jump::compare`).
    out.push(match r.below(3) {
        0 => b_type(back, 0, counter, 1),
        1 => b_type(back, counter, 0, 4),
        _ => b_type(back, 0, counter, 5),
    });
    out
}

/// A loop walking a pointer, as copies and scans do: a register set from
/// x8 (data) before it, loads and stores (integer or FP) from it at small
/// offsets, moved
/// by `addi` (at times in a select's body: maybe not), by a stride of a
/// byte to past a page, up or down (`translate::mem::hoist`: checked at
/// the loop's entry), then a counter counted down to zero as in
/// `counted_loop`. Walks reach the program (self-modifying stores) and
/// RAM's ends (faults, which the handler skips).
fn walking_loop(r: &mut impl Entropy, n: usize) -> Vec<u32> {
    let (w, counter) = (rd(r), rd(r));
    let mut out = vec![walker(r, w)];
    let stride = stride(r);
    let mut body = Vec::new();
    for i in 0..1 + r.below(6) as usize {
        body.push(match r.below(6) {
            0..=2 => walker_access(r, w),
            3 if r.below(3) == 0 => b_type(8, rs(r), rs(r), [0, 1, 4, 5, 6, 7][r.below(6) as usize]),
            3 => random_insn(r, i + 1, n),
            _ => i_type(stride, w, 0, w, 0x13),
        });
    }
    body.push(i_type(stride, w, 0, w, 0x13));
    body.push(i_type(-1, counter, 0, counter, 0x1b));
    body.push(b_type(-4 * body.len() as i32, 0, counter, 1));
    out.extend(body);
    out
}

/// `addi w, x8, imm`: a walking pointer into the data area.
fn walker(r: &mut impl Entropy, w: u32) -> u32 {
    i_type((r.below(64) as i32 - 32) * 8, 8, 0, w, 0x13)
}

/// A walk's stride: a byte to past a page, up or (a third of the time) down.
fn stride(r: &mut impl Entropy) -> i32 {
    [1, 2, 4, 8, 64, 2040][r.below(6) as usize] * if r.below(3) == 0 { -1 } else { 1 }
}

/// A load or store from walking pointer `w` at a small offset: integer
/// mostly, at times fld / flw, fsd / fsw of f0-f3 (FP accesses are checked
/// at a loop's entry too).
fn walker_access(r: &mut impl Entropy, w: u32) -> u32 {
    let imm = (r.below(16) as i32 - 8) * if r.below(4) == 0 { 1 } else { 8 };
    match r.below(6) {
        0..=2 => i_type(imm, w, [0, 1, 2, 3, 4, 5, 6][r.below(7) as usize], rd(r), 0x03),
        3 => s_type(imm, rs(r), w, r.below(4) as u32),
        4 => i_type(imm, w, 2 + r.below(2) as u32, r.below(4) as u32, 0x07),
        _ => s_type(imm, r.below(4) as u32, w, 2 + r.below(2) as u32) & !0x7f | 0x27,
    }
}

/// A loop round a side exit's short block that walks a pointer: a
/// register set from x8 (data), loads and stores from it, a branch to a
/// short block that moves it by `addi` (a stride of a byte to past a
/// page, up or down) and jumps back to them (`translate::Tail`: a block
/// going round through its tail, its bases checked at its entry), else on
/// through instructions of the program's kinds. Walks reach the program
/// and RAM's ends.
fn walking_exit(r: &mut impl Entropy, i: usize, n: usize) -> Vec<u32> {
    let w = rd(r);
    let stride = stride(r);
    // A block starts at the accesses (the jump's target).
    let mut out = vec![walker(r, w), j_type(4, 0)];
    let start = out.len();
    for _ in 0..1 + r.below(2) {
        out.push(walker_access(r, w));
    }
    let body = 1 + r.below(3) as usize;
    let ops = r.below(3) as usize;
    // The branch, the body, the jump over the short block.
    let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
    out.push(b_type(4 * (body as i32 + 2), rs(r), rs(r), f3));
    for _ in 0..body {
        out.push(random_insn(r, i + out.len(), n));
    }
    out.push(j_type(4 * (ops as i32 + 3), 0));
    for _ in 0..ops {
        let d = rd(r);
        out.push(if r.below(2) == 0 { op(r, d) } else { op_imm(r, d) });
    }
    out.push(i_type(stride, w, 0, w, 0x13));
    out.push(j_type(-4 * (out.len() - start) as i32, 0));
    out
}

/// A three-way compare: two branches on the same two registers, the
/// second either way round (`if (k == x) ...; if (k < x) ...`), to
/// instructions of the program (of `n`) from index `i`.
fn three_way(r: &mut impl Entropy, i: usize, n: usize) -> [u32; 2] {
    fn branch(r: &mut impl Entropy, at: usize, n: usize, x: u32, y: u32) -> u32 {
        let t = r.below(n as u64 + 1) as i32;
        let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
        b_type((t - at as i32) * 4, y, x, f3)
    }
    let (x, y) = (rs(r), rs(r));
    let first = branch(r, i, n, x, y);
    let (x2, y2) = if r.below(2) == 0 { (x, y) } else { (y, x) };
    [first, branch(r, i + 1, n, x2, y2)]
}

/// A small value and a W operation on it (`translate::ranges` does it in
/// 64 bits): `andi` with a mask of up to 12 bits (sometimes negative: no
/// bound), `lbu` or `srliw`, then `negw`, `addw`, `subw`, `addiw` or
/// `slliw` reading it.
fn narrowed(r: &mut impl Entropy) -> [u32; 2] {
    let (d, s) = (rd(r), rs(r));
    let first = match r.below(3) {
        0 => i_type((r.next() as i32) >> 20, s, 7, d, 0x13),
        1 => i_type(r.below(64) as i32 * 8, 8, 4, d, 0x03),
        _ => i_type(r.below(32) as i32, s, 5, d, 0x1b),
    };
    let (d2, other) = (rd(r), if r.below(2) == 0 { d } else { rs(r) });
    let second = match r.below(5) {
        0 => r_type(0x20, d, 0, 0, d2, 0x3b),
        1 => r_type(0, other, d, 0, d2, 0x3b),
        2 => r_type(0x20, other, d, 0, d2, 0x3b),
        3 => i_type((r.next() as i32) >> 20, d, 0, d2, 0x1b),
        _ => i_type(r.below(32) as i32, d, 1, d2, 0x1b),
    };
    [first, second]
}

/// A branch in a region to a short block of operations and a jump
/// (`if (c) { i++; continue; }`: `translate::Tail`): the branch at index
/// `i` (or after a jump to it), instructions of the program's kinds after
/// it, a jump over the short block, then the short block, whose jump
/// leads to some instruction of the program (of `n`), back to the branch,
/// or through x9 (a `return`).
fn threaded_exit(r: &mut impl Entropy, i: usize, n: usize) -> Vec<u32> {
    let body = 2 + r.below(4) as usize;
    let ops = r.below(4) as usize;
    let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
    // Half the time a block starts at the branch (a jump to it before),
    // and the short block leads back there: a loop round the side exit.
    let lead = r.below(2) == 0;
    let mut out = if lead { vec![j_type(4, 0)] } else { Vec::new() };
    let i = i + out.len();
    out.push(b_type(4 * (body as i32 + 2), rs(r), rs(r), f3));
    for k in 0..body {
        out.push(random_insn(r, i + 1 + k, n));
    }
    out.push(j_type(4 * (ops as i32 + 2), 0));
    for _ in 0..ops {
        let d = rd(r);
        out.push(if r.below(2) == 0 { op(r, d) } else { op_imm(r, d) });
    }
    let at = (i - usize::from(lead) + out.len()) as i32;
    let t = if lead || r.below(2) == 0 { i as i32 } else { r.below(n as u64 + 1) as i32 };
    let link = if r.below(4) == 0 { rd(r) } else { 0 };
    if !lead && r.below(4) == 0 {
        // A `return`: jalr through x9, which points into the program.
        out.push(i_type((r.below(8) as i32 - 4) * 4, 9, 0, link, 0x67));
    } else {
        out.push(j_type((t - at) * 4, link));
    }
    out
}

/// lui / auipc, writing `rd`.
fn upper(r: &mut impl Entropy, rd: u32) -> u32 {
    let opc = if r.below(2) == 0 { 0x37 } else { 0x17 };
    (r.next() as u32 & 0xffff_f000) | rd << 7 | opc
}

/// A conditional branch forward over the `body` instructions after it,
/// integer operations mostly writing one register (`if (c) x = f(x, ..)`,
/// which the JIT may do without a jump: `translate::select`), at times
/// another register, x0 or something else (a load), which it may not.
fn hammock(r: &mut impl Entropy, body: usize) -> Vec<u32> {
    let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
    let mut out = vec![b_type(4 * (body as i32 + 1), rs(r), rs(r), f3)];
    let d = rd(r);
    for _ in 0..body {
        let w = match r.below(12) {
            0 => rd(r),
            1 => 0,
            _ => d,
        };
        out.push(match r.below(20) {
            0 => i_type(0, 8, 3, w, 0x03), // ld w, 0(x8)
            1 => upper(r, w),
            2..=6 => op(r, w),
            // The commonest bodies: `x = c;` (li: addi from x0), `x = y;`
            // (c.mv: add from x0), `x = (int)y;` (sext.w: addiw 0).
            16 => i_type((r.next() as i32) >> 20, 0, 0, w, 0x13),
            17 => r_type(0, rs(r), 0, 0, w, 0x33),
            18 => i_type(0, rs(r), 0, w, 0x1b),
            _ => op_imm(r, w),
        });
    }
    out
}

/// One random instruction at index `i` of a program of `n`.
fn random_insn(r: &mut impl Entropy, i: usize, n: usize) -> u32 {
    match r.below(22) {
        0..=4 => {
            let d = rd(r);
            op(r, d)
        }
        5..=7 => {
            let d = rd(r);
            op_imm(r, d)
        }
        8..=10 => {
            // Loads: base x8 (data) or x9 (program), sometimes misaligned or a random register.
            let base = if r.below(8) == 0 { rs(r) } else { 8 + r.below(2) as u32 };
            let f3 = [0, 1, 2, 3, 4, 5, 6][r.below(7) as usize];
            let imm = (r.below(64) as i32 - 32) * if r.below(6) == 0 { 1 } else { 8 };
            i_type(imm, base, f3, rd(r), 0x03)
        }
        11..=12 => {
            let base = if r.below(8) == 0 { rs(r) } else { 8 + u32::from(r.below(6) == 0) };
            let imm = (r.below(64) as i32 - 32) * if r.below(6) == 0 { 1 } else { 8 };
            s_type(imm, rs(r), base, r.below(4) as u32)
        }
        13..=15 => {
            // A branch to some instruction of the program.
            let t = r.below(n as u64 + 1) as i32;
            let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
            b_type((t - i as i32) * 4, rs(r), rs(r), f3)
        }
        16 => {
            if r.below(2) == 0 {
                // jalr through x9, which points into the program: an indirect
                // jump (jump cache), sometimes past the end into a trap.
                let imm = (r.below(12) as i32 - 4) * 4;
                return i_type(imm, 9, 0, rd(r), 0x67);
            }
            let t = r.below(n as u64 + 1) as i32;
            j_type((t - i as i32) * 4, rd(r))
        }
        17 => {
            let d = rd(r);
            upper(r, d)
        }
        18 => {
            // csrrs rd, minstret/mcycle/mscratch, x0: sees the instruction count;
            // or a write to mscratch, which ends the block.
            if r.below(4) == 0 {
                return i_type(0x340, rs(r), 1, rd(r), 0x73);
            }
            let csr = [0xb02, 0xb00, 0x340][r.below(3) as usize];
            i_type(csr, 0, 2, rd(r), 0x73)
        }
        20 | 21 => {
            // Double (mostly) or single arithmetic on f0-f3 (chains through
            // one register are common: results carried in xmm0), RNE or
            // dynamic rounding, or a fused multiply-add.
            let (d, a, b, c) = (r.below(4) as u32, r.below(4) as u32, r.below(4) as u32, r.below(4) as u32);
            let rm = if r.below(2) == 0 { 0 } else { 7 };
            let fmt = u32::from(r.below(3) != 0);
            match r.below(6) {
                0 => r_type(fmt, b, a, rm, d, 0x53),                                     // fadd
                1 => r_type(0x04 | fmt, b, a, rm, d, 0x53),                              // fsub
                2 => r_type(0x08 | fmt, b, a, rm, d, 0x53),                              // fmul
                3 => r_type(0x0c | fmt, b, a, rm, d, 0x53),                              // fdiv
                4 => r_type(0x2c | fmt, 0, a, rm, d, 0x53),                              // fsqrt
                _ => c << 27 | fmt << 25 | b << 20 | a << 15 | rm << 12 | d << 7 | 0x43, // fmadd
            }
        }
        _ => {
            // A helper in the middle: div/rem (M, not inlined) or an AMO.
            if r.below(2) == 0 {
                r_type(1, rs(r), rs(r), 4 + r.below(4) as u32, rd(r), 0x33)
            } else {
                let f5 = [0, 1, 4, 8, 12][r.below(5) as usize];
                r_type(f5 << 2, rs(r), 8, 2 + r.below(2) as u32, rd(r), 0x2f)
            }
        }
    }
}

pub fn cpu(program: &[u32], trap_handler: &[u32]) -> Cpu {
    cpu_at(program, trap_handler, CODE)
}

/// A machine with `program` at `at` (2-byte aligned: its instructions may
/// straddle a page end) and `trap_handler` at `TRAP_VEC`, started at `at`.
pub fn cpu_at(program: &[u32], trap_handler: &[u32], at: u64) -> Cpu {
    let mut c = Cpu::with_ram(Ram::new(RAM_BASE, RAM_SIZE), at);
    for (i, w) in program.iter().enumerate() {
        c.ram_write(at + 4 * i as u64, 4, u64::from(*w)).expect("program in RAM");
    }
    for (i, w) in trap_handler.iter().enumerate() {
        c.ram_write(TRAP_VEC + 4 * i as u64, 4, u64::from(*w)).expect("handler in RAM");
    }
    c
}

/// An interpreter and a JIT machine (translating on first use) with
/// `ram_size` bytes of RAM at `RAM_BASE`, `code` at `at` and a trap handler
/// that waits (`wfi`) at `TRAP_VEC`, started at `at` with `setup` applied
/// to the hart.
pub fn pair(ram_size: usize, code: &[u32], at: u64, setup: impl Fn(&mut Hart)) -> [Cpu; 2] {
    [false, true].map(|jit| {
        let mut c = Cpu::with_ram(Ram::new(RAM_BASE, ram_size), at);
        for (i, w) in code.iter().enumerate() {
            c.ram_write(at + 4 * i as u64, 4, u64::from(*w)).expect("code in RAM");
        }
        c.ram_write(TRAP_VEC, 4, u64::from(WFI)).expect("handler in RAM");
        c.hart.csr.mtvec = TRAP_VEC;
        setup(&mut c.hart);
        if jit {
            let mut j = Jit::with_code_size(1 << 20).expect("code buffer");
            j.set_hot_threshold(0);
            c.set_engine(Some(Box::new(j)));
        }
        c
    })
}

pub fn diff(a: &Hart, b: &Hart) -> String {
    let mut out = Vec::new();
    for i in 0..32 {
        if a.x[i] != b.x[i] {
            out.push(format!("x{i}: interp {:#x} jit {:#x}", a.x[i], b.x[i]));
        }
    }
    for (n, x, y) in [("pc", a.pc, b.pc), ("npc", a.npc, b.npc), ("instret", a.instret, b.instret)] {
        if x != y {
            out.push(format!("{n}: interp {x:#x} jit {y:#x}"));
        }
    }
    if out.is_empty() {
        out.push(format!("interp {a:?}\njit {b:?}"));
    }
    out.join("; ")
}

/// The trap handler: skip the faulting instruction (mepc += 4; mret).
pub fn skip_handler() -> [u32; 4] {
    [
        i_type(0x341, 0, 2, 5, 0x73), // csrrs t0, mepc, x0
        i_type(4, 5, 0, 5, 0x13),     // addi t0, t0, 4
        i_type(0x341, 5, 1, 0, 0x73), // csrrw x0, mepc, t0
        0x3020_0073,                  // mret
    ]
}

/// An engine statistic of `c` (`Cpu::engine_stats`), 0 if absent.
pub fn stat(c: &Cpu, name: &str) -> u64 {
    c.engine_stats().iter().find(|s| s.0 == name).map_or(0, |s| s.1)
}

/// Both machines (interpreter, JIT) run `budget`: they must stop alike and
/// agree on the hart and all of RAM.
pub fn run_both(cs: &mut [Cpu; 2], budget: u64) -> Stop {
    let (a, b) = (cs[0].run(budget), cs[1].run(budget));
    assert_eq!(a, b, "stop reason");
    assert!(cs[0].hart == cs[1].hart, "interp {:?}\njit {:?}", cs[0].hart, cs[1].hart);
    let (base, size) = (cs[0].ram().base(), cs[0].ram().size() as usize);
    assert!(cs[0].ram().to_vec(base, size) == cs[1].ram().to_vec(base, size), "memory");
    a
}

/// What the JIT did for one program: blocks translated (and of them,
/// blocks running on into the next page), jumps chained.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub translated: u64,
    pub chained: u64,
    pub cross_page: u64,
    pub selects: u64,
    /// Loops with W results left unextended round them (`translate::sext`).
    pub round_loops: u64,
    /// Side exits through a short block (`translate::Tail`).
    pub threaded: u64,
    /// Loops with a pinning of their own (`translate::regs::loop_pinning`).
    pub loop_pinned: u64,
    /// Loops checking some bases at their entry (`translate::mem::hoist`).
    pub hoisting_loops: u64,
}

/// Nine distinct registers, of x1-x15 (those the programs use) three times
/// in four, else of x1-x31. Ends whatever `r` gives (fuzz input runs dry).
pub fn random_pinning(r: &mut impl Entropy) -> crate::Pinning {
    let mut pool: Vec<u8> = if r.below(4) == 0 { (1..32).collect() } else { (1..16).collect() };
    let mut g = [0u8; 9];
    for slot in &mut g {
        *slot = pool.swap_remove(r.below(pool.len() as u64) as usize);
    }
    crate::Pinning::new(g).expect("nine distinct registers, none x0")
}

/// Make a program and a starting state from `r`, run it on both engines in
/// slices with the same budgets, and compare the stop reason, the hart and
/// all of RAM after every slice. `Err` describes the first difference.
pub fn run_case(r: &mut impl Entropy) -> Result<Stats, String> {
    let n = 4 + r.below(40) as usize;
    let mut prog: Vec<u32> = Vec::with_capacity(n + 1);
    match r.below(8) {
        0 | 1 => prog.extend(counted_loop(r, n)),
        2 => prog.extend(walking_loop(r, n)),
        _ => {}
    }
    while prog.len() < n {
        let i = prog.len();
        if r.below(10) == 0 && i + 8 < n {
            prog.extend(threaded_exit(r, i, n));
        } else if r.below(16) == 0 && i + 12 < n {
            prog.extend(walking_exit(r, i, n));
        } else if r.below(12) == 0 && i + 2 < n {
            prog.extend(narrowed(r));
        } else if r.below(12) == 0 && i + 2 < n {
            prog.extend(three_way(r, i, n));
        } else if r.below(8) == 0 && i + 1 < n {
            let body = 1 + r.below((n - i - 1).min(5) as u64) as usize;
            prog.extend(hammock(r, body));
        } else {
            prog.push(random_insn(r, i, n));
        }
    }
    prog.push(j_type(0, 0)); // end: a self-loop, cut by the budget
    let handler = skip_handler();
    // Sometimes across a page end, so that blocks run on into the next
    // page, at times with every instruction 2 bytes off (C extension:
    // IALIGN 16), straddling it.
    let start = match r.below(4) {
        0 => CODE + 0x1000 - 4 * r.below(n as u64 + 1) - 2 * r.below(2),
        _ => CODE,
    };
    let mut interp = cpu_at(&prog, &handler, start);
    let mut jitted = cpu_at(&prog, &handler, start);
    let mut jit = Jit::with_code_size(1 << 20).map_err(|e| format!("code buffer: {e}"))?;
    // Mostly translating on first use; at times after a few interpreted
    // runs, so that the switch (runs counted with the interpreter's decoded
    // blocks or, where there are none, the JIT's own) meets stores to code.
    jit.set_hot_threshold(if r.below(4) == 0 { 1 + r.below(3) as u32 } else { 0 });
    // Half the time another set of pinned registers, mostly among those the
    // program uses (x1-x15).
    if r.below(2) == 0 {
        let p = random_pinning(r);
        jit.set_pinning(&mut jitted, p).map_err(|e| format!("pinning: {e}"))?;
    }
    let pinned = jit.pinning();
    jitted.set_engine(Some(Box::new(jit)));
    let mut h = Hart::new(0, start);
    for i in 1..16 {
        h.x[i] = match r.below(4) {
            0 => r.below(16),
            1 => r.next() as i32 as i64 as u64,
            _ => r.next(),
        };
    }
    h.x[8] = DATA + 8 * r.below(64);
    h.x[9] = start + 4 * r.below(n as u64);
    h.csr.mtvec = TRAP_VEC;
    // MPP = M: mret returns to M. Sometimes run the program in S (via PMP).
    h.csr.mstatus = 3 << 11;
    h.csr.pmpcfg[0] = 0x1f;
    h.csr.pmpaddr[0] = (1 << 54) - 1;
    if r.below(4) == 0 {
        h.prv = Priv::S;
    }
    // FP usable (FS Dirty) most of the time, then mostly in the state the
    // JIT's FP fast paths need (NX accrued, RNE); f0-f3 hold doubles of
    // every kind (normal, zero, tiny, huge, infinite, NaN) or singles.
    if r.below(4) != 0 {
        h.csr.mstatus |= 3 << 13 | 1 << 63;
        h.csr.fcsr = if r.below(4) != 0 { 1 } else { r.below(256) };
    }
    for f in 0..4 {
        h.f[f] = match r.below(8) {
            0 => [0.0f64, -0.0, f64::MIN_POSITIVE, 1e300, f64::INFINITY, f64::NAN][r.below(6) as usize].to_bits(),
            1 => r.next(),
            // A single, NaN-boxed (11.2).
            2 | 3 => 0xffff_ffff_0000_0000 | u64::from(((r.below(2000) as f32 - 1000.0) / 3.0).to_bits()),
            _ => ((r.below(2000) as f64 - 1000.0) / (1.0 + r.below(7) as f64)).to_bits(),
        };
    }
    interp.hart = h.clone();
    jitted.hart = h;
    let what = || format!("program {prog:08x?} (pinned {:?})", pinned.guest());
    for slice in 0..8 {
        let budget = 1 + r.below(if slice % 2 == 0 { 5 } else { 200 });
        let (si, sj) = (interp.run(budget), jitted.run(budget));
        if si != sj {
            return Err(format!("{}: slice {slice}: interp stopped {si:?}, jit {sj:?}", what()));
        }
        if interp.hart != jitted.hart {
            return Err(format!("{}: slice {slice}: {}", what(), diff(&interp.hart, &jitted.hart)));
        }
        if interp.ram().to_vec(RAM_BASE, RAM_SIZE) != jitted.ram().to_vec(RAM_BASE, RAM_SIZE) {
            return Err(format!("{}: slice {slice}: memory differs", what()));
        }
        if si == Stop::Wfi {
            break;
        }
    }
    let stat = |k: &str| jitted.engine_stats().iter().find(|s| s.0 == k).map_or(0, |s| s.1);
    Ok(Stats {
        translated: stat("translated"),
        chained: stat("chained"),
        cross_page: stat("cross_page"),
        selects: stat("selects"),
        round_loops: stat("round_loops"),
        threaded: stat("threaded"),
        loop_pinned: stat("loop_pinned"),
        hoisting_loops: stat("hoisting_loops"),
    })
}
