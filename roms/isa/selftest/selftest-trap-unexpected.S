/* Negative control: an unexpected illegal-instruction trap in case 7 must be
 * reported as a failure of case 7.
 * EXPECT_EXIT: 7 */
#include "test.h"
TEST_CODE_BEGIN
  TEST_RR(6, add, 2, 1, 1)
  li gp, 7
  .word 0x00000000
  TEST_RR(8, add, 2, 1, 1)
TEST_CODE_END
