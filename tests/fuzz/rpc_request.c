/* Fuzz target: the JSON-RPC request path without sockets: the URI path
 * parser of rpc/server.c, the -rpcallowip subnet parser, and the body
 * parser and dispatcher of rpc/dispatch.c, the REST path parser of rpc/rest.c (limits, batches, JSON-RPC
 * versions, named and positional parameters, argument types, help) over the
 * control methods and an echo method with one argument of every type.
 *
 * Input: selector u8 | bytes.  Selector 0..5: a request body (1: sent to a
 * wallet's path); 6: a URI path; 7: a subnet.  Properties: every body gets a
 * reply that is valid JSON with a status bitcoind would give, or no reply
 * with 204 for a notification; every /rest/ path gets 400 or 404 (none of
 * the REST methods is in this table) with a one-line text body. */
#include "tests/fuzz/fuzz.h"

#include "rpc/rpc.h"
#include "rpc/rest.h"
#include "rpc/server.h"

#include <string.h>

static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;

static void request_shutdown(void)
{
}

static struct rpc_env env = {.lock = &node_lock, .request_shutdown = request_shutdown};

static json_t *m_echo(struct rpc_call *c)
{
    size_t hlen = 0;
    const uint8_t *h = rpc_hex(c, 5, &hlen);
    json_t *r = json_object();
    json_object_set_new(r, "a", json_string(rpc_str(c, 0, "none")));
    json_object_set_new(r, "b", json_integer(rpc_int(c, 1, 7)));
    json_object_set_new(r, "c", json_integer((json_int_t)rpc_uint(c, 2, 8)));
    json_object_set_new(r, "d", json_boolean(rpc_bool(c, 3, true)));
    json_object_set_new(r, "e", json_amount(rpc_amount(c, 4, 12345)));
    json_object_set_new(r, "f", h ? json_hex(h, hlen) : json_null());
    json_object_set(r, "g", rpc_has(c, 6) ? rpc_json(c, 6) : json_null());
    json_object_set(r, "h", rpc_has(c, 7) ? rpc_json(c, 7) : json_null());
    json_object_set(r, "i", rpc_has(c, 8) ? rpc_json(c, 8) : json_null());
    const char *w = rpc_wallet_name(c);
    json_object_set_new(r, "wallet", w ? json_string(w) : json_null());
    return r;
}

static json_t *m_fail(struct rpc_call *c)
{
    rpc_error(c, RPC_INVALID_PARAMETER, "refused %s", rpc_str(c, 0, "nothing"));
    return json_string("dropped by the dispatcher");
}

static const struct rpc_method fuzz_methods[] = {
    {
        .category = "Fuzz",
        .name = "echo",
        .handler = m_echo,
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
        .examples = "> fml-cli echo \"x\" 1",
    },
    {.category = "Fuzz", .name = "fail", .handler = m_fail, .summary = "Fails.",
     .args = {{"why", RPC_STR, false, NULL, "A reason"}}},
    {.category = "Fuzz", .name = "echo_unlocked", .handler = m_echo, .summary = "Unlocked echo.",
     .args = {{"a", RPC_STR, true, NULL, "A string"}}, .unlocked = true},
};

static struct rpc_table *table;

static void fuzz_body(const char *wallet, const uint8_t *p, size_t n)
{
    int status = 0;
    size_t len = 0;
    char *reply = rpc_handle_body(table, &env, wallet, (const char *)p, n, &status, &len);
    if (!reply) {
        FUZZ_CHECK(status == 204 || status == 500);
        return;
    }
    FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 500);
    FUZZ_CHECK(len > 0 && reply[len - 1] == '\n' && strlen(reply) == len);
    json_error_t jerr;
    json_t *parsed = json_loadb(reply, len, JSON_DECODE_ANY, &jerr);
    FUZZ_CHECK(parsed != NULL);
    FUZZ_CHECK(json_is_object(parsed) || json_is_array(parsed));
    json_decref(parsed);
    free(reply);
}

static void fuzz_path(const uint8_t *p, size_t n)
{
    char path[1024];
    bool is_root;
    char *wallet = NULL;
    if (n >= sizeof(path))
        return;
    memcpy(path, p, n);
    path[n] = '\0';
    if (strlen(path) == n && rest_is_path(path)) {
        struct rest_reply rr;
        rest_handle(table, &env, path, &rr);
        FUZZ_CHECK(rr.status == 400 || rr.status == 404);
        FUZZ_CHECK(rr.body != NULL && rr.len > 0 && rr.len <= 128);
        FUZZ_CHECK(strcmp(rr.content_type, "text/plain") == 0);
        FUZZ_CHECK(rr.body[rr.len - 1] == '\n' && memchr(rr.body, '\n', rr.len) == rr.body + rr.len - 1);
        free(rr.body);
    }
    if (!rpc_parse_path(path, &is_root, &wallet)) {
        FUZZ_CHECK(wallet == NULL);
        return;
    }
    FUZZ_CHECK(is_root == (wallet == NULL));
    if (wallet) {
        static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"x\"]}";
        fuzz_body(wallet, (const uint8_t *)body, strlen(body));
        free(wallet);
    }
}

static void fuzz_subnet(const uint8_t *p, size_t n)
{
    char text[256];
    struct rpc_subnet net;
    if (n >= sizeof(text))
        return;
    memcpy(text, p, n);
    text[n] = '\0';
    if (rpc_subnet_parse(text, &net))
        FUZZ_CHECK(net.family == AF_INET || net.family == AF_INET6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table) {
        table = rpc_table_new();
        FUZZ_CHECK(table != NULL);
        FUZZ_CHECK(rpc_table_add(table, rpc_control_methods, rpc_control_methods_count));
        FUZZ_CHECK(rpc_table_add(table, fuzz_methods, sizeof(fuzz_methods) / sizeof(fuzz_methods[0])));
    }
    if (size < 1)
        return 0;
    switch (data[0] & 7) {
    case 6: fuzz_path(data + 1, size - 1); break;
    case 7: fuzz_subnet(data + 1, size - 1); break;
    default: fuzz_body((data[0] & 7) == 1 ? "fuzzwallet" : NULL, data + 1, size - 1); break;
    }
    return 0;
}
