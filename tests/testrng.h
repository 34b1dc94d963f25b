/* Deterministic inputs for the tests and the benchmarks: a splitmix64 stream
 * (independent of mx_rng, which is itself under test), uniform and normal
 * draws and array fills. No test framework here, so the benchmark program
 * shares it. */
#ifndef MIXSIMD_TESTRNG_H
#define MIXSIMD_TESTRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct { uint64_t state; } mx_test_rng;
mx_test_rng mx_test_rng_seed(uint64_t seed);
uint64_t mx_test_next_u64(mx_test_rng *r);
double mx_test_uniform(mx_test_rng *r, double lo, double hi);  /* [lo, hi) */
double mx_test_normal(mx_test_rng *r);                          /* N(0, 1)  */
void mx_test_fill_uniform(mx_test_rng *r, float *x, size_t n, double lo, double hi);
void mx_test_fill_normal(mx_test_rng *r, float *x, size_t n, double mean, double sd);

#endif
