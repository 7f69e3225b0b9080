/* Negative control: a late case number (200) survives into the exit code.
 * EXPECT_EXIT: 200 */
#include "test.h"
TEST_CODE_BEGIN
  TEST_RR(199, xor, 0, 5, 5)
  TEST_IMM(200, addi, 1, 1, 1)
TEST_CODE_END
