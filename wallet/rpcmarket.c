/* Wallet methods of the AI Market: publish a model, set its price,
 * register as a compute provider, buy calls, claim a data provider's share,
 * and sign a request for a provider to serve paid calls.  Each builds the
 * transaction, checks against the state at the tip what it can (the model
 * exists, the sender owns it, the provider is registered, the price is at
 * most the maximum, there is something to claim) so that a refusal comes
 * with a clear message and nothing is sent, then signs it with a wallet
 * key, records it and submits it like sendtoaddress (the mempool applies
 * the full state rules on top). */
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "consensus/market.h"
#include "rpc/util.h"
#include "wallet/internal.h"
#include "wallet/rpcinternal.h"
#include "wallet/rpcwallet.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared ---- */

static struct chain_snapshot *snapshot_or_error(struct rpc_call *call)
{
    if (!rpcw_chain(call)) {
        rpc_error(call, RPC_MISC_ERROR, "The wallet is not attached to a chain");
        return NULL;
    }
    struct chain_snapshot *v = rpcw_snapshot(call);
    if (!v)
        rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    return v;
}

/* The model argument, which must be published (-5 otherwise); the snapshot
 * is the caller's to free. */
static struct chain_snapshot *model_arg(struct rpc_call *call, size_t idx, uint8_t id[HASH_SIZE],
                                        struct market_model *m)
{
    if (!rpc_arg_hash(call, idx, "model", id))
        return NULL;
    struct chain_snapshot *v = snapshot_or_error(call);
    if (!v)
        return NULL;
    if (rpcw_chain(call)->market_model(v, id, m))
        return v;
    rpcw_snapshot_free(call, v);
    rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Model not found (no MARKET_PUBLISH with this id at the tip)");
    return NULL;
}

static void address_text(struct rpc_call *call, const uint8_t pub[PUBKEY_SIZE],
                         char out[ADDRESS_MAX_LEN])
{
    if (!address_encode(out, rpc_env(call)->params->hrp, pub))
        out[0] = '\0';
}

static void amount_text(uint64_t units, char out[32])
{
    rpc_format_amount(units, out);
}

/* The stateless rule of a payload (consensus/market.h): -8 naming the
 * reason and the field. */
static bool stateless_ok(struct rpc_call *call, uint8_t type, const struct wbuf *pl,
                         bool (*check)(const struct tx *, const struct chain_params *,
                                       struct validation *),
                         const char *what)
{
    struct tx tx;
    struct validation v;
    tx_init(&tx);
    tx.type = type;
    if (pl->failed || !tx_set_payload(&tx, pl->data, pl->len)) {
        tx_free(&tx);
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        return false;
    }
    val_init(&v);
    bool ok = check(&tx, rpc_env(call)->params, &v);
    tx_free(&tx);
    if (!ok)
        rpc_error(call, RPC_INVALID_PARAMETER, "Invalid %s: %s%s%s", what, v.reason,
                  v.detail[0] ? ", " : "", v.detail);
    return ok;
}

/* Submits the payload from `from`: {"txid", ...} or NULL with the error. */
static json_t *submit(struct rpc_call *call, struct wallet *w, const uint8_t from[PUBKEY_SIZE],
                      uint8_t type, const struct wbuf *pl)
{
    if (!rpcw_has_mempool(call)) {
        rpc_error(call, RPC_MISC_ERROR, "The node has no mempool");
        return NULL;
    }
    json_t *txid = rpcw_submit_payload(call, w, from, type, pl);
    if (!txid)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "txid", txid);
    return o;
}

/* Once the wallet is unlocked, checks the encoded payload statelessly and
 * submits it from `from`, then frees it: {"txid", addr_key: from's
 * address} or NULL with the error. */
static json_t *unlock_check_submit(struct rpc_call *call, struct wallet *w,
                                   const uint8_t from[PUBKEY_SIZE], uint8_t type, struct wbuf *pl,
                                   bool (*check)(const struct tx *, const struct chain_params *,
                                                 struct validation *),
                                   const char *what, const char *addr_key)
{
    json_t *res = NULL;
    if (rpcw_unlocked(call, w) && stateless_ok(call, type, pl, check, what))
        res = submit(call, w, from, type, pl);
    wbuf_free(pl);
    if (res) {
        char addr[ADDRESS_MAX_LEN];
        address_text(call, from, addr);
        json_object_set_new(res, addr_key, json_string(addr));
    }
    return res;
}

/* The price at every multiplier's cap of a model and its components,
 * recursively (what publication and a price change bound by
 * MARKET_MAX_PRICE_AT_CAP); false when a record is missing.  Saturates at
 * UINT64_MAX. */
static bool price_at_cap(struct rpc_call *call, struct chain_snapshot *v,
                         const uint8_t id[HASH_SIZE], uint8_t depth, uint64_t *out)
{
    const struct chain_params *p = rpc_env(call)->params;
    struct market_model m;
    uint64_t own, cplx, sum;
    if (depth > MARKET_MAX_DEPTH || !rpcw_chain(call)->market_model(v, id, &m))
        return false;
    if (!market_own_price(m.base_price, m.macs, p->market_fee_per_kmac,
                          (uint64_t)p->market_mult_cap << 32, &own, &cplx))
        own = UINT64_MAX;
    sum = own;
    uint8_t comps[MARKET_MAX_COMPONENTS][HASH_SIZE];
    const uint8_t k = m.n_components;
    memcpy(comps, m.components, sizeof(comps));
    for (uint8_t i = 0; i < k; i++) {
        uint64_t c;
        if (!price_at_cap(call, v, comps[i], (uint8_t)(depth + 1), &c))
            return false;
        sum = sum + c < sum ? UINT64_MAX : sum + c;
    }
    *out = sum;
    return true;
}

/* -8 when own (at the cap) plus the components' prices at their caps is
 * above MARKET_MAX_PRICE_AT_CAP. */
static bool cap_ok(struct rpc_call *call, struct chain_snapshot *v, uint64_t base, uint64_t macs,
                   const uint8_t (*comps)[HASH_SIZE], uint8_t k)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint64_t own, cplx, sum;
    char max[32];
    if (!market_own_price(base, macs, p->market_fee_per_kmac, (uint64_t)p->market_mult_cap << 32,
                          &own, &cplx))
        own = UINT64_MAX;
    sum = own;
    for (uint8_t i = 0; i < k; i++) {
        uint64_t c;
        if (!price_at_cap(call, v, comps[i], 1, &c)) {
            rpc_error(call, RPC_DATABASE_ERROR, "State read error");
            return false;
        }
        sum = sum + c < sum ? UINT64_MAX : sum + c;
    }
    if (sum <= MARKET_MAX_PRICE_AT_CAP)
        return true;
    amount_text(MARKET_MAX_PRICE_AT_CAP, max);
    rpc_error(call, RPC_INVALID_PARAMETER,
              "The price per call at the demand multiplier's cap (x%u), components included, "
              "would be above %s FML (market-price-too-high): lower base_price",
              p->market_mult_cap, max);
    return false;
}

/* -8 when a leaf's own price at multiplier 1.0 (base plus complexity fee)
 * is under one unit: every paid call of a leaf pays something. */
static bool own_ok(struct rpc_call *call, uint64_t base, uint64_t macs)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint64_t own, cplx;
    if (!market_own_price(base, macs, p->market_fee_per_kmac, MARKET_MULT_ONE, &own, &cplx) ||
        own >= 1)
        return true; /* too high: cap_ok's to say */
    rpc_error(call, RPC_INVALID_PARAMETER,
              "A model's own price per call (base_price plus the complexity fee) must be at "
              "least 0.00000001 FML (market-price-zero): raise base_price");
    return false;
}

/* ---- marketpublish ---- */

static const char *const publish_keys[] = {
    "address", "name", "source", "source_id", "spec", "weights", "base_price",
    "target", "split", "mode", "components",
};

/* Weights: hex of the canonical bytes (int32 little-endian each), or a JSON
 * array whose elements are Q16.16 integers (as flgetmodel's weights_q16
 * and flsubmitupdate take them), decimal strings ("0.25") or real numbers
 * (decimals); *bytes allocated. */
static bool parse_weights(struct rpc_call *call, json_t *x, uint8_t **bytes, uint64_t *n)
{
    *bytes = NULL;
    *n = 0;
    if (json_is_string(x)) {
        const char *s = json_string_value(x);
        size_t len = strlen(s), bin;
        if (len == 0 || len % 8 != 0 || len / 8 > MARKET_MAX_UPLOAD_PARAMS ||
            !(*bytes = malloc(len / 2 + 1)) ||
            sodium_hex2bin(*bytes, len / 2, s, len, NULL, &bin, NULL) != 0 || bin != len / 2) {
            free(*bytes);
            *bytes = NULL;
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "weights: hex of 4 bytes per weight (int32 little-endian), at most %d weights",
                      MARKET_MAX_UPLOAD_PARAMS);
            return false;
        }
        *n = bin / 4;
        return true;
    }
    if (!json_is_array(x) || json_array_size(x) == 0 ||
        json_array_size(x) > MARKET_MAX_UPLOAD_PARAMS) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "weights: a hex string or an array of 1..%d weights (Q16.16 integers or "
                  "decimal strings)", MARKET_MAX_UPLOAD_PARAMS);
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
        int32_t q;
        bool ok;
        if (json_is_integer(e)) {
            ok = json_integer_value(e) >= INT32_MIN && json_integer_value(e) <= INT32_MAX;
            q = ok ? (int32_t)json_integer_value(e) : 0;
        } else {
            ok = (json_is_string(e) || json_is_real(e)) && rpcw_parse_q16(e, &q);
        }
        if (!ok) {
            free(*bytes);
            *bytes = NULL;
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "weights[%zu]: a Q16.16 integer (int32) or a decimal string in "
                      "[-32768, 32768) expected", i);
            return false;
        }
        write_le32(*bytes + 4 * i, (uint32_t)q);
    }
    return true;
}

/* spec: {"kind": "logistic" | "softmax" | "mlp", "sizes": [...],
 * "normalization": [[mean, std], ...] or [{"mean", "std"}, ...]}. */
static bool parse_spec(struct rpc_call *call, json_t *o, struct fl_spec *spec, uint8_t **norm)
{
    *norm = NULL;
    if (!json_is_object(o)) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "spec: an object {\"kind\", \"sizes\", \"normalization\"} is required for an upload");
        return false;
    }
    const char *key;
    json_t *x;
    json_object_foreach(o, key, x) {
        if (strcmp(key, "kind") != 0 && strcmp(key, "sizes") != 0 && strcmp(key, "normalization") != 0 &&
            strcmp(key, "parameters") != 0) {
            rpc_error(call, RPC_INVALID_PARAMETER, "spec: unknown key %.64s", key);
            return false;
        }
    }
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (json_object_get(o, "kind") && !kind) {
        rpc_error(call, RPC_TYPE_ERROR, "spec.kind must be a string");
        return false;
    }
    if (!kind || strcmp(kind, "logistic") == 0)
        spec->kind = FL_MODEL_LOGREG;
    else if (strcmp(kind, "softmax") == 0)
        spec->kind = FL_MODEL_SOFTMAX;
    else if (strcmp(kind, "mlp") == 0)
        spec->kind = FL_MODEL_MLP;
    else {
        rpc_error(call, RPC_INVALID_PARAMETER, "spec.kind must be \"logistic\", \"softmax\" or \"mlp\"");
        return false;
    }
    x = json_object_get(o, "sizes");
    if (!json_is_array(x) || json_array_size(x) < 2 || json_array_size(x) > FL_MAX_SIZES) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "spec.sizes: an array [inputs, ..., outputs] of 2..%d layer sizes is required",
                  FL_MAX_SIZES);
        return false;
    }
    spec->n_sizes = (uint32_t)json_array_size(x);
    for (size_t i = 0; i < json_array_size(x); i++) {
        json_t *s = json_array_get(x, i);
        if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > FL_MAX_UNITS) {
            rpc_error(call, RPC_INVALID_PARAMETER, "spec.sizes[%zu] must be 1..%u", i, FL_MAX_UNITS);
            return false;
        }
        spec->sizes[i] = (uint32_t)json_integer_value(s);
    }
    x = json_object_get(o, "normalization");
    if (x && !(json_is_array(x) && json_array_size(x) == 0)) {
        if (!json_is_array(x) || json_array_size(x) != spec->sizes[0]) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "spec.normalization: one [mean, std] pair per input (%u) expected", spec->sizes[0]);
            return false;
        }
        *norm = malloc(8 * json_array_size(x) + 1);
        if (!*norm) {
            rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
            return false;
        }
        for (size_t i = 0; i < json_array_size(x); i++) {
            json_t *pair = json_array_get(x, i), *mj, *sj;
            int32_t mean, std;
            if (json_is_object(pair)) {
                mj = json_object_get(pair, "mean");
                sj = json_object_get(pair, "std");
            } else if (json_is_array(pair) && json_array_size(pair) == 2) {
                mj = json_array_get(pair, 0);
                sj = json_array_get(pair, 1);
            } else {
                mj = sj = NULL;
            }
            if (!mj || !sj || !rpcw_parse_q16(mj, &mean) || !rpcw_parse_q16(sj, &std)) {
                rpc_error(call, RPC_INVALID_PARAMETER,
                          "spec.normalization[%zu]: [mean, std] as decimals expected", i);
                return false;
            }
            write_le32(*norm + 8 * i, (uint32_t)mean);
            write_le32(*norm + 8 * i + 4, (uint32_t)std);
        }
        spec->n_norm = (uint32_t)json_array_size(x);
        spec->norm = *norm;
    }
    if (!fl_spec_valid(spec)) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "spec: sizes do not fit the kind (logistic: [inputs, 1]; softmax: [inputs, "
                  "classes]; mlp: [inputs, hidden..., outputs])");
        return false;
    }
    return true;
}

static bool parse_split(struct rpc_call *call, json_t *x, struct market_split *s)
{
    const char *key;
    json_t *val;
    if (!json_is_object(x)) {
        rpc_error(call, RPC_TYPE_ERROR, "split: an object {\"creator\", \"data\", \"provider\"} (bps)");
        return false;
    }
    json_object_foreach(x, key, val) {
        if (strcmp(key, "creator") != 0 && strcmp(key, "data") != 0 && strcmp(key, "provider") != 0) {
            rpc_error(call, RPC_INVALID_PARAMETER, "split: unknown key %.64s", key);
            return false;
        }
    }
    uint64_t c = 0, d = 0, pr = 0;
    if (!rpcw_opt_uint(call, x, "creator", 10000, &c) || !rpcw_opt_uint(call, x, "data", 10000, &d) ||
        !rpcw_opt_uint(call, x, "provider", 10000, &pr))
        return false;
    if (c + d + pr != 10000) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "split: creator + data + provider must be 10000 bps (%" PRIu64 " given)", c + d + pr);
        return false;
    }
    s->creator_bps = (uint16_t)c;
    s->data_bps = (uint16_t)d;
    s->provider_bps = (uint16_t)pr;
    return true;
}

/* The checks of a composite against its components (the state's rule,
 * market-bad-component): each exists, the depth and expansion bounds, and
 * the layout of the mode. */
static bool components_ok(struct rpc_call *call, struct chain_snapshot *v,
                          const struct market_publish *m)
{
    const struct wallet_chain *c = rpcw_chain(call);
    unsigned depth = 0, expansion = 1;
    struct market_model comp[MARKET_MAX_COMPONENTS];
    for (uint8_t i = 0; i < m->n_components; i++) {
        if (!c->market_model(v, m->components[i], &comp[i])) {
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "components[%u]: model not found", i);
            return false;
        }
        if (comp[i].depth + 1u > depth)
            depth = comp[i].depth + 1u;
        expansion += comp[i].expansion;
    }
    if (depth > MARKET_MAX_DEPTH) {
        rpc_error(call, RPC_INVALID_PARAMETER, "The composite would have depth %u, at most %d",
                  depth, MARKET_MAX_DEPTH);
        return false;
    }
    if (expansion > MARKET_MAX_EXPANSION) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "The composite's expansion would be %u models (itself and every component, "
                  "recursively, repeats counted), at most %d", expansion, MARKET_MAX_EXPANSION);
        return false;
    }
    for (uint8_t i = 0; i + 1 < m->n_components; i++) {
        if (m->mode == MARKET_MODE_AVERAGE &&
            (comp[i + 1].n_inputs != comp[0].n_inputs || comp[i + 1].n_outputs != comp[0].n_outputs)) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "average: every component must have the same inputs and outputs "
                      "(components[0]: %u -> %u, components[%u]: %u -> %u)",
                      comp[0].n_inputs, comp[0].n_outputs, i + 1, comp[i + 1].n_inputs,
                      comp[i + 1].n_outputs);
            return false;
        }
        if (m->mode == MARKET_MODE_PIPELINE && comp[i].n_outputs != comp[i + 1].n_inputs) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "pipeline: components[%u] has %u outputs but components[%u] takes %u inputs",
                      i, comp[i].n_outputs, i + 1, comp[i + 1].n_inputs);
            return false;
        }
    }
    return true;
}

/* The sender of a publication from an FL or Arena task: its creator, which
 * must be a key of this wallet (and the address argument, when given). */
static bool task_creator(struct rpc_call *call, struct wallet *w, const uint8_t creator[PUBKEY_SIZE],
                         bool has_from, const uint8_t from[PUBKEY_SIZE], const char *what,
                         uint8_t out[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    char addr[ADDRESS_MAX_LEN];
    address_text(call, creator, addr);
    if (has_from && memcmp(from, creator, PUBKEY_SIZE) != 0) {
        rpc_error(call, RPC_WALLET_ERROR,
                  "Only the %s's creator (%s) may publish its model", what, addr);
        return false;
    }
    if (!wallet_key_info(w, creator, &k)) {
        rpc_error(call, RPC_WALLET_ERROR,
                  "Only the %s's creator may publish its model, and its key (%s) is not in this "
                  "wallet", what, addr);
        return false;
    }
    memcpy(out, creator, PUBKEY_SIZE);
    return true;
}

static json_t *marketpublish(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    json_t *o = rpc_json(call, 0), *x, *res = NULL;
    struct market_publish m;
    uint8_t *weights = NULL, *norm = NULL, from[PUBKEY_SIZE];
    bool has_from = false;
    struct chain_snapshot *v = NULL;
    struct wbuf pl;
    const char *key;
    wbuf_init(&pl);
    memset(&m, 0, sizeof(m));
    if (!w)
        return NULL;
    json_object_foreach(o, key, x) {
        bool known = false;
        for (size_t i = 0; i < sizeof(publish_keys) / sizeof(publish_keys[0]); i++)
            known = known || strcmp(key, publish_keys[i]) == 0;
        if (!known)
            return rpc_error(call, RPC_INVALID_PARAMETER, "Unknown option: %.64s", key);
    }
    /* name */
    const char *name = json_string_value(json_object_get(o, "name"));
    if (!name || strlen(name) == 0 || strlen(name) > MARKET_MAX_NAME)
        return rpc_error(call, RPC_INVALID_PARAMETER, "name: a string of 1..%d printable ASCII characters is required",
                         MARKET_MAX_NAME);
    for (const char *c = name; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return rpc_error(call, RPC_INVALID_PARAMETER, "name: printable ASCII only");
    m.name_len = (uint8_t)strlen(name);
    memcpy(m.name, name, m.name_len);
    /* source: given, or composite with components, upload with weights */
    x = json_object_get(o, "source");
    const char *src = json_string_value(x);
    if (x && !src)
        return rpc_error(call, RPC_TYPE_ERROR, "source must be a string");
    if (!src)
        src = json_object_get(o, "components") ? "composite" : json_object_get(o, "weights") ? "upload" : NULL;
    if (!src)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "source is required: \"upload\" (with spec and weights), \"fl\" or \"arena\" "
                         "(with source_id), or \"composite\" (with mode and components)");
    if (strcmp(src, "upload") == 0)
        m.source = MARKET_SOURCE_UPLOAD;
    else if (strcmp(src, "fl") == 0)
        m.source = MARKET_SOURCE_FL;
    else if (strcmp(src, "arena") == 0)
        m.source = MARKET_SOURCE_ARENA;
    else if (strcmp(src, "composite") == 0)
        m.source = MARKET_SOURCE_COMPOSITE;
    else
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "source must be \"upload\", \"fl\", \"arena\" or \"composite\"");
    const bool leaf_task = m.source == MARKET_SOURCE_FL || m.source == MARKET_SOURCE_ARENA;
    /* what goes with each source, and nothing else */
    x = json_object_get(o, "source_id");
    if (leaf_task) {
        if (!json_is_string(x) || !hash_from_hex(m.source_id, json_string_value(x)))
            return rpc_error(call, RPC_INVALID_PARAMETER, "source_id: the %s task id (64 hex digits) is required",
                             m.source == MARKET_SOURCE_FL ? "FL" : "Arena");
    } else if (x) {
        return rpc_error(call, RPC_INVALID_PARAMETER, "source_id is only for \"fl\" and \"arena\"");
    }
    if (m.source != MARKET_SOURCE_UPLOAD && (json_object_get(o, "spec") || json_object_get(o, "weights")))
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "spec and weights are only for \"upload\" (an FL or Arena model's come from its task)");
    if (m.source != MARKET_SOURCE_COMPOSITE && (json_object_get(o, "components") || json_object_get(o, "mode")))
        return rpc_error(call, RPC_INVALID_PARAMETER, "mode and components are only for \"composite\"");
    /* prices */
    if (!json_object_get(o, "base_price"))
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "base_price (FML per call, before the demand multiplier and the complexity fee) is required");
    if (!rpcw_opt_amount(call, o, "base_price", &m.base_price))
        return NULL;
    uint64_t target = 10;
    if (!rpcw_opt_uint(call, o, "target", UINT32_MAX, &target))
        return NULL;
    if (target == 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "target (calls per block) must be 1 or more");
    m.target = (uint32_t)target;
    /* split: defaults creator 30%, data 60%, provider 10% with data
     * providers (fl, arena); creator 90%, provider 10% otherwise */
    m.split = leaf_task ? (struct market_split){3000, 6000, 1000} : (struct market_split){9000, 0, 1000};
    if (json_object_get(o, "split") && !parse_split(call, json_object_get(o, "split"), &m.split))
        return NULL;
    if (!leaf_task && m.split.data_bps)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "split: an uploaded or composite model has no data providers (data must be 0)");
    /* the sender */
    x = json_object_get(o, "address");
    if (x) {
        const char *s = json_string_value(x);
        struct wallet_key_info k;
        if (!s || !address_decode(from, env->params->hrp, s))
            return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address: %.100s", s ? s : "?");
        if (!wallet_key_info(w, from, &k))
            return rpc_error(call, RPC_WALLET_ERROR, "Address %.100s is not in the wallet", s);
        has_from = true;
    }
    if (!(v = snapshot_or_error(call)))
        return NULL;
    const struct wallet_chain *c = rpcw_chain(call);
    uint64_t macs = 0;
    if (m.source == MARKET_SOURCE_UPLOAD) {
        if (!parse_spec(call, json_object_get(o, "spec"), &m.spec, &norm))
            goto done;
        if (!json_object_get(o, "weights")) {
            rpc_error(call, RPC_INVALID_PARAMETER, "weights are required for an upload");
            goto done;
        }
        if (!parse_weights(call, json_object_get(o, "weights"), &weights, &m.n_weights))
            goto done;
        if (m.n_weights != fl_param_count(&m.spec)) {
            rpc_error(call, RPC_INVALID_PARAMETER, "The spec has %" PRIu64 " parameters, %" PRIu64 " weights given",
                      fl_param_count(&m.spec), m.n_weights);
            goto done;
        }
        m.weights = weights;
        macs = market_macs(&m.spec);
    } else if (m.source == MARKET_SOURCE_FL) {
        struct fl_task t;
        struct fl_status st;
        if (!c->fl_task(v, m.source_id, &t) || !c->fl_status(v, m.source_id, &st)) {
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "FL task not found");
            goto done;
        }
        if (st.state != FL_TASK_COMPLETED) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "The FL task is %s: only a completed task's model can be published "
                      "(market-source-not-ready)", fl_task_state_name(st.state));
            goto done;
        }
        if (!task_creator(call, w, t.creator, has_from, from, "FL task", from))
            goto done;
        if (m.split.data_bps > 0 && st.contribution == 0) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "The FL task recorded no contribution (no round accepted an update), so its "
                      "model has no data providers: give split.data 0 (market-source-not-ready)");
            goto done;
        }
        macs = market_macs(&t.p.spec);
        has_from = true;
    } else if (m.source == MARKET_SOURCE_ARENA) {
        struct wallet_arena_task t;
        if (!c->arena_task(v, m.source_id, &t)) {
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Arena task not found");
            goto done;
        }
        if (t.state != WALLET_ARENA_SETTLED) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "The Arena task is not settled: only a settled task's winner can be "
                      "published (market-source-not-ready)");
            goto done;
        }
        if (!task_creator(call, w, t.creator, has_from, from, "Arena task", from))
            goto done;
        has_from = true;
    } else {
        x = json_object_get(o, "mode");
        const char *mode = json_string_value(x);
        if (!mode || (strcmp(mode, "average") != 0 && strcmp(mode, "pipeline") != 0)) {
            rpc_error(call, RPC_INVALID_PARAMETER, "mode must be \"average\" or \"pipeline\" for a composite");
            goto done;
        }
        m.mode = strcmp(mode, "average") == 0 ? MARKET_MODE_AVERAGE : MARKET_MODE_PIPELINE;
        x = json_object_get(o, "components");
        if (!json_is_array(x) || json_array_size(x) < 1 || json_array_size(x) > MARKET_MAX_COMPONENTS) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "components: an array of 1..%d model ids (repeats allowed) is required",
                      MARKET_MAX_COMPONENTS);
            goto done;
        }
        m.n_components = (uint8_t)json_array_size(x);
        for (uint8_t i = 0; i < m.n_components; i++) {
            const char *s = json_string_value(json_array_get(x, i));
            if (!s || !hash_from_hex(m.components[i], s)) {
                rpc_error(call, RPC_INVALID_PARAMETER, "components[%u]: a model id (64 hex digits)", i);
                goto done;
            }
        }
        if (!components_ok(call, v, &m))
            goto done;
    }
    market_publish_encode(&m, &pl);
    if (!stateless_ok(call, TX_MARKET_PUBLISH, &pl, market_publish_check, "model"))
        goto done;
    if (m.source != MARKET_SOURCE_ARENA && /* an Arena model's complexity: the state's to check */
        !cap_ok(call, v, m.base_price, macs, (const uint8_t(*)[HASH_SIZE])m.components, m.n_components))
        goto done;
    if ((m.source == MARKET_SOURCE_UPLOAD || m.source == MARKET_SOURCE_FL) &&
        !own_ok(call, m.base_price, macs))
        goto done;
    if (!has_from && !rpcw_richest(call, w, 0, NULL, NULL, from))
        goto done;
    if (!rpcw_unlocked(call, w))
        goto done;
    res = submit(call, w, from, TX_MARKET_PUBLISH, &pl);
    if (res) {
        char addr[ADDRESS_MAX_LEN];
        address_text(call, from, addr);
        json_object_set(res, "model", json_object_get(res, "txid"));
        json_object_set_new(res, "owner", json_string(addr));
    }
done:
    wbuf_free(&pl);
    free(weights);
    free(norm);
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- marketsetprice ---- */

/* The model's owner, which must be a key of this wallet (and the address
 * argument idx, when given). */
static bool owner_key(struct rpc_call *call, struct wallet *w, const struct market_model *m,
                      size_t idx, uint8_t out[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    char addr[ADDRESS_MAX_LEN];
    address_text(call, m->owner, addr);
    if (rpc_has(call, idx)) {
        if (!rpcw_own_address(call, w, idx, out))
            return false;
        if (memcmp(out, m->owner, PUBKEY_SIZE) != 0) {
            rpc_error(call, RPC_WALLET_ERROR,
                      "The address is not the model's owner (%s): only the owner may change its "
                      "price (market-not-owner)", addr);
            return false;
        }
        return true;
    }
    if (!wallet_key_info(w, m->owner, &k)) {
        rpc_error(call, RPC_WALLET_ERROR,
                  "The model's owner (%s) is not in this wallet: only the owner may change its "
                  "price (market-not-owner)", addr);
        return false;
    }
    memcpy(out, m->owner, PUBKEY_SIZE);
    return true;
}

static json_t *marketsetprice(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t from[PUBKEY_SIZE];
    struct market_model m;
    struct market_set_price sp;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = model_arg(call, 0, sp.model, &m);
    if (!v)
        return NULL;
    sp.base_price = rpc_amount(call, 1, 0);
    uint64_t target = rpc_has(call, 2) ? rpc_uint(call, 2, 0) : m.target;
    struct wbuf pl;
    wbuf_init(&pl);
    if (target == 0 || target > UINT32_MAX) {
        rpc_error(call, RPC_INVALID_PARAMETER, "target (calls per block) must be 1..%u", UINT32_MAX);
        goto done;
    }
    sp.target = (uint32_t)target;
    if (!owner_key(call, w, &m, 3, from))
        goto done;
    market_set_price_encode(&sp, &pl);
    if (!stateless_ok(call, TX_MARKET_SET_PRICE, &pl, market_set_price_check, "price") ||
        !cap_ok(call, v, sp.base_price, m.macs, (const uint8_t(*)[HASH_SIZE])m.components,
                m.n_components) ||
        (m.source != MARKET_SOURCE_COMPOSITE && !own_ok(call, sp.base_price, m.macs)) ||
        !rpcw_unlocked(call, w))
        goto done;
    res = submit(call, w, from, TX_MARKET_SET_PRICE, &pl);
    if (res) {
        json_object_set_new(res, "base_price", json_amount(sp.base_price));
        json_object_set_new(res, "target", json_integer(sp.target));
    }
done:
    wbuf_free(&pl);
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- registerprovider ---- */

static json_t *registerprovider(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    struct wallet *w = rpcw_wallet(call);
    uint8_t from[PUBKEY_SIZE];
    struct market_provider_register r;
    struct market_provider pr;
    char need[32];
    json_t *res = NULL;
    if (!w)
        return NULL;
    memset(&r, 0, sizeof(r));
    r.stake = rpc_amount(call, 0, 0);
    const char *ep = rpc_str(call, 1, "");
    if (strlen(ep) > MARKET_MAX_ENDPOINT)
        return rpc_error(call, RPC_INVALID_PARAMETER, "endpoint: at most %d characters", MARKET_MAX_ENDPOINT);
    for (const char *c = ep; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return rpc_error(call, RPC_INVALID_PARAMETER, "endpoint: printable ASCII only");
    r.endpoint_len = (uint8_t)strlen(ep);
    memcpy(r.endpoint, ep, r.endpoint_len);
    struct chain_snapshot *v = snapshot_or_error(call);
    if (!v)
        return NULL;
    if (rpc_has(call, 2) ? !rpcw_own_address(call, w, 2, from) : !rpcw_richest(call, w, r.stake, NULL, NULL, from))
        goto done;
    const bool known = rpcw_chain(call)->market_provider(v, from, &pr);
    if (!known && r.stake < p->market_min_provider_stake) {
        amount_text(p->market_min_provider_stake, need);
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "A new compute provider stakes at least %s FML (market-stake-low)", need);
        goto done;
    }
    struct account a;
    if (!rpcw_account(call, from, &a))
        goto done;
    if (a.balance < r.stake) {
        rpc_error(call, RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds for the stake");
        goto done;
    }
    struct wbuf pl;
    wbuf_init(&pl);
    market_provider_register_encode(&r, &pl);
    res = unlock_check_submit(call, w, from, TX_MARKET_PROVIDER_REGISTER, &pl,
                              market_provider_register_check, "registration", "address");
    if (res) {
        json_object_set_new(res, "stake", json_amount(known ? pr.stake + r.stake : r.stake));
        json_object_set_new(res, "new", json_boolean(!known));
    }
done:
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- marketcall ---- */

static json_t *marketcall(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    struct wallet *w = rpcw_wallet(call);
    const struct wallet_chain *c = rpcw_chain(call);
    struct market_model m;
    struct market_provider pr;
    struct market_call mc;
    uint8_t from[PUBKEY_SIZE];
    uint64_t price;
    char a1[32], a2[32];
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = model_arg(call, 0, mc.model, &m);
    if (!v)
        return NULL;
    const uint64_t next = rpcw_tip_height(call) + 1;
    if (!rpc_arg_address(call, 1, mc.provider))
        goto done;
    if (!c->market_provider(v, mc.provider, &pr)) {
        rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                  "%.100s is not a registered compute provider (market-unknown-provider)",
                  rpc_str(call, 1, ""));
        goto done;
    }
    const uint64_t calls = rpc_uint(call, 2, 0);
    if (calls == 0 || calls > MARKET_MAX_CALLS) {
        rpc_error(call, RPC_INVALID_PARAMETER, "calls must be 1..%d", MARKET_MAX_CALLS);
        goto done;
    }
    mc.calls = (uint32_t)calls;
    if (!c->market_price(v, p, mc.model, next, &price)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "The model's price does not fit in 64 bits");
        goto done;
    }
    /* The default: the price for the next block (1 unit for a free model:
     * a call states a maximum of at least 1). */
    mc.max_price = rpc_has(call, 3) ? rpc_amount(call, 3, 0) : price ? price : 1;
    amount_text(price, a1);
    amount_text(mc.max_price, a2);
    if (mc.max_price == 0) {
        rpc_error(call, RPC_INVALID_PARAMETER, "max_price must be more than 0");
        goto done;
    }
    if (price > mc.max_price) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "The price per call in the next block (%" PRIu64 ") is %s FML, above max_price "
                  "%s FML (market-price-above-max)", next, a1, a2);
        goto done;
    }
    const unsigned __int128 total = (unsigned __int128)price * calls;
    if (total > UINT64_MAX) {
        rpc_error(call, RPC_INVALID_PARAMETER, "The calls cost more than 2^64 units (market-overflow)");
        goto done;
    }
    if (rpc_has(call, 4)) {
        struct account a;
        if (!rpcw_own_address(call, w, 4, from) || !rpcw_account(call, from, &a))
            goto done;
        if (a.balance < (uint64_t)total) {
            amount_text((uint64_t)total, a1);
            rpc_error(call, RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds: the calls cost %s FML", a1);
            goto done;
        }
    } else if (!rpcw_richest(call, w, (uint64_t)total, NULL, NULL, from)) {
        goto done;
    }
    struct wbuf pl;
    wbuf_init(&pl);
    market_call_encode(&mc, &pl);
    res = unlock_check_submit(call, w, from, TX_MARKET_CALL, &pl, market_call_check, "call", "payer");
    if (res) {
        json_object_set_new(res, "calls", json_integer(mc.calls));
        json_object_set_new(res, "price", json_amount(price));
        json_object_set_new(res, "total", json_amount((uint64_t)total));
        json_object_set_new(res, "max_price", json_amount(mc.max_price));
        json_object_set_new(res, "height", json_integer((json_int_t)next));
    }
done:
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- marketclaim ---- */

static json_t *marketclaim(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    const struct wallet_chain *c = rpcw_chain(call);
    struct market_model m;
    struct market_claim mc;
    struct wallet_key_info k;
    uint8_t from[PUBKEY_SIZE];
    uint64_t owed = 0;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = model_arg(call, 0, mc.model, &m);
    if (!v)
        return NULL;
    if (m.data_shares == 0) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "The model has no data providers (an upload or a composite, or published with "
                  "no contribution): nothing to claim (market-nothing-to-claim)");
        goto done;
    }
    if (rpc_has(call, 1)) {
        if (!rpcw_own_address(call, w, 1, from))
            goto done;
        owed = c->market_pending(v, mc.model, from);
        if (owed == 0) {
            rpc_error(call, RPC_WALLET_ERROR,
                      "The address has nothing to claim from this model (market-nothing-to-claim)");
            goto done;
        }
    } else {
        bool found = false;
        for (size_t i = 0; !found && wallet_key_at(w, i, &k); i++) {
            owed = c->market_pending(v, mc.model, k.pub);
            if (owed > 0) {
                memcpy(from, k.pub, PUBKEY_SIZE);
                found = true;
            }
        }
        if (!found) {
            rpc_error(call, RPC_WALLET_ERROR,
                      "No key of this wallet has anything to claim from this model "
                      "(market-nothing-to-claim)");
            goto done;
        }
    }
    struct wbuf pl;
    wbuf_init(&pl);
    market_claim_encode(&mc, &pl);
    res = unlock_check_submit(call, w, from, TX_MARKET_CLAIM, &pl, market_claim_check, "claim", "address");
    if (res)
        json_object_set_new(res, "amount", json_amount(owed));
done:
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- marketsignrequest ---- */

static json_t *marketsignrequest(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    struct wallet *w = rpcw_wallet(call);
    const struct wallet_chain *c = rpcw_chain(call);
    uint8_t model[HASH_SIZE], provider[PUBKEY_SIZE], from[PUBKEY_SIZE], msg[HASH_SIZE], sig[SIG_SIZE];
    struct market_model m;
    struct wallet_key_info k;
    json_t *res = NULL;
    if (!w)
        return NULL;
    struct chain_snapshot *v = model_arg(call, 0, model, &m);
    if (!v)
        return NULL;
    if (!rpc_arg_address(call, 1, provider))
        goto done;
    const uint64_t calls = rpc_uint(call, 2, 0), nonce = rpc_uint(call, 3, 0);
    if (calls == 0 || calls > UINT32_MAX) {
        rpc_error(call, RPC_INVALID_PARAMETER, "calls must be 1..%u", UINT32_MAX);
        goto done;
    }
    if (rpc_has(call, 4)) {
        if (!rpcw_own_address(call, w, 4, from))
            goto done;
    } else {
        /* The first key (creation order) that has paid this provider for
         * calls of the model; else the wallet's first key. */
        bool found = false, any = false;
        for (size_t i = 0; !found && wallet_key_at(w, i, &k); i++) {
            if (!any) {
                memcpy(from, k.pub, PUBKEY_SIZE);
                any = true;
            }
            if (c->market_paid_calls(v, model, provider, k.pub) > 0) {
                memcpy(from, k.pub, PUBKEY_SIZE);
                found = true;
            }
        }
        if (!any) {
            rpc_error(call, RPC_WALLET_ERROR, "The wallet has no key");
            goto done;
        }
    }
    if (!rpcw_unlocked(call, w))
        goto done;
    market_request_hash(msg, model, provider, (uint32_t)calls, nonce);
    if (!wallet_sign_hash(w, from, msg, sig)) {
        rpc_error(call, RPC_WALLET_ERROR, "%s", wallet_error(w));
        goto done;
    }
    char addr[ADDRESS_MAX_LEN];
    address_text(call, from, addr);
    res = json_object();
    json_object_set_new(res, "model", json_hash(model));
    json_object_set_new(res, "provider", json_address(p, provider));
    json_object_set_new(res, "calls", json_integer((json_int_t)calls));
    json_object_set_new(res, "nonce", json_integer((json_int_t)nonce));
    json_object_set_new(res, "payer", json_string(addr));
    json_object_set_new(res, "pubkey", json_hex(from, PUBKEY_SIZE));
    json_object_set_new(res, "request_hash", json_hex(msg, HASH_SIZE));
    json_object_set_new(res, "signature", json_hex(sig, SIG_SIZE));
    json_object_set_new(res, "paid_calls",
                        json_integer((json_int_t)c->market_paid_calls(v, model, provider, from)));
done:
    sodium_memzero(sig, sizeof(sig));
    rpcw_snapshot_free(call, v);
    return res;
}

/* ---- the table ---- */

static const char publish_summary[] =
    "Publishes a model on the AI Market (MARKET_PUBLISH); the model id is the transaction id.  "
    "Only the fee is paid.  Options (a JSON object; defaults in brackets): \"name\" (1..32 "
    "printable ASCII, required), \"source\" (\"upload\" | \"fl\" | \"arena\" | \"composite\" "
    "[composite with components, upload with weights]), \"source_id\" (fl: a completed FL "
    "task, whose final global model is published; arena: a settled Arena task, whose rank-1 "
    "submission is published; only the task's creator may publish either), \"spec\" (upload: "
    "{\"kind\": \"logistic\" | \"softmax\" | \"mlp\" [logistic], \"sizes\": [inputs, ..., "
    "outputs], \"normalization\": [[mean, std], ...] per input, decimals [none]}), \"weights\" "
    "(upload: the spec's parameter count of weights in the canonical layout, at most 65536: hex "
    "of the int32 little-endian bytes, or an array of Q16.16 integers (as flgetmodel's "
    "weights_q16) or decimal strings (\"0.25\")), \"base_price\" (FML per call before the "
    "demand multiplier and the complexity fee, required), \"target\" (calls per block the "
    "multiplier steers to [10]), \"split\" ({\"creator\", \"data\", \"provider\"} bps of a "
    "call's own part after the burn and the complexity fee, summing to 10000 [fl and arena: "
    "3000/6000/1000; upload and composite: 9000/0/1000, which have no data providers]), "
    "\"mode\" (composite: \"average\" (the mean of the components' outputs) | \"pipeline\" (each "
    "component's outputs are the next one's inputs)), \"components\" (composite: 1..8 published "
    "model ids, repeats allowed; depth at most 8, at most 16 models in a call's expansion), "
    "\"address\" (the owner [fl, arena: the task's creator; else the account with the largest "
    "balance]).  Checked before sending: the payload's rules, the task's state and creator, "
    "the components and their layout, and the price at the multiplier's cap (components "
    "included) at most 10000 FML, and a leaf's own price at multiplier 1 (base_price plus "
    "the complexity fee) at least 0.00000001 FML.";

const struct rpc_method wallet_market_rpc_methods[] = {
    {
        .category = "Wallet",
        .name = "marketpublish",
        .handler = marketpublish,
        .summary = publish_summary,
        .args = {{"options", RPC_OBJ, true, NULL, "The model (see above)"}},
        .result = "{\"txid\": \"hex\", \"model\": \"hex\" (the model id: the txid), \"owner\": \"address\"}",
        .examples = "fml-cli marketpublish '{\"name\": \"iris\", \"source\": \"upload\", \"spec\": "
                    "{\"kind\": \"softmax\", \"sizes\": [4, 3]}, \"weights\": [\"0.5\", ...], "
                    "\"base_price\": \"0.001\"}'\n"
                    "fml-cli marketpublish '{\"name\": \"hospitals\", \"source\": \"fl\", "
                    "\"source_id\": \"6f1c...e2\", \"base_price\": \"0.001\"}'\n"
                    "fml-cli marketpublish '{\"name\": \"ensemble\", \"mode\": \"average\", "
                    "\"components\": [\"6f1c...e2\", \"91ab...07\"], \"base_price\": \"0.0005\"}'",
    },
    {
        .category = "Wallet",
        .name = "marketsetprice",
        .handler = marketsetprice,
        .summary = "Sets a model's base price per call and its target calls per block "
                   "(MARKET_SET_PRICE), from its owner's key.  It applies to calls after it, "
                   "in its own block too; the demand multiplier is kept.  Refused before "
                   "sending when the model is unknown, its owner is not this wallet's (or not "
                   "the address given), or the price at the multiplier's cap (components "
                   "included) would be above 10000 FML, or a leaf's own price at multiplier 1 "
                   "(base_price plus the complexity fee) under 0.00000001 FML.",
        .args = {{"model", RPC_STR, true, NULL, "The model id"},
                 {"base_price", RPC_AMOUNT, true, NULL, "FML per call before the multiplier and the complexity fee"},
                 {"target", RPC_UINT, false, "unchanged", "Target calls per block"},
                 {"address", RPC_STR, false, "the owner", "The owner's wallet address"}},
        .result = "{\"txid\": \"hex\", \"base_price\": FML, \"target\": n}",
        .examples = "fml-cli marketsetprice 6f1c...e2 0.002\nfml-cli marketsetprice 6f1c...e2 0.002 50",
    },
    {
        .category = "Wallet",
        .name = "registerprovider",
        .handler = registerprovider,
        .summary = "Registers a wallet address as a compute provider of the Market "
                   "(MARKET_PROVIDER_REGISTER), locking a stake (at least the chain's "
                   "market_min_provider_stake the first time; there is no exit in this "
                   "version), or adds stake (0 allowed) and replaces the advertised endpoint "
                   "of one already registered.  The endpoint is informational: nothing dials "
                   "it.",
        .args = {{"stake", RPC_AMOUNT, true, NULL, "FML to stake (added to the stake held)"},
                 {"endpoint", RPC_STR, false, "\"\"", "Where the provider serves predict (0..128 printable ASCII)"},
                 {"address", RPC_STR, false, "the account with the largest balance", "The provider's wallet address"}},
        .result = "{\"txid\": \"hex\", \"address\": \"address\", \"stake\": FML (held after it), \"new\": bool}",
        .examples = "fml-cli registerprovider 100 http://127.0.0.1:28732\nfml-cli registerprovider 0 http://127.0.0.1:28733 rfml1...",
    },
    {
        .category = "Wallet",
        .name = "marketcall",
        .handler = marketcall,
        .summary = "Buys calls of a model from a compute provider (MARKET_CALL): pays calls x "
                   "the price per call as of the start of the block it is in, refused by the "
                   "chain when that price is above max_price.  The payment is split by the "
                   "chain: the burn, each model's owner (components recursively), the data "
                   "providers, and the provider.  The provider then serves that many predict "
                   "rows signed by the payer (marketsignrequest).  Refused before sending when "
                   "the model or the provider is unknown, the price for the next block is above "
                   "max_price, or the payer cannot pay.",
        .args = {{"model", RPC_STR, true, NULL, "The model id"},
                 {"provider", RPC_STR, true, NULL, "The compute provider's address"},
                 {"calls", RPC_UINT, true, NULL, "Calls to buy, 1..1000000"},
                 {"max_price", RPC_AMOUNT, false, "the price for the next block", "FML per call at most"},
                 {"address", RPC_STR, false, "the account with the largest balance that can pay", "The payer's wallet address"}},
        .result = "{\"txid\": \"hex\", \"payer\": \"address\", \"calls\": n, \"price\": FML (per call in "
                  "the next block), \"total\": FML (calls x price), \"max_price\": FML, \"height\": n (the next block)}",
        .examples = "fml-cli marketcall 6f1c...e2 rfml1...provider 100\nfml-cli marketcall 6f1c...e2 rfml1...provider 100 0.01",
    },
    {
        .category = "Wallet",
        .name = "marketclaim",
        .handler = marketclaim,
        .summary = "Claims a data provider's share of a model (MARKET_CLAIM): what its FL "
                   "contribution (or an Arena winner's single share) has accrued from the "
                   "model's calls and mining since its last claim.  Refused before sending when "
                   "the model has no data providers or the key has nothing to claim.",
        .args = {{"model", RPC_STR, true, NULL, "The model id"},
                 {"address", RPC_STR, false, "the wallet's first key with something to claim", "The data provider's wallet address"}},
        .result = "{\"txid\": \"hex\", \"address\": \"address\", \"amount\": FML (owed at the tip)}",
        .examples = "fml-cli marketclaim 6f1c...e2",
    },
    {
        .category = "Wallet",
        .name = "marketsignrequest",
        .handler = marketsignrequest,
        .summary = "Signs a request to a compute provider to serve paid calls of a model: a "
                   "BIP340 signature of H_FML/market-req(model | provider | calls u32 | "
                   "nonce u64) with the payer's key.  A provider serves a payer's requests in "
                   "increasing nonce order only, up to the calls paid in confirmed MARKET_CALLs.  "
                   "Nothing is sent.",
        .args = {{"model", RPC_STR, true, NULL, "The model id"},
                 {"provider", RPC_STR, true, NULL, "The compute provider's address"},
                 {"calls", RPC_UINT, true, NULL, "Calls the request spends (the rows of its inputs)"},
                 {"nonce", RPC_UINT, true, NULL, "Above the payer's last nonce at this provider"},
                 {"address", RPC_STR, false, "the wallet's first key that paid the provider for the model, else its first key", "The payer's wallet address"}},
        .result = "{\"model\", \"provider\", \"calls\", \"nonce\", \"payer\": \"address\", \"pubkey\": \"hex\" "
                  "(x-only), \"request_hash\": \"hex\", \"signature\": \"hex\" (64 bytes), \"paid_calls\": n "
                  "(paid by the payer to the provider for the model, confirmed)}",
        .examples = "fml-cli marketsignrequest 6f1c...e2 rfml1...provider 10 1",
    },
};
const size_t wallet_market_rpc_methods_count =
    sizeof(wallet_market_rpc_methods) / sizeof(wallet_market_rpc_methods[0]);
