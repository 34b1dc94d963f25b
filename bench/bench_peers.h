/* bench/bench_peers.h — peer libraries measured in the same run as mixsimd:
 * OpenBLAS (linked) and BLIS (loaded with dlopen, so its cblas_* symbols
 * cannot collide with OpenBLAS's). Row-major sgemm, C = op(A) op(B) with
 * alpha = 1, beta = 0, as the gemm benchmarks call mx_gemm_f32.
 * Each *_available() is 0 when the library is absent (the benchmark is then
 * skipped with a message); the names of the core type / architecture the
 * library runs are printed at start-up and stored in the JSON context. */
#ifndef MIXSIMD_BENCH_PEERS_H
#define MIXSIMD_BENCH_PEERS_H

#include <stddef.h>

/* Sets OPENBLAS_CORETYPE / BLIS_ARCH_TYPE to the best core type for this CPU
 * unless the user set them; OpenBLAS reads its variable when it loads, so the
 * program re-executes itself once when it had to change the environment. */
void bench_peers_setup_env(char **argv);
/* Prints and records (JSON context) which core types the peers use. */
void bench_peers_describe(void);

int bench_openblas_available(void);
void bench_openblas_sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, const float *A,
                          size_t lda, const float *B, size_t ldb, float *C, size_t ldc,
                          int threads);

int bench_blis_available(void);
void bench_blis_sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, const float *A,
                      size_t lda, const float *B, size_t ldb, float *C, size_t ldc, int threads);

/* The names the peers report ("" when absent). */
const char *bench_openblas_core(void);
const char *bench_blis_arch(void);

#endif
