/* Emission schedule (see emission.h). */
#include "consensus/emission.h"
#include "consensus/amount.h"
#include "consensus/params.h"

uint64_t emission_at(const struct chain_params *p, uint64_t height, uint64_t supply)
{
    uint64_t halvings, reward;
    if (height == 0 || supply >= MAX_SUPPLY)
        return 0;
    halvings = p->halving_blocks ? (height - 1) / p->halving_blocks : 0;
    reward = halvings >= 64 ? 0 : p->block_reward >> halvings;
    if (reward > MAX_SUPPLY - supply)
        reward = MAX_SUPPLY - supply;
    return reward;
}

void emission_split(const struct chain_params *p, uint64_t amount, struct emission_split *out)
{
    out->fl = mul_div_floor(amount, p->split_fl_bps, 10000);
    out->arena = mul_div_floor(amount, p->split_arena_bps, 10000);
    out->market = mul_div_floor(amount, p->split_market_bps, 10000);
    out->proposer = amount - out->fl - out->arena - out->market;
}
