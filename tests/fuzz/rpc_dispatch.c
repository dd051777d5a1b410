/* Fuzz target: the JSON-RPC dispatcher over the node's read-side method
 * tables (rpc/blockchain.c, rawtx.c, staking.c, fl.c) on a regtest chain
 * built once in a temporary directory: block 1 holds a transfer and an FL
 * task, block 2 two joins, then empty blocks until the task runs; the
 * mempool holds one more transfer.
 *
 * Methods that change the chain (invalidateblock, reconsiderblock) are left
 * out so that every input sees the same state; sendrawtransaction stays in
 * (only a validly signed transaction could change the mempool).  Input: a
 * request body.  Properties: every body gets valid JSON back (or nothing
 * for a notification), whatever the handlers are given. */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/task.h"
#include "tests/regtest_signer.h"

#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/fltx.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "rpc/methods.h"
#include "rpc/rpc.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"
#include "state/mempool.h"

#include <ftw.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

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

/* ---- building the chain ---- */

static void produce(void)
{
    uint8_t leader[PUBKEY_SIZE];
    struct block b;
    struct validation v;
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    struct view *view = chain_view(chain);
    FUZZ_CHECK(view && staking_leader_for(view, &params, chain_tip(chain)->hdr.slot, slot, leader));
    view_free(view);
    val_init(&v);
    FUZZ_CHECK(builder_build(chain, mempool, leader, slot, &regtest_signer, &b, &v));
    FUZZ_CHECK(chain_process_block(chain, &b, &v));
    block_free(&b);
}

static void submit(int from, uint8_t type, const struct wbuf *payload, uint8_t txid[HASH_SIZE])
{
    struct tx tx;
    struct validation v;
    tx_init(&tx);
    tx.type = type;
    memcpy(tx.sender, pubs[from], PUBKEY_SIZE);
    tx.nonce = mempool_next_nonce(mempool, pubs[from]);
    tx.fee = FUZZ_TASK_FEE;
    FUZZ_CHECK(tx_set_payload(&tx, payload->data, payload->len));
    FUZZ_CHECK(tx_sign(&tx, params.genesis_hash, secrets[from], NULL));
    val_init(&v);
    if (!mempool_add(mempool, &tx, params.genesis_time, &v))
        fprintf(stderr, "mempool_add: %s %s\n", v.reason, v.detail);
    FUZZ_CHECK(v.cls == VAL_OK);
    if (txid)
        tx_txid(&tx, txid);
    tx_free(&tx);
}

static void transfer(int from, int to, uint64_t amount)
{
    struct transfer t;
    struct wbuf w;
    memcpy(t.to, pubs[to], PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    submit(from, TX_TRANSFER, &w, NULL);
    wbuf_free(&w);
}

static void build_chain(void)
{
    struct fl_task_params t;
    struct wbuf w;
    uint8_t task[HASH_SIZE];

    transfer(0, 1, 5 * COIN);
    fuzz_task_params(&t);
    wbuf_init(&w);
    fl_task_params_encode(&t, &w);
    submit(0, TX_FL_TASK_CREATE, &w, task); /* nonce 1 and fee: see task.h */
    produce();

    for (int i = 1; i <= 2; i++) {
        struct fl_join j = {.stake = 2 * COIN};
        memcpy(j.task, task, HASH_SIZE);
        wbuf_reset(&w);
        fl_join_encode(&j, &w);
        submit(i, TX_FL_JOIN, &w, NULL);
    }
    produce();
    for (int i = 0; i < 3; i++)
        produce();
    wbuf_free(&w);
    transfer(1, 2, COIN);
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
    FUZZ_CHECK(regtest_keys_init());
    snprintf(datadir, sizeof(datadir), "%s/fml-fuzz-rpc-XXXXXX", tmp);
    FUZZ_CHECK(mkdtemp(datadir) != NULL);
    chain = chain_open(&params, datadir, false, err, sizeof(err));
    if (!chain)
        fprintf(stderr, "chain_open: %s\n", err);
    FUZZ_CHECK(chain != NULL);
    mempool = mempool_new(chain, 1000000, 0);
    FUZZ_CHECK(mempool != NULL);
    build_chain();

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
