#define _POSIX_C_SOURCE 200809L /* setenv */
/* Agreement tests of the act family (activations, losses, Adam) against the
 * double-precision reference, with the error bounds documented in act.h. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/act.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_act.h"
#include "testutil.h"

static const double U_ = 0x1p-24; /* unit roundoff of float32 */
static double gam(double k) { return k * U_ / (1.0 - k * U_); }
static double gam53(double k) { return k * 0x1p-53 / (1.0 - k * 0x1p-53); }

/* The exact value as a float result can represent it: beyond the overflow
 * threshold the correctly rounded result is an infinity. */
static double as_float_range(double want) {
    return isinf((float)want) && !isinf(want) ? (double)(float)want : want;
}

/* ======================================================================== */
/* elementwise activations                                                  */
/* ======================================================================== */

typedef void (*act_u_fn)(const float *, float *, size_t);
typedef void (*act_up_fn)(const float *, float *, size_t, float);
typedef void (*act_b_fn)(const float *, const float *, float *, size_t);
typedef void (*act_bp_fn)(const float *, const float *, float *, size_t, float);

/* Uniform call shape for every op: (a, b, out, n, p). */
typedef void (*act_run_fn)(mx_isa isa, const float *a, const float *b, float *out, size_t n, float p);
typedef mx_status (*act_entry_fn)(const float *a, const float *b, float *out, size_t n, float p);

#define RUNNER_U_(op)                                                                     \
    static void run_##op(mx_isa isa, const float *a, const float *b, float *o, size_t n, float p) { \
        static const act_u_fn v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_act_##op##_f32);     \
        (void)b; (void)p;                                                                 \
        v[isa](a, o, n);                                                                  \
    }                                                                                     \
    static mx_status entry_##op(const float *a, const float *b, float *o, size_t n, float p) { \
        (void)b; (void)p;                                                                 \
        return mx_act_##op##_f32(a, o, n);                                                \
    }
#define RUNNER_UP_(op)                                                                    \
    static void run_##op(mx_isa isa, const float *a, const float *b, float *o, size_t n, float p) { \
        static const act_up_fn v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_act_##op##_f32);    \
        (void)b;                                                                          \
        v[isa](a, o, n, p);                                                               \
    }                                                                                     \
    static mx_status entry_##op(const float *a, const float *b, float *o, size_t n, float p) { \
        (void)b;                                                                          \
        return mx_act_##op##_f32(a, o, n, p);                                             \
    }
#define RUNNER_B_(op)                                                                     \
    static void run_##op(mx_isa isa, const float *a, const float *b, float *o, size_t n, float p) { \
        static const act_b_fn v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_act_##op##_f32);     \
        (void)p;                                                                          \
        v[isa](a, b, o, n);                                                               \
    }                                                                                     \
    static mx_status entry_##op(const float *a, const float *b, float *o, size_t n, float p) { \
        (void)p;                                                                          \
        return mx_act_##op##_f32(a, b, o, n);                                             \
    }
#define RUNNER_BP_(op)                                                                    \
    static void run_##op(mx_isa isa, const float *a, const float *b, float *o, size_t n, float p) { \
        static const act_bp_fn v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_act_##op##_f32);    \
        v[isa](a, b, o, n, p);                                                            \
    }                                                                                     \
    static mx_status entry_##op(const float *a, const float *b, float *o, size_t n, float p) { \
        return mx_act_##op##_f32(a, b, o, n, p);                                          \
    }
#define RUNNER_(op, shape) RUNNER_##shape##_(op)
MX_ACT_OPS_(RUNNER_)

static double ref_relu(double a, double b, double p) { (void)b; (void)p; return mx_ref_relu(a); }
static double ref_relu_backward(double a, double b, double p) { (void)p; return mx_ref_relu_backward(a, b); }
static double ref_leaky_relu(double a, double b, double p) { (void)b; return mx_ref_leaky_relu(a, p); }
static double ref_leaky_relu_backward(double a, double b, double p) { return mx_ref_leaky_relu_backward(a, b, p); }
static double ref_sigmoid(double a, double b, double p) { (void)b; (void)p; return mx_ref_sigmoid(a); }
static double ref_sigmoid_backward(double a, double b, double p) { (void)p; return mx_ref_sigmoid_backward(a, b); }
static double ref_softplus(double a, double b, double p) { (void)b; (void)p; return mx_ref_softplus(a); }
static double ref_softplus_backward(double a, double b, double p) { (void)p; return mx_ref_softplus_backward(a, b); }
static double ref_tanh(double a, double b, double p) { (void)b; (void)p; return mx_ref_tanh(a); }
static double ref_tanh_backward(double a, double b, double p) { (void)p; return mx_ref_tanh_backward(a, b); }

/* What the first input a is: the forward input x, or a forward output y. */
enum { DOM_X, DOM_Y_SIGMOID, DOM_Y_TANH, DOM_Y_RELU };

typedef struct {
    const char *name;
    act_run_fn run;
    act_entry_fn entry;
    double (*ref)(double a, double b, double p);
    int domain;
    int has_slope, binary;
    double ulps;    /* documented bound in ULP of the exact result */
    double abs_dy;  /* plus abs_dy |dy| 2^-148 (softplus backward) */
} act_op;

static const act_op act_ops[] = {
    {"relu", run_relu, entry_relu, ref_relu, DOM_X, 0, 0, 0.0, 0},
    {"relu_backward", run_relu_backward, entry_relu_backward, ref_relu_backward, DOM_Y_RELU, 0, 1, 0.0, 0},
    {"leaky_relu", run_leaky_relu, entry_leaky_relu, ref_leaky_relu, DOM_X, 1, 0, 0.5, 0},
    {"leaky_relu_backward", run_leaky_relu_backward, entry_leaky_relu_backward, ref_leaky_relu_backward, DOM_Y_RELU, 1, 1, 0.5, 0},
    {"sigmoid", run_sigmoid, entry_sigmoid, ref_sigmoid, DOM_X, 0, 0, 4.0, 0},
    {"sigmoid_backward", run_sigmoid_backward, entry_sigmoid_backward, ref_sigmoid_backward, DOM_Y_SIGMOID, 0, 1, 3.0, 0},
    {"softplus", run_softplus, entry_softplus, ref_softplus, DOM_X, 0, 0, 5.0, 0},
    {"softplus_backward", run_softplus_backward, entry_softplus_backward, ref_softplus_backward, DOM_X, 0, 1, 5.0, 1},
    {"tanh", run_tanh, entry_tanh, ref_tanh, DOM_X, 0, 0, 1.0, 0},
    {"tanh_backward", run_tanh_backward, entry_tanh_backward, ref_tanh_backward, DOM_Y_TANH, 0, 1, 4.0, 0},
};
enum { N_ACT_OPS = sizeof act_ops / sizeof act_ops[0] };

/* Values that break naive code: overflow edges of exp, denormals, signed
 * zeros, infinities, NaN, the largest floats. */
static const float adversarial_x[] = {
    0.0f, -0.0f, 1.0f, -1.0f, 1e30f, -1e30f, 88.7f, -88.7f, 88.73f, -88.73f, 87.3f, -87.3f,
    103.9f, -103.9f, 104.0f, -104.0f, 1e-40f, -1e-40f, FLT_MIN, -FLT_MIN, 0x1p-149f, -0x1p-149f,
    FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, 20.0f, -20.0f, 9.0f, -9.0f, 1e-7f, -1e-7f,
    0.5f, -0.5f, 16.6f, -16.6f, 1e10f, -1e10f};
static const float adversarial_dy[] = {
    1.0f, -1.0f, 1e30f, -1e30f, 1e-40f, -1e-40f, 0.0f, -0.0f, FLT_MIN, 3.0f, -7.5f, 1e-20f,
    1e20f, -FLT_MAX, 0.25f, NAN, 2.0f};
enum { N_ADV_X = sizeof adversarial_x / sizeof adversarial_x[0],
       N_ADV_DY = sizeof adversarial_dy / sizeof adversarial_dy[0] };

/* Forward outputs y for backward ops, computed in double and rounded. */
static float y_from_x(int domain, float x, float slope) {
    switch (domain) {
    case DOM_Y_SIGMOID: return (float)mx_ref_sigmoid(x);
    case DOM_Y_TANH: return (float)mx_ref_tanh(x);
    case DOM_Y_RELU: return (float)mx_ref_leaky_relu(x, slope);
    default: return x;
    }
}

static const float test_slope = 0.01f;

/* Inputs: normal draws scaled widely, every 5th element an adversarial value. */
static void act_inputs(const act_op *op, mx_test_rng *r, float *a, float *b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        float x = (float)(mx_test_normal(r) * (i % 3 == 0 ? 30.0 : 3.0));
        if (i % 5 == 4) x = adversarial_x[(i / 5) % N_ADV_X];
        a[i] = y_from_x(op->domain, x, test_slope);
        b[i] = (i % 7 == 6) ? adversarial_dy[(i / 7) % N_ADV_DY] : (float)mx_test_normal(r);
    }
}

/* want[i] and the documented bound[i]. */
static void act_expect(const act_op *op, const float *a, const float *b, size_t n, float p,
                       double *want, double *bound) {
    for (size_t i = 0; i < n; ++i) {
        want[i] = as_float_range(op->ref(a[i], op->binary ? b[i] : 0.0, p));
        bound[i] = op->ulps * mx_ulp_f32(want[i]) +
                   (op->abs_dy ? op->abs_dy * fabs((double)b[i]) * 0x1p-148 : 0.0);
    }
}

static void act_check(const act_op *op, mx_isa isa, const float *a, const float *b, size_t n,
                      const char *what) {
    float *out = mx_test_floats(n + 1);
    double *want = mx_test_doubles(n), *bound = mx_test_doubles(n);
    out[n] = 777.0f; /* sentinel: nothing past the end is written */
    op->run(isa, a, b, out, n, test_slope);
    act_expect(op, a, b, n, test_slope, want, bound);
    mx_assert_check(mx_check_abs(out, want, bound, n), "%s/%s %s n=%zu", op->name, mx_isa_name(isa), what, n);
    cr_assert_eq(out[n], 777.0f, "%s wrote past the end (n=%zu)", op->name, n);
    free(out);
    free(want);
    free(bound);
}

static void act_sweep(const act_op *op, mx_isa isa) {
    mx_test_rng r = mx_test_rng_seed(0xAC7 + (uint64_t)isa);
    const size_t extra[] = {1000, 4099};
    for (size_t s = 0; s < mx_test_sizes_count + 2; ++s) {
        const size_t n = s < mx_test_sizes_count ? mx_test_sizes[s] : extra[s - mx_test_sizes_count];
        float *a = mx_test_floats(n), *b = mx_test_floats(n);
        act_inputs(op, &r, a, b, n);
        act_check(op, isa, a, b, n, "sweep");
        /* unaligned start: the same data one element in */
        if (n > 1) act_check(op, isa, a + 1, b + 1, n - 1, "offset");
        free(a);
        free(b);
    }
}

/* Every adversarial x (as a forward output for backward ops) against every dy. */
static void act_adversarial(const act_op *op, mx_isa isa) {
    const size_t n = N_ADV_X * N_ADV_DY;
    float *a = mx_test_floats(n), *b = mx_test_floats(n);
    for (size_t i = 0; i < N_ADV_X; ++i)
        for (size_t j = 0; j < N_ADV_DY; ++j) {
            a[i * N_ADV_DY + j] = y_from_x(op->domain, adversarial_x[i], test_slope);
            b[i * N_ADV_DY + j] = adversarial_dy[j];
        }
    act_check(op, isa, a, b, n, "adversarial");
    free(a);
    free(b);
}

/* In place (out == a, and out == b for binary ops) gives the same bits. */
static void act_in_place(const act_op *op, mx_isa isa) {
    const size_t n = 101;
    mx_test_rng r = mx_test_rng_seed(77);
    float *a = mx_test_floats(n), *b = mx_test_floats(n), *ref = mx_test_floats(n), *io = mx_test_floats(n);
    act_inputs(op, &r, a, b, n);
    op->run(isa, a, b, ref, n, test_slope);
    memcpy(io, a, n * sizeof(float));
    op->run(isa, io, b, io, n, test_slope);
    cr_assert(memcmp(io, ref, n * sizeof(float)) == 0, "%s in place over the input differs", op->name);
    if (op->binary) {
        memcpy(io, b, n * sizeof(float));
        op->run(isa, a, io, io, n, test_slope);
        cr_assert(memcmp(io, ref, n * sizeof(float)) == 0, "%s in place over dy differs", op->name);
    }
    free(a);
    free(b);
    free(ref);
    free(io);
}

/* The same comparison rejects results 3 bounds away (or 1 ULP for exact ops). */
static void act_rejects(const act_op *op, mx_isa isa) {
    const size_t n = 64;
    mx_test_rng r = mx_test_rng_seed(99);
    float *a = mx_test_floats(n), *b = mx_test_floats(n), *out = mx_test_floats(n);
    double *want = mx_test_doubles(n), *bound = mx_test_doubles(n);
    for (size_t i = 0; i < n; ++i) {
        a[i] = y_from_x(op->domain, (float)(mx_test_normal(&r) * 2.0), test_slope);
        b[i] = (float)mx_test_normal(&r) + 2.0f;
    }
    op->run(isa, a, b, out, n, test_slope);
    act_expect(op, a, b, n, test_slope, want, bound);
    mx_assert_check(mx_check_abs(out, want, bound, n), "%s unperturbed", op->name);
    const size_t k = 17;
    out[k] = bound[k] > 0 ? (float)(want[k] + 3.0 * bound[k]) : nextafterf(out[k], INFINITY);
    mx_assert_rejects(mx_check_abs(out, want, bound, n), "%s perturbed", op->name);
    free(a);
    free(b);
    free(out);
    free(want);
    free(bound);
}

static void act_kernel(size_t k, mx_isa isa) {
    act_sweep(&act_ops[k], isa);
    act_adversarial(&act_ops[k], isa);
    act_in_place(&act_ops[k], isa);
    act_rejects(&act_ops[k], isa);
}

MX_ISA_TEST(act, relu) { act_kernel(0, isa); }
MX_ISA_TEST(act, relu_backward) { act_kernel(1, isa); }
MX_ISA_TEST(act, leaky_relu) { act_kernel(2, isa); }
MX_ISA_TEST(act, leaky_relu_backward) { act_kernel(3, isa); }
MX_ISA_TEST(act, sigmoid) { act_kernel(4, isa); }
MX_ISA_TEST(act, sigmoid_backward) { act_kernel(5, isa); }
MX_ISA_TEST(act, softplus) { act_kernel(6, isa); }
MX_ISA_TEST(act, softplus_backward) { act_kernel(7, isa); }
MX_ISA_TEST(act, tanh) { act_kernel(8, isa); }
MX_ISA_TEST(act, tanh_backward) { act_kernel(9, isa); }

Test(act, special_values) {
    /* the limits the header promises, through the dispatched entries */
    const float x[] = {INFINITY, -INFINITY, NAN, -0.0f};
    float y[4];
    cr_assert_eq(mx_act_sigmoid_f32(x, y, 4), MX_OK);
    cr_assert(y[0] == 1.0f && y[1] == 0.0f && isnan(y[2]) && y[3] == 0.5f);
    cr_assert_eq(mx_act_softplus_f32(x, y, 4), MX_OK);
    cr_assert(isinf(y[0]) && y[0] > 0 && y[1] == 0.0f && isnan(y[2]));
    cr_assert_eq(mx_act_tanh_f32(x, y, 4), MX_OK);
    cr_assert(y[0] == 1.0f && y[1] == -1.0f && isnan(y[2]));
    cr_assert_eq(mx_act_relu_f32(x, y, 4), MX_OK);
    cr_assert(isinf(y[0]) && y[1] == 0.0f && isnan(y[2]) && y[3] == 0.0f && signbit(y[3]));
}

Test(act, entries_validate_arguments) {
    float buf[4] = {0};
    for (size_t k = 0; k < N_ACT_OPS; ++k) {
        const act_op *op = &act_ops[k];
        cr_assert_eq(op->entry(NULL, buf, buf, 4, 0.1f), MX_ERR_ARG, "%s NULL input", op->name);
        cr_assert_eq(op->entry(buf, buf, NULL, 4, 0.1f), MX_ERR_ARG, "%s NULL output", op->name);
        if (op->binary) cr_assert_eq(op->entry(buf, NULL, buf, 4, 0.1f), MX_ERR_ARG, "%s NULL dy", op->name);
        cr_assert_eq(op->entry(NULL, NULL, NULL, 0, 0.1f), MX_OK, "%s n = 0 with NULL", op->name);
        if (op->has_slope) {
            cr_assert_eq(op->entry(buf, buf, buf, 4, -0.1f), MX_ERR_DOMAIN, "%s slope < 0", op->name);
            cr_assert_eq(op->entry(buf, buf, buf, 4, NAN), MX_ERR_DOMAIN, "%s slope NaN", op->name);
            cr_assert_eq(op->entry(buf, buf, buf, 4, INFINITY), MX_ERR_DOMAIN, "%s slope inf", op->name);
        }
    }
}

Test(act, entries_report_bad_isa) {
    setenv("MIXSIMD_ISA", "sse9", 1);
    float buf[4] = {0}, loss[1];
    mx_adam_config cfg = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f};
    for (size_t k = 0; k < N_ACT_OPS; ++k)
        cr_assert_eq(act_ops[k].entry(buf, buf, buf, 4, 0.1f), MX_ERR_ISA, "%s", act_ops[k].name);
    cr_assert_eq(mx_loss_bce_logits_f32(1, 4, buf, 4, buf, 4, loss, NULL, 0), MX_ERR_ISA);
    cr_assert_eq(mx_loss_mse_f32(1, 4, buf, 4, buf, 4, loss, NULL, 0), MX_ERR_ISA);
    cr_assert_eq(mx_adam_f32(4, buf, buf, buf, buf, &cfg, 1), MX_ERR_ISA);
}

/* Under every forced ISA the entry gives exactly that ISA's variant's bits. */
Test(act, entries_follow_forced_isa) {
    const size_t n = 77;
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (!mx_cpu_has((mx_isa)isa)) continue;
        cr_assert_eq(mx_isa_force((mx_isa)isa), MX_OK);
        for (size_t k = 0; k < N_ACT_OPS; ++k) {
            const act_op *op = &act_ops[k];
            mx_test_rng r = mx_test_rng_seed(k);
            float a[77], b[77], o1[77], o2[77];
            act_inputs(op, &r, a, b, n);
            op->run((mx_isa)isa, a, b, o1, n, test_slope);
            cr_assert_eq(op->entry(a, b, o2, n, test_slope), MX_OK);
            cr_assert(memcmp(o1, o2, sizeof o1) == 0, "%s entry under %s", op->name, mx_isa_name((mx_isa)isa));
        }
    }
}

/* ======================================================================== */
/* losses                                                                   */
/* ======================================================================== */

typedef void (*loss_fn)(size_t, size_t, const float *, size_t, const float *, size_t, float *, float *, size_t);
static const loss_fn bce_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_loss_bce_logits_f32);
static const loss_fn mse_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_loss_mse_f32);

/* Documented bounds (act.h) for one row / one gradient element. */
static double bce_loss_bound(double L, size_t D) {
    return (gam(6) + 2.0 * gam53((double)D)) * L + (3.0 * (double)D + 1.0) * 0x1p-149;
}
static double bce_grad_bound(double g, double z) {
    return U_ * fabs(g) + gam(5) * mx_ref_sigmoid(z) + 0x1p-148;
}
static double mse_loss_bound(double L, size_t D) { return (gam(3) + 2.0 * gam53((double)D)) * L + 0x1p-150; }
static double mse_grad_bound(double g) { return 0.5 * mx_ulp_f32(g); }

typedef struct {
    size_t N, D, lda;
    float *A, *T, *loss, *grad;
    double *want, *gwant, *lbound, *gbound;
} loss_case;

static loss_case loss_case_new(size_t N, size_t D, size_t pad) {
    loss_case c = {N, D, D + pad, 0, 0, 0, 0, 0, 0, 0, 0};
    c.A = mx_test_floats(N * c.lda + 1);
    c.T = mx_test_floats(N * c.lda + 1);
    c.grad = mx_test_floats(N * c.lda + 1);
    c.loss = mx_test_floats(N + 1);
    c.want = mx_test_doubles(N + 1);
    c.lbound = mx_test_doubles(N + 1);
    c.gwant = mx_test_doubles(N * D + 1);
    c.gbound = mx_test_doubles(N * D + 1);
    for (size_t i = 0; i < N * c.lda + 1; ++i) c.grad[i] = 4242.0f; /* sentinel in padding */
    return c;
}

static void loss_case_free(loss_case *c) {
    free(c->A); free(c->T); free(c->grad); free(c->loss);
    free(c->want); free(c->lbound); free(c->gwant); free(c->gbound);
}

/* Runs the variant and the reference, fills wants and bounds. */
static void loss_run(int bce, mx_isa isa, loss_case *c) {
    (bce ? bce_v : mse_v)[isa](c->N, c->D, c->A, c->lda, c->T, c->lda, c->loss, c->grad, c->lda);
    (bce ? mx_ref_bce_logits : mx_ref_mse)(c->N, c->D, c->A, c->lda, c->T, c->lda, c->want, c->gwant);
    for (size_t n = 0; n < c->N; ++n) {
        c->want[n] = as_float_range(c->want[n]);
        c->lbound[n] = bce ? bce_loss_bound(c->want[n], c->D) : mse_loss_bound(c->want[n], c->D);
        for (size_t j = 0; j < c->D; ++j) {
            const size_t k = n * c->D + j;
            c->gbound[k] = bce ? bce_grad_bound(c->gwant[k], c->A[n * c->lda + j]) : mse_grad_bound(c->gwant[k]);
        }
    }
}

static void loss_assert(int bce, mx_isa isa, const loss_case *c, const char *what) {
    const char *name = bce ? "bce" : "mse";
    mx_assert_check(mx_check_abs(c->loss, c->want, c->lbound, c->N), "%s/%s %s loss N=%zu D=%zu", name,
                    mx_isa_name(isa), what, c->N, c->D);
    for (size_t n = 0; n < c->N; ++n) {
        mx_assert_check(mx_check_abs(c->grad + n * c->lda, c->gwant + n * c->D, c->gbound + n * c->D, c->D),
                        "%s/%s %s grad row %zu D=%zu", name, mx_isa_name(isa), what, n, c->D);
        for (size_t j = c->D; j < c->lda; ++j)
            cr_assert_eq(c->grad[n * c->lda + j], 4242.0f, "%s wrote into the row padding", name);
    }
}

static void loss_fill(int bce, mx_test_rng *r, loss_case *c) {
    for (size_t n = 0; n < c->N; ++n)
        for (size_t j = 0; j < c->D; ++j) {
            float *a = &c->A[n * c->lda + j], *t = &c->T[n * c->lda + j];
            *a = (float)(mx_test_normal(r) * (j % 4 == 0 ? 20.0 : 2.0));
            *t = bce ? (j % 3 == 0 ? (float)(mx_test_uniform(r, 0, 1) < 0.5) : (float)mx_test_uniform(r, 0, 1))
                     : (float)mx_test_normal(r);
        }
}

static void loss_sweep(int bce, mx_isa isa) {
    mx_test_rng r = mx_test_rng_seed(0x1055 + (uint64_t)isa);
    const size_t Ns[] = {0, 1, 3, 7};
    for (size_t a = 0; a < 4; ++a)
        for (size_t s = 0; s < mx_test_sizes_count; ++s) {
            loss_case c = loss_case_new(Ns[a], mx_test_sizes[s], s % 3);
            loss_fill(bce, &r, &c);
            loss_run(bce, isa, &c);
            loss_assert(bce, isa, &c, "sweep");
            loss_case_free(&c);
        }
    loss_case c = loss_case_new(37, 1031, 5);
    loss_fill(bce, &r, &c);
    loss_run(bce, isa, &c);
    loss_assert(bce, isa, &c, "large");
    loss_case_free(&c);
}

/* Rows of extreme logits/targets; each adversarial x against targets 0, 1, 0.5, 1-2^-24. */
static void loss_adversarial(int bce, mx_isa isa) {
    const float targets[] = {0.0f, 1.0f, 0.5f, 1.0f - 0x1p-24f, 1e-40f};
    const size_t nt = sizeof targets / sizeof targets[0];
    loss_case c = loss_case_new(nt, N_ADV_X, 1);
    for (size_t n = 0; n < nt; ++n)
        for (size_t j = 0; j < N_ADV_X; ++j) {
            /* MSE: keep y - t finite-overflow-free except through real infinities */
            c.A[n * c.lda + j] = adversarial_x[j];
            c.T[n * c.lda + j] = bce ? targets[n] : targets[n] * 1e30f;
        }
    loss_run(bce, isa, &c);
    loss_assert(bce, isa, &c, "adversarial");
    loss_case_free(&c);
    /* rows without NaN/inf, so the sums are finite and the bound is tight */
    loss_case d = loss_case_new(nt, 26, 0);
    for (size_t n = 0; n < nt; ++n)
        for (size_t j = 0; j < 26; ++j) {
            d.A[n * 26 + j] = adversarial_x[j];
            d.T[n * 26 + j] = bce ? targets[n] : -targets[n];
        }
    loss_run(bce, isa, &d);
    loss_assert(bce, isa, &d, "adversarial finite");
    loss_case_free(&d);
}

static void loss_rejects(int bce, mx_isa isa) {
    mx_test_rng r = mx_test_rng_seed(5);
    loss_case c = loss_case_new(3, 40, 0);
    loss_fill(bce, &r, &c);
    loss_run(bce, isa, &c);
    loss_assert(bce, isa, &c, "unperturbed");
    c.loss[1] = (float)(c.want[1] + 3.0 * c.lbound[1]);
    mx_assert_rejects(mx_check_abs(c.loss, c.want, c.lbound, c.N), "perturbed loss");
    c.grad[5] = (float)(c.gwant[5] + 3.0 * c.gbound[5]);
    mx_assert_rejects(mx_check_abs(c.grad, c.gwant, c.gbound, c.D), "perturbed grad");
    loss_case_free(&c);
}

/* grad = NULL computes the same loss bits; grad over the input works (in place). */
static void loss_grad_optional(int bce, mx_isa isa) {
    mx_test_rng r = mx_test_rng_seed(6);
    loss_case c = loss_case_new(4, 29, 2);
    loss_fill(bce, &r, &c);
    loss_run(bce, isa, &c);
    float loss2[4];
    (bce ? bce_v : mse_v)[isa](c.N, c.D, c.A, c.lda, c.T, c.lda, loss2, NULL, 0);
    cr_assert(memcmp(loss2, c.loss, sizeof loss2) == 0, "loss differs without grad");
    (bce ? bce_v : mse_v)[isa](c.N, c.D, c.A, c.lda, c.T, c.lda, loss2, c.A, c.lda);
    for (size_t n = 0; n < c.N; ++n)
        cr_assert(memcmp(c.A + n * c.lda, c.grad + n * c.lda, c.D * sizeof(float)) == 0, "in-place grad differs");
    loss_case_free(&c);
}

MX_ISA_TEST(loss, bce_logits) {
    loss_sweep(1, isa);
    loss_adversarial(1, isa);
    loss_rejects(1, isa);
    loss_grad_optional(1, isa);
}
MX_ISA_TEST(loss, mse) {
    loss_sweep(0, isa);
    loss_adversarial(0, isa);
    loss_rejects(0, isa);
    loss_grad_optional(0, isa);
}

Test(loss, entries_validate_arguments) {
    float a[8] = {0}, l[2];
    typedef mx_status (*entry)(size_t, size_t, const float *, size_t, const float *, size_t, float *, float *, size_t);
    const entry e[2] = {mx_loss_bce_logits_f32, mx_loss_mse_f32};
    for (int k = 0; k < 2; ++k) {
        cr_assert_eq(e[k](2, 4, NULL, 4, a, 4, l, NULL, 0), MX_ERR_ARG);
        cr_assert_eq(e[k](2, 4, a, 4, NULL, 4, l, NULL, 0), MX_ERR_ARG);
        cr_assert_eq(e[k](2, 4, a, 4, a, 4, NULL, NULL, 0), MX_ERR_ARG);
        cr_assert_eq(e[k](2, 0, NULL, 0, NULL, 0, NULL, NULL, 0), MX_ERR_ARG, "loss needed even for D = 0");
        cr_assert_eq(e[k](2, 4, a, 3, a, 4, l, NULL, 0), MX_ERR_ARG, "lda < D");
        cr_assert_eq(e[k](2, 4, a, 4, a, 3, l, NULL, 0), MX_ERR_ARG, "ldt < D");
        cr_assert_eq(e[k](2, 4, a, 4, a, 4, l, a, 3), MX_ERR_ARG, "ldg < D");
        cr_assert_eq(e[k](0, 4, NULL, 0, NULL, 0, NULL, NULL, 0), MX_OK, "N = 0");
        cr_assert_eq(e[k](2, 0, NULL, 0, NULL, 0, l, NULL, 0), MX_OK, "D = 0");
        cr_assert(l[0] == 0.0f && l[1] == 0.0f, "an empty row sums to 0");
        cr_assert_eq(e[k](2, 4, a, 4, a, 4, l, a, 4), MX_OK);
    }
}

Test(loss, entries_follow_forced_isa) {
    mx_test_rng r = mx_test_rng_seed(8);
    loss_case c = loss_case_new(3, 45, 1);
    loss_fill(1, &r, &c);
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (!mx_cpu_has((mx_isa)isa)) continue;
        cr_assert_eq(mx_isa_force((mx_isa)isa), MX_OK);
        float l1[3], l2[3];
        bce_v[isa](c.N, c.D, c.A, c.lda, c.T, c.lda, l1, NULL, 0);
        cr_assert_eq(mx_loss_bce_logits_f32(c.N, c.D, c.A, c.lda, c.T, c.lda, l2, NULL, 0), MX_OK);
        cr_assert(memcmp(l1, l2, sizeof l1) == 0, "bce entry under %s", mx_isa_name((mx_isa)isa));
        mse_v[isa](c.N, c.D, c.A, c.lda, c.T, c.lda, l1, NULL, 0);
        cr_assert_eq(mx_loss_mse_f32(c.N, c.D, c.A, c.lda, c.T, c.lda, l2, NULL, 0), MX_OK);
        cr_assert(memcmp(l1, l2, sizeof l1) == 0, "mse entry under %s", mx_isa_name((mx_isa)isa));
    }
    loss_case_free(&c);
}

/* ======================================================================== */
/* Adam                                                                     */
/* ======================================================================== */

typedef void (*adam_fn)(size_t, float *, const float *, float *, float *, const mx_adam_config *, uint64_t);
static const adam_fn adam_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_adam_f32);

typedef struct {
    float *p, *g, *m, *v;
    double *wp, *wm, *wv, *bp, *bm, *bv;
} adam_case;

static adam_case adam_case_new(size_t n) {
    adam_case c;
    c.p = mx_test_floats(n + 1); c.g = mx_test_floats(n + 1);
    c.m = mx_test_floats(n + 1); c.v = mx_test_floats(n + 1);
    c.wp = mx_test_doubles(n + 1); c.wm = mx_test_doubles(n + 1); c.wv = mx_test_doubles(n + 1);
    c.bp = mx_test_doubles(n + 1); c.bm = mx_test_doubles(n + 1); c.bv = mx_test_doubles(n + 1);
    c.p[n] = c.m[n] = c.v[n] = 99.0f; /* sentinels */
    return c;
}
static void adam_case_free(adam_case *c) {
    free(c->p); free(c->g); free(c->m); free(c->v);
    free(c->wp); free(c->wm); free(c->wv); free(c->bp); free(c->bm); free(c->bv);
}

/* The documented bounds of act.h, from the reference's exact magnitudes. */
static void adam_expect(adam_case *c, size_t n, const mx_adam_config *cfg, uint64_t t) {
    for (size_t i = 0; i < n; ++i) {
        mx_ref_adam_terms e;
        mx_ref_adam(c->p[i], c->g[i], c->m[i], c->v[i], cfg->lr, cfg->beta1, cfg->beta2, cfg->eps,
                    cfg->weight_decay, t, &c->wp[i], &c->wm[i], &c->wv[i], &e);
        c->bm[i] = gam(3) * e.Cm + 0x1p-149;
        c->bv[i] = gam(4) * e.Cv + 0x1p-148;
        c->bp[i] = U_ * fabs(c->wp[i]) + gam(3) * fabs(e.A) + (gam(10) + 0x1p-72 * e.ib / e.den) * fabs(e.U) +
                   gam(4) * (e.step / e.den) * e.Cm + 0x1p-147 * (1.0 + (1.0 + e.step) / e.den);
    }
}

static void adam_check(mx_isa isa, adam_case *c, size_t n, const mx_adam_config *cfg, uint64_t t,
                       const char *what) {
    adam_expect(c, n, cfg, t); /* before the update: the reference reads the old state */
    adam_v[isa](n, c->p, c->g, c->m, c->v, cfg, t);
    const char *isan = mx_isa_name(isa);
    mx_assert_check(mx_check_abs(c->m, c->wm, c->bm, n), "adam/%s %s m n=%zu t=%llu", isan, what, n, (unsigned long long)t);
    mx_assert_check(mx_check_abs(c->v, c->wv, c->bv, n), "adam/%s %s v n=%zu", isan, what, n);
    mx_assert_check(mx_check_abs(c->p, c->wp, c->bp, n), "adam/%s %s param n=%zu", isan, what, n);
    cr_assert(c->p[n] == 99.0f && c->m[n] == 99.0f && c->v[n] == 99.0f, "adam wrote past the end");
}

static void adam_fill(mx_test_rng *r, adam_case *c, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        c->p[i] = (float)mx_test_normal(r);
        c->g[i] = (float)(mx_test_normal(r) * (i % 4 == 0 ? 100.0 : 0.01));
        c->m[i] = (float)(mx_test_normal(r) * 0.1);
        c->v[i] = (float)fabs(mx_test_normal(r) * 0.01);
    }
}

static const mx_adam_config adam_configs[] = {
    {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f},   /* Adam defaults          */
    {1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f},  /* AdamW                  */
    {0.5f, 0.0f, 0.0f, 1e-3f, 0.5f},      /* no momentum, big steps */
    {1e-4f, 0.99f, 0.9999f, 1e-6f, 0.1f}, /* slow averages          */
};
static const uint64_t adam_steps[] = {1, 2, 10, 1000, 1000000};

MX_ISA_TEST(adam, update) {
    mx_test_rng r = mx_test_rng_seed(0xADA + (uint64_t)isa);
    for (size_t k = 0; k < sizeof adam_configs / sizeof adam_configs[0]; ++k)
        for (size_t s = 0; s < mx_test_sizes_count; ++s) {
            const size_t n = mx_test_sizes[s];
            const uint64_t t = adam_steps[s % 5];
            adam_case c = adam_case_new(n);
            adam_fill(&r, &c, n);
            adam_check(isa, &c, n, &adam_configs[k], t, "sweep");
            adam_check(isa, &c, n, &adam_configs[k], t + 1, "second step"); /* from the updated state */
            adam_case_free(&c);
        }
    const size_t n = 5003;
    adam_case c = adam_case_new(n);
    adam_fill(&r, &c, n);
    adam_check(isa, &c, n, &adam_configs[1], 3, "large");
    adam_case_free(&c);
}

/* Extreme gradients and states: zeros, signed zeros, denormals, huge values
 * (below the overflow of (1 - beta2) g^2), NaN propagation. */
MX_ISA_TEST(adam, adversarial) {
    const float gs[] = {0.0f, -0.0f, 1e-40f, -1e-40f, FLT_MIN, 1e-20f, 1e18f, -1e18f, 1e10f, 1.0f, -3.0f, NAN};
    const float ms[] = {0.0f, 1e-40f, -1e30f, 1e30f, 1e-3f};
    const float vs[] = {0.0f, 1e-40f, 1e30f, 1e-12f};
    const size_t ng = sizeof gs / sizeof gs[0], nm = sizeof ms / sizeof ms[0], nv = sizeof vs / sizeof vs[0];
    const size_t n = ng * nm * nv;
    for (size_t k = 0; k < sizeof adam_configs / sizeof adam_configs[0]; ++k) {
        adam_case c = adam_case_new(n);
        for (size_t i = 0; i < n; ++i) {
            c.g[i] = gs[i % ng];
            c.m[i] = ms[(i / ng) % nm];
            c.v[i] = vs[i / (ng * nm)];
            c.p[i] = (i % 3 == 0) ? 1e30f : (i % 3 == 1 ? -1e-40f : 0.5f);
        }
        adam_check(isa, &c, n, &adam_configs[k], 1 + k * 7, "adversarial");
        for (size_t i = 0; i < n; ++i)
            if (isnan(gs[i % ng])) cr_assert(isnan(c.p[i]) && isnan(c.m[i]) && isnan(c.v[i]), "NaN must propagate");
        adam_case_free(&c);
    }
}

MX_ISA_TEST(adam, rejects_perturbed) {
    mx_test_rng r = mx_test_rng_seed(3);
    const size_t n = 40;
    adam_case c = adam_case_new(n);
    adam_fill(&r, &c, n);
    adam_check(isa, &c, n, &adam_configs[0], 5, "unperturbed");
    adam_case d = adam_case_new(n);
    adam_fill(&r, &d, n);
    adam_expect(&d, n, &adam_configs[0], 5);
    adam_v[isa](n, d.p, d.g, d.m, d.v, &adam_configs[0], 5);
    d.p[7] = (float)(d.wp[7] + 3.0 * d.bp[7]);
    d.m[8] = (float)(d.wm[8] + 3.0 * d.bm[8]);
    d.v[9] = (float)(d.wv[9] + 3.0 * d.bv[9]);
    mx_assert_rejects(mx_check_abs(d.p, d.wp, d.bp, n), "perturbed param");
    mx_assert_rejects(mx_check_abs(d.m, d.wm, d.bm, n), "perturbed m");
    mx_assert_rejects(mx_check_abs(d.v, d.wv, d.bv, n), "perturbed v");
    adam_case_free(&c);
    adam_case_free(&d);
}

Test(adam, entry_validates_arguments) {
    float a[4] = {0}, b[4] = {0}, m[4] = {0}, v[4] = {0};
    const mx_adam_config ok = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f};
    cr_assert_eq(mx_adam_f32(4, a, b, m, v, NULL, 1), MX_ERR_ARG);
    cr_assert_eq(mx_adam_f32(4, NULL, b, m, v, &ok, 1), MX_ERR_ARG);
    cr_assert_eq(mx_adam_f32(4, a, NULL, m, v, &ok, 1), MX_ERR_ARG);
    cr_assert_eq(mx_adam_f32(4, a, b, NULL, v, &ok, 1), MX_ERR_ARG);
    cr_assert_eq(mx_adam_f32(4, a, b, m, NULL, &ok, 1), MX_ERR_ARG);
    cr_assert_eq(mx_adam_f32(0, NULL, NULL, NULL, NULL, &ok, 1), MX_OK);
    cr_assert_eq(mx_adam_f32(4, a, b, m, v, &ok, 0), MX_ERR_DOMAIN, "step 0");
    const mx_adam_config bad[] = {
        {-1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f}, {NAN, 0.9f, 0.999f, 1e-8f, 0.0f},
        {INFINITY, 0.9f, 0.999f, 1e-8f, 0.0f}, {1e-3f, 1.0f, 0.999f, 1e-8f, 0.0f},
        {1e-3f, -0.1f, 0.999f, 1e-8f, 0.0f}, {1e-3f, 0.9f, 1.0f, 1e-8f, 0.0f},
        {1e-3f, 0.9f, NAN, 1e-8f, 0.0f}, {1e-3f, 0.9f, 0.999f, 0.0f, 0.0f},
        {1e-3f, 0.9f, 0.999f, INFINITY, 0.0f}, {1e-3f, 0.9f, 0.999f, 1e-8f, -0.1f},
        {1e-3f, 0.9f, 0.999f, 1e-8f, NAN}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k)
        cr_assert_eq(mx_adam_f32(4, a, b, m, v, &bad[k], 1), MX_ERR_DOMAIN, "bad config %zu", k);
    cr_assert_eq(mx_adam_f32(4, a, b, m, v, &ok, 1), MX_OK);
}

Test(adam, entry_follows_forced_isa) {
    const size_t n = 37;
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (!mx_cpu_has((mx_isa)isa)) continue;
        cr_assert_eq(mx_isa_force((mx_isa)isa), MX_OK);
        mx_test_rng r = mx_test_rng_seed(11);
        adam_case c = adam_case_new(n), d = adam_case_new(n);
        adam_fill(&r, &c, n);
        memcpy(d.p, c.p, n * 4); memcpy(d.g, c.g, n * 4); memcpy(d.m, c.m, n * 4); memcpy(d.v, c.v, n * 4);
        adam_v[isa](n, c.p, c.g, c.m, c.v, &adam_configs[1], 4);
        cr_assert_eq(mx_adam_f32(n, d.p, d.g, d.m, d.v, &adam_configs[1], 4), MX_OK);
        cr_assert(memcmp(c.p, d.p, n * 4) == 0 && memcmp(c.m, d.m, n * 4) == 0 && memcmp(c.v, d.v, n * 4) == 0,
                  "adam entry under %s", mx_isa_name((mx_isa)isa));
        adam_case_free(&c);
        adam_case_free(&d);
    }
}
