/* Wallet helpers of the FL Alliance: create a task, join it, submit an
 * update, commit and reveal a vote.  Each builds the transaction, signs it
 * with a wallet key, records it and submits it like sendtoaddress.
 *
 * A vote's salt is drawn here and kept, with the vote and metric, in
 * <walletdir>/<wallet>/flvotes.dat (mode 0600, one line per commitment made:
 * "task round voter vote metric salt", hex and decimal), written atomically
 * before the commitment is submitted, so flrevealvote needs only the task
 * and the round: it reveals the line whose commitment is the one on chain.
 * The salt only hides the vote until the reveal; it is no key material. */
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "consensus/fltx.h"
#include "rpc/util.h"
#include "util/fs.h"
#include "wallet/rpcinternal.h"
#include "wallet/rpcwallet.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOTES_FILE "flvotes.dat"
#define VOTES_MAX_BYTES (16u << 20)

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

/* The first wallet key (in creation order) whose entry in the round has the
 * role and passes `want`, with no such transaction of `type` waiting; -4
 * with `why` otherwise. */
static bool key_with_role(struct rpc_call *call, struct wallet *w, struct chain_snapshot *v,
                          const uint8_t task[HASH_SIZE], uint32_t round, uint8_t role,
                          uint8_t type, bool (*want)(const struct fl_entry *e), const char *why,
                          uint8_t out[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        struct fl_entry e;
        if (rpcw_chain(call)->fl_entry(v, task, round, k.pub, &e) && e.role == role && want(&e) &&
            !pending(w, k.pub, type, task, round)) {
            memcpy(out, k.pub, PUBKEY_SIZE);
            return true;
        }
    }
    rpc_error(call, RPC_WALLET_ERROR, "No key of this wallet %s in round %u", why, round);
    return false;
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
    "min_participants", "max_participants", "min_stake", "proposer_fraction_bps", "join_blocks",
    "submit_blocks", "commit_blocks", "reveal_blocks", "aggregator", "slash_bps",
    "voter_reward_bps", "reward_pool", "allowlist",
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
    u = t->proposer_fraction_bps;
    if (!rpcw_opt_uint(call, o, "proposer_fraction_bps", UINT16_MAX, &u))
        return false;
    t->proposer_fraction_bps = (uint16_t)u;
    uint32_t *windows[] = {&t->join_blocks, &t->submit_blocks, &t->commit_blocks, &t->reveal_blocks};
    const char *wnames[] = {"join_blocks", "submit_blocks", "commit_blocks", "reveal_blocks"};
    for (int i = 0; i < 4; i++) {
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
    if (!json_object_get(o, "reward_pool")) {
        rpc_error(call, RPC_INVALID_PARAMETER, "reward_pool (FML) is required");
        return false;
    }
    if (!rpcw_opt_amount(call, o, "reward_pool", &t->reward_pool))
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
        .proposer_fraction_bps = 5000,
        .join_blocks = 10,
        .submit_blocks = 5,
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
    } else if (!rpcw_richest(call, w, t.reward_pool, NULL, NULL, from)) {
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

/* ---- flsubmitupdate ---- */

static bool not_submitted(const struct fl_entry *e)
{
    return !(e->flags & FL_ENTRY_SUBMITTED);
}

static json_t *flsubmitupdate(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE], *bytes = NULL;
    struct fl_task t;
    struct fl_status st;
    struct fl_update u;
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
    if (rpc_has(call, 3) ? !rpcw_own_address(call, w, 3, from)
                         : !key_with_role(call, w, v, id, round, FL_ROLE_PROPOSER, TX_FL_UPDATE,
                                          not_submitted, "is a proposer yet to submit", from))
        goto done;
    if (!rpcw_unlocked(call, w))
        goto done;
    memcpy(u.task, id, HASH_SIZE);
    u.round = round;
    u.n = n;
    u.weights = bytes;
    struct wbuf pl;
    wbuf_init(&pl);
    fl_update_encode(&u, &pl);
    res = rpcw_submit_payload(call, w, from, TX_FL_UPDATE, &pl);
    wbuf_free(&pl);
done:
    free(bytes);
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- the votes file ---- */

static char *votes_path(struct rpc_call *call, struct wallet *w)
{
    const char *dir = wallets_dir(rpc_env(call)->wallets);
    size_t n = strlen(dir) + strlen(wallet_name(w)) + sizeof(VOTES_FILE) + 3;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s/%s", dir, wallet_name(w), VOTES_FILE);
    return path;
}

struct vote_record {
    uint8_t task[HASH_SIZE];
    uint32_t round;
    uint8_t voter[PUBKEY_SIZE];
    int vote;
    int32_t metric;
    uint8_t salt[32];
};

static bool parse_record(const char *line, struct vote_record *r)
{
    char task[65], voter[65], salt[65];
    unsigned round;
    int vote;
    long metric;
    if (sscanf(line, "%64s %u %64s %d %ld %64s", task, &round, voter, &vote, &metric, salt) != 6)
        return false;
    r->round = round;
    r->vote = vote;
    r->metric = (int32_t)metric;
    return hash_from_hex(r->task, task) && hash_from_hex(r->voter, voter) &&
           hash_from_hex(r->salt, salt) && (vote == 1 || vote == -1) && metric >= INT32_MIN &&
           metric <= INT32_MAX;
}

static void format_record(const struct vote_record *r, char out[256])
{
    char task[65], voter[65], salt[65];
    hash_to_hex(r->task, task);
    hash_to_hex(r->voter, voter);
    hash_to_hex(r->salt, salt);
    snprintf(out, 256, "%s %u %s %d %" PRId32 " %s\n", task, r->round, voter, r->vote, r->metric, salt);
}

/* Calls fn on each record of the file (none when it does not exist). */
static bool votes_each(const char *path, bool (*fn)(void *arg, const struct vote_record *r),
                       void *arg)
{
    char *data;
    size_t len;
    if (!fs_read_file(path, VOTES_MAX_BYTES, &data, &len))
        return errno == ENOENT;
    bool ok = true;
    for (char *line = data; ok && line < data + len;) {
        char *end = memchr(line, '\n', (size_t)(data + len - line));
        size_t n = end ? (size_t)(end - line) + 1 : (size_t)(data + len - line);
        struct vote_record r;
        char buf[256];
        if (n < sizeof(buf)) {
            memcpy(buf, line, n);
            buf[n] = '\0';
            if (parse_record(buf, &r))
                ok = fn(arg, &r);
        }
        line += n;
    }
    free(data);
    return ok;
}

/* Appends the record (earlier ones stay: the reveal picks the record whose
 * commitment is the one on chain). */
static bool votes_store(const char *path, const struct vote_record *r)
{
    char *data = NULL, line[256];
    size_t len = 0;
    struct wbuf out;
    if (!fs_read_file(path, VOTES_MAX_BYTES, &data, &len) && errno != ENOENT)
        return false;
    wbuf_init(&out);
    put_bytes(&out, data, len);
    free(data);
    format_record(r, line);
    put_bytes(&out, line, strlen(line));
    bool ok = !out.failed && fs_write_atomic(path, out.data, out.len, 0600);
    sodium_memzero(line, sizeof(line));
    wbuf_free(&out);
    return ok;
}

struct find {
    struct wallet *w;
    const struct wallet_chain *c;
    struct chain_snapshot *v;
    const uint8_t *task;
    uint32_t round;
    const uint8_t *voter; /* NULL: any of the wallet's keys that can reveal */
    bool found;
    struct vote_record r;
};

/* A record of the task and round whose commitment is the one its voter
 * (one of the wallet's keys) has on chain and has not revealed. */
static bool find_record(void *arg, const struct vote_record *r)
{
    struct find *f = arg;
    struct fl_entry e;
    uint8_t c[HASH_SIZE];
    if (memcmp(r->task, f->task, HASH_SIZE) != 0 || r->round != f->round ||
        (f->voter && memcmp(r->voter, f->voter, PUBKEY_SIZE) != 0) ||
        !wallet_has_key(f->w, r->voter) || !f->c->fl_entry(f->v, f->task, f->round, r->voter, &e) ||
        !(e.flags & FL_ENTRY_COMMITTED) || (e.flags & FL_ENTRY_REVEALED) ||
        pending(f->w, r->voter, TX_FL_VOTE_REVEAL, f->task, f->round))
        return true;
    fl_vote_commitment(c, r->task, r->round, r->voter, (int8_t)r->vote, r->metric, r->salt);
    if (memcmp(c, e.hash, HASH_SIZE) != 0)
        return true;
    f->r = *r;
    f->found = true;
    return false; /* one at a time */
}

/* ---- flcommitvote / flrevealvote ---- */

static bool not_committed(const struct fl_entry *e)
{
    return !(e->flags & FL_ENTRY_COMMITTED);
}

static json_t *flcommitvote(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE];
    struct fl_task t;
    struct fl_status st;
    struct vote_record rec;
    struct fl_vote_commit c;
    json_t *res = NULL;
    char *path = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    if (!round_arg(call, 1, &rec.round))
        goto done;
    int64_t vote = rpc_int(call, 2, 0);
    if (vote != 1 && vote != -1) {
        rpc_error(call, RPC_INVALID_PARAMETER, "vote must be 1 (the candidate is better) or -1");
        goto done;
    }
    if (!rpcw_parse_q16(rpc_json(call, 3), &rec.metric)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "metric must be a decimal in [-32768, 32768)");
        goto done;
    }
    if (rpc_has(call, 4) ? !rpcw_own_address(call, w, 4, rec.voter)
                         : !key_with_role(call, w, v, id, rec.round, FL_ROLE_VOTER,
                                          TX_FL_VOTE_COMMIT, not_committed,
                                          "is a voter yet to commit", rec.voter))
        goto done;
    if (!rpcw_unlocked(call, w))
        goto done;
    memcpy(rec.task, id, HASH_SIZE);
    rec.vote = (int)vote;
    randombytes_buf(rec.salt, sizeof(rec.salt));
    path = votes_path(call, w);
    if (!path || !votes_store(path, &rec)) {
        rpc_error(call, RPC_WALLET_ERROR, "Cannot write the vote to %s", path ? path : VOTES_FILE);
        goto done;
    }
    memcpy(c.task, id, HASH_SIZE);
    c.round = rec.round;
    fl_vote_commitment(c.commitment, id, rec.round, rec.voter, (int8_t)rec.vote, rec.metric, rec.salt);
    struct wbuf pl;
    wbuf_init(&pl);
    fl_vote_commit_encode(&c, &pl);
    res = rpcw_submit_payload(call, w, rec.voter, TX_FL_VOTE_COMMIT, &pl);
    wbuf_free(&pl);
done:
    sodium_memzero(&rec, sizeof(rec));
    free(path);
    rpcw_snapshot_free(call, v);
    return res;
}

static json_t *flrevealvote(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], voter[PUBKEY_SIZE];
    struct fl_task t;
    struct fl_status st;
    struct fl_vote_reveal rv;
    json_t *res = NULL;
    char *path = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t, &st);
    if (!v)
        return NULL;
    struct find f = {.w = w, .c = rpcw_chain(call), .v = v, .task = id};
    if (!round_arg(call, 1, &f.round))
        goto done;
    if (rpc_has(call, 2)) {
        if (!rpcw_own_address(call, w, 2, voter))
            goto done;
        f.voter = voter;
    }
    path = votes_path(call, w);
    if (!path || (!votes_each(path, find_record, &f) && !f.found)) {
        rpc_error(call, RPC_WALLET_ERROR, "Cannot read %s", path ? path : VOTES_FILE);
        goto done;
    }
    if (!f.found) {
        rpc_error(call, RPC_WALLET_ERROR,
                  "No vote of this wallet to reveal in round %u: none committed with "
                  "flcommitvote and confirmed, or already revealed", f.round);
        goto done;
    }
    if (!rpcw_unlocked(call, w))
        goto done;
    memcpy(rv.task, id, HASH_SIZE);
    rv.round = f.round;
    rv.vote = (int8_t)f.r.vote;
    rv.metric = f.r.metric;
    memcpy(rv.salt, f.r.salt, 32);
    struct wbuf pl;
    wbuf_init(&pl);
    fl_vote_reveal_encode(&rv, &pl);
    res = rpcw_submit_payload(call, w, f.r.voter, TX_FL_VOTE_REVEAL, &pl);
    wbuf_free(&pl);
done:
    sodium_memzero(&f.r, sizeof(f.r));
    free(path);
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- the table ---- */

static const char create_summary[] =
    "Creates an FL task from a wallet account, locking its reward pool.  The task id is the "
    "transaction id.  Options (a JSON object; defaults in brackets): \"address\" (the creator "
    "[the account with the largest balance]), \"model\" (\"logistic\" | \"softmax\" | \"mlp\" "
    "[logistic]), \"sizes\" (required: [inputs, outputs] for logistic (outputs 1) and softmax, "
    "[inputs, hidden..., outputs] for mlp), \"normalization\" ([[mean, std], ...] per input, "
    "decimals [none]), \"initial_weights\" (hex of the canonical bytes or an array of Q16.16 "
    "integers [zeros]), \"rounds\" [10], \"min_participants\" [2], \"max_participants\" [10], "
    "\"min_stake\" (FML) [1], \"proposer_fraction_bps\" [5000], \"join_blocks\" [10], "
    "\"submit_blocks\" [5], \"commit_blocks\" [3], \"reveal_blocks\" [3], \"aggregator\" "
    "(\"fedavg\" | \"median\" | \"trimmed_mean:K\") [fedavg], \"slash_bps\" [1000], "
    "\"voter_reward_bps\" [2000], \"reward_pool\" (FML, required), \"allowlist\" ([addresses] "
    "[open]).  The parameters are checked by the consensus rules before anything is sent.";

const struct rpc_method wallet_fl_rpc_methods[] = {
    {
        .category = "Wallet",
        .name = "flcreatetask",
        .handler = flcreatetask,
        .summary = create_summary,
        .args = {{"options", RPC_OBJ, true, NULL, "The task parameters (see above)"}},
        .result = "{\"txid\": \"hex\", \"task\": \"hex\"}   (the task id is the txid)",
        .examples = "fml-cli flcreatetask '{\"sizes\": [8, 1], \"rounds\": 20, \"reward_pool\": 1000}'",
    },
    {
        .category = "Wallet",
        .name = "fljoin",
        .handler = fljoin,
        .summary = "Joins an FL task during its join window, locking a stake of at least its "
                   "min_stake until the task ends (less any slashes).",
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
        .summary = "Submits a proposer's model update for a round, during its submit window: "
                   "exactly the model's parameter count of Q16.16 weights in the canonical "
                   "layout.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round"},
                 {"weights", RPC_ANY, true, NULL, "Hex of the canonical bytes (int32 little-endian each) or an array of Q16.16 integers"},
                 {"address", RPC_STR, false, NULL, "The proposer's wallet address (default: the wallet's proposer of this round)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flsubmitupdate 6f1c...e2 3 '[65536, -32768, 0, 1]'",
    },
    {
        .category = "Wallet",
        .name = "flcommitvote",
        .handler = flcommitvote,
        .summary = "Commits a voter's vote on a round's candidate during the commit window.  The "
                   "wallet draws a random salt and keeps it with the vote and metric in "
                   "flvotes.dat in the wallet's directory, so that flrevealvote can reveal it.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round"},
                 {"vote", RPC_INT, true, NULL, "1: the candidate beats the global model on the voter's test data; -1: it does not"},
                 {"metric", RPC_ANY, true, NULL, "The measured metric (e.g. accuracy) as a decimal, stored as Q16.16"},
                 {"address", RPC_STR, false, NULL, "The voter's wallet address (default: the wallet's voter of this round)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flcommitvote 6f1c...e2 3 1 0.7812",
    },
    {
        .category = "Wallet",
        .name = "flrevealvote",
        .handler = flrevealvote,
        .summary = "Reveals the vote committed with flcommitvote, during the reveal window.  A "
                   "voter that does not reveal is slashed.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"round", RPC_UINT, true, NULL, "The round"},
                 {"address", RPC_STR, false, NULL, "The voter's wallet address (default: the wallet's voter with a vote to reveal)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli flrevealvote 6f1c...e2 3",
    },
};
const size_t wallet_fl_rpc_methods_count = sizeof(wallet_fl_rpc_methods) / sizeof(wallet_fl_rpc_methods[0]);
