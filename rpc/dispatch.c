/* JSON-RPC dispatch: the method registry, request shapes (1.0/1.1/2.0,
 * notifications, batches), argument mapping and checking, and the handler
 * API.  Behaviour follows bitcoind's (httprpc.cpp, request.cpp, util.cpp).
 *
 * Nothing here touches sockets; the HTTP server (rpc/server.c) and the unit
 * tests drive rpc_handle_body / rpc_execute directly.  Parameters are never
 * logged: they may hold passphrases and keys.
 */
#include "rpc/rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "util/hex.h"
#include "util/log.h"

/* ---- Registry ---- */

struct rpc_table {
    const struct rpc_method **methods;
    size_t n, cap;
};

struct rpc_table *rpc_table_new(void)
{
    return calloc(1, sizeof(struct rpc_table));
}

void rpc_table_free(struct rpc_table *t)
{
    if (!t)
        return;
    free(t->methods);
    free(t);
}

bool rpc_table_add(struct rpc_table *t, const struct rpc_method *methods, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!methods[i].name || !methods[i].handler || rpc_table_find(t, methods[i].name))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(methods[i].name, methods[j].name) == 0)
                return false;
    }
    if (t->n + n > t->cap) {
        size_t cap = t->cap ? t->cap : 16;
        while (cap < t->n + n)
            cap *= 2;
        const struct rpc_method **m = realloc(t->methods, cap * sizeof(*m));
        if (!m)
            return false;
        t->methods = m;
        t->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        t->methods[t->n++] = &methods[i];
    return true;
}

const struct rpc_method *rpc_table_find(const struct rpc_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->methods[i]->name, name) == 0)
            return t->methods[i];
    return NULL;
}

size_t rpc_table_count(const struct rpc_table *t)
{
    return t->n;
}

const struct rpc_method *rpc_table_at(const struct rpc_table *t, size_t i)
{
    return i < t->n ? t->methods[i] : NULL;
}

/* ---- Handler API ---- */

struct rpc_call {
    const struct rpc_table *table;
    struct rpc_env *env;
    const char *wallet;
    const struct rpc_method *method;
    const json_t *params[RPC_MAX_ARGS]; /* borrowed from the request */
    size_t argc;
    uint64_t amounts[RPC_MAX_ARGS];
    uint8_t *hex[RPC_MAX_ARGS];
    size_t hex_len[RPC_MAX_ARGS];
    int err_code;
    char *err_msg; /* set once: the first error wins */
};

struct rpc_env *rpc_env(struct rpc_call *call)
{
    return call->env;
}

const char *rpc_wallet_name(struct rpc_call *call)
{
    return call->wallet;
}

const struct rpc_table *rpc_call_table(struct rpc_call *call)
{
    return call->table;
}

size_t rpc_argc(struct rpc_call *call)
{
    return call->argc;
}

bool rpc_has(struct rpc_call *call, size_t idx)
{
    return idx < call->argc && call->params[idx] && !json_is_null(call->params[idx]);
}

json_t *rpc_json(struct rpc_call *call, size_t idx)
{
    return rpc_has(call, idx) ? (json_t *)call->params[idx] : NULL;
}

const char *rpc_str(struct rpc_call *call, size_t idx, const char *def)
{
    json_t *v = rpc_json(call, idx);
    return json_is_string(v) ? json_string_value(v) : def;
}

int64_t rpc_int(struct rpc_call *call, size_t idx, int64_t def)
{
    json_t *v = rpc_json(call, idx);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

uint64_t rpc_uint(struct rpc_call *call, size_t idx, uint64_t def)
{
    json_t *v = rpc_json(call, idx);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v) : def;
}

bool rpc_bool(struct rpc_call *call, size_t idx, bool def)
{
    json_t *v = rpc_json(call, idx);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

uint64_t rpc_amount(struct rpc_call *call, size_t idx, uint64_t def)
{
    return rpc_has(call, idx) ? call->amounts[idx] : def;
}

const uint8_t *rpc_hex(struct rpc_call *call, size_t idx, size_t *len)
{
    if (!rpc_has(call, idx) || idx >= RPC_MAX_ARGS) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = call->hex_len[idx];
    /* A valid empty hex string decodes to zero bytes; hand out a non-NULL
     * pointer so callers can tell it from an absent argument. */
    return call->hex[idx] ? call->hex[idx] : (const uint8_t *)"";
}

json_t *rpc_error(struct rpc_call *call, int code, const char *fmt, ...)
{
    if (call->err_msg)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    call->err_code = code;
    call->err_msg = msg ? msg : strdup("out of memory");
    if (!call->err_msg)
        call->err_code = RPC_OUT_OF_MEMORY;
    return NULL;
}

static bool call_failed(const struct rpc_call *call)
{
    return call->err_msg != NULL || call->err_code != 0;
}

static void call_clear(struct rpc_call *call)
{
    for (size_t i = 0; i < RPC_MAX_ARGS; i++) {
        if (call->hex[i]) {
            sodium_memzero(call->hex[i], call->hex_len[i]);
            free(call->hex[i]);
        }
    }
    free(call->err_msg);
}

/* ---- Argument mapping and checks ---- */

static size_t method_nargs(const struct rpc_method *m)
{
    size_t n = 0;
    while (n < RPC_MAX_ARGS && m->args[n].name)
        n++;
    return n;
}

static const char *json_type_name(const json_t *v)
{
    if (!v)
        return "null";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "null";
    }
    return "null";
}

/* Expected JSON type of an argument type, NULL when checked elsewhere. */
static const char *expected_type_name(enum rpc_type t)
{
    switch (t) {
    case RPC_STR:
    case RPC_HEX: return "string";
    case RPC_INT:
    case RPC_UINT: return "number";
    case RPC_BOOL: return "bool";
    case RPC_OBJ: return "object";
    case RPC_ARR: return "array";
    case RPC_AMOUNT:
    case RPC_ANY: return NULL;
    }
    return NULL;
}

/* Raises the usage error bitcoind gives for a wrong number of arguments. */
static void usage_error(struct rpc_call *c)
{
    char *help = rpc_method_help(c->method);
    rpc_error(c, RPC_MISC_ERROR, "%s", help ? help : c->method->name);
    free(help);
}

static bool map_params(struct rpc_call *c, const json_t *params)
{
    const struct rpc_method *m = c->method;
    size_t nargs = method_nargs(m);
    if (json_is_array(params)) {
        size_t n = json_array_size(params);
        if (n > nargs) {
            usage_error(c);
            return false;
        }
        for (size_t i = 0; i < n; i++)
            c->params[i] = json_array_get(params, i);
        c->argc = n;
        return true;
    }
    bool has_args_name = false;
    for (size_t i = 0; i < nargs; i++)
        if (strcmp(m->args[i].name, "args") == 0)
            has_args_name = true;
    const json_t *positional = NULL;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)params, key, value) {
        if (!has_args_name && strcmp(key, "args") == 0) {
            if (!json_is_array(value)) {
                rpc_error(c, RPC_INVALID_PARAMETER, "Parameter args must be an array");
                return false;
            }
            positional = value;
            continue;
        }
        size_t idx = 0;
        while (idx < nargs && strcmp(m->args[idx].name, key) != 0)
            idx++;
        if (idx == nargs) {
            rpc_error(c, RPC_INVALID_PARAMETER, "Unknown named parameter %s", key);
            return false;
        }
        c->params[idx] = value;
        if (idx + 1 > c->argc)
            c->argc = idx + 1;
    }
    if (positional) {
        size_t n = json_array_size(positional);
        if (n > nargs) {
            usage_error(c);
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (c->params[i]) {
                rpc_error(c, RPC_INVALID_PARAMETER,
                          "Parameter %s specified twice both as positional and named argument",
                          m->args[i].name);
                return false;
            }
            c->params[i] = json_array_get(positional, i);
        }
        if (n > c->argc)
            c->argc = n;
    }
    return true;
}

static bool type_matches(enum rpc_type t, const json_t *v)
{
    switch (t) {
    case RPC_STR:
    case RPC_HEX: return json_is_string(v);
    case RPC_INT:
    case RPC_UINT: return json_is_number(v);
    case RPC_BOOL: return json_is_boolean(v);
    case RPC_OBJ: return json_is_object(v);
    case RPC_ARR: return json_is_array(v);
    case RPC_AMOUNT:
    case RPC_ANY: return true;
    }
    return false;
}

/* Decodes an even-length hex string; false on any other character. */
static bool decode_hex(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len % 2)
        return false;
    if (len == 0)
        return true;
    uint8_t *b = malloc(len / 2);
    if (!b || !hex_decode(s, len, b)) {
        free(b);
        return false;
    }
    *out = b;
    *out_len = len / 2;
    return true;
}

static bool check_types(struct rpc_call *c)
{
    const struct rpc_method *m = c->method;
    size_t nargs = method_nargs(m);
    size_t n_required = 0;
    for (size_t i = 0; i < nargs; i++)
        if (m->args[i].required)
            n_required = i + 1;
    if (c->argc < n_required || c->argc > nargs) {
        usage_error(c);
        return false;
    }
    json_t *mismatch = json_object();
    if (!mismatch) {
        rpc_error(c, RPC_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (size_t i = 0; i < nargs; i++) {
        const struct rpc_arg *a = &m->args[i];
        const json_t *v = i < c->argc ? c->params[i] : NULL;
        bool absent = !v || json_is_null(v);
        const char *expected = expected_type_name(a->type);
        if (!expected || (absent && !a->required) || (!absent && type_matches(a->type, v)))
            continue;
        char key[96];
        snprintf(key, sizeof key, "Position %zu (%s)", i + 1, a->name);
        json_object_set_new(mismatch, key,
                            json_sprintf("JSON value of type %s is not of expected type %s",
                                         json_type_name(absent ? NULL : v), expected));
    }
    if (json_object_size(mismatch) > 0) {
        char *text = rpc_json_dumps(mismatch, 4, NULL);
        rpc_error(c, RPC_TYPE_ERROR, "Wrong type passed:\n%s", text ? text : "");
        free(text);
        json_decref(mismatch);
        return false;
    }
    json_decref(mismatch);

    for (size_t i = 0; i < nargs; i++) {
        const struct rpc_arg *a = &m->args[i];
        const json_t *v = i < c->argc ? c->params[i] : NULL;
        bool absent = !v || json_is_null(v);
        if (absent) {
            if (a->type == RPC_AMOUNT && a->required) {
                rpc_error(c, RPC_TYPE_ERROR, "Amount is not a number or string");
                return false;
            }
            continue;
        }
        switch (a->type) {
        case RPC_INT:
            if (!json_is_integer(v)) {
                rpc_error(c, RPC_TYPE_ERROR, "Expected an integer for %s", a->name);
                return false;
            }
            break;
        case RPC_UINT:
            if (!json_is_integer(v)) {
                rpc_error(c, RPC_TYPE_ERROR, "Expected an integer for %s", a->name);
                return false;
            }
            if (json_integer_value(v) < 0) {
                rpc_error(c, RPC_INVALID_PARAMETER, "%s must be non-negative", a->name);
                return false;
            }
            break;
        case RPC_HEX:
            if (!decode_hex(json_string_value(v), json_string_length(v), &c->hex[i],
                            &c->hex_len[i])) {
                rpc_error(c, RPC_INVALID_PARAMETER, "%s must be hexadecimal string", a->name);
                return false;
            }
            break;
        case RPC_AMOUNT: {
            const char *err = NULL;
            if (!rpc_parse_amount_err(v, &c->amounts[i], &err)) {
                rpc_error(c, RPC_TYPE_ERROR, "%s", err);
                return false;
            }
            break;
        }
        case RPC_STR:
        case RPC_BOOL:
        case RPC_OBJ:
        case RPC_ARR:
        case RPC_ANY:
            break;
        }
    }
    return true;
}

/* ---- Requests ---- */

enum rpc_version { RPC_V1_LEGACY, RPC_V2 };

/* A printable, bounded copy of a method name for the log. */
static void sanitize_name(const char *in, char out[65])
{
    size_t i = 0;
    for (; in[i] && i < 64; i++)
        out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
    out[i] = '\0';
}

static json_t *error_object(int code, const char *msg)
{
    return json_pack("{s:i,s:s}", "code", code, "message", msg ? msg : "");
}

/* Builds a reply; steals result. */
static json_t *make_reply(enum rpc_version v, const json_t *id, json_t *result, int code,
                          const char *msg)
{
    json_t *reply = json_object();
    if (!reply) {
        json_decref(result);
        return NULL;
    }
    bool failed = msg != NULL;
    if (v == RPC_V2)
        json_object_set_new(reply, "jsonrpc", json_string("2.0"));
    if (v == RPC_V1_LEGACY) {
        json_object_set_new(reply, "result", failed || !result ? json_null() : result);
        json_object_set_new(reply, "error", failed ? error_object(code, msg) : json_null());
    } else if (failed) {
        json_object_set_new(reply, "error", error_object(code, msg));
    } else {
        json_object_set_new(reply, "result", result ? result : json_null());
    }
    if (failed)
        json_decref(result);
    json_object_set(reply, "id", id ? (json_t *)id : json_null());
    return reply;
}

static int legacy_status(int code)
{
    if (code == RPC_INVALID_REQUEST)
        return 400;
    if (code == RPC_METHOD_NOT_FOUND)
        return 404;
    return 500;
}

/* Runs the handler of m; the result, or NULL with the error in c. */
static json_t *run_method(struct rpc_call *c, const json_t *params)
{
    if (!map_params(c, params) || !check_types(c))
        return NULL;
    const struct rpc_method *m = c->method;
    pthread_mutex_t *lock = !m->unlocked && !m->fast && c->env ? c->env->lock : NULL;
    if (lock)
        pthread_mutex_lock(lock);
    json_t *result = m->handler(c);
    if (lock)
        pthread_mutex_unlock(lock);
    if (call_failed(c)) {
        json_decref(result);
        return NULL;
    }
    if (!result) {
        LOG_INTERNAL_ERROR("RPC method %s returned neither a result nor an error", m->name);
        rpc_error(c, RPC_INTERNAL_ERROR, "Internal error: %s returned no result", m->name);
    }
    return result;
}

static rpc_call_observer call_observer;

void rpc_set_call_observer(rpc_call_observer fn)
{
    __atomic_store_n(&call_observer, fn, __ATOMIC_RELEASE);
}

/* The request's JSON-RPC version (its "jsonrpc" member); false with the
 * message when the dispatcher refuses it. */
static bool request_version(const json_t *request, enum rpc_version *version, const char **msg)
{
    const json_t *jv = json_object_get(request, "jsonrpc");
    if (!jv || json_is_null(jv))
        return true;
    if (!json_is_string(jv)) {
        *msg = "jsonrpc field must be a string";
        return false;
    }
    const char *s = json_string_value(jv);
    if (strcmp(s, "2.0") == 0) {
        *version = RPC_V2;
    } else if (strcmp(s, "1.0") != 0 && strcmp(s, "1.1") != 0) {
        *msg = "JSON-RPC version not supported";
        return false;
    }
    return true;
}

const json_t *rpc_request_arg(const struct rpc_method *m, const json_t *request, size_t idx)
{
    enum rpc_version version = RPC_V1_LEGACY;
    const char *msg = NULL;
    if (!m || idx >= RPC_MAX_ARGS || !json_is_object(request) ||
        !request_version(request, &version, &msg))
        return NULL;
    const json_t *jm = json_object_get(request, "method");
    if (!json_is_string(jm) || strcmp(json_string_value(jm), m->name) != 0)
        return NULL;
    const json_t *params = json_object_get(request, "params");
    json_t *empty = NULL;
    if (!params || json_is_null(params))
        params = empty = json_array();
    else if (!json_is_array(params) && !json_is_object(params))
        return NULL;
    struct rpc_call c = {.method = m};
    const json_t *arg = NULL;
    if (params && map_params(&c, params) && check_types(&c) && idx < c.argc)
        arg = c.params[idx];
    call_clear(&c);
    json_decref(empty);
    return arg;
}

json_t *rpc_execute(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                    const json_t *request, int *http_status)
{
    enum rpc_version version = RPC_V1_LEGACY;
    const json_t *id = NULL;
    int code = 0;
    const char *msg = NULL;

    if (!json_is_object(request)) {
        code = RPC_INVALID_REQUEST;
        msg = "Invalid Request object";
        goto invalid;
    }
    id = json_object_get(request, "id");
    if (!request_version(request, &version, &msg)) {
        code = RPC_INVALID_REQUEST;
        goto invalid;
    }
    const json_t *jm = json_object_get(request, "method");
    if (!jm || json_is_null(jm)) {
        code = RPC_INVALID_REQUEST;
        msg = "Missing method";
        goto invalid;
    }
    if (!json_is_string(jm)) {
        code = RPC_INVALID_REQUEST;
        msg = "Method must be a string";
        goto invalid;
    }
    const json_t *params = json_object_get(request, "params");
    json_t *empty = NULL;
    if (!params || json_is_null(params)) {
        params = empty = json_array();
        if (!empty) {
            code = RPC_OUT_OF_MEMORY;
            msg = "out of memory";
            goto invalid;
        }
    } else if (!json_is_array(params) && !json_is_object(params)) {
        code = RPC_INVALID_REQUEST;
        msg = "Params must be an array or object";
        goto invalid;
    }

    if (log_category_enabled(LOG_RPC)) {
        char logname[65], logwallet[65];
        sanitize_name(json_string_value(jm), logname);
        sanitize_name(wallet ? wallet : "", logwallet);
        log_debug(LOG_RPC, "ThreadRPCServer method=%s%s%s", logname, wallet ? " wallet=" : "",
                  logwallet);
    }

    struct rpc_call c = {.table = t, .env = env, .wallet = wallet};
    json_t *result = NULL;
    rpc_call_observer observer = __atomic_load_n(&call_observer, __ATOMIC_ACQUIRE);
    struct timespec t0, t1;
    if (observer)
        clock_gettime(CLOCK_MONOTONIC, &t0);
    c.method = rpc_table_find(t, json_string_value(jm));
    if (!c.method)
        rpc_error(&c, RPC_METHOD_NOT_FOUND, "Method not found");
    else
        result = run_method(&c, params);
    json_decref(empty);
    if (observer) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        observer(c.method ? c.method->name : NULL,
                 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }

    bool notification = version == RPC_V2 && !id;
    json_t *reply = NULL;
    if (notification) {
        json_decref(result);
        *http_status = 204;
    } else {
        if (call_failed(&c))
            *http_status = version == RPC_V2 ? 200 : legacy_status(c.err_code);
        else
            *http_status = 200;
        reply = make_reply(version, id, result, c.err_code, c.err_msg);
        if (!reply)
            *http_status = 500;
    }
    call_clear(&c);
    return reply;

invalid:
    /* An invalid request gets an answer even without an id (JSON-RPC 2.0
     * section 5: "id: Null" when it could not be determined). */
    *http_status = version == RPC_V2 ? 200 : legacy_status(code);
    json_t *r = make_reply(version, id, NULL, code, msg);
    if (!r)
        *http_status = 500;
    return r;
}

static rpc_batch_hook batch_hook;

void rpc_set_batch_hook(rpc_batch_hook fn)
{
    __atomic_store_n(&batch_hook, fn, __ATOMIC_RELEASE);
}

json_t *rpc_handle_json(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                        const json_t *body, int *http_status)
{
    if (json_is_object(body))
        return rpc_execute(t, env, wallet, body, http_status);
    if (!json_is_array(body)) {
        *http_status = 500;
        return make_reply(RPC_V1_LEGACY, NULL, NULL, RPC_PARSE_ERROR,
                          "Top-level object parse error");
    }
    if (json_array_size(body) == 0) {
        *http_status = 400;
        return make_reply(RPC_V1_LEGACY, NULL, NULL, RPC_INVALID_REQUEST, "Empty batch");
    }
    /* Batches always answer HTTP 200; errors are inside, notifications are
     * left out. */
    json_t *replies = json_array();
    if (!replies) {
        *http_status = 500;
        return NULL;
    }
    rpc_batch_hook hook = __atomic_load_n(&batch_hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(t, env, body);
    for (size_t i = 0; i < json_array_size(body); i++) {
        int status;
        json_t *r = rpc_execute(t, env, wallet, json_array_get(body, i), &status);
        if (r)
            json_array_append_new(replies, r);
    }
    if (hook)
        hook(t, env, NULL);
    *http_status = 200;
    return replies;
}

/* Cheap bounds on nesting and size before jansson builds a tree: a 16 MiB
 * body of "[1,1,1,..." would otherwise cost hundreds of megabytes. */
static bool within_limits(const char *s, size_t len)
{
    size_t depth = 0, values = 1;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
            continue;
        }
        switch (ch) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > RPC_MAX_JSON_DEPTH)
                return false;
            values++;
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        case ',':
            if (++values > RPC_MAX_JSON_VALUES)
                return false;
            break;
        default:
            break;
        }
    }
    return true;
}

/* The serialized reply with its final newline (rpc_handle_body). */
static char *finish_reply(json_t *reply, int *http_status, size_t *reply_len);

static bool is_fast_request(const struct rpc_table *t, const json_t *request)
{
    if (!json_is_object(request))
        return false;
    const json_t *jm = json_object_get(request, "method");
    const struct rpc_method *m = json_is_string(jm) ? rpc_table_find(t, json_string_value(jm)) : NULL;
    return m && m->fast;
}

char *rpc_handle_body_fast(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                           const char *body, size_t len, int *http_status, size_t *reply_len,
                           bool *handled)
{
    *handled = false;
    /* A cheap look before parsing: most bodies are not fast calls. */
    if (len > RPC_FAST_MAX_BODY || len == 0 || body[0] != '{' || !within_limits(body, len))
        return NULL;
    json_t *request = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!request || !is_fast_request(t, request)) {
        json_decref(request);
        return NULL;
    }
    *handled = true;
    json_t *reply = rpc_handle_json(t, env, wallet, request, http_status);
    json_decref(request);
    return finish_reply(reply, http_status, reply_len);
}

char *rpc_handle_body(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                      const char *body, size_t len, int *http_status, size_t *reply_len)
{
    json_t *reply;
    json_t *request = NULL;
    if (within_limits(body, len))
        request = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!request) {
        *http_status = 500;
        reply = make_reply(RPC_V1_LEGACY, NULL, NULL, RPC_PARSE_ERROR, "Parse error");
    } else {
        reply = rpc_handle_json(t, env, wallet, request, http_status);
        json_decref(request);
    }
    return finish_reply(reply, http_status, reply_len);
}

static char *finish_reply(json_t *reply, int *http_status, size_t *reply_len)
{
    if (!reply) {
        if (reply_len)
            *reply_len = 0;
        return NULL;
    }
    size_t n = 0;
    char *text = rpc_json_dumps(reply, 0, &n);
    json_decref(reply);
    char *out = text ? realloc(text, n + 2) : NULL;
    if (!out) {
        free(text);
        *http_status = 500;
        if (reply_len)
            *reply_len = 0;
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    if (reply_len)
        *reply_len = n + 1;
    return out;
}
