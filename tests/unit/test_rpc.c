/* Unit tests of the JSON-RPC dispatcher, argument checks, exact amounts,
 * the serializer and help, driven through rpc_handle_body without sockets. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/amount.h"
#include "rpc/rpc.h"
#include "util/hex.h"
#include "util/log.h"

static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static int shutdown_requests;

static void request_shutdown(void)
{
    shutdown_requests++;
}

static struct rpc_env env = {.lock = &node_lock, .request_shutdown = request_shutdown};
static struct rpc_table *table;

/* ---- Test methods ---- */

static json_t *m_typed(struct rpc_call *c)
{
    size_t hlen = 0;
    const uint8_t *h = rpc_hex(c, 5, &hlen);
    json_t *r = json_object();
    json_object_set_new(r, "argc", json_integer((json_int_t)rpc_argc(c)));
    json_object_set_new(r, "a", json_string(rpc_str(c, 0, "none")));
    json_object_set_new(r, "b", json_integer(rpc_int(c, 1, 7)));
    json_object_set_new(r, "c", json_integer((json_int_t)rpc_uint(c, 2, 8)));
    json_object_set_new(r, "d", json_boolean(rpc_bool(c, 3, true)));
    json_object_set_new(r, "e", json_amount(rpc_amount(c, 4, 12345)));
    json_object_set_new(r, "f", h ? json_hex(h, hlen) : json_null());
    json_object_set(r, "g", rpc_has(c, 6) ? rpc_json(c, 6) : json_null());
    json_object_set(r, "h", rpc_has(c, 7) ? rpc_json(c, 7) : json_null());
    json_object_set(r, "i", rpc_has(c, 8) ? rpc_json(c, 8) : json_null());
    return r;
}

static json_t *m_fail(struct rpc_call *c)
{
    rpc_error(c, RPC_INVALID_ADDRESS_OR_KEY, "bad thing %d", 42);
    /* A value returned after an error must be released by the dispatcher. */
    return json_string("must not leak");
}

static json_t *m_null(struct rpc_call *c)
{
    return NULL;
}

static json_t *m_nothing(struct rpc_call *c)
{
    return json_null();
}

static json_t *m_lockstate(struct rpc_call *c)
{
    int rc = pthread_mutex_trylock(rpc_env(c)->lock);
    if (rc == 0)
        pthread_mutex_unlock(rpc_env(c)->lock);
    return json_boolean(rc == EBUSY);
}

static json_t *m_wallet(struct rpc_call *c)
{
    const char *w = rpc_wallet_name(c);
    return w ? json_string(w) : json_null();
}

static json_t *m_amount(struct rpc_call *c)
{
    return json_amount(rpc_amount(c, 0, 0));
}

static const struct rpc_method test_methods[] = {
    {
        .category = "Test",
        .name = "typed",
        .handler = m_typed,
        .summary = "Echoes its typed arguments.",
        .args = {
            {"a", RPC_STR, true, NULL, "A string"},
            {"b", RPC_INT, false, "7", "An integer"},
            {"c", RPC_UINT, false, "8", "A count"},
            {"d", RPC_BOOL, false, "true", "A flag"},
            {"e", RPC_AMOUNT, false, NULL, "An amount"},
            {"f", RPC_HEX, false, NULL, "Some bytes"},
            {"g", RPC_OBJ, false, NULL, "An object"},
            {"h", RPC_ARR, false, NULL, "An array"},
            {"i", RPC_ANY, false, NULL, "Anything"},
        },
        .result = "{...}    (json object) what was received",
        .examples = "> fml-cli typed \"x\" 1",
    },
    {.category = "Test", .name = "fail", .handler = m_fail, .summary = "Fails."},
    {.category = "Test", .name = "null", .handler = m_null, .summary = "Forgets its result."},
    {.category = "Test", .name = "nothing", .handler = m_nothing, .summary = "Returns null."},
    {.category = "Test", .name = "lockstate", .handler = m_lockstate, .summary = "Locked?"},
    {.category = "Test", .name = "lockstate_unlocked", .handler = m_lockstate,
     .summary = "Locked?", .unlocked = true},
    {.category = "Test", .name = "wallet", .handler = m_wallet, .summary = "Wallet name."},
    {.category = "Test", .name = "amount", .handler = m_amount, .summary = "Echoes an amount.",
     .args = {{"amount", RPC_AMOUNT, true, NULL, "The amount"}}},
    {.category = "hidden", .name = "secretmethod", .handler = m_nothing, .summary = "Hidden."},
};

static void setup(void)
{
    table = rpc_table_new();
    ck_assert_ptr_nonnull(table);
    ck_assert(rpc_table_add(table, rpc_control_methods, rpc_control_methods_count));
    ck_assert(rpc_table_add(table, test_methods, sizeof(test_methods) / sizeof(test_methods[0])));
    shutdown_requests = 0;
}

static void teardown(void)
{
    rpc_table_free(table);
    table = NULL;
}

/* Runs a body; returns the raw reply text (caller frees) and its status. */
static char *run_wallet(const char *body, const char *wallet, int *status)
{
    size_t len = 0;
    *status = -1;
    char *reply = rpc_handle_body(table, &env, wallet, body, strlen(body), status, &len);
    if (reply) {
        ck_assert_uint_eq(strlen(reply), len);
        ck_assert_int_eq(reply[len - 1], '\n');
    }
    return reply;
}

static char *run(const char *body, int *status)
{
    return run_wallet(body, NULL, status);
}

/* Runs a body and parses the reply. */
static json_t *run_json(const char *body, int *status)
{
    char *text = run(body, status);
    ck_assert_msg(text != NULL, "no reply for %s", body);
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "unparseable reply %s", text);
    free(text);
    return v;
}

/* Asserts a reply is an error with code and returns its message. */
static const char *error_message(const json_t *reply, int code)
{
    const json_t *err = json_object_get(reply, "error");
    ck_assert_msg(json_is_object(err), "no error object");
    ck_assert_int_eq(json_integer_value(json_object_get(err, "code")), code);
    return json_string_value(json_object_get(err, "message"));
}

static void expect_error(const char *body, int status_expected, int code, const char *msg)
{
    int status;
    json_t *r = run_json(body, &status);
    ck_assert_int_eq(status, status_expected);
    const char *m = error_message(r, code);
    if (msg)
        ck_assert_msg(m && strstr(m, msg), "message '%s' lacks '%s' for %s", m, msg, body);
    json_decref(r);
}

static void expect_reply(const char *body, int status_expected, const char *reply_expected)
{
    int status;
    char *text = run(body, &status);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(status, status_expected);
    ck_assert_str_eq(text, reply_expected);
    free(text);
}

/* ---- Request shapes ---- */

START_TEST(test_legacy_shapes)
{
    expect_reply("{\"method\":\"nothing\",\"id\":1}", 200,
                 "{\"result\":null,\"error\":null,\"id\":1}\n");
    expect_reply("{\"jsonrpc\":\"1.0\",\"method\":\"wallet\",\"params\":[],\"id\":\"x\"}", 200,
                 "{\"result\":null,\"error\":null,\"id\":\"x\"}\n");
    expect_reply("{\"jsonrpc\":\"1.1\",\"method\":\"amount\",\"params\":[\"1.5\"],\"id\":[1]}", 200,
                 "{\"result\":1.50000000,\"error\":null,\"id\":[1]}\n");
    /* No id: the legacy reply still carries one. */
    expect_reply("{\"method\":\"nothing\"}", 200, "{\"result\":null,\"error\":null,\"id\":null}\n");
    expect_reply("{\"method\":\"fail\",\"id\":3}", 500,
                 "{\"result\":null,\"error\":{\"code\":-5,\"message\":\"bad thing 42\"},\"id\":3}\n");
    expect_error("{\"method\":\"nosuch\",\"id\":3}", 404, RPC_METHOD_NOT_FOUND, "Method not found");
    expect_error("{\"method\":5,\"id\":3}", 400, RPC_INVALID_REQUEST, "Method must be a string");
    expect_error("{\"id\":3}", 400, RPC_INVALID_REQUEST, "Missing method");
    expect_error("{\"method\":\"nothing\",\"params\":\"x\",\"id\":3}", 400, RPC_INVALID_REQUEST,
                 "Params must be an array or object");
    expect_error("{\"method\":\"nothing\",\"params\":5,\"id\":3}", 400, RPC_INVALID_REQUEST,
                 "Params must be an array or object");
    expect_error("{\"jsonrpc\":2.0,\"method\":\"nothing\",\"id\":3}", 400, RPC_INVALID_REQUEST,
                 "jsonrpc field must be a string");
    expect_error("{\"jsonrpc\":\"3.0\",\"method\":\"nothing\",\"id\":3}", 400, RPC_INVALID_REQUEST,
                 "JSON-RPC version not supported");
    /* Null params count as none. */
    expect_reply("{\"method\":\"nothing\",\"params\":null,\"id\":1}", 200,
                 "{\"result\":null,\"error\":null,\"id\":1}\n");
}
END_TEST

START_TEST(test_v2_shapes)
{
    expect_reply("{\"jsonrpc\":\"2.0\",\"method\":\"amount\",\"params\":[\"2\"],\"id\":\"a\"}", 200,
                 "{\"jsonrpc\":\"2.0\",\"result\":2.00000000,\"id\":\"a\"}\n");
    expect_reply("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":null}", 200,
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-5,\"message\":\"bad thing 42\"},"
                 "\"id\":null}\n");
    expect_reply("{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":1}", 200,
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},"
                 "\"id\":1}\n");
    /* Invalid requests are answered even without an id, with HTTP 200. */
    expect_reply("{\"jsonrpc\":\"2.0\",\"method\":1}", 200,
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Method must be a "
                 "string\"},\"id\":null}\n");

    /* Notifications run but get no reply: HTTP 204. */
    int status;
    env.start_time = 0;
    char *text = run("{\"jsonrpc\":\"2.0\",\"method\":\"stop\"}", &status);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(status, 204);
    ck_assert_int_eq(shutdown_requests, 1);
    text = run("{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}", &status);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(status, 204);
    text = run("{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"params\":[]}", &status);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(status, 204);
}
END_TEST

START_TEST(test_parse_errors)
{
    expect_reply("{", 500,
                 "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}\n");
    expect_error("", 500, RPC_PARSE_ERROR, "Parse error");
    expect_error("{\"method\":\"nothing\"} x", 500, RPC_PARSE_ERROR, "Parse error");
    expect_error("5", 500, RPC_PARSE_ERROR, "Top-level object parse error");
    expect_error("\"str\"", 500, RPC_PARSE_ERROR, "Top-level object parse error");
    /* Invalid UTF-8 and an embedded NUL escape are refused. */
    expect_error("{\"method\":\"typed\",\"params\":[\"\xff\xfe\"],\"id\":1}", 500, RPC_PARSE_ERROR,
                 NULL);
    expect_error("{\"method\":\"typed\",\"params\":[\"a\\u0000b\"],\"id\":1}", 500,
                 RPC_PARSE_ERROR, NULL);
    /* A key given twice is ambiguous. */
    expect_error("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"a\":\"y\"},\"id\":1}", 500,
                 RPC_PARSE_ERROR, NULL);
    /* The amount marker cannot be forged from input. */
    expect_error("{\"method\":\"amount\",\"params\":[{\"\\u0000fml:amount\":\"1\"}],\"id\":1}", 500,
                 RPC_PARSE_ERROR, NULL);
}
END_TEST

START_TEST(test_limits)
{
    /* Nesting deeper than the limit. */
    size_t depth = RPC_MAX_JSON_DEPTH + 10;
    char *deep = malloc(2 * depth + 64);
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",{},");
    for (size_t i = 0; i < depth; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[n++] = ']';
    strcpy(deep + n, "]}");
    expect_error(deep, 500, RPC_PARSE_ERROR, "Parse error");
    free(deep);

    /* More values than the limit. */
    size_t count = RPC_MAX_JSON_VALUES + 5;
    char *huge = malloc(2 * count + 64);
    n = (size_t)sprintf(huge, "{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",{},[");
    for (size_t i = 0; i < count; i++) {
        huge[n++] = '1';
        huge[n++] = ',';
    }
    strcpy(huge + n - 1, "]]}");
    expect_error(huge, 500, RPC_PARSE_ERROR, "Parse error");
    free(huge);

    /* Within the limits, a moderately nested value goes through. */
    int status;
    json_t *r = run_json("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",{},[[[[1]]]]],\"id\":1}",
                         &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_array(json_object_get(json_object_get(r, "result"), "h")));
    json_decref(r);
}
END_TEST

START_TEST(test_batches)
{
    int status;
    json_t *r = run_json("[{\"method\":\"amount\",\"params\":[\"1\"],\"id\":1},"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"nothing\"},"
                         "5,"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":9},"
                         "{\"method\":\"fail\",\"id\":2}]",
                         &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_array(r));
    ck_assert_uint_eq(json_array_size(r), 4);
    ck_assert(json_is_null(json_object_get(json_array_get(r, 0), "error")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 0), "id")), 1);
    error_message(json_array_get(r, 1), RPC_INVALID_REQUEST);
    ck_assert_str_eq(error_message(json_array_get(r, 2), RPC_METHOD_NOT_FOUND), "Method not found");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 2), "jsonrpc")), "2.0");
    ck_assert_str_eq(error_message(json_array_get(r, 3), RPC_INVALID_ADDRESS_OR_KEY), "bad thing 42");
    json_decref(r);

    /* Only notifications: an empty array. */
    expect_reply("[{\"jsonrpc\":\"2.0\",\"method\":\"nothing\"}]", 200, "[]\n");
    expect_error("[]", 400, RPC_INVALID_REQUEST, NULL);
}
END_TEST

/* ---- Parameters ---- */

START_TEST(test_named_params)
{
    int status;
    json_t *r = run_json("{\"method\":\"typed\",\"params\":{\"c\":5,\"a\":\"x\"},\"id\":1}", &status);
    ck_assert_int_eq(status, 200);
    json_t *res = json_object_get(r, "result");
    ck_assert_str_eq(json_string_value(json_object_get(res, "a")), "x");
    ck_assert_int_eq(json_integer_value(json_object_get(res, "b")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(res, "c")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(res, "argc")), 3);
    json_decref(r);

    /* Positional values through "args", mixed with names. */
    r = run_json("{\"method\":\"typed\",\"params\":{\"args\":[\"y\",3],\"d\":false},\"id\":1}", &status);
    ck_assert_int_eq(status, 200);
    res = json_object_get(r, "result");
    ck_assert_str_eq(json_string_value(json_object_get(res, "a")), "y");
    ck_assert_int_eq(json_integer_value(json_object_get(res, "b")), 3);
    ck_assert(json_is_false(json_object_get(res, "d")));
    json_decref(r);

    expect_error("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"zz\":1},\"id\":1}", 500,
                 RPC_INVALID_PARAMETER, "Unknown named parameter zz");
    expect_error("{\"method\":\"typed\",\"params\":{\"args\":[\"x\"],\"a\":\"y\"},\"id\":1}", 500,
                 RPC_INVALID_PARAMETER,
                 "Parameter a specified twice both as positional and named argument");
    expect_error("{\"method\":\"typed\",\"params\":{\"args\":\"x\"},\"id\":1}", 500,
                 RPC_INVALID_PARAMETER, "Parameter args must be an array");
    /* A required argument missing from the names: usage. */
    expect_error("{\"method\":\"typed\",\"params\":{\"b\":1},\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Position 1 (a)");
    expect_error("{\"method\":\"amount\",\"params\":{},\"id\":1}", 500, RPC_MISC_ERROR,
                 "amount amount\n\nEchoes an amount.");
}
END_TEST

START_TEST(test_arg_counts)
{
    /* Missing required and too many arguments: the usage text, code -1. */
    expect_error("{\"method\":\"typed\",\"params\":[],\"id\":1}", 500, RPC_MISC_ERROR,
                 "typed \"a\" ( b c d e \"f\" g h i )\n\nEchoes its typed arguments.\n\nArguments:");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",{},[],1,2],\"id\":1}", 500,
                 RPC_MISC_ERROR, "typed \"a\" ( b c d e \"f\" g h i )");
    expect_error("{\"method\":\"nothing\",\"params\":[1],\"id\":1}", 500, RPC_MISC_ERROR, "nothing");
    /* A required argument given as null is a type error. */
    expect_error("{\"method\":\"typed\",\"params\":[null],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "\"Position 1 (a)\": \"JSON value of type null is not of expected type string\"");
    /* Optional ones given as null take their defaults. */
    int status;
    json_t *r = run_json("{\"method\":\"typed\",\"params\":[\"x\",null,null,null,null,null],\"id\":1}",
                         &status);
    ck_assert_int_eq(status, 200);
    json_t *res = json_object_get(r, "result");
    ck_assert_int_eq(json_integer_value(json_object_get(res, "b")), 7);
    ck_assert(json_is_true(json_object_get(res, "d")));
    ck_assert(json_is_null(json_object_get(res, "f")));
    json_decref(r);
}
END_TEST

START_TEST(test_type_checks)
{
    expect_reply("{\"method\":\"typed\",\"params\":[5],\"id\":1}", 500,
                 "{\"result\":null,\"error\":{\"code\":-3,\"message\":\"Wrong type passed:\\n{\\n"
                 "    \\\"Position 1 (a)\\\": \\\"JSON value of type number is not of expected type "
                 "string\\\"\\n}\"},\"id\":1}\n");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",\"1\"],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "\"Position 2 (b)\": \"JSON value of type string is not of expected type number\"");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1.5],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Expected an integer for b");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,-1],\"id\":1}", 500, RPC_INVALID_PARAMETER,
                 "c must be non-negative");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,true],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "\"Position 3 (c)\": \"JSON value of type bool is not of expected type number\"");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,1,\"true\"],\"id\":1}", 500,
                 RPC_TYPE_ERROR, "\"Position 4 (d)\": \"JSON value of type string is not of expected type bool\"");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,true],\"id\":1}", 500,
                 RPC_TYPE_ERROR, "Amount is not a number or string");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,5],\"id\":1}", 500,
                 RPC_TYPE_ERROR, "\"Position 6 (f)\": \"JSON value of type number is not of expected type string\"");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",[]],\"id\":1}", 500,
                 RPC_TYPE_ERROR, "\"Position 7 (g)\": \"JSON value of type array is not of expected type object\"");
    expect_error("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",{},{}],\"id\":1}", 500,
                 RPC_TYPE_ERROR, "\"Position 8 (h)\": \"JSON value of type object is not of expected type array\"");
    /* Several mismatches are reported together. */
    int status;
    json_t *r = run_json("{\"method\":\"typed\",\"params\":[1,\"x\"],\"id\":1}", &status);
    const char *m = error_message(r, RPC_TYPE_ERROR);
    ck_assert_ptr_nonnull(strstr(m, "Position 1 (a)"));
    ck_assert_ptr_nonnull(strstr(m, "Position 2 (b)"));
    json_decref(r);
    /* RPC_ANY takes anything. */
    r = run_json("{\"method\":\"typed\",\"params\":[\"a\",1,1,true,1,\"\",{},[],{\"k\":[null]}],\"id\":1}",
                 &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_object(json_object_get(json_object_get(r, "result"), "i")));
    json_decref(r);
}
END_TEST

START_TEST(test_hex_args)
{
    int status;
    json_t *r = run_json("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"f\":\"00FFa1\"},\"id\":1}",
                         &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "result"), "f")), "00ffa1");
    json_decref(r);
    r = run_json("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"f\":\"\"},\"id\":1}", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "result"), "f")), "");
    json_decref(r);
    expect_error("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"f\":\"abc\"},\"id\":1}", 500,
                 RPC_INVALID_PARAMETER, "f must be hexadecimal string");
    expect_error("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"f\":\"zz\"},\"id\":1}", 500,
                 RPC_INVALID_PARAMETER, "f must be hexadecimal string");
    expect_error("{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"f\":\"0x00\"},\"id\":1}", 500,
                 RPC_INVALID_PARAMETER, "f must be hexadecimal string");
}
END_TEST

/* The table decoder against every byte value and every bad character. */
START_TEST(test_hex_decode)
{
    static const char digits[] = "0123456789abcdef";
    for (int b = 0; b < 256; b++) {
        char lower[2] = {digits[b >> 4], digits[b & 15]};
        char upper[2] = {(char)(lower[0] >= 'a' ? lower[0] - 32 : lower[0]),
                         (char)(lower[1] >= 'a' ? lower[1] - 32 : lower[1])};
        uint8_t out = 0;
        ck_assert(hex_decode(lower, 2, &out));
        ck_assert_int_eq(out, b);
        out = 0;
        ck_assert(hex_decode(upper, 2, &out));
        ck_assert_int_eq(out, b);
    }
    for (int c = 0; c < 256; c++) {
        bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        char first[4] = {(char)c, '0', '0', '0'}, last[4] = {'0', '0', '0', (char)c};
        uint8_t out[2];
        ck_assert_int_eq(hex_decode(first, 4, out), digit);
        ck_assert_int_eq(hex_decode(last, 4, out), digit);
    }
    uint8_t out[2];
    ck_assert(!hex_decode("abc", 3, out));
    ck_assert(hex_decode("", 0, out));
    ck_assert(!hex_decode("a\0", 2, out)); /* a NUL inside the length */
}
END_TEST

/* ---- Amounts ---- */

static void amount_ok(json_t *v, uint64_t expected)
{
    uint64_t units = 0;
    const char *err = NULL;
    ck_assert_msg(rpc_parse_amount_err(v, &units, &err), "refused: %s", err);
    ck_assert_uint_eq(units, expected);
    ck_assert(rpc_parse_amount(v, &units));
    json_decref(v);
}

static void amount_bad(json_t *v, const char *msg)
{
    uint64_t units = 77;
    const char *err = NULL;
    ck_assert(!rpc_parse_amount_err(v, &units, &err));
    ck_assert_uint_eq(units, 77);
    ck_assert_str_eq(err, msg);
    ck_assert(!rpc_parse_amount(v, &units));
    json_decref(v);
}

START_TEST(test_amount_parse)
{
    amount_ok(json_string("0.00000001"), 1);
    amount_ok(json_string("21000000.12345678"), UINT64_C(2100000012345678));
    amount_ok(json_string("999999999.99999999"), UINT64_C(99999999999999999));
    amount_ok(json_string("1000000000"), MAX_SUPPLY);
    amount_ok(json_string("0"), 0);
    amount_ok(json_string("-0"), 0);
    amount_ok(json_string("12.34"), UINT64_C(1234000000));
    amount_ok(json_string("0.100000000000"), UINT64_C(10000000));
    amount_ok(json_string("1e-8"), 1);
    amount_ok(json_string("1.5E+2"), UINT64_C(15000000000));
    amount_ok(json_integer(5), 5 * COIN);
    amount_ok(json_integer(1000000000), MAX_SUPPLY);
    amount_ok(json_real(0.1), UINT64_C(10000000));
    amount_ok(json_real(21000000.12345678), UINT64_C(2100000012345678));
    amount_ok(json_real(0.00000001), 1);
    amount_ok(json_real(1e-8), 1);
    amount_ok(json_amount(UINT64_C(99999999999999999)), UINT64_C(99999999999999999));

    amount_bad(json_string("0.000000001"), "Invalid amount");
    amount_bad(json_string("1.123456789"), "Invalid amount");
    amount_bad(json_string("-1"), "Amount out of range");
    amount_bad(json_string("-0.00000001"), "Amount out of range");
    amount_bad(json_string("1000000000.00000001"), "Amount out of range");
    amount_bad(json_string("99999999999999999999999999"), "Amount out of range");
    amount_bad(json_string("1e30"), "Amount out of range");
    amount_bad(json_string("NaN"), "Invalid amount");
    amount_bad(json_string("inf"), "Invalid amount");
    amount_bad(json_string(""), "Invalid amount");
    amount_bad(json_string(" 1"), "Invalid amount");
    amount_bad(json_string("1 "), "Invalid amount");
    amount_bad(json_string("01"), "Invalid amount");
    amount_bad(json_string(".5"), "Invalid amount");
    amount_bad(json_string("1."), "Invalid amount");
    amount_bad(json_string("+1"), "Invalid amount");
    amount_bad(json_string("0x10"), "Invalid amount");
    amount_bad(json_string("1e"), "Invalid amount");
    amount_bad(json_integer(-1), "Amount out of range");
    amount_bad(json_integer(1000000001), "Amount out of range");
    amount_bad(json_real(-0.5), "Amount out of range");
    amount_bad(json_real(1e-9), "Invalid amount");
    amount_bad(json_real(1e10), "Amount out of range");
    amount_bad(json_true(), "Amount is not a number or string");
    amount_bad(json_null(), "Amount is not a number or string");
    amount_bad(json_array(), "Amount is not a number or string");
}
END_TEST

START_TEST(test_amount_format)
{
    char buf[32];
    rpc_format_amount(0, buf);
    ck_assert_str_eq(buf, "0.00000000");
    rpc_format_amount(1, buf);
    ck_assert_str_eq(buf, "0.00000001");
    rpc_format_amount(UINT64_C(2100000012345678), buf);
    ck_assert_str_eq(buf, "21000000.12345678");
    rpc_format_amount(UINT64_C(99999999999999999), buf);
    ck_assert_str_eq(buf, "999999999.99999999");
    rpc_format_amount(UINT64_MAX, buf);
    ck_assert_str_eq(buf, "184467440737.09551615");

    json_t *v = json_pack("{s:[o,{s:o}],s:o}", "a", json_amount(1), "b",
                          json_amount(UINT64_C(2100000012345678)), "c",
                          json_amount(UINT64_C(99999999999999999)));
    char *text = rpc_json_dumps(v, 0, NULL);
    ck_assert_str_eq(text, "{\"a\":[0.00000001,{\"b\":21000000.12345678}],\"c\":999999999.99999999}");
    free(text);
    uint64_t units;
    ck_assert(json_amount_units(json_object_get(v, "c"), &units));
    ck_assert_uint_eq(units, UINT64_C(99999999999999999));
    ck_assert(!json_amount_units(json_object_get(v, "a"), &units));
    json_decref(v);

    /* Through the dispatcher, in and out exactly. */
    expect_reply("{\"method\":\"amount\",\"params\":[\"999999999.99999999\"],\"id\":1}", 200,
                 "{\"result\":999999999.99999999,\"error\":null,\"id\":1}\n");
    expect_reply("{\"method\":\"amount\",\"params\":[21000000.12345678],\"id\":1}", 200,
                 "{\"result\":21000000.12345678,\"error\":null,\"id\":1}\n");
    expect_reply("{\"method\":\"amount\",\"params\":[0.00000001],\"id\":1}", 200,
                 "{\"result\":0.00000001,\"error\":null,\"id\":1}\n");
    expect_error("{\"method\":\"amount\",\"params\":[\"0.000000001\"],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Invalid amount");
    expect_error("{\"method\":\"amount\",\"params\":[-1],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Amount out of range");
    expect_error("{\"method\":\"amount\",\"params\":[\"1000000001\"],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Amount out of range");
    expect_error("{\"method\":\"amount\",\"params\":[\"NaN\"],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Invalid amount");
    expect_error("{\"method\":\"amount\",\"params\":[null],\"id\":1}", 500, RPC_TYPE_ERROR,
                 "Amount is not a number or string");
}
END_TEST

/* ---- Serializer ---- */

START_TEST(test_serializer_escapes)
{
    const char raw[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f" "\xc3\xa9\xf0\x9f\x98\x80";
    json_t *v = json_object();
    json_object_set_new(v, "k\n\"", json_string(raw));
    json_object_set_new(v, "nul", json_stringn("a\0b", 3));
    char *text = rpc_json_dumps(v, 0, NULL);
    ck_assert_str_eq(text, "{\"k\\n\\\"\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f"
                           "\xc3\xa9\xf0\x9f\x98\x80\",\"nul\":\"a\\u0000b\"}");
    /* jansson reads back exactly what was written. */
    json_t *back = json_loads(text, JSON_ALLOW_NUL, NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, v));
    json_decref(back);
    free(text);
    json_decref(v);
}
END_TEST

START_TEST(test_serializer_values)
{
    json_t *v = json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:b,s:b,s:n,s:{},s:[],s:s}", "min",
                          (json_int_t)INT64_MIN, "max", (json_int_t)INT64_MAX, "tenth", 0.1, "one",
                          1.0, "big", 1e300, "neg", -2.5, "t", 1, "f", 0, "z", "eo", "ea", "s", "");
    char *text = rpc_json_dumps(v, 0, NULL);
    ck_assert_str_eq(text, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                           "\"tenth\":0.1,\"one\":1.0,\"big\":1e+300,\"neg\":-2.5,\"t\":true,"
                           "\"f\":false,\"z\":null,\"eo\":{},\"ea\":[],\"s\":\"\"}");
    json_t *back = json_loads(text, 0, NULL);
    ck_assert(json_equal(back, v));
    json_decref(back);
    free(text);
    json_decref(v);

    /* Pretty printing in bitcoind's layout, amounts included. */
    v = json_pack("{s:[i,{s:o}],s:{},s:[]}", "a", 1, "b", json_amount(150000000), "e", "l");
    text = rpc_json_dumps(v, 2, NULL);
    ck_assert_str_eq(text, "{\n"
                           "  \"a\": [\n"
                           "    1,\n"
                           "    {\n"
                           "      \"b\": 1.50000000\n"
                           "    }\n"
                           "  ],\n"
                           "  \"e\": {\n"
                           "  },\n"
                           "  \"l\": [\n"
                           "  ]\n"
                           "}");
    free(text);
    size_t len = 0;
    text = rpc_json_dumps(v, 0, &len);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_str_eq(text, "{\"a\":[1,{\"b\":1.50000000}],\"e\":{},\"l\":[]}");
    free(text);
    json_decref(v);

    v = json_string("top");
    text = rpc_json_dumps(v, 4, NULL);
    ck_assert_str_eq(text, "\"top\"");
    free(text);
    json_decref(v);

    uint8_t bytes[] = {0x00, 0x0f, 0xf0, 0xab};
    v = json_hex(bytes, sizeof bytes);
    ck_assert_str_eq(json_string_value(v), "000ff0ab");
    json_decref(v);
}
END_TEST

/* ---- Handlers ---- */

START_TEST(test_handler_contract)
{
    expect_error("{\"method\":\"null\",\"id\":1}", 500, RPC_INTERNAL_ERROR, "Internal error");
    expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"null\",\"id\":1}", 200, RPC_INTERNAL_ERROR, NULL);
    /* Locked methods run with the node lock held, unlocked ones without. */
    expect_reply("{\"method\":\"lockstate\",\"id\":1}", 200, "{\"result\":true,\"error\":null,\"id\":1}\n");
    expect_reply("{\"method\":\"lockstate_unlocked\",\"id\":1}", 200,
                 "{\"result\":false,\"error\":null,\"id\":1}\n");
    ck_assert_int_eq(pthread_mutex_trylock(&node_lock), 0);
    pthread_mutex_unlock(&node_lock);

    int status;
    char *text = run_wallet("{\"method\":\"wallet\",\"id\":1}", "my wallet", &status);
    ck_assert_str_eq(text, "{\"result\":\"my wallet\",\"error\":null,\"id\":1}\n");
    free(text);

    /* rpc_execute on a parsed request. */
    json_t *req = json_pack("{s:s,s:[s],s:i}", "method", "amount", "params", "3", "id", 4);
    json_t *reply = rpc_execute(table, &env, NULL, req, &status);
    ck_assert_int_eq(status, 200);
    uint64_t units;
    ck_assert(json_amount_units(json_object_get(reply, "result"), &units));
    ck_assert_uint_eq(units, 3 * COIN);
    json_decref(reply);
    json_decref(req);
}
END_TEST

START_TEST(test_table)
{
    ck_assert_uint_eq(rpc_table_count(table),
                      rpc_control_methods_count + sizeof(test_methods) / sizeof(test_methods[0]));
    ck_assert_ptr_eq(rpc_table_find(table, "typed"), &test_methods[0]);
    ck_assert_ptr_null(rpc_table_find(table, "nosuch"));
    ck_assert_ptr_eq(rpc_table_at(table, 0), &rpc_control_methods[0]);
    ck_assert_ptr_null(rpc_table_at(table, 1000));
    /* Duplicates are refused and leave the table as it was. */
    size_t n = rpc_table_count(table);
    ck_assert(!rpc_table_add(table, test_methods, 1));
    ck_assert_uint_eq(rpc_table_count(table), n);
}
END_TEST

/* logging: reads and changes the debug categories; an unknown name is an
 * error that changes nothing. */
START_TEST(test_logging)
{
    int status;
    log_set_categories(0);
    json_t *r = run_json("{\"method\":\"logging\",\"params\":[[\"net\",\"rpc\"],[\"rpc\"]],\"id\":1}",
                         &status);
    ck_assert_int_eq(status, 200);
    json_t *res = json_object_get(r, "result");
    ck_assert(json_is_true(json_object_get(res, "net")));
    ck_assert(json_is_false(json_object_get(res, "rpc")));
    ck_assert(json_is_false(json_object_get(res, "http")));
    json_decref(r);
    ck_assert(log_category_enabled(LOG_NET) && !log_category_enabled(LOG_RPC));

    r = run_json("{\"method\":\"logging\",\"params\":[[\"http\",\"bogus\"]],\"id\":1}", &status);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
                     RPC_INVALID_PARAMETER);
    json_decref(r);
    ck_assert(!log_category_enabled(LOG_HTTP) && log_category_enabled(LOG_NET));

    /* "all", then "none" in the exclude list excludes nothing. */
    r = run_json("{\"method\":\"logging\",\"params\":[[\"all\"],[\"none\"]],\"id\":1}", &status);
    json_decref(r);
    ck_assert(log_category_enabled(LOG_HTTP) && log_category_enabled(LOG_FL));
    r = run_json("{\"method\":\"logging\",\"params\":[[],[\"all\"]],\"id\":1}", &status);
    json_decref(r);
    ck_assert_uint_eq(log_get_categories(), 0);

    /* -debugexclude after -debug. */
    ck_assert(log_enable_categories("all"));
    ck_assert(log_disable_categories("net,db"));
    ck_assert(!log_category_enabled(LOG_NET) && !log_category_enabled(LOG_DB) &&
              log_category_enabled(LOG_RPC));
    ck_assert(!log_disable_categories("rpc,nosuch"));
    ck_assert(log_category_enabled(LOG_RPC));
    log_set_categories(0);
}
END_TEST

START_TEST(test_control)
{
    int status;
    json_t *r = run_json("{\"method\":\"help\",\"id\":1}", &status);
    ck_assert_int_eq(status, 200);
    const char *help = json_string_value(json_object_get(r, "result"));
    ck_assert_ptr_nonnull(help);
    const char *prefix = "== Control ==\nhelp ( \"command\" )\nlogging ( include exclude )\nstop\n"
                         "uptime\n\n== Test ==\namount amount\n";
    ck_assert_msg(strncmp(help, prefix, strlen(prefix)) == 0, "overview: %s", help);
    ck_assert_ptr_nonnull(strstr(help, "\ntyped \"a\" ( b c d e \"f\" g h i )\n"));
    ck_assert_ptr_null(strstr(help, "secretmethod"));
    ck_assert_int_ne(help[strlen(help) - 1], '\n');
    json_decref(r);

    r = run_json("{\"method\":\"help\",\"params\":[\"typed\"],\"id\":1}", &status);
    help = json_string_value(json_object_get(r, "result"));
    ck_assert_str_eq(help, "typed \"a\" ( b c d e \"f\" g h i )\n"
                           "\n"
                           "Echoes its typed arguments.\n"
                           "\n"
                           "Arguments:\n"
                           "1. a    (string, required) A string\n"
                           "2. b    (numeric, optional, default=7) An integer\n"
                           "3. c    (numeric, optional, default=8) A count\n"
                           "4. d    (boolean, optional, default=true) A flag\n"
                           "5. e    (numeric or string, optional) An amount\n"
                           "6. f    (string, hex, optional) Some bytes\n"
                           "7. g    (json object, optional) An object\n"
                           "8. h    (json array, optional) An array\n"
                           "9. i    (any, optional) Anything\n"
                           "\n"
                           "Result:\n"
                           "{...}    (json object) what was received\n"
                           "\n"
                           "Examples:\n"
                           "> fml-cli typed \"x\" 1");
    json_decref(r);

    expect_reply("{\"method\":\"help\",\"params\":[\"nosuch\"],\"id\":1}", 200,
                 "{\"result\":\"help: unknown command: nosuch\",\"error\":null,\"id\":1}\n");
    expect_error("{\"method\":\"help\",\"params\":[1],\"id\":1}", 500, RPC_TYPE_ERROR, "Position 1 (command)");

    env.start_time = (uint64_t)time(NULL) - 100;
    r = run_json("{\"method\":\"uptime\",\"id\":1}", &status);
    json_int_t up = json_integer_value(json_object_get(r, "result"));
    ck_assert_int_ge(up, 100);
    ck_assert_int_le(up, 110);
    json_decref(r);

    expect_reply("{\"method\":\"stop\",\"id\":1}", 200,
                 "{\"result\":\"fmld stopping\",\"error\":null,\"id\":1}\n");
    ck_assert_int_eq(shutdown_requests, 1);
}
END_TEST

/* rpc_request_arg (what a batch hook may look at) gives an argument exactly
 * for the requests whose handler the dispatcher runs. */
START_TEST(test_request_arg)
{
    static const struct {
        const char *req;
        bool runs;
    } cases[] = {
        {"{\"method\":\"typed\",\"params\":[\"x\"],\"id\":1}", true},
        {"{\"method\":\"typed\",\"params\":{\"a\":\"x\"},\"id\":1}", true},
        {"{\"method\":\"typed\",\"params\":{\"args\":[\"x\"]},\"id\":1}", true},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":[\"x\"],\"id\":1}", true},
        {"{\"version\":\"1.1\",\"method\":\"typed\",\"params\":[\"x\"],\"id\":1}", true},
        {"{\"jsonrpc\":\"3.0\",\"method\":\"typed\",\"params\":[\"x\"],\"id\":1}", false},
        {"{\"jsonrpc\":2,\"method\":\"typed\",\"params\":[\"x\"],\"id\":1}", false},
        {"{\"method\":\"typed\",\"params\":[\"x\",1,2,true,1,\"00\",{},[],1,9],\"id\":1}", false},
        {"{\"method\":\"typed\",\"params\":{\"a\":\"x\",\"zz\":1},\"id\":1}", false},
        {"{\"method\":\"typed\",\"params\":{\"args\":[\"x\"],\"a\":\"y\"},\"id\":1}", false},
        {"{\"method\":\"typed\",\"params\":[\"x\",\"notanint\"],\"id\":1}", false},
        {"{\"method\":\"typed\",\"params\":[\"x\",1,2,true,1,\"zz\"],\"id\":1}", false},
        {"{\"method\":\"typed\",\"params\":\"x\",\"id\":1}", false},
        {"{\"method\":\"typed\",\"id\":1}", false},
        {"{\"method\":\"amount\",\"params\":[1],\"id\":1}", false}, /* another method */
    };
    const struct rpc_method *m = rpc_table_find(table, "typed");
    ck_assert_ptr_nonnull(m);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_error_t err;
        json_t *req = json_loads(cases[i].req, 0, &err);
        ck_assert_ptr_nonnull(req);
        const json_t *arg = rpc_request_arg(m, req, 0);
        ck_assert_msg((arg != NULL) == cases[i].runs, "case %zu", i);
        if (arg)
            ck_assert_str_eq(json_string_value(arg), "x");
        /* The dispatcher agrees: the handler ran (a result) or not. */
        int status;
        json_t *r = rpc_execute(table, NULL, NULL, req, &status);
        ck_assert_ptr_nonnull(r);
        const json_t *e = json_object_get(r, "error");
        ck_assert_msg((e == NULL || json_is_null(e)) == cases[i].runs || i == 14, "case %zu", i);
        json_decref(r);
        json_decref(req);
    }
    json_t *empty = json_object();
    ck_assert_ptr_null(rpc_request_arg(NULL, empty, 0));
    json_decref(empty);
}
END_TEST

static Suite *rpc_suite(void)
{
    Suite *s = suite_create("rpc");
    TCase *tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_legacy_shapes);
    tcase_add_test(tc, test_v2_shapes);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_batches);
    tcase_add_test(tc, test_named_params);
    tcase_add_test(tc, test_arg_counts);
    tcase_add_test(tc, test_type_checks);
    tcase_add_test(tc, test_hex_args);
    tcase_add_test(tc, test_hex_decode);
    tcase_add_test(tc, test_amount_parse);
    tcase_add_test(tc, test_amount_format);
    tcase_add_test(tc, test_serializer_escapes);
    tcase_add_test(tc, test_serializer_values);
    tcase_add_test(tc, test_handler_contract);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_control);
    tcase_add_test(tc, test_logging);
    tcase_add_test(tc, test_request_arg);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rpc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
