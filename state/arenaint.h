/* What the Arena's events share between state/arenaevents.c (the queue,
 * ASSIGN, CLOSE, VEST, the pool cap) and state/arenasettle.c (SETTLE): the
 * task an event works on, with its operators loaded once.  Internal to the
 * module's state side. */
#ifndef FML_STATE_ARENAINT_H
#define FML_STATE_ARENAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/arena.h"
#include "state/apply.h"
#include "state/view.h"

struct arena_ev {
    struct view *v;
    struct block_ctx *ctx;
    struct validation *val;
    uint64_t height;
    const uint8_t *id;
    struct arena_task t;
    struct arena_status st;
    size_t n;                   /* operators, ascending keys */
    uint8_t (*keys)[PUBKEY_SIZE];
    struct arena_operator *ops;
    bool *dirty;
};

bool arena_ev_fail(struct arena_ev *e);
bool arena_ev_credit(struct arena_ev *e, const uint8_t pub[PUBKEY_SIZE], uint64_t amount);
bool arena_ev_to_pool(struct arena_ev *e, uint64_t amount);
bool arena_ev_from_pool(struct arena_ev *e, uint64_t amount);
/* Slashes operator i at the task's rate into gpool/arena and records the
 * height under 'A' 'x'. */
bool arena_ev_slash(struct arena_ev *e, size_t i);
/* Gives every operator its own stake back (what is left of it). */
bool arena_ev_return_stakes(struct arena_ev *e);
/* Deletes every revealed chunk of the task's sets. */
void arena_ev_delete_chunks(struct arena_ev *e);

bool arena_ev_settle(struct arena_ev *e);

#endif
