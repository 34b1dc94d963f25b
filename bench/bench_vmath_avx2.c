/* bench/bench_vmath_avx2.c — AVX2 exp/log loops of the peers (compiled
 * with -mavx2: see bench_vmath.h). */
#include <immintrin.h>
#include <sleef.h>

#include "bench_vmath.h"

BENCH_VMATH_LOOP_(bench_sleef_expf_u10_avx2, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
                  Sleef_expf8_u10avx2)
BENCH_VMATH_LOOP_(bench_sleef_logf_u10_avx2, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
                  Sleef_logf8_u10avx2)
BENCH_VMATH_LOOP_(bench_sleef_logf_u35_avx2, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
                  Sleef_logf8_u35avx2)

#ifdef BENCH_HAVE_LIBMVEC
/* glibc libmvec's AVX2 variants (x86_64 vector function ABI names). */
__m256 _ZGVdN8v_expf(__m256);
__m256 _ZGVdN8v_logf(__m256);
BENCH_VMATH_LOOP_(bench_libmvec_expf_avx2, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
                  _ZGVdN8v_expf)
BENCH_VMATH_LOOP_(bench_libmvec_logf_avx2, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
                  _ZGVdN8v_logf)
#endif
