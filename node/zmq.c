/* ZMQ notifications (see zmq.h and doc/zmq.md). */
#include "node/zmq.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

enum zmq_topic { TOPIC_HASHBLOCK, TOPIC_HASHTX, TOPIC_RAWBLOCK, TOPIC_RAWTX, TOPIC_COUNT };

/* In bitcoind's order (getzmqnotifications lists them so). */
static const char *const topic_names[TOPIC_COUNT] = {"hashblock", "hashtx", "rawblock", "rawtx"};

/* One socket per distinct address: the topics bound to one address share
 * it (its high-water mark is the first one's), as in bitcoind. */
struct zsock {
    char *address;
    void *sock;
};

/* One -zmqpub<topic>=<address>. */
struct notifier {
    enum zmq_topic topic;
    const char *address; /* the zsock's */
    int hwm;
    void *sock;
    uint32_t seq; /* of the next message */
};

struct zmq_notifier {
    void *ctx;
    struct chain *chain;
    struct mempool *mempool;
    struct zsock *socks;
    size_t nsocks;
    struct notifier *v;
    size_t n;
    bool listening;
    uint64_t dropped;
};

/* The notifier getzmqnotifications reads (one node per process); set and
 * cleared with the node lock held, read by the locked handler. */
static struct zmq_notifier *active;

static void *socket_for(struct zmq_notifier *z, const char *address, int hwm, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < z->nsocks; i++)
        if (strcmp(z->socks[i].address, address) == 0)
            return z->socks[i].sock;
    struct zsock *s = realloc(z->socks, (z->nsocks + 1) * sizeof(*s));
    if (!s) {
        err_setf(err, errlen, "out of memory");
        return NULL;
    }
    z->socks = s;
    void *sock = zmq_socket(z->ctx, ZMQ_PUB);
    if (!sock) {
        err_setf(err, errlen, "Cannot create a ZMQ socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int zero = 0, one = 1;
    bool ipv6 = address[0] && strchr(address, '[') != NULL;
    if (zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
        zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE, &one, sizeof(one)) != 0 ||
        (ipv6 && zmq_setsockopt(sock, ZMQ_IPV6, &one, sizeof(one)) != 0)) {
        err_setf(err, errlen, "Cannot set up the ZMQ socket for %s: %s", address,
                 zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    if (zmq_bind(sock, address) != 0) {
        err_setf(err, errlen, "Cannot bind ZMQ notifications to %s: %s", address,
                 zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    char *copy = strdup(address);
    if (!copy) {
        zmq_close(sock);
        err_setf(err, errlen, "out of memory");
        return NULL;
    }
    z->socks[z->nsocks++] = (struct zsock){copy, sock};
    return sock;
}

/* Three frames: topic, body, sequence (4 bytes, little-endian).  Never
 * waits: a message the socket cannot queue is dropped and counted.  The
 * sequence advances either way, so a subscriber sees a gap for every
 * message it missed. */
static void publish(struct zmq_notifier *z, struct notifier *n, const void *body, size_t len)
{
    const char *topic = topic_names[n->topic];
    uint8_t seq[4] = {(uint8_t)n->seq, (uint8_t)(n->seq >> 8), (uint8_t)(n->seq >> 16),
                      (uint8_t)(n->seq >> 24)};
    n->seq++;
    if (zmq_send(n->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        zmq_send(n->sock, body, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        zmq_send(n->sock, seq, sizeof(seq), ZMQ_DONTWAIT) >= 0)
        return;
    z->dropped++;
    if (z->dropped == 1 || z->dropped % 1000 == 0)
        log_printf("ZMQ: dropped a %s message to %s (%s; %llu dropped so far)", topic, n->address,
                   zmq_strerror(errno), (unsigned long long)z->dropped);
}

static bool has_topic(const struct zmq_notifier *z, enum zmq_topic t)
{
    for (size_t i = 0; i < z->n; i++)
        if (z->v[i].topic == t)
            return true;
    return false;
}

static void publish_topic(struct zmq_notifier *z, enum zmq_topic t, const void *body, size_t len)
{
    for (size_t i = 0; i < z->n; i++)
        if (z->v[i].topic == t)
            publish(z, &z->v[i], body, len);
}

/* hashtx and rawtx of one transaction. */
static void publish_tx(struct zmq_notifier *z, const struct tx *tx, const uint8_t txid[HASH_SIZE])
{
    publish_topic(z, TOPIC_HASHTX, txid, HASH_SIZE);
    if (!has_topic(z, TOPIC_RAWTX))
        return;
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(tx, &w);
    if (w.failed)
        z->dropped++;
    else
        publish_topic(z, TOPIC_RAWTX, w.data, w.len);
    wbuf_free(&w);
}

static void on_tx_added(void *arg, const struct mempool_entry *e)
{
    publish_tx(arg, &e->tx, e->txid);
}

/* The block's transactions first, then the block, as bitcoind's order
 * (BlockConnected's transactions before the tip update's block). */
static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct zmq_notifier *z = arg;
    for (size_t i = 0; i < b->ntx; i++) {
        uint8_t txid[HASH_SIZE];
        if (b->txids)
            memcpy(txid, b->txids[i], HASH_SIZE);
        else
            tx_txid(&b->txs[i], txid);
        publish_tx(z, &b->txs[i], txid);
    }
    publish_topic(z, TOPIC_HASHBLOCK, bi->hash, HASH_SIZE);
    if (!has_topic(z, TOPIC_RAWBLOCK))
        return;
    struct wbuf w;
    wbuf_init(&w);
    block_encode(b, &w);
    if (w.failed)
        z->dropped++;
    else
        publish_topic(z, TOPIC_RAWBLOCK, w.data, w.len);
    wbuf_free(&w);
}

static void notifier_free(struct zmq_notifier *z)
{
    for (size_t i = 0; i < z->nsocks; i++) {
        zmq_close(z->socks[i].sock);
        free(z->socks[i].address);
    }
    free(z->socks);
    free(z->v);
    if (z->ctx)
        zmq_ctx_term(z->ctx);
    free(z);
}

bool zmq_notifier_start(const struct config *cfg, struct chain *chain, struct mempool *mp,
                        struct zmq_notifier **out, char *err, size_t errlen)
{
    *out = NULL;
    struct zmq_notifier *z = calloc(1, sizeof(*z));
    if (!z)
        return err_setf(err, errlen, "out of memory");
    z->chain = chain;
    z->mempool = mp;
    for (int t = 0; t < TOPIC_COUNT; t++) {
        char key[64], hwmkey[64];
        snprintf(key, sizeof(key), "zmqpub%s", topic_names[t]);
        snprintf(hwmkey, sizeof(hwmkey), "zmqpub%shwm", topic_names[t]);
        int64_t hwm;
        if (!config_get_int(cfg, hwmkey, ZMQ_DEFAULT_HWM, 0, INT32_MAX, &hwm, err, errlen)) {
            notifier_free(z);
            return false;
        }
        size_t naddr = 0;
        const char **addrs = config_get_multi(cfg, key, &naddr);
        if (!addrs) {
            notifier_free(z);
            return err_setf(err, errlen, "out of memory");
        }
        for (size_t i = 0; i < naddr; i++) {
            const char *a = addrs[i];
            if (!*a) {
                free(addrs);
                notifier_free(z);
                return err_setf(err, errlen, "-%s needs an address (e.g. tcp://127.0.0.1:28332)",
                                key);
            }
            if (!z->ctx && !(z->ctx = zmq_ctx_new())) {
                free(addrs);
                notifier_free(z);
                return err_setf(err, errlen, "Cannot create the ZMQ context: %s",
                                zmq_strerror(errno));
            }
            struct notifier *v = realloc(z->v, (z->n + 1) * sizeof(*v));
            void *sock = v ? socket_for(z, a, (int)hwm, err, errlen) : NULL;
            if (v)
                z->v = v;
            if (!sock) {
                if (!v)
                    err_setf(err, errlen, "out of memory");
                free(addrs);
                notifier_free(z);
                return false;
            }
            const char *shared = NULL;
            for (size_t s = 0; s < z->nsocks; s++)
                if (z->socks[s].sock == sock)
                    shared = z->socks[s].address;
            z->v[z->n++] = (struct notifier){(enum zmq_topic)t, shared, (int)hwm, sock, 0};
            log_printf("ZMQ: publishing %s to %s (high-water mark %lld)", topic_names[t], a,
                       (long long)hwm);
        }
        free(addrs);
    }
    if (z->n == 0) {
        notifier_free(z);
        return true;
    }
    struct chain_listener l = {.connected = on_connected, .arg = z};
    chain_add_listener(chain, &l);
    if (has_topic(z, TOPIC_HASHTX) || has_topic(z, TOPIC_RAWTX))
        mempool_add_listener(mp, on_tx_added, z);
    z->listening = true;
    active = z;
    *out = z;
    return true;
}

void zmq_notifier_stop(struct zmq_notifier *z)
{
    if (!z)
        return;
    if (z->listening) {
        chain_remove_listener(z->chain, z);
        mempool_remove_listener(z->mempool, z);
    }
    if (active == z)
        active = NULL;
    notifier_free(z);
}

/* ---- RPC ---- */

static json_t *getzmqnotifications(struct rpc_call *call)
{
    (void)call;
    json_t *a = json_array();
    for (size_t i = 0; active && i < active->n; i++) {
        const struct notifier *n = &active->v[i];
        char type[32];
        snprintf(type, sizeof(type), "pub%s", topic_names[n->topic]);
        json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "type", type, "address", n->address,
                                           "hwm", n->hwm));
    }
    return a;
}

const struct rpc_method zmq_rpc_methods[] = {
    {
        .category = "Zmq",
        .name = "getzmqnotifications",
        .handler = getzmqnotifications,
        .summary = "Returns information about the active ZeroMQ notifications (set with the "
                   "-zmqpubhashblock, -zmqpubhashtx, -zmqpubrawblock and -zmqpubrawtx "
                   "options; doc/zmq.md).",
        .result = "[                         (json array of objects)\n"
                  "  {                       (json object)\n"
                  "    \"type\" : \"str\",       (string) Type of notification: pubhashblock, "
                  "pubhashtx, pubrawblock or pubrawtx\n"
                  "    \"address\" : \"str\",    (string) Address of the publisher, as given "
                  "to the option\n"
                  "    \"hwm\" : n             (numeric) Outbound message high water mark "
                  "(-zmqpub<type>hwm, default 1000)\n"
                  "  },\n"
                  "  ...\n"
                  "]",
        .examples = "> fml-cli getzmqnotifications\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"getzmqnotifications\", \"params\": []}' -H "
                    "'content-type: application/json' http://127.0.0.1:8732/",
    },
};
const size_t zmq_rpc_methods_count = sizeof(zmq_rpc_methods) / sizeof(zmq_rpc_methods[0]);
