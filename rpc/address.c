/* The address index over RPC: getaddresshistory (-addressindex=1). */
#include "consensus/txtypes.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/addrindex.h"
#include "state/chain.h"

#include <stdlib.h>
#include <string.h>

#define HISTORY_DEFAULT_COUNT 100
#define HISTORY_MAX_COUNT 1000

static json_t *signed_amount(int64_t v)
{
    return json_amount_signed(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

static json_t *entry_to_json(struct chain *c, const struct addrindex_entry *e)
{
    const struct block_index *bi = chain_at(c, e->height);
    json_t *o = json_object();
    if (!o || !bi) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "height", json_integer((json_int_t)e->height));
    json_object_set_new(o, "blockhash", json_hash(bi->hash));
    json_object_set_new(o, "time", json_integer((json_int_t)bi->hdr.time));
    if (e->cause >= 0) {
        const char *type = txtype_name(e->type);
        json_object_set_new(o, "txid", json_hash(e->txid));
        json_object_set_new(o, "index", json_integer((json_int_t)e->cause));
        json_object_set_new(o, "type", json_string(type ? type : "unknown"));
    } else {
        json_object_set_new(o, "txid", json_null());
        json_object_set_new(o, "index", json_null());
        /* Begin- and end-of-block rules, and the genesis allocation (height 0). */
        json_object_set_new(o, "type", json_string("block"));
    }
    json_object_set_new(o, "balance_change", signed_amount(e->balance_change));
    json_object_set_new(o, "balance", json_amount(e->balance));
    json_object_set_new(o, "stake_change", signed_amount(e->stake_change));
    return o;
}

static json_t *getaddresshistory(struct rpc_call *call)
{
    struct chain *c = rpc_env(call)->chain;
    uint8_t pub[PUBKEY_SIZE];
    if (!chain_addrindex_enabled(c))
        return rpc_error(call, RPC_MISC_ERROR, "address index disabled (start with -addressindex=1)");
    if (!rpc_arg_address(call, 0, pub))
        return NULL;
    int64_t skip = rpc_int(call, 1, 0), count = rpc_int(call, 2, HISTORY_DEFAULT_COUNT);
    if (skip < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "skip must be >= 0");
    if (count < 1 || count > HISTORY_MAX_COUNT)
        return rpc_error(call, RPC_INVALID_PARAMETER, "count must be between 1 and %d",
                         HISTORY_MAX_COUNT);
    uint64_t total;
    if (!chain_addrindex_total(c, pub, &total))
        return rpc_error(call, RPC_DATABASE_ERROR, "Address index read error");
    json_t *entries = json_array();
    if (!entries)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    /* Newest first: entry total-1-skip, then down. */
    for (uint64_t k = (uint64_t)skip; k < total && k < (uint64_t)skip + (uint64_t)count; k++) {
        struct addrindex_entry e;
        json_t *o;
        if (!chain_addrindex_get(c, pub, total - 1 - k, &e) || !(o = entry_to_json(c, &e))) {
            json_decref(entries);
            return rpc_error(call, RPC_DATABASE_ERROR,
                             "Address index entry missing or damaged (restart with -reindex)");
        }
        json_array_append_new(entries, o);
    }
    json_t *r = json_object();
    json_object_set_new(r, "address", json_string(rpc_str(call, 0, "")));
    json_object_set_new(r, "total", json_integer((json_int_t)total));
    json_object_set_new(r, "skip", json_integer((json_int_t)skip));
    json_object_set_new(r, "count", json_integer((json_int_t)json_array_size(entries)));
    json_object_set_new(r, "entries", entries);
    return r;
}

const struct rpc_method address_rpc_methods[] = {
    {
        .category = "Blockchain",
        .name = "getaddresshistory",
        .handler = getaddresshistory,
        .summary = "Returns the history of an address, newest first: one entry per block and "
                   "cause (a transaction, or the begin- or end-of-block rules: rewards, "
                   "unbonding, FL, Arena and Market payments) that changed its balance, nonce "
                   "or stake, from the address index. Needs -addressindex=1; no wallet.",
        .args = {{"address", RPC_STR, true, NULL, "The address"},
                 {"skip", RPC_INT, false, "0", "Newest entries to skip (>= 0)"},
                 {"count", RPC_INT, false, "100", "Entries to return (1 to 1000)"}},
        .result = "{\n"
                  "  \"address\": \"str\",\n"
                  "  \"total\": n,               (entries of the address)\n"
                  "  \"skip\": n,\n"
                  "  \"count\": n,               (entries returned)\n"
                  "  \"entries\": [              (newest first)\n"
                  "    {\n"
                  "      \"height\": n,\n"
                  "      \"blockhash\": \"hex\",\n"
                  "      \"time\": n,            (block time, unix seconds)\n"
                  "      \"txid\": \"hex\" or null, (null for block rules and the genesis allocation)\n"
                  "      \"index\": n or null,   (position of the transaction in the block)\n"
                  "      \"type\": \"str\",        (transaction type as decoderawtransaction\n"
                  "                               prints it, \"block\" for begin/end-of-block\n"
                  "                               rules and the genesis allocation)\n"
                  "      \"balance_change\": n,  (FML, signed)\n"
                  "      \"balance\": n,         (FML, after this entry)\n"
                  "      \"stake_change\": n     (FML, signed: self-stake or delegation; 0 if none)\n"
                  "    }, ...\n"
                  "  ]\n"
                  "}",
        .examples = "fml-cli getaddresshistory rfml1q...\n"
                    "fml-cli getaddresshistory rfml1q... 100 50\n"
                    "curl --data-binary '{\"method\":\"getaddresshistory\",\"params\":"
                    "[\"rfml1q...\",0,10]}' http://127.0.0.1:28732/",
    },
};

const size_t address_rpc_methods_count = sizeof(address_rpc_methods) / sizeof(address_rpc_methods[0]);
