/* The finality module, consensus side: checkpoint votes (Casper FFG) and
 * the evidence of a double or surround vote.
 *
 *   FINALITY_VOTE      source_epoch u64 | source_hash [32]
 *                      | target_epoch u64 | target_hash [32]          (80 bytes)
 *   FINALITY_EVIDENCE  CompactSize len | vote tx A | CompactSize len | vote tx B
 *                      (each a complete signed FINALITY_VOTE transaction of at
 *                      most FINALITY_MAX_VOTE_TX bytes)
 *
 * A vote's envelope nonce is 0 and the account nonce is neither checked nor
 * advanced (txrules[].own_replay): replay is prevented by the state rule
 * that a validator has at most one vote counted per target epoch.  Rules
 * with the state are in state/finality.c; doc/protocol.md section 20 has all
 * of them with their reject reasons and vectors.
 */
#ifndef FML_CONSENSUS_FINALITY_H
#define FML_CONSENSUS_FINALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "consensus/validation.h"
#include "consensus/attr.h"

#define FINALITY_VOTE_SIZE 80
/* The encoding of a vote transaction: the envelope, an 80-byte payload with
 * its one-byte length, the signature (195 bytes); the bound leaves room. */
#define FINALITY_MAX_VOTE_TX 256

struct checkpoint {
    uint64_t epoch;
    uint8_t hash[HASH_SIZE];
};

struct finality_vote {
    struct checkpoint source;
    struct checkpoint target;
};

void finality_vote_encode(const struct finality_vote *fv, struct wbuf *w);
bool finality_vote_decode(struct finality_vote *fv, const uint8_t *p, size_t n) WARN_UNUSED;

/* Evidence: the two vote transactions, decoded. */
struct finality_evidence {
    struct tx a;
    struct tx b;
};
void finality_evidence_init(struct finality_evidence *e);
void finality_evidence_free(struct finality_evidence *e);
/* The payload of a FINALITY_EVIDENCE from two vote transactions. */
void finality_evidence_encode(const struct tx *a, const struct tx *b, struct wbuf *w);
bool finality_evidence_decode(struct finality_evidence *e, const uint8_t *p, size_t n) WARN_UNUSED;

/* More than two thirds: 3 x part > 2 x total (exactly 2/3 is not). */
bool finality_supermajority(uint64_t part, uint64_t total);

/* Whether two votes of one validator are slashable together: both for the
 * same target epoch (a double vote), or one surrounding the other
 * (s1 < s2 and t2 < t1, either way round).  Identical votes are not. */
bool finality_votes_conflict(const struct finality_vote *x, const struct finality_vote *y);

/* The two decoded transactions are evidence: both FINALITY_VOTEs passing
 * tx_check (so both signatures verify), the same sender, different votes
 * that conflict.  Reasons: bad-evidence-vote (not a valid vote
 * transaction), bad-evidence-voter (two senders), bad-evidence-same,
 * bad-evidence-no-conflict. */
bool finality_evidence_valid(const struct finality_evidence *e, const struct chain_params *params,
                             struct validation *v);

/* Stateless payload checks: bad-txns-payload; bad-vote-nonce (an envelope
 * nonce other than 0), bad-vote-epochs (target_epoch 0 or source_epoch not
 * below it); the evidence's reasons above. */
bool finality_vote_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool finality_evidence_check(const struct tx *tx, const struct chain_params *p,
                             struct validation *v);

#endif
