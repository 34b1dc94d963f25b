#define _POSIX_C_SOURCE 200809L /* setenv */
/* Tests of the rng family: Philox-4x32-10 known answers, the stream
 * contract (same bits whatever the ISA and the chunking), agreement of the
 * normals with the reference within the documented bound, and statistical
 * sanity checks that can fail. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/rng.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_rng.h"
#include "testutil.h"

typedef void (*u32_fn)(uint64_t, uint64_t, uint32_t *, size_t);
typedef void (*f32_fn)(uint64_t, uint64_t, float *, size_t);
static const u32_fn u32_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_rng_u32);
static const f32_fn uniform_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_rng_uniform_f32);
static const f32_fn normal_v[MX_ISA_COUNT] = MX_ISA_VARIANTS(mx_rng_normal_f32);

/* ---- known answers ------------------------------------------------------ */

/* Random123 known-answer vectors for philox4x32 with 10 rounds: the three
 * "philox4x32 10" lines of tests/kat_vectors in Random123 1.14
 * (https://github.com/DEShawResearch/random123), columns CTR[4] KEY[2] -> OUT[4]:
 *   00000000 00000000 00000000 00000000  00000000 00000000 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
 *   ffffffff ffffffff ffffffff ffffffff  ffffffff ffffffff -> 408f276d 41c83b0e a20bc7c6 6d5451fd
 *   243f6a88 85a308d3 13198a2e 03707344  a4093822 299f31d0 -> d16cfe09 94fdcceb 5001e420 24126ea1 */
static const uint32_t kat[3][10] = {
    {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
};

Test(rng, philox_known_answers) {
    for (int k = 0; k < 3; ++k) {
        uint32_t lib[4], ref[4];
        mx_philox4x32_10(kat[k], kat[k] + 4, lib);
        mx_ref_philox4x32_10(kat[k], kat[k] + 4, ref);
        for (int i = 0; i < 4; ++i) {
            cr_assert_eq(lib[i], kat[k][6 + i], "library KAT %d word %d: %08x", k, i, lib[i]);
            cr_assert_eq(ref[i], kat[k][6 + i], "reference KAT %d word %d: %08x", k, i, ref[i]);
        }
    }
    /* a changed round count or key schedule would fail: one bit off changes all */
    uint32_t ctr[4] = {1, 0, 0, 0}, out[4];
    mx_philox4x32_10(ctr, kat[0] + 4, out);
    cr_assert(out[0] != kat[0][6], "counter 1 must not give counter 0's block");
}

/* Stream block 0 of seed 0 is Philox(0, 0): the first KAT, through every ISA. */
MX_ISA_TEST(rng, stream_known_answer) {
    uint32_t w[5] = {0, 0, 0, 0, 0xDEADBEEF};
    u32_v[isa](0, 0, w, 4);
    for (int i = 0; i < 4; ++i) cr_assert_eq(w[i], kat[0][6 + i], "%s word %d", mx_isa_name(isa), i);
    cr_assert_eq(w[4], 0xDEADBEEF, "wrote past the end");
}

/* ---- the stream contract ------------------------------------------------ */

static const uint64_t test_seeds[] = {0, 1, 0x0123456789ABCDEFull, UINT64_MAX};
/* offsets that cross 32-bit block counters (2^34 words = 2^32 blocks) and the end */
static const uint64_t test_offsets[] = {0, 1, 3, 4, 5, 63, (1ull << 34) - 37, (1ull << 34) - 2, UINT64_MAX - 300};

/* Raw words and uniforms equal the reference element by element, bitwise. */
MX_ISA_TEST(rng, u32_and_uniform_match_reference) {
    for (size_t s = 0; s < 4; ++s)
        for (size_t o = 0; o < sizeof test_offsets / sizeof test_offsets[0]; ++o)
            for (size_t z = 0; z < mx_test_sizes_count; ++z) {
                const size_t n = mx_test_sizes[z];
                uint32_t *w = mx_test_alloc((n + 1) * 4);
                float *u = mx_test_floats(n + 1);
                w[n] = 0xDEADBEEF;
                u[n] = -5.0f;
                u32_v[isa](test_seeds[s], test_offsets[o], w, n);
                uniform_v[isa](test_seeds[s], test_offsets[o], u, n);
                for (size_t i = 0; i < n; ++i) {
                    const uint64_t e = test_offsets[o] + i;
                    cr_assert_eq(w[i], mx_ref_rng_u32(test_seeds[s], e), "%s u32 seed %zu offset %llu i %zu",
                                 mx_isa_name(isa), s, (unsigned long long)test_offsets[o], i);
                    cr_assert_eq((double)u[i], mx_ref_rng_uniform(test_seeds[s], e), "%s uniform i %zu", mx_isa_name(isa), i);
                    cr_assert(u[i] >= 0.0f && u[i] < 1.0f);
                }
                cr_assert(w[n] == 0xDEADBEEF && u[n] == -5.0f, "wrote past the end (n=%zu)", n);
                free(w);
                free(u);
            }
}

/* Every ISA gives the scalar variant's bits for uniforms (large n). */
MX_ISA_TEST(rng, uniform_bitwise_across_isas) {
    const size_t n = 100003;
    float *a = mx_test_floats(n), *b = mx_test_floats(n);
    uint32_t *wa = mx_test_alloc(n * 4), *wb = mx_test_alloc(n * 4);
    uniform_v[MX_ISA_SCALAR](42, 7, a, n);
    uniform_v[isa](42, 7, b, n);
    u32_v[MX_ISA_SCALAR](42, 7, wa, n);
    u32_v[isa](42, 7, wb, n);
    cr_assert(memcmp(a, b, n * 4) == 0, "%s uniforms differ from scalar", mx_isa_name(isa));
    cr_assert(memcmp(wa, wb, n * 4) == 0, "%s words differ from scalar", mx_isa_name(isa));
    free(a); free(b); free(wa); free(wb);
}

/* [0, n) in one call equals the same range in arbitrary chunks (normals too,
 * bitwise within one ISA). */
MX_ISA_TEST(rng, chunking_is_invisible) {
    const size_t n = 4099;
    const uint64_t base = 1000001;
    float *whole = mx_test_floats(n), *parts = mx_test_floats(n);
    uint32_t *ww = mx_test_alloc(n * 4), *wp = mx_test_alloc(n * 4);
    const f32_fn fns[2] = {uniform_v[isa], normal_v[isa]};
    mx_test_rng r = mx_test_rng_seed(31);
    for (int f = 0; f < 2; ++f) {
        fns[f](9, base, whole, n);
        u32_v[isa](9, base, ww, n);
        for (size_t pos = 0; pos < n;) {
            size_t len = (size_t)(mx_test_next_u64(&r) % 70);
            if (len > n - pos) len = n - pos;
            fns[f](9, base + pos, parts + pos, len);
            u32_v[isa](9, base + pos, wp + pos, len);
            pos += len;
        }
        cr_assert(memcmp(whole, parts, n * 4) == 0, "%s %s chunked differs", mx_isa_name(isa), f ? "normal" : "uniform");
        cr_assert(memcmp(ww, wp, n * 4) == 0, "%s words chunked differ", mx_isa_name(isa));
    }
    free(whole); free(parts); free(ww); free(wp);
}

/* ---- normals against the reference -------------------------------------- */

static void normal_expect(uint64_t seed, uint64_t offset, size_t n, double *want, double *bound) {
    for (size_t i = 0; i < n; ++i) {
        double r;
        want[i] = mx_ref_rng_normal(seed, offset + i, &r);
        bound[i] = 0x1p-24 * (5.0 * fabs(want[i]) + 13.0 * r); /* rng.h: u (5 |z| + 13 r) */
    }
}

MX_ISA_TEST(rng, normal_matches_reference) {
    for (size_t s = 0; s < 4; ++s)
        for (size_t o = 0; o < sizeof test_offsets / sizeof test_offsets[0]; ++o) {
            const size_t n = mx_test_sizes[(s * 5 + o) % mx_test_sizes_count] + (o == 0 ? 20000 : 0);
            float *z = mx_test_floats(n + 1);
            double *want = mx_test_doubles(n + 1), *bound = mx_test_doubles(n + 1);
            z[n] = 123.0f;
            normal_v[isa](test_seeds[s], test_offsets[o], z, n);
            normal_expect(test_seeds[s], test_offsets[o], n, want, bound);
            mx_assert_check(mx_check_abs(z, want, bound, n), "%s normal seed %zu offset %zu n %zu", mx_isa_name(isa), s, o, n);
            cr_assert_eq(z[n], 123.0f, "wrote past the end");
            free(z); free(want); free(bound);
        }
}

MX_ISA_TEST(rng, normal_check_rejects_perturbed) {
    const size_t n = 64;
    float z[64];
    double want[64], bound[64];
    normal_v[isa](5, 0, z, n);
    normal_expect(5, 0, n, want, bound);
    mx_assert_check(mx_check_abs(z, want, bound, n), "unperturbed");
    z[13] = (float)(want[13] + 3.0 * bound[13]);
    mx_assert_rejects(mx_check_abs(z, want, bound, n), "perturbed normal");
}

/* The u1 grid's extremes: w0 = 0xFFFFFFFF gives u1 = 1 (r = 0), w0 = 0 gives
 * the largest radius sqrt(64 ln 2); both finite. Checked on the formula via the
 * reference's u1 mapping and a full scan for finiteness. */
MX_ISA_TEST(rng, normal_values_finite_and_bounded) {
    const size_t n = 200000;
    float *z = mx_test_floats(n);
    normal_v[isa](77, 0, z, n);
    const double zmax = sqrt(64.0 * log(2.0)) * (1.0 + 1e-6);
    for (size_t i = 0; i < n; ++i) cr_assert(isfinite(z[i]) && fabs(z[i]) <= zmax, "z[%zu] = %g", i, z[i]);
    free(z);
}

/* ---- statistics (each check is shown to reject a flawed sample) ---------- */

typedef struct {
    double mean, var, skew3, kurt4; /* sample mean, variance, E x^3, E x^4 (raw, about 0) */
} moments;

static moments sample_moments(const float *x, size_t n) {
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i], v2 = v * v;
        s1 += v; s2 += v2; s3 += v2 * v; s4 += v2 * v2;
    }
    moments m = {s1 / n, s2 / n - (s1 / n) * (s1 / n), s3 / n, s4 / n};
    return m;
}

/* Uniform [0,1): mean 1/2 (sd sqrt(1/12 n)), variance 1/12 (sd sqrt((1/80 - 1/144)/n)), 5 sigma. */
static int uniform_moments_ok(const float *u, size_t n) {
    const moments m = sample_moments(u, n);
    return fabs(m.mean - 0.5) <= 5.0 * sqrt(1.0 / 12.0 / n) &&
           fabs(m.var - 1.0 / 12.0) <= 5.0 * sqrt((1.0 / 80.0 - 1.0 / 144.0) / n);
}

/* Chi-square over 64 equal bins, 63 degrees of freedom, accepted between the
 * 1e-6 lower and upper tail quantiles (Wilson-Hilferty: k (1 - 2/9k + z sqrt(2/9k))^3,
 * z = 4.753 the 1e-6 normal quantile): about 22.9 and 131.7. */
static double chi2_quantile(double k, double z) {
    const double c = 2.0 / (9.0 * k), t = 1.0 - c + z * sqrt(c);
    return k * t * t * t;
}
static int uniform_chi2_ok(const float *u, size_t n, double *chi2) {
    size_t bins[64] = {0};
    for (size_t i = 0; i < n; ++i) bins[(size_t)(u[i] * 64.0f)]++;
    const double e = n / 64.0;
    *chi2 = 0;
    for (int b = 0; b < 64; ++b) *chi2 += (bins[b] - e) * (bins[b] - e) / e;
    return *chi2 > chi2_quantile(63, -4.753) && *chi2 < chi2_quantile(63, 4.753);
}

/* Lag-1 serial correlation within 5 / sqrt(n). */
static int uniform_lag1_ok(const float *u, size_t n) {
    double s = 0;
    for (size_t i = 0; i + 1 < n; ++i) s += (u[i] - 0.5) * (u[i + 1] - 0.5);
    const double corr = s / (n - 1) * 12.0;
    return fabs(corr) <= 5.0 / sqrt((double)n);
}

/* Normal: mean 0 (sd 1/sqrt n), var 1 (sd sqrt(2/n)), E z^3 = 0 (sd sqrt(15/n)),
 * E z^4 = 3 (sd sqrt(96/n)), P(|z| > 3) = 0.0026998 (binomial sd), all 5 sigma. */
static int normal_moments_ok(const float *z, size_t n) {
    const moments m = sample_moments(z, n);
    size_t tail = 0;
    for (size_t i = 0; i < n; ++i) tail += fabsf(z[i]) > 3.0f;
    const double p = 0.0026997960632601866, ptail = (double)tail / n;
    return fabs(m.mean) <= 5.0 / sqrt((double)n) && fabs(m.var - 1.0) <= 5.0 * sqrt(2.0 / n) &&
           fabs(m.skew3) <= 5.0 * sqrt(15.0 / n) && fabs(m.kurt4 - 3.0) <= 5.0 * sqrt(96.0 / n) &&
           fabs(ptail - p) <= 5.0 * sqrt(p * (1 - p) / n);
}

enum { STAT_N = 1000000 };

Test(rng, uniform_statistics) {
    float *u = mx_test_floats(STAT_N);
    cr_assert_eq(mx_rng_uniform_f32(2024, 0, u, STAT_N), MX_OK);
    double chi2;
    cr_assert(uniform_moments_ok(u, STAT_N), "uniform mean/variance off");
    cr_assert(uniform_chi2_ok(u, STAT_N, &chi2), "uniform chi-square %g", chi2);
    cr_assert(uniform_lag1_ok(u, STAT_N), "uniform lag-1 correlation");
    /* the same checks reject flawed samples */
    float *bad = mx_test_floats(STAT_N);
    for (size_t i = 0; i < STAT_N; ++i) bad[i] = powf(u[i], 1.02f);
    cr_assert(!uniform_moments_ok(bad, STAT_N), "u^1.02 passed the moments");
    cr_assert(!uniform_chi2_ok(bad, STAT_N, &chi2), "u^1.02 passed chi-square (%g)", chi2);
    for (size_t i = 0; i < STAT_N; ++i) bad[i] = (float)((i * 0.61803398875) - floor(i * 0.61803398875));
    cr_assert(!uniform_chi2_ok(bad, STAT_N, &chi2), "a too-regular sequence passed chi-square (%g)", chi2);
    for (size_t i = 0; i < STAT_N; ++i) bad[i] = i % 2 ? bad[i - 1] * 0.5f + u[i] * 0.5f : u[i];
    cr_assert(!uniform_lag1_ok(bad, STAT_N), "a correlated sequence passed lag-1");
    free(u);
    free(bad);
}

Test(rng, normal_statistics) {
    float *z = mx_test_floats(STAT_N);
    cr_assert_eq(mx_rng_normal_f32(2025, 0, z, STAT_N), MX_OK);
    cr_assert(normal_moments_ok(z, STAT_N), "normal moments off");
    /* a flawed normal: the sum of 3 uniforms, scaled to unit variance (kurtosis 2.6) */
    float *u = mx_test_floats(3 * STAT_N);
    cr_assert_eq(mx_rng_uniform_f32(1, 0, u, 3 * STAT_N), MX_OK);
    for (size_t i = 0; i < STAT_N; ++i) z[i] = (u[3 * i] + u[3 * i + 1] + u[3 * i + 2] - 1.5f) * 2.0f;
    cr_assert(!normal_moments_ok(z, STAT_N), "sum of uniforms passed as normal");
    free(z);
    free(u);
}

/* Normals and uniforms of one seed come from different counters; different
 * seeds and neighbouring offsets give different streams. */
Test(rng, streams_are_distinct) {
    uint32_t a[64], b[64];
    cr_assert_eq(mx_rng_u32(1, 0, a, 64), MX_OK);
    cr_assert_eq(mx_rng_u32(2, 0, b, 64), MX_OK);
    cr_assert(memcmp(a, b, sizeof a) != 0);
    cr_assert_eq(mx_rng_u32(1ull << 32, 0, b, 64), MX_OK); /* the high key word matters */
    cr_assert(memcmp(a, b, sizeof a) != 0);
    float u[64], z[64];
    cr_assert_eq(mx_rng_uniform_f32(1, 0, u, 64), MX_OK);
    cr_assert_eq(mx_rng_normal_f32(1, 0, z, 64), MX_OK);
    for (int i = 0; i < 64; ++i) cr_assert_eq((double)u[i], (a[i] >> 8) * 0x1p-24, "uniform = word >> 8");
    double r;
    const double z0 = mx_ref_rng_normal(1, 0, &r);
    /* z0 comes from the normal counter range, not from the uniforms' words */
    const double u1 = (double)(float)ldexp((double)a[0] + 1.0, -32);
    cr_assert(fabs(z0 - sqrt(-2 * log(u1)) * cos(6.283185307179586 * (a[1] >> 8) * 0x1p-24)) > 1e-3);
    cr_assert(fabs(z[0] - z0) < 1e-5);
}

/* ---- dispatched entries --------------------------------------------------- */

Test(rng, entries_validate_arguments) {
    uint32_t w[4];
    float f[4];
    cr_assert_eq(mx_rng_u32(1, 0, NULL, 4), MX_ERR_ARG);
    cr_assert_eq(mx_rng_uniform_f32(1, 0, NULL, 4), MX_ERR_ARG);
    cr_assert_eq(mx_rng_normal_f32(1, 0, NULL, 4), MX_ERR_ARG);
    cr_assert_eq(mx_rng_u32(1, 0, NULL, 0), MX_OK);
    /* the last element of the stream is 2^64 - 1: offset + n may reach 2^64, not pass it */
    cr_assert_eq(mx_rng_u32(1, UINT64_MAX - 3, w, 4), MX_OK);
    cr_assert_eq(w[3], mx_ref_rng_u32(1, UINT64_MAX));
    cr_assert_eq(mx_rng_u32(1, UINT64_MAX - 2, w, 4), MX_ERR_ARG);
    cr_assert_eq(mx_rng_uniform_f32(1, UINT64_MAX, f, 2), MX_ERR_ARG);
    cr_assert_eq(mx_rng_normal_f32(1, UINT64_MAX, f, 1), MX_OK);
    mx_rng g = mx_rng_make(5);
    cr_assert_eq(mx_rng_next_u32(NULL, w, 4), MX_ERR_ARG);
    cr_assert_eq(mx_rng_next_u32(&g, NULL, 4), MX_ERR_ARG);
    cr_assert_eq(g.position, 0, "a failed draw does not advance");
}

Test(rng, entries_report_bad_isa) {
    setenv("MIXSIMD_ISA", "sse9", 1);
    uint32_t w[4];
    float f[4];
    cr_assert_eq(mx_rng_u32(1, 0, w, 4), MX_ERR_ISA);
    cr_assert_eq(mx_rng_uniform_f32(1, 0, f, 4), MX_ERR_ISA);
    cr_assert_eq(mx_rng_normal_f32(1, 0, f, 4), MX_ERR_ISA);
}

Test(rng, entries_follow_forced_isa) {
    const size_t n = 301;
    for (int isa = 0; isa < MX_ISA_COUNT; ++isa) {
        if (!mx_cpu_has((mx_isa)isa)) continue;
        cr_assert_eq(mx_isa_force((mx_isa)isa), MX_OK);
        float a[301], b[301];
        uint32_t wa[301], wb[301];
        normal_v[isa](3, 11, a, n);
        cr_assert_eq(mx_rng_normal_f32(3, 11, b, n), MX_OK);
        cr_assert(memcmp(a, b, sizeof a) == 0, "normal entry under %s", mx_isa_name((mx_isa)isa));
        uniform_v[isa](3, 11, a, n);
        cr_assert_eq(mx_rng_uniform_f32(3, 11, b, n), MX_OK);
        cr_assert(memcmp(a, b, sizeof a) == 0, "uniform entry under %s", mx_isa_name((mx_isa)isa));
        u32_v[isa](3, 11, wa, n);
        cr_assert_eq(mx_rng_u32(3, 11, wb, n), MX_OK);
        cr_assert(memcmp(wa, wb, sizeof wa) == 0, "u32 entry under %s", mx_isa_name((mx_isa)isa));
    }
}

/* The stateful helper walks one stream: draws of 5 + 7 + 20 uniforms are
 * elements [0, 32) of the seed's stream. */
Test(rng, stateful_draws_continue_the_stream) {
    mx_rng g = mx_rng_make(99);
    float a[32], b[32];
    cr_assert_eq(mx_rng_next_uniform_f32(&g, a, 5), MX_OK);
    cr_assert_eq(mx_rng_next_uniform_f32(&g, a + 5, 7), MX_OK);
    cr_assert_eq(mx_rng_next_uniform_f32(&g, a + 12, 20), MX_OK);
    cr_assert_eq(g.position, 32);
    cr_assert_eq(mx_rng_uniform_f32(99, 0, b, 32), MX_OK);
    cr_assert(memcmp(a, b, sizeof a) == 0);
    uint32_t w[3];
    cr_assert_eq(mx_rng_next_u32(&g, w, 3), MX_OK);
    cr_assert_eq(w[0], mx_ref_rng_u32(99, 32));
    cr_assert_eq(mx_rng_next_normal_f32(&g, b, 2), MX_OK);
    cr_assert_eq(g.position, 37);
}

/* No element index is used twice: a stateful stream that reached its end
 * stays spent instead of wrapping to element 0 (its position never decreases). */
Test(rng, stateful_draws_never_wrap) {
    mx_rng g = {7, UINT64_MAX - 7};
    uint32_t w[4];
    cr_assert_eq(mx_rng_next_u32(&g, w, 4), MX_OK);
    cr_assert_eq(g.position, UINT64_MAX - 3);
    for (int i = 0; i < 3; ++i) {
        const uint64_t before = g.position;
        const mx_status st = mx_rng_next_u32(&g, w, 4);
        cr_assert(g.position >= before, "draw %d (status %d): position went back to %llu", i, (int)st,
                  (unsigned long long)g.position);
    }
    int draws = 0; /* single draws end at the stream's end, within a few steps */
    for (uint64_t before = g.position; mx_rng_next_u32(&g, w, 1) == MX_OK; before = g.position)
        cr_assert(g.position > before && ++draws < 8, "single draws: position %llu after %llu",
                  (unsigned long long)g.position, (unsigned long long)before);
    cr_assert_eq(mx_rng_next_u32(&g, w, 1), MX_ERR_ARG, "the spent stream refuses further draws");
}
