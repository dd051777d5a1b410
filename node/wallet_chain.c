/* The wallet's chain interface over the chain manager and the mempool (see
 * wallet_chain.h).  Each function is a thin translation: no policy here. */
#include "node/wallet_chain.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"

#include <stdlib.h>
#include <string.h>

static void tip(void *ctx, uint8_t hash[HASH_SIZE], uint64_t *height)
{
    const struct node_wallet_chain *nwc = ctx;
    const struct block_index *t = chain_tip(nwc->chain);
    memcpy(hash, t->hash, HASH_SIZE);
    *height = t->hdr.height;
}

static bool in_active_chain(void *ctx, const uint8_t hash[HASH_SIZE], uint64_t *height)
{
    const struct node_wallet_chain *nwc = ctx;
    const struct block_index *bi = chain_lookup(nwc->chain, hash);
    if (!bi || !chain_contains(nwc->chain, bi))
        return false;
    *height = bi->hdr.height;
    return true;
}

static bool fork_height(void *ctx, const uint8_t hash[HASH_SIZE], uint64_t *height)
{
    const struct node_wallet_chain *nwc = ctx;
    const struct block_index *bi = chain_lookup(nwc->chain, hash);
    if (!bi)
        return false;
    while (bi && !chain_contains(nwc->chain, bi))
        bi = bi->prev;
    if (!bi)
        return false;
    *height = bi->hdr.height;
    return true;
}

static bool read_block(void *ctx, uint64_t height, struct block *out, uint8_t hash[HASH_SIZE])
{
    const struct node_wallet_chain *nwc = ctx;
    const struct block_index *bi = chain_at(nwc->chain, height);
    if (!bi || !chain_read_block(nwc->chain, bi, out))
        return false;
    memcpy(hash, bi->hash, HASH_SIZE);
    return true;
}

static bool get_account(void *ctx, const uint8_t pub[PUBKEY_SIZE], struct account *out)
{
    const struct node_wallet_chain *nwc = ctx;
    return chain_get_account(nwc->chain, pub, out);
}

/* A snapshot is a view of the state at the tip; the wallet never looks
 * inside. */
static struct chain_snapshot *snapshot(void *ctx)
{
    const struct node_wallet_chain *nwc = ctx;
    return (struct chain_snapshot *)chain_view(nwc->chain);
}

static void snapshot_free(struct chain_snapshot *s)
{
    view_free((struct view *)s);
}

static bool get_validator(struct chain_snapshot *s, const uint8_t pub[PUBKEY_SIZE],
                          struct validator *out)
{
    return staking_get_validator((struct view *)s, pub, out);
}

static bool get_delegation(struct chain_snapshot *s, const uint8_t validator[PUBKEY_SIZE],
                           const uint8_t delegator[PUBKEY_SIZE], struct delegation *out)
{
    return staking_get_delegation((struct view *)s, validator, delegator, out);
}

static bool get_fl_task(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                        struct fl_task *out)
{
    return fl_get_task((struct view *)s, task, out);
}

static bool get_fl_status(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                          struct fl_status *out)
{
    return fl_get_status((struct view *)s, task, out);
}

static bool get_fl_participant(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                               const uint8_t pub[PUBKEY_SIZE], struct fl_participant *out)
{
    return fl_get_participant((struct view *)s, task, pub, out);
}

static bool get_fl_entry(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                         uint32_t round, const uint8_t pub[PUBKEY_SIZE], struct fl_entry *out)
{
    return fl_get_entry((struct view *)s, task, round, pub, out);
}

static bool has_mempool(void *ctx)
{
    const struct node_wallet_chain *nwc = ctx;
    return nwc->mempool != NULL;
}

static bool submit_tx(void *ctx, const struct tx *tx, uint64_t now, struct validation *v)
{
    const struct node_wallet_chain *nwc = ctx;
    return mempool_add(nwc->mempool, tx, now, v);
}

static void remove_tx(void *ctx, const uint8_t txid[HASH_SIZE])
{
    const struct node_wallet_chain *nwc = ctx;
    mempool_remove(nwc->mempool, txid);
}

static bool has_tx(void *ctx, const uint8_t txid[HASH_SIZE])
{
    const struct node_wallet_chain *nwc = ctx;
    return mempool_has(nwc->mempool, txid);
}

static uint64_t next_nonce(void *ctx, const uint8_t sender[PUBKEY_SIZE])
{
    const struct node_wallet_chain *nwc = ctx;
    return mempool_next_nonce(nwc->mempool, sender);
}

static uint64_t min_fee_rate(void *ctx)
{
    const struct node_wallet_chain *nwc = ctx;
    return mempool_min_fee_rate(nwc->mempool);
}

static uint64_t required_fee_rate(void *ctx)
{
    const struct node_wallet_chain *nwc = ctx;
    return mempool_required_fee_rate(nwc->mempool);
}

static bool each_tx(void *ctx, bool (*fn)(void *arg, const struct tx *tx), void *arg)
{
    const struct node_wallet_chain *nwc = ctx;
    size_t n = 0;
    const struct mempool_entry **e = mempool_entries(nwc->mempool, &n);
    if (!e)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = fn(arg, &e[i]->tx);
    free(e);
    return ok;
}

static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct node_wallet_chain *nwc = arg;
    nwc->events.connected(nwc->events.arg, b, bi->hash, bi->hdr.height);
}

static void on_disconnected(void *arg, const struct block *b, const struct block_index *bi)
{
    struct node_wallet_chain *nwc = arg;
    nwc->events.disconnected(nwc->events.arg, b, bi->hash, bi->hdr.height);
}

static void on_tip_changed(void *arg, const struct block_index *t)
{
    struct node_wallet_chain *nwc = arg;
    (void)t;
    nwc->events.tip_changed(nwc->events.arg);
}

static void wc_unlisten(void *ctx)
{
    struct node_wallet_chain *nwc = ctx;
    if (nwc->listening)
        chain_remove_listener(nwc->chain, nwc);
    nwc->listening = false;
}

static void wc_listen(void *ctx, const struct wallet_chain_events *ev)
{
    struct node_wallet_chain *nwc = ctx;
    struct chain_listener l = {.connected = on_connected, .disconnected = on_disconnected,
                              .tip_changed = on_tip_changed, .arg = nwc};
    wc_unlisten(nwc);
    nwc->events = *ev;
    chain_add_listener(nwc->chain, &l);
    nwc->listening = true;
}

void node_wallet_chain_init(struct node_wallet_chain *nwc, struct chain *c, struct mempool *mp)
{
    memset(nwc, 0, sizeof(*nwc));
    nwc->chain = c;
    nwc->mempool = mp;
    nwc->iface = (struct wallet_chain){
        .ctx = nwc,
        .tip = tip,
        .in_active_chain = in_active_chain,
        .fork_height = fork_height,
        .read_block = read_block,
        .get_account = get_account,
        .snapshot = snapshot,
        .snapshot_free = snapshot_free,
        .get_validator = get_validator,
        .get_delegation = get_delegation,
        .fl_task = get_fl_task,
        .fl_status = get_fl_status,
        .fl_participant = get_fl_participant,
        .fl_entry = get_fl_entry,
        .has_mempool = has_mempool,
        .submit_tx = submit_tx,
        .remove_tx = remove_tx,
        .has_tx = has_tx,
        .next_nonce = next_nonce,
        .min_fee_rate = min_fee_rate,
        .required_fee_rate = required_fee_rate,
        .each_tx = each_tx,
        .listen = wc_listen,
        .unlisten = wc_unlisten,
    };
}
