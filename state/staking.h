/* The staking module, state side: validator set, epoch schedules, the
 * proposer and RANDAO checks of every block, emission and rewards. */
#ifndef FML_STATE_STAKING_H
#define FML_STATE_STAKING_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/staking.h"
#include "state/apply.h"
#include "state/view.h"

/* Begin-block: epoch change (schedule rotation), leader check
 * (bad-blk-proposer), RANDAO reveal check (bad-blk-randao) and mix update. */
bool staking_begin_block(struct view *v, struct block_ctx *ctx, struct validation *val);
/* End-block: emission and fees (proposer share and module pools). */
bool staking_end_block(struct view *v, struct block_ctx *ctx, struct validation *val);

/* The validator record of pub; false when absent or unreadable. */
bool staking_get_validator(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct validator *out);

/* The schedule a block at slot would be checked against, when its parent is at
 * prev_slot and the view holds the parent's state.  The caller frees *out. */
bool staking_schedule_for(struct view *v, const struct chain_params *params, uint64_t prev_slot,
                          uint64_t slot, struct schedule *out);

/* The leader of slot for a block following one at prev_slot (see above). */
bool staking_leader_for(struct view *v, const struct chain_params *params, uint64_t prev_slot,
                        uint64_t slot, uint8_t out[PUBKEY_SIZE]);

#endif
