/* Reporting double proposals: when the chain sees two different headers
 * signed by one validator for one slot, the node submits the EVIDENCE
 * transaction itself, paid from its wallet (the reporter earns the bounty). */
#ifndef FML_NODE_EVIDENCE_H
#define FML_NODE_EVIDENCE_H

struct node;

void evidence_watch(struct node *n);
void evidence_unwatch(struct node *n);

#endif
