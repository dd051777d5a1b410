/* Message dispatch and the connection-level messages: the version/verack
 * handshake (network, protocol version, self-connection), ping/pong with
 * timeouts, and address gossip (getaddr/addr).  Chain sync is in sync.c,
 * inventory and transactions in relay.c.
 */
#include "p2p/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/params.h"
#include "state/chain.h"
#include "util/log.h"
#include "util/time.h"

#define ADDR_MAX_FUTURE 600              /* seconds: a later time is replaced */
#define ADDR_DEFAULT_AGE (5 * 86400)     /* age given to addresses with bad times */
#define ADDR_RELAY_MAX_ENTRIES 10        /* only small, fresh addr messages are relayed */
#define ADDR_RELAY_FRESH 600
#define ADDR_RELAY_PEERS 2

static bool loopback_allowed(const struct p2p *p)
{
    return p->regtest || p->env.params->regtest_rules;
}

static void handshake_done(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    uint64_t now = time_now();

    peer->handshake_done = true;
    peer->next_ping_ms = time_mono_ms(); /* measure the round trip at once */
    log_printf("New %s peer connected: peer=%lld %s version %u %s height %llu transport %s%s",
               peer->type == CONN_INBOUND ? "inbound" : "outbound", (long long)peer->id,
               peer->name, peer->version, peer->user_agent,
               (unsigned long long)peer->start_height,
               peer->transport == TRANSPORT_V1 ? "v1" : "v2",
               peer->peerkey_verified ? " (node key verified)" : "");
    if (peer->type != CONN_INBOUND) {
        addrman_add(&p->am, &peer->addr, peer->services, now);
        addrman_good(&p->am, &peer->addr, now);
        /* Learn addresses, and tell the peer where we listen (at the
         * address it sees us at). */
        peer_send_empty(peer, P2P_MSG_GETADDR);
        if (p->listen && p->bound_port && peer->has_addr_local) {
            struct p2p_timed_addr self = {.time = now, .services = P2P_SERVICE_NETWORK};
            struct wbuf w;
            self.addr = peer->addr_local;
            self.addr.port = p->bound_port;
            wbuf_init(&w);
            p2p_msg_encode_addr(&w, &self, 1);
            peer_send(peer, P2P_MSG_ADDR, &w);
            wbuf_free(&w);
        }
    }
    sync_handshake_done(peer);
    relay_handshake_done(peer);
}

static void on_version(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct p2p_msg_version m;

    if (peer->version_received) {
        peer_misbehaving(peer, P2P_SCORE_UNEXPECTED, "duplicate-version");
        return;
    }
    if (!p2p_msg_decode_version(payload, len, &m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-version-encoding");
        peer_disconnect(peer, "bad version message");
        return;
    }
    if (m.version < P2P_MIN_PROTOCOL_VERSION) {
        log_printf("peer=%lld %s uses obsolete protocol version %u; disconnecting",
                   (long long)peer->id, peer->name, m.version);
        peer_disconnect(peer, "obsolete version");
        return;
    }
    if (sodium_memcmp(m.genesis, p->env.params->genesis_hash, HASH_SIZE) != 0) {
        log_printf("peer=%lld %s is on another network (genesis differs); disconnecting",
                   (long long)peer->id, peer->name);
        addrman_remove(&p->am, &peer->addr);
        peer_disconnect(peer, "other network");
        return;
    }
    for (struct peer *q = p->peers; q; q = q->next) {
        if (q != peer && q->type != CONN_INBOUND && q->local_nonce == m.nonce) {
            log_printf("connected to self at %s, disconnecting", q->name);
            addrman_remove(&p->am, &q->addr);
            peer_disconnect(peer, "connection to self");
            peer_disconnect(q, "connection to self");
            return;
        }
    }
    peer->version_received = true;
    peer->version = m.version;
    peer->services = m.services;
    memcpy(peer->user_agent, m.user_agent, sizeof(peer->user_agent));
    peer->start_height = m.best_height;
    peer->time_offset = (int64_t)(m.timestamp - time_now());
    peer->addr_local = m.addr_recv.addr;
    peer->has_addr_local = !p2p_addr_is_unusable(&peer->addr_local);
    if (peer->type != CONN_INBOUND) {
        /* getnetworkinfo's timeoffset: the median of the last outbound
         * peers' offsets (inbound ones could be many and chosen by anyone),
         * without those beyond 70 minutes: a lying peer can move it by
         * that much at most. */
        if (peer->time_offset >= -P2P_MAX_TIME_OFFSET && peer->time_offset <= P2P_MAX_TIME_OFFSET) {
            p->time_offsets[p->next_time_offset] = peer->time_offset;
            p->next_time_offset = (p->next_time_offset + 1) % P2P_TIME_SAMPLES;
            if (p->n_time_offsets < P2P_TIME_SAMPLES)
                p->n_time_offsets++;
        } else {
            p->n_time_outliers++;
            LOG_DEBUG(LOG_NET, "peer=%lld clock offset %lld s beyond 70 minutes: not counted",
                      (long long)peer->id, (long long)peer->time_offset);
            /* As bitcoind: when most outbound peers disagree with our clock
             * by that much, it is probably ours that is wrong. */
            if (!p->clock_warned && p->n_time_outliers >= 5 &&
                p->n_time_outliers > p->n_time_offsets) {
                p->clock_warned = true;
                log_printf("Warning: %zu outbound peers' clocks differ from ours by more than 70 "
                           "minutes (%zu within it). Please check that your computer's date and "
                           "time are correct! If your clock is wrong, fmld will not work "
                           "properly.",
                           p->n_time_outliers, p->n_time_offsets);
            }
        }
    }
    if (peer->has_addr_local)
        connman_local_seen(p, &peer->addr_local, peer->type != CONN_INBOUND, &peer->addr);

    if (peer->type == CONN_INBOUND && !peer_send_version(peer))
        return;
    if (!peer_send_empty(peer, P2P_MSG_VERACK))
        return;
    if (peer->verack_received)
        handshake_done(peer);
}

static void on_verack(struct peer *peer, const uint8_t *payload, size_t len)
{
    if (!p2p_msg_decode_empty(payload, len)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-verack-encoding");
        return;
    }
    if (peer->verack_received)
        return;
    peer->verack_received = true;
    if (peer->version_received)
        handshake_done(peer);
}

static void on_ping(struct peer *peer, const uint8_t *payload, size_t len)
{
    uint64_t nonce;
    struct wbuf w;
    if (!p2p_msg_decode_nonce(payload, len, &nonce)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-ping-encoding");
        return;
    }
    wbuf_init(&w);
    p2p_msg_encode_nonce(&w, nonce);
    peer_send(peer, P2P_MSG_PONG, &w);
    wbuf_free(&w);
}

static void on_pong(struct peer *peer, const uint8_t *payload, size_t len)
{
    uint64_t nonce;
    if (!p2p_msg_decode_nonce(payload, len, &nonce)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-pong-encoding");
        return;
    }
    if (peer->ping_nonce == 0 || nonce != peer->ping_nonce) {
        LOG_DEBUG(LOG_NET, "peer=%lld: pong with an unexpected nonce", (long long)peer->id);
        return;
    }
    uint64_t rtt = time_mono_ms() - peer->ping_start_ms;
    peer->ping_ms = rtt;
    if (!peer->has_ping || rtt < peer->min_ping_ms)
        peer->min_ping_ms = rtt;
    peer->has_ping = true;
    peer->ping_nonce = 0;
}

static void on_getaddr(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct addrman_entry *sample;
    struct p2p_timed_addr *out;
    size_t n, k = 0;
    struct wbuf w;

    if (!p2p_msg_decode_empty(payload, len)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-getaddr-encoding");
        return;
    }
    /* Answered once per connection, and only to inbound peers (an
     * outbound peer could use the answer to fingerprint us). */
    if (peer->type != CONN_INBOUND || peer->getaddr_answered)
        return;
    peer->getaddr_answered = true;
    sample = malloc(P2P_MAX_ADDR * sizeof(*sample));
    out = malloc(P2P_MAX_ADDR * sizeof(*out));
    if (!sample || !out) {
        free(sample);
        free(out);
        return;
    }
    n = addrman_sample(&p->am, sample, P2P_MAX_ADDR);
    for (size_t i = 0; i < n; i++) {
        if (p2p_addr_equal(&sample[i].addr, &peer->addr))
            continue;
        out[k++] = (struct p2p_timed_addr){sample[i].time, sample[i].services, sample[i].addr};
    }
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, out, k);
    peer_send(peer, P2P_MSG_ADDR, &w);
    wbuf_free(&w);
    free(sample);
    free(out);
}

static bool take_addr_token(struct peer *peer, uint64_t now_ms)
{
    const uint64_t cap = (uint64_t)P2P_ADDR_BUCKET * 1000;
    peer->addr_tokens_milli += (now_ms - peer->addr_tokens_ms) * P2P_ADDR_RATE_MILLI / 1000;
    if (peer->addr_tokens_milli > cap)
        peer->addr_tokens_milli = cap;
    peer->addr_tokens_ms = now_ms;
    if (peer->addr_tokens_milli < 1000)
        return false;
    peer->addr_tokens_milli -= 1000;
    return true;
}

/* Forwards fresh addresses to a few other peers, as gossip. */
static void relay_addrs(struct peer *from, const struct p2p_timed_addr *v, size_t n)
{
    struct p2p *p = from->p2p;
    struct peer *targets[ADDR_RELAY_PEERS];
    size_t nt = 0, seen = 0;
    struct wbuf w;

    /* Reservoir sampling over the eligible peers. */
    for (struct peer *q = p->peers; q; q = q->next) {
        if (q == from || !q->handshake_done || q->disconnect)
            continue;
        seen++;
        if (nt < ADDR_RELAY_PEERS)
            targets[nt++] = q;
        else {
            uint32_t j = randombytes_uniform((uint32_t)seen);
            if (j < ADDR_RELAY_PEERS)
                targets[j] = q;
        }
    }
    if (nt == 0)
        return;
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, n);
    for (size_t i = 0; i < nt; i++)
        peer_send(targets[i], P2P_MSG_ADDR, &w);
    wbuf_free(&w);
}

static void on_addr(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct p2p_msg_addr m;
    uint64_t now = time_now(), now_ms = time_mono_ms();
    size_t fresh = 0;

    if (!p2p_msg_decode_addr(payload, len, &m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-addr-encoding");
        return;
    }
    for (size_t i = 0; i < m.n; i++) {
        struct p2p_timed_addr *a = &m.v[i];
        if (!take_addr_token(peer, now_ms)) {
            peer->addr_rate_limited++;
            continue;
        }
        peer->addr_processed++;
        if (a->time > now + ADDR_MAX_FUTURE || a->time < 100000000)
            a->time = now > ADDR_DEFAULT_AGE ? now - ADDR_DEFAULT_AGE : 0;
        if (p2p_addr_is_unusable(&a->addr) || a->addr.port == 0 ||
            (p2p_addr_is_loopback(&a->addr) && !loopback_allowed(p)))
            continue;
        if (addrman_add(&p->am, &a->addr, a->services, a->time) && m.n <= ADDR_RELAY_MAX_ENTRIES &&
            a->time + ADDR_RELAY_FRESH > now)
            m.v[fresh++] = *a;
    }
    if (fresh)
        relay_addrs(peer, m.v, fresh);
    p2p_msg_addr_free(&m);
}

void process_message(struct peer *peer, const struct p2p_frame *f, const uint8_t *payload)
{
    size_t len = f->length;
    if (!f->known) {
        LOG_DEBUG(LOG_NET, "peer=%lld: ignoring unknown command \"%s\" (%zu bytes)",
                  (long long)peer->id, f->command, len);
        return;
    }
    if (f->type != P2P_MSG_VERSION && !peer->version_received) {
        peer_misbehaving(peer, P2P_SCORE_UNEXPECTED, "message-before-version");
        return;
    }
    if (f->type != P2P_MSG_VERSION && f->type != P2P_MSG_VERACK && !peer->handshake_done) {
        peer_misbehaving(peer, P2P_SCORE_UNEXPECTED, "message-before-verack");
        return;
    }
    switch (f->type) {
    case P2P_MSG_VERSION:
        on_version(peer, payload, len);
        return;
    case P2P_MSG_VERACK:
        on_verack(peer, payload, len);
        return;
    case P2P_MSG_PING:
        on_ping(peer, payload, len);
        return;
    case P2P_MSG_PONG:
        on_pong(peer, payload, len);
        return;
    case P2P_MSG_GETADDR:
        on_getaddr(peer, payload, len);
        return;
    case P2P_MSG_ADDR:
        on_addr(peer, payload, len);
        return;
    case P2P_MSG_INV:
        relay_on_inv(peer, payload, len);
        return;
    case P2P_MSG_GETDATA:
        relay_on_getdata(peer, payload, len);
        return;
    case P2P_MSG_NOTFOUND:
        relay_on_notfound(peer, payload, len);
        return;
    case P2P_MSG_GETHEADERS:
        sync_on_getheaders(peer, payload, len);
        return;
    case P2P_MSG_HEADERS:
        sync_on_headers(peer, payload, len);
        return;
    case P2P_MSG_BLOCK:
        download_on_block(peer, payload, len);
        return;
    case P2P_MSG_TX:
        relay_on_tx(peer, payload, len);
        return;
    }
}

void process_peer_timers(struct peer *peer, uint64_t now_ms)
{
    struct p2p *p = peer->p2p;
    if (peer->disconnect)
        return;
    if (!peer->connected) {
        if (now_ms - peer->created_ms > P2P_CONNECT_TIMEOUT_MS)
            peer_disconnect(peer, "connect timeout");
        return;
    }
    if (!peer->handshake_done) {
        if (now_ms - peer->created_ms > p->handshake_timeout_ms) {
            log_printf("version handshake timeout, disconnecting peer=%lld %s", (long long)peer->id,
                       peer->name);
            peer_disconnect(peer, "handshake timeout");
        }
        return;
    }
    if (peer->ping_nonce && now_ms - peer->ping_start_ms > p->timeout_ms) {
        log_printf("ping timeout: %.3fs, disconnecting peer=%lld %s",
                   (double)(now_ms - peer->ping_start_ms) / 1000.0, (long long)peer->id,
                   peer->name);
        peer_disconnect(peer, "ping timeout");
        return;
    }
    if (now_ms - peer->last_msg_ms > p->timeout_ms) {
        log_printf("inactivity timeout, disconnecting peer=%lld %s", (long long)peer->id,
                   peer->name);
        peer_disconnect(peer, "inactivity");
        return;
    }
    if (!peer->ping_nonce && (peer->ping_queued || now_ms >= peer->next_ping_ms)) {
        struct wbuf w;
        do
            randombytes_buf(&peer->ping_nonce, sizeof(peer->ping_nonce));
        while (peer->ping_nonce == 0);
        peer->ping_start_ms = now_ms;
        peer->next_ping_ms = now_ms + p->ping_interval_ms;
        peer->ping_queued = false;
        wbuf_init(&w);
        p2p_msg_encode_nonce(&w, peer->ping_nonce);
        peer_send(peer, P2P_MSG_PING, &w);
        wbuf_free(&w);
    }
    if (peer->headers_retry_ms && now_ms >= peer->headers_retry_ms) {
        peer->headers_retry_ms = 0;
        sync_send_getheaders(peer, NULL, NULL);
    }
}
