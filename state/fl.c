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

bool fl_queue_event(struct view *v, uint64_t height, const uint8_t task[FL_TASK_ID_SIZE],
                    uint8_t event)
{
    uint8_t key[FL_KEY_QUEUE_SIZE];
    const uint8_t *val;
    size_t len, n = 0;
    struct fl_event_entry *events = NULL;
    struct wbuf w;
    fl_key_queue(key, height);
    if (view_get(v, key, sizeof(key), &val, &len) && !fl_events_decode(&events, &n, val, len)) {
        view_set_failed(v);
        return false;
    }
    struct fl_event_entry *grown = realloc(events, (n + 1) * sizeof(*grown));
    if (!grown) {
        free(events);
        view_set_failed(v);
        return false;
    }
    memcpy(grown[n].task, task, FL_TASK_ID_SIZE);
    grown[n].event = event;
    wbuf_init(&w);
    fl_events_encode(grown, n + 1, &w);
    free(grown);
    put_record(v, key, sizeof(key), &w);
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
    return val_fail(tc->val, VAL_ERROR, "state-read-error");
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

/* Round r starts at the next block: roles drawn over the active participants
 * in key order with the mix as it stands. */
static bool begin_round(struct task_ctx *tc, uint32_t r)
{
    const uint8_t *mix;
    size_t mix_len, m = 0;
    uint32_t *idx = calloc(tc->n ? tc->n : 1, sizeof(*idx));
    uint32_t *order = calloc(tc->n ? tc->n : 1, sizeof(*order));
    bool ok = false;
    if (!idx || !order)
        goto done;
    if (!view_get(tc->v, MIX_KEY, strlen(MIX_KEY), &mix, &mix_len) || mix_len != HASH_SIZE) {
        read_error(tc);
        goto done;
    }
    uint8_t seed_mix[HASH_SIZE];
    memcpy(seed_mix, mix, HASH_SIZE);
    for (size_t i = 0; i < tc->n; i++) {
        struct fl_participant p;
        if (!fl_get_participant(tc->v, tc->id, tc->keys + i * PUBKEY_SIZE, &p)) {
            read_error(tc);
            goto done;
        }
        if (p.status == FL_PART_ACTIVE)
            idx[m++] = (uint32_t)i;
    }
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
    rd.start = tc->height + 1;
    rd.n_proposers = (uint16_t)proposers;
    rd.n_voters = (uint16_t)(m - proposers);
    rd.model_round = tc->st.model_round;
    fl_put_round(tc->v, tc->id, r, &rd);
    tc->st.round = r;
    tc->st.round_start = rd.start;
    struct fl_windows win;
    fl_round_windows(&tc->t.p, rd.start, &win);
    ok = fl_queue_event(tc->v, win.submit_end, tc->id, FL_EV_AGGREGATE) ||
         val_fail(tc->val, VAL_ERROR, "state-write-error");
done:
    if (!idx || !order)
        val_fail(tc->val, VAL_ERROR, "out-of-memory");
    free(idx);
    free(order);
    return ok;
}

/* After a round: the next one, or the end of the task after the last round
 * or when fewer than two participants remain. */
static bool end_round(struct task_ctx *tc)
{
    if (tc->st.round >= tc->t.p.rounds || tc->st.n_active < 2)
        return end_task(tc, FL_TASK_COMPLETED);
    return begin_round(tc, tc->st.round + 1);
}

static bool ev_start(struct task_ctx *tc)
{
    if (tc->st.state != FL_TASK_OPEN)
        return val_fail(tc->val, VAL_ERROR, "fl-bad-event");
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
        return val_fail(tc->val, VAL_ERROR, "fl-pool-overflow");
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
        return val_fail(tc->val, VAL_ERROR, "out-of-memory");
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
        ok = end_round(tc);
        goto done;
    }
    cand = malloc(nparams ? 4 * nparams : 1);
    if (!cand || !fl_aggregate(tc->t.p.aggregator, tc->t.p.trim_k, refs, k, nparams, cand)) {
        val_fail(tc->val, VAL_ERROR, "fl-aggregate-failed");
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
    ok = fl_queue_event(tc->v, win.reveal_end, tc->id, FL_EV_FINALIZE) ||
         val_fail(tc->val, VAL_ERROR, "state-write-error");
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
            return val_fail(tc->val, VAL_ERROR, "fl-stake-overflow");
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
                return val_fail(tc->val, VAL_ERROR, "fl-pool-short");
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
    return end_round(tc);
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
    default: ok = val_fail(val, VAL_ERROR, "fl-bad-event"); break;
    }
    if (ok)
        fl_put_status(v, ev->task, &tc.st);
    free(tc.keys);
    return ok;
}

bool fl_end_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    uint8_t key[FL_KEY_QUEUE_SIZE];
    const uint8_t *data;
    size_t len, n;
    struct fl_event_entry *events;
    fl_key_queue(key, ctx->hdr->height);
    if (!view_get(v, key, sizeof(key), &data, &len))
        return !view_failed(v) || val_fail(val, VAL_ERROR, "state-read-error");
    if (!fl_events_decode(&events, &n, data, len))
        return val_fail(val, VAL_ERROR, "state-read-error");
    /* Events only ever queue for later heights, so this list is complete. */
    view_del(v, key, sizeof(key));
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = run_event(v, ctx->hdr->height, &events[i], val);
    free(events);
    return ok && (!view_failed(v) || val_fail(val, VAL_ERROR, "state-read-error"));
}
