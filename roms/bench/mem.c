/* Memory-bound benchmark for `virt`: pointer chasing through a randomly
 * permuted 2 MiB array (one cycle through all entries, Sattolo's shuffle), then
 * STREAM-like copy/scale/add/triad kernels over three 2 MiB arrays (6 MiB, more
 * than a host L2), and a read-modify-write pass with a 4 KiB stride.
 * Self-checking: the chase must visit every slot exactly once per lap, and the
 * STREAM results are verified against closed forms. Prints a checksum and
 * exits through the finisher. ~49M guest instructions (few, but many miss the
 * host caches and the emulator's TLB); 8 MiB of .bss (virt RAM is 128 MiB).
 * EXPECT_STDOUT: mem checksum: 0x39c1950f35423c7e */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef CHASE
#define CHASE (512u << 10) /* entries of 4 bytes: 2 MiB */
#endif
#ifndef LAPS
#define LAPS 1
#endif
#ifndef STREAM
#define STREAM (256u << 10) /* entries of 8 bytes: 2 MiB per array */
#endif
#ifndef PASSES
#define PASSES 2
#endif

static uint32_t next[CHASE];
static uint64_t a[STREAM], b[STREAM], c[STREAM];

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void fail(const char *what)
{
    printf("mem FAILED: %s\n", what);
    exit(1);
}

/* Sattolo's algorithm: a uniformly random single cycle through all entries. */
static void chase_build(void)
{
    for (uint32_t i = 0; i < CHASE; i++)
        next[i] = i;
    for (uint32_t i = CHASE - 1; i > 0; i--) {
        uint32_t j = rng() % i;
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
}

static uint64_t chase_work(void)
{
    uint64_t h = 0;
    uint32_t p = 0;
    for (int lap = 0; lap < LAPS; lap++) {
        uint32_t steps = 0;
        do {
            p = next[p];
            h = h * 0x100000001b3ULL + p;
            steps++;
        } while (p != 0 && steps <= CHASE);
        if (steps != CHASE)
            fail("pointer chase is not a single cycle");
    }
    return h;
}

static uint64_t stream_work(void)
{
    for (uint32_t i = 0; i < STREAM; i++) {
        a[i] = i;
        b[i] = 2 * (uint64_t)i + 1;
        c[i] = 0;
    }
    const uint64_t q = 3;
    for (int pass = 0; pass < PASSES; pass++) {
        for (uint32_t i = 0; i < STREAM; i++) /* copy */
            c[i] = a[i];
        for (uint32_t i = 0; i < STREAM; i++) /* scale */
            b[i] = q * c[i];
        for (uint32_t i = 0; i < STREAM; i++) /* add */
            c[i] = a[i] + b[i];
        for (uint32_t i = 0; i < STREAM; i++) /* triad */
            a[i] = b[i] + q * c[i];
    }
    /* Per pass: c = a, b = 3a, c = 4a, a = 3a + 12a = 15a; so a = 15^PASSES * i. */
    uint64_t k = 1;
    for (int pass = 0; pass < PASSES; pass++)
        k *= 15;
    uint64_t h = 0;
    for (uint32_t i = 0; i < STREAM; i++) {
        if (a[i] != k * i || c[i] != 4 * (k / 15) * i || b[i] != 3 * (k / 15) * i)
            fail("stream kernels computed a wrong value");
        h = h * 31 + a[i] + c[i];
    }
    return h;
}

/* Read-modify-write with a page-sized stride: every access a new cache line. */
static uint64_t stride_work(void)
{
    uint64_t h = 0;
    uint32_t *w = next;
    for (uint32_t off = 0; off < 1024; off++)
        for (uint32_t i = off; i < CHASE; i += 1024) {
            w[i] ^= i * 2654435761u;
            h += w[i];
        }
    return h;
}

int main(void)
{
    chase_build();
    uint64_t sum = chase_work();
    sum = sum * 3 + stream_work();
    sum = sum * 3 + stride_work();
    printf("mem checksum: 0x%016llx\n", (unsigned long long)sum);
    return 0;
}
