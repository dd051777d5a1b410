/* Serving methods of the AI Market (category "Market"): `predict` on a node
 * run as a compute provider (-provider=1), and `marketgetweights`, a leaf
 * model's weights as the state holds them (what an independent evaluation
 * needs).  The evaluation is rpc/serve.c's; the ledger of served calls
 * rpc/provider.c's. */
#include "consensus/fl.h"
#include "consensus/market.h"
#include "ml/model.h"
#include "rpc/methods.h"
#include "rpc/provider.h"
#include "rpc/serve.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/market.h"
#include "state/view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *spec_json(const struct fl_spec *s)
{
    json_t *o = json_object(), *sizes = json_array(), *norm = json_array();
    const char *kind = fl_model_kind_name(s->kind);
    for (uint32_t i = 0; i < s->n_sizes; i++)
        json_array_append_new(sizes, json_integer(s->sizes[i]));
    for (uint32_t i = 0; i < s->n_norm; i++) {
        int32_t mean = (int32_t)read_le32(s->norm + 8 * i);
        int32_t std = (int32_t)read_le32(s->norm + 8 * i + 4);
        json_t *f = json_object();
        json_object_set_new(f, "mean", json_real((double)mean / FL_Q16_ONE));
        json_object_set_new(f, "std", json_real((double)std / FL_Q16_ONE));
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

/* ---- marketgetweights ---- */

/* Weights per marketgetweights reply: a page of at most 65,536 JSON
 * integers (a few MB of tree), however large the model. */
#define MARKET_WEIGHTS_PAGE 65536

static json_t *marketgetweights(struct rpc_call *call)
{
    uint8_t id[HASH_SIZE];
    struct market_model m;
    const uint8_t *w;
    size_t len;
    if (!rpc_arg_hash(call, 0, "model", id))
        return NULL;
    const uint64_t offset = rpc_uint(call, 1, 0);
    const uint64_t count = rpc_uint(call, 2, MARKET_WEIGHTS_PAGE);
    if (count < 1 || count > MARKET_WEIGHTS_PAGE)
        return rpc_error(call, RPC_INVALID_PARAMETER, "count must be 1..%d (not %llu)",
                         MARKET_WEIGHTS_PAGE, (unsigned long long)count);
    struct view *v = chain_view(rpc_env(call)->chain);
    if (!v)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    if (!market_get_model(v, id, &m)) {
        bool failed = view_failed(v);
        view_free(v);
        return failed ? rpc_error(call, RPC_DATABASE_ERROR, "State read error")
                      : rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Model not found");
    }
    if (m.source == MARKET_SOURCE_COMPOSITE) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "The model is a composite: it has no weights of its own (see its "
                         "components in marketgetmodel)");
    }
    struct fl_spec spec;
    if (!market_get_spec(v, &m, &spec) || !market_get_weights(v, &m, &w, &len) || len % 4) {
        view_free(v);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    const uint64_t total = len / 4;
    if (offset > total) {
        view_free(v);
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "offset %llu is past the model's %llu weights",
                         (unsigned long long)offset, (unsigned long long)total);
    }
    const uint64_t n = total - offset < count ? total - offset : count;
    uint8_t hash[HASH_SIZE];
    json_t *q = json_array(), *o = json_object();
    fl_model_hash(hash, w, len / 4);
    for (uint64_t i = offset; i < offset + n; i++)
        json_array_append_new(q, json_integer((int32_t)read_le32(w + 4 * i)));
    json_object_set_new(o, "model", json_hash(id));
    json_object_set_new(o, "source", json_string(market_source_name(m.source)));
    json_object_set_new(o, "spec", spec_json(&spec));
    json_object_set_new(o, "hash", json_hash(hash));
    json_object_set_new(o, "total", json_integer((json_int_t)total));
    json_object_set_new(o, "offset", json_integer((json_int_t)offset));
    json_object_set_new(o, "weights_q16", q);
    view_free(v);
    return o;
}

/* ---- predict ---- */

/* Replies in flight.  A handler's result is written out and freed by the
 * server after the handler returns, outside the node lock; predict keeps a
 * reference to each reply it gave, and the reply is in flight while another
 * reference to it exists (the server's).  At most PREDICT_MAX_IN_FLIGHT
 * replies (each of at most SERVE_MAX_OUTPUTS values) may be in flight: a
 * request beyond that is refused before any work ("busy").  Read and written
 * only under the node lock (predict is a locked method). */
#define PREDICT_MAX_IN_FLIGHT 1
static json_t *in_flight[PREDICT_MAX_IN_FLIGHT];

static bool predict_slot(size_t *slot)
{
    bool found = false;
    for (size_t i = 0; i < PREDICT_MAX_IN_FLIGHT; i++) {
        /* the server's json_decref is atomic: 1 left = only ours, sent */
        if (in_flight[i] && __atomic_load_n(&in_flight[i]->refcount, __ATOMIC_ACQUIRE) <= 1) {
            json_decref(in_flight[i]);
            in_flight[i] = NULL;
        }
        if (!in_flight[i] && !found) {
            *slot = i;
            found = true;
        }
    }
    return found;
}

/* Whether this node serves provider; raises the error otherwise. */
static bool served_here(struct rpc_call *call, struct view *v, const uint8_t provider[PUBKEY_SIZE],
                        const char *addr)
{
    struct rpc_env *env = rpc_env(call);
    struct market_provider rec;
    if (provider_n_addresses(env->provider) > 0) {
        if (!provider_has_address(env->provider, provider)) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "not a provider here: %s is not one of this node's -provideraddress", addr);
            return false;
        }
    } else if (!env->staker || !env->staker->has_key(env, provider)) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "not a provider here: %s is not a key of this node's wallets (or name the "
                  "served addresses with -provideraddress)", addr);
        return false;
    }
    if (!market_get_provider(v, provider, &rec)) {
        if (view_failed(v))
            rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        else
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "not a provider here: %s is not a registered provider (registerprovider)",
                      addr);
        return false;
    }
    return true;
}

/* The rows of inputs, n_inputs numbers (or null: missing) each, into x. */
static bool parse_rows(struct rpc_call *call, const json_t *inputs, size_t rows, uint32_t nf,
                       double *x)
{
    for (size_t r = 0; r < rows; r++) {
        const json_t *row = json_array_get(inputs, r);
        if (!json_is_array(row) || json_array_size(row) != nf) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "inputs[%zu] must be an array of %u numbers (the model's inputs)", r, nf);
            return false;
        }
        for (uint32_t f = 0; f < nf; f++) {
            const json_t *e = json_array_get(row, f);
            double d = json_is_null(e) ? NAN : json_number_value(e);
            if (!json_is_null(e) && (!json_is_number(e) || !isfinite(d))) {
                rpc_error(call, RPC_INVALID_PARAMETER,
                          "inputs[%zu][%u] must be a finite number or null (missing)", r, f);
                return false;
            }
            x[r * nf + f] = d;
        }
    }
    return true;
}

static json_t *predict_result(const struct serve_model *sm, const double *out, size_t rows,
                              uint64_t left)
{
    const uint32_t no = serve_n_outputs(sm);
    json_t *o = json_object(), *outs = json_array(), *cls = json_array();
    uint32_t *c = malloc((rows ? rows : 1) * sizeof(*c));
    if (!o || !outs || !cls || !c) {
        free(c);
        json_decref(o);
        json_decref(outs);
        json_decref(cls);
        return NULL;
    }
    ml_proba_to_class(out, rows, no, c);
    for (size_t r = 0; r < rows; r++) {
        json_t *row = json_array();
        for (uint32_t k = 0; k < no; k++)
            json_array_append_new(row, json_real(out[r * no + k]));
        json_array_append_new(outs, row);
        json_array_append_new(cls, json_integer(c[r]));
    }
    free(c);
    json_object_set_new(o, "outputs", outs);
    json_object_set_new(o, "classes", cls);
    json_object_set_new(o, "calls_left", json_integer((json_int_t)left));
    return o;
}

static json_t *predict(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t model[HASH_SIZE], provider[PUBKEY_SIZE], payer[PUBKEY_SIZE], msg[HASH_SIZE];
    char err[256];
    if (!env->provider)
        return rpc_error(call, RPC_MISC_ERROR,
                         "not a provider here: this node does not serve predictions (start "
                         "fmld with -provider=1)");
    if (!rpc_arg_hash(call, 0, "model", model) || !rpc_arg_address(call, 1, provider) ||
        !rpc_arg_address(call, 2, payer))
        return NULL;
    const uint64_t nonce = rpc_uint(call, 3, 0);
    size_t siglen = 0;
    const uint8_t *sig = rpc_hex(call, 4, &siglen);
    const json_t *inputs = rpc_json(call, 5);
    const size_t rows = json_array_size(inputs);
    if (siglen != SIG_SIZE)
        return rpc_error(call, RPC_INVALID_PARAMETER, "signature must be %d bytes of hex",
                         SIG_SIZE);
    if (rows == 0 || rows > SERVE_MAX_ROWS)
        return rpc_error(call, RPC_INVALID_PARAMETER, "inputs must hold 1..%d rows (not %zu)",
                         SERVE_MAX_ROWS, rows);

    struct view *v = chain_view(env->chain);
    if (!v)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    struct market_model rec;
    struct serve_model *sm = NULL;
    struct provider_usage u;
    double *x = NULL, *out = NULL;
    json_t *result = NULL;
    size_t slot = 0;
    const char *paddr = rpc_str(call, 1, "");
    if (!served_here(call, v, provider, paddr))
        goto done;
    if (!predict_slot(&slot)) {
        rpc_error(call, RPC_MISC_ERROR,
                  "busy: the reply of another predict is still being sent; retry");
        goto done;
    }
    if (!market_get_model(v, model, &rec)) {
        if (view_failed(v))
            rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        else
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "unknown model %s", rpc_str(call, 0, ""));
        goto done;
    }
    /* The rows' shape and the reply's size from the record, before the
     * model is loaded (a composite's record holds its n_inputs and
     * n_outputs too). */
    if ((uint64_t)rows * rec.n_outputs > SERVE_MAX_OUTPUTS) {
        rpc_error(call, RPC_INVALID_PARAMETER,
                  "%zu rows of this model give %llu output values, above the limit of %llu "
                  "per request: send fewer rows per request",
                  rows, (unsigned long long)rows * rec.n_outputs,
                  (unsigned long long)SERVE_MAX_OUTPUTS);
        goto done;
    }
    for (size_t r = 0; r < rows; r++) {
        const json_t *row = json_array_get(inputs, r);
        if (!json_is_array(row) || json_array_size(row) != rec.n_inputs) {
            rpc_error(call, RPC_INVALID_PARAMETER,
                      "inputs[%zu] must be an array of %u numbers (the model's inputs)", r,
                      rec.n_inputs);
            goto done;
        }
    }
    market_request_hash(msg, model, provider, (uint32_t)rows, nonce);
    if (!key_verify(sig, msg, HASH_SIZE, payer)) {
        rpc_error(call, RPC_VERIFY_ERROR,
                  "bad signature: not the payer's signature of this request (model, provider, "
                  "%zu calls, nonce %llu)", rows, (unsigned long long)nonce);
        goto done;
    }
    if (!provider_get_usage(env->provider, model, provider, payer, &u, err, sizeof(err))) {
        rpc_error(call, RPC_DATABASE_ERROR, "%s", err);
        goto done;
    }
    if (u.found && nonce <= u.last_nonce) {
        rpc_error(call, RPC_VERIFY_REJECTED,
                  "replayed nonce: %llu is not above the payer's last served nonce %llu",
                  (unsigned long long)nonce, (unsigned long long)u.last_nonce);
        goto done;
    }
    const uint64_t paid = market_get_paid_calls(v, model, provider, payer);
    if (view_failed(v)) {
        rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        goto done;
    }
    if (u.used > paid || rows > paid - u.used) {
        rpc_error(call, RPC_VERIFY_REJECTED, "unpaid: paid %llu, used %llu, asked %zu",
                  (unsigned long long)paid, (unsigned long long)u.used, rows);
        goto done;
    }
    if (!serve_load(v, model, &sm, err, sizeof(err))) {
        rpc_error(call, RPC_MISC_ERROR, "%s", err);
        goto done;
    }
    const uint32_t nf = serve_n_inputs(sm), no = serve_n_outputs(sm);
    if (nf != rec.n_inputs || no != rec.n_outputs) {
        rpc_error(call, RPC_DATABASE_ERROR, "The model's record does not match its expansion");
        goto done;
    }
    if (!serve_check_rows(sm, rows, err, sizeof(err))) {
        rpc_error(call, RPC_INVALID_PARAMETER, "%s", err);
        goto done;
    }
    x = malloc(rows * nf * sizeof(*x));
    out = malloc(rows * no * sizeof(*out));
    if (!x || !out) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        goto done;
    }
    if (!parse_rows(call, inputs, rows, nf, x))
        goto done;
    if (!serve_eval(sm, x, rows, out, err, sizeof(err))) {
        rpc_error(call, RPC_MISC_ERROR, "Evaluation failed: %s", err);
        goto done;
    }
    u.found = true;
    u.used += rows;
    u.last_nonce = nonce;
    if (!provider_put_usage(env->provider, model, provider, payer, &u, err, sizeof(err))) {
        rpc_error(call, RPC_DATABASE_ERROR, "%s", err);
        goto done;
    }
    result = predict_result(sm, out, rows, paid - u.used);
    if (!result)
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    else
        in_flight[slot] = json_incref(result);
done:
    free(x);
    free(out);
    serve_model_free(sm);
    view_free(v);
    return result;
}

/* ---- the table ---- */

static const char predict_summary[] =
    "Evaluates a Market model on rows of inputs, on a node run as a compute provider "
    "(fmld -provider=1), spending one of the payer's paid calls per row.  The payer proves "
    "the request with a signature (marketsignrequest) over H_FML/market-req(model | "
    "provider | calls = rows u32 | nonce u64).  Checks, in order: the provider is served here "
    "(-provideraddress, or without it a key of this node's wallets; registered on chain), the "
    "model exists, the signature is the payer's, the nonce is above the payer's last served "
    "one for this model and provider, and the calls used plus the rows are at most the calls "
    "paid by the payer's confirmed MARKET_CALLs at the tip (\"unpaid: paid P, used U, asked "
    "R\").  Then the model is evaluated with ml/ on OpenBLAS: a leaf normalizes each row with "
    "its spec's normalization (null = missing = the feature's mean) and gives predict_proba; "
    "an average composite the mean of its components' outputs; a pipeline feeds each "
    "component's outputs to the next.  The calls used and the nonce are then recorded in "
    "<datadir>/provider/ in one synced batch (a refused or failed request spends nothing).  "
    "Bounds, checked before the model is evaluated: at most 10000 rows per request, each of "
    "the model's n_inputs (checked against its record before it is loaded); rows x n_outputs "
    "at most 2^20 output values (the reply); rows x (n_inputs + n_outputs + the buffers the "
    "expansion's evaluation holds at once per row, every level of a composite and ml/'s "
    "activations counted) at most 2^23 doubles (64 MiB); rows x the expansion's multiply-adds "
    "per row (repeats counted) at most 2^32; a model of more than 2^25 parameters in all (its "
    "distinct leaves) is not served.  Requests are evaluated one at a time (under the node "
    "lock), and while one predict's reply is still being written out another is refused "
    "(\"busy\": retry).";

static const char predict_result_help[] =
    "{\n"
    "  \"outputs\": [[x, ...], ...],  (per row: P(class 1) for a one-output model, the class\n"
    "                                 probabilities otherwise)\n"
    "  \"classes\": [n, ...],         (per row: the most probable class; P >= 0.5 is class 1)\n"
    "  \"calls_left\": n              (paid calls of this payer left at this provider)\n"
    "}\n"
    "Errors: -8 not a provider here, or inputs out of shape or above a bound; -5 unknown\n"
    "model; -25 bad signature; -26 replayed nonce or unpaid; -1 on a node without\n"
    "-provider=1, or busy (another predict's reply is being sent: retry).";

static const char weights_result[] =
    "{\n"
    "  \"model\": \"hex\",\n"
    "  \"source\": \"upload\" | \"fl\" | \"arena\",\n"
    "  \"spec\": {\"kind\": \"logistic\" | \"softmax\" | \"mlp\", \"sizes\": [n, ...], \"parameters\": n,\n"
    "           \"normalization\": [{\"mean\", \"std\", \"mean_q16\", \"std_q16\"}, ...]},\n"
    "  \"hash\": \"hex\",               (H_FML/fl-model of all the weights' bytes: the model_hash)\n"
    "  \"total\": n,                  (the model's weights in all)\n"
    "  \"offset\": n,                 (the index of the first weight returned)\n"
    "  \"weights_q16\": [n, ...]      (Q16.16 integers, canonical layout of ml/model.h: weights\n"
    "                                 offset .. offset + count - 1, fewer at the end)\n"
    "}\n"
    "Read a model of more than 65536 weights page by page: offset 0, 65536, ... below total.";

const struct rpc_method predict_rpc_methods[] = {
    {
        .category = "Market",
        .name = "predict",
        .handler = predict,
        .summary = predict_summary,
        .args = {{"model", RPC_STR, true, NULL, "The model id (txid of its MARKET_PUBLISH)"},
                 {"provider", RPC_STR, true, NULL, "The compute provider's address (served here)"},
                 {"payer", RPC_STR, true, NULL, "The address that paid the calls"},
                 {"nonce", RPC_UINT, true, NULL,
                  "Above the payer's last served nonce for this model and provider"},
                 {"signature", RPC_HEX, true, NULL,
                  "The payer's BIP340 signature of the request hash (marketsignrequest)"},
                 {"inputs", RPC_ARR, true, NULL,
                  "Rows: [[x, ...], ...], each of the model's n_inputs numbers (null: missing)"}},
        .result = predict_result_help,
        .examples = "fml-cli predict 9a0c...41 rfml1prov... rfml1payer... 1 3f0e...aa "
                    "'[[6,148,72,35,0,33.6,0.627,50]]'\n"
                    "fml-cli -named predict model=9a0c...41 provider=rfml1prov... "
                    "payer=rfml1payer... nonce=2 signature=... inputs='[[...],[...]]'",
    },
    {
        .category = "Market",
        .name = "marketgetweights",
        .handler = marketgetweights,
        .summary = "The weights of a leaf Market model (uploaded, or from its FL task or Arena "
                   "winner) as Q16.16 integers, with its spec and normalization: what an "
                   "independent evaluation of the model needs.  One page of at most 65536 "
                   "weights per call (offset, count); \"total\" tells how many there are.",
        .args = {{"model", RPC_STR, true, NULL, "The model id (a leaf, not a composite)"},
                 {"offset", RPC_UINT, false, "0", "The index of the first weight returned"},
                 {"count", RPC_UINT, false, "65536", "Weights returned at most, 1..65536"}},
        .result = weights_result,
        .examples = "fml-cli marketgetweights 9a0c...41\n"
                    "fml-cli marketgetweights 9a0c...41 65536 65536",
    },
};
const size_t predict_rpc_methods_count = sizeof(predict_rpc_methods) / sizeof(predict_rpc_methods[0]);
