/* mixsimd/rng.h — counter-based random numbers: Philox-4x32-10.
 *
 * Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3", SC'11) maps a 128-bit counter and a 64-bit key to 128
 * random bits through 10 rounds of 32x32->64 multiplies, xors and key bumps.
 * There is no state to carry: element i of a stream is a pure function of
 * (seed, i), so the SAME numbers come out whatever the ISA, the vector width,
 * the thread split or the chunking of the calls.
 *
 * Streams. key = seed (low word first). Word i (i = 0 .. 2^64 - 1) of the
 * raw stream is word i % 4 of Philox(counter = (b mod 2^32, b >> 32, 0, 0),
 * key) with b = i / 4. Every function takes an `offset`: out[j] is element
 * offset + j of its stream, so [0, n) in one call equals any split of it
 * into consecutive calls, and threads may each fill their own slice.
 * - mx_rng_u32: the raw 32-bit words.
 * - mx_rng_uniform_f32: element i = (word_i >> 8) 2^-24, the 2^24 values
 *   k 2^-24 of [0, 1) with equal probability: 0 is possible, 1 is not.
 *   Bitwise identical on every ISA (integer work and one exact conversion).
 * - mx_rng_normal_f32: standard normals by the Box-Muller transform, from a
 *   SEPARATE counter range (counter word 2 = 1), so normals and uniforms of
 *   the same seed are independent. Block b gives elements 4b .. 4b+3 from its
 *   words (w0, w1, w2, w3):
 *     u1 = fl((w0 + 1) 2^-32) in (0, 1]   (so log never sees 0)
 *     u2 = (w1 >> 8) 2^-24      in [0, 1)
 *     r  = sqrt(-2 log u1),  theta = fl(fl(2 pi) u2)
 *     element 4b = r cos(theta), 4b+1 = r sin(theta); 4b+2, 4b+3 likewise
 *     from (w2, w3).
 *   |z| <= sqrt(64 ln 2) = 6.66 (the tail beyond has probability 3e-11).
 *   Error bound (all ISAs), against the same formula evaluated exactly from
 *   the same u1, u2 (u = 2^-24):  |z - z_exact| <= u (5 |z_exact| + 13 r),
 *   hence < 7.2e-6 absolute everywhere. Why: log's 1 ULP (2u relative) is
 *   halved by the square root, which rounds (u): r within 2u; theta within
 *   4 pi u absolute (2 pi and the product each round), which moves cos/sin
 *   by at most that, plus their own 1 ULP (2u) and the final product (u):
 *   u (2 + 2 + 1) |z| + 4 pi u r, with 13 > 4 pi covering second-order terms.
 *   Different ISAs agree within twice this bound; one ISA is bitwise
 *   reproducible for any chunking.
 *
 * Errors of the dispatched entries: MX_ERR_ARG (out NULL with n > 0, or the
 * range [offset, offset + n) leaving the 2^64-element stream), MX_ERR_ISA.
 * Fixed-ISA variants take the same arguments, assume them valid, return void.
 */
#ifndef MIXSIMD_RNG_H
#define MIXSIMD_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "vmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Philox-4x32-10 constants (Salmon et al. 2011, Random123). The block
 * function reproduces the Random123 known-answer vectors (tests/test_rng.c). */
#define MX_PHILOX_M0 0xD2511F53u /* multiplier of counter word 0 */
#define MX_PHILOX_M1 0xCD9E8D57u /* multiplier of counter word 2 */
#define MX_PHILOX_W0 0x9E3779B9u /* key bump: golden ratio        */
#define MX_PHILOX_W1 0xBB67AE85u /* key bump: sqrt(3) - 1         */

/* The Philox-4x32-10 block function: out = Philox(ctr, key). */
static inline void mx_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t x0 = ctr[0], x1 = ctr[1], x2 = ctr[2], x3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = (uint64_t)MX_PHILOX_M0 * x0, p1 = (uint64_t)MX_PHILOX_M1 * x2;
        const uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1 ^ k0, y2 = (uint32_t)(p0 >> 32) ^ x3 ^ k1;
        x1 = (uint32_t)p1;
        x3 = (uint32_t)p0;
        x0 = y0;
        x2 = y2;
        k0 += MX_PHILOX_W0;
        k1 += MX_PHILOX_W1;
    }
    out[0] = x0;
    out[1] = x1;
    out[2] = x2;
    out[3] = x3;
}

/* out[j] = raw word offset + j of the stream of seed. */
mx_status mx_rng_u32(uint64_t seed, uint64_t offset, uint32_t *out, size_t n);
/* out[j] = uniform element offset + j in [0, 1) (24 random bits, exact). */
mx_status mx_rng_uniform_f32(uint64_t seed, uint64_t offset, float *out, size_t n);
/* out[j] = normal element offset + j (Box-Muller; bound in the file comment). */
mx_status mx_rng_normal_f32(uint64_t seed, uint64_t offset, float *out, size_t n);

#define MX_RNG_VARIANTS_(X)                                                       \
    X(mx_rng_u32, uint32_t)                                                       \
    X(mx_rng_uniform_f32, float)                                                  \
    X(mx_rng_normal_f32, float)
#define MX_RNG_DECL_SCALAR_(name, T) void name##_scalar(uint64_t seed, uint64_t offset, T *out, size_t n);
MX_RNG_VARIANTS_(MX_RNG_DECL_SCALAR_)
#undef MX_RNG_DECL_SCALAR_
#if MX_ARCH_X86
#define MX_RNG_DECL_X86_(name, T)                                                         \
    MX_TARGET_AVX2 void name##_avx2(uint64_t seed, uint64_t offset, T *out, size_t n);   \
    MX_TARGET_AVX512 void name##_avx512(uint64_t seed, uint64_t offset, T *out, size_t n);
MX_RNG_VARIANTS_(MX_RNG_DECL_X86_)
#undef MX_RNG_DECL_X86_
#endif
#if MX_ARCH_ARM64
#define MX_RNG_DECL_NEON_(name, T) void name##_neon(uint64_t seed, uint64_t offset, T *out, size_t n);
MX_RNG_VARIANTS_(MX_RNG_DECL_NEON_)
#undef MX_RNG_DECL_NEON_
#endif

/* A small stateful convenience: a seed and the next unused element index.
 * Each draw takes the next n elements (of whichever kind) and advances the
 * position by n, so no element index is ever used twice; normals live in
 * their own counter range, so mixing kinds stays independent. A draw that
 * would reach element 2^64 - 1 fails with MX_ERR_ARG (the stream is spent:
 * position cannot advance to 2^64, and wrapping to 0 would reuse elements). */
typedef struct mx_rng {
    uint64_t seed;
    uint64_t position;
} mx_rng;

static inline mx_rng mx_rng_make(uint64_t seed) {
    mx_rng r = {seed, 0};
    return r;
}
/* As mx_rng_u32 / _uniform_f32 / _normal_f32 at offset r->position, which
 * then advances by n (only on success). MX_ERR_ARG also for r == NULL. */
mx_status mx_rng_next_u32(mx_rng *r, uint32_t *out, size_t n);
mx_status mx_rng_next_uniform_f32(mx_rng *r, float *out, size_t n);
mx_status mx_rng_next_normal_f32(mx_rng *r, float *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_RNG_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_RNG_IMPLEMENTED)
#define MIXSIMD_RNG_IMPLEMENTED
#include <math.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { MX_RNG_KIND_WORDS_ = 0, MX_RNG_KIND_NORMAL_ = 1 }; /* counter word 2 */

/* What a block group is turned into. */
enum { MX_RNG_OUT_U32_, MX_RNG_OUT_UNIFORM_, MX_RNG_OUT_NORMAL_ };

/* Round keys: key + r (W0, W1) for r = 0 .. 9, mod 2^32. */
typedef struct {
    uint32_t k0[10], k1[10];
} mx_rng_keys_;

static mx_rng_keys_ mx_rng_keys_make_(uint64_t seed) {
    mx_rng_keys_ k;
    uint32_t a = (uint32_t)seed, b = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r, a += MX_PHILOX_W0, b += MX_PHILOX_W1) {
        k.k0[r] = a;
        k.k1[r] = b;
    }
    return k;
}

/* Fills dst with the 4V outputs of blocks first_block .. first_block + V - 1. */
typedef void (*mx_rng_group_fn_)(const mx_rng_keys_ *keys, uint64_t first_block, int what, void *dst);

/* The shared driver: elements [offset, offset + n) through groups of V
 * blocks; partial groups (the head before a block boundary and the tail)
 * go through a local buffer, so nothing outside out[0, n) is touched and
 * every element is computed by the same code whatever the call's bounds. */
static void mx_rng_drive_(uint64_t seed, uint64_t offset, void *out, size_t n, int what, size_t V,
                          mx_rng_group_fn_ group) {
    const mx_rng_keys_ keys = mx_rng_keys_make_(seed);
    uint32_t buf[64];
    unsigned char *dst = (unsigned char *)out;
    uint64_t block = offset / 4;
    size_t skip = (size_t)(offset % 4), pos = 0;
    while (pos < n) {
        const size_t avail = 4 * V - skip, take = n - pos < avail ? n - pos : avail;
        if (take == 4 * V) {
            group(&keys, block, what, dst + 4 * pos);
        } else {
            group(&keys, block, what, buf);
            memcpy(dst + 4 * pos, buf + skip, 4 * take);
        }
        pos += take;
        skip = 0;
        block += V;
    }
}

/* ---- scalar ------------------------------------------------------------- */

static const float mx_rng_2pi_f_ = 6.28318530717958647692f; /* fl(2 pi) */

static inline float mx_rng_uniform_s_(uint32_t w) { return (float)(w >> 8) * 0x1p-24f; }
/* fl((w + 1) 2^-32): both products are exact, the sum rounds once. */
static inline float mx_rng_u1_s_(uint32_t w) {
    return (float)(w >> 8) * 0x1p-24f + (float)((w & 0xFFu) + 1u) * 0x1p-32f;
}
static inline void mx_rng_box_muller_s_(uint32_t w0, uint32_t w1, float *z0, float *z1) {
    const float r = sqrtf(-2.0f * mx_log_f32_scalar_(mx_rng_u1_s_(w0)));
    const float theta = (float)(w1 >> 8) * (mx_rng_2pi_f_ * 0x1p-24f);
    *z0 = r * mx_cos_f32_scalar_(theta);
    *z1 = r * mx_sin_f32_scalar_(theta);
}

static void mx_rng_group_scalar_(const mx_rng_keys_ *keys, uint64_t block, int what, void *dst) {
    const uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32),
                             what == MX_RNG_OUT_NORMAL_ ? MX_RNG_KIND_NORMAL_ : MX_RNG_KIND_WORDS_, 0};
    const uint32_t key[2] = {keys->k0[0], keys->k1[0]};
    uint32_t w[4];
    mx_philox4x32_10(ctr, key, w);
    if (what == MX_RNG_OUT_U32_) {
        memcpy(dst, w, sizeof w);
    } else if (what == MX_RNG_OUT_UNIFORM_) {
        float *f = (float *)dst;
        for (int i = 0; i < 4; ++i) f[i] = mx_rng_uniform_s_(w[i]);
    } else {
        float *f = (float *)dst;
        mx_rng_box_muller_s_(w[0], w[1], &f[0], &f[1]);
        mx_rng_box_muller_s_(w[2], w[3], &f[2], &f[3]);
    }
}

void mx_rng_u32_scalar(uint64_t seed, uint64_t offset, uint32_t *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_U32_, 1, mx_rng_group_scalar_);
}
void mx_rng_uniform_f32_scalar(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_UNIFORM_, 1, mx_rng_group_scalar_);
}
void mx_rng_normal_f32_scalar(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_NORMAL_, 1, mx_rng_group_scalar_);
}

/* ---- AVX2: 8 blocks per group ------------------------------------------- */
#if MX_ARCH_X86

/* (hi, lo) = M * x for each 32-bit lane: even lanes by one _mm256_mul_epu32,
 * odd lanes by another on the shifted vector, then re-interleaved. */
MX_TARGET_AVX2 static inline void mx_rng_mulhilo8_(__m256i x, __m256i M, __m256i *hi, __m256i *lo) {
    const __m256i pe = _mm256_mul_epu32(x, M), po = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), M);
    *lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
}

/* Counters: lane e = 4L + j (128-bit lane L, position j) holds block 2j + L,
 * so that the in-lane 4x4 transpose below yields the blocks in order. */
MX_TARGET_AVX2 static inline void mx_rng_philox8_(const mx_rng_keys_ *k, uint64_t block, uint32_t kind, __m256i x[4]) {
    const __m256i offs = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m256i lo = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)block), offs);
    const __m256i no_carry = _mm256_cmpeq_epi32(_mm256_max_epu32(lo, offs), lo); /* lo >= offs */
    x[0] = lo;
    x[1] = _mm256_add_epi32(_mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)(block >> 32)), _mm256_set1_epi32(1)),
                            no_carry); /* + 1 - (no carry) */
    x[2] = _mm256_set1_epi32((int)kind);
    x[3] = _mm256_setzero_si256();
    const __m256i M0 = _mm256_set1_epi32((int)MX_PHILOX_M0), M1 = _mm256_set1_epi32((int)MX_PHILOX_M1);
    for (int r = 0; r < 10; ++r) {
        __m256i hi0, lo0, hi1, lo1;
        mx_rng_mulhilo8_(x[0], M0, &hi0, &lo0);
        mx_rng_mulhilo8_(x[2], M1, &hi1, &lo1);
        x[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, x[1]), _mm256_set1_epi32((int)k->k0[r]));
        x[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, x[3]), _mm256_set1_epi32((int)k->k1[r]));
        x[1] = lo1;
        x[3] = lo0;
    }
}

/* Word-of-block vectors y[w] (lane order as above) -> 32 outputs in order. */
MX_TARGET_AVX2 static inline void mx_rng_store8_(const __m256i y[4], void *dst) {
    const __m256i t0 = _mm256_unpacklo_epi32(y[0], y[1]), t1 = _mm256_unpackhi_epi32(y[0], y[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(y[2], y[3]), t3 = _mm256_unpackhi_epi32(y[2], y[3]);
    __m256i *d = (__m256i *)dst;
    _mm256_storeu_si256(d + 0, _mm256_unpacklo_epi64(t0, t2));
    _mm256_storeu_si256(d + 1, _mm256_unpackhi_epi64(t0, t2));
    _mm256_storeu_si256(d + 2, _mm256_unpacklo_epi64(t1, t3));
    _mm256_storeu_si256(d + 3, _mm256_unpackhi_epi64(t1, t3));
}

MX_TARGET_AVX2 static inline __m256i mx_rng_uniform8_(__m256i w) {
    return _mm256_castps_si256(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)), _mm256_set1_ps(0x1p-24f)));
}
MX_TARGET_AVX2 static inline void mx_rng_box_muller8_(__m256i w0, __m256i w1, __m256i *z0, __m256i *z1) {
    const __m256 hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w0, 8)), _mm256_set1_ps(0x1p-24f));
    const __m256i low = _mm256_add_epi32(_mm256_and_si256(w0, _mm256_set1_epi32(0xFF)), _mm256_set1_epi32(1));
    const __m256 u1 = _mm256_add_ps(hi, _mm256_mul_ps(_mm256_cvtepi32_ps(low), _mm256_set1_ps(0x1p-32f)));
    const __m256 r = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), mx_log_f32x8_avx2_(u1)));
    const __m256 theta = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w1, 8)),
                                       _mm256_set1_ps(mx_rng_2pi_f_ * 0x1p-24f));
    *z0 = _mm256_castps_si256(_mm256_mul_ps(r, mx_cos_f32x8_avx2_(theta)));
    *z1 = _mm256_castps_si256(_mm256_mul_ps(r, mx_sin_f32x8_avx2_(theta)));
}

MX_TARGET_AVX2 static void mx_rng_group_avx2_(const mx_rng_keys_ *keys, uint64_t block, int what, void *dst) {
    __m256i x[4];
    mx_rng_philox8_(keys, block, what == MX_RNG_OUT_NORMAL_ ? MX_RNG_KIND_NORMAL_ : MX_RNG_KIND_WORDS_, x);
    if (what == MX_RNG_OUT_UNIFORM_) {
        for (int i = 0; i < 4; ++i) x[i] = mx_rng_uniform8_(x[i]);
    } else if (what == MX_RNG_OUT_NORMAL_) {
        __m256i z[4];
        mx_rng_box_muller8_(x[0], x[1], &z[0], &z[1]);
        mx_rng_box_muller8_(x[2], x[3], &z[2], &z[3]);
        memcpy(x, z, sizeof z);
    }
    mx_rng_store8_(x, dst);
}

MX_TARGET_AVX2 void mx_rng_u32_avx2(uint64_t seed, uint64_t offset, uint32_t *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_U32_, 8, mx_rng_group_avx2_);
}
MX_TARGET_AVX2 void mx_rng_uniform_f32_avx2(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_UNIFORM_, 8, mx_rng_group_avx2_);
}
MX_TARGET_AVX2 void mx_rng_normal_f32_avx2(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_NORMAL_, 8, mx_rng_group_avx2_);
}

/* ---- AVX-512: 16 blocks per group --------------------------------------- */

MX_TARGET_AVX512 static inline void mx_rng_mulhilo16_(__m512i x, __m512i M, __m512i *hi, __m512i *lo) {
    const __m512i pe = _mm512_mul_epu32(x, M), po = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), M);
    *lo = _mm512_mask_blend_epi32((__mmask16)0xAAAA, pe, _mm512_slli_epi64(po, 32));
    *hi = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po);
}

/* Lane e = 4L + j holds block 4j + L (see the AVX2 version). */
MX_TARGET_AVX512 static inline void mx_rng_philox16_(const mx_rng_keys_ *k, uint64_t block, uint32_t kind, __m512i x[4]) {
    const __m512i offs = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i lo = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)block), offs);
    const __m512i hi = _mm512_set1_epi32((int)(uint32_t)(block >> 32));
    x[0] = lo;
    x[1] = _mm512_mask_add_epi32(hi, _mm512_cmplt_epu32_mask(lo, offs), hi, _mm512_set1_epi32(1)); /* carry */
    x[2] = _mm512_set1_epi32((int)kind);
    x[3] = _mm512_setzero_si512();
    const __m512i M0 = _mm512_set1_epi32((int)MX_PHILOX_M0), M1 = _mm512_set1_epi32((int)MX_PHILOX_M1);
    for (int r = 0; r < 10; ++r) {
        __m512i hi0, lo0, hi1, lo1;
        mx_rng_mulhilo16_(x[0], M0, &hi0, &lo0);
        mx_rng_mulhilo16_(x[2], M1, &hi1, &lo1);
        x[0] = _mm512_ternarylogic_epi32(hi1, x[1], _mm512_set1_epi32((int)k->k0[r]), 0x96); /* a^b^c */
        x[2] = _mm512_ternarylogic_epi32(hi0, x[3], _mm512_set1_epi32((int)k->k1[r]), 0x96);
        x[1] = lo1;
        x[3] = lo0;
    }
}

MX_TARGET_AVX512 static inline void mx_rng_store16_(const __m512i y[4], void *dst) {
    const __m512i t0 = _mm512_unpacklo_epi32(y[0], y[1]), t1 = _mm512_unpackhi_epi32(y[0], y[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(y[2], y[3]), t3 = _mm512_unpackhi_epi32(y[2], y[3]);
    __m512i *d = (__m512i *)dst;
    _mm512_storeu_si512(d + 0, _mm512_unpacklo_epi64(t0, t2));
    _mm512_storeu_si512(d + 1, _mm512_unpackhi_epi64(t0, t2));
    _mm512_storeu_si512(d + 2, _mm512_unpacklo_epi64(t1, t3));
    _mm512_storeu_si512(d + 3, _mm512_unpackhi_epi64(t1, t3));
}

MX_TARGET_AVX512 static inline __m512i mx_rng_uniform16_(__m512i w) {
    return _mm512_castps_si512(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)), _mm512_set1_ps(0x1p-24f)));
}
MX_TARGET_AVX512 static inline void mx_rng_box_muller16_(__m512i w0, __m512i w1, __m512i *z0, __m512i *z1) {
    const __m512 hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w0, 8)), _mm512_set1_ps(0x1p-24f));
    const __m512i low = _mm512_add_epi32(_mm512_and_si512(w0, _mm512_set1_epi32(0xFF)), _mm512_set1_epi32(1));
    const __m512 u1 = _mm512_add_ps(hi, _mm512_mul_ps(_mm512_cvtepi32_ps(low), _mm512_set1_ps(0x1p-32f)));
    const __m512 r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), mx_log_f32x16_avx512_(u1)));
    const __m512 theta = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w1, 8)),
                                       _mm512_set1_ps(mx_rng_2pi_f_ * 0x1p-24f));
    *z0 = _mm512_castps_si512(_mm512_mul_ps(r, mx_cos_f32x16_avx512_(theta)));
    *z1 = _mm512_castps_si512(_mm512_mul_ps(r, mx_sin_f32x16_avx512_(theta)));
}

MX_TARGET_AVX512 static void mx_rng_group_avx512_(const mx_rng_keys_ *keys, uint64_t block, int what, void *dst) {
    __m512i x[4];
    mx_rng_philox16_(keys, block, what == MX_RNG_OUT_NORMAL_ ? MX_RNG_KIND_NORMAL_ : MX_RNG_KIND_WORDS_, x);
    if (what == MX_RNG_OUT_UNIFORM_) {
        for (int i = 0; i < 4; ++i) x[i] = mx_rng_uniform16_(x[i]);
    } else if (what == MX_RNG_OUT_NORMAL_) {
        __m512i z[4];
        mx_rng_box_muller16_(x[0], x[1], &z[0], &z[1]);
        mx_rng_box_muller16_(x[2], x[3], &z[2], &z[3]);
        memcpy(x, z, sizeof z);
    }
    mx_rng_store16_(x, dst);
}

MX_TARGET_AVX512 void mx_rng_u32_avx512(uint64_t seed, uint64_t offset, uint32_t *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_U32_, 16, mx_rng_group_avx512_);
}
MX_TARGET_AVX512 void mx_rng_uniform_f32_avx512(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_UNIFORM_, 16, mx_rng_group_avx512_);
}
MX_TARGET_AVX512 void mx_rng_normal_f32_avx512(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_NORMAL_, 16, mx_rng_group_avx512_);
}
#endif /* MX_ARCH_X86 */

/* ---- NEON: 4 blocks per group ------------------------------------------- */
#if MX_ARCH_ARM64

static inline void mx_rng_mulhilo4_(uint32x4_t x, uint32_t M, uint32x4_t *hi, uint32x4_t *lo) {
    const uint32x4_t pl = vreinterpretq_u32_u64(vmull_n_u32(vget_low_u32(x), M));
    const uint32x4_t ph = vreinterpretq_u32_u64(vmull_high_n_u32(x, M));
    *lo = vuzp1q_u32(pl, ph); /* low halves of the four 64-bit products */
    *hi = vuzp2q_u32(pl, ph);
}

static inline uint32x4x4_t mx_rng_philox4_(const mx_rng_keys_ *k, uint64_t block, uint32_t kind) {
    const uint32x4_t offs = {0, 1, 2, 3};
    const uint32x4_t lo = vaddq_u32(vdupq_n_u32((uint32_t)block), offs);
    uint32x4x4_t x;
    x.val[0] = lo;
    x.val[1] = vsubq_u32(vdupq_n_u32((uint32_t)(block >> 32)), vcltq_u32(lo, offs)); /* + carry */
    x.val[2] = vdupq_n_u32(kind);
    x.val[3] = vdupq_n_u32(0);
    for (int r = 0; r < 10; ++r) {
        uint32x4_t hi0, lo0, hi1, lo1;
        mx_rng_mulhilo4_(x.val[0], MX_PHILOX_M0, &hi0, &lo0);
        mx_rng_mulhilo4_(x.val[2], MX_PHILOX_M1, &hi1, &lo1);
        x.val[0] = veorq_u32(veorq_u32(hi1, x.val[1]), vdupq_n_u32(k->k0[r]));
        x.val[2] = veorq_u32(veorq_u32(hi0, x.val[3]), vdupq_n_u32(k->k1[r]));
        x.val[1] = lo1;
        x.val[3] = lo0;
    }
    return x;
}

static inline uint32x4_t mx_rng_uniform4_(uint32x4_t w) {
    return vreinterpretq_u32_f32(vmulq_n_f32(vcvtq_f32_u32(vshrq_n_u32(w, 8)), 0x1p-24f));
}
static inline void mx_rng_box_muller4_(uint32x4_t w0, uint32x4_t w1, uint32x4_t *z0, uint32x4_t *z1) {
    const float32x4_t hi = vmulq_n_f32(vcvtq_f32_u32(vshrq_n_u32(w0, 8)), 0x1p-24f);
    const uint32x4_t low = vaddq_u32(vandq_u32(w0, vdupq_n_u32(0xFF)), vdupq_n_u32(1));
    const float32x4_t u1 = vaddq_f32(hi, vmulq_n_f32(vcvtq_f32_u32(low), 0x1p-32f));
    const float32x4_t r = vsqrtq_f32(vmulq_n_f32(mx_log_f32x4_neon_(u1), -2.0f));
    const float32x4_t theta = vmulq_n_f32(vcvtq_f32_u32(vshrq_n_u32(w1, 8)), mx_rng_2pi_f_ * 0x1p-24f);
    *z0 = vreinterpretq_u32_f32(vmulq_f32(r, mx_cos_f32x4_neon_(theta)));
    *z1 = vreinterpretq_u32_f32(vmulq_f32(r, mx_sin_f32x4_neon_(theta)));
}

static void mx_rng_group_neon_(const mx_rng_keys_ *keys, uint64_t block, int what, void *dst) {
    uint32x4x4_t x = mx_rng_philox4_(keys, block, what == MX_RNG_OUT_NORMAL_ ? MX_RNG_KIND_NORMAL_ : MX_RNG_KIND_WORDS_);
    if (what == MX_RNG_OUT_UNIFORM_) {
        for (int i = 0; i < 4; ++i) x.val[i] = mx_rng_uniform4_(x.val[i]);
    } else if (what == MX_RNG_OUT_NORMAL_) {
        uint32x4x4_t z;
        mx_rng_box_muller4_(x.val[0], x.val[1], &z.val[0], &z.val[1]);
        mx_rng_box_muller4_(x.val[2], x.val[3], &z.val[2], &z.val[3]);
        x = z;
    }
    vst4q_u32((uint32_t *)dst, x); /* interleaves: block-major order */
}

void mx_rng_u32_neon(uint64_t seed, uint64_t offset, uint32_t *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_U32_, 4, mx_rng_group_neon_);
}
void mx_rng_uniform_f32_neon(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_UNIFORM_, 4, mx_rng_group_neon_);
}
void mx_rng_normal_f32_neon(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_rng_drive_(seed, offset, out, n, MX_RNG_OUT_NORMAL_, 4, mx_rng_group_neon_);
}
#endif /* MX_ARCH_ARM64 */

/* ---- dispatched entries ------------------------------------------------- */

/* [offset, offset + n) must lie in the 2^64 elements of the stream. */
static mx_status mx_rng_check_(uint64_t offset, const void *out, size_t n) {
    if (n == 0) return MX_OK;
    if (out == NULL || (uint64_t)(n - 1) > UINT64_MAX - offset) return MX_ERR_ARG;
#if SIZE_MAX > UINT64_MAX
    if (n - 1 > UINT64_MAX) return MX_ERR_ARG;
#endif
    return MX_OK;
}

mx_status mx_rng_u32(uint64_t seed, uint64_t offset, uint32_t *out, size_t n) {
    mx_status st = mx_rng_check_(offset, out, n);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_rng_u32, (seed, offset, out, n));
    return MX_OK;
}
mx_status mx_rng_uniform_f32(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_status st = mx_rng_check_(offset, out, n);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_rng_uniform_f32, (seed, offset, out, n));
    return MX_OK;
}
mx_status mx_rng_normal_f32(uint64_t seed, uint64_t offset, float *out, size_t n) {
    mx_status st = mx_rng_check_(offset, out, n);
    if (st != MX_OK) return st;
    MX_DISPATCH(mx_rng_normal_f32, (seed, offset, out, n));
    return MX_OK;
}

#define MX_RNG_NEXT_(kind, T)                                              \
    mx_status mx_rng_next_##kind(mx_rng *r, T *out, size_t n) {            \
        if (r == NULL) return MX_ERR_ARG;                                  \
        if ((uint64_t)n > UINT64_MAX - r->position) return MX_ERR_ARG;     \
        mx_status st = mx_rng_##kind(r->seed, r->position, out, n);        \
        if (st == MX_OK) r->position += (uint64_t)n;                       \
        return st;                                                         \
    }
MX_RNG_NEXT_(u32, uint32_t)
MX_RNG_NEXT_(uniform_f32, float)
MX_RNG_NEXT_(normal_f32, float)
#undef MX_RNG_NEXT_

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_IMPLEMENTATION */
