/* Bring-up image: start-up code, a jump to pass, and the HTIF exit. Nothing
 * else; if this fails, the runtime or the tohost path is broken. */
#include "test.h"
TEST_CODE_BEGIN
  li gp, 1
TEST_CODE_END
