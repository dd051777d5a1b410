/* The four well-known regtest validator keys and a block signer that knows
 * them (their RANDAO reveals and header signatures), for test programs and
 * fuzz targets that build blocks on a regtest chain.  Static: each program
 * that includes it has its own copy of the keys and parameters.
 */
#ifndef FML_TESTS_REGTEST_SIGNER_H
#define FML_TESTS_REGTEST_SIGNER_H

#include "consensus/block.h"
#include "consensus/key.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "state/builder.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

static struct chain_params params;
static uint8_t secrets[REGTEST_VALIDATORS][SECKEY_SIZE];
static uint8_t pubs[REGTEST_VALIDATORS][PUBKEY_SIZE];

/* Loads the regtest parameters and the validators' keys into params,
 * secrets and pubs; false when any step fails. */
static inline bool regtest_keys_init(void)
{
    if (sodium_init() < 0 || !params_init(&params, NET_REGTEST))
        return false;
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        params_regtest_secret(i, secrets[i]);
        if (!key_pubkey(pubs[i], secrets[i]))
            return false;
    }
    return true;
}

/* The index of a regtest validator's public key, or -1. */
static inline int validator_index(const uint8_t pub[PUBKEY_SIZE])
{
    for (int i = 0; i < REGTEST_VALIDATORS; i++)
        if (memcmp(pubs[i], pub, PUBKEY_SIZE) == 0)
            return i;
    return -1;
}

static inline bool regtest_reveal(void *arg, const uint8_t pub[PUBKEY_SIZE], uint64_t done,
                                  uint8_t out[32])
{
    uint8_t seed[32];
    int i = validator_index(pub);
    (void)arg;
    if (i < 0 || done >= REGTEST_ONION_LENGTH)
        return false;
    randao_onion_seed(seed, secrets[i], 0);
    randao_onion(out, seed, REGTEST_ONION_LENGTH - 1 - done);
    return true;
}

static inline bool regtest_sign(void *arg, struct block_header *hdr)
{
    int i = validator_index(hdr->proposer);
    (void)arg;
    return i >= 0 && header_sign(hdr, params.genesis_hash, secrets[i], NULL);
}

static const struct block_signer regtest_signer = {regtest_reveal, regtest_sign, NULL};

#endif
