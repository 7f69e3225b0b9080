/* NaN-boxing (Spec 13.2): single-precision operations on a register whose
 * upper 32 bits are not all ones see the canonical NaN. Values are written
 * unboxed with fmv.d.x / fld and then used with .s instructions. */
#include "test.h"
#define UNBOXED(v) li t0, v; fmv.d.x fa0, t0
TESTS_BEGIN
  /* arithmetic on an unboxed 1.0f is arithmetic on a quiet NaN: canonical result, no NV */
  CASE_CODE(2, a0, 0xffffffff7fc00000, UNBOXED(0x000000003f800000); li t0, 0x3f800000; fmv.w.x fa1, t0; fsflags zero; fadd.s fa3, fa0, fa1; fmv.x.d a0, fa3)
  CASE_CODE(3, a1, 0, frflags a1)
  /* a partially boxed value (upper bits not all ones) is also NaN */
  CASE_CODE(4, a0, 0xffffffff7fc00000, UNBOXED(0xfffffffe3f800000); fmul.s fa3, fa0, fa0; fmv.x.d a0, fa3)
  /* properly boxed works */
  CASE_CODE(5, a0, 0xffffffff40000000, UNBOXED(0xffffffff3f800000); fadd.s fa3, fa0, fa0; fmv.x.d a0, fa3)
  /* fclass.s of an unboxed value: quiet NaN */
  CASE_CODE(6, a0, 0x200, UNBOXED(0x00000000ff800000); fclass.s a0, fa0)
  /* feq.s with an unboxed operand: quiet NaN compare -> 0, no NV; flt -> NV */
  CASE_CODE(7, a0, 0, UNBOXED(0x000000003f800000); fmv.d fa1, fa0; fsflags zero; feq.s a0, fa0, fa1)
  CASE_CODE(8, a1, 0, frflags a1)
  CASE_CODE(9, a1, 0x10, UNBOXED(0x000000003f800000); fsflags zero; flt.s a0, fa0, fa0; frflags a1)
  /* fsgnj.s treats the unboxed input as the canonical NaN: result 0x7fc00000 with b's sign */
  CASE_CODE(10, a0, 0xffffffffffc00000, UNBOXED(0x000000003f800000); li t0, 0xbf800000; fmv.w.x fa1, t0; fsgnj.s fa3, fa0, fa1; fmv.x.d a0, fa3)
  CASE_CODE(11, a0, 0xffffffff7fc00000, UNBOXED(0x1234567800000000); li t0, 0xbf800000; fmv.w.x fa1, t0; fsgnjn.s fa3, fa0, fa1; fmv.x.d a0, fa3)
  /* fmv.s (fsgnj.s x, x) of an unboxed value also yields the canonical NaN */
  CASE_CODE(12, a0, 0xffffffff7fc00000, UNBOXED(0x00000000bf800000); fmv.s fa3, fa0; fmv.x.d a0, fa3)
  /* fcvt.d.s of unboxed: canonical double NaN, no NV */
  CASE_CODE(13, a0, 0x7ff8000000000000, UNBOXED(0x000000003f800000); fsflags zero; fcvt.d.s fa3, fa0; fmv.x.d a0, fa3)
  /* fcvt.w.s of unboxed: NaN -> 0x7fffffff with NV */
  CASE_CODE(14, a0, 0x7fffffff, UNBOXED(0x000000003f800000); fsflags zero; fcvt.w.s a0, fa0, rtz)
  CASE_CODE(15, a1, 0x10, frflags a1)
  /* fmin.s: unboxed operand is NaN, so the other operand is returned */
  CASE_CODE(16, a0, 0xffffffff40400000, UNBOXED(0x000000003f800000); li t0, 0x40400000; fmv.w.x fa1, t0; fmin.s fa3, fa0, fa1; fmv.x.d a0, fa3)
  /* fsw and fmv.x.w do not check boxing: they move the low 32 bits */
  CASE(17)
  UNBOXED(0x123456783f800000)
  la a1, buf
  fsw fa0, 0(a1)
  lwu a0, 0(a1)
  EXPECT(a0, 0x3f800000)
  fmv.x.w a0, fa0
  EXPECT(a0, 0x3f800000)
  /* flw boxes: upper 32 bits become ones, even for a NaN/sNaN payload (no canonicalisation) */
  CASE(18)
  li t0, 0x7f800001
  sw t0, 8(a1)
  fsflags zero
  flw fa2, 8(a1)
  fmv.x.d a0, fa2
  EXPECT(a0, 0xffffffff7f800001)
  frflags a1
  EXPECT(a1, 0)
  /* fld of a boxed single then .s use */
  CASE(19)
  la a1, buf
  li t0, 0xffffffff40000000
  sd t0, 16(a1)
  fld fa0, 16(a1)
  fadd.s fa3, fa0, fa0
  fmv.x.w a0, fa3
  EXPECT(a0, 0x40800000)
  /* single-precision results written by .s ops are boxed */
  CASE(20)
  li t0, 0x3fc00000
  fmv.w.x fa0, t0
  fcvt.s.w fa3, zero
  fmv.x.d a0, fa3
  EXPECT(a0, 0xffffffff00000000)
TESTS_END
DATA_BEGIN
buf: .skip 32
DATA_END
