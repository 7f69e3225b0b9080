/* fence.i: self-modifying code. Instructions are patched after they have
 * already executed once (so any decode cache is warm), then fence.i must make
 * the new instructions visible. Also fence variants execute as no-ops. */
#include "test.h"
TESTS_BEGIN
  /* run the routine once with its original instruction */
  CASE(2)
  li a0, 0
  jal ra, patchme
  EXPECT(a0, 1)
  /* patch "addi a0, a0, 1" into "addi a0, a0, 100" */
  CASE(3)
  la t0, patch_insn
  lw t1, 0(t0)
  li t2, 0x00150513
  EXPECT_EQ(t1, t2)
  li t1, 0x06450513          /* addi a0, a0, 100 */
  sw t1, 0(t0)
  fence.i
  li a0, 0
  jal ra, patchme
  EXPECT(a0, 100)
  /* patch twice in a loop: each iteration stores a new immediate */
  CASE(4)
  li a3, 0
  li a4, 1
1: la t0, patch_insn
  slli t1, a4, 20
  li t2, 0x00050513          /* addi a0, a0, imm */
  or t1, t1, t2
  sw t1, 0(t0)
  fence.i
  li a0, 0
  jal ra, patchme
  add a3, a3, a0
  addi a4, a4, 1
  li t0, 6
  blt a4, t0, 1b
  EXPECT(a3, 15)          /* 1+2+3+4+5 */
  /* code written into the data area and executed there */
  CASE(5)
  la t0, codebuf
  li t1, 0x02a00513          /* li a0, 42 */
  sw t1, 0(t0)
  li t1, 0x00008067          /* ret */
  sw t1, 4(t0)
  fence.i
  li a0, 0
  jalr ra, t0
  EXPECT(a0, 42)
  li t1, 0x07b00513          /* li a0, 123 */
  sw t1, 0(t0)
  fence.i
  jalr ra, t0
  EXPECT(a0, 123)
  /* fence variants are legal no-ops */
  CASE(6)
  fence
  fence rw, rw
  fence r, w
  fence iorw, iorw
  fence.tso
  EXPECT(zero, 0)
  j 2f
patchme:
patch_insn:
  addi a0, a0, 1
  ret
2:
TESTS_END
DATA_BEGIN
  .align 4
codebuf:
  .skip 64
DATA_END
