/* bench/bench_vmath_avx512.c — AVX-512 exp/log loops of the peers (compiled
 * with -mavx512f: see bench_vmath.h). */
#include <immintrin.h>
#include <sleef.h>

#include "bench_vmath.h"

BENCH_VMATH_LOOP_(bench_sleef_expf_u10_avx512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
                  Sleef_expf16_u10avx512f)
BENCH_VMATH_LOOP_(bench_sleef_logf_u10_avx512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
                  Sleef_logf16_u10avx512f)
BENCH_VMATH_LOOP_(bench_sleef_logf_u35_avx512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
                  Sleef_logf16_u35avx512f)

#ifdef BENCH_HAVE_LIBMVEC
/* glibc libmvec's AVX-512 variants (x86_64 vector function ABI names). */
__m512 _ZGVeN16v_expf(__m512);
__m512 _ZGVeN16v_logf(__m512);
BENCH_VMATH_LOOP_(bench_libmvec_expf_avx512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
                  _ZGVeN16v_expf)
BENCH_VMATH_LOOP_(bench_libmvec_logf_avx512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
                  _ZGVeN16v_logf)
#endif
