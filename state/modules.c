/* The module table and the per-type state transitions (see modules.h).
 * Adding a module: its files, one entry in modules[], one entry per type in
 * txapply[] (doc/modules.md lists the other layers' tables). */
#include "state/modules.h"
#include "state/accounts.h"
#include "state/fl.h"
#include "state/staking.h"

/* The hooks run in this order: staking's begin-block (epoch change, leader
 * and RANDAO checks) before any transaction; at the end staking's (emission
 * and fees) before fl's (the round events queued for the height).  The order
 * is consensus: a new module goes last. */
const struct module modules[] = {
    {"accounts", NULL, NULL},
    {"staking", staking_begin_block, staking_end_block},
    {"fl", NULL, fl_end_block},
};
const size_t modules_count = sizeof(modules) / sizeof(modules[0]);

const txapply_fn txapply[TX_TYPE_LIMIT] = {
    /* accounts */
    [TX_TRANSFER] = accounts_apply_transfer,
    /* staking */
    [TX_VALIDATOR_REGISTER] = staking_apply_register,
    [TX_STAKE_ADD] = staking_apply_stake_add,
    [TX_UNBOND] = staking_apply_unbond,
    [TX_DELEGATE] = staking_apply_delegate,
    [TX_UNDELEGATE] = staking_apply_undelegate,
    [TX_EVIDENCE] = staking_apply_evidence,
    /* fl */
    [TX_FL_TASK_CREATE] = fl_apply_task_create,
    [TX_FL_JOIN] = fl_apply_join,
    [TX_FL_UPDATE] = fl_apply_update,
    [TX_FL_VOTE_COMMIT] = fl_apply_vote_commit,
    [TX_FL_VOTE_REVEAL] = fl_apply_vote_reveal,
};

bool txapply_dispatch(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                      struct validation *val)
{
    if (txtype_get(tx->type) && txapply[tx->type])
        return txapply[tx->type](v, ctx, tx, val);
    return val_fail(val, VAL_CONSENSUS, "bad-txns-type");
}
