/* fcsr/frm/fflags: field layout, sticky accrual of flags, fsrm/fsflags return
 * the old value, immediate forms, reserved frm values make dynamic-rm
 * instructions illegal, reserved static rm encodings are illegal, and FP
 * instructions that do not round ignore an invalid frm. */
#include "test.h"
TEST_CODE_BEGIN
  TEST_CASE(2, a0, 0, csrw fcsr, zero; csrr a0, fcsr)
  TEST_CASE(3, a0, 0xff, li t0, -1; csrw fcsr, t0; csrr a0, fcsr)
  TEST_CASE(4, a0, 0x1f, frflags a0)
  TEST_CASE(5, a0, 0x7, frrm a0)
  TEST_CASE(6, a0, 0x7, li t0, 2; fsrm a0, t0)
  TEST_CASE(7, a0, 0x5f, csrr a0, fcsr)
  TEST_CASE(8, a0, 0x1f, li t0, 0x1; fsflags a0, t0)
  TEST_CASE(9, a0, 0x41, csrr a0, fcsr)
  TEST_CASE(10, a0, 0x1, fsflagsi a0, 0x1a)
  TEST_CASE(11, a0, 0x2, fsrmi a0, 4)
  TEST_CASE(12, a0, 0x9a, csrr a0, fcsr)
  TEST_CASE(13, a0, 0x80, csrrci a0, fflags, 0x1f; csrr a0, fcsr)
  TEST_CASE(14, a0, 0x80, csrr a0, fcsr)
  /* flags accrue (sticky): inexact then divide-by-zero */
  li gp, 15
  csrw fcsr, zero
  li t0, 0x3f800000
  fmv.w.x fa0, t0
  li t0, 0x40400000
  fmv.w.x fa1, t0
  fdiv.s fa2, fa0, fa1
  frflags a0
  CHECK_REG(a0, 0x1)
  fmv.w.x fa3, zero
  fdiv.s fa2, fa0, fa3
  frflags a0
  CHECK_REG(a0, 0x9)
  /* an exact op leaves flags alone */
  fadd.s fa2, fa0, fa0
  frflags a0
  CHECK_REG(a0, 0x9)
  /* dynamic rounding mode takes effect: 1/3 rounded up vs down differ by one ulp */
  li gp, 16
  fsrmi 2
  fdiv.s fa2, fa0, fa1
  fmv.x.w a1, fa2
  fsrmi 3
  fdiv.s fa2, fa0, fa1
  fmv.x.w a2, fa2
  sub a0, a2, a1
  CHECK_REG(a0, 1)
  /* reserved frm values (5, 6, 7) make dyn-rm instructions illegal; flags unchanged */
  li gp, 17
  fsrmi 5
  TEST_TRAP(18, CAUSE_ILLEGAL, fadd.s fa2, fa0, fa1, dyn)
  fsrmi 7
  TEST_TRAP(19, CAUSE_ILLEGAL, fmul.d fa2, fa0, fa1, dyn)
  fsrmi 6
  TEST_TRAP(20, CAUSE_ILLEGAL, fcvt.w.s a0, fa0, dyn)
  /* ... but instructions with a static rm, or without rounding, still work */
  li gp, 21
  fadd.s fa2, fa0, fa1, rne
  fsgnj.s fa2, fa0, fa1
  fmin.s fa2, fa0, fa1
  feq.s a0, fa0, fa1
  fmv.x.w a0, fa0
  fsrmi 0
  /* reserved static rm encodings 5 and 6 are illegal (fadd.s fa2, fa0, fa1 with rm=5/6) */
  li gp, 22
  TEST_TRAP(23, CAUSE_ILLEGAL, .word 0x00b55653)
  TEST_TRAP(24, CAUSE_ILLEGAL, .word 0x00b56653)
  /* fcsr writes ignore bits above 7 */
  TEST_CASE(25, a0, 0xff, li t0, 0xfffff; csrw fcsr, t0; csrr a0, fcsr)
  TEST_CASE(26, a0, 0x1f, li t0, -1; csrw fflags, t0; csrr a0, fflags)
  TEST_CASE(27, a0, 0x7, li t0, -1; csrw frm, t0; csrr a0, frm)
  csrw fcsr, zero
  /* writing fcsr marks FS dirty */
  li gp, 28
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_INIT
  csrs mstatus, t0
  csrwi fflags, 1
  csrr a0, mstatus
  li t0, MSTATUS_FS
  and a0, a0, t0
  FAIL_IF_NE(a0, t0)
TEST_CODE_END
