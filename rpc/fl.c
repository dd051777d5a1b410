/* FL Alliance methods (category "FL"): tasks, rounds and models as the state
 * holds them at the tip.  Read-only; the wallet side (wallet/rpcfl.c) builds
 * the transactions.  Amounts are FML, weights Q16.16 (shown both as the
 * integers and as exact decimals). */
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

/* An exact decimal of a 128-bit amount of base units (contributions can
 * pass 2^64). */
static json_t *big_amount_text(unsigned __int128 units)
{
    char digits[48], out[64];
    int n = 0;
    unsigned __int128 whole = units / COIN;
    do {
        digits[n++] = (char)('0' + (int)(whole % 10));
        whole /= 10;
    } while (whole);
    for (int i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    snprintf(out + n, sizeof(out) - (size_t)n, ".%08llu", (unsigned long long)(units % COIN));
    return json_string(out);
}

/* Where a task stands for the next block. */
static const char *phase_of(const struct fl_task *t, const struct fl_status *st, uint64_t next,
                            struct fl_windows *win)
{
    switch (st->state) {
    case FL_TASK_OPEN: return "joining";
    case FL_TASK_RUNNING:
        fl_round_windows(&t->p, st->round_start, win);
        return next <= win->submit_end ? "submit" : next <= win->commit_end ? "commit" : "reveal";
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
    json_object_set_new(o, "reward_pool", json_amount(st.pool));
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
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "status", json_string(fl_participant_status_name(pt->status)));
    json_object_set_new(o, "stake", json_amount(pt->stake));
    json_object_set_new(o, "joined_height", json_integer((json_int_t)pt->joined_height));
    json_object_set_new(o, "contribution", big_amount_text(pt->contribution));
    json_object_set_new(o, "accepted_rounds", json_integer(pt->accepted));
    json_object_set_new(o, "rounds_proposer", json_integer(pt->rounds_proposer));
    json_object_set_new(o, "rounds_voter", json_integer(pt->rounds_voter));
    json_object_set_new(o, "rewards", json_amount(pt->rewards));
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
    json_object_set_new(o, "min_participants", json_integer(t.p.min_participants));
    json_object_set_new(o, "max_participants", json_integer(t.p.max_participants));
    json_object_set_new(o, "min_stake", json_amount(t.p.min_stake));
    json_object_set_new(o, "proposer_fraction_bps", json_integer(t.p.proposer_fraction_bps));
    json_object_set_new(o, "join_blocks", json_integer(t.p.join_blocks));
    json_object_set_new(o, "submit_blocks", json_integer(t.p.submit_blocks));
    json_object_set_new(o, "commit_blocks", json_integer(t.p.commit_blocks));
    json_object_set_new(o, "reveal_blocks", json_integer(t.p.reveal_blocks));
    json_object_set_new(o, "aggregator", aggregator_json(&t.p));
    json_object_set_new(o, "slash_bps", json_integer(t.p.slash_bps));
    json_object_set_new(o, "voter_reward_bps", json_integer(t.p.voter_reward_bps));
    for (uint64_t i = 0; i < t.p.n_allow; i++)
        json_array_append_new(allow, json_address(p, t.p.allow + i * PUBKEY_SIZE));
    json_object_set_new(o, "allowlist", allow);
    json_object_set_new(o, "reward_pool_initial", json_amount(t.p.reward_pool));
    json_object_set_new(o, "reward_pool", json_amount(st.pool));
    json_object_set_new(o, "rewards_paid", json_amount(st.paid));
    json_object_set_new(o, "slashed", json_amount(st.slashed));
    json_object_set_new(o, "returned_to_creator", json_amount(st.returned));
    json_object_set_new(o, "active", json_integer(st.n_active));
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

static json_t *entry_json(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE],
                          const struct fl_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "stake", json_amount(e->stake));
    if (e->role == FL_ROLE_PROPOSER) {
        bool sub = e->flags & FL_ENTRY_SUBMITTED;
        json_object_set_new(o, "submitted", json_boolean(sub));
        json_object_set_new(o, "update_hash", sub ? json_hash(e->hash) : json_null());
        json_object_set_new(o, "update_size", sub ? json_integer(e->size) : json_null());
        json_object_set_new(o, "update_bytes", sub ? json_integer((json_int_t)e->size * 4) : json_null());
    } else {
        bool com = e->flags & FL_ENTRY_COMMITTED, rev = e->flags & FL_ENTRY_REVEALED;
        json_object_set_new(o, "committed", json_boolean(com));
        json_object_set_new(o, "commitment", com ? json_hash(e->hash) : json_null());
        json_object_set_new(o, "revealed", json_boolean(rev));
        json_object_set_new(o, "vote", rev ? json_integer(e->vote) : json_null());
        json_object_set_new(o, "metric", rev ? q16_real(e->metric) : json_null());
        json_object_set_new(o, "metric_q16", rev ? json_integer(e->metric) : json_null());
    }
    json_object_set_new(o, "reward", json_amount(e->reward));
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

static json_t *flgetround(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE], *keys = NULL;
    struct fl_task t;
    struct fl_status st;
    struct fl_round rd;
    struct fl_windows win;
    uint32_t r;
    size_t n = 0;
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
    fl_round_windows(&t.p, rd.start, &win);
    const char *phase = rd.end_height             ? "closed"
                        : next <= win.submit_end ? "submit"
                        : next <= win.commit_end ? "commit"
                                                 : "reveal";
    json_t *o = json_object(), *props = json_array(), *voters = json_array();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "round", json_integer(r));
    json_object_set_new(o, "phase", json_string(phase));
    json_object_set_new(o, "outcome", json_string(fl_outcome_name(rd.outcome)));
    json_object_set_new(o, "windows", windows_json(&win));
    json_object_set_new(o, "end_height", rd.end_height ? json_integer((json_int_t)rd.end_height) : json_null());
    json_object_set_new(o, "updates", json_integer(rd.n_updates));
    json_object_set_new(o, "commits", json_integer(rd.n_commits));
    json_object_set_new(o, "reveals", json_integer(rd.n_reveals));
    json_object_set_new(o, "candidate_hash", rd.has_candidate ? json_hash(rd.candidate_hash) : json_null());
    uint64_t sum = rd.stake_for >= rd.stake_against ? rd.stake_for - rd.stake_against
                                                    : rd.stake_against - rd.stake_for;
    json_object_set_new(o, "vote_sum", json_amount_signed(sum, rd.stake_against > rd.stake_for));
    json_object_set_new(o, "stake_for", json_amount(rd.stake_for));
    json_object_set_new(o, "stake_against", json_amount(rd.stake_against));
    json_object_set_new(o, "round_reward", json_amount(rd.reward));
    json_object_set_new(o, "voter_reward", json_amount(rd.voter_part));
    json_object_set_new(o, "rewards_paid", json_amount(rd.paid));
    json_object_set_new(o, "slashed", json_amount(rd.slashed));
    json_object_set_new(o, "model_round", rd.end_height ? json_integer(rd.model_round) : json_null());
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        struct fl_entry e;
        const uint8_t *pub = keys + i * PUBKEY_SIZE;
        if (!fl_get_entry(v, id, r, pub, &e)) {
            ok = !view_failed(v);
            continue;
        }
        json_array_append_new(e.role == FL_ROLE_PROPOSER ? props : voters, entry_json(p, pub, &e));
    }
    json_object_set_new(o, "proposers", props);
    json_object_set_new(o, "voters", voters);
    free(keys);
    view_free(v);
    if (!ok) {
        json_decref(o);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return o;
}

/* ---- flgetmodel ---- */

static json_t *flgetmodel(struct rpc_call *call)
{
    uint8_t id[HASH_SIZE], hash[HASH_SIZE];
    struct fl_task t;
    struct fl_status st;
    struct fl_round rd;
    uint32_t r, model_round;
    const bool candidate = rpc_bool(call, 2, false);
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    /* The last round that ended: the current one is open while running. */
    const uint32_t ended = st.state == FL_TASK_RUNNING ? st.round - 1 : st.round;
    const uint64_t nparams = fl_param_count(&t.p.spec);
    const uint8_t *w = NULL;
    size_t n = 0;
    if (candidate) {
        r = rpc_has(call, 1) ? (uint32_t)rpc_uint(call, 1, 0) : st.round;
        if (!rpc_has(call, 1) && st.state != FL_TASK_RUNNING) {
            view_free(v);
            return rpc_error(call, RPC_INVALID_PARAMETER, "The task has no round in progress");
        }
        if (r == 0 || !fl_get_weights(v, 'C', id, r, &w, &n)) {
            view_free(v);
            return rpc_error(call, RPC_INVALID_PARAMETER,
                             "No candidate for round %u (it exists from the end of the submit "
                             "window until the round is finalized)", r);
        }
        model_round = r;
    } else {
        r = rpc_has(call, 1) ? (uint32_t)rpc_uint(call, 1, 0) : ended;
        if (rpc_has(call, 1) && rpc_uint(call, 1, 0) > ended) {
            view_free(v);
            return rpc_error(call, RPC_INVALID_PARAMETER,
                             "Round %llu has not ended (last ended round: %u)",
                             (unsigned long long)rpc_uint(call, 1, 0), ended);
        }
        model_round = 0;
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
    }
    uint8_t *bytes = calloc(n ? 4 * n : 1, 1);
    if (!bytes) {
        view_free(v);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    if (w)
        memcpy(bytes, w, 4 * n);
    fl_model_hash(hash, bytes, n);
    json_t *o = json_object(), *q = json_array(), *d = json_array();
    for (size_t i = 0; i < n; i++) {
        int32_t x = (int32_t)read_le32(bytes + 4 * i);
        json_array_append_new(q, json_integer(x));
        json_array_append_new(d, q16_real(x));
    }
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "round", json_integer(r));
    json_object_set_new(o, "candidate", json_boolean(candidate));
    json_object_set_new(o, "model_round", json_integer(model_round));
    json_object_set_new(o, "model", spec_json(&t.p.spec));
    json_object_set_new(o, "hash", json_hash(hash));
    json_object_set_new(o, "weights_q16", q);
    json_object_set_new(o, "weights", d);
    json_object_set_new(o, "hex", json_hex(bytes, 4 * n));
    free(bytes);
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
    "  \"phase\": \"joining\" | \"submit\" | \"commit\" | \"reveal\" | \"completed\" | \"cancelled\",\n"
    "                           (what the next block may carry)\n"
    "  \"round\": n, \"rounds\": n,\n"
    "  \"join_start\": n, \"join_end\": n,   (heights, inclusive)\n"
    "  \"windows\": {\"submit_start\", \"submit_end\", \"commit_start\", \"commit_end\",\n"
    "               \"reveal_start\", \"reveal_end\"} (heights of the current round) | null,\n"
    "  \"end_height\": n | null,     (block at whose end it completed or was cancelled)\n"
    "  \"model\": {\"kind\": \"logistic\" | \"softmax\" | \"mlp\", \"sizes\": [n, ...],\n"
    "            \"parameters\": n, \"normalization\": [{\"mean\", \"std\", \"mean_q16\", \"std_q16\"}, ...]},\n"
    "  \"model_round\": n,          (round whose accepted candidate is the global model; 0: initial)\n"
    "  \"min_participants\", \"max_participants\": n, \"min_stake\": FML,\n"
    "  \"proposer_fraction_bps\", \"join_blocks\", \"submit_blocks\", \"commit_blocks\",\n"
    "  \"reveal_blocks\": n, \"aggregator\": \"fedavg\" | \"median\" | \"trimmed_mean:k\",\n"
    "  \"slash_bps\", \"voter_reward_bps\": n, \"allowlist\": [\"address\", ...] (empty: open),\n"
    "  \"reward_pool_initial\", \"reward_pool\", \"rewards_paid\", \"slashed\",\n"
    "  \"returned_to_creator\": FML,  (reward_pool_initial + slashed = rewards_paid +\n"
    "                                  reward_pool + returned_to_creator)\n"
    "  \"active\": n,\n"
    "  \"participants\": [{\"address\", \"status\": \"active\" | \"removed\" | \"exited\",\n"
    "      \"stake\" (FML locked now), \"joined_height\", \"contribution\" (string, FML x rounds:\n"
    "      the sum of its stake over accepted rounds that included its update),\n"
    "      \"accepted_rounds\", \"rounds_proposer\", \"rounds_voter\", \"rewards\", \"slashed\",\n"
    "      \"returned\" (FML)}, ...]   (in key order)\n"
    "}";

static const char round_result[] =
    "{\n"
    "  \"task\": \"hex\", \"round\": n,\n"
    "  \"phase\": \"submit\" | \"commit\" | \"reveal\" | \"closed\",\n"
    "  \"outcome\": \"pending\" | \"accepted\" | \"rejected\" | \"void_no_updates\" | \"void_no_votes\",\n"
    "  \"windows\": {\"submit_start\", ..., \"reveal_end\"},  (heights)\n"
    "  \"end_height\": n | null,\n"
    "  \"updates\", \"commits\", \"reveals\": n,\n"
    "  \"candidate_hash\": \"hex\" | null,   (the aggregate, H_FML/fl-model of its bytes)\n"
    "  \"vote_sum\": FML (signed), \"stake_for\", \"stake_against\": FML,  (revealed votes)\n"
    "  \"round_reward\", \"voter_reward\", \"rewards_paid\", \"slashed\": FML,\n"
    "  \"model_round\": n | null,  (the global model after the round)\n"
    "  \"proposers\": [{\"address\", \"stake\", \"submitted\", \"update_hash\", \"update_size\"\n"
    "                 (weights), \"update_bytes\", \"reward\", \"slashed\", \"removed\"}, ...],\n"
    "  \"voters\": [{\"address\", \"stake\", \"committed\", \"commitment\", \"revealed\", \"vote\"\n"
    "              (-1 | 1 | null), \"metric\" (decimal), \"metric_q16\", \"reward\", \"slashed\",\n"
    "              \"removed\"}, ...]\n"
    "}";

static const char model_result[] =
    "{\n"
    "  \"task\": \"hex\", \"round\": n, \"candidate\": bool,\n"
    "  \"model_round\": n,          (the round whose candidate these weights are; 0: initial)\n"
    "  \"model\": {\"kind\", \"sizes\", \"parameters\", \"normalization\"},\n"
    "  \"hash\": \"hex\",             (H_FML/fl-model of the canonical bytes)\n"
    "  \"weights_q16\": [n, ...],   (Q16.16 integers, canonical layout)\n"
    "  \"weights\": [x, ...],       (the same as decimals, q / 65536, exact)\n"
    "  \"hex\": \"hex\"               (canonical bytes: each weight int32 little-endian)\n"
    "}";

const struct rpc_method fl_rpc_methods[] = {
    {
        .category = "FL",
        .name = "fllisttasks",
        .handler = fllisttasks,
        .summary = "Lists every FL task in the state, in task id order.",
        .result = "[{\"task\", \"creator\", \"created_height\", \"state\", \"round\", \"rounds\", "
                  "\"participants\" (joined), \"active\", \"model\" (kind), \"reward_pool\" (FML "
                  "held)}, ...]",
        .examples = "fml-cli fllisttasks",
    },
    {
        .category = "FL",
        .name = "flgettask",
        .handler = flgettask,
        .summary = "Shows an FL task: its parameters, where it stands (state, round, the phase "
                   "the next block is in and the heights of the windows), its pool, and each "
                   "participant's stake, contribution, rewards and slashes.",
        .args = {{"task", RPC_STR, true, NULL, "The task id (txid of its FL_TASK_CREATE)"}},
        .result = task_result,
        .examples = "fml-cli flgettask 6f1c...e2",
    },
    {
        .category = "FL",
        .name = "flgetround",
        .handler = flgetround,
        .summary = "Shows one round of an FL task: the roles drawn, the updates submitted (hash "
                   "and size), the candidate's hash, the vote commitments and reveals, the "
                   "outcome, and every reward and slash.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round, 1 .. the current round"}},
        .result = round_result,
        .examples = "fml-cli flgetround 6f1c...e2 3",
    },
    {
        .category = "FL",
        .name = "flgetmodel",
        .handler = flgetmodel,
        .summary = "The global model of an FL task after a round (default: the last round that "
                   "ended, i.e. the current global model), or with candidate=true the candidate "
                   "aggregated in a round that is being voted on (default: the current round).  "
                   "Weights as Q16.16 integers, as decimals and as hex.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, false, "the last ended round", "The round (0: the initial model)"},
                 {"candidate", RPC_BOOL, false, "false", "The round's candidate instead of the global model"}},
        .result = model_result,
        .examples = "fml-cli flgetmodel 6f1c...e2\nfml-cli flgetmodel 6f1c...e2 3 true",
    },
};
const size_t fl_rpc_methods_count = sizeof(fl_rpc_methods) / sizeof(fl_rpc_methods[0]);
