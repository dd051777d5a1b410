/* Keeping the wallets in step with the chain: the chain listener, the
 * catch-up scan when a wallet is attached or loaded (from its last synced
 * block, back to the fork point if that block left the active chain), and
 * the resubmission of the wallet's own unconfirmed transactions.
 *
 * A scan is idempotent: a block processed twice adds nothing, so the last
 * synced block may lag behind what the wallet has recorded (it is written
 * every WALLET_BEST_INTERVAL blocks and at unload). */
#include "util/log.h"
#include "util/time.h"
#include "wallet/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_connected(void *arg, const struct block *b, const uint8_t hash[HASH_SIZE],
                         uint64_t height)
{
    struct wallets *ws = arg;
    char err[256];
    for (size_t i = 0; i < ws->n; i++)
        if (!wallet_block_connected(ws->v[i], b, hash, err, sizeof(err)))
            log_printf("Wallet %s: cannot record block %llu (it will be rescanned at the next "
                       "load): %s",
                       ws->v[i]->name, (unsigned long long)height, err);
}

static void on_disconnected(void *arg, const struct block *b, const uint8_t hash[HASH_SIZE],
                            uint64_t height)
{
    struct wallets *ws = arg;
    char err[256];
    for (size_t i = 0; i < ws->n; i++)
        if (!wallet_block_disconnected(ws->v[i], b, hash, err, sizeof(err)))
            log_printf("Wallet %s: cannot record the disconnection of block %llu: %s",
                       ws->v[i]->name, (unsigned long long)height, err);
}

/* The wallet's own unconfirmed transactions whose nonce the chain has
 * used for another transaction can never be valid: abandon them. */
static void abandon_replaced(struct wallets *ws, struct wallet *w)
{
    char err[256], hex[2 * HASH_SIZE + 1];
    if (w->write_failed) /* the history may lag behind the chain */
        return;
    for (size_t i = 0; i < w->ntxs; i++) {
        struct wallet_tx *t = w->txs[i];
        struct account a;
        if (t->state != WALLET_TX_UNCONFIRMED || !wallet_has_key(w, t->tx.sender) ||
            !ws->chain->get_account(ws->chain->ctx, t->tx.sender, &a) || a.nonce <= t->tx.nonce)
            continue;
        hash_to_hex(t->txid, hex);
        if (wallet_abandon_tx(w, t->txid, err, sizeof(err)))
            log_printf("Wallet %s: abandoned %s: its nonce was used by another transaction",
                       w->name, hex);
        else
            log_printf("Wallet %s: cannot abandon %s: %s", w->name, hex, err);
    }
}

/* The Arena reveals the wallet owes (wallet/arenarecs.c); nothing to do
 * for a wallet with no Arena record.  The mempool hears of the new tip
 * before the wallets (it listens first), so what is sent here is checked
 * against the pool as the tip left it. */
static void arena_reveals(struct wallets *ws, struct wallet *w)
{
    char err[256];
    if (w->narena == 0)
        return;
    uint64_t rate = w->pay_fee_rate ? w->pay_fee_rate : ws->fee_rate;
    wallet_arena_tick(w, ws->chain, rate, NULL, 0, NULL, NULL, err, sizeof(err));
    if (!err[0])
        return;
    if (wallet_is_locked(w))
        LOG_DEBUG(LOG_WALLET, "Wallet %s: Arena reveals wait for an unlock: %s", w->name, err);
    else
        log_printf("Wallet %s: Arena reveal not sent: %s", w->name, err);
}

static void on_tip_changed(void *arg)
{
    struct wallets *ws = arg;
    char err[256];
    for (size_t i = 0; i < ws->n; i++) {
        abandon_replaced(ws, ws->v[i]);
        arena_reveals(ws, ws->v[i]);
        if (!wallet_write_best_block(ws->v[i], false, err, sizeof(err)))
            log_printf("Wallet %s: %s", ws->v[i]->name, err);
    }
}

static void detach(struct wallets *ws)
{
    ws->chain->unlisten(ws->chain->ctx);
    ws->chain = NULL;
    ws->sync_wallet = NULL;
    ws->detach = NULL;
}

/* Height to scan from: after the last synced block, or after the fork
 * point when that block is no longer on the active chain. */
static uint64_t scan_start(const struct wallet_chain *c, const struct wallet *w)
{
    uint64_t height;
    if (!w->has_best || !c->fork_height(c->ctx, w->best_hash, &height))
        return 0;
    return height + 1;
}

static bool never_valid(const struct validation *v)
{
    return v->cls == VAL_MALFORMED || v->cls == VAL_CONSENSUS ||
           v->code == REJECT_BAD_TXNS_NONCE_TOO_LOW;
}

/* Sending: the mempool first, the record after (see wallet.h). */
bool wallet_submit_tx(struct wallet *w, const struct wallet_chain *c, const struct tx *tx,
                      uint64_t now, const char *comment, const char *comment_to,
                      struct validation *v, char *err, size_t errlen)
{
    uint8_t txid[HASH_SIZE];
    val_init(v);
    err[0] = '\0';
    if (!wallet_check_sent(w, tx, comment, comment_to, err, errlen))
        return false;
    if (!c->has_mempool(c->ctx)) {
        snprintf(err, errlen, "The node has no mempool");
        return false;
    }
    if (!c->submit_tx(c->ctx, tx, now, v)) {
        snprintf(err, errlen, "%s%s%s", v->reason, v->detail[0] ? ", " : "", v->detail);
        return false;
    }
    if (wallet_record_sent(w, tx, now, comment, comment_to, err, errlen))
        return true;
    /* Nobody saw it yet (the node lock is held): take it back. */
    tx_txid(tx, txid);
    c->remove_tx(c->ctx, txid);
    val_init(v);
    return false;
}

static int cmp_sender_nonce(const void *a, const void *b)
{
    const struct wallet_tx *x = *(struct wallet_tx *const *)a, *y = *(struct wallet_tx *const *)b;
    int c = memcmp(x->tx.sender, y->tx.sender, PUBKEY_SIZE);
    if (c)
        return c;
    return (x->tx.nonce > y->tx.nonce) - (x->tx.nonce < y->tx.nonce);
}

/* Hands the wallet's own unconfirmed transactions to the mempool again,
 * abandoning those that can no longer be valid. */
static void resubmit(struct wallets *ws, struct wallet *w)
{
    char err[256], hex[2 * HASH_SIZE + 1];
    size_t n = 0;
    struct wallet_tx **mine = calloc(w->ntxs ? w->ntxs : 1, sizeof(*mine));
    if (!mine)
        return;
    for (size_t i = 0; i < w->ntxs; i++)
        if (w->txs[i]->state == WALLET_TX_UNCONFIRMED && wallet_has_key(w, w->txs[i]->tx.sender))
            mine[n++] = w->txs[i];
    qsort(mine, n, sizeof(*mine), cmp_sender_nonce);
    for (size_t i = 0; i < n; i++) {
        struct validation v;
        val_init(&v);
        hash_to_hex(mine[i]->txid, hex);
        if (ws->chain->has_tx(ws->chain->ctx, mine[i]->txid))
            continue;
        if (ws->chain->submit_tx(ws->chain->ctx, &mine[i]->tx, time_now(), &v)) {
            LOG_DEBUG(LOG_WALLET, "Wallet %s: resubmitted %s", w->name, hex);
            continue;
        }
        if (!never_valid(&v)) {
            LOG_DEBUG(LOG_WALLET, "Wallet %s: %s stays unconfirmed (%s)", w->name, hex, v.reason);
            continue;
        }
        if (wallet_abandon_tx(w, mine[i]->txid, err, sizeof(err)))
            log_printf("Wallet %s: abandoned %s, which can no longer be valid (%s)", w->name, hex,
                       v.reason);
        else
            log_printf("Wallet %s: cannot abandon %s: %s", w->name, hex, err);
    }
    free(mine);
}

/* Brings one wallet up to the tip (see wallets_attach). */
static bool sync_wallet(struct wallets *ws, struct wallet *w, char *err, size_t errlen)
{
    const struct wallet_chain *c = ws->chain;
    uint8_t tip_hash[HASH_SIZE];
    uint64_t tip_height, height;
    c->tip(c->ctx, tip_hash, &tip_height);

    /* Confirmations in blocks that left the active chain: unconfirmed, in
     * one synced append. */
    struct wallet_tx **gone = NULL;
    size_t ngone = 0;
    for (size_t i = 0; i < w->ntxs; i++) {
        struct wallet_tx *t = w->txs[i];
        if (t->state != WALLET_TX_CONFIRMED || c->in_active_chain(c->ctx, t->block_hash, &height))
            continue;
        if (!gone && !(gone = calloc(w->ntxs, sizeof(*gone)))) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        gone[ngone++] = t;
    }
    bool unconfirmed = wtx_set_unconfirmed_all(w, gone, ngone, err, errlen);
    free(gone);
    if (!unconfirmed)
        return false;

    uint64_t start = scan_start(c, w);
    if (w->rescan_pending && w->rescan_from < start)
        start = w->rescan_from;
    if (w->nkeys + w->npool == 0)
        start = tip_height + 1; /* nothing to find */
    if (start <= tip_height)
        log_printf("Wallet %s: scanning blocks %llu to %llu", w->name, (unsigned long long)start,
                   (unsigned long long)tip_height);
    for (uint64_t h = start; h <= tip_height; h++) {
        uint8_t hash[HASH_SIZE];
        struct block b;
        if (!c->read_block(c->ctx, h, &b, hash)) {
            snprintf(err, errlen, "Wallet %s: cannot read block %llu to rescan", w->name,
                     (unsigned long long)h);
            return false;
        }
        bool ok = wallet_block_connected(w, &b, hash, err, errlen);
        block_free(&b);
        if (!ok)
            return false;
    }
    w->has_best = true;
    memcpy(w->best_hash, tip_hash, HASH_SIZE);
    w->best_height = tip_height;

    struct wbuf batch;
    size_t n = 0;
    wbuf_init(&batch);
    if (!w->has_birth) {
        wallet_put_setting(&batch, WALLET_SETTING_BIRTH, tip_height);
        n++;
    }
    if (w->rescan_pending) {
        wallet_put_setting(&batch, WALLET_SETTING_RESCAN, WALLET_NO_RESCAN);
        n++;
    }
    bool ok = n == 0 || wallet_commit(w, &batch, n, err, errlen);
    wbuf_free(&batch);
    if (!ok)
        return false;
    if (!w->has_birth) {
        w->has_birth = true;
        w->birth_height = tip_height;
    }
    size_t superseded = w->rescan_pending ? 2 : 0;
    w->rescan_pending = false;
    w->rescan_from = WALLET_NO_RESCAN;
    wallet_settle(w, superseded);
    if (!wallet_write_best_block(w, true, err, errlen))
        return false;
    if (c->has_mempool(c->ctx))
        resubmit(ws, w);
    return true;
}

bool wallets_attach(struct wallets *ws, const struct wallet_chain *chain, char *err, size_t errlen)
{
    struct wallet_chain_events ev = {.connected = on_connected, .disconnected = on_disconnected,
                                     .tip_changed = on_tip_changed, .arg = ws};
    if (ws->detach)
        ws->detach(ws);
    ws->chain = chain;
    ws->sync_wallet = sync_wallet;
    ws->detach = detach;
    chain->listen(chain->ctx, &ev);
    for (size_t i = 0; i < ws->n; i++)
        if (!sync_wallet(ws, ws->v[i], err, errlen))
            return false;
    return true;
}

bool wallets_rescan(struct wallets *ws, struct wallet *w, uint64_t from_height, char *err,
                    size_t errlen)
{
    if (!ws->chain) {
        snprintf(err, errlen, "The wallets are not attached to a chain");
        return false;
    }
    if (!w->rescan_pending || from_height < w->rescan_from) {
        w->rescan_pending = true;
        w->rescan_from = from_height;
    }
    return sync_wallet(ws, w, err, errlen);
}
