/* Building a block for a proposer: pick the slot, take mempool transactions
 * by fee rate while they apply, run the state transition, fill in the state
 * and Merkle roots, and have the proposer's key sign it.
 */
#ifndef FML_STATE_BUILDER_H
#define FML_STATE_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/validation.h"
#include "consensus/attr.h"

struct chain;
struct mempool;

/* What only the proposer's wallet can do. */
struct block_signer {
    /* The RANDAO preimage of pub's current commitment after reveals_done
     * reveals. */
    bool (*reveal)(void *arg, const uint8_t pub[PUBKEY_SIZE], uint64_t reveals_done,
                   uint8_t out[HASH_SIZE]);
    /* Signs hdr with the key of hdr->proposer. */
    bool (*sign)(void *arg, struct block_header *hdr);
    void *arg;
};

/* The first slot in [from, from + max_slots) (and never before the tip's
 * next slot) whose leader on top of the tip is one of ours; false when there
 * is none.  The leader's key goes to pub. */
bool builder_next_slot(struct chain *c, bool (*ours)(void *arg, const uint8_t pub[PUBKEY_SIZE]),
                       void *arg, uint64_t from, uint64_t max_slots, uint64_t *slot,
                       uint8_t pub[PUBKEY_SIZE]) WARN_UNUSED;

/* Builds a block at slot (which pub must lead) on top of the tip.  The block
 * is not submitted: pass it to chain_process_block. */
bool builder_build(struct chain *c, struct mempool *mp, const uint8_t pub[PUBKEY_SIZE],
                   uint64_t slot, const struct block_signer *signer, struct block *out,
                   struct validation *v) WARN_UNUSED;
/* The same, taking transactions within max_size bytes of block (the
 * producer's -blockmaxsize policy; 0 or above the consensus limit: the
 * chain's max_block_size). */
bool builder_build_max(struct chain *c, struct mempool *mp, const uint8_t pub[PUBKEY_SIZE],
                       uint64_t slot, const struct block_signer *signer, size_t max_size,
                       struct block *out, struct validation *v) WARN_UNUSED;

#endif
