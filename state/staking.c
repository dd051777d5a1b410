/* Staking: schedules, proposer and RANDAO checks, emission. */
#include "state/staking.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "state/accounts.h"

#include <stdlib.h>
#include <string.h>

bool staking_may_propose(const struct chain_params *params, const struct validator *val)
{
    uint64_t bonded = val->self_stake;
    return val->status == VALIDATOR_ACTIVE && amount_add(&bonded, val->delegated) &&
           bonded >= params->min_validator_stake;
}

bool staking_may_return(const struct chain_params *params, const struct validator *val)
{
    uint64_t bonded = val->self_stake;
    return val->status == VALIDATOR_DOWNTIME && amount_add(&bonded, val->delegated) &&
           bonded >= params->min_validator_stake;
}

bool staking_get_validator(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct validator *out)
{
    uint8_t key[VALIDATOR_KEY_SIZE];
    const uint8_t *val;
    size_t vlen;
    validator_key(key, pub);
    if (!view_get(v, key, sizeof(key), &val, &vlen))
        return false;
    if (!validator_decode(out, val, vlen)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

/* Evidence is worth it while it jails (a validator not yet jailed, even with
 * nothing left to slash: unjailed, its record would go once it left the list
 * and the key could register again) or slashes something. */
bool staking_evidence_worth(struct view *v, const struct chain_params *params,
                            const uint8_t proposer[PUBKEY_SIZE], uint64_t slot, const char **why)
{
    struct validator val;
    uint8_t key[1 + PUBKEY_SIZE + 8];
    const uint8_t *mark;
    size_t mlen;
    (void)params;
    key[0] = 'S';
    memcpy(key + 1, proposer, PUBKEY_SIZE);
    write_be64(key + 1 + PUBKEY_SIZE, slot);
    if (!staking_get_validator(v, proposer, &val))
        *why = "the signer is not a validator";
    else if (view_get(v, key, sizeof(key), &mark, &mlen))
        *why = "already slashed for this slot";
    else if (val.status == VALIDATOR_JAILED)
        *why = "already jailed by evidence (tombstoned)";
    else
        return true;
    return false;
}

static bool load_schedule(struct view *v, const struct chain_params *params, int which,
                          struct schedule *out)
{
    uint8_t key[2];
    const uint8_t *val;
    size_t vlen;
    schedule_key(key, which);
    if (!view_get(v, key, sizeof(key), &val, &vlen) ||
        !schedule_decode(out, val, vlen, params->max_validators)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void store_schedule(struct view *v, int which, const struct schedule *s)
{
    uint8_t key[2];
    struct wbuf w;
    wbuf_init(&w);
    schedule_key(key, which);
    schedule_encode(s, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

/* The schedule made from the state now: active validators with at least the
 * minimum stake, in key order (the validator list is sorted), and the mix. */
static bool live_schedule(struct view *v, const struct chain_params *params, uint64_t epoch,
                          struct schedule *out)
{
    const uint8_t *list, *keys, *mix;
    size_t list_len, n, mix_len;
    schedule_init(out);
    out->epoch = epoch;
    if (!view_get(v, MIX_KEY, strlen(MIX_KEY), &mix, &mix_len) || mix_len != HASH_SIZE)
        goto fail;
    memcpy(out->seed, mix, HASH_SIZE);
    if (!view_get(v, VALIDATOR_LIST_KEY, 1, &list, &list_len) ||
        !validator_list_decode(&keys, &n, list, list_len, params->max_validators))
        goto fail;
    /* view_get results stay valid only until the next write to the same key;
     * copy the list since the loop below reads other keys. */
    uint8_t *copy = malloc(n * PUBKEY_SIZE + 1);
    if (!copy)
        goto fail;
    memcpy(copy, keys, n * PUBKEY_SIZE);
    out->entries = calloc(n + 1, sizeof(*out->entries));
    if (!out->entries) {
        free(copy);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        struct validator val;
        uint64_t stake;
        if (!staking_get_validator(v, copy + i * PUBKEY_SIZE, &val)) {
            free(copy);
            goto fail;
        }
        stake = val.self_stake;
        if (val.status != VALIDATOR_ACTIVE || !amount_add(&stake, val.delegated) ||
            stake == 0 || stake < params->min_validator_stake)
            continue;
        memcpy(out->entries[out->n].pubkey, copy + i * PUBKEY_SIZE, PUBKEY_SIZE);
        out->entries[out->n].stake = stake;
        out->total += stake;
        out->n++;
    }
    free(copy);
    return true;
fail:
    view_set_failed(v);
    schedule_free(out);
    return false;
}

/* The stake snapshot taken at the last epoch boundary ('E' | 2), with the
 * current mix as its seed.  Before the first boundary there is none: the
 * stakes then are the genesis stakes, those of the stored next schedule. */
static bool snapshot_schedule(struct view *v, const struct chain_params *params, uint64_t epoch,
                              struct schedule *out)
{
    uint8_t key[2];
    const uint8_t *val, *mix;
    size_t vlen, mix_len;
    schedule_key(key, SCHEDULE_STAKES);
    if (!view_get(v, key, sizeof(key), &val, &vlen)) {
        if (view_failed(v) || !load_schedule(v, params, SCHEDULE_NEXT, out))
            return false;
    } else if (!schedule_decode(out, val, vlen, params->max_validators)) {
        view_set_failed(v);
        return false;
    }
    out->epoch = epoch;
    if (!view_get(v, MIX_KEY, strlen(MIX_KEY), &mix, &mix_len) || mix_len != HASH_SIZE) {
        view_set_failed(v);
        schedule_free(out);
        return false;
    }
    memcpy(out->seed, mix, HASH_SIZE);
    return true;
}

bool staking_schedule_for(struct view *v, const struct chain_params *params, uint64_t prev_slot,
                          uint64_t slot, struct schedule *out)
{
    uint64_t e = params_epoch_of(params, slot), prev_e = params_epoch_of(params, prev_slot);
    /* Epoch e is drawn from the stakes as of the end of epoch e-3 with the
     * mix as of the end of epoch e-2: the stakes are fixed an epoch before
     * the mix they meet is known, so no proposer can choose stake changes
     * knowing the mix.  The parent's state is the state at the end of prev_e
     * and of every later epoch before e (no blocks since); the snapshot 'E'|2
     * holds the stakes at the end of prev_e - 1.  So: same epoch -> the
     * stored current schedule; the next -> the stored next one; prev_e + 2 ->
     * the snapshot with the parent's mix; later -> the parent's state. */
    if (e == prev_e)
        return load_schedule(v, params, SCHEDULE_CUR, out);
    if (e == prev_e + 1)
        return load_schedule(v, params, SCHEDULE_NEXT, out);
    if (e == prev_e + 2)
        return snapshot_schedule(v, params, e, out);
    return live_schedule(v, params, e, out);
}

bool staking_leader_for(struct view *v, const struct chain_params *params, uint64_t prev_slot,
                        uint64_t slot, uint8_t out[PUBKEY_SIZE])
{
    struct schedule s;
    size_t idx;
    if (!staking_schedule_for(v, params, prev_slot, slot, &s))
        return false;
    bool ok = schedule_leader(&s, slot, &idx);
    if (ok)
        memcpy(out, s.entries[idx].pubkey, PUBKEY_SIZE);
    schedule_free(&s);
    return ok;
}

static bool in_schedule(const struct schedule *s, const uint8_t pub[PUBKEY_SIZE])
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(s->entries[mid].pubkey, pub, PUBKEY_SIZE);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* At an epoch boundary, after the rotation: every validator of the list
 * that is in none of the schedules in force and could not be drawn from the
 * state now (jailed, or bonded stake below min_validator_stake) leaves the
 * list, freeing its slot, and is retired (staking_retire); one jailed for
 * downtime that still has the minimum bonded stays (it may UNJAIL).
 * O(max_validators). */
static bool prune_validators(struct view *v, struct block_ctx *ctx, const struct schedule *cur,
                             const struct schedule *next, struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    const uint8_t *list, *keys;
    size_t len, n, kept = 0;
    if (!view_get(v, VALIDATOR_LIST_KEY, 1, &list, &len) ||
        !validator_list_decode(&keys, &n, list, len, p->max_validators))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    uint8_t(*copy)[PUBKEY_SIZE] = malloc(n * PUBKEY_SIZE + 1);
    if (!copy)
        return val_fail(vs, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    memcpy(copy, keys, n * PUBKEY_SIZE);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        struct validator val;
        if (in_schedule(cur, copy[i]) || in_schedule(next, copy[i])) {
            memmove(copy[kept++], copy[i], PUBKEY_SIZE);
            continue;
        }
        if (!staking_get_validator(v, copy[i], &val)) {
            ok = val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
            break;
        }
        /* A validator jailed for downtime keeps its place (and its stake
         * bonded, slashable) while it can come back with an UNJAIL. */
        if (staking_may_propose(p, &val) || staking_may_return(p, &val)) {
            memmove(copy[kept++], copy[i], PUBKEY_SIZE);
            continue;
        }
        ok = staking_retire(v, ctx, copy[i], &val, vs);
    }
    if (ok && kept < n) {
        struct wbuf w;
        wbuf_init(&w);
        validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])copy, kept, &w);
        view_put_wbuf(v, VALIDATOR_LIST_KEY, 1, &w);
        wbuf_free(&w);
    }
    free(copy);
    return ok;
}

/* At the first block of a new epoch e (parent in prev_e < e): the current
 * schedule becomes the one for e (staking_schedule_for), the next one (e+1)
 * is drawn from the stakes at the end of e-2 with the mix now (the end of
 * e-1), and the snapshot takes the stakes now. */
static bool rotate_schedules(struct view *v, struct block_ctx *ctx, struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    uint64_t e = params_epoch_of(p, ctx->hdr->slot), prev_e = params_epoch_of(p, ctx->prev_slot);
    struct schedule cur, next, now;
    uint8_t key[2];
    struct wbuf w;
    if (!staking_schedule_for(v, p, ctx->prev_slot, ctx->hdr->slot, &cur))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    bool ok = e == prev_e + 1 ? snapshot_schedule(v, p, e + 1, &next)
                              : live_schedule(v, p, e + 1, &next);
    if (!ok) {
        schedule_free(&cur);
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    }
    if (!live_schedule(v, p, e, &now)) {
        schedule_free(&cur);
        schedule_free(&next);
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    }
    memset(now.seed, 0, HASH_SIZE);
    store_schedule(v, SCHEDULE_CUR, &cur);
    store_schedule(v, SCHEDULE_NEXT, &next);
    schedule_key(key, SCHEDULE_STAKES);
    wbuf_init(&w);
    schedule_encode(&now, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    /* `now` holds every validator that can be drawn from the state now, so
     * a validator leaving the list appears in no schedule to come either. */
    ok = prune_validators(v, ctx, &cur, &next, vs);
    schedule_free(&cur);
    schedule_free(&next);
    schedule_free(&now);
    return ok;
}

/* ---- liveness: missed slots and the downtime jail (doc/protocol.md 16.7) ---- */

bool staking_get_liveness(struct view *v, uint64_t epoch, const uint8_t pub[PUBKEY_SIZE],
                          struct liveness *out)
{
    uint8_t key[LIVENESS_KEY_SIZE];
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    liveness_key(key, epoch, pub);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!liveness_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void put_liveness(struct view *v, uint64_t epoch, const uint8_t pub[PUBKEY_SIZE],
                         const struct liveness *l)
{
    uint8_t key[LIVENESS_KEY_SIZE];
    struct wbuf w;
    liveness_key(key, epoch, pub);
    wbuf_init(&w);
    liveness_encode(l, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

/* Adds led (and missed) to pub's counts of epoch. */
static bool add_liveness(struct view *v, uint64_t epoch, const uint8_t pub[PUBKEY_SIZE],
                         uint32_t led, uint32_t missed)
{
    struct liveness l;
    if (!staking_get_liveness(v, epoch, pub, &l))
        return false;
    l.led += led;
    l.missed += missed;
    put_liveness(v, epoch, pub, &l);
    return !view_failed(v);
}

/* The empty slots [first, end) of one epoch, led under schedule s: each
 * counts as led and missed for its leader, when that leader could have
 * proposed (active with the minimum bonded: the slots of a jailed or
 * unbonded leader are empty by rule, not by its fault).  end - first is at
 * most epoch_slots: one draw per slot, O(log n) each, then one record read
 * and write per leader that missed. */
static bool count_missed(struct view *v, const struct chain_params *p, const struct schedule *s,
                         uint64_t epoch, uint64_t first, uint64_t end, struct validation *vs)
{
    if (first >= end || s->n == 0)
        return true;
    uint64_t *prefix = schedule_prefix(s);
    uint32_t *missed = calloc(s->n, sizeof(*missed));
    bool ok = prefix && missed;
    for (uint64_t slot = first; ok && slot < end; slot++) {
        size_t idx;
        if (schedule_leader_prefix(s, prefix, slot, &idx))
            missed[idx]++;
    }
    for (size_t i = 0; ok && i < s->n; i++) {
        struct validator val;
        if (!missed[i])
            continue;
        if (!staking_get_validator(v, s->entries[i].pubkey, &val)) {
            ok = !view_failed(v);
            continue;
        }
        if (staking_may_propose(p, &val))
            ok = add_liveness(v, epoch, s->entries[i].pubkey, missed[i], missed[i]);
    }
    free(prefix);
    free(missed);
    return ok || val_fail(vs, VAL_ERROR,
                          view_failed(v) ? REJECT_STATE_READ_ERROR : REJECT_OUT_OF_MEMORY);
}

/* Judges the finished epoch `epoch` at the first block of a later epoch,
 * before the schedules rotate: every validator of the list whose counts are
 * over the threshold (liveness_over) and that is still active is jailed for
 * downtime until downtime_jail_epochs after the judging block's epoch and
 * loses downtime_slash_bps of its self-stake and of its delegations (burned,
 * no bounty).  Nobody is jailed when the network as a whole missed more than
 * downtime_jail_bps of the epoch's counted slots (an outage of the network
 * is not one validator's fault; it also means at least one validator that
 * led a slot always stays).  The counts of the epoch are deleted.  Work: one
 * read and one delete per validator of the list (at most max_validators). */
static bool judge_epoch(struct view *v, struct block_ctx *ctx, uint64_t epoch,
                        struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    const uint8_t *list, *keys;
    size_t len, n;
    uint64_t sum_led = 0, sum_missed = 0, burned = 0;
    if (!view_get(v, VALIDATOR_LIST_KEY, 1, &list, &len) ||
        !validator_list_decode(&keys, &n, list, len, p->max_validators))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    uint8_t(*copy)[PUBKEY_SIZE] = malloc(n * PUBKEY_SIZE + 1);
    struct liveness *l = calloc(n + 1, sizeof(*l));
    bool ok = copy && l;
    if (ok)
        memcpy(copy, keys, n * PUBKEY_SIZE);
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t key[LIVENESS_KEY_SIZE];
        ok = staking_get_liveness(v, epoch, copy[i], &l[i]);
        if (ok && l[i].led) {
            liveness_key(key, epoch, copy[i]);
            view_del(v, key, sizeof(key));
            sum_led += l[i].led;
            sum_missed += l[i].missed;
        }
    }
    bool judge = ok && sum_led && sum_missed * 10000 <= sum_led * p->downtime_jail_bps;
    for (size_t i = 0; judge && ok && i < n; i++) {
        struct validator val;
        if (!liveness_over(&l[i], p->downtime_jail_bps, p->downtime_min_slots))
            continue;
        if (!staking_get_validator(v, copy[i], &val)) {
            ok = false;
            break;
        }
        if (val.status != VALIDATOR_ACTIVE)
            continue;
        uint64_t self_cut = mul_div_floor(val.self_stake, p->downtime_slash_bps, 10000);
        uint64_t del_cut = mul_div_floor(val.delegated, p->downtime_slash_bps, 10000);
        val.self_stake -= self_cut;
        val.delegated -= del_cut;
        burned += self_cut + del_cut;
        val.status = VALIDATOR_DOWNTIME;
        val.jailed_until = params_epoch_of(p, ctx->hdr->slot) + p->downtime_jail_epochs;
        ok = staking_put_validator(v, copy[i], &val);
    }
    free(copy);
    free(l);
    if (!ok)
        return val_fail(vs, VAL_ERROR, view_failed(v) ? REJECT_STATE_READ_ERROR : REJECT_OUT_OF_MEMORY);
    if (burned) {
        uint64_t supply = view_get_u64(v, SUPPLY_KEY);
        if (burned > supply)
            return val_fail(vs, VAL_ERROR, REJECT_SUPPLY_UNDERFLOW);
        view_put_u64(v, SUPPLY_KEY, supply - burned);
        if (!staking_add_stat(v, STAT_BURNED, burned))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    }
    return true;
}

/* Before the rotation at the first block of epoch e (parent in pe < e): the
 * empty slots after the parent up to the end of pe, when pe = e - 1 (an
 * epoch with no block judges nobody and counts nothing), under the schedule
 * in force in pe; then pe is judged. */
static bool liveness_epoch_end(struct view *v, struct block_ctx *ctx, struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    uint64_t e = params_epoch_of(p, ctx->hdr->slot), pe = params_epoch_of(p, ctx->prev_slot);
    if (pe + 1 == e) {
        struct schedule cur;
        if (!load_schedule(v, p, SCHEDULE_CUR, &cur))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
        bool ok = count_missed(v, p, &cur, pe, ctx->prev_slot + 1, e * (uint64_t)p->epoch_slots, vs);
        schedule_free(&cur);
        if (!ok)
            return false;
    }
    return judge_epoch(v, ctx, pe, vs);
}

/* After the proposer checks: the empty slots of the block's epoch before it
 * (after its parent), under the schedule in force now, and the proposer's
 * block. */
static bool liveness_block(struct view *v, struct block_ctx *ctx, struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    uint64_t e = params_epoch_of(p, ctx->hdr->slot);
    uint64_t first = e * (uint64_t)p->epoch_slots;
    struct schedule cur;
    if (ctx->prev_slot + 1 > first)
        first = ctx->prev_slot + 1;
    if (first < ctx->hdr->slot) {
        if (!load_schedule(v, p, SCHEDULE_CUR, &cur))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
        bool ok = count_missed(v, p, &cur, e, first, ctx->hdr->slot, vs);
        schedule_free(&cur);
        if (!ok)
            return false;
    }
    return add_liveness(v, e, ctx->hdr->proposer, 1, 0) ||
           val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool staking_begin_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const struct block_header *hdr = ctx->hdr;
    const struct chain_params *p = ctx->params;
    struct schedule sched;
    struct validator proposer;
    uint8_t mix[HASH_SIZE];
    const uint8_t *cur_mix;
    size_t idx, mix_len;

    if (params_epoch_of(p, hdr->slot) > params_epoch_of(p, ctx->prev_slot) &&
        ((p->downtime_jail_bps && !liveness_epoch_end(v, ctx, val)) ||
         !rotate_schedules(v, ctx, val)))
        return false;

    if (!load_schedule(v, p, SCHEDULE_CUR, &sched))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    bool leader = schedule_leader(&sched, hdr->slot, &idx) &&
                  memcmp(sched.entries[idx].pubkey, hdr->proposer, PUBKEY_SIZE) == 0;
    schedule_free(&sched);
    if (!leader)
        return val_fail(val, VAL_CONSENSUS, REJECT_BAD_BLK_PROPOSER);

    if (!staking_get_validator(v, hdr->proposer, &proposer))
        return val_fail(val, VAL_CONSENSUS, REJECT_BAD_BLK_PROPOSER);
    /* A jailed validator's remaining slots in the current schedules stay
     * empty, and so do those of a validator that no longer has
     * min_validator_stake bonded: its stake waits in the unbonding queue,
     * where no evidence reaches it. */
    if (proposer.status != VALIDATOR_ACTIVE)
        return val_fail(val, VAL_CONSENSUS, REJECT_BAD_BLK_PROPOSER_JAILED);
    if (!staking_may_propose(p, &proposer))
        return val_fail(val, VAL_CONSENSUS, REJECT_BAD_BLK_PROPOSER_UNBONDED);
    if (!randao_check(hdr->randao_reveal, proposer.randao_commit))
        return val_fail(val, VAL_CONSENSUS, REJECT_BAD_BLK_RANDAO);
    memcpy(proposer.randao_commit, hdr->randao_reveal, HASH_SIZE);
    proposer.reveals++;
    if (!staking_put_validator(v, hdr->proposer, &proposer))
        return val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    if (p->downtime_jail_bps && !liveness_block(v, ctx, val))
        return false;

    if (!view_get(v, MIX_KEY, strlen(MIX_KEY), &cur_mix, &mix_len) || mix_len != HASH_SIZE)
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    randao_mix(mix, cur_mix, hdr->randao_reveal);
    view_put(v, MIX_KEY, strlen(MIX_KEY), mix, HASH_SIZE);
    return true;
}

static bool add_to_pool(struct view *v, const char *key, uint64_t amount)
{
    uint64_t pool = view_get_u64(v, key);
    if (!amount_add(&pool, amount))
        return false;
    view_put_u64(v, key, pool);
    return true;
}

bool staking_get_stats(struct view *v, struct staking_stats *out)
{
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    if (!view_get(v, STATS_KEY, strlen(STATS_KEY), &val, &len))
        return !view_failed(v);
    if (!staking_stats_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void staking_put_stats(struct view *v, const struct staking_stats *st)
{
    struct wbuf w;
    wbuf_init(&w);
    staking_stats_encode(st, &w);
    view_put_wbuf(v, STATS_KEY, strlen(STATS_KEY), &w);
    wbuf_free(&w);
}

bool staking_end_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const struct chain_params *p = ctx->params;
    uint64_t supply = view_get_u64(v, SUPPLY_KEY);
    uint64_t minted = emission_at(p, ctx->hdr->height, supply);
    struct emission_split split;

    if (!staking_release_unbonding(v, ctx->hdr->height, val))
        return false;
    emission_split(p, minted, &split);
    /* The pools hold coins that exist, so they stay within the supply; the
     * statistics cannot fail (they count modulo 2^64). */
    if (!add_to_pool(v, POOL_FL_KEY, split.fl) || !add_to_pool(v, POOL_ARENA_KEY, split.arena) ||
        !add_to_pool(v, POOL_MARKET_KEY, split.market))
        return val_fail(val, VAL_ERROR, REJECT_REWARD_OVERFLOW);
    if (!staking_add_stat(v, STAT_MINTED, minted) || !staking_add_stat(v, STAT_FEES, ctx->fees))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (!staking_pay_proposer(v, ctx->hdr->proposer, params_epoch_of(p, ctx->hdr->slot),
                              split.proposer, ctx->fees, val))
        return false;
    view_put_u64(v, SUPPLY_KEY, supply + minted);
    return true;
}
