/* Fuzz target: a peer's messages as the node processes them (p2p/peer.c
 * reading and framing, process.c, sync.c, download.c, relay.c), on a
 * regtest chain of a few blocks with a transaction in the mempool.
 *
 * Each input is one inbound connection, a libevent bufferevent pair whose
 * far end the target writes to; the node's answers are read and dropped.
 * Input: mode u8 | bytes.  Mode bit 0 set: the bytes go to the node as they
 * are (framing, magic, checksums, truncation).  Clear: they are messages,
 * each command u8 | len u16 | payload [len], which the target frames with
 * the network's magic and a valid checksum (command modulo 14: the 13 known
 * ones and an unknown one); unless mode bit 1 is set, a valid version and
 * verack come first, so that inputs reach the messages after the handshake.
 * Mode bit 2 set: the connection speaks the v2 transport (p2p/v2.c): raw
 * bytes go to the node's detection and key reading as they are; messages
 * follow a key exchange and an empty hello, each encrypted in its own packet
 * (a known command by short id, the unknown one in long form).  Clear: the
 * node runs with -v2transport=0 and the plaintext framing above.
 * At the end the connection is closed, bans and new mempool entries are
 * cleared.  Properties: whatever a peer sends, the chain's tip and the
 * mempool's original entry stay (nothing it sends carries a validator's or
 * an account's signature), a valid handshake completes, and the node's send
 * queue to it stays bounded. */
#include "tests/chain_fixture.h"
#include "tests/fuzz/fuzz.h"

#include "consensus/amount.h"
#include "p2p/internal.h"
#include "util/time.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>

#define MAX_MESSAGES 64

static struct chain *chain;
static struct mempool *mempool;
static struct event_base *base;
static struct p2p *p2p;
static char datadir[256];
static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t tip_hash[HASH_SIZE], kept_txid[HASH_SIZE];
static bool use_v2;                /* this input's connection speaks v2 */
static struct v2_cipher v2c;       /* its keys once exchanged */

static void teardown(void)
{
    p2p_stop(p2p);
    event_base_free(base);
    mempool_free(mempool);
    chain_close(chain);
    params_free(&params);
    FUZZ_CHECK(fixture_remove_dir(datadir));
}

static void setup(void)
{
    struct p2p_options o;
    char err[256] = "";
    FUZZ_CHECK(regtest_keys_init());
    FUZZ_CHECK(evthread_use_pthreads() == 0);
    FUZZ_CHECK(fixture_tmpdir(datadir, sizeof(datadir), "fuzz-p2p"));
    chain = fixture_chain_open(datadir, err, sizeof(err));
    if (!chain)
        fprintf(stderr, "chain_open: %s\n", err);
    FUZZ_CHECK(chain != NULL);
    mempool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    FUZZ_CHECK(mempool != NULL);
    FUZZ_CHECK(fixture_transfer(mempool, 0, 1, 5 * COIN, 100000, NULL));
    for (int i = 0; i < 4; i++)
        FUZZ_CHECK(fixture_produce(chain, mempool));
    FUZZ_CHECK(fixture_transfer(mempool, 1, 2, COIN, 100000, kept_txid));
    memcpy(tip_hash, chain_tip(chain)->hash, HASH_SIZE);

    base = event_base_new();
    FUZZ_CHECK(base != NULL);
    p2p_options_init(&o);
    o.listen = false;
    o.connect_only = true; /* no connections of its own */
    o.datadir = datadir;
    struct p2p_env env = {&params, chain, mempool, &node_lock};
    p2p = p2p_start(base, &o, &env, err, sizeof(err));
    if (!p2p)
        fprintf(stderr, "p2p_start: %s\n", err);
    FUZZ_CHECK(p2p != NULL);
    atexit(teardown);
}

/* Runs the loop until nothing is ready, dropping what the node sent. */
static void settle(struct bufferevent *far)
{
    for (int i = 0; i < 16; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        struct evbuffer *in = bufferevent_get_input(far);
        size_t n = evbuffer_get_length(in);
        if (n == 0 && i > 0)
            break;
        evbuffer_drain(in, n);
    }
}

static void send_message(struct bufferevent *far, const char *command, const uint8_t *payload,
                         size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    if (use_v2) {
        struct wbuf c;
        enum p2p_msg_type t;
        wbuf_init(&c);
        if (p2p_msg_from_command(command, &t)) {
            v2_encode_message(&c, t, payload, len);
        } else {
            uint8_t cmd[V2_COMMAND_SIZE] = {0};
            memcpy(cmd, command, strnlen(command, V2_COMMAND_SIZE));
            put_u8(&c, 0);
            put_bytes(&c, cmd, sizeof(cmd));
            put_bytes(&c, payload, len);
        }
        FUZZ_CHECK(!c.failed);
        v2_encrypt_packet(&v2c, &w, c.data, c.len, false);
        wbuf_free(&c);
    } else {
        p2p_frame_encode(&w, params.magic, command, payload, len);
    }
    FUZZ_CHECK(bufferevent_write(far, w.data, w.len) == 0);
    wbuf_free(&w);
    settle(far);
}

/* Our key, the node's key, our empty hello. */
static void v2_start(struct bufferevent *far)
{
    uint8_t pub[V2_PUBKEY_SIZE], priv[V2_KEY_SIZE], their[V2_PUBKEY_SIZE], hello = 0;
    struct evbuffer *in = bufferevent_get_input(far);
    v2_keypair(pub, priv, params.magic);
    FUZZ_CHECK(bufferevent_write(far, pub, sizeof(pub)) == 0);
    for (int i = 0; i < 16 && evbuffer_get_length(in) < V2_PUBKEY_SIZE; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    FUZZ_CHECK(evbuffer_remove(in, their, sizeof(their)) == (int)sizeof(their));
    FUZZ_CHECK(v2_cipher_init(&v2c, priv, pub, their, true, params.magic));
    struct wbuf w;
    wbuf_init(&w);
    v2_encrypt_packet(&v2c, &w, &hello, 1, false);
    FUZZ_CHECK(!w.failed && bufferevent_write(far, w.data, w.len) == 0);
    wbuf_free(&w);
    settle(far);
}

static void send_handshake(struct bufferevent *far)
{
    struct p2p_msg_version m;
    struct wbuf w;
    memset(&m, 0, sizeof(m));
    m.version = P2P_PROTOCOL_VERSION;
    m.services = P2P_SERVICE_NETWORK;
    m.timestamp = time_now();
    m.nonce = 1;
    strcpy(m.user_agent, "/fuzz/");
    m.best_height = chain_height(chain);
    memcpy(m.genesis, params.genesis_hash, HASH_SIZE);
    wbuf_init(&w);
    p2p_msg_encode_version(&w, &m);
    send_message(far, "version", w.data, w.len);
    send_message(far, "verack", NULL, 0);
    wbuf_free(&w);
}

static void send_messages(struct bufferevent *far, const uint8_t *data, size_t size)
{
    struct rbuf r;
    rbuf_init(&r, data, size);
    for (int n = 0; n < MAX_MESSAGES && r.left > 0; n++) {
        uint8_t cmd;
        uint16_t len;
        const uint8_t *payload;
        if (!get_u8(&r, &cmd) || !get_u16(&r, &len))
            break;
        if (len > r.left)
            len = (uint16_t)r.left;
        if (!get_view(&r, &payload, len))
            break;
        cmd %= P2P_MSG_COUNT + 1;
        send_message(far, cmd < P2P_MSG_COUNT ? p2p_msg_command(cmd) : "fuzzcmd", payload, len);
    }
}

/* Puts the node back as setup left it: no bans, no mempool entry but the
 * original one. */
static void reset(void)
{
    size_t n;
    pthread_mutex_lock(&node_lock);
    p2p_clear_banned(p2p);
    const struct mempool_entry **all = mempool_entries(mempool, &n);
    FUZZ_CHECK(all != NULL || n == 0);
    uint8_t (*extra)[HASH_SIZE] = calloc(n ? n : 1, HASH_SIZE);
    size_t k = 0;
    FUZZ_CHECK(extra != NULL);
    for (size_t i = 0; i < n; i++)
        if (memcmp(all[i]->txid, kept_txid, HASH_SIZE) != 0)
            memcpy(extra[k++], all[i]->txid, HASH_SIZE);
    for (size_t i = 0; i < k; i++)
        mempool_remove(mempool, extra[i]);
    free(extra);
    free(all);
    pthread_mutex_unlock(&node_lock);
}

/* The connection's peer, or NULL once the node has dropped it. */
static struct peer *find_peer(int64_t id)
{
    pthread_mutex_lock(&node_lock);
    struct peer *peer = peer_by_id(p2p, id);
    pthread_mutex_unlock(&node_lock);
    return peer;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bufferevent *pair[2];
    struct p2p_addr addr;
    struct peer *peer;
    int64_t id;
    if (!p2p)
        setup();
    if (size < 1)
        return 0;
    FUZZ_CHECK(p2p_addr_parse("127.0.0.1", 18444, &addr));
    FUZZ_CHECK(bufferevent_pair_new(base, 0, pair) == 0);
    use_v2 = (data[0] & 4) != 0;
    pthread_mutex_lock(&node_lock);
    p2p->v2transport = use_v2;
    peer = peer_new(p2p, pair[0], CONN_INBOUND, &addr);
    FUZZ_CHECK(peer != NULL);
    peer->connected = true;
    id = peer->id;
    pthread_mutex_unlock(&node_lock);
    FUZZ_CHECK(bufferevent_enable(pair[0], EV_READ | EV_WRITE) == 0);
    FUZZ_CHECK(bufferevent_enable(pair[1], EV_READ | EV_WRITE) == 0);

    if (data[0] & 1) {
        FUZZ_CHECK(bufferevent_write(pair[1], data + 1, size - 1) == 0);
        settle(pair[1]);
    } else {
        if (use_v2)
            v2_start(pair[1]);
        if (!(data[0] & 2)) {
            send_handshake(pair[1]);
            peer = find_peer(id);
            FUZZ_CHECK(peer && peer->handshake_done && !peer->disconnect);
        }
        send_messages(pair[1], data + 1, size - 1);
    }

    /* The node may have dropped the peer (and freed its end) already. */
    pthread_mutex_lock(&node_lock);
    FUZZ_CHECK(memcmp(chain_tip(chain)->hash, tip_hash, HASH_SIZE) == 0);
    FUZZ_CHECK(mempool_has(mempool, kept_txid));
    peer = peer_by_id(p2p, id);
    if (peer) {
        FUZZ_CHECK(peer->disconnect ||
                   peer_send_queue(peer) <= p2p->max_send + P2P_HEADER_SIZE + p2p->max_message +
                                                V2_EXPANSION + V2_COMMAND_SIZE);
        peer_disconnect(peer, "end of input");
        peer_reap(p2p); /* frees pair[0] */
    }
    pthread_mutex_unlock(&node_lock);
    bufferevent_free(pair[1]);
    event_base_loop(base, EVLOOP_NONBLOCK); /* runs the frees libevent deferred */
    reset();
    return 0;
}
