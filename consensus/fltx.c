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

void fl_update_commit_encode(const struct fl_update_commit *c, struct wbuf *w)
{
    put_bytes(w, c->task, FL_TASK_ID_SIZE);
    put_u32(w, c->round);
    put_bytes(w, c->commitment, HASH_SIZE);
}

bool fl_update_commit_decode(struct fl_update_commit *c, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, c->task, FL_TASK_ID_SIZE) && get_u32(&r, &c->round) &&
           get_bytes(&r, c->commitment, HASH_SIZE) && rbuf_done(&r);
}

void fl_update_reveal_encode(const struct fl_update_reveal *u, struct wbuf *w)
{
    put_bytes(w, u->task, FL_TASK_ID_SIZE);
    put_u32(w, u->round);
    put_bytes(w, u->salt, 32);
    put_compact(w, u->n);
    put_bytes(w, u->weights, (size_t)u->n * 4);
}

bool fl_update_reveal_decode(struct fl_update_reveal *u, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, u->task, FL_TASK_ID_SIZE) && get_u32(&r, &u->round) &&
           get_bytes(&r, u->salt, 32) && get_compact(&r, &u->n, r.left / 4) &&
           get_view(&r, &u->weights, (size_t)u->n * 4) && rbuf_done(&r);
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
    put_bytes(w, rv->salt, 32);
    put_compact(w, rv->n);
    put_bytes(w, rv->verdicts, (size_t)rv->n * FL_VERDICT_SIZE);
}

bool fl_vote_reveal_decode(struct fl_vote_reveal *rv, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, rv->task, FL_TASK_ID_SIZE) && get_u32(&r, &rv->round) &&
           get_bytes(&r, rv->salt, 32) && get_compact(&r, &rv->n, r.left / FL_VERDICT_SIZE) &&
           get_view(&r, &rv->verdicts, (size_t)rv->n * FL_VERDICT_SIZE) && rbuf_done(&r);
}

/* The windows carry what must land in them, using half of each block's
 * bytes and units (the other half left to everyone else): every slot's
 * update commit in the submit window, every slot's update reveal of P
 * weights in the update reveal window, every participant's vote commit in
 * the commit window and its vote reveal of proposer_slots verdicts in the
 * reveal window.  Without it a task whose reveals cannot all be mined in
 * time slashes honest participants by arithmetic alone, or lets whoever
 * fills a few blocks do so. */
static bool windows_carry(const struct fl_task_params *t, const struct chain_params *p,
                          uint64_t nparams)
{
    const uint64_t k = t->proposer_slots, m = t->max_participants;
    return fl_window_carries(p, t->submit_blocks, TX_FL_UPDATE_COMMIT, k,
                             fl_update_commit_tx_size()) &&
           fl_window_carries(p, t->update_reveal_blocks, TX_FL_UPDATE_REVEAL, k,
                             fl_update_reveal_tx_size(nparams)) &&
           fl_window_carries(p, t->commit_blocks, TX_FL_VOTE_COMMIT, m,
                             fl_update_commit_tx_size()) &&
           fl_window_carries(p, t->reveal_blocks, TX_FL_VOTE_REVEAL, m,
                             fl_vote_reveal_tx_size(k));
}

/* A round's verdicts (slots x voters) stay within FL_MAX_TASK_VERDICTS for
 * every task the limits allow, so the slots rule below cannot refuse a task
 * for them today; it stays as the statement of the bound. */
_Static_assert((uint64_t)FL_MAX_SLOTS * FL_MAX_PARTICIPANTS <= FL_MAX_TASK_VERDICTS,
               "the verdicts of a round of the largest task must fit FL_MAX_TASK_VERDICTS");

/* One event of the largest task fits the work of a height. */
_Static_assert(FL_EVENT_BASE_WORK + FL_MAX_PARTICIPANTS <= FL_MAX_HEIGHT_WORK,
               "an event of the largest task must fit one height");

static bool window_ok(uint32_t blocks)
{
    return blocks >= 1 && blocks <= FL_MAX_WINDOW_BLOCKS;
}

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
    if (fl_update_reveal_tx_size(nparams) > p->max_tx_size ||
        (unsigned __int128)t->rounds * nparams > FL_MAX_STORED_WEIGHTS ||
        (unsigned __int128)t->max_participants * nparams > FL_MAX_ROUND_WEIGHTS ||
        fl_finalize_weights(t) > FL_MAX_HEIGHT_WEIGHTS)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_FL_MODEL_TOO_LARGE, "%llu parameters",
                         (unsigned long long)nparams);
    if (t->n_init != 0 && t->n_init != nparams)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_FL_SIZE, "%llu initial weights, expected %llu",
                         (unsigned long long)t->n_init, (unsigned long long)nparams);
    if (t->min_stake == 0 || !amount_valid(t->min_stake))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_STAKE);
    if (t->proposer_slots == 0 || t->proposer_slots > FL_MAX_SLOTS ||
        (uint32_t)t->proposer_slots * t->max_participants > FL_MAX_TASK_VERDICTS)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_SLOTS);
    if (!window_ok(t->join_blocks) || !window_ok(t->submit_blocks) ||
        !window_ok(t->update_reveal_blocks) || !window_ok(t->commit_blocks) ||
        !window_ok(t->reveal_blocks) || !windows_carry(t, p, nparams))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_WINDOW_LENGTH);
    if (t->aggregator > FL_AGG_TRIMMED_MEAN ||
        (t->aggregator == FL_AGG_TRIMMED_MEAN ? t->trim_k == 0 : t->trim_k != 0))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_AGGREGATOR);
    if (t->slash_bps > 10000)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_SLASH);
    if (t->voter_reward_bps > 10000)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_VOTER_REWARD);
    if (t->budget == 0 || !amount_valid(t->budget))
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

bool fl_update_commit_check(const struct tx *tx, const struct chain_params *p,
                            struct validation *v)
{
    struct fl_update_commit c;
    (void)p;
    if (!fl_update_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (c.round == 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FL_ROUND);
    return true;
}

bool fl_update_reveal_check(const struct tx *tx, const struct chain_params *p,
                            struct validation *v)
{
    struct fl_update_reveal u;
    (void)p;
    if (!fl_update_reveal_decode(&u, tx->payload, tx->payload_len))
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
    if (r.n > FL_MAX_SLOTS)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_FL_VOTE, "%llu verdicts",
                         (unsigned long long)r.n);
    for (uint64_t i = 0; i < r.n; i++) {
        int8_t verdict = fl_verdict_at(r.verdicts, (size_t)i);
        if (verdict != 1 && verdict != -1)
            return val_failf(v, VAL_CONSENSUS, REJECT_BAD_FL_VOTE, "verdict %llu",
                             (unsigned long long)i);
    }
    return true;
}
