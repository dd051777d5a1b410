/* Headers-first chain sync: locators, getheaders and headers.
 *
 * On connect, and whenever a peer shows us a block we lack, we send
 * getheaders with a locator of our best header chain; each header goes to
 * chain_process_header, and what the peer has is remembered for the block
 * download (download.c).  We answer getheaders from our active chain.  Off
 * regtest, a header whose slot starts more than P2P_MAX_FUTURE_SECONDS ahead
 * of our clock is held back and asked for again later, not punished.  Only
 * fresh evidence of invalidity costs a peer points.
 *
 * A header is checked against the leader schedule as soon as the tip's
 * state fixes it (chain_process_header); a wrong leader costs the peer its
 * connection.  The headers that cannot be checked yet wait in a run per
 * peer (at most P2P_HELD_HEADERS_MAX) and are tried again as the chain
 * moves.  A run that forks below the tip can only be checked after a
 * reorganization: it is indexed unchecked once it could become the best
 * chain (higher than our tip, or forking within finality_depth of it:
 * chain_branch_wanted), at most P2P_UNCHECKED_HEADERS_MAX headers per peer.
 */
#include "p2p/internal.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/params.h"
#include "state/chain.h"
#include "util/log.h"
#include "util/time.h"

bool sync_too_far_ahead(const struct p2p *p, const struct block_header *h)
{
    const struct chain_params *params = p->env.params;
    if (params->regtest_rules)
        return false;
    if (h->slot > (UINT64_MAX - params->genesis_time - P2P_MAX_FUTURE_SECONDS) /
                      params->slot_seconds)
        return true;
    return params_slot_start(params, h->slot) > time_now() + P2P_MAX_FUTURE_SECONDS;
}

/* Invalid blocks and headers cost points, except when the chain only
 * remembers an earlier verdict (duplicate-invalid, bad-prevblk: possibly
 * our own invalidateblock) or the block forks below the finality depth (an
 * honest peer on a long-separated branch). */
bool sync_punishable(const struct validation *v)
{
    if (v->cls != VAL_CONSENSUS && v->cls != VAL_MALFORMED)
        return false;
    return v->code != REJECT_DUPLICATE_INVALID && v->code != REJECT_BAD_PREVBLK &&
           v->code != REJECT_BAD_FORK_PRIOR_TO_FINALITY &&
           v->code != REJECT_BAD_FORK_PRIOR_TO_FINALIZED;
}

/* ---- Locators and getheaders ---- */

static size_t build_locator(struct chain *c, const struct block_index *bi,
                            uint8_t out[P2P_MAX_LOCATOR][HASH_SIZE])
{
    size_t n = 0;
    uint64_t step = 1;
    while (bi && n < P2P_MAX_LOCATOR - 1) {
        memcpy(out[n++], bi->hash, HASH_SIZE);
        if (bi->hdr.height == 0)
            return n;
        uint64_t h = bi->hdr.height > step ? bi->hdr.height - step : 0;
        bi = chain_ancestor(bi, h);
        if (n >= 10)
            step *= 2;
    }
    const struct block_index *genesis = chain_at(c, 0);
    if (genesis)
        memcpy(out[n++], genesis->hash, HASH_SIZE);
    return n;
}

void sync_send_getheaders(struct peer *peer, const struct block_index *from,
                          const uint8_t stop[HASH_SIZE])
{
    struct p2p *p = peer->p2p;
    struct p2p_msg_getheaders *m = calloc(1, sizeof(*m));
    struct wbuf w;
    if (!m)
        return;
    if (!from)
        from = chain_best_header(p->env.chain);
    m->n = build_locator(p->env.chain, from, m->locator);
    if (stop)
        memcpy(m->stop, stop, HASH_SIZE);
    wbuf_init(&w);
    p2p_msg_encode_getheaders(&w, m);
    peer_send(peer, P2P_MSG_GETHEADERS, &w);
    wbuf_free(&w);
    free(m);
}

void sync_handshake_done(struct peer *peer)
{
    /* From the block before our best header, so that a peer with the same
     * chain answers with at least that header and we learn what it has. */
    const struct block_index *best = chain_best_header(peer->p2p->env.chain);
    sync_send_getheaders(peer, best->prev ? best->prev : best, NULL);
}

void sync_on_getheaders(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct chain *c = p->env.chain;
    struct p2p_msg_getheaders *m = malloc(sizeof(*m));
    struct block_header *out = NULL;
    const struct block_index *start = NULL;
    size_t n = 0;
    struct wbuf w;

    if (!m)
        return;
    if (!p2p_msg_decode_getheaders(payload, len, m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-getheaders-encoding");
        free(m);
        return;
    }
    out = malloc(P2P_MAX_HEADERS * sizeof(*out));
    if (!out) {
        free(m);
        return;
    }
    if (m->n == 0) {
        /* No locator: just the header named by stop. */
        const struct block_index *bi = chain_lookup(c, m->stop);
        if (bi)
            out[n++] = bi->hdr;
    } else {
        /* The first locator entry we know, moved to where it meets our
         * active chain; genesis when we know none. */
        for (size_t i = 0; i < m->n && !start; i++) {
            const struct block_index *bi = chain_lookup(c, m->locator[i]);
            while (bi && !chain_contains(c, bi))
                bi = bi->prev;
            start = bi;
        }
        if (!start)
            start = chain_at(c, 0);
        for (uint64_t h = start->hdr.height + 1; n < P2P_MAX_HEADERS && h <= chain_height(c); h++) {
            const struct block_index *bi = chain_at(c, h);
            out[n++] = bi->hdr;
            if (memcmp(bi->hash, m->stop, HASH_SIZE) == 0)
                break;
        }
    }
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, out, n);
    peer_send(peer, P2P_MSG_HEADERS, &w);
    wbuf_free(&w);
    free(out);
    free(m);
}

void sync_peer_has(struct peer *peer, const struct block_index *bi)
{
    invset_add(&peer->known, bi->hash);
    if (peer->has_best_known && bi->hdr.height <= peer->best_known_height)
        return;
    memcpy(peer->best_known, bi->hash, HASH_SIZE);
    peer->best_known_height = bi->hdr.height;
    peer->has_best_known = true;
}

static bool leader_premature(const struct validation *v)
{
    return v->cls == VAL_PREMATURE && (v->code == REJECT_LEADER_NOT_YET_KNOWN ||
                                       v->code == REJECT_LEADER_UNKNOWN);
}

static void held_clear(struct peer *peer)
{
    peer->n_held_hdrs = 0;
    peer->held_more = false;
}

/* Whether a run from h (its parent indexed, or not) to top, whose leaders
 * the tip's state cannot tell, is worth indexing unchecked: it is higher
 * than the tip, or it could outrank the tip by its justified epoch
 * (chain_branch_wanted), is of no epoch after the tip's next (a lower
 * branch from a later epoch is nobody's chain yet: anyone can sign one) and
 * h's proposer has weight in the tip's vote weights (a throwaway key never
 * gets a lower branch indexed, fetched or evaluated). */
static bool unchecked_wanted(const struct p2p *p, const struct block_header *h,
                             const struct block_header *top)
{
    struct chain *c = p->env.chain;
    const struct chain_params *params = p->env.params;
    if (top->height > chain_height(c))
        return true;
    return params_epoch_of(params, top->slot) <=
               params_epoch_of(params, chain_tip(c)->hdr.slot) + 1 &&
           chain_branch_wanted(c, chain_lookup(c, h->prev), top->height) &&
           chain_has_vote_weight(c, h->proposer);
}

/* Processes a run of headers (each the parent of the next) from the peer
 * in order, until one's leader cannot be checked yet; returns how many were
 * used.  A run that forks below the tip ("leader-unknown") is indexed
 * unchecked once it could become the best chain (chain_branch_wanted),
 * within the peer's budget.  *stop: a header was refused (or is too
 * far ahead): the rest of the run is dropped. */
static size_t use_headers(struct peer *peer, const struct block_header *h, size_t n,
                          bool *unknown, const struct block_index **last, bool *stop)
{
    struct p2p *p = peer->p2p;
    struct chain *c = p->env.chain;
    uint8_t hash[HASH_SIZE];
    size_t i;

    *stop = false;
    for (i = 0; i < n; i++) {
        struct validation v;
        if (sync_too_far_ahead(p, &h[i])) {
            LOG_DEBUG(LOG_NET, "peer=%lld: header at slot %llu is ahead of our clock; held back",
                      (long long)peer->id, (unsigned long long)h[i].slot);
            peer->headers_retry_ms = time_mono_ms() + P2P_HEADERS_RETRY_MS;
            *stop = true;
            break;
        }
        bool unchecked = *unknown && unchecked_wanted(p, &h[i], &h[n - 1]) &&
                         peer->unchecked_added + (n - i) <= P2P_UNCHECKED_HEADERS_MAX;
        uint64_t doubles = chain_double_proposals(c);
        bool ok = unchecked ? chain_process_header_unchecked(c, &h[i], &v)
                            : chain_process_header(c, &h[i], &v);
        if (chain_double_proposals(c) != doubles &&
            ++peer->double_proposals >= P2P_MAX_DOUBLE_PROPOSALS) {
            /* A validator's equivocations are evidence, but each one is an
             * index entry: a peer relays at most this many. */
            peer_disconnect(peer, "too many double proposals");
            *stop = true;
            break;
        }
        if (!ok && leader_premature(&v)) {
            *unknown = v.code == REJECT_LEADER_UNKNOWN;
            break;
        }
        if (!ok && v.cls != VAL_DUPLICATE) {
            LOG_DEBUG(LOG_NET, "peer=%lld: header %llu refused: %s %s", (long long)peer->id,
                      (unsigned long long)h[i].height, v.reason, v.detail);
            if (sync_punishable(&v))
                peer_misbehaving(peer, P2P_SCORE_INVALID, v.reason);
            *stop = true;
            break;
        }
        if (ok && unchecked)
            peer->unchecked_added++;
        header_hash(&h[i], hash);
        const struct block_index *bi = chain_lookup(c, hash);
        if (bi) {
            sync_peer_has(peer, bi);
            *last = bi;
        }
    }
    return i;
}

/* Keeps h[0..n) as the peer's held run (replacing the one it had). */
static void hold_headers(struct peer *peer, const struct block_header *h, size_t n, bool unknown,
                         bool more)
{
    if (n > P2P_HELD_HEADERS_MAX) {
        n = P2P_HELD_HEADERS_MAX;
        more = true;
    }
    if (!peer->held_hdrs && !(peer->held_hdrs = malloc(P2P_HELD_HEADERS_MAX *
                                                       sizeof(*peer->held_hdrs))))
        return;
    memmove(peer->held_hdrs, h, n * sizeof(*h));
    peer->n_held_hdrs = n;
    peer->held_unknown = unknown;
    peer->held_more = more;
}

/* Tries the peer's held run again; asks for more headers when it is used up
 * and the peer had more. */
static void retry_peer(struct peer *peer)
{
    struct chain *c = peer->p2p->env.chain;
    const struct block_index *last = NULL;
    bool stop, unknown = peer->held_unknown;
    if (peer->n_held_hdrs == 0 || peer->disconnect)
        return;
    if (!chain_lookup(c, peer->held_hdrs[0].prev)) {
        held_clear(peer); /* its parent was never indexed: stale */
        return;
    }
    size_t used = use_headers(peer, peer->held_hdrs, peer->n_held_hdrs, &unknown, &last, &stop);
    if (stop) {
        held_clear(peer);
        return;
    }
    if (used == 0 && unknown == peer->held_unknown)
        return;
    bool more = peer->held_more;
    hold_headers(peer, peer->held_hdrs + used, peer->n_held_hdrs - used, unknown, more);
    if (peer->n_held_hdrs == 0 && more && last) {
        peer->held_more = false;
        sync_send_getheaders(peer, last, NULL);
    }
}

void sync_retry_held(struct p2p *p)
{
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        retry_peer(peer);
}

void sync_on_headers(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct chain *c = p->env.chain;
    struct p2p_msg_headers m;
    const struct block_index *last = NULL;
    uint8_t hash[HASH_SIZE], prev_hash[HASH_SIZE];
    bool stop, unknown = false, full;

    if (!p2p_msg_decode_headers(payload, len, &m)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-headers-encoding");
        return;
    }
    if (m.n == 0)
        return;
    full = m.n == P2P_MAX_HEADERS;
    for (size_t i = 0; i < m.n; i++) {
        header_hash(&m.v[i], hash);
        if (i > 0 && memcmp(m.v[i].prev, prev_hash, HASH_SIZE) != 0) {
            peer_misbehaving(peer, P2P_SCORE_NONCONTINUOUS, "non-continuous-headers");
            p2p_msg_headers_free(&m);
            return;
        }
        memcpy(prev_hash, hash, HASH_SIZE);
    }
    if (!chain_lookup(c, m.v[0].prev)) {
        /* It may continue the run we hold for the peer (an announcement
         * of its new tip, say). */
        if (peer->n_held_hdrs > 0) {
            header_hash(&peer->held_hdrs[peer->n_held_hdrs - 1], hash);
            if (memcmp(hash, m.v[0].prev, HASH_SIZE) == 0) {
                size_t room = P2P_HELD_HEADERS_MAX - peer->n_held_hdrs;
                size_t take = m.n < room ? m.n : room;
                memcpy(peer->held_hdrs + peer->n_held_hdrs, m.v, take * sizeof(*m.v));
                peer->n_held_hdrs += take;
                if (take < m.n || full)
                    peer->held_more = true;
                peer->unconnecting = 0;
                p2p_msg_headers_free(&m);
                retry_peer(peer);
                download_schedule(p);
                return;
            }
        }
        /* Perhaps we are on another branch, or far behind: ask from our
         * best header.  Peers that keep doing this are flooding us. */
        peer->unconnecting++;
        if (peer->unconnecting % P2P_MAX_UNCONNECTING_HEADERS == 0)
            peer_misbehaving(peer, P2P_SCORE_UNCONNECTING, "unconnecting-headers");
        sync_send_getheaders(peer, NULL, NULL);
        p2p_msg_headers_free(&m);
        return;
    }
    peer->unconnecting = 0;
    size_t used = use_headers(peer, m.v, m.n, &unknown, &last, &stop);
    if (used == m.n && last && peer->has_best_known) {
        /* Headers come from the peer's active chain: a run ending off the
         * branch of the best block we knew it to have means it moved to
         * another branch, which may be no higher (the fork choice ranks by
         * justified epoch first).  Its blocks are downloaded from it as its
         * best. */
        const struct block_index *best = chain_lookup(c, peer->best_known);
        if (best && chain_ancestor(best, last->hdr.height) != last) {
            memcpy(peer->best_known, last->hash, HASH_SIZE);
            peer->best_known_height = last->hdr.height;
        }
    }
    if (!stop && used < m.n) {
        /* The rest waits for the chain, unless the peer's held run already
         * reaches higher. */
        if (peer->n_held_hdrs == 0 ||
            m.v[m.n - 1].height > peer->held_hdrs[peer->n_held_hdrs - 1].height)
            hold_headers(peer, m.v + used, m.n - used, unknown, full);
    } else if (!stop && last && full) {
        /* A full message: the peer has more. */
        sync_send_getheaders(peer, last, NULL);
    }
    p2p_msg_headers_free(&m);
    download_schedule(p);
}

void sync_on_block_inv(struct peer *peer, const uint8_t hash[HASH_SIZE])
{
    const struct block_index *bi = chain_lookup(peer->p2p->env.chain, hash);
    if (bi)
        sync_peer_has(peer, bi);
}

