/* mixsimd/div.h — divergences between diagonal Gaussians and between
 * categorical distributions (VAE KL terms, the GMVAE/VaDE conditional prior,
 * the DGG graph term, diagnostics).
 *
 * Header-only, stb-style (see core.h): declarations here, definitions when
 * MIXSIMD_IMPLEMENTATION is defined.
 *
 * Parametrisation. Every Gaussian is diagonal and given, as networks output it,
 * by a MEAN row m and a LOG-VARIANCE row lv: N(m, diag(exp(lv))). The mean and
 * the log-variance of one family of Gaussians share a leading dimension (so a
 * network output [m | lv] of width 2D is passed as m = out, lv = out + D,
 * ld = 2D). Matrices are row-major float32; ld is the row stride in elements.
 *
 * Gaussian domain (checked by the dispatched entries, else MX_ERR_DOMAIN):
 * finite means and log-variances in [-MX_DIV_LOGVAR_MAX, MX_DIV_LOGVAR_MAX]
 * (= +-170, so that exp(+-lv/2) is a normal float). Means with
 * |m1 - m2| > FLT_MAX make the difference overflow and the result +inf.
 *
 * Error bounds. u = 2^-24 (float unit roundoff), gamma_k = k u / (1 - k u).
 * Every bound below is an absolute bound on |computed - exact| derived from
 * the floating-point model with SLEEF's 1-ULP functions (relative error <= 2u)
 * and holds for every ISA variant and any summation order. Terms written
 * 2^-147 (D + 1) account for underflow into subnormals. Results that exceed
 * the float range are +inf (see each kernel); the bounds concern finite
 * results. The default floating-point environment (round to nearest, no
 * flush-to-zero) is assumed.
 *
 * Fixed-ISA variants (_scalar, _avx2, _avx512, _neon) have the dispatched
 * entry's parameters, return void and assume arguments the entry would accept.
 * Outputs must not overlap inputs.
 */
#ifndef MIXSIMD_DIV_H
#define MIXSIMD_DIV_H

#include <stddef.h>

#include "core.h"
#include "vmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest |log-variance| accepted: exp(+-170/2) stays a normal float. */
#define MX_DIV_LOGVAR_MAX 170.0f

/* Declares the fixed-ISA variants of a kernel with parameter list `params`. */
#if MX_ARCH_X86
#define MX_DIV_VARIANTS_(name, params) \
    void name##_scalar params;         \
    MX_TARGET_AVX2 void name##_avx2 params; \
    MX_TARGET_AVX512 void name##_avx512 params;
#elif MX_ARCH_ARM64
#define MX_DIV_VARIANTS_(name, params) \
    void name##_scalar params;         \
    void name##_neon params;
#else
#define MX_DIV_VARIANTS_(name, params) void name##_scalar params;
#endif

/* ---- 1. KL between diagonal Gaussians, row by row ------------------------ *
 * kl[i] = KL(N(m1_i, e^lv1_i) || N(m2_i, e^lv2_i))
 *       = 1/2 sum_j [ lv2 - lv1 + (e^lv1 + (m1 - m2)^2) / e^lv2 - 1 ]
 *       = 1/2 sum_j [ g(delta_j) + t_j^2 ],
 * delta = lv1 - lv2, g(x) = expm1(x) - x >= 0, t = (m1 - m2) e^(-lv2/2).
 * Computed that way (no exp(lv) that could overflow; expm1 avoids the
 * cancellation of e^delta - 1 - delta; delta is split exactly by TwoSum and its
 * rounding corrected to first order). Rows i < n of length d; row i of the
 * first Gaussians at m1 + i ld1, lv1 + i ld1, of the second at m2 + i ld2,
 * lv2 + i ld2. d = 0 gives 0. Results are clamped below at 0 (KL >= 0).
 * Overflow: +inf when the sum 2 KL (or one term) exceeds FLT_MAX.
 * Bound: |err| <= 1/2 gamma_(d+10) sum_j C_j + 2^-147 (d + 1),
 *        C_j = |expm1(delta_j)| + |delta_j| + t_j^2.
 * Errors: MX_ERR_ARG (NULL with n > 0 [and d > 0 for inputs], ld < d, size
 * overflow), MX_ERR_DOMAIN (see the Gaussian domain above). */
mx_status mx_kl_diag_gauss_rows_f32(const float *m1, const float *lv1, size_t ld1,
                                    const float *m2, const float *lv2, size_t ld2,
                                    size_t n, size_t d, float *kl);
MX_DIV_VARIANTS_(mx_kl_diag_gauss_rows_f32,
                 (const float *m1, const float *lv1, size_t ld1, const float *m2,
                  const float *lv2, size_t ld2, size_t n, size_t d, float *kl))

/* ---- 2. KL to the standard normal, row by row ---------------------------- *
 * kl[i] = KL(N(m_i, e^lv_i) || N(0, I)) = 1/2 sum_j [ expm1(lv) - lv + m^2 ]
 * (expm1(lv) - lv instead of e^lv - 1 - lv: no cancellation for lv near 0).
 * Clamped below at 0; +inf when 2 KL exceeds FLT_MAX.
 * Bound: |err| <= 1/2 gamma_(d+3) sum_j C_j + 2^-147 (d + 1),
 *        C_j = |expm1(lv_j)| + |lv_j| + m_j^2.
 * Errors as for kernel 1. */
mx_status mx_kl_std_normal_rows_f32(const float *m, const float *lv, size_t ld, size_t n,
                                    size_t d, float *kl);
MX_DIV_VARIANTS_(mx_kl_std_normal_rows_f32,
                 (const float *m, const float *lv, size_t ld, size_t n, size_t d, float *kl))

/* ---- 3. KL of each q_n to every mixture component ------------------------ *
 * out[i ldo + c] = KL(N(m_i, e^lv_i) || N(mu_c, e^lvar_c)), i < n, c < k, as
 * in kernel 1, for the VaDE / GMVAE conditional-prior term (n = batch,
 * k <= ~30 components, d = 10..200). GEMM-shaped: with v = e^lv, w = e^-lvar,
 * 2 KL = sum_j (lvar - lv) + sum_j [ w (v + (m - mu)^2) - 1 ]; the first sum
 * is precomputed per row and per component (in double) and the second is
 * accumulated over blocks of 4 rows x 4 components per pass over d. Pairs with
 * a row or component outside |lv| <= 80, |m| <= 2^60 (where e^lv or (m-mu)^2
 * might leave the float range) are computed as in kernel 1 instead.
 * Clamped below at 0; +inf when 2 KL exceeds FLT_MAX.
 * Workspace: work_bytes >= mx_kl_diag_gauss_to_mixture_f32_workspace_size(k, d)
 * (any alignment; it is aligned inside), else MX_ERR_WORKSPACE.
 * Bound: |err| <= u KL + 1/2 gamma_(d+10) sum_j C_j,
 *        C_j = e^(delta_j) + 1 + |delta_j| + t_j^2, delta = lv - lvar,
 *        t = (m - mu) e^(-lvar/2).
 * Errors: as kernel 1, plus ldo < k; MX_ERR_WORKSPACE. */
mx_status mx_kl_diag_gauss_to_mixture_f32(const float *m, const float *lv, size_t ld, size_t n,
                                          const float *mu, const float *lvar, size_t ldc,
                                          size_t k, size_t d, float *out, size_t ldo,
                                          void *work, size_t work_bytes);
/* Bytes of workspace for k components of dimension d; SIZE_MAX on overflow. */
size_t mx_kl_diag_gauss_to_mixture_f32_workspace_size(size_t k, size_t d);
MX_DIV_VARIANTS_(mx_kl_diag_gauss_to_mixture_f32,
                 (const float *m, const float *lv, size_t ld, size_t n, const float *mu,
                  const float *lvar, size_t ldc, size_t k, size_t d, float *out, size_t ldo,
                  void *work, size_t work_bytes))

/* ---- 4. Categorical KL and JS, row by row -------------------------------- *
 * Inputs are PROBABILITIES: rows of finite numbers >= 0 (else MX_ERR_DOMAIN).
 * Rows need NOT sum to 1: the formulas are applied as written (normalise
 * yourself if you pass histograms). Natural log (nats); 0 log 0 = 0 and
 * 0 log(0 / q) = 0; no epsilon is added anywhere.
 *
 * kl[i] = KL(p_i || q_i) = sum_j p log(p / q); +inf when some p_j > 0 has
 * q_j = 0; +-inf when the sum leaves the float range (unnormalised rows). Computed as p log(p/q) (one log, and
 * exact ratios of equal values give 0); where p/q under/overflows the float
 * range (subnormal inputs) as p (log p - log q).
 * Bound: |err| <= gamma_(d+3) sum_(j: p_j > 0) p_j (1 + |log p_j| + |log q_j|)
 *                 + 2^-147 (d + 1). */
mx_status mx_kl_categorical_rows_f32(const float *p, size_t ldp, const float *q, size_t ldq,
                                     size_t n, size_t d, float *kl);
MX_DIV_VARIANTS_(mx_kl_categorical_rows_f32,
                 (const float *p, size_t ldp, const float *q, size_t ldq, size_t n, size_t d,
                  float *kl))

/* js[i] = JS(p_i, q_i) = 1/2 KL(p || r) + 1/2 KL(q || r), r = (p + q) / 2,
 *       = 1/2 sum_j [ p log(2p / (p+q)) + q log(2q / (p+q)) ].
 * Finite, and in [0, log 2] for normalised rows (up to the bound), unless the
 * sum overflows (unnormalised rows of huge values: +inf); clamped
 * below at 0 (every coordinate's contribution is >= 0). The ratio 2p/(p+q) is
 * formed as 2 (p (1/(p+q))) (a tiny p+q is first scaled by 2^100, exactly),
 * which cannot overflow; where it underflows
 * (p << q, or p + q overflows) log p - log r is used instead.
 * Bound: |err| <= 1/2 gamma_(d+5) sum_j [ p_j (1 + |log p_j| + |log r_j|)
 *                 + q_j (1 + |log q_j| + |log r_j|) ] + 2^-147 (d + 1)
 *        (coordinates with p_j = 0 drop their p_j term, likewise q_j). */
mx_status mx_js_categorical_rows_f32(const float *p, size_t ldp, const float *q, size_t ldq,
                                     size_t n, size_t d, float *js);
MX_DIV_VARIANTS_(mx_js_categorical_rows_f32,
                 (const float *p, size_t ldp, const float *q, size_t ldq, size_t n, size_t d,
                  float *js))

/* ---- 5. JS between diagonal Gaussians: Monte Carlo estimator -------------- *
 * There is no closed form. With P = N(m1, e^lv1), Q = N(m2, e^lv2) (rows i),
 * JS = 1/2 E_P[log 2P/(P+Q)] + 1/2 E_Q[log 2Q/(P+Q)], estimated with the S
 * standard-normal sample rows eps_s (S x d, row stride ld_eps, supplied by
 * the caller, e.g. from mx_rng; the same samples serve every row i):
 *   x_s = m1 + e^(lv1/2) eps_s ~ P,   y_s = m2 + e^(lv2/2) eps_s ~ Q,
 *   f_s = 1/2 [ a(log Q(x_s) - log P(x_s)) + a(log P(y_s) - log Q(y_s)) ],
 *   a(z) = log(2 / (1 + e^z)) = -log1p(expm1(z) / 2)   (in (-inf, log 2]),
 *   js[i] = (1/S) sum_s f_s,   se[i] = sqrt( sum_s (f_s - js)^2 / (S (S-1)) ).
 * The pairs (x_s, y_s) are i.i.d. across s, so js[i] is an UNBIASED estimate
 * of JS with Monte-Carlo standard error se[i] (the estimator's sd / sqrt(S));
 * every f_s <= log 2, the estimate may be slightly negative. Identical
 * Gaussians give exactly 0. The log-density differences are formed without
 * cancellation: log Q(x) - log P(x) = 1/2 sum_j [delta_j - A_j B_j],
 *   delta = lv1 - lv2, A = h eps + t, B = A + 2 eps, h = expm1(delta/2),
 *   t = (m1 - m2) e^(-lv2/2) (and symmetrically for y with h', t').
 * se may be NULL; S = 1 gives se = +inf. Workspace:
 * work_bytes >= mx_js_diag_gauss_rows_f32_workspace_size(d).
 * Bound (floating point, against the same estimator in exact arithmetic):
 *   |js_err| <= u |JS_S| + (1/S) sum_s 1/2 (Da_s + Db_s),
 *   Da_s = 1/2 gamma_(d+14) sum_j (|delta_j| + a_j (a_j + 2|eps_sj|))
 *          + 2^-50 (1 + |a_s|),  a_j = |h_j eps_sj| + |t_j|  (Db_s alike),
 *   |se_err| <= sqrt( sum_s Df_s^2 / (S (S-1)) ) + 2u se,  Df_s = 1/2 (Da_s + Db_s).
 * Errors: as kernel 1, plus s = 0 or eps NULL or ld_eps < d (MX_ERR_ARG),
 * non-finite eps (MX_ERR_DOMAIN), MX_ERR_WORKSPACE. */
mx_status mx_js_diag_gauss_rows_f32(const float *m1, const float *lv1, size_t ld1,
                                    const float *m2, const float *lv2, size_t ld2, size_t n,
                                    size_t d, const float *eps, size_t ld_eps, size_t s,
                                    float *js, float *se, void *work, size_t work_bytes);
/* Bytes of workspace for dimension d; SIZE_MAX on overflow. */
size_t mx_js_diag_gauss_rows_f32_workspace_size(size_t d);
MX_DIV_VARIANTS_(mx_js_diag_gauss_rows_f32,
                 (const float *m1, const float *lv1, size_t ld1, const float *m2,
                  const float *lv2, size_t ld2, size_t n, size_t d, const float *eps,
                  size_t ld_eps, size_t s, float *js, float *se, void *work,
                  size_t work_bytes))

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_DIV_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_DIV_IMPLEMENTED)
#define MIXSIMD_DIV_IMPLEMENTED
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared scalar helpers ----------------------------------------------- */
enum { MX_DIV_PAD_ = 16 };                 /* row padding: widest vector, floats */
#define MX_DIV_OMP_MIN_ ((size_t)1 << 16)  /* elements before rows go parallel  */
#define MX_DIV_TAME_LV_ 80.0f              /* mixture fast path: |lv| <= 80      */
#define MX_DIV_TAME_M_ 0x1p60f             /*                    |m|  <= 2^60    */

static size_t mx_div_round_up_(size_t x, size_t to) { return (x + to - 1) / to * to; }

/* s = a - b and *err = (a - b) - s exactly (Knuth's TwoSum, 6 flops). */
static inline float mx_two_diff_f32_(float a, float b, float *err) {
    float s = a - b, bb = s - a;
    *err = (a - (s - bb)) - (b + bb);
    return s;
}

/* double -> float, beyond the float range -> +-inf (no undefined conversion). */
static inline float mx_div_to_float_(double x) {
    const double limit = 0x1.ffffffp127; /* FLT_MAX + half an ULP rounds up */
    if (x >= limit) return INFINITY;
    if (x <= -limit) return -INFINITY;
    return (float)x;
}

/* 1/2 x clamped below at 0 (the KLs and JS are >= 0); NaN passes through. */
static inline float mx_div_half_nonneg_(float x) {
    float h = 0.5f * x;
    return h < 0.0f ? 0.0f : h;
}

/* 1 if the n x d matrix with leading dimension ld fits in memory (size_t). */
static int mx_div_shape_ok_(size_t n, size_t d, size_t ld) {
    const size_t max_elems = SIZE_MAX / sizeof(float);
    if (ld < d || d > max_elems) return 0;
    return n <= 1 || ld == 0 || n - 1 <= (max_elems - d) / ld;
}

/* 1 if every element of the n x d matrix is in [lo, hi] (NaN is not). The
 * loop is branch-free so compilers vectorise it. */
static int mx_div_within_(const float *x, size_t ld, size_t n, size_t d, float lo, float hi) {
    int bad = 0;
    for (size_t i = 0; i < n; ++i) {
        const float *row = x + i * ld;
        for (size_t j = 0; j < d; ++j) bad |= !(row[j] >= lo) | !(row[j] <= hi);
    }
    return !bad;
}

/* Pointer and shape of an n x d matrix input (nothing is read). */
static int mx_div_arg_ok_(const float *x, size_t ld, size_t n, size_t d) {
    return n == 0 || d == 0 || (x != NULL && mx_div_shape_ok_(n, d, ld));
}

/* A Gaussian family (m, lv) sharing the leading dimension ld. */
static int mx_div_gauss_arg_ok_(const float *m, const float *lv, size_t ld, size_t n, size_t d) {
    return mx_div_arg_ok_(m, ld, n, d) && mx_div_arg_ok_(lv, ld, n, d);
}
static int mx_div_gauss_domain_ok_(const float *m, const float *lv, size_t ld, size_t n, size_t d) {
    return mx_div_within_(m, ld, n, d, -FLT_MAX, FLT_MAX) &&
           mx_div_within_(lv, ld, n, d, -MX_DIV_LOGVAR_MAX, MX_DIV_LOGVAR_MAX);
}

/* ---- row drivers shared by every ISA -------------------------------------- */
/* The per-row results are independent, so the thread count never changes them. */
typedef float (*mx_div_row4_fn_)(const float *, const float *, const float *, const float *,
                                 size_t);
typedef float (*mx_div_row2_fn_)(const float *, const float *, size_t);

static void mx_div_rows4_(mx_div_row4_fn_ fn, const float *a, const float *b, size_t lda,
                          const float *c, const float *e, size_t ldc, size_t n, size_t d,
                          float *out) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n * d >= MX_DIV_OMP_MIN_)
#endif
    for (size_t i = 0; i < n; ++i) out[i] = fn(a + i * lda, b + i * lda, c + i * ldc, e + i * ldc, d);
}

static void mx_div_rows2_(mx_div_row2_fn_ fn, const float *a, size_t lda, const float *b,
                          size_t ldb, size_t n, size_t d, float *out) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n * d >= MX_DIV_OMP_MIN_)
#endif
    for (size_t i = 0; i < n; ++i) out[i] = fn(a + i * lda, b + i * ldb, d);
}

/* ---- scalar element formulas (the scalar variants; vectors mirror them) ---- */
/* 2 KL contribution of one coordinate: g(delta) + t^2 (kernel 1). The TwoSum
 * error e corrects expm1(delta+e) - (delta+e) = g(delta) + e expm1(delta) + O(e^2);
 * the min keeps e * inf from becoming NaN when expm1 overflows. */
static inline float mx_kl_gauss_term_scalar_(float m1, float lv1, float m2, float lv2) {
    float e, delta = mx_two_diff_f32_(lv1, lv2, &e);
    float em1 = mx_expm1_f32_scalar_(delta);
    float g = fmaf(e, fminf(em1, FLT_MAX), em1 - delta);
    float t = (m1 - m2) * mx_exp_f32_scalar_(-0.5f * lv2);
    return fmaf(t, t, g);
}

static inline float mx_kl_std_term_scalar_(float m, float lv) {
    return fmaf(m, m, mx_expm1_f32_scalar_(lv) - lv);
}

/* p log(p/q) with 0 log(0/q) = 0 and +inf for p > 0 = q. */
static inline float mx_kl_cat_term_scalar_(float p, float q) {
    if (p == 0.0f) return 0.0f;
    float r = p / q, l = mx_log_f32_scalar_(r);
    if (q > 0.0f && !(r >= FLT_MIN && r <= FLT_MAX))
        l = mx_log_f32_scalar_(p) - mx_log_f32_scalar_(q);
    return p * l;
}

/* p log(2p/(p+q)) given ps = p sigma, inv = 1/((p+q) sigma) (sigma a power of
 * two that keeps inv finite) and the midpoint r = p/2 + q/2. */
static inline float mx_js_half_term_scalar_(float p, float ps, float inv, float r) {
    if (p == 0.0f) return 0.0f;
    float ratio = 2.0f * (ps * inv), l = mx_log_f32_scalar_(ratio);
    if (!(ratio >= FLT_MIN)) l = mx_log_f32_scalar_(p) - mx_log_f32_scalar_(r);
    return p * l;
}

/* The ratios are scale invariant: tiny sums (1/(p+q) would overflow) are
 * scaled by 2^100 exactly first. */
static inline float mx_js_cat_term_scalar_(float p, float q) {
    float s = p + q, sigma = s < 0x1p-100f ? 0x1p100f : 1.0f;
    float inv = 1.0f / (s * sigma), r = 0.5f * p + 0.5f * q;
    return mx_js_half_term_scalar_(p, p * sigma, inv, r) +
           mx_js_half_term_scalar_(q, q * sigma, inv, r);
}

static float mx_kl_gauss_row_scalar_(const float *m1, const float *lv1, const float *m2,
                                     const float *lv2, size_t d) {
    float acc = 0.0f;
    for (size_t j = 0; j < d; ++j) acc += mx_kl_gauss_term_scalar_(m1[j], lv1[j], m2[j], lv2[j]);
    return mx_div_half_nonneg_(acc);
}

static float mx_kl_std_row_scalar_(const float *m, const float *lv, size_t d) {
    float acc = 0.0f;
    for (size_t j = 0; j < d; ++j) acc += mx_kl_std_term_scalar_(m[j], lv[j]);
    return mx_div_half_nonneg_(acc);
}

static float mx_kl_cat_row_scalar_(const float *p, const float *q, size_t d) {
    float acc = 0.0f;
    for (size_t j = 0; j < d; ++j) acc += mx_kl_cat_term_scalar_(p[j], q[j]);
    return acc;
}

static float mx_js_cat_row_scalar_(const float *p, const float *q, size_t d) {
    float acc = 0.0f;
    for (size_t j = 0; j < d; ++j) acc += mx_js_cat_term_scalar_(p[j], q[j]);
    return mx_div_half_nonneg_(acc);
}

/* ---- kernel 3: the mixture driver shared by every ISA --------------------- */
enum { MX_KL_MIX_NB_ = 4, MX_KL_MIX_KB_ = 4 }; /* rows x components per block */

typedef struct {
    size_t dp, kp;        /* d rounded up to MX_DIV_PAD_, k up to MX_KL_MIX_KB_   */
    double *lsum;         /* kp: sum_j lvar_cj                                      */
    float *w, *mu;        /* kp x dp: e^-lvar, mu; zero padded                      */
    float *v, *m;         /* NB x dp: e^lv, m of the current block of rows          */
    float *acc;           /* NB x kp: sum_(j < dp) [w (v + (m - mu)^2) - 1]         */
    unsigned char *tame;  /* kp: component inside the fast path's range             */
} mx_kl_mix_ws_;

/* Per-ISA pieces: dst[j] = e^(sign src[j]) for j < d, 0 up to dp; the block
 * microkernel filling ws->acc; the pairwise kernel-1 row for untame pairs. */
typedef struct {
    void (*exp_fill)(float *dst, const float *src, size_t d, size_t dp, float sign);
    void (*block)(const mx_kl_mix_ws_ *ws);
    mx_div_row4_fn_ pair;
} mx_kl_mix_ops_;

/* x += y with overflow detection (returns 0 on overflow). */
static int mx_div_add_(size_t *x, size_t y) {
    if (*x > SIZE_MAX - y) return 0;
    *x += y;
    return 1;
}
static int mx_div_add_array_(size_t *x, size_t count, size_t elem) {
    if (elem != 0 && count > (SIZE_MAX - 64) / elem) return 0;
    return mx_div_add_(x, mx_div_round_up_(count * elem, 64));
}

/* Lays the workspace out (ws may be NULL: just size it). SIZE_MAX on overflow. */
static size_t mx_kl_mix_layout_(size_t k, size_t d, unsigned char *base, mx_kl_mix_ws_ *ws) {
    if (d > SIZE_MAX / 2 || k > SIZE_MAX / 2) return SIZE_MAX;
    size_t dp = mx_div_round_up_(d, MX_DIV_PAD_), kp = mx_div_round_up_(k, MX_KL_MIX_KB_);
    size_t at[7], total = 0;
    const size_t kd = (dp != 0 && kp > SIZE_MAX / dp) ? SIZE_MAX : kp * dp;
    if (kd == SIZE_MAX || dp > SIZE_MAX / MX_KL_MIX_NB_) return SIZE_MAX;
    const size_t counts[7] = {kp, kd, kd, MX_KL_MIX_NB_ * dp, MX_KL_MIX_NB_ * dp,
                              MX_KL_MIX_NB_ * kp, kp};
    const size_t sizes[7] = {sizeof(double), sizeof(float), sizeof(float), sizeof(float),
                             sizeof(float), sizeof(float), 1};
    for (int a = 0; a < 7; ++a) {
        at[a] = total;
        if (!mx_div_add_array_(&total, counts[a], sizes[a])) return SIZE_MAX;
    }
    if (!mx_div_add_(&total, 64)) return SIZE_MAX; /* alignment slack */
    if (ws != NULL) {
        unsigned char *p = base + (64 - (uintptr_t)base % 64) % 64;
        ws->dp = dp, ws->kp = kp;
        ws->lsum = (double *)(void *)(p + at[0]);
        ws->w = (float *)(void *)(p + at[1]);
        ws->mu = (float *)(void *)(p + at[2]);
        ws->v = (float *)(void *)(p + at[3]);
        ws->m = (float *)(void *)(p + at[4]);
        ws->acc = (float *)(void *)(p + at[5]);
        ws->tame = p + at[6];
    }
    return total;
}

/* Copies a row of d floats, zero padded to dp. */
static void mx_div_copy_pad_(float *dst, const float *src, size_t d, size_t dp) {
    if (d > 0) memcpy(dst, src, d * sizeof(float));
    if (dp > d) memset(dst + d, 0, (dp - d) * sizeof(float));
}

/* sum_j lv_j in double (the lvar - lv part of 2 KL); *tame says whether the
 * fast path's ranges hold for this mean / log-variance row. */
static double mx_kl_mix_row_stats_(const float *m, const float *lv, size_t d, unsigned char *tame) {
    double sum = 0.0;
    int ok = 1;
    for (size_t j = 0; j < d; ++j) {
        sum += lv[j];
        ok &= (fabsf(lv[j]) <= MX_DIV_TAME_LV_) & (fabsf(m[j]) <= MX_DIV_TAME_M_);
    }
    *tame = (unsigned char)ok;
    return sum;
}

static void mx_kl_mix_prepare_components_(const mx_kl_mix_ops_ *ops, const mx_kl_mix_ws_ *ws,
                                          const float *mu, const float *lvar, size_t ldc,
                                          size_t k, size_t d) {
    for (size_t c = 0; c < ws->kp; ++c) {
        float *w = ws->w + c * ws->dp, *muc = ws->mu + c * ws->dp;
        if (c < k) {
            ops->exp_fill(w, lvar + c * ldc, d, ws->dp, -1.0f);
            mx_div_copy_pad_(muc, mu + c * ldc, d, ws->dp);
            ws->lsum[c] = mx_kl_mix_row_stats_(mu + c * ldc, lvar + c * ldc, d, &ws->tame[c]);
        } else { /* padding components: computed, never stored */
            memset(w, 0, ws->dp * sizeof(float));
            memset(muc, 0, ws->dp * sizeof(float));
            ws->lsum[c] = 0.0, ws->tame[c] = 1;
        }
    }
}

/* 2 KL = (sum lvar - sum lv) + sum_(j<d) [w (v + (m-mu)^2) - 1]; the block
 * sums ran over dp lanes, the dp - d padding lanes each adding exactly -1. */
static float mx_kl_mix_combine_(double lsum_c, double lsum_n, float acc, size_t d, size_t dp) {
    double twice = (lsum_c - lsum_n) + (double)acc + (double)(dp - d);
    double kl = 0.5 * twice;
    return kl < 0.0 ? 0.0f : mx_div_to_float_(kl);
}

static void mx_kl_mix_run_(const mx_kl_mix_ops_ *ops, const float *m, const float *lv, size_t ld,
                           size_t n, const float *mu, const float *lvar, size_t ldc, size_t k,
                           size_t d, float *out, size_t ldo, void *work) {
    mx_kl_mix_ws_ ws;
    mx_kl_mix_layout_(k, d, (unsigned char *)work, &ws);
    mx_kl_mix_prepare_components_(ops, &ws, mu, lvar, ldc, k, d);
    for (size_t i0 = 0; i0 < n; i0 += MX_KL_MIX_NB_) {
        const size_t nb = n - i0 < MX_KL_MIX_NB_ ? n - i0 : MX_KL_MIX_NB_;
        double lsum_n[MX_KL_MIX_NB_] = {0};
        unsigned char tame_n[MX_KL_MIX_NB_] = {0};
        for (size_t r = 0; r < MX_KL_MIX_NB_; ++r) {
            float *v = ws.v + r * ws.dp, *mr = ws.m + r * ws.dp;
            if (r < nb) {
                const float *mrow = m + (i0 + r) * ld, *lvrow = lv + (i0 + r) * ld;
                ops->exp_fill(v, lvrow, d, ws.dp, 1.0f);
                mx_div_copy_pad_(mr, mrow, d, ws.dp);
                lsum_n[r] = mx_kl_mix_row_stats_(mrow, lvrow, d, &tame_n[r]);
            } else { /* padding rows: computed, never stored */
                memset(v, 0, ws.dp * sizeof(float));
                memset(mr, 0, ws.dp * sizeof(float));
            }
        }
        ops->block(&ws);
        for (size_t r = 0; r < nb; ++r) {
            const size_t i = i0 + r;
            for (size_t c = 0; c < k; ++c) {
                out[i * ldo + c] =
                    (tame_n[r] && ws.tame[c])
                        ? mx_kl_mix_combine_(ws.lsum[c], lsum_n[r], ws.acc[r * ws.kp + c], d, ws.dp)
                        : ops->pair(m + i * ld, lv + i * ld, mu + c * ldc, lvar + c * ldc, d);
            }
        }
    }
}

/* ---- kernel 5: the Monte-Carlo driver shared by every ISA ----------------- */
typedef struct {
    size_t dp;
    float *delta, *h1, *t1, *h2, *t2; /* dp each, zero padded (see the header) */
} mx_js_mc_ws_;

typedef struct {
    /* fills ws from one row pair (delta, h, t for x ~ P and h', t' for y ~ Q) */
    void (*prepare)(const mx_js_mc_ws_ *ws, const float *m1, const float *lv1, const float *m2,
                    const float *lv2, size_t d);
    /* *sab_p = sum_j A_j B_j for x_s, *sab_q for y_s, one sample row eps */
    void (*sample)(const mx_js_mc_ws_ *ws, const float *eps, size_t d, float *sab_p,
                   float *sab_q);
} mx_js_mc_ops_;

static size_t mx_js_mc_layout_(size_t d, unsigned char *base, mx_js_mc_ws_ *ws) {
    if (d > SIZE_MAX / 8) return SIZE_MAX;
    size_t dp = mx_div_round_up_(d, MX_DIV_PAD_), total = 64;
    for (int a = 0; a < 5; ++a)
        if (!mx_div_add_array_(&total, dp, sizeof(float))) return SIZE_MAX;
    if (ws != NULL) {
        float *p = (float *)(void *)(base + (64 - (uintptr_t)base % 64) % 64);
        ws->dp = dp;
        ws->delta = p, ws->h1 = p + dp, ws->t1 = p + 2 * dp, ws->h2 = p + 3 * dp,
        ws->t2 = p + 4 * dp;
    }
    return total;
}

/* a(z) = log(2 / (1 + e^z)) in double: -log1p(expm1(z)/2) is exact at z = 0
 * and accurate near it; for large z, log 2 - z - log1p(e^-z). */
static double mx_js_mc_log_term_(double z) {
    if (z < 16.0) return -log1p(0.5 * expm1(z));
    return 0.69314718055994530942 - z - log1p(exp(-z));
}

static void mx_js_mc_run_(const mx_js_mc_ops_ *ops, const float *m1, const float *lv1, size_t ld1,
                          const float *m2, const float *lv2, size_t ld2, size_t n, size_t d,
                          const float *eps, size_t ld_eps, size_t s, float *js, float *se,
                          void *work) {
    mx_js_mc_ws_ ws;
    mx_js_mc_layout_(d, (unsigned char *)work, &ws);
    for (size_t i = 0; i < n; ++i) {
        ops->prepare(&ws, m1 + i * ld1, lv1 + i * ld1, m2 + i * ld2, lv2 + i * ld2, d);
        double sum_delta = 0.0;
        for (size_t j = 0; j < d; ++j) sum_delta += ws.delta[j];
        double mean = 0.0, m2sum = 0.0; /* Welford, in double */
        for (size_t k = 0; k < s; ++k) {
            float sab_p, sab_q;
            ops->sample(&ws, eps + k * ld_eps, d, &sab_p, &sab_q);
            double zp = 0.5 * (sum_delta - sab_p), zq = 0.5 * (-sum_delta - sab_q);
            double f = 0.5 * (mx_js_mc_log_term_(zp) + mx_js_mc_log_term_(zq));
            double step = f - mean;
            mean += step / (double)(k + 1);
            m2sum += step * (f - mean);
        }
        js[i] = mx_div_to_float_(mean);
        if (se != NULL) se[i] = s > 1 ? (float)sqrt(m2sum / ((double)s * (double)(s - 1))) : INFINITY;
    }
}

/* ========================================================================== */
/* ---- scalar variants ------------------------------------------------------ */
void mx_kl_diag_gauss_rows_f32_scalar(const float *m1, const float *lv1, size_t ld1,
                                      const float *m2, const float *lv2, size_t ld2, size_t n,
                                      size_t d, float *kl) {
    mx_div_rows4_(mx_kl_gauss_row_scalar_, m1, lv1, ld1, m2, lv2, ld2, n, d, kl);
}

void mx_kl_std_normal_rows_f32_scalar(const float *m, const float *lv, size_t ld, size_t n,
                                      size_t d, float *kl) {
    mx_div_rows2_(mx_kl_std_row_scalar_, m, ld, lv, ld, n, d, kl);
}

void mx_kl_categorical_rows_f32_scalar(const float *p, size_t ldp, const float *q, size_t ldq,
                                       size_t n, size_t d, float *kl) {
    mx_div_rows2_(mx_kl_cat_row_scalar_, p, ldp, q, ldq, n, d, kl);
}

void mx_js_categorical_rows_f32_scalar(const float *p, size_t ldp, const float *q, size_t ldq,
                                       size_t n, size_t d, float *js) {
    mx_div_rows2_(mx_js_cat_row_scalar_, p, ldp, q, ldq, n, d, js);
}

static void mx_div_exp_fill_scalar_(float *dst, const float *src, size_t d, size_t dp, float sign) {
    for (size_t j = 0; j < dp; ++j) dst[j] = j < d ? mx_exp_f32_scalar_(sign * src[j]) : 0.0f;
}

static void mx_kl_mix_block_scalar_(const mx_kl_mix_ws_ *ws) {
    for (size_t r = 0; r < MX_KL_MIX_NB_; ++r) {
        const float *m = ws->m + r * ws->dp, *v = ws->v + r * ws->dp;
        for (size_t c = 0; c < ws->kp; ++c) {
            const float *mu = ws->mu + c * ws->dp, *w = ws->w + c * ws->dp;
            float acc = 0.0f;
            for (size_t j = 0; j < ws->dp; ++j) {
                float diff = m[j] - mu[j];
                acc += fmaf(w[j], fmaf(diff, diff, v[j]), -1.0f);
            }
            ws->acc[r * ws->kp + c] = acc;
        }
    }
}

void mx_kl_diag_gauss_to_mixture_f32_scalar(const float *m, const float *lv, size_t ld, size_t n,
                                            const float *mu, const float *lvar, size_t ldc,
                                            size_t k, size_t d, float *out, size_t ldo,
                                            void *work, size_t work_bytes) {
    static const mx_kl_mix_ops_ ops = {mx_div_exp_fill_scalar_, mx_kl_mix_block_scalar_,
                                       mx_kl_gauss_row_scalar_};
    (void)work_bytes;
    mx_kl_mix_run_(&ops, m, lv, ld, n, mu, lvar, ldc, k, d, out, ldo, work);
}

/* h = expm1(delta/2) corrected for the TwoSum error e of delta (first order):
 * expm1((delta + e)/2) = expm1(delta/2) + (e/2) e^(delta/2); capped at FLT_MAX
 * (before and after the correction) so that nothing is ever inf * 0. */
static inline float mx_js_mc_h_scalar_(float half_delta, float half_e) {
    float em1 = fminf(mx_expm1_f32_scalar_(half_delta), FLT_MAX);
    return fminf(fmaf(half_e, em1 + 1.0f, em1), FLT_MAX);
}

static void mx_js_mc_prepare_scalar_(const mx_js_mc_ws_ *ws, const float *m1, const float *lv1,
                                     const float *m2, const float *lv2, size_t d) {
    for (size_t j = 0; j < ws->dp; ++j) {
        if (j >= d) {
            ws->delta[j] = ws->h1[j] = ws->t1[j] = ws->h2[j] = ws->t2[j] = 0.0f;
            continue;
        }
        float e, delta = mx_two_diff_f32_(lv1[j], lv2[j], &e), diff = m1[j] - m2[j];
        ws->delta[j] = delta;
        ws->h1[j] = mx_js_mc_h_scalar_(0.5f * delta, 0.5f * e);
        ws->h2[j] = mx_js_mc_h_scalar_(-0.5f * delta, -0.5f * e);
        ws->t1[j] = diff * mx_exp_f32_scalar_(-0.5f * lv2[j]);
        ws->t2[j] = -diff * mx_exp_f32_scalar_(-0.5f * lv1[j]);
    }
}

static void mx_js_mc_sample_scalar_(const mx_js_mc_ws_ *ws, const float *eps, size_t d,
                                    float *sab_p, float *sab_q) {
    float acc_p = 0.0f, acc_q = 0.0f;
    for (size_t j = 0; j < d; ++j) {
        float ap = fmaf(ws->h1[j], eps[j], ws->t1[j]), aq = fmaf(ws->h2[j], eps[j], ws->t2[j]);
        /* A = 0 adds A B = 0 exactly, even where B = A + 2 eps overflows (no 0 * inf) */
        if (ap != 0.0f) acc_p = fmaf(ap, fmaf(2.0f, eps[j], ap), acc_p);
        if (aq != 0.0f) acc_q = fmaf(aq, fmaf(2.0f, eps[j], aq), acc_q);
    }
    *sab_p = acc_p, *sab_q = acc_q;
}

void mx_js_diag_gauss_rows_f32_scalar(const float *m1, const float *lv1, size_t ld1,
                                      const float *m2, const float *lv2, size_t ld2, size_t n,
                                      size_t d, const float *eps, size_t ld_eps, size_t s,
                                      float *js, float *se, void *work, size_t work_bytes) {
    static const mx_js_mc_ops_ ops = {mx_js_mc_prepare_scalar_, mx_js_mc_sample_scalar_};
    (void)work_bytes;
    mx_js_mc_run_(&ops, m1, lv1, ld1, m2, lv2, ld2, n, d, eps, ld_eps, s, js, se, work);
}

/* ========================================================================== */
/* ---- AVX2 + FMA ------------------------------------------------------------ */
#if MX_ARCH_X86
/* Lanes j < rem of p (rem <= 8), zeros elsewhere; never touches p[rem..]. */
MX_TARGET_AVX2 static inline __m256 mx_div_load_tail_avx2_(const float *p, size_t rem) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), idx));
}

MX_TARGET_AVX2 static inline float mx_div_hsum_avx2_(__m256 x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

MX_TARGET_AVX2 static inline __m256 mx_two_diff_avx2_(__m256 a, __m256 b, __m256 *err) {
    __m256 s = _mm256_sub_ps(a, b), bb = _mm256_sub_ps(s, a);
    *err = _mm256_sub_ps(_mm256_sub_ps(a, _mm256_sub_ps(s, bb)), _mm256_add_ps(b, bb));
    return s;
}

/* Vector mirror of mx_kl_gauss_term_scalar_. */
MX_TARGET_AVX2 static inline __m256 mx_kl_gauss_terms_avx2_(__m256 m1, __m256 lv1, __m256 m2,
                                                           __m256 lv2) {
    __m256 e, delta = mx_two_diff_avx2_(lv1, lv2, &e);
    __m256 em1 = mx_expm1_f32x8_avx2_(delta);
    __m256 g = _mm256_fmadd_ps(e, _mm256_min_ps(em1, _mm256_set1_ps(FLT_MAX)),
                               _mm256_sub_ps(em1, delta));
    __m256 s = mx_exp_f32x8_avx2_(_mm256_mul_ps(_mm256_set1_ps(-0.5f), lv2));
    __m256 t = _mm256_mul_ps(_mm256_sub_ps(m1, m2), s);
    return _mm256_fmadd_ps(t, t, g);
}

MX_TARGET_AVX2 static float mx_kl_gauss_row_avx2_(const float *m1, const float *lv1,
                                                  const float *m2, const float *lv2, size_t d) {
    __m256 acc = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= d; j += 8)
        acc = _mm256_add_ps(acc, mx_kl_gauss_terms_avx2_(_mm256_loadu_ps(m1 + j), _mm256_loadu_ps(lv1 + j),
                                                        _mm256_loadu_ps(m2 + j), _mm256_loadu_ps(lv2 + j)));
    if (j < d)
        acc = _mm256_add_ps(acc, mx_kl_gauss_terms_avx2_(
                                     mx_div_load_tail_avx2_(m1 + j, d - j), mx_div_load_tail_avx2_(lv1 + j, d - j),
                                     mx_div_load_tail_avx2_(m2 + j, d - j), mx_div_load_tail_avx2_(lv2 + j, d - j)));
    return mx_div_half_nonneg_(mx_div_hsum_avx2_(acc));
}

MX_TARGET_AVX2 static inline __m256 mx_kl_std_terms_avx2_(__m256 m, __m256 lv) {
    return _mm256_fmadd_ps(m, m, _mm256_sub_ps(mx_expm1_f32x8_avx2_(lv), lv));
}

MX_TARGET_AVX2 static float mx_kl_std_row_avx2_(const float *m, const float *lv, size_t d) {
    __m256 acc = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= d; j += 8)
        acc = _mm256_add_ps(acc, mx_kl_std_terms_avx2_(_mm256_loadu_ps(m + j), _mm256_loadu_ps(lv + j)));
    if (j < d)
        acc = _mm256_add_ps(acc, mx_kl_std_terms_avx2_(mx_div_load_tail_avx2_(m + j, d - j),
                                                       mx_div_load_tail_avx2_(lv + j, d - j)));
    return mx_div_half_nonneg_(mx_div_hsum_avx2_(acc));
}

/* log(ratio), recomputed as log a - log b in the lanes of `fix` (where the
 * ratio left the normal range); the branch is taken only for such lanes. */
MX_TARGET_AVX2 static inline __m256 mx_div_log_ratio_avx2_(__m256 ratio, __m256 a, __m256 b,
                                                           __m256 fix) {
    __m256 l = mx_log_f32x8_avx2_(ratio);
    if (_mm256_movemask_ps(fix) != 0) {
        __m256 alt = _mm256_sub_ps(mx_log_f32x8_avx2_(a), mx_log_f32x8_avx2_(b));
        l = _mm256_blendv_ps(l, alt, fix);
    }
    return l;
}

/* Vector mirror of mx_kl_cat_term_scalar_. */
MX_TARGET_AVX2 static inline __m256 mx_kl_cat_terms_avx2_(__m256 p, __m256 q) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 r = _mm256_div_ps(p, q);
    __m256 out_of_range = _mm256_or_ps(_mm256_cmp_ps(r, _mm256_set1_ps(FLT_MIN), _CMP_LT_OQ),
                                       _mm256_cmp_ps(r, _mm256_set1_ps(FLT_MAX), _CMP_GT_OQ));
    __m256 fix = _mm256_and_ps(out_of_range, _mm256_and_ps(_mm256_cmp_ps(p, zero, _CMP_GT_OQ),
                                                           _mm256_cmp_ps(q, zero, _CMP_GT_OQ)));
    __m256 term = _mm256_mul_ps(p, mx_div_log_ratio_avx2_(r, p, q, fix));
    return _mm256_and_ps(term, _mm256_cmp_ps(p, zero, _CMP_GT_OQ)); /* 0 log(0/q) = 0 */
}

MX_TARGET_AVX2 static inline __m256 mx_js_half_terms_avx2_(__m256 p, __m256 ps, __m256 inv,
                                                            __m256 r) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 ratio = _mm256_mul_ps(_mm256_set1_ps(2.0f), _mm256_mul_ps(ps, inv));
    __m256 positive = _mm256_cmp_ps(p, zero, _CMP_GT_OQ);
    __m256 fix = _mm256_and_ps(positive, _mm256_cmp_ps(ratio, _mm256_set1_ps(FLT_MIN), _CMP_NGE_UQ));
    return _mm256_and_ps(_mm256_mul_ps(p, mx_div_log_ratio_avx2_(ratio, p, r, fix)), positive);
}

/* Vector mirror of mx_js_cat_term_scalar_. */
MX_TARGET_AVX2 static inline __m256 mx_js_cat_terms_avx2_(__m256 p, __m256 q) {
    const __m256 half = _mm256_set1_ps(0.5f), s = _mm256_add_ps(p, q);
    __m256 sigma = _mm256_blendv_ps(_mm256_set1_ps(1.0f), _mm256_set1_ps(0x1p100f),
                                    _mm256_cmp_ps(s, _mm256_set1_ps(0x1p-100f), _CMP_LT_OQ));
    __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(s, sigma));
    __m256 r = _mm256_fmadd_ps(half, p, _mm256_mul_ps(half, q));
    return _mm256_add_ps(mx_js_half_terms_avx2_(p, _mm256_mul_ps(p, sigma), inv, r),
                         mx_js_half_terms_avx2_(q, _mm256_mul_ps(q, sigma), inv, r));
}

#define MX_DIV_CAT_ROW_AVX2_(fname, terms)                                                   \
    MX_TARGET_AVX2 static float fname(const float *p, const float *q, size_t d) {           \
        __m256 acc = _mm256_setzero_ps();                                                   \
        size_t j = 0;                                                                       \
        for (; j + 8 <= d; j += 8)                                                          \
            acc = _mm256_add_ps(acc, terms(_mm256_loadu_ps(p + j), _mm256_loadu_ps(q + j))); \
        if (j < d)                                                                          \
            acc = _mm256_add_ps(acc, terms(mx_div_load_tail_avx2_(p + j, d - j),            \
                                           mx_div_load_tail_avx2_(q + j, d - j)));          \
        return mx_div_hsum_avx2_(acc);                                                      \
    }
MX_DIV_CAT_ROW_AVX2_(mx_kl_cat_row_avx2_, mx_kl_cat_terms_avx2_)
MX_DIV_CAT_ROW_AVX2_(mx_js_cat_sum_avx2_, mx_js_cat_terms_avx2_)
#undef MX_DIV_CAT_ROW_AVX2_

MX_TARGET_AVX2 static float mx_js_cat_row_avx2_(const float *p, const float *q, size_t d) {
    return mx_div_half_nonneg_(mx_js_cat_sum_avx2_(p, q, d));
}

MX_TARGET_AVX2 void mx_kl_diag_gauss_rows_f32_avx2(const float *m1, const float *lv1, size_t ld1,
                                                   const float *m2, const float *lv2, size_t ld2,
                                                   size_t n, size_t d, float *kl) {
    mx_div_rows4_(mx_kl_gauss_row_avx2_, m1, lv1, ld1, m2, lv2, ld2, n, d, kl);
}

MX_TARGET_AVX2 void mx_kl_std_normal_rows_f32_avx2(const float *m, const float *lv, size_t ld,
                                                   size_t n, size_t d, float *kl) {
    mx_div_rows2_(mx_kl_std_row_avx2_, m, ld, lv, ld, n, d, kl);
}

MX_TARGET_AVX2 void mx_kl_categorical_rows_f32_avx2(const float *p, size_t ldp, const float *q,
                                                    size_t ldq, size_t n, size_t d, float *kl) {
    mx_div_rows2_(mx_kl_cat_row_avx2_, p, ldp, q, ldq, n, d, kl);
}

MX_TARGET_AVX2 void mx_js_categorical_rows_f32_avx2(const float *p, size_t ldp, const float *q,
                                                    size_t ldq, size_t n, size_t d, float *js) {
    mx_div_rows2_(mx_js_cat_row_avx2_, p, ldp, q, ldq, n, d, js);
}

/* dp is a multiple of 16, so no tails here. */
MX_TARGET_AVX2 static void mx_div_exp_fill_avx2_(float *dst, const float *src, size_t d, size_t dp,
                                                 float sign) {
    const __m256 sg = _mm256_set1_ps(sign);
    for (size_t j = 0; j < dp; j += 8) {
        __m256 x = j + 8 <= d ? _mm256_loadu_ps(src + j)
                              : mx_div_load_tail_avx2_(src + j, j < d ? d - j : 0);
        __m256 e = mx_exp_f32x8_avx2_(_mm256_mul_ps(sg, x));
        if (j + 8 > d) /* zero the padding lanes (e^0 = 1 there) */
            e = _mm256_and_ps(e, _mm256_castsi256_ps(_mm256_cmpgt_epi32(
                                     _mm256_set1_epi32((int)(j < d ? d - j : 0)),
                                     _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))));
        _mm256_store_ps(dst + j, e);
    }
}

/* 2 rows x 4 components per pass over dp (14 of the 16 ymm registers). */
MX_TARGET_AVX2 static void mx_kl_mix_block_avx2_(const mx_kl_mix_ws_ *ws) {
    const size_t dp = ws->dp, kp = ws->kp;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (size_t r0 = 0; r0 < MX_KL_MIX_NB_; r0 += 2) {
        for (size_t c0 = 0; c0 < kp; c0 += 4) {
            __m256 acc[2][4];
            for (int r = 0; r < 2; ++r)
                for (int c = 0; c < 4; ++c) acc[r][c] = _mm256_setzero_ps();
            for (size_t j = 0; j < dp; j += 8) {
                __m256 m[2], v[2];
                for (int r = 0; r < 2; ++r) {
                    m[r] = _mm256_load_ps(ws->m + (r0 + r) * dp + j);
                    v[r] = _mm256_load_ps(ws->v + (r0 + r) * dp + j);
                }
                for (int c = 0; c < 4; ++c) {
                    __m256 mu = _mm256_load_ps(ws->mu + (c0 + c) * dp + j);
                    __m256 w = _mm256_load_ps(ws->w + (c0 + c) * dp + j);
                    for (int r = 0; r < 2; ++r) {
                        __m256 diff = _mm256_sub_ps(m[r], mu);
                        __m256 q = _mm256_fmadd_ps(diff, diff, v[r]);
                        acc[r][c] = _mm256_add_ps(acc[r][c], _mm256_fmsub_ps(w, q, one));
                    }
                }
            }
            for (int r = 0; r < 2; ++r)
                for (int c = 0; c < 4; ++c) ws->acc[(r0 + r) * kp + c0 + c] = mx_div_hsum_avx2_(acc[r][c]);
        }
    }
}

MX_TARGET_AVX2 void mx_kl_diag_gauss_to_mixture_f32_avx2(const float *m, const float *lv, size_t ld,
                                                         size_t n, const float *mu,
                                                         const float *lvar, size_t ldc, size_t k,
                                                         size_t d, float *out, size_t ldo,
                                                         void *work, size_t work_bytes) {
    static const mx_kl_mix_ops_ ops = {mx_div_exp_fill_avx2_, mx_kl_mix_block_avx2_,
                                       mx_kl_gauss_row_avx2_};
    (void)work_bytes;
    mx_kl_mix_run_(&ops, m, lv, ld, n, mu, lvar, ldc, k, d, out, ldo, work);
}

MX_TARGET_AVX2 static inline __m256 mx_js_mc_h_avx2_(__m256 half_delta, __m256 half_e) {
    __m256 em1 = _mm256_min_ps(mx_expm1_f32x8_avx2_(half_delta), _mm256_set1_ps(FLT_MAX));
    return _mm256_min_ps(_mm256_fmadd_ps(half_e, _mm256_add_ps(em1, _mm256_set1_ps(1.0f)), em1),
                         _mm256_set1_ps(FLT_MAX));
}

MX_TARGET_AVX2 static void mx_js_mc_prepare_avx2_(const mx_js_mc_ws_ *ws, const float *m1,
                                                  const float *lv1, const float *m2,
                                                  const float *lv2, size_t d) {
    const __m256 half = _mm256_set1_ps(0.5f), mhalf = _mm256_set1_ps(-0.5f);
    for (size_t j = 0; j < ws->dp; j += 8) {
        const size_t rem = j < d ? d - j : 0;
        __m256 a1 = mx_div_load_tail_avx2_(m1 + j, rem < 8 ? rem : 8);
        __m256 b1 = mx_div_load_tail_avx2_(lv1 + j, rem < 8 ? rem : 8);
        __m256 a2 = mx_div_load_tail_avx2_(m2 + j, rem < 8 ? rem : 8);
        __m256 b2 = mx_div_load_tail_avx2_(lv2 + j, rem < 8 ? rem : 8);
        __m256 e, delta = mx_two_diff_avx2_(b1, b2, &e), diff = _mm256_sub_ps(a1, a2);
        _mm256_store_ps(ws->delta + j, delta);
        _mm256_store_ps(ws->h1 + j, mx_js_mc_h_avx2_(_mm256_mul_ps(half, delta), _mm256_mul_ps(half, e)));
        _mm256_store_ps(ws->h2 + j, mx_js_mc_h_avx2_(_mm256_mul_ps(mhalf, delta), _mm256_mul_ps(mhalf, e)));
        _mm256_store_ps(ws->t1 + j, _mm256_mul_ps(diff, mx_exp_f32x8_avx2_(_mm256_mul_ps(mhalf, b2))));
        _mm256_store_ps(ws->t2 + j, _mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), diff),
                                                  mx_exp_f32x8_avx2_(_mm256_mul_ps(mhalf, b1))));
    }
}

MX_TARGET_AVX2 static void mx_js_mc_sample_avx2_(const mx_js_mc_ws_ *ws, const float *eps, size_t d,
                                                 float *sab_p, float *sab_q) {
    const __m256 two = _mm256_set1_ps(2.0f), zero = _mm256_setzero_ps();
    __m256 acc_p = _mm256_setzero_ps(), acc_q = _mm256_setzero_ps();
    for (size_t j = 0; j < d; j += 8) {
        __m256 x = j + 8 <= d ? _mm256_loadu_ps(eps + j) : mx_div_load_tail_avx2_(eps + j, d - j);
        __m256 ap = _mm256_fmadd_ps(_mm256_load_ps(ws->h1 + j), x, _mm256_load_ps(ws->t1 + j));
        __m256 aq = _mm256_fmadd_ps(_mm256_load_ps(ws->h2 + j), x, _mm256_load_ps(ws->t2 + j));
        /* B zeroed where A = 0: A B = 0 even where A + 2 eps overflows (no 0 * inf) */
        acc_p = _mm256_fmadd_ps(ap, _mm256_and_ps(_mm256_fmadd_ps(two, x, ap), _mm256_cmp_ps(ap, zero, _CMP_NEQ_UQ)), acc_p);
        acc_q = _mm256_fmadd_ps(aq, _mm256_and_ps(_mm256_fmadd_ps(two, x, aq), _mm256_cmp_ps(aq, zero, _CMP_NEQ_UQ)), acc_q);
    }
    *sab_p = mx_div_hsum_avx2_(acc_p), *sab_q = mx_div_hsum_avx2_(acc_q);
}

MX_TARGET_AVX2 void mx_js_diag_gauss_rows_f32_avx2(const float *m1, const float *lv1, size_t ld1,
                                                   const float *m2, const float *lv2, size_t ld2,
                                                   size_t n, size_t d, const float *eps,
                                                   size_t ld_eps, size_t s, float *js, float *se,
                                                   void *work, size_t work_bytes) {
    static const mx_js_mc_ops_ ops = {mx_js_mc_prepare_avx2_, mx_js_mc_sample_avx2_};
    (void)work_bytes;
    mx_js_mc_run_(&ops, m1, lv1, ld1, m2, lv2, ld2, n, d, eps, ld_eps, s, js, se, work);
}

/* ---- AVX-512 --------------------------------------------------------------- */
/* Mask of the lanes j < rem of a 16-lane vector (rem may exceed 16). */
MX_TARGET_AVX512 static inline __mmask16 mx_div_mask_avx512_(size_t rem) {
    return rem >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rem) - 1u);
}

MX_TARGET_AVX512 static inline __m512 mx_two_diff_avx512_(__m512 a, __m512 b, __m512 *err) {
    __m512 s = _mm512_sub_ps(a, b), bb = _mm512_sub_ps(s, a);
    *err = _mm512_sub_ps(_mm512_sub_ps(a, _mm512_sub_ps(s, bb)), _mm512_add_ps(b, bb));
    return s;
}

/* Vector mirror of mx_kl_gauss_term_scalar_. */
MX_TARGET_AVX512 static inline __m512 mx_kl_gauss_terms_avx512_(__m512 m1, __m512 lv1, __m512 m2,
                                                               __m512 lv2) {
    __m512 e, delta = mx_two_diff_avx512_(lv1, lv2, &e);
    __m512 em1 = mx_expm1_f32x16_avx512_(delta);
    __m512 g = _mm512_fmadd_ps(e, _mm512_min_ps(em1, _mm512_set1_ps(FLT_MAX)),
                               _mm512_sub_ps(em1, delta));
    __m512 s = mx_exp_f32x16_avx512_(_mm512_mul_ps(_mm512_set1_ps(-0.5f), lv2));
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(m1, m2), s);
    return _mm512_fmadd_ps(t, t, g);
}

MX_TARGET_AVX512 static float mx_kl_gauss_row_avx512_(const float *m1, const float *lv1,
                                                      const float *m2, const float *lv2, size_t d) {
    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < d; j += 16) {
        const __mmask16 k = mx_div_mask_avx512_(d - j);
        acc = _mm512_add_ps(acc, mx_kl_gauss_terms_avx512_(
                                     _mm512_maskz_loadu_ps(k, m1 + j), _mm512_maskz_loadu_ps(k, lv1 + j),
                                     _mm512_maskz_loadu_ps(k, m2 + j), _mm512_maskz_loadu_ps(k, lv2 + j)));
    }
    return mx_div_half_nonneg_(_mm512_reduce_add_ps(acc));
}

MX_TARGET_AVX512 static float mx_kl_std_row_avx512_(const float *m, const float *lv, size_t d) {
    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < d; j += 16) {
        const __mmask16 k = mx_div_mask_avx512_(d - j);
        __m512 mj = _mm512_maskz_loadu_ps(k, m + j), lvj = _mm512_maskz_loadu_ps(k, lv + j);
        __m512 g = _mm512_sub_ps(mx_expm1_f32x16_avx512_(lvj), lvj);
        acc = _mm512_add_ps(acc, _mm512_fmadd_ps(mj, mj, g));
    }
    return mx_div_half_nonneg_(_mm512_reduce_add_ps(acc));
}

/* log(ratio), recomputed as log a - log b in the lanes of `fix`. */
MX_TARGET_AVX512 static inline __m512 mx_div_log_ratio_avx512_(__m512 ratio, __m512 a, __m512 b,
                                                               __mmask16 fix) {
    __m512 l = mx_log_f32x16_avx512_(ratio);
    if (fix != 0)
        l = _mm512_mask_sub_ps(l, fix, mx_log_f32x16_avx512_(a), mx_log_f32x16_avx512_(b));
    return l;
}

/* Vector mirror of mx_kl_cat_term_scalar_. */
MX_TARGET_AVX512 static inline __m512 mx_kl_cat_terms_avx512_(__m512 p, __m512 q) {
    const __m512 zero = _mm512_setzero_ps();
    const __mmask16 positive = _mm512_cmp_ps_mask(p, zero, _CMP_GT_OQ);
    __m512 r = _mm512_div_ps(p, q);
    __mmask16 out_of_range = _mm512_cmp_ps_mask(r, _mm512_set1_ps(FLT_MIN), _CMP_LT_OQ) |
                             _mm512_cmp_ps_mask(r, _mm512_set1_ps(FLT_MAX), _CMP_GT_OQ);
    __mmask16 fix = out_of_range & positive & _mm512_cmp_ps_mask(q, zero, _CMP_GT_OQ);
    return _mm512_maskz_mul_ps(positive, p, mx_div_log_ratio_avx512_(r, p, q, fix));
}

MX_TARGET_AVX512 static inline __m512 mx_js_half_terms_avx512_(__m512 p, __m512 ps, __m512 inv,
                                                                __m512 r) {
    const __mmask16 positive = _mm512_cmp_ps_mask(p, _mm512_setzero_ps(), _CMP_GT_OQ);
    __m512 ratio = _mm512_mul_ps(_mm512_set1_ps(2.0f), _mm512_mul_ps(ps, inv));
    __mmask16 fix = positive & _mm512_cmp_ps_mask(ratio, _mm512_set1_ps(FLT_MIN), _CMP_NGE_UQ);
    return _mm512_maskz_mul_ps(positive, p, mx_div_log_ratio_avx512_(ratio, p, r, fix));
}

/* Vector mirror of mx_js_cat_term_scalar_. */
MX_TARGET_AVX512 static inline __m512 mx_js_cat_terms_avx512_(__m512 p, __m512 q) {
    const __m512 half = _mm512_set1_ps(0.5f), s = _mm512_add_ps(p, q);
    __m512 sigma = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(s, _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ),
                                        _mm512_set1_ps(1.0f), _mm512_set1_ps(0x1p100f));
    __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(s, sigma));
    __m512 r = _mm512_fmadd_ps(half, p, _mm512_mul_ps(half, q));
    return _mm512_add_ps(mx_js_half_terms_avx512_(p, _mm512_mul_ps(p, sigma), inv, r),
                         mx_js_half_terms_avx512_(q, _mm512_mul_ps(q, sigma), inv, r));
}

#define MX_DIV_CAT_ROW_AVX512_(fname, terms)                                                  \
    MX_TARGET_AVX512 static float fname(const float *p, const float *q, size_t d) {          \
        __m512 acc = _mm512_setzero_ps();                                                    \
        for (size_t j = 0; j < d; j += 16) {                                                 \
            const __mmask16 k = mx_div_mask_avx512_(d - j);                                  \
            acc = _mm512_add_ps(acc, terms(_mm512_maskz_loadu_ps(k, p + j),                  \
                                           _mm512_maskz_loadu_ps(k, q + j)));                \
        }                                                                                    \
        return _mm512_reduce_add_ps(acc);                                                    \
    }
MX_DIV_CAT_ROW_AVX512_(mx_kl_cat_row_avx512_, mx_kl_cat_terms_avx512_)
MX_DIV_CAT_ROW_AVX512_(mx_js_cat_sum_avx512_, mx_js_cat_terms_avx512_)
#undef MX_DIV_CAT_ROW_AVX512_

MX_TARGET_AVX512 static float mx_js_cat_row_avx512_(const float *p, const float *q, size_t d) {
    return mx_div_half_nonneg_(mx_js_cat_sum_avx512_(p, q, d));
}

MX_TARGET_AVX512 void mx_kl_diag_gauss_rows_f32_avx512(const float *m1, const float *lv1,
                                                       size_t ld1, const float *m2,
                                                       const float *lv2, size_t ld2, size_t n,
                                                       size_t d, float *kl) {
    mx_div_rows4_(mx_kl_gauss_row_avx512_, m1, lv1, ld1, m2, lv2, ld2, n, d, kl);
}

MX_TARGET_AVX512 void mx_kl_std_normal_rows_f32_avx512(const float *m, const float *lv, size_t ld,
                                                       size_t n, size_t d, float *kl) {
    mx_div_rows2_(mx_kl_std_row_avx512_, m, ld, lv, ld, n, d, kl);
}

MX_TARGET_AVX512 void mx_kl_categorical_rows_f32_avx512(const float *p, size_t ldp, const float *q,
                                                        size_t ldq, size_t n, size_t d, float *kl) {
    mx_div_rows2_(mx_kl_cat_row_avx512_, p, ldp, q, ldq, n, d, kl);
}

MX_TARGET_AVX512 void mx_js_categorical_rows_f32_avx512(const float *p, size_t ldp, const float *q,
                                                        size_t ldq, size_t n, size_t d, float *js) {
    mx_div_rows2_(mx_js_cat_row_avx512_, p, ldp, q, ldq, n, d, js);
}

MX_TARGET_AVX512 static void mx_div_exp_fill_avx512_(float *dst, const float *src, size_t d,
                                                     size_t dp, float sign) {
    const __m512 sg = _mm512_set1_ps(sign);
    for (size_t j = 0; j < dp; j += 16) {
        const __mmask16 k = mx_div_mask_avx512_(j < d ? d - j : 0);
        __m512 x = _mm512_maskz_loadu_ps(k, src + j);
        _mm512_store_ps(dst + j, _mm512_maskz_mov_ps(k, mx_exp_f32x16_avx512_(_mm512_mul_ps(sg, x))));
    }
}

/* 4 rows x 4 components per pass over dp: 16 accumulators + 8 row vectors. */
MX_TARGET_AVX512 static void mx_kl_mix_block_avx512_(const mx_kl_mix_ws_ *ws) {
    const size_t dp = ws->dp, kp = ws->kp;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t c0 = 0; c0 < kp; c0 += 4) {
        __m512 acc[4][4];
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_setzero_ps();
        for (size_t j = 0; j < dp; j += 16) {
            __m512 m[4], v[4];
            for (int r = 0; r < 4; ++r) {
                m[r] = _mm512_load_ps(ws->m + r * dp + j);
                v[r] = _mm512_load_ps(ws->v + r * dp + j);
            }
            for (int c = 0; c < 4; ++c) {
                __m512 mu = _mm512_load_ps(ws->mu + (c0 + c) * dp + j);
                __m512 w = _mm512_load_ps(ws->w + (c0 + c) * dp + j);
                for (int r = 0; r < 4; ++r) {
                    __m512 diff = _mm512_sub_ps(m[r], mu);
                    __m512 q = _mm512_fmadd_ps(diff, diff, v[r]);
                    acc[r][c] = _mm512_add_ps(acc[r][c], _mm512_fmsub_ps(w, q, one));
                }
            }
        }
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) ws->acc[r * kp + c0 + c] = _mm512_reduce_add_ps(acc[r][c]);
    }
}

MX_TARGET_AVX512 void mx_kl_diag_gauss_to_mixture_f32_avx512(
    const float *m, const float *lv, size_t ld, size_t n, const float *mu, const float *lvar,
    size_t ldc, size_t k, size_t d, float *out, size_t ldo, void *work, size_t work_bytes) {
    static const mx_kl_mix_ops_ ops = {mx_div_exp_fill_avx512_, mx_kl_mix_block_avx512_,
                                       mx_kl_gauss_row_avx512_};
    (void)work_bytes;
    mx_kl_mix_run_(&ops, m, lv, ld, n, mu, lvar, ldc, k, d, out, ldo, work);
}

MX_TARGET_AVX512 static inline __m512 mx_js_mc_h_avx512_(__m512 half_delta, __m512 half_e) {
    __m512 em1 = _mm512_min_ps(mx_expm1_f32x16_avx512_(half_delta), _mm512_set1_ps(FLT_MAX));
    return _mm512_min_ps(_mm512_fmadd_ps(half_e, _mm512_add_ps(em1, _mm512_set1_ps(1.0f)), em1),
                         _mm512_set1_ps(FLT_MAX));
}

MX_TARGET_AVX512 static void mx_js_mc_prepare_avx512_(const mx_js_mc_ws_ *ws, const float *m1,
                                                      const float *lv1, const float *m2,
                                                      const float *lv2, size_t d) {
    const __m512 half = _mm512_set1_ps(0.5f), mhalf = _mm512_set1_ps(-0.5f);
    for (size_t j = 0; j < ws->dp; j += 16) {
        const __mmask16 k = mx_div_mask_avx512_(j < d ? d - j : 0);
        __m512 a1 = _mm512_maskz_loadu_ps(k, m1 + j), b1 = _mm512_maskz_loadu_ps(k, lv1 + j);
        __m512 a2 = _mm512_maskz_loadu_ps(k, m2 + j), b2 = _mm512_maskz_loadu_ps(k, lv2 + j);
        __m512 e, delta = mx_two_diff_avx512_(b1, b2, &e), diff = _mm512_sub_ps(a1, a2);
        _mm512_store_ps(ws->delta + j, delta);
        _mm512_store_ps(ws->h1 + j, mx_js_mc_h_avx512_(_mm512_mul_ps(half, delta), _mm512_mul_ps(half, e)));
        _mm512_store_ps(ws->h2 + j, mx_js_mc_h_avx512_(_mm512_mul_ps(mhalf, delta), _mm512_mul_ps(mhalf, e)));
        _mm512_store_ps(ws->t1 + j, _mm512_mul_ps(diff, mx_exp_f32x16_avx512_(_mm512_mul_ps(mhalf, b2))));
        _mm512_store_ps(ws->t2 + j, _mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), diff),
                                                  mx_exp_f32x16_avx512_(_mm512_mul_ps(mhalf, b1))));
    }
}

MX_TARGET_AVX512 static void mx_js_mc_sample_avx512_(const mx_js_mc_ws_ *ws, const float *eps,
                                                     size_t d, float *sab_p, float *sab_q) {
    const __m512 two = _mm512_set1_ps(2.0f);
    __m512 acc_p = _mm512_setzero_ps(), acc_q = _mm512_setzero_ps();
    for (size_t j = 0; j < d; j += 16) {
        __m512 x = _mm512_maskz_loadu_ps(mx_div_mask_avx512_(d - j), eps + j);
        __m512 ap = _mm512_fmadd_ps(_mm512_load_ps(ws->h1 + j), x, _mm512_load_ps(ws->t1 + j));
        __m512 aq = _mm512_fmadd_ps(_mm512_load_ps(ws->h2 + j), x, _mm512_load_ps(ws->t2 + j));
        /* B zeroed where A = 0: A B = 0 even where A + 2 eps overflows (no 0 * inf) */
        const __mmask16 nzp = _mm512_cmp_ps_mask(ap, _mm512_setzero_ps(), _CMP_NEQ_UQ);
        const __mmask16 nzq = _mm512_cmp_ps_mask(aq, _mm512_setzero_ps(), _CMP_NEQ_UQ);
        acc_p = _mm512_fmadd_ps(ap, _mm512_maskz_fmadd_ps(nzp, two, x, ap), acc_p);
        acc_q = _mm512_fmadd_ps(aq, _mm512_maskz_fmadd_ps(nzq, two, x, aq), acc_q);
    }
    *sab_p = _mm512_reduce_add_ps(acc_p), *sab_q = _mm512_reduce_add_ps(acc_q);
}

MX_TARGET_AVX512 void mx_js_diag_gauss_rows_f32_avx512(const float *m1, const float *lv1,
                                                       size_t ld1, const float *m2,
                                                       const float *lv2, size_t ld2, size_t n,
                                                       size_t d, const float *eps, size_t ld_eps,
                                                       size_t s, float *js, float *se,
                                                       void *work, size_t work_bytes) {
    static const mx_js_mc_ops_ ops = {mx_js_mc_prepare_avx512_, mx_js_mc_sample_avx512_};
    (void)work_bytes;
    mx_js_mc_run_(&ops, m1, lv1, ld1, m2, lv2, ld2, n, d, eps, ld_eps, s, js, se, work);
}
#endif /* MX_ARCH_X86 */

/* ========================================================================== */
/* ---- NEON ------------------------------------------------------------------ */
#if MX_ARCH_ARM64
/* Lanes j < rem of p (rem < 4 reads only rem floats), zeros elsewhere. */
static inline float32x4_t mx_div_load_neon_(const float *p, size_t rem) {
    if (rem >= 4) return vld1q_f32(p);
    float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < rem; ++i) buf[i] = p[i];
    return vld1q_f32(buf);
}

static inline float32x4_t mx_two_diff_neon_(float32x4_t a, float32x4_t b, float32x4_t *err) {
    float32x4_t s = vsubq_f32(a, b), bb = vsubq_f32(s, a);
    *err = vsubq_f32(vsubq_f32(a, vsubq_f32(s, bb)), vaddq_f32(b, bb));
    return s;
}

/* Vector mirror of mx_kl_gauss_term_scalar_. */
static inline float32x4_t mx_kl_gauss_terms_neon_(float32x4_t m1, float32x4_t lv1, float32x4_t m2,
                                                  float32x4_t lv2) {
    float32x4_t e, delta = mx_two_diff_neon_(lv1, lv2, &e);
    float32x4_t em1 = mx_expm1_f32x4_neon_(delta);
    float32x4_t g = vfmaq_f32(vsubq_f32(em1, delta), e, vminq_f32(em1, vdupq_n_f32(FLT_MAX)));
    float32x4_t s = mx_exp_f32x4_neon_(vmulq_n_f32(lv2, -0.5f));
    float32x4_t t = vmulq_f32(vsubq_f32(m1, m2), s);
    return vfmaq_f32(g, t, t);
}

static float mx_kl_gauss_row_neon_(const float *m1, const float *lv1, const float *m2,
                                   const float *lv2, size_t d) {
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < d; j += 4)
        acc = vaddq_f32(acc, mx_kl_gauss_terms_neon_(mx_div_load_neon_(m1 + j, d - j),
                                                     mx_div_load_neon_(lv1 + j, d - j),
                                                     mx_div_load_neon_(m2 + j, d - j),
                                                     mx_div_load_neon_(lv2 + j, d - j)));
    return mx_div_half_nonneg_(vaddvq_f32(acc));
}

static float mx_kl_std_row_neon_(const float *m, const float *lv, size_t d) {
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < d; j += 4) {
        float32x4_t mj = mx_div_load_neon_(m + j, d - j), lvj = mx_div_load_neon_(lv + j, d - j);
        float32x4_t g = vsubq_f32(mx_expm1_f32x4_neon_(lvj), lvj);
        acc = vaddq_f32(acc, vfmaq_f32(g, mj, mj));
    }
    return mx_div_half_nonneg_(vaddvq_f32(acc));
}

/* log(ratio), recomputed as log a - log b in the lanes of `fix`. */
static inline float32x4_t mx_div_log_ratio_neon_(float32x4_t ratio, float32x4_t a, float32x4_t b,
                                                 uint32x4_t fix) {
    float32x4_t l = mx_log_f32x4_neon_(ratio);
    if (vmaxvq_u32(fix) != 0)
        l = vbslq_f32(fix, vsubq_f32(mx_log_f32x4_neon_(a), mx_log_f32x4_neon_(b)), l);
    return l;
}

static inline float32x4_t mx_div_mask_mul_neon_(uint32x4_t keep, float32x4_t a, float32x4_t b) {
    return vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(vmulq_f32(a, b))));
}

/* Vector mirror of mx_kl_cat_term_scalar_. */
static inline float32x4_t mx_kl_cat_terms_neon_(float32x4_t p, float32x4_t q) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    uint32x4_t positive = vcgtq_f32(p, zero);
    float32x4_t r = vdivq_f32(p, q);
    uint32x4_t in_range = vandq_u32(vcgeq_f32(r, vdupq_n_f32(FLT_MIN)), vcleq_f32(r, vdupq_n_f32(FLT_MAX)));
    uint32x4_t fix = vandq_u32(vbicq_u32(positive, in_range), vcgtq_f32(q, zero));
    return mx_div_mask_mul_neon_(positive, p, mx_div_log_ratio_neon_(r, p, q, fix));
}

static inline float32x4_t mx_js_half_terms_neon_(float32x4_t p, float32x4_t ps, float32x4_t inv,
                                                  float32x4_t r) {
    uint32x4_t positive = vcgtq_f32(p, vdupq_n_f32(0.0f));
    float32x4_t ratio = vmulq_n_f32(vmulq_f32(ps, inv), 2.0f);
    uint32x4_t fix = vbicq_u32(positive, vcgeq_f32(ratio, vdupq_n_f32(FLT_MIN)));
    return mx_div_mask_mul_neon_(positive, p, mx_div_log_ratio_neon_(ratio, p, r, fix));
}

/* Vector mirror of mx_js_cat_term_scalar_. */
static inline float32x4_t mx_js_cat_terms_neon_(float32x4_t p, float32x4_t q) {
    float32x4_t s = vaddq_f32(p, q);
    float32x4_t sigma = vbslq_f32(vcltq_f32(s, vdupq_n_f32(0x1p-100f)), vdupq_n_f32(0x1p100f),
                                  vdupq_n_f32(1.0f));
    float32x4_t inv = vdivq_f32(vdupq_n_f32(1.0f), vmulq_f32(s, sigma));
    float32x4_t r = vfmaq_n_f32(vmulq_n_f32(q, 0.5f), p, 0.5f);
    return vaddq_f32(mx_js_half_terms_neon_(p, vmulq_f32(p, sigma), inv, r),
                     mx_js_half_terms_neon_(q, vmulq_f32(q, sigma), inv, r));
}

static float mx_kl_cat_row_neon_(const float *p, const float *q, size_t d) {
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < d; j += 4)
        acc = vaddq_f32(acc, mx_kl_cat_terms_neon_(mx_div_load_neon_(p + j, d - j),
                                                   mx_div_load_neon_(q + j, d - j)));
    return vaddvq_f32(acc);
}

static float mx_js_cat_row_neon_(const float *p, const float *q, size_t d) {
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < d; j += 4)
        acc = vaddq_f32(acc, mx_js_cat_terms_neon_(mx_div_load_neon_(p + j, d - j),
                                                   mx_div_load_neon_(q + j, d - j)));
    return mx_div_half_nonneg_(vaddvq_f32(acc));
}

void mx_kl_diag_gauss_rows_f32_neon(const float *m1, const float *lv1, size_t ld1, const float *m2,
                                    const float *lv2, size_t ld2, size_t n, size_t d, float *kl) {
    mx_div_rows4_(mx_kl_gauss_row_neon_, m1, lv1, ld1, m2, lv2, ld2, n, d, kl);
}

void mx_kl_std_normal_rows_f32_neon(const float *m, const float *lv, size_t ld, size_t n, size_t d,
                                    float *kl) {
    mx_div_rows2_(mx_kl_std_row_neon_, m, ld, lv, ld, n, d, kl);
}

void mx_kl_categorical_rows_f32_neon(const float *p, size_t ldp, const float *q, size_t ldq,
                                     size_t n, size_t d, float *kl) {
    mx_div_rows2_(mx_kl_cat_row_neon_, p, ldp, q, ldq, n, d, kl);
}

void mx_js_categorical_rows_f32_neon(const float *p, size_t ldp, const float *q, size_t ldq,
                                     size_t n, size_t d, float *js) {
    mx_div_rows2_(mx_js_cat_row_neon_, p, ldp, q, ldq, n, d, js);
}

static void mx_div_exp_fill_neon_(float *dst, const float *src, size_t d, size_t dp, float sign) {
    for (size_t j = 0; j < dp; j += 4) {
        const size_t rem = j < d ? d - j : 0;
        float32x4_t e = mx_exp_f32x4_neon_(vmulq_n_f32(mx_div_load_neon_(src + j, rem), sign));
        if (rem < 4) { /* zero the padding lanes (e^0 = 1 there) */
            const uint32x4_t idx = {0, 1, 2, 3};
            e = vreinterpretq_f32_u32(vandq_u32(vcltq_u32(idx, vdupq_n_u32((uint32_t)rem)),
                                                vreinterpretq_u32_f32(e)));
        }
        vst1q_f32(dst + j, e);
    }
}

/* 4 rows x 4 components per pass over dp: 16 accumulators + 8 row vectors. */
static void mx_kl_mix_block_neon_(const mx_kl_mix_ws_ *ws) {
    const size_t dp = ws->dp, kp = ws->kp;
    const float32x4_t one = vdupq_n_f32(1.0f);
    for (size_t c0 = 0; c0 < kp; c0 += 4) {
        float32x4_t acc[4][4];
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) acc[r][c] = vdupq_n_f32(0.0f);
        for (size_t j = 0; j < dp; j += 4) {
            float32x4_t m[4], v[4];
            for (int r = 0; r < 4; ++r) {
                m[r] = vld1q_f32(ws->m + r * dp + j);
                v[r] = vld1q_f32(ws->v + r * dp + j);
            }
            for (int c = 0; c < 4; ++c) {
                float32x4_t mu = vld1q_f32(ws->mu + (c0 + c) * dp + j);
                float32x4_t w = vld1q_f32(ws->w + (c0 + c) * dp + j);
                for (int r = 0; r < 4; ++r) {
                    float32x4_t diff = vsubq_f32(m[r], mu);
                    float32x4_t q = vfmaq_f32(v[r], diff, diff);
                    acc[r][c] = vaddq_f32(acc[r][c], vfmaq_f32(vnegq_f32(one), w, q));
                }
            }
        }
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) ws->acc[r * kp + c0 + c] = vaddvq_f32(acc[r][c]);
    }
}

void mx_kl_diag_gauss_to_mixture_f32_neon(const float *m, const float *lv, size_t ld, size_t n,
                                          const float *mu, const float *lvar, size_t ldc, size_t k,
                                          size_t d, float *out, size_t ldo, void *work,
                                          size_t work_bytes) {
    static const mx_kl_mix_ops_ ops = {mx_div_exp_fill_neon_, mx_kl_mix_block_neon_,
                                       mx_kl_gauss_row_neon_};
    (void)work_bytes;
    mx_kl_mix_run_(&ops, m, lv, ld, n, mu, lvar, ldc, k, d, out, ldo, work);
}

static inline float32x4_t mx_js_mc_h_neon_(float32x4_t half_delta, float32x4_t half_e) {
    float32x4_t em1 = vminq_f32(mx_expm1_f32x4_neon_(half_delta), vdupq_n_f32(FLT_MAX));
    return vminq_f32(vfmaq_f32(em1, half_e, vaddq_f32(em1, vdupq_n_f32(1.0f))), vdupq_n_f32(FLT_MAX));
}

static void mx_js_mc_prepare_neon_(const mx_js_mc_ws_ *ws, const float *m1, const float *lv1,
                                   const float *m2, const float *lv2, size_t d) {
    for (size_t j = 0; j < ws->dp; j += 4) {
        const size_t rem = j < d ? d - j : 0;
        float32x4_t a1 = mx_div_load_neon_(m1 + j, rem), b1 = mx_div_load_neon_(lv1 + j, rem);
        float32x4_t a2 = mx_div_load_neon_(m2 + j, rem), b2 = mx_div_load_neon_(lv2 + j, rem);
        float32x4_t e, delta = mx_two_diff_neon_(b1, b2, &e), diff = vsubq_f32(a1, a2);
        vst1q_f32(ws->delta + j, delta);
        vst1q_f32(ws->h1 + j, mx_js_mc_h_neon_(vmulq_n_f32(delta, 0.5f), vmulq_n_f32(e, 0.5f)));
        vst1q_f32(ws->h2 + j, mx_js_mc_h_neon_(vmulq_n_f32(delta, -0.5f), vmulq_n_f32(e, -0.5f)));
        vst1q_f32(ws->t1 + j, vmulq_f32(diff, mx_exp_f32x4_neon_(vmulq_n_f32(b2, -0.5f))));
        vst1q_f32(ws->t2 + j, vmulq_f32(vnegq_f32(diff), mx_exp_f32x4_neon_(vmulq_n_f32(b1, -0.5f))));
    }
}

static void mx_js_mc_sample_neon_(const mx_js_mc_ws_ *ws, const float *eps, size_t d,
                                  float *sab_p, float *sab_q) {
    float32x4_t acc_p = vdupq_n_f32(0.0f), acc_q = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < d; j += 4) {
        float32x4_t x = mx_div_load_neon_(eps + j, d - j);
        float32x4_t ap = vfmaq_f32(vld1q_f32(ws->t1 + j), vld1q_f32(ws->h1 + j), x);
        float32x4_t aq = vfmaq_f32(vld1q_f32(ws->t2 + j), vld1q_f32(ws->h2 + j), x);
        /* B zeroed where A = 0: A B = 0 even where A + 2 eps overflows (no 0 * inf) */
        const uint32x4_t zp = vceqq_f32(ap, vdupq_n_f32(0.0f)), zq = vceqq_f32(aq, vdupq_n_f32(0.0f));
        acc_p = vfmaq_f32(acc_p, ap, vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(vfmaq_n_f32(ap, x, 2.0f)), zp)));
        acc_q = vfmaq_f32(acc_q, aq, vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(vfmaq_n_f32(aq, x, 2.0f)), zq)));
    }
    *sab_p = vaddvq_f32(acc_p), *sab_q = vaddvq_f32(acc_q);
}

void mx_js_diag_gauss_rows_f32_neon(const float *m1, const float *lv1, size_t ld1, const float *m2,
                                    const float *lv2, size_t ld2, size_t n, size_t d,
                                    const float *eps, size_t ld_eps, size_t s, float *js,
                                    float *se, void *work, size_t work_bytes) {
    static const mx_js_mc_ops_ ops = {mx_js_mc_prepare_neon_, mx_js_mc_sample_neon_};
    (void)work_bytes;
    mx_js_mc_run_(&ops, m1, lv1, ld1, m2, lv2, ld2, n, d, eps, ld_eps, s, js, se, work);
}
#endif /* MX_ARCH_ARM64 */

/* ========================================================================== */
/* ---- dispatched entries ---------------------------------------------------- */
/* Every entry checks all pointers and shapes (MX_ERR_ARG) before it reads any
 * value (MX_ERR_DOMAIN), then the workspace (MX_ERR_WORKSPACE), then runs. */
static mx_status mx_div_check_gauss_pair_(const float *m1, const float *lv1, size_t ld1,
                                          const float *m2, const float *lv2, size_t ld2,
                                          size_t n, size_t d, const float *out) {
    if ((n > 0 && out == NULL) || !mx_div_gauss_arg_ok_(m1, lv1, ld1, n, d) ||
        !mx_div_gauss_arg_ok_(m2, lv2, ld2, n, d))
        return MX_ERR_ARG;
    if (!mx_div_gauss_domain_ok_(m1, lv1, ld1, n, d) || !mx_div_gauss_domain_ok_(m2, lv2, ld2, n, d))
        return MX_ERR_DOMAIN;
    return MX_OK;
}

mx_status mx_kl_diag_gauss_rows_f32(const float *m1, const float *lv1, size_t ld1,
                                    const float *m2, const float *lv2, size_t ld2, size_t n,
                                    size_t d, float *kl) {
    mx_status st = mx_div_check_gauss_pair_(m1, lv1, ld1, m2, lv2, ld2, n, d, kl);
    if (st != MX_OK || n == 0) return st;
    MX_DISPATCH(mx_kl_diag_gauss_rows_f32, (m1, lv1, ld1, m2, lv2, ld2, n, d, kl));
    return MX_OK;
}

mx_status mx_kl_std_normal_rows_f32(const float *m, const float *lv, size_t ld, size_t n,
                                    size_t d, float *kl) {
    if ((n > 0 && kl == NULL) || !mx_div_gauss_arg_ok_(m, lv, ld, n, d)) return MX_ERR_ARG;
    if (!mx_div_gauss_domain_ok_(m, lv, ld, n, d)) return MX_ERR_DOMAIN;
    if (n == 0) return MX_OK;
    MX_DISPATCH(mx_kl_std_normal_rows_f32, (m, lv, ld, n, d, kl));
    return MX_OK;
}

size_t mx_kl_diag_gauss_to_mixture_f32_workspace_size(size_t k, size_t d) {
    return mx_kl_mix_layout_(k, d, NULL, NULL);
}

mx_status mx_kl_diag_gauss_to_mixture_f32(const float *m, const float *lv, size_t ld, size_t n,
                                          const float *mu, const float *lvar, size_t ldc,
                                          size_t k, size_t d, float *out, size_t ldo,
                                          void *work, size_t work_bytes) {
    if (n == 0 || k == 0) return MX_OK;
    const size_t need = mx_kl_diag_gauss_to_mixture_f32_workspace_size(k, d);
    if (out == NULL || !mx_div_shape_ok_(n, k, ldo) || need == SIZE_MAX ||
        !mx_div_gauss_arg_ok_(m, lv, ld, n, d) || !mx_div_gauss_arg_ok_(mu, lvar, ldc, k, d))
        return MX_ERR_ARG;
    if (!mx_div_gauss_domain_ok_(m, lv, ld, n, d) || !mx_div_gauss_domain_ok_(mu, lvar, ldc, k, d))
        return MX_ERR_DOMAIN;
    if (work == NULL || work_bytes < need) return MX_ERR_WORKSPACE;
    MX_DISPATCH(mx_kl_diag_gauss_to_mixture_f32,
                (m, lv, ld, n, mu, lvar, ldc, k, d, out, ldo, work, work_bytes));
    return MX_OK;
}

static mx_status mx_div_check_categorical_(const float *p, size_t ldp, const float *q, size_t ldq,
                                           size_t n, size_t d, const float *out) {
    if ((n > 0 && out == NULL) || !mx_div_arg_ok_(p, ldp, n, d) || !mx_div_arg_ok_(q, ldq, n, d))
        return MX_ERR_ARG;
    if (!mx_div_within_(p, ldp, n, d, 0.0f, FLT_MAX) || !mx_div_within_(q, ldq, n, d, 0.0f, FLT_MAX))
        return MX_ERR_DOMAIN;
    return MX_OK;
}

mx_status mx_kl_categorical_rows_f32(const float *p, size_t ldp, const float *q, size_t ldq,
                                     size_t n, size_t d, float *kl) {
    mx_status st = mx_div_check_categorical_(p, ldp, q, ldq, n, d, kl);
    if (st != MX_OK || n == 0) return st;
    MX_DISPATCH(mx_kl_categorical_rows_f32, (p, ldp, q, ldq, n, d, kl));
    return MX_OK;
}

mx_status mx_js_categorical_rows_f32(const float *p, size_t ldp, const float *q, size_t ldq,
                                     size_t n, size_t d, float *js) {
    mx_status st = mx_div_check_categorical_(p, ldp, q, ldq, n, d, js);
    if (st != MX_OK || n == 0) return st;
    MX_DISPATCH(mx_js_categorical_rows_f32, (p, ldp, q, ldq, n, d, js));
    return MX_OK;
}

size_t mx_js_diag_gauss_rows_f32_workspace_size(size_t d) { return mx_js_mc_layout_(d, NULL, NULL); }

mx_status mx_js_diag_gauss_rows_f32(const float *m1, const float *lv1, size_t ld1,
                                    const float *m2, const float *lv2, size_t ld2, size_t n,
                                    size_t d, const float *eps, size_t ld_eps, size_t s,
                                    float *js, float *se, void *work, size_t work_bytes) {
    const size_t need = mx_js_diag_gauss_rows_f32_workspace_size(d);
    if (s == 0 || need == SIZE_MAX || !mx_div_arg_ok_(eps, ld_eps, s, d)) return MX_ERR_ARG;
    mx_status st = mx_div_check_gauss_pair_(m1, lv1, ld1, m2, lv2, ld2, n, d, js);
    if (st != MX_OK || n == 0) return st;
    if (!mx_div_within_(eps, ld_eps, s, d, -FLT_MAX, FLT_MAX)) return MX_ERR_DOMAIN;
    if (work == NULL || work_bytes < need) return MX_ERR_WORKSPACE;
    MX_DISPATCH(mx_js_diag_gauss_rows_f32,
                (m1, lv1, ld1, m2, lv2, ld2, n, d, eps, ld_eps, s, js, se, work, work_bytes));
    return MX_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_IMPLEMENTATION */
