/* The state transition function: what a block does to the state.
 *
 *   begin-block hooks of every module (in table order: epoch change, leader
 *   and RANDAO checks, ...), then each transaction (the envelope: nonce and
 *   fee; then its type's rules), then end-block hooks (emission and rewards,
 *   unbonding maturity, round transitions, ...).
 *
 * Used both to validate a received block and to build a new one.  Pure with
 * respect to its inputs: the same view contents and block give the same
 * changes on every machine.
 */
#ifndef FML_STATE_APPLY_H
#define FML_STATE_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/validation.h"
#include "state/view.h"
#include "consensus/attr.h"

struct block_ctx {
    const struct chain_params *params;
    const struct block_header *hdr; /* the block being applied */
    uint64_t prev_slot;             /* slot of its parent */
    uint64_t fees;                  /* fees collected so far in this block */
};

void block_ctx_init(struct block_ctx *ctx, const struct chain_params *params,
                    const struct block_header *hdr, const struct block_header *prev);

bool apply_block_begin(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;
/* One transaction (its stateless checks already passed).  On failure the view
 * may hold partial changes: callers apply into a child view they can drop. */
bool apply_tx(struct view *v, struct block_ctx *ctx, const struct tx *tx, struct validation *val)
    WARN_UNUSED;
bool apply_block_end(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;

/* All of the above for a whole block on top of prev. */
bool apply_block(struct view *v, const struct chain_params *params,
                 const struct block_header *prev, const struct block *b, struct validation *val)
    WARN_UNUSED;

#endif
