/* Small deterministic PRNG for ml/: splitmix64 seeding, xoshiro256** output.
 *
 * Shuffles, splits and weight initialization draw from this generator so that
 * a seed reproduces a run bit for bit on any machine (rand() differs between
 * libcs and is shared global state).  Not for keys or anything secret.
 */
#ifndef FML_ML_RNG_H
#define FML_ML_RNG_H

#include <stddef.h>
#include <stdint.h>

struct ml_rng {
    uint64_t s[4];
};

/* Seeds the four state words from splitmix64(seed), so any seed (even 0) works. */
void ml_rng_seed(struct ml_rng *r, uint64_t seed);
uint64_t ml_rng_next(struct ml_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double ml_rng_uniform(struct ml_rng *r);
/* Uniform in [0, n), without modulo bias; n > 0. */
uint64_t ml_rng_below(struct ml_rng *r, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void ml_rng_shuffle(struct ml_rng *r, size_t *idx, size_t n);

#endif
