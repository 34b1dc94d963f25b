#include "ref_gemm.h"

#include <math.h>

static double ref_op_elem(const float *X, size_t ld, int trans, size_t row, size_t col) {
    return trans ? (double)X[col * ld + row] : (double)X[row * ld + col];
}

void mx_ref_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, double alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, double beta,
                 const float *C, size_t ldc, double *out, double *cond) {
    const int read_ab = K > 0 && alpha != 0.0;
    for (size_t i = 0; i < M; ++i) {
        for (size_t j = 0; j < N; ++j) {
            double sum = 0.0, abs_sum = 0.0;
            for (size_t k = 0; read_ab && k < K; ++k) {
                const double a = ref_op_elem(A, lda, trans_a, i, k);
                const double b = ref_op_elem(B, ldb, trans_b, k, j);
                sum += a * b;
                abs_sum += fabs(a) * fabs(b);
            }
            double result = read_ab ? alpha * sum : 0.0;
            if (beta != 0.0) result += beta * (double)C[i * ldc + j];
            if (out) out[i * N + j] = result;
            if (cond) cond[i * N + j] = abs_sum;
        }
    }
}
