/* The wallet's JSON-RPC methods (category "Wallet"), registered by node/
 * when the node runs with wallets.  Each method finds its wallet from the
 * request URI (/wallet/NAME) or, without one, the only loaded wallet. */
#ifndef FML_WALLET_RPCWALLET_H
#define FML_WALLET_RPCWALLET_H

#include <stddef.h>

#include "rpc/rpc.h"

extern const struct rpc_method wallet_rpc_methods[];
extern const size_t wallet_rpc_methods_count;

/* The staking helpers (wallet/rpcstaking.c). */
extern const struct rpc_method wallet_staking_rpc_methods[];
extern const size_t wallet_staking_rpc_methods_count;

/* The FL Alliance helpers (wallet/rpcfl.c). */
extern const struct rpc_method wallet_fl_rpc_methods[];
extern const size_t wallet_fl_rpc_methods_count;
extern const struct rpc_method wallet_arena_rpc_methods[];
extern const size_t wallet_arena_rpc_methods_count;
/* The AI Market helpers (wallet/rpcmarket.c). */
extern const struct rpc_method wallet_market_rpc_methods[];
extern const size_t wallet_market_rpc_methods_count;

#endif
