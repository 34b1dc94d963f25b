/* bench/bench_lse.c — row log-sum-exp, softmax and log-softmax (the E-step's
 * normalisation) on N x K = 10000 x 10 and 10000 x 100 logits, beside
 * "SLEEF exp alone" on the same number of elements (lse/exp_alone/..., the
 * floor a kernel making one exp per element can approach; issue 3 asks
 * softmax <= 1.5x its time).
 * Names: lse/<op>/<isa>/NxK/threads:T; throughput in elements (N K) per second.
 *
 * softmax and log-softmax work in place: the timed loop applies them to their
 * own previous output (valid logits, same work per call); the error counter
 * comes from one extra call on a fresh copy of the inputs.
 * err_ratio: the bounds lse.h documents, with u = 2^-24 and m the row max:
 *   lse u (|lse| + 2K + 4); softmax u (2K + 6 + |x_k - m|) p_k + 2^-148;
 *   log-softmax u (2 |y_k| + 2K + 4). */
#include <math.h>
#include <mixsimd/lse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "ref_lse.h"

typedef enum { LSE_LOGSUMEXP, LSE_SOFTMAX, LSE_LOG_SOFTMAX, LSE_OPS } lse_op;
static const char *const lse_op_names[LSE_OPS] = {"logsumexp", "softmax", "log_softmax"};

typedef void (*lse_const_fn)(const float *, size_t, size_t, size_t, float *);
typedef void (*lse_inplace_fn)(float *, size_t, size_t, size_t, float *);
static const lse_const_fn lse_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_logsumexp_rows_f32);
static const lse_inplace_fn softmax_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_softmax_rows_f32);
static const lse_inplace_fn log_softmax_variants[MX_ISA_COUNT] =
    MX_ISA_VARIANTS(mx_log_softmax_rows_f32);

typedef struct {
    size_t N, K;
    float *X;               /* the logits, never modified          */
    double *want[LSE_OPS];  /* reference results, on first use     */
    double *bound[LSE_OPS];
} lse_case;

typedef struct {
    lse_case *c;
    lse_op op;
    mx_isa isa;
} lse_bench;

static void lse_run(lse_op op, mx_isa isa, const float *X, float *Y, size_t N, size_t K,
                    float *lse) {
    switch (op) {
    case LSE_LOGSUMEXP: lse_variants[isa](X, N, K, K, lse); break;
    case LSE_SOFTMAX: softmax_variants[isa](Y, N, K, K, lse); break;
    default: log_softmax_variants[isa](Y, N, K, K, lse); break;
    }
}

/* Reference values and documented bounds of op for every output element
 * (N of them for logsumexp, N K otherwise). */
static void lse_reference(lse_case *c, lse_op op) {
    if (c->want[op] != NULL) return;
    const size_t N = c->N, K = c->K, per_row = op == LSE_LOGSUMEXP ? 1 : K;
    double *want = c->want[op] = bench_doubles(N * per_row);
    double *bound = c->bound[op] = bench_doubles(N * per_row);
    const double u = BENCH_U;
    for (size_t n = 0; n < N; ++n) {
        const float *x = c->X + n * K;
        double *w = want + n * per_row, *b = bound + n * per_row;
        float m = x[0];
        for (size_t k = 1; k < K; ++k) m = x[k] > m ? x[k] : m;
        if (op == LSE_LOGSUMEXP) {
            w[0] = mx_ref_logsumexp(x, K);
            b[0] = u * (fabs(w[0]) + 2.0 * (double)K + 4.0);
        } else if (op == LSE_SOFTMAX) {
            mx_ref_softmax(x, K, w);
            for (size_t k = 0; k < K; ++k)
                b[k] = u * (2.0 * (double)K + 6.0 + fabs((double)x[k] - m)) * w[k] + 0x1p-148;
        } else {
            mx_ref_log_softmax(x, K, w);
            for (size_t k = 0; k < K; ++k) b[k] = u * (2.0 * fabs(w[k]) + 2.0 * (double)K + 4.0);
        }
    }
}

static void lse_body(cbench_state *st, void *ctx) {
    const lse_bench *b = ctx;
    lse_case *c = b->c;
    const size_t N = c->N, K = c->K, per_row = b->op == LSE_LOGSUMEXP ? 1 : K;
    if (!bench_require_isa(st, b->isa)) return;
    bench_threads(st);
    float *Y = bench_floats(N * K), *lse = bench_floats(N);
    memcpy(Y, c->X, N * K * sizeof *Y);
    while (cbench_keep_running(st)) lse_run(b->op, b->isa, c->X, Y, N, K, lse);
    cbench_set_items_processed(st, (double)N * (double)K);

    memcpy(Y, c->X, N * K * sizeof *Y);
    lse_run(b->op, b->isa, c->X, Y, N, K, lse);
    lse_reference(c, b->op);
    const float *got = b->op == LSE_LOGSUMEXP ? lse : Y;
    bench_err e = {0};
    for (size_t i = 0; i < N * per_row; ++i)
        bench_err_add(&e, got[i], c->want[b->op][i], c->bound[b->op][i]);
    bench_err_report(st, &e);
    free(Y);
    free(lse);
}

static void lse_register_case(size_t N, size_t K, uint64_t seed) {
    lse_case *c = bench_alloc(sizeof *c);
    *c = (lse_case){.N = N, .K = K, .X = bench_floats(N * K)};
    mx_test_rng r = mx_test_rng_seed(seed);
    mx_test_fill_normal(&r, c->X, N * K, 0.0, 4.0); /* log-likelihood-like spread */
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zu", N, K);
    for (int op = 0; op < LSE_OPS; ++op)
        for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
            if (lse_variants[isa] == NULL) continue;
            lse_bench *b = bench_alloc(sizeof *b);
            *b = (lse_bench){.c = c, .op = (lse_op)op, .isa = (mx_isa)isa};
            bench_register("lse", lse_op_names[op], mx_isa_name((mx_isa)isa), shape,
                           isa == MX_ISA_SCALAR ? 1 : BENCH_MAX_THREADS, lse_body, b);
        }
    bench_register_exp_alone(shape, N * K);
}

void bench_register_lse(void) {
    lse_register_case(10000, 10, 201);
    lse_register_case(10000, 100, 202);
}
