/* Raw transactions and the mempool. */
#include "consensus/txtypes.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/mempool.h"

#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

static bool decode_hex_tx(struct rpc_call *call, size_t idx, struct tx *tx)
{
    size_t len;
    const uint8_t *raw = rpc_hex(call, idx, &len);
    if (!raw || !tx_decode(tx, raw, len)) {
        rpc_error(call, RPC_DESERIALIZATION_ERROR, "TX decode failed");
        return false;
    }
    return true;
}

static json_t *getrawtransaction(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t txid[HASH_SIZE];
    const struct block_index *bi = NULL;
    struct tx tx;
    bool verbose;
    json_t *v = rpc_json(call, 1);

    if (!rpc_arg_hash(call, 0, "txid", txid))
        return NULL;
    /* bitcoind accepts a bool or a number for verbose. */
    if (v && json_is_integer(v))
        verbose = json_integer_value(v) != 0;
    else if (!v || json_is_null(v) || json_is_boolean(v))
        verbose = v && json_is_true(v);
    else
        return rpc_error(call, RPC_TYPE_ERROR, "verbose must be a boolean or a number");

    const struct mempool_entry *e = env->mempool ? mempool_get(env->mempool, txid) : NULL;
    if (e) {
        if (!tx_copy(&tx, &e->tx))
            return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    } else if (!chain_find_tx(env->chain, txid, &tx, &bi, NULL)) {
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                         "No such mempool or blockchain transaction");
    }
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(&tx, &w);
    json_t *hex = json_hex(w.data, w.len);
    wbuf_free(&w);
    if (!verbose) {
        tx_free(&tx);
        return hex;
    }
    json_t *o = tx_to_json(env->params, &tx);
    tx_free(&tx);
    json_object_set_new(o, "hex", hex);
    if (bi) {
        json_object_set_new(o, "blockhash", json_hash(bi->hash));
        json_object_set_new(o, "confirmations",
                            json_integer((json_int_t)(chain_height(env->chain) - bi->hdr.height + 1)));
        json_object_set_new(o, "blocktime", json_integer((json_int_t)bi->hdr.time));
        json_object_set_new(o, "time", json_integer((json_int_t)bi->hdr.time));
    } else {
        json_object_set_new(o, "confirmations", json_integer(0));
        json_object_set_new(o, "time", json_integer((json_int_t)e->time));
    }
    return o;
}

static json_t *decoderawtransaction(struct rpc_call *call)
{
    struct tx tx;
    if (!decode_hex_tx(call, 0, &tx))
        return NULL;
    json_t *o = tx_to_json(rpc_env(call)->params, &tx);
    tx_free(&tx);
    return o;
}

static json_t *sendrawtransaction(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct validation v;
    struct tx tx;
    uint8_t txid[HASH_SIZE];
    if (!decode_hex_tx(call, 0, &tx))
        return NULL;
    tx_txid(&tx, txid);
    struct tx mined;
    tx_init(&mined);
    if (chain_find_tx(env->chain, txid, &mined, NULL, NULL)) {
        tx_free(&mined);
        tx_free(&tx);
        return rpc_error(call, RPC_VERIFY_ALREADY_IN_CHAIN, "Transaction already in block chain");
    }
    bool ok = mempool_add(env->mempool, &tx, (uint64_t)time(NULL), &v);
    tx_free(&tx);
    if (!ok && v.cls != VAL_DUPLICATE) {
        if (v.cls == VAL_ERROR)
            return rpc_error(call, RPC_MISC_ERROR, "%s", v.reason);
        return rpc_error(call, RPC_VERIFY_REJECTED, "%s%s%s", v.reason, v.detail[0] ? ": " : "",
                         v.detail);
    }
    return json_hash(txid);
}

#define TESTMEMPOOL_MAX 25 /* bitcoind's MAX_PACKAGE_COUNT */

static json_t *testmempoolaccept(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    json_t *arr = rpc_json(call, 0), *item;
    size_t i, n = json_array_size(arr);
    if (n == 0 || n > TESTMEMPOOL_MAX)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Array must contain between 1 and %d transactions.", TESTMEMPOOL_MAX);
    struct tx *txs = calloc(n, sizeof(*txs));
    if (!txs)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    json_array_foreach(arr, i, item) {
        const char *hex = json_string_value(item);
        size_t hl = hex ? strlen(hex) : 0;
        uint8_t *raw = hl % 2 == 0 ? malloc(hl / 2 + 1) : NULL;
        size_t len = 0;
        bool ok = hex && raw && sodium_hex2bin(raw, hl / 2 + 1, hex, hl, NULL, &len, NULL) == 0 &&
                  len == hl / 2 && tx_decode(&txs[i], raw, len);
        free(raw);
        if (!ok) {
            for (size_t j = 0; j < i; j++)
                tx_free(&txs[j]);
            free(txs);
            return rpc_error(call, RPC_DESERIALIZATION_ERROR, "TX decode failed for element %zu", i);
        }
    }
    json_t *out = json_array();
    for (i = 0; i < n; i++) {
        struct validation v;
        uint8_t txid[HASH_SIZE];
        struct tx mined;
        json_t *o = json_object();
        tx_txid(&txs[i], txid);
        tx_init(&mined);
        json_object_set_new(o, "txid", json_hash(txid));
        bool in_chain = chain_find_tx(env->chain, txid, &mined, NULL, NULL);
        tx_free(&mined);
        bool ok = !in_chain && mempool_test(env->mempool, &txs[i], &v);
        json_object_set_new(o, "allowed", json_boolean(ok));
        if (ok) {
            json_object_set_new(o, "vsize", json_integer((json_int_t)tx_encoded_size(&txs[i])));
            json_t *fees = json_object();
            json_object_set_new(fees, "base", json_amount(txs[i].fee));
            json_object_set_new(o, "fees", fees);
        } else {
            json_object_set_new(o, "reject-reason",
                                json_string(in_chain ? "txn-already-known" : v.reason));
        }
        json_array_append_new(out, o);
        tx_free(&txs[i]);
    }
    free(txs);
    return out;
}

static json_t *getmempoolinfo(struct rpc_call *call)
{
    struct mempool *mp = rpc_env(call)->mempool;
    size_t n;
    uint64_t total_fee = 0;
    const struct mempool_entry **all = mempool_entries(mp, &n);
    for (size_t i = 0; all && i < n; i++)
        total_fee += all[i]->tx.fee;
    free(all);
    json_t *o = json_object();
    json_object_set_new(o, "loaded", json_true());
    json_object_set_new(o, "size", json_integer((json_int_t)mempool_count(mp)));
    json_object_set_new(o, "bytes", json_integer((json_int_t)mempool_bytes(mp)));
    json_object_set_new(o, "usage", json_integer((json_int_t)mempool_usage(mp)));
    json_object_set_new(o, "total_fee", json_amount(total_fee));
    json_object_set_new(o, "maxmempool", json_integer((json_int_t)mempool_max_bytes(mp)));
    json_object_set_new(o, "mempoolminfee", json_amount(mempool_required_fee_rate(mp)));
    json_object_set_new(o, "minrelaytxfee", json_amount(mempool_min_fee_rate(mp)));
    json_object_set_new(o, "incrementalrelayfee", json_amount(MEMPOOL_INCREMENTAL_FEE_RATE));
    return o;
}

static json_t *entry_to_json(const struct chain_params *p, const struct mempool_entry *e)
{
    const char *type = txtype_name(e->tx.type);
    json_t *o = json_object();
    json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    json_object_set_new(o, "fee", json_amount(e->tx.fee));
    json_object_set_new(o, "time", json_integer((json_int_t)e->time));
    json_object_set_new(o, "height", json_integer((json_int_t)e->height));
    json_object_set_new(o, "type", json_string(type ? type : "unknown"));
    json_object_set_new(o, "sender", json_address(p, e->tx.sender));
    json_object_set_new(o, "nonce", json_integer((json_int_t)e->tx.nonce));
    return o;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct mempool_entry *x = *(const struct mempool_entry *const *)a;
    const struct mempool_entry *y = *(const struct mempool_entry *const *)b;
    return memcmp(x->txid, y->txid, HASH_SIZE);
}

static json_t *getrawmempool(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    bool verbose = rpc_bool(call, 0, false);
    size_t n;
    const struct mempool_entry **all = mempool_entries(env->mempool, &n);
    if (!all)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    qsort(all, n, sizeof(*all), cmp_entry);
    json_t *out = verbose ? json_object() : json_array();
    for (size_t i = 0; i < n; i++) {
        char hex[2 * HASH_SIZE + 1];
        hash_to_hex(all[i]->txid, hex);
        if (verbose)
            json_object_set_new(out, hex, entry_to_json(env->params, all[i]));
        else
            json_array_append_new(out, json_string(hex));
    }
    free(all);
    return out;
}

static json_t *getmempoolentry(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t txid[HASH_SIZE];
    if (!rpc_arg_hash(call, 0, "txid", txid))
        return NULL;
    const struct mempool_entry *e = mempool_get(env->mempool, txid);
    if (!e)
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
    return entry_to_json(env->params, e);
}

static const char tx_result[] =
    "{\n"
    "  \"txid\": \"hex\",\n"
    "  \"version\": n,\n"
    "  \"type\": \"str\",          (transfer, ...)\n"
    "  \"sender\": \"address\",\n"
    "  \"nonce\": n,\n"
    "  \"fee\": n,               (FML)\n"
    "  \"size\": n,              (bytes)\n"
    "  \"payload\": {...},       (type-specific: transfer -> {\"to\", \"amount\"})\n"
    "  \"signature\": \"hex\"\n"
    "}";

static const char entry_result[] =
    "{\"size\": n, \"fee\": n (FML), \"time\": n, \"height\": n, \"type\": \"str\", "
    "\"sender\": \"address\", \"nonce\": n}";

const struct rpc_method rawtx_rpc_methods[] = {
    {
        .category = "Rawtransactions",
        .name = "getrawtransaction",
        .handler = getrawtransaction,
        .summary = "Returns the raw transaction data, from the mempool or the chain (every "
                   "confirmed transaction is indexed).\nIf verbose is true, returns an Object "
                   "with information about 'txid'.",
        .args = {{"txid", RPC_STR, true, NULL, "The transaction id"},
                 {"verbose", RPC_ANY, false, "false",
                  "If false, return a string, otherwise return a json object"}},
        .result = "if verbose is false: \"hex\"\n"
                  "if verbose is true: the decoded transaction (see decoderawtransaction) with "
                  "\"hex\", \"blockhash\", \"confirmations\", \"blocktime\", \"time\"",
        .examples = "fml-cli getrawtransaction \"txid\" true",
    },
    {
        .category = "Rawtransactions",
        .name = "decoderawtransaction",
        .handler = decoderawtransaction,
        .summary = "Return a JSON object representing the serialized, hex-encoded transaction.",
        .args = {{"hexstring", RPC_HEX, true, NULL, "The transaction hex string"}},
        .result = tx_result,
        .examples = "fml-cli decoderawtransaction \"hexstring\"",
    },
    {
        .category = "Rawtransactions",
        .name = "sendrawtransaction",
        .handler = sendrawtransaction,
        .summary = "Submit a raw transaction (serialized, hex-encoded) to the local node and "
                   "network.\nRejections give error -26 with the reject reason "
                   "(bad-txns-sig, bad-txns-nonce-too-low, bad-txns-insufficient-funds, ...).",
        .args = {{"hexstring", RPC_HEX, true, NULL, "The hex string of the raw transaction"}},
        .result = "\"hex\"    (string) The transaction hash in hex",
        .examples = "fml-cli sendrawtransaction \"signedhex\"",
    },
    {
        .category = "Rawtransactions",
        .name = "testmempoolaccept",
        .handler = testmempoolaccept,
        .summary = "Returns the result of mempool acceptance tests: whether each raw "
                   "transaction would be accepted by the mempool, without adding it.\n"
                   "Each transaction is tested alone against the current mempool and chain "
                   "(not as a package: a transaction spending the nonce after another in the "
                   "same array is refused with bad-txns-nonce-too-high).  A full pool's "
                   "eviction is not tried.  At most 25 transactions.",
        .args = {{"rawtxs", RPC_ARR, true, NULL,
                  "An array of hex strings of raw transactions: [\"rawtx\", ...]"}},
        .result = "[                        (json array) One object per transaction, in order\n"
                  "  {\n"
                  "    \"txid\": \"hex\",         (the transaction hash in hex)\n"
                  "    \"allowed\": true|false, (whether it would be accepted)\n"
                  "    \"vsize\": n,            (its size in bytes; only when allowed)\n"
                  "    \"fees\": {\"base\": x}, (its fee in FML; only when allowed)\n"
                  "    \"reject-reason\": \"str\" (why it would be refused; only when not allowed;\n"
                  "                           txn-already-known when it is in the chain)\n"
                  "  }, ...\n"
                  "]",
        .examples = "fml-cli testmempoolaccept '[\"signedhex\"]'",
    },
    {
        .category = "Blockchain",
        .name = "getmempoolinfo",
        .handler = getmempoolinfo,
        .summary = "Returns details on the active state of the TX memory pool.",
        .result = "{\n"
                  "  \"loaded\": true,\n"
                  "  \"size\": n,                 (transactions)\n"
                  "  \"bytes\": n,                (sum of transaction sizes)\n"
                  "  \"usage\": n,                (heap bytes the pool holds)\n"
                  "  \"total_fee\": n,            (FML)\n"
                  "  \"maxmempool\": n,           (limit on usage, bytes)\n"
                  "  \"mempoolminfee\": n,        (FML/kB needed now)\n"
                  "  \"minrelaytxfee\": n,        (FML/kB)\n"
                  "  \"incrementalrelayfee\": n   (FML/kB)\n"
                  "}",
        .examples = "fml-cli getmempoolinfo",
    },
    {
        .category = "Blockchain",
        .name = "getrawmempool",
        .handler = getrawmempool,
        .summary = "Returns all transaction ids in memory pool as a json array of string "
                   "transaction ids.",
        .args = {{"verbose", RPC_BOOL, false, "false",
                  "True for a json object, false for array of transaction ids"}},
        .result = "[\"hex\", ...] or {\"txid\": entry, ...} with entries as getmempoolentry",
        .examples = "fml-cli getrawmempool true",
    },
    {
        .category = "Blockchain",
        .name = "getmempoolentry",
        .handler = getmempoolentry,
        .summary = "Returns mempool data for given transaction",
        .args = {{"txid", RPC_STR, true, NULL, "The transaction id (must be in mempool)"}},
        .result = entry_result,
        .examples = "fml-cli getmempoolentry \"txid\"",
    },
};
const size_t rawtx_rpc_methods_count = sizeof(rawtx_rpc_methods) / sizeof(rawtx_rpc_methods[0]);
