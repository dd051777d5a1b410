/* Blockchain methods: chain, blocks, headers, accounts. */
#include "rpc/methods.h"
#include "consensus/accounts.h"
#include "consensus/bech32.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/txtypes.h"
#include "consensus/emission.h"
#include "consensus/staking.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/finality.h"
#include "state/mempool.h"
#include "state/readview.h"
#include "state/staking.h"
#include "state/view.h"
#include "util/hmap.h"
#include "util/time.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static struct chain *chain_of(struct rpc_call *call)
{
    return rpc_env(call)->chain;
}

/* bitcoind's -maxtipage default: a tip older than this means we are syncing. */
#define MAX_TIP_AGE (24 * 60 * 60)

/* The node is syncing while it knows headers beyond its tip (the headers-first
 * download has blocks to fetch) or while its tip is older than MAX_TIP_AGE
 * by its clock (mock time on regtest). */
static bool initial_block_download(struct chain *c, uint64_t now)
{
    const struct block_index *tip = chain_tip(c);
    return chain_best_header(c)->hdr.height > tip->hdr.height ||
           tip->hdr.time + MAX_TIP_AGE < now;
}

static json_t *getblockchaininfo(struct rpc_call *call)
{
    struct chain *c = chain_of(call);
    const struct chain_params *p = chain_params(c);
    const struct block_index *tip = chain_tip(c);
    uint8_t root[HASH_SIZE];
    struct view *view = chain_view(c);
    uint64_t now = time_now();
    json_t *o = json_object();

    chain_state_root(c, root);
    json_object_set_new(o, "chain", json_string(p->name));
    json_object_set_new(o, "blocks", json_integer((json_int_t)tip->hdr.height));
    json_object_set_new(o, "headers", json_integer((json_int_t)chain_best_header(c)->hdr.height));
    json_object_set_new(o, "bestblockhash", json_hash(tip->hash));
    json_object_set_new(o, "slot", json_integer((json_int_t)tip->hdr.slot));
    json_object_set_new(o, "epoch", json_integer((json_int_t)params_epoch_of(p, tip->hdr.slot)));
    json_object_set_new(o, "time", json_integer((json_int_t)tip->hdr.time));
    json_object_set_new(o, "mediantime", json_integer((json_int_t)block_median_time(tip)));
    json_object_set_new(o, "verificationprogress", json_real(chain_verification_progress(c, now)));
    json_object_set_new(o, "initialblockdownload", json_boolean(initial_block_download(c, now)));
    json_object_set_new(o, "stateroot", json_hash(root));
    json_object_set_new(o, "genesis", json_hash(p->genesis_hash));
    if (view) {
        json_object_set_new(o, "supply", json_amount(view_get_u64(view, SUPPLY_KEY)));
        view_free(view);
    }
    {
        /* Checkpoint finality (state/finality.h): genesis until one is. */
        struct checkpoint cur, prev, fin;
        struct view *fv = chain_view(c);
        uint64_t fin_height;
        uint8_t fin_hash[HASH_SIZE];
        (void)chain_finalized(c, &fin_height, fin_hash);
        json_object_set_new(o, "finalized_height", json_integer((json_int_t)fin_height));
        json_object_set_new(o, "finalizedblockhash", json_hash(fin_hash));
        if (fv && finality_justified(fv, p, &cur, &prev) && finality_finalized(fv, p, &fin)) {
            const struct block_index *jb = chain_lookup(c, cur.hash);
            json_object_set_new(o, "justified_height",
                                json_integer((json_int_t)(jb ? jb->hdr.height : 0)));
            json_object_set_new(o, "justifiedblockhash", json_hash(cur.hash));
        }
        view_free(fv);
    }
    json_object_set_new(o, "finality_depth", json_integer(p->finality_depth));
    json_object_set_new(o, "size_on_disk", json_integer((json_int_t)chain_disk_size(c)));
    json_object_set_new(o, "pruned", json_false());
    json_object_set_new(o, "warnings", json_string(""));
    return o;
}

/* getblockcount and getbestblockhash run without the node lock: they read
 * the tip published at the end of the last activation, so they never wait
 * behind a block being connected. */
static json_t *getblockcount(struct rpc_call *call)
{
    return json_integer((json_int_t)chain_published_tip(chain_of(call))->hdr.height);
}

static json_t *getbestblockhash(struct rpc_call *call)
{
    return json_hash(chain_published_tip(chain_of(call))->hash);
}

static json_t *getblockhash(struct rpc_call *call)
{
    struct chain *c = chain_of(call);
    uint64_t h = rpc_uint(call, 0, 0);
    const struct block_index *bi = chain_at(c, h);
    if (!bi)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Block height out of range");
    return json_hash(bi->hash);
}

static const struct block_index *block_arg(struct rpc_call *call, size_t idx)
{
    uint8_t hash[HASH_SIZE];
    const struct block_index *bi;
    if (!rpc_arg_hash(call, idx, "blockhash", hash))
        return NULL;
    bi = chain_lookup(chain_of(call), hash);
    if (!bi || !(bi->status & BLOCK_HAVE_DATA)) {
        rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        return NULL;
    }
    return bi;
}

/* Runs without the node lock: a block of a published active chain is
 * found, read and described from the published read view
 * (state/readview.h), so its confirmations and nextblockhash belong to one
 * published tip and the call never waits behind a block being connected.
 * Any other block (a fork never on the active chain) is found under the
 * node lock, held only to find it, read it and fill the header fields.
 * The transactions' JSON (most of a big block's cost) comes after either,
 * written straight into one text from the decoded block (block_txs_json). */
static json_t *getblock(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct chain *c = env->chain;
    uint64_t verbosity = rpc_uint(call, 1, 1);
    uint8_t hash[HASH_SIZE];
    struct block b;
    uint8_t *raw = NULL;
    size_t len = 0;
    bool read = false;
    json_t *o = NULL;
    if (!rpc_arg_hash(call, 0, "blockhash", hash))
        return NULL;
    /* Verbosity 0 needs the bytes; 1 and 2 the block, checked and decoded
     * once by the read (its txids are the ones shown). */
    struct readview *rv = readview_take(c);
    const struct block_index *bi = rv ? readview_lookup(rv, hash) : NULL;
    if (bi) {
        if (verbosity == 0) {
            read = readview_read_raw(rv, bi, &raw, &len);
        } else if (verbosity <= 2) {
            read = readview_read_block(rv, bi, &b);
            if (read)
                o = header_to_json_at(chain_params(c), bi, readview_tip(rv));
        }
    } else {
        if (env->lock)
            pthread_mutex_lock(env->lock);
        bi = block_arg(call, 0);
        if (bi && verbosity == 0) {
            read = chain_read_raw(c, bi, &raw, &len);
        } else if (bi && verbosity <= 2) {
            read = chain_read_block(c, bi, &b);
            if (read)
                o = header_to_json(c, bi);
        }
        if (env->lock)
            pthread_mutex_unlock(env->lock);
    }
    readview_drop(rv);
    if (!bi)
        return NULL;
    if (verbosity > 2)
        return rpc_error(call, RPC_INVALID_PARAMETER, "verbosity must be 0, 1 or 2");
    if (!read)
        return rpc_error(call, RPC_MISC_ERROR, "Block not available (read error)");
    if (verbosity == 0) {
        json_t *hex = json_hex(raw, len);
        free(raw);
        return hex;
    }
    json_object_set_new(o, "size", json_integer((json_int_t)bi->size));
    json_t *txs = block_txs_json(chain_params(c), &b, (int)verbosity);
    block_free(&b);
    if (!txs) {
        json_decref(o);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    json_object_set_new(o, "tx", txs);
    return o;
}

static json_t *getblockheader(struct rpc_call *call)
{
    struct chain *c = chain_of(call);
    const struct block_index *bi = block_arg(call, 0);
    if (!bi)
        return NULL;
    if (!rpc_bool(call, 1, true)) {
        uint8_t buf[BLOCK_HEADER_SIZE];
        header_encode(&bi->hdr, buf);
        return json_hex(buf, sizeof(buf));
    }
    return header_to_json(c, bi);
}

/* Runs without the node lock: balance, nonce and validator come from the
 * published read view (one whole tip); next_nonce from the mempool under its
 * own lock (mempool_next_nonce_after, never held across a block
 * connection), counting the sender's pooled run and what a block connected
 * since the view's tip took of it. */
static json_t *getaccount(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t pub[PUBKEY_SIZE];
    struct account a;
    struct validator val;
    if (!rpc_arg_address(call, 0, pub))
        return NULL;
    struct readview *rv = readview_take(env->chain);
    if (!rv)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    if (!readview_get_account(rv, pub, &a)) {
        readview_drop(rv);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    struct view *view = readview_state(rv);
    bool is_validator = view && staking_get_validator(view, pub, &val);
    view_free(view);
    readview_drop(rv);
    json_t *o = json_object();
    json_object_set_new(o, "address", json_string(rpc_str(call, 0, "")));
    json_object_set_new(o, "balance", json_amount(a.balance));
    json_object_set_new(o, "nonce", json_integer((json_int_t)a.nonce));
    if (env->mempool && rpc_bool(call, 1, true)) {
        uint64_t next = mempool_next_nonce_after(env->mempool, pub, a.nonce);
        json_object_set_new(o, "next_nonce", json_integer((json_int_t)next));
    }
    if (is_validator) {
        json_t *v = json_object();
        json_object_set_new(v, "self_stake", json_amount(val.self_stake));
        json_object_set_new(v, "delegated", json_amount(val.delegated));
        json_object_set_new(v, "status",
                            json_string(val.status == VALIDATOR_ACTIVE   ? "active"
                                        : val.status == VALIDATOR_EXITED ? "exited"
                                                                         : "jailed"));
        json_object_set_new(o, "validator", v);
    }
    return o;
}

struct tips_ctx {
    struct hmap parents;
    const struct block_index **all;
    size_t n, cap;
    bool ok;
};

static void collect(void *arg, const struct block_index *bi)
{
    struct tips_ctx *t = arg;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        const struct block_index **a = realloc(t->all, cap * sizeof(*a));
        if (!a) {
            t->ok = false;
            return;
        }
        t->all = a;
        t->cap = cap;
    }
    t->all[t->n++] = bi;
    if (bi->prev && !hmap_put(&t->parents, bi->prev->hash, HASH_SIZE, (void *)bi->prev, NULL))
        t->ok = false;
}

static const char *tip_status(struct chain *c, const struct block_index *bi)
{
    if (chain_contains(c, bi))
        return "active";
    if (bi->status & (BLOCK_FAILED | BLOCK_FAILED_CHILD))
        return "invalid";
    if (!(bi->status & BLOCK_HAVE_DATA))
        return "headers-only";
    return bi->status & BLOCK_VALID ? "valid-fork" : "valid-headers";
}

static int cmp_tip(const void *a, const void *b)
{
    const struct block_index *x = *(const struct block_index *const *)a;
    const struct block_index *y = *(const struct block_index *const *)b;
    if (x->hdr.height != y->hdr.height)
        return x->hdr.height > y->hdr.height ? -1 : 1;
    return memcmp(x->hash, y->hash, HASH_SIZE);
}

static json_t *getchaintips(struct rpc_call *call)
{
    struct chain *c = chain_of(call);
    struct tips_ctx t = {.ok = true};
    hmap_init(&t.parents);
    chain_foreach_index(c, collect, &t);
    json_t *out = json_array();
    const struct block_index **tips = t.ok ? malloc((t.n + 1) * sizeof(*tips)) : NULL;
    size_t ntips = 0;
    /* Blocks without children, and the active tip whatever follows it. */
    for (size_t i = 0; tips && i < t.n; i++)
        if (!hmap_get(&t.parents, t.all[i]->hash, HASH_SIZE) || t.all[i] == chain_tip(c))
            tips[ntips++] = t.all[i];
    if (tips)
        qsort(tips, ntips, sizeof(*tips), cmp_tip);
    for (size_t i = 0; i < ntips; i++) {
        const struct block_index *bi = tips[i], *fork = bi;
        while (fork && !chain_contains(c, fork))
            fork = fork->prev;
        json_t *o = json_object();
        json_object_set_new(o, "height", json_integer((json_int_t)bi->hdr.height));
        json_object_set_new(o, "hash", json_hash(bi->hash));
        json_object_set_new(o, "branchlen",
                            json_integer(fork ? (json_int_t)(bi->hdr.height - fork->hdr.height) : 0));
        json_object_set_new(o, "status", json_string(tip_status(c, bi)));
        json_array_append_new(out, o);
    }
    bool ok = t.ok && tips;
    free(tips);
    free(t.all);
    hmap_free(&t.parents, NULL);
    if (!ok) {
        json_decref(out);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    return out;
}

static json_t *change_validity(struct rpc_call *call, bool invalidate)
{
    uint8_t hash[HASH_SIZE];
    struct validation v;
    if (!rpc_arg_hash(call, 0, "blockhash", hash))
        return NULL;
    if (!chain_lookup(chain_of(call), hash))
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    bool ok = invalidate ? chain_invalidate(chain_of(call), hash, &v)
                         : chain_reconsider(chain_of(call), hash, &v);
    if (!ok && v.cls == VAL_ERROR)
        return rpc_error(call, RPC_DATABASE_ERROR, "%s", v.reason);
    if (!ok && v.code == REJECT_CANNOT_INVALIDATE_GENESIS)
        return rpc_error(call, RPC_INVALID_PARAMETER, "The genesis block cannot be invalidated");
    return json_null();
}

static json_t *invalidateblock(struct rpc_call *call)
{
    return change_validity(call, true);
}

static json_t *reconsiderblock(struct rpc_call *call)
{
    return change_validity(call, false);
}

/* ---- validateaddress ---- */

static json_t *validateaddress(struct rpc_call *call)
{
    const struct chain_params *p = chain_params(chain_of(call));
    const char *s = rpc_str(call, 0, "");
    char hrp[84];
    uint8_t data[90], pub[PUBKEY_SIZE];
    size_t dlen = 0;
    const char *err = NULL;
    enum bech32_encoding enc =
        strlen(s) <= BECH32_MAX_LEN ? bech32_decode(hrp, data, &dlen, s) : BECH32_INVALID;
    json_t *o = json_object();

    if (enc == BECH32_INVALID)
        err = strlen(s) > BECH32_MAX_LEN ? "Address too long (at most 90 characters)"
                                         : "Invalid Bech32m string (bad character, case or checksum)";
    else if (strcmp(hrp, p->hrp) != 0)
        err = "Invalid network prefix (the address is not for this network)";
    else if (enc != BECH32_M)
        err = "Bech32 checksum where Bech32m is required";
    else if (dlen == 0 || data[0] != 0)
        err = "Invalid address version (only version 0 exists)";
    else if (!address_decode(pub, p->hrp, s))
        err = "Invalid key (wrong length or not a point on the curve)";
    json_object_set_new(o, "isvalid", json_boolean(err == NULL));
    if (err) {
        json_object_set_new(o, "error", json_string(err));
        if (enc != BECH32_INVALID)
            json_object_set_new(o, "hrp", json_string(hrp));
        return o;
    }
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "pubkey", json_hex(pub, PUBKEY_SIZE));
    json_object_set_new(o, "hrp", json_string(p->hrp));
    json_object_set_new(o, "chain", json_string(p->name));
    return o;
}

/* ---- verifymessage ---- */

void rpc_message_hash(uint8_t out[HASH_SIZE], const char *message)
{
    hash_tagged(out, RPC_MESSAGE_TAG, message, strlen(message));
}

static json_t *verifymessage(struct rpc_call *call)
{
    uint8_t pub[PUBKEY_SIZE], sig[SIG_SIZE], h[HASH_SIZE];
    if (!rpc_arg_address(call, 0, pub))
        return NULL;
    const char *hex = rpc_str(call, 1, "");
    size_t n = 0;
    if (strlen(hex) != 2 * SIG_SIZE ||
        sodium_hex2bin(sig, sizeof(sig), hex, strlen(hex), NULL, &n, NULL) != 0 || n != SIG_SIZE)
        return rpc_error(call, RPC_TYPE_ERROR, "Malformed signature (128 hex digits expected)");
    rpc_message_hash(h, rpc_str(call, 2, ""));
    return json_boolean(key_verify(sig, h, sizeof(h), pub));
}

/* ---- getblockstats ---- */

static const char *const block_stat_names[] = {
    "avgfee",   "avgfeerate", "avgtxsize", "blockhash",    "feerate_percentiles",
    "height",   "maxfee",     "maxfeerate", "maxtxsize",   "medianfee",
    "mediantime", "mediantxsize", "minfee", "minfeerate",  "mintxsize",
    "time",     "total_size", "totalfee",  "txs",          "types",
};
#define N_BLOCK_STATS (sizeof(block_stat_names) / sizeof(block_stat_names[0]))

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* bitcoind's truncated median: the middle value, or the floor of the mean of
 * the two middle ones; 0 for none.  Sorts v. */
static uint64_t median_u64(uint64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_u64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct rate_size {
    uint64_t rate, size;
};

static int cmp_rate(const void *a, const void *b)
{
    const struct rate_size *x = a, *y = b;
    return x->rate < y->rate ? -1 : x->rate > y->rate;
}

/* The block argument of getblockstats: a height, or the hash of a block of the
 * active chain. */
static const struct block_index *hash_or_height(struct rpc_call *call, size_t idx)
{
    struct chain *c = chain_of(call);
    json_t *v = rpc_json(call, idx);
    const struct block_index *bi = NULL;
    if (json_is_integer(v)) {
        json_int_t h = json_integer_value(v);
        if (h < 0)
            rpc_error(call, RPC_INVALID_PARAMETER, "Target block height %lld is negative",
                      (long long)h);
        else if ((uint64_t)h > chain_height(c))
            rpc_error(call, RPC_INVALID_PARAMETER, "Target block height %lld after current tip %llu",
                      (long long)h, (unsigned long long)chain_height(c));
        else
            bi = chain_at(c, (uint64_t)h);
        return bi;
    }
    if (!json_is_string(v)) {
        rpc_error(call, RPC_TYPE_ERROR, "hash_or_height must be a height or a block hash");
        return NULL;
    }
    bi = block_arg(call, idx);
    if (bi && !chain_contains(c, bi)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "Block is not in the active chain");
        return NULL;
    }
    return bi;
}

static json_t *getblockstats(struct rpc_call *call)
{
    struct chain *c = chain_of(call);
    const struct block_index *bi = hash_or_height(call, 0);
    json_t *sel = rpc_json(call, 1);
    bool want[N_BLOCK_STATS];
    struct block b;
    if (!bi)
        return NULL;
    for (size_t k = 0; k < N_BLOCK_STATS; k++)
        want[k] = !json_is_array(sel) || json_array_size(sel) == 0;
    if (json_is_array(sel)) {
        size_t i;
        json_t *e;
        json_array_foreach(sel, i, e) {
            const char *name = json_is_string(e) ? json_string_value(e) : "";
            size_t k = 0;
            while (k < N_BLOCK_STATS && strcmp(block_stat_names[k], name) != 0)
                k++;
            if (k == N_BLOCK_STATS)
                return rpc_error(call, RPC_INVALID_PARAMETER, "Invalid selected statistic '%.80s'",
                                 json_is_string(e) ? name : "(not a string)");
            want[k] = true;
        }
    }
    if (!chain_read_block(c, bi, &b))
        return rpc_error(call, RPC_MISC_ERROR, "Block not available (read error)");

    size_t n = b.ntx;
    uint64_t *fees = malloc((n + 1) * sizeof(*fees)), *sizes = malloc((n + 1) * sizeof(*sizes));
    struct rate_size *rates = malloc((n + 1) * sizeof(*rates));
    uint64_t types[TX_TYPE_LIMIT] = {0};
    uint64_t totalfee = 0, total_size = 0, minfee = UINT64_MAX, maxfee = 0;
    uint64_t minrate = UINT64_MAX, maxrate = 0, minsize = UINT64_MAX, maxsize = 0;
    if (!fees || !sizes || !rates) {
        free(fees);
        free(sizes);
        free(rates);
        block_free(&b);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const struct tx *tx = &b.txs[i];
        uint64_t size = tx_encoded_size(tx), fee = tx->fee;
        uint64_t rate = size ? fee / size : 0; /* base units per byte, rounded down */
        fees[i] = fee;
        sizes[i] = size;
        rates[i] = (struct rate_size){rate, size};
        totalfee += fee;
        total_size += size;
        minfee = fee < minfee ? fee : minfee;
        maxfee = fee > maxfee ? fee : maxfee;
        minrate = rate < minrate ? rate : minrate;
        maxrate = rate > maxrate ? rate : maxrate;
        minsize = size < minsize ? size : minsize;
        maxsize = size > maxsize ? size : maxsize;
        if (tx->type < TX_TYPE_LIMIT)
            types[tx->type]++;
    }
    /* Percentiles 10, 25, 50, 75, 90 of the fee rate, weighted by size: the
     * rate of the first transaction (by rate) at which the cumulated size
     * reaches that share of the total, as bitcoind's. */
    static const uint64_t pct[5] = {10, 25, 50, 75, 90};
    uint64_t perc[5] = {0};
    qsort(rates, n, sizeof(*rates), cmp_rate);
    {
        size_t next = 0;
        uint64_t cum = 0;
        for (size_t i = 0; i < n; i++) {
            cum += rates[i].size;
            while (next < 5 && cum * 100 >= total_size * pct[next])
                perc[next++] = rates[i].rate;
        }
    }

    json_t *o = json_object();
#define STAT(k, v)                                                                                 \
    do {                                                                                           \
        json_t *val_ = (v);                                                                        \
        if (want[k])                                                                               \
            json_object_set_new(o, block_stat_names[k], val_);                                     \
        else                                                                                       \
            json_decref(val_);                                                                     \
    } while (0)
    STAT(0, json_integer((json_int_t)(n ? totalfee / n : 0)));
    STAT(1, json_integer((json_int_t)(total_size ? totalfee / total_size : 0)));
    STAT(2, json_integer((json_int_t)(n ? total_size / n : 0)));
    STAT(3, json_hash(bi->hash));
    json_t *pa = json_array();
    for (size_t k = 0; k < 5; k++)
        json_array_append_new(pa, json_integer((json_int_t)perc[k]));
    STAT(4, pa);
    STAT(5, json_integer((json_int_t)bi->hdr.height));
    STAT(6, json_integer((json_int_t)maxfee));
    STAT(7, json_integer((json_int_t)maxrate));
    STAT(8, json_integer((json_int_t)maxsize));
    STAT(9, json_integer((json_int_t)median_u64(fees, n)));
    STAT(10, json_integer((json_int_t)block_median_time(bi)));
    STAT(11, json_integer((json_int_t)median_u64(sizes, n)));
    STAT(12, json_integer((json_int_t)(n ? minfee : 0)));
    STAT(13, json_integer((json_int_t)(n ? minrate : 0)));
    STAT(14, json_integer((json_int_t)(n ? minsize : 0)));
    STAT(15, json_integer((json_int_t)bi->hdr.time));
    STAT(16, json_integer((json_int_t)total_size));
    STAT(17, json_integer((json_int_t)totalfee));
    STAT(18, json_integer((json_int_t)n));
    json_t *to = json_object();
    for (size_t t = 0; t < TX_TYPE_LIMIT; t++) {
        if (!types[t])
            continue;
        char num[8];
        const char *name = txtype_name((uint8_t)t);
        if (!name) {
            snprintf(num, sizeof(num), "%zu", t);
            name = num;
        }
        json_object_set_new(to, name, json_integer((json_int_t)types[t]));
    }
    STAT(19, to);
#undef STAT
    free(fees);
    free(sizes);
    free(rates);
    block_free(&b);
    return o;
}

/* ---- getchaintxstats ---- */

/* Transactions in the active chain up to and including bi (a walk over the
 * in-memory index, no block read). */
static uint64_t chain_tx_count(const struct block_index *bi)
{
    uint64_t n = 0;
    for (; bi; bi = bi->prev)
        n += bi->ntx;
    return n;
}

static json_t *getchaintxstats(struct rpc_call *call)
{
    struct chain *c = chain_of(call);
    const struct chain_params *p = chain_params(c);
    const struct block_index *bi = chain_tip(c);
    if (rpc_has(call, 1)) {
        bi = block_arg(call, 1);
        if (!bi)
            return NULL;
        if (!chain_contains(c, bi))
            return rpc_error(call, RPC_INVALID_PARAMETER, "Block is not in main chain");
    }
    uint64_t height = bi->hdr.height, count;
    if (rpc_has(call, 0)) {
        count = rpc_uint(call, 0, 0);
        if (count > 0 && count >= height)
            return rpc_error(call, RPC_INVALID_PARAMETER,
                             "Invalid block count: should be between 0 and the block's height - 1");
    } else {
        /* One month of slots, at most height - 1 blocks (bitcoind's default). */
        count = 30ull * 24 * 60 * 60 / p->slot_seconds;
        if (count > (height ? height - 1 : 0))
            count = height ? height - 1 : 0;
    }
    const struct block_index *past = chain_ancestor(bi, height - count);
    uint64_t txcount = chain_tx_count(bi);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_integer((json_int_t)bi->hdr.time));
    json_object_set_new(o, "txcount", json_integer((json_int_t)txcount));
    json_object_set_new(o, "window_final_block_hash", json_hash(bi->hash));
    json_object_set_new(o, "window_final_block_height", json_integer((json_int_t)height));
    json_object_set_new(o, "window_block_count", json_integer((json_int_t)count));
    if (count > 0 && past) {
        uint64_t wtx = txcount - chain_tx_count(past);
        uint64_t mt = block_median_time(bi), pmt = block_median_time(past);
        json_int_t interval = (json_int_t)mt - (json_int_t)pmt;
        json_object_set_new(o, "window_tx_count", json_integer((json_int_t)wtx));
        json_object_set_new(o, "window_interval", json_integer(interval));
        if (interval > 0)
            json_object_set_new(o, "txrate", json_real((double)wtx / (double)interval));
    }
    return o;
}

const struct rpc_method blockchain_rpc_methods[] = {
    {
        .category = "Blockchain",
        .name = "getchaintips",
        .handler = getchaintips,
        .summary = "Return information about all known tips in the block tree, including the "
                   "main chain as well as orphaned branches.",
        .result = "[ {\n"
                  "  \"height\": n,        (height of the chain tip)\n"
                  "  \"hash\": \"hex\",     (block hash of the tip)\n"
                  "  \"branchlen\": n,     (zero for the main chain, otherwise length of the "
                  "branch connecting the tip to the main chain)\n"
                  "  \"status\": \"str\"    (active, valid-fork, valid-headers, headers-only, "
                  "invalid)\n"
                  "}, ... ]",
        .examples = "fml-cli getchaintips",
    },
    {
        .category = "Blockchain",
        .name = "invalidateblock",
        .handler = invalidateblock,
        .summary = "Permanently marks a block as invalid, as if it violated a consensus rule; "
                   "the node moves to the best chain without it (never deeper than the "
                   "finality depth).",
        .args = {{"blockhash", RPC_STR, true, NULL, "the hash of the block to mark as invalid"}},
        .result = "null",
        .examples = "fml-cli invalidateblock \"blockhash\"",
    },
    {
        .category = "Blockchain",
        .name = "reconsiderblock",
        .handler = reconsiderblock,
        .summary = "Removes invalidity status of a block, its ancestors and its descendants, "
                   "reconsider them for activation.",
        .args = {{"blockhash", RPC_STR, true, NULL, "the hash of the block to reconsider"}},
        .result = "null",
        .examples = "fml-cli reconsiderblock \"blockhash\"",
    },
    {
        .category = "Blockchain",
        .name = "getblockchaininfo",
        .handler = getblockchaininfo,
        .summary = "Returns an object containing various state info regarding blockchain processing.",
        .result = "{\n"
                  "  \"chain\": \"str\",          (network name: main, test, regtest)\n"
                  "  \"blocks\": n,             (height of the active chain's tip)\n"
                  "  \"headers\": n,            (height of the best known header)\n"
                  "  \"bestblockhash\": \"hex\",  (hash of the tip)\n"
                  "  \"slot\": n,               (slot of the tip)\n"
                  "  \"epoch\": n,              (epoch of the tip)\n"
                  "  \"time\": n,               (tip time, unix seconds)\n"
                  "  \"mediantime\": n,         (median of the last 11 block times up to the tip)\n"
                  "  \"verificationprogress\": x.xxx, (0..1: the smaller of (tip time - genesis time)\n"
                  "                           / (now - genesis time) and blocks / headers; 1 when\n"
                  "                           the tip is not behind the clock nor the headers)\n"
                  "  \"initialblockdownload\": b, (true while syncing: headers known beyond the tip,\n"
                  "                           or a tip older than 24 hours by the node's clock)\n"
                  "  \"stateroot\": \"hex\",      (state root after the tip)\n"
                  "  \"genesis\": \"hex\",        (genesis block hash)\n"
                  "  \"supply\": n,             (FML in existence)\n"
                  "  \"finalized_height\": n,   (height of the last finalized block: the chain\n"
                  "                           never leaves it; 0 until a checkpoint is)\n"
                  "  \"finalizedblockhash\": \"hex\", (its hash)\n"
                  "  \"justified_height\": n,   (height of the last justified checkpoint)\n"
                  "  \"justifiedblockhash\": \"hex\", (its hash)\n"
                  "  \"finality_depth\": n,     (deepest reorganization ever made, the fallback\n"
                  "                           while nothing deeper is finalized)\n"
                  "  \"size_on_disk\": n,       (bytes of block files)\n"
                  "  \"pruned\": false,\n"
                  "  \"warnings\": \"str\"\n"
                  "}",
        .examples = "fml-cli getblockchaininfo",
    },
    {
        .category = "Blockchain",
        .name = "getblockcount",
        .handler = getblockcount,
        .unlocked = true,
        .fast = true,
        .summary = "Returns the height of the most-work fully-validated chain.",
        .result = "n    (numeric) the current block count",
        .examples = "fml-cli getblockcount",
    },
    {
        .category = "Blockchain",
        .name = "getbestblockhash",
        .handler = getbestblockhash,
        .unlocked = true,
        .fast = true,
        .summary = "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
        .result = "\"hex\"    (string) the block hash, hex-encoded",
        .examples = "fml-cli getbestblockhash",
    },
    {
        .category = "Blockchain",
        .name = "getblockhash",
        .handler = getblockhash,
        .summary = "Returns hash of block in best-block-chain at height provided.",
        .args = {{"height", RPC_UINT, true, NULL, "The height index"}},
        .result = "\"hex\"    (string) The block hash",
        .examples = "fml-cli getblockhash 1000",
    },
    {
        .category = "Blockchain",
        .name = "getblock",
        .handler = getblock,
        .unlocked = true, /* takes the node lock itself, for the part that needs it */
        .summary = "If verbosity is 0, returns a string that is hex-encoded data for block "
                   "'hash'.\nIf verbosity is 1, returns an Object with information about block "
                   "<hash>.\nIf verbosity is 2, returns an Object with information about block "
                   "<hash> and information about each transaction.",
        .args = {{"blockhash", RPC_STR, true, NULL, "The block hash"},
                 {"verbosity", RPC_UINT, false, "1",
                  "0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with "
                  "transaction data"}},
        .result = "Verbosity 0: \"hex\"\n"
                  "Verbosity 1: {\"hash\", \"confirmations\", \"size\", \"height\", "
                  "\"version\", \"merkleroot\", \"stateroot\", \"time\", \"mediantime\" (median of the\n"
                  "last 11 block times up to this one), \"slot\", \"epoch\", "
                  "\"proposer\", \"randao_reveal\", \"signature\", \"nTx\", "
                  "\"previousblockhash\", \"nextblockhash\", \"tx\": [txid, ...]}\n"
                  "Verbosity 2: as 1 with \"tx\": [{\"txid\", \"version\", \"type\", "
                  "\"sender\", \"nonce\", \"fee\", \"size\", \"payload\", \"signature\"}, ...]",
        .examples = "fml-cli getblock \"hash\" 2\n"
                    "curl --user user:pass --data-binary '{\"jsonrpc\":\"2.0\",\"id\":1,"
                    "\"method\":\"getblock\",\"params\":[\"hash\"]}' http://127.0.0.1:28732/",
    },
    {
        .category = "Blockchain",
        .name = "getblockheader",
        .handler = getblockheader,
        .summary = "If verbose is false, returns a string that is serialized, hex-encoded data "
                   "for blockheader 'hash'.\nIf verbose is true, returns an Object with "
                   "information about blockheader <hash>.",
        .args = {{"blockhash", RPC_STR, true, NULL, "The block hash"},
                 {"verbose", RPC_BOOL, false, "true", "true for a json object, false for the hex-encoded data"}},
        .result = "As getblock verbosity 1 without \"size\" and \"tx\", or the 252-byte header "
                  "as hex",
        .examples = "fml-cli getblockheader \"hash\"",
    },
    {
        .category = "Blockchain",
        .name = "getaccount",
        .handler = getaccount,
        .unlocked = true, /* the read view; the mempool's own lock for next_nonce */
        .summary = "Returns the state of an account at the tip: balance and nonce, the nonce "
                   "its next transaction needs counting the mempool, and its validator record "
                   "if it is one. The state comes from the last published tip and never waits "
                   "for a block being connected; next_nonce reads the mempool under its own "
                   "lock, which is never held across a block connection.",
        .args = {{"address", RPC_STR, true, NULL, "The account address"},
                 {"include_mempool", RPC_BOOL, false, "true",
                  "Add next_nonce, counting the mempool"}},
        .result = "{\n"
                  "  \"address\": \"str\",\n"
                  "  \"balance\": n,        (FML)\n"
                  "  \"nonce\": n,          (transactions sent and confirmed)\n"
                  "  \"next_nonce\": n,     (nonce for the next transaction, counting the mempool;\n"
                  "                        not with include_mempool false)\n"
                  "  \"validator\": {\"self_stake\", \"delegated\", \"status\"}   (validators only)\n"
                  "}",
        .examples = "fml-cli getaccount rfml1q...\n"
                    "fml-cli getaccount rfml1q... false",
    },
    {
        .category = "Blockchain",
        .name = "getblockstats",
        .handler = getblockstats,
        .summary = "Compute per block statistics for a given window. All amounts are in base "
                   "units (1e-8 FML), fee rates in base units per byte of the encoded "
                   "transaction, rounded down. Reads the one block from the block store.",
        .args = {{"hash_or_height", RPC_ANY, true, NULL,
                  "The block hash or height of the target block (of the active chain)"},
                 {"stats", RPC_ARR, false, "all values",
                  "Values to plot (see result below), as an array of names"}},
        .result = "{\n"
                  "  \"avgfee\": n,              (average fee in the block, rounded down)\n"
                  "  \"avgfeerate\": n,          (total fee / total size, rounded down)\n"
                  "  \"avgtxsize\": n,           (average transaction size, rounded down)\n"
                  "  \"blockhash\": \"hex\",       (the block hash)\n"
                  "  \"feerate_percentiles\": [n, n, n, n, n], (fee rates at the 10th, 25th, 50th,\n"
                  "                            75th and 90th percentile of the block's bytes)\n"
                  "  \"height\": n,              (the height of the block)\n"
                  "  \"maxfee\": n,              (maximum fee in the block)\n"
                  "  \"maxfeerate\": n,          (maximum fee rate in the block)\n"
                  "  \"maxtxsize\": n,           (maximum transaction size)\n"
                  "  \"medianfee\": n,           (truncated median fee in the block)\n"
                  "  \"mediantime\": n,          (median of the last 11 block times)\n"
                  "  \"mediantxsize\": n,        (truncated median transaction size)\n"
                  "  \"minfee\": n,              (minimum fee in the block; 0 without transactions)\n"
                  "  \"minfeerate\": n,          (minimum fee rate in the block)\n"
                  "  \"mintxsize\": n,           (minimum transaction size)\n"
                  "  \"time\": n,                (the block time)\n"
                  "  \"total_size\": n,          (total size of all transactions)\n"
                  "  \"totalfee\": n,            (the fee total)\n"
                  "  \"txs\": n,                 (the number of transactions)\n"
                  "  \"types\": {\"type\": n, ...} (the number of transactions of each type present)\n"
                  "}\n"
                  "Median fee and size: the middle value, or the mean of the two middle ones rounded "
                  "down. Without transactions every count, fee and size is 0. Inputs, outputs and "
                  "UTXO figures of bitcoind do not apply to accounts and are not given.",
        .examples = "fml-cli getblockstats '\"hash\"' '[\"minfeerate\",\"avgfeerate\"]'\n"
                    "fml-cli getblockstats 1000 '[\"minfeerate\",\"avgfeerate\"]'\n"
                    "curl --user user:pass --data-binary '{\"jsonrpc\":\"2.0\",\"id\":1,"
                    "\"method\":\"getblockstats\",\"params\":[1000]}' http://127.0.0.1:28732/",
    },
    {
        .category = "Blockchain",
        .name = "getchaintxstats",
        .handler = getchaintxstats,
        .summary = "Compute statistics about the total number and rate of transactions in the "
                   "chain. Counts come from the in-memory block index (no block is read).",
        .args = {{"nblocks", RPC_UINT, false, "one month",
                  "Size of the window in number of blocks (at most the block's height - 1)"},
                 {"blockhash", RPC_STR, false, "chain tip",
                  "The hash of the block that ends the window (of the active chain)"}},
        .result = "{\n"
                  "  \"time\": n,                      (the timestamp for the final block in the window)\n"
                  "  \"txcount\": n,                   (the total number of transactions in the chain up\n"
                  "                                  to that point)\n"
                  "  \"window_final_block_hash\": \"hex\", (the hash of the final block in the window)\n"
                  "  \"window_final_block_height\": n, (the height of the final block in the window)\n"
                  "  \"window_block_count\": n,        (size of the window in number of blocks)\n"
                  "  \"window_tx_count\": n,           (the number of transactions in the window; only\n"
                  "                                  when window_block_count > 0)\n"
                  "  \"window_interval\": n,           (the elapsed time in the window in seconds, between\n"
                  "                                  the median times of its final block and of the block\n"
                  "                                  before its first; only when window_block_count > 0)\n"
                  "  \"txrate\": x.xx                  (the average rate of transactions per second in the\n"
                  "                                  window; only when window_interval > 0)\n"
                  "}\n"
                  "One month is 2592000 seconds of slots, capped at the block's height - 1.",
        .examples = "fml-cli getchaintxstats\nfml-cli getchaintxstats 2016",
    },
    {
        .category = "Util",
        .name = "validateaddress",
        .handler = validateaddress,
        .summary = "Return information about the given address (no wallet needed).",
        .args = {{"address", RPC_STR, true, NULL, "The address to validate"}},
        .result = "{\n"
                  "  \"isvalid\": true|false,  (if the address is a valid address of this network;\n"
                  "                          the only field besides error and hrp when false)\n"
                  "  \"address\": \"str\",       (the address, as the node writes it)\n"
                  "  \"pubkey\": \"hex\",        (the 32-byte x-only public key the address encodes)\n"
                  "  \"hrp\": \"str\",           (the human-readable part: fml, tfml, rfml; also\n"
                  "                          given for an invalid address whose checksum is right)\n"
                  "  \"chain\": \"str\",         (the network: main, test, regtest)\n"
                  "  \"error\": \"str\"          (why the address is invalid; only when invalid)\n"
                  "}",
        .examples = "fml-cli validateaddress \"rfml1q...\"",
    },
    {
        .category = "Util",
        .name = "verifymessage",
        .handler = verifymessage,
        .summary = "Verify a signed message (no wallet needed).  The signature is a BIP340 "
                   "Schnorr signature, as 128 hex digits, by the address's key over "
                   "BLAKE2b-256 of the message with personalization \"FML/message\" (zero-padded "
                   "to 16 bytes).",
        .args = {{"address", RPC_STR, true, NULL, "The address of the signer"},
                 {"signature", RPC_STR, true, NULL,
                  "The signature from signmessage (128 hex digits)"},
                 {"message", RPC_STR, true, NULL, "The message that was signed"}},
        .result = "true|false    (boolean) If the signature is valid for the address and message",
        .examples = "fml-cli verifymessage \"rfml1q...\" \"sig\" \"my message\"",
    },
};
const size_t blockchain_rpc_methods_count =
    sizeof(blockchain_rpc_methods) / sizeof(blockchain_rpc_methods[0]);
