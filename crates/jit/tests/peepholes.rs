//! Peepholes of the translator, against the interpreter: shift pairs
//! (`slli t, rs, a` then `srli`/`srai d, t, b`) done as one extension from
//! `rs` (`translate::pairs`), the left shift dropped when its result is
//! dead; W operations whose sign extension nobody reads (`translate::sext`).
//! Every shape, register arrangement and neighbour that changes what is done.

use cpu_riscv::Stop;
use jit::testprog::{self, run_both, WFI};

const CODE: u64 = testprog::RAM_BASE + 0x1000;

fn i_type(f3: u32, rd: u8, rs1: u8, imm: u32) -> u32 {
    imm << 20 | u32::from(rs1) << 15 | f3 << 12 | u32::from(rd) << 7 | 0x13
}
fn slli(rd: u8, rs: u8, sh: u32) -> u32 {
    i_type(1, rd, rs, sh)
}
fn srli(rd: u8, rs: u8, sh: u32) -> u32 {
    i_type(5, rd, rs, sh)
}
fn srai(rd: u8, rs: u8, sh: u32) -> u32 {
    i_type(5, rd, rs, 0x400 | sh)
}
fn addi(rd: u8, rs: u8, imm: u32) -> u32 {
    i_type(0, rd, rs, imm)
}
fn andi(rd: u8, rs: u8, imm: u32) -> u32 {
    i_type(7, rd, rs, imm & 0xfff)
}
fn addiw(rd: u8, rs: u8, imm: u32) -> u32 {
    i_type(0, rd, rs, imm) & !0x7f | 0x1b
}
fn slliw(rd: u8, rs: u8, sh: u32) -> u32 {
    i_type(1, rd, rs, sh) & !0x7f | 0x1b
}
fn r_type(f7: u32, f3: u32, rd: u8, rs1: u8, rs2: u8, opcode: u32) -> u32 {
    f7 << 25 | u32::from(rs2) << 20 | u32::from(rs1) << 15 | f3 << 12 | u32::from(rd) << 7 | opcode
}
fn add(rd: u8, rs1: u8, rs2: u8) -> u32 {
    r_type(0, 0, rd, rs1, rs2, 0x33)
}
fn addw(rd: u8, rs1: u8, rs2: u8) -> u32 {
    r_type(0, 0, rd, rs1, rs2, 0x3b)
}
fn mulw(rd: u8, rs1: u8, rs2: u8) -> u32 {
    r_type(1, 0, rd, rs1, rs2, 0x3b)
}
fn sll(rd: u8, rs1: u8, rs2: u8) -> u32 {
    r_type(0, 1, rd, rs1, rs2, 0x33)
}
fn sllw(rd: u8, rs1: u8, rs2: u8) -> u32 {
    r_type(0, 1, rd, rs1, rs2, 0x3b)
}
/// `beq rs1, rs2, +8` (over the next instruction).
fn beq_over(rs1: u8, rs2: u8) -> u32 {
    beq_ahead(rs1, rs2, 1)
}
/// `beq rs1, rs2` over the next `n` (at most 7) instructions.
fn beq_ahead(rs1: u8, rs2: u8, n: u32) -> u32 {
    (2 * (n + 1)) << 8 | u32::from(rs2) << 20 | u32::from(rs1) << 15 | 0x63
}

const VALUES: [u64; 4] = [0x8000_0000_ffff_8081, u64::MAX, 0x1234_5678_9abc_def0, 0x7fff_ffff_0000_7f7f];

/// Run `code` (then `wfi`) with `regs` set to each of `VALUES` (rotated per
/// register) under the interpreter and the JIT: they must agree.
fn check(code: &[u32], regs: &[u8]) {
    let mut program = code.to_vec();
    program.push(WFI);
    for v in 0..VALUES.len() {
        let mut cs = testprog::pair(0x10000, &program, CODE, |h| {
            for (n, &r) in regs.iter().enumerate() {
                if r != 0 {
                    h.x[usize::from(r)] = VALUES[(v + n) % VALUES.len()];
                }
            }
        });
        assert_eq!(run_both(&mut cs, 100), Stop::Wfi, "{code:08x?}");
    }
}

/// Run both machines in slices of `slice` until they stop other than for
/// the budget, comparing them after each (`run_both`).
fn run_in_slices(cs: &mut [cpu_riscv::Cpu; 2], slice: u64) {
    let mut runs = 0;
    while run_both(cs, slice) == Stop::Budget {
        runs += 1;
        assert!(runs < 10_000, "never stops");
    }
}

/// Pinned (a0-a5) and unpinned (t3-t6) registers by default.
const A0: u8 = 10;
const A1: u8 = 11;
const A2: u8 = 12;
const A3: u8 = 13;
const A4: u8 = 14;
const A5: u8 = 15;
const T3: u8 = 28;
const T4: u8 = 29;

const SHAPES: [(u32, u32); 24] = [
    (32, 32),
    (32, 31),
    (32, 30),
    (32, 29),
    (32, 28),
    (32, 33),
    (32, 40),
    (48, 48),
    (48, 47),
    (48, 50),
    (56, 56),
    (56, 53),
    (40, 40),
    (40, 35),
    (40, 45),
    (33, 33),
    (63, 63),
    (63, 60),
    (31, 31),
    (1, 1),
    (0, 0),
    (60, 2),
    (16, 16),
    (8, 12),
];

#[test]
fn every_shape_matches_the_interpreter() {
    for (a, b) in SHAPES {
        for right in [srli, srai] {
            // d = t, the left shift dead; d = t = rs.
            check(&[slli(A0, A1, a), right(A0, A0, b)], &[A1]);
            check(&[slli(A0, A0, a), right(A0, A0, b)], &[A0]);
            // t live (kept), d elsewhere; then t overwritten (dropped).
            check(&[slli(A0, A1, a), right(A2, A0, b)], &[A1]);
            check(&[slli(A0, A1, a), right(A2, A0, b), addi(A0, 0, 7)], &[A1]);
            // t = rs, live: the pair must not take rs after the left shift.
            check(&[slli(A1, A1, a), right(A2, A1, b)], &[A1]);
            // Registers in the `Hart`, and x0.
            check(&[slli(T3, T4, a), right(T4, T3, b)], &[T4]);
            check(&[slli(A0, T4, a), right(T3, A0, b), addi(A0, 0, 1)], &[T4]);
            check(&[slli(A0, 0, a), right(A2, A0, b)], &[]);
            check(&[slli(A0, A1, a), right(0, A0, b)], &[A1]);
        }
    }
}

#[test]
fn neighbours_that_matter() {
    for (a, b) in [(32, 32), (32, 31), (48, 48)] {
        for right in [srli, srai] {
            // Something else in between; rs changed in between.
            check(&[slli(A0, A1, a), addi(A2, A2, 3), right(A2, A0, b)], &[A1, A2]);
            check(&[slli(A0, A1, a), addi(A1, A1, 3), right(A2, A0, b)], &[A1]);
            // t read before it is overwritten: kept.
            check(&[slli(A0, A1, a), right(A2, A0, b), addi(T3, A0, 1), addi(A0, 0, 7)], &[A1]);
            // A side exit between the pair, and after it before t dies.
            check(&[slli(A0, A1, a), beq_over(A1, A1), addi(A2, 0, 5), right(A2, A0, b)], &[A1]);
            for (c1, c2) in [(A1, A1), (A1, A2)] {
                check(
                    &[slli(A0, A1, a), right(A2, A0, b), beq_ahead(c1, c2, 2), addi(A0, 0, 7), addi(A3, 0, 5)],
                    &[A1, A2],
                );
            }
            // The pair's left shift in a select's body (`if (c) x = ...`),
            // skipped (branch taken) or not.
            for (c1, c2) in [(A2, A2), (A2, T3)] {
                check(&[beq_over(c1, c2), slli(A0, A1, a), right(A0, A0, b)], &[A1, A2, T3]);
                check(&[beq_over(c1, c2), slli(A0, A1, a), right(A2, A0, b)], &[A1, A2, T3]);
            }
            // A load between: its slow path or fault would see t.
            check(&[slli(A0, A1, a), 0x0006_3603, right(A2, A0, b)], &[A1]); // ld a2,0(a2)
        }
    }
}

/// A pair as the body of a select (`if (c) x = zext(y)`), from another
/// register, from the destination itself, and after another operation of
/// the body (the value then in `rax`); the branch taken and not.
#[test]
fn pairs_in_a_select_body() {
    for (a, b) in SHAPES {
        for right in [srli, srai] {
            for (c1, c2) in [(A2, A2), (A2, T3)] {
                let over = |n| beq_ahead(c1, c2, n);
                check(&[over(2), slli(A0, A1, a), right(A0, A0, b)], &[A0, A1, A2, T3]);
                check(&[over(2), slli(A0, A0, a), right(A0, A0, b)], &[A0, A2, T3]);
                check(&[over(3), addi(A0, A0, 5), slli(A0, A0, a), right(A0, A0, b)], &[A0, A2, T3]);
                check(&[over(3), addi(T3, A1, 5), slli(T3, T3, a), right(T3, T3, b)], &[A1, A2, T3]);
            }
        }
    }
}

/// W results whose upper half is read, or not, before rd is overwritten.
#[test]
fn w_results_extended_where_anything_reads_the_upper_half() {
    let ws: [fn(u8, u8, u8) -> u32; 5] = [addw, mulw, sllw, |d, s, _| addiw(d, s, 0x7ff), |d, s, _| slliw(d, s, 3)];
    for w in ws {
        for d in [A0, T3] {
            let regs = [A1, A2, d];
            // Overwritten by readers of the low half only: not extended.
            check(&[w(d, A1, A2), andi(d, d, 255)], &regs);
            check(&[w(d, A1, A2), addw(d, d, A1)], &regs);
            check(&[w(d, A1, A2), slli(d, d, 32)], &regs);
            check(&[w(d, A1, A2), addw(A3, d, A1), addi(d, 0, 1)], &regs);
            check(&[w(d, A1, A2), slli(A3, d, 40), srli(A3, A3, 40), addi(d, 0, 1)], &regs);
            check(&[w(d, A1, A2), slli(d, d, 32), srli(A3, d, 32), addi(d, 0, 1)], &regs);
            // Read whole before it is overwritten: extended.
            check(&[w(d, A1, A2), andi(d, d, 0xfff)], &regs); // andi with -1
            check(&[w(d, A1, A2), slli(d, d, 31)], &regs);
            check(&[w(d, A1, A2), add(A3, d, A1), addi(d, 0, 1)], &regs);
            check(&[w(d, A1, A2), andi(A3, d, 0x800), addi(d, 0, 1)], &regs);
            // Seen before it is overwritten: a side exit, a store, the block's end.
            for (c1, c2) in [(A1, A1), (A1, A2)] {
                check(&[w(d, A1, A2), beq_ahead(c1, c2, 2), addw(d, d, A1), addi(A3, 0, 5)], &regs);
            }
            check(&[w(d, A1, A2), 0x00b5_b023, addw(d, d, A1)], &regs); // sd a1,0(a1): faults
            check(&[w(d, A1, A2)], &regs);
            // In a select's body, taken or not.
            for (c1, c2) in [(A3, A3), (A3, A1)] {
                check(&[beq_over(c1, c2), w(d, A1, A2), andi(d, d, 255)], &regs);
            }
        }
    }
}

/// Branch `f3` (beq 0, bne 1, blt 4, bge 5, bltu 6, bgeu 7) to `off` bytes.
fn branch(f3: u32, rs1: u8, rs2: u8, off: i32) -> u32 {
    let o = off as u32;
    (o >> 12 & 1) << 31
        | (o >> 5 & 0x3f) << 25
        | u32::from(rs2) << 20
        | u32::from(rs1) << 15
        | f3 << 12
        | (o >> 1 & 0xf) << 8
        | (o >> 11 & 1) << 7
        | 0x63
}
fn lui(rd: u8, imm20: u32) -> u32 {
    imm20 << 12 | u32::from(rd) << 7 | 0x37
}

/// Branches comparing with a register whose value the block knows (`li`,
/// `lui`, `lui` + `addiw`: `translate::consts`) take it as an immediate,
/// moved to the right (`c < x` as `x >= c + 1`) where it is on the left:
/// every branch, either side, at the bounds of each constant, as a side
/// exit, a select and a loop's back edge, registers pinned or not.
#[test]
fn branches_on_known_values() {
    // (code setting the register to c, c)
    let known = |t: u8| -> Vec<(Vec<u32>, i64)> {
        vec![
            (vec![addi(t, 0, 0)], 0),
            (vec![addi(t, 0, 9)], 9),
            (vec![addi(t, 0, 0xfff)], -1),
            (vec![addi(t, 0, 0x7ff)], 2047),
            (vec![addi(t, 0, 0x800)], -2048),
            (vec![lui(t, 0x80000)], -0x8000_0000),
            (vec![lui(t, 0x80000), addiw(t, t, 0xfff)], 0x7fff_ffff),
            (vec![lui(t, 0x12345), addi(t, t, 0x678)], 0x1234_5678),
            (vec![lui(t, 0x7ffff), addi(t, t, 0x7ff), addi(t, t, 0x7ff), addi(t, t, 0x7ff)], 0x8000_07fd),
            // Not known: written in a select's body (skipped: a3 = a5).
            (vec![addi(t, 0, 5), beq_over(A3, A5), addi(t, 0, 6)], 5),
        ]
    };
    for f3 in [0, 1, 4, 5, 6, 7] {
        for (x, t) in [(A1, A2), (T4, T3), (A1, T3)] {
            for (set, c) in known(t) {
                let values = [c - 1, c, c + 1, 0, -1, i64::MIN, i64::MAX, c ^ (1 << 40)];
                for v in values {
                    for (l, r) in [(x, t), (t, x)] {
                        let shapes: [Vec<u32>; 3] = [
                            // A side exit (over more than a select's body).
                            [branch(f3, l, r, 4 * 6), addi(A0, A0, 1), addi(A0, A0, 2), addi(A0, A0, 3)]
                                .into_iter()
                                .chain([addi(A0, A0, 4), addi(A0, A0, 5), addi(A5, 0, 1)])
                                .collect(),
                            // A select.
                            vec![branch(f3, l, r, 8), addi(A0, A0, 1), addi(A5, 0, 1)],
                            // A loop's back edge: the constant set again each time.
                            vec![addi(A0, A0, 1), addi(x, x, 1), branch(f3, l, r, -8 - 4 * set.len() as i32)],
                        ];
                        for shape in shapes {
                            let mut code = set.clone();
                            code.extend(&shape);
                            code.push(WFI);
                            let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
                                h.x[usize::from(x)] = v as u64;
                                h.x[usize::from(A3)] = 1;
                                h.x[usize::from(A5)] = 1;
                            });
                            let stop = run_both(&mut cs, 100);
                            assert!(matches!(stop, Stop::Wfi | Stop::Budget), "{code:08x?}: {stop:?}");
                        }
                    }
                }
            }
        }
    }
}

/// Register operations with a source the block knows take it as an
/// immediate (`translate::consts::with_immediate`): every one, the known
/// value on either side (or both), at the bounds of what fits and of shift
/// amounts, destinations pinned or not.
#[test]
fn operations_on_known_values() {
    // (funct7, funct3, opcode): add sub sll slt sltu xor srl sra or and,
    // addw subw sllw srlw sraw, and mul (never folded).
    let ops = [
        (0, 0, 0x33),
        (0x20, 0, 0x33),
        (0, 1, 0x33),
        (0, 2, 0x33),
        (0, 3, 0x33),
        (0, 4, 0x33),
        (0, 5, 0x33),
        (0x20, 5, 0x33),
        (0, 6, 0x33),
        (0, 7, 0x33),
        (0, 0, 0x3b),
        (0x20, 0, 0x3b),
        (0, 1, 0x3b),
        (0, 5, 0x3b),
        (0x20, 5, 0x3b),
        (1, 0, 0x33),
    ];
    let known = |t: u8| -> Vec<Vec<u32>> {
        vec![
            vec![addi(t, 0, 0)],
            vec![addi(t, 0, 31)],
            vec![addi(t, 0, 33)],
            vec![addi(t, 0, 65)],
            vec![addi(t, 0, 0xfff)],
            vec![addi(t, 0, 0x800)],
            vec![lui(t, 0x80000)],
            vec![lui(t, 0x80000), addiw(t, t, 0xfff)],
            // lui 0x80000 (i32::MIN): its negation does not fit (sub stays).
            vec![lui(t, 0x12345), addi(t, t, 0x678)],
            // 0x8000_07fd: known, but too wide for an immediate.
            vec![lui(t, 0x7ffff), addi(t, t, 0x7ff), addi(t, t, 0x7ff), addi(t, t, 0x7ff)],
        ]
    };
    for (f7, f3, opc) in ops {
        for t in [A2, T3] {
            for set in known(t) {
                for v in [0x8000_0000_ffff_8081u64, u64::MAX, 5, 0x7fff_ffff] {
                    for (rs1, rs2) in [(A1, t), (t, A1), (t, t)] {
                        for rd in [A0, T4, A1] {
                            let mut code = set.clone();
                            code.push(r_type(f7, f3, rd, rs1, rs2, opc));
                            // Reads of the result, and of the known register after it.
                            code.extend([add(A3, rd, A1), add(A4, t, A1), WFI]);
                            let mut cs = testprog::pair(0x10000, &code, CODE, |h| h.x[usize::from(A1)] = v);
                            assert_eq!(run_both(&mut cs, 100), Stop::Wfi, "{code:08x?}");
                        }
                    }
                }
            }
        }
    }
}

/// Folding a shift by a known amount into `slli` can make the branch over
/// it a select, whose body then runs or not: what the body writes is no
/// longer known after it (`translate::consts::fold` checks, and folds
/// nothing in such a block).
#[test]
fn a_fold_that_makes_a_select_keeps_what_the_select_changes() {
    for a5 in [0, 1] {
        let code = [addi(A2, 0, 3), beq_ahead(A3, A5, 2), sll(A0, A1, A2), addi(A0, 0, 7), add(A4, A1, A0), WFI];
        let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
            h.x[usize::from(A0)] = 100;
            h.x[usize::from(A1)] = 1000;
            h.x[usize::from(A3)] = 1;
            h.x[usize::from(A5)] = a5;
        });
        assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
        assert_eq!(cs[1].hart.x[usize::from(A4)], if a5 == 1 { 1100 } else { 1007 });
    }
}

fn lw(rd: u8, rs1: u8, imm: i32) -> u32 {
    testprog::i_type(imm, rs1.into(), 2, rd.into(), 0x03)
}
fn sw(rs2: u8, rs1: u8, imm: i32) -> u32 {
    testprog::s_type(imm, rs2.into(), rs1.into(), 2)
}
/// `bne rs1, rs2` to `by` bytes from here.
fn bne(rs1: u8, rs2: u8, by: i32) -> u32 {
    testprog::b_type(by, rs2.into(), rs1.into(), 1)
}
/// `beq rs1, rs2` to `by` bytes from here.
fn beq(rs1: u8, rs2: u8, by: i32) -> u32 {
    testprog::b_type(by, rs2.into(), rs1.into(), 0)
}
const CSRR_T4_MCYCLE: u32 = 0xb000_2ef3;

/// Loops whose W results stay unextended round the loop
/// (`translate::sext`: a sum and an index read at the top by W operations
/// only) against the interpreter: every way out of the loop on the way
/// (a load's fault or slow path, a helper, a side exit, the loop's end,
/// the budget spent at every point) sees them extended, and an entry with
/// one of them not sign-extended runs right too. Each program runs in
/// slices of every length up to a few rounds, the states compared after
/// each.
#[test]
fn w_results_unextended_round_a_loop_are_exact_on_every_way_out() {
    const T0: u8 = 5;
    // The loop's body, then its branch back to the start (`bne a0, x0`).
    let bodies: Vec<Vec<u32>> = vec![
        // sum += *p (p walks off the end of RAM: the load faults); a
        // counter down in a0.
        vec![lw(T0, A2, 0), addw(A1, A1, A3), addw(A1, A1, T0), addi(A2, A2, 0x7f0), addiw(A0, A0, 0xfff)],
        // An index (a4) read by a W operation at the top, as `sll`+`srl`
        // of `(u32)i` scaling do; a store of the sum; a helper.
        vec![
            slli(A5, A4, 32),
            srli(A5, A5, 30),
            add(A5, A5, A2),
            lw(T0, A5, 0),
            sw(A1, A5, 4),
            addw(A1, A1, T0),
            addiw(A4, A4, 3),
            CSRR_T4_MCYCLE,
            addiw(A0, A0, 0xfff),
        ],
        // A side exit on loaded data (the sum pending there).
        vec![lw(T0, A2, 0), mulw(A1, A1, A3), beq(T0, A3, 16), addi(A2, A2, 4), addiw(A0, A0, 0xfff)],
    ];
    let mut loops = 0;
    let mut unextended = 0;
    for body in &bodies {
        let mut code = body.clone();
        code.push(bne(A0, 0, -4 * body.len() as i32));
        code.push(WFI);
        // a1 (the sum) sign-extended, or not (then the interpreter runs
        // the first round); a3 large enough that the sum changes sign.
        for a1 in [5u64, 0x7fff_fff0, 0x1_0000_0005, 0xffff_ffff_8000_0000] {
            for slice in 1..=24u64 {
                let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
                    h.x[usize::from(A0)] = 40;
                    h.x[usize::from(A1)] = a1;
                    h.x[usize::from(A2)] = testprog::RAM_BASE + 0xf000;
                    h.x[usize::from(A3)] = 0x7654_3210;
                    h.x[usize::from(A4)] = 0x8000_0001;
                });
                let mut rounds = 0;
                while run_both(&mut cs, slice) == Stop::Budget {
                    rounds += 1;
                    assert!(rounds < 10_000, "{code:08x?} never stops");
                }
                let stat = |name| cs[1].engine_stats().iter().find(|(n, _)| *n == name).map_or(0, |s| s.1);
                loops += stat("round_loops");
                unextended += stat("round_unextended");
            }
        }
    }
    // The programs exercise what they are meant to.
    assert!(loops > 0, "no loop left a W result unextended");
    assert!(unextended > 0, "no loop was entered with one not sign-extended");
}

/// A region going round through a side exit whose tail leads back to its
/// start, the way round laid out inline (`emit_body`: the branch inverted
/// to the region's way on, the tail and the next round's budget check
/// after it), with W results about: the budget cut at every point, each
/// run against the interpreter (a way round short of budget leaves for
/// Rust with the registers as the interpreter has them).
#[test]
fn a_side_exit_going_round_inline_matches_the_interpreter_at_every_budget() {
    let code = [
        mulw(A1, A1, A3),           // 0x00
        addiw(A0, A0, 0xfff),       // 0x04
        bne(A0, 0, 12),             // 0x08 to the tail: round again
        addw(A5, A1, A1),           // 0x0c
        WFI,                        // 0x10
        addi(A2, A2, 4),            // 0x14 the tail
        testprog::j_type(-0x18, 0), // 0x18 j 0x00
    ];
    let mut threaded = 0;
    for slice in 1..=24u64 {
        let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
            h.x[usize::from(A0)] = 40;
            h.x[usize::from(A1)] = 5;
            h.x[usize::from(A3)] = 0x7654_3211;
        });
        run_in_slices(&mut cs, slice);
        threaded += cs[1].engine_stats().iter().find(|(n, _)| *n == "threaded").map_or(0, |s| s.1);
    }
    assert!(threaded > 0, "no side exit went round through its tail");
}

/// A loop going round through a side exit's tail with registers the run
/// leaves in the `Hart` (a partition scan: index, value, pointer) keeps
/// them in host registers of its own (`translate::regs::loop_pinning`),
/// swapped out on every way out: the bound's exit, the region's way on
/// (which names the pinned registers it took the place of: a0, a5), and
/// the budget cut at every point, each run against the interpreter.
#[test]
fn a_loop_through_a_tail_keeps_its_registers_in_host_ones_on_every_way_out() {
    const T5: u8 = 30;
    const T6: u8 = 31;
    let xor = |rd: u8, rs1: u8, rs2: u8| r_type(0, 4, rd, rs1, rs2, 0x33);
    let code = [
        addiw(T3, T3, 1),                         // 0x00 i++
        testprog::b_type(0x20 - 0x04, 29, 28, 5), // 0x04 bge t3,t4: out at 0x20
        xor(T5, T5, T3),                          // 0x08
        testprog::b_type(0x24 - 0x0c, 13, 30, 6), // 0x0c bltu t5,a3: the tail
        addw(A5, T5, A0),                         // 0x10 the way on
        add(A0, A0, A5),                          // 0x14
        sw(A0, T6, 0),                            // 0x18
        bne(A5, A5, 0x08 - 0x1c),                 // 0x1c the region's end (backward): never taken
        WFI,                                      // 0x20
        addi(T6, T6, 4),                          // 0x24 the tail
        testprog::j_type(-0x28, 0),               // 0x28 j 0x00
    ];
    // Out through the bound (a3 large) or the way on (at round 20).
    for bound in [0x1000, 20] {
        let (mut pinned, mut threaded) = (0, 0);
        for slice in 1..=30u64 {
            let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
                h.x[usize::from(T4)] = 30;
                h.x[usize::from(A3)] = bound;
                h.x[usize::from(A0)] = 7;
                h.x[usize::from(A5)] = 9;
                h.x[usize::from(T6)] = testprog::RAM_BASE + 0x8000;
            });
            run_in_slices(&mut cs, slice);
            pinned += testprog::stat(&cs[1], "loop_pinned");
            threaded += testprog::stat(&cs[1], "threaded");
        }
        assert!(threaded > 0, "no side exit went round through its tail");
        assert!(pinned > 0, "the loop kept no registers of its own");
    }
}

/// The bitwise register operations: xor, or, and.
const XOR: usize = 0;
const OR: usize = 1;
const AND: usize = 2;
fn bitwise(which: usize, rd: u8, rs1: u8, rs2: u8) -> u32 {
    r_type(0, [4, 6, 7][which], rd, rs1, rs2, 0x33)
}

/// Bitwise operations of W results (`translate::sext`'s `bitwise`): a
/// rotation (`srliw`, `slliw`, `or`), `xor`s, `and`s, `not`, of pending
/// sources, read by W operations only (nothing extended), read whole
/// (extended after), seen at a side exit, a faulting store or the block's
/// end, of a source that is no W result (as it was), and round a loop.
#[test]
fn bitwise_operations_of_w_results_stay_pending_exactly_where_nothing_reads_the_upper_half() {
    let (or, xor, and) =
        (|d, s, t| bitwise(OR, d, s, t), |d, s, t| bitwise(XOR, d, s, t), |d, s, t| bitwise(AND, d, s, t));
    let xori = |d: u8, s: u8, imm: u32| i_type(4, d, s, imm & 0xfff);
    let srliw = |d: u8, s: u8, sh: u32| srli(d, s, sh) & !0x7f | 0x1b;
    let rot = |d: u8, s: u8, t: u8| [srliw(d, s, 7), slliw(t, s, 25), or(d, d, t)];
    let bits: [&dyn Fn(u8, u8, u8) -> u32; 4] = [&or, &xor, &and, &|d, s, _| xori(d, s, 0xfff)];
    for d in [A0, T3] {
        let regs = [A1, A2, A4, d];
        for f in bits {
            let pre = [addw(A3, A1, A2), mulw(A4, A1, A1)];
            let op = f(d, A3, A4);
            // Read by W operations only, then overwritten.
            check(&[pre[0], pre[1], op, addw(A5, d, A1), addi(d, 0, 1)], &regs);
            check(&[pre[0], pre[1], op, f(A5, d, A3), addw(A5, A5, A1), addi(d, 0, 1)], &regs);
            // Read whole.
            check(&[pre[0], pre[1], op, add(A5, d, A1), addi(d, 0, 1)], &regs);
            check(&[pre[0], pre[1], op, srli(A5, d, 32)], &regs);
            // Seen: a side exit, a store that faults, the block's end.
            check(&[pre[0], pre[1], op, beq_ahead(A1, A1, 2), addw(d, d, A1), addi(A5, 0, 5)], &regs);
            check(&[pre[0], pre[1], op, 0x00b5_b023, addw(d, d, A1)], &regs); // sd a1,0(a1)
            check(&[pre[0], pre[1], op], &regs);
            // A source no W result (a1 whole): not a sign extension, nor
            // is a bitwise result of one.
            let a3_gone = addi(A3, 0, 0);
            check(&[pre[0], f(d, A3, A1), addw(A5, d, A2), add(A5, A5, d), a3_gone], &regs);
            check(&[pre[0], f(d, A1, A3), srli(A5, d, 32), a3_gone], &regs);
            let (a4_gone, a5_read) = (addi(A4, 0, 0), add(A5, d, A1));
            check(&[pre[0], pre[1], or(A5, A1, A3), f(d, A5, A4), a5_read, a4_gone, a3_gone], &regs);
        }
        // A rotation, summed as SHA-256 does, and read whole after.
        let mut code = rot(d, A1, A3).to_vec();
        code.extend(rot(A4, A2, A3));
        code.extend([xor(d, d, A4), addw(A5, d, A2), add(A4, d, A1)]);
        check(&code, &regs);
    }
    // Round a loop: x = (x >> 3 | x << 29) ^ y, y = y + x (W), 40 rounds.
    let code = [
        srliw(T3, A0, 3),     // 0x00
        slliw(T4, A0, 29),    // 0x04
        or(A0, T3, T4),       // 0x08
        xor(A0, A0, A1),      // 0x0c
        addw(A1, A1, A0),     // 0x10
        addiw(A2, A2, 0xfff), // 0x14
        bne(A2, 0, -0x18),    // 0x18
        add(A3, A0, A1),      // 0x1c: whole
        WFI,
    ];
    for slice in [1u64, 5, 13, 1000] {
        let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
            h.x[usize::from(A0)] = 0x8765_4321;
            h.x[usize::from(A1)] = 0xffff_ffff_9abc_def0;
            h.x[usize::from(A2)] = 40;
        });
        run_in_slices(&mut cs, slice);
    }
}
