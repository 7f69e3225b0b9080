/* Counters: mcycle/minstret advance and are writable; cycle/instret user
 * aliases match; CLINT mtime advances; mcounteren/scounteren gate U/S access.
 * (Values are only checked for monotonicity and bounded distance, since the
 * reference may count host time for cycle/instret.) */
#include "test.h"
#define NEAR(reg, base, limit) sub t1, reg, base; li t2, limit; bgeu t1, t2, fail_far
TESTS_BEGIN
  CASE(2)
  csrr a0, minstret
  .rept 50
  nop
  .endr
  csrr a1, minstret
  bgeu a0, a1, fail_far
  CASE(3)
  csrr a0, mcycle
  .rept 50
  nop
  .endr
  csrr a1, mcycle
  bgeu a0, a1, fail_far
  /* user-level aliases read the same counters */
  CASE(4)
  csrr a0, minstret
  rdinstret a1
  csrr a2, minstret
  bltu a1, a0, fail_far
  bltu a2, a1, fail_far
  CASE(5)
  csrr a0, mcycle
  rdcycle a1
  bltu a1, a0, fail_far
  /* minstret write: later reads continue from the written value */
  CASE(6)
  li a0, 0x100000000
  csrw minstret, a0
  csrr a1, minstret
  NEAR(a1, a0, 0x1000000)
  li a0, 0x7000000000000000
  csrw minstret, a0
  rdinstret a1
  NEAR(a1, a0, 0x1000000)
  CASE(7)
  li a0, 0x200000000
  csrw mcycle, a0
  csrr a1, mcycle
  NEAR(a1, a0, 0x1000000)
  /* CLINT mtime advances */
  CASE(8)
  li t0, CLINT_MTIME
  ld a0, 0(t0)
  li t1, 20000
1: addi t1, t1, -1
  bnez t1, 1b
  ld a1, 0(t0)
  bgeu a0, a1, fail_far
  /* counters readable from S and U when enabled (rt.S enables all) */
  CASE(9)
  RUN_IN_MODE(PRV_U, u_counters)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  CASE(10)
  RUN_IN_MODE(PRV_S, u_counters)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  /* scounteren = 0: U traps, S still reads */
  CASE(11)
  csrw scounteren, zero
  RUN_IN_MODE(PRV_U, u_rdcycle)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM_ADDR(trap_epc, u_rdcycle)
  CASE(12)
  RUN_IN_MODE(PRV_S, u_rdcycle)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  CASE(13)
  RUN_IN_MODE(PRV_U, u_rdinstret)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  /* mcounteren = 0: S traps too */
  CASE(14)
  li t0, -1
  csrw scounteren, t0
  csrw mcounteren, zero
  RUN_IN_MODE(PRV_S, u_rdcycle)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM(trap_prv, PRV_S)
  CASE(15)
  RUN_IN_MODE(PRV_U, u_rdinstret)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  /* per-counter bits: CY only */
  CASE(16)
  li t0, 1
  csrw mcounteren, t0
  RUN_IN_MODE(PRV_S, u_rdcycle)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  CASE(17)
  RUN_IN_MODE(PRV_S, u_rdinstret)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  li t0, -1
  csrw mcounteren, t0
  /* M-mode counters are never accessible from S */
  CASE(18)
  RUN_IN_MODE(PRV_S, s_mcycle)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  j pass
fail_far:
  j fail
u_counters: rdcycle a0; rdinstret a1; rdcycle a2; bltu a2, a0, 1f; ecall
1: ebreak
u_rdcycle: rdcycle a0; ecall
u_rdinstret: rdinstret a0; ecall
s_mcycle: csrr a0, mcycle; ecall
TESTS_END
