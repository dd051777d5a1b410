/* Sync progress lines and block connect times (see progress.h). */
#include "node/progress.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "node/node.h"
#include "rpc/metrics.h"
#include "state/chain.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

struct progress {
    struct node *node;
    struct event *timer;
    bool syncing;          /* connecting blocks behind the best header */
    bool printed;          /* a progress line of this catch-up was written */
    uint64_t start_ms;     /* when this catch-up began */
    uint64_t start_height; /* the tip's height then */
    uint64_t line_ms;      /* the last line (or the start) */
    uint64_t line_height;
    uint64_t connect_ms;   /* the last block connected */
    uint64_t interval_ms;  /* between progress lines */
};

static struct progress *watched;

static double rate(uint64_t blocks, uint64_t ms)
{
    return ms > 0 ? (double)blocks * 1000.0 / (double)ms : 0.0;
}

static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)b;
    struct progress *p = arg;
    struct chain *c = p->node->chain;
    metrics_observe_block_connect(chain_last_connect_seconds(c));

    uint64_t height = bi->hdr.height;
    uint64_t headers = chain_best_header(c)->hdr.height;
    uint64_t now = time_mono_ms();
    p->connect_ms = now;
    if (!p->syncing) {
        if (height >= headers)
            return;
        p->syncing = true;
        p->printed = false;
        p->start_ms = p->line_ms = now;
        p->start_height = p->line_height = height - 1;
    }
    if (now - p->line_ms < p->interval_ms)
        return;
    double r = rate(height - p->line_height, now - p->line_ms);
    double progress = chain_verification_progress(c, time_now());
    char eta[32] = "unknown";
    if (r > 0)
        snprintf(eta, sizeof eta, "%.0fs", (double)(headers - height) / r);
    log_printf("Sync progress: height=%llu headers=%llu (%.2f%%) blocks/s=%.1f eta=%s",
               (unsigned long long)height, (unsigned long long)headers, progress * 100.0, r, eta);
    p->line_ms = now;
    p->line_height = height;
    p->printed = true;
}

/* Once a second: a catch-up ends when the tip is the best header and no
 * block came for PROGRESS_IDLE_MS (headers arrive in steps, so the tip
 * meets the best header many times during one). */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct progress *p = arg;
    struct node *n = p->node;
    pthread_mutex_lock(&n->lock);
    uint64_t now = time_mono_ms();
    if (p->syncing && n->chain && chain_best_header(n->chain) == chain_tip(n->chain) &&
        now - p->connect_ms >= PROGRESS_IDLE_MS) {
        p->syncing = false;
        uint64_t height = chain_height(n->chain);
        uint64_t blocks = height - p->start_height;
        uint64_t ms = p->connect_ms - p->start_ms;
        if (p->printed || blocks >= PROGRESS_MIN_BLOCKS)
            log_printf("Sync done: height=%llu headers=%llu (%.2f%%) blocks/s=%.1f eta=0s; %llu "
                       "blocks in %.1fs",
                       (unsigned long long)height, (unsigned long long)height,
                       chain_verification_progress(n->chain, time_now()) * 100.0,
                       rate(blocks, ms), (unsigned long long)blocks, (double)ms / 1000.0);
    }
    pthread_mutex_unlock(&n->lock);
}

bool progress_watch(struct node *n, char *err, size_t errlen)
{
    int64_t interval = PROGRESS_INTERVAL_MS;
    if (config_is_set(n->cfg, "progressinterval")) {
        if (n->params.net != NET_REGTEST)
            return err_setf(err, errlen, "-progressinterval is only allowed on regtest");
        if (!config_get_int(n->cfg, "progressinterval", PROGRESS_INTERVAL_MS, 1, 3600000,
                            &interval, err, errlen))
            return false;
    }
    struct progress *p = calloc(1, sizeof *p);
    if (!p)
        return err_setf(err, errlen, "out of memory");
    p->node = n;
    p->interval_ms = (uint64_t)interval;
    p->timer = event_new(n->base, -1, EV_PERSIST, on_timer, p);
    struct timeval second = {1, 0};
    if (!p->timer || event_add(p->timer, &second) != 0)
        log_printf("Cannot start the sync progress timer: no \"Sync done\" lines");
    watched = p;
    struct chain_listener l = {.connected = on_connected, .arg = p};
    chain_add_listener(n->chain, &l);
    return true;
}

void progress_unwatch(struct node *n)
{
    if (!watched)
        return;
    if (n->chain)
        chain_remove_listener(n->chain, watched);
    if (watched->timer)
        event_free(watched->timer);
    free(watched);
    watched = NULL;
}
