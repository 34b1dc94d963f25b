/* Scalar oracle for the gauss family (include/mixsimd/gauss.h): the textbook
 * formulas in double, written for obviousness, not speed.
 *
 * Results are dense N x K doubles (out[n*K + k]). The optional outputs give
 * the quantities the documented error bounds are stated in:
 *   quad[n*K + k]  diagonal/spherical: Q = sum_j (x_j - mu_j)^2 / (2 v_j)
 *                  full: P = 1/2 |z|^T (|L^-1| |L|) |z|, z = L^-1 (x - mu)
 *   cst[k]         C = |logw_k| + D/2 log(2 pi) + (1/2 sum_j |log v_j|
 *                  or, full, sum_j |log L_jj|)
 * Either may be NULL. */
#ifndef MX_REF_GAUSS_H
#define MX_REF_GAUSS_H

#include <stddef.h>

void mx_ref_gauss_diag(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                       const float *mu, size_t ldmu, const float *var, size_t ldvar,
                       const float *logw, double *out, double *quad, double *cst);

/* var has K entries (one variance per component). */
void mx_ref_gauss_spherical(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                            const float *mu, size_t ldmu, const float *var,
                            const float *logw, double *out, double *quad, double *cst);

/* chol: K consecutive D x D row-major lower factors (upper triangle ignored). */
void mx_ref_gauss_full(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                       const float *mu, size_t ldmu, const float *chol, const float *logw,
                       double *out, double *quad, double *cst);

/* Lower Cholesky factor of the symmetric matrix whose lower triangle is A
 * (row stride lda) into L (dense D x D, upper triangle 0). Returns 0, or -1
 * when A is not positive definite. */
int mx_ref_cholesky(size_t D, const float *A, size_t lda, double *L);

#endif
