/* Reference for the rng family (see ref_rng.h). */
#include "ref_rng.h"

#include <math.h>

/* One Philox round on (L0, R0, L1, R1): the two products' high halves are
 * xored with the other words and the round key; the low halves move. */
static void philox_round(uint32_t x[4], const uint32_t k[2]) {
    const uint64_t prod0 = (uint64_t)0xD2511F53u * x[0];
    const uint64_t prod1 = (uint64_t)0xCD9E8D57u * x[2];
    const uint32_t hi0 = (uint32_t)(prod0 >> 32), lo0 = (uint32_t)(prod0 & 0xFFFFFFFFu);
    const uint32_t hi1 = (uint32_t)(prod1 >> 32), lo1 = (uint32_t)(prod1 & 0xFFFFFFFFu);
    const uint32_t y0 = hi1 ^ x[1] ^ k[0], y1 = lo1, y2 = hi0 ^ x[3] ^ k[1], y3 = lo0;
    x[0] = y0;
    x[1] = y1;
    x[2] = y2;
    x[3] = y3;
}

void mx_ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t x[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    philox_round(x, k);
    for (int r = 1; r < 10; ++r) {
        k[0] += 0x9E3779B9u; /* the key schedule bumps before each later round */
        k[1] += 0xBB67AE85u;
        philox_round(x, k);
    }
    for (int i = 0; i < 4; ++i) out[i] = x[i];
}

static uint32_t word_of(uint64_t seed, uint64_t i, uint32_t kind) {
    const uint64_t block = i / 4;
    const uint32_t ctr[4] = {(uint32_t)(block & 0xFFFFFFFFu), (uint32_t)(block >> 32), kind, 0};
    const uint32_t key[2] = {(uint32_t)(seed & 0xFFFFFFFFu), (uint32_t)(seed >> 32)};
    uint32_t out[4];
    mx_ref_philox4x32_10(ctr, key, out);
    return out[i % 4];
}

uint32_t mx_ref_rng_u32(uint64_t seed, uint64_t i) { return word_of(seed, i, 0); }

double mx_ref_rng_uniform(uint64_t seed, uint64_t i) {
    return ldexp((double)(mx_ref_rng_u32(seed, i) >> 8), -24);
}

double mx_ref_rng_normal(uint64_t seed, uint64_t i, double *r) {
    const uint64_t first = i & ~(uint64_t)1; /* the pair (w0, w1) this element uses */
    const uint32_t w0 = word_of(seed, first, 1), w1 = word_of(seed, first + 1, 1);
    /* the contract's uniforms: u1 = (w0 + 1) 2^-32 rounded to float, u2 exact */
    const double u1 = (double)(float)ldexp((double)w0 + 1.0, -32);
    const double u2 = ldexp((double)(w1 >> 8), -24);
    const double two_pi = 6.283185307179586476925286766559;
    *r = sqrt(-2.0 * log(u1));
    return (i % 2 == 0) ? *r * cos(two_pi * u2) : *r * sin(two_pi * u2);
}
