#define _POSIX_C_SOURCE 200809L /* setenv */
/* Agreement tests for mixsimd/lse.h: every kernel x every ISA against the
 * double-precision reference, with exactly the error bounds lse.h documents. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/lse.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ref_lse.h"

#define U 0x1p-24 /* unit roundoff of float */

/* ---- the documented bounds (lse.h), verbatim ------------------------------- */
static double lse_bound(size_t K, double lse) { return U * (fabs(lse) + 2.0 * (double)K + 4.0); }
/* t = x_k - max_k x_k (0 for rows whose maximum is not finite: exact results) */
static double softmax_bound(size_t K, double p, double t) {
    return U * (2.0 * (double)K + 6.0 + fabs(t)) * p + 0x1p-148;
}
static double log_softmax_bound(size_t K, double y) { return U * (2.0 * fabs(y) + 2.0 * (double)K + 4.0); }
/* A softmax row's sum, plus K * 2^-52 for the test's own double summation. */
static double softmax_sum_bound(size_t K) {
    return U * (2.0 * (double)K + 6.0 + log((double)K)) + (double)K * (0x1p-148 + 0x1p-52);
}

/* The float a double rounds to overflows to +-inf beyond FLT_MAX + ulp/2. */
static double as_float_range(double w) {
    return fabs(w) >= 0x1p128 - 0x1p103 ? copysign(INFINITY, w) : w;
}

/* ---- kernels by ISA ---------------------------------------------------------- */
typedef void (*lse_fn)(const float *, size_t, size_t, size_t, float *);
typedef void (*rows_fn)(float *, size_t, size_t, size_t, float *);
static const lse_fn lse_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_logsumexp_rows_f32);
static const rows_fn softmax_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_softmax_rows_f32);
static const rows_fn log_softmax_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_log_softmax_rows_f32);

typedef enum { KIND_LSE, KIND_SOFTMAX, KIND_LOG_SOFTMAX, KIND_COUNT } kernel_kind;
static const char *const kind_names[KIND_COUNT] = {"logsumexp", "softmax", "log_softmax"};

/* ---- a test case: N x K in rows of stride ldx, guards around it ------------ */
#define GUARD_TAIL 16
static const float GUARD = -1234.5f;

typedef struct {
    size_t N, K, ldx, len; /* len: floats allocated, N*ldx + GUARD_TAIL */
    float *x;
} lse_case;

static lse_case case_new(size_t N, size_t K, size_t ldx) {
    lse_case c = {N, K, ldx, N * ldx + GUARD_TAIL, NULL};
    c.x = mx_test_floats(c.len);
    for (size_t i = 0; i < c.len; ++i) c.x[i] = GUARD;
    return c;
}

static float *case_row(const lse_case *c, size_t n) { return c->x + n * c->ldx; }

static void case_fill_normal(lse_case *c, mx_test_rng *rng, double sd) {
    for (size_t n = 0; n < c->N; ++n) mx_test_fill_normal(rng, case_row(c, n), c->K, 0.0, sd);
}

static int in_matrix(const lse_case *c, size_t i) { return i < c->N * c->ldx && i % c->ldx < c->K; }

/* Runs one kernel on a copy y of the case's matrix. */
static void run_variant(mx_isa isa, kernel_kind kind, const lse_case *c, float *y, float *lse) {
    memcpy(y, c->x, c->len * sizeof(float));
    switch (kind) {
    case KIND_LSE: lse_variants[isa](y, c->N, c->K, c->ldx, lse); break;
    case KIND_SOFTMAX: softmax_variants[isa](y, c->N, c->K, c->ldx, lse); break;
    default: log_softmax_variants[isa](y, c->N, c->K, c->ldx, lse); break;
    }
}

/* ---- reference results and their bounds --------------------------------- */
typedef struct {
    double *lse, *lse_bound;   /* N */
    double *rows[KIND_COUNT];  /* N*K dense: softmax, log-softmax ([KIND_LSE] unused) */
    double *bound[KIND_COUNT];
} lse_want;

static double row_max(const float *x, size_t K) {
    double m = -INFINITY;
    for (size_t k = 0; k < K; ++k) m = x[k] > m ? x[k] : m;
    return m;
}

static lse_want want_new(const lse_case *c) {
    const size_t N = c->N, K = c->K;
    lse_want w = {mx_test_doubles(N), mx_test_doubles(N), {NULL}, {NULL}};
    for (int kind = KIND_SOFTMAX; kind < KIND_COUNT; ++kind) {
        w.rows[kind] = mx_test_doubles(N * K);
        w.bound[kind] = mx_test_doubles(N * K);
    }
    for (size_t n = 0; n < N; ++n) {
        const float *x = case_row(c, n);
        const double m = row_max(x, K);
        double *p = w.rows[KIND_SOFTMAX] + n * K, *y = w.rows[KIND_LOG_SOFTMAX] + n * K;
        w.lse[n] = mx_ref_logsumexp(x, K);
        w.lse_bound[n] = lse_bound(K, w.lse[n]);
        mx_ref_softmax(x, K, p);
        mx_ref_log_softmax(x, K, y);
        for (size_t k = 0; k < K; ++k) {
            y[k] = as_float_range(y[k]);
            const double t = isfinite(m) ? (double)x[k] - m : 0.0;
            w.bound[KIND_SOFTMAX][n * K + k] = softmax_bound(K, p[k], t);
            w.bound[KIND_LOG_SOFTMAX][n * K + k] = log_softmax_bound(K, y[k]);
        }
    }
    return w;
}

static void want_free(lse_want *w) {
    free(w->lse);
    free(w->lse_bound);
    for (int kind = KIND_SOFTMAX; kind < KIND_COUNT; ++kind) {
        free(w->rows[kind]);
        free(w->bound[kind]);
    }
}

/* ---- comparisons (each returns, so a test can show it rejects) ----------- */
static mx_check check_rows(const lse_case *c, const lse_want *w, kernel_kind kind, const float *y) {
    float *dense = mx_test_floats(c->N * c->K);
    for (size_t n = 0; n < c->N; ++n) memcpy(dense + n * c->K, y + n * c->ldx, c->K * sizeof(float));
    mx_check chk = mx_check_abs(dense, w->rows[kind], w->bound[kind], c->N * c->K);
    free(dense);
    return chk;
}

/* Worst |sum_k p_k - 1| / bound over the rows without NaN; row in *worst_row. */
static double softmax_sum_ratio(const lse_case *c, const float *y, size_t *worst_row) {
    double worst = 0.0;
    *worst_row = 0;
    for (size_t n = 0; c->K > 0 && n < c->N; ++n) {
        const float *x = case_row(c, n);
        double sum = 0.0;
        int has_nan = 0;
        for (size_t k = 0; k < c->K; ++k) {
            has_nan |= isnan(x[k]);
            sum += y[n * c->ldx + k];
        }
        const double ratio = fabs(sum - 1.0) / softmax_sum_bound(c->K);
        if (!has_nan && !(ratio <= worst)) {
            worst = ratio;
            *worst_row = n;
        }
    }
    return worst;
}

static void assert_guards(const lse_case *c, const float *y, const float *lse, const char *what) {
    for (size_t i = 0; i < c->len; ++i)
        if (!in_matrix(c, i))
            cr_assert(memcmp(&y[i], &GUARD, sizeof(float)) == 0, "%s: guard at %zu overwritten (%g)", what, i,
                      (double)y[i]);
    for (size_t i = c->N; lse != NULL && i < c->N + GUARD_TAIL; ++i)
        cr_assert(memcmp(&lse[i], &GUARD, sizeof(float)) == 0, "%s: lse guard at %zu overwritten", what, i);
}

/* Every kernel of one ISA on one case: results within the bounds, softmax
 * rows summing to 1, the input of logsumexp and all guards untouched. */
static void check_case(mx_isa isa, const lse_case *c, const lse_want *w, const char *label) {
    float *y = mx_test_floats(c->len), *lse = mx_test_floats(c->N + GUARD_TAIL);
    for (int kind = 0; kind < KIND_COUNT; ++kind) {
        const char *what = mx_test_label_("%s %s %s N=%zu K=%zu ldx=%zu", label, kind_names[kind],
                                          mx_isa_name(isa), c->N, c->K, c->ldx);
        char whatbuf[256];
        strncpy(whatbuf, what, sizeof whatbuf - 1);
        whatbuf[sizeof whatbuf - 1] = '\0';
        for (size_t i = 0; i < c->N + GUARD_TAIL; ++i) lse[i] = GUARD;
        run_variant(isa, (kernel_kind)kind, c, y, lse);
        assert_guards(c, y, lse, whatbuf);
        mx_assert_check(mx_check_abs(lse, w->lse, w->lse_bound, c->N), "%s: lse", whatbuf);
        if (kind == KIND_LSE) {
            cr_assert(memcmp(y, c->x, c->len * sizeof(float)) == 0, "%s: input modified", whatbuf);
            continue;
        }
        mx_assert_check(check_rows(c, w, (kernel_kind)kind, y), "%s: rows", whatbuf);
        if (kind == KIND_SOFTMAX) {
            size_t row;
            const double ratio = softmax_sum_ratio(c, y, &row);
            cr_assert(ratio <= 1.0, "%s: row %zu sums to 1 +- %.3g bounds", whatbuf, row, ratio);
        }
    }
    free(y);
    free(lse);
}

static void check_shape(mx_isa isa, size_t N, size_t K, size_t ldx, double sd, uint64_t seed) {
    mx_test_rng rng = mx_test_rng_seed(seed);
    lse_case c = case_new(N, K, ldx);
    case_fill_normal(&c, &rng, sd);
    lse_want w = want_new(&c);
    check_case(isa, &c, &w, "normal logits");
    want_free(&w);
    free(c.x);
}

/* ---- shapes ------------------------------------------------------------------- */
/* Every N x K of the sweep; every other N with padded rows (ldx > K). */
MX_ISA_TEST(lse, shape_sweep) {
    for (size_t i = 0; i < mx_test_sizes_count; ++i)
        for (size_t j = 0; j < mx_test_sizes_count; ++j) {
            const size_t N = mx_test_sizes[i], K = mx_test_sizes[j];
            check_shape(isa, N, K, K + (i % 2) * 5, 4.0, 1000 * i + j);
        }
}

MX_ISA_TEST(lse, large_shapes) {
    check_shape(isa, 4099, 10, 10, 6.0, 1);    /* the E-step shape: tiles */
    check_shape(isa, 1003, 13, 16, 30.0, 2);   /* padded tiles, wide spread */
    check_shape(isa, 300, 1000, 1003, 6.0, 3); /* wide rows */
    check_shape(isa, 3, 30000, 30001, 3.0, 4); /* very wide rows */
}

/* ---- adversarial rows ----------------------------------------------------------- */
enum { PATTERN_COUNT = 18 };

static size_t pick(mx_test_rng *r, size_t K) { return (size_t)(mx_test_next_u64(r) % K); }

static void fill_pattern(float *x, size_t K, int pattern, mx_test_rng *r) {
    const size_t j = pick(r, K), j2 = pick(r, K);
    mx_test_fill_normal(r, x, K, 0.0, 10.0);
    switch (pattern) {
    case 0: /* all -inf: uniform softmax */
        for (size_t k = 0; k < K; ++k) x[k] = -INFINITY;
        break;
    case 1: /* one finite among -inf */
        for (size_t k = 0; k < K; ++k) x[k] = k == j ? x[k] : -INFINITY;
        break;
    case 2: /* +-3e38 mixed: x - max overflows to -inf */
        for (size_t k = 0; k < K; ++k)
            x[k] = (float)((mx_test_next_u64(r) & 1 ? 1 : -1) * mx_test_uniform(r, 1e38, 3.4e38));
        break;
    case 3: x[j] = INFINITY; break;
    case 4: x[j] = x[j2] = INFINITY; break;
    case 5: /* only infinities of both signs */
        for (size_t k = 0; k < K; ++k) x[k] = mx_test_next_u64(r) & 1 ? INFINITY : -INFINITY;
        break;
    case 6: x[j] = NAN; break;
    case 7:
        for (size_t k = 0; k < K; ++k) x[k] = k == j ? NAN : -INFINITY;
        break;
    case 8: x[j2] = INFINITY, x[j] = NAN; break;
    case 9: /* denormal values: differences are denormal too */
        for (size_t k = 0; k < K; ++k) x[k] = (float)(mx_test_uniform(r, -1.0, 1.0) * 0x1p-130);
        break;
    case 10: /* 1e4 apart: exp underflows to 0 for all but the largest */
        for (size_t k = 0; k < K; ++k) x[k] = 1e4f * (float)((int)pick(r, 11) - 5);
        break;
    case 11:
        for (size_t k = 0; k < K; ++k) x[k] = 7.25f;
        break;
    case 12:
        for (size_t k = 0; k < K; ++k) x[k] = FLT_MAX;
        break;
    case 13:
        for (size_t k = 0; k < K; ++k) x[k] = -FLT_MAX;
        break;
    case 14: /* exp(x - max) subnormal */
        for (size_t k = 0; k < K; ++k) x[k] = k == j ? 0.0f : (float)mx_test_uniform(r, -104.0, -85.0);
        break;
    case 15: /* large magnitudes close together */
        for (size_t k = 0; k < K; ++k) x[k] = 1e6f + x[k];
        break;
    case 16:
        for (size_t k = 0; k < K; ++k) x[k] = mx_test_next_u64(r) & 1 ? FLT_MAX : -FLT_MAX;
        break;
    default: x[j] = -INFINITY; break;
    }
}

/* Patterns cycle over the rows, so each 4-, 8- or 16-row tile mixes special
 * and regular rows (special rows send a tile back to the row path), with
 * padded rows and with contiguous ones (ldx == K: the flat paths). */
MX_ISA_TEST(lse, adversarial_rows) {
    static const size_t Ks[] = {1, 2, 3, 7, 10, 15, 16, 17, 40, 100, 129};
    mx_test_rng rng = mx_test_rng_seed(77);
    for (size_t i = 0; i < sizeof Ks / sizeof Ks[0]; ++i)
        for (size_t pad = 0; pad <= 2; pad += 2) {
            const size_t K = Ks[i], N = 3 * PATTERN_COUNT + 5;
            lse_case c = case_new(N, K, K + pad);
            for (size_t n = 0; n < N; ++n) fill_pattern(case_row(&c, n), K, (int)(n % PATTERN_COUNT), &rng);
            lse_want w = want_new(&c);
            check_case(isa, &c, &w, pad ? "adversarial, padded" : "adversarial, contiguous");
            want_free(&w);
            free(c.x);
        }
}

/* One adversarial pattern in every row: whole tiles of special rows. */
MX_ISA_TEST(lse, adversarial_blocks) {
    mx_test_rng rng = mx_test_rng_seed(78);
    for (int pattern = 0; pattern < PATTERN_COUNT; ++pattern) {
        lse_case c = case_new(19, 10, 10);
        for (size_t n = 0; n < c.N; ++n) fill_pattern(case_row(&c, n), c.K, pattern, &rng);
        lse_want w = want_new(&c);
        char label[32];
        snprintf(label, sizeof label, "pattern %d", pattern);
        check_case(isa, &c, &w, label);
        want_free(&w);
        free(c.x);
    }
}

/* One special row among regular ones, at the start, middle and end of the
 * multi-block tiles (up to 64 rows): that tile goes back to the row path in
 * chunks of one vector of rows, its neighbours stay on the tile path. */
MX_ISA_TEST(lse, lone_special_row) {
    static const size_t where[] = {0, 15, 16, 40, 63, 64, 100, 130, 199};
    static const int patterns[] = {0, 3, 6, 12};
    mx_test_rng rng = mx_test_rng_seed(79);
    for (size_t i = 0; i < sizeof where / sizeof where[0]; ++i) {
        for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; ++p) {
            lse_case c = case_new(200, 10, 10 + i % 2);
            for (size_t n = 0; n < c.N; ++n) mx_test_fill_normal(&rng, case_row(&c, n), c.K, 0.0, 5.0);
            fill_pattern(case_row(&c, where[i]), c.K, patterns[p], &rng);
            lse_want w = want_new(&c);
            char label[48];
            snprintf(label, sizeof label, "pattern %d at row %zu", patterns[p], where[i]);
            check_case(isa, &c, &w, label);
            want_free(&w);
            free(c.x);
        }
    }
}

/* The defined special values, spelled out (not only through the reference). */
MX_ISA_TEST(lse, special_values_exact) {
    float row[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, lse = 0.0f;
    softmax_variants[isa](row, 1, 4, 4, &lse);
    cr_assert(lse == -INFINITY && row[0] == 0.25f && row[3] == 0.25f, "all -inf: uniform");
    const float inf2[4] = {1.0f, INFINITY, -INFINITY, INFINITY};
    memcpy(row, inf2, sizeof row);
    softmax_variants[isa](row, 1, 4, 4, &lse);
    cr_assert(lse == INFINITY && row[0] == 0.0f && row[1] == 0.5f && row[2] == 0.0f && row[3] == 0.5f);
    const float with_nan[4] = {1.0f, NAN, INFINITY, 2.0f};
    memcpy(row, with_nan, sizeof row);
    log_softmax_variants[isa](row, 1, 4, 4, &lse);
    cr_assert(isnan(lse) && isnan(row[0]) && isnan(row[2]) && isnan(row[3]));
    lse_variants[isa](NULL, 3, 0, 0, row);
    cr_assert(row[0] == -INFINITY && row[2] == -INFINITY, "K == 0: lse = -inf");
}

/* ---- lse may be NULL ---------------------------------------------------------- */
MX_ISA_TEST(lse, lse_null_allowed) {
    static const size_t shapes[][2] = {{37, 10}, {5, 40}, {3, 3}};
    mx_test_rng rng = mx_test_rng_seed(5);
    for (size_t s = 0; s < 3; ++s) {
        lse_case c = case_new(shapes[s][0], shapes[s][1], shapes[s][1] + 1);
        case_fill_normal(&c, &rng, 5.0);
        float *with = mx_test_floats(c.len), *without = mx_test_floats(c.len), *lse = mx_test_floats(c.N);
        for (int kind = KIND_SOFTMAX; kind < KIND_COUNT; ++kind) {
            run_variant(isa, (kernel_kind)kind, &c, with, lse);
            run_variant(isa, (kernel_kind)kind, &c, without, NULL);
            cr_assert(memcmp(with, without, c.len * sizeof(float)) == 0, "%s N=%zu K=%zu: lse NULL changes rows",
                      kind_names[kind], c.N, c.K);
        }
        free(with);
        free(without);
        free(lse);
        free(c.x);
    }
}

/* ---- the checks can fail ---------------------------------------------------- */
static size_t largest(const double *v, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; ++i) best = v[i] > v[best] ? i : best;
    return best;
}

MX_ISA_TEST(lse, rejects_perturbed) {
    static const size_t shapes[][2] = {{37, 10}, {5, 40}};
    mx_test_rng rng = mx_test_rng_seed(9);
    for (size_t s = 0; s < 2; ++s) {
        lse_case c = case_new(shapes[s][0], shapes[s][1], shapes[s][1]);
        case_fill_normal(&c, &rng, 3.0);
        lse_want w = want_new(&c);
        const size_t NK = c.N * c.K, n = c.N / 2;
        float *y = mx_test_floats(c.len), *lse = mx_test_floats(c.N);

        run_variant(isa, KIND_LSE, &c, y, lse);
        mx_assert_check(mx_check_abs(lse, w.lse, w.lse_bound, c.N), "lse before perturbing");
        lse[n] = (float)(w.lse[n] + 4.0 * w.lse_bound[n]);
        mx_assert_rejects(mx_check_abs(lse, w.lse, w.lse_bound, c.N), "lse + 4 bounds");

        run_variant(isa, KIND_SOFTMAX, &c, y, lse);
        mx_assert_check(check_rows(&c, &w, KIND_SOFTMAX, y), "softmax before perturbing");
        const size_t i = largest(w.rows[KIND_SOFTMAX], NK); /* dense index = i with ldx == K */
        y[i] = (float)(w.rows[KIND_SOFTMAX][i] - 4.0 * w.bound[KIND_SOFTMAX][i]);
        mx_assert_rejects(check_rows(&c, &w, KIND_SOFTMAX, y), "softmax - 4 bounds");
        run_variant(isa, KIND_SOFTMAX, &c, y, lse);
        for (size_t k = 0; k < c.K; ++k) y[n * c.K + k] *= (float)(1.0 + 4.0 * softmax_sum_bound(c.K));
        size_t row;
        cr_assert(softmax_sum_ratio(&c, y, &row) > 1.0 && row == n, "a row summing to 1 + 4 bounds is accepted");

        run_variant(isa, KIND_LOG_SOFTMAX, &c, y, lse);
        mx_assert_check(check_rows(&c, &w, KIND_LOG_SOFTMAX, y), "log-softmax before perturbing");
        y[i] = (float)(w.rows[KIND_LOG_SOFTMAX][i] + 4.0 * w.bound[KIND_LOG_SOFTMAX][i]);
        mx_assert_rejects(check_rows(&c, &w, KIND_LOG_SOFTMAX, y), "log-softmax + 4 bounds");

        free(y);
        free(lse);
        want_free(&w);
        free(c.x);
    }
}

/* ---- the dispatched entries -------------------------------------------------- */
Test(lse_dispatch, validates_arguments) {
    float x[12] = {0}, out[4];
    /* NULL pointers with nonzero sizes */
    cr_assert_eq(mx_logsumexp_rows_f32(NULL, 2, 3, 3, out), MX_ERR_ARG);
    cr_assert_eq(mx_logsumexp_rows_f32(x, 2, 3, 3, NULL), MX_ERR_ARG);
    cr_assert_eq(mx_softmax_rows_f32(NULL, 2, 3, 3, out), MX_ERR_ARG);
    cr_assert_eq(mx_log_softmax_rows_f32(NULL, 2, 3, 3, NULL), MX_ERR_ARG);
    /* leading dimension smaller than a row */
    cr_assert_eq(mx_logsumexp_rows_f32(x, 2, 3, 2, out), MX_ERR_ARG);
    cr_assert_eq(mx_softmax_rows_f32(x, 2, 3, 2, out), MX_ERR_ARG);
    cr_assert_eq(mx_log_softmax_rows_f32(x, 2, 3, 0, out), MX_ERR_ARG);
    /* (N-1)*ldx + K beyond the address space */
    cr_assert_eq(mx_logsumexp_rows_f32(x, SIZE_MAX / 8, 3, 8, out), MX_ERR_ARG);
    cr_assert_eq(mx_softmax_rows_f32(x, 2, 4, SIZE_MAX / 2, out), MX_ERR_ARG);
    cr_assert_eq(mx_log_softmax_rows_f32(x, 1, SIZE_MAX / 2, SIZE_MAX / 2, out), MX_ERR_ARG);
    /* valid degenerate calls */
    cr_assert_eq(mx_logsumexp_rows_f32(NULL, 0, 3, 3, NULL), MX_OK);
    cr_assert_eq(mx_softmax_rows_f32(NULL, 0, 3, 3, NULL), MX_OK);
    cr_assert_eq(mx_logsumexp_rows_f32(NULL, 4, 0, 0, out), MX_OK, "K == 0 reads nothing");
    for (int n = 0; n < 4; ++n) cr_assert(out[n] == -INFINITY);
    cr_assert_eq(mx_log_softmax_rows_f32(x, 4, 3, 3, NULL), MX_OK, "lse may be NULL");
    cr_assert_eq(mx_softmax_rows_f32(x, 1, 3, 1000, out), MX_OK, "one row: ldx is not used");
}

Test(lse_dispatch, unavailable_isa_is_reported) {
    setenv("MIXSIMD_ISA", "no-such-isa", 1);
    float x[3] = {1, 2, 3}, out[1];
    cr_assert_eq(mx_logsumexp_rows_f32(x, 1, 3, 3, out), MX_ERR_ISA);
    cr_assert_eq(mx_softmax_rows_f32(x, 1, 3, 3, out), MX_ERR_ISA);
    cr_assert_eq(mx_log_softmax_rows_f32(x, 1, 3, 3, out), MX_ERR_ISA);
    cr_assert(x[0] == 1 && x[2] == 3, "nothing written on MX_ERR_ISA");
}

/* Under mx_isa_force the dispatched entry runs exactly that ISA's variant. */
MX_ISA_TEST(lse, dispatch_forced) {
    cr_assert_eq(mx_isa_force(isa), MX_OK);
    mx_test_rng rng = mx_test_rng_seed(11);
    lse_case c = case_new(45, 10, 12);
    case_fill_normal(&c, &rng, 4.0);
    float *y = mx_test_floats(c.len), *got = mx_test_floats(c.len);
    float *lse = mx_test_floats(c.N), *got_lse = mx_test_floats(c.N);
    for (int kind = 0; kind < KIND_COUNT; ++kind) {
        run_variant(isa, (kernel_kind)kind, &c, y, lse);
        memcpy(got, c.x, c.len * sizeof(float));
        mx_status status = kind == KIND_LSE       ? mx_logsumexp_rows_f32(got, c.N, c.K, c.ldx, got_lse)
                           : kind == KIND_SOFTMAX ? mx_softmax_rows_f32(got, c.N, c.K, c.ldx, got_lse)
                                                  : mx_log_softmax_rows_f32(got, c.N, c.K, c.ldx, got_lse);
        cr_assert_eq(status, MX_OK);
        cr_assert(memcmp(y, got, c.len * sizeof(float)) == 0 && memcmp(lse, got_lse, c.N * sizeof(float)) == 0,
                  "%s under %s differs from the fixed variant", kind_names[kind], mx_isa_name(isa));
    }
    lse_want w = want_new(&c);
    check_case(isa, &c, &w, "forced");
    want_free(&w);
    free(y);
    free(got);
    free(lse);
    free(got_lse);
    free(c.x);
}
