/* bench/bench_common.h — what every benchmark family shares: deterministic
 * inputs, aligned buffers, names, thread counts, ISA checks and the error
 * counters that compare a kernel's output with the reference (reference/).
 *
 * Names have five parts, family/op/impl/shape/threads:T, e.g.
 *   gemm/NN/avx512/256x784x500/threads:1     (our kernel, fixed ISA)
 *   gemm/NN/openblas/256x784x500/threads:2   (a peer on the same data)
 * bench/report.py splits them on '/'.
 *
 * Counters: "flops" (a rate, GFLOP/s in the report) or items_per_second
 * (elements/s); "max_err", the largest |computed - reference| of that run's
 * output; "err_ratio", the largest error divided by the kernel's documented
 * bound (<= 1 means within the bound) where the header states one.
 */
#ifndef MIXSIMD_BENCH_COMMON_H
#define MIXSIMD_BENCH_COMMON_H

#include <mixsimd/core.h>
#include <stddef.h>
#include <stdint.h>

#include "cbench.h"
#include "testrng.h"

#define BENCH_U 0x1p-24 /* float unit roundoff */

/* gamma_n = n u / (1 - n u) (Higham), the bound of n roundings. */
double bench_gamma(double n);

/* ---- inputs ---------------------------------------------------------------- */
/* Deterministic inputs: tests/testrng.h (mx_test_rng, shared with the tests). */

/* 64-byte aligned, zeroed; exits with a message when memory runs out (the
 * benchmark program cannot go on without its inputs). Inputs live as long
 * as the registered benchmarks; workspaces are released with free(). */
void *bench_alloc(size_t bytes);
float *bench_floats(size_t n);
double *bench_doubles(size_t n);

/* ---- names, threads, ISAs -------------------------------------------------- */
/* Registers fn(ctx) as family/op/impl/shape/threads:T for T = 1 ..
 * max_threads (a Google Benchmark argument named "threads"). */
cbench_bench *bench_register(const char *family, const char *op, const char *impl,
                             const char *shape, int max_threads, cbench_fn fn, void *ctx);
/* The benchmark's thread count T; the kernels' OpenMP runs T threads from
 * now on (without OpenMP, T is reported but one thread runs). */
int bench_threads(cbench_state *st);
/* 1 if the CPU runs isa; else marks the benchmark skipped and returns 0. */
int bench_require_isa(cbench_state *st, mx_isa isa);
/* Threaded kernels (gemm and the E-step: gauss, lse) run at 1 and 2 threads. */
enum { BENCH_MAX_THREADS = 2 };

/* ---- error counters --------------------------------------------------------- */
typedef struct {
    double max_err;   /* largest |got - want|                    */
    double max_ratio; /* largest |got - want| / bound (bound > 0) */
    int has_bound;
} bench_err;

/* Adds one element; bound <= 0 means "no documented bound". A NaN or a
 * mismatched infinity counts as an infinite error. */
void bench_err_add(bench_err *e, double got, double want, double bound);
/* Sets the counters max_err and (when bounded) err_ratio. */
void bench_err_report(cbench_state *st, const bench_err *e);
/* The float ULP at |x| (x as double). */
double bench_ulp_f32(double x);

/* ---- registration of each family (bench_<family>.c) ---------------------- */
void bench_register_gemm(void);
void bench_register_gauss(void);
void bench_register_lse(void);
void bench_register_div(void);
void bench_register_act(void);
void bench_register_vmath(void);

/* SLEEF's 1-ULP exp over n floats, the cost floor of lse/softmax
 * (bench_vmath.c); registered beside lse as lse/exp_alone/... */
void bench_register_exp_alone(const char *shape, size_t n);

#endif
