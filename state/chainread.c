/* Reading the chain: the active chain (tip, height, block at a height), the
 * state at the tip (views, accounts, state root, scans), and stored blocks
 * and transactions, each checked against its index entry when read back.
 * Nothing here changes the chain; that is state/chain.c.
 */
#include "state/chain_internal.h"
#include "state/blockstore.h"
#include "state/modules.h"
#include "state/readview.h"
#include "state/undo.h"
#include "state/view.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* ---- the active chain ---- */

const struct chain_params *chain_params(const struct chain *c)
{
    return c->params;
}

const struct block_index *chain_tip(const struct chain *c)
{
    return tip_of(c);
}

const struct block_index *chain_published_tip(const struct chain *c)
{
    return __atomic_load_n(&c->published, __ATOMIC_ACQUIRE);
}

uint64_t chain_height(const struct chain *c)
{
    return tip_of(c)->hdr.height;
}

/* The smaller of two fractions: the tip's time since genesis against the time
 * elapsed since genesis by the node's clock, and the tip's height against the
 * best known header's; 1 when the tip is at or ahead of the clock and no
 * header is beyond it. */
double chain_verification_progress(const struct chain *c, uint64_t now)
{
    const struct chain_params *p = chain_params(c);
    const struct block_index *tip = chain_tip(c);
    uint64_t headers = chain_best_header(c)->hdr.height, t = tip->hdr.time;
    double by_time = 1.0, by_headers = 1.0;
    if (now > t && now > p->genesis_time && t >= p->genesis_time)
        by_time = (double)(t - p->genesis_time) / (double)(now - p->genesis_time);
    if (headers > tip->hdr.height)
        by_headers = (double)tip->hdr.height / (double)headers;
    return by_time < by_headers ? by_time : by_headers;
}

double chain_last_connect_seconds(const struct chain *c)
{
    return (double)c->last_connect_us / 1e6;
}

const struct block_index *chain_at(const struct chain *c, uint64_t height)
{
    return height < c->active_len ? c->active[height] : NULL;
}

bool chain_contains(const struct chain *c, const struct block_index *bi)
{
    return bi && bi->hdr.height < c->active_len && c->active[bi->hdr.height] == bi;
}

/* ---- the tip state ---- */

struct view *chain_view(struct chain *c)
{
    return view_new(c->state, NULL);
}

bool chain_finalized(struct chain *c, uint64_t *height, uint8_t hash[HASH_SIZE])
{
    struct view *v = chain_view(c);
    bool ok = v && modules_finalized(v, c->params, hash);
    view_free(v);
    const struct block_index *bi = ok ? hmap_get(&c->map, hash, HASH_SIZE) : NULL;
    if (!bi) {
        /* Unreadable, or not indexed (cannot be: it is an ancestor of the
         * tip): the genesis block. */
        memcpy(hash, c->params->genesis_hash, HASH_SIZE);
        *height = 0;
        return false;
    }
    *height = bi->hdr.height;
    return true;
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

void chain_lthash_apply(struct lthash *lt, const struct view_change *ch, size_t n)
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
    chain_lthash_apply(&lt, ch, n);
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

/* ---- stored blocks and transactions ---- */

/* Decodes a stored record and checks it is the block bi names: its header
 * hashes to bi's hash and its transactions to the header's Merkle root.
 * out (when not NULL) receives the block. */
bool chain_check_stored(const struct block_index *bi, const uint8_t *data, size_t len,
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

bool chain_stored_checked(const struct block_index *bi, uint8_t **data, size_t len,
                          struct block *out)
{
    bool ok = chain_check_stored(bi, *data, len, out);
    if (!ok || out) {
        free(*data);
        *data = NULL;
    }
    return ok;
}

bool chain_txloc_parse(const uint8_t *val, size_t vlen, uint8_t block_hash[HASH_SIZE],
                       uint32_t *idx)
{
    if (vlen != HASH_SIZE + 4)
        return false;
    memcpy(block_hash, val, HASH_SIZE);
    *idx = read_le32(val + HASH_SIZE);
    return true;
}

bool chain_tx_of_block(struct block *blk, const struct block_index *bi, uint32_t idx,
                       struct tx *out, const struct block_index **bi_out, uint32_t *index)
{
    bool ok = idx < blk->ntx && tx_copy(out, &blk->txs[idx]);
    if (ok) {
        if (bi_out)
            *bi_out = bi;
        if (index)
            *index = idx;
    }
    block_free(blk);
    return ok;
}

bool chain_read_raw(struct chain *c, const struct block_index *bi, uint8_t **data, size_t *len)
{
    return read_stored(c, bi, data, len) && chain_stored_checked(bi, data, *len, NULL);
}

bool chain_read_block(struct chain *c, const struct block_index *bi, struct block *out)
{
    uint8_t *data;
    size_t len;
    return read_stored(c, bi, &data, &len) && chain_stored_checked(bi, &data, len, out);
}

bool chain_find_tx(struct chain *c, const uint8_t txid[HASH_SIZE], struct tx *out,
                   const struct block_index **bi_out, uint32_t *index)
{
    uint8_t key[1 + HASH_SIZE], *val = NULL, hash[HASH_SIZE];
    size_t vlen;
    uint32_t idx;
    struct block blk;
    key[0] = 'x';
    memcpy(key + 1, txid, HASH_SIZE);
    if (db_get(c->state, key, sizeof(key), &val, &vlen) != DB_FOUND)
        return false;
    bool located = chain_txloc_parse(val, vlen, hash, &idx);
    free(val);
    const struct block_index *bi = located ? chain_lookup(c, hash) : NULL;
    return bi && chain_read_block(c, bi, &blk) &&
           chain_tx_of_block(&blk, bi, idx, out, bi_out, index);
}
