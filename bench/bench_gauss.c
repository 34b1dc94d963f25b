/* bench/bench_gauss.c — Gaussian log-likelihoods of every point under every
 * component (the GMM E-step), N = 10000 points, K = 10 components:
 *   diag       D = 10 and D = 784
 *   spherical  D = 10 and D = 784
 *   full       D = 10
 * Names: gauss/<kind>/<impl>/NxKxD/threads:T.
 *
 * FLOP count, diagonal and spherical: 4 N K D, the flops of the equivalent
 * expanded-square GEMM N x K x 2D (gemm/gauss-NN/...), so that GFLOP/s of the
 * two compare directly (the direct form does 3 operations per (n, k, j):
 * subtract, scale, FMA). Full: N K (D^2 + 4D): the forward substitution
 * L z = x - mu is D(D+1)/2 multiply-adds, plus the subtraction and the
 * squared sum.
 * err_ratio: the bounds gauss.h documents, gamma_{D+8} Q + 2u C (diagonal,
 * spherical) and 3 gamma_{D+4} P + 2u C (full), from the reference's Q/P and C. */
#include <math.h>
#include <mixsimd/gauss.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"
#include "ref_gauss.h"

typedef enum { GAUSS_DIAG, GAUSS_SPHERICAL, GAUSS_FULL, GAUSS_KINDS } gauss_kind;
static const char *const gauss_kind_names[GAUSS_KINDS] = {"diag", "spherical", "full"};

typedef void (*gauss_diag_fn)(MX_GAUSS_DIAG_ARGS_);
typedef void (*gauss_spherical_fn)(MX_GAUSS_SPHERICAL_ARGS_);
typedef void (*gauss_full_fn)(MX_GAUSS_FULL_ARGS_);
static const gauss_diag_fn gauss_diag_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gauss_diag_f32);
static const gauss_spherical_fn gauss_spherical_variants[MX_ISA_COUNT] =
    MX_ISA_VARIANTS(mx_gauss_spherical_f32);
static const gauss_full_fn gauss_full_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gauss_full_f32);

typedef struct {
    gauss_kind kind;
    size_t N, K, D;
    float *X, *mu, *var, *chol, *logw, *out;
    size_t work_bytes;
    double *want, *bound; /* computed on first use */
} gauss_case;

typedef struct {
    gauss_case *c;
    mx_isa isa;
} gauss_bench;

/* Lower Cholesky factors of K random SPD matrices R R^T / D + I. */
static void gauss_random_chol(mx_test_rng *r, size_t K, size_t D, float *chol) {
    float *R = bench_floats(D * D);
    for (size_t k = 0; k < K; ++k) {
        float *S = chol + k * D * D;
        mx_test_fill_normal(r, R, D * D, 0.0, 1.0);
        for (size_t i = 0; i < D; ++i)
            for (size_t j = 0; j < D; ++j) {
                double s = i == j ? 1.0 : 0.0;
                for (size_t l = 0; l < D; ++l) s += (double)R[i * D + l] * R[j * D + l] / (double)D;
                S[i * D + j] = (float)s;
            }
        if (mx_cholesky_f32(D, S, D) != MX_OK) {
            fprintf(stderr, "mixsimd-bench: a random covariance is not positive definite\n");
            exit(1);
        }
    }
    free(R);
}

static size_t gauss_work_bytes(gauss_kind kind, size_t K, size_t D) {
    switch (kind) {
    case GAUSS_DIAG: return mx_gauss_diag_workspace_size(K, D);
    case GAUSS_SPHERICAL: return mx_gauss_spherical_workspace_size(K, D);
    default: return mx_gauss_full_workspace_size(K, D);
    }
}

static gauss_case *gauss_case_new(gauss_kind kind, size_t N, size_t K, size_t D, uint64_t seed) {
    gauss_case *c = bench_alloc(sizeof *c);
    *c = (gauss_case){.kind = kind, .N = N, .K = K, .D = D,
                      .work_bytes = gauss_work_bytes(kind, K, D)};
    mx_test_rng r = mx_test_rng_seed(seed);
    c->X = bench_floats(N * D);
    c->mu = bench_floats(K * D);
    c->var = bench_floats(K * D);
    c->logw = bench_floats(K);
    c->out = bench_floats(N * K);
    mx_test_fill_normal(&r, c->X, N * D, 0.0, 1.0);
    mx_test_fill_normal(&r, c->mu, K * D, 0.0, 1.0);
    mx_test_fill_uniform(&r, c->var, K * D, 0.5, 2.0);
    for (size_t k = 0; k < K; ++k) c->logw[k] = (float)-log((double)K);
    if (kind == GAUSS_FULL) {
        c->chol = bench_floats(K * D * D);
        gauss_random_chol(&r, K, D, c->chol);
    }
    return c;
}

static void gauss_reference(gauss_case *c) {
    if (c->want != NULL) return;
    const size_t N = c->N, K = c->K, D = c->D;
    double *quad = bench_doubles(N * K), *cst = bench_doubles(K);
    c->want = bench_doubles(N * K);
    c->bound = bench_doubles(N * K);
    double quad_gamma;
    switch (c->kind) {
    case GAUSS_DIAG:
        mx_ref_gauss_diag(N, K, D, c->X, D, c->mu, D, c->var, D, c->logw, c->want, quad, cst);
        quad_gamma = bench_gamma((double)D + 8.0);
        break;
    case GAUSS_SPHERICAL:
        mx_ref_gauss_spherical(N, K, D, c->X, D, c->mu, D, c->var, c->logw, c->want, quad, cst);
        quad_gamma = bench_gamma((double)D + 8.0);
        break;
    default:
        mx_ref_gauss_full(N, K, D, c->X, D, c->mu, D, c->chol, c->logw, c->want, quad, cst);
        quad_gamma = 3.0 * bench_gamma((double)D + 4.0);
        break;
    }
    for (size_t i = 0; i < N * K; ++i) c->bound[i] = quad_gamma * quad[i] + 2.0 * BENCH_U * cst[i % K];
    free(quad);
    free(cst);
}

static void gauss_run(const gauss_case *c, mx_isa isa, void *work) {
    const size_t N = c->N, K = c->K, D = c->D;
    switch (c->kind) {
    case GAUSS_DIAG:
        gauss_diag_variants[isa](N, K, D, c->X, D, c->mu, D, c->var, D, c->logw, c->out, K, work,
                                 c->work_bytes);
        break;
    case GAUSS_SPHERICAL:
        gauss_spherical_variants[isa](N, K, D, c->X, D, c->mu, D, c->var, c->logw, c->out, K,
                                      work, c->work_bytes);
        break;
    default:
        gauss_full_variants[isa](N, K, D, c->X, D, c->mu, D, c->chol, c->logw, c->out, K, work,
                                 c->work_bytes);
        break;
    }
}

static double gauss_flops(const gauss_case *c) {
    const double nk = (double)c->N * (double)c->K, D = (double)c->D;
    return c->kind == GAUSS_FULL ? nk * (D * D + 4.0 * D) : 4.0 * nk * D;
}

static void gauss_body(cbench_state *st, void *ctx) {
    const gauss_bench *b = ctx;
    gauss_case *c = b->c;
    if (!bench_require_isa(st, b->isa)) return;
    bench_threads(st);
    void *work = bench_alloc(c->work_bytes);
    while (cbench_keep_running(st)) gauss_run(c, b->isa, work);
    free(work);
    cbench_set_flops(st, gauss_flops(c));
    cbench_set_items_processed(st, (double)c->N * (double)c->K);
    gauss_reference(c);
    bench_err e = {0};
    for (size_t i = 0; i < c->N * c->K; ++i) bench_err_add(&e, c->out[i], c->want[i], c->bound[i]);
    bench_err_report(st, &e);
}

static void gauss_register_case(gauss_case *c) {
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zux%zu", c->N, c->K, c->D);
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (gauss_diag_variants[isa] == NULL) continue;
        gauss_bench *b = bench_alloc(sizeof *b);
        *b = (gauss_bench){.c = c, .isa = (mx_isa)isa};
        bench_register("gauss", gauss_kind_names[c->kind], mx_isa_name((mx_isa)isa), shape,
                       isa == MX_ISA_SCALAR ? 1 : BENCH_MAX_THREADS, gauss_body, b);
    }
}

void bench_register_gauss(void) {
    static const size_t N = 10000, K = 10;
    gauss_register_case(gauss_case_new(GAUSS_DIAG, N, K, 10, 101));
    gauss_register_case(gauss_case_new(GAUSS_DIAG, N, K, 784, 102));
    gauss_register_case(gauss_case_new(GAUSS_SPHERICAL, N, K, 10, 103));
    gauss_register_case(gauss_case_new(GAUSS_SPHERICAL, N, K, 784, 104));
    gauss_register_case(gauss_case_new(GAUSS_FULL, N, K, 10, 105));
}
