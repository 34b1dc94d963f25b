/* Scalar oracle for the div family: the textbook formulas, evaluated in long
 * double, for obviousness not speed. Does not use the library. */
#ifndef MIXSIMD_REF_DIV_H
#define MIXSIMD_REF_DIV_H

#include <stddef.h>

/* KL(N(m1, e^lv1) || N(m2, e^lv2)) of one row pair of length d. */
double mx_ref_kl_diag_gauss(const float *m1, const float *lv1, const float *m2,
                            const float *lv2, size_t d);
/* KL(N(m, e^lv) || N(0, I)). */
double mx_ref_kl_std_normal(const float *m, const float *lv, size_t d);
/* out[i*ldo + c] = KL(q_i || p_c) for the n rows (m, lv; ld) and k rows (mu, lvar; ldc). */
void mx_ref_kl_diag_gauss_to_mixture(const float *m, const float *lv, size_t ld, size_t n,
                                     const float *mu, const float *lvar, size_t ldc, size_t k,
                                     size_t d, double *out, size_t ldo);
/* sum_j p log(p/q) with 0 log(0/q) = 0; +inf if p > 0 = q. */
double mx_ref_kl_categorical(const float *p, const float *q, size_t d);
/* 1/2 KL(p || r) + 1/2 KL(q || r), r = (p + q)/2. */
double mx_ref_js_categorical(const float *p, const float *q, size_t d);
/* The Monte-Carlo JS estimator of mx_js_diag_gauss_rows_f32 for one row pair,
 * with the same S x d samples eps: *js = mean of f_s, *se its standard error,
 * f (optional, S values) the per-sample terms f_s. */
void mx_ref_js_diag_gauss_mc(const float *m1, const float *lv1, const float *m2,
                             const float *lv2, size_t d, const float *eps, size_t ld_eps,
                             size_t s, double *js, double *se, double *f);
/* JS between two 1-D Gaussians (mean, log-variance) by composite Simpson
 * quadrature over +-14 standard deviations of both. */
double mx_ref_js_gauss_1d_quadrature(double m1, double lv1, double m2, double lv2);

#endif
