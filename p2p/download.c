/* Parallel block download of the best header chain.
 *
 * The bodies we lack (chain_missing_blocks, lowest first, in a window of
 * P2P_DOWNLOAD_WINDOW) are requested from the peers whose best block shares
 * that chain, at most P2P_MAX_BLOCKS_IN_FLIGHT per peer, the least busy
 * first; a request that times out, or that the peer answers with notfound,
 * goes to another peer.  A body that arrives before its parent's
 * (prev-blk-not-stored) waits in a bounded buffer and is processed when the
 * parent is stored.  Off regtest, a block whose slot starts more than
 * P2P_MAX_FUTURE_SECONDS ahead of our clock is held back, not punished.
 */
#include "p2p/internal.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/params.h"
#include "state/chain.h"
#include "util/log.h"
#include "util/time.h"

/* ---- Requests ---- */

static void request_release(struct p2p *p, struct block_request *r)
{
    if (r->peer_id >= 0) {
        struct peer *peer = peer_by_id(p, r->peer_id);
        if (peer && peer->blocks_in_flight)
            peer->blocks_in_flight--;
    }
    r->peer_id = -1;
}

static void request_done(struct p2p *p, const uint8_t hash[HASH_SIZE])
{
    struct block_request *r = hmap_remove(&p->block_requests, hash, HASH_SIZE);
    if (r) {
        request_release(p, r);
        free(r);
    }
}

/* Takes the request away from its peer: another peer gets it, or this one
 * again after a pause when nobody else has the block. */
static void request_avoid(struct p2p *p, struct block_request *r, uint64_t now_ms)
{
    int64_t id = r->peer_id;
    request_release(p, r);
    r->avoid_peer = id;
    r->deadline_ms = now_ms + P2P_BLOCK_TIMEOUT_BASE_MS;
}

void download_on_notfound(struct peer *peer, const uint8_t hash[HASH_SIZE])
{
    struct p2p *p = peer->p2p;
    struct block_request *r = hmap_get(&p->block_requests, hash, HASH_SIZE);
    if (!r || r->peer_id != peer->id)
        return;
    /* We asked because the peer claims the block (its headers or inv): not
     * having it stalls the branch as much as not answering. */
    if (++peer->stalls >= P2P_MAX_STALLS && !peer->disconnect)
        peer_disconnect(peer, "does not serve the blocks it claims");
    request_avoid(p, r, time_mono_ms());
}

void download_peer_gone(struct peer *peer)
{
    struct p2p *p = peer->p2p;
    const struct hmap_slot *slot;
    for (size_t i = 0; hmap_next(&p->block_requests, &i, &slot);) {
        struct block_request *r = slot->val;
        if (r->peer_id == peer->id)
            r->peer_id = -1;
        if (r->avoid_peer == peer->id)
            r->avoid_peer = -1;
    }
}

struct candidate {
    struct peer *peer;
    const struct block_index *best; /* the best block we know it has */
    struct p2p_inv *req;
    size_t nreq;
};

static bool is_held(const struct p2p *p, const uint8_t hash[HASH_SIZE])
{
    for (size_t i = 0; i < p->n_held; i++)
        if (memcmp(p->held[i].hash, hash, HASH_SIZE) == 0)
            return true;
    return false;
}

/* Branches whose leaders were checked first (a branch forking below the
 * tip's epoch can be signed by anyone: taller ones must not take every
 * download slot from the chain the validators extend); then highest first;
 * among equals the first seen. */
static int cmp_candidates(const void *a, const void *b)
{
    const struct block_index *x = ((const struct candidate *)a)->best;
    const struct block_index *y = ((const struct candidate *)b)->best;
    bool ux = (x->status & BLOCK_LEADER_UNCHECKED) != 0;
    bool uy = (y->status & BLOCK_LEADER_UNCHECKED) != 0;
    if (ux != uy)
        return ux ? 1 : -1;
    if (x->hdr.height != y->hdr.height)
        return x->hdr.height > y->hdr.height ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Requests the missing bodies of target's branch from the candidates that
 * have them. */
static void schedule_target(struct p2p *p, const struct block_index *target,
                            struct candidate *cand, size_t nc,
                            const struct block_index **missing, uint64_t now_ms,
                            size_t *lower_left)
{
    struct chain *c = p->env.chain;
    bool lower = chain_lower_branch(c, target);
    size_t n = chain_missing_blocks_to(c, target, missing, P2P_DOWNLOAD_WINDOW);
    for (size_t i = 0; i < n; i++) {
        const struct block_index *bi = missing[i];
        struct block_request *r = hmap_get(&p->block_requests, bi->hash, HASH_SIZE);
        if ((r && r->peer_id >= 0) || is_held(p, bi->hash) || sync_too_far_ahead(p, &bi->hdr))
            continue;
        /* Bodies of lower branches not evaluated yet: a global cap. */
        if (lower && *lower_left == 0)
            break;
        /* With the buffer full, only bodies that can be processed at once. */
        if (p->held_bytes >= P2P_HELD_BYTES_MAX && !(bi->prev->status & BLOCK_HAVE_DATA))
            continue;
        struct candidate *pick = NULL;
        for (size_t k = 0; k < nc; k++) {
            struct candidate *cd = &cand[k];
            if (cd->peer->blocks_in_flight >= P2P_MAX_BLOCKS_IN_FLIGHT ||
                (r && r->avoid_peer == cd->peer->id))
                continue;
            if (pick && cd->peer->blocks_in_flight >= pick->peer->blocks_in_flight)
                continue;
            if (chain_ancestor(cd->best, bi->hdr.height) != bi)
                continue;
            pick = cd;
        }
        if (!pick && r && r->avoid_peer >= 0 && now_ms >= r->deadline_ms) {
            /* Nobody else has it: after a pause, try the same peer again. */
            for (size_t k = 0; k < nc && !pick; k++)
                if (cand[k].peer->id == r->avoid_peer &&
                    cand[k].peer->blocks_in_flight < P2P_MAX_BLOCKS_IN_FLIGHT &&
                    chain_ancestor(cand[k].best, bi->hdr.height) == bi)
                    pick = &cand[k];
        }
        if (!pick)
            continue;
        if (!r) {
            if (!(r = calloc(1, sizeof(*r))))
                break;
            memcpy(r->hash, bi->hash, HASH_SIZE);
            r->avoid_peer = -1;
            if (!hmap_put(&p->block_requests, bi->hash, HASH_SIZE, r, NULL)) {
                free(r);
                break;
            }
        }
        r->height = bi->hdr.height;
        r->peer_id = pick->peer->id;
        r->deadline_ms = now_ms + P2P_BLOCK_TIMEOUT_BASE_MS + 1000 * pick->peer->blocks_in_flight;
        pick->peer->blocks_in_flight++;
        if (lower)
            (*lower_left)--;
        pick->req[pick->nreq].type = P2P_INV_BLOCK;
        memcpy(pick->req[pick->nreq].hash, bi->hash, HASH_SIZE);
        pick->nreq++;
    }
}

/* Every branch a peer can serve that could become the best chain (higher
 * than our tip, or forking within finality_depth of it: chain_branch_wanted)
 * is a download target, the highest first: when the bodies of the best header branch do
 * not come (its only peer stalls or left), the next one still moves the
 * chain, and a header-only branch nobody serves is not waited for. */
void download_schedule(struct p2p *p)
{
    struct chain *c = p->env.chain;
    const struct block_index **missing;
    struct candidate *cand;
    size_t nc = 0;
    uint64_t now_ms = time_mono_ms();

    sync_retry_held(p);
    cand = calloc(p->n_peers ? p->n_peers : 1, sizeof(*cand));
    missing = malloc(P2P_DOWNLOAD_WINDOW * sizeof(*missing));
    if (!cand || !missing)
        goto out;
    for (struct peer *peer = p->peers; peer; peer = peer->next) {
        if (!peer->handshake_done || peer->disconnect || !peer->has_best_known ||
            peer->blocks_in_flight >= P2P_MAX_BLOCKS_IN_FLIGHT)
            continue;
        const struct block_index *pb = chain_lookup(c, peer->best_known);
        if (!pb || !chain_branch_wanted(c, pb, pb->hdr.height) ||
            (pb->status & (BLOCK_FAILED | BLOCK_FAILED_CHILD)))
            continue;
        cand[nc].peer = peer;
        cand[nc].best = pb;
        cand[nc].req = malloc(P2P_MAX_BLOCKS_IN_FLIGHT * sizeof(struct p2p_inv));
        if (!cand[nc].req)
            goto out;
        nc++;
    }
    if (nc == 0)
        goto out;
    size_t lower_have = chain_lower_bodies(c), lower_max = chain_lower_bodies_max(c);
    size_t lower_left = lower_have < lower_max ? lower_max - lower_have : 0;
    qsort(cand, nc, sizeof(*cand), cmp_candidates);
    for (size_t k = 0, ntargets = 0; k < nc && ntargets < P2P_DOWNLOAD_TARGETS_MAX; k++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = chain_ancestor(cand[j].best, cand[k].best->hdr.height) == cand[k].best;
        if (seen)
            continue; /* within a branch already scheduled */
        schedule_target(p, cand[k].best, cand, nc, missing, now_ms, &lower_left);
        ntargets++;
    }
    for (size_t k = 0; k < nc; k++) {
        if (cand[k].nreq == 0)
            continue;
        struct wbuf w;
        wbuf_init(&w);
        p2p_msg_encode_inv(&w, cand[k].req, cand[k].nreq);
        LOG_DEBUG(LOG_NET, "requesting %zu blocks from peer=%lld", cand[k].nreq,
                  (long long)cand[k].peer->id);
        peer_send(cand[k].peer, P2P_MSG_GETDATA, &w);
        wbuf_free(&w);
    }
out:
    for (size_t k = 0; cand && k < nc; k++)
        free(cand[k].req);
    free(cand);
    free(missing);
}

/* The highest block of leaf's header-only part that a connected peer
 * claims (leaf itself when it is served), or NULL. */
static const struct block_index *claimed_part(struct p2p *p, const struct block_index *leaf)
{
    const struct block_index *best = NULL;
    for (struct peer *peer = p->peers; peer; peer = peer->next) {
        if (peer->disconnect || !peer->has_best_known)
            continue;
        const struct block_index *pb = chain_lookup(p->env.chain, peer->best_known);
        if (pb && !(pb->status & BLOCK_HAVE_DATA) && (!best || pb->hdr.height > best->hdr.height) &&
            chain_ancestor(leaf, pb->hdr.height) == pb)
            best = pb;
    }
    return best;
}

/* Forgets the header-only branches that no connected peer served at two
 * sweeps in a row: their bodies are not coming, and they would otherwise
 * stay in the index for good.  A peer claiming a block keeps that block
 * and its ancestors, not what others built above it and left: else one
 * claim would keep every run of headers that connections, one after
 * another, hang above it. */
static void forget_stalled(struct p2p *p, uint64_t now_ms)
{
    const struct block_index **leaves;
    uint8_t marks[P2P_FORGET_MAX][HASH_SIZE];
    size_t nm = 0, forgotten = 0;

    uint64_t interval = p->regtest ? 5000 : P2P_FORGET_INTERVAL_MS;
    if (p->next_forget_ms == 0)
        p->next_forget_ms = now_ms + interval; /* peers come back after a start */
    if (now_ms < p->next_forget_ms)
        return;
    p->next_forget_ms = now_ms + interval;
    /* Every peer serves at most one leaf: P2P_FORGET_MAX unserved ones are
     * looked at whatever the peers claim. */
    size_t max = p->n_peers + P2P_FORGET_MAX;
    if (!(leaves = malloc(max * sizeof(*leaves))))
        return;
    size_t n = chain_header_leaves(p->env.chain, leaves, max);
    for (size_t i = 0; i < n; i++) {
        const struct block_index *keep = claimed_part(p, leaves[i]);
        if (keep == leaves[i])
            continue;
        bool marked = false;
        for (size_t j = 0; j < p->n_forget_marks && !marked; j++)
            marked = memcmp(p->forget_marks[j], leaves[i]->hash, HASH_SIZE) == 0;
        if (marked)
            forgotten += chain_forget_headers_above(p->env.chain, leaves[i], keep);
        else if (nm < P2P_FORGET_MAX)
            memcpy(marks[nm++], leaves[i]->hash, HASH_SIZE);
    }
    free(leaves);
    memcpy(p->forget_marks, marks, nm * HASH_SIZE);
    p->n_forget_marks = nm;
    if (forgotten)
        log_printf("Forgot %zu headers of branches whose bodies no peer serves", forgotten);
}

void download_check_timeouts(struct p2p *p, uint64_t now_ms)
{
    struct chain *c = p->env.chain;
    const struct hmap_slot *slot;
    uint8_t (*drop)[HASH_SIZE] = NULL;
    size_t ndrop = 0, cap = 0;
    bool moved = false;

    for (size_t i = 0; hmap_next(&p->block_requests, &i, &slot);) {
        struct block_request *r = slot->val;
        const struct block_index *bi = chain_lookup(c, r->hash);
        if (!bi || (bi->status & (BLOCK_HAVE_DATA | BLOCK_FAILED | BLOCK_FAILED_CHILD))) {
            if (ndrop == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                void *d = realloc(drop, ncap * sizeof(*drop));
                if (!d)
                    break;
                drop = d;
                cap = ncap;
            }
            memcpy(drop[ndrop++], r->hash, HASH_SIZE);
            continue;
        }
        if (r->peer_id >= 0 && now_ms > r->deadline_ms) {
            LOG_DEBUG(LOG_NET, "block %llu from peer=%lld timed out; asking another peer",
                      (unsigned long long)r->height, (long long)r->peer_id);
            /* A peer that lets requests time out again and again without
             * sending a block holds up the branch it claims: dropped. */
            struct peer *peer = peer_by_id(p, r->peer_id);
            if (peer && ++peer->stalls >= P2P_MAX_STALLS && !peer->disconnect)
                peer_disconnect(peer, "stalling block download");
            request_avoid(p, r, now_ms);
            moved = true;
        }
    }
    for (size_t i = 0; i < ndrop; i++)
        request_done(p, drop[i]);
    free(drop);
    forget_stalled(p, now_ms);
    if (moved)
        download_schedule(p);
}

/* ---- Blocks ---- */

static void held_remove(struct p2p *p, size_t i, struct held_block *out)
{
    *out = p->held[i];
    p->held_bytes -= p->held[i].size;
    p->held[i] = p->held[--p->n_held];
}

/* Keeps a body whose parent's body we lack; takes b. */
static void hold(struct p2p *p, struct held_block *hb)
{
    if (is_held(p, hb->hash)) {
        block_free(&hb->block);
        return;
    }
    while (p->n_held > 0 &&
           (p->n_held >= P2P_HELD_BLOCKS_MAX || p->held_bytes + hb->size > P2P_HELD_BYTES_MAX)) {
        /* Make room by dropping the highest (least urgent), unless that is
         * the newcomer. */
        size_t hi = 0;
        for (size_t i = 1; i < p->n_held; i++)
            if (p->held[i].block.hdr.height > p->held[hi].block.hdr.height)
                hi = i;
        if (p->held[hi].block.hdr.height <= hb->block.hdr.height) {
            block_free(&hb->block);
            return;
        }
        struct held_block old;
        held_remove(p, hi, &old);
        block_free(&old.block);
    }
    if (!p->held) {
        p->held = malloc(P2P_HELD_BLOCKS_MAX * sizeof(*p->held));
        if (!p->held) {
            block_free(&hb->block);
            return;
        }
    }
    p->held[p->n_held++] = *hb;
    p->held_bytes += hb->size;
}

/* Processes one body; true when it was stored.  Takes hb->block. */
static bool process_one(struct p2p *p, struct held_block *hb)
{
    struct validation v;
    struct peer *peer = hb->peer_id >= 0 ? peer_by_id(p, hb->peer_id) : NULL;
    bool ok = chain_process_block(p->env.chain, &hb->block, &v);

    if (ok) {
        const struct block_index *bi = chain_lookup(p->env.chain, hb->hash);
        if (peer && bi && (bi->status & (BLOCK_FAILED | BLOCK_FAILED_CHILD))) {
            /* Stored, then its branch failed when connected (a side branch
             * is judged when it overtakes the tip): the peer served an
             * invalid branch, and made us store it. */
            peer_misbehaving(peer, P2P_SCORE_INVALID, "bad-branch");
        } else if (peer && bi) {
            sync_peer_has(peer, bi);
            peer->last_block = time_now();
        }
        block_free(&hb->block);
        return true;
    }
    if (v.cls == VAL_PREMATURE && v.code == REJECT_PREV_BLK_NOT_STORED) {
        hold(p, hb);
        return false;
    }
    if (v.cls != VAL_DUPLICATE)
        LOG_DEBUG(LOG_NET, "block %llu from peer=%lld refused: %s %s",
                  (unsigned long long)hb->block.hdr.height, (long long)hb->peer_id, v.reason,
                  v.detail);
    if (v.cls == VAL_PREMATURE && peer)
        sync_send_getheaders(peer, NULL, hb->hash); /* unknown parent */
    if (peer && sync_punishable(&v))
        peer_misbehaving(peer, P2P_SCORE_INVALID, v.reason);
    block_free(&hb->block);
    return false;
}

/* Processes a body, then every held body that was waiting for one stored. */
static void accept_block(struct p2p *p, struct held_block *first)
{
    uint8_t (*stored)[HASH_SIZE] = NULL;
    size_t n = 0, cap = 0;
    struct held_block cur = *first;

    for (;;) {
        if (process_one(p, &cur)) {
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                void *s = realloc(stored, ncap * sizeof(*stored));
                if (!s)
                    break;
                stored = s;
                cap = ncap;
            }
            memcpy(stored[n++], cur.hash, HASH_SIZE);
        }
        bool found = false;
        while (n > 0 && !found) {
            for (size_t i = 0; i < p->n_held && !found; i++) {
                if (memcmp(p->held[i].block.hdr.prev, stored[n - 1], HASH_SIZE) == 0) {
                    held_remove(p, i, &cur);
                    found = true;
                }
            }
            if (!found)
                n--;
        }
        if (!found)
            break;
    }
    free(stored);
}

/* A block nobody asked for: only a child of our tip is taken (it either
 * becomes the tip or is invalid).  Of any other, the header alone is
 * checked (a wrong leader or signature costs the peer its connection); the
 * body is not stored, and the peer is scored for sending it, unless we do
 * not know its parent (we may be behind: we ask for headers). */
static bool take_unrequested(struct peer *peer, struct held_block *hb)
{
    struct p2p *p = peer->p2p;
    struct chain *c = p->env.chain;
    const struct block_index *bi = chain_lookup(c, hb->hash);
    struct validation v;

    if (bi && (bi->status & BLOCK_HAVE_DATA))
        return false; /* a late copy of one we have */
    if (memcmp(hb->block.hdr.prev, chain_tip(c)->hash, HASH_SIZE) == 0)
        return true;
    if (!bi && !chain_process_header(c, &hb->block.hdr, &v) && v.cls != VAL_DUPLICATE) {
        if (sync_punishable(&v)) {
            LOG_DEBUG(LOG_NET, "peer=%lld: unrequested block %llu refused: %s",
                      (long long)peer->id, (unsigned long long)hb->block.hdr.height, v.reason);
            peer_misbehaving(peer, P2P_SCORE_INVALID, v.reason);
            return false;
        }
        if (v.cls == VAL_PREMATURE && v.code == REJECT_PREV_BLK_NOT_FOUND) {
            /* Perhaps we are behind: ask for the headers; nothing stored. */
            sync_send_getheaders(peer, NULL, hb->hash);
            return false;
        }
    }
    if ((bi = chain_lookup(c, hb->hash)))
        sync_peer_has(peer, bi);
    peer_misbehaving(peer, P2P_SCORE_UNREQUESTED, "unrequested-block");
    return false;
}

void download_on_block(struct peer *peer, const uint8_t *payload, size_t len)
{
    struct p2p *p = peer->p2p;
    struct held_block hb = {.size = len, .peer_id = peer->id};

    if (!p2p_msg_decode_block(payload, len, p->env.params->max_block_size, &hb.block)) {
        peer_misbehaving(peer, P2P_SCORE_BAD_ENCODING, "bad-block-encoding");
        return;
    }
    header_hash(&hb.block.hdr, hb.hash);
    invset_add(&peer->known, hb.hash);
    bool requested = hmap_get(&p->block_requests, hb.hash, HASH_SIZE) != NULL;
    request_done(p, hb.hash);
    if (sync_too_far_ahead(p, &hb.block.hdr)) {
        LOG_DEBUG(LOG_NET, "peer=%lld: block at slot %llu is ahead of our clock; held back",
                  (long long)peer->id, (unsigned long long)hb.block.hdr.slot);
        block_free(&hb.block);
        return;
    }
    if (!requested && !take_unrequested(peer, &hb)) {
        block_free(&hb.block);
        return;
    }
    peer->stalls = 0;
    accept_block(p, &hb);
    /* Refill in batches rather than after every block. */
    if (peer->blocks_in_flight <= P2P_MAX_BLOCKS_IN_FLIGHT / 2)
        download_schedule(p);
}

void download_free(struct p2p *p)
{
    hmap_free(&p->block_requests, free);
    for (size_t i = 0; i < p->n_held; i++)
        block_free(&p->held[i].block);
    free(p->held);
    p->held = NULL;
    p->n_held = p->held_bytes = 0;
}
