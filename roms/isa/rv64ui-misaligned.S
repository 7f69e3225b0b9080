/* Misaligned loads and stores of every width at every byte offset: performed
 * by the implementation (QEMU behaviour), little-endian byte order, and across
 * a page boundary. */
#include "test.h"
#define MLD(n, inst, exp, off) LOAD(n, inst, exp, off, mbuf)
TESTS_BEGIN
  MLD(2, lh, 0x0201, 1)
  MLD(3, lh, 0xffffffffffff8281, 0x41)
  MLD(4, lhu, 0x8281, 0x41)
  MLD(5, lw, 0x04030201, 1)
  MLD(6, lw, 0x05040302, 2)
  MLD(7, lw, 0x06050403, 3)
  MLD(8, lw, 0xffffffff84838281, 0x41)
  MLD(9, lwu, 0x84838281, 0x41)
  MLD(10, ld, 0x0807060504030201, 1)
  MLD(11, ld, 0x0908070605040302, 2)
  MLD(12, ld, 0x0a09080706050403, 3)
  MLD(13, ld, 0x0b0a090807060504, 4)
  MLD(14, ld, 0x0c0b0a0908070605, 5)
  MLD(15, ld, 0x0d0c0b0a09080706, 6)
  MLD(16, ld, 0x0e0d0c0b0a090807, 7)
  MLD(17, ld, 0x8887868584838281, 0x41)
  /* stores at odd offsets, read back with byte loads */
  CASE(18)
  la a1, sbuf
  li a2, 0x1122334455667788
  sd a2, 3(a1)
  lbu a0, 3(a1); EXPECT(a0, 0x88)
  lbu a0, 10(a1); EXPECT(a0, 0x11)
  ld a0, 3(a1); EXPECT_EQ(a0, a2)
  CASE(19)
  li a2, 0xaabbccdd
  sw a2, 13(a1)
  lwu a0, 13(a1); EXPECT(a0, 0xaabbccdd)
  lbu a0, 16(a1); EXPECT(a0, 0xaa)
  CASE(20)
  li a2, 0xbeef
  sh a2, 21(a1)
  lhu a0, 21(a1); EXPECT(a0, 0xbeef)
  lb a0, 22(a1); EXPECT(a0, 0xffffffffffffffbe)
  /* across a 4 KiB page boundary */
  CASE(21)
  la a1, pagebuf
  li t0, 0x1000
  add a1, a1, t0
  li a2, 0x0102030405060708
  sd a2, -3(a1)
  ld a0, -3(a1); EXPECT_EQ(a0, a2)
  lbu a0, -3(a1); EXPECT(a0, 0x08)
  lbu a0, 4(a1); EXPECT(a0, 0x01)
  CASE(22)
  li a2, 0xcafef00d
  sw a2, -1(a1)
  lw a0, -1(a1); EXPECT(a0, 0xffffffffcafef00d)
TESTS_END
DATA_BEGIN
  .align 4
mbuf:
  .byte 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
  .skip 48
  .byte 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f
sbuf:
  .skip 32
  .align 12
pagebuf:
  .skip 0x2000
DATA_END
