/* fmld: the full node daemon. */
#include "config.h"

#include "node/node.h"
#include "p2p/p2p.h"
#include "util/config.h"
#include "util/fs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const known_options[] = {
    "?", "h", "help", "version", "regtest", "testnet", "chain", "datadir", "conf", "genesis",
    "daemon", "printtoconsole", "debug", "debugexclude", "logtimemicros",
    "rpcport", "rpcbind", "rpcallowip", "rpcallowhost", "rpcuser", "rpcpassword", "rpccookiefile",
    "rpcthreads", "rpcworkernice", "rpcworkqueue", "rpcservertimeout", "rpcmaxconnections",
    "rpcmaxbody", "rest", "metrics",
    "explorer",
    "regtestvalidator", "produceblocks", "vote", "validatorkey", "blockmaxsize",
    "maxmempool", "minrelaytxfee", "reindex", "reindex-chainstate", "par", "sigcachesize",
    "checkblocks", "dbcrashratio", "dbcrashseed", "connectdelay",
    "addressindex", "progressinterval", "dbcache",
    "wallet", "disablewallet", "walletfeerate", "provider", "provideraddress",
    "zmqpubhashblock", "zmqpubhashtx", "zmqpubrawblock", "zmqpubrawtx",
    "zmqpubhashblockhwm", "zmqpubhashtxhwm", "zmqpubrawblockhwm", "zmqpubrawtxhwm",
    "blocknotify", "walletnotify",
    NULL,
};

/* The node's own options and the P2P layer's. */
static const char **all_options(void)
{
    static const char *all[sizeof(known_options) / sizeof(known_options[0]) + 32];
    size_t n = 0;
    for (size_t i = 0; known_options[i]; i++)
        all[n++] = known_options[i];
    for (size_t i = 0; p2p_option_names[i] && n + 1 < sizeof(all) / sizeof(all[0]); i++)
        all[n++] = p2p_option_names[i];
    all[n] = NULL;
    return all;
}

static void usage(void)
{
    printf("fmld " PACKAGE_VERSION ": full node of the FML proof-of-stake chain\n\n"
           "Usage: fmld [options]\n\n"
           "Options (also accepted as key=value lines in fml.conf, with [main], [test],\n"
           "[regtest] sections for one network):\n"
           "  -datadir=<dir>          Data directory (default: ~/.fml)\n"
           "  -conf=<file>            Config file (default: <datadir>/fml.conf)\n"
           "  -regtest / -testnet     Use the regression-test / test network\n"
           "  -chain=<name>           main, test or regtest\n"
           "  -genesis=<file>         Start a custom network from a genesis file (JSON)\n"
           "  -daemon                 Run in the background\n"
           "  -printtoconsole         Also write the log to standard output\n"
           "  -debug=<cat>            Debug logging: net, rpc, mempool, validation, wallet,\n"
           "                          producer, db, fl, http, 1 or all (repeatable; the\n"
           "                          logging RPC changes them while running)\n"
           "  -debugexclude=<cat>     Exclude a category from debug logging (repeatable;\n"
           "                          applied after -debug)\n"
           "  -logtimemicros          Add microsecond precision to debug.log timestamps\n"
           "  -reindex                Rebuild the block index and state from the block files\n"
           "                          (the way back from a damaged block index, chainstate or\n"
           "                          block file: the node names the damage and suggests it);\n"
           "                          every block reconnected is checked again in full,\n"
           "                          signatures included\n"
           "  -reindex-chainstate     Rebuild the state from the stored blocks, keeping the\n"
           "                          block index (checked as with -reindex)\n"
           "  -checkblocks=<n>        At start, re-read and check the last n stored blocks of\n"
           "                          the active chain (default 6, 0 = all)\n"
           "  -dbcache=<MiB>          LevelDB block cache of all databases together (4 to\n"
           "                          16384, default 256): the chainstate takes all but a\n"
           "                          1/16 share of the block index (at most 16 MiB) and a\n"
           "                          1/64 one of the provider ledger (at most 4 MiB)\n"
           "  -addressindex           Keep an index of every transaction and state change\n"
           "                          that touched an address, for getaddresshistory and\n"
           "                          /rest/address/ (default 0).  Turned on for a chain\n"
           "                          synced without it, the node rebuilds its state from the\n"
           "                          block files (as -reindex) at start; turned off, the\n"
           "                          index is marked stale and rebuilt when turned on again\n"
           "  -par=<n>                Signature verification threads (0 = one per core,\n"
           "                          <0 = leave that many cores free, 1 = no extra thread;\n"
           "                          at most 16; default 0)\n"
           "  -sigcachesize=<MiB>     Signature cache size (default 32, 0 = none)\n"
           "\nRPC server:\n"
           "  -rpcport=<port>         Listen for JSON-RPC on <port> (main 8732, test 18732,\n"
           "                          regtest 28732)\n"
           "  -rpcbind=<addr>         Bind to this address (needs -rpcallowip; default 127.0.0.1)\n"
           "  -rpcallowip=<ip/net>    Allow JSON-RPC from this address or subnet (127.0.0.1\n"
           "                          and ::1 are always allowed)\n"
           "  -rpcallowhost=<name>    Accept this name in the Host header of REST, /metrics\n"
           "                          and explorer requests (IP literals and localhost always;\n"
           "                          other names get 403, against DNS rebinding; repeatable)\n"
           "  -rpcuser=<user>         Username (with -rpcpassword; otherwise a .cookie file)\n"
           "  -rpcpassword=<pw>       Password for JSON-RPC connections\n"
           "  -rpcthreads=<n>         Worker threads (default 4)\n"
           "  -rpcworkernice=<n>      Run the worker threads n nice levels below the rest\n"
           "                          of the node, so that fast calls and the HTTP thread\n"
           "                          go first on busy cores (0-19, 0: off; default 19)\n"
           "  -rpcworkqueue=<n>       Queued requests before 503 (default 64)\n"
           "  -rpcservertimeout=<s>   Idle connection timeout (default 30)\n"
           "  -rpcmaxconnections=<n>  Open HTTP connections at most (RPC, REST, explorer,\n"
           "                          /metrics); at the cap a new one closes the one idle\n"
           "                          longest (default 128)\n"
           "  -rest=<0|1>             Answer read-only REST GETs under /rest/ on the RPC\n"
           "                          port, without credentials (default 0; doc/rest.md)\n"
           "  -metrics=<0|1>          Answer GET /metrics on the RPC port with Prometheus\n"
           "                          text, without credentials (default 0; doc/operator.md)\n"
           "  -explorer=<0|1>         Serve the built-in block explorer at /explorer/ on the\n"
           "                          RPC port, without credentials; turns -rest on, which\n"
           "                          its pages read (default 0; doc/rest.md)\n"
           "\nNetwork:\n"
           "  -port=<port>            Listen for peers on <port> (main 8733, test 18733,\n"
           "                          regtest 28733)\n"
           "  -bind=<addr>            Bind to this address (repeatable; default all)\n"
           "  -listen=<0|1>           Accept inbound connections (default 1, 0 with -connect)\n"
           "  -connect=<ip:port>      Connect only to these peers (repeatable)\n"
           "  -addnode=<ip:port>      Keep a connection to this peer (repeatable)\n"
           "  -maxconnections=<n>     Peer connections at most (default 125)\n"
           "  -bantime=<s>            Seconds a misbehaving peer stays banned (default 86400)\n"
           "  -maxsendbuffer=<kB>     Queued output per peer before reading from it pauses\n"
           "                          (default 1000)\n"
           "  -maxreceivebuffer=<kB>  Buffered input per peer (default 5000)\n"
           "  -dialnonlocal=<0|1>     Regtest: also keep and dial addresses outside loopback\n"
           "                          that peers announce (default 0: only 127.0.0.0/8 and\n"
           "                          ::1; -connect/-addnode/addnode peers are always dialed)\n"
           "  -v2transport=<0|1>      Encrypted transport (default 1: v2 only, plaintext v1\n"
           "                          peers refused; 0: plaintext v1 in and out)\n"
           "  -peerkey=<key>@<ip:port> Connections to ip:port must prove this node key (the\n"
           "                          peer's getnetworkinfo \"nodekey\"); repeatable\n"
           "\nValidator:\n"
           "  -regtestvalidator=<n>   Regtest: hold well-known validator key n (0..3, default 0)\n"
           "                          or none\n"
           "  -validatorkey=<file>    Propose with the validator key of this file, made by\n"
           "                          fml-cli genvalidatorkey (mode 0600; repeatable; the key\n"
           "                          goes into the first wallet)\n"
           "  -produceblocks=<0|1>    Propose blocks in real time in the slots our keys lead\n"
           "                          (default 1 on main/test, 0 on regtest)\n"
           "  -vote=<0|1>             Sign a finality vote per epoch with our validator keys\n"
           "                          (default: -produceblocks)\n"
           "  -blockmaxsize=<bytes>   Bytes of block the blocks we build may take, 1000 up to\n"
           "                          the chain's max_block_size (default: that limit)\n"
           "\nMempool and wallet:\n"
           "  -maxmempool=<MB>        Mempool size limit (default 300)\n"
           "  -minrelaytxfee=<units>  Minimum fee rate in base units per 1000 bytes (default 1000)\n"
           "  -wallet=<name>          Load (creating on first use) this wallet (repeatable)\n"
           "  -walletfeerate=<units>  Fee rate of the wallets' transactions in base units per\n"
           "                          1000 bytes (default 10000; settxfee sets one wallet's)\n"
           "  -disablewallet          Run without wallets\n"
           "\nNotifications:\n"
           "  -zmqpubhashblock=<address>  Publish the hash of every block connected to the\n"
           "                          active chain to <address> (e.g. tcp://127.0.0.1:28332;\n"
           "                          repeatable; doc/zmq.md)\n"
           "  -zmqpubhashtx=<address> Publish the txid of every transaction accepted to the\n"
           "                          mempool or connected in a block\n"
           "  -zmqpubrawblock=<address>  Publish every connected block, serialized\n"
           "  -zmqpubrawtx=<address>  Publish every transaction of -zmqpubhashtx, serialized\n"
           "  -zmqpub<type>hwm=<n>    Outbound message high-water mark of that publisher\n"
           "                          (default 1000); beyond it messages are dropped\n"
           "  -blocknotify=<cmd>      Run cmd when the best block changes (%%s in cmd is\n"
           "                          replaced by the block hash)\n"
           "  -walletnotify=<cmd>     Run cmd when a wallet transaction enters the mempool or\n"
           "                          a block (%%s: txid, %%w: wallet name, %%b: block hash or\n"
           "                          unconfirmed, %%h: height or -1)\n"
           "\nAI Market compute provider:\n"
           "  -provider=<0|1>         Serve the predict RPC as a compute provider (default 0);\n"
           "                          calls served are kept in <datadir>/provider/\n"
           "  -provideraddress=<addr> A registered provider address served here (repeatable;\n"
           "                          default: every key of the loaded wallets that is a\n"
           "                          registered provider)\n"
           "\nTesting (regtest only):\n"
           "  -dbcrashratio=<n>       Exit abruptly (no cleanup, status 86) at 1 in n of the\n"
           "                          crash marks inside the node's writes: block file appends,\n"
           "                          LevelDB batches, wallet appends and file replacements\n"
           "                          (default 0: never)\n"
           "  -dbcrashseed=<n>        Seed of the crash draws (default: from the clock)\n"
           "  -connectdelay=<ms>      Sleep this long in each block connection, after its state\n"
           "                          is written and before the new tip is published, holding\n"
           "                          the node lock (default 0)\n"
           "  -progressinterval=<ms>  Milliseconds between sync progress lines in debug.log\n"
           "                          (default 5000)\n"
           "  -pinginterval=<s>       Seconds between pings to a peer (default 120)\n"
           "  -peertimeout=<s>        Drop a peer silent for this long (default 1200)\n");
}

/* Forks into the background; the parent exits when the child has started
 * (status 0) or failed (status 1), as bitcoind does. */
static int daemonize(int *notify_fd)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        char c = 0;
        close(fds[1]);
        ssize_t r = read(fds[0], &c, 1);
        exit(r == 1 && c == '1' ? EXIT_SUCCESS : EXIT_FAILURE);
    }
    close(fds[0]);
    if (setsid() < 0)
        return -1;
    if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
        !freopen("/dev/null", "w", stderr))
        return -1;
    *notify_fd = fds[1];
    return 0;
}

int main(int argc, char **argv)
{
    char err[512] = "", chain[64];
    struct config *cfg;
    struct node node;
    int first, notify_fd = -1;

    if (sodium_init() < 0) {
        fprintf(stderr, "Error: libsodium failed to initialize\n");
        return EXIT_FAILURE;
    }
    cfg = config_new();
    const char **known = all_options();
    if (!cfg || !known || !config_parse_args(cfg, argc, argv, &first, err, sizeof(err)) ||
        !config_check_args(cfg, known, err, sizeof(err))) {
        fprintf(stderr, "Error: %s\n", err[0] ? err : "out of memory");
        config_free(cfg);
        return EXIT_FAILURE;
    }
    if (first < argc) {
        fprintf(stderr, "Error: Command line contains unexpected token '%s', see fmld -h for a "
                        "list of options.\n", argv[first]);
        config_free(cfg);
        return EXIT_FAILURE;
    }
    if (config_is_set(cfg, "help") || config_is_set(cfg, "h") || config_is_set(cfg, "?")) {
        usage();
        config_free(cfg);
        return EXIT_SUCCESS;
    }
    if (config_is_set(cfg, "version")) {
        printf("fmld version " PACKAGE_VERSION "\n");
        config_free(cfg);
        return EXIT_SUCCESS;
    }

    /* The config file lives in the base data directory; its network
     * section is chosen once -regtest/-testnet/-chain are known. */
    const char *datadir = config_get(cfg, "datadir", NULL);
    char *base = datadir ? strdup(datadir) : fs_default_datadir();
    char *conf = base ? config_conf_path(cfg, base) : NULL;
    bool ok = conf && config_read_file(cfg, conf, NULL, err, sizeof(err)) &&
              config_get_chain(cfg, chain, sizeof(chain), err, sizeof(err)) &&
              config_set_section(cfg, chain) && config_check_args(cfg, known, err, sizeof(err));
    free(conf);
    free(base);
    if (!ok) {
        fprintf(stderr, "Error: %s\n", err[0] ? err : "cannot read the configuration");
        config_free(cfg);
        return EXIT_FAILURE;
    }

    if (config_get_bool(cfg, "daemon", false) && daemonize(&notify_fd) != 0) {
        fprintf(stderr, "Error: cannot run in the background\n");
        config_free(cfg);
        return EXIT_FAILURE;
    }
    umask(077);
    if (!node_start(&node, cfg, err, sizeof(err))) {
        fprintf(stderr, "Error: %s\n", err);
        node_stop(&node);
        config_free(cfg);
        if (notify_fd >= 0 && write(notify_fd, "0", 1) < 0)
            return EXIT_FAILURE;
        return EXIT_FAILURE;
    }
    if (notify_fd >= 0) {
        if (write(notify_fd, "1", 1) != 1)
            fprintf(stderr, "Warning: cannot notify the parent process\n");
        close(notify_fd);
    }
    node_run(&node);
    node_stop(&node);
    config_free(cfg);
    return EXIT_SUCCESS;
}
