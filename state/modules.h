/* The module table: each native module (accounts, staking, fl; next arena,
 * market) registers here its begin/end-of-block hooks, as Cosmos SDK modules
 * register BeginBlock/EndBlock, and the state rules of each of its
 * transaction types.  The chain manager and apply.c know no module by name:
 * they call through these tables.
 *
 * There is no undo per type: a block's undo data is the old value of every
 * state key it changed (state/undo.h), whatever changed it. */
#ifndef FML_STATE_MODULES_H
#define FML_STATE_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/txtypes.h"
#include "state/apply.h"
#include "consensus/attr.h"

struct module {
    const char *name; /* as in consensus/txtypes.c's entries of its types */
    bool (*begin_block)(struct view *v, struct block_ctx *ctx, struct validation *val);
    bool (*end_block)(struct view *v, struct block_ctx *ctx, struct validation *val);
    /* For a module that finalizes blocks: the hash of the last finalized
     * block in the state of v (the genesis hash when none); false on a
     * read error.  The chain manager never leaves it (state/chain.c). */
    bool (*finalized)(struct view *v, const struct chain_params *p, uint8_t hash[HASH_SIZE]);
};

extern const struct module modules[];
extern const size_t modules_count;

/* The finalized block of the state in v, through the first module that
 * finalizes (the genesis hash when none does); false on a read error. */
bool modules_finalized(struct view *v, const struct chain_params *p, uint8_t hash[HASH_SIZE])
    WARN_UNUSED;

/* What the state layer does with one transaction type. */
struct txrules {
    /* The type-specific part of a transaction, after the envelope (nonce,
     * fee): its checks against the state and its changes. */
    bool (*apply)(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                  struct validation *val);
    /* For a type valid only in a window: the last height at which tx can
     * apply, from the state of v (0 when that is unknown); the mempool drops
     * it after.  NULL for a type valid at any height. */
    uint64_t (*expiry)(struct view *v, const struct tx *tx);
    /* A reveal its sender is slashed for missing (or, for a creator's set
     * chunks, loses the task's budget over), in a window the rules size to
     * carry all of them in half of each block: the block builder takes
     * these first, within that half (state/builder.c), so transactions
     * paying more cannot push them out of their window.  Policy, not
     * consensus: a proposer may build otherwise. */
    bool reveal;
    /* A type that prevents its own replay by a state rule (a finality vote:
     * one counted per validator and target epoch): its envelope nonce must
     * be 0 (bad-vote-nonce, from the type's stateless check),
     * the account nonce is neither checked nor advanced, and the fee may be
     * 0 (a nonzero one is paid as usual).  The mempool pools such
     * transactions outside the senders' nonce runs (state/mempool.c) and the
     * block builder takes them first, as reveals. */
    bool own_replay;
};

/* Indexed by enum tx_type; all NULL for a value that is no type. */
extern const struct txrules txrules[TX_TYPE_LIMIT];

/* The entry of a known type, or NULL. */
const struct txrules *txrules_get(uint8_t type);

/* Calls the type's entry; bad-txns-type for an unknown type. */
bool txapply_dispatch(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                      struct validation *val) WARN_UNUSED;

#endif
