/* lui: upper immediate, sign extension of bit 31 to 64 bits, x0 destination. */
#include "test.h"
TEST_CODE_BEGIN
  TEST_CASE(2, a0, 0x0000000000000000, lui a0, 0x00000)
  TEST_CASE(3, a0, 0x0000000000001000, lui a0, 0x00001)
  TEST_CASE(4, a0, 0x000000007ffff000, lui a0, 0x7ffff)
  TEST_CASE(5, a0, 0xffffffff80000000, lui a0, 0x80000)
  TEST_CASE(6, a0, 0xfffffffffffff000, lui a0, 0xfffff)
  TEST_CASE(7, a0, 0x0000000012345000, lui a0, 0x12345)
  TEST_CASE(8, a0, 0xffffffffabcde000, lui a0, 0xabcde)
  TEST_CASE(9, a0, 0xffffffffffffffff, lui a0, 0x80000; sra a0, a0, 31; srai a0, a0, 1)
  TEST_CASE(10, a0, 0x7ff, lui a0, 0x7ffff; srai a0, a0, 20)
  TEST_CASE(11, x0, 0, lui x0, 0x80000)
  /* lui + addi pair building a constant whose low part is negative */
  TEST_CASE(12, a0, 0x12344800, lui a0, 0x12345; addi a0, a0, -0x800)
TEST_CODE_END
