/* ALU benchmark for `virt`: one hot block. A 64-bit mixing step (multiply by
 * an odd constant, xor-shift right, add the loop counter, rotate, xor-shift
 * left) iterated many millions of times as one long serial dependency chain
 * (each operation of a step needs the previous one's result), the loop body is a
 * single basic block ending in the loop branch, and there are no memory
 * accesses. Measures per-block overhead and the cost of each ALU operation.
 * Self-checking: every step is a bijection, so the inverse loop (multiply by
 * the modular inverse, computed by Newton's iteration, and the xor-shifts
 * undone) must lead back to the starting value. Prints a checksum and exits
 * through the finisher. Portable C: the checksum was cross-checked with a
 * host build. ~585M guest instructions (36M forward steps of 11, 9M inverse
 * steps of 21).
 * EXPECT_STDOUT: alu checksum: 0x98d9399e242f9b03 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

#ifndef STEPS
#define STEPS 9000000u
#endif
#define MUL 0xd6e8feb86659fd93ULL

static uint64_t rotl(uint64_t x, unsigned k)
{
    return (x << k) | (x >> (64 - k));
}

/* x -> x ^ (x >> 31) is undone by y ^ (y >> 31) ^ (y >> 62). */
NOINLINE static uint64_t forward(uint64_t x, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        x *= MUL;
        x ^= x >> 31;
        x += i;
        x = rotl(x, 23);
        x ^= x << 11;
    }
    return x;
}

/* Undoes forward(., n): x ^= x << 11 is undone by y ^ (y << 11) ^ (y << 22) ^ ... */
NOINLINE static uint64_t backward(uint64_t x, uint32_t n, uint64_t inv)
{
    for (uint32_t i = n; i-- > 0;) {
        x ^= (x << 11) ^ (x << 22) ^ (x << 33) ^ (x << 44) ^ (x << 55);
        x = rotl(x, 64 - 23);
        x -= i;
        x ^= (x >> 31) ^ (x >> 62);
        x *= inv;
    }
    return x;
}

int main(void)
{
    /* Inverse of MUL modulo 2^64: each Newton step doubles the correct bits. */
    uint64_t inv = MUL;
    for (int k = 0; k < 6; k++)
        inv *= 2 - MUL * inv;
    if (MUL * inv != 1) {
        printf("alu FAILED: modular inverse\n");
        exit(1);
    }
    uint64_t sum = 0;
    static const uint64_t starts[] = {0, 1, 0x0123456789abcdefULL, ~0ULL};
    for (uint32_t s = 0; s < 4; s++) {
        uint64_t x = forward(starts[s], STEPS);
        sum = sum * 0x100000001b3ULL ^ x;
        if (s == 0 && backward(x, STEPS, inv) != starts[s]) {
            printf("alu FAILED: the inverse does not return to the start\n");
            exit(1);
        }
    }
    printf("alu checksum: 0x%016llx\n", (unsigned long long)sum);
    return 0;
}
