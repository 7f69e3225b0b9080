/* Exception delegation (medeleg) to S, ecall from U and S, sret and its
 * stacking, S-mode CSR rules (TSR/TW/TVM, sie/sip as views through mideleg),
 * and that M-mode traps are never delegated. */
#include "test.h"
TESTS_BEGIN
  /* ecall from U delegated: S handler sees cause 8, SPP = U, sepc, then resumes
   * in S at s_after, which ecalls to M (cause 9, not delegated). */
  CASE(2)
  CLEAR_TRAP_RECORD
  li t0, 1 << CAUSE_ECALL_U
  csrw medeleg, t0
  la t0, s_after
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_U, u_ecall)
  EXPECT_MEM(strap_cause, CAUSE_ECALL_U)
  EXPECT_MEM(strap_prv, PRV_U)
  EXPECT_MEM_ADDR(strap_epc, u_ecall)
  EXPECT_MEM(strap_count, 1)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT_MEM(trap_count, 1)
  EXPECT_MEM_ADDR(trap_epc, s_after)
  /* the delegated trap did not touch mepc/mcause: M saw only the second ecall */
  EXPECT_MEM(trap_prv, PRV_S)
  /* ecall from S delegated to S itself: SPP = S */
  CASE(3)
  CLEAR_TRAP_RECORD
  li t0, (1 << CAUSE_ECALL_S) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT)
  csrw medeleg, t0
  la t0, s_after2
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_S, s_ecall)
  EXPECT_MEM(strap_log, CAUSE_ECALL_S)
  EXPECT_MEM(strap_log + 8, CAUSE_ILLEGAL)
  EXPECT_MEM(strap_log + 16, CAUSE_BREAKPOINT)
  EXPECT_MEM(strap_prv, PRV_S)
  EXPECT_MEM_ADDR(strap_epc, s_ebreak)
  /* s_after2 takes two more delegated traps (illegal, ebreak) in S, then leaves
   * through a non-delegated load access fault to M */
  EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  EXPECT_MEM(strap_count, 3)
  EXPECT(s4, 2)                   /* two further delegated traps handled in S */
  /* illegal instruction in U delegated: stval = encoding */
  CASE(4)
  CLEAR_TRAP_RECORD
  li t0, 1 << CAUSE_ILLEGAL
  csrw medeleg, t0
  la t0, s_after
  la t1, strap_resume
  sd t0, 0(t1)
  RUN_IN_MODE(PRV_U, u_illegal)
  EXPECT_MEM(strap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM(strap_tval, 0xffffffff)
  EXPECT_MEM_ADDR(strap_epc, u_illegal)
  EXPECT_MEM(strap_prv, PRV_U)
  /* traps taken in M are never delegated, even with medeleg bits set */
  CASE(5)
  CLEAR_TRAP_RECORD
  li t0, 1 << CAUSE_ILLEGAL | 1 << CAUSE_BREAKPOINT
  csrw medeleg, t0
  TRAP_CASE(6, CAUSE_BREAKPOINT, ebreak)
  EXPECT_MEM(strap_count, 0)
  TRAP_CASE(7, CAUSE_ILLEGAL, .word 0xffffffff)
  EXPECT_MEM(strap_count, 0)
  csrw medeleg, zero
  /* sret from S to U: SPP = U, sepc = target; U's ecall goes to M (cause 8).
   * sret also sets SIE = SPIE, SPIE = 1, SPP = U. */
  CASE(8)
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_S, s_sret_to_u)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  EXPECT_MEM_ADDR(trap_epc, u_ecall)
  csrr a0, mstatus
  andi a0, a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  EXPECT(a0, MSTATUS_SIE | MSTATUS_SPIE)
  li t0, MSTATUS_SIE
  csrc mstatus, t0
  /* sret from M is legal and goes to SPP */
  CASE(9)
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  la t0, s_ecall
  csrw sepc, t0
  EXPECT_TRAP_AT(1f)
  sret
  j fail
1: EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  /* TSR: sret in S is illegal */
  CASE(10)
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  RUN_IN_MODE(PRV_S, s_sret)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM_ADDR(trap_epc, s_sret)
  li t0, MSTATUS_TSR
  csrc mstatus, t0
  /* TW: wfi in S is illegal */
  CASE(11)
  li t0, MSTATUS_TW
  csrs mstatus, t0
  RUN_IN_MODE(PRV_S, s_wfi)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM_ADDR(trap_epc, s_wfi)
  li t0, MSTATUS_TW
  csrc mstatus, t0
  /* TVM: satp and sfence.vma in S are illegal */
  CASE(12)
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  RUN_IN_MODE(PRV_S, s_satp)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM_ADDR(trap_epc, s_satp)
  CASE(13)
  RUN_IN_MODE(PRV_S, s_sfence)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  li t0, MSTATUS_TVM
  csrc mstatus, t0
  /* without TVM, S may access satp and sfence.vma */
  CASE(14)
  RUN_IN_MODE(PRV_S, s_satp)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  RUN_IN_MODE(PRV_S, s_sfence)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  /* U cannot touch S CSRs */
  CASE(15)
  RUN_IN_MODE(PRV_U, u_sscratch)
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM(trap_prv, PRV_U)
  /* sie / sip are views of mie / mip restricted to delegated interrupts */
  CASE(16)
  csrw mideleg, zero
  csrw mie, zero
  li t0, -1
  csrw sie, t0
  csrr a0, mie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  EXPECT(a0, 0)
  CASE(17)
  li t0, 0x222
  csrw mideleg, t0
  csrr a0, mideleg
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  EXPECT(a0, 0x222)
  li t0, -1
  csrw sie, t0
  csrr a0, mie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  EXPECT(a0, 0x222)
  csrr a0, sie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  EXPECT(a0, 0x222)
  csrw sie, zero
  csrr a0, mie
  andi a0, a0, 0x7ff & 0xaaa   /* S and M bits only (the reference also shows VS bits) */
  EXPECT(a0, 0)
  /* SSIP is writable through sip when delegated; STIP is not writable via sip */
  CASE(18)
  li t0, MIP_SSIP | MIP_STIP
  csrs sip, t0
  csrr a0, mip
  andi a0, a0, MIP_SSIP | MIP_STIP
  EXPECT(a0, MIP_SSIP)
  csrc sip, t0
  csrr a0, mip
  andi a0, a0, MIP_SSIP
  EXPECT(a0, 0)
  /* M-only interrupt bits are not visible through sie */
  CASE(19)
  li t0, MIP_MTIP | MIP_MSIP
  csrw mie, t0
  csrr a0, sie
  EXPECT(a0, 0)
  csrw mie, zero
  csrw mideleg, zero
  /* medeleg: delegable exception bits are writable */
  CASE(20)
  li t0, 0xb1ff
  csrw medeleg, t0
  csrr a0, medeleg
  li t1, 0x1ff & ~(1 << 11)
  and a1, a0, t1
  and a2, a0, t1
  EXPECT_EQ(a1, a2)
  andi a0, a0, 1 << CAUSE_ECALL_U
  EXPECT(a0, 1 << CAUSE_ECALL_U)
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
TESTS_END
