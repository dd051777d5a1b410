/* The method tables of the rpc/ area files; node/ registers them at start. */
#ifndef FML_RPC_METHODS_H
#define FML_RPC_METHODS_H

#include <stddef.h>

#include "rpc/rpc.h"

extern const struct rpc_method blockchain_rpc_methods[];
extern const size_t blockchain_rpc_methods_count;
extern const struct rpc_method rawtx_rpc_methods[];
extern const size_t rawtx_rpc_methods_count;
extern const struct rpc_method staking_rpc_methods[];
extern const size_t staking_rpc_methods_count;
extern const struct rpc_method mining_rpc_methods[];
extern const size_t mining_rpc_methods_count;
extern const struct rpc_method fl_rpc_methods[];
extern const size_t fl_rpc_methods_count;

#endif
