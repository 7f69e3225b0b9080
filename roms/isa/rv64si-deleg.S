/* Exception delegation (medeleg) to S, ecall from U and S, sret and its
 * stacking, S-mode CSR rules (TSR/TW/TVM, sie/sip as views through mideleg),
 * and that M-mode traps are never delegated. */
#include "test.h"
TEST_CODE_BEGIN
  /* ecall from U delegated: S handler sees cause 8, SPP = U, sepc, then resumes
   * in S at s_after, which ecalls to M (cause 9, not delegated). */
  li gp, 2
  CLEAR_TRAP_RECORD
  li t0, 1 << CAUSE_ECALL_U
  csrw medeleg, t0
  la t0, s_after
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_U, u_ecall)
  CHECK_MEM(strap_cause, CAUSE_ECALL_U)
  CHECK_MEM(strap_prv, PRV_U)
  CHECK_MEM_LABEL(strap_epc, u_ecall)
  CHECK_MEM(strap_count, 1)
  CHECK_MEM(trap_cause, CAUSE_ECALL_S)
  CHECK_MEM(trap_count, 1)
  CHECK_MEM_LABEL(trap_epc, s_after)
  /* the delegated trap did not touch mepc/mcause: M saw only the second ecall */
  CHECK_MEM(trap_prv, PRV_S)
  /* ecall from S delegated to S itself: SPP = S */
  li gp, 3
  CLEAR_TRAP_RECORD
  li t0, (1 << CAUSE_ECALL_S) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT)
  csrw medeleg, t0
  la t0, s_after2
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_S, s_ecall)
  CHECK_MEM(strap_log, CAUSE_ECALL_S)
  CHECK_MEM(strap_log + 8, CAUSE_ILLEGAL)
  CHECK_MEM(strap_log + 16, CAUSE_BREAKPOINT)
  CHECK_MEM(strap_prv, PRV_S)
  CHECK_MEM_LABEL(strap_epc, s_ebreak)
  /* s_after2 takes two more delegated traps (illegal, ebreak) in S, then leaves
   * through a non-delegated load access fault to M */
  CHECK_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  CHECK_MEM(strap_count, 3)
  CHECK_REG(s4, 2)                   /* two further delegated traps handled in S */
  /* illegal instruction in U delegated: stval = encoding */
  li gp, 4
  CLEAR_TRAP_RECORD
  li t0, 1 << CAUSE_ILLEGAL
  csrw medeleg, t0
  la t0, s_after
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_U, u_illegal)
  CHECK_MEM(strap_cause, CAUSE_ILLEGAL)
  CHECK_MEM(strap_tval, 0xffffffff)
  CHECK_MEM_LABEL(strap_epc, u_illegal)
  CHECK_MEM(strap_prv, PRV_U)
  /* traps taken in M are never delegated, even with medeleg bits set */
  li gp, 5
  CLEAR_TRAP_RECORD
  li t0, 1 << CAUSE_ILLEGAL | 1 << CAUSE_BREAKPOINT
  csrw medeleg, t0
  TEST_TRAP(6, CAUSE_BREAKPOINT, ebreak)
  CHECK_MEM(strap_count, 0)
  TEST_TRAP(7, CAUSE_ILLEGAL, .word 0xffffffff)
  CHECK_MEM(strap_count, 0)
  csrw medeleg, zero
  /* sret from S to U: SPP = U, sepc = target; U's ecall goes to M (cause 8).
   * sret also sets SIE = SPIE, SPIE = 1, SPP = U. */
  li gp, 8
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_S, s_sret_to_u)
  CHECK_MEM(trap_cause, CAUSE_ECALL_U)
  CHECK_MEM_LABEL(trap_epc, u_ecall)
  csrr a0, mstatus
  andi a0, a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  CHECK_REG(a0, MSTATUS_SIE | MSTATUS_SPIE)
  li t0, MSTATUS_SIE
  csrc mstatus, t0
  /* sret from M is legal and goes to SPP */
  li gp, 9
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  la t0, s_ecall
  csrw sepc, t0
  EXPECT_TRAP_AT(1f)
  sret
  j fail
1: CHECK_MEM(trap_cause, CAUSE_ECALL_S)
  /* TSR: sret in S is illegal */
  li gp, 10
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  RUN_IN_MODE(PRV_S, s_sret)
  CHECK_MEM(trap_cause, CAUSE_ILLEGAL)
  CHECK_MEM_LABEL(trap_epc, s_sret)
  li t0, MSTATUS_TSR
  csrc mstatus, t0
  /* TW: wfi in S is illegal */
  li gp, 11
  li t0, MSTATUS_TW
  csrs mstatus, t0
  RUN_IN_MODE(PRV_S, s_wfi)
  CHECK_MEM(trap_cause, CAUSE_ILLEGAL)
  CHECK_MEM_LABEL(trap_epc, s_wfi)
  li t0, MSTATUS_TW
  csrc mstatus, t0
  /* TVM: satp and sfence.vma in S are illegal */
  li gp, 12
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  RUN_IN_MODE(PRV_S, s_satp)
  CHECK_MEM(trap_cause, CAUSE_ILLEGAL)
  CHECK_MEM_LABEL(trap_epc, s_satp)
  li gp, 13
  RUN_IN_MODE(PRV_S, s_sfence)
  CHECK_MEM(trap_cause, CAUSE_ILLEGAL)
  li t0, MSTATUS_TVM
  csrc mstatus, t0
  /* without TVM, S may access satp and sfence.vma */
  li gp, 14
  RUN_IN_MODE(PRV_S, s_satp)
  CHECK_MEM(trap_cause, CAUSE_ECALL_S)
  RUN_IN_MODE(PRV_S, s_sfence)
  CHECK_MEM(trap_cause, CAUSE_ECALL_S)
  /* U cannot touch S CSRs */
  li gp, 15
  RUN_IN_MODE(PRV_U, u_sscratch)
  CHECK_MEM(trap_cause, CAUSE_ILLEGAL)
  CHECK_MEM(trap_prv, PRV_U)
  /* sie / sip are views of mie / mip restricted to delegated interrupts */
  li gp, 16
  csrw mideleg, zero
  csrw mie, zero
  li t0, -1
  csrw sie, t0
  csrr a0, mie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  CHECK_REG(a0, 0)
  li gp, 17
  li t0, 0x222
  csrw mideleg, t0
  csrr a0, mideleg
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  CHECK_REG(a0, 0x222)
  li t0, -1
  csrw sie, t0
  csrr a0, mie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  CHECK_REG(a0, 0x222)
  csrr a0, sie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  CHECK_REG(a0, 0x222)
  csrw sie, zero
  csrr a0, mie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  CHECK_REG(a0, 0)
  /* SSIP is writable through sip when delegated; STIP is not writable via sip */
  li gp, 18
  li t0, MIP_SSIP | MIP_STIP
  csrs sip, t0
  csrr a0, mip
  andi a0, a0, MIP_SSIP | MIP_STIP
  CHECK_REG(a0, MIP_SSIP)
  csrc sip, t0
  csrr a0, mip
  andi a0, a0, MIP_SSIP
  CHECK_REG(a0, 0)
  /* M-only interrupt bits are not visible through sie */
  li gp, 19
  li t0, MIP_MTIP | MIP_MSIP
  csrw mie, t0
  csrr a0, sie
  CHECK_REG(a0, 0)
  csrw mie, zero
  csrw mideleg, zero
  /* medeleg: delegable exception bits are writable */
  li gp, 20
  li t0, 0xb1ff
  csrw medeleg, t0
  csrr a0, medeleg
  li t1, 0x1ff & ~(1 << 11)
  and a1, a0, t1
  and a2, a0, t1
  FAIL_IF_NE(a1, a2)
  andi a0, a0, 1 << CAUSE_ECALL_U
  CHECK_REG(a0, 1 << CAUSE_ECALL_U)
  csrw medeleg, zero
  j pass

u_ecall: ecall
u_illegal: .word 0xffffffff
u_sscratch: csrr a0, sscratch
s_after: ecall
s_ecall: ecall
s_after2:
  /* running in S after the delegated ecall; take two more delegated traps in S */
  li s4, 0
  la t0, 1f
  la t1, strap_resume
  sd t0, 0(t1)
  .word 0xffffffff
1: addi s4, s4, 1
  la t0, 2f
  sd t0, 0(t1)
s_ebreak: ebreak
2: addi s4, s4, 1
  li t0, 0x40000000
  ld t0, 0(t0)
s_sret_to_u:
  la t0, u_ecall
  csrw sepc, t0
  li t0, MSTATUS_SPP
  csrc sstatus, t0
  li t0, MSTATUS_SPIE
  csrs sstatus, t0
  sret
s_sret: sret
s_wfi: wfi
s_satp: csrr a0, satp; csrw satp, zero; ecall
s_sfence: sfence.vma; ecall
TEST_CODE_END
