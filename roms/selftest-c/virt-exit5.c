/* Negative control for the virt board: prints, then exits with code 5 through
 * the SiFive test finisher's FAIL encoding ((5 << 16) | 0x3333).
 * EXPECT_EXIT: 5
 * EXPECT_STDOUT: exiting with 5 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("exiting with 5\n");
    exit(5);
}
