/* P2P message payload codecs (see messages.h).  Pure functions of bytes:
 * no I/O, no clock, no chain. */
#include "p2p/messages.h"

#include <stdlib.h>
#include <string.h>

#define NETADDR_SIZE (8 + 16 + 2)
#define TIMED_ADDR_SIZE (8 + NETADDR_SIZE)
#define INV_SIZE (4 + HASH_SIZE)

static const char *const commands[P2P_MSG_COUNT] = {
    [P2P_MSG_VERSION] = "version",
    [P2P_MSG_VERACK] = "verack",
    [P2P_MSG_PING] = "ping",
    [P2P_MSG_PONG] = "pong",
    [P2P_MSG_GETADDR] = "getaddr",
    [P2P_MSG_ADDR] = "addr",
    [P2P_MSG_INV] = "inv",
    [P2P_MSG_GETDATA] = "getdata",
    [P2P_MSG_NOTFOUND] = "notfound",
    [P2P_MSG_GETHEADERS] = "getheaders",
    [P2P_MSG_HEADERS] = "headers",
    [P2P_MSG_BLOCK] = "block",
    [P2P_MSG_TX] = "tx",
};

const char *p2p_msg_command(enum p2p_msg_type t)
{
    return (unsigned)t < P2P_MSG_COUNT ? commands[t] : "?";
}

bool p2p_msg_from_command(const char *command, enum p2p_msg_type *t)
{
    for (unsigned i = 0; i < P2P_MSG_COUNT; i++) {
        if (strcmp(commands[i], command) == 0) {
            *t = (enum p2p_msg_type)i;
            return true;
        }
    }
    return false;
}

uint32_t p2p_msg_max_payload(enum p2p_msg_type t, uint32_t max_block_size)
{
    switch (t) {
    case P2P_MSG_VERSION:
        return (uint32_t)(4 + 8 + 8 + 2 * NETADDR_SIZE + 8 + compact_size_len(P2P_MAX_USER_AGENT) +
                          P2P_MAX_USER_AGENT + 8 + HASH_SIZE);
    case P2P_MSG_VERACK:
    case P2P_MSG_GETADDR:
        return 0;
    case P2P_MSG_PING:
    case P2P_MSG_PONG:
        return 8;
    case P2P_MSG_ADDR:
        return (uint32_t)(compact_size_len(P2P_MAX_ADDR) + P2P_MAX_ADDR * TIMED_ADDR_SIZE);
    case P2P_MSG_INV:
    case P2P_MSG_GETDATA:
    case P2P_MSG_NOTFOUND:
        return (uint32_t)(compact_size_len(P2P_MAX_INV) + (size_t)P2P_MAX_INV * INV_SIZE);
    case P2P_MSG_GETHEADERS:
        return (uint32_t)(compact_size_len(P2P_MAX_LOCATOR) + P2P_MAX_LOCATOR * HASH_SIZE +
                          HASH_SIZE);
    case P2P_MSG_HEADERS:
        return (uint32_t)(compact_size_len(P2P_MAX_HEADERS) +
                          (size_t)P2P_MAX_HEADERS * BLOCK_HEADER_SIZE);
    case P2P_MSG_BLOCK:
    case P2P_MSG_TX:
        return max_block_size;
    }
    return 0;
}

/* ---- version ---- */

static void put_netaddr(struct wbuf *w, const struct p2p_netaddr *a)
{
    put_u64(w, a->services);
    put_bytes(w, a->addr.ip, 16);
    put_u16(w, a->addr.port);
}

static bool get_netaddr(struct rbuf *r, struct p2p_netaddr *a)
{
    return get_u64(r, &a->services) && get_bytes(r, a->addr.ip, 16) && get_u16(r, &a->addr.port);
}

void p2p_msg_encode_version(struct wbuf *w, const struct p2p_msg_version *m)
{
    put_u32(w, m->version);
    put_u64(w, m->services);
    put_u64(w, m->timestamp);
    put_netaddr(w, &m->addr_recv);
    put_netaddr(w, &m->addr_from);
    put_u64(w, m->nonce);
    put_varbytes(w, m->user_agent, strnlen(m->user_agent, P2P_MAX_USER_AGENT));
    put_u64(w, m->best_height);
    put_bytes(w, m->genesis, HASH_SIZE);
}

bool p2p_msg_decode_version(const uint8_t *p, size_t n, struct p2p_msg_version *m)
{
    struct rbuf r;
    const uint8_t *ua;
    size_t ua_len;

    memset(m, 0, sizeof(*m));
    rbuf_init(&r, p, n);
    if (!get_u32(&r, &m->version) || !get_u64(&r, &m->services) ||
        !get_u64(&r, &m->timestamp) || !get_netaddr(&r, &m->addr_recv) ||
        !get_netaddr(&r, &m->addr_from) || !get_u64(&r, &m->nonce) ||
        !get_varbytes(&r, &ua, &ua_len, P2P_MAX_USER_AGENT) || !get_u64(&r, &m->best_height) ||
        !get_bytes(&r, m->genesis, HASH_SIZE) || !rbuf_done(&r))
        return false;
    /* Printable ASCII only: it is shown in logs and RPC answers. */
    for (size_t i = 0; i < ua_len; i++)
        if (ua[i] < 0x20 || ua[i] > 0x7e)
            return false;
    memcpy(m->user_agent, ua, ua_len);
    m->user_agent[ua_len] = '\0';
    return true;
}

/* ---- empty messages, ping, pong ---- */

bool p2p_msg_decode_empty(const uint8_t *p, size_t n)
{
    (void)p;
    return n == 0;
}

void p2p_msg_encode_nonce(struct wbuf *w, uint64_t nonce)
{
    put_u64(w, nonce);
}

bool p2p_msg_decode_nonce(const uint8_t *p, size_t n, uint64_t *nonce)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_u64(&r, nonce) && rbuf_done(&r);
}

/* ---- Lists: a CompactSize count no larger than max, then exactly that
 * many fixed-size entries.  The count is checked against the bytes left
 * before anything is allocated. ---- */

static bool get_count(struct rbuf *r, size_t max, size_t entry_size, size_t *count)
{
    uint64_t c;
    if (!get_compact(r, &c, max))
        return false;
    if (c * entry_size != r->left)
        return false;
    *count = (size_t)c;
    return true;
}

/* ---- addr ---- */

void p2p_msg_encode_addr(struct wbuf *w, const struct p2p_timed_addr *v, size_t n)
{
    put_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        put_u64(w, v[i].time);
        put_u64(w, v[i].services);
        put_bytes(w, v[i].addr.ip, 16);
        put_u16(w, v[i].addr.port);
    }
}

bool p2p_msg_decode_addr(const uint8_t *p, size_t n, struct p2p_msg_addr *m)
{
    struct rbuf r;
    size_t count;

    m->n = 0;
    m->v = NULL;
    rbuf_init(&r, p, n);
    if (!get_count(&r, P2P_MAX_ADDR, TIMED_ADDR_SIZE, &count))
        return false;
    if (count && !(m->v = calloc(count, sizeof(*m->v))))
        return false;
    for (size_t i = 0; i < count; i++) {
        struct p2p_timed_addr *a = &m->v[i];
        if (!get_u64(&r, &a->time) || !get_u64(&r, &a->services) ||
            !get_bytes(&r, a->addr.ip, 16) || !get_u16(&r, &a->addr.port))
            break;
    }
    if (!rbuf_done(&r)) {
        p2p_msg_addr_free(m);
        return false;
    }
    m->n = count;
    return true;
}

void p2p_msg_addr_free(struct p2p_msg_addr *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* ---- inv, getdata, notfound ---- */

void p2p_msg_encode_inv(struct wbuf *w, const struct p2p_inv *v, size_t n)
{
    put_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        put_u32(w, v[i].type);
        put_bytes(w, v[i].hash, HASH_SIZE);
    }
}

bool p2p_msg_decode_inv(const uint8_t *p, size_t n, struct p2p_msg_inv *m)
{
    struct rbuf r;
    size_t count;
    bool ok = true;

    m->n = 0;
    m->v = NULL;
    rbuf_init(&r, p, n);
    if (!get_count(&r, P2P_MAX_INV, INV_SIZE, &count))
        return false;
    if (count && !(m->v = calloc(count, sizeof(*m->v))))
        return false;
    for (size_t i = 0; ok && i < count; i++) {
        struct p2p_inv *e = &m->v[i];
        ok = get_u32(&r, &e->type) && get_bytes(&r, e->hash, HASH_SIZE) &&
             (e->type == P2P_INV_TX || e->type == P2P_INV_BLOCK);
    }
    if (!ok || !rbuf_done(&r)) {
        p2p_msg_inv_free(m);
        return false;
    }
    m->n = count;
    return true;
}

void p2p_msg_inv_free(struct p2p_msg_inv *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* ---- getheaders ---- */

void p2p_msg_encode_getheaders(struct wbuf *w, const struct p2p_msg_getheaders *m)
{
    size_t n = m->n < P2P_MAX_LOCATOR ? m->n : P2P_MAX_LOCATOR;
    put_compact(w, n);
    for (size_t i = 0; i < n; i++)
        put_bytes(w, m->locator[i], HASH_SIZE);
    put_bytes(w, m->stop, HASH_SIZE);
}

bool p2p_msg_decode_getheaders(const uint8_t *p, size_t n, struct p2p_msg_getheaders *m)
{
    struct rbuf r;
    uint64_t count;

    m->n = 0;
    rbuf_init(&r, p, n);
    if (!get_compact(&r, &count, P2P_MAX_LOCATOR))
        return false;
    for (size_t i = 0; i < count; i++)
        if (!get_bytes(&r, m->locator[i], HASH_SIZE))
            return false;
    if (!get_bytes(&r, m->stop, HASH_SIZE) || !rbuf_done(&r))
        return false;
    m->n = (size_t)count;
    return true;
}

/* ---- headers ---- */

void p2p_msg_encode_headers(struct wbuf *w, const struct block_header *v, size_t n)
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    put_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        header_encode(&v[i], buf);
        put_bytes(w, buf, sizeof(buf));
    }
}

bool p2p_msg_decode_headers(const uint8_t *p, size_t n, struct p2p_msg_headers *m)
{
    struct rbuf r;
    size_t count;
    bool ok = true;

    m->n = 0;
    m->v = NULL;
    rbuf_init(&r, p, n);
    if (!get_count(&r, P2P_MAX_HEADERS, BLOCK_HEADER_SIZE, &count))
        return false;
    if (count && !(m->v = calloc(count, sizeof(*m->v))))
        return false;
    for (size_t i = 0; ok && i < count; i++)
        ok = header_decode_from(&m->v[i], &r);
    if (!ok || !rbuf_done(&r)) {
        p2p_msg_headers_free(m);
        return false;
    }
    m->n = count;
    return true;
}

void p2p_msg_headers_free(struct p2p_msg_headers *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* ---- block, tx ---- */

bool p2p_msg_decode_block(const uint8_t *p, size_t n, uint32_t max_block_size, struct block *b)
{
    return block_decode(b, p, n, max_block_size);
}

bool p2p_msg_decode_tx(const uint8_t *p, size_t n, struct tx *tx)
{
    tx_init(tx);
    return tx_decode(tx, p, n);
}

bool p2p_msg_check(enum p2p_msg_type t, const uint8_t *p, size_t n, uint32_t max_block_size)
{
    if (n > p2p_msg_max_payload(t, max_block_size))
        return false;
    switch (t) {
    case P2P_MSG_VERSION: {
        struct p2p_msg_version m;
        return p2p_msg_decode_version(p, n, &m);
    }
    case P2P_MSG_VERACK:
    case P2P_MSG_GETADDR:
        return p2p_msg_decode_empty(p, n);
    case P2P_MSG_PING:
    case P2P_MSG_PONG: {
        uint64_t nonce;
        return p2p_msg_decode_nonce(p, n, &nonce);
    }
    case P2P_MSG_ADDR: {
        struct p2p_msg_addr m;
        if (!p2p_msg_decode_addr(p, n, &m))
            return false;
        p2p_msg_addr_free(&m);
        return true;
    }
    case P2P_MSG_INV:
    case P2P_MSG_GETDATA:
    case P2P_MSG_NOTFOUND: {
        struct p2p_msg_inv m;
        if (!p2p_msg_decode_inv(p, n, &m))
            return false;
        p2p_msg_inv_free(&m);
        return true;
    }
    case P2P_MSG_GETHEADERS: {
        struct p2p_msg_getheaders *m = malloc(sizeof(*m));
        bool ok = m && p2p_msg_decode_getheaders(p, n, m);
        free(m);
        return ok;
    }
    case P2P_MSG_HEADERS: {
        struct p2p_msg_headers m;
        if (!p2p_msg_decode_headers(p, n, &m))
            return false;
        p2p_msg_headers_free(&m);
        return true;
    }
    case P2P_MSG_BLOCK: {
        struct block b;
        if (!p2p_msg_decode_block(p, n, max_block_size, &b))
            return false;
        block_free(&b);
        return true;
    }
    case P2P_MSG_TX: {
        struct tx tx;
        if (!p2p_msg_decode_tx(p, n, &tx))
            return false;
        tx_free(&tx);
        return true;
    }
    }
    return false;
}
