/* Scalar oracle for the div family (see ref_div.h). Long double throughout;
 * expm1l(x) - x stands for e^x - 1 - x (the same quantity, without losing
 * the oracle's own digits when x is near 0). */
#include "ref_div.h"

#include <math.h>

double mx_ref_kl_diag_gauss(const float *m1, const float *lv1, const float *m2,
                            const float *lv2, size_t d) {
    long double sum = 0.0L;
    for (size_t j = 0; j < d; ++j) {
        /* lv2 - lv1 + (e^lv1 + (m1 - m2)^2) / e^lv2 - 1 */
        long double delta = (long double)lv1[j] - lv2[j], diff = (long double)m1[j] - m2[j];
        sum += expm1l(delta) - delta + diff * diff / expl(lv2[j]);
    }
    return (double)(0.5L * sum);
}

double mx_ref_kl_std_normal(const float *m, const float *lv, size_t d) {
    long double sum = 0.0L;
    for (size_t j = 0; j < d; ++j) /* e^lv + m^2 - 1 - lv */
        sum += expm1l(lv[j]) - (long double)lv[j] + (long double)m[j] * m[j];
    return (double)(0.5L * sum);
}

void mx_ref_kl_diag_gauss_to_mixture(const float *m, const float *lv, size_t ld, size_t n,
                                     const float *mu, const float *lvar, size_t ldc, size_t k,
                                     size_t d, double *out, size_t ldo) {
    for (size_t i = 0; i < n; ++i)
        for (size_t c = 0; c < k; ++c)
            out[i * ldo + c] = mx_ref_kl_diag_gauss(m + i * ld, lv + i * ld, mu + c * ldc,
                                                    lvar + c * ldc, d);
}

double mx_ref_kl_categorical(const float *p, const float *q, size_t d) {
    long double sum = 0.0L;
    for (size_t j = 0; j < d; ++j) {
        if (p[j] == 0.0f) continue; /* 0 log(0/q) = 0 */
        if (q[j] == 0.0f) return INFINITY;
        sum += (long double)p[j] * logl((long double)p[j] / q[j]);
    }
    return (double)sum;
}

double mx_ref_js_categorical(const float *p, const float *q, size_t d) {
    long double sum = 0.0L;
    for (size_t j = 0; j < d; ++j) {
        long double r = 0.5L * ((long double)p[j] + q[j]);
        if (p[j] > 0.0f) sum += p[j] * logl(p[j] / r);
        if (q[j] > 0.0f) sum += q[j] * logl(q[j] / r);
    }
    return (double)(0.5L * sum);
}

/* log N(x; m, e^lv) summed over coordinates, given z = (x - m) / sd. */
static long double mx_ref_log_normal_(long double lv, long double z) {
    return -0.5L * (logl(2.0L * 3.14159265358979323846264338327950288L) + lv + z * z);
}

/* log(2 P / (P + Q)) from log P and log Q (log-sum-exp). */
static long double mx_ref_log_2p_over_sum_(long double lp, long double lq) {
    long double top = lp > lq ? lp : lq;
    return logl(2.0L) + lp - (top + logl(expl(lp - top) + expl(lq - top)));
}

/* f_s for sample row e: 1/2 log(2P/(P+Q))(x) + 1/2 log(2Q/(P+Q))(y). */
static long double mx_ref_js_sample_(const float *m1, const float *lv1, const float *m2,
                                     const float *lv2, size_t d, const float *e) {
    long double lp_x = 0, lq_x = 0, lp_y = 0, lq_y = 0;
    for (size_t j = 0; j < d; ++j) {
        long double sd1 = expl(0.5L * lv1[j]), sd2 = expl(0.5L * lv2[j]);
        long double diff = (long double)m1[j] - m2[j];
        /* x = m1 + sd1 e ~ P and y = m2 + sd2 e ~ Q, standardised for each density */
        lp_x += mx_ref_log_normal_(lv1[j], e[j]);
        lq_x += mx_ref_log_normal_(lv2[j], (diff + sd1 * e[j]) / sd2);
        lp_y += mx_ref_log_normal_(lv1[j], (-diff + sd2 * e[j]) / sd1);
        lq_y += mx_ref_log_normal_(lv2[j], e[j]);
    }
    return 0.5L * (mx_ref_log_2p_over_sum_(lp_x, lq_x) + mx_ref_log_2p_over_sum_(lq_y, lp_y));
}

void mx_ref_js_diag_gauss_mc(const float *m1, const float *lv1, const float *m2,
                             const float *lv2, size_t d, const float *eps, size_t ld_eps,
                             size_t s, double *js, double *se, double *f) {
    long double sum = 0.0L;
    for (size_t k = 0; k < s; ++k) {
        long double fk = mx_ref_js_sample_(m1, lv1, m2, lv2, d, eps + k * ld_eps);
        if (f != NULL) f[k] = (double)fk;
        sum += fk;
    }
    long double mean = sum / s, var = 0.0L;
    for (size_t k = 0; k < s; ++k) { /* second pass: the sample variance */
        long double dev = mx_ref_js_sample_(m1, lv1, m2, lv2, d, eps + k * ld_eps) - mean;
        var += dev * dev;
    }
    *js = (double)mean;
    *se = s < 2 ? INFINITY : (double)sqrtl(var / ((long double)s * (s - 1)));
}

static double mx_ref_js_integrand_(double x, double m1, double sd1, double m2, double sd2) {
    double z1 = (x - m1) / sd1, z2 = (x - m2) / sd2;
    double lp = -0.5 * z1 * z1 - log(sd1) - 0.91893853320467274178;
    double lq = -0.5 * z2 * z2 - log(sd2) - 0.91893853320467274178;
    double p = exp(lp), q = exp(lq);
    return 0.5 * (p * (double)mx_ref_log_2p_over_sum_(lp, lq) + q * (double)mx_ref_log_2p_over_sum_(lq, lp));
}

double mx_ref_js_gauss_1d_quadrature(double m1, double lv1, double m2, double lv2) {
    double sd1 = exp(0.5 * lv1), sd2 = exp(0.5 * lv2);
    double lo = fmin(m1 - 14 * sd1, m2 - 14 * sd2), hi = fmax(m1 + 14 * sd1, m2 + 14 * sd2);
    const int intervals = 20000; /* even; Simpson error ~ h^4 */
    double h = (hi - lo) / intervals, sum = 0.0;
    for (int i = 0; i <= intervals; ++i) {
        double w = (i == 0 || i == intervals) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        sum += w * mx_ref_js_integrand_(lo + i * h, m1, sd1, m2, sd2);
    }
    return sum * h / 3.0;
}
