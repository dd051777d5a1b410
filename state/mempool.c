/* The mempool (see mempool.h). */
#include "state/mempool.h"
#include "consensus/params.h"
#include "state/apply.h"
#include "state/accounts.h"
#include "state/chain.h"
#include "util/hmap.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* A sender's pooled transactions: txs[i] has nonce base + i. */
struct run {
    uint8_t sender[PUBKEY_SIZE];
    struct mempool_entry **txs;
    size_t n, cap;
};

struct mempool {
    struct chain *chain;
    size_t max_bytes;
    size_t bytes;
    uint64_t min_fee_rate;
    uint64_t evicted_fee_rate; /* highest rate evicted since the last block */
    struct hmap by_txid;       /* txid -> entry */
    struct hmap by_sender;     /* sender -> run */
    struct tx *readd;          /* transactions of disconnected blocks */
    size_t nreadd;
    struct mempool_listener {
        void (*added)(void *arg, const struct mempool_entry *e);
        void *arg;
    } *listeners;
    size_t nlisteners;
};

void mempool_add_listener(struct mempool *mp,
                          void (*added)(void *arg, const struct mempool_entry *e), void *arg)
{
    struct mempool_listener *l = realloc(mp->listeners, (mp->nlisteners + 1) * sizeof(*l));
    if (!l)
        return;
    mp->listeners = l;
    mp->listeners[mp->nlisteners++] = (struct mempool_listener){added, arg};
}

void mempool_remove_listener(struct mempool *mp, void *arg)
{
    for (size_t i = 0; i < mp->nlisteners;)
        if (mp->listeners[i].arg == arg)
            memmove(&mp->listeners[i], &mp->listeners[i + 1],
                    (--mp->nlisteners - i) * sizeof(*mp->listeners));
        else
            i++;
}

static void entry_free(struct mempool_entry *e)
{
    if (!e)
        return;
    tx_free(&e->tx);
    free(e);
}

static void run_free(void *p)
{
    struct run *r = p;
    for (size_t i = 0; i < r->n; i++)
        entry_free(r->txs[i]);
    free(r->txs);
    free(r);
}

/* a's fee rate compared with b's, exactly (cross-multiplied). */
static int cmp_rate(uint64_t fee_a, size_t size_a, uint64_t fee_b, size_t size_b)
{
    unsigned __int128 x = (unsigned __int128)fee_a * size_b, y = (unsigned __int128)fee_b * size_a;
    return (x > y) - (x < y);
}

static uint64_t fee_rate(const struct mempool_entry *e)
{
    return (uint64_t)((unsigned __int128)e->tx.fee * 1000 / e->size);
}

static void block_ctx_for_next(struct mempool *mp, struct block_header *hdr, struct block_ctx *ctx)
{
    const struct block_index *tip = chain_tip(mp->chain);
    const struct chain_params *p = chain_params(mp->chain);
    memset(hdr, 0, sizeof(*hdr));
    hdr->height = tip->hdr.height + 1;
    hdr->slot = tip->hdr.slot + 1;
    hdr->time = params_slot_start(p, hdr->slot);
    block_ctx_init(ctx, p, hdr, &tip->hdr);
}

/* ---- removal ---- */

static void forget_entry(struct mempool *mp, struct mempool_entry *e)
{
    hmap_remove(&mp->by_txid, e->txid, HASH_SIZE);
    mp->bytes -= e->size;
    entry_free(e);
}

/* Drops txs[from..] of a run (a later nonce cannot stay without its
 * predecessor), and the run itself when it empties. */
static void run_truncate(struct mempool *mp, struct run *r, size_t from)
{
    while (r->n > from)
        forget_entry(mp, r->txs[--r->n]);
    if (r->n == 0)
        run_free(hmap_remove(&mp->by_sender, r->sender, PUBKEY_SIZE));
}

/* Drops txs[0..k) (they were mined). */
static void run_drop_front(struct mempool *mp, struct run *r, size_t k)
{
    for (size_t i = 0; i < k; i++)
        forget_entry(mp, r->txs[i]);
    memmove(r->txs, r->txs + k, (r->n - k) * sizeof(*r->txs));
    r->n -= k;
    if (r->n == 0)
        run_free(hmap_remove(&mp->by_sender, r->sender, PUBKEY_SIZE));
}

/* Re-checks a run against the tip state: mined nonces leave, and everything
 * from the first transaction that no longer applies is dropped. */
static void run_revalidate(struct mempool *mp, struct run *r)
{
    struct account acct;
    struct block_header hdr;
    struct block_ctx ctx;
    struct view *view;
    size_t stale = 0;

    if (!chain_get_account(mp->chain, r->sender, &acct))
        return;
    while (stale < r->n && r->txs[stale]->tx.nonce < acct.nonce)
        stale++;
    if (stale) {
        bool all = stale == r->n;
        run_drop_front(mp, r, stale);
        if (all)
            return;
    }
    view = chain_view(mp->chain);
    if (!view)
        return;
    block_ctx_for_next(mp, &hdr, &ctx);
    for (size_t i = 0; i < r->n; i++) {
        struct validation v;
        val_init(&v);
        if (!apply_tx(view, &ctx, &r->txs[i]->tx, &v)) {
            LOG_DEBUG(LOG_MEMPOOL, "dropping %zu transaction(s) no longer valid: %s", r->n - i,
                      v.reason);
            run_truncate(mp, r, i);
            break;
        }
    }
    view_free(view);
}

/* ---- adding ---- */

static struct run *run_get(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE], bool create)
{
    struct run *r = hmap_get(&mp->by_sender, sender, PUBKEY_SIZE);
    if (r || !create)
        return r;
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    memcpy(r->sender, sender, PUBKEY_SIZE);
    if (!hmap_put(&mp->by_sender, sender, PUBKEY_SIZE, r, NULL)) {
        free(r);
        return NULL;
    }
    return r;
}

static bool run_reserve(struct run *r)
{
    if (r->n < r->cap)
        return true;
    size_t cap = r->cap ? r->cap * 2 : 4;
    struct mempool_entry **t = realloc(r->txs, cap * sizeof(*t));
    if (!t)
        return false;
    r->txs = t;
    r->cap = cap;
    return true;
}

/* Applies the run with tx in position pos (replacing or appending) to the tip
 * state: the new transaction must apply. */
static bool check_in_run(struct mempool *mp, const struct run *r, size_t pos, const struct tx *tx,
                         struct validation *v)
{
    struct block_header hdr;
    struct block_ctx ctx;
    struct view *view = chain_view(mp->chain);
    bool ok = true;
    if (!view)
        return val_fail(v, VAL_ERROR, "out-of-memory");
    block_ctx_for_next(mp, &hdr, &ctx);
    for (size_t i = 0; ok && r && i < pos; i++)
        ok = apply_tx(view, &ctx, &r->txs[i]->tx, v);
    if (ok)
        ok = apply_tx(view, &ctx, tx, v);
    view_free(view);
    return ok;
}

/* Evicts run tails, lowest fee rate first, until the pool fits. */
static void trim_to_size(struct mempool *mp)
{
    while (mp->bytes > mp->max_bytes) {
        const struct hmap_slot *slot;
        struct run *worst = NULL;
        for (size_t i = 0; hmap_next(&mp->by_sender, &i, &slot);) {
            struct run *r = slot->val;
            const struct mempool_entry *tail = r->txs[r->n - 1];
            if (!worst) {
                worst = r;
                continue;
            }
            const struct mempool_entry *wt = worst->txs[worst->n - 1];
            if (cmp_rate(tail->tx.fee, tail->size, wt->tx.fee, wt->size) < 0)
                worst = r;
        }
        if (!worst)
            return;
        uint64_t rate = fee_rate(worst->txs[worst->n - 1]);
        if (rate > mp->evicted_fee_rate)
            mp->evicted_fee_rate = rate;
        run_truncate(mp, worst, worst->n - 1);
    }
}

bool mempool_add(struct mempool *mp, const struct tx *tx, uint64_t now, struct validation *v)
{
    const struct chain_params *p = chain_params(mp->chain);
    struct mempool_entry *e;
    struct account acct;
    struct run *r;
    uint8_t txid[HASH_SIZE];
    size_t size = tx_encoded_size(tx), pos;

    val_init(v);
    tx_txid(tx, txid);
    if (hmap_get(&mp->by_txid, txid, HASH_SIZE))
        return val_fail(v, VAL_DUPLICATE, "txn-already-in-mempool");
    if (!tx_check(tx, p, v))
        return false;
    if (cmp_rate(tx->fee, size, mempool_required_fee_rate(mp), 1000) < 0)
        return val_failf(v, VAL_POLICY, "min-fee-not-met", "fee rate below %llu units/kB",
                         (unsigned long long)mempool_required_fee_rate(mp));
    if (!chain_get_account(mp->chain, tx->sender, &acct))
        return val_fail(v, VAL_ERROR, "state-read-error");
    r = run_get(mp, tx->sender, false);
    size_t pooled = r ? r->n : 0;
    if (tx->nonce < acct.nonce)
        return val_failf(v, VAL_STATE, "bad-txns-nonce-too-low", "nonce %llu, account at %llu",
                         (unsigned long long)tx->nonce, (unsigned long long)acct.nonce);
    if (tx->nonce > acct.nonce + pooled)
        return val_failf(v, VAL_STATE, "bad-txns-nonce-too-high", "nonce %llu, expected %llu",
                         (unsigned long long)tx->nonce,
                         (unsigned long long)(acct.nonce + pooled));
    pos = (size_t)(tx->nonce - acct.nonce);
    if (pos < pooled) {
        /* Replacement: a higher fee rate and at least the incremental relay fee
         * more in absolute terms, so replacements cannot be used to spam. */
        const struct mempool_entry *old = r->txs[pos];
        uint64_t bump = (uint64_t)((unsigned __int128)MEMPOOL_INCREMENTAL_FEE_RATE * size / 1000);
        if (cmp_rate(tx->fee, size, old->tx.fee, old->size) <= 0 || tx->fee < old->tx.fee + bump)
            return val_failf(v, VAL_POLICY, "insufficient-fee",
                             "replacement needs a fee of at least %llu",
                             (unsigned long long)(old->tx.fee + bump));
    } else if (pooled >= MEMPOOL_MAX_RUN) {
        return val_fail(v, VAL_POLICY, "too-long-mempool-chain");
    }
    if (!check_in_run(mp, r, pos, tx, v))
        return false;

    e = calloc(1, sizeof(*e));
    if (!e || !tx_copy(&e->tx, tx)) {
        free(e);
        return val_fail(v, VAL_ERROR, "out-of-memory");
    }
    memcpy(e->txid, txid, HASH_SIZE);
    e->size = size;
    e->time = now;
    e->height = chain_height(mp->chain);
    if (!(r = run_get(mp, tx->sender, true)) || !run_reserve(r) ||
        !hmap_put(&mp->by_txid, txid, HASH_SIZE, e, NULL)) {
        entry_free(e);
        if (r && r->n == 0)
            run_free(hmap_remove(&mp->by_sender, r->sender, PUBKEY_SIZE));
        return val_fail(v, VAL_ERROR, "out-of-memory");
    }
    mp->bytes += size;
    if (pos < r->n) {
        forget_entry(mp, r->txs[pos]);
        r->txs[pos] = e;
        /* Later transactions may depend on what the replaced one did. */
        run_revalidate(mp, r);
    } else {
        r->txs[r->n++] = e;
    }
    trim_to_size(mp);
    if (!hmap_get(&mp->by_txid, txid, HASH_SIZE))
        return val_fail(v, VAL_POLICY, "mempool-full");
    LOG_DEBUG(LOG_MEMPOOL, "accepted tx nonce %llu (%zu bytes, %zu in pool)",
              (unsigned long long)tx->nonce, size, hmap_count(&mp->by_txid));
    for (size_t i = 0; i < mp->nlisteners; i++)
        mp->listeners[i].added(mp->listeners[i].arg, e);
    return true;
}

/* ---- chain events ---- */

static void on_disconnected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct mempool *mp = arg;
    (void)bi;
    struct tx *t = realloc(mp->readd, (mp->nreadd + b->ntx + 1) * sizeof(*t));
    if (!t)
        return;
    mp->readd = t;
    for (size_t i = 0; i < b->ntx; i++)
        if (tx_copy(&mp->readd[mp->nreadd], &b->txs[i]))
            mp->nreadd++;
}

static int cmp_tx_nonce(const void *a, const void *b)
{
    const struct tx *x = a, *y = b;
    int c = memcmp(x->sender, y->sender, PUBKEY_SIZE);
    if (c)
        return c;
    return (x->nonce > y->nonce) - (x->nonce < y->nonce);
}

static void on_tip_changed(void *arg, const struct block_index *tip)
{
    struct mempool *mp = arg;
    const struct hmap_slot *slot;
    struct run **runs;
    size_t n = 0;
    (void)tip;
    mp->evicted_fee_rate = 0;

    /* Every pooled transaction is checked again: the new state may close a
     * window or change a role, not only move nonces and balances. */
    runs = malloc((hmap_count(&mp->by_sender) + 1) * sizeof(*runs));
    if (runs) {
        for (size_t i = 0; hmap_next(&mp->by_sender, &i, &slot);)
            runs[n++] = slot->val;
        for (size_t i = 0; i < n; i++)
            run_revalidate(mp, runs[i]);
        free(runs);
    }

    /* Transactions of disconnected blocks come back if still valid, in nonce
     * order per sender. */
    if (mp->nreadd) {
        struct tx *readd = mp->readd;
        size_t count = mp->nreadd;
        mp->readd = NULL;
        mp->nreadd = 0;
        qsort(readd, count, sizeof(*readd), cmp_tx_nonce);
        for (size_t i = 0; i < count; i++) {
            struct validation v;
            if (mempool_add(mp, &readd[i], 0, &v))
                LOG_DEBUG(LOG_MEMPOOL, "re-added a transaction of a disconnected block");
            tx_free(&readd[i]);
        }
        free(readd);
    }
}

/* ---- queries ---- */

struct mempool *mempool_new(struct chain *chain, size_t max_bytes, uint64_t min_fee_rate)
{
    struct mempool *mp = calloc(1, sizeof(*mp));
    if (!mp)
        return NULL;
    mp->chain = chain;
    mp->max_bytes = max_bytes;
    mp->min_fee_rate = min_fee_rate;
    hmap_init(&mp->by_txid);
    hmap_init(&mp->by_sender);
    struct chain_listener l = {.disconnected = on_disconnected, .tip_changed = on_tip_changed, .arg = mp};
    chain_add_listener(chain, &l);
    return mp;
}

void mempool_free(struct mempool *mp)
{
    if (!mp)
        return;
    chain_remove_listener(mp->chain, mp);
    hmap_free(&mp->by_sender, run_free);
    hmap_free(&mp->by_txid, NULL);
    for (size_t i = 0; i < mp->nreadd; i++)
        tx_free(&mp->readd[i]);
    free(mp->readd);
    free(mp->listeners);
    free(mp);
}

bool mempool_has(const struct mempool *mp, const uint8_t txid[HASH_SIZE])
{
    return hmap_get(&mp->by_txid, txid, HASH_SIZE) != NULL;
}

const struct mempool_entry *mempool_get(const struct mempool *mp, const uint8_t txid[HASH_SIZE])
{
    return hmap_get(&mp->by_txid, txid, HASH_SIZE);
}

size_t mempool_count(const struct mempool *mp)
{
    return hmap_count(&mp->by_txid);
}

size_t mempool_bytes(const struct mempool *mp)
{
    return mp->bytes;
}

size_t mempool_max_bytes(const struct mempool *mp)
{
    return mp->max_bytes;
}

uint64_t mempool_min_fee_rate(const struct mempool *mp)
{
    return mp->min_fee_rate;
}

uint64_t mempool_required_fee_rate(const struct mempool *mp)
{
    uint64_t evicted = mp->evicted_fee_rate ? mp->evicted_fee_rate + MEMPOOL_INCREMENTAL_FEE_RATE : 0;
    return evicted > mp->min_fee_rate ? evicted : mp->min_fee_rate;
}

uint64_t mempool_next_nonce(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE])
{
    struct account acct;
    const struct run *r = run_get(mp, sender, false);
    if (!chain_get_account(mp->chain, sender, &acct))
        acct.nonce = 0;
    return acct.nonce + (r ? r->n : 0);
}

const struct mempool_entry **mempool_entries(const struct mempool *mp, size_t *n)
{
    const struct hmap_slot *slot;
    const struct mempool_entry **out = malloc((hmap_count(&mp->by_txid) + 1) * sizeof(*out));
    *n = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; hmap_next(&mp->by_txid, &i, &slot);)
        out[(*n)++] = slot->val;
    return out;
}

void mempool_remove(struct mempool *mp, const uint8_t txid[HASH_SIZE])
{
    const struct mempool_entry *e = hmap_get(&mp->by_txid, txid, HASH_SIZE);
    if (!e)
        return;
    struct run *r = run_get(mp, e->tx.sender, false);
    for (size_t i = 0; r && i < r->n; i++)
        if (r->txs[i] == e) {
            run_truncate(mp, r, i);
            return;
        }
}

/* Heads of runs ordered by fee rate (ties: smaller txid first, so the order
 * does not depend on the hash map's). */
struct head {
    const struct run *run;
    size_t next;
};

static bool head_better(const struct head *a, const struct head *b)
{
    const struct mempool_entry *x = a->run->txs[a->next], *y = b->run->txs[b->next];
    int c = cmp_rate(x->tx.fee, x->size, y->tx.fee, y->size);
    if (c)
        return c > 0;
    return memcmp(x->txid, y->txid, HASH_SIZE) < 0;
}

static void sift_down(struct head *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && head_better(&h[l], &h[m]))
            m = l;
        if (r < n && head_better(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        struct head t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

const struct mempool_entry **mempool_select(const struct mempool *mp, size_t *n)
{
    const struct hmap_slot *slot;
    size_t nruns = hmap_count(&mp->by_sender), count = 0;
    const struct mempool_entry **out = malloc((hmap_count(&mp->by_txid) + 1) * sizeof(*out));
    struct head *heap = malloc((nruns + 1) * sizeof(*heap));
    *n = 0;
    if (!out || !heap) {
        free(out);
        free(heap);
        return NULL;
    }
    for (size_t i = 0; hmap_next(&mp->by_sender, &i, &slot);)
        heap[count++] = (struct head){slot->val, 0};
    for (size_t i = count; i-- > 0;)
        sift_down(heap, count, i);
    while (count) {
        out[(*n)++] = heap[0].run->txs[heap[0].next];
        if (++heap[0].next == heap[0].run->n)
            heap[0] = heap[--count];
        sift_down(heap, count, 0);
    }
    free(heap);
    return out;
}
