#define _POSIX_C_SOURCE 200809L /* setenv */
/* Agreement tests of the div family: every kernel x every ISA against the
 * long-double oracle, with exactly the error bounds documented in div.h. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/div.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ref_div.h"

/* ---- the documented bounds ----------------------------------------------- */
static const double U = 0x1p-24;
static double gamma_(size_t k) { return (double)k * U / (1.0 - (double)k * U); }
static double underflow_(size_t d) { return 0x1p-147 * (double)(d + 1); }

/* div.h kernel 1: 1/2 gamma_(d+10) sum_j (|expm1 delta| + |delta| + t^2) + 2^-147 (d+1). */
static double bound_kl_gauss(const float *m1, const float *lv1, const float *m2, const float *lv2,
                             size_t d) {
    double c = 0.0;
    for (size_t j = 0; j < d; ++j) {
        double delta = (double)lv1[j] - lv2[j], diff = (double)m1[j] - m2[j];
        c += fabs(expm1(delta)) + fabs(delta) + diff * diff * exp(-(double)lv2[j]);
    }
    return 0.5 * gamma_(d + 10) * c + underflow_(d);
}

/* div.h kernel 2: 1/2 gamma_(d+3) sum_j (|expm1 lv| + |lv| + m^2) + 2^-147 (d+1). */
static double bound_kl_std(const float *m, const float *lv, size_t d) {
    double c = 0.0;
    for (size_t j = 0; j < d; ++j)
        c += fabs(expm1((double)lv[j])) + fabs((double)lv[j]) + (double)m[j] * m[j];
    return 0.5 * gamma_(d + 3) * c + underflow_(d);
}

/* div.h kernel 3: u KL + 1/2 gamma_(d+10) sum_j (e^delta + 1 + |delta| + t^2). */
static double bound_kl_mix(const float *m, const float *lv, const float *mu, const float *lvar,
                           size_t d, double kl) {
    double c = 0.0;
    for (size_t j = 0; j < d; ++j) {
        double delta = (double)lv[j] - lvar[j], diff = (double)m[j] - mu[j];
        c += exp(delta) + 1.0 + fabs(delta) + diff * diff * exp(-(double)lvar[j]);
    }
    return U * fabs(kl) + 0.5 * gamma_(d + 10) * c;
}

/* div.h kernel 4, KL: gamma_(d+3) sum_(p>0) p (1 + |log p| + |log q|) + 2^-147 (d+1). */
static double bound_kl_cat(const float *p, const float *q, size_t d) {
    double c = 0.0;
    for (size_t j = 0; j < d; ++j)
        if (p[j] > 0.0f && q[j] > 0.0f)
            c += (double)p[j] * (1.0 + fabs(log((double)p[j])) + fabs(log((double)q[j])));
    return gamma_(d + 3) * c + underflow_(d);
}

/* div.h kernel 4, JS: 1/2 gamma_(d+5) sum_j [p (1+|log p|+|log r|) + q (...)] + 2^-147 (d+1). */
static double bound_js_cat(const float *p, const float *q, size_t d) {
    double c = 0.0;
    for (size_t j = 0; j < d; ++j) {
        double r = 0.5 * ((double)p[j] + q[j]);
        if (p[j] > 0.0f) c += (double)p[j] * (1.0 + fabs(log((double)p[j])) + fabs(log(r)));
        if (q[j] > 0.0f) c += (double)q[j] * (1.0 + fabs(log((double)q[j])) + fabs(log(r)));
    }
    return 0.5 * gamma_(d + 5) * c + underflow_(d);
}

/* a(z) = log(2 / (1 + e^z)) in long double. */
static double mc_a(long double z) {
    return z < 16 ? (double)-log1pl(0.5L * expm1l(z)) : (double)(logl(2.0L) - z - log1pl(expl(-z)));
}

/* div.h kernel 5: per-sample Df_s = 1/2 (Da_s + Db_s); returns the js bound and
 * the se bound through *se_bound. */
static double bound_js_mc(const float *m1, const float *lv1, const float *m2, const float *lv2,
                          size_t d, const float *eps, size_t ld_eps, size_t s, double js,
                          double se, double *se_bound) {
    double sum_df = 0.0, sum_df2 = 0.0;
    for (size_t k = 0; k < s; ++k) {
        const float *e = eps + k * ld_eps;
        long double cp = 0, cq = 0, zp = 0, zq = 0;
        for (size_t j = 0; j < d; ++j) {
            long double delta = (long double)lv1[j] - lv2[j], diff = (long double)m1[j] - m2[j];
            long double h1 = expm1l(0.5L * delta), t1 = diff * expl(-0.5L * lv2[j]);
            long double h2 = expm1l(-0.5L * delta), t2 = -diff * expl(-0.5L * lv1[j]);
            long double a1 = h1 * e[j] + t1, a2 = h2 * e[j] + t2;
            zp += 0.5L * (delta - a1 * (a1 + 2.0L * e[j]));
            zq += 0.5L * (-delta - a2 * (a2 + 2.0L * e[j]));
            long double c1 = fabsl(h1 * e[j]) + fabsl(t1), c2 = fabsl(h2 * e[j]) + fabsl(t2);
            cp += fabsl(delta) + c1 * (c1 + 2.0L * fabsl((long double)e[j]));
            cq += fabsl(delta) + c2 * (c2 + 2.0L * fabsl((long double)e[j]));
        }
        double da = 0.5 * gamma_(d + 14) * (double)cp + 0x1p-50 * (1.0 + fabs(mc_a(zp)));
        double db = 0.5 * gamma_(d + 14) * (double)cq + 0x1p-50 * (1.0 + fabs(mc_a(zq)));
        double df = 0.5 * (da + db);
        sum_df += df;
        sum_df2 += df * df;
    }
    *se_bound = s > 1 ? sqrt(sum_df2 / ((double)s * (double)(s - 1))) + 2.0 * U * se : 0.0;
    return U * fabs(js) + sum_df / (double)s;
}

/* A float result that overflowed to +-inf is right when the exact sum the
 * kernel forms (scale x the result: 2 KL for Gaussians) is at or beyond the
 * float limit (div.h: +-inf when the sum overflows): expect that infinity. */
static void expect_overflow(const float *got, double *want, const double *bound, size_t n,
                            double scale) {
    for (size_t i = 0; i < n; ++i)
        if (isinf(got[i]) && (got[i] > 0) == (want[i] > 0) &&
            scale * (fabs(want[i]) + bound[i]) * (1 + 1e-6) >= FLT_MAX)
            want[i] = got[i];
}

/* ---- inputs ---------------------------------------------------------------- */
/* n x d with leading dimension ld; everything outside the rows (gaps and 16
 * floats after the end) is NaN, so a kernel reading there fails its check. */
static float *guarded(size_t n, size_t d, size_t ld) {
    size_t total = (n ? (n - 1) * ld + d : 0) + 16;
    float *x = mx_test_floats(total);
    for (size_t i = 0; i < total; ++i) x[i] = NAN;
    (void)d;
    return x;
}

static void fill_rows(mx_test_rng *r, float *x, size_t n, size_t d, size_t ld, double lo, double hi) {
    for (size_t i = 0; i < n; ++i) mx_test_fill_uniform(r, x + i * ld, d, lo, hi);
}

/* Probability rows: uniform weights normalised, with some exact zeros. */
static void fill_probs(mx_test_rng *r, float *x, size_t n, size_t d, size_t ld, double zero_frac) {
    for (size_t i = 0; i < n; ++i) {
        float *row = x + i * ld;
        double sum = 0.0;
        for (size_t j = 0; j < d; ++j) {
            row[j] = mx_test_uniform(r, 0, 1) < zero_frac ? 0.0f : (float)mx_test_uniform(r, 0.01, 1);
            sum += row[j];
        }
        for (size_t j = 0; j < d; ++j) row[j] = sum > 0 ? (float)(row[j] / sum) : 0.0f;
    }
}

static float *outputs(size_t n) { /* n results and a sentinel */
    float *out = mx_test_floats(n + 1);
    for (size_t i = 0; i <= n; ++i) out[i] = -12345.0f;
    return out;
}
#define assert_sentinel(out, n) cr_assert_eq((out)[n], -12345.0f, "wrote past the end of the output")

/* ---- variant tables ---------------------------------------------------------- */
typedef void (*kl_gauss_fn)(const float *, const float *, size_t, const float *, const float *,
                            size_t, size_t, size_t, float *);
typedef void (*kl_std_fn)(const float *, const float *, size_t, size_t, size_t, float *);
typedef void (*kl_mix_fn)(const float *, const float *, size_t, size_t, const float *,
                          const float *, size_t, size_t, size_t, float *, size_t, void *, size_t);
typedef void (*cat_fn)(const float *, size_t, const float *, size_t, size_t, size_t, float *);
typedef void (*js_mc_fn)(const float *, const float *, size_t, const float *, const float *,
                         size_t, size_t, size_t, const float *, size_t, size_t, float *, float *,
                         void *, size_t);

static const kl_gauss_fn kl_gauss_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_diag_gauss_rows_f32);
static const kl_std_fn kl_std_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_std_normal_rows_f32);
static const kl_mix_fn kl_mix_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_diag_gauss_to_mixture_f32);
static const cat_fn kl_cat_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_categorical_rows_f32);
static const cat_fn js_cat_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_js_categorical_rows_f32);
static const js_mc_fn js_mc_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_js_diag_gauss_rows_f32);

static const size_t few_rows[] = {0, 1, 3, 17};

/* ============================================================================ */
/* ---- 1. KL between diagonal Gaussians --------------------------------------- */
typedef struct {
    size_t n, d, ld1, ld2;
    float *m1, *lv1, *m2, *lv2;
} gauss_pair;

static gauss_pair gauss_pair_new(size_t n, size_t d, size_t pad) {
    gauss_pair g = {n, d, d + pad, d + 2 * pad, NULL, NULL, NULL, NULL};
    /* one allocation per family: m and lv interleaved as [m | lv] rows */
    g.m1 = guarded(n, 2 * d + pad, 2 * g.ld1), g.lv1 = g.m1 + g.ld1;
    g.m2 = guarded(n, 2 * d + 2 * pad, 2 * g.ld2), g.lv2 = g.m2 + g.ld2;
    g.ld1 *= 2, g.ld2 *= 2;
    return g;
}

static void gauss_pair_fill(mx_test_rng *r, gauss_pair *g, double m_scale, double lv_lo,
                            double lv_hi) {
    fill_rows(r, g->m1, g->n, g->d, g->ld1, -m_scale, m_scale);
    fill_rows(r, g->m2, g->n, g->d, g->ld2, -m_scale, m_scale);
    fill_rows(r, g->lv1, g->n, g->d, g->ld1, lv_lo, lv_hi);
    fill_rows(r, g->lv2, g->n, g->d, g->ld2, lv_lo, lv_hi);
}

static void gauss_pair_free(gauss_pair *g) { free(g->m1), free(g->m2); }

/* Makes the second Gaussian of every row equal to the first. */
static void gauss_pair_make_identical(gauss_pair *g) {
    for (size_t i = 0; i < g->n; ++i) {
        memcpy(g->m2 + i * g->ld2, g->m1 + i * g->ld1, g->d * sizeof(float));
        memcpy(g->lv2 + i * g->ld2, g->lv1 + i * g->ld1, g->d * sizeof(float));
    }
}

/* Runs one variant on g and checks every row against the oracle. */
static mx_check check_kl_gauss(kl_gauss_fn fn, const gauss_pair *g, float *got, double perturb) {
    double *want = mx_test_doubles(g->n + 1), *bound = mx_test_doubles(g->n + 1);
    fn(g->m1, g->lv1, g->ld1, g->m2, g->lv2, g->ld2, g->n, g->d, got);
    for (size_t i = 0; i < g->n; ++i) {
        const float *a = g->m1 + i * g->ld1, *b = g->lv1 + i * g->ld1;
        const float *c = g->m2 + i * g->ld2, *e = g->lv2 + i * g->ld2;
        want[i] = mx_ref_kl_diag_gauss(a, b, c, e, g->d);
        bound[i] = bound_kl_gauss(a, b, c, e, g->d);
        want[i] += perturb * bound[i];
    }
    expect_overflow(got, want, bound, g->n, 2.0);
    mx_check chk = mx_check_abs(got, want, bound, g->n);
    free(want), free(bound);
    return chk;
}

MX_ISA_TEST(div, kl_gauss_shapes) {
    mx_test_rng r = mx_test_rng_seed(11);
    for (size_t a = 0; a < sizeof few_rows / sizeof few_rows[0]; ++a)
        for (size_t b = 0; b < mx_test_sizes_count; ++b) {
            gauss_pair g = gauss_pair_new(few_rows[a], mx_test_sizes[b], 3);
            gauss_pair_fill(&r, &g, 2.0, -3.0, 3.0);
            float *got = outputs(g.n);
            mx_assert_check(check_kl_gauss(kl_gauss_v[isa], &g, got, 0.0), "%s n=%zu d=%zu",
                            mx_isa_name(isa), g.n, g.d);
            assert_sentinel(got, g.n);
            free(got), gauss_pair_free(&g);
        }
}

MX_ISA_TEST(div, kl_gauss_large) {
    /* 100 x 784 reaches the OpenMP threshold of the row kernels */
    static const size_t shapes[][2] = {{100, 784}, {1000, 10}, {8, 4099}};
    mx_test_rng r = mx_test_rng_seed(12);
    for (size_t s = 0; s < 3; ++s) {
        gauss_pair g = gauss_pair_new(shapes[s][0], shapes[s][1], 0);
        gauss_pair_fill(&r, &g, 3.0, -6.0, 6.0);
        float *got = outputs(g.n);
        mx_assert_check(check_kl_gauss(kl_gauss_v[isa], &g, got, 0.0), "%s n=%zu d=%zu",
                        mx_isa_name(isa), g.n, g.d);
        free(got), gauss_pair_free(&g);
    }
}

/* lv in [-80, 80] (e^(lv1-lv2) beyond FLT_MAX -> +inf), means up to 1e15,
 * log-variances at the domain's edge, subnormals, near-equal parameters. */
MX_ISA_TEST(div, kl_gauss_adversarial) {
    mx_test_rng r = mx_test_rng_seed(13);
    const size_t n = 40, d = 37;
    gauss_pair g = gauss_pair_new(n, d, 1);
    for (size_t i = 0; i < n; ++i) {
        float *m1 = g.m1 + i * g.ld1, *lv1 = g.lv1 + i * g.ld1;
        float *m2 = g.m2 + i * g.ld2, *lv2 = g.lv2 + i * g.ld2;
        for (size_t j = 0; j < d; ++j) {
            switch (i % 8) {
            case 0: /* wide log-variances: many rows overflow to +inf */
                lv1[j] = (float)mx_test_uniform(&r, -80, 80), lv2[j] = (float)mx_test_uniform(&r, -80, 80);
                m1[j] = (float)mx_test_uniform(&r, -1, 1), m2[j] = (float)mx_test_uniform(&r, -1, 1);
                break;
            case 1: /* huge means, large p-variance: finite */
                lv1[j] = (float)mx_test_uniform(&r, -80, 80), lv2[j] = (float)mx_test_uniform(&r, 20, 80);
                lv1[j] = lv1[j] > lv2[j] + 80 ? lv2[j] + 80 : lv1[j];
                m1[j] = (float)mx_test_uniform(&r, -1e15, 1e15), m2[j] = (float)mx_test_uniform(&r, -1e15, 1e15);
                break;
            case 2: /* near-equal: 1-ULP apart */
                lv1[j] = (float)mx_test_uniform(&r, -5, 5), lv2[j] = nextafterf(lv1[j], INFINITY);
                m1[j] = (float)mx_test_uniform(&r, -5, 5), m2[j] = nextafterf(m1[j], -INFINITY);
                break;
            case 3: /* subnormal means and log-variances */
                lv1[j] = 1e-40f * (float)j, lv2[j] = -3e-41f * (float)j;
                m1[j] = 2e-45f * (float)j, m2[j] = -1e-39f;
                break;
            case 4: /* the domain's edges */
                lv1[j] = (j % 2) ? MX_DIV_LOGVAR_MAX : -MX_DIV_LOGVAR_MAX, lv2[j] = -lv1[j];
                m1[j] = 1.0f, m2[j] = -1.0f;
                break;
            case 5: /* large variance ratio the other way: KL dominated by -delta */
                lv1[j] = -80.0f, lv2[j] = 80.0f, m1[j] = 1e15f, m2[j] = -1e15f;
                break;
            default: /* ordinary */
                lv1[j] = (float)mx_test_uniform(&r, -10, 10), lv2[j] = (float)mx_test_uniform(&r, -10, 10);
                m1[j] = (float)mx_test_uniform(&r, -100, 100), m2[j] = (float)mx_test_uniform(&r, -100, 100);
            }
        }
    }
    float *got = outputs(n);
    mx_assert_check(check_kl_gauss(kl_gauss_v[isa], &g, got, 0.0), "%s adversarial", mx_isa_name(isa));
    int infinite = 0;
    for (size_t i = 0; i < n; ++i) infinite += isinf(got[i]);
    cr_assert(infinite > 0 && infinite < (int)n, "expected some +inf rows (%d)", infinite);
    free(got), gauss_pair_free(&g);
}

MX_ISA_TEST(div, kl_gauss_identical_is_zero) {
    mx_test_rng r = mx_test_rng_seed(14);
    gauss_pair g = gauss_pair_new(9, 100, 0);
    gauss_pair_fill(&r, &g, 1e6, -80.0, 80.0);
    gauss_pair_make_identical(&g);
    float *got = outputs(g.n);
    kl_gauss_v[isa](g.m1, g.lv1, g.ld1, g.m2, g.lv2, g.ld2, g.n, g.d, got);
    for (size_t i = 0; i < g.n; ++i) cr_assert_eq(got[i], 0.0f, "row %zu: %g", i, got[i]);
    free(got), gauss_pair_free(&g);
}

MX_ISA_TEST(div, kl_gauss_rejects_perturbed) {
    mx_test_rng r = mx_test_rng_seed(15);
    gauss_pair g = gauss_pair_new(7, 33, 2);
    gauss_pair_fill(&r, &g, 2.0, -3.0, 3.0);
    float *got = outputs(g.n);
    mx_assert_rejects(check_kl_gauss(kl_gauss_v[isa], &g, got, 4.0), "%s", mx_isa_name(isa));
    free(got), gauss_pair_free(&g);
}

/* ---- 2. KL to N(0, I) ---------------------------------------------------------- */
static mx_check check_kl_std(kl_std_fn fn, const float *m, const float *lv, size_t ld, size_t n,
                             size_t d, float *got, double perturb) {
    double *want = mx_test_doubles(n + 1), *bound = mx_test_doubles(n + 1);
    fn(m, lv, ld, n, d, got);
    for (size_t i = 0; i < n; ++i) {
        want[i] = mx_ref_kl_std_normal(m + i * ld, lv + i * ld, d);
        bound[i] = bound_kl_std(m + i * ld, lv + i * ld, d);
        want[i] += perturb * bound[i];
    }
    expect_overflow(got, want, bound, n, 2.0);
    mx_check chk = mx_check_abs(got, want, bound, n);
    free(want), free(bound);
    return chk;
}

MX_ISA_TEST(div, kl_std_shapes) {
    mx_test_rng r = mx_test_rng_seed(21);
    for (size_t a = 0; a < sizeof few_rows / sizeof few_rows[0]; ++a)
        for (size_t b = 0; b < mx_test_sizes_count; ++b) {
            size_t n = few_rows[a], d = mx_test_sizes[b], ld = 2 * d + 5;
            float *m = guarded(n, 2 * d + 1, ld), *lv = m + d + 1;
            fill_rows(&r, m, n, d, ld, -3, 3);
            fill_rows(&r, lv, n, d, ld, -4, 4);
            float *got = outputs(n);
            mx_assert_check(check_kl_std(kl_std_v[isa], m, lv, ld, n, d, got, 0.0), "%s n=%zu d=%zu",
                            mx_isa_name(isa), n, d);
            assert_sentinel(got, n);
            free(got), free(m);
        }
}

MX_ISA_TEST(div, kl_std_large_and_adversarial) {
    mx_test_rng r = mx_test_rng_seed(22);
    const size_t n = 48, d = 784;
    float *m = guarded(n, d, d), *lv = guarded(n, d, d);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) {
            float *mm = m + i * d + j, *ll = lv + i * d + j;
            switch (i % 6) {
            case 0: *ll = (float)mx_test_uniform(&r, -80, 80), *mm = (float)mx_test_uniform(&r, -1e15, 1e15); break;
            case 1: *ll = (float)mx_test_uniform(&r, -1e-4, 1e-4), *mm = (float)mx_test_uniform(&r, -1e-3, 1e-3); break;
            case 2: *ll = 1e-41f * (float)(j % 7), *mm = 3e-44f * (float)(j % 5); break; /* subnormal */
            case 3: *ll = (j % 2) ? MX_DIV_LOGVAR_MAX : -MX_DIV_LOGVAR_MAX, *mm = 0.0f; break;
            case 4: *ll = 0.0f, *mm = 0.0f; break; /* exactly N(0, I): 0 */
            default: *ll = (float)mx_test_uniform(&r, -6, 6), *mm = (float)mx_test_uniform(&r, -4, 4);
            }
        }
    float *got = outputs(n);
    mx_assert_check(check_kl_std(kl_std_v[isa], m, lv, d, n, d, got, 0.0), "%s", mx_isa_name(isa));
    cr_assert_eq(got[4], 0.0f);
    cr_assert(isinf(got[3]), "lv = 170 overflows e^lv: +inf");
    free(got), free(m), free(lv);
}

MX_ISA_TEST(div, kl_std_rejects_perturbed) {
    mx_test_rng r = mx_test_rng_seed(23);
    const size_t n = 5, d = 31;
    float *m = guarded(n, d, d), *lv = guarded(n, d, d);
    fill_rows(&r, m, n, d, d, -2, 2);
    fill_rows(&r, lv, n, d, d, -2, 2);
    float *got = outputs(n);
    mx_assert_rejects(check_kl_std(kl_std_v[isa], m, lv, d, n, d, got, -4.0), "%s", mx_isa_name(isa));
    free(got), free(m), free(lv);
}

/* ---- 3. KL to every mixture component ----------------------------------------- */
static mx_check check_kl_mix(kl_mix_fn fn, const float *m, const float *lv, size_t ld, size_t n,
                             const float *mu, const float *lvar, size_t ldc, size_t k, size_t d,
                             double perturb) {
    const size_t ldo = k + 2, ws = mx_kl_diag_gauss_to_mixture_f32_workspace_size(k, d);
    float *got = mx_test_floats(n * ldo + 1);
    for (size_t i = 0; i < n * ldo + 1; ++i) got[i] = -12345.0f;
    unsigned char *work = mx_test_alloc(ws + 3);
    fn(m, lv, ld, n, mu, lvar, ldc, k, d, got, ldo, work + 3, ws); /* misaligned on purpose */
    double *want = mx_test_doubles(n * k + 1), *bound = mx_test_doubles(n * k + 1);
    float *packed = mx_test_floats(n * k + 1);
    for (size_t i = 0; i < n; ++i) {
        for (size_t c = 0; c < k; ++c) {
            const float *a = m + i * ld, *b = lv + i * ld, *x = mu + c * ldc, *y = lvar + c * ldc;
            double kl = mx_ref_kl_diag_gauss(a, b, x, y, d);
            want[i * k + c] = kl, packed[i * k + c] = got[i * ldo + c];
            bound[i * k + c] = bound_kl_mix(a, b, x, y, d, kl);
            want[i * k + c] += perturb * bound[i * k + c];
        }
        for (size_t c = k; c < ldo && (i + 1 < n || c < k); ++c)
            cr_assert_eq(got[i * ldo + c], -12345.0f, "wrote into the ldo gap");
    }
    expect_overflow(packed, want, bound, n * k, 2.0);
    mx_check chk = mx_check_abs(packed, want, bound, n * k);
    free(got), free(work), free(want), free(bound), free(packed);
    return chk;
}

MX_ISA_TEST(div, kl_mix_shapes) {
    static const size_t ns[] = {0, 1, 3, 5, 17}, ks[] = {1, 3, 4, 7, 30};
    mx_test_rng r = mx_test_rng_seed(31);
    for (size_t a = 0; a < 5; ++a)
        for (size_t c = 0; c < 5; ++c)
            for (size_t b = 0; b < mx_test_sizes_count; b += (a + c) % 2 ? 2 : 1) {
                size_t n = ns[a], k = ks[c], d = mx_test_sizes[b], ld = 2 * d + 3, ldc = 2 * d + 1;
                float *m = guarded(n, 2 * d + 1, ld), *lv = m + d + 1;
                float *mu = guarded(k, 2 * d, ldc), *lvar = mu + d;
                fill_rows(&r, m, n, d, ld, -3, 3), fill_rows(&r, lv, n, d, ld, -3, 3);
                fill_rows(&r, mu, k, d, ldc, -3, 3), fill_rows(&r, lvar, k, d, ldc, -3, 3);
                mx_assert_check(check_kl_mix(kl_mix_v[isa], m, lv, ld, n, mu, lvar, ldc, k, d, 0.0),
                                "%s n=%zu k=%zu d=%zu", mx_isa_name(isa), n, k, d);
                free(m), free(mu);
            }
}

/* VaDE shapes; and rows/components outside the fast path's range (|lv| > 80,
 * |m| > 2^60) mixed with ordinary ones; identical q_n = p_c. */
MX_ISA_TEST(div, kl_mix_large_and_adversarial) {
    mx_test_rng r = mx_test_rng_seed(32);
    static const size_t shapes[][3] = {{64, 30, 200}, {100, 10, 10}}; /* VaDE: K <= 30, D = 200 or 10 */
    for (size_t s = 0; s < 2; ++s) {
        size_t n = shapes[s][0], k = shapes[s][1], d = shapes[s][2];
        float *m = guarded(n, d, d), *lv = guarded(n, d, d), *mu = guarded(k, d, d), *lvar = guarded(k, d, d);
        fill_rows(&r, m, n, d, d, -2, 2), fill_rows(&r, lv, n, d, d, -4, 1);
        fill_rows(&r, mu, k, d, d, -2, 2), fill_rows(&r, lvar, k, d, d, -1, 1);
        mx_assert_check(check_kl_mix(kl_mix_v[isa], m, lv, d, n, mu, lvar, d, k, d, 0.0), "%s n=%zu k=%zu d=%zu",
                        mx_isa_name(isa), n, k, d);
        free(m), free(lv), free(mu), free(lvar);
    }
    const size_t n = 13, k = 9, d = 45;
    float *m = guarded(n, d, d), *lv = guarded(n, d, d), *mu = guarded(k, d, d), *lvar = guarded(k, d, d);
    fill_rows(&r, m, n, d, d, -2, 2), fill_rows(&r, lv, n, d, d, -50, 50);
    fill_rows(&r, mu, k, d, d, -2, 2), fill_rows(&r, lvar, k, d, d, -50, 50);
    lv[2 * d + 5] = 120.0f, lv[3 * d + 7] = -MX_DIV_LOGVAR_MAX, m[4 * d] = 1e20f, m[5 * d + 44] = -3e18f;
    lvar[1 * d + 3] = 150.0f, mu[2 * d + 9] = 5e19f, lvar[8 * d] = -100.0f;
    memcpy(m + 6 * d, mu + 4 * d, d * sizeof(float)); /* q_6 = p_4 */
    memcpy(lv + 6 * d, lvar + 4 * d, d * sizeof(float));
    mx_assert_check(check_kl_mix(kl_mix_v[isa], m, lv, d, n, mu, lvar, d, k, d, 0.0), "%s untame", mx_isa_name(isa));
    free(m), free(lv), free(mu), free(lvar);
}

MX_ISA_TEST(div, kl_mix_rejects_perturbed) {
    mx_test_rng r = mx_test_rng_seed(33);
    const size_t n = 6, k = 5, d = 20;
    float *m = guarded(n, d, d), *lv = guarded(n, d, d), *mu = guarded(k, d, d), *lvar = guarded(k, d, d);
    fill_rows(&r, m, n, d, d, -2, 2), fill_rows(&r, lv, n, d, d, -2, 2);
    fill_rows(&r, mu, k, d, d, -2, 2), fill_rows(&r, lvar, k, d, d, -2, 2);
    mx_assert_rejects(check_kl_mix(kl_mix_v[isa], m, lv, d, n, mu, lvar, d, k, d, 4.0), "%s", mx_isa_name(isa));
    free(m), free(lv), free(mu), free(lvar);
}

/* ---- 4. categorical KL and JS -------------------------------------------------- */
static mx_check check_cat(int js, cat_fn fn, const float *p, size_t ldp, const float *q, size_t ldq,
                          size_t n, size_t d, float *got, double perturb) {
    double *want = mx_test_doubles(n + 1), *bound = mx_test_doubles(n + 1);
    fn(p, ldp, q, ldq, n, d, got);
    for (size_t i = 0; i < n; ++i) {
        const float *a = p + i * ldp, *b = q + i * ldq;
        want[i] = js ? mx_ref_js_categorical(a, b, d) : mx_ref_kl_categorical(a, b, d);
        bound[i] = js ? bound_js_cat(a, b, d) : bound_kl_cat(a, b, d);
        want[i] += perturb * bound[i];
    }
    expect_overflow(got, want, bound, n, js ? 2.0 : 1.0);
    mx_check chk = mx_check_abs(got, want, bound, n);
    free(want), free(bound);
    return chk;
}

static void cat_shapes(mx_isa isa, int js) {
    const cat_fn fn = js ? js_cat_v[isa] : kl_cat_v[isa];
    mx_test_rng r = mx_test_rng_seed(41 + (uint64_t)js);
    for (size_t a = 0; a < sizeof few_rows / sizeof few_rows[0]; ++a)
        for (size_t b = 0; b < mx_test_sizes_count; ++b) {
            size_t n = few_rows[a], d = mx_test_sizes[b], ldp = d + 3, ldq = d + 1;
            float *p = guarded(n, d, ldp), *q = guarded(n, d, ldq);
            fill_probs(&r, p, n, d, ldp, 0.2);
            fill_probs(&r, q, n, d, ldq, 0.0);
            float *got = outputs(n);
            mx_assert_check(check_cat(js, fn, p, ldp, q, ldq, n, d, got, 0.0), "%s %s n=%zu d=%zu",
                            mx_isa_name(isa), js ? "js" : "kl", n, d);
            assert_sentinel(got, n);
            free(got), free(p), free(q);
        }
}

MX_ISA_TEST(div, kl_cat_shapes) { cat_shapes(isa, 0); }
MX_ISA_TEST(div, js_cat_shapes) { cat_shapes(isa, 1); }

/* Rows of d = 784 (MNIST): one-hot, zeros in q where p > 0 (KL = +inf),
 * subnormal probabilities, ratios beyond the float range, unnormalised
 * histograms up to 1e35 and (row 12, sums overflow) 3e38, identical rows,
 * disjoint supports. */
enum { ADV_ROWS = 13 };
static void cat_adversarial_rows(mx_test_rng *r, float *p, float *q, size_t d) {
    fill_probs(r, p, ADV_ROWS, d, d, 0.3);
    fill_probs(r, q, ADV_ROWS, d, d, 0.0);
    for (size_t j = 0; j < d; ++j) {
        p[0 * d + j] = (j == 5), q[0 * d + j] = (j == 5);            /* identical one-hot  */
        p[1 * d + j] = (j == 5), q[1 * d + j] = (j == 6);            /* disjoint one-hot   */
        q[2 * d + j] = (j % 3 == 0) ? 0.0f : q[2 * d + j];           /* q = 0 where p > 0  */
        p[3 * d + j] = (j % 2) ? 1e-45f * (float)(j % 9) : p[3 * d + j]; /* subnormal p    */
        q[4 * d + j] = (j % 2) ? 1e-44f : q[4 * d + j];              /* subnormal q: p/q overflows */
        p[5 * d + j] = (j % 2) ? 3e-45f : 0.0f;                      /* only subnormals    */
        q[5 * d + j] = (j % 4) ? 1e-45f : 2e-39f;
        p[6 * d + j] = (float)mx_test_uniform(r, 0, 1e35), q[6 * d + j] = (float)mx_test_uniform(r, 1e34, 3e35);
        p[12 * d + j] = (float)mx_test_uniform(r, 0, 3e38), q[12 * d + j] = (float)mx_test_uniform(r, 1e37, 3e38);
        p[7 * d + j] = q[7 * d + j];                                  /* identical rows     */
        p[8 * d + j] = (float)mx_test_uniform(r, 0, 100);             /* unnormalised       */
        q[9 * d + j] = (j < 10) ? 0.9f / 10 : 0.1f / (float)(d - 10); /* p on tiny q */
        p[10 * d + j] = (j == 0) ? 1.0f : 1e-38f, q[10 * d + j] = (j == 0) ? 1e-38f : 1.0f;
        p[11 * d + j] = 1.0f / (float)d, q[11 * d + j] = 1.0f / (float)d; /* uniform = uniform */
    }
}

MX_ISA_TEST(div, kl_cat_adversarial) {
    mx_test_rng r = mx_test_rng_seed(43);
    const size_t d = 784;
    float *p = guarded(ADV_ROWS, d, d), *q = guarded(ADV_ROWS, d, d);
    cat_adversarial_rows(&r, p, q, d);
    float *got = outputs(ADV_ROWS);
    mx_assert_check(check_cat(0, kl_cat_v[isa], p, d, q, d, ADV_ROWS, d, got, 0.0), "%s", mx_isa_name(isa));
    cr_assert_eq(got[0], 0.0f, "KL(p || p) of one-hot rows");
    cr_assert(isinf(got[1]) && isinf(got[2]), "q = 0 where p > 0 gives +inf");
    cr_assert_eq(got[7], 0.0f, "KL(p || p) = 0 exactly");
    cr_assert_eq(got[11], 0.0f, "KL(p || p) = 0 exactly");
    for (size_t i = 3; i < 12; ++i) cr_assert(isfinite(got[i]), "row %zu finite", i);
    free(got), free(p), free(q);
}

MX_ISA_TEST(div, js_cat_adversarial) {
    mx_test_rng r = mx_test_rng_seed(44);
    const size_t d = 784;
    float *p = guarded(ADV_ROWS, d, d), *q = guarded(ADV_ROWS, d, d);
    cat_adversarial_rows(&r, p, q, d);
    float *got = outputs(ADV_ROWS);
    mx_assert_check(check_cat(1, js_cat_v[isa], p, d, q, d, ADV_ROWS, d, got, 0.0), "%s", mx_isa_name(isa));
    cr_assert_eq(got[0], 0.0f, "JS of identical one-hot rows");
    const double b1 = bound_js_cat(p + d, q + d, d);
    cr_assert(fabs(got[1] - log(2.0)) <= b1, "disjoint supports: log 2, got %.9g", got[1]);
    cr_assert(isinf(got[12]), "the sum of row 12 overflows");
    for (size_t i = 0; i < 12; ++i) {
        cr_assert(isfinite(got[i]) && got[i] >= 0.0f, "row %zu: %g", i, got[i]);
        double mass = 0.0; /* JS <= log 2 (sum p + sum q) / 2: log 2 for normalised rows */
        for (size_t j = 0; j < d; ++j) mass += 0.5 * ((double)p[i * d + j] + q[i * d + j]);
        cr_assert(got[i] <= log(2.0) * mass + bound_js_cat(p + i * d, q + i * d, d), "row %zu: %g", i, got[i]);
    }
    free(got), free(p), free(q);
}

MX_ISA_TEST(div, cat_rejects_perturbed) {
    mx_test_rng r = mx_test_rng_seed(45);
    const size_t n = 6, d = 100;
    float *p = guarded(n, d, d), *q = guarded(n, d, d), *got = outputs(n);
    fill_probs(&r, p, n, d, d, 0.1), fill_probs(&r, q, n, d, d, 0.0);
    mx_assert_rejects(check_cat(0, kl_cat_v[isa], p, d, q, d, n, d, got, 4.0), "%s kl", mx_isa_name(isa));
    mx_assert_rejects(check_cat(1, js_cat_v[isa], p, d, q, d, n, d, got, -4.0), "%s js", mx_isa_name(isa));
    free(got), free(p), free(q);
}

/* ---- 5. JS between diagonal Gaussians (Monte Carlo) ---------------------------- */
typedef struct {
    mx_check js, se;
} mc_checks;

static mc_checks check_js_mc(js_mc_fn fn, const gauss_pair *g, const float *eps, size_t ld_eps,
                             size_t s, double perturb) {
    const size_t n = g->n, ws = mx_js_diag_gauss_rows_f32_workspace_size(g->d);
    float *js = outputs(n), *se = outputs(n);
    unsigned char *work = mx_test_alloc(ws + 5);
    fn(g->m1, g->lv1, g->ld1, g->m2, g->lv2, g->ld2, n, g->d, eps, ld_eps, s, js, se, work + 5, ws);
    double *want = mx_test_doubles(n + 1), *bound = mx_test_doubles(n + 1);
    double *want_se = mx_test_doubles(n + 1), *bound_se = mx_test_doubles(n + 1);
    for (size_t i = 0; i < n; ++i) {
        const float *a = g->m1 + i * g->ld1, *b = g->lv1 + i * g->ld1;
        const float *c = g->m2 + i * g->ld2, *e = g->lv2 + i * g->ld2;
        mx_ref_js_diag_gauss_mc(a, b, c, e, g->d, eps, ld_eps, s, &want[i], &want_se[i], NULL);
        bound[i] = bound_js_mc(a, b, c, e, g->d, eps, ld_eps, s, want[i], want_se[i], &bound_se[i]);
        want[i] += perturb * bound[i];
        want_se[i] += perturb * bound_se[i];
    }
    mc_checks out = {mx_check_abs(js, want, bound, n), mx_check_abs(se, want_se, bound_se, n)};
    assert_sentinel(js, n);
    assert_sentinel(se, n);
    free(js), free(se), free(work), free(want), free(bound), free(want_se), free(bound_se);
    return out;
}

static float *normals(mx_test_rng *r, size_t s, size_t d, size_t ld) {
    float *eps = guarded(s, d, ld);
    for (size_t k = 0; k < s; ++k) mx_test_fill_normal(r, eps + k * ld, d, 0.0, 1.0);
    return eps;
}

MX_ISA_TEST(div, js_mc_shapes) {
    mx_test_rng r = mx_test_rng_seed(51);
    for (size_t a = 0; a < sizeof few_rows / sizeof few_rows[0]; ++a)
        for (size_t b = 0; b < mx_test_sizes_count; ++b) {
            const size_t s = 6, d = mx_test_sizes[b];
            gauss_pair g = gauss_pair_new(few_rows[a], d, 2);
            gauss_pair_fill(&r, &g, 1.5, -2.0, 2.0);
            float *eps = normals(&r, s, d, d + 4);
            mc_checks c = check_js_mc(js_mc_v[isa], &g, eps, d + 4, s, 0.0);
            mx_assert_check(c.js, "%s js n=%zu d=%zu", mx_isa_name(isa), g.n, d);
            mx_assert_check(c.se, "%s se n=%zu d=%zu", mx_isa_name(isa), g.n, d);
            free(eps), gauss_pair_free(&g);
        }
}

/* Far-apart, huge-mean, wide-log-variance rows (per-sample terms near log 2 or
 * very negative), plus a single sample (se = +inf). */
MX_ISA_TEST(div, js_mc_adversarial) {
    mx_test_rng r = mx_test_rng_seed(52);
    const size_t n = 6, d = 50, s = 64;
    gauss_pair g = gauss_pair_new(n, d, 0);
    gauss_pair_fill(&r, &g, 2.0, -2.0, 2.0);
    for (size_t j = 0; j < d; ++j) {
        g.m1[0 * g.ld1 + j] = 1e15f, g.m2[0 * g.ld2 + j] = -1e15f;             /* far apart */
        g.lv1[1 * g.ld1 + j] = (float)mx_test_uniform(&r, -80, 80);          /* wide lv   */
        g.lv2[1 * g.ld2 + j] = (float)mx_test_uniform(&r, -80, 80);
        g.lv1[2 * g.ld1 + j] = MX_DIV_LOGVAR_MAX, g.lv2[2 * g.ld2 + j] = -MX_DIV_LOGVAR_MAX;
        g.m2[3 * g.ld2 + j] = nextafterf(g.m1[3 * g.ld1 + j], INFINITY);   /* 1 ULP apart */
        g.lv2[3 * g.ld2 + j] = g.lv1[3 * g.ld1 + j];
    }
    float *eps = normals(&r, s, d, d);
    mc_checks c = check_js_mc(js_mc_v[isa], &g, eps, d, s, 0.0);
    mx_assert_check(c.js, "%s js", mx_isa_name(isa));
    mx_assert_check(c.se, "%s se", mx_isa_name(isa));
    float js[6], se[6];
    size_t ws = mx_js_diag_gauss_rows_f32_workspace_size(d);
    void *work = mx_test_alloc(ws);
    js_mc_v[isa](g.m1, g.lv1, g.ld1, g.m2, g.lv2, g.ld2, n, d, eps, d, s, js, se, work, ws);
    cr_assert(fabs(js[0] - log(2.0)) < 1e-6, "far apart: JS = log 2, got %.9g", js[0]);
    js_mc_v[isa](g.m1, g.lv1, g.ld1, g.m2, g.lv2, g.ld2, n, d, eps, d, 1, js, se, work, ws);
    for (size_t i = 0; i < n; ++i) cr_assert(isinf(se[i]), "S = 1: se = +inf");
    free(work), free(eps), gauss_pair_free(&g);
}

MX_ISA_TEST(div, js_mc_identical_is_zero) {
    mx_test_rng r = mx_test_rng_seed(53);
    const size_t n = 5, d = 33, s = 20;
    gauss_pair g = gauss_pair_new(n, d, 0);
    gauss_pair_fill(&r, &g, 1e3, -80.0, 80.0);
    gauss_pair_make_identical(&g);
    float *eps = normals(&r, s, d, d), js[5], se[5];
    size_t ws = mx_js_diag_gauss_rows_f32_workspace_size(d);
    void *work = mx_test_alloc(ws);
    js_mc_v[isa](g.m1, g.lv1, g.ld1, g.m2, g.lv2, g.ld2, n, d, eps, d, s, js, se, work, ws);
    for (size_t i = 0; i < n; ++i) cr_assert(js[i] == 0.0f && se[i] == 0.0f, "row %zu: %g +- %g", i, js[i], se[i]);
    free(work), free(eps), gauss_pair_free(&g);
}

/* Identical Gaussians give exactly 0 for every finite sample row the entry
 * accepts, also |eps| > FLT_MAX / 2 (where A + 2 eps overflows while A = 0). */
MX_ISA_TEST(div, js_mc_identical_huge_eps_is_zero) {
    mx_test_rng r = mx_test_rng_seed(56);
    const size_t n = 3, d = 37, s = 4;
    gauss_pair g = gauss_pair_new(n, d, 0);
    gauss_pair_fill(&r, &g, 10.0, -5.0, 5.0);
    gauss_pair_make_identical(&g);
    float *eps = normals(&r, s, d, d), js[3], se[3];
    for (size_t k = 0; k < s; ++k) eps[k * d + (5 * k) % d] = k % 2 ? -FLT_MAX : 3e38f;
    size_t ws = mx_js_diag_gauss_rows_f32_workspace_size(d);
    void *work = mx_test_alloc(ws);
    cr_assert_eq(mx_isa_force(isa), MX_OK);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(g.m1, g.lv1, g.ld1, g.m2, g.lv2, g.ld2, n, d, eps, d, s, js, se,
                                           work, ws), MX_OK, "finite eps is in the domain");
    for (size_t i = 0; i < n; ++i) cr_assert(js[i] == 0.0f && se[i] == 0.0f, "row %zu: %g +- %g", i, js[i], se[i]);
    free(work), free(eps), gauss_pair_free(&g);
}

/* D = 1: the estimate is within 5 standard errors of the quadrature value. */
MX_ISA_TEST(div, js_mc_matches_quadrature) {
    static const float cases[][4] = {{0, 0, 1, 0.5f}, {0, -1, 0.3f, 1}, {-2, 0.5f, 3, -0.5f}, {0, 0, 0.05f, 0}};
    mx_test_rng r = mx_test_rng_seed(54);
    const size_t s = 4000, n = 4;
    float *eps = normals(&r, s, 1, 1);
    float m1[4], lv1[4], m2[4], lv2[4], js[4], se[4];
    for (size_t i = 0; i < n; ++i) m1[i] = cases[i][0], lv1[i] = cases[i][1], m2[i] = cases[i][2], lv2[i] = cases[i][3];
    size_t ws = mx_js_diag_gauss_rows_f32_workspace_size(1);
    void *work = mx_test_alloc(ws);
    js_mc_v[isa](m1, lv1, 1, m2, lv2, 1, n, 1, eps, 1, s, js, se, work, ws);
    for (size_t i = 0; i < n; ++i) {
        double exact = mx_ref_js_gauss_1d_quadrature(m1[i], lv1[i], m2[i], lv2[i]);
        cr_assert(se[i] > 0 && se[i] < 0.01, "case %zu: se %g", i, se[i]);
        cr_assert(fabs(js[i] - exact) <= 5.0 * se[i], "case %zu: MC %.6g vs quadrature %.6g (se %.3g)", i, js[i],
                  exact, se[i]);
        cr_assert(exact > 0 && exact < log(2.0), "case %zu: quadrature %.6g", i, exact);
    }
    free(work), free(eps);
}

MX_ISA_TEST(div, js_mc_rejects_perturbed) {
    mx_test_rng r = mx_test_rng_seed(55);
    gauss_pair g = gauss_pair_new(4, 21, 1);
    gauss_pair_fill(&r, &g, 1.0, -1.0, 1.0);
    float *eps = normals(&r, 16, 21, 21);
    mc_checks c = check_js_mc(js_mc_v[isa], &g, eps, 21, 16, 4.0);
    mx_assert_rejects(c.js, "%s js", mx_isa_name(isa));
    mx_assert_rejects(c.se, "%s se", mx_isa_name(isa));
    free(eps), gauss_pair_free(&g);
}

/* ---- dispatched entries ------------------------------------------------------- */
/* Under each forced ISA the entries run and agree with the oracle. */
MX_ISA_TEST(div, dispatch_forced_isa) {
    cr_assert_eq(mx_isa_force(isa), MX_OK);
    mx_test_rng r = mx_test_rng_seed(61);
    const size_t n = 5, k = 3, d = 23, s = 6;
    float *m1 = guarded(n, d, d), *lv1 = guarded(n, d, d), *m2 = guarded(n, d, d), *lv2 = guarded(n, d, d);
    fill_rows(&r, m1, n, d, d, -2, 2), fill_rows(&r, lv1, n, d, d, -2, 2);
    fill_rows(&r, m2, n, d, d, -2, 2), fill_rows(&r, lv2, n, d, d, -2, 2);
    float *p = guarded(n, d, d), *q = guarded(n, d, d), *eps = normals(&r, s, d, d);
    fill_probs(&r, p, n, d, d, 0.2), fill_probs(&r, q, n, d, d, 0.0);
    float out[5 * 3], se[5];
    size_t ws = mx_kl_diag_gauss_to_mixture_f32_workspace_size(k, d) + mx_js_diag_gauss_rows_f32_workspace_size(d);
    void *work = mx_test_alloc(ws);
    for (size_t i = 0; i < n; ++i) {
        const float *a = m1 + i * d, *b = lv1 + i * d, *c = m2 + i * d, *e = lv2 + i * d;
        cr_assert_eq(mx_kl_diag_gauss_rows_f32(m1, lv1, d, m2, lv2, d, n, d, out), MX_OK);
        cr_assert(fabs(out[i] - mx_ref_kl_diag_gauss(a, b, c, e, d)) <= bound_kl_gauss(a, b, c, e, d));
        cr_assert_eq(mx_kl_std_normal_rows_f32(m1, lv1, d, n, d, out), MX_OK);
        cr_assert(fabs(out[i] - mx_ref_kl_std_normal(a, b, d)) <= bound_kl_std(a, b, d));
        cr_assert_eq(mx_kl_categorical_rows_f32(p, d, q, d, n, d, out), MX_OK);
        cr_assert(fabs(out[i] - mx_ref_kl_categorical(p + i * d, q + i * d, d)) <= bound_kl_cat(p + i * d, q + i * d, d));
        cr_assert_eq(mx_js_categorical_rows_f32(p, d, q, d, n, d, out), MX_OK);
        cr_assert(fabs(out[i] - mx_ref_js_categorical(p + i * d, q + i * d, d)) <= bound_js_cat(p + i * d, q + i * d, d));
        cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m1, lv1, d, n, m2, lv2, d, k, d, out, k, work, ws), MX_OK);
        for (size_t c2 = 0; c2 < k; ++c2) {
            double kl = mx_ref_kl_diag_gauss(a, b, m2 + c2 * d, lv2 + c2 * d, d);
            cr_assert(fabs(out[i * k + c2] - kl) <= bound_kl_mix(a, b, m2 + c2 * d, lv2 + c2 * d, d, kl));
        }
        cr_assert_eq(mx_js_diag_gauss_rows_f32(m1, lv1, d, m2, lv2, d, n, d, eps, d, s, out, se, work, ws), MX_OK);
        double js, sev, seb;
        mx_ref_js_diag_gauss_mc(a, b, c, e, d, eps, d, s, &js, &sev, NULL);
        cr_assert(fabs(out[i] - js) <= bound_js_mc(a, b, c, e, d, eps, d, s, js, sev, &seb));
        cr_assert(fabs(se[i] - sev) <= seb);
    }
    free(work), free(m1), free(lv1), free(m2), free(lv2), free(p), free(q), free(eps);
}

Test(div, validation_gaussian) {
    float m[8] = {0}, lv[8] = {0}, out[4], bad[8] = {0};
    const size_t huge = SIZE_MAX / 2;
    /* kernel 1 */
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(NULL, lv, 4, m, lv, 4, 2, 4, out), MX_ERR_ARG);
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, NULL, 4, m, lv, 4, 2, 4, out), MX_ERR_ARG);
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, NULL), MX_ERR_ARG);
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, lv, 3, m, lv, 4, 2, 4, out), MX_ERR_ARG, "ld < d");
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, lv, huge, m, lv, 4, 2, 4, out), MX_ERR_ARG, "size overflow");
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(NULL, NULL, 0, NULL, NULL, 0, 0, 4, NULL), MX_OK, "n = 0");
    out[0] = out[1] = -1.0f;
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(NULL, NULL, 0, NULL, NULL, 0, 2, 0, out), MX_OK, "d = 0");
    cr_assert(out[0] == 0.0f && out[1] == 0.0f, "d = 0 gives KL = 0");
    bad[5] = NAN;
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, lv, 4, bad, lv, 4, 2, 4, out), MX_ERR_DOMAIN, "NaN mean");
    bad[5] = INFINITY;
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(bad, lv, 4, m, lv, 4, 2, 4, out), MX_ERR_DOMAIN, "inf mean");
    bad[5] = 171.0f;
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, lv, 4, m, bad, 4, 2, 4, out), MX_ERR_DOMAIN, "lv > 170");
    bad[5] = -INFINITY;
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, bad, 4, m, lv, 4, 2, 4, out), MX_ERR_DOMAIN, "lv = -inf");
    bad[5] = MX_DIV_LOGVAR_MAX;
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, bad, 4, m, lv, 4, 2, 4, out), MX_OK, "lv = 170 is allowed");
    /* kernel 2 */
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, lv, 4, 2, 4, NULL), MX_ERR_ARG);
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, NULL, 4, 2, 4, out), MX_ERR_ARG);
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, lv, 2, 2, 4, out), MX_ERR_ARG);
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, lv, huge, 2, 4, out), MX_ERR_ARG);
    bad[5] = NAN;
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, bad, 4, 2, 4, out), MX_ERR_DOMAIN);
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, lv, 4, 2, 4, out), MX_OK);
    /* kernel 3 */
    size_t ws = mx_kl_diag_gauss_to_mixture_f32_workspace_size(2, 4);
    void *work = mx_test_alloc(ws);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, m, lv, 4, 2, 4, out, 2, work, ws), MX_OK);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, m, lv, 4, 2, 4, out, 2, work, ws - 1), MX_ERR_WORKSPACE);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, m, lv, 4, 2, 4, out, 2, NULL, ws), MX_ERR_WORKSPACE);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, m, lv, 4, 2, 4, out, 1, work, ws), MX_ERR_ARG, "ldo < k");
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, m, lv, 4, 2, 4, NULL, 2, work, ws), MX_ERR_ARG);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, NULL, lv, 4, 2, 4, out, 2, work, ws), MX_ERR_ARG);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 2, m, bad, 4, 2, 4, out, 2, work, ws), MX_ERR_DOMAIN);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 0, m, lv, 4, 2, 4, NULL, 2, NULL, 0), MX_OK, "n = 0");
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32_workspace_size(SIZE_MAX / 4, SIZE_MAX / 4), SIZE_MAX);
    /* kernel 5 */
    size_t wj = mx_js_diag_gauss_rows_f32_workspace_size(4);
    void *work2 = mx_test_alloc(wj);
    float se[2];
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, m, 4, 2, out, se, work2, wj), MX_OK);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, m, 4, 2, out, NULL, work2, wj), MX_OK, "se optional");
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, m, 4, 0, out, se, work2, wj), MX_ERR_ARG, "S = 0");
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, NULL, 4, 2, out, se, work2, wj), MX_ERR_ARG);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, m, 3, 2, out, se, work2, wj), MX_ERR_ARG);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, m, 4, 2, NULL, se, work2, wj), MX_ERR_ARG);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, bad, 4, 2, out, se, work2, wj), MX_ERR_DOMAIN);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, bad, 4, m, lv, 4, 2, 4, m, 4, 2, out, se, work2, wj), MX_ERR_DOMAIN);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 2, 4, m, 4, 2, out, se, work2, wj - 1), MX_ERR_WORKSPACE);
    free(work), free(work2);
}

Test(div, validation_categorical) {
    float p[8] = {0.25f, 0.25f, 0.25f, 0.25f, 0.5f, 0.5f, 0, 0}, q[8], bad[8], out[2];
    memcpy(q, p, sizeof p);
    cr_assert_eq(mx_kl_categorical_rows_f32(p, 4, q, 4, 2, 4, out), MX_OK);
    cr_assert_eq(mx_js_categorical_rows_f32(p, 4, q, 4, 2, 4, out), MX_OK);
    mx_status (*const fns[2])(const float *, size_t, const float *, size_t, size_t, size_t, float *) = {
        mx_kl_categorical_rows_f32, mx_js_categorical_rows_f32};
    for (int f = 0; f < 2; ++f) {
        cr_assert_eq(fns[f](NULL, 4, q, 4, 2, 4, out), MX_ERR_ARG);
        cr_assert_eq(fns[f](p, 4, NULL, 4, 2, 4, out), MX_ERR_ARG);
        cr_assert_eq(fns[f](p, 4, q, 4, 2, 4, NULL), MX_ERR_ARG);
        cr_assert_eq(fns[f](p, 3, q, 4, 2, 4, out), MX_ERR_ARG, "ld < d");
        cr_assert_eq(fns[f](p, SIZE_MAX / 2, q, 4, 2, 4, out), MX_ERR_ARG, "size overflow");
        cr_assert_eq(fns[f](NULL, 0, NULL, 0, 0, 4, NULL), MX_OK, "n = 0");
        const float wrong[] = {-0.1f, NAN, INFINITY, -INFINITY};
        for (int w = 0; w < 4; ++w) {
            memcpy(bad, p, sizeof p);
            bad[6] = wrong[w];
            cr_assert_eq(fns[f](bad, 4, q, 4, 2, 4, out), MX_ERR_DOMAIN, "p_6 = %g", wrong[w]);
            cr_assert_eq(fns[f](p, 4, bad, 4, 2, 4, out), MX_ERR_DOMAIN, "q_6 = %g", wrong[w]);
        }
        memcpy(bad, p, sizeof p);
        bad[6] = -0.0f;
        cr_assert_eq(fns[f](bad, 4, q, 4, 2, 4, out), MX_OK, "-0 is a valid probability");
    }
}

/* An unknown MIXSIMD_ISA makes every entry return MX_ERR_ISA (valid arguments). */
Test(div, unknown_isa_is_reported) {
    setenv("MIXSIMD_ISA", "sse9", 1);
    float m[4] = {0}, lv[4] = {0}, p[4] = {0.5f, 0.5f, 0, 0}, out[4], se[4];
    size_t ws = mx_kl_diag_gauss_to_mixture_f32_workspace_size(1, 4) + mx_js_diag_gauss_rows_f32_workspace_size(4);
    void *work = mx_test_alloc(ws);
    cr_assert_eq(mx_kl_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 1, 4, out), MX_ERR_ISA);
    cr_assert_eq(mx_kl_std_normal_rows_f32(m, lv, 4, 1, 4, out), MX_ERR_ISA);
    cr_assert_eq(mx_kl_diag_gauss_to_mixture_f32(m, lv, 4, 1, m, lv, 4, 1, 4, out, 1, work, ws), MX_ERR_ISA);
    cr_assert_eq(mx_kl_categorical_rows_f32(p, 4, p, 4, 1, 4, out), MX_ERR_ISA);
    cr_assert_eq(mx_js_categorical_rows_f32(p, 4, p, 4, 1, 4, out), MX_ERR_ISA);
    cr_assert_eq(mx_js_diag_gauss_rows_f32(m, lv, 4, m, lv, 4, 1, 4, m, 4, 1, out, se, work, ws), MX_ERR_ISA);
    free(work);
}
