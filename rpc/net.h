/* The Network methods (getpeerinfo, getnetworkinfo, getconnectioncount,
 * addnode, disconnectnode, setban, listbanned, clearbanned, getnettotals,
 * ping): bitcoind's names, arguments and result fields, over the P2P layer's
 * query and control functions (p2p/p2p.h).  node/ registers the table. */
#ifndef FML_RPC_NET_H
#define FML_RPC_NET_H

#include <stddef.h>

#include "rpc/rpc.h"

extern const struct rpc_method net_rpc_methods[];
extern const size_t net_rpc_methods_count;

#endif
