/* fml-agent's connection to its operator's node: the options fml-cli reads
 * (data directory, config file, network, host, port, credentials, wallet)
 * and one call = one JSON-RPC request with a decoded result.
 *
 * Nothing here retries: the round loop decides what a failed call means.
 */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/params.h"
#include "util/config.h"
#include "util/fs.h"

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_TIMEOUT 120
#define COOKIE_NAME ".cookie"

/* -rpcconnect=HOST[:PORT] or [IPv6]:PORT into r->host; *port set when a
 * port is given and -rpcport is not. */
static bool parse_connect(struct agent_rpc *r, const struct config *cfg, int64_t *port,
                          char *err, size_t errlen)
{
    const char *connect = config_get(cfg, "rpcconnect", DEFAULT_HOST);
    snprintf(r->host, sizeof r->host, "%s", connect);
    char *colon = strrchr(r->host, ':');
    bool bracketed = r->host[0] == '[';
    if (colon && (bracketed ? colon > strchr(r->host, ']') : strchr(r->host, ':') == colon)) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end != '\0' || p < 1 || p > 65535) {
            snprintf(err, errlen, "Invalid port in -rpcconnect: %s", connect);
            return false;
        }
        *colon = '\0';
        if (!config_is_set(cfg, "rpcport"))
            *port = p;
    }
    if (bracketed) {
        char *close = strchr(r->host, ']');
        if (close)
            *close = '\0';
        memmove(r->host, r->host + 1, strlen(r->host));
    }
    if (r->host[0] == '\0') {
        snprintf(err, errlen, "Empty host in -rpcconnect");
        return false;
    }
    return true;
}

bool agent_rpc_setup(struct agent_rpc *r, struct config *cfg, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    const char *dd = config_get(cfg, "datadir", NULL);
    if (dd && !fs_is_dir(dd)) {
        snprintf(err, errlen, "The data directory \"%s\" does not exist (-datadir)", dd);
        return false;
    }
    r->datadir = dd ? strdup(dd) : fs_default_datadir();
    if (!r->datadir) {
        snprintf(err, errlen, "No data directory: set -datadir or HOME");
        return false;
    }
    char chain[64];
    if (!config_get_chain(cfg, chain, sizeof chain, err, errlen))
        return false;
    char *conf = config_conf_path(cfg, r->datadir);
    if (!conf) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    char ferr[512];
    bool ok = config_read_file(cfg, conf, chain, ferr, sizeof ferr);
    free(conf);
    if (!ok) {
        snprintf(err, errlen, "Error reading the configuration file: %s", ferr);
        return false;
    }
    /* The file may select the network itself (regtest=1). */
    char chain2[64];
    if (!config_get_chain(cfg, chain2, sizeof chain2, err, errlen))
        return false;
    if (strcmp(chain, chain2) != 0 && !config_set_section(cfg, chain2)) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    enum network net;
    if (!params_network_from_name(chain2, &net))
        net = NET_CUSTOM;
    const char *subdir = params_network_subdir(net);
    r->net_datadir = *subdir ? fs_path_join(r->datadir, subdir) : strdup(r->datadir);
    int64_t port, timeout;
    if (!config_get_int(cfg, "rpcport", params_default_rpc_port(net), 1, 65535, &port, err,
                        errlen) ||
        !config_get_int(cfg, "rpcclienttimeout", DEFAULT_TIMEOUT, 0, 1 << 30, &timeout, err,
                        errlen))
        return false;
    if (!parse_connect(r, cfg, &port, err, errlen))
        return false;
    const char *cookie = config_get(cfg, "rpccookiefile", COOKIE_NAME);
    r->cookie = r->net_datadir ? fs_path_join(r->net_datadir, cookie) : NULL;
    if (!r->net_datadir || !r->cookie) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    r->opts = (struct rpc_client_options){
        .host = r->host,
        .port = (uint16_t)port,
        .user = config_get(cfg, "rpcuser", NULL),
        .password = config_get(cfg, "rpcpassword", NULL),
        .cookie_file = r->cookie,
        .wallet = config_get(cfg, "rpcwallet", NULL),
        .timeout = (int)timeout,
    };
    return true;
}

void agent_rpc_free(struct agent_rpc *r)
{
    free(r->datadir);
    free(r->net_datadir);
    free(r->cookie);
    memset(r, 0, sizeof(*r));
}

enum agent_call_status agent_call(const struct agent_rpc *r, const char *method, json_t *params,
                                  json_t **result, int64_t *code, char *err, size_t errlen)
{
    struct rpc_reply reply;
    char cerr[512] = "";
    enum agent_call_status status = AGENT_CALL_UNREACHABLE;
    if (result)
        *result = NULL;
    if (code)
        *code = 0;
    if (!params)
        params = json_array();
    enum rpc_client_status st = rpc_client_call(&r->opts, method, params, &reply, cerr, sizeof cerr);
    json_decref(params);
    switch (st) {
    case RPC_CLIENT_OK:
        break;
    case RPC_CLIENT_NO_CREDENTIALS:
        snprintf(err, errlen,
                 "No RPC credentials: the cookie %s cannot be read and no -rpcpassword is set "
                 "(is -datadir the node's, and the network (-regtest) the node's?)",
                 r->cookie);
        return status;
    case RPC_CLIENT_CONNECT_FAILED:
        snprintf(err, errlen, "Cannot reach the node at %s:%u (is fmld running? check "
                 "-rpcconnect and -rpcport)", r->host, r->opts.port);
        return status;
    case RPC_CLIENT_IO_ERROR:
    case RPC_CLIENT_BAD_REPLY:
        snprintf(err, errlen, "%s: %s", method, cerr[0] ? cerr : "no reply from the node");
        return status;
    }
    if (reply.http.status == 401) {
        snprintf(err, errlen, "Authorization failed: wrong -rpcuser/-rpcpassword or cookie");
    } else if (reply.is_error) {
        status = AGENT_CALL_RPC_ERROR;
        if (code)
            *code = reply.code;
        snprintf(err, errlen, "%s: %s (code %lld)", method, reply.message ? reply.message : "error",
                 (long long)reply.code);
    } else if (reply.http.status != 200 || !reply.result) {
        snprintf(err, errlen, "%s: unexpected HTTP status %d", method, reply.http.status);
    } else {
        json_error_t jerr;
        json_t *v = json_loadb(reply.result, reply.result_len, JSON_DECODE_ANY, &jerr);
        if (!v) {
            snprintf(err, errlen, "%s: malformed result: %s", method, jerr.text);
        } else {
            status = AGENT_CALL_OK;
            if (result)
                *result = v;
            else
                json_decref(v);
        }
    }
    rpc_reply_free(&reply);
    return status;
}
