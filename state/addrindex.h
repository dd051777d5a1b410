/* The address index (-addressindex=1): for every address, each block cause
 * that changed its balance, nonce or stake, newest last.  Storage only, not
 * consensus: it is built from the journal of balance changes that the state
 * transition writes when asked (state/view.h) and kept in the chainstate
 * database, written in the same batch as the block it describes.
 *
 * Keys in the chainstate (doc/protocol.md, "Address index"):
 *   'A' | pubkey | n (u64 BE)  -> entry n of the address (0 = oldest)
 *   'a' | pubkey               -> number of entries of the address (u64 LE)
 *   'w' | block hash           -> what the block added: (pubkey, entries u32 LE)*
 *   "maddrindex"               -> 1: complete since genesis; 0: stale
 *
 * An entry is one cause in one block: the begin-of-block rules, one
 * transaction, or the end-of-block rules; several changes of one cause
 * (a fee and a transfer, say) add up into one entry.
 */
#ifndef FML_STATE_ADDRINDEX_H
#define FML_STATE_ADDRINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/genesis.h"
#include "consensus/key.h"
#include "state/db.h"
#include "state/view.h"
#include "consensus/attr.h"

#define ADDRINDEX_MARKER_KEY "maddrindex"
/* Causes besides transaction positions (view.h's JOURNAL_CAUSE_*), and the
 * genesis allocation. */
#define ADDRINDEX_CAUSE_GENESIS (-3)

struct addrindex_entry {
    uint64_t height;
    int64_t cause;          /* transaction position, or JOURNAL_CAUSE_* / ADDRINDEX_CAUSE_GENESIS */
    uint8_t type;           /* the transaction's type (when cause >= 0) */
    uint8_t txid[HASH_SIZE]; /* zeroes when cause < 0 */
    int64_t balance_change;
    uint64_t balance;       /* after this entry */
    int64_t stake_change;
};

/* Adds to batch the index entries of block b (hash, height), connected
 * with the journal j on top of the committed state in state (read for the
 * counts and for balances before the block).  False on a read error or
 * out of memory. */
bool addrindex_connect(struct db *state, struct db_batch *batch, const struct block *b,
                       const uint8_t hash[HASH_SIZE], uint64_t height,
                       const struct journal_entry *j, size_t n) WARN_UNUSED;
/* Adds to batch the removal of what addrindex_connect wrote for the block
 * hash.  False when its record is missing or damaged, or on a read error. */
bool addrindex_disconnect(struct db *state, struct db_batch *batch, const uint8_t hash[HASH_SIZE])
    WARN_UNUSED;
/* Adds to batch the genesis allocation: accounts and self-stakes of the
 * genesis state (key, value pairs). */
bool addrindex_genesis(struct db_batch *batch, const struct kvpair *items, size_t n) WARN_UNUSED;

/* Number of entries of pub; false on a read error. */
bool addrindex_total(struct db *state, const uint8_t pub[PUBKEY_SIZE], uint64_t *total) WARN_UNUSED;
/* Entry i (0 = oldest) of pub; false when absent, damaged or unreadable. */
bool addrindex_get(struct db *state, const uint8_t pub[PUBKEY_SIZE], uint64_t i,
                   struct addrindex_entry *out) WARN_UNUSED;

#endif
