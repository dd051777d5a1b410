/* Network methods (see net.h).  Handlers run with the node lock held and
 * only call the p2p.h functions made for them. */
#include "rpc/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "p2p/p2p.h"
#include "state/mempool.h"
#include "util/time.h"

#define P2P_DISABLED "Error: Peer-to-peer functionality missing or disabled"

static struct p2p *p2p_of(struct rpc_call *call)
{
    struct p2p *p = rpc_env(call)->p2p;
    if (!p)
        rpc_error(call, RPC_CLIENT_P2P_DISABLED, P2P_DISABLED);
    return p;
}

static json_t *services_hex(uint64_t services)
{
    char buf[17];
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)services);
    return json_string(buf);
}

static json_t *services_names(uint64_t services)
{
    json_t *a = json_array();
    if (services & P2P_SERVICE_NETWORK)
        json_array_append_new(a, json_string("NETWORK"));
    return a;
}

static json_t *per_msg(const uint64_t *bytes)
{
    json_t *o = json_object();
    for (int t = 0; t < P2P_MSG_COUNT; t++)
        if (bytes[t])
            json_object_set_new(o, p2p_msg_command((enum p2p_msg_type)t),
                                json_integer((json_int_t)bytes[t]));
    if (bytes[P2P_MSG_COUNT])
        json_object_set_new(o, "*other*", json_integer((json_int_t)bytes[P2P_MSG_COUNT]));
    return o;
}

static json_t *peer_json(const struct p2p_peer_stats *s)
{
    json_t *o = json_object(), *inflight = json_array();
    json_object_set_new(o, "id", json_integer(s->id));
    json_object_set_new(o, "addr", json_string(s->addr));
    json_object_set_new(o, "addrbind", json_string(s->addrbind));
    if (s->addrlocal[0])
        json_object_set_new(o, "addrlocal", json_string(s->addrlocal));
    json_object_set_new(o, "network", json_string(s->ipv4 ? "ipv4" : "ipv6"));
    json_object_set_new(o, "services", services_hex(s->services));
    json_object_set_new(o, "servicesnames", services_names(s->services));
    json_object_set_new(o, "relaytxes", json_true());
    json_object_set_new(o, "lastsend", json_integer((json_int_t)s->lastsend));
    json_object_set_new(o, "lastrecv", json_integer((json_int_t)s->lastrecv));
    json_object_set_new(o, "last_transaction", json_integer((json_int_t)s->last_transaction));
    json_object_set_new(o, "last_block", json_integer((json_int_t)s->last_block));
    json_object_set_new(o, "bytessent", json_integer((json_int_t)s->bytessent));
    json_object_set_new(o, "bytesrecv", json_integer((json_int_t)s->bytesrecv));
    json_object_set_new(o, "conntime", json_integer((json_int_t)s->conntime));
    json_object_set_new(o, "timeoffset", json_integer(s->timeoffset));
    if (s->has_ping) {
        json_object_set_new(o, "pingtime", json_real(s->pingtime));
        json_object_set_new(o, "minping", json_real(s->minping));
    }
    if (s->ping_waiting)
        json_object_set_new(o, "pingwait", json_real(s->pingwait));
    json_object_set_new(o, "version", json_integer(s->version));
    json_object_set_new(o, "subver", json_string(s->subver));
    json_object_set_new(o, "inbound", json_boolean(s->inbound));
    json_object_set_new(o, "startingheight", json_integer((json_int_t)s->startingheight));
    json_object_set_new(o, "synced_headers", json_integer(s->synced_headers));
    json_object_set_new(o, "synced_blocks", json_integer(s->synced_blocks));
    for (size_t i = 0; i < s->n_inflight; i++)
        json_array_append_new(inflight, json_integer((json_int_t)s->inflight[i]));
    json_object_set_new(o, "inflight", inflight);
    json_object_set_new(o, "addr_relay_enabled", json_true());
    json_object_set_new(o, "addr_processed", json_integer((json_int_t)s->addr_processed));
    json_object_set_new(o, "addr_rate_limited", json_integer((json_int_t)s->addr_rate_limited));
    json_object_set_new(o, "permissions", json_array());
    json_object_set_new(o, "bytessent_per_msg", per_msg(s->bytessent_per_msg));
    json_object_set_new(o, "bytesrecv_per_msg", per_msg(s->bytesrecv_per_msg));
    json_object_set_new(o, "connection_type", json_string(s->connection_type));
    json_object_set_new(o, "banscore", json_integer(s->banscore));
    json_object_set_new(o, "transport_protocol_type", json_string(s->transport_protocol_type));
    json_object_set_new(o, "session_id", json_string(s->session_id));
    json_object_set_new(o, "peerkey_verified", json_boolean(s->peerkey_verified));
    json_object_set_new(o, "peerkey", json_string(s->peerkey));
    return o;
}

static json_t *getpeerinfo(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    struct p2p_peer_stats *v;
    size_t n;
    if (!p)
        return NULL;
    if (!p2p_get_peer_stats(p, &v, &n))
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, peer_json(&v[i]));
    free(v);
    return a;
}

/* PACKAGE_VERSION "a.b.c" as bitcoind's integer a*10000 + b*100 + c. */
static json_int_t client_version(void)
{
    unsigned a = 0, b = 0, c = 0;
    if (sscanf(PACKAGE_VERSION, "%u.%u.%u", &a, &b, &c) < 1)
        return 0;
    return (json_int_t)a * 10000 + (json_int_t)b * 100 + c;
}

static json_t *network_json(const char *name)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "limited", json_false());
    json_object_set_new(o, "reachable", json_true());
    json_object_set_new(o, "proxy", json_string(""));
    json_object_set_new(o, "proxy_randomize_credentials", json_false());
    return o;
}

static json_t *getnetworkinfo(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct p2p_net_stats st;
    char subver[64];
    json_t *o = json_object(), *nets = json_array();

    memset(&st, 0, sizeof(st));
    if (env->p2p)
        p2p_get_net_stats(env->p2p, &st);
    snprintf(subver, sizeof(subver), "/fmld:%s/", PACKAGE_VERSION);
    json_object_set_new(o, "version", json_integer(client_version()));
    json_object_set_new(o, "subversion", json_string(st.user_agent ? st.user_agent : subver));
    json_object_set_new(o, "protocolversion", json_integer(P2P_PROTOCOL_VERSION));
    json_object_set_new(o, "localservices", services_hex(P2P_SERVICE_NETWORK));
    json_object_set_new(o, "localservicesnames", services_names(P2P_SERVICE_NETWORK));
    json_object_set_new(o, "localrelay", json_true());
    json_object_set_new(o, "timeoffset", json_integer((json_int_t)st.timeoffset));
    json_object_set_new(o, "networkactive", json_boolean(env->p2p != NULL));
    json_object_set_new(o, "connections",
                        json_integer((json_int_t)(st.connections_in + st.connections_out)));
    json_object_set_new(o, "connections_in", json_integer((json_int_t)st.connections_in));
    json_object_set_new(o, "connections_out", json_integer((json_int_t)st.connections_out));
    json_array_append_new(nets, network_json("ipv4"));
    json_array_append_new(nets, network_json("ipv6"));
    json_object_set_new(o, "networks", nets);
    json_object_set_new(o, "relayfee",
                        json_amount(env->mempool ? mempool_min_fee_rate(env->mempool)
                                                 : MEMPOOL_DEFAULT_MIN_FEE_RATE));
    json_object_set_new(o, "incrementalfee", json_amount(MEMPOOL_INCREMENTAL_FEE_RATE));
    json_t *local = json_array();
    for (size_t i = 0; i < st.n_local; i++) {
        json_t *a = json_object();
        json_object_set_new(a, "address", json_string(st.local[i].address));
        json_object_set_new(a, "port", json_integer(st.local[i].port));
        json_object_set_new(a, "score", json_integer(st.local[i].score));
        json_array_append_new(local, a);
    }
    json_object_set_new(o, "localaddresses", local);
    json_object_set_new(o, "nodekey", json_string(st.nodekey));
    json_object_set_new(o, "warnings", json_string(""));
    return o;
}

static json_t *getconnectioncount(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    struct p2p_net_stats st;
    if (!p)
        return NULL;
    p2p_get_net_stats(p, &st);
    return json_integer((json_int_t)(st.connections_in + st.connections_out));
}

static json_t *addnode(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    const char *node = rpc_str(call, 0, "");
    const char *command = rpc_str(call, 1, "");
    enum p2p_addnode_cmd cmd;
    if (!p)
        return NULL;
    if (strcmp(command, "add") == 0)
        cmd = P2P_ADDNODE_ADD;
    else if (strcmp(command, "remove") == 0)
        cmd = P2P_ADDNODE_REMOVE;
    else if (strcmp(command, "onetry") == 0)
        cmd = P2P_ADDNODE_ONETRY;
    else
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Error: command must be one of \"add\", \"remove\", \"onetry\"");
    switch (p2p_addnode(p, node, cmd)) {
    case P2P_ADDNODE_OK:
        return json_null();
    case P2P_ADDNODE_BAD_ADDRESS:
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Error: Invalid node address (expected ip, ip:port or [ipv6]:port): %s",
                         node);
    case P2P_ADDNODE_ALREADY_ADDED:
        return rpc_error(call, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: Node already added");
    case P2P_ADDNODE_NOT_ADDED:
        return rpc_error(call, RPC_CLIENT_NODE_NOT_ADDED,
                         "Error: Node could not be removed. It has not been added previously.");
    case P2P_ADDNODE_FULL:
        return rpc_error(call, RPC_MISC_ERROR, "Error: At most %d nodes can be added",
                         P2P_MAX_ADDNODE);
    }
    return rpc_error(call, RPC_INTERNAL_ERROR, "unexpected addnode result");
}

static json_t *disconnectnode(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    const char *address = rpc_str(call, 0, "");
    bool has_address = address[0] != '\0', has_id = rpc_has(call, 1);
    if (!p)
        return NULL;
    if (has_address == has_id)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Only one of address and nodeid should be provided.");
    bool found = has_address ? p2p_disconnect_address(p, address) > 0
                             : p2p_disconnect_id(p, rpc_int(call, 1, -1));
    if (!found)
        return rpc_error(call, RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes");
    return json_null();
}

static json_t *setban(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    const char *subnet = rpc_str(call, 0, "");
    const char *command = rpc_str(call, 1, "");
    struct p2p_subnet net;
    if (!p)
        return NULL;
    bool add = strcmp(command, "add") == 0;
    if (!add && strcmp(command, "remove") != 0)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Error: command must be \"add\" or \"remove\"");
    if (!p2p_subnet_parse(subnet, &net))
        return rpc_error(call, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet");
    if (!add) {
        if (!p2p_unban(p, &net))
            return rpc_error(call, RPC_CLIENT_INVALID_IP_OR_SUBNET,
                             "Error: Unban failed. Requested address/subnet was not previously "
                             "manually banned.");
        return json_null();
    }
    int64_t bantime = rpc_int(call, 2, 0);
    bool absolute = rpc_bool(call, 3, false);
    uint64_t now = time_now(), until;
    if (bantime < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Error: bantime must not be negative");
    if (absolute) {
        if ((uint64_t)bantime <= now)
            return rpc_error(call, RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past");
        until = (uint64_t)bantime;
    } else {
        uint64_t span = bantime ? (uint64_t)bantime : p2p_default_bantime(p);
        until = span > UINT64_MAX - now ? UINT64_MAX : now + span;
    }
    if (!p2p_ban(p, &net, until))
        return rpc_error(call, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned");
    return json_null();
}

static json_t *listbanned(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    struct p2p_ban_info *v;
    size_t n;
    uint64_t now = time_now();
    if (!p)
        return NULL;
    if (!p2p_list_banned(p, &v, &n))
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "address", json_string(v[i].subnet));
        json_object_set_new(o, "ban_created", json_integer((json_int_t)v[i].created));
        json_object_set_new(o, "banned_until", json_integer((json_int_t)v[i].until));
        json_object_set_new(o, "ban_duration",
                            json_integer((json_int_t)(v[i].until - v[i].created)));
        json_object_set_new(o, "time_remaining",
                            json_integer((json_int_t)(v[i].until > now ? v[i].until - now : 0)));
        json_array_append_new(a, o);
    }
    free(v);
    return a;
}

static json_t *clearbanned(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    if (!p)
        return NULL;
    p2p_clear_banned(p);
    return json_null();
}

static json_t *getnettotals(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    struct p2p_net_stats st;
    struct timespec ts;
    if (!p)
        return NULL;
    p2p_get_net_stats(p, &st);
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *o = json_object(), *target = json_object();
    json_object_set_new(o, "totalbytesrecv", json_integer((json_int_t)st.bytes_recv));
    json_object_set_new(o, "totalbytessent", json_integer((json_int_t)st.bytes_sent));
    json_object_set_new(o, "timemillis",
                        json_integer((json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
    json_object_set_new(target, "timeframe", json_integer(86400));
    json_object_set_new(target, "target", json_integer(0));
    json_object_set_new(target, "target_reached", json_false());
    json_object_set_new(target, "serve_historical_blocks", json_true());
    json_object_set_new(target, "bytes_left_in_cycle", json_integer(0));
    json_object_set_new(target, "time_left_in_cycle", json_integer(0));
    json_object_set_new(o, "uploadtarget", target);
    return o;
}

static json_t *ping(struct rpc_call *call)
{
    struct p2p *p = p2p_of(call);
    if (!p)
        return NULL;
    p2p_ping_all(p);
    return json_null();
}

const struct rpc_method net_rpc_methods[] = {
    {
        .category = "Network",
        .name = "getpeerinfo",
        .handler = getpeerinfo,
        .summary = "Returns data about each connected network peer as a json array of objects.",
        .result =
            "[\n"
            "  {\n"
            "    \"id\": n,                   (numeric) Peer index\n"
            "    \"addr\": \"str\",             (string) (host:port) The IP address and port of the peer\n"
            "    \"addrbind\": \"str\",         (string) (ip:port) Bind address of the connection to the peer\n"
            "    \"addrlocal\": \"str\",        (string, optional) (ip:port) Local address as reported by the peer\n"
            "    \"network\": \"str\",          (string) Network (ipv4, ipv6)\n"
            "    \"services\": \"hex\",         (string) The services offered\n"
            "    \"servicesnames\": [\"str\"],  (json array) The services offered, in human-readable form\n"
            "    \"relaytxes\": true|false,   (boolean) Whether we relay transactions to this peer\n"
            "    \"lastsend\": xxx,           (numeric) The UNIX epoch time of the last send\n"
            "    \"lastrecv\": xxx,           (numeric) The UNIX epoch time of the last receive\n"
            "    \"last_transaction\": xxx,   (numeric) The UNIX epoch time of the last valid transaction received from this peer\n"
            "    \"last_block\": xxx,         (numeric) The UNIX epoch time of the last block received from this peer\n"
            "    \"bytessent\": n,            (numeric) The total bytes sent\n"
            "    \"bytesrecv\": n,            (numeric) The total bytes received\n"
            "    \"conntime\": xxx,           (numeric) The UNIX epoch time of the connection\n"
            "    \"timeoffset\": n,           (numeric) The peer's clock minus ours, in seconds: the\n"
            "                               timestamp of its version message less our time on receipt\n"
            "    \"pingtime\": n,             (numeric, optional) The last ping time in seconds, if any\n"
            "    \"minping\": n,              (numeric, optional) The minimum observed ping time in seconds, if any\n"
            "    \"pingwait\": n,             (numeric, optional) The duration in seconds of an outstanding ping (if non-zero)\n"
            "    \"version\": n,              (numeric) The peer protocol version\n"
            "    \"subver\": \"str\",           (string) The peer's user agent\n"
            "    \"inbound\": true|false,     (boolean) Inbound (true) or Outbound (false)\n"
            "    \"startingheight\": n,       (numeric) The starting height (block) of the peer\n"
            "    \"synced_headers\": n,       (numeric) The last header we have in common with this peer (-1 unknown)\n"
            "    \"synced_blocks\": n,        (numeric) The last block we have in common with this peer (-1 unknown)\n"
            "    \"inflight\": [n, ...],      (json array) The heights of blocks we are currently requesting from this peer\n"
            "    \"addr_relay_enabled\": true|false, (boolean) Whether we relay addresses to this peer\n"
            "    \"addr_processed\": n,       (numeric) The total number of addresses processed, excluding those dropped due to rate limiting\n"
            "    \"addr_rate_limited\": n,    (numeric) The total number of addresses dropped due to rate limiting\n"
            "    \"permissions\": [],         (json array) Any special permissions that have been granted to this peer (none)\n"
            "    \"bytessent_per_msg\": {     (json object)\n"
            "      \"msg\": n,                (numeric) The total bytes sent aggregated by message type\n"
            "      ...\n"
            "    },\n"
            "    \"bytesrecv_per_msg\": {     (json object)\n"
            "      \"msg\": n,                (numeric) The total bytes received aggregated by message type;\n"
            "      ...                        unknown commands are counted under \"*other*\"\n"
            "    },\n"
            "    \"connection_type\": \"str\",  (string) inbound, outbound-full-relay or manual\n"
            "    \"banscore\": n,             (numeric) Misbehaviour points so far (banned at 100)\n"
            "    \"transport_protocol_type\": \"str\", (string) v2 (encrypted) or v1 (plaintext, -v2transport=0);\n"
            "                               detecting: an inbound connection whose first bytes are not in yet\n"
            "    \"session_id\": \"hex\",        (string) the v2 session id (both ends show the same), \"\" for v1\n"
            "    \"peerkey_verified\": true|false, (boolean) the peer proved the node key -peerkey pins for it\n"
            "    \"peerkey\": \"hex\"            (string) the node key the peer proved in the v2 handshake, \"\" none\n"
            "  },\n"
            "  ...\n"
            "]",
        .examples = "> fml-cli getpeerinfo\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"getpeerinfo\", \"params\": []}' -H "
                    "'content-type: application/json' http://127.0.0.1:8732/",
    },
    {
        .category = "Network",
        .name = "getnetworkinfo",
        .handler = getnetworkinfo,
        .summary = "Returns an object containing various state info regarding P2P networking.",
        .result =
            "{\n"
            "  \"version\": n,                (numeric) the server version\n"
            "  \"subversion\": \"str\",         (string) the server subversion string\n"
            "  \"protocolversion\": n,        (numeric) the protocol version\n"
            "  \"localservices\": \"hex\",      (string) the services we offer to the network\n"
            "  \"localservicesnames\": [\"str\"], (json array) the services we offer, in human-readable form\n"
            "  \"localrelay\": true|false,    (boolean) true if transaction relay is requested from peers\n"
            "  \"timeoffset\": n,             (numeric) the median of the clock offsets (peer's version\n"
            "                               timestamp less our time, seconds) of the last 50 outbound\n"
            "                               peers; 0 before any (inbound peers are not counted, nor\n"
            "                               offsets beyond 70 minutes either way, which are logged with\n"
            "                               a warning to check the clock when they are the majority)\n"
            "  \"networkactive\": true|false, (boolean) whether p2p networking is enabled\n"
            "  \"connections\": n,            (numeric) the total number of connections\n"
            "  \"connections_in\": n,         (numeric) the number of inbound connections\n"
            "  \"connections_out\": n,        (numeric) the number of outbound connections\n"
            "  \"networks\": [                (json array) information per network\n"
            "    {\n"
            "      \"name\": \"str\",           (string) network (ipv4, ipv6)\n"
            "      \"limited\": true|false,   (boolean) is the network limited using -onlynet?\n"
            "      \"reachable\": true|false, (boolean) is the network reachable?\n"
            "      \"proxy\": \"str\",          (string) (\"host:port\") the proxy that is used for this network, or empty if none\n"
            "      \"proxy_randomize_credentials\": true|false (boolean) whether randomized credentials are used\n"
            "    },\n"
            "    ...\n"
            "  ],\n"
            "  \"relayfee\": n,               (numeric) minimum relay fee rate for transactions in FML/kB\n"
            "  \"incrementalfee\": n,         (numeric) minimum fee rate increment for mempool limiting or replacement in FML/kB\n"
            "  \"localaddresses\": [          (json array) addresses peers can reach us at (at most 16):\n"
            "                               each IP we listen on that is not a wildcard (score 2), and\n"
            "                               our IP as the versions of outbound peers of two network\n"
            "                               groups (IPv4 /16, IPv6 /32) showed it (score 2);\n"
            "                               every peer's version showing us at one adds 1 to its score;\n"
            "                               empty when not listening\n"
            "    {\n"
            "      \"address\": \"str\",        (string) network address\n"
            "      \"port\": n,               (numeric) network port (where we listen)\n"
            "      \"score\": n               (numeric) relative score\n"
            "    },\n"
            "    ...\n"
            "  ],\n"
            "  \"nodekey\": \"hex\",            (string) this node's public node key (datadir/nodekey), which\n"
            "                               peers pin with -peerkey=<nodekey>@<ip:port>; \"\" without P2P\n"
            "  \"warnings\": \"str\"            (string) any network and blockchain warnings\n"
            "}",
        .examples = "> fml-cli getnetworkinfo",
    },
    {
        .category = "Network",
        .name = "getconnectioncount",
        .handler = getconnectioncount,
        .summary = "Returns the number of connections to other nodes.",
        .result = "n    (numeric) The connection count",
        .examples = "> fml-cli getconnectioncount",
    },
    {
        .category = "Network",
        .name = "addnode",
        .handler = addnode,
        .summary = "Attempts to add or remove a node from the addnode list.\n"
                   "Or try a connection to a node once.\n"
                   "A node on the list is kept connected: it is reconnected (with a backoff of "
                   "up to 30 s) whenever the connection drops.\nRemoving a node does not "
                   "disconnect it.  Added nodes do not take outbound slots, but they are "
                   "banned like any peer if they misbehave.\n"
                   "Addresses are numeric (no name resolution); the default port of the "
                   "network applies when none is given.\n"
                   "At most 8 nodes can be added.",
        .args = {{"node", RPC_STR, true, NULL,
                  "The address of the peer to connect to (ip, ip:port, [ipv6]:port)"},
                 {"command", RPC_STR, true, NULL,
                  "'add' to add a node to the list, 'remove' to remove a node from the list, "
                  "'onetry' to try a connection to the node once"}},
        .result = "null    (json null)",
        .examples = "> fml-cli addnode \"192.168.0.6:28733\" \"onetry\"\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"addnode\", \"params\": [\"192.168.0.6:28733\", "
                    "\"onetry\"]}' -H 'content-type: application/json' http://127.0.0.1:8732/",
    },
    {
        .category = "Network",
        .name = "disconnectnode",
        .handler = disconnectnode,
        .summary = "Immediately disconnects from the specified peer node.\n\n"
                   "Strictly one out of 'address' and 'nodeid' can be provided to identify the "
                   "node.\n\nTo disconnect by nodeid, either set 'address' to the empty string, "
                   "or call using the named 'nodeid' argument only.\n"
                   "An address without a port disconnects every peer at that IP address.",
        .args = {{"address", RPC_STR, false, "fallback to nodeid",
                  "The IP address/port of the node"},
                 {"nodeid", RPC_INT, false, "fallback to address",
                  "The node ID (see getpeerinfo for node IDs)"}},
        .result = "null    (json null)",
        .examples = "> fml-cli disconnectnode \"192.168.0.6:28733\"\n"
                    "> fml-cli disconnectnode \"\" 1\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"disconnectnode\", \"params\": [\"\", 1]}' -H "
                    "'content-type: application/json' http://127.0.0.1:8732/",
    },
    {
        .category = "Network",
        .name = "setban",
        .handler = setban,
        .summary = "Attempts to add or remove an IP/Subnet from the banned list.\n"
                   "Banned addresses can neither connect to us nor be connected to; adding a "
                   "ban disconnects the peers it covers.",
        .args = {{"subnet", RPC_STR, true, NULL,
                  "The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask "
                  "(default is /32 = single IP)"},
                 {"command", RPC_STR, true, NULL,
                  "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from "
                  "the list"},
                 {"bantime", RPC_INT, false, "0",
                  "time in seconds how long (or until when if [absolute] is set) the IP is "
                  "banned (0 or empty means using the default time of 24h which can also be "
                  "overwritten by the -bantime startup argument)"},
                 {"absolute", RPC_BOOL, false, "false",
                  "If set, the bantime must be an absolute timestamp expressed in UNIX epoch "
                  "time"}},
        .result = "null    (json null)",
        .examples = "> fml-cli setban \"192.168.0.6\" \"add\" 86400\n"
                    "> fml-cli setban \"192.168.0.0/24\" \"add\"\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"setban\", \"params\": [\"192.168.0.6\", \"add\", "
                    "86400]}' -H 'content-type: application/json' http://127.0.0.1:8732/",
    },
    {
        .category = "Network",
        .name = "listbanned",
        .handler = listbanned,
        .summary = "List all manually and automatically banned IPs/Subnets.",
        .result = "[\n"
                  "  {\n"
                  "    \"address\": \"str\",        (string) The IP/Subnet of the banned node\n"
                  "    \"ban_created\": xxx,      (numeric) The UNIX epoch time the ban was created\n"
                  "    \"banned_until\": xxx,     (numeric) The UNIX epoch time the ban expires\n"
                  "    \"ban_duration\": xxx,     (numeric) The ban duration, in seconds\n"
                  "    \"time_remaining\": xxx    (numeric) The time remaining until the ban expires, in seconds\n"
                  "  },\n"
                  "  ...\n"
                  "]",
        .examples = "> fml-cli listbanned",
    },
    {
        .category = "Network",
        .name = "clearbanned",
        .handler = clearbanned,
        .summary = "Clear all banned IPs.",
        .result = "null    (json null)",
        .examples = "> fml-cli clearbanned",
    },
    {
        .category = "Network",
        .name = "getnettotals",
        .handler = getnettotals,
        .summary = "Returns information about network traffic, including bytes in, bytes out,\n"
                   "and current time.",
        .result = "{\n"
                  "  \"totalbytesrecv\": n,   (numeric) Total bytes received\n"
                  "  \"totalbytessent\": n,   (numeric) Total bytes sent\n"
                  "  \"timemillis\": xxx,     (numeric) Current UNIX epoch time in milliseconds\n"
                  "  \"uploadtarget\": {      (json object) (no upload target is enforced)\n"
                  "    \"timeframe\": n,             (numeric) Length of the measuring timeframe in seconds\n"
                  "    \"target\": n,                (numeric) Target in bytes (0: none)\n"
                  "    \"target_reached\": true|false, (boolean) True if target is reached\n"
                  "    \"serve_historical_blocks\": true|false, (boolean) True if serving historical blocks\n"
                  "    \"bytes_left_in_cycle\": n,   (numeric) Bytes left in current time cycle\n"
                  "    \"time_left_in_cycle\": n     (numeric) Seconds left in current time cycle\n"
                  "  }\n"
                  "}",
        .examples = "> fml-cli getnettotals",
    },
    {
        .category = "Network",
        .name = "ping",
        .handler = ping,
        .summary = "Requests that a ping be sent to all other nodes, to measure ping time.\n"
                   "Results provided in getpeerinfo, pingtime and pingwait fields are decimal "
                   "seconds.\nPing command is handled in queue with all other commands, so it "
                   "measures processing backlog, not just network ping.",
        .result = "null    (json null)",
        .examples = "> fml-cli ping",
    },
};

const size_t net_rpc_methods_count = sizeof(net_rpc_methods) / sizeof(net_rpc_methods[0]);
