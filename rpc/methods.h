/* The method tables of the rpc/ area files; node/ registers them at start. */
#ifndef FML_RPC_METHODS_H
#define FML_RPC_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/validation.h"
#include "rpc/rpc.h"

extern const struct rpc_method blockchain_rpc_methods[];
extern const size_t blockchain_rpc_methods_count;
extern const struct rpc_method rawtx_rpc_methods[];
extern const size_t rawtx_rpc_methods_count;
/* The batch pre-check of sendrawtransaction calls (rpc_set_batch_hook;
 * rpc/rawtx.c). */
void rawtx_batch_hook(const struct rpc_table *t, struct rpc_env *env, const json_t *batch);
extern const struct rpc_method staking_rpc_methods[];
extern const size_t staking_rpc_methods_count;
extern const struct rpc_method finality_rpc_methods[];
extern const size_t finality_rpc_methods_count;
extern const struct rpc_method mining_rpc_methods[];
extern const size_t mining_rpc_methods_count;
extern const struct rpc_method fl_rpc_methods[];
extern const size_t fl_rpc_methods_count;
extern const struct rpc_method arena_rpc_methods[];
extern const size_t arena_rpc_methods_count;
extern const struct rpc_method market_rpc_methods[];
extern const size_t market_rpc_methods_count;
extern const struct rpc_method address_rpc_methods[];
extern const size_t address_rpc_methods_count;
extern const struct rpc_method fees_rpc_methods[];
extern const size_t fees_rpc_methods_count;
extern const struct rpc_method predict_rpc_methods[];
extern const size_t predict_rpc_methods_count;

/* Block production with the validator keys of the loaded wallets, as node/
 * hands it to rpc/mining.c and rpc/staking.c (rpc_env.staker; NULL on a node
 * without wallets).  rpc/ includes no wallet/ or node/ header: these are
 * the only ways it reaches the wallets' keys and the block signer. */
struct rpc_staker {
    /* The next slot from `from` on (at most max_slots ahead) led by an
     * active validator key of the loaded wallets, and that key. */
    bool (*next_slot)(struct rpc_env *env, uint64_t from, uint64_t max_slots, uint64_t *slot,
                      uint8_t pub[PUBKEY_SIZE]);
    /* Builds, signs and connects a block of key pub at slot; its hash. */
    bool (*produce)(struct rpc_env *env, const uint8_t pub[PUBKEY_SIZE], uint64_t slot,
                    uint8_t hash[HASH_SIZE], struct validation *v);
    /* Whether pub is a key of the loaded wallets. */
    bool (*has_key)(struct rpc_env *env, const uint8_t pub[PUBKEY_SIZE]);
    /* Builds and signs, without submitting, a block of key pub at slot on
     * the tip that carries a 1-unit payment of pub to itself (signed by its
     * wallet), so that it differs from any other block of that slot. */
    bool (*build_self_payment)(struct rpc_env *env, const uint8_t pub[PUBKEY_SIZE],
                               uint64_t slot, struct block *out, struct validation *v);
    /* Calls fn on every key of the loaded wallets with its wallet's name,
     * wallet by wallet in load order, keys in creation order. */
    void (*each_key)(struct rpc_env *env,
                     void (*fn)(void *arg, const char *wallet, const uint8_t pub[PUBKEY_SIZE]),
                     void *arg);
};

#endif
