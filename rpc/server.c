/* The JSON-RPC HTTP server (see server.h).
 *
 * Threads: one event-loop thread owns everything evhttp (it is not
 * thread-safe); worker threads take requests from a bounded queue, run
 * rpc_handle_body and hand the reply back with event_active().  A request
 * (struct rpc_req) lives from the evhttp callback until its reply has been
 * written (on_complete) or its connection has gone (closecb), so that stop
 * can wait for every reply to reach its client.
 */
#include "rpc/server.h"
#include "rpc/explorer.h"
#include "rpc/rest.h"
#include "rpc/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <sodium.h>

#include "util/config.h"
#include "util/fs.h"
#include "util/log.h"

#define WALLET_PREFIX "/wallet/"
/* sched_yield()s a worker makes looking for the next request before it
 * sleeps: at most RPC_WORKER_SPIN, at least RPC_WORKER_SPIN_MIN.  The
 * budget halves each time a spin finds nothing (requests coming slower
 * than a spin, e.g. big batches: the yields would only burn CPU) and is
 * full again once one finds a request. */
#define RPC_WORKER_SPIN 200
#define RPC_WORKER_SPIN_MIN 8
/* Replies from this size on are handed to evhttp by reference. */
#define RPC_REFERENCE_REPLY 65536
/* Grace for writing the last replies at stop. */
#define STOP_FLUSH_SECONDS 5

struct rpc_req {
    struct rpc_server *srv;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct event *ev; /* reply hand-back from a worker, or the 401 timer */
    char *wallet;     /* decoded from /wallet/NAME */
    char *body;
    size_t body_len;
    char *reply;
    size_t reply_len;
    int status;
    const char *content_type; /* of a REST reply (NULL: JSON-RPC's) */
    bool rest;    /* a GET under /rest/: body holds the path */
    bool metrics; /* a GET of /metrics */
    bool replied; /* handed to evhttp_send_reply */
    bool closed;  /* the connection went away before the reply */
    int fd;       /* the connection's socket when the request came */
    struct rpc_req *next_queued;
    struct rpc_req *prev_live, *next_live;
};

struct conn_rec;

struct rpc_server {
    const struct rpc_table *table;
    struct rpc_env *env;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket **bound;
    size_t n_bound;
    struct rpc_subnet *allow;
    size_t n_allow;
    char **allow_host; /* -rpcallowhost, copied */
    size_t max_conns;  /* -rpcmaxconnections */
    /* Event-loop thread only: the open HTTP connections (see conn_check). */
    struct conn_rec *conns;
    size_t n_conns;
    uint64_t conn_seq;
    time_t conn_log_time;
    size_t n_allow_host;
    uint8_t auth_digest[crypto_generichash_BYTES];
    char *cookie_path; /* set when we wrote it */
    int auth_delay_ms;
    bool rest; /* -rest=1 */
    char *(*metrics_render)(struct rpc_env *env, size_t *len); /* -metrics=1; else NULL */
    bool explorer; /* -explorer=1 */

    pthread_t loop_thread;
    bool loop_started;
    pthread_t *workers;
    int n_workers;
    int worker_nice; /* -rpcworkernice */
    int nice_failed; /* a worker could not lower its priority (logged once) */

    /* Work queue, shared with the workers. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rpc_req *q_head, *q_tail;
    int q_len, q_max;
    int q_idle; /* workers waiting on cv */
    bool q_stop;

    /* Event-loop thread only. */
    bool stopping;
    struct rpc_req *live;
    size_t outstanding;
    struct event *finish_ev;
    time_t finish_deadline;
};

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;
static int evthread_status;

static void init_evthread(void)
{
    evthread_status = evthread_use_pthreads();
}

/* ---- Options ---- */

void rpc_server_options_init(struct rpc_server_options *o)
{
    memset(o, 0, sizeof *o);
    o->threads = RPC_DEFAULT_THREADS;
    o->worker_nice = RPC_DEFAULT_WORKER_NICE;
    o->work_queue = RPC_DEFAULT_WORK_QUEUE;
    o->max_body = RPC_DEFAULT_MAX_BODY;
    o->max_headers = RPC_DEFAULT_MAX_HEADERS;
    o->timeout = RPC_DEFAULT_TIMEOUT;
    o->auth_delay_ms = RPC_DEFAULT_AUTH_DELAY_MS;
    o->max_connections = RPC_DEFAULT_MAX_CONNECTIONS;
}

bool rpc_server_options_from_config(struct rpc_server_options *o, const struct config *cfg,
                                    uint16_t default_port, const char *datadir, char *err,
                                    size_t errlen)
{
    rpc_server_options_init(o);
    int64_t port, threads, queue, timeout, maxconn, worker_nice;
    if (!config_get_int(cfg, "rpcport", default_port, 1, 65535, &port, err, errlen) ||
        !config_get_int(cfg, "rpcthreads", RPC_DEFAULT_THREADS, 1, 1024, &threads, err, errlen) ||
        !config_get_int(cfg, "rpcworkernice", RPC_DEFAULT_WORKER_NICE, 0, RPC_MAX_WORKER_NICE,
                        &worker_nice, err, errlen) ||
        !config_get_int(cfg, "rpcworkqueue", RPC_DEFAULT_WORK_QUEUE, 1, 1 << 20, &queue, err,
                        errlen) ||
        !config_get_int(cfg, "rpcservertimeout", RPC_DEFAULT_TIMEOUT, 1, 86400, &timeout, err,
                        errlen) ||
        !config_get_int(cfg, "rpcmaxconnections", RPC_DEFAULT_MAX_CONNECTIONS, 1, 100000,
                        &maxconn, err, errlen))
        return false;
    o->max_connections = (int)maxconn;
    o->port = (uint16_t)port;
    o->threads = (int)threads;
    o->worker_nice = (int)worker_nice;
    o->work_queue = (int)queue;
    o->timeout = (int)timeout;
    o->user = config_get(cfg, "rpcuser", NULL);
    o->password = config_get(cfg, "rpcpassword", NULL);
    o->cookie_file = config_get(cfg, "rpccookiefile", NULL);
    o->datadir = datadir;
    o->rest = config_get_bool(cfg, "rest", false);
    o->metrics = config_get_bool(cfg, "metrics", false);
    o->explorer = config_get_bool(cfg, "explorer", false);
    if (o->explorer) {
        /* The explorer's pages read the chain through REST. */
        if (config_get(cfg, "rest", NULL) && !o->rest) {
            snprintf(err, errlen, "-explorer=1 needs REST (its pages read /rest/): remove -rest=0");
            return false;
        }
        o->rest = true;
    }
    o->owns_lists = true;
    o->bind = config_get_multi(cfg, "rpcbind", &o->n_bind);
    o->allow = config_get_multi(cfg, "rpcallowip", &o->n_allow);
    o->allow_host = config_get_multi(cfg, "rpcallowhost", &o->n_allow_host);
    if (!o->bind || !o->allow || !o->allow_host) {
        rpc_server_options_clear(o);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

void rpc_server_options_clear(struct rpc_server_options *o)
{
    if (o->owns_lists) {
        free(o->bind);
        free(o->allow);
        free(o->allow_host);
    }
    o->bind = o->allow = o->allow_host = NULL;
    o->n_bind = o->n_allow = o->n_allow_host = 0;
    o->owns_lists = false;
}

/* ---- Subnets ---- */

bool rpc_subnet_parse(const char *text, struct rpc_subnet *out)
{
    char buf[128];
    if (strlen(text) >= sizeof buf)
        return false;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    memset(out, 0, sizeof *out);
    size_t len;
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        len = 4;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        len = 16;
    } else {
        return false;
    }
    if (!slash) {
        memset(out->mask, 0xff, len);
    } else if (strchr(slash, '.') || strchr(slash, ':')) {
        if (inet_pton(out->family, slash, out->mask) != 1)
            return false;
        /* Only contiguous netmasks. */
        bool zero_seen = false;
        for (size_t i = 0; i < len * 8; i++) {
            bool bit = out->mask[i / 8] & (0x80 >> (i % 8));
            if (bit && zero_seen)
                return false;
            if (!bit)
                zero_seen = true;
        }
    } else {
        char *end;
        errno = 0;
        long bits = strtol(slash, &end, 10);
        if (*slash == '\0' || *end != '\0' || errno || bits < 0 || bits > (long)len * 8)
            return false;
        for (long i = 0; i < bits; i++)
            out->mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
    }
    for (size_t i = 0; i < len; i++)
        out->addr[i] &= out->mask[i];
    return true;
}

/* The family and address bytes of sa, with IPv4-mapped IPv6 as IPv4. */
static bool sockaddr_bytes(const struct sockaddr *sa, int *family, uint8_t bytes[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        *family = AF_INET;
        memcpy(bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        if (memcmp(a, mapped, 12) == 0) {
            *family = AF_INET;
            memcpy(bytes, a + 12, 4);
        } else {
            *family = AF_INET6;
            memcpy(bytes, a, 16);
        }
        return true;
    }
    return false;
}

bool rpc_subnet_match(const struct rpc_subnet *net, const struct sockaddr *sa)
{
    int family;
    uint8_t b[16];
    if (!sockaddr_bytes(sa, &family, b) || family != net->family)
        return false;
    size_t len = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < len; i++)
        if ((b[i] & net->mask[i]) != net->addr[i])
            return false;
    return true;
}

/* 127.0.0.1 and ::1, where the default binding serves local clients, are
 * always allowed; any other address (the rest of 127.0.0.0/8 too) only
 * through -rpcallowip. */
static bool client_allowed(const struct rpc_server *s, const struct sockaddr *sa)
{
    int family;
    uint8_t b[16];
    if (!sa || !sockaddr_bytes(sa, &family, b))
        return false;
    static const uint8_t loop4[4] = {127, 0, 0, 1};
    static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if ((family == AF_INET && memcmp(b, loop4, 4) == 0) ||
        (family == AF_INET6 && memcmp(b, loop6, 16) == 0))
        return true;
    for (size_t i = 0; i < s->n_allow; i++)
        if (rpc_subnet_match(&s->allow[i], sa))
            return true;
    return false;
}

static void send_text(struct rpc_req *r, int status, const char *text);
static void conn_active(struct rpc_server *s, int fd);

/* A name -rpcallowhost takes: letters, digits, '-' and '.', 1-253 long. */
static bool host_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

bool rpc_host_allowed(const char *host, const char *const *names, size_t n_names)
{
    if (!host)
        return true; /* no Host header: not a browser (HTTP/1.0 tools) */
    char name[256];
    const char *port = NULL;
    size_t n;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return false;
        n = (size_t)(close - host - 1);
        if (n == 0 || n >= sizeof name)
            return false;
        memcpy(name, host + 1, n);
        name[n] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, name, &a6) != 1)
            return false;
        port = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(host, ':');
        n = colon ? (size_t)(colon - host) : strlen(host);
        if (n == 0 || n >= sizeof name)
            return false;
        memcpy(name, host, n);
        name[n] = '\0';
        port = colon ? colon + 1 : NULL;
    }
    if (port) {
        size_t pl = strlen(port);
        if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl)
            return false;
    }
    if (host[0] == '[')
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, name, &a4) == 1 || strcasecmp(name, "localhost") == 0)
        return true;
    for (size_t i = 0; i < n_names; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

/* The DNS-rebinding guard of the paths served without credentials: a page
 * of another site whose name was made to resolve to this node's address
 * sends its own name as Host. */
static bool check_host(struct rpc_req *r)
{
    struct rpc_server *s = r->srv;
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Host");
    if (rpc_host_allowed(host, (const char *const *)s->allow_host, s->n_allow_host))
        return true;
    log_debug(LOG_HTTP, "HTTP request with Host %.80s refused (see -rpcallowhost)", host);
    send_text(r, 403, "Host header not allowed: use an IP address or localhost, or allow the "
                      "name with -rpcallowhost");
    return false;
}

static void format_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%u", host, port);
    } else {
        snprintf(buf, len, "unknown");
    }
}

/* ---- Requests (event-loop thread) ---- */

static void req_finish(struct rpc_req *r)
{
    struct rpc_server *s = r->srv;
    if (r->prev_live)
        r->prev_live->next_live = r->next_live;
    else
        s->live = r->next_live;
    if (r->next_live)
        r->next_live->prev_live = r->prev_live;
    s->outstanding--;
    if (r->ev)
        event_free(r->ev);
    if (r->body) {
        sodium_memzero(r->body, r->body_len);
        free(r->body);
    }
    free(r->reply);
    free(r->wallet);
    free(r);
}

static const char *status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

/* Sends the reply; r may be freed on return. */
static void send_reply(struct rpc_req *r, int status, const char *content_type, const char *body,
                       size_t len)
{
    struct evhttp_request *req = r->req;
    bool closed = r->closed;
    r->replied = true;
    if (content_type)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
    if (body && len)
        evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    /* With the connection gone this frees req; otherwise on_complete or
     * on_close finishes r later. */
    evhttp_send_reply(req, status, status_reason(status), NULL);
    if (closed)
        req_finish(r);
}

static void send_text(struct rpc_req *r, int status, const char *text)
{
    send_reply(r, status, text ? "text/plain" : NULL, text, text ? strlen(text) : 0);
}

static void on_complete(struct evhttp_request *req, void *arg)
{
    struct rpc_req *r = arg;
    evhttp_connection_set_closecb(r->evcon, NULL, NULL);
    req_finish(r);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct rpc_req *r = arg;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    if (r->replied)
        req_finish(r); /* evhttp frees the request with the connection */
    else
        r->closed = true; /* evhttp detached the request; the reply frees it */
}

static void free_reply(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

static void reply_ready(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_req *r = arg;
    if (r->reply && r->reply_len >= RPC_REFERENCE_REPLY && !r->closed &&
        evbuffer_add_reference(evhttp_request_get_output_buffer(r->req), r->reply, r->reply_len,
                               free_reply, NULL) == 0) {
        /* A big reply is written from the worker's buffer, not copied. */
        r->reply = NULL;
        send_reply(r, r->status, r->content_type ? r->content_type : "application/json", NULL,
                   0);
        return;
    }
    if (r->reply && r->content_type)
        send_reply(r, r->status, r->content_type, r->reply, r->reply_len);
    else if (r->reply)
        send_reply(r, r->status, r->status == 503 ? "text/plain" : "application/json", r->reply,
                   r->reply_len);
    else
        send_text(r, r->status == 204 ? 204 : 500, NULL);
}

static void auth_failed(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_req *r = arg;
    if (!r->closed)
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
                          "Basic realm=\"jsonrpc\"");
    send_text(r, 401, NULL);
}

/* Checks HTTP Basic credentials in constant time (on their digests). */
static bool check_auth(const struct rpc_server *s, struct evhttp_request *req)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!h || strncmp(h, "Basic ", 6) != 0)
        return false;
    const char *b64 = h + 6;
    while (*b64 == ' ')
        b64++;
    size_t blen = strlen(b64);
    while (blen > 0 && (b64[blen - 1] == ' ' || b64[blen - 1] == '\t'))
        blen--;
    if (blen == 0 || blen > 4096)
        return false;
    unsigned char *dec = malloc(blen);
    if (!dec)
        return false;
    size_t dlen = 0;
    bool ok = false;
    if (sodium_base642bin(dec, blen, b64, blen, NULL, &dlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0) {
        uint8_t digest[crypto_generichash_BYTES];
        crypto_generichash(digest, sizeof digest, dec, dlen, NULL, 0);
        ok = sodium_memcmp(digest, s->auth_digest, sizeof digest) == 0;
    }
    sodium_memzero(dec, blen);
    free(dec);
    return ok;
}

/* Queues r for a worker; false when the queue is full or stopped
 * (*stopped tells which). */
static bool enqueue(struct rpc_server *s, struct rpc_req *r, bool *stopped)
{
    pthread_mutex_lock(&s->mu);
    *stopped = s->q_stop;
    bool ok = !s->q_stop && s->q_len < s->q_max;
    if (ok) {
        r->next_queued = NULL;
        if (s->q_tail)
            s->q_tail->next_queued = r;
        else
            __atomic_store_n(&s->q_head, r, __ATOMIC_RELAXED); /* also read by spinners */
        s->q_tail = r;
        s->q_len++;
        /* A spinning worker would find it, but one at the workers' low
         * priority may not run for tens of milliseconds on busy cores: a
         * sleeper, if any, is woken too. */
        if (s->q_idle > 0)
            pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool rpc_parse_path(const char *path, bool *is_root, char **wallet)
{
    *wallet = NULL;
    *is_root = strcmp(path, "/") == 0;
    if (*is_root)
        return true;
    if (strncmp(path, WALLET_PREFIX, strlen(WALLET_PREFIX)) != 0)
        return false;
    size_t n = 0;
    char *name = evhttp_uridecode(path + strlen(WALLET_PREFIX), 0, &n);
    if (!name)
        return false;
    if (strlen(name) != n) {
        free(name);
        return false;
    }
    *wallet = name;
    return true;
}

/* A GET under /explorer/ (rpc/explorer.h); r may be freed on return. */
static void send_explorer(struct rpc_req *r, const char *path, const char *query)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    if (evhttp_request_get_command(r->req) != EVHTTP_REQ_GET) {
        evhttp_add_header(h, "Allow", "GET");
        send_text(r, 405, "The explorer handles only GET requests");
        return;
    }
    struct explorer_reply er;
    explorer_handle(path, query, &er);
    evhttp_add_header(h, "Cache-Control", EXPLORER_CACHE_CONTROL);
    evhttp_add_header(h, "Content-Security-Policy", EXPLORER_CSP);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    if (er.location)
        evhttp_add_header(h, "Location", er.location);
    send_reply(r, er.status, er.content_type, (const char *)er.body, er.len);
}

static void http_request_cb(struct evhttp_request *req, void *arg)
{
    struct rpc_server *s = arg;
    struct rpc_req *r = calloc(1, sizeof *r);
    if (!r) {
        evhttp_send_reply(req, 500, status_reason(500), NULL);
        return;
    }
    r->srv = s;
    r->req = req;
    r->evcon = evhttp_request_get_connection(req);
    r->fd = (int)bufferevent_getfd(evhttp_connection_get_bufferevent(r->evcon));
    conn_active(s, r->fd);
    r->next_live = s->live;
    if (s->live)
        s->live->prev_live = r;
    s->live = r;
    s->outstanding++;
    evhttp_connection_set_closecb(r->evcon, on_close, r);
    evhttp_request_set_on_complete_cb(req, on_complete, r);

    const struct sockaddr *peer = evhttp_connection_get_addr(r->evcon);
    /* Formatted only for a log line: not on every request. */
    char peer_text[64] = "";
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path)
        path = "";
    if (log_category_enabled(LOG_HTTP)) {
        format_sockaddr(peer, peer_text, sizeof peer_text);
        log_debug(LOG_HTTP, "Received a %s request for %.100s from %s",
                  evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "non-POST", path,
                  peer_text);
    }

    if (!client_allowed(s, peer)) {
        format_sockaddr(peer, peer_text, sizeof peer_text);
        log_printf("HTTP request from %s rejected: address not allowed (see -rpcallowip)\n",
                   peer_text);
        send_text(r, 403, NULL);
        return;
    }
    if (s->stopping) {
        send_text(r, 503, "Server shutting down");
        return;
    }
    if (s->metrics_render && strcmp(path, METRICS_PATH) == 0) {
        /* Prometheus: GETs without credentials, when enabled (else the
         * 404 of an unknown path below). */
        if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            send_text(r, 405, "/metrics handles only GET requests");
            return;
        }
        if (!check_host(r))
            return;
        r->metrics = true;
        r->ev = event_new(s->base, -1, 0, reply_ready, r);
        if (!r->ev) {
            send_text(r, 500, NULL);
            return;
        }
        bool stopped;
        if (!enqueue(s, r, &stopped))
            send_text(r, 503, stopped ? "Server shutting down" : "Work queue depth exceeded");
        return;
    }
    if (explorer_is_path(path)) {
        /* The explorer's static files: answered here, from memory. */
        if (!s->explorer) {
            send_text(r, 404, "Not found");
            return;
        }
        if (!check_host(r))
            return;
        send_explorer(r, path, uri ? evhttp_uri_get_query(uri) : NULL);
        return;
    }
    if (rest_is_path(path)) {
        /* REST: read-only GETs without credentials, when enabled. */
        if (!s->rest) {
            send_text(r, 404, "Not found");
            return;
        }
        if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            send_text(r, 405, "REST handles only GET requests");
            return;
        }
        if (!check_host(r))
            return;
        r->rest = true;
        /* The path, and "?query" when there is one (rest_handle splits it). */
        const char *query = evhttp_uri_get_query(uri);
        r->body_len = strlen(path) + (query ? 1 + strlen(query) : 0);
        r->body = malloc(r->body_len + 1);
        if (r->body)
            snprintf(r->body, r->body_len + 1, "%s%s%s", path, query ? "?" : "", query ? query : "");
        r->ev = event_new(s->base, -1, 0, reply_ready, r);
        if (!r->body || !r->ev) {
            send_text(r, 500, NULL);
            return;
        }
        bool stopped;
        if (!enqueue(s, r, &stopped))
            send_text(r, 503, stopped ? "Server shutting down" : "Work queue depth exceeded");
        return;
    }
    bool is_root;
    if (!rpc_parse_path(path, &is_root, &r->wallet)) {
        send_text(r, 404, NULL);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        send_text(r, 405, "JSONRPC server handles only POST requests");
        return;
    }
    if (!check_auth(s, req)) {
        /* Only wrong credentials are worth a line; probes without any are
         * common and would flood the log. */
        if (evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization")) {
            format_sockaddr(peer, peer_text, sizeof peer_text);
            log_printf("ThreadRPCServer incorrect password attempt from %s\n", peer_text);
        }
        struct timeval delay = {s->auth_delay_ms / 1000, (s->auth_delay_ms % 1000) * 1000};
        r->ev = evtimer_new(s->base, auth_failed, r);
        if (!r->ev || evtimer_add(r->ev, &delay) != 0)
            auth_failed(-1, 0, r);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    r->body_len = evbuffer_get_length(in);
    if (r->body_len <= RPC_FAST_MAX_BODY) {
        /* A call of a fast method (getblockcount...) is answered here: the
         * hand-off to a worker and back would cost more than the call. */
        const char *text = (const char *)evbuffer_pullup(in, -1);
        bool handled = false;
        if (text)
            r->reply = rpc_handle_body_fast(s->table, s->env, r->wallet, text, r->body_len,
                                            &r->status, &r->reply_len, &handled);
        if (handled) {
            evbuffer_drain(in, r->body_len);
            reply_ready(-1, 0, r);
            return;
        }
    }
    r->body = malloc(r->body_len + 1);
    r->ev = event_new(s->base, -1, 0, reply_ready, r);
    if (!r->body || !r->ev) {
        send_text(r, 500, NULL);
        return;
    }
    evbuffer_remove(in, r->body, r->body_len);
    r->body[r->body_len] = '\0';
    bool stopped;
    if (!enqueue(s, r, &stopped)) {
        if (stopped) {
            send_text(r, 503, "Server shutting down");
            return;
        }
        log_printf("WARNING: request rejected because http work queue depth exceeded, it can "
                   "be increased with the -rpcworkqueue= setting\n");
        send_text(r, 503, "Work queue depth exceeded");
    }
}

/* ---- Connection cap ----
 *
 * libevent 2.1's evhttp has no connection limit and no hook at accept but
 * the one that makes each connection's bufferevent (without its socket
 * yet).  On the next loop turn the socket is known and recorded (with
 * both ends' addresses).  At -rpcmaxconnections records, the connection
 * idle longest (no request in progress; the oldest complete request or
 * accept) is shut down, which evhttp sees as the client leaving and frees;
 * when every one is busy the new one is shut down instead.  Records are
 * checked (is that descriptor still the same connection?) only at the cap,
 * so closing costs nothing and a full table one sweep per new connection.
 * The listener keeps accepting, so its backlog never fills, and P2P, on its
 * own sockets, is not touched. */

struct conn_rec {
    int fd;
    uint64_t active; /* s->conn_seq at accept or at its last complete request */
    socklen_t llen, plen;
    struct sockaddr_storage local, peer;
};

static bool conn_read(int fd, struct conn_rec *r)
{
    r->fd = fd;
    r->llen = sizeof r->local;
    r->plen = sizeof r->peer;
    memset(&r->local, 0, sizeof r->local);
    memset(&r->peer, 0, sizeof r->peer);
    return getsockname(fd, (struct sockaddr *)&r->local, &r->llen) == 0 &&
           getpeername(fd, (struct sockaddr *)&r->peer, &r->plen) == 0;
}

/* Drops the records whose descriptor was closed or now holds another
 * connection. */
static void conn_sweep(struct rpc_server *s)
{
    for (size_t i = 0; i < s->n_conns;) {
        struct conn_rec now;
        const struct conn_rec *r = &s->conns[i];
        if (conn_read(r->fd, &now) && now.llen == r->llen && now.plen == r->plen &&
            memcmp(&now.local, &r->local, r->llen) == 0 &&
            memcmp(&now.peer, &r->peer, r->plen) == 0) {
            i++;
            continue;
        }
        s->conns[i] = s->conns[--s->n_conns];
    }
}

struct conn_pending {
    struct rpc_server *srv;
    struct bufferevent *bev; /* referenced until conn_check */
};

/* The open connection idle longest (no request in progress, the oldest
 * last complete request or accept); NULL when every one is busy. */
static struct conn_rec *conn_victim(struct rpc_server *s)
{
    struct conn_rec *best = NULL;
    for (size_t i = 0; i < s->n_conns; i++) {
        struct conn_rec *c = &s->conns[i];
        bool busy = false;
        for (const struct rpc_req *r = s->live; r && !busy; r = r->next_live)
            busy = !r->closed && r->fd == c->fd;
        if (!busy && (!best || c->active < best->active))
            best = c;
    }
    return best;
}

static void conn_check(evutil_socket_t unused, short what, void *arg)
{
    (void)unused;
    (void)what;
    struct conn_pending *pc = arg;
    struct rpc_server *s = pc->srv;
    int fd = (int)bufferevent_getfd(pc->bev);
    struct conn_rec rec;
    if (fd >= 0 && conn_read(fd, &rec)) {
        rec.active = ++s->conn_seq;
        if (s->n_conns >= s->max_conns)
            conn_sweep(s);
        bool full = s->n_conns >= s->max_conns;
        struct conn_rec *victim = full ? conn_victim(s) : NULL;
        if (victim) {
            /* Full: the connection idle longest goes (evhttp sees the
             * client leave), so idle or trickling clients cannot keep
             * new ones out. */
            shutdown(victim->fd, SHUT_RDWR);
            *victim = s->conns[--s->n_conns];
        }
        if (s->n_conns < s->max_conns)
            s->conns[s->n_conns++] = rec;
        else
            shutdown(fd, SHUT_RDWR); /* every one is busy with a request */
        if (full) {
            time_t now = time(NULL);
            if (now != s->conn_log_time) {
                s->conn_log_time = now;
                log_printf("HTTP connections at the -rpcmaxconnections limit (%zu): %s\n",
                           s->max_conns,
                           victim ? "closed the one idle longest" : "refused a new one");
            }
        }
    }
    bufferevent_decref(pc->bev);
    free(pc);
}

/* A complete request on the connection of fd: it is active now. */
static void conn_active(struct rpc_server *s, int fd)
{
    for (size_t i = 0; i < s->n_conns; i++)
        if (s->conns[i].fd == fd) {
            s->conns[i].active = ++s->conn_seq;
            return;
        }
}

static struct bufferevent *new_conn_bev(struct event_base *base, void *arg)
{
    struct rpc_server *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct conn_pending *pc = bev ? malloc(sizeof *pc) : NULL;
    if (!pc)
        return bev;
    pc->srv = s;
    pc->bev = bev;
    bufferevent_incref(bev);
    if (event_base_once(base, -1, EV_TIMEOUT, conn_check, pc, NULL) != 0) {
        bufferevent_decref(bev);
        free(pc);
    }
    return bev;
}


/* ---- Workers ---- */

/* Runs the calling worker s->worker_nice nice levels below the thread that
 * started the server, whose nice it inherited (nice is per thread on
 * Linux; lowering a priority needs no privilege).  When the cores are busy
 * the HTTP thread (fast calls, writing replies), P2P and validation then
 * run before a worker encoding a big reply; on idle cores nothing changes.
 * Elsewhere (nice is per process there) nothing is done. */
static void worker_lower_priority(struct rpc_server *s)
{
#ifdef __linux__
    if (s->worker_nice <= 0)
        return;
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int inherited = getpriority(PRIO_PROCESS, tid);
    if (inherited == -1 && errno != 0)
        inherited = 0;
    int target = inherited + s->worker_nice;
    if (target > RPC_MAX_WORKER_NICE)
        target = RPC_MAX_WORKER_NICE;
    if (setpriority(PRIO_PROCESS, tid, target) != 0 &&
        __atomic_fetch_add(&s->nice_failed, 1, __ATOMIC_RELAXED) == 0)
        log_printf("HTTP: cannot lower the RPC workers' priority (-rpcworkernice): %s\n",
                   strerror(errno));
#else
    (void)s;
#endif
}

static void *worker_main(void *arg)
{
    struct rpc_server *s = arg;
    worker_lower_priority(s);
    int budget = RPC_WORKER_SPIN;
    for (;;) {
        /* Under load the next request comes within microseconds: look for
         * it briefly before sleeping (a sleep and a wake-up cost more). */
        int spin = 0;
        while (spin < budget && !__atomic_load_n(&s->q_head, __ATOMIC_RELAXED) &&
               !__atomic_load_n(&s->q_stop, __ATOMIC_RELAXED)) {
            sched_yield();
            spin++;
        }
        if (spin < budget)
            budget = RPC_WORKER_SPIN;
        else if (budget / 2 >= RPC_WORKER_SPIN_MIN)
            budget /= 2;
        pthread_mutex_lock(&s->mu);
        while (!s->q_head && !s->q_stop) {
            s->q_idle++;
            pthread_cond_wait(&s->cv, &s->mu);
            s->q_idle--;
        }
        if (s->q_stop) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        struct rpc_req *r = s->q_head;
        __atomic_store_n(&s->q_head, r->next_queued, __ATOMIC_RELAXED);
        if (!s->q_head)
            s->q_tail = NULL;
        s->q_len--;
        pthread_mutex_unlock(&s->mu);

        if (r->metrics) {
            r->reply = s->metrics_render(s->env, &r->reply_len);
            r->status = r->reply ? 200 : 500;
            r->content_type = METRICS_CONTENT_TYPE;
        } else if (r->rest) {
            struct rest_reply rr;
            rest_handle(s->table, s->env, r->body, &rr);
            r->reply = rr.body;
            r->reply_len = rr.len;
            r->status = rr.status;
            r->content_type = rr.content_type;
            if (!r->reply)
                r->status = 500;
        } else {
            r->reply = rpc_handle_body(s->table, s->env, r->wallet, r->body, r->body_len,
                                       &r->status, &r->reply_len);
        }
        if (r->body)
            sodium_memzero(r->body, r->body_len);
        free(r->body);
        r->body = NULL;
        event_active(r->ev, EV_TIMEOUT, 0);
    }
    return NULL;
}

static void *loop_main(void *arg)
{
    struct rpc_server *s = arg;
    event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

/* ---- Start and stop ---- */

/* Splits "host", "host:port", "[v6]:port" or a bare IPv6 address. */
static bool split_host_port(const char *text, uint16_t def_port, char *host, size_t hlen,
                            uint16_t *port)
{
    *port = def_port;
    const char *colon = strrchr(text, ':');
    const char *h = text;
    size_t n = strlen(text);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close)
            return false;
        h = text + 1;
        n = (size_t)(close - h);
        if (close[1] == ':')
            colon = close + 1;
        else if (close[1] != '\0')
            return false;
        else
            colon = NULL;
    } else if (colon && strchr(text, ':') != colon) {
        colon = NULL; /* bare IPv6 */
    } else if (colon) {
        n = (size_t)(colon - text);
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
            return false;
        *port = (uint16_t)p;
    }
    if (n == 0 || n >= hlen)
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return true;
}

static bool bind_one(struct rpc_server *s, const char *host, uint16_t port)
{
    struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(s->http, host, port);
    if (!b) {
        log_printf("Binding RPC on address %s port %u failed.\n", host, port);
        return false;
    }
    struct evhttp_bound_socket **nb = realloc(s->bound, (s->n_bound + 1) * sizeof(*nb));
    if (!nb) {
        evhttp_del_accept_socket(s->http, b);
        return false;
    }
    s->bound = nb;
    s->bound[s->n_bound++] = b;
    log_printf("Binding RPC on address %s port %u\n", host, port);
    return true;
}

static bool bind_all(struct rpc_server *s, const struct rpc_server_options *o, char *err,
                     size_t errlen)
{
    if (o->n_bind > 0 && o->n_allow > 0) {
        for (size_t i = 0; i < o->n_bind; i++) {
            char host[256];
            uint16_t port;
            if (!split_host_port(o->bind[i], o->port, host, sizeof host, &port)) {
                snprintf(err, errlen, "Invalid -rpcbind address: %s", o->bind[i]);
                return false;
            }
            bind_one(s, host, port);
        }
    } else {
        if (o->n_bind > 0)
            log_printf("WARNING: option -rpcbind was ignored because -rpcallowip was not "
                       "specified, refusing to allow everyone to connect\n");
        if (o->n_allow > 0)
            log_printf("WARNING: option -rpcallowip was specified without -rpcbind; this "
                       "doesn't usually make sense\n");
        bind_one(s, "127.0.0.1", o->port);
    }
    if (s->n_bound == 0) {
        snprintf(err, errlen, "Unable to bind any endpoint for RPC server (port %u in use?)",
                 o->port);
        return false;
    }
    return true;
}

static bool setup_auth(struct rpc_server *s, const struct rpc_server_options *o, char *err,
                       size_t errlen)
{
    if (o->user && o->password && *o->password) {
        size_t ul = strlen(o->user), pl = strlen(o->password);
        char *cred = malloc(ul + 1 + pl);
        if (!cred) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        memcpy(cred, o->user, ul);
        cred[ul] = ':';
        memcpy(cred + ul + 1, o->password, pl);
        crypto_generichash(s->auth_digest, sizeof s->auth_digest, (const unsigned char *)cred,
                           ul + 1 + pl, NULL, 0);
        sodium_memzero(cred, ul + 1 + pl);
        free(cred);
        return true;
    }
    char *path = fs_path_join(o->datadir ? o->datadir : ".",
                              o->cookie_file ? o->cookie_file : RPC_COOKIE_FILE);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    uint8_t secret[32];
    char cookie[sizeof(RPC_COOKIE_USER) + 2 * sizeof secret + 1];
    randombytes_buf(secret, sizeof secret);
    memcpy(cookie, RPC_COOKIE_USER ":", sizeof(RPC_COOKIE_USER));
    sodium_bin2hex(cookie + sizeof(RPC_COOKIE_USER), 2 * sizeof secret + 1, secret, sizeof secret);
    size_t len = strlen(cookie);
    bool ok = fs_write_atomic(path, cookie, len, 0600);
    if (ok)
        crypto_generichash(s->auth_digest, sizeof s->auth_digest, (unsigned char *)cookie, len,
                           NULL, 0);
    else
        snprintf(err, errlen, "Unable to write the RPC cookie %s: %s", path, strerror(errno));
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(cookie, sizeof cookie);
    if (!ok) {
        free(path);
        return false;
    }
    s->cookie_path = path;
    return true;
}

/* Frees a server whose threads are not running. */
static void server_free(struct rpc_server *s)
{
    if (s->finish_ev)
        event_free(s->finish_ev);
    if (s->http)
        evhttp_free(s->http);
    if (s->base)
        event_base_free(s->base);
    if (s->cookie_path) {
        unlink(s->cookie_path);
        free(s->cookie_path);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->workers);
    free(s->bound);
    free(s->allow);
    free(s->conns);
    for (size_t i = 0; i < s->n_allow_host; i++)
        free(s->allow_host[i]);
    free(s->allow_host);
    sodium_memzero(s->auth_digest, sizeof s->auth_digest);
    free(s);
}

static void finish_cb(evutil_socket_t fd, short what, void *arg);

struct rpc_server *rpc_server_start(const struct rpc_server_options *o,
                                    const struct rpc_table *table, struct rpc_env *env, char *err,
                                    size_t errlen)
{
    pthread_once(&evthread_once, init_evthread);
    if (evthread_status != 0 || sodium_init() < 0) {
        snprintf(err, errlen, "cannot initialize libevent threads or libsodium");
        return NULL;
    }
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);

    struct rpc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->table = table;
    s->env = env;
    s->q_max = o->work_queue > 0 ? o->work_queue : RPC_DEFAULT_WORK_QUEUE;
    s->auth_delay_ms = o->auth_delay_ms >= 0 ? o->auth_delay_ms : RPC_DEFAULT_AUTH_DELAY_MS;
    s->rest = o->rest;
    s->metrics_render = o->metrics ? o->metrics_render : NULL;
    s->explorer = o->explorer;
    int threads = o->threads > 0 ? o->threads : RPC_DEFAULT_THREADS;

    s->allow = calloc(o->n_allow ? o->n_allow : 1, sizeof(*s->allow));
    if (!s->allow) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < o->n_allow; i++) {
        if (!rpc_subnet_parse(o->allow[i], &s->allow[i])) {
            snprintf(err, errlen, "Invalid -rpcallowip subnet specification: %s", o->allow[i]);
            goto fail;
        }
    }
    s->n_allow = o->n_allow;
    s->allow_host = calloc(o->n_allow_host ? o->n_allow_host : 1, sizeof(*s->allow_host));
    if (!s->allow_host) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < o->n_allow_host; i++) {
        if (!host_name_ok(o->allow_host[i])) {
            snprintf(err, errlen, "Invalid -rpcallowhost name: %.100s", o->allow_host[i]);
            goto fail;
        }
        s->allow_host[i] = strdup(o->allow_host[i]);
        if (!s->allow_host[i]) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        s->n_allow_host = i + 1;
    }

    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    s->finish_ev = s->base ? evtimer_new(s->base, finish_cb, s) : NULL;
    if (!s->http || !s->finish_ev) {
        snprintf(err, errlen, "cannot create the HTTP server");
        goto fail;
    }
    evhttp_set_timeout(s->http, o->timeout > 0 ? o->timeout : RPC_DEFAULT_TIMEOUT);
    evhttp_set_max_body_size(s->http, (ev_ssize_t)(o->max_body ? o->max_body : RPC_DEFAULT_MAX_BODY));
    evhttp_set_max_headers_size(
        s->http, (ev_ssize_t)(o->max_headers ? o->max_headers : RPC_DEFAULT_MAX_HEADERS));
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(s->http, http_request_cb, s);
    s->max_conns = o->max_connections > 0 ? (size_t)o->max_connections
                                           : RPC_DEFAULT_MAX_CONNECTIONS;
    s->conns = calloc(s->max_conns, sizeof(*s->conns));
    if (!s->conns) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    evhttp_set_bevcb(s->http, new_conn_bev, s);

    if (!bind_all(s, o, err, errlen) || !setup_auth(s, o, err, errlen))
        goto fail;

    s->workers = calloc((size_t)threads, sizeof(*s->workers));
    if (!s->workers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (pthread_create(&s->loop_thread, NULL, loop_main, s) != 0) {
        snprintf(err, errlen, "cannot start the HTTP thread");
        goto fail;
    }
    s->loop_started = true;
    s->worker_nice = o->worker_nice;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
            break;
        s->n_workers++;
    }
    if (s->n_workers == 0) {
        snprintf(err, errlen, "cannot start the RPC worker threads");
        rpc_server_stop(s);
        return NULL;
    }
    log_printf("HTTP: starting %d worker threads (nice +%d), work queue depth %d\n", s->n_workers,
               s->worker_nice, s->q_max);
    return s;

fail:
    server_free(s);
    return NULL;
}

static void stop_accepting(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_server *s = arg;
    if (s->stopping)
        return;
    s->stopping = true;
    for (size_t i = 0; i < s->n_bound; i++)
        evhttp_del_accept_socket(s->http, s->bound[i]);
    s->n_bound = 0;
}

/* Runs on the loop thread once the workers are gone: waits (bounded) for
 * the last replies to be written, then frees evhttp and ends the loop. */
static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_server *s = arg;
    stop_accepting(fd, what, arg);
    if (s->outstanding > 0 && time(NULL) < s->finish_deadline) {
        /* Unanswered requests (a 401 timer) are answered by their timer;
         * replied ones are being written. */
        struct timeval tv = {0, 10000};
        evtimer_add(s->finish_ev, &tv);
        return;
    }
    for (struct rpc_req *r = s->live, *next; r; r = next) {
        next = r->next_live;
        if (!r->replied) {
            if (r->ev)
                event_del(r->ev);
            send_text(r, 503, "Server shutting down");
        }
    }
    evhttp_free(s->http);
    s->http = NULL;
    /* Connections closed above finished their requests; free any left. */
    while (s->live)
        req_finish(s->live);
    event_base_loopbreak(s->base);
}

void rpc_server_stop(struct rpc_server *s)
{
    if (!s)
        return;
    if (s->loop_started)
        event_base_once(s->base, -1, EV_TIMEOUT, stop_accepting, s, NULL);

    /* Workers finish their current request; queued ones get 503. */
    pthread_mutex_lock(&s->mu);
    __atomic_store_n(&s->q_stop, true, __ATOMIC_RELAXED);
    struct rpc_req *queued = s->q_head;
    __atomic_store_n(&s->q_head, NULL, __ATOMIC_RELAXED);
    s->q_tail = NULL;
    s->q_len = 0;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (struct rpc_req *r = queued, *next; r; r = next) {
        next = r->next_queued;
        static const char busy[] = "Server shutting down";
        r->status = 503;
        r->reply = strdup(busy);
        r->reply_len = r->reply ? strlen(busy) : 0;
        event_active(r->ev, EV_TIMEOUT, 0);
    }
    for (int i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i], NULL);

    if (s->loop_started) {
        s->finish_deadline = time(NULL) + STOP_FLUSH_SECONDS;
        struct timeval now = {0, 0};
        evtimer_add(s->finish_ev, &now);
        pthread_join(s->loop_thread, NULL);
    }
    if (s->cookie_path)
        log_printf("RPC: removing cookie %s\n", s->cookie_path);
    server_free(s);
}

uint16_t rpc_server_port(const struct rpc_server *s)
{
    if (s->n_bound == 0)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(s->bound[0]), (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

bool rpc_server_bound_address(const struct rpc_server *s, size_t i, char *buf, size_t len)
{
    if (i >= s->n_bound)
        return false;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(s->bound[i]), (struct sockaddr *)&ss, &sl) != 0)
        return false;
    format_sockaddr((struct sockaddr *)&ss, buf, len);
    return true;
}

const char *rpc_server_cookie_path(const struct rpc_server *s)
{
    return s->cookie_path;
}
