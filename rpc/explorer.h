/* The built-in block explorer (-explorer=1): static HTML, CSS and
 * JavaScript served at /explorer/ on the RPC port.
 *
 * The files of explorer/ are embedded in the binary at build time
 * (scripts/embed_files.py writes rpc/explorer_files.c), so a node serves
 * them without any installed file.  The pages read the chain through REST
 * (rpc/rest.h) from the browser; this module only hands out the fixed files
 * and never reaches the node's state.  No credentials, GET only, as REST.
 */
#ifndef FML_RPC_EXPLORER_H
#define FML_RPC_EXPLORER_H

#include <stdbool.h>
#include <stddef.h>

#define EXPLORER_PREFIX "/explorer/"
/* Longest path looked at (longer: 400). */
#define EXPLORER_MAX_PATH 128

/* One embedded file (rpc/explorer_files.c, generated). */
struct explorer_file {
    const char *name;         /* "index.html", "explorer.js", ... */
    const char *content_type; /* "text/html; charset=utf-8", ... */
    const unsigned char *data;
    size_t len;
};

extern const struct explorer_file explorer_files[];
extern const size_t explorer_n_files;

/* The headers every explorer answer carries besides Content-Type. */
#define EXPLORER_CSP                                                                            \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "              \
    "frame-ancestors 'none'"
#define EXPLORER_CACHE_CONTROL "no-cache"

struct explorer_reply {
    int status;               /* 200, 301, 400, 404 */
    const char *content_type; /* static string */
    const unsigned char *body; /* static: an embedded file or a message */
    size_t len;
    const char *location;     /* for 301: where to */
};

/* True for "/explorer" and every path under "/explorer/". */
bool explorer_is_path(const char *path);

/* Answers a GET of path (as sent, not URI-decoded) with the query string
 * query (NULL when the URI has none).  "/explorer" redirects to
 * "/explorer/", which is index.html; "/explorer/<name>" is the embedded file
 * <name>.  A query, a '%'-escape, a character outside A-Z a-z 0-9 . _ -, a
 * further '/', a name starting with '.' or a path over EXPLORER_MAX_PATH:
 * 400.  Any other name: 404.  Never reads anything but the table. */
void explorer_handle(const char *path, const char *query, struct explorer_reply *out);

#endif
