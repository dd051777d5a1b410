/* Per-type dispatch (switch over enum tx_type, no default: adding a type makes
 * the compiler list the places that must learn it). */
#include "consensus/txtypes.h"
#include "consensus/accounts.h"
#include "consensus/fltx.h"
#include "consensus/stakingtx.h"

#include <string.h>

const char *txtype_name(uint8_t type)
{
    switch ((enum tx_type)type) {
    case TX_TRANSFER: return "transfer";
    case TX_VALIDATOR_REGISTER: return "validator_register";
    case TX_STAKE_ADD: return "stake_add";
    case TX_UNBOND: return "unbond";
    case TX_DELEGATE: return "delegate";
    case TX_UNDELEGATE: return "undelegate";
    case TX_EVIDENCE: return "evidence";
    case TX_FL_TASK_CREATE: return "fl_task_create";
    case TX_FL_JOIN: return "fl_join";
    case TX_FL_UPDATE: return "fl_update";
    case TX_FL_VOTE_COMMIT: return "fl_vote_commit";
    case TX_FL_VOTE_REVEAL: return "fl_vote_reveal";
    }
    return NULL;
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
    switch ((enum tx_type)tx->type) {
    case TX_TRANSFER: return transfer_check(tx, params, v);
    case TX_VALIDATOR_REGISTER: return validator_register_check(tx, params, v);
    case TX_STAKE_ADD: return stake_amount_check(tx, params, v);
    case TX_UNBOND: return stake_amount_check(tx, params, v);
    case TX_DELEGATE: return delegate_check(tx, params, v);
    case TX_UNDELEGATE: return undelegate_check(tx, params, v);
    case TX_EVIDENCE: return evidence_check(tx, params, v);
    case TX_FL_TASK_CREATE: return fl_task_create_check(tx, params, v);
    case TX_FL_JOIN: return fl_join_check(tx, params, v);
    case TX_FL_UPDATE: return fl_update_check(tx, params, v);
    case TX_FL_VOTE_COMMIT: return fl_vote_commit_check(tx, params, v);
    case TX_FL_VOTE_REVEAL: return fl_vote_reveal_check(tx, params, v);
    }
    return val_failf(v, VAL_CONSENSUS, REJECT_BAD_TXNS_TYPE, "unknown type %u", tx->type);
}
