/* The wallet's chain interface over the chain manager and the mempool (see
 * wallet_chain.h).  Each function is a thin translation: no policy here. */
#include "node/wallet_chain.h"
#include "consensus/arena.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/market.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"

#include <stdlib.h>
_Static_assert(WALLET_POOL_RUN == MEMPOOL_MAX_RUN, "the wallet's view of the pool's run limit");
_Static_assert(WALLET_POOL_RUN_BYTES == MEMPOOL_MAX_RUN_BYTES, "the wallet's view of the pool's run bytes");
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

static bool get_fl_round(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                         uint32_t round, struct fl_round *out)
{
    return fl_get_round((struct view *)s, task, round, out);
}

static bool get_fl_participants(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                                uint8_t **keys, size_t *n)
{
    return fl_get_participants((struct view *)s, task, keys, n);
}

/* The Arena, read through the consensus keys and codecs. */
static bool arena_read(struct chain_snapshot *s, const uint8_t *key, size_t klen,
                       const uint8_t **val, size_t *len)
{
    return view_get((struct view *)s, key, klen, val, len);
}

static bool get_arena_task(struct chain_snapshot *s, const uint8_t task[HASH_SIZE],
                           struct wallet_arena_task *out)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    struct arena_task t;
    struct arena_status st;
    arena_key_task(key, 'T', task);
    if (!arena_read(s, key, sizeof(key), &val, &len) || !arena_task_decode(&t, val, len))
        return false;
    arena_key_task(key, 'S', task);
    if (!arena_read(s, key, sizeof(key), &val, &len) || !arena_status_decode(&st, val, len))
        return false;
    memset(out, 0, sizeof(*out));
    memcpy(out->creator, t.creator, PUBKEY_SIZE);
    out->state = st.state;
    out->created_height = t.created_height;
    out->submit_end = t.w.submit_end;
    out->reveal_end = t.w.reveal_end;
    out->sets_end = t.w.sets_end;
    out->score_commit_end = t.w.score_commit_end;
    out->settle_height = t.w.settle;
    out->budget = t.p.budget;
    out->trainer_min_stake = t.p.trainer_min_stake;
    out->validator_min_stake = t.p.validator_min_stake;
    out->k = t.p.k;
    for (uint8_t i = 0; i < t.p.k && i < WALLET_ARENA_MAX_SETS; i++) {
        out->n_chunks[i] = t.p.sets[i].n_chunks;
        out->n_rows[i] = t.p.sets[i].n_rows;
    }
    out->in_width = t.p.spec.sizes[0];
    out->n_params = fl_param_count(&t.p.spec);
    out->n_scoreable = st.n_scoreable;
    return true;
}

static bool get_arena_operator(struct chain_snapshot *s, const uint8_t task[HASH_SIZE],
                               const uint8_t pub[PUBKEY_SIZE], struct wallet_arena_operator *out)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    const uint8_t *val;
    size_t len;
    struct arena_operator o;
    arena_key_operator(key, 'O', task, pub);
    if (!arena_read(s, key, sizeof(key), &val, &len) || !arena_operator_decode(&o, val, len))
        return false;
    memset(out, 0, sizeof(*out));
    out->role = o.role;
    out->own = o.own;
    out->committed = o.flags & ARENA_OP_COMMITTED;
    out->revealed = o.flags & ARENA_OP_REVEALED;
    out->score_committed = o.flags & ARENA_OP_SCORE_COMMITTED;
    out->score_revealed = o.flags & ARENA_OP_SCORE_REVEALED;
    memcpy(out->commitment, o.commitment, HASH_SIZE);
    memcpy(out->score_commitment, o.score_commitment, HASH_SIZE);
    for (int i = 0; i < WALLET_ARENA_MAX_SETS && i < ARENA_MAX_SETS; i++)
        out->count[i] = o.count[i];
    return true;
}

static bool get_arena_chunk(struct chain_snapshot *s, const uint8_t task[HASH_SIZE], uint8_t set,
                            uint16_t chunk)
{
    uint8_t key[ARENA_KEY_CHUNK_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_chunk(key, task, set, chunk);
    return arena_read(s, key, sizeof(key), &val, &len);
}

static bool get_arena_delegation(struct chain_snapshot *s, const uint8_t task[HASH_SIZE],
                                 const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE],
                                 uint64_t *amount)
{
    uint8_t key[ARENA_KEY_DEL_SIZE];
    const uint8_t *val;
    size_t len;
    struct arena_delegation d;
    arena_key_delegation(key, task, op, delegator);
    if (!arena_read(s, key, sizeof(key), &val, &len) || !arena_delegation_decode(&d, val, len))
        return false;
    *amount = d.amount;
    return true;
}

/* The Market, through state/market.h's accessors. */
static bool get_market_model(struct chain_snapshot *s, const uint8_t model[HASH_SIZE],
                             struct market_model *out)
{
    return market_get_model((struct view *)s, model, out);
}

static bool get_market_provider(struct chain_snapshot *s, const uint8_t pub[PUBKEY_SIZE],
                                struct market_provider *out)
{
    return market_get_provider((struct view *)s, pub, out);
}

static bool get_market_price(struct chain_snapshot *s, const struct chain_params *p,
                             const uint8_t model[HASH_SIZE], uint64_t height, uint64_t *price)
{
    return market_price_at((struct view *)s, p, model, height, price);
}

static uint64_t get_market_paid_calls(struct chain_snapshot *s, const uint8_t model[HASH_SIZE],
                                      const uint8_t provider[PUBKEY_SIZE],
                                      const uint8_t payer[PUBKEY_SIZE])
{
    return market_get_paid_calls((struct view *)s, model, provider, payer);
}

static uint64_t get_market_pending(struct chain_snapshot *s, const uint8_t model[HASH_SIZE],
                                   const uint8_t pub[PUBKEY_SIZE])
{
    struct market_model m;
    if (!market_get_model((struct view *)s, model, &m))
        return 0;
    return market_pending((struct view *)s, model, &m, pub);
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
        .fl_round = get_fl_round,
        .fl_participants = get_fl_participants,
        .arena_task = get_arena_task,
        .arena_operator = get_arena_operator,
        .arena_chunk = get_arena_chunk,
        .arena_delegation = get_arena_delegation,
        .market_model = get_market_model,
        .market_provider = get_market_provider,
        .market_price = get_market_price,
        .market_paid_calls = get_market_paid_calls,
        .market_pending = get_market_pending,
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
