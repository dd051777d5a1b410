/* The accounts module, state side: balances and nonces, and TRANSFER. */
#ifndef FML_STATE_ACCOUNTS_H
#define FML_STATE_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/accounts.h"
#include "state/apply.h"
#include "state/view.h"
#include "consensus/attr.h"

/* The account (zeroes when absent).  False only on a read error or a
 * malformed stored value (the view is then marked failed). */
bool accounts_get(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct account *a) WARN_UNUSED;
/* Stores the account; an account with zero balance and nonce is removed. */
void accounts_put(struct view *v, const uint8_t pub[PUBKEY_SIZE], const struct account *a);

/* bad-txns-insufficient-funds when the balance is short. */
bool accounts_debit(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t amount,
                    struct validation *val) WARN_UNUSED;
/* Fails (VAL_ERROR) only if the balance would pass the supply cap, which a
 * consistent state cannot reach. */
bool accounts_credit(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t amount,
                     struct validation *val) WARN_UNUSED;

bool accounts_apply_transfer(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *val) WARN_UNUSED;

#endif
