/* Reference (oracle) for the gemm family: the textbook triple loop in double.
 * Independent of the library: plain C, no SIMD, no blocking. */
#ifndef MIXSIMD_REF_GEMM_H
#define MIXSIMD_REF_GEMM_H

#include <stddef.h>

/* out = alpha * op(A) op(B) + beta * C with BLAS semantics, row-major:
 * op(A) is M x K (A stored M x K, or K x M when trans_a), op(B) is K x N
 * (B stored K x N, or N x K when trans_b), C is M x N with row stride ldc.
 * beta == 0: C is not read. K == 0 or alpha == 0: A and B are not read and
 * out = beta * C. Each product and sum is computed in double (products of two
 * floats are exact in double; the sum's relative error, about K 2^-53 of the
 * condition, is negligible next to float32 bounds).
 *   out[i N + j]  = the result (double, not rounded to float);
 *   cond[i N + j] = sum_k |op(A)_ik| |op(B)_kj| (0 when A and B are not read).
 * Either output may be NULL. */
void mx_ref_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, double alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, double beta,
                 const float *C, size_t ldc, double *out, double *cond);

#endif
