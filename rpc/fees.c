/* The fee estimate (see fees.h) and estimatesmartfee. */
#include "rpc/fees.h"
#include "consensus/params.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/modules.h"
#include "util/hmap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Buckets of fee rates about 10% apart: bucket b holds the rates from
 * bucket_low[b] up to bucket_low[b + 1] - 1. */
#define FEE_BUCKETS 480
static uint64_t bucket_low[FEE_BUCKETS];

static void buckets_init(void)
{
    bucket_low[0] = 0;
    bucket_low[1] = 1;
    for (size_t b = 2; b < FEE_BUCKETS; b++) {
        uint64_t prev = bucket_low[b - 1], step = prev / 10 ? prev / 10 : 1;
        bucket_low[b] = prev > UINT64_MAX - step ? UINT64_MAX : prev + step;
    }
}

struct sample {
    uint64_t rate;
    uint32_t wait;
};

struct block_rec {
    uint8_t hash[HASH_SIZE];
    struct sample *s;
    uint32_t n;
};

struct fee_estimator {
    struct chain *chain;
    struct mempool *mp;
    struct hmap tracked; /* txid -> (uintptr_t)(height at entry + 1) */
    /* The txids put in tracked, oldest first (a ring once full): a new entry
     * past FEE_MAX_TRACKED pushes out the oldest one, whether it is still
     * pooled, mined already (no longer in tracked) or gone unmined. */
    uint8_t (*order)[HASH_SIZE];
    size_t order_cap;   /* allocated (grows to FEE_MAX_TRACKED) */
    size_t order_n;     /* held */
    size_t order_head;  /* oldest, once full */
    uint64_t visits;    /* entries examined to make room, since start */
    struct block_rec ring[FEE_WINDOW_BLOCKS];
    size_t head;  /* next slot to fill */
    size_t count; /* records held */
};

static uint64_t tx_rate(const struct tx *tx, size_t size)
{
    return size ? (uint64_t)(((unsigned __int128)tx->fee * 1000) / size) : 0;
}

static size_t bucket_of(uint64_t rate)
{
    size_t lo = 0, hi = FEE_BUCKETS - 1; /* the last b with bucket_low[b] <= rate */
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (bucket_low[mid] <= rate)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Makes room for one more entry: the oldest recorded txid is dropped (a
 * no-op when it was mined already).  O(1). */
static void evict_oldest(struct fee_estimator *fe)
{
    fe->visits++;
    hmap_remove(&fe->tracked, fe->order[fe->order_head], HASH_SIZE);
    fe->order_head = (fe->order_head + 1) % FEE_MAX_TRACKED;
    fe->order_n--;
}

void fee_estimator_track(struct fee_estimator *fe, const uint8_t txid[HASH_SIZE], uint64_t height)
{
    if (fe->order_n == FEE_MAX_TRACKED)
        evict_oldest(fe);
    else if (fe->order_n == fe->order_cap) { /* not full yet: order_head is 0 */
        size_t cap = fe->order_cap ? fe->order_cap * 2 : 1024;
        if (cap > FEE_MAX_TRACKED)
            cap = FEE_MAX_TRACKED;
        void *p = realloc(fe->order, cap * HASH_SIZE);
        if (!p)
            return; /* out of memory: this one goes unmeasured */
        fe->order = p;
        fe->order_cap = cap;
    }
    if (!hmap_put(&fe->tracked, txid, HASH_SIZE, (void *)(uintptr_t)(height + 1), NULL))
        return;
    memcpy(fe->order[(fe->order_head + fe->order_n) % FEE_MAX_TRACKED], txid, HASH_SIZE);
    fe->order_n++;
}

size_t fee_estimator_tracked(const struct fee_estimator *fe)
{
    return hmap_count(&fe->tracked);
}

uint64_t fee_estimator_visits(const struct fee_estimator *fe)
{
    return fe->visits;
}

static void on_added(void *arg, const struct mempool_entry *e)
{
    const struct txrules *r = txrules_get(e->tx.type);
    if (r && r->own_replay)
        return; /* finality votes: taken first whatever they pay, no fee signal */
    fee_estimator_track(arg, e->txid, e->height);
}

static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct fee_estimator *fe = arg;
    struct sample *all = malloc((b->ntx ? b->ntx : 1) * sizeof(*all));
    size_t n = 0;
    if (!all)
        return;
    for (size_t i = 0; i < b->ntx; i++) {
        void *v = hmap_remove(&fe->tracked, b->txids[i], HASH_SIZE);
        if (!v)
            continue; /* not seen in our pool: how long it waited is unknown */
        uint64_t entered = (uint64_t)(uintptr_t)v - 1;
        uint64_t wait = bi->hdr.height > entered ? bi->hdr.height - entered : 1;
        all[n].rate = tx_rate(&b->txs[i], tx_encoded_size(&b->txs[i]));
        all[n].wait = wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
        n++;
    }
    /* At most FEE_BLOCK_SAMPLES, evenly spread over the block's order. */
    if (n > FEE_BLOCK_SAMPLES) {
        for (size_t k = 0; k < FEE_BLOCK_SAMPLES; k++)
            all[k] = all[k * n / FEE_BLOCK_SAMPLES];
        n = FEE_BLOCK_SAMPLES;
    }
    struct block_rec *r = &fe->ring[fe->head];
    free(r->s);
    r->s = all;
    r->n = (uint32_t)n;
    memcpy(r->hash, bi->hash, HASH_SIZE);
    fe->head = (fe->head + 1) % FEE_WINDOW_BLOCKS;
    if (fe->count < FEE_WINDOW_BLOCKS)
        fe->count++;
}

static void on_disconnected(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)b;
    struct fee_estimator *fe = arg;
    if (fe->count == 0)
        return;
    size_t last = (fe->head + FEE_WINDOW_BLOCKS - 1) % FEE_WINDOW_BLOCKS;
    struct block_rec *r = &fe->ring[last];
    if (memcmp(r->hash, bi->hash, HASH_SIZE) != 0)
        return;
    free(r->s);
    memset(r, 0, sizeof(*r));
    fe->head = last;
    fe->count--;
}

struct fee_estimator *fee_estimator_new(struct chain *c, struct mempool *mp)
{
    struct fee_estimator *fe = calloc(1, sizeof(*fe));
    if (!fe)
        return NULL;
    buckets_init();
    fe->chain = c;
    fe->mp = mp;
    hmap_init(&fe->tracked);
    struct chain_listener l = {.connected = on_connected, .disconnected = on_disconnected,
                               .arg = fe};
    chain_add_listener(c, &l);
    mempool_add_listener(mp, on_added, fe);
    return fe;
}

void fee_estimator_free(struct fee_estimator *fe)
{
    if (!fe)
        return;
    chain_remove_listener(fe->chain, fe);
    mempool_remove_listener(fe->mp, fe);
    for (size_t i = 0; i < FEE_WINDOW_BLOCKS; i++)
        free(fe->ring[i].s);
    hmap_free(&fe->tracked, NULL);
    free(fe->order);
    free(fe);
}

void fee_estimate(const struct fee_estimator *fe, uint32_t target, unsigned threshold_pct,
                  struct fee_estimate *out)
{
    uint64_t ok[FEE_BUCKETS], total[FEE_BUCKETS], min_ok[FEE_BUCKETS];
    memset(out, 0, sizeof(*out));
    out->floor = mempool_required_fee_rate(fe->mp);
    out->blocks = fe->count;
    if (fe->count == 0)
        return;
    memset(ok, 0, sizeof(ok));
    memset(total, 0, sizeof(total));
    for (size_t i = 0; i < FEE_BUCKETS; i++)
        min_ok[i] = UINT64_MAX;
    for (size_t i = 0; i < FEE_WINDOW_BLOCKS; i++) {
        const struct block_rec *r = &fe->ring[i];
        for (uint32_t k = 0; k < r->n; k++) {
            size_t b = bucket_of(r->s[k].rate);
            total[b]++;
            out->samples++;
            if (r->s[k].wait <= target) {
                ok[b]++;
                if (r->s[k].rate < min_ok[b])
                    min_ok[b] = r->s[k].rate;
            }
        }
    }
    /* Pooled transactions that waited target blocks already did not
     * confirm within it; when none waited at all (every one arrived after
     * the last block) and the pool fits in a block, blocks are not full. */
    size_t n = 0;
    const struct mempool_entry **es = mempool_entries(fe->mp, &n);
    uint64_t tip = chain_height(fe->chain);
    bool backlog = false;
    for (size_t i = 0; es && i < n; i++) {
        uint64_t waited = tip > es[i]->height ? tip - es[i]->height : 0;
        if (waited > 0)
            backlog = true;
        if (waited >= target)
            total[bucket_of(tx_rate(&es[i]->tx, es[i]->size))]++;
    }
    free(es);
    const struct chain_params *p = chain_params(fe->chain);
    if (!backlog && mempool_bytes(fe->mp) + BLOCK_HEADER_SIZE + 9 <= p->max_block_size &&
        n <= p->max_block_txs) {
        out->found = true;
        out->rate = out->floor;
        return;
    }
    uint64_t g_ok = 0, g_total = 0, g_min = UINT64_MAX, best = UINT64_MAX;
    for (size_t b = FEE_BUCKETS; b-- > 0;) {
        g_ok += ok[b];
        g_total += total[b];
        if (min_ok[b] < g_min)
            g_min = min_ok[b];
        if (g_total < FEE_MIN_GROUP)
            continue;
        if (g_ok * 100 < (uint64_t)threshold_pct * g_total)
            break;
        best = g_min;
        g_ok = g_total = 0;
        g_min = UINT64_MAX;
    }
    if (best == UINT64_MAX)
        return;
    out->found = true;
    out->rate = best > out->floor ? best : out->floor;
}

/* ---- estimatesmartfee ---- */

static json_t *estimatesmartfee(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    int64_t target = rpc_int(call, 0, 0);
    const char *mode = rpc_str(call, 1, "unset");
    unsigned threshold;

    if (target < 1 || target > FEE_WINDOW_BLOCKS)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Invalid conf_target, must be between 1 and %d", FEE_WINDOW_BLOCKS);
    if (!strcasecmp(mode, "unset") || !strcasecmp(mode, "economical"))
        threshold = FEE_THRESHOLD_ECONOMICAL;
    else if (!strcasecmp(mode, "conservative"))
        threshold = FEE_THRESHOLD_CONSERVATIVE;
    else
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Invalid estimate_mode parameter, must be one of: \"unset\", "
                         "\"economical\", \"conservative\"");

    json_t *o = json_object();
    struct fee_estimate est = {0};
    if (env->fees)
        fee_estimate(env->fees, (uint32_t)target, threshold, &est);
    if (est.found) {
        json_object_set_new(o, "feerate", json_amount(est.rate));
    } else {
        json_t *errs = json_array();
        json_array_append_new(errs, json_string("Insufficient data or no feerate found"));
        json_object_set_new(o, "errors", errs);
    }
    json_object_set_new(o, "blocks", json_integer(target));
    return o;
}

const struct rpc_method fees_rpc_methods[] = {
    {
        .category = "Util",
        .name = "estimatesmartfee",
        .handler = estimatesmartfee,
        .summary =
            "Estimate the fee rate (FML per 1000 bytes of transaction) needed for a transaction "
            "to be included within conf_target blocks, from what this node saw since it started: "
            "for the last 1008 blocks connected, the fee rates of up to 500 included transactions "
            "per block that had entered its mempool and how many blocks each waited (block height "
            "minus the height at entry), plus the pooled transactions that have waited "
            "conf_target blocks already (as not confirmed in time).  The answer is the lowest fee "
            "rate at which at least 85% (95% when conservative) of the transactions paying that "
            "rate or more confirmed within conf_target blocks (rates in buckets 10% apart, judged "
            "from the highest down in groups of at least 4 transactions, stopping at the first "
            "group below the threshold).  It is never below the fee rate the mempool requires now "
            "(-minrelaytxfee, raised while the pool is full), and it is that minimum when the "
            "blocks are not full: every pooled transaction arrived after the last block and the "
            "pool fits in one block.  Without any block seen since start, or when no rate passes, "
            "the result holds \"errors\" instead of \"feerate\".  Nothing is kept across restarts.",
        .args = {{"conf_target", RPC_INT, true, NULL, "Confirmation target in blocks (1 - 1008)"},
                 {"estimate_mode", RPC_STR, false, "\"unset\"",
                  "The fee estimate mode, case-insensitive: \"unset\" or \"economical\" (85% of "
                  "transactions confirmed within the target), \"conservative\" (95%)"}},
        .result = "{\n"
                  "  \"feerate\": n,      (numeric, optional) estimated fee rate in FML per 1000 "
                  "bytes\n"
                  "  \"errors\": [\"str\"], (array, optional) errors met while estimating (no "
                  "feerate then)\n"
                  "  \"blocks\": n        (numeric) the block number the estimate is for "
                  "(conf_target)\n"
                  "}",
        .examples = "fml-cli estimatesmartfee 6\n"
                    "fml-cli estimatesmartfee 2 conservative\n"
                    "curl --user myusername --data-binary '{\"jsonrpc\": \"1.0\", \"id\": "
                    "\"curltest\", \"method\": \"estimatesmartfee\", \"params\": [6]}' -H "
                    "'content-type: text/plain;' http://127.0.0.1:18443/",
    },
};
const size_t fees_rpc_methods_count = sizeof(fees_rpc_methods) / sizeof(fees_rpc_methods[0]);
