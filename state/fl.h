/* The FL Alliance module, state side: the six transaction types
 * (state/fltx.c), the automatic round transitions run at the end of a block
 * (state/fl.c: task start or cancellation, the slot draw, completion, the
 * FL pool cap; state/flround.c: the finalization of a round with its
 * per-update tally, aggregation, rewards, match and slashes), and the record
 * accessors the RPC methods read.
 *
 * Every transition happens at the end of a block, so the state after block h
 * is the state every transaction of block h + 1 is checked against (the
 * mempool does the same with the tip).  Everything lives in the state under
 * keys starting with 'f' (consensus/fl.h), so undo is the view's.
 */
#ifndef FML_STATE_FL_H
#define FML_STATE_FL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/fl.h"
#include "state/apply.h"
#include "consensus/tx.h"
#include "state/view.h"
#include "consensus/attr.h"

/* End-block hook: the events queued for this height ('f' 'Q' | height | seq,
 * in sequence order). */
bool fl_end_block(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;

/* Transactions (state/fltx.c). */
bool fl_apply_task_create(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val) WARN_UNUSED;
bool fl_apply_join(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                   struct validation *val) WARN_UNUSED;
bool fl_apply_update_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val) WARN_UNUSED;
bool fl_apply_update_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val) WARN_UNUSED;
bool fl_apply_vote_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val) WARN_UNUSED;
bool fl_apply_vote_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val) WARN_UNUSED;

/* ---- records (state/fl.c) ----
 * Getters return false when the record is absent, and also when it is
 * malformed (the view is then marked failed: check view_failed()). */

/* The definition's variable fields point into the view's copy of the value,
 * valid until the view is freed (the definition never changes). */
bool fl_get_task(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], struct fl_task *out)
    WARN_UNUSED;
bool fl_get_status(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], struct fl_status *out)
    WARN_UNUSED;
void fl_put_status(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], const struct fl_status *s);
bool fl_get_participant(struct view *v, const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE], struct fl_participant *out) WARN_UNUSED;
void fl_put_participant(struct view *v, const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE], const struct fl_participant *p);
bool fl_get_round(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  struct fl_round *out) WARN_UNUSED;
void fl_put_round(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  const struct fl_round *r);
bool fl_get_entry(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  const uint8_t pub[PUBKEY_SIZE], struct fl_entry *out) WARN_UNUSED;
void fl_put_entry(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                  const uint8_t pub[PUBKEY_SIZE], const struct fl_entry *e);
/* A copy of the participant list (sorted keys; *keys NULL when empty); the
 * caller frees *keys.  False only on a read error or a malformed list. */
bool fl_get_participants(struct view *v, const uint8_t task[FL_TASK_ID_SIZE], uint8_t **keys,
                         size_t *n) WARN_UNUSED;
/* The stored weights under 'f' 'M' | task | round (the global model after
 * that round, pointing into the view; kind must be 'M').  False when
 * absent: for the model of round 0 that means all zeros. */
bool fl_get_weights(struct view *v, char kind, const uint8_t task[FL_TASK_ID_SIZE],
                    uint32_t round, const uint8_t **w, size_t *n) WARN_UNUSED;

/* The event count and reserved work of a height (all zero when absent).
 * False only on a read error or a malformed record. */
bool fl_get_height(struct view *v, uint64_t height, struct fl_height *out) WARN_UNUSED;
/* A revealed update's weights ('f' 'U' | task | round | key, P x i32) or a
 * revealed voter's verdicts ('f' 'V', n x (verdict i8 | metric i32)), pointing
 * into the view; false when absent (check view_failed()). */
bool fl_get_revealed(struct view *v, char kind, const uint8_t task[FL_TASK_ID_SIZE],
                     uint32_t round, const uint8_t pub[PUBKEY_SIZE], const uint8_t **data,
                     size_t *len) WARN_UNUSED;
/* Queues an event for the end of block `height` and reserves its work,
 * weights and verdicts there; false when the height has no room for them
 * (fl_height_room) or on a read error (check view_failed()). */
bool fl_schedule_event(struct view *v, uint64_t height, const uint8_t task[FL_TASK_ID_SIZE],
                       uint8_t event, uint32_t work, uint64_t weights, uint32_t verdicts)
    WARN_UNUSED;
/* Reserves work at `height` for an event already queued there (a join adds
 * one participant to its task's start); false when the height has no room
 * or on a read error (check view_failed()). */
bool fl_reserve_work(struct view *v, uint64_t height, uint32_t work) WARN_UNUSED;

/* What joins of different senders compete for, so that a mempool does not
 * admit more of them than the state can take (they would fail in every
 * block while filling its candidates): a seat of the task and one unit of
 * work at its start height. */
struct fl_join_claim {
    uint8_t task[FL_TASK_ID_SIZE];
    uint64_t height;     /* the task's start height (never 0) */
    uint32_t seats_left; /* max_participants - joined */
    uint32_t room;       /* work left at `height` */
};
/* The claim of tx when it is an FL_JOIN of an open task of v's state; false
 * otherwise (nothing shared to claim). */
bool fl_join_claim(struct view *v, const struct tx *tx, struct fl_join_claim *c);
/* The last height at which an FL_JOIN, FL_UPDATE_COMMIT, FL_UPDATE_REVEAL,
 * FL_VOTE_COMMIT or FL_VOTE_REVEAL can apply, from the state of v (the end of
 * its window); 0 for other transactions or when the task or round is not
 * found. */
uint64_t fl_tx_expiry(struct view *v, const struct tx *tx);

/* ---- the FL pool (gpool/fl) and its flows ----
 * 'f' 'F': in u64 | matched u64 | burned u64, counted modulo 2^64 as gstats
 * are: what FL rules put into gpool/fl (nothing yet: slashes stay with their
 * task), the match paid to round recipients out of it, and the cap burn.
 * The rewards law of the supply audit counts them:
 *   minted + fees + arena_in + fl_in = paid + pools + banks + arena_out
 *                                      + fl_matched + fl_burned. */
#define FL_FLOWS_KEY "fF"
struct fl_flows {
    uint64_t in;
    uint64_t matched;
    uint64_t burned;
};
/* Zeroes when absent; false only on a read error or a malformed value. */
bool fl_get_flows(struct view *v, struct fl_flows *out) WARN_UNUSED;
/* Pays amount out of gpool/fl to pub (counted matched); fl-pool-short when
 * the pool holds less. */
bool fl_pool_match(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t amount,
                   struct validation *val) WARN_UNUSED;
/* The task's funds: budget_left + slashed_left (false when the sum
 * overflows, which a consistent state cannot reach). */
bool fl_status_held(const struct fl_status *s, uint64_t *out) WARN_UNUSED;

#endif
