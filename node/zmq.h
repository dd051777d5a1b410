/* ZMQ notifications (-zmqpubhashblock, -zmqpubhashtx, -zmqpubrawblock,
 * -zmqpubrawtx), published as bitcoind does: each message is three frames,
 * the topic ("hashblock", "hashtx", "rawblock", "rawtx"), the body (a 32-byte
 * hash in the byte order RPC prints it, or the serialized block or
 * transaction) and a 4-byte little-endian sequence number counted per
 * notifier (topic and address) from 0.  doc/zmq.md.
 *
 * The notifier listens to the chain (every block connected to the active
 * chain, reorganizations included) and to the mempool (every transaction
 * accepted).  It publishes from the thread holding the node lock and never
 * blocks it: PUB sockets with a send high-water mark, every send
 * non-blocking; a message that cannot be queued is dropped and counted. */
#ifndef FML_NODE_ZMQ_H
#define FML_NODE_ZMQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/rpc.h"

struct config;
struct chain;
struct mempool;
struct zmq_notifier;

/* Default of -zmqpub<type>hwm, as bitcoind's. */
#define ZMQ_DEFAULT_HWM 1000

/* Reads the -zmqpub* options, binds every address and starts listening.
 * *out is NULL when no notifier is configured.  False with err set when an
 * option is malformed or an address cannot be bound. */
bool zmq_notifier_start(const struct config *cfg, struct chain *chain, struct mempool *mp,
                        struct zmq_notifier **out, char *err, size_t errlen) WARN_UNUSED;
/* Stops listening and closes the sockets (call with the node lock held,
 * before the chain and mempool go).  NULL is fine. */
void zmq_notifier_stop(struct zmq_notifier *z);

/* getzmqnotifications: reads the notifier zmq_notifier_start set up last. */
extern const struct rpc_method zmq_rpc_methods[];
extern const size_t zmq_rpc_methods_count;

#endif
