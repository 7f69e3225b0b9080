/* auipc: pc-relative, positive/negative offsets, sign extension, x0 dest. */
#include "test.h"
TEST_CODE_BEGIN
  TEST_CASE(2, a0, 0, 1: auipc a0, 0; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(3, a0, 0x1000, 1: auipc a0, 1; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(4, a0, -0x1000, 1: auipc a0, 0xfffff; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(5, a0, 0x7ffff000, 1: auipc a0, 0x7ffff; la a1, 1b; sub a0, a0, a1)
  /* 0x80000 << 12 sign-extends to -2 GiB: pc(0x8000xxxx) - 0x80000000 */
  TEST_CASE(6, a0, -0x80000000, 1: auipc a0, 0x80000; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(7, a0, 0x8000, 1: auipc a0, 0x8; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(8, x0, 0, auipc x0, 0x12345)
  /* auipc in the middle of a sequence reflects its own address */
  TEST_CASE(9, a0, 8, 1: nop; nop; 2: auipc a0, 0; la a1, 1b; sub a0, a0, a1)
  /* the absolute value: code is linked at 0x8000xxxx, so auipc 0 is in [0x80000000, 0x80100000) */
  TEST_CASE(10, a0, 0x800, auipc a0, 0; srli a0, a0, 20)
TEST_CODE_END
