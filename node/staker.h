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
#include "consensus/params.h"
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

/* ---- Finality votes ---- */

/* A validator's slashing protection: the last vote each of its keys signed
 * (source and target epoch), kept in a file of the data directory
 * (finality_votes.dat: lines "pubkey-hex source_epoch target_epoch"),
 * written atomically and synced before the vote leaves the node.  A key
 * signs a vote (s, t) only when t is above its recorded target and s at
 * least its recorded source, so it never signs two votes for one target
 * nor a pair where one surrounds the other, across crashes and restarts. */
struct vote_guard;
/* NULL with err set when the file exists and cannot be read or parsed. */
struct vote_guard *vote_guard_open(const char *path, char *err, size_t errlen);
void vote_guard_free(struct vote_guard *g);
/* Whether key pub may sign a vote (source_epoch, target_epoch), and if so
 * records it durably first; false when refused or not recorded. */
bool vote_guard_claim(struct vote_guard *g, const uint8_t pub[PUBKEY_SIZE], uint64_t source_epoch,
                      uint64_t target_epoch);

/* The vote deadline: a vote for epoch e (the tip's, so the chain has a
 * block of e) waits until the clock's slot reaches e's first slot plus an
 * eighth of the epoch (at least 1, at most epoch_slots - 1: within e), so
 * that a late or competing block at the boundary has settled before the
 * checkpoint is voted for (a vote, once signed, cannot be redone for
 * another hash of the same epoch without a slashable double vote). */
static inline bool staker_vote_due(const struct chain_params *p, uint64_t tip_slot,
                                   uint64_t now_slot)
{
    uint64_t start = params_epoch_of(p, tip_slot) * p->epoch_slots;
    uint64_t wait = p->epoch_slots / 8;
    if (wait < 1)
        wait = 1;
    if (p->epoch_slots > 1 && wait > p->epoch_slots - 1)
        wait = p->epoch_slots - 1;
    return now_slot >= start + wait;
}

/* Once per epoch: for every validator key of the loaded wallets with stake
 * in the vote weights of the tip's epoch e (e >= 1) and no vote counted for
 * e yet, signs the vote (the tip state's justified checkpoint -> (e,
 * checkpoint(e))), records it in the guard and submits it to the mempool
 * (which relays it); nothing before staker_vote_due(tip slot, now_slot).
 * Returns the number of votes submitted. */
size_t staker_vote(struct wallets *ws, struct chain *c, struct mempool *mp, struct vote_guard *g,
                   uint64_t now_slot);

/* Block production as rpc/ may use it (rpc_env.staker, see rpc/methods.h):
 * the functions above over the env's wallets, chain and mempool. */
struct rpc_staker;
extern const struct rpc_staker staker_rpc;

#endif
