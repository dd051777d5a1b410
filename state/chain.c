/* The chain manager (see chain.h).
 *
 * On disk:
 *   blocks/blkNNNNN.dat   block records (state/blockstore.c)
 *   blocks/index/         LevelDB: 'b'|hash -> index record, 'F' -> durable end
 *                         of the block files, 'G' -> genesis hash
 *   chainstate/           LevelDB: 's'|key -> state value, 'u'|hash -> undo,
 *                         'x'|txid -> block hash | position, "mtip" -> tip hash,
 *                         "mlthash" -> state-root lanes
 *
 * A block is stored (record fsync'd, then its index entry written synced)
 * before it is connected; connecting writes one synced chainstate batch.  So
 * after a crash the chainstate tip is a stored block and the state is that
 * block's state; blocks stored but not yet connected are connected again by
 * the best-chain activation that runs at every start.
 */
#include "state/chain.h"
#include "consensus/genesis.h"
#include "consensus/lthash.h"
#include "state/apply.h"
#include "state/blockstore.h"
#include "state/db.h"
#include "state/staking.h"
#include "state/undo.h"
#include "state/view.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/hmap.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_RECORD_SIZE (BLOCK_HEADER_SIZE + 4 * 5 + 8)
#define TIP_KEY "mtip"
#define LTHASH_KEY "mlthash"
#define DB_CACHE_STATE (32u * 1024 * 1024)
#define DB_CACHE_INDEX (8u * 1024 * 1024)
/* Distinct (proposer, slot) double proposals logged; later ones still reach
 * the listeners, without a log line. */
#define CHAIN_LOGGED_SLOTS_MAX 4096

struct chain {
    const struct chain_params *params;
    struct db *state;
    struct db *index;
    struct blockstore *blocks;
    struct hmap map; /* hash -> struct block_index * */
    struct hmap by_slot; /* proposer | slot -> the first block_index seen */
    struct hmap logged_slots; /* proposer | slot already logged as a double proposal */
    uint64_t double_proposals; /* seen since the chain was opened */
    struct block_index **active;
    size_t active_len, active_cap;
    struct block_index **leaves; /* blocks with no known child: tip candidates */
    size_t nleaves, leaves_cap;
    struct lthash lt;
    struct block_index *best_header; /* most blocks among valid headers; first seen wins */
    uint64_t next_seq;
    /* The schedule check_leader used last, for the tip and epoch it was read at. */
    struct schedule sched;
    const struct block_index *sched_tip;
    uint64_t sched_epoch;
    bool sched_valid;
    struct chain_listener *listeners;
    size_t nlisteners;
};

/* ---- block index records ---- */

static void index_record_encode(const struct block_index *bi, uint8_t out[INDEX_RECORD_SIZE])
{
    header_encode(&bi->hdr, out);
    uint8_t *p = out + BLOCK_HEADER_SIZE;
    write_le32(p, bi->status), p += 4;
    write_le32(p, bi->file), p += 4;
    write_le32(p, bi->offset), p += 4;
    write_le32(p, bi->size), p += 4;
    write_le32(p, bi->ntx), p += 4;
    write_le64(p, bi->seq);
}

static bool index_record_decode(struct block_index *bi, const uint8_t *data, size_t len)
{
    if (len != INDEX_RECORD_SIZE || !header_decode(&bi->hdr, data, BLOCK_HEADER_SIZE))
        return false;
    const uint8_t *p = data + BLOCK_HEADER_SIZE;
    bi->status = read_le32(p), p += 4;
    bi->file = read_le32(p), p += 4;
    bi->offset = read_le32(p), p += 4;
    bi->size = read_le32(p), p += 4;
    bi->ntx = read_le32(p), p += 4;
    bi->seq = read_le64(p);
    header_hash(&bi->hdr, bi->hash);
    return true;
}

static bool index_write(struct chain *c, const struct block_index *bi, bool with_end)
{
    uint8_t key[1 + HASH_SIZE], rec[INDEX_RECORD_SIZE], end[8];
    struct db_batch *b = db_batch_new();
    if (!b)
        return false;
    key[0] = 'b';
    memcpy(key + 1, bi->hash, HASH_SIZE);
    index_record_encode(bi, rec);
    db_batch_put(b, key, sizeof(key), rec, sizeof(rec));
    if (with_end) {
        uint32_t file, used;
        blockstore_end(c->blocks, &file, &used);
        write_le32(end, file);
        write_le32(end + 4, used);
        db_batch_put(b, "F", 1, end, sizeof(end));
    }
    bool ok = db_write(c->index, b, true);
    db_batch_free(b);
    if (!ok)
        log_printf("block index write failed: %s", db_last_error(c->index));
    return ok;
}

/* ---- in-memory index ---- */

static bool leaves_add(struct chain *c, struct block_index *bi)
{
    for (size_t i = 0; i < c->nleaves; i++)
        if (c->leaves[i] == bi)
            return true;
    if (c->nleaves == c->leaves_cap) {
        size_t cap = c->leaves_cap ? c->leaves_cap * 2 : 16;
        struct block_index **l = realloc(c->leaves, cap * sizeof(*l));
        if (!l)
            return false;
        c->leaves = l;
        c->leaves_cap = cap;
    }
    c->leaves[c->nleaves++] = bi;
    return true;
}

static void leaves_remove(struct chain *c, const struct block_index *bi)
{
    for (size_t i = 0; i < c->nleaves; i++)
        if (c->leaves[i] == bi) {
            c->leaves[i] = c->leaves[--c->nleaves];
            return;
        }
}

static bool active_push(struct chain *c, struct block_index *bi)
{
    if (c->active_len == c->active_cap) {
        size_t cap = c->active_cap ? c->active_cap * 2 : 1024;
        struct block_index **a = realloc(c->active, cap * sizeof(*a));
        if (!a)
            return false;
        c->active = a;
        c->active_cap = cap;
    }
    c->active[c->active_len++] = bi;
    return true;
}

static bool is_failed(const struct block_index *bi)
{
    return (bi->status & (BLOCK_FAILED | BLOCK_FAILED_CHILD)) != 0;
}

static uint64_t invert_lowest_one(uint64_t n)
{
    return n & (n - 1);
}

/* Where the skip pointer of a block at height h points: bitcoind's choice
 * (chain.cpp, GetSkipHeight), which reaches any ancestor in O(log h) steps. */
static uint64_t skip_height(uint64_t h)
{
    if (h < 2)
        return 0;
    return (h & 1) ? invert_lowest_one(invert_lowest_one(h - 1)) + 1 : invert_lowest_one(h);
}

static struct block_index *ancestor(struct block_index *bi, uint64_t height)
{
    if (!bi || height > bi->hdr.height)
        return NULL;
    while (bi && bi->hdr.height > height) {
        uint64_t h = bi->hdr.height, hs = skip_height(h), hs_prev = skip_height(h - 1);
        /* Take the skip unless it overshoots, or the parent's skip would
         * land closer without overshooting. */
        if (bi->skip && (hs == height || (hs > height && !(hs_prev + 2 < hs && hs_prev >= height))))
            bi = bi->skip;
        else
            bi = bi->prev;
    }
    return bi;
}

/* Sets bi's skip pointer; its parent's must be set already (else the walk
 * is linear, but still right). */
static void build_skip(struct block_index *bi)
{
    bi->skip = bi->prev ? ancestor(bi->prev, skip_height(bi->hdr.height)) : NULL;
}

const struct block_index *chain_ancestor(const struct block_index *bi, uint64_t height)
{
    return ancestor((struct block_index *)bi, height);
}

static struct block_index *fork_point(struct block_index *a, struct block_index *b)
{
    if (a->hdr.height > b->hdr.height)
        a = ancestor(a, b->hdr.height);
    else
        b = ancestor(b, a->hdr.height);
    while (a != b) {
        a = a->prev;
        b = b->prev;
    }
    return a;
}

const struct block_index *chain_fork_point(const struct block_index *a, const struct block_index *b)
{
    return fork_point((struct block_index *)a, (struct block_index *)b);
}

static struct block_index *tip_of(const struct chain *c)
{
    return c->active[c->active_len - 1];
}

/* ---- accessors ---- */

const struct chain_params *chain_params(const struct chain *c)
{
    return c->params;
}

const struct block_index *chain_tip(const struct chain *c)
{
    return tip_of(c);
}

uint64_t chain_height(const struct chain *c)
{
    return tip_of(c)->hdr.height;
}

const struct block_index *chain_at(const struct chain *c, uint64_t height)
{
    return height < c->active_len ? c->active[height] : NULL;
}

const struct block_index *chain_lookup(const struct chain *c, const uint8_t hash[HASH_SIZE])
{
    return hmap_get(&c->map, hash, HASH_SIZE);
}

bool chain_contains(const struct chain *c, const struct block_index *bi)
{
    return bi && bi->hdr.height < c->active_len && c->active[bi->hdr.height] == bi;
}

size_t chain_index_size(const struct chain *c)
{
    return hmap_count(&c->map);
}

void chain_foreach_index(const struct chain *c, void (*fn)(void *arg, const struct block_index *bi),
                         void *arg)
{
    const struct hmap_slot *slot;
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);)
        fn(arg, slot->val);
}

void chain_remove_listener(struct chain *c, void *arg)
{
    for (size_t i = 0; i < c->nlisteners;)
        if (c->listeners[i].arg == arg)
            memmove(&c->listeners[i], &c->listeners[i + 1],
                    (--c->nlisteners - i) * sizeof(*c->listeners));
        else
            i++;
}

void chain_add_listener(struct chain *c, const struct chain_listener *l)
{
    struct chain_listener *ls = realloc(c->listeners, (c->nlisteners + 1) * sizeof(*ls));
    if (!ls)
        return;
    c->listeners = ls;
    c->listeners[c->nlisteners++] = *l;
}

struct view *chain_view(struct chain *c)
{
    return view_new(c->state, NULL);
}

bool chain_get_account(struct chain *c, const uint8_t pub[PUBKEY_SIZE], struct account *a)
{
    uint8_t key[1 + ACCOUNT_KEY_SIZE];
    uint8_t *val = NULL;
    size_t vlen;
    memset(a, 0, sizeof(*a));
    key[0] = 's';
    account_key(key + 1, pub);
    enum db_result r = db_get(c->state, key, sizeof(key), &val, &vlen);
    if (r == DB_ERROR)
        return false;
    bool ok = r == DB_NOTFOUND || account_decode(a, val, vlen);
    free(val);
    return ok;
}

void chain_state_root(const struct chain *c, uint8_t out[HASH_SIZE])
{
    lthash_root(&c->lt, out);
}

static void lthash_apply_changes(struct lthash *lt, const struct view_change *ch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ch[i].has_old)
            lthash_remove(lt, ch[i].key, ch[i].klen, ch[i].old, ch[i].old_len);
        if (ch[i].has_cur)
            lthash_add(lt, ch[i].key, ch[i].klen, ch[i].cur, ch[i].cur_len);
    }
}

bool chain_root_with(const struct chain *c, struct view *v, uint8_t out[HASH_SIZE])
{
    struct lthash lt = c->lt;
    size_t n;
    const struct view_change *ch = view_changes(v, &n);
    if (view_failed(v))
        return false;
    lthash_apply_changes(&lt, ch, n);
    lthash_root(&lt, out);
    return true;
}

bool chain_scan_state(struct chain *c, const void *prefix, size_t plen,
                      bool (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                                 size_t vlen),
                      void *arg)
{
    uint8_t buf[1 + UNDO_MAX_KEY];
    const uint8_t *k, *v;
    size_t klen, vlen;
    if (plen > UNDO_MAX_KEY)
        return false;
    buf[0] = 's';
    memcpy(buf + 1, prefix, plen);
    struct db_iter *it = db_iter_new(c->state, buf, plen + 1);
    if (!it)
        return false;
    while (db_iter_next(it, &k, &klen, &v, &vlen))
        if (!fn(arg, k + 1, klen - 1, v, vlen))
            break;
    db_iter_free(it);
    return true;
}

uint64_t chain_double_proposals(const struct chain *c)
{
    return c->double_proposals;
}

uint64_t chain_disk_size(const struct chain *c)
{
    return blockstore_disk_size(c->blocks);
}

/* Decodes a stored record and checks it is the block bi names: its header
 * hashes to bi's hash and its transactions to the header's Merkle root.
 * out (when not NULL) receives the block. */
static bool check_stored(const struct block_index *bi, const uint8_t *data, size_t len,
                         struct block *out)
{
    struct block b;
    uint8_t hash[HASH_SIZE], root[HASH_SIZE];
    if (!block_decode(&b, data, len, SIZE_MAX)) {
        log_printf("ERROR: stored block at height %llu does not decode; the block store is "
                   "damaged (restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        return false;
    }
    header_hash(&b.hdr, hash);
    block_merkle_root(&b, root);
    if (memcmp(hash, bi->hash, HASH_SIZE) != 0 ||
        memcmp(root, b.hdr.tx_root, HASH_SIZE) != 0) {
        log_printf("ERROR: stored block at height %llu does not match its hash; the block store "
                   "is damaged (restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        block_free(&b);
        return false;
    }
    if (out)
        *out = b;
    else
        block_free(&b);
    return true;
}

static bool read_stored(struct chain *c, const struct block_index *bi, uint8_t **data,
                        size_t *len)
{
    char err[256];
    struct block_pos pos = {bi->file, bi->offset, bi->size};
    if (!(bi->status & BLOCK_HAVE_DATA))
        return false;
    if (!blockstore_read(c->blocks, &pos, data, err, sizeof(err))) {
        log_printf("ERROR: %s", err);
        return false;
    }
    *len = bi->size;
    return true;
}

bool chain_read_raw(struct chain *c, const struct block_index *bi, uint8_t **data, size_t *len)
{
    if (!read_stored(c, bi, data, len))
        return false;
    if (!check_stored(bi, *data, *len, NULL)) {
        free(*data);
        *data = NULL;
        return false;
    }
    return true;
}

bool chain_read_block(struct chain *c, const struct block_index *bi, struct block *out)
{
    uint8_t *data;
    size_t len;
    if (!read_stored(c, bi, &data, &len))
        return false;
    bool ok = check_stored(bi, data, len, out);
    free(data);
    return ok;
}

bool chain_find_tx(struct chain *c, const uint8_t txid[HASH_SIZE], struct tx *out,
                   const struct block_index **bi_out, uint32_t *index)
{
    uint8_t key[1 + HASH_SIZE], *val = NULL;
    size_t vlen;
    struct block blk;
    key[0] = 'x';
    memcpy(key + 1, txid, HASH_SIZE);
    if (db_get(c->state, key, sizeof(key), &val, &vlen) != DB_FOUND)
        return false;
    bool ok = false;
    const struct block_index *bi = vlen == HASH_SIZE + 4 ? chain_lookup(c, val) : NULL;
    uint32_t idx = vlen == HASH_SIZE + 4 ? read_le32(val + HASH_SIZE) : 0;
    free(val);
    if (!bi || !chain_read_block(c, bi, &blk))
        return false;
    if (idx < blk.ntx && tx_copy(out, &blk.txs[idx])) {
        if (bi_out)
            *bi_out = bi;
        if (index)
            *index = idx;
        ok = true;
    }
    block_free(&blk);
    return ok;
}

/* ---- adding blocks to the index ---- */

static void slot_key(uint8_t key[PUBKEY_SIZE + 8], const struct block_header *h)
{
    memcpy(key, h->proposer, PUBKEY_SIZE);
    write_le64(key + PUBKEY_SIZE, h->slot);
}

/* The first block seen for each (proposer, slot), to spot a second one. */
static void remember_slot(struct chain *c, struct block_index *bi)
{
    uint8_t key[PUBKEY_SIZE + 8];
    if (bi->hdr.height == 0)
        return;
    slot_key(key, &bi->hdr);
    if (!hmap_get(&c->by_slot, key, sizeof(key)))
        (void)hmap_put(&c->by_slot, key, sizeof(key), bi, NULL);
}

/* Tells listeners when hdr is a second proposal of its proposer for its
 * slot: same proposer and slot, different signed content. */
static void check_double_proposal(struct chain *c, const struct block_header *hdr)
{
    uint8_t key[PUBKEY_SIZE + 8], a[HASH_SIZE], b[HASH_SIZE];
    slot_key(key, hdr);
    const struct block_index *first = hmap_get(&c->by_slot, key, sizeof(key));
    if (!first)
        return;
    header_sighash(&first->hdr, c->params->genesis_hash, a);
    header_sighash(hdr, c->params->genesis_hash, b);
    if (memcmp(a, b, HASH_SIZE) == 0)
        return;
    c->double_proposals++;
    /* One log line per (proposer, slot): a validator signing many headers
     * for one slot does not fill the log. */
    if (!hmap_get(&c->logged_slots, key, sizeof(key))) {
        if (hmap_count(&c->logged_slots) < CHAIN_LOGGED_SLOTS_MAX)
            (void)hmap_put(&c->logged_slots, key, sizeof(key), c, NULL);
        log_printf("Double proposal by one validator at slot %llu: two headers signed",
                   (unsigned long long)hdr->slot);
    }
    for (size_t i = 0; i < c->nlisteners; i++)
        if (c->listeners[i].double_proposal)
            c->listeners[i].double_proposal(c->listeners[i].arg, &first->hdr, hdr);
}

static struct block_index *index_add(struct chain *c, const struct block_header *hdr,
                                     const uint8_t hash[HASH_SIZE])
{
    struct block_index *bi = calloc(1, sizeof(*bi));
    if (!bi)
        return NULL;
    memcpy(bi->hash, hash, HASH_SIZE);
    bi->hdr = *hdr;
    bi->prev = hmap_get(&c->map, hdr->prev, HASH_SIZE);
    build_skip(bi);
    bi->seq = c->next_seq++;
    if (!hmap_put(&c->map, hash, HASH_SIZE, bi, NULL)) {
        free(bi);
        return NULL;
    }
    remember_slot(c, bi);
    return bi;
}

static bool store_block(struct chain *c, struct block_index *bi, const struct block *b)
{
    struct wbuf w;
    struct block_pos pos;
    char err[256];
    wbuf_init(&w);
    block_encode(b, &w);
    bool ok = !w.failed && blockstore_append(c->blocks, w.data, w.len, &pos, err, sizeof(err));
    wbuf_free(&w);
    if (!ok) {
        log_printf("ERROR: cannot store block: %s", err);
        return false;
    }
    bi->file = pos.file;
    bi->offset = pos.offset;
    bi->size = pos.size;
    bi->ntx = (uint32_t)b->ntx;
    bi->status |= BLOCK_HAVE_DATA;
    return index_write(c, bi, true);
}

/* ---- connecting and disconnecting ---- */

static void notify(struct chain *c, bool connected, const struct block *b,
                   const struct block_index *bi)
{
    for (size_t i = 0; i < c->nlisteners; i++) {
        const struct chain_listener *l = &c->listeners[i];
        if (connected && l->connected)
            l->connected(l->arg, b, bi);
        else if (!connected && l->disconnected)
            l->disconnected(l->arg, b, bi);
    }
}

static void batch_meta(struct db_batch *batch, const struct lthash *lt, const uint8_t tip[HASH_SIZE])
{
    uint8_t lanes[LTHASH_BYTES];
    lthash_encode(lt, lanes);
    db_batch_put(batch, LTHASH_KEY, strlen(LTHASH_KEY), lanes, sizeof(lanes));
    db_batch_put(batch, TIP_KEY, strlen(TIP_KEY), tip, HASH_SIZE);
}

static void prefixed(uint8_t *out, char prefix, const void *key, size_t klen)
{
    out[0] = (uint8_t)prefix;
    memcpy(out + 1, key, klen);
}

static bool connect_block(struct chain *c, struct block_index *bi, const struct block *b,
                          struct validation *v)
{
    struct view *view = view_new(c->state, NULL);
    struct db_batch *batch = db_batch_new();
    struct lthash lt = c->lt;
    uint8_t root[HASH_SIZE], key[1 + UNDO_MAX_KEY];
    struct wbuf undo;
    size_t n;
    bool ok = false;

    wbuf_init(&undo);
    if (!view || !batch) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    if (!apply_block(view, c->params, &bi->prev->hdr, b, v))
        goto done;
    const struct view_change *ch = view_changes(view, &n);
    if (view_failed(view)) {
        val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
        goto done;
    }
    lthash_apply_changes(&lt, ch, n);
    lthash_root(&lt, root);
    if (memcmp(root, b->hdr.state_root, HASH_SIZE) != 0) {
        val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_STATEROOT);
        goto done;
    }

    for (size_t i = 0; i < n; i++) {
        if (ch[i].klen > UNDO_MAX_KEY) {
            val_fail(v, VAL_ERROR, REJECT_STATE_KEY_TOO_LONG);
            goto done;
        }
        prefixed(key, 's', ch[i].key, ch[i].klen);
        if (ch[i].has_cur)
            db_batch_put(batch, key, ch[i].klen + 1, ch[i].cur, ch[i].cur_len);
        else
            db_batch_del(batch, key, ch[i].klen + 1);
    }
    undo_encode(ch, n, &undo);
    if (undo.failed) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    prefixed(key, 'u', bi->hash, HASH_SIZE);
    db_batch_put(batch, key, 1 + HASH_SIZE, undo.data, undo.len);
    for (size_t i = 0; i < b->ntx; i++) {
        uint8_t loc[HASH_SIZE + 4];
        memcpy(loc, bi->hash, HASH_SIZE);
        write_le32(loc + HASH_SIZE, (uint32_t)i);
        prefixed(key, 'x', b->txids[i], HASH_SIZE);
        db_batch_put(batch, key, 1 + HASH_SIZE, loc, sizeof(loc));
    }
    batch_meta(batch, &lt, bi->hash);
    if (!db_write(c->state, batch, true)) {
        log_printf("ERROR: chainstate write failed: %s", db_last_error(c->state));
        val_fail(v, VAL_ERROR, REJECT_DB_WRITE_ERROR);
        goto done;
    }
    if (!active_push(c, bi)) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    c->lt = lt;
    if (!(bi->status & BLOCK_VALID)) {
        bi->status |= BLOCK_VALID;
        (void)index_write(c, bi, false);
    }
    ok = true;
done:
    wbuf_free(&undo);
    db_batch_free(batch);
    view_free(view);
    return ok;
}

/* Restores the state of the tip's parent from the tip's undo data. */
static bool disconnect_tip(struct chain *c, struct validation *v)
{
    struct block_index *bi = tip_of(c);
    uint8_t key[1 + UNDO_MAX_KEY], root[HASH_SIZE], *undo_data = NULL;
    size_t undo_len, n = 0;
    struct undo_entry *entries = NULL;
    struct db_batch *batch = NULL;
    struct lthash lt = c->lt;
    struct block b;
    bool ok = false;

    block_init(&b);
    if (bi->prev == NULL)
        return val_fail(v, VAL_ERROR, REJECT_CANNOT_DISCONNECT_GENESIS);
    if (!chain_read_block(c, bi, &b))
        return val_fail(v, VAL_ERROR, REJECT_BLOCK_READ_ERROR);
    prefixed(key, 'u', bi->hash, HASH_SIZE);
    if (db_get(c->state, key, 1 + HASH_SIZE, &undo_data, &undo_len) != DB_FOUND ||
        !undo_decode(undo_data, undo_len, &entries, &n)) {
        log_printf("ERROR: undo data of block %llu missing or damaged (restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        val_fail(v, VAL_ERROR, REJECT_UNDO_READ_ERROR);
        goto done;
    }
    batch = db_batch_new();
    if (!batch) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t *cur = NULL;
        size_t cur_len;
        prefixed(key, 's', entries[i].key, entries[i].klen);
        enum db_result r = db_get(c->state, key, entries[i].klen + 1, &cur, &cur_len);
        if (r == DB_ERROR) {
            val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
            goto done;
        }
        if (r == DB_FOUND)
            lthash_remove(&lt, entries[i].key, entries[i].klen, cur, cur_len);
        free(cur);
        if (entries[i].has_old) {
            lthash_add(&lt, entries[i].key, entries[i].klen, entries[i].old, entries[i].old_len);
            db_batch_put(batch, key, entries[i].klen + 1, entries[i].old, entries[i].old_len);
        } else {
            db_batch_del(batch, key, entries[i].klen + 1);
        }
    }
    lthash_root(&lt, root);
    if (memcmp(root, bi->prev->hdr.state_root, HASH_SIZE) != 0) {
        log_printf("ERROR: undoing block %llu does not give its parent's state root: the "
                   "chainstate is damaged (restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        val_fail(v, VAL_ERROR, REJECT_UNDO_MISMATCH);
        goto done;
    }
    prefixed(key, 'u', bi->hash, HASH_SIZE);
    db_batch_del(batch, key, 1 + HASH_SIZE);
    for (size_t i = 0; i < b.ntx; i++) {
        prefixed(key, 'x', b.txids[i], HASH_SIZE);
        db_batch_del(batch, key, 1 + HASH_SIZE);
    }
    batch_meta(batch, &lt, bi->prev->hash);
    if (!db_write(c->state, batch, true)) {
        log_printf("ERROR: chainstate write failed: %s", db_last_error(c->state));
        val_fail(v, VAL_ERROR, REJECT_DB_WRITE_ERROR);
        goto done;
    }
    c->lt = lt;
    c->active_len--;
    notify(c, false, &b, bi);
    ok = true;
done:
    block_free(&b);
    free(entries);
    free(undo_data);
    db_batch_free(batch);
    return ok;
}

static void recompute_best_header(struct chain *c);

static int cmp_height(const void *a, const void *b)
{
    const struct block_index *x = *(struct block_index *const *)a;
    const struct block_index *y = *(struct block_index *const *)b;
    return (x->hdr.height > y->hdr.height) - (x->hdr.height < y->hdr.height);
}

/* Marks bi invalid and every known descendant invalid-child (in height order,
 * so each learns it from its parent); the parent becomes a tip candidate
 * again. */
static void mark_failed(struct chain *c, struct block_index *bi)
{
    const struct hmap_slot *slot;
    struct block_index **above;
    size_t n = 0;

    bi->status |= BLOCK_FAILED;
    (void)index_write(c, bi, false);
    leaves_remove(c, bi);
    above = malloc((hmap_count(&c->map) + 1) * sizeof(*above));
    if (above) {
        for (size_t i = 0; hmap_next(&c->map, &i, &slot);) {
            struct block_index *x = slot->val;
            if (x->hdr.height > bi->hdr.height)
                above[n++] = x;
        }
        qsort(above, n, sizeof(*above), cmp_height);
        for (size_t i = 0; i < n; i++) {
            struct block_index *x = above[i];
            if (x->prev && is_failed(x->prev) && !(x->status & BLOCK_FAILED_CHILD)) {
                x->status |= BLOCK_FAILED_CHILD;
                (void)index_write(c, x, false);
                leaves_remove(c, x);
            }
        }
        free(above);
    }
    if (bi->prev && !is_failed(bi->prev) && (bi->prev->status & BLOCK_HAVE_DATA))
        (void)leaves_add(c, bi->prev);
    recompute_best_header(c);
}

static void consider_header(void *arg, const struct block_index *cbi)
{
    struct chain *c = arg;
    struct block_index *bi = (struct block_index *)cbi;
    if (is_failed(bi))
        return;
    if (bi->hdr.height > c->best_header->hdr.height ||
        (bi->hdr.height == c->best_header->hdr.height && bi->seq < c->best_header->seq))
        c->best_header = bi;
}

static void recompute_best_header(struct chain *c)
{
    c->best_header = tip_of(c);
    chain_foreach_index(c, consider_header, c);
}

/* The most blocks wins; among equals the first seen. */
static struct block_index *best_candidate(const struct chain *c)
{
    struct block_index *best = tip_of(c);
    for (size_t i = 0; i < c->nleaves; i++) {
        struct block_index *bi = c->leaves[i];
        if (is_failed(bi) || !(bi->status & BLOCK_HAVE_DATA))
            continue;
        if (bi->hdr.height > best->hdr.height ||
            (bi->hdr.height == best->hdr.height && bi->seq < best->seq))
            best = bi;
    }
    return best;
}

/* start_tip: the tip before the caller began changing the chain (NULL: the
 * current one); listeners hear of a new tip when it differs at the end. */
static bool activate_best_chain(struct chain *c, const struct block *in_hand,
                                const struct block_index *in_hand_bi,
                                const struct block_index *start_tip, struct validation *v)
{
    if (!start_tip)
        start_tip = tip_of(c);
    bool ok = true;

    for (;;) {
        struct block_index *best = best_candidate(c), *tip = tip_of(c);
        if (best == tip)
            break;
        struct block_index *fork = fork_point(tip, best);
        if (tip->hdr.height - fork->hdr.height > c->params->finality_depth) {
            log_printf("not reorganizing to %llu: fork at height %llu is deeper than the "
                       "finality depth",
                       (unsigned long long)best->hdr.height, (unsigned long long)fork->hdr.height);
            leaves_remove(c, best);
            continue;
        }
        while (tip_of(c) != fork) {
            if (!disconnect_tip(c, v))
                return false;
        }
        /* Connect fork+1 .. best. */
        size_t len = (size_t)(best->hdr.height - fork->hdr.height);
        struct block_index **path = malloc(len * sizeof(*path));
        if (!path)
            return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        for (struct block_index *p = best; p != fork; p = p->prev)
            path[p->hdr.height - fork->hdr.height - 1] = p;
        for (size_t i = 0; i < len; i++) {
            struct block blk;
            const struct block *b = in_hand;
            struct validation bv;
            val_init(&bv);
            if (path[i] != in_hand_bi) {
                if (!chain_read_block(c, path[i], &blk)) {
                    free(path);
                    return val_fail(v, VAL_ERROR, REJECT_BLOCK_READ_ERROR);
                }
                b = &blk;
            }
            bool connected = connect_block(c, path[i], b, &bv);
            if (connected)
                notify(c, true, b, path[i]);
            if (b != in_hand)
                block_free(&blk);
            if (!connected) {
                if (bv.cls == VAL_ERROR) {
                    free(path);
                    *v = bv;
                    return false;
                }
                log_printf("invalid block %llu: %s%s%s", (unsigned long long)path[i]->hdr.height,
                           bv.reason, bv.detail[0] ? ": " : "", bv.detail);
                mark_failed(c, path[i]);
                if (path[i] == in_hand_bi) {
                    *v = bv;
                    ok = false;
                }
                break;
            }
        }
        free(path);
    }

    if (tip_of(c) != start_tip) {
        const struct block_index *tip = tip_of(c);
        char hex[2 * HASH_SIZE + 1];
        hash_to_hex(tip->hash, hex);
        log_printf("UpdateTip: new best=%s height=%llu slot=%llu txs=%u", hex,
                   (unsigned long long)tip->hdr.height, (unsigned long long)tip->hdr.slot,
                   tip->ntx);
        for (size_t i = 0; i < c->nlisteners; i++)
            if (c->listeners[i].tip_changed)
                c->listeners[i].tip_changed(c->listeners[i].arg, tip);
    }
    return ok;
}

/* Checks that need the parent's header but no state. */
static bool check_header_context(const struct chain_params *p, const struct block_header *hdr,
                                 const struct block_header *prev, struct validation *v)
{
    if (hdr->height != prev->height + 1)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_HEIGHT);
    if (hdr->slot <= prev->slot)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_SLOT);
    if (hdr->slot > (UINT64_MAX - p->genesis_time) / p->slot_seconds ||
        hdr->time != params_slot_start(p, hdr->slot))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_TIME);
    return true;
}

/* Whether a header's proposer led its slot, as far as the tip's state can
 * tell.
 *
 * The schedule of epoch e on a branch is fixed by the branch's blocks of
 * epochs up to e-2 (doc/protocol.md, "Leader schedule"); the state at hand is
 * the tip's, which holds the schedules a child of the tip would be checked
 * against (staking_schedule_for).  So a header at epoch e >= the tip's epoch
 * can be checked with it when, above the last block its branch shares with
 * the active chain (F), the first block of each branch is of epoch e-1 or
 * later: then both branches agree on every block the schedule depends on.
 * Otherwise it is LEADER_NOT_YET when the branch grows from the tip (its own
 * blocks must be connected first) and LEADER_UNKNOWN when it forks below the
 * tip (only a reorganization would tell). */
enum leader_check { LEADER_OK, LEADER_WRONG, LEADER_NOT_YET, LEADER_UNKNOWN };

static enum leader_check check_leader(struct chain *c, const struct block_header *hdr,
                                      struct block_index *prev)
{
    const struct chain_params *p = c->params;
    struct block_index *tip = tip_of(c);
    uint64_t e = params_epoch_of(p, hdr->slot);
    if (e < params_epoch_of(p, tip->hdr.slot))
        return LEADER_UNKNOWN;
    struct block_index *fork = fork_point(tip, prev);
    if (fork != tip && params_epoch_of(p, c->active[fork->hdr.height + 1]->hdr.slot) + 1 < e)
        return LEADER_UNKNOWN;
    const struct block_header *first =
        prev == fork ? hdr : &ancestor(prev, fork->hdr.height + 1)->hdr;
    if (params_epoch_of(p, first->slot) + 1 < e)
        return fork == tip ? LEADER_NOT_YET : LEADER_UNKNOWN;

    /* One schedule per (tip, epoch) is kept: a headers message is checked
     * with one state read. */
    if (c->sched_tip != tip || c->sched_epoch != e || !c->sched_valid) {
        struct view *v = view_new(c->state, NULL);
        schedule_free(&c->sched);
        schedule_init(&c->sched);
        c->sched_valid = v && staking_schedule_for(v, p, tip->hdr.slot, hdr->slot, &c->sched);
        view_free(v);
        if (!c->sched_valid) {
            schedule_free(&c->sched);
            return LEADER_UNKNOWN;
        }
        c->sched_tip = tip;
        c->sched_epoch = e;
    }
    size_t idx;
    if (!schedule_leader(&c->sched, hdr->slot, &idx) ||
        memcmp(c->sched.entries[idx].pubkey, hdr->proposer, PUBKEY_SIZE) != 0)
        return LEADER_WRONG;
    return LEADER_OK;
}

/* A header whose parent is known: contextual checks, the leader of its slot
 * where the tip's state tells it (check_leader), the proposer's signature,
 * and an index entry (without the body).  unchecked: a header whose leader
 * cannot be known before a reorganization (LEADER_UNKNOWN) is indexed all
 * the same; else it is refused as premature and indexes nothing.  The whole
 * proposer check (jailing, RANDAO) is done when the block is connected,
 * against its parent's state. */
static bool accept_header(struct chain *c, const struct block_header *hdr,
                          const uint8_t hash[HASH_SIZE], bool unchecked, struct block_index **out,
                          struct validation *v)
{
    struct block_index *bi = hmap_get(&c->map, hash, HASH_SIZE), *prev;
    if (bi) {
        if (is_failed(bi))
            return val_fail(v, VAL_CONSENSUS, REJECT_DUPLICATE_INVALID);
        *out = bi;
        return true;
    }
    prev = hmap_get(&c->map, hdr->prev, HASH_SIZE);
    if (!prev)
        return val_fail(v, VAL_PREMATURE, REJECT_PREV_BLK_NOT_FOUND);
    if (is_failed(prev))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_PREVBLK);
    if (!check_header_context(c->params, hdr, &prev->hdr, v))
        return false;
    if (prev != tip_of(c)) {
        struct block_index *fork = fork_point(tip_of(c), prev);
        if (chain_height(c) - fork->hdr.height > c->params->finality_depth)
            return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FORK_PRIOR_TO_FINALITY);
    }
    if (hdr->version != BLOCK_VERSION)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_VERSION);
    bool leader_unchecked = (prev->status & BLOCK_LEADER_UNCHECKED) && !(prev->status & BLOCK_VALID);
    switch (check_leader(c, hdr, prev)) {
    case LEADER_OK:
        break;
    case LEADER_WRONG:
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_PROPOSER);
    case LEADER_NOT_YET:
        return val_fail(v, VAL_PREMATURE, REJECT_LEADER_NOT_YET_KNOWN);
    case LEADER_UNKNOWN:
        if (!unchecked)
            return val_fail(v, VAL_PREMATURE, REJECT_LEADER_UNKNOWN);
        leader_unchecked = true;
        break;
    }
    if (!header_check_sig(hdr, c->params->genesis_hash))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_SIG);
    check_double_proposal(c, hdr);
    if (!(bi = index_add(c, hdr, hash)))
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    if (leader_unchecked)
        bi->status |= BLOCK_LEADER_UNCHECKED;
    if (!index_write(c, bi, false))
        return val_fail(v, VAL_ERROR, REJECT_DB_WRITE_ERROR);
    if (hdr->height > c->best_header->hdr.height)
        c->best_header = bi;
    *out = bi;
    return true;
}

static bool process_header(struct chain *c, const struct block_header *hdr, bool unchecked,
                           struct validation *v)
{
    uint8_t hash[HASH_SIZE];
    struct block_index *bi;
    val_init(v);
    header_hash(hdr, hash);
    if (hmap_get(&c->map, hash, HASH_SIZE) && !is_failed(hmap_get(&c->map, hash, HASH_SIZE)))
        return val_fail(v, VAL_DUPLICATE, REJECT_DUPLICATE);
    return accept_header(c, hdr, hash, unchecked, &bi, v);
}

bool chain_process_header(struct chain *c, const struct block_header *hdr, struct validation *v)
{
    return process_header(c, hdr, false, v);
}

bool chain_process_header_unchecked(struct chain *c, const struct block_header *hdr,
                                    struct validation *v)
{
    return process_header(c, hdr, true, v);
}

bool chain_process_block(struct chain *c, const struct block *b, struct validation *v)
{
    uint8_t hash[HASH_SIZE];
    struct block_index *bi;

    val_init(v);
    header_hash(&b->hdr, hash);
    bi = hmap_get(&c->map, hash, HASH_SIZE);
    if (bi && (bi->status & BLOCK_HAVE_DATA))
        return val_fail(v, VAL_DUPLICATE, is_failed(bi) ? REJECT_DUPLICATE_INVALID : REJECT_DUPLICATE);
    if (!accept_header(c, &b->hdr, hash, false, &bi, v))
        return false;
    if (!(bi->prev->status & BLOCK_HAVE_DATA))
        return val_fail(v, VAL_PREMATURE, REJECT_PREV_BLK_NOT_STORED);
    /* A body that does not match its header (Merkle root) is rejected
     * without marking the header: the header may be honest. */
    if (!block_check(b, c->params, v))
        return false;
    if (!store_block(c, bi, b))
        return val_fail(v, VAL_ERROR, REJECT_BLOCK_STORE_ERROR);
    leaves_remove(c, bi->prev);
    if (!leaves_add(c, bi))
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    return activate_best_chain(c, b, bi, NULL, v);
}

const struct block_index *chain_best_header(const struct chain *c)
{
    return c->best_header->hdr.height > tip_of(c)->hdr.height ? c->best_header : tip_of(c);
}

size_t chain_missing_blocks(const struct chain *c, const struct block_index **out, size_t max)
{
    return chain_missing_blocks_to(c, chain_best_header(c), out, max);
}

size_t chain_missing_blocks_to(const struct chain *c, const struct block_index *best,
                               const struct block_index **out, size_t max)
{
    size_t n = 0;
    if (!best || best->hdr.height <= tip_of(c)->hdr.height || is_failed(best) || max == 0)
        return 0;
    /* From the first block of best's branch off the active chain upwards,
     * a window of the blocks still wanted at a time: each window's top is
     * reached over the skip pointers and walked down, so a call costs what
     * it returns (plus bodies already stored), not the branch's length. */
    uint64_t from = chain_fork_point(tip_of(c), best)->hdr.height + 1;
    while (n < max && from <= best->hdr.height) {
        uint64_t to = best->hdr.height;
        if (to - from >= max - n)
            to = from + (max - n) - 1;
        size_t first = n;
        for (const struct block_index *p = chain_ancestor(best, to); p && p->hdr.height >= from;
             p = p->prev)
            if (!(p->status & BLOCK_HAVE_DATA))
                out[n++] = p;
        for (size_t i = first, j = n; i + 1 < j; i++, j--) { /* lowest first */
            const struct block_index *t = out[i];
            out[i] = out[j - 1];
            out[j - 1] = t;
        }
        from = to + 1;
    }
    return n;
}

/* Known header-only children per block hash (hash -> count, kept in the
 * pointer).  A header-only block has only header-only children (a body is
 * stored only after its parent's), so for header-only blocks this counts
 * every child, and the map stays as small as the header-only part. */
static bool count_children(const struct chain *c, struct hmap *children)
{
    const struct hmap_slot *slot;
    hmap_init(children);
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);) {
        const struct block_index *bi = slot->val;
        if (!bi->prev || (bi->status & BLOCK_HAVE_DATA))
            continue;
        uintptr_t n = (uintptr_t)hmap_get(children, bi->prev->hash, HASH_SIZE);
        if (!hmap_put(children, bi->prev->hash, HASH_SIZE, (void *)(n + 1), NULL)) {
            hmap_free(children, NULL);
            return false;
        }
    }
    return true;
}

size_t chain_header_leaves(const struct chain *c, const struct block_index **out, size_t max)
{
    struct hmap children;
    const struct hmap_slot *slot;
    size_t n = 0;
    if (!count_children(c, &children))
        return 0;
    for (size_t i = 0; n < max && hmap_next(&c->map, &i, &slot);) {
        const struct block_index *bi = slot->val;
        if (!(bi->status & BLOCK_HAVE_DATA) && !hmap_get(&children, bi->hash, HASH_SIZE))
            out[n++] = bi;
    }
    hmap_free(&children, NULL);
    return n;
}

size_t chain_forget_headers(struct chain *c, const struct block_index *leaf)
{
    return chain_forget_headers_above(c, leaf, NULL);
}

size_t chain_forget_headers_above(struct chain *c, const struct block_index *leaf,
                                  const struct block_index *keep)
{
    struct hmap children;
    struct block_index *p = hmap_get(&c->map, leaf->hash, HASH_SIZE);
    struct db_batch *batch;
    size_t n = 0;
    if (!p || (p->status & BLOCK_HAVE_DATA) || !count_children(c, &children))
        return 0;
    if (hmap_get(&children, p->hash, HASH_SIZE) || !(batch = db_batch_new())) {
        hmap_free(&children, NULL);
        return 0;
    }
    while (p && p != keep && !(p->status & BLOCK_HAVE_DATA) && !chain_contains(c, p) &&
           !hmap_get(&children, p->hash, HASH_SIZE)) {
        struct block_index *prev = p->prev;
        uint8_t key[1 + HASH_SIZE], skey[PUBKEY_SIZE + 8];
        key[0] = 'b';
        memcpy(key + 1, p->hash, HASH_SIZE);
        db_batch_del(batch, key, sizeof(key));
        slot_key(skey, &p->hdr);
        if (hmap_get(&c->by_slot, skey, sizeof(skey)) == p)
            (void)hmap_remove(&c->by_slot, skey, sizeof(skey));
        (void)hmap_remove(&c->map, p->hash, HASH_SIZE);
        if (c->best_header == p)
            c->best_header = tip_of(c);
        free(p);
        n++;
        if (prev) {
            uintptr_t k = (uintptr_t)hmap_get(&children, prev->hash, HASH_SIZE);
            if (k > 1)
                (void)hmap_put(&children, prev->hash, HASH_SIZE, (void *)(k - 1), NULL);
            else
                (void)hmap_remove(&children, prev->hash, HASH_SIZE);
        }
        p = prev;
    }
    hmap_free(&children, NULL);
    if (!db_write(c->index, batch, false))
        log_printf("block index write failed: %s", db_last_error(c->index));
    db_batch_free(batch);
    recompute_best_header(c);
    return n;
}

bool chain_invalidate(struct chain *c, const uint8_t hash[HASH_SIZE], struct validation *v)
{
    struct block_index *bi = hmap_get(&c->map, hash, HASH_SIZE);
    const struct block_index *start_tip = tip_of(c);
    val_init(v);
    if (!bi)
        return val_fail(v, VAL_STATE, REJECT_BLOCK_NOT_FOUND);
    if (!bi->prev)
        return val_fail(v, VAL_STATE, REJECT_CANNOT_INVALIDATE_GENESIS);
    while (chain_contains(c, bi) && tip_of(c) != bi->prev)
        if (!disconnect_tip(c, v))
            return false;
    /* Make the blocks that extended bi's parent on the active chain count as
     * leaves so the best remaining chain can be found. */
    mark_failed(c, bi);
    return activate_best_chain(c, NULL, NULL, start_tip, v);
}

static void clear_failed(void *arg, const struct block_index *cbi)
{
    struct block_index *bi = (struct block_index *)cbi;
    struct block_index *target = arg;
    if (!is_failed(bi) || ancestor(bi, target->hdr.height) != target)
        return;
    bi->status &= ~(uint32_t)(BLOCK_FAILED | BLOCK_FAILED_CHILD);
}

static void collect_leaf(void *arg, const struct block_index *cbi)
{
    struct chain *c = arg;
    struct block_index *bi = (struct block_index *)cbi;
    if (!is_failed(bi) && (bi->status & BLOCK_HAVE_DATA))
        (void)leaves_add(c, bi);
}

bool chain_reconsider(struct chain *c, const uint8_t hash[HASH_SIZE], struct validation *v)
{
    struct block_index *bi = hmap_get(&c->map, hash, HASH_SIZE);
    val_init(v);
    if (!bi)
        return val_fail(v, VAL_STATE, REJECT_BLOCK_NOT_FOUND);
    chain_foreach_index(c, clear_failed, bi);
    for (struct block_index *p = bi; p; p = p->prev)
        p->status &= ~(uint32_t)(BLOCK_FAILED | BLOCK_FAILED_CHILD);
    /* Rebuild the candidates from scratch: every valid block may be a tip;
     * best_candidate only looks at the best of them. */
    c->nleaves = 0;
    chain_foreach_index(c, collect_leaf, c);
    const struct hmap_slot *slot;
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);)
        (void)index_write(c, slot->val, false);
    recompute_best_header(c);
    return activate_best_chain(c, NULL, NULL, NULL, v);
}

/* ---- opening ---- */

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
        build_skip(all[i]);
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
        remember_slot(c, bi);
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
        if (!hmap_get(&parents, bi->hash, HASH_SIZE) && !is_failed(bi) &&
            (bi->status & BLOCK_HAVE_DATA))
            (void)leaves_add(c, bi);
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
        if (!(bi = index_add(c, &genesis.hdr, c->params->genesis_hash)) || !leaves_add(c, bi)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        bi->status = BLOCK_VALID;
        if (!store_block(c, bi, &genesis)) {
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
        prefixed(key, 's', kv->key, kv->klen);
        db_batch_put(batch, key, kv->klen + 1, kv->val, kv->vlen);
    }
    kvlist_free(&state);
    if (ok) {
        batch_meta(batch, &lt, c->params->genesis_hash);
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
            leaves_remove(c, prev);
        (void)leaves_add(c, bi);
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

static bool open_dbs(struct chain *c, const char *datadir, bool reindex, bool scan, char *err,
                     size_t errlen)
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
    bool fresh = !db_exists(index);
    if (!fresh && !scan && !db_exists(state)) {
        snprintf(err, errlen, "the chainstate database %s is missing (restart with -reindex to "
                              "rebuild it from the block files)",
                 state);
        return false;
    }
    /* A reindex fills the chainstate only once its index is complete. */
    if (!(c->state = open_db(state, DB_CACHE_STATE, fresh || scan, err, errlen)) ||
        !(c->index = open_db(index, DB_CACHE_INDEX, fresh, err, errlen)))
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

struct chain *chain_open(const struct chain_params *params, const char *datadir, bool reindex,
                         char *err, size_t errlen)
{
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
    if (!open_dbs(c, datadir, reindex, reindex || resume, err, errlen))
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
    recompute_best_header(c);
    if (!activate_best_chain(c, NULL, NULL, NULL, &v) && v.cls == VAL_ERROR) {
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
    free(c);
}
