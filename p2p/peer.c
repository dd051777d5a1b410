/* One connection: its bufferevent callbacks, reading whole messages off the
 * receive buffer, framing and queueing outgoing messages, buffer limits,
 * misbehaviour points and bans, and freeing.
 *
 * A peer is never freed inside one of its own callbacks: peer_disconnect
 * only marks it, and peer_reap frees marked peers from the loop's wakeup or
 * timer callback, so every pointer stays valid while a message is handled.
 */
#include "p2p/internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "consensus/params.h"
#include "state/chain.h"
#include "state/sigcheck.h"
#include "util/log.h"
#include "util/time.h"

static void lock(struct p2p *p)
{
    pthread_mutex_lock(p->env.lock);
}

static void unlock(struct p2p *p)
{
    pthread_mutex_unlock(p->env.lock);
}

size_t peer_send_queue(const struct peer *peer)
{
    return peer->bev ? evbuffer_get_length(bufferevent_get_output(peer->bev)) : 0;
}

void peer_disconnect(struct peer *peer, const char *why)
{
    if (peer->disconnect)
        return;
    peer->disconnect = true;
    LOG_DEBUG(LOG_NET, "disconnecting peer=%lld %s: %s", (long long)peer->id, peer->name, why);
    /* No libevent call here: RPC threads disconnect peers too, and only the
     * loop touches connections (peer_reap closes it). */
    p2p_wakeup(peer->p2p);
}

void peer_misbehaving(struct peer *peer, int score, const char *reason)
{
    struct p2p *p = peer->p2p;
    if (peer->disconnect)
        return;
    peer->score += score;
    LOG_DEBUG(LOG_NET, "peer=%lld %s misbehaving (+%d = %d): %s", (long long)peer->id, peer->name,
              score, peer->score, reason);
    if (peer->score < P2P_BAN_THRESHOLD)
        return;
    struct p2p_subnet net;
    uint64_t now = time_now();
    p2p_subnet_single(&net, &peer->addr);
    if (banman_ban(&p->bm, &net, now, now + p->bantime) && p->bans_path &&
        !banman_save(&p->bm, p->bans_path, p->env.params->magic))
        log_printf("Cannot write %s", p->bans_path);
    log_printf("Banning peer=%lld %s for %llu s: %s (misbehaviour score %d)", (long long)peer->id,
               peer->name, (unsigned long long)p->bantime, reason, peer->score);
    peer_disconnect(peer, "misbehaving");
}

/* Queues bytes on the connection; false (and the peer marked) on failure. */
static bool write_raw(struct peer *peer, const void *data, size_t len)
{
    if (bufferevent_write(peer->bev, data, len) != 0) {
        peer_disconnect(peer, "cannot queue a message");
        return false;
    }
    peer->bytes_sent += len;
    peer->p2p->bytes_sent += len;
    peer->last_send = time_now();
    return true;
}

/* Encrypts and queues one v2 packet of contents. */
static bool send_packet(struct peer *peer, const uint8_t *contents, size_t n)
{
    struct wbuf w;
    wbuf_init(&w);
    v2_encrypt_packet(peer->v2, &w, contents, n, false);
    bool ok = !w.failed && write_raw(peer, w.data, w.len);
    if (w.failed)
        peer_disconnect(peer, "out of memory");
    wbuf_free(&w);
    return ok;
}

bool peer_send(struct peer *peer, enum p2p_msg_type t, const struct wbuf *payload)
{
    struct p2p *p = peer->p2p;
    struct wbuf w;
    if (peer->disconnect || !peer->bev)
        return false;
    if (payload->failed) {
        peer_disconnect(peer, "out of memory");
        return false;
    }
    /* Messages wait for the v2 keys (nothing sends before the handshake),
     * and to a pinned address for the responder's node-key proof. */
    if (peer->transport != TRANSPORT_V1 && (!peer->v2 || (peer->pin && !peer->peerkey_verified)))
        return false;
    wbuf_init(&w);
    if (peer->transport == TRANSPORT_V1) {
        p2p_frame_encode(&w, p->env.params->magic, p2p_msg_command(t), payload->data,
                         payload->len);
    } else {
        struct wbuf c;
        wbuf_init(&c);
        v2_encode_message(&c, t, payload->data, payload->len);
        if (!c.failed)
            v2_encrypt_packet(peer->v2, &w, c.data, c.len, false);
        w.failed |= c.failed;
        wbuf_free(&c);
    }
    bool ok = !w.failed && bufferevent_write(peer->bev, w.data, w.len) == 0;
    if (ok) {
        peer->bytes_sent += w.len;
        peer->sent_per_msg[t] += w.len;
        p->bytes_sent += w.len;
        peer->last_send = time_now();
    }
    wbuf_free(&w);
    if (!ok)
        peer_disconnect(peer, "cannot queue a message");
    return ok;
}

bool peer_send_empty(struct peer *peer, enum p2p_msg_type t)
{
    struct wbuf w;
    wbuf_init(&w);
    bool ok = peer_send(peer, t, &w);
    wbuf_free(&w);
    return ok;
}

bool peer_send_version(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    struct p2p_msg_version m;
    struct wbuf w;

    memset(&m, 0, sizeof(m));
    m.version = P2P_PROTOCOL_VERSION;
    m.services = P2P_SERVICE_NETWORK;
    m.timestamp = time_now();
    m.addr_recv.addr = peer->addr;
    m.addr_from.services = P2P_SERVICE_NETWORK;
    if (p->listen)
        m.addr_from.addr.port = p->bound_port;
    m.nonce = peer->local_nonce;
    snprintf(m.user_agent, sizeof(m.user_agent), "%s", p->user_agent);
    m.best_height = chain_height(p->env.chain);
    memcpy(m.genesis, p->env.params->genesis_hash, HASH_SIZE);
    wbuf_init(&w);
    p2p_msg_encode_version(&w, &m);
    bool ok = peer_send(peer, P2P_MSG_VERSION, &w);
    wbuf_free(&w);
    peer->version_sent = ok;
    return ok;
}

static void read_local_address(struct peer *peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    evutil_socket_t fd = bufferevent_getfd(peer->bev);
    int one = 1;
    if (fd < 0)
        return;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        p2p_addr_from_sockaddr(&peer->local, (const struct sockaddr *)&ss);
}

static void peer_read_v2(struct peer *peer);

/* Flow control of both read loops, before each message: false when the
 * peer is disconnecting, when its send queue is over the limit (reading
 * pauses; on_write resumes it when the queue drains) or after
 * P2P_MAX_MSGS_PER_CALLBACK messages in this call (the rest is read from
 * ev_process, to be fair to other peers). */
static bool read_more(struct peer *peer, int count)
{
    if (peer->disconnect)
        return false;
    if (peer_send_queue(peer) > peer->p2p->max_send) {
        bufferevent_disable(peer->bev, EV_READ);
        peer->read_paused = true;
        return false;
    }
    if (count == P2P_MAX_MSGS_PER_CALLBACK) {
        event_active(peer->ev_process, 0, 0);
        return false;
    }
    return true;
}

/* A malformed message: points, then the connection ends. */
static void drop_malformed(struct peer *peer, int score, const char *reason, const char *why)
{
    peer_misbehaving(peer, score, reason);
    peer_disconnect(peer, why);
}

/* ---- Transaction bursts: signatures verified before the node lock ----
 *
 * The read callback handles a peer's messages under the node lock.  The
 * tx messages of one callback (at most P2P_MAX_MSGS_PER_CALLBACK) are
 * held back, in order, and at the end of the callback their signatures
 * are checked on the -par pool with the node lock released (sigcheck_txs,
 * which leaves the signature cache as it is); then, under the lock again,
 * each is handled as before with its verdict (relay_on_tx:
 * mempool_add_checked trusts it for that transaction, and caches the
 * signature only if it accepts it).  Any other message handles the held ones first,
 * so the peer's messages are handled in the order they came.  Only the
 * network thread reads peers and frees them (peer_reap, from its own
 * callbacks), so the peer outlives the unlocked step; a peer marked for
 * disconnection meanwhile has the rest dropped.  Without a signature cache
 * nothing is held back. */
struct held_msg {
    struct p2p_frame f;
    uint8_t *payload;
};

static struct held_msg held[P2P_MAX_MSGS_PER_CALLBACK]; /* the network thread's */
static size_t nheld;

static bool hold_tx(struct peer *peer, const struct p2p_frame *f, const uint8_t *payload)
{
    struct p2p *p = peer->p2p;
    if (!f->known || f->type != P2P_MSG_TX || !peer->handshake_done ||
        nheld == P2P_MAX_MSGS_PER_CALLBACK || !p->env.chain ||
        !sigcheck_cache(chain_sigcheck(p->env.chain)))
        return false;
    uint8_t *copy = malloc(f->length ? f->length : 1);
    if (!copy)
        return false;
    memcpy(copy, payload, f->length);
    held[nheld].f = *f;
    held[nheld++].payload = copy;
    return true;
}

/* Handles the held tx messages, after checking their signatures on the
 * pool without the node lock when unlocked_check (the caller holds it). */
static void handle_held(struct peer *peer, bool unlocked_check)
{
    struct p2p *p = peer->p2p;
    struct tx *txs = unlocked_check && !peer->disconnect ? calloc(nheld, sizeof(*txs)) : NULL;
    struct sigcheck_verdict *v = txs ? calloc(nheld, sizeof(*v)) : NULL;
    size_t at[P2P_MAX_MSGS_PER_CALLBACK]; /* held[i]'s verdict: v[at[i]], or none */
    size_t n = 0;
    if (v) {
        for (size_t i = 0; i < nheld; i++) {
            at[i] = SIZE_MAX;
            if (p2p_msg_decode_tx(held[i].payload, held[i].f.length, &txs[n]))
                at[i] = n++;
        }
        struct sigcheck *sc = chain_sigcheck(p->env.chain);
        unlock(p);
        size_t passed = sigcheck_txs(sc, txs, n, p->env.params, v);
        lock(p);
        LOG_DEBUG(LOG_MEMPOOL, "p2p pre-check: %zu transactions from peer=%lld on %d threads, "
                               "%zu passed", n, (long long)peer->id, sigcheck_threads(sc), passed);
        for (size_t i = 0; i < n; i++)
            tx_free(&txs[i]);
    }
    free(txs);
    size_t count = nheld;
    nheld = 0;
    for (size_t i = 0; i < count; i++) {
        if (!peer->disconnect) {
            peer->tx_pre = v && at[i] != SIZE_MAX ? &v[at[i]] : NULL;
            process_message(peer, &held[i].f, held[i].payload);
            peer->tx_pre = NULL;
        }
        free(held[i].payload);
    }
    free(v);
}

/* A whole, well-formed message of either transport: handled (a tx message
 * may be held until the end of the callback, above). */
static void deliver(struct peer *peer, const struct p2p_frame *f, const uint8_t *payload)
{
    peer->last_recv = time_now();
    peer->last_msg_ms = time_mono_ms();
    if (hold_tx(peer, f, payload))
        return;
    if (nheld)
        handle_held(peer, false);
    process_message(peer, f, payload);
}

/* Handles every whole message in the receive buffer while read_more
 * allows. */
static void peer_read(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    struct evbuffer *in = bufferevent_get_input(peer->bev);
    struct p2p_frame f;

    if (peer->transport != TRANSPORT_V1) {
        peer_read_v2(peer);
        return;
    }
    for (int count = 0; read_more(peer, count); count++) {
        size_t avail = evbuffer_get_length(in);
        size_t look = avail < P2P_HEADER_SIZE ? avail : P2P_HEADER_SIZE;
        if (look == 0)
            return;
        const uint8_t *data = evbuffer_pullup(in, (ssize_t)look);
        enum p2p_frame_status st =
            p2p_frame_parse(data, look, p->env.params->magic, p->env.params->max_block_size, &f);
        if (st == P2P_FRAME_NEED_MORE && look == P2P_HEADER_SIZE) {
            size_t total = P2P_HEADER_SIZE + (size_t)f.length;
            if (avail < total)
                return;
            data = evbuffer_pullup(in, (ssize_t)total);
            if (!data) {
                peer_disconnect(peer, "out of memory");
                return;
            }
            st = p2p_frame_parse(data, total, p->env.params->magic,
                                 p->env.params->max_block_size, &f);
        }
        switch (st) {
        case P2P_FRAME_NEED_MORE:
            return;
        case P2P_FRAME_BAD_MAGIC:
            drop_malformed(peer, P2P_SCORE_BAD_MAGIC, "bad-magic", "bad magic");
            return;
        case P2P_FRAME_BAD_COMMAND:
            drop_malformed(peer, P2P_SCORE_BAD_COMMAND, "bad-command", "bad command");
            return;
        case P2P_FRAME_OVERSIZE:
            drop_malformed(peer, P2P_SCORE_OVERSIZE, "oversized-message", "oversized message");
            return;
        case P2P_FRAME_BAD_CHECKSUM:
        case P2P_FRAME_OK:
            break;
        }
        size_t total = P2P_HEADER_SIZE + (size_t)f.length;
        peer->bytes_recv += total;
        peer->recv_per_msg[f.known ? f.type : P2P_MSG_COUNT] += total;
        p->bytes_recv += total;
        if (st == P2P_FRAME_BAD_CHECKSUM)
            peer_misbehaving(peer, P2P_SCORE_BAD_CHECKSUM, "bad-checksum");
        else
            deliver(peer, &f, data + P2P_HEADER_SIZE);
        evbuffer_drain(in, total);
    }
}

/* ---- Transport v2 (doc/protocol.md, "Transport v2") ---- */

static const struct peer_pin *find_pin(const struct p2p *p, const struct p2p_addr *a, bool port)
{
    for (size_t i = 0; i < p->n_pins; i++)
        if (port ? p2p_addr_equal(&p->pins[i].addr, a) : p2p_addr_same_ip(&p->pins[i].addr, a))
            return &p->pins[i];
    return NULL;
}

static bool send_hello(struct peer *peer, bool want, bool prove)
{
    struct p2p *p = peer->p2p;
    struct wbuf w;
    bool initiator = peer->type != CONN_INBOUND;
    wbuf_init(&w);
    v2_encode_hello(&w, want, prove ? p->nodekey_sk : NULL, p->nodekey_pk, peer->v2->session_id,
                    initiator);
    bool ok = !w.failed && send_packet(peer, w.data, w.len);
    if (w.failed)
        peer_disconnect(peer, "out of memory");
    wbuf_free(&w);
    return ok;
}

/* Both keys are in: derive the ciphers.  The initiator then sends its hello
 * (asking for, and giving, a node-key proof when the address is pinned) and,
 * to an unpinned address, its version; to a pinned one the version waits for
 * the responder's proof (v2_on_hello), so that a man in the middle learns
 * nothing of it.  The responder waits for the initiator's hello. */
static bool v2_keys_in(struct peer *peer, const uint8_t their_pub[V2_PUBKEY_SIZE])
{
    struct p2p *p = peer->p2p;
    bool initiator = peer->type != CONN_INBOUND;
    peer->v2 = malloc(sizeof(*peer->v2));
    if (!peer->v2) {
        peer_disconnect(peer, "out of memory");
        return false;
    }
    bool ok = v2_cipher_init(peer->v2, peer->v2_priv, peer->v2_pub, their_pub, initiator,
                             p->env.params->magic);
    sodium_memzero(peer->v2_priv, sizeof(peer->v2_priv));
    if (!ok) {
        free(peer->v2);
        peer->v2 = NULL;
        peer_disconnect(peer, "v2: degenerate key");
        return false;
    }
    peer->transport = TRANSPORT_V2_HELLO;
    if (!initiator)
        return true;
    if (peer->pin)
        return send_hello(peer, true, true);
    return send_hello(peer, false, false) && peer_send_version(peer);
}

static void v2_on_hello(struct peer *peer, const uint8_t *contents, size_t n)
{
    struct p2p *p = peer->p2p;
    struct v2_hello h;
    bool initiator = peer->type != CONN_INBOUND;
    if (!v2_decode_hello(contents, n, &h)) {
        peer_disconnect(peer, "v2: bad hello");
        return;
    }
    if (h.flags & V2_HELLO_PROOF) {
        /* The proof is by the other side: the responder's when we initiated. */
        if (!v2_check_proof(&h, peer->v2->session_id, !initiator)) {
            LOG_DEBUG(LOG_NET, "peer=%lld %s: node key proof does not verify; disconnecting",
                      (long long)peer->id, peer->name);
            peer_disconnect(peer, "v2: bad node key proof");
            return;
        }
        peer->peerkey_proven = true;
        memcpy(peer->peerkey, h.nodekey, V2_NODEKEY_SIZE);
    }
    if (peer->pin) {
        if (!peer->peerkey_proven ||
            sodium_memcmp(peer->peerkey, peer->pin->key, V2_NODEKEY_SIZE) != 0) {
            char want[2 * V2_NODEKEY_SIZE + 1], got[2 * V2_NODEKEY_SIZE + 1] = "none";
            sodium_bin2hex(want, sizeof(want), peer->pin->key, V2_NODEKEY_SIZE);
            if (peer->peerkey_proven)
                sodium_bin2hex(got, sizeof(got), peer->peerkey, V2_NODEKEY_SIZE);
            log_printf("peer=%lld %s: node key %s does not match -peerkey %s; disconnecting",
                       (long long)peer->id, peer->name, got, want);
            peer_disconnect(peer, "v2: node key does not match the pin");
            return;
        }
        peer->peerkey_verified = true;
    } else if (peer->peerkey_proven && !initiator) {
        /* An inbound peer that proved a key pinned for its IP address. */
        for (size_t i = 0; i < p->n_pins; i++)
            if (p2p_addr_same_ip(&p->pins[i].addr, &peer->addr) &&
                sodium_memcmp(p->pins[i].key, peer->peerkey, V2_NODEKEY_SIZE) == 0)
                peer->peerkey_verified = true;
    }
    peer->transport = TRANSPORT_V2;
    if (!initiator)
        send_hello(peer, false, (h.flags & V2_HELLO_WANT) != 0);
    else if (peer->pin)
        peer_send_version(peer); /* the pin verified just above */
}

/* Reads v2: the 4-byte v1 check (inbound), the other side's key, then
 * packets: the hello, then messages; read_more as for v1. */
static void peer_read_v2(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    struct evbuffer *in = bufferevent_get_input(peer->bev);
    uint32_t max_contents = v2_max_contents(p->max_message);

    for (int count = 0; read_more(peer, count); count++) {
        size_t avail = evbuffer_get_length(in);
        if (peer->transport == TRANSPORT_V2_DETECT) {
            if (avail < 4)
                return;
            const uint8_t *data = evbuffer_pullup(in, 4);
            if (memcmp(data, p->env.params->magic, 4) == 0) {
                /* Debug only: anyone can open connections to fill the log. */
                LOG_DEBUG(LOG_NET,
                          "peer=%lld %s speaks the plaintext v1 transport; refused "
                          "(-v2transport=0 allows it)",
                          (long long)peer->id, peer->name);
                peer_disconnect(peer, "v1 peer refused");
                return;
            }
            peer->transport = TRANSPORT_V2_KEY;
            if (!write_raw(peer, peer->v2_pub, V2_PUBKEY_SIZE))
                return;
            continue;
        }
        if (peer->transport == TRANSPORT_V2_KEY) {
            uint8_t their[V2_PUBKEY_SIZE];
            if (avail < V2_PUBKEY_SIZE)
                return;
            evbuffer_remove(in, their, sizeof(their));
            peer->bytes_recv += V2_PUBKEY_SIZE;
            p->bytes_recv += V2_PUBKEY_SIZE;
            if (!v2_keys_in(peer, their))
                return;
            continue;
        }
        if (peer->v2_len < 0) {
            uint8_t raw[V2_LENGTH_SIZE];
            if (avail < V2_LENGTH_SIZE)
                return;
            evbuffer_remove(in, raw, sizeof(raw));
            avail -= V2_LENGTH_SIZE;
            uint32_t len = v2_decrypt_length(peer->v2, raw);
            /* Unauthenticated: a tampered length is no proof against the
             * peer, so no points, only the disconnection. */
            if (len > max_contents) {
                peer_disconnect(peer, "v2: oversized packet");
                return;
            }
            peer->v2_len = len;
        }
        size_t rest = V2_HEADER_SIZE + (size_t)peer->v2_len + V2_TAG_SIZE;
        if (avail < rest)
            return;
        const uint8_t *data = evbuffer_pullup(in, (ssize_t)rest);
        uint8_t *plain = malloc(V2_HEADER_SIZE + (size_t)peer->v2_len);
        if (!data || !plain) {
            free(plain);
            peer_disconnect(peer, "out of memory");
            return;
        }
        uint32_t len = (uint32_t)peer->v2_len;
        bool ignore;
        bool ok = v2_decrypt_packet(peer->v2, data, len, plain, &ignore);
        evbuffer_drain(in, rest);
        peer->v2_len = -1;
        size_t total = V2_LENGTH_SIZE + rest;
        peer->bytes_recv += total;
        p->bytes_recv += total;
        if (!ok) {
            /* Tampering on the path looks the same as a broken peer. */
            LOG_DEBUG(LOG_NET, "peer=%lld %s: v2 packet fails authentication; disconnecting",
                      (long long)peer->id, peer->name);
            peer_disconnect(peer, "v2: packet authentication failed");
        } else if (ignore) {
            /* A decoy packet. */
        } else if (peer->transport == TRANSPORT_V2_HELLO) {
            v2_on_hello(peer, plain + 1, len);
        } else {
            struct v2_message m;
            switch (v2_decode_message(plain + 1, len, p->env.params->max_block_size, &m)) {
            case V2_MSG_BAD_COMMAND:
                drop_malformed(peer, P2P_SCORE_BAD_COMMAND, "bad-command", "bad command");
                break;
            case V2_MSG_OVERSIZE:
                drop_malformed(peer, P2P_SCORE_OVERSIZE, "oversized-message", "oversized message");
                break;
            case V2_MSG_OK: {
                struct p2p_frame f;
                memset(&f, 0, sizeof(f));
                memcpy(f.command, m.command, sizeof(f.command));
                f.known = m.known;
                f.type = m.type;
                f.length = m.length;
                peer->recv_per_msg[f.known ? f.type : P2P_MSG_COUNT] += total;
                deliver(peer, &f, m.payload);
                break;
            }
            }
        }
        free(plain);
    }
}

/* New bytes (on_read) or the rest of a busy receive buffer (on_process). */
static void read_locked(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    lock(p);
    if (!peer->disconnect && !peer->read_paused)
        peer_read(peer);
    if (nheld)
        handle_held(peer, true);
    unlock(p);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    read_locked(arg);
}

static void on_process(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    read_locked(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct peer *peer = arg;
    struct p2p *p = peer->p2p;
    (void)bev;
    lock(p);
    if (!peer->disconnect) {
        relay_serve_getdata(peer);
        if (peer->read_paused && peer_send_queue(peer) <= p->max_send) {
            peer->read_paused = false;
            bufferevent_enable(peer->bev, EV_READ);
            peer_read(peer);
            if (nheld)
                handle_held(peer, true);
        }
    }
    unlock(p);
}

static void on_event(struct bufferevent *bev, short events, void *arg)
{
    struct peer *peer = arg;
    struct p2p *p = peer->p2p;
    (void)bev;
    lock(p);
    if (peer->disconnect) {
        unlock(p);
        return;
    }
    if (events & BEV_EVENT_CONNECTED) {
        peer->connected = true;
        peer->conn_time = time_now();
        peer->last_msg_ms = time_mono_ms();
        read_local_address(peer);
        LOG_DEBUG(LOG_NET, "connected to %s peer=%lld", peer->name, (long long)peer->id);
        if (peer->transport == TRANSPORT_V1)
            peer_send_version(peer);
        else
            write_raw(peer, peer->v2_pub, V2_PUBKEY_SIZE);
    } else if (events & BEV_EVENT_EOF) {
        peer_disconnect(peer, "connection closed by peer");
    } else if (events & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        peer_disconnect(peer, peer->connected ? "socket error" : "connection failed");
    }
    unlock(p);
}

struct peer *peer_new(struct p2p *p, struct bufferevent *bev, enum conn_type type,
                      const struct p2p_addr *addr)
{
    struct peer *peer = calloc(1, sizeof(*peer));
    if (!peer)
        return NULL;
    peer->ev_process = event_new(p->base, -1, 0, on_process, peer);
    if (!peer->ev_process || !invset_init(&peer->known, P2P_KNOWN_INV_MAX)) {
        if (peer->ev_process)
            event_free(peer->ev_process);
        free(peer);
        return NULL;
    }
    peer->p2p = p;
    peer->id = p->next_id++;
    peer->bev = bev;
    peer->type = type;
    peer->addr = *addr;
    p2p_addr_format(addr, peer->name);
    do
        randombytes_buf(&peer->local_nonce, sizeof(peer->local_nonce));
    while (peer->local_nonce == 0);
    peer->created_ms = peer->last_msg_ms = time_mono_ms();
    peer->conn_time = time_now();
    peer->inv_tokens = P2P_INV_BUCKET;
    peer->inv_tokens_ms = peer->created_ms;
    peer->addr_tokens_milli = (uint64_t)P2P_ADDR_BUCKET * 1000;
    peer->addr_tokens_ms = peer->created_ms;
    peer->v2_len = -1;
    if (!p->v2transport) {
        peer->transport = TRANSPORT_V1;
    } else {
        /* Inbound: a v2 key or the v1 magic decides; outbound: our key goes
         * out as soon as the connection is up. */
        peer->transport = type == CONN_INBOUND ? TRANSPORT_V2_DETECT : TRANSPORT_V2_KEY;
        v2_keypair(peer->v2_pub, peer->v2_priv, p->env.params->magic);
        if (type != CONN_INBOUND)
            peer->pin = find_pin(p, addr, true);
    }

    size_t high = p->max_receive;
    if (high < P2P_HEADER_SIZE + (size_t)p->max_message + V2_EXPANSION + V2_COMMAND_SIZE)
        high = P2P_HEADER_SIZE + (size_t)p->max_message + V2_EXPANSION + V2_COMMAND_SIZE;
    bufferevent_setcb(bev, on_read, on_write, on_event, peer);
    bufferevent_setwatermark(bev, EV_READ, 0, high);
    bufferevent_setwatermark(bev, EV_WRITE, p->max_send / 2, 0);

    peer->next = p->peers;
    p->peers = peer;
    p->n_peers++;
    return peer;
}

void peer_free(struct peer *peer)
{
    if (peer->bev)
        bufferevent_free(peer->bev);
    event_free(peer->ev_process);
    invset_free(&peer->known);
    free(peer->getdata_q);
    free(peer->held_hdrs);
    if (peer->v2) {
        sodium_memzero(peer->v2, sizeof(*peer->v2));
        free(peer->v2);
    }
    sodium_memzero(peer->v2_priv, sizeof(peer->v2_priv));
    free(peer);
}

struct peer *peer_by_id(struct p2p *p, int64_t id)
{
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        if (peer->id == id)
            return peer;
    return NULL;
}

void peer_reap(struct p2p *p)
{
    struct peer **link = &p->peers;
    bool gone = false;
    while (*link) {
        struct peer *peer = *link;
        if (!peer->disconnect) {
            link = &peer->next;
            continue;
        }
        *link = peer->next;
        p->n_peers--;
        download_peer_gone(peer);
        relay_peer_gone(peer);
        if (peer->handshake_done)
            log_printf("Disconnected peer=%lld %s", (long long)peer->id, peer->name);
        peer_free(peer);
        gone = true;
    }
    if (gone)
        download_schedule(p);
}
