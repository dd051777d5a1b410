/* FL Alliance state, inside the module: what a transition works on (a task,
 * its status and participant list) and the finalization of a round
 * (state/flround.c), shared with the task's life cycle in state/fl.c. */
#ifndef FML_STATE_FLROUND_H
#define FML_STATE_FLROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"
#include "consensus/fl.h"
#include "state/apply.h"
#include "state/view.h"

struct fl_task_ctx {
    struct view *v;
    struct block_ctx *ctx;
    struct validation *val;
    uint64_t height;
    const uint8_t *id;
    struct fl_task t;
    struct fl_status st;
    uint8_t *keys; /* the participant list, sorted */
    size_t n;
};

/* REJECT_STATE_READ_ERROR, for a record that should be there. */
bool fl_ctx_read_error(struct fl_task_ctx *tc);
/* Credits amount (nothing for 0). */
bool fl_ctx_credit(struct fl_task_ctx *tc, const uint8_t pub[PUBKEY_SIZE], uint64_t amount);
/* After round rd closed (its outcome set): the next round, or the end of
 * the task (state/fl.c). */
bool fl_end_round(struct fl_task_ctx *tc, const struct fl_round *rd) WARN_UNUSED;
/* The end of the current round's reveal window: the finalization of
 * doc/protocol.md 17 (state/flround.c), then fl_end_round. */
bool fl_finalize_round(struct fl_task_ctx *tc) WARN_UNUSED;

#endif
