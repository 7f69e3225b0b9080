/* flw/fsw/fld/fsd: bit-exact transfers (NaN payloads and signed zeros kept),
 * offsets incl. negative, misaligned, flags untouched, all FP registers. */
#include "test.h"
TESTS_BEGIN
  la s0, fdata
  CASE_CODE(2, a0, 0xffffffff3f800000, flw fa0, 0(s0); fmv.x.d a0, fa0)
  CASE_CODE(3, a0, 0xffffffff7f800001, flw fa0, 4(s0); fmv.x.d a0, fa0)
  CASE_CODE(4, a0, 0xffffffff80000000, flw fa0, 8(s0); fmv.x.d a0, fa0)
  CASE_CODE(5, a0, 0x7ff0000000000001, fld fa0, 16(s0); fmv.x.d a0, fa0)
  CASE_CODE(6, a0, 0x8000000000000000, fld fa0, 24(s0); fmv.x.d a0, fa0)
  CASE_CODE(7, a0, 0x7ff0000000000001, addi a1, s0, 64; fld fa0, -48(a1); fmv.x.d a0, fa0)
  CASE_CODE(8, a0, 0xffffffff7f800001, addi a1, s0, 64; flw fa0, -60(a1); fmv.x.d a0, fa0)
  /* stores */
  CASE(9)
  la s1, fbuf
  li t0, 0xfff0000000000123
  fmv.d.x fa1, t0
  fsd fa1, 8(s1)
  ld a0, 8(s1)
  EXPECT_EQ(a0, t0)
  CASE(10)
  li t0, -1
  sd t0, 16(s1)
  li t0, 0x7f800123
  fmv.w.x fa1, t0
  fsw fa1, 16(s1)
  ld a0, 16(s1)
  EXPECT(a0, 0xffffffff7f800123)
  CASE(11)
  fsw fa1, -4(s1)
  lwu a0, -4(s1)
  EXPECT(a0, 0x7f800123)
  /* misaligned FP access */
  CASE(12)
  li t0, 0x0123456789abcdef
  fmv.d.x fa2, t0
  fsd fa2, 33(s1)
  fld fa3, 33(s1)
  fmv.x.d a0, fa3
  EXPECT_EQ(a0, t0)
  CASE(13)
  flw fa4, 35(s1)
  fmv.x.w a0, fa4
  EXPECT(a0, 0x456789ab)
  /* loads/stores do not touch fflags */
  CASE(14)
  li t0, 0x1f
  fsflags t0
  fld fa0, 16(s0)
  fsd fa0, 40(s1)
  flw fa0, 4(s0)
  fsw fa0, 48(s1)
  frflags a0
  EXPECT(a0, 0x1f)
  fsflags zero
  /* every FP register round-trips */
  CASE(15)
  la s1, fbuf
  .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  li t0, 0x1000 + \r
  fmv.d.x f\r, t0
  .endr
  .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  fsd f\r, (\r * 8)(s1)
  .endr
  .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  ld a0, (\r * 8)(s1)
  li t2, 0x1000 + \r
  EXPECT_EQ(a0, t2)
  .endr
TESTS_END
DATA_BEGIN
  .align 4
fdata:
  .word 0x3f800000, 0x7f800001, 0x80000000, 0
  .dword 0x7ff0000000000001, 0x8000000000000000
  .align 4
  .skip 16
fbuf:
  .skip 512
DATA_END
