/* Staking transaction payloads (see stakingtx.h). */
#include "consensus/stakingtx.h"
#include "consensus/amount.h"
#include "consensus/params.h"

#include <string.h>

void validator_register_encode(const struct validator_register *r, struct wbuf *w)
{
    put_u64(w, r->stake);
    put_u16(w, r->commission_bps);
    put_bytes(w, r->randao_commit, HASH_SIZE);
}

bool validator_register_decode(struct validator_register *r, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    rbuf_init(&rb, p, n);
    return get_u64(&rb, &r->stake) && get_u16(&rb, &r->commission_bps) &&
           get_bytes(&rb, r->randao_commit, HASH_SIZE) && rbuf_done(&rb);
}

void stake_amount_encode(uint64_t amount, struct wbuf *w)
{
    put_u64(w, amount);
}

bool stake_amount_decode(uint64_t *amount, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    rbuf_init(&rb, p, n);
    return get_u64(&rb, amount) && rbuf_done(&rb);
}

void delegation_change_encode(const struct delegation_change *d, struct wbuf *w)
{
    put_bytes(w, d->validator, PUBKEY_SIZE);
    put_u64(w, d->amount);
}

bool delegation_change_decode(struct delegation_change *d, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    rbuf_init(&rb, p, n);
    return get_bytes(&rb, d->validator, PUBKEY_SIZE) && get_u64(&rb, &d->amount) && rbuf_done(&rb);
}

void evidence_encode(const struct evidence *e, struct wbuf *w)
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    header_encode(&e->a, buf);
    put_bytes(w, buf, sizeof(buf));
    header_encode(&e->b, buf);
    put_bytes(w, buf, sizeof(buf));
}

bool evidence_decode(struct evidence *e, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    rbuf_init(&rb, p, n);
    return header_decode_from(&e->a, &rb) && header_decode_from(&e->b, &rb) && rbuf_done(&rb);
}

bool evidence_valid(const struct evidence *e, const uint8_t genesis[HASH_SIZE],
                    struct validation *v)
{
    uint8_t ha[HASH_SIZE], hb[HASH_SIZE];
    if (memcmp(e->a.proposer, e->b.proposer, PUBKEY_SIZE) != 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_PROPOSER);
    if (e->a.slot != e->b.slot)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_SLOT);
    /* Two signatures over the same content are one proposal, not two. */
    header_sighash(&e->a, genesis, ha);
    header_sighash(&e->b, genesis, hb);
    if (memcmp(ha, hb, HASH_SIZE) == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_SAME);
    if (!header_check_sig(&e->a, genesis) || !header_check_sig(&e->b, genesis))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_SIG);
    return true;
}

bool validator_register_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct validator_register r;
    if (!validator_register_decode(&r, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (r.stake == 0 || !amount_valid(r.stake))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_AMOUNT);
    if (r.commission_bps > p->max_commission_bps)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_COMMISSION);
    return true;
}

bool stake_amount_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    uint64_t amount;
    (void)p;
    if (!stake_amount_decode(&amount, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (amount == 0 || !amount_valid(amount))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_AMOUNT);
    return true;
}

bool delegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct delegation_change d;
    if (!delegation_change_decode(&d, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (d.amount == 0 || !amount_valid(d.amount) || d.amount < p->min_delegation)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_AMOUNT);
    if (memcmp(d.validator, tx->sender, PUBKEY_SIZE) == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_SELF_DELEGATION);
    return true;
}

bool undelegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct delegation_change d;
    (void)p;
    if (!delegation_change_decode(&d, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (d.amount != UNDELEGATE_ALL && !amount_valid(d.amount))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_AMOUNT);
    return true;
}

bool evidence_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct evidence e;
    if (!evidence_decode(&e, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    return evidence_valid(&e, p->genesis_hash, v);
}

void validator_edit_encode(const struct validator_edit *e, struct wbuf *w)
{
    put_u16(w, e->commission_bps);
    put_varbytes(w, e->description, e->description_len);
}

bool validator_edit_decode(struct validator_edit *e, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    const uint8_t *d;
    size_t len;
    rbuf_init(&rb, p, n);
    if (!get_u16(&rb, &e->commission_bps) ||
        !get_varbytes(&rb, &d, &len, VALIDATOR_DESCRIPTION_MAX) || !rbuf_done(&rb))
        return false;
    memcpy(e->description, d, len);
    e->description_len = (uint8_t)len;
    return true;
}

bool unjail_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    (void)p;
    if (tx->payload_len != 0)
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    return true;
}

bool validator_edit_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct validator_edit e;
    if (!validator_edit_decode(&e, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (e.commission_bps > p->max_commission_bps)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_COMMISSION);
    if (!validator_description_valid(e.description, e.description_len))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_DESCRIPTION);
    return true;
}
