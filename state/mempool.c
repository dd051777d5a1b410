/* The mempool (see mempool.h). */
#include "state/mempool.h"
#include "consensus/params.h"
#include "state/apply.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/modules.h"
#include "state/sigcheck.h"
#include "consensus/finality.h"
#include "consensus/fltx.h"
#include "consensus/txtypes.h"
#include "util/hmap.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A sender's pooled transactions: txs[i] has nonce base + i.  112 bytes,
 * so that the applied account did not make a run take more memory (the
 * allocator's 128). */
struct run {
    uint8_t sender[PUBKEY_SIZE];
    /* What the heaps compare, in 16 bytes of one cache line. */
    struct mempool_entry **txs;
    uint32_t n;                /* at most MEMPOOL_MAX_RUN */
    uint8_t low;               /* the index of its lowest fee rate (the first on a tie) */
    uint8_t last_ctx;          /* the index of its last context transaction (if any) */
    bool in_heap;
    bool in_ring;              /* in the ring of runs with context transactions */
    uint32_t ncontext;         /* transactions other than transfers */
    uint32_t bytes;            /* the encoded sizes of txs[0..n) */
    uint32_t cap;
    bool reveals_only;         /* every one a reveal (txrules[].reveal): evicted last */
    uint32_t heap_pos;         /* in the eviction heap (when in_heap) */
    uint32_t best_pos;         /* in the best-head heap (when in_heap) */
    struct run *rprev, *rnext; /* that ring */
    /* The sender's account after txs[0..n) applied to the tip state, kept
     * for runs of transfers only so that a transfer appended to the run is
     * applied alone on it.  Valid while applied_gen is the pool's tip_gen:
     * every block connected or disconnected moves tip_gen, and every change
     * of the run but an append that set it clears it. */
    struct account applied;
    uint64_t applied_gen;      /* 0: none */
};

_Static_assert(sizeof(struct run) <= 112, "a run takes one 128-byte allocation");

struct mempool {
    struct chain *chain;
    size_t max_bytes;
    size_t bytes;
    size_t usage;              /* accounted memory of entries and runs (tables apart) */
    uint64_t min_fee_rate;
    uint64_t evicted_fee_rate; /* highest rate evicted since the last block */
    struct hmap by_txid;       /* txid -> entry */
    struct hmap by_sender;     /* sender -> run */
    /* Runs with a transaction, worst tail (lowest fee rate) at the root; and
     * the same runs with the best head (highest fee rate) at the root, for
     * block building.  Both have room for every run in by_sender. */
    struct run **heap, **best;
    size_t nheap, heap_cap;
    struct run *ring;          /* next run with context transactions to re-check */
    size_t nring;
    struct hmap dirty;         /* senders a connected block touched -> (void *)1 */
    struct hmap fl_seats;      /* task -> pooled FL_JOINs into it */
    struct hmap fl_work;       /* start height (be64) -> pooled FL_JOINs reserving there */
    struct hmap arena_seats;   /* task | role -> pooled first ARENA_STAKEs taking a seat */
    struct hmap fl_expiry;     /* height (be64) -> struct txids: FL transactions whose
                                * window ends there */
    uint64_t expired_through;  /* heights whose FL transactions were dropped */
    bool reorg;                /* a block was disconnected: check everything */
    uint64_t work;
    struct tx *readd;          /* transactions of disconnected blocks */
    size_t nreadd;
    struct mempool_listener {
        void (*added)(void *arg, const struct mempool_entry *e);
        void *arg;
    } *listeners;
    size_t nlisteners;
    /* Transactions that prevent their own replay (txrules[].own_replay:
     * finality votes), outside the nonce runs: at most one per (sender,
     * target epoch), at most mempool_max_votes in all. */
    struct mempool_entry **votes;
    size_t nvotes, votes_cap;
    void (*vote_seen)(void *arg, const struct tx *tx);
    void *vote_seen_arg;
    /* The pool's own lock (mempool.h): held by every change of the pool
     * (they all run under the node lock, which is taken first) and by the
     * readers that run without the node lock. */
    pthread_mutex_t lock;
    /* Senders whose pooled transaction a block of the current activation
     * took -> their next nonce after it (uintptr_t).  A run that loses its
     * last transaction to a block goes, while the published read view may
     * still show the tip before that block: mempool_next_nonce_after reads
     * the nonce here.  Emptied when the next activation begins (the
     * published tip has caught up by then). */
    struct hmap mined;
    bool in_activation;        /* a block connected or disconnected since the last tip change */
    uint64_t tip_gen;          /* moves with every block connected or disconnected */
    bool run_cache;            /* use the runs' applied accounts (default) */
};

/* Marks the start of a change of the pool (the caller holds the node lock). */
static void pool_lock(struct mempool *mp)
{
    pthread_mutex_lock(&mp->lock);
}

static void pool_unlock(struct mempool *mp)
{
    pthread_mutex_unlock(&mp->lock);
}

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

/* ---- memory accounting ---- */

/* The heap bytes one malloc of n bytes takes on a 64-bit glibc: an 8-byte
 * header, rounded up to 16, at least 32 (bitcoind's memusage::MallocUsage). */
static size_t mem_alloc(size_t n)
{
    return n ? ((n + 31) >> 4) << 4 : 0;
}

/* An entry, its payload and its key copy in by_txid. */
static size_t entry_mem(const struct mempool_entry *e)
{
    return mem_alloc(sizeof(*e)) + mem_alloc(e->tx.payload_len) + mem_alloc(HASH_SIZE);
}

/* A run without its array: the struct and its key copy in by_sender. */
static size_t run_mem(void)
{
    return mem_alloc(sizeof(struct run)) + mem_alloc(PUBKEY_SIZE);
}

static bool is_context(const struct mempool_entry *e)
{
    return e->tx.type != TX_TRANSFER;
}

static void entry_free(struct mempool_entry *e)
{
    if (!e)
        return;
    tx_free(&e->tx);
    free(e);
}

/* Frees a run and its entries without any bookkeeping (the pool goes). */
static void run_free_raw(void *p)
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

/* A reveal (txrules[].reveal): the builder takes it first, within half of
 * a block, whatever the other transactions pay. */
static bool entry_is_reveal(const struct mempool_entry *e)
{
    const struct txrules *r = txrules_get(e->tx.type);
    return r && r->reveal;
}

static void block_ctx_for_next(const struct mempool *mp, struct block_header *hdr, struct block_ctx *ctx)
{
    const struct block_index *tip = chain_tip(mp->chain);
    const struct chain_params *p = chain_params(mp->chain);
    memset(hdr, 0, sizeof(*hdr));
    memcpy(hdr->prev, tip->hash, HASH_SIZE);
    hdr->height = tip->hdr.height + 1;
    hdr->slot = tip->hdr.slot + 1;
    hdr->time = params_slot_start(p, hdr->slot);
    block_ctx_init(ctx, p, hdr, &tip->hdr);
}

/* ---- the best-head heap: runs by the fee rate of their first transaction ---- */

/* True when entry x goes into a block before y: a higher fee rate, on a tie
 * the smaller txid. */
static bool entry_better(const struct mempool_entry *x, const struct mempool_entry *y)
{
    int c = cmp_rate(x->tx.fee, x->size, y->tx.fee, y->size);
    if (c)
        return c > 0;
    return memcmp(x->txid, y->txid, HASH_SIZE) < 0;
}

static void best_set(struct mempool *mp, size_t i, struct run *r)
{
    mp->best[i] = r;
    r->best_pos = i;
}

static void best_up(struct mempool *mp, size_t i)
{
    struct run *r = mp->best[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        mp->work++;
        if (!entry_better(r->txs[0], mp->best[parent]->txs[0]))
            break;
        best_set(mp, i, mp->best[parent]);
        i = parent;
    }
    best_set(mp, i, r);
}

static void best_down(struct mempool *mp, size_t i)
{
    struct run *r = mp->best[i];
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= mp->nheap)
            break;
        mp->work++;
        if (l + 1 < mp->nheap && entry_better(mp->best[l + 1]->txs[0], mp->best[l]->txs[0]))
            m = l + 1;
        if (!entry_better(mp->best[m]->txs[0], r->txs[0]))
            break;
        best_set(mp, i, mp->best[m]);
        i = m;
    }
    best_set(mp, i, r);
}

/* ---- the eviction heap: runs by their lowest fee rate ---- */

/* A run's transactions are mined in nonce order, so its last one is mined
 * no sooner than its cheapest: eviction, which can only take a run's last
 * transaction, goes by the run's lowest fee rate, the order blocks take
 * them in (a high fee on a small last transaction must not keep a cheap run
 * pooled for nothing). */
static void run_find_low(struct run *r)
{
    size_t low = 0, last_ctx = 0;
    for (size_t i = 1; i < r->n; i++)
        if (cmp_rate(r->txs[i]->tx.fee, r->txs[i]->size, r->txs[low]->tx.fee,
                     r->txs[low]->size) < 0)
            low = i;
    r->reveals_only = true;
    for (size_t i = 0; i < r->n; i++) {
        if (r->txs[i]->tx.type != TX_TRANSFER)
            last_ctx = i;
        if (!entry_is_reveal(r->txs[i]))
            r->reveals_only = false;
    }
    r->low = (uint8_t)low;
    r->last_ctx = (uint8_t)last_ctx;
}

/* True when a's tail goes before b's: runs of reveals last (a reveal must
 * land in its window, which transactions paying more and never mined, so
 * nearly free to their senders, must not take from it; there is at most one
 * reveal per committed participant and round, and each leaves at its
 * window's end), then a lower lowest fee rate, on a tie the larger txid of
 * the tail (so the order does not depend on the hash map's). */
static bool evict_before(const struct run *a, const struct run *b)
{
    const struct mempool_entry *x = a->txs[a->low], *y = b->txs[b->low];
    if (a->reveals_only != b->reveals_only)
        return b->reveals_only;
    int c = cmp_rate(x->tx.fee, x->size, y->tx.fee, y->size);
    if (c)
        return c < 0;
    return memcmp(a->txs[a->n - 1]->txid, b->txs[b->n - 1]->txid, HASH_SIZE) > 0;
}

static void heap_set(struct mempool *mp, size_t i, struct run *r)
{
    mp->heap[i] = r;
    r->heap_pos = i;
}

static void heap_up(struct mempool *mp, size_t i)
{
    struct run *r = mp->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        mp->work++;
        if (!evict_before(r, mp->heap[parent]))
            break;
        heap_set(mp, i, mp->heap[parent]);
        i = parent;
    }
    heap_set(mp, i, r);
}

static void heap_down(struct mempool *mp, size_t i)
{
    struct run *r = mp->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= mp->nheap)
            break;
        mp->work++;
        if (l + 1 < mp->nheap && evict_before(mp->heap[l + 1], mp->heap[l]))
            m = l + 1;
        if (!evict_before(mp->heap[m], r))
            break;
        heap_set(mp, i, mp->heap[m]);
        i = m;
    }
    heap_set(mp, i, r);
}

/* Room for one more run in the heap (taken when a run is created, so that
 * putting it in later cannot fail). */
static bool heap_reserve(struct mempool *mp, size_t n)
{
    if (n <= mp->heap_cap)
        return true;
    size_t cap = mp->heap_cap ? mp->heap_cap * 2 : 64;
    while (cap < n)
        cap *= 2;
    struct run **h = realloc(mp->heap, cap * sizeof(*h));
    if (!h)
        return false;
    mp->heap = h;
    h = realloc(mp->best, cap * sizeof(*h));
    if (!h)
        return false;
    mp->best = h;
    mp->heap_cap = cap;
    return true;
}

/* Takes a run out of both heaps. */
static void heap_remove(struct mempool *mp, struct run *r)
{
    size_t i = r->heap_pos, j = r->best_pos;
    struct run *last = mp->heap[--mp->nheap], *blast = mp->best[mp->nheap];
    r->in_heap = false;
    if (last != r) {
        heap_set(mp, i, last);
        heap_up(mp, i);
        heap_down(mp, last->heap_pos);
    }
    if (blast != r) {
        best_set(mp, j, blast);
        best_up(mp, j);
        best_down(mp, blast->best_pos);
    }
}

/* ---- the ring of runs with context transactions ---- */

static void ring_insert(struct mempool *mp, struct run *r)
{
    if (!mp->ring) {
        r->rprev = r->rnext = r;
        mp->ring = r;
    } else { /* just behind the cursor: checked last in the rotation */
        r->rnext = mp->ring;
        r->rprev = mp->ring->rprev;
        r->rprev->rnext = r;
        mp->ring->rprev = r;
    }
    r->in_ring = true;
    mp->nring++;
}

static void ring_remove(struct mempool *mp, struct run *r)
{
    if (mp->ring == r)
        mp->ring = r->rnext == r ? NULL : r->rnext;
    r->rprev->rnext = r->rnext;
    r->rnext->rprev = r->rprev;
    r->rprev = r->rnext = NULL;
    r->in_ring = false;
    mp->nring--;
}

/* ---- runs ---- */

static void run_destroy(struct mempool *mp, struct run *r)
{
    if (r->in_heap)
        heap_remove(mp, r);
    if (r->in_ring)
        ring_remove(mp, r);
    hmap_remove(&mp->by_sender, r->sender, PUBKEY_SIZE);
    mp->usage -= run_mem() + mem_alloc(r->cap * sizeof(*r->txs));
    run_free_raw(r);
}

/* After a run changed: frees it when empty, else puts it right in the heap
 * and the ring.  The run may be gone afterwards. */
static void run_changed(struct mempool *mp, struct run *r)
{
    if (r->n == 0) {
        run_destroy(mp, r);
        return;
    }
    run_find_low(r);
    if (!r->in_heap) {
        r->in_heap = true;
        heap_set(mp, mp->nheap, r); /* room reserved when the run was made */
        best_set(mp, mp->nheap, r);
        mp->nheap++;
        heap_up(mp, r->heap_pos);
        best_up(mp, r->best_pos);
    } else {
        heap_up(mp, r->heap_pos);
        heap_down(mp, r->heap_pos);
        best_up(mp, r->best_pos);
        best_down(mp, r->best_pos);
    }
    if (r->ncontext && !r->in_ring)
        ring_insert(mp, r);
    else if (!r->ncontext && r->in_ring)
        ring_remove(mp, r);
}

static struct run *run_get(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE], bool create)
{
    struct run *r = hmap_get(&mp->by_sender, sender, PUBKEY_SIZE);
    if (r || !create)
        return r;
    if (!heap_reserve(mp, hmap_count(&mp->by_sender) + 1))
        return NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    memcpy(r->sender, sender, PUBKEY_SIZE);
    if (!hmap_put(&mp->by_sender, sender, PUBKEY_SIZE, r, NULL)) {
        free(r);
        return NULL;
    }
    mp->usage += run_mem();
    return r;
}

static bool run_reserve(struct mempool *mp, struct run *r)
{
    if (r->n < r->cap)
        return true;
    size_t cap = r->cap ? r->cap * 2 : 1;
    struct mempool_entry **t = realloc(r->txs, cap * sizeof(*t));
    if (!t)
        return false;
    mp->usage += mem_alloc(cap * sizeof(*t)) - mem_alloc(r->cap * sizeof(*t));
    r->txs = t;
    r->cap = cap;
    return true;
}

/* ---- FL joins competing across senders ----
 * Joins of different senders compete for a task's seats and its start
 * height's work: each is checked against the tip alone, so without these
 * counts any number of them would be admitted, all but the first failing in
 * every block while filling the builder's candidates. */

static void claim_count(struct hmap *m, const void *key, size_t klen, bool add)
{
    uintptr_t n = (uintptr_t)hmap_get(m, key, klen);
    if (add)
        n++;
    else if (n)
        n--;
    if (n == 0)
        hmap_remove(m, key, klen);
    else
        (void)hmap_put(m, key, klen, (void *)n, NULL); /* out of memory: counted low */
}

static void claim_add(struct mempool *mp, struct mempool_entry *e)
{
    struct fl_join_claim c;
    struct view *v;
    uint8_t hk[8];
    e->fl_height = 0;
    if (e->tx.type != TX_FL_JOIN || !(v = chain_view(mp->chain)))
        return;
    if (fl_join_claim(v, &e->tx, &c)) {
        write_be64(hk, c.height);
        claim_count(&mp->fl_seats, c.task, FL_TASK_ID_SIZE, true);
        claim_count(&mp->fl_work, hk, sizeof(hk), true);
        e->fl_height = c.height;
    }
    view_free(v);
}

static void claim_release(struct mempool *mp, const struct mempool_entry *e)
{
    struct fl_join j;
    uint8_t hk[8];
    if (!e->fl_height || !fl_join_decode(&j, e->tx.payload, e->tx.payload_len))
        return;
    write_be64(hk, e->fl_height);
    claim_count(&mp->fl_seats, j.task, FL_TASK_ID_SIZE, false);
    claim_count(&mp->fl_work, hk, sizeof(hk), false);
}

/* A join is admitted while the seats and the start height's work left at
 * the tip cover it with the pooled joins of the same task and height (less
 * the transaction it replaces). */
static bool claim_fits(struct mempool *mp, const struct tx *tx,
                       const struct mempool_entry *replaced, struct validation *v)
{
    struct fl_join_claim c;
    struct fl_join j;
    struct view *view;
    uint8_t hk[8];
    if (tx->type != TX_FL_JOIN)
        return true;
    if (!(view = chain_view(mp->chain)))
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    bool claims = fl_join_claim(view, tx, &c);
    view_free(view);
    if (!claims)
        return true;
    write_be64(hk, c.height);
    uintptr_t seats = (uintptr_t)hmap_get(&mp->fl_seats, c.task, FL_TASK_ID_SIZE);
    uintptr_t work = (uintptr_t)hmap_get(&mp->fl_work, hk, sizeof(hk));
    if (replaced && replaced->fl_height &&
        fl_join_decode(&j, replaced->tx.payload, replaced->tx.payload_len)) {
        if (memcmp(j.task, c.task, FL_TASK_ID_SIZE) == 0 && seats)
            seats--;
        if (replaced->fl_height == c.height && work)
            work--;
    }
    if (seats >= c.seats_left)
        return val_failf(v, VAL_POLICY, REJECT_MEMPOOL_FL_FULL, "%u seats left, %zu joins pooled",
                         c.seats_left, (size_t)seats);
    if (work >= c.room)
        return val_failf(v, VAL_POLICY, REJECT_MEMPOOL_FL_QUEUE_FULL,
                         "%u work left at height %llu, %zu joins pooled", c.room,
                         (unsigned long long)c.height, (size_t)work);
    return true;
}

/* ---- Arena first stakes competing across senders ----
 * A sender's first ARENA_STAKE in a task takes a seat of its role, and a
 * task has at most max_trainers and max_validators of them.  Each stake is
 * checked against the tip alone, so without a count any number of senders'
 * first stakes would be admitted and relayed, all but the seats' worth
 * failing in every block, for no fee (they are never mined). */

#define ARENA_SEAT_KEY_SIZE (ARENA_TASK_ID_SIZE + 1)

/* Whether tx, at position pos of the sender's run r, is a first stake that
 * takes a seat: an ARENA_STAKE of a sender that is no operator of the task
 * at the tip and has no counted stake for the task earlier in its run.
 * *left: the seats of the role still free at the tip. */
static bool arena_seat_claim(struct mempool *mp, const struct tx *tx, const struct run *r,
                             size_t pos, uint8_t key[ARENA_SEAT_KEY_SIZE], unsigned *left)
{
    struct arena_stake s, e;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    struct view *v;
    bool claims = false;
    if (tx->type != TX_ARENA_STAKE || !arena_stake_decode(&s, tx->payload, tx->payload_len))
        return false;
    for (size_t i = 0; r && i < pos && i < r->n; i++)
        if (r->txs[i]->arena_seat &&
            arena_stake_decode(&e, r->txs[i]->tx.payload, r->txs[i]->tx.payload_len) &&
            memcmp(e.task, s.task, ARENA_TASK_ID_SIZE) == 0)
            return false;
    if (!(v = chain_view(mp->chain)))
        return false;
    if (arena_get_task(v, s.task, &t) && arena_get_status(v, s.task, &st) &&
        !arena_get_operator(v, s.task, tx->sender, &o) && !view_failed(v)) {
        unsigned max = s.role == ARENA_ROLE_TRAINER ? t.p.max_trainers : t.p.max_validators;
        unsigned taken = s.role == ARENA_ROLE_TRAINER ? st.n_trainers : st.n_validators;
        *left = taken < max ? max - taken : 0;
        memcpy(key, s.task, ARENA_TASK_ID_SIZE);
        key[ARENA_TASK_ID_SIZE] = s.role;
        claims = true;
    }
    view_free(v);
    return claims;
}

static void arena_seat_add(struct mempool *mp, struct mempool_entry *e, const struct run *r,
                           size_t pos)
{
    uint8_t key[ARENA_SEAT_KEY_SIZE];
    unsigned left;
    e->arena_seat = arena_seat_claim(mp, &e->tx, r, pos, key, &left);
    if (e->arena_seat)
        claim_count(&mp->arena_seats, key, sizeof(key), true);
}

static void arena_seat_release(struct mempool *mp, const struct mempool_entry *e)
{
    struct arena_stake s;
    uint8_t key[ARENA_SEAT_KEY_SIZE];
    if (!e->arena_seat || !arena_stake_decode(&s, e->tx.payload, e->tx.payload_len))
        return;
    memcpy(key, s.task, ARENA_TASK_ID_SIZE);
    key[ARENA_TASK_ID_SIZE] = s.role;
    claim_count(&mp->arena_seats, key, sizeof(key), false);
}

/* A first stake is admitted while the seats of its role left at the tip
 * cover it with the pooled first stakes (less the one it replaces). */
static bool arena_seat_fits(struct mempool *mp, const struct tx *tx, const struct run *r,
                            size_t pos, const struct mempool_entry *replaced,
                            struct validation *v)
{
    struct arena_stake s;
    uint8_t key[ARENA_SEAT_KEY_SIZE];
    unsigned left;
    if (!arena_seat_claim(mp, tx, r, pos, key, &left))
        return true;
    uintptr_t pooled = (uintptr_t)hmap_get(&mp->arena_seats, key, sizeof(key));
    if (replaced && replaced->arena_seat && pooled &&
        arena_stake_decode(&s, replaced->tx.payload, replaced->tx.payload_len) &&
        memcmp(s.task, key, ARENA_TASK_ID_SIZE) == 0 && s.role == key[ARENA_TASK_ID_SIZE])
        pooled--;
    if (pooled >= left)
        return val_failf(v, VAL_POLICY, REJECT_ARENA_TASK_FULL,
                         "%u seats of role %u left, %zu first stakes pooled", left,
                         key[ARENA_TASK_ID_SIZE], (size_t)pooled);
    return true;
}

/* FL transactions by the end of their window: the ones a block could not
 * take before it would otherwise stay, never valid again, until the
 * per-block rotation reached them, filling the builder's candidates (29
 * updates of 1 MB left from a submit window's last block kept two blocks
 * from taking any other transaction). */
struct txids {
    size_t n, cap;
    uint8_t (*ids)[HASH_SIZE];
};

static void txids_free(void *p)
{
    struct txids *t = p;
    if (t) {
        free(t->ids);
        free(t);
    }
}

static void expiry_add(struct mempool *mp, const struct mempool_entry *e)
{
    struct txids *t;
    struct view *v;
    uint8_t hk[8];
    uint64_t h;
    const struct txrules *rules = txrules_get(e->tx.type);
    if (!rules || !rules->expiry)
        return;
    if (!(v = chain_view(mp->chain)))
        return;
    h = rules->expiry(v, &e->tx);
    view_free(v);
    if (h <= mp->expired_through)
        return;
    write_be64(hk, h);
    if (!(t = hmap_get(&mp->fl_expiry, hk, sizeof(hk)))) {
        if (!(t = calloc(1, sizeof(*t))) || !hmap_put(&mp->fl_expiry, hk, sizeof(hk), t, NULL)) {
            free(t);
            return; /* out of memory: the rotation drops it later */
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4;
        uint8_t(*ids)[HASH_SIZE] = realloc(t->ids, cap * sizeof(*ids));
        if (!ids)
            return;
        t->ids = ids;
        t->cap = cap;
    }
    memcpy(t->ids[t->n++], e->txid, HASH_SIZE);
}

static void run_truncate(struct mempool *mp, struct run *r, size_t from);

/* Drops the FL transactions whose windows ended at heights up to `height`
 * (with the later transactions of their senders' runs). */
static void expire_through(struct mempool *mp, uint64_t height)
{
    if (height < mp->expired_through) {
        mp->expired_through = height; /* a reorganization: those heights come again */
        return;
    }
    for (uint64_t h = mp->expired_through + 1; h <= height; h++) {
        uint8_t hk[8];
        write_be64(hk, h);
        struct txids *t = hmap_remove(&mp->fl_expiry, hk, sizeof(hk));
        for (size_t i = 0; t && i < t->n; i++) {
            struct mempool_entry *e = hmap_get(&mp->by_txid, t->ids[i], HASH_SIZE);
            struct run *r = e ? run_get(mp, e->tx.sender, false) : NULL;
            for (size_t k = 0; r && k < r->n; k++)
                if (r->txs[k] == e) {
                    mp->work++;
                    run_truncate(mp, r, k);
                    run_changed(mp, r);
                    break;
                }
        }
        txids_free(t);
    }
    mp->expired_through = height;
}

/* ---- removal ---- */

static void forget_entry(struct mempool *mp, struct run *r, struct mempool_entry *e)
{
    claim_release(mp, e);
    arena_seat_release(mp, e);
    hmap_remove(&mp->by_txid, e->txid, HASH_SIZE);
    mp->bytes -= e->size;
    r->bytes -= (uint32_t)e->size;
    mp->usage -= entry_mem(e);
    if (is_context(e))
        r->ncontext--;
    entry_free(e);
}

/* Drops txs[from..] of a run (a later nonce cannot stay without its
 * predecessor).  The caller calls run_changed. */
static void run_truncate(struct mempool *mp, struct run *r, size_t from)
{
    if (r->n > from)
        r->applied_gen = 0;
    while (r->n > from) {
        r->n--;
        forget_entry(mp, r, r->txs[r->n]);
    }
}

/* Drops txs[0..k) (they were mined).  The caller calls run_changed. */
static void run_drop_front(struct mempool *mp, struct run *r, size_t k)
{
    if (!k)
        return;
    r->applied_gen = 0;
    for (size_t i = 0; i < k; i++)
        forget_entry(mp, r, r->txs[i]);
    memmove(r->txs, r->txs + k, (r->n - k) * sizeof(*r->txs));
    r->n -= k;
}

/* Re-checks a run against the tip state: mined nonces leave, and everything
 * from the first transaction that no longer applies is dropped.  The run may
 * be gone afterwards. */
static void run_revalidate(struct mempool *mp, struct run *r)
{
    struct account acct;
    struct block_header hdr;
    struct block_ctx ctx;
    struct view *view;
    size_t stale = 0;

    mp->work++;
    r->applied_gen = 0;
    if (!chain_get_account(mp->chain, r->sender, &acct)) {
        run_changed(mp, r); /* keep it, but with its heap places right */
        return;
    }
    while (stale < r->n && r->txs[stale]->tx.nonce < acct.nonce)
        stale++;
    run_drop_front(mp, r, stale);
    if (r->n && (view = chain_view(mp->chain)) != NULL) {
        block_ctx_for_next(mp, &hdr, &ctx);
        for (size_t i = 0; i < r->n; i++) {
            struct validation v;
            val_init(&v);
            mp->work++;
            if (!apply_tx(view, &ctx, &r->txs[i]->tx, &v)) {
                LOG_DEBUG(LOG_MEMPOOL, "dropping %zu transaction(s) no longer valid: %s",
                          r->n - i, v.reason);
                run_truncate(mp, r, i);
                break;
            }
        }
        view_free(view);
    }
    run_changed(mp, r);
}

/* ---- adding ---- */

/* What the checks of a transaction found, for its insertion. */
struct admit {
    size_t pos;                    /* its place in the sender's run */
    uint8_t sigkey[SIGCACHE_KEY_SIZE];
    uint8_t txid[HASH_SIZE];
    bool have_after;               /* after: the sender's account after the run with it */
    struct account after;
};

/* A run whose applied account stands for txs[0..n) at the current tip. */
static bool run_applied_valid(const struct mempool *mp, const struct run *r)
{
    return mp->run_cache && r && r->n && r->applied_gen == mp->tip_gen && !r->ncontext;
}

/* Applies the run with tx in position pos (replacing or appending) to the tip
 * state: the new transaction must apply.  A transfer appended to a run of
 * transfers with a valid applied account is applied alone, on that account
 * (a transfer reads and writes its sender's account and credits its
 * recipient, whose balance cannot overflow: what the run credits it comes
 * out of the supply).  Appending a transfer to a run of transfers (or
 * starting one) leaves the sender's account after it in ad->after. */
static bool check_in_run(struct mempool *mp, const struct run *r, size_t pos, const struct tx *tx,
                         struct admit *ad, struct validation *v)
{
    struct block_header hdr;
    struct block_ctx ctx;
    struct view *view = chain_view(mp->chain);
    bool ok = true;
    const bool append = pos == (r ? r->n : 0);
    const bool transfers = tx->type == TX_TRANSFER && (!r || !r->ncontext);
    if (!view)
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    block_ctx_for_next(mp, &hdr, &ctx);
    if (append && transfers && run_applied_valid(mp, r)) {
        accounts_put(view, tx->sender, &r->applied);
    } else {
        for (size_t i = 0; ok && r && i < pos; i++)
            ok = apply_tx(view, &ctx, &r->txs[i]->tx, v);
    }
    if (ok)
        ok = apply_tx(view, &ctx, tx, v);
    ad->have_after = ok && append && transfers && mp->run_cache &&
                     accounts_get(view, tx->sender, &ad->after);
    view_free(view);
    return ok;
}

/* Evicts run tails, lowest fee rate first, until the pool fits: O(log n)
 * per evicted transaction. */
static void trim_to_size(struct mempool *mp)
{
    while (mp->nheap && mempool_usage(mp) > mp->max_bytes) {
        struct run *worst = mp->heap[0];
        uint64_t rate = fee_rate(worst->txs[worst->low]);
        mp->work++;
        if (rate > mp->evicted_fee_rate)
            mp->evicted_fee_rate = rate;
        run_truncate(mp, worst, worst->n - 1);
        run_changed(mp, worst);
    }
}

/* Puts a new entry for tx at position pos of the sender's run (replacing or
 * appending).  NULL on allocation failure. */
static struct mempool_entry *insert_entry(struct mempool *mp, const struct tx *tx,
                                          const uint8_t txid[HASH_SIZE], size_t size,
                                          uint64_t now, size_t pos, const struct admit *ad)
{
    struct mempool_entry *e = calloc(1, sizeof(*e));
    struct run *r;
    if (!e || !tx_copy(&e->tx, tx)) {
        free(e);
        return NULL;
    }
    memcpy(e->txid, txid, HASH_SIZE);
    e->size = size;
    e->time = now;
    e->height = chain_height(mp->chain);
    if (!(r = run_get(mp, tx->sender, true)) || !run_reserve(mp, r) ||
        !hmap_put(&mp->by_txid, txid, HASH_SIZE, e, NULL)) {
        entry_free(e);
        if (r && r->n == 0)
            run_destroy(mp, r);
        return NULL;
    }
    claim_add(mp, e);
    arena_seat_add(mp, e, r, pos);
    expiry_add(mp, e);
    mp->bytes += size;
    r->bytes += (uint32_t)size;
    mp->usage += entry_mem(e);
    if (is_context(e))
        r->ncontext++;
    if (pos < r->n) {
        forget_entry(mp, r, r->txs[pos]);
        r->txs[pos] = e;
        /* Later transactions may depend on what the replaced one did. */
        run_revalidate(mp, r);
    } else {
        r->txs[r->n++] = e;
        if (ad && ad->have_after && !r->ncontext) {
            r->applied = ad->after;
            r->applied_gen = mp->tip_gen;
        } else {
            r->applied_gen = 0;
        }
        run_changed(mp, r);
    }
    return e;
}

/* Every check of mempool_add before the pool changes; *pos_out is the
 * transaction's place in its sender's run. */
/* The stateless checks and the signature (through the cache), unless pre
 * holds their verdict, taken before (not taken again): a failing one as it
 * is, a passing one when its key is this transaction's. */
static bool check_stateless(struct mempool *mp, const struct tx *tx,
                            const struct sigcheck_verdict *pre, uint8_t sigkey[SIGCACHE_KEY_SIZE],
                            struct validation *v)
{
    if (pre && pre->v.cls != VAL_OK) {
        *v = pre->v;
        return false;
    }
    struct sigcache *cache = sigcheck_cache(chain_sigcheck(mp->chain));
    if (pre && sigcheck_verdict_matches(cache, tx, chain_params(mp->chain), pre, sigkey))
        return true;
    return sigcheck_tx(cache, tx, chain_params(mp->chain), sigkey, v);
}

static bool admit_checks(struct mempool *mp, const struct tx *tx,
                         const struct sigcheck_verdict *pre,
                         struct validation *v, struct admit *ad)
{
    struct account acct;
    struct run *r;
    size_t size = tx_encoded_size(tx), pos;

    val_init(v);
    if (hmap_get(&mp->by_txid, ad->txid, HASH_SIZE))
        return val_fail(v, VAL_DUPLICATE, REJECT_TXN_ALREADY_IN_MEMPOOL);
    if (!check_stateless(mp, tx, pre, ad->sigkey, v))
        return false;
    /* A reveal evicts everything but reveals (evict_before): the rate that
     * evictions raised does not keep it out. */
    const uint64_t required = txrules_get(tx->type) && txrules_get(tx->type)->reveal
                                  ? mp->min_fee_rate
                                  : mempool_required_fee_rate(mp);
    if (cmp_rate(tx->fee, size, required, 1000) < 0)
        return val_failf(v, VAL_POLICY, REJECT_MIN_FEE_NOT_MET, "fee rate below %llu units/kB",
                         (unsigned long long)required);
    r = run_get(mp, tx->sender, false);
    /* A run applied at this tip starts at the account's nonce. */
    if (run_applied_valid(mp, r))
        acct.nonce = r->txs[0]->tx.nonce;
    else if (!chain_get_account(mp->chain, tx->sender, &acct))
        return val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
    size_t pooled = r ? r->n : 0;
    if (tx->nonce < acct.nonce)
        return val_failf(v, VAL_STATE, REJECT_BAD_TXNS_NONCE_TOO_LOW, "nonce %llu, account at %llu",
                         (unsigned long long)tx->nonce, (unsigned long long)acct.nonce);
    if (tx->nonce > acct.nonce + pooled)
        return val_failf(v, VAL_STATE, REJECT_BAD_TXNS_NONCE_TOO_HIGH, "nonce %llu, expected %llu",
                         (unsigned long long)tx->nonce,
                         (unsigned long long)(acct.nonce + pooled));
    pos = (size_t)(tx->nonce - acct.nonce);
    /* The sender's run is applied again for every transaction it takes, so
     * its bytes are bounded, and a replacement pays for all of them. */
    size_t run_bytes = (r ? r->bytes - (pos < pooled ? r->txs[pos]->size : 0) : 0) + size;
    if (run_bytes > MEMPOOL_MAX_RUN_BYTES)
        return val_failf(v, VAL_POLICY, REJECT_TOO_LONG_MEMPOOL_CHAIN,
                         "the sender's pooled transactions would take %zu bytes", run_bytes);
    if (pos < pooled) {
        /* Replacement: a higher fee rate and at least the incremental relay fee
         * more in absolute terms, on every byte of the run it makes the pool
         * apply again, so replacements cannot be used to spam. */
        const struct mempool_entry *old = r->txs[pos];
        uint64_t bump =
            (uint64_t)((unsigned __int128)MEMPOOL_INCREMENTAL_FEE_RATE * run_bytes / 1000);
        if (cmp_rate(tx->fee, size, old->tx.fee, old->size) <= 0 || tx->fee < old->tx.fee + bump)
            return val_failf(v, VAL_POLICY, REJECT_INSUFFICIENT_FEE,
                             "replacement needs a fee of at least %llu",
                             (unsigned long long)(old->tx.fee + bump));
    } else if (pooled >= MEMPOOL_MAX_RUN) {
        return val_fail(v, VAL_POLICY, REJECT_TOO_LONG_MEMPOOL_CHAIN);
    }
    if (!check_in_run(mp, r, pos, tx, ad, v) ||
        !claim_fits(mp, tx, pos < pooled ? r->txs[pos] : NULL, v) ||
        !arena_seat_fits(mp, tx, r, pos, pos < pooled ? r->txs[pos] : NULL, v))
        return false;
    ad->pos = pos;
    return true;
}

/* ---- transactions outside the nonce runs (finality votes) ---- */

static bool is_own_replay(uint8_t type)
{
    const struct txrules *r = txrules_get(type);
    return r && r->own_replay;
}

size_t mempool_max_votes(const struct mempool *mp)
{
    return 2 * (size_t)chain_params(mp->chain)->max_validators;
}

/* The pooled vote of the same sender and target epoch, or NULL. */
static struct mempool_entry *vote_twin(const struct mempool *mp, const struct tx *tx, size_t *at)
{
    struct finality_vote a, b;
    if (!finality_vote_decode(&a, tx->payload, tx->payload_len))
        return NULL;
    for (size_t i = 0; i < mp->nvotes; i++) {
        const struct tx *o = &mp->votes[i]->tx;
        if (memcmp(o->sender, tx->sender, PUBKEY_SIZE) == 0 &&
            finality_vote_decode(&b, o->payload, o->payload_len) && a.target.epoch == b.target.epoch) {
            if (at)
                *at = i;
            return mp->votes[i];
        }
    }
    return NULL;
}

/* Applies tx alone to the tip state, for the next block. */
static bool vote_applies(struct mempool *mp, const struct tx *tx, struct validation *v)
{
    struct block_header hdr;
    struct block_ctx ctx;
    struct view *view = chain_view(mp->chain);
    if (!view)
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    block_ctx_for_next(mp, &hdr, &ctx);
    bool ok = apply_tx(view, &ctx, tx, v);
    view_free(view);
    return ok;
}

/* A vote needs no fee: it must apply to the tip state (from a validator of
 * the target epoch's weights, with no vote counted for it), and the pool
 * holds one per (sender, target epoch).  A second, different one for the
 * same target is a double vote: refused, and the node's evidence watcher
 * (told of every vote that passes the stateless checks) reports it. */
static bool vote_admit_checks(struct mempool *mp, const struct tx *tx, struct validation *v)
{
    if (mp->vote_seen)
        mp->vote_seen(mp->vote_seen_arg, tx);
    if (vote_twin(mp, tx, NULL))
        return val_fail(v, VAL_POLICY, REJECT_TXN_VOTE_CONFLICT);
    if (!vote_applies(mp, tx, v))
        return false;
    if (mp->nvotes >= mempool_max_votes(mp))
        return val_fail(v, VAL_POLICY, REJECT_MEMPOOL_VOTES_FULL);
    return true;
}

static struct mempool_entry *vote_insert(struct mempool *mp, const struct tx *tx,
                                         const uint8_t txid[HASH_SIZE], size_t size, uint64_t now)
{
    struct mempool_entry *e = calloc(1, sizeof(*e));
    if (!e || !tx_copy(&e->tx, tx)) {
        free(e);
        return NULL;
    }
    memcpy(e->txid, txid, HASH_SIZE);
    e->size = size;
    e->time = now;
    e->height = chain_height(mp->chain);
    if (mp->nvotes == mp->votes_cap) {
        size_t cap = mp->votes_cap ? 2 * mp->votes_cap : 16;
        struct mempool_entry **t = realloc(mp->votes, cap * sizeof(*t));
        if (!t) {
            entry_free(e);
            return NULL;
        }
        mp->votes = t;
        mp->votes_cap = cap;
    }
    if (!hmap_put(&mp->by_txid, txid, HASH_SIZE, e, NULL)) {
        entry_free(e);
        return NULL;
    }
    mp->votes[mp->nvotes++] = e;
    mp->bytes += size;
    mp->usage += entry_mem(e);
    return e;
}

static void vote_remove_at(struct mempool *mp, size_t i)
{
    struct mempool_entry *e = mp->votes[i];
    hmap_remove(&mp->by_txid, e->txid, HASH_SIZE);
    mp->bytes -= e->size;
    mp->usage -= entry_mem(e);
    entry_free(e);
    mp->votes[i] = mp->votes[--mp->nvotes];
}

/* At each new tip: the votes that no longer apply (counted in a block, or
 * their target epoch out of the window) leave.  At most mempool_max_votes
 * applies, each a few reads. */
static void votes_revalidate(struct mempool *mp)
{
    for (size_t i = 0; i < mp->nvotes;) {
        struct validation v;
        val_init(&v);
        mp->work++;
        if (vote_applies(mp, &mp->votes[i]->tx, &v))
            i++;
        else
            vote_remove_at(mp, i);
    }
}

void mempool_set_vote_listener(struct mempool *mp, void (*seen)(void *arg, const struct tx *tx),
                               void *arg)
{
    mp->vote_seen = seen;
    mp->vote_seen_arg = arg;
}

/* ad->txid is the transaction's. */
static bool admit_any(struct mempool *mp, const struct tx *tx, const struct sigcheck_verdict *pre,
                      struct validation *v, struct admit *ad)
{
    ad->have_after = false;
    ad->pos = 0;
    if (is_own_replay(tx->type)) {
        val_init(v);
        if (hmap_get(&mp->by_txid, ad->txid, HASH_SIZE))
            return val_fail(v, VAL_DUPLICATE, REJECT_TXN_ALREADY_IN_MEMPOOL);
        if (!check_stateless(mp, tx, pre, ad->sigkey, v))
            return false;
        return vote_admit_checks(mp, tx, v);
    }
    return admit_checks(mp, tx, pre, v, ad);
}

bool mempool_test_checked(struct mempool *mp, const struct tx *tx, const struct sigcheck_verdict *pre,
                          struct validation *v)
{
    struct admit ad;
    tx_txid(tx, ad.txid);
    return admit_any(mp, tx, pre, v, &ad);
}

bool mempool_test(struct mempool *mp, const struct tx *tx, struct validation *v)
{
    return mempool_test_checked(mp, tx, NULL, v);
}

bool mempool_add(struct mempool *mp, const struct tx *tx, uint64_t now, struct validation *v)
{
    return mempool_add_checked(mp, tx, now, NULL, v);
}

bool mempool_add_checked(struct mempool *mp, const struct tx *tx, uint64_t now,
                         const struct sigcheck_verdict *pre, struct validation *v)
{
    return mempool_add_txid(mp, tx, NULL, now, pre, v);
}

bool mempool_add_txid(struct mempool *mp, const struct tx *tx, const uint8_t txid[HASH_SIZE],
                      uint64_t now, const struct sigcheck_verdict *pre, struct validation *v)
{
    struct mempool_entry *e;
    size_t size = tx_encoded_size(tx);
    struct admit ad;

    if (txid)
        memcpy(ad.txid, txid, HASH_SIZE);
    else
        tx_txid(tx, ad.txid);
    /* The checks only read the pool (its changes need the node lock too). */
    if (!admit_any(mp, tx, pre, v, &ad))
        return false;
    struct sigcache *cache = sigcheck_cache(chain_sigcheck(mp->chain));
    if (is_own_replay(tx->type)) {
        pool_lock(mp);
        e = vote_insert(mp, tx, ad.txid, size, now);
        pool_unlock(mp);
        if (!e)
            return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        if (cache)
            sigcache_insert(cache, ad.sigkey);
        for (size_t i = 0; i < mp->nlisteners; i++)
            mp->listeners[i].added(mp->listeners[i].arg, e);
        return true;
    }
    pool_lock(mp);
    bool evicted = false;
    if ((e = insert_entry(mp, tx, ad.txid, size, now, ad.pos, &ad)) != NULL) {
        trim_to_size(mp);
        evicted = !hmap_get(&mp->by_txid, ad.txid, HASH_SIZE);
    }
    pool_unlock(mp);
    if (!e)
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    if (evicted)
        return val_fail(v, VAL_POLICY, REJECT_MEMPOOL_FULL);
    /* Its block will not verify the signature again. */
    if (cache)
        sigcache_insert(cache, ad.sigkey);
    LOG_DEBUG(LOG_MEMPOOL, "accepted tx nonce %llu (%zu bytes, %zu in pool)",
              (unsigned long long)tx->nonce, size, hmap_count(&mp->by_txid));
    for (size_t i = 0; i < mp->nlisteners; i++)
        mp->listeners[i].added(mp->listeners[i].arg, e);
    return true;
}

bool mempool_add_unchecked(struct mempool *mp, const struct tx *tx, uint64_t now)
{
    uint8_t txid[HASH_SIZE];
    const struct run *r = run_get(mp, tx->sender, false);
    tx_txid(tx, txid);
    if (is_own_replay(tx->type)) {
        if (hmap_get(&mp->by_txid, txid, HASH_SIZE))
            return false;
        pool_lock(mp);
        bool ok = vote_insert(mp, tx, txid, tx_encoded_size(tx), now) != NULL;
        pool_unlock(mp);
        return ok;
    }
    if (hmap_get(&mp->by_txid, txid, HASH_SIZE) ||
        (r && tx->nonce != r->txs[0]->tx.nonce + r->n) || (r && r->n >= MEMPOOL_MAX_RUN))
        return false;
    pool_lock(mp);
    bool ok = insert_entry(mp, tx, txid, tx_encoded_size(tx), now, r ? r->n : 0, NULL) != NULL;
    pool_unlock(mp);
    return ok;
}

/* ---- chain events ---- */

/* A block connects or disconnects: the runs' applied accounts are stale,
 * and the first one of an activation empties the previous one's record of
 * mined senders (its tip was published at its end). */
static void block_event(struct mempool *mp)
{
    mp->tip_gen++;
    if (!mp->in_activation) {
        hmap_free(&mp->mined, NULL);
        mp->in_activation = true;
    }
}

static void mark_dirty(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE])
{
    if (!hmap_put(&mp->dirty, sender, PUBKEY_SIZE, (void *)1, NULL))
        mp->reorg = true; /* out of memory: check everything instead */
}

/* A connected block: a run whose first transactions are the ones mined loses
 * them, without applying the rest again (a sender's own state moved exactly
 * as the run assumed; what depends on others' state is checked among the
 * next block's candidates and in rotation).  A run whose next nonce went to
 * another transaction is checked at tip_changed. */
static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct mempool *mp = arg;
    (void)bi;
    pool_lock(mp);
    block_event(mp);
    for (size_t i = 0; i < b->ntx; i++) {
        const struct tx *tx = &b->txs[i];
        struct run *r = run_get(mp, tx->sender, false);
        uint8_t txid[HASH_SIZE];
        mp->work++;
        if (!r || is_own_replay(tx->type))
            continue; /* votes are checked again at tip_changed */
        /* Out of memory: next_nonce may lag for a moment. */
        (void)hmap_put(&mp->mined, tx->sender, PUBKEY_SIZE, (void *)(uintptr_t)(tx->nonce + 1),
                       NULL);
        if (mp->reorg)
            continue; /* every run is checked at tip_changed */
        tx_txid(tx, txid);
        bool head = memcmp(r->txs[0]->txid, txid, HASH_SIZE) == 0;
        /* A run stays valid for its sender's account without its mined head:
         * a sender's balance falls only by the sender's own transactions.
         * When another transaction took the nonce, the run is checked. */
        if (!head) {
            mark_dirty(mp, tx->sender);
        } else {
            run_drop_front(mp, r, 1);
            run_changed(mp, r);
        }
    }
    pool_unlock(mp);
}

static void on_disconnected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct mempool *mp = arg;
    (void)bi;
    pool_lock(mp);
    block_event(mp);
    mp->reorg = true;
    pool_unlock(mp);
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

/* Checks every run again (after a reorganization). */
static void revalidate_all(struct mempool *mp)
{
    const struct hmap_slot *slot;
    size_t n = 0;
    struct run **runs = malloc((hmap_count(&mp->by_sender) + 1) * sizeof(*runs));
    if (!runs)
        return;
    for (size_t i = 0; hmap_next(&mp->by_sender, &i, &slot);)
        runs[n++] = slot->val;
    for (size_t i = 0; i < n; i++)
        run_revalidate(mp, runs[i]); /* frees at most runs[i] */
    free(runs);
}

/* Checks the runs whose nonce a connected block gave to another transaction,
 * within the per-block budget; past it they go (a block of 20,000 such
 * conflicts could otherwise make the pool apply 1.26 million transactions).
 * In the order of the senders' keys, so that which ones are checked does not
 * depend on the hash map. */
static int cmp_sender(const void *a, const void *b)
{
    return memcmp(a, b, PUBKEY_SIZE);
}

static void revalidate_dirty(struct mempool *mp)
{
    const struct hmap_slot *slot;
    size_t n = 0, txs = 0, bytes = 0;
    uint8_t (*senders)[PUBKEY_SIZE] = malloc((hmap_count(&mp->dirty) + 1) * PUBKEY_SIZE);
    if (!senders) {
        revalidate_all(mp);
        return;
    }
    for (size_t i = 0; hmap_next(&mp->dirty, &i, &slot);)
        memcpy(senders[n++], slot->key, PUBKEY_SIZE);
    qsort(senders, n, PUBKEY_SIZE, cmp_sender);
    for (size_t i = 0; i < n; i++) {
        struct run *r = run_get(mp, senders[i], false);
        if (!r)
            continue;
        if (txs < MEMPOOL_RECHECK_TXS && bytes < MEMPOOL_RECHECK_BYTES) {
            txs += r->n;
            bytes += r->bytes;
            run_revalidate(mp, r);
        } else {
            mp->work++;
            run_truncate(mp, r, 0);
            run_changed(mp, r);
        }
    }
    free(senders);
}

/* Checks runs holding other types than transfers, in rotation, within the
 * per-block budget: their validity depends on state their senders do not
 * own (task windows, roles, validator records) and on the height. */
static void revalidate_context(struct mempool *mp)
{
    size_t txs = 0, bytes = 0, left = mp->nring;
    while (mp->ring && left-- && txs < MEMPOOL_RECHECK_TXS && bytes < MEMPOOL_RECHECK_BYTES) {
        struct run *r = mp->ring;
        mp->ring = r->rnext; /* advance first: r may go */
        txs += r->n;
        for (size_t i = 0; i < r->n; i++)
            bytes += r->txs[i]->size;
        run_revalidate(mp, r);
    }
}

/* Block candidates: the best heads are found by walking the best-head heap
 * from its root (a node's children enter when it is taken) while a run's
 * next transaction enters when its predecessor is taken, all in a small
 * heap of the candidates available now.  That is the order of merging every
 * run by fee rate, at O(log k) per candidate taken instead of ordering the
 * whole pool. */
struct cand {
    const struct run *run;
    size_t next;  /* index in the run */
    size_t node;  /* index in mp->best when next is 0, else SIZE_MAX */
};

static bool cand_better(const struct cand *a, const struct cand *b)
{
    return entry_better(a->run->txs[a->next], b->run->txs[b->next]);
}

static void cand_push(struct cand *h, size_t *n, struct cand c)
{
    size_t i = (*n)++;
    while (i > 0 && cand_better(&c, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = c;
}

static struct cand cand_pop(struct cand *h, size_t *n)
{
    struct cand top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= *n)
            break;
        if (l + 1 < *n && cand_better(&h[l + 1], &h[l]))
            m = l + 1;
        if (!cand_better(&h[m], &last))
            break;
        h[i] = h[m];
        i = m;
    }
    if (*n)
        h[i] = last;
    return top;
}

/* Block building takes the pool's best candidates (mempool_select) and skips
 * those that do not apply.  Runs with context transactions that a block made
 * invalid (or that conflict with better ones of other senders, such as joins
 * to a task with one place left) would otherwise stay on top until the
 * rotation reaches them and keep valid transactions out of blocks.  So the
 * candidates are walked in block order while the context transactions among
 * them are applied to one view of the tip (transfer runs apply whatever the
 * others do: a transfer only credits others, and for the same reason the
 * transfers after a run's last context transaction are not applied); a run
 * that fails contributes nothing from there on.  The walk goes past what
 * fails until it has the limits' worth of candidates that apply. */
struct cut {
    struct run *run;
    size_t at; /* from here on it does not apply */
};

struct walk {
    size_t max_txs, max_bytes;
    bool checking;                    /* stop once every context run was seen */
    const struct mempool_entry **out; /* the candidates that apply, or NULL */
    size_t nout;
    struct cut *cut;                  /* the runs that failed (nring room), or NULL */
    size_t ncut;
    uint64_t work;
};

static bool walk_candidates(const struct mempool *mp, struct walk *w)
{
    size_t taken = 0, bytes = 0, nh = 0, cap = 64, ctx_done = 0;
    struct cand *h = malloc(cap * sizeof(*h));
    struct view *view = mp->nring ? chain_view(mp->chain) : NULL;
    struct block_header hdr;
    struct block_ctx ctx;
    bool ok = h && (view || !mp->nring);

    if (!ok)
        goto done;
    if (view)
        block_ctx_for_next(mp, &hdr, &ctx);
    if (mp->nheap)
        cand_push(h, &nh, (struct cand){mp->best[0], 0, 0});
    while (nh && taken < w->max_txs && bytes < w->max_bytes &&
           !(w->checking && ctx_done >= mp->nring)) {
        struct cand c = cand_pop(h, &nh);
        struct run *r = (struct run *)c.run;
        const struct mempool_entry *e = r->txs[c.next];
        bool more = c.next + 1 < r->n, applies = true;
        w->work++;
        if (r->ncontext && c.next <= r->last_ctx) {
            /* In a child view, as block building does: what a failing
             * transaction wrote before it failed must not stay. */
            struct view *child = view_new(NULL, view);
            struct validation v;
            uint64_t fees = ctx.fees;
            val_init(&v);
            w->work++;
            if (!child) {
                ok = false;
                break;
            }
            if (apply_tx(child, &ctx, &e->tx, &v)) {
                view_commit(child);
            } else {
                ctx.fees = fees;
                LOG_DEBUG(LOG_MEMPOOL, "%zu candidate(s) no longer apply: %s", r->n - c.next,
                          v.reason);
                if (w->cut)
                    w->cut[w->ncut++] = (struct cut){r, c.next};
                applies = more = false;
            }
            view_free(child);
            if (c.next == r->last_ctx || !applies) {
                ctx_done++;
                if (w->checking)
                    more = false;
            }
        }
        if (applies) {
            taken++;
            bytes += e->size;
            if (w->out)
                w->out[w->nout++] = e;
        }
        /* Room for the node's two children and the run's next. */
        if (nh + 3 > cap) {
            struct cand *t = realloc(h, 2 * cap * sizeof(*h));
            if (!t) {
                ok = false;
                break;
            }
            h = t;
            cap *= 2;
        }
        if (c.node != SIZE_MAX)
            for (size_t k = 2 * c.node + 1; k <= 2 * c.node + 2 && k < mp->nheap; k++)
                cand_push(h, &nh, (struct cand){mp->best[k], 0, k});
        if (more)
            cand_push(h, &nh, (struct cand){r, c.next + 1, SIZE_MAX});
    }
done:
    view_free(view);
    free(h);
    return ok;
}

/* After a block: up to one block's limits of the candidates that apply are
 * walked, and the runs that fail on the way lose what does not apply.  Each
 * invalid transaction is applied once and leaves, so the work is a block's
 * candidates plus what leaves; it stops as soon as every run with context
 * transactions was seen. */
static void check_candidates(struct mempool *mp)
{
    const struct chain_params *p = chain_params(mp->chain);
    struct walk w = {.max_txs = p->max_block_txs, .max_bytes = p->max_block_size,
                     .checking = true};

    if (!mp->nring || !mp->nheap)
        return;
    if (!(w.cut = malloc(mp->nring * sizeof(*w.cut))))
        return;
    walk_candidates(mp, &w);
    mp->work += w.work;
    /* The walk is over (the heaps were only read): now the cut runs shrink. */
    for (size_t i = 0; i < w.ncut; i++) {
        struct run *r = w.cut[i].run;
        run_truncate(mp, r, w.cut[i].at);
        run_changed(mp, r);
    }
    free(w.cut);
}

static void on_tip_changed(void *arg, const struct block_index *tip)
{
    struct mempool *mp = arg;
    /* The pool's changes for the new tip, under its lock; the transactions
     * of disconnected blocks come back through mempool_add, which takes it
     * itself. */
    pool_lock(mp);
    mp->tip_gen++;
    mp->in_activation = false;
    mp->evicted_fee_rate = 0;
    expire_through(mp, tip->hdr.height);

    if (mp->reorg)
        revalidate_all(mp);
    else
        revalidate_dirty(mp);
    hmap_free(&mp->dirty, NULL);
    mp->reorg = false;
    revalidate_context(mp);
    check_candidates(mp);
    votes_revalidate(mp);
    pool_unlock(mp);

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
    hmap_init(&mp->dirty);
    hmap_init(&mp->fl_seats);
    hmap_init(&mp->fl_work);
    hmap_init(&mp->arena_seats);
    hmap_init(&mp->fl_expiry);
    hmap_init(&mp->mined);
    if (pthread_mutex_init(&mp->lock, NULL) != 0) {
        free(mp);
        return NULL;
    }
    mp->tip_gen = 1;
    mp->run_cache = true;
    mp->expired_through = chain_height(chain);
    struct chain_listener l = {.connected = on_connected, .disconnected = on_disconnected,
                               .tip_changed = on_tip_changed, .arg = mp};
    chain_add_listener(chain, &l);
    return mp;
}

void mempool_free(struct mempool *mp)
{
    if (!mp)
        return;
    chain_remove_listener(mp->chain, mp);
    hmap_free(&mp->by_sender, run_free_raw);
    hmap_free(&mp->by_txid, NULL);
    hmap_free(&mp->dirty, NULL);
    hmap_free(&mp->fl_seats, NULL);
    hmap_free(&mp->fl_work, NULL);
    hmap_free(&mp->arena_seats, NULL);
    hmap_free(&mp->fl_expiry, txids_free);
    hmap_free(&mp->mined, NULL);
    pthread_mutex_destroy(&mp->lock);
    free(mp->heap);
    free(mp->best);
    for (size_t i = 0; i < mp->nreadd; i++)
        tx_free(&mp->readd[i]);
    free(mp->readd);
    free(mp->listeners);
    for (size_t i = 0; i < mp->nvotes; i++)
        entry_free(mp->votes[i]);
    free(mp->votes);
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

size_t mempool_usage(const struct mempool *mp)
{
    return mp->usage + mem_alloc(mp->by_txid.cap * sizeof(struct hmap_slot)) +
           mem_alloc(mp->by_sender.cap * sizeof(struct hmap_slot)) +
           2 * mem_alloc(mp->heap_cap * sizeof(*mp->heap));
}

uint64_t mempool_work(const struct mempool *mp)
{
    return mp->work;
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

uint64_t mempool_next_nonce_after(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE],
                                  uint64_t account_nonce)
{
    uint64_t next = account_nonce;
    pool_lock(mp);
    const struct run *r = hmap_get(&mp->by_sender, sender, PUBKEY_SIZE);
    if (r && r->n && r->txs[0]->tx.nonce + r->n > next)
        next = r->txs[0]->tx.nonce + r->n;
    uint64_t mined = (uintptr_t)hmap_get(&mp->mined, sender, PUBKEY_SIZE);
    if (mined > next)
        next = mined;
    pool_unlock(mp);
    return next;
}

bool mempool_lookup(struct mempool *mp, const uint8_t txid[HASH_SIZE], struct tx *out,
                    uint64_t *time, bool *oom)
{
    bool found = false;
    *oom = false;
    pool_lock(mp);
    const struct mempool_entry *e = hmap_get(&mp->by_txid, txid, HASH_SIZE);
    if (e) {
        found = tx_copy(out, &e->tx);
        *oom = !found;
        if (time)
            *time = e->time;
    }
    pool_unlock(mp);
    return found;
}

void mempool_set_run_cache(struct mempool *mp, bool on)
{
    mp->run_cache = on;
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

static void remove_locked(struct mempool *mp, const uint8_t txid[HASH_SIZE])
{
    const struct mempool_entry *e = hmap_get(&mp->by_txid, txid, HASH_SIZE);
    if (!e)
        return;
    for (size_t i = 0; i < mp->nvotes; i++)
        if (mp->votes[i] == e) {
            vote_remove_at(mp, i);
            return;
        }
    struct run *r = run_get(mp, e->tx.sender, false);
    for (size_t i = 0; r && i < r->n; i++)
        if (r->txs[i] == e) {
            run_truncate(mp, r, i);
            run_changed(mp, r);
            return;
        }
}

void mempool_remove(struct mempool *mp, const uint8_t txid[HASH_SIZE])
{
    pool_lock(mp);
    remove_locked(mp, txid);
    pool_unlock(mp);
}

/* The walk by fee rate stops after two blocks' worth of candidates, so more
 * than that of better paying transactions (mined at their senders' cost of
 * one block per block) would keep every reveal out of the candidates and
 * out of its window, whatever the builder's reveal half promises.  So the
 * reveals the walk did not reach are added: the leading reveals of the runs
 * with context transactions (a reveal is its sender's next transaction),
 * within half of a block's transactions, units and bytes.  *out has room
 * for *nout entries; it may be reallocated. */
static bool add_missed_reveals(const struct mempool *mp, const struct mempool_entry ***out,
                               size_t *nout)
{
    const struct chain_params *p = chain_params(mp->chain);
    const uint64_t max_units = p->max_block_txs / 2;
    const size_t max_size = (size_t)p->max_block_size / 2;
    uint64_t units = 0;
    size_t size = 0, n = *nout, cap = *nout;
    const struct mempool_entry **v = *out;
    struct hmap seen;
    const struct run *r = mp->ring;
    bool ok = true;

    hmap_init(&seen);
    for (size_t i = 0; i < n; i++)
        if (entry_is_reveal(v[i])) {
            if (!hmap_put(&seen, &v[i], sizeof(v[i]), (void *)v[i], NULL)) {
                ok = false;
                goto done;
            }
            units += txtype_block_units(v[i]->tx.type);
            size += v[i]->size;
        }
    for (size_t left = mp->nring; r && left; left--, r = r->rnext) {
        for (size_t k = 0; k < r->n && entry_is_reveal(r->txs[k]); k++) {
            const struct mempool_entry *e = r->txs[k];
            uint32_t u = txtype_block_units(e->tx.type);
            if (hmap_get(&seen, &e, sizeof(e)))
                continue;
            if (units + u > max_units || size + e->size > max_size)
                break;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                const struct mempool_entry **t = realloc(v, ncap * sizeof(*v));
                if (!t) {
                    ok = false;
                    goto done;
                }
                v = t;
                cap = ncap;
            }
            v[n++] = e;
            units += u;
            size += e->size;
        }
    }
done:
    hmap_free(&seen, NULL);
    *out = v;
    *nout = n;
    return ok;
}

/* Votes by target epoch, then txid: a deterministic order. */
static int cmp_vote_entry(const void *a, const void *b)
{
    const struct mempool_entry *x = *(const struct mempool_entry *const *)a;
    const struct mempool_entry *y = *(const struct mempool_entry *const *)b;
    struct finality_vote vx, vy;
    if (finality_vote_decode(&vx, x->tx.payload, x->tx.payload_len) &&
        finality_vote_decode(&vy, y->tx.payload, y->tx.payload_len) &&
        vx.target.epoch != vy.target.epoch)
        return vx.target.epoch < vy.target.epoch ? -1 : 1;
    return memcmp(x->txid, y->txid, HASH_SIZE);
}

const struct mempool_entry **mempool_select(const struct mempool *mp, size_t *n)
{
    const struct chain_params *p = chain_params(mp->chain);
    struct walk w = {.max_txs = hmap_count(&mp->by_txid),
                     .max_bytes = (size_t)p->max_block_size * 2};
    if (w.max_txs > (size_t)p->max_block_txs * 2)
        w.max_txs = (size_t)p->max_block_txs * 2;
    *n = 0;
    if (!(w.out = malloc((w.max_txs + 1) * sizeof(*w.out))))
        return NULL;
    if (!walk_candidates(mp, &w) || !add_missed_reveals(mp, &w.out, &w.nout)) {
        free(w.out);
        return NULL;
    }
    /* The votes come first, oldest target epoch first (the builder takes
     * them in its first half, as reveals). */
    if (mp->nvotes) {
        const struct mempool_entry **t = realloc(w.out, (w.nout + mp->nvotes + 1) * sizeof(*t));
        if (!t) {
            free(w.out);
            return NULL;
        }
        memmove(t + mp->nvotes, t, w.nout * sizeof(*t));
        for (size_t i = 0; i < mp->nvotes; i++)
            t[i] = mp->votes[i];
        qsort(t, mp->nvotes, sizeof(*t), cmp_vote_entry);
        w.out = t;
        w.nout += mp->nvotes;
    }
    *n = w.nout;
    return w.out;
}
