/* Call-heavy benchmark for `virt`: naive recursive Fibonacci, Ackermann (deep
 * recursion, thousands of frames), mutual recursion, a table of small noinline
 * functions called through function pointers (indirect calls with a changing
 * target), and chains of distinct functions returning through many levels.
 * Exercises jal/jalr and return prediction more than anything else.
 * Self-checking against known values (fib(25), A(2, n), A(3, n)).
 * ~123M guest instructions.
 * EXPECT_STDOUT: calls checksum: 0x205d6671c55a7cc6 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
/* Real calls and returns, not loops: no tail-call optimisation in the recursions. */
#define NOTAIL __attribute__((optimize("no-optimize-sibling-calls")))

#ifndef ROUNDS
#define ROUNDS 6
#endif

static void fail(const char *what)
{
    printf("calls FAILED: %s\n", what);
    exit(1);
}

NOINLINE static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NOINLINE NOTAIL static uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

NOINLINE static int is_odd(uint32_t n);
NOINLINE NOTAIL static int is_even(uint32_t n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}
NOINLINE NOTAIL static int is_odd(uint32_t n)
{
    return n == 0 ? 0 : is_even(n - 1);
}

/* Small leaf functions with distinct bodies, called indirectly. */
typedef uint64_t (*op_fn)(uint64_t, uint64_t);
NOINLINE static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
NOINLINE static uint64_t op_sub(uint64_t a, uint64_t b) { return a - b; }
NOINLINE static uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ (b << 1); }
NOINLINE static uint64_t op_mul(uint64_t a, uint64_t b) { return a * (b | 1); }
NOINLINE static uint64_t op_rot(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> ((64 - b) & 63)); }
NOINLINE static uint64_t op_min(uint64_t a, uint64_t b) { return a < b ? a : b + 7; }
NOINLINE static uint64_t op_max(uint64_t a, uint64_t b) { return a > b ? a : b ^ 0x55; }
NOINLINE static uint64_t op_avg(uint64_t a, uint64_t b) { return (a >> 1) + (b >> 1) + 3; }
static op_fn const ops[8] = {op_add, op_sub, op_xor, op_mul, op_rot, op_min, op_max, op_avg};

static uint64_t indirect_work(uint32_t n)
{
    uint64_t acc = 0x0123456789abcdefULL, x = 1;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        acc = ops[(x >> 61) & 7](acc, x >> 20);
    }
    return acc;
}

/* A chain of distinct frames: level k calls level k-1 through a pointer the
 * caller passes down, so every return goes to a different site. */
typedef uint64_t (*chain_fn)(uint32_t, uint64_t);
NOINLINE static uint64_t chain_a(uint32_t depth, uint64_t v);
NOINLINE static uint64_t chain_b(uint32_t depth, uint64_t v);
NOINLINE static uint64_t chain_c(uint32_t depth, uint64_t v);
NOINLINE NOTAIL static uint64_t chain_a(uint32_t depth, uint64_t v)
{
    return depth == 0 ? v : chain_b(depth - 1, v * 3 + 1) ^ depth;
}
NOINLINE NOTAIL static uint64_t chain_b(uint32_t depth, uint64_t v)
{
    return depth == 0 ? v : chain_c(depth - 1, v + 17) + depth;
}
NOINLINE NOTAIL static uint64_t chain_c(uint32_t depth, uint64_t v)
{
    chain_fn next = (v & 1) ? chain_a : chain_b;
    return depth == 0 ? v : next(depth - 1, v ^ (v >> 3)) * 5;
}

int main(void)
{
    uint64_t sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t f = fib(25);
        if (f != 75025)
            fail("fib(25)");
        uint64_t a2 = ack(2, 200 + (uint64_t)r);
        if (a2 != 2 * (200 + (uint64_t)r) + 3)
            fail("A(2, n) != 2n + 3");
        uint64_t a3 = ack(3, 7);
        if (a3 != (1u << 10) - 3)
            fail("A(3, 7) != 1021");
        if (!is_even(20000 + (uint32_t)r * 2) || !is_odd(30001))
            fail("mutual recursion parity");
        uint64_t ind = indirect_work(400000);
        uint64_t ch = 0;
        for (uint32_t d = 0; d < 200; d++)
            ch = ch * 31 + chain_a(1000 + d, d);
        sum = sum * 0x100000001b3ULL + f;
        sum = sum * 0x100000001b3ULL + a2;
        sum = sum * 0x100000001b3ULL + a3;
        sum = sum * 0x100000001b3ULL + ind;
        sum = sum * 0x100000001b3ULL + ch;
    }
    printf("calls checksum: 0x%016llx\n", (unsigned long long)sum);
    return 0;
}
