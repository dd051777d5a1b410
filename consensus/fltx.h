/* The FL Alliance transaction types: payload formats and stateless checks.
 *
 *   FL_TASK_CREATE      the task parameters (struct fl_task_params, consensus/fl.h)
 *   FL_JOIN             task [32] | stake u64
 *   FL_UPDATE_COMMIT    task [32] | round u32 | commitment [32]
 *   FL_VOTE_COMMIT      task [32] | round u32 | commitment [32]
 *   FL_VOTE_REVEAL      task [32] | round u32 | salt [32] | CompactSize n
 *                       | n x (verdict i8 | metric i32)
 *   FL_UPDATE_REVEAL    task [32] | round u32 | salt [32] | CompactSize n
 *                       | n x i32 (Q16.16)
 *
 * The task id is the txid of the FL_TASK_CREATE transaction.  Rules that need
 * the state are in state/fltx.c; all are listed, with their reject reasons,
 * in doc/protocol.md ("17. FL Alliance").
 */
#ifndef FML_CONSENSUS_FLTX_H
#define FML_CONSENSUS_FLTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/fl.h"
#include "consensus/tx.h"

struct fl_join {
    uint8_t task[FL_TASK_ID_SIZE];
    uint64_t stake;
};

/* A proposer's commitment to its update (fl_update_commitment). */
struct fl_update_commit {
    uint8_t task[FL_TASK_ID_SIZE];
    uint32_t round;
    uint8_t commitment[HASH_SIZE];
};

/* The update behind a commitment. */
struct fl_update_reveal {
    uint8_t task[FL_TASK_ID_SIZE];
    uint32_t round;
    uint8_t salt[32];
    uint64_t n;
    const uint8_t *weights; /* n x i32 LE, a view into the payload */
};

struct fl_vote_commit {
    uint8_t task[FL_TASK_ID_SIZE];
    uint32_t round;
    uint8_t commitment[HASH_SIZE];
};

/* One verdict per revealed proposer, in key order. */
struct fl_vote_reveal {
    uint8_t task[FL_TASK_ID_SIZE];
    uint32_t round;
    uint8_t salt[32];
    uint64_t n;
    const uint8_t *verdicts; /* n x (verdict i8 | metric i32 LE), a view */
};

/* Views into p (no copy). */
bool fl_task_create_decode(struct fl_task_params *t, const uint8_t *p, size_t n) WARN_UNUSED;
void fl_join_encode(const struct fl_join *j, struct wbuf *w);
bool fl_join_decode(struct fl_join *j, const uint8_t *p, size_t n) WARN_UNUSED;
void fl_update_commit_encode(const struct fl_update_commit *c, struct wbuf *w);
bool fl_update_commit_decode(struct fl_update_commit *c, const uint8_t *p, size_t n) WARN_UNUSED;
void fl_update_reveal_encode(const struct fl_update_reveal *u, struct wbuf *w);
bool fl_update_reveal_decode(struct fl_update_reveal *u, const uint8_t *p, size_t n) WARN_UNUSED;
void fl_vote_commit_encode(const struct fl_vote_commit *c, struct wbuf *w);
bool fl_vote_commit_decode(struct fl_vote_commit *c, const uint8_t *p, size_t n) WARN_UNUSED;
void fl_vote_reveal_encode(const struct fl_vote_reveal *r, struct wbuf *w);
/* Only that the bytes hold exactly n verdicts (the bound on n is the
 * check's). */
bool fl_vote_reveal_decode(struct fl_vote_reveal *r, const uint8_t *p, size_t n) WARN_UNUSED;

/* The rules of a task's parameters, in this order: bad-fl-spec,
 * bad-fl-rounds, bad-fl-participants, bad-fl-model-too-large, bad-fl-size,
 * bad-fl-stake, bad-fl-slots, bad-fl-window-length, bad-fl-aggregator,
 * bad-fl-slash, bad-fl-voter-reward, bad-fl-pool, bad-fl-allowlist. */
bool fl_task_params_check(const struct fl_task_params *t, const struct chain_params *p,
                          struct validation *v);

/* Stateless payload checks of each type (bad-txns-payload when it does not
 * decode exactly; bad-txns-amount for a join stake of 0 or above the supply;
 * bad-fl-round for round 0; bad-fl-vote for a vote reveal of more than
 * FL_MAX_SLOTS verdicts or a verdict other than -1 and +1). */
bool fl_task_create_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool fl_join_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool fl_update_commit_check(const struct tx *tx, const struct chain_params *p,
                            struct validation *v);
bool fl_update_reveal_check(const struct tx *tx, const struct chain_params *p,
                            struct validation *v);
bool fl_vote_commit_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool fl_vote_reveal_check(const struct tx *tx, const struct chain_params *p, struct validation *v);

#endif
