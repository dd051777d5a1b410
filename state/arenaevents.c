/* AI Arena events: the queue, ASSIGN, CLOSE and VEST, and the pool cap
 * burn (see arenaevents.h; SETTLE is in state/arenasettle.c).  Rules in
 * doc/protocol.md, "18.7 Events and settlement" and "18.8 Bounds".
 *
 * Every loop walks the task's sorted operator list (at most
 * ARENA_MAX_OPERATORS) or its sets; nothing loops over delegators.  Every
 * amount is integer with the rounding of consensus/arenamath.c. */
#include "state/arenaevents.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/arenaint.h"

#include <stdlib.h>
#include <string.h>

/* ---- the queue ---- */

static bool get_height(struct view *v, uint64_t height, struct arena_height *out)
{
    uint8_t key[ARENA_KEY_QUEUE_SIZE];
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    arena_key_queue(key, height);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!arena_height_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void put_height(struct view *v, uint64_t height, const struct arena_height *h)
{
    uint8_t key[ARENA_KEY_QUEUE_SIZE];
    struct wbuf w;
    arena_key_queue(key, height);
    wbuf_init(&w);
    arena_height_encode(h, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

static bool queue_event(struct view *v, uint64_t height, const uint8_t task[ARENA_TASK_ID_SIZE],
                        uint8_t event, uint16_t index, uint32_t work)
{
    uint8_t key[ARENA_KEY_EVENT_SIZE];
    struct arena_height h;
    struct arena_event_entry e;
    struct wbuf w;
    if (!get_height(v, height, &h) || !arena_height_room(&h, work) || h.events == UINT32_MAX)
        return false;
    memcpy(e.task, task, ARENA_TASK_ID_SIZE);
    e.event = event;
    e.index = index;
    wbuf_init(&w);
    arena_event_encode(&e, &w);
    arena_key_event(key, height, h.events++);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    h.work += work;
    put_height(v, height, &h);
    return !view_failed(v);
}

/* An event a creation queues. */
struct planned {
    uint64_t height;
    uint8_t event;
    uint16_t index;
    uint32_t work;
};

bool arena_schedule_task(struct view *v, struct block_ctx *ctx, const uint8_t task[32],
                         const struct arena_task *t, struct validation *val)
{
    struct arena_windows w;
    const struct arena_task_params *p = &t->p;
    arena_windows(t, &w);
    const uint32_t vest = arena_event_work(p, ARENA_EV_VEST);
    /* Every height is checked before anything is written: the heights are
     * distinct (each window lasts at least one block, epoch_slots >= 1). */
    struct planned evs[3 + ARENA_MAX_VEST];
    size_t n = 0;
    evs[n++] = (struct planned){w.submit_end, ARENA_EV_ASSIGN, 0,
                                arena_event_work(p, ARENA_EV_ASSIGN)};
    evs[n++] = (struct planned){w.sets_end, ARENA_EV_CLOSE, 0,
                                arena_event_work(p, ARENA_EV_CLOSE)};
    evs[n++] = (struct planned){w.settle, ARENA_EV_SETTLE, 0,
                                arena_event_work(p, ARENA_EV_SETTLE)};
    for (uint16_t i = 1; i <= p->vest_epochs && i <= ARENA_MAX_VEST; i++)
        evs[n++] = (struct planned){arena_vest_height(&w, ctx->params->epoch_slots, i),
                                    ARENA_EV_VEST, i, vest};
    for (size_t i = 0; i < n; i++) {
        struct arena_height h;
        if (!get_height(v, evs[i].height, &h))
            return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
        if (evs[i].height <= ctx->hdr->height || !arena_height_room(&h, evs[i].work))
            return val_failf(val, VAL_STATE, REJECT_ARENA_HEIGHT_FULL, "height %llu",
                             (unsigned long long)evs[i].height);
    }
    for (size_t i = 0; i < n; i++)
        if (!queue_event(v, evs[i].height, task, evs[i].event, evs[i].index, evs[i].work))
            return val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    return true;
}

/* ---- records ---- */

static bool get_record(struct view *v, char kind, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t **val, size_t *len)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    arena_key_task(key, kind, task);
    return view_get(v, key, sizeof(key), val, len);
}

static void put_status(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const struct arena_status *s)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf w;
    arena_key_task(key, 'S', task);
    wbuf_init(&w);
    arena_status_encode(s, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

static void put_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                         const uint8_t op[PUBKEY_SIZE], const struct arena_operator *o)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    struct wbuf w;
    arena_key_operator(key, 'O', task, op);
    wbuf_init(&w);
    arena_operator_encode(o, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

bool arena_ev_fail(struct arena_ev *e)
{
    return val_fail(e->val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool arena_ev_credit(struct arena_ev *e, const uint8_t pub[PUBKEY_SIZE], uint64_t amount)
{
    return amount == 0 || accounts_credit(e->v, pub, amount, e->val);
}

/* Every move into or out of gpool/arena is counted in its flows (state/arena.h). */
bool arena_ev_to_pool(struct arena_ev *e, uint64_t amount)
{
    return arena_pool_add(e->v, amount, e->val);
}

bool arena_ev_from_pool(struct arena_ev *e, uint64_t amount)
{
    return arena_pool_take(e->v, amount, e->val);
}

bool arena_ev_slash(struct arena_ev *e, size_t i)
{
    struct arena_operator *o = &e->ops[i];
    uint64_t own = arena_slash_amount(o->own, e->t.p.slash_bps);
    uint64_t del = arena_slash_amount(o->del_value, e->t.p.slash_bps);
    o->own -= own;
    o->del_value -= del;
    o->slashed += own;
    o->slashed_del += del;
    o->flags |= ARENA_OP_SLASHED;
    e->dirty[i] = true;
    if (!amount_add(&e->st.slashed, own) || !amount_add(&e->st.slashed, del))
        return val_fail(e->val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
    arena_put_slash_height(e->v, e->keys[i], e->height);
    return arena_ev_to_pool(e, own + del);
}

bool arena_ev_return_stakes(struct arena_ev *e)
{
    for (size_t i = 0; i < e->n; i++) {
        struct arena_operator *o = &e->ops[i];
        if (o->flags & ARENA_OP_RETURNED)
            continue;
        if (!arena_ev_credit(e, e->keys[i], o->own))
            return false;
        o->returned += o->own;
        o->own = 0;
        o->flags |= ARENA_OP_RETURNED;
        e->dirty[i] = true;
    }
    return true;
}

void arena_ev_delete_chunks(struct arena_ev *e)
{
    for (uint8_t k = 0; k < e->t.p.k && k < ARENA_MAX_SETS; k++)
        for (uint16_t c = 0; c < e->t.p.sets[k].n_chunks; c++) {
            uint8_t key[ARENA_KEY_CHUNK_SIZE];
            arena_key_chunk(key, e->id, k, c);
            view_del(e->v, key, sizeof(key));
        }
}

/* Loads the task, its status and every operator record. */
static bool load(struct arena_ev *e)
{
    const uint8_t *val, *list;
    size_t len;
    if (!get_record(e->v, 'T', e->id, &val, &len) || !arena_task_decode(&e->t, val, len) ||
        !get_record(e->v, 'S', e->id, &val, &len) || !arena_status_decode(&e->st, val, len))
        return false;
    if (!get_record(e->v, 'L', e->id, &val, &len)) {
        if (view_failed(e->v))
            return false;
        e->n = 0;
        list = NULL;
    } else if (!arena_list_decode(&list, &e->n, val, len)) {
        return false;
    }
    size_t m = e->n ? e->n : 1;
    e->keys = malloc(m * PUBKEY_SIZE);
    e->ops = calloc(m, sizeof(*e->ops));
    e->dirty = calloc(m, sizeof(*e->dirty));
    if (!e->keys || !e->ops || !e->dirty)
        return false;
    if (e->n)
        memcpy(e->keys, list, e->n * PUBKEY_SIZE);
    for (size_t i = 0; i < e->n; i++) {
        uint8_t key[ARENA_KEY_OP_SIZE];
        arena_key_operator(key, 'O', e->id, e->keys[i]);
        if (!view_get(e->v, key, sizeof(key), &val, &len) ||
            !arena_operator_decode(&e->ops[i], val, len))
            return false;
    }
    return true;
}

static void store(struct arena_ev *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->dirty[i])
            put_operator(e->v, e->id, e->keys[i], &e->ops[i]);
    put_status(e->v, e->id, &e->st);
}

static uint64_t min_stake(const struct arena_ev *e, uint8_t role)
{
    return role == ARENA_ROLE_TRAINER ? e->t.p.trainer_min_stake : e->t.p.validator_min_stake;
}

/* ---- ASSIGN (end of submit_end) ----
 * The snapshot: an operator whose own stake reaches its role's minimum takes
 * part (ELIGIBLE) with S = own + del_total; its sigma is final.  The
 * eligible validators, in key order, are drawn per (set, draw) by stake with
 * the mix of the state now (arena_assign). */
static bool ev_assign(struct arena_ev *e)
{
    const uint8_t *mix;
    size_t mix_len, nv = 0;
    if (e->st.state != ARENA_OPEN)
        return val_fail(e->val, VAL_ERROR, REJECT_ARENA_BAD_EVENT);
    uint64_t *stake = calloc(e->n ? e->n : 1, sizeof(*stake));
    size_t *idx = calloc(e->n ? e->n : 1, sizeof(*idx));
    uint8_t *count = calloc((e->n ? e->n : 1) * ARENA_MAX_SETS, 1);
    bool ok = false;
    if (!stake || !idx || !count) {
        val_fail(e->val, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    for (size_t i = 0; i < e->n; i++) {
        struct arena_operator *o = &e->ops[i];
        o->flags &= (uint16_t)~ARENA_OP_ELIGIBLE;
        memset(o->count, 0, sizeof(o->count));
        o->stake_snapshot = 0;
        if (o->own >= min_stake(e, o->role) && o->own > 0) {
            o->flags |= ARENA_OP_ELIGIBLE;
            o->stake_snapshot = o->own + o->del_total;
            if (o->role == ARENA_ROLE_VALIDATOR) {
                stake[nv] = o->stake_snapshot;
                idx[nv++] = i;
            }
        }
        e->dirty[i] = true;
    }
    if (nv > 0) {
        if (!view_get(e->v, MIX_KEY, strlen(MIX_KEY), &mix, &mix_len) || mix_len != HASH_SIZE) {
            arena_ev_fail(e);
            goto done;
        }
        uint8_t m[HASH_SIZE];
        memcpy(m, mix, HASH_SIZE);
        if (!arena_assign(e->id, m, e->t.p.k, e->t.p.draws_per_set, stake, nv, count)) {
            val_fail(e->val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
            goto done;
        }
        for (size_t j = 0; j < nv; j++)
            memcpy(e->ops[idx[j]].count, count + j * ARENA_MAX_SETS, ARENA_MAX_SETS);
    }
    e->st.state = ARENA_REVEAL;
    ok = true;
done:
    free(stake);
    free(idx);
    free(count);
    return ok;
}

/* ---- CLOSE (end of sets_end: submissions closed at reveal_end, sets at sets_end) ----
 * An eligible trainer that committed and did not reveal is slashed.  One
 * that revealed the model hash of a submission committed earlier (lower
 * seq) and revealed is a duplicate: not scored, not paid, its stake
 * returned at SETTLE, but not slashed (copying is already prevented by
 * commit-reveal; what is left is two parties reaching the same weights,
 * e.g. by the same deterministic training, where the later commit gains
 * nothing and should lose nothing more).  A set not complete fails the task: budget_left goes to the pool
 * (the creator's slash) and every own stake is returned.  Otherwise the
 * scoreable submissions (eligible, revealed, not duplicate) are counted. */
static bool ev_close(struct arena_ev *e)
{
    if (e->st.state != ARENA_REVEAL)
        return val_fail(e->val, VAL_ERROR, REJECT_ARENA_BAD_EVENT);
    uint16_t m = 0;
    for (size_t i = 0; i < e->n; i++) {
        struct arena_operator *o = &e->ops[i];
        if (o->role != ARENA_ROLE_TRAINER || !(o->flags & ARENA_OP_ELIGIBLE) ||
            !(o->flags & ARENA_OP_COMMITTED))
            continue;
        if (o->flags & ARENA_OP_REVEALED) {
            for (size_t j = 0; j < e->n; j++) {
                const struct arena_operator *p = &e->ops[j];
                if (j != i && p->role == ARENA_ROLE_TRAINER && (p->flags & ARENA_OP_REVEALED) &&
                    p->seq < o->seq && memcmp(p->model_hash, o->model_hash, HASH_SIZE) == 0) {
                    o->flags |= ARENA_OP_DUPLICATE;
                    e->dirty[i] = true;
                    break;
                }
            }
        }
        if (!(o->flags & ARENA_OP_REVEALED)) {
            if (!arena_ev_slash(e, i))
                return false;
        } else if (!(o->flags & ARENA_OP_DUPLICATE)) {
            m++;
        }
    }
    const uint8_t all = (uint8_t)((1u << e->t.p.k) - 1u);
    if ((e->st.sets_complete & all) != all) {
        if (!arena_ev_to_pool(e, e->st.budget_left))
            return false;
        e->st.slashed_budget += e->st.budget_left;
        e->st.budget_left = 0;
        if (!arena_ev_return_stakes(e))
            return false;
        /* The chunks revealed go at the task's SETTLE height, whose work
         * reserved their deletion. */
        e->st.state = ARENA_FAILED;
        e->st.end_height = e->height;
        return true;
    }
    e->st.n_scoreable = m;
    e->st.state = ARENA_SCORING;
    return true;
}

/* ---- VEST i (end of settle + i x epoch_slots) ----
 * Tranche i of each operator's Reward B (its own, paid to its account, and
 * its delegators', credited to d_credit), or forfeited to the pool when the
 * operator's last Arena slash is at or after the task's settle height (and
 * then every later tranche too). */
static bool ev_vest(struct arena_ev *e, uint16_t i)
{
    if (e->st.state != ARENA_SETTLED)
        return true; /* refunded or failed: nothing vests */
    const uint16_t V = e->t.p.vest_epochs;
    for (size_t j = 0; j < e->n; j++) {
        struct arena_operator *o = &e->ops[j];
        if (o->vest_b_op == 0 && o->vest_b_del == 0)
            continue;
        uint64_t a = arena_tranche(o->vest_b_op, i, V), b = arena_tranche(o->vest_b_del, i, V);
        if (a == 0 && b == 0)
            continue;
        if (!(o->flags & ARENA_OP_FORFEITED)) {
            uint64_t sh;
            if (!arena_get_slash_height(e->v, e->keys[j], &sh))
                return arena_ev_fail(e);
            if (sh != 0 && sh >= e->t.w.settle)
                o->flags |= ARENA_OP_FORFEITED;
        }
        if (!amount_sub(&e->st.vest_pending, a) || !amount_sub(&e->st.vest_pending, b))
            return val_fail(e->val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
        if (o->flags & ARENA_OP_FORFEITED) {
            o->forfeited += a + b;
            e->st.forfeited += a + b;
            if (!arena_ev_to_pool(e, a + b))
                return false;
        } else {
            if (!arena_ev_credit(e, e->keys[j], a))
                return false;
            o->vest_paid_op += a;
            o->vest_paid_del += b;
            o->d_credit += b;
            e->st.vest_paid += a + b;
        }
        e->dirty[j] = true;
    }
    e->st.vest_done = i;
    return true;
}

static bool run_event(struct view *v, struct block_ctx *ctx, const struct arena_event_entry *ev,
                      struct validation *val)
{
    struct arena_ev e = {.v = v, .ctx = ctx, .val = val, .height = ctx->hdr->height,
                         .id = ev->task};
    bool ok;
    if (!load(&e)) {
        ok = view_failed(v) || !e.ops ? arena_ev_fail(&e)
                                      : val_fail(val, VAL_ERROR, REJECT_ARENA_BAD_EVENT);
        goto done;
    }
    if (e.st.state == ARENA_FAILED) {
        /* A failed task's later events do nothing but, at its SETTLE, delete
         * the chunks revealed. */
        if (ev->event == ARENA_EV_SETTLE)
            arena_ev_delete_chunks(&e);
        ok = true;
        goto done;
    }
    switch (ev->event) {
    case ARENA_EV_ASSIGN: ok = ev_assign(&e); break;
    case ARENA_EV_CLOSE: ok = ev_close(&e); break;
    case ARENA_EV_SETTLE: ok = arena_ev_settle(&e); break;
    case ARENA_EV_VEST: ok = ev_vest(&e, ev->index); break;
    default: ok = val_fail(val, VAL_ERROR, REJECT_ARENA_BAD_EVENT); break;
    }
    if (ok)
        store(&e);
done:
    free(e.keys);
    free(e.ops);
    free(e.dirty);
    return ok;
}

/* ---- the pool cap ----
 * After the events: gpool/arena above arena_pool_cap_blocks x the Arena's
 * part of this height's scheduled block reward is burned. */
static bool burn_above_cap(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const struct chain_params *p = ctx->params;
    uint64_t pool = view_get_u64(v, POOL_ARENA_KEY);
    uint64_t cap = arena_pool_cap(p->arena_pool_cap_blocks, emission_at(p, ctx->hdr->height, 0),
                                  p->split_arena_bps);
    if (pool <= cap)
        return true;
    return arena_pool_burn(v, pool - cap, val);
}

bool arena_end_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const uint64_t height = ctx->hdr->height;
    uint8_t key[ARENA_KEY_QUEUE_SIZE];
    struct arena_height h;
    if (!get_height(v, height, &h))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (h.events > 0 || h.work > 0) {
        /* Events only ever queue for later heights, so the count is final. */
        arena_key_queue(key, height);
        view_del(v, key, sizeof(key));
        for (uint32_t i = 0; i < h.events; i++) {
            uint8_t ekey[ARENA_KEY_EVENT_SIZE];
            const uint8_t *data;
            size_t len;
            struct arena_event_entry ev;
            arena_key_event(ekey, height, i);
            if (!view_get(v, ekey, sizeof(ekey), &data, &len) ||
                !arena_event_decode(&ev, data, len))
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
