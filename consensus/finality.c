/* Finality payloads and their stateless checks (see finality.h). */
#include "consensus/finality.h"
#include "consensus/params.h"

#include <string.h>

void finality_vote_encode(const struct finality_vote *fv, struct wbuf *w)
{
    put_u64(w, fv->source.epoch);
    put_bytes(w, fv->source.hash, HASH_SIZE);
    put_u64(w, fv->target.epoch);
    put_bytes(w, fv->target.hash, HASH_SIZE);
}

bool finality_vote_decode(struct finality_vote *fv, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    rbuf_init(&rb, p, n);
    return get_u64(&rb, &fv->source.epoch) && get_bytes(&rb, fv->source.hash, HASH_SIZE) &&
           get_u64(&rb, &fv->target.epoch) && get_bytes(&rb, fv->target.hash, HASH_SIZE) &&
           rbuf_done(&rb);
}

void finality_evidence_init(struct finality_evidence *e)
{
    tx_init(&e->a);
    tx_init(&e->b);
}

void finality_evidence_free(struct finality_evidence *e)
{
    tx_free(&e->a);
    tx_free(&e->b);
}

void finality_evidence_encode(const struct tx *a, const struct tx *b, struct wbuf *w)
{
    struct wbuf t;
    wbuf_init(&t);
    tx_encode(a, &t);
    put_varbytes(w, t.data, t.len);
    wbuf_reset(&t);
    tx_encode(b, &t);
    put_varbytes(w, t.data, t.len);
    wbuf_free(&t);
}

bool finality_evidence_decode(struct finality_evidence *e, const uint8_t *p, size_t n)
{
    struct rbuf rb;
    const uint8_t *pa, *pb;
    size_t na, nb;
    finality_evidence_init(e);
    rbuf_init(&rb, p, n);
    if (!get_varbytes(&rb, &pa, &na, FINALITY_MAX_VOTE_TX) ||
        !get_varbytes(&rb, &pb, &nb, FINALITY_MAX_VOTE_TX) || !rbuf_done(&rb))
        return false;
    if (!tx_decode(&e->a, pa, na) || !tx_decode(&e->b, pb, nb)) {
        finality_evidence_free(e);
        return false;
    }
    return true;
}

bool finality_supermajority(uint64_t part, uint64_t total)
{
    return (unsigned __int128)part * 3 > (unsigned __int128)total * 2;
}

bool finality_votes_conflict(const struct finality_vote *x, const struct finality_vote *y)
{
    if (memcmp(x, y, sizeof(*x)) == 0)
        return false;
    if (x->target.epoch == y->target.epoch)
        return true;
    return (x->source.epoch < y->source.epoch && y->target.epoch < x->target.epoch) ||
           (y->source.epoch < x->source.epoch && x->target.epoch < y->target.epoch);
}

static bool vote_of(const struct tx *tx, const struct chain_params *params,
                    struct finality_vote *out)
{
    struct validation v;
    val_init(&v);
    return tx->type == TX_FINALITY_VOTE && tx_check(tx, params, &v) &&
           finality_vote_decode(out, tx->payload, tx->payload_len);
}

bool finality_evidence_valid(const struct finality_evidence *e, const struct chain_params *params,
                             struct validation *v)
{
    struct finality_vote x, y;
    if (!vote_of(&e->a, params, &x) || !vote_of(&e->b, params, &y))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_VOTE);
    if (memcmp(e->a.sender, e->b.sender, PUBKEY_SIZE) != 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_VOTER);
    if (memcmp(&x, &y, sizeof(x)) == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_SAME);
    if (!finality_votes_conflict(&x, &y))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_EVIDENCE_NO_CONFLICT);
    return true;
}

bool finality_vote_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct finality_vote fv;
    (void)p;
    if (!finality_vote_decode(&fv, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (tx->nonce != 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_VOTE_NONCE);
    if (fv.target.epoch == 0 || fv.source.epoch >= fv.target.epoch)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_VOTE_EPOCHS);
    return true;
}

bool finality_evidence_check(const struct tx *tx, const struct chain_params *p,
                             struct validation *v)
{
    struct finality_evidence e;
    if (!finality_evidence_decode(&e, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    bool ok = finality_evidence_valid(&e, p, v);
    finality_evidence_free(&e);
    return ok;
}
