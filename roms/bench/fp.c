/* Floating-point benchmark for `virt`, double and single precision: an n-body
 * simulation (the Benchmarks Game's five planets, with sqrt and division), a
 * single-precision matrix multiply with fused multiply-adds, LU decomposition
 * with partial pivoting solving a linear system, and integer/float conversions.
 * Self-checking: the n-body energy is conserved to 1e-3, the LU solve recovers
 * the known solution, the float product matches an exact integer product.
 * The checksum hashes the exact result bits, so any rounding difference shows.
 * ~52M guest instructions (FP-heavy ones are expensive for QEMU, which calls
 * softfloat helpers).
 * EXPECT_STDOUT: fp checksum: 0x3ccfb478e5225923 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STEPS
#define STEPS 50000
#endif
#ifndef ROUNDS
#define ROUNDS 16
#endif

static uint64_t hash = 0xcbf29ce484222325ULL;
static void mix_bits(uint64_t v)
{
    hash = (hash ^ v) * 0x100000001b3ULL;
}
static void mix_d(double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    mix_bits(v);
}
static void mix_f(float f)
{
    uint32_t v;
    memcpy(&v, &f, sizeof v);
    mix_bits(v);
}

static void fail(const char *what)
{
    printf("fp FAILED: %s\n", what);
    exit(1);
}

/* ---- n-body ---- */
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
struct body {
    double x, y, z, vx, vy, vz, mass;
};
static struct body bodies[5] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * DAYS_PER_YEAR,
     7.69901118419740425e-03 * DAYS_PER_YEAR, -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * DAYS_PER_YEAR,
     4.99852801234917238e-03 * DAYS_PER_YEAR, 2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * DAYS_PER_YEAR,
     2.37847173959480950e-03 * DAYS_PER_YEAR, -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * DAYS_PER_YEAR,
     1.62824170038242295e-03 * DAYS_PER_YEAR, -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static double energy(void)
{
    double e = 0;
    for (int i = 0; i < 5; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < 5; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            e -= b->mass * c->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt)
{
    for (int i = 0; i < 5; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < 5; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            b->vx -= dx * c->mass * mag;
            b->vy -= dy * c->mass * mag;
            b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag;
            c->vy += dy * b->mass * mag;
            c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < 5; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static void nbody_work(void)
{
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
    double e0 = energy();
    for (int s = 0; s < STEPS; s++)
        advance(0.01);
    double e1 = energy();
    if (__builtin_fabs(e1 - e0) > 1e-3 * __builtin_fabs(e0))
        fail("n-body energy not conserved");
    mix_d(e0);
    mix_d(e1);
    for (int i = 0; i < 5; i++) {
        mix_d(bodies[i].x);
        mix_d(bodies[i].vy);
    }
}

/* ---- single-precision matrix multiply with fmaf ---- */
#define MN 32
static float fa[MN][MN], fb[MN][MN], fc[MN][MN];

static void matmul_work(int round)
{
    /* Small integers: every product and sum is exact in float, so the result is
     * checked against an integer computation. */
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            fa[i][j] = (float)((i * 7 + j * 3 + round) % 17 - 8);
            fb[i][j] = (float)((i * 5 + j * 11 + round) % 13 - 6);
        }
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            float acc = 0.0f;
            for (int k = 0; k < MN; k++)
                acc = __builtin_fmaf(fa[i][k], fb[k][j], acc);
            fc[i][j] = acc;
        }
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t acc = 0;
            for (int k = 0; k < MN; k++)
                acc += (int32_t)fa[i][k] * (int32_t)fb[k][j];
            if ((int32_t)fc[i][j] != acc)
                fail("float matrix product is wrong");
            mix_f(fc[i][j]);
        }
}

/* ---- LU decomposition with partial pivoting, double ---- */
#define LN 40
static double lu[LN][LN], rhs[LN], sol[LN];
static int piv[LN];

static void lu_work(int round)
{
    /* A = a fixed pseudo-random matrix, x = (1, 2, ..., LN), b = A x. */
    uint32_t r = 12345u + (uint32_t)round;
    for (int i = 0; i < LN; i++)
        for (int j = 0; j < LN; j++) {
            r = r * 1103515245u + 12345u;
            lu[i][j] = (double)((int32_t)(r >> 8) % 1000) / 97.0 + (i == j ? 10.0 : 0.0);
        }
    for (int i = 0; i < LN; i++) {
        double s = 0;
        for (int j = 0; j < LN; j++)
            s = __builtin_fma(lu[i][j], (double)(j + 1), s);
        rhs[i] = s;
    }
    for (int k = 0; k < LN; k++) {
        int p = k;
        for (int i = k + 1; i < LN; i++)
            if (__builtin_fabs(lu[i][k]) > __builtin_fabs(lu[p][k]))
                p = i;
        piv[k] = p;
        if (p != k) {
            for (int j = 0; j < LN; j++) {
                double t = lu[k][j];
                lu[k][j] = lu[p][j];
                lu[p][j] = t;
            }
            double t = rhs[k];
            rhs[k] = rhs[p];
            rhs[p] = t;
        }
        for (int i = k + 1; i < LN; i++) {
            double f = lu[i][k] / lu[k][k];
            lu[i][k] = f;
            for (int j = k + 1; j < LN; j++)
                lu[i][j] -= f * lu[k][j];
            rhs[i] -= f * rhs[k];
        }
    }
    for (int i = LN - 1; i >= 0; i--) {
        double s = rhs[i];
        for (int j = i + 1; j < LN; j++)
            s -= lu[i][j] * sol[j];
        sol[i] = s / lu[i][i];
    }
    for (int i = 0; i < LN; i++) {
        if (__builtin_fabs(sol[i] - (double)(i + 1)) > 1e-6)
            fail("LU solve did not recover the solution");
        mix_d(sol[i]);
        mix_bits((uint64_t)piv[i]);
    }
}

/* ---- conversions, float <-> double <-> integer, sqrtf ---- */
static void convert_work(int round)
{
    float f = 0.0f;
    double d = 0.0;
    int64_t acc = 0;
    for (int i = 1; i <= 20000; i++) {
        int32_t v = (i * 2654435761u + (uint32_t)round) >> 7;
        float x = (float)v * 0.001f;
        double y = (double)x;
        f += __builtin_sqrtf(__builtin_fabsf(x)) * 0.5f;
        d += y / (double)i;
        acc += (int64_t)(y * 0.25) + (int32_t)(x * 0.5f) + (int64_t)(uint32_t)(f * 2.0f);
    }
    mix_f(f);
    mix_d(d);
    mix_bits((uint64_t)acc);
}

int main(void)
{
    nbody_work();
    for (int r = 0; r < ROUNDS; r++) {
        matmul_work(r);
        lu_work(r);
        convert_work(r);
    }
    printf("fp checksum: 0x%016llx\n", (unsigned long long)hash);
    return 0;
}
