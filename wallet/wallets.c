/* The set of wallets a node has loaded: creating, loading and unloading
 * them by name under the wallet directory, finding the wallet that holds a
 * key, and the list of wallets to load at start.  Chain code is reached only
 * through the hooks wallets_attach (sync.c) installs, so this file works
 * without a chain (tools, tests). */
#include "util/fs.h"
#include "util/log.h"
#include "wallet/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STARTUP_FILE ".load_on_startup"
#define STARTUP_MAX_BYTES (1u << 20)

struct wallets *wallets_new(const struct chain_params *params, const char *walletdir)
{
    struct wallets *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return NULL;
    ws->dir = strdup(walletdir);
    if (!ws->dir) {
        free(ws);
        return NULL;
    }
    ws->params = params;
    ws->fee_rate = WALLET_DEFAULT_FEE_RATE;
    return ws;
}

void wallets_free(struct wallets *ws)
{
    if (!ws)
        return;
    if (ws->detach)
        ws->detach(ws);
    for (size_t i = 0; i < ws->n; i++)
        wallet_free(ws->v[i]);
    free(ws->v);
    free(ws->dir);
    free(ws);
}

const struct chain_params *wallets_params(const struct wallets *ws)
{
    return ws->params;
}

const char *wallets_dir(const struct wallets *ws)
{
    return ws->dir;
}

const struct wallet_chain *wallets_chain(const struct wallets *ws)
{
    return ws->chain;
}

void wallets_set_fee_rate(struct wallets *ws, uint64_t rate)
{
    ws->fee_rate = rate;
}

uint64_t wallets_fee_rate(const struct wallets *ws)
{
    return ws->fee_rate;
}

bool wallets_exists(const struct wallets *ws, const char *name)
{
    struct stat st;
    if (!wallet_name_valid(name))
        return false;
    size_t n = strlen(ws->dir) + strlen(name) + sizeof(WALLET_FILE_NAME) + 3;
    char *path = malloc(n);
    if (!path)
        return false;
    snprintf(path, n, "%s/%s/%s", ws->dir, name, WALLET_FILE_NAME);
    bool found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    return found;
}

struct wallet *wallets_get(const struct wallets *ws, const char *name)
{
    if (!name)
        return ws->n == 1 ? ws->v[0] : NULL;
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(wallet_name(ws->v[i]), name) == 0)
            return ws->v[i];
    return NULL;
}

size_t wallets_count(const struct wallets *ws)
{
    return ws->n;
}

struct wallet *wallets_at(const struct wallets *ws, size_t i)
{
    return i < ws->n ? ws->v[i] : NULL;
}

bool wallets_find_key(const struct wallets *ws, const uint8_t pub[PUBKEY_SIZE], struct wallet **w)
{
    for (size_t i = 0; i < ws->n; i++) {
        if (wallet_has_key(ws->v[i], pub)) {
            *w = ws->v[i];
            return true;
        }
    }
    return false;
}

/* Adds a wallet to the set and, once attached, brings it up to the tip. */
static bool add(struct wallets *ws, struct wallet *w, char *err, size_t errlen)
{
    struct wallet **v = realloc(ws->v, (ws->n + 1) * sizeof(*v));
    if (!v) {
        snprintf(err, errlen, "out of memory");
        wallet_free(w);
        return false;
    }
    ws->v = v;
    ws->v[ws->n++] = w;
    if (ws->sync_wallet && !ws->sync_wallet(ws, w, err, errlen)) {
        ws->n--;
        wallet_free(w);
        return false;
    }
    return true;
}

bool wallets_create(struct wallets *ws, const char *name, const char *passphrase, char *err,
                    size_t errlen)
{
    if (wallets_get(ws, name)) {
        snprintf(err, errlen, "Wallet \"%s\" is already loaded.", name);
        return false;
    }
    struct wallet *w = wallet_create(ws->params, ws->dir, name, passphrase, err, errlen);
    return w && add(ws, w, err, errlen);
}

bool wallets_load(struct wallets *ws, const char *name, char *err, size_t errlen)
{
    if (wallets_get(ws, name)) {
        snprintf(err, errlen, "Wallet \"%s\" is already loaded.", name);
        return false;
    }
    struct wallet *w = wallet_load(ws->params, ws->dir, name, err, errlen);
    if (!w)
        return false;
    log_printf("Loaded wallet %s", name);
    return add(ws, w, err, errlen);
}

bool wallets_unload(struct wallets *ws, const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < ws->n; i++) {
        if (strcmp(wallet_name(ws->v[i]), name) != 0)
            continue;
        struct wallet *w = ws->v[i];
        memmove(&ws->v[i], &ws->v[i + 1], (ws->n - i - 1) * sizeof(*ws->v));
        ws->n--;
        wallet_free(w);
        log_printf("Unloaded wallet %s", name);
        return true;
    }
    snprintf(err, errlen, "Requested wallet does not exist or is not loaded");
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **wallets_list_dir(const struct wallets *ws, size_t *n)
{
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    DIR *d = opendir(ws->dir);
    *n = 0;
    if (!d)
        return calloc(1, sizeof(char *));
    while ((e = readdir(d)) != NULL) {
        if (!wallet_name_valid(e->d_name) || !wallets_exists(ws, e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            char **v = realloc(names, cap * sizeof(*v));
            if (!v)
                break;
            names = v;
        }
        if (!(names[*n] = strdup(e->d_name)))
            break;
        ++*n;
    }
    closedir(d);
    if (!names)
        return calloc(1, sizeof(char *));
    qsort(names, *n, sizeof(*names), cmp_names);
    return names;
}

/* ---- load on startup ---- */

/* The names in the startup file (NULL-terminated array; the caller frees
 * the array and the names). */
static char **startup_read(const struct wallets *ws, size_t *n)
{
    char *path = fs_path_join(ws->dir, STARTUP_FILE), *data = NULL;
    size_t len = 0;
    *n = 0;
    if (!path)
        return NULL;
    if (!fs_read_file(path, STARTUP_MAX_BYTES, &data, &len)) {
        bool missing = errno == ENOENT;
        free(path);
        return missing ? calloc(1, sizeof(char *)) : NULL;
    }
    free(path);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    char **names = calloc(lines + 1, sizeof(*names));
    if (!names) {
        free(data);
        return NULL;
    }
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!wallet_name_valid(line))
            continue;
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup |= strcmp(names[i], line) == 0;
        if (!dup && (names[*n] = strdup(line)) != NULL)
            ++*n;
    }
    free(data);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

bool wallets_set_load_on_startup(struct wallets *ws, const char *name, bool on, char *err,
                                 size_t errlen)
{
    size_t n;
    char **names = startup_read(ws, &n);
    if (!names) {
        snprintf(err, errlen, "Cannot read %s/%s: %s", ws->dir, STARTUP_FILE, strerror(errno));
        return false;
    }
    struct wbuf out;
    wbuf_init(&out);
    bool present = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            present = true;
            if (!on)
                continue;
        }
        put_bytes(&out, names[i], strlen(names[i]));
        put_u8(&out, '\n');
    }
    free_names(names, n);
    if (present == on) {
        wbuf_free(&out);
        return true;
    }
    if (on) {
        put_bytes(&out, name, strlen(name));
        put_u8(&out, '\n');
    }
    char *path = fs_path_join(ws->dir, STARTUP_FILE);
    bool ok = !out.failed && path && fs_write_atomic(path, out.data ? out.data : (uint8_t *)"",
                                                     out.len, 0600);
    if (!ok)
        snprintf(err, errlen, "Cannot write %s/%s: %s", ws->dir, STARTUP_FILE, strerror(errno));
    free(path);
    wbuf_free(&out);
    return ok;
}

bool wallets_load_startup(struct wallets *ws, char *err, size_t errlen)
{
    size_t n;
    char **names = startup_read(ws, &n);
    if (!names) {
        snprintf(err, errlen, "Cannot read %s/%s: %s", ws->dir, STARTUP_FILE, strerror(errno));
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        if (wallets_get(ws, names[i]))
            continue;
        if (!wallets_exists(ws, names[i])) {
            log_printf("Wallet %s is set to load on startup but does not exist: skipped",
                       names[i]);
            continue;
        }
        ok = wallets_load(ws, names[i], err, errlen);
    }
    free_names(names, n);
    return ok;
}
