/* Block production on demand (regtest) and the mock clock. */
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "util/log.h"
#include "util/time.h"
#include "p2p/p2p.h"

#include <string.h>

/* How far ahead generateblocks looks for a slot led by one of our keys. */
#define GENERATE_MAX_SEARCH 100000
#define GENERATE_MAX_BLOCKS 10000

static json_t *generateblocks(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint64_t n = rpc_uint(call, 0, 0);
    json_t *hashes;

    if (!env->params->regtest_rules)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "generateblocks is only available on regtest");
    if (!env->wallets || !env->staker)
        return rpc_error(call, RPC_WALLET_NOT_FOUND, "No wallet is loaded (the wallet holds the validator key)");
    if (n > GENERATE_MAX_BLOCKS)
        return rpc_error(call, RPC_INVALID_PARAMETER, "nblocks must be at most %d", GENERATE_MAX_BLOCKS);
    hashes = json_array();
    for (uint64_t i = 0; i < n; i++) {
        const struct chain_params *p = env->params;
        uint64_t now_slot = params_slot_at(p, time_now()), slot;
        uint8_t pub[PUBKEY_SIZE], hash[HASH_SIZE];
        struct validation v;
        if (!env->staker->next_slot(env, now_slot, GENERATE_MAX_SEARCH, &slot, pub)) {
            json_decref(hashes);
            return rpc_error(call, RPC_MISC_ERROR,
                             "No slot in the next %d is led by a validator key of the loaded "
                             "wallets (is the node a validator? see -regtestvalidator)",
                             GENERATE_MAX_SEARCH);
        }
        if (!env->staker->produce(env, pub, slot, hash, &v)) {
            json_decref(hashes);
            return rpc_error(call, RPC_MISC_ERROR, "Block production failed: %s%s%s", v.reason,
                             v.detail[0] ? ": " : "", v.detail);
        }
        json_array_append_new(hashes, json_hash(hash));
    }
    return hashes;
}

/* A second, different block for the tip's slot and parent, signed by the tip's
 * proposer (which must be one of our keys): a double proposal on demand, so
 * tests can watch detection and slashing.  The conflicting block carries a
 * 1-unit payment of the proposer to itself, which makes its content differ. */
static json_t *generateconflict(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct chain *c = env->chain;
    const struct block_index *tip = chain_tip(c);
    uint8_t tip_hash[HASH_SIZE], proposer[PUBKEY_SIZE], hash[HASH_SIZE];
    struct validation v;
    struct block b;
    uint64_t slot = tip->hdr.slot;

    if (!env->params->regtest_rules)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "generateconflict is only available on regtest");
    if (tip->hdr.height == 0)
        return rpc_error(call, RPC_MISC_ERROR, "The genesis block has no proposer");
    if (!env->wallets || !env->staker || !env->staker->has_key(env, tip->hdr.proposer))
        return rpc_error(call, RPC_WALLET_ERROR, "The tip was not proposed by a key of this node");
    memcpy(tip_hash, tip->hash, HASH_SIZE);
    memcpy(proposer, tip->hdr.proposer, PUBKEY_SIZE);

    /* Step back to the tip's parent, build there, and step forward again. */
    if (!chain_invalidate(c, tip_hash, &v))
        return rpc_error(call, RPC_MISC_ERROR, "Cannot step back: %s", v.reason);
    bool built = env->staker->build_self_payment(env, proposer, slot, &b, &v);
    struct validation rv;
    if (!chain_reconsider(c, tip_hash, &rv) && rv.cls == VAL_ERROR) {
        if (built)
            block_free(&b);
        return rpc_error(call, RPC_MISC_ERROR, "Cannot restore the tip: %s", rv.reason);
    }
    if (!built)
        return rpc_error(call, RPC_MISC_ERROR, "Cannot build the conflicting block: %s", v.reason);
    header_hash(&b.hdr, hash);
    bool ok = chain_process_block(c, &b, &v);
    block_free(&b);
    if (!ok)
        return rpc_error(call, RPC_MISC_ERROR, "The conflicting block was refused: %s", v.reason);
    /* It is not our tip, so tell peers about it explicitly. */
    if (env->p2p)
        p2p_announce_block(env->p2p, hash);
    json_t *o = json_object();
    json_object_set_new(o, "tip", json_hash(tip_hash));
    json_object_set_new(o, "conflict", json_hash(hash));
    json_object_set_new(o, "slot", json_integer((json_int_t)slot));
    return o;
}

static json_t *setmocktime(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    int64_t t = rpc_int(call, 0, 0);
    if (!env->params->regtest_rules)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "setmocktime is for regression testing (-regtest mode) only");
    if (t < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Mocktime cannot be negative: %lld", (long long)t);
    time_set_mock((uint64_t)t);
    log_printf("setmocktime %lld", (long long)t);
    return json_null();
}

const struct rpc_method mining_rpc_methods[] = {
    {
        .category = "Mining",
        .name = "generateblocks",
        .handler = generateblocks,
        .summary = "Produce blocks immediately (regtest only): for each, the next slot, from the "
                   "current clock slot on, whose leader is a validator key of the loaded wallets "
                   "(slots led by others are skipped), a block with mempool transactions by fee "
                   "rate, signed and connected.  Regtest accepts slots ahead of the clock.",
        .args = {{"nblocks", RPC_UINT, true, NULL, "How many blocks are generated (at most 10000)"}},
        .result = "[\"hex\", ...]    (array) hashes of the blocks generated",
        .examples = "fml-cli -regtest generateblocks 10",
    },
    {
        .category = "Mining",
        .name = "generateconflict",
        .handler = generateconflict,
        .summary = "Regtest test hook: the validator key (of this node) that proposed the tip "
                   "signs a second, different block for the same slot and parent, and the node "
                   "takes it as a competing block.  This is a double proposal: the node reports "
                   "the evidence itself, and the validator is slashed and jailed when it is "
                   "mined.",
        .result = "{\"tip\": \"hex\", \"conflict\": \"hex\", \"slot\": n}",
        .examples = "fml-cli -regtest generateconflict",
    },
    {
        .category = "Control",
        .name = "setmocktime",
        .handler = setmocktime,
        .summary = "Set the local time to given timestamp (-regtest only); 0 returns to the "
                   "system clock.  Moves the slot from which generateblocks and the real-time "
                   "producer start.",
        .args = {{"timestamp", RPC_INT, true, NULL, "Unix seconds; 0 to use the system clock"}},
        .result = "null",
        .examples = "fml-cli setmocktime 1767225600",
    },
};
const size_t mining_rpc_methods_count = sizeof(mining_rpc_methods) / sizeof(mining_rpc_methods[0]);
