/* Bring-up image: start-up code, a jump to pass, and the HTIF exit. Nothing
 * else; if this fails, the runtime or the tohost path is broken. */
#include "test.h"
TESTS_BEGIN
  CASE(1)
TESTS_END
