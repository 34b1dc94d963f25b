/* bench/bench_common.c — see bench_common.h. */
#include "bench_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

double bench_gamma(double n) { return n * BENCH_U / (1.0 - n * BENCH_U); }

/* ---- inputs ---------------------------------------------------------------- */
void *bench_alloc(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded > 0 ? rounded : 64);
    if (p == NULL) {
        fprintf(stderr, "mixsimd-bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    memset(p, 0, rounded);
    return p;
}

float *bench_floats(size_t n) { return bench_alloc(n * sizeof(float)); }
double *bench_doubles(size_t n) { return bench_alloc(n * sizeof(double)); }

/* ---- names, threads, ISAs -------------------------------------------------- */
cbench_bench *bench_register(const char *family, const char *op, const char *impl,
                             const char *shape, int max_threads, cbench_fn fn, void *ctx) {
    char name[256];
    snprintf(name, sizeof name, "%s/%s/%s/%s", family, op, impl, shape);
    cbench_bench *b = cbench_register(name, fn, ctx);
    cbench_arg_name(b, "threads");
    for (int threads = 1; threads <= max_threads; ++threads) cbench_arg(b, threads);
    return b;
}

int bench_threads(cbench_state *st) {
    const int threads = (int)cbench_range(st, 0);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    return threads;
}

int bench_require_isa(cbench_state *st, mx_isa isa) {
    if (mx_cpu_has(isa)) return 1;
    char message[96];
    snprintf(message, sizeof message, "this CPU lacks %s", mx_isa_name(isa));
    cbench_skip(st, message);
    return 0;
}

/* ---- error counters --------------------------------------------------------- */
void bench_err_add(bench_err *e, double got, double want, double bound) {
    double err;
    if (got == want) err = 0.0; /* also equal infinities */
    else if (isnan(got) || isnan(want) || isinf(got) || isinf(want)) err = INFINITY;
    else err = fabs(got - want);
    if (err > e->max_err) e->max_err = err;
    if (bound > 0.0) {
        e->has_bound = 1;
        if (err / bound > e->max_ratio) e->max_ratio = err / bound;
    }
}

void bench_err_report(cbench_state *st, const bench_err *e) {
    cbench_counter(st, "max_err", e->max_err, CBENCH_DEFAULT);
    if (e->has_bound) cbench_counter(st, "err_ratio", e->max_ratio, CBENCH_DEFAULT);
}

double bench_ulp_f32(double x) {
    double a = fabs(x);
    if (a < 0x1p-126) return 0x1p-149;
    int exponent;
    frexp(a, &exponent); /* a = f 2^exponent, f in [0.5, 1) */
    return ldexp(1.0, exponent - 24);
}
