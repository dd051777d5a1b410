/* Prometheus metrics at GET /metrics on the RPC port (-metrics=1).
 *
 * The text exposition format (version 0.0.4): a # HELP and a # TYPE line
 * per metric, then its samples.  Gauges read at each scrape under the node
 * lock (height, best header, peers, mempool, FL tasks); counters and
 * histograms kept here, updated from any thread: JSON-RPC calls per method
 * with their run time (rpc_execute reports each call through the observer
 * of rpc_set_call_observer), and the time each block took to connect
 * (reported by node/).  No authentication, as REST; the -rpcallowip and
 * -rpcbind rules apply.  doc/operator.md lists the metrics.
 */
#ifndef FML_RPC_METRICS_H
#define FML_RPC_METRICS_H

#include <stddef.h>

#include "rpc/rpc.h"

#define METRICS_PATH "/metrics"
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Counts one JSON-RPC call of method (NULL: a method not in the table, as
 * "unknown") that ran for seconds.  Thread-safe. */
void metrics_observe_rpc(const char *method, double seconds);
/* Counts one block connected to the active chain in seconds.  Thread-safe. */
void metrics_observe_block_connect(double seconds);

/* The whole exposition for a scrape: the gauges read under env->lock, then
 * the counters and histograms.  NULL on allocation failure; the caller
 * frees it. */
char *metrics_render(struct rpc_env *env, size_t *len);

#endif
