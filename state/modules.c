/* The module table and the per-type state transitions (see modules.h).
 * Adding a module: its files, one entry in modules[], one entry per type in
 * txrules[] (doc/modules.md lists the other layers' tables). */
#include "state/modules.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/arenaevents.h"
#include "state/finality.h"
#include "state/fl.h"
#include "state/market.h"
#include "state/staking.h"

#include <string.h>

/* The hooks run in this order: staking's begin-block (epoch change, leader
 * and RANDAO checks) before any transaction; at the end staking's (emission
 * and fees) before fl's (the round events queued for the height, then the
 * FL pool cap burn), then
 * arena's (the task events queued for the height, then the pool cap burn,
 * so the cap applies to the pool this block's emission filled), then the
 * market's (the models called in the block: mining, multipliers; then its
 * pool cap burn).  Then finality's begin-block (after staking's rotation:
 * it records the schedule in force as the epoch's vote weights).  The order
 * is consensus: a new module goes last. */
const struct module modules[] = {
    {"accounts", NULL, NULL, NULL},
    {"staking", staking_begin_block, staking_end_block, NULL},
    {"fl", NULL, fl_end_block, NULL},
    {"arena", NULL, arena_end_block, NULL},
    {"market", NULL, market_end_block, NULL},
    {"finality", finality_begin_block, NULL, finality_finalized_hash},
};
const size_t modules_count = sizeof(modules) / sizeof(modules[0]);

const struct txrules txrules[TX_TYPE_LIMIT] = {
    /* accounts */
    [TX_TRANSFER] = {accounts_apply_transfer, NULL},
    /* staking */
    [TX_VALIDATOR_REGISTER] = {staking_apply_register, NULL},
    [TX_STAKE_ADD] = {staking_apply_stake_add, NULL},
    [TX_UNBOND] = {staking_apply_unbond, NULL},
    [TX_DELEGATE] = {staking_apply_delegate, NULL},
    [TX_UNDELEGATE] = {staking_apply_undelegate, NULL},
    [TX_EVIDENCE] = {staking_apply_evidence, NULL},
    [TX_UNJAIL] = {staking_apply_unjail, NULL},
    [TX_VALIDATOR_EDIT] = {staking_apply_edit, NULL},
    /* fl: a task's joins, update and vote commitments and reveals each have
     * a window; the reveals take the builder's reveal half */
    [TX_FL_TASK_CREATE] = {fl_apply_task_create, NULL},
    [TX_FL_JOIN] = {fl_apply_join, fl_tx_expiry},
    [TX_FL_UPDATE_COMMIT] = {fl_apply_update_commit, fl_tx_expiry},
    [TX_FL_UPDATE_REVEAL] = {fl_apply_update_reveal, fl_tx_expiry, true},
    [TX_FL_VOTE_COMMIT] = {fl_apply_vote_commit, fl_tx_expiry},
    [TX_FL_VOTE_REVEAL] = {fl_apply_vote_reveal, fl_tx_expiry, true},
    /* arena: every type but the creation and the undelegation (a claim
     * comes at any height after the task's end) has a window */
    [TX_ARENA_TASK_CREATE] = {arena_apply_task_create, NULL},
    [TX_ARENA_STAKE] = {arena_apply_stake, arena_tx_expiry},
    [TX_ARENA_DELEGATE] = {arena_apply_delegate, arena_tx_expiry},
    [TX_ARENA_UNDELEGATE] = {arena_apply_undelegate, NULL},
    [TX_ARENA_SET_SHARE] = {arena_apply_set_share, arena_tx_expiry},
    [TX_ARENA_SUBMIT_COMMIT] = {arena_apply_submit_commit, arena_tx_expiry},
    [TX_ARENA_SUBMIT_REVEAL] = {arena_apply_submit_reveal, arena_tx_expiry, true},
    [TX_ARENA_REVEAL_VALSET] = {arena_apply_reveal_valset, arena_tx_expiry, true},
    [TX_ARENA_SCORE_COMMIT] = {arena_apply_score_commit, arena_tx_expiry},
    [TX_ARENA_SCORE_REVEAL] = {arena_apply_score_reveal, arena_tx_expiry, true},
    /* market: valid at any height, no reveal */
    [TX_MARKET_PUBLISH] = {market_apply_publish, NULL},
    [TX_MARKET_SET_PRICE] = {market_apply_set_price, NULL},
    [TX_MARKET_PROVIDER_REGISTER] = {market_apply_provider_register, NULL},
    [TX_MARKET_CALL] = {market_apply_call, NULL},
    [TX_MARKET_CLAIM] = {market_apply_claim, NULL},
    /* finality: votes replay-protected by the state (own_replay) */
    [TX_FINALITY_VOTE] = {finality_apply_vote, NULL, false, true},
    [TX_FINALITY_EVIDENCE] = {finality_apply_evidence, NULL},
};

bool modules_finalized(struct view *v, const struct chain_params *p, uint8_t hash[HASH_SIZE])
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i].finalized)
            return modules[i].finalized(v, p, hash);
    memcpy(hash, p->genesis_hash, HASH_SIZE);
    return true;
}

const struct txrules *txrules_get(uint8_t type)
{
    if (!txtype_get(type) || !txrules[type].apply)
        return NULL;
    return &txrules[type];
}

bool txapply_dispatch(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                      struct validation *val)
{
    const struct txrules *r = txrules_get(tx->type);
    if (r)
        return r->apply(v, ctx, tx, val);
    return val_fail(val, VAL_CONSENSUS, REJECT_BAD_TXNS_TYPE);
}
