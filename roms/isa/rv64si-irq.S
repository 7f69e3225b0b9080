/* Interrupts from the CLINT and from mip: machine timer (mtimecmp), machine
 * software (msip), wfi wake-up with and without global enable, epc after an
 * interrupt, interrupts from U with MIE = 0, delegated S timer/software
 * interrupts raised by M writing mip, priority order, and mip pending bits
 * following the device. */
#include "test.h"
#define SET_TIMECMP_DELTA(d) li t0, CLINT_MTIME; ld t1, 0(t0); li t0, d; add t1, t1, t0; li t0, CLINT_MTIMECMP; sd t1, 0(t0)
#define TIMECMP_NEVER li t0, CLINT_MTIMECMP; li t1, -1; sd t1, 0(t0)
#define WAIT_TRAPS(k) li t3, 10000000; 9201: ld t4, trap_count; li t5, k; bgeu t4, t5, 9202f; addi t3, t3, -1; bnez t3, 9201b; j fail; 9202:
TESTS_BEGIN
  TIMECMP_NEVER
  /* mip.MTIP follows mtime >= mtimecmp, independent of enables */
  CASE(2)
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT(a0, 0)
  li t0, CLINT_MTIMECMP
  sd zero, 0(t0)
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT(a0, MIP_MTIP)
  TIMECMP_NEVER
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT(a0, 0)
  /* mip.MTIP is read-only to csrw */
  li t0, MIP_MTIP
  csrs mip, t0
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT(a0, 0)

  /* machine timer interrupt taken in M */
  CASE(3)
  CLEAR_TRAP_RECORD
  li t0, MIP_MTIP
  csrw mie, t0
  SET_TIMECMP_DELTA(1000)
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  WAIT_TRAPS(1)
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  EXPECT_MEM(trap_cause, IRQ_BIT | IRQ_M_TIMER)
  EXPECT_MEM(trap_count, 1)
  EXPECT_MEM(trap_tval, 0)
  csrr a0, mie                          /* the handler disabled MTIE */
  EXPECT(a0, 0)
  TIMECMP_NEVER

  /* machine software interrupt via CLINT msip; mip.MSIP follows msip */
  CASE(4)
  CLEAR_TRAP_RECORD
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  csrr a0, mip
  andi a0, a0, MIP_MSIP
  EXPECT(a0, MIP_MSIP)
  li t0, MIP_MSIP
  csrw mie, t0
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  nop
  nop
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  EXPECT_MEM(trap_cause, IRQ_BIT | IRQ_M_SOFT)
  EXPECT_MEM(trap_count, 1)
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  csrr a0, mip
  andi a0, a0, MIP_MSIP
  EXPECT(a0, 0)

  /* the interrupted instruction is not executed twice nor skipped: mepc points
   * at the first instruction not executed */
  CASE(5)
  CLEAR_TRAP_RECORD
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  li t0, MIP_MSIP
  csrw mie, t0
  li a0, 0
  li t0, MSTATUS_MIE
  csrs mstatus, t0
1: addi a0, a0, 1
  addi a0, a0, 1
  addi a0, a0, 1
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  EXPECT(a0, 3)
  EXPECT_MEM(trap_count, 1)
  ld t0, trap_epc
  la t1, 1b
  bltu t0, t1, fail_far
  li t0, CLINT_MSIP
  sw zero, 0(t0)

  /* wfi with MIE = 0 wakes when an enabled interrupt becomes pending, no trap */
  CASE(6)
  CLEAR_TRAP_RECORD
  li t0, MIP_MTIP
  csrw mie, t0
  SET_TIMECMP_DELTA(2000)
  wfi
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT(a0, MIP_MTIP)
  EXPECT_MEM(trap_count, 0)
  TIMECMP_NEVER
  /* wfi with MIE = 1: the interrupt is taken, mepc = instruction after wfi */
  CASE(7)
  CLEAR_TRAP_RECORD
  li t0, MIP_MTIP
  csrw mie, t0
  SET_TIMECMP_DELTA(2000)
  li t0, MSTATUS_MIE
  csrs mstatus, t0
2: wfi
3: li t0, MSTATUS_MIE
  csrc mstatus, t0
  EXPECT_MEM(trap_cause, IRQ_BIT | IRQ_M_TIMER)
  EXPECT_MEM_ADDR(trap_epc, 3b)
  TIMECMP_NEVER

  /* M interrupts are taken in U even with mstatus.MIE = 0; MPP records U */
  CASE(8)
  CLEAR_TRAP_RECORD
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  li t0, MIP_MTIP
  csrw mie, t0
  SET_TIMECMP_DELTA(1000)
  RUN_IN_MODE(PRV_U, u_spin)
  EXPECT_MEM(trap_log, IRQ_BIT | IRQ_M_TIMER)
  EXPECT_MEM(trap_log + 8, CAUSE_ECALL_U)
  EXPECT(s5, 1)
  TIMECMP_NEVER

  /* priority (Privileged 3.1.9: MEI > MSI > MTI > SEI > SSI > STI). Only pairs on
   * which QEMU 7.2 (which picks the lowest-numbered pending bit) agrees with the
   * spec are checked: MSI before MTI, SSI before STI, MSI before STI. */
#define PRIO_PAIR(n, msip, tcmp, mipbits, miebits, first, second) \
  CASE(n) CLEAR_TRAP_RECORD; \
  li t0, CLINT_MTIMECMP; li t1, tcmp; sd t1, 0(t0); li t0, CLINT_MSIP; li t1, msip; sw t1, 0(t0); \
  li t0, miebits; csrw mie, t0; li t0, mipbits; csrs mip, t0; \
  li t0, MSTATUS_MIE; csrs mstatus, t0; nop; nop; nop; li t0, MSTATUS_MIE; csrc mstatus, t0; \
  EXPECT_MEM(trap_count, 2); EXPECT_MEM(trap_log, IRQ_BIT | first); EXPECT_MEM(trap_log + 8, IRQ_BIT | second); \
  li t0, MIP_STIP | MIP_SSIP; csrc mip, t0; li t0, CLINT_MSIP; sw zero, 0(t0); TIMECMP_NEVER; csrw mie, zero
  PRIO_PAIR(9, 1, 0, 0, MIP_MSIP | MIP_MTIP, IRQ_M_SOFT, IRQ_M_TIMER)
  PRIO_PAIR(17, 0, -1, MIP_SSIP | MIP_STIP, MIP_SSIP | MIP_STIP, IRQ_S_SOFT, IRQ_S_TIMER)
  PRIO_PAIR(18, 1, -1, MIP_STIP, MIP_MSIP | MIP_STIP, IRQ_M_SOFT, IRQ_S_TIMER)

  /* S timer interrupt delegated to S, raised by M setting mip.STIP:
   * taken in S when sstatus.SIE = 1 */
  CASE(10)
  CLEAR_TRAP_RECORD
  li t0, MIP_STIP
  csrw mideleg, t0
  csrw mie, t0
  csrs mip, t0
  RUN_IN_MODE(PRV_S, s_enable_spin)
  EXPECT_MEM(strap_cause, IRQ_BIT | IRQ_S_TIMER)
  EXPECT_MEM(strap_count, 1)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT_MEM(trap_count, 1)
  csrr a0, mie
  EXPECT(a0, 0)                      /* S handler cleared sie.STIE */
  li t0, MIP_STIP
  csrc mip, t0
  /* delegated S interrupt with SIE = 0 in S: not taken */
  CASE(11)
  CLEAR_TRAP_RECORD
  li t0, MIP_STIP
  csrw mie, t0
  csrs mip, t0
  RUN_IN_MODE(PRV_S, s_spin_disabled)
  EXPECT_MEM(strap_count, 0)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  /* ... but taken in U regardless of SIE */
  CASE(12)
  CLEAR_TRAP_RECORD
  la t0, s_after_irq
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_U, u_spin)
  EXPECT_MEM(strap_cause, IRQ_BIT | IRQ_S_TIMER)
  EXPECT_MEM(strap_prv, PRV_U)
  li t0, MIP_STIP
  csrc mip, t0
  /* S software interrupt delegated, raised by S itself writing sip.SSIP */
  CASE(13)
  CLEAR_TRAP_RECORD
  li t0, MIP_SSIP
  csrw mideleg, t0
  csrw mie, t0
  RUN_IN_MODE(PRV_S, s_self_ipi)
  EXPECT_MEM(strap_cause, IRQ_BIT | IRQ_S_SOFT)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  li t0, MIP_SSIP
  csrc mip, t0
  /* non-delegated S timer interrupt while in S goes to M even with MIE = 0 */
  CASE(14)
  CLEAR_TRAP_RECORD
  csrw mideleg, zero
  li t0, MIP_STIP
  csrw mie, t0
  csrs mip, t0
  RUN_IN_MODE(PRV_S, s_spin_disabled)
  EXPECT_MEM(trap_log, IRQ_BIT | IRQ_S_TIMER)
  EXPECT_MEM(trap_prv, PRV_S)
  li t0, MIP_STIP
  csrc mip, t0
  /* an M interrupt is not taken in M with MIE = 0 */
  CASE(15)
  CLEAR_TRAP_RECORD
  li t0, MIP_MTIP
  csrw mie, t0
  li t0, CLINT_MTIMECMP
  sd zero, 0(t0)
  nop
  nop
  EXPECT_MEM(trap_count, 0)
  csrw mie, zero
  TIMECMP_NEVER
  /* an interrupt delegated to S is never taken while in M, even with SIE and MIE set */
  CASE(19)
  CLEAR_TRAP_RECORD
  li t0, MIP_STIP
  csrw mideleg, t0
  csrw mie, t0
  csrs mip, t0
  li t0, MSTATUS_SIE | MSTATUS_MIE
  csrs mstatus, t0
  nop
  nop
  nop
  li t0, MSTATUS_SIE | MSTATUS_MIE
  csrc mstatus, t0
  EXPECT_MEM(trap_count, 0)
  EXPECT_MEM(strap_count, 0)
  li t0, MIP_STIP
  csrc mip, t0
  csrw mie, zero
  csrw mideleg, zero
  /* vectored mtvec: interrupts go to base + 4 * cause */
  CASE(16)
  CLEAR_TRAP_RECORD
  la t0, vec_table
  ori t0, t0, 1
  csrw mtvec, t0
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  li t0, MIP_MSIP
  csrw mie, t0
  li s6, 0
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  nop
  nop
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  la t0, m_trap
  csrw mtvec, t0
  EXPECT(s6, 3)
  EXPECT_MEM(trap_cause, IRQ_BIT | IRQ_M_SOFT)
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  j pass
fail_far:
  j fail

u_spin:
  li s5, 0
  li t3, 10000000
1: addi t3, t3, -1
  beqz t3, 2f
  ld t4, trap_count
  beqz t4, 1b
  li s5, 1
2: ecall
s_after_irq: ecall
s_enable_spin:
  li t0, MSTATUS_SIE
  csrs sstatus, t0
  li t3, 10000000
1: addi t3, t3, -1
  beqz t3, 2f
  ld t4, strap_count
  beqz t4, 1b
2: li t0, MSTATUS_SIE
  csrc sstatus, t0
  ecall
s_spin_disabled:
  li t3, 1000
1: addi t3, t3, -1
  bnez t3, 1b
  ecall
s_self_ipi:
  li t0, MSTATUS_SIE
  csrs sstatus, t0
  li t0, MIP_SSIP
  csrs sip, t0
  nop
  nop
  li t0, MSTATUS_SIE
  csrc sstatus, t0
  ecall

  /* vectored table: entry 3 (MSI) records and jumps to the common handler */
  .align 8
vec_table:
  j m_trap
  j m_trap
  j m_trap
  addi s6, s6, 3
  j m_trap
  j m_trap
  j m_trap
  j m_trap
  j m_trap
  j m_trap
  j m_trap
  j m_trap
TESTS_END
