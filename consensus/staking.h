/* The staking module, consensus side: validator records, the leader schedule
 * and the RANDAO.
 *
 * State keys (values in doc/protocol.md, "State"):
 *   'v' | pubkey      validator record
 *   'V'               sorted list of registered validator keys
 *   'E' | 0 / 1       leader schedule of the current / next epoch
 *   "gmix"            RANDAO mix
 *
 * Leader of a slot: a stake-weighted draw, by rejection sampling over the
 * cumulative stakes of the epoch's schedule (validators in key order), from
 * BLAKE2b-256 "FML/leader" of (seed | slot | counter).
 */
#ifndef FML_CONSENSUS_STAKING_H
#define FML_CONSENSUS_STAKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"

enum validator_status {
    VALIDATOR_ACTIVE = 0,
    VALIDATOR_JAILED = 1,
};

struct validator {
    uint64_t self_stake;
    uint64_t delegated;
    uint16_t commission_bps;
    uint8_t status; /* enum validator_status */
    uint8_t randao_commit[HASH_SIZE];
    uint64_t reveals;
    uint64_t registered_height;
};

#define VALIDATOR_KEY_SIZE (1 + PUBKEY_SIZE)

void validator_key(uint8_t key[VALIDATOR_KEY_SIZE], const uint8_t pub[PUBKEY_SIZE]);
void validator_encode(const struct validator *val, struct wbuf *w);
bool validator_decode(struct validator *val, const uint8_t *data, size_t len) WARN_UNUSED;

/* The validator list: sorted, unique keys. */
#define VALIDATOR_LIST_KEY "V"
void validator_list_encode(const uint8_t (*keys)[PUBKEY_SIZE], size_t n, struct wbuf *w);
/* *keys points into data (no copy). */
bool validator_list_decode(const uint8_t **keys, size_t *n, const uint8_t *data, size_t len,
                           size_t max) WARN_UNUSED;

struct sched_entry {
    uint8_t pubkey[PUBKEY_SIZE];
    uint64_t stake;
};

struct schedule {
    uint64_t epoch; /* first epoch the schedule was computed for */
    uint8_t seed[HASH_SIZE];
    size_t n;
    struct sched_entry *entries; /* owned, sorted by key */
    uint64_t total;              /* derived: sum of stakes */
};

#define SCHEDULE_CUR 0
#define SCHEDULE_NEXT 1
void schedule_key(uint8_t key[2], int which);
void schedule_init(struct schedule *s);
void schedule_free(struct schedule *s);
void schedule_encode(const struct schedule *s, struct wbuf *w);
/* Requires keys strictly ascending, non-zero stakes, no overflow of the total. */
bool schedule_decode(struct schedule *s, const uint8_t *data, size_t len, size_t max) WARN_UNUSED;

/* Index into s->entries of the leader of slot; false for an empty schedule. */
bool schedule_leader(const struct schedule *s, uint64_t slot, size_t *index) WARN_UNUSED;

/* RANDAO. */
#define MIX_KEY "gmix"
/* H(reveal) == commit. */
bool randao_check(const uint8_t reveal[HASH_SIZE], const uint8_t commit[HASH_SIZE]);
/* out = BLAKE2b-256 "FML/mix" of (mix | reveal). */
void randao_mix(uint8_t out[HASH_SIZE], const uint8_t mix[HASH_SIZE], const uint8_t reveal[HASH_SIZE]);
/* out = H^n(seed), H = BLAKE2b-256 "FML/randao". */
void randao_onion(uint8_t out[HASH_SIZE], const uint8_t seed[HASH_SIZE], uint64_t n);
/* Onion seed of a validator key: BLAKE2b-256 "FML/randao" of
 * ("onion" | secret | generation u64). */
void randao_onion_seed(uint8_t out[HASH_SIZE], const uint8_t sec[SECKEY_SIZE], uint64_t generation);

#endif
