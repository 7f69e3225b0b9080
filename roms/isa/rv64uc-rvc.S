/* Every RV64C instruction, written with explicit c.* mnemonics so the
 * assembler must emit the 16-bit encoding (build.sh also checks the image
 * contains them). Includes immediate edge values, sign extension, the pc+2
 * link of c.jalr, mixed 16/32-bit alignment, c.ebreak and the all-zero
 * illegal encoding. */
#include "test.h"
TESTS_BEGIN
  .option push
  .option rvc
  /* ---- CI format ---- */
  CASE_CODE(2, a0, 0x1f, c.li a0, 31)
  CASE_CODE(3, a0, -32, c.li a0, -32)
  CASE_CODE(4, a0, 0x10, c.li a0, 7; c.addi a0, 9)
  CASE_CODE(5, a0, -25, c.li a0, 7; c.addi a0, -32)
  CASE_CODE(6, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
  CASE_CODE(7, a0, 0x000000007fffffff, li a0, 0x17fffffff; c.addiw a0, 0)
  CASE_CODE(8, a0, 0x0000000000001000, c.lui a0, 1)
  CASE_CODE(9, a0, 0x000000000001f000, c.lui a0, 0x1f)
  CASE_CODE(10, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
  CASE_CODE(11, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
  CASE_CODE(12, a0, 0x8000000000000000, c.li a0, 1; c.slli a0, 63)
  CASE_CODE(13, a0, 0x0000000100000000, c.li a0, 1; c.slli a0, 32)
  /* c.addi16sp / c.addi4spn with sp */
  CASE(14)
  mv s2, sp
  la sp, stack_top
  mv t1, sp
  c.addi16sp sp, -512
  sub a0, t1, sp
  EXPECT(a0, 512)
  c.addi16sp sp, 496
  sub a0, t1, sp
  EXPECT(a0, 16)
  c.addi16sp sp, 16
  CASE(15)
  c.addi4spn a0, sp, 4
  sub a0, a0, sp
  EXPECT(a0, 4)
  c.addi4spn a1, sp, 1020
  sub a1, a1, sp
  EXPECT(a1, 1020)
  /* ---- CB format: srli/srai/andi ---- */
  CASE_CODE(16, a0, 0x0000000000000001, li a0, 0x8000000000000000; c.srli a0, 63)
  CASE_CODE(17, a0, 0xffffffffffffffff, li a0, 0x8000000000000000; c.srai a0, 63)
  CASE_CODE(18, a0, 0x00000000ffffffff, li a0, 0xffffffff00000000; c.srli a0, 32)
  CASE_CODE(19, a0, 0xffffffffff000000, li a0, 0xff00000000000000; c.srai a0, 32)
  CASE_CODE(20, a0, 0x0000000000000010, li a0, 0x1234567890abcdf0; c.andi a0, 0x1f)
  CASE_CODE(21, a0, 0x1234567890abcde0, li a0, 0x1234567890abcdf7; c.andi a0, -32)
  /* ---- CA format: rd' = rd' op rs2' (a4, a5); word forms use the low 32 bits only ---- */
  CASE_CODE(22, a4, 0x12345678, li a4, 0xabcdef0012345678; li a5, 0x1111111100000000; c.addw a4, a5)
  CASE_CODE(23, a4, 0xfffffffffffffffe, li a4, 0x7fffffff; li a5, 0x7fffffff; c.addw a4, a5)
  CASE_CODE(24, a4, 0x0, li a4, 0x1ffffffff; li a5, 0x1; c.addw a4, a5)
  CASE_CODE(25, a4, 0x7fffffff, li a4, 0xffffffff80000000; li a5, 0x1; c.subw a4, a5)
  CASE_CODE(26, a4, 0xfffffffffffffffe, li a4, 0x5; li a5, 0x100000007; c.subw a4, a5)
  CASE_CODE(27, a4, 0x8000000000000000, li a4, 0x0; li a5, 0x8000000000000000; c.sub a4, a5)
  CASE_CODE(28, a4, 0x2468acf13579bcf, li a4, 0x123456789abcdef0; li a5, 0xfedcba987654321; c.sub a4, a5)
  CASE_CODE(29, a4, 0xf000f000f000f000, li a4, 0xf0f0f0f0f0f0f0f0; li a5, 0xff00ff00ff00ff00; c.and a4, a5)
  CASE_CODE(30, a4, 0xfff0fff0fff0fff0, li a4, 0xf0f0f0f0f0f0f0f0; li a5, 0xff00ff00ff00ff00; c.or a4, a5)
  CASE_CODE(31, a4, 0xff00ff00ff00ff0, li a4, 0xf0f0f0f0f0f0f0f0; li a5, 0xff00ff00ff00ff00; c.xor a4, a5)
  /* ---- CR format ---- */
  CASE_CODE(32, s3, 0x123456789, li t3, 0x123456789; c.mv s3, t3)
  CASE_CODE(33, s3, 0x3, li s3, 1; li t3, 2; c.add s3, t3)
  CASE_CODE(34, s3, 0x0, li s3, -1; li t3, 1; c.add s3, t3)
  /* ---- loads/stores CL/CS (x8..x15) ---- */
  la s0, cdata
  CASE_CODE(35, a0, 0xffffffff80000001, c.lw a0, 0(s0))
  CASE_CODE(36, a0, 0x0000000012345678, c.lw a0, 4(s0))
  CASE_CODE(37, a0, 0x8877665544332211, c.ld a0, 8(s0))
  CASE_CODE(38, a0, 0x0123456789abcdef, c.ld a0, 248(s0))
  CASE_CODE(39, a0, 0x7ffffffe, c.lw a0, 124(s0))
  CASE(40)
  la s1, cbuf
  li a2, 0xdeadbeefcafebabe
  c.sd a2, 8(s1)
  ld a0, 8(s1)
  EXPECT_EQ(a0, a2)
  c.sw a2, 4(s1)
  lw a0, 4(s1)
  EXPECT(a0, 0xffffffffcafebabe)
  c.sd a2, 248(s1)
  ld a0, 248(s1)
  EXPECT_EQ(a0, a2)
  c.sw a2, 124(s1)
  lwu a0, 124(s1)
  EXPECT(a0, 0xcafebabe)
  /* FP compressed loads/stores */
  CASE(41)
  c.fld fa0, 8(s0)
  fmv.x.d a0, fa0
  EXPECT(a0, 0x8877665544332211)
  c.fsd fa0, 16(s1)
  ld a0, 16(s1)
  EXPECT(a0, 0x8877665544332211)
  c.fld fa1, 248(s0)
  c.fsd fa1, 248(s1)
  ld a0, 248(s1)
  EXPECT(a0, 0x0123456789abcdef)
  /* ---- sp-relative CI/CSS ---- */
  CASE(42)
  la sp, cdata
  c.lwsp a0, 0(sp)
  EXPECT(a0, 0xffffffff80000001)
  c.lwsp a0, 252(sp)
  EXPECT(a0, 0x0000000001234567)
  c.ldsp a0, 8(sp)
  EXPECT(a0, 0x8877665544332211)
  c.ldsp a0, 504(sp)
  EXPECT(a0, 0x1122334455667788)
  c.fldsp fa2, 8(sp)
  fmv.x.d a0, fa2
  EXPECT(a0, 0x8877665544332211)
  c.fldsp fa2, 504(sp)
  fmv.x.d a0, fa2
  EXPECT(a0, 0x1122334455667788)
  CASE(43)
  la sp, cbuf
  li a2, 0x0102030405060708
  c.sdsp a2, 504(sp)
  ld a0, 504(sp)
  EXPECT_EQ(a0, a2)
  c.swsp a2, 252(sp)
  lwu a0, 252(sp)
  EXPECT(a0, 0x05060708)
  c.fsdsp fa2, 32(sp)
  ld a0, 32(sp)
  EXPECT(a0, 0x1122334455667788)
  c.fsdsp fa2, 496(sp)
  ld a0, 496(sp)
  EXPECT(a0, 0x1122334455667788)
  mv sp, s2
  /* ---- control transfer ---- */
  CASE(44)
  li a0, 0
  c.j 1f
  c.addi a0, 1
1: c.addi a0, 2
  EXPECT(a0, 2)
  CASE(45)
  li a0, 0
  c.beqz a0, 2f
  c.li a0, 5
2: EXPECT(a0, 0)
  CASE(46)
  li a0, 1
  c.beqz a0, 3f
  c.li a0, 6
3: EXPECT(a0, 6)
  CASE(47)
  li a1, 0
  c.bnez a1, 4f
  c.li a1, 7
4: EXPECT(a1, 7)
  CASE(48)
  li a1, -1
  c.bnez a1, 5f
  c.li a1, 8
5: EXPECT(a1, -1)
  /* backward c.bnez loop */
  CASE(49)
  li a1, 5
  li a0, 0
6: c.addi a0, 3
  c.addi a1, -1
  c.bnez a1, 6b
  EXPECT(a0, 15)
  /* c.jr / c.jalr: link is pc + 2 */
  CASE(50)
  la t0, 7f
  c.jr t0
  j fail
7: la t0, 8f
  c.jalr t0
9: j fail
8: la t1, 9b
  EXPECT_EQ(ra, t1)
  /* c.jalr where rs1 == ra: target uses old ra */
  CASE(51)
  la ra, 10f
  c.jalr ra
11: j fail
10: la t1, 11b
  EXPECT_EQ(ra, t1)
  /* c.nop and hint encodings are no-ops */
  CASE(52)
  li a0, 9
  c.nop
  c.addi zero, 0
  EXPECT(a0, 9)
  /* mixed 16/32-bit stream with a 32-bit instruction at a 2-byte aligned pc */
  CASE(53)
  li a0, 0
  c.addi a0, 1
  addi a0, a0, 0x100
  c.addi a0, 1
  li t0, 0x12345678
  add a0, a0, t0
  EXPECT(a0, 0x1234577a)
  /* c.ebreak traps with cause 3 and epc at the c.ebreak */
  CASE(54)
  EXPECT_TRAP_AT(12f)
13: c.ebreak
  j fail
12: EXPECT_MEM(trap_cause, CAUSE_BREAKPOINT)
  EXPECT_MEM_ADDR(trap_epc, 13b)
  /* the all-zero 16-bit encoding is illegal */
  CASE(55)
  EXPECT_TRAP_AT(14f)
15: .2byte 0
  j fail
14: EXPECT_MEM(trap_cause, CAUSE_ILLEGAL)
  EXPECT_MEM_ADDR(trap_epc, 15b)
  .option pop
TESTS_END
DATA_BEGIN
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
DATA_END
