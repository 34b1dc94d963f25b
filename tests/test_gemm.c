#define _POSIX_C_SOURCE 200809L /* setenv */
/* Agreement tests for mx_gemm_f32: every ISA variant against the double
 * reference, with the documented bound
 *   gamma_{K+2} (|alpha| sum_k |a_ik||b_kj| + |beta||c_ij|) + (|alpha|+1)(K+2) 2^-149. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/gemm.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ref_gemm.h"
#include "testutil.h"

typedef void (*gemm_fn)(mx_op, mx_op, size_t, size_t, size_t, float, const float *, size_t,
                        const float *, size_t, float, float *, size_t, void *, size_t);
static const gemm_fn gemm_variants[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_gemm_f32);

static const mx_op ops[2] = {MX_OP_N, MX_OP_T};
static const float scalars[4] = {0.0f, 1.0f, -1.0f, 0.5f}; /* alpha and beta values */
static const float c_guard = 777.25f; /* C's row padding and surroundings: must survive */

/* ---- the documented bound ------------------------------------------------- */
static double gamma_n(double n) {
    const double u = 0x1p-24;
    return n * u / (1.0 - n * u);
}

static double gemm_bound(size_t K, float alpha, float beta, double cond, float c_in) {
    const double beta_term = beta == 0.0f ? 0.0 : fabs((double)beta) * fabs((double)c_in);
    const double alpha_term = alpha == 0.0f ? 0.0 : fabs((double)alpha) * cond;
    return gamma_n((double)K + 2.0) * (alpha_term + beta_term) +
           (fabs((double)alpha) + 1.0) * ((double)K + 2.0) * 0x1p-149;
}

/* ---- matrices with padding, offsets and guards ----------------------------- */
typedef enum { FILL_NORMAL, FILL_MIXED, FILL_TINY, FILL_DENORMAL, FILL_HUGE, FILL_NAN } fill_kind;

typedef struct {
    float *base, *data;
    size_t rows, cols, ld, total;
} test_mat;

/* rows x cols with ld = cols + pad, starting `offset` floats into an
 * allocation whose every other element is `guard`. */
static test_mat mat_make(size_t rows, size_t cols, size_t pad, size_t offset, float guard) {
    test_mat m = {NULL, NULL, rows, cols, cols + pad, 0};
    m.total = offset + rows * m.ld + 8;
    m.base = mx_test_floats(m.total);
    for (size_t t = 0; t < m.total; ++t) m.base[t] = guard;
    m.data = m.base + offset;
    return m;
}

static float fill_value(mx_test_rng *r, fill_kind kind) {
    const double z = mx_test_normal(r);
    switch (kind) {
    case FILL_MIXED: /* magnitudes 2^-40 .. 2^40, products stay finite */
        return (float)ldexp(z, (int)mx_test_uniform(r, -40.0, 41.0));
    case FILL_TINY: return (float)(z * 1e-21);     /* products are subnormal */
    case FILL_DENORMAL: return (float)(z * 1e-39); /* subnormal inputs       */
    case FILL_HUGE: return (float)(z * 1e17);      /* products near 1e34     */
    case FILL_NAN: return NAN;
    case FILL_NORMAL: break;
    }
    return (float)z;
}

static void mat_fill(test_mat *m, mx_test_rng *r, fill_kind kind) {
    for (size_t i = 0; i < m->rows; ++i)
        for (size_t j = 0; j < m->cols; ++j) m->data[i * m->ld + j] = fill_value(r, kind);
}

/* The element at allocation index t is outside the matrix proper. */
static int mat_is_guard(const test_mat *m, size_t t) {
    const size_t offset = (size_t)(m->data - m->base);
    if (t < offset || t >= offset + m->rows * m->ld) return 1;
    return (t - offset) % m->ld >= m->cols;
}

static void mat_assert_guards(const test_mat *m, float guard, const char *label) {
    for (size_t t = 0; t < m->total; ++t)
        if (mat_is_guard(m, t))
            cr_assert(memcmp(&m->base[t], &guard, sizeof guard) == 0,
                      "%s: guard element %zu (outside C) was overwritten with %g", label, t,
                      (double)m->base[t]);
}

/* ---- one multiply: set up, run, compare ------------------------------------ */
typedef struct {
    mx_op op_a, op_b;
    size_t M, N, K;
    float alpha, beta;
    size_t pad, offset;       /* row padding and start offset (floats), all matrices */
    fill_kind fill_ab, fill_c;
    uint64_t seed;
} gemm_case;

typedef struct {
    test_mat a, b, c;
    float *c_in;           /* C before the call, M x N contiguous */
    double *want, *bound;  /* M x N */
    float *got;            /* C after the call, M x N contiguous */
} gemm_run;

static const char *case_label(mx_isa isa, const gemm_case *g) {
    return mx_test_label_("%s op=%c%c M=%zu N=%zu K=%zu alpha=%g beta=%g pad=%zu off=%zu fill=%d/%d",
                          mx_isa_name(isa), g->op_a ? 'T' : 'N', g->op_b ? 'T' : 'N', g->M, g->N,
                          g->K, (double)g->alpha, (double)g->beta, g->pad, g->offset,
                          (int)g->fill_ab, (int)g->fill_c);
}

/* want and bound from the current inputs (C as saved in c_in). */
static void gemm_reference(const gemm_case *g, gemm_run *r) {
    const size_t mn = g->M * g->N;
    double *cond = mx_test_doubles(mn);
    mx_ref_gemm(g->op_a == MX_OP_T, g->op_b == MX_OP_T, g->M, g->N, g->K, g->alpha, r->a.data,
                r->a.ld, r->b.data, r->b.ld, g->beta, r->c_in, g->N, r->want, cond);
    for (size_t t = 0; t < mn; ++t)
        r->bound[t] = gemm_bound(g->K, g->alpha, g->beta, cond[t], r->c_in[t]);
    free(cond);
}

static void gemm_prepare(const gemm_case *g, gemm_run *r) {
    mx_test_rng rng = mx_test_rng_seed(g->seed);
    const size_t a_rows = g->op_a ? g->K : g->M, a_cols = g->op_a ? g->M : g->K;
    const size_t b_rows = g->op_b ? g->N : g->K, b_cols = g->op_b ? g->K : g->N;
    r->a = mat_make(a_rows, a_cols, g->pad, g->offset, NAN); /* padding read = NaN result */
    r->b = mat_make(b_rows, b_cols, g->pad, g->offset, NAN);
    r->c = mat_make(g->M, g->N, g->pad, g->offset, c_guard);
    mat_fill(&r->a, &rng, g->fill_ab);
    mat_fill(&r->b, &rng, g->fill_ab);
    mat_fill(&r->c, &rng, g->fill_c);
    const size_t mn = g->M * g->N;
    r->c_in = mx_test_floats(mn);
    r->got = mx_test_floats(mn);
    r->want = mx_test_doubles(mn);
    r->bound = mx_test_doubles(mn);
    for (size_t i = 0; i < g->M; ++i)
        memcpy(r->c_in + i * g->N, r->c.data + i * r->c.ld, g->N * sizeof(float));
    gemm_reference(g, r);
}

static void gemm_collect(const gemm_case *g, gemm_run *r) {
    for (size_t i = 0; i < g->M; ++i)
        memcpy(r->got + i * g->N, r->c.data + i * r->c.ld, g->N * sizeof(float));
}

/* Runs the fixed-ISA variant with the one-thread minimum workspace, placed
 * at an odd address (the kernel aligns it itself). */
static void gemm_execute(mx_isa isa, const gemm_case *g, gemm_run *r) {
    const size_t ws = mx_gemm_f32_workspace_size_for(g->M, g->N, g->K, 1);
    char *work = mx_test_alloc(ws + 3);
    gemm_variants[isa](g->op_a, g->op_b, g->M, g->N, g->K, g->alpha, r->a.data, r->a.ld,
                       r->b.data, r->b.ld, g->beta, r->c.data, r->c.ld, ws ? work + 3 : NULL, ws);
    free(work);
    gemm_collect(g, r);
}

static void gemm_release(gemm_run *r) {
    free(r->a.base), free(r->b.base), free(r->c.base);
    free(r->c_in), free(r->got), free(r->want), free(r->bound);
}

static mx_check gemm_compare(const gemm_case *g, const gemm_run *r) {
    return mx_check_abs(r->got, r->want, r->bound, g->M * g->N);
}

/* Runs one case on one ISA and asserts the bound and C's guards. */
static void check_case(mx_isa isa, const gemm_case *g) {
    gemm_run r;
    gemm_prepare(g, &r);
    gemm_execute(isa, g, &r);
    const char *label = case_label(isa, g);
    mx_assert_check(gemm_compare(g, &r), "%s", label);
    mat_assert_guards(&r.c, c_guard, label);
    gemm_release(&r);
}

static gemm_case normal_case(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K, unsigned k) {
    gemm_case g = {op_a, op_b, M, N, K, scalars[k % 4], scalars[(k / 4) % 4], k % 3, (k / 2) % 2,
                   FILL_NORMAL, FILL_NORMAL, 1000u + k};
    if (g.alpha == 0.0f) g.alpha = 1.5f; /* the sweeps test the product; alpha 0 is below */
    return g;
}

/* ---- shape sweeps ------------------------------------------------------------ */
/* Every size of the sweep on one dimension, the other two over {1, 8, 33},
 * all four op combinations; alpha, beta, padding and offsets vary. */
static void sweep_dimension(mx_isa isa, int dim) {
    static const size_t others[3] = {1, 8, 33};
    unsigned k = 0;
    for (size_t s = 0; s < mx_test_sizes_count; ++s)
        for (int o = 0; o < 9; ++o)
            for (int op = 0; op < 4; ++op, ++k) {
                size_t d[3] = {others[o % 3], others[o / 3], 0};
                size_t shape[3];
                shape[dim] = mx_test_sizes[s];
                shape[(dim + 1) % 3] = d[0];
                shape[(dim + 2) % 3] = d[1];
                gemm_case g = normal_case(ops[op & 1], ops[op >> 1], shape[0], shape[1], shape[2], k);
                check_case(isa, &g);
            }
}

MX_ISA_TEST(gemm, sweep_m) { sweep_dimension(isa, 0); }
MX_ISA_TEST(gemm, sweep_n) { sweep_dimension(isa, 1); }
MX_ISA_TEST(gemm, sweep_k) { sweep_dimension(isa, 2); }

MX_ISA_TEST(gemm, random_triples) {
    mx_test_rng rng = mx_test_rng_seed(77);
    for (unsigned k = 0; k < 60; ++k) {
        size_t shape[3];
        for (int d = 0; d < 3; ++d)
            shape[d] = mx_test_sizes[mx_test_next_u64(&rng) % mx_test_sizes_count];
        gemm_case g = normal_case(ops[k & 1], ops[(k >> 1) & 1], shape[0], shape[1], shape[2],
                                  (unsigned)(mx_test_next_u64(&rng) % 64));
        check_case(isa, &g);
    }
}

/* Shapes that span several K, M and N blocks of every ISA. */
MX_ISA_TEST(gemm, large_shapes) {
    gemm_case g = normal_case(MX_OP_N, MX_OP_N, 300, 700, 500, 5);
    check_case(isa, &g);
    g = normal_case(MX_OP_T, MX_OP_T, 133, 2100, 9, 6);
    check_case(isa, &g);
    g = normal_case(MX_OP_T, MX_OP_N, 129, 65, 600, 7);
    check_case(isa, &g);
    g = normal_case(MX_OP_N, MX_OP_T, 70, 129, 530, 9);
    check_case(isa, &g);
}

/* Outputs with few columns run as N dot products per row of op(A) (op_a N,
 * AVX-512) or as C^T = op(B)^T op(A)^T (op_a T); K = 2100 spans two K blocks
 * of the dot path. */
MX_ISA_TEST(gemm, narrow_outputs) {
    static const size_t Ns[6] = {1, 2, 5, 10, 13, 16};
    static const size_t MKs[2][2] = {{37, 40}, {21, 2100}};
    unsigned k = 0;
    for (int n = 0; n < 6; ++n)
        for (int s = 0; s < 2; ++s)
            for (int op = 0; op < 4; ++op, ++k) {
                gemm_case g = normal_case(ops[op & 1], ops[op >> 1], MKs[s][0], Ns[n], MKs[s][1], k);
                check_case(isa, &g);
            }
}

/* Few rows (M <= 12) or small K: op(B) stored K x N is read in place by the
 * AVX-512 microkernels, under masks at the right edge. */
MX_ISA_TEST(gemm, operand_b_read_in_place) {
    static const size_t shapes[4][3] = {{10, 2000, 256}, {12, 33, 70}, {256, 999, 10}, {3, 47, 5}};
    for (int s = 0; s < 4; ++s)
        for (int op = 0; op < 4; ++op) {
            gemm_case g = normal_case(ops[op & 1], ops[op >> 1], shapes[s][0], shapes[s][1],
                                      shapes[s][2], 40u + (unsigned)(4 * s + op));
            check_case(isa, &g);
        }
}

/* ---- alpha, beta and the BLAS special cases ---------------------------------- */
MX_ISA_TEST(gemm, alpha_beta_grid) {
    unsigned k = 0;
    for (int op = 0; op < 4; ++op)
        for (int a = 0; a < 4; ++a)
            for (int b = 0; b < 4; ++b, ++k) {
                gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 37, 41, 29, k);
                g.alpha = scalars[a];
                g.beta = scalars[b];
                check_case(isa, &g);
            }
}

/* beta == 0: C is not read, so NaN in C must not reach the result. */
MX_ISA_TEST(gemm, beta_zero_ignores_nan_in_c) {
    const size_t Ks[3] = {0, 1, 300};
    for (int op = 0; op < 4; ++op)
        for (int a = 0; a < 4; ++a)
            for (int k = 0; k < 3; ++k) {
                gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 19, 35, Ks[k], (unsigned)op);
                g.alpha = scalars[a];
                g.beta = 0.0f;
                g.fill_c = FILL_NAN;
                gemm_run r;
                gemm_prepare(&g, &r);
                gemm_execute(isa, &g, &r);
                for (size_t t = 0; t < g.M * g.N; ++t)
                    cr_assert(!isnan(r.got[t]), "%s: NaN from C leaked to [%zu]", case_label(isa, &g), t);
                mx_assert_check(gemm_compare(&g, &r), "%s", case_label(isa, &g));
                gemm_release(&r);
            }
}

/* alpha == 0 or K == 0: C = beta C and A, B are not read (NaN there is harmless). */
MX_ISA_TEST(gemm, alpha_zero_does_not_read_ab) {
    for (int op = 0; op < 4; ++op)
        for (int b = 0; b < 4; ++b) {
            gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 23, 17, 40, (unsigned)b);
            g.alpha = 0.0f;
            g.beta = scalars[b];
            g.fill_ab = FILL_NAN;
            check_case(isa, &g);
        }
    /* K == 0 with no A and B at all. */
    float C[6] = {1, 2, 3, 4, 5, 6};
    gemm_variants[isa](MX_OP_N, MX_OP_T, 2, 3, 0, 1.0f, NULL, 0, NULL, 0, -2.0f, C, 3, NULL, 0);
    for (int t = 0; t < 6; ++t) cr_assert_eq(C[t], -2.0f * (float)(t + 1));
}

/* M == 0 or N == 0: nothing happens, not even with NULL C. */
MX_ISA_TEST(gemm, empty_output_is_a_no_op) {
    float A[4] = {1, 2, 3, 4}, C[4] = {9, 9, 9, 9};
    gemm_variants[isa](MX_OP_N, MX_OP_N, 0, 4, 1, 1.0f, A, 1, A, 4, 0.0f, NULL, 4, NULL, 0);
    gemm_variants[isa](MX_OP_N, MX_OP_N, 4, 0, 1, 1.0f, A, 1, A, 0, 0.0f, C, 0, NULL, 0);
    for (int t = 0; t < 4; ++t) cr_assert_eq(C[t], 9.0f);
}

/* ---- adversarial values -------------------------------------------------------- */
MX_ISA_TEST(gemm, adversarial_values) {
    const fill_kind kinds[4] = {FILL_MIXED, FILL_TINY, FILL_DENORMAL, FILL_HUGE};
    unsigned k = 0;
    for (int f = 0; f < 4; ++f)
        for (int op = 0; op < 4; ++op, ++k) {
            gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 33, 47, 100, k);
            g.fill_ab = kinds[f];
            g.fill_c = kinds[f];
            check_case(isa, &g);
        }
}

/* One -inf in A and one +inf in B: the affected row and column become
 * +-inf, or NaN where infinities of both signs meet, as in exact arithmetic. */
MX_ISA_TEST(gemm, infinities_propagate) {
    for (int op = 0; op < 4; ++op) {
        gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 20, 37, 45, (unsigned)op + 4);
        gemm_run r;
        gemm_prepare(&g, &r);
        r.a.data[3 * r.a.ld + 5] = -INFINITY;
        r.b.data[7 * r.b.ld + 2] = INFINITY;
        gemm_reference(&g, &r);
        size_t infinite = 0;
        for (size_t t = 0; t < g.M * g.N; ++t) infinite += !isfinite(r.want[t]);
        cr_assert(infinite > 0, "the test must produce non-finite results");
        gemm_execute(isa, &g, &r);
        mx_assert_check(gemm_compare(&g, &r), "%s with infinities", case_label(isa, &g));
        gemm_release(&r);
    }
}

/* ---- the comparison can fail ----------------------------------------------------- */
MX_ISA_TEST(gemm, perturbed_result_is_rejected) {
    for (int op = 0; op < 4; ++op) {
        gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 31, 33, 257, (unsigned)op);
        gemm_run r;
        gemm_prepare(&g, &r);
        gemm_execute(isa, &g, &r);
        mx_assert_check(gemm_compare(&g, &r), "%s", case_label(isa, &g));
        const size_t t = (g.M * g.N) / 2;
        r.got[t] = (float)(r.want[t] + 4.0 * r.bound[t]);
        mx_assert_rejects(gemm_compare(&g, &r), "%s, element %zu moved by 4 bounds",
                          case_label(isa, &g), t);
        gemm_release(&r);
    }
}

/* ---- threads -------------------------------------------------------------------- */
/* Runs with `threads` OpenMP threads and `ws` bytes of workspace into C. */
static void run_threads(mx_isa isa, const gemm_case *g, gemm_run *r, const float *c_start,
                        int threads, size_t ws, float *out) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    for (size_t i = 0; i < g->M; ++i)
        memcpy(r->c.data + i * r->c.ld, c_start + i * g->N, g->N * sizeof(float));
    void *work = mx_test_alloc(ws);
    gemm_variants[isa](g->op_a, g->op_b, g->M, g->N, g->K, g->alpha, r->a.data, r->a.ld,
                       r->b.data, r->b.ld, g->beta, r->c.data, r->c.ld, work, ws);
    free(work);
    gemm_collect(g, r);
    memcpy(out, r->got, g->M * g->N * sizeof(float));
}

MX_ISA_TEST(gemm, thread_count_does_not_change_bits) {
#ifndef _OPENMP
    cr_skip_test("built without OpenMP");
#endif
    const size_t shapes[3][3] = {{256, 300, 300}, {5, 900, 300}, {300, 10, 700}};
    for (int s = 0; s < 3; ++s)
        for (int op = 0; op < 4; ++op) {
            gemm_case g = normal_case(ops[op & 1], ops[op >> 1], shapes[s][0], shapes[s][1],
                                      shapes[s][2], 13u + (unsigned)op);
            gemm_run r;
            gemm_prepare(&g, &r);
            const size_t mn = g.M * g.N;
            float *one = mx_test_floats(mn), *many = mx_test_floats(mn);
            const size_t ws1 = mx_gemm_f32_workspace_size_for(g.M, g.N, g.K, 1);
            run_threads(isa, &g, &r, r.c_in, 1, ws1, one);
            mx_assert_check(gemm_compare(&g, &r), "%s", case_label(isa, &g));
            for (int t = 2; t <= 4; ++t) {
                const size_t ws = mx_gemm_f32_workspace_size_for(g.M, g.N, g.K, (size_t)t);
                run_threads(isa, &g, &r, r.c_in, t, ws, many);
                cr_assert(memcmp(one, many, mn * sizeof(float)) == 0,
                          "%s: %d threads differ from 1 thread", case_label(isa, &g), t);
            }
            /* Room for one thread only while 4 are allowed: still the same bits. */
            run_threads(isa, &g, &r, r.c_in, 4, ws1, many);
            cr_assert(memcmp(one, many, mn * sizeof(float)) == 0,
                      "%s: short workspace changed the result", case_label(isa, &g));
            free(one), free(many);
            gemm_release(&r);
        }
}

/* ---- the dispatched entry ------------------------------------------------------- */
MX_ISA_TEST(gemm, dispatched_entry_runs_forced_isa) {
    cr_assert_eq(mx_isa_force(isa), MX_OK);
    for (int op = 0; op < 4; ++op) {
        gemm_case g = normal_case(ops[op & 1], ops[op >> 1], 65, 47, 130, (unsigned)op + 20);
        gemm_run r;
        gemm_prepare(&g, &r);
        const size_t ws = mx_gemm_f32_workspace_size(g.M, g.N, g.K);
        void *work = mx_test_alloc(ws);
        cr_assert_eq(mx_gemm_f32(g.op_a, g.op_b, g.M, g.N, g.K, g.alpha, r.a.data, r.a.ld,
                                 r.b.data, r.b.ld, g.beta, r.c.data, r.c.ld, work, ws),
                     MX_OK);
        free(work);
        gemm_collect(&g, &r);
        mx_assert_check(gemm_compare(&g, &r), "dispatched %s", case_label(isa, &g));
        mat_assert_guards(&r.c, c_guard, "dispatched");
        gemm_release(&r);
    }
}

/* Calls mx_gemm_f32 on a valid 4 x 5 x 6 problem with one thing changed. */
typedef struct {
    mx_op op_a, op_b;
    size_t M, N, K;
    const float *A;
    size_t lda;
    const float *B;
    size_t ldb;
    float *C;
    size_t ldc;
    void *work;
    size_t work_bytes;
} gemm_args;

static mx_status call(gemm_args a) {
    return mx_gemm_f32(a.op_a, a.op_b, a.M, a.N, a.K, 1.0f, a.A, a.lda, a.B, a.ldb, 0.5f, a.C,
                       a.ldc, a.work, a.work_bytes);
}

Test(gemm, rejects_bad_arguments) {
    static float A[64], B[64], C[64];
    const size_t ws = mx_gemm_f32_workspace_size(4, 5, 6);
    void *work = mx_test_alloc(ws);
    const gemm_args ok = {MX_OP_N, MX_OP_N, 4, 5, 6, A, 6, B, 5, C, 5, work, ws};
    cr_assert_eq(call(ok), MX_OK);
    gemm_args a;
    a = ok, a.op_a = (mx_op)2;
    cr_assert_eq(call(a), MX_ERR_ARG, "op_a out of range");
    a = ok, a.op_b = (mx_op)-1;
    cr_assert_eq(call(a), MX_ERR_ARG, "op_b out of range");
    a = ok, a.A = NULL;
    cr_assert_eq(call(a), MX_ERR_ARG, "NULL A");
    a = ok, a.B = NULL;
    cr_assert_eq(call(a), MX_ERR_ARG, "NULL B");
    a = ok, a.C = NULL;
    cr_assert_eq(call(a), MX_ERR_ARG, "NULL C");
    a = ok, a.lda = 5;
    cr_assert_eq(call(a), MX_ERR_ARG, "lda < K for op N");
    a = ok, a.op_a = MX_OP_T, a.lda = 3;
    cr_assert_eq(call(a), MX_ERR_ARG, "lda < M for op T");
    a = ok, a.op_a = MX_OP_T, a.lda = 4;
    cr_assert_eq(call(a), MX_OK, "lda == M for op T");
    a = ok, a.ldb = 4;
    cr_assert_eq(call(a), MX_ERR_ARG, "ldb < N for op N");
    a = ok, a.op_b = MX_OP_T, a.ldb = 5;
    cr_assert_eq(call(a), MX_ERR_ARG, "ldb < K for op T");
    a = ok, a.op_b = MX_OP_T, a.ldb = 6;
    cr_assert_eq(call(a), MX_OK, "ldb == K for op T");
    a = ok, a.ldc = 4;
    cr_assert_eq(call(a), MX_ERR_ARG, "ldc < N");
    a = ok, a.lda = SIZE_MAX / 2;
    cr_assert_eq(call(a), MX_ERR_ARG, "A's extent overflows size_t");
    a = ok, a.ldc = SIZE_MAX / 8;
    cr_assert_eq(call(a), MX_ERR_ARG, "C's extent overflows size_t");
    a = ok, a.work = NULL;
    cr_assert_eq(call(a), MX_ERR_ARG, "NULL work with work_bytes > 0");
    a = ok, a.work = NULL, a.work_bytes = 0;
    cr_assert_eq(call(a), MX_ERR_WORKSPACE, "no workspace");
    a = ok, a.work_bytes = mx_gemm_f32_workspace_size_for(4, 5, 6, 1) - 1;
    cr_assert_eq(call(a), MX_ERR_WORKSPACE, "one byte short");
    a = ok, a.work_bytes = mx_gemm_f32_workspace_size_for(4, 5, 6, 1);
    cr_assert_eq(call(a), MX_OK, "exactly the one-thread size");
    /* Empty problems need nothing. */
    a = ok, a.M = 0, a.A = NULL, a.C = NULL, a.work = NULL, a.work_bytes = 0;
    cr_assert_eq(call(a), MX_OK, "M == 0");
    a = ok, a.K = 0, a.A = NULL, a.B = NULL, a.lda = 0, a.work = NULL, a.work_bytes = 0;
    cr_assert_eq(call(a), MX_OK, "K == 0");
    free(work);
}

Test(gemm, workspace_size_is_consistent) {
    cr_assert_eq(mx_gemm_f32_workspace_size(0, 5, 6), 0);
    cr_assert_eq(mx_gemm_f32_workspace_size(4, 0, 6), 0);
    cr_assert_eq(mx_gemm_f32_workspace_size(4, 5, 0), 0);
    const size_t one = mx_gemm_f32_workspace_size_for(300, 500, 700, 1);
    cr_assert_eq(mx_gemm_f32_workspace_size_for(300, 500, 700, 0), one);
    cr_assert_gt(mx_gemm_f32_workspace_size_for(300, 500, 700, 2), one);
    cr_assert_geq(mx_gemm_f32_workspace_size(300, 500, 700), one);
    /* Bounded by the blocking, not the problem: a huge problem needs little. */
    cr_assert_lt(mx_gemm_f32_workspace_size_for(1u << 20, 1u << 20, 1u << 20, 1), (size_t)64 << 20);
}

Test(gemm, unknown_isa_is_reported) {
    setenv("MIXSIMD_ISA", "avx1024", 1);
    float A[1] = {1}, B[1] = {2}, C[1] = {3};
    char work[4096];
    const size_t ws = mx_gemm_f32_workspace_size_for(1, 1, 1, 1);
    cr_assert_leq(ws, sizeof work);
    cr_assert_eq(mx_gemm_f32(MX_OP_N, MX_OP_N, 1, 1, 1, 1.0f, A, 1, B, 1, 1.0f, C, 1, work, ws),
                 MX_ERR_ISA);
    cr_assert_eq(C[0], 3.0f, "C untouched after MX_ERR_ISA");
}
