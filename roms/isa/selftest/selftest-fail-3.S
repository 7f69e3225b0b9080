/* Negative control: cases 1 and 2 pass, case 3 deliberately fails.
 * EXPECT_EXIT: 3 */
#include "test.h"
TESTS_BEGIN
  RR(1, add, 2, 1, 1)
  RR(2, sub, 0, 1, 1)
  RR(3, add, 5, 2, 2)
  RR(4, add, 4, 2, 2)
TESTS_END
