/* mret into U and S (checked by the ecall cause they raise), mstatus stacking
 * on mret (MIE = MPIE, MPIE = 1, MPP = U), privileged instructions and M CSRs
 * are illegal from lower modes, and the trap records the previous mode. */
#include "test.h"
TESTS_BEGIN
  /* mret to U: ecall from U is cause 8, MPP at the trap = U */
  CASE(2)
  CLEAR_TRAP_RECORD
  RUN_IN_MODE(PRV_U, u_ecall)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  EXPECT_MEM(trap_prv, PRV_U)
  EXPECT_MEM_ADDR(trap_epc, u_ecall)
  EXPECT_MEM(trap_tval, 0)
  /* mret to S: cause 9, MPP = S */
  CASE(3)
  RUN_IN_MODE(PRV_S, s_ecall)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT_MEM(trap_prv, PRV_S)
  EXPECT_MEM_ADDR(trap_epc, s_ecall)
  /* mret to M with MPIE = 1, MIE = 0: afterwards MIE = 1, MPIE = 1, MPP = U (least privileged) */
  CASE(4)
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  li t0, MSTATUS_MPIE | MSTATUS_MPP
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
  j fail
1: csrr a0, mstatus
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  and a0, a0, t0
  EXPECT(a0, MSTATUS_MIE | MSTATUS_MPIE)
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  /* mret with MPIE = 0 clears MIE */
  CASE(5)
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
1: csrr a0, mstatus
  andi a0, a0, MSTATUS_MIE | MSTATUS_MPIE
  EXPECT(a0, MSTATUS_MPIE)
  /* registers survive the mode switches */
  CASE(6)
  li s1, 0x1234
  RUN_IN_MODE(PRV_U, u_add)
  EXPECT(s1, 0x1235)
  /* M-mode CSRs and mret are illegal in U and S; trap records the mode and the encoding */
#define LOWER_ILLEGAL(n, prv, lbl) \
  CASE(n) RUN_IN_MODE(prv, lbl); EXPECT_MEM(trap_cause, CAUSE_ILLEGAL); EXPECT_MEM(trap_prv, prv); \
  EXPECT_MEM_ADDR(trap_epc, lbl); la t0, lbl; lwu t1, 0(t0); ld t0, trap_tval; EXPECT_EQ(t0, t1)
  LOWER_ILLEGAL(7, PRV_U, u_csr_mstatus)
  LOWER_ILLEGAL(8, PRV_S, u_csr_mstatus)
  LOWER_ILLEGAL(9, PRV_U, u_mret)
  LOWER_ILLEGAL(10, PRV_S, u_mret)
  LOWER_ILLEGAL(11, PRV_U, u_sret)
  LOWER_ILLEGAL(12, PRV_U, u_csr_sstatus)
  LOWER_ILLEGAL(13, PRV_S, u_csr_mscratch_w)
  LOWER_ILLEGAL(14, PRV_U, u_csr_mhartid)
  LOWER_ILLEGAL(15, PRV_S, u_csr_mhartid)
  LOWER_ILLEGAL(16, PRV_U, u_wfi)
  LOWER_ILLEGAL(17, PRV_U, u_sfence)
  /* ebreak from U: cause 3 */
  CASE(18)
  RUN_IN_MODE(PRV_U, u_ebreak)
  EXPECT_MEM(trap_cause, CAUSE_BREAKPOINT)
  EXPECT_MEM(trap_prv, PRV_U)
  /* an unmapped load from S: access fault with tval */
  CASE(19)
  RUN_IN_MODE(PRV_S, s_badload)
  EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  EXPECT_MEM(trap_tval, 0x40000000)
  EXPECT_MEM(trap_prv, PRV_S)
  /* S-mode can read its own CSRs; U-mode can use FP (FS != Off) */
  CASE(20)
  RUN_IN_MODE(PRV_S, s_csrs)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(s2, 0x99)
  CASE(21)
  RUN_IN_MODE(PRV_U, u_fp)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_U)
  EXPECT(s3, 0x4010000000000000)
  j pass

u_ecall: ecall
s_ecall: ecall
u_add: addi s1, s1, 1; ecall
u_csr_mstatus: csrr a0, mstatus
u_mret: mret
u_sret: sret
u_csr_sstatus: csrr a0, sstatus
u_csr_mscratch_w: csrw mscratch, zero
u_csr_mhartid: csrr a0, mhartid
u_wfi: wfi
u_sfence: sfence.vma
u_ebreak: ebreak
s_badload: li t0, 0x40000000; ld a0, 0(t0)
s_csrs: li t0, 0x99; csrw sscratch, t0; csrr s2, sscratch; csrr a0, sstatus; csrr a0, sie; csrr a0, stvec; csrr a0, sepc; csrr a0, satp; ecall
u_fp: li t0, 0x4000000000000000; fmv.d.x fa0, t0; fadd.d fa0, fa0, fa0; fmv.x.d s3, fa0; ecall
TESTS_END
