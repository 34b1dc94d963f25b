/* mixsimd/vmath.h — vector exp/log family from SLEEF, one wrapper per ISA.
 *
 * We never write our own exp/log polynomials: SLEEF's fixed-ISA entry points
 * are called directly (no SLEEF dispatcher), so a kernel's AVX-512 variant uses
 * SLEEF's AVX-512 code whatever the CPU the library was compiled on.
 *
 * Accuracy (SLEEF's documented bounds, u10 = 1.0 ULP; for the scalar
 * wrappers glibc's, see below): every function below is within 1.0 ULP of the
 * correctly rounded result over its whole domain, and follows C99 Annex F for
 * special values (exp(-inf) = 0, log(0) = -inf, ...).
 *
 * Names: mx_<fn>_f32_scalar_(float), mx_<fn>_f32x8_avx2_(__m256),
 * mx_<fn>_f32x16_avx512_(__m512), mx_<fn>_f32x4_neon_(float32x4_t)
 * for fn in exp, expm1, log, log1p, tanh, sin, cos.
 *
 * SLEEF's own header declares the vector functions only when the ISA macros are
 * defined for the whole translation unit, which they are not here (one unit
 * holds every ISA); so we declare the prototypes we use, each with the target
 * attribute its vector type needs. Link with -lsleef (pkg-config sleef).
 */
#ifndef MIXSIMD_VMATH_H
#define MIXSIMD_VMATH_H

#include <math.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(mixsimd name, SLEEF name stem, scalar function) */
#define MX_VMATH_FUNCS_(X)                \
    X(exp, expf, expf)                    \
    X(expm1, expm1f, expm1f)              \
    X(log, logf, logf)                    \
    X(log1p, log1pf, log1pf)              \
    X(tanh, tanhf, Sleef_tanhf_u10)       \
    X(sin, sinf, sinf)                    \
    X(cos, cosf, cosf)

/* Scalar code calls the C library, which is 4-9x faster than SLEEF's scalar
 * entry points and in glibc within 1 ULP for these functions (glibc's
 * libm-test-ulps: expf, logf 0; expm1f, log1pf, sinf, cosf 1), except tanhf
 * (2 ULP there): tanh stays with SLEEF. */
float Sleef_tanhf_u10(float);
#define MX_VMATH_SCALAR_(mx, sl, scalar) \
    static inline float mx_##mx##_f32_scalar_(float x) { return scalar(x); }
MX_VMATH_FUNCS_(MX_VMATH_SCALAR_)
#undef MX_VMATH_SCALAR_

#if MX_ARCH_X86
/* Clang (at least to 14) chooses how __m256/__m512 arguments are passed from
 * the features of the whole translation unit, not of the calling function's
 * target attribute: without -mavx2/-mavx512f it passes them on the stack, while
 * SLEEF (built by GCC) reads them from ymm0/zmm0 (llvm-project issues 53619
 * and 64706). There, each lane goes through SLEEF's scalar function instead:
 * the same 1-ULP bound, several times slower. Build the implementation with
 * GCC, or give Clang the ISA for the whole unit, for full speed. */
#if defined(__clang__) && !defined(__AVX2__)
#define MX_VMATH_AVX2_(mx, sl, scalar)                                      \
    MX_TARGET_AVX2 static inline __m256 mx_##mx##_f32x8_avx2_(__m256 x) {   \
        float lanes[8];                                                     \
        _mm256_storeu_ps(lanes, x);                                         \
        for (int i = 0; i < 8; ++i) lanes[i] = mx_##mx##_f32_scalar_(lanes[i]); \
        return _mm256_loadu_ps(lanes);                                      \
    }
#else
#define MX_VMATH_AVX2_(mx, sl, scalar)                                      \
    MX_TARGET_AVX2 __m256 Sleef_##sl##8_u10avx2(__m256);                    \
    MX_TARGET_AVX2 static inline __m256 mx_##mx##_f32x8_avx2_(__m256 x) {   \
        return Sleef_##sl##8_u10avx2(x);                                    \
    }
#endif
#if defined(__clang__) && !defined(__AVX512F__)
#define MX_VMATH_AVX512_(mx, sl, scalar)                                        \
    MX_TARGET_AVX512 static inline __m512 mx_##mx##_f32x16_avx512_(__m512 x) {  \
        float lanes[16];                                                        \
        _mm512_storeu_ps(lanes, x);                                             \
        for (int i = 0; i < 16; ++i) lanes[i] = mx_##mx##_f32_scalar_(lanes[i]); \
        return _mm512_loadu_ps(lanes);                                          \
    }
#else
#define MX_VMATH_AVX512_(mx, sl, scalar)                                    \
    MX_TARGET_AVX512 __m512 Sleef_##sl##16_u10avx512f(__m512);              \
    MX_TARGET_AVX512 static inline __m512 mx_##mx##_f32x16_avx512_(__m512 x) { \
        return Sleef_##sl##16_u10avx512f(x);                                \
    }
#endif
MX_VMATH_FUNCS_(MX_VMATH_AVX2_)
MX_VMATH_FUNCS_(MX_VMATH_AVX512_)
#undef MX_VMATH_AVX2_
#undef MX_VMATH_AVX512_
#endif

#if MX_ARCH_ARM64
#define MX_VMATH_NEON_(mx, sl, scalar)                                          \
    float32x4_t Sleef_##sl##4_u10advsimd(float32x4_t);                          \
    static inline float32x4_t mx_##mx##_f32x4_neon_(float32x4_t x) {            \
        return Sleef_##sl##4_u10advsimd(x);                                     \
    }
MX_VMATH_FUNCS_(MX_VMATH_NEON_)
#undef MX_VMATH_NEON_
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_VMATH_H */
