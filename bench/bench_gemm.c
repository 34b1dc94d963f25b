/* bench/bench_gemm.c — sgemm: mixsimd's fixed-ISA variants beside OpenBLAS
 * and BLIS on the same matrices.
 *
 * Shapes: the MLP 784-500-500-2000-10 (and its mirrored decoder's 10 -> 2000)
 * at batch 256, each layer in its three products; names give the layer as
 * batch x in x out, as issue 3 writes it:
 *   fwd-NN  Y  = X W        M = batch, N = out,  K = in
 *   dW-TN   dW = X^T dY     M = in,    N = out,  K = batch
 *   dX-NT   dX = dY W^T     M = batch, N = in,   K = out
 * plus gauss-NN, the GEMM a Gaussian log-likelihood of N points, K components
 * and dimension D becomes when the square is expanded (X^2 P^T - 2 X (M/V)^T:
 * M = N, N = K, K = 2D), named N x K x D like the gauss benchmark it is
 * compared with.
 *
 * FLOP count: 2 M N K (one multiply and one add per term), alpha = 1, beta = 0.
 * err_ratio: worst |C - C_exact| / (gamma_{K+2} sum_k |a_ik||b_kj|
 * + 2 (K + 2) 2^-149), the bound gemm.h documents (alpha = 1). */
#include <mixsimd/gemm.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"
#include "bench_peers.h"
#include "ref_gemm.h"

enum { IMPL_OPENBLAS = MX_ISA_COUNT, IMPL_BLIS, IMPL_COUNT };

typedef void (*gemm_fn)(mx_op, mx_op, size_t, size_t, size_t, float, const float *, size_t,
                        const float *, size_t, float, float *, size_t, void *, size_t);
static const gemm_fn gemm_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gemm_f32);

typedef struct {
    mx_op op_a, op_b;
    size_t M, N, K, lda, ldb;
    float *A, *B, *C;
    double *bound; /* computed on first use, with want */
    double *want;
} gemm_case;

typedef struct {
    gemm_case *c;
    int impl; /* an mx_isa, IMPL_OPENBLAS or IMPL_BLIS */
} gemm_bench;

static gemm_case *gemm_case_new(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K,
                                uint64_t seed) {
    gemm_case *c = bench_alloc(sizeof *c);
    *c = (gemm_case){.op_a = op_a, .op_b = op_b, .M = M, .N = N, .K = K,
                     .lda = op_a == MX_OP_N ? K : M, .ldb = op_b == MX_OP_N ? N : K};
    mx_test_rng r = mx_test_rng_seed(seed);
    c->A = bench_floats(M * K);
    c->B = bench_floats(K * N);
    c->C = bench_floats(M * N);
    mx_test_fill_uniform(&r, c->A, M * K, -1.0, 1.0);
    mx_test_fill_uniform(&r, c->B, K * N, -1.0, 1.0);
    return c;
}

static void gemm_reference(gemm_case *c) {
    if (c->want != NULL) return;
    c->want = bench_doubles(c->M * c->N);
    c->bound = bench_doubles(c->M * c->N);
    mx_ref_gemm(c->op_a == MX_OP_T, c->op_b == MX_OP_T, c->M, c->N, c->K, 1.0, c->A, c->lda,
                c->B, c->ldb, 0.0, NULL, c->N, c->want, c->bound);
    const double gamma = bench_gamma((double)c->K + 2.0), tiny = 2.0 * ((double)c->K + 2.0) * 0x1p-149;
    for (size_t i = 0; i < c->M * c->N; ++i) c->bound[i] = gamma * c->bound[i] + tiny;
}

static void gemm_check(cbench_state *st, gemm_case *c) {
    gemm_reference(c);
    bench_err e = {0};
    for (size_t i = 0; i < c->M * c->N; ++i) bench_err_add(&e, c->C[i], c->want[i], c->bound[i]);
    bench_err_report(st, &e);
}

static int gemm_impl_ready(cbench_state *st, int impl) {
    if (impl == IMPL_OPENBLAS && !bench_openblas_available()) {
        cbench_skip(st, "OpenBLAS was not found when the benchmarks were built");
        return 0;
    }
    if (impl == IMPL_BLIS && !bench_blis_available()) {
        cbench_skip(st, "BLIS (libblis.so.4) is not installed");
        return 0;
    }
    return impl >= MX_ISA_COUNT || bench_require_isa(st, (mx_isa)impl);
}

static void gemm_run(const gemm_bench *b, int threads, void *work, size_t work_bytes) {
    const gemm_case *c = b->c;
    const int ta = c->op_a == MX_OP_T, tb = c->op_b == MX_OP_T;
    if (b->impl == IMPL_OPENBLAS)
        bench_openblas_sgemm(ta, tb, c->M, c->N, c->K, c->A, c->lda, c->B, c->ldb, c->C, c->N,
                             threads);
    else if (b->impl == IMPL_BLIS)
        bench_blis_sgemm(ta, tb, c->M, c->N, c->K, c->A, c->lda, c->B, c->ldb, c->C, c->N,
                         threads);
    else
        gemm_variants[b->impl](c->op_a, c->op_b, c->M, c->N, c->K, 1.0f, c->A, c->lda, c->B,
                               c->ldb, 0.0f, c->C, c->N, work, work_bytes);
}

static void gemm_body(cbench_state *st, void *ctx) {
    const gemm_bench *b = ctx;
    gemm_case *c = b->c;
    if (!gemm_impl_ready(st, b->impl)) return;
    const int threads = bench_threads(st);
    size_t work_bytes = b->impl < MX_ISA_COUNT
        ? mx_gemm_f32_workspace_size_for(c->M, c->N, c->K, (size_t)threads) : 0;
    void *work = work_bytes > 0 ? bench_alloc(work_bytes) : NULL;
    while (cbench_keep_running(st)) gemm_run(b, threads, work, work_bytes);
    free(work);
    cbench_set_flops(st, 2.0 * (double)c->M * (double)c->N * (double)c->K);
    gemm_check(st, c);
}

static const char *const gemm_impl_names[IMPL_COUNT] = {
    [MX_ISA_SCALAR] = "scalar", [MX_ISA_NEON] = "neon", [MX_ISA_AVX2] = "avx2",
    [MX_ISA_AVX512] = "avx512", [IMPL_OPENBLAS] = "openblas", [IMPL_BLIS] = "blis"};

/* Every implementation of this platform at 1 and 2 threads (scalar: 1). */
static void gemm_register_case(const char *op, const char *shape, gemm_case *c) {
    for (int impl = 0; impl < IMPL_COUNT; ++impl) {
        if (impl < MX_ISA_COUNT && gemm_variants[impl] == NULL) continue;
        gemm_bench *b = bench_alloc(sizeof *b);
        *b = (gemm_bench){.c = c, .impl = impl};
        bench_register("gemm", op, gemm_impl_names[impl], shape,
                       impl == MX_ISA_SCALAR ? 1 : BENCH_MAX_THREADS, gemm_body, b);
    }
}

void bench_register_gemm(void) {
    static const size_t batch = 256;
    static const size_t layers[][2] = {{784, 500}, {500, 500}, {500, 2000}, {2000, 10}, {10, 2000}};
    static const size_t gauss_shapes[][3] = {{10000, 10, 10}, {10000, 10, 784}};
    uint64_t seed = 1;
    for (size_t l = 0; l < sizeof layers / sizeof layers[0]; ++l) {
        const size_t in = layers[l][0], out = layers[l][1];
        char shape[64];
        snprintf(shape, sizeof shape, "%zux%zux%zu", batch, in, out);
        gemm_register_case("fwd-NN", shape, gemm_case_new(MX_OP_N, MX_OP_N, batch, out, in, seed++));
        gemm_register_case("dW-TN", shape, gemm_case_new(MX_OP_T, MX_OP_N, in, out, batch, seed++));
        gemm_register_case("dX-NT", shape, gemm_case_new(MX_OP_N, MX_OP_T, batch, in, out, seed++));
    }
    for (size_t g = 0; g < sizeof gauss_shapes / sizeof gauss_shapes[0]; ++g) {
        const size_t n = gauss_shapes[g][0], k = gauss_shapes[g][1], d = gauss_shapes[g][2];
        char shape[64];
        snprintf(shape, sizeof shape, "%zux%zux%zu", n, k, d);
        gemm_register_case("gauss-NN", shape, gemm_case_new(MX_OP_N, MX_OP_N, n, k, 2 * d, seed++));
    }
}
