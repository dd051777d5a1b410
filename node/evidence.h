/* Reporting double proposals: when the chain sees two different headers
 * signed by one validator for one slot, the node submits the EVIDENCE
 * transaction itself, paid from its wallet (the reporter earns the bounty).
 *
 * Headers from any key reach the chain, so before anything is built the
 * pair must be evidence the tip state would take: the signer is a validator
 * with stake left to slash, not yet slashed for the slot, and both
 * signatures verify.  Anything else is dropped without a wallet write or a
 * log line (debug category "validation" excepted).  Each (validator, slot)
 * is reported once, at most EVIDENCE_MAX_REPORTS_PER_KEY slots per validator
 * and EVIDENCE_MAX_TRACKED in all per run of the node, so what a reporting
 * node spends on fees and wallet records is bounded however many double
 * proposals a validator signs.  The wallet records the transaction only
 * once the mempool took it (wallet_submit_tx).
 *
 * Double and surround finality votes: the node keeps the votes it sees (the
 * mempool tells it of every vote passing the stateless checks, accepted or
 * not; connected blocks of the ones they carry) from keys with a validator
 * record at the tip, at most EVIDENCE_VOTES_PER_KEY per validator (the
 * highest target epochs) and EVIDENCE_MAX_TRACKED validators.  A new vote
 * that conflicts with a kept one of its sender (doc/protocol.md section 20)
 * is reported once per (voter, pair of target epochs), at most
 * EVIDENCE_MAX_REPORTS_PER_KEY pairs per voter, with a FINALITY_EVIDENCE, under the same
 * conditions as a double proposal (the tip state would take it, not our
 * own key); the report is made from the event loop, after the mempool or
 * the chain is done with the vote. */
#ifndef FML_NODE_EVIDENCE_H
#define FML_NODE_EVIDENCE_H

#define EVIDENCE_MAX_REPORTS_PER_KEY 16
#define EVIDENCE_MAX_TRACKED 4096
#define EVIDENCE_VOTES_PER_KEY 8

struct node;

void evidence_watch(struct node *n);
void evidence_unwatch(struct node *n);

#endif
