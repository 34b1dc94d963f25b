#include "testrng.h"

#include <math.h>

mx_test_rng mx_test_rng_seed(uint64_t seed) {
    mx_test_rng r = {seed ^ 0x9E3779B97F4A7C15ull};
    return r;
}

uint64_t mx_test_next_u64(mx_test_rng *r) { /* splitmix64 */
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double mx_test_uniform(mx_test_rng *r, double lo, double hi) {
    return lo + (hi - lo) * ((double)(mx_test_next_u64(r) >> 11) * 0x1p-53);
}

double mx_test_normal(mx_test_rng *r) { /* Box-Muller, one of the pair */
    double u1 = 1.0 - mx_test_uniform(r, 0.0, 1.0), u2 = mx_test_uniform(r, 0.0, 1.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void mx_test_fill_uniform(mx_test_rng *r, float *x, size_t n, double lo, double hi) {
    for (size_t i = 0; i < n; ++i) x[i] = (float)mx_test_uniform(r, lo, hi);
}

void mx_test_fill_normal(mx_test_rng *r, float *x, size_t n, double mean, double sd) {
    for (size_t i = 0; i < n; ++i) x[i] = (float)(mean + sd * mx_test_normal(r));
}
