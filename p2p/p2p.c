/* The P2P layer's life: options, start (address book, ban list, listening
 * sockets, chain and mempool listeners, timer), the loop-side work run by
 * the timer and the wakeup event, and stop.
 */
#include "p2p/internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "consensus/params.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "util/config.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/time.h"

const char *const p2p_option_names[] = {
    "bind", "port", "listen", "connect", "addnode", "maxconnections", "bantime",
    "maxsendbuffer", "maxreceivebuffer", "pinginterval", "peertimeout", "dialnonlocal", "v2transport", "peerkey", NULL,
};

/* ---- Options ---- */

void p2p_options_init(struct p2p_options *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = true;
    o->max_connections = P2P_DEFAULT_MAX_CONNECTIONS;
    o->max_outbound = P2P_DEFAULT_MAX_OUTBOUND;
    o->bantime = P2P_DEFAULT_BANTIME;
    o->max_send = (size_t)P2P_DEFAULT_MAX_SEND_KB * 1000;
    o->max_receive = (size_t)P2P_DEFAULT_MAX_RECEIVE_KB * 1000;
    o->ping_interval = P2P_DEFAULT_PING_INTERVAL;
    o->peer_timeout = P2P_DEFAULT_PEER_TIMEOUT;
    o->v2transport = true;
}

bool p2p_options_from_config(struct p2p_options *o, const struct config *cfg,
                             uint16_t default_port, const char *datadir, char *err, size_t errlen)
{
    int64_t port, maxconn, bantime, sendkb, recvkb, ping, timeout;

    p2p_options_init(o);
    if (!config_get_int(cfg, "port", default_port, 0, 65535, &port, err, errlen) ||
        !config_get_int(cfg, "maxconnections", P2P_DEFAULT_MAX_CONNECTIONS, 0, 100000, &maxconn,
                        err, errlen) ||
        !config_get_int(cfg, "bantime", P2P_DEFAULT_BANTIME, 1, 100LL * 365 * 86400, &bantime, err,
                        errlen) ||
        !config_get_int(cfg, "maxsendbuffer", P2P_DEFAULT_MAX_SEND_KB, 1, 1000000, &sendkb, err,
                        errlen) ||
        !config_get_int(cfg, "maxreceivebuffer", P2P_DEFAULT_MAX_RECEIVE_KB, 1, 1000000, &recvkb,
                        err, errlen) ||
        !config_get_int(cfg, "pinginterval", P2P_DEFAULT_PING_INTERVAL, 1, 86400, &ping, err,
                        errlen) ||
        !config_get_int(cfg, "peertimeout", P2P_DEFAULT_PEER_TIMEOUT, 1, 7 * 86400, &timeout, err,
                        errlen))
        return false;
    o->port = (uint16_t)port;
    o->max_connections = (int)maxconn;
    o->max_outbound = maxconn < P2P_DEFAULT_MAX_OUTBOUND ? (int)maxconn : P2P_DEFAULT_MAX_OUTBOUND;
    o->bantime = (uint64_t)bantime;
    o->max_send = (size_t)sendkb * 1000;
    o->max_receive = (size_t)recvkb * 1000;
    o->ping_interval = (uint32_t)ping;
    o->peer_timeout = (uint32_t)timeout;
    o->datadir = datadir;
    o->owns_lists = true;
    o->bind = config_get_multi(cfg, "bind", &o->n_bind);
    o->connect = config_get_multi(cfg, "connect", &o->n_connect);
    o->addnode = config_get_multi(cfg, "addnode", &o->n_addnode);
    o->peerkey = config_get_multi(cfg, "peerkey", &o->n_peerkey);
    if (!o->bind || !o->connect || !o->addnode || !o->peerkey) {
        p2p_options_clear(o);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    /* -connect=0 (or -noconnect): no automatic connections at all. */
    size_t k = 0;
    for (size_t i = 0; i < o->n_connect; i++)
        if (strcmp(o->connect[i], "0") != 0)
            o->connect[k++] = o->connect[i];
    o->connect[k] = NULL;
    o->n_connect = k;
    o->connect_only = config_is_set(cfg, "connect");
    o->listen = config_get_bool(cfg, "listen", o->n_connect == 0);
    o->dial_nonlocal = config_get_bool(cfg, "dialnonlocal", false);
    o->v2transport = config_get_bool(cfg, "v2transport", true);
    return true;
}

void p2p_options_clear(struct p2p_options *o)
{
    if (o->owns_lists) {
        free(o->bind);
        free(o->connect);
        free(o->addnode);
        free(o->peerkey);
    }
    o->bind = o->connect = o->addnode = o->peerkey = NULL;
    o->n_bind = o->n_connect = o->n_addnode = o->n_peerkey = 0;
    o->owns_lists = false;
}

/* ---- Loop-side work ---- */

static void save_tables(struct p2p *p)
{
    uint64_t now = time_now();
    banman_sweep(&p->bm, now);
    if (p->peers_path && !addrman_save(&p->am, p->peers_path, p->env.params->magic))
        log_printf("Cannot write %s", p->peers_path);
    if (p->bans_path && p->bm.dirty && !banman_save(&p->bm, p->bans_path, p->env.params->magic))
        log_printf("Cannot write %s", p->bans_path);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct p2p *p = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(p->env.lock);
    uint64_t now_ms = time_mono_ms();
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        process_peer_timers(peer, now_ms);
    download_check_timeouts(p, now_ms);
    relay_check_timeouts(p, now_ms);
    peer_reap(p);
    connman_open_connections(p, now_ms);
    download_schedule(p);
    if (now_ms >= p->next_save_ms) {
        save_tables(p);
        p->next_save_ms = now_ms + P2P_SAVE_INTERVAL_MS;
    }
    pthread_mutex_unlock(p->env.lock);
}

static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
    struct p2p *p = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(p->env.lock);
    peer_reap(p);
    if (p->pings_requested) {
        uint64_t now_ms = time_mono_ms();
        p->pings_requested = false;
        for (struct peer *peer = p->peers; peer; peer = peer->next) {
            if (!peer->handshake_done)
                continue;
            peer->ping_queued = true;
            process_peer_timers(peer, now_ms);
        }
    }
    relay_announce(p);
    connman_open_onetry(p);
    peer_reap(p);
    pthread_mutex_unlock(p->env.lock);
}

void p2p_wakeup(struct p2p *p)
{
    if (p->wakeup)
        event_active(p->wakeup, 0, 0);
}

/* ---- Start and stop ---- */

static bool add_nodes(struct p2p *p, const char **list, size_t n, const char *option, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        struct p2p_addr a;
        if (!p2p_addr_parse(list[i], p->env.params->p2p_port, &a) || a.port == 0) {
            snprintf(err, errlen, "Invalid -%s address (an IP address, optionally with :port): %s",
                     option, list[i]);
            return false;
        }
        if (!connman_add_node(p, list[i], &a)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    return true;
}

/* -peerkey=<64 hex digits>@<ip:port>. */
static bool add_pins(struct p2p *p, const struct p2p_options *o, char *err, size_t errlen)
{
    if (o->n_peerkey == 0)
        return true;
    if (!o->v2transport) {
        snprintf(err, errlen, "-peerkey needs the encrypted transport (-v2transport=1)");
        return false;
    }
    p->pins = calloc(o->n_peerkey, sizeof(*p->pins));
    if (!p->pins) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < o->n_peerkey; i++) {
        const char *text = o->peerkey[i];
        const char *at = strchr(text, '@');
        struct peer_pin *pin = &p->pins[p->n_pins];
        size_t bin_len = 0;
        if (!at || at - text != 2 * V2_NODEKEY_SIZE ||
            sodium_hex2bin(pin->key, sizeof(pin->key), text, (size_t)(at - text), NULL, &bin_len,
                           NULL) != 0 ||
            bin_len != V2_NODEKEY_SIZE || !p2p_addr_parse(at + 1, 0, &pin->addr) ||
            pin->addr.port == 0) {
            snprintf(err, errlen,
                     "Invalid -peerkey (a 64-hex-digit node key, '@', an IP address and port): %s",
                     text);
            return false;
        }
        p->n_pins++;
    }
    return true;
}

/* The node key: an Ed25519 seed, hex, in datadir/nodekey (mode 0600),
 * created on first start.  Without a data directory (unit tests) it lives
 * in memory only. */
static bool load_nodekey(struct p2p *p, const char *datadir, char *err, size_t errlen)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    if (!datadir) {
        crypto_sign_keypair(p->nodekey_pk, p->nodekey_sk);
        return true;
    }
    char *path = fs_path_join(datadir, P2P_NODEKEY_FILE);
    char *data = NULL;
    size_t len = 0, bin_len = 0;
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (fs_read_file(path, 1024, &data, &len)) {
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
            len--;
        if (sodium_hex2bin(seed, sizeof(seed), data, len, NULL, &bin_len, NULL) != 0 ||
            bin_len != sizeof(seed)) {
            snprintf(err, errlen, "%s is not a node key (64 hex digits)", path);
            free(data);
            free(path);
            return false;
        }
        free(data);
    } else if (errno == ENOENT) {
        char hex[2 * sizeof(seed) + 2];
        randombytes_buf(seed, sizeof(seed));
        sodium_bin2hex(hex, sizeof(hex), seed, sizeof(seed));
        strcat(hex, "\n");
        if (!fs_write_atomic(path, hex, strlen(hex), 0600)) {
            snprintf(err, errlen, "Cannot write %s: %s", path, strerror(errno));
            sodium_memzero(hex, sizeof(hex));
            free(path);
            return false;
        }
        sodium_memzero(hex, sizeof(hex));
        log_printf("Created a node key in %s", P2P_NODEKEY_FILE);
    } else {
        snprintf(err, errlen, "Cannot read %s: %s", path, strerror(errno));
        free(path);
        return false;
    }
    crypto_sign_seed_keypair(p->nodekey_pk, p->nodekey_sk, seed);
    sodium_memzero(seed, sizeof(seed));
    free(path);
    return true;
}

static void free_tables(struct p2p *p)
{
    free(p->pins);
    sodium_memzero(p->nodekey_sk, sizeof(p->nodekey_sk));
    download_free(p);
    relay_free(p);
    addrman_free(&p->am);
    banman_free(&p->bm);
    for (size_t i = 0; i < p->n_added; i++)
        free(p->added[i].name);
    free(p->added);
    free(p->onetry);
    free(p->peers_path);
    free(p->bans_path);
    if (p->tick)
        event_free(p->tick);
    if (p->wakeup)
        event_free(p->wakeup);
    free(p);
}

struct p2p *p2p_start(struct event_base *base, const struct p2p_options *o,
                      const struct p2p_env *env, char *err, size_t errlen)
{
    struct p2p *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->base = base;
    p->env = *env;
    p->regtest = env->params->net == NET_REGTEST;
    addrman_init(&p->am, P2P_ADDRMAN_MAX);
    banman_init(&p->bm, P2P_BANMAN_MAX);
    hmap_init(&p->block_requests);
    hmap_init(&p->tx_requests);
    if (!invset_init(&p->recent_rejects, P2P_RECENT_REJECTS_MAX)) {
        snprintf(err, errlen, "out of memory");
        free_tables(p);
        return NULL;
    }
    if (!p->regtest &&
        (o->ping_interval != P2P_DEFAULT_PING_INTERVAL || o->peer_timeout != P2P_DEFAULT_PEER_TIMEOUT)) {
        snprintf(err, errlen, "-pinginterval and -peertimeout are only allowed on regtest");
        free_tables(p);
        return NULL;
    }
    /* A test network's node keeps and dials only loopback addresses it
     * learns, unless told otherwise (addrman.h). */
    bool test_net = p->regtest || env->params->regtest_rules;
    if (!test_net && o->dial_nonlocal) {
        snprintf(err, errlen, "-dialnonlocal is only allowed on regtest");
        free_tables(p);
        return NULL;
    }
    addrman_set_loopback_only(&p->am, test_net && !o->dial_nonlocal);
    p->listen = o->listen;
    p->connect_only = o->connect_only;
    p->max_connections = o->max_connections;
    p->max_outbound = o->max_outbound < o->max_connections ? o->max_outbound : o->max_connections;
    p->max_inbound = o->max_connections - p->max_outbound;
    p->bantime = o->bantime;
    p->max_send = o->max_send;
    p->max_receive = o->max_receive;
    p->ping_interval_ms = (uint64_t)o->ping_interval * 1000;
    p->timeout_ms = (uint64_t)o->peer_timeout * 1000;
    p->handshake_timeout_ms =
        (uint64_t)(o->peer_timeout < P2P_HANDSHAKE_TIMEOUT ? o->peer_timeout : P2P_HANDSHAKE_TIMEOUT) *
        1000;
    for (int t = 0; t < P2P_MSG_COUNT; t++) {
        uint32_t m = p2p_msg_max_payload((enum p2p_msg_type)t, env->params->max_block_size);
        if (m > p->max_message)
            p->max_message = m;
    }
    snprintf(p->user_agent, sizeof(p->user_agent), "/fmld:%s/", PACKAGE_VERSION);
    p->v2transport = o->v2transport;
    if (!add_pins(p, o, err, errlen) || !load_nodekey(p, o->datadir, err, errlen)) {
        free_tables(p);
        return NULL;
    }

    if (o->datadir) {
        p->peers_path = fs_path_join(o->datadir, P2P_PEERS_FILE);
        p->bans_path = fs_path_join(o->datadir, P2P_BANS_FILE);
        if (!p->peers_path || !p->bans_path) {
            snprintf(err, errlen, "out of memory");
            free_tables(p);
            return NULL;
        }
        if (addrman_load(&p->am, p->peers_path, env->params->magic))
            log_printf("Loaded %zu addresses from %s", p->am.n, P2P_PEERS_FILE);
        if (banman_load(&p->bm, p->bans_path, env->params->magic, time_now()))
            log_printf("Loaded %zu banned node addresses/subnets from %s", p->bm.n, P2P_BANS_FILE);
    }
    if ((o->connect_only && !add_nodes(p, o->connect, o->n_connect, "connect", err, errlen)) ||
        !add_nodes(p, o->addnode, o->n_addnode, "addnode", err, errlen)) {
        free_tables(p);
        return NULL;
    }

    p->tick = event_new(base, -1, EV_PERSIST, on_tick, p);
    p->wakeup = event_new(base, -1, 0, on_wakeup, p);
    struct timeval tv = {P2P_TICK_MS / 1000, (P2P_TICK_MS % 1000) * 1000};
    if (!p->tick || !p->wakeup || event_add(p->tick, &tv) != 0) {
        snprintf(err, errlen, "Cannot create the P2P timers");
        free_tables(p);
        return NULL;
    }
    if (p->listen && !connman_listen(p, o, err, errlen)) {
        connman_stop_listening(p);
        free_tables(p);
        return NULL;
    }
    p->next_save_ms = time_mono_ms() + P2P_SAVE_INTERVAL_MS;

    pthread_mutex_lock(env->lock);
    struct chain_listener l = {.tip_changed = relay_tip_changed, .arg = p};
    chain_add_listener(env->chain, &l);
    mempool_add_listener(env->mempool, relay_tx_added, p);
    pthread_mutex_unlock(env->lock);
    return p;
}

void p2p_stop(struct p2p *p)
{
    if (!p)
        return;
    pthread_mutex_lock(p->env.lock);
    chain_remove_listener(p->env.chain, p);
    mempool_remove_listener(p->env.mempool, p);
    connman_stop_listening(p);
    for (struct peer *peer = p->peers; peer; peer = peer->next)
        peer->disconnect = true;
    peer_reap(p);
    save_tables(p);
    pthread_mutex_unlock(p->env.lock);
    free_tables(p);
}
