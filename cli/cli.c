/* fml-cli: the command-line JSON-RPC client of fmld, in bitcoin-cli's
 * manner: options, then a method and its arguments; results on stdout,
 * errors on stderr with exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "consensus/params.h"
#include "cli/client_args.h"
#include "cli/getinfo.h"
#include "rpc/rpc.h"
#include "util/config.h"
#include "util/fs.h"
#include "client/rpcclient.h"
#include "consensus/bech32.h"
#include "node/genesisfile.h"
#include "node/validatorkey.h"

#include <sodium.h>

#define DEFAULT_CLIENT_TIMEOUT 900
#define DEFAULT_HOST "127.0.0.1"
#define COOKIE_NAME ".cookie"

static const char *const known_options[] = {
    "datadir", "conf", "regtest", "testnet", "chain", "rpcconnect", "rpcport", "rpcuser",
    "rpcpassword", "rpccookiefile", "rpcwallet", "named", "stdin", "rpcwait", "rpcwaittimeout",
    "rpcclienttimeout", "getinfo", "help", "version", NULL,
};

static void print_usage(void)
{
    printf("fml-cli version %s\n\n"
           "Usage:  fml-cli [options] <command> [params]  Send command to fmld\n"
           "or:     fml-cli [options] -named <command> [name=value]...  Send command with named "
           "arguments\n"
           "or:     fml-cli [options] help  List commands\n"
           "or:     fml-cli [options] help <command>  Get help for a command\n\n"
           "Options:\n"
           "  -?, -h, -help        Print this help message and exit\n"
           "  -version             Print version and exit\n"
           "  -conf=<file>         Configuration file, relative to the data directory "
           "(default: %s)\n"
           "  -datadir=<dir>       Data directory (default: ~/.fml)\n"
           "  -getinfo             Get general information from the node: chain, blocks,\n"
           "                       headers, verification progress, connections, relay fee,\n"
           "                       mempool, the wallet's balance (every loaded wallet's\n"
           "                       without -rpcwallet) and warnings, from one batch of RPC\n"
           "                       calls (not atomic).  \"-getinfo 1\" prints it as JSON\n"
           "  -chain=<chain>       Use the chain <chain>: main, test, regtest (default: main)\n"
           "  -testnet             Use the test chain (same as -chain=test)\n"
           "  -regtest             Use the regression test chain (same as -chain=regtest)\n"
           "  -named               Pass named instead of positional arguments\n"
           "  -rpcclienttimeout=<n>  Timeout in seconds during HTTP requests, 0 for none "
           "(default: %d)\n"
           "  -rpcconnect=<ip>     Send commands to node running on <ip> (default: %s)\n"
           "  -rpccookiefile=<loc> Location of the auth cookie, relative to the network "
           "data directory (default: .cookie)\n"
           "  -rpcpassword=<pw>    Password for JSON-RPC connections\n"
           "  -rpcport=<port>      Connect to JSON-RPC on <port> (default: %u, testnet: %u, "
           "regtest: %u)\n"
           "  -rpcuser=<user>      Username for JSON-RPC connections\n"
           "  -rpcwait             Wait for RPC server to start\n"
           "  -rpcwaittimeout=<n>  Timeout in seconds to wait for the RPC server to start, "
           "0 for none (default: 0)\n"
           "  -rpcwallet=<name>    Send RPC for a wallet (URI /wallet/<name>)\n"
           "  -stdin               Read extra arguments from standard input, one per line\n"
           "\nLaunch commands (run here, no node needed; see doc/launch.md):\n"
           "  genvalidatorkey <keyfile> <stake> [commission_bps=1000] [onion_length=10000000]\n"
           "                       Make a validator key: the secret goes to <keyfile> (new,\n"
           "                       mode 0600, for fmld -validatorkey), the public fragment to\n"
           "                       stdout\n"
           "  creategenesis <base.json> <fragment.json>...\n"
           "                       Write the genesis file of a launch to stdout: the base\n"
           "                       (name, hrp, genesis_time, params, allocations) and one\n"
           "                       validator per fragment; the same inputs give the same bytes\n"
           "  checkgenesis <genesis.json>\n"
           "                       Print a genesis file's hash and validators\n",
           PACKAGE_VERSION, CONFIG_FILE_NAME, DEFAULT_CLIENT_TIMEOUT, DEFAULT_HOST,
           params_default_rpc_port(NET_MAIN), params_default_rpc_port(NET_TEST),
           params_default_rpc_port(NET_REGTEST));
}

/* Converts one argument: a JSON value when the table says so, else a
 * string. */
static json_t *convert_arg(const char *method, size_t index, const char *name, const char *value)
{
    if (rpc_client_arg_is_json(method, index, name)) {
        json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
        if (!v)
            fprintf(stderr, "error: Error parsing JSON: %s\n", value);
        return v;
    }
    json_t *s = json_string(value);
    if (!s)
        fprintf(stderr, "error: argument is not valid UTF-8: %s\n", value);
    return s;
}

static json_t *build_params(const char *method, char **args, size_t n, bool named)
{
    json_t *positional = json_array();
    json_t *object = named ? json_object() : NULL;
    if (!positional || (named && !object))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const char *eq = named ? strchr(args[i], '=') : NULL;
        if (!eq) {
            json_t *v = convert_arg(method, json_array_size(positional), NULL, args[i]);
            if (!v || json_array_append_new(positional, v) != 0)
                goto fail;
            continue;
        }
        char *name = strndup(args[i], (size_t)(eq - args[i]));
        json_t *v = name ? convert_arg(method, 0, name, eq + 1) : NULL;
        /* A later value for a name replaces an earlier one. */
        bool ok = v && json_object_set_new(object, name, v) == 0;
        free(name);
        if (!ok)
            goto fail;
    }
    if (!named)
        return positional;
    if (json_array_size(positional) > 0 && !json_object_get(object, "args"))
        json_object_set(object, "args", positional);
    json_decref(positional);
    return object;
fail:
    json_decref(positional);
    json_decref(object);
    return NULL;
}

/* Appends the lines of stdin to the argument list. */
static bool read_stdin_args(char ***args, size_t *n)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        char **grown = realloc(*args, (*n + 1) * sizeof(**args));
        char *copy = strdup(line);
        if (!grown || !copy) {
            free(copy);
            if (grown)
                *args = grown;
            free(line);
            return false;
        }
        *args = grown;
        (*args)[(*n)++] = copy;
    }
    free(line);
    return !ferror(stdin);
}

static int print_result(const struct rpc_reply *r)
{
    const char *v = r->result;
    size_t len = r->result_len;
    if (len == 4 && memcmp(v, "null", 4) == 0)
        return 0;
    if (v[0] == '"') {
        json_t *s = json_loadb(v, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!json_is_string(s)) {
            json_decref(s);
            fprintf(stderr, "error: malformed result\n");
            return 1;
        }
        fwrite(json_string_value(s), 1, json_string_length(s), stdout);
        fputc('\n', stdout);
        json_decref(s);
        return 0;
    }
    char *pretty = rpc_raw_reindent(v, len, 2);
    if (!pretty) {
        fprintf(stderr, "error: malformed result\n");
        return 1;
    }
    printf("%s\n", pretty);
    free(pretty);
    return 0;
}

static int print_error(const struct rpc_reply *r)
{
    fprintf(stderr, "error code: %lld\nerror message:\n%s", (long long)r->code,
            r->message ? r->message : "");
    if (r->code == RPC_WALLET_NOT_SPECIFIED)
        fprintf(stderr, " Or for the CLI, specify the \"-rpcwallet=<walletname>\" option before "
                        "the command (run \"fml-cli -h\" for more information or \"fml-cli "
                        "listwallets\" to see which wallets are currently loaded).");
    fputc('\n', stderr);
    return 1;
}

struct cli {
    struct config *cfg;
    char *datadir;
    char *net_datadir;
    char *cookie;
    char host[256];
    struct rpc_client_options opts;
};

/* Reads the options and the config file into c; false after printing an
 * error. */
static bool setup(struct cli *c, int argc, char **argv, int *first)
{
    char err[512];
    c->cfg = config_new();
    if (!c->cfg || !config_parse_args(c->cfg, argc, argv, first, err, sizeof err) ||
        !config_check_args(c->cfg, known_options, err, sizeof err)) {
        fprintf(stderr, "Error parsing command line arguments: %s\n", c->cfg ? err : "out of memory");
        return false;
    }
    const char *dd = config_get(c->cfg, "datadir", NULL);
    if (dd) {
        if (!fs_is_dir(dd)) {
            fprintf(stderr, "Error: Specified data directory \"%s\" does not exist.\n", dd);
            return false;
        }
        c->datadir = strdup(dd);
    } else {
        c->datadir = fs_default_datadir();
    }
    if (!c->datadir) {
        fprintf(stderr, "Error: no data directory (set -datadir or HOME)\n");
        return false;
    }
    char chain[64];
    if (!config_get_chain(c->cfg, chain, sizeof chain, err, sizeof err)) {
        fprintf(stderr, "Error: %s\n", err);
        return false;
    }
    char *conf = config_conf_path(c->cfg, c->datadir);
    if (!conf) {
        fprintf(stderr, "error: out of memory\n");
        return false;
    }
    bool ok = config_read_file(c->cfg, conf, chain, err, sizeof err);
    free(conf);
    if (!ok) {
        fprintf(stderr, "Error reading configuration file: %s\n", err);
        return false;
    }
    /* The file may select the network itself (regtest=1). */
    char chain2[64];
    if (!config_get_chain(c->cfg, chain2, sizeof chain2, err, sizeof err)) {
        fprintf(stderr, "Error: %s\n", err);
        return false;
    }
    if (strcmp(chain, chain2) != 0 && !config_set_section(c->cfg, chain2))
        return false;
    enum network net;
    if (!params_network_from_name(chain2, &net))
        net = NET_CUSTOM;
    const char *subdir = params_network_subdir(net);
    c->net_datadir = *subdir ? fs_path_join(c->datadir, subdir) : strdup(c->datadir);

    int64_t port, timeout;
    if (!config_get_int(c->cfg, "rpcport", params_default_rpc_port(net), 1, 65535, &port, err,
                        sizeof err) ||
        !config_get_int(c->cfg, "rpcclienttimeout", DEFAULT_CLIENT_TIMEOUT, 0, 1 << 30, &timeout,
                        err, sizeof err)) {
        fprintf(stderr, "Error: %s\n", err);
        return false;
    }
    /* -rpcconnect may carry a port; an explicit -rpcport wins. */
    const char *connect = config_get(c->cfg, "rpcconnect", DEFAULT_HOST);
    snprintf(c->host, sizeof c->host, "%s", connect);
    char *colon = strrchr(c->host, ':');
    bool bracketed = c->host[0] == '[';
    if (colon && (bracketed ? colon > strchr(c->host, ']') : strchr(c->host, ':') == colon)) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end != '\0' || p < 1 || p > 65535) {
            fprintf(stderr, "Error: Invalid port provided in -rpcconnect: %s\n", connect);
            return false;
        }
        *colon = '\0';
        if (!config_is_set(c->cfg, "rpcport"))
            port = p;
    }
    if (bracketed) {
        char *close = strchr(c->host, ']');
        if (close)
            *close = '\0';
        memmove(c->host, c->host + 1, strlen(c->host));
    }
    const char *cookie = config_get(c->cfg, "rpccookiefile", COOKIE_NAME);
    c->cookie = c->net_datadir ? fs_path_join(c->net_datadir, cookie) : NULL;
    if (!c->net_datadir || !c->cookie) {
        fprintf(stderr, "error: out of memory\n");
        return false;
    }
    c->opts = (struct rpc_client_options){
        .host = c->host,
        .port = (uint16_t)port,
        .user = config_get(c->cfg, "rpcuser", NULL),
        .password = config_get(c->cfg, "rpcpassword", NULL),
        .cookie_file = c->cookie,
        .wallet = config_get(c->cfg, "rpcwallet", NULL),
        .timeout = (int)timeout,
    };
    return true;
}

/* Runs the call, retrying with -rpcwait; prints the outcome. */
static int run(struct cli *c, const char *method, json_t *params)
{
    bool wait = config_get_bool(c->cfg, "rpcwait", false);
    int64_t wait_timeout = 0;
    char err[512];
    if (!config_get_int(c->cfg, "rpcwaittimeout", 0, 0, INT64_MAX / 2, &wait_timeout, err,
                        sizeof err)) {
        fprintf(stderr, "Error: %s\n", err);
        return 1;
    }
    time_t deadline = time(NULL) + (time_t)wait_timeout;
    for (;;) {
        struct rpc_reply r;
        err[0] = '\0';
        enum rpc_client_status st = rpc_client_call(&c->opts, method, params, &r, err, sizeof err);
        char transient[700] = "";
        if (st == RPC_CLIENT_CONNECT_FAILED) {
            snprintf(transient, sizeof transient,
                     "Could not connect to the server %s:%u\n\nMake sure the fmld server is "
                     "running and that you are connecting to the correct RPC port.",
                     c->host, c->opts.port);
        } else if (st == RPC_CLIENT_NO_CREDENTIALS) {
            snprintf(transient, sizeof transient,
                     "Could not locate RPC credentials. No authentication cookie could be found, "
                     "and RPC password is not set.  See -rpcpassword.  Cookie file: (%s)",
                     c->cookie);
        } else if (st == RPC_CLIENT_OK && r.is_error && r.code == RPC_IN_WARMUP) {
            snprintf(transient, sizeof transient, "%s", r.message ? r.message : "warming up");
        }
        if (transient[0]) {
            bool more = wait && (wait_timeout == 0 || time(NULL) < deadline);
            if (st == RPC_CLIENT_OK && !more) {
                int rc = print_error(&r);
                rpc_reply_free(&r);
                return rc;
            }
            rpc_reply_free(&r);
            if (!more) {
                fprintf(stderr, "error: %s%s\n", wait ? "timeout on transient error: " : "",
                        transient);
                return 1;
            }
            sleep(1);
            continue;
        }
        int rc = 1;
        if (st != RPC_CLIENT_OK) {
            fprintf(stderr, "error: %s\n", err[0] ? err : "no response from server");
        } else if (r.http.status == 401) {
            fprintf(stderr, "error: Authorization failed: Incorrect rpcuser or rpcpassword\n");
        } else if (r.http.status == 503) {
            fprintf(stderr, "error: Server response: %s\n", r.http.body);
        } else if (r.http.status >= 400 && r.http.status != 400 && r.http.status != 404 &&
                   r.http.status != 500) {
            fprintf(stderr, "error: server returned HTTP error %d\n", r.http.status);
        } else if (r.http.status != 200 && r.http.status != 400 && r.http.status != 404 &&
                   r.http.status != 500) {
            fprintf(stderr, "error: unexpected HTTP status %d\n", r.http.status);
        } else if (r.is_error) {
            rc = print_error(&r);
        } else {
            rc = print_result(&r);
        }
        rpc_reply_free(&r);
        return rc;
    }
}

/* With -rpcwait: waits until the server answers (not warming up); true
 * at once without it.  False after printing an error. */
static bool wait_for_server(struct cli *c)
{
    if (!config_get_bool(c->cfg, "rpcwait", false))
        return true;
    int64_t wait_timeout = 0;
    char err[512];
    if (!config_get_int(c->cfg, "rpcwaittimeout", 0, 0, INT64_MAX / 2, &wait_timeout, err,
                        sizeof err)) {
        fprintf(stderr, "Error: %s\n", err);
        return false;
    }
    time_t deadline = time(NULL) + (time_t)wait_timeout;
    for (;;) {
        struct rpc_reply r;
        err[0] = '\0';
        enum rpc_client_status st = rpc_client_call(&c->opts, "uptime", NULL, &r, err, sizeof err);
        bool transient = st == RPC_CLIENT_CONNECT_FAILED || st == RPC_CLIENT_NO_CREDENTIALS ||
                         (st == RPC_CLIENT_OK && r.is_error && r.code == RPC_IN_WARMUP);
        rpc_reply_free(&r);
        if (!transient)
            return true;
        if (wait_timeout != 0 && time(NULL) >= deadline) {
            fprintf(stderr, "error: timeout on transient error: the server did not answer\n");
            return false;
        }
        sleep(1);
    }
}

/* ---- launch commands: no node, no configuration ---- */

static char *read_input(const char *path, size_t max, size_t *len)
{
    char *text;
    if (!fs_read_file(path, max, &text, len)) {
        fprintf(stderr, "error: %s: %s\n", path, errno == EFBIG ? "too large" : strerror(errno));
        return NULL;
    }
    return text;
}

static int cmd_genvalidatorkey(int n, char **args)
{
    uint64_t stake, commission = 1000, length = VALIDATOR_KEY_ONION_DEFAULT;
    char *end;
    if (n < 2 || n > 4) {
        fprintf(stderr, "error: usage: fml-cli genvalidatorkey <keyfile> <stake> "
                        "[commission_bps=1000] [onion_length=%d]\n", VALIDATOR_KEY_ONION_DEFAULT);
        return 1;
    }
    if (!genesisfile_amount(args[1], &stake) || stake == 0) {
        fprintf(stderr, "error: stake must be a positive amount of FML (got %s)\n", args[1]);
        return 1;
    }
    if (n > 2) {
        commission = strtoull(args[2], &end, 10);
        if (!*args[2] || *end || commission > 10000) {
            fprintf(stderr, "error: commission_bps must be 0..10000 (got %s)\n", args[2]);
            return 1;
        }
    }
    if (n > 3) {
        length = strtoull(args[3], &end, 10);
        if (!*args[3] || *end || length == 0 || length > VALIDATOR_KEY_ONION_MAX) {
            fprintf(stderr, "error: onion_length must be 1..%d (got %s)\n",
                    VALIDATOR_KEY_ONION_MAX, args[3]);
            return 1;
        }
    }
    struct validator_keyfile k;
    char err[512];
    if (access(args[0], F_OK) == 0) {
        fprintf(stderr, "error: %s already exists: a key file is never overwritten\n", args[0]);
        return 1;
    }
    if (!validatorkey_generate(&k, length)) {
        fprintf(stderr, "error: cannot make a key\n");
        return 1;
    }
    char *fragment = validatorkey_fragment(&k, stake, (uint16_t)commission);
    bool ok = fragment && validatorkey_write(args[0], &k, err, sizeof err);
    validatorkey_clear(&k);
    if (!ok) {
        fprintf(stderr, "error: %s\n", fragment ? err : "out of memory");
        free(fragment);
        return 1;
    }
    fputs(fragment, stdout);
    free(fragment);
    return 0;
}

static int cmd_creategenesis(int n, char **args)
{
    if (n < 2) {
        fprintf(stderr, "error: usage: fml-cli creategenesis <base.json> <fragment.json>...\n");
        return 1;
    }
    struct genesis_fragment *frags = calloc((size_t)n, sizeof(*frags));
    size_t base_len = 0;
    char *base = frags ? read_input(args[0], GENESIS_FILE_MAX, &base_len) : NULL;
    int rc = 1;
    int loaded = 0;
    if (base) {
        for (; loaded < n - 1; loaded++) {
            frags[loaded].name = args[loaded + 1];
            frags[loaded].text = read_input(args[loaded + 1], VALIDATOR_KEY_FILE_MAX,
                                            &frags[loaded].len);
            if (!frags[loaded].text)
                break;
        }
    }
    if (base && loaded == n - 1) {
        char err[600], *out;
        uint8_t hash[HASH_SIZE];
        if (genesisfile_create(base, base_len, frags, (size_t)loaded, &out, hash, err, sizeof err)) {
            fputs(out, stdout);
            free(out);
            rc = 0;
        } else {
            fprintf(stderr, "error: %s\n", err);
        }
    }
    for (int i = 0; frags && i < loaded; i++)
        free((char *)frags[i].text);
    free(frags);
    free(base);
    return rc;
}

static int cmd_checkgenesis(int n, char **args)
{
    if (n != 1) {
        fprintf(stderr, "error: usage: fml-cli checkgenesis <genesis.json>\n");
        return 1;
    }
    size_t len;
    char *text = read_input(args[0], GENESIS_FILE_MAX, &len);
    if (!text)
        return 1;
    struct chain_params p, builtin;
    char err[600];
    /* The file of the built-in test network (share/genesis/test.json) is read as it. */
    json_t *root = json_loadb(text, len, 0, NULL);
    const char *name = json_string_value(json_object_get(root, "name"));
    bool is_test = name && strcmp(name, "test") == 0;
    json_decref(root);
    bool ok = is_test ? genesisfile_parse_network(&p, NET_TEST, text, len, err, sizeof err)
                      : genesisfile_parse(&p, text, len, err, sizeof err);
    free(text);
    if (!ok) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    json_t *o = json_object(), *vs = json_array();
    char hex[2 * HASH_SIZE + 1], addr[ADDRESS_MAX_LEN], amount[32];
    uint64_t supply = 0;
    hash_to_hex(p.genesis_hash, hex);
    json_object_set_new(o, "name", json_string(p.name));
    json_object_set_new(o, "genesis_hash", json_string(hex));
    json_object_set_new(o, "genesis_time", json_integer((json_int_t)p.genesis_time));
    if (p.net != NET_CUSTOM) {
        bool init = params_init(&builtin, p.net);
        bool same = init && memcmp(builtin.genesis_hash, p.genesis_hash, HASH_SIZE) == 0;
        if (init)
            params_free(&builtin);
        json_object_set_new(o, "builtin", json_boolean(same));
    }
    for (size_t i = 0; i < p.n_validators; i++) {
        json_t *e = json_object();
        supply += p.validators[i].stake;
        address_encode(addr, p.hrp, p.validators[i].pubkey);
        hash_to_hex(p.validators[i].pubkey, hex);
        genesisfile_format_amount(p.validators[i].stake, amount);
        json_object_set_new(e, "address", json_string(addr));
        json_object_set_new(e, "pubkey", json_string(hex));
        json_object_set_new(e, "stake", json_string(amount));
        json_object_set_new(e, "commission_bps", json_integer(p.validators[i].commission_bps));
        json_array_append_new(vs, e);
    }
    for (size_t i = 0; i < p.n_allocs; i++)
        supply += p.allocs[i].amount;
    genesisfile_format_amount(supply, amount);
    json_object_set_new(o, "validators", vs);
    json_object_set_new(o, "allocations", json_integer((json_int_t)p.n_allocs));
    json_object_set_new(o, "supply", json_string(amount));
    char *dumped = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    params_free(&p);
    if (!dumped)
        return 1;
    printf("%s\n", dumped);
    free(dumped);
    return 0;
}

/* A launch command (argv[first] onwards), or -1 when argv[first] is none. */
static int launch_command(int argc, char **argv)
{
    int first = 1;
    while (first < argc && argv[first][0] == '-')
        first++;
    if (first >= argc)
        return -1;
    const char *cmd = argv[first];
    int n = argc - first - 1;
    char **args = argv + first + 1;
    if (strcmp(cmd, "genvalidatorkey") != 0 && strcmp(cmd, "creategenesis") != 0 &&
        strcmp(cmd, "checkgenesis") != 0)
        return -1;
    if (sodium_init() < 0) {
        fprintf(stderr, "error: libsodium cannot start\n");
        return 1;
    }
    if (strcmp(cmd, "genvalidatorkey") == 0)
        return cmd_genvalidatorkey(n, args);
    if (strcmp(cmd, "creategenesis") == 0)
        return cmd_creategenesis(n, args);
    return cmd_checkgenesis(n, args);
}

static void cli_free(struct cli *c)
{
    config_free(c->cfg);
    free(c->datadir);
    free(c->net_datadir);
    free(c->cookie);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i][1] == '-' ? argv[i] + 2 : argv[i] + 1;
        if (strcmp(a, "?") == 0 || strcmp(a, "h") == 0 || strcmp(a, "help") == 0) {
            print_usage();
            return 0;
        }
        if (strcmp(a, "version") == 0) {
            printf("fml-cli version %s\n", PACKAGE_VERSION);
            return 0;
        }
    }
    int launch_rc = launch_command(argc, argv);
    if (launch_rc >= 0)
        return launch_rc;
    struct cli c = {0};
    int first = argc;
    if (!setup(&c, argc, argv, &first)) {
        cli_free(&c);
        return 1;
    }
    char **args = NULL;
    size_t n = 0;
    for (int i = first; i < argc; i++) {
        char **grown = realloc(args, (n + 1) * sizeof(*args));
        if (!grown || !(grown[n] = strdup(argv[i]))) {
            free(grown ? grown : args);
            fprintf(stderr, "error: out of memory\n");
            cli_free(&c);
            return 1;
        }
        args = grown;
        n++;
    }
    int rc = 1;
    if (config_is_set(c.cfg, "getinfo")) {
        bool json_out = n == 1 && (strcmp(args[0], "1") == 0 || strcmp(args[0], "true") == 0);
        if (n > 1 || (n == 1 && !json_out))
            fprintf(stderr, "error: -getinfo takes no arguments (\"1\" or \"true\": print "
                            "JSON)\n");
        else if (wait_for_server(&c))
            rc = cli_getinfo(&c.opts, json_out);
    } else if (config_get_bool(c.cfg, "stdin", false) && !read_stdin_args(&args, &n)) {
        fprintf(stderr, "error: cannot read arguments from stdin\n");
    } else if (n == 0) {
        fprintf(stderr, "error: too few parameters (need at least command)\n");
    } else {
        json_t *params = build_params(args[0], args + 1, n - 1, config_get_bool(c.cfg, "named", false));
        if (params) {
            rc = run(&c, args[0], params);
            json_decref(params);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(args[i]);
    free(args);
    cli_free(&c);
    return rc;
}
