/* Tests of the JSON-RPC HTTP server on 127.0.0.1 with a raw socket client:
 * cookie and password auth, HTTP statuses, keep-alive, the work queue,
 * slow clients, bind rules, the allow-list and a graceful stop. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "rpc/rpc.h"
#include "rpc/server.h"
#include "util/config.h"
#include "client/rpcclient.h"

static char tmpdir[64];
static struct rpc_table *table;
static struct rpc_env env;
static atomic_int calls;

/* A gate the "gate" handler waits on until the test opens it. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_started;
static bool gate_open;

static json_t *m_ping(struct rpc_call *c)
{
    atomic_fetch_add(&calls, 1);
    return json_string("pong");
}

static json_t *m_fastping(struct rpc_call *c)
{
    return json_string("fast");
}

static json_t *m_gate(struct rpc_call *c)
{
    pthread_mutex_lock(&gate_mu);
    gate_started++;
    pthread_cond_broadcast(&gate_cv);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    return json_string("done");
}

static json_t *m_wallet(struct rpc_call *c)
{
    const char *w = rpc_wallet_name(c);
    return w ? json_string(w) : json_null();
}

static json_t *m_object(struct rpc_call *c)
{
    return json_pack("{s:o,s:[i,s,{}],s:[],s:s}", "amount", json_amount(UINT64_C(2100000012345678)),
                     "list", 1, "two", "none", "text", "a\"b");
}

static json_t *m_echo(struct rpc_call *c)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rpc_argc(c); i++)
        json_array_append(a, rpc_has(c, i) ? rpc_json(c, i) : json_null());
    return a;
}

static json_t *m_amount(struct rpc_call *c)
{
    return json_amount(rpc_amount(c, 1, 0));
}

static json_t *m_text(struct rpc_call *c)
{
    return json_string(rpc_str(c, 0, "line1\nline2"));
}

/* The nice value of the thread running the handler. */
static json_t *m_nice(struct rpc_call *c)
{
    return json_integer(getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)));
}

static json_t *m_fail(struct rpc_call *c)
{
    return rpc_error(c, RPC_WALLET_NOT_SPECIFIED, "Wallet file not specified.");
}

static const struct rpc_method methods[] = {
    {.category = "Test", .name = "ping", .handler = m_ping, .summary = "Pong."},
    {.category = "Test", .name = "getobject", .handler = m_object, .summary = "An object."},
    {.category = "Test", .name = "gettext", .handler = m_text, .summary = "Text.",
     .args = {{"text", RPC_STR, false, NULL, "Text"}}},
    {.category = "Test", .name = "getblock", .handler = m_echo, .summary = "Echo.",
     .args = {{"blockhash", RPC_STR, true, NULL, "h"}, {"verbosity", RPC_INT, false, "1", "v"}}},
    {.category = "Test", .name = "sendtoaddress", .handler = m_amount, .summary = "Amount.",
     .args = {{"address", RPC_STR, true, NULL, "a"}, {"amount", RPC_AMOUNT, true, NULL, "x"}}},
    {.category = "Test", .name = "needwallet", .handler = m_fail, .summary = "Fails."},
    {.category = "Test", .name = "gate", .handler = m_gate, .summary = "Waits.", .unlocked = true},
    {.category = "Test", .name = "wallet", .handler = m_wallet, .summary = "Wallet."},
    {.category = "Test", .name = "fastping", .handler = m_fastping, .summary = "Fast.",
     .unlocked = true, .fast = true},
    {.category = "Test", .name = "nice", .handler = m_nice, .summary = "Nice.", .unlocked = true},
    {.category = "Test", .name = "fastnice", .handler = m_nice, .summary = "Nice.",
     .unlocked = true, .fast = true},
};

static void wait_gate_started(int n)
{
    pthread_mutex_lock(&gate_mu);
    while (gate_started < n)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void open_gate(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void setup(void)
{
    strcpy(tmpdir, "/tmp/fml-test-rpcsrv-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    table = rpc_table_new();
    ck_assert(rpc_table_add(table, methods, sizeof methods / sizeof methods[0]));
    atomic_store(&calls, 0);
    gate_started = 0;
    gate_open = false;
}

static void teardown(void)
{
    rpc_table_free(table);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static struct rpc_server *start(struct rpc_server_options *o)
{
    o->datadir = tmpdir;
    char err[256] = "";
    struct rpc_server *s = rpc_server_start(o, table, &env, err, sizeof err);
    ck_assert_msg(s != NULL, "start failed: %s", err);
    return s;
}

static struct rpc_server *start_default(void)
{
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    return start(&o);
}

/* ---- A raw HTTP client ---- */

static uint16_t port;

/* A connection to the server from the loopback address source (NULL: the
 * kernel's choice, 127.0.0.1). */
static int connect_server_from(const char *source)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (source) {
        struct sockaddr_in from = {.sin_family = AF_INET};
        ck_assert_int_eq(inet_pton(AF_INET, source, &from.sin_addr), 1);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static int connect_server(void)
{
    return connect_server_from(NULL);
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        ck_assert_int_gt(n, 0);
        data += n;
        len -= (size_t)n;
    }
}

static char *basic(const char *userpass)
{
    static char header[256];
    char b64[200];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)userpass, strlen(userpass),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(header, sizeof header, "Authorization: Basic %s\r\n", b64);
    return header;
}

static void send_request(int fd, const char *method, const char *path, const char *auth_header,
                         const char *body)
{
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, auth_header ? auth_header : "", blen);
    send_all(fd, head, (size_t)n);
    if (blen)
        send_all(fd, body, blen);
}

struct response {
    int status;
    char headers[4096];
    char *body;
    size_t len;
};

/* Reads one response (Content-Length framed, or until EOF). */
static bool read_response(int fd, struct response *r)
{
    memset(r, 0, sizeof *r);
    size_t hl = 0;
    while (hl + 1 < sizeof r->headers) {
        ssize_t n = recv(fd, r->headers + hl, 1, 0);
        if (n <= 0)
            return false;
        hl++;
        r->headers[hl] = '\0';
        if (hl >= 4 && memcmp(r->headers + hl - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    if (sscanf(r->headers, "HTTP/1.%*d %d", &r->status) != 1)
        return false;
    const char *cl = strcasestr(r->headers, "\r\nContent-Length:");
    long want = cl ? strtol(cl + 17, NULL, 10) : -1;
    if (r->status == 204)
        want = 0; /* no body, whatever the headers say */
    size_t cap = want >= 0 ? (size_t)want + 1 : 65536;
    r->body = malloc(cap);
    while (want < 0 || r->len < (size_t)want) {
        if (r->len + 1 >= cap) {
            cap *= 2;
            r->body = realloc(r->body, cap);
        }
        ssize_t n = recv(fd, r->body + r->len, want >= 0 ? (size_t)want - r->len : cap - r->len - 1, 0);
        if (n <= 0) {
            if (want < 0)
                break;
            return false;
        }
        r->len += (size_t)n;
    }
    r->body[r->len] = '\0';
    return true;
}

static struct response request(const char *method, const char *path, const char *auth_header,
                               const char *body)
{
    int fd = connect_server();
    send_request(fd, method, path, auth_header, body);
    struct response r;
    ck_assert_msg(read_response(fd, &r), "no response to %s %s", method, path);
    close(fd);
    return r;
}

static char *cookie_auth(const struct rpc_server *s)
{
    static char userpass[128];
    FILE *f = fopen(rpc_server_cookie_path(s), "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(userpass, 1, sizeof userpass - 1, f);
    fclose(f);
    userpass[n] = '\0';
    return basic(userpass);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char ping_body[] = "{\"method\":\"ping\",\"params\":[],\"id\":1}";

/* ---- Tests ---- */

START_TEST(test_cookie_auth)
{
    struct rpc_server *s = start_default();
    port = rpc_server_port(s);
    ck_assert_int_ne(port, 0);

    char path[128];
    snprintf(path, sizeof path, "%s/.cookie", tmpdir);
    ck_assert_str_eq(rpc_server_cookie_path(s), path);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, 75);
    char cookie[128];
    FILE *f = fopen(path, "r");
    size_t n = fread(cookie, 1, sizeof cookie - 1, f);
    fclose(f);
    cookie[n] = '\0';
    ck_assert_uint_eq(n, 75);
    ck_assert(strncmp(cookie, "__cookie__:", 11) == 0);
    for (size_t i = 11; i < 75; i++)
        ck_assert_msg(strchr("0123456789abcdef", cookie[i]) != NULL, "byte %zu", i);

    struct response r = request("POST", "/", cookie_auth(s), ping_body);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"result\":\"pong\",\"error\":null,\"id\":1}\n");
    ck_assert_ptr_nonnull(strcasestr(r.headers, "\r\nContent-Type: application/json\r\n"));
    free(r.body);
    ck_assert_int_eq(atomic_load(&calls), 1);

    /* Missing, wrong and malformed credentials: 401 after a delay, and the
     * method never runs. */
    char wrong_cookie[128];
    snprintf(wrong_cookie, sizeof wrong_cookie, "%s", cookie);
    wrong_cookie[20] = wrong_cookie[20] == '0' ? '1' : '0';
    const char *bad[] = {NULL, wrong_cookie, "user:pass", "__cookie__:",
                         "Authorization: Bearer abc\r\n", "Authorization: Basic !!!!\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char hdr[300] = "";
        if (bad[i])
            snprintf(hdr, sizeof hdr, "%s", strncmp(bad[i], "Authorization", 13) == 0 ? bad[i] : basic(bad[i]));
        double t0 = now_ms();
        r = request("POST", "/", bad[i] ? hdr : NULL, ping_body);
        double elapsed = now_ms() - t0;
        ck_assert_int_eq(r.status, 401);
        ck_assert_ptr_nonnull(strstr(r.headers, "\r\nWWW-Authenticate: Basic realm=\"jsonrpc\"\r\n"));
        ck_assert_msg(elapsed >= 200, "401 after only %.0f ms", elapsed);
        free(r.body);
    }
    ck_assert_int_eq(atomic_load(&calls), 1);

    rpc_server_stop(s);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_password_auth)
{
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    o.user = "alice";
    o.password = "s3cret:with:colons";
    o.auth_delay_ms = 10;
    struct rpc_server *s = start(&o);
    port = rpc_server_port(s);
    ck_assert_ptr_null(rpc_server_cookie_path(s));
    char path[128];
    snprintf(path, sizeof path, "%s/.cookie", tmpdir);
    ck_assert_int_eq(access(path, F_OK), -1);

    struct response r = request("POST", "/", basic("alice:s3cret:with:colons"), ping_body);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    r = request("POST", "/", basic("alice:s3cret"), ping_body);
    ck_assert_int_eq(r.status, 401);
    free(r.body);
    r = request("POST", "/", basic("bob:s3cret:with:colons"), ping_body);
    ck_assert_int_eq(r.status, 401);
    free(r.body);
    ck_assert_int_eq(atomic_load(&calls), 1);
    rpc_server_stop(s);
}
END_TEST

START_TEST(test_http_statuses)
{
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    o.max_body = 1024;
    struct rpc_server *s = start(&o);
    port = rpc_server_port(s);
    const char *auth = cookie_auth(s);
    char auth_copy[300];
    snprintf(auth_copy, sizeof auth_copy, "%s", auth);

    struct response r = request("GET", "/", auth_copy, NULL);
    ck_assert_int_eq(r.status, 405);
    free(r.body);
    r = request("PUT", "/", auth_copy, ping_body);
    ck_assert_int_eq(r.status, 405);
    free(r.body);
    r = request("POST", "/nope", auth_copy, ping_body);
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    r = request("GET", "/rest/x", NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    free(r.body);

    /* A body over the limit. */
    char big[2048];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, ping_body, strlen(ping_body));
    r = request("POST", "/", auth_copy, big);
    ck_assert_int_eq(r.status, 413);
    free(r.body);
    ck_assert_int_eq(atomic_load(&calls), 0);

    /* JSON-RPC errors as bitcoind maps them. */
    r = request("POST", "/", auth_copy, "{\"method\":");
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(r.body, "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}\n");
    free(r.body);
    r = request("POST", "/", auth_copy, "{\"method\":\"nosuch\",\"id\":1}");
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    r = request("POST", "/", auth_copy, "{\"method\":7,\"id\":1}");
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    r = request("POST", "/", auth_copy, "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":1}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "-32601"));
    free(r.body);
    r = request("POST", "/", auth_copy, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}");
    ck_assert_int_eq(r.status, 204);
    ck_assert_uint_eq(r.len, 0);
    free(r.body);
    r = request("POST", "/", auth_copy, "[{\"method\":\"ping\",\"id\":1},{\"method\":\"x\",\"id\":2}]");
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.body[0] == '[');
    free(r.body);
    ck_assert_int_eq(atomic_load(&calls), 2);

    /* The wallet endpoint decodes its name. */
    r = request("POST", "/wallet/my%20wallet", auth_copy, "{\"method\":\"wallet\",\"id\":1}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"result\":\"my wallet\",\"error\":null,\"id\":1}\n");
    free(r.body);
    r = request("POST", "/", auth_copy, "{\"method\":\"wallet\",\"id\":1}");
    ck_assert_str_eq(r.body, "{\"result\":null,\"error\":null,\"id\":1}\n");
    free(r.body);
    r = request("POST", "/wallet/a%00b", auth_copy, "{\"method\":\"wallet\",\"id\":1}");
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    rpc_server_stop(s);
}
END_TEST

START_TEST(test_keep_alive)
{
    struct rpc_server *s = start_default();
    port = rpc_server_port(s);
    char auth[300];
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    int fd = connect_server();
    for (int i = 0; i < 3; i++) {
        send_request(fd, "POST", "/", auth, ping_body);
        struct response r;
        ck_assert_msg(read_response(fd, &r), "request %d on the same connection", i);
        ck_assert_int_eq(r.status, 200);
        ck_assert_ptr_null(strcasestr(r.headers, "Connection: close"));
        free(r.body);
    }
    /* An error reply keeps the connection too. */
    send_request(fd, "POST", "/", auth, "{\"method\":\"nosuch\",\"id\":1}");
    struct response r;
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    send_request(fd, "POST", "/", auth, ping_body);
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    close(fd);
    ck_assert_int_eq(atomic_load(&calls), 4);
    rpc_server_stop(s);
}
END_TEST

START_TEST(test_work_queue)
{
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    o.threads = 1;
    o.work_queue = 1;
    o.auth_delay_ms = 10;
    struct rpc_server *s = start(&o);
    port = rpc_server_port(s);
    char auth[300];
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    const char *gate_body = "{\"method\":\"gate\",\"id\":1}";

    int a = connect_server();
    send_request(a, "POST", "/", auth, gate_body);
    wait_gate_started(1); /* the only worker is busy */
    int b = connect_server();
    send_request(b, "POST", "/", auth, gate_body); /* fills the queue */
    usleep(100 * 1000);
    struct response r = request("POST", "/", auth, ping_body);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.body, "Work queue depth exceeded");
    free(r.body);

    /* The event loop keeps answering what needs no worker. */
    double t0 = now_ms();
    r = request("GET", "/", auth, NULL);
    ck_assert_int_eq(r.status, 405);
    free(r.body);
    r = request("POST", "/", NULL, ping_body);
    ck_assert_int_eq(r.status, 401);
    free(r.body);
    ck_assert_msg(now_ms() - t0 < 2000, "loop blocked by a slow handler");

    /* A call of a fast method is answered by the loop itself, with every
     * worker busy and the queue full; a batch of it still goes to the queue,
     * and so does a body over RPC_FAST_MAX_BODY; credentials still count. */
    r = request("POST", "/", auth, "{\"method\":\"fastping\",\"id\":7}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"result\":\"fast\",\"error\":null,\"id\":7}\n");
    free(r.body);
    r = request("POST", "/wallet/w1", auth, "{\"jsonrpc\":\"2.0\",\"method\":\"fastping\"}");
    ck_assert_int_eq(r.status, 204);
    free(r.body);
    r = request("POST", "/", auth, "[{\"method\":\"fastping\",\"id\":1}]");
    ck_assert_int_eq(r.status, 503);
    free(r.body);
    char big[RPC_FAST_MAX_BODY + 64];
    snprintf(big, sizeof big, "{\"method\":\"fastping\",\"id\":\"%0*d\"}", RPC_FAST_MAX_BODY, 1);
    r = request("POST", "/", auth, big);
    ck_assert_int_eq(r.status, 503);
    free(r.body);
    r = request("POST", "/", NULL, "{\"method\":\"fastping\",\"id\":7}");
    ck_assert_int_eq(r.status, 401);
    free(r.body);

    open_gate();
    ck_assert(read_response(a, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"result\":\"done\",\"error\":null,\"id\":1}\n");
    free(r.body);
    ck_assert(read_response(b, &r));
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    close(a);
    close(b);
    ck_assert_int_eq(atomic_load(&calls), 0);
    rpc_server_stop(s);
}
END_TEST

struct pinger {
    char auth[300];
    int ok;
};

static void *pinger_main(void *arg)
{
    struct pinger *p = arg;
    for (int i = 0; i < 300; i++) {
        struct response r = request("POST", "/", p->auth, i % 3 ? ping_body :
                                    "{\"method\":\"fastping\",\"id\":1}");
        if (r.status == 200)
            p->ok++;
        free(r.body);
    }
    return NULL;
}

/* Clients on several threads against two workers that look for work
 * before sleeping: every call answered once (run under -fsanitize=thread
 * too). */
START_TEST(test_many_clients)
{
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    o.threads = 2;
    struct rpc_server *s = start(&o);
    port = rpc_server_port(s);
    enum { T = 4 };
    struct pinger p[T];
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
        memset(&p[i], 0, sizeof p[i]);
        snprintf(p[i].auth, sizeof p[i].auth, "%s", cookie_auth(s));
        ck_assert_int_eq(pthread_create(&t[i], NULL, pinger_main, &p[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(p[i].ok, 300);
    }
    ck_assert_int_eq(atomic_load(&calls), T * 200);
    rpc_server_stop(s);
}
END_TEST

START_TEST(test_slow_clients)
{
    struct rpc_server *s = start_default();
    port = rpc_server_port(s);
    char auth[300];
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    /* Many clients that never finish their request... */
    enum { N = 64 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = connect_server();
        const char *partial = i % 2 ? "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"me"
                                    : "POST / HTTP/1.1\r\nHost: x\r\n";
        send_all(fds[i], partial, strlen(partial));
    }
    /* ...do not keep an honest one waiting. */
    double t0 = now_ms();
    struct response r = request("POST", "/", auth, ping_body);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    ck_assert_msg(now_ms() - t0 < 2000, "honest client waited %.0f ms", now_ms() - t0);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    /* Still serving after they went away. */
    r = request("POST", "/", auth, ping_body);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    rpc_server_stop(s);
}
END_TEST

struct stopper {
    struct rpc_server *s;
    atomic_bool done;
};

static void *stop_thread(void *arg)
{
    struct stopper *st = arg;
    rpc_server_stop(st->s);
    atomic_store(&st->done, true);
    return NULL;
}

START_TEST(test_stop_finishes_running)
{
    struct rpc_server *s = start_default();
    port = rpc_server_port(s);
    char auth[300];
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    char cookie[128];
    snprintf(cookie, sizeof cookie, "%s", rpc_server_cookie_path(s));

    int a = connect_server();
    send_request(a, "POST", "/", auth, "{\"method\":\"gate\",\"id\":7}");
    wait_gate_started(1);

    struct stopper st = {.s = s};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, stop_thread, &st), 0);
    usleep(200 * 1000);
    ck_assert_msg(!atomic_load(&st.done), "stop returned while a handler was running");
    /* No new connections are accepted any more. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ne(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);

    open_gate();
    struct response r;
    ck_assert(read_response(a, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"result\":\"done\",\"error\":null,\"id\":7}\n");
    free(r.body);
    close(a);
    pthread_join(t, NULL);
    ck_assert(atomic_load(&st.done));
    ck_assert_int_eq(access(cookie, F_OK), -1);
}
END_TEST

START_TEST(test_bind_rules)
{
    /* -rpcbind without -rpcallowip: loopback only. */
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    const char *bind_any[] = {"0.0.0.0"};
    o.bind = bind_any;
    o.n_bind = 1;
    struct rpc_server *s = start(&o);
    char addr[64];
    ck_assert(rpc_server_bound_address(s, 0, addr, sizeof addr));
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%u", rpc_server_port(s));
    ck_assert_str_eq(addr, expected);
    ck_assert(!rpc_server_bound_address(s, 1, addr, sizeof addr));

    /* The port is taken: a second server fails with a message. */
    struct rpc_server_options o2;
    rpc_server_options_init(&o2);
    o2.port = rpc_server_port(s);
    o2.datadir = tmpdir;
    char err[256] = "";
    ck_assert_ptr_null(rpc_server_start(&o2, table, &env, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "Unable to bind"));
    rpc_server_stop(s);

    /* With both, the given address and port are used. */
    rpc_server_options_init(&o);
    const char *bind_lo[] = {"127.0.0.1:0"};
    const char *allow[] = {"10.0.0.0/8"};
    o.bind = bind_lo;
    o.n_bind = 1;
    o.allow = allow;
    o.n_allow = 1;
    o.port = 1; /* overridden by the address */
    s = start(&o);
    ck_assert(rpc_server_bound_address(s, 0, addr, sizeof addr));
    ck_assert(strncmp(addr, "127.0.0.1:", 10) == 0);
    ck_assert_int_ne(rpc_server_port(s), 1);
    port = rpc_server_port(s);
    char auth[300];
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    struct response r = request("POST", "/", auth, ping_body);
    ck_assert_int_eq(r.status, 200); /* 127.0.0.1 is always allowed */
    free(r.body);
    /* Other loopback addresses only through -rpcallowip. */
    int fd = connect_server_from("127.0.0.2");
    send_request(fd, "POST", "/", auth, ping_body);
    ck_assert(read_response(fd, &r));
    ck_assert_int_eq(r.status, 403);
    free(r.body);
    close(fd);
    rpc_server_stop(s);

    /* Bad option values. */
    rpc_server_options_init(&o);
    const char *bad_allow[] = {"300.1.1.1"};
    o.allow = bad_allow;
    o.n_allow = 1;
    o.datadir = tmpdir;
    ck_assert_ptr_null(rpc_server_start(&o, table, &env, err, sizeof err));
    ck_assert_str_eq(err, "Invalid -rpcallowip subnet specification: 300.1.1.1");
    rpc_server_options_init(&o);
    const char *bad_bind[] = {"[::1"};
    o.bind = bad_bind;
    o.n_bind = 1;
    o.allow = allow;
    o.n_allow = 1;
    o.datadir = tmpdir;
    ck_assert_ptr_null(rpc_server_start(&o, table, &env, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "Invalid -rpcbind"));
    /* A cookie that cannot be written. */
    rpc_server_options_init(&o);
    o.datadir = "/nonexistent/dir";
    ck_assert_ptr_null(rpc_server_start(&o, table, &env, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "cookie"));
}
END_TEST

static bool match(const char *net, const char *addr)
{
    struct rpc_subnet n;
    ck_assert_msg(rpc_subnet_parse(net, &n), "parse %s", net);
    struct sockaddr_storage ss = {0};
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        ck_assert_int_eq(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, addr, &a->sin_addr), 1);
    }
    return rpc_subnet_match(&n, (struct sockaddr *)&ss);
}

START_TEST(test_subnets)
{
    ck_assert(match("10.0.0.0/8", "10.1.2.3"));
    ck_assert(!match("10.0.0.0/8", "11.0.0.1"));
    ck_assert(match("10.9.9.9/8", "10.1.2.3")); /* host bits are ignored */
    ck_assert(match("192.168.1.0/255.255.255.0", "192.168.1.77"));
    ck_assert(!match("192.168.1.0/255.255.255.0", "192.168.2.77"));
    ck_assert(match("1.2.3.4", "1.2.3.4"));
    ck_assert(!match("1.2.3.4", "1.2.3.5"));
    ck_assert(match("0.0.0.0/0", "8.8.8.8"));
    ck_assert(match("::1", "::1"));
    ck_assert(match("fe80::/10", "fe80::1"));
    ck_assert(!match("fe80::/10", "fec0::1"));
    ck_assert(match("10.0.0.0/8", "::ffff:10.1.2.3"));
    ck_assert(!match("10.0.0.0/8", "2001:db8::1"));
    ck_assert(!match("::/0", "1.2.3.4"));
    struct rpc_subnet n;
    const char *bad[] = {"", "abc", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/255.0.255.0",
                         "1.2.3", "::1/129", "1.2.3.4/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!rpc_subnet_parse(bad[i], &n), "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_options_from_config)
{
    char *argv[] = {"prog", "-rpcport=1234", "-rpcbind=127.0.0.1", "-rpcbind=[::1]:99",
                    "-rpcallowip=10.0.0.0/8", "-rpcuser=u", "-rpcpassword=p", "-rpcthreads=2",
                    "-rpcworkqueue=5", "-rpcservertimeout=7", NULL};
    struct config *cfg = config_new();
    char err[256];
    int first;
    ck_assert(config_parse_args(cfg, 10, argv, &first, err, sizeof err));
    struct rpc_server_options o;
    ck_assert(rpc_server_options_from_config(&o, cfg, 8732, "/data", err, sizeof err));
    ck_assert_int_eq(o.port, 1234);
    ck_assert_uint_eq(o.n_bind, 2);
    ck_assert_str_eq(o.bind[1], "[::1]:99");
    ck_assert_uint_eq(o.n_allow, 1);
    ck_assert_str_eq(o.user, "u");
    ck_assert_str_eq(o.password, "p");
    ck_assert_int_eq(o.threads, 2);
    ck_assert_int_eq(o.work_queue, 5);
    ck_assert_int_eq(o.timeout, 7);
    ck_assert_str_eq(o.datadir, "/data");
    rpc_server_options_clear(&o);
    ck_assert_ptr_null(o.bind);
    config_free(cfg);

    char *argv2[] = {"prog", "-rpcthreads=0", NULL};
    cfg = config_new();
    ck_assert(config_parse_args(cfg, 2, argv2, &first, err, sizeof err));
    ck_assert(!rpc_server_options_from_config(&o, cfg, 8732, "/data", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "-rpcthreads"));
    config_free(cfg);

    cfg = config_new();
    ck_assert(rpc_server_options_from_config(&o, cfg, 8732, "/data", err, sizeof err));
    ck_assert_int_eq(o.port, 8732);
    ck_assert_int_eq(o.threads, RPC_DEFAULT_THREADS);
    ck_assert_int_eq(o.work_queue, RPC_DEFAULT_WORK_QUEUE);
    ck_assert_uint_eq(o.n_bind, 0);
    ck_assert_ptr_null(o.user);
    rpc_server_options_clear(&o);
    config_free(cfg);
}
END_TEST

/* ---- Worker priority (-rpcworkernice) ---- */

/* Threads of this process whose nice value is nice (from
 * /proc/self/task/N/stat: the 17th field after the command's ")"). */
static int threads_at_nice(int nice)
{
    int n = 0;
    char path[300], buf[1024];
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* a thread that just ended */
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *p = strrchr(buf, ')');
        ck_assert_ptr_nonnull(p);
        int field = 0, value = 0;
        for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
            if (++field == 17) {
                value = atoi(tok);
                break;
            }
        ck_assert_int_eq(field, 17);
        n += value == nice;
    }
    closedir(d);
    return n;
}

/* The nice value the method answered on a fresh connection. */
static int call_nice(const char *auth, const char *method)
{
    char body[128];
    snprintf(body, sizeof body, "{\"method\":\"%s\",\"id\":1}", method);
    int fd = connect_server();
    send_request(fd, "POST", "/", auth, body);
    struct response r;
    ck_assert(read_response(fd, &r));
    close(fd);
    ck_assert_int_eq(r.status, 200);
    int v = -100;
    ck_assert_msg(sscanf(r.body, "{\"result\":%d", &v) == 1, "reply %s", r.body);
    free(r.body);
    return v;
}

START_TEST(test_worker_nice)
{
    errno = 0;
    int base = getpriority(PRIO_PROCESS, 0);
    ck_assert_int_eq(errno, 0);
    ck_assert_int_lt(base, RPC_MAX_WORKER_NICE); /* room for a level below */
    int lowered = base + 7 > RPC_MAX_WORKER_NICE ? RPC_MAX_WORKER_NICE : base + 7;
    int before = threads_at_nice(lowered);

    struct rpc_server_options o;
    rpc_server_options_init(&o);
    ck_assert_int_eq(o.worker_nice, RPC_DEFAULT_WORKER_NICE);
    o.threads = 3;
    o.worker_nice = 7;
    struct rpc_server *s = start(&o);
    port = rpc_server_port(s);
    char auth[300];
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    /* A call through a worker runs 7 levels below; a fast one, on the HTTP
     * thread, and the thread that started the server stay where they were. */
    ck_assert_int_eq(call_nice(auth, "nice"), lowered);
    ck_assert_int_eq(call_nice(auth, "fastnice"), base);
    ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), base);
    /* Every worker (each lowers itself as it starts), and only them. */
    for (int i = 0; i < 200 && threads_at_nice(lowered) - before < 3; i++)
        usleep(10 * 1000);
    ck_assert_int_eq(threads_at_nice(lowered) - before, 3);
    rpc_server_stop(s);
    ck_assert_int_eq(threads_at_nice(lowered), before);

    /* -rpcworkernice=0: the workers run at the node's priority. */
    rpc_server_options_init(&o);
    o.worker_nice = 0;
    s = start(&o);
    port = rpc_server_port(s);
    snprintf(auth, sizeof auth, "%s", cookie_auth(s));
    ck_assert_int_eq(call_nice(auth, "nice"), base);
    rpc_server_stop(s);

    /* The option: 0..19, default RPC_DEFAULT_WORKER_NICE. */
    char err[256];
    int first;
    char *good[] = {"prog", "-rpcworkernice=3", NULL};
    struct config *cfg = config_new();
    ck_assert(config_parse_args(cfg, 2, good, &first, err, sizeof err));
    ck_assert(rpc_server_options_from_config(&o, cfg, 8732, "/data", err, sizeof err));
    ck_assert_int_eq(o.worker_nice, 3);
    rpc_server_options_clear(&o);
    config_free(cfg);
    cfg = config_new();
    ck_assert(rpc_server_options_from_config(&o, cfg, 8732, "/data", err, sizeof err));
    ck_assert_int_eq(o.worker_nice, RPC_DEFAULT_WORKER_NICE);
    rpc_server_options_clear(&o);
    config_free(cfg);
    const char *bad[] = {"-rpcworkernice=20", "-rpcworkernice=-1", "-rpcworkernice=x"};
    for (size_t i = 0; i < 3; i++) {
        char *argv[] = {"prog", (char *)bad[i], NULL};
        cfg = config_new();
        ck_assert(config_parse_args(cfg, 2, argv, &first, err, sizeof err));
        err[0] = '\0';
        ck_assert_msg(!rpc_server_options_from_config(&o, cfg, 8732, "/data", err, sizeof err),
                      "%s accepted", bad[i]);
        ck_assert_msg(strstr(err, "-rpcworkernice") != NULL, "%s: %s", bad[i], err);
        config_free(cfg);
    }
}
END_TEST

/* ---- The client library and fml-cli ---- */

START_TEST(test_raw_json)
{
    const char *text = " {\"result\" : {\"a\":[1, 2.50000000 ,{}],\"b\":\"x\\\"}\"},"
                       "\"error\":null, \"id\":1 } ";
    const char *v;
    size_t vlen;
    ck_assert(rpc_raw_member(text, strlen(text), "result", &v, &vlen));
    ck_assert_int_eq((int)vlen, (int)strlen("{\"a\":[1, 2.50000000 ,{}],\"b\":\"x\\\"}\"}"));
    ck_assert(strncmp(v, "{\"a\"", 4) == 0);
    ck_assert(rpc_raw_member(text, strlen(text), "error", &v, &vlen));
    ck_assert(vlen == 4 && memcmp(v, "null", 4) == 0);
    ck_assert(!rpc_raw_member(text, strlen(text), "missing", &v, &vlen));
    ck_assert(!rpc_raw_member("[1]", 3, "result", &v, &vlen));
    ck_assert(!rpc_raw_member("{\"result\":1", 11, "result", &v, &vlen));

    const char *compact_text = "{\"a\":[1,2.50000000,{}],\"b\":\"x\\\"}\",\"c\":[]}";
    char *pretty = rpc_raw_reindent(compact_text, strlen(compact_text), 2);
    ck_assert_str_eq(pretty, "{\n"
                             "  \"a\": [\n"
                             "    1,\n"
                             "    2.50000000,\n"
                             "    {\n"
                             "    }\n"
                             "  ],\n"
                             "  \"b\": \"x\\\"}\",\n"
                             "  \"c\": [\n"
                             "  ]\n"
                             "}");
    free(pretty);
    /* Same layout as the server's own pretty printer. */
    json_t *obj = json_pack("{s:[i,{s:o}],s:{},s:[s]}", "a", 1, "b", json_amount(1), "e", "l", "z");
    char *compact = rpc_json_dumps(obj, 0, NULL);
    char *mine = rpc_json_dumps(obj, 2, NULL);
    pretty = rpc_raw_reindent(compact, strlen(compact), 2);
    ck_assert_str_eq(pretty, mine);
    free(pretty);
    free(mine);
    free(compact);
    json_decref(obj);
    const char *bad[] = {"", "{", "[1,]", "{\"a\"}", "01", "1.", "\"\x01\"", "tru", "[1] x", "\"\\q\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(rpc_raw_reindent(bad[i], strlen(bad[i]), 2) == NULL, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_client_calls)
{
    struct rpc_server *s = start_default();
    port = rpc_server_port(s);
    char cookie[128];
    snprintf(cookie, sizeof cookie, "%s", rpc_server_cookie_path(s));
    struct rpc_client_options o = {.port = port, .cookie_file = cookie, .timeout = 10};
    struct rpc_reply r;
    char err[256];
    ck_assert_int_eq(rpc_client_call(&o, "getobject", NULL, &r, err, sizeof err), RPC_CLIENT_OK);
    ck_assert_int_eq(r.http.status, 200);
    ck_assert(!r.is_error);
    ck_assert_int_eq((int)r.result_len, (int)strlen("{\"amount\":21000000.12345678,\"list\":[1,\"two\",{}],\"none\":[],\"text\":\"a\\\"b\"}"));
    const char *head = "{\"amount\":21000000.12345678,";
    ck_assert(strncmp(r.result, head, strlen(head)) == 0);
    rpc_reply_free(&r);

    json_t *params = json_pack("[s,s]", "addr", "0.00000001");
    ck_assert_int_eq(rpc_client_call(&o, "sendtoaddress", params, &r, err, sizeof err), RPC_CLIENT_OK);
    ck_assert_int_eq((int)r.result_len, 10);
    ck_assert(memcmp(r.result, "0.00000001", 10) == 0);
    rpc_reply_free(&r);
    json_decref(params);

    ck_assert_int_eq(rpc_client_call(&o, "nosuch", NULL, &r, err, sizeof err), RPC_CLIENT_OK);
    ck_assert_int_eq(r.http.status, 404);
    ck_assert(r.is_error);
    ck_assert_int_eq(r.code, RPC_METHOD_NOT_FOUND);
    ck_assert_str_eq(r.message, "Method not found");
    rpc_reply_free(&r);

    /* Wrong password: the HTTP status, no JSON. */
    struct rpc_client_options bad = o;
    bad.user = "x";
    bad.password = "y";
    ck_assert_int_eq(rpc_client_call(&bad, "ping", NULL, &r, err, sizeof err), RPC_CLIENT_OK);
    ck_assert_int_eq(r.http.status, 401);
    ck_assert_ptr_null(r.result);
    rpc_reply_free(&r);

    bad = o;
    bad.cookie_file = "/nonexistent/.cookie";
    ck_assert_int_eq(rpc_client_call(&bad, "ping", NULL, &r, err, sizeof err),
                     RPC_CLIENT_NO_CREDENTIALS);
    rpc_reply_free(&r);
    ck_assert_int_eq(atomic_load(&calls), 0);
    rpc_server_stop(s);

    /* Nothing listens any more. */
    ck_assert_int_eq(rpc_client_call(&o, "ping", NULL, &r, err, sizeof err),
                     RPC_CLIENT_NO_CREDENTIALS); /* the cookie went with the server */
    bad = o;
    bad.user = "u";
    bad.password = "p";
    ck_assert_int_eq(rpc_client_call(&bad, "ping", NULL, &r, err, sizeof err),
                     RPC_CLIENT_CONNECT_FAILED);
    rpc_reply_free(&r);
}
END_TEST

/* Runs fml-cli (FML_CLI or ./fml-cli) with args, input (a printf format,
 * NULL: none) on stdin; returns its exit status and what it printed. */
static int run_cli(const char *args, const char *input, char *out, size_t outlen, char *errbuf,
                   size_t errlen)
{
    const char *cli = getenv("FML_CLI") ? getenv("FML_CLI") : "./fml-cli";
    ck_assert_msg(access(cli, X_OK) == 0, "%s not found (set FML_CLI)", cli);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s%s%s%s -datadir=%s -regtest -rpcport=%u %s >%s/out 2>%s/err",
             input ? "printf '" : "", input ? input : "", input ? "' | " : "", cli, tmpdir, port,
             args, tmpdir, tmpdir);
    int status = system(cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/out", tmpdir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
    snprintf(path, sizeof path, "%s/err", tmpdir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(errbuf, 1, errlen - 1, f);
    errbuf[n] = '\0';
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli)
{
    char regtest[128];
    snprintf(regtest, sizeof regtest, "%s/regtest", tmpdir);
    ck_assert_int_eq(mkdir(regtest, 0700), 0);
    struct rpc_server_options o;
    rpc_server_options_init(&o);
    o.datadir = regtest;
    char err[256];
    struct rpc_server *s = rpc_server_start(&o, table, &env, err, sizeof err);
    ck_assert_ptr_nonnull(s);
    port = rpc_server_port(s);
    char out[4096], errbuf[4096];

    ck_assert_int_eq(run_cli("getobject", NULL, out, sizeof out, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(out, "{\n"
                          "  \"amount\": 21000000.12345678,\n"
                          "  \"list\": [\n"
                          "    1,\n"
                          "    \"two\",\n"
                          "    {\n"
                          "    }\n"
                          "  ],\n"
                          "  \"none\": [\n"
                          "  ],\n"
                          "  \"text\": \"a\\\"b\"\n"
                          "}\n");
    ck_assert_str_eq(errbuf, "");
    /* Strings print raw; null prints nothing. */
    ck_assert_int_eq(run_cli("gettext", NULL, out, sizeof out, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(out, "line1\nline2\n");
    ck_assert_int_eq(run_cli("getblock 00ab", NULL, out, sizeof out, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(out, "[\n  \"00ab\"\n]\n");
    /* Numeric arguments of the table are sent as JSON, amounts as strings. */
    ck_assert_int_eq(run_cli("getblock 00ab 2", NULL, out, sizeof out, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(out, "[\n  \"00ab\",\n  2\n]\n");
    ck_assert_int_eq(run_cli("-named getblock verbosity=0 blockhash=ff", NULL, out, sizeof out,
                             errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(out, "[\n  \"ff\",\n  0\n]\n");
    ck_assert_int_eq(run_cli("sendtoaddress a 999999999.99999999", NULL, out, sizeof out, errbuf,
                             sizeof errbuf), 0);
    ck_assert_str_eq(out, "999999999.99999999\n");
    ck_assert_int_eq(run_cli("-stdin getblock", "ee\\n3\\n", out, sizeof out, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(out, "[\n  \"ee\",\n  3\n]\n");

    /* Errors. */
    ck_assert_int_eq(run_cli("getblock 00ab x", NULL, out, sizeof out, errbuf, sizeof errbuf), 1);
    ck_assert_str_eq(errbuf, "error: Error parsing JSON: x\n");
    ck_assert_int_eq(run_cli("sendtoaddress a 0.000000001", NULL, out, sizeof out, errbuf,
                             sizeof errbuf), 1);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(errbuf, "error code: -3\nerror message:\nInvalid amount\n");
    ck_assert_int_eq(run_cli("nosuch", NULL, out, sizeof out, errbuf, sizeof errbuf), 1);
    ck_assert_str_eq(errbuf, "error code: -32601\nerror message:\nMethod not found\n");
    ck_assert_int_eq(run_cli("needwallet", NULL, out, sizeof out, errbuf, sizeof errbuf), 1);
    const char *hint = "error code: -19\nerror message:\nWallet file not specified. Or for the "
                       "CLI, specify the \"-rpcwallet=<walletname>\" option";
    ck_assert_msg(strncmp(errbuf, hint, strlen(hint)) == 0, "got: %s", errbuf);
    ck_assert_int_eq(run_cli("-rpcuser=a -rpcpassword=b ping", NULL, out, sizeof out, errbuf,
                             sizeof errbuf), 1);
    ck_assert_str_eq(errbuf, "error: Authorization failed: Incorrect rpcuser or rpcpassword\n");
    ck_assert_int_eq(run_cli("", NULL, out, sizeof out, errbuf, sizeof errbuf), 1);
    ck_assert_str_eq(errbuf, "error: too few parameters (need at least command)\n");
    ck_assert_int_eq(run_cli("-nosuchoption ping", NULL, out, sizeof out, errbuf, sizeof errbuf), 1);
    ck_assert_int_eq(atomic_load(&calls), 0);
    ck_assert_int_eq(run_cli("ping", NULL, out, sizeof out, errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(atomic_load(&calls), 1);
    uint16_t live_port = port;
    rpc_server_stop(s);

    port = live_port;
    ck_assert_int_eq(run_cli("-rpcpassword=x ping", NULL, out, sizeof out, errbuf, sizeof errbuf), 1);
    char expected[256];
    snprintf(expected, sizeof expected,
             "error: Could not connect to the server 127.0.0.1:%u\n\nMake sure the fmld server is "
             "running and that you are connecting to the correct RPC port.\n",
             live_port);
    ck_assert_str_eq(errbuf, expected);
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("rpc_server");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cookie_auth);
    tcase_add_test(tc, test_password_auth);
    tcase_add_test(tc, test_http_statuses);
    tcase_add_test(tc, test_keep_alive);
    tcase_add_test(tc, test_work_queue);
    tcase_add_test(tc, test_slow_clients);
    tcase_add_test(tc, test_many_clients);
    tcase_add_test(tc, test_stop_finishes_running);
    tcase_add_test(tc, test_bind_rules);
    tcase_add_test(tc, test_subnets);
    tcase_add_test(tc, test_options_from_config);
    tcase_add_test(tc, test_worker_nice);
    tcase_add_test(tc, test_raw_json);
    tcase_add_test(tc, test_client_calls);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(server_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    libevent_global_shutdown();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
