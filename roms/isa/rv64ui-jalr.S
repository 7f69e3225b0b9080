/* jalr: link value, offsets, LSB of target cleared, rd == rs1, x0 link. */
#include "test.h"
TESTS_BEGIN
  CASE(2)
  la t0, 2f
  la t1, 1f
  jalr ra, 0(t0)
1: j fail
2: EXPECT_EQ(ra, t1)

  /* positive and negative offsets */
  CASE(3)
  la t0, 3f
  addi t0, t0, -16
  jalr a1, 16(t0)
  j fail
3: la t0, 4f
  addi t0, t0, 20
  jalr a1, -20(t0)
  j fail
4:
  /* target LSB is cleared: jump to label+1 lands on label */
  CASE(4)
  la t0, 5f
  addi t0, t0, 1
  jalr a1, 0(t0)
  j fail
5:
  /* rd == rs1: the target uses the old rs1, rd gets the link */
  CASE(5)
  la a2, 7f
  la t1, 6f
  jalr a2, 0(a2)
6: j fail
7: EXPECT_EQ(a2, t1)

  /* x0 link (jr / ret) */
  CASE(6)
  la t0, 8f
  jalr x0, 0(t0)
  j fail
8: EXPECT(zero, 0)

  /* call/return through a computed address table */
  CASE(7)
  li a0, 0
  la t0, sub_add5
  jalr ra, t0
  la t0, sub_add5
  jalr ra, t0
  EXPECT(a0, 10)
  j 9f
sub_add5:
  addi a0, a0, 5
  ret
9:
TESTS_END
