/* The AI Arena module, state side: the ten transaction types
 * (state/arenatx.c), the record accessors over a view and the Arena pool's
 * flows (state/arenarec.c); the end-of-block events, settlement, vesting and
 * the pool cap are in state/arenaevents.h.
 *
 * Every key lives under 'A' (ARENA_KEY_PREFIX, consensus/arena.h), so undo
 * is the view's.
 *
 * Where the Arena's funds are (the supply audit, state/audit.c, adds them
 * up; every rule that moves Arena funds keeps these sums exact):
 *   a task's status ('A' 'S'):     budget_left + vest_pending
 *       budget_left is locked from the creation until SETTLE distributes it
 *       (or REFUNDED returns it, or FAILED slashes it): zero after that;
 *       vest_pending is every Reward B tranche not yet paid, credited or
 *       forfeited, the operators' and their delegators' alike.
 *   an operator record ('A' 'O'):  own + (del_value - del_principal_paid)
 *                                  + (d_credit - d_claimed)
 *       own is the operator's stake still locked (slashes and the return at
 *       the task's end take it down to zero); del_value what its delegations
 *       are worth (cancellations and slashes take it down; it is fixed from
 *       the task's end, and claims count in del_principal_paid); d_credit
 *       the rewards credited to its delegators, d_claimed what they claimed.
 * The Arena pool, gpool/arena, also takes slashes, dust and forfeited
 * tranches and gives the match and its cap burn: every such move goes
 * through arena_pool_add / arena_pool_take / arena_pool_burn, which count it
 * in 'A' 'F' so that the rewards law of the audit still holds:
 *   minted + fees + arena_in = paid + pools + banks + arena_out  (mod 2^64).
 */
#ifndef FML_STATE_ARENA_H
#define FML_STATE_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/arena.h"
#include "consensus/attr.h"
#include "consensus/tx.h"
#include "state/apply.h"
#include "state/view.h"

/* ---- transactions (state/arenatx.c) ----
 * Each checks its rules against the state of the block's height
 * (ctx->hdr->height) in the order of doc/protocol.md "18.5 Transaction
 * rules" and fails with that section's reject reason. */
bool arena_apply_task_create(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *val) WARN_UNUSED;
bool arena_apply_stake(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                       struct validation *val) WARN_UNUSED;
bool arena_apply_delegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val) WARN_UNUSED;
bool arena_apply_undelegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val) WARN_UNUSED;
bool arena_apply_set_share(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                           struct validation *val) WARN_UNUSED;
bool arena_apply_submit_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                               struct validation *val) WARN_UNUSED;
bool arena_apply_submit_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                               struct validation *val) WARN_UNUSED;
bool arena_apply_reveal_valset(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                               struct validation *val) WARN_UNUSED;
bool arena_apply_score_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                              struct validation *val) WARN_UNUSED;
bool arena_apply_score_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                              struct validation *val) WARN_UNUSED;

/* The last height at which an Arena transaction of a windowed type can
 * apply, from the state of v (the mempool drops it after): submit_end for
 * stakes, delegations, shares and submission commits; reveal_end for
 * submission and set reveals; score_commit_end and settle for score commits
 * and reveals.  0 for ARENA_TASK_CREATE and ARENA_UNDELEGATE (a claim can
 * come at any height after the task's end), for other types, and when the
 * task is not found. */
uint64_t arena_tx_expiry(struct view *v, const struct tx *tx);

/* ---- records (state/arenarec.c) ----
 * Getters return false when the record is absent, and also when it is
 * malformed (the view is then marked failed: check view_failed()).
 * Putters never fail by themselves (a failed allocation marks the view). */

/* The definition (never changes; t->p.spec.norm points into the view's
 * copy of the value, valid until the view is freed). */
bool arena_get_task(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], struct arena_task *out)
    WARN_UNUSED;
void arena_put_task(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                    const struct arena_task *t);
bool arena_get_status(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      struct arena_status *out) WARN_UNUSED;
void arena_put_status(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const struct arena_status *s);

bool arena_get_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                        const uint8_t op[PUBKEY_SIZE], struct arena_operator *out) WARN_UNUSED;
void arena_put_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                        const uint8_t op[PUBKEY_SIZE], const struct arena_operator *o);

/* A copy of the operator list (ascending keys; *keys NULL when empty); the
 * caller frees *keys.  False only on a read error or a malformed list. */
bool arena_get_operators(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t **keys,
                         size_t *n) WARN_UNUSED;
/* Inserts op into the sorted list (no-op when it is there); false on a read
 * error, a malformed list or a list already of ARENA_MAX_OPERATORS. */
bool arena_add_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                        const uint8_t op[PUBKEY_SIZE]) WARN_UNUSED;

bool arena_get_delegation(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE],
                          struct arena_delegation *out) WARN_UNUSED;
void arena_put_delegation(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE],
                          const struct arena_delegation *d);
void arena_del_delegation(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE]);

/* A trainer's revealed weights ('A' 'W'; *w n x i32 LE pointing into the
 * view).  False when absent. */
bool arena_get_weights(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t trainer[PUBKEY_SIZE], const uint8_t **w, uint64_t *n)
    WARN_UNUSED;
void arena_put_weights(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t trainer[PUBKEY_SIZE], const uint8_t *w, uint64_t n);
void arena_del_weights(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t trainer[PUBKEY_SIZE]);

/* A validator's revealed losses ('A' 'Z'; *losses n x u32 LE pointing into
 * the view).  False when absent. */
bool arena_get_losses(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const uint8_t validator[PUBKEY_SIZE], const uint8_t **losses, uint32_t *n)
    WARN_UNUSED;
void arena_put_losses(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const uint8_t validator[PUBKEY_SIZE], const uint8_t *losses, uint32_t n);

/* A revealed chunk of a validation set ('A' 'V'; *data pointing into the
 * view).  False when absent. */
bool arena_get_chunk(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t set,
                     uint16_t chunk, const uint8_t **data, size_t *len) WARN_UNUSED;
void arena_put_chunk(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t set,
                     uint16_t chunk, const uint8_t *data, size_t len);
void arena_del_chunk(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t set,
                     uint16_t chunk);

/* The results written at SETTLE ('A' 'R'). */
bool arena_get_results(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       struct arena_results *out) WARN_UNUSED;
void arena_put_results(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const struct arena_results *r);

/* The height of the address's last Arena slash ('A' 'x'); *h = 0 when it
 * was never slashed (false only on a read error or a malformed value). */
bool arena_get_slash_height(struct view *v, const uint8_t addr[PUBKEY_SIZE], uint64_t *h)
    WARN_UNUSED;
void arena_put_slash_height(struct view *v, const uint8_t addr[PUBKEY_SIZE], uint64_t h);

/* ---- the Arena pool (gpool/arena) and its flows ---- */

/* 'A' 'F': in u64 | out u64, both counted modulo 2^64 as gstats are:
 * everything an Arena rule put into gpool/arena (slashes, dust, forfeited
 * tranches, a failed task's budget) and took out of it (the match paid into
 * a settlement, the cap burn). */
#define ARENA_FLOWS_KEY "AF"
struct arena_flows {
    uint64_t in;
    uint64_t out;
};
/* Zeroes when absent; false only on a read error or a malformed value. */
bool arena_get_flows(struct view *v, struct arena_flows *out) WARN_UNUSED;

/* Adds amount to gpool/arena (counted in); arena-overflow when the pool
 * would pass 2^64 - 1, which a consistent state cannot reach. */
bool arena_pool_add(struct view *v, uint64_t amount, struct validation *val) WARN_UNUSED;
/* Takes amount out of gpool/arena (counted out) for the caller to pay;
 * arena-pool-short when the pool holds less. */
bool arena_pool_take(struct view *v, uint64_t amount, struct validation *val) WARN_UNUSED;
/* Takes amount out of gpool/arena and destroys it: counted out, the supply
 * down and gstats burned up (the pool cap). */
bool arena_pool_burn(struct view *v, uint64_t amount, struct validation *val) WARN_UNUSED;

/* Destroys amount already taken from an account or a task (the creation's
 * burn): the supply down and gstats burned up. */
bool arena_burn_supply(struct view *v, uint64_t amount, struct validation *val) WARN_UNUSED;

/* ---- the funds a record holds (for the audit and the RPC) ---- */

/* budget_left + vest_pending (false when the sum overflows). */
bool arena_status_held(const struct arena_status *s, uint64_t *out) WARN_UNUSED;
/* own + (del_value - del_principal_paid) + (d_credit - d_claimed); false
 * when a difference is negative or the sum overflows (an inconsistent
 * record). */
bool arena_operator_held(const struct arena_operator *o, uint64_t *out) WARN_UNUSED;

#endif
