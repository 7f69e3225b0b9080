/* Friendly greeting for the `virt` board: stdout through the NS16550A UART,
 * a few computed primes (so the output is not static), exit via the finisher.
 * EXPECT_STDOUT: primes: 2 3 5 7 11 13 17 19 23 29 */
#include <stdio.h>
#include <stdlib.h>

static int is_prime(unsigned n)
{
    if (n < 2)
        return 0;
    for (unsigned d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return 1;
}

int main(void)
{
    printf("Hello from Tern!\n");
    printf("This is a bare-metal C program on the virt board (RV64GC).\n");
    printf("primes:");
    unsigned found = 0, sum = 0;
    for (unsigned n = 2; found < 10; n++) {
        if (is_prime(n)) {
            printf(" %u", n);
            found++;
            sum += n;
        }
    }
    printf("\nsum of the first %u primes = %u\n", found, sum);
    double r = 1.0;
    for (int i = 0; i < 20; i++)
        r = 0.5 * (r + 2.0 / r);
    printf("sqrt(2) ~= %d.%06d\n", (int)r, (int)((r - (int)r) * 1000000.0));
    printf("Goodbye.\n");
    return sum == 129 ? 0 : 1;
}
