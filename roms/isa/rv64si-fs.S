/* FP state from S and U: mstatus.FS = Off makes FP instructions illegal in
 * every mode (trap records the mode); S can switch FS through sstatus; FP
 * writes make FS Dirty and SD (bit 63) visible in sstatus. */
#include "test.h"
TESTS_BEGIN
  li t0, MSTATUS_FS
  csrc mstatus, t0
  CASE(2)
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_S, s_fp)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM(trap_prv, PRV_S)
  EXPECT_MEM_ADDR(trap_epc, s_fp)
  CASE(3)
  RUN_IN_MODE(PRV_U, s_fp)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM(trap_prv, PRV_U)
  CASE(4)
  RUN_IN_MODE(PRV_U, u_frcsr)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  /* S turns FP on (Initial) through sstatus, then uses it: FS becomes Dirty, SD set */
  CASE(5)
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_S, s_enable_fp)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(s2, MSTATUS_FS_INIT)
  EXPECT(s3, 1)
  csrr a0, mstatus
  li t0, MSTATUS_FS
  and a0, a0, t0
  EXPECT_EQ(a0, t0)
  /* U can use FP when FS != Off, and it marks FS Dirty */
  CASE(6)
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_INIT
  csrs mstatus, t0
  RUN_IN_MODE(PRV_U, u_fp_ok)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  csrr a0, mstatus
  bgez a0, 1f
  j 2f
1: j fail
2: li t0, MSTATUS_FS
  and a0, a0, t0
  EXPECT_EQ(a0, t0)
  j pass

s_fp: fadd.d fa0, fa0, fa0; ecall
u_frcsr: frcsr a0; ecall
s_enable_fp:
  li t0, MSTATUS_FS_INIT
  csrs sstatus, t0
  csrr s2, sstatus
  li t0, MSTATUS_FS
  and s2, s2, t0
  li t0, 0x3ff0000000000000
  fmv.d.x fa0, t0
  csrr t1, sstatus
  srli s3, t1, 63
  ecall
u_fp_ok: fmv.d.x fa1, zero; ecall
TESTS_END
