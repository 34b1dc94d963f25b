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
 *     for jc in N by NC:                      packed B block lives in L2
 *       for pc in K by KC:                    pack op(B)[pc.., jc..] (or read it in place)
 *         for ic in M by MC:                  pack op(A)[ic.., pc..]
 *           for jr, ir (ir, jr when KC <= NR): MR x NR microkernel,
 *             acc = sum_{k in KC block} a_ik b_kj (FMA chain), then
 *             C = alpha*acc + beta*C (first K block) or C = alpha*acc + C.
 *
 * K is cut into blocks of equal depth (at most KC). Microkernels exist for
 * every row count up to MR, so edge tiles cost in proportion to their rows;
 * columns past N are masked (AVX-512) or go through a scratch tile. op(B)
 * stored K x N is read in place, under column masks, when M <= MR or K <= NR
 * (packing would cost as much as the multiply).
 *
 * Narrow outputs (2N <= NR, N < M): on AVX-512 with op(A) = A, C_ij is computed
 * as dot products along k of A's contiguous rows with a packed op(B)^T (4 rows
 * x up to 6 columns of 16-lane accumulators, then a horizontal sum); otherwise
 * as C^T = op(B)^T op(A)^T, the tiles then storing C by columns.
 *
 * Threads (OpenMP) split C's rows or columns into equal parts of whole tiles,
 * the dimension whose operand is larger, and each multiplies its part alone
 * in its own workspace slice: no barriers, each core's packed blocks in its
 * own L2. Each C element's K-sum is accumulated in the same order whatever the
 * thread count (the K blocking depends on K alone), so results are bitwise
 * identical for any number of threads.
 *
 * Microkernels: AVX-512 12 x 32 (24 zmm accumulators), AVX2+FMA 6 x 16, NEON
 * 8 x 8 (vfmaq_laneq_f32), scalar 4 x 4; packing with SSE 4 x 4 transposes on
 * x86.
 */
#ifndef MIXSIMD_GEMM_H
#define MIXSIMD_GEMM_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_op { MX_OP_N = 0, MX_OP_T = 1 } mx_op;

/* Bytes of workspace mx_gemm_f32 needs to run with `threads` threads
 * (threads == 0 counts as 1): per thread, a packed KC x NC block of op(B) and
 * a packed MC x KC block of op(A) (or the narrow-output path's packed op(B)^T,
 * at most 16 x 2048 floats), plus 64 bytes of alignment slack (the workspace
 * may have any alignment). The size is the largest any ISA variant needs.
 * 0 when M, N or K is 0. */
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
 * K + 2 roundings whatever the summation order or blocking (in its K block
 * at most KC FMAs, or, on the narrow-output path, a lane's FMA chain and a
 * horizontal sum: any summation tree of n terms rounds each term at most
 * n - 1 times, and adding the exact zeros of padding lanes does not round;
 * one multiply or FMA by alpha, one addition per later K block, one multiply
 * beta*c), and a product of n factors (1 + d), |d| <= u,
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
#ifdef _OPENMP
#include <omp.h>
#define MX_GEMM_OMP_(directive) _Pragma(directive)
#else
#define MX_GEMM_OMP_(directive)
#endif

/* ---- shared machinery: problem, blocking plan, packing, tile update ------- */

/* One multiply. C's element (i, j) is C[i rs_c + j cs_c]: the caller's
 * layout has rs_c = ldc, cs_c = 1; the transposed form below swaps them. */
typedef struct mx_gemm_problem_ {
    mx_op op_a, op_b;
    size_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    size_t lda, ldb;
    float *C;
    size_t rs_c, cs_c;
    void *work;
    size_t work_bytes;
} mx_gemm_problem_;

/* One microkernel call: acc = sum_{k < kc} a[k mr + (0..mr)] (outer) b[k ldb + (0..nr)]
 * over a packed MR-row micro-panel of A and kc rows of B (a packed NR-column
 * micro-panel, ldb = NR, or op(B) read in place), then
 * C[0..m)[0..n) = alpha acc + beta C (beta == 0: C not read). Only the first n
 * columns of each B row are read when B is read in place. */
typedef struct mx_gemm_tile_ {
    size_t kc, m, n;
    const float *a, *b;
    size_t ldb;
    float *c;
    size_t rs_c, cs_c;
    float alpha, beta;
} mx_gemm_tile_;

typedef void (*mx_gemm_ukernel_fn_)(const mx_gemm_tile_ *t);

/* Packs a rows x kc block of a matrix whose element (r, k) is
 * src[r stride_r + k stride_k], with stride_r == 1 or stride_k == 1, into
 * micro-panels of `width` rows: panel q holds element (q width + w, k) at
 * dst[q width kc + k width + w]; rows past the end are zero. */
typedef void (*mx_gemm_pack_fn_)(const float *src, size_t stride_r, size_t stride_k, size_t rows,
                                 size_t kc, size_t width, float *dst);

enum {
    MX_GEMM_ALIGN_ = 64,    /* bytes: packed panels start on cache lines          */
    MX_GEMM_DOT_MR_ = 4,    /* rows per dot-kernel call                            */
    MX_GEMM_DOT_NR_ = 6,    /* columns per dot-kernel call (at most)               */
    MX_GEMM_DOT_KC_ = 2048, /* K block of the dot path (its packed B^T: 16 x this) */
    MX_GEMM_DOT_CHUNK_ = 16 /* k values per vector in the dot path's packed B^T    */
};

/* Narrow-N dot kernel: s[r][j] = sum_{k < kc} a[r][k] bt_j[k] for the
 * MX_GEMM_DOT_MR_ rows a[r] and j < n, where bt_j's 16-value chunk c is at
 * bt + c bt_step + 16 j (zero-padded past kc). */
typedef struct mx_gemm_dot_tile_ {
    const float *a[MX_GEMM_DOT_MR_], *bt;
    size_t kc, bt_step;
    float (*s)[MX_GEMM_DOT_NR_];
} mx_gemm_dot_tile_;

typedef void (*mx_gemm_dot_fn_)(const mx_gemm_dot_tile_ *t);

/* An ISA's register tile (MR x NR), cache blocking (MC, KC, NC; MC multiple
 * of MR, NC of NR), microkernels by valid row count (ukernels[m], 1 <= m <= MR),
 * its packing routine, whether its microkernels may read op(B) in place
 * (masked loads of the n valid columns), and optional dot kernels by column
 * count (dots[n], 1 <= n <= MX_GEMM_DOT_NR_) for outputs with few columns. */
typedef struct mx_gemm_kernel_ {
    size_t mr, nr, mc, kc, nc;
    const mx_gemm_ukernel_fn_ *ukernels;
    mx_gemm_pack_fn_ pack;
    int reads_b_in_place;
    const mx_gemm_dot_fn_ *dots;
} mx_gemm_kernel_;

/* How one thread's multiply is cut up: block sizes clamped to the problem
 * and the workspace carve-up. */
typedef struct mx_gemm_plan_ {
    size_t mc, kc, nc;         /* effective blocks                        */
    size_t b_floats;           /* packed B block (0 when B is read in place) */
    int pack_b;                /* 0: the microkernel reads op(B) in place */
} mx_gemm_plan_;

static size_t mx_gemm_min_(size_t a, size_t b) { return a < b ? a : b; }
static size_t mx_gemm_max_(size_t a, size_t b) { return a > b ? a : b; }
static size_t mx_gemm_ceil_div_(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t mx_gemm_round_up_(size_t a, size_t b) { return mx_gemm_ceil_div_(a, b) * b; }
static size_t mx_gemm_line_floats_(size_t n) {
    return mx_gemm_round_up_(n, MX_GEMM_ALIGN_ / sizeof(float));
}

static size_t mx_gemm_max_threads_(void) {
#ifdef _OPENMP
    int t = omp_get_max_threads();
    return t > 0 ? (size_t)t : 1;
#else
    return 1;
#endif
}

/* K cut into the fewest blocks of at most kmax, all of (nearly) equal depth:
 * a short last block would cost a full pass over C for little work. */
static size_t mx_gemm_block_depth_(size_t kmax, size_t K) {
    return mx_gemm_ceil_div_(K, mx_gemm_ceil_div_(K, kmax));
}

/* The output has so few columns that an NR-wide tile would be mostly padding:
 * such problems run as C^T = op(B)^T op(A)^T (or through the dot kernels). */
static int mx_gemm_is_narrow_(const mx_gemm_kernel_ *kr, size_t M, size_t N) {
    return 2 * N <= kr->nr && N < M;
}

/* op(B) is read in place (not packed) when it is stored K x N and each of its
 * rows is used by one A micro-panel only (M <= MR) or K is so small that the
 * packing would cost as much as the multiply. */
static int mx_gemm_packs_b_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    return !(kr->reads_b_in_place && p->op_b == MX_OP_N && (p->M <= kr->mr || p->K <= kr->nr));
}

/* NC for a depth: a shallow K (<= NR) makes the packed B block thin, and
 * wider blocks let the stores to C run along longer rows. */
static size_t mx_gemm_nc_(const mx_gemm_kernel_ *kr, size_t K) {
    return K <= kr->nr ? 16 * kr->nc : kr->nc;
}

/* Packed B block and packed A block (floats, whole cache lines) of a problem
 * already in the orientation it runs in. */
static void mx_gemm_block_floats_(const mx_gemm_kernel_ *kr, size_t M, size_t N, size_t K,
                                  size_t *b_floats, size_t *a_floats) {
    const size_t kc = mx_gemm_min_(kr->kc, K);
    const size_t nc = mx_gemm_round_up_(mx_gemm_min_(mx_gemm_nc_(kr, K), N), kr->nr);
    const size_t mc = mx_gemm_round_up_(mx_gemm_min_(kr->mc, M), kr->mr);
    *b_floats = mx_gemm_line_floats_(kc * nc);
    *a_floats = mx_gemm_line_floats_(mc * kc);
}

/* The dot path's packed op(B)^T block. */
static size_t mx_gemm_dot_floats_(size_t N, size_t K) {
    return mx_gemm_line_floats_(
        N * mx_gemm_round_up_(mx_gemm_min_(K, MX_GEMM_DOT_KC_), MX_GEMM_DOT_CHUNK_));
}

/* One thread's workspace: either orientation or the dot path, whichever is
 * largest. Threads work on disjoint parts of C, each in its own slice of
 * this size (so the packed blocks sit in each core's own cache). */
static size_t mx_gemm_kernel_workspace_(const mx_gemm_kernel_ *kr, size_t M, size_t N, size_t K) {
    size_t b, a, floats;
    mx_gemm_block_floats_(kr, M, N, K, &b, &a);
    floats = b + a;
    mx_gemm_block_floats_(kr, N, M, K, &b, &a);
    floats = mx_gemm_max_(floats, b + a);
    if (kr->dots && mx_gemm_is_narrow_(kr, M, N))
        floats = mx_gemm_max_(floats, mx_gemm_dot_floats_(N, K));
    return MX_GEMM_ALIGN_ + floats * sizeof(float);
}

/* MC blocks: as few as MC allows, of equal sizes up to MR. */
static mx_gemm_plan_ mx_gemm_plan_make_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    mx_gemm_plan_ plan;
    size_t a_floats;
    mx_gemm_block_floats_(kr, p->M, p->N, p->K, &plan.b_floats, &a_floats);
    plan.pack_b = mx_gemm_packs_b_(kr, p);
    if (!plan.pack_b) plan.b_floats = 0;
    plan.kc = mx_gemm_block_depth_(kr->kc, p->K);
    /* NC bounds the packed B block; op(B) read in place needs no bound. */
    plan.nc = plan.pack_b ? mx_gemm_min_(mx_gemm_nc_(kr, p->K), p->N) : p->N;
    const size_t blocks = mx_gemm_ceil_div_(p->M, kr->mc);
    plan.mc = mx_gemm_round_up_(mx_gemm_ceil_div_(p->M, blocks), kr->mr);
    return plan;
}

/* Portable packing (the scalar and NEON variants). */
static void mx_gemm_pack_generic_(const float *src, size_t stride_r, size_t stride_k, size_t rows,
                                  size_t kc, size_t width, float *dst) {
    for (size_t r0 = 0; r0 < rows; r0 += width, dst += width * kc) {
        const size_t w = mx_gemm_min_(width, rows - r0);
        const float *s = src + r0 * stride_r;
        for (size_t k = 0; k < kc; ++k) {
            for (size_t i = 0; i < w; ++i) dst[k * width + i] = s[i * stride_r + k * stride_k];
            for (size_t i = w; i < width; ++i) dst[k * width + i] = 0.0f;
        }
    }
}

/* op(A)[i0 .., p0 ..] (m x kc) into MR-row micro-panels. */
static void mx_gemm_pack_a_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p, size_t i0,
                            size_t m, size_t p0, size_t kc, float *Ap) {
    if (p->op_a == MX_OP_N) /* op(A)_ik = A[i lda + k] */
        kr->pack(p->A + i0 * p->lda + p0, p->lda, 1, m, kc, kr->mr, Ap);
    else /* op(A)_ik = A[k lda + i] */
        kr->pack(p->A + p0 * p->lda + i0, 1, p->lda, m, kc, kr->mr, Ap);
}

/* op(B)[p0 .., j0 ..] (kc x n) into NR-column micro-panels. */
static void mx_gemm_pack_b_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p, size_t p0,
                            size_t kc, size_t j0, size_t n, float *Bp) {
    if (p->op_b == MX_OP_N) /* op(B)_kj = B[k ldb + j] */
        kr->pack(p->B + p0 * p->ldb + j0, 1, p->ldb, n, kc, kr->nr, Bp);
    else /* op(B)_kj = B[j ldb + k] */
        kr->pack(p->B + j0 * p->ldb + p0, p->ldb, 1, n, kc, kr->nr, Bp);
}

/* C element = alpha * acc + beta * C (beta == 0: C not read). fmaf rounds
 * exactly like the vector FMAs, so tiles that come here and tiles updated in
 * vector registers round identically. */
static inline void mx_gemm_update_one_(float *c, float acc, float alpha, float beta) {
    *c = beta == 0.0f ? alpha * acc : fmaf(alpha, acc, beta * *c);
}

/* The tile's C[0..m)[0..n) from acc (row stride acc_ld). */
static void mx_gemm_update_tile_(const mx_gemm_tile_ *t, const float *acc, size_t acc_ld) {
    for (size_t i = 0; i < t->m; ++i)
        for (size_t j = 0; j < t->n; ++j)
            mx_gemm_update_one_(t->c + i * t->rs_c + j * t->cs_c, acc[i * acc_ld + j], t->alpha,
                                t->beta);
}

/* C = beta * C (the K == 0 or alpha == 0 case; beta == 0 writes zeros). */
static void mx_gemm_scale_c_(const mx_gemm_problem_ *p) {
    if (p->beta == 1.0f) return;
    for (size_t i = 0; i < p->M; ++i) {
        float *c = p->C + i * p->rs_c;
        if (p->beta == 0.0f)
            for (size_t j = 0; j < p->N; ++j) c[j] = 0.0f;
        else
            for (size_t j = 0; j < p->N; ++j) c[j] *= p->beta;
    }
}

/* C^T = op(B)^T op(A)^T: the same multiply with the roles of A and B swapped
 * and C addressed by columns. */
static mx_gemm_problem_ mx_gemm_transposed_(const mx_gemm_problem_ *p) {
    mx_gemm_problem_ t = *p;
    t.op_a = p->op_b == MX_OP_N ? MX_OP_T : MX_OP_N;
    t.op_b = p->op_a == MX_OP_N ? MX_OP_T : MX_OP_N;
    t.M = p->N, t.N = p->M;
    t.A = p->B, t.lda = p->ldb;
    t.B = p->A, t.ldb = p->lda;
    t.rs_c = p->cs_c, t.cs_c = p->rs_c;
    return t;
}

/* Where op(B)'s K block pc .. and column block jc .. lives for the
 * microkernels: micro-panel q at base + q step, rows ldb apart. */
typedef struct mx_gemm_b_block_ {
    const float *base;
    size_t step, ldb;
} mx_gemm_b_block_;

/* The tile at row i, panel q of a block: t holds the block's fixed fields. */
static inline void mx_gemm_tile_at_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p,
                                    mx_gemm_tile_ *t, size_t mcb, size_t ncb, size_t i, size_t q,
                                    const float *Ap, const mx_gemm_b_block_ *bb, float *C_blk) {
    const size_t j = q * kr->nr;
    t->m = mx_gemm_min_(kr->mr, mcb - i);
    t->n = mx_gemm_min_(kr->nr, ncb - j);
    t->a = Ap + i * t->kc;
    t->b = bb->base + q * bb->step;
    t->c = C_blk + i * p->rs_c + j * p->cs_c;
    kr->ukernels[t->m](t);
}

/* All tiles of a B block (`panels` micro-panels) against the packed A block,
 * whose top-left element is C_blk. Deep K blocks keep one B micro-panel in
 * L1 while the A micro-panels pass (panels outer); shallow ones are bound by
 * the stores to C, which then run along C's rows (A micro-panels outer). */
static void mx_gemm_macro_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p, size_t mcb,
                           size_t ncb, size_t kcb, size_t panels, const float *Ap,
                           const mx_gemm_b_block_ *bb, float *C_blk, float beta) {
    mx_gemm_tile_ t = {kcb, 0, 0, NULL, NULL, bb->ldb, NULL, p->rs_c, p->cs_c, p->alpha, beta};
    if (kcb > kr->nr) {
        for (size_t q = 0; q < panels; ++q)
            for (size_t i = 0; i < mcb; i += kr->mr)
                mx_gemm_tile_at_(kr, p, &t, mcb, ncb, i, q, Ap, bb, C_blk);
    } else {
        for (size_t i = 0; i < mcb; i += kr->mr)
            for (size_t q = 0; q < panels; ++q)
                mx_gemm_tile_at_(kr, p, &t, mcb, ncb, i, q, Ap, bb, C_blk);
    }
}

/* The workspace's first cache-line boundary. */
static float *mx_gemm_aligned_work_(const mx_gemm_problem_ *p) {
    const size_t misalign = (size_t)((uintptr_t)p->work % MX_GEMM_ALIGN_);
    return (float *)(void *)((char *)p->work + (MX_GEMM_ALIGN_ - misalign) % MX_GEMM_ALIGN_);
}

/* One thread's blocked multiply: the jc / pc / ic loops of the Goto scheme. */
static void mx_gemm_blocked_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    const mx_gemm_plan_ plan = mx_gemm_plan_make_(kr, p);
    float *Bp = mx_gemm_aligned_work_(p), *Ap = Bp + plan.b_floats;
    for (size_t jc = 0; jc < p->N; jc += plan.nc) {
        const size_t ncb = mx_gemm_min_(plan.nc, p->N - jc);
        const size_t panels = mx_gemm_ceil_div_(ncb, kr->nr);
        for (size_t pc = 0; pc < p->K; pc += plan.kc) {
            const size_t kcb = mx_gemm_min_(plan.kc, p->K - pc);
            /* The first K block applies beta; later ones accumulate into C. */
            const float beta = pc == 0 ? p->beta : 1.0f;
            mx_gemm_b_block_ bb = {p->B + pc * p->ldb + jc, kr->nr, p->ldb};
            if (plan.pack_b) {
                for (size_t j = 0; j < ncb; j += kr->nr)
                    mx_gemm_pack_b_(kr, p, pc, kcb, jc + j, mx_gemm_min_(kr->nr, ncb - j),
                                    Bp + j * kcb);
                bb.base = Bp, bb.step = kr->nr * kcb, bb.ldb = kr->nr;
            }
            for (size_t ic = 0; ic < p->M; ic += plan.mc) {
                const size_t mcb = mx_gemm_min_(plan.mc, p->M - ic);
                mx_gemm_pack_a_(kr, p, ic, mcb, pc, kcb, Ap);
                mx_gemm_macro_(kr, p, mcb, ncb, kcb, panels, Ap, &bb,
                               p->C + ic * p->rs_c + jc * p->cs_c, beta);
            }
        }
    }
}

/* ---- the dot path: few output columns, op(A) rows contiguous --------------- */
/* C_ij = alpha sum_k A_ik op(B)_kj + beta C_ij as N dot products per row of
 * A, vectorised along k: every lane is useful however small N is. op(B)^T
 * is packed per K block (depth MX_GEMM_DOT_KC_) in 16-value chunks,
 * Bt[(c N + j) 16 + l] = op(B)_{16c + l, j}, zero past the block's end, so
 * one pointer walks all N columns. Each sum is a fixed tree (lane chains,
 * then the kernel's horizontal reduction), whatever the thread count. */
static void mx_gemm_dot_pack_(const mx_gemm_problem_ *p, size_t pc, size_t kcb, float *Bt) {
    const size_t chunks = mx_gemm_ceil_div_(kcb, MX_GEMM_DOT_CHUNK_);
    for (size_t c = 0; c < chunks; ++c)
        for (size_t j = 0; j < p->N; ++j) {
            float *d = Bt + (c * p->N + j) * MX_GEMM_DOT_CHUNK_;
            for (size_t l = 0; l < MX_GEMM_DOT_CHUNK_; ++l) {
                const size_t k = c * MX_GEMM_DOT_CHUNK_ + l;
                d[l] = k >= kcb                ? 0.0f
                       : p->op_b == MX_OP_N ? p->B[(pc + k) * p->ldb + j]
                                              : p->B[j * p->ldb + pc + k];
            }
        }
}

/* Rows i .. i + rows (rows <= MX_GEMM_DOT_MR_; missing rows repeat row i
 * and are not stored) of the K block at pc. */
static void mx_gemm_dot_rows_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p, size_t i,
                              size_t rows, size_t pc, size_t kcb, const float *Bt, float beta) {
    float s[MX_GEMM_DOT_MR_][MX_GEMM_DOT_NR_];
    mx_gemm_dot_tile_ t = {{NULL}, NULL, kcb, p->N * MX_GEMM_DOT_CHUNK_, s};
    for (size_t r = 0; r < MX_GEMM_DOT_MR_; ++r)
        t.a[r] = p->A + (i + (r < rows ? r : 0)) * p->lda + pc;
    const size_t groups = mx_gemm_ceil_div_(p->N, MX_GEMM_DOT_NR_);
    for (size_t g = 0, j0 = 0; g < groups; ++g) {
        const size_t n = (p->N - j0) / (groups - g); /* equal groups up to one */
        t.bt = Bt + j0 * MX_GEMM_DOT_CHUNK_;
        kr->dots[n](&t);
        for (size_t r = 0; r < rows; ++r)
            for (size_t j = 0; j < n; ++j)
                mx_gemm_update_one_(p->C + (i + r) * p->rs_c + j0 + j, s[r][j], p->alpha, beta);
        j0 += n;
    }
}

/* One thread's dot-path multiply. */
static void mx_gemm_dot_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    const size_t kc = mx_gemm_block_depth_(MX_GEMM_DOT_KC_, p->K);
    float *Bt = mx_gemm_aligned_work_(p);
    for (size_t pc = 0; pc < p->K; pc += kc) {
        const size_t kcb = mx_gemm_min_(kc, p->K - pc);
        const float beta = pc == 0 ? p->beta : 1.0f;
        mx_gemm_dot_pack_(p, pc, kcb, Bt);
        for (size_t i = 0; i < p->M; i += MX_GEMM_DOT_MR_)
            mx_gemm_dot_rows_(kr, p, i, mx_gemm_min_(MX_GEMM_DOT_MR_, p->M - i), pc, kcb, Bt,
                              beta);
    }
}

/* Rows [lo, hi) (by_cols == 0) or columns [lo, hi) of a multiply. */
static mx_gemm_problem_ mx_gemm_part_(const mx_gemm_problem_ *p, int by_cols, size_t lo,
                                      size_t hi) {
    mx_gemm_problem_ s = *p;
    if (by_cols) {
        s.N = hi - lo;
        s.B += p->op_b == MX_OP_N ? lo : lo * p->ldb;
        s.C += lo * p->cs_c;
    } else {
        s.M = hi - lo;
        s.A += p->op_a == MX_OP_N ? lo * p->lda : lo;
        s.C += lo * p->rs_c;
    }
    return s;
}

typedef void (*mx_gemm_serial_fn_)(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p);

/* Threads split C's rows or columns in whole multiples of `unit` and run
 * `serial` on their parts independently, each in its own workspace slice:
 * no barriers, and each element is computed exactly as by one thread (the K
 * blocking depends on K alone), so the bits do not depend on the thread count.
 * As many threads as the OpenMP limit, the workspace and the units allow; one
 * for problems too small to pay for a team (about 2 MFLOP). */
static void mx_gemm_parallel_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p,
                              mx_gemm_serial_fn_ serial, int by_cols, size_t unit) {
    const size_t slice = mx_gemm_kernel_workspace_(kr, p->M, p->N, p->K);
    const size_t extent = by_cols ? p->N : p->M, units = mx_gemm_ceil_div_(extent, unit);
    size_t t = mx_gemm_min_(mx_gemm_max_threads_(), p->work_bytes / slice);
    t = mx_gemm_min_(t, units);
    if ((double)p->M * (double)p->N * (double)p->K < 1e6 || t <= 1) {
        serial(kr, p);
        return;
    }
    const int threads = (int)t;
    (void)threads;
    MX_GEMM_OMP_("omp parallel for num_threads(threads) schedule(static)")
    for (size_t i = 0; i < t; ++i) {
        const size_t lo = i * units / t * unit;
        const size_t hi = mx_gemm_min_(extent, (i + 1) * units / t * unit);
        mx_gemm_problem_ s = mx_gemm_part_(p, by_cols, lo, hi);
        s.work = (char *)p->work + i * slice;
        s.work_bytes = slice;
        serial(kr, &s);
    }
}

/* The one driver behind every ISA variant. */
static void mx_gemm_run_(const mx_gemm_kernel_ *kr, const mx_gemm_problem_ *p) {
    if (p->M == 0 || p->N == 0) return;
    if (p->K == 0 || p->alpha == 0.0f) {
        mx_gemm_scale_c_(p);
        return;
    }
    if (mx_gemm_is_narrow_(kr, p->M, p->N) && kr->dots && p->op_a == MX_OP_N) {
        mx_gemm_parallel_(kr, p, mx_gemm_dot_, 0, MX_GEMM_DOT_MR_);
        return;
    }
    const mx_gemm_problem_ q =
        mx_gemm_is_narrow_(kr, p->M, p->N) ? mx_gemm_transposed_(p) : *p;
    /* Split the dimension whose operand is the larger, so that the operand
     * every thread packs in full is the smaller one. */
    const int by_cols = q.M <= q.N;
    mx_gemm_parallel_(kr, &q, mx_gemm_blocked_, by_cols, by_cols ? kr->nr : kr->mr);
}

/* Defines the public fixed-ISA entry point around an ISA's kernel table. */
#define MX_GEMM_VARIANT_(attr, isa, kernel)                                                     \
    attr void mx_gemm_f32_##isa(mx_op op_a, mx_op op_b, size_t M, size_t N, size_t K,           \
                                float alpha, const float *A, size_t lda, const float *B,        \
                                size_t ldb, float beta, float *C, size_t ldc, void *work,       \
                                size_t work_bytes) {                                            \
        const mx_gemm_problem_ p = {op_a, op_b, M, N, K, alpha, beta, A, B, lda, ldb, C, ldc,   \
                                    1, work, work_bytes};                                       \
        mx_gemm_run_(&(kernel), &p);                                                            \
    }

/* X(0) X(1) ... X(n-1): register-tile rows (or columns) unrolled by macros. */
#define MX_GEMM_SEQ_1_(X) X(0)
#define MX_GEMM_SEQ_2_(X) MX_GEMM_SEQ_1_(X) X(1)
#define MX_GEMM_SEQ_3_(X) MX_GEMM_SEQ_2_(X) X(2)
#define MX_GEMM_SEQ_4_(X) MX_GEMM_SEQ_3_(X) X(3)
#define MX_GEMM_SEQ_5_(X) MX_GEMM_SEQ_4_(X) X(4)
#define MX_GEMM_SEQ_6_(X) MX_GEMM_SEQ_5_(X) X(5)
#define MX_GEMM_SEQ_7_(X) MX_GEMM_SEQ_6_(X) X(6)
#define MX_GEMM_SEQ_8_(X) MX_GEMM_SEQ_7_(X) X(7)
#define MX_GEMM_SEQ_9_(X) MX_GEMM_SEQ_8_(X) X(8)
#define MX_GEMM_SEQ_10_(X) MX_GEMM_SEQ_9_(X) X(9)
#define MX_GEMM_SEQ_11_(X) MX_GEMM_SEQ_10_(X) X(10)
#define MX_GEMM_SEQ_12_(X) MX_GEMM_SEQ_11_(X) X(11)

/* ---- scalar: 4 x 4 ------------------------------------------------------- */
enum { MX_GEMM_SCALAR_MR_ = 4, MX_GEMM_SCALAR_NR_ = 4 };

static void mx_gemm_ukernel_scalar_(const mx_gemm_tile_ *t) {
    float acc[MX_GEMM_SCALAR_MR_ * MX_GEMM_SCALAR_NR_] = {0};
    const float *Ap = t->a, *Bp = t->b;
    for (size_t k = 0; k < t->kc; ++k, Ap += MX_GEMM_SCALAR_MR_, Bp += t->ldb)
        for (size_t i = 0; i < MX_GEMM_SCALAR_MR_; ++i)
            for (size_t j = 0; j < MX_GEMM_SCALAR_NR_; ++j)
                acc[i * MX_GEMM_SCALAR_NR_ + j] += Ap[i] * Bp[j];
    mx_gemm_update_tile_(t, acc, MX_GEMM_SCALAR_NR_);
}

static const mx_gemm_ukernel_fn_ mx_gemm_ukernels_scalar_[MX_GEMM_SCALAR_MR_ + 1] = {
    NULL, mx_gemm_ukernel_scalar_, mx_gemm_ukernel_scalar_, mx_gemm_ukernel_scalar_,
    mx_gemm_ukernel_scalar_};

static const mx_gemm_kernel_ mx_gemm_kernel_scalar_ = {
    MX_GEMM_SCALAR_MR_, MX_GEMM_SCALAR_NR_, 128, 256, 1024, mx_gemm_ukernels_scalar_,
    mx_gemm_pack_generic_, 0, NULL};

MX_GEMM_VARIANT_(, scalar, mx_gemm_kernel_scalar_)

/* ---- x86: SSE packing, AVX2 6 x 16, AVX-512 12 x 32 ---------------------- */
#if MX_ARCH_X86

/* Packing with SSE (the x86-64 baseline): 4 x 4 transposes when each row is
 * contiguous in k, 4-float copies when each k is contiguous in rows. */
static void mx_gemm_pack_sse_(const float *src, size_t stride_r, size_t stride_k, size_t rows,
                              size_t kc, size_t width, float *dst) {
    const __m128 zero = _mm_setzero_ps();
    for (size_t r0 = 0; r0 < rows; r0 += width, dst += width * kc) {
        const size_t w = mx_gemm_min_(width, rows - r0);
        const float *s = src + r0 * stride_r;
        if (stride_r == 1) { /* each k: w contiguous values */
            for (size_t k = 0; k < kc; ++k) {
                const float *sk = s + k * stride_k;
                float *d = dst + k * width;
                size_t i = 0;
                for (; i + 4 <= w; i += 4) _mm_storeu_ps(d + i, _mm_loadu_ps(sk + i));
                for (; i < w; ++i) d[i] = sk[i];
                for (; i < width; ++i) d[i] = 0.0f;
            }
            continue;
        }
        size_t i = 0; /* stride_k == 1: rows i .. i+3 by 4 x 4 blocks of (row, k) */
        for (; i + 4 <= width; i += 4) {
            const float *row[4];
            for (size_t r = 0; r < 4; ++r) row[r] = s + (i + r) * stride_r;
            size_t k = 0;
            for (; k + 4 <= kc; k += 4) {
                __m128 v0 = i + 0 < w ? _mm_loadu_ps(row[0] + k) : zero;
                __m128 v1 = i + 1 < w ? _mm_loadu_ps(row[1] + k) : zero;
                __m128 v2 = i + 2 < w ? _mm_loadu_ps(row[2] + k) : zero;
                __m128 v3 = i + 3 < w ? _mm_loadu_ps(row[3] + k) : zero;
                _MM_TRANSPOSE4_PS(v0, v1, v2, v3);
                _mm_storeu_ps(dst + (k + 0) * width + i, v0);
                _mm_storeu_ps(dst + (k + 1) * width + i, v1);
                _mm_storeu_ps(dst + (k + 2) * width + i, v2);
                _mm_storeu_ps(dst + (k + 3) * width + i, v3);
            }
            for (size_t r = 0; r < 4; ++r) /* the last kc % 4 values */
                for (size_t kt = k; kt < kc; ++kt) dst[kt * width + i + r] = i + r < w ? row[r][kt] : 0.0f;
        }
        for (; i < width; ++i) /* widths that are not multiples of 4 */
            for (size_t k = 0; k < kc; ++k) dst[k * width + i] = i < w ? s[i * stride_r + k] : 0.0f;
    }
}

/* Row r of an AVX2 tile: two ymm accumulators c<r>0, c<r>1. */
#define MX_GEMM_AVX2_DECL_(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
#define MX_GEMM_AVX2_FMA_(r)                          \
    {                                                 \
        const __m256 a = _mm256_broadcast_ss(Ap + r); \
        c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0);    \
        c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1);    \
    }
#define MX_GEMM_AVX2_FULL_(r)                                                             \
    {                                                                                     \
        float *c = t->c + r * t->rs_c;                                                    \
        __m256 t0 = _mm256_mul_ps(va, c##r##0), t1 = _mm256_mul_ps(va, c##r##1);         \
        if (t->beta != 0.0f) {                                                            \
            t0 = _mm256_fmadd_ps(va, c##r##0, _mm256_mul_ps(vb, _mm256_loadu_ps(c)));      \
            t1 = _mm256_fmadd_ps(va, c##r##1, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8)));  \
        }                                                                                 \
        _mm256_storeu_ps(c, t0);                                                          \
        _mm256_storeu_ps(c + 8, t1);                                                      \
    }
#define MX_GEMM_AVX2_SPILL_(r)               \
    _mm256_storeu_ps(acc + r * 16, c##r##0); \
    _mm256_storeu_ps(acc + r * 16 + 8, c##r##1);

/* The AVX2 microkernel for `rows` valid rows (packed B only). */
#define MX_GEMM_AVX2_UKERNEL_(rows)                                                     \
    MX_TARGET_AVX2 static void mx_gemm_ukernel_avx2_##rows##_(const mx_gemm_tile_ *t) {  \
        MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX2_DECL_)                                       \
        const float *Ap = t->a, *Bp = t->b;                                             \
        const size_t kc = t->kc;                                                        \
        for (size_t k = 0; k < kc; ++k, Ap += 6, Bp += 16) {                            \
            const __m256 b0 = _mm256_loadu_ps(Bp), b1 = _mm256_loadu_ps(Bp + 8);       \
            MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX2_FMA_)                                    \
        }                                                                               \
        if (t->n == 16 && t->cs_c == 1) {                                               \
            const __m256 va = _mm256_set1_ps(t->alpha), vb = _mm256_set1_ps(t->beta);   \
            MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX2_FULL_)                                   \
        } else { /* through a scratch tile, never touching C beyond m x n */            \
            float acc[6 * 16];                                                          \
            MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX2_SPILL_)                                  \
            mx_gemm_update_tile_(t, acc, 16);                                           \
        }                                                                               \
    }
MX_GEMM_AVX2_UKERNEL_(1)
MX_GEMM_AVX2_UKERNEL_(2)
MX_GEMM_AVX2_UKERNEL_(3)
MX_GEMM_AVX2_UKERNEL_(4)
MX_GEMM_AVX2_UKERNEL_(5)
MX_GEMM_AVX2_UKERNEL_(6)

static const mx_gemm_ukernel_fn_ mx_gemm_ukernels_avx2_[7] = {
    NULL, mx_gemm_ukernel_avx2_1_, mx_gemm_ukernel_avx2_2_, mx_gemm_ukernel_avx2_3_,
    mx_gemm_ukernel_avx2_4_, mx_gemm_ukernel_avx2_5_, mx_gemm_ukernel_avx2_6_};

static const mx_gemm_kernel_ mx_gemm_kernel_avx2_ = {6,  16, 144, 256, 512, mx_gemm_ukernels_avx2_,
                                                     mx_gemm_pack_sse_, 0, NULL};

MX_GEMM_VARIANT_(MX_TARGET_AVX2, avx2, mx_gemm_kernel_avx2_)

/* Lanes [0, n) of 16 (n may exceed 16). */
MX_TARGET_AVX512 static inline __mmask16 mx_gemm_mask16_(size_t n) {
    return (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}

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

/* Row r of an AVX-512 tile: two zmm accumulators c<r>0, c<r>1. */
#define MX_GEMM_AVX512_DECL_(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
#define MX_GEMM_AVX512_FMA_(r)                     \
    {                                              \
        const __m512 a = _mm512_set1_ps(Ap[r]);    \
        c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0); \
        c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1); \
    }
#define MX_GEMM_AVX512_STORE_(r) \
    mx_gemm_update_row_avx512_(t->c + r * t->rs_c, k0, k1, c##r##0, c##r##1, t->alpha, t->beta);
#define MX_GEMM_AVX512_SPILL_(r)             \
    _mm512_storeu_ps(acc + r * 32, c##r##0); \
    _mm512_storeu_ps(acc + r * 32 + 16, c##r##1);

/* The AVX-512 microkernel for `rows` valid rows: B rows are loaded under the
 * masks of the n valid columns, so op(B) may be read in place. */
#define MX_GEMM_AVX512_UKERNEL_(rows)                                                       \
    MX_TARGET_AVX512 static void mx_gemm_ukernel_avx512_##rows##_(const mx_gemm_tile_ *t) { \
        MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX512_DECL_)                                         \
        const __mmask16 k0 = mx_gemm_mask16_(t->n);                                         \
        const __mmask16 k1 = mx_gemm_mask16_(t->n > 16 ? t->n - 16 : 0);                    \
        const float *Ap = t->a, *Bp = t->b;                                                 \
        const size_t ldb = t->ldb, kc = t->kc;                                              \
        for (size_t k = 0; k < kc; ++k, Ap += 12, Bp += ldb) {                              \
            const __m512 b0 = _mm512_maskz_loadu_ps(k0, Bp);                                \
            const __m512 b1 = _mm512_maskz_loadu_ps(k1, Bp + 16);                           \
            MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX512_FMA_)                                      \
        }                                                                                   \
        if (t->cs_c == 1) {                                                                 \
            MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX512_STORE_)                                    \
        } else { /* C^T: through a scratch tile */                                          \
            float acc[12 * 32];                                                             \
            MX_GEMM_SEQ_##rows##_(MX_GEMM_AVX512_SPILL_)                                    \
            mx_gemm_update_tile_(t, acc, 32);                                               \
        }                                                                                   \
    }
MX_GEMM_AVX512_UKERNEL_(1)
MX_GEMM_AVX512_UKERNEL_(2)
MX_GEMM_AVX512_UKERNEL_(3)
MX_GEMM_AVX512_UKERNEL_(4)
MX_GEMM_AVX512_UKERNEL_(5)
MX_GEMM_AVX512_UKERNEL_(6)
MX_GEMM_AVX512_UKERNEL_(7)
MX_GEMM_AVX512_UKERNEL_(8)
MX_GEMM_AVX512_UKERNEL_(9)
MX_GEMM_AVX512_UKERNEL_(10)
MX_GEMM_AVX512_UKERNEL_(11)
MX_GEMM_AVX512_UKERNEL_(12)

static const mx_gemm_ukernel_fn_ mx_gemm_ukernels_avx512_[13] = {
    NULL,                        mx_gemm_ukernel_avx512_1_,  mx_gemm_ukernel_avx512_2_,
    mx_gemm_ukernel_avx512_3_,   mx_gemm_ukernel_avx512_4_,  mx_gemm_ukernel_avx512_5_,
    mx_gemm_ukernel_avx512_6_,   mx_gemm_ukernel_avx512_7_,  mx_gemm_ukernel_avx512_8_,
    mx_gemm_ukernel_avx512_9_,   mx_gemm_ukernel_avx512_10_, mx_gemm_ukernel_avx512_11_,
    mx_gemm_ukernel_avx512_12_};

/* Column j of the AVX-512 dot kernel: accumulators u<j>_0 .. u<j>_3, one per row. */
#define MX_GEMM_DOT_DECL_(j)                                                         \
    __m512 u##j##_0 = _mm512_setzero_ps(), u##j##_1 = u##j##_0, u##j##_2 = u##j##_0, \
           u##j##_3 = u##j##_0;
#define MX_GEMM_DOT_FMA_(j)                           \
    {                                                 \
        const __m512 b = _mm512_load_ps(Bc + 16 * j); \
        u##j##_0 = _mm512_fmadd_ps(a0, b, u##j##_0);  \
        u##j##_1 = _mm512_fmadd_ps(a1, b, u##j##_1);  \
        u##j##_2 = _mm512_fmadd_ps(a2, b, u##j##_2);  \
        u##j##_3 = _mm512_fmadd_ps(a3, b, u##j##_3);  \
    }
#define MX_GEMM_DOT_SUM_(j)                      \
    t->s[0][j] = _mm512_reduce_add_ps(u##j##_0); \
    t->s[1][j] = _mm512_reduce_add_ps(u##j##_1); \
    t->s[2][j] = _mm512_reduce_add_ps(u##j##_2); \
    t->s[3][j] = _mm512_reduce_add_ps(u##j##_3);
#define MX_GEMM_DOT_LOAD_(mask)                                 \
    const __m512 a0 = _mm512_maskz_loadu_ps(mask, t->a[0] + k); \
    const __m512 a1 = _mm512_maskz_loadu_ps(mask, t->a[1] + k); \
    const __m512 a2 = _mm512_maskz_loadu_ps(mask, t->a[2] + k); \
    const __m512 a3 = _mm512_maskz_loadu_ps(mask, t->a[3] + k);

/* The AVX-512 dot kernel for `cols` columns; the last partial chunk of the
 * rows is loaded under a mask (zeros past kc, matching the packed zeros). */
#define MX_GEMM_AVX512_DOT_(cols)                                                           \
    MX_TARGET_AVX512 static void mx_gemm_dot_avx512_##cols##_(const mx_gemm_dot_tile_ *t) { \
        MX_GEMM_SEQ_##cols##_(MX_GEMM_DOT_DECL_)                                            \
        const float *Bc = t->bt;                                                            \
        const size_t kc = t->kc, step = t->bt_step;                                         \
        size_t k = 0;                                                                       \
        for (; k + 16 <= kc; k += 16, Bc += step) {                                         \
            MX_GEMM_DOT_LOAD_(0xFFFF)                                                       \
            MX_GEMM_SEQ_##cols##_(MX_GEMM_DOT_FMA_)                                         \
        }                                                                                   \
        if (k < kc) {                                                                       \
            MX_GEMM_DOT_LOAD_(mx_gemm_mask16_(kc - k))                                      \
            MX_GEMM_SEQ_##cols##_(MX_GEMM_DOT_FMA_)                                         \
        }                                                                                   \
        MX_GEMM_SEQ_##cols##_(MX_GEMM_DOT_SUM_)                                             \
    }
MX_GEMM_AVX512_DOT_(1)
MX_GEMM_AVX512_DOT_(2)
MX_GEMM_AVX512_DOT_(3)
MX_GEMM_AVX512_DOT_(4)
MX_GEMM_AVX512_DOT_(5)
MX_GEMM_AVX512_DOT_(6)

static const mx_gemm_dot_fn_ mx_gemm_dots_avx512_[MX_GEMM_DOT_NR_ + 1] = {
    NULL, mx_gemm_dot_avx512_1_, mx_gemm_dot_avx512_2_, mx_gemm_dot_avx512_3_,
    mx_gemm_dot_avx512_4_, mx_gemm_dot_avx512_5_, mx_gemm_dot_avx512_6_};

static const mx_gemm_kernel_ mx_gemm_kernel_avx512_ = {
    12, 32, 132, 384, 512, mx_gemm_ukernels_avx512_, mx_gemm_pack_sse_, 1, mx_gemm_dots_avx512_};

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
        float *c = t->c + r * t->rs_c;                                                    \
        float32x4_t t0 = vmulq_f32(va, c##r##0), t1 = vmulq_f32(va, c##r##1);            \
        if (t->beta != 0.0f) {                                                            \
            t0 = vfmaq_f32(vmulq_f32(vb, vld1q_f32(c)), va, c##r##0);                     \
            t1 = vfmaq_f32(vmulq_f32(vb, vld1q_f32(c + 4)), va, c##r##1);                 \
        }                                                                                 \
        vst1q_f32(c, t0);                                                                 \
        vst1q_f32(c + 4, t1);                                                             \
    }
#define MX_GEMM_NEON_SPILL_(r, av, lane) \
    vst1q_f32(acc + r * 8, c##r##0);     \
    vst1q_f32(acc + r * 8 + 4, c##r##1);

static void mx_gemm_ukernel_neon_(const mx_gemm_tile_ *t) {
    MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_DECL_)
    const float *Ap = t->a, *Bp = t->b;
    for (size_t k = 0; k < t->kc; ++k, Ap += 8, Bp += 8) {
        const float32x4_t a0 = vld1q_f32(Ap), a1 = vld1q_f32(Ap + 4);
        const float32x4_t b0 = vld1q_f32(Bp), b1 = vld1q_f32(Bp + 4);
        MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_FMA_)
    }
    if (t->m == 8 && t->n == 8 && t->cs_c == 1) {
        const float32x4_t va = vdupq_n_f32(t->alpha), vb = vdupq_n_f32(t->beta);
        MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_FULL_)
    } else {
        float acc[8 * 8];
        MX_GEMM_NEON_ROWS_(MX_GEMM_NEON_SPILL_)
        mx_gemm_update_tile_(t, acc, 8);
    }
}

static const mx_gemm_ukernel_fn_ mx_gemm_ukernels_neon_[9] = {
    NULL, mx_gemm_ukernel_neon_, mx_gemm_ukernel_neon_, mx_gemm_ukernel_neon_,
    mx_gemm_ukernel_neon_, mx_gemm_ukernel_neon_, mx_gemm_ukernel_neon_, mx_gemm_ukernel_neon_,
    mx_gemm_ukernel_neon_};

static const mx_gemm_kernel_ mx_gemm_kernel_neon_ = {8, 8, 128, 256, 2048, mx_gemm_ukernels_neon_,
                                                     mx_gemm_pack_generic_, 0, NULL};

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
        const size_t b = threads * mx_gemm_kernel_workspace_(kernels[i], M, N, K);
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
