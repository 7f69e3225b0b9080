/* More reserved encodings in the base ISA (all illegal on RV64GC): 32-bit
 * shifts with shamt[5] set, undefined funct fields in M/A/F/D spaces, fence.i
 * with non-zero imm is still fence.i (legal), and a trapping instruction has
 * no side effect on its destination. tval = encoding. */
#include "test.h"
#define ILLEGAL(n, enc) \
  CASE(n) EXPECT_TRAP_AT(9501f); 9502: .word enc; j fail; 9501: \
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL); EXPECT_MEM_ADDR(trap_epc, 9502b); EXPECT_MEM(trap_tval, enc)
TESTS_BEGIN
  ILLEGAL(2, 0x0205151b)    /* slliw a0, a0, 32 (shamt[5] = 1) */
  ILLEGAL(3, 0x0205551b)    /* srliw a0, a0, 32 */
  ILLEGAL(4, 0x4205551b)    /* sraiw a0, a0, 32 */
  ILLEGAL(5, 0x0205053b | (1 << 25) | (0 << 12) | (0x10 << 25)) /* OP-32 funct7 0x11 */
  ILLEGAL(6, 0x0000302f | (0x1f << 27))  /* AMO funct5 0x1f, .d */
  ILLEGAL(7, 0x0000402f)    /* AMO funct3 = 4 */
  ILLEGAL(8, 0x1015302f)    /* lr.d with rs2 = 1 */
  ILLEGAL(9, 0x00007007)    /* LOAD-FP funct3 = 7 */
  ILLEGAL(10, 0x00007027)   /* STORE-FP funct3 = 7 */
  ILLEGAL(11, 0x06000053)   /* OP-FP fmt = 3 (quad) fadd.q */
  ILLEGAL(12, 0x58100053 | (1 << 20))  /* fsqrt.s with rs2 = 1... (rs2 must be 0) */
  ILLEGAL(13, 0xe0001053 | (1 << 20))  /* fclass.s with rs2 = 1 */
  ILLEGAL(14, 0xa0003053)   /* fcmp.s funct3 = 3 */
  ILLEGAL(15, 0x20003053)   /* fsgnj.s funct3 = 3 */
  ILLEGAL(16, 0x28002053)   /* fmin/fmax.s funct3 = 2 */
  ILLEGAL(17, 0x0000003b | (1 << 25) | (1 << 12))  /* OP-32 funct7=1 funct3=1 (no mulhw) */
  ILLEGAL(18, 0x30200073 | (1 << 15))  /* mret with rs1 != 0 */
  ILLEGAL(19, 0x00100073 | (1 << 7))   /* ebreak with rd != 0 */
  /* legal oddities: fence with unused fields, fence.i with imm != 0, hint encodings */
  CASE(20)
  .word 0x0ff0000f | (1 << 20) /* fence with fm/pred/succ bits set is legal */
  .word 0x0010100f            /* fence.i with imm = 1 (imm ignored) */
  .word 0x00000013 | (5 << 15) /* addi x0, x5, 0: hint */
  .word 0x00500033            /* add x0, x0, x5: hint */
  EXPECT(zero, 0)
  /* a faulting csrrw does not write rd; a faulting load does not write rd */
  CASE(21)
  li a0, 5
  EXPECT_TRAP_AT(1f)
  .word 0x0205151b            /* slliw a0, a0, 32 */
1: EXPECT(a0, 5)
TESTS_END
