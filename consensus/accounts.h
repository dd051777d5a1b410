/* The accounts module, consensus side: account records and the TRANSFER type.
 *
 *   state key   'a' | pubkey [32]
 *   state value balance u64 | nonce u64
 *   TRANSFER    payload: to [32] | amount u64
 */
#ifndef FML_CONSENSUS_ACCOUNTS_H
#define FML_CONSENSUS_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/tx.h"

#define ACCOUNT_KEY_SIZE (1 + PUBKEY_SIZE)
#define ACCOUNT_VALUE_SIZE 16
#define TRANSFER_PAYLOAD_SIZE (PUBKEY_SIZE + 8)

struct account {
    uint64_t balance;
    uint64_t nonce;
};

void account_key(uint8_t key[ACCOUNT_KEY_SIZE], const uint8_t pub[PUBKEY_SIZE]);
void account_encode(const struct account *a, uint8_t out[ACCOUNT_VALUE_SIZE]);
bool account_decode(struct account *a, const uint8_t *data, size_t len) WARN_UNUSED;

struct transfer {
    uint8_t to[PUBKEY_SIZE];
    uint64_t amount;
};

void transfer_encode(const struct transfer *t, struct wbuf *w);
bool transfer_decode(struct transfer *t, const uint8_t *data, size_t len) WARN_UNUSED;
/* bad-txns-payload, bad-txns-recipient, bad-txns-amount. */
bool transfer_check(const struct tx *tx, const struct chain_params *params, struct validation *v);

#endif
