/* fml-agent's differential privacy: what a proposer releases is
 *
 *     W = G + clip(W_trained - G, C) + N(0, (sigma C)^2 I)
 *
 * G the task's global model the training started from, clip() scaling the
 * change down to L2 norm C (-dp-clip) when it is longer, the noise drawn
 * per coordinate from a ChaCha20 stream (libsodium) keyed by a secret seed.
 *
 * What is protected.  Whatever the participant's private rows are, the
 * change it releases has norm at most C before the noise: the influence of
 * its whole dataset on a release is bounded, so the guarantee covers every
 * record, every set of records and the participation itself.  The
 * accountant below counts a release as the Gaussian mechanism of
 * sensitivity C (the data present against no data at all, i.e. a change of
 * zero): Renyi DP of order a is a / (2 sigma^2) per release, T releases
 * compose to T a / (2 sigma^2), and (epsilon, delta) follows as
 *
 *     epsilon(delta) = min over a of  T a / (2 sigma^2) + log(1/delta) / (a - 1)
 *
 * over the fixed grid of orders agent_dp_orders[].  Two datasets that
 * both exist (a record replaced, added or removed) move the clipped change
 * by up to 2C, which is the same mechanism with sigma / 2: the agent prints
 * that figure too.  Training (data split, batches, -seed) and quantization
 * to Q16.16 are post-processing and cost nothing; what the node, the chain
 * and every other participant see is W only.
 *
 * The noise seed is secret: random unless -dp-seed is given (a reproducible
 * run; whoever knows the seed can subtract the noise).
 */
#include "agent/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ml/quant.h"

const double agent_dp_orders[] = {
    1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 10,
    12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 96, 128, 192, 256,
};
const size_t agent_dp_n_orders = sizeof agent_dp_orders / sizeof agent_dp_orders[0];

double agent_dp_clip(double *delta, size_t n, double clip)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += delta[i] * delta[i];
    double norm = sqrt(ss);
    if (norm > clip) {
        double f = clip / norm;
        for (size_t i = 0; i < n; i++)
            delta[i] *= f;
    }
    return norm;
}

/* A uniform double in (0, 1) from 53 random bits. */
static double uniform_open(const uint8_t b[8])
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | b[i];
    return ((double)(x >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

bool agent_dp_noise(double *out, size_t n, double std, const uint8_t seed[AGENT_DP_SEEDBYTES],
                    uint64_t stream)
{
    /* The stream's key: H(seed | stream), so releases never share noise. */
    uint8_t key[randombytes_SEEDBYTES], in[AGENT_DP_SEEDBYTES + 8];
    memcpy(in, seed, AGENT_DP_SEEDBYTES);
    for (int i = 0; i < 8; i++)
        in[AGENT_DP_SEEDBYTES + i] = (uint8_t)(stream >> (8 * i));
    crypto_generichash(key, sizeof key, in, sizeof in, (const uint8_t *)"fml-agent/dp-noise",
                       18);
    size_t pairs = (n + 1) / 2;
    uint8_t *buf = malloc(pairs * 16 + 1);
    if (!buf)
        return false;
    randombytes_buf_deterministic(buf, pairs * 16, key);
    /* Box-Muller: two standard normals per two uniforms. */
    for (size_t p = 0; p < pairs; p++) {
        double u1 = uniform_open(buf + 16 * p), u2 = uniform_open(buf + 16 * p + 8);
        double r = sqrt(-2.0 * log(u1)), t = 6.283185307179586 * u2;   /* 2 pi u2 */
        out[2 * p] = std * r * cos(t);
        if (2 * p + 1 < n)
            out[2 * p + 1] = std * r * sin(t);
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(buf, pairs * 16);
    free(buf);
    return true;
}

double agent_dp_epsilon(double sigma, uint32_t releases, double delta, double *order)
{
    double best = INFINITY, best_a = 0;
    if (sigma <= 0 || delta <= 0 || delta >= 1)
        return INFINITY;
    for (size_t i = 0; i < agent_dp_n_orders; i++) {
        double a = agent_dp_orders[i];
        double e = (double)releases * a / (2 * sigma * sigma) + log(1 / delta) / (a - 1);
        if (e < best) {
            best = e;
            best_a = a;
        }
    }
    if (order)
        *order = best_a;
    return best;
}

bool agent_dp_calibrate(double epsilon, double delta, uint32_t releases, double *sigma,
                        char *err, size_t errlen)
{
    const double lo0 = 1e-4, hi0 = 1e6;
    if (releases == 0 || !(delta > 0 && delta < 1) || !(epsilon > 0)) {
        snprintf(err, errlen, "Differential privacy needs epsilon > 0, 0 < delta < 1 and at "
                 "least one release");
        return false;
    }
    if (agent_dp_epsilon(hi0, releases, delta, NULL) > epsilon) {
        snprintf(err, errlen, "epsilon %g at delta %g is below what the accountant can reach "
                 "(%g): take a larger -dp-epsilon or -dp-delta", epsilon, delta,
                 agent_dp_epsilon(hi0, releases, delta, NULL));
        return false;
    }
    if (agent_dp_epsilon(lo0, releases, delta, NULL) <= epsilon) {
        *sigma = lo0;
        return true;
    }
    /* epsilon(sigma) decreases with sigma (every order's term does): the
     * smallest sigma that meets the target, by bisection on log(sigma);
     * hi always meets it, so the answer errs on the private side. */
    double lo = log(lo0), hi = log(hi0);
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = 0.5 * (lo + hi);
        if (agent_dp_epsilon(exp(mid), releases, delta, NULL) <= epsilon)
            hi = mid;
        else
            lo = mid;
    }
    *sigma = exp(hi);
    return true;
}

bool agent_dp_setup(struct agent_dp *dp, uint32_t rounds, char *err, size_t errlen)
{
    dp->releases = rounds;
    dp->released = 0;
    if (!agent_dp_calibrate(dp->epsilon, dp->delta, rounds, &dp->sigma, err, errlen))
        return false;
    if (dp->seeded) {
        uint8_t in[8];
        for (int i = 0; i < 8; i++)
            in[i] = (uint8_t)(dp->seed_value >> (8 * i));
        crypto_generichash(dp->seed, sizeof dp->seed, in, sizeof in,
                           (const uint8_t *)"fml-agent/dp-seed", 17);
    } else {
        randombytes_buf(dp->seed, sizeof dp->seed);
    }
    return true;
}

bool agent_dp_release(struct agent_dp *dp, const int32_t *g, int32_t *w, size_t n,
                      uint64_t stream, double *norm, char *err, size_t errlen)
{
    double *d = malloc((n ? n : 1) * sizeof(*d));
    double *z = malloc((n ? n : 1) * sizeof(*z));
    bool ok = d && z;
    if (!ok) {
        snprintf(err, errlen, "Out of memory");
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = ml_q16_to_double(w[i]) - ml_q16_to_double(g[i]);
        *norm = agent_dp_clip(d, n, dp->clip);
        ok = agent_dp_noise(z, n, dp->sigma * dp->clip, dp->seed, stream);
        if (!ok)
            snprintf(err, errlen, "Out of memory");
    }
    if (ok) {
        for (size_t i = 0; i < n; i++)
            w[i] = ml_q16_from_double(ml_q16_to_double(g[i]) + d[i] + z[i]);
        dp->released++;
    }
    if (z)
        sodium_memzero(z, n * sizeof(*z));
    free(d);
    free(z);
    return ok;
}
