/* The node's side of the wallet's chain interface (wallet/chain_iface.h):
 * the active chain, the state at its tip and the mempool, as the wallet may
 * see them.  The node fills one in at start and hands it to wallets_attach;
 * tests do the same with a chain of their own. */
#ifndef FML_NODE_WALLET_CHAIN_H
#define FML_NODE_WALLET_CHAIN_H

#include "wallet/chain_iface.h"

struct chain;
struct mempool;

struct node_wallet_chain {
    struct chain *chain;
    struct mempool *mempool; /* may be NULL: no mempool */
    struct wallet_chain_events events;
    bool listening;
    struct wallet_chain iface;
};

/* Fills in nwc->iface for a chain and a mempool (NULL for none); nwc must
 * stay where it is, and outlive the wallets attached to nwc->iface. */
void node_wallet_chain_init(struct node_wallet_chain *nwc, struct chain *c, struct mempool *mp);

#endif
