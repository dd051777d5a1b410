/* AI Arena SETTLE, at the end of a task's settle height: slashes of the
 * validators that did not reveal their scores, consensus losses, ranks,
 * the pool match, rewards (Reward A paid, Reward B recorded), dust, the
 * results record, stakes returned and the sets' chunks deleted.  Rules in
 * doc/protocol.md "18.7 Events and settlement"; formulas in
 * consensus/arenamath.c.
 *
 * Work: the operators (at most ARENA_MAX_OPERATORS), the revealed losses
 * (at most K x max_validators x max_trainers values) and the chunks (at
 * most K x ARENA_MAX_CHUNKS deletions), all reserved at creation. */
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/params.h"
#include "state/arenaint.h"

#include <stdlib.h>
#include <string.h>

static bool assigned(const struct arena_operator *o)
{
    for (size_t k = 0; k < ARENA_MAX_SETS; k++)
        if (o->count[k])
            return true;
    return false;
}

/* A validator whose scores count: eligible, drawn at least once, revealed. */
static bool scored(const struct arena_operator *o)
{
    return o->role == ARENA_ROLE_VALIDATOR && (o->flags & ARENA_OP_ELIGIBLE) && assigned(o) &&
           !(o->flags & ARENA_OP_SLASHED) && (o->flags & ARENA_OP_SCORE_REVEALED);
}

static bool scoreable(const struct arena_operator *o)
{
    return o->role == ARENA_ROLE_TRAINER && (o->flags & ARENA_OP_ELIGIBLE) &&
           (o->flags & ARENA_OP_REVEALED) && !(o->flags & ARENA_OP_DUPLICATE) &&
           !(o->flags & ARENA_OP_SLASHED);
}

struct settle {
    size_t m;                     /* scoreable submissions, commit order */
    size_t sub[ARENA_MAX_TRAINERS];  /* operator index of each */
    size_t nv;                    /* validators whose scores count, key order */
    size_t vi[ARENA_MAX_VALIDATORS];
    const uint8_t *losses[ARENA_MAX_VALIDATORS]; /* their revealed losses */
    uint32_t pos[ARENA_MAX_VALIDATORS][ARENA_MAX_SETS]; /* first loss of set k */
    uint32_t L[ARENA_MAX_TRAINERS][ARENA_MAX_SETS];
    uint8_t mask;                 /* sets with consensus */
    uint32_t loss[ARENA_MAX_TRAINERS];
    uint16_t rank[ARENA_MAX_TRAINERS];
};

static uint32_t loss_of(const struct settle *s, size_t v, size_t k, size_t sub)
{
    return read_le32(s->losses[v] + 4 * ((size_t)s->pos[v][k] * s->m + sub));
}

/* Insertion sort of operator indices by seq (m <= 64; seqs are distinct). */
static void sort_by_seq(size_t *idx, size_t m, const struct arena_operator *ops)
{
    for (size_t i = 1; i < m; i++) {
        size_t x = idx[i], j = i;
        while (j > 0 && ops[idx[j - 1]].seq > ops[x].seq) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

/* Reads the revealed losses of every validator whose scores count; a
 * record of the wrong length (the reveal checks it) fails the block. */
static bool read_losses(struct arena_ev *e, struct settle *s)
{
    for (size_t j = 0; j < s->nv; j++) {
        const struct arena_operator *o = &e->ops[s->vi[j]];
        uint8_t key[ARENA_KEY_OP_SIZE];
        const uint8_t *val;
        size_t len;
        uint32_t n, sets = 0;
        for (size_t k = 0; k < e->t.p.k; k++)
            if (o->count[k])
                s->pos[j][k] = sets++;
        arena_key_operator(key, 'Z', e->id, e->keys[s->vi[j]]);
        if (!view_get(e->v, key, sizeof(key), &val, &len) ||
            !arena_losses_decode(&s->losses[j], &n, val, len) || n != sets * s->m)
            return arena_ev_fail(e);
    }
    return true;
}

/* L[s][k]: the weighted lower median of the losses of the validators drawn
 * for set k (weight: their draws of k). */
static void consensus_losses(struct arena_ev *e, struct settle *s)
{
    struct arena_vote votes[ARENA_MAX_VALIDATORS];
    s->mask = 0;
    for (size_t k = 0; k < e->t.p.k; k++)
        for (size_t sub = 0; sub < s->m; sub++) {
            size_t n = 0;
            for (size_t j = 0; j < s->nv; j++) {
                const struct arena_operator *o = &e->ops[s->vi[j]];
                if (!o->count[k])
                    continue;
                memcpy(votes[n].validator, e->keys[s->vi[j]], PUBKEY_SIZE);
                votes[n].loss = loss_of(s, j, k, sub);
                votes[n].weight = o->count[k];
                n++;
            }
            if (n == 0)
                continue;
            s->mask |= (uint8_t)(1u << k);
            s->L[sub][k] = arena_weighted_median(votes, n);
        }
}

static void put_results(struct arena_ev *e, const struct settle *s)
{
    struct arena_results *r = calloc(1, sizeof(*r));
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf w;
    if (!r) {
        view_set_failed(e->v);
        return;
    }
    r->k = e->t.p.k;
    r->consensus_mask = s->mask;
    r->m = (uint16_t)s->m;
    for (size_t i = 0; i < s->m; i++) {
        memcpy(r->r[i].trainer, e->keys[s->sub[i]], PUBKEY_SIZE);
        r->r[i].seq = e->ops[s->sub[i]].seq;
        r->r[i].loss = s->loss[i];
        r->r[i].rank = s->rank[i];
        for (size_t k = 0; k < e->t.p.k; k++)
            r->r[i].set_loss[k] = (s->mask >> k) & 1 ? s->L[i][k] : 0;
    }
    arena_key_task(key, 'R', e->id);
    wbuf_init(&w);
    arena_results_encode(r, &w);
    view_put_wbuf(e->v, key, sizeof(key), &w);
    wbuf_free(&w);
    free(r);
}

/* Splits operator i's reward f: the delegators' part by sigma, each part
 * into Reward A (paid / credited now) and Reward B (vesting). */
static bool pay(struct arena_ev *e, size_t i, uint64_t f)
{
    struct arena_operator *o = &e->ops[i];
    const struct arena_task_params *p = &e->t.p;
    o->f = f;
    o->f_del = arena_delegators_part(f, o->sigma_bps, o->del_total,
                                     o->stake_snapshot - o->del_total);
    o->f_op = f - o->f_del;
    uint64_t a_op = arena_reward_a(o->f_op, p->delta_bps, p->vest_epochs);
    uint64_t a_del = arena_reward_a(o->f_del, p->delta_bps, p->vest_epochs);
    o->reward_a = a_op;
    o->vest_b_op = o->f_op - a_op;
    o->vest_b_del = o->f_del - a_del;
    o->d_credit += a_del;
    e->dirty[i] = true;
    e->st.paid += a_op + a_del;
    e->st.vest_pending += o->vest_b_op + o->vest_b_del;
    return arena_ev_credit(e, e->keys[i], a_op);
}

/* No revealed validator with a consensus, or no ranked trainer: stakes back,
 * budget_left back to the creator, no match. */
static bool refund(struct arena_ev *e)
{
    if (!arena_ev_credit(e, e->t.creator, e->st.budget_left))
        return false;
    e->st.returned += e->st.budget_left;
    e->st.budget_left = 0;
    e->st.state = ARENA_REFUNDED;
    return true;
}

bool arena_ev_settle(struct arena_ev *e)
{
    const struct arena_task_params *p = &e->t.p;
    if (e->st.state != ARENA_SCORING)
        return val_fail(e->val, VAL_ERROR, REJECT_ARENA_BAD_EVENT);
    struct settle *s = calloc(1, sizeof(*s));
    bool ok = false;
    if (!s)
        return val_fail(e->val, VAL_ERROR, REJECT_OUT_OF_MEMORY);

    for (size_t i = 0; i < e->n; i++) {
        if (scoreable(&e->ops[i]) && s->m < ARENA_MAX_TRAINERS)
            s->sub[s->m++] = i;
        else if (scored(&e->ops[i]) && s->nv < ARENA_MAX_VALIDATORS)
            s->vi[s->nv++] = i;
    }
    /* Validators drawn that did not reveal are slashed, when there was
     * something to score: with no scoreable submission a reveal would carry
     * no loss, which the payload check refuses, so no one could reveal. */
    for (size_t i = 0; i < e->n && s->m > 0; i++) {
        const struct arena_operator *o = &e->ops[i];
        if (o->role == ARENA_ROLE_VALIDATOR && (o->flags & ARENA_OP_ELIGIBLE) && assigned(o) &&
            !(o->flags & ARENA_OP_SCORE_REVEALED) && !arena_ev_slash(e, i))
            goto done;
    }
    sort_by_seq(s->sub, s->m, e->ops);
    if (s->m > 0) {
        if (!read_losses(e, s))
            goto done;
        consensus_losses(e, s);
    }
    if (s->m == 0 || s->mask == 0) {
        ok = refund(e);
        goto end;
    }

    for (size_t i = 0; i < s->m; i++)
        s->loss[i] = arena_submission_loss(s->L[i], p->k, s->mask);
    arena_dense_ranks(s->loss, s->m, p->epsilon, s->rank);

    /* R = budget_left + the match from the pool. */
    uint64_t pool = view_get_u64(e->v, POOL_ARENA_KEY);
    uint64_t match = arena_match(pool, e->st.budget_left, e->ctx->params->arena_match_bps);
    if (!arena_ev_from_pool(e, match))
        goto done;
    e->st.match = match;
    uint64_t R = e->st.budget_left + match;
    e->st.distributed = R;
    e->st.budget_left = 0;

    unsigned __int128 T = 0, Sv = 0;
    uint64_t st_t[ARENA_MAX_TRAINERS], st_v[ARENA_MAX_VALIDATORS];
    uint64_t f_t[ARENA_MAX_TRAINERS], f_v[ARENA_MAX_VALIDATORS];
    uint16_t c_v[ARENA_MAX_VALIDATORS];
    for (size_t i = 0; i < s->m; i++) {
        st_t[i] = e->ops[s->sub[i]].stake_snapshot;
        T += st_t[i];
    }
    for (size_t j = 0; j < s->nv; j++) {
        st_v[j] = e->ops[s->vi[j]].stake_snapshot;
        Sv += st_v[j];
    }
    e->st.g_v = arena_validator_group(R, p->gamma_bps, T, Sv);
    e->st.g_t = R - e->st.g_v;
    uint64_t sum = arena_trainer_shares(e->st.g_t, s->rank, st_t, s->m, p->q_bps, f_t);

    /* Closeness: the mean deviation over the (submission, set) pairs of the
     * sets a validator was drawn for that have a consensus. */
    for (size_t j = 0; j < s->nv; j++) {
        struct arena_operator *o = &e->ops[s->vi[j]];
        uint64_t dev = 0;
        uint32_t pairs = 0;
        for (size_t k = 0; k < p->k; k++) {
            if (!o->count[k] || !((s->mask >> k) & 1))
                continue;
            for (size_t sub = 0; sub < s->m; sub++) {
                dev += arena_deviation_bps(loss_of(s, j, k, sub), s->L[sub][k]);
                pairs++;
            }
        }
        o->dev_bps = arena_mean_deviation(dev, pairs, p->d_bps);
        c_v[j] = o->c_bps = arena_closeness_bps(o->dev_bps, p->d_bps);
        e->dirty[s->vi[j]] = true;
    }
    sum += arena_validator_shares(e->st.g_v, c_v, st_v, s->nv, f_v);
    if (sum > R) {
        val_fail(e->val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
        goto done;
    }

    for (size_t i = 0; i < s->m; i++) {
        struct arena_operator *o = &e->ops[s->sub[i]];
        o->loss = s->loss[i];
        o->rank = s->rank[i];
        o->flags |= ARENA_OP_RANKED;
        if (!pay(e, s->sub[i], f_t[i]))
            goto done;
    }
    for (size_t j = 0; j < s->nv; j++)
        if (!pay(e, s->vi[j], f_v[j]))
            goto done;
    e->st.dust = R - sum;
    if (!arena_ev_to_pool(e, e->st.dust))
        goto done;
    put_results(e, s);
    e->st.n_revealed_validators = (uint16_t)s->nv;
    e->st.state = ARENA_SETTLED;
    ok = true;
end:
    if (ok) {
        ok = arena_ev_return_stakes(e);
        arena_ev_delete_chunks(e);
        e->st.end_height = e->height;
    }
done:
    free(s);
    return ok;
}
