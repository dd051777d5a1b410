/* The consensus table of transaction types (see txtypes.h). */
#include "consensus/txtypes.h"
#include "consensus/accounts.h"
#include "consensus/arena.h"
#include "consensus/finality.h"
#include "consensus/fltx.h"
#include "consensus/market.h"
#include "consensus/stakingtx.h"

#include <string.h>

const struct txtype txtypes[TX_TYPE_LIMIT] = {
    /* accounts */
    [TX_TRANSFER] = {"transfer", "accounts", transfer_check, 1},
    /* staking */
    [TX_VALIDATOR_REGISTER] = {"validator_register", "staking", validator_register_check, 2},
    [TX_STAKE_ADD] = {"stake_add", "staking", stake_amount_check, 2},
    [TX_UNBOND] = {"unbond", "staking", stake_amount_check, 2},
    [TX_DELEGATE] = {"delegate", "staking", delegate_check, 2},
    [TX_UNDELEGATE] = {"undelegate", "staking", undelegate_check, 2},
    [TX_EVIDENCE] = {"evidence", "staking", evidence_check, 4},
    [TX_UNJAIL] = {"unjail", "staking", unjail_check, 2},
    [TX_VALIDATOR_EDIT] = {"validator_edit", "staking", validator_edit_check, 2},
    /* fl */
    [TX_FL_TASK_CREATE] = {"fl_task_create", "fl", fl_task_create_check, 2},
    [TX_FL_JOIN] = {"fl_join", "fl", fl_join_check, 2},
    [TX_FL_UPDATE_COMMIT] = {"fl_update_commit", "fl", fl_update_commit_check, 2},
    [TX_FL_VOTE_COMMIT] = {"fl_vote_commit", "fl", fl_vote_commit_check, 2},
    [TX_FL_VOTE_REVEAL] = {"fl_vote_reveal", "fl", fl_vote_reveal_check, 2},
    [TX_FL_UPDATE_REVEAL] = {"fl_update_reveal", "fl", fl_update_reveal_check, 2},
    /* arena */
    [TX_ARENA_TASK_CREATE] = {"arena_task_create", "arena", arena_task_create_check, 8},
    [TX_ARENA_STAKE] = {"arena_stake", "arena", arena_stake_check, 2},
    [TX_ARENA_DELEGATE] = {"arena_delegate", "arena", arena_delegate_check, 2},
    [TX_ARENA_UNDELEGATE] = {"arena_undelegate", "arena", arena_undelegate_check, 2},
    [TX_ARENA_SET_SHARE] = {"arena_set_share", "arena", arena_set_share_check, 2},
    [TX_ARENA_SUBMIT_COMMIT] = {"arena_submit_commit", "arena", arena_submit_commit_check, 2},
    [TX_ARENA_SUBMIT_REVEAL] = {"arena_submit_reveal", "arena", arena_submit_reveal_check, 2},
    [TX_ARENA_REVEAL_VALSET] = {"arena_reveal_valset", "arena", arena_reveal_valset_check, 2},
    [TX_ARENA_SCORE_COMMIT] = {"arena_score_commit", "arena", arena_score_commit_check, 2},
    [TX_ARENA_SCORE_REVEAL] = {"arena_score_reveal", "arena", arena_score_reveal_check, 2},
    /* market */
    [TX_MARKET_PUBLISH] = {"market_publish", "market", market_publish_check, 4},
    [TX_MARKET_SET_PRICE] = {"market_set_price", "market", market_set_price_check, 2},
    [TX_MARKET_PROVIDER_REGISTER] = {"market_provider_register", "market",
                                     market_provider_register_check, 2},
    [TX_MARKET_CALL] = {"market_call", "market", market_call_check, 2},
    [TX_MARKET_CLAIM] = {"market_claim", "market", market_claim_check, 2},
    /* finality */
    [TX_FINALITY_VOTE] = {"finality_vote", "finality", finality_vote_check, 2},
    [TX_FINALITY_EVIDENCE] = {"finality_evidence", "finality", finality_evidence_check, 4},
};

bool txtype_known(uint8_t type)
{
    switch ((enum tx_type)type) {
    case TX_TRANSFER:
    case TX_VALIDATOR_REGISTER:
    case TX_STAKE_ADD:
    case TX_UNBOND:
    case TX_DELEGATE:
    case TX_UNDELEGATE:
    case TX_EVIDENCE:
    case TX_UNJAIL:
    case TX_VALIDATOR_EDIT:
    case TX_FL_TASK_CREATE:
    case TX_FL_JOIN:
    case TX_FL_UPDATE_COMMIT:
    case TX_FL_VOTE_COMMIT:
    case TX_FL_VOTE_REVEAL:
    case TX_FL_UPDATE_REVEAL:
    case TX_ARENA_TASK_CREATE:
    case TX_ARENA_STAKE:
    case TX_ARENA_DELEGATE:
    case TX_ARENA_UNDELEGATE:
    case TX_ARENA_SET_SHARE:
    case TX_ARENA_SUBMIT_COMMIT:
    case TX_ARENA_SUBMIT_REVEAL:
    case TX_ARENA_REVEAL_VALSET:
    case TX_ARENA_SCORE_COMMIT:
    case TX_ARENA_SCORE_REVEAL:
    case TX_MARKET_PUBLISH:
    case TX_MARKET_SET_PRICE:
    case TX_MARKET_PROVIDER_REGISTER:
    case TX_MARKET_CALL:
    case TX_MARKET_CLAIM:
    case TX_FINALITY_VOTE:
    case TX_FINALITY_EVIDENCE:
        return true;
    }
    return false;
}

const struct txtype *txtype_get(uint8_t type)
{
    if (!txtype_known(type) || type >= TX_TYPE_LIMIT || !txtypes[type].name)
        return NULL;
    return &txtypes[type];
}

uint32_t txtype_block_units(uint8_t type)
{
    const struct txtype *t = txtype_get(type);
    return t && t->block_units ? t->block_units : 1;
}

const char *txtype_name(uint8_t type)
{
    const struct txtype *t = txtype_get(type);
    return t ? t->name : NULL;
}

uint8_t txtype_from_name(const char *s)
{
    for (unsigned t = 1; t < 256; t++) {
        const char *name = txtype_name((uint8_t)t);
        if (name && strcmp(name, s) == 0)
            return (uint8_t)t;
    }
    return 0;
}

bool txtype_check_payload(const struct tx *tx, const struct chain_params *params,
                          struct validation *v)
{
    const struct txtype *t = txtype_get(tx->type);
    if (t && t->check)
        return t->check(tx, params, v);
    return val_failf(v, VAL_CONSENSUS, REJECT_BAD_TXNS_TYPE, "unknown type %u", tx->type);
}
