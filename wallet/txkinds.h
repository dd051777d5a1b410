/* How the wallet records each transaction type, indexed by enum tx_type:
 * whether it pays someone (a "receive" entry for the recipient in
 * listtransactions and gettransaction, and in the received balance) or only
 * moves the sender's own funds, and the key besides the sender it concerns
 * (a transaction is the wallet's when it holds the sender's key or that key).
 * test_txtypes fails when a type has no entry. */
#ifndef FML_WALLET_TXKINDS_H
#define FML_WALLET_TXKINDS_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/tx.h"

enum wallet_txkind {
    WALLET_TXKIND_NONE = 0, /* not a type: the entry is missing */
    WALLET_TXKIND_PAYMENT,  /* pays its counterparty an amount */
    WALLET_TXKIND_OWN,      /* moves only the sender's funds (balance, stake, task
                               locks); what comes back is credited by the chain */
};

struct wallet_txrecord {
    enum wallet_txkind kind;
    /* The key besides the sender the transaction concerns and the amount it
     * pays that key (0 when it pays nothing): a transfer's recipient, the
     * validator of a delegation, the proposer evidence accuses.  False when
     * the payload does not decode; NULL when no other key is concerned. */
    bool (*counterparty)(const struct tx *tx, uint8_t key[PUBKEY_SIZE], uint64_t *amount);
};

extern const struct wallet_txrecord wallet_txkinds[TX_TYPE_LIMIT];

/* The entry of a known type, or NULL. */
const struct wallet_txrecord *wallet_txkind_get(uint8_t type);

/* Whom a transaction pays, if anyone: false unless it is a payment whose
 * payload decodes. */
bool wallet_tx_payment(const struct tx *tx, uint8_t to[PUBKEY_SIZE], uint64_t *amount);

#endif
