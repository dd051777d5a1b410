/* The AI Arena module's automatic transitions (doc/protocol.md "18.7 Events
 * and settlement", "18.8 Bounds"): every event of a task is queued, with its
 * work reserved, at the task's creation, at heights fixed then (ASSIGN at
 * submit_end, CLOSE at reveal_end, SETTLE at settle, VEST_i after it), and
 * runs at the end of the block at that height.  After the events of a
 * height, the Arena pool above its cap is burned.
 *
 * Everything lives in the state under keys starting with 'a'
 * (consensus/arena.h), so undo is the view's.
 */
#ifndef FML_STATE_ARENAEVENTS_H
#define FML_STATE_ARENAEVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/attr.h"
#include "consensus/validation.h"
#include "state/apply.h"
#include "state/view.h"

struct arena_task;
struct arena_task_params;

/* Reserves the work of every event of task (the ASSIGN, CLOSE, SETTLE and
 * VEST_i of the definition t, created in the block of ctx) at its fixed
 * height and queues it there.  False with REJECT arena-height-full (class
 * consensus) when one of those heights lacks room for it, or with an error
 * on a read failure; the view may then hold partial changes (the caller
 * applies into a child view it drops). */
bool arena_schedule_task(struct view *v, struct block_ctx *ctx, const uint8_t task[32],
                         const struct arena_task *t, struct validation *val) WARN_UNUSED;

/* The work each event reserves: arena_event_work() (consensus/arena.h). */

/* End-block hook: the events queued for this height in queue order, then
 * the pool cap burn. */
bool arena_end_block(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;

#endif
