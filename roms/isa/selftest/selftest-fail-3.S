/* Negative control: cases 1 and 2 pass, case 3 deliberately fails.
 * EXPECT_EXIT: 3 */
#include "test.h"
TEST_CODE_BEGIN
  TEST_RR(1, add, 2, 1, 1)
  TEST_RR(2, sub, 0, 1, 1)
  TEST_RR(3, add, 5, 2, 2)
  TEST_RR(4, add, 4, 2, 2)
TEST_CODE_END
