/* The table of RPC arguments that clients send as JSON values (see
 * client_args.h).  Add an entry when a method gains a numeric, boolean,
 * array or object argument. */
#include "cli/client_args.h"

#include <string.h>

static const struct {
    const char *method;
    size_t index;
    const char *name;
} json_args[] = {
    {"logging", 0, "include"},
    {"logging", 1, "exclude"},
    {"getblockstats", 0, "hash_or_height"},
    {"getblockstats", 1, "stats"},
    {"getchaintxstats", 0, "nblocks"},
    {"estimatesmartfee", 0, "conf_target"},
    {"getblockhash", 0, "height"},
    {"getblock", 1, "verbosity"},
    {"getblockheader", 1, "verbose"},
    {"getaddresshistory", 1, "skip"},
    {"restmempool", 0, "max_entries"},
    {"getaddresshistory", 2, "count"},
    {"getrawtransaction", 1, "verbose"},
    {"getaccount", 1, "include_mempool"},
    {"getrawmempool", 0, "verbose"},
    {"generateblocks", 0, "nblocks"},
    {"setmocktime", 0, "timestamp"},
    {"listtransactions", 1, "count"},
    {"listtransactions", 2, "skip"},
    {"sendtoaddress", 4, "subtractfeefromamount"},
    {"testmempoolaccept", 0, "rawtxs"},
    {"createrawtransaction", 0, "transaction"},
    {"signrawtransactionwithkey", 1, "privkeys"},
    {"sendmany", 1, "amounts"},
    {"sendmany", 2, "minconf"},
    {"walletpassphrase", 1, "timeout"},
    {"createwallet", 2, "load_on_startup"},
    {"importprivkey", 2, "rescan"},
    {"loadwallet", 1, "load_on_startup"},
    {"unloadwallet", 1, "load_on_startup"},
    {"getbalance", 1, "minconf"},
    {"getbalance", 2, "include_watchonly"},
    {"getbalance", 3, "avoid_reuse"},
    {"listtransactions", 3, "include_watchonly"},
    {"gettransaction", 1, "include_watchonly"},
    {"gettransaction", 2, "verbose"},
    {"keypoolrefill", 0, "newsize"},
    {"rescanblockchain", 0, "start_height"},
    {"registervalidator", 2, "commission_bps"},
    {"editvalidator", 0, "commission_bps"},
    {"flgetround", 1, "round"},
    {"flgetupdate", 1, "round"},
    {"flgetmodel", 1, "round"},
    {"flcreatetask", 0, "options"},
    {"flsubmitupdate", 1, "round"},
    {"flrevealupdate", 1, "round"},
    {"flcommitvote", 1, "round"},
    {"flcommitvote", 2, "verdicts"},
    {"flrevealvote", 1, "round"},
    {"arenagetvalset", 1, "set"},
    {"arenacreatetask", 0, "options"},
    {"arenasetshare", 1, "sigma_bps"},
    {"marketlistmodels", 0, "start"},
    {"marketlistmodels", 1, "count"},
    {"marketgetprice", 1, "calls"},
    {"marketpublish", 0, "options"},
    {"marketsetprice", 2, "target"},
    {"marketcall", 2, "calls"},
    {"marketsignrequest", 2, "calls"},
    {"marketsignrequest", 3, "nonce"},
    {"importvalidatorkey", 1, "onion_generation"},
    {"importvalidatorkey", 2, "onion_length"},
};

bool rpc_client_arg_is_json(const char *method, size_t index, const char *name)
{
    for (size_t i = 0; i < sizeof(json_args) / sizeof(json_args[0]); i++) {
        if (strcmp(json_args[i].method, method) != 0)
            continue;
        if (name ? strcmp(json_args[i].name, name) == 0 : json_args[i].index == index)
            return true;
    }
    return false;
}
