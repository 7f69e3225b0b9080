/* CPU-bound mixed benchmark for `virt`: linked-list shuffling, integer matrix
 * multiply, CRC-32 over a buffer, a byte-driven state machine (tokenizer), and
 * a little double-precision work. Prints a checksum and exits through the
 * finisher. Portable C: the checksum was cross-checked with a host build.
 * ~200M guest instructions (60 rounds of ~3.4M, measured with QEMU -icount).
 * EXPECT_STDOUT: mix checksum: 0x1be8f06ab31947ef */
#include <stdint.h>
#include <stdio.h>

#ifndef ROUNDS
#define ROUNDS 60
#endif

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* ---- linked lists ---- */
#define NODES 4096
struct node {
    struct node *next;
    uint32_t key;
};
static struct node pool[NODES];

static struct node *list_build(void)
{
    struct node *head = 0;
    for (int i = 0; i < NODES; i++) {
        pool[i].key = rng() % 100000;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

/* merge sort on the list */
static struct node *list_sort(struct node *h)
{
    if (!h || !h->next)
        return h;
    struct node *slow = h, *fast = h->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    struct node *b = slow->next;
    slow->next = 0;
    struct node *a = list_sort(h);
    b = list_sort(b);
    struct node dummy, *t = &dummy;
    while (a && b) {
        if (a->key <= b->key) {
            t->next = a;
            a = a->next;
        } else {
            t->next = b;
            b = b->next;
        }
        t = t->next;
    }
    t->next = a ? a : b;
    return dummy.next;
}

static struct node *list_reverse(struct node *h)
{
    struct node *p = 0;
    while (h) {
        struct node *n = h->next;
        h->next = p;
        p = h;
        h = n;
    }
    return p;
}

static uint64_t list_work(void)
{
    struct node *h = list_build();
    h = list_sort(h);
    uint64_t s = 0, i = 0;
    uint32_t prev = 0;
    for (struct node *p = h; p; p = p->next, i++) {
        if (p->key < prev)
            s += 1000000007ULL; /* not sorted: poison the checksum */
        prev = p->key;
        s = s * 31 + p->key;
    }
    h = list_reverse(h);
    s ^= h->key;
    return s + i;
}

/* ---- matrix multiply ---- */
#define N 48
static int32_t ma[N][N], mb[N][N], mc[N][N];

static uint64_t matmul_work(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            ma[i][j] = (int32_t)(rng() % 201) - 100;
            mb[i][j] = (int32_t)(rng() % 201) - 100;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < N; k++)
                acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc;
        }
    uint64_t s = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            s = s * 1099511628211ULL + (uint32_t)mc[i][j];
    return s;
}

/* ---- CRC-32 (bitwise, reflected) ---- */
#define BUF 16384
static uint8_t buf[BUF];

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static uint64_t crc_work(void)
{
    for (int i = 0; i < BUF; i++)
        buf[i] = (uint8_t)rng();
    return crc32(buf, BUF);
}

/* ---- state machine: tokenize pseudo-text into words/numbers/punctuation ---- */
enum state { S_SPACE, S_WORD, S_NUM, S_PUNCT };

static uint64_t fsm_work(void)
{
    static const char alphabet[] = "abc de0 12,3 f;g h9.  xyz\n(42)";
    uint64_t words = 0, nums = 0, puncts = 0, numval = 0, h = 0;
    enum state st = S_SPACE;
    for (int i = 0; i < BUF; i++) {
        char c = alphabet[rng() % (sizeof(alphabet) - 1)];
        enum state nx;
        if (c == ' ' || c == '\n')
            nx = S_SPACE;
        else if (c >= '0' && c <= '9')
            nx = st == S_WORD ? S_WORD : S_NUM;
        else if (c >= 'a' && c <= 'z')
            nx = S_WORD;
        else
            nx = S_PUNCT;
        if (nx != st) {
            switch (nx) {
            case S_WORD: words++; break;
            case S_NUM: nums++; numval = 0; break;
            case S_PUNCT: puncts++; break;
            default: break;
            }
        }
        if (nx == S_NUM)
            numval = numval * 10 + (uint64_t)(c - '0');
        h = (h ^ (uint64_t)c) * 0x100000001b3ULL + numval;
        st = nx;
    }
    return h ^ (words << 40) ^ (nums << 20) ^ puncts;
}

/* ---- floating point: a few Newton iterations and a dot product ---- */
static uint64_t fp_work(void)
{
    double acc = 0.0;
    for (int i = 1; i <= 2000; i++) {
        double x = (double)i, r = x;
        for (int k = 0; k < 8; k++)
            r = 0.5 * (r + x / r);
        acc += r * 1e-3;
    }
    return (uint64_t)(acc * 1000.0);
}

int main(void)
{
    uint64_t sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
        sum = sum * 3 + list_work();
        sum = sum * 3 + matmul_work();
        sum = sum * 3 + crc_work();
        sum = sum * 3 + fsm_work();
        sum = sum * 3 + fp_work();
    }
    printf("mix checksum: 0x%016llx\n", (unsigned long long)sum);
    return 0;
}
