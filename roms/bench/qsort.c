/* Quicksort benchmark for `virt`: a recursive quicksort of 32-bit signed
 * integers (median-of-three pivot, two-pointer partition, both halves sorted by
 * real recursive calls, insertion sort below 12 elements) over pseudo-random
 * arrays of several sizes and shapes: uniform, few distinct values, sorted
 * with noise, descending, organ pipe. Data-dependent branches and calls.
 * Self-checking: every result must be in order and have the same multiset
 * hash (sum and xor of mixed values, and the count) as the input. Prints a
 * checksum of all sorted contents and exits through the finisher.
 * Portable C: the checksum was cross-checked with a host build.
 * ~224M guest instructions (73% in the sort itself).
 * EXPECT_STDOUT: qsort checksum: 0xf0629bd9434e9077 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

#ifndef ROUNDS
#define ROUNDS 2
#endif
#define MAXN 60000

static int32_t arr[MAXN];

/* A 64-bit LCG (Knuth's MMIX constants) with the top bits folded down. */
static uint64_t seed = 0x5eed0f7e4aULL;
static uint32_t rnd(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((seed ^ (seed >> 22)) >> 29);
}

static void fail(const char *what, uint32_t n)
{
    printf("qsort FAILED: %s (n = %u)\n", what, (unsigned)n);
    exit(1);
}

static inline void swap32(int32_t *a, int32_t *b)
{
    int32_t t = *a;
    *a = *b;
    *b = t;
}

NOINLINE static void insertion(int32_t *a, int32_t n)
{
    for (int32_t i = 1; i < n; i++) {
        int32_t v = a[i], j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

/* Sorts a[0..n). */
NOINLINE static void quicksort(int32_t *a, int32_t n)
{
    if (n < 12) {
        insertion(a, n);
        return;
    }
    /* Median of first, middle, last moved to a[0] as the pivot. */
    int32_t m = n / 2, l = n - 1;
    if (a[m] < a[0])
        swap32(&a[m], &a[0]);
    if (a[l] < a[0])
        swap32(&a[l], &a[0]);
    if (a[l] < a[m])
        swap32(&a[l], &a[m]);
    swap32(&a[0], &a[m]); /* a[0] = median, a[m] <= a[0] <= a[l] */
    int32_t p = a[0];
    int32_t i = 0, j = n;
    for (;;) {
        do
            i++;
        while (i < n && a[i] < p);
        do
            j--;
        while (a[j] > p);
        if (i >= j)
            break;
        swap32(&a[i], &a[j]);
    }
    swap32(&a[0], &a[j]); /* pivot into its final place */
    quicksort(a, j);
    quicksort(a + j + 1, n - j - 1);
}

static uint64_t mixv(int32_t v)
{
    uint64_t x = (uint32_t)v * 0x9fb21c651e98df25ULL;
    return x ^ (x >> 28);
}

struct multiset {
    uint64_t sum, xr;
};

static struct multiset summarize(const int32_t *a, uint32_t n)
{
    struct multiset s = {0, 0};
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = mixv(a[i]);
        s.sum += h;
        s.xr ^= h * 3 + 1;
    }
    return s;
}

static void fill(int32_t *a, uint32_t n, uint32_t shape)
{
    switch (shape) {
    case 0: /* uniform over all of int32 */
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int32_t)rnd();
        break;
    case 1: /* few distinct values */
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int32_t)(rnd() % 17) - 8;
        break;
    case 2: /* ascending with noise */
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int32_t)(i * 4) + (int32_t)(rnd() % 64) - 32;
        break;
    case 3: /* descending */
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int32_t)(n - i) * 3 + (int32_t)(rnd() & 3);
        break;
    default: /* organ pipe: up then down */
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int32_t)(i < n / 2 ? i : n - i) + (int32_t)(rnd() % 5);
        break;
    }
}

static uint64_t sort_one(uint32_t n, uint32_t shape)
{
    fill(arr, n, shape);
    struct multiset before = summarize(arr, n);
    quicksort(arr, (int32_t)n);
    struct multiset after = summarize(arr, n);
    if (before.sum != after.sum || before.xr != after.xr)
        fail("not a permutation of the input", n);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && arr[i - 1] > arr[i])
            fail("out of order", n);
        h = (h ^ (uint32_t)arr[i]) * 0x100000001b3ULL;
    }
    return h ^ after.sum ^ n;
}

int main(void)
{
    static const uint32_t sizes[] = {7, 100, 1000, 5000, 20000, 60000};
    uint64_t sum = 0;
    for (int r = 0; r < ROUNDS; r++)
        for (uint32_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
            for (uint32_t shape = 0; shape < 5; shape++) {
                /* Small arrays are sorted many times so every size counts. */
                uint32_t reps = sizes[s] < 1000 ? 2000 / sizes[s] * 10 : 1;
                for (uint32_t k = 0; k < reps; k++)
                    sum = sum * 0x2545f4914f6cdd1dULL + sort_one(sizes[s], shape);
            }
    printf("qsort checksum: 0x%016llx\n", (unsigned long long)sum);
    return 0;
}
