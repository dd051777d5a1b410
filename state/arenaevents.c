/* AI Arena events, settlement, vesting and the pool cap (see
 * arenaevents.h).  Rules in doc/protocol.md, "18.7 Events and settlement". */
#include "state/arenaevents.h"

bool arena_schedule_task(struct view *v, struct block_ctx *ctx, const uint8_t task[32],
                         const struct arena_task *t, struct validation *val)
{
    (void)v, (void)ctx, (void)task, (void)t;
    return val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool arena_end_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    (void)v, (void)ctx, (void)val;
    return true;
}
