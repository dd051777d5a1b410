/* Fuzz target: the JSON-RPC dispatcher over the node's read-side method
 * tables (rpc/blockchain.c, rawtx.c, fees.c, staking.c, fl.c, arena.c) on a regtest chain
 * built once in a temporary directory: block 1 holds a transfer and an FL
 * task, block 2 two joins, then empty blocks until the task runs; the
 * mempool holds one more transfer.
 *
 * Methods that change the chain (invalidateblock, reconsiderblock) are left
 * out so that every input sees the same state; sendrawtransaction stays in
 * (only a validly signed transaction could change the mempool).  Input: a
 * request body.  Properties: every body gets valid JSON back (or nothing
 * for a notification), whatever the handlers are given. */
#include "tests/chain_fixture.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/task.h"

#include "consensus/amount.h"
#include "consensus/fltx.h"
#include "rpc/fees.h"
#include "rpc/methods.h"
#include "rpc/provider.h"
#include "rpc/rpc.h"
#include "util/fs.h"

#include <string.h>

static struct chain *chain;
static struct mempool *mempool;
static struct fee_estimator *fees;
static char datadir[256];
static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rpc_env env;
static struct rpc_table *table;
static struct rpc_method selected[128];

static void request_shutdown(void)
{
}

static void build_chain(void)
{
    struct fl_task_params t;
    struct wbuf w;
    uint8_t task[HASH_SIZE];

    FUZZ_CHECK(fixture_transfer(mempool, 0, 1, 5 * COIN, FUZZ_TASK_FEE, NULL));
    fuzz_task_params(&t);
    wbuf_init(&w);
    fl_task_params_encode(&t, &w);
    FUZZ_CHECK(fixture_submit(mempool, 0, TX_FL_TASK_CREATE, FUZZ_TASK_FEE, &w, task)); /* nonce 1: task.h */
    FUZZ_CHECK(fixture_produce(chain, mempool));

    for (int i = 1; i <= 2; i++) {
        struct fl_join j = {.stake = 2 * COIN};
        memcpy(j.task, task, HASH_SIZE);
        wbuf_reset(&w);
        fl_join_encode(&j, &w);
        FUZZ_CHECK(fixture_submit(mempool, i, TX_FL_JOIN, FUZZ_TASK_FEE, &w, NULL));
    }
    FUZZ_CHECK(fixture_produce(chain, mempool));
    for (int i = 0; i < 3; i++)
        FUZZ_CHECK(fixture_produce(chain, mempool));
    wbuf_free(&w);
    FUZZ_CHECK(fixture_transfer(mempool, 1, 2, COIN, FUZZ_TASK_FEE, NULL));
}

static void teardown(void)
{
    rpc_table_free(table);
    provider_close(env.provider);
    fee_estimator_free(fees);
    mempool_free(mempool);
    chain_close(chain);
    params_free(&params);
    FUZZ_CHECK(fixture_remove_dir(datadir));
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
    size_t count = 0;
    char err[256] = "";
    FUZZ_CHECK(regtest_keys_init());
    FUZZ_CHECK(fixture_tmpdir(datadir, sizeof(datadir), "fuzz-rpc"));
    chain = fixture_chain_open(datadir, err, sizeof(err));
    if (!chain)
        fprintf(stderr, "chain_open: %s\n", err);
    FUZZ_CHECK(chain != NULL);
    mempool = mempool_new(chain, 1000000, 0);
    FUZZ_CHECK(mempool != NULL);
    fees = fee_estimator_new(chain, mempool);
    FUZZ_CHECK(fees != NULL);
    build_chain();

    select_methods(rpc_control_methods, rpc_control_methods_count, &count);
    select_methods(blockchain_rpc_methods, blockchain_rpc_methods_count, &count);
    select_methods(rawtx_rpc_methods, rawtx_rpc_methods_count, &count);
    select_methods(fees_rpc_methods, fees_rpc_methods_count, &count);
    select_methods(staking_rpc_methods, staking_rpc_methods_count, &count);
    select_methods(fl_rpc_methods, fl_rpc_methods_count, &count);
    select_methods(arena_rpc_methods, arena_rpc_methods_count, &count);
    select_methods(market_rpc_methods, market_rpc_methods_count, &count);
    select_methods(predict_rpc_methods, predict_rpc_methods_count, &count);
    table = rpc_table_new();
    FUZZ_CHECK(table != NULL && rpc_table_add(table, selected, count));

    env.params = &params;
    env.chain = chain;
    env.mempool = mempool;
    env.fees = fees;
    env.lock = &node_lock;
    env.start_time = params.genesis_time;
    env.datadir = datadir;
    env.request_shutdown = request_shutdown;
    /* predict as a provider serving regtest validator 0's address. */
    char *pdir = fs_path_join(datadir, "provider");
    uint8_t served[1][PUBKEY_SIZE];
    memcpy(served[0], params.validators[0].pubkey, PUBKEY_SIZE);
    env.provider = pdir ? provider_open(pdir, (const uint8_t (*)[PUBKEY_SIZE])served, 1, err,
                                        sizeof(err)) : NULL;
    free(pdir);
    FUZZ_CHECK(env.provider != NULL);
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
