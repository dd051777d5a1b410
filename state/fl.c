/* FL Alliance state: record accessors and the round transitions run at the
 * end of a block (see fl.h).  Rules in doc/protocol.md, "17. FL Alliance".
 *
 * Every loop over participants walks the sorted participant list, and every
 * amount is integer with the rounding of consensus/fl.h: nothing here may
 * depend on anything but the state and the block height. */
#include "state/fl.h"
#include "consensus/amount.h"
#include "consensus/staking.h"
#include "state/accounts.h"

#include <stdlib.h>
#include <string.h>

/* ---- records ---- */

static void put_record(struct view *v, const uint8_t *key, size_t klen, struct wbuf *w)
{
    view_put_wbuf(v, key, klen, w);
    wbuf_free(w);
}

bool fl_get_task(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], struct fl_task *out)
{
    uint8_t key[FL_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    fl_key_task(key, 'T', task);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!fl_task_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

bool fl_get_status(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], struct fl_status *out)
{
    uint8_t key[FL_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    fl_key_task(key, 'S', task);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!fl_status_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void fl_put_status(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], const struct fl_status *s)
{
    uint8_t key[FL_KEY_TASK_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    fl_key_task(key, 'S', task);
    fl_status_encode(s, &w);
    put_record(v, key, sizeof(key), &w);
}

bool fl_get_participant(struct view *v, const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE], struct fl_participant *out)
{
    uint8_t key[FL_KEY_PART_SIZE];
    const uint8_t *val;
    size_t len;
    fl_key_participant(key, task, pub);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!fl_participant_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void fl_put_participant(struct view *v, const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE], const struct fl_participant *p)
{
    uint8_t key[FL_KEY_PART_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    fl_key_participant(key, task, pub);
    fl_participant_encode(p, &w);
    put_record(v, key, sizeof(key), &w);
}

bool fl_get_round(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  struct fl_round *out)
{
    uint8_t key[FL_KEY_ROUND_SIZE];
    const uint8_t *val;
    size_t len;
    fl_key_round(key, 'R', task, round);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!fl_round_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void fl_put_round(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  const struct fl_round *r)
{
    uint8_t key[FL_KEY_ROUND_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    fl_key_round(key, 'R', task, round);
    fl_round_encode(r, &w);
    put_record(v, key, sizeof(key), &w);
}

bool fl_get_entry(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  const uint8_t pub[PUBKEY_SIZE], struct fl_entry *out)
{
    uint8_t key[FL_KEY_ENTRY_SIZE];
    const uint8_t *val;
    size_t len;
    fl_key_entry(key, 'E', task, round, pub);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!fl_entry_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void fl_put_entry(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  const uint8_t pub[PUBKEY_SIZE], const struct fl_entry *e)
{
    uint8_t key[FL_KEY_ENTRY_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    fl_key_entry(key, 'E', task, round, pub);
    fl_entry_encode(e, &w);
    put_record(v, key, sizeof(key), &w);
}

bool fl_get_participants(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint8_t **keys,
                         size_t *n)
{
    uint8_t key[FL_KEY_TASK_SIZE];
    const uint8_t *val, *list;
    size_t len;
    *keys = NULL;
    *n = 0;
    fl_key_task(key, 'L', task);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!fl_list_decode(&list, n, val, len)) {
        view_set_failed(v);
        return false;
    }
    if (*n == 0)
        return true;
    *keys = malloc(*n * PUBKEY_SIZE);
    if (!*keys) {
        view_set_failed(v);
        return false;
    }
    memcpy(*keys, list, *n * PUBKEY_SIZE);
    return true;
}

bool fl_get_weights(struct view *v, char kind, const uint8_t task[FL_TASK_ID_SIZE],
                    uint32_t round, const uint8_t **w, size_t *n)
{
    uint8_t key[FL_KEY_ROUND_SIZE];
    size_t len;
    fl_key_round(key, kind, task, round);
    if (!view_get(v, key, sizeof(key), w, &len))
        return false;
    if (len % 4) {
        view_set_failed(v);
        return false;
    }
    *n = len / 4;
    return true;
}

bool fl_get_height(struct view *v, uint64_t height, struct fl_height *out)
{
    uint8_t key[FL_KEY_QUEUE_SIZE];
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    fl_key_queue(key, height);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!fl_height_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void put_height(struct view *v, uint64_t height, const struct fl_height *h)
{
    uint8_t key[FL_KEY_QUEUE_SIZE];
    struct wbuf w;
    fl_key_queue(key, height);
    if (h->events == 0 && h->work == 0 && h->weights == 0) {
        /* Nothing left there (a void round gave its finalization back). */
        view_del(v, key, sizeof(key));
        return;
    }
    wbuf_init(&w);
    fl_height_encode(h, &w);
    put_record(v, key, sizeof(key), &w);
}

/* Appends the event under the height's next sequence number. */
static bool queue_event(struct view *v, uint64_t height, struct fl_height *h,
                        const uint8_t task[FL_TASK_ID_SIZE], uint8_t event)
{
    uint8_t key[FL_KEY_EVENT_SIZE];
    struct fl_event_entry e;
    struct wbuf w;
    if (h->events == UINT32_MAX) {
        view_set_failed(v);
        return false;
    }
    memcpy(e.task, task, FL_TASK_ID_SIZE);
    e.event = event;
    wbuf_init(&w);
    fl_event_encode(&e, &w);
    fl_key_event(key, height, h->events++);
    put_record(v, key, sizeof(key), &w);
    return !view_failed(v);
}

bool fl_schedule_event(struct view *v, uint64_t height, const uint8_t task[FL_TASK_ID_SIZE],
                       uint8_t event, uint32_t work, uint64_t weights)
{
    struct fl_height h;
    if (!fl_get_height(v, height, &h) || !fl_height_room(&h, work, weights))
        return false;
    h.work += work;
    h.weights += weights;
    if (!queue_event(v, height, &h, task, event))
        return false;
    put_height(v, height, &h);
    return !view_failed(v);
}

bool fl_reserve_work(struct view *v, uint64_t height, uint32_t work)
{
    struct fl_height h;
    if (!fl_get_height(v, height, &h) || !fl_height_room(&h, work, 0))
        return false;
    h.work += work;
    put_height(v, height, &h);
    return !view_failed(v);
}

/* An event whose work was reserved when its round was drawn. */
static bool queue_reserved(struct view *v, uint64_t height, const uint8_t task[FL_TASK_ID_SIZE],
                           uint8_t event)
{
    struct fl_height h;
    if (!fl_get_height(v, height, &h) || !queue_event(v, height, &h, task, event))
        return false;
    put_height(v, height, &h);
    return !view_failed(v);
}

/* ---- transitions ---- */

/* What a transition works on: the task, its status and participant list. */
struct task_ctx {
    struct view *v;
    struct validation *val;
    uint64_t height;
    const uint8_t *id;
    struct fl_task t;
    struct fl_status st;
    uint8_t *keys;
    size_t n;
};

static bool read_error(struct task_ctx *tc)
{
    return val_fail(tc->val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

static bool credit(struct task_ctx *tc, const uint8_t pub[PUBKEY_SIZE], uint64_t amount)
{
    return amount == 0 || accounts_credit(tc->v, pub, amount, tc->val);
}

/* Gives every active participant its stake back and the creator the pool. */
static bool end_task(struct task_ctx *tc, uint8_t state)
{
    for (size_t i = 0; i < tc->n; i++) {
        const uint8_t *pub = tc->keys + i * PUBKEY_SIZE;
        struct fl_participant p;
        if (!fl_get_participant(tc->v, tc->id, pub, &p))
            return read_error(tc);
        if (p.status != FL_PART_ACTIVE)
            continue;
        if (!credit(tc, pub, p.stake))
            return false;
        p.returned += p.stake;
        p.stake = 0;
        p.status = FL_PART_EXITED;
        fl_put_participant(tc->v, tc->id, pub, &p);
    }
    if (!credit(tc, tc->t.creator, tc->st.pool))
        return false;
    tc->st.returned += tc->st.pool;
    tc->st.pool = 0;
    tc->st.n_active = 0;
    tc->st.state = state;
    tc->st.end_height = tc->height;
    return true;
}

/* The first height s in h + 1 .. h + FL_MAX_ROUND_DELAY where a round
 * starting at s has room for its aggregation (at its submit end: its work
 * and the proposers' updates) and its finalization (at its reveal end: its
 * work and the candidate); both are reserved there and the aggregation
 * queued.  0 when no height has room (or on a read error:
 * check view_failed()). */
static uint64_t reserve_round(struct task_ctx *tc, uint32_t active)
{
    /* The events walk the participant list (final once the task runs) and
     * the aggregation reads at most the updates of the proposers drawn
     * among the `active` participants: that is what is reserved. */
    const uint32_t work = fl_event_work_for(tc->n);
    const uint64_t weights = fl_round_weights(&tc->t.p, active);
    /* The finalization reads the candidate, writes it as the model and
     * deletes it: P weights at the reveal end. */
    const uint64_t cand = fl_param_count(&tc->t.p.spec);
    for (uint64_t s = tc->height + 1; s <= tc->height + FL_MAX_ROUND_DELAY; s++) {
        struct fl_windows win;
        struct fl_height fin;
        fl_round_windows(&tc->t.p, s, &win);
        if (!fl_get_height(tc->v, win.reveal_end, &fin))
            return 0;
        if (!fl_height_room(&fin, work, cand))
            continue;
        if (!fl_schedule_event(tc->v, win.submit_end, tc->id, FL_EV_AGGREGATE, work, weights)) {
            if (view_failed(tc->v))
                return 0;
            continue;
        }
        fin.work += work;
        fin.weights += cand;
        put_height(tc->v, win.reveal_end, &fin);
        return s;
    }
    return 0;
}

/* Round r starts at the first height with room for its events (see
 * reserve_round): roles drawn over the active participants in key order with
 * the mix as it stands.  With no room the task completes. */
static bool begin_round(struct task_ctx *tc, uint32_t r)
{
    const uint8_t *mix;
    size_t mix_len, m = 0;
    uint32_t *idx = calloc(tc->n ? tc->n : 1, sizeof(*idx));
    uint32_t *order = calloc(tc->n ? tc->n : 1, sizeof(*order));
    bool ok = false;
    if (!idx || !order)
        goto done;
    /* The active participants first: the round reserves what they cost. */
    for (size_t i = 0; i < tc->n; i++) {
        struct fl_participant p;
        if (!fl_get_participant(tc->v, tc->id, tc->keys + i * PUBKEY_SIZE, &p)) {
            read_error(tc);
            goto done;
        }
        if (p.status == FL_PART_ACTIVE)
            idx[m++] = (uint32_t)i;
    }
    uint64_t start = reserve_round(tc, (uint32_t)m);
    if (view_failed(tc->v)) {
        read_error(tc);
        goto done;
    }
    if (start == 0) {
        ok = end_task(tc, r == 1 ? FL_TASK_CANCELLED : FL_TASK_COMPLETED);
        goto done;
    }
    if (!view_get(tc->v, MIX_KEY, strlen(MIX_KEY), &mix, &mix_len) || mix_len != HASH_SIZE) {
        read_error(tc);
        goto done;
    }
    uint8_t seed_mix[HASH_SIZE];
    memcpy(seed_mix, mix, HASH_SIZE);
    fl_draw_roles(order, (uint32_t)m, tc->id, r, seed_mix);
    uint32_t proposers = fl_proposer_count((uint32_t)m, tc->t.p.proposer_fraction_bps);
    for (size_t k = 0; k < m; k++) {
        const uint8_t *pub = tc->keys + (size_t)idx[order[k]] * PUBKEY_SIZE;
        struct fl_participant p;
        struct fl_entry e;
        if (!fl_get_participant(tc->v, tc->id, pub, &p)) {
            read_error(tc);
            goto done;
        }
        memset(&e, 0, sizeof(e));
        e.role = k < proposers ? FL_ROLE_PROPOSER : FL_ROLE_VOTER;
        e.stake = p.stake;
        if (e.role == FL_ROLE_PROPOSER)
            p.rounds_proposer++;
        else
            p.rounds_voter++;
        fl_put_participant(tc->v, tc->id, pub, &p);
        fl_put_entry(tc->v, tc->id, r, pub, &e);
    }
    struct fl_round rd;
    memset(&rd, 0, sizeof(rd));
    rd.start = start;
    rd.n_proposers = (uint16_t)proposers;
    rd.n_voters = (uint16_t)(m - proposers);
    rd.model_round = tc->st.model_round;
    fl_put_round(tc->v, tc->id, r, &rd);
    tc->st.round = r;
    tc->st.round_start = rd.start;
    ok = true;
done:
    if (!idx || !order)
        val_fail(tc->val, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    free(idx);
    free(order);
    return ok;
}

/* After round rd: the next one, or the end of the task after the last
 * round, when fewer than two participants remain, or after a second quiet
 * round in a row (fl_round_quiet: void, or too few updates and reveals for
 * the participants drawn), so nobody keeps a task's rounds, and the work
 * they reserve, running without the transactions of a round at least every
 * other round. */
static bool end_round(struct task_ctx *tc, const struct fl_round *rd)
{
    const uint32_t r = tc->st.round;
    if (r >= tc->t.p.rounds || tc->st.n_active < 2)
        return end_task(tc, FL_TASK_COMPLETED);
    if (fl_round_quiet(rd) && r >= 2) {
        struct fl_round prev;
        if (!fl_get_round(tc->v, tc->id, r - 1, &prev))
            return read_error(tc);
        if (fl_round_quiet(&prev))
            return end_task(tc, FL_TASK_COMPLETED);
    }
    return begin_round(tc, r + 1);
}

static bool ev_start(struct task_ctx *tc)
{
    if (tc->st.state != FL_TASK_OPEN)
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_BAD_EVENT);
    if (tc->st.n_participants < tc->t.p.min_participants)
        return end_task(tc, FL_TASK_CANCELLED);
    tc->st.state = FL_TASK_RUNNING;
    return begin_round(tc, 1);
}

/* Takes floor(stake x slash_bps / 10000) of a participant's task stake into
 * the pool and removes it (returning the rest) when it falls below
 * min_stake. */
static bool slash(struct task_ctx *tc, const uint8_t pub[PUBKEY_SIZE], struct fl_participant *p,
                  struct fl_entry *e, struct fl_round *rd)
{
    uint64_t cut = fl_bps(p->stake, tc->t.p.slash_bps);
    p->stake -= cut;
    p->slashed += cut;
    e->slash = cut;
    if (!amount_add(&tc->st.pool, cut) || !amount_add(&tc->st.slashed, cut) ||
        !amount_add(&rd->slashed, cut))
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_POOL_OVERFLOW);
    if (p->stake >= tc->t.p.min_stake)
        return true;
    if (!credit(tc, pub, p->stake))
        return false;
    p->returned += p->stake;
    p->stake = 0;
    p->status = FL_PART_REMOVED;
    e->flags |= FL_ENTRY_REMOVED;
    tc->st.n_active--;
    return true;
}

/* Gives back the work and weights reserved for the finalization of round rd
 * (fl_event_work_for(tc->n): the list does not change once the task runs,
 * and P). */
static bool release_finalize(struct task_ctx *tc, const struct fl_round *rd)
{
    struct fl_windows win;
    struct fl_height h;
    const uint32_t work = fl_event_work_for(tc->n);
    const uint64_t cand = fl_param_count(&tc->t.p.spec);
    fl_round_windows(&tc->t.p, rd->start, &win);
    if (!fl_get_height(tc->v, win.reveal_end, &h))
        return read_error(tc);
    /* Never below zero (what was reserved is never less: this only keeps a
     * miscount from failing a block). */
    h.work -= h.work < work ? h.work : work;
    h.weights -= h.weights < cand ? h.weights : cand;
    put_height(tc->v, win.reveal_end, &h);
    return !view_failed(tc->v) || read_error(tc);
}

/* End of the submit window: the candidate from the submitted updates, or a
 * void round when there is none. */
static bool ev_aggregate(struct task_ctx *tc)
{
    const uint32_t r = tc->st.round;
    struct fl_round rd;
    struct fl_update_ref *refs = calloc(tc->n ? tc->n : 1, sizeof(*refs));
    uint8_t *cand = NULL;
    size_t k = 0;
    bool ok = false;
    if (!refs)
        return val_fail(tc->val, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    if (tc->st.state != FL_TASK_RUNNING || !fl_get_round(tc->v, tc->id, r, &rd)) {
        read_error(tc);
        goto done;
    }
    const size_t nparams = (size_t)fl_param_count(&tc->t.p.spec);
    for (size_t i = 0; i < tc->n; i++) {
        const uint8_t *pub = tc->keys + i * PUBKEY_SIZE;
        struct fl_entry e;
        size_t len;
        if (!fl_get_entry(tc->v, tc->id, r, pub, &e)) {
            if (view_failed(tc->v)) {
                read_error(tc);
                goto done;
            }
            continue;
        }
        if (e.role != FL_ROLE_PROPOSER || !(e.flags & FL_ENTRY_SUBMITTED))
            continue;
        uint8_t key[FL_KEY_ENTRY_SIZE];
        fl_key_entry(key, 'U', tc->id, r, pub);
        if (!view_get(tc->v, key, sizeof(key), &refs[k].weights, &len) || len != 4 * nparams) {
            read_error(tc);
            goto done;
        }
        refs[k++].stake = e.stake;
    }
    if (k == 0) {
        /* Void: nobody to vote on.  Every proposer missed its submission. */
        rd.outcome = FL_OUTCOME_VOID_NO_UPDATES;
        for (size_t i = 0; i < tc->n; i++) {
            const uint8_t *pub = tc->keys + i * PUBKEY_SIZE;
            struct fl_entry e;
            struct fl_participant p;
            if (!fl_get_entry(tc->v, tc->id, r, pub, &e) || e.role != FL_ROLE_PROPOSER)
                continue;
            if (!fl_get_participant(tc->v, tc->id, pub, &p)) {
                read_error(tc);
                goto done;
            }
            if (!slash(tc, pub, &p, &e, &rd))
                goto done;
            fl_put_participant(tc->v, tc->id, pub, &p);
            fl_put_entry(tc->v, tc->id, r, pub, &e);
        }
        rd.end_height = tc->height;
        fl_put_round(tc->v, tc->id, r, &rd);
        /* No finalization: its work at the reveal end goes back. */
        if (!release_finalize(tc, &rd))
            goto done;
        ok = end_round(tc, &rd);
        goto done;
    }
    cand = malloc(nparams ? 4 * nparams : 1);
    if (!cand || !fl_aggregate(tc->t.p.aggregator, tc->t.p.trim_k, refs, k, nparams, cand)) {
        val_fail(tc->val, VAL_ERROR, REJECT_FL_AGGREGATE_FAILED);
        goto done;
    }
    rd.has_candidate = true;
    fl_model_hash(rd.candidate_hash, cand, nparams);
    fl_put_round(tc->v, tc->id, r, &rd);
    uint8_t ckey[FL_KEY_ROUND_SIZE];
    fl_key_round(ckey, 'C', tc->id, r);
    view_put(tc->v, ckey, sizeof(ckey), cand, 4 * nparams);
    /* The updates are no longer needed: their hashes and sizes stay in the
     * entries. */
    for (size_t i = 0; i < tc->n; i++) {
        uint8_t key[FL_KEY_ENTRY_SIZE];
        struct fl_entry e;
        const uint8_t *pub = tc->keys + i * PUBKEY_SIZE;
        if (fl_get_entry(tc->v, tc->id, r, pub, &e) && (e.flags & FL_ENTRY_SUBMITTED)) {
            fl_key_entry(key, 'U', tc->id, r, pub);
            view_del(tc->v, key, sizeof(key));
        }
    }
    struct fl_windows win;
    fl_round_windows(&tc->t.p, rd.start, &win);
    ok = queue_reserved(tc->v, win.reveal_end, tc->id, FL_EV_FINALIZE) ||
         val_fail(tc->val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
done:
    free(refs);
    free(cand);
    return ok;
}

/* End of the reveal window: the outcome from the revealed votes, rewards
 * from the pool, slashes into it, and the global model. */
static bool ev_finalize(struct task_ctx *tc)
{
    const uint32_t r = tc->st.round;
    const struct fl_task_params *tp = &tc->t.p;
    struct fl_round rd;
    uint64_t submitted = 0;
    if (tc->st.state != FL_TASK_RUNNING || !fl_get_round(tc->v, tc->id, r, &rd))
        return read_error(tc);
    for (size_t i = 0; i < tc->n; i++) {
        struct fl_entry e;
        if (fl_get_entry(tc->v, tc->id, r, tc->keys + i * PUBKEY_SIZE, &e) &&
            e.role == FL_ROLE_PROPOSER && (e.flags & FL_ENTRY_SUBMITTED) &&
            !amount_add(&submitted, e.stake))
            return val_fail(tc->val, VAL_ERROR, REJECT_FL_STAKE_OVERFLOW);
    }
    if (view_failed(tc->v))
        return read_error(tc);

    if (rd.n_reveals == 0)
        rd.outcome = FL_OUTCOME_VOID_NO_VOTES;
    else
        rd.outcome = rd.stake_for >= rd.stake_against ? FL_OUTCOME_ACCEPTED : FL_OUTCOME_REJECTED;
    const bool accepted = rd.outcome == FL_OUTCOME_ACCEPTED;
    if (rd.outcome != FL_OUTCOME_VOID_NO_VOTES) {
        rd.reward = fl_round_reward(tc->st.pool, tp->rounds - r + 1);
        rd.voter_part = fl_bps(rd.reward, tp->voter_reward_bps);
    }
    const uint64_t proposer_part = rd.reward - rd.voter_part;
    /* Voters on the side of the outcome share the voter part. */
    const int8_t winning_vote = accepted ? 1 : -1;
    const uint64_t winning_stake = accepted ? rd.stake_for : rd.stake_against;

    for (size_t i = 0; i < tc->n; i++) {
        const uint8_t *pub = tc->keys + i * PUBKEY_SIZE;
        struct fl_entry e;
        struct fl_participant p;
        bool slashed = false;
        uint64_t reward = 0;
        if (!fl_get_entry(tc->v, tc->id, r, pub, &e))
            continue;
        if (!fl_get_participant(tc->v, tc->id, pub, &p))
            return read_error(tc);
        if (e.role == FL_ROLE_PROPOSER) {
            if (!(e.flags & FL_ENTRY_SUBMITTED)) {
                slashed = true;
            } else if (accepted) {
                reward = fl_share(proposer_part, e.stake, submitted);
                p.contribution += e.stake;
                p.accepted++;
            } else if (rd.outcome == FL_OUTCOME_REJECTED) {
                slashed = true;
            }
        } else if (!(e.flags & FL_ENTRY_REVEALED)) {
            slashed = true;
        } else if (e.vote == winning_vote) {
            reward = fl_share(rd.voter_part, e.stake, winning_stake);
        } else {
            slashed = true;
        }
        if (reward) {
            if (!amount_sub(&tc->st.pool, reward))
                return val_fail(tc->val, VAL_ERROR, REJECT_FL_POOL_SHORT);
            if (!credit(tc, pub, reward))
                return false;
            e.reward = reward;
            p.rewards += reward;
            rd.paid += reward;
            tc->st.paid += reward;
        }
        if (slashed && !slash(tc, pub, &p, &e, &rd))
            return false;
        fl_put_participant(tc->v, tc->id, pub, &p);
        fl_put_entry(tc->v, tc->id, r, pub, &e);
    }

    uint8_t ckey[FL_KEY_ROUND_SIZE];
    fl_key_round(ckey, 'C', tc->id, r);
    if (accepted) {
        const uint8_t *w;
        size_t n;
        uint8_t mkey[FL_KEY_ROUND_SIZE];
        if (!fl_get_weights(tc->v, 'C', tc->id, r, &w, &n))
            return read_error(tc);
        fl_key_round(mkey, 'M', tc->id, r);
        view_put(tc->v, mkey, sizeof(mkey), w, 4 * n);
        tc->st.model_round = r;
    }
    view_del(tc->v, ckey, sizeof(ckey));
    rd.model_round = tc->st.model_round;
    rd.end_height = tc->height;
    fl_put_round(tc->v, tc->id, r, &rd);
    return end_round(tc, &rd);
}

static bool run_event(struct view *v, uint64_t height, const struct fl_event_entry *ev,
                      struct validation *val)
{
    struct task_ctx tc = {.v = v, .val = val, .height = height, .id = ev->task};
    if (!fl_get_task(v, ev->task, &tc.t) || !fl_get_status(v, ev->task, &tc.st) ||
        !fl_get_participants(v, ev->task, &tc.keys, &tc.n))
        return read_error(&tc);
    bool ok;
    switch (ev->event) {
    case FL_EV_START: ok = ev_start(&tc); break;
    case FL_EV_AGGREGATE: ok = ev_aggregate(&tc); break;
    case FL_EV_FINALIZE: ok = ev_finalize(&tc); break;
    default: ok = val_fail(val, VAL_ERROR, REJECT_FL_BAD_EVENT); break;
    }
    if (ok)
        fl_put_status(v, ev->task, &tc.st);
    free(tc.keys);
    return ok;
}

bool fl_end_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const uint64_t height = ctx->hdr->height;
    uint8_t key[FL_KEY_QUEUE_SIZE];
    struct fl_height h;
    if (!fl_get_height(v, height, &h))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (h.events == 0 && h.work == 0 && h.weights == 0)
        return true;
    /* Events only ever queue for later heights, so the count is final. */
    fl_key_queue(key, height);
    view_del(v, key, sizeof(key));
    for (uint32_t i = 0; i < h.events; i++) {
        uint8_t ekey[FL_KEY_EVENT_SIZE];
        const uint8_t *data;
        size_t len;
        struct fl_event_entry ev;
        fl_key_event(ekey, height, i);
        if (!view_get(v, ekey, sizeof(ekey), &data, &len) || !fl_event_decode(&ev, data, len))
            return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
        view_del(v, ekey, sizeof(ekey));
        if (!run_event(v, height, &ev, val))
            return false;
    }
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}
