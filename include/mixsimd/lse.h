/* mixsimd/lse.h — row-wise log-sum-exp, softmax and log-softmax.
 *
 * For each row x = X[n*ldx .. n*ldx + K-1] of a row-major N x K float matrix:
 *     lse(x)         = log sum_k exp(x_k)              (the log-evidence of an E-step)
 *     softmax(x)_k   = exp(x_k - lse(x))               (responsibilities)
 *     log_softmax(x)_k = x_k - lse(x)                  (log-responsibilities)
 *
 * Algorithm (two passes per row, the second fused with the exps):
 *     m = max_k x_k;  S = sum_k exp(x_k - m)  (S in [1, K]: no overflow);
 *     lse = m + log S;  softmax_k = exp(x_k - m) * (1/S);  log_softmax_k = (x_k - m) - log S.
 * exp and log are SLEEF's 1-ULP functions (vmath.h). Rows with K >= 16 are
 * vectorised along the row, a vector of rows at a time, each phase (maxima,
 * exps, sums, logs, results) over all of them; the rows' horizontal maxima
 * and sums are reduced together (16 or 8 at once). Narrower rows (the common
 * K = 10) are processed in blocks of 16 (AVX-512), 8 (AVX2) or 4 (NEON) rows,
 * transposed through registers so that every vector lane does useful work
 * (one exp per element, no horizontal reductions); AVX-512 and AVX2 take 4
 * blocks per tile so that their exp and log calls overlap. On AVX-512,
 * contiguous rows (ldx == K) skip the transposes or the partial last vector
 * of each row: a block of 16 rows is then K full vectors, each lane taking
 * its row's maximum by a permute or blend. Exps are stored as they come and
 * summed afterwards: a sum carried through the SLEEF calls would be spilled
 * and reloaded around every call, a chain that costs more than the exps.
 * With OpenMP, large problems are split over rows; every row is computed the
 * same way whatever the thread count, so results do not depend on it.
 *
 * Defined results for special rows (every function, every ISA):
 *   - K == 0: lse = -inf, nothing else is written.
 *   - a NaN anywhere in the row: lse = NaN and every softmax / log-softmax entry NaN.
 *   - otherwise, some x_k = +inf: lse = +inf; softmax gives 1/c to each of the
 *     c entries equal to +inf and 0 elsewhere; log-softmax gives -log c and -inf.
 *   - all x_k = -inf: lse = -inf; softmax is uniform 1/K (the limit of equal
 *     logits: an E-step with no support gets uniform responsibilities);
 *     log-softmax is -log K.
 *   - finite inputs up to +-FLT_MAX never overflow: x_k - m may round to -inf
 *     (e.g. -3e38 - 3e38), whose exp is 0, which is the correct float result;
 *     log-softmax entries below -FLT_MAX are -inf for the same reason.
 * (Do not compile the implementation with -ffast-math: it assumes no NaN/Inf.)
 *
 * Error bounds, u = 2^-24, for rows without NaN/Inf and K <= 2^20, against the
 * exact results for the float inputs (derivation below each declaration):
 *   lse:          |lse' - lse|   <= u * (|lse| + 2K + 4)
 *   softmax:      |p'_k - p_k|   <= u * (2K + 6 + |x_k - m|) * p_k + 2^-148
 *   log-softmax:  |y'_k - y_k|   <= u * (2 |y_k| + 2K + 4)
 *   and a softmax row sums to 1 within u * (2K + 6 + ln K) + K * 2^-148.
 * Special rows get exactly the values listed above, except that 1/c, 1/K are
 * correctly rounded and log c, log K are within SLEEF's 1 ULP.
 *
 * Arguments: X is row-major with row stride ldx >= K (elements). The fixed-ISA
 * variants (_scalar, _avx2, _avx512, _neon) assume valid arguments, exactly as
 * the dispatched entry checks them; lse must not overlap X.
 */
#ifndef MIXSIMD_LSE_H
#define MIXSIMD_LSE_H

#include "core.h"
#include "vmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* lse[n] = log sum_k exp(X[n*ldx + k]) for n < N; X is not modified.
 * MX_ERR_ARG: ldx < K; N > 0 with lse NULL, or with X NULL while K > 0;
 * (N-1)*ldx + K floats exceeding the address space. MX_ERR_ISA: see core.h.
 * Bound: |lse' - lse| <= 2^-24 * (|lse| + 2K + 4)  (K <= 2^20).
 * Why: with t_k = x_k - m, each computed term is exp(t_k) (1 + 2u + u|t_k|)
 * (SLEEF's 1 ULP is at most 2u relative, and rounding x_k - m perturbs the
 * exponent by u|t_k|); since |t_k| <= -ln p_k, sum_k exp(t_k)|t_k| <= S ln K,
 * so the terms carry a relative error 2u + u ln K in S; summing K non-negative
 * terms in any order adds gamma_{K-1} <= (K-1)u: S' = S (1 + rho), rho <=
 * (K + 1 + ln K) u. log turns that into an absolute error rho in log S, SLEEF's
 * log adds 1 ULP <= 2u ln K, and m + log S rounds once (u |lse|). With
 * 3 ln K <= K + 1 the total is u (|lse| + 2K + 2) plus second-order terms,
 * which the remaining 2u covers for K <= 2^20. */
mx_status mx_logsumexp_rows_f32(const float *X, size_t N, size_t K, size_t ldx, float *lse);

/* In place: row n of X becomes softmax(X_n); lse[n] = log sum_k exp(X_nk)
 * as above when lse is not NULL (lse may be NULL).
 * MX_ERR_ARG: ldx < K; N > 0 and K > 0 with X NULL; size overflow as above.
 * Bound: |p'_k - p_k| <= 2^-24 * (2K + 6 + |x_k - m|) * p_k + 2^-148, where
 * m = max_k x_k. Why: exp(t_k) carries 2u + u|t_k| (see above), 1/S' carries
 * rho + u, the product rounds once (u): (K + 5 + ln K + |t_k|) u <= (2K + 4 +
 * |t_k|) u, 2u for second-order terms. The u|t_k| term is the rounding of
 * x_k - m amplified by exp: it matters only for small p_k (|t_k| <= -ln p_k,
 * at most 88 for normal p_k). The absolute 2^-148 covers subnormal results
 * (1 ULP = 2^-149 of exp, plus the product's rounding). */
mx_status mx_softmax_rows_f32(float *X, size_t N, size_t K, size_t ldx, float *lse);

/* In place: row n of X becomes X_n - lse(X_n), computed as (x_k - m) - log S
 * (no cancellation: x_k - m <= 0 <= log S); lse as for mx_softmax_rows_f32.
 * Same errors as mx_softmax_rows_f32.
 * Bound: |y'_k - y_k| <= 2^-24 * (2 |y_k| + 2K + 4). Why: x_k - m rounds (u |t_k|),
 * log S' is off by at most (2K + 2) u (see lse), the final subtraction rounds
 * (u |y_k|), and |t_k| <= |y_k|. */
mx_status mx_log_softmax_rows_f32(float *X, size_t N, size_t K, size_t ldx, float *lse);

/* Fixed-ISA variants: same contracts, arguments assumed valid (see above). */
void mx_logsumexp_rows_f32_scalar(const float *X, size_t N, size_t K, size_t ldx, float *lse);
void mx_softmax_rows_f32_scalar(float *X, size_t N, size_t K, size_t ldx, float *lse);
void mx_log_softmax_rows_f32_scalar(float *X, size_t N, size_t K, size_t ldx, float *lse);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_logsumexp_rows_f32_avx2(const float *X, size_t N, size_t K, size_t ldx, float *lse);
MX_TARGET_AVX2 void mx_softmax_rows_f32_avx2(float *X, size_t N, size_t K, size_t ldx, float *lse);
MX_TARGET_AVX2 void mx_log_softmax_rows_f32_avx2(float *X, size_t N, size_t K, size_t ldx, float *lse);
MX_TARGET_AVX512 void mx_logsumexp_rows_f32_avx512(const float *X, size_t N, size_t K, size_t ldx, float *lse);
MX_TARGET_AVX512 void mx_softmax_rows_f32_avx512(float *X, size_t N, size_t K, size_t ldx, float *lse);
MX_TARGET_AVX512 void mx_log_softmax_rows_f32_avx512(float *X, size_t N, size_t K, size_t ldx, float *lse);
#endif
#if MX_ARCH_ARM64
void mx_logsumexp_rows_f32_neon(const float *X, size_t N, size_t K, size_t ldx, float *lse);
void mx_softmax_rows_f32_neon(float *X, size_t N, size_t K, size_t ldx, float *lse);
void mx_log_softmax_rows_f32_neon(float *X, size_t N, size_t K, size_t ldx, float *lse);
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_LSE_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_LSE_IMPLEMENTED)
#define MIXSIMD_LSE_IMPLEMENTED
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* What a row job computes: lse only (the matrix is read-only, Y is NULL), or
 * lse and the softmax / log-softmax written to Y (== X for the public API). */
typedef enum { MX_LSE_ONLY_, MX_LSE_SOFTMAX_, MX_LSE_LOG_SOFTMAX_ } mx_lse_mode_;

/* Rows of at most this many columns go through the transposed tile path. */
#define MX_LSE_TILE_MAX_K_ 15
/* Vectors of rows per tile call (see mx_lse_tile_avx512_): with 4, the
 * blocks' exp and log calls overlap; 8 measured no faster on Zen 5. */
#define MX_LSE_TILE_BLOCKS_ 4
/* Rows this long or shorter take their exps through a stack buffer (a vector
 * of rows: see mx_lse_rows_avx512_). */
#define MX_LSE_BUFFER_MAX_K_ 128
/* Below this many elements OpenMP's fork/join costs more than it saves. */
#define MX_LSE_OMP_MIN_ELEMENTS_ ((size_t)1 << 16)

/* A row whose maximum is not finite (NaN, +inf or all -inf): the defined
 * results of the header comment. Shared by all ISAs; y may equal x. */
static void mx_lse_special_row_(const float *x, float *y, size_t K, float *lse, mx_lse_mode_ mode) {
    size_t n_posinf = 0;
    int has_nan = 0;
    for (size_t k = 0; k < K; ++k) {
        if (isnan(x[k])) has_nan = 1;
        else if (x[k] == INFINITY) ++n_posinf;
    }
    /* on: value for the entries that carry the mass (the +inf ones, or all of
     * them for an all -inf row); off: value for the others. */
    const size_t n_on = n_posinf ? n_posinf : K;
    float lse_value = n_posinf ? INFINITY : -INFINITY;
    float on = mode == MX_LSE_SOFTMAX_ ? 1.0f / (float)n_on : -mx_log_f32_scalar_((float)n_on);
    float off = mode == MX_LSE_SOFTMAX_ ? 0.0f : -INFINITY;
    if (has_nan) lse_value = on = off = NAN;
    if (lse != NULL) *lse = lse_value;
    if (mode == MX_LSE_ONLY_) return;
    for (size_t k = 0; k < K; ++k) y[k] = (n_posinf == 0 || x[k] == INFINITY) ? on : off;
}

/* ---- the driver shared by every ISA --------------------------------------- */
/* rows: process `rows` <= row_width rows one by one (any K >= 1), the rows'
 *       logs batched in one vector.
 * tile: process `rows` <= tile_rows rows at once (K <= MX_LSE_TILE_MAX_K_);
 * returns 0 without writing anything if a row needs mx_lse_special_row_. */
typedef void (*mx_lse_rows_fn_)(const float *X, float *Y, size_t rows, size_t K, size_t ldx,
                                float *lse, mx_lse_mode_ mode);
typedef int (*mx_lse_tile_fn_)(const float *X, float *Y, size_t rows, size_t K, size_t ldx,
                               float *lse, mx_lse_mode_ mode);
typedef struct {
    size_t row_width;     /* rows per `rows` call: the lanes of one vector */
    size_t tile_rows;     /* rows per `tile` call and per driver block    */
    mx_lse_tile_fn_ tile; /* NULL: rows only */
    mx_lse_rows_fn_ rows;
} mx_lse_isa_ops_;

static void mx_lse_drive_(const mx_lse_isa_ops_ *ops, const float *X, float *Y, size_t N, size_t K,
                          size_t ldx, float *lse, mx_lse_mode_ mode) {
    if (K == 0) {
        for (size_t n = 0; lse != NULL && n < N; ++n) lse[n] = -INFINITY;
        return;
    }
    const size_t T = ops->tile_rows, V = ops->row_width, blocks = (N + T - 1) / T;
    const int use_tile = ops->tile != NULL && K <= MX_LSE_TILE_MAX_K_;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (N * K >= MX_LSE_OMP_MIN_ELEMENTS_)
#endif
    for (size_t b = 0; b < blocks; ++b) {
        const size_t n0 = b * T, rows = N - n0 < T ? N - n0 : T;
        const float *x = X + n0 * ldx;
        float *y = Y != NULL ? Y + n0 * ldx : NULL;
        float *l = lse != NULL ? lse + n0 : NULL;
        if (use_tile && ops->tile(x, y, rows, K, ldx, l, mode)) continue;
        for (size_t i = 0; i < rows; i += V)
            ops->rows(x + i * ldx, y != NULL ? y + i * ldx : NULL, rows - i < V ? rows - i : V, K, ldx,
                      l != NULL ? l + i : NULL, mode);
    }
}

/* The three public fixed-ISA variants of one ISA, all through the driver. */
#define MX_LSE_DEFINE_VARIANTS_(isa, attr, ops)                                              \
    attr void mx_logsumexp_rows_f32_##isa(const float *X, size_t N, size_t K, size_t ldx,    \
                                          float *lse) {                                      \
        mx_lse_drive_(&ops, X, NULL, N, K, ldx, lse, MX_LSE_ONLY_);                          \
    }                                                                                        \
    attr void mx_softmax_rows_f32_##isa(float *X, size_t N, size_t K, size_t ldx, float *lse) { \
        mx_lse_drive_(&ops, X, X, N, K, ldx, lse, MX_LSE_SOFTMAX_);                          \
    }                                                                                        \
    attr void mx_log_softmax_rows_f32_##isa(float *X, size_t N, size_t K, size_t ldx,        \
                                            float *lse) {                                    \
        mx_lse_drive_(&ops, X, X, N, K, ldx, lse, MX_LSE_LOG_SOFTMAX_);                      \
    }

/* ---- scalar ---------------------------------------------------------------- */
static void mx_lse_rows_scalar_(const float *X, float *Y, size_t rows, size_t K, size_t ldx,
                                float *lse, mx_lse_mode_ mode) {
    for (size_t n = 0; n < rows; ++n) {
        const float *x = X + n * ldx;
        float *y = Y != NULL ? Y + n * ldx : NULL;
        float *l = lse != NULL ? lse + n : NULL;
        float m = -INFINITY;
        for (size_t k = 0; k < K; ++k) m = x[k] > m ? x[k] : m; /* NaN: caught by S below */
        if (!isfinite(m)) {
            mx_lse_special_row_(x, y, K, l, mode);
            continue;
        }
        float S = 0.0f;
        for (size_t k = 0; k < K; ++k) {
            const float e = mx_exp_f32_scalar_(x[k] - m);
            S += e;
            if (mode == MX_LSE_SOFTMAX_) y[k] = e;
        }
        const float L = mx_log_f32_scalar_(S);
        if (l != NULL) *l = m + L;
        if (mode == MX_LSE_SOFTMAX_) {
            const float r = 1.0f / S;
            for (size_t k = 0; k < K; ++k) y[k] *= r;
        } else if (mode == MX_LSE_LOG_SOFTMAX_) {
            for (size_t k = 0; k < K; ++k) y[k] = (x[k] - m) - L;
        }
    }
}

static const mx_lse_isa_ops_ mx_lse_ops_scalar_ = {16, 16, NULL, mx_lse_rows_scalar_};
MX_LSE_DEFINE_VARIANTS_(scalar, , mx_lse_ops_scalar_)

#if MX_ARCH_X86
/* How a row of K floats is covered by W-lane vectors (W = 8 or 16): full
 * vectors at 0, W, ..., k_end - W, then one last vector at `last` whose first
 * n_valid lanes are in the row; its first n_old lanes repeat elements of the
 * full vectors (the sums skip them). For K >= W the last vector is the row's
 * last W elements, loaded and stored whole: no masked store whose footprint
 * reaches into the next row, which would stall the next row's loads. */
typedef struct {
    size_t k_end, last, n_valid, n_old;
} mx_lse_cover_;

static inline mx_lse_cover_ mx_lse_cover_of_(size_t K, size_t W) {
    mx_lse_cover_ c;
    c.k_end = K > W ? (K - 1) / W * W : 0;
    c.last = K > W ? K - W : 0;
    c.n_valid = K - c.last;
    c.n_old = c.k_end - c.last;
    return c;
}

/* ---- AVX2 ------------------------------------------------------------------ */
/* Lanes [0, n) set, n <= 8. */
MX_TARGET_AVX2 static inline __m256i mx_lse_mask_avx2_(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

MX_TARGET_AVX2 static inline float mx_lse_hmax_avx2_(__m256 v) {
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
}

MX_TARGET_AVX2 static inline float mx_lse_hsum_avx2_(__m256 v) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

/* 1 if every lane of v is finite (not NaN, not +-inf). */
MX_TARGET_AVX2 static inline int mx_lse_all_finite_avx2_(__m256 v) {
    const __m256 abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
    return _mm256_movemask_ps(_mm256_cmp_ps(abs, _mm256_set1_ps(FLT_MAX), _CMP_LE_OQ)) == 0xFF;
}

/* The last vector of a row (see mx_lse_cover_), lanes past the row -inf:
 * neutral for the maximum. */
MX_TARGET_AVX2 static inline __m256 mx_lse_load_last_avx2_(const float *x, const mx_lse_cover_ *c) {
    if (c->n_valid == 8) return _mm256_loadu_ps(x + c->last);
    const __m256i valid = mx_lse_mask_avx2_(c->n_valid);
    return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(x + c->last, valid),
                            _mm256_castsi256_ps(valid));
}

MX_TARGET_AVX2 static inline void mx_lse_store_last_avx2_(float *y, const mx_lse_cover_ *c, __m256 v) {
    if (c->n_valid == 8) _mm256_storeu_ps(y + c->last, v); /* see mx_lse_cover_ */
    else _mm256_maskstore_ps(y + c->last, mx_lse_mask_avx2_(c->n_valid), v);
}

MX_TARGET_AVX2 static float mx_lse_row_max_avx2_(const float *x, const mx_lse_cover_ *c) {
    __m256 v = mx_lse_load_last_avx2_(x, c);
    for (size_t k = 0; k < c->k_end; k += 8) v = _mm256_max_ps(v, _mm256_loadu_ps(x + k));
    return mx_lse_hmax_avx2_(v); /* a NaN it skips makes S NaN */
}

/* S = sum_k exp(x_k - m) over one row; softmax leaves the exps in y. */
MX_TARGET_AVX2 static float mx_lse_row_exp_sum_avx2_(const float *x, float *y, const mx_lse_cover_ *c, float m,
                                                     mx_lse_mode_ mode) {
    const __m256 vm = _mm256_set1_ps(m);
    const __m256 last = mx_exp_f32x8_avx2_(_mm256_sub_ps(mx_lse_load_last_avx2_(x, c), vm));
    const __m256i fresh = _mm256_andnot_si256(mx_lse_mask_avx2_(c->n_old), mx_lse_mask_avx2_(c->n_valid));
    __m256 sum = _mm256_and_ps(last, _mm256_castsi256_ps(fresh));
    for (size_t k = 0; k < c->k_end; k += 8) {
        const __m256 e = mx_exp_f32x8_avx2_(_mm256_sub_ps(_mm256_loadu_ps(x + k), vm));
        sum = _mm256_add_ps(sum, e);
        if (mode == MX_LSE_SOFTMAX_) _mm256_storeu_ps(y + k, e);
    }
    if (mode == MX_LSE_SOFTMAX_) mx_lse_store_last_avx2_(y, c, last);
    return mx_lse_hsum_avx2_(sum);
}

/* The last pass over one row, as mx_lse_row_finish_avx512_. */
MX_TARGET_AVX2 static void mx_lse_row_finish_avx2_(const float *x, float *y, const mx_lse_cover_ *c, float m,
                                                   float r, float L, mx_lse_mode_ mode) {
    const int softmax = mode == MX_LSE_SOFTMAX_;
    const float *src = softmax ? y : x;
    const __m256 a = _mm256_set1_ps(softmax ? r : m), vL = _mm256_set1_ps(L);
#define MX_LSE_FINISH_(v) (softmax ? _mm256_mul_ps(v, a) : _mm256_sub_ps(_mm256_sub_ps(v, a), vL))
    const __m256 last = MX_LSE_FINISH_(mx_lse_load_last_avx2_(src, c)); /* before y is written */
    for (size_t k = 0; k < c->k_end; k += 8) _mm256_storeu_ps(y + k, MX_LSE_FINISH_(_mm256_loadu_ps(src + k)));
#undef MX_LSE_FINISH_
    mx_lse_store_last_avx2_(y, c, last);
}

/* Up to 8 rows (the driver's block), phase by phase (maxima, exp sums, logs
 * and reciprocals in one vector each, results). Unlike AVX-512, the sums are
 * carried through the exp calls: an 8-lane exp takes longer than the spill
 * and reload of the sum, and the stored-exps scheme of mx_lse_rows_avx512_
 * measured slower here. */
MX_TARGET_AVX2 static void mx_lse_rows_avx2_(const float *X, float *Y, size_t rows, size_t K,
                                             size_t ldx, float *lse, mx_lse_mode_ mode) {
    const mx_lse_cover_ c = mx_lse_cover_of_(K, 8);
    float m[8], S[8] = {1, 1, 1, 1, 1, 1, 1, 1}, L[8], r[8];
    for (size_t n = 0; n < rows; ++n) m[n] = mx_lse_row_max_avx2_(X + n * ldx, &c);
    for (size_t n = 0; n < rows; ++n) {
        float *y = Y != NULL ? Y + n * ldx : NULL;
        if (isfinite(m[n])) S[n] = mx_lse_row_exp_sum_avx2_(X + n * ldx, y, &c, m[n], mode);
        else mx_lse_special_row_(X + n * ldx, y, K, lse != NULL ? lse + n : NULL, mode);
    }
    const __m256 vS = _mm256_loadu_ps(S);
    _mm256_storeu_ps(L, mx_log_f32x8_avx2_(vS));
    _mm256_storeu_ps(r, _mm256_div_ps(_mm256_set1_ps(1.0f), vS));
    for (size_t n = 0; n < rows; ++n) {
        if (!isfinite(m[n])) continue;
        if (lse != NULL) lse[n] = m[n] + L[n];
        if (mode != MX_LSE_ONLY_) mx_lse_row_finish_avx2_(X + n * ldx, Y + n * ldx, &c, m[n], r[n], L[n], mode);
    }
}

/* In-place 8 x 8 transpose: r[i] lane j <-> r[j] lane i. */
MX_TARGET_AVX2 static inline void mx_lse_transpose8_avx2_(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 4; ++i) { /* pairs of rows interleaved */
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; ++i) { /* quads of rows: columns c, c+4 in the two halves */
        s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) { /* join the 128-bit halves of the two quads */
        r[c] = _mm256_permute2f128_ps(s[c], s[c + 4], 0x20);
        r[c + 4] = _mm256_permute2f128_ps(s[c], s[c + 4], 0x31);
    }
}

/* Up to MX_LSE_TILE_BLOCKS_ blocks of 8 rows of K <= 15 columns, as
 * mx_lse_tile_avx512_: each block is transposed as two 8 x 8 halves (columns
 * 0..7 and 8..15) so that col[b][k] holds column k of block b. */
MX_TARGET_AVX2 static int mx_lse_tile_avx2_(const float *X, float *Y, size_t rows, size_t K,
                                            size_t ldx, float *lse, mx_lse_mode_ mode) {
    enum { W = 8, B = MX_LSE_TILE_BLOCKS_ };
    const size_t nb = (rows + W - 1) / W, halves = (K + 7) / 8;
    const __m256i kmask[2] = {mx_lse_mask_avx2_(K < 8 ? K : 8), mx_lse_mask_avx2_(K > 8 ? K - 8 : 0)};
    __m256 col[B][16], ex[B][16], m[B], S[B], L[B];
    int finite = 1;
    for (size_t b = 0; b < nb; ++b) {
        const float *x = X + b * W * ldx;
        const size_t n = rows - b * W < W ? rows - b * W : W;
        for (size_t h = 0; h < 2; ++h) { /* half 1 is columns 8..15: zero if K <= 8 */
            for (size_t i = 0; i < 8; ++i)
                col[b][8 * h + i] = i < n && h < halves ? _mm256_maskload_ps(x + i * ldx + 8 * h, kmask[h])
                                                        : _mm256_setzero_ps();
            mx_lse_transpose8_avx2_(col[b] + 8 * h);
        }
        m[b] = col[b][0];
        for (size_t k = 1; k < K; ++k) m[b] = _mm256_max_ps(m[b], col[b][k]);
        finite &= mx_lse_all_finite_avx2_(m[b]);
    }
    if (!finite) return 0;
    for (size_t b = 0; b < nb; ++b)
        for (size_t k = 0; k < K; ++k) {
            const __m256 d = _mm256_sub_ps(col[b][k], m[b]);
            ex[b][k] = mx_exp_f32x8_avx2_(d);
            col[b][k] = mode == MX_LSE_LOG_SOFTMAX_ ? d : ex[b][k];
        }
    for (size_t b = 0; b < nb; ++b) { /* after the exps: see mx_lse_rows_avx512_ */
        S[b] = ex[b][0];
        for (size_t k = 1; k < K; ++k) S[b] = _mm256_add_ps(S[b], ex[b][k]);
    }
    const int need_log = lse != NULL || mode == MX_LSE_LOG_SOFTMAX_;
    for (size_t b = 0; need_log && b < nb; ++b) L[b] = mx_log_f32x8_avx2_(S[b]);
    for (size_t b = 0; b < nb; ++b) {
        const size_t n = rows - b * W < W ? rows - b * W : W;
        if (lse != NULL) _mm256_maskstore_ps(lse + b * W, mx_lse_mask_avx2_(n), _mm256_add_ps(m[b], L[b]));
        if (mode == MX_LSE_ONLY_) continue;
        const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), S[b]);
        for (size_t k = 0; k < K; ++k)
            col[b][k] = mode == MX_LSE_SOFTMAX_ ? _mm256_mul_ps(col[b][k], r) : _mm256_sub_ps(col[b][k], L[b]);
        for (size_t h = 0; h < halves; ++h) {
            mx_lse_transpose8_avx2_(col[b] + 8 * h);
            for (size_t i = 0; i < n; ++i)
                _mm256_maskstore_ps(Y + (b * W + i) * ldx + 8 * h, kmask[h], col[b][8 * h + i]);
        }
    }
    return 1;
}

static const mx_lse_isa_ops_ mx_lse_ops_avx2_ = {8, 8 * MX_LSE_TILE_BLOCKS_, mx_lse_tile_avx2_, mx_lse_rows_avx2_};
MX_LSE_DEFINE_VARIANTS_(avx2, MX_TARGET_AVX2, mx_lse_ops_avx2_)

/* ---- AVX-512 --------------------------------------------------------------- */
MX_TARGET_AVX512 static inline __mmask16 mx_lse_mask_avx512_(size_t n) { /* lanes [0, n), n <= 16 */
    return (__mmask16)((1u << n) - 1u);
}

/* The last vector of a row (see mx_lse_cover_), lanes past the row -inf. */
MX_TARGET_AVX512 static inline __m512 mx_lse_load_last_avx512_(const float *x, const mx_lse_cover_ *c) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mx_lse_mask_avx512_(c->n_valid), x + c->last);
}

MX_TARGET_AVX512 static inline void mx_lse_store_last_avx512_(float *y, const mx_lse_cover_ *c, __m512 v) {
    if (c->n_valid == 16) _mm512_storeu_ps(y + c->last, v); /* see mx_lse_cover_ */
    else _mm512_mask_storeu_ps(y + c->last, mx_lse_mask_avx512_(c->n_valid), v);
}

/* The lanes of the last vector that no full vector covers. */
MX_TARGET_AVX512 static inline __mmask16 mx_lse_fresh_avx512_(const mx_lse_cover_ *c) {
    return mx_lse_mask_avx512_(c->n_valid) & (__mmask16)~mx_lse_mask_avx512_(c->n_old);
}

MX_TARGET_AVX512 static inline __m512 mx_lse_op_avx512_(__m512 a, __m512 b, int is_max) {
    return is_max ? _mm512_max_ps(a, b) : _mm512_add_ps(a, b);
}

/* Lane i of the result = the maximum (is_max) or sum of the 16 lanes of v[i]:
 * 16 horizontal reductions for the price of about three. */
MX_TARGET_AVX512 static inline __m512 mx_lse_reduce16_avx512_(const __m512 v[16], int is_max) {
    __m512 w[8], q[4];
    for (int i = 0; i < 8; ++i) /* each 128-bit lane: rows 2i, 2i+1, 2i, 2i+1 */
        w[i] = mx_lse_op_avx512_(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                                 _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]), is_max);
    for (int j = 0; j < 4; ++j) { /* each 128-bit lane: rows 4j .. 4j+3 */
        const __m512d a = _mm512_castps_pd(w[2 * j]), b = _mm512_castps_pd(w[2 * j + 1]);
        q[j] = mx_lse_op_avx512_(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                                 _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)), is_max);
    }
    /* fold the four 128-bit lanes of q[j] into 128-bit lane j */
    const __m512 q01 = mx_lse_op_avx512_(_mm512_shuffle_f32x4(q[0], q[1], 0x44),
                                         _mm512_shuffle_f32x4(q[0], q[1], 0xEE), is_max);
    const __m512 q23 = mx_lse_op_avx512_(_mm512_shuffle_f32x4(q[2], q[3], 0x44),
                                         _mm512_shuffle_f32x4(q[2], q[3], 0xEE), is_max);
    return mx_lse_op_avx512_(_mm512_shuffle_f32x4(q01, q23, 0x88), _mm512_shuffle_f32x4(q01, q23, 0xDD), is_max);
}

/* The lane-wise maximum of one row's vectors. */
MX_TARGET_AVX512 static __m512 mx_lse_row_max_avx512_(const float *x, const mx_lse_cover_ *c) {
    __m512 v = mx_lse_load_last_avx512_(x, c);
    for (size_t k = 0; k < c->k_end; k += 16) v = _mm512_max_ps(v, _mm512_loadu_ps(x + k));
    return v;
}

/* The lane-wise sum of one row of exps e (K floats). */
MX_TARGET_AVX512 static __m512 mx_lse_row_sum_avx512_(const float *e, const mx_lse_cover_ *c) {
    __m512 v = _mm512_maskz_loadu_ps(mx_lse_fresh_avx512_(c), e + c->last);
    for (size_t k = 0; k < c->k_end; k += 16) v = _mm512_add_ps(v, _mm512_loadu_ps(e + k));
    return v;
}

/* exp(x - m) for one row, stored in e (K floats, may be x). */
MX_TARGET_AVX512 static void mx_lse_row_exps_avx512_(const float *x, float *e, const mx_lse_cover_ *c, float m) {
    const __m512 vm = _mm512_set1_ps(m);
    const __m512 last = mx_exp_f32x16_avx512_(_mm512_sub_ps(mx_lse_load_last_avx512_(x, c), vm));
    for (size_t k = 0; k < c->k_end; k += 16)
        _mm512_storeu_ps(e + k, mx_exp_f32x16_avx512_(_mm512_sub_ps(_mm512_loadu_ps(x + k), vm)));
    mx_lse_store_last_avx512_(e, c, last);
}

/* The lane-wise sum of exp(x - m) over one row, summed as the exps come
 * (rows too long for the buffer of mx_lse_rows_avx512_). */
MX_TARGET_AVX512 static __m512 mx_lse_row_exp_sum_avx512_(const float *x, size_t K, float m) {
    __m512 sum = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k += 16) {
        const __mmask16 lanes = mx_lse_mask_avx512_(K - k < 16 ? K - k : 16);
        const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, x + k), _mm512_set1_ps(m));
        sum = _mm512_mask_add_ps(sum, lanes, sum, mx_exp_f32x16_avx512_(d));
    }
    return sum;
}

/* exp(x - m) for 16 contiguous rows (ldx == K >= 16) taken as one flat array
 * of K vectors, so that no exp lane is spent on a partial last vector. A
 * vector holds the end of row r and the start of row r + 1 (never three rows,
 * as K >= 16); each lane subtracts its own row's maximum. m[16] is read but
 * unused. */
MX_TARGET_AVX512 static void mx_lse_flat_exps_avx512_(const float *X, float *E, size_t K, const float m[17]) {
    size_t r = 0, left = K; /* the row of the vector's first lane, and its lanes in that row */
    for (size_t v = 0; v < 16 * K; v += 16) {
        const __mmask16 in_r = left >= 16 ? (__mmask16)0xFFFF : mx_lse_mask_avx512_(left);
        const __m512 vm = _mm512_mask_blend_ps(in_r, _mm512_set1_ps(m[r + 1]), _mm512_set1_ps(m[r]));
        _mm512_storeu_ps(E + v, mx_exp_f32x16_avx512_(_mm512_sub_ps(_mm512_loadu_ps(X + v), vm)));
        /* the next 16 rows, if any: their maxima then find them in cache (a
         * prefetch never faults; the address is formed as an integer) */
        _mm_prefetch((const char *)((uintptr_t)(X + v) + 64 * K), _MM_HINT_T0);
        if (left > 16) {
            left -= 16;
        } else {
            ++r;
            left += K - 16;
        }
    }
}

/* The last pass over one row: softmax scales the exps in y by r = 1/S;
 * log-softmax writes (x - m) - L. */
MX_TARGET_AVX512 static void mx_lse_row_finish_avx512_(const float *x, float *y, const mx_lse_cover_ *c, float m,
                                                       float r, float L, mx_lse_mode_ mode) {
    const int softmax = mode == MX_LSE_SOFTMAX_;
    const float *src = softmax ? y : x;
    const __m512 a = _mm512_set1_ps(softmax ? r : m), vL = _mm512_set1_ps(L);
#define MX_LSE_FINISH_(v) (softmax ? _mm512_mul_ps(v, a) : _mm512_sub_ps(_mm512_sub_ps(v, a), vL))
    const __m512 last = MX_LSE_FINISH_(mx_lse_load_last_avx512_(src, c)); /* before y is written */
    for (size_t k = 0; k < c->k_end; k += 16) _mm512_storeu_ps(y + k, MX_LSE_FINISH_(_mm512_loadu_ps(src + k)));
#undef MX_LSE_FINISH_
    mx_lse_store_last_avx512_(y, c, last);
}

/* Up to 16 rows (the driver's block), phase by phase: the rows' maxima,
 * their exps (stored, never summed across a SLEEF call: a sum carried through
 * the calls would wait on a spill and reload each time), their sums, then
 * the logs and reciprocals of all 16 in one vector each, then the results. */
MX_TARGET_AVX512 static void mx_lse_rows_avx512_(const float *X, float *Y, size_t rows, size_t K,
                                                 size_t ldx, float *lse, mx_lse_mode_ mode) {
    const mx_lse_cover_ c = mx_lse_cover_of_(K, 16);
    float m[17] = {0.0f}, L[16], r[16], buf[16 * MX_LSE_BUFFER_MAX_K_];
    __m512 part[16];
    for (size_t n = 0; n < 16; ++n) part[n] = n < rows ? mx_lse_row_max_avx512_(X + n * ldx, &c) : _mm512_setzero_ps();
    const __m512 vmax = mx_lse_reduce16_avx512_(part, 1);
    _mm512_storeu_ps(m, vmax);
    const __mmask16 regular = mx_lse_mask_avx512_(rows) &
                              _mm512_cmp_ps_mask(_mm512_abs_ps(vmax), _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ);
    /* the exps: in place for softmax, else in buf when it holds them, else summed as they come */
    float *E = mode == MX_LSE_SOFTMAX_ ? Y : K <= MX_LSE_BUFFER_MAX_K_ ? buf : NULL;
    const size_t lde = E == buf ? K : ldx;
    const int flat = regular == 0xFFFF && ldx == K && K >= 16 && E != NULL;
    if (flat) mx_lse_flat_exps_avx512_(X, E, K, m);
    for (size_t n = 0; n < rows; ++n) {
        const float *x = X + n * ldx;
        part[n] = _mm512_setzero_ps();
        if (!(regular >> n & 1)) {
            mx_lse_special_row_(x, Y != NULL ? Y + n * ldx : NULL, K, lse != NULL ? lse + n : NULL, mode);
            continue;
        }
        if (E == NULL) {
            part[n] = mx_lse_row_exp_sum_avx512_(x, K, m[n]);
            continue;
        }
        if (!flat) mx_lse_row_exps_avx512_(x, E + n * lde, &c, m[n]);
        part[n] = mx_lse_row_sum_avx512_(E + n * lde, &c);
    }
    const __m512 S = mx_lse_reduce16_avx512_(part, 0), vL = mx_log_f32x16_avx512_(S);
    if (lse != NULL) _mm512_mask_storeu_ps(lse, regular, _mm512_add_ps(vmax, vL));
    if (mode == MX_LSE_ONLY_) return;
    _mm512_storeu_ps(L, vL);
    _mm512_storeu_ps(r, _mm512_div_ps(_mm512_set1_ps(1.0f), S));
    for (size_t n = 0; n < rows; ++n)
        if (regular >> n & 1) mx_lse_row_finish_avx512_(X + n * ldx, Y + n * ldx, &c, m[n], r[n], L[n], mode);
}

/* In-place 16 x 16 transpose: r[i] lane j <-> r[j] lane i. */
MX_TARGET_AVX512 static inline void mx_lse_transpose16_avx512_(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; ++i) { /* pairs of rows interleaved */
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* quads of rows: r[4j + q] holds, in 128-bit lane L, column 4L + q of rows 4j..4j+3 */
    for (int j = 0; j < 4; ++j) {
        const __m512d a = _mm512_castps_pd(t[4 * j]), b = _mm512_castps_pd(t[4 * j + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * j + 2]), d = _mm512_castps_pd(t[4 * j + 3]);
        r[4 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    /* column 4L + q = lane L of r[q], r[4 + q], r[8 + q], r[12 + q] */
    for (int q = 0; q < 4; ++q) {
        const __m512 lo01 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44);     /* lanes 0,1 | 0,1 */
        const __m512 hi01 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44);
        const __m512 lo23 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE);     /* lanes 2,3 | 2,3 */
        const __m512 hi23 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
        t[q] = _mm512_shuffle_f32x4(lo01, hi01, 0x88);
        t[4 + q] = _mm512_shuffle_f32x4(lo01, hi01, 0xDD);
        t[8 + q] = _mm512_shuffle_f32x4(lo23, hi23, 0x88);
        t[12 + q] = _mm512_shuffle_f32x4(lo23, hi23, 0xDD);
    }
    for (int i = 0; i < 16; ++i) r[i] = t[i];
}

/* Softmax or log-softmax of nb <= MX_LSE_TILE_BLOCKS_ blocks of 16 contiguous
 * rows of K <= 15 columns (ldx == K), kept in their own layout, so that no
 * transpose is needed on the way out. A block is K full vectors; lane j of
 * vector v is element 16v + j, of row (16v + j) / K, and fetches that row's
 * maximum, 1/S or log S with one permute. The maxima and sums come from the
 * rows loaded one per vector and reduced by mx_lse_reduce16_avx512_. Phases
 * run over all blocks, as in mx_lse_tile_avx512_. Returns 0 without writing
 * if a row needs mx_lse_special_row_. */
MX_TARGET_AVX512 static int mx_lse_flat_tile_avx512_(const float *X, float *Y, size_t nb, size_t K, float *lse,
                                                     mx_lse_mode_ mode) {
    enum { B = MX_LSE_TILE_BLOCKS_ };
    const __mmask16 kmask = mx_lse_mask_avx512_(K);
    __m512i row_of[16]; /* row_of[v] lane j: (16v + j) / K */
    __m512 part[16], m[B], S[B], L[B];
    float E[B][16 * 16]; /* the exps of log-softmax (softmax keeps them in Y) */
    __mmask16 finite = 0xFFFF;
    for (size_t v = 0; v < K; ++v) {
        const __m512 pos = _mm512_add_ps(_mm512_set1_ps((float)(16 * v)),
                                         _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        row_of[v] = _mm512_cvttps_epi32(_mm512_div_ps(pos, _mm512_set1_ps((float)K))); /* exact: pos < 256 */
    }
    for (size_t b = 0; b < nb; ++b) {
        for (size_t i = 0; i < 16; ++i)
            part[i] = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), kmask, X + (16 * b + i) * K);
        m[b] = mx_lse_reduce16_avx512_(part, 1);
        finite &= _mm512_cmp_ps_mask(_mm512_abs_ps(m[b]), _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ);
    }
    if (finite != 0xFFFF) return 0;
    for (size_t b = 0; b < nb; ++b) {
        const float *x = X + 16 * b * K;
        float *e = mode == MX_LSE_SOFTMAX_ ? Y + 16 * b * K : E[b];
        for (size_t v = 0; v < K; ++v) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + 16 * v), _mm512_permutexvar_ps(row_of[v], m[b]));
            _mm512_storeu_ps(e + 16 * v, mx_exp_f32x16_avx512_(d));
        }
    }
    for (size_t b = 0; b < nb; ++b) {
        const float *e = mode == MX_LSE_SOFTMAX_ ? Y + 16 * b * K : E[b];
        for (size_t i = 0; i < 16; ++i) part[i] = _mm512_maskz_loadu_ps(kmask, e + i * K);
        S[b] = mx_lse_reduce16_avx512_(part, 0);
    }
    const int need_log = lse != NULL || mode == MX_LSE_LOG_SOFTMAX_; /* softmax alone needs 1/S */
    for (size_t b = 0; need_log && b < nb; ++b) L[b] = mx_log_f32x16_avx512_(S[b]);
    for (size_t b = 0; b < nb; ++b) {
        const float *x = X + 16 * b * K;
        float *y = Y + 16 * b * K;
        if (lse != NULL) _mm512_storeu_ps(lse + 16 * b, _mm512_add_ps(m[b], L[b]));
        const __m512 r = _mm512_div_ps(_mm512_set1_ps(1.0f), S[b]);
        for (size_t v = 0; v < K; ++v) {
            if (mode == MX_LSE_SOFTMAX_) {
                const __m512 rv = _mm512_permutexvar_ps(row_of[v], r);
                _mm512_storeu_ps(y + 16 * v, _mm512_mul_ps(_mm512_loadu_ps(y + 16 * v), rv));
            } else {
                const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + 16 * v), _mm512_permutexvar_ps(row_of[v], m[b]));
                _mm512_storeu_ps(y + 16 * v, _mm512_sub_ps(d, _mm512_permutexvar_ps(row_of[v], L[b])));
            }
        }
    }
    return 1;
}

/* Up to MX_LSE_TILE_BLOCKS_ blocks of 16 rows of K <= 15 columns, each
 * transposed so that col[b][k] holds column k of block b; all further work is
 * lane-wise (one exp per element). The work runs phase by phase over all the
 * blocks (maxima, exps, logs, results), so that the blocks' independent exp
 * and log calls overlap instead of waiting for each other's latency. */
MX_TARGET_AVX512 static int mx_lse_tile_avx512_(const float *X, float *Y, size_t rows, size_t K,
                                                size_t ldx, float *lse, mx_lse_mode_ mode) {
    enum { W = 16, B = MX_LSE_TILE_BLOCKS_ };
    if (mode != MX_LSE_ONLY_ && ldx == K && rows % W == 0) /* lse alone measured no faster there */
        return mx_lse_flat_tile_avx512_(X, Y, rows / W, K, lse, mode);
    const size_t nb = (rows + W - 1) / W;
    const __mmask16 kmask = mx_lse_mask_avx512_(K);
    __m512 col[B][16], ex[B][16], m[B], S[B], L[B];
    __mmask16 finite = 0xFFFF;
    for (size_t b = 0; b < nb; ++b) {
        const float *x = X + b * W * ldx;
        const size_t n = rows - b * W < W ? rows - b * W : W;
        for (size_t i = 0; i < 16; ++i)
            col[b][i] = i < n ? _mm512_maskz_loadu_ps(kmask, x + i * ldx) : _mm512_setzero_ps();
        mx_lse_transpose16_avx512_(col[b]);
        m[b] = col[b][0];
        for (size_t k = 1; k < K; ++k) m[b] = _mm512_max_ps(m[b], col[b][k]);
        finite &= _mm512_cmp_ps_mask(_mm512_abs_ps(m[b]), _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ);
    }
    if (finite != 0xFFFF) return 0;
    for (size_t b = 0; b < nb; ++b)
        for (size_t k = 0; k < K; ++k) {
            const __m512 d = _mm512_sub_ps(col[b][k], m[b]);
            ex[b][k] = mx_exp_f32x16_avx512_(d);
            col[b][k] = mode == MX_LSE_LOG_SOFTMAX_ ? d : ex[b][k];
        }
    for (size_t b = 0; b < nb; ++b) { /* after the exps: see mx_lse_rows_avx512_ */
        S[b] = ex[b][0];
        for (size_t k = 1; k < K; ++k) S[b] = _mm512_add_ps(S[b], ex[b][k]);
    }
    const int need_log = lse != NULL || mode == MX_LSE_LOG_SOFTMAX_; /* softmax alone needs 1/S */
    for (size_t b = 0; need_log && b < nb; ++b) L[b] = mx_log_f32x16_avx512_(S[b]);
    for (size_t b = 0; b < nb; ++b) {
        const size_t n = rows - b * W < W ? rows - b * W : W;
        if (lse != NULL) _mm512_mask_storeu_ps(lse + b * W, mx_lse_mask_avx512_(n), _mm512_add_ps(m[b], L[b]));
        if (mode == MX_LSE_ONLY_) continue;
        const __m512 r = _mm512_div_ps(_mm512_set1_ps(1.0f), S[b]);
        for (size_t k = 0; k < K; ++k)
            col[b][k] = mode == MX_LSE_SOFTMAX_ ? _mm512_mul_ps(col[b][k], r) : _mm512_sub_ps(col[b][k], L[b]);
        mx_lse_transpose16_avx512_(col[b]);
        for (size_t i = 0; i < n; ++i) _mm512_mask_storeu_ps(Y + (b * W + i) * ldx, kmask, col[b][i]);
    }
    return 1;
}

static const mx_lse_isa_ops_ mx_lse_ops_avx512_ = {16, 16 * MX_LSE_TILE_BLOCKS_, mx_lse_tile_avx512_, mx_lse_rows_avx512_};
MX_LSE_DEFINE_VARIANTS_(avx512, MX_TARGET_AVX512, mx_lse_ops_avx512_)
#endif /* MX_ARCH_X86 */

#if MX_ARCH_ARM64
/* ---- NEON ------------------------------------------------------------------ */
/* The n < 4 floats at p, the other lanes -inf (see mx_lse_load_last_avx2_). */
static inline float32x4_t mx_lse_load_tail_neon_(const float *p, size_t n) {
    float buf[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    memcpy(buf, p, n * sizeof(float));
    return vld1q_f32(buf);
}

static inline void mx_lse_store_tail_neon_(float *p, size_t n, float32x4_t v) {
    float buf[4];
    vst1q_f32(buf, v);
    memcpy(p, buf, n * sizeof(float));
}

/* Passes 1-2 over one row: the maximum m and S = sum_k exp(x_k - m), with the
 * exps left in y for softmax. A row whose maximum is not finite gets its
 * special results here and returns 0. */
static int mx_lse_row_sum_neon_(const float *x, float *y, size_t K, float *lse, mx_lse_mode_ mode,
                                float *m_out, float *S_out) {
    const size_t K4 = K & ~(size_t)3, nt = K - K4;
    float32x4_t vmax = vdupq_n_f32(-INFINITY);
    for (size_t k = 0; k < K4; k += 4) vmax = vmaxq_f32(vmax, vld1q_f32(x + k));
    if (nt) vmax = vmaxq_f32(vmax, mx_lse_load_tail_neon_(x + K4, nt));
    const float m = vmaxvq_f32(vmax); /* NaN-propagating */
    if (!isfinite(m)) {
        mx_lse_special_row_(x, y, K, lse, mode);
        return 0;
    }
    const float32x4_t vm = vdupq_n_f32(m);
    float32x4_t vsum = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < K4; k += 4) {
        const float32x4_t e = mx_exp_f32x4_neon_(vsubq_f32(vld1q_f32(x + k), vm));
        vsum = vaddq_f32(vsum, e);
        if (mode == MX_LSE_SOFTMAX_) vst1q_f32(y + k, e);
    }
    if (nt) {
        const float32x4_t e = mx_exp_f32x4_neon_(vsubq_f32(mx_lse_load_tail_neon_(x + K4, nt), vm));
        vsum = vaddq_f32(vsum, e);
        if (mode == MX_LSE_SOFTMAX_) mx_lse_store_tail_neon_(y + K4, nt, e);
    }
    *m_out = m;
    *S_out = vaddvq_f32(vsum);
    return 1;
}

/* Pass 3 over one row: softmax scales the exps by 1/S; log-softmax writes
 * (x - m) - L (scalar tail). */
static void mx_lse_row_finish_neon_(const float *x, float *y, size_t K, float m, float S, float L,
                                    mx_lse_mode_ mode) {
    const size_t K4 = K & ~(size_t)3;
    if (mode == MX_LSE_SOFTMAX_) {
        const float r = 1.0f / S;
        for (size_t k = 0; k < K4; k += 4) vst1q_f32(y + k, vmulq_n_f32(vld1q_f32(y + k), r));
        for (size_t k = K4; k < K; ++k) y[k] *= r;
    } else if (mode == MX_LSE_LOG_SOFTMAX_) {
        const float32x4_t vm = vdupq_n_f32(m), vL = vdupq_n_f32(L);
        for (size_t k = 0; k < K4; k += 4) vst1q_f32(y + k, vsubq_f32(vsubq_f32(vld1q_f32(x + k), vm), vL));
        for (size_t k = K4; k < K; ++k) y[k] = (x[k] - m) - L;
    }
}

/* Up to 4 rows (the driver's block) one at a time, their 4 logs in one vector. */
static void mx_lse_rows_neon_(const float *X, float *Y, size_t rows, size_t K, size_t ldx, float *lse,
                              mx_lse_mode_ mode) {
    float m[4], S[4] = {1, 1, 1, 1}, L[4];
    int regular[4];
    for (size_t n = 0; n < rows; ++n)
        regular[n] = mx_lse_row_sum_neon_(X + n * ldx, Y != NULL ? Y + n * ldx : NULL, K,
                                          lse != NULL ? lse + n : NULL, mode, &m[n], &S[n]);
    vst1q_f32(L, mx_log_f32x4_neon_(vld1q_f32(S)));
    for (size_t n = 0; n < rows; ++n) {
        if (!regular[n]) continue;
        if (lse != NULL) lse[n] = m[n] + L[n];
        if (mode != MX_LSE_ONLY_) mx_lse_row_finish_neon_(X + n * ldx, Y + n * ldx, K, m[n], S[n], L[n], mode);
    }
}

/* In-place 4 x 4 transpose: r[i] lane j <-> r[j] lane i. */
static inline void mx_lse_transpose4_neon_(float32x4_t r[4]) {
    const float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
    const float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
    r[0] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
    r[1] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
    r[2] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
    r[3] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
}

/* 4 rows of K <= 15 columns, copied (zero-padded) to a 4 x 16 block and
 * transposed 4 x 4 at a time so that col[k] holds column k of the 4 rows. */
static int mx_lse_tile_neon_(const float *X, float *Y, size_t rows, size_t K, size_t ldx, float *lse,
                             mx_lse_mode_ mode) {
    const size_t blocks = (K + 3) / 4;
    float buf[4][16] = {{0.0f}};
    float32x4_t col[16];
    for (size_t i = 0; i < rows; ++i) memcpy(buf[i], X + i * ldx, K * sizeof(float));
    for (size_t b = 0; b < 4; ++b) { /* all four blocks: columns >= K are zero */
        for (size_t i = 0; i < 4; ++i) col[4 * b + i] = vld1q_f32(buf[i] + 4 * b);
        mx_lse_transpose4_neon_(col + 4 * b);
    }
    float32x4_t m = col[0];
    for (size_t k = 1; k < K; ++k) m = vmaxq_f32(m, col[k]);
    if (vminvq_u32(vcaleq_f32(m, vdupq_n_f32(FLT_MAX))) == 0) return 0; /* NaN or inf max */
    float32x4_t S = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < K; ++k) {
        const float32x4_t d = vsubq_f32(col[k], m), e = mx_exp_f32x4_neon_(d);
        S = vaddq_f32(S, e);
        col[k] = mode == MX_LSE_LOG_SOFTMAX_ ? d : e;
    }
    const float32x4_t L = mx_log_f32x4_neon_(S);
    if (lse != NULL) mx_lse_store_tail_neon_(lse, rows, vaddq_f32(m, L));
    if (mode == MX_LSE_ONLY_) return 1;
    const float32x4_t r = vdivq_f32(vdupq_n_f32(1.0f), S);
    for (size_t k = 0; k < K; ++k) col[k] = mode == MX_LSE_SOFTMAX_ ? vmulq_f32(col[k], r) : vsubq_f32(col[k], L);
    for (size_t b = 0; b < blocks; ++b) {
        mx_lse_transpose4_neon_(col + 4 * b);
        for (size_t i = 0; i < 4; ++i) vst1q_f32(buf[i] + 4 * b, col[4 * b + i]);
    }
    for (size_t i = 0; i < rows; ++i) memcpy(Y + i * ldx, buf[i], K * sizeof(float));
    return 1;
}

static const mx_lse_isa_ops_ mx_lse_ops_neon_ = {4, 4, mx_lse_tile_neon_, mx_lse_rows_neon_};
MX_LSE_DEFINE_VARIANTS_(neon, , mx_lse_ops_neon_)
#endif /* MX_ARCH_ARM64 */

/* ---- dispatched entries ------------------------------------------------------ */
static mx_status mx_lse_validate_(const float *X, size_t N, size_t K, size_t ldx, const float *lse,
                                  int lse_required) {
    if (ldx < K) return MX_ERR_ARG;
    if (N == 0) return MX_OK;
    if ((K > 0 && X == NULL) || (lse_required && lse == NULL)) return MX_ERR_ARG;
    /* The matrix spans (N-1)*ldx + K floats; their byte count must be an object size. */
    const size_t max_floats = (size_t)PTRDIFF_MAX / sizeof(float);
    if (K > max_floats || (ldx > 0 && N - 1 > (max_floats - K) / ldx)) return MX_ERR_ARG;
    return MX_OK;
}

mx_status mx_logsumexp_rows_f32(const float *X, size_t N, size_t K, size_t ldx, float *lse) {
    const mx_status status = mx_lse_validate_(X, N, K, ldx, lse, 1);
    if (status != MX_OK) return status;
    MX_DISPATCH(mx_logsumexp_rows_f32, (X, N, K, ldx, lse));
    return MX_OK;
}

mx_status mx_softmax_rows_f32(float *X, size_t N, size_t K, size_t ldx, float *lse) {
    const mx_status status = mx_lse_validate_(X, N, K, ldx, lse, 0);
    if (status != MX_OK) return status;
    MX_DISPATCH(mx_softmax_rows_f32, (X, N, K, ldx, lse));
    return MX_OK;
}

mx_status mx_log_softmax_rows_f32(float *X, size_t N, size_t K, size_t ldx, float *lse) {
    const mx_status status = mx_lse_validate_(X, N, K, ldx, lse, 0);
    if (status != MX_OK) return status;
    MX_DISPATCH(mx_log_softmax_rows_f32, (X, N, K, ldx, lse));
    return MX_OK;
}

#endif /* MIXSIMD_IMPLEMENTATION */
