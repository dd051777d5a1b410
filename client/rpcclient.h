/* A small blocking JSON-RPC client over HTTP/1.1 with Basic auth (a
 * user/password or the node's cookie file), for fml-cli and fml-agent.
 *
 * One connection per call (Connection: close); plain sockets with a
 * deadline, no event loop.  Replies are kept as raw text so numbers (exact
 * amounts) reach the caller exactly as the server wrote them; helpers find a
 * member's raw text and re-indent JSON without parsing numbers.
 */
#ifndef FML_CLIENT_RPCCLIENT_H
#define FML_CLIENT_RPCCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rpc_client_options {
    const char *host;        /* NULL: 127.0.0.1 */
    uint16_t port;
    const char *user;        /* used with a non-empty password */
    const char *password;
    const char *cookie_file; /* read at each call when no password is set */
    const char *wallet;      /* NULL: "/", else "/wallet/<url-encoded name>" */
    int timeout;             /* seconds for a whole call; 0: none */
};

enum rpc_client_status {
    RPC_CLIENT_OK,              /* an HTTP reply arrived (any status) */
    RPC_CLIENT_NO_CREDENTIALS,  /* no password and the cookie is unreadable */
    RPC_CLIENT_CONNECT_FAILED,  /* nothing listens, or the host is unknown */
    RPC_CLIENT_IO_ERROR,        /* broken connection, timeout, bad HTTP */
    RPC_CLIENT_BAD_REPLY,       /* a JSON status (200/400/404/500) without a JSON-RPC reply */
};

struct rpc_http_reply {
    int status;
    char *body; /* NUL-terminated */
    size_t len;
};

/* POSTs body to the path of o (see wallet above). */
enum rpc_client_status rpc_client_post(const struct rpc_client_options *o, const char *body,
                                       size_t len, struct rpc_http_reply *reply, char *err,
                                       size_t errlen);
void rpc_http_reply_free(struct rpc_http_reply *r);

struct rpc_reply {
    struct rpc_http_reply http;
    /* For HTTP 200/400/404/500: the raw text of "result" within http.body
     * (NULL when absent), and the error member when not null. */
    const char *result;
    size_t result_len;
    bool is_error;
    int64_t code;
    char *message;
};

/* Calls method with params (array or object, borrowed; NULL: []) as a
 * JSON-RPC 1.0-style request with id 1. */
enum rpc_client_status rpc_client_call(const struct rpc_client_options *o, const char *method,
                                       const json_t *params, struct rpc_reply *reply, char *err,
                                       size_t errlen);
void rpc_reply_free(struct rpc_reply *r);

/* The raw text of member key of the JSON object text; false when text is not
 * a valid JSON object or has no such member. */
bool rpc_raw_member(const char *text, size_t len, const char *key, const char **value,
                    size_t *value_len);
/* The raw text of element index of the JSON array text; false when text is
 * not a valid JSON array or is shorter. */
bool rpc_raw_element(const char *text, size_t len, size_t index, const char **value,
                     size_t *value_len);
/* Re-indents valid JSON text with indent spaces per level (bitcoind's
 * layout), copying strings and numbers verbatim.  NULL when not valid
 * JSON.  The caller frees it. */
char *rpc_raw_reindent(const char *text, size_t len, int indent);

#endif
