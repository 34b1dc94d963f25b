/* bench/bench_vmath.c — the exp/log paths the kernels can take, on the same
 * arrays: glibc scalar expf/logf, SLEEF scalar and vector (u10 = 1 ULP,
 * u35 = 3.5 ULP; SLEEF 3.5 has no u35 expf), glibc libmvec vector.
 * Names: vmath/<exp|log>/<impl>/<n>/threads:1, throughput in elements/s.
 * Here max_err is in ULP of the float result (against libm in double) and
 * err_ratio divides it by SLEEF's documented bound (glibc documents none). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "bench_vmath.h"

/* SLEEF's scalar entry points (sleef.h would also declare vector types). */
float Sleef_expf_u10(float);
float Sleef_logf_u10(float);
float Sleef_logf_u35(float);

#define BENCH_SCALAR_LOOP_(name, fn)                                         \
    static void name(const float *x, float *y, size_t n) {                   \
        for (size_t i = 0; i < n; ++i) y[i] = fn(x[i]);                      \
    }
BENCH_SCALAR_LOOP_(glibc_expf_loop, expf)
BENCH_SCALAR_LOOP_(glibc_logf_loop, logf)
BENCH_SCALAR_LOOP_(sleef_expf_u10_loop, Sleef_expf_u10)
BENCH_SCALAR_LOOP_(sleef_logf_u10_loop, Sleef_logf_u10)
BENCH_SCALAR_LOOP_(sleef_logf_u35_loop, Sleef_logf_u35)

typedef enum { VM_EXP, VM_LOG } vm_fn;

typedef struct {
    vm_fn fn;
    const char *impl;
    mx_isa isa;            /* the ISA the loop needs */
    bench_vmath_loop loop;
    double ulp_bound;      /* documented, 0 when none */
} vm_impl;

static const vm_impl vm_impls[] = {
    {VM_EXP, "glibc_scalar", MX_ISA_SCALAR, glibc_expf_loop, 0.0},
    {VM_EXP, "sleef_u10_scalar", MX_ISA_SCALAR, sleef_expf_u10_loop, 1.0},
    {VM_LOG, "glibc_scalar", MX_ISA_SCALAR, glibc_logf_loop, 0.0},
    {VM_LOG, "sleef_u10_scalar", MX_ISA_SCALAR, sleef_logf_u10_loop, 1.0},
    {VM_LOG, "sleef_u35_scalar", MX_ISA_SCALAR, sleef_logf_u35_loop, 3.5},
#if MX_ARCH_X86
    {VM_EXP, "sleef_u10_avx2", MX_ISA_AVX2, bench_sleef_expf_u10_avx2, 1.0},
    {VM_EXP, "sleef_u10_avx512", MX_ISA_AVX512, bench_sleef_expf_u10_avx512, 1.0},
    {VM_LOG, "sleef_u10_avx2", MX_ISA_AVX2, bench_sleef_logf_u10_avx2, 1.0},
    {VM_LOG, "sleef_u10_avx512", MX_ISA_AVX512, bench_sleef_logf_u10_avx512, 1.0},
    {VM_LOG, "sleef_u35_avx2", MX_ISA_AVX2, bench_sleef_logf_u35_avx2, 3.5},
    {VM_LOG, "sleef_u35_avx512", MX_ISA_AVX512, bench_sleef_logf_u35_avx512, 3.5},
#ifdef BENCH_HAVE_LIBMVEC
    {VM_EXP, "libmvec_avx2", MX_ISA_AVX2, bench_libmvec_expf_avx2, 0.0},
    {VM_EXP, "libmvec_avx512", MX_ISA_AVX512, bench_libmvec_expf_avx512, 0.0},
    {VM_LOG, "libmvec_avx2", MX_ISA_AVX2, bench_libmvec_logf_avx2, 0.0},
    {VM_LOG, "libmvec_avx512", MX_ISA_AVX512, bench_libmvec_logf_avx512, 0.0},
#endif
#endif
};

typedef struct {
    size_t n;
    float *x, *y;
} vm_case;

typedef struct {
    const vm_case *c;
    const vm_impl *impl;
} vm_bench;

static void vm_body(cbench_state *st, void *ctx) {
    const vm_bench *b = ctx;
    const vm_case *c = b->c;
    if (!bench_require_isa(st, b->impl->isa)) return;
    bench_threads(st);
    while (cbench_keep_running(st)) b->impl->loop(c->x, c->y, c->n);
    cbench_set_items_processed(st, (double)c->n);
    bench_err e = {0};
    for (size_t i = 0; i < c->n; ++i) {
        double want = b->impl->fn == VM_EXP ? exp((double)c->x[i]) : log((double)c->x[i]);
        double ulps = fabs((double)c->y[i] - want) / bench_ulp_f32(want);
        bench_err_add(&e, ulps, 0.0, b->impl->ulp_bound);
    }
    bench_err_report(st, &e);
}

static vm_case *vm_case_new(size_t n, vm_fn fn, uint64_t seed) {
    vm_case *c = bench_alloc(sizeof *c);
    *c = (vm_case){.n = n, .x = bench_floats(n), .y = bench_floats(n)};
    mx_test_rng r = mx_test_rng_seed(seed);
    if (fn == VM_EXP) {
        mx_test_fill_uniform(&r, c->x, n, -87.0, 88.0); /* the normal-result range */
    } else {
        for (size_t i = 0; i < n; ++i) c->x[i] = (float)exp(mx_test_uniform(&r, -80.0, 80.0));
    }
    return c;
}

static void vm_register(const char *family, const char *op, const char *shape, const vm_case *c,
                        const vm_impl *impl) {
    vm_bench *b = bench_alloc(sizeof *b);
    *b = (vm_bench){.c = c, .impl = impl};
    bench_register(family, op, impl->impl, shape, 1, vm_body, b);
}

void bench_register_vmath(void) {
    static const size_t n = 100000;
    static const char *const fn_names[] = {"exp", "log"};
    char shape[32];
    snprintf(shape, sizeof shape, "%zu", n);
    for (int fn = VM_EXP; fn <= VM_LOG; ++fn) {
        const vm_case *c = vm_case_new(n, (vm_fn)fn, 301 + (uint64_t)fn);
        for (size_t i = 0; i < sizeof vm_impls / sizeof vm_impls[0]; ++i)
            if (vm_impls[i].fn == (vm_fn)fn) vm_register("vmath", fn_names[fn], shape, c, &vm_impls[i]);
    }
}

/* The exps a softmax of that shape makes (same spread of inputs as bench_lse.c),
 * through SLEEF's 1-ULP vector exp of each ISA (and the scalar one). */
void bench_register_exp_alone(const char *shape, size_t n) {
    vm_case *c = bench_alloc(sizeof *c);
    *c = (vm_case){.n = n, .x = bench_floats(n), .y = bench_floats(n)};
    mx_test_rng r = mx_test_rng_seed(400 + n);
    mx_test_fill_normal(&r, c->x, n, 0.0, 4.0);
    for (size_t i = 0; i < sizeof vm_impls / sizeof vm_impls[0]; ++i)
        if (vm_impls[i].fn == VM_EXP && strncmp(vm_impls[i].impl, "sleef_u10", 9) == 0)
            vm_register("lse", "exp_alone", shape, c, &vm_impls[i]);
}
