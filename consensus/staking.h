/* The staking module, consensus side: validator records, the leader schedule
 * and the RANDAO.
 *
 * State keys (values in doc/protocol.md, "State"):
 *   'v' | pubkey      validator record
 *   'V'               sorted list of registered validator keys
 *   'E' | 0 / 1       leader schedule of the current / next epoch
 *   'E' | 2           stake snapshot taken at the last epoch boundary
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
    /* Left the validator list (its slot freed); the record stays only while
     * delegations to it remain, for them to undelegate. */
    VALIDATOR_EXITED = 2,
    /* Jailed for downtime (doc/protocol.md 16.7): out of the schedules until
     * an UNJAIL from epoch jailed_until on.  VALIDATOR_JAILED (by evidence)
     * is a tombstone: no UNJAIL, and the key never registers again. */
    VALIDATOR_DOWNTIME = 3,
};

/* A validator's description (VALIDATOR_EDIT): at most this many bytes of
 * UTF-8 without control characters. */
#define VALIDATOR_DESCRIPTION_MAX 140

/* A validator.  Delegations are held as shares of `delegated`: slashing
 * shrinks `delegated` and so every delegation pro rata, in O(1).  Delegator
 * rewards accumulate per share (`acc`, scaled by 2^64, with `carry` keeping
 * the remainder of each division) and are paid when a delegation changes;
 * `bank` holds what was accrued and not yet paid. */
struct validator {
    uint64_t self_stake;
    uint64_t delegated;    /* tokens of all delegations */
    uint64_t shares;       /* total delegation shares */
    uint16_t commission_bps;
    uint8_t status;        /* enum validator_status */
    uint8_t randao_commit[HASH_SIZE];
    uint64_t reveals;
    uint64_t registered_height;
    unsigned __int128 acc; /* reward per share, x 2^64 */
    uint64_t carry;        /* remainder of the last accrual, x 2^64 / shares */
    uint64_t bank;         /* accrued to delegators, not yet paid */
    uint64_t earned;       /* paid to the operator so far: commission, own share, fees
                            * (a statistic, counted modulo 2^64: never fails a block) */
    uint64_t jailed_until; /* status DOWNTIME: the first epoch an UNJAIL is valid in */
    /* Commission in force for rewards: commission_base during epoch
     * commission_epoch (the value at its start, before the edits made in it),
     * commission_bps from the next epoch on. */
    uint64_t commission_epoch;
    uint16_t commission_base;
    uint8_t description_len;
    uint8_t description[VALIDATOR_DESCRIPTION_MAX];
};

/* The commission rewards use in epoch (see commission_epoch above). */
uint16_t validator_commission_at(const struct validator *val, uint64_t epoch);

/* Whether d[0..n) is valid UTF-8 (shortest forms, no surrogates) with no
 * control character (below 0x20, 0x7f): what a description may hold. */
bool validator_description_valid(const uint8_t *d, size_t n);

#define VALIDATOR_KEY_SIZE (1 + PUBKEY_SIZE)
#define DELEGATION_KEY_SIZE (1 + 2 * PUBKEY_SIZE)

/* A delegation ('d' | validator | delegator): its shares and the validator's
 * reward-per-share when it was last paid. */
struct delegation {
    uint64_t shares;
    unsigned __int128 snapshot;
};

void delegation_encode(const struct delegation *d, struct wbuf *w);
bool delegation_decode(struct delegation *d, const uint8_t *data, size_t len) WARN_UNUSED;

/* Rewards a delegation has accrued and not been paid:
 * floor(shares x (acc - snapshot) / 2^64). */
uint64_t delegation_pending(const struct validator *val, const struct delegation *d);

/* How a proposer's reward divides: commission and the self-stake's share to
 * the operator, the delegations' share (by stake) to the delegators:
 *   commission = floor(reward x commission_bps / 10000)
 *   delegators = floor((reward - commission) x delegated / (self_stake + delegated))
 *   operator   = reward - delegators */
struct reward_split {
    uint64_t operator;
    uint64_t delegators;
};
void reward_split(const struct validator *val, uint64_t reward, struct reward_split *out);

/* Adds amount to the delegators' accrual: acc += (amount x 2^64 + carry) / shares,
 * carry := the remainder; bank += amount.  Needs shares > 0. */
void validator_accrue(struct validator *val, uint64_t amount);

/* Unbonding funds queued for the end of a block, one key per entry so that
 * queueing costs O(1) whatever the queue holds:
 *   'q' | height u64 BE               -> count u64 (entries queued there)
 *   'q' | height u64 BE | seq u64 BE  -> owner [32] | amount u64
 *                                        | validator [32] | created_slot u64
 * with seq = 0 .. count-1 in the order queued.  validator is the one the
 * stake was bonded to (a slash of it still cuts the entry), created_slot the
 * slot of the block that queued it.  A 40-byte entry (written before these
 * two fields existed) decodes with validator all zero: no slash reaches it.
 * Each validator's pending entries also form a FIFO queue:
 *   'Q' | validator [32]              -> head u64 | tail u64
 *   'Q' | validator [32] | seq u64 BE -> maturity height u64 | index u64
 * (seq = head .. tail-1; maturities never decrease along it). */
struct unbonding_entry {
    uint8_t owner[PUBKEY_SIZE];
    uint64_t amount;
    uint8_t validator[PUBKEY_SIZE];
    uint64_t created_slot;
};
#define UNBONDING_COUNT_KEY_SIZE 9
#define UNBONDING_ENTRY_KEY_SIZE 17
#define UNBONDING_ENTRY_OLD_SIZE (PUBKEY_SIZE + 8)
#define UNBONDING_ENTRY_SIZE (2 * PUBKEY_SIZE + 16)
#define UNBONDING_VQ_KEY_SIZE (1 + PUBKEY_SIZE)
#define UNBONDING_VQ_ENTRY_KEY_SIZE (1 + PUBKEY_SIZE + 8)
void unbonding_key(uint8_t key[UNBONDING_COUNT_KEY_SIZE], uint64_t height);
void unbonding_entry_key(uint8_t key[UNBONDING_ENTRY_KEY_SIZE], uint64_t height, uint64_t seq);
void unbonding_entry_encode(const struct unbonding_entry *e, struct wbuf *w);
bool unbonding_entry_decode(struct unbonding_entry *e, const uint8_t *data, size_t len) WARN_UNUSED;

/* Running totals of the reward flows ("gstats"), for the conservation checks
 * (state/audit.h).  Statistics, not amounts: each counts modulo 2^64 (fees
 * paid again and again count each time, so no bound holds) and adding to
 * them never fails a block. */
#define STATS_KEY "gstats"
struct staking_stats {
    uint64_t minted; /* emission */
    uint64_t fees;   /* transaction fees */
    uint64_t paid;   /* rewards credited to accounts (operators, delegators) */
    uint64_t burned; /* slashed and destroyed */
};
/* Liveness counts of one validator in one epoch (doc/protocol.md 16.7):
 *   'J' | epoch u64 BE | pubkey [32]  ->  led u32 | missed u32
 * led = blocks proposed + slots missed; written only while the downtime jail
 * is on, deleted when the epoch is judged. */
#define LIVENESS_KEY_SIZE (1 + 8 + PUBKEY_SIZE)
struct liveness {
    uint32_t led;
    uint32_t missed;
};
void liveness_key(uint8_t key[LIVENESS_KEY_SIZE], uint64_t epoch, const uint8_t pub[PUBKEY_SIZE]);
void liveness_encode(const struct liveness *l, struct wbuf *w);
bool liveness_decode(struct liveness *l, const uint8_t *data, size_t len) WARN_UNUSED;
/* Whether these counts jail: led >= min_slots and missed x 10000 > led x bps
 * (exactly bps is not over it); never when bps is 0. */
bool liveness_over(const struct liveness *l, uint16_t bps, uint32_t min_slots);

struct schedule;
/* A schedule's cumulative stakes for drawing many slots: leader_prefix[i] =
 * stake_0 + ... + stake_i (n entries, caller frees). */
uint64_t *schedule_prefix(const struct schedule *s);
/* schedule_leader with a binary search over the prefix sums. */
bool schedule_leader_prefix(const struct schedule *s, const uint64_t *prefix, uint64_t slot,
                            size_t *index) WARN_UNUSED;

void staking_stats_encode(const struct staking_stats *st, struct wbuf *w);
bool staking_stats_decode(struct staking_stats *st, const uint8_t *data, size_t len) WARN_UNUSED;

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
/* The stakes as of the last epoch boundary (the seed unused, zero), drawn
 * with the mix of the end of the following epoch: see state/staking.c. */
#define SCHEDULE_STAKES 2
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
