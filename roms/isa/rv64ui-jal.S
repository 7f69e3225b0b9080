/* jal: link value, forward/backward targets, x0 link (j), rd == ra, long jump. */
#include "test.h"
TESTS_BEGIN
  /* link register gets pc+4 */
  CASE(2)
  la t1, 1f
  jal ra, 2f
1: j fail
2: EXPECT_EQ(ra, t1)

  /* backward jump */
  CASE(3)
  li a0, 0
  j 4f
3: addi a0, a0, 1
  j 5f
4: addi a0, a0, 10
  jal x0, 3b
5: EXPECT(a0, 11)

  /* jal with rd = a different register; instructions after a taken jal do not execute */
  CASE(4)
  li a1, 0
  la t1, 6f
  jal t0, 7f
6: addi a1, a1, 1
  addi a1, a1, 1
7: EXPECT_EQ(t0, t1)
  EXPECT(a1, 0)

  /* x0 link is discarded */
  CASE(5)
  jal x0, 8f
8: EXPECT(zero, 0)

  /* a long jump (over a 64 KiB gap) forward and back */
  CASE(6)
  jal a2, far_target
far_back:
  la t1, far_back
  EXPECT_EQ(a2, t1)
  EXPECT(a3, 0x5a)
  j 9f
  .skip 0x10000
far_target:
  li a3, 0x5a
  jr a2
9:
TESTS_END
