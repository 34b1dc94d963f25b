/* bench/bench_vmath.h — array loops over the peers' exp/log entry points,
 * y[i] = f(x[i]) for i < n. The vector ones live in files compiled for their
 * ISA (bench_vmath_avx2.c, bench_vmath_avx512.c): call them only when the CPU
 * has it. A tail shorter than a vector goes through a padded lane buffer. */
#ifndef MIXSIMD_BENCH_VMATH_H
#define MIXSIMD_BENCH_VMATH_H

#include <stddef.h>

typedef void (*bench_vmath_loop)(const float *x, float *y, size_t n);

/* X(name): SLEEF u10 exp and log, SLEEF u35 log (SLEEF 3.5 has no u35 expf),
 * glibc libmvec exp and log. */
#define BENCH_VMATH_VECTOR_LOOPS_(X) \
    X(sleef_expf_u10)                \
    X(sleef_logf_u10)                \
    X(sleef_logf_u35)                \
    X(libmvec_expf)                  \
    X(libmvec_logf)

#define BENCH_VMATH_DECLARE_(name)                                    \
    void bench_##name##_avx2(const float *x, float *y, size_t n);     \
    void bench_##name##_avx512(const float *x, float *y, size_t n);
BENCH_VMATH_VECTOR_LOOPS_(BENCH_VMATH_DECLARE_)
#undef BENCH_VMATH_DECLARE_

/* One loop over whole vectors and a padded tail; VEC is the vector type,
 * W its width, LOAD/STORE the unaligned intrinsics, FN the peer's function. */
#define BENCH_VMATH_LOOP_(loop_name, VEC, W, LOAD, STORE, FN)        \
    void loop_name(const float *x, float *y, size_t n) {             \
        size_t i = 0;                                                \
        for (; i + (W) <= n; i += (W)) STORE(y + i, FN(LOAD(x + i)));\
        if (i < n) {                                                 \
            float lanes[W] = {0};                                    \
            for (size_t j = i; j < n; ++j) lanes[j - i] = x[j];      \
            STORE(lanes, FN(LOAD(lanes)));                           \
            for (size_t j = i; j < n; ++j) y[j] = lanes[j - i];      \
        }                                                            \
    }

#endif
