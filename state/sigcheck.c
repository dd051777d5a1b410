/* The -par pool (see sigcheck.h).
 *
 * One job at a time: the caller publishes the block, then it and the
 * workers take chunks of transactions in increasing order from a shared
 * counter.  `first` is the lowest failing index found so far; a thread
 * stops at indices above it, never below, so every transaction before the
 * final `first` is checked, and the reported failure is always the first
 * in block order.  The caller returns once every worker has left the job. */
#include "state/sigcheck.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Transactions taken at once: large enough to keep the counter cold, small
 * enough to balance the threads (a signature verifies in ~40 us). */
#define CHUNK 16
/* A pre-check's chunks are smaller: a block check that comes to wait for
 * the pool waits for at most one of them on each thread. */
#define PRECHECK_CHUNK 4

struct sigcheck {
    struct sigcache *cache;
    int nthreads;
    pthread_t *workers;
    size_t nworkers;

    pthread_mutex_t job_lock; /* one block at a time */
    /* Block checks waiting for job_lock: a pre-check on the pool stops
     * handing out chunks while one waits (block validation comes first). */
    atomic_uint blocks_waiting;

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t wake;  /* workers: a job, or stop */
    pthread_cond_t done;  /* caller: the last worker left the job */
    uint64_t generation;  /* bumped for each job */
    bool stopping;
    size_t busy;          /* workers inside the current job */
    const struct tx *txs; /* the job's transactions (NULL: no job) */
    size_t ntx;
    const struct chain_params *p;
    size_t next;          /* the next unclaimed index */
    size_t first;         /* lowest failing index, ntx when none */
    struct validation first_v;
    /* A pre-check (sigcheck_txs): every transaction's verdict here, none
     * stops the job; NULL for a block. */
    struct sigcheck_verdict *out;
};

int sigcheck_threads_for_par(int64_t par)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    int64_t n = par > 0 ? par : cores + par;
    if (n < 1)
        n = 1;
    if (n > SIGCHECK_MAX_THREADS)
        n = SIGCHECK_MAX_THREADS;
    return (int)n;
}

/* A key enters the cache only for a transaction that passed sigcheck_tx in
 * full (the mempool inserts after it, on acceptance), and it binds the
 * sighash, which covers every field tx_check_nosig reads (all but the
 * signature) and the genesis (so the parameters): a hit means this very
 * transaction passed both halves before.  So the cache is looked at first,
 * and a hit skips the stateless checks too (a transfer's recipient key, for
 * one, costs a square root). */
bool sigcheck_tx(struct sigcache *cache, const struct tx *tx, const struct chain_params *p,
                 uint8_t key_out[SIGCACHE_KEY_SIZE], struct validation *v)
{
    uint8_t msg[HASH_SIZE], buf[SIGCACHE_KEY_SIZE];
    uint8_t *key = key_out ? key_out : buf;
    tx_sighash(tx, p->genesis_hash, msg);
    if (cache) {
        sigcache_key(cache, msg, tx->sender, tx->sig, key);
        if (sigcache_contains(cache, key))
            return true;
    }
    if (!tx_check_nosig(tx, p, v))
        return false;
    if (!tx_check_sig(tx, msg))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_TXNS_SIG);
    return true;
}

bool sigcheck_verdict_matches(struct sigcache *cache, const struct tx *tx,
                              const struct chain_params *p, const struct sigcheck_verdict *pre,
                              uint8_t key_out[SIGCACHE_KEY_SIZE])
{
    if (!cache)
        return false;
    uint8_t msg[HASH_SIZE];
    tx_sighash(tx, p->genesis_hash, msg);
    sigcache_key(cache, msg, tx->sender, tx->sig, key_out);
    return pre && pre->v.cls == VAL_OK && pre->keyed &&
           memcmp(pre->key, key_out, SIGCACHE_KEY_SIZE) == 0;
}

/* One transaction of a pre-check: its verdict and, when it passed with a
 * cache, its key (nothing enters the cache). */
static void precheck_one(struct sigcache *cache, const struct tx *tx, const struct chain_params *p,
                         struct sigcheck_verdict *out)
{
    val_init(&out->v);
    bool ok = sigcheck_tx(cache, tx, p, out->key, &out->v);
    out->keyed = ok && cache;
}

/* Checks chunks of the current job until none is left below `first`. */
static void work(struct sigcheck *sc)
{
    for (;;) {
        pthread_mutex_lock(&sc->lock);
        const struct tx *txs = sc->txs;
        const struct chain_params *p = sc->p;
        struct sigcheck_verdict *outs = sc->out;
        size_t start = sc->next, limit = sc->first;
        /* A pre-check yields to a waiting block: no more chunks (its
         * caller finishes what is left). */
        if (outs && atomic_load(&sc->blocks_waiting) > 0)
            limit = start;
        size_t chunk = outs ? PRECHECK_CHUNK : CHUNK;
        if (start < limit)
            sc->next = start + chunk;
        pthread_mutex_unlock(&sc->lock);
        if (!txs || start >= limit)
            return;
        size_t end = start + chunk < limit ? start + chunk : limit;
        if (outs) {
            for (size_t i = start; i < end; i++)
                precheck_one(sc->cache, &txs[i], p, &outs[i]);
            continue;
        }
        for (size_t i = start; i < end; i++) {
            struct validation v;
            val_init(&v);
            if (sigcheck_tx(sc->cache, &txs[i], p, NULL, &v))
                continue;
            pthread_mutex_lock(&sc->lock);
            if (i < sc->first) {
                sc->first = i;
                sc->first_v = v;
            }
            pthread_mutex_unlock(&sc->lock);
            break; /* everything after i in this chunk is above `first` */
        }
    }
}

static void *worker_main(void *arg)
{
    struct sigcheck *sc = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&sc->lock);
    for (;;) {
        while (!sc->stopping && sc->generation == seen)
            pthread_cond_wait(&sc->wake, &sc->lock);
        if (sc->stopping)
            break;
        seen = sc->generation;
        sc->busy++;
        pthread_mutex_unlock(&sc->lock);
        work(sc);
        pthread_mutex_lock(&sc->lock);
        if (--sc->busy == 0)
            pthread_cond_signal(&sc->done);
    }
    pthread_mutex_unlock(&sc->lock);
    return NULL;
}

struct sigcheck *sigcheck_new(int nthreads, struct sigcache *cache)
{
    struct sigcheck *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return NULL;
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > SIGCHECK_MAX_THREADS)
        nthreads = SIGCHECK_MAX_THREADS;
    sc->cache = cache;
    sc->nthreads = nthreads;
    pthread_mutex_init(&sc->job_lock, NULL);
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->wake, NULL);
    pthread_cond_init(&sc->done, NULL);
    if (nthreads > 1) {
        sc->workers = calloc((size_t)nthreads - 1, sizeof(*sc->workers));
        if (!sc->workers) {
            sigcheck_free(sc);
            return NULL;
        }
        for (int i = 0; i < nthreads - 1; i++) {
            if (pthread_create(&sc->workers[i], NULL, worker_main, sc) != 0) {
                sigcheck_free(sc);
                return NULL;
            }
            sc->nworkers++;
        }
    }
    return sc;
}

void sigcheck_free(struct sigcheck *sc)
{
    if (!sc)
        return;
    pthread_mutex_lock(&sc->lock);
    sc->stopping = true;
    pthread_cond_broadcast(&sc->wake);
    pthread_mutex_unlock(&sc->lock);
    for (size_t i = 0; i < sc->nworkers; i++)
        pthread_join(sc->workers[i], NULL);
    free(sc->workers);
    pthread_cond_destroy(&sc->wake);
    pthread_cond_destroy(&sc->done);
    pthread_mutex_destroy(&sc->lock);
    pthread_mutex_destroy(&sc->job_lock);
    free(sc);
}

int sigcheck_threads(const struct sigcheck *sc)
{
    return sc ? sc->nthreads : 1;
}

struct sigcache *sigcheck_cache(const struct sigcheck *sc)
{
    return sc ? sc->cache : NULL;
}

/* Names the failing transaction in the detail (both paths alike). */
static bool fail_at(struct validation *v, size_t i)
{
    char detail[sizeof(v->detail)];
    int n = snprintf(detail, sizeof(detail), "transaction %zu", i);
    if (v->detail[0] && n > 0 && (size_t)n + 2 < sizeof(detail))
        snprintf(detail + n, sizeof(detail) - (size_t)n, ": %.*s",
                 (int)(sizeof(detail) - (size_t)n - 3), v->detail);
    memcpy(v->detail, detail, sizeof(detail));
    return false;
}

/* A block of at most one chunk is checked on the calling thread: the pool
 * would hand the whole of it to one thread anyway, and the caller neither
 * waits for the pool (held by a pre-check for up to a chunk on each
 * thread) nor for a worker to wake. */
static bool pooled(const struct sigcheck *sc, const struct block *b)
{
    return sc && sc->nworkers > 0 && b->ntx > CHUNK;
}

void sigcheck_begin(struct sigcheck *sc, const struct block *b, const struct chain_params *p)
{
    if (!pooled(sc, b))
        return;
    atomic_fetch_add(&sc->blocks_waiting, 1);
    pthread_mutex_lock(&sc->job_lock);
    atomic_fetch_sub(&sc->blocks_waiting, 1);
    pthread_mutex_lock(&sc->lock);
    sc->txs = b->txs;
    sc->ntx = b->ntx;
    sc->p = p;
    sc->out = NULL;
    sc->next = 0;
    sc->first = b->ntx;
    sc->generation++;
    pthread_cond_broadcast(&sc->wake);
    pthread_mutex_unlock(&sc->lock);
}

bool sigcheck_end(struct sigcheck *sc, const struct block *b, const struct chain_params *p,
                  struct validation *v)
{
    if (!pooled(sc, b)) {
        for (size_t i = 0; i < b->ntx; i++)
            if (!sigcheck_tx(sc ? sc->cache : NULL, &b->txs[i], p, NULL, v))
                return fail_at(v, i);
        return true;
    }
    work(sc);
    pthread_mutex_lock(&sc->lock);
    /* Workers that have not woken yet find no chunk left and leave at
     * once; wait for those inside. */
    sc->next = b->ntx;
    while (sc->busy > 0)
        pthread_cond_wait(&sc->done, &sc->lock);
    size_t first = sc->first;
    bool ok = first == b->ntx;
    if (!ok)
        *v = sc->first_v;
    sc->txs = NULL;
    pthread_mutex_unlock(&sc->lock);
    pthread_mutex_unlock(&sc->job_lock);
    return ok || fail_at(v, first);
}

bool sigcheck_block(struct sigcheck *sc, const struct block *b, const struct chain_params *p,
                    struct validation *v)
{
    if (!block_check_contents(b, p, v))
        return false;
    sigcheck_begin(sc, b, p);
    return sigcheck_end(sc, b, p, v);
}

size_t sigcheck_txs(struct sigcheck *sc, const struct tx *txs, size_t n,
                    const struct chain_params *p, struct sigcheck_verdict *out)
{
    /* A pool busy with a block or another pre-check, or a block check
     * waiting for it: the calling thread checks alone rather than wait
     * (callers on other threads, RPC workers with batches of their own,
     * keep the cores busy). */
    size_t from = 0;
    if (sc && sc->nworkers > 0 && n >= 2 && atomic_load(&sc->blocks_waiting) == 0 &&
        pthread_mutex_trylock(&sc->job_lock) == 0) {
        pthread_mutex_lock(&sc->lock);
        sc->txs = txs;
        sc->ntx = n;
        sc->p = p;
        sc->out = out;
        sc->next = 0;
        sc->first = n; /* never lowered: every transaction is checked */
        sc->generation++;
        pthread_cond_broadcast(&sc->wake);
        pthread_mutex_unlock(&sc->lock);
        work(sc);
        pthread_mutex_lock(&sc->lock);
        /* Every chunk below next was claimed, and is done once the workers
         * have left; a block check waiting stopped the claims early. */
        from = sc->next < n ? sc->next : n;
        sc->next = n;
        while (sc->busy > 0)
            pthread_cond_wait(&sc->done, &sc->lock);
        sc->txs = NULL;
        sc->out = NULL;
        pthread_mutex_unlock(&sc->lock);
        pthread_mutex_unlock(&sc->job_lock);
    }
    for (size_t i = from; i < n; i++)
        precheck_one(sc ? sc->cache : NULL, &txs[i], p, &out[i]);
    size_t passed = 0;
    for (size_t i = 0; i < n; i++)
        passed += out[i].v.cls == VAL_OK;
    return passed;
}
