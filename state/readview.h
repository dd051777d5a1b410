/* Read views: the chain as of one published tip, read without the node lock.
 *
 * At every publication of the tip (the end of each activation, and when the
 * chain is opened) the chain manager publishes one reference-counted
 * descriptor: the tip's block index entry and a LevelDB snapshot of the
 * chainstate taken right then (state/db.h, db_snapshot).  Every chainstate
 * write is one batch per block (connect_block / disconnect_tip), and the
 * tx index ('x') lives in the chainstate too, so the snapshot is exactly the
 * state, tx index and tip record after the published tip: never a block
 * half applied, never a tip in the middle of a reorganization.  Readers
 * (RPC threads) take a reference, read through it and drop it:
 *
 *   struct readview *rv = readview_take(c);
 *   ... readview_tip(rv), readview_get_account(rv, ...), ...
 *   readview_drop(rv);
 *
 * The active chain of the view is the tip's ancestors (chain_ancestor over
 * the skip pointers, which never change once a block is indexed), so
 * confirmations and "next block" come from the same descriptor as the data.
 * Block index entries are found by hash in a map of their own that holds
 * every block that was ever part of a published active chain (see
 * readview.c for why it is not the chain's own map).  Such entries have
 * their body stored and are never freed before the chain is closed.
 *
 * Lifetime: the chain holds one reference to the current descriptor; the
 * last reference releases the snapshot.  chain_close waits until every
 * descriptor is released before it closes the chainstate (the node stops
 * its RPC server first, so in practice nothing is left to wait for).
 */
#ifndef FML_STATE_READVIEW_H
#define FML_STATE_READVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/accounts.h"
#include "consensus/attr.h"
#include "consensus/tx.h"
#include "state/chain.h"

struct chain;
struct readview;
struct view;

/* The current view, with a reference the caller drops; NULL only when
 * nothing was published yet or memory ran out at every publication.
 * Never waits behind a block connection: it takes a mutex that is held
 * only to swap or copy one pointer. */
struct readview *readview_take(struct chain *c);
void readview_drop(struct readview *rv);

const struct block_index *readview_tip(const struct readview *rv);
/* A block of a published active chain by hash (not necessarily of this
 * view's chain: check readview_contains), or NULL (unknown, header only,
 * or a block that never was on a published active chain). */
const struct block_index *readview_lookup(const struct readview *rv,
                                          const uint8_t hash[HASH_SIZE]);
/* True when bi is on the view's active chain. */
bool readview_contains(const struct readview *rv, const struct block_index *bi);
/* The view's active block at height, or NULL above its tip. */
const struct block_index *readview_at(const struct readview *rv, uint64_t height);

/* As chain_get_account, chain_view, chain_read_raw and chain_find_tx, at
 * the view's tip.  readview_state's view reads the snapshot (view_free it;
 * never commit it). */
bool readview_get_account(struct readview *rv, const uint8_t pub[PUBKEY_SIZE], struct account *a)
    WARN_UNUSED;
struct view *readview_state(struct readview *rv);
/* bi must come from readview_lookup / readview_at / readview_tip. */
bool readview_read_raw(struct readview *rv, const struct block_index *bi, uint8_t **data,
                       size_t *len) WARN_UNUSED;
/* As chain_read_block: the block checked and decoded once (its txids
 * filled), for a reader that needs the transactions, not the bytes. */
bool readview_read_block(struct readview *rv, const struct block_index *bi, struct block *out)
    WARN_UNUSED;
bool readview_find_tx(struct readview *rv, const uint8_t txid[HASH_SIZE], struct tx *out,
                      const struct block_index **bi, uint32_t *index) WARN_UNUSED;

/* For tests: descriptors not yet released (the current one included). */
size_t readview_live(struct chain *c);

/* ---- for the chain manager only ---- */

/* Publishes the chain's current tip and chainstate (chain_publish_tip). */
void readview_publish(struct chain *c);
/* Unpublishes, waits for every reference to be dropped, frees the views
 * (chain_close, before the chainstate is closed). */
void readview_close(struct chain *c);
/* Checks a stored record is the block bi names (state/chainread.c). */
bool chain_check_stored(const struct block_index *bi, const uint8_t *data, size_t len,
                        struct block *out);
/* The readers' shared steps (state/chainread.c).  chain_stored_checked:
 * checks the record *data read for bi; out NULL keeps *data (the raw
 * bytes), otherwise decodes into out; *data is freed (and NULL) unless
 * kept.  chain_txloc_parse: a tx index value ('x' record: block hash,
 * position).  chain_tx_of_block: copies blk's transaction idx into out and
 * frees blk. */
bool chain_stored_checked(const struct block_index *bi, uint8_t **data, size_t len,
                          struct block *out);
bool chain_txloc_parse(const uint8_t *val, size_t vlen, uint8_t block_hash[HASH_SIZE],
                       uint32_t *idx);
bool chain_tx_of_block(struct block *blk, const struct block_index *bi, uint32_t idx,
                       struct tx *out, const struct block_index **bi_out, uint32_t *index);

#endif
