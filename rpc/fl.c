/* FL Alliance methods (category "FL"): tasks, rounds, revealed updates and
 * models as the state holds them at the tip.  Read-only; the wallet side
 * (wallet/rpcfl.c) builds the transactions.  Amounts are FML, weights Q16.16
 * (shown both as the integers and as exact decimals). */
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shapes ---- */

static json_t *q16_real(int32_t q)
{
    return json_real((double)q / FL_Q16_ONE); /* exact: q / 2^16 fits a double */
}

static json_t *aggregator_json(const struct fl_task_params *p)
{
    const char *name = fl_aggregator_name(p->aggregator);
    char buf[32];
    if (!name)
        return json_integer(p->aggregator);
    if (p->aggregator != FL_AGG_TRIMMED_MEAN)
        return json_string(name);
    snprintf(buf, sizeof(buf), "%s:%u", name, p->trim_k);
    return json_string(buf);
}

static json_t *spec_json(const struct fl_spec *s)
{
    json_t *o = json_object(), *sizes = json_array(), *norm = json_array();
    const char *kind = fl_model_kind_name(s->kind);
    for (uint32_t i = 0; i < s->n_sizes; i++)
        json_array_append_new(sizes, json_integer(s->sizes[i]));
    for (uint32_t i = 0; i < s->n_norm; i++) {
        int32_t mean = (int32_t)read_le32(s->norm + 8 * i), std = (int32_t)read_le32(s->norm + 8 * i + 4);
        json_t *f = json_object();
        json_object_set_new(f, "mean", q16_real(mean));
        json_object_set_new(f, "std", q16_real(std));
        json_object_set_new(f, "mean_q16", json_integer(mean));
        json_object_set_new(f, "std_q16", json_integer(std));
        json_array_append_new(norm, f);
    }
    json_object_set_new(o, "kind", kind ? json_string(kind) : json_integer(s->kind));
    json_object_set_new(o, "sizes", sizes);
    json_object_set_new(o, "parameters", json_integer((json_int_t)fl_param_count(s)));
    json_object_set_new(o, "normalization", norm);
    return o;
}

/* Where a task stands for the next block (doc/rpc.md "FL Alliance"). */
static const char *phase_of(const struct fl_task *t, const struct fl_status *st, uint64_t next,
                            struct fl_windows *win)
{
    switch (st->state) {
    case FL_TASK_OPEN: return "joining";
    case FL_TASK_RUNNING:
        fl_round_windows(&t->p, st->round_start, win);
        return next <= win->submit_end          ? "submit"
               : next <= win->update_reveal_end ? "update_reveal"
               : next <= win->commit_end        ? "commit"
                                                : "reveal";
    case FL_TASK_COMPLETED: return "completed";
    case FL_TASK_CANCELLED: return "cancelled";
    }
    return "unknown";
}

static json_t *windows_json(const struct fl_windows *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "submit_start", json_integer((json_int_t)w->submit_start));
    json_object_set_new(o, "submit_end", json_integer((json_int_t)w->submit_end));
    json_object_set_new(o, "update_reveal_start", json_integer((json_int_t)w->update_reveal_start));
    json_object_set_new(o, "update_reveal_end", json_integer((json_int_t)w->update_reveal_end));
    json_object_set_new(o, "commit_start", json_integer((json_int_t)w->commit_start));
    json_object_set_new(o, "commit_end", json_integer((json_int_t)w->commit_end));
    json_object_set_new(o, "reveal_start", json_integer((json_int_t)w->reveal_start));
    json_object_set_new(o, "reveal_end", json_integer((json_int_t)w->reveal_end));
    return o;
}

/* The task of argument idx with its status; NULL view with the error raised
 * otherwise.  The caller frees the view (task fields point into it). */
static struct view *load_task(struct rpc_call *call, size_t idx, uint8_t id[HASH_SIZE],
                              struct fl_task *t, struct fl_status *st)
{
    if (!rpc_arg_hash(call, idx, "task", id))
        return NULL;
    struct view *v = chain_view(rpc_env(call)->chain);
    if (!v) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        return NULL;
    }
    if (!fl_get_task(v, id, t) || !fl_get_status(v, id, st)) {
        bool failed = view_failed(v);
        view_free(v);
        if (failed)
            rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        else
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Task not found");
        return NULL;
    }
    return v;
}

/* ---- fllisttasks ---- */

struct list_ctx {
    struct rpc_call *call;
    struct view *view;
    json_t *out;
    bool ok;
};

static bool add_task(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct list_ctx *lc = arg;
    const struct chain_params *p = rpc_env(lc->call)->params;
    struct fl_status st;
    struct fl_task t;
    const uint8_t *id = key + 2;
    if (klen != FL_KEY_TASK_SIZE || !fl_status_decode(&st, val, vlen) ||
        !fl_get_task(lc->view, id, &t))
        return lc->ok = false;
    json_t *o = json_object();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "creator", json_address(p, t.creator));
    json_object_set_new(o, "created_height", json_integer((json_int_t)t.created_height));
    json_object_set_new(o, "state", json_string(fl_task_state_name(st.state)));
    json_object_set_new(o, "round", json_integer(st.round));
    json_object_set_new(o, "rounds", json_integer(t.p.rounds));
    json_object_set_new(o, "participants", json_integer(st.n_participants));
    json_object_set_new(o, "active", json_integer(st.n_active));
    json_object_set_new(o, "model", json_string(fl_model_kind_name(t.p.spec.kind)));
    json_object_set_new(o, "budget", json_amount(t.p.budget));
    json_object_set_new(o, "budget_left", json_amount(st.budget_left));
    json_array_append_new(lc->out, o);
    return true;
}

static json_t *fllisttasks(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct list_ctx lc = {call, chain_view(env->chain), json_array(), true};
    bool ok = lc.view && chain_scan_state(env->chain, "fS", 2, add_task, &lc) && lc.ok;
    view_free(lc.view);
    if (!ok) {
        json_decref(lc.out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return lc.out;
}

/* ---- flgettask ---- */

static json_t *participant_json(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE],
                                const struct fl_participant *pt)
{
    json_t *o = json_object();
    const unsigned __int128 c = pt->contribution;
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "status", json_string(fl_participant_status_name(pt->status)));
    json_object_set_new(o, "stake", json_amount(pt->stake));
    json_object_set_new(o, "joined_height", json_integer((json_int_t)pt->joined_height));
    /* Slot units: at most rounds x FL_MAX_SLOTS, far below 2^63. */
    json_object_set_new(o, "contribution", json_integer(c > INT64_MAX ? INT64_MAX : (json_int_t)c));
    json_object_set_new(o, "accepted_updates", json_integer(pt->accepted));
    json_object_set_new(o, "rounds_proposer", json_integer(pt->rounds_proposer));
    json_object_set_new(o, "rounds_voter", json_integer(pt->rounds_voter));
    json_object_set_new(o, "rewards", json_amount(pt->rewards));
    json_object_set_new(o, "matched", json_amount(pt->matched));
    json_object_set_new(o, "slashed", json_amount(pt->slashed));
    json_object_set_new(o, "returned", json_amount(pt->returned));
    return o;
}

static json_t *flgettask(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE], *keys = NULL;
    struct fl_task t;
    struct fl_status st;
    struct fl_windows win;
    size_t n = 0;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!fl_get_participants(v, id, &keys, &n)) {
        view_free(v);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    const uint64_t next = chain_height(env->chain) + 1;
    json_t *o = json_object(), *parts = json_array(), *allow = json_array();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "creator", json_address(p, t.creator));
    json_object_set_new(o, "created_height", json_integer((json_int_t)t.created_height));
    json_object_set_new(o, "state", json_string(fl_task_state_name(st.state)));
    json_object_set_new(o, "phase", json_string(phase_of(&t, &st, next, &win)));
    json_object_set_new(o, "round", json_integer(st.round));
    json_object_set_new(o, "rounds", json_integer(t.p.rounds));
    json_object_set_new(o, "join_start", json_integer((json_int_t)t.created_height + 1));
    json_object_set_new(o, "join_end", json_integer((json_int_t)fl_join_end(&t)));
    json_object_set_new(o, "windows", st.state == FL_TASK_RUNNING ? windows_json(&win) : json_null());
    json_object_set_new(o, "end_height", st.end_height ? json_integer((json_int_t)st.end_height) : json_null());
    json_object_set_new(o, "model", spec_json(&t.p.spec));
    json_object_set_new(o, "model_round", json_integer(st.model_round));
    json_object_set_new(o, "model_hash", json_hash(st.model_hash));
    json_object_set_new(o, "min_participants", json_integer(t.p.min_participants));
    json_object_set_new(o, "max_participants", json_integer(t.p.max_participants));
    json_object_set_new(o, "min_stake", json_amount(t.p.min_stake));
    json_object_set_new(o, "proposer_slots", json_integer(t.p.proposer_slots));
    json_object_set_new(o, "join_blocks", json_integer(t.p.join_blocks));
    json_object_set_new(o, "submit_blocks", json_integer(t.p.submit_blocks));
    json_object_set_new(o, "update_reveal_blocks", json_integer(t.p.update_reveal_blocks));
    json_object_set_new(o, "commit_blocks", json_integer(t.p.commit_blocks));
    json_object_set_new(o, "reveal_blocks", json_integer(t.p.reveal_blocks));
    json_object_set_new(o, "aggregator", aggregator_json(&t.p));
    json_object_set_new(o, "slash_bps", json_integer(t.p.slash_bps));
    json_object_set_new(o, "voter_reward_bps", json_integer(t.p.voter_reward_bps));
    for (uint64_t i = 0; i < t.p.n_allow; i++)
        json_array_append_new(allow, json_address(p, t.p.allow + i * PUBKEY_SIZE));
    json_object_set_new(o, "allowlist", allow);
    json_object_set_new(o, "burn_bps", json_integer(p->fl_burn_bps));
    json_object_set_new(o, "match_bps", json_integer(p->fl_match_bps));
    json_object_set_new(o, "budget", json_amount(st.budget));
    json_object_set_new(o, "burn", json_amount(st.burn));
    json_object_set_new(o, "budget_left", json_amount(st.budget_left));
    json_object_set_new(o, "slashed_left", json_amount(st.slashed_left));
    json_object_set_new(o, "slashed", json_amount(st.slashed));
    json_object_set_new(o, "rewards_paid", json_amount(st.paid));
    json_object_set_new(o, "matched", json_amount(st.matched));
    json_object_set_new(o, "returned_to_creator", json_amount(st.returned));
    json_object_set_new(o, "active", json_integer(st.n_active));
    /* Slot units: at most rounds x FL_MAX_SLOTS per participant. */
    json_object_set_new(o, "contribution",
                        json_integer(st.contribution > INT64_MAX ? INT64_MAX
                                                                 : (json_int_t)st.contribution));
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        struct fl_participant pt;
        ok = fl_get_participant(v, id, keys + i * PUBKEY_SIZE, &pt);
        if (ok)
            json_array_append_new(parts, participant_json(p, keys + i * PUBKEY_SIZE, &pt));
    }
    json_object_set_new(o, "participants", parts);
    free(keys);
    view_free(v);
    if (!ok) {
        json_decref(o);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return o;
}

/* ---- flgetround ---- */

/* What became of a proposer's update (doc/rpc.md "FL Alliance"). */
static const char *proposer_status(const struct fl_entry *e, bool closed)
{
    if (e->flags & FL_ENTRY_COPY)
        return "copy";
    if (e->flags & FL_ENTRY_HARMFUL)
        return "harmful";
    if (e->flags & FL_ENTRY_NO_WORK)
        return "no_work";
    if (e->flags & FL_ENTRY_ACCEPTED)
        return "accepted";
    if (!closed)
        return "pending";
    if (!(e->flags & FL_ENTRY_COMMITTED))
        return "not_committed";
    if (!(e->flags & FL_ENTRY_REVEALED))
        return "not_revealed";
    return "excluded";
}

static json_t *signed_amount(int64_t x)
{
    return json_amount_signed(x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x, x < 0);
}

static void vote_json(json_t *o, const struct chain_params *p, const struct fl_entry *e,
                      const uint8_t *verdicts, size_t n, const uint8_t *order, size_t n_order);

static json_t *proposer_json(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE],
                             const struct fl_entry *e, bool closed, const uint8_t *verdicts,
                             size_t n, const uint8_t *order, size_t n_order)
{
    json_t *o = json_object();
    const bool com = e->flags & FL_ENTRY_COMMITTED, rev = e->flags & FL_ENTRY_REVEALED;
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "slots", json_integer(e->slots));
    json_object_set_new(o, "stake", json_amount(e->stake));
    json_object_set_new(o, "committed", json_boolean(com));
    json_object_set_new(o, "commitment", com ? json_hash(e->commitment) : json_null());
    json_object_set_new(o, "revealed", json_boolean(rev));
    json_object_set_new(o, "model_hash", rev ? json_hash(e->model_hash) : json_null());
    json_object_set_new(o, "size", rev ? json_integer(e->size) : json_null());
    json_object_set_new(o, "tally", signed_amount(e->tally));
    json_object_set_new(o, "status", json_string(proposer_status(e, closed)));
    vote_json(o, p, e, verdicts, n, order, n_order);
    json_object_set_new(o, "reward", json_amount(e->reward));
    json_object_set_new(o, "matched", json_amount(e->matched));
    json_object_set_new(o, "slashed", json_amount(e->slash));
    json_object_set_new(o, "removed", json_boolean(e->flags & FL_ENTRY_REMOVED));
    return o;
}

/* The vote of any participant of the round (proposers vote too): verdicts
 * is its stored 'V' record (n x (verdict i8 | metric i32)), NULL once
 * deleted; order: the revealed proposers (n_order of them). */
static void vote_json(json_t *o, const struct chain_params *p, const struct fl_entry *e,
                      const uint8_t *verdicts, size_t n, const uint8_t *order, size_t n_order)
{
    const bool com = e->vote_flags & FL_VOTE_COMMITTED, rev = e->vote_flags & FL_VOTE_REVEALED;
    json_object_set_new(o, "vote_committed", json_boolean(com));
    json_object_set_new(o, "vote_commitment", com ? json_hash(e->vote_commitment) : json_null());
    json_object_set_new(o, "vote_revealed", json_boolean(rev));
    if (verdicts) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_object();
            int32_t m = fl_metric_at(verdicts, i);
            char dec[FL_Q16_DEC_MAX];
            fl_q16_format(m, dec);
            json_object_set_new(x, "proposer", i < n_order ? json_address(p, order + i * PUBKEY_SIZE)
                                                           : json_null());
            json_object_set_new(x, "verdict", json_integer(fl_verdict_at(verdicts, i)));
            json_object_set_new(x, "metric", json_string(dec));
            json_object_set_new(x, "metric_q16", json_integer(m));
            json_array_append_new(a, x);
        }
        json_object_set_new(o, "verdicts", a);
    } else {
        json_object_set_new(o, "verdicts", json_null());
    }
    json_object_set_new(o, "n_verdicts", rev ? json_integer(e->verdicts) : json_null());
    json_object_set_new(o, "agree", rev ? json_integer(e->agree) : json_null());
}

static json_t *voter_json(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE],
                          const struct fl_entry *e, const uint8_t *verdicts, size_t n,
                          const uint8_t *order, size_t n_order)
{
    json_t *o = json_object();
    const bool com = e->vote_flags & FL_VOTE_COMMITTED, rev = e->vote_flags & FL_VOTE_REVEALED;
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "stake", json_amount(e->stake));
    /* A voter's committed / commitment / revealed are its vote's. */
    json_object_set_new(o, "committed", json_boolean(com));
    json_object_set_new(o, "commitment", com ? json_hash(e->vote_commitment) : json_null());
    json_object_set_new(o, "revealed", json_boolean(rev));
    vote_json(o, p, e, verdicts, n, order, n_order);
    json_object_set_new(o, "reward", json_amount(e->reward));
    json_object_set_new(o, "matched", json_amount(e->matched));
    json_object_set_new(o, "slashed", json_amount(e->slash));
    json_object_set_new(o, "removed", json_boolean(e->flags & FL_ENTRY_REMOVED));
    return o;
}

/* A round number argument: 1 .. the current round. */
static bool round_arg(struct rpc_call *call, size_t idx, const struct fl_status *st, uint32_t *out)
{
    uint64_t r = rpc_uint(call, idx, 0);
    if (r == 0 || r > st->round) {
        rpc_error(call, RPC_INVALID_PARAMETER, "Round %llu not found (the task is at round %u)",
                  (unsigned long long)r, st->round);
        return false;
    }
    *out = (uint32_t)r;
    return true;
}

static const char *round_phase(const struct fl_round *rd, const struct fl_windows *w,
                               uint64_t next)
{
    return rd->end_height                  ? "closed"
           : next <= w->submit_end        ? "submit"
           : next <= w->update_reveal_end ? "update_reveal"
           : next <= w->commit_end        ? "commit"
                                          : "reveal";
}

static json_t *flgetround(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE], *keys = NULL, *order = NULL;
    struct fl_task t;
    struct fl_status st;
    struct fl_round rd;
    struct fl_windows win;
    uint32_t r;
    size_t n = 0, n_order = 0;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!round_arg(call, 1, &st, &r)) {
        view_free(v);
        return NULL;
    }
    if (!fl_get_round(v, id, r, &rd) || !fl_get_participants(v, id, &keys, &n)) {
        view_free(v);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    const uint64_t next = chain_height(env->chain) + 1;
    const bool closed = rd.end_height != 0;
    fl_round_windows(&t.p, rd.start, &win);
    json_t *o = json_object(), *props = json_array(), *voters = json_array(), *ord = json_array();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "round", json_integer(r));
    json_object_set_new(o, "phase", json_string(round_phase(&rd, &win, next)));
    json_object_set_new(o, "outcome", json_string(fl_outcome_name(rd.outcome)));
    json_object_set_new(o, "windows", windows_json(&win));
    json_object_set_new(o, "end_height", closed ? json_integer((json_int_t)rd.end_height) : json_null());
    json_object_set_new(o, "n_slots", json_integer(rd.n_slots));
    json_object_set_new(o, "n_proposers", json_integer(rd.n_proposers));
    json_object_set_new(o, "n_voters", json_integer(rd.n_voters));
    json_object_set_new(o, "update_commits", json_integer(rd.n_update_commits));
    json_object_set_new(o, "update_reveals", json_integer(rd.n_update_reveals));
    json_object_set_new(o, "vote_commits", json_integer(rd.n_vote_commits));
    json_object_set_new(o, "vote_reveals", json_integer(rd.n_vote_reveals));
    json_object_set_new(o, "voting_stake", json_amount(rd.voting_stake));
    json_object_set_new(o, "accepted", json_integer(rd.n_accepted));
    json_object_set_new(o, "accepted_slots", json_integer(rd.accepted_slots));
    json_object_set_new(o, "reward", json_amount(rd.reward));
    json_object_set_new(o, "voter_reward", json_amount(rd.voter_part));
    json_object_set_new(o, "paid", json_amount(rd.paid));
    json_object_set_new(o, "matched", json_amount(rd.matched));
    json_object_set_new(o, "slashed", json_amount(rd.slashed));
    json_object_set_new(o, "model_round", closed ? json_integer(rd.model_round) : json_null());
    json_object_set_new(o, "model_hash", closed ? json_hash(rd.model_hash) : json_null());
    bool ok = true;
    /* The entries, and the revealed proposers in key order (the verdicts'
     * order); every participant's vote (proposers vote too), whose verdicts
     * give the tallies while the round is open (the finalization stores
     * them), a proposer's own verdict left out; then the voters' and the
     * proposers' objects. */
    struct fl_entry *ents = calloc(n ? n : 1, sizeof(*ents));
    bool *has = calloc(n ? n : 1, sizeof(*has));
    size_t *rank = calloc(n ? n : 1, sizeof(*rank));
    __int128 *live = calloc(n ? n : 1, sizeof(*live));
    order = malloc(n ? n * PUBKEY_SIZE : 1);
    if (!ents || !has || !rank || !live || !order) {
        ok = false;
        n = 0;
    }
    for (size_t i = 0; ok && i < n; i++) {
        const uint8_t *pub = keys + i * PUBKEY_SIZE;
        has[i] = fl_get_entry(v, id, r, pub, &ents[i]);
        if (!has[i]) {
            ok = !view_failed(v);
            continue;
        }
        if (ents[i].role == FL_ROLE_PROPOSER && (ents[i].flags & FL_ENTRY_REVEALED)) {
            memcpy(order + n_order * PUBKEY_SIZE, pub, PUBKEY_SIZE);
            rank[i] = n_order++;
            json_array_append_new(ord, json_address(p, pub));
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        const uint8_t *pub = keys + i * PUBKEY_SIZE, *val = NULL;
        size_t len = 0;
        if (!has[i])
            continue;
        if (!fl_get_revealed(v, 'V', id, r, pub, &val, &len)) {
            ok = !view_failed(v);
            continue;
        }
        if (len % FL_VERDICT_SIZE) {
            ok = false;
            continue;
        }
        const bool own = ents[i].role == FL_ROLE_PROPOSER && (ents[i].flags & FL_ENTRY_REVEALED);
        for (size_t k = 0; k < len / FL_VERDICT_SIZE && k < n_order; k++)
            if (!own || k != rank[i])
                live[k] += (__int128)ents[i].stake * fl_verdict_at(val, k);
    }
    for (int role = FL_ROLE_PROPOSER; role <= FL_ROLE_VOTER; role++)
        for (size_t i = 0; ok && i < n; i++) {
            const uint8_t *pub = keys + i * PUBKEY_SIZE, *val = NULL;
            size_t len = 0;
            if (!has[i] || ents[i].role != role)
                continue;
            if (!fl_get_revealed(v, 'V', id, r, pub, &val, &len)) {
                ok = !view_failed(v);
                val = NULL;
                len = 0;
            }
            if (role == FL_ROLE_VOTER) {
                json_array_append_new(voters, voter_json(p, pub, &ents[i], val,
                                                         len / FL_VERDICT_SIZE, order, n_order));
                continue;
            }
            if (!closed && (ents[i].flags & FL_ENTRY_REVEALED)) /* |live| < the supply */
                ents[i].tally = (int64_t)live[rank[i]];
            json_array_append_new(props, proposer_json(p, pub, &ents[i], closed, val,
                                                       len / FL_VERDICT_SIZE, order, n_order));
        }
    json_object_set_new(o, "revealed_order", ord);
    json_object_set_new(o, "proposers", props);
    json_object_set_new(o, "voters", voters);
    free(ents);
    free(has);
    free(rank);
    free(live);
    free(order);
    free(keys);
    view_free(v);
    if (!ok) {
        json_decref(o);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return o;
}

/* ---- flgetmodel / flgetupdate ---- */

/* The weights as flgetmodel and flgetupdate show them. */
static void weights_json(json_t *o, const uint8_t *bytes, size_t n)
{
    uint8_t hash[HASH_SIZE];
    json_t *q = json_array(), *d = json_array();
    fl_model_hash(hash, bytes, n);
    for (size_t i = 0; i < n; i++) {
        int32_t x = (int32_t)read_le32(bytes + 4 * i);
        json_array_append_new(q, json_integer(x));
        json_array_append_new(d, q16_real(x));
    }
    json_object_set_new(o, "hash", json_hash(hash));
    json_object_set_new(o, "weights_q16", q);
    json_object_set_new(o, "weights", d);
    json_object_set_new(o, "hex", json_hex(bytes, 4 * n));
}

static json_t *flgetmodel(struct rpc_call *call)
{
    uint8_t id[HASH_SIZE];
    struct fl_task t;
    struct fl_status st;
    struct fl_round rd;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    /* The last round that ended: the current one is open while running. */
    const uint32_t ended = st.state == FL_TASK_RUNNING ? st.round - 1 : st.round;
    const uint64_t nparams = fl_param_count(&t.p.spec);
    const uint8_t *w = NULL;
    size_t n = 0;
    uint32_t r = rpc_has(call, 1) ? (uint32_t)rpc_uint(call, 1, 0) : ended;
    if (rpc_has(call, 1) && rpc_uint(call, 1, 0) > ended) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Round %llu has not ended (last ended round: %u)",
                         (unsigned long long)rpc_uint(call, 1, 0), ended);
    }
    uint32_t model_round = 0;
    if (r > 0) {
        if (!fl_get_round(v, id, r, &rd)) {
            view_free(v);
            return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        }
        model_round = rd.model_round;
    }
    if (!fl_get_weights(v, 'M', id, model_round, &w, &n)) {
        if (model_round != 0 || view_failed(v)) {
            view_free(v);
            return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        }
        w = NULL; /* the initial model: all zeros */
        n = (size_t)nparams;
    }
    uint8_t *bytes = calloc(n ? 4 * n : 1, 1);
    if (!bytes) {
        view_free(v);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    if (w)
        memcpy(bytes, w, 4 * n);
    json_t *o = json_object();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "round", json_integer(r));
    json_object_set_new(o, "model_round", json_integer(model_round));
    json_object_set_new(o, "model", spec_json(&t.p.spec));
    weights_json(o, bytes, n);
    free(bytes);
    view_free(v);
    return o;
}

static json_t *flgetupdate(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint8_t id[HASH_SIZE], pub[PUBKEY_SIZE];
    struct fl_task t;
    struct fl_status st;
    struct fl_entry e;
    uint32_t r;
    const uint8_t *w;
    size_t len;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!round_arg(call, 1, &st, &r) || !rpc_arg_address(call, 2, pub)) {
        view_free(v);
        return NULL;
    }
    if (!fl_get_entry(v, id, r, pub, &e) || e.role != FL_ROLE_PROPOSER) {
        bool failed = view_failed(v);
        view_free(v);
        return failed ? rpc_error(call, RPC_DATABASE_ERROR, "State read error")
                      : rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                                  "The address is not a proposer of round %u", r);
    }
    if (!fl_get_revealed(v, 'U', id, r, pub, &w, &len)) {
        bool failed = view_failed(v);
        view_free(v);
        if (failed)
            return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         (e.flags & FL_ENTRY_REVEALED)
                             ? "The update of round %u is no longer stored (updates are kept from "
                               "their reveal until the round is finalized)"
                             : "The proposer has not revealed its update of round %u (yet)",
                         r);
    }
    if (len % 4) {
        view_free(v);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    json_t *o = json_object();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "round", json_integer(r));
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "slots", json_integer(e.slots));
    json_object_set_new(o, "model", spec_json(&t.p.spec));
    weights_json(o, w, len / 4);
    view_free(v);
    return o;
}

/* ---- the table ---- */

static const char task_result[] =
    "{\n"
    "  \"task\": \"hex\",             (the txid of its FL_TASK_CREATE)\n"
    "  \"creator\": \"address\",\n"
    "  \"created_height\": n,\n"
    "  \"state\": \"open\" | \"running\" | \"completed\" | \"cancelled\",\n"
    "  \"phase\": \"joining\" | \"submit\" | \"update_reveal\" | \"commit\" | \"reveal\" |\n"
    "           \"completed\" | \"cancelled\",   (what the next block may carry)\n"
    "  \"round\": n, \"rounds\": n,\n"
    "  \"join_start\": n, \"join_end\": n,   (heights, inclusive)\n"
    "  \"windows\": {\"submit_start\", \"submit_end\", \"update_reveal_start\", \"update_reveal_end\",\n"
    "               \"commit_start\", \"commit_end\", \"reveal_start\", \"reveal_end\"}\n"
    "              (heights of the current round) | null,\n"
    "  \"end_height\": n | null,     (block at whose end it completed or was cancelled)\n"
    "  \"model\": {\"kind\": \"logistic\" | \"softmax\" | \"mlp\", \"sizes\": [n, ...],\n"
    "            \"parameters\": n, \"normalization\": [{\"mean\", \"std\", \"mean_q16\", \"std_q16\"}, ...]},\n"
    "  \"model_round\": n,          (last round that changed the global model; 0: initial)\n"
    "  \"model_hash\": \"hex\",       (H_FML/fl-model of the global model's bytes)\n"
    "  \"min_participants\", \"max_participants\": n, \"min_stake\": FML,\n"
    "  \"proposer_slots\": n,       (slots drawn by stake, with replacement, each round)\n"
    "  \"join_blocks\", \"submit_blocks\", \"update_reveal_blocks\", \"commit_blocks\",\n"
    "  \"reveal_blocks\": n, \"aggregator\": \"fedavg\" | \"median\" | \"trimmed_mean:k\",\n"
    "  \"slash_bps\", \"voter_reward_bps\": n, \"allowlist\": [\"address\", ...] (empty: open),\n"
    "  \"burn_bps\", \"match_bps\": n,   (the chain's fl_burn_bps and fl_match_bps)\n"
    "  \"budget\", \"burn\", \"budget_left\", \"slashed_left\", \"slashed\", \"rewards_paid\",\n"
    "  \"matched\", \"returned_to_creator\": FML,\n"
    "                           (burn: burned at creation; rewards_paid: from the task;\n"
    "                           matched: from the FL pool on top; returned_to_creator: at\n"
    "                           the end.  budget - burn + slashed = rewards_paid +\n"
    "                           budget_left + slashed_left + returned_to_creator)\n"
    "  \"active\": n,\n"
    "  \"contribution\": n,         (the participants' contributions summed: the data\n"
    "                           providers' shares of a Market model published from it)\n"
    "  \"participants\": [{\"address\", \"status\": \"active\" | \"removed\" | \"exited\",\n"
    "      \"stake\" (FML locked now), \"joined_height\", \"contribution\" (slot units: the\n"
    "      slots of its accepted updates), \"accepted_updates\" (its updates accepted:\n"
    "      one round each), \"rounds_proposer\", \"rounds_voter\", \"rewards\", \"matched\",\n"
    "      \"slashed\", \"returned\" (FML)}, ...]\n"
    "                           (in key order)\n"
    "}";

static const char round_result[] =
    "{\n"
    "  \"task\": \"hex\", \"round\": n,\n"
    "  \"phase\": \"submit\" | \"update_reveal\" | \"commit\" | \"reveal\" | \"closed\",\n"
    "  \"outcome\": \"pending\" | \"accepted\" | \"rejected\" | \"void_no_updates\" | \"void_no_votes\",\n"
    "  \"windows\": {\"submit_start\", ..., \"reveal_end\"},  (heights)\n"
    "  \"end_height\": n | null,\n"
    "  \"n_slots\": n,               (proposer slots drawn)\n"
    "  \"n_proposers\", \"n_voters\", \"update_commits\", \"update_reveals\", \"vote_commits\",\n"
    "  \"vote_reveals\": n,\n"
    "  \"voting_stake\": FML,        (stake of every participant that revealed a vote)\n"
    "  \"accepted\", \"accepted_slots\": n,\n"
    "  \"reward\", \"voter_reward\", \"paid\", \"matched\", \"slashed\": FML,\n"
    "  \"model_round\": n | null, \"model_hash\": \"hex\" | null,  (the global model after the round)\n"
    "  \"revealed_order\": [\"address\", ...],   (revealed proposers in key order: the order\n"
    "                                         of every vote's verdicts)\n"
    "  \"proposers\": [{\"address\", \"slots\", \"stake\", \"committed\", \"commitment\", \"revealed\",\n"
    "      (its update's) \"model_hash\", \"size\" (weights), \"tally\" (FML, signed: the sum\n"
    "      of stake x verdict on it over the revealed votes of everyone but itself, so far\n"
    "      while the round is open), \"status\": \"accepted\" | \"excluded\" | \"copy\" |\n"
    "      \"no_work\" | \"harmful\" | \"not_revealed\" | \"not_committed\" | \"pending\",\n"
    "      VOTE, \"reward\", \"matched\", \"slashed\", \"removed\"}, ...]\n"
    "                            (slot holders, in key order)\n"
    "  \"voters\": [{\"address\", \"stake\", \"committed\", \"commitment\", \"revealed\" (its\n"
    "      vote's), VOTE, \"reward\", \"matched\", \"slashed\", \"removed\"}, ...]\n"
    "                            (participants drawn no slot, in key order)\n"
    "  VOTE (every participant of the round votes, proposers too): \"vote_committed\",\n"
    "      \"vote_commitment\", \"vote_revealed\", \"verdicts\": [{\"proposer\", \"verdict\"\n"
    "      (1 | -1), \"metric\" (decimal string), \"metric_q16\"}, ...] (from the reveal until\n"
    "      finalization) | null, \"n_verdicts\", \"agree\" (verdicts on the others' updates\n"
    "      equal to their outcomes; a proposer's verdict on its own update is not counted)\n"
    "}";

static const char model_result[] =
    "{\n"
    "  \"task\": \"hex\", \"round\": n,\n"
    "  \"model_round\": n,          (the last round up to it that changed the model; 0: initial)\n"
    "  \"model\": {\"kind\", \"sizes\", \"parameters\", \"normalization\"},\n"
    "  \"hash\": \"hex\",             (H_FML/fl-model of the canonical bytes)\n"
    "  \"weights_q16\": [n, ...],   (Q16.16 integers, canonical layout)\n"
    "  \"weights\": [x, ...],       (the same as decimals, q / 65536, exact)\n"
    "  \"hex\": \"hex\"               (canonical bytes: each weight int32 little-endian)\n"
    "}";

static const char update_result[] =
    "{\n"
    "  \"task\": \"hex\", \"round\": n, \"address\": \"address\",\n"
    "  \"slots\": n,                (the proposer's slots: its aggregation weight)\n"
    "  \"model\": {\"kind\", \"sizes\", \"parameters\", \"normalization\"},\n"
    "  \"hash\": \"hex\",             (H_FML/fl-model of the canonical bytes: its model_hash)\n"
    "  \"weights_q16\": [n, ...], \"weights\": [x, ...], \"hex\": \"hex\"   (as flgetmodel)\n"
    "}";

const struct rpc_method fl_rpc_methods[] = {
    {
        .category = "FL",
        .name = "fllisttasks",
        .handler = fllisttasks,
        .summary = "Lists every FL task in the state, in task id order.",
        .result = "[{\"task\", \"creator\", \"created_height\", \"state\", \"round\", \"rounds\", "
                  "\"participants\" (joined), \"active\", \"model\" (kind), \"budget\", "
                  "\"budget_left\" (FML)}, ...]",
        .examples = "fml-cli fllisttasks",
    },
    {
        .category = "FL",
        .name = "flgettask",
        .handler = flgettask,
        .summary = "Shows an FL task: its parameters, where it stands (state, round, the phase "
                   "the next block is in and the heights of the windows), its budget and "
                   "funds, and each participant's stake, contribution, rewards and slashes.",
        .args = {{"task", RPC_STR, true, NULL, "The task id (txid of its FL_TASK_CREATE)"}},
        .result = task_result,
        .examples = "fml-cli flgettask 6f1c...e2",
    },
    {
        .category = "FL",
        .name = "flgetround",
        .handler = flgetround,
        .summary = "Shows one round of an FL task: the proposer slots drawn by stake, each "
                   "proposer's commitment, revealed update (hash and size), tally and fate, the "
                   "order of the revealed updates that every vote's verdicts follow, every "
                   "participant's vote (proposers vote too: commitment, verdicts, agreement), "
                   "the outcome, and every reward, match and slash.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round, 1 .. the current round"}},
        .result = round_result,
        .examples = "fml-cli flgetround 6f1c...e2 3",
    },
    {
        .category = "FL",
        .name = "flgetupdate",
        .handler = flgetupdate,
        .summary = "The weights a proposer revealed in a round (what voters measure), from "
                   "its FL_UPDATE_REVEAL until the round is finalized.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round"},
                 {"address", RPC_STR, true, NULL, "The proposer"}},
        .result = update_result,
        .examples = "fml-cli flgetupdate 6f1c...e2 3 rfml1...",
    },
    {
        .category = "FL",
        .name = "flgetmodel",
        .handler = flgetmodel,
        .summary = "The global model of an FL task after a round (default: the last round that "
                   "ended, i.e. the current global model).  Weights as Q16.16 integers, as "
                   "decimals and as hex.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, false, "the last ended round", "The round (0: the initial model)"}},
        .result = model_result,
        .examples = "fml-cli flgetmodel 6f1c...e2\nfml-cli flgetmodel 6f1c...e2 3",
    },
};
const size_t fl_rpc_methods_count = sizeof(fl_rpc_methods) / sizeof(fl_rpc_methods[0]);
