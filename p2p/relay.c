/* Inventory and transaction relay: inv/getdata/notfound, serving blocks
 * and transactions, fetching announced transactions into the mempool, and
 * announcing new tips (headers, or inv when the peer is far behind) and new
 * mempool transactions (inv) to peers that lack them.
 *
 * Orphan transactions are not kept: a transaction whose nonce is ahead of
 * its sender's is dropped without penalty and fetched again when announced
 * after the gap is filled.  Inventory and getdata entries are rate-limited
 * per peer (a token bucket); beyond the rate messages are dropped and cost
 * points.
 */
#include "p2p/internal.h"

#include <stdlib.h>
#include <string.h>

#include "state/chain.h"
#include "state/mempool.h"
#include "util/log.h"
#include "util/time.h"

bool relay_take_inv_tokens(struct peer *peer, size_t n)
{
    uint64_t now_ms = time_mono_ms();
    peer->inv_tokens += (now_ms - peer->inv_tokens_ms) * P2P_INV_RATE / 1000;
    if (peer->inv_tokens > P2P_INV_BUCKET)
        peer->inv_tokens = P2P_INV_BUCKET;
    peer->inv_tokens_ms = now_ms;
    if (peer->inv_tokens < n) {
        peer_misbehaving(peer, P2P_SCORE_FLOOD, "inventory-flood");
        return false;
    }
    peer->inv_tokens -= n;
    return true;
}

static void send_inv(struct peer *peer, enum p2p_msg_type t, const struct p2p_inv *v, size_t n)
{
    struct wbuf w;
    wbuf_init(&w);
    p2p_msg_encode_inv(&w, v, n);
    peer_send(peer, t, &w);
    wbuf_free(&w);
}

/* ---- Transaction requests ---- */

static void tx_request_done(struct p2p *p, const uint8_t txid[HASH_SIZE])
{
    struct tx_request *r = hmap_remove(&p->tx_requests, txid, HASH_SIZE);
    if (!r)
        return;
    struct peer *peer = peer_by_id(p, r->peer_id);
    if (peer && peer->tx_in_flight)
        peer->tx_in_flight--;
    free(r);
}

/* Drops the requests made of peer_id, and those past their deadline at
 * now_ms (0: none). */
static void drop_tx_requests(struct p2p *p, int64_t peer_id, uint64_t now_ms)
{
    const struct hmap_slot *slot;
    uint8_t (*drop)[HASH_SIZE] = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; hmap_next(&p->tx_requests, &i, &slot);) {
        const struct tx_request *r = slot->val;
        if (r->peer_id != peer_id && (now_ms == 0 || now_ms <= r->deadline_ms))
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            void *d = realloc(drop, ncap * sizeof(*drop));
            if (!d)
                break;
            drop = d;
            cap = ncap;
        }
        memcpy(drop[n++], slot->key, HASH_SIZE);
    }
    for (size_t i = 0; i < n; i++)
        tx_request_done(p, drop[i]);
    free(drop);
}

void relay_peer_gone(struct peer *peer)
{
    drop_tx_requests(peer->p2p, peer->id, 0);
}

void relay_check_timeouts(struct p2p *p, uint64_t now_ms)
{
    drop_tx_requests(p, -1, now_ms);
}

/* ---- inv, getdata, notfound ---- */

void relay_on_inv(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct p2p_msg_inv m;
    struct p2p_inv *req = NULL;
    size_t nreq = 0;
    bool unknown_block = false;
    uint8_t last_unknown[HASH_SIZE];
    uint64_t now_ms = time_mono_ms();

    if (!p2p_msg_decode_inv(payload, len, &m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-inv-encoding");
        return;
    }
    if (!relay_take_inv_tokens(peer, m.n) || (m.n && !(req = malloc(m.n * sizeof(*req))))) {
        p2p_msg_inv_free(&m);
        return;
    }
    for (size_t i = 0; i < m.n; i++) {
        const struct p2p_inv *e = &m.v[i];
        invset_add(&peer->known, e->hash);
        if (e->type == P2P_INV_BLOCK) {
            if (chain_lookup(p->env.chain, e->hash)) {
                sync_on_block_inv(peer, e->hash);
            } else {
                unknown_block = true;
                memcpy(last_unknown, e->hash, HASH_SIZE);
            }
            continue;
        }
        if (mempool_has(p->env.mempool, e->hash) || invset_has(&p->recent_rejects, e->hash) ||
            hmap_get(&p->tx_requests, e->hash, HASH_SIZE) ||
            peer->tx_in_flight >= P2P_MAX_TX_IN_FLIGHT)
            continue;
        struct tx_request *r = malloc(sizeof(*r));
        if (!r)
            break;
        r->peer_id = peer->id;
        r->deadline_ms = now_ms + P2P_TX_REQUEST_TIMEOUT_MS;
        if (!hmap_put(&p->tx_requests, e->hash, HASH_SIZE, r, NULL)) {
            free(r);
            break;
        }
        peer->tx_in_flight++;
        req[nreq++] = *e;
    }
    if (unknown_block)
        sync_send_getheaders(peer, NULL, last_unknown);
    if (nreq)
        send_inv(peer, P2P_MSG_GETDATA, req, nreq);
    free(req);
    p2p_msg_inv_free(&m);
    download_schedule(p);
}

void relay_on_getdata(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p_msg_inv m;
    if (!p2p_msg_decode_inv(payload, len, &m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-getdata-encoding");
        return;
    }
    if (!relay_take_inv_tokens(peer, m.n)) {
        p2p_msg_inv_free(&m);
        return;
    }
    size_t pending = peer->getdata_n - peer->getdata_pos;
    if (pending + m.n > P2P_MAX_GETDATA_QUEUE) {
        peer_misbehaving(peer, P2P_SCORE_FLOOD, "getdata-flood");
        p2p_msg_inv_free(&m);
        return;
    }
    if (m.n) {
        struct p2p_inv *q = malloc((pending + m.n) * sizeof(*q));
        if (!q) {
            p2p_msg_inv_free(&m);
            return;
        }
        if (pending)
            memcpy(q, peer->getdata_q + peer->getdata_pos, pending * sizeof(*q));
        memcpy(q + pending, m.v, m.n * sizeof(*q));
        free(peer->getdata_q);
        peer->getdata_q = q;
        peer->getdata_n = pending + m.n;
        peer->getdata_pos = 0;
    }
    p2p_msg_inv_free(&m);
    relay_serve_getdata(peer);
}

static bool serve_one(struct peer *peer, const struct p2p_inv *e)
{
    struct p2p *p = peer->p2p;
    if (e->type == P2P_INV_TX) {
        const struct mempool_entry *me = mempool_get(p->env.mempool, e->hash);
        if (!me)
            return false;
        struct wbuf w;
        wbuf_init(&w);
        tx_encode(&me->tx, &w);
        peer_send(peer, P2P_MSG_TX, &w);
        wbuf_free(&w);
        invset_add(&peer->known, e->hash);
        return true;
    }
    const struct block_index *bi = chain_lookup(p->env.chain, e->hash);
    uint8_t *raw;
    size_t len;
    if (!bi || !(bi->status & BLOCK_HAVE_DATA) ||
        (bi->status & (BLOCK_FAILED | BLOCK_FAILED_CHILD)) ||
        !chain_read_raw(p->env.chain, bi, &raw, &len))
        return false;
    struct wbuf w = {.data = raw, .len = len, .cap = len, .failed = false};
    peer_send(peer, P2P_MSG_BLOCK, &w);
    free(raw);
    invset_add(&peer->known, e->hash);
    return true;
}

void relay_serve_getdata(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    struct p2p_inv *notfound = NULL;
    size_t nnf = 0;

    while (peer->getdata_pos < peer->getdata_n && !peer->disconnect &&
           peer_send_queue(peer) <= p->max_send) {
        const struct p2p_inv *e = &peer->getdata_q[peer->getdata_pos++];
        if (serve_one(peer, e))
            continue;
        if (!notfound && !(notfound = malloc(peer->getdata_n * sizeof(*notfound))))
            continue;
        notfound[nnf++] = *e;
    }
    if (peer->getdata_pos == peer->getdata_n) {
        free(peer->getdata_q);
        peer->getdata_q = NULL;
        peer->getdata_n = peer->getdata_pos = 0;
    }
    if (nnf)
        send_inv(peer, P2P_MSG_NOTFOUND, notfound, nnf);
    free(notfound);
}

void relay_on_notfound(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct p2p_msg_inv m;
    if (!p2p_msg_decode_inv(payload, len, &m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-notfound-encoding");
        return;
    }
    for (size_t i = 0; i < m.n; i++) {
        if (m.v[i].type == P2P_INV_BLOCK) {
            download_on_notfound(peer, m.v[i].hash);
        } else {
            const struct tx_request *r = hmap_get(&p->tx_requests, m.v[i].hash, HASH_SIZE);
            if (r && r->peer_id == peer->id)
                tx_request_done(p, m.v[i].hash);
        }
    }
    p2p_msg_inv_free(&m);
    download_schedule(p);
}

/* ---- Transactions ---- */

void relay_on_tx(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct tx tx;
    struct validation v;
    uint8_t txid[HASH_SIZE];

    if (!p2p_msg_decode_tx(payload, len, &tx)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-tx-encoding");
        return;
    }
    tx_txid(&tx, txid);
    invset_add(&peer->known, txid);
    tx_request_done(p, txid);
    if (mempool_has(p->env.mempool, txid) || invset_has(&p->recent_rejects, txid)) {
        tx_free(&tx);
        return;
    }
    if (mempool_add_txid(p->env.mempool, &tx, txid, time_now(), peer->tx_pre, &v)) {
        peer->last_tx = time_now();
        LOG_DEBUG(LOG_MEMPOOL, "accepted a transaction from peer=%lld", (long long)peer->id);
        tx_free(&tx);
        return;
    }
    LOG_DEBUG(LOG_MEMPOOL, "transaction from peer=%lld refused: %s %s", (long long)peer->id,
              v.reason, v.detail);
    switch (v.cls) {
    case VAL_MALFORMED:
    case VAL_CONSENSUS:
        peer_misbehaving(peer, P2P_SCORE_INVALID, v.reason);
        invset_add(&p->recent_rejects, txid);
        break;
    case VAL_STATE:
        /* Too high a nonce may become valid: not remembered, no orphan pool. */
        if (v.code != REJECT_BAD_TXNS_NONCE_TOO_HIGH)
            invset_add(&p->recent_rejects, txid);
        /* Votes pay no fee: one signed by a key with no weight costs us a
         * signature check and a state lookup for free.  An honest peer
         * relays only votes its own mempool took, and the weights of the
         * two target epochs are the same on every node of the branch, so
         * a few points (a ban after ten) and no more: stake that left in
         * between can make an honest relay of one such vote. */
        if (tx.type == TX_FINALITY_VOTE && v.code == REJECT_BAD_VOTE_NOT_VALIDATOR)
            peer_misbehaving(peer, P2P_SCORE_BAD_VOTE, v.reason);
        break;
    case VAL_POLICY:
        invset_add(&p->recent_rejects, txid);
        break;
    case VAL_OK:
    case VAL_DUPLICATE:
    case VAL_PREMATURE:
    case VAL_ERROR:
        break;
    }
    tx_free(&tx);
}

/* ---- Announcements ---- */

/* Announces the tip to one peer: the headers from the last block it is known
 * to have (up to P2P_MAX_ANNOUNCE_HEADERS), else an inv of the tip. */
static void announce_tip_to(struct peer *peer, const struct block_index *tip)
{
    const struct block_index *list[P2P_MAX_ANNOUNCE_HEADERS];
    struct block_header hdrs[P2P_MAX_ANNOUNCE_HEADERS];
    size_t n = 0;
    bool connects = false;

    if (invset_has(&peer->known, tip->hash))
        return;
    for (const struct block_index *bi = tip; bi && n < P2P_MAX_ANNOUNCE_HEADERS; bi = bi->prev) {
        list[n++] = bi;
        const struct block_index *prev = bi->prev;
        if (!prev || invset_has(&peer->known, prev->hash) ||
            (peer->has_best_known && memcmp(prev->hash, peer->best_known, HASH_SIZE) == 0)) {
            connects = true;
            break;
        }
    }
    if (!connects) {
        struct p2p_inv e = {.type = P2P_INV_BLOCK};
        memcpy(e.hash, tip->hash, HASH_SIZE);
        send_inv(peer, P2P_MSG_INV, &e, 1);
        invset_add(&peer->known, tip->hash);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        hdrs[i] = list[n - 1 - i]->hdr;
        invset_add(&peer->known, list[i]->hash);
    }
    struct wbuf w;
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, hdrs, n);
    peer_send(peer, P2P_MSG_HEADERS, &w);
    wbuf_free(&w);
}

static void announce_txs_to(struct peer *peer, const uint8_t (*txids)[HASH_SIZE], size_t n)
{
    struct p2p_inv *v = malloc((n < P2P_MAX_INV ? n : P2P_MAX_INV) * sizeof(*v));
    size_t k = 0;
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        if (invset_has(&peer->known, txids[i]))
            continue;
        invset_add(&peer->known, txids[i]);
        v[k].type = P2P_INV_TX;
        memcpy(v[k].hash, txids[i], HASH_SIZE);
        if (++k == P2P_MAX_INV) {
            send_inv(peer, P2P_MSG_INV, v, k);
            k = 0;
        }
    }
    if (k)
        send_inv(peer, P2P_MSG_INV, v, k);
    free(v);
}

void relay_announce(struct p2p *p)
{
    for (size_t i = 0; i < p->n_announce; i++) {
        const struct block_index *bi = chain_lookup(p->env.chain, p->announce_queue[i]);
        for (struct peer *peer = p->peers; bi && peer; peer = peer->next)
            if (peer->handshake_done && !peer->disconnect)
                announce_tip_to(peer, bi);
    }
    p->n_announce = 0;
    if (p->tip_changed) {
        const struct block_index *tip = chain_tip(p->env.chain);
        p->tip_changed = false;
        for (struct peer *peer = p->peers; peer; peer = peer->next)
            if (peer->handshake_done && !peer->disconnect)
                announce_tip_to(peer, tip);
    }
    if (p->n_tx_queue) {
        for (struct peer *peer = p->peers; peer; peer = peer->next)
            if (peer->handshake_done && !peer->disconnect)
                announce_txs_to(peer, (const uint8_t(*)[HASH_SIZE])p->tx_queue, p->n_tx_queue);
        p->n_tx_queue = 0;
    }
}

void relay_handshake_done(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    size_t n;
    const struct mempool_entry **v = mempool_entries(p->env.mempool, &n);
    uint8_t (*txids)[HASH_SIZE];
    if (!v)
        return;
    if (n > P2P_MAX_INV)
        n = P2P_MAX_INV;
    txids = malloc((n ? n : 1) * sizeof(*txids));
    if (txids) {
        for (size_t i = 0; i < n; i++)
            memcpy(txids[i], v[i]->txid, HASH_SIZE);
        announce_txs_to(peer, (const uint8_t(*)[HASH_SIZE])txids, n);
    }
    free(txids);
    free(v);
}

/* ---- Listeners (node lock held; any thread) ---- */

void relay_tip_changed(void *arg, const struct block_index *tip)
{
    struct p2p *p = arg;
    (void)tip;
    p->tip_changed = true;
    /* A new tip changes what the mempool accepts. */
    invset_clear(&p->recent_rejects);
    p2p_wakeup(p);
}

void relay_tx_added(void *arg, const struct mempool_entry *e)
{
    struct p2p *p = arg;
    if (p->n_tx_queue >= P2P_TX_QUEUE_MAX)
        return;
    if (!p->tx_queue && !(p->tx_queue = malloc(P2P_TX_QUEUE_MAX * sizeof(*p->tx_queue))))
        return;
    memcpy(p->tx_queue[p->n_tx_queue++], e->txid, HASH_SIZE);
    /* The loop empties the whole queue under the node lock, which every
     * add holds: one wake-up per queue filled, not one per transaction
     * (each would make the loop thread contend for the lock). */
    if (p->n_tx_queue == 1)
        p2p_wakeup(p);
}

void relay_free(struct p2p *p)
{
    hmap_free(&p->tx_requests, free);
    invset_free(&p->recent_rejects);
    free(p->tx_queue);
    p->tx_queue = NULL;
    p->n_tx_queue = 0;
}
