/* Scalar oracle for the gauss family; see ref_gauss.h. */
#include "ref_gauss.h"

#include <math.h>
#include <stdlib.h>

static double log_2pi(void) { return log(2.0 * acos(-1.0)); }

/* NaN if some x_j is NaN, -inf if some x_j is infinite, else 0 (finite). */
static double nonfinite_row(size_t D, const float *x) {
    int inf = 0;
    for (size_t j = 0; j < D; ++j) {
        if (isnan(x[j])) return NAN;
        if (isinf(x[j])) inf = 1;
    }
    return inf ? -INFINITY : 0.0;
}

/* var(k, j) = var[k*ldvar + j], or var[k] when ldvar == 0 (spherical). */
static void gauss_diagonal(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                           const float *mu, size_t ldmu, const float *var, size_t ldvar,
                           const float *logw, double *out, double *quad, double *cst) {
    for (size_t k = 0; k < K; ++k) {
        double logdet = 0.0, abs_logdet = 0.0;
        for (size_t j = 0; j < D; ++j) {
            double v = ldvar ? var[k * ldvar + j] : var[k];
            logdet += log(v);
            abs_logdet += fabs(log(v));
        }
        double w = logw ? logw[k] : 0.0;
        if (cst) cst[k] = fabs(w) + 0.5 * (double)D * log_2pi() + 0.5 * abs_logdet;
        for (size_t n = 0; n < N; ++n) {
            double q = 0.0;
            for (size_t j = 0; j < D; ++j) {
                double v = ldvar ? var[k * ldvar + j] : var[k];
                double d = (double)X[n * ldx + j] - (double)mu[k * ldmu + j];
                q += d * d / (2.0 * v);
            }
            out[n * K + k] = w - 0.5 * (double)D * log_2pi() - 0.5 * logdet - q;
            if (quad) quad[n * K + k] = q;
        }
    }
}

void mx_ref_gauss_diag(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                       const float *mu, size_t ldmu, const float *var, size_t ldvar,
                       const float *logw, double *out, double *quad, double *cst) {
    gauss_diagonal(N, K, D, X, ldx, mu, ldmu, var, ldvar ? ldvar : 1, logw, out, quad, cst);
}

void mx_ref_gauss_spherical(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                            const float *mu, size_t ldmu, const float *var,
                            const float *logw, double *out, double *quad, double *cst) {
    gauss_diagonal(N, K, D, X, ldx, mu, ldmu, var, 0, logw, out, quad, cst);
}

/* Linv = L^{-1} for lower triangular L (dense D x D doubles), column by column. */
static void lower_inverse(size_t D, const double *L, double *Linv) {
    for (size_t c = 0; c < D; ++c) {
        for (size_t i = 0; i < D; ++i) {
            double s = (i == c) ? 1.0 : 0.0;
            for (size_t l = 0; l < i; ++l) s -= L[i * D + l] * Linv[l * D + c];
            Linv[i * D + c] = s / L[i * D + i];
        }
    }
}

void mx_ref_gauss_full(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                       const float *mu, size_t ldmu, const float *chol, const float *logw,
                       double *out, double *quad, double *cst) {
    double *L = malloc((D * D + 1) * sizeof *L), *Linv = malloc((D * D + 1) * sizeof *Linv);
    double *M = malloc((D * D + 1) * sizeof *M), *z = malloc((D + 1) * sizeof *z);
    if (!L || !Linv || !M || !z) abort();
    for (size_t k = 0; k < K; ++k) {
        const float *Lk = chol + k * D * D;
        double logdet_half = 0.0, abs_sum = 0.0;
        for (size_t i = 0; i < D; ++i) {
            for (size_t l = 0; l < D; ++l) L[i * D + l] = l <= i ? Lk[i * D + l] : 0.0;
            logdet_half += log(L[i * D + i]);
            abs_sum += fabs(log(L[i * D + i]));
        }
        lower_inverse(D, L, Linv);
        for (size_t i = 0; i < D; ++i) /* M = |L^-1| |L| */
            for (size_t l = 0; l < D; ++l) {
                double s = 0.0;
                for (size_t m = 0; m < D; ++m) s += fabs(Linv[i * D + m]) * fabs(L[m * D + l]);
                M[i * D + l] = s;
            }
        double w = logw ? logw[k] : 0.0;
        if (cst) cst[k] = fabs(w) + 0.5 * (double)D * log_2pi() + abs_sum;
        for (size_t n = 0; n < N; ++n) {
            const float *x = X + n * ldx;
            double bad = nonfinite_row(D, x);
            if (bad != 0.0 || isnan(bad)) {
                out[n * K + k] = bad;
                if (quad) quad[n * K + k] = 0.0;
                continue;
            }
            double q = 0.0, p = 0.0;
            for (size_t i = 0; i < D; ++i) { /* forward substitution L z = x - mu */
                double s = (double)x[i] - (double)mu[k * ldmu + i];
                for (size_t l = 0; l < i; ++l) s -= L[i * D + l] * z[l];
                z[i] = s / L[i * D + i];
                q += z[i] * z[i];
            }
            for (size_t i = 0; i < D; ++i)
                for (size_t l = 0; l < D; ++l) p += fabs(z[i]) * M[i * D + l] * fabs(z[l]);
            out[n * K + k] = w - 0.5 * (double)D * log_2pi() - logdet_half - 0.5 * q;
            if (quad) quad[n * K + k] = 0.5 * p;
        }
    }
    free(L);
    free(Linv);
    free(M);
    free(z);
}

int mx_ref_cholesky(size_t D, const float *A, size_t lda, double *L) {
    for (size_t i = 0; i < D; ++i) {
        for (size_t j = 0; j < D; ++j) L[i * D + j] = 0.0;
        for (size_t j = 0; j <= i; ++j) {
            double s = A[i * lda + j];
            for (size_t l = 0; l < j; ++l) s -= L[i * D + l] * L[j * D + l];
            if (i == j) {
                if (!(s > 0.0)) return -1;
                L[i * D + i] = sqrt(s);
            } else {
                L[i * D + j] = s / L[j * D + j];
            }
        }
    }
    return 0;
}
