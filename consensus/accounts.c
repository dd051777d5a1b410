/* Account records and TRANSFER payloads. */
#include "consensus/accounts.h"
#include "consensus/amount.h"

#include <string.h>

void account_key(uint8_t key[ACCOUNT_KEY_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    key[0] = 'a';
    memcpy(key + 1, pub, PUBKEY_SIZE);
}

void account_encode(const struct account *a, uint8_t out[ACCOUNT_VALUE_SIZE])
{
    write_le64(out, a->balance);
    write_le64(out + 8, a->nonce);
}

bool account_decode(struct account *a, const uint8_t *data, size_t len)
{
    if (len != ACCOUNT_VALUE_SIZE)
        return false;
    a->balance = read_le64(data);
    a->nonce = read_le64(data + 8);
    return true;
}

void transfer_encode(const struct transfer *t, struct wbuf *w)
{
    put_bytes(w, t->to, PUBKEY_SIZE);
    put_u64(w, t->amount);
}

bool transfer_decode(struct transfer *t, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_bytes(&r, t->to, PUBKEY_SIZE) && get_u64(&r, &t->amount) && rbuf_done(&r);
}

bool transfer_check(const struct tx *tx, const struct chain_params *params, struct validation *v)
{
    struct transfer t;
    (void)params;
    if (!transfer_decode(&t, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!key_pubkey_valid(t.to))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_RECIPIENT);
    if (t.amount == 0 || !amount_valid(t.amount))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_AMOUNT);
    return true;
}
