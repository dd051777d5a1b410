/* Connections in and out: the listening sockets and their inbound slots
 * (full slots make room by evicting a peer, evict.c), banned addresses
 * refused at the door, and the outbound connections the
 * tables call for -- every -connect / -addnode / addnode entry kept
 * connected (with a backoff), addnode onetry requests, and, unless
 * -connect was given, up to max_outbound peers from the address book (on
 * regtest, without -dialnonlocal, loopback ones only: addrman_keeps).
 */
#include "p2p/internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "consensus/params.h"
#include "util/log.h"
#include "util/time.h"

#define BEV_OPTIONS (BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS)
#define ATTEMPTS_PER_TICK 2

size_t connman_count(const struct p2p *p, enum conn_type type)
{
    size_t n = 0;
    for (const struct peer *peer = p->peers; peer; peer = peer->next)
        if (peer->type == type && !peer->disconnect)
            n++;
    return n;
}

static bool connected_to(const struct p2p *p, const struct p2p_addr *a)
{
    for (const struct peer *peer = p->peers; peer; peer = peer->next)
        if (!peer->disconnect && p2p_addr_equal(&peer->addr, a))
            return true;
    return false;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct p2p *p = arg;
    struct p2p_addr addr;
    (void)l;
    (void)len;

    pthread_mutex_lock(p->env.lock);
    if (!p2p_addr_from_sockaddr(&addr, sa)) {
        close(fd);
        pthread_mutex_unlock(p->env.lock);
        return;
    }
    char name[P2P_ADDR_STRLEN];
    p2p_addr_format(&addr, name);
    if (banman_is_banned(&p->bm, &addr, time_now())) {
        LOG_DEBUG(LOG_NET, "connection from %s dropped (banned)", name);
        close(fd);
    } else if (connman_count(p, CONN_INBOUND) >= (size_t)p->max_inbound && !evict_inbound(p)) {
        LOG_DEBUG(LOG_NET, "connection from %s dropped (inbound slots full, none to evict)", name);
        close(fd);
    } else {
        struct bufferevent *bev = bufferevent_socket_new(p->base, fd, BEV_OPTIONS);
        struct peer *peer = bev ? peer_new(p, bev, CONN_INBOUND, &addr) : NULL;
        if (!peer) {
            if (bev)
                bufferevent_free(bev);
            else
                close(fd);
        } else {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof(ss);
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
                p2p_addr_from_sockaddr(&peer->local, (const struct sockaddr *)&ss);
            peer->connected = true;
            bufferevent_enable(bev, EV_READ | EV_WRITE);
            LOG_DEBUG(LOG_NET, "accepted connection from %s peer=%lld", name, (long long)peer->id);
        }
    }
    pthread_mutex_unlock(p->env.lock);
}

static bool bind_one(struct p2p *p, const struct p2p_addr *a, bool v6only, char *err,
                     size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = p2p_addr_to_sockaddr(a, &ss);
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_THREADSAFE;
    char name[P2P_ADDR_STRLEN];
    if (v6only)
        flags |= LEV_OPT_BIND_IPV6ONLY;
    p2p_addr_format(a, name);
    struct evconnlistener *l =
        evconnlistener_new_bind(p->base, on_accept, p, flags, -1, (struct sockaddr *)&ss, (int)len);
    if (!l) {
        snprintf(err, errlen, "Unable to bind to %s on this computer. fmld is probably already "
                 "running.", name);
        return false;
    }
    struct evconnlistener **ls = realloc(p->listeners, (p->n_listeners + 1) * sizeof(*ls));
    struct p2p_addr *bound = realloc(p->bound, (p->n_bound + 1) * sizeof(*bound));
    if (bound)
        p->bound = bound;
    if (!ls || !bound) {
        if (ls)
            p->listeners = ls;
        evconnlistener_free(l);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    p->listeners = ls;
    p->listeners[p->n_listeners++] = l;
    struct p2p_addr actual = *a;
    struct sockaddr_storage got;
    socklen_t glen = sizeof(got);
    if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&got, &glen) == 0)
        p2p_addr_from_sockaddr(&actual, (const struct sockaddr *)&got);
    p->bound[p->n_bound++] = actual;
    if (!p->bound_port)
        p->bound_port = actual.port;
    /* A specific IP we listen on is one peers can reach us at. */
    if (!p2p_addr_is_unusable(&actual) && p->n_local < P2P_MAX_LOCAL)
        p->local[p->n_local++] = (struct local_addr){actual, 2};
    p2p_addr_format(&actual, name);
    log_printf("Bound to %s", name);
    return true;
}

bool connman_listen(struct p2p *p, const struct p2p_options *o, char *err, size_t errlen)
{
    struct p2p_addr a;
    if (o->n_bind == 0) {
        /* Every IPv4 and IPv6 address; one of them is enough. */
        char e4[256] = "", e6[256] = "";
        bool ok4 = p2p_addr_parse("0.0.0.0", o->port, &a) && bind_one(p, &a, false, e4, sizeof(e4));
        bool ok6 = p2p_addr_parse("::", o->port, &a) && bind_one(p, &a, true, e6, sizeof(e6));
        if (!ok4 && !ok6) {
            snprintf(err, errlen, "%s", e4[0] ? e4 : e6);
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < o->n_bind; i++) {
        if (!p2p_addr_parse(o->bind[i], o->port, &a)) {
            snprintf(err, errlen, "Invalid -bind address: %s", o->bind[i]);
            return false;
        }
        if (!bind_one(p, &a, !p2p_addr_is_ipv4(&a), err, errlen))
            return false;
    }
    return true;
}

void connman_stop_listening(struct p2p *p)
{
    for (size_t i = 0; i < p->n_listeners; i++)
        evconnlistener_free(p->listeners[i]);
    free(p->listeners);
    free(p->bound);
    p->listeners = NULL;
    p->bound = NULL;
    p->n_listeners = p->n_bound = 0;
    p->bound_port = 0;
    p->n_local = 0;
}

void connman_local_seen(struct p2p *p, const struct p2p_addr *ip, bool outbound,
                        const struct p2p_addr *from)
{
    if (!p->listen || !p->bound_port || p2p_addr_is_unusable(ip))
        return;
    for (size_t i = 0; i < p->n_local; i++)
        if (memcmp(p->local[i].addr.ip, ip->ip, sizeof(ip->ip)) == 0) {
            if (p->local[i].score < INT32_MAX)
                p->local[i].score++;
            return;
        }
    if (!outbound || p->n_local >= P2P_MAX_LOCAL)
        return;
    /* A new address needs outbound peers of two network groups: peers of
     * one group (one operator) cannot fill the list with made-up ones. */
    uint8_t group[5];
    p2p_netgroup(from, group);
    for (size_t i = 0; i < p->n_local_cand; i++) {
        struct local_candidate *c = &p->local_cand[i];
        if (memcmp(c->addr.ip, ip->ip, sizeof(ip->ip)) != 0)
            continue;
        if (memcmp(c->group, group, sizeof(group)) == 0)
            return;
        p->local[p->n_local] = (struct local_addr){*ip, 2};
        p->local[p->n_local++].addr.port = p->bound_port;
        *c = p->local_cand[--p->n_local_cand];
        if (p->next_local_cand > p->n_local_cand)
            p->next_local_cand = p->n_local_cand;
        return;
    }
    struct local_candidate *c;
    if (p->n_local_cand < P2P_LOCAL_CANDIDATES) {
        c = &p->local_cand[p->n_local_cand++];
    } else {
        c = &p->local_cand[p->next_local_cand];
        p->next_local_cand = (p->next_local_cand + 1) % P2P_LOCAL_CANDIDATES;
    }
    c->addr = *ip;
    memcpy(c->group, group, sizeof(group));
}

bool connman_connect(struct p2p *p, const struct p2p_addr *addr, enum conn_type type)
{
    struct sockaddr_storage ss;
    socklen_t len = p2p_addr_to_sockaddr(addr, &ss);
    struct bufferevent *bev = bufferevent_socket_new(p->base, -1, BEV_OPTIONS);
    struct peer *peer = bev ? peer_new(p, bev, type, addr) : NULL;
    if (!peer) {
        if (bev)
            bufferevent_free(bev);
        return false;
    }
    LOG_DEBUG(LOG_NET, "trying connection to %s peer=%lld", peer->name, (long long)peer->id);
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len) != 0) {
        peer_disconnect(peer, "connect failed");
        return false;
    }
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return true;
}

bool connman_add_node(struct p2p *p, const char *name, const struct p2p_addr *addr)
{
    struct added_node *v = realloc(p->added, (p->n_added + 1) * sizeof(*v));
    char *copy = strdup(name);
    if (v)
        p->added = v;
    if (!v || !copy) {
        free(copy);
        return false;
    }
    p->added[p->n_added++] = (struct added_node){.name = copy, .addr = *addr, .backoff_s = 1};
    return true;
}

static bool is_own_address(const struct p2p *p, const struct p2p_addr *a)
{
    for (size_t i = 0; i < p->n_bound; i++) {
        if (a->port != p->bound[i].port)
            continue;
        if (p2p_addr_same_ip(a, &p->bound[i]) || p2p_addr_is_loopback(a))
            return true;
    }
    return false;
}

static bool accept_candidate(void *arg, const struct addrman_entry *e)
{
    struct p2p *p = arg;
    if (p2p_addr_is_unusable(&e->addr) || e->addr.port == 0 || !addrman_keeps(&p->am, &e->addr))
        return false;
    if (p2p_addr_is_loopback(&e->addr) && !p->regtest && !p->env.params->regtest_rules)
        return false;
    return !banman_is_banned(&p->bm, &e->addr, time_now()) && !connected_to(p, &e->addr) &&
           !is_own_address(p, &e->addr);
}

void connman_open_onetry(struct p2p *p)
{
    for (size_t i = 0; i < p->n_onetry; i++)
        if (!connected_to(p, &p->onetry[i]) && !connman_connect(p, &p->onetry[i], CONN_MANUAL)) {
            /* onetry tries once: a failed try is dropped with the rest. */
        }
    p->n_onetry = 0;
}

void connman_open_connections(struct p2p *p, uint64_t now_ms)
{
    uint64_t now = time_now();

    connman_open_onetry(p);

    for (size_t i = 0; i < p->n_added; i++) {
        struct added_node *a = &p->added[i];
        if (connected_to(p, &a->addr)) {
            a->backoff_s = 1;
            continue;
        }
        if (now_ms < a->next_try_ms)
            continue;
        if (!connman_connect(p, &a->addr, CONN_MANUAL)) {
            /* Retried after the backoff below, like a refused connection. */
        }
        a->next_try_ms = now_ms + (uint64_t)a->backoff_s * 1000;
        if (a->backoff_s < P2P_ADDNODE_RETRY_MAX_S)
            a->backoff_s *= 2;
    }

    if (p->connect_only)
        return;
    size_t outbound = connman_count(p, CONN_OUTBOUND);
    for (int tries = 0; tries < ATTEMPTS_PER_TICK && outbound < (size_t)p->max_outbound; tries++) {
        const struct addrman_entry *e =
            addrman_select(&p->am, now, P2P_ADDR_RETRY_SECONDS, accept_candidate, p);
        if (!e)
            break;
        struct p2p_addr addr = e->addr;
        addrman_attempt(&p->am, &addr, now);
        if (connman_connect(p, &addr, CONN_OUTBOUND))
            outbound++;
    }
}
