/* mixsimd/act.h — activations (forward and backward), losses with gradients,
 * and the fused Adam/AdamW update: the elementwise work of the networks.
 *
 * Conventions shared by every function below
 * - n (or N x D) float32 values; any size including 0 works. Elementwise
 *   functions work in place: an output may be the very same array as an
 *   input (y == x, dx == dy, dx == the forward input); partial overlap is
 *   not allowed.
 * - Backward functions compute dx = dy * f'(.) from the forward OUTPUT y
 *   where that is possible and cheaper (relu, leaky relu, sigmoid, tanh), and
 *   from the forward INPUT x for softplus (its derivative is sigmoid(x)).
 *   So a network may overwrite x with y in place and still run backward.
 * - Numerically stable forms: sigmoid(x) = (x >= 0 ? 1 : e) / (1 + e) and
 *   softplus(x) = max(x, 0) + log1p(e), both with e = exp(-|x|) <= 1, so
 *   nothing overflows; exp/log1p/tanh come from SLEEF (vmath.h, 1 ULP).
 * - Special values: NaN in gives NaN out (forward); sigmoid(+-inf) = 1, 0;
 *   softplus(-inf) = 0, softplus(+inf) = +inf; tanh(+-inf) = +-1.
 * - Error bounds are stated per function in ULP of the exact result (u =
 *   2^-24 is the unit roundoff; 1 ULP of y is at least u|y|, so a relative
 *   error of k u is at most k ULP). They hold for every ISA. The bounds of
 *   the losses and of Adam depend on the problem's condition and are
 *   written as formulas; gamma_k = k u / (1 - k u).
 * - Fixed-ISA variants (_scalar, _avx2, _avx512, _neon) take the same
 *   arguments as the dispatched entry, assume them valid (as the entry
 *   checks) and return void.
 * - Errors of every dispatched entry: MX_ERR_ARG for a NULL pointer with a
 *   nonzero size (or leading dimension < D), MX_ERR_DOMAIN as stated per
 *   function, MX_ERR_ISA when MIXSIMD_ISA names an unusable ISA.
 */
#ifndef MIXSIMD_ACT_H
#define MIXSIMD_ACT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "vmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- activations ---------------------------------------------------------- */

/* y[i] = relu(x[i]) = (x < 0 ? 0 : x): exact; NaN and -0.0 pass through. */
mx_status mx_act_relu_f32(const float *x, float *y, size_t n);

/* dx[i] = (y[i] > 0 ? dy[i] : 0) from the forward output y: exact
 * (relu'(0) is taken as 0). */
mx_status mx_act_relu_backward_f32(const float *y, const float *dy, float *dx, size_t n);

/* y[i] = (x > 0 ? x : slope * x). Error <= 0.5 ULP (one product).
 * MX_ERR_DOMAIN unless slope is finite and >= 0 (the backward pass reads the
 * sign of x from y, which needs slope >= 0). */
mx_status mx_act_leaky_relu_f32(const float *x, float *y, size_t n, float slope);

/* dx[i] = (y[i] > 0 ? dy[i] : slope * dy[i]) from the forward output y.
 * Error <= 0.5 ULP. MX_ERR_DOMAIN unless slope is finite and >= 0. */
mx_status mx_act_leaky_relu_backward_f32(const float *y, const float *dy, float *dx, size_t n,
                                         float slope);

/* y[i] = 1 / (1 + exp(-x[i])), as (x >= 0 ? 1 : e) / (1 + e), e = exp(-|x|).
 * Error <= 4 ULP. Why: e carries 1 ULP (relative 2u) which enters 1 + e
 * damped by e/(1+e) <= 1/2 and cancels the same share of the numerator, the
 * sum and the division round once each: 2u + u + u (x < 0), u + u + u (x >= 0).
 * Subnormal results (x < -87.3) are e itself, within 1 ULP. */
mx_status mx_act_sigmoid_f32(const float *x, float *y, size_t n);

/* dx[i] = dy[i] * (y[i] * (1 - y[i])) from the forward output y.
 * Error <= 3 ULP. Why: 1 - y is exact for y in [1/2, 1] (Sterbenz) and
 * rounds once otherwise, then two products; an underflowing final product
 * adds at most half the subnormal spacing (< 1 ULP). */
mx_status mx_act_sigmoid_backward_f32(const float *y, const float *dy, float *dx, size_t n);

/* y[i] = log(1 + exp(x[i])), as max(x, 0) + log1p(exp(-|x|)).
 * Error <= 5 ULP. Why: L = log1p(e) is within 4u relative (e's 2u enters
 * damped by e/((1+e) L) <= 1, plus log1p's 1 ULP), and adding max(x, 0) >= 0
 * (no cancellation) rounds once more. */
mx_status mx_act_softplus_f32(const float *x, float *y, size_t n);

/* dx[i] = dy[i] * sigmoid(x[i]) from the forward INPUT x.
 * Error <= 5 ULP + |dy| 2^-148. Why: sigmoid's 4u and the product's u; the
 * absolute term is sigmoid's subnormal spacing magnified by |dy| and only
 * matters when sigmoid(x) is subnormal (x < -87.3) and |dy| > 1. */
mx_status mx_act_softplus_backward_f32(const float *x, const float *dy, float *dx, size_t n);

/* y[i] = tanh(x[i]) (SLEEF). Error <= 1 ULP. */
mx_status mx_act_tanh_f32(const float *x, float *y, size_t n);

/* dx[i] = dy[i] * ((1 - y[i]) * (1 + y[i])) from the forward output y
 * (factored so |y| near 1 does not cancel). Error <= 4 ULP. Why: of 1 - y and
 * 1 + y at most both round (|y| < 1/2; otherwise one is exact), then two
 * products; an underflowing final product adds < 1 ULP. */
mx_status mx_act_tanh_backward_f32(const float *y, const float *dy, float *dx, size_t n);

/* Fixed-ISA variants of the ten functions above: same arguments. */
#define MX_ACT_SIG_U_ const float *x, float *y, size_t n
#define MX_ACT_SIG_UP_ const float *x, float *y, size_t n, float slope
#define MX_ACT_SIG_B_ const float *in, const float *dy, float *dx, size_t n
#define MX_ACT_SIG_BP_ const float *in, const float *dy, float *dx, size_t n, float slope
/* X(op, shape): shape U = unary, UP = unary with slope, B = backward,
 * BP = backward with slope. */
#define MX_ACT_OPS_(X)               \
    X(relu, U)                       \
    X(relu_backward, B)              \
    X(leaky_relu, UP)                \
    X(leaky_relu_backward, BP)       \
    X(sigmoid, U)                    \
    X(sigmoid_backward, B)           \
    X(softplus, U)                   \
    X(softplus_backward, B)          \
    X(tanh, U)                       \
    X(tanh_backward, B)

#define MX_ACT_DECLARE_(op, shape) void mx_act_##op##_f32_scalar(MX_ACT_SIG_##shape##_);
MX_ACT_OPS_(MX_ACT_DECLARE_)
#undef MX_ACT_DECLARE_
#if MX_ARCH_X86
#define MX_ACT_DECLARE_(op, shape)                                        \
    MX_TARGET_AVX2 void mx_act_##op##_f32_avx2(MX_ACT_SIG_##shape##_);    \
    MX_TARGET_AVX512 void mx_act_##op##_f32_avx512(MX_ACT_SIG_##shape##_);
MX_ACT_OPS_(MX_ACT_DECLARE_)
#undef MX_ACT_DECLARE_
#endif
#if MX_ARCH_ARM64
#define MX_ACT_DECLARE_(op, shape) void mx_act_##op##_f32_neon(MX_ACT_SIG_##shape##_);
MX_ACT_OPS_(MX_ACT_DECLARE_)
#undef MX_ACT_DECLARE_
#endif

/* ---- losses (per-row sums, with gradient) --------------------------------- */

/* Binary cross-entropy with logits, for Z and T (N x D, row strides ldz, ldt):
 *   loss[n] = sum_j  max(z, 0) - z t + log1p(exp(-|z|)),  z = Z[n,j], t = T[n,j]
 *   grad[n*ldg + j] = sigmoid(z) - t           (grad may be NULL: not written)
 * The per-element term is evaluated as |z| t' + log1p(exp(-|z|)) with
 * t' = (z >= 0 ? 1 - t : t), a sum of two non-negative numbers (no
 * cancellation for t in [0, 1]), and summed in double. z = +-inf gives the
 * limit: 0 when t' = 0 (t = 1 for +inf, t = 0 for -inf), else +inf. Targets
 * are meant to lie in [0, 1] and are not checked (the bound assumes it).
 * grad may be the same array as Z (ldg == ldz: in place).
 *
 * Error bounds (all ISAs), with L the exact loss[n] and s = sigmoid(z):
 *   |loss - L| <= (gamma_6 + 2 gamma53_D) L + (3D + 1) 2^-149
 *   |grad - g| <= u |g| + gamma_5 s + 2^-148
 * where gamma53_D = D 2^-53 / (1 - D 2^-53) (the double sum). Why: |z| t'
 * rounds twice (t' and the product), log1p(exp(-|z|)) is within 4u (as
 * softplus), their sum once more: 5u per term; the double sum adds gamma53_D,
 * the final rounding to float u (and 2^-149 for a subnormal loss); each term's
 * subnormal parts add at most 3 2^-149. The gradient is sigmoid's 4u (times
 * 1 + u) plus the subtraction's rounding.
 *
 * Errors: MX_ERR_ARG (Z, T or loss NULL with N, D > 0 — loss also when D = 0;
 * ldz < D, ldt < D, ldg < D with grad), MX_ERR_ISA. */
mx_status mx_loss_bce_logits_f32(size_t N, size_t D, const float *Z, size_t ldz, const float *T,
                                 size_t ldt, float *loss, float *grad, size_t ldg);

/* Squared error, for Y and T (N x D):
 *   loss[n] = 0.5 * sum_j (y - t)^2,  grad[n*ldg + j] = y - t  (grad may be NULL)
 * (a half SUM, not a mean: divide by D yourself for a mean). d = y - t is
 * rounded to float once, squared exactly in double and summed in double, so
 * the loss overflows only when its exact value does. grad may be the same
 * array as Y (ldg == ldy).
 *   |loss - L| <= (gamma_3 + 2 gamma53_D) L + 2^-150
 *   |grad - g| <= 0.5 ULP (grad is the correctly rounded y - t)
 * Why: d carries u relative, d^2 2u; the double sum gamma53_D, the final
 * rounding u (2^-150 for a subnormal loss).
 *
 * Errors: as mx_loss_bce_logits_f32 (with Y, ldy). */
mx_status mx_loss_mse_f32(size_t N, size_t D, const float *Y, size_t ldy, const float *T,
                          size_t ldt, float *loss, float *grad, size_t ldg);

#define MX_LOSS_SIG_ \
    size_t N, size_t D, const float *A, size_t lda, const float *T, size_t ldt, float *loss, \
        float *grad, size_t ldg
void mx_loss_bce_logits_f32_scalar(MX_LOSS_SIG_);
void mx_loss_mse_f32_scalar(MX_LOSS_SIG_);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_loss_bce_logits_f32_avx2(MX_LOSS_SIG_);
MX_TARGET_AVX2 void mx_loss_mse_f32_avx2(MX_LOSS_SIG_);
MX_TARGET_AVX512 void mx_loss_bce_logits_f32_avx512(MX_LOSS_SIG_);
MX_TARGET_AVX512 void mx_loss_mse_f32_avx512(MX_LOSS_SIG_);
#endif
#if MX_ARCH_ARM64
void mx_loss_bce_logits_f32_neon(MX_LOSS_SIG_);
void mx_loss_mse_f32_neon(MX_LOSS_SIG_);
#endif

/* ---- Adam / AdamW ----------------------------------------------------------- */

/* Hyper-parameters; weight_decay = 0 gives Adam, > 0 AdamW (decoupled). */
typedef struct mx_adam_config {
    float lr;           /* alpha, >= 0                        (PyTorch default 1e-3) */
    float beta1;        /* in [0, 1)                                           0.9  */
    float beta2;        /* in [0, 1)                                           0.999 */
    float eps;          /* > 0, added to sqrt(v_hat)                           1e-8 */
    float weight_decay; /* lambda >= 0 (AdamW, decoupled)                      0    */
} mx_adam_config;

/* One fused step over n parameters (Kingma & Ba 2015, Algorithm 1; AdamW of
 * Loshchilov & Hutter 2019 as PyTorch applies it), for step t >= 1:
 *   m'     = beta1 m + (1 - beta1) g
 *   v'     = beta2 v + (1 - beta2) g^2
 *   param' = param (1 - lr lambda) - lr m_hat / (sqrt(v_hat) + eps),
 *            m_hat = m' / (1 - beta1^t),  v_hat = v' / (1 - beta2^t)
 * evaluated per element, after computing in double and rounding once the
 * step size lr / (1 - beta1^t), 1 / sqrt(1 - beta2^t), 1 - beta_i and
 * 1 - lr lambda, as  param' = param (1 - lr lambda) - step m' / den,
 * den = sqrt(v') / sqrt(1 - beta2^t) + eps. One pass over memory: param, m,
 * v are read and written in place, grad is read. v must hold values >= 0.
 *
 * Error bounds (all ISAs), exact values on the right-hand sides, computed
 * from the same float inputs; C_m = beta1 |m| + (1 - beta1) |g|,
 * C_v = beta2 v + (1 - beta2) g^2, A = param (1 - lr lambda),
 * U = step m' / den, ib = 1 / sqrt(1 - beta2^t):
 *   |m'_f - m'| <= gamma_3 C_m + 2^-149
 *   |v'_f - v'| <= gamma_4 C_v + 2^-148
 *   |param'_f - param'| <= u |param'| + gamma_3 |A| + (gamma_10 + 2^-72 ib / den) |U|
 *                          + gamma_4 (step / den) C_m + 2^-147 (1 + (1 + step) / den)
 * Without cancellation (the usual case) these are a few ULP of each result.
 * Why: m' is two rounded products and a sum (gamma_3, whatever the FMA use);
 * v' the product (c2 g) g (3 roundings, c2 = 1 - beta2 rounded) and beta2 v
 * and the sum (gamma_4); den inherits half of v's error through sqrt plus 4
 * roundings (sqrt, ib, product, + eps); U adds step, the product and the
 * division and m's error scaled by step / den; the update subtracts once.
 * The 2^-k terms bound subnormal roundings. The bounds assume no float
 * overflow: (1 - beta2) g^2 and |step m'| below FLT_MAX (|g| < ~5e20 with
 * the default beta2). Beyond that v' is +inf, as its exact value rounds to,
 * and the step of that element is 0 or NaN.
 *
 * Errors: MX_ERR_ARG (NULL array with n > 0, cfg NULL), MX_ERR_DOMAIN
 * (step == 0, lr or weight_decay negative or not finite, beta1 or beta2
 * outside [0, 1), eps not finite or <= 0), MX_ERR_ISA. */
mx_status mx_adam_f32(size_t n, float *param, const float *grad, float *m, float *v,
                      const mx_adam_config *cfg, uint64_t step);

#define MX_ADAM_SIG_                                                                   \
    size_t n, float *param, const float *grad, float *m, float *v, const mx_adam_config *cfg, \
        uint64_t step
void mx_adam_f32_scalar(MX_ADAM_SIG_);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_adam_f32_avx2(MX_ADAM_SIG_);
MX_TARGET_AVX512 void mx_adam_f32_avx512(MX_ADAM_SIG_);
#endif
#if MX_ARCH_ARM64
void mx_adam_f32_neon(MX_ADAM_SIG_);
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_ACT_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_ACT_IMPLEMENTED)
#define MIXSIMD_ACT_IMPLEMENTED
#include <math.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- scalar element operations: a = x or y, b = dy, p = slope ------------- */
/* Every ISA evaluates the same expressions in the same order, lane by lane. */

/* sigmoid(x) given e = exp(-|x|). */
static inline float mx_act_sigmoid_e_s_(float x, float e) { return (x >= 0.0f ? 1.0f : e) / (1.0f + e); }
static inline float mx_act_sigmoid_s_(float x) { return mx_act_sigmoid_e_s_(x, mx_exp_f32_scalar_(-fabsf(x))); }

static inline float mx_act_relu_s_(float a, float b, float p) { (void)b; (void)p; return a < 0.0f ? 0.0f : a; }
static inline float mx_act_relu_backward_s_(float a, float b, float p) { (void)p; return a > 0.0f ? b : 0.0f; }
static inline float mx_act_leaky_relu_s_(float a, float b, float p) { (void)b; return a > 0.0f ? a : p * a; }
static inline float mx_act_leaky_relu_backward_s_(float a, float b, float p) { return a > 0.0f ? b : p * b; }
static inline float mx_act_sigmoid_op_s_(float a, float b, float p) { (void)b; (void)p; return mx_act_sigmoid_s_(a); }
static inline float mx_act_sigmoid_backward_s_(float a, float b, float p) { (void)p; return b * (a * (1.0f - a)); }
static inline float mx_act_softplus_s_(float a, float b, float p) {
    (void)b; (void)p;
    return (a > 0.0f ? a : 0.0f) + mx_log1p_f32_scalar_(mx_exp_f32_scalar_(-fabsf(a)));
}
static inline float mx_act_softplus_backward_s_(float a, float b, float p) { (void)p; return b * mx_act_sigmoid_s_(a); }
static inline float mx_act_tanh_op_s_(float a, float b, float p) { (void)b; (void)p; return mx_tanh_f32_scalar_(a); }
static inline float mx_act_tanh_backward_s_(float a, float b, float p) { (void)p; return b * ((1.0f - a) * (1.0f + a)); }

/* Argument order of each shape inside a variant: (a, b, out, n, p). */
#define MX_ACT_CALL_U_ x, x, y, n, 0.0f
#define MX_ACT_CALL_UP_ x, x, y, n, slope
#define MX_ACT_CALL_B_ in, dy, dx, n, 0.0f
#define MX_ACT_CALL_BP_ in, dy, dx, n, slope
/* Names of the per-ISA element operations (sigmoid and tanh have _op). */
#define MX_ACT_ELEM_relu relu
#define MX_ACT_ELEM_relu_backward relu_backward
#define MX_ACT_ELEM_leaky_relu leaky_relu
#define MX_ACT_ELEM_leaky_relu_backward leaky_relu_backward
#define MX_ACT_ELEM_sigmoid sigmoid_op
#define MX_ACT_ELEM_sigmoid_backward sigmoid_backward
#define MX_ACT_ELEM_softplus softplus
#define MX_ACT_ELEM_softplus_backward softplus_backward
#define MX_ACT_ELEM_tanh tanh_op
#define MX_ACT_ELEM_tanh_backward tanh_backward
#define MX_ACT_CAT3_(a, b, c) a##b##c
#define MX_ACT_OPNAME_(elem, suffix) MX_ACT_CAT3_(mx_act_, elem, suffix)

#define MX_ACT_MAP_SCALAR_(op, a, b, out, n, p) \
    for (size_t i_ = 0; i_ < (n); ++i_) (out)[i_] = op((a)[i_], (b)[i_], (p))
#define MX_ACT_DEFINE_SCALAR_(opn, shape)                                              \
    void mx_act_##opn##_f32_scalar(MX_ACT_SIG_##shape##_) {                            \
        MX_ACT_MAP_SCALAR_call_(MX_ACT_OPNAME_(MX_ACT_ELEM_##opn, _s_), MX_ACT_CALL_##shape##_); \
    }
#define MX_ACT_MAP_SCALAR_call_(op, ...) MX_ACT_MAP_SCALAR_(op, __VA_ARGS__)
MX_ACT_OPS_(MX_ACT_DEFINE_SCALAR_)

/* ---- BCE and MSE: per-row drivers ----------------------------------------- */

static inline float mx_bce_term_s_(float z, float t, float *grad) {
    const float az = fabsf(z), e = mx_exp_f32_scalar_(-az);
    const float tp = z >= 0.0f ? 1.0f - t : t; /* max(z,0) - z t = |z| tp */
    const float lin = tp != 0.0f ? az * tp : 0.0f; /* the limit 0 at z = +-inf */
    *grad = mx_act_sigmoid_e_s_(z, e) - t;
    return lin + mx_log1p_f32_scalar_(e);
}

/* Loss row driver shared by all ISAs: row(a_row, t_row, D, grad_row) -> loss. */
#define MX_LOSS_ROWS_(row)                                                                 \
    for (size_t r_ = 0; r_ < N; ++r_)                                                      \
    loss[r_] = row(A + r_ * lda, T + r_ * ldt, D, grad ? grad + r_ * ldg : NULL)

static float mx_bce_row_scalar_(const float *z, const float *t, size_t D, float *grad) {
    double sum = 0.0;
    for (size_t j = 0; j < D; ++j) {
        float g;
        sum += mx_bce_term_s_(z[j], t[j], &g);
        if (grad) grad[j] = g;
    }
    return (float)sum;
}

static float mx_mse_row_scalar_(const float *y, const float *t, size_t D, float *grad) {
    double sum = 0.0;
    for (size_t j = 0; j < D; ++j) {
        const float d = y[j] - t[j];
        sum += (double)d * (double)d; /* exact square of a float */
        if (grad) grad[j] = d;
    }
    return (float)(0.5 * sum);
}

void mx_loss_bce_logits_f32_scalar(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_bce_row_scalar_); }
void mx_loss_mse_f32_scalar(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_mse_row_scalar_); }

/* ---- Adam: coefficients computed once in double ---------------------------- */
typedef struct {
    float b1, c1, b2, c2; /* beta1, 1 - beta1, beta2, 1 - beta2 */
    float step;           /* lr / (1 - beta1^t)                 */
    float ib;             /* 1 / sqrt(1 - beta2^t)              */
    float eps;
    float decay;          /* 1 - lr lambda                      */
} mx_adam_coef_;

static mx_adam_coef_ mx_adam_coef_make_(const mx_adam_config *cfg, uint64_t t) {
    const double b1 = cfg->beta1, b2 = cfg->beta2, lr = cfg->lr;
    mx_adam_coef_ c;
    c.b1 = cfg->beta1;
    c.b2 = cfg->beta2;
    c.c1 = (float)(1.0 - b1);
    c.c2 = (float)(1.0 - b2);
    c.step = (float)(lr / (1.0 - pow(b1, (double)t)));
    c.ib = (float)(1.0 / sqrt(1.0 - pow(b2, (double)t)));
    c.eps = cfg->eps;
    c.decay = (float)(1.0 - lr * (double)cfg->weight_decay);
    return c;
}

/* One element of the update; param, m, v in/out. */
static inline void mx_adam_elem_s_(const mx_adam_coef_ *c, float *param, float g, float *m, float *v) {
    const float m1 = c->b1 * *m + c->c1 * g;
    const float v1 = c->b2 * *v + (c->c2 * g) * g;
    const float den = sqrtf(v1) * c->ib + c->eps;
    *param = *param * c->decay - (c->step * m1) / den;
    *m = m1;
    *v = v1;
}

void mx_adam_f32_scalar(MX_ADAM_SIG_) {
    const mx_adam_coef_ c = mx_adam_coef_make_(cfg, step);
    for (size_t i = 0; i < n; ++i) mx_adam_elem_s_(&c, &param[i], grad[i], &m[i], &v[i]);
}

/* ======================= AVX2 ============================================== */
#if MX_ARCH_X86

/* Lanes i < r set (r <= 8), for maskload/maskstore tails. */
MX_TARGET_AVX2 static inline __m256i mx_act_mask_avx2_(size_t r) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
MX_TARGET_AVX2 static inline __m256 mx_act_abs8_(__m256 x) {
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
}
MX_TARGET_AVX2 static inline __m256 mx_act_sigmoid_e8_(__m256 x, __m256 e) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 num = _mm256_blendv_ps(e, one, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
    return _mm256_div_ps(num, _mm256_add_ps(one, e));
}
MX_TARGET_AVX2 static inline __m256 mx_act_sigmoid8_(__m256 x) {
    return mx_act_sigmoid_e8_(x, mx_exp_f32x8_avx2_(_mm256_sub_ps(_mm256_setzero_ps(), mx_act_abs8_(x))));
}

MX_TARGET_AVX2 static inline __m256 mx_act_relu_v8_(__m256 a, __m256 b, __m256 p) {
    (void)b; (void)p;
    return _mm256_max_ps(_mm256_setzero_ps(), a); /* (0 > a) ? 0 : a, NaN passes */
}
MX_TARGET_AVX2 static inline __m256 mx_act_relu_backward_v8_(__m256 a, __m256 b, __m256 p) {
    (void)p;
    return _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ), b);
}
MX_TARGET_AVX2 static inline __m256 mx_act_leaky_relu_v8_(__m256 a, __m256 b, __m256 p) {
    (void)b;
    return _mm256_blendv_ps(_mm256_mul_ps(p, a), a, _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ));
}
MX_TARGET_AVX2 static inline __m256 mx_act_leaky_relu_backward_v8_(__m256 a, __m256 b, __m256 p) {
    return _mm256_blendv_ps(_mm256_mul_ps(p, b), b, _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ));
}
MX_TARGET_AVX2 static inline __m256 mx_act_sigmoid_op_v8_(__m256 a, __m256 b, __m256 p) {
    (void)b; (void)p;
    return mx_act_sigmoid8_(a);
}
MX_TARGET_AVX2 static inline __m256 mx_act_sigmoid_backward_v8_(__m256 a, __m256 b, __m256 p) {
    (void)p;
    return _mm256_mul_ps(b, _mm256_mul_ps(a, _mm256_sub_ps(_mm256_set1_ps(1.0f), a)));
}
MX_TARGET_AVX2 static inline __m256 mx_act_softplus_v8_(__m256 a, __m256 b, __m256 p) {
    (void)b; (void)p;
    const __m256 e = mx_exp_f32x8_avx2_(_mm256_sub_ps(_mm256_setzero_ps(), mx_act_abs8_(a)));
    return _mm256_add_ps(_mm256_max_ps(a, _mm256_setzero_ps()), mx_log1p_f32x8_avx2_(e));
}
MX_TARGET_AVX2 static inline __m256 mx_act_softplus_backward_v8_(__m256 a, __m256 b, __m256 p) {
    (void)p;
    return _mm256_mul_ps(b, mx_act_sigmoid8_(a));
}
MX_TARGET_AVX2 static inline __m256 mx_act_tanh_op_v8_(__m256 a, __m256 b, __m256 p) {
    (void)b; (void)p;
    return mx_tanh_f32x8_avx2_(a);
}
MX_TARGET_AVX2 static inline __m256 mx_act_tanh_backward_v8_(__m256 a, __m256 b, __m256 p) {
    (void)p;
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_mul_ps(b, _mm256_mul_ps(_mm256_sub_ps(one, a), _mm256_add_ps(one, a)));
}

#define MX_ACT_MAP_AVX2_(op, a, b, out, n, p)                                             \
    do {                                                                                  \
        const __m256 vp_ = _mm256_set1_ps(p);                                             \
        size_t i_ = 0;                                                                    \
        for (; i_ + 8 <= (n); i_ += 8)                                                    \
            _mm256_storeu_ps((out) + i_, op(_mm256_loadu_ps((a) + i_), _mm256_loadu_ps((b) + i_), vp_)); \
        if (i_ < (n)) {                                                                   \
            const __m256i m_ = mx_act_mask_avx2_((n) - i_);                               \
            _mm256_maskstore_ps((out) + i_, m_,                                           \
                                op(_mm256_maskload_ps((a) + i_, m_), _mm256_maskload_ps((b) + i_, m_), vp_)); \
        }                                                                                 \
    } while (0)
#define MX_ACT_MAP_AVX2_call_(op, ...) MX_ACT_MAP_AVX2_(op, __VA_ARGS__)
#define MX_ACT_DEFINE_AVX2_(opn, shape)                                                  \
    MX_TARGET_AVX2 void mx_act_##opn##_f32_avx2(MX_ACT_SIG_##shape##_) {                 \
        MX_ACT_MAP_AVX2_call_(MX_ACT_OPNAME_(MX_ACT_ELEM_##opn, _v8_), MX_ACT_CALL_##shape##_); \
    }
MX_ACT_OPS_(MX_ACT_DEFINE_AVX2_)

/* BCE terms of 8 elements: returns the loss terms, *g the gradient. */
MX_TARGET_AVX2 static inline __m256 mx_bce_term8_(__m256 z, __m256 t, __m256 *g) {
    const __m256 zero = _mm256_setzero_ps(), az = mx_act_abs8_(z);
    const __m256 e = mx_exp_f32x8_avx2_(_mm256_sub_ps(zero, az));
    const __m256 tp = _mm256_blendv_ps(t, _mm256_sub_ps(_mm256_set1_ps(1.0f), t), _mm256_cmp_ps(z, zero, _CMP_GE_OQ));
    const __m256 lin = _mm256_and_ps(_mm256_cmp_ps(tp, zero, _CMP_NEQ_UQ), _mm256_mul_ps(az, tp));
    *g = _mm256_sub_ps(mx_act_sigmoid_e8_(z, e), t);
    return _mm256_add_ps(lin, mx_log1p_f32x8_avx2_(e));
}
MX_TARGET_AVX2 static inline __m256d mx_act_add_wide8_(__m256d acc, __m256 x) { /* acc += both halves */
    return _mm256_add_pd(_mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(x))),
                         _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
}
MX_TARGET_AVX2 static inline double mx_act_hsum4d_(__m256d v) {
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

MX_TARGET_AVX2 static float mx_bce_row_avx2_(const float *z, const float *t, size_t D, float *grad) {
    __m256d acc = _mm256_setzero_pd();
    size_t j = 0;
    __m256 g;
    for (; j + 8 <= D; j += 8) {
        acc = mx_act_add_wide8_(acc, mx_bce_term8_(_mm256_loadu_ps(z + j), _mm256_loadu_ps(t + j), &g));
        if (grad) _mm256_storeu_ps(grad + j, g);
    }
    if (j < D) {
        const __m256i mk = mx_act_mask_avx2_(D - j);
        const __m256 l = mx_bce_term8_(_mm256_maskload_ps(z + j, mk), _mm256_maskload_ps(t + j, mk), &g);
        acc = mx_act_add_wide8_(acc, _mm256_and_ps(_mm256_castsi256_ps(mk), l));
        if (grad) _mm256_maskstore_ps(grad + j, mk, g);
    }
    return (float)mx_act_hsum4d_(acc);
}

MX_TARGET_AVX2 static inline __m256d mx_act_sq_wide8_(__m256d acc, __m256 d) { /* acc += d^2 */
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(d)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
    return _mm256_fmadd_pd(hi, hi, _mm256_fmadd_pd(lo, lo, acc));
}

MX_TARGET_AVX2 static float mx_mse_row_avx2_(const float *y, const float *t, size_t D, float *grad) {
    __m256d acc = _mm256_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= D; j += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(y + j), _mm256_loadu_ps(t + j));
        acc = mx_act_sq_wide8_(acc, d);
        if (grad) _mm256_storeu_ps(grad + j, d);
    }
    if (j < D) {
        const __m256i mk = mx_act_mask_avx2_(D - j);
        const __m256 d = _mm256_sub_ps(_mm256_maskload_ps(y + j, mk), _mm256_maskload_ps(t + j, mk));
        acc = mx_act_sq_wide8_(acc, d); /* masked lanes are 0 - 0 */
        if (grad) _mm256_maskstore_ps(grad + j, mk, d);
    }
    return (float)(0.5 * mx_act_hsum4d_(acc));
}

MX_TARGET_AVX2 void mx_loss_bce_logits_f32_avx2(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_bce_row_avx2_); }
MX_TARGET_AVX2 void mx_loss_mse_f32_avx2(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_mse_row_avx2_); }

MX_TARGET_AVX2 static inline void mx_adam8_(const mx_adam_coef_ *c, float *param, const float *grad,
                                            float *m, float *v, __m256i mk) {
    const __m256 g = _mm256_maskload_ps(grad, mk);
    const __m256 m1 = _mm256_fmadd_ps(_mm256_set1_ps(c->b1), _mm256_maskload_ps(m, mk),
                                      _mm256_mul_ps(_mm256_set1_ps(c->c1), g));
    const __m256 v1 = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(c->c2), g), g,
                                      _mm256_mul_ps(_mm256_set1_ps(c->b2), _mm256_maskload_ps(v, mk)));
    const __m256 den = _mm256_fmadd_ps(_mm256_sqrt_ps(v1), _mm256_set1_ps(c->ib), _mm256_set1_ps(c->eps));
    const __m256 upd = _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(c->step), m1), den);
    const __m256 p1 = _mm256_fmsub_ps(_mm256_maskload_ps(param, mk), _mm256_set1_ps(c->decay), upd);
    _mm256_maskstore_ps(param, mk, p1);
    _mm256_maskstore_ps(m, mk, m1);
    _mm256_maskstore_ps(v, mk, v1);
}

MX_TARGET_AVX2 void mx_adam_f32_avx2(MX_ADAM_SIG_) {
    const mx_adam_coef_ c = mx_adam_coef_make_(cfg, step);
    const __m256i all = _mm256_set1_epi32(-1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) mx_adam8_(&c, param + i, grad + i, m + i, v + i, all);
    if (i < n) mx_adam8_(&c, param + i, grad + i, m + i, v + i, mx_act_mask_avx2_(n - i));
}

/* ======================= AVX-512 =========================================== */

MX_TARGET_AVX512 static inline __mmask16 mx_act_mask16_(size_t r) { /* lanes i < r, r <= 16 */
    return (__mmask16)((1u << r) - 1u);
}
MX_TARGET_AVX512 static inline __m512 mx_act_sigmoid_e16_(__m512 x, __m512 e) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_div_ps(_mm512_mask_blend_ps(pos, e, one), _mm512_add_ps(one, e));
}
MX_TARGET_AVX512 static inline __m512 mx_act_sigmoid16_(__m512 x) {
    return mx_act_sigmoid_e16_(x, mx_exp_f32x16_avx512_(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x))));
}

MX_TARGET_AVX512 static inline __m512 mx_act_relu_v16_(__m512 a, __m512 b, __m512 p) {
    (void)b; (void)p;
    return _mm512_max_ps(_mm512_setzero_ps(), a); /* (0 > a) ? 0 : a, NaN passes */
}
MX_TARGET_AVX512 static inline __m512 mx_act_relu_backward_v16_(__m512 a, __m512 b, __m512 p) {
    (void)p;
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ), b);
}
MX_TARGET_AVX512 static inline __m512 mx_act_leaky_relu_v16_(__m512 a, __m512 b, __m512 p) {
    (void)b;
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_mul_ps(p, a), a);
}
MX_TARGET_AVX512 static inline __m512 mx_act_leaky_relu_backward_v16_(__m512 a, __m512 b, __m512 p) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_mul_ps(p, b), b);
}
MX_TARGET_AVX512 static inline __m512 mx_act_sigmoid_op_v16_(__m512 a, __m512 b, __m512 p) {
    (void)b; (void)p;
    return mx_act_sigmoid16_(a);
}
MX_TARGET_AVX512 static inline __m512 mx_act_sigmoid_backward_v16_(__m512 a, __m512 b, __m512 p) {
    (void)p;
    return _mm512_mul_ps(b, _mm512_mul_ps(a, _mm512_sub_ps(_mm512_set1_ps(1.0f), a)));
}
MX_TARGET_AVX512 static inline __m512 mx_act_softplus_v16_(__m512 a, __m512 b, __m512 p) {
    (void)b; (void)p;
    const __m512 e = mx_exp_f32x16_avx512_(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(a)));
    return _mm512_add_ps(_mm512_max_ps(a, _mm512_setzero_ps()), mx_log1p_f32x16_avx512_(e));
}
MX_TARGET_AVX512 static inline __m512 mx_act_softplus_backward_v16_(__m512 a, __m512 b, __m512 p) {
    (void)p;
    return _mm512_mul_ps(b, mx_act_sigmoid16_(a));
}
MX_TARGET_AVX512 static inline __m512 mx_act_tanh_op_v16_(__m512 a, __m512 b, __m512 p) {
    (void)b; (void)p;
    return mx_tanh_f32x16_avx512_(a);
}
MX_TARGET_AVX512 static inline __m512 mx_act_tanh_backward_v16_(__m512 a, __m512 b, __m512 p) {
    (void)p;
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_mul_ps(b, _mm512_mul_ps(_mm512_sub_ps(one, a), _mm512_add_ps(one, a)));
}

#define MX_ACT_MAP_AVX512_(op, a, b, out, n, p)                                           \
    do {                                                                                  \
        const __m512 vp_ = _mm512_set1_ps(p);                                             \
        size_t i_ = 0;                                                                    \
        for (; i_ + 16 <= (n); i_ += 16)                                                  \
            _mm512_storeu_ps((out) + i_, op(_mm512_loadu_ps((a) + i_), _mm512_loadu_ps((b) + i_), vp_)); \
        if (i_ < (n)) {                                                                   \
            const __mmask16 m_ = mx_act_mask16_((n) - i_);                                \
            _mm512_mask_storeu_ps((out) + i_, m_,                                         \
                                  op(_mm512_maskz_loadu_ps(m_, (a) + i_), _mm512_maskz_loadu_ps(m_, (b) + i_), vp_)); \
        }                                                                                 \
    } while (0)
#define MX_ACT_MAP_AVX512_call_(op, ...) MX_ACT_MAP_AVX512_(op, __VA_ARGS__)
#define MX_ACT_DEFINE_AVX512_(opn, shape)                                                \
    MX_TARGET_AVX512 void mx_act_##opn##_f32_avx512(MX_ACT_SIG_##shape##_) {             \
        MX_ACT_MAP_AVX512_call_(MX_ACT_OPNAME_(MX_ACT_ELEM_##opn, _v16_), MX_ACT_CALL_##shape##_); \
    }
MX_ACT_OPS_(MX_ACT_DEFINE_AVX512_)

MX_TARGET_AVX512 static inline __m512 mx_bce_term16_(__m512 z, __m512 t, __m512 *g) {
    const __m512 zero = _mm512_setzero_ps(), az = _mm512_abs_ps(z);
    const __m512 e = mx_exp_f32x16_avx512_(_mm512_sub_ps(zero, az));
    const __mmask16 pos = _mm512_cmp_ps_mask(z, zero, _CMP_GE_OQ);
    const __m512 tp = _mm512_mask_blend_ps(pos, t, _mm512_sub_ps(_mm512_set1_ps(1.0f), t));
    const __m512 lin = _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(tp, zero, _CMP_NEQ_UQ), az, tp);
    *g = _mm512_sub_ps(mx_act_sigmoid_e16_(z, e), t);
    return _mm512_add_ps(lin, mx_log1p_f32x16_avx512_(e));
}
MX_TARGET_AVX512 static inline __m512d mx_act_add_wide16_(__m512d acc, __m512 x) {
    return _mm512_add_pd(_mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(x))),
                         _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
}

MX_TARGET_AVX512 static float mx_bce_row_avx512_(const float *z, const float *t, size_t D, float *grad) {
    __m512d acc = _mm512_setzero_pd();
    __m512 g;
    size_t j = 0;
    for (; j + 16 <= D; j += 16) {
        acc = mx_act_add_wide16_(acc, mx_bce_term16_(_mm512_loadu_ps(z + j), _mm512_loadu_ps(t + j), &g));
        if (grad) _mm512_storeu_ps(grad + j, g);
    }
    if (j < D) {
        const __mmask16 mk = mx_act_mask16_(D - j);
        const __m512 l = mx_bce_term16_(_mm512_maskz_loadu_ps(mk, z + j), _mm512_maskz_loadu_ps(mk, t + j), &g);
        acc = mx_act_add_wide16_(acc, _mm512_maskz_mov_ps(mk, l));
        if (grad) _mm512_mask_storeu_ps(grad + j, mk, g);
    }
    return (float)_mm512_reduce_add_pd(acc);
}

MX_TARGET_AVX512 static inline __m512d mx_act_sq_wide16_(__m512d acc, __m512 d) {
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(d)), hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(d, 1));
    return _mm512_fmadd_pd(hi, hi, _mm512_fmadd_pd(lo, lo, acc));
}

MX_TARGET_AVX512 static float mx_mse_row_avx512_(const float *y, const float *t, size_t D, float *grad) {
    __m512d acc = _mm512_setzero_pd();
    size_t j = 0;
    for (; j + 16 <= D; j += 16) {
        const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(y + j), _mm512_loadu_ps(t + j));
        acc = mx_act_sq_wide16_(acc, d);
        if (grad) _mm512_storeu_ps(grad + j, d);
    }
    if (j < D) {
        const __mmask16 mk = mx_act_mask16_(D - j);
        const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, y + j), _mm512_maskz_loadu_ps(mk, t + j));
        acc = mx_act_sq_wide16_(acc, d);
        if (grad) _mm512_mask_storeu_ps(grad + j, mk, d);
    }
    return (float)(0.5 * _mm512_reduce_add_pd(acc));
}

MX_TARGET_AVX512 void mx_loss_bce_logits_f32_avx512(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_bce_row_avx512_); }
MX_TARGET_AVX512 void mx_loss_mse_f32_avx512(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_mse_row_avx512_); }

MX_TARGET_AVX512 static inline void mx_adam16_(const mx_adam_coef_ *c, float *param, const float *grad,
                                               float *m, float *v, __mmask16 mk) {
    const __m512 g = _mm512_maskz_loadu_ps(mk, grad);
    const __m512 m1 = _mm512_fmadd_ps(_mm512_set1_ps(c->b1), _mm512_maskz_loadu_ps(mk, m),
                                      _mm512_mul_ps(_mm512_set1_ps(c->c1), g));
    const __m512 v1 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(c->c2), g), g,
                                      _mm512_mul_ps(_mm512_set1_ps(c->b2), _mm512_maskz_loadu_ps(mk, v)));
    const __m512 den = _mm512_fmadd_ps(_mm512_sqrt_ps(v1), _mm512_set1_ps(c->ib), _mm512_set1_ps(c->eps));
    const __m512 upd = _mm512_div_ps(_mm512_mul_ps(_mm512_set1_ps(c->step), m1), den);
    const __m512 p1 = _mm512_fmsub_ps(_mm512_maskz_loadu_ps(mk, param), _mm512_set1_ps(c->decay), upd);
    _mm512_mask_storeu_ps(param, mk, p1);
    _mm512_mask_storeu_ps(m, mk, m1);
    _mm512_mask_storeu_ps(v, mk, v1);
}

MX_TARGET_AVX512 void mx_adam_f32_avx512(MX_ADAM_SIG_) {
    const mx_adam_coef_ c = mx_adam_coef_make_(cfg, step);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) mx_adam16_(&c, param + i, grad + i, m + i, v + i, (__mmask16)0xFFFF);
    if (i < n) mx_adam16_(&c, param + i, grad + i, m + i, v + i, mx_act_mask16_(n - i));
}
#endif /* MX_ARCH_X86 */

/* ======================= NEON ============================================== */
#if MX_ARCH_ARM64

static inline float32x4_t mx_act_sigmoid_e4_(float32x4_t x, float32x4_t e) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    const float32x4_t num = vbslq_f32(vcgeq_f32(x, vdupq_n_f32(0.0f)), one, e);
    return vdivq_f32(num, vaddq_f32(one, e));
}
static inline float32x4_t mx_act_sigmoid4_(float32x4_t x) {
    return mx_act_sigmoid_e4_(x, mx_exp_f32x4_neon_(vnegq_f32(vabsq_f32(x))));
}

static inline float32x4_t mx_act_relu_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)b; (void)p;
    return vbslq_f32(vcltq_f32(a, vdupq_n_f32(0.0f)), vdupq_n_f32(0.0f), a); /* NaN, -0 pass */
}
static inline float32x4_t mx_act_relu_backward_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)p;
    return vbslq_f32(vcgtq_f32(a, vdupq_n_f32(0.0f)), b, vdupq_n_f32(0.0f));
}
static inline float32x4_t mx_act_leaky_relu_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)b;
    return vbslq_f32(vcgtq_f32(a, vdupq_n_f32(0.0f)), a, vmulq_f32(p, a));
}
static inline float32x4_t mx_act_leaky_relu_backward_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    return vbslq_f32(vcgtq_f32(a, vdupq_n_f32(0.0f)), b, vmulq_f32(p, b));
}
static inline float32x4_t mx_act_sigmoid_op_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)b; (void)p;
    return mx_act_sigmoid4_(a);
}
static inline float32x4_t mx_act_sigmoid_backward_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)p;
    return vmulq_f32(b, vmulq_f32(a, vsubq_f32(vdupq_n_f32(1.0f), a)));
}
static inline float32x4_t mx_act_softplus_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)b; (void)p;
    const float32x4_t e = mx_exp_f32x4_neon_(vnegq_f32(vabsq_f32(a)));
    const float32x4_t pos = vbslq_f32(vcgtq_f32(a, vdupq_n_f32(0.0f)), a, vdupq_n_f32(0.0f));
    return vaddq_f32(pos, mx_log1p_f32x4_neon_(e));
}
static inline float32x4_t mx_act_softplus_backward_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)p;
    return vmulq_f32(b, mx_act_sigmoid4_(a));
}
static inline float32x4_t mx_act_tanh_op_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)b; (void)p;
    return mx_tanh_f32x4_neon_(a);
}
static inline float32x4_t mx_act_tanh_backward_v4_(float32x4_t a, float32x4_t b, float32x4_t p) {
    (void)p;
    const float32x4_t one = vdupq_n_f32(1.0f);
    return vmulq_f32(b, vmulq_f32(vsubq_f32(one, a), vaddq_f32(one, a)));
}

/* NEON has no masked loads: the tail goes through a zero-padded local copy. */
#define MX_ACT_MAP_NEON_(op, a, b, out, n, p)                                             \
    do {                                                                                  \
        const float32x4_t vp_ = vdupq_n_f32(p);                                           \
        size_t i_ = 0;                                                                    \
        for (; i_ + 4 <= (n); i_ += 4)                                                    \
            vst1q_f32((out) + i_, op(vld1q_f32((a) + i_), vld1q_f32((b) + i_), vp_));     \
        if (i_ < (n)) {                                                                   \
            float ta_[4] = {0}, tb_[4] = {0}, to_[4];                                     \
            const size_t r_ = (n) - i_;                                                   \
            memcpy(ta_, (a) + i_, r_ * sizeof(float));                                    \
            memcpy(tb_, (b) + i_, r_ * sizeof(float));                                    \
            vst1q_f32(to_, op(vld1q_f32(ta_), vld1q_f32(tb_), vp_));                      \
            memcpy((out) + i_, to_, r_ * sizeof(float));                                  \
        }                                                                                 \
    } while (0)
#define MX_ACT_MAP_NEON_call_(op, ...) MX_ACT_MAP_NEON_(op, __VA_ARGS__)
#define MX_ACT_DEFINE_NEON_(opn, shape)                                                  \
    void mx_act_##opn##_f32_neon(MX_ACT_SIG_##shape##_) {                                \
        MX_ACT_MAP_NEON_call_(MX_ACT_OPNAME_(MX_ACT_ELEM_##opn, _v4_), MX_ACT_CALL_##shape##_); \
    }
MX_ACT_OPS_(MX_ACT_DEFINE_NEON_)

static inline float32x4_t mx_bce_term4_(float32x4_t z, float32x4_t t, float32x4_t *g) {
    const float32x4_t zero = vdupq_n_f32(0.0f), az = vabsq_f32(z);
    const float32x4_t e = mx_exp_f32x4_neon_(vnegq_f32(az));
    const float32x4_t tp = vbslq_f32(vcgeq_f32(z, zero), vsubq_f32(vdupq_n_f32(1.0f), t), t);
    const float32x4_t lin = vbslq_f32(vceqq_f32(tp, zero), zero, vmulq_f32(az, tp));
    *g = vsubq_f32(mx_act_sigmoid_e4_(z, e), t);
    return vaddq_f32(lin, mx_log1p_f32x4_neon_(e));
}
static inline float64x2_t mx_act_add_wide4_(float64x2_t acc, float32x4_t x) {
    return vaddq_f64(vaddq_f64(acc, vcvt_f64_f32(vget_low_f32(x))), vcvt_high_f64_f32(x));
}
static inline float64x2_t mx_act_sq_wide4_(float64x2_t acc, float32x4_t d) {
    const float64x2_t lo = vcvt_f64_f32(vget_low_f32(d)), hi = vcvt_high_f64_f32(d);
    return vfmaq_f64(vfmaq_f64(acc, lo, lo), hi, hi);
}

/* Rows of the losses; the tail goes through zero-padded local copies and only
 * its first r terms are added. */
static float mx_bce_row_neon_(const float *z, const float *t, size_t D, float *grad) {
    float64x2_t acc = vdupq_n_f64(0.0);
    float32x4_t g;
    size_t j = 0;
    for (; j + 4 <= D; j += 4) {
        acc = mx_act_add_wide4_(acc, mx_bce_term4_(vld1q_f32(z + j), vld1q_f32(t + j), &g));
        if (grad) vst1q_f32(grad + j, g);
    }
    double tail = 0.0;
    if (j < D) {
        float tz[4] = {0}, tt[4] = {0}, tl[4], tg[4];
        const size_t r = D - j;
        memcpy(tz, z + j, r * sizeof(float));
        memcpy(tt, t + j, r * sizeof(float));
        vst1q_f32(tl, mx_bce_term4_(vld1q_f32(tz), vld1q_f32(tt), &g));
        vst1q_f32(tg, g);
        for (size_t k = 0; k < r; ++k) tail += tl[k];
        if (grad) memcpy(grad + j, tg, r * sizeof(float));
    }
    return (float)(vaddvq_f64(acc) + tail);
}

static float mx_mse_row_neon_(const float *y, const float *t, size_t D, float *grad) {
    float64x2_t acc = vdupq_n_f64(0.0);
    size_t j = 0;
    for (; j + 4 <= D; j += 4) {
        const float32x4_t d = vsubq_f32(vld1q_f32(y + j), vld1q_f32(t + j));
        acc = mx_act_sq_wide4_(acc, d);
        if (grad) vst1q_f32(grad + j, d);
    }
    if (j < D) {
        float ty[4] = {0}, tt[4] = {0}, td[4];
        const size_t r = D - j;
        memcpy(ty, y + j, r * sizeof(float));
        memcpy(tt, t + j, r * sizeof(float));
        const float32x4_t d = vsubq_f32(vld1q_f32(ty), vld1q_f32(tt)); /* padded lanes 0 */
        acc = mx_act_sq_wide4_(acc, d);
        vst1q_f32(td, d);
        if (grad) memcpy(grad + j, td, r * sizeof(float));
    }
    return (float)(0.5 * vaddvq_f64(acc));
}

void mx_loss_bce_logits_f32_neon(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_bce_row_neon_); }
void mx_loss_mse_f32_neon(MX_LOSS_SIG_) { MX_LOSS_ROWS_(mx_mse_row_neon_); }

static inline void mx_adam4_(const mx_adam_coef_ *c, float *param, const float *grad, float *m,
                             float *v) {
    const float32x4_t g = vld1q_f32(grad);
    const float32x4_t m1 = vfmaq_f32(vmulq_n_f32(g, c->c1), vdupq_n_f32(c->b1), vld1q_f32(m));
    const float32x4_t v1 = vfmaq_f32(vmulq_n_f32(vld1q_f32(v), c->b2), vmulq_n_f32(g, c->c2), g);
    const float32x4_t den = vfmaq_f32(vdupq_n_f32(c->eps), vsqrtq_f32(v1), vdupq_n_f32(c->ib));
    const float32x4_t upd = vdivq_f32(vmulq_n_f32(m1, c->step), den);
    /* vfmsq(upd, p, decay) = upd - p decay; its negation is p decay - upd exactly */
    vst1q_f32(param, vnegq_f32(vfmsq_f32(upd, vld1q_f32(param), vdupq_n_f32(c->decay))));
    vst1q_f32(m, m1);
    vst1q_f32(v, v1);
}

void mx_adam_f32_neon(MX_ADAM_SIG_) {
    const mx_adam_coef_ c = mx_adam_coef_make_(cfg, step);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) mx_adam4_(&c, param + i, grad + i, m + i, v + i);
    if (i < n) {
        float tp[4] = {0}, tg[4] = {0}, tm[4] = {0}, tv[4] = {0};
        const size_t r = (n - i) * sizeof(float);
        memcpy(tp, param + i, r);
        memcpy(tg, grad + i, r);
        memcpy(tm, m + i, r);
        memcpy(tv, v + i, r);
        mx_adam4_(&c, tp, tg, tm, tv);
        memcpy(param + i, tp, r);
        memcpy(m + i, tm, r);
        memcpy(v + i, tv, r);
    }
}
#endif /* MX_ARCH_ARM64 */

/* ======================= dispatched entries ================================ */

static int mx_act_slope_ok_(float slope) { return isfinite(slope) && slope >= 0.0f; }

#define MX_ACT_CHECK_U_ if (n && (!x || !y)) return MX_ERR_ARG;
#define MX_ACT_CHECK_UP_ MX_ACT_CHECK_U_ if (!mx_act_slope_ok_(slope)) return MX_ERR_DOMAIN;
#define MX_ACT_CHECK_B_ if (n && (!in || !dy || !dx)) return MX_ERR_ARG;
#define MX_ACT_CHECK_BP_ MX_ACT_CHECK_B_ if (!mx_act_slope_ok_(slope)) return MX_ERR_DOMAIN;
#define MX_ACT_ARGS_U_ (x, y, n)
#define MX_ACT_ARGS_UP_ (x, y, n, slope)
#define MX_ACT_ARGS_B_ (in, dy, dx, n)
#define MX_ACT_ARGS_BP_ (in, dy, dx, n, slope)
#define MX_ACT_DEFINE_ENTRY_(opn, shape)                                   \
    mx_status mx_act_##opn##_f32(MX_ACT_SIG_##shape##_) {                  \
        MX_ACT_CHECK_##shape##_                                            \
        MX_DISPATCH(mx_act_##opn##_f32, MX_ACT_ARGS_##shape##_);           \
        return MX_OK;                                                      \
    }
MX_ACT_OPS_(MX_ACT_DEFINE_ENTRY_)

static mx_status mx_loss_check_(size_t N, size_t D, const float *A, size_t lda, const float *T,
                                size_t ldt, const float *loss, const float *grad, size_t ldg) {
    if (N == 0) return MX_OK;
    if (loss == NULL || (D > 0 && (A == NULL || T == NULL))) return MX_ERR_ARG;
    if (lda < D || ldt < D || (grad != NULL && ldg < D)) return MX_ERR_ARG;
    return MX_OK;
}

mx_status mx_loss_bce_logits_f32(size_t N, size_t D, const float *Z, size_t ldz, const float *T,
                                 size_t ldt, float *loss, float *grad, size_t ldg) {
    mx_status st = mx_loss_check_(N, D, Z, ldz, T, ldt, loss, grad, ldg);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_loss_bce_logits_f32, (N, D, Z, ldz, T, ldt, loss, grad, ldg));
    return MX_OK;
}

mx_status mx_loss_mse_f32(size_t N, size_t D, const float *Y, size_t ldy, const float *T,
                          size_t ldt, float *loss, float *grad, size_t ldg) {
    mx_status st = mx_loss_check_(N, D, Y, ldy, T, ldt, loss, grad, ldg);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_loss_mse_f32, (N, D, Y, ldy, T, ldt, loss, grad, ldg));
    return MX_OK;
}

static int mx_adam_config_ok_(const mx_adam_config *c) {
    return isfinite(c->lr) && c->lr >= 0.0f && c->beta1 >= 0.0f && c->beta1 < 1.0f &&
           c->beta2 >= 0.0f && c->beta2 < 1.0f && isfinite(c->eps) && c->eps > 0.0f &&
           isfinite(c->weight_decay) && c->weight_decay >= 0.0f;
}

mx_status mx_adam_f32(size_t n, float *param, const float *grad, float *m, float *v,
                      const mx_adam_config *cfg, uint64_t step) {
    if (cfg == NULL || (n && (!param || !grad || !m || !v))) return MX_ERR_ARG;
    if (step == 0 || !mx_adam_config_ok_(cfg)) return MX_ERR_DOMAIN;
    MX_DISPATCH(mx_adam_f32, (n, param, grad, m, v, cfg, step));
    return MX_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_IMPLEMENTATION */
