/* Wallet methods of the AI Arena: create a task, stake, delegate,
 * undelegate (cancel or claim), set the delegators' share, commit a
 * submission, commit scores, and reveal.  Each builds the transaction,
 * signs it with a wallet key, records it and submits it like
 * sendtoaddress.
 *
 * What a commitment hides (a task's validation sets with their salts and
 * chunk cut, a submission's weights and salt, a validator's losses and
 * salt) is written to wallet.dat (wallet/arenarecs.c) before the commitment
 * is sent, and revealed by the wallet itself once the window opens (on each
 * new tip), or at once with arenareveal / arenarevealsets. */
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/bech32.h"
#include "rpc/util.h"
#include "util/time.h"
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

/* The task argument, which must exist (-5 otherwise); the snapshot is the
 * caller's to free. */
static struct chain_snapshot *task_arg(struct rpc_call *call, size_t idx, uint8_t id[HASH_SIZE],
                                       struct wallet_arena_task *t)
{
    if (!rpc_arg_hash(call, idx, "task", id))
        return NULL;
    const struct wallet_chain *c = rpcw_chain(call);
    if (!c) {
        rpc_error(call, RPC_MISC_ERROR, "The wallet is not attached to a chain");
        return NULL;
    }
    struct chain_snapshot *v = rpcw_snapshot(call);
    if (v && c->arena_task(v, id, t))
        return v;
    rpcw_snapshot_free(call, v);
    rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Arena task not found");
    return NULL;
}

static uint64_t next_height(struct rpc_call *call)
{
    return rpcw_tip_height(call) + 1;
}

/* Whether the next block is in a..b (an error naming the window otherwise). */
static bool in_window(struct rpc_call *call, const char *what, uint64_t a, uint64_t b)
{
    uint64_t next = next_height(call);
    if (next >= a && next <= b)
        return true;
    rpc_error(call, RPC_INVALID_PARAMETER,
              "%s is only accepted at heights %" PRIu64 "..%" PRIu64 " (the next block is %" PRIu64 ")",
              what, a, b, next);
    return false;
}

/* Whether the wallet has sent, and not yet seen confirmed, a transaction of
 * this type from pub for the task (the task leads every payload). */
static bool pending(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE], uint8_t type,
                    const uint8_t task[HASH_SIZE])
{
    for (size_t i = 0; i < wallet_tx_count(w); i++) {
        const struct wallet_tx *t = wallet_tx_at(w, i);
        if (t->state == WALLET_TX_UNCONFIRMED && t->tx.type == type &&
            memcmp(t->tx.sender, pub, PUBKEY_SIZE) == 0 && t->tx.payload_len >= HASH_SIZE &&
            memcmp(t->tx.payload, task, HASH_SIZE) == 0)
            return true;
    }
    return false;
}

/* An address argument (any address, not only the wallet's). */
static bool address_arg(struct rpc_call *call, size_t idx, const char *name,
                        uint8_t out[PUBKEY_SIZE])
{
    const char *s = rpc_str(call, idx, NULL);
    if (!s || !address_decode(out, rpc_env(call)->params->hrp, s)) {
        rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid %s address: %.100s", name, s ? s : "?");
        return false;
    }
    return true;
}

static json_t *txid_result(json_t *txid)
{
    if (!txid)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "txid", txid);
    return o;
}

/* The first wallet key (creation order) that `want` accepts; -4 with `why`
 * otherwise. */
static bool key_where(struct rpc_call *call, struct wallet *w,
                      bool (*want)(void *arg, const uint8_t pub[PUBKEY_SIZE]), void *arg,
                      const char *why, uint8_t out[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    for (size_t i = 0; wallet_key_at(w, i, &k); i++)
        if (want(arg, k.pub)) {
            memcpy(out, k.pub, PUBKEY_SIZE);
            return true;
        }
    rpc_error(call, RPC_WALLET_ERROR, "No key of this wallet %s", why);
    return false;
}

struct role_ctx {
    struct rpc_call *call;
    struct wallet *w;
    struct chain_snapshot *v;
    const uint8_t *task;
    uint8_t role;    /* 0: any role */
    uint8_t type;    /* skip keys with such a transaction pending (0: none) */
    bool (*want)(const struct wallet_arena_operator *op);
};

static bool has_role(void *arg, const uint8_t pub[PUBKEY_SIZE])
{
    struct role_ctx *rc = arg;
    struct wallet_arena_operator op;
    return rpcw_chain(rc->call)->arena_operator(rc->v, rc->task, pub, &op) &&
           (!rc->role || op.role == rc->role) && (!rc->want || rc->want(&op)) &&
           !(rc->type && pending(rc->w, pub, rc->type, rc->task));
}

/* ---- parsing ---- */

/* An array of 32-bit integers (signed Q16.16 weights, or raw u32 losses),
 * as JSON, as the text of a JSON array (as fml-cli sends it), or as hex of
 * the little-endian bytes; *bytes is allocated. */
static bool parse_words(struct rpc_call *call, json_t *x, const char *name, bool is_unsigned,
                        uint8_t **bytes, size_t *n)
{
    *bytes = NULL;
    *n = 0;
    if (json_is_string(x) && json_string_value(x)[0] == '[') {
        json_t *arr = json_loads(json_string_value(x), 0, NULL);
        bool ok = arr && json_is_array(arr) && parse_words(call, arr, name, is_unsigned, bytes, n);
        if (!arr || !json_is_array(arr))
            rpc_error(call, RPC_INVALID_PARAMETER, "%s: not a JSON array", name);
        json_decref(arr);
        return ok;
    }
    if (json_is_string(x)) {
        const char *s = json_string_value(x);
        size_t len = strlen(s), bin;
        if (len == 0 || len % 8 != 0 || !(*bytes = malloc(len / 2 + 1)) ||
            sodium_hex2bin(*bytes, len / 2, s, len, NULL, &bin, NULL) != 0 || bin != len / 2) {
            free(*bytes);
            *bytes = NULL;
            rpc_error(call, RPC_INVALID_PARAMETER, "%s: hex of 4 bytes (little-endian) per entry expected",
                      name);
            return false;
        }
        *n = bin / 4;
        return true;
    }
    if (!json_is_array(x)) {
        rpc_error(call, RPC_TYPE_ERROR, "%s: an array of integers or a hex string expected", name);
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
        json_int_t lo = is_unsigned ? 0 : INT32_MIN, hi = is_unsigned ? (json_int_t)UINT32_MAX : INT32_MAX;
        if (!json_is_integer(e) || json_integer_value(e) < lo || json_integer_value(e) > hi) {
            free(*bytes);
            *bytes = NULL;
            rpc_error(call, RPC_INVALID_PARAMETER, "%s[%zu]: %s expected", name, i,
                      is_unsigned ? "an integer 0..4294967295 (Q16.16 raw)" : "a Q16.16 integer (int32)");
            return false;
        }
        write_le32(*bytes + 4 * i, (uint32_t)json_integer_value(e));
    }
    return true;
}

/* ---- arenacreatetask ---- */

static const char *const create_keys[] = {
    "address", "model", "sizes", "normalization", "loss", "data_hash", "uri", "valsets",
    "chunk_rows", "windows", "submit_blocks", "reveal_blocks", "score_commit_blocks",
    "score_reveal_blocks", "budget", "gamma_bps", "q_bps", "delta_bps", "D_bps", "epsilon",
    "vest_epochs", "draws_per_set", "max_trainers", "max_validators", "trainer_min_stake",
    "validator_min_stake", "slash_bps",
};

struct create_buf {
    uint8_t *norm;
    struct wbuf rec; /* the VALSET record's data */
};

static bool parse_spec(struct rpc_call *call, json_t *o, struct fl_spec *spec, struct create_buf *b)
{
    const char *kind = json_string_value(json_object_get(o, "model"));
    if (json_object_get(o, "model") && !kind) {
        rpc_error(call, RPC_TYPE_ERROR, "model must be a string");
        return false;
    }
    if (!kind || strcmp(kind, "logistic") == 0)
        spec->kind = FL_MODEL_LOGREG;
    else if (strcmp(kind, "softmax") == 0)
        spec->kind = FL_MODEL_SOFTMAX;
    else if (strcmp(kind, "mlp") == 0)
        spec->kind = FL_MODEL_MLP;
    else {
        rpc_error(call, RPC_INVALID_PARAMETER, "model must be \"logistic\", \"softmax\" or \"mlp\"");
        return false;
    }
    json_t *x = json_object_get(o, "sizes");
    if (!json_is_array(x) || json_array_size(x) < 2 || json_array_size(x) > FL_MAX_SIZES) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "sizes: an array [inputs, ..., outputs] of 2..%d layer sizes is required", FL_MAX_SIZES);
        return false;
    }
    spec->n_sizes = (uint32_t)json_array_size(x);
    for (size_t i = 0; i < json_array_size(x); i++) {
        json_t *s = json_array_get(x, i);
        if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > FL_MAX_UNITS) {
            rpc_error(call, RPC_INVALID_PARAMETER, "sizes[%zu] must be 1..%u", i, FL_MAX_UNITS);
            return false;
        }
        spec->sizes[i] = (uint32_t)json_integer_value(s);
    }
    x = json_object_get(o, "normalization");
    if (x) {
        if (!json_is_array(x) || json_array_size(x) != spec->sizes[0]) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "normalization: one [mean, std] pair per input (%u) expected", spec->sizes[0]);
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
                !rpcw_parse_q16(json_array_get(pair, 0), &mean) || !rpcw_parse_q16(json_array_get(pair, 1), &std)) {
                rpc_error(call, RPC_INVALID_PARAMETER, "normalization[%zu]: [mean, std] as decimals expected", i);
                return false;
            }
            write_le32(b->norm + 8 * i, (uint32_t)mean);
            write_le32(b->norm + 8 * i + 4, (uint32_t)std);
        }
        spec->n_norm = (uint32_t)json_array_size(x);
        spec->norm = b->norm;
    }
    return true;
}

/* One set: an array of rows [f1, ..., fn, label] (features decimals; the
 * label a class index for logloss, a decimal for mse), or hex of its bytes. */
static bool parse_set(struct rpc_call *call, json_t *x, size_t k, const struct arena_task_params *t,
                      struct wbuf *out, uint32_t *rows)
{
    const uint32_t width = t->spec.sizes[0];
    const size_t row = 4 * ((size_t)width + 1);
    if (json_is_string(x)) {
        const char *s = json_string_value(x);
        size_t len = strlen(s), bin;
        uint8_t *bytes = malloc(len / 2 + 1);
        if (!bytes || len % 2 || sodium_hex2bin(bytes, len / 2, s, len, NULL, &bin, NULL) != 0 ||
            bin == 0 || bin % row != 0) {
            free(bytes);
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "valsets[%zu]: hex of whole rows (%zu bytes each) expected", k, row);
            return false;
        }
        put_bytes(out, bytes, bin);
        free(bytes);
        *rows = (uint32_t)(bin / row);
        return true;
    }
    if (!json_is_array(x) || json_array_size(x) == 0) {
        rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%zu]: a non-empty array of rows expected", k);
        return false;
    }
    if ((uint64_t)json_array_size(x) * row > ARENA_MAX_SET_BYTES) {
        rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%zu]: more than %u bytes", k, ARENA_MAX_SET_BYTES);
        return false;
    }
    for (size_t i = 0; i < json_array_size(x); i++) {
        json_t *r = json_array_get(x, i);
        int32_t q;
        if (!json_is_array(r) || json_array_size(r) != (size_t)width + 1) {
            rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%zu][%zu]: a row of %u features and a label expected",
                      k, i, width);
            return false;
        }
        for (uint32_t j = 0; j < width; j++) {
            if (!rpcw_parse_q16(json_array_get(r, j), &q)) {
                rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%zu][%zu][%u]: a decimal expected", k, i, j);
                return false;
            }
            put_i32(out, q);
        }
        json_t *label = json_array_get(r, width);
        if (t->loss == ARENA_LOSS_LOGLOSS) {
            json_int_t classes = t->spec.kind == FL_MODEL_LOGREG ? 2 : t->spec.sizes[t->spec.n_sizes - 1];
            if (!json_is_integer(label) || json_integer_value(label) < 0 ||
                json_integer_value(label) >= classes) {
                rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%zu][%zu]: the label must be a class 0..%lld",
                          k, i, (long long)classes - 1);
                return false;
            }
            q = (int32_t)json_integer_value(label);
        } else if (!rpcw_parse_q16(label, &q)) {
            rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%zu][%zu]: the target must be a decimal", k, i);
            return false;
        }
        put_i32(out, q);
    }
    *rows = (uint32_t)json_array_size(x);
    return true;
}

static bool create_parse(struct rpc_call *call, json_t *o, struct arena_task_params *t,
                         struct create_buf *b, uint8_t salts[ARENA_MAX_SETS][32])
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
    if (!parse_spec(call, o, &t->spec, b))
        return false;
    x = json_object_get(o, "loss");
    if (x && (!json_is_string(x) || !arena_loss_from_name(json_string_value(x), &t->loss))) {
        rpc_error(call, RPC_INVALID_PARAMETER, "loss must be \"logloss\" or \"mse\"");
        return false;
    }
    x = json_object_get(o, "data_hash");
    if (x && (!json_is_string(x) || !hash_from_hex(t->data_hash, json_string_value(x)))) {
        rpc_error(call, RPC_INVALID_PARAMETER, "data_hash: 64 hex digits expected");
        return false;
    }
    x = json_object_get(o, "uri");
    if (x) {
        const char *s = json_string_value(x);
        if (!s || strlen(s) > ARENA_MAX_URI) {
            rpc_error(call, RPC_INVALID_PARAMETER, "uri: a string of at most %d characters", ARENA_MAX_URI);
            return false;
        }
        for (const char *c = s; *c; c++)
            if (*c < 0x20 || *c > 0x7e) {
                rpc_error(call, RPC_INVALID_PARAMETER, "uri: printable ASCII only");
                return false;
            }
        t->uri_len = (uint16_t)strlen(s);
        memcpy(t->uri, s, t->uri_len + 1);
    }
    /* Windows: top-level or in "windows" {"submit_blocks", ...}. */
    json_t *win = json_object_get(o, "windows");
    if (win && !json_is_object(win)) {
        rpc_error(call, RPC_TYPE_ERROR, "windows must be an object");
        return false;
    }
    uint32_t *wv[] = {&t->submit_blocks, &t->reveal_blocks, &t->score_commit_blocks,
                      &t->score_reveal_blocks};
    const char *wn[] = {"submit_blocks", "reveal_blocks", "score_commit_blocks", "score_reveal_blocks"};
    for (int i = 0; i < 4; i++) {
        u = *wv[i];
        if (!rpcw_opt_uint(call, o, wn[i], UINT32_MAX, &u) || (win && !rpcw_opt_uint(call, win, wn[i], UINT32_MAX, &u)))
            return false;
        *wv[i] = (uint32_t)u;
    }
    if (!json_object_get(o, "budget")) {
        rpc_error(call, RPC_INVALID_PARAMETER, "budget (FML) is required");
        return false;
    }
    if (!rpcw_opt_amount(call, o, "budget", &t->budget) ||
        !rpcw_opt_amount(call, o, "trainer_min_stake", &t->trainer_min_stake) ||
        !rpcw_opt_amount(call, o, "validator_min_stake", &t->validator_min_stake))
        return false;
    struct {
        const char *name;
        uint64_t max;
        void *field;
        int size;
    } nums[] = {
        {"gamma_bps", UINT16_MAX, &t->gamma_bps, 2},       {"q_bps", UINT16_MAX, &t->q_bps, 2},
        {"delta_bps", UINT16_MAX, &t->delta_bps, 2},       {"D_bps", UINT32_MAX, &t->d_bps, 4},
        {"epsilon", UINT32_MAX, &t->epsilon, 4},           {"vest_epochs", UINT16_MAX, &t->vest_epochs, 2},
        {"draws_per_set", UINT8_MAX, &t->draws_per_set, 1}, {"max_trainers", UINT16_MAX, &t->max_trainers, 2},
        {"max_validators", UINT16_MAX, &t->max_validators, 2}, {"slash_bps", UINT16_MAX, &t->slash_bps, 2},
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        u = nums[i].size == 1 ? *(uint8_t *)nums[i].field
            : nums[i].size == 2 ? *(uint16_t *)nums[i].field
                                : *(uint32_t *)nums[i].field;
        if (!rpcw_opt_uint(call, o, nums[i].name, nums[i].max, &u))
            return false;
        if (nums[i].size == 1)
            *(uint8_t *)nums[i].field = (uint8_t)u;
        else if (nums[i].size == 2)
            *(uint16_t *)nums[i].field = (uint16_t)u;
        else
            *(uint32_t *)nums[i].field = (uint32_t)u;
    }
    /* The sets: cut into chunks of chunk_rows rows (default: as many rows as
     * fit ARENA_MAX_CHUNK_BYTES), each with a fresh salt. */
    x = json_object_get(o, "valsets");
    if (!json_is_array(x) || json_array_size(x) < ARENA_MIN_SETS || json_array_size(x) > ARENA_MAX_SETS) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "valsets: an array of %d..%d validation sets (each an array of rows [features..., "
                  "label] or hex) is required",
                  ARENA_MIN_SETS, ARENA_MAX_SETS);
        return false;
    }
    if (!fl_spec_valid(&t->spec)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "Invalid model: sizes do not fit the kind");
        return false;
    }
    const uint64_t row = arena_row_size(&t->spec);
    uint64_t chunk_rows = ARENA_MAX_CHUNK_BYTES / row;
    if (!rpcw_opt_uint(call, o, "chunk_rows", UINT32_MAX, &chunk_rows))
        return false;
    if (chunk_rows == 0 || chunk_rows * row > ARENA_MAX_CHUNK_BYTES) {
        rpc_error(call, RPC_INVALID_PARAMETER, "chunk_rows must be 1..%" PRIu64 " (a chunk holds at most %u bytes)",
                  (uint64_t)(ARENA_MAX_CHUNK_BYTES / row), ARENA_MAX_CHUNK_BYTES);
        return false;
    }
    t->k = (uint8_t)json_array_size(x);
    struct wbuf data[ARENA_MAX_SETS];
    uint32_t rows[ARENA_MAX_SETS];
    bool ok = true;
    for (uint8_t k = 0; k < t->k; k++)
        wbuf_init(&data[k]);
    for (uint8_t k = 0; ok && k < t->k; k++) {
        ok = parse_set(call, json_array_get(x, k), k, t, &data[k], &rows[k]);
        if (ok && (data[k].failed || rows[k] * row > ARENA_MAX_SET_BYTES)) {
            rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%u]: more than %u bytes", k, ARENA_MAX_SET_BYTES);
            ok = false;
        }
        uint64_t chunks = ok ? (rows[k] + chunk_rows - 1) / chunk_rows : 0;
        if (ok && chunks > ARENA_MAX_CHUNKS) {
            rpc_error(call, RPC_INVALID_PARAMETER, "valsets[%u]: %" PRIu64 " chunks, at most %d (raise chunk_rows)",
                      k, chunks, ARENA_MAX_CHUNKS);
            ok = false;
        }
        if (ok) {
            t->sets[k].n_chunks = (uint16_t)chunks;
            t->sets[k].n_rows = rows[k];
        }
    }
    /* The record: K | per set salt, n_chunks, chunk lengths | the bytes. */
    if (ok) {
        put_u8(&b->rec, t->k);
        for (uint8_t k = 0; k < t->k; k++) {
            randombytes_buf(salts[k], 32);
            put_bytes(&b->rec, salts[k], 32);
            put_u16(&b->rec, t->sets[k].n_chunks);
            for (uint16_t c = 0; c < t->sets[k].n_chunks; c++) {
                uint64_t left = rows[k] - (uint64_t)c * chunk_rows;
                put_u32(&b->rec, (uint32_t)((left < chunk_rows ? left : chunk_rows) * row));
            }
        }
        for (uint8_t k = 0; k < t->k; k++)
            put_bytes(&b->rec, data[k].data, data[k].len);
    }
    for (uint8_t k = 0; k < t->k; k++)
        wbuf_free(&data[k]);
    if (ok && b->rec.failed) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        ok = false;
    }
    return ok;
}

static json_t *arenacreatetask(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    const struct wallet_chain *c = rpcw_chain(call);
    json_t *o = rpc_json(call, 0);
    struct create_buf b = {NULL, {0}};
    uint8_t from[PUBKEY_SIZE], salts[ARENA_MAX_SETS][32], txid[HASH_SIZE];
    struct validation v;
    struct tx tx;
    json_t *res = NULL;
    char err[256];
    if (!w)
        return NULL;
    if (!c || !rpcw_has_mempool(call))
        return rpc_error(call, RPC_MISC_ERROR, "The node has no mempool");
    struct arena_task_params t = {
        .loss = ARENA_LOSS_LOGLOSS,
        .submit_blocks = 5,
        .reveal_blocks = 5,
        .score_commit_blocks = 3,
        .score_reveal_blocks = 3,
        .gamma_bps = 2000,
        .q_bps = 5000,
        .delta_bps = 5000,
        .d_bps = 5000,
        .epsilon = 0,
        .vest_epochs = 4,
        .draws_per_set = 3,
        .max_trainers = 16,
        .max_validators = 16,
        .trainer_min_stake = 1 * COIN,
        .validator_min_stake = 1 * COIN,
        .slash_bps = 1000,
    };
    tx_init(&tx);
    wbuf_init(&b.rec);
    if (!create_parse(call, o, &t, &b, salts))
        goto done;
    /* The roots, from the record's own parse (what the reveals will use). */
    struct wallet_arena_rec probe = {.data = b.rec.data, .len = b.rec.len};
    struct wallet_arena_valsets vs;
    if (!wallet_arena_valsets_parse(&probe, &vs)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "Invalid validation sets");
        goto done;
    }
    for (uint8_t k = 0; k < t.k; k++)
        if (!wallet_arena_set_root(k, &vs.sets[k], t.sets[k].root)) {
            rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
            goto done;
        }
    val_init(&v);
    if (!arena_task_params_check(&t, env->params, &v)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "Invalid task: %s%s%s", v.reason, v.detail[0] ? ", " : "",
                  v.detail);
        goto done;
    }
    /* The wallet reveals the chunks through the mempool, which holds at most
     * WALLET_POOL_RUN transactions (and WALLET_POOL_RUN_BYTES) of the
     * creator: that much reaches each block of the set window.  A task cut
     * into more would pass the consensus rule (which counts block bytes) and
     * fail at CLOSE with the budget slashed. */
    {
        uint64_t n_chunks = 0, bytes = 0;
        for (uint8_t k = 0; k < t.k; k++)
            for (uint16_t ci = 0; ci < vs.sets[k].n_chunks; ci++) {
                n_chunks++;
                bytes += TX_FIXED_SIZE + 3 + ARENA_TASK_ID_SIZE + 1 + 2 + 32 + 1 +
                         ARENA_MAX_PATH * HASH_SIZE + 5 + vs.sets[k].chunk_len[ci];
            }
        if (n_chunks > (uint64_t)t.reveal_blocks * WALLET_POOL_RUN ||
            bytes > (uint64_t)t.reveal_blocks * WALLET_POOL_RUN_BYTES) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "The sets' %" PRIu64 " chunks (%" PRIu64 " bytes) cannot all be revealed in a "
                      "set window of %u blocks (at most %u chunks and %u bytes of one sender a "
                      "block): raise reveal_blocks or chunk_rows",
                      n_chunks, bytes, t.reveal_blocks, WALLET_POOL_RUN, WALLET_POOL_RUN_BYTES);
            goto done;
        }
    }
    if (json_object_get(o, "address")) {
        const char *s = json_string_value(json_object_get(o, "address"));
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
    /* Signed first, so that the sets are stored under the task id before
     * the task can be seen. */
    struct wbuf pl;
    wbuf_init(&pl);
    arena_task_params_encode(&t, &pl);
    tx.type = TX_ARENA_TASK_CREATE;
    memcpy(tx.sender, from, PUBKEY_SIZE);
    bool set = !pl.failed && tx_set_payload(&tx, pl.data, pl.len);
    wbuf_free(&pl);
    if (!set) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        goto done;
    }
    tx.fee = rpcw_fee_for(rpcw_fee_rate(call, w), tx_encoded_size(&tx));
    tx.nonce = c->next_nonce(c->ctx, from);
    if (!wallet_sign_tx(w, &tx, env->params->genesis_hash)) {
        rpc_error(call, RPC_WALLET_ERROR, "%s", wallet_error(w));
        goto done;
    }
    tx_txid(&tx, txid);
    if (!wallet_arena_put(w, WALLET_ARENA_VALSET, txid, from, rpcw_tip_height(call), b.rec.data,
                          b.rec.len, err, sizeof(err))) {
        rpc_error(call, RPC_WALLET_ERROR, "Cannot store the validation sets: %s", err);
        goto done;
    }
    if (!wallet_submit_tx(w, c, &tx, time_now(), "", "", &v, err, sizeof(err))) {
        char e2[256];
        if (!wallet_arena_drop(w, WALLET_ARENA_VALSET, txid, from, e2, sizeof(e2)))
            (void)0; /* dropped later as an orphan */
        rpc_error(call, v.code != REJECT_NONE ? RPC_VERIFY_REJECTED : RPC_WALLET_ERROR, "%s", err);
        goto done;
    }
    res = json_object();
    json_t *sl = json_array(), *roots = json_array();
    for (uint8_t k = 0; k < t.k; k++) {
        json_array_append_new(sl, json_hex(salts[k], 32));
        json_array_append_new(roots, json_hash(t.sets[k].root));
    }
    json_object_set_new(res, "txid", json_hash(txid));
    json_object_set_new(res, "task", json_hash(txid));
    json_object_set_new(res, "salts", sl);
    json_object_set_new(res, "roots", roots);
done:
    sodium_memzero(salts, sizeof(salts));
    tx_free(&tx);
    free(b.norm);
    if (b.rec.data)
        sodium_memzero(b.rec.data, b.rec.len);
    wbuf_free(&b.rec);
    return res;
}

/* ---- reveals on demand ---- */

static void collect_txid(void *arg, const uint8_t txid[HASH_SIZE])
{
    json_array_append_new(arg, json_hash(txid));
}

static json_t *reveal_now(struct rpc_call *call, bool sets_only)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE];
    struct wallet_arena_task t;
    char err[256];
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    rpcw_snapshot_free(call, v);
    bool any = false;
    for (size_t i = 0; i < w->narena; i++)
        any = any || (memcmp(w->arena[i]->task, id, HASH_SIZE) == 0 &&
                      (!sets_only || w->arena[i]->kind == WALLET_ARENA_VALSET));
    if (!any)
        return rpc_error(call, RPC_WALLET_ERROR,
                         sets_only ? "This wallet holds no validation sets of the task (it did not "
                                     "create it, or every chunk is revealed)"
                                   : "This wallet has nothing left to reveal in the task");
    if (sets_only && !in_window(call, "ARENA_REVEAL_VALSET", t.reveal_end + 1, t.sets_end))
        return NULL;
    if (!rpcw_has_mempool(call))
        return rpc_error(call, RPC_MISC_ERROR, "The node has no mempool");
    if (!rpcw_unlocked(call, w))
        return NULL;
    json_t *txids = json_array();
    size_t owed = wallet_arena_tick(w, rpcw_chain(call), rpcw_fee_rate(call, w), id,
                                    sets_only ? WALLET_ARENA_VALSET : 0, collect_txid, txids, err,
                                    sizeof(err));
    /* The records stay until their window passes (a reorg can take a reveal
     * back); one whose reveals are all on chain owes nothing. */
    if (owed == 0 && !err[0] && json_array_size(txids) == 0) {
        json_decref(txids);
        return rpc_error(call, RPC_WALLET_ERROR,
                         sets_only ? "This wallet holds no validation sets of the task (it did not "
                                     "create it, or every chunk is revealed)"
                                   : "This wallet has nothing left to reveal in the task");
    }
    if (err[0] && json_array_size(txids) == 0) {
        json_decref(txids);
        return rpc_error(call, RPC_WALLET_ERROR, "Reveal not sent: %s", err);
    }
    json_t *o = json_object();
    json_object_set_new(o, "txids", txids);
    if (err[0])
        json_object_set_new(o, "warning", json_string(err));
    return o;
}

static json_t *arenarevealsets(struct rpc_call *call)
{
    return reveal_now(call, true);
}

static json_t *arenareveal(struct rpc_call *call)
{
    return reveal_now(call, false);
}

/* ---- arenastake ---- */

static json_t *arenastake(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE];
    struct wallet_arena_task t;
    struct arena_stake s;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    rpcw_snapshot_free(call, v);
    if (!arena_role_from_name(rpc_str(call, 1, ""), &s.role))
        return rpc_error(call, RPC_INVALID_PARAMETER, "role must be \"trainer\" or \"validator\"");
    s.amount = rpc_amount(call, 2, 0);
    if (s.amount == 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "amount must be more than 0");
    if (!in_window(call, "ARENA_STAKE", t.created_height + 1, t.submit_end))
        return NULL;
    if (rpc_has(call, 3) ? !rpcw_own_address(call, w, 3, from) : !rpcw_richest(call, w, s.amount, NULL, NULL, from))
        return NULL;
    if (!rpcw_unlocked(call, w))
        return NULL;
    memcpy(s.task, id, HASH_SIZE);
    struct wbuf pl;
    wbuf_init(&pl);
    arena_stake_encode(&s, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_ARENA_STAKE, &pl);
    wbuf_free(&pl);
    return txid_result(res);
}

/* ---- arenadelegate / arenaundelegate ---- */

static json_t *arenadelegate(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE];
    struct wallet_arena_task t;
    struct wallet_arena_operator op;
    struct arena_delegate d;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    bool ok = address_arg(call, 1, "operator", d.op);
    if (ok && !rpcw_chain(call)->arena_operator(v, id, d.op, &op)) {
        rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "The operator has no stake in the task");
        ok = false;
    }
    rpcw_snapshot_free(call, v);
    if (!ok)
        return NULL;
    d.amount = rpc_amount(call, 2, 0);
    if (d.amount < ARENA_MIN_DELEGATION)
        return rpc_error(call, RPC_INVALID_PARAMETER, "amount must be at least %s FML",
                         "0.01");
    if (!in_window(call, "ARENA_DELEGATE", t.created_height + 1, t.submit_end))
        return NULL;
    if (rpc_has(call, 3) ? !rpcw_own_address(call, w, 3, from) : !rpcw_richest(call, w, d.amount, NULL, NULL, from))
        return NULL;
    if (!rpcw_unlocked(call, w))
        return NULL;
    memcpy(d.task, id, HASH_SIZE);
    struct wbuf pl;
    wbuf_init(&pl);
    arena_delegate_encode(&d, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_ARENA_DELEGATE, &pl);
    wbuf_free(&pl);
    return txid_result(res);
}

struct del_ctx {
    struct rpc_call *call;
    struct chain_snapshot *v;
    const uint8_t *task, *op;
};

static bool has_delegation(void *arg, const uint8_t pub[PUBKEY_SIZE])
{
    struct del_ctx *dc = arg;
    uint64_t amount;
    return rpcw_chain(dc->call)->arena_delegation(dc->v, dc->task, dc->op, pub, &amount);
}

static json_t *arenaundelegate(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE];
    struct wallet_arena_task t;
    struct arena_undelegate u;
    uint64_t amount;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    struct del_ctx dc = {call, v, id, u.op};
    bool ok = address_arg(call, 1, "operator", u.op);
    if (ok && rpc_has(call, 2)) {
        ok = rpcw_own_address(call, w, 2, from);
        if (ok && !has_delegation(&dc, from)) {
            rpc_error(call, RPC_WALLET_ERROR, "This address has no delegation to the operator in the task");
            ok = false;
        }
    } else if (ok) {
        ok = key_where(call, w, has_delegation, &dc, "has a delegation to the operator in the task", from);
    }
    ok = ok && rpcw_chain(call)->arena_delegation(v, id, u.op, from, &amount);
    rpcw_snapshot_free(call, v);
    if (!ok)
        return NULL;
    const uint64_t next = next_height(call);
    const uint64_t end = t.state == WALLET_ARENA_FAILED ? t.sets_end : t.settle_height;
    if (next > t.submit_end && next <= end)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Delegations are locked from height %" PRIu64 " until the task ends at "
                         "height %" PRIu64 " (the next block is %" PRIu64 ")",
                         t.submit_end + 1, end, next);
    if (!rpcw_unlocked(call, w))
        return NULL;
    memcpy(u.task, id, HASH_SIZE);
    struct wbuf pl;
    wbuf_init(&pl);
    arena_undelegate_encode(&u, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_ARENA_UNDELEGATE, &pl);
    wbuf_free(&pl);
    json_t *o = txid_result(res);
    if (o)
        json_object_set_new(o, "kind", json_string(next <= t.submit_end ? "cancel" : "claim"));
    return o;
}

/* ---- arenasetshare ---- */

static json_t *arenasetshare(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE];
    struct wallet_arena_task t;
    struct arena_set_share s;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    uint64_t sigma = rpc_uint(call, 1, 0);
    bool ok = true;
    if (sigma > ARENA_BPS) {
        rpc_error(call, RPC_INVALID_PARAMETER, "sigma_bps must be 0..10000 (the delegators' share)");
        ok = false;
    }
    struct role_ctx rc = {call, w, v, id, 0, 0, NULL};
    if (ok && rpc_has(call, 2)) {
        ok = rpcw_own_address(call, w, 2, from);
        if (ok && !has_role(&rc, from)) {
            rpc_error(call, RPC_WALLET_ERROR, "This address has no stake in the task");
            ok = false;
        }
    } else if (ok) {
        ok = key_where(call, w, has_role, &rc, "has a stake in the task", from);
    }
    rpcw_snapshot_free(call, v);
    if (!ok || !in_window(call, "ARENA_SET_SHARE", t.created_height + 1, t.submit_end) ||
        !rpcw_unlocked(call, w))
        return NULL;
    memcpy(s.task, id, HASH_SIZE);
    s.sigma_bps = (uint16_t)sigma;
    struct wbuf pl;
    wbuf_init(&pl);
    arena_set_share_encode(&s, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_ARENA_SET_SHARE, &pl);
    wbuf_free(&pl);
    return txid_result(res);
}

/* ---- arenasubmit / arenascore: commitments with a kept secret ---- */

static bool trainer_to_commit(const struct wallet_arena_operator *op)
{
    return !op->committed;
}

static bool validator_to_commit(const struct wallet_arena_operator *op)
{
    bool drawn = false;
    for (int k = 0; k < WALLET_ARENA_MAX_SETS; k++)
        drawn = drawn || op->count[k] > 0;
    return drawn && !op->score_committed;
}

/* Stores the secret, sends the commitment, and forgets the secret when the
 * commitment was refused. */
static json_t *commit_with_secret(struct rpc_call *call, struct wallet *w, uint8_t kind, uint8_t type,
                                  const uint8_t task[HASH_SIZE], const uint8_t from[PUBKEY_SIZE],
                                  const uint8_t commitment[HASH_SIZE], const struct wbuf *secret)
{
    char err[256];
    struct arena_commit c;
    if (secret->failed)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    if (!wallet_arena_put(w, kind, task, from, rpcw_tip_height(call), secret->data, secret->len, err,
                          sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "Cannot store the secret of the commitment: %s", err);
    memcpy(c.task, task, HASH_SIZE);
    memcpy(c.commitment, commitment, HASH_SIZE);
    struct wbuf pl;
    wbuf_init(&pl);
    arena_commit_encode(&c, &pl);
    json_t *txid = rpcw_submit_payload(call, w, from, type, &pl);
    wbuf_free(&pl);
    if (!txid) {
        if (!wallet_arena_drop(w, kind, task, from, err, sizeof(err)))
            (void)0; /* dropped at the end of its window */
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "txid", txid);
    json_object_set_new(o, "commitment", json_hash(commitment));
    return o;
}

/* The committing key: the address argument (which must hold the role and
 * have no commitment on chain or pending), or the first such wallet key. */
static bool committer(struct rpc_call *call, struct wallet *w, struct chain_snapshot *v,
                      const uint8_t task[HASH_SIZE], size_t idx, uint8_t role, uint8_t type,
                      bool (*want)(const struct wallet_arena_operator *op), const char *why,
                      uint8_t out[PUBKEY_SIZE])
{
    struct role_ctx rc = {call, w, v, task, role, type, want};
    if (!rpc_has(call, idx))
        return key_where(call, w, has_role, &rc, why, out);
    if (!rpcw_own_address(call, w, idx, out))
        return false;
    if (!has_role(&rc, out)) {
        rpc_error(call, RPC_WALLET_ERROR, "The address does not qualify: it must be a key that %s", why);
        return false;
    }
    return true;
}

static json_t *arenasubmit(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE], salt[32], model[HASH_SIZE], commitment[HASH_SIZE];
    uint8_t *bytes = NULL;
    size_t n;
    struct wallet_arena_task t;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    if (!parse_words(call, rpc_json(call, 1), "weights", false, &bytes, &n))
        goto done;
    if (n != t.n_params) {
        rpc_error(call, RPC_INVALID_PARAMETER, "The model has %" PRIu64 " parameters, not %zu",
                  t.n_params, n);
        goto done;
    }
    if (!in_window(call, "ARENA_SUBMIT_COMMIT", t.created_height + 1, t.submit_end) ||
        !committer(call, w, v, id, 2, ARENA_ROLE_TRAINER, TX_ARENA_SUBMIT_COMMIT, trainer_to_commit,
                   "is a trainer of the task yet to commit", from) ||
        !rpcw_unlocked(call, w))
        goto done;
    randombytes_buf(salt, sizeof(salt));
    fl_model_hash(model, bytes, n);
    arena_submission_commitment(commitment, id, from, model, salt);
    struct wbuf secret;
    wallet_wbuf_secure(&secret, 36 + 4 * n);
    put_bytes(&secret, salt, 32);
    put_u32(&secret, (uint32_t)n);
    put_bytes(&secret, bytes, 4 * n);
    res = commit_with_secret(call, w, WALLET_ARENA_SUBMIT, TX_ARENA_SUBMIT_COMMIT, id, from, commitment,
                             &secret);
    wallet_wbuf_wipe(&secret);
    if (res)
        json_object_set_new(res, "model_hash", json_hash(model));
done:
    sodium_memzero(salt, sizeof(salt));
    free(bytes);
    rpcw_snapshot_free(call, v);
    return res;
}

static json_t *arenascore(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t id[HASH_SIZE], from[PUBKEY_SIZE], salt[32], commitment[HASH_SIZE];
    uint8_t *bytes = NULL;
    size_t n;
    struct wallet_arena_task t;
    struct wallet_arena_operator op;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = task_arg(call, 0, id, &t);
    if (!v)
        return NULL;
    if (!parse_words(call, rpc_json(call, 1), "losses", true, &bytes, &n))
        goto done;
    if (!in_window(call, "ARENA_SCORE_COMMIT", t.sets_end + 1, t.score_commit_end) ||
        !committer(call, w, v, id, 2, ARENA_ROLE_VALIDATOR, TX_ARENA_SCORE_COMMIT, validator_to_commit,
                   "is a validator of the task assigned a set and yet to commit", from))
        goto done;
    if (!rpcw_chain(call)->arena_operator(v, id, from, &op)) {
        rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        goto done;
    }
    uint32_t sets = 0;
    for (uint8_t k = 0; k < t.k && k < WALLET_ARENA_MAX_SETS; k++)
        sets += op.count[k] > 0;
    if (n != (uint64_t)sets * t.n_scoreable) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "%u losses expected (%u assigned sets x %u scoreable submissions), not %zu",
                  sets * t.n_scoreable, sets, t.n_scoreable, n);
        goto done;
    }
    if (!rpcw_unlocked(call, w))
        goto done;
    randombytes_buf(salt, sizeof(salt));
    arena_scores_commitment(commitment, id, from, (uint32_t)n, bytes, salt);
    struct wbuf secret;
    wallet_wbuf_secure(&secret, 36 + 4 * n);
    put_bytes(&secret, salt, 32);
    put_u32(&secret, (uint32_t)n);
    put_bytes(&secret, bytes, 4 * n);
    res = commit_with_secret(call, w, WALLET_ARENA_SCORE, TX_ARENA_SCORE_COMMIT, id, from, commitment,
                             &secret);
    wallet_wbuf_wipe(&secret);
done:
    sodium_memzero(salt, sizeof(salt));
    free(bytes);
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- the table ---- */

static const char create_summary[] =
    "Creates an Arena task from a wallet account: a model-training contest scored on K hidden "
    "validation sets.  The budget is locked (its burn share burned at once); the task id is the "
    "transaction id.  The wallet draws a salt per set, cuts each set into chunks, commits their "
    "Merkle roots, keeps the sets in wallet.dat and reveals every chunk by itself in the set "
    "window, after the submission reveals (or at once with arenarevealsets).  Options (a JSON object; defaults in brackets): "
    "\"address\" (the creator [the account with the largest balance]), \"model\" (\"logistic\" "
    "| \"softmax\" | \"mlp\" [logistic]), \"sizes\" (required, as flcreatetask), "
    "\"normalization\" ([[mean, std], ...] [none]), \"loss\" (\"logloss\" for logistic/softmax | "
    "\"mse\" [logloss]), \"data_hash\" (hex of the public training data's hash [zeros]), \"uri\" "
    "(where to get it, printable ASCII, <= 256 [\"\"]), \"valsets\" (required: K = 2..8 sets, "
    "each an array of rows [feature decimals..., label] (label: the class index for logloss, a "
    "decimal target for mse) or hex of its bytes), \"chunk_rows\" (rows per chunk [as many as "
    "fit 65536 bytes]), \"submit_blocks\" [5], \"reveal_blocks\" [5], \"score_commit_blocks\" "
    "[3], \"score_reveal_blocks\" [3] (also inside \"windows\": {...}), \"budget\" (FML, "
    "required, >= 1), \"gamma_bps\" [2000], \"q_bps\" [5000], \"delta_bps\" (Reward A share) "
    "[5000], \"D_bps\" [5000], \"epsilon\" (Q16.16 raw loss units) [0], \"vest_epochs\" [4], "
    "\"draws_per_set\" [3], \"max_trainers\" [16], \"max_validators\" [16], "
    "\"trainer_min_stake\" (FML) [1], \"validator_min_stake\" (FML) [1], \"slash_bps\" [1000].  "
    "The parameters are checked by the consensus rules before anything is sent.";

const struct rpc_method wallet_arena_rpc_methods[] = {
    {
        .category = "Wallet",
        .name = "arenacreatetask",
        .handler = arenacreatetask,
        .summary = create_summary,
        .args = {{"options", RPC_OBJ, true, NULL, "The task parameters (see above)"}},
        .result = "{\"txid\": \"hex\", \"task\": \"hex\" (the txid), \"salts\": [\"hex\", ...] (per "
                  "set), \"roots\": [\"hex\", ...] (the sets' Merkle roots)}",
        .examples = "fml-cli arenacreatetask '{\"sizes\": [2, 1], \"budget\": 10, \"valsets\": "
                    "[[[0.5, 1.25, 1], [-1, 0, 0]], [[2, 0.5, 1], [0, -0.75, 0]]]}'",
    },
    {
        .category = "Wallet",
        .name = "arenarevealsets",
        .handler = arenarevealsets,
        .summary = "Sends now every chunk of the validation sets of a task this wallet created "
                   "that is not on chain yet (the wallet also does it by itself on each new "
                   "block of the set window).  Only in the set window (reveal_end + 1 .. sets_end).",
        .args = {{"task", RPC_STR, true, NULL, "The task id"}},
        .result = "{\"txids\": [\"hex\", ...], \"warning\" (when some could not be sent)}",
        .examples = "fml-cli arenarevealsets 6f1c...e2",
    },
    {
        .category = "Wallet",
        .name = "arenastake",
        .handler = arenastake,
        .summary = "Stakes in a task as a trainer or a validator, until the submit window ends.  "
                   "The first stake fixes the address's role; stakes add up and must reach the "
                   "role's min stake by the end of the submit window to count.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"role", RPC_STR, true, NULL, "\"trainer\" or \"validator\""},
                 {"amount", RPC_AMOUNT, true, NULL, "FML to stake"},
                 {"address", RPC_STR, false, NULL, "The wallet account that stakes (default: the one with the largest balance)"}},
        .result = "{\"txid\": \"hex\"}",
        .examples = "fml-cli arenastake 6f1c...e2 trainer 20\nfml-cli arenastake 6f1c...e2 validator 20 fml1q...",
    },
    {
        .category = "Wallet",
        .name = "arenadelegate",
        .handler = arenadelegate,
        .summary = "Delegates to an operator (trainer or validator) of a task, until the submit "
                   "window ends: the delegation adds to the operator's stake, earns the "
                   "delegators' share (sigma) of its reward and shares its slashes.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"operator", RPC_STR, true, NULL, "The operator's address"},
                 {"amount", RPC_AMOUNT, true, NULL, "FML to delegate (at least 0.01)"},
                 {"address", RPC_STR, false, NULL, "The wallet account that delegates (default: the one with the largest balance)"}},
        .result = "{\"txid\": \"hex\"}",
        .examples = "fml-cli arenadelegate 6f1c...e2 fml1q... 5",
    },
    {
        .category = "Wallet",
        .name = "arenaundelegate",
        .handler = arenaundelegate,
        .summary = "Until the submit window ends, cancels a delegation (its amount comes back).  "
                   "After the task ended, claims it: the principal (after slashes) once, and the "
                   "rewards accrued so far; call again after later vesting tranches.  Refused "
                   "while the task runs.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"operator", RPC_STR, true, NULL, "The operator's address"},
                 {"address", RPC_STR, false, NULL, "The delegator's wallet address (default: the wallet's key with a delegation to the operator)"}},
        .result = "{\"txid\": \"hex\", \"kind\": \"cancel\" | \"claim\"}",
        .examples = "fml-cli arenaundelegate 6f1c...e2 fml1q...",
    },
    {
        .category = "Wallet",
        .name = "arenasetshare",
        .handler = arenasetshare,
        .summary = "Sets an operator's delegators' share sigma (bps of its reward), at most once "
                   "per chain epoch and only until the submit window ends (the value then is the "
                   "one used).",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"sigma_bps", RPC_UINT, true, NULL, "0..10000"},
                 {"address", RPC_STR, false, NULL, "The operator's wallet address (default: the wallet's first key with a stake in the task)"}},
        .result = "{\"txid\": \"hex\"}",
        .examples = "fml-cli arenasetshare 6f1c...e2 3000",
    },
    {
        .category = "Wallet",
        .name = "arenasubmit",
        .handler = arenasubmit,
        .summary = "Commits a trainer's model during the submit window: exactly the model's "
                   "parameter count of Q16.16 weights in the canonical layout.  The wallet draws "
                   "a salt, keeps the weights and salt in wallet.dat and sends the "
                   "ARENA_SUBMIT_REVEAL by itself once the reveal window opens (or with "
                   "arenareveal).  Weights equal to an earlier commit's are a duplicate and "
                   "slashed.",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"weights", RPC_ANY, true, NULL, "An array of Q16.16 integers or hex of the canonical bytes (int32 little-endian each)"},
                 {"address", RPC_STR, false, NULL, "The trainer's wallet address (default: the wallet's trainer of the task yet to commit)"}},
        .result = "{\"txid\": \"hex\", \"commitment\": \"hex\", \"model_hash\": \"hex\"}",
        .examples = "fml-cli arenasubmit 6f1c...e2 '[65536, -32768, 1024]'",
    },
    {
        .category = "Wallet",
        .name = "arenascore",
        .handler = arenascore,
        .summary = "Commits a validator's losses during the score commit window: one Q16.16 "
                   "loss (raw u32) per (assigned set, scoreable submission), ordered by set "
                   "ascending, then by submission in commit order (see arenagettask "
                   "\"submissions\").  The wallet keeps them with a salt and sends the "
                   "ARENA_SCORE_REVEAL by itself in the score reveal window (or with "
                   "arenareveal).",
        .args = {{"task", RPC_STR, true, NULL, "The task id"},
                 {"losses", RPC_ANY, true, NULL, "An array of raw Q16.16 losses (0..4294967295) or hex (u32 little-endian each)"},
                 {"address", RPC_STR, false, NULL, "The validator's wallet address (default: the wallet's assigned validator yet to commit)"}},
        .result = "{\"txid\": \"hex\", \"commitment\": \"hex\"}",
        .examples = "fml-cli arenascore 6f1c...e2 '[45000, 47210, 44980, 46001]'",
    },
    {
        .category = "Wallet",
        .name = "arenareveal",
        .handler = arenareveal,
        .summary = "Sends now whatever this wallet owes the task and whose window is open: its "
                   "submission reveal, its score reveal, its validation set chunks.  (The wallet "
                   "does this by itself on every new block.)",
        .args = {{"task", RPC_STR, true, NULL, "The task id"}},
        .result = "{\"txids\": [\"hex\", ...] (empty when nothing is due yet), \"warning\"}",
        .examples = "fml-cli arenareveal 6f1c...e2",
    },
};
const size_t wallet_arena_rpc_methods_count = sizeof(wallet_arena_rpc_methods) / sizeof(wallet_arena_rpc_methods[0]);
