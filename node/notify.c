/* -blocknotify and -walletnotify (see notify.h). */
#include "node/notify.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/tx.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/wallet.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

struct notify {
    struct chain *chain;
    struct mempool *mempool;
    struct wallets *wallets;
    char *blocknotify;  /* NULL: not set */
    char *walletnotify; /* NULL: not set or no wallets */
};

/* Process-wide, so that a command's thread never touches a struct notify
 * that notify_stop freed. */
static atomic_int running;
static atomic_ulong not_run;
static atomic_ullong last_drop_log;

/* ---- running a command ---- */

static void *wait_command(void *arg)
{
    char *cmd = arg;
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    pid_t pid;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    /* The command sees none of the node's descriptors (sockets, databases,
     * the data directory lock) and default signal handling. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        log_printf("Notification command could not start (%s): %s", strerror(rc), cmd);
    } else {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            log_printf("Notification command failed (%s %d): %s",
                       WIFEXITED(status) ? "exit status" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), cmd);
    }
    free(cmd);
    atomic_fetch_sub(&running, 1);
    return NULL;
}

/* A command beyond NOTIFY_MAX_RUNNING is not run; the log says so at most
 * once a second, with the count. */
static void dropped(const char *what)
{
    unsigned long n = atomic_fetch_add(&not_run, 1) + 1;
    unsigned long long now = time_now(), last = atomic_load(&last_drop_log);
    if (now != last && atomic_compare_exchange_strong(&last_drop_log, &last, now))
        log_printf("%s command not run: %d commands still running (%lu not run so far)", what,
                   NOTIFY_MAX_RUNNING, n);
}

/* Starts cmd in the background; never waits for it. */
static void run_command(const char *what, const char *cmd)
{
    if (atomic_fetch_add(&running, 1) >= NOTIFY_MAX_RUNNING) {
        atomic_fetch_sub(&running, 1);
        dropped(what);
        return;
    }
    char *copy = strdup(cmd);
    pthread_attr_t attr;
    pthread_t th;
    int rc = copy ? pthread_attr_init(&attr) : ENOMEM;
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&th, &attr, wait_command, copy);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        free(copy);
        atomic_fetch_sub(&running, 1);
        log_printf("%s command not run: cannot start a thread (%s)", what, strerror(rc));
    }
}

/* ---- the command line ---- */

static bool put(char **o, char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *o) <= n)
        return false;
    memcpy(*o, s, n);
    *o += n;
    return true;
}

/* Single-quoted for /bin/sh, as bitcoind's ShellEscape. */
static bool put_quoted(char **o, char *end, const char *s)
{
    if (!put(o, end, "'"))
        return false;
    for (; *s; s++) {
        char c[2] = {*s, '\0'};
        if (!put(o, end, *s == '\'' ? "'\"'\"'" : c))
            return false;
    }
    return put(o, end, "'");
}

bool notify_format(const char *tmpl, const char *hex, const char *wallet, const char *block,
                   long long height, char *out, size_t outlen)
{
    char *o = out, *end = out + outlen, num[24];
    if (outlen == 0)
        return false;
    for (const char *p = tmpl; *p;) {
        bool ok;
        char c = p[0] == '%' ? p[1] : '\0';
        if (c == 's') {
            ok = put(&o, end, hex);
        } else if (wallet && c == 'w') {
            ok = put_quoted(&o, end, wallet);
        } else if (wallet && c == 'b') {
            ok = put(&o, end, block ? block : "unconfirmed");
        } else if (wallet && c == 'h') {
            snprintf(num, sizeof(num), "%lld", block ? height : -1LL);
            ok = put(&o, end, num);
        } else {
            char one[2] = {*p++, '\0'};
            if (!put(&o, end, one))
                return false;
            continue;
        }
        if (!ok)
            return false;
        p += 2;
    }
    *o = '\0';
    return true;
}

/* ---- events ---- */

static void wallet_event(struct notify *n, const struct tx *tx, const uint8_t txid[HASH_SIZE],
                         const struct block_index *bi)
{
    char hex[2 * HASH_SIZE + 1], block[2 * HASH_SIZE + 1], cmd[NOTIFY_MAX_COMMAND];
    size_t count = wallets_count(n->wallets);
    hash_to_hex(txid, hex);
    if (bi)
        hash_to_hex(bi->hash, block);
    for (size_t i = 0; i < count; i++) {
        const struct wallet *w = wallets_at(n->wallets, i);
        /* In the mempool: only the first time the wallet sees it (not when
         * its own record is resubmitted or returns from a disconnected
         * block). */
        if (!w || !wallet_tx_is_mine(w, tx) || (!bi && wallet_tx_find(w, txid)))
            continue;
        if (!notify_format(n->walletnotify, hex, wallet_name(w), bi ? block : NULL,
                           bi ? (long long)bi->hdr.height : -1, cmd, sizeof(cmd)))
            log_printf("-walletnotify command not run: longer than %d bytes", NOTIFY_MAX_COMMAND);
        else
            run_command("-walletnotify", cmd);
    }
}

static void on_tx_added(void *arg, const struct mempool_entry *e)
{
    wallet_event(arg, &e->tx, e->txid, NULL);
}

static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct notify *n = arg;
    if (!n->walletnotify)
        return;
    for (size_t i = 0; i < b->ntx; i++) {
        uint8_t txid[HASH_SIZE];
        if (b->txids)
            memcpy(txid, b->txids[i], HASH_SIZE);
        else
            tx_txid(&b->txs[i], txid);
        wallet_event(n, &b->txs[i], txid, bi);
    }
}

static void on_tip_changed(void *arg, const struct block_index *tip)
{
    struct notify *n = arg;
    char hex[2 * HASH_SIZE + 1], cmd[NOTIFY_MAX_COMMAND];
    if (!n->blocknotify)
        return;
    hash_to_hex(tip->hash, hex);
    if (!notify_format(n->blocknotify, hex, NULL, NULL, 0, cmd, sizeof(cmd)))
        log_printf("-blocknotify command not run: longer than %d bytes", NOTIFY_MAX_COMMAND);
    else
        run_command("-blocknotify", cmd);
}

static void notify_free(struct notify *n)
{
    free(n->blocknotify);
    free(n->walletnotify);
    free(n);
}

/* The option's command, NULL when unset or negated. */
static bool get_command(const struct config *cfg, const char *key, char **out, char *err,
                        size_t errlen)
{
    const char *v = config_get(cfg, key, NULL);
    *out = NULL;
    if (!v || strcmp(v, "0") == 0)
        return true;
    if (!*v)
        return err_setf(err, errlen, "-%s needs a command", key);
    if (!(*out = strdup(v)))
        return err_setf(err, errlen, "out of memory");
    return true;
}

bool notify_start(const struct config *cfg, struct chain *chain, struct mempool *mp,
                  struct wallets *ws, struct notify **out, char *err, size_t errlen)
{
    *out = NULL;
    struct notify *n = calloc(1, sizeof(*n));
    if (!n)
        return err_setf(err, errlen, "out of memory");
    n->chain = chain;
    n->mempool = mp;
    n->wallets = ws;
    if (!get_command(cfg, "blocknotify", &n->blocknotify, err, errlen) ||
        !get_command(cfg, "walletnotify", &n->walletnotify, err, errlen)) {
        notify_free(n);
        return false;
    }
    if (n->walletnotify && !ws) {
        log_printf("-walletnotify ignored: the wallets are disabled");
        free(n->walletnotify);
        n->walletnotify = NULL;
    }
    if (!n->blocknotify && !n->walletnotify) {
        notify_free(n);
        return true;
    }
    struct chain_listener l = {.connected = on_connected, .tip_changed = on_tip_changed, .arg = n};
    chain_add_listener(chain, &l);
    if (n->walletnotify)
        mempool_add_listener(mp, on_tx_added, n);
    *out = n;
    return true;
}

void notify_stop(struct notify *n)
{
    if (!n)
        return;
    chain_remove_listener(n->chain, n);
    mempool_remove_listener(n->mempool, n);
    notify_free(n);
}
