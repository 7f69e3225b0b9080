/* PMP: NAPOT and TOR regions with R/W/X permissions enforced for S and U,
 * lowest-numbered matching entry wins, M mode unaffected by unlocked entries,
 * no matching entry denies S/U, a locked entry binds M too (done last: locks
 * persist until reset). tval holds the faulting address. */
#include "test.h"
#define CFG_R PMP_R
#define CFG_W PMP_W
#define CFG_X PMP_X
#define CFG_TOR 0x08
#define CFG_NAPOT PMP_NAPOT
#define CFG_L 0x80
#define NAPOT_4K(reg) la reg, page_p; srli reg, reg, 2; ori reg, reg, 0x1ff
#define S_RUN(n, snippet, addr) CASE(n) CLEAR_TRAP_RECORD; mv a2, addr; RUN_IN_MODE(PRV_S, snippet)
TESTS_BEGIN
  la s0, page_p
  li t0, 0x600d600d600d600d
  sd t0, 0(s0)
  /* entry 0: page_p read-only; entry 1: everything RWX */
  CASE(2)
  NAPOT_4K(t0)
  csrw pmpaddr0, t0
  li t0, -1
  csrw pmpaddr1, t0
  li t0, (CFG_NAPOT | CFG_R) | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8)
  csrw pmpcfg0, t0
  sfence.vma
  csrr a0, pmpcfg0
  andi a0, a0, 0x7ff & 0xffff
  li t2, ((CFG_NAPOT | CFG_R) | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8)) & 0x7ff
  EXPECT_EQ(a0, t2)
  S_RUN(3, s_load, s0)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x600d600d600d600d)
  S_RUN(4, s_store, s0)
  EXPECT_MEM(trap_cause, CAUSE_STORE_ACCESS)
  ld t0, trap_tval
  EXPECT_EQ(t0, s0)
  CASE(5)
  ld a0, 0(s0)                            /* store did not happen */
  EXPECT(a0, 0x600d600d600d600d)
  /* U is bound the same way */
  CASE(6)
  CLEAR_TRAP_RECORD
  addi a2, s0, 8
  RUN_IN_MODE(PRV_U, s_store)
  EXPECT_MEM(trap_cause, CAUSE_STORE_ACCESS)
  EXPECT_MEM(trap_prv, PRV_U)
  /* fetch from the non-X region */
  S_RUN(7, s_call, s0)
  EXPECT_MEM(trap_cause, CAUSE_FETCH_ACCESS)
  ld t0, trap_tval
  EXPECT_EQ(t0, s0)
  /* M ignores unlocked entries */
  CASE(8)
  li t0, 0x1234
  sd t0, 16(s0)
  ld a0, 16(s0)
  EXPECT(a0, 0x1234)
  /* lowest-numbered match wins: entry 0 RW now, entry 1 still RWX -> store allowed;
   * then entry 0 = no permissions: even though entry 1 allows, access denied */
  li t0, (CFG_NAPOT | CFG_R | CFG_W) | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8)
  csrw pmpcfg0, t0
  sfence.vma
  li a3, 0x77
  S_RUN(9, s_store, s0)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  li t0, (CFG_NAPOT) | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8)
  csrw pmpcfg0, t0
  sfence.vma
  S_RUN(10, s_load, s0)
  EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  /* TOR: entry 0 = OFF with address = base, entry 1 = TOR top = base + 4K with X only,
   * entry 2 = everything */
  la t0, page_p
  srli t0, t0, 2
  csrw pmpaddr0, t0
  la t0, page_p + 0x1000
  srli t0, t0, 2
  csrw pmpaddr1, t0
  li t0, -1
  csrw pmpaddr2, t0
  li t0, (CFG_TOR | CFG_X) << 8 | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 16)
  csrw pmpcfg0, t0
  sfence.vma
  S_RUN(11, s_load, s0)
  EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  li t1, 0xff8
  add a4, s0, t1
  S_RUN(12, s_load, a4)                   /* last dword inside the TOR region */
  EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  li t1, 0x1000
  add a4, s0, t1                          /* page_p + 0x1000: just above the top */
  S_RUN(13, s_load, a4)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  addi a4, s0, -8                         /* just below the base */
  S_RUN(14, s_load, a4)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  /* X-only TOR region is executable: put "li a0, 0x42; ret" there */
  li t0, 0x04200513
  sw t0, 0x100(s0)
  li t0, 0x00008067
  sw t0, 0x104(s0)
  fence.i
  addi a4, s0, 0x100
  S_RUN(15, s_call, a4)
  EXPECT_MEM(trap_cause, CAUSE_ECALL_S)
  EXPECT(a0, 0x42)
  /* no entry matches -> S/U denied (here: S's own fetch faults) */
  li t0, (CFG_TOR | CFG_X) << 8
  csrw pmpcfg0, t0
  sfence.vma
  S_RUN(16, s_load, s0)
  EXPECT_MEM(trap_cause, CAUSE_FETCH_ACCESS)
  EXPECT_MEM_ADDR(trap_tval, s_load)
  /* locked entry binds M: page_p read-only for everyone */
  NAPOT_4K(t0)
  csrw pmpaddr0, t0
  li t0, -1
  csrw pmpaddr1, t0
  li t0, (CFG_L | CFG_NAPOT | CFG_R) | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8)
  csrw pmpcfg0, t0
  sfence.vma
  CASE(17)
  ld a0, 16(s0)
  EXPECT(a0, 0x1234)
  TRAP_CASE(18, CAUSE_STORE_ACCESS, sd zero, 16(s0))
  ld t0, trap_tval
  addi t1, s0, 16
  EXPECT_EQ(t0, t1)
  /* a locked entry ignores writes */
  CASE(19)
  csrw pmpaddr0, zero
  csrr a0, pmpaddr0
  NAPOT_4K(t0)
  EXPECT_EQ(a0, t0)
  csrr a0, pmpcfg0
  andi a0, a0, 0xff
  EXPECT(a0, CFG_L | CFG_NAPOT | CFG_R)
  j pass

s_load: ld a0, 0(a2); ecall
s_store: sd a3, 0(a2); ecall
s_call: jalr ra, 0(a2); ecall
TESTS_END
DATA_BEGIN
  .align 12
  .skip 4096
page_p: .skip 4096
  .skip 4096
DATA_END
