/*
 * Macros for Tern's self-checking bare-metal ISA tests.
 *
 * Conventions: gp = current test number (reported on failure as exit code),
 * a0 = value under test, t2 = expected value, a1..a3 operands, t0/t1 scratch.
 * A test file looks like:
 *
 *   #include "test.h"
 *   TEST_CODE_BEGIN
 *     TEST_RR(2, add, 3, 1, 2)
 *   TEST_CODE_END
 *   TEST_DATA_BEGIN
 *     ...
 *   TEST_DATA_END
 *
 * Test numbers must be 1..254 (the process exit code is the number, mod 256).
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

#define TEST_CODE_BEGIN .text; .globl test_main; test_main:
#define TEST_CODE_END j pass;
#define TEST_DATA_BEGIN .data; .align 4;
#define TEST_DATA_END

/* ---- checking helpers (use jal so the target is never out of range) ---- */
#define FAIL_IF_NE(r, e) beq r, e, 9001f; j fail; 9001:
#define FAIL_IF_EQ(r, e) bne r, e, 9002f; j fail; 9002:
#define CHECK_REG(r, exp) li t2, exp; FAIL_IF_NE(r, t2)

/* Generic case: run code, then compare register testreg with exp. */
#define TEST_CASE(n, testreg, exp, code...) \
  li gp, n; code; li t2, exp; FAIL_IF_NE(testreg, t2)

/* ---- register-register ---- */
#define TEST_RR(n, inst, exp, v1, v2) \
  TEST_CASE(n, a0, exp, li a1, v1; li a2, v2; inst a0, a1, a2)
#define TEST_RR_SRC1_EQ_DEST(n, inst, exp, v1, v2) \
  TEST_CASE(n, a1, exp, li a1, v1; li a2, v2; inst a1, a1, a2)
#define TEST_RR_SRC2_EQ_DEST(n, inst, exp, v1, v2) \
  TEST_CASE(n, a2, exp, li a1, v1; li a2, v2; inst a2, a1, a2)
#define TEST_RR_SRC12_EQ_DEST(n, inst, exp, v1) \
  TEST_CASE(n, a1, exp, li a1, v1; inst a1, a1, a1)
#define TEST_RR_ZEROSRC1(n, inst, exp, v2) \
  TEST_CASE(n, a0, exp, li a2, v2; inst a0, x0, a2)
#define TEST_RR_ZEROSRC2(n, inst, exp, v1) \
  TEST_CASE(n, a0, exp, li a1, v1; inst a0, a1, x0)
#define TEST_RR_ZERODEST(n, inst, v1, v2) \
  TEST_CASE(n, x0, 0, li a1, v1; li a2, v2; inst x0, a1, a2)

/* ---- register-immediate ---- */
#define TEST_IMM(n, inst, exp, v1, imm) \
  TEST_CASE(n, a0, exp, li a1, v1; inst a0, a1, imm)
#define TEST_IMM_SRC1_EQ_DEST(n, inst, exp, v1, imm) \
  TEST_CASE(n, a1, exp, li a1, v1; inst a1, a1, imm)
#define TEST_IMM_ZEROSRC1(n, inst, exp, imm) \
  TEST_CASE(n, a0, exp, inst a0, x0, imm)
#define TEST_IMM_ZERODEST(n, inst, v1, imm) \
  TEST_CASE(n, x0, 0, li a1, v1; inst x0, a1, imm)

/* ---- loads / stores (base is a label; offset may be negative) ---- */
#define TEST_LD(n, inst, exp, off, base) \
  TEST_CASE(n, a0, exp, la a1, base; inst a0, off(a1))
#define TEST_LD_BIASED(n, inst, exp, off, base, bias) \
  TEST_CASE(n, a0, exp, la a1, base; addi a1, a1, bias; inst a0, off(a1))
#define TEST_ST(n, ldi, sti, exp, val, off, base) \
  TEST_CASE(n, a0, exp, la a1, base; li a2, val; sti a2, off(a1); ldi a0, off(a1))

/* ---- branches ---- */
#define TEST_BR_TAKEN(n, inst, v1, v2) \
  li gp, n; li a1, v1; li a2, v2; inst a1, a2, 9003f; j fail; 9003:
#define TEST_BR_NOT_TAKEN(n, inst, v1, v2) \
  li gp, n; li a1, v1; li a2, v2; inst a1, a2, 9004f; j 9005f; 9004: j fail; 9005:

/* ---- traps ----
 * TEST_TRAP(n, cause, code...): code must trap with mcause == cause; execution
 * resumes after the macro in M mode. trap_epc/trap_tval can then be checked. */
#define EXPECT_TRAP_AT(lbl) la t0, lbl; la t1, trap_resume; sd t0, 0(t1)
#define TEST_TRAP(n, cause, code...) \
  li gp, n; EXPECT_TRAP_AT(9006f); code; j fail; 9006: \
  ld t0, trap_cause; li t2, cause; FAIL_IF_NE(t0, t2)
#define CHECK_MEM(sym, exp) ld t0, sym; li t2, exp; FAIL_IF_NE(t0, t2)
#define CHECK_MEM_LABEL(sym, lbl) ld t0, sym; la t2, lbl; FAIL_IF_NE(t0, t2)
#define CLEAR_TRAP_RECORD \
  la t0, trap_cause; sd zero, 0(t0); sd zero, 8(t0); sd zero, 16(t0); sd zero, 24(t0); sd zero, 32(t0); \
  la t0, strap_cause; sd zero, 0(t0); sd zero, 8(t0); sd zero, 16(t0); sd zero, 24(t0); sd zero, 32(t0)

/* Run the code at label `lbl` in privilege `prv`; that code ends with ecall
 * (or any trap) and execution continues after the macro in M mode. */
#define RUN_IN_MODE(prv, lbl) \
  EXPECT_TRAP_AT(9007f); li a0, prv; la a1, lbl; j enter_mode; 9007:

/* ---- floating point ----
 * Operands and results are given as raw bit patterns (hex), so NaN payloads
 * and signed zeros are exact. `flags` is the expected fflags after the op
 * (fflags are cleared before). fa0..fa2 operands, fa3 result. */
#define FP_CHECK_FLAGS(flags) frflags a1; li t2, flags; FAIL_IF_NE(a1, t2)

#define TEST_FP_D_RM(n, flags, res, b1, b2, b3, code...) \
  li gp, n; li t0, b1; fmv.d.x fa0, t0; li t0, b2; fmv.d.x fa1, t0; li t0, b3; fmv.d.x fa2, t0; \
  fsflags zero; code; fmv.x.d a0, fa3; FP_CHECK_FLAGS(flags); li t2, res; FAIL_IF_NE(a0, t2)
/* single precision: operands NaN-boxed by fmv.w.x; result checked boxed as well */
#define TEST_FP_S_RM(n, flags, res, b1, b2, b3, code...) \
  li gp, n; li t0, b1; fmv.w.x fa0, t0; li t0, b2; fmv.w.x fa1, t0; li t0, b3; fmv.w.x fa2, t0; \
  fsflags zero; code; fmv.x.d a0, fa3; FP_CHECK_FLAGS(flags); li t2, (0xffffffff00000000 | (res)); \
  FAIL_IF_NE(a0, t2)

#define TEST_FP_OP2_D(n, inst, flags, res, b1, b2) TEST_FP_D_RM(n, flags, res, b1, b2, 0, inst fa3, fa0, fa1)
#define TEST_FP_OP2_S(n, inst, flags, res, b1, b2) TEST_FP_S_RM(n, flags, res, b1, b2, 0, inst fa3, fa0, fa1)
#define TEST_FP_OP2R_D(n, inst, rm, flags, res, b1, b2) TEST_FP_D_RM(n, flags, res, b1, b2, 0, inst fa3, fa0, fa1, rm)
#define TEST_FP_OP2R_S(n, inst, rm, flags, res, b1, b2) TEST_FP_S_RM(n, flags, res, b1, b2, 0, inst fa3, fa0, fa1, rm)
#define TEST_FP_OP1_D(n, inst, flags, res, b1) TEST_FP_D_RM(n, flags, res, b1, 0, 0, inst fa3, fa0)
#define TEST_FP_OP1_S(n, inst, flags, res, b1) TEST_FP_S_RM(n, flags, res, b1, 0, 0, inst fa3, fa0)
#define TEST_FP_OP1R_D(n, inst, rm, flags, res, b1) TEST_FP_D_RM(n, flags, res, b1, 0, 0, inst fa3, fa0, rm)
#define TEST_FP_OP1R_S(n, inst, rm, flags, res, b1) TEST_FP_S_RM(n, flags, res, b1, 0, 0, inst fa3, fa0, rm)
#define TEST_FP_OP3_D(n, inst, flags, res, b1, b2, b3) TEST_FP_D_RM(n, flags, res, b1, b2, b3, inst fa3, fa0, fa1, fa2)
#define TEST_FP_OP3_S(n, inst, flags, res, b1, b2, b3) TEST_FP_S_RM(n, flags, res, b1, b2, b3, inst fa3, fa0, fa1, fa2)
#define TEST_FP_OP3R_D(n, inst, rm, flags, res, b1, b2, b3) \
  TEST_FP_D_RM(n, flags, res, b1, b2, b3, inst fa3, fa0, fa1, fa2, rm)
#define TEST_FP_OP3R_S(n, inst, rm, flags, res, b1, b2, b3) \
  TEST_FP_S_RM(n, flags, res, b1, b2, b3, inst fa3, fa0, fa1, fa2, rm)

/* FP -> integer register result (compares, fclass, fcvt to int, fmv.x) */
#define TEST_FP_INT_D(n, flags, res, b1, b2, code...) \
  li gp, n; li t0, b1; fmv.d.x fa0, t0; li t0, b2; fmv.d.x fa1, t0; \
  fsflags zero; code; FP_CHECK_FLAGS(flags); li t2, res; FAIL_IF_NE(a0, t2)
#define TEST_FP_INT_S(n, flags, res, b1, b2, code...) \
  li gp, n; li t0, b1; fmv.w.x fa0, t0; li t0, b2; fmv.w.x fa1, t0; \
  fsflags zero; code; FP_CHECK_FLAGS(flags); li t2, res; FAIL_IF_NE(a0, t2)
/* integer -> FP result (fcvt from int): a1 = operand */
#define TEST_INT_FP_D(n, flags, res, v, code...) \
  li gp, n; li a2, v; fsflags zero; code; fmv.x.d a0, fa3; FP_CHECK_FLAGS(flags); li t2, res; FAIL_IF_NE(a0, t2)
#define TEST_INT_FP_S(n, flags, res, v, code...) \
  li gp, n; li a2, v; fsflags zero; code; fmv.x.d a0, fa3; FP_CHECK_FLAGS(flags); \
  li t2, (0xffffffff00000000 | (res)); FAIL_IF_NE(a0, t2)

#endif /* __ASSEMBLER__ */
#endif
