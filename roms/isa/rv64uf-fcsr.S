/* fcsr/frm/fflags: field layout, sticky accrual of flags, fsrm/fsflags return
 * the old value, immediate forms, reserved frm values make dynamic-rm
 * instructions illegal, reserved static rm encodings are illegal, and FP
 * instructions that do not round ignore an invalid frm. */
#include "test.h"
TESTS_BEGIN
  CASE_CODE(2, a0, 0, csrw fcsr, zero; csrr a0, fcsr)
  CASE_CODE(3, a0, 0xff, li t0, -1; csrw fcsr, t0; csrr a0, fcsr)
  CASE_CODE(4, a0, 0x1f, frflags a0)
  CASE_CODE(5, a0, 0x7, frrm a0)
  CASE_CODE(6, a0, 0x7, li t0, 2; fsrm a0, t0)
  CASE_CODE(7, a0, 0x5f, csrr a0, fcsr)
  CASE_CODE(8, a0, 0x1f, li t0, 0x1; fsflags a0, t0)
  CASE_CODE(9, a0, 0x41, csrr a0, fcsr)
  CASE_CODE(10, a0, 0x1, fsflagsi a0, 0x1a)
  CASE_CODE(11, a0, 0x2, fsrmi a0, 4)
  CASE_CODE(12, a0, 0x9a, csrr a0, fcsr)
  CASE_CODE(13, a0, 0x80, csrrci a0, fflags, 0x1f; csrr a0, fcsr)
  CASE_CODE(14, a0, 0x80, csrr a0, fcsr)
  /* flags accrue (sticky): inexact then divide-by-zero */
  CASE(15)
  csrw fcsr, zero
  li t0, 0x3f800000
  fmv.w.x fa0, t0
  li t0, 0x40400000
  fmv.w.x fa1, t0
  fdiv.s fa2, fa0, fa1
  frflags a0
  EXPECT(a0, 0x1)
  fmv.w.x fa3, zero
  fdiv.s fa2, fa0, fa3
  frflags a0
  EXPECT(a0, 0x9)
  /* an exact op leaves flags alone */
  fadd.s fa2, fa0, fa0
  frflags a0
  EXPECT(a0, 0x9)
  /* dynamic rounding mode takes effect: 1/3 rounded up vs down differ by one ulp */
  CASE(16)
  fsrmi 2
  fdiv.s fa2, fa0, fa1
  fmv.x.w a1, fa2
  fsrmi 3
  fdiv.s fa2, fa0, fa1
  fmv.x.w a2, fa2
  sub a0, a2, a1
  EXPECT(a0, 1)
  /* reserved frm values (5, 6, 7) make dyn-rm instructions illegal; flags unchanged */
  CASE(17)
  fsrmi 5
  TRAP_CASE(18, CAUSE_ILLEGAL, fadd.s fa2, fa0, fa1, dyn)
  fsrmi 7
  TRAP_CASE(19, CAUSE_ILLEGAL, fmul.d fa2, fa0, fa1, dyn)
  fsrmi 6
  TRAP_CASE(20, CAUSE_ILLEGAL, fcvt.w.s a0, fa0, dyn)
  /* ... but instructions with a static rm, or without rounding, still work */
  CASE(21)
  fadd.s fa2, fa0, fa1, rne
  fsgnj.s fa2, fa0, fa1
  fmin.s fa2, fa0, fa1
  feq.s a0, fa0, fa1
  fmv.x.w a0, fa0
  fsrmi 0
  /* reserved static rm encodings 5 and 6 are illegal (fadd.s fa2, fa0, fa1 with rm=5/6) */
  CASE(22)
  TRAP_CASE(23, CAUSE_ILLEGAL, .word 0x00b55653)
  TRAP_CASE(24, CAUSE_ILLEGAL, .word 0x00b56653)
  /* fcsr writes ignore bits above 7 */
  CASE_CODE(25, a0, 0xff, li t0, 0xfffff; csrw fcsr, t0; csrr a0, fcsr)
  CASE_CODE(26, a0, 0x1f, li t0, -1; csrw fflags, t0; csrr a0, fflags)
  CASE_CODE(27, a0, 0x7, li t0, -1; csrw frm, t0; csrr a0, frm)
  csrw fcsr, zero
  /* writing fcsr marks FS dirty */
  CASE(28)
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_INIT
  csrs mstatus, t0
  csrwi fflags, 1
  csrr a0, mstatus
  li t0, MSTATUS_FS
  and a0, a0, t0
  EXPECT_EQ(a0, t0)
TESTS_END
