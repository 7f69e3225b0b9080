/* Negative control: TRAP_CASE around code that does not trap must fail.
 * EXPECT_EXIT: 9 */
#include "test.h"
TESTS_BEGIN
  TRAP_CASE(9, CAUSE_ILLEGAL, nop)
TESTS_END
