/* Integer mix benchmark for `virt`, CoreMark-like in spirit (short basic
 * blocks, data-dependent branches, small loops), our own code and data:
 *  - singly linked lists: sorted insertion, find, conditional removal,
 *    reversal, and an iterative bottom-up merge sort on a second key;
 *  - small matrices of 16-bit values: product into 32 bits, add and scale by
 *    constants, bit-field extraction, matrix-vector products;
 *  - a state machine scanning generated text byte by byte and classifying
 *    integers, hex numbers, decimals, words and punctuation;
 *  - CRC-16/CCITT-FALSE and CRC-32C computed bit by bit;
 *  - a small stack-machine interpreter dispatching through a switch.
 * Self-checking: lists are verified sorted/reversed with counts, matrices
 * against identities (sum of a product from row/column sums, (AB)v = A(Bv)),
 * the scanner must recount the tokens the generator emitted, the CRCs must
 * give their standard check values on "123456789", and the interpreted
 * programs must agree with the same computation in C.
 * Prints a checksum and exits through the finisher. Portable C: the checksum
 * was cross-checked with a host build. ~201M guest instructions (160 rounds
 * of 1.26M), 3.9 instructions per executed block on average.
 * EXPECT_STDOUT: intmix checksum: 0x24ed4e864ecae63d */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

#ifndef ROUNDS
#define ROUNDS 160
#endif

/* xorshift-style generator on 32 bits (Marsaglia's 13/17/5 triple). */
static uint32_t rs = 0x6b43a9b5u;
static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 17;
    rs ^= rs << 5;
    return rs;
}

static void fail(const char *what)
{
    printf("intmix FAILED: %s\n", what);
    exit(1);
}

static uint64_t fold(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL + (h >> 47);
}

/* ---------------- linked lists ---------------- */
#define LNODES 256
struct lnode {
    struct lnode *next;
    int16_t key;
    uint16_t tag;
};
static struct lnode lpool[LNODES];

NOINLINE static struct lnode *list_insert_sorted(struct lnode *head, struct lnode *n)
{
    if (!head || n->key <= head->key) {
        n->next = head;
        return n;
    }
    struct lnode *p = head;
    while (p->next && p->next->key < n->key)
        p = p->next;
    n->next = p->next;
    p->next = n;
    return head;
}

NOINLINE static struct lnode *list_find(struct lnode *head, int16_t key)
{
    for (; head; head = head->next)
        if (head->key == key)
            return head;
    return 0;
}

/* Removes nodes whose tag has the low two bits equal to `low`; counts them. */
NOINLINE static struct lnode *list_remove_if(struct lnode *head, unsigned low, uint32_t *removed)
{
    struct lnode **pp = &head;
    while (*pp) {
        if (((*pp)->tag & 3) == low) {
            *pp = (*pp)->next;
            (*removed)++;
        } else {
            pp = &(*pp)->next;
        }
    }
    return head;
}

NOINLINE static struct lnode *list_reverse(struct lnode *h)
{
    struct lnode *r = 0;
    while (h) {
        struct lnode *n = h->next;
        h->next = r;
        r = h;
        h = n;
    }
    return r;
}

/* Bottom-up merge sort by tag (then key): runs of width 1, 2, 4, ... merged. */
NOINLINE static struct lnode *list_sort_by_tag(struct lnode *head)
{
    for (uint32_t width = 1;; width *= 2) {
        struct lnode *rest = head, *out = 0, **tail = &out;
        uint32_t merges = 0;
        while (rest) {
            struct lnode *a = rest, *b;
            uint32_t na = 0, nb = 0;
            b = a;
            while (b && na < width) {
                b = b->next;
                na++;
            }
            rest = b;
            while (rest && nb < width) {
                rest = rest->next;
                nb++;
            }
            while (na || nb) {
                struct lnode *take;
                if (nb == 0 || (na && (a->tag < b->tag || (a->tag == b->tag && a->key <= b->key)))) {
                    take = a;
                    a = a->next;
                    na--;
                } else {
                    take = b;
                    b = b->next;
                    nb--;
                }
                *tail = take;
                tail = &take->next;
            }
            merges++;
        }
        *tail = 0;
        head = out;
        if (merges <= 1)
            return head;
    }
}

static uint64_t list_work(void)
{
    uint32_t n = 160 + rnd() % 96;
    struct lnode *head = 0;
    for (uint32_t i = 0; i < n; i++) {
        lpool[i].key = (int16_t)(rnd() % 2001) - 1000;
        lpool[i].tag = (uint16_t)rnd();
        head = list_insert_sorted(head, &lpool[i]);
    }
    uint64_t h = n;
    /* find: keys of existing nodes (hit) and random keys (mostly misses) */
    uint32_t hits = 0;
    for (uint32_t i = 0; i < 24; i++) {
        struct lnode *want = &lpool[rnd() % n];
        struct lnode *got = list_find(head, want->key);
        if (!got || got->key != want->key)
            fail("list find");
        int16_t k = (int16_t)(rnd() % 4001) - 2000;
        got = list_find(head, k);
        if (got) {
            hits++;
            h = fold(h, got->tag);
        }
    }
    h = fold(h, hits);
    /* in order, then reversed */
    uint32_t count = 0;
    for (struct lnode *p = head; p; p = p->next, count++)
        if (p->next && p->key > p->next->key)
            fail("list insertion order");
    if (count != n)
        fail("list length");
    head = list_reverse(head);
    for (struct lnode *p = head; p && p->next; p = p->next)
        if (p->key < p->next->key)
            fail("list reversal");
    uint32_t removed = 0;
    head = list_remove_if(head, rnd() & 3, &removed);
    head = list_sort_by_tag(head);
    count = 0;
    for (struct lnode *p = head; p; p = p->next, count++) {
        if (p->next && (p->tag > p->next->tag || (p->tag == p->next->tag && p->key > p->next->key)))
            fail("list merge sort order");
        h = fold(h, (uint64_t)p->tag << 16 | (uint16_t)p->key);
    }
    if (count + removed != n)
        fail("list count after removal");
    return h;
}

/* ---------------- small matrices ---------------- */
#define M 12
static int16_t ma[M][M], mb[M][M];
static int32_t mc[M][M];

NOINLINE static void mat_mul(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            int32_t acc = 0;
            for (int k = 0; k < M; k++)
                acc += (int32_t)ma[i][k] * mb[k][j];
            mc[i][j] = acc;
        }
}

NOINLINE static void mat_vec16(const int16_t m[M][M], const uint32_t *v, uint32_t *out)
{
    for (int i = 0; i < M; i++) {
        uint32_t acc = 0;
        for (int k = 0; k < M; k++)
            acc += (uint32_t)(int32_t)m[i][k] * v[k];
        out[i] = acc;
    }
}

static uint64_t matrix_work(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            ma[i][j] = (int16_t)(rnd() % 4001) - 2000;
            mb[i][j] = (int16_t)(rnd() % 4001) - 2000;
        }
    mat_mul();
    /* sum(AB) = sum_k (column k of A summed) * (row k of B summed) */
    int64_t total = 0, expect = 0;
    for (int k = 0; k < M; k++) {
        int64_t ca = 0, rb = 0;
        for (int i = 0; i < M; i++) {
            ca += ma[i][k];
            rb += mb[k][i];
        }
        expect += ca * rb;
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            total += mc[i][j];
    if (total != expect)
        fail("matrix product sum");
    /* (AB)v = A(Bv), modulo 2^32 */
    uint32_t v[M], bv[M], abv[M];
    for (int k = 0; k < M; k++)
        v[k] = rnd() & 0xffff;
    mat_vec16(mb, v, bv);
    mat_vec16(ma, bv, abv);
    for (int i = 0; i < M; i++) {
        uint32_t acc = 0;
        for (int k = 0; k < M; k++)
            acc += (uint32_t)mc[i][k] * v[k];
        if (acc != abv[i])
            fail("matrix associativity");
    }
    /* add a constant, scale, and pull bit fields out */
    int32_t c = (int32_t)(rnd() % 64) - 32;
    uint64_t h = (uint64_t)total;
    uint32_t fields = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            int32_t x = (mc[i][j] + c) * 3;
            fields += ((uint32_t)x >> 3 & 0x3f) * ((uint32_t)x >> 11 & 0x7);
            if (x < 0)
                fields ^= (uint32_t)i << 8 | (uint32_t)j;
        }
    return fold(h, fields);
}

/* ---------------- text generator and scanner ---------------- */
#define TEXT 6144
#define CRC_SPAN 1024
static char text[TEXT + 64];
enum kind { K_INT, K_HEX, K_DEC, K_WORD, K_PUNCT, K_COUNT };
struct tally {
    uint32_t n[K_COUNT];
    uint32_t intsum;
};

/* Writes decimal digits of v (no leading zeros). */
static int put_dec(char *p, uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static uint32_t gen_text(struct tally *t)
{
    static const char punct[] = ",;:!?()";
    static const char hexd[] = "0123456789abcdef";
    memset(t, 0, sizeof(*t));
    uint32_t len = 0;
    while (len < TEXT) {
        uint32_t r = rnd();
        switch (r % 8) {
        case 0:
        case 1: { /* integer */
            uint32_t v = (r >> 8) % (r & 0x100 ? 1000000u : 100u);
            len += (uint32_t)put_dec(text + len, v);
            t->n[K_INT]++;
            t->intsum += v;
            break;
        }
        case 2: { /* hex */
            text[len++] = '0';
            text[len++] = 'x';
            uint32_t digits = 1 + (r >> 8) % 6;
            for (uint32_t i = 0; i < digits; i++)
                text[len++] = hexd[(r >> (12 + 2 * i)) & 15];
            t->n[K_HEX]++;
            break;
        }
        case 3: /* decimal */
            len += (uint32_t)put_dec(text + len, (r >> 8) % 1000);
            text[len++] = '.';
            len += (uint32_t)put_dec(text + len, (r >> 20) % 100);
            t->n[K_DEC]++;
            break;
        case 4:
        case 5:
        case 6: { /* word, maybe with punctuation glued on */
            uint32_t letters = 1 + (r >> 8) % 7;
            for (uint32_t i = 0; i < letters; i++)
                text[len++] = (char)('a' + (r >> (11 + 3 * i)) % 26);
            t->n[K_WORD]++;
            if (r & 0x80000000u) {
                text[len++] = punct[(r >> 3) % 7];
                t->n[K_PUNCT]++;
            }
            break;
        }
        default:
            text[len++] = punct[(r >> 8) % 7];
            t->n[K_PUNCT]++;
            break;
        }
        text[len++] = (r >> 4) % 9 == 0 ? '\n' : ' ';
    }
    return len;
}

enum cls { C_DIGIT, C_ALPHA, C_X, C_DOT, C_PUNCT, C_SPACE, C_OTHER };
static enum cls classify(char c)
{
    if (c >= '0' && c <= '9')
        return C_DIGIT;
    if (c == 'x')
        return C_X;
    if (c >= 'a' && c <= 'z')
        return C_ALPHA;
    switch (c) {
    case '.':
        return C_DOT;
    case ' ':
    case '\n':
    case '\t':
        return C_SPACE;
    case ',':
    case ';':
    case ':':
    case '!':
    case '?':
    case '(':
    case ')':
        return C_PUNCT;
    default:
        return C_OTHER;
    }
}

enum st { S_START, S_ZERO, S_INT, S_HEX0, S_HEX, S_DOT, S_FRAC, S_WORD, S_BAD };

NOINLINE static uint64_t scan(const char *p, uint32_t len, struct tally *t)
{
    memset(t, 0, sizeof(*t));
    enum st s = S_START;
    uint32_t val = 0;
    uint64_t h = 0;
    for (uint32_t i = 0; i <= len; i++) {
        enum cls c = i < len ? classify(p[i]) : C_SPACE;
        int done = -1; /* kind of a token that ends before this byte */
        switch (s) {
        case S_START:
            break;
        case S_ZERO:
            if (c == C_X) {
                s = S_HEX0;
                continue;
            }
            /* fall through */
        case S_INT:
            if (c == C_DIGIT) {
                val = val * 10 + (uint32_t)(p[i] - '0');
                s = S_INT;
                continue;
            }
            if (c == C_DOT) {
                s = S_DOT;
                continue;
            }
            done = K_INT;
            t->intsum += val;
            break;
        case S_HEX0:
        case S_HEX:
            if (c == C_DIGIT || (c == C_ALPHA && p[i] <= 'f')) {
                val = val << 4 | (uint32_t)(c == C_DIGIT ? p[i] - '0' : p[i] - 'a' + 10);
                s = S_HEX;
                continue;
            }
            done = s == S_HEX ? K_HEX : -2;
            break;
        case S_DOT:
        case S_FRAC:
            if (c == C_DIGIT) {
                s = S_FRAC;
                continue;
            }
            done = s == S_FRAC ? K_DEC : -2;
            break;
        case S_WORD:
            if (c == C_ALPHA || c == C_X)
                continue;
            done = K_WORD;
            break;
        case S_BAD:
            if (c == C_SPACE)
                s = S_START;
            continue;
        }
        if (done == -2) {
            s = S_BAD;
            continue;
        }
        if (done >= 0) {
            t->n[done]++;
            h = fold(h, (uint64_t)done << 32 | val);
        }
        /* start of a new token (or nothing) at byte i */
        switch (c) {
        case C_DIGIT:
            val = (uint32_t)(p[i] - '0');
            s = val == 0 ? S_ZERO : S_INT;
            break;
        case C_ALPHA:
        case C_X:
            val = 0;
            s = S_WORD;
            break;
        case C_PUNCT:
            t->n[K_PUNCT]++;
            h = fold(h, (uint8_t)p[i]);
            s = S_START;
            break;
        case C_SPACE:
            s = S_START;
            break;
        default:
            s = S_BAD;
            break;
        }
    }
    return h;
}

/* ---------------- CRCs, bit by bit ---------------- */
NOINLINE static uint16_t crc16_ccitt(const uint8_t *p, uint32_t n)
{
    uint16_t crc = 0xffff;
    while (n--) {
        crc ^= (uint16_t)(*p++ << 8);
        for (int k = 0; k < 8; k++) {
            if (crc & 0x8000)
                crc = (uint16_t)(crc << 1) ^ 0x1021;
            else
                crc = (uint16_t)(crc << 1);
        }
    }
    return crc;
}

NOINLINE static uint32_t crc32c(const uint8_t *p, uint32_t n)
{
    uint32_t crc = ~0u;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
    }
    return ~crc;
}

/* ---------------- a small stack machine ---------------- */
enum op { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_MOD, OP_DUP, OP_SWAP, OP_DROP, OP_JZ, OP_JMP, OP_LT,
          OP_HALT };
struct insn {
    uint8_t op;
    int32_t arg;
};

NOINLINE static int64_t vm_run(const struct insn *code, int64_t *vars)
{
    int64_t stack[16];
    int sp = 0, pc = 0;
    for (;;) {
        const struct insn *i = &code[pc++];
        switch (i->op) {
        case OP_PUSH: stack[sp++] = i->arg; break;
        case OP_LOAD: stack[sp++] = vars[i->arg]; break;
        case OP_STORE: vars[i->arg] = stack[--sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_DROP: sp--; break;
        case OP_JZ: if (stack[--sp] == 0) pc = i->arg; break;
        case OP_JMP: pc = i->arg; break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_HALT: return sp ? stack[sp - 1] : 0;
        default: fail("vm: bad opcode");
        }
        if (sp < 0 || sp > 14)
            fail("vm: stack");
    }
}

/* gcd(v0, v1) by Euclid: while (v1) { t = v0 % v1; v0 = v1; v1 = t; } */
static const struct insn prog_gcd[] = {
    {OP_LOAD, 1}, {OP_JZ, 11},                                 /* 0 */
    {OP_LOAD, 0}, {OP_LOAD, 1}, {OP_MOD, 0},                   /* 2 */
    {OP_LOAD, 1}, {OP_STORE, 0}, {OP_STORE, 1}, {OP_JMP, 0},   /* 5 */
    {OP_HALT, 0}, {OP_HALT, 0},                                /* 9 */
    {OP_LOAD, 0}, {OP_HALT, 0},                                /* 11 */
};
/* sum of i*i + i for i in [0, v0): v1 = i, v2 = sum */
static const struct insn prog_sumsq[] = {
    {OP_PUSH, 0}, {OP_STORE, 1}, {OP_PUSH, 0}, {OP_STORE, 2},  /* 0 */
    {OP_LOAD, 1}, {OP_LOAD, 0}, {OP_LT, 0}, {OP_JZ, 22},       /* 4 */
    {OP_LOAD, 1}, {OP_DUP, 0}, {OP_MUL, 0}, {OP_LOAD, 1},      /* 8 */
    {OP_ADD, 0}, {OP_LOAD, 2}, {OP_ADD, 0}, {OP_STORE, 2},     /* 12 */
    {OP_LOAD, 1}, {OP_PUSH, 1}, {OP_ADD, 0}, {OP_STORE, 1},    /* 16 */
    {OP_JMP, 4}, {OP_HALT, 0},                                 /* 20 */
    {OP_LOAD, 2}, {OP_HALT, 0},                                /* 22 */
};

static uint64_t gcd_c(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t vm_work(void)
{
    uint64_t h = 0;
    for (int k = 0; k < 48; k++) {
        int64_t vars[4] = {1 + rnd() % 100000, 1 + rnd() % 100000, 0, 0};
        uint64_t want = gcd_c((uint64_t)vars[0], (uint64_t)vars[1]);
        int64_t got = vm_run(prog_gcd, vars);
        if ((uint64_t)got != want)
            fail("vm gcd");
        h = fold(h, (uint64_t)got);
    }
    int64_t n = 100 + rnd() % 100;
    int64_t vars[4] = {n, 0, 0, 0};
    int64_t got = vm_run(prog_sumsq, vars);
    if (got != (n - 1) * n * (2 * n - 1) / 6 + n * (n - 1) / 2)
        fail("vm sum of squares");
    return fold(h, (uint64_t)got);
}

int main(void)
{
    if (crc16_ccitt((const uint8_t *)"123456789", 9) != 0x29b1)
        fail("CRC-16/CCITT-FALSE check value");
    if (crc32c((const uint8_t *)"123456789", 9) != 0xe3069283u)
        fail("CRC-32C check value");
    uint64_t sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < 4; k++)
            sum = fold(sum, list_work());
        for (int k = 0; k < 8; k++)
            sum = fold(sum, matrix_work());
        struct tally gen, got;
        uint32_t len = gen_text(&gen);
        sum = fold(sum, scan(text, len, &got));
        if (memcmp(&gen, &got, sizeof(gen)) != 0)
            fail("scanner token counts");
        sum = fold(sum, crc16_ccitt((const uint8_t *)text, CRC_SPAN));
        sum = fold(sum, crc32c((const uint8_t *)text + CRC_SPAN, CRC_SPAN));
        sum = fold(sum, vm_work());
    }
    printf("intmix checksum: 0x%016llx\n", (unsigned long long)sum);
    return 0;
}
