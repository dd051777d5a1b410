/* AI Market methods (category "Market"): published models with their price,
 * multiplier, usage, revenue and lineage, what a number of calls costs and
 * whom it pays, compute providers, and the calls a payer has paid for, as
 * the state holds them at the tip.  Read-only; the wallet side
 * (wallet/rpcmarket.c) builds the transactions.  Prices and amounts are FML
 * (exact, 8 decimals); a price is the one a call in the next block pays
 * (multipliers change only at the end of a block). */
#include "consensus/amount.h"
#include "consensus/market.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/market.h"
#include "state/view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shapes ---- */

static json_t *q16_real(int32_t q)
{
    return json_real((double)q / FL_Q16_ONE); /* exact: q / 2^16 fits a double */
}

/* A Q32 multiplier as an exact decimal ("1", "1.125"): the fraction f / 2^32
 * is f x 5^32 / 10^32, at most 32 digits. */
static json_t *mult_text(uint64_t q)
{
    char buf[64];
    unsigned __int128 f5 = 1;
    for (int i = 0; i < 32; i++)
        f5 *= 5;
    unsigned __int128 frac = (unsigned __int128)(q & UINT32_MAX) * f5; /* < 10^32 */
    char digits[33];
    for (int i = 31; i >= 0; i--) {
        digits[i] = (char)('0' + (int)(frac % 10));
        frac /= 10;
    }
    digits[32] = '\0';
    int n = 32;
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    if (n == 0)
        snprintf(buf, sizeof(buf), "%" PRIu64, q >> 32);
    else
        snprintf(buf, sizeof(buf), "%" PRIu64 ".%s", q >> 32, digits);
    return json_string(buf);
}

/* A multiplier under "multiplier" (mult_text) and "multiplier_q32" (Q32). */
static void set_mult(json_t *o, uint64_t q)
{
    json_object_set_new(o, "multiplier", mult_text(q));
    json_object_set_new(o, "multiplier_q32", json_integer((json_int_t)q));
}

/* A count held in 128 bits: a JSON integer when it fits, else a decimal
 * string. */
static json_t *u128_json(unsigned __int128 x)
{
    if (x <= (unsigned __int128)INT64_MAX)
        return json_integer((json_int_t)x);
    char buf[48];
    int i = (int)sizeof(buf) - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + (int)(x % 10));
        x /= 10;
    } while (x);
    return json_string(buf + i);
}

static json_t *text_json(const char *s, size_t n)
{
    json_t *t = json_stringn(s, n);
    return t ? t : json_hex((const uint8_t *)s, n);
}

static json_t *name_or_int(const char *name, unsigned v)
{
    return name ? json_string(name) : json_integer(v);
}

static json_t *spec_json(const struct fl_spec *s)
{
    json_t *o = json_object(), *sizes = json_array(), *norm = json_array();
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
    json_object_set_new(o, "kind", name_or_int(fl_model_kind_name(s->kind), s->kind));
    json_object_set_new(o, "sizes", sizes);
    json_object_set_new(o, "parameters", json_integer((json_int_t)fl_param_count(s)));
    json_object_set_new(o, "normalization", norm);
    return o;
}

static json_t *split_json(const struct market_split *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "creator", json_integer(s->creator_bps));
    json_object_set_new(o, "data", json_integer(s->data_bps));
    json_object_set_new(o, "provider", json_integer(s->provider_bps));
    return o;
}

static json_t *db_error(struct rpc_call *call, struct view *v, json_t *partial)
{
    json_decref(partial);
    view_free(v);
    return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
}

static struct view *open_view(struct rpc_call *call)
{
    struct view *v = chain_view(rpc_env(call)->chain);
    if (!v)
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    return v;
}

/* The model of argument idx; NULL with the error raised otherwise (the
 * caller frees the returned view). */
static struct view *load_model(struct rpc_call *call, size_t idx, uint8_t id[HASH_SIZE],
                               struct market_model *m)
{
    if (!rpc_arg_hash(call, idx, "model", id))
        return NULL;
    struct view *v = open_view(call);
    if (!v)
        return NULL;
    if (!market_get_model(v, id, m)) {
        bool failed = view_failed(v);
        view_free(v);
        if (failed)
            rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        else
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Model not found");
        return NULL;
    }
    return v;
}

/* ---- the price walk ---- */

/* One model of a call's expansion (pre-order: the model, then each
 * component in order, recursively, repeats walked again). */
struct part {
    uint8_t id[HASH_SIZE];
    uint8_t owner[PUBKEY_SIZE];
    uint8_t depth; /* 0 for the top model */
    uint64_t mult;
    uint64_t own;
    uint64_t complexity;
    struct market_split split;
    bool has_data; /* data providers (data_shares > 0) */
};

struct walk {
    struct view *v;
    const struct chain_params *p;
    uint64_t height;
    struct part parts[MARKET_MAX_EXPANSION];
    size_t n;
    uint64_t total; /* the sum of the own parts: the price per call */
    bool overflow, missing;
};

static void walk_model(struct walk *wk, const uint8_t id[HASH_SIZE], uint8_t depth)
{
    struct market_model m;
    uint8_t comps[MARKET_MAX_COMPONENTS][HASH_SIZE];
    if (wk->overflow || wk->missing)
        return;
    if (wk->n >= MARKET_MAX_EXPANSION || depth > MARKET_MAX_DEPTH || !market_get_model(wk->v, id, &m)) {
        wk->missing = true; /* an expansion beyond the bounds is a malformed state */
        return;
    }
    struct part *pt = &wk->parts[wk->n++];
    memcpy(pt->id, id, HASH_SIZE);
    memcpy(pt->owner, m.owner, PUBKEY_SIZE);
    pt->depth = depth;
    pt->mult = market_mult_at(wk->p, &m, wk->height);
    pt->split = m.split;
    pt->has_data = m.data_shares > 0;
    if (!market_own_price(m.base_price, m.macs, wk->p->market_fee_per_kmac, pt->mult, &pt->own,
                          &pt->complexity) ||
        wk->total + pt->own < wk->total) {
        wk->overflow = true;
        return;
    }
    wk->total += pt->own;
    const uint8_t k = m.n_components;
    memcpy(comps, m.components, sizeof(comps));
    for (uint8_t i = 0; i < k; i++)
        walk_model(wk, comps[i], (uint8_t)(depth + 1));
}

/* ---- marketlistmodels ---- */

static json_t *marketlistmodels(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const uint64_t start = rpc_uint(call, 0, 0), count = rpc_uint(call, 1, 100);
    if (count > 1000)
        return rpc_error(call, RPC_INVALID_PARAMETER, "count must be 0..1000");
    struct view *v = open_view(call);
    if (!v)
        return NULL;
    const uint64_t next = chain_height(env->chain) + 1;
    const uint64_t total = market_model_count(v);
    json_t *out = json_array();
    for (uint64_t seq = start; seq < total && seq - start < count; seq++) {
        uint8_t id[HASH_SIZE];
        struct market_model m;
        uint64_t price;
        if (!market_model_at(v, seq, id) || !market_get_model(v, id, &m))
            return db_error(call, v, out);
        const uint64_t mult = market_mult_at(env->params, &m, next);
        json_t *o = json_object();
        json_object_set_new(o, "seq", json_integer((json_int_t)seq));
        json_object_set_new(o, "model", json_hash(id));
        json_object_set_new(o, "name", text_json(m.name, m.name_len));
        json_object_set_new(o, "owner", json_address(env->params, m.owner));
        json_object_set_new(o, "source", name_or_int(market_source_name(m.source), m.source));
        json_object_set_new(o, "published_height", json_integer((json_int_t)m.published_height));
        json_object_set_new(o, "price", market_price_at(v, env->params, id, next, &price)
                                            ? json_amount(price)
                                            : json_null());
        json_object_set_new(o, "mult", mult_text(mult));
        json_object_set_new(o, "mult_q32", json_integer((json_int_t)mult));
        json_object_set_new(o, "calls", json_integer((json_int_t)m.calls));
        json_array_append_new(out, o);
        if (view_failed(v))
            return db_error(call, v, out);
    }
    view_free(v);
    return out;
}

/* ---- marketgetmodel ---- */

/* Where a model comes from: its FL task or Arena task, or for a composite
 * the tree of its components (each with its own lineage). */
static json_t *lineage_json(struct view *v, const struct chain_params *p,
                            const struct market_model *m, uint8_t depth, bool *ok)
{
    json_t *o = json_object();
    json_object_set_new(o, "source", name_or_int(market_source_name(m->source), m->source));
    switch (m->source) {
    case MARKET_SOURCE_FL:
        json_object_set_new(o, "fl_task", json_hash(m->source_id));
        json_object_set_new(o, "model_round", json_integer(m->model_round));
        json_object_set_new(o, "contribution", u128_json(m->data_shares));
        break;
    case MARKET_SOURCE_ARENA:
        json_object_set_new(o, "arena_task", json_hash(m->source_id));
        json_object_set_new(o, "winner", json_address(p, m->winner));
        break;
    case MARKET_SOURCE_COMPOSITE: {
        json_t *comps = json_array();
        uint8_t ids[MARKET_MAX_COMPONENTS][HASH_SIZE];
        const uint8_t k = m->n_components;
        memcpy(ids, m->components, sizeof(ids));
        json_object_set_new(o, "mode", name_or_int(market_mode_name(m->mode), m->mode));
        for (uint8_t i = 0; i < k && *ok; i++) {
            struct market_model c;
            if (depth >= MARKET_MAX_DEPTH || !market_get_model(v, ids[i], &c)) {
                *ok = false;
                break;
            }
            json_t *x = json_object();
            json_object_set_new(x, "model", json_hash(ids[i]));
            json_object_set_new(x, "name", text_json(c.name, c.name_len));
            json_object_set_new(x, "owner", json_address(p, c.owner));
            json_object_set_new(x, "lineage", lineage_json(v, p, &c, (uint8_t)(depth + 1), ok));
            json_array_append_new(comps, x);
        }
        json_object_set_new(o, "components", comps);
        break;
    }
    default:
        break;
    }
    return o;
}

static json_t *marketgetmodel(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE];
    struct market_model m;
    uint64_t price;
    struct view *v = load_model(call, 0, id, &m);
    if (!v)
        return NULL;
    const uint64_t tip = chain_height(env->chain), next = tip + 1;
    const uint64_t mult = market_mult_at(p, &m, next);
    const bool leaf = m.source != MARKET_SOURCE_COMPOSITE;
    bool ok = true;
    json_t *o = json_object(), *comps = json_array();
    json_object_set_new(o, "model", json_hash(id));
    json_object_set_new(o, "name", text_json(m.name, m.name_len));
    json_object_set_new(o, "owner", json_address(p, m.owner));
    json_object_set_new(o, "published_height", json_integer((json_int_t)m.published_height));
    json_object_set_new(o, "source", name_or_int(market_source_name(m.source), m.source));
    json_object_set_new(o, "source_id", (m.source == MARKET_SOURCE_FL || m.source == MARKET_SOURCE_ARENA)
                                            ? json_hash(m.source_id)
                                            : json_null());
    json_object_set_new(o, "lineage", lineage_json(v, p, &m, 0, &ok));
    struct fl_spec spec;
    if (leaf && !market_get_spec(v, &m, &spec)) {
        view_free(v);
        json_decref(o);
        json_decref(comps);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    json_object_set_new(o, "spec", leaf ? spec_json(&spec) : json_null());
    json_object_set_new(o, "model_hash", leaf ? json_hash(m.model_hash) : json_null());
    json_object_set_new(o, "macs", json_integer((json_int_t)m.macs));
    json_object_set_new(o, "mode", name_or_int(market_mode_name(m.mode), m.mode));
    for (uint8_t i = 0; i < m.n_components; i++)
        json_array_append_new(comps, json_hash(m.components[i]));
    json_object_set_new(o, "components", comps);
    json_object_set_new(o, "depth", json_integer(m.depth));
    json_object_set_new(o, "expansion", json_integer(m.expansion));
    json_object_set_new(o, "n_inputs", json_integer(m.n_inputs));
    json_object_set_new(o, "n_outputs", json_integer(m.n_outputs));
    json_object_set_new(o, "base_price", json_amount(m.base_price));
    json_object_set_new(o, "target", json_integer(m.target));
    json_object_set_new(o, "split", split_json(&m.split));
    json_object_set_new(o, "price", market_price_at(v, p, id, next, &price) ? json_amount(price)
                                                                            : json_null());
    json_object_set_new(o, "price_height", json_integer((json_int_t)next));
    set_mult(o, mult);
    json_object_set_new(o, "multiplier_height", json_integer((json_int_t)m.mult_height));
    json_t *usage = json_object();
    json_object_set_new(usage, "calls", json_integer((json_int_t)m.calls));
    json_object_set_new(usage, "block_calls",
                        json_integer(m.block_height == tip ? (json_int_t)m.block_calls : 0));
    json_object_set_new(usage, "block_height", json_integer((json_int_t)tip));
    json_object_set_new(o, "usage", usage);
    json_t *rev = json_object();
    json_object_set_new(rev, "own_fees", json_amount(m.own_fees));
    json_object_set_new(rev, "creator", json_amount(m.paid_creator));
    json_object_set_new(rev, "data", json_amount(m.paid_data));
    json_object_set_new(rev, "provider", json_amount(m.paid_provider));
    json_object_set_new(rev, "burned", json_amount(m.burned));
    json_object_set_new(rev, "mined", json_amount(m.mined));
    json_object_set_new(o, "revenue", rev);
    json_t *data = json_object();
    json_object_set_new(data, "shares", u128_json(m.data_shares));
    json_object_set_new(data, "bank", json_amount(m.bank));
    json_object_set_new(o, "data", data);
    if (!ok || view_failed(v))
        return db_error(call, v, o);
    view_free(v);
    return o;
}

/* ---- marketgetprice ---- */

static json_t *marketgetprice(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE];
    struct market_model m;
    uint64_t price;
    struct view *v = load_model(call, 0, id, &m);
    if (!v)
        return NULL;
    const uint64_t n = rpc_uint(call, 1, 1);
    if (n == 0 || n > MARKET_MAX_CALLS) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER, "calls must be 1..%d (what one MARKET_CALL buys)",
                         MARKET_MAX_CALLS);
    }
    const uint64_t next = chain_height(env->chain) + 1;
    struct walk *wk = calloc(1, sizeof(*wk));
    if (!wk) {
        view_free(v);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    wk->v = v;
    wk->p = p;
    wk->height = next;
    walk_model(wk, id, 0);
    if (wk->missing || view_failed(v)) {
        free(wk);
        return db_error(call, v, NULL);
    }
    if (wk->overflow || !market_price_at(v, p, id, next, &price)) {
        free(wk);
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER, "The price per call does not fit in 64 bits");
    }
    const unsigned __int128 total = (unsigned __int128)price * n;
    if (total > UINT64_MAX) {
        free(wk);
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER, "%" PRIu64 " calls cost more than 2^64 units", n);
    }
    json_t *o = json_object(), *parts = json_array();
    json_object_set_new(o, "model", json_hash(id));
    json_object_set_new(o, "height", json_integer((json_int_t)next));
    json_object_set_new(o, "calls", json_integer((json_int_t)n));
    json_object_set_new(o, "price_per_call", json_amount(price));
    json_object_set_new(o, "total", json_amount((uint64_t)total));
    set_mult(o, wk->parts[0].mult);
    json_object_set_new(o, "burn_bps", json_integer(p->market_burn_bps));
    for (size_t i = 0; i < wk->n; i++) {
        const struct part *pt = &wk->parts[i];
        struct market_pay pay;
        /* calls x own <= total fits; calls x complexity <= calls x own. */
        market_pay_split(n * pt->own, n * pt->complexity, &pt->split, p->market_burn_bps, &pay);
        json_t *x = json_object(), *pj = json_object();
        json_object_set_new(x, "model", json_hash(pt->id));
        json_object_set_new(x, "owner", json_address(p, pt->owner));
        json_object_set_new(x, "depth", json_integer(pt->depth));
        set_mult(x, pt->mult);
        json_object_set_new(x, "own", json_amount(pt->own));
        json_object_set_new(x, "complexity", json_amount(pt->complexity));
        json_object_set_new(pj, "gross", json_amount(pay.gross));
        json_object_set_new(pj, "burn", json_amount(pay.burn));
        json_object_set_new(pj, "creator", json_amount(pt->has_data ? pay.creator : pay.creator + pay.data));
        json_object_set_new(pj, "data", json_amount(pt->has_data ? pay.data : 0));
        json_object_set_new(pj, "provider", json_amount(pay.provider));
        json_object_set_new(x, "pays", pj);
        json_array_append_new(parts, x);
    }
    json_object_set_new(o, "parts", parts);
    free(wk);
    view_free(v);
    return o;
}

/* ---- providers ---- */

static json_t *provider_json(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE],
                             const struct market_provider *pr)
{
    json_t *o = json_object();
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "stake", json_amount(pr->stake));
    json_object_set_new(o, "registered_height", json_integer((json_int_t)pr->registered_height));
    json_object_set_new(o, "endpoint", text_json(pr->endpoint, pr->endpoint_len));
    json_object_set_new(o, "calls", json_integer((json_int_t)pr->calls));
    json_object_set_new(o, "earned", json_amount(pr->earned));
    return o;
}

static json_t *marketgetprovider(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint8_t pub[PUBKEY_SIZE];
    struct market_provider pr;
    if (!rpc_arg_address(call, 0, pub))
        return NULL;
    struct view *v = open_view(call);
    if (!v)
        return NULL;
    if (!market_get_provider(v, pub, &pr)) {
        if (view_failed(v))
            return db_error(call, v, NULL);
        view_free(v);
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                         "Not a compute provider (no MARKET_PROVIDER_REGISTER from this address)");
    }
    view_free(v);
    return provider_json(p, pub, &pr);
}

struct list_ctx {
    const struct chain_params *p;
    json_t *out;
    bool ok;
};

static bool add_provider(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct list_ctx *lc = arg;
    struct market_provider pr;
    if (klen != MARKET_KEY_PROVIDER_SIZE || !market_provider_decode(&pr, val, vlen))
        return lc->ok = false;
    json_array_append_new(lc->out, provider_json(lc->p, key + 2, &pr));
    return true;
}

static json_t *marketlistproviders(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const uint8_t prefix[2] = {MARKET_KEY_PREFIX, 'P'};
    struct list_ctx lc = {env->params, json_array(), true};
    if (!chain_scan_state(env->chain, prefix, sizeof(prefix), add_provider, &lc) || !lc.ok) {
        json_decref(lc.out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return lc.out;
}

/* ---- marketgetcalls ---- */

static json_t *marketgetcalls(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    const struct chain_params *p = env->params;
    uint8_t id[HASH_SIZE], provider[PUBKEY_SIZE], payer[PUBKEY_SIZE];
    struct market_model m;
    struct market_provider pr;
    struct view *v = load_model(call, 0, id, &m);
    if (!v)
        return NULL;
    if (!rpc_arg_address(call, 1, provider) || !rpc_arg_address(call, 2, payer)) {
        view_free(v);
        return NULL;
    }
    if (!market_get_provider(v, provider, &pr)) {
        if (view_failed(v))
            return db_error(call, v, NULL);
        view_free(v);
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                         "Not a compute provider (no MARKET_PROVIDER_REGISTER from this address)");
    }
    const uint64_t paid = market_get_paid_calls(v, id, provider, payer);
    if (view_failed(v))
        return db_error(call, v, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "model", json_hash(id));
    json_object_set_new(o, "provider", json_address(p, provider));
    json_object_set_new(o, "payer", json_address(p, payer));
    json_object_set_new(o, "paid_calls", json_integer((json_int_t)paid));
    json_object_set_new(o, "height", json_integer((json_int_t)chain_height(env->chain)));
    view_free(v);
    return o;
}

/* ---- the table ---- */

static const char model_result[] =
    "{\n"
    "  \"model\": \"hex\",            (the txid of its MARKET_PUBLISH)\n"
    "  \"name\": \"text\", \"owner\": \"address\" (the publisher: creator share, set price),\n"
    "  \"published_height\": n,\n"
    "  \"source\": \"upload\" | \"fl\" | \"arena\" | \"composite\",\n"
    "  \"source_id\": \"hex\" | null,  (the FL task or the Arena task)\n"
    "  \"lineage\": {\"source\",\n"
    "      fl: \"fl_task\", \"model_round\" (the round of the final model; 0: the initial\n"
    "          weights), \"contribution\" (the task's total: the data providers' shares);\n"
    "      arena: \"arena_task\", \"winner\" (the rank-1 trainer: the data provider);\n"
    "      composite: \"mode\", \"components\": [{\"model\", \"name\", \"owner\", \"lineage\"}, ...]},\n"
    "  \"spec\": {\"kind\", \"sizes\", \"parameters\", \"normalization\": [{\"mean\", \"std\",\n"
    "           \"mean_q16\", \"std_q16\"}, ...]} | null (composite),\n"
    "  \"model_hash\": \"hex\" | null, (H_FML/fl-model of the weights of a leaf)\n"
    "  \"macs\": n,                 (multiply-adds of one call of a leaf; 0 for a composite)\n"
    "  \"mode\": \"none\" | \"average\" | \"pipeline\", \"components\": [\"hex\", ...],\n"
    "  \"depth\": n, \"expansion\": n, (models a call walks, itself included)\n"
    "  \"n_inputs\", \"n_outputs\": n,\n"
    "  \"base_price\": FML,         (own price per call before the multiplier and complexity)\n"
    "  \"target\": n,               (target calls per block)\n"
    "  \"split\": {\"creator\", \"data\", \"provider\"} (bps of the own part after burn and\n"
    "           complexity),\n"
    "  \"price\": FML,              (per call, for a call in the next block: own parts of\n"
    "                             the model and of every component, recursively)\n"
    "  \"price_height\": n,         (that block)\n"
    "  \"multiplier\": \"decimal\", \"multiplier_q32\": n,  (the demand multiplier for that block)\n"
    "  \"multiplier_height\": n,    (the block after which the stored multiplier was set)\n"
    "  \"usage\": {\"calls\" (bought, directly or as a component), \"block_calls\" (in the\n"
    "           tip block), \"block_height\" (the tip)},\n"
    "  \"revenue\": {\"own_fees\" (gross own parts paid), \"creator\", \"data\" (accrued to the\n"
    "             data providers), \"provider\" (complexity and provider shares), \"burned\",\n"
    "             \"mined\" (from the Market pool)} (FML),\n"
    "  \"data\": {\"shares\" (the data providers' shares: an FL task's contribution, 1 for an\n"
    "          Arena winner, 0: none), \"bank\" (FML accrued, not yet claimed)}\n"
    "}";

static const char price_result[] =
    "{\n"
    "  \"model\": \"hex\", \"height\": n (the block the price applies to: the next one),\n"
    "  \"calls\": n, \"price_per_call\": FML, \"total\": FML (calls x price_per_call),\n"
    "  \"multiplier\": \"decimal\", \"multiplier_q32\": n (the model's own), \"burn_bps\": n,\n"
    "  \"parts\": [{\"model\", \"owner\", \"depth\" (0: the model itself), \"multiplier\",\n"
    "      \"multiplier_q32\", \"own\" (FML per call: its own part of the price), \"complexity\"\n"
    "      (FML per call: the compute part of own, to the provider), \"pays\": {\"gross\"\n"
    "      (calls x own), \"burn\", \"creator\" (to the owner; with the data part when the model\n"
    "      has no data providers), \"data\" (to the data providers), \"provider\"} (FML, for\n"
    "      the calls)}, ...]  (the expansion in pre-order: the model, then each component in\n"
    "                          order, recursively, repeats counted again; own parts sum to\n"
    "                          price_per_call)\n"
    "}";

static const char provider_result[] =
    "{\"address\", \"stake\" (FML held), \"registered_height\", \"endpoint\" (advertised, "
    "informational), \"calls\" (bought from it), \"earned\" (FML: complexity parts and provider "
    "shares)}";

const struct rpc_method market_rpc_methods[] = {
    {
        .category = "Market",
        .name = "marketlistmodels",
        .handler = marketlistmodels,
        .summary = "Lists published models in publication order, each with its price per call "
                   "in the next block, its demand multiplier and the calls bought of it.",
        .args = {{"start", RPC_UINT, false, "0", "The first model (0-based publication order)"},
                 {"count", RPC_UINT, false, "100", "How many models, at most 1000"}},
        .result = "[{\"seq\" (publication order), \"model\", \"name\", \"owner\", \"source\", "
                  "\"published_height\", \"price\" (FML per call in the next block), \"mult\" "
                  "(decimal), \"mult_q32\", \"calls\"}, ...]",
        .examples = "fml-cli marketlistmodels\nfml-cli marketlistmodels 100 50",
    },
    {
        .category = "Market",
        .name = "marketgetmodel",
        .handler = marketgetmodel,
        .summary = "Shows a published model: its source and lineage (its FL task, its Arena "
                   "task and winner, or its tree of components), its spec, price per call for "
                   "the next block, demand multiplier, usage, revenue by party, and its data "
                   "providers' shares and unclaimed bank.",
        .args = {{"model", RPC_STR, true, NULL, "The model id (txid of its MARKET_PUBLISH)"}},
        .result = model_result,
        .examples = "fml-cli marketgetmodel 6f1c...e2",
    },
    {
        .category = "Market",
        .name = "marketgetprice",
        .handler = marketgetprice,
        .summary = "What N calls of a model cost in the next block and whom they pay: the price "
                   "per call (the model's own part plus each component's, at each one's "
                   "multiplier), the total, and each model of the expansion with its own and "
                   "complexity parts and the split of its part of the payment (burn, creator, "
                   "data providers, compute provider).",
        .args = {{"model", RPC_STR, true, NULL, "The model id"},
                 {"calls", RPC_UINT, false, "1", "Calls, 1..1000000"}},
        .result = price_result,
        .examples = "fml-cli marketgetprice 6f1c...e2 100",
    },
    {
        .category = "Market",
        .name = "marketgetprovider",
        .handler = marketgetprovider,
        .summary = "A compute provider: its stake, advertised endpoint, and the calls bought "
                   "from it and what it earned.",
        .args = {{"address", RPC_STR, true, NULL, "The provider's address"}},
        .result = provider_result,
        .examples = "fml-cli marketgetprovider rfml1...",
    },
    {
        .category = "Market",
        .name = "marketlistproviders",
        .handler = marketlistproviders,
        .summary = "Every registered compute provider, in address key order.",
        .result = "[{\"address\", \"stake\", \"registered_height\", \"endpoint\", \"calls\", "
                  "\"earned\"}, ...]   (as marketgetprovider)",
        .examples = "fml-cli marketlistproviders",
    },
    {
        .category = "Market",
        .name = "marketgetcalls",
        .handler = marketgetcalls,
        .summary = "The calls of a model a payer has paid a compute provider for, in confirmed "
                   "MARKET_CALLs at the tip (in all, since publication; what the provider "
                   "serves is counted by the provider, not the chain).",
        .args = {{"model", RPC_STR, true, NULL, "The model id"},
                 {"provider", RPC_STR, true, NULL, "The compute provider's address"},
                 {"payer", RPC_STR, true, NULL, "The payer's address"}},
        .result = "{\"model\", \"provider\", \"payer\", \"paid_calls\": n, \"height\": n (the tip)}",
        .examples = "fml-cli marketgetcalls 6f1c...e2 rfml1...provider rfml1...payer",
    },
};
const size_t market_rpc_methods_count = sizeof(market_rpc_methods) / sizeof(market_rpc_methods[0]);
