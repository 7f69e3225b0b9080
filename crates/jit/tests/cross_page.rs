//! Blocks that run on into the next virtual page (Tern issue 12): a 32-bit
//! instruction straddling a page end (after a compressed one, as compilers
//! emit), in a hot loop, is decoded once and translated, not fetched and
//! interpreted on every run; writes to the second page drop the block; and
//! remapping the second page (new PTE, sfence.vma) runs the new mapping's
//! code, whichever way the block is entered. The interpreter runs alongside
//! as the oracle.

use cpu_riscv::{Cpu, Hart, Priv, Ram, Stop};
use jit::testprog::{b_type, i_type, j_type, run_both, s_type, stat};
use jit::Jit;

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: usize = 0x10000;
const CODE: u64 = RAM_BASE + 0x1000;
const TRAP_VEC: u64 = RAM_BASE + 0x100;
/// `wfi` (Privileged spec 3.3.3): ends `Cpu::run` with nothing pending.
const WFI: u32 = 0x1050_0073;
const RET: u32 = 0x0000_8067;
const T0: u32 = 5;
const T1: u32 = 6;
const T2: u32 = 7;
const S1: u32 = 9;

fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x13)
}

/// `c.addi rd, imm` (RVC, quadrant 1): a 2-byte instruction.
fn c_addi(rd: u32, imm: i32) -> u16 {
    let i = imm as u32 & 0x3f;
    ((i >> 5) << 12 | rd << 7 | (i & 0x1f) << 2 | 1) as u16
}

/// A B-type branch (`funct3` 0 beq, 1 bne) with byte offset `off`.
fn branch(funct3: u32, rs1: u32, rs2: u32, off: i32) -> u32 {
    b_type(off, rs2, rs1, funct3)
}

fn jal(rd: u32, off: i32) -> u32 {
    j_type(off, rd)
}

/// `sh rs2, imm(rs1)`.
fn sh(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(imm, rs2, rs1, 1)
}

/// Code as a list of instructions, 2 or 4 bytes each.
enum I {
    C(u16),
    W(u32),
}

fn put(c: &mut Cpu, mut at: u64, code: &[I]) {
    for i in code {
        match *i {
            I::C(h) => {
                c.ram_write(at, 2, u64::from(h)).expect("in RAM");
                at += 2;
            }
            I::W(w) => {
                // Halves, so that an instruction may straddle two pages
                // whose physical pages are not adjacent (`split`).
                c.ram_write(at, 2, u64::from(w & 0xffff)).expect("in RAM");
                c.ram_write(at + 2, 2, u64::from(w >> 16)).expect("in RAM");
                at += 4;
            }
        }
    }
}

/// A machine with a trap handler that waits, started at `pc`, with the
/// JIT (hot threshold `hot`) or without.
fn machine(pc: u64, jit: Option<u32>) -> Cpu {
    let mut c = Cpu::with_ram(Ram::new(RAM_BASE, RAM_SIZE), pc);
    c.ram_write(TRAP_VEC, 4, u64::from(WFI)).expect("handler in RAM");
    c.hart.csr.mtvec = TRAP_VEC;
    if let Some(hot) = jit {
        let mut j = Jit::with_code_size(1 << 20).expect("code buffer");
        j.set_hot_threshold(hot);
        c.set_engine(Some(Box::new(j)));
    }
    c
}

/// The loop at page offset 0xff0 whose `addi s1,s1,3` straddles the page
/// end (at 0xffe, after a compressed instruction), then `tail`.
fn straddling_loop(tail: &[I]) -> Vec<I> {
    let mut v = vec![
        I::W(addi(T1, T1, -1)),      // 0xff0
        I::W(addi(T2, T2, 1)),       // 0xff4
        I::W(addi(T0, T0, 1)),       // 0xff8
        I::C(c_addi(T0, 1)),         // 0xffc
        I::W(addi(S1, S1, 3)),       // 0xffe  straddles
        I::W(branch(1, T1, 0, -18)), // 0x1002 bne t1,zero,0xff0
    ];
    v.extend(tail.iter().map(|i| match i {
        I::C(h) => I::C(*h),
        I::W(w) => I::W(*w),
    }));
    v
}

/// A hot loop whose 32-bit instruction straddles a page: translated as a
/// cross-page block, so the blocks run in the interpreter do not grow with
/// the iterations (they did: the straddling instruction ran uncached, in
/// the interpreter, on every iteration).
#[test]
fn a_hot_loop_straddling_a_page_is_translated() {
    let start = CODE + 0xff0;
    let run = |n: u64| {
        let mut cs = [machine(start, None), machine(start, Some(jit::HOT_THRESHOLD))];
        for c in &mut cs {
            put(c, start, &straddling_loop(&[I::W(WFI)]));
            c.hart.x[T1 as usize] = n;
        }
        assert_eq!(run_both(&mut cs, 100 * n), Stop::Wfi);
        for c in &cs {
            let x = &c.hart.x;
            assert_eq!((x[T2 as usize], x[T0 as usize], x[S1 as usize]), (n, 2 * n, 3 * n), "t2 t0 s1");
            assert_eq!(c.hart.pc, start + 0x1a, "past the wfi");
        }
        let [_, j] = cs;
        let info = j.engine_info().expect("the JIT's report");
        assert!(!info.contains("cross page TB count 0 "), "{info}");
        (stat(&j, "interpreted"), stat(&j, "cross_page"))
    };
    let (few, many) = (run(100), run(1000));
    assert!(few.1 >= 1 && many.1 >= 1, "cross-page blocks translated: {few:?} {many:?}");
    assert_eq!(few.0, many.0, "interpreted blocks do not grow with the iterations");
    assert!(many.0 <= u64::from(jit::HOT_THRESHOLD) + 4, "{many:?}");
}

/// The guest stores over the straddling instruction's upper half, which is
/// in the second page of the loop's block, then runs the loop again with
/// no fence.i: as every store to code, this drops the block (under both of
/// its pages) and the new instruction runs.
#[test]
fn writing_the_second_page_drops_the_block() {
    let start = CODE + 0xff0;
    // s1 += 3 becomes s1 += 100: the upper half of `addi s1,s1,100`.
    let new_hi = addi(S1, S1, 100) >> 16;
    let tail = [
        I::W(branch(1, 18, 0, 20)), // 0x1006 bne s2,zero,0x101a
        I::W(sh(14, 15, 0)),        // 0x100a sh a4,0(a5)   a5 = the upper half
        I::W(addi(18, 0, 1)),       // 0x100e addi s2,zero,1
        I::W(addi(T1, 0, 10)),      // 0x1012 addi t1,zero,10
        I::W(jal(0, -38)),          // 0x1016 jal zero,0xff0
        I::W(WFI),                  // 0x101a
    ];
    for hot in [0, 2] {
        let mut cs = [machine(start, None), machine(start, Some(hot))];
        for c in &mut cs {
            put(c, start, &straddling_loop(&tail));
            c.hart.x[T1 as usize] = 10;
            c.hart.x[14] = u64::from(new_hi);
            c.hart.x[15] = start + 0x10;
        }
        assert_eq!(run_both(&mut cs, 1000), Stop::Wfi);
        for c in &cs {
            assert_eq!(c.hart.x[S1 as usize], 10 * 3 + 10 * 100, "s1: the rewritten instruction ran");
            assert_eq!(c.hart.pc, start + 0x2e, "past the wfi");
        }
        assert!(stat(&cs[1], "cross_page") >= 1);
        assert!(stat(&cs[1], "invalidated") >= 1, "the written block was dropped");
    }
}

/// S-mode with Sv39: virtual pages `V` and `V + 4K` map to physical pages
/// `A` and `B1`, which are not adjacent; the loop at `V + 0xff0` straddles
/// them, entered through a direct jump from `V + 0xfe8` (chained in the
/// JIT) and returning with `ret` from `V + 0x1006`. The guest then maps
/// `V + 4K` to `B2`, whose upper half makes the straddling instruction
/// `addi s1,s1,100`, runs sfence.vma and the loop again: the new mapping's
/// code runs (Privileged spec 4.2.1), also where the JIT enters the block
/// by the jump chained before the remap.
#[test]
fn remapping_the_second_page_runs_the_new_code() {
    const V: u64 = 0x8010_0000;
    let (root, l1, l0) = (RAM_BASE + 0x3000, RAM_BASE + 0x4000, RAM_BASE + 0x5000);
    let (pa, pb1, pb2) = (RAM_BASE + 0x9000, RAM_BASE + 0x7000, RAM_BASE + 0xb000);
    // PTE flags (Privileged spec 4.3.1): V R W X A D.
    let pte = |pa: u64, flags: u64| (pa >> 12) << 10 | flags | 1;
    let (r, w, x, a, d) = (2, 4, 8, 0x40, 0x80);
    let main = [
        I::W(0x0005_00e7),     // 0x00 jalr ra,0(a0)   a0 = V + 0xfe8
        I::W(0x00c6_b023),     // 0x04 sd a2,0(a3)     (V + 4K)'s PTE := B2
        I::W(0x1200_0073),     // 0x08 sfence.vma
        I::W(addi(T1, 0, 10)), // 0x0c addi t1,zero,10
        I::W(0x0005_00e7),     // 0x10 jalr ra,0(a0)
        I::W(WFI),             // 0x14
    ];
    let setup = |c: &mut Cpu| {
        let h: &mut Hart = &mut c.hart;
        h.prv = Priv::S;
        h.csr.satp = 8 << 60 | root >> 12;
        // One NAPOT PMP entry over everything, so that S may access RAM.
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        h.x[10] = V + 0xfe8;
        h.x[12] = pte(pb2, r | x | a);
        h.x[13] = 0x8000_5000 + 8 * 0x101; // (V + 4K)'s PTE, through l0's own mapping
        h.x[T1 as usize] = 10;
        let mut w8 = |at: u64, v: u64| c.ram_write(at, 8, v).expect("in RAM");
        w8(root + 8 * 2, pte(l1, 0));
        w8(l1, pte(l0, 0));
        w8(l0 + 8, pte(CODE, r | x | a)); // 0x8000_1000 -> itself
        w8(l0 + 8 * 5, pte(l0, r | w | a | d)); // 0x8000_5000 -> l0
        w8(l0 + 8 * 0x100, pte(pa, r | x | a)); // V -> A
        w8(l0 + 8 * 0x101, pte(pb1, r | x | a)); // V + 4K -> B1
        put(c, CODE, &main);
        put(c, pa + 0xfe8, &[I::W(jal(0, 8))]); // jal zero,V + 0xff0
        let body = straddling_loop(&[I::W(RET)]);
        put(c, pa + 0xff0, &body[..5]);
        // The straddling instruction's upper half, then bne and ret, in
        // each of B1 and B2.
        for (page, n) in [(pb1, 3), (pb2, 100)] {
            c.ram_write(pa + 0xffe, 2, u64::from(addi(S1, S1, n) & 0xffff)).expect("in RAM");
            c.ram_write(page, 2, u64::from(addi(S1, S1, n) >> 16)).expect("in RAM");
            put(c, page + 2, &body[5..]);
        }
    };
    for hot in [0, 1] {
        let mut cs = [machine(CODE, None), machine(CODE, Some(hot))];
        for c in &mut cs {
            setup(c);
        }
        assert_eq!(run_both(&mut cs, 1000), Stop::Wfi);
        for c in &cs {
            assert_eq!(c.hart.x[S1 as usize], 10 * 3 + 10 * 100, "s1: B1's code, then B2's");
            assert_eq!(c.hart.pc, CODE + 0x18);
        }
        assert!(stat(&cs[1], "cross_page") >= 2, "translated for B1, then for B2");
        assert!(stat(&cs[1], "remapped") >= 1, "the block for B1 was dropped");
    }
}
