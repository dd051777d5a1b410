/* Fuzz target: the JSON-RPC dispatcher over the node's read-side method
 * tables (rpc/blockchain.c, rawtx.c, staking.c, fl.c) on a regtest chain
 * opened once in a temporary directory, with an empty mempool.
 *
 * Methods that change the chain (invalidateblock, reconsiderblock) are left
 * out so that every input sees the same state; sendrawtransaction stays in
 * (only a validly signed transaction could change the mempool).  Input: a
 * request body.  Properties: every body gets valid JSON back (or nothing
 * for a notification), whatever the handlers are given. */
#include "tests/fuzz/fuzz.h"

#include "consensus/params.h"
#include "rpc/methods.h"
#include "rpc/rpc.h"
#include "state/chain.h"
#include "state/mempool.h"

#include <ftw.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

static struct chain_params params;
static struct chain *chain;
static struct mempool *mempool;
static char datadir[256];
static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rpc_env env;
static struct rpc_table *table;
static struct rpc_method selected[128];

static void request_shutdown(void)
{
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    rpc_table_free(table);
    mempool_free(mempool);
    chain_close(chain);
    params_free(&params);
    nftw(datadir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool changes_chain(const char *name)
{
    return strcmp(name, "invalidateblock") == 0 || strcmp(name, "reconsiderblock") == 0;
}

static void select_methods(const struct rpc_method *m, size_t n, size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        if (changes_chain(m[i].name))
            continue;
        FUZZ_CHECK(*count < sizeof(selected) / sizeof(selected[0]));
        selected[(*count)++] = m[i];
    }
}

static void setup(void)
{
    char err[256] = "";
    size_t count = 0;
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    FUZZ_CHECK(sodium_init() >= 0);
    FUZZ_CHECK(params_init(&params, NET_REGTEST));
    snprintf(datadir, sizeof(datadir), "%s/fml-fuzz-rpc-XXXXXX", tmp);
    FUZZ_CHECK(mkdtemp(datadir) != NULL);
    chain = chain_open(&params, datadir, false, err, sizeof(err));
    if (!chain)
        fprintf(stderr, "chain_open: %s\n", err);
    FUZZ_CHECK(chain != NULL);
    mempool = mempool_new(chain, 1000000, 0);
    FUZZ_CHECK(mempool != NULL);

    select_methods(rpc_control_methods, rpc_control_methods_count, &count);
    select_methods(blockchain_rpc_methods, blockchain_rpc_methods_count, &count);
    select_methods(rawtx_rpc_methods, rawtx_rpc_methods_count, &count);
    select_methods(staking_rpc_methods, staking_rpc_methods_count, &count);
    select_methods(fl_rpc_methods, fl_rpc_methods_count, &count);
    table = rpc_table_new();
    FUZZ_CHECK(table != NULL && rpc_table_add(table, selected, count));

    env.params = &params;
    env.chain = chain;
    env.mempool = mempool;
    env.lock = &node_lock;
    env.start_time = params.genesis_time;
    env.datadir = datadir;
    env.request_shutdown = request_shutdown;
    atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int status = 0;
    size_t len = 0;
    if (!table)
        setup();
    char *reply = rpc_handle_body(table, &env, NULL, (const char *)data, size, &status, &len);
    if (!reply) {
        FUZZ_CHECK(status == 204 || status == 500);
        return 0;
    }
    FUZZ_CHECK(len > 0 && reply[len - 1] == '\n');
    json_t *parsed = json_loadb(reply, len, JSON_DECODE_ANY, NULL);
    FUZZ_CHECK(parsed != NULL);
    json_decref(parsed);
    free(reply);
    return 0;
}
