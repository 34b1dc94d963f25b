/* Reference (oracle) for the rng family: Philox-4x32-10 written out plainly
 * from the paper (Salmon et al., SC'11), one element at a time, and the
 * uniform / Box-Muller maps evaluated in double. Independent of the library. */
#ifndef MIXSIMD_REF_RNG_H
#define MIXSIMD_REF_RNG_H

#include <stdint.h>

/* out = Philox-4x32-10(ctr, key). */
void mx_ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Word i of the raw stream of seed: word i % 4 of Philox((i/4 low, i/4 high, 0, 0), seed). */
uint32_t mx_ref_rng_u32(uint64_t seed, uint64_t i);
/* Uniform element i: (word >> 8) / 2^24, exact in double. */
double mx_ref_rng_uniform(uint64_t seed, uint64_t i);
/* Normal element i by Box-Muller from the normal counter range (word 2 = 1),
 * computed exactly (in double, from the same float u1 and u2 as the
 * library's contract); *r receives sqrt(-2 ln u1) for the error bound. */
double mx_ref_rng_normal(uint64_t seed, uint64_t i, double *r);

#endif
