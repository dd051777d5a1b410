/* Which inbound peer to drop when a new one arrives and the inbound slots
 * are full, so that whoever fills every slot first cannot keep everyone
 * else out.  bitcoind's rule (net.cpp, AttemptToEvictConnection), smaller:
 * peers that are useful or hard to fake are protected -- the 4 that most
 * recently gave us a new block, the 4 that most recently gave us a
 * transaction, the 8 with the fastest ping, then the longest connected half
 * of the rest -- and of the others the youngest peer of the network group
 * (IPv4 /16, IPv6 /32) that holds the most goes.  When every inbound peer
 * is protected, the new connection is refused instead.
 */
#include "p2p/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define PROTECT_BLOCK 4
#define PROTECT_TX 4
#define PROTECT_PING 8

/* The network group of an address: who could easily hold many addresses in it. */
void p2p_netgroup(const struct p2p_addr *a, uint8_t out[5])
{
    memset(out, 0, 5);
    if (p2p_addr_is_ipv4(a)) {
        out[0] = 4;
        memcpy(out + 1, a->ip + 12, 2);
    } else {
        out[0] = 6;
        memcpy(out + 1, a->ip, 4);
    }
}

/* Orders put the most deserving of protection first; ties go to the older
 * peer (lower id), so the choice never depends on the list's order. */
static int older_first(const struct peer *a, const struct peer *b)
{
    return (a->id > b->id) - (a->id < b->id);
}

static int by_block(const void *x, const void *y)
{
    const struct peer *a = *(struct peer *const *)x, *b = *(struct peer *const *)y;
    if (a->last_block != b->last_block)
        return a->last_block > b->last_block ? -1 : 1;
    return older_first(a, b);
}

static int by_tx(const void *x, const void *y)
{
    const struct peer *a = *(struct peer *const *)x, *b = *(struct peer *const *)y;
    if (a->last_tx != b->last_tx)
        return a->last_tx > b->last_tx ? -1 : 1;
    return older_first(a, b);
}

static int by_ping(const void *x, const void *y)
{
    const struct peer *a = *(struct peer *const *)x, *b = *(struct peer *const *)y;
    if (a->has_ping != b->has_ping)
        return a->has_ping ? -1 : 1;
    if (a->has_ping && a->min_ping_ms != b->min_ping_ms)
        return a->min_ping_ms < b->min_ping_ms ? -1 : 1;
    return older_first(a, b);
}

static int by_age(const void *x, const void *y)
{
    const struct peer *a = *(struct peer *const *)x, *b = *(struct peer *const *)y;
    return older_first(a, b);
}

static bool has_block(const struct peer *p)
{
    return p->last_block != 0;
}

static bool has_tx(const struct peer *p)
{
    return p->last_tx != 0;
}

static bool has_ping(const struct peer *p)
{
    return p->has_ping;
}

static bool always(const struct peer *p)
{
    (void)p;
    return true;
}

/* Sorts v by cmp and removes (protects) its first k entries that qualify;
 * returns the count left. */
static size_t protect(struct peer **v, size_t n, int (*cmp)(const void *, const void *),
                      bool (*qualifies)(const struct peer *), size_t k)
{
    size_t skip = 0;
    qsort(v, n, sizeof(*v), cmp);
    while (skip < n && skip < k && qualifies(v[skip]))
        skip++;
    memmove(v, v + skip, (n - skip) * sizeof(*v));
    return n - skip;
}

bool evict_inbound(struct p2p *p)
{
    size_t n = 0;
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        n += peer->type == CONN_INBOUND && !peer->disconnect;
    if (n == 0)
        return false;
    struct peer **v = malloc(n * sizeof(*v));
    if (!v)
        return false;
    n = 0;
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        if (peer->type == CONN_INBOUND && !peer->disconnect)
            v[n++] = peer;

    n = protect(v, n, by_block, has_block, PROTECT_BLOCK);
    n = protect(v, n, by_tx, has_tx, PROTECT_TX);
    n = protect(v, n, by_ping, has_ping, PROTECT_PING);
    n = protect(v, n, by_age, always, n / 2);
    if (n == 0) {
        free(v);
        return false;
    }
    /* v is by age now, oldest first: the group with the most candidates
     * (on a tie, the one whose youngest is younger), and its youngest. */
    struct peer *victim = NULL;
    size_t victim_group_size = 0;
    for (size_t i = n; i-- > 0;) {
        uint8_t g[5], h[5];
        size_t size = 0;
        p2p_netgroup(&v[i]->addr, g);
        for (size_t j = 0; j < n; j++) {
            p2p_netgroup(&v[j]->addr, h);
            size += memcmp(g, h, 5) == 0;
        }
        if (size > victim_group_size) {
            victim = v[i];
            victim_group_size = size;
        }
    }
    free(v);
    log_printf("Inbound slots full: dropping peer=%lld %s for a new connection",
               (long long)victim->id, victim->name);
    peer_disconnect(victim, "evicted for a new inbound connection");
    return true;
}
