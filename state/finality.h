/* The finality module, state side: checkpoints, the tally of votes per
 * target epoch, justification and finalization (Casper FFG), and the
 * slashing of double and surround votes (doc/protocol.md section 20).
 *
 * State keys ('F' | kind | ...):
 *   'F' 'c' | epoch u64 BE   checkpoint hash of the epoch (the last four epochs)
 *   'F' 'w' | epoch u64 BE   the epoch's vote weights: total u64 | n u32
 *                            | n x (pubkey [32] | stake u64), sorted by key
 *                            (the current and the previous epoch)
 *   'F' 't' | epoch u64 BE   tally: voted u64 | linked u64 (same two epochs)
 *   'F' 'j'                  justified checkpoint | previous justified one
 *   'F' 'f'                  finalized checkpoint
 *   'F' 'v' | pubkey         last target epoch a vote of the key was counted for
 *   'F' 's' | pubkey | lo u64 BE | hi u64 BE   a vote offence slashed (the
 *                            pair's target epochs, lower first)
 * Absent 'F' 'j' / 'F' 'f': the genesis block (epoch 0) for each. */
#ifndef FML_STATE_FINALITY_H
#define FML_STATE_FINALITY_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/finality.h"
#include "state/apply.h"
#include "state/view.h"
#include "consensus/attr.h"

/* Begin-block: at the first block of a new epoch, records the checkpoints
 * and vote weights of the epochs it enters and drops the ones out of the
 * window. */
bool finality_begin_block(struct view *v, struct block_ctx *ctx, struct validation *val)
    WARN_UNUSED;

bool finality_apply_vote(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                         struct validation *vs) WARN_UNUSED;
bool finality_apply_evidence(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *vs) WARN_UNUSED;

/* What the state says; false only on a read error. */
bool finality_justified(struct view *v, const struct chain_params *p, struct checkpoint *cur,
                        struct checkpoint *prev) WARN_UNUSED;
bool finality_finalized(struct view *v, const struct chain_params *p, struct checkpoint *out)
    WARN_UNUSED;
/* finality_finalized's hash (the module table's `finalized`). */
bool finality_finalized_hash(struct view *v, const struct chain_params *p, uint8_t hash[HASH_SIZE])
    WARN_UNUSED;
/* The checkpoint hash of epoch e as the state records it (epochs of the
 * window, and 0); false when not recorded. */
bool finality_checkpoint(struct view *v, const struct chain_params *p, uint64_t e,
                         uint8_t hash[HASH_SIZE]) WARN_UNUSED;
/* Totals of target epoch e: the epoch's total stake, the stake of the votes
 * counted, the stake of those whose source is (e-1, checkpoint(e-1)).
 * False when e is out of the window. */
bool finality_tally(struct view *v, uint64_t e, uint64_t *total, uint64_t *voted,
                    uint64_t *linked) WARN_UNUSED;
/* The weight of pub in the vote weights of epoch e (0 when not in them). */
uint64_t finality_weight(struct view *v, uint64_t e, const uint8_t pub[PUBKEY_SIZE]);
/* The last target epoch a vote of pub was counted for (0: none). */
uint64_t finality_last_target(struct view *v, const uint8_t pub[PUBKEY_SIZE]);
/* Whether a FINALITY_EVIDENCE against voter for these two target epochs
 * would change something (the node reports only then); *why says why not. */
bool finality_evidence_worth(struct view *v, const struct chain_params *params,
                             const uint8_t voter[PUBKEY_SIZE], uint64_t t1, uint64_t t2,
                             const char **why);

#endif
