/* With C present, 2-byte aligned control-flow targets are legal: jalr, jal and
 * branches to pc+2 alignments execute 16-bit and 32-bit instructions there;
 * jalr clears bit 0 of the target; mepc keeps bit 1 for a trap at such pc. */
#include "test.h"
TESTS_BEGIN
  .option push
  .option norvc
  /* jalr to a 2-byte aligned label */
  CASE(2)
  li a0, 0
  la t0, 1f
  jalr ra, 0(t0)
  j fail
  .2byte 0x0001               /* c.nop padding: 1f is at 4n+2 */
1: addi a0, a0, 1             /* 32-bit instruction at 4n+2 */
  EXPECT(a0, 1)
  la t0, 1b
  andi t0, t0, 3
  EXPECT(t0, 2)
  /* branch and jal to 4n+2 */
  CASE(3)
  li a0, 0
  beq zero, zero, 2f
  j fail
  .2byte 0x0001
2: addi a0, a0, 2
  jal x0, 3f
  .2byte 0x0001
  j fail
3: EXPECT(a0, 2)
  /* jalr with odd target: bit 0 cleared, lands at 4n+2 */
  CASE(4)
  la t0, 4f
  addi t0, t0, 1
  jalr ra, 0(t0)
  j fail
  .2byte 0x0001
4: li a0, 44
  EXPECT(a0, 44)
  /* ecall at a 4n+2 address: mepc has bit 1 set */
  CASE(5)
  EXPECT_TRAP_AT(6f)
  j 5f
  .2byte 0x0001
5: ecall
  j fail
6: la t0, 5b
  ld t1, trap_epc
  EXPECT_EQ(t0, t1)
  andi t1, t1, 3
  EXPECT(t1, 2)
  /* mret to a 4n+2 mepc */
  CASE(6)
  la t0, 7f
  csrw mepc, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  li a0, 0
  mret
  j fail
  .2byte 0x0001
7: li a0, 7
  EXPECT(a0, 7)
  .option pop
TESTS_END
