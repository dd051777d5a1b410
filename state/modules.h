/* The module table: each native module (accounts, staking, fl; next arena,
 * market) registers here its begin/end-of-block hooks, as Cosmos SDK modules
 * register BeginBlock/EndBlock, and the state transition of each of its
 * transaction types.  The chain manager and apply.c know no module by name:
 * they call through these tables.
 *
 * There is no undo per type: a block's undo data is the old value of every
 * state key it changed (state/undo.h), whatever changed it. */
#ifndef FML_STATE_MODULES_H
#define FML_STATE_MODULES_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/txtypes.h"
#include "state/apply.h"

struct module {
    const char *name; /* as in consensus/txtypes.c's entries of its types */
    bool (*begin_block)(struct view *v, struct block_ctx *ctx, struct validation *val);
    bool (*end_block)(struct view *v, struct block_ctx *ctx, struct validation *val);
};

extern const struct module modules[];
extern const size_t modules_count;

/* The type-specific part of a transaction, after the envelope (nonce, fee):
 * its checks against the state and its changes. */
typedef bool (*txapply_fn)(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                           struct validation *val);

/* Indexed by enum tx_type; NULL for a value that is no type. */
extern const txapply_fn txapply[TX_TYPE_LIMIT];

/* Calls the type's entry; bad-txns-type for an unknown type. */
bool txapply_dispatch(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                      struct validation *val);

#endif
