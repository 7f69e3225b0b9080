/* Reserved RV64C encodings raise illegal instruction with tval = the 16-bit
 * encoding and epc at the instruction; a 16-bit instruction followed by a
 * 32-bit one at a 2-byte boundary keeps working after the trap. */
#include "test.h"
#define C_ILLEGAL(n, enc) \
  CASE(n) EXPECT_TRAP_AT(9401f); 9402: .2byte enc; .2byte 0x0001; j fail; 9401: \
  EXPECT_MEM(trap_cause, CAUSE_ILLEGAL); EXPECT_MEM_ADDR(trap_epc, 9402b); EXPECT_MEM(trap_tval, enc)
TESTS_BEGIN
  .option push
  .option rvc
  C_ILLEGAL(2, 0x0000)      /* all zeros */
  C_ILLEGAL(3, 0x0004)      /* c.addi4spn with nzuimm = 0 */
  C_ILLEGAL(4, 0x6101)      /* c.addi16sp with nzimm = 0 */
  C_ILLEGAL(5, 0x6281)      /* c.lui with nzimm = 0 */
  C_ILLEGAL(6, 0x4002)      /* c.lwsp with rd = x0 */
  C_ILLEGAL(7, 0x6002)      /* c.ldsp with rd = x0 */
  C_ILLEGAL(8, 0x8002)      /* c.jr with rs1 = x0 */
  C_ILLEGAL(9, 0x2005)      /* c.addiw with rd = x0 */
  C_ILLEGAL(10, 0x9c41)     /* CA reserved funct2 (RV64) */
  C_ILLEGAL(11, 0x9c61)     /* CA reserved funct2 (RV64) */
  /* c.nop-style hints are not illegal: c.addi with rd = x0, c.li with rd = x0 */
  CASE(12)
  .2byte 0x0005             /* c.addi x0, 1 (hint) */
  .2byte 0x4005             /* c.li x0, 1 (hint) */
  .2byte 0x0001             /* c.nop */
  EXPECT(zero, 0)
  .option pop
TESTS_END
