#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const size_t mx_test_sizes[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257};
const size_t mx_test_sizes_count = sizeof mx_test_sizes / sizeof mx_test_sizes[0];

void *mx_test_alloc(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    cr_assert(p != NULL, "out of memory allocating %zu bytes", bytes);
    memset(p, 0, rounded ? rounded : 64);
    return p;
}

float *mx_test_floats(size_t n) { return mx_test_alloc(n * sizeof(float)); }
double *mx_test_doubles(size_t n) { return mx_test_alloc(n * sizeof(double)); }

double mx_ulp_f32(double x) {
    double a = fabs(x);
    if (a < 0x1p-126) return 0x1p-149; /* subnormal spacing */
    if (a >= 0x1p128) return INFINITY;
    int e;
    frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
    return ldexp(1.0, e - 24);
}

/* err/bound for one element; INFINITY when special values disagree. */
static double mx_check_ratio_(double got, double want, double bound, double *err) {
    if (isnan(want) || isnan(got)) {
        *err = (isnan(want) && isnan(got)) ? 0.0 : INFINITY;
        return *err;
    }
    if (isinf(want) || isinf(got)) {
        *err = (got == want) ? 0.0 : INFINITY;
        return *err;
    }
    *err = fabs(got - want);
    if (*err == 0.0) return 0.0;
    return bound > 0.0 ? *err / bound : INFINITY;
}

static void mx_check_update_(mx_check *c, size_t i, double got, double want, double bound) {
    double err;
    double ratio = mx_check_ratio_(got, want, bound, &err);
    if (ratio > c->worst_ratio || (c->worst_ratio == 0.0 && i == 0)) {
        c->worst_ratio = ratio;
        c->worst_index = i;
        c->got = got;
        c->want = want;
        c->err = err;
        c->bound = bound;
    }
}

static mx_check mx_check_finish_(mx_check c) {
    c.ok = c.worst_ratio <= 1.0;
    return c;
}

mx_check mx_check_ulp(const float *got, const double *want, size_t n, double max_ulp) {
    mx_check c = {0};
    for (size_t i = 0; i < n; ++i)
        mx_check_update_(&c, i, got[i], want[i], max_ulp * mx_ulp_f32(want[i]));
    return mx_check_finish_(c);
}

mx_check mx_check_abs(const float *got, const double *want, const double *bound, size_t n) {
    mx_check c = {0};
    for (size_t i = 0; i < n; ++i) mx_check_update_(&c, i, got[i], want[i], bound[i]);
    return mx_check_finish_(c);
}

mx_check mx_check_tol(const float *got, const double *want, size_t n, double abs_tol, double rel_tol) {
    mx_check c = {0};
    for (size_t i = 0; i < n; ++i)
        mx_check_update_(&c, i, got[i], want[i], abs_tol + rel_tol * fabs(want[i]));
    return mx_check_finish_(c);
}

const char *mx_test_label_(const char *fmt, ...) {
    static _Thread_local char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}
