/* What RPC handlers read and change (see p2p.h): peer and traffic
 * statistics, the addnode list, disconnections, bans and pings.  Runs on
 * RPC threads with the node lock held: it changes tables only and leaves
 * the I/O to the event loop (p2p_wakeup).
 */
#include "p2p/internal.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

#include "state/chain.h"
#include "util/log.h"
#include "util/time.h"

uint16_t p2p_listen_port(const struct p2p *p)
{
    return p->bound_port;
}

uint64_t p2p_default_bantime(const struct p2p *p)
{
    return p->bantime;
}

static const char *conn_type_name(enum conn_type t)
{
    switch (t) {
    case CONN_INBOUND:
        return "inbound";
    case CONN_OUTBOUND:
        return "outbound-full-relay";
    case CONN_MANUAL:
        return "manual";
    }
    return "?";
}

/* The height of the last block the peer and our active chain share. */
static int64_t synced_blocks(struct chain *c, const struct block_index *bi)
{
    while (bi && !chain_contains(c, bi))
        bi = bi->prev;
    return bi ? (int64_t)bi->hdr.height : -1;
}

static void fill_stats(struct p2p *p, const struct peer *peer, struct p2p_peer_stats *s)
{
    uint64_t now_ms = time_mono_ms();
    const struct hmap_slot *slot;

    memset(s, 0, sizeof(*s));
    s->id = peer->id;
    memcpy(s->addr, peer->name, sizeof(s->addr));
    p2p_addr_format(&peer->local, s->addrbind);
    if (peer->has_addr_local)
        p2p_addr_format(&peer->addr_local, s->addrlocal);
    s->ipv4 = p2p_addr_is_ipv4(&peer->addr);
    s->inbound = peer->type == CONN_INBOUND;
    s->connection_type = conn_type_name(peer->type);
    s->handshake_done = peer->handshake_done;
    s->services = peer->services;
    s->version = peer->version;
    memcpy(s->subver, peer->user_agent, sizeof(s->subver));
    s->startingheight = peer->start_height;
    s->timeoffset = peer->time_offset;
    s->conntime = peer->conn_time;
    s->lastsend = peer->last_send;
    s->lastrecv = peer->last_recv;
    s->last_block = peer->last_block;
    s->last_transaction = peer->last_tx;
    s->bytessent = peer->bytes_sent;
    s->bytesrecv = peer->bytes_recv;
    memcpy(s->bytessent_per_msg, peer->sent_per_msg, sizeof(s->bytessent_per_msg));
    memcpy(s->bytesrecv_per_msg, peer->recv_per_msg, sizeof(s->bytesrecv_per_msg));
    s->has_ping = peer->has_ping;
    s->pingtime = (double)peer->ping_ms / 1000.0;
    s->minping = (double)peer->min_ping_ms / 1000.0;
    s->ping_waiting = peer->ping_nonce != 0;
    if (s->ping_waiting)
        s->pingwait = (double)(now_ms - peer->ping_start_ms) / 1000.0;
    s->synced_headers = s->synced_blocks = -1;
    if (peer->has_best_known) {
        const struct block_index *bi = chain_lookup(p->env.chain, peer->best_known);
        s->synced_headers = (int64_t)peer->best_known_height;
        s->synced_blocks = synced_blocks(p->env.chain, bi);
    }
    for (size_t i = 0; hmap_next(&p->block_requests, &i, &slot);) {
        const struct block_request *r = slot->val;
        if (r->peer_id == peer->id && s->n_inflight < P2P_MAX_BLOCKS_IN_FLIGHT)
            s->inflight[s->n_inflight++] = r->height;
    }
    /* Lowest first, as bitcoind lists them. */
    for (size_t i = 1; i < s->n_inflight; i++)
        for (size_t j = i; j > 0 && s->inflight[j - 1] > s->inflight[j]; j--) {
            uint64_t t = s->inflight[j];
            s->inflight[j] = s->inflight[j - 1];
            s->inflight[j - 1] = t;
        }
    s->addr_processed = peer->addr_processed;
    s->addr_rate_limited = peer->addr_rate_limited;
    s->banscore = peer->score;
    switch (peer->transport) {
    case TRANSPORT_V1:
        s->transport_protocol_type = "v1";
        break;
    case TRANSPORT_V2_DETECT:
        s->transport_protocol_type = "detecting";
        break;
    default:
        s->transport_protocol_type = "v2";
        break;
    }
    if (peer->v2)
        sodium_bin2hex(s->session_id, sizeof(s->session_id), peer->v2->session_id,
                       V2_SESSION_ID_SIZE);
    s->peerkey_verified = peer->peerkey_verified;
    if (peer->peerkey_proven)
        sodium_bin2hex(s->peerkey, sizeof(s->peerkey), peer->peerkey, V2_NODEKEY_SIZE);
}

bool p2p_get_peer_stats(struct p2p *p, struct p2p_peer_stats **out, size_t *n)
{
    size_t k = 0;
    struct p2p_peer_stats *v = malloc((p->n_peers ? p->n_peers : 1) * sizeof(*v));
    *out = NULL;
    *n = 0;
    if (!v)
        return false;
    for (const struct peer *peer = p->peers; peer; peer = peer->next)
        if (peer->connected && !peer->disconnect)
            fill_stats(p, peer, &v[k++]);
    /* The list is newest first; ids ascend. */
    for (size_t i = 0; i < k / 2; i++) {
        struct p2p_peer_stats t = v[i];
        v[i] = v[k - 1 - i];
        v[k - 1 - i] = t;
    }
    *out = v;
    *n = k;
    return true;
}

void p2p_get_net_stats(struct p2p *p, struct p2p_net_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->bytes_recv = p->bytes_recv;
    out->bytes_sent = p->bytes_sent;
    for (const struct peer *peer = p->peers; peer; peer = peer->next) {
        if (!peer->connected || peer->disconnect)
            continue;
        if (peer->type == CONN_INBOUND)
            out->connections_in++;
        else
            out->connections_out++;
    }
    out->listening = p->n_listeners > 0;
    out->port = p->bound_port;
    out->services = P2P_SERVICE_NETWORK;
    out->user_agent = p->user_agent;
    int64_t sorted[P2P_TIME_SAMPLES];
    size_t n = p->n_time_offsets;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && sorted[j - 1] > p->time_offsets[i]; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = p->time_offsets[i];
    }
    out->timeoffset = n ? sorted[n / 2] : 0;
    out->n_time_samples = n;
    for (size_t i = 0; i < p->n_local; i++) {
        p2p_addr_format_ip(&p->local[i].addr, out->local[i].address);
        out->local[i].port = p->local[i].addr.port;
        out->local[i].score = p->local[i].score;
    }
    out->n_local = p->n_local;
    sodium_bin2hex(out->nodekey, sizeof(out->nodekey), p->nodekey_pk, V2_NODEKEY_SIZE);
}

enum p2p_addnode_result p2p_addnode(struct p2p *p, const char *node, enum p2p_addnode_cmd cmd)
{
    struct p2p_addr a;
    size_t i;
    if (!p2p_addr_parse(node, p->env.params->p2p_port, &a) || a.port == 0)
        return P2P_ADDNODE_BAD_ADDRESS;
    for (i = 0; i < p->n_added; i++)
        if (strcmp(p->added[i].name, node) == 0 || p2p_addr_equal(&p->added[i].addr, &a))
            break;
    switch (cmd) {
    case P2P_ADDNODE_ADD:
        if (i < p->n_added)
            return P2P_ADDNODE_ALREADY_ADDED;
        if (p->n_added >= P2P_MAX_ADDNODE)
            return P2P_ADDNODE_FULL;
        if (!connman_add_node(p, node, &a))
            return P2P_ADDNODE_FULL;
        break;
    case P2P_ADDNODE_REMOVE:
        if (i == p->n_added)
            return P2P_ADDNODE_NOT_ADDED;
        free(p->added[i].name);
        p->added[i] = p->added[--p->n_added];
        return P2P_ADDNODE_OK;
    case P2P_ADDNODE_ONETRY: {
        struct p2p_addr *v = realloc(p->onetry, (p->n_onetry + 1) * sizeof(*v));
        if (!v)
            return P2P_ADDNODE_FULL;
        p->onetry = v;
        p->onetry[p->n_onetry++] = a;
        break;
    }
    }
    p2p_wakeup(p);
    return P2P_ADDNODE_OK;
}

int p2p_disconnect_address(struct p2p *p, const char *address)
{
    struct p2p_addr a;
    int found = 0;
    if (!p2p_addr_parse(address, 0, &a))
        return -1;
    for (struct peer *peer = p->peers; peer; peer = peer->next) {
        if (peer->disconnect || !p2p_addr_same_ip(&peer->addr, &a) ||
            (a.port != 0 && peer->addr.port != a.port))
            continue;
        peer_disconnect(peer, "disconnectnode");
        found++;
    }
    return found;
}

bool p2p_disconnect_id(struct p2p *p, int64_t id)
{
    struct peer *peer = peer_by_id(p, id);
    if (!peer || peer->disconnect)
        return false;
    peer_disconnect(peer, "disconnectnode");
    return true;
}

static void save_bans(struct p2p *p)
{
    if (p->bans_path && !banman_save(&p->bm, p->bans_path, p->env.params->magic))
        log_printf("Cannot write %s", p->bans_path);
}

bool p2p_ban(struct p2p *p, const struct p2p_subnet *net, uint64_t until)
{
    uint64_t now = time_now();
    if (banman_is_subnet_banned(&p->bm, net, now))
        return false;
    if (!banman_ban(&p->bm, net, now, until))
        return false;
    save_bans(p);
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        if (p2p_subnet_match(net, &peer->addr))
            peer_disconnect(peer, "banned");
    return true;
}

bool p2p_unban(struct p2p *p, const struct p2p_subnet *net)
{
    if (!banman_unban(&p->bm, net))
        return false;
    save_bans(p);
    return true;
}

void p2p_clear_banned(struct p2p *p)
{
    banman_clear(&p->bm);
    save_bans(p);
}

bool p2p_list_banned(struct p2p *p, struct p2p_ban_info **out, size_t *n)
{
    uint64_t now = time_now();
    size_t k = 0;
    struct p2p_ban_info *v = malloc((p->bm.n ? p->bm.n : 1) * sizeof(*v));
    *out = NULL;
    *n = 0;
    if (!v)
        return false;
    for (size_t i = 0; i < p->bm.n; i++) {
        const struct ban_entry *e = &p->bm.v[i];
        if (e->until <= now)
            continue;
        p2p_subnet_format(&e->net, v[k].subnet);
        v[k].created = e->created;
        v[k].until = e->until;
        k++;
    }
    *out = v;
    *n = k;
    return true;
}

void p2p_announce_block(struct p2p *p, const uint8_t hash[HASH_SIZE])
{
    if (p->n_announce >= P2P_ANNOUNCE_QUEUE_MAX)
        return;
    memcpy(p->announce_queue[p->n_announce++], hash, HASH_SIZE);
    p2p_wakeup(p);
}

void p2p_ping_all(struct p2p *p)
{
    p->pings_requested = true;
    p2p_wakeup(p);
}
