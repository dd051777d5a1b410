/* Real-time block production: every slot, if the slot's leader is a key of
 * the loaded wallets, build, sign and connect a block.  On by default on main
 * and test, and on regtest only with -produceblocks=1 (regtest tests drive
 * blocks with generateblocks instead). */
#ifndef FML_NODE_PRODUCER_H
#define FML_NODE_PRODUCER_H

#include <stddef.h>

struct node;
struct producer;

/* NULL with err empty when production is off; NULL with err set on failure. */
struct producer *producer_start(struct node *n, char *err, size_t errlen);
void producer_stop(struct producer *p);

#endif
