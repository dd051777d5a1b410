/* The block index: one entry per known header (any branch), kept in a hash
 * map and as records in blocks/index/; skip pointers and ancestor lookups,
 * fork points, the tip candidates (leaves), the best header, the blocks
 * still to download, and forgetting header-only branches.  Also the first
 * header seen per (proposer, slot), to spot double proposals.
 *
 * It never connects a block nor touches the chainstate: that is
 * state/chain.c.
 */
#include "state/chain_internal.h"
#include "state/blockstore.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* A record: the header, status, file, offset, size, ntx (u32 each), seq
 * (u64), then just_epoch and vote_top (u64 each).  Records written before
 * the last two were kept (INDEX_RECORD_SIZE_OLD) still load, with neither
 * known. */
#define INDEX_RECORD_SIZE_OLD (BLOCK_HEADER_SIZE + 4 * 5 + 8)
#define INDEX_RECORD_SIZE (INDEX_RECORD_SIZE_OLD + 8 + 8)
/* Distinct (proposer, slot) double proposals logged; later ones still reach
 * the listeners, without a log line. */
#define CHAIN_LOGGED_SLOTS_MAX 4096

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
    write_le64(p, bi->seq), p += 8;
    write_le64(p, bi->just_epoch), p += 8;
    write_le64(p, bi->vote_top);
}

bool index_record_decode(struct block_index *bi, const uint8_t *data, size_t len)
{
    if ((len != INDEX_RECORD_SIZE && len != INDEX_RECORD_SIZE_OLD) ||
        !header_decode(&bi->hdr, data, BLOCK_HEADER_SIZE))
        return false;
    const uint8_t *p = data + BLOCK_HEADER_SIZE;
    bi->status = read_le32(p), p += 4;
    bi->file = read_le32(p), p += 4;
    bi->offset = read_le32(p), p += 4;
    bi->size = read_le32(p), p += 4;
    bi->ntx = read_le32(p), p += 4;
    bi->seq = read_le64(p), p += 8;
    if (len == INDEX_RECORD_SIZE) {
        bi->just_epoch = read_le64(p), p += 8;
        bi->vote_top = read_le64(p);
    } else {
        bi->just_epoch = bi->vote_top = 0;
        bi->status &= ~(uint32_t)(BLOCK_JUST_KNOWN | BLOCK_VOTES_KNOWN);
    }
    header_hash(&bi->hdr, bi->hash);
    return true;
}

bool index_write(struct chain *c, const struct block_index *bi, bool with_end)
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

bool index_leaf_add(struct chain *c, struct block_index *bi)
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

void index_leaf_remove(struct chain *c, const struct block_index *bi)
{
    for (size_t i = 0; i < c->nleaves; i++)
        if (c->leaves[i] == bi) {
            c->leaves[i] = c->leaves[--c->nleaves];
            return;
        }
}

bool index_failed(const struct block_index *bi)
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

struct block_index *index_ancestor(struct block_index *bi, uint64_t height)
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
void index_build_skip(struct block_index *bi)
{
    bi->skip = bi->prev ? index_ancestor(bi->prev, skip_height(bi->hdr.height)) : NULL;
}

const struct block_index *chain_ancestor(const struct block_index *bi, uint64_t height)
{
    return index_ancestor((struct block_index *)bi, height);
}

struct block_index *index_fork_point(struct block_index *a, struct block_index *b)
{
    if (a->hdr.height > b->hdr.height)
        a = index_ancestor(a, b->hdr.height);
    else
        b = index_ancestor(b, a->hdr.height);
    while (a != b) {
        a = a->prev;
        b = b->prev;
    }
    return a;
}

const struct block_index *chain_fork_point(const struct block_index *a, const struct block_index *b)
{
    return index_fork_point((struct block_index *)a, (struct block_index *)b);
}

const struct block_index *chain_lookup(const struct chain *c, const uint8_t hash[HASH_SIZE])
{
    return hmap_get(&c->map, hash, HASH_SIZE);
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

/* ---- adding blocks to the index ---- */

static void slot_key(uint8_t key[PUBKEY_SIZE + 8], const struct block_header *h)
{
    memcpy(key, h->proposer, PUBKEY_SIZE);
    write_le64(key + PUBKEY_SIZE, h->slot);
}

/* The first block seen for each (proposer, slot), to spot a second one. */
void index_remember_slot(struct chain *c, struct block_index *bi)
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
void index_check_double_proposal(struct chain *c, const struct block_header *hdr)
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

struct block_index *index_add(struct chain *c, const struct block_header *hdr,
                                     const uint8_t hash[HASH_SIZE])
{
    struct block_index *bi = calloc(1, sizeof(*bi));
    if (!bi)
        return NULL;
    memcpy(bi->hash, hash, HASH_SIZE);
    bi->hdr = *hdr;
    bi->prev = hmap_get(&c->map, hdr->prev, HASH_SIZE);
    index_build_skip(bi);
    bi->seq = c->next_seq++;
    if (!hmap_put(&c->map, hash, HASH_SIZE, bi, NULL)) {
        free(bi);
        return NULL;
    }
    index_remember_slot(c, bi);
    return bi;
}

/* ---- the best header ---- */

static void consider_header(void *arg, const struct block_index *cbi)
{
    struct chain *c = arg;
    struct block_index *bi = (struct block_index *)cbi;
    if (index_failed(bi))
        return;
    if (bi->hdr.height > c->best_header->hdr.height ||
        (bi->hdr.height == c->best_header->hdr.height && bi->seq < c->best_header->seq))
        c->best_header = bi;
}

void index_recompute_best_header(struct chain *c)
{
    c->best_header = tip_of(c);
    chain_foreach_index(c, consider_header, c);
}

const struct block_index *chain_best_header(const struct chain *c)
{
    return c->best_header->hdr.height > tip_of(c)->hdr.height ? c->best_header : tip_of(c);
}

/* ---- what to download; forgetting header-only branches ---- */

size_t chain_missing_blocks(const struct chain *c, const struct block_index **out, size_t max)
{
    return chain_missing_blocks_to(c, chain_best_header(c), out, max);
}

bool chain_branch_wanted(const struct chain *c, const struct block_index *from,
                         uint64_t top_height)
{
    const struct block_index *tip = tip_of(c);
    if (top_height > tip->hdr.height)
        return true;
    if (!from)
        return false;
    const struct block_index *fork = chain_fork_point(tip, from);
    return fork->hdr.height + c->params->finality_depth >= tip->hdr.height;
}

bool chain_lower_branch(const struct chain *c, const struct block_index *bi)
{
    return bi->hdr.height <= tip_of(c)->hdr.height && !(bi->status & BLOCK_JUST_KNOWN) &&
           chain_ancestor(tip_of(c), bi->hdr.height) != bi;
}

size_t chain_lower_bodies(const struct chain *c)
{
    const struct block_index *tip = tip_of(c);
    size_t n = 0;
    for (size_t i = 0; i < c->nleaves; i++) {
        const struct block_index *leaf = c->leaves[i];
        if (leaf == tip || index_failed(leaf) || !chain_lower_branch(c, leaf))
            continue;
        const struct block_index *fork = chain_fork_point(tip, leaf);
        if (fork->hdr.height + c->params->finality_depth < tip->hdr.height)
            continue; /* never evaluated now: does not hold the cap */
        for (const struct block_index *p = leaf; p != fork; p = p->prev)
            if ((p->status & BLOCK_HAVE_DATA) && !(p->status & BLOCK_JUST_KNOWN))
                n++;
    }
    return n;
}

size_t chain_lower_bodies_max(const struct chain *c)
{
    return 2 * (size_t)c->params->finality_depth;
}

size_t chain_missing_blocks_to(const struct chain *c, const struct block_index *best,
                               const struct block_index **out, size_t max)
{
    size_t n = 0;
    if (!best || !chain_branch_wanted(c, best, best->hdr.height) || index_failed(best) ||
        max == 0)
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
    index_recompute_best_header(c);
    return n;
}
