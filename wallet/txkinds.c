/* The wallet's table of transaction types (see txkinds.h). */
#include "wallet/txkinds.h"
#include "consensus/accounts.h"
#include "consensus/arena.h"
#include "consensus/finality.h"
#include "consensus/market.h"
#include "consensus/stakingtx.h"
#include "consensus/txtypes.h"

#include <string.h>

static bool transfer_party(const struct tx *tx, uint8_t key[PUBKEY_SIZE], uint64_t *amount)
{
    struct transfer t;
    if (!transfer_decode(&t, tx->payload, tx->payload_len))
        return false;
    memcpy(key, t.to, PUBKEY_SIZE);
    *amount = t.amount;
    return true;
}

/* Delegations to one of our validators concern us too. */
static bool delegation_party(const struct tx *tx, uint8_t key[PUBKEY_SIZE], uint64_t *amount)
{
    struct delegation_change d;
    if (!delegation_change_decode(&d, tx->payload, tx->payload_len))
        return false;
    memcpy(key, d.validator, PUBKEY_SIZE);
    *amount = 0;
    return true;
}

static bool evidence_party(const struct tx *tx, uint8_t key[PUBKEY_SIZE], uint64_t *amount)
{
    struct evidence e;
    if (!evidence_decode(&e, tx->payload, tx->payload_len))
        return false;
    memcpy(key, e.a.proposer, PUBKEY_SIZE);
    *amount = 0;
    return true;
}

/* Evidence of a double or surround vote concerns the voter too. */
static bool finality_evidence_party(const struct tx *tx, uint8_t key[PUBKEY_SIZE],
                                    uint64_t *amount)
{
    struct finality_evidence e;
    if (!finality_evidence_decode(&e, tx->payload, tx->payload_len))
        return false;
    memcpy(key, e.a.sender, PUBKEY_SIZE);
    finality_evidence_free(&e);
    *amount = 0;
    return true;
}

/* An Arena delegation concerns its operator too. */
static bool arena_operator_party(const struct tx *tx, uint8_t key[PUBKEY_SIZE], uint64_t *amount)
{
    if (tx->type == TX_ARENA_DELEGATE) {
        struct arena_delegate d;
        if (!arena_delegate_decode(&d, tx->payload, tx->payload_len))
            return false;
        memcpy(key, d.op, PUBKEY_SIZE);
    } else {
        struct arena_undelegate u;
        if (!arena_undelegate_decode(&u, tx->payload, tx->payload_len))
            return false;
        memcpy(key, u.op, PUBKEY_SIZE);
    }
    *amount = 0;
    return true;
}

/* A Market call pays the compute provider it names (and the model's owners,
 * the burn and the data providers, by the chain's split).  What it pays is
 * calls x the price of its block, known only once it is in one, so the
 * record carries no amount: the chain credits each party. */
static bool market_call_party(const struct tx *tx, uint8_t key[PUBKEY_SIZE], uint64_t *amount)
{
    struct market_call c;
    if (!market_call_decode(&c, tx->payload, tx->payload_len))
        return false;
    memcpy(key, c.provider, PUBKEY_SIZE);
    *amount = 0;
    return true;
}

const struct wallet_txrecord wallet_txkinds[TX_TYPE_LIMIT] = {
    /* accounts */
    [TX_TRANSFER] = {WALLET_TXKIND_PAYMENT, transfer_party},
    /* staking: moves funds between the sender's balance and stake */
    [TX_VALIDATOR_REGISTER] = {WALLET_TXKIND_OWN, NULL},
    [TX_STAKE_ADD] = {WALLET_TXKIND_OWN, NULL},
    [TX_UNBOND] = {WALLET_TXKIND_OWN, NULL},
    [TX_DELEGATE] = {WALLET_TXKIND_OWN, delegation_party},
    [TX_UNDELEGATE] = {WALLET_TXKIND_OWN, delegation_party},
    [TX_EVIDENCE] = {WALLET_TXKIND_OWN, evidence_party},
    [TX_UNJAIL] = {WALLET_TXKIND_OWN, NULL},
    [TX_VALIDATOR_EDIT] = {WALLET_TXKIND_OWN, NULL},
    /* fl: locks funds in a task (budget, stake); rewards and refunds are
     * credited by the chain, not by a transaction */
    [TX_FL_TASK_CREATE] = {WALLET_TXKIND_OWN, NULL},
    [TX_FL_JOIN] = {WALLET_TXKIND_OWN, NULL},
    [TX_FL_UPDATE_COMMIT] = {WALLET_TXKIND_OWN, NULL},
    [TX_FL_VOTE_COMMIT] = {WALLET_TXKIND_OWN, NULL},
    [TX_FL_VOTE_REVEAL] = {WALLET_TXKIND_OWN, NULL},
    [TX_FL_UPDATE_REVEAL] = {WALLET_TXKIND_OWN, NULL},
    /* arena: locks funds in a task (budget, stake, delegation); what comes
     * back (rewards, refunds, an undelegation's principal and rewards,
     * paid to its sender) is credited by the chain, not by a transaction */
    [TX_ARENA_TASK_CREATE] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_STAKE] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_DELEGATE] = {WALLET_TXKIND_OWN, arena_operator_party},
    [TX_ARENA_UNDELEGATE] = {WALLET_TXKIND_OWN, arena_operator_party},
    [TX_ARENA_SET_SHARE] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_SUBMIT_COMMIT] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_SUBMIT_REVEAL] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_REVEAL_VALSET] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_SCORE_COMMIT] = {WALLET_TXKIND_OWN, NULL},
    [TX_ARENA_SCORE_REVEAL] = {WALLET_TXKIND_OWN, NULL},
    /* market: a publication, a price change and a claim move only the
     * sender's funds (the fee; a claim's payout is credited by the chain);
     * a provider registration locks a stake */
    [TX_MARKET_PUBLISH] = {WALLET_TXKIND_OWN, NULL},
    [TX_MARKET_SET_PRICE] = {WALLET_TXKIND_OWN, NULL},
    [TX_MARKET_PROVIDER_REGISTER] = {WALLET_TXKIND_OWN, NULL},
    [TX_MARKET_CALL] = {WALLET_TXKIND_PAYMENT, market_call_party},
    [TX_MARKET_CLAIM] = {WALLET_TXKIND_OWN, NULL},
    /* finality: a vote moves nothing but its fee; evidence pays the
     * reporter a bounty (credited by the chain) and concerns the voter */
    [TX_FINALITY_VOTE] = {WALLET_TXKIND_OWN, NULL},
    [TX_FINALITY_EVIDENCE] = {WALLET_TXKIND_OWN, finality_evidence_party},
};

const struct wallet_txrecord *wallet_txkind_get(uint8_t type)
{
    if (!txtype_known(type) || type >= TX_TYPE_LIMIT ||
        wallet_txkinds[type].kind == WALLET_TXKIND_NONE)
        return NULL;
    return &wallet_txkinds[type];
}

bool wallet_tx_payment(const struct tx *tx, uint8_t to[PUBKEY_SIZE], uint64_t *amount)
{
    const struct wallet_txrecord *k = wallet_txkind_get(tx->type);
    uint8_t key[PUBKEY_SIZE];
    uint64_t n;
    if (!k || k->kind != WALLET_TXKIND_PAYMENT || !k->counterparty ||
        !k->counterparty(tx, key, &n))
        return false;
    memcpy(to, key, PUBKEY_SIZE);
    *amount = n;
    return true;
}
