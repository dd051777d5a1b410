/* Accounts: balances, nonces, TRANSFER. */
#include "state/accounts.h"
#include "consensus/amount.h"

#include <string.h>

bool accounts_get(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct account *a)
{
    uint8_t key[ACCOUNT_KEY_SIZE];
    const uint8_t *val;
    size_t vlen;
    account_key(key, pub);
    memset(a, 0, sizeof(*a));
    if (!view_get(v, key, sizeof(key), &val, &vlen))
        return !view_failed(v);
    if (!account_decode(a, val, vlen)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void accounts_put(struct view *v, const uint8_t pub[PUBKEY_SIZE], const struct account *a)
{
    uint8_t key[ACCOUNT_KEY_SIZE], val[ACCOUNT_VALUE_SIZE];
    account_key(key, pub);
    if (view_journaling(v)) {
        /* Every change of a balance or nonce passes here: the address index
         * sees each one with its cause (view.h). */
        struct account old;
        if (accounts_get(v, pub, &old) && (old.balance != a->balance || old.nonce != a->nonce))
            view_journal_add(v, pub, JOURNAL_ACCOUNT,
                             a->balance >= old.balance ? (int64_t)(a->balance - old.balance)
                                                       : -(int64_t)(old.balance - a->balance),
                             old.balance, a->balance);
    }
    if (a->balance == 0 && a->nonce == 0) {
        view_del(v, key, sizeof(key));
        return;
    }
    account_encode(a, val);
    view_put(v, key, sizeof(key), val, sizeof(val));
}

bool accounts_debit(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t amount,
                    struct validation *val)
{
    struct account a;
    if (!accounts_get(v, pub, &a))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (!amount_sub(&a.balance, amount))
        return val_fail(val, VAL_STATE, REJECT_BAD_TXNS_INSUFFICIENT_FUNDS);
    accounts_put(v, pub, &a);
    return true;
}

bool accounts_credit(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t amount,
                     struct validation *val)
{
    struct account a;
    if (!accounts_get(v, pub, &a))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (!amount_add(&a.balance, amount))
        return val_fail(val, VAL_ERROR, REJECT_BALANCE_OVERFLOW);
    accounts_put(v, pub, &a);
    return true;
}

bool accounts_apply_transfer(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *val)
{
    struct transfer t;
    (void)ctx;
    if (!transfer_decode(&t, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    return accounts_debit(v, tx->sender, t.amount, val) && accounts_credit(v, t.to, t.amount, val);
}
