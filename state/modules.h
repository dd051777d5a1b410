/* The module table: each native module (accounts, staking, and later fl,
 * arena, market) registers its begin/end-of-block hooks here, as Cosmos SDK
 * modules register BeginBlock/EndBlock.  The chain manager and apply.c know no
 * module by name.  Transaction types are dispatched in state/txapply.c. */
#ifndef FML_STATE_MODULES_H
#define FML_STATE_MODULES_H

#include <stdbool.h>
#include <stddef.h>

#include "state/apply.h"
#include "consensus/attr.h"

struct module {
    const char *name;
    bool (*begin_block)(struct view *v, struct block_ctx *ctx, struct validation *val);
    bool (*end_block)(struct view *v, struct block_ctx *ctx, struct validation *val);
};

extern const struct module modules[];
extern const size_t modules_count;

/* The type-specific part of a transaction (after the envelope). */
bool txapply_dispatch(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                      struct validation *val) WARN_UNUSED;

#endif
