/* Validator key files of the launch ceremony (doc/launch.md): a validator's
 * secret key and the parameters of its RANDAO hash onion, made offline
 * (`fml-cli genvalidatorkey`), kept by its operator (mode 0600) and given to
 * the node with -validatorkey=FILE.  Only the public fragment leaves the
 * operator's machine:
 *
 *   key file   {"privkey": "64 hex", "pubkey": "64 hex", "onion_generation": 0,
 *               "onion_length": n, "randao_commit": "64 hex"}
 *   fragment   {"pubkey": "64 hex", "stake": "FML", "commission_bps": n,
 *               "randao_commit": "64 hex"}        (a genesis file's validator entry)
 */
#ifndef FML_NODE_VALIDATORKEY_H
#define FML_NODE_VALIDATORKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"

/* Key files larger than this are refused. */
#define VALIDATOR_KEY_FILE_MAX 4096
/* Onion layers of a key made without a length: one per block proposed. */
#define VALIDATOR_KEY_ONION_DEFAULT 10000000
#define VALIDATOR_KEY_ONION_MAX 100000000

struct validator_keyfile {
    uint8_t sec[SECKEY_SIZE];
    uint8_t pub[PUBKEY_SIZE];
    uint64_t onion_generation;
    uint64_t onion_length;
    uint8_t randao_commit[HASH_SIZE];
};

/* A fresh random key with onion generation 0 of onion_length layers
 * (1..VALIDATOR_KEY_ONION_MAX; computing the commitment hashes that many
 * times). */
bool validatorkey_generate(struct validator_keyfile *k, uint64_t onion_length);

/* The key file's text (holds the secret), or NULL when out of memory. */
char *validatorkey_encode(const struct validator_keyfile *k);

/* The public fragment's text for a genesis file, or NULL when out of memory. */
char *validatorkey_fragment(const struct validator_keyfile *k, uint64_t stake,
                            uint16_t commission_bps);

/* Reads a key file's text: false with what is wrong (the secret is never
 * quoted).  Checks that the public key and the commitment, when present,
 * belong to the secret (the commitment costs onion_length hashes). */
bool validatorkey_parse(struct validator_keyfile *k, const char *text, size_t len, char *err,
                        size_t errlen);

/* Writes the key file at path, which must not exist yet, with mode 0600. */
bool validatorkey_write(const char *path, const struct validator_keyfile *k, char *err,
                        size_t errlen);

/* Reads the key file at path; refuses one that others may read (chmod 600). */
bool validatorkey_load(const char *path, struct validator_keyfile *k, char *err, size_t errlen);

/* Wipes the secret. */
void validatorkey_clear(struct validator_keyfile *k);

#endif
