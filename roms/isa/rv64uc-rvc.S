/* Every RV64C instruction, written with explicit c.* mnemonics so the
 * assembler must emit the 16-bit encoding (build.sh also checks the image
 * contains them). Includes immediate edge values, sign extension, the pc+2
 * link of c.jalr, mixed 16/32-bit alignment, c.ebreak and the all-zero
 * illegal encoding. */
#include "test.h"
TEST_CODE_BEGIN
  .option push
  .option rvc
  /* ---- CI format ---- */
  TEST_CASE(2, a0, 0x1f, c.li a0, 31)
  TEST_CASE(3, a0, -32, c.li a0, -32)
  TEST_CASE(4, a0, 0x10, c.li a0, 7; c.addi a0, 9)
  TEST_CASE(5, a0, -25, c.li a0, 7; c.addi a0, -32)
  TEST_CASE(6, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
  TEST_CASE(7, a0, 0x000000007fffffff, li a0, 0x17fffffff; c.addiw a0, 0)
  TEST_CASE(8, a0, 0x0000000000001000, c.lui a0, 1)
  TEST_CASE(9, a0, 0x000000000001f000, c.lui a0, 0x1f)
  TEST_CASE(10, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
  TEST_CASE(11, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
  TEST_CASE(12, a0, 0x8000000000000000, c.li a0, 1; c.slli a0, 63)
  TEST_CASE(13, a0, 0x0000000100000000, c.li a0, 1; c.slli a0, 32)
  /* c.addi16sp / c.addi4spn with sp */
  li gp, 14
  mv s2, sp
  la sp, stack_top
  mv t1, sp
  c.addi16sp sp, -512
  sub a0, t1, sp
  CHECK_REG(a0, 512)
  c.addi16sp sp, 496
  sub a0, t1, sp
  CHECK_REG(a0, 16)
  c.addi16sp sp, 16
  li gp, 15
  c.addi4spn a0, sp, 4
  sub a0, a0, sp
  CHECK_REG(a0, 4)
  c.addi4spn a1, sp, 1020
  sub a1, a1, sp
  CHECK_REG(a1, 1020)
  /* ---- CB format: srli/srai/andi ---- */
  TEST_CASE(16, a0, 0x0000000000000001, li a0, 0x8000000000000000; c.srli a0, 63)
  TEST_CASE(17, a0, 0xffffffffffffffff, li a0, 0x8000000000000000; c.srai a0, 63)
  TEST_CASE(18, a0, 0x00000000ffffffff, li a0, 0xffffffff00000000; c.srli a0, 32)
  TEST_CASE(19, a0, 0xffffffffff000000, li a0, 0xff00000000000000; c.srai a0, 32)
  TEST_CASE(20, a0, 0x0000000000000010, li a0, 0x1234567890abcdf0; c.andi a0, 0x1f)
  TEST_CASE(21, a0, 0x1234567890abcde0, li a0, 0x1234567890abcdf7; c.andi a0, -32)
  /* ---- CA format ---- */
  TEST_CASE(22, a0, 0xfffffffffffffffd, li a0, 2; li a1, 5; c.sub a0, a1)
  TEST_CASE(23, a0, 0x6, li a0, 3; li a1, 5; c.xor a0, a1)
  TEST_CASE(24, a0, 0x7, li a0, 3; li a1, 5; c.or a0, a1)
  TEST_CASE(25, a0, 0x1, li a0, 3; li a1, 5; c.and a0, a1)
  TEST_CASE(26, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, -1; c.subw a0, a1)
  TEST_CASE(27, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, 1; c.addw a0, a1)
  TEST_CASE(28, a0, 0x0000000000000000, li a0, 0x1ffffffff; li a1, 1; c.addw a0, a1)
  /* ---- CR format ---- */
  TEST_CASE(29, s3, 0x123456789, li t3, 0x123456789; c.mv s3, t3)
  TEST_CASE(30, s3, 0x3, li s3, 1; li t3, 2; c.add s3, t3)
  TEST_CASE(31, s3, 0x0, li s3, -1; li t3, 1; c.add s3, t3)
  /* ---- loads/stores CL/CS (x8..x15) ---- */
  la s0, cdata
  TEST_CASE(32, a0, 0xffffffff80000001, c.lw a0, 0(s0))
  TEST_CASE(33, a0, 0x0000000012345678, c.lw a0, 4(s0))
  TEST_CASE(34, a0, 0x8877665544332211, c.ld a0, 8(s0))
  TEST_CASE(35, a0, 0x0123456789abcdef, c.ld a0, 248(s0))
  TEST_CASE(36, a0, 0x7ffffffe, c.lw a0, 124(s0))
  li gp, 37
  la s1, cbuf
  li a2, 0xdeadbeefcafebabe
  c.sd a2, 8(s1)
  ld a0, 8(s1)
  FAIL_IF_NE(a0, a2)
  c.sw a2, 4(s1)
  lw a0, 4(s1)
  CHECK_REG(a0, 0xffffffffcafebabe)
  c.sd a2, 248(s1)
  ld a0, 248(s1)
  FAIL_IF_NE(a0, a2)
  c.sw a2, 124(s1)
  lwu a0, 124(s1)
  CHECK_REG(a0, 0xcafebabe)
  /* FP compressed loads/stores */
  li gp, 38
  c.fld fa0, 8(s0)
  fmv.x.d a0, fa0
  CHECK_REG(a0, 0x8877665544332211)
  c.fsd fa0, 16(s1)
  ld a0, 16(s1)
  CHECK_REG(a0, 0x8877665544332211)
  c.fld fa1, 248(s0)
  c.fsd fa1, 248(s1)
  ld a0, 248(s1)
  CHECK_REG(a0, 0x0123456789abcdef)
  /* ---- sp-relative CI/CSS ---- */
  li gp, 39
  la sp, cdata
  c.lwsp a0, 0(sp)
  CHECK_REG(a0, 0xffffffff80000001)
  c.lwsp a0, 252(sp)
  CHECK_REG(a0, 0x0000000001234567)
  c.ldsp a0, 8(sp)
  CHECK_REG(a0, 0x8877665544332211)
  c.ldsp a0, 504(sp)
  CHECK_REG(a0, 0x1122334455667788)
  c.fldsp fa2, 8(sp)
  fmv.x.d a0, fa2
  CHECK_REG(a0, 0x8877665544332211)
  c.fldsp fa2, 504(sp)
  fmv.x.d a0, fa2
  CHECK_REG(a0, 0x1122334455667788)
  li gp, 40
  la sp, cbuf
  li a2, 0x0102030405060708
  c.sdsp a2, 504(sp)
  ld a0, 504(sp)
  FAIL_IF_NE(a0, a2)
  c.swsp a2, 252(sp)
  lwu a0, 252(sp)
  CHECK_REG(a0, 0x05060708)
  c.fsdsp fa2, 32(sp)
  ld a0, 32(sp)
  CHECK_REG(a0, 0x1122334455667788)
  c.fsdsp fa2, 496(sp)
  ld a0, 496(sp)
  CHECK_REG(a0, 0x1122334455667788)
  mv sp, s2
  /* ---- control transfer ---- */
  li gp, 41
  li a0, 0
  c.j 1f
  c.addi a0, 1
1: c.addi a0, 2
  CHECK_REG(a0, 2)
  li gp, 42
  li a0, 0
  c.beqz a0, 2f
  c.li a0, 5
2: CHECK_REG(a0, 0)
  li gp, 43
  li a0, 1
  c.beqz a0, 3f
  c.li a0, 6
3: CHECK_REG(a0, 6)
  li gp, 44
  li a1, 0
  c.bnez a1, 4f
  c.li a1, 7
4: CHECK_REG(a1, 7)
  li gp, 45
  li a1, -1
  c.bnez a1, 5f
  c.li a1, 8
5: CHECK_REG(a1, -1)
  /* backward c.bnez loop */
  li gp, 46
  li a1, 5
  li a0, 0
6: c.addi a0, 3
  c.addi a1, -1
  c.bnez a1, 6b
  CHECK_REG(a0, 15)
  /* c.jr / c.jalr: link is pc + 2 */
  li gp, 47
  la t0, 7f
  c.jr t0
  j fail
7: la t0, 8f
  c.jalr t0
9: j fail
8: la t1, 9b
  FAIL_IF_NE(ra, t1)
  /* c.jalr where rs1 == ra: target uses old ra */
  li gp, 48
  la ra, 10f
  c.jalr ra
11: j fail
10: la t1, 11b
  FAIL_IF_NE(ra, t1)
  /* c.nop and hint encodings are no-ops */
  li gp, 49
  li a0, 9
  c.nop
  c.addi zero, 0
  CHECK_REG(a0, 9)
  /* mixed 16/32-bit stream with a 32-bit instruction at a 2-byte aligned pc */
  li gp, 50
  li a0, 0
  c.addi a0, 1
  addi a0, a0, 0x100
  c.addi a0, 1
  li t0, 0x12345678
  add a0, a0, t0
  CHECK_REG(a0, 0x1234577a)
  /* c.ebreak traps with cause 3 and epc at the c.ebreak */
  li gp, 51
  EXPECT_TRAP_AT(12f)
13: c.ebreak
  j fail
12: CHECK_MEM(trap_cause, CAUSE_BREAKPOINT)
  CHECK_MEM_LABEL(trap_epc, 13b)
  /* the all-zero 16-bit encoding is illegal */
  li gp, 52
  EXPECT_TRAP_AT(14f)
15: .2byte 0
  j fail
14: CHECK_MEM(trap_cause, CAUSE_ILLEGAL)
  CHECK_MEM_LABEL(trap_epc, 15b)
  .option pop
TEST_CODE_END
TEST_DATA_BEGIN
  .align 4
cdata:
  .word 0x80000001, 0x12345678
  .dword 0x8877665544332211
  .skip 124 - 16
  .word 0x7ffffffe
  .skip 248 - 128
  .dword 0x0123456789abcdef
  .skip 504 - 256
  .dword 0x1122334455667788
  .align 4
cbuf:
  .skip 512
  .skip 512
stack_top:
TEST_DATA_END
