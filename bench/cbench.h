/* bench/cbench.h — a small C API over Google Benchmark (bench/cbench.cc).
 *
 * Benchmark bodies are C functions:
 *
 *     static void bench_foo(cbench_state *st, void *ctx) {
 *         struct foo *f = ctx;
 *         while (cbench_keep_running(st)) run_foo(f);
 *         cbench_set_items_processed(st, f->n);          // per iteration
 *         cbench_counter(st, "err_ratio", worst, CBENCH_AVG_THREADS);
 *     }
 *     cbench_bench *b = cbench_register("foo/avx512/1000", bench_foo, &foo_ctx);
 *     cbench_arg_name(b, "threads");              // foo/avx512/1000/threads:1, :2
 *     cbench_arg(b, 1);
 *     cbench_arg(b, 2);
 *
 * Counts given "per iteration" (items, bytes, flops) are turned into rates
 * over the measured (wall-clock) time. The program's main() lives in
 * cbench.cc: it calls cbench_setup(), then cbench_register_all() (both
 * supplied by the C side), then runs what the command line selects.
 */
#ifndef MIXSIMD_CBENCH_H
#define MIXSIMD_CBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cbench_state cbench_state; /* benchmark::State          */
typedef struct cbench_bench cbench_bench; /* benchmark::internal::Benchmark */
typedef void (*cbench_fn)(cbench_state *st, void *ctx);

/* Registers fn(st, ctx) under name; ctx must outlive the run. Benchmarks are
 * timed in wall-clock time (kernels may run OpenMP threads). Returns a handle
 * for the functions below; NULL when name or fn is NULL. */
cbench_bench *cbench_register(const char *name, cbench_fn fn, void *ctx);
/* Adds a run with one argument value; cbench_range(st, 0) reads it. Each
 * value is a separate benchmark named name/<value>, or name/<arg name>:<value>
 * after cbench_arg_name (e.g. "threads" gives .../threads:2). */
void cbench_arg(cbench_bench *b, int64_t value);
void cbench_arg_name(cbench_bench *b, const char *arg_name);

/* 1 while the timed loop should run another iteration. */
int cbench_keep_running(cbench_state *st);
/* The benchmark's i-th argument (see cbench_arg). */
int64_t cbench_range(const cbench_state *st, int i);

/* Work done by ONE iteration; reported as rates per second. */
void cbench_set_items_processed(cbench_state *st, double items_per_iteration);
void cbench_set_bytes_processed(cbench_state *st, double bytes_per_iteration);
/* Floating-point operations of one iteration: counter "flops", a rate. */
void cbench_set_flops(cbench_state *st, double flops_per_iteration);

/* Counter flags, translated to benchmark::Counter::Flags inside cbench.cc
 * (their bit values differ: never pass Google Benchmark's flags here). */
enum cbench_counter_flags {
    CBENCH_DEFAULT = 0,
    CBENCH_RATE = 1 << 0,           /* value / seconds                    */
    CBENCH_PER_ITERATION = 1 << 1,  /* value * iterations (with RATE: per-iteration rate) */
    CBENCH_AVG_THREADS = 1 << 2,    /* value / threads                   */
    CBENCH_INVERT = 1 << 3          /* 1 / result (e.g. seconds per item) */
};
/* Sets user counter name to value with the flags above (an OR of them). */
void cbench_counter(cbench_state *st, const char *name, double value, unsigned flags);
/* A short free-text note printed beside the result. */
void cbench_set_label(cbench_state *st, const char *label);
/* Ends the benchmark without a result and with a message (an ISA the CPU
 * lacks, a peer library that is not installed). Call before the timed loop. */
void cbench_skip(cbench_state *st, const char *message);

/* Extra key/value pairs in the output's "context" (CPU, ISA, peer settings). */
void cbench_add_context(const char *key, const char *value);

/* Supplied by the C side of the program: cbench_setup runs first thing in
 * main(), before Google Benchmark reads the command line (it may re-execute
 * the program with a changed environment); cbench_register_all registers
 * every benchmark. */
void cbench_setup(int argc, char **argv);
void cbench_register_all(void);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_CBENCH_H */
