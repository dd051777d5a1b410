/* Chain parameters: everything that distinguishes main, test, regtest and a
 * custom network.  Consensus code receives them explicitly; nothing here is
 * global.  The consensus fields are committed to by the genesis state (key
 * 'P'), so two nodes with different parameters have different genesis hashes.
 */
#ifndef FML_CONSENSUS_PARAMS_H
#define FML_CONSENSUS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"

enum network { NET_MAIN, NET_TEST, NET_REGTEST, NET_CUSTOM };

#define PARAMS_NAME_MAX 31
#define PARAMS_HRP_MAX 15
#define PARAMS_MAX_ALLOCS 4096
#define PARAMS_MAX_GENESIS_VALIDATORS 256
#define REGTEST_VALIDATORS 4
/* Layers in the hash onion of the regtest validators' RANDAO commitments. */
#define REGTEST_ONION_LENGTH 100000

struct genesis_alloc {
    uint8_t pubkey[PUBKEY_SIZE];
    uint64_t amount;
};

struct genesis_validator {
    uint8_t pubkey[PUBKEY_SIZE];
    uint64_t stake;
    uint16_t commission_bps;
    uint8_t randao_commit[HASH_SIZE];
};

struct chain_params {
    enum network net;
    char name[PARAMS_NAME_MAX + 1]; /* "main", "test", "regtest" or a custom name */
    char hrp[PARAMS_HRP_MAX + 1];
    uint8_t magic[4];
    uint16_t p2p_port;
    uint16_t rpc_port;
    /* Regtest conveniences: blocks may carry slots ahead of the clock. */
    bool regtest_rules;

    /* Time. */
    uint64_t genesis_time; /* unix seconds at the start of slot 0 */
    uint32_t slot_seconds;
    uint32_t epoch_slots;
    uint32_t finality_depth;
    uint32_t unbonding_blocks;

    /* Limits. */
    uint32_t max_block_size;
    uint32_t max_block_txs;
    uint32_t max_tx_size;

    /* Staking. */
    uint64_t min_validator_stake;
    uint64_t min_delegation;
    uint32_t max_validators;
    uint16_t max_commission_bps;
    uint16_t slash_bps;
    uint16_t evidence_bounty_bps;

    /* Emission: block_reward units per block, halved every halving_blocks,
     * never past MAX_SUPPLY; split by basis points (sum 10000). */
    uint64_t block_reward;
    uint64_t halving_blocks;
    uint16_t split_proposer_bps;
    uint16_t split_fl_bps;
    uint16_t split_arena_bps;
    uint16_t split_market_bps;

    /* AI Arena (doc/protocol.md 18.4): the part of a task's budget burned
     * at creation (beta), the pool's match of a settled task's budget_left
     * (kappa, below beta) and the pool's cap in blocks of its emission. */
    uint16_t arena_burn_bps;
    uint16_t arena_match_bps;
    uint32_t arena_pool_cap_blocks;
    /* FL Alliance (doc/protocol.md 17): the same three for FL tasks: burned
     * at creation, the pool's match of a round's payouts from budget_left,
     * the gpool/fl cap in blocks of its emission. */
    uint16_t fl_burn_bps;
    uint16_t fl_match_bps;
    uint32_t fl_pool_cap_blocks;
    /* AI Market (doc/protocol.md 19): the burn at the top of every payment
     * (beta), the cap of use-is-mining on a model's own fees (kappa, below
     * beta), units per 1000 multiply-adds of a call, the demand
     * multiplier's cap (an integer: M <= cap x 2^32, 1..65536), the
     * gpool/market cap in blocks of its emission, and a compute provider's
     * least stake. */
    uint16_t market_burn_bps;
    uint16_t market_mine_bps;
    uint64_t market_fee_per_kmac;
    uint32_t market_mult_cap;
    uint32_t market_pool_cap_blocks;
    uint64_t market_min_provider_stake;

    /* Liveness (doc/protocol.md 16.7): a validator that missed more than
     * downtime_jail_bps of the slots it led in an epoch (0: never), having
     * led at least downtime_min_slots of them, is jailed until
     * downtime_jail_epochs epochs later and loses downtime_slash_bps of its
     * stake and delegations; VALIDATOR_EDIT moves the commission by at most
     * max_commission_change_bps per epoch. */
    uint16_t downtime_jail_bps;
    uint32_t downtime_min_slots;
    uint32_t downtime_jail_epochs;
    uint16_t downtime_slash_bps;
    uint16_t max_commission_change_bps;

    size_t n_allocs;
    struct genesis_alloc *allocs;
    size_t n_validators;
    struct genesis_validator *validators;

    /* Derived by genesis_build(). */
    uint8_t genesis_hash[HASH_SIZE];
};

/* Fills p for a built-in network (not NET_CUSTOM) and computes its genesis.
 * False on allocation failure. */
bool params_init(struct chain_params *p, enum network net) WARN_UNUSED;
void params_free(struct chain_params *p);

/* The defaults of a custom network before its genesis file fills it in
 * (doc/protocol.md §11.1): regtest's limits, finality and economics, 5-second
 * slots, 32-slot epochs, no regtest rules; no name, allocations, validators
 * or genesis hash yet.  Needs no params_free. */
void params_custom_defaults(struct chain_params *p);

/* Default ports of a built-in network, without computing its genesis (for
 * clients such as fml-cli). */
uint16_t params_default_rpc_port(enum network net);
uint16_t params_default_p2p_port(enum network net);
/* Data subdirectory of a built-in network: "" (main), "testnet", "regtest". */
const char *params_network_subdir(enum network net);

/* Network by name ("main", "test", "regtest"); false if unknown. */
bool params_network_from_name(const char *name, enum network *net);

/* The consensus fields, as committed in the genesis state. */
void params_encode(const struct chain_params *p, struct wbuf *w);

/* Structural checks on a parameter set (e.g. from a genesis file): split sums to
 * 10000, non-zero slot and epoch lengths, limits in range.  On failure err
 * names the offending field. */
bool params_validate(const struct chain_params *p, char *err, size_t errlen);

/* Slot arithmetic. */
static inline uint64_t params_slot_start(const struct chain_params *p, uint64_t slot)
{
    return p->genesis_time + slot * p->slot_seconds;
}

static inline uint64_t params_epoch_of(const struct chain_params *p, uint64_t slot)
{
    return slot / p->epoch_slots;
}

/* The slot in progress at unix time now (0 before genesis). */
static inline uint64_t params_slot_at(const struct chain_params *p, uint64_t now)
{
    return now < p->genesis_time ? 0 : (now - p->genesis_time) / p->slot_seconds;
}

/* Secret key of regtest validator i (0..3): BLAKE2b-256 "FML/keyseed" of the
 * ASCII "fml regtest validator <i>".  Public knowledge by design. */
void params_regtest_secret(unsigned i, uint8_t sec[SECKEY_SIZE]);

#endif
