/* The P2P layer's public face: options, start and stop, and what the RPC
 * methods of rpc/net.c read and change.
 *
 * Everything runs on the node's event loop (libevent bufferevents, a
 * listener per bound address, one timer).  Every callback takes the node
 * lock (env->lock) around anything touching the chain, the mempool or the
 * peer tables.  The query and control functions below are for RPC handlers
 * on other threads: they are called with the node lock held, change only
 * tables, and hand any I/O to the event loop (event_active), never touching
 * a connection themselves.
 */
#ifndef FML_P2P_P2P_H
#define FML_P2P_P2P_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/messages.h"
#include "p2p/netaddr.h"
#include "consensus/attr.h"

struct config;
struct event_base;
struct chain;
struct chain_params;
struct mempool;

#define P2P_DEFAULT_MAX_CONNECTIONS 125
#define P2P_DEFAULT_MAX_OUTBOUND 8
#define P2P_MAX_ADDNODE 8
#define P2P_DEFAULT_BANTIME 86400
#define P2P_DEFAULT_MAX_SEND_KB 1000
#define P2P_DEFAULT_MAX_RECEIVE_KB 5000
#define P2P_DEFAULT_PING_INTERVAL 120  /* seconds */
#define P2P_DEFAULT_PEER_TIMEOUT 1200  /* seconds */
#define P2P_HANDSHAKE_TIMEOUT 60       /* seconds, or the peer timeout when shorter */
#define P2P_MAX_BLOCKS_IN_FLIGHT 16    /* per peer */

struct p2p_options {
    const char **bind;     /* -bind: "addr" or "addr:port"; none: 0.0.0.0 and :: */
    size_t n_bind;
    uint16_t port;         /* -port (0: any free port, for tests) */
    bool listen;           /* -listen (default on, off when -connect names peers) */
    const char **connect;  /* -connect: connect only to these */
    size_t n_connect;
    bool connect_only;     /* -connect was given (-connect=0: no automatic connections) */
    const char **addnode;  /* -addnode: keep connections to these, besides others */
    size_t n_addnode;
    int max_connections;   /* -maxconnections */
    int max_outbound;
    uint64_t bantime;      /* -bantime, seconds */
    size_t max_send;       /* -maxsendbuffer (KB in the option), bytes here */
    size_t max_receive;    /* -maxreceivebuffer */
    uint32_t ping_interval; /* -pinginterval, seconds (regtest only) */
    uint32_t peer_timeout;  /* -peertimeout, seconds (regtest only) */
    bool dial_nonlocal;     /* -dialnonlocal (regtest only): keep and dial learned
                               addresses outside loopback */
    bool v2transport;      /* -v2transport (default on): encrypted transport only */
    const char **peerkey;  /* -peerkey=<hex node key>@<ip:port> */
    size_t n_peerkey;
    const char *datadir;   /* peers.dat, banlist.dat and nodekey */
    bool owns_lists;       /* bind/connect/addnode were allocated by _from_config */
};

/* The options this layer reads (names without '-'), NULL-terminated. */
extern const char *const p2p_option_names[];

void p2p_options_init(struct p2p_options *o);
/* Reads -bind, -port (default default_port), -listen, -connect, -addnode,
 * -maxconnections, -bantime, -maxsendbuffer, -maxreceivebuffer,
 * -pinginterval, -peertimeout, -dialnonlocal.  Strings stay owned by cfg; call
 * p2p_options_clear afterwards.  False with a message on a bad value. */
bool p2p_options_from_config(struct p2p_options *o, const struct config *cfg,
                             uint16_t default_port, const char *datadir, char *err,
                             size_t errlen) WARN_UNUSED;
void p2p_options_clear(struct p2p_options *o);

struct p2p_env {
    const struct chain_params *params;
    struct chain *chain;
    struct mempool *mempool;
    pthread_mutex_t *lock; /* the node lock */
};

struct p2p;

/* Loads the address book and ban list, binds the listening sockets,
 * registers chain and mempool listeners and starts the timer.  Call from
 * the event loop's thread without the node lock held (it is taken where
 * needed).  NULL with a message on failure (bad option, nothing bound). */
struct p2p *p2p_start(struct event_base *base, const struct p2p_options *o,
                      const struct p2p_env *env, char *err, size_t errlen)
    WARN_UNUSED;
/* Disconnects everyone, saves the address book and ban list, unregisters
 * the listeners and frees everything.  Call from the event loop's thread
 * without the node lock held, after RPC handlers can no longer reach p. */
void p2p_stop(struct p2p *p);

/* ---- For RPC handlers: node lock held ---- */

/* The port of the first listening socket (0 when not listening). */
uint16_t p2p_listen_port(const struct p2p *p);

struct p2p_peer_stats {
    int64_t id;
    char addr[P2P_ADDR_STRLEN];      /* remote ip:port */
    char addrbind[P2P_ADDR_STRLEN];  /* our side of the connection */
    char addrlocal[P2P_ADDR_STRLEN]; /* us as the peer sees us ("" unknown) */
    bool ipv4;
    bool inbound;
    const char *connection_type;     /* "inbound", "outbound-full-relay", "manual" */
    bool handshake_done;
    uint64_t services;
    uint32_t version;
    char subver[P2P_MAX_USER_AGENT + 1];
    uint64_t startingheight;
    int64_t timeoffset;
    uint64_t conntime, lastsend, lastrecv, last_block, last_transaction; /* unix seconds */
    uint64_t bytessent, bytesrecv;
    /* Per command; index P2P_MSG_COUNT counts other commands. */
    uint64_t bytessent_per_msg[P2P_MSG_COUNT + 1];
    uint64_t bytesrecv_per_msg[P2P_MSG_COUNT + 1];
    bool has_ping;                   /* pingtime and minping valid */
    double pingtime, minping;        /* seconds */
    bool ping_waiting;
    double pingwait;                 /* seconds, while a ping is unanswered */
    int64_t synced_headers;          /* -1 unknown */
    int64_t synced_blocks;
    size_t n_inflight;
    uint64_t inflight[P2P_MAX_BLOCKS_IN_FLIGHT]; /* heights */
    uint64_t addr_processed, addr_rate_limited;
    int banscore;
    const char *transport_protocol_type; /* "v2" or "v1" ("detecting": not known yet) */
    char session_id[2 * 32 + 1];         /* hex, "" for v1 */
    bool peerkey_verified;               /* proved the node key pinned for it */
    char peerkey[2 * 32 + 1];            /* the node key it proved, "" none */
};

/* One entry per connection, by id.  The caller frees *out.  False on
 * allocation failure. */
bool p2p_get_peer_stats(struct p2p *p, struct p2p_peer_stats **out, size_t *n)
    WARN_UNUSED;

/* Local addresses kept (getnetworkinfo's localaddresses), at most. */
#define P2P_MAX_LOCAL 16
/* Outbound peers' clock offsets kept for the median (the last ones). */
#define P2P_TIME_SAMPLES 50
/* Outbound clock offsets beyond this many seconds either way (70 minutes,
 * bitcoind's DEFAULT_MAX_TIME_ADJUSTMENT) are left out of timeoffset. */
#define P2P_MAX_TIME_OFFSET (70 * 60)
/* Reported addresses waiting for a second network group. */
#define P2P_LOCAL_CANDIDATES 32

/* An address peers can reach us at: a listening address bound to a
 * specific IP (score 2, as bitcoind's LOCAL_BIND), or our IP as an outbound
 * peer saw it in its version (score 1); each peer's version that shows us
 * at it adds 1. */
struct p2p_local_addr {
    char address[P2P_ADDR_STRLEN]; /* the IP */
    uint16_t port;                 /* where we listen */
    int score;
};

struct p2p_net_stats {
    uint64_t bytes_recv, bytes_sent;
    size_t connections_in, connections_out;
    bool listening;
    uint16_t port;
    uint64_t services;
    const char *user_agent;
    /* Median of the last P2P_TIME_SAMPLES outbound peers' clock offsets
     * (their version's timestamp minus our clock, seconds); 0 without. */
    int64_t timeoffset;
    size_t n_time_samples;
    struct p2p_local_addr local[P2P_MAX_LOCAL];
    size_t n_local;
    char nodekey[2 * 32 + 1];            /* our node key, hex */
};

void p2p_get_net_stats(struct p2p *p, struct p2p_net_stats *out);

enum p2p_addnode_cmd { P2P_ADDNODE_ADD, P2P_ADDNODE_REMOVE, P2P_ADDNODE_ONETRY };
enum p2p_addnode_result {
    P2P_ADDNODE_OK,
    P2P_ADDNODE_BAD_ADDRESS,   /* not an ip[:port] */
    P2P_ADDNODE_ALREADY_ADDED,
    P2P_ADDNODE_NOT_ADDED,
    P2P_ADDNODE_FULL,          /* P2P_MAX_ADDNODE manual entries */
};

/* node: "ip", "ip:port", "[v6]:port" or "localhost[:port]"; no name
 * resolution.  add keeps a connection open (reconnecting), remove forgets
 * it (an open connection stays), onetry connects once. */
enum p2p_addnode_result p2p_addnode(struct p2p *p, const char *node, enum p2p_addnode_cmd cmd);

/* Disconnects the peers at address ("ip:port", or "ip" for every port);
 * returns how many were found (-1: not an address). */
int p2p_disconnect_address(struct p2p *p, const char *address) WARN_UNUSED;
bool p2p_disconnect_id(struct p2p *p, int64_t id) WARN_UNUSED;

/* Bans a subnet until `until` (unix seconds) and disconnects its peers;
 * false when it was already banned at least that long. */
bool p2p_ban(struct p2p *p, const struct p2p_subnet *net, uint64_t until) WARN_UNUSED;
/* False when the subnet was not banned. */
bool p2p_unban(struct p2p *p, const struct p2p_subnet *net) WARN_UNUSED;
void p2p_clear_banned(struct p2p *p);
uint64_t p2p_default_bantime(const struct p2p *p);

struct p2p_ban_info {
    char subnet[P2P_ADDR_STRLEN];
    uint64_t created, until;
};

/* Current bans; the caller frees *out. */
bool p2p_list_banned(struct p2p *p, struct p2p_ban_info **out, size_t *n)
    WARN_UNUSED;

/* Sends a ping to every connected peer (the ping time shows in
 * getpeerinfo once answered). */
void p2p_ping_all(struct p2p *p);
/* Announces a stored block to every peer even when it is not our tip (a
 * competing block a test made, so that peers see both of a double proposal). */
void p2p_announce_block(struct p2p *p, const uint8_t hash[HASH_SIZE]);

#endif
