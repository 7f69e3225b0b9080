/* Floating-point benchmark for `virt`, double and single precision: an n-body
 * gravity simulation of our own (a star and six satellites generated from a
 * fixed seed, softened pair forces with a sqrt and a division per pair,
 * velocity-Verlet steps), a single-precision matrix multiply with fused
 * multiply-adds, LU decomposition with partial pivoting solving a linear
 * system, and integer/float conversions.
 * Self-checking: the n-body energy stays within 2e-6 (relative) of its start
 * at every step, the LU solve recovers the known solution, the float product
 * matches an exact integer product.
 * The checksum hashes the exact result bits, so any rounding difference shows.
 * ~51M guest instructions (FP-heavy ones are expensive for QEMU, which calls
 * softfloat helpers).
 * EXPECT_STDOUT: fp checksum: 0x863151a2ab07c233 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STEPS
#define STEPS 16800
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

/* ---- n-body: a softened gravity simulation ----
 * NB point masses (G = 1): a heavy star and six light satellites on
 * near-circular orbits, generated in code from a fixed seed. Every step is a
 * velocity-Verlet kick-drift-kick: half a kick with the old accelerations, a
 * full drift, new accelerations from all pairs (each pair evaluated once,
 * Newton's third law giving both sides), the second half kick. The pair force
 * uses a Plummer-softened potential -m_a m_b / sqrt(r^2 + SOFT2), so every pair
 * costs a sqrt and a division. The total energy is measured after every step. */
#define NB 7
#define SOFT2 1e-3 /* softening length squared */
#define STAR_MASS 1.0
#define DT 0.01 /* the innermost orbit (r ~ 1.5, period ~ 12) takes ~1200 steps */
/* Largest |E(t) - E(0)| / |E(0)| allowed over the run. Verlet is symplectic:
 * its energy error oscillates with the orbits, scales as DT^2 and does not grow
 * with the step count. Measured worst: 1.6e-7 over STEPS (2.6e-7 over 12x as
 * many steps; 4x less at DT / 2, 4.4x more at 2 DT), so 2e-6 leaves a 12x
 * margin. A broken integrator or force goes well over it (host runs): a full
 * kick then the drift (symplectic Euler, first order) 3.7e-5, drift before
 * kick 0.12, the third law applied with the wrong mass 1.9, the force without
 * the softening 1.7e-5, a force 0.1% too strong 6e-5. */
#ifndef ENERGY_TOLERANCE
#define ENERGY_TOLERANCE 2e-6
#endif
static double pos[NB][3], vel[NB][3], accel[NB][3], mass[NB];

static uint64_t orbit_seed = 0x243f6a8885a308d3ULL;
static double uniform01(void) /* [0, 1), 53 random bits from a 64-bit LCG */
{
    orbit_seed = orbit_seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(orbit_seed >> 11) * 0x1p-53;
}

/* A point on the unit circle without trigonometry: t in [-1, 1] maps to
 * ((1 - t^2) / (1 + t^2), 2 t / (1 + t^2)). */
static void circle_point(double t, double *c, double *s)
{
    double q = 1.0 / (1.0 + t * t);
    *c = (1.0 - t * t) * q;
    *s = 2.0 * t * q;
}

static void place_bodies(void)
{
    mass[0] = STAR_MASS;
    for (int k = 0; k < 3; k++)
        pos[0][k] = vel[0][k] = 0.0;
    double radius = 1.5 / 1.4;
    for (int n = 1; n < NB; n++) {
        /* Radii growing by 1.4x from 1.5 (jitter 5%), masses 1e-4 .. 1e-3
         * of the star, orbital planes tilted by at most ~6 degrees, speeds
         * within 2% of circular. */
        radius *= 1.4;
        double r = radius * (1.0 + 0.05 * uniform01());
        mass[n] = 1e-4 + 9e-4 * uniform01();
        double cp, sp, ct, st;
        circle_point(2.0 * uniform01() - 1.0, &cp, &sp); /* phase, in half the circle */
        if (uniform01() < 0.5) {
            cp = -cp;
            sp = -sp;
        }
        circle_point(0.1 * uniform01() - 0.05, &ct, &st); /* tilt about the x axis */
        double speed = __builtin_sqrt(STAR_MASS / r) * (0.98 + 0.04 * uniform01());
        pos[n][0] = r * cp;
        pos[n][1] = r * sp * ct;
        pos[n][2] = r * sp * st;
        vel[n][0] = -speed * sp;
        vel[n][1] = speed * cp * ct;
        vel[n][2] = speed * cp * st;
    }
    /* Move to the centre-of-mass frame: subtract the mean position and the
     * mean velocity (mass-weighted) from every body, so the total momentum is
     * zero and the system does not wander off. */
    double total = 0.0, com[3] = {0, 0, 0}, cov[3] = {0, 0, 0};
    for (int n = 0; n < NB; n++) {
        total += mass[n];
        for (int k = 0; k < 3; k++) {
            com[k] += mass[n] * pos[n][k];
            cov[k] += mass[n] * vel[n][k];
        }
    }
    for (int n = 0; n < NB; n++)
        for (int k = 0; k < 3; k++) {
            pos[n][k] -= com[k] / total;
            vel[n][k] -= cov[k] / total;
        }
}

/* Fills accel[] from pos[] and returns the potential energy. */
static double pair_forces(void)
{
    double potential = 0.0;
    for (int n = 0; n < NB; n++)
        accel[n][0] = accel[n][1] = accel[n][2] = 0.0;
    for (int b = 1; b < NB; b++)
        for (int a = 0; a < b; a++) {
            double sx = pos[b][0] - pos[a][0];
            double sy = pos[b][1] - pos[a][1];
            double sz = pos[b][2] - pos[a][2];
            double inv = 1.0 / __builtin_sqrt(SOFT2 + sx * sx + sy * sy + sz * sz);
            double pull = inv * inv * inv; /* 1 / (r^2 + SOFT2)^(3/2) */
            double on_a = mass[b] * pull, on_b = mass[a] * pull;
            accel[a][0] += on_a * sx;
            accel[a][1] += on_a * sy;
            accel[a][2] += on_a * sz;
            accel[b][0] -= on_b * sx;
            accel[b][1] -= on_b * sy;
            accel[b][2] -= on_b * sz;
            potential -= mass[a] * mass[b] * inv;
        }
    return potential;
}

static double kinetic(void)
{
    double twice = 0.0;
    for (int n = 0; n < NB; n++)
        twice += mass[n] * (vel[n][0] * vel[n][0] + vel[n][1] * vel[n][1] + vel[n][2] * vel[n][2]);
    return 0.5 * twice;
}

static void gravity_work(void)
{
    place_bodies();
    const double half = 0.5 * DT;
    double e_start = kinetic() + pair_forces(), e_now = e_start, worst = 0.0;
    for (int s = 0; s < STEPS; s++) {
        for (int n = 0; n < NB; n++)
            for (int k = 0; k < 3; k++) {
                vel[n][k] += half * accel[n][k];
                pos[n][k] += DT * vel[n][k];
            }
        double potential = pair_forces();
        for (int n = 0; n < NB; n++)
            for (int k = 0; k < 3; k++)
                vel[n][k] += half * accel[n][k];
        e_now = kinetic() + potential;
        double drift = __builtin_fabs(e_now - e_start);
        if (drift > worst)
            worst = drift;
    }
    if (worst > ENERGY_TOLERANCE * __builtin_fabs(e_start))
        fail("n-body energy not conserved");
    mix_d(e_start);
    mix_d(e_now);
    mix_d(worst);
    for (int n = 0; n < NB; n++)
        for (int k = 0; k < 3; k++) {
            mix_d(pos[n][k]);
            mix_d(vel[n][k]);
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
    gravity_work();
    for (int r = 0; r < ROUNDS; r++) {
        matmul_work(r);
        lu_work(r);
        convert_work(r);
    }
    printf("fp checksum: 0x%016llx\n", (unsigned long long)hash);
    return 0;
}
