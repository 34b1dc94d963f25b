/* mixsimd/gauss.h — Gaussian log-densities of every point under every component.
 *
 *   out[n*ldo + k] = log N(x_n; mu_k, Sigma_k) (+ logw[k] when logw != NULL)
 *
 * for X (N x D, row stride ldx) and K components, with three covariance kinds:
 *   diagonal   Sigma_k = diag(var_k),  var K x D          mx_gauss_diag_f32
 *   spherical  Sigma_k = var_k I,      var K              mx_gauss_spherical_f32
 *   full       Sigma_k = L_k L_k^T,    L_k lower, D <= 64 mx_gauss_full_f32
 * and mx_cholesky_f32 to obtain L_k from Sigma_k.
 *
 * Conventions shared by the three kinds
 * - Matrices are row-major float32 with a leading dimension (row stride in
 *   elements); any N, K, D including 0 works (D = 0 gives out = logw or 0).
 * - The parameters are validated by the dispatched entry (MX_ERR_DOMAIN):
 *   mu finite, variances finite and > 0, Cholesky factors finite with a
 *   positive diagonal, logw[k] not NaN and not +inf (-inf, a zero weight, is
 *   allowed and gives -inf). X is not validated (that would cost a pass over
 *   the data): a NaN in row n makes that row's results NaN; a +-inf (with no
 *   NaN) makes them -inf, the density's limit.
 * - A result whose magnitude exceeds FLT_MAX is -inf (it is a log-density far
 *   below any other); nothing finite ever becomes NaN.
 * - Per-component constants go into a caller workspace of
 *   mx_gauss_<kind>_workspace_size(K, D) bytes, any alignment; that function
 *   returns SIZE_MAX when the size is not representable (the entry then
 *   returns MX_ERR_ARG).
 * - OpenMP (when compiled with it) splits the points; every output element is
 *   computed by the same operations whatever the thread count, so results do
 *   not depend on it.
 * - Fixed-ISA variants (_scalar, _avx2, _avx512, _neon) take the same
 *   arguments, assume they are valid (as the entry checks) and return void.
 *
 * Numerics. u = 2^-24, gamma_m = m u / (1 - m u). The quadratic term is
 * computed in the direct form t_j = (x_j - mu_j) * s_j with s_j = 1/sqrt(2 v_j)
 * (precomputed in double), so x == mu gives exactly 0 and there is no
 * cancellation; s_j never overflows even for subnormal variances (s <= 2e22).
 * Any (n, k) whose float result is not finite (and not the exact -inf of a
 * zero-weight component) is recomputed in double (the "safe path"): that turns overflowing
 * intermediates (tiny variances, |x| up to FLT_MAX) into the correct very
 * negative number, or -inf only when the exact value is below -FLT_MAX.
 *
 * Why not GEMM (X^2 P^T - 2 X (M/V)^T + const)? The expanded form needs two
 * FMAs per (n, k, j), exactly what the direct form needs on cores whose
 * subtraction runs on a separate adder pipe (AMD Zen 4/5, Apple), and it
 * loses all accuracy when x is near mu with large |x| (error ~
 * D u sum (x^2 + mu^2)/v instead of D u sum (x - mu)^2 / v). The direct form
 * is register-blocked like a GEMM microkernel (several points x several
 * components per pass over D). Switch to mx_gemm_f32 only if a measurement on
 * Intel cores (where the subtraction competes with FMAs) shows a gain worth
 * the looser bound; the bounds below would then need the sum (x^2 + mu^2)/v term.
 */
#ifndef MIXSIMD_GAUSS_H
#define MIXSIMD_GAUSS_H

#include <stddef.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest dimension mx_gauss_full_f32 accepts. */
#define MX_GAUSS_FULL_MAX_D 64

/* ---- diagonal covariance -------------------------------------------------- */

/* Bytes of workspace mx_gauss_diag_f32 needs for K components of dimension D. */
size_t mx_gauss_diag_workspace_size(size_t K, size_t D);

/* out[n*ldo + k] = logw[k] - D/2 log(2 pi) - 1/2 sum_j log var[k*ldvar + j]
 *                  - 1/2 sum_j (X[n*ldx + j] - mu[k*ldmu + j])^2 / var[k*ldvar + j]
 * for n < N, k < K (logw may be NULL: no weight term). Only those out
 * elements are written.
 *
 * Error bound (all ISAs): with Q = sum_j (x_j - mu_j)^2 / (2 v_j) and
 * C = |logw_k| + D/2 log(2 pi) + 1/2 sum_j |log v_j| (exact values),
 *     |out - exact| <= gamma_{D+8} Q + 2 u C.
 * Why: each term t_j^2 carries 6 roundings (x - mu, s_j, the product, each
 * squared), at most one more for the square, the sum at most D; the constant
 * is computed in double and rounded once (2u C also covers subnormal
 * underflow of tiny terms); the final subtraction adds u (Q + C).
 *
 * Errors: MX_ERR_ARG (NULL pointer with nonzero sizes, ldx < D, ldmu < D,
 * ldvar < D, ldo < K, workspace size not representable), MX_ERR_DOMAIN (mu
 * not finite, var not finite or <= 0, logw NaN or +inf), MX_ERR_WORKSPACE
 * (work_bytes < mx_gauss_diag_workspace_size(K, D)), MX_ERR_ISA. */
mx_status mx_gauss_diag_f32(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                            const float *mu, size_t ldmu, const float *var, size_t ldvar,
                            const float *logw, float *out, size_t ldo, void *work,
                            size_t work_bytes);

#define MX_GAUSS_DIAG_ARGS_                                                             \
    size_t N, size_t K, size_t D, const float *X, size_t ldx, const float *mu, size_t ldmu, \
        const float *var, size_t ldvar, const float *logw, float *out, size_t ldo,     \
        void *work, size_t work_bytes
void mx_gauss_diag_f32_scalar(MX_GAUSS_DIAG_ARGS_);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_gauss_diag_f32_avx2(MX_GAUSS_DIAG_ARGS_);
MX_TARGET_AVX512 void mx_gauss_diag_f32_avx512(MX_GAUSS_DIAG_ARGS_);
#endif
#if MX_ARCH_ARM64
void mx_gauss_diag_f32_neon(MX_GAUSS_DIAG_ARGS_);
#endif

/* ---- spherical covariance ------------------------------------------------- */

/* Bytes of workspace mx_gauss_spherical_f32 needs. */
size_t mx_gauss_spherical_workspace_size(size_t K, size_t D);

/* As mx_gauss_diag_f32 with var[k*ldvar + j] = var[k] for every j (var has
 * K entries): out = logw - D/2 (log(2 pi) + log var_k) - ||x - mu_k||^2 / (2 var_k).
 * It runs the diagonal kernels (same speed, same roundings).
 *
 * Error bound (all ISAs): |out - exact| <= gamma_{D+8} Q + 2 u C with
 * Q = ||x - mu||^2 / (2 v), C = |logw_k| + D/2 log(2 pi) + D/2 |log v|.
 *
 * Errors: as mx_gauss_diag_f32 (no ldvar). */
mx_status mx_gauss_spherical_f32(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                                 const float *mu, size_t ldmu, const float *var,
                                 const float *logw, float *out, size_t ldo, void *work,
                                 size_t work_bytes);

#define MX_GAUSS_SPHERICAL_ARGS_                                                        \
    size_t N, size_t K, size_t D, const float *X, size_t ldx, const float *mu, size_t ldmu, \
        const float *var, const float *logw, float *out, size_t ldo, void *work,        \
        size_t work_bytes
void mx_gauss_spherical_f32_scalar(MX_GAUSS_SPHERICAL_ARGS_);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_gauss_spherical_f32_avx2(MX_GAUSS_SPHERICAL_ARGS_);
MX_TARGET_AVX512 void mx_gauss_spherical_f32_avx512(MX_GAUSS_SPHERICAL_ARGS_);
#endif
#if MX_ARCH_ARM64
void mx_gauss_spherical_f32_neon(MX_GAUSS_SPHERICAL_ARGS_);
#endif

/* ---- full covariance ------------------------------------------------------ */

/* In-place lower Cholesky factorisation A = L L^T of a symmetric positive
 * definite D x D matrix (row stride lda). Only the lower triangle is read; on
 * success it holds L and the strict upper triangle is set to 0. Sums and
 * square roots are computed in double and each entry is rounded once, so
 *     |L L^T - A| <= 3 u |L| |L^T|   (elementwise, D < 2^20).
 * A setup routine, O(D^3/3) once per component and M-step, not an E-step
 * kernel: one implementation, no ISA variants.
 * Errors: MX_ERR_ARG (A NULL with D > 0, lda < D), MX_ERR_DOMAIN (a NaN or
 * Inf in the lower triangle; A is untouched), MX_ERR_NOT_POSDEF (a pivot is
 * <= 0 or its root underflows float; A then holds a partial factor, as
 * LAPACK's potrf leaves it). */
mx_status mx_cholesky_f32(size_t D, float *A, size_t lda);

/* Bytes of workspace mx_gauss_full_f32 needs. */
size_t mx_gauss_full_workspace_size(size_t K, size_t D);

/* out[n*ldo + k] = logw[k] - 1/2 (D log(2 pi) + 2 sum_j log L_k[j][j] + ||z||^2),
 * z = L_k^{-1} (x_n - mu_k), for D <= MX_GAUSS_FULL_MAX_D. chol holds K
 * consecutive D x D row-major lower factors (component k at chol + k*D*D, as
 * mx_cholesky_f32 leaves them; only the lower triangle is read).
 * z is obtained by forward substitution, vectorised across points. A
 * diagonal entry so small that its reciprocal overflows float (below about
 * 2^-126) makes the float results non-finite, so the safe path recomputes them.
 *
 * Error bound (all ISAs, first order in u): with z as above,
 * P = 1/2 |z|^T (|L^{-1}| |L|) |z| (>= 1/2 ||z||^2; the condition of the
 * triangular solve) and C = |logw_k| + D/2 log(2 pi) + sum_j |log L_jj|,
 *     |out - exact| <= 3 gamma_{D+4} P + 2 u C.
 * Why: forward substitution is backward stable, (L + dL) z^ = x - mu with
 * |dL| <= gamma_{D+3} |L| including the rounding of x - mu, sqrt(2) L and
 * 1/L_jj, hence |z^ - z| <= gamma_{D+3} |L^{-1}||L||z|; squaring and summing
 * adds gamma_D ||z||^2 and the last subtraction u (P + C).
 *
 * Errors: MX_ERR_ARG (D > MX_GAUSS_FULL_MAX_D, NULL pointer with nonzero
 * sizes, ldx < D, ldmu < D, ldo < K, workspace size not representable),
 * MX_ERR_DOMAIN (mu or the lower triangle of chol not finite, a diagonal
 * entry <= 0, logw NaN or +inf), MX_ERR_WORKSPACE, MX_ERR_ISA. */
mx_status mx_gauss_full_f32(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                            const float *mu, size_t ldmu, const float *chol,
                            const float *logw, float *out, size_t ldo, void *work,
                            size_t work_bytes);

#define MX_GAUSS_FULL_ARGS_                                                             \
    size_t N, size_t K, size_t D, const float *X, size_t ldx, const float *mu, size_t ldmu, \
        const float *chol, const float *logw, float *out, size_t ldo, void *work,       \
        size_t work_bytes
void mx_gauss_full_f32_scalar(MX_GAUSS_FULL_ARGS_);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_gauss_full_f32_avx2(MX_GAUSS_FULL_ARGS_);
MX_TARGET_AVX512 void mx_gauss_full_f32_avx512(MX_GAUSS_FULL_ARGS_);
#endif
#if MX_ARCH_ARM64
void mx_gauss_full_f32_neon(MX_GAUSS_FULL_ARGS_);
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_GAUSS_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_GAUSS_IMPLEMENTED)
#define MIXSIMD_GAUSS_IMPLEMENTED
#include <float.h>
#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MX_GAUSS_LOG_2PI_ 1.8378770664093454836
#define MX_GAUSS_LN2_ 0.69314718055994530942
#define MX_GAUSS_SQRT2_ 1.4142135623730950488
/* Components are padded to this many lanes in the transposed layout. */
#define MX_GAUSS_KPAD_ 16
/* Below this D the diagonal kernels vectorise across components (x_j is
 * broadcast), from it on across D. Measured on Zen 5 at K = 10 (10 of 16
 * lanes busy across components): across components is faster up to D ~ 256
 * (D = 64: 1.5x), across D slightly faster at D = 784. */
#define MX_GAUSS_WIDE_MIN_D_ 256
/* Register blocks of the `wide` kernels: the largest any ISA uses (points x
 * components). The `bycomp` kernels take 4 points per call on every ISA. */
#define MX_GAUSS_MAX_ROWS_ 8
#define MX_GAUSS_MAX_COLS_ 4
#define MX_GAUSS_BYCOMP_ROWS_ 4
/* Points per full-covariance tile: the largest any ISA uses. */
#define MX_GAUSS_MAX_TILE_ 64
/* Multiply-adds above which OpenMP threads are worth starting. */
#define MX_GAUSS_OMP_MIN_WORK_ 262144.0

/* ---- shared scalar helpers ------------------------------------------------ */

static inline size_t mx_gauss_min_(size_t a, size_t b) { return a < b ? a : b; }

/* a*b + c in size_t, SIZE_MAX when it does not fit. */
static size_t mx_gauss_mul_add_(size_t a, size_t b, size_t c) {
    if (a != 0 && b > (SIZE_MAX - c) / a) return SIZE_MAX;
    return a * b + c;
}

static float *mx_gauss_align_(void *work) {
    uintptr_t p = (uintptr_t)work;
    return (float *)(void *)((p + 63u) & ~(uintptr_t)63u);
}

/* sum_j log a[j*stride] for a > 0: with a_j = m_j 2^e_j (m_j in [0.5, 1)),
 * the sum is log(prod m_j) + (sum e_j) ln 2, one log per component instead
 * of D. The product is renormalised every 32 factors (it stays >= 2^-32);
 * its relative error is about D 2^-53, far below float rounding. */
static double mx_gauss_sum_log_(const float *a, size_t n, size_t stride) {
    double m = 1.0;
    long e = 0;
    for (size_t j = 0; j < n; ++j) {
        int ej;
        m *= frexp((double)a[j * stride], &ej);
        e += ej;
        if ((j & 31u) == 31u) {
            m = frexp(m, &ej);
            e += ej;
        }
    }
    return log(m) + (double)e * MX_GAUSS_LN2_;
}

/* logw_k - D/2 log(2 pi) - half_logdet in double, rounded once (-inf stays). */
static float mx_gauss_const_(const float *logw, size_t k, size_t D, double half_logdet) {
    double w = logw ? (double)logw[k] : 0.0;
    return (float)(w - 0.5 * (double)D * MX_GAUSS_LOG_2PI_ - half_logdet);
}

static int mx_gauss_all_finite_(const float *a, size_t rows, size_t cols, size_t ld) {
    for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < cols; ++j)
            if (!isfinite(a[i * ld + j])) return 0;
    return 1;
}

/* Domain checks shared by the entries: mu finite, logw not NaN nor +inf. */
static mx_status mx_gauss_check_mu_logw_(size_t K, size_t D, const float *mu, size_t ldmu,
                                         const float *logw) {
    if (D > 0 && !mx_gauss_all_finite_(mu, K, D, ldmu)) return MX_ERR_DOMAIN;
    if (logw != NULL)
        for (size_t k = 0; k < K; ++k)
            if (isnan(logw[k]) || logw[k] == INFINITY) return MX_ERR_DOMAIN;
    return MX_OK;
}

/* Argument checks shared by the entries: pointers, leading dimensions, workspace. */
static mx_status mx_gauss_check_args_(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                                      const float *mu, size_t ldmu, const float *out,
                                      size_t ldo, const void *work, size_t work_bytes,
                                      size_t need) {
    if (need == SIZE_MAX) return MX_ERR_ARG;
    if (N > 0 && D > 0 && (X == NULL || ldx < D)) return MX_ERR_ARG;
    if (K > 0 && D > 0 && (mu == NULL || ldmu < D)) return MX_ERR_ARG;
    if (N > 0 && K > 0 && (out == NULL || ldo < K)) return MX_ERR_ARG;
    if (need > 0 && work == NULL) return MX_ERR_ARG;
    if (work_bytes < need) return MX_ERR_WORKSPACE;
    return MX_OK;
}

static int mx_gauss_use_threads_(size_t N, size_t K, size_t work_per_pair) {
    return (double)N * (double)K * (double)(work_per_pair + 1) >= MX_GAUSS_OMP_MIN_WORK_;
}

/* A float result goes to the safe path when it is not finite, unless that is
 * the exact answer: c = -inf (a zero weight) gives -inf for any row without
 * NaN, so only a NaN result of such a component is recomputed. */
static inline int mx_gauss_needs_rescue_(float res, float c) {
    return !isfinite(res) && (isfinite(c) || isnan(res));
}

/* x[r] = row n0 + r of X, clamped to the last row: the extra rows of a
 * partial register block recompute row N-1 and are never stored. */
static void mx_gauss_row_ptrs_(const float *X, size_t ldx, size_t N, size_t n0, size_t R,
                               const float **x) {
    for (size_t r = 0; r < R; ++r) x[r] = X + mx_gauss_min_(n0 + r, N - 1) * ldx;
}

/* ---- diagonal / spherical: workspace, precomputation, safe path ----------- */

typedef struct {
    float *c;      /* kp: logw_k - D/2 log 2pi - 1/2 sum_j log v_kj (0 padded)   */
    float *scale;  /* s_kj = 1/sqrt(2 v_kj): K x D, or D x kp when by_comp       */
    float *mu_t;   /* by_comp only: mu transposed, D x kp, 0 padded              */
    size_t kp;
    int by_comp;
} mx_gauss_diag_ws_;

/* The original inputs (the safe path recomputes from them). */
typedef struct {
    size_t D;
    const float *X, *mu, *var;
    size_t ldx, ldmu, ldvar;
    int spherical; /* var[k] for every j */
} mx_gauss_diag_src_;

size_t mx_gauss_diag_workspace_size(size_t K, size_t D) {
    if (K == 0) return 0;
    if (K > SIZE_MAX - MX_GAUSS_KPAD_) return SIZE_MAX;
    size_t kp = (K + MX_GAUSS_KPAD_ - 1) / MX_GAUSS_KPAD_ * MX_GAUSS_KPAD_;
    size_t floats = mx_gauss_mul_add_(mx_gauss_mul_add_(2, D, 1), kp, 0);
    return mx_gauss_mul_add_(floats, sizeof(float), 64);
}

size_t mx_gauss_spherical_workspace_size(size_t K, size_t D) {
    return mx_gauss_diag_workspace_size(K, D);
}

static mx_gauss_diag_ws_ mx_gauss_diag_layout_(void *work, size_t K, size_t D, int by_comp) {
    mx_gauss_diag_ws_ ws;
    ws.kp = (K + MX_GAUSS_KPAD_ - 1) / MX_GAUSS_KPAD_ * MX_GAUSS_KPAD_;
    ws.c = mx_gauss_align_(work);
    ws.scale = ws.c + ws.kp;
    ws.mu_t = ws.scale + D * ws.kp;
    ws.by_comp = by_comp;
    return ws;
}

static inline float mx_gauss_var_at_(const mx_gauss_diag_src_ *s, size_t k, size_t j) {
    return s->spherical ? s->var[k] : s->var[k * s->ldvar + j];
}

static void mx_gauss_diag_precompute_(const mx_gauss_diag_src_ *s, size_t K, const float *logw,
                                      const mx_gauss_diag_ws_ *ws) {
    const size_t D = s->D, kp = ws->kp;
    for (size_t k = 0; k < kp; ++k) {
        if (k >= K) { /* padding lanes: mu = s = 0 gives t = 0, and c = 0 */
            ws->c[k] = 0.0f;
            if (ws->by_comp)
                for (size_t j = 0; j < D; ++j) ws->scale[j * kp + k] = ws->mu_t[j * kp + k] = 0.0f;
            continue;
        }
        double half_logdet = 0.0;
        if (D > 0)
            half_logdet = s->spherical ? 0.5 * (double)D * log((double)s->var[k])
                                       : 0.5 * mx_gauss_sum_log_(s->var + k * s->ldvar, D, 1);
        ws->c[k] = mx_gauss_const_(logw, k, D, half_logdet);
        for (size_t j = 0; j < D; ++j) {
            float sj = (float)(1.0 / sqrt(2.0 * (double)mx_gauss_var_at_(s, k, j)));
            if (ws->by_comp) {
                ws->scale[j * kp + k] = sj;
                ws->mu_t[j * kp + k] = s->mu[k * s->ldmu + j];
            } else {
                ws->scale[k * D + j] = sj;
            }
        }
    }
}

/* The safe path: the (n, k) result in double from the original inputs. */
static float mx_gauss_diag_rescue_(const mx_gauss_diag_src_ *s, size_t n, size_t k, float c) {
    const float *x = s->X + n * s->ldx, *m = s->mu + k * s->ldmu;
    double q = 0.0;
    for (size_t j = 0; j < s->D; ++j) {
        double d = (double)x[j] - (double)m[j];
        q += d * d / (2.0 * (double)mx_gauss_var_at_(s, k, j));
    }
    return (float)((double)c - q);
}

/* ---- diagonal: the per-ISA kernel interface and the shared drivers --------- */

/* q[r*C + c] = sum_j ((x[r][j] - mu[c][j]) * scale[c][j])^2 for the ISA's
 * register block of R points x C components, vectorised across j. */
typedef void (*mx_gauss_wide_fn_)(size_t D, const float *const *x, const float *const *mu,
                                  const float *const *scale, float *q);

/* For 4 points (rows of them stored) and `cols` components from column
 * pointers into the transposed layout (row stride kp), vectorised across
 * components: out[r][c] = c[c] - sum_j ((x[r][j] - mu_t[j][c]) s_t[j][c])^2.
 * Returns nonzero when some stored result is not finite. */
typedef int (*mx_gauss_bycomp_fn_)(size_t D, size_t rows, const float *const *x,
                                   const float *mu_t, const float *scale_t, size_t kp,
                                   const float *c, size_t cols, float *const *out);

struct mx_gauss_full_ws_;
/* A full-covariance tile: points [0, rows) of X (rows <= the tile width),
 * every component, results stored in out (row stride ldo). */
typedef void (*mx_gauss_full_fn_)(size_t D, size_t K, size_t rows, const float *X, size_t ldx,
                                  const float *mu, size_t ldmu, const float *chol,
                                  const struct mx_gauss_full_ws_ *ws, float *out, size_t ldo);

/* What an ISA provides; the drivers below are shared. */
typedef struct {
    size_t wide_rows, wide_cols;  /* register block of `wide`                  */
    mx_gauss_wide_fn_ wide;
    size_t bycomp_cols;           /* components per `bycomp` call              */
    mx_gauss_bycomp_fn_ bycomp;   /* NULL: always `wide`                       */
    size_t full_tile;             /* points per `full` call                    */
    mx_gauss_full_fn_ full;
} mx_gauss_kernels_;

static void mx_gauss_diag_wide_block_(const mx_gauss_kernels_ *kern, size_t N, size_t K,
                                      const mx_gauss_diag_src_ *s, const mx_gauss_diag_ws_ *ws,
                                      float *out, size_t ldo, size_t n0) {
    const size_t R = kern->wide_rows, C = kern->wide_cols, D = s->D;
    const size_t rows = mx_gauss_min_(R, N - n0);
    const float *x[MX_GAUSS_MAX_ROWS_], *m[MX_GAUSS_MAX_COLS_], *sc[MX_GAUSS_MAX_COLS_];
    float q[MX_GAUSS_MAX_ROWS_ * MX_GAUSS_MAX_COLS_];
    mx_gauss_row_ptrs_(s->X, s->ldx, N, n0, R, x);
    for (size_t k0 = 0; k0 < K; k0 += C) {
        const size_t cols = mx_gauss_min_(C, K - k0);
        for (size_t c = 0; c < C; ++c) { /* clamped like the rows */
            size_t k = mx_gauss_min_(k0 + c, K - 1);
            m[c] = s->mu + k * s->ldmu;
            sc[c] = ws->scale + k * D;
        }
        kern->wide(D, x, m, sc, q);
        for (size_t r = 0; r < rows; ++r) {
            for (size_t c = 0; c < cols; ++c) {
                const float ck = ws->c[k0 + c];
                float res = ck - q[r * C + c];
                if (mx_gauss_needs_rescue_(res, ck))
                    res = mx_gauss_diag_rescue_(s, n0 + r, k0 + c, ck);
                out[(n0 + r) * ldo + k0 + c] = res;
            }
        }
    }
}

static void mx_gauss_diag_bycomp_block_(const mx_gauss_kernels_ *kern, size_t N, size_t K,
                                        const mx_gauss_diag_src_ *s,
                                        const mx_gauss_diag_ws_ *ws, float *out, size_t ldo,
                                        size_t n0) {
    const size_t G = kern->bycomp_cols, rows = mx_gauss_min_(MX_GAUSS_BYCOMP_ROWS_, N - n0);
    const float *x[MX_GAUSS_BYCOMP_ROWS_];
    float *o[MX_GAUSS_BYCOMP_ROWS_];
    mx_gauss_row_ptrs_(s->X, s->ldx, N, n0, MX_GAUSS_BYCOMP_ROWS_, x);
    for (size_t k0 = 0; k0 < K; k0 += G) {
        const size_t cols = mx_gauss_min_(G, K - k0);
        for (size_t r = 0; r < rows; ++r) o[r] = out + (n0 + r) * ldo + k0;
        if (!kern->bycomp(s->D, rows, x, ws->mu_t + k0, ws->scale + k0, ws->kp, ws->c + k0,
                          cols, o))
            continue;
        for (size_t r = 0; r < rows; ++r) /* rare: some result is not finite */
            for (size_t c = 0; c < cols; ++c)
                if (mx_gauss_needs_rescue_(o[r][c], ws->c[k0 + c]))
                    o[r][c] = mx_gauss_diag_rescue_(s, n0 + r, k0 + c, ws->c[k0 + c]);
    }
}

static void mx_gauss_diag_run_(const mx_gauss_kernels_ *kern, size_t N, size_t K,
                               const mx_gauss_diag_src_ *s, const float *logw, float *out,
                               size_t ldo, void *work) {
    if (N == 0 || K == 0) return;
    const int by_comp = kern->bycomp != NULL && s->D < MX_GAUSS_WIDE_MIN_D_;
    const mx_gauss_diag_ws_ ws = mx_gauss_diag_layout_(work, K, s->D, by_comp);
    mx_gauss_diag_precompute_(s, K, logw, &ws);
    const size_t R = by_comp ? MX_GAUSS_BYCOMP_ROWS_ : kern->wide_rows;
    const size_t blocks = (N + R - 1) / R;
    const int threads = mx_gauss_use_threads_(N, K, s->D);
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (threads)
#endif
    for (size_t b = 0; b < blocks; ++b) {
        if (by_comp)
            mx_gauss_diag_bycomp_block_(kern, N, K, s, &ws, out, ldo, b * R);
        else
            mx_gauss_diag_wide_block_(kern, N, K, s, &ws, out, ldo, b * R);
    }
}

/* ---- full covariance: workspace, precomputation, safe path, driver -------- */

typedef struct mx_gauss_full_ws_ {
    float *lower;   /* K x D x D: sqrt(2) L_k, lower triangle (so z' = z / sqrt 2)  */
    float *rec;     /* K x D: 1 / (sqrt(2) L_k[j][j])                               */
    float *c;       /* K: logw_k - D/2 log 2pi - sum_j log L_k[j][j]                */
} mx_gauss_full_ws_;

size_t mx_gauss_full_workspace_size(size_t K, size_t D) {
    if (D > MX_GAUSS_FULL_MAX_D) return SIZE_MAX;
    if (K == 0) return 0;
    return mx_gauss_mul_add_(mx_gauss_mul_add_(K, D * D + D + 1, 0), sizeof(float), 64);
}

static mx_gauss_full_ws_ mx_gauss_full_layout_(void *work, size_t K, size_t D) {
    mx_gauss_full_ws_ ws;
    ws.lower = mx_gauss_align_(work);
    ws.rec = ws.lower + K * D * D;
    ws.c = ws.rec + K * D;
    return ws;
}

static void mx_gauss_full_precompute_(size_t K, size_t D, const float *chol, const float *logw,
                                      const mx_gauss_full_ws_ *ws) {
    for (size_t k = 0; k < K; ++k) {
        const float *L = chol + k * D * D;
        float *Ls = ws->lower + k * D * D, *rec = ws->rec + k * D;
        /* an entry that overflows float (tiny L_jj, huge L_ij) only makes
         * results non-finite, and so sends them to the safe path */
        for (size_t i = 0; i < D; ++i) {
            for (size_t l = 0; l <= i; ++l)
                Ls[i * D + l] = (float)(MX_GAUSS_SQRT2_ * (double)L[i * D + l]);
            rec[i] = (float)(1.0 / (MX_GAUSS_SQRT2_ * (double)L[i * D + i]));
        }
        /* log det Sigma = 2 sum_j log L_jj, halved */
        ws->c[k] = mx_gauss_const_(logw, k, D, D ? mx_gauss_sum_log_(L, D, D + 1) : 0.0);
    }
}

/* The safe path for full covariance: forward substitution in double. */
static float mx_gauss_full_rescue_(size_t D, const float *x, const float *mu, const float *L,
                                   float c) {
    double z[MX_GAUSS_FULL_MAX_D], q = 0.0;
    int has_inf = 0;
    for (size_t j = 0; j < D; ++j) {
        if (isnan(x[j])) return NAN;
        has_inf |= isinf(x[j]) != 0;
    }
    if (has_inf) return -INFINITY; /* (x - mu)^T Sigma^-1 (x - mu) is infinite */
    for (size_t i = 0; i < D; ++i) {
        double r = (double)x[i] - (double)mu[i];
        for (size_t l = 0; l < i; ++l) r -= (double)L[i * D + l] * z[l];
        z[i] = r / (double)L[i * D + i];
        /* z_i beyond double (inf, or NaN from inf - inf; x has no NaN): so is
         * q, and using z_i later could turn finite inputs into NaN */
        if (!isfinite(z[i])) return -INFINITY;
        q += z[i] * z[i];
    }
    return (float)((double)c - 0.5 * q);
}

/* Shared tail of every full tile: component k's results res[p] for `rows`
 * points, stored (row stride ldo) with the safe path where not finite. */
static void mx_gauss_full_store_(size_t D, size_t k, size_t rows, const float *res,
                                 const float *X, size_t ldx, const float *mu, size_t ldmu,
                                 const float *chol, const mx_gauss_full_ws_ *ws, float *out,
                                 size_t ldo) {
    const float c = ws->c[k];
    for (size_t p = 0; p < rows; ++p) {
        float r = res[p];
        if (mx_gauss_needs_rescue_(r, c))
            r = mx_gauss_full_rescue_(D, X + p * ldx, mu + k * ldmu, chol + k * D * D, c);
        out[p * ldo + k] = r;
    }
}

static void mx_gauss_full_run_(const mx_gauss_kernels_ *kern, size_t N, size_t K, size_t D,
                               const float *X, size_t ldx, const float *mu, size_t ldmu,
                               const float *chol, const float *logw, float *out, size_t ldo,
                               void *work) {
    if (N == 0 || K == 0) return;
    const mx_gauss_full_ws_ ws = mx_gauss_full_layout_(work, K, D);
    mx_gauss_full_precompute_(K, D, chol, logw, &ws);
    const size_t T = kern->full_tile, tiles = (N + T - 1) / T;
    const int threads = mx_gauss_use_threads_(N, K, D * D / 2);
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (threads)
#endif
    for (size_t t = 0; t < tiles; ++t) {
        const size_t n0 = t * T, rows = mx_gauss_min_(T, N - n0);
        kern->full(D, K, rows, X + n0 * ldx, ldx, mu, ldmu, chol, &ws, out + n0 * ldo, ldo);
    }
}

/* ---- scalar kernels ------------------------------------------------------- */

static void mx_gauss_diag_wide_scalar_(size_t D, const float *const *x, const float *const *mu,
                                       const float *const *scale, float *q) {
    float acc = 0.0f;
    for (size_t j = 0; j < D; ++j) {
        float t = (x[0][j] - mu[0][j]) * scale[0][j];
        acc += t * t;
    }
    q[0] = acc;
}

/* One point per tile: forward substitution L' z' = x - mu, then ||z'||^2. */
static void mx_gauss_full_tile_scalar_(size_t D, size_t K, size_t rows, const float *X,
                                       size_t ldx, const float *mu, size_t ldmu,
                                       const float *chol, const mx_gauss_full_ws_ *ws,
                                       float *out, size_t ldo) {
    (void)rows; /* always 1 */
    for (size_t k = 0; k < K; ++k) {
        const float *m = mu + k * ldmu, *Ls = ws->lower + k * D * D, *rec = ws->rec + k * D;
        float z[MX_GAUSS_FULL_MAX_D], q = 0.0f;
        for (size_t i = 0; i < D; ++i) {
            float a = X[i] - m[i];
            for (size_t l = 0; l < i; ++l) a -= Ls[i * D + l] * z[l];
            z[i] = a * rec[i];
            q += z[i] * z[i];
        }
        float res = ws->c[k] - q;
        mx_gauss_full_store_(D, k, 1, &res, X, ldx, mu, ldmu, chol, ws, out, ldo);
    }
}

static const mx_gauss_kernels_ mx_gauss_kernels_scalar_ = {
    1, 1, mx_gauss_diag_wide_scalar_, 0, NULL, 1, mx_gauss_full_tile_scalar_};

#if MX_ARCH_X86 || MX_ARCH_ARM64
/* xt[l*width + p] = X[p][l] for p < rows, 0 for the padding points. */
static void mx_gauss_transpose_tile_(size_t D, size_t rows, const float *X, size_t ldx,
                                     size_t width, float *xt) {
    for (size_t l = 0; l < D; ++l)
        for (size_t p = 0; p < width; ++p) xt[l * width + p] = p < rows ? X[p * ldx + l] : 0.0f;
}
#endif

#if MX_ARCH_X86
/* ---- AVX-512 -------------------------------------------------------------- */

/* acc + ((x - m) s)^2 */
MX_TARGET_AVX512 static inline __m512 mx_gauss_sq512_(__m512 acc, __m512 x, __m512 m, __m512 s) {
    const __m512 t = _mm512_mul_ps(_mm512_sub_ps(x, m), s);
    return _mm512_fmadd_ps(t, t, acc);
}

/* 8 points x 2 components per pass over D, 16 values of j per register:
 * 4 loads of mu and s and one load per point feed 16 independent
 * accumulators (the sub runs on the adder pipes, mul and FMA on the two FMA
 * pipes). Measured on Zen 5 at K = 10, D = 784 against 4 x 2 and 4 x 4: the
 * fastest once X streams from L3 or memory (each component pair revisits the
 * 8 rows while they are in L1). Named accumulators: GCC keeps an
 * accumulator array in memory. */
#define MX_GAUSS_ROW512_(r)                                                  \
    do {                                                                     \
        const __m512 xr = _mm512_maskz_loadu_ps(m, x##r + j);                \
        a##r##0 = mx_gauss_sq512_(a##r##0, xr, m0, s0);                      \
        a##r##1 = mx_gauss_sq512_(a##r##1, xr, m1, s1);                      \
    } while (0)
#define MX_GAUSS_STORE512_(r)                                                \
    (q[2 * r] = _mm512_reduce_add_ps(a##r##0), q[2 * r + 1] = _mm512_reduce_add_ps(a##r##1))
MX_TARGET_AVX512 static void mx_gauss_diag_wide_avx512_(size_t D, const float *const *x,
                                                        const float *const *mu,
                                                        const float *const *scale, float *q) {
    const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
    const float *x4 = x[4], *x5 = x[5], *x6 = x[6], *x7 = x[7];
    const float *mu0 = mu[0], *mu1 = mu[1], *sc0 = scale[0], *sc1 = scale[1];
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m512 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    __m512 a60 = a00, a61 = a00, a70 = a00, a71 = a00;
    for (size_t j = 0; j < D; j += 16) { /* masked lanes load 0, so t = 0 */
        const __mmask16 m = D - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (D - j)) - 1u);
        const __m512 m0 = _mm512_maskz_loadu_ps(m, mu0 + j), s0 = _mm512_maskz_loadu_ps(m, sc0 + j);
        const __m512 m1 = _mm512_maskz_loadu_ps(m, mu1 + j), s1 = _mm512_maskz_loadu_ps(m, sc1 + j);
        MX_GAUSS_ROW512_(0);
        MX_GAUSS_ROW512_(1);
        MX_GAUSS_ROW512_(2);
        MX_GAUSS_ROW512_(3);
        MX_GAUSS_ROW512_(4);
        MX_GAUSS_ROW512_(5);
        MX_GAUSS_ROW512_(6);
        MX_GAUSS_ROW512_(7);
    }
    MX_GAUSS_STORE512_(0), MX_GAUSS_STORE512_(1), MX_GAUSS_STORE512_(2), MX_GAUSS_STORE512_(3);
    MX_GAUSS_STORE512_(4), MX_GAUSS_STORE512_(5), MX_GAUSS_STORE512_(6), MX_GAUSS_STORE512_(7);
}
#undef MX_GAUSS_ROW512_
#undef MX_GAUSS_STORE512_

/* 4 points x nv*16 components, x_j broadcast. */
MX_TARGET_AVX512 static inline int mx_gauss_bycomp_avx512_body_(
    size_t D, size_t rows, const float *const *x, const float *mu_t, const float *scale_t,
    size_t kp, const float *c, size_t cols, float *const *out, const int nv) {
    __m512 acc[4][2];
    for (int r = 0; r < 4; ++r)
        for (int v = 0; v < 2; ++v) acc[r][v] = _mm512_setzero_ps();
    for (size_t j = 0; j < D; ++j) {
        __m512 m[2], s[2];
        for (int v = 0; v < nv; ++v) {
            m[v] = _mm512_loadu_ps(mu_t + j * kp + 16 * v);
            s[v] = _mm512_loadu_ps(scale_t + j * kp + 16 * v);
        }
        for (int r = 0; r < 4; ++r) {
            const __m512 xb = _mm512_set1_ps(x[r][j]);
            for (int v = 0; v < nv; ++v) {
                const __m512 t = _mm512_mul_ps(_mm512_sub_ps(xb, m[v]), s[v]);
                acc[r][v] = _mm512_fmadd_ps(t, t, acc[r][v]);
            }
        }
    }
    const __m512 inf = _mm512_set1_ps(INFINITY);
    int bad = 0;
    for (int v = 0; v < nv; ++v) {
        const size_t lanes = mx_gauss_min_(16, cols - 16 * (size_t)v);
        const __mmask16 keep = lanes == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << lanes) - 1u);
        const __m512 cv = _mm512_loadu_ps(c + 16 * v);
        for (int r = 0; r < 4; ++r) {
            if ((size_t)r >= rows) break;
            const __m512 res = _mm512_sub_ps(cv, acc[r][v]);
            _mm512_mask_storeu_ps(out[r] + 16 * v, keep, res);
            bad |= _mm512_mask_cmp_ps_mask(keep, _mm512_abs_ps(res), inf, _CMP_NLT_UQ) != 0;
        }
    }
    return bad;
}

MX_TARGET_AVX512 static int mx_gauss_bycomp_avx512_(size_t D, size_t rows, const float *const *x,
                                                    const float *mu_t, const float *scale_t,
                                                    size_t kp, const float *c, size_t cols,
                                                    float *const *out) {
    if (cols > 16) return mx_gauss_bycomp_avx512_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 2);
    return mx_gauss_bycomp_avx512_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 1);
}

/* 64 points (4 registers of 16) per tile. Forward substitution two rows at a
 * time: z_i = (r_i - sum_{l<i} L'_il z_l) / L'_ii, r = x - mu, so 8
 * independent FMA chains share every load of z_l. */
MX_TARGET_AVX512 static void mx_gauss_full_tile_avx512_(size_t D, size_t K, size_t rows,
                                                        const float *X, size_t ldx,
                                                        const float *mu, size_t ldmu,
                                                        const float *chol,
                                                        const mx_gauss_full_ws_ *ws, float *out,
                                                        size_t ldo) {
    enum { W = 16, T = 4, TW = 64 };
    _Alignas(64) float xt[MX_GAUSS_FULL_MAX_D * TW];
    _Alignas(64) float zt[MX_GAUSS_FULL_MAX_D * TW];
    _Alignas(64) float res[TW];
    mx_gauss_transpose_tile_(D, rows, X, ldx, TW, xt);
    for (size_t k = 0; k < K; ++k) {
        const float *m = mu + k * ldmu, *Ls = ws->lower + k * D * D, *rec = ws->rec + k * D;
        __m512 q[T];
        for (int t = 0; t < T; ++t) q[t] = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 2 <= D; i += 2) {
            const float *La = Ls + i * D, *Lb = La + D;
            const __m512 ma = _mm512_set1_ps(m[i]), mb = _mm512_set1_ps(m[i + 1]);
            __m512 a[T], b[T];
            for (int t = 0; t < T; ++t) {
                a[t] = _mm512_sub_ps(_mm512_load_ps(xt + i * TW + W * t), ma);
                b[t] = _mm512_sub_ps(_mm512_load_ps(xt + (i + 1) * TW + W * t), mb);
            }
            for (size_t l = 0; l < i; ++l) {
                const __m512 la = _mm512_set1_ps(La[l]), lb = _mm512_set1_ps(Lb[l]);
                for (int t = 0; t < T; ++t) {
                    const __m512 z = _mm512_load_ps(zt + l * TW + W * t);
                    a[t] = _mm512_fnmadd_ps(la, z, a[t]);
                    b[t] = _mm512_fnmadd_ps(lb, z, b[t]);
                }
            }
            const __m512 ra = _mm512_set1_ps(rec[i]), rb = _mm512_set1_ps(rec[i + 1]);
            const __m512 lba = _mm512_set1_ps(Lb[i]);
            for (int t = 0; t < T; ++t) {
                const __m512 za = _mm512_mul_ps(a[t], ra);
                _mm512_store_ps(zt + i * TW + W * t, za);
                q[t] = _mm512_fmadd_ps(za, za, q[t]);
                const __m512 zb = _mm512_mul_ps(_mm512_fnmadd_ps(lba, za, b[t]), rb);
                _mm512_store_ps(zt + (i + 1) * TW + W * t, zb);
                q[t] = _mm512_fmadd_ps(zb, zb, q[t]);
            }
        }
        if (i < D) { /* odd D: the last row alone */
            const float *La = Ls + i * D;
            const __m512 ma = _mm512_set1_ps(m[i]), ra = _mm512_set1_ps(rec[i]);
            __m512 a[T];
            for (int t = 0; t < T; ++t) a[t] = _mm512_sub_ps(_mm512_load_ps(xt + i * TW + W * t), ma);
            for (size_t l = 0; l < i; ++l) {
                const __m512 la = _mm512_set1_ps(La[l]);
                for (int t = 0; t < T; ++t)
                    a[t] = _mm512_fnmadd_ps(la, _mm512_load_ps(zt + l * TW + W * t), a[t]);
            }
            for (int t = 0; t < T; ++t) {
                const __m512 za = _mm512_mul_ps(a[t], ra);
                q[t] = _mm512_fmadd_ps(za, za, q[t]);
            }
        }
        const __m512 cv = _mm512_set1_ps(ws->c[k]);
        for (int t = 0; t < T; ++t) _mm512_store_ps(res + W * t, _mm512_sub_ps(cv, q[t]));
        mx_gauss_full_store_(D, k, rows, res, X, ldx, mu, ldmu, chol, ws, out, ldo);
    }
}

static const mx_gauss_kernels_ mx_gauss_kernels_avx512_ = {
    8, 2, mx_gauss_diag_wide_avx512_, 32, mx_gauss_bycomp_avx512_, 64, mx_gauss_full_tile_avx512_};

/* ---- AVX2 ----------------------------------------------------------------- */

/* Lanes [0, n) of a maskload/maskstore mask (n capped at 8). */
MX_TARGET_AVX2 static inline __m256i mx_gauss_mask_avx2_(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)mx_gauss_min_(n, 8)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

MX_TARGET_AVX2 static inline float mx_gauss_hsum_avx2_(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* acc + ((x - m) s)^2 */
MX_TARGET_AVX2 static inline __m256 mx_gauss_sq256_(__m256 acc, __m256 x, __m256 m, __m256 s) {
    const __m256 t = _mm256_mul_ps(_mm256_sub_ps(x, m), s);
    return _mm256_fmadd_ps(t, t, acc);
}

/* 2 points x 4 components per pass over D, 8 values of j per register, the
 * tail through maskload (masked-out lanes load 0). Named accumulators. */
MX_TARGET_AVX2 static void mx_gauss_diag_wide_avx2_(size_t D, const float *const *x,
                                                    const float *const *mu,
                                                    const float *const *scale, float *q) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
    __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    for (size_t j = 0; j < D; j += 8) {
        const int tail = D - j < 8;
        const __m256i m = mx_gauss_mask_avx2_(D - j);
#define MX_GAUSS_LD_(p) (tail ? _mm256_maskload_ps((p) + j, m) : _mm256_loadu_ps((p) + j))
        const __m256 x0 = MX_GAUSS_LD_(x[0]), x1 = MX_GAUSS_LD_(x[1]);
        const __m256 m0 = MX_GAUSS_LD_(mu[0]), s0 = MX_GAUSS_LD_(scale[0]);
        const __m256 m1 = MX_GAUSS_LD_(mu[1]), s1 = MX_GAUSS_LD_(scale[1]);
        const __m256 m2 = MX_GAUSS_LD_(mu[2]), s2 = MX_GAUSS_LD_(scale[2]);
        const __m256 m3 = MX_GAUSS_LD_(mu[3]), s3 = MX_GAUSS_LD_(scale[3]);
#undef MX_GAUSS_LD_
        a00 = mx_gauss_sq256_(a00, x0, m0, s0), a10 = mx_gauss_sq256_(a10, x1, m0, s0);
        a01 = mx_gauss_sq256_(a01, x0, m1, s1), a11 = mx_gauss_sq256_(a11, x1, m1, s1);
        a02 = mx_gauss_sq256_(a02, x0, m2, s2), a12 = mx_gauss_sq256_(a12, x1, m2, s2);
        a03 = mx_gauss_sq256_(a03, x0, m3, s3), a13 = mx_gauss_sq256_(a13, x1, m3, s3);
    }
    q[0] = mx_gauss_hsum_avx2_(a00), q[1] = mx_gauss_hsum_avx2_(a01);
    q[2] = mx_gauss_hsum_avx2_(a02), q[3] = mx_gauss_hsum_avx2_(a03);
    q[4] = mx_gauss_hsum_avx2_(a10), q[5] = mx_gauss_hsum_avx2_(a11);
    q[6] = mx_gauss_hsum_avx2_(a12), q[7] = mx_gauss_hsum_avx2_(a13);
}

MX_TARGET_AVX2 static inline int mx_gauss_bycomp_avx2_body_(
    size_t D, size_t rows, const float *const *x, const float *mu_t, const float *scale_t,
    size_t kp, const float *c, size_t cols, float *const *out, const int nv) {
    __m256 acc[4][2];
    for (int r = 0; r < 4; ++r)
        for (int v = 0; v < 2; ++v) acc[r][v] = _mm256_setzero_ps();
    for (size_t j = 0; j < D; ++j) {
        __m256 m[2], s[2];
        for (int v = 0; v < nv; ++v) {
            m[v] = _mm256_loadu_ps(mu_t + j * kp + 8 * v);
            s[v] = _mm256_loadu_ps(scale_t + j * kp + 8 * v);
        }
        for (int r = 0; r < 4; ++r) {
            const __m256 xb = _mm256_broadcast_ss(x[r] + j);
            for (int v = 0; v < nv; ++v) {
                const __m256 t = _mm256_mul_ps(_mm256_sub_ps(xb, m[v]), s[v]);
                acc[r][v] = _mm256_fmadd_ps(t, t, acc[r][v]);
            }
        }
    }
    const __m256 inf = _mm256_set1_ps(INFINITY), sign = _mm256_set1_ps(-0.0f);
    int bad = 0;
    for (int v = 0; v < nv; ++v) {
        const __m256i keep = mx_gauss_mask_avx2_(cols - 8 * (size_t)v);
        const __m256 cv = _mm256_loadu_ps(c + 8 * v);
        for (int r = 0; r < 4; ++r) {
            if ((size_t)r >= rows) break;
            const __m256 res = _mm256_sub_ps(cv, acc[r][v]);
            _mm256_maskstore_ps(out[r] + 8 * v, keep, res);
            const __m256 nonfinite = _mm256_cmp_ps(_mm256_andnot_ps(sign, res), inf, _CMP_NLT_UQ);
            bad |= _mm256_movemask_ps(_mm256_and_ps(nonfinite, _mm256_castsi256_ps(keep))) != 0;
        }
    }
    return bad;
}

MX_TARGET_AVX2 static int mx_gauss_bycomp_avx2_(size_t D, size_t rows, const float *const *x,
                                                const float *mu_t, const float *scale_t,
                                                size_t kp, const float *c, size_t cols,
                                                float *const *out) {
    if (cols > 8) return mx_gauss_bycomp_avx2_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 2);
    return mx_gauss_bycomp_avx2_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 1);
}

/* 32 points (4 registers of 8) per tile; as the AVX-512 tile. */
MX_TARGET_AVX2 static void mx_gauss_full_tile_avx2_(size_t D, size_t K, size_t rows,
                                                    const float *X, size_t ldx, const float *mu,
                                                    size_t ldmu, const float *chol,
                                                    const mx_gauss_full_ws_ *ws, float *out,
                                                    size_t ldo) {
    enum { W = 8, T = 4, TW = 32 };
    _Alignas(32) float xt[MX_GAUSS_FULL_MAX_D * TW];
    _Alignas(32) float zt[MX_GAUSS_FULL_MAX_D * TW];
    _Alignas(32) float res[TW];
    mx_gauss_transpose_tile_(D, rows, X, ldx, TW, xt);
    for (size_t k = 0; k < K; ++k) {
        const float *m = mu + k * ldmu, *Ls = ws->lower + k * D * D, *rec = ws->rec + k * D;
        __m256 q[T];
        for (int t = 0; t < T; ++t) q[t] = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 2 <= D; i += 2) {
            const float *La = Ls + i * D, *Lb = La + D;
            const __m256 ma = _mm256_set1_ps(m[i]), mb = _mm256_set1_ps(m[i + 1]);
            __m256 a[T], b[T];
            for (int t = 0; t < T; ++t) {
                a[t] = _mm256_sub_ps(_mm256_load_ps(xt + i * TW + W * t), ma);
                b[t] = _mm256_sub_ps(_mm256_load_ps(xt + (i + 1) * TW + W * t), mb);
            }
            for (size_t l = 0; l < i; ++l) {
                const __m256 la = _mm256_set1_ps(La[l]), lb = _mm256_set1_ps(Lb[l]);
                for (int t = 0; t < T; ++t) {
                    const __m256 z = _mm256_load_ps(zt + l * TW + W * t);
                    a[t] = _mm256_fnmadd_ps(la, z, a[t]);
                    b[t] = _mm256_fnmadd_ps(lb, z, b[t]);
                }
            }
            const __m256 ra = _mm256_set1_ps(rec[i]), rb = _mm256_set1_ps(rec[i + 1]);
            const __m256 lba = _mm256_set1_ps(Lb[i]);
            for (int t = 0; t < T; ++t) {
                const __m256 za = _mm256_mul_ps(a[t], ra);
                _mm256_store_ps(zt + i * TW + W * t, za);
                q[t] = _mm256_fmadd_ps(za, za, q[t]);
                const __m256 zb = _mm256_mul_ps(_mm256_fnmadd_ps(lba, za, b[t]), rb);
                _mm256_store_ps(zt + (i + 1) * TW + W * t, zb);
                q[t] = _mm256_fmadd_ps(zb, zb, q[t]);
            }
        }
        if (i < D) {
            const float *La = Ls + i * D;
            const __m256 ma = _mm256_set1_ps(m[i]), ra = _mm256_set1_ps(rec[i]);
            __m256 a[T];
            for (int t = 0; t < T; ++t) a[t] = _mm256_sub_ps(_mm256_load_ps(xt + i * TW + W * t), ma);
            for (size_t l = 0; l < i; ++l) {
                const __m256 la = _mm256_set1_ps(La[l]);
                for (int t = 0; t < T; ++t)
                    a[t] = _mm256_fnmadd_ps(la, _mm256_load_ps(zt + l * TW + W * t), a[t]);
            }
            for (int t = 0; t < T; ++t) {
                const __m256 za = _mm256_mul_ps(a[t], ra);
                q[t] = _mm256_fmadd_ps(za, za, q[t]);
            }
        }
        const __m256 cv = _mm256_set1_ps(ws->c[k]);
        for (int t = 0; t < T; ++t) _mm256_store_ps(res + W * t, _mm256_sub_ps(cv, q[t]));
        mx_gauss_full_store_(D, k, rows, res, X, ldx, mu, ldmu, chol, ws, out, ldo);
    }
}

static const mx_gauss_kernels_ mx_gauss_kernels_avx2_ = {
    2, 4, mx_gauss_diag_wide_avx2_, 16, mx_gauss_bycomp_avx2_, 32, mx_gauss_full_tile_avx2_};
#endif /* MX_ARCH_X86 */

#if MX_ARCH_ARM64
/* ---- NEON ----------------------------------------------------------------- */

/* 4 points x 4 components per pass over D, 4 values of j per register; the
 * last D mod 4 values of j in scalar code. */
static void mx_gauss_diag_wide_neon_(size_t D, const float *const *x, const float *const *mu,
                                     const float *const *scale, float *q) {
    float32x4_t acc[4][4];
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) acc[r][c] = vdupq_n_f32(0.0f);
    size_t j = 0;
    for (; j + 4 <= D; j += 4) {
        float32x4_t xv[4];
        for (int r = 0; r < 4; ++r) xv[r] = vld1q_f32(x[r] + j);
        for (int c = 0; c < 4; ++c) {
            const float32x4_t mv = vld1q_f32(mu[c] + j), sv = vld1q_f32(scale[c] + j);
            for (int r = 0; r < 4; ++r) {
                const float32x4_t t = vmulq_f32(vsubq_f32(xv[r], mv), sv);
                acc[r][c] = vfmaq_f32(acc[r][c], t, t);
            }
        }
    }
    for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 4; ++c) {
            float s = vaddvq_f32(acc[r][c]);
            for (size_t jt = j; jt < D; ++jt) {
                float t = (x[r][jt] - mu[c][jt]) * scale[c][jt];
                s += t * t;
            }
            q[r * 4 + c] = s;
        }
    }
}

static inline int mx_gauss_bycomp_neon_body_(size_t D, size_t rows, const float *const *x,
                                             const float *mu_t, const float *scale_t, size_t kp,
                                             const float *c, size_t cols, float *const *out,
                                             const int nv) {
    float32x4_t acc[4][4];
    for (int r = 0; r < 4; ++r)
        for (int v = 0; v < 4; ++v) acc[r][v] = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < D; ++j) {
        float32x4_t m[4], s[4];
        for (int v = 0; v < nv; ++v) {
            m[v] = vld1q_f32(mu_t + j * kp + 4 * v);
            s[v] = vld1q_f32(scale_t + j * kp + 4 * v);
        }
        for (int r = 0; r < 4; ++r) {
            const float32x4_t xb = vdupq_n_f32(x[r][j]);
            for (int v = 0; v < nv; ++v) {
                const float32x4_t t = vmulq_f32(vsubq_f32(xb, m[v]), s[v]);
                acc[r][v] = vfmaq_f32(acc[r][v], t, t);
            }
        }
    }
    const float32x4_t big = vdupq_n_f32(FLT_MAX);
    int bad = 0;
    for (int v = 0; v < nv; ++v) {
        const size_t lanes = mx_gauss_min_(4, cols - 4 * (size_t)v);
        const float32x4_t cv = vld1q_f32(c + 4 * v);
        for (int r = 0; r < 4; ++r) {
            if ((size_t)r >= rows) break;
            const float32x4_t res = vsubq_f32(cv, acc[r][v]);
            float tmp[4];
            vst1q_f32(tmp, res);
            for (size_t l = 0; l < lanes; ++l) out[r][4 * v + l] = tmp[l];
            if (lanes == 4) /* |res| <= FLT_MAX is false for Inf and NaN */
                bad |= vminvq_u32(vcaleq_f32(res, big)) == 0;
            else
                for (size_t l = 0; l < lanes; ++l) bad |= !isfinite(tmp[l]);
        }
    }
    return bad;
}

static int mx_gauss_bycomp_neon_(size_t D, size_t rows, const float *const *x,
                                 const float *mu_t, const float *scale_t, size_t kp,
                                 const float *c, size_t cols, float *const *out) {
    switch ((cols + 3) / 4) {
    case 1: return mx_gauss_bycomp_neon_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 1);
    case 2: return mx_gauss_bycomp_neon_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 2);
    case 3: return mx_gauss_bycomp_neon_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 3);
    default: return mx_gauss_bycomp_neon_body_(D, rows, x, mu_t, scale_t, kp, c, cols, out, 4);
    }
}

/* 16 points (4 registers of 4) per tile; as the AVX-512 tile. */
static void mx_gauss_full_tile_neon_(size_t D, size_t K, size_t rows, const float *X,
                                     size_t ldx, const float *mu, size_t ldmu, const float *chol,
                                     const mx_gauss_full_ws_ *ws, float *out, size_t ldo) {
    enum { W = 4, T = 4, TW = 16 };
    _Alignas(16) float xt[MX_GAUSS_FULL_MAX_D * TW];
    _Alignas(16) float zt[MX_GAUSS_FULL_MAX_D * TW];
    _Alignas(16) float res[TW];
    mx_gauss_transpose_tile_(D, rows, X, ldx, TW, xt);
    for (size_t k = 0; k < K; ++k) {
        const float *m = mu + k * ldmu, *Ls = ws->lower + k * D * D, *rec = ws->rec + k * D;
        float32x4_t q[T];
        for (int t = 0; t < T; ++t) q[t] = vdupq_n_f32(0.0f);
        size_t i = 0;
        for (; i + 2 <= D; i += 2) {
            const float *La = Ls + i * D, *Lb = La + D;
            const float32x4_t ma = vdupq_n_f32(m[i]), mb = vdupq_n_f32(m[i + 1]);
            float32x4_t a[T], b[T];
            for (int t = 0; t < T; ++t) {
                a[t] = vsubq_f32(vld1q_f32(xt + i * TW + W * t), ma);
                b[t] = vsubq_f32(vld1q_f32(xt + (i + 1) * TW + W * t), mb);
            }
            for (size_t l = 0; l < i; ++l) {
                const float32x4_t la = vdupq_n_f32(La[l]), lb = vdupq_n_f32(Lb[l]);
                for (int t = 0; t < T; ++t) {
                    const float32x4_t z = vld1q_f32(zt + l * TW + W * t);
                    a[t] = vfmsq_f32(a[t], la, z);
                    b[t] = vfmsq_f32(b[t], lb, z);
                }
            }
            const float32x4_t ra = vdupq_n_f32(rec[i]), rb = vdupq_n_f32(rec[i + 1]);
            const float32x4_t lba = vdupq_n_f32(Lb[i]);
            for (int t = 0; t < T; ++t) {
                const float32x4_t za = vmulq_f32(a[t], ra);
                vst1q_f32(zt + i * TW + W * t, za);
                q[t] = vfmaq_f32(q[t], za, za);
                const float32x4_t zb = vmulq_f32(vfmsq_f32(b[t], lba, za), rb);
                vst1q_f32(zt + (i + 1) * TW + W * t, zb);
                q[t] = vfmaq_f32(q[t], zb, zb);
            }
        }
        if (i < D) {
            const float *La = Ls + i * D;
            const float32x4_t ma = vdupq_n_f32(m[i]), ra = vdupq_n_f32(rec[i]);
            float32x4_t a[T];
            for (int t = 0; t < T; ++t) a[t] = vsubq_f32(vld1q_f32(xt + i * TW + W * t), ma);
            for (size_t l = 0; l < i; ++l) {
                const float32x4_t la = vdupq_n_f32(La[l]);
                for (int t = 0; t < T; ++t) a[t] = vfmsq_f32(a[t], la, vld1q_f32(zt + l * TW + W * t));
            }
            for (int t = 0; t < T; ++t) {
                const float32x4_t za = vmulq_f32(a[t], ra);
                q[t] = vfmaq_f32(q[t], za, za);
            }
        }
        const float32x4_t cv = vdupq_n_f32(ws->c[k]);
        for (int t = 0; t < T; ++t) vst1q_f32(res + W * t, vsubq_f32(cv, q[t]));
        mx_gauss_full_store_(D, k, rows, res, X, ldx, mu, ldmu, chol, ws, out, ldo);
    }
}

static const mx_gauss_kernels_ mx_gauss_kernels_neon_ = {
    4, 4, mx_gauss_diag_wide_neon_, 16, mx_gauss_bycomp_neon_, 16, mx_gauss_full_tile_neon_};
#endif /* MX_ARCH_ARM64 */

/* ---- fixed-ISA variants: precompute, then the shared drivers -------------- */

#define MX_GAUSS_VARIANTS_(isa, attr, kernels)                                            \
    attr void mx_gauss_diag_f32_##isa(MX_GAUSS_DIAG_ARGS_) {                              \
        const mx_gauss_diag_src_ s = {D, X, mu, var, ldx, ldmu, ldvar, 0};                \
        (void)work_bytes;                                                                 \
        mx_gauss_diag_run_(&kernels, N, K, &s, logw, out, ldo, work);                     \
    }                                                                                     \
    attr void mx_gauss_spherical_f32_##isa(MX_GAUSS_SPHERICAL_ARGS_) {                    \
        const mx_gauss_diag_src_ s = {D, X, mu, var, ldx, ldmu, 0, 1};                    \
        (void)work_bytes;                                                                 \
        mx_gauss_diag_run_(&kernels, N, K, &s, logw, out, ldo, work);                     \
    }                                                                                     \
    attr void mx_gauss_full_f32_##isa(MX_GAUSS_FULL_ARGS_) {                              \
        (void)work_bytes;                                                                 \
        mx_gauss_full_run_(&kernels, N, K, D, X, ldx, mu, ldmu, chol, logw, out, ldo, work); \
    }

MX_GAUSS_VARIANTS_(scalar, , mx_gauss_kernels_scalar_)
#if MX_ARCH_X86
MX_GAUSS_VARIANTS_(avx2, MX_TARGET_AVX2, mx_gauss_kernels_avx2_)
MX_GAUSS_VARIANTS_(avx512, MX_TARGET_AVX512, mx_gauss_kernels_avx512_)
#endif
#if MX_ARCH_ARM64
MX_GAUSS_VARIANTS_(neon, , mx_gauss_kernels_neon_)
#endif
#undef MX_GAUSS_VARIANTS_

/* ---- dispatched entries --------------------------------------------------- */

/* Variances: finite and > 0 (NaN fails the comparison). */
static mx_status mx_gauss_check_var_(const float *var, size_t rows, size_t cols, size_t ld) {
    for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < cols; ++j) {
            const float v = var[i * ld + j];
            if (!(v > 0.0f) || isinf(v)) return MX_ERR_DOMAIN;
        }
    return MX_OK;
}

mx_status mx_gauss_diag_f32(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                            const float *mu, size_t ldmu, const float *var, size_t ldvar,
                            const float *logw, float *out, size_t ldo, void *work,
                            size_t work_bytes) {
    if (K > 0 && D > 0 && (var == NULL || ldvar < D)) return MX_ERR_ARG;
    mx_status st = mx_gauss_check_args_(N, K, D, X, ldx, mu, ldmu, out, ldo, work, work_bytes,
                                        mx_gauss_diag_workspace_size(K, D));
    if (st == MX_OK) st = mx_gauss_check_mu_logw_(K, D, mu, ldmu, logw);
    if (st == MX_OK && D > 0) st = mx_gauss_check_var_(var, K, D, ldvar);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_gauss_diag_f32,
                (N, K, D, X, ldx, mu, ldmu, var, ldvar, logw, out, ldo, work, work_bytes));
    return MX_OK;
}

mx_status mx_gauss_spherical_f32(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                                 const float *mu, size_t ldmu, const float *var,
                                 const float *logw, float *out, size_t ldo, void *work,
                                 size_t work_bytes) {
    if (K > 0 && D > 0 && var == NULL) return MX_ERR_ARG;
    mx_status st = mx_gauss_check_args_(N, K, D, X, ldx, mu, ldmu, out, ldo, work, work_bytes,
                                        mx_gauss_spherical_workspace_size(K, D));
    if (st == MX_OK) st = mx_gauss_check_mu_logw_(K, D, mu, ldmu, logw);
    if (st == MX_OK && D > 0) st = mx_gauss_check_var_(var, K, 1, 1);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_gauss_spherical_f32,
                (N, K, D, X, ldx, mu, ldmu, var, logw, out, ldo, work, work_bytes));
    return MX_OK;
}

/* Factors: lower triangle finite, diagonal > 0. */
static mx_status mx_gauss_check_chol_(size_t K, size_t D, const float *chol) {
    for (size_t k = 0; k < K; ++k) {
        const float *L = chol + k * D * D;
        for (size_t i = 0; i < D; ++i) {
            for (size_t l = 0; l <= i; ++l)
                if (!isfinite(L[i * D + l])) return MX_ERR_DOMAIN;
            if (!(L[i * D + i] > 0.0f)) return MX_ERR_DOMAIN;
        }
    }
    return MX_OK;
}

mx_status mx_gauss_full_f32(size_t N, size_t K, size_t D, const float *X, size_t ldx,
                            const float *mu, size_t ldmu, const float *chol,
                            const float *logw, float *out, size_t ldo, void *work,
                            size_t work_bytes) {
    if (D > MX_GAUSS_FULL_MAX_D) return MX_ERR_ARG;
    if (K > 0 && D > 0 && chol == NULL) return MX_ERR_ARG;
    mx_status st = mx_gauss_check_args_(N, K, D, X, ldx, mu, ldmu, out, ldo, work, work_bytes,
                                        mx_gauss_full_workspace_size(K, D));
    if (st == MX_OK) st = mx_gauss_check_mu_logw_(K, D, mu, ldmu, logw);
    if (st == MX_OK) st = mx_gauss_check_chol_(K, D, chol);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_gauss_full_f32,
                (N, K, D, X, ldx, mu, ldmu, chol, logw, out, ldo, work, work_bytes));
    return MX_OK;
}

/* ---- Cholesky ------------------------------------------------------------- */

/* Row by row (Cholesky-Banachiewicz): for j <= i,
 *   L_ij = (A_ij - sum_{l<j} L_il L_jl) / L_jj,  L_ii = sqrt(A_ii - sum_{l<i} L_il^2),
 * the sums in double over the already rounded entries, each entry rounded once. */
mx_status mx_cholesky_f32(size_t D, float *A, size_t lda) {
    if (D == 0) return MX_OK;
    if (A == NULL || lda < D) return MX_ERR_ARG;
    for (size_t i = 0; i < D; ++i)
        for (size_t j = 0; j <= i; ++j)
            if (!isfinite(A[i * lda + j])) return MX_ERR_DOMAIN;
    for (size_t i = 0; i < D; ++i) {
        float *Li = A + i * lda;
        for (size_t j = 0; j <= i; ++j) {
            const float *Lj = A + j * lda;
            double s = (double)Li[j];
            for (size_t l = 0; l < j; ++l) s -= (double)Li[l] * (double)Lj[l];
            if (j == i) {
                if (!(s > 0.0)) return MX_ERR_NOT_POSDEF;
                Li[i] = (float)sqrt(s);
                if (!(Li[i] > 0.0f)) return MX_ERR_NOT_POSDEF; /* root underflowed */
            } else {
                Li[j] = (float)(s / (double)Lj[j]);
                if (!isfinite(Li[j])) return MX_ERR_NOT_POSDEF;
            }
        }
    }
    for (size_t i = 0; i < D; ++i)
        for (size_t j = i + 1; j < D; ++j) A[i * lda + j] = 0.0f;
    return MX_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_IMPLEMENTATION */
