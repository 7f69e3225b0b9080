/* Negative control: TEST_TRAP around code that does not trap must fail.
 * EXPECT_EXIT: 9 */
#include "test.h"
TEST_CODE_BEGIN
  TEST_TRAP(9, CAUSE_ILLEGAL, nop)
TEST_CODE_END
