/* The read-only REST interface (see rest.h). */
#include "rpc/rest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rest_format { FMT_NONE, FMT_JSON, FMT_HEX, FMT_BIN };

#define FMT_J (1u << FMT_JSON)
#define FMT_HB ((1u << FMT_HEX) | (1u << FMT_BIN))

bool rest_is_path(const char *path)
{
    return strncmp(path, REST_PREFIX, strlen(REST_PREFIX)) == 0 || strcmp(path, "/rest") == 0;
}

static void set_text(struct rest_reply *out, int status, const char *text)
{
    free(out->body);
    out->status = status;
    out->content_type = "text/plain";
    size_t n = strlen(text);
    out->body = malloc(n + 2);
    if (!out->body) {
        out->len = 0;
        return;
    }
    memcpy(out->body, text, n);
    out->body[n] = '\n';
    out->body[n + 1] = '\0';
    out->len = n + 1;
}

static void set_json(struct rest_reply *out, const json_t *v)
{
    size_t len = 0;
    char *s = rpc_json_dumps(v, 0, &len);
    char *body = s ? realloc(s, len + 2) : NULL;
    if (!body) {
        free(s);
        set_text(out, 500, "Out of memory");
        return;
    }
    body[len] = '\n';
    body[len + 1] = '\0';
    free(out->body);
    out->status = 200;
    out->content_type = "application/json";
    out->body = body;
    out->len = len + 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex (from an RPC answer) as text with a newline, or as bytes. */
static void set_hex(struct rest_reply *out, const char *hex, enum rest_format fmt)
{
    size_t n = strlen(hex);
    if (n % 2 != 0) {
        set_text(out, 500, "Internal error: odd hex");
        return;
    }
    char *body = malloc(n + 2);
    if (!body) {
        set_text(out, 500, "Out of memory");
        return;
    }
    size_t len;
    if (fmt == FMT_HEX) {
        memcpy(body, hex, n);
        body[n] = '\n';
        len = n + 1;
    } else {
        for (size_t i = 0; i < n / 2; i++) {
            int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                free(body);
                set_text(out, 500, "Internal error: bad hex");
                return;
            }
            body[i] = (char)(hi << 4 | lo);
        }
        len = n / 2;
    }
    free(out->body);
    out->status = 200;
    out->content_type = fmt == FMT_HEX ? "text/plain" : "application/octet-stream";
    out->body = body;
    out->len = len;
}

static bool is_hash(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (hexval(s[i]) < 0)
            return false;
    return true;
}

/* A decimal of at most 10 digits, no sign, no leading zeros beyond "0";
 * false (400) for anything else or above max. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *v)
{
    size_t n = strlen(s);
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > max)
        return false;
    *v = x;
    return true;
}

/* An address as the RPC methods take it: bech32 characters, bounded. */
static bool is_address(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

/* Runs method with params (stolen) through the dispatcher.  Returns the
 * result (new reference) or NULL with the error code and message. */
static json_t *call(const struct rpc_table *t, struct rpc_env *env, const char *method,
                    json_t *params, int *code, char *msg, size_t msglen)
{
    *code = 0;
    msg[0] = '\0';
    json_t *req = json_object();
    if (!req || !params || json_object_set_new(req, "method", json_string(method)) != 0 ||
        json_object_set_new(req, "params", params) != 0 ||
        json_object_set_new(req, "id", json_integer(0)) != 0) {
        if (!req)
            json_decref(params);
        json_decref(req);
        *code = RPC_OUT_OF_MEMORY;
        snprintf(msg, msglen, "Out of memory");
        return NULL;
    }
    int status = 0;
    json_t *reply = rpc_execute(t, env, NULL, req, &status);
    json_decref(req);
    if (!reply) {
        *code = RPC_INTERNAL_ERROR;
        snprintf(msg, msglen, "Internal error");
        return NULL;
    }
    json_t *err = json_object_get(reply, "error");
    json_t *result = NULL;
    if (err && !json_is_null(err)) {
        *code = (int)json_integer_value(json_object_get(err, "code"));
        const char *m = json_string_value(json_object_get(err, "message"));
        snprintf(msg, msglen, "%s", m ? m : "error");
    } else {
        result = json_object_get(reply, "result");
        json_incref(result);
    }
    json_decref(reply);
    return result;
}

/* An RPC error as a REST status: not found 404, bad argument 400. */
static void set_error(struct rest_reply *out, int code, const char *msg)
{
    int status = 500;
    if (code == RPC_METHOD_NOT_FOUND)
        status = 404;
    else if (code == RPC_INVALID_ADDRESS_OR_KEY)
        status = strncmp(msg, "Invalid", 7) == 0 ? 400 : 404;
    else if (code == RPC_INVALID_PARAMETER || code == RPC_TYPE_ERROR ||
             code == RPC_INVALID_PARAMS || code == RPC_DESERIALIZATION_ERROR)
        status = 400;
    else if (code == RPC_IN_WARMUP)
        status = 503;
    set_text(out, status, msg);
}

/* One method call answered as JSON, or its hex result as hex/bin. */
static void simple(const struct rpc_table *t, struct rpc_env *env, struct rest_reply *out,
                   const char *method, json_t *params, enum rest_format fmt)
{
    int code;
    char msg[256];
    json_t *r = call(t, env, method, params, &code, msg, sizeof msg);
    if (!r) {
        set_error(out, code, msg);
        return;
    }
    if (fmt == FMT_JSON)
        set_json(out, r);
    else if (json_is_string(r))
        set_hex(out, json_string_value(r), fmt);
    else
        set_text(out, 500, "Internal error: not hex");
    json_decref(r);
}

/* /rest/headers/<count>/<hash>.json: up to count headers from hash along
 * the active chain (getblockheader of each, following nextblockhash). */
static void headers(const struct rpc_table *t, struct rpc_env *env, struct rest_reply *out,
                    uint64_t count, const char *hash)
{
    json_t *arr = json_array();
    char cur[65];
    memcpy(cur, hash, 64); /* is_hash: 64 digits */
    cur[64] = '\0';
    if (!arr) {
        set_text(out, 500, "Out of memory");
        return;
    }
    for (uint64_t i = 0; i < count; i++) {
        int code;
        char msg[256];
        json_t *h = call(t, env, "getblockheader", json_pack("[sb]", cur, true), &code, msg,
                         sizeof msg);
        if (!h) {
            if (i == 0 || code != RPC_INVALID_ADDRESS_OR_KEY) {
                set_error(out, code, msg);
                json_decref(arr);
                return;
            }
            break; /* reorganized away meanwhile: stop here */
        }
        const char *next = json_string_value(json_object_get(h, "nextblockhash"));
        bool more = next && is_hash(next);
        if (more)
            memcpy(cur, next, 65);
        json_array_append_new(arr, h);
        if (!more)
            break;
    }
    set_json(out, arr);
    json_decref(arr);
}

/* /rest/address/<addr>/history.json[?skip=N&count=M]: getaddresshistory.
 * Any other query parameter, a repeated one or a bad number is 400. */
static void address_history(const struct rpc_table *t, struct rpc_env *env,
                            struct rest_reply *out, const char *addr, const char *query)
{
    uint64_t skip = 0, count = 100;
    bool have_skip = false, have_count = false;
    if (query && *query) {
        char q[REST_MAX_PATH + 1];
        snprintf(q, sizeof q, "%s", query);
        for (char *save = NULL, *p = strtok_r(q, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(p, '=');
            if (!eq) {
                set_text(out, 400, "Invalid query (available: skip=N, count=M)");
                return;
            }
            *eq = '\0';
            bool is_skip = strcmp(p, "skip") == 0, is_count = strcmp(p, "count") == 0;
            if ((!is_skip && !is_count) || (is_skip && have_skip) || (is_count && have_count)) {
                set_text(out, 400, "Invalid query (available: skip=N, count=M)");
                return;
            }
            uint64_t v;
            if (!parse_uint(eq + 1, is_skip ? UINT32_MAX : 1000, &v) || (is_count && v == 0)) {
                set_text(out, 400, is_skip ? "Invalid skip" : "Invalid count (1-1000)");
                return;
            }
            if (is_skip) {
                skip = v;
                have_skip = true;
            } else {
                count = v;
                have_count = true;
            }
        }
    }
    int code;
    char msg[256];
    json_t *r = call(t, env, "getaddresshistory",
                     json_pack("[sII]", addr, (json_int_t)skip, (json_int_t)count), &code, msg,
                     sizeof msg);
    if (!r) {
        if (code == RPC_MISC_ERROR && strncmp(msg, "address index disabled", 22) == 0)
            set_text(out, 404, "address index disabled");
        else
            set_error(out, code, msg);
        return;
    }
    set_json(out, r);
    json_decref(r);
}

/* /rest/mempool/contents.json: getrawmempool true while the pool holds at
 * most REST_MAX_MEMPOOL transactions; above that 413, without building
 * anything (the hidden method restmempool, which holds the node lock only
 * to copy the entries). */
static void mempool_contents(const struct rpc_table *t, struct rpc_env *env,
                             struct rest_reply *out)
{
    int code;
    char msg[256];
    json_t *r = call(t, env, "restmempool", json_pack("[i]", REST_MAX_MEMPOOL), &code, msg,
                     sizeof msg);
    if (!r) {
        set_error(out, code, msg);
        return;
    }
    json_t *entries = json_object_get(r, "entries");
    if (entries) {
        set_json(out, entries);
    } else {
        char text[200];
        snprintf(text, sizeof text,
                 "The mempool holds %" PRId64 " transactions, more than REST lists (%d): use the "
                 "authenticated getrawmempool",
                 (int64_t)json_integer_value(json_object_get(r, "size")), REST_MAX_MEMPOOL);
        set_text(out, 413, text);
    }
    json_decref(r);
}

/* Splits the final segment's ".ext"; unknown or missing: FMT_NONE. */
static enum rest_format split_format(char *path, const char **ext)
{
    char *slash = strrchr(path, '/');
    char *dot = strrchr(slash ? slash : path, '.');
    *ext = "";
    if (!dot)
        return FMT_NONE;
    *dot = '\0';
    *ext = dot + 1;
    if (strcmp(dot + 1, "json") == 0)
        return FMT_JSON;
    if (strcmp(dot + 1, "hex") == 0)
        return FMT_HEX;
    if (strcmp(dot + 1, "bin") == 0)
        return FMT_BIN;
    return FMT_NONE;
}

static bool format_ok(struct rest_reply *out, enum rest_format fmt, unsigned allowed)
{
    if (fmt != FMT_NONE && (allowed & (1u << fmt)))
        return true;
    set_text(out, 404, (allowed & FMT_HB) ? "output format not found (available: json, hex, bin)"
                                          : "output format not found (available: json)");
    return false;
}

void rest_handle(const struct rpc_table *t, struct rpc_env *env, const char *path,
                 struct rest_reply *out)
{
    memset(out, 0, sizeof *out);
    /* "path?query": only /rest/address/ reads a query; the others ignore it. */
    char pathbuf[REST_MAX_PATH + 2];
    const char *query = NULL;
    const char *qmark = strchr(path, '?');
    if (qmark) {
        if ((size_t)(qmark - path) > REST_MAX_PATH || strlen(qmark + 1) > REST_MAX_PATH) {
            set_text(out, 400, "Path too long");
            return;
        }
        memcpy(pathbuf, path, (size_t)(qmark - path));
        pathbuf[qmark - path] = '\0';
        path = pathbuf;
        query = qmark + 1;
    }
    size_t plen = strlen(path);
    if (plen > REST_MAX_PATH) {
        set_text(out, 400, "Path too long");
        return;
    }
    if (!rest_is_path(path) || plen <= strlen(REST_PREFIX)) {
        set_text(out, 404, "Not found");
        return;
    }
    /* Only [A-Za-z0-9._/-], no empty, "." or ".." segment. */
    const char *rest = path + strlen(REST_PREFIX);
    for (const char *p = rest; *p; p++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '-' || c == '/')) {
            set_text(out, 400, "Invalid character in path");
            return;
        }
    }
    char buf[REST_MAX_PATH + 1];
    snprintf(buf, sizeof buf, "%s", rest);
    char *seg[8];
    size_t nseg = 0;
    for (char *s = buf;;) {
        char *slash = strchr(s, '/');
        if (slash)
            *slash = '\0';
        if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || nseg == 8) {
            set_text(out, 400, "Invalid path");
            return;
        }
        seg[nseg++] = s;
        if (!slash)
            break;
        s = slash + 1;
    }
    const char *ext;
    enum rest_format fmt = split_format(seg[nseg - 1], &ext);
    const char *a = seg[0];
    const char *arg = nseg >= 2 ? seg[nseg - 1] : NULL;

    if (nseg == 1 && strcmp(a, "chaininfo") == 0) {
        if (format_ok(out, fmt, FMT_J))
            simple(t, env, out, "getblockchaininfo", json_array(), fmt);
    } else if (nseg == 1 && strcmp(a, "validators") == 0) {
        if (format_ok(out, fmt, FMT_J))
            simple(t, env, out, "getvalidators", json_array(), fmt);
    } else if (nseg == 2 && strcmp(a, "mempool") == 0 &&
               (strcmp(arg, "info") == 0 || strcmp(arg, "contents") == 0)) {
        if (format_ok(out, fmt, FMT_J)) {
            if (strcmp(arg, "info") == 0)
                simple(t, env, out, "getmempoolinfo", json_array(), fmt);
            else
                mempool_contents(t, env, out);
        }
    } else if ((nseg == 2 || (nseg == 3 && strcmp(seg[1], "notxdetails") == 0)) &&
               strcmp(a, "block") == 0) {
        if (!format_ok(out, fmt, FMT_J | FMT_HB))
            return;
        if (!is_hash(arg)) {
            set_text(out, 400, "Invalid hash");
            return;
        }
        int verbosity = fmt != FMT_JSON ? 0 : nseg == 3 ? 1 : 2;
        simple(t, env, out, "getblock", json_pack("[si]", arg, verbosity), fmt);
    } else if (nseg == 3 && strcmp(a, "headers") == 0) {
        if (!format_ok(out, fmt, FMT_J))
            return;
        uint64_t count;
        if (!parse_uint(seg[1], REST_MAX_HEADERS, &count) || count == 0) {
            set_text(out, 400, "Header count is invalid or out of acceptable range (1-2000)");
            return;
        }
        if (!is_hash(arg)) {
            set_text(out, 400, "Invalid hash");
            return;
        }
        headers(t, env, out, count, arg);
    } else if (nseg == 2 && strcmp(a, "tx") == 0) {
        if (!format_ok(out, fmt, FMT_J | FMT_HB))
            return;
        if (!is_hash(arg)) {
            set_text(out, 400, "Invalid hash");
            return;
        }
        simple(t, env, out, "getrawtransaction", json_pack("[sb]", arg, fmt == FMT_JSON), fmt);
    } else if (nseg == 2 && strcmp(a, "blockhashbyheight") == 0) {
        if (!format_ok(out, fmt, FMT_J | FMT_HB))
            return;
        uint64_t h;
        if (!parse_uint(arg, UINT32_MAX, &h)) {
            set_text(out, 400, "Invalid height");
            return;
        }
        int code;
        char msg[256];
        json_t *r = call(t, env, "getblockhash", json_pack("[I]", (json_int_t)h), &code, msg,
                         sizeof msg);
        if (!r) {
            /* A height above the tip is "not found", as in bitcoind. */
            set_error(out, code == RPC_INVALID_PARAMETER ? RPC_INVALID_ADDRESS_OR_KEY : code,
                      msg);
            return;
        }
        if (fmt == FMT_JSON) {
            json_t *o = json_pack("{sO}", "blockhash", r);
            if (o)
                set_json(out, o);
            else
                set_text(out, 500, "Out of memory");
            json_decref(o);
        } else {
            /* bitcoind writes the hash in its byte order: here the hex is
             * the bytes, so .bin is the 32 bytes of the hex shown. */
            set_hex(out, json_string_value(r), fmt);
        }
        json_decref(r);
    } else if (nseg == 2 && strcmp(a, "account") == 0) {
        if (!format_ok(out, fmt, FMT_J))
            return;
        if (!is_address(arg)) {
            set_text(out, 400, "Invalid address");
            return;
        }
        simple(t, env, out, "getaccount", json_pack("[s]", arg), fmt);
    } else if (nseg == 3 && strcmp(a, "address") == 0 && strcmp(arg, "history") == 0) {
        if (!format_ok(out, fmt, FMT_J))
            return;
        if (!is_address(seg[1])) {
            set_text(out, 400, "Invalid address");
            return;
        }
        address_history(t, env, out, seg[1], query);
    } else if ((strcmp(a, "fl") == 0 || strcmp(a, "market") == 0 || strcmp(a, "arena") == 0) &&
               nseg >= 2) {
        bool fl = strcmp(a, "fl") == 0, market = strcmp(a, "market") == 0;
        const char *list = fl ? "tasks" : market ? "models" : "tasks";
        const char *one = fl ? "task" : market ? "model" : "task";
        if (nseg == 2 && strcmp(seg[1], list) == 0) {
            if (format_ok(out, fmt, FMT_J))
                simple(t, env, out, fl ? "fllisttasks" : market ? "marketlistmodels" : "arenalisttasks",
                       json_array(), fmt);
        } else if (nseg == 3 && strcmp(seg[1], one) == 0) {
            if (!format_ok(out, fmt, FMT_J))
                return;
            if (!is_hash(arg)) {
                set_text(out, 400, "Invalid id");
                return;
            }
            simple(t, env, out, fl ? "flgettask" : market ? "marketgetmodel" : "arenagettask",
                   json_pack("[s]", arg), fmt);
        } else if (fl && nseg == 4 && strcmp(seg[1], "round") == 0) {
            /* /rest/fl/round/<task>/<n>.json: flgetround <task> <n>. */
            if (!format_ok(out, fmt, FMT_J))
                return;
            uint64_t round;
            if (!is_hash(seg[2])) {
                set_text(out, 400, "Invalid id");
                return;
            }
            if (!parse_uint(arg, UINT32_MAX, &round) || round == 0) {
                set_text(out, 400, "Invalid round");
                return;
            }
            int code;
            char msg[256];
            json_t *r = call(t, env, "flgetround", json_pack("[sI]", seg[2], (json_int_t)round),
                             &code, msg, sizeof msg);
            if (!r) {
                /* A round the task has not reached is "not found". */
                set_error(out, code == RPC_INVALID_PARAMETER ? RPC_INVALID_ADDRESS_OR_KEY : code,
                          msg);
                return;
            }
            set_json(out, r);
            json_decref(r);
        } else {
            set_text(out, 404, "Not found");
        }
    } else {
        set_text(out, 404, "Not found");
    }
}
