/* Read views (see readview.h).
 *
 * Taking a reference: the current descriptor is swapped by the publisher
 * and taken by readers under one mutex, held only for the pointer swap or
 * the pointer copy and counter increment (never across a block connection,
 * a LevelDB call or an allocation).  A lock-free "load pointer, then
 * increment its count" would race with the publisher dropping the last
 * reference in between; the mutex closes that window at the price of a few
 * nanoseconds per call, which the measurements do not show.  Dropping is
 * an atomic decrement; the thread that drops the last reference releases
 * the snapshot, then tells chain_close (live count under the mutex).
 *
 * Finding blocks by hash: the chain's own map (struct chain's map) is
 * changed by the network thread at every header under the node lock, and
 * header-only entries are freed again (chain_forget_headers).  Rather than
 * lock it for readers, the views keep a map of their own, behind a
 * read-write lock that the publisher holds for writing only while it adds
 * the blocks of the newly published chain that are not in it yet (one per
 * block connected; the whole chain once, at open, before any reader).  It
 * only grows: every entry is a block with its body stored, on a published
 * active chain once, and such entries are never freed before chain_close
 * (a reorganization leaves them in the chain's index too).  Their hash,
 * header, prev/skip pointers and body position never change after the
 * block is stored, and readers read nothing else (not status, which the
 * node lock guards); the mutex/rwlock hand-over orders those writes before
 * any reader's use.
 */
#include "state/readview.h"
#include "state/blockstore.h"
#include "state/chain_internal.h"
#include "state/view.h"
#include "util/hmap.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct readview_hub {
    pthread_mutex_t mu; /* cur, live */
    pthread_cond_t drained;
    struct readview *cur;
    size_t live;
    pthread_rwlock_t maplock;
    struct hmap blocks; /* hash -> const struct block_index * */
};

struct readview {
    size_t refs; /* atomic */
    const struct block_index *tip;
    struct db *state; /* a snapshot of the chainstate (db_snapshot) */
    struct chain *chain;
    struct readview_hub *hub;
};

static struct readview_hub *hub_of(const struct chain *c)
{
    return __atomic_load_n(&c->readview, __ATOMIC_ACQUIRE);
}

static struct readview_hub *hub_new(void)
{
    struct readview_hub *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->drained, NULL);
    pthread_rwlock_init(&h->maplock, NULL);
    hmap_init(&h->blocks);
    return h;
}

struct readview *readview_take(struct chain *c)
{
    struct readview_hub *h = hub_of(c);
    struct readview *rv;
    if (!h)
        return NULL;
    pthread_mutex_lock(&h->mu);
    rv = h->cur;
    if (rv)
        __atomic_add_fetch(&rv->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&h->mu);
    return rv;
}

void readview_drop(struct readview *rv)
{
    if (!rv || __atomic_sub_fetch(&rv->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    struct readview_hub *h = rv->hub;
    db_close(rv->state); /* releases the snapshot while the chainstate is open */
    free(rv);
    pthread_mutex_lock(&h->mu);
    if (--h->live == 0)
        pthread_cond_broadcast(&h->drained);
    pthread_mutex_unlock(&h->mu);
}

/* Adds the published chain's blocks the map lacks: from the tip down to the
 * first one it has (the fork point after a reorganization). */
static bool map_chain(struct readview_hub *h, const struct block_index *tip)
{
    bool ok = true;
    pthread_rwlock_wrlock(&h->maplock);
    for (const struct block_index *p = tip; p && !hmap_get(&h->blocks, p->hash, HASH_SIZE);
         p = p->prev)
        if (!hmap_put(&h->blocks, p->hash, HASH_SIZE, (void *)p, NULL)) {
            ok = false;
            break;
        }
    pthread_rwlock_unlock(&h->maplock);
    return ok;
}

void readview_publish(struct chain *c)
{
    struct readview_hub *h = hub_of(c);
    const struct block_index *tip = tip_of(c);
    if (!h) {
        if (!(h = hub_new())) {
            log_printf("ERROR: out of memory publishing the read view");
            return;
        }
        __atomic_store_n(&c->readview, h, __ATOMIC_RELEASE);
    }
    struct readview *rv = calloc(1, sizeof(*rv));
    /* Out of memory: readers keep the previous view (an older whole tip). */
    if (!rv || !map_chain(h, tip) || !(rv->state = db_snapshot(c->state))) {
        log_printf("ERROR: out of memory publishing the read view at height %llu",
                   (unsigned long long)tip->hdr.height);
        free(rv);
        return;
    }
    rv->refs = 1; /* the hub's */
    rv->tip = tip;
    rv->chain = c;
    rv->hub = h;
    pthread_mutex_lock(&h->mu);
    struct readview *old = h->cur;
    h->cur = rv;
    h->live++;
    pthread_mutex_unlock(&h->mu);
    readview_drop(old);
}

void readview_close(struct chain *c)
{
    struct readview_hub *h = hub_of(c);
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    struct readview *old = h->cur;
    h->cur = NULL;
    pthread_mutex_unlock(&h->mu);
    readview_drop(old);
    pthread_mutex_lock(&h->mu);
    while (h->live > 0)
        pthread_cond_wait(&h->drained, &h->mu);
    pthread_mutex_unlock(&h->mu);
    __atomic_store_n(&c->readview, NULL, __ATOMIC_RELEASE);
    hmap_free(&h->blocks, NULL);
    pthread_rwlock_destroy(&h->maplock);
    pthread_cond_destroy(&h->drained);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

size_t readview_live(struct chain *c)
{
    struct readview_hub *h = hub_of(c);
    size_t n = 0;
    if (!h)
        return 0;
    pthread_mutex_lock(&h->mu);
    n = h->live;
    pthread_mutex_unlock(&h->mu);
    return n;
}

const struct block_index *readview_tip(const struct readview *rv)
{
    return rv->tip;
}

const struct block_index *readview_lookup(const struct readview *rv,
                                          const uint8_t hash[HASH_SIZE])
{
    pthread_rwlock_rdlock(&rv->hub->maplock);
    const struct block_index *bi = hmap_get(&rv->hub->blocks, hash, HASH_SIZE);
    pthread_rwlock_unlock(&rv->hub->maplock);
    return bi;
}

bool readview_contains(const struct readview *rv, const struct block_index *bi)
{
    return bi && chain_ancestor(rv->tip, bi->hdr.height) == bi;
}

const struct block_index *readview_at(const struct readview *rv, uint64_t height)
{
    return chain_ancestor(rv->tip, height);
}

bool readview_get_account(struct readview *rv, const uint8_t pub[PUBKEY_SIZE], struct account *a)
{
    uint8_t key[1 + ACCOUNT_KEY_SIZE];
    uint8_t *val = NULL;
    size_t vlen;
    memset(a, 0, sizeof(*a));
    key[0] = 's';
    account_key(key + 1, pub);
    enum db_result r = db_get(rv->state, key, sizeof(key), &val, &vlen);
    if (r == DB_ERROR)
        return false;
    bool ok = r == DB_NOTFOUND || account_decode(a, val, vlen);
    free(val);
    return ok;
}

struct view *readview_state(struct readview *rv)
{
    return view_new(rv->state, NULL);
}

static bool read_shared(struct readview *rv, const struct block_index *bi, uint8_t **data,
                        size_t *len)
{
    char err[256];
    struct block_pos pos = {bi->file, bi->offset, bi->size};
    if (!blockstore_read_shared(rv->chain->blocks, &pos, data, err, sizeof(err))) {
        log_printf("ERROR: %s", err);
        return false;
    }
    *len = bi->size;
    return true;
}

bool readview_read_raw(struct readview *rv, const struct block_index *bi, uint8_t **data,
                       size_t *len)
{
    return read_shared(rv, bi, data, len) && chain_stored_checked(bi, data, *len, NULL);
}

bool readview_read_block(struct readview *rv, const struct block_index *bi, struct block *out)
{
    uint8_t *raw;
    size_t len;
    return read_shared(rv, bi, &raw, &len) && chain_stored_checked(bi, &raw, len, out);
}

bool readview_find_tx(struct readview *rv, const uint8_t txid[HASH_SIZE], struct tx *out,
                      const struct block_index **bi_out, uint32_t *index)
{
    uint8_t key[1 + HASH_SIZE], *val = NULL, hash[HASH_SIZE];
    size_t vlen;
    uint32_t idx;
    struct block blk;
    key[0] = 'x';
    memcpy(key + 1, txid, HASH_SIZE);
    if (db_get(rv->state, key, sizeof(key), &val, &vlen) != DB_FOUND)
        return false;
    bool located = chain_txloc_parse(val, vlen, hash, &idx);
    free(val);
    const struct block_index *bi = located ? readview_lookup(rv, hash) : NULL;
    /* The snapshot's tx index names blocks of its own chain only. */
    return bi && readview_contains(rv, bi) && readview_read_block(rv, bi, &blk) &&
           chain_tx_of_block(&blk, bi, idx, out, bi_out, index);
}
