/* FL Alliance state: the finalization of a round at the end of its reveal
 * window (doc/protocol.md 17, "Finalization"): copies and updates equal to
 * the global model found, every revealed update tallied by the stakes of the
 * revealed votes of every participant but its proposer (every participant of
 * the round votes, proposers too), accepted or excluded on its own, the
 * accepted ones aggregated by slot weight into the new global model, the
 * round reward paid to accepted proposers by slots and to the revealed
 * voters by stake and agreement on the others' updates, the match from
 * gpool/fl, the slashes, and the updates and verdicts deleted.
 *
 * Integer only, and independent of any order but the participant list's:
 * every loop walks the sorted keys. */
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/params.h"
#include "state/fl.h"
#include "state/flround.h"

#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* One drawn participant of the round. */
struct member {
    const uint8_t *pub;
    struct fl_entry e;
    struct fl_participant p;
    uint64_t pay; /* this round's reward */
};

struct fin {
    struct fl_task_ctx *tc;
    struct fl_round rd;
    struct member *m; /* drawn participants, key order */
    size_t nm;
    size_t *rev;      /* indices in m of the revealed proposers, key order */
    size_t nrev;
    size_t *voters;   /* indices in m of the revealed votes (any role), key order */
    size_t nvot;
    int8_t *verdict;  /* nvot x nrev */
    int64_t *tally;   /* nrev: over the revealed votes but its proposer's */
    uint64_t *vstake; /* nrev: V_i, the stake of those votes */
};

static bool oom(struct fl_task_ctx *tc)
{
    return val_fail(tc->val, VAL_ERROR, REJECT_OUT_OF_MEMORY);
}

/* The round's members, its revealed proposers and votes, the verdicts
 * (from 'f' 'V') and each update's tally and voting stake, its proposer's
 * own verdict left out. */
static bool load(struct fin *f)
{
    struct fl_task_ctx *tc = f->tc;
    const uint32_t r = tc->st.round;
    f->m = calloc(tc->n ? tc->n : 1, sizeof(*f->m));
    f->rev = calloc(tc->n ? tc->n : 1, sizeof(*f->rev));
    f->voters = calloc(tc->n ? tc->n : 1, sizeof(*f->voters));
    if (!f->m || !f->rev || !f->voters)
        return oom(tc);
    for (size_t i = 0; i < tc->n; i++) {
        struct member *x = &f->m[f->nm];
        x->pub = tc->keys + i * PUBKEY_SIZE;
        if (!fl_get_entry(tc->v, tc->id, r, x->pub, &x->e)) {
            if (view_failed(tc->v))
                return fl_ctx_read_error(tc);
            continue; /* not drawn (removed before the round) */
        }
        if (!fl_get_participant(tc->v, tc->id, x->pub, &x->p))
            return fl_ctx_read_error(tc);
        if (x->e.role == FL_ROLE_PROPOSER && (x->e.flags & FL_ENTRY_REVEALED))
            f->rev[f->nrev++] = f->nm;
        if (x->e.vote_flags & FL_VOTE_REVEALED)
            f->voters[f->nvot++] = f->nm;
        f->nm++;
    }
    const size_t nverdicts = f->nvot * f->nrev;
    f->verdict = calloc(nverdicts ? nverdicts : 1, 1);
    f->tally = calloc(f->nrev ? f->nrev : 1, sizeof(*f->tally));
    f->vstake = calloc(f->nrev ? f->nrev : 1, sizeof(*f->vstake));
    if (!f->verdict || !f->tally || !f->vstake)
        return oom(tc);
    if (f->nrev == 0)
        return true;
    /* tally_i = sum of stake_v x verdict_{v,i} and V_i = sum of stake_v
     * over the revealed votes v but that of i's proposer: |tally_i| <= V_i
     * <= the task's stakes, under the supply. */
    __int128 *sum = calloc(f->nrev, sizeof(*sum));
    if (!sum)
        return oom(tc);
    for (size_t v = 0; v < f->nvot; v++) {
        const struct member *x = &f->m[f->voters[v]];
        const uint8_t *data;
        size_t len;
        if (!fl_get_revealed(tc->v, 'V', tc->id, r, x->pub, &data, &len) ||
            len != FL_VERDICT_SIZE * f->nrev) {
            free(sum);
            return fl_ctx_read_error(tc);
        }
        for (size_t i = 0; i < f->nrev; i++) {
            int8_t vd = fl_verdict_at(data, i);
            f->verdict[v * f->nrev + i] = vd;
            if (f->rev[i] == f->voters[v])
                continue; /* its own update: ignored */
            sum[i] += vd > 0 ? (__int128)x->e.stake : -(__int128)x->e.stake;
            f->vstake[i] += x->e.stake;
        }
    }
    for (size_t i = 0; i < f->nrev; i++)
        f->tally[i] = (int64_t)sum[i];
    free(sum);
    return true;
}

/* Each revealed update judged on its own: NO_WORK (the global model
 * itself; two updates equal to it are no work rather than copies of each
 * other), COPY (the same weights as another update of the round), then
 * accepted (tally > 0) or, against two thirds of the stake that voted on it
 * (V_i, its proposer's excluded), HARMFUL.  Returns whether any update had
 * a vote other than its proposer's. */
static bool judge(struct fin *f)
{
    bool judged = false;
    const uint8_t *G = f->tc->st.model_hash;
    for (size_t i = 0; i < f->nrev; i++) {
        struct fl_entry *e = &f->m[f->rev[i]].e;
        e->tally = f->tally[i];
        judged = judged || f->vstake[i] > 0;
        if (memcmp(e->model_hash, G, HASH_SIZE) == 0) {
            e->flags |= FL_ENTRY_NO_WORK;
            continue;
        }
        for (size_t j = 0; j < f->nrev; j++) {
            const struct fl_entry *o = &f->m[f->rev[j]].e;
            if (j != i && memcmp(e->model_hash, o->model_hash, HASH_SIZE) == 0) {
                e->flags |= FL_ENTRY_COPY;
                break;
            }
        }
        if (f->vstake[i] == 0)
            continue; /* nobody else voted on it: neither accepted nor harmful */
        if (fl_accepted(f->tally[i]) && !(e->flags & FL_ENTRY_COPY)) {
            e->flags |= FL_ENTRY_ACCEPTED;
            f->rd.n_accepted++;
            f->rd.accepted_slots += e->slots;
        }
        if (fl_harmful(f->tally[i], f->vstake[i]))
            e->flags |= FL_ENTRY_HARMFUL;
    }
    return judged;
}

/* The accepted updates aggregated with weight = slots into the new global
 * model 'f' 'M' | task | round. */
static bool aggregate(struct fin *f)
{
    struct fl_task_ctx *tc = f->tc;
    const uint32_t r = tc->st.round;
    const size_t P = (size_t)fl_param_count(&tc->t.p.spec);
    struct fl_update_ref *refs = calloc(f->rd.n_accepted, sizeof(*refs));
    uint8_t *model = malloc(P ? 4 * P : 1);
    size_t k = 0;
    bool ok = false;
    if (!refs || !model) {
        oom(tc);
        goto done;
    }
    for (size_t i = 0; i < f->nrev; i++) {
        const struct member *x = &f->m[f->rev[i]];
        size_t len;
        if (!(x->e.flags & FL_ENTRY_ACCEPTED))
            continue;
        if (!fl_get_revealed(tc->v, 'U', tc->id, r, x->pub, &refs[k].weights, &len) ||
            len != 4 * P) {
            fl_ctx_read_error(tc);
            goto done;
        }
        refs[k++].weight = x->e.slots;
    }
    if (!fl_aggregate(tc->t.p.aggregator, tc->t.p.trim_k, refs, k, P, model)) {
        val_fail(tc->val, VAL_ERROR, REJECT_FL_AGGREGATE_FAILED);
        goto done;
    }
    uint8_t mkey[FL_KEY_ROUND_SIZE];
    fl_key_round(mkey, 'M', tc->id, r);
    view_put(tc->v, mkey, sizeof(mkey), model, 4 * P);
    fl_model_hash(tc->st.model_hash, model, P);
    tc->st.model_round = r;
    ok = true;
done:
    free(refs);
    free(model);
    return ok;
}

/* The round reward R = floor((budget_left + slashed_left) / rounds_left):
 * proposer_part to the accepted proposers by slots, voter_part to the
 * revealed votes by stake x agreement on the updates not their own (a
 * proposer that votes is paid both); taken from slashed_left first, then
 * budget_left; the part from budget_left matched from gpool/fl. */
static bool pay(struct fin *f)
{
    struct fl_task_ctx *tc = f->tc;
    const struct fl_task_params *tp = &tc->t.p;
    uint64_t held;
    if (!fl_status_held(&tc->st, &held))
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_POOL_OVERFLOW);
    f->rd.reward = fl_round_reward(held, tp->rounds - tc->st.round + 1);
    f->rd.voter_part = fl_bps(f->rd.reward, tp->voter_reward_bps);
    const uint64_t proposer_part = f->rd.reward - f->rd.voter_part;
    uint64_t X = 0;
    for (size_t i = 0; i < f->nrev; i++) {
        struct member *x = &f->m[f->rev[i]];
        if (x->e.flags & FL_ENTRY_ACCEPTED) {
            /* j <= accepted_slots <= FL_MAX_SLOTS: the share is at most the part. */
            x->pay = (uint64_t)((u128)proposer_part * x->e.slots / f->rd.accepted_slots);
            X += x->pay;
        }
    }
    /* agree_v = verdicts on the updates not v's own equal to the outcome
     * (+1 accepted, -1 otherwise). */
    u128 W = 0;
    for (size_t v = 0; v < f->nvot; v++) {
        struct member *x = &f->m[f->voters[v]];
        uint16_t agree = 0;
        for (size_t i = 0; i < f->nrev; i++) {
            if (f->rev[i] == f->voters[v])
                continue;
            bool acc = f->m[f->rev[i]].e.flags & FL_ENTRY_ACCEPTED;
            agree += f->verdict[v * f->nrev + i] == (acc ? 1 : -1);
        }
        x->e.agree = agree;
        W += (u128)x->e.stake * agree;
    }
    for (size_t v = 0; v < f->nvot && W > 0; v++) {
        struct member *x = &f->m[f->voters[v]];
        /* stake x agree < 2^63 (a stake is below the supply, agree at most
         * FL_MAX_SLOTS): fl_share128 is exact. */
        uint64_t share = fl_share128(f->rd.voter_part, x->e.stake * x->e.agree, W);
        x->pay += share; /* an accepted proposer's slot pay besides */
        X += share;
    }
    /* X <= R <= held: each share is floored. */
    const uint64_t from_slashed = X < tc->st.slashed_left ? X : tc->st.slashed_left;
    const uint64_t from_budget = X - from_slashed;
    if (from_budget > tc->st.budget_left)
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_POOL_SHORT);
    tc->st.slashed_left -= from_slashed;
    tc->st.budget_left -= from_budget;
    f->rd.paid = X;
    tc->st.paid += X;
    /* M = min(gpool/fl, floor(X_b x match_bps / 10000)), shared in
     * proportion to the payouts. */
    const uint64_t M = fl_match(view_get_u64(tc->v, POOL_FL_KEY), from_budget,
                                tc->ctx->params->fl_match_bps);
    for (size_t i = 0; i < f->nm; i++) {
        struct member *x = &f->m[i];
        if (!x->pay)
            continue;
        uint64_t match = X && M ? (uint64_t)((u128)M * x->pay / X) : 0;
        if (!fl_ctx_credit(tc, x->pub, x->pay) ||
            !fl_pool_match(tc->v, x->pub, match, tc->val))
            return false;
        x->e.reward = x->pay;
        x->e.matched = match;
        x->p.rewards += x->pay;
        x->p.matched += match;
        f->rd.matched += match;
    }
    tc->st.matched += f->rd.matched;
    return true;
}

/* floor(stake x slash_bps / 10000) into slashed_left; removal (the rest
 * returned) below min_stake. */
static bool slash(struct fin *f, struct member *x)
{
    struct fl_task_ctx *tc = f->tc;
    uint64_t cut = fl_bps(x->p.stake, tc->t.p.slash_bps);
    x->p.stake -= cut;
    x->p.slashed += cut;
    x->e.slash = cut;
    if (!amount_add(&tc->st.slashed_left, cut) || !amount_add(&tc->st.slashed, cut) ||
        !amount_add(&f->rd.slashed, cut))
        return val_fail(tc->val, VAL_ERROR, REJECT_FL_POOL_OVERFLOW);
    if (x->p.stake >= tc->t.p.min_stake)
        return true;
    if (!fl_ctx_credit(tc, x->pub, x->p.stake))
        return false;
    x->p.returned += x->p.stake;
    x->p.stake = 0;
    x->p.status = FL_PART_REMOVED;
    x->e.flags |= FL_ENTRY_REMOVED;
    tc->st.n_active--;
    return true;
}

static void free_fin(struct fin *f)
{
    free(f->m);
    free(f->rev);
    free(f->voters);
    free(f->verdict);
    free(f->tally);
    free(f->vstake);
}

bool fl_finalize_round(struct fl_task_ctx *tc)
{
    const uint32_t r = tc->st.round;
    struct fin f = {.tc = tc};
    bool ok = false;
    if (tc->st.state != FL_TASK_RUNNING || !fl_get_round(tc->v, tc->id, r, &f.rd)) {
        fl_ctx_read_error(tc);
        goto done;
    }
    if (!load(&f))
        goto done;
    bool judged = judge(&f);
    if (f.nrev == 0)
        f.rd.outcome = FL_OUTCOME_VOID_NO_UPDATES;
    else if (!judged)
        f.rd.outcome = FL_OUTCOME_VOID_NO_VOTES; /* no vote on another's update */
    else
        f.rd.outcome = f.rd.n_accepted ? FL_OUTCOME_ACCEPTED : FL_OUTCOME_REJECTED;
    if (f.rd.n_accepted && !aggregate(&f))
        goto done;
    if ((f.rd.outcome == FL_OUTCOME_ACCEPTED || f.rd.outcome == FL_OUTCOME_REJECTED) && !pay(&f))
        goto done;
    for (size_t i = 0; i < f.nm; i++) {
        struct member *x = &f.m[i];
        uint8_t key[FL_KEY_ENTRY_SIZE];
        const bool proposer = x->e.role == FL_ROLE_PROPOSER;
        const bool revealed = proposer && (x->e.flags & FL_ENTRY_REVEALED);
        const bool voted = x->e.vote_flags & FL_VOTE_REVEALED;
        /* Something to judge: a revealed update not its own. */
        const bool judge_due = f.nrev > (revealed ? 1u : 0u);
        bool slashed = !voted && judge_due;
        if (proposer) {
            slashed = slashed || !revealed || (x->e.flags & (FL_ENTRY_COPY | FL_ENTRY_HARMFUL));
            if (x->e.flags & FL_ENTRY_ACCEPTED) {
                x->p.contribution += x->e.slots;
                tc->st.contribution += x->e.slots;
                x->p.accepted++;
            }
        }
        /* Slashed once a round, whatever the number of reasons. */
        if (slashed && !slash(&f, x))
            goto done;
        fl_put_participant(tc->v, tc->id, x->pub, &x->p);
        fl_put_entry(tc->v, tc->id, r, x->pub, &x->e);
        if (revealed) {
            fl_key_entry(key, 'U', tc->id, r, x->pub);
            view_del(tc->v, key, sizeof(key));
        }
        if (voted) {
            fl_key_entry(key, 'V', tc->id, r, x->pub);
            view_del(tc->v, key, sizeof(key));
        }
    }
    f.rd.model_round = tc->st.model_round;
    memcpy(f.rd.model_hash, tc->st.model_hash, HASH_SIZE);
    f.rd.end_height = tc->height;
    fl_put_round(tc->v, tc->id, r, &f.rd);
    if (view_failed(tc->v)) {
        fl_ctx_read_error(tc);
        goto done;
    }
    ok = fl_end_round(tc, &f.rd);
done:
    free_fin(&f);
    return ok;
}
