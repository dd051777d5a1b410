/* The table of native modules and the transaction-type dispatch.  Adding a
 * module: its files, one entry below, its cases in txapply_dispatch. */
#include "state/modules.h"
#include "state/accounts.h"
#include "state/fl.h"
#include "state/staking.h"

const struct module modules[] = {
    {"accounts", NULL, NULL},
    {"staking", staking_begin_block, staking_end_block},
    {"fl", NULL, fl_end_block},
};
const size_t modules_count = sizeof(modules) / sizeof(modules[0]);

bool txapply_dispatch(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                      struct validation *val)
{
    switch ((enum tx_type)tx->type) {
    case TX_TRANSFER: return accounts_apply_transfer(v, ctx, tx, val);
    case TX_VALIDATOR_REGISTER: return staking_apply_register(v, ctx, tx, val);
    case TX_STAKE_ADD: return staking_apply_stake_add(v, ctx, tx, val);
    case TX_UNBOND: return staking_apply_unbond(v, ctx, tx, val);
    case TX_DELEGATE: return staking_apply_delegate(v, ctx, tx, val);
    case TX_UNDELEGATE: return staking_apply_undelegate(v, ctx, tx, val);
    case TX_EVIDENCE: return staking_apply_evidence(v, ctx, tx, val);
    case TX_FL_TASK_CREATE: return fl_apply_task_create(v, ctx, tx, val);
    case TX_FL_JOIN: return fl_apply_join(v, ctx, tx, val);
    case TX_FL_UPDATE: return fl_apply_update(v, ctx, tx, val);
    case TX_FL_VOTE_COMMIT: return fl_apply_vote_commit(v, ctx, tx, val);
    case TX_FL_VOTE_REVEAL: return fl_apply_vote_reveal(v, ctx, tx, val);
    }
    return val_fail(val, VAL_CONSENSUS, REJECT_BAD_TXNS_TYPE);
}
