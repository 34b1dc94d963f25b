/* Reference (oracle) for mixsimd/lse.h: one row at a time, in double, by the
 * textbook formulas, with the special values the library defines:
 *   K == 0 -> lse -inf; NaN in the row -> everything NaN; any +inf -> lse +inf,
 *   softmax 1/c on the c infinite entries (log-softmax -log c, -inf elsewhere);
 *   all -inf -> lse -inf, softmax 1/K, log-softmax -log K. */
#ifndef MIXSIMD_REF_LSE_H
#define MIXSIMD_REF_LSE_H

#include <stddef.h>

/* log sum_k exp(x[k]) for the K floats at x. */
double mx_ref_logsumexp(const float *x, size_t K);
/* p[k] = exp(x[k] - logsumexp(x)), k < K. */
void mx_ref_softmax(const float *x, size_t K, double *p);
/* y[k] = x[k] - logsumexp(x), k < K (may be below -FLT_MAX). */
void mx_ref_log_softmax(const float *x, size_t K, double *y);

#endif
