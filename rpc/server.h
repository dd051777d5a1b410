/* The JSON-RPC HTTP server: libevent evhttp on its own event-loop thread,
 * a bounded work queue served by worker threads that call rpc_handle_body,
 * HTTP Basic auth (cookie or -rpcuser/-rpcpassword) and an address
 * allow-list.
 *
 * The event loop never runs a handler and never sleeps: slow handlers and
 * slow clients cannot stop it accepting and answering others.  Only POST to
 * "/" or "/wallet/<url-encoded name>" reaches the dispatcher.  It must
 * never log request parameters (they may hold passphrases and keys).
 */
#ifndef FML_RPC_SERVER_H
#define FML_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rpc/rpc.h"
#include "consensus/attr.h"

struct config;

#define RPC_DEFAULT_THREADS 4
#define RPC_DEFAULT_WORK_QUEUE 64
#define RPC_DEFAULT_MAX_BODY (16u << 20)
#define RPC_DEFAULT_MAX_HEADERS 8192
#define RPC_DEFAULT_TIMEOUT 30
/* Open HTTP connections at most (-rpcmaxconnections); at the cap a new one
 * closes the one idle longest (or itself, when every one is busy). */
#define RPC_DEFAULT_MAX_CONNECTIONS 128
#define RPC_DEFAULT_AUTH_DELAY_MS 250
/* Nice levels the worker threads run below the rest of the node
 * (-rpcworkernice; Linux, where nice is per thread): when the cores are
 * busy, the HTTP thread (fast calls, writing replies), P2P and validation
 * run before a worker encoding a big reply. */
#define RPC_DEFAULT_WORKER_NICE 19
#define RPC_MAX_WORKER_NICE 19
#define RPC_COOKIE_FILE ".cookie"
#define RPC_COOKIE_USER "__cookie__"

struct rpc_server_options {
    /* -rpcbind: "host", "host:port" or "[v6]:port".  Honoured only when
     * allow is non-empty too (otherwise a warning and loopback); none:
     * 127.0.0.1. */
    const char **bind;
    size_t n_bind;
    /* -rpcallowip: "1.2.3.4", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "::1",
     * "fe80::/10".  Loopback is always allowed; others get 403. */
    const char **allow;
    size_t n_allow;
    /* -rpcallowhost: names a Host header may carry for REST, /metrics and
     * the explorer besides IP literals and "localhost" (others get 403). */
    const char **allow_host;
    size_t n_allow_host;
    uint16_t port;         /* default port of the bind addresses; 0: any free one */
    const char *user;      /* with password: the only accepted credentials */
    const char *password;  /* otherwise a fresh cookie is written */
    const char *datadir;   /* where the cookie goes */
    const char *cookie_file; /* -rpccookiefile, relative to datadir; NULL: .cookie */
    int threads;           /* worker threads (-rpcthreads) */
    int worker_nice;       /* nice levels added to the workers (-rpcworkernice); 0: none */
    int work_queue;        /* queued requests before 503 (-rpcworkqueue) */
    size_t max_body;       /* larger bodies get 413 */
    size_t max_headers;    /* larger header blocks get 413 */
    int timeout;           /* idle/read/write timeout in seconds (-rpcservertimeout) */
    int max_connections;   /* open HTTP connections at most (-rpcmaxconnections) */
    int auth_delay_ms;     /* delay before a 401 */
    bool rest;             /* -rest: answer GET /rest/... (rpc/rest.h); else 404 there */
    bool metrics;          /* -metrics: answer GET /metrics with metrics_render; else 404 */
    /* The Prometheus text of a scrape (rpc/metrics.h metrics_render), run on
     * a worker; set by the caller (the server does not link the metrics). */
    char *(*metrics_render)(struct rpc_env *env, size_t *len);
    bool explorer;         /* -explorer: serve /explorer/ (rpc/explorer.h); else 404 there */
    bool owns_lists;       /* bind/allow/allow_host were allocated by _from_config */
};

/* Fills the defaults (no bind, no allow, port 0, cookie auth). */
void rpc_server_options_init(struct rpc_server_options *o);
/* Reads -rpcbind, -rpcallowip, -rpcport (default default_port), -rpcuser,
 * -rpcpassword, -rpccookiefile, -rpcthreads, -rpcworkernice, -rpcworkqueue,
 * -rpcservertimeout, -rest, -metrics, -explorer (which turns REST on, and is
 * refused with an explicit -rest=0: its pages read the chain through REST).
 * The strings stay owned by cfg; call
 * rpc_server_options_clear afterwards.  False with a message on a bad
 * value. */
bool rpc_server_options_from_config(struct rpc_server_options *o, const struct config *cfg,
                                    uint16_t default_port, const char *datadir, char *err,
                                    size_t errlen) WARN_UNUSED;
void rpc_server_options_clear(struct rpc_server_options *o);

struct rpc_server;

/* Binds, writes the cookie (when no user/password) and starts the threads.
 * table and env are borrowed and must outlive the server.  SIGPIPE is set
 * to be ignored when it has its default action.  NULL with a message on
 * failure (bad option, no address could be bound, cookie not written). */
struct rpc_server *rpc_server_start(const struct rpc_server_options *o,
                                    const struct rpc_table *table, struct rpc_env *env, char *err,
                                    size_t errlen) WARN_UNUSED;

/* Stops accepting, lets running handlers finish (queued requests not yet
 * started get 503), delivers pending replies, joins the threads, removes the
 * cookie and frees everything.  Must not be called from a handler. */
void rpc_server_stop(struct rpc_server *s);

/* The port of the first bound address (the chosen one when port was 0). */
uint16_t rpc_server_port(const struct rpc_server *s);
/* Bound address i as "127.0.0.1:port" / "[::1]:port"; false past the end. */
bool rpc_server_bound_address(const struct rpc_server *s, size_t i, char *buf, size_t len)
    WARN_UNUSED;
/* Path of the cookie written at start, or NULL with user/password auth. */
const char *rpc_server_cookie_path(const struct rpc_server *s);

/* ---- Request paths ---- */

/* Only "/" (*is_root) and "/wallet/<url-encoded name>" reach the dispatcher:
 * *wallet gets the decoded name (the caller frees it), which may not hold a
 * NUL.  False for any other path. */
bool rpc_parse_path(const char *path, bool *is_root, char **wallet)
    WARN_UNUSED;

/* ---- Address allow-list ---- */

struct rpc_subnet {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t mask[16];
};

/* Whether a Host header value (NULL: none) may reach REST, /metrics or the
 * explorer: an IPv4 or bracketed IPv6 literal, "localhost", or one of names
 * (case-insensitive), each optionally followed by ":port". */
bool rpc_host_allowed(const char *host, const char *const *names, size_t n_names);

/* Parses an address or subnet as -rpcallowip takes it. */
bool rpc_subnet_parse(const char *text, struct rpc_subnet *out) WARN_UNUSED;
/* True when the address (IPv4-mapped IPv6 counts as IPv4) is in the subnet. */
bool rpc_subnet_match(const struct rpc_subnet *net, const struct sockaddr *sa);

#endif
