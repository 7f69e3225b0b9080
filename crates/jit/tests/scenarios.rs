//! The JIT's hard cases, each with its expected outcome written down (and
//! the interpreter run alongside as the oracle): a guest that rewrites code
//! it has already run, a loop whose blocks cross a page boundary, and traps
//! in the middle of a block (precise: earlier effects kept, later absent).

use cpu_riscv::{Cpu, Hart, Ram, Stop};
use jit::testprog::{self, run_both, stat, WFI};
use jit::Jit;

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: usize = 0x10000;
const CODE: u64 = RAM_BASE + 0x1000;
const DATA: u64 = RAM_BASE + 0x8000;

/// An interpreter and a JIT machine with `code` at `at` (`testprog::pair`).
fn pair(code: &[u32], at: u64, setup: impl Fn(&mut Hart)) -> [Cpu; 2] {
    testprog::pair(RAM_SIZE, code, at, setup)
}

/// The loop body `addi a0,a0,1` runs ten times, translated and chained;
/// then the guest stores `addi a0,a0,100` over it, executes fence.i and
/// runs the loop again: the new code must run (10 + 10 * 100).
#[test]
fn rewritten_code_runs_the_new_instructions() {
    let code = [
        0x00a0_0313, // 0x00 addi t1,zero,10
        0x0015_0513, // 0x04 addi a0,a0,1        <- rewritten
        0xfff3_0313, // 0x08 addi t1,t1,-1
        0xfe03_1ce3, // 0x0c bne t1,zero,0x04
        0x0003_9a63, // 0x10 bne t2,zero,0x24
        0x00b6_2023, // 0x14 sw a1,0(a2)
        0x0010_0393, // 0x18 addi t2,zero,1
        0x0000_100f, // 0x1c fence.i
        0xfe1f_f06f, // 0x20 jal zero,0x00
        0x0000_006f, // 0x24 jal zero,0x24
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.x[11] = 0x0645_0513; // a1: addi a0,a0,100
        h.x[12] = CODE + 4; // a2: the loop body
    });
    run_both(&mut cs, 200);
    for c in &cs {
        assert_eq!(c.hart.x[10], 1010, "a0: the rewritten loop body ran");
        assert_eq!(c.hart.pc, CODE + 0x24);
    }
    assert!(stat(&cs[1], "translated") >= 3);
    assert!(stat(&cs[1], "invalidated") >= 1, "the written block was dropped");
}

/// A loop whose first block ends at a page end and whose second starts the
/// next page, jumping back across the boundary: 1000 rounds.
#[test]
fn loops_across_a_page_boundary() {
    let code = [
        0x0015_0513, // 0xff0 addi a0,a0,1
        0x0025_0513, // 0xff4 addi a0,a0,2
        0x0035_0513, // 0xff8 addi a0,a0,3
        0xfff3_0313, // 0xffc addi t1,t1,-1  (page end)
        0xfe03_18e3, // 0x000 bne t1,zero,0xff0
        0x0000_006f, // 0x004 jal zero,0x004
    ];
    let start = CODE + 0xff0;
    let mut cs = pair(&code, start, |h| h.x[6] = 1000);
    // In slices, so that the JIT's state is compared mid-loop too.
    for _ in 0..10 {
        run_both(&mut cs, 777);
    }
    for c in &cs {
        assert_eq!(c.hart.x[10], 6000, "a0");
        assert_eq!(c.hart.x[6], 0, "t1");
        assert_eq!(c.hart.pc, start + 0x14);
        assert_eq!(c.hart.instret, 7770, "5000 in the loop, the rest in the end loop");
    }
    assert!(stat(&cs[1], "translated") >= 3, "both halves and the end were translated");
}

/// Traps from the middle of a block are precise (Privileged spec 3.1.6.1):
/// mepc/mcause/mtval name the faulting access, the instructions before it
/// took effect (registers and memory) and none after it did.
#[test]
fn traps_in_the_middle_of_a_block_are_precise() {
    let code = [
        0x0050_0513, // 0x00 addi a0,zero,5
        0x0070_0593, // 0x04 addi a1,zero,7
        0x0006_b603, // 0x08 ld a2,0(a3)     a3 unmapped: load access fault
        0x0090_0713, // 0x0c addi a4,zero,9
    ];
    let mut cs = pair(&code, CODE, |h| h.x[13] = 0x10);
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        let h = &c.hart;
        assert_eq!((h.x[10], h.x[11], h.x[12], h.x[14]), (5, 7, 0, 0), "a0 a1 a2 a4");
        assert_eq!((h.csr.mepc, h.csr.mcause, h.csr.mtval), (CODE + 8, 5, 0x10));
        assert_eq!(h.instret, 3, "two before the fault, then the handler's wfi");
    }

    // A store fault after a store that succeeded, both in one block.
    let code = [
        0x00b4_3023, // 0x00 sd a1,0(s0)     s0 = DATA
        0x00b6_b423, // 0x04 sd a1,8(a3)     a3 + 8 unmapped: store access fault
        0x0090_0713, // 0x08 addi a4,zero,9
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.x[8] = DATA;
        h.x[11] = 0x1122_3344_5566_7788;
        h.x[13] = 0x40;
    });
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        let h = &c.hart;
        assert_eq!(c.ram().read(DATA, 8), Some(0x1122_3344_5566_7788), "the first store is in memory");
        assert_eq!((h.csr.mepc, h.csr.mcause, h.csr.mtval), (CODE + 4, 7, 0x48));
        assert_eq!(h.x[14], 0, "a4: nothing after the fault ran");
    }
}

/// By default a block is interpreted `HOT_THRESHOLD` times, then translated
/// (and the run stays exact across the switch).
#[test]
fn blocks_are_translated_once_hot() {
    let mut c = Cpu::with_ram(Ram::new(RAM_BASE, RAM_SIZE), CODE);
    c.ram_write(CODE, 4, 0x0000_006f).expect("code in RAM"); // jal zero,0: a one-block loop
    c.set_engine(Some(Box::new(Jit::with_code_size(1 << 20).expect("code buffer"))));
    let hot = u64::from(jit::HOT_THRESHOLD);
    assert_eq!(c.run(hot), Stop::Budget);
    assert_eq!((stat(&c, "translated"), stat(&c, "interpreted")), (0, hot), "cold: interpreted");
    assert_eq!(c.run(1000), Stop::Budget);
    assert_eq!(stat(&c, "translated"), 1, "hot: translated once");
    assert_eq!(stat(&c, "interpreted"), hot);
    assert_eq!((c.hart.instret, c.hart.pc), (hot + 1000, CODE));
}

/// Runs toward translation are counted with the interpreter's decoded block,
/// or by the JIT where there is none: two blocks that evict each other from
/// the interpreter's table (one slot for `pa` and `pa + 0x20002`) still
/// become hot.
#[test]
fn blocks_evicting_each_other_from_the_interpreter_still_become_hot() {
    const FAR: u64 = 0x2_0002;
    let mut c = Cpu::with_ram(Ram::new(RAM_BASE, 0x40000), CODE);
    // jal zero,FAR and back: a loop of two one-instruction blocks.
    let jal = |off: i64| {
        let o = off as u32;
        (o & 0x10_0000) << 11 | (o & 0x7fe) << 20 | (o & 0x800) << 9 | (o & 0xf_f000) | 0x6f
    };
    c.ram_write(CODE, 4, u64::from(jal(FAR as i64))).expect("code in RAM");
    c.ram_write(CODE + FAR, 4, u64::from(jal(-(FAR as i64)))).expect("code in RAM");
    c.set_engine(Some(Box::new(Jit::with_code_size(1 << 20).expect("code buffer"))));
    let hot = u64::from(jit::HOT_THRESHOLD);
    assert_eq!(c.run(2 * hot), Stop::Budget);
    assert_eq!((stat(&c, "translated"), stat(&c, "interpreted")), (0, 2 * hot), "cold: interpreted");
    assert_eq!(c.run(1000), Stop::Budget);
    // The first translated, the other's decoded block stays in the slot and
    // counts its runs from naught: `hot - 1` more interpreted.
    assert_eq!((stat(&c, "translated"), stat(&c, "interpreted")), (2, 3 * hot - 1), "hot: both translated");
    assert_eq!((c.hart.instret, c.hart.pc), (2 * hot + 1000, CODE));
}

/// Indirect jumps find their target block by virtual pc (the jump cache);
/// when the guest maps that virtual page to other code and runs
/// sfence.vma, the next jump runs the new code (Privileged spec 4.2.1).
/// S-mode with Sv39: the code page mapped to itself, virtual page `V` to
/// `P1` (`addi a1,a1,1; ret`), then to `P2` (`addi a1,a1,100; ret`).
#[test]
fn remapped_jump_targets_run_the_new_code() {
    const V: u64 = 0x8010_0000;
    let (root, l1, l0) = (RAM_BASE + 0x3000, RAM_BASE + 0x4000, RAM_BASE + 0x5000);
    let (p1, p2) = (RAM_BASE + 0x6000, RAM_BASE + 0x7000);
    // PTE flags (Privileged spec 4.3.1): V R W X A D.
    let pte = |pa: u64, flags: u64| (pa >> 12) << 10 | flags | 1;
    let (r, w, x, a, d) = (2, 4, 8, 0x40, 0x80);
    let code = [
        0x0005_00e7, // 0x00 jalr ra,0(a0)   a0 = V
        0x0005_00e7, // 0x04 jalr ra,0(a0)   found in the jump cache now
        0x00c6_b023, // 0x08 sd a2,0(a3)     V's PTE := P2
        0x1200_0073, // 0x0c sfence.vma
        0x0005_00e7, // 0x10 jalr ra,0(a0)
        WFI,         // 0x14
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.prv = cpu_riscv::Priv::S;
        h.csr.satp = 8 << 60 | root >> 12;
        // One NAPOT PMP entry over everything, so that S may access RAM.
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        h.x[10] = V;
        h.x[12] = pte(p2, r | x | a);
        h.x[13] = 0x8000_5000 + 8 * 0x100; // V's PTE, through l0's own mapping
    });
    for c in &mut cs {
        let mut put = |at: u64, v: u64, size: u8| c.ram_write(at, size, v).expect("in RAM");
        put(root + 8 * 2, pte(l1, 0), 8);
        put(l1, pte(l0, 0), 8);
        put(l0 + 8, pte(CODE, r | x | a), 8); // 0x8000_1000 -> itself
        put(l0 + 8 * 5, pte(l0, r | w | a | d), 8); // 0x8000_5000 -> l0
        put(l0 + 8 * 0x100, pte(p1, r | x | a), 8); // V -> P1
        for (page, n) in [(p1, 1), (p2, 100)] {
            put(page, 0x0005_8593 | n << 20, 4); // addi a1,a1,n
            put(page + 4, 0x0000_8067, 4); // ret
        }
    }
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[11], 1 + 1 + 100, "a1: P1 twice, then P2");
        assert_eq!(c.hart.pc, CODE + 0x18);
    }
}

/// A loop of `fadd.d` (inexact) runs with FS Dirty and inexact accrued, the
/// state in which its block's FP fast paths are inline; then the guest
/// clears fflags and runs the same loop again: the block translated for the
/// old state must not run as it was (NX must be accrued anew, as the
/// interpreter does), and the loop ends with the same results.
#[test]
fn fp_blocks_follow_the_fp_state() {
    let code = [
        0x00a0_0313, // 0x00 addi t1,zero,10
        0x0220_f0d3, // 0x04 fadd.d f1,f1,f2   (dynamic rounding: frm)
        0xfff3_0313, // 0x08 addi t1,t1,-1
        0xfe03_1ce3, // 0x0c bne t1,zero,0x04
        0x0003_9863, // 0x10 bne t2,zero,0x20
        0x0010_1073, // 0x14 csrw fflags,zero
        0x0010_0393, // 0x18 addi t2,zero,1
        0xfe5f_f06f, // 0x1c jal zero,0x00
        WFI,         // 0x20
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.csr.mstatus |= 3 << 13 | 1 << 63; // FS Dirty (and SD)
        h.csr.fcsr = 1; // NX accrued, frm RNE
        h.f[1] = 1.0f64.to_bits();
        h.f[2] = 0.1f64.to_bits();
    });
    assert_eq!(run_both(&mut cs, 1000), Stop::Wfi);
    let mut want = 1.0f64;
    for _ in 0..20 {
        want += 0.1;
    }
    for c in &cs {
        assert_eq!(c.hart.f[1], want.to_bits(), "f1");
        assert_eq!(c.hart.csr.fcsr, 1, "NX accrued again after the clear");
    }
    assert!(stat(&cs[1], "translated") >= 2, "the loop was translated for both states");
}

/// Double results stay in xmm0 for the next double operation on them
/// (`fp::emit`): through integer operations, but not past a helper call
/// (`csrr mhartid`) or a slow path, which must leave xmm0 holding its
/// result again (`f5 - f5` is zero, which the slow path computes).
#[test]
fn fp_results_carried_to_the_next_operation_match_the_interpreter() {
    let code = [
        0x1a51_f153, // 0x00 fdiv.d f2,f3,f5
        0x0251_72d3, // 0x04 fadd.d f5,f2,f5     (rs1 from xmm0)
        0xfff3_0313, // 0x08 addi t1,t1,-1
        0x1262_f2d3, // 0x0c fmul.d f5,f5,f6     (rs1 from xmm0, past addi)
        0x0a52_f3d3, // 0x10 fsub.d f7,f5,f5     (zero: the slow path)
        0x0293_f453, // 0x14 fadd.d f8,f7,f9     (rs1 from xmm0, after it)
        0xf140_25f3, // 0x18 csrr a1,mhartid     (a helper call)
        0x0294_7553, // 0x1c fadd.d f10,f8,f9    (rs1 from memory)
        0x4a65_75c3, // 0x20 fmadd.d f11,f10,f6,f9
        0x12d5_f653, // 0x24 fmul.d f12,f11,f13
        0xfc03_1ce3, // 0x28 bne t1,zero,0x00
        WFI,         // 0x2c
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.csr.mstatus |= 3 << 13 | 1 << 63; // FS Dirty (and SD)
        h.csr.fcsr = 1; // NX accrued, frm RNE: the fast paths are inline
        h.x[6] = 10;
        for (r, v) in [(3, 3.0f64), (5, 1.5), (6, 0.5), (9, 0.25), (13, 1.1)] {
            h.f[r] = v.to_bits();
        }
    });
    assert_eq!(run_both(&mut cs, 1000), Stop::Wfi);
    let mut f = [0f64; 32];
    for (r, v) in [(3, 3.0f64), (5, 1.5), (6, 0.5), (9, 0.25), (13, 1.1)] {
        f[r] = v;
    }
    for _ in 0..10 {
        f[2] = f[3] / f[5];
        f[5] += f[2];
        f[5] *= f[6];
        f[7] = f[5] - f[5];
        f[8] = f[7] + f[9];
        f[10] = f[8] + f[9];
        f[11] = f[10].mul_add(f[6], f[9]);
        f[12] = f[11] * f[13];
    }
    for c in &cs {
        for r in [2, 5, 7, 8, 10, 11, 12] {
            assert_eq!(c.hart.f[r], f[r].to_bits(), "f{r}");
        }
        assert_eq!(c.hart.csr.fcsr, 1);
    }
    assert!(stat(&cs[1], "translated") >= 1);
}

/// An FP operation with dynamic rounding: `funct7`, registers rd, rs1, rs2.
fn fop(funct7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    funct7 << 25 | rs2 << 20 | rs1 << 15 | 7 << 12 | rd << 7 | 0x53
}

/// `fmadd` (`fmt` 1: double, 0: single) rd = rs1 * rs2 + rs3.
fn fmadd(fmt: u32, rd: u32, rs1: u32, rs2: u32, rs3: u32) -> u32 {
    rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | 7 << 12 | rd << 7 | 0x43
}

/// xmm0's register taken as any operand (`fp::held_operand`: rs2 of a
/// quotient, a difference and a product, a fused multiply-add's addend),
/// singles apart from doubles (a double reading a NaN-boxed single reads
/// a NaN), and a loop's recurrence kept in xmm0 from one round to the next
/// (`fp::loop_held`: `f5`, written last, read first, as a divisor, in a
/// recurrence that keeps every round's error; taken into xmm0 on every
/// entry, with xmm0 holding another, and again before going round after a
/// helper call).
#[test]
fn fp_operands_carried_in_xmm0_by_width_and_round_a_loop_match_the_interpreter() {
    let code = [
        testprog::i_type(5, 0, 0, 6, 0x13), // 0x00 li t1,5
        fop(0x01, 10, 9, 9),                // 0x04 fadd.d f10,f9,f9  (xmm0 holds f10 into the loop)
        fop(0x0d, 2, 3, 5),                 // 0x08 fdiv.d f2,f3,f5   (rs2: the last round's f5)
        fop(0x01, 5, 2, 5),                 // 0x0c fadd.d f5,f2,f5   (rs1)
        fop(0x05, 7, 9, 5),                 // 0x10 fsub.d f7,f9,f5   (rs2)
        fmadd(1, 8, 6, 9, 7),               // 0x14 fmadd.d f8,f6,f9,f7 (rs3)
        fop(0x00, 20, 21, 22),              // 0x18 fadd.s f20,f21,f22
        fop(0x0c, 20, 23, 20),              // 0x1c fdiv.s f20,f23,f20 (rs2, a single)
        fop(0x01, 24, 20, 9),               // 0x20 fadd.d f24,f20,f9 (a single as a double: NaN)
        fmadd(0, 25, 21, 22, 25),           // 0x24 fmadd.s f25,f21,f22,f25
        0xfff3_0313,                        // 0x28 addi t1,t1,-1
        fop(0x09, 5, 6, 5),                 // 0x2c fmul.d f5,f6,f5   (from memory: xmm0 holds f25)
        0xf140_25f3,                        // 0x30 csrr a1,mhartid   (a helper: xmm0 lost)
        testprog::b_type(-0x2c, 0, 6, 1),   // 0x34 bne t1,zero,0x08  (the loop)
        0xfff3_8393,                        // 0x38 addi t2,t2,-1
        testprog::b_type(-0x3c, 0, 7, 1),   // 0x3c bne t2,zero,0x00  (into it again)
        WFI,                                // 0x40
    ];
    let single = |v: f32| 0xffff_ffff_0000_0000 | u64::from(v.to_bits());
    let mut cs = pair(&code, CODE, |h| {
        h.csr.mstatus |= 3 << 13 | 1 << 63; // FS Dirty (and SD)
        h.csr.fcsr = 1; // NX accrued, frm RNE: the fast paths are inline
        h.x[7] = 8;
        for (r, v) in [(3, 3.0f64), (5, 1.5), (6, 1.0), (9, 0.25)] {
            h.f[r] = v.to_bits();
        }
        for (r, v) in [(21, 1.25f32), (22, 2.5), (23, 7.0), (25, 0.5)] {
            h.f[r] = single(v);
        }
    });
    assert_eq!(run_both(&mut cs, 1000), Stop::Wfi);
    let (mut d, mut s) = ([0f64; 32], [0f32; 32]);
    for (r, v) in [(3, 3.0f64), (5, 1.5), (6, 1.0), (9, 0.25)] {
        d[r] = v;
    }
    for (r, v) in [(21, 1.25f32), (22, 2.5), (23, 7.0), (25, 0.5)] {
        s[r] = v;
    }
    for _ in 0..40 {
        d[2] = d[3] / d[5];
        d[5] += d[2];
        d[7] = d[9] - d[5];
        d[8] = d[6].mul_add(d[9], d[7]);
        s[20] = s[21] + s[22];
        s[20] = s[23] / s[20];
        s[25] = s[21].mul_add(s[22], s[25]);
        d[5] *= d[6];
    }
    for c in &cs {
        for r in [2, 5, 7, 8] {
            assert_eq!(c.hart.f[r], d[r].to_bits(), "f{r}");
        }
        for r in [20, 25] {
            assert_eq!(c.hart.f[r], single(s[r]), "f{r}");
        }
        assert_eq!(c.hart.f[24], 0x7ff8_0000_0000_0000, "f24: the canonical NaN");
        assert_eq!(c.hart.f[10], 0.5f64.to_bits());
        assert_eq!(c.hart.csr.fcsr, 1);
    }
    assert!(stat(&cs[1], "self_loops") >= 1, "the loop goes round in generated code");
}

/// Translation regions run on through forward branches not taken
/// (`Cpu::decode_block`): the loop body `beq` (never taken) `; addi
/// a0,a0,1; addi t1,t1,-1; bne` is one region. The guest then stores
/// `addi a0,a0,100` over the `addi` after the branch, with no fence.i,
/// and runs the loop again: the region, though keyed by its first
/// instruction, must be dropped for the write to its middle.
#[test]
fn writes_into_a_region_after_its_first_block_drop_it() {
    use jit::testprog::{b_type, i_type, j_type, s_type};
    let code = [
        i_type(10, 0, 0, 6, 0x13),  // 0x00 addi t1,zero,10
        b_type(8, 28, 7, 0),        // 0x04 beq t2,t3,0x0c     (t2 != t3)
        i_type(1, 10, 0, 10, 0x13), // 0x08 addi a0,a0,1     <- rewritten
        i_type(-1, 6, 0, 6, 0x13),  // 0x0c addi t1,t1,-1
        b_type(-12, 0, 6, 1),       // 0x10 bne t1,zero,0x04
        b_type(16, 0, 9, 1),        // 0x14 bne s1,zero,0x24
        s_type(0, 11, 12, 2),       // 0x18 sw a1,0(a2)
        i_type(1, 0, 0, 9, 0x13),   // 0x1c addi s1,zero,1
        j_type(-32, 0),             // 0x20 jal zero,0x00
        WFI,                        // 0x24
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.x[28] = 1; // t3
        h.x[11] = u64::from(i_type(100, 10, 0, 10, 0x13)); // a1: addi a0,a0,100
        h.x[12] = CODE + 8; // a2
    });
    assert_eq!(run_both(&mut cs, 400), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[10], 10 + 10 * 100, "a0: the rewritten body ran");
    }
    assert!(stat(&cs[1], "max_block_insns") >= 4, "the loop body was one region");
    assert!(stat(&cs[1], "invalidated") >= 1, "the written region was dropped");
}

/// A side exit that does the short block it leads to itself
/// (`translate::Tail`: `addi a0,a0,1; j` back to the loop) copies that
/// block's bytes: a store over them (no fence.i) must drop the region
/// copying them too, and the new instruction run. 9 rounds, the store,
/// 9 more: a0 = 9 + 9 * 100.
#[test]
fn writes_to_code_a_side_exit_copied_drop_the_region() {
    use jit::testprog::{b_type, i_type, j_type, s_type};
    let code = [
        i_type(10, 0, 0, 6, 0x13),  // 0x00 addi t1,zero,10
        i_type(-1, 6, 0, 6, 0x13),  // 0x04 addi t1,t1,-1
        b_type(16, 0, 6, 1),        // 0x08 bne t1,zero,0x18
        i_type(1, 29, 0, 29, 0x13), // 0x0c addi t4,t4,1
        i_type(1, 29, 0, 29, 0x13), // 0x10 addi t4,t4,1
        j_type(12, 0),              // 0x14 jal zero,0x20
        i_type(1, 10, 0, 10, 0x13), // 0x18 addi a0,a0,1     <- rewritten
        j_type(-24, 0),             // 0x1c jal zero,0x04
        b_type(20, 0, 9, 1),        // 0x20 bne s1,zero,0x34
        s_type(0, 11, 12, 2),       // 0x24 sw a1,0(a2)
        i_type(1, 0, 0, 9, 0x13),   // 0x28 addi s1,zero,1
        j_type(-44, 0),             // 0x2c jal zero,0x00
        WFI,                        // 0x30
        WFI,                        // 0x34
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.x[11] = u64::from(i_type(100, 10, 0, 10, 0x13)); // a1: addi a0,a0,100
        h.x[12] = CODE + 0x18; // a2
    });
    assert_eq!(run_both(&mut cs, 400), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[10], 9 + 9 * 100, "a0: the rewritten short block ran");
        assert_eq!(c.hart.x[29], 4, "t4: the loop's exits");
    }
    assert!(stat(&cs[1], "threaded") >= 2, "the side exit did the short block, before and after the store");
    assert!(stat(&cs[1], "invalidated") >= 1, "the region copying the written bytes was dropped");
}

/// A block with FP fast paths is translated for each FP mode it meets
/// (`FpMode`); the direct jump into it must follow the mode in use, not
/// stay on a variant whose entry check sends every run back to Rust.
/// Three phases of 100 rounds of `W: addi; jal X` / `X: fadd.d (exact);
/// bne W`: inexact accrued (Fast), cleared (Dirty), accrued again.
#[test]
fn jumps_follow_the_block_for_the_fp_mode_in_use() {
    use jit::testprog::{b_type, i_type, j_type};
    let code = [
        i_type(3, 0, 0, 9, 0x13),   // 0x00 addi s1,zero,3
        i_type(100, 0, 0, 6, 0x13), // 0x04 addi t1,zero,100
        i_type(1, 9, 7, 7, 0x13),   // 0x08 andi t2,s1,1
        b_type(12, 0, 7, 0),        // 0x0c beq t2,zero,0x18
        i_type(1, 1, 6, 0, 0x73),   // 0x10 csrsi fflags,1 (NX)
        j_type(8, 0),               // 0x14 jal zero,0x1c
        i_type(1, 0, 5, 0, 0x73),   // 0x18 csrwi fflags,0
        i_type(-1, 6, 0, 6, 0x13),  // 0x1c W: addi t1,t1,-1
        j_type(8, 0),               // 0x20 jal zero,0x28
        WFI,                        // 0x24
        0x0220_f0d3,                // 0x28 X: fadd.d f1,f1,f2
        b_type(-16, 0, 6, 1),       // 0x2c bne t1,zero,0x1c
        i_type(-1, 9, 0, 9, 0x13),  // 0x30 addi s1,s1,-1
        b_type(-48, 0, 9, 1),       // 0x34 bne s1,zero,0x04
        WFI,                        // 0x38
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.csr.mstatus |= 3 << 13 | 1 << 63; // FS Dirty (and SD)
        h.f[2] = 1.0f64.to_bits();
    });
    assert_eq!(run_both(&mut cs, 10_000), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.f[1], 300.0f64.to_bits(), "f1");
        assert_eq!(c.hart.csr.fcsr, 1, "NX accrued in the last phase");
    }
    // A handful of entries per phase, not one per round.
    let entered = stat(&cs[1], "entered");
    assert!(entered < 60, "entered generated code {entered} times");
}

/// One virtual pc, two codes: in M (no translation) `T` runs the trap
/// handler, in S it is mapped to other code that adds 100 and calls
/// `ecall`. Each round trip switches TLB banks, and the JIT keeps a jump
/// cache per bank without clearing them: the block found for `T` in one
/// privilege must never run in the other (N rounds: a1 = 101 * N).
#[test]
fn a_pc_in_two_privileges_runs_each_ones_code() {
    use testprog::{b_type, i_type};
    const T: u64 = RAM_BASE + 0x2000;
    const N: u64 = 40;
    let (root, l1, l0, p) = (RAM_BASE + 0x3000, RAM_BASE + 0x4000, RAM_BASE + 0x5000, RAM_BASE + 0x6000);
    let pte = |pa: u64, flags: u64| (pa >> 12) << 10 | flags | 1;
    let (r, x, a) = (2, 8, 0x40);
    let mut cs = pair(&[0x3020_0073], CODE, |h| {
        h.csr.mepc = T;
        h.csr.mtvec = T;
        h.csr.mstatus = 1 << 11; // MPP = S
        h.csr.satp = 8 << 60 | root >> 12;
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        h.x[5] = T;
        h.x[12] = N;
    });
    let m_code = [
        i_type(1, 11, 0, 11, 0x13),   // addi a1,a1,1
        i_type(0x341, 5, 1, 0, 0x73), // csrw mepc,t0
        i_type(-1, 12, 0, 12, 0x13),  // addi a2,a2,-1
        b_type(8, 0, 12, 0),          // beqz a2,+8
        0x3020_0073,                  // mret
        WFI,
    ];
    let s_code = [i_type(100, 11, 0, 11, 0x13), 0x0000_0073]; // addi a1,a1,100; ecall
    for c in &mut cs {
        let mut put = |at: u64, v: u64, size: u8| c.ram_write(at, size, v).expect("in RAM");
        put(root + 8 * 2, pte(l1, 0), 8);
        put(l1, pte(l0, 0), 8);
        put(l0 + 8 * 2, pte(p, r | x | a), 8); // T -> P in S
        for (i, w) in m_code.iter().enumerate() {
            put(T + 4 * i as u64, u64::from(*w), 4);
        }
        for (i, w) in s_code.iter().enumerate() {
            put(p + 4 * i as u64, u64::from(*w), 4);
        }
    }
    assert_eq!(run_both(&mut cs, 10_000), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[11], 101 * N, "a1: both codes, N times each");
        assert_eq!(c.hart.prv, cpu_riscv::Priv::M);
    }
    assert!(stat(&cs[1], "translated") >= 2, "the JIT ran both codes");
    // Traps and xRETs go on in generated code: Rust enters it a few times only.
    assert!(stat(&cs[1], "entered") < N, "Rust entered generated code {} times", stat(&cs[1], "entered"));
}

/// Generated code goes on by itself after a trap or an xRET (no return to
/// Rust), but not past an interrupt that became pending and enabled: the
/// ecall handler raises SSIP (enabled in `mie`, not delegated, so taken in
/// U at once) and returns; the interrupt must be taken right after the
/// `mret`, before any more U code, N - 1 times, as the interpreter does.
#[test]
fn traps_and_returns_chain_but_not_past_an_interrupt() {
    use testprog::{b_type, i_type, j_type};
    const H: u64 = RAM_BASE + 0x2000;
    const U: u64 = RAM_BASE + 0x3000;
    const N: u64 = 30;
    let mut cs = pair(&[0x3020_0073], CODE, |h| {
        h.csr.mepc = U;
        h.csr.mtvec = H;
        h.csr.mie = 2; // SSIE
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        h.x[7] = 2;
        h.x[12] = N;
    });
    let handler = [
        i_type(0x342, 0, 2, 6, 0x73), // 0x00 csrr t1,mcause
        b_type(36, 0, 6, 4),          // 0x04 bltz t1,0x28 (an interrupt)
        i_type(0x341, 0, 2, 5, 0x73), // 0x08 csrr t0,mepc
        i_type(4, 5, 0, 5, 0x13),     // 0x0c addi t0,t0,4
        i_type(0x341, 5, 1, 0, 0x73), // 0x10 csrw mepc,t0
        i_type(-1, 12, 0, 12, 0x13),  // 0x14 addi a2,a2,-1
        b_type(12, 0, 12, 0),         // 0x18 beqz a2,0x24
        i_type(0x344, 7, 2, 0, 0x73), // 0x1c csrs mip,t2 (SSIP)
        0x3020_0073,                  // 0x20 mret
        WFI,                          // 0x24
        i_type(0x344, 7, 3, 0, 0x73), // 0x28 csrc mip,t2
        i_type(1, 13, 0, 13, 0x13),   // 0x2c addi a3,a3,1
        0x3020_0073,                  // 0x30 mret
    ];
    let user = [i_type(1, 11, 0, 11, 0x13), 0x0000_0073, j_type(-8, 0)]; // addi a1,a1,1; ecall; j
    for c in &mut cs {
        for (at, code) in [(H, &handler[..]), (U, &user[..])] {
            for (i, w) in code.iter().enumerate() {
                c.ram_write(at + 4 * i as u64, 4, u64::from(*w)).expect("in RAM");
            }
        }
    }
    assert_eq!(run_both(&mut cs, 10_000), Stop::Wfi);
    for c in &cs {
        assert_eq!((c.hart.x[11], c.hart.x[13]), (N, N - 1), "a1: U rounds; a3: interrupts taken");
    }
}

/// CSR instructions on the plain CSRs run inline: every form (register and
/// immediate, write, set, clear, x0 cases) on mscratch and mepc (bit 0
/// reads zero), then in U an access to sscratch, which only S and M may
/// make: the illegal-instruction trap must be precise (mepc, mtval = the
/// encoding, a6 unchanged after it), as in the interpreter.
#[test]
fn plain_csrs_inline_check_privilege_and_masks() {
    use testprog::i_type;
    let csr = |op: u32, rd: u32, rs1: u32, num: i32| i_type(num, rs1, op, rd, 0x73);
    const U: u64 = CODE + 0x40;
    let sscratch_read = csr(2, 16, 0, 0x140); // csrr a6,sscratch
    let mut code = vec![
        csr(1, 0, 10, 0x340),  // csrw mscratch,a0
        csr(2, 11, 0, 0x340),  // csrr a1,mscratch
        csr(2, 12, 13, 0x340), // csrrs a2,mscratch,a3
        csr(3, 14, 13, 0x340), // csrrc a4,mscratch,a3
        csr(5, 15, 7, 0x341),  // csrrwi a5,mepc,7 (reads 0)
        csr(6, 5, 0, 0x341),   // csrrsi t0,mepc,0 (reads 6: bit 0 cleared)
        csr(7, 6, 2, 0x341),   // csrrci t1,mepc,2 -> mepc = 4
        csr(1, 0, 28, 0x341),  // csrw mepc,t3 (= U)
        0x3020_0073,           // mret (MPP = U)
    ];
    code.resize(16, 0x0000_0013);
    code.push(sscratch_read); // U + 0
    code.push(WFI);
    let mut cs = pair(&code, CODE, |h| {
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        h.x[10] = 0xf0f0;
        h.x[13] = 0x0f0f;
        h.x[16] = 77;
        h.x[28] = U;
    });
    for c in &mut cs {
        c.hart.csr.mtvec = U + 4; // the trap lands on the wfi
    }
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        let x = &c.hart.x;
        assert_eq!((x[11], x[12], x[14]), (0xf0f0, 0xf0f0, 0xffff), "mscratch reads");
        assert_eq!(c.hart.csr.mscratch, 0xf0f0);
        assert_eq!((x[15], x[5], x[6]), (0, 6, 6), "mepc reads");
        assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc, c.hart.csr.mtval), (2, U, u64::from(sscratch_read)));
        assert_eq!((x[16], c.hart.prv), (77, cpu_riscv::Priv::M), "a6 unchanged; trapped to M");
    }
}

/// A hot loop on registers kept in the `Hart` by default (s2-s7, t3, t4):
/// run in budget slices as the machine runs them, the JIT finds where the
/// time goes and pins those registers instead (flushing its code), with
/// the same results as the interpreter all along.
#[test]
fn hot_registers_get_pinned() {
    let code = [
        0x013_90933, // 0x00 add s2,s2,s3
        0x012_a4a33, // 0x04 xor s4,s4,s2
        0x001_a8a93, // 0x08 addi s5,s5,1
        0x015_b0b33, // 0x0c add s6,s6,s5
        0x001_b1b93, // 0x10 slli s7,s6,1
        0x017_e4e33, // 0x14 xor t3,t3,s7
        0xfff_e8e93, // 0x18 addi t4,t4,-1
        0xfe0_e92e3, // 0x1c bne t4,zero,0x00
        0x000_0006f, // 0x20 jal zero,0x20
    ];
    let mut cs = pair(&code, CODE, |h| {
        h.x[19] = 3; // s3
        h.x[29] = 3_000_000; // t4: rounds
    });
    let before = cs[1].engine_info().expect("the JIT reports");
    assert!(before.contains("\npinned registers    sp a0 a5 ra a1 a2 a3 a4 s0 (changed 0 times)\n"), "{before}");
    while cs[0].hart.pc != CODE + 0x20 {
        run_both(&mut cs, 1 << 16);
    }
    assert_eq!(cs[1].hart.x[29], 0, "t4: every round ran");
    assert!(stat(&cs[1], "repinned") >= 1, "{:?}", cs[1].engine_stats());
    let info = cs[1].engine_info().expect("the JIT reports");
    let line = info.lines().find(|l| l.starts_with("pinned registers")).expect("a pinning line");
    let names: Vec<&str> = line["pinned registers".len()..].split_whitespace().take(9).collect();
    for hot in ["s2", "s3", "s4", "s5", "s6", "s7", "t3", "t4"] {
        assert!(names.contains(&hot), "{hot} not pinned: {line}");
    }
}

/// `-perfmap`: perf names a sample by the first line of the map covering
/// it, so a new pinning's code goes after the old rather than over it: no
/// two lines name the same bytes, however often the pinning changes.
#[test]
fn perfmap_lines_never_name_the_same_bytes_across_new_pinnings() {
    use cpu_riscv::engine::Engine;
    use jit::testprog::{i_type, j_type};
    let path = std::env::temp_dir().join(format!("tern-scenarios-perfmap-{}.map", std::process::id()));
    // addi a0,a0,1; j back
    let mut c = testprog::cpu(&[i_type(1, 10, 0, 10, 0x13), j_type(-4, 0)], &[j_type(0, 0)]);
    let mut jit = Jit::with_code_size(1 << 20).expect("code buffer");
    jit.set_hot_threshold(0);
    jit.set_perfmap(jit::perfmap::PerfMap::create(&path).expect("map file"));
    let other = jit::Pinning::new([5, 6, 7, 28, 29, 30, 31, 18, 9]).unwrap();
    for p in [other, jit::Pinning::DEFAULT, other] {
        jit.exec_block(&mut c, 1000);
        jit.set_pinning(&mut c, p).expect("new pinning");
    }
    jit.exec_block(&mut c, 1000);
    assert_eq!(c.hart.x[10], 2000, "a0: the loop ran under each pinning");
    drop(jit);
    let text = std::fs::read_to_string(&path).expect("map written");
    let _ = std::fs::remove_file(&path);
    let mut lines: Vec<(u64, u64, String)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, ' ').collect();
            (u64::from_str_radix(f[0], 16).unwrap(), u64::from_str_radix(f[1], 16).unwrap(), f[2].to_string())
        })
        .collect();
    let tramps = lines.iter().filter(|l| l.2 == "tcg-prologue-buffer").count();
    assert_eq!(tramps, 4, "a trampoline per pinning: {text}");
    assert!(lines.len() >= 8, "the loop's code once per pinning: {text}");
    lines.sort();
    assert!(lines.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0), "lines overlap: {text}");
}

/// `jalr` clears its target's bit 0 (Unprivileged spec 2.5): calls and
/// returns to odd addresses, chained and through the jump cache (whose
/// tags no odd address matches: it misses, and the exit clears the bit),
/// go where the interpreter goes, and a `jalr` to -1 (all bits set: the
/// last entry's index) takes the fetch fault at -2, never a stale entry.
#[test]
fn jalr_to_odd_targets_clears_bit_0_through_the_jump_cache() {
    let code = [
        testprog::i_type(-1, 5, 0, 5, 0x13), // 0x00 addi t0,t0,-1
        testprog::i_type(1, 11, 0, 1, 0x67), // 0x04 jalr ra,1(a1): the function
        testprog::b_type(-8, 0, 5, 1),       // 0x08 bne t0,x0,0x00
        testprog::i_type(0, 12, 0, 1, 0x67), // 0x0c jalr ra,0(a2): -1
        WFI,                                 // 0x10
        WFI,
        WFI,
        WFI,
        testprog::i_type(3, 10, 0, 10, 0x13), // 0x20 addi a0,a0,3
        testprog::i_type(1, 1, 0, 0, 0x67),   // 0x24 jalr x0,1(ra): return
    ];
    for slice in [1u64, 3, 7, 1000] {
        let mut cs = pair(&code, CODE, |h| {
            h.x[5] = 20;
            h.x[11] = CODE + 0x20;
            h.x[12] = u64::MAX;
        });
        let mut runs = 0;
        while run_both(&mut cs, slice) == Stop::Budget {
            runs += 1;
            assert!(runs < 10_000, "never stops");
        }
        let h = &cs[1].hart;
        assert_eq!(h.x[10], 60, "the function ran 20 times");
        // The instruction access fault at -2 (Privileged spec 3.1.15: mcause 1).
        assert_eq!((h.csr.mcause, h.csr.mepc, h.pc), (1, u64::MAX - 1, testprog::TRAP_VEC + 4));
        assert!(stat(&cs[1], "chained") > 0);
    }
}
