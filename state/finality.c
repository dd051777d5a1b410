/* Checkpoint finality, state side (see finality.h; doc/protocol.md
 * section 20). */
#include "state/finality.h"
#include "consensus/params.h"
#include "consensus/amount.h"
#include "state/staking.h"

#include <string.h>

#define FKEY_SIZE 10
/* Checkpoints kept: the current epoch's and the three before it. */
#define CHECKPOINTS_KEPT 4

static void fkey(uint8_t key[FKEY_SIZE], char kind, uint64_t epoch)
{
    key[0] = 'F';
    key[1] = (uint8_t)kind;
    write_be64(key + 2, epoch);
}

static void pubkey_key(uint8_t key[2 + PUBKEY_SIZE], char kind, const uint8_t pub[PUBKEY_SIZE])
{
    key[0] = 'F';
    key[1] = (uint8_t)kind;
    memcpy(key + 2, pub, PUBKEY_SIZE);
}

static void checkpoint_encode(const struct checkpoint *c, struct wbuf *w)
{
    put_u64(w, c->epoch);
    put_bytes(w, c->hash, HASH_SIZE);
}

static bool checkpoint_decode_from(struct checkpoint *c, struct rbuf *r)
{
    return get_u64(r, &c->epoch) && get_bytes(r, c->hash, HASH_SIZE);
}

static void genesis_checkpoint(const struct chain_params *p, struct checkpoint *c)
{
    c->epoch = 0;
    memcpy(c->hash, p->genesis_hash, HASH_SIZE);
}

bool finality_justified(struct view *v, const struct chain_params *p, struct checkpoint *cur,
                        struct checkpoint *prev)
{
    const uint8_t *val;
    size_t len;
    struct rbuf r;
    genesis_checkpoint(p, cur);
    genesis_checkpoint(p, prev);
    if (!view_get(v, "Fj", 2, &val, &len))
        return !view_failed(v);
    rbuf_init(&r, val, len);
    if (!checkpoint_decode_from(cur, &r) || !checkpoint_decode_from(prev, &r) || !rbuf_done(&r)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void put_justified(struct view *v, const struct checkpoint *cur, const struct checkpoint *prev)
{
    struct wbuf w;
    wbuf_init(&w);
    checkpoint_encode(cur, &w);
    checkpoint_encode(prev, &w);
    view_put_wbuf(v, "Fj", 2, &w);
    wbuf_free(&w);
}

bool finality_finalized(struct view *v, const struct chain_params *p, struct checkpoint *out)
{
    const uint8_t *val;
    size_t len;
    struct rbuf r;
    genesis_checkpoint(p, out);
    if (!view_get(v, "Ff", 2, &val, &len))
        return !view_failed(v);
    rbuf_init(&r, val, len);
    if (!checkpoint_decode_from(out, &r) || !rbuf_done(&r)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

bool finality_finalized_hash(struct view *v, const struct chain_params *p, uint8_t hash[HASH_SIZE])
{
    struct checkpoint c;
    if (!finality_finalized(v, p, &c))
        return false;
    memcpy(hash, c.hash, HASH_SIZE);
    return true;
}

bool finality_checkpoint(struct view *v, const struct chain_params *p, uint64_t e,
                         uint8_t hash[HASH_SIZE])
{
    uint8_t key[FKEY_SIZE];
    const uint8_t *val;
    size_t len;
    if (e == 0) {
        memcpy(hash, p->genesis_hash, HASH_SIZE);
        return true;
    }
    fkey(key, 'c', e);
    if (!view_get(v, key, sizeof(key), &val, &len) || len != HASH_SIZE)
        return false;
    memcpy(hash, val, HASH_SIZE);
    return true;
}

/* The checkpoint of epoch e for a transaction applied with ctx: an epoch the
 * block enters (when a vote is checked for the next block without its
 * begin-block, as the mempool does) has the parent as its checkpoint. */
static bool ctx_checkpoint(struct view *v, const struct block_ctx *ctx, uint64_t e,
                           uint8_t hash[HASH_SIZE])
{
    if (e > 0 && e > params_epoch_of(ctx->params, ctx->prev_slot)) {
        memcpy(hash, ctx->hdr->prev, HASH_SIZE);
        return true;
    }
    return finality_checkpoint(v, ctx->params, e, hash);
}

/* ---- vote weights ---- */

#define WEIGHT_ENTRY_SIZE (PUBKEY_SIZE + 8)

static void weights_encode(const struct schedule *s, struct wbuf *w)
{
    put_u64(w, s->total);
    put_u32(w, (uint32_t)s->n);
    for (size_t i = 0; i < s->n; i++) {
        put_bytes(w, s->entries[i].pubkey, PUBKEY_SIZE);
        put_u64(w, s->entries[i].stake);
    }
}

/* Binary search in the encoded weights (sorted by key): O(log n), no copy. */
static bool weights_lookup(const uint8_t *val, size_t len, const uint8_t pub[PUBKEY_SIZE],
                           uint64_t *total, uint64_t *stake)
{
    if (len < 12)
        return false;
    uint32_t n = read_le32(val + 8);
    if (len != 12 + (size_t)n * WEIGHT_ENTRY_SIZE)
        return false;
    *total = read_le64(val);
    *stake = 0;
    size_t lo = 0, hi = n;
    while (pub && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const uint8_t *e = val + 12 + mid * WEIGHT_ENTRY_SIZE;
        int c = memcmp(e, pub, PUBKEY_SIZE);
        if (c == 0) {
            *stake = read_le64(e + PUBKEY_SIZE);
            break;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return true;
}

static bool stored_weight(struct view *v, uint64_t e, const uint8_t pub[PUBKEY_SIZE],
                          uint64_t *total, uint64_t *stake)
{
    uint8_t key[FKEY_SIZE];
    const uint8_t *val;
    size_t len;
    fkey(key, 'w', e);
    return view_get(v, key, sizeof(key), &val, &len) && weights_lookup(val, len, pub, total, stake);
}

uint64_t finality_weight(struct view *v, uint64_t e, const uint8_t pub[PUBKEY_SIZE])
{
    uint64_t total, stake;
    return stored_weight(v, e, pub, &total, &stake) ? stake : 0;
}

/* The weights of target epoch e for a vote applied with ctx: as recorded;
 * for an epoch the block enters that is not recorded yet (a vote checked for
 * the next block without its begin-block, as the mempool does), the
 * schedule the block's begin-block will rotate to. */
static bool ctx_weight(struct view *v, const struct block_ctx *ctx, uint64_t e,
                       const uint8_t pub[PUBKEY_SIZE], uint64_t *total, uint64_t *stake)
{
    const struct chain_params *p = ctx->params;
    if (stored_weight(v, e, pub, total, stake))
        return true;
    if (view_failed(v))
        return false;
    if (e > params_epoch_of(p, ctx->prev_slot)) {
        struct schedule s;
        struct wbuf w;
        if (!staking_schedule_for(v, p, ctx->prev_slot, ctx->hdr->slot, &s))
            return false;
        wbuf_init(&w);
        weights_encode(&s, &w);
        bool ok = !w.failed && weights_lookup(w.data, w.len, pub, total, stake);
        wbuf_free(&w);
        schedule_free(&s);
        return ok;
    }
    return false;
}

/* ---- tallies ---- */

bool finality_tally(struct view *v, uint64_t e, uint64_t *total, uint64_t *voted,
                    uint64_t *linked)
{
    uint8_t key[FKEY_SIZE];
    const uint8_t *val;
    size_t len;
    uint64_t stake;
    *voted = *linked = 0;
    if (!stored_weight(v, e, NULL, total, &stake))
        return false;
    fkey(key, 't', e);
    if (view_get(v, key, sizeof(key), &val, &len) && len == 16) {
        *voted = read_le64(val);
        *linked = read_le64(val + 8);
    }
    return true;
}

uint64_t finality_last_target(struct view *v, const uint8_t pub[PUBKEY_SIZE])
{
    uint8_t key[2 + PUBKEY_SIZE];
    const uint8_t *val;
    size_t len;
    pubkey_key(key, 'v', pub);
    if (!view_get(v, key, sizeof(key), &val, &len) || len != 8)
        return 0;
    return read_le64(val);
}

/* ---- begin-block ---- */

bool finality_begin_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const struct chain_params *p = ctx->params;
    uint64_t e_new = params_epoch_of(p, ctx->hdr->slot), e_old = params_epoch_of(p, ctx->prev_slot);
    uint8_t key[FKEY_SIZE];
    struct schedule s;
    struct wbuf w;
    if (e_new <= e_old)
        return true;
    /* Checkpoints: every epoch entered has the parent as its checkpoint;
     * those before the window go (only epochs up to e_old were stored). */
    uint64_t keep_from = e_new >= CHECKPOINTS_KEPT - 1 ? e_new - (CHECKPOINTS_KEPT - 1) : 0;
    for (uint64_t e = e_old + 1 > keep_from ? e_old + 1 : keep_from; e <= e_new; e++) {
        fkey(key, 'c', e);
        view_put(v, key, sizeof(key), ctx->hdr->prev, HASH_SIZE);
    }
    uint64_t old_from = e_old >= CHECKPOINTS_KEPT - 1 ? e_old - (CHECKPOINTS_KEPT - 1) : 0;
    for (uint64_t e = old_from; e < keep_from && e <= e_old; e++) {
        fkey(key, 'c', e);
        view_del(v, key, sizeof(key));
    }
    /* Vote weights: the schedule in force from this block (staking's
     * begin-block ran first) for every epoch entered that votes may still
     * target (e_new - 1 and e_new); weights and tallies of older epochs go. */
    if (!staking_schedule_for(v, p, ctx->hdr->slot, ctx->hdr->slot, &s))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    wbuf_init(&w);
    weights_encode(&s, &w);
    schedule_free(&s);
    for (uint64_t e = e_old + 1 > e_new - 1 ? e_old + 1 : e_new - 1; e <= e_new; e++) {
        fkey(key, 'w', e);
        view_put(v, key, sizeof(key), w.data, w.len);
    }
    wbuf_free(&w);
    for (uint64_t e = e_old >= 1 ? e_old - 1 : 0; e + 1 < e_new && e <= e_old; e++) {
        fkey(key, 'w', e);
        view_del(v, key, sizeof(key));
        fkey(key, 't', e);
        view_del(v, key, sizeof(key));
    }
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

/* ---- transactions ---- */

static bool same_checkpoint(const struct checkpoint *a, const struct checkpoint *b)
{
    return a->epoch == b->epoch && memcmp(a->hash, b->hash, HASH_SIZE) == 0;
}


bool finality_apply_vote(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                         struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    struct finality_vote fv;
    struct checkpoint cur, prev, fin, link;
    uint8_t hash[HASH_SIZE], key[FKEY_SIZE], vkey[2 + PUBKEY_SIZE], buf[16];
    uint64_t total, stake;
    if (!finality_vote_decode(&fv, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    const uint64_t e = params_epoch_of(p, ctx->hdr->slot), t = fv.target.epoch;
    if (!(t == e || t + 1 == e) || t == 0)
        return val_failf(vs, VAL_STATE, REJECT_BAD_VOTE_TARGET_EPOCH,
                         "target epoch %llu in a block of epoch %llu", (unsigned long long)t,
                         (unsigned long long)e);
    if (!ctx_checkpoint(v, ctx, t, hash) || memcmp(hash, fv.target.hash, HASH_SIZE) != 0)
        return val_fail(vs, VAL_STATE, REJECT_BAD_VOTE_TARGET);
    if (!finality_justified(v, p, &cur, &prev))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (!same_checkpoint(&fv.source, &cur) && !same_checkpoint(&fv.source, &prev))
        return val_fail(vs, VAL_STATE, REJECT_BAD_VOTE_SOURCE);
    if (!ctx_weight(v, ctx, t, tx->sender, &total, &stake) || stake == 0)
        return val_fail(vs, VAL_STATE, REJECT_BAD_VOTE_NOT_VALIDATOR);
    /* The schedule is a snapshot two epochs old: stake unbonded (or
     * undelegated) since then does not vote.  A vote counts with at most
     * what is bonded to the sender now (self + delegated), the stake a
     * slash would cut; total stays the schedule's. */
    struct validator cv;
    uint64_t bonded = 0;
    if (staking_get_validator(v, tx->sender, &cv)) {
        bonded = cv.self_stake;
        if (!amount_add(&bonded, cv.delegated))
            bonded = UINT64_MAX;
    } else if (view_failed(v)) {
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    }
    if (bonded < stake)
        stake = bonded;
    if (stake == 0)
        return val_fail(vs, VAL_STATE, REJECT_BAD_VOTE_NOT_VALIDATOR);
    if (finality_last_target(v, tx->sender) >= t)
        return val_fail(vs, VAL_STATE, REJECT_BAD_VOTE_DUPLICATE);

    /* Counted: the last target of the validator, the tally of t. */
    pubkey_key(vkey, 'v', tx->sender);
    write_le64(buf, t);
    view_put(v, vkey, sizeof(vkey), buf, 8);
    uint64_t voted = 0, linked = 0;
    const uint8_t *val;
    size_t len;
    fkey(key, 't', t);
    if (view_get(v, key, sizeof(key), &val, &len) && len == 16) {
        voted = read_le64(val);
        linked = read_le64(val + 8);
    }
    link.epoch = t - 1;
    bool is_link = fv.source.epoch == t - 1 && ctx_checkpoint(v, ctx, t - 1, link.hash) &&
                   same_checkpoint(&fv.source, &link);
    /* Stakes of one schedule add up to at most the supply: no overflow. */
    voted += stake;
    if (is_link)
        linked += stake;
    write_le64(buf, voted);
    write_le64(buf + 8, linked);
    view_put(v, key, sizeof(key), buf, 16);

    /* Justification of t, finalization of t - 1. */
    if (finality_supermajority(voted, total) && t > cur.epoch) {
        prev = cur;
        cur.epoch = t;
        memcpy(cur.hash, fv.target.hash, HASH_SIZE);
        put_justified(v, &cur, &prev);
    }
    if (is_link && finality_supermajority(linked, total) &&
        (same_checkpoint(&cur, &link) || same_checkpoint(&prev, &link))) {
        if (!finality_finalized(v, p, &fin))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
        if (link.epoch > fin.epoch) {
            struct wbuf w;
            wbuf_init(&w);
            checkpoint_encode(&link, &w);
            view_put_wbuf(v, "Ff", 2, &w);
            wbuf_free(&w);
        }
    }
    return !view_failed(v) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

static void offence_key(uint8_t key[2 + PUBKEY_SIZE + 16], const uint8_t pub[PUBKEY_SIZE],
                        uint64_t t1, uint64_t t2)
{
    pubkey_key(key, 's', pub);
    write_be64(key + 2 + PUBKEY_SIZE, t1 < t2 ? t1 : t2);
    write_be64(key + 2 + PUBKEY_SIZE + 8, t1 < t2 ? t2 : t1);
}

static bool evidence_epochs(const struct finality_evidence *e, uint64_t *t1, uint64_t *t2)
{
    struct finality_vote x, y;
    if (!finality_vote_decode(&x, e->a.payload, e->a.payload_len) ||
        !finality_vote_decode(&y, e->b.payload, e->b.payload_len))
        return false;
    *t1 = x.target.epoch;
    *t2 = y.target.epoch;
    return true;
}

bool finality_apply_evidence(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *vs)
{
    struct finality_evidence e;
    uint8_t key[2 + PUBKEY_SIZE + 16];
    uint64_t t1, t2;
    if (!finality_evidence_decode(&e, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    bool ok = evidence_epochs(&e, &t1, &t2);
    const uint64_t be = params_epoch_of(ctx->params, ctx->hdr->slot);
    if (ok && (t1 > be || t2 > be)) {
        /* Votes for epochs not reached yet: no chain can have counted them. */
        ok = val_failf(vs, VAL_STATE, REJECT_BAD_EVIDENCE_FUTURE,
                       "target epochs %llu and %llu in a block of epoch %llu", (unsigned long long)t1,
                       (unsigned long long)t2, (unsigned long long)be);
    } else if (ok) {
        offence_key(key, e.a.sender, t1, t2);
        ok = staking_slash(v, ctx, e.a.sender, (t1 < t2 ? t1 : t2) * ctx->params->epoch_slots, key,
                           sizeof(key), tx->sender, vs);
    } else {
        val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    }
    finality_evidence_free(&e);
    return ok;
}

bool finality_evidence_worth(struct view *v, const struct chain_params *params,
                             const uint8_t voter[PUBKEY_SIZE], uint64_t t1, uint64_t t2,
                             const char **why)
{
    struct validator val;
    uint8_t key[2 + PUBKEY_SIZE + 16];
    const uint8_t *mark;
    size_t mlen;
    (void)params;
    offence_key(key, voter, t1, t2);
    if (!staking_get_validator(v, voter, &val))
        *why = "the signer is not a validator";
    else if (view_get(v, key, sizeof(key), &mark, &mlen))
        *why = "already slashed for these votes";
    else if (val.status == VALIDATOR_JAILED)
        *why = "already jailed by evidence (tombstoned)";
    else
        return true;
    return false;
}
