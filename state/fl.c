/* FL Alliance state: record accessors, the FL pool's flows and the task's
 * life cycle run at the end of a block (start, slot draw, end; the
 * finalization of a round is in state/flround.c).  Rules in
 * doc/protocol.md, "17. FL Alliance".
 *
 * Every loop over participants walks the sorted participant list, and every
 * amount is integer with the rounding of consensus/fl.h: nothing here may
 * depend on anything but the state and the block height. */
#include "state/fl.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/params.h"
#include "state/arena.h"
#include "state/flround.h"
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

bool fl_get_revealed(struct view *v, char kind, const uint8_t task[FL_TASK_ID_SIZE],
                     uint32_t round, const uint8_t pub[PUBKEY_SIZE], const uint8_t **data,
                     size_t *len)
{
    uint8_t key[FL_KEY_ENTRY_SIZE];
    fl_key_entry(key, kind, task, round, pub);
    return view_get(v, key, sizeof(key), data, len);
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
    if (h->events == 0 && h->work == 0 && h->weights == 0 && h->verdicts == 0) {
        /* Nothing left there. */
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
                       uint8_t event, uint32_t work, uint64_t weights, uint32_t verdicts)
{
    struct fl_height h;
    if (!fl_get_height(v, height, &h) || !fl_height_room(&h, work, weights, verdicts))
        return false;
    h.work += work;
    h.weights += weights;
    h.verdicts += verdicts;
    if (!queue_event(v, height, &h, task, event))
        return false;
    put_height(v, height, &h);
    return !view_failed(v);
}

bool fl_reserve_work(struct view *v, uint64_t height, uint32_t work)
{
    struct fl_height h;
    if (!fl_get_height(v, height, &h) || !fl_height_room(&h, work, 0, 0))
        return false;
    h.work += work;
    put_height(v, height, &h);
    return !view_failed(v);
}

/* ---- the FL pool ---- */

bool fl_get_flows(struct view *v, struct fl_flows *out)
{
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    if (!view_get(v, FL_FLOWS_KEY, strlen(FL_FLOWS_KEY), &val, &len))
        return !view_failed(v);
    if (len != 24) {
        view_set_failed(v);
        return false;
    }
    out->in = read_le64(val);
    out->matched = read_le64(val + 8);
    out->burned = read_le64(val + 16);
    return true;
}

/* Takes amount out of gpool/fl, counted as matched or burned. */
static bool pool_take(struct view *v, uint64_t amount, bool burned, struct validation *val)
{
    uint64_t pool = view_get_u64(v, POOL_FL_KEY);
    struct fl_flows f;
    uint8_t buf[24];
    if (amount == 0)
        return true;
    if (!amount_sub(&pool, amount))
        return val_fail(val, VAL_ERROR, REJECT_FL_POOL_SHORT);
    view_put_u64(v, POOL_FL_KEY, pool);
    if (!fl_get_flows(v, &f))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    /* Statistics counted modulo 2^64, as gstats: they wrap. */
    if (burned)
        f.burned += amount;
    else
        f.matched += amount;
    write_le64(buf, f.in);
    write_le64(buf + 8, f.matched);
    write_le64(buf + 16, f.burned);
    view_put(v, FL_FLOWS_KEY, strlen(FL_FLOWS_KEY), buf, sizeof(buf));
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool fl_pool_match(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t amount,
                   struct validation *val)
{
    return amount == 0 || (pool_take(v, amount, false, val) && accounts_credit(v, pub, amount, val));
}

/* After the events: gpool/fl above fl_pool_cap_blocks x the FL part of this
 * height's scheduled block reward is burned (as the Arena's pool). */
static bool burn_above_cap(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const struct chain_params *p = ctx->params;
    uint64_t pool = view_get_u64(v, POOL_FL_KEY);
    uint64_t cap = fl_pool_cap(p->fl_pool_cap_blocks, emission_at(p, ctx->hdr->height, 0),
                               p->split_fl_bps);
    if (pool <= cap)
        return true;
    return pool_take(v, pool - cap, true, val) && arena_burn_supply(v, pool - cap, val);
}

bool fl_status_held(const struct fl_status *s, uint64_t *out)
{
    *out = s->budget_left;
    return amount_add(out, s->slashed_left);
}

/* ---- the task's life cycle ---- */

bool fl_ctx_read_error(struct fl_task_ctx *tc)
{
    return val_fail(tc->val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool fl_ctx_credit(struct fl_task_ctx *tc, const uint8_t pub[PUBKEY_SIZE], uint64_t amount)
{
    return amount == 0 || accounts_credit(tc->v, pub, amount, tc->val);
}

/* Gives every active participant its stake back and the creator what the
 * task still holds: budget_left + slashed_left (never matched). */
static bool end_task(struct fl_task_ctx *tc, uint8_t state)
{
    for (size_t i = 0; i < tc->n; i++) {
        const uint8_t *pub = tc->keys + i * PUBKEY_SIZE;
        struct fl_participant p;
        if (!fl_get_participant(tc->v, tc->id, pub, &p))
            return fl_ctx_read_error(tc);
        if (p.status != FL_PART_ACTIVE)
            continue;
        if (!fl_ctx_credit(tc, pub, p.stake))
            return false;
        p.returned += p.stake;
        p.stake = 0;
        p.status = FL_PART_EXITED;
        fl_put_participant(tc->v, tc->id, pub, &p);
    }
    uint64_t back;
    if (!fl_status_held(&tc->st, &back))
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_POOL_OVERFLOW);
    if (!fl_ctx_credit(tc, tc->t.creator, back) || !amount_add(&tc->st.returned, back))
        return false;
    tc->st.budget_left = 0;
    tc->st.slashed_left = 0;
    tc->st.n_active = 0;
    tc->st.state = state;
    tc->st.end_height = tc->height;
    return true;
}

/* The first height s in h + 1 .. h + FL_MAX_ROUND_DELAY where a round
 * starting at s has room at its reveal end for its finalization (work,
 * weights and verdicts), which is reserved and queued there.  0 when no
 * height has room (or on a read error: check view_failed()). */
static uint64_t reserve_round(struct fl_task_ctx *tc, uint32_t work, uint64_t weights,
                              uint32_t verdicts)
{
    for (uint64_t s = tc->height + 1; s <= tc->height + FL_MAX_ROUND_DELAY; s++) {
        struct fl_windows win;
        fl_round_windows(&tc->t.p, s, &win);
        if (fl_schedule_event(tc->v, win.reveal_end, tc->id, FL_EV_FINALIZE, work, weights,
                              verdicts))
            return s;
        if (view_failed(tc->v))
            return 0;
    }
    return 0;
}

/* Round r: proposer slots drawn by stake over the active participants in
 * key order with the mix as it stands (fl_draw_slots); its finalization
 * reserved at the first start with room (reserve_round): work 8 + n, (k_eff
 * + 1) x P weights (the updates read and the model written) and k_eff x m
 * verdicts (every one of the m participants votes on at most k_eff
 * updates).  With no room the task ends. */
static bool begin_round(struct fl_task_ctx *tc, uint32_t r)
{
    const uint8_t *mix;
    size_t mix_len, m = 0;
    uint32_t *idx = calloc(tc->n ? tc->n : 1, sizeof(*idx));
    uint64_t *stakes = calloc(tc->n ? tc->n : 1, sizeof(*stakes));
    uint16_t *slots = calloc(tc->n ? tc->n : 1, sizeof(*slots));
    bool ok = false;
    if (!idx || !stakes || !slots) {
        val_fail(tc->val, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    for (size_t i = 0; i < tc->n; i++) {
        struct fl_participant p;
        if (!fl_get_participant(tc->v, tc->id, tc->keys + i * PUBKEY_SIZE, &p)) {
            fl_ctx_read_error(tc);
            goto done;
        }
        if (p.status == FL_PART_ACTIVE) {
            stakes[m] = p.stake;
            idx[m++] = (uint32_t)i;
        }
    }
    if (m < 2) {
        ok = end_task(tc, r == 1 ? FL_TASK_CANCELLED : FL_TASK_COMPLETED);
        goto done;
    }
    if (!view_get(tc->v, MIX_KEY, strlen(MIX_KEY), &mix, &mix_len) || mix_len != HASH_SIZE) {
        fl_ctx_read_error(tc);
        goto done;
    }
    uint8_t seed_mix[HASH_SIZE];
    memcpy(seed_mix, mix, HASH_SIZE);
    const uint32_t k_eff = fl_slot_count(tc->t.p.proposer_slots, (uint32_t)m);
    fl_draw_slots(slots, stakes, (uint32_t)m, tc->t.p.proposer_slots, tc->id, r, seed_mix);
    uint32_t proposers = 0;
    for (size_t i = 0; i < m; i++)
        proposers += slots[i] > 0;
    const uint32_t voters = (uint32_t)m - proposers;
    const uint64_t P = fl_param_count(&tc->t.p.spec);
    uint64_t start = reserve_round(tc, fl_event_work_for(tc->n), ((uint64_t)k_eff + 1) * P,
                                   fl_round_verdicts(k_eff, (uint32_t)m));
    if (view_failed(tc->v)) {
        fl_ctx_read_error(tc);
        goto done;
    }
    if (start == 0) {
        ok = end_task(tc, r == 1 ? FL_TASK_CANCELLED : FL_TASK_COMPLETED);
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        const uint8_t *pub = tc->keys + (size_t)idx[i] * PUBKEY_SIZE;
        struct fl_participant p;
        struct fl_entry e;
        if (!fl_get_participant(tc->v, tc->id, pub, &p)) {
            fl_ctx_read_error(tc);
            goto done;
        }
        memset(&e, 0, sizeof(e));
        e.role = slots[i] > 0 ? FL_ROLE_PROPOSER : FL_ROLE_VOTER;
        e.stake = p.stake;
        e.slots = slots[i];
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
    rd.n_slots = (uint16_t)k_eff;
    rd.n_voters = (uint16_t)voters;
    rd.model_round = tc->st.model_round;
    memcpy(rd.model_hash, tc->st.model_hash, HASH_SIZE);
    fl_put_round(tc->v, tc->id, r, &rd);
    tc->st.round = r;
    tc->st.round_start = rd.start;
    ok = !view_failed(tc->v) || fl_ctx_read_error(tc);
done:
    free(idx);
    free(stakes);
    free(slots);
    return ok;
}

/* After round rd: the next one, or the end of the task after the last
 * round, when fewer than two participants remain, or after a second quiet
 * round in a row (fl_round_quiet: void, or too few update and vote reveals
 * for the participants drawn), so nobody keeps a task's rounds, and the work
 * they reserve, running without the transactions of a round at least every
 * other round. */
bool fl_end_round(struct fl_task_ctx *tc, const struct fl_round *rd)
{
    const uint32_t r = tc->st.round;
    if (r >= tc->t.p.rounds || tc->st.n_active < 2)
        return end_task(tc, FL_TASK_COMPLETED);
    if (fl_round_quiet(rd) && r >= 2) {
        struct fl_round prev;
        if (!fl_get_round(tc->v, tc->id, r - 1, &prev))
            return fl_ctx_read_error(tc);
        if (fl_round_quiet(&prev))
            return end_task(tc, FL_TASK_COMPLETED);
    }
    return begin_round(tc, r + 1);
}

static bool ev_start(struct fl_task_ctx *tc)
{
    if (tc->st.state != FL_TASK_OPEN)
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_BAD_EVENT);
    if (tc->st.n_participants < tc->t.p.min_participants)
        return end_task(tc, FL_TASK_CANCELLED);
    tc->st.state = FL_TASK_RUNNING;
    return begin_round(tc, 1);
}

static bool run_event(struct view *v, struct block_ctx *ctx, const struct fl_event_entry *ev,
                      struct validation *val)
{
    struct fl_task_ctx tc = {
        .v = v, .ctx = ctx, .val = val, .height = ctx->hdr->height, .id = ev->task};
    if (!fl_get_task(v, ev->task, &tc.t) || !fl_get_status(v, ev->task, &tc.st) ||
        !fl_get_participants(v, ev->task, &tc.keys, &tc.n))
        return fl_ctx_read_error(&tc);
    bool ok;
    switch (ev->event) {
    case FL_EV_START: ok = ev_start(&tc); break;
    case FL_EV_FINALIZE: ok = fl_finalize_round(&tc); break;
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
    if (h.events > 0 || h.work > 0 || h.weights > 0 || h.verdicts > 0) {
        /* Events only ever queue for later heights, so the count is final. */
        fl_key_queue(key, height);
        view_del(v, key, sizeof(key));
        for (uint32_t i = 0; i < h.events; i++) {
            uint8_t ekey[FL_KEY_EVENT_SIZE];
            const uint8_t *data;
            size_t len;
            struct fl_event_entry ev;
            fl_key_event(ekey, height, i);
            if (!view_get(v, ekey, sizeof(ekey), &data, &len) ||
                !fl_event_decode(&ev, data, len))
                return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
            view_del(v, ekey, sizeof(ekey));
            if (!run_event(v, ctx, &ev, val))
                return false;
        }
    }
    if (!burn_above_cap(v, ctx, val))
        return false;
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}
