/* Raw transactions and the mempool. */
#include "consensus/txtypes.h"
#include "rpc/fees.h"
#include "rpc/methods.h"
#include "rpc/txbuild.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/readview.h"
#include "state/sigcheck.h"
#include "util/hex.h"
#include "util/log.h"

#include <pthread.h>
#include <stdint.h>
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

    /* A confirmed transaction comes from the published read view (tx index
     * and block of one whole tip, state/readview.h), a pooled one from the
     * mempool under its own lock, both without the node lock.  Only one in
     * neither takes the node lock, to look at the blocks connected since the
     * view was published (a pooled transaction leaves the pool when its
     * block connects, before the activation publishes the new tip). */
    uint64_t tip_height = 0, pool_time = 0;
    bool found, oom = false;
    struct readview *rv = readview_take(env->chain);
    found = rv && readview_find_tx(rv, txid, &tx, &bi, NULL);
    if (found)
        tip_height = readview_tip(rv)->hdr.height;
    readview_drop(rv);
    if (!found && env->mempool)
        found = mempool_lookup(env->mempool, txid, &tx, &pool_time, &oom);
    if (oom)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    if (!found) {
        if (env->lock)
            pthread_mutex_lock(env->lock);
        if ((found = chain_find_tx(env->chain, txid, &tx, &bi, NULL)))
            tip_height = chain_height(env->chain);
        if (env->lock)
            pthread_mutex_unlock(env->lock);
    }
    if (!found)
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                         "No such mempool or blockchain transaction");
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
                            json_integer((json_int_t)(tip_height - bi->hdr.height + 1)));
        json_object_set_new(o, "blocktime", json_integer((json_int_t)bi->hdr.time));
        json_object_set_new(o, "time", json_integer((json_int_t)bi->hdr.time));
    } else {
        json_object_set_new(o, "confirmations", json_integer(0));
        json_object_set_new(o, "time", json_integer((json_int_t)pool_time));
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

/* ---- Signatures verified before the node lock ----
 *
 * sendrawtransaction and testmempoolaccept take the stateless checks and the
 * signature (sigcheck_txs) without the node lock, reading the signature
 * cache, and hand the verdict to the mempool (mempool_add_checked): a
 * failing one is answered where mempool_add would have found it, a passing
 * one is trusted for the transaction whose cache key it carries.  Nothing
 * enters the cache before the mempool accepts the transaction
 * (testmempoolaccept adds nothing).  A JSON-RPC batch goes further: before its requests run,
 * rawtx_batch_hook decodes the raw transactions of its sendrawtransaction
 * calls and checks them on the -par pool, PRECHECK_WINDOW at a time, then
 * the calls run one by one in batch order and find their verdicts, with the
 * transaction the hook decoded and its txid (hashed once: the mempool takes
 * it as it is, mempool_add_txid).  Replies are those of the calls alone;
 * each transaction costs at most one verification, as without the
 * pre-check. */

#define PRECHECK_WINDOW 256

static json_t *sendrawtransaction(struct rpc_call *call);

struct precheck_entry {
    const json_t *arg;   /* the request's hex string (the batch holds it) */
    struct tx tx;        /* decoded from it; the call takes it */
    uint8_t txid[HASH_SIZE];
    struct sigcheck_verdict pre; /* v.cls VAL_OK: passed */
};

struct precheck {
    struct precheck_entry *e; /* in batch order */
    size_t n, cap;
    size_t next;              /* the entry of the next call */
};

/* The batch the calling thread is running (rpc_handle_json runs a batch's
 * calls on the thread that ran the hook). */
static __thread struct precheck *batch_pre;

static struct sigcache *pre_cache(struct rpc_env *env)
{
    return env && env->chain ? sigcheck_cache(chain_sigcheck(env->chain)) : NULL;
}

/* The running batch's entry for the call whose hex string is arg, if the
 * hook made one.  The calls run in batch order and every call whose hex
 * string decodes has an entry (the same string decodes the same way), so
 * it is the next one, past those of calls the dispatcher refused before
 * running them: a cursor that only moves forward finds it. */
static struct precheck_entry *precheck_take(const json_t *arg)
{
    struct precheck *pc = batch_pre;
    if (!pc || !arg)
        return NULL;
    for (size_t i = pc->next; i < pc->n; i++)
        if (pc->e[i].arg == arg) {
            pc->next = i + 1;
            return &pc->e[i];
        }
    return NULL;
}

/* A transaction's verdict for mempool_add_checked, taken here on the
 * calling thread (no lock held); NULL when the node has no signature cache
 * (the mempool checks under the lock, once). */
static const struct sigcheck_verdict *precheck_tx(struct rpc_env *env, const struct tx *tx,
                                                  struct sigcheck_verdict *own)
{
    if (!pre_cache(env))
        return NULL;
    (void)sigcheck_txs(chain_sigcheck(env->chain), tx, 1, env->params, own);
    return own;
}

/* The hex string of a sendrawtransaction request (method m) that the
 * dispatcher will run, or NULL (calls it refuses are not checked). */
static const json_t *request_hex(const struct rpc_method *m, const json_t *req)
{
    const json_t *hex = rpc_request_arg(m, req, 0);
    return json_is_string(hex) ? hex : NULL;
}

static bool decode_hex_string(const char *hex, struct tx *tx)
{
    size_t hl = strlen(hex);
    uint8_t *raw = hl % 2 == 0 && hl > 0 ? malloc(hl / 2) : NULL;
    bool ok = raw && hex_decode(hex, hl, raw) && tx_decode(tx, raw, hl / 2);
    free(raw);
    return ok;
}

/* Checks the window's transactions on the pool and records them with their
 * verdicts (args[i]: the hex string txs[i] came from). */
static bool precheck_window(struct rpc_env *env, struct precheck *pc, struct tx *txs,
                            const json_t **args, size_t n)
{
    struct sigcheck_verdict *v = calloc(n, sizeof(*v));
    bool room = v != NULL;
    if (v)
        (void)sigcheck_txs(chain_sigcheck(env->chain), txs, n, env->params, v);
    for (size_t i = 0; i < n; i++) {
        if (room && pc->n == pc->cap) {
            size_t cap = pc->cap ? pc->cap * 2 : PRECHECK_WINDOW;
            struct precheck_entry *e = realloc(pc->e, cap * sizeof(*e));
            if (e) {
                pc->e = e;
                pc->cap = cap;
            } else {
                room = false; /* the rest is checked by the calls themselves */
            }
        }
        if (room) {
            struct precheck_entry *e = &pc->e[pc->n++];
            e->arg = args[i];
            e->tx = txs[i]; /* moved */
            tx_txid(&e->tx, e->txid);
            e->pre = v[i];
        } else {
            tx_free(&txs[i]);
        }
    }
    free(v);
    return room;
}

void rawtx_batch_hook(const struct rpc_table *t, struct rpc_env *env, const json_t *batch)
{
    if (!batch) {
        if (batch_pre) {
            for (size_t i = 0; i < batch_pre->n; i++)
                tx_free(&batch_pre->e[i].tx);
            free(batch_pre->e);
            free(batch_pre);
            batch_pre = NULL;
        }
        return;
    }
    const struct rpc_method *m = rpc_table_find(t, "sendrawtransaction");
    if (batch_pre || !m || m->handler != sendrawtransaction || !pre_cache(env) ||
        !json_is_array(batch))
        return;
    struct precheck *pc = calloc(1, sizeof(*pc));
    struct tx *txs = calloc(PRECHECK_WINDOW, sizeof(*txs));
    const json_t **args = calloc(PRECHECK_WINDOW, sizeof(*args));
    if (!pc || !txs || !args) {
        free(pc);
        free(txs);
        free(args);
        return;
    }
    size_t n = 0;
    bool room = true;
    for (size_t i = 0; room && i < json_array_size(batch); i++) {
        const json_t *hex = request_hex(m, json_array_get(batch, i));
        if (!hex || !decode_hex_string(json_string_value(hex), &txs[n]))
            continue;
        args[n] = hex;
        if (++n == PRECHECK_WINDOW) {
            room = precheck_window(env, pc, txs, args, n);
            n = 0;
        }
    }
    if (n > 0 && room)
        precheck_window(env, pc, txs, args, n);
    else
        for (size_t i = 0; i < n; i++)
            tx_free(&txs[i]);
    free(txs);
    free(args);
    size_t passed = 0;
    for (size_t i = 0; i < pc->n; i++)
        passed += pc->e[i].pre.v.cls == VAL_OK;
    if (pc->n > 0)
        LOG_DEBUG(LOG_MEMPOOL, "batch pre-check: %zu signatures on %d threads, %zu passed", pc->n,
                  sigcheck_threads(chain_sigcheck(env->chain)), passed);
    batch_pre = pc;
}

static json_t *sendrawtransaction(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct validation v;
    struct sigcheck_verdict own;
    struct tx tx;
    uint8_t txid[HASH_SIZE];
    const struct sigcheck_verdict *pre;
    struct precheck_entry *pe = precheck_take(rpc_json(call, 0));
    if (pe) {
        /* The batch's pre-check decoded it, hashed it and took its verdict. */
        tx = pe->tx;
        tx_init(&pe->tx);
        memcpy(txid, pe->txid, HASH_SIZE);
        pre = &pe->pre;
    } else {
        if (!decode_hex_tx(call, 0, &tx))
            return NULL;
        tx_txid(&tx, txid);
        pre = precheck_tx(env, &tx, &own);
    }
    struct tx mined;
    tx_init(&mined);
    if (env->lock)
        pthread_mutex_lock(env->lock);
    if (chain_find_tx(env->chain, txid, &mined, NULL, NULL)) {
        if (env->lock)
            pthread_mutex_unlock(env->lock);
        tx_free(&mined);
        tx_free(&tx);
        return rpc_error(call, RPC_VERIFY_ALREADY_IN_CHAIN, "Transaction already in block chain");
    }
    bool ok = mempool_add_txid(env->mempool, &tx, txid, (uint64_t)time(NULL), pre, &v);
    if (env->lock)
        pthread_mutex_unlock(env->lock);
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
        if (!hex || !decode_hex_string(hex, &txs[i])) {
            for (size_t j = 0; j < i; j++)
                tx_free(&txs[j]);
            free(txs);
            return rpc_error(call, RPC_DESERIALIZATION_ERROR, "TX decode failed for element %zu", i);
        }
    }
    /* The signatures on the pool before the lock (the cache only read). */
    struct sigcheck_verdict *pre = pre_cache(env) ? calloc(n, sizeof(*pre)) : NULL;
    if (pre)
        (void)sigcheck_txs(chain_sigcheck(env->chain), txs, n, env->params, pre);
    json_t *out = json_array();
    if (env->lock)
        pthread_mutex_lock(env->lock);
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
        bool ok = !in_chain && mempool_test_checked(env->mempool, &txs[i], pre ? &pre[i] : NULL, &v);
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
    if (env->lock)
        pthread_mutex_unlock(env->lock);
    free(pre);
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

/* A pooled transaction's fields getrawmempool shows, copied under the node
 * lock so the JSON is built after it (entry_to_json reads only these). */
static int cmp_entry_copy(const void *a, const void *b)
{
    return memcmp(((const struct mempool_entry *)a)->txid, ((const struct mempool_entry *)b)->txid,
                  HASH_SIZE);
}

/* The pool as getrawmempool shows it, or, with more than max transactions,
 * *over set and NULL.  Holds the node lock only to copy the entries. */
static json_t *rawmempool(struct rpc_call *call, bool verbose, size_t max, size_t *size,
                          bool *over)
{
    struct rpc_env *env = rpc_env(call);
    struct mempool_entry *rows = NULL;
    size_t n = 0;
    bool oom = false;
    *over = false;
    if (env->lock)
        pthread_mutex_lock(env->lock);
    *size = mempool_count(env->mempool);
    if (*size > max) {
        *over = true;
    } else {
        const struct mempool_entry **all = mempool_entries(env->mempool, &n);
        rows = calloc(n ? n : 1, sizeof(*rows));
        if (!all || !rows) {
            oom = true;
        } else {
            for (size_t i = 0; i < n; i++) {
                const struct mempool_entry *e = all[i];
                memcpy(rows[i].txid, e->txid, HASH_SIZE);
                rows[i].size = e->size;
                rows[i].time = e->time;
                rows[i].height = e->height;
                rows[i].tx.type = e->tx.type;
                rows[i].tx.fee = e->tx.fee;
                rows[i].tx.nonce = e->tx.nonce;
                memcpy(rows[i].tx.sender, e->tx.sender, sizeof(rows[i].tx.sender));
            }
        }
        free(all);
    }
    if (env->lock)
        pthread_mutex_unlock(env->lock);
    if (*over)
        return NULL;
    if (oom) {
        free(rows);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    qsort(rows, n, sizeof(*rows), cmp_entry_copy);
    json_t *out = verbose ? json_object() : json_array();
    for (size_t i = 0; i < n; i++) {
        char hex[2 * HASH_SIZE + 1];
        hash_to_hex(rows[i].txid, hex);
        if (verbose)
            json_object_set_new(out, hex, entry_to_json(env->params, &rows[i]));
        else
            json_array_append_new(out, json_string(hex));
    }
    free(rows);
    return out;
}

static json_t *getrawmempool(struct rpc_call *call)
{
    size_t size;
    bool over;
    return rawmempool(call, rpc_bool(call, 0, false), SIZE_MAX, &size, &over);
}

/* For /rest/mempool/contents.json (rpc/rest.c): {"size": n, "entries":
 * getrawmempool true}, without "entries" when the pool holds more than
 * max_entries transactions (nothing built then). */
static json_t *restmempool(struct rpc_call *call)
{
    int64_t max = rpc_int(call, 0, 0);
    size_t size;
    bool over;
    if (max < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "max_entries must not be negative");
    json_t *entries = rawmempool(call, true, (size_t)max, &size, &over);
    if (!entries && !over)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    if (entries)
        json_object_set_new(o, "entries", entries);
    return o;
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

/* The fee rate createrawtransaction pays when no fee is given: the
 * estimate for 6 blocks, never below what the mempool requires now. */
#define CREATERAW_FEE_TARGET 6

static json_t *createrawtransaction(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct tx tx;
    bool have_nonce, have_fee;
    char err[256];
    if (!tx_build_from_json(env->params, rpc_json(call, 0), &tx, &have_nonce, &have_fee, err,
                            sizeof(err)))
        return rpc_error(call, RPC_INVALID_PARAMETER, "%s", err);
    if (!have_nonce)
        tx.nonce = mempool_next_nonce(env->mempool, tx.sender);
    if (!have_fee) {
        uint64_t rate = mempool_required_fee_rate(env->mempool);
        struct fee_estimate est = {0};
        if (env->fees)
            fee_estimate(env->fees, CREATERAW_FEE_TARGET, FEE_THRESHOLD_ECONOMICAL, &est);
        if (est.found && est.rate > rate)
            rate = est.rate;
        tx.fee = (uint64_t)(((unsigned __int128)rate * tx_encoded_size(&tx) + 999) / 1000);
    }
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(&tx, &w);
    tx_free(&tx);
    json_t *hex = w.failed ? NULL : json_hex(w.data, w.len);
    wbuf_free(&w);
    return hex ? hex : rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
}

#define SIGNWITHKEY_MAX_KEYS 100

static bool parse_privkey(const char *s, uint8_t sec[SECKEY_SIZE])
{
    size_t got = 0;
    return strlen(s) == 2 * SECKEY_SIZE &&
           sodium_hex2bin(sec, SECKEY_SIZE, s, strlen(s), NULL, &got, NULL) == 0 &&
           got == SECKEY_SIZE;
}

static json_t *signrawtransactionwithkey(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    json_t *keys = rpc_json(call, 1), *k;
    uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE], aux[32];
    struct tx tx;
    size_t i;
    bool signed_now = false;

    if (json_array_size(keys) > SIGNWITHKEY_MAX_KEYS)
        return rpc_error(call, RPC_INVALID_PARAMETER, "At most %d private keys",
                         SIGNWITHKEY_MAX_KEYS);
    /* Every key is checked before anything is signed. */
    json_array_foreach (keys, i, k) {
        bool ok = json_is_string(k) && parse_privkey(json_string_value(k), sec) &&
                  key_pubkey(pub, sec);
        sodium_memzero(sec, sizeof(sec));
        if (!ok)
            return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                             "Invalid private key at position %zu (expected 64 hex digits)", i);
    }
    if (!decode_hex_tx(call, 0, &tx))
        return NULL;
    json_array_foreach (keys, i, k) {
        if (!parse_privkey(json_string_value(k), sec) || !key_pubkey(pub, sec))
            continue;
        if (memcmp(pub, tx.sender, PUBKEY_SIZE) == 0) {
            randombytes_buf(aux, sizeof(aux));
            signed_now = tx_sign(&tx, p->genesis_hash, sec, aux);
        }
        sodium_memzero(sec, sizeof(sec));
        if (signed_now)
            break;
    }
    sodium_memzero(sec, sizeof(sec));
    uint8_t sighash[HASH_SIZE];
    tx_sighash(&tx, p->genesis_hash, sighash);
    bool complete = key_verify(tx.sig, sighash, HASH_SIZE, tx.sender);
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(&tx, &w);
    json_t *o = json_object();
    json_object_set_new(o, "hex", json_hex(w.data, w.len));
    json_object_set_new(o, "complete", json_boolean(complete));
    wbuf_free(&w);
    if (!complete) {
        json_t *errors = json_array(), *e = json_object();
        json_object_set_new(e, "sender", json_address(p, tx.sender));
        json_object_set_new(e, "nonce", json_integer((json_int_t)tx.nonce));
        json_object_set_new(e, "error",
                            json_string("Unable to sign: no key given is the sender's, and the "
                                        "transaction is not signed"));
        json_array_append_new(errors, e);
        json_object_set_new(o, "errors", errors);
    }
    tx_free(&tx);
    return o;
}

static const char createraw_summary[] =
    "Create a transaction of any type from JSON, unsigned, and return it as hex (sign it with "
    "signrawtransactionwithkey or signrawtransactionwithwallet, then send it with "
    "sendrawtransaction).  Nothing is stored or sent.\n"
    "The fields are those decoderawtransaction prints: \"type\" (its name), \"sender\", "
    "\"nonce\", \"fee\" and the fields of \"payload\", given under \"payload\" or beside "
    "\"type\", with the same names and shapes, so that decoderawtransaction of the result "
    "shows what was given.  Amounts are in FML (numbers or decimal strings), hashes and ids "
    "64 hex digits, keys addresses of this network; names (model, aggregator, loss, role, "
    "source, mode) as printed, or the raw byte value.  Where the decoded payload shows data "
    "only as a count or hash, the data is given as hex in a field of its own, and the count "
    "or hash, if given too, must agree: weights_hex (n x int32 little-endian; for \"weights\" "
    "and \"model_hash\"), initial_weights_hex (n x int32; \"initial_weights\"), "
    "normalization_hex (n x (mean int32, std int32), Q16.16; \"normalized_inputs\"), "
    "path_hex (n x 32 bytes; \"path_length\"), data_hex (\"bytes\"), header_a and "
    "header_b (the two block headers of evidence, 252 bytes each; \"proposer\", \"slot\", "
    "\"block_a\", \"block_b\").  The id a create transaction gets from its own txid "
    "(\"task\" of fl_task_create and arena_task_create, \"model\" of market_publish) is "
    "ignored.  Any other field, a missing one, a value of the wrong type or out of its "
    "field's range is refused with an error naming the field, and so is a payload the "
    "type's stateless rules refuse (with their reason).\n"
    "Fields per type:\n"
    "  transfer: to, amount\n"
    "  validator_register: stake, commission_bps, randao_commit\n"
    "  stake_add, unbond: amount\n"
    "  delegate: validator, amount;  undelegate: validator, amount (or \"all\")\n"
    "  evidence: header_a, header_b (proposer, slot, block_a, block_b derived)\n"
    "  unjail: (no fields);  validator_edit: commission_bps, description (optional, "
    "at most 140 bytes)\n"
    "  fl_task_create: model, sizes, normalization_hex, initial_weights_hex, rounds, "
    "min_participants, max_participants, min_stake, proposer_slots, join_blocks, "
    "submit_blocks, update_reveal_blocks, commit_blocks, reveal_blocks, aggregator, trim_k, "
    "slash_bps, voter_reward_bps, budget, allowlist\n"
    "  fl_join: task, stake\n"
    "  fl_update_commit, fl_vote_commit: task, round, commitment\n"
    "  fl_update_reveal: task, round, salt, weights_hex\n"
    "  fl_vote_reveal: task, round, salt, verdicts [{verdict, metric_q16}] (metric derived)\n"
    "  arena_task_create: model, sizes, normalization_hex, loss, data_hash, uri, sets "
    "[{root, n_chunks, n_rows}], submit_blocks, reveal_blocks, score_commit_blocks, "
    "score_reveal_blocks, budget, gamma_bps, q_bps, delta_bps, D_bps, epsilon, vest_epochs, "
    "draws_per_set, max_trainers, max_validators, trainer_min_stake, validator_min_stake, "
    "slash_bps\n"
    "  arena_stake: task, role, amount\n"
    "  arena_delegate: task, operator, amount;  arena_undelegate: task, operator\n"
    "  arena_set_share: task, sigma_bps\n"
    "  arena_submit_commit, arena_score_commit: task, commitment\n"
    "  arena_submit_reveal: task, salt, weights_hex\n"
    "  arena_reveal_valset: task, set, chunk, salt, path_hex, data_hex\n"
    "  arena_score_reveal: task, salt, losses_raw (losses derived)\n"
    "  market_publish: name, source, source_id (fl, arena), kind, sizes, normalization_hex, "
    "weights_hex (upload), base_price, target, split {creator_bps, data_bps, provider_bps}, "
    "mode, components\n"
    "  market_set_price: model, base_price, target\n"
    "  market_provider_register: stake, endpoint\n"
    "  market_call: model, provider, calls, max_price\n"
    "  market_claim: model\n"
    "  finality_vote: source_epoch, source, target_epoch, target (nonce 0)\n"
    "  finality_evidence: vote_a_hex, vote_b_hex (voter, vote_a, vote_b derived)";

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
        .unlocked = true, /* the read view, the mempool's own lock; the node lock only
                           * for a transaction in neither */
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
        .unlocked = true, /* checks the signature first, then takes the node lock */
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
        .unlocked = true, /* checks the signatures first, then takes the node lock */
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
        .category = "Rawtransactions",
        .name = "createrawtransaction",
        .handler = createrawtransaction,
        .summary = createraw_summary,
        .args = {{"transaction", RPC_OBJ, true, NULL,
                  "{\"type\": \"name\", \"sender\": \"address or public key hex\", "
                  "\"nonce\": n (optional: the sender's next, after the chain and the mempool), "
                  "\"fee\": amount (optional: the estimatesmartfee rate for 6 blocks, never below "
                  "the mempool's minimum, times the size), \"version\": 1 (optional), then the "
                  "type's fields, beside these or as \"payload\": {...}}"}},
        .result = "\"hex\"    (string) the unsigned transaction (a zero signature), as hex",
        .examples = "fml-cli createrawtransaction '{\"type\": \"transfer\", \"sender\": "
                    "\"rfml1q...\", \"to\": \"rfml1q...\", \"amount\": 1.5}'\n"
                    "fml-cli createrawtransaction '{\"type\": \"fl_join\", \"sender\": "
                    "\"rfml1q...\", \"nonce\": 4, \"fee\": 0.00001, \"payload\": {\"task\": "
                    "\"<64 hex>\", \"stake\": 2}}'",
    },
    {
        .category = "Rawtransactions",
        .name = "signrawtransactionwithkey",
        .handler = signrawtransactionwithkey,
        .summary = "Sign a transaction (hex, as createrawtransaction returns it) with the one of "
                   "the given private keys that is its sender's (BIP340 over the transaction's "
                   "signature hash, which commits to this network's genesis).  The nonce and fee "
                   "are left as they are.  No wallet is needed and the keys are not stored.  "
                   "Every key is checked first: a malformed one signs nothing.",
        .args = {{"hexstring", RPC_HEX, true, NULL, "The transaction hex string"},
                 {"privkeys", RPC_ARR, true, NULL,
                  "Private keys, 64 hex digits each (as dumpprivkey prints them), at most 100: "
                  "[\"privatekey\", ...]"}},
        .result = "{\n"
                  "  \"hex\": \"hex\",        (string) the transaction, signed if it could be\n"
                  "  \"complete\": bool,    (boolean) whether it carries a valid signature\n"
                  "  \"errors\": [          (array, only when not complete)\n"
                  "    {\"sender\": \"address\", \"nonce\": n, \"error\": \"str\"}\n"
                  "  ]\n"
                  "}",
        .examples = "fml-cli signrawtransactionwithkey \"hex\" '[\"privatekey\"]'",
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
        .unlocked = true, /* takes the node lock only to copy the entries */
    },
    {
        .category = "hidden",
        .name = "restmempool",
        .handler = restmempool,
        .summary = "The pool for /rest/mempool/contents.json: {\"size\": n, \"entries\": "
                   "getrawmempool true}, without entries above max_entries transactions.",
        .args = {{"max_entries", RPC_INT, true, NULL, "Largest pool listed"}},
        .result = "{\"size\": n, \"entries\": {...}}",
        .examples = "",
        .unlocked = true, /* takes the node lock only to copy the entries */
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
