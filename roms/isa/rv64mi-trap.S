/* M-mode synchronous traps: ecall (cause 11), ebreak (3, also c.ebreak in
 * rvc test), illegal instructions with tval = encoding, mepc = faulting pc,
 * access faults on unmapped addresses for load/store/fetch (5/7/1) with tval,
 * and that a trapping load does not write rd. */
#include "test.h"
#define UNMAPPED 0x40000000
TESTS_BEGIN
  /* ecall from M */
  CASE(2)
  EXPECT_TRAP_AT(1f)
2: ecall
  j fail
1: EXPECT_MEM(trap_cause, CAUSE_ECALL_M)
  EXPECT_MEM_ADDR(trap_epc, 2b)
  EXPECT_MEM(trap_tval, 0)
  EXPECT_MEM(trap_prv, PRV_M)
  /* ebreak */
  CASE(3)
  EXPECT_TRAP_AT(1f)
2: ebreak
  j fail
1: EXPECT_MEM(trap_cause, CAUSE_BREAKPOINT)
  EXPECT_MEM_ADDR(trap_epc, 2b)
  /* handler runs with MIE = 0 and MPIE = previous MIE */
  CASE(4)
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  EXPECT_TRAP_AT(1f)
  ecall
  j fail
1: csrr a0, mstatus
  andi a1, a0, MSTATUS_MIE | MSTATUS_MPIE
  EXPECT(a1, MSTATUS_MIE | MSTATUS_MPIE)  /* mret: MIE = MPIE (1), MPIE = 1 */
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  /* illegal instructions: tval holds the encoding */
#define ILLEGAL(n, enc) \
  CASE(n) EXPECT_TRAP_AT(9101f); 9102: .word enc; j fail; 9101: \
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL); EXPECT_MEM_ADDR(trap_epc, 9102b); EXPECT_MEM(trap_tval, enc)
  ILLEGAL(5, 0xffffffff)
  ILLEGAL(6, 0x0000007f)          /* reserved major opcode (>32-bit length) */
  ILLEGAL(7, 0x0000506b)          /* reserved major opcode 0x6b */
  ILLEGAL(8, 0xfe008033)          /* OP with undefined funct7 */
  ILLEGAL(9, 0x10000073 | (0x1f << 20))  /* SYSTEM funct3=0 with unknown funct12 */
  ILLEGAL(10, 0x0000200f)         /* MISC-MEM funct3=2 */
  ILLEGAL(11, 0x40001013)         /* OP-IMM funct3=1 (slli) with undefined funct6 */
  ILLEGAL(12, 0x0000303b)         /* OP-32 funct3=3 */
  ILLEGAL(13, 0x00007003)         /* LOAD funct3=7 */
  ILLEGAL(14, 0x00004023)         /* STORE funct3=4 */
  ILLEGAL(15, 0x00002063)         /* BRANCH funct3=2 */
  ILLEGAL(16, 0x00001067)         /* JALR funct3=1 */
  /* mret / sret / wfi are not illegal in M; but sret in U is (si tests) */
  /* access faults */
  CASE(17)
  li a1, UNMAPPED
  li a0, 0x55
  EXPECT_TRAP_AT(1f)
2: ld a0, 0(a1)
  j fail
1: EXPECT_MEM(trap_cause, CAUSE_LOAD_ACCESS)
  EXPECT_MEM_ADDR(trap_epc, 2b)
  EXPECT_MEM(trap_tval, UNMAPPED)
  EXPECT(a0, 0x55)               /* rd not written */
  CASE(18)
  li a1, UNMAPPED + 0x100
  EXPECT_TRAP_AT(1f)
2: sw a0, 8(a1)
  j fail
1: EXPECT_MEM(trap_cause, CAUSE_STORE_ACCESS)
  EXPECT_MEM_ADDR(trap_epc, 2b)
  EXPECT_MEM(trap_tval, UNMAPPED + 0x108)
  CASE(19)
  li a1, UNMAPPED + 0x200
  EXPECT_TRAP_AT(1f)
  jalr ra, 0(a1)
  j fail
1: EXPECT_MEM(trap_cause, CAUSE_FETCH_ACCESS)
  EXPECT_MEM(trap_epc, UNMAPPED + 0x200)
  EXPECT_MEM(trap_tval, UNMAPPED + 0x200)
  /* AMO to an unmapped address: store/AMO access fault (the spec's cause 7;
   * QEMU 7.2, the reference here, reports 5, so both are accepted) */
  CASE(20)
  li a1, UNMAPPED
  EXPECT_TRAP_AT(1f)
  amoadd.d a0, a0, (a1)
  j fail
1: ld t0, trap_cause
  li t2, CAUSE_STORE_ACCESS
  beq t0, t2, 2f
  EXPECT(t0, CAUSE_LOAD_ACCESS)
2:
  EXPECT_MEM(trap_tval, UNMAPPED)
  /* trap count: each trap counted once */
  CASE(21)
  la t0, trap_count
  sd zero, 0(t0)
  EXPECT_TRAP_AT(1f)
  ecall
1: EXPECT_TRAP_AT(1f)
  ebreak
1: EXPECT_MEM(trap_count, 2)
TESTS_END
