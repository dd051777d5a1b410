/* Real-time block production (see producer.h). */
#include "node/producer.h"
#include "node/node.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"
#include "util/config.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/time.h"
#include "node/staker.h"
#include "wallet/wallet.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

/* How often the clock is checked for a new slot. */
#define PRODUCER_TICK_MS 100

struct producer {
    struct node *node;
    struct event *timer;
    uint64_t last_slot; /* the last slot we considered */
    bool produce;       /* -produceblocks */
    struct vote_guard *guard; /* -vote: the slashing protection record, else NULL */
};

static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct producer *p = arg;
    struct node *n = p->node;
    const struct chain_params *params = &n->params;
    uint64_t slot = params_slot_at(params, time_now());
    (void)fd;
    (void)what;

    if (slot <= p->last_slot)
        return;
    p->last_slot = slot;
    pthread_mutex_lock(&n->lock);
    const struct block_index *tip = chain_tip(n->chain);
    uint8_t leader[PUBKEY_SIZE], hash[HASH_SIZE];
    struct view *view = slot > tip->hdr.slot ? chain_view(n->chain) : NULL;
    struct wallet *w;
    struct validator val;
    bool ours = p->produce && view && staking_leader_for(view, params, tip->hdr.slot, slot, leader) &&
                wallets_find_key(n->wallets, leader, &w) &&
                staking_get_validator(view, leader, &val) && staking_may_propose(params, &val);
    view_free(view);
    if (ours) {
        struct validation v;
        char hex[2 * HASH_SIZE + 1];
        if (staker_produce(n->wallets, n->chain, n->mempool, leader, slot, hash, &v)) {
            hash_to_hex(hash, hex);
            log_printf("Produced block %s height %llu slot %llu", hex,
                       (unsigned long long)chain_height(n->chain), (unsigned long long)slot);
        } else {
            log_printf("Block production at slot %llu failed: %s%s%s", (unsigned long long)slot,
                       v.reason, v.detail[0] ? ": " : "", v.detail);
        }
    }
    /* Finality votes: once the chain has a block of the epoch and an eighth
     * of the epoch has passed by the clock. */
    if (p->guard)
        (void)staker_vote(n->wallets, n->chain, n->mempool, p->guard, slot);
    pthread_mutex_unlock(&n->lock);
}

struct producer *producer_start(struct node *n, char *err, size_t errlen)
{
    struct timeval tv = {0, PRODUCER_TICK_MS * 1000};
    bool on = config_get_bool(n->cfg, "produceblocks", !n->params.regtest_rules);
    bool vote = config_get_bool(n->cfg, "vote", on);
    err[0] = '\0';
    if ((!on && !vote) || !n->wallets)
        return NULL;
    struct producer *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->node = n;
    p->produce = on;
    if (vote) {
        char *path = fs_path_join(n->datadir, "finality_votes.dat");
        p->guard = path ? vote_guard_open(path, err, errlen) : NULL;
        free(path);
        if (!p->guard) {
            if (!err[0])
                snprintf(err, errlen, "out of memory");
            producer_stop(p);
            return NULL;
        }
    }
    p->timer = event_new(n->base, -1, EV_PERSIST, tick, p);
    if (!p->timer || event_add(p->timer, &tv) != 0) {
        snprintf(err, errlen, "cannot start the block producer");
        producer_stop(p);
        return NULL;
    }
    if (on)
        log_printf("Block production on: proposing in the slots our validator keys lead");
    if (vote)
        log_printf("Finality votes on: our validator keys vote once per epoch");
    return p;
}

void producer_stop(struct producer *p)
{
    if (!p)
        return;
    if (p->timer)
        event_free(p->timer);
    vote_guard_free(p->guard);
    free(p);
}
