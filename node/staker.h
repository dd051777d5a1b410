/* Block production with the validator keys held by the loaded wallets: the
 * glue between the block builder (state/builder.h), which needs a RANDAO
 * reveal and a signature, and the wallets, which hold the keys.  Used by
 * generateblocks and by the node's real-time producer. */
#ifndef FML_NODE_STAKER_H
#define FML_NODE_STAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/validation.h"

struct chain;
struct mempool;
struct wallets;

/* The next slot from `from` on (at most max_slots ahead) led by a key of the
 * loaded wallets, and that key. */
bool staker_next_slot(struct wallets *ws, struct chain *c, uint64_t from, uint64_t max_slots,
                      uint64_t *slot, uint8_t pub[PUBKEY_SIZE]);

/* Builds, signs and submits a block for validator pub at slot.  The hash of
 * the new block goes to hash_out. */
bool staker_produce(struct wallets *ws, struct chain *c, struct mempool *mp,
                    const uint8_t pub[PUBKEY_SIZE], uint64_t slot, uint8_t hash_out[HASH_SIZE],
                    struct validation *v);

/* The -blockmaxsize policy of the blocks built here (0: the consensus
 * limit); called once at start. */
void staker_set_block_max_size(size_t bytes);

/* Builds and signs a block for validator pub at slot on top of the tip,
 * without submitting it. */
bool staker_build(struct wallets *ws, struct chain *c, struct mempool *mp,
                  const uint8_t pub[PUBKEY_SIZE], uint64_t slot, struct block *out,
                  struct validation *v);

/* Submits a transaction of the given type and payload from the account of an
 * unlocked wallet with the largest balance that pays its fee (the node
 * reports double proposals this way).  The wallet records it only once the
 * mempool accepted it (wallet_submit_tx, through the chain interface the
 * wallets are attached to).  The txid goes to txid_out. */
bool staker_submit(struct wallets *ws, struct chain *c, struct mempool *mp, uint8_t type,
                   const struct wbuf *payload, uint8_t txid_out[HASH_SIZE], char *err,
                   size_t errlen);

/* Block production as rpc/ may use it (rpc_env.staker, see rpc/methods.h):
 * the functions above over the env's wallets, chain and mempool. */
struct rpc_staker;
extern const struct rpc_staker staker_rpc;

#endif
