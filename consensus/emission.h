/* Block emission and its split between the proposer and the module pools. */
#ifndef FML_CONSENSUS_EMISSION_H
#define FML_CONSENSUS_EMISSION_H

#include <stdint.h>

struct chain_params;

#define SUPPLY_KEY "gsupply"
/* Module reward pools (u64 state values). */
#define POOL_FL_KEY "gpool/fl"
#define POOL_ARENA_KEY "gpool/arena"
#define POOL_MARKET_KEY "gpool/market"

/* Units minted by the block at height (>= 1) when the supply before it is
 * supply: block_reward >> (height-1) / halving_blocks, never taking the supply
 * past MAX_SUPPLY. */
uint64_t emission_at(const struct chain_params *p, uint64_t height, uint64_t supply);

struct emission_split {
    uint64_t proposer;
    uint64_t fl;
    uint64_t arena;
    uint64_t market;
};

/* Each pool gets floor(amount * bps / 10000); the proposer gets the rest, so
 * the parts always sum to amount. */
void emission_split(const struct chain_params *p, uint64_t amount, struct emission_split *out);

#endif
