/*
 * Tern's test vocabulary for the bare-metal ISA images.
 *
 * A case is a number (1..254, kept in gp; the failing number becomes the exit
 * status) followed by checks; the first check that does not hold jumps to
 * `fail` in rt.S. Checks compare against t6, so every macro may clobber
 * t0, t1 and t6; operand/result registers are given per macro below.
 *
 *   #include "test.h"
 *   TESTS_BEGIN
 *     RR(2, add, 3, 1, 2)               a0 = a1 (1) + a2 (2), expect 3
 *     CASE(3)  li a0, 5  EXPECT(a0, 5)   the same in single steps
 *   TESTS_END
 *   DATA_BEGIN
 *     ...
 *   DATA_END
 */
#ifndef TERN_TEST_H
#define TERN_TEST_H

#define MSTATUS_SIE 0x2
#define MSTATUS_MIE 0x8
#define MSTATUS_SPIE 0x20
#define MSTATUS_MPIE 0x80
#define MSTATUS_SPP 0x100
#define MSTATUS_MPP 0x1800
#define MSTATUS_FS 0x6000
#define MSTATUS_FS_INIT 0x2000
#define MSTATUS_MPRV 0x20000
#define MSTATUS_SUM 0x40000
#define MSTATUS_MXR 0x80000
#define MSTATUS_TVM 0x100000
#define MSTATUS_TW 0x200000
#define MSTATUS_TSR 0x400000
#define SSTATUS_SPP 0x100

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_NAPOT 0x18

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE 13
#define CAUSE_STORE_PAGE 15
#define IRQ_BIT (1 << 63)
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define IRQ_M_EXT 11
#define MIP_SSIP (1 << IRQ_S_SOFT)
#define MIP_MSIP (1 << IRQ_M_SOFT)
#define MIP_STIP (1 << IRQ_S_TIMER)
#define MIP_MTIP (1 << IRQ_M_TIMER)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define CLINT_BASE 0x2000000
#define CLINT_MSIP (CLINT_BASE + 0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xbff8)

#ifdef __ASSEMBLER__

#define TESTS_BEGIN .text; .globl test_main; test_main:
#define TESTS_END j pass;
#define DATA_BEGIN .data; .align 4;
#define DATA_END

/* ---- the primitives: number a case, check a register or memory word ----
 * A check is a short forward branch over a `j fail`, so `fail` may be far. */
#define CASE(n) li gp, n;
#define EXPECT_EQ(r, e) beq r, e, 9001f; j fail; 9001:
#define EXPECT_NE(r, e) bne r, e, 9002f; j fail; 9002:
#define EXPECT(r, value) li t6, value; EXPECT_EQ(r, t6)
#define EXPECT_MEM(sym, value) ld t0, sym; EXPECT(t0, value)
#define EXPECT_MEM_ADDR(sym, lbl) ld t0, sym; la t6, lbl; EXPECT_EQ(t0, t6)

/* Case n runs `code` (statements separated by `;`) and expects `value` in reg. */
#define CASE_CODE(n, reg, value, code...) CASE(n) code; EXPECT(reg, value)

/* ---- integer register-register: a0 = a1 op a2 ----
 * Aliasing forms work on a3/a4: _TO_RS1 is a3 = a3 op a4, _TO_RS2 is
 * a4 = a3 op a4, _ONE_REG is a3 = a3 op a3. _X0_RS1 / _X0_RS2 put x0 in that
 * operand (the other comes from a2 / a1); _X0_RD writes x0, which stays 0. */
#define RR(n, op, exp, v1, v2) CASE_CODE(n, a0, exp, li a1, v1; li a2, v2; op a0, a1, a2)
#define RR_TO_RS1(n, op, exp, v1, v2) CASE_CODE(n, a3, exp, li a3, v1; li a4, v2; op a3, a3, a4)
#define RR_TO_RS2(n, op, exp, v1, v2) CASE_CODE(n, a4, exp, li a3, v1; li a4, v2; op a4, a3, a4)
#define RR_ONE_REG(n, op, exp, v) CASE_CODE(n, a3, exp, li a3, v; op a3, a3, a3)
#define RR_X0_RS1(n, op, exp, v2) CASE_CODE(n, a0, exp, li a2, v2; op a0, zero, a2)
#define RR_X0_RS2(n, op, exp, v1) CASE_CODE(n, a0, exp, li a1, v1; op a0, a1, zero)
#define RR_X0_RD(n, op, v1, v2) CASE_CODE(n, zero, 0, li a1, v1; li a2, v2; op zero, a1, a2)

/* ---- integer register-immediate: a0 = a1 op imm (same naming) ---- */
#define RI(n, op, exp, v1, imm) CASE_CODE(n, a0, exp, li a1, v1; op a0, a1, imm)
#define RI_TO_RS1(n, op, exp, v1, imm) CASE_CODE(n, a3, exp, li a3, v1; op a3, a3, imm)
#define RI_X0_RS1(n, op, exp, imm) CASE_CODE(n, a0, exp, op a0, zero, imm)
#define RI_X0_RD(n, op, v1, imm) CASE_CODE(n, zero, 0, li a1, v1; op zero, a1, imm)

/* ---- memory: base register a1 = label (+ bias), loaded value in a0 ---- */
#define LOAD(n, op, exp, off, lbl) CASE_CODE(n, a0, exp, la a1, lbl; op a0, off(a1))
#define LOAD_BIASED(n, op, exp, off, lbl, bias) \
  CASE_CODE(n, a0, exp, la a1, lbl; addi a1, a1, bias; op a0, off(a1))
/* store a2 = value with `st`, read it back with `ld` (into a0) */
#define STORE_LOAD(n, ld, st, exp, value, off, lbl) \
  CASE_CODE(n, a0, exp, la a1, lbl; li a2, value; st a2, off(a1); ld a0, off(a1))

/* ---- branches on a1 (v1), a2 (v2) ---- */
#define BRANCH_TAKEN(n, op, v1, v2) \
  CASE(n) li a1, v1; li a2, v2; op a1, a2, 9003f; j fail; 9003:
#define BRANCH_NOT_TAKEN(n, op, v1, v2) \
  CASE(n) li a1, v1; li a2, v2; op a1, a2, 9004f; j 9005f; 9004: j fail; 9005:

/* ---- traps (recorded by rt.S in trap_cause/epc/tval/prv/count/log) ----
 * EXPECT_TRAP_AT(lbl) arms the handler: the next exception resumes at lbl in
 * M mode. TRAP_CASE(n, cause, code...): code must trap with mcause == cause;
 * execution continues after the macro, where trap_epc/trap_tval can be checked. */
#define EXPECT_TRAP_AT(lbl) la t0, lbl; la t1, trap_resume; sd t0, 0(t1)
#define TRAP_CASE(n, cause, code...) \
  CASE(n) EXPECT_TRAP_AT(9006f); code; j fail; 9006: EXPECT_MEM(trap_cause, cause)
#define CLEAR_TRAP_RECORD \
  la t0, trap_cause; sd zero, 0(t0); sd zero, 8(t0); sd zero, 16(t0); sd zero, 24(t0); sd zero, 32(t0); \
  la t0, strap_cause; sd zero, 0(t0); sd zero, 8(t0); sd zero, 16(t0); sd zero, 24(t0); sd zero, 32(t0)

/* Run the code at label `lbl` in privilege `prv`; that code ends with ecall
 * (or any trap) and execution continues after the macro in M mode. */
#define RUN_IN_MODE(prv, lbl) \
  EXPECT_TRAP_AT(9007f); li a0, prv; la a1, lbl; j enter_mode; 9007:

/* ---- floating point ----
 * Operands and results are raw bit patterns, so NaN payloads and signed zeros
 * are exact. Operands go to fa0..fa2 (singles NaN-boxed by fmv.w.x), fflags is
 * cleared, `code` runs and leaves its result in fa3 (FP_D/FP_S, checked with
 * the box) or a0 (FP_TO_INT_*); then fflags must equal `flags` (read into a1). */
#define EXPECT_FFLAGS(flags) frflags a1; EXPECT(a1, flags)
#define FP_LOAD3_D(b1, b2, b3) li t0, b1; fmv.d.x fa0, t0; li t0, b2; fmv.d.x fa1, t0; li t0, b3; fmv.d.x fa2, t0
#define FP_LOAD3_S(b1, b2, b3) li t0, b1; fmv.w.x fa0, t0; li t0, b2; fmv.w.x fa1, t0; li t0, b3; fmv.w.x fa2, t0

#define FP_D(n, flags, res, b1, b2, b3, code...) \
  CASE(n) FP_LOAD3_D(b1, b2, b3); fsflags zero; code; fmv.x.d a0, fa3; EXPECT_FFLAGS(flags); EXPECT(a0, res)
#define FP_S(n, flags, res, b1, b2, b3, code...) \
  CASE(n) FP_LOAD3_S(b1, b2, b3); fsflags zero; code; fmv.x.d a0, fa3; EXPECT_FFLAGS(flags); \
  EXPECT(a0, 0xffffffff00000000 | (res))
/* FP operands, integer result in a0 (compares, fclass, fcvt to int, fmv.x) */
#define FP_TO_INT_D(n, flags, res, b1, b2, code...) \
  CASE(n) FP_LOAD3_D(b1, b2, 0); fsflags zero; code; EXPECT_FFLAGS(flags); EXPECT(a0, res)
#define FP_TO_INT_S(n, flags, res, b1, b2, code...) \
  CASE(n) FP_LOAD3_S(b1, b2, 0); fsflags zero; code; EXPECT_FFLAGS(flags); EXPECT(a0, res)
/* integer operand in a2, FP result in fa3 (fcvt from int) */
#define INT_TO_FP_D(n, flags, res, v, code...) \
  CASE(n) li a2, v; fsflags zero; code; fmv.x.d a0, fa3; EXPECT_FFLAGS(flags); EXPECT(a0, res)
#define INT_TO_FP_S(n, flags, res, v, code...) \
  CASE(n) li a2, v; fsflags zero; code; fmv.x.d a0, fa3; EXPECT_FFLAGS(flags); \
  EXPECT(a0, 0xffffffff00000000 | (res))

#endif /* __ASSEMBLER__ */
#endif
