/* The node: what fmld starts, wires together and stops.
 *
 * The main thread runs the libevent loop (signals, block production timer,
 * later P2P); the RPC server runs its own threads.  Every thread that touches
 * the chain, the mempool or the wallets holds node->lock.
 */
#ifndef FML_NODE_NODE_H
#define FML_NODE_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "consensus/params.h"
#include "node/wallet_chain.h"
#include "rpc/rpc.h"

/* Exit status of a crash simulated by -dbcrashratio (regtest). */
#define NODE_SIMULATED_CRASH_STATUS 86

struct config;
struct event_base;
struct event;
struct chain;
struct mempool;
struct sigcache;
struct sigcheck;
struct wallets;
struct rpc_table;
struct rpc_server;
struct producer;
struct p2p;
struct provider;
struct fee_estimator;
struct zmq_notifier;
struct notify;

struct node {
    struct config *cfg;
    struct chain_params params;
    char *datadir;  /* the network's data directory */
    struct chain *chain;
    struct mempool *mempool;
    struct fee_estimator *fees; /* estimatesmartfee's record of recent blocks */
    struct sigcache *sigcache; /* -sigcachesize */
    struct sigcheck *sigcheck; /* -par: the chain's block checks */
    struct wallets *wallets;
    struct node_wallet_chain wallet_chain; /* what the wallets see of chain and mempool */
    struct rpc_table *rpc_table;
    struct rpc_server *rpc;
    struct rpc_env env;
    struct producer *producer;
    struct p2p *p2p;
    struct provider *provider; /* -provider=1, else NULL */
    struct zmq_notifier *zmq;  /* -zmqpub*, else NULL */
    struct notify *notify;     /* -blocknotify, -walletnotify, else NULL */
    pthread_mutex_t lock;
    struct event_base *base;
    struct event *signals[3];
    uint64_t start_time;
};

/* Everything from the parsed configuration to a serving node.  On failure
 * err says why (and what was started is stopped again by node_stop). */
bool node_start(struct node *n, struct config *cfg, char *err, size_t errlen);
/* Runs the event loop until a shutdown is requested. */
void node_run(struct node *n);
/* Asks the loop to end (signal handlers, the stop RPC); thread-safe. */
void node_request_shutdown(void);
void node_stop(struct node *n);

#endif
