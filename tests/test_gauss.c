#define _POSIX_C_SOURCE 200809L /* setenv */
/* Agreement tests of the gauss family against the double reference, with the
 * error bounds documented in include/mixsimd/gauss.h, for every ISA. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/gauss.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ref_gauss.h"

typedef void (*diag_fn)(size_t, size_t, size_t, const float *, size_t, const float *, size_t,
                        const float *, size_t, const float *, float *, size_t, void *, size_t);
typedef void (*sph_fn)(size_t, size_t, size_t, const float *, size_t, const float *, size_t,
                       const float *, const float *, float *, size_t, void *, size_t);
typedef sph_fn full_fn; /* same shape: chol in place of var */

static const diag_fn diag_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gauss_diag_f32);
static const sph_fn sph_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gauss_spherical_f32);
static const full_fn full_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gauss_full_f32);

enum kind { DIAG, SPH, FULL };
static const char *const kind_name[] = {"diag", "spherical", "full"};

#define U 0x1p-24
static double gamma_m(double m) { return m * U / (1.0 - m * U); }

/* The documented bounds (gauss.h): quad is Q (diag, spherical) or P (full). */
static double documented_bound(enum kind kind, size_t D, double quad, double cst) {
    if (kind == FULL) return 3.0 * gamma_m((double)D + 4) * quad + 2.0 * U * cst;
    return gamma_m((double)D + 8) * quad + 2.0 * U * cst;
}

static const float GUARD = -12345.5f;

/* One problem: inputs with NaN in every padding element (a kernel that reads
 * past a row end poisons its results), outputs with guards. */
typedef struct {
    enum kind kind;
    size_t N, K, D, ldx, ldmu, ldvar, ldo;
    float *X, *mu, *var, *chol, *logw, *out, *got;
    double *want, *quad, *cst, *bound;
} problem;

/* malloc of exactly n floats (ASan sees the true end), all NaN. */
static float *nan_floats(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    cr_assert(p != NULL);
    for (size_t i = 0; i < n; ++i) p[i] = NAN;
    return p;
}

static size_t span(size_t rows, size_t cols, size_t ld) { return rows ? (rows - 1) * ld + cols : 0; }

static problem prob_alloc(enum kind kind, size_t N, size_t K, size_t D, size_t pad, int with_logw) {
    problem p = {kind, N, K, D, D + pad, D + (pad ? 1 : 0), D + 2 * pad, K + pad,
                 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    p.X = nan_floats(span(N, D, p.ldx));
    p.mu = nan_floats(span(K, D, p.ldmu));
    p.var = nan_floats(kind == DIAG ? span(K, D, p.ldvar) : K);
    p.chol = nan_floats(K * D * D);
    p.logw = with_logw ? nan_floats(K) : NULL;
    p.out = nan_floats(N * p.ldo + 3);
    for (size_t i = 0; i < N * p.ldo + 3; ++i) p.out[i] = GUARD;
    p.got = mx_test_floats(N * K);
    p.want = mx_test_doubles(N * K);
    p.quad = mx_test_doubles(N * K);
    p.bound = mx_test_doubles(N * K);
    p.cst = mx_test_doubles(K);
    return p;
}

static void prob_free(problem *p) {
    float *f[] = {p->X, p->mu, p->var, p->chol, p->logw, p->out, p->got};
    double *d[] = {p->want, p->quad, p->cst, p->bound};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; ++i) free(f[i]);
    for (size_t i = 0; i < sizeof d / sizeof d[0]; ++i) free(d[i]);
}

/* Random well-scaled parameters: x, mu ~ N(0, 2^2), var log-uniform in
 * [e^-3, e^3], L with diagonal in [0.5, 2] and small off-diagonal entries. */
static problem prob_random(enum kind kind, size_t N, size_t K, size_t D, size_t pad,
                           int with_logw, uint64_t seed) {
    problem p = prob_alloc(kind, N, K, D, pad, with_logw);
    mx_test_rng r = mx_test_rng_seed(seed);
    for (size_t n = 0; n < N; ++n) mx_test_fill_normal(&r, p.X + n * p.ldx, D, 0.0, 2.0);
    for (size_t k = 0; k < K; ++k) mx_test_fill_normal(&r, p.mu + k * p.ldmu, D, 0.0, 2.0);
    if (kind == DIAG)
        for (size_t k = 0; k < K; ++k)
            for (size_t j = 0; j < D; ++j) p.var[k * p.ldvar + j] = (float)exp(mx_test_uniform(&r, -3, 3));
    if (kind == SPH)
        for (size_t k = 0; k < K; ++k) p.var[k] = (float)exp(mx_test_uniform(&r, -3, 3));
    if (kind == FULL)
        for (size_t k = 0; k < K; ++k)
            for (size_t i = 0; i < D; ++i)
                for (size_t l = 0; l <= i; ++l) /* upper triangle stays NaN: never read */
                    p.chol[(k * D + i) * D + l] =
                        l == i ? (float)mx_test_uniform(&r, 0.5, 2.0)
                               : (float)(0.5 * mx_test_normal(&r) / sqrt((double)D));
    if (with_logw)
        for (size_t k = 0; k < K; ++k) p.logw[k] = (float)log(mx_test_uniform(&r, 0.01, 1.0));
    return p;
}

static size_t workspace_size(const problem *p) {
    if (p->kind == DIAG) return mx_gauss_diag_workspace_size(p->K, p->D);
    if (p->kind == SPH) return mx_gauss_spherical_workspace_size(p->K, p->D);
    return mx_gauss_full_workspace_size(p->K, p->D);
}

/* Runs the fixed-ISA variant with an exactly sized, misaligned workspace. */
static void run_variant(problem *p, mx_isa isa) {
    size_t need = workspace_size(p);
    char *buf = malloc(need + 4);
    cr_assert(buf != NULL);
    void *work = need ? buf + 4 : NULL;
    if (p->kind == DIAG)
        diag_variants[isa](p->N, p->K, p->D, p->X, p->ldx, p->mu, p->ldmu, p->var, p->ldvar,
                           p->logw, p->out, p->ldo, work, need);
    else if (p->kind == SPH)
        sph_variants[isa](p->N, p->K, p->D, p->X, p->ldx, p->mu, p->ldmu, p->var, p->logw,
                          p->out, p->ldo, work, need);
    else
        full_variants[isa](p->N, p->K, p->D, p->X, p->ldx, p->mu, p->ldmu, p->chol, p->logw,
                           p->out, p->ldo, work, need);
    free(buf);
}

/* Reference values (beyond -FLT_MAX they are -inf in float), bounds, and the
 * kernel's results gathered densely. */
static void reference(problem *p) {
    if (p->kind == DIAG)
        mx_ref_gauss_diag(p->N, p->K, p->D, p->X, p->ldx, p->mu, p->ldmu, p->var, p->ldvar,
                          p->logw, p->want, p->quad, p->cst);
    else if (p->kind == SPH)
        mx_ref_gauss_spherical(p->N, p->K, p->D, p->X, p->ldx, p->mu, p->ldmu, p->var, p->logw,
                               p->want, p->quad, p->cst);
    else
        mx_ref_gauss_full(p->N, p->K, p->D, p->X, p->ldx, p->mu, p->ldmu, p->chol, p->logw,
                          p->want, p->quad, p->cst);
    for (size_t n = 0; n < p->N; ++n)
        for (size_t k = 0; k < p->K; ++k) {
            size_t i = n * p->K + k;
            if (p->want[i] < -FLT_MAX) p->want[i] = -INFINITY;
            p->bound[i] = documented_bound(p->kind, p->D, p->quad[i], p->cst[k]);
            p->got[i] = p->out[n * p->ldo + k];
        }
}

static void assert_guards(const problem *p, const char *what) {
    for (size_t n = 0; n < p->N; ++n)
        for (size_t k = p->K; k < p->ldo; ++k)
            cr_assert(p->out[n * p->ldo + k] == GUARD, "%s: wrote out[%zu][%zu] beyond K", what, n, k);
    for (size_t i = p->N * p->ldo; i < p->N * p->ldo + 3; ++i)
        cr_assert(p->out[i] == GUARD, "%s: wrote past the end of out", what);
}

static mx_check check(const problem *p) {
    return mx_check_abs(p->got, p->want, p->bound, p->N * p->K);
}

/* Runs one problem on one ISA and asserts the documented bound and guards. */
static void verify(problem *p, mx_isa isa, const char *what) {
    run_variant(p, isa);
    reference(p);
    assert_guards(p, what);
    mx_assert_check(check(p), "%s %s N=%zu K=%zu D=%zu (%s)", kind_name[p->kind],
                    mx_isa_name(isa), p->N, p->K, p->D, what);
}

/* ---- shape sweeps ---------------------------------------------------------- */

/* Every D of the sweep against N and K drawn from it (a diagonal walk, not
 * the full product), capped at work `cap`. */
static void sweep(enum kind kind, mx_isa isa, size_t max_d, double cap) {
    const size_t S = mx_test_sizes_count;
    for (size_t di = 0; di < S; ++di) {
        const size_t D = mx_test_sizes[di];
        if (D > max_d) continue;
        for (size_t i = 0; i < S; ++i) {
            const size_t N = mx_test_sizes[i], K = mx_test_sizes[(i * 5 + di * 3) % S];
            const double work = (double)N * (double)K * (double)(kind == FULL ? D * D + 1 : D + 1);
            if (work > cap) continue;
            problem p = prob_random(kind, N, K, D, (i + di) % 3, (int)((i + di) % 2), 1000 * di + i);
            verify(&p, isa, "sweep");
            prob_free(&p);
        }
    }
}

MX_ISA_TEST(gauss, diag_shapes) { sweep(DIAG, isa, SIZE_MAX, 3e5); }
MX_ISA_TEST(gauss, spherical_shapes) { sweep(SPH, isa, SIZE_MAX, 3e5); }
MX_ISA_TEST(gauss, full_shapes) { sweep(FULL, isa, MX_GAUSS_FULL_MAX_D, 1e6); }

/* Large shapes: the D = 784 GEMM-like case, small D with many components. */
MX_ISA_TEST(gauss, large_shapes) {
    static const size_t shapes[][4] = {
        /* kind, N, K, D */
        {DIAG, 300, 10, 784}, {DIAG, 2000, 10, 10}, {DIAG, 150, 70, 100}, {DIAG, 500, 33, 63},
        {SPH, 300, 10, 784},  {SPH, 1000, 20, 10},  {FULL, 500, 5, 64},   {FULL, 700, 10, 10},
        {FULL, 130, 3, 49},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
        problem p = prob_random((enum kind)shapes[s][0], shapes[s][1], shapes[s][2],
                                shapes[s][3], 1, 1, 77 + s);
        verify(&p, isa, "large");
        prob_free(&p);
    }
}

/* A Cholesky factor from mx_cholesky_f32 of a sample covariance-like matrix
 * (correlated coordinates), as a GMM M-step produces it. */
MX_ISA_TEST(gauss, full_from_cholesky) {
    const size_t N = 90, K = 3, D = 20;
    problem p = prob_random(FULL, N, K, D, 2, 1, 4242);
    mx_test_rng r = mx_test_rng_seed(99);
    float *B = mx_test_floats(D * D);
    for (size_t k = 0; k < K; ++k) {
        float *A = p.chol + k * D * D;
        mx_test_fill_normal(&r, B, D * D, 0.0, 1.0);
        for (size_t i = 0; i < D; ++i) /* A = B B^T / D + 0.05 I */
            for (size_t j = 0; j < D; ++j) {
                double s = 0.0;
                for (size_t l = 0; l < D; ++l) s += (double)B[i * D + l] * B[j * D + l];
                A[i * D + j] = (float)(s / (double)D + (i == j ? 0.05 : 0.0));
            }
        cr_assert_eq(mx_cholesky_f32(D, A, D), MX_OK);
    }
    verify(&p, isa, "cholesky factors");
    free(B);
    prob_free(&p);
}

/* ---- adversarial values ---------------------------------------------------- */

/* Magnitudes 1e3..1e18 with variances on the scale of mu^2: all results
 * finite, Q from tiny (x near its centre) to large. */
static void fill_huge(problem *p, uint64_t seed) {
    mx_test_rng r = mx_test_rng_seed(seed);
    for (size_t n = 0; n < p->N; ++n)
        for (size_t j = 0; j < p->D; ++j)
            p->X[n * p->ldx + j] = (float)((mx_test_uniform(&r, 0, 1) < 0.5 ? -1 : 1) *
                                           pow(10.0, mx_test_uniform(&r, 3, 18)));
    for (size_t k = 0; k < p->K; ++k) {
        const float *centre = p->X + (k % p->N) * p->ldx;
        double scale = 0.0;
        for (size_t j = 0; j < p->D; ++j) {
            double m = centre[j] * (1.0 + 1e-3 * mx_test_normal(&r));
            p->mu[k * p->ldmu + j] = (float)m;
            scale = fmax(scale, fabs(m));
            if (p->kind == DIAG) p->var[k * p->ldvar + j] = (float)(m * m * mx_test_uniform(&r, 0.5, 2));
        }
        if (p->kind == SPH) p->var[k] = (float)(scale * scale);
        if (p->kind == FULL)
            for (size_t i = 0; i < p->D; ++i)
                for (size_t l = 0; l <= i; ++l)
                    p->chol[(k * p->D + i) * p->D + l] =
                        (float)(scale * (l == i ? mx_test_uniform(&r, 0.5, 2) : 0.1 * mx_test_normal(&r)));
    }
}

/* Points 1, 1e18, -3e-20, 1e-40 (subnormal), 1 + 2^-23, 1e30 and E against
 * components centred on each with variances 1e-30, 1e-40 (subnormal), 1e30,
 * 1, 1e-44 (subnormal), FLT_MIN and 3e38: x == mu pairs give large positive
 * densities, x != mu pairs very negative ones or -inf beyond float range.
 * E is -1.5e38 but for x_0 = 2e38, so x_0 - mu_0 overflows float while
 * (x_0 - mu_0)^2 / (2 * 3e38) = 2.04e38 does not: only the safe path gets it. */
#define EXTREMES 7
static void fill_extremes(problem *p) {
    static const double point[EXTREMES] = {1.0, 1e18, -3e-20, 1e-40, 1.0 + 0x1p-23, 1e30, -1.5e38};
    static const double var[EXTREMES] = {1e-30, 1e-40, 1e30, 1.0, 1e-44, FLT_MIN, 3e38};
    for (size_t n = 0; n < p->N; ++n)
        for (size_t j = 0; j < p->D; ++j)
            p->X[n * p->ldx + j] = (float)(n % EXTREMES == 6 && j == 0 ? 2e38 : point[n % EXTREMES]);
    for (size_t k = 0; k < p->K; ++k) {
        for (size_t j = 0; j < p->D; ++j) {
            p->mu[k * p->ldmu + j] = (float)point[k % EXTREMES];
            /* per-coordinate variation so the diagonal case is not spherical */
            if (p->kind == DIAG)
                p->var[k * p->ldvar + j] = (float)(var[k % EXTREMES] * (1.0 - 0.25 * (double)(j % 3)));
        }
        if (p->kind == SPH) p->var[k] = (float)var[k % EXTREMES];
        if (p->kind == FULL) { /* k = 4: L_jj = 1e-40, whose reciprocal overflows float */
            const double s = k % EXTREMES == 4 ? 1e-40 : sqrt(var[k % EXTREMES]);
            for (size_t i = 0; i < p->D; ++i)
                for (size_t l = 0; l <= i; ++l)
                    p->chol[(k * p->D + i) * p->D + l] = (float)(l == i ? s : 0.1 * s);
        }
    }
}

/* One row with a NaN (results NaN), one with +inf and one with -inf (-inf). */
static void poison_rows(problem *p) {
    if (p->N < 3 || p->D == 0) return;
    p->X[0 * p->ldx + p->D / 2] = NAN;
    p->X[1 * p->ldx + 0] = INFINITY;
    p->X[2 * p->ldx + p->D - 1] = -INFINITY;
}

static void adversarial(enum kind kind, mx_isa isa) {
    /* up to 70: vectorised across components; 300: across D (full: D <= 64) */
    static const size_t dims[] = {1, 5, 17, 64, 70, 300};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; ++d) {
        if (kind == FULL && dims[d] > MX_GAUSS_FULL_MAX_D) continue;
        const size_t D = dims[d];
        problem p = prob_alloc(kind, 37, 13, D, 1, 1);
        for (size_t k = 0; k < p.K; ++k) p.logw[k] = k == 3 ? -INFINITY : -1.5f;
        fill_huge(&p, 5 + d);
        verify(&p, isa, "|x| 1e3..1e18");
        fill_extremes(&p);
        verify(&p, isa, "tiny and huge variances");
        poison_rows(&p);
        verify(&p, isa, "NaN and Inf rows");
        prob_free(&p);
    }
}

MX_ISA_TEST(gauss, diag_adversarial) { adversarial(DIAG, isa); }
MX_ISA_TEST(gauss, spherical_adversarial) { adversarial(SPH, isa); }
MX_ISA_TEST(gauss, full_adversarial) { adversarial(FULL, isa); }

/* The extremes behave as documented, not just within a bound: x == mu with
 * var 1e-40 is finite and large, x != mu is -inf, nothing is NaN. */
MX_ISA_TEST(gauss, tiny_variance_semantics) {
    for (int kind = DIAG; kind <= FULL; ++kind) {
        problem p = prob_alloc((enum kind)kind, EXTREMES, EXTREMES, 3, 0, 0);
        fill_extremes(&p);
        run_variant(&p, isa);
        for (size_t n = 0; n < EXTREMES; ++n)
            for (size_t k = 0; k < EXTREMES; ++k) {
                float v = p.out[n * p.ldo + k];
                cr_assert(!isnan(v), "%s: NaN at (%zu, %zu)", kind_name[kind], n, k);
                if (n == k) cr_assert(isfinite(v), "%s: x == mu not finite at %zu", kind_name[kind], n);
            }
        cr_assert(p.out[1 * p.ldo + 1] > 100.0f, "x == mu, var 1e-40: %g", p.out[1 * p.ldo + 1]);
        cr_assert(p.out[0 * p.ldo + 1] == -INFINITY, "x != mu, var 1e-40: %g", p.out[0 * p.ldo + 1]);
        const float e = p.out[6 * p.ldo + 6]; /* x_0 - mu_0 overflows, the result does not */
        cr_assert(isfinite(e) && e < -1e38f, "x_0 - mu_0 = 3.5e38, var 3e38: %g", e);
        prob_free(&p);
    }
}

/* Valid factors (finite, positive diagonal) so ill-conditioned that the
 * safe path's double forward substitution overflows; the exact values are
 * about -1e165 or below, so the results must be -inf ("nothing finite ever
 * becomes NaN"), not NaN. Component 0: z_0 = 1e38 / 1.4e-45 and each row
 * multiplies by 1e38 / 1.4e-45 until z_3 = -inf, z_4 = +inf, and row 5 meets
 * inf - inf. Component 1: z_3 = -1.1e307 and z_4 = 1.1e307 stay finite, but
 * row 5's products 1e38 z_3 and 1e38 z_4 overflow to +inf and -inf. */
MX_ISA_TEST(gauss, full_overflowing_solve_is_minus_inf) {
    enum { D = 6, K = 2 };
    float L[K * D * D] = {0}, X[2 * D] = {0}, mu[K * D] = {0};
    float out[2 * K] = {GUARD, GUARD, GUARD, GUARD};
    float *L0 = L, *L1 = L + D * D;
    for (size_t i = 0; i < D; ++i) L0[i * D + i] = 1e-45f;
    L0[1 * D + 0] = L0[2 * D + 1] = L0[3 * D + 2] = 1e38f;
    L0[4 * D + 3] = L0[5 * D + 3] = L0[5 * D + 4] = 1.0f;
    L1[0 * D + 0] = L1[1 * D + 1] = L1[2 * D + 2] = 1e-45f;
    L1[3 * D + 3] = 1e-20f, L1[4 * D + 4] = 1e-10f, L1[5 * D + 5] = 1.0f;
    L1[1 * D + 0] = L1[2 * D + 1] = L1[3 * D + 2] = 1e38f;
    L1[4 * D + 3] = 1e-10f, L1[5 * D + 3] = L1[5 * D + 4] = 1e38f;
    X[0] = 3e38f; /* row 0: x_0 - mu_0 = 3e38; row 1: x == mu */
    const size_t need = mx_gauss_full_workspace_size(K, D);
    void *work = malloc(need);
    cr_assert(work != NULL);
    full_variants[isa](2, K, D, X, D, mu, D, L, NULL, out, K, work, need);
    free(work);
    for (size_t k = 0; k < K; ++k) {
        cr_assert(out[k] == -INFINITY, "full %s: overflowing solve (component %zu) gave %g, want -inf",
                  mx_isa_name(isa), k, (double)out[k]);
        cr_assert(isfinite(out[K + k]), "full %s: x == mu (component %zu) gave %g",
                  mx_isa_name(isa), k, (double)out[K + k]);
    }
}

/* ---- the comparisons can fail ---------------------------------------------- */

static void rejects_perturbed(enum kind kind, mx_isa isa) {
    problem p = prob_random(kind, 33, 7, kind == FULL ? 17 : 270, 1, 1, 31337);
    verify(&p, isa, "unperturbed");
    for (size_t i = 0; i < p.N * p.K; i += 11) {
        const float saved = p.got[i];
        p.got[i] = (float)(p.want[i] + 4.0 * p.bound[i]);
        mx_assert_rejects(check(&p), "%s %s element %zu moved by 4 bounds", kind_name[kind],
                          mx_isa_name(isa), i);
        p.got[i] = saved;
    }
    mx_assert_check(check(&p), "restored");
    prob_free(&p);
}

MX_ISA_TEST(gauss, diag_rejects_perturbed) { rejects_perturbed(DIAG, isa); }
MX_ISA_TEST(gauss, spherical_rejects_perturbed) { rejects_perturbed(SPH, isa); }
MX_ISA_TEST(gauss, full_rejects_perturbed) { rejects_perturbed(FULL, isa); }

/* ---- dispatched entries ----------------------------------------------------- */

/* Every available ISA forced through the entry gives the fixed variant's
 * results exactly (same code) and so meets the bound. */
Test(gauss, entries_run_under_each_isa) {
    for (int i = 0; i < MX_ISA_COUNT; ++i) {
        const mx_isa isa = (mx_isa)i;
        if (!mx_cpu_has(isa)) continue;
        cr_assert_eq(mx_isa_force(isa), MX_OK);
        for (int kind = DIAG; kind <= FULL; ++kind) {
            problem p = prob_random((enum kind)kind, 40, 9, 12, 1, 1, 7 + (uint64_t)kind);
            problem q = prob_random((enum kind)kind, 40, 9, 12, 1, 1, 7 + (uint64_t)kind);
            size_t need = workspace_size(&p);
            void *work = malloc(need);
            mx_status st;
            if (kind == DIAG)
                st = mx_gauss_diag_f32(p.N, p.K, p.D, p.X, p.ldx, p.mu, p.ldmu, p.var, p.ldvar,
                                       p.logw, p.out, p.ldo, work, need);
            else if (kind == SPH)
                st = mx_gauss_spherical_f32(p.N, p.K, p.D, p.X, p.ldx, p.mu, p.ldmu, p.var,
                                            p.logw, p.out, p.ldo, work, need);
            else
                st = mx_gauss_full_f32(p.N, p.K, p.D, p.X, p.ldx, p.mu, p.ldmu, p.chol, p.logw,
                                       p.out, p.ldo, work, need);
            cr_assert_eq(st, MX_OK, "%s under %s", kind_name[kind], mx_isa_name(isa));
            run_variant(&q, isa);
            cr_assert(memcmp(p.out, q.out, (p.N * p.ldo + 3) * sizeof(float)) == 0,
                      "%s: entry under %s differs from the variant", kind_name[kind], mx_isa_name(isa));
            reference(&p);
            mx_assert_check(check(&p), "%s entry under %s", kind_name[kind], mx_isa_name(isa));
            free(work);
            prob_free(&p);
            prob_free(&q);
        }
    }
}

Test(gauss, entries_report_unusable_isa) {
    setenv("MIXSIMD_ISA", "sse9", 1);
    problem p = prob_random(DIAG, 4, 2, 3, 0, 0, 1);
    char work[1024];
    cr_assert_eq(mx_gauss_diag_f32(p.N, p.K, p.D, p.X, p.ldx, p.mu, p.ldmu, p.var, p.ldvar, NULL,
                                   p.out, p.ldo, work, sizeof work), MX_ERR_ISA);
    cr_assert_eq(mx_gauss_spherical_f32(p.N, p.K, p.D, p.X, p.ldx, p.mu, p.ldmu, p.var, NULL,
                                        p.out, p.ldo, work, sizeof work), MX_ERR_ISA);
    prob_free(&p);
}

/* A small valid diagonal problem and its workspace, for the error tests. */
typedef struct {
    float X[4 * 3], mu[2 * 3], var[2 * 3], logw[2], out[4 * 2];
    float chol[2 * 3 * 3];
    char work[4096];
} small_args;

static small_args small_valid(void) {
    small_args a;
    for (int i = 0; i < 12; ++i) a.X[i] = (float)i * 0.25f;
    for (int i = 0; i < 6; ++i) a.mu[i] = (float)i, a.var[i] = 1.0f + (float)i;
    for (int i = 0; i < 18; ++i) a.chol[i] = (i % 4 == 0) ? 1.5f : 0.25f; /* diag of 3x3 at 0, 4, 8 */
    a.logw[0] = -0.5f, a.logw[1] = -1.0f;
    return a;
}

#define DIAG_CALL(a, X_, ldx, mu_, ldmu, var_, ldvar, logw_, out_, ldo, work_, wb) \
    mx_gauss_diag_f32(4, 2, 3, X_, ldx, mu_, ldmu, var_, ldvar, logw_, out_, ldo, work_, wb)

Test(gauss, diag_entry_errors) {
    small_args a = small_valid();
    const size_t need = mx_gauss_diag_workspace_size(2, 3);
    cr_assert(need <= sizeof a.work);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, a.var, 3, a.logw, a.out, 2, a.work, need), MX_OK);
    cr_assert_eq(DIAG_CALL(a, NULL, 3, a.mu, 3, a.var, 3, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 2, a.mu, 3, a.var, 3, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, NULL, 3, a.var, 3, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 2, a.var, 3, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, NULL, 3, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, a.var, 2, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, a.var, 3, a.logw, NULL, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, a.var, 3, a.logw, a.out, 1, a.work, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, a.var, 3, a.logw, a.out, 2, NULL, need), MX_ERR_ARG);
    cr_assert_eq(DIAG_CALL(a, a.X, 3, a.mu, 3, a.var, 3, a.logw, a.out, 2, a.work, need - 1),
                 MX_ERR_WORKSPACE);
    /* a workspace size that does not fit in size_t */
    cr_assert_eq(mx_gauss_diag_workspace_size(SIZE_MAX / 2, 3), SIZE_MAX);
    cr_assert_eq(mx_gauss_diag_f32(4, SIZE_MAX / 2, 3, a.X, 3, a.mu, 3, a.var, 3, NULL, a.out,
                                   SIZE_MAX / 2, a.work, sizeof a.work), MX_ERR_ARG);
    /* nothing to do: zero sizes need no pointers */
    cr_assert_eq(mx_gauss_diag_f32(0, 0, 0, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, NULL, 0), MX_OK);
    cr_assert_eq(mx_gauss_diag_f32(0, 2, 3, NULL, 0, a.mu, 3, a.var, 3, NULL, NULL, 0, a.work, need), MX_OK);

    const float bad_var[] = {0.0f, -1.0f, NAN, INFINITY, -0.0f};
    for (size_t i = 0; i < sizeof bad_var / sizeof bad_var[0]; ++i) {
        small_args b = small_valid();
        b.var[4] = bad_var[i];
        cr_assert_eq(DIAG_CALL(b, b.X, 3, b.mu, 3, b.var, 3, b.logw, b.out, 2, b.work, need),
                     MX_ERR_DOMAIN, "var = %g", bad_var[i]);
    }
    const float bad_mu[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; ++i) {
        small_args b = small_valid();
        b.mu[5] = bad_mu[i];
        cr_assert_eq(DIAG_CALL(b, b.X, 3, b.mu, 3, b.var, 3, b.logw, b.out, 2, b.work, need),
                     MX_ERR_DOMAIN, "mu = %g", bad_mu[i]);
    }
    const float bad_logw[] = {NAN, INFINITY};
    for (size_t i = 0; i < 2; ++i) {
        small_args b = small_valid();
        b.logw[1] = bad_logw[i];
        cr_assert_eq(DIAG_CALL(b, b.X, 3, b.mu, 3, b.var, 3, b.logw, b.out, 2, b.work, need),
                     MX_ERR_DOMAIN, "logw = %g", bad_logw[i]);
    }
    /* a zero weight is allowed and gives -inf; NaN in X propagates to its row */
    small_args b = small_valid();
    b.logw[1] = -INFINITY;
    b.X[4] = NAN;
    cr_assert_eq(DIAG_CALL(b, b.X, 3, b.mu, 3, b.var, 3, b.logw, b.out, 2, b.work, need), MX_OK);
    cr_assert(b.out[0 * 2 + 1] == -INFINITY && isfinite(b.out[0]));
    cr_assert(isnan(b.out[1 * 2 + 0]) && isnan(b.out[1 * 2 + 1]));
}

Test(gauss, spherical_entry_errors) {
    small_args a = small_valid();
    const size_t need = mx_gauss_spherical_workspace_size(2, 3);
#define SPH_CALL(X_, mu_, var_, logw_, out_, ldo, work_, wb) \
    mx_gauss_spherical_f32(4, 2, 3, X_, 3, mu_, 3, var_, logw_, out_, ldo, work_, wb)
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, a.work, need), MX_OK);
    cr_assert_eq(SPH_CALL(NULL, a.mu, a.var, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(SPH_CALL(a.X, NULL, a.var, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(SPH_CALL(a.X, a.mu, NULL, a.logw, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 1, a.work, need), MX_ERR_ARG);
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, NULL, need), MX_ERR_ARG);
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, a.work, need - 1), MX_ERR_WORKSPACE);
    a.var[1] = 0.0f;
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.var[1] = NAN;
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.var[1] = 1.0f;
    a.mu[0] = INFINITY;
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.mu[0] = 0.0f;
    a.logw[0] = NAN;
    cr_assert_eq(SPH_CALL(a.X, a.mu, a.var, a.logw, a.out, 2, a.work, need), MX_ERR_DOMAIN);
#undef SPH_CALL
}

Test(gauss, full_entry_errors) {
    small_args a = small_valid();
    const size_t need = mx_gauss_full_workspace_size(2, 3);
    cr_assert(need <= sizeof a.work);
#define FULL_CALL(D, X_, mu_, chol_, out_, ldo, work_, wb) \
    mx_gauss_full_f32(4, 2, D, X_, 3, mu_, 3, chol_, a.logw, out_, ldo, work_, wb)
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_OK);
    cr_assert_eq(FULL_CALL(3, NULL, a.mu, a.chol, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(FULL_CALL(3, a.X, NULL, a.chol, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, NULL, a.out, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, NULL, 2, a.work, need), MX_ERR_ARG);
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 1, a.work, need), MX_ERR_ARG);
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, NULL, need), MX_ERR_ARG);
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need - 1), MX_ERR_WORKSPACE);
    /* D > 64: not supported (ldx etc. would be fine) */
    cr_assert_eq(mx_gauss_full_workspace_size(2, MX_GAUSS_FULL_MAX_D + 1), SIZE_MAX);
    float *big = mx_test_floats(4 * 65 + 2 * 65 * 65);
    cr_assert_eq(mx_gauss_full_f32(4, 2, 65, big, 65, big, 65, big, NULL, a.out, 2, a.work,
                                   sizeof a.work), MX_ERR_ARG);
    free(big);
    /* the upper triangle is never read: NaN there is fine */
    a.chol[1] = NAN;
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_OK);
    a.chol[3] = NAN; /* lower triangle */
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.chol[3] = 0.25f;
    a.chol[9 + 4] = 0.0f; /* a zero diagonal entry of L_1 */
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.chol[9 + 4] = -1.0f;
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.chol[9 + 4] = 1.0f;
    a.mu[2] = NAN;
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_ERR_DOMAIN);
    a.mu[2] = 0.0f;
    a.logw[0] = INFINITY;
    cr_assert_eq(FULL_CALL(3, a.X, a.mu, a.chol, a.out, 2, a.work, need), MX_ERR_DOMAIN);
#undef FULL_CALL
}

/* ---- Cholesky -------------------------------------------------------------- */

/* |L L^T - A| <= 3u |L| |L^T| on the lower triangle: the residual (products
 * of floats are exact in double) is compared with 0. */
static mx_check cholesky_residual(size_t D, const float *A, size_t lda, const float *L,
                                  size_t ldl, float *zero, double *resid, double *bound) {
    size_t e = 0;
    for (size_t i = 0; i < D; ++i)
        for (size_t j = 0; j <= i; ++j, ++e) {
            double s = 0.0, a = 0.0;
            for (size_t l = 0; l <= j; ++l) {
                s += (double)L[i * ldl + l] * L[j * ldl + l];
                a += fabs((double)L[i * ldl + l] * L[j * ldl + l]);
            }
            zero[e] = 0.0f;
            resid[e] = s - (double)A[i * lda + j];
            bound[e] = 3.0 * U * a;
        }
    return mx_check_abs(zero, resid, bound, e);
}

static void spd_matrix(mx_test_rng *r, size_t D, float *A, size_t lda, double ridge) {
    float *B = mx_test_floats(D * D + 1);
    mx_test_fill_normal(r, B, D * D, 0.0, 1.0);
    for (size_t i = 0; i < D; ++i)
        for (size_t j = 0; j < lda; ++j) {
            if (j >= D) { A[i * lda + j] = NAN; continue; }
            double s = 0.0;
            for (size_t l = 0; l < D; ++l) s += (double)B[i * D + l] * B[j * D + l];
            A[i * lda + j] = (float)(s / (double)D + (i == j ? ridge : 0.0));
        }
    free(B);
}

Test(gauss, cholesky_residual_bound) {
    mx_test_rng r = mx_test_rng_seed(2024);
    for (size_t s = 0; s < mx_test_sizes_count; ++s) {
        const size_t D = mx_test_sizes[s], lda = D + 3;
        float *A = mx_test_floats(D * lda + 1), *L = mx_test_floats(D * lda + 1);
        float *got = mx_test_floats(D * D + 1);
        double *want = mx_test_doubles(D * D + 1), *bound = mx_test_doubles(D * D + 1);
        double *ref = mx_test_doubles(D * D + 1);
        spd_matrix(&r, D, A, lda, 0.05);
        memcpy(L, A, D * lda * sizeof *A);
        for (size_t i = 0; i < D; ++i)
            for (size_t j = i + 1; j < D; ++j) L[i * lda + j] = NAN; /* upper: not read */
        cr_assert_eq(mx_cholesky_f32(D, L, lda), MX_OK, "D = %zu", D);
        cr_assert_eq(mx_ref_cholesky(D, A, lda, ref), 0);
        for (size_t i = 0; i < D; ++i) {
            for (size_t j = i + 1; j < D; ++j) cr_assert(L[i * lda + j] == 0.0f, "upper not zeroed");
            for (size_t j = D; j < lda; ++j) cr_assert(isnan(L[i * lda + j]), "padding touched");
            cr_assert(L[i * lda + i] > 0.0f);
        }
        mx_assert_check(cholesky_residual(D, A, lda, L, lda, got, want, bound), "cholesky D=%zu", D);
        /* the factor agrees with the double reference (a sanity check; A is
         * well conditioned, so to a few thousand u) */
        for (size_t i = 0; i < D; ++i)
            for (size_t j = 0; j <= i; ++j)
                cr_assert(fabs(L[i * lda + j] - ref[i * D + j]) <= 1e-4 * (1.0 + fabs(ref[i * D + j])),
                          "L[%zu][%zu] = %g, reference %g", i, j, L[i * lda + j], ref[i * D + j]);
        if (D >= 1) { /* L_00 moved by 32u: residual 64u L_00^2 against 3u L_00^2 */
            L[0] *= 1.0f + 32.0f * (float)U;
            mx_assert_rejects(cholesky_residual(D, A, lda, L, lda, got, want, bound),
                              "perturbed cholesky D=%zu", D);
        }
        free(A), free(L), free(got), free(want), free(bound), free(ref);
    }
}

Test(gauss, cholesky_errors) {
    float A[4] = {1.0f, 0.0f, 2.0f, 1.0f}; /* [[1, 2], [2, 1]]: eigenvalues 3, -1 */
    cr_assert_eq(mx_cholesky_f32(2, A, 2), MX_ERR_NOT_POSDEF);
    float Z[9] = {0};
    cr_assert_eq(mx_cholesky_f32(3, Z, 3), MX_ERR_NOT_POSDEF);
    float S[4] = {1.0f, 0.0f, 1.0f, 1.0f}; /* [[1,1],[1,1]]: singular */
    cr_assert_eq(mx_cholesky_f32(2, S, 2), MX_ERR_NOT_POSDEF);
    float N1[4] = {1.0f, 0.0f, NAN, 1.0f};
    cr_assert_eq(mx_cholesky_f32(2, N1, 2), MX_ERR_DOMAIN);
    cr_assert(N1[0] == 1.0f && isnan(N1[2]) && N1[3] == 1.0f, "A changed on MX_ERR_DOMAIN");
    float I1[4] = {INFINITY, 0.0f, 0.0f, 1.0f};
    cr_assert_eq(mx_cholesky_f32(2, I1, 2), MX_ERR_DOMAIN);
    float U1[4] = {4.0f, NAN, 2.0f, 2.0f}; /* NaN in the upper triangle: ignored */
    cr_assert_eq(mx_cholesky_f32(2, U1, 2), MX_OK);
    cr_assert(U1[0] == 2.0f && U1[1] == 0.0f && U1[2] == 1.0f && U1[3] == 1.0f);
    cr_assert_eq(mx_cholesky_f32(2, NULL, 2), MX_ERR_ARG);
    cr_assert_eq(mx_cholesky_f32(2, A, 1), MX_ERR_ARG);
    cr_assert_eq(mx_cholesky_f32(0, NULL, 0), MX_OK);
    float tiny[1] = {1e-45f}; /* positive pivot whose root is 3.7e-23: fine */
    cr_assert_eq(mx_cholesky_f32(1, tiny, 1), MX_OK);
    cr_assert(tiny[0] > 0.0f);
}
