/* bench/bench_div.c — divergences, 1000 row pairs of length d = 10 and 784:
 *   kl_gauss       KL between diagonal Gaussians, row by row
 *   kl_std_normal  KL to N(0, I)
 *   kl_mixture     KL of each row to each of k = 10 components (n x k results)
 *   kl_cat, js_cat categorical KL and JS of probability rows
 *   js_gauss_s64   JS between diagonal Gaussians, Monte Carlo with S = 64
 *                  standard-normal samples per row pair (div.h, kernel 5)
 * Names: div/<op>/<isa>/<n>x<d>/threads:1 (op js_gauss_s64: S in the name; one thread: the rows are not an
 * E-step). Throughput in elements per second: n d coordinates per call (n k d
 * for kl_mixture, n S d for js_gauss).
 * err_ratio: the bounds div.h documents (js_gauss: only max_err, against the
 * same estimator with the same samples in long double; its bound needs the
 * per-sample terms). */
#include <math.h>
#include <mixsimd/div.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"
#include "ref_div.h"

enum { DIV_ROWS = 1000, DIV_COMPONENTS = 10, DIV_SAMPLES = 64 };

typedef enum { KL_GAUSS, KL_STD, KL_MIXTURE, KL_CAT, JS_CAT, JS_GAUSS, DIV_OPS } div_op;
static const char *const div_op_names[DIV_OPS] = {"kl_gauss", "kl_std_normal", "kl_mixture",
                                                  "kl_cat", "js_cat", "js_gauss"};

typedef void (*kl_gauss_fn)(const float *, const float *, size_t, const float *, const float *,
                            size_t, size_t, size_t, float *);
typedef void (*kl_std_fn)(const float *, const float *, size_t, size_t, size_t, float *);
typedef void (*kl_mixture_fn)(const float *, const float *, size_t, size_t, const float *,
                              const float *, size_t, size_t, size_t, float *, size_t, void *,
                              size_t);
typedef void (*cat_fn)(const float *, size_t, const float *, size_t, size_t, size_t, float *);
typedef void (*js_gauss_fn)(const float *, const float *, size_t, const float *, const float *,
                            size_t, size_t, size_t, const float *, size_t, size_t, float *,
                            float *, void *, size_t);
static const kl_gauss_fn kl_gauss_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_diag_gauss_rows_f32);
static const kl_std_fn kl_std_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_std_normal_rows_f32);
static const kl_mixture_fn kl_mixture_variants[MX_ISA_COUNT] =
    MX_ISA_VARIANTS(mx_kl_diag_gauss_to_mixture_f32);
static const cat_fn kl_cat_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_kl_categorical_rows_f32);
static const cat_fn js_cat_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_js_categorical_rows_f32);
static const js_gauss_fn js_gauss_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_js_diag_gauss_rows_f32);

/* Inputs of every kernel for n rows of length d (and k components). */
typedef struct {
    size_t n, d, k;
    float *m1, *lv1, *m2, *lv2; /* Gaussians: means, log-variances      */
    float *mu, *lvar;           /* k mixture components                 */
    float *p, *q;               /* probability rows (each sums to 1)    */
    float *eps;                 /* S x d standard-normal samples        */
    float *out, *se;            /* n k results, n standard errors       */
    void *work;
    size_t work_bytes;
    double *want[DIV_OPS], *bound[DIV_OPS]; /* reference, on first use */
} div_case;

typedef struct {
    div_case *c;
    div_op op;
    mx_isa isa;
} div_bench;

static void div_fill_probabilities(mx_test_rng *r, float *p, size_t n, size_t d) {
    for (size_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (size_t j = 0; j < d; ++j) sum += p[i * d + j] = (float)mx_test_uniform(r, 0.01, 1.0);
        for (size_t j = 0; j < d; ++j) p[i * d + j] = (float)(p[i * d + j] / sum);
    }
}

static div_case *div_case_new(size_t n, size_t d, uint64_t seed) {
    const size_t k = DIV_COMPONENTS;
    div_case *c = bench_alloc(sizeof *c);
    *c = (div_case){.n = n, .d = d, .k = k};
    mx_test_rng r = mx_test_rng_seed(seed);
    float **gauss[] = {&c->m1, &c->lv1, &c->m2, &c->lv2};
    for (size_t i = 0; i < 4; ++i) {
        *gauss[i] = bench_floats(n * d);
        if (i % 2 == 0) mx_test_fill_normal(&r, *gauss[i], n * d, 0.0, 1.0);
        else mx_test_fill_uniform(&r, *gauss[i], n * d, -1.0, 1.0);
    }
    c->mu = bench_floats(k * d);
    c->lvar = bench_floats(k * d);
    mx_test_fill_normal(&r, c->mu, k * d, 0.0, 1.0);
    mx_test_fill_uniform(&r, c->lvar, k * d, -1.0, 1.0);
    c->p = bench_floats(n * d);
    c->q = bench_floats(n * d);
    div_fill_probabilities(&r, c->p, n, d);
    div_fill_probabilities(&r, c->q, n, d);
    c->eps = bench_floats(DIV_SAMPLES * d);
    mx_test_fill_normal(&r, c->eps, DIV_SAMPLES * d, 0.0, 1.0);
    c->out = bench_floats(n * k);
    c->se = bench_floats(n);
    size_t mixture = mx_kl_diag_gauss_to_mixture_f32_workspace_size(k, d);
    size_t js = mx_js_diag_gauss_rows_f32_workspace_size(d);
    c->work_bytes = mixture > js ? mixture : js;
    c->work = bench_alloc(c->work_bytes);
    return c;
}

static void div_run(const div_case *c, div_op op, mx_isa isa) {
    const size_t n = c->n, d = c->d, k = c->k;
    switch (op) {
    case KL_GAUSS: kl_gauss_variants[isa](c->m1, c->lv1, d, c->m2, c->lv2, d, n, d, c->out); break;
    case KL_STD: kl_std_variants[isa](c->m1, c->lv1, d, n, d, c->out); break;
    case KL_MIXTURE:
        kl_mixture_variants[isa](c->m1, c->lv1, d, n, c->mu, c->lvar, d, k, d, c->out, k, c->work,
                                 c->work_bytes);
        break;
    case KL_CAT: kl_cat_variants[isa](c->p, d, c->q, d, n, d, c->out); break;
    case JS_CAT: js_cat_variants[isa](c->p, d, c->q, d, n, d, c->out); break;
    default:
        js_gauss_variants[isa](c->m1, c->lv1, d, c->m2, c->lv2, d, n, d, c->eps, d, DIV_SAMPLES,
                               c->out, c->se, c->work, c->work_bytes);
        break;
    }
}

static double div_elements(const div_case *c, div_op op) {
    const double nd = (double)c->n * (double)c->d;
    return op == KL_MIXTURE ? nd * (double)c->k : op == JS_GAUSS ? nd * DIV_SAMPLES : nd;
}

/* Sums over one row pair of the magnitudes div.h's bounds are stated in. */
static double kl_gauss_magnitude(const float *m1, const float *lv1, const float *m2,
                                 const float *lv2, size_t d, int mixture) {
    double sum = 0.0;
    for (size_t j = 0; j < d; ++j) {
        double delta = (double)lv1[j] - lv2[j], t = ((double)m1[j] - m2[j]) * exp(-0.5 * lv2[j]);
        sum += (mixture ? exp(delta) + 1.0 : fabs(expm1(delta))) + fabs(delta) + t * t;
    }
    return sum;
}

static double kl_std_magnitude(const float *m, const float *lv, size_t d) {
    double sum = 0.0;
    for (size_t j = 0; j < d; ++j) sum += fabs(expm1((double)lv[j])) + fabs((double)lv[j]) + (double)m[j] * m[j];
    return sum;
}

/* p (1 + |log p| + |log q|), 0 when p = 0. */
static double cat_term(double p, double q) {
    return p > 0.0 ? p * (1.0 + fabs(log(p)) + fabs(log(q))) : 0.0;
}

static double cat_magnitude(const float *p, const float *q, size_t d, int js) {
    double sum = 0.0;
    for (size_t j = 0; j < d; ++j) {
        if (!js) sum += cat_term(p[j], q[j]);
        else {
            double r = 0.5 * ((double)p[j] + q[j]);
            sum += cat_term(p[j], r) + cat_term(q[j], r);
        }
    }
    return sum;
}

/* Reference values and documented bounds of op, once per case and op:
 * n results (n k for kl_mixture). */
static void div_reference(div_case *c, div_op op) {
    if (c->want[op] != NULL) return;
    const size_t n = c->n, d = c->d, k = c->k, per_row = op == KL_MIXTURE ? k : 1;
    const double tiny = 0x1p-147 * (double)(d + 1);
    double *want = c->want[op] = bench_doubles(n * per_row);
    double *bound = c->bound[op] = bench_doubles(n * per_row);
    if (op == KL_MIXTURE) mx_ref_kl_diag_gauss_to_mixture(c->m1, c->lv1, d, n, c->mu, c->lvar, d, k, d, want, k);
    for (size_t i = 0; i < n; ++i) {
        const float *m1 = c->m1 + i * d, *lv1 = c->lv1 + i * d, *m2 = c->m2 + i * d,
                    *lv2 = c->lv2 + i * d, *p = c->p + i * d, *q = c->q + i * d;
        double se;
        switch (op) {
        case KL_GAUSS:
            want[i] = mx_ref_kl_diag_gauss(m1, lv1, m2, lv2, d);
            bound[i] = 0.5 * bench_gamma((double)d + 10) * kl_gauss_magnitude(m1, lv1, m2, lv2, d, 0) + tiny;
            break;
        case KL_STD:
            want[i] = mx_ref_kl_std_normal(m1, lv1, d);
            bound[i] = 0.5 * bench_gamma((double)d + 3) * kl_std_magnitude(m1, lv1, d) + tiny;
            break;
        case KL_MIXTURE:
            for (size_t j = 0; j < k; ++j) {
                double mag = kl_gauss_magnitude(m1, lv1, c->mu + j * d, c->lvar + j * d, d, 1);
                bound[i * k + j] = BENCH_U * fabs(want[i * k + j]) + 0.5 * bench_gamma((double)d + 10) * mag;
            }
            break;
        case KL_CAT:
            want[i] = mx_ref_kl_categorical(p, q, d);
            bound[i] = bench_gamma((double)d + 3) * cat_magnitude(p, q, d, 0) + tiny;
            break;
        case JS_CAT:
            want[i] = mx_ref_js_categorical(p, q, d);
            bound[i] = 0.5 * bench_gamma((double)d + 5) * cat_magnitude(p, q, d, 1) + tiny;
            break;
        default: /* no bound counter: see the top of the file */
            mx_ref_js_diag_gauss_mc(m1, lv1, m2, lv2, d, c->eps, d, DIV_SAMPLES, &want[i], &se, NULL);
            bound[i] = 0.0;
            break;
        }
    }
}

static void div_check(cbench_state *st, div_case *c, div_op op) {
    div_reference(c, op);
    const size_t count = c->n * (op == KL_MIXTURE ? c->k : 1);
    bench_err e = {0};
    for (size_t i = 0; i < count; ++i) bench_err_add(&e, c->out[i], c->want[op][i], c->bound[op][i]);
    bench_err_report(st, &e);
}

static void div_body(cbench_state *st, void *ctx) {
    const div_bench *b = ctx;
    if (!bench_require_isa(st, b->isa)) return;
    bench_threads(st);
    while (cbench_keep_running(st)) div_run(b->c, b->op, b->isa);
    cbench_set_items_processed(st, div_elements(b->c, b->op));
    div_check(st, b->c, b->op);
}

void bench_register_div(void) {
    static const size_t dims[] = {10, 784};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; ++i) {
        div_case *c = div_case_new(DIV_ROWS, dims[i], 500 + i);
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%zu", DIV_ROWS, dims[i]);
        char js_gauss_name[32]; /* the name states the sample count */
        snprintf(js_gauss_name, sizeof js_gauss_name, "js_gauss_s%d", DIV_SAMPLES);
        for (int op = 0; op < DIV_OPS; ++op)
            for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
                if (kl_gauss_variants[isa] == NULL) continue;
                div_bench *b = bench_alloc(sizeof *b);
                *b = (div_bench){.c = c, .op = (div_op)op, .isa = (mx_isa)isa};
                bench_register("div", op == JS_GAUSS ? js_gauss_name : div_op_names[op],
                               mx_isa_name((mx_isa)isa), shape, 1, div_body, b);
            }
    }
}
