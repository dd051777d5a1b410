/* FL Alliance transactions, state side: task creation, joining, update
 * commitments and reveals, vote commitments and reveals.  Each checks its rules against the state of
 * the block's height (ctx->hdr->height) in the order of doc/protocol.md
 * ("17. FL Alliance"), and fails with that section's reject reason. */
#include "consensus/amount.h"
#include "consensus/fltx.h"
#include "consensus/hash.h"
#include "consensus/params.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/fl.h"

#include <stdlib.h>
#include <string.h>

/* ---- FL_TASK_CREATE ---- */

bool fl_apply_task_create(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val)
{
    struct fl_task t;
    struct fl_status st;
    uint8_t id[FL_TASK_ID_SIZE], key[FL_KEY_TASK_SIZE];
    struct wbuf w;
    if (!fl_task_create_decode(&t.p, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    tx_txid(tx, id);
    if (fl_get_status(v, id, &st))
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_TASK_EXISTS);
    memcpy(t.creator, tx->sender, PUBKEY_SIZE);
    t.created_height = ctx->hdr->height;
    /* The start's work is reserved at the end of the join window: its base
     * here, one unit per participant by each join. */
    struct fl_height hd;
    if (!fl_get_height(v, fl_join_end(&t), &hd))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (!fl_height_room(&hd, fl_event_work_for(0), 0, 0))
        return val_failf(val, VAL_STATE, REJECT_BAD_FL_QUEUE_FULL, "height %llu",
                         (unsigned long long)fl_join_end(&t));
    /* The budget leaves the creator; β_fl of it is burned at once, the rest
     * is the task's budget_left. */
    const uint64_t burn = fl_burn(t.p.budget, ctx->params->fl_burn_bps);
    if (!accounts_debit(v, tx->sender, t.p.budget, val) || !arena_burn_supply(v, burn, val))
        return false;
    memset(&st, 0, sizeof(st));
    st.state = FL_TASK_OPEN;
    st.budget = t.p.budget;
    st.burn = burn;
    st.budget_left = t.p.budget - burn;
    if (t.p.n_init)
        fl_model_hash(st.model_hash, t.p.init, (size_t)t.p.n_init);
    else
        fl_zero_model_hash(st.model_hash, fl_param_count(&t.p.spec));
    wbuf_init(&w);
    fl_task_encode(&t, &w);
    fl_key_task(key, 'T', id);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    if (t.p.n_init) {
        uint8_t mkey[FL_KEY_ROUND_SIZE];
        fl_key_round(mkey, 'M', id, 0);
        view_put(v, mkey, sizeof(mkey), t.p.init, (size_t)t.p.n_init * 4);
    }
    fl_put_status(v, id, &st);
    if (!fl_schedule_event(v, fl_join_end(&t), id, FL_EV_START, fl_event_work_for(0), 0, 0) ||
        view_failed(v))
        return val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    return true;
}

/* ---- FL_JOIN ---- */

/* Inserts pub into the sorted participant list (it is not there). */
static bool list_insert(struct view *v, const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE])
{
    uint8_t key[FL_KEY_TASK_SIZE], *keys;
    size_t n, pos = 0;
    struct wbuf w;
    if (!fl_get_participants(v, task, &keys, &n))
        return false;
    while (pos < n && memcmp(keys + pos * PUBKEY_SIZE, pub, PUBKEY_SIZE) < 0)
        pos++;
    wbuf_init(&w);
    put_compact(&w, n + 1);
    put_bytes(&w, keys, pos * PUBKEY_SIZE);
    put_bytes(&w, pub, PUBKEY_SIZE);
    if (pos < n) /* keys is NULL for an empty list: no pointer arithmetic on it */
        put_bytes(&w, keys + pos * PUBKEY_SIZE, (n - pos) * PUBKEY_SIZE);
    free(keys);
    fl_key_task(key, 'L', task);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    return !view_failed(v);
}

bool fl_apply_join(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                   struct validation *val)
{
    const uint64_t h = ctx->hdr->height;
    struct fl_join j;
    struct fl_task t;
    struct fl_status st;
    struct fl_participant p;
    if (!fl_join_decode(&j, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!fl_get_task(v, j.task, &t) || !fl_get_status(v, j.task, &st))
        return view_failed(v) ? val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(val, VAL_STATE, REJECT_BAD_FL_TASK);
    if (st.state != FL_TASK_OPEN || h <= t.created_height || h > fl_join_end(&t))
        return val_failf(val, VAL_STATE, REJECT_BAD_FL_WINDOW, "joins at heights %llu..%llu",
                         (unsigned long long)t.created_height + 1,
                         (unsigned long long)fl_join_end(&t));
    if (!fl_task_allows(&t.p, tx->sender))
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_NOT_ALLOWED);
    if (fl_get_participant(v, j.task, tx->sender, &p))
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_DUPLICATE);
    if (st.n_participants >= t.p.max_participants)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_FULL);
    if (j.stake < t.p.min_stake)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_STAKE_TOO_LOW);
    /* The start walks one more participant. */
    if (!fl_reserve_work(v, fl_join_end(&t), 1))
        return view_failed(v) ? val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_failf(val, VAL_STATE, REJECT_BAD_FL_QUEUE_FULL, "height %llu",
                                          (unsigned long long)fl_join_end(&t));
    if (!accounts_debit(v, tx->sender, j.stake, val))
        return false;
    if (!list_insert(v, j.task, tx->sender))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    memset(&p, 0, sizeof(p));
    p.status = FL_PART_ACTIVE;
    p.stake = j.stake;
    p.joined_height = h;
    fl_put_participant(v, j.task, tx->sender, &p);
    st.n_participants++;
    st.n_active++;
    fl_put_status(v, j.task, &st);
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool fl_join_claim(struct view *v, const struct tx *tx, struct fl_join_claim *c)
{
    struct fl_join j;
    struct fl_task t;
    struct fl_status st;
    struct fl_height h;
    if (tx->type != TX_FL_JOIN || !fl_join_decode(&j, tx->payload, tx->payload_len) ||
        !fl_get_task(v, j.task, &t) || !fl_get_status(v, j.task, &st) ||
        st.state != FL_TASK_OPEN || !fl_get_height(v, fl_join_end(&t), &h))
        return false;
    memcpy(c->task, j.task, FL_TASK_ID_SIZE);
    c->height = fl_join_end(&t);
    c->seats_left = st.n_participants < t.p.max_participants
                        ? (uint32_t)(t.p.max_participants - st.n_participants)
                        : 0;
    c->room = FL_MAX_HEIGHT_WORK - h.work;
    return c->height != 0;
}

uint64_t fl_tx_expiry(struct view *v, const struct tx *tx)
{
    struct fl_task t;
    struct fl_status st;
    struct fl_round rd;
    struct fl_windows win;
    uint8_t task[FL_TASK_ID_SIZE];
    uint32_t round;
    union {
        struct fl_join j;
        struct fl_update_commit uc;
        struct fl_update_reveal ur;
        struct fl_vote_commit c;
        struct fl_vote_reveal r;
    } p;
    switch (tx->type) {
    case TX_FL_JOIN:
        if (!fl_join_decode(&p.j, tx->payload, tx->payload_len) || !fl_get_task(v, p.j.task, &t))
            return 0;
        return fl_join_end(&t);
    case TX_FL_UPDATE_COMMIT:
        if (!fl_update_commit_decode(&p.uc, tx->payload, tx->payload_len))
            return 0;
        memcpy(task, p.uc.task, FL_TASK_ID_SIZE);
        round = p.uc.round;
        break;
    case TX_FL_UPDATE_REVEAL:
        if (!fl_update_reveal_decode(&p.ur, tx->payload, tx->payload_len))
            return 0;
        memcpy(task, p.ur.task, FL_TASK_ID_SIZE);
        round = p.ur.round;
        break;
    case TX_FL_VOTE_COMMIT:
        if (!fl_vote_commit_decode(&p.c, tx->payload, tx->payload_len))
            return 0;
        memcpy(task, p.c.task, FL_TASK_ID_SIZE);
        round = p.c.round;
        break;
    case TX_FL_VOTE_REVEAL:
        if (!fl_vote_reveal_decode(&p.r, tx->payload, tx->payload_len))
            return 0;
        memcpy(task, p.r.task, FL_TASK_ID_SIZE);
        round = p.r.round;
        break;
    default:
        return 0;
    }
    if (!fl_get_task(v, task, &t) || !fl_get_status(v, task, &st) || st.round != round ||
        !fl_get_round(v, task, round, &rd))
        return 0;
    fl_round_windows(&t.p, rd.start, &win);
    switch (tx->type) {
    case TX_FL_UPDATE_COMMIT: return win.submit_end;
    case TX_FL_UPDATE_REVEAL: return win.update_reveal_end;
    case TX_FL_VOTE_COMMIT: return win.commit_end;
    default: return win.reveal_end;
    }
}

/* ---- the round transactions ---- */

enum fl_window { WINDOW_SUBMIT, WINDOW_UPDATE_REVEAL, WINDOW_COMMIT, WINDOW_REVEAL };

/* The common checks of a round transaction: the task is running this round
 * (bad-fl-task, bad-fl-round), the block is in the window (bad-fl-window)
 * and the sender has an entry in the round with the role (bad-fl-role; role
 * 0: any role, as for the votes, which every participant of the round
 * casts).  Loads the round and the sender's entry. */
static bool round_tx(struct view *v, const struct block_ctx *ctx, const struct tx *tx,
                     const uint8_t task[FL_TASK_ID_SIZE], uint32_t round, enum fl_window which,
                     uint8_t role, struct fl_task *t, struct fl_round *rd, struct fl_entry *e,
                     struct validation *val)
{
    const uint64_t h = ctx->hdr->height;
    struct fl_status st;
    struct fl_windows win;
    if (!fl_get_task(v, task, t) || !fl_get_status(v, task, &st))
        return view_failed(v) ? val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(val, VAL_STATE, REJECT_BAD_FL_TASK);
    if (st.state != FL_TASK_RUNNING || round != st.round)
        return val_failf(val, VAL_STATE, REJECT_BAD_FL_ROUND, "the task is %s, round %u",
                         fl_task_state_name(st.state), st.round);
    if (!fl_get_round(v, task, round, rd))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    fl_round_windows(&t->p, rd->start, &win);
    uint64_t from, to;
    switch (which) {
    case WINDOW_SUBMIT: from = win.submit_start, to = win.submit_end; break;
    case WINDOW_UPDATE_REVEAL: from = win.update_reveal_start, to = win.update_reveal_end; break;
    case WINDOW_COMMIT: from = win.commit_start, to = win.commit_end; break;
    default: from = win.reveal_start, to = win.reveal_end; break;
    }
    if (h < from || h > to)
        return val_failf(val, VAL_STATE, REJECT_BAD_FL_WINDOW, "window %llu..%llu",
                         (unsigned long long)from, (unsigned long long)to);
    if (!fl_get_entry(v, task, round, tx->sender, e) || (role != 0 && e->role != role))
        return view_failed(v) ? val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(val, VAL_STATE, REJECT_BAD_FL_ROLE);
    return true;
}

/* A proposer (slots > 0) commits to its update once, in the submit window. */
bool fl_apply_update_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val)
{
    struct fl_update_commit c;
    struct fl_task t;
    struct fl_round rd;
    struct fl_entry e;
    if (!fl_update_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!round_tx(v, ctx, tx, c.task, c.round, WINDOW_SUBMIT, FL_ROLE_PROPOSER, &t, &rd, &e, val))
        return false;
    if (e.flags & FL_ENTRY_COMMITTED)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_DUPLICATE);
    e.flags |= FL_ENTRY_COMMITTED;
    memcpy(e.commitment, c.commitment, HASH_SIZE);
    fl_put_entry(v, c.task, c.round, tx->sender, &e);
    rd.n_update_commits++;
    fl_put_round(v, c.task, c.round, &rd);
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

/* The update behind the commitment, in the update reveal window: P weights
 * whose commitment (bound to the sender's key) matches. */
bool fl_apply_update_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val)
{
    struct fl_update_reveal u;
    struct fl_task t;
    struct fl_round rd;
    struct fl_entry e;
    uint8_t model[HASH_SIZE], expect[HASH_SIZE];
    if (!fl_update_reveal_decode(&u, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!round_tx(v, ctx, tx, u.task, u.round, WINDOW_UPDATE_REVEAL, FL_ROLE_PROPOSER, &t, &rd,
                  &e, val))
        return false;
    if (!(e.flags & FL_ENTRY_COMMITTED))
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_NO_COMMIT);
    if (e.flags & FL_ENTRY_REVEALED)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_DUPLICATE);
    uint64_t nparams = fl_param_count(&t.p.spec);
    if (u.n != nparams)
        return val_failf(val, VAL_STATE, REJECT_BAD_FL_SIZE, "%llu weights, the model has %llu",
                         (unsigned long long)u.n, (unsigned long long)nparams);
    fl_model_hash(model, u.weights, (size_t)u.n);
    fl_update_commitment(expect, u.task, u.round, tx->sender, model, u.salt);
    if (memcmp(expect, e.commitment, HASH_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_REVEAL_MISMATCH);
    uint8_t key[FL_KEY_ENTRY_SIZE];
    fl_key_entry(key, 'U', u.task, u.round, tx->sender);
    view_put(v, key, sizeof(key), u.weights, (size_t)u.n * 4);
    e.flags |= FL_ENTRY_REVEALED;
    e.size = (uint32_t)u.n;
    memcpy(e.model_hash, model, HASH_SIZE);
    fl_put_entry(v, u.task, u.round, tx->sender, &e);
    rd.n_update_reveals++;
    fl_put_round(v, u.task, u.round, &rd);
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

/* Every participant of the round (proposers too) commits to its verdicts
 * once, in the commit window. */
bool fl_apply_vote_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val)
{
    struct fl_vote_commit c;
    struct fl_task t;
    struct fl_round rd;
    struct fl_entry e;
    if (!fl_vote_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!round_tx(v, ctx, tx, c.task, c.round, WINDOW_COMMIT, 0, &t, &rd, &e, val))
        return false;
    if (e.vote_flags & FL_VOTE_COMMITTED)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_DUPLICATE);
    e.vote_flags |= FL_VOTE_COMMITTED;
    memcpy(e.vote_commitment, c.commitment, HASH_SIZE);
    fl_put_entry(v, c.task, c.round, tx->sender, &e);
    rd.n_vote_commits++;
    fl_put_round(v, c.task, c.round, &rd);
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

/* One verdict per revealed update (n == the round's update reveals, the
 * t-th for the t-th revealed proposer in key order; a proposer's verdict on
 * its own update is -1 or +1 like the others and not counted), matching the
 * sender's vote commitment. */
bool fl_apply_vote_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val)
{
    struct fl_vote_reveal rv;
    struct fl_task t;
    struct fl_round rd;
    struct fl_entry e;
    uint8_t expect[HASH_SIZE];
    if (!fl_vote_reveal_decode(&rv, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!round_tx(v, ctx, tx, rv.task, rv.round, WINDOW_REVEAL, 0, &t, &rd, &e, val))
        return false;
    if (!(e.vote_flags & FL_VOTE_COMMITTED))
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_NO_COMMIT);
    if (e.vote_flags & FL_VOTE_REVEALED)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_DUPLICATE);
    if (rv.n != rd.n_update_reveals)
        return val_failf(val, VAL_STATE, REJECT_BAD_FL_VOTE, "%llu verdicts for %u updates",
                         (unsigned long long)rv.n, rd.n_update_reveals);
    fl_vote_commitment(expect, rv.task, rv.round, tx->sender, rv.n, rv.verdicts, rv.salt);
    if (memcmp(expect, e.vote_commitment, HASH_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_BAD_FL_REVEAL_MISMATCH);
    uint8_t key[FL_KEY_ENTRY_SIZE];
    fl_key_entry(key, 'V', rv.task, rv.round, tx->sender);
    if (rv.n) /* no update revealed: nothing to keep */
        view_put(v, key, sizeof(key), rv.verdicts, (size_t)rv.n * 5);
    e.vote_flags |= FL_VOTE_REVEALED;
    e.verdicts = (uint16_t)rv.n;
    fl_put_entry(v, rv.task, rv.round, tx->sender, &e);
    rd.n_vote_reveals++;
    /* Stakes are bounded by the supply: the sum cannot overflow. */
    rd.voting_stake += e.stake;
    fl_put_round(v, rv.task, rv.round, &rd);
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}
