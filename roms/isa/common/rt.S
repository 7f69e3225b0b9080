/*
 * Runtime shared by every ISA test image (linked in front of the test).
 *
 * Reset: M-mode trap vector, PMP opened for S/U, FS on, satp cleared, then jump
 * to test_main (defined by the test via TESTS_BEGIN) with gp = 0.
 *
 * Trap handling (M): every trap is recorded in trap_cause/trap_epc/trap_tval/
 * trap_prv (MPP) and trap_count is incremented. Then:
 *   - interrupt: the interrupt's bit is cleared in mie and the handler returns
 *     to mepc (so a level-triggered source cannot loop);
 *   - exception with trap_resume != 0: return to trap_resume in M mode,
 *     clearing trap_resume (one-shot);
 *   - otherwise: unexpected trap -> fail with the current gp.
 * The cause of the k-th trap (k = 0, 1, ...) is also logged in trap_log[k % 8].
 * S-mode traps (delegated) are handled the same way with strap_* variables,
 * strap_resume returning in S mode.
 */
#include "test.h"

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  j reset

  .align 2
  .globl m_trap
m_trap:
  csrrw t0, mscratch, t0          /* t0 = save area, mscratch = t0 */
  sd t1, 0(t0)
  sd t2, 8(t0)
  csrr t1, mscratch
  sd t1, 16(t0)                   /* original t0 */
  csrr t1, mcause
  sd t1, 24(t0)
  csrr t2, mepc
  sd t2, 32(t0)
  csrr t2, mtval
  sd t2, 40(t0)
  csrr t2, mstatus
  srli t2, t2, 11
  andi t2, t2, 3
  sd t2, 48(t0)
  ld t2, 56(t0)
  addi t2, t2, 1
  sd t2, 56(t0)
  /* trap_log[(count - 1) % 8] = mcause */
  addi t2, t2, -1
  andi t2, t2, 7
  slli t2, t2, 3
  add t2, t2, t0
  sd t1, 72(t2)
  bltz t1, m_irq
  ld t2, 64(t0)
  beqz t2, m_unexpected
  sd zero, 64(t0)
  csrw mepc, t2
  li t1, MSTATUS_MPP
  csrs mstatus, t1                /* resume in M mode */
  j m_ret
m_irq:
  /* clear the interrupt's enable bit so it cannot fire again */
  slli t1, t1, 1
  srli t1, t1, 1
  li t2, 1
  sll t2, t2, t1
  csrc mie, t2
m_ret:
  csrw mscratch, t0
  ld t1, 0(t0)
  ld t2, 8(t0)
  ld t0, 16(t0)
  mret
m_unexpected:
  j fail

  .align 2
  .globl s_trap
s_trap:
  csrrw t0, sscratch, t0
  sd t1, 0(t0)
  sd t2, 8(t0)
  csrr t1, sscratch
  sd t1, 16(t0)
  csrr t1, scause
  sd t1, 24(t0)
  csrr t2, sepc
  sd t2, 32(t0)
  csrr t2, stval
  sd t2, 40(t0)
  csrr t2, sstatus
  srli t2, t2, 8
  andi t2, t2, 1
  sd t2, 48(t0)
  ld t2, 56(t0)
  addi t2, t2, 1
  sd t2, 56(t0)
  addi t2, t2, -1
  andi t2, t2, 7
  slli t2, t2, 3
  add t2, t2, t0
  sd t1, 72(t2)
  bltz t1, s_irq
  ld t2, 64(t0)
  beqz t2, s_unexpected
  sd zero, 64(t0)
  csrw sepc, t2
  li t1, SSTATUS_SPP
  csrs sstatus, t1                /* resume in S mode */
  j s_ret
s_irq:
  slli t1, t1, 1
  srli t1, t1, 1
  li t2, 1
  sll t2, t2, t1
  csrc sie, t2
s_ret:
  csrw sscratch, t0
  ld t1, 0(t0)
  ld t2, 8(t0)
  ld t0, 16(t0)
  sret
s_unexpected:
  j fail

reset:
  li gp, 0
  la t0, m_trap
  csrw mtvec, t0
  la t0, trap_save
  csrw mscratch, t0
  la t0, strap_save
  csrw sscratch, t0
  /* Open PMP entry 0 over the whole address space (NAPOT, RWX) for S/U. */
  li t0, -1
  csrw pmpaddr0, t0
  li t0, PMP_NAPOT | PMP_R | PMP_W | PMP_X
  csrw pmpcfg0, t0
  csrw satp, zero
  csrw medeleg, zero
  csrw mideleg, zero
  csrw mie, zero
  li t0, MSTATUS_FS_INIT
  csrs mstatus, t0
  csrw fcsr, zero
  la t0, s_trap
  csrw stvec, t0
  /* counters readable from S and U */
  li t0, -1
  csrw mcounteren, t0
  csrw scounteren, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0                /* MPP = M by default */
  j test_main

  .text
  .globl pass
pass:
  fence
  li t0, 1
  la t1, tohost
1:
  sd t0, 0(t1)
  j 1b

  .globl fail
fail:
  fence
  bnez gp, 2f
  li gp, 255                      /* never report "pass" from fail */
2:
  slli t0, gp, 1
  ori t0, t0, 1
  la t1, tohost
1:
  sd t0, 0(t1)
  j 1b

  /* enter_mode: a0 = target (0 U, 1 S, 3 M), a1 = address. Never returns.
   * M-level interrupts are always enabled in S/U regardless of MIE. */
  .globl enter_mode
enter_mode:
  /* MPIE = 0: M's MIE stays 0 after the round trip through the lower mode */
  li t0, MSTATUS_MPP | MSTATUS_MPIE
  csrc mstatus, t0
  slli a0, a0, 11
  csrs mstatus, a0
  csrw mepc, a1
  mret

  .section .tohost, "aw", @progbits
  .align 6
  .globl tohost
  .type tohost, @object
  .size tohost, 8
tohost: .dword 0
  .align 6
  .globl fromhost
  .type fromhost, @object
  .size fromhost, 8
fromhost: .dword 0

  .data
  .align 3
  .globl trap_save, trap_cause, trap_epc, trap_tval, trap_prv, trap_count, trap_resume
trap_save: .dword 0, 0, 0
trap_cause: .dword 0
trap_epc: .dword 0
trap_tval: .dword 0
trap_prv: .dword 0
trap_count: .dword 0
trap_resume: .dword 0
  .globl trap_log
trap_log: .dword 0, 0, 0, 0, 0, 0, 0, 0
  .globl strap_save, strap_cause, strap_epc, strap_tval, strap_prv, strap_count, strap_resume
strap_save: .dword 0, 0, 0
strap_cause: .dword 0
strap_epc: .dword 0
strap_tval: .dword 0
strap_prv: .dword 0
strap_count: .dword 0
strap_resume: .dword 0
  .globl strap_log
strap_log: .dword 0, 0, 0, 0, 0, 0, 0, 0
