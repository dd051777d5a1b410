/* What the files of the chain manager share, and nothing outside them may
 * use: struct chain, the keys it stores under, and the functions one of
 * state/blockindex.c (the block index), state/chain.c (moving the active
 * chain), state/chainread.c (reading the chain, its state and its blocks)
 * and state/chainload.c (opening, reindexing, verifying, closing) offers
 * the others.  Callers elsewhere use state/chain.h.
 *
 * On disk:
 *   blocks/blkNNNNN.dat   block records (state/blockstore.c)
 *   blocks/index/         LevelDB: 'b'|hash -> index record, 'F' -> durable end
 *                         of the block files, 'G' -> genesis hash
 *   chainstate/           LevelDB: 's'|key -> state value, 'u'|hash -> undo,
 *                         'x'|txid -> block hash | position, "mtip" -> tip hash,
 *                         "mlthash" -> state-root lanes; with -addressindex also
 *                         'A', 'a', 'w' and "maddrindex" (state/addrindex.h)
 */
#ifndef FML_STATE_CHAIN_INTERNAL_H
#define FML_STATE_CHAIN_INTERNAL_H

#include "consensus/lthash.h"
#include "consensus/staking.h"
#include "state/chain.h"
#include "state/db.h"
#include "state/readview.h"
#include "state/view.h"
#include "util/hmap.h"

#define TIP_KEY "mtip"
#define LTHASH_KEY "mlthash"

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
    uint64_t last_connect_us; /* how long the last connect_block took */
    bool addrindex; /* -addressindex: keep the address index (state/addrindex.h) */
    /* Checks blocks' transactions (the -par pool and the signature cache);
     * NULL: on the calling thread, without a cache.  Not owned. */
    struct sigcheck *sigcheck;
    /* The block about to be connected (pre_for), applied to a view of the
     * tip state while the pool checked its signatures: connect_block takes
     * it instead of applying the block again if the state has not moved
     * since (pre_tip is the tip it was applied on).  Never kept past
     * chain_activate_best. */
    struct view *pre_view;
    const struct block_index *pre_for, *pre_tip;
    /* The tip as of the end of the last activation (chain_published_tip):
     * written with release order under the node lock, read without it. */
    const struct block_index *published;
    struct readview_hub *readview; /* state/readview.c: the published read views */
};

/* Makes the current tip the published one (chain_published_tip). */
static inline void chain_publish_tip(struct chain *c)
{
    readview_publish(c);
    __atomic_store_n(&c->published, c->active[c->active_len - 1], __ATOMIC_RELEASE);
}

static inline struct block_index *tip_of(const struct chain *c)
{
    return c->active[c->active_len - 1];
}

/* ---- the block index (state/blockindex.c) ---- */

bool index_record_decode(struct block_index *bi, const uint8_t *data, size_t len) WARN_UNUSED;
/* Writes bi's index entry (synced); with_end also records the end of the
 * block files. */
bool index_write(struct chain *c, const struct block_index *bi, bool with_end);
/* Adds a header to the in-memory index (not to disk), its parent and skip
 * pointer set. */
struct block_index *index_add(struct chain *c, const struct block_header *hdr,
                              const uint8_t hash[HASH_SIZE]);
/* Tip candidates: blocks with a body and no known child. */
bool index_leaf_add(struct chain *c, struct block_index *bi);
void index_leaf_remove(struct chain *c, const struct block_index *bi);
/* Invalid, or descends from an invalid block. */
bool index_failed(const struct block_index *bi);
struct block_index *index_ancestor(struct block_index *bi, uint64_t height);
void index_build_skip(struct block_index *bi);
struct block_index *index_fork_point(struct block_index *a, struct block_index *b);
void index_remember_slot(struct chain *c, struct block_index *bi);
void index_check_double_proposal(struct chain *c, const struct block_header *hdr);
void index_recompute_best_header(struct chain *c);

/* ---- the chain manager (state/chain.c) ---- */

bool chain_store_block(struct chain *c, struct block_index *bi, const struct block *b)
    WARN_UNUSED;
/* Puts the state-root lanes and the tip into a chainstate batch. */
void chain_batch_meta(struct db_batch *batch, const struct lthash *lt,
                      const uint8_t tip[HASH_SIZE]);
void chain_prefixed_key(uint8_t *out, char prefix, const void *key, size_t klen);
/* Makes the tip's just_epoch known (from the chainstate) when it is not:
 * the fork choice ranks every candidate against it. */
bool chain_note_tip_just(struct chain *c);
bool chain_activate_best(struct chain *c, const struct block *in_hand,
                         const struct block_index *in_hand_bi,
                         const struct block_index *start_tip, struct validation *v) WARN_UNUSED;

/* ---- reading (state/chainread.c) ---- */

/* Applies a view's changes to state-root lanes. */
void chain_lthash_apply(struct lthash *lt, const struct view_change *ch, size_t n);

#endif
