/* Wallet helpers of the FL Alliance: create a task, join it, commit and
 * reveal an update, commit and reveal a vote.  Each builds the transaction,
 * signs it with a wallet key, records it and submits it like sendtoaddress.
 *
 * What a commitment hides until its reveal window (an update's weights and
 * salt, a vote's verdicts, metrics and salt) is kept in wallet.dat as a
 * record of the Arena's kind (wallet/arenarecs.c: WALLET_FL_UPDATE,
 * WALLET_FL_VOTE; one live record per kind, task and key), written before
 * the commitment is submitted, so flrevealupdate and flrevealvote need only
 * the task and the round, also after a restart: each reveals the record
 * whose commitment is the one on chain.  A record is replaced by the key's
 * next commitment in the task and pruned once its round has closed.  Salts
 * only hide a commitment until its reveal; they are no key material. */
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "consensus/fltx.h"
#include "rpc/util.h"
#include "wallet/internal.h"
#include "wallet/rpcinternal.h"
#include "wallet/rpcwallet.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared ---- */

/* The task argument, which must exist; the snapshot (task fields point into it)
 * is the caller's to free. */
static struct chain_snapshot *task_arg(struct rpc_call *call, size_t idx, uint8_t id[HASH_SIZE],
                                      struct fl_task *t, struct fl_status *st)
{
    if (!rpc_arg_hash(call, idx, "task", id))
        return NULL;
    const struct wallet_chain *c = rpcw_chain(call);
    struct chain_snapshot *v = rpcw_snapshot(call);
    if (v && c->fl_task(v, id, t) && c->fl_status(v, id, st))
        return v;
    rpcw_snapshot_free(call, v);
    rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Task not found");
    return NULL;
}

static bool round_arg(struct rpc_call *call, size_t idx, uint32_t *round)
{
    uint64_t r = rpc_uint(call, idx, 0);
    if (r == 0 || r > UINT32_MAX) {
        rpc_error(call, RPC_INVALID_PARAMETER, "round must be 1 or more");
        return false;
    }
    *round = (uint32_t)r;
    return true;
}

enum round_window { WIN_SUBMIT, WIN_UPDATE_REVEAL, WIN_COMMIT, WIN_REVEAL };

/* Whether the next block is in the window of `round` where `what` is
 * accepted: the task running that round, the height inside the window; -8
 * naming the heights otherwise (nothing is sent). */
static bool in_window(struct rpc_call *call, const struct fl_task *t, const struct fl_status *st,
                      uint32_t round, enum round_window which, const char *what)
{
    struct fl_windows win;
    const uint64_t next = rpcw_tip_height(call) + 1;
    if (st->state != FL_TASK_RUNNING || st->round != round) {
        if (st->state == FL_TASK_OPEN)
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "%s refused: the task is still in its join window (round 1 starts after "
                      "height %" PRIu64 ")", what, fl_join_end(t));
        else if (st->state != FL_TASK_RUNNING)
            rpc_error(call, RPC_INVALID_PARAMETER, "%s refused: the task is %s", what,
                      fl_task_state_name(st->state));
        else
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "%s refused: round %u is not the task's current round (%u)", what, round,
                      st->round);
        return false;
    }
    fl_round_windows(&t->p, st->round_start, &win);
    uint64_t a, b;
    switch (which) {
    case WIN_SUBMIT: a = win.submit_start, b = win.submit_end; break;
    case WIN_UPDATE_REVEAL: a = win.update_reveal_start, b = win.update_reveal_end; break;
    case WIN_COMMIT: a = win.commit_start, b = win.commit_end; break;
    default: a = win.reveal_start, b = win.reveal_end; break;
    }
    if (next >= a && next <= b)
        return true;
    rpc_error(call, RPC_INVALID_PARAMETER,
              "%s is only accepted at heights %" PRIu64 "..%" PRIu64 " of round %u (the next "
              "block is %" PRIu64 ")", what, a, b, round, next);
    return false;
}

/* Whether the wallet has sent, and not yet seen confirmed, a transaction of
 * this type from pub for the task and round (task and round lead every
 * round payload). */
static bool pending(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE], uint8_t type,
                    const uint8_t task[HASH_SIZE], uint32_t round)
{
    for (size_t i = 0; i < wallet_tx_count(w); i++) {
        const struct wallet_tx *t = wallet_tx_at(w, i);
        if (t->state == WALLET_TX_UNCONFIRMED && t->tx.type == type &&
            memcmp(t->tx.sender, pub, PUBKEY_SIZE) == 0 && t->tx.payload_len >= HASH_SIZE + 4 &&
            memcmp(t->tx.payload, task, HASH_SIZE) == 0 &&
            read_le32(t->tx.payload + HASH_SIZE) == round)
            return true;
    }
    return false;
}

/* Whether pub has an entry in the round with the role (0: any role, as for
 * a vote, which every participant of the round casts) and has not made this
 * commitment (`type`: its update's or its vote's), and none from it is
 * waiting. */
static bool may_commit(struct rpc_call *call, struct wallet *w, struct chain_snapshot *v,
                       const uint8_t task[HASH_SIZE], uint32_t round, uint8_t role, uint8_t type,
                       const uint8_t pub[PUBKEY_SIZE])
{
    struct fl_entry e;
    bool committed;
    if (!rpcw_chain(call)->fl_entry(v, task, round, pub, &e) || (role && e.role != role))
        return false;
    committed = type == TX_FL_VOTE_COMMIT ? (e.vote_flags & FL_VOTE_COMMITTED)
                                          : (e.flags & FL_ENTRY_COMMITTED);
    return !committed && !pending(w, pub, type, task, round);
}

/* The committing key: the address argument idx, which must qualify, or the
 * first wallet key (in creation order) that does; -4 with `why` otherwise. */
static bool committer(struct rpc_call *call, struct wallet *w, struct chain_snapshot *v,
                      const uint8_t task[HASH_SIZE], uint32_t round, size_t idx, uint8_t role,
                      uint8_t type, const char *why, uint8_t out[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    if (rpc_has(call, idx)) {
        if (!rpcw_own_address(call, w, idx, out))
            return false;
        if (may_commit(call, w, v, task, round, role, type, out))
            return true;
        rpc_error(call, RPC_WALLET_ERROR,
                  "The address does not qualify: it must be a key that %s in round %u", why, round);
        return false;
    }
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        if (may_commit(call, w, v, task, round, role, type, k.pub)) {
            memcpy(out, k.pub, PUBKEY_SIZE);
            return true;
        }
    }
    rpc_error(call, RPC_WALLET_ERROR, "No key of this wallet %s in round %u", why, round);
    return false;
}

/* A record whose task the chain does not know is dropped this many blocks
 * after it was stored (its creation was never confirmed). */
#define FL_REC_ORPHAN_BLOCKS 100

/* Drops the wallet's FL records whose round has closed (their task moved on
 * to a later round or ended) or whose task the chain does not know. */
static void prune_records(struct rpc_call *call, struct wallet *w, struct chain_snapshot *v)
{
    const struct wallet_chain *c = rpcw_chain(call);
    for (size_t i = 0; i < w->narena;) {
        const struct wallet_arena_rec *r = w->arena[i];
        struct fl_status st;
        char err[256];
        if ((r->kind != WALLET_FL_UPDATE && r->kind != WALLET_FL_VOTE) || r->len < 4) {
            i++;
            continue;
        }
        uint32_t round = read_le32(r->data);
        bool known = c->fl_status(v, r->task, &st);
        bool closed = known ? st.state != FL_TASK_RUNNING || st.round > round
                            : rpcw_tip_height(call) >= r->stored_height + FL_REC_ORPHAN_BLOCKS;
        uint8_t task[HASH_SIZE], key[PUBKEY_SIZE];
        memcpy(task, r->task, HASH_SIZE);
        memcpy(key, r->key, PUBKEY_SIZE);
        if (!closed || !wallet_arena_drop(w, r->kind, task, key, err, sizeof(err)))
            i++; /* kept (a failed write leaves it for the next time) */
    }
}

/* Stores a commitment's secret, submits the commitment, and takes the
 * secret back when the commitment was refused. */
static json_t *commit_with_secret(struct rpc_call *call, struct wallet *w, uint8_t kind,
                                  uint8_t type, const uint8_t task[HASH_SIZE], uint32_t round,
                                  const uint8_t from[PUBKEY_SIZE],
                                  const uint8_t commitment[HASH_SIZE], const struct wbuf *secret,
                                  void (*encode)(const uint8_t task[HASH_SIZE], uint32_t round,
                                                 const uint8_t c[HASH_SIZE], struct wbuf *pl))
{
    char err[256];
    if (secret->failed)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    if (!wallet_arena_put(w, kind, task, from, rpcw_tip_height(call), secret->data, secret->len,
                          err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "Cannot store the secret of the commitment: %s",
                         err);
    struct wbuf pl;
    wbuf_init(&pl);
    encode(task, round, commitment, &pl);
    json_t *txid = rpcw_submit_payload(call, w, from, type, &pl);
    wbuf_free(&pl);
    if (!txid && !wallet_arena_drop(w, kind, task, from, err, sizeof(err)))
        (void)0; /* pruned once its round has closed */
    return txid;
}

/* ---- flcreatetask ---- */

bool rpcw_opt_uint(struct rpc_call *call, json_t *o, const char *name, uint64_t max,
                   uint64_t *out)
{
    json_t *x = json_object_get(o, name);
    if (!x)
        return true;
    if (!json_is_integer(x) || json_integer_value(x) < 0 || (uint64_t)json_integer_value(x) > max) {
        rpc_error(call, RPC_INVALID_PARAMETER, "%s must be an integer 0..%" PRIu64, name, max);
        return false;
    }
    *out = (uint64_t)json_integer_value(x);
    return true;
}

bool rpcw_opt_amount(struct rpc_call *call, json_t *o, const char *name, uint64_t *out)
{
    const char *err;
    json_t *x = json_object_get(o, name);
    if (!x)
        return true;
    if (!rpc_parse_amount_err(x, out, &err)) {
        rpc_error(call, RPC_TYPE_ERROR, "%s: %s", name, err);
        return false;
    }
    return true;
}

bool rpcw_parse_q16(const json_t *x, int32_t *out)
{
    if (json_is_string(x))
        return fl_q16_parse(json_string_value(x), out);
    if (json_is_integer(x)) {
        json_int_t i = json_integer_value(x);
        if (i < -32768 || i > 32767)
            return false;
        *out = (int32_t)(i * FL_Q16_ONE);
        return true;
    }
    if (json_is_real(x)) {
        /* Through its shortest decimal text, so 0.1 means 0.1. */
        char buf[40];
        double d = json_real_value(x);
        if (!isfinite(d))
            return false;
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*f", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return fl_q16_parse(buf, out);
    }
    return false;
}

/* Weights as hex of the canonical bytes, or a JSON array of Q16.16
 * integers (also as the text of one, as fml-cli sends it); *bytes is
 * allocated. */
static bool parse_weights(struct rpc_call *call, json_t *x, uint8_t **bytes, size_t *n)
{
    *bytes = NULL;
    *n = 0;
    if (json_is_string(x) && json_string_value(x)[0] == '[') {
        json_t *arr = json_loads(json_string_value(x), 0, NULL);
        if (!arr) {
            rpc_error(call, RPC_INVALID_PARAMETER, "weights: not a JSON array");
            return false;
        }
        bool ok = json_is_array(arr) && parse_weights(call, arr, bytes, n);
        if (!json_is_array(arr))
            rpc_error(call, RPC_INVALID_PARAMETER, "weights: not a JSON array");
        json_decref(arr);
        return ok;
    }
    if (json_is_string(x)) {
        const char *s = json_string_value(x);
        size_t len = strlen(s), bin;
        if (len % 8 != 0 || !(*bytes = malloc(len / 2 + 1)) ||
            sodium_hex2bin(*bytes, len / 2, s, len, NULL, &bin, NULL) != 0 || bin != len / 2) {
            free(*bytes);
            *bytes = NULL;
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "weights: hex of 4 bytes per weight (int32 little-endian) expected");
            return false;
        }
        *n = bin / 4;
        return true;
    }
    if (!json_is_array(x)) {
        rpc_error(call, RPC_TYPE_ERROR, "weights: a hex string or an array of Q16.16 integers");
        return false;
    }
    *n = json_array_size(x);
    *bytes = malloc(4 * *n + 1);
    if (!*bytes) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        return false;
    }
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(x, i);
        if (!json_is_integer(e) || json_integer_value(e) < INT32_MIN ||
            json_integer_value(e) > INT32_MAX) {
            free(*bytes);
            *bytes = NULL;
            rpc_error(call, RPC_INVALID_PARAMETER, "weights[%zu]: a Q16.16 integer (int32) expected", i);
            return false;
        }
        write_le32(*bytes + 4 * i, (uint32_t)(int32_t)json_integer_value(e));
    }
    return true;
}

static const char *const create_keys[] = {
    "address", "model", "sizes", "normalization", "initial_weights", "rounds",
    "min_participants", "max_participants", "min_stake", "proposer_slots", "join_blocks",
    "submit_blocks", "update_reveal_blocks", "commit_blocks", "reveal_blocks", "aggregator",
    "slash_bps", "voter_reward_bps", "budget", "allowlist",
};

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, PUBKEY_SIZE);
}

/* Everything flcreatetask allocates. */
struct create_buf {
    uint8_t *norm, *init, *allow;
};

static bool create_parse(struct rpc_call *call, json_t *o, struct fl_task_params *t,
                         struct create_buf *b)
{
    const char *key;
    json_t *x;
    uint64_t u;
    json_object_foreach(o, key, x) {
        bool known = false;
        for (size_t i = 0; i < sizeof(create_keys) / sizeof(create_keys[0]); i++)
            known = known || strcmp(key, create_keys[i]) == 0;
        if (!known) {
            rpc_error(call, RPC_INVALID_PARAMETER, "Unknown option: %.64s", key);
            return false;
        }
    }
    /* The model. */
    const char *kind = json_string_value(json_object_get(o, "model"));
    if (!kind || strcmp(kind, "logistic") == 0)
        t->spec.kind = FL_MODEL_LOGREG;
    else if (strcmp(kind, "softmax") == 0)
        t->spec.kind = FL_MODEL_SOFTMAX;
    else if (strcmp(kind, "mlp") == 0)
        t->spec.kind = FL_MODEL_MLP;
    else {
        rpc_error(call, RPC_INVALID_PARAMETER, "model must be \"logistic\", \"softmax\" or \"mlp\"");
        return false;
    }
    x = json_object_get(o, "sizes");
    if (!json_is_array(x) || json_array_size(x) < 2 || json_array_size(x) > FL_MAX_SIZES) {
        rpc_error(call, RPC_INVALID_PARAMETER, "sizes: an array [inputs, ..., outputs] of 2..%d layer sizes is required",
                  FL_MAX_SIZES);
        return false;
    }
    t->spec.n_sizes = (uint32_t)json_array_size(x);
    for (size_t i = 0; i < json_array_size(x); i++) {
        json_t *s = json_array_get(x, i);
        if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > FL_MAX_UNITS) {
            rpc_error(call, RPC_INVALID_PARAMETER, "sizes[%zu] must be 1..%u", i, FL_MAX_UNITS);
            return false;
        }
        t->spec.sizes[i] = (uint32_t)json_integer_value(s);
    }
    x = json_object_get(o, "normalization");
    if (x) {
        if (!json_is_array(x) || json_array_size(x) != t->spec.sizes[0]) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "normalization: one [mean, std] pair per input (%u) expected", t->spec.sizes[0]);
            return false;
        }
        b->norm = malloc(8 * json_array_size(x) + 1);
        if (!b->norm) {
            rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
            return false;
        }
        for (size_t i = 0; i < json_array_size(x); i++) {
            json_t *pair = json_array_get(x, i);
            int32_t mean, std;
            if (!json_is_array(pair) || json_array_size(pair) != 2 ||
                !rpcw_parse_q16(json_array_get(pair, 0), &mean) ||
                !rpcw_parse_q16(json_array_get(pair, 1), &std)) {
                rpc_error(call, RPC_INVALID_PARAMETER, "normalization[%zu]: [mean, std] as decimals expected", i);
                return false;
            }
            write_le32(b->norm + 8 * i, (uint32_t)mean);
            write_le32(b->norm + 8 * i + 4, (uint32_t)std);
        }
        t->spec.n_norm = (uint32_t)json_array_size(x);
        t->spec.norm = b->norm;
    }
    x = json_object_get(o, "initial_weights");
    if (x) {
        size_t n;
        if (!parse_weights(call, x, &b->init, &n))
            return false;
        t->n_init = n;
        t->init = b->init;
    }
    /* The numbers, with their defaults. */
    u = t->rounds;
    if (!rpcw_opt_uint(call, o, "rounds", UINT32_MAX, &u))
        return false;
    t->rounds = (uint32_t)u;
    u = t->min_participants;
    if (!rpcw_opt_uint(call, o, "min_participants", UINT16_MAX, &u))
        return false;
    t->min_participants = (uint16_t)u;
    u = t->max_participants;
    if (!rpcw_opt_uint(call, o, "max_participants", UINT16_MAX, &u))
        return false;
    t->max_participants = (uint16_t)u;
    u = t->proposer_slots;
    if (!rpcw_opt_uint(call, o, "proposer_slots", UINT16_MAX, &u))
        return false;
    t->proposer_slots = (uint16_t)u;
    uint32_t *windows[] = {&t->join_blocks, &t->submit_blocks, &t->update_reveal_blocks,
                           &t->commit_blocks, &t->reveal_blocks};
    const char *wnames[] = {"join_blocks", "submit_blocks", "update_reveal_blocks",
                            "commit_blocks", "reveal_blocks"};
    for (int i = 0; i < 5; i++) {
        u = *windows[i];
        if (!rpcw_opt_uint(call, o, wnames[i], UINT32_MAX, &u))
            return false;
        *windows[i] = (uint32_t)u;
    }
    u = t->slash_bps;
    if (!rpcw_opt_uint(call, o, "slash_bps", UINT16_MAX, &u))
        return false;
    t->slash_bps = (uint16_t)u;
    u = t->voter_reward_bps;
    if (!rpcw_opt_uint(call, o, "voter_reward_bps", UINT16_MAX, &u))
        return false;
    t->voter_reward_bps = (uint16_t)u;
    if (!rpcw_opt_amount(call, o, "min_stake", &t->min_stake))
        return false;
    if (!json_object_get(o, "budget")) {
        rpc_error(call, RPC_INVALID_PARAMETER, "budget (FML) is required");
        return false;
    }
    if (!rpcw_opt_amount(call, o, "budget", &t->budget))
        return false;
    /* "fedavg", "median", "trimmed_mean:K". */
    const char *agg = json_string_value(json_object_get(o, "aggregator"));
    if (json_object_get(o, "aggregator") && !agg) {
        rpc_error(call, RPC_TYPE_ERROR, "aggregator must be a string");
        return false;
    }
    if (agg && strcmp(agg, "fedavg") == 0) {
        t->aggregator = FL_AGG_FEDAVG;
    } else if (agg && strcmp(agg, "median") == 0) {
        t->aggregator = FL_AGG_MEDIAN;
    } else if (agg) {
        char *end;
        unsigned long k;
        if (strncmp(agg, "trimmed_mean:", 13) != 0 || !(k = strtoul(agg + 13, &end, 10)) ||
            *end != '\0' || k > UINT16_MAX) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "aggregator must be \"fedavg\", \"median\" or \"trimmed_mean:K\" (K >= 1)");
            return false;
        }
        t->aggregator = FL_AGG_TRIMMED_MEAN;
        t->trim_k = (uint16_t)k;
    }
    x = json_object_get(o, "allowlist");
    if (x) {
        if (!json_is_array(x) || json_array_size(x) > FL_MAX_ALLOW) {
            rpc_error(call, RPC_INVALID_PARAMETER, "allowlist: an array of at most %d addresses", FL_MAX_ALLOW);
            return false;
        }
        size_t n = json_array_size(x);
        b->allow = malloc(n * PUBKEY_SIZE + 1);
        if (!b->allow) {
            rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(x, i));
            if (!s || !address_decode(b->allow + i * PUBKEY_SIZE, rpc_env(call)->params->hrp, s)) {
                rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address in allowlist: %.100s", s ? s : "?");
                return false;
            }
        }
        qsort(b->allow, n, PUBKEY_SIZE, cmp_key);
        t->n_allow = n;
        t->allow = b->allow;
    }
    return true;
}

static json_t *flcreatetask(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    json_t *o = rpc_json(call, 0);
    struct create_buf b = {NULL, NULL, NULL};
    uint8_t from[PUBKEY_SIZE];
    struct validation v;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct fl_task_params t = {
        .rounds = 10,
        .min_participants = 2,
        .max_participants = 10,
        .min_stake = 1 * COIN,
        .proposer_slots = 5,
        .join_blocks = 10,
        .submit_blocks = 5,
        .update_reveal_blocks = 3,
        .commit_blocks = 3,
        .reveal_blocks = 3,
        .aggregator = FL_AGG_FEDAVG,
        .slash_bps = 1000,
        .voter_reward_bps = 2000,
    };
    if (!create_parse(call, o, &t, &b))
        goto done;
    val_init(&v);
    if (!fl_task_params_check(&t, env->params, &v)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "Invalid task: %s%s%s", v.reason,
                  v.detail[0] ? ", " : "", v.detail);
        goto done;
    }
    if (json_object_get(o, "address")) {
        json_t *a = json_object_get(o, "address");
        const char *s = json_string_value(a);
        struct wallet_key_info k;
        if (!s || !address_decode(from, env->params->hrp, s)) {
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address: %.100s", s ? s : "?");
            goto done;
        }
        if (!wallet_key_info(w, from, &k)) {
            rpc_error(call, RPC_WALLET_ERROR, "Address %.100s is not in the wallet", s);
            goto done;
        }
    } else if (!rpcw_richest(call, w, t.budget, NULL, NULL, from)) {
        goto done;
    }
    if (!rpcw_unlocked(call, w))
        goto done;
    struct wbuf pl;
    wbuf_init(&pl);
    fl_task_params_encode(&t, &pl);
    json_t *txid = rpcw_submit_payload(call, w, from, TX_FL_TASK_CREATE, &pl);
    wbuf_free(&pl);
    if (txid) {
        res = json_object();
        json_object_set_new(res, "txid", txid);
        json_object_set(res, "task", txid);
    }
done:
    free(b.norm);
    free(b.init);
    free(b.allow);
    return res;
}

/* ---- fljoin ---- */

struct join_ctx {
    const struct wallet_chain *c;
    struct chain_snapshot *v;
    const uint8_t *task;
};

static bool already_joined(void *arg, const uint8_t pub[PUBKEY_SIZE])
{
    struct join_ctx *jc = arg;
    struct fl_participant p;
    return jc->c->fl_participant(jc->v, jc->task, pub, &p);
}

static json_t *fljoin(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE];
    struct fl_task t;
    struct fl_status st;
    struct fl_join j;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    j.stake = rpc_amount(call, 1, 0);
    memcpy(j.task, id, HASH_SIZE);
    struct join_ctx jc = {rpcw_chain(call), v, id};
    bool ok = rpc_has(call, 2) ? rpcw_own_address(call, w, 2, from)
                               : rpcw_richest(call, w, j.stake, already_joined, &jc, from);
    rpcw_snapshot_free(call, v);
    if (!ok || !rpcw_unlocked(call, w))
        return NULL;
    struct wbuf pl;
    wbuf_init(&pl);
    fl_join_encode(&j, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_FL_JOIN, &pl);
    wbuf_free(&pl);
    return res;
}

/* ---- flsubmitupdate / flrevealupdate ---- */

static void update_commit_payload(const uint8_t task[HASH_SIZE], uint32_t round,
                                  const uint8_t c[HASH_SIZE], struct wbuf *pl)
{
    struct fl_update_commit u;
    memcpy(u.task, task, HASH_SIZE);
    u.round = round;
    memcpy(u.commitment, c, HASH_SIZE);
    fl_update_commit_encode(&u, pl);
}

static json_t *flsubmitupdate(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE], salt[32], model[HASH_SIZE], commitment[HASH_SIZE];
    uint8_t *bytes = NULL;
    struct fl_task t;
    struct fl_status st;
    uint32_t round;
    size_t n;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!round_arg(call, 1, &round) || !parse_weights(call, rpc_json(call, 2), &bytes, &n))
        goto done;
    if (n != fl_param_count(&t.p.spec)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "The model has %" PRIu64 " parameters, not %zu",
                  fl_param_count(&t.p.spec), n);
        goto done;
    }
    if (!in_window(call, &t, &st, round, WIN_SUBMIT, "FL_UPDATE_COMMIT") ||
        !committer(call, w, v, id, round, 3, FL_ROLE_PROPOSER, TX_FL_UPDATE_COMMIT,
                   "is a proposer yet to commit", from) ||
        !rpcw_unlocked(call, w))
        goto done;
    prune_records(call, w, v);
    randombytes_buf(salt, sizeof(salt));
    fl_model_hash(model, bytes, n);
    fl_update_commitment(commitment, id, round, from, model, salt);
    struct wbuf secret;
    wallet_wbuf_secure(&secret, 4 + 32 + 4 + 4 * n);
    put_u32(&secret, round);
    put_bytes(&secret, salt, 32);
    put_u32(&secret, (uint32_t)n);
    put_bytes(&secret, bytes, 4 * n);
    res = commit_with_secret(call, w, WALLET_FL_UPDATE, TX_FL_UPDATE_COMMIT, id, round, from,
                             commitment, &secret, update_commit_payload);
    wallet_wbuf_wipe(&secret);
done:
    sodium_memzero(salt, sizeof(salt));
    free(bytes);
    rpcw_snapshot_free(call, v);
    return res;
}

/* A record's secret as kept: round u32 | salt [32] | n u32 | n x `width`
 * bytes; false when it is not of that round or malformed. */
struct secret {
    uint32_t round;
    const uint8_t *salt;
    uint32_t n;
    const uint8_t *items;
};

static bool secret_parse(const struct wallet_arena_rec *r, size_t width, struct secret *s)
{
    if (!r || r->len < 40)
        return false;
    s->round = read_le32(r->data);
    s->salt = r->data + 4;
    s->n = read_le32(r->data + 36);
    s->items = r->data + 40;
    return r->len == 40 + width * (size_t)s->n;
}

/* The wallet key (the address argument idx, or the first that fits) whose
 * record of `kind` for the round matches the commitment it has on chain,
 * not yet revealed (nor a reveal waiting); its record to *rec. */
static bool revealer(struct rpc_call *call, struct wallet *w, struct chain_snapshot *v,
                     const uint8_t task[HASH_SIZE], uint32_t round, size_t idx, uint8_t kind,
                     uint8_t out[PUBKEY_SIZE], const struct wallet_arena_rec **rec)
{
    const bool upd = kind == WALLET_FL_UPDATE;
    const uint8_t type = upd ? TX_FL_UPDATE_REVEAL : TX_FL_VOTE_REVEAL;
    uint8_t only[PUBKEY_SIZE];
    struct wallet_key_info k;
    bool has_only = rpc_has(call, idx);
    if (has_only && !rpcw_own_address(call, w, idx, only))
        return false;
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        const struct wallet_arena_rec *r = wallet_arena_find(w, kind, task, k.pub);
        struct secret s;
        struct fl_entry e;
        uint8_t c[HASH_SIZE], model[HASH_SIZE];
        if ((has_only && memcmp(only, k.pub, PUBKEY_SIZE) != 0) ||
            !secret_parse(r, upd ? 4 : 5, &s) || s.round != round ||
            !rpcw_chain(call)->fl_entry(v, task, round, k.pub, &e) ||
            (upd && e.role != FL_ROLE_PROPOSER) ||
            (upd ? (e.flags & (FL_ENTRY_COMMITTED | FL_ENTRY_REVEALED)) != FL_ENTRY_COMMITTED
                 : (e.vote_flags & (FL_VOTE_COMMITTED | FL_VOTE_REVEALED)) != FL_VOTE_COMMITTED) ||
            pending(w, k.pub, type, task, round))
            continue;
        if (upd) {
            fl_model_hash(model, s.items, s.n);
            fl_update_commitment(c, task, round, k.pub, model, s.salt);
        } else {
            fl_vote_commitment(c, task, round, k.pub, s.n, s.items, s.salt);
        }
        if (memcmp(c, upd ? e.commitment : e.vote_commitment, HASH_SIZE) != 0)
            continue;
        memcpy(out, k.pub, PUBKEY_SIZE);
        *rec = r;
        return true;
    }
    rpc_error(call, RPC_WALLET_ERROR,
              "No %s of this %s to reveal in round %u: none committed with %s and confirmed, "
              "or already revealed", upd ? "update" : "vote", has_only ? "address" : "wallet",
              round, upd ? "flsubmitupdate" : "flcommitvote");
    return false;
}

/* flrevealupdate and flrevealvote: the secret kept by flsubmitupdate or
 * flcommitvote (items of 4 bytes: weights; of 5: verdict and metric),
 * sent in its reveal window. */
static json_t *reveal_secret(struct rpc_call *call, bool upd)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE];
    const struct wallet_arena_rec *rec;
    struct fl_task t;
    struct fl_status st;
    struct secret s;
    uint32_t round;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!round_arg(call, 1, &round) ||
        !in_window(call, &t, &st, round, upd ? WIN_UPDATE_REVEAL : WIN_REVEAL,
                   upd ? "FL_UPDATE_REVEAL" : "FL_VOTE_REVEAL") ||
        !revealer(call, w, v, id, round, 2, upd ? WALLET_FL_UPDATE : WALLET_FL_VOTE, from, &rec) ||
        !rpcw_unlocked(call, w) || !secret_parse(rec, upd ? 4 : 5, &s))
        goto done;
    struct wbuf pl;
    wbuf_init(&pl);
    if (upd) {
        struct fl_update_reveal u = {.round = round, .n = s.n, .weights = s.items};
        memcpy(u.task, id, HASH_SIZE);
        memcpy(u.salt, s.salt, 32);
        fl_update_reveal_encode(&u, &pl);
    } else {
        struct fl_vote_reveal rv = {.round = round, .n = s.n, .verdicts = s.items};
        memcpy(rv.task, id, HASH_SIZE);
        memcpy(rv.salt, s.salt, 32);
        fl_vote_reveal_encode(&rv, &pl);
    }
    res = rpcw_submit_payload(call, w, from, upd ? TX_FL_UPDATE_REVEAL : TX_FL_VOTE_REVEAL, &pl);
    wbuf_free(&pl);
done:
    rpcw_snapshot_free(call, v);
    return res;
}

static json_t *flrevealupdate(struct rpc_call *call)
{
    return reveal_secret(call, true);
}

/* ---- flcommitvote / flrevealvote ---- */

/* The revealed proposers of the round in key order (flgetround's
 * revealed_order, the order of a vote's verdicts): *keys allocated (NULL
 * when none). */
static bool revealed_order(struct rpc_call *call, struct chain_snapshot *v,
                           const uint8_t task[HASH_SIZE], uint32_t round, uint8_t **keys,
                           size_t *n)
{
    const struct wallet_chain *c = rpcw_chain(call);
    uint8_t *all = NULL;
    size_t m = 0;
    *keys = NULL;
    *n = 0;
    if (!c->fl_participants(v, task, &all, &m)) {
        rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        return false;
    }
    for (size_t i = 0; i < m; i++) {
        struct fl_entry e;
        if (c->fl_entry(v, task, round, all + i * PUBKEY_SIZE, &e) &&
            e.role == FL_ROLE_PROPOSER && (e.flags & FL_ENTRY_REVEALED))
            memmove(all + (*n)++ * PUBKEY_SIZE, all + i * PUBKEY_SIZE, PUBKEY_SIZE);
    }
    *keys = all;
    return true;
}

/* The verdicts argument: a JSON array (or its text), one element per
 * revealed update in `order`, each 1 | -1 or {"proposer", "verdict",
 * "metric"}; *out gets n x (verdict i8 | metric i32 LE), allocated. */
static bool parse_verdicts(struct rpc_call *call, json_t *x, const uint8_t *order, size_t n,
                           uint32_t round, uint8_t **out)
{
    const struct chain_params *p = rpc_env(call)->params;
    json_t *own = NULL;
    bool ok = false;
    *out = NULL;
    if (json_is_string(x)) {
        own = json_loads(json_string_value(x), 0, NULL);
        x = own;
    }
    if (!json_is_array(x)) {
        rpc_error(call, RPC_TYPE_ERROR,
                  "verdicts: a JSON array, one per revealed update in flgetround's revealed_order "
                  "(1, -1 or {\"proposer\", \"verdict\", \"metric\"})");
        goto done;
    }
    if (json_array_size(x) != n) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "verdicts: %zu given, but round %u has %zu revealed updates (one verdict each, "
                  "in flgetround's revealed_order)", json_array_size(x), round, n);
        goto done;
    }
    *out = malloc(5 * n + 1);
    if (!*out) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(x, i), *verdict = e, *metric = NULL;
        int32_t q = 0;
        if (json_is_object(e)) {
            const char *key;
            json_t *val;
            json_object_foreach(e, key, val) {
                if (strcmp(key, "proposer") != 0 && strcmp(key, "verdict") != 0 &&
                    strcmp(key, "metric") != 0) {
                    rpc_error(call, RPC_INVALID_PARAMETER, "verdicts[%zu]: unknown key %.64s", i, key);
                    goto done;
                }
            }
            json_t *prop = json_object_get(e, "proposer");
            if (prop) {
                uint8_t pub[PUBKEY_SIZE];
                char want[ADDRESS_MAX_LEN];
                const char *s = json_string_value(prop);
                if (!s || !address_decode(pub, p->hrp, s)) {
                    rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "verdicts[%zu]: invalid proposer address", i);
                    goto done;
                }
                if (memcmp(pub, order + i * PUBKEY_SIZE, PUBKEY_SIZE) != 0) {
                    if (!address_encode(want, p->hrp, order + i * PUBKEY_SIZE))
                        want[0] = '\0';
                    rpc_error(call, RPC_INVALID_PARAMETER,
                              "verdicts[%zu] names %.100s, but revealed update %zu of round %u is "
                              "%s's (verdicts follow flgetround's revealed_order)", i, s, i, round, want);
                    goto done;
                }
            }
            verdict = json_object_get(e, "verdict");
            metric = json_object_get(e, "metric");
        }
        if (!json_is_integer(verdict) ||
            (json_integer_value(verdict) != 1 && json_integer_value(verdict) != -1)) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "verdicts[%zu]: the verdict must be 1 (the update improves the global model "
                      "on the voter's data) or -1", i);
            goto done;
        }
        if (metric && !rpcw_parse_q16(metric, &q)) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "verdicts[%zu]: metric must be a decimal in [-32768, 32768)", i);
            goto done;
        }
        (*out)[5 * i] = (uint8_t)(int8_t)json_integer_value(verdict);
        write_le32(*out + 5 * i + 1, (uint32_t)q);
    }
    ok = true;
done:
    if (!ok) {
        free(*out);
        *out = NULL;
    }
    json_decref(own);
    return ok;
}

static void vote_commit_payload(const uint8_t task[HASH_SIZE], uint32_t round,
                                const uint8_t c[HASH_SIZE], struct wbuf *pl)
{
    struct fl_vote_commit vc;
    memcpy(vc.task, task, HASH_SIZE);
    vc.round = round;
    memcpy(vc.commitment, c, HASH_SIZE);
    fl_vote_commit_encode(&vc, pl);
}

static json_t *flcommitvote(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE], salt[32], commitment[HASH_SIZE];
    uint8_t *order = NULL, *verdicts = NULL;
    struct fl_task t;
    struct fl_status st;
    uint32_t round;
    size_t n = 0;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!round_arg(call, 1, &round) ||
        !in_window(call, &t, &st, round, WIN_COMMIT, "FL_VOTE_COMMIT") ||
        !revealed_order(call, v, id, round, &order, &n) ||
        !parse_verdicts(call, rpc_json(call, 2), order, n, round, &verdicts) ||
        !committer(call, w, v, id, round, 3, 0, TX_FL_VOTE_COMMIT,
                   "is a participant of this round yet to commit a vote", from) ||
        !rpcw_unlocked(call, w))
        goto done;
    prune_records(call, w, v);
    randombytes_buf(salt, sizeof(salt));
    fl_vote_commitment(commitment, id, round, from, (uint32_t)n, verdicts, salt);
    struct wbuf secret;
    wallet_wbuf_secure(&secret, 4 + 32 + 4 + 5 * n);
    put_u32(&secret, round);
    put_bytes(&secret, salt, 32);
    put_u32(&secret, (uint32_t)n);
    put_bytes(&secret, verdicts, 5 * n);
    res = commit_with_secret(call, w, WALLET_FL_VOTE, TX_FL_VOTE_COMMIT, id, round, from,
                             commitment, &secret, vote_commit_payload);
    wallet_wbuf_wipe(&secret);
done:
    sodium_memzero(salt, sizeof(salt));
    free(order);
    free(verdicts);
    rpcw_snapshot_free(call, v);
    return res;
}

static json_t *flrevealvote(struct rpc_call *call)
{
    return reveal_secret(call, false);
}

/* ---- the table ---- */

static const char create_summary[] =
    "Creates an FL task from a wallet account, paying its budget: fl_burn_bps of it is burned "
    "at once, the rest funds the rounds.  The task id is the transaction id.  Options (a JSON "
    "object; defaults in brackets): \"address\" (the creator [the account with the largest "
    "balance]), \"model\" (\"logistic\" | \"softmax\" | \"mlp\" [logistic]), \"sizes\" "
    "(required: [inputs, outputs] for logistic (outputs 1) and softmax, [inputs, hidden..., "
    "outputs] for mlp), \"normalization\" ([[mean, std], ...] per input, decimals [none]), "
    "\"initial_weights\" (hex of the canonical bytes or an array of Q16.16 integers [zeros]), "
    "\"rounds\" [10], \"min_participants\" [2], \"max_participants\" [10], \"min_stake\" (FML) "
    "[1], \"proposer_slots\" (proposer slots drawn by stake each round, 1..64 [5]), "
    "\"join_blocks\" [10], \"submit_blocks\" (update commitments) [5], \"update_reveal_blocks\" "
    "[3], \"commit_blocks\" (vote commitments) [3], \"reveal_blocks\" (vote reveals) [3], "
    "\"aggregator\" (\"fedavg\" | \"median\" | \"trimmed_mean:K\") [fedavg], \"slash_bps\" "
    "[1000], \"voter_reward_bps\" [2000], \"budget\" (FML, required), \"allowlist\" "
    "([addresses] [open]).  The parameters are checked by the consensus rules before anything "
    "is sent.";

const struct rpc_method wallet_fl_rpc_methods[] = {
    {
        .category = "Wallet",
        .name = "flcreatetask",
        .handler = flcreatetask,
        .summary = create_summary,
        .args = {{"options", RPC_OBJ, true, NULL, "The task parameters (see above)"}},
        .result = "{\"txid\": \"hex\", \"task\": \"hex\"}   (the task id is the txid)",
        .examples = "fml-cli flcreatetask '{\"sizes\": [8, 1], \"rounds\": 20, \"proposer_slots\": 3, \"budget\": 1000}'",
    },
    {
        .category = "Wallet",
        .name = "fljoin",
        .handler = fljoin,
        .summary = "Joins an FL task during its join window, locking a stake of at least its "
                   "min_stake until the task ends (less any slashes).  Proposer slots are drawn "
                   "by stake.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"stake", RPC_AMOUNT, true, NULL, "FML to stake"},
                 {"address", RPC_STR, false, NULL, "The wallet account that joins (default: the one with the largest balance not yet in the task)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli fljoin 6f1c...e2 50",
    },
    {
        .category = "Wallet",
        .name = "flsubmitupdate",
        .handler = flsubmitupdate,
        .summary = "Commits a proposer's model update for a round, during its submit window "
                   "(FL_UPDATE_COMMIT): exactly the model's parameter count of Q16.16 weights in "
                   "the canonical layout.  Only a commitment to the weights and a random salt "
                   "goes on chain; the wallet keeps both in wallet.dat until the round closes, "
                   "and flrevealupdate reveals them in the update reveal window.  A proposer "
                   "that commits and does not reveal is slashed.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round (the task's current one)"},
                 {"weights", RPC_ANY, true, NULL, "Hex of the canonical bytes (int32 little-endian each) or an array of Q16.16 integers"},
                 {"address", RPC_STR, false, NULL, "The proposer's wallet address (default: the wallet's first proposer of this round yet to commit)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flsubmitupdate 6f1c...e2 3 '[65536, -32768, 0, 1]'",
    },
    {
        .category = "Wallet",
        .name = "flrevealupdate",
        .handler = flrevealupdate,
        .summary = "Reveals the update committed with flsubmitupdate (weights and salt from "
                   "wallet.dat), during the round's update reveal window (FL_UPDATE_REVEAL).",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round"},
                 {"address", RPC_STR, false, NULL, "The proposer's wallet address (default: the wallet's proposer with an update to reveal)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flrevealupdate 6f1c...e2 3",
    },
    {
        .category = "Wallet",
        .name = "flcommitvote",
        .handler = flcommitvote,
        .summary = "Commits a participant's verdicts on a round's revealed updates during the "
                   "commit window (FL_VOTE_COMMIT).  Every participant of the round votes, "
                   "proposers too: one verdict per revealed update, in the order of "
                   "flgetround's revealed_order; 1 when the global model moved by the update's "
                   "share (G + (W - G) / n_slots) does better on the voter's test data, -1 "
                   "otherwise.  A proposer's verdict on its own update (1 or -1) is not "
                   "counted.  The wallet draws a random salt and keeps it with the verdicts "
                   "in wallet.dat until the round closes, so that flrevealvote can reveal them.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round (the task's current one)"},
                 {"verdicts", RPC_ANY, true, NULL, "A JSON array in revealed_order: [{\"proposer\": \"address\" (optional, checked), \"verdict\": 1 | -1, \"metric\": decimal (optional, e.g. the accuracy measured; stored as Q16.16) [0]}, ...] or [1, -1, ...]"},
                 {"address", RPC_STR, false, NULL, "The voting wallet address (default: the wallet's first participant of this round, proposer or not, yet to commit a vote)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flcommitvote 6f1c...e2 3 '[{\"proposer\": \"rfml1...\", \"verdict\": 1, \"metric\": \"0.7812\"}, -1]'",
    },
    {
        .category = "Wallet",
        .name = "flrevealvote",
        .handler = flrevealvote,
        .summary = "Reveals the verdicts committed with flcommitvote, during the reveal window "
                   "(FL_VOTE_REVEAL).  A participant that does not reveal a vote is slashed "
                   "when the round had a revealed update not its own.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round"},
                 {"address", RPC_STR, false, NULL, "The voting wallet address (default: the wallet's participant with a vote to reveal)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flrevealvote 6f1c...e2 3",
    },
};
const size_t wallet_fl_rpc_methods_count = sizeof(wallet_fl_rpc_methods) / sizeof(wallet_fl_rpc_methods[0]);
