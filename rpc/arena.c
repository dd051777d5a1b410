/* AI Arena methods (category "Arena"): tasks, their operators, submissions,
 * validation sets, scores, results and rewards as the state holds them at
 * the tip.  Read-only; the wallet side (wallet/rpcarena.c) builds the
 * transactions.  Amounts are FML; losses are Q16.16 unsigned, shown as the
 * raw u32 and as an exact decimal string; weights and set values Q16.16
 * signed. */
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading the records (consensus/arena.h keys and codecs) ---- */

/* The value of a key; false when absent (view_failed tells a read error). */
static bool get_raw(struct view *v, const uint8_t *key, size_t klen, const uint8_t **val,
                    size_t *len)
{
    return view_get(v, key, klen, val, len);
}

static bool get_task(struct view *v, const uint8_t id[HASH_SIZE], struct arena_task *t)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_task(key, 'T', id);
    if (!get_raw(v, key, sizeof(key), &val, &len))
        return false;
    if (!arena_task_decode(t, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static bool get_status(struct view *v, const uint8_t id[HASH_SIZE], struct arena_status *s)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_task(key, 'S', id);
    if (!get_raw(v, key, sizeof(key), &val, &len))
        return false;
    if (!arena_status_decode(s, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static bool get_operator(struct view *v, const uint8_t id[HASH_SIZE], const uint8_t pub[PUBKEY_SIZE],
                         struct arena_operator *o)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_operator(key, 'O', id, pub);
    if (!get_raw(v, key, sizeof(key), &val, &len))
        return false;
    if (!arena_operator_decode(o, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

/* The sorted operator list (a view into v); an empty list when absent. */
static bool get_list(struct view *v, const uint8_t id[HASH_SIZE], const uint8_t **keys, size_t *n)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_task(key, 'L', id);
    *keys = NULL;
    *n = 0;
    if (!get_raw(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!arena_list_decode(keys, n, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static bool get_results(struct view *v, const uint8_t id[HASH_SIZE], struct arena_results *r)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_task(key, 'R', id);
    if (!get_raw(v, key, sizeof(key), &val, &len))
        return false;
    if (!arena_results_decode(r, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

/* ---- shapes ---- */

/* An unsigned Q16.16 as an exact decimal ("1.5", "0.0000152587890625"). */
static json_t *loss_text(uint32_t l)
{
    char buf[40];
    uint64_t frac = (uint64_t)(l & 0xFFFFu) * UINT64_C(152587890625); /* x 10^16 / 2^16 */
    int n = snprintf(buf, sizeof(buf), "%u.%016llu", l >> 16, (unsigned long long)frac);
    while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.')
        buf[--n] = '\0';
    return json_string(buf);
}

static json_t *q16_real(int32_t q)
{
    return json_real((double)q / 65536.0); /* exact: q / 2^16 fits a double */
}

static json_t *spec_json(const struct fl_spec *s)
{
    json_t *o = json_object(), *sizes = json_array(), *norm = json_array();
    const char *kind = fl_model_kind_name(s->kind);
    for (uint32_t i = 0; i < s->n_sizes; i++)
        json_array_append_new(sizes, json_integer(s->sizes[i]));
    for (uint32_t i = 0; i < s->n_norm; i++) {
        json_t *pair = json_array();
        json_array_append_new(pair, q16_real((int32_t)read_le32(s->norm + 8 * i)));
        json_array_append_new(pair, q16_real((int32_t)read_le32(s->norm + 8 * i + 4)));
        json_array_append_new(norm, pair);
    }
    json_object_set_new(o, "kind", kind ? json_string(kind) : json_integer(s->kind));
    json_object_set_new(o, "sizes", sizes);
    json_object_set_new(o, "parameters", json_integer((json_int_t)fl_param_count(s)));
    json_object_set_new(o, "normalization", norm);
    return o;
}

static json_t *params_json(const struct arena_task_params *p)
{
    json_t *o = json_object();
    const char *loss = arena_loss_name(p->loss);
    json_object_set_new(o, "model", spec_json(&p->spec));
    json_object_set_new(o, "loss", loss ? json_string(loss) : json_integer(p->loss));
    json_object_set_new(o, "data_hash", json_hash(p->data_hash));
    json_object_set_new(o, "uri", json_string(p->uri));
    json_object_set_new(o, "sets", json_integer(p->k));
    json_object_set_new(o, "submit_blocks", json_integer(p->submit_blocks));
    json_object_set_new(o, "reveal_blocks", json_integer(p->reveal_blocks));
    json_object_set_new(o, "score_commit_blocks", json_integer(p->score_commit_blocks));
    json_object_set_new(o, "score_reveal_blocks", json_integer(p->score_reveal_blocks));
    json_object_set_new(o, "budget", json_amount(p->budget));
    json_object_set_new(o, "gamma_bps", json_integer(p->gamma_bps));
    json_object_set_new(o, "q_bps", json_integer(p->q_bps));
    json_object_set_new(o, "delta_bps", json_integer(p->delta_bps));
    json_object_set_new(o, "D_bps", json_integer(p->d_bps));
    json_object_set_new(o, "epsilon", json_integer(p->epsilon));
    json_object_set_new(o, "vest_epochs", json_integer(p->vest_epochs));
    json_object_set_new(o, "draws_per_set", json_integer(p->draws_per_set));
    json_object_set_new(o, "max_trainers", json_integer(p->max_trainers));
    json_object_set_new(o, "max_validators", json_integer(p->max_validators));
    json_object_set_new(o, "trainer_min_stake", json_amount(p->trainer_min_stake));
    json_object_set_new(o, "validator_min_stake", json_amount(p->validator_min_stake));
    json_object_set_new(o, "slash_bps", json_integer(p->slash_bps));
    return o;
}

static json_t *windows_json(const struct arena_windows *w, const struct arena_task_params *p,
                            uint32_t epoch_slots)
{
    json_t *o = json_object(), *vest = json_array();
    json_object_set_new(o, "submit_start", json_integer((json_int_t)w->created + 1));
    json_object_set_new(o, "submit_end", json_integer((json_int_t)w->submit_end));
    json_object_set_new(o, "reveal_end", json_integer((json_int_t)w->reveal_end));
    json_object_set_new(o, "sets_end", json_integer((json_int_t)w->sets_end));
    json_object_set_new(o, "score_commit_end", json_integer((json_int_t)w->score_commit_end));
    json_object_set_new(o, "settle_height", json_integer((json_int_t)w->settle));
    for (uint32_t i = 1; i <= p->vest_epochs; i++)
        json_array_append_new(vest, json_integer((json_int_t)arena_vest_height(w, epoch_slots, i)));
    json_object_set_new(o, "vest_heights", vest);
    return o;
}

/* What the next block may carry. */
static const char *phase_of(const struct arena_windows *w, const struct arena_status *st,
                            uint64_t next)
{
    if (st->state >= ARENA_SETTLED)
        return arena_task_state_name(st->state);
    return next <= w->submit_end         ? "submit"
           : next <= w->reveal_end       ? "reveal"
           : next <= w->sets_end         ? "sets"
           : next <= w->score_commit_end ? "score_commit"
           : next <= w->settle           ? "score_reveal"
                                         : "settling";
}

/* The task of argument idx with its status; NULL with the error raised
 * otherwise.  The caller frees the view (task fields point into it). */
static struct view *load_task(struct rpc_call *call, size_t idx, uint8_t id[HASH_SIZE],
                              struct arena_task *t, struct arena_status *st)
{
    if (!rpc_arg_hash(call, idx, "task", id))
        return NULL;
    struct view *v = chain_view(rpc_env(call)->chain);
    if (!v) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        return NULL;
    }
    if (!get_task(v, id, t) || !get_status(v, id, st)) {
        bool failed = view_failed(v);
        view_free(v);
        if (failed)
            rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        else
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Arena task not found");
        return NULL;
    }
    return v;
}

static json_t *db_error(struct rpc_call *call, struct view *v, json_t *partial)
{
    json_decref(partial);
    view_free(v);
    return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
}

/* ---- arenalisttasks ---- */

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
    struct arena_status st;
    struct arena_task t;
    const uint8_t *id = key + 2;
    if (klen != ARENA_KEY_TASK_SIZE)
        return true; /* not a status record */
    if (!arena_status_decode(&st, val, vlen) || !get_task(lc->view, id, &t))
        return lc->ok = false;
    json_t *o = json_object();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "creator", json_address(p, t.creator));
    json_object_set_new(o, "state", json_string(arena_task_state_name(st.state)));
    json_object_set_new(o, "created_height", json_integer((json_int_t)t.created_height));
    json_object_set_new(o, "submit_end", json_integer((json_int_t)t.w.submit_end));
    json_object_set_new(o, "reveal_end", json_integer((json_int_t)t.w.reveal_end));
    json_object_set_new(o, "sets_end", json_integer((json_int_t)t.w.sets_end));
    json_object_set_new(o, "score_commit_end", json_integer((json_int_t)t.w.score_commit_end));
    json_object_set_new(o, "settle_height", json_integer((json_int_t)t.w.settle));
    json_object_set_new(o, "budget", json_amount(t.p.budget));
    json_object_set_new(o, "n_trainers", json_integer(st.n_trainers));
    json_object_set_new(o, "n_validators", json_integer(st.n_validators));
    json_array_append_new(lc->out, o);
    return true;
}

static json_t *arenalisttasks(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct list_ctx lc = {call, chain_view(env->chain), json_array(), true};
    bool ok = lc.view && chain_scan_state(env->chain, "AS", 2, add_task, &lc) && lc.ok;
    view_free(lc.view);
    if (!ok) {
        json_decref(lc.out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return lc.out;
}

/* ---- arenagettask ---- */

static json_t *operator_json(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE],
                             const struct arena_operator *o, uint8_t k)
{
    json_t *j = json_object(), *assign = json_array();
    const char *role = arena_role_name(o->role);
    json_object_set_new(j, "address", json_address(p, pub));
    json_object_set_new(j, "role", role ? json_string(role) : json_integer(o->role));
    json_object_set_new(j, "own_stake", json_amount(o->own));
    json_object_set_new(j, "delegated", json_amount(o->del_total));
    json_object_set_new(j, "delegations", json_integer(o->del_count));
    json_object_set_new(j, "sigma_bps", json_integer(o->sigma_bps));
    json_object_set_new(j, "stake_snapshot", json_amount(o->stake_snapshot));
    json_object_set_new(j, "eligible", json_boolean(o->flags & ARENA_OP_ELIGIBLE));
    if (o->role == ARENA_ROLE_TRAINER) {
        bool com = o->flags & ARENA_OP_COMMITTED, rev = o->flags & ARENA_OP_REVEALED;
        json_object_set_new(j, "seq", com ? json_integer(o->seq) : json_null());
        json_object_set_new(j, "committed", json_boolean(com));
        json_object_set_new(j, "commitment", com ? json_hash(o->commitment) : json_null());
        json_object_set_new(j, "revealed", json_boolean(rev));
        json_object_set_new(j, "duplicate", json_boolean(o->flags & ARENA_OP_DUPLICATE));
        json_object_set_new(j, "model_hash", rev ? json_hash(o->model_hash) : json_null());
        json_object_set_new(j, "loss", o->rank ? loss_text(o->loss) : json_null());
        json_object_set_new(j, "loss_raw", o->rank ? json_integer(o->loss) : json_null());
        json_object_set_new(j, "rank", o->rank ? json_integer(o->rank) : json_null());
    } else {
        for (uint8_t s = 0; s < k; s++)
            json_array_append_new(assign, json_integer(o->count[s]));
        json_object_set_new(j, "assignment", assign);
        assign = NULL;
        json_object_set_new(j, "scores_committed", json_boolean(o->flags & ARENA_OP_SCORE_COMMITTED));
        json_object_set_new(j, "scores_revealed", json_boolean(o->flags & ARENA_OP_SCORE_REVEALED));
        json_object_set_new(j, "deviation_bps", json_integer(o->dev_bps));
        json_object_set_new(j, "closeness_bps", json_integer(o->c_bps));
    }
    json_decref(assign);
    json_object_set_new(j, "reward", json_amount(o->f));
    json_object_set_new(j, "reward_operator", json_amount(o->f_op));
    json_object_set_new(j, "reward_delegators", json_amount(o->f_del));
    json_object_set_new(j, "reward_a", json_amount(o->reward_a));
    json_object_set_new(j, "slashed", json_amount(o->slashed));
    json_object_set_new(j, "slashed_delegations", json_amount(o->slashed_del));
    json_object_set_new(j, "forfeited", json_amount(o->forfeited));
    json_object_set_new(j, "returned", json_amount(o->returned));
    json_object_set_new(j, "was_slashed", json_boolean(o->flags & ARENA_OP_SLASHED));
    return j;
}

static json_t *pool_json(const struct chain_params *p, const struct arena_task *t,
                         const struct arena_status *st)
{
    json_t *o = json_object();
    const uint64_t b = t->p.budget;
    /* The chain's burn and match rates, so a client can check burn and match. */
    json_object_set_new(o, "burn_bps", json_integer(p->arena_burn_bps));
    json_object_set_new(o, "match_bps", json_integer(p->arena_match_bps));
    json_object_set_new(o, "budget", json_amount(b));
    json_object_set_new(o, "burn", json_amount(st->burn));
    json_object_set_new(o, "budget_left", json_amount(st->budget_left));
    json_object_set_new(o, "match", json_amount(st->match));
    json_object_set_new(o, "distributed", json_amount(st->distributed));
    json_object_set_new(o, "validators_group", json_amount(st->g_v));
    json_object_set_new(o, "trainers_group", json_amount(st->g_t));
    json_object_set_new(o, "paid", json_amount(st->paid));
    json_object_set_new(o, "vest_paid", json_amount(st->vest_paid));
    json_object_set_new(o, "vest_pending", json_amount(st->vest_pending));
    json_object_set_new(o, "forfeited", json_amount(st->forfeited));
    json_object_set_new(o, "dust", json_amount(st->dust));
    json_object_set_new(o, "returned", json_amount(st->returned));
    json_object_set_new(o, "slashed", json_amount(st->slashed));
    json_object_set_new(o, "slashed_budget", json_amount(st->slashed_budget));
    /* budget + match = burn + paid + vest_paid + vest_pending + forfeited +
     * dust + returned + slashed_budget once the task has ended; before,
     * budget = burn + budget_left. */
    unsigned __int128 out = (unsigned __int128)st->burn + st->paid + st->vest_paid +
                            st->vest_pending + st->forfeited + st->dust + st->returned +
                            st->slashed_budget;
    if (st->state < ARENA_SETTLED)
        out += st->budget_left;
    json_object_set_new(o, "balanced", json_boolean(out == (unsigned __int128)b + st->match));
    return o;
}

static json_t *arenagettask(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE];
    struct arena_task t;
    struct arena_status st;
    const uint8_t *keys;
    size_t n;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!get_list(v, id, &keys, &n))
        return db_error(call, v, NULL);
    const uint64_t next = chain_height(env->chain) + 1;
    json_t *o = json_object(), *sets = json_array(), *ops = json_array(), *subs;
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "creator", json_address(p, t.creator));
    json_object_set_new(o, "state", json_string(arena_task_state_name(st.state)));
    json_object_set_new(o, "phase", json_string(phase_of(&t.w, &st, next)));
    json_object_set_new(o, "created_height", json_integer((json_int_t)t.created_height));
    json_object_set_new(o, "end_height", st.end_height ? json_integer((json_int_t)st.end_height) : json_null());
    json_object_set_new(o, "params", params_json(&t.p));
    json_object_set_new(o, "windows", windows_json(&t.w, &t.p, p->epoch_slots));
    for (uint8_t k = 0; k < t.p.k; k++) {
        json_t *s = json_object();
        json_object_set_new(s, "set", json_integer(k));
        json_object_set_new(s, "root", json_hash(t.p.sets[k].root));
        json_object_set_new(s, "n_chunks", json_integer(t.p.sets[k].n_chunks));
        json_object_set_new(s, "n_rows", json_integer(t.p.sets[k].n_rows));
        json_object_set_new(s, "revealed_chunks", json_integer(st.chunks_revealed[k]));
        json_object_set_new(s, "revealed_rows", json_integer(st.rows_revealed[k]));
        json_object_set_new(s, "complete", json_boolean(st.sets_complete & (1u << k)));
        json_array_append_new(sets, s);
    }
    json_object_set_new(o, "sets", sets);
    json_object_set_new(o, "pool", pool_json(p, &t, &st));
    json_object_set_new(o, "n_trainers", json_integer(st.n_trainers));
    json_object_set_new(o, "n_validators", json_integer(st.n_validators));
    json_object_set_new(o, "n_commits", json_integer(st.n_commits));
    json_object_set_new(o, "n_scoreable", json_integer(st.n_scoreable));
    /* Scoreable submissions in commit order: eligible, revealed, not duplicates. */
    struct {
        uint32_t seq;
        const uint8_t *pub;
        uint8_t hash[HASH_SIZE];
    } sub[ARENA_MAX_TRAINERS];
    size_t nsub = 0;
    json_object_set_new(o, "operators", ops); /* filled below */
    for (size_t i = 0; i < n; i++) {
        struct arena_operator op;
        const uint8_t *pub = keys + i * PUBKEY_SIZE;
        if (!get_operator(v, id, pub, &op))
            return db_error(call, v, o);
        json_array_append_new(ops, operator_json(p, pub, &op, t.p.k));
        if (op.role == ARENA_ROLE_TRAINER && (op.flags & ARENA_OP_ELIGIBLE) &&
            (op.flags & ARENA_OP_REVEALED) && !(op.flags & ARENA_OP_DUPLICATE) &&
            nsub < ARENA_MAX_TRAINERS) {
            size_t j = nsub++;
            while (j > 0 && sub[j - 1].seq > op.seq) {
                sub[j] = sub[j - 1];
                j--;
            }
            sub[j].seq = op.seq;
            sub[j].pub = pub;
            memcpy(sub[j].hash, op.model_hash, HASH_SIZE);
        }
    }
    subs = json_array();
    for (size_t i = 0; i < nsub; i++) {
        json_t *s = json_object();
        json_object_set_new(s, "address", json_address(p, sub[i].pub));
        json_object_set_new(s, "seq", json_integer(sub[i].seq));
        json_object_set_new(s, "model_hash", json_hash(sub[i].hash));
        json_array_append_new(subs, s);
    }
    json_object_set_new(o, "submissions", subs);
    struct arena_results *res = malloc(sizeof(*res));
    if (!res)
        return db_error(call, v, o);
    if (get_results(v, id, res)) {
        json_t *arr = json_array();
        for (uint16_t i = 0; i < res->m; i++) {
            json_t *r = json_object(), *sl = json_array();
            json_object_set_new(r, "address", json_address(p, res->r[i].trainer));
            json_object_set_new(r, "seq", json_integer(res->r[i].seq));
            json_object_set_new(r, "loss", loss_text(res->r[i].loss));
            json_object_set_new(r, "loss_raw", json_integer(res->r[i].loss));
            json_object_set_new(r, "rank", json_integer(res->r[i].rank));
            for (uint8_t k = 0; k < res->k; k++)
                json_array_append_new(sl, (res->consensus_mask & (1u << k)) ? json_integer(res->r[i].set_loss[k])
                                                                            : json_null());
            json_object_set_new(r, "set_losses", sl);
            json_array_append_new(arr, r);
        }
        json_object_set_new(o, "results", arr);
    } else if (view_failed(v)) {
        free(res);
        return db_error(call, v, o);
    } else {
        json_object_set_new(o, "results", json_null());
    }
    free(res);
    view_free(v);
    return o;
}

/* ---- arenaleaderboard ---- */

static int cmp_result(const void *a, const void *b)
{
    const struct arena_result *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->loss != y->loss)
        return x->loss < y->loss ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static json_t *arenaleaderboard(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint8_t id[HASH_SIZE];
    struct arena_task t;
    struct arena_status st;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    struct arena_results *res = malloc(sizeof(*res));
    if (!res)
        return db_error(call, v, NULL);
    if (!get_results(v, id, res)) {
        bool failed = view_failed(v);
        free(res);
        view_free(v);
        if (failed)
            return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "The task has no results yet (state %s; they exist once it settles at "
                         "the end of block %llu)",
                         arena_task_state_name(st.state), (unsigned long long)t.w.settle);
    }
    qsort(res->r, res->m, sizeof(res->r[0]), cmp_result);
    json_t *out = json_array();
    for (uint16_t i = 0; i < res->m; i++) {
        struct arena_operator op;
        json_t *r = json_object();
        json_object_set_new(r, "rank", json_integer(res->r[i].rank));
        json_object_set_new(r, "address", json_address(p, res->r[i].trainer));
        json_object_set_new(r, "consensus_loss", loss_text(res->r[i].loss));
        json_object_set_new(r, "consensus_loss_raw", json_integer(res->r[i].loss));
        json_object_set_new(r, "seq", json_integer(res->r[i].seq));
        if (get_operator(v, id, res->r[i].trainer, &op)) {
            json_object_set_new(r, "model_hash", json_hash(op.model_hash));
            json_object_set_new(r, "reward", json_amount(op.f));
        }
        json_array_append_new(out, r);
    }
    free(res);
    bool failed = view_failed(v);
    view_free(v);
    if (failed) {
        json_decref(out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return out;
}

/* ---- arenagetrewards ---- */

struct rewards_ctx {
    struct rpc_call *call;
    struct view *view;
    const uint8_t *addr;
    json_t *out;
    uint64_t total_reward, total_a, total_vesting, total_b_paid, total_forfeited, total_slashed,
        total_returned;
    bool ok;
};

static void add_row(struct rewards_ctx *rc, json_t *row, uint64_t reward, uint64_t a,
                    uint64_t vesting, uint64_t b_paid, uint64_t forfeited, uint64_t slashed,
                    uint64_t returned)
{
    json_object_set_new(row, "reward", json_amount(reward));
    json_object_set_new(row, "reward_a", json_amount(a));
    json_object_set_new(row, "reward_b_vesting", json_amount(vesting));
    json_object_set_new(row, "reward_b_paid", json_amount(b_paid));
    json_object_set_new(row, "forfeited", json_amount(forfeited));
    json_object_set_new(row, "slashed", json_amount(slashed));
    json_object_set_new(row, "returned", json_amount(returned));
    json_array_append_new(rc->out, row);
    rc->total_reward += reward;
    rc->total_a += a;
    rc->total_vesting += vesting;
    rc->total_b_paid += b_paid;
    rc->total_forfeited += forfeited;
    rc->total_slashed += slashed;
    rc->total_returned += returned;
}

static bool rewards_task(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct rewards_ctx *rc = arg;
    struct arena_status st;
    struct arena_task t;
    struct arena_operator o;
    const uint8_t *id = key + 2;
    if (klen != ARENA_KEY_TASK_SIZE)
        return true; /* not a status record */
    if (!arena_status_decode(&st, val, vlen) || !get_task(rc->view, id, &t))
        return rc->ok = false;
    if (memcmp(t.creator, rc->addr, PUBKEY_SIZE) == 0) {
        json_t *row = json_object();
        json_object_set_new(row, "task", json_hash(id));
        json_object_set_new(row, "role", json_string("creator"));
        json_object_set_new(row, "state", json_string(arena_task_state_name(st.state)));
        json_object_set_new(row, "budget", json_amount(t.p.budget));
        json_object_set_new(row, "burn", json_amount(st.burn));
        add_row(rc, row, 0, 0, 0, 0, 0, st.slashed_budget, st.returned);
    }
    if (get_operator(rc->view, id, rc->addr, &o)) {
        json_t *row = json_object();
        const char *role = arena_role_name(o.role);
        uint64_t vesting = (o.flags & ARENA_OP_FORFEITED) || o.vest_b_op < o.vest_paid_op
                               ? 0
                               : o.vest_b_op - o.vest_paid_op;
        json_object_set_new(row, "task", json_hash(id));
        json_object_set_new(row, "role", json_string(role ? role : "unknown"));
        json_object_set_new(row, "state", json_string(arena_task_state_name(st.state)));
        json_object_set_new(row, "rank", o.rank ? json_integer(o.rank) : json_null());
        add_row(rc, row, o.f_op, o.reward_a, vesting, o.vest_paid_op, o.forfeited, o.slashed,
                o.returned);
    } else if (view_failed(rc->view)) {
        return rc->ok = false;
    }
    return true;
}

static bool rewards_delegation(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                               size_t vlen)
{
    struct rewards_ctx *rc = arg;
    struct arena_delegation d;
    struct arena_operator o;
    struct arena_status st;
    if (klen != ARENA_KEY_DEL_SIZE)
        return true; /* not a delegation record */
    const uint8_t *id = key + 2, *op = key + 2 + HASH_SIZE, *del = op + PUBKEY_SIZE;
    if (memcmp(del, rc->addr, PUBKEY_SIZE) != 0)
        return true;
    if (!arena_delegation_decode(&d, val, vlen) || !get_operator(rc->view, id, op, &o) ||
        !get_status(rc->view, id, &st))
        return rc->ok = false;
    const struct chain_params *p = rpc_env(rc->call)->params;
    /* The delegator's pro-rata part of its operator's delegator figures. */
    uint64_t reward = arena_pro_rata(o.f_del, d.amount, o.del_total);
    uint64_t b_total = arena_pro_rata(o.vest_b_del, d.amount, o.del_total);
    uint64_t entitled = arena_pro_rata(o.d_credit, d.amount, o.del_total);
    uint64_t b_paid = arena_pro_rata(o.vest_paid_del, d.amount, o.del_total);
    uint64_t a = reward > b_total ? reward - b_total : 0;
    uint64_t vesting = (o.flags & ARENA_OP_FORFEITED) || b_total < b_paid ? 0 : b_total - b_paid;
    uint64_t forfeited = reward > a + b_paid + vesting ? reward - a - b_paid - vesting : 0;
    uint64_t principal = arena_pro_rata(o.del_value, d.amount, o.del_total);
    uint64_t slashed = d.amount > principal ? d.amount - principal : 0;
    json_t *row = json_object();
    json_object_set_new(row, "task", json_hash(id));
    json_object_set_new(row, "role", json_string("delegator"));
    json_object_set_new(row, "state", json_string(arena_task_state_name(st.state)));
    json_object_set_new(row, "operator", json_address(p, op));
    json_object_set_new(row, "delegated", json_amount(d.amount));
    json_object_set_new(row, "principal_paid", json_boolean(d.flags & ARENA_DEL_PRINCIPAL_PAID));
    json_object_set_new(row, "claimed", json_amount(d.claimed));
    json_object_set_new(row, "claimable", json_amount(entitled > d.claimed ? entitled - d.claimed : 0));
    add_row(rc, row, reward, a, vesting, b_paid, forfeited, slashed,
            (d.flags & ARENA_DEL_PRINCIPAL_PAID) ? d.principal : 0);
    return true;
}

static json_t *arenagetrewards(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t addr[PUBKEY_SIZE];
    if (!rpc_arg_address(call, 0, addr))
        return NULL;
    struct rewards_ctx rc = {.call = call, .view = chain_view(env->chain), .addr = addr,
                             .out = json_array(), .ok = true};
    bool ok = rc.view && chain_scan_state(env->chain, "AS", 2, rewards_task, &rc) && rc.ok &&
              chain_scan_state(env->chain, "AD", 2, rewards_delegation, &rc) && rc.ok;
    view_free(rc.view);
    if (!ok) {
        json_decref(rc.out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    json_t *o = json_object(), *tot = json_object();
    json_object_set_new(o, "address", json_address(env->params, addr));
    json_object_set_new(o, "entries", rc.out);
    json_object_set_new(tot, "reward", json_amount(rc.total_reward));
    json_object_set_new(tot, "reward_a", json_amount(rc.total_a));
    json_object_set_new(tot, "reward_b_vesting", json_amount(rc.total_vesting));
    json_object_set_new(tot, "reward_b_paid", json_amount(rc.total_b_paid));
    json_object_set_new(tot, "forfeited", json_amount(rc.total_forfeited));
    json_object_set_new(tot, "slashed", json_amount(rc.total_slashed));
    json_object_set_new(tot, "returned", json_amount(rc.total_returned));
    json_object_set_new(o, "totals", tot);
    return o;
}

/* ---- arenagetvalset ---- */

static json_t *arenagetvalset(struct rpc_call *call)
{
    uint8_t id[HASH_SIZE];
    struct arena_task t;
    struct arena_status st;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    uint64_t set = rpc_uint(call, 1, 0);
    if (set >= t.p.k) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER, "set must be 0..%u", t.p.k - 1u);
    }
    const struct arena_set_commit *sc = &t.p.sets[set];
    struct wbuf bytes;
    wbuf_init(&bytes);
    uint32_t chunks = 0;
    for (uint16_t c = 0; c < sc->n_chunks; c++) {
        uint8_t key[ARENA_KEY_CHUNK_SIZE];
        const uint8_t *val;
        size_t len;
        arena_key_chunk(key, id, (uint8_t)set, c);
        if (!get_raw(v, key, sizeof(key), &val, &len)) {
            if (view_failed(v)) {
                wbuf_free(&bytes);
                return db_error(call, v, NULL);
            }
            continue;
        }
        put_bytes(&bytes, val, len);
        chunks++;
    }
    const uint64_t row = arena_row_size(&t.p.spec);
    const uint32_t width = t.p.spec.sizes[0];
    json_t *o = json_object(), *rows = json_array();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "set", json_integer((json_int_t)set));
    json_object_set_new(o, "complete", json_boolean(st.sets_complete & (1u << set)));
    json_object_set_new(o, "n_rows", json_integer(sc->n_rows));
    json_object_set_new(o, "n_chunks", json_integer(sc->n_chunks));
    json_object_set_new(o, "chunks_present", json_integer(chunks));
    json_object_set_new(o, "deleted", json_boolean(chunks == 0 && st.state >= ARENA_SETTLED));
    for (size_t off = 0; !bytes.failed && row && off + row <= bytes.len; off += row) {
        json_t *r = json_array();
        for (uint32_t i = 0; i < width; i++)
            json_array_append_new(r, q16_real((int32_t)read_le32(bytes.data + off + 4 * i)));
        int32_t label = (int32_t)read_le32(bytes.data + off + 4 * width);
        json_array_append_new(r, t.p.loss == ARENA_LOSS_MSE ? q16_real(label) : json_integer(label));
        json_array_append_new(rows, r);
    }
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "hex", json_hex(bytes.data, bytes.len));
    wbuf_free(&bytes);
    view_free(v);
    return o;
}

/* ---- arenagetsubmission / arenagetscores ---- */

static json_t *arenagetsubmission(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint8_t id[HASH_SIZE], addr[PUBKEY_SIZE], key[ARENA_KEY_OP_SIZE];
    struct arena_task t;
    struct arena_status st;
    struct arena_operator op;
    const uint8_t *val, *w;
    size_t len;
    uint64_t n;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!rpc_arg_address(call, 1, addr)) {
        view_free(v);
        return NULL;
    }
    if (!get_operator(v, id, addr, &op) || op.role != ARENA_ROLE_TRAINER) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "No trainer with this address in the task");
    }
    arena_key_operator(key, 'W', id, addr);
    if (!get_raw(v, key, sizeof(key), &val, &len)) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         (op.flags & ARENA_OP_REVEALED)
                             ? "The submission's weights were deleted at settlement (only rank-1 "
                               "submissions are kept)"
                             : "The trainer has not revealed a submission");
    }
    if (!arena_weights_decode(&w, &n, val, len))
        return db_error(call, v, NULL);
    json_t *o = json_object(), *q = json_array(), *d = json_array();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "address", json_address(p, addr));
    json_object_set_new(o, "seq", json_integer(op.seq));
    json_object_set_new(o, "model_hash", json_hash(op.model_hash));
    json_object_set_new(o, "duplicate", json_boolean(op.flags & ARENA_OP_DUPLICATE));
    for (uint64_t i = 0; i < n; i++) {
        int32_t x = (int32_t)read_le32(w + 4 * i);
        json_array_append_new(q, json_integer(x));
        json_array_append_new(d, q16_real(x));
    }
    json_object_set_new(o, "weights_q16", q);
    json_object_set_new(o, "weights", d);
    json_object_set_new(o, "hex", json_hex(w, 4 * (size_t)n));
    view_free(v);
    return o;
}

static json_t *arenagetscores(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint8_t id[HASH_SIZE], addr[PUBKEY_SIZE], key[ARENA_KEY_OP_SIZE];
    struct arena_task t;
    struct arena_status st;
    struct arena_operator op;
    const uint8_t *val, *l;
    size_t len;
    uint32_t n;
    struct view *v = load_task(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!rpc_arg_address(call, 1, addr)) {
        view_free(v);
        return NULL;
    }
    if (!get_operator(v, id, addr, &op) || op.role != ARENA_ROLE_VALIDATOR) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "No validator with this address in the task");
    }
    json_t *o = json_object(), *assign = json_array(), *losses = json_array();
    json_object_set_new(o, "task", json_hash(id));
    json_object_set_new(o, "validator", json_address(p, addr));
    for (uint8_t k = 0; k < t.p.k; k++)
        json_array_append_new(assign, json_integer(op.count[k]));
    json_object_set_new(o, "assignment", assign);
    json_object_set_new(o, "committed", json_boolean(op.flags & ARENA_OP_SCORE_COMMITTED));
    json_object_set_new(o, "commitment", (op.flags & ARENA_OP_SCORE_COMMITTED)
                                             ? json_hash(op.score_commitment)
                                             : json_null());
    json_object_set_new(o, "revealed", json_boolean(op.flags & ARENA_OP_SCORE_REVEALED));
    arena_key_operator(key, 'Z', id, addr);
    if (get_raw(v, key, sizeof(key), &val, &len)) {
        if (!arena_losses_decode(&l, &n, val, len))
            return db_error(call, v, o);
        for (uint32_t i = 0; i < n; i++)
            json_array_append_new(losses, json_integer(read_le32(l + 4 * i)));
        json_object_set_new(o, "losses", losses);
    } else {
        json_decref(losses);
        json_object_set_new(o, "losses", json_null());
    }
    bool failed = view_failed(v);
    view_free(v);
    if (failed) {
        json_decref(o);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return o;
}

/* ---- the table ---- */

static const char task_result[] =
    "{\n"
    "  \"task\": \"hex\",             (the txid of its ARENA_TASK_CREATE)\n"
    "  \"creator\": \"address\",\n"
    "  \"state\": \"open\" | \"reveal\" | \"scoring\" | \"settled\" | \"refunded\" | \"failed\",\n"
    "  \"phase\": \"submit\" | \"reveal\" | \"sets\" | \"score_commit\" | \"score_reveal\" | \"settling\"\n"
    "           | the state (what the next block may carry)\n"
    "  \"created_height\": n, \"end_height\": n | null,\n"
    "  \"params\": {\"model\": {\"kind\", \"sizes\", \"parameters\", \"normalization\"}, \"loss\":\n"
    "      \"logloss\" | \"mse\", \"data_hash\", \"uri\", \"sets\", \"submit_blocks\", \"reveal_blocks\",\n"
    "      \"score_commit_blocks\", \"score_reveal_blocks\", \"budget\" (FML), \"gamma_bps\", \"q_bps\",\n"
    "      \"delta_bps\", \"D_bps\", \"epsilon\" (Q16.16 raw), \"vest_epochs\", \"draws_per_set\",\n"
    "      \"max_trainers\", \"max_validators\", \"trainer_min_stake\", \"validator_min_stake\" (FML),\n"
    "      \"slash_bps\"},\n"
    "  \"windows\": {\"submit_start\", \"submit_end\", \"reveal_end\", \"sets_end\", \"score_commit_end\",\n"
    "               \"settle_height\", \"vest_heights\": [n, ...]},  (heights, inclusive)\n"
    "  \"sets\": [{\"set\", \"root\", \"n_chunks\", \"n_rows\", \"revealed_chunks\", \"revealed_rows\",\n"
    "            \"complete\"}, ...],\n"
    "  \"pool\": {\"burn_bps\", \"match_bps\" (the chain's), \"budget\", \"burn\", \"budget_left\", \"match\", \"distributed\", \"validators_group\",\n"
    "            \"trainers_group\", \"paid\", \"vest_paid\", \"vest_pending\", \"forfeited\", \"dust\",\n"
    "            \"returned\", \"slashed\", \"slashed_budget\" (FML), \"balanced\": bool},\n"
    "  \"n_trainers\", \"n_validators\", \"n_commits\", \"n_scoreable\": n,\n"
    "  \"operators\": [{\"address\", \"role\", \"own_stake\", \"delegated\", \"delegations\",\n"
    "      \"sigma_bps\", \"stake_snapshot\", \"eligible\",\n"
    "      trainers: \"seq\", \"committed\", \"commitment\", \"revealed\", \"duplicate\", \"model_hash\",\n"
    "                \"loss\" (decimal string), \"loss_raw\", \"rank\";\n"
    "      validators: \"assignment\" ([draws per set]), \"scores_committed\", \"scores_revealed\",\n"
    "                  \"deviation_bps\", \"closeness_bps\";\n"
    "      \"reward\", \"reward_operator\", \"reward_delegators\", \"reward_a\", \"slashed\",\n"
    "      \"slashed_delegations\", \"forfeited\", \"returned\" (FML), \"was_slashed\"}, ...],\n"
    "                           (ascending address key)\n"
    "  \"submissions\": [{\"address\", \"seq\", \"model_hash\"}, ...],  (scoreable, commit order)\n"
    "  \"results\": [{\"address\", \"seq\", \"loss\", \"loss_raw\", \"rank\",\n"
    "               \"set_losses\": [raw | null (no consensus), ...]}, ...] | null (before SETTLE)\n"
    "}";

static const char rewards_result[] =
    "{\n"
    "  \"address\": \"address\",\n"
    "  \"entries\": [{\"task\", \"role\": \"trainer\" | \"validator\" | \"delegator\" | \"creator\",\n"
    "      \"state\", \"reward\" (the operator's part f_op, or the delegator's part of its\n"
    "      operator's delegator reward), \"reward_a\" (paid at settlement), \"reward_b_vesting\"\n"
    "      (not yet paid), \"reward_b_paid\", \"forfeited\" (an operator's: its own and its\n"
    "      delegators' tranches), \"slashed\", \"returned\" (FML);\n"
    "      creator: \"budget\", \"burn\"; trainer/validator: \"rank\";\n"
    "      delegator: \"operator\", \"delegated\", \"principal_paid\", \"claimed\", \"claimable\"}, ...],\n"
    "  \"totals\": {\"reward\", \"reward_a\", \"reward_b_vesting\", \"reward_b_paid\", \"forfeited\",\n"
    "             \"slashed\", \"returned\"}\n"
    "}";

const struct rpc_method arena_rpc_methods[] = {
    {
        .category = "Arena",
        .name = "arenalisttasks",
        .handler = arenalisttasks,
        .summary = "Lists every Arena task in the state, in task id order.",
        .result = "[{\"task\", \"creator\", \"state\", \"created_height\", \"submit_end\", \"reveal_end\", "
                  "\"sets_end\", \"score_commit_end\", \"settle_height\", \"budget\" (FML), \"n_trainers\", "
                  "\"n_validators\"}, ...]",
        .examples = "fml-cli arenalisttasks",
    },
    {
        .category = "Arena",
        .name = "arenagettask",
        .handler = arenagettask,
        .summary = "Shows an Arena task: its parameters and windows, its validation sets' "
                   "commitments and how much of each is revealed, its pool (budget, burn, match, "
                   "paid, vesting, forfeited, dust, returned, slashed), every operator with its "
                   "stake, assignment, submission or scores, rank, reward and slashes, the "
                   "scoreable submissions, and after settlement the results.",
        .args = {{"task", RPC_STR, true, NULL, "The task id (txid of its ARENA_TASK_CREATE)"}},
        .result = task_result,
        .examples = "fml-cli arenagettask 6f1c...e2",
    },
    {
        .category = "Arena",
        .name = "arenaleaderboard",
        .handler = arenaleaderboard,
        .summary = "The ranked submissions of a settled task, sorted by (rank, loss, commit "
                   "order).  Submissions within epsilon of their rank's leader share its rank.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"}},
        .result = "[{\"rank\": n, \"address\", \"consensus_loss\" (decimal string of the Q16.16 "
                  "loss), \"consensus_loss_raw\" (u32), \"seq\" (commit order), \"model_hash\", "
                  "\"reward\" (FML, the trainer's f before the delegators' part)}, ...]",
        .examples = "fml-cli arenaleaderboard 6f1c...e2",
    },
    {
        .category = "Arena",
        .name = "arenagetrewards",
        .handler = arenagetrewards,
        .summary = "What an address earned, has vesting, forfeited, lost to slashes and got "
                   "back in every Arena task: as trainer, validator, delegator or creator.",
        .args = {{"address", RPC_STR, true, NULL, "The address"}},
        .result = rewards_result,
        .examples = "fml-cli arenagetrewards fml1q...",
    },
    {
        .category = "Arena",
        .name = "arenagetvalset",
        .handler = arenagetvalset,
        .summary = "The revealed rows of a validation set (from the set window to "
                   "settlement, when the set's data is deleted): each row's features as "
                   "decimals and its label (class index for logloss, decimal target for mse), "
                   "and the raw bytes as hex.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"set", RPC_UINT, true, NULL, "The set, 0 .. K-1"}},
        .result = "{\"task\", \"set\", \"complete\", \"n_rows\", \"n_chunks\", \"chunks_present\", "
                  "\"deleted\", \"rows\": [[f1, ..., fn, label], ...], \"hex\": \"hex\" (the "
                  "revealed chunks' bytes in chunk order)}",
        .examples = "fml-cli arenagetvalset 6f1c...e2 0",
    },
    {
        .category = "Arena",
        .name = "arenagetsubmission",
        .handler = arenagetsubmission,
        .summary = "A trainer's revealed weights (kept until settlement, and after it for "
                   "rank-1 submissions).",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"address", RPC_STR, true, NULL, "The trainer's address"}},
        .result = "{\"task\", \"address\", \"seq\", \"model_hash\", \"duplicate\", \"weights_q16\": "
                  "[n, ...], \"weights\": [x, ...] (decimals), \"hex\"}",
        .examples = "fml-cli arenagetsubmission 6f1c...e2 fml1q...",
    },
    {
        .category = "Arena",
        .name = "arenagetscores",
        .handler = arenagetscores,
        .summary = "A validator's assignment (draws per set) and its revealed losses, ordered "
                   "by assigned set ascending, then by submission in commit order.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"address", RPC_STR, true, NULL, "The validator's address"}},
        .result = "{\"task\", \"validator\", \"assignment\": [n per set], \"committed\", "
                  "\"commitment\", \"revealed\", \"losses\": [u32 Q16.16, ...] | null}",
        .examples = "fml-cli arenagetscores 6f1c...e2 fml1q...",
    },
};
const size_t arena_rpc_methods_count = sizeof(arena_rpc_methods) / sizeof(arena_rpc_methods[0]);
