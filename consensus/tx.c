/* Transaction envelope: encoding, hashing, signing, stateless checks. */
#include "consensus/tx.h"
#include "consensus/amount.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void tx_init(struct tx *tx)
{
    memset(tx, 0, sizeof(*tx));
    tx->version = TX_VERSION;
}

void tx_free(struct tx *tx)
{
    free(tx->payload);
    tx->payload = NULL;
    tx->payload_len = 0;
}

bool tx_set_payload(struct tx *tx, const void *p, size_t n)
{
    uint8_t *copy = NULL;
    if (n > TX_MAX_PAYLOAD)
        return false;
    if (n) {
        copy = malloc(n);
        if (!copy)
            return false;
        memcpy(copy, p, n);
    }
    free(tx->payload);
    tx->payload = copy;
    tx->payload_len = (uint32_t)n;
    return true;
}

bool tx_copy(struct tx *dst, const struct tx *src)
{
    *dst = *src;
    dst->payload = NULL;
    dst->payload_len = 0;
    return tx_set_payload(dst, src->payload, src->payload_len);
}

static void encode_unsigned(const struct tx *tx, struct wbuf *w)
{
    put_u8(w, tx->version);
    put_u8(w, tx->type);
    put_bytes(w, tx->sender, PUBKEY_SIZE);
    put_u64(w, tx->nonce);
    put_u64(w, tx->fee);
    put_varbytes(w, tx->payload, tx->payload_len);
}

void tx_encode(const struct tx *tx, struct wbuf *w)
{
    encode_unsigned(tx, w);
    put_bytes(w, tx->sig, SIG_SIZE);
}

size_t tx_encoded_size(const struct tx *tx)
{
    return TX_FIXED_SIZE + compact_size_len(tx->payload_len) + tx->payload_len;
}

bool tx_decode_from(struct tx *tx, struct rbuf *r)
{
    const uint8_t *payload;
    size_t n;
    tx_init(tx);
    if (!get_u8(r, &tx->version) || !get_u8(r, &tx->type) ||
        !get_bytes(r, tx->sender, PUBKEY_SIZE) || !get_u64(r, &tx->nonce) ||
        !get_u64(r, &tx->fee) || !get_varbytes(r, &payload, &n, TX_MAX_PAYLOAD) ||
        !get_bytes(r, tx->sig, SIG_SIZE))
        return false;
    if (!tx_set_payload(tx, payload, n)) {
        r->failed = true;
        return false;
    }
    return true;
}

bool tx_decode(struct tx *tx, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    if (!tx_decode_from(tx, &r) || !rbuf_done(&r)) {
        tx_free(tx);
        return false;
    }
    return true;
}

void tx_txid(const struct tx *tx, uint8_t txid[HASH_SIZE])
{
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(tx, &w);
    hash_tagged(txid, HTAG_TXID, w.data, w.len);
    wbuf_free(&w);
}

void tx_sighash(const struct tx *tx, const uint8_t genesis[HASH_SIZE], uint8_t out[HASH_SIZE])
{
    struct hasher h;
    struct wbuf w;
    wbuf_init(&w);
    encode_unsigned(tx, &w);
    hasher_init(&h, HTAG_TXSIG);
    hasher_write(&h, genesis, HASH_SIZE);
    hasher_write(&h, w.data, w.len);
    hasher_final(&h, out);
    wbuf_free(&w);
}

bool tx_sign(struct tx *tx, const uint8_t genesis[HASH_SIZE], const uint8_t sec[SECKEY_SIZE],
             const uint8_t aux[32])
{
    uint8_t msg[HASH_SIZE];
    tx_sighash(tx, genesis, msg);
    return key_sign(tx->sig, msg, sec, aux);
}

bool tx_check_nosig(const struct tx *tx, const struct chain_params *params, struct validation *v)
{
    if (tx->version != TX_VERSION)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_TXNS_VERSION, "version %u", tx->version);
    if (tx_encoded_size(tx) > params->max_tx_size)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_OVERSIZE);
    if (tx->fee > MAX_SUPPLY)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_FEE);
    return txtype_check_payload(tx, params, v);
}

bool tx_check_sig(const struct tx *tx, const uint8_t sighash[HASH_SIZE])
{
    return key_verify(tx->sig, sighash, HASH_SIZE, tx->sender);
}

bool tx_check(const struct tx *tx, const struct chain_params *params, struct validation *v)
{
    uint8_t msg[HASH_SIZE];
    if (!tx_check_nosig(tx, params, v))
        return false;
    tx_sighash(tx, params->genesis_hash, msg);
    if (!tx_check_sig(tx, msg))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_SIG);
    return true;
}
