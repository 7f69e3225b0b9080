/* Zicsr semantics in M mode: all six csrr* forms on mscratch, read-only CSR
 * writes are illegal while read-only reads (csrrs/csrrc with x0 / uimm 0) are
 * not, nonexistent CSR is illegal, mhartid/misa/id CSRs, mstatus WARL fields,
 * mepc alignment, mtvec modes. */
#include "test.h"
TESTS_BEGIN
  csrr s0, mscratch          /* the trap handler's save area: restored below */
  /* csrrw returns the old value */
  CASE_CODE(2, a0, 0x1234, li a1, 0x1234; csrw mscratch, a1; li a2, 0x5678; csrrw a0, mscratch, a2)
  CASE_CODE(3, a0, 0x5678, csrr a0, mscratch)
  /* csrrs / csrrc set and clear bits, returning the old value */
  CASE_CODE(4, a0, 0x5678, li a1, 0x0f; csrrs a0, mscratch, a1)
  CASE_CODE(5, a0, 0x567f, csrr a0, mscratch)
  CASE_CODE(6, a0, 0x567f, li a1, 0x5600; csrrc a0, mscratch, a1)
  CASE_CODE(7, a0, 0x007f, csrr a0, mscratch)
  /* immediate forms: 5-bit zero-extended uimm */
  CASE_CODE(8, a0, 0x007f, csrrwi a0, mscratch, 31)
  CASE_CODE(9, a0, 31, csrr a0, mscratch)
  CASE_CODE(10, a0, 31, csrrci a0, mscratch, 0x10)
  CASE_CODE(11, a0, 31, csrrsi a0, mscratch, 0x10; csrrsi a0, mscratch, 0)
  CASE_CODE(12, a0, 31, csrr a0, mscratch)
  /* full 64-bit value, and rd == rs1 */
  CASE_CODE(13, a1, 31, li a1, 0x8000000000000001; csrrw a1, mscratch, a1)
  CASE_CODE(14, a0, 0x8000000000000001, csrr a0, mscratch)
  /* csrrw with rd = x0 writes but does not read */
  CASE_CODE(15, a0, 0x42, li a1, 0x42; csrw mscratch, a1; csrr a0, mscratch)
  csrw mscratch, s0

  /* read-only CSRs: reading with csrrs/csrrc rs1=x0 or uimm=0 is fine */
  CASE_CODE(16, a0, 0, csrr a0, mhartid)
  CASE_CODE(17, a0, 0, csrrc a0, mhartid, zero)
  CASE_CODE(18, a0, 0, csrrsi a0, mhartid, 0)
  CASE_CODE(19, a0, 0, csrrci a0, mhartid, 0)
  /* ... but any write is illegal, even of the same value, even with rd = x0 */
  TRAP_CASE(20, CAUSE_ILLEGAL, csrw mhartid, zero)
  TRAP_CASE(21, CAUSE_ILLEGAL, li a1, 1; csrrs a0, mhartid, a1)
  TRAP_CASE(22, CAUSE_ILLEGAL, csrrwi a0, mvendorid, 0)
  TRAP_CASE(23, CAUSE_ILLEGAL, csrrsi a0, marchid, 1)
  TRAP_CASE(24, CAUSE_ILLEGAL, li a1, 1; csrrc a0, mimpid, a1)
  TRAP_CASE(25, CAUSE_ILLEGAL, csrw cycle, zero)
  TRAP_CASE(26, CAUSE_ILLEGAL, csrw instret, zero)
  /* a trapping CSR instruction leaves rd unchanged */
  CASE_CODE(27, a0, 0x77, li a0, 0x77; EXPECT_TRAP_AT(1f); csrrw a0, mhartid, zero; j fail; 1:)
  /* tval of an illegal CSR access is the instruction's encoding */
  CASE(28)
  EXPECT_TRAP_AT(2f)
3: csrw mhartid, zero
  j fail
2: la t0, 3b
  lwu t1, 0(t0)
  ld t0, trap_tval
  EXPECT_EQ(t0, t1)
  EXPECT_MEM_ADDR(trap_epc, 3b)
  /* nonexistent CSRs are illegal */
  TRAP_CASE(29, CAUSE_ILLEGAL, csrr a0, 0x7c0)
  TRAP_CASE(30, CAUSE_ILLEGAL, csrr a0, 0x5ff)

  /* misa: MXL = 2 (64-bit), I M A F D C S U present */
  CASE(31)
  csrr a0, misa
  srli a1, a0, 62
  EXPECT(a1, 2)
  li t1, (1 << ('I' - 'A')) | (1 << ('M' - 'A')) | (1 << ('A' - 'A')) | (1 << ('F' - 'A')) | (1 << ('D' - 'A')) | (1 << ('C' - 'A')) | (1 << ('S' - 'A')) | (1 << ('U' - 'A'))
  and a1, a0, t1
  EXPECT_EQ(a1, t1)
  /* mvendorid / marchid / mimpid readable */
  CASE(32)
  csrr a0, mvendorid
  csrr a0, marchid
  csrr a0, mimpid

  /* mstatus: UXL and SXL read as 2 (64-bit) */
  CASE(33)
  csrr a0, mstatus
  srli a1, a0, 32
  andi a1, a1, 0xf
  EXPECT(a1, 0xa)
  /* FS is writable; SD reflects FS == Dirty */
  CASE(34)
  li t0, MSTATUS_FS
  csrs mstatus, t0
  csrr a0, mstatus
  bgez a0, fail_far
  and a1, a0, t0
  EXPECT_EQ(a1, t0)
  li t1, 0x2000
  csrc mstatus, t0
  csrs mstatus, t1
  csrr a0, mstatus
  bltz a0, fail_far
  and a1, a0, t0
  EXPECT_EQ(a1, t1)
  /* an FP instruction turns FS to Dirty */
  CASE(35)
  fmv.d.x fa0, zero
  csrr a0, mstatus
  bgez a0, fail_far
  and a1, a0, t0
  EXPECT_EQ(a1, t0)
  /* FS = Off makes FP instructions and fcsr accesses illegal */
  csrc mstatus, t0
  TRAP_CASE(36, CAUSE_ILLEGAL, fmv.d.x fa0, zero)
  TRAP_CASE(37, CAUSE_ILLEGAL, csrr a0, fcsr)
  TRAP_CASE(38, CAUSE_ILLEGAL, fadd.d fa0, fa0, fa0)
  li t0, MSTATUS_FS_INIT
  csrs mstatus, t0
  /* MIE / SIE / MPIE / SPIE bits are writable */
  CASE(39)
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE
  csrs mstatus, t0
  csrr a0, mstatus
  and a1, a0, t0
  EXPECT_EQ(a1, t0)
  csrc mstatus, t0
  csrr a0, mstatus
  and a1, a0, t0
  EXPECT_EQ(a1, zero)
  /* sstatus is a restricted view of mstatus */
  CASE(40)
  li t0, MSTATUS_SIE
  csrs mstatus, t0
  csrr a0, sstatus
  andi a0, a0, MSTATUS_SIE
  EXPECT_EQ(a0, t0)
  csrc sstatus, t0
  csrr a0, mstatus
  andi a0, a0, MSTATUS_SIE
  EXPECT_EQ(a0, zero)
  li t0, MSTATUS_MIE | MSTATUS_MPP
  csrs sstatus, t0            /* M-only fields are not visible/writable through sstatus */
  csrr a0, sstatus
  and a0, a0, t0
  EXPECT_EQ(a0, zero)

  /* mepc holds a 2-byte aligned address (the spec also forces bit 0 to 0 on write;
   * QEMU 7.2 does not, so that is not checked) */
  CASE_CODE(41, a0, 0x80001236, li a1, 0x80001236; csrw mepc, a1; csrr a0, mepc)
  /* mtvec: direct and vectored modes read back; base is preserved */
  CASE_CODE(42, a0, 0x80004001, li a1, 0x80004001; csrw mtvec, a1; csrr a0, mtvec; la t0, m_trap; csrw mtvec, t0)
  /* mscratch survives a trap round trip (the handler uses it) */
  j 4f
fail_far:
  j fail
4:
TESTS_END
