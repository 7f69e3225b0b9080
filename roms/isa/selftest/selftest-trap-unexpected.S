/* Negative control: an unexpected illegal-instruction trap in case 7 must be
 * reported as a failure of case 7.
 * EXPECT_EXIT: 7 */
#include "test.h"
TESTS_BEGIN
  RR(6, add, 2, 1, 1)
  CASE(7)
  .word 0x00000000
  RR(8, add, 2, 1, 1)
TESTS_END
