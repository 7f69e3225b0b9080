/* add: basic values, sign/overflow wrap, register aliasing, x0 as source/dest. */
#include "test.h"
TEST_CODE_BEGIN
  TEST_RR(2, add, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(3, add, 0x00000002, 0x00000001, 0x00000001)
  TEST_RR(4, add, 0x0000000a, 0x00000003, 0x00000007)
  TEST_RR(5, add, 0xffffffffffff8000, 0x0000000000000000, 0xffffffffffff8000)
  TEST_RR(6, add, 0xffffffff80000000, 0xffffffff80000000, 0x00000000)
  TEST_RR(7, add, 0xffffffff7fff8000, 0xffffffff80000000, 0xffffffffffff8000)
  TEST_RR(8, add, 0x0000000000007fff, 0x0000000000000000, 0x0000000000007fff)
  TEST_RR(9, add, 0x000000007fffffff, 0x000000007fffffff, 0x0000000000000000)
  TEST_RR(10, add, 0x0000000080007ffe, 0x000000007fffffff, 0x0000000000007fff)
  TEST_RR(11, add, 0xffffffff80007fff, 0xffffffff80000000, 0x0000000000007fff)
  TEST_RR(12, add, 0x000000007fff7fff, 0x000000007fffffff, 0xffffffffffff8000)
  TEST_RR(13, add, 0xffffffffffffffff, 0x0000000000000000, 0xffffffffffffffff)
  TEST_RR(14, add, 0x0000000000000000, 0xffffffffffffffff, 0x0000000000000001)
  TEST_RR(15, add, 0xfffffffffffffffe, 0xffffffffffffffff, 0xffffffffffffffff)
  TEST_RR(16, add, 0x0000000080000000, 0x0000000000000001, 0x000000007fffffff)
  TEST_RR(17, add, 0x8000000000000000, 0x7fffffffffffffff, 0x0000000000000001)
  TEST_RR(18, add, 0x123456789abcdef0, 0x1111111111111111, 0x0123456789abcddf)
  TEST_RR_SRC1_EQ_DEST(19, add, 24, 13, 11)
  TEST_RR_SRC2_EQ_DEST(20, add, 25, 14, 11)
  TEST_RR_SRC12_EQ_DEST(21, add, 26, 13)
  TEST_RR_ZEROSRC1(22, add, 15, 15)
  TEST_RR_ZEROSRC2(23, add, 32, 32)
  TEST_RR_ZERODEST(24, add, 16, 30)
  /* back-to-back dependency chain */
  TEST_CASE(25, a0, 8, li a0, 1; add a0, a0, a0; add a0, a0, a0; addi a0, a0, 2; add a0, a0, zero; addi a0, a0, 0; addi a0, a0, 2)
  /* all 31 registers as destination/source */
  TEST_CASE(26, t3, 0x77, li t3, 0x33; li t4, 0x44; add t3, t3, t4)
  TEST_CASE(27, s11, -1, li s10, -2; li s11, 1; add s11, s10, s11)
TEST_CODE_END
