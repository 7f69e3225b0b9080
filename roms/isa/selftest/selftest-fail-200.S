/* Negative control: a late case number (200) survives into the exit code.
 * EXPECT_EXIT: 200 */
#include "test.h"
TESTS_BEGIN
  RR(199, xor, 0, 5, 5)
  RI(200, addi, 1, 1, 1)
TESTS_END
