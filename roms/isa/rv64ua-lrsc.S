/* lr/sc: success path, failure without reservation, reservation consumed by
 * sc, address mismatch, sign extension of lr.w, width of sc.w, retry loop,
 * misaligned lr/sc traps. */
#include "test.h"
TESTS_BEGIN
  /* sc with no reservation (none made since reset) fails and does not write */
  CASE(2)
  la a1, buf
  li t0, 0x55
  sd t0, 0(a1)
  li a2, 0x66
  sc.d a0, a2, (a1)
  EXPECT_NE(a0, zero)
  ld a3, 0(a1)
  EXPECT(a3, 0x55)

  /* lr.d / sc.d success */
  CASE(3)
  lr.d a0, (a1)
  EXPECT(a0, 0x55)
  li a2, 0x77
  sc.d a4, a2, (a1)
  EXPECT(a4, 0)
  ld a3, 0(a1)
  EXPECT(a3, 0x77)

  /* the reservation is consumed: a second sc fails */
  CASE(4)
  li a2, 0x88
  sc.d a4, a2, (a1)
  EXPECT_NE(a4, zero)
  ld a3, 0(a1)
  EXPECT(a3, 0x77)

  /* lr.w sign-extends; sc.w writes only 32 bits */
  CASE(5)
  li t0, 0x1234567880000001
  sd t0, 8(a1)
  addi a5, a1, 8
  lr.w a0, (a5)
  EXPECT(a0, 0xffffffff80000001)
  li a2, 0xaaaaaaaa7fffffff
  sc.w a4, a2, (a5)
  EXPECT(a4, 0)
  ld a3, 8(a1)
  EXPECT(a3, 0x123456787fffffff)

  /* sc to a different address than the reservation fails */
  CASE(6)
  lr.d a0, (a1)
  addi a5, a1, 64
  sd zero, 0(a5)
  li a2, 1
  sc.d a4, a2, (a5)
  EXPECT_NE(a4, zero)
  ld a3, 0(a5)
  EXPECT(a3, 0)

  /* aq/rl variants */
  CASE(7)
  lr.d.aq a0, (a1)
  addi a0, a0, 1
  sc.d.rl a4, a0, (a1)
  EXPECT(a4, 0)
  ld a3, 0(a1)
  EXPECT(a3, 0x78)
  lr.w.aqrl a0, (a1)
  addi a0, a0, 1
  sc.w.aqrl a4, a0, (a1)
  EXPECT(a4, 0)
  lwu a3, 0(a1)
  EXPECT(a3, 0x79)

  /* atomic increment retry loop, 100 iterations */
  CASE(8)
  sd zero, 16(a1)
  addi a5, a1, 16
  li a6, 100
1: lr.d a0, (a5)
  addi a0, a0, 3
  sc.d a4, a0, (a5)
  bnez a4, 1b
  addi a6, a6, -1
  bnez a6, 1b
  ld a3, 16(a1)
  EXPECT(a3, 300)

  /* rd == x0 for sc still performs the store */
  CASE(9)
  lr.d a0, (a1)
  li a2, 0x99
  sc.d x0, a2, (a1)
  ld a3, 0(a1)
  EXPECT(a3, 0x99)

  /* misaligned lr -> load address misaligned, tval = address */
  addi a5, a1, 4
  TRAP_CASE(10, CAUSE_MISALIGNED_LOAD, lr.d a0, (a5))
  ld t0, trap_tval
  EXPECT_EQ(t0, a5)
  addi a5, a1, 2
  TRAP_CASE(11, CAUSE_MISALIGNED_LOAD, lr.w a0, (a5))
  ld t0, trap_tval
  EXPECT_EQ(t0, a5)
TESTS_END
DATA_BEGIN
  .align 6
buf:
  .skip 128
DATA_END
