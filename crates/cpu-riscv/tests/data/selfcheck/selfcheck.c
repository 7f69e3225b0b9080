/* A self-checking integer workload for the interpreter (see build.sh).
 * The same source compiled for the host gives the expected checksum; the
 * RISC-V build compares against it and reports pass (0) or fail through
 * HTIF tohost. Uses RV64IMAC only: M, A, C, misaligned loads/stores. */
#include <stdint.h>
#include <stddef.h>

#ifndef EXPECTED
#define EXPECTED 0
#endif

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static uint64_t acc = 0;
static void mix(uint64_t v) {
    acc = (acc ^ v) * 0x100000001b3ull + (acc >> 29);
}

#define N 300
static int64_t arr[N];
static uint8_t bytes[64];

static void qsort64(int64_t *a, long lo, long hi) {
    while (lo < hi) {
        int64_t p = a[(lo + hi) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) {
                int64_t t = a[i]; a[i] = a[j]; a[j] = t;
                i++; j--;
            }
        }
        if (j - lo < hi - i) { qsort64(a, lo, j); lo = i; } else { qsort64(a, i, hi); hi = j; }
    }
}

static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t load_unaligned(const uint8_t *p, int size) {
#ifdef __riscv
    uint64_t v;
    switch (size) {
    case 2: __asm__ volatile("lhu %0, 0(%1)" : "=r"(v) : "r"(p) : "memory"); break;
    case 4: __asm__ volatile("lwu %0, 0(%1)" : "=r"(v) : "r"(p) : "memory"); break;
    default: __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(p) : "memory"); break;
    }
    return v;
#else
    uint64_t v = 0;
    for (int i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
#endif
}

static void store_unaligned(uint8_t *p, uint64_t v) {
#ifdef __riscv
    __asm__ volatile("sd %0, 0(%1)" : : "r"(v), "r"(p) : "memory");
#else
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
#endif
}

uint64_t checksum(void) {
    /* M: products, high products, division with all sign combinations */
    for (int i = 0; i < 200; i++) {
        uint64_t a = rnd(), b = rnd() | 1;
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        mix(a * b);
        mix((uint64_t)(((__int128)sa * sb) >> 64));
        mix((uint64_t)(((unsigned __int128)a * b) >> 64));
        mix((uint64_t)(((__int128)sa * (unsigned __int128)b) >> 64));
        mix((uint64_t)(sa / sb) ^ (uint64_t)(sa % sb));
        mix(a / (b >> (i % 60)) ^ a % (b >> (i % 60) | 1));
        int32_t wa = (int32_t)a, wb = (int32_t)(b >> 7) | 1;
        mix((uint64_t)(int64_t)(wa / wb) ^ (uint64_t)(int64_t)(wa % wb));
        mix((uint64_t)(int64_t)(int32_t)((uint32_t)wa * (uint32_t)wb));
        mix((uint64_t)((uint32_t)a / ((uint32_t)b | 1)));
        mix((uint64_t)(int64_t)(wa >> (i & 31)) ^ (uint64_t)((uint32_t)wa >> (i & 31)) ^ (a << (i & 63)));
    }
    /* sorting: branches, loads/stores, recursion */
    for (int i = 0; i < N; i++) arr[i] = (int64_t)rnd() >> (i % 40);
    qsort64(arr, 0, N - 1);
    for (int i = 0; i < N; i++) {
        if (i && arr[i - 1] > arr[i]) return 1;
        mix((uint64_t)arr[i]);
    }
    mix(fib(20));
    /* misaligned accesses */
    for (int i = 0; i < 64; i++) bytes[i] = (uint8_t)rnd();
    for (int off = 0; off < 16; off++) {
        mix(load_unaligned(bytes + off, 2));
        mix(load_unaligned(bytes + off, 4));
        mix(load_unaligned(bytes + off, 8));
        store_unaligned(bytes + 3 + off, rnd());
    }
    for (int i = 0; i < 64; i++) mix(bytes[i]);
    /* A: AMOs and LR/SC loops through the builtins */
    static uint64_t a64;
    static uint32_t a32;
    for (int i = 0; i < 50; i++) {
        uint64_t v = rnd();
        mix(__atomic_fetch_add(&a64, v, __ATOMIC_SEQ_CST));
        mix(__atomic_fetch_xor(&a64, v >> 3, __ATOMIC_ACQUIRE));
        mix(__atomic_fetch_and(&a64, v | 0xff00ff00ull, __ATOMIC_RELEASE));
        mix(__atomic_fetch_or(&a64, v & 0x10101, __ATOMIC_RELAXED));
        mix(__atomic_exchange_n(&a64, v ^ a64, __ATOMIC_SEQ_CST));
        mix((uint64_t)(int64_t)(int32_t)__atomic_fetch_add(&a32, (uint32_t)v, __ATOMIC_SEQ_CST));
        mix(__atomic_fetch_or(&a32, (uint32_t)(v >> 32), __ATOMIC_SEQ_CST));
        uint64_t expect = a64;
        mix(__atomic_compare_exchange_n(&a64, &expect, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
        uint32_t e32 = a32 + (i & 1);
        mix(__atomic_compare_exchange_n(&a32, &e32, (uint32_t)v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
        mix(a64 ^ a32 ^ e32);
    }
    return acc;
}

#ifdef __riscv
volatile uint64_t tohost __attribute__((section(".tohost"), aligned(64)));
volatile uint64_t fromhost __attribute__((section(".tohost")));

int main(void) {
    uint64_t sum = checksum();
    tohost = sum == EXPECTED ? 1 : ((sum & 0x7fff) << 1 | 1) + 2;
    for (;;) {}
}
#else
#include <stdio.h>
int main(void) {
    printf("0x%016llxull\n", (unsigned long long)checksum());
    return 0;
}
#endif
