/* bench/bench_act.c — the network's elementwise kernels at the MLP's sizes:
 *   activations forward and backward on a 256 x 500 hidden layer,
 *   BCE-with-logits and MSE (loss and gradient) on a 256 x 784 output,
 *   one fused Adam step over the first layer's 784 x 500 + 500 parameters.
 * Names: act/<op>/<isa>/<shape>/threads:1; throughput in elements per second
 * (and bytes per second of the arrays read and written, for the memory-bound).
 * err_ratio: the ULP bounds act.h documents for each activation (relu and
 * its backward are exact: max_err only), the loss and gradient bounds of the
 * losses, and the Adam bound on the updated parameters. Adam updates in
 * place: the timed loop keeps stepping the same state; the error counter
 * comes from one step from the initial state. */
#include <math.h>
#include <mixsimd/act.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "ref_act.h"

/* ---- activations ------------------------------------------------------------ */
typedef void (*act_fn_U)(MX_ACT_SIG_U_);
typedef void (*act_fn_UP)(MX_ACT_SIG_UP_);
typedef void (*act_fn_B)(MX_ACT_SIG_B_);
typedef void (*act_fn_BP)(MX_ACT_SIG_BP_);
#define ACT_TABLE_(op, shape) \
    static const act_fn_##shape act_##op##_table[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_act_##op##_f32);
MX_ACT_OPS_(ACT_TABLE_)
#undef ACT_TABLE_

/* One activation: exactly one of the fn_* tables and ref_* functions is set
 * (the shape of its signature, as act.h's MX_ACT_OPS_). */
typedef struct {
    const char *name;
    const act_fn_U *fn_U;
    const act_fn_UP *fn_UP;
    const act_fn_B *fn_B;
    const act_fn_BP *fn_BP;
    double (*ref_U)(double);
    double (*ref_UP)(double, double);
    double (*ref_B)(double, double);
    double (*ref_BP)(double, double, double);
} act_op;

#define ACT_DESC_(op, shape) {#op, .fn_##shape = act_##op##_table, .ref_##shape = mx_ref_##op},
static const act_op act_ops[] = {MX_ACT_OPS_(ACT_DESC_)};
#undef ACT_DESC_

/* Documented bound (ULP; 0 = exact, no ratio) and the input range of the
 * first argument (x forward; y, or x for softplus, backward). */
static const struct {
    const char *name;
    double ulp, lo, hi;
} act_limits[] = {
    {"relu", 0, -10, 10},         {"relu_backward", 0, -1, 1},
    {"leaky_relu", 0.5, -10, 10}, {"leaky_relu_backward", 0.5, -1, 1},
    {"sigmoid", 4, -10, 10},      {"sigmoid_backward", 3, 0, 1},
    {"softplus", 5, -10, 10},     {"softplus_backward", 5, -10, 10},
    {"tanh", 1, -10, 10},         {"tanh_backward", 4, -1, 1},
};

static const float act_slope = 0.01f;

typedef struct {
    size_t n;
    float *in, *dy, *out;
} act_case;

typedef struct {
    const act_case *c;
    const act_op *op;
    double ulp;
    mx_isa isa;
} act_bench;

static void act_run(const act_op *op, mx_isa isa, const act_case *c) {
    if (op->fn_U) op->fn_U[isa](c->in, c->out, c->n);
    else if (op->fn_UP) op->fn_UP[isa](c->in, c->out, c->n, act_slope);
    else if (op->fn_B) op->fn_B[isa](c->in, c->dy, c->out, c->n);
    else op->fn_BP[isa](c->in, c->dy, c->out, c->n, act_slope);
}

static double act_ref(const act_op *op, double in, double dy) {
    if (op->ref_U) return op->ref_U(in);
    if (op->ref_UP) return op->ref_UP(in, act_slope);
    if (op->ref_B) return op->ref_B(in, dy);
    return op->ref_BP(in, dy, act_slope);
}

static void act_body(cbench_state *st, void *ctx) {
    const act_bench *b = ctx;
    const act_case *c = b->c;
    if (!bench_require_isa(st, b->isa)) return;
    bench_threads(st);
    while (cbench_keep_running(st)) act_run(b->op, b->isa, c);
    cbench_set_items_processed(st, (double)c->n);
    const int arrays = b->op->fn_B || b->op->fn_BP ? 3 : 2; /* read in (and dy), write out */
    cbench_set_bytes_processed(st, (double)c->n * sizeof(float) * arrays);
    bench_err e = {0};
    for (size_t i = 0; i < c->n; ++i) {
        double want = act_ref(b->op, c->in[i], c->dy[i]), ulp = bench_ulp_f32(want);
        /* softplus_backward's absolute term: |dy| 2^-148 */
        double extra = b->op->ref_B == mx_ref_softplus_backward ? fabs(c->dy[i]) * 0x1p-148 : 0.0;
        bench_err_add(&e, c->out[i], want, b->ulp > 0 ? b->ulp * ulp + extra : 0.0);
    }
    bench_err_report(st, &e);
}

static void act_register_activations(size_t rows, size_t cols) {
    const size_t n = rows * cols;
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zu", rows, cols);
    for (size_t o = 0; o < sizeof act_ops / sizeof act_ops[0]; ++o) {
        size_t l = 0;
        while (strcmp(act_limits[l].name, act_ops[o].name) != 0) ++l;
        act_case *c = bench_alloc(sizeof *c);
        *c = (act_case){.n = n, .in = bench_floats(n), .dy = bench_floats(n), .out = bench_floats(n)};
        mx_test_rng r = mx_test_rng_seed(600 + o);
        mx_test_fill_uniform(&r, c->in, n, act_limits[l].lo, act_limits[l].hi);
        mx_test_fill_normal(&r, c->dy, n, 0.0, 1.0);
        for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
            if (act_relu_table[isa] == NULL) continue;
            act_bench *b = bench_alloc(sizeof *b);
            *b = (act_bench){.c = c, .op = &act_ops[o], .ulp = act_limits[l].ulp, .isa = (mx_isa)isa};
            bench_register("act", act_ops[o].name, mx_isa_name((mx_isa)isa), shape, 1, act_body, b);
        }
    }
}

/* ---- losses ------------------------------------------------------------------ */
typedef void (*loss_fn)(MX_LOSS_SIG_);
static const loss_fn bce_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_loss_bce_logits_f32);
static const loss_fn mse_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_loss_mse_f32);

typedef struct {
    size_t N, D;
    int bce; /* 1: BCE with logits, 0: MSE */
    float *Z, *T, *loss, *grad;
    double *want_loss, *want_grad; /* reference, computed at set-up */
} loss_case;

typedef struct {
    const loss_case *c;
    mx_isa isa;
} loss_bench;

/* The documented bounds (act.h) of one row's loss and of one gradient element. */
static double loss_bound(const loss_case *c, double L) {
    const double g53 = (double)c->D * 0x1p-53 / (1.0 - (double)c->D * 0x1p-53);
    return c->bce ? (bench_gamma(6) + 2.0 * g53) * L + (3.0 * (double)c->D + 1.0) * 0x1p-149
                  : (bench_gamma(3) + 2.0 * g53) * L + 0x1p-150;
}
static double grad_bound(const loss_case *c, double g, double z) {
    return c->bce ? BENCH_U * fabs(g) + bench_gamma(5) / (1.0 + exp(-z)) + 0x1p-148
                  : 0.5 * bench_ulp_f32(g);
}

static void loss_body(cbench_state *st, void *ctx) {
    const loss_bench *b = ctx;
    const loss_case *c = b->c;
    const size_t N = c->N, D = c->D;
    if (!bench_require_isa(st, b->isa)) return;
    bench_threads(st);
    const loss_fn fn = (c->bce ? bce_variants : mse_variants)[b->isa];
    while (cbench_keep_running(st)) fn(N, D, c->Z, D, c->T, D, c->loss, c->grad, D);
    cbench_set_items_processed(st, (double)N * (double)D);
    bench_err e = {0};
    for (size_t i = 0; i < N; ++i) bench_err_add(&e, c->loss[i], c->want_loss[i], loss_bound(c, c->want_loss[i]));
    for (size_t i = 0; i < N * D; ++i)
        bench_err_add(&e, c->grad[i], c->want_grad[i], grad_bound(c, c->want_grad[i], c->Z[i]));
    bench_err_report(st, &e);
}

static void act_register_loss(int bce, size_t N, size_t D) {
    loss_case *c = bench_alloc(sizeof *c);
    *c = (loss_case){.N = N, .D = D, .bce = bce, .Z = bench_floats(N * D), .T = bench_floats(N * D),
                     .loss = bench_floats(N), .grad = bench_floats(N * D),
                     .want_loss = bench_doubles(N), .want_grad = bench_doubles(N * D)};
    mx_test_rng r = mx_test_rng_seed(700 + (uint64_t)bce);
    mx_test_fill_normal(&r, c->Z, N * D, 0.0, bce ? 3.0 : 1.0); /* logits / reconstructions */
    mx_test_fill_uniform(&r, c->T, N * D, 0.0, 1.0);             /* pixel intensities */
    if (bce) mx_ref_bce_logits(N, D, c->Z, D, c->T, D, c->want_loss, c->want_grad);
    else mx_ref_mse(N, D, c->Z, D, c->T, D, c->want_loss, c->want_grad);
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zu", N, D);
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (bce_variants[isa] == NULL) continue;
        loss_bench *b = bench_alloc(sizeof *b);
        *b = (loss_bench){.c = c, .isa = (mx_isa)isa};
        bench_register("act", bce ? "bce_logits" : "mse", mx_isa_name((mx_isa)isa), shape, 1, loss_body, b);
    }
}

/* ---- Adam ---------------------------------------------------------------------- */
typedef void (*adam_fn)(MX_ADAM_SIG_);
static const adam_fn adam_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_adam_f32);
static const mx_adam_config adam_cfg = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
enum { ADAM_STEP = 10 };

typedef struct {
    size_t n;
    float *param0, *grad, *m0, *v0; /* initial state          */
    float *param, *m, *v;           /* state the kernel steps */
    double *want, *bound;           /* reference, at set-up   */
} adam_case;

typedef struct {
    adam_case *c;
    mx_isa isa;
} adam_bench;

static void adam_reset(adam_case *c) {
    memcpy(c->param, c->param0, c->n * sizeof(float));
    memcpy(c->m, c->m0, c->n * sizeof(float));
    memcpy(c->v, c->v0, c->n * sizeof(float));
}

/* act.h's bound on param' (weight_decay = 0, so A = param). */
static double adam_bound(double param1, const mx_ref_adam_terms *t) {
    return BENCH_U * fabs(param1) + bench_gamma(3) * fabs(t->A) +
           (bench_gamma(10) + 0x1p-72 * t->ib / t->den) * fabs(t->U) +
           bench_gamma(4) * (t->step / t->den) * t->Cm + 0x1p-147 * (1.0 + (1.0 + t->step) / t->den);
}

static void adam_body(cbench_state *st, void *ctx) {
    const adam_bench *b = ctx;
    adam_case *c = b->c;
    if (!bench_require_isa(st, b->isa)) return;
    bench_threads(st);
    adam_reset(c);
    while (cbench_keep_running(st)) adam_variants[b->isa](c->n, c->param, c->grad, c->m, c->v, &adam_cfg, ADAM_STEP);
    cbench_set_items_processed(st, (double)c->n);
    cbench_set_bytes_processed(st, (double)c->n * sizeof(float) * 7); /* 4 read, 3 written */
    adam_reset(c);
    adam_variants[b->isa](c->n, c->param, c->grad, c->m, c->v, &adam_cfg, ADAM_STEP);
    bench_err e = {0};
    for (size_t i = 0; i < c->n; ++i) bench_err_add(&e, c->param[i], c->want[i], c->bound[i]);
    bench_err_report(st, &e);
}

static void act_register_adam(size_t n) {
    adam_case *c = bench_alloc(sizeof *c);
    float **arrays[] = {&c->param0, &c->grad, &c->m0, &c->v0, &c->param, &c->m, &c->v};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; ++i) *arrays[i] = bench_floats(n);
    c->n = n;
    c->want = bench_doubles(n);
    c->bound = bench_doubles(n);
    mx_test_rng r = mx_test_rng_seed(800);
    mx_test_fill_normal(&r, c->param0, n, 0.0, 0.05);
    mx_test_fill_normal(&r, c->grad, n, 0.0, 0.01);
    mx_test_fill_normal(&r, c->m0, n, 0.0, 0.001);
    mx_test_fill_uniform(&r, c->v0, n, 0.0, 1e-4);
    for (size_t i = 0; i < n; ++i) {
        double param1, m1, v1;
        mx_ref_adam_terms terms;
        mx_ref_adam(c->param0[i], c->grad[i], c->m0[i], c->v0[i], adam_cfg.lr, adam_cfg.beta1,
                    adam_cfg.beta2, adam_cfg.eps, adam_cfg.weight_decay, ADAM_STEP, &param1, &m1,
                    &v1, &terms);
        c->want[i] = param1;
        c->bound[i] = adam_bound(param1, &terms);
    }
    char shape[64];
    snprintf(shape, sizeof shape, "%zu", n);
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (adam_variants[isa] == NULL) continue;
        adam_bench *b = bench_alloc(sizeof *b);
        *b = (adam_bench){.c = c, .isa = (mx_isa)isa};
        bench_register("act", "adam", mx_isa_name((mx_isa)isa), shape, 1, adam_body, b);
    }
}

void bench_register_act(void) {
    act_register_activations(256, 500);
    act_register_loss(1, 256, 784);
    act_register_loss(0, 256, 784);
    act_register_adam(784 * 500 + 500);
}
