/* Reference log-sum-exp / softmax / log-softmax: plain C, double throughout.
 * Shifting by the maximum m keeps exp finite: lse = m + log sum exp(x - m). */
#include "ref_lse.h"

#include <math.h>

/* Facts about a row that decide which formula applies. */
typedef struct {
    int has_nan;
    size_t n_posinf;
    double max;
} ref_row_facts;

static ref_row_facts ref_facts(const float *x, size_t K) {
    ref_row_facts f = {0, 0, -INFINITY};
    for (size_t k = 0; k < K; ++k) {
        if (isnan(x[k])) f.has_nan = 1;
        else if (x[k] == INFINITY) f.n_posinf++;
        if (x[k] > f.max) f.max = x[k];
    }
    return f;
}

/* log sum_k exp(x_k - m), for a row whose maximum m is finite. */
static double ref_log_sum_shifted(const float *x, size_t K, double m) {
    double sum = 0.0;
    for (size_t k = 0; k < K; ++k) sum += exp((double)x[k] - m);
    return log(sum);
}

double mx_ref_logsumexp(const float *x, size_t K) {
    ref_row_facts f = ref_facts(x, K);
    if (f.has_nan) return NAN;
    if (!isfinite(f.max)) return f.max; /* +inf present, or all -inf (or K == 0) */
    return f.max + ref_log_sum_shifted(x, K, f.max);
}

void mx_ref_softmax(const float *x, size_t K, double *p) {
    ref_row_facts f = ref_facts(x, K);
    const double log_sum = isfinite(f.max) ? ref_log_sum_shifted(x, K, f.max) : 0.0;
    for (size_t k = 0; k < K; ++k) {
        if (f.has_nan) p[k] = NAN;
        else if (f.n_posinf > 0) p[k] = x[k] == INFINITY ? 1.0 / (double)f.n_posinf : 0.0;
        else if (f.max == -INFINITY) p[k] = 1.0 / (double)K;
        else p[k] = exp((double)x[k] - f.max - log_sum);
    }
}

void mx_ref_log_softmax(const float *x, size_t K, double *y) {
    ref_row_facts f = ref_facts(x, K);
    const double log_sum = isfinite(f.max) ? ref_log_sum_shifted(x, K, f.max) : 0.0;
    for (size_t k = 0; k < K; ++k) {
        if (f.has_nan) y[k] = NAN;
        else if (f.n_posinf > 0) y[k] = x[k] == INFINITY ? -log((double)f.n_posinf) : -INFINITY;
        else if (f.max == -INFINITY) y[k] = -log((double)K);
        else y[k] = ((double)x[k] - f.max) - log_sum;
    }
}
