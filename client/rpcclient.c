/* Blocking JSON-RPC client over HTTP (see rpcclient.h). */
#include "client/rpcclient.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "rpc/rpc.h"
#include "util/err.h"
#include "util/fs.h"

#define MAX_REPLY_SIZE (1u << 30)
#define MAX_HEADER_SIZE (64u << 10)
#define MAX_JSON_DEPTH 512

/* ---- Raw JSON scanning ---- */

struct scan {
    const char *s;
    size_t len, pos;
    int depth;
};

static void skip_ws(struct scan *sc)
{
    while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]) && sc->s[sc->pos])
        sc->pos++;
}

static bool scan_string(struct scan *sc)
{
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return false;
    sc->pos++;
    while (sc->pos < sc->len) {
        unsigned char c = (unsigned char)sc->s[sc->pos++];
        if (c == '"')
            return true;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (sc->pos >= sc->len)
                return false;
            char e = sc->s[sc->pos++];
            if (e == 'u') {
                for (int i = 0; i < 4; i++, sc->pos++)
                    if (sc->pos >= sc->len || !strchr("0123456789abcdefABCDEF", sc->s[sc->pos]) ||
                        !sc->s[sc->pos])
                        return false;
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return false;
            }
        }
    }
    return false;
}

static bool scan_digits(struct scan *sc)
{
    size_t start = sc->pos;
    while (sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
        sc->pos++;
    return sc->pos > start;
}

static bool scan_number(struct scan *sc)
{
    if (sc->pos < sc->len && sc->s[sc->pos] == '-')
        sc->pos++;
    if (sc->pos < sc->len && sc->s[sc->pos] == '0')
        sc->pos++;
    else if (!scan_digits(sc))
        return false;
    if (sc->pos < sc->len && sc->s[sc->pos] == '.') {
        sc->pos++;
        if (!scan_digits(sc))
            return false;
    }
    if (sc->pos < sc->len && (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
        sc->pos++;
        if (sc->pos < sc->len && (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
            sc->pos++;
        if (!scan_digits(sc))
            return false;
    }
    return true;
}

static bool scan_literal(struct scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
        return false;
    sc->pos += n;
    return true;
}

static bool scan_value(struct scan *sc);

/* Scans an object or array after its opening bracket. */
static bool scan_container(struct scan *sc, char close, bool object)
{
    if (++sc->depth > MAX_JSON_DEPTH)
        return false;
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == close) {
        sc->pos++;
        sc->depth--;
        return true;
    }
    for (;;) {
        skip_ws(sc);
        if (object) {
            if (!scan_string(sc))
                return false;
            skip_ws(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
                return false;
            sc->pos++;
            skip_ws(sc);
        }
        if (!scan_value(sc))
            return false;
        skip_ws(sc);
        if (sc->pos >= sc->len)
            return false;
        char c = sc->s[sc->pos++];
        if (c == close)
            break;
        if (c != ',')
            return false;
    }
    sc->depth--;
    return true;
}

static bool scan_value(struct scan *sc)
{
    if (sc->pos >= sc->len)
        return false;
    switch (sc->s[sc->pos]) {
    case '{':
        sc->pos++;
        return scan_container(sc, '}', true);
    case '[':
        sc->pos++;
        return scan_container(sc, ']', false);
    case '"':
        return scan_string(sc);
    case 't':
        return scan_literal(sc, "true");
    case 'f':
        return scan_literal(sc, "false");
    case 'n':
        return scan_literal(sc, "null");
    default:
        return scan_number(sc);
    }
}

/* True when text is exactly one JSON value (with surrounding spaces). */
static bool valid_json(const char *text, size_t len)
{
    struct scan sc = {text, len, 0, 0};
    skip_ws(&sc);
    if (!scan_value(&sc))
        return false;
    skip_ws(&sc);
    return sc.pos == len;
}

bool rpc_raw_member(const char *text, size_t len, const char *key, const char **value,
                    size_t *value_len)
{
    if (!valid_json(text, len))
        return false;
    struct scan sc = {text, len, 0, 0};
    skip_ws(&sc);
    if (sc.s[sc.pos] != '{')
        return false;
    sc.pos++;
    size_t klen = strlen(key);
    skip_ws(&sc);
    if (sc.s[sc.pos] == '}')
        return false;
    for (;;) {
        skip_ws(&sc);
        size_t kstart = sc.pos;
        if (!scan_string(&sc))
            return false;
        bool match = sc.pos - kstart == klen + 2 && memcmp(text + kstart + 1, key, klen) == 0;
        skip_ws(&sc);
        sc.pos++; /* ':' (validated above) */
        skip_ws(&sc);
        size_t vstart = sc.pos;
        if (!scan_value(&sc))
            return false;
        if (match) {
            *value = text + vstart;
            *value_len = sc.pos - vstart;
            return true;
        }
        skip_ws(&sc);
        if (sc.s[sc.pos++] == '}')
            return false;
    }
}

bool rpc_raw_element(const char *text, size_t len, size_t index, const char **value,
                     size_t *value_len)
{
    if (!valid_json(text, len))
        return false;
    struct scan sc = {text, len, 0, 0};
    skip_ws(&sc);
    if (sc.s[sc.pos] != '[')
        return false;
    sc.pos++;
    skip_ws(&sc);
    if (sc.s[sc.pos] == ']')
        return false;
    for (size_t i = 0;; i++) {
        skip_ws(&sc);
        size_t vstart = sc.pos;
        if (!scan_value(&sc))
            return false;
        if (i == index) {
            *value = text + vstart;
            *value_len = sc.pos - vstart;
            return true;
        }
        skip_ws(&sc);
        if (sc.s[sc.pos++] == ']')
            return false;
    }
}

static void put_indent(FILE *f, int indent, int level)
{
    for (int i = 0; i < indent * level; i++)
        fputc(' ', f);
}

char *rpc_raw_reindent(const char *text, size_t len, int indent)
{
    if (!valid_json(text, len))
        return NULL;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    int level = 0;
    struct scan sc = {text, len, 0, 0};
    while (sc.pos < len) {
        char c = text[sc.pos];
        if (strchr(" \t\r\n", c) && c) {
            sc.pos++;
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            fputc(c, f);
            fputc('\n', f);
            sc.pos++;
            level++;
            skip_ws(&sc);
            if (text[sc.pos] != '}' && text[sc.pos] != ']')
                put_indent(f, indent, level);
            break;
        case '}':
        case ']':
            level--;
            if (sc.pos > 0) {
                /* An element precedes unless the container is empty. */
                size_t back = sc.pos;
                while (back > 0 && strchr(" \t\r\n", text[back - 1]) && text[back - 1])
                    back--;
                if (text[back - 1] != '{' && text[back - 1] != '[')
                    fputc('\n', f);
            }
            put_indent(f, indent, level);
            fputc(c, f);
            sc.pos++;
            break;
        case ',':
            fputs(",\n", f);
            sc.pos++;
            put_indent(f, indent, level);
            break;
        case ':':
            fputs(": ", f);
            sc.pos++;
            break;
        default: {
            size_t start = sc.pos;
            if (c == '"')
                scan_string(&sc);
            else if (c == 't' || c == 'f' || c == 'n')
                scan_literal(&sc, c == 't' ? "true" : c == 'f' ? "false" : "null");
            else
                scan_number(&sc);
            fwrite(text + start, 1, sc.pos - start, f);
            break;
        }
        }
    }
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- HTTP ---- */

static long remaining_ms(const struct timespec *deadline)
{
    if (!deadline)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms > 0 ? ms : 0;
}

static bool wait_fd(int fd, short events, const struct timespec *deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        long ms = remaining_ms(deadline);
        if (ms == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        int n = poll(&p, 1, ms < 0 ? -1 : (int)(ms > 1000000 ? 1000000 : ms));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

static int connect_to(const char *host, uint16_t port, const struct timespec *deadline,
                      char *err, size_t errlen)
{
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        err_setf(err, errlen, "%s", gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            int soerr = errno;
            if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline)) {
                socklen_t sl = sizeof soerr;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
                    soerr = errno;
            } else if (errno == EINPROGRESS) {
                soerr = errno;
            }
            if (soerr != 0) {
                err_setf(err, errlen, "%s", strerror(soerr));
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    return fd;
}

static bool send_all(int fd, const char *data, size_t len, const struct timespec *deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLOUT, deadline))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Reads until EOF (the request asked for Connection: close). */
static bool recv_all(int fd, char **out, size_t *out_len, const struct timespec *deadline)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return false;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= MAX_REPLY_SIZE) {
                free(buf);
                errno = EFBIG;
                return false;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return false;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r > 0) {
            n += (size_t)r;
        } else if (r == 0) {
            break;
        } else if (errno == EAGAIN || errno == EINTR) {
            if (!wait_fd(fd, POLLIN, deadline)) {
                free(buf);
                return false;
            }
        } else {
            free(buf);
            return false;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return true;
}

/* Decodes a chunked body in place; false when malformed. */
static bool dechunk(char *body, size_t len, size_t *out_len)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        if (in >= len)
            return false;
        unsigned long size = strtoul(body + in, &end, 16);
        char *crlf = memmem(body + in, len - in, "\r\n", 2);
        if (!crlf || end == body + in || end > crlf)
            return false;
        in = (size_t)(crlf - body) + 2;
        if (size == 0)
            break;
        if (size > len - in)
            return false;
        memmove(body + out, body + in, size);
        out += size;
        in += size;
        if (len - in < 2 || memcmp(body + in, "\r\n", 2) != 0)
            return false;
        in += 2;
    }
    body[out] = '\0';
    *out_len = out;
    return true;
}

static bool parse_response(char *raw, size_t len, struct rpc_http_reply *reply)
{
    char *hend = memmem(raw, len < MAX_HEADER_SIZE ? len : MAX_HEADER_SIZE, "\r\n\r\n", 4);
    if (!hend)
        return false;
    *hend = '\0';
    int status;
    if (sscanf(raw, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100)
        return false;
    char *body = hend + 4;
    size_t blen = len - (size_t)(body - raw);
    bool chunked = false;
    long content_length = -1;
    for (char *line = strstr(raw, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            content_length = strtol(h + 15, NULL, 10);
        else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0 && strcasestr(h + 18, "chunked"))
            chunked = true;
    }
    if (chunked) {
        if (!dechunk(body, blen, &blen))
            return false;
    } else if (content_length >= 0) {
        if ((size_t)content_length > blen)
            return false;
        blen = (size_t)content_length;
    }
    reply->status = status;
    reply->body = malloc(blen + 1);
    if (!reply->body)
        return false;
    memcpy(reply->body, body, blen);
    reply->body[blen] = '\0';
    reply->len = blen;
    return true;
}

/* "user:password", or the cookie's contents; the caller wipes and frees. */
static char *credentials(const struct rpc_client_options *o, size_t *len, char *err,
                         size_t errlen)
{
    if (o->password && *o->password) {
        const char *user = o->user ? o->user : "";
        size_t ul = strlen(user), pl = strlen(o->password);
        char *c = malloc(ul + pl + 2);
        if (!c)
            return NULL;
        memcpy(c, user, ul);
        c[ul] = ':';
        memcpy(c + ul + 1, o->password, pl + 1);
        *len = ul + 1 + pl;
        return c;
    }
    char *c = NULL;
    if (!o->cookie_file || !fs_read_file(o->cookie_file, 4096, &c, len)) {
        err_setf(err, errlen, "cannot read the cookie %s: %s",
                o->cookie_file ? o->cookie_file : "(none)",
                o->cookie_file ? strerror(errno) : "no cookie file given");
        return NULL;
    }
    while (*len > 0 && strchr(" \t\r\n", c[*len - 1]))
        c[--*len] = '\0';
    return c;
}

static char *request_path(const char *wallet)
{
    if (!wallet)
        return strdup("/");
    size_t n = strlen(wallet);
    char *p = malloc(8 + 3 * n + 1);
    if (!p)
        return NULL;
    strcpy(p, "/wallet/");
    char *o = p + 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)wallet[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            *o++ = (char)c;
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = '\0';
    return p;
}

enum rpc_client_status rpc_client_post(const struct rpc_client_options *o, const char *body,
                                       size_t len, struct rpc_http_reply *reply, char *err,
                                       size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    struct timespec deadline_ts, *deadline = NULL;
    if (o->timeout > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline_ts);
        deadline_ts.tv_sec += o->timeout;
        deadline = &deadline_ts;
    }
    size_t clen = 0;
    char *cred = credentials(o, &clen, err, errlen);
    if (!cred)
        return RPC_CLIENT_NO_CREDENTIALS;
    size_t b64_size = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64_size);
    char *path = request_path(o->wallet);
    const char *host = o->host ? o->host : "127.0.0.1";
    char *head = NULL;
    int hlen = -1;
    if (b64 && path) {
        sodium_bin2base64(b64, b64_size, (unsigned char *)cred, clen,
                          sodium_base64_VARIANT_ORIGINAL);
        hlen = asprintf(&head,
                        "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                        "Authorization: Basic %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        path, host, b64, len);
    }
    sodium_memzero(cred, clen);
    free(cred);
    if (b64) {
        sodium_memzero(b64, b64_size);
        free(b64);
    }
    free(path);
    if (hlen < 0) {
        err_setf(err, errlen, "out of memory");
        return RPC_CLIENT_IO_ERROR;
    }

    int fd = connect_to(host, o->port, deadline, err, errlen);
    if (fd < 0) {
        sodium_memzero(head, (size_t)hlen);
        free(head);
        return RPC_CLIENT_CONNECT_FAILED;
    }
    bool sent = send_all(fd, head, (size_t)hlen, deadline) && send_all(fd, body, len, deadline);
    sodium_memzero(head, (size_t)hlen);
    free(head);
    char *raw = NULL;
    size_t raw_len = 0;
    bool ok = sent && recv_all(fd, &raw, &raw_len, deadline);
    if (!ok)
        err_setf(err, errlen, "%s", errno == ETIMEDOUT ? "timeout" : strerror(errno));
    close(fd);
    if (ok && !parse_response(raw, raw_len, reply)) {
        err_setf(err, errlen, "malformed HTTP reply");
        ok = false;
    }
    free(raw);
    return ok ? RPC_CLIENT_OK : RPC_CLIENT_IO_ERROR;
}

void rpc_http_reply_free(struct rpc_http_reply *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

enum rpc_client_status rpc_client_call(const struct rpc_client_options *o, const char *method,
                                       const json_t *params, struct rpc_reply *reply, char *err,
                                       size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    json_t *req = json_object();
    json_t *empty = params ? NULL : json_array();
    if (!req || json_object_set_new(req, "method", json_string(method)) != 0 ||
        json_object_set(req, "params", params ? (json_t *)params : empty) != 0 ||
        json_object_set_new(req, "id", json_integer(1)) != 0) {
        json_decref(req);
        json_decref(empty);
        err_setf(err, errlen, "cannot build the request (invalid UTF-8 in the method name?)");
        return RPC_CLIENT_IO_ERROR;
    }
    json_decref(empty);
    size_t blen = 0;
    char *body = rpc_json_dumps(req, 0, &blen);
    json_decref(req);
    if (!body) {
        err_setf(err, errlen, "out of memory");
        return RPC_CLIENT_IO_ERROR;
    }
    enum rpc_client_status st = rpc_client_post(o, body, blen, &reply->http, err, errlen);
    sodium_memzero(body, blen);
    free(body);
    if (st != RPC_CLIENT_OK)
        return st;
    int hs = reply->http.status;
    if (hs != 200 && hs != 400 && hs != 404 && hs != 500)
        return RPC_CLIENT_OK;
    const char *text = reply->http.body;
    size_t len = reply->http.len;
    const char *v;
    size_t vlen;
    if (!valid_json(text, len) || text[strspn(text, " \t\r\n")] != '{') {
        err_setf(err, errlen, "the server's reply is not a JSON-RPC object");
        return RPC_CLIENT_BAD_REPLY;
    }
    if (rpc_raw_member(text, len, "result", &v, &vlen)) {
        reply->result = v;
        reply->result_len = vlen;
    }
    if (rpc_raw_member(text, len, "error", &v, &vlen) && !(vlen == 4 && memcmp(v, "null", 4) == 0)) {
        reply->is_error = true;
        json_t *e = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
        json_t *code = json_object_get(e, "code");
        json_t *msg = json_object_get(e, "message");
        reply->code = json_is_integer(code) ? json_integer_value(code) : 0;
        reply->message = strdup(json_is_string(msg) ? json_string_value(msg) : "");
        json_decref(e);
    }
    if (!reply->result && !reply->is_error) {
        err_setf(err, errlen, "expected reply to have result, error and id properties");
        return RPC_CLIENT_BAD_REPLY;
    }
    return RPC_CLIENT_OK;
}

void rpc_reply_free(struct rpc_reply *r)
{
    rpc_http_reply_free(&r->http);
    free(r->message);
    memset(r, 0, sizeof *r);
}
