/* The read-only REST interface (-rest=1): GET /rest/... on the RPC port.
 *
 * Every path maps to one or more calls of an RPC method from the same table
 * the JSON-RPC server dispatches to (rpc_execute: the same handlers, the
 * same node lock, the same JSON), so a REST answer is the RPC answer.  No
 * authentication, as bitcoind's REST; the -rpcallowip/-rpcbind rules apply
 * as to JSON-RPC.  doc/rest.md lists the paths and formats.
 */
#ifndef FML_RPC_REST_H
#define FML_RPC_REST_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc/rpc.h"

#define REST_PREFIX "/rest/"
/* Bounds of <count> in /rest/headers/<count>/<hash>. */
#define REST_MAX_HEADERS 2000
/* /rest/mempool/contents.json lists the pool only up to this many
 * transactions (more: 413, see getrawmempool). */
#define REST_MAX_MEMPOOL 1000
/* Longest path accepted (longer: 400). */
#define REST_MAX_PATH 512

struct rest_reply {
    int status;               /* 200, 400, 404, 413, 500, 503 */
    const char *content_type; /* static string */
    char *body;               /* malloc'd; the caller frees it */
    size_t len;
};

/* True when path is under /rest/ (or is "/rest"). */
bool rest_is_path(const char *path);

/* Answers a GET of path (as sent, not URI-decoded), followed by "?query"
 * when the request had one (read only by /rest/address/; ignored elsewhere).  Always fills out: 200 with the answer, or 400 (malformed hash,
 * number or path), 404 (unknown path or format, or nothing found) or 500,
 * each error with a short text/plain body. */
void rest_handle(const struct rpc_table *t, struct rpc_env *env, const char *path,
                 struct rest_reply *out);

#endif
