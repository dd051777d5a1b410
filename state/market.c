/* AI Market state: record accessors, prices as of a block, the data
 * providers' shares and what they are owed, and the end-of-block work (the
 * mining of the models called in the block, their multipliers, the pool
 * cap).  Rules in doc/protocol.md, "19. AI Market".
 *
 * Integer only, and every loop walks something bounded by a consensus limit:
 * a model's expansion (MARKET_MAX_EXPANSION models, MARKET_MAX_DEPTH
 * levels) or the models a block called (MARKET_MAX_HEIGHT_TOUCHED). */
#include "state/market.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/fl.h"
#include "state/marketint.h"
#include "state/staking.h"

#include <stdlib.h>
#include <string.h>

/* ---- common ---- */

bool market_read_error(struct validation *val)
{
    return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool market_write_done(struct view *v, struct validation *val)
{
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

static void put_record(struct view *v, const uint8_t *key, size_t klen, struct wbuf *w)
{
    view_put_wbuf(v, key, klen, w);
    wbuf_free(w);
}

bool market_burn_supply(struct view *v, uint64_t amount, struct validation *val)
{
    uint64_t supply = view_get_u64(v, SUPPLY_KEY);
    if (amount == 0)
        return true;
    if (amount > supply)
        return val_fail(val, VAL_ERROR, REJECT_SUPPLY_UNDERFLOW);
    view_put_u64(v, SUPPLY_KEY, supply - amount);
    if (!staking_add_stat(v, STAT_BURNED, amount))
        return market_read_error(val);
    return market_write_done(v, val);
}

/* ---- records ---- */

bool market_get_model(struct view *v, const uint8_t model[HASH_SIZE], struct market_model *out)
{
    uint8_t key[MARKET_KEY_MODEL_SIZE];
    const uint8_t *val;
    size_t len;
    market_model_key(key, model);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!market_model_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void market_put_model(struct view *v, const uint8_t model[HASH_SIZE], const struct market_model *m)
{
    uint8_t key[MARKET_KEY_MODEL_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    market_model_key(key, model);
    market_model_encode(m, &w);
    put_record(v, key, sizeof(key), &w);
}

bool market_get_provider(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                         struct market_provider *out)
{
    uint8_t key[MARKET_KEY_PROVIDER_SIZE];
    const uint8_t *val;
    size_t len;
    market_provider_key(key, pub);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!market_provider_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void market_put_provider(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                         const struct market_provider *p)
{
    uint8_t key[MARKET_KEY_PROVIDER_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    market_provider_key(key, pub);
    market_provider_encode(p, &w);
    put_record(v, key, sizeof(key), &w);
}

uint64_t market_get_paid_calls(struct view *v, const uint8_t model[HASH_SIZE],
                               const uint8_t provider[PUBKEY_SIZE],
                               const uint8_t payer[PUBKEY_SIZE])
{
    uint8_t key[MARKET_KEY_PAID_SIZE];
    const uint8_t *val;
    size_t len;
    market_paid_key(key, model, provider, payer);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return 0;
    if (len != 8) {
        view_set_failed(v);
        return 0;
    }
    return read_le64(val);
}

void market_add_paid_calls(struct view *v, const uint8_t model[HASH_SIZE],
                           const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE],
                           uint64_t calls)
{
    uint8_t key[MARKET_KEY_PAID_SIZE], buf[8];
    market_paid_key(key, model, provider, payer);
    write_le64(buf, market_get_paid_calls(v, model, provider, payer) + calls);
    view_put(v, key, sizeof(key), buf, sizeof(buf));
}

uint64_t market_model_count(struct view *v)
{
    return view_get_u64(v, MARKET_COUNT_KEY);
}

bool market_model_at(struct view *v, uint64_t seq, uint8_t model[HASH_SIZE])
{
    uint8_t key[MARKET_KEY_LIST_SIZE];
    const uint8_t *val;
    size_t len;
    market_list_key(key, seq);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (len != HASH_SIZE) {
        view_set_failed(v);
        return false;
    }
    memcpy(model, val, HASH_SIZE);
    return true;
}

bool market_get_flows(struct view *v, struct market_flows *out)
{
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    if (!view_get(v, MARKET_FLOWS_KEY, strlen(MARKET_FLOWS_KEY), &val, &len))
        return !view_failed(v);
    if (!market_flows_decode(out, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void market_put_flows(struct view *v, const struct market_flows *f)
{
    struct wbuf w;
    wbuf_init(&w);
    market_flows_encode(f, &w);
    put_record(v, (const uint8_t *)MARKET_FLOWS_KEY, strlen(MARKET_FLOWS_KEY), &w);
}

bool market_get_snapshot(struct view *v, const uint8_t model[HASH_SIZE],
                         const uint8_t pub[PUBKEY_SIZE], unsigned __int128 *acc)
{
    uint8_t key[MARKET_KEY_SNAPSHOT_SIZE];
    const uint8_t *val;
    size_t len;
    *acc = 0;
    market_snapshot_key(key, model, pub);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (len != 16) {
        view_set_failed(v);
        return false;
    }
    *acc = (unsigned __int128)read_le64(val + 8) << 64 | read_le64(val);
    return true;
}

void market_put_snapshot(struct view *v, const uint8_t model[HASH_SIZE],
                         const uint8_t pub[PUBKEY_SIZE], unsigned __int128 acc)
{
    uint8_t key[MARKET_KEY_SNAPSHOT_SIZE], buf[16];
    market_snapshot_key(key, model, pub);
    write_le64(buf, (uint64_t)acc);
    write_le64(buf + 8, (uint64_t)(acc >> 64));
    view_put(v, key, sizeof(key), buf, sizeof(buf));
}

bool market_get_height(struct view *v, uint64_t height, uint32_t *count, uint64_t *own)
{
    uint8_t key[MARKET_KEY_HEIGHT_SIZE];
    const uint8_t *val;
    size_t len;
    *count = 0;
    *own = 0;
    market_height_key(key, height);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (len != 12) {
        view_set_failed(v);
        return false;
    }
    *count = read_le32(val);
    *own = read_le64(val + 4);
    return true;
}

bool market_get_touched(struct view *v, uint64_t height, uint32_t *count)
{
    uint64_t own;
    return market_get_height(v, height, count, &own);
}

static void put_height(struct view *v, uint64_t height, uint32_t count, uint64_t own)
{
    uint8_t key[MARKET_KEY_HEIGHT_SIZE], buf[12];
    market_height_key(key, height);
    write_le32(buf, count);
    write_le64(buf + 4, own);
    view_put(v, key, sizeof(key), buf, sizeof(buf));
}

bool market_touch(struct view *v, uint64_t height, const uint8_t model[HASH_SIZE],
                  struct validation *val)
{
    uint8_t key[MARKET_KEY_QUEUE_SIZE];
    uint32_t n;
    uint64_t own;
    if (!market_get_height(v, height, &n, &own))
        return market_read_error(val);
    if (n >= MARKET_MAX_HEIGHT_TOUCHED)
        return val_failf(val, VAL_STATE, REJECT_MARKET_HEIGHT_FULL,
                         "%u models called in this block", (unsigned)n);
    market_queue_key(key, height, n);
    view_put(v, key, sizeof(key), model, HASH_SIZE);
    put_height(v, height, n + 1, own);
    return market_write_done(v, val);
}

bool market_add_height_own(struct view *v, uint64_t height, uint64_t amount,
                           struct validation *val)
{
    uint32_t n;
    uint64_t own;
    if (!market_get_height(v, height, &n, &own))
        return market_read_error(val);
    if (!amount_add(&own, amount))
        return val_fail(val, VAL_ERROR, REJECT_MARKET_OVERFLOW);
    put_height(v, height, n, own);
    return market_write_done(v, val);
}

bool market_get_weights(struct view *v, const struct market_model *m, const uint8_t **data,
                        size_t *len)
{
    switch (m->source) {
    case MARKET_SOURCE_UPLOAD: {
        /* An upload's record keeps its own id in source_id. */
        uint8_t key[MARKET_KEY_MODEL_SIZE];
        market_weights_key(key, m->source_id);
        if (!view_get(v, key, sizeof(key), data, len))
            return false;
        if (*len != fl_param_count(&m->spec) * 4) {
            view_set_failed(v);
            return false;
        }
        return true;
    }
    case MARKET_SOURCE_FL: {
        size_t n;
        if (!fl_get_weights(v, 'M', m->source_id, m->model_round, data, &n))
            return false;
        *len = n * 4;
        return true;
    }
    case MARKET_SOURCE_ARENA: {
        uint64_t n;
        if (!arena_get_weights(v, m->source_id, m->winner, data, &n))
            return false;
        *len = (size_t)n * 4;
        return true;
    }
    default:
        return false;
    }
}

/* ---- prices ---- */

uint64_t market_mult_at(const struct chain_params *p, const struct market_model *m,
                        uint64_t height)
{
    if (height >= 1 && height - 1 > m->mult_height)
        return market_mult_decay(m->mult, height - 1 - m->mult_height, p->market_mult_cap);
    return m->mult;
}

/* Adds the own price of m at height and its components', recursively;
 * levels bounds the recursion (a stored model's depth is at most
 * MARKET_MAX_DEPTH, checked at its publication). */
static bool price_walk(struct view *v, const struct chain_params *p, const struct market_model *m,
                       uint64_t height, unsigned levels, unsigned __int128 *sum)
{
    uint64_t own, cplx;
    if (!market_own_price(m->base_price, m->macs, p->market_fee_per_kmac,
                          market_mult_at(p, m, height), &own, &cplx))
        return false;
    *sum += own;
    if (*sum > UINT64_MAX || (m->n_components && levels == 0))
        return false;
    for (unsigned i = 0; i < m->n_components; i++) {
        struct market_model c;
        if (!market_get_model(v, m->components[i], &c) ||
            !price_walk(v, p, &c, height, levels - 1, sum))
            return false;
    }
    return true;
}

bool market_price_at(struct view *v, const struct chain_params *p,
                     const uint8_t model[HASH_SIZE], uint64_t height, uint64_t *price)
{
    struct market_model m;
    unsigned __int128 sum = 0;
    if (!market_get_model(v, model, &m) || !price_walk(v, p, &m, height, MARKET_MAX_DEPTH, &sum))
        return false;
    *price = (uint64_t)sum;
    return true;
}

static bool cap_walk(struct view *v, const struct chain_params *p, const struct market_model *m,
                     unsigned levels, unsigned __int128 *sum)
{
    uint64_t own, cplx;
    const uint64_t cap = (uint64_t)p->market_mult_cap << 32;
    if (!market_own_price(m->base_price, m->macs, p->market_fee_per_kmac, cap, &own, &cplx))
        return false;
    *sum += own;
    if (*sum > UINT64_MAX || (m->n_components && levels == 0))
        return false;
    for (unsigned i = 0; i < m->n_components; i++) {
        struct market_model c;
        if (!market_get_model(v, m->components[i], &c) || !cap_walk(v, p, &c, levels - 1, sum))
            return false;
    }
    return true;
}

bool market_price_at_cap(struct view *v, const struct chain_params *p,
                         const struct market_model *m, unsigned __int128 *price)
{
    *price = 0;
    return cap_walk(v, p, m, MARKET_MAX_DEPTH + 1, price);
}

/* ---- data providers ---- */

bool market_has_data_providers(const struct market_model *m)
{
    return (m->source == MARKET_SOURCE_FL || m->source == MARKET_SOURCE_ARENA) &&
           m->data_shares > 0;
}

bool market_data_shares(struct view *v, const struct market_model *m,
                        const uint8_t pub[PUBKEY_SIZE], unsigned __int128 *shares)
{
    *shares = 0;
    if (m->source == MARKET_SOURCE_FL) {
        struct fl_participant fp;
        if (fl_get_participant(v, m->source_id, pub, &fp))
            *shares = fp.contribution;
        return !view_failed(v);
    }
    if (m->source == MARKET_SOURCE_ARENA)
        *shares = memcmp(pub, m->winner, PUBKEY_SIZE) == 0 ? 1 : 0;
    return true;
}

uint64_t market_pending(struct view *v, const uint8_t model[HASH_SIZE],
                        const struct market_model *m, const uint8_t pub[PUBKEY_SIZE])
{
    unsigned __int128 shares, snap;
    if (!market_has_data_providers(m) || !market_data_shares(v, m, pub, &shares) || shares == 0 ||
        !market_get_snapshot(v, model, pub, &snap))
        return 0;
    return market_owed(m, shares, snap);
}

/* ---- end of block ---- */

/* Takes amount out of gpool/market (market-pool-short when it holds less). */
static bool pool_take(struct view *v, uint64_t amount, struct validation *val)
{
    uint64_t pool = view_get_u64(v, POOL_MARKET_KEY);
    if (amount == 0)
        return true;
    if (!amount_sub(&pool, amount))
        return val_fail(val, VAL_ERROR, REJECT_MARKET_POOL_SHORT);
    view_put_u64(v, POOL_MARKET_KEY, pool);
    return market_write_done(v, val);
}

/* Mines `mined` for model X: the data providers' part (creator_bps :
 * data_bps of it, floor) accrued, the rest to the owner.  The caller takes
 * the sum out of gpool/market. */
static bool pay_mined(struct view *v, struct market_model *m, uint64_t mined,
                      struct market_flows *f, struct validation *val)
{
    uint64_t data = 0;
    const uint32_t both = (uint32_t)m->split.creator_bps + m->split.data_bps;
    if (mined == 0)
        return true;
    if (market_has_data_providers(m) && both > 0)
        data = (uint64_t)((unsigned __int128)mined * m->split.data_bps / both);
    if (!accounts_credit(v, m->owner, mined - data, val))
        return false;
    if (data) {
        if (!amount_add(&f->banks, data))
            return val_fail(val, VAL_ERROR, REJECT_MARKET_OVERFLOW);
        market_accrue(m, data);
    }
    m->mined += mined;
    f->mined += mined;
    return true;
}

/* gpool/market above market_pool_cap_blocks x the Market part of this
 * height's scheduled block reward is burned (as the FL and Arena pools). */
static bool burn_above_cap(struct view *v, struct block_ctx *ctx, struct market_flows *f,
                           struct validation *val)
{
    const struct chain_params *p = ctx->params;
    uint64_t pool = view_get_u64(v, POOL_MARKET_KEY);
    uint64_t cap = market_pool_cap(p->market_pool_cap_blocks, emission_at(p, ctx->hdr->height, 0),
                                   p->split_market_bps);
    if (pool <= cap)
        return true;
    f->pool_burned += pool - cap;
    return pool_take(v, pool - cap, val) && market_burn_supply(v, pool - cap, val);
}

bool market_end_block(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    const struct chain_params *p = ctx->params;
    const uint64_t h = ctx->hdr->height;
    struct market_flows f;
    uint32_t n;
    bool ok = false;
    if (!market_get_flows(v, &f) || !market_get_touched(v, h, &n))
        return market_read_error(val);
    /* Nothing but this module takes from gpool/market and only staking's
     * end-block adds to it: what it gained since the last block is this
     * block's emission into it. */
    f.pool_in = view_get_u64(v, POOL_MARKET_KEY) + f.mined + f.pool_burned;
    if (n > 0) {
        uint8_t hkey[MARKET_KEY_HEIGHT_SIZE];
        uint32_t count;
        uint64_t total_e;
        /* E, the sum of the queued models' own parts, is kept with the
         * count as the calls add to it. */
        if (!market_get_height(v, h, &count, &total_e)) {
            market_read_error(val);
            goto done;
        }
        market_height_key(hkey, h);
        view_del(v, hkey, sizeof(hkey));
        /* The pool as it stands before any of them is paid. */
        const uint64_t B = view_get_u64(v, POOL_MARKET_KEY);
        const uint64_t mined_before = f.mined;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t key[MARKET_KEY_QUEUE_SIZE], id[HASH_SIZE];
            const uint8_t *data;
            size_t len;
            struct market_model m;
            market_queue_key(key, h, i);
            if (!view_get(v, key, sizeof(key), &data, &len) || len != HASH_SIZE) {
                market_read_error(val);
                goto done;
            }
            memcpy(id, data, HASH_SIZE);
            view_del(v, key, sizeof(key));
            if (!market_get_model(v, id, &m) || m.block_height != h) {
                market_read_error(val);
                goto done;
            }
            const uint64_t mined = market_mined(B, m.block_own, total_e, p->market_mine_bps);
            if (!pay_mined(v, &m, mined, &f, val))
                goto done;
            m.mult = market_mult_next(market_mult_at(p, &m, h), m.block_calls, m.target,
                                      p->market_mult_cap);
            m.mult_height = h;
            market_put_model(v, id, &m);
        }
        /* Sum of floor(B x e_X / E) over X: at most B. */
        if (!pool_take(v, f.mined - mined_before, val))
            goto done;
    }
    if (!burn_above_cap(v, ctx, &f, val))
        goto done;
    market_put_flows(v, &f);
    ok = market_write_done(v, val);
done:
    return ok;
}
