/* Opening the chain: creating or opening the block store and the two
 * databases, loading the block index (or rebuilding it from the block files
 * with -reindex), the genesis block and state, the start-up check
 * (chain_verify) and closing.  Moving the chain once open is state/chain.c.
 */
#include "state/chain_internal.h"
#include "consensus/genesis.h"
#include "state/addrindex.h"
#include "state/blockstore.h"
#include "state/undo.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static bool make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

static bool make_blocks_dir(const char *datadir, char *err, size_t errlen)
{
    char blocks[4096];
    snprintf(blocks, sizeof(blocks), "%s/blocks", datadir);
    return make_dir(blocks, err, errlen);
}

static int by_height(const void *a, const void *b)
{
    uint64_t x = (*(struct block_index *const *)a)->hdr.height;
    uint64_t y = (*(struct block_index *const *)b)->hdr.height;
    return (x > y) - (x < y);
}

/* The skip pointers of a loaded index, parents before children. */
static bool build_skips(struct chain *c)
{
    size_t n = hmap_count(&c->map), k = 0;
    const struct hmap_slot *slot;
    struct block_index **all = malloc((n ? n : 1) * sizeof(*all));
    if (!all)
        return false;
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);)
        all[k++] = slot->val;
    qsort(all, k, sizeof(*all), by_height);
    for (size_t i = 0; i < k; i++)
        index_build_skip(all[i]);
    free(all);
    return true;
}

static bool load_index(struct chain *c, char *err, size_t errlen)
{
    struct db_iter *it = db_iter_new(c->index, "b", 1);
    const uint8_t *k, *val;
    size_t klen, vlen;
    const struct hmap_slot *slot;
    if (!it) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    while (db_iter_next(it, &k, &klen, &val, &vlen)) {
        struct block_index *bi = calloc(1, sizeof(*bi));
        if (!bi || !index_record_decode(bi, val, vlen) || klen != 1 + HASH_SIZE ||
            memcmp(k + 1, bi->hash, HASH_SIZE) != 0) {
            free(bi);
            db_iter_free(it);
            snprintf(err, errlen, "block index entry damaged: restart with -reindex");
            return false;
        }
        if (!hmap_put(&c->map, bi->hash, HASH_SIZE, bi, NULL)) {
            free(bi);
            db_iter_free(it);
            snprintf(err, errlen, "out of memory");
            return false;
        }
        if (bi->seq >= c->next_seq)
            c->next_seq = bi->seq + 1;
        index_remember_slot(c, bi);
    }
    db_iter_free(it);
    /* Link parents, then every block that is nobody's parent is a leaf. */
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);) {
        struct block_index *bi = slot->val;
        if (bi->hdr.height > 0) {
            bi->prev = hmap_get(&c->map, bi->hdr.prev, HASH_SIZE);
            if (!bi->prev || bi->prev->hdr.height + 1 != bi->hdr.height) {
                snprintf(err, errlen, "block index is missing a parent: restart with -reindex");
                return false;
            }
        }
    }
    if (!build_skips(c)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    struct hmap parents;
    hmap_init(&parents);
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);) {
        struct block_index *bi = slot->val;
        if (bi->prev && (bi->status & BLOCK_HAVE_DATA) &&
            !hmap_put(&parents, bi->prev->hash, HASH_SIZE, bi->prev, NULL)) {
            hmap_free(&parents, NULL);
            snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);) {
        struct block_index *bi = slot->val;
        if (!hmap_get(&parents, bi->hash, HASH_SIZE) && !index_failed(bi) &&
            (bi->status & BLOCK_HAVE_DATA))
            (void)index_leaf_add(c, bi);
    }
    hmap_free(&parents, NULL);
    return true;
}

/* First start: store the genesis block and write the genesis state. */
static bool init_genesis(struct chain *c, char *err, size_t errlen)
{
    struct block genesis;
    struct block_index *bi;
    struct kvlist state;
    struct lthash lt;
    struct db_batch *batch;
    uint8_t key[1 + UNDO_MAX_KEY];
    bool ok;

    block_init(&genesis);
    if (!genesis_header(c->params, &genesis.hdr)) {
        snprintf(err, errlen, "cannot build the genesis block");
        return false;
    }
    bi = hmap_get(&c->map, c->params->genesis_hash, HASH_SIZE);
    if (!bi) {
        if (!(bi = index_add(c, &genesis.hdr, c->params->genesis_hash)) || !index_leaf_add(c, bi)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        bi->status = BLOCK_VALID;
        if (!chain_store_block(c, bi, &genesis)) {
            snprintf(err, errlen, "cannot store the genesis block");
            return false;
        }
    }
    if (!genesis_state(c->params, &state)) {
        snprintf(err, errlen, "cannot build the genesis state");
        return false;
    }
    batch = db_batch_new();
    lthash_init(&lt);
    ok = batch != NULL;
    for (size_t i = 0; ok && i < state.n; i++) {
        struct kvpair *kv = &state.items[i];
        if (kv->klen > UNDO_MAX_KEY) {
            ok = false;
            break;
        }
        lthash_add(&lt, kv->key, kv->klen, kv->val, kv->vlen);
        chain_prefixed_key(key, 's', kv->key, kv->klen);
        db_batch_put(batch, key, kv->klen + 1, kv->val, kv->vlen);
    }
    if (ok && c->addrindex) {
        /* The index starts complete with the genesis allocation. */
        ok = addrindex_genesis(batch, state.items, state.n);
        db_batch_put(batch, ADDRINDEX_MARKER_KEY, strlen(ADDRINDEX_MARKER_KEY), "\x01", 1);
    }
    kvlist_free(&state);
    if (ok) {
        chain_batch_meta(batch, &lt, c->params->genesis_hash);
        ok = db_write(c->state, batch, true);
    }
    db_batch_free(batch);
    if (!ok)
        snprintf(err, errlen, "cannot write the genesis state: %s", db_last_error(c->state));
    return ok;
}

struct reindex_ctx {
    struct chain *c;
    bool failed;
};

/* -reindex: every well-formed record whose parent is already indexed becomes
 * an index entry again (records are stored parent-first, so one pass does). */
static bool reindex_record(void *arg, const uint8_t *data, size_t len, const struct block_pos *pos)
{
    struct reindex_ctx *rc = arg;
    struct chain *c = rc->c;
    struct block b;
    uint8_t hash[HASH_SIZE], root[HASH_SIZE];
    if (!block_decode(&b, data, len, SIZE_MAX)) {
        log_printf("Reindex: the record at block file %u offset %u does not decode; skipped",
                   pos->file, pos->offset);
        return true;
    }
    block_merkle_root(&b, root);
    if (memcmp(root, b.hdr.tx_root, HASH_SIZE) != 0) {
        log_printf("Reindex: the block at block file %u offset %u does not match its header "
                   "(damaged); skipped",
                   pos->file, pos->offset);
        block_free(&b);
        return true;
    }
    header_hash(&b.hdr, hash);
    bool is_genesis = memcmp(hash, c->params->genesis_hash, HASH_SIZE) == 0;
    struct block_index *prev = hmap_get(&c->map, b.hdr.prev, HASH_SIZE);
    const struct block_index *known = hmap_get(&c->map, hash, HASH_SIZE);
    if (known && known->file == pos->file && known->offset == pos->offset)
        blockstore_set_end(c->blocks, pos->file, pos->offset + pos->size); /* a resumed scan */
    if (!hmap_get(&c->map, hash, HASH_SIZE) && (is_genesis || (prev && !is_genesis))) {
        struct block_index *bi = index_add(c, &b.hdr, hash);
        if (!bi) {
            rc->failed = true;
            block_free(&b);
            return false;
        }
        bi->file = pos->file;
        bi->offset = pos->offset;
        bi->size = pos->size;
        bi->ntx = (uint32_t)b.ntx;
        bi->status = BLOCK_HAVE_DATA | (is_genesis ? BLOCK_VALID : 0);
        blockstore_set_end(c->blocks, pos->file, pos->offset + pos->size);
        if (!index_write(c, bi, true)) {
            rc->failed = true;
            block_free(&b);
            return false;
        }
        if (prev)
            index_leaf_remove(c, prev);
        (void)index_leaf_add(c, bi);
    }
    block_free(&b);
    return true;
}

static struct db *open_db(const char *path, size_t cache, bool create, char *err, size_t errlen)
{
    char why[512], current[4200];
    snprintf(current, sizeof(current), "%s/CURRENT", path);
    if (!create && access(current, F_OK) != 0) {
        snprintf(err, errlen, "the database %s has lost its CURRENT file: it is damaged "
                              "(restart with -reindex to rebuild it from the block files)",
                 path);
        return NULL;
    }
    struct db *db = db_open(path, cache, create, why, sizeof(why));
    if (!db)
        snprintf(err, errlen, "%s; if the database is damaged or missing files, restart with "
                              "-reindex to rebuild it from the block files",
                 why);
    return db;
}

/* reindex: start a reindex (destroying the index and the chainstate);
 * scan: a reindex is under way, so keep every byte of the block files. */
/* The layout of the chainstate's records, kept in the block index beside the
 * genesis hash ("S", u32).  A node never reads a chainstate of another layout
 * (its keys would mean something else): it asks for -reindex, which rebuilds
 * the chainstate from the block files.  Layout 2: one record per unbonding
 * entry and per FL event, per-height FL reservations, the stake snapshot of
 * the leader schedule; layout 1 (no "S" record) had growing lists. */
#define CHAINSTATE_FORMAT 2

static bool check_state_format(struct chain *c, const char *datadir, char *err, size_t errlen)
{
    uint8_t *val = NULL;
    size_t vlen;
    enum db_result r = db_get(c->index, "S", 1, &val, &vlen);
    if (r == DB_ERROR) {
        snprintf(err, errlen, "cannot read the block index: %s (restart with -reindex)",
                 db_last_error(c->index));
        return false;
    }
    uint32_t format = 1;
    if (r == DB_FOUND)
        format = vlen == 4 ? read_le32(val) : 0;
    free(val);
    if (format != CHAINSTATE_FORMAT) {
        snprintf(err, errlen,
                 "the chainstate in %s has layout %u, this node reads layout %u (restart with "
                 "-reindex to rebuild it from the block files)",
                 datadir, format, CHAINSTATE_FORMAT);
        return false;
    }
    return true;
}

/* wipe_state: -reindex-chainstate, the chainstate alone is rebuilt. */
static bool open_dbs(struct chain *c, const char *datadir, bool reindex, bool scan,
                     bool wipe_state, char *err, size_t errlen)
{
    char blocks[4096], index[4096], state[4096];
    snprintf(blocks, sizeof(blocks), "%s/blocks", datadir);
    snprintf(index, sizeof(index), "%s/blocks/index", datadir);
    snprintf(state, sizeof(state), "%s/chainstate", datadir);
    if (!make_dir(datadir, err, errlen) || !make_dir(blocks, err, errlen))
        return false;
    /* The chainstate is destroyed first and created first: whatever the
     * instant of a crash, an existing block index means the chainstate
     * existed too, so a missing one is damage, never a first start. */
    if (reindex && (!db_destroy(state, err, errlen) || !db_destroy(index, err, errlen)))
        return false;
    if (wipe_state && !db_destroy(state, err, errlen))
        return false;
    bool fresh = !db_exists(index);
    if (!fresh && !scan && !wipe_state && !db_exists(state)) {
        snprintf(err, errlen, "the chainstate database %s is missing (restart with -reindex to "
                              "rebuild it from the block files)",
                 state);
        return false;
    }
    /* A reindex fills the chainstate only once its index is complete. */
    if (!(c->state = open_db(state, db_cache_state(), fresh || scan || wipe_state, err, errlen)) ||
        !(c->index = open_db(index, db_cache_index(), fresh, err, errlen)))
        return false;

    uint8_t *val = NULL;
    size_t vlen;
    enum db_result r = db_get(c->index, "G", 1, &val, &vlen);
    if (r == DB_ERROR) {
        snprintf(err, errlen, "cannot read the block index: %s (restart with -reindex)",
                 db_last_error(c->index));
        return false;
    }
    if (r == DB_FOUND && (vlen != HASH_SIZE || memcmp(val, c->params->genesis_hash, HASH_SIZE))) {
        free(val);
        snprintf(err, errlen, "%s holds a chain with another genesis block; use another -datadir",
                 datadir);
        return false;
    }
    free(val);
    if (r == DB_FOUND && !check_state_format(c, datadir, err, errlen))
        return false;
    if (r == DB_NOTFOUND) {
        struct db_batch *b = db_batch_new();
        bool ok = b != NULL;
        if (ok) {
            uint8_t format[4];
            write_le32(format, CHAINSTATE_FORMAT);
            db_batch_put(b, "G", 1, c->params->genesis_hash, HASH_SIZE);
            db_batch_put(b, "S", 1, format, sizeof(format));
            ok = db_write(c->index, b, true);
        }
        db_batch_free(b);
        if (!ok) {
            snprintf(err, errlen, "cannot write the block index");
            return false;
        }
    }

    uint32_t file = 0, used = 0;
    if (!scan && db_get(c->index, "F", 1, &val, &vlen) == DB_FOUND) {
        if (vlen == 8) {
            file = read_le32(val);
            used = read_le32(val + 4);
        }
        free(val);
    }
    if (scan) {
        /* Keep every byte for the scan; the scan then sets the durable end. */
        struct stat st;
        for (uint32_t n = 0;; n++) {
            char path[4200];
            snprintf(path, sizeof(path), "%s/blk%05u.dat", blocks, n);
            if (stat(path, &st) != 0)
                break;
            file = n;
            used = (uint32_t)st.st_size;
        }
    }
    c->blocks = blockstore_open(blocks, c->params->magic, file, used, err, errlen);
    return c->blocks != NULL;
}

/* The address index marker of an existing chainstate: whether the index is
 * complete (1), stale or never built.  -addressindex=1 on a chainstate
 * without a complete index rebuilds it (*rebuild); without -addressindex a
 * complete index is marked stale, since blocks connected from now on are
 * not indexed. */
static bool check_addrindex(struct chain *c, bool *rebuild, char *err, size_t errlen)
{
    uint8_t *val = NULL;
    size_t vlen;
    *rebuild = false;
    enum db_result r = db_get(c->state, ADDRINDEX_MARKER_KEY, strlen(ADDRINDEX_MARKER_KEY), &val,
                              &vlen);
    if (r == DB_ERROR) {
        snprintf(err, errlen, "cannot read the chainstate: %s (restart with -reindex)",
                 db_last_error(c->state));
        return false;
    }
    bool complete = r == DB_FOUND && vlen == 1 && val[0] == 1;
    free(val);
    if (c->addrindex && !complete) {
        log_printf("The address index is %s: rebuilding the chainstate from the block files "
                   "(as -reindex) to build it",
                   r == DB_FOUND ? "stale (the node ran without -addressindex)" : "missing");
        *rebuild = true;
    } else if (!c->addrindex && r == DB_FOUND && complete) {
        struct db_batch *b = db_batch_new();
        bool ok = b != NULL;
        if (ok) {
            db_batch_put(b, ADDRINDEX_MARKER_KEY, strlen(ADDRINDEX_MARKER_KEY), "\x00", 1);
            ok = db_write(c->state, b, true);
        }
        db_batch_free(b);
        if (!ok) {
            snprintf(err, errlen, "cannot write the chainstate: %s", db_last_error(c->state));
            return false;
        }
        log_printf("Address index off: the index kept so far is marked stale "
                   "(-addressindex=1 later rebuilds it)");
    }
    return true;
}

struct chain *chain_open(const struct chain_params *params, const char *datadir, bool reindex,
                         char *err, size_t errlen)
{
    struct chain_options opts = {.reindex = reindex};
    return chain_open_with(params, datadir, &opts, err, errlen);
}

struct chain *chain_open_with(const struct chain_params *params, const char *datadir,
                              const struct chain_options *opts, char *err, size_t errlen)
{
    bool reindex = opts->reindex;
    bool wipe_state = opts->reindex_chainstate && !reindex;
    struct chain *c = calloc(1, sizeof(*c));
    uint8_t *val = NULL;
    size_t vlen;
    struct validation v;
    char marker[4200];

    err[0] = '\0';
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->params = params;
    c->addrindex = opts->addrindex;
    c->sigcheck = opts->sigcheck;
    hmap_init(&c->map);
    hmap_init(&c->by_slot);
    hmap_init(&c->logged_slots);
    schedule_init(&c->sched);
    /* A reindex marks itself in a file until its index is complete, so that
     * one interrupted by a crash continues at the next start (adding to the
     * index it had built) instead of leaving a partial index whose durable
     * end would cut the block files. */
    snprintf(marker, sizeof(marker), "%s/blocks/reindexing", datadir);
    bool resume = !reindex && access(marker, F_OK) == 0;
    if (resume)
        log_printf("Continuing an interrupted reindex");
    if (reindex && (!make_dir(datadir, err, errlen) || !make_blocks_dir(datadir, err, errlen) ||
                    !fs_write_atomic(marker, "", 0, 0600))) {
        if (!err[0])
            snprintf(err, errlen, "cannot write %s: %s", marker, strerror(errno));
        goto fail;
    }
    if (resume)
        wipe_state = false; /* the interrupted reindex rebuilds the state anyway */
    if (wipe_state)
        log_printf("Rebuilding the chainstate from the stored blocks (-reindex-chainstate)...");
    if (!open_dbs(c, datadir, reindex, reindex || resume, wipe_state, err, errlen))
        goto fail;
    if (resume && !load_index(c, err, errlen))
        goto fail;
    if (reindex || resume) {
        struct reindex_ctx rc = {c, false};
        log_printf("Reindexing the block files...");
        if (!blockstore_scan(c->blocks, reindex_record, &rc) || rc.failed ||
            !blockstore_truncate(c->blocks)) {
            snprintf(err, errlen, "reindex failed while reading the block files");
            goto fail;
        }
        log_printf("Reindex found %zu blocks", hmap_count(&c->map));
        crashpoint("reindex (index complete, marker not removed)");
        if (unlink(marker) != 0) {
            snprintf(err, errlen, "cannot remove %s: %s", marker, strerror(errno));
            goto fail;
        }
    } else if (!load_index(c, err, errlen)) {
        goto fail;
    }

    enum db_result r = db_get(c->state, TIP_KEY, strlen(TIP_KEY), &val, &vlen);
    if (r == DB_ERROR) {
        snprintf(err, errlen, "cannot read the chainstate: %s (restart with -reindex)",
                 db_last_error(c->state));
        goto fail;
    }
    if (r == DB_NOTFOUND) {
        if (!init_genesis(c, err, errlen))
            goto fail;
        if (db_get(c->state, TIP_KEY, strlen(TIP_KEY), &val, &vlen) != DB_FOUND) {
            snprintf(err, errlen, "cannot read back the genesis state");
            goto fail;
        }
    } else {
        bool rebuild;
        if (!check_addrindex(c, &rebuild, err, errlen)) {
            free(val);
            goto fail;
        }
        if (rebuild) {
            free(val);
            chain_close(c);
            struct chain_options again = *opts;
            again.reindex = true;
            again.addrindex = true;
            return chain_open_with(params, datadir, &again, err, errlen);
        }
    }
    struct block_index *tip = vlen == HASH_SIZE ? hmap_get(&c->map, val, HASH_SIZE) : NULL;
    free(val);
    val = NULL;
    if (!tip) {
        snprintf(err, errlen, "the chainstate tip is not in the block index (restart with -reindex)");
        goto fail;
    }
    if (!(c->active = calloc((size_t)tip->hdr.height + 1024, sizeof(*c->active)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    c->active_cap = (size_t)tip->hdr.height + 1024;
    c->active_len = (size_t)tip->hdr.height + 1;
    for (struct block_index *p = tip; p; p = p->prev)
        c->active[p->hdr.height] = p;
    chain_publish_tip(c);

    r = db_get(c->state, LTHASH_KEY, strlen(LTHASH_KEY), &val, &vlen);
    if (r != DB_FOUND || vlen != LTHASH_BYTES) {
        if (r == DB_FOUND)
            free(val);
        if (r == DB_ERROR)
            snprintf(err, errlen, "cannot read the chainstate: %s (restart with -reindex)",
                     db_last_error(c->state));
        else
            snprintf(err, errlen, "the chainstate has no state-root lanes (restart with -reindex)");
        goto fail;
    }
    lthash_decode(&c->lt, val);
    free(val);
    uint8_t root[HASH_SIZE];
    lthash_root(&c->lt, root);
    if (memcmp(root, tip->hdr.state_root, HASH_SIZE) != 0) {
        snprintf(err, errlen, "the chainstate does not match its tip's state root "
                              "(restart with -reindex)");
        goto fail;
    }
    index_recompute_best_header(c);
    /* An index written before just_epoch was kept: the tip's is the
     * chainstate's. */
    if (!chain_note_tip_just(c)) {
        snprintf(err, errlen, "cannot read the chainstate: %s (restart with -reindex)",
                 db_last_error(c->state));
        goto fail;
    }
    if (!chain_activate_best(c, NULL, NULL, NULL, &v) && v.cls == VAL_ERROR) {
        snprintf(err, errlen, "cannot connect the best chain: %s", v.reason);
        goto fail;
    }
    return c;
fail:
    chain_close(c);
    return NULL;
}

bool chain_verify(struct chain *c, uint64_t nblocks, char *err, size_t errlen)
{
    const struct block_index *tip = tip_of(c);
    uint64_t from = nblocks == 0 || nblocks > tip->hdr.height ? 0 : tip->hdr.height - nblocks + 1;
    for (uint64_t h = from; h <= tip->hdr.height; h++) {
        uint8_t *data;
        size_t len;
        if (!chain_read_raw(c, c->active[h], &data, &len)) {
            snprintf(err, errlen,
                     "block %llu of the active chain cannot be read back intact: the block store "
                     "is damaged (restart with -reindex to rebuild from the blocks that remain)",
                     (unsigned long long)h);
            return false;
        }
        free(data);
    }

    /* Every chainstate entry is read (LevelDB checks each table block's
     * checksum) and the state entries must add up to the tip's state root. */
    struct db_iter *it = db_iter_new(c->state, "", 0);
    const uint8_t *k, *v;
    size_t klen, vlen;
    struct lthash lt;
    uint8_t root[HASH_SIZE];
    if (!it) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    lthash_init(&lt);
    while (db_iter_next(it, &k, &klen, &v, &vlen))
        if (klen > 0 && k[0] == 's')
            lthash_add(&lt, k + 1, klen - 1, v, vlen);
    bool failed = db_iter_failed(it);
    db_iter_free(it);
    if (failed) {
        snprintf(err, errlen, "the chainstate database cannot be read: %s (restart with -reindex)",
                 db_last_error(c->state));
        return false;
    }
    lthash_root(&lt, root);
    if (memcmp(root, tip->hdr.state_root, HASH_SIZE) != 0) {
        snprintf(err, errlen, "the chainstate entries do not add up to the state root of the tip "
                              "(height %llu): the chainstate is damaged (restart with -reindex)",
                 (unsigned long long)tip->hdr.height);
        return false;
    }
    log_printf("Checked the last %llu blocks and the whole chainstate at height %llu",
               (unsigned long long)(tip->hdr.height - from + 1),
               (unsigned long long)tip->hdr.height);
    return true;
}

static void free_index(void *p)
{
    free(p);
}

void chain_close(struct chain *c)
{
    if (!c)
        return;
    readview_close(c); /* waits for readers: their snapshots go before the chainstate */
    blockstore_close(c->blocks);
    db_close(c->state);
    db_close(c->index);
    hmap_free(&c->by_slot, NULL);
    hmap_free(&c->logged_slots, NULL);
    schedule_free(&c->sched);
    hmap_free(&c->map, free_index);
    free(c->active);
    free(c->leaves);
    free(c->listeners);
    view_free(c->pre_view);
    free(c);
}

