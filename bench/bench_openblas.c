/* bench/bench_openblas.c — OpenBLAS's cblas_sgemm as the gemm peer. */
#include "bench_peers.h"

#ifdef BENCH_HAVE_OPENBLAS
#include <cblas.h>

int bench_openblas_available(void) { return 1; }

const char *bench_openblas_core(void) { return openblas_get_corename(); }

void bench_openblas_sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, const float *A,
                          size_t lda, const float *B, size_t ldb, float *C, size_t ldc,
                          int threads) {
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N, (blasint)K, 1.0f, A,
                (blasint)lda, B, (blasint)ldb, 0.0f, C, (blasint)ldc);
}
#else
int bench_openblas_available(void) { return 0; }
const char *bench_openblas_core(void) { return ""; }
void bench_openblas_sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, const float *A,
                          size_t lda, const float *B, size_t ldb, float *C, size_t ldc,
                          int threads) {
    (void)trans_a, (void)trans_b, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B;
    (void)ldb, (void)C, (void)ldc, (void)threads;
}
#endif
