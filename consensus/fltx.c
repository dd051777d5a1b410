/* FL Alliance transaction payloads and their stateless checks (see fltx.h). */
#include "consensus/fltx.h"
#include "consensus/amount.h"
#include "consensus/params.h"

#include <string.h>

bool fl_task_create_decode(struct fl_task_params *t, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return fl_task_params_decode_from(t, &r) && rbuf_done(&r);
}

void fl_join_encode(const struct fl_join *j, struct wbuf *w)
{
    put_bytes(w, j->task, FL_TASK_ID_SIZE);
    put_u64(w, j->stake);
}

bool fl_join_decode(struct fl_join *j, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, j->task, FL_TASK_ID_SIZE) && get_u64(&r, &j->stake) && rbuf_done(&r);
}

void fl_update_encode(const struct fl_update *u, struct wbuf *w)
{
    put_bytes(w, u->task, FL_TASK_ID_SIZE);
    put_u32(w, u->round);
    put_compact(w, u->n);
    put_bytes(w, u->weights, (size_t)u->n * 4);
}

bool fl_update_decode(struct fl_update *u, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, u->task, FL_TASK_ID_SIZE) && get_u32(&r, &u->round) &&
           get_compact(&r, &u->n, r.left / 4) && get_view(&r, &u->weights, (size_t)u->n * 4) &&
           rbuf_done(&r);
}

void fl_vote_commit_encode(const struct fl_vote_commit *c, struct wbuf *w)
{
    put_bytes(w, c->task, FL_TASK_ID_SIZE);
    put_u32(w, c->round);
    put_bytes(w, c->commitment, HASH_SIZE);
}

bool fl_vote_commit_decode(struct fl_vote_commit *c, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, c->task, FL_TASK_ID_SIZE) && get_u32(&r, &c->round) &&
           get_bytes(&r, c->commitment, HASH_SIZE) && rbuf_done(&r);
}

void fl_vote_reveal_encode(const struct fl_vote_reveal *rv, struct wbuf *w)
{
    put_bytes(w, rv->task, FL_TASK_ID_SIZE);
    put_u32(w, rv->round);
    put_u8(w, (uint8_t)rv->vote);
    put_i32(w, rv->metric);
    put_bytes(w, rv->salt, 32);
}

bool fl_vote_reveal_decode(struct fl_vote_reveal *rv, const uint8_t *p, size_t n)
{
    struct rbuf r;
    uint8_t vote;
    rbuf_init(&r, p, n);
    if (!get_bytes(&r, rv->task, FL_TASK_ID_SIZE) || !get_u32(&r, &rv->round) ||
        !get_u8(&r, &vote) || !get_i32(&r, &rv->metric) || !get_bytes(&r, rv->salt, 32) ||
        !rbuf_done(&r))
        return false;
    rv->vote = (int8_t)vote;
    return true;
}

/* The submit window must be long enough for every proposer's update to fit
 * in its blocks. */
static bool submit_window_fits(const struct fl_task_params *t, const struct chain_params *p,
                               uint64_t nparams)
{
    uint64_t per_block = fl_updates_per_block(p, nparams);
    uint64_t proposers = fl_max_proposers(t->max_participants, t->proposer_fraction_bps);
    if (per_block == 0)
        return false;
    return (proposers + per_block - 1) / per_block <= t->submit_blocks;
}

/* One event of the largest task fits the work of a height. */
_Static_assert(FL_EVENT_BASE_WORK + FL_MAX_PARTICIPANTS <= FL_MAX_HEIGHT_WORK,
               "an event of the largest task must fit one height");

bool fl_task_params_check(const struct fl_task_params *t, const struct chain_params *p,
                          struct validation *v)
{
    if (!fl_spec_valid(&t->spec))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_SPEC);
    if (t->rounds == 0 || t->rounds > FL_MAX_ROUNDS)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_ROUNDS);
    if (t->min_participants < FL_MIN_PARTICIPANTS || t->max_participants < t->min_participants ||
        t->max_participants > FL_MAX_PARTICIPANTS)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_PARTICIPANTS);
    uint64_t nparams = fl_param_count(&t->spec);
    if (fl_update_tx_size(nparams) > p->max_tx_size ||
        (unsigned __int128)t->rounds * nparams > FL_MAX_STORED_WEIGHTS ||
        (unsigned __int128)t->max_participants * nparams > FL_MAX_ROUND_WEIGHTS ||
        fl_aggregation_weights(t) > FL_MAX_HEIGHT_WEIGHTS)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_FL_MODEL_TOO_LARGE, "%llu parameters",
                         (unsigned long long)nparams);
    if (t->n_init != 0 && t->n_init != nparams)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_FL_SIZE, "%llu initial weights, expected %llu",
                         (unsigned long long)t->n_init, (unsigned long long)nparams);
    if (t->min_stake == 0 || !amount_valid(t->min_stake))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_STAKE);
    if (t->proposer_fraction_bps == 0 || t->proposer_fraction_bps >= 10000)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_FRACTION);
    if (t->join_blocks == 0 || t->submit_blocks == 0 || t->commit_blocks == 0 ||
        t->reveal_blocks == 0 || t->join_blocks > FL_MAX_WINDOW_BLOCKS ||
        t->submit_blocks > FL_MAX_WINDOW_BLOCKS || t->commit_blocks > FL_MAX_WINDOW_BLOCKS ||
        t->reveal_blocks > FL_MAX_WINDOW_BLOCKS || !submit_window_fits(t, p, nparams))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_WINDOW_LENGTH);
    if (t->aggregator > FL_AGG_TRIMMED_MEAN ||
        (t->aggregator == FL_AGG_TRIMMED_MEAN ? t->trim_k == 0 : t->trim_k != 0))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_AGGREGATOR);
    if (t->slash_bps > 10000)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_SLASH);
    if (t->voter_reward_bps > 10000)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_VOTER_REWARD);
    if (t->reward_pool == 0 || !amount_valid(t->reward_pool))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_POOL);
    for (uint64_t i = 1; i < t->n_allow; i++)
        if (memcmp(t->allow + (i - 1) * PUBKEY_SIZE, t->allow + i * PUBKEY_SIZE, PUBKEY_SIZE) >= 0)
            return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_ALLOWLIST);
    return true;
}

bool fl_task_create_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct fl_task_params t;
    if (!fl_task_create_decode(&t, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    return fl_task_params_check(&t, p, v);
}

bool fl_join_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct fl_join j;
    (void)p;
    if (!fl_join_decode(&j, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (j.stake == 0 || !amount_valid(j.stake))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_AMOUNT);
    return true;
}

bool fl_update_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct fl_update u;
    (void)p;
    if (!fl_update_decode(&u, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (u.round == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_ROUND);
    return true;
}

bool fl_vote_commit_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct fl_vote_commit c;
    (void)p;
    if (!fl_vote_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (c.round == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_ROUND);
    return true;
}

bool fl_vote_reveal_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct fl_vote_reveal r;
    (void)p;
    if (!fl_vote_reveal_decode(&r, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (r.round == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_ROUND);
    if (r.vote != 1 && r.vote != -1)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_VOTE);
    return true;
}
