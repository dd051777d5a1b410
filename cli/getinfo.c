/* fml-cli -getinfo (see getinfo.h): one batch of getnetworkinfo,
 * getblockchaininfo, getwalletinfo, getbalances and getmempoolinfo, then a
 * summary.  Numbers are copied from the reply text as the node wrote them,
 * so amounts stay exact.
 */
#include "cli/getinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/rpcclient.h"
#include "rpc/rpc.h"

enum { Q_NETWORK, Q_CHAIN, Q_WALLET, Q_BALANCES, Q_MEMPOOL, Q_COUNT };

static const char *const batch_methods[Q_COUNT] = {
    "getnetworkinfo", "getblockchaininfo", "getwalletinfo", "getbalances", "getmempoolinfo",
};

/* One reply of the batch: the raw result text, or the error. */
struct answer {
    const char *result;
    size_t result_len;
    bool is_error;
    long long code;
    char *message;
};

/* A string (the text a JSON string decodes to) or a number etc. (its raw
 * text) of member key of the object text; "" when absent.  The caller frees
 * it. */
static char *member(const char *obj, size_t len, const char *key)
{
    const char *v;
    size_t vlen;
    if (!obj || !rpc_raw_member(obj, len, key, &v, &vlen))
        return strdup("");
    if (vlen > 0 && v[0] == '"') {
        json_t *s = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
        char *out = strdup(json_is_string(s) ? json_string_value(s) : "");
        json_decref(s);
        return out;
    }
    return strndup(v, vlen);
}

/* The raw JSON text of member key, or "null" when absent.  Caller frees. */
static char *raw_member(const char *obj, size_t len, const char *key)
{
    const char *v;
    size_t vlen;
    if (!obj || !rpc_raw_member(obj, len, key, &v, &vlen))
        return strdup("null");
    return strndup(v, vlen);
}

static bool has_member(const char *obj, size_t len, const char *key)
{
    const char *v;
    size_t vlen;
    return obj && rpc_raw_member(obj, len, key, &v, &vlen);
}

/* Fills a from one JSON-RPC reply object. */
static bool parse_answer(const char *text, size_t len, struct answer *a)
{
    const char *v;
    size_t vlen;
    memset(a, 0, sizeof *a);
    if (rpc_raw_member(text, len, "error", &v, &vlen) && !(vlen == 4 && memcmp(v, "null", 4) == 0)) {
        json_t *e = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
        json_t *code = json_object_get(e, "code");
        json_t *msg = json_object_get(e, "message");
        a->is_error = true;
        a->code = json_is_integer(code) ? (long long)json_integer_value(code) : 0;
        a->message = strdup(json_is_string(msg) ? json_string_value(msg) : "");
        json_decref(e);
        return true;
    }
    if (!rpc_raw_member(text, len, "result", &v, &vlen))
        return false;
    a->result = v;
    a->result_len = vlen;
    return true;
}

static void answer_free(struct answer *a)
{
    free(a->message);
    memset(a, 0, sizeof *a);
}

static bool report_http(const struct rpc_http_reply *h)
{
    if (h->status == 401) {
        fprintf(stderr, "error: Authorization failed: Incorrect rpcuser or rpcpassword\n");
        return false;
    }
    if (h->status != 200) {
        fprintf(stderr, "error: server returned HTTP error %d%s%s\n", h->status,
                h->body && *h->body ? ": " : "", h->body ? h->body : "");
        return false;
    }
    return true;
}

static void print_connect_error(enum rpc_client_status st, const struct rpc_client_options *o,
                                const char *err)
{
    if (st == RPC_CLIENT_CONNECT_FAILED)
        fprintf(stderr,
                "error: Could not connect to the server %s:%u\n\nMake sure the fmld server is "
                "running and that you are connecting to the correct RPC port.\n",
                o->host ? o->host : "127.0.0.1", o->port);
    else if (st == RPC_CLIENT_NO_CREDENTIALS)
        fprintf(stderr,
                "error: Could not locate RPC credentials. No authentication cookie could be "
                "found, and RPC password is not set.  See -rpcpassword.  Cookie file: (%s)\n",
                o->cookie_file ? o->cookie_file : "");
    else
        fprintf(stderr, "error: %s\n", err[0] ? err : "no response from server");
}

/* One wallet's balance for the multi-wallet summary. */
struct wallet_balance {
    char *name;
    char *balance; /* raw amount text */
};

/* Without -rpcwallet and with several wallets loaded: listwallets, then
 * getbalances of each.  *n stays 0 with one wallet or none. */
static bool wallet_balances(const struct rpc_client_options *o, struct wallet_balance **out,
                            size_t *n)
{
    char err[512] = "";
    struct rpc_reply r;
    *out = NULL;
    *n = 0;
    enum rpc_client_status st = rpc_client_call(o, "listwallets", NULL, &r, err, sizeof err);
    if (st != RPC_CLIENT_OK || r.is_error || !r.result) {
        /* No wallet support (-disablewallet): no wallet section. */
        bool ok = st == RPC_CLIENT_OK;
        if (!ok)
            print_connect_error(st, o, err);
        rpc_reply_free(&r);
        return ok;
    }
    json_t *names = json_loadb(r.result, r.result_len, JSON_DECODE_ANY, NULL);
    rpc_reply_free(&r);
    size_t count = json_is_array(names) ? json_array_size(names) : 0;
    if (count < 2) {
        json_decref(names);
        return true;
    }
    struct wallet_balance *wb = calloc(count, sizeof *wb);
    bool ok = wb != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        const char *name = json_string_value(json_array_get(names, i));
        struct rpc_client_options wo = *o;
        wo.wallet = name;
        err[0] = '\0';
        st = rpc_client_call(&wo, "getbalances", NULL, &r, err, sizeof err);
        if (st != RPC_CLIENT_OK || r.is_error || !r.result) {
            if (st != RPC_CLIENT_OK)
                print_connect_error(st, &wo, err);
            else
                fprintf(stderr, "error: getbalances of wallet %s: %s\n", name ? name : "?",
                        r.message ? r.message : "no result");
            rpc_reply_free(&r);
            ok = false;
            break;
        }
        const char *mine;
        size_t mlen;
        wb[i].name = strdup(name ? name : "");
        wb[i].balance = rpc_raw_member(r.result, r.result_len, "mine", &mine, &mlen)
                            ? raw_member(mine, mlen, "trusted")
                            : strdup("null");
        rpc_reply_free(&r);
        *n = i + 1;
    }
    json_decref(names);
    *out = wb;
    return ok;
}

static void wallet_balances_free(struct wallet_balance *wb, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(wb[i].name);
        free(wb[i].balance);
    }
    free(wb);
}

/* Appends "key": <raw> to the JSON text being built. */
static void put_raw(FILE *f, bool *first, const char *key, const char *raw)
{
    json_t *k = json_string(key);
    char *kt = json_dumps(k, JSON_ENCODE_ANY);
    fprintf(f, "%s%s:%s", *first ? "" : ",", kt ? kt : "\"?\"", raw);
    free(kt);
    json_decref(k);
    *first = false;
}

static void put_member(FILE *f, bool *first, const char *key, const char *obj, size_t len,
                       const char *from)
{
    char *raw = raw_member(obj, len, from);
    put_raw(f, first, key, raw);
    free(raw);
}

/* getbalances' mine.trusted (raw), or getwalletinfo's balance when the
 * node answered getbalances with an error. */
static char *balance_of(const struct answer *w, const struct answer *b)
{
    const char *mine;
    size_t mlen;
    if (!b->is_error && b->result && rpc_raw_member(b->result, b->result_len, "mine", &mine, &mlen))
        return raw_member(mine, mlen, "trusted");
    return raw_member(w->result, w->result_len, "balance");
}

static int print_json(const struct answer *a, bool wallet, const struct wallet_balance *wb,
                      size_t nwb)
{
    const struct answer *net = &a[Q_NETWORK], *ch = &a[Q_CHAIN], *w = &a[Q_WALLET],
                        *mp = &a[Q_MEMPOOL];
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f)
        return 1;
    bool first = true;
    fputc('{', f);
    put_member(f, &first, "version", net->result, net->result_len, "version");
    put_member(f, &first, "chain", ch->result, ch->result_len, "chain");
    put_member(f, &first, "blocks", ch->result, ch->result_len, "blocks");
    put_member(f, &first, "headers", ch->result, ch->result_len, "headers");
    put_member(f, &first, "verificationprogress", ch->result, ch->result_len,
               "verificationprogress");
    put_member(f, &first, "timeoffset", net->result, net->result_len, "timeoffset");
    char *in = raw_member(net->result, net->result_len, "connections_in");
    char *out = raw_member(net->result, net->result_len, "connections_out");
    char *total = raw_member(net->result, net->result_len, "connections");
    char conns[256];
    snprintf(conns, sizeof conns, "{\"in\":%s,\"out\":%s,\"total\":%s}", in, out, total);
    free(in);
    free(out);
    free(total);
    put_raw(f, &first, "connections", conns);
    put_member(f, &first, "relayfee", net->result, net->result_len, "relayfee");
    if (!mp->is_error && mp->result) {
        char *size = raw_member(mp->result, mp->result_len, "size");
        char *bytes = raw_member(mp->result, mp->result_len, "bytes");
        char mem[128];
        snprintf(mem, sizeof mem, "{\"size\":%s,\"bytes\":%s}", size, bytes);
        free(size);
        free(bytes);
        put_raw(f, &first, "mempool", mem);
    }
    put_raw(f, &first, "has_wallet", wallet || nwb > 0 ? "true" : "false");
    if (wallet) {
        put_member(f, &first, "walletname", w->result, w->result_len, "walletname");
        put_member(f, &first, "keypoolsize", w->result, w->result_len, "keypoolsize");
        if (has_member(w->result, w->result_len, "unlocked_until"))
            put_member(f, &first, "unlocked_until", w->result, w->result_len, "unlocked_until");
        put_member(f, &first, "paytxfee", w->result, w->result_len, "paytxfee");
        char *balance = balance_of(w, &a[Q_BALANCES]);
        put_raw(f, &first, "balance", balance);
        free(balance);
    } else if (nwb > 0) {
        fprintf(f, ",\"balances\":{");
        bool bfirst = true;
        for (size_t i = 0; i < nwb; i++)
            put_raw(f, &bfirst, wb[i].name, wb[i].balance);
        fputc('}', f);
    }
    put_member(f, &first, "warnings", net->result, net->result_len, "warnings");
    fputc('}', f);
    if (fclose(f) != 0) {
        free(buf);
        return 1;
    }
    char *pretty = rpc_raw_reindent(buf, blen, 2);
    free(buf);
    if (!pretty) {
        fprintf(stderr, "error: malformed result\n");
        return 1;
    }
    printf("%s\n", pretty);
    free(pretty);
    return 0;
}

static int print_human(const struct answer *a, bool wallet, const struct wallet_balance *wb,
                       size_t nwb)
{
    const struct answer *net = &a[Q_NETWORK], *ch = &a[Q_CHAIN], *w = &a[Q_WALLET],
                        *mp = &a[Q_MEMPOOL];
#define NET(k) member(net->result, net->result_len, k)
#define CH(k) member(ch->result, ch->result_len, k)
#define WAL(k) member(w->result, w->result_len, k)
    char *chain = CH("chain"), *blocks = CH("blocks"), *headers = CH("headers"),
         *progress = CH("verificationprogress");
    printf("Chain: %s\nBlocks: %s\nHeaders: %s\nVerification progress: %.4f%%\n", chain, blocks,
           headers, strtod(progress, NULL) * 100.0);
    free(chain);
    free(blocks);
    free(headers);
    free(progress);

    char *in = NET("connections_in"), *out = NET("connections_out"), *total = NET("connections"),
         *version = NET("version"), *offset = NET("timeoffset"), *relay = NET("relayfee");
    printf("\nNetwork: in %s, out %s, total %s\nVersion: %s\nTime offset (s): %s\n"
           "Min tx relay fee rate (FML/kvB): %s\n",
           in, out, total, version, offset, relay);
    free(in);
    free(out);
    free(total);
    free(version);
    free(offset);
    free(relay);

    if (!mp->is_error && mp->result) {
        char *size = member(mp->result, mp->result_len, "size");
        char *bytes = member(mp->result, mp->result_len, "bytes");
        printf("\nMempool: %s transactions, %s bytes\n", size, bytes);
        free(size);
        free(bytes);
    }

    if (wallet) {
        char *name = WAL("walletname"), *keypool = WAL("keypoolsize"), *fee = WAL("paytxfee"),
             *balance = balance_of(w, &a[Q_BALANCES]);
        printf("\nWallet: \"%s\"\nKeypool size: %s\n", name, keypool);
        if (has_member(w->result, w->result_len, "unlocked_until")) {
            char *until = WAL("unlocked_until");
            printf("Unlocked until: %s\n", until);
            free(until);
        }
        printf("Transaction fee rate (-paytxfee) (FML/kvB): %s\n\nBalance: %s\n", fee, balance);
        free(name);
        free(keypool);
        free(fee);
        free(balance);
    } else if (nwb > 0) {
        printf("\nBalances\n");
        for (size_t i = 0; i < nwb; i++)
            printf("%s %s\n", wb[i].balance, wb[i].name);
    }

    char *warnings = NET("warnings");
    printf("\nWarnings: %s\n", *warnings ? warnings : "(none)");
    free(warnings);
#undef NET
#undef CH
#undef WAL
    return 0;
}

int cli_getinfo(const struct rpc_client_options *o, bool json_out)
{
    char *body = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&body, &blen);
    if (!f)
        return 1;
    fputc('[', f);
    for (int i = 0; i < Q_COUNT; i++)
        fprintf(f, "%s{\"jsonrpc\":\"1.0\",\"id\":%d,\"method\":\"%s\",\"params\":[]}",
                i ? "," : "", i, batch_methods[i]);
    fputc(']', f);
    if (fclose(f) != 0) {
        free(body);
        return 1;
    }

    char err[512] = "";
    struct rpc_http_reply h;
    memset(&h, 0, sizeof h);
    enum rpc_client_status st = rpc_client_post(o, body, blen, &h, err, sizeof err);
    free(body);
    if (st != RPC_CLIENT_OK) {
        print_connect_error(st, o, err);
        rpc_http_reply_free(&h);
        return 1;
    }
    if (!report_http(&h)) {
        rpc_http_reply_free(&h);
        return 1;
    }

    /* Replies may come in any order: match them by id. */
    struct answer a[Q_COUNT];
    bool seen[Q_COUNT] = {false};
    memset(a, 0, sizeof a);
    const char *elem;
    size_t elen;
    for (size_t i = 0; rpc_raw_element(h.body, h.len, i, &elem, &elen); i++) {
        char *id = raw_member(elem, elen, "id");
        char *end;
        long k = strtol(id, &end, 10);
        bool valid = *id && *end == '\0' && k >= 0 && k < Q_COUNT && !seen[k];
        free(id);
        if (valid && parse_answer(elem, elen, &a[k]))
            seen[k] = true;
    }
    int rc = 1;
    for (int k = 0; k < Q_COUNT; k++) {
        if (!seen[k]) {
            fprintf(stderr, "error: no reply to %s in the server's answer\n", batch_methods[k]);
            goto done;
        }
    }
    for (int k = Q_NETWORK; k <= Q_CHAIN; k++) {
        if (a[k].is_error) {
            fprintf(stderr, "error code: %lld\nerror message:\n%s\n", a[k].code, a[k].message);
            goto done;
        }
    }
    /* The wallet part: the -rpcwallet wallet, or the only wallet loaded;
     * with several loaded, each one's balance. */
    bool wallet = !a[Q_WALLET].is_error;
    if (!wallet && o->wallet) {
        fprintf(stderr, "error code: %lld\nerror message:\n%s\n", a[Q_WALLET].code,
                a[Q_WALLET].message);
        goto done;
    }
    struct wallet_balance *wb = NULL;
    size_t nwb = 0;
    if (!wallet && a[Q_WALLET].code == RPC_WALLET_NOT_SPECIFIED &&
        !wallet_balances(o, &wb, &nwb)) {
        wallet_balances_free(wb, nwb);
        goto done;
    }
    rc = json_out ? print_json(a, wallet, wb, nwb) : print_human(a, wallet, wb, nwb);
    wallet_balances_free(wb, nwb);
done:
    for (int k = 0; k < Q_COUNT; k++)
        answer_free(&a[k]);
    rpc_http_reply_free(&h);
    return rc;
}
