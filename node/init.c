/* Node start-up and shutdown (see node.h). */
#include "config.h"

#include "node/node.h"
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "node/evidence.h"
#include "node/genesisfile.h"
#include "node/notify.h"
#include "node/producer.h"
#include "node/progress.h"
#include "node/staker.h"
#include "node/validatorkey.h"
#include "node/zmq.h"
#include "p2p/p2p.h"
#include "rpc/fees.h"
#include "rpc/methods.h"
#include "rpc/metrics.h"
#include "rpc/net.h"
#include "rpc/provider.h"
#include "rpc/rpc.h"
#include "rpc/server.h"
#include "state/chain.h"
#include "state/db.h"
#include "state/mempool.h"
#include "state/sigcache.h"
#include "state/sigcheck.h"
#include "util/config.h"
#include "util/crashpoint.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/rpcwallet.h"
#include "wallet/wallet.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_WALLET "default"

static struct event *shutdown_event;
static int lock_fd = -1;

static void on_shutdown_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Activates an event rather than breaking the loop directly: a request
 * that comes before the loop runs (a stop RPC answered during start-up)
 * then still ends it, where a loop break would be forgotten. */
void node_request_shutdown(void)
{
    if (shutdown_event)
        event_active(shutdown_event, EV_TIMEOUT, 0);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        log_reopen();
        return;
    }
    log_printf("Received signal %d: shutting down", (int)sig);
    node_request_shutdown();
}

/* Chooses the network: a built-in one, or a custom one from -genesis. */
static bool select_params(struct node *n, char *err, size_t errlen)
{
    char chain[64];
    enum network net;
    const char *genesis = config_get(n->cfg, "genesis", NULL);
    if (!config_get_chain(n->cfg, chain, sizeof(chain), err, errlen))
        return false;
    if (genesis) {
        char *path = fs_path_join(".", genesis);
        bool ok = path && genesisfile_load(&n->params, path, err, errlen);
        free(path);
        return ok;
    }
    if (!params_network_from_name(chain, &net))
        return err_setf(err, errlen, "Unknown chain %s (use main, test, regtest or -genesis=FILE)",
                    chain);
    if (!params_init(&n->params, net))
        return err_setf(err, errlen, "Cannot set up the %s network parameters", chain);
    if (n->params.n_validators == 0)
        return err_setf(err, errlen,
                    "The %s network has not launched: it has no genesis until its operators "
                    "make one in the launch ceremony (doc/launch.md); start from that file "
                    "with -genesis=FILE, or use -regtest",
                    chain);
    return true;
}

/* -dbcrashratio: a crash as abrupt as kill -9 at a crash mark. */
static void simulated_crash(const char *where)
{
    log_printf("Simulating a crash (-dbcrashratio) at %s", where);
    _exit(NODE_SIMULATED_CRASH_STATUS);
}

/* Regtest only: crash at 1 in N of the crash marks inside the node's
 * writes (block files, LevelDB batches, wallet and other files).  Checked
 * before anything is written to the data directory. */
static bool setup_crash_simulation(const struct node *n, int64_t *ratio, int64_t *seed, char *err,
                                   size_t errlen)
{
    *ratio = 0;
    if (!config_is_set(n->cfg, "dbcrashratio") && !config_is_set(n->cfg, "dbcrashseed"))
        return true;
    if (n->params.net != NET_REGTEST)
        return err_setf(err, errlen, "-dbcrashratio and -dbcrashseed are only allowed on regtest: "
                                 "they make the node crash on purpose");
    if (!config_get_int(n->cfg, "dbcrashratio", 0, 0, UINT32_MAX, ratio, err, errlen) ||
        !config_get_int(n->cfg, "dbcrashseed", (int64_t)(time_now() ^ (uint64_t)getpid()), 0,
                        INT64_MAX, seed, err, errlen))
        return false;
    if (*ratio > 0)
        crashpoint_enable((uint32_t)*ratio, (uint64_t)*seed, simulated_crash);
    return true;
}

/* -connectdelay: regtest only, for tests of the readers that run without
 * the node lock.  Each block connection sleeps this long after the block's
 * state is written and before the activation ends and publishes the new
 * tip (a chain listener: it runs under the node lock, in the middle of the
 * connection), so that readers meet a connection in progress. */
static int64_t connect_delay_ms;

static void delay_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)arg;
    (void)b;
    (void)bi;
    struct timespec ts = {(time_t)(connect_delay_ms / 1000),
                          (long)(connect_delay_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool setup_connect_delay(struct node *n, char *err, size_t errlen)
{
    if (!config_is_set(n->cfg, "connectdelay"))
        return true;
    if (n->params.net != NET_REGTEST)
        return err_setf(err, errlen, "-connectdelay is only allowed on regtest: it slows every "
                                     "block connection on purpose");
    if (!config_get_int(n->cfg, "connectdelay", 0, 0, 60000, &connect_delay_ms, err, errlen))
        return false;
    if (connect_delay_ms > 0) {
        struct chain_listener l = {.connected = delay_connected, .arg = &connect_delay_ms};
        chain_add_listener(n->chain, &l);
    }
    return true;
}

static bool lock_datadir(const char *dir, char *err, size_t errlen)
{
    char *path = fs_path_join(dir, ".lock");
    if (!path)
        return err_setf(err, errlen, "out of memory");
    lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (lock_fd >= 0)
            close(lock_fd);
        lock_fd = -1;
        return err_setf(err, errlen,
                    "Cannot obtain a lock on data directory %s. fmld is probably already running.",
                    dir);
    }
    return true;
}

/* Loads the wallets named by -wallet (or the default one, created on first
 * start), and on regtest puts the chosen well-known validator key in the
 * first of them. */
static bool start_wallets(struct node *n, char *err, size_t errlen)
{
    char *dir = fs_path_join(n->datadir, "wallets");
    size_t nwallets = 0;
    const char **names = config_get_multi(n->cfg, "wallet", &nwallets);
    if (!dir || !names || !fs_mkdir_p(dir, 0700)) {
        free(dir);
        free(names);
        return err_setf(err, errlen, "Cannot create the wallets directory");
    }
    n->wallets = wallets_new(&n->params, dir);
    free(dir);
    if (!n->wallets) {
        free(names);
        return err_setf(err, errlen, "out of memory");
    }
    int64_t feerate;
    if (!config_get_int(n->cfg, "walletfeerate", WALLET_DEFAULT_FEE_RATE, 0, (int64_t)COIN,
                        &feerate, err, errlen)) {
        free(names);
        return false;
    }
    wallets_set_fee_rate(n->wallets, (uint64_t)feerate);
    /* -wallet names (created on first use), or the default wallet; then the
     * wallets marked load_on_startup. */
    for (size_t i = 0; i < (nwallets ? nwallets : 1); i++) {
        const char *name = nwallets ? names[i] : DEFAULT_WALLET;
        bool ok = wallets_exists(n->wallets, name)
                      ? wallets_load(n->wallets, name, err, errlen)
                      : wallets_create(n->wallets, name, NULL, err, errlen);
        if (!ok) {
            free(names);
            return false;
        }
    }
    free(names);
    if (!wallets_load_startup(n->wallets, err, errlen))
        return false;

    if (n->params.net == NET_REGTEST) {
        const char *which = config_get(n->cfg, "regtestvalidator", "0");
        if (strcmp(which, "none") != 0) {
            char *end;
            unsigned long idx = strtoul(which, &end, 10);
            if (*which == '\0' || *end != '\0' || idx >= REGTEST_VALIDATORS)
                return err_setf(err, errlen, "-regtestvalidator must be 0..3 or none (got %s)", which);
            uint8_t sec[SECKEY_SIZE];
            char label[32];
            params_regtest_secret((unsigned)idx, sec);
            snprintf(label, sizeof(label), "regtest validator %lu", idx);
            bool ok = wallet_import_validator_key(wallets_at(n->wallets, 0), sec, 0,
                                                  REGTEST_ONION_LENGTH, label, err, errlen);
            sodium_memzero(sec, sizeof(sec));
            if (!ok)
                return false;
        }
    }
    /* -validatorkey=FILE: the operator's key from the launch ceremony. */
    size_t nkeys = 0;
    const char **keyfiles = config_get_multi(n->cfg, "validatorkey", &nkeys);
    for (size_t i = 0; keyfiles && i < nkeys; i++) {
        struct validator_keyfile k;
        char why[400];
        char *path = fs_path_join(".", keyfiles[i]);
        bool ok = path && validatorkey_load(path, &k, why, sizeof(why));
        if (!path)
            snprintf(why, sizeof(why), "out of memory");
        free(path);
        if (!ok) {
            free(keyfiles);
            return err_setf(err, errlen, "-validatorkey: %s", why);
        }
        ok = wallet_import_validator_key(wallets_at(n->wallets, 0), k.sec, k.onion_generation,
                                         k.onion_length, "validator", err, errlen);
        validatorkey_clear(&k);
        if (!ok) {
            free(keyfiles);
            return false;
        }
    }
    free(keyfiles);
    node_wallet_chain_init(&n->wallet_chain, n->chain, n->mempool);
    return wallets_attach(n->wallets, &n->wallet_chain.iface, err, errlen);
}

/* -provider=1: the served addresses (-provideraddress, else the wallets'
 * registered keys, looked up per request) and the ledger of served calls in
 * <datadir>/provider/. */
static bool start_provider(struct node *n, char *err, size_t errlen)
{
    if (!config_get_bool(n->cfg, "provider", false)) {
        if (config_is_set(n->cfg, "provideraddress"))
            return err_setf(err, errlen, "-provideraddress needs -provider=1");
        return true;
    }
    size_t naddr = 0;
    const char **addrs = config_get_multi(n->cfg, "provideraddress", &naddr);
    uint8_t (*pubs)[PUBKEY_SIZE] = calloc(naddr ? naddr : 1, PUBKEY_SIZE);
    if (!pubs) {
        free(addrs);
        return err_setf(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < naddr; i++) {
        if (!address_decode(pubs[i], n->params.hrp, addrs[i])) {
            err_setf(err, errlen, "-provideraddress: invalid address %s", addrs[i]);
            free(addrs);
            free(pubs);
            return false;
        }
    }
    free(addrs);
    if (naddr == 0 && !n->wallets) {
        free(pubs);
        return err_setf(err, errlen, "-provider=1 without wallets needs -provideraddress=ADDR");
    }
    char *dir = fs_path_join(n->datadir, "provider");
    n->provider = dir ? provider_open(dir, (const uint8_t (*)[PUBKEY_SIZE])pubs, naddr, err, errlen) : NULL;
    free(dir);
    free(pubs);
    if (n->provider)
        log_printf("Compute provider: serving predict for %s", naddr ? "the -provideraddress addresses" : "the wallets' registered provider keys");
    return n->provider != NULL;
}

/* P2P on the node's event loop; p2p_start takes the node lock itself. */
static bool start_p2p(struct node *n, char *err, size_t errlen)
{
    struct p2p_options o;
    struct p2p_env env = {&n->params, n->chain, n->mempool, &n->lock};
    p2p_options_init(&o);
    if (!p2p_options_from_config(&o, n->cfg, n->params.p2p_port, n->datadir, err, errlen))
        return false;
    n->p2p = p2p_start(n->base, &o, &env, err, errlen);
    p2p_options_clear(&o);
    if (n->p2p)
        log_printf("P2P listening on port %u", (unsigned)p2p_listen_port(n->p2p));
    return n->p2p != NULL;
}

static bool start_rpc(struct node *n, char *err, size_t errlen)
{
    struct rpc_server_options opts;
    n->rpc_table = rpc_table_new();
    if (!n->rpc_table ||
        !rpc_table_add(n->rpc_table, rpc_control_methods, rpc_control_methods_count) ||
        !rpc_table_add(n->rpc_table, blockchain_rpc_methods, blockchain_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, address_rpc_methods, address_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, rawtx_rpc_methods, rawtx_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, mining_rpc_methods, mining_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, staking_rpc_methods, staking_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, finality_rpc_methods, finality_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, fl_rpc_methods, fl_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, arena_rpc_methods, arena_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, market_rpc_methods, market_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, predict_rpc_methods, predict_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, net_rpc_methods, net_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, fees_rpc_methods, fees_rpc_methods_count) ||
        !rpc_table_add(n->rpc_table, zmq_rpc_methods, zmq_rpc_methods_count) ||
        (n->wallets && !rpc_table_add(n->rpc_table, wallet_rpc_methods, wallet_rpc_methods_count)) ||
        (n->wallets && !rpc_table_add(n->rpc_table, wallet_staking_rpc_methods,
                                      wallet_staking_rpc_methods_count)) ||
        (n->wallets && !rpc_table_add(n->rpc_table, wallet_fl_rpc_methods,
                                      wallet_fl_rpc_methods_count)) ||
        (n->wallets && !rpc_table_add(n->rpc_table, wallet_arena_rpc_methods,
                                      wallet_arena_rpc_methods_count)) ||
        (n->wallets && !rpc_table_add(n->rpc_table, wallet_market_rpc_methods,
                                      wallet_market_rpc_methods_count)))
        return err_setf(err, errlen, "Cannot register the RPC methods");

    n->env = (struct rpc_env){
        .params = &n->params,
        .chain = n->chain,
        .mempool = n->mempool,
        .fees = n->fees,
        .wallets = n->wallets,
        .staker = n->wallets ? &staker_rpc : NULL,
        .p2p = n->p2p,
        .lock = &n->lock,
        .start_time = n->start_time,
        .datadir = n->datadir,
        .provider = n->provider,
        .request_shutdown = node_request_shutdown,
    };
    rpc_server_options_init(&opts);
    if (!rpc_server_options_from_config(&opts, n->cfg, n->params.rpc_port, n->datadir, err,
                                        errlen))
        return false;
    opts.metrics_render = metrics_render;
    rpc_set_batch_hook(rawtx_batch_hook);
    if (opts.metrics) {
        rpc_set_call_observer(metrics_observe_rpc);
        log_printf("Metrics: Prometheus text at %s on the RPC port", METRICS_PATH);
    }
    n->rpc = rpc_server_start(&opts, n->rpc_table, &n->env, err, errlen);
    rpc_server_options_clear(&opts);
    return n->rpc != NULL;
}

/* Descriptors the node needs besides its connections: LevelDB's open files
 * (state/db.c max_open_files 64) and a margin for block files, logs,
 * wallets, listeners, ZMQ and the event loops' pipes. */
#define FD_DB 64
#define FD_MARGIN 100

/* Raises the soft RLIMIT_NOFILE to what P2P (-maxconnections), the HTTP
 * server (-rpcmaxconnections), LevelDB and a margin need, as bitcoind does;
 * fails when the hard limit is below that. */
static bool raise_fd_limit(const struct config *cfg, char *err, size_t errlen)
{
    int64_t p2p, http;
    if (!config_get_int(cfg, "maxconnections", P2P_DEFAULT_MAX_CONNECTIONS, 0, 100000, &p2p, err,
                        errlen) ||
        !config_get_int(cfg, "rpcmaxconnections", RPC_DEFAULT_MAX_CONNECTIONS, 1, 100000, &http,
                        err, errlen))
        return false;
    rlim_t need = (rlim_t)(p2p + http + FD_DB + FD_MARGIN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return err_setf(err, errlen, "Cannot read the file descriptor limit: %s", strerror(errno));
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
            return err_setf(err, errlen,
                            "Not enough file descriptors available: %llu needed (-maxconnections "
                            "%lld + -rpcmaxconnections %lld + %d for the database + %d), the "
                            "hard limit is %llu; raise it (ulimit -Hn, LimitNOFILE=) or lower "
                            "-maxconnections or -rpcmaxconnections",
                            (unsigned long long)need, (long long)p2p, (long long)http, FD_DB,
                            FD_MARGIN, (unsigned long long)rl.rlim_max);
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return err_setf(err, errlen, "Cannot raise the file descriptor limit to %llu: %s",
                            (unsigned long long)need, strerror(errno));
        log_printf("Raised the file descriptor limit from %llu to %llu",
                   (unsigned long long)old, (unsigned long long)need);
    }
    return true;
}

bool node_start(struct node *n, struct config *cfg, char *err, size_t errlen)
{
    int64_t maxmempool_mb, minrelay;
    char *logpath;

    memset(n, 0, sizeof(*n));
    n->cfg = cfg;
    n->start_time = time_now();
    pthread_mutex_init(&n->lock, NULL);
    int64_t crash_ratio, crash_seed;
    if (!select_params(n, err, errlen) ||
        !setup_crash_simulation(n, &crash_ratio, &crash_seed, err, errlen))
        return false;

    const char *base = config_get(cfg, "datadir", NULL);
    char *datadir = base ? strdup(base) : fs_default_datadir();
    if (!datadir)
        return err_setf(err, errlen, "Cannot find a data directory (set -datadir)");
    if (base && !fs_is_dir(base)) {
        free(datadir);
        return err_setf(err, errlen, "Specified data directory \"%s\" does not exist.", base);
    }
    const char *sub = n->params.net == NET_CUSTOM ? n->params.name : params_network_subdir(n->params.net);
    n->datadir = *sub ? fs_path_join(datadir, sub) : strdup(datadir);
    free(datadir);
    if (!n->datadir || !fs_mkdir_p(n->datadir, 0700))
        return err_setf(err, errlen, "Cannot create the data directory");
    if (!lock_datadir(n->datadir, err, errlen))
        return false;

    logpath = fs_path_join(n->datadir, "debug.log");
    if (!logpath || !log_open(logpath, config_get_bool(cfg, "printtoconsole", false))) {
        free(logpath);
        return err_setf(err, errlen, "Cannot open debug.log");
    }
    free(logpath);
    log_set_timestamps_micro(config_get_bool(cfg, "logtimemicros", false));
    size_t ncats = 0;
    const char **cats = config_get_multi(cfg, "debug", &ncats);
    for (size_t i = 0; cats && i < ncats; i++) {
        if (!log_enable_categories(cats[i])) {
            err_setf(err, errlen, "Unknown -debug category %s", cats[i]);
            free(cats);
            return false;
        }
    }
    free(cats);
    cats = config_get_multi(cfg, "debugexclude", &ncats);
    for (size_t i = 0; cats && i < ncats; i++) {
        if (!log_disable_categories(cats[i])) {
            err_setf(err, errlen, "Unknown -debugexclude category %s", cats[i]);
            free(cats);
            return false;
        }
    }
    free(cats);
    if (!raise_fd_limit(cfg, err, errlen))
        return false;
    char hex[2 * HASH_SIZE + 1];
    hash_to_hex(n->params.genesis_hash, hex);
    log_printf("fmld %s starting: chain %s, genesis %s, data directory %s", PACKAGE_VERSION,
               n->params.name, hex, n->datadir);

    if (crash_ratio > 0)
        log_printf("Crash simulation on: 1 in %lld crash marks ends the process (seed %lld)",
                   (long long)crash_ratio, (long long)crash_seed);
    int64_t dbcache;
    if (!config_get_int(cfg, "dbcache", DB_CACHE_DEFAULT_MIB, DB_CACHE_MIN_MIB, DB_CACHE_MAX_MIB,
                        &dbcache, err, errlen))
        return false;
    db_tuning.cache = (size_t)dbcache << 20;
    int64_t par, sigcache_mib;
    if (!config_get_int(cfg, "par", 0, -1024, 1024, &par, err, errlen) ||
        !config_get_int(cfg, "sigcachesize", SIGCACHE_DEFAULT_MIB, 0, 16384, &sigcache_mib, err,
                        errlen))
        return false;
    if (sigcache_mib > 0 &&
        !(n->sigcache = sigcache_new((size_t)sigcache_mib * 1024 * 1024)))
        return err_setf(err, errlen, "Cannot allocate the signature cache (-sigcachesize)");
    n->sigcheck = sigcheck_new(sigcheck_threads_for_par(par), n->sigcache);
    if (!n->sigcheck)
        return err_setf(err, errlen, "Cannot start the signature verification threads (-par)");
    log_printf("Using %d threads for signature verification, a %lld MiB signature cache "
               "(%zu entries)",
               sigcheck_threads(n->sigcheck), (long long)sigcache_mib,
               n->sigcache ? sigcache_capacity(n->sigcache) : (size_t)0);
    struct chain_options chain_opts = {
        .reindex = config_get_bool(cfg, "reindex", false),
        .reindex_chainstate = config_get_bool(cfg, "reindex-chainstate", false),
        .sigcheck = n->sigcheck,
        .addrindex = config_get_bool(cfg, "addressindex", false),
    };
    n->chain = chain_open_with(&n->params, n->datadir, &chain_opts, err, errlen);
    if (!n->chain)
        return false;
    int64_t checkblocks;
    if (!config_get_int(cfg, "checkblocks", 6, 0, INT64_MAX, &checkblocks, err, errlen) ||
        !chain_verify(n->chain, (uint64_t)checkblocks, err, errlen))
        return false;
    log_printf("Loaded chain: height %llu", (unsigned long long)chain_height(n->chain));
    if (!setup_connect_delay(n, err, errlen))
        return false;

    if (!config_get_int(cfg, "maxmempool", MEMPOOL_DEFAULT_MAX_BYTES / 1000000, 5, 100000,
                        &maxmempool_mb, err, errlen) ||
        !config_get_int(cfg, "minrelaytxfee", MEMPOOL_DEFAULT_MIN_FEE_RATE, 0, (int64_t)COIN,
                        &minrelay, err, errlen))
        return false;
    n->mempool = mempool_new(n->chain, (size_t)maxmempool_mb * 1000000, (uint64_t)minrelay);
    if (!n->mempool)
        return err_setf(err, errlen, "out of memory");
    int64_t blockmaxsize;
    if (!config_get_int(cfg, "blockmaxsize", n->params.max_block_size, 1000,
                        n->params.max_block_size, &blockmaxsize, err, errlen))
        return false;
    staker_set_block_max_size((size_t)blockmaxsize);
    n->fees = fee_estimator_new(n->chain, n->mempool);
    if (!n->fees)
        return err_setf(err, errlen, "out of memory");

    if (config_get_bool(cfg, "disablewallet", false) && config_is_set(cfg, "validatorkey")) {
        return err_setf(err, errlen,
                        "-validatorkey needs a wallet (it cannot go with -disablewallet)");
    }
    if (!config_get_bool(cfg, "disablewallet", false) && !start_wallets(n, err, errlen))
        return false;
    evidence_watch(n);
    if (!zmq_notifier_start(cfg, n->chain, n->mempool, &n->zmq, err, errlen) ||
        !notify_start(cfg, n->chain, n->mempool, n->wallets, &n->notify, err, errlen))
        return false;

    evthread_use_pthreads();
    n->base = event_base_new();
    if (!n->base)
        return err_setf(err, errlen, "Cannot create the event loop");
    shutdown_event = event_new(n->base, -1, 0, on_shutdown_event, n->base);
    if (!shutdown_event)
        return err_setf(err, errlen, "Cannot create the event loop");
    const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        n->signals[i] = evsignal_new(n->base, sigs[i], on_signal, n);
        if (!n->signals[i] || event_add(n->signals[i], NULL) != 0)
            return err_setf(err, errlen, "Cannot install signal handlers");
    }
    signal(SIGPIPE, SIG_IGN);
    if (!progress_watch(n, err, errlen))
        return false;

    if (!start_provider(n, err, errlen) || !start_p2p(n, err, errlen) ||
        !start_rpc(n, err, errlen))
        return false;
    n->producer = producer_start(n, err, errlen);
    if (!n->producer && err[0])
        return false;
    log_printf("init message: Done loading");
    return true;
}

void node_run(struct node *n)
{
    event_base_dispatch(n->base);
}

void node_stop(struct node *n)
{
    log_printf("Shutdown: in progress...");
    producer_stop(n->producer);
    n->producer = NULL;
    if (n->rpc)
        rpc_server_stop(n->rpc);
    n->rpc = NULL;
    if (n->p2p)
        p2p_stop(n->p2p);
    n->p2p = NULL;
    pthread_mutex_lock(&n->lock);
    evidence_unwatch(n);
    progress_unwatch(n);
    notify_stop(n->notify);
    n->notify = NULL;
    zmq_notifier_stop(n->zmq);
    n->zmq = NULL;
    wallets_free(n->wallets);
    n->wallets = NULL;
    fee_estimator_free(n->fees);
    n->fees = NULL;
    mempool_free(n->mempool);
    n->mempool = NULL;
    chain_close(n->chain);
    n->chain = NULL;
    sigcheck_free(n->sigcheck);
    n->sigcheck = NULL;
    sigcache_free(n->sigcache);
    n->sigcache = NULL;
    provider_close(n->provider);
    n->provider = NULL;
    pthread_mutex_unlock(&n->lock);
    rpc_table_free(n->rpc_table);
    for (int i = 0; i < 3; i++)
        if (n->signals[i])
            event_free(n->signals[i]);
    if (shutdown_event)
        event_free(shutdown_event);
    shutdown_event = NULL;
    if (n->base) {
        /* A freed P2P bufferevent releases its memory from a deferred
         * callback: run those before the base goes, or they leak. */
        event_base_loop(n->base, EVLOOP_NONBLOCK);
        event_base_free(n->base);
    }
    params_free(&n->params);
    log_printf("Shutdown: done");
    log_close();
    free(n->datadir);
    if (lock_fd >= 0) {
        close(lock_fd);
        lock_fd = -1;
    }
    pthread_mutex_destroy(&n->lock);
}
