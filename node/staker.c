/* Block production with wallet keys (see staker.h). */
#include "node/staker.h"
#include "consensus/accounts.h"
#include "consensus/finality.h"
#include "state/finality.h"
#include "util/fs.h"
#include "util/log.h"
#include "rpc/methods.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"
#include "util/time.h"
#include "wallet/wallet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reveal(void *arg, const uint8_t pub[PUBKEY_SIZE], uint64_t reveals_done,
                   uint8_t out[HASH_SIZE])
{
    struct wallets *ws = arg;
    struct wallet *w;
    return wallets_find_key(ws, pub, &w) && wallet_randao_reveal(w, pub, reveals_done, out);
}

static bool sign(void *arg, struct block_header *hdr)
{
    struct wallets *ws = arg;
    struct wallet *w;
    const struct chain_params *p = wallets_params(ws);
    return wallets_find_key(ws, hdr->proposer, &w) && wallet_sign_header(w, hdr, p->genesis_hash);
}

/* -blockmaxsize: the bytes of transactions a block we build may take (0:
 * the consensus limit).  Set once at start, before any block is built. */
static size_t block_max_size;

void staker_set_block_max_size(size_t bytes)
{
    block_max_size = bytes;
}

struct ours_ctx {
    struct wallets *ws;
    struct view *view;
};

/* A key of ours that may still propose (a jailed validator's slots stay
 * empty, and so do those of one with less than min_validator_stake bonded). */
static bool ours(void *arg, const uint8_t pub[PUBKEY_SIZE])
{
    struct ours_ctx *oc = arg;
    struct wallet *w;
    struct validator v;
    return wallets_find_key(oc->ws, pub, &w) && staking_get_validator(oc->view, pub, &v) &&
           staking_may_propose(wallets_params(oc->ws), &v);
}

bool staker_next_slot(struct wallets *ws, struct chain *c, uint64_t from, uint64_t max_slots,
                      uint64_t *slot, uint8_t pub[PUBKEY_SIZE])
{
    struct ours_ctx oc = {ws, chain_view(c)};
    bool found = oc.view && builder_next_slot(c, ours, &oc, from, max_slots, slot, pub);
    view_free(oc.view);
    return found;
}

bool staker_build(struct wallets *ws, struct chain *c, struct mempool *mp,
                  const uint8_t pub[PUBKEY_SIZE], uint64_t slot, struct block *out,
                  struct validation *v)
{
    struct block_signer signer = {reveal, sign, ws};
    return builder_build_max(c, mp, pub, slot, &signer, block_max_size, out, v);
}

bool staker_submit(struct wallets *ws, struct chain *c, struct mempool *mp, uint8_t type,
                   const struct wbuf *payload, uint8_t txid_out[HASH_SIZE], char *err,
                   size_t errlen)
{
    const struct chain_params *p = wallets_params(ws);
    struct wallet *best_w = NULL;
    uint8_t best_pub[PUBKEY_SIZE];
    uint64_t best = 0;
    struct tx tx;
    struct validation v;

    err[0] = '\0';
    tx_init(&tx);
    tx.type = type;
    if (payload->failed || !tx_set_payload(&tx, payload->data, payload->len)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    uint64_t rate = wallets_fee_rate(ws) > mempool_required_fee_rate(mp) ? wallets_fee_rate(ws)
                                                                          : mempool_required_fee_rate(mp);
    tx.fee = (uint64_t)(((unsigned __int128)rate * tx_encoded_size(&tx) + 999) / 1000);
    for (size_t i = 0; i < wallets_count(ws); i++) {
        struct wallet *w = wallets_at(ws, i);
        struct wallet_key_info k;
        if (wallet_is_locked(w))
            continue;
        for (size_t j = 0; wallet_key_at(w, j, &k); j++) {
            struct account a;
            if (chain_get_account(c, k.pub, &a) && a.balance > tx.fee && a.balance > best) {
                best = a.balance;
                best_w = w;
                memcpy(best_pub, k.pub, PUBKEY_SIZE);
            }
        }
    }
    if (!best_w) {
        tx_free(&tx);
        snprintf(err, errlen, "no unlocked wallet account can pay the fee");
        return false;
    }
    memcpy(tx.sender, best_pub, PUBKEY_SIZE);
    tx.nonce = mempool_next_nonce(mp, best_pub);
    bool ok = wallet_sign_tx(best_w, &tx, p->genesis_hash);
    if (!ok)
        snprintf(err, errlen, "%s", wallet_error(best_w));
    else if (!wallets_chain(ws)) {
        ok = false;
        snprintf(err, errlen, "the wallets are not attached to the chain");
    } else if (!(ok = wallet_submit_tx(best_w, wallets_chain(ws), &tx, time_now(), "", "", &v,
                                       err, errlen)) &&
               v.code != REJECT_NONE)
        snprintf(err, errlen, "rejected: %s", v.reason);
    if (ok)
        tx_txid(&tx, txid_out);
    tx_free(&tx);
    return ok;
}

bool staker_produce(struct wallets *ws, struct chain *c, struct mempool *mp,
                    const uint8_t pub[PUBKEY_SIZE], uint64_t slot, uint8_t hash_out[HASH_SIZE],
                    struct validation *v)
{
    struct block b;
    if (!staker_build(ws, c, mp, pub, slot, &b, v))
        return false;
    bool ok = chain_process_block(c, &b, v);
    if (ok)
        header_hash(&b.hdr, hash_out);
    block_free(&b);
    return ok;
}

/* ---- finality votes ---- */

struct guard_entry {
    uint8_t pub[PUBKEY_SIZE];
    uint64_t source, target;
};

struct vote_guard {
    char *path;
    struct guard_entry *e;
    size_t n;
};

void vote_guard_free(struct vote_guard *g)
{
    if (!g)
        return;
    free(g->path);
    free(g->e);
    free(g);
}

struct vote_guard *vote_guard_open(const char *path, char *err, size_t errlen)
{
    struct vote_guard *g = calloc(1, sizeof(*g));
    char *data = NULL;
    size_t len;
    if (!g || !(g->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        vote_guard_free(g);
        return NULL;
    }
    if (!fs_read_file(path, 16u << 20, &data, &len)) {
        if (errno == ENOENT)
            return g;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        vote_guard_free(g);
        return NULL;
    }
    for (char *line = data, *next; line && *line; line = next) {
        char hex[2 * PUBKEY_SIZE + 1];
        uint64_t s, t;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line)
            continue;
        struct guard_entry *ne = realloc(g->e, (g->n + 1) * sizeof(*ne));
        if (!ne || sscanf(line, "%64s %" SCNu64 " %" SCNu64, hex, &s, &t) != 3 ||
            !hash_from_hex(ne[g->n].pub, hex)) {
            if (ne)
                g->e = ne;
            snprintf(err, errlen, "%s: malformed line \"%s\"", path, line);
            free(data);
            vote_guard_free(g);
            return NULL;
        }
        g->e = ne;
        ne[g->n].source = s;
        ne[g->n].target = t;
        g->n++;
    }
    free(data);
    return g;
}

static bool guard_write(const struct vote_guard *g)
{
    size_t cap = g->n * (2 * PUBKEY_SIZE + 48) + 1, off = 0;
    char *buf = malloc(cap);
    if (!buf)
        return false;
    for (size_t i = 0; i < g->n; i++) {
        char hex[2 * PUBKEY_SIZE + 1];
        hash_to_hex(g->e[i].pub, hex);
        off += (size_t)snprintf(buf + off, cap - off, "%s %" PRIu64 " %" PRIu64 "\n", hex,
                                g->e[i].source, g->e[i].target);
    }
    bool ok = fs_write_atomic(g->path, buf, off, 0600);
    free(buf);
    return ok;
}

bool vote_guard_claim(struct vote_guard *g, const uint8_t pub[PUBKEY_SIZE], uint64_t source_epoch,
                      uint64_t target_epoch)
{
    struct guard_entry *e = NULL;
    for (size_t i = 0; i < g->n; i++)
        if (memcmp(g->e[i].pub, pub, PUBKEY_SIZE) == 0)
            e = &g->e[i];
    /* Never a second vote for a target, nor a lower one (which a surround
     * or a double needs), nor a lower source (a new vote surrounding the
     * last one needs it). */
    if (e && (target_epoch <= e->target || source_epoch < e->source))
        return false;
    struct guard_entry old = {{0}, 0, 0};
    if (!e) {
        struct guard_entry *ne = realloc(g->e, (g->n + 1) * sizeof(*ne));
        if (!ne)
            return false;
        g->e = ne;
        e = &g->e[g->n++];
        memcpy(e->pub, pub, PUBKEY_SIZE);
    } else {
        old = *e;
    }
    e->source = source_epoch;
    e->target = target_epoch;
    if (guard_write(g))
        return true;
    log_printf("Cannot write the finality vote record %s: %s; not voting", g->path,
               strerror(errno));
    if (old.target)
        *e = old;
    else
        g->n--;
    return false;
}

size_t staker_vote(struct wallets *ws, struct chain *c, struct mempool *mp, struct vote_guard *g,
                   uint64_t now_slot)
{
    const struct chain_params *p = wallets_params(ws);
    const struct block_index *tip = chain_tip(c);
    const uint64_t e = params_epoch_of(p, tip->hdr.slot);
    struct checkpoint cur, prev;
    struct finality_vote fv;
    size_t sent = 0;
    if (e == 0 || !g || !staker_vote_due(p, tip->hdr.slot, now_slot))
        return 0;
    struct view *view = chain_view(c);
    if (!view || !finality_justified(view, p, &cur, &prev) ||
        !finality_checkpoint(view, p, e, fv.target.hash)) {
        view_free(view);
        return 0;
    }
    fv.source = cur;
    fv.target.epoch = e;
    for (size_t i = 0; i < wallets_count(ws); i++) {
        struct wallet *w = wallets_at(ws, i);
        struct wallet_key_info k;
        if (wallet_is_locked(w))
            continue;
        for (size_t j = 0; wallet_key_at(w, j, &k); j++) {
            struct tx tx;
            struct wbuf pl;
            struct validation v;
            if (!k.validator || finality_weight(view, e, k.pub) == 0 ||
                finality_last_target(view, k.pub) >= e)
                continue;
            if (!vote_guard_claim(g, k.pub, fv.source.epoch, e))
                continue;
            tx_init(&tx);
            tx.type = TX_FINALITY_VOTE;
            memcpy(tx.sender, k.pub, PUBKEY_SIZE);
            wbuf_init(&pl);
            finality_vote_encode(&fv, &pl);
            bool ok = !pl.failed && tx_set_payload(&tx, pl.data, pl.len) &&
                      wallet_sign_tx(w, &tx, p->genesis_hash);
            val_init(&v);
            if (ok && mempool_add(mp, &tx, time_now(), &v)) {
                sent++;
                LOG_DEBUG(LOG_VALIDATION, "Finality vote %llu -> %llu submitted",
                          (unsigned long long)fv.source.epoch, (unsigned long long)e);
            } else {
                log_printf("Finality vote for epoch %llu not submitted: %s",
                           (unsigned long long)e, ok ? v.reason : "cannot sign");
            }
            wbuf_free(&pl);
            tx_free(&tx);
        }
    }
    view_free(view);
    return sent;
}

/* ---- what rpc/ reaches through rpc_env.staker ---- */

static bool rpc_next_slot(struct rpc_env *env, uint64_t from, uint64_t max_slots, uint64_t *slot,
                          uint8_t pub[PUBKEY_SIZE])
{
    return staker_next_slot(env->wallets, env->chain, from, max_slots, slot, pub);
}

static bool rpc_produce(struct rpc_env *env, const uint8_t pub[PUBKEY_SIZE], uint64_t slot,
                        uint8_t hash[HASH_SIZE], struct validation *v)
{
    return staker_produce(env->wallets, env->chain, env->mempool, pub, slot, hash, v);
}

static bool rpc_has_key(struct rpc_env *env, const uint8_t pub[PUBKEY_SIZE])
{
    struct wallet *w;
    return wallets_find_key(env->wallets, pub, &w);
}

/* The block is built from a scratch mempool holding only the payment, so
 * the node's own mempool is left as it was. */
static bool rpc_build_self_payment(struct rpc_env *env, const uint8_t pub[PUBKEY_SIZE],
                                   uint64_t slot, struct block *out, struct validation *v)
{
    struct wallet *w;
    if (!wallets_find_key(env->wallets, pub, &w))
        return val_fail(v, VAL_ERROR, REJECT_NOT_OUR_KEY);
    struct mempool *scratch = mempool_new(env->chain, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    struct tx tx;
    struct transfer t = {.amount = 1};
    struct wbuf pl;
    bool built = false;
    memcpy(t.to, pub, PUBKEY_SIZE);
    wbuf_init(&pl);
    transfer_encode(&t, &pl);
    tx_init(&tx);
    tx.type = TX_TRANSFER;
    memcpy(tx.sender, pub, PUBKEY_SIZE);
    tx.fee = 10000;
    if (scratch && tx_set_payload(&tx, pl.data, pl.len)) {
        tx.nonce = mempool_next_nonce(scratch, pub);
        built = wallet_sign_tx(w, &tx, env->params->genesis_hash) &&
                mempool_add(scratch, &tx, time_now(), v) &&
                staker_build(env->wallets, env->chain, scratch, pub, slot, out, v);
    }
    tx_free(&tx);
    wbuf_free(&pl);
    mempool_free(scratch);
    return built;
}

static void rpc_each_key(struct rpc_env *env,
                         void (*fn)(void *arg, const char *wallet, const uint8_t pub[PUBKEY_SIZE]),
                         void *arg)
{
    for (size_t i = 0; env->wallets && i < wallets_count(env->wallets); i++) {
        struct wallet *w = wallets_at(env->wallets, i);
        struct wallet_key_info k;
        for (size_t j = 0; wallet_key_at(w, j, &k); j++)
            fn(arg, wallet_name(w), k.pub);
    }
}

const struct rpc_staker staker_rpc = {
    .next_slot = rpc_next_slot,
    .produce = rpc_produce,
    .has_key = rpc_has_key,
    .build_self_payment = rpc_build_self_payment,
    .each_key = rpc_each_key,
};
