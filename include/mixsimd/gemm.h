/* mixsimd/gemm.h — single-precision general matrix multiply.
 *
 *     C = alpha * op(A) * op(B) + beta * C,    op(X) = X or X^T,
 *
 * row-major float32 with leading dimensions (row strides, in elements);
 * op(A) is M x K, op(B) is K x N, C is M x N.
 *
 * Structure (Goto / BLIS): the K x N operand op(B) is packed block by block
 * (KC x NC) into NR-column micro-panels, the M x K operand op(A) into MR-row
 * micro-panels of an MC x KC block; packing absorbs both transposes, so one
 * register-blocked microkernel per ISA serves all four op combinations:
 *
 *     for jc in N by NC:                      packed B block lives in L3
 *       for pc in K by KC:                    pack op(B)[pc.., jc..] (threads share it)
 *         for (ic in M by MC) x (NR panels):  OpenMP work units; each thread packs
 *           for jr, ir:                       op(A)[ic.., pc..] into its own buffer
 *             MR x NR microkernel: acc = sum_{k in KC block} a_ik b_kj (FMA chain),
 *             then C = alpha*acc + beta*C (first K block) or C = alpha*acc + C.
 *
 * Each C element's K-sum is accumulated in the same order whatever the thread
 * count (the K blocking never depends on it, and threads only decide who
 * computes a tile), so results are bitwise identical for any number of threads.
 *
 * Microkernels: AVX-512 8 x 32 (16 zmm accumulators, masked column tails),
 * AVX2+FMA 6 x 16, NEON 8 x 8 (vfmaq_laneq_f32), scalar 4 x 4.
 */
#ifndef MIXSIMD_GEMM_H
#define MIXSIMD_GEMM_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_op { MX_OP_N = 0, MX_OP_T = 1 } mx_op;

/* Bytes of workspace mx_gemm_f32 needs to run with `threads` threads
 * (threads == 0 counts as 1): one shared packed KC x NC block of op(B) plus
 * one packed MC x KC block of op(A) per thread, plus 64 bytes of alignment
 * slack (the workspace may have any alignment). The size is the largest any
 * ISA variant needs. 0 when M, N or K is 0. */
size_t mx_gemm_f32_workspace_size_for(size_t M, size_t N, size_t K, size_t threads);

/* mx_gemm_f32_workspace_size_for(M, N, K, omp_get_max_threads()), or for one
 * thread when the implementation was compiled without OpenMP. */
size_t mx_gemm_f32_workspace_size(size_t M, size_t N, size_t K);

/* C = alpha * op(A) * op(B) + beta * C (BLAS sgemm semantics, row-major).
 *
 * Stored shapes: A is M x K (op_a == MX_OP_N) or K x M (MX_OP_T) with row
 * stride lda >= its column count; B is K x N or N x K likewise with ldb;
 * C is M x N with ldc >= N. Padding between rows is never read or written.
 * - M == 0 or N == 0: nothing is done.
 * - K == 0 or alpha == 0: C = beta * C; A and B are not read.
 * - beta == 0: C is not read (NaN or garbage in C does not propagate).
 * A, B must not overlap C. Any pointer alignment.
 *
 * Workspace: work must hold at least mx_gemm_f32_workspace_size_for(M, N, K, 1)
 * bytes whenever M, N, K > 0 (else MX_ERR_WORKSPACE); the call uses as many
 * threads (up to omp_get_max_threads()) as the workspace has room for, and
 * mx_gemm_f32_workspace_size(M, N, K) bytes give room for all of them. The
 * result does not depend on the thread count (bitwise).
 *
 * Errors: MX_ERR_ARG for op_a / op_b not MX_OP_N or MX_OP_T, a NULL A, B or C
 * whose stored matrix has elements, a leading dimension smaller than its row
 * length, a matrix extent that overflows size_t, or work == NULL with
 * work_bytes > 0; MX_ERR_WORKSPACE (above); MX_ERR_ISA (see core.h).
 *
 * Error bound, per element, for every ISA and thread count, with
 * u = 2^-24 and gamma_n = n u / (1 - n u):
 *
 *   |C_ij - C_exact_ij| <= gamma_{K+2} * (|alpha| sum_k |op(A)_ik| |op(B)_kj|
 *                                         + |beta| |C_ij|)
 *                          + (|alpha| + 1) (K + 2) 2^-149
 *
 * Why: every product a_ik b_kj and beta c_ij reaches C_ij through at most
 * K + 2 roundings whatever the summation order or blocking (at most KC FMAs
 * in its K block, one multiply or FMA by alpha, one addition per later K
 * block, one multiply beta*c), and a product of n factors (1 + d), |d| <= u,
 * differs from 1 by at most gamma_n (Higham, Accuracy and Stability, Lemma
 * 3.1 and eq. 3.5). The last term accounts for gradual underflow: each of
 * the <= K operations before the alpha scaling and <= K + 2 after it may add
 * an absolute error of at most 2^-150. Holds while no intermediate overflows;
 * Inf and NaN inputs propagate as IEEE arithmetic does. */
mx_status mx_gemm_f32(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K, float alpha,
                      const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                      size_t ldc, void *work, size_t work_bytes);

/* Fixed-ISA variants: same contract and bound as mx_gemm_f32, but they assume
 * valid arguments (everything mx_gemm_f32 checks must hold, including the
 * one-thread workspace size) and return nothing. Callable directly when the
 * CPU has the ISA. */
void mx_gemm_f32_scalar(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K, float alpha,
                        const float *A, size_t lda, const float *B, size_t ldb, float beta,
                        float *C, size_t ldc, void *work, size_t work_bytes);
#if MX_ARCH_X86
MX_TARGET_AVX2 void mx_gemm_f32_avx2(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K,
                                     float alpha, const float *A, size_t lda, const float *B,
                                     size_t ldb, float beta, float *C, size_t ldc, void *work,
                                     size_t work_bytes);
MX_TARGET_AVX512 void mx_gemm_f32_avx512(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K,
                                         float alpha, const float *A, size_t lda, const float *B,
                                         size_t ldb, float beta, float *C, size_t ldc, void *work,
                                         size_t work_bytes);
#endif
#if MX_ARCH_ARM64
void mx_gemm_f32_neon(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K, float alpha,
                      const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                      size_t ldc, void *work, size_t work_bytes);
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_GEMM_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_GEMM_IMPLEMENTED)
#define MIXSIMD_GEMM_IMPLEMENTED
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#define MX_GEMM_OMP_(directive) _Pragma(directive)
#else
#define MX_GEMM_OMP_(directive)
#endif

/* ---- shared machinery: problem, blocking plan, packing, tile update ------- */

/* One multiply, as the caller gave it. */
typedef struct mx_gemm_problem_ {
    mx_op op_a, op_b;
    size_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    size_t lda, ldb, ldc;
    float *C;
    void *work;
    size_t work_bytes;
} mx_gemm_problem_;

/* The microkernel: acc = sum_{k < kc} Ap[k][0..mr) (outer) Bp[k][0..nr) over
 * one packed MR-row micro-panel of A and NR-column micro-panel of B, then
 * C[0..m)[0..n) = alpha * acc + beta * C (beta == 0: C not read). */
typedef void (*mx_gemm_ukernel_fn_)(size_t kc, const float *Ap, const float *Bp, float *C,
                                    size_t ldc, size_t m, size_t n, float alpha, float beta);

/* An ISA's register tile (MR x NR), cache blocking (MC, KC, NC; MC multiple
 * of MR, NC of NR) and microkernel. */
typedef struct mx_gemm_kernel_ {
    size_t mr, nr, mc, kc, nc;
    mx_gemm_ukernel_fn_ ukernel;
} mx_gemm_kernel_;

/* How one call is cut up: block sizes clamped to the problem, workspace
 * carve-up, thread count and the (MC block) x (panel chunk) work units. */
typedef struct mx_gemm_plan_ {
    size_t mc, kc, nc;            /* effective blocks                        */
    size_t b_floats, a_floats;    /* packed B block, packed A block / thread */
    size_t threads, m_blocks, n_chunks;
} mx_gemm_plan_;

enum { MX_GEMM_ALIGN_ = 64 }; /* bytes: packed panels start on cache lines */

static size_t mx_gemm_min_(size_t a, size_t b) { return a < b ? a : b; }
static size_t mx_gemm_ceil_div_(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t mx_gemm_round_up_(size_t a, size_t b) { return mx_gemm_ceil_div_(a, b) * b; }

static size_t mx_gemm_max_threads_(void) {
#ifdef _OPENMP
    int t = omp_get_max_threads();
    return t > 0 ? (size_t)t : 1;
#else
    return 1;
#endif
}

static size_t mx_gemm_thread_id_(void) {
#ifdef _OPENMP
    return (size_t)omp_get_thread_num();
#else
    return 0;
#endif
}

/* Packed block sizes (floats, rounded to 64 bytes) for this kernel. */
static void mx_gemm_block_floats_(const mx_gemm_kernel_ *kr, size_t M, size_t N, size_t K,
                                  size_t *b_floats, size_t *a_floats) {
    const size_t kc = mx_gemm_min_(kr->kc, K);
    const size_t nc = mx_gemm_round_up_(mx_gemm_min_(kr->nc, N), kr->nr);
    const size_t mc = mx_gemm_round_up_(mx_gemm_min_(kr->mc, M), kr->mr);
    *b_floats = mx_gemm_round_up_(kc * nc, MX_GEMM_ALIGN_ / sizeof(float));
    *a_floats = mx_gemm_round_up_(mc * kc, MX_GEMM_ALIGN_ / sizeof(float));
}

static size_t mx_gemm_kernel_workspace_(const mx_gemm_kernel_ *kr, size_t M, size_t N, size_t K,
                                        size_t threads) {
    size_t b, a;
    mx_gemm_block_floats_(kr, M, N, K, &b, &a);
    return MX_GEMM_ALIGN_ + (b + threads * a) * sizeof(float);
}

/* Fewer threads than asked when the problem is too small to pay for them
 * (about 2 MFLOP) or the workspace has no room; never more than tiles. */
static mx_gemm_plan_ mx_gemm_plan_make_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    mx_gemm_plan_ plan;
    mx_gemm_block_floats_(kr, p->M, p->N, p->K, &plan.b_floats, &plan.a_floats);
    plan.kc = mx_gemm_min_(kr->kc, p->K);
    plan.nc = mx_gemm_min_(kr->nc, p->N);
    plan.mc = mx_gemm_min_(kr->mc, mx_gemm_round_up_(p->M, kr->mr));
    const size_t fixed = MX_GEMM_ALIGN_ + plan.b_floats * sizeof(float);
    size_t t = mx_gemm_max_threads_();
    if (p->work_bytes > fixed)
        t = mx_gemm_min_(t, (p->work_bytes - fixed) / (plan.a_floats * sizeof(float)));
    t = mx_gemm_min_(t, mx_gemm_ceil_div_(p->M, kr->mr) * mx_gemm_ceil_div_(plan.nc, kr->nr));
    if ((double)p->M * (double)p->N * (double)p->K < 1e6) t = 1;
    plan.threads = t > 0 ? t : 1;
    /* Smaller MC blocks (still multiples of MR) until every thread has one. */
    if (mx_gemm_ceil_div_(p->M, plan.mc) < plan.threads)
        plan.mc = mx_gemm_round_up_(mx_gemm_ceil_div_(p->M, plan.threads), kr->mr);
    plan.m_blocks = mx_gemm_ceil_div_(p->M, plan.mc);
    plan.n_chunks = plan.m_blocks >= plan.threads ? 1
                                                  : mx_gemm_ceil_div_(plan.threads, plan.m_blocks);
    return plan;
}

/* Packs a rows x kc block of a matrix whose element (r, k) is
 * src[r * stride_r + k * stride_k] into micro-panels of `width` rows:
 * panel q holds element (q*width + w, k) at dst[q*width*kc + k*width + w];
 * rows past the end are zero (their results are computed and discarded). */
static void mx_gemm_pack_(const float *src, size_t stride_r, size_t stride_k, size_t rows,
                          size_t kc, size_t width, float *dst) {
    for (size_t r0 = 0; r0 < rows; r0 += width, dst += width * kc) {
        const size_t w = mx_gemm_min_(width, rows - r0);
        const float *s = src + r0 * stride_r;
        if (stride_r == 1) { /* each k: w contiguous values */
            for (size_t k = 0; k < kc; ++k) {
                memcpy(dst + k * width, s + k * stride_k, w * sizeof(float));
                for (size_t i = w; i < width; ++i) dst[k * width + i] = 0.0f;
            }
        } else { /* each row contiguous in k: transpose */
            for (size_t k = 0; k < kc; ++k) {
                for (size_t i = 0; i < w; ++i) dst[k * width + i] = s[i * stride_r + k * stride_k];
                for (size_t i = w; i < width; ++i) dst[k * width + i] = 0.0f;
            }
        }
    }
}

/* op(A)[i0 .., p0 ..] (m x kc) into MR-row micro-panels. */
static void mx_gemm_pack_a_(const mx_gemm_problem_ *p, size_t i0, size_t m, size_t p0, size_t kc,
                            size_t mr, float *Ap) {
    if (p->op_a == MX_OP_N) /* op(A)_ik = A[i lda + k] */
        mx_gemm_pack_(p->A + i0 * p->lda + p0, p->lda, 1, m, kc, mr, Ap);
    else /* op(A)_ik = A[k lda + i] */
        mx_gemm_pack_(p->A + p0 * p->lda + i0, 1, p->lda, m, kc, mr, Ap);
}

/* op(B)[p0 .., j0 ..] (kc x n) into NR-column micro-panels. */
static void mx_gemm_pack_b_(const mx_gemm_problem_ *p, size_t p0, size_t kc, size_t j0, size_t n,
                            size_t nr, float *Bp) {
    if (p->op_b == MX_OP_N) /* op(B)_kj = B[k ldb + j] */
        mx_gemm_pack_(p->B + p0 * p->ldb + j0, 1, p->ldb, n, kc, nr, Bp);
    else /* op(B)_kj = B[j ldb + k] */
        mx_gemm_pack_(p->B + j0 * p->ldb + p0, p->ldb, 1, n, kc, nr, Bp);
}

/* C[0..m)[0..n) = alpha * acc + beta * C, acc with row stride acc_ld. fmaf
 * rounds exactly like the vector FMAs, so edge tiles (which come here) and
 * full tiles (vector update) of one ISA round identically. */
static void mx_gemm_update_tile_(float *C, size_t ldc, size_t m, size_t n, const float *acc,
                                 size_t acc_ld, float alpha, float beta) {
    for (size_t i = 0; i < m; ++i, C += ldc, acc += acc_ld) {
        if (beta == 0.0f)
            for (size_t j = 0; j < n; ++j) C[j] = alpha * acc[j];
        else
            for (size_t j = 0; j < n; ++j) C[j] = fmaf(alpha, acc[j], beta * C[j]);
    }
}

/* C = beta * C (the K == 0 or alpha == 0 case; beta == 0 writes zeros). */
static void mx_gemm_scale_c_(const mx_gemm_problem_ *p) {
    if (p->beta == 1.0f) return;
    for (size_t i = 0; i < p->M; ++i) {
        float *c = p->C + i * p->ldc;
        if (p->beta == 0.0f)
            for (size_t j = 0; j < p->N; ++j) c[j] = 0.0f;
        else
            for (size_t j = 0; j < p->N; ++j) c[j] *= p->beta;
    }
}

/* Tiles of panel range [q0, q1) of the packed B block against the packed
 * A block, whose top-left element is C_blk. */
static void mx_gemm_macro_(const mx_gemm_kernel_ *kr, size_t mcb, size_t ncb, size_t kcb,
                           size_t q0, size_t q1, const float *Ap, const float *Bp, float *C_blk,
                           size_t ldc, float alpha, float beta) {
    for (size_t q = q0; q < q1; ++q) {
        const size_t j = q * kr->nr, n = mx_gemm_min_(kr->nr, ncb - j);
        for (size_t i = 0; i < mcb; i += kr->mr) {
            const size_t m = mx_gemm_min_(kr->mr, mcb - i);
            kr->ukernel(kcb, Ap + i * kcb, Bp + j * kcb, C_blk + i * ldc + j, ldc, m, n, alpha,
                        beta);
        }
    }
}

/* What every thread runs: the jc / pc loops, sharing the packing of B and
 * splitting the (MC block, panel chunk) units. Orphaned worksharing: also
 * correct when called outside a parallel region. */
static void mx_gemm_thread_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p,
                            const mx_gemm_plan_ *plan, float *Bp, float *Ap_all) {
    float *Ap = Ap_all + mx_gemm_thread_id_() * plan->a_floats;
    for (size_t jc = 0; jc < p->N; jc += plan->nc) {
        const size_t ncb = mx_gemm_min_(plan->nc, p->N - jc);
        const size_t panels = mx_gemm_ceil_div_(ncb, kr->nr);
        for (size_t pc = 0; pc < p->K; pc += plan->kc) {
            const size_t kcb = mx_gemm_min_(plan->kc, p->K - pc);
            /* The first K block applies beta; later ones accumulate into C. */
            const float beta = pc == 0 ? p->beta : 1.0f;
            MX_GEMM_OMP_("omp for schedule(static)")
            for (size_t q = 0; q < panels; ++q) {
                const size_t j = q * kr->nr;
                mx_gemm_pack_b_(p, pc, kcb, jc + j, mx_gemm_min_(kr->nr, ncb - j), kr->nr,
                                Bp + j * kcb);
            } /* implicit barrier: B block complete */
            size_t packed_block = SIZE_MAX;
            const size_t units = plan->m_blocks * plan->n_chunks;
            MX_GEMM_OMP_("omp for schedule(static)")
            for (size_t u = 0; u < units; ++u) {
                const size_t ib = u / plan->n_chunks, chunk = u % plan->n_chunks;
                const size_t ic = ib * plan->mc, mcb = mx_gemm_min_(plan->mc, p->M - ic);
                if (ib != packed_block) {
                    mx_gemm_pack_a_(p, ic, mcb, pc, kcb, kr->mr, Ap);
                    packed_block = ib;
                }
                const size_t q0 = chunk * panels / plan->n_chunks;
                const size_t q1 = (chunk + 1) * panels / plan->n_chunks;
                mx_gemm_macro_(kr, mcb, ncb, kcb, q0, q1, Ap, Bp, p->C + ic * p->ldc + jc, p->ldc,
                               p->alpha, beta);
            } /* implicit barrier: B block may be overwritten */
        }
    }
}

/* The one driver behind every ISA variant. */
static void mx_gemm_run_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    if (p->M == 0 || p->N == 0) return;
    if (p->K == 0 || p->alpha == 0.0f) {
        mx_gemm_scale_c_(p);
        return;
    }
    const mx_gemm_plan_ plan = mx_gemm_plan_make_(kr, p);
    const size_t misalign = (size_t)((uintptr_t)p->work % MX_GEMM_ALIGN_);
    char *aligned = (char *)p->work + (MX_GEMM_ALIGN_ - misalign) % MX_GEMM_ALIGN_;
    float *Bp = (float *)(void *)aligned;
    float *Ap_all = Bp + plan.b_floats;
    const int threads = (int)plan.threads;
    (void)threads;
    MX_GEMM_OMP_("omp parallel num_threads(threads) if(threads > 1)")
    mx_gemm_thread_(kr, p, &plan, Bp, Ap_all);
}

/* Defines the public fixed-ISA entry point around an ISA's kernel table. */
#define MX_GEMM_VARIANT_(attr, isa, kernel)                                                     \
    attr void mx_gemm_f32_##isa(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K,           \
                                float alpha, const float *A, size_t lda, const float *B,        \
                                size_t ldb, float beta, float *C, size_t ldc, void *work,       \
                                size_t work_bytes) {                                            \
        const mx_gemm_problem_ p = {op_a, op_b, M, N, K, alpha, beta, A, B, lda, ldb, ldc,      \
                                    C, work, work_bytes};                                       \
        mx_gemm_run_(&(kernel), &p);                                                            \
    }

/* ---- scalar: 4 x 4 ------------------------------------------------------- */
enum { MX_GEMM_SCALAR_MR_ = 4, MX_GEMM_SCALAR_NR_ = 4 };

static void mx_gemm_ukernel_scalar_(size_t kc, const float *Ap, const float *Bp, float *C,
                                    size_t ldc, size_t m, size_t n, float alpha, float beta) {
    float acc[MX_GEMM_SCALAR_MR_ * MX_GEMM_SCALAR_NR_] = {0};
    for (size_t k = 0; k < kc; ++k, Ap += MX_GEMM_SCALAR_MR_, Bp += MX_GEMM_SCALAR_NR_)
        for (size_t i = 0; i < MX_GEMM_SCALAR_MR_; ++i)
            for (size_t j = 0; j < MX_GEMM_SCALAR_NR_; ++j)
                acc[i * MX_GEMM_SCALAR_NR_ + j] += Ap[i] * Bp[j];
    mx_gemm_update_tile_(C, ldc, m, n, acc, MX_GEMM_SCALAR_NR_, alpha, beta);
}

static const mx_gemm_kernel_ mx_gemm_kernel_scalar_ = {
    MX_GEMM_SCALAR_MR_, MX_GEMM_SCALAR_NR_, 128, 256, 1024, mx_gemm_ukernel_scalar_};

MX_GEMM_VARIANT_(, scalar, mx_gemm_kernel_scalar_)

/* ---- x86: AVX2 6 x 16, AVX-512 8 x 32 ------------------------------------ */
#if MX_ARCH_X86

/* Row r of an AVX2 tile: two ymm accumulators c<r>0, c<r>1. */
#define MX_GEMM_AVX2_ROWS_(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define MX_GEMM_AVX2_DECL_(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
#define MX_GEMM_AVX2_FMA_(r)                          \
    {                                                 \
        const __m256 a = _mm256_broadcast_ss(Ap + r); \
        c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0);    \
        c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1);    \
    }
#define MX_GEMM_AVX2_FULL_(r)                                                            \
    {                                                                                    \
        float *c = C + r * ldc;                                                          \
        __m256 t0 = _mm256_mul_ps(va, c##r##0), t1 = _mm256_mul_ps(va, c##r##1);        \
        if (beta != 0.0f) {                                                              \
            t0 = _mm256_fmadd_ps(va, c##r##0, _mm256_mul_ps(vb, _mm256_loadu_ps(c)));     \
            t1 = _mm256_fmadd_ps(va, c##r##1, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8))); \
        }                                                                                \
        _mm256_storeu_ps(c, t0);                                                         \
        _mm256_storeu_ps(c + 8, t1);                                                     \
    }
#define MX_GEMM_AVX2_SPILL_(r)             \
    _mm256_storeu_ps(acc + r * 16, c##r##0); \
    _mm256_storeu_ps(acc + r * 16 + 8, c##r##1);

MX_TARGET_AVX2 static void mx_gemm_ukernel_avx2_(size_t kc, const float *Ap, const float *Bp,
                                                 float *C, size_t ldc, size_t m, size_t n,
                                                 float alpha, float beta) {
    MX_GEMM_AVX2_ROWS_(MX_GEMM_AVX2_DECL_)
    for (size_t k = 0; k < kc; ++k, Ap += 6, Bp += 16) {
        const __m256 b0 = _mm256_loadu_ps(Bp), b1 = _mm256_loadu_ps(Bp + 8);
        MX_GEMM_AVX2_ROWS_(MX_GEMM_AVX2_FMA_)
    }
    if (m == 6 && n == 16) {
        const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
        MX_GEMM_AVX2_ROWS_(MX_GEMM_AVX2_FULL_)
    } else { /* edge tile: through a scratch tile, never touching C beyond m x n */
        float acc[6 * 16];
        MX_GEMM_AVX2_ROWS_(MX_GEMM_AVX2_SPILL_)
        mx_gemm_update_tile_(C, ldc, m, n, acc, 16, alpha, beta);
    }
}

static const mx_gemm_kernel_ mx_gemm_kernel_avx2_ = {6, 16, 144, 256, 2048, mx_gemm_ukernel_avx2_};

MX_GEMM_VARIANT_(MX_TARGET_AVX2, avx2, mx_gemm_kernel_avx2_)

/* Row r of an AVX-512 tile: two zmm accumulators c<r>0, c<r>1. */
#define MX_GEMM_AVX512_ROWS_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define MX_GEMM_AVX512_DECL_(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
#define MX_GEMM_AVX512_FMA_(r)                     \
    {                                              \
        const __m512 a = _mm512_set1_ps(Ap[r]);    \
        c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0); \
        c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1); \
    }
#define MX_GEMM_AVX512_STORE_(r) \
    if (r < m) mx_gemm_update_row_avx512_(C + r * ldc, k0, k1, c##r##0, c##r##1, alpha, beta);

/* One tile row: C[0..n) = alpha * acc + beta * C under column masks k0, k1
 * (masked-off lanes are neither loaded nor stored). */
MX_TARGET_AVX512 static inline void mx_gemm_update_row_avx512_(float *c, __mmask16 k0,
                                                               __mmask16 k1, __m512 acc0,
                                                               __m512 acc1, float alpha,
                                                               float beta) {
    const __m512 va = _mm512_set1_ps(alpha);
    __m512 t0 = _mm512_mul_ps(va, acc0), t1 = _mm512_mul_ps(va, acc1);
    if (beta != 0.0f) {
        const __m512 vb = _mm512_set1_ps(beta);
        t0 = _mm512_fmadd_ps(va, acc0, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(k0, c)));
        t1 = _mm512_fmadd_ps(va, acc1, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(k1, c + 16)));
    }
    _mm512_mask_storeu_ps(c, k0, t0);
    _mm512_mask_storeu_ps(c + 16, k1, t1);
}

MX_TARGET_AVX512 static void mx_gemm_ukernel_avx512_(size_t kc, const float *Ap, const float *Bp,
                                                     float *C, size_t ldc, size_t m, size_t n,
                                                     float alpha, float beta) {
    MX_GEMM_AVX512_ROWS_(MX_GEMM_AVX512_DECL_)
    for (size_t k = 0; k < kc; ++k, Ap += 8, Bp += 32) {
        const __m512 b0 = _mm512_loadu_ps(Bp), b1 = _mm512_loadu_ps(Bp + 16);
        MX_GEMM_AVX512_ROWS_(MX_GEMM_AVX512_FMA_)
    }
    /* Column masks for n <= 32 valid columns: lanes [0, n) of the 32. */
    const __mmask16 k0 = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    const __mmask16 k1 = (__mmask16)(n >= 32 ? 0xFFFFu : n <= 16 ? 0u : (1u << (n - 16)) - 1u);
    MX_GEMM_AVX512_ROWS_(MX_GEMM_AVX512_STORE_)
}

static const mx_gemm_kernel_ mx_gemm_kernel_avx512_ = {8, 32, 128, 256, 2048,
                                                       mx_gemm_ukernel_avx512_};

MX_GEMM_VARIANT_(MX_TARGET_AVX512, avx512, mx_gemm_kernel_avx512_)

#endif /* MX_ARCH_X86 */

/* ---- aarch64: NEON 8 x 8 ------------------------------------------------- */
#if MX_ARCH_ARM64

/* Rows 0-3 take their A value from lanes of a0, rows 4-7 from a1. */
#define MX_GEMM_NEON_ROWS_(X) X(0, a0, 0) X(1, a0, 1) X(2, a0, 2) X(3, a0, 3) \
                              X(4, a1, 0) X(5, a1, 1) X(6, a1, 2) X(7, a1, 3)
#define MX_GEMM_NEON_DECL_(r, av, lane) float32x4_t c##r##0 = vdupq_n_f32(0.0f), c##r##1 = c##r##0;
#define MX_GEMM_NEON_FMA_(r, av, lane)                  \
    c##r##0 = vfmaq_laneq_f32(c##r##0, b0, av, lane); \
    c##r##1 = vfmaq_laneq_f32(c##r##1, b1, av, lane);
#define MX_GEMM_NEON_FULL_(r, av, lane)                                                   \
    {                                                                                     \
        float *c = C + r * ldc;                                                           \
        float32x4_t t0 = vmulq_f32(va, c##r##0), t1 = vmulq_f32(va, c##r##1);            \
        if (beta != 0.0f) {                                                               \
            t0 = vfmaq_f32(vmulq_f32(vb, vld1q_f32(c)), va, c##r##0);                     \
            t1 = vfmaq_f32(vmulq_f32(vb, vld1q_f32(c + 4)), va, c##r##1);                 \
        }                                                                                 \
        vst1q_f32(c, t0);                                                                 \
        vst1q_f32(c + 4, t1);                                                             \
    }
#define MX_GEMM_NEON_SPILL_(r, av, lane) \
    vst1q_f32(acc + r * 8, c##r##0);     \
    vst1q_f32(acc + r * 8 + 4, c##r##1);

static void mx_gemm_ukernel_neon_(size_t kc, const float *Ap, const float *Bp, float *C,
                                  size_t ldc, size_t m, size_t n, float alpha, float beta) {
    MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_DECL_)
    for (size_t k = 0; k < kc; ++k, Ap += 8, Bp += 8) {
        const float32x4_t a0 = vld1q_f32(Ap), a1 = vld1q_f32(Ap + 4);
        const float32x4_t b0 = vld1q_f32(Bp), b1 = vld1q_f32(Bp + 4);
        MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_FMA_)
    }
    if (m == 8 && n == 8) {
        const float32x4_t va = vdupq_n_f32(alpha), vb = vdupq_n_f32(beta);
        MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_FULL_)
    } else {
        float acc[8 * 8];
        MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_SPILL_)
        mx_gemm_update_tile_(C, ldc, m, n, acc, 8, alpha, beta);
    }
}

static const mx_gemm_kernel_ mx_gemm_kernel_neon_ = {8, 8, 128, 256, 2048, mx_gemm_ukernel_neon_};

MX_GEMM_VARIANT_(, neon, mx_gemm_kernel_neon_)

#endif /* MX_ARCH_ARM64 */

/* ---- workspace and the dispatched entry ---------------------------------- */

size_t mx_gemm_f32_workspace_size_for(size_t M, size_t N, size_t K, size_t threads) {
    if (M == 0 || N == 0 || K == 0) return 0;
    if (threads == 0) threads = 1;
    const mx_gemm_kernel_ *const kernels[] = {
        &mx_gemm_kernel_scalar_,
#if MX_ARCH_X86
        &mx_gemm_kernel_avx2_, &mx_gemm_kernel_avx512_,
#endif
#if MX_ARCH_ARM64
        &mx_gemm_kernel_neon_,
#endif
    };
    size_t bytes = 0;
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
        const size_t b = mx_gemm_kernel_workspace_(kernels[i], M, N, K, threads);
        if (b > bytes) bytes = b;
    }
    return bytes;
}

size_t mx_gemm_f32_workspace_size(size_t M, size_t N, size_t K) {
    return mx_gemm_f32_workspace_size_for(M, N, K, mx_gemm_max_threads_());
}

/* A rows x cols matrix with row stride ld is addressable: ld >= cols, a NULL
 * pointer only when empty, (rows - 1) ld + cols floats fit in size_t bytes. */
static int mx_gemm_matrix_ok_(const float *X, size_t rows, size_t cols, size_t ld) {
    if (ld < cols) return 0;
    if (rows == 0 || cols == 0) return 1;
    if (X == NULL) return 0;
    const size_t max_floats = SIZE_MAX / sizeof(float);
    return rows - 1 <= (max_floats - cols) / (ld > 0 ? ld : 1);
}

mx_status mx_gemm_f32(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K, float alpha,
                      const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                      size_t ldc, void *work, size_t work_bytes) {
    if ((op_a != MX_OP_N && op_a != MX_OP_T) || (op_b != MX_OP_N && op_b != MX_OP_T))
        return MX_ERR_ARG;
    const int ta = op_a == MX_OP_T, tb = op_b == MX_OP_T;
    if (!mx_gemm_matrix_ok_(A, ta ? K : M, ta ? M : K, lda) ||
        !mx_gemm_matrix_ok_(B, tb ? N : K, tb ? K : N, ldb) || !mx_gemm_matrix_ok_(C, M, N, ldc))
        return MX_ERR_ARG;
    if (work == NULL && work_bytes > 0) return MX_ERR_ARG;
    if (work_bytes < mx_gemm_f32_workspace_size_for(M, N, K, 1)) return MX_ERR_WORKSPACE;
    MX_DISPATCH(mx_gemm_f32, (op_a, op_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, work,
                              work_bytes));
    return MX_OK;
}

#endif /* MIXSIMD_IMPLEMENTATION */
