/* AI Market transactions, state side: the apply function of each of the
 * five types.  Each checks its rules against the state of the block's
 * height (ctx->hdr->height) in the order of doc/protocol.md "19.6
 * Transaction rules" and fails with that section's reject reason. */
#include "consensus/amount.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/fl.h"
#include "state/market.h"
#include "state/marketint.h"

#include <string.h>

/* The model's record (market-unknown-model). */
static bool load_model(struct view *v, const uint8_t model[HASH_SIZE], struct market_model *m,
                       struct validation *val)
{
    if (!market_get_model(v, model, m))
        return view_failed(v) ? market_read_error(val)
                              : val_fail(val, VAL_STATE, REJECT_MARKET_UNKNOWN_MODEL);
    return true;
}

/* *out = a x b; false when it does not fit in u64. */
static bool mul_u64(uint64_t *out, uint64_t a, uint64_t b)
{
    unsigned __int128 x = (unsigned __int128)a * b;
    *out = (uint64_t)x;
    return x <= UINT64_MAX;
}

static bool not_ready(struct validation *val, const char *why)
{
    return val_failf(val, VAL_STATE, REJECT_MARKET_SOURCE_NOT_READY, "%s", why);
}

/* A leaf's own price at multiplier 1.0 is at least one unit
 * (market-price-zero): a paid call always pays something.  A composite's
 * own price may be 0: its price is at least its components'. */
static bool leaf_price_ok(const struct chain_params *p, const struct market_model *m,
                          struct validation *val)
{
    uint64_t own, complexity;
    if (m->source == MARKET_SOURCE_COMPOSITE)
        return true;
    if (!market_own_price(m->base_price, m->macs, p->market_fee_per_kmac, MARKET_MULT_ONE, &own,
                          &complexity))
        return val_fail(val, VAL_STATE, REJECT_MARKET_PRICE_TOO_HIGH);
    if (own == 0)
        return val_fail(val, VAL_STATE, REJECT_MARKET_PRICE_ZERO);
    return true;
}

/* A model's price as published or set: every multiplier of its expansion
 * at the cap, at most MARKET_MAX_PRICE_AT_CAP (10^12) a call; a leaf's own
 * price at least one unit (leaf_price_ok). */
static bool price_ok(struct view *v, const struct chain_params *p, const struct market_model *m,
                     struct validation *val)
{
    unsigned __int128 at_cap;
    if (!market_price_at_cap(v, p, m, &at_cap) || at_cap > MARKET_MAX_PRICE_AT_CAP)
        return view_failed(v) ? market_read_error(val)
                              : val_failf(val, VAL_STATE, REJECT_MARKET_PRICE_TOO_HIGH,
                                          "price at the multiplier cap above %llu",
                                          (unsigned long long)MARKET_MAX_PRICE_AT_CAP);
    return leaf_price_ok(p, m, val);
}

/* ---- MARKET_PUBLISH ---- */

/* An FL task's global model: the task completed, published by its creator,
 * its model stored; the data providers' shares its total contribution. */
static bool publish_fl(struct view *v, const struct tx *tx, const struct market_publish *pb,
                       struct market_model *m, struct validation *val)
{
    struct fl_task t;
    struct fl_status st;
    const uint8_t *w;
    size_t n;
    if (!fl_get_task(v, pb->source_id, &t) || !fl_get_status(v, pb->source_id, &st))
        return view_failed(v) ? market_read_error(val) : not_ready(val, "no such FL task");
    if (st.state != FL_TASK_COMPLETED)
        return not_ready(val, "the FL task has not completed");
    if (memcmp(tx->sender, t.creator, PUBKEY_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_MARKET_NOT_OWNER);
    if (!fl_get_weights(v, 'M', pb->source_id, st.model_round, &w, &n))
        return view_failed(v) ? market_read_error(val)
                              : not_ready(val, "the FL task has no stored model");
    if (n != fl_param_count(&t.p.spec))
        return market_read_error(val);
    if (st.contribution == 0 && pb->split.data_bps > 0)
        return not_ready(val, "the FL task recorded no contribution");
    m->spec = t.p.spec;
    m->model_round = st.model_round;
    m->data_shares = st.contribution;
    fl_model_hash(m->model_hash, w, n);
    return true;
}

/* An Arena task's winner: the task settled, published by its creator, the
 * rank-1 trainer (the lowest seq on a tie) with its weights stored. */
static bool publish_arena(struct view *v, const struct tx *tx, const struct market_publish *pb,
                          struct market_model *m, struct validation *val)
{
    struct arena_results res;
    struct arena_task t;
    struct arena_status st;
    const uint8_t *w;
    uint64_t n;
    int best = -1;
    if (!arena_get_task(v, pb->source_id, &t) || !arena_get_status(v, pb->source_id, &st))
        return view_failed(v) ? market_read_error(val) : not_ready(val, "no such Arena task");
    if (st.state != ARENA_SETTLED)
        return not_ready(val, "the Arena task has not settled");
    if (memcmp(tx->sender, t.creator, PUBKEY_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_MARKET_NOT_OWNER);
    if (!arena_get_results(v, pb->source_id, &res))
        return view_failed(v) ? market_read_error(val) : not_ready(val, "no Arena results");
    for (int i = 0; i < res.m && i < ARENA_MAX_TRAINERS; i++)
        if (res.r[i].rank == 1 && (best < 0 || res.r[i].seq < res.r[best].seq))
            best = i;
    if (best < 0)
        return not_ready(val, "the Arena task has no winner");
    if (!arena_get_weights(v, pb->source_id, res.r[best].trainer, &w, &n))
        return view_failed(v) ? market_read_error(val)
                              : not_ready(val, "the winner's weights are not stored");
    if (n != fl_param_count(&t.p.spec))
        return market_read_error(val);
    m->spec = t.p.spec;
    memcpy(m->winner, res.r[best].trainer, PUBKEY_SIZE);
    m->data_shares = 1;
    fl_model_hash(m->model_hash, w, (size_t)n);
    return true;
}

/* A composite: its components exist, its depth and expansion within the
 * bounds, their shapes chained (pipeline) or equal (average). */
static bool publish_composite(struct view *v, const struct market_publish *pb,
                              struct market_model *m, struct validation *val)
{
    unsigned depth = 0, expansion = 1;
    struct market_model c[MARKET_MAX_COMPONENTS];
    for (unsigned i = 0; i < pb->n_components; i++) {
        if (!market_get_model(v, pb->components[i], &c[i]))
            return view_failed(v) ? market_read_error(val)
                                  : val_failf(val, VAL_STATE, REJECT_MARKET_UNKNOWN_MODEL,
                                              "component %u", i);
        if (c[i].depth + 1u > depth)
            depth = c[i].depth + 1u;
        expansion += c[i].expansion;
    }
    if (depth > MARKET_MAX_DEPTH)
        return val_failf(val, VAL_STATE, REJECT_MARKET_BAD_COMPONENT, "depth %u above %u", depth,
                         MARKET_MAX_DEPTH);
    if (expansion > MARKET_MAX_EXPANSION)
        return val_failf(val, VAL_STATE, REJECT_MARKET_BAD_COMPONENT, "expansion %u above %u",
                         expansion, MARKET_MAX_EXPANSION);
    for (unsigned i = 1; i < pb->n_components; i++) {
        if (pb->mode == MARKET_MODE_AVERAGE &&
            (c[i].n_inputs != c[0].n_inputs || c[i].n_outputs != c[0].n_outputs))
            return val_failf(val, VAL_STATE, REJECT_MARKET_BAD_COMPONENT,
                             "component %u is %u -> %u, component 0 %u -> %u", i, c[i].n_inputs,
                             c[i].n_outputs, c[0].n_inputs, c[0].n_outputs);
        if (pb->mode == MARKET_MODE_PIPELINE && c[i - 1].n_outputs != c[i].n_inputs)
            return val_failf(val, VAL_STATE, REJECT_MARKET_BAD_COMPONENT,
                             "component %u gives %u outputs, component %u takes %u inputs", i - 1,
                             c[i - 1].n_outputs, i, c[i].n_inputs);
    }
    m->depth = (uint8_t)depth;
    m->expansion = (uint8_t)expansion;
    m->n_inputs = c[0].n_inputs;
    m->n_outputs = c[pb->n_components - 1].n_outputs;
    return true;
}

bool market_apply_publish(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val)
{
    const struct chain_params *p = ctx->params;
    const uint64_t h = ctx->hdr->height;
    struct market_publish pb;
    struct market_model m;
    uint8_t id[HASH_SIZE];
    if (!market_publish_decode(&pb, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    tx_txid(tx, id);
    if (market_get_model(v, id, &m))
        return val_fail(val, VAL_STATE, REJECT_MARKET_DUPLICATE);
    if (view_failed(v))
        return market_read_error(val);
    memset(&m, 0, sizeof(m));
    memcpy(m.owner, tx->sender, PUBKEY_SIZE);
    m.published_height = h;
    m.name_len = pb.name_len;
    memcpy(m.name, pb.name, sizeof(m.name));
    m.source = pb.source;
    memcpy(m.source_id, pb.source_id, HASH_SIZE);
    m.mode = pb.mode;
    m.n_components = pb.n_components;
    memcpy(m.components, pb.components, sizeof(m.components));
    m.base_price = pb.base_price;
    m.target = pb.target;
    m.split = pb.split;
    bool ok;
    switch (pb.source) {
    case MARKET_SOURCE_FL: ok = publish_fl(v, tx, &pb, &m, val); break;
    case MARKET_SOURCE_ARENA: ok = publish_arena(v, tx, &pb, &m, val); break;
    case MARKET_SOURCE_UPLOAD:
        /* The record keeps the model's own id as its source: the key of
         * its weights ('M' 'W' | model). */
        memcpy(m.source_id, id, HASH_SIZE);
        m.spec = pb.spec;
        fl_model_hash(m.model_hash, pb.weights, (size_t)pb.n_weights);
        ok = true;
        break;
    case MARKET_SOURCE_COMPOSITE: ok = publish_composite(v, &pb, &m, val); break;
    default: ok = val_fail(val, VAL_MALFORMED, REJECT_BAD_MARKET_PAYLOAD); break;
    }
    if (!ok)
        return false;
    if (pb.source != MARKET_SOURCE_COMPOSITE) {
        m.depth = 0;
        m.expansion = 1;
        m.n_inputs = m.spec.sizes[0];
        m.n_outputs = m.spec.sizes[m.spec.n_sizes - 1];
        m.macs = market_macs(&m.spec);
    }
    if (!price_ok(v, p, &m, val))
        return false;
    m.mult = MARKET_MULT_ONE;
    m.mult_height = h - 1;
    /* The record keeps the shape only (market_get_spec reads the rest). */
    m.spec.n_norm = 0;
    m.spec.norm = NULL;
    if (pb.source == MARKET_SOURCE_UPLOAD) {
        uint8_t wkey[MARKET_KEY_MODEL_SIZE];
        market_weights_key(wkey, id);
        view_put(v, wkey, sizeof(wkey), pb.weights, (size_t)pb.n_weights * 4);
        market_put_spec(v, id, &pb.spec);
    }
    market_put_model(v, id, &m);
    uint8_t lkey[MARKET_KEY_LIST_SIZE];
    const uint64_t seq = market_model_count(v);
    market_list_key(lkey, seq);
    view_put(v, lkey, sizeof(lkey), id, HASH_SIZE);
    view_put_u64(v, MARKET_COUNT_KEY, seq + 1);
    return market_write_done(v, val);
}

/* ---- MARKET_SET_PRICE ---- */

bool market_apply_set_price(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val)
{
    const struct chain_params *p = ctx->params;
    const uint64_t h = ctx->hdr->height;
    struct market_set_price sp;
    struct market_model m;
    if (!market_set_price_decode(&sp, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_model(v, sp.model, &m, val))
        return false;
    if (memcmp(tx->sender, m.owner, PUBKEY_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_MARKET_NOT_OWNER);
    /* The multiplier as of the start of this block, so that the new target
     * counts only from here on. */
    if (h >= 1 && h - 1 > m.mult_height) {
        m.mult = market_mult_at(p, &m, h);
        m.mult_height = h - 1;
    }
    m.base_price = sp.base_price;
    m.target = sp.target;
    if (!price_ok(v, p, &m, val))
        return false;
    market_put_model(v, sp.model, &m);
    return market_write_done(v, val);
}

/* ---- MARKET_PROVIDER_REGISTER ---- */

bool market_apply_provider_register(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                                    struct validation *val)
{
    const struct chain_params *p = ctx->params;
    struct market_provider_register r;
    struct market_provider pr;
    struct market_flows f;
    if (!market_provider_register_decode(&r, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!market_get_provider(v, tx->sender, &pr)) {
        if (view_failed(v))
            return market_read_error(val);
        if (r.stake < p->market_min_provider_stake)
            return val_failf(val, VAL_STATE, REJECT_MARKET_STAKE_LOW, "minimum %llu",
                             (unsigned long long)p->market_min_provider_stake);
        memset(&pr, 0, sizeof(pr));
        pr.registered_height = ctx->hdr->height;
    }
    if (!market_get_flows(v, &f))
        return market_read_error(val);
    if (!amount_add(&pr.stake, r.stake) || !amount_add(&f.stakes, r.stake))
        return val_fail(val, VAL_STATE, REJECT_MARKET_OVERFLOW);
    if (!accounts_debit(v, tx->sender, r.stake, val))
        return false;
    pr.endpoint_len = r.endpoint_len;
    memcpy(pr.endpoint, r.endpoint, sizeof(pr.endpoint));
    market_put_provider(v, tx->sender, &pr);
    market_put_flows(v, &f);
    return market_write_done(v, val);
}

/* ---- MARKET_CALL ---- */

struct call_walk {
    struct view *v;
    const struct chain_params *p;
    uint64_t height;
    uint64_t calls;
    struct market_flows f;
    uint64_t provider_paid; /* the named provider's parts, summed */
    uint64_t burned;        /* the burns, summed */
    uint64_t gross;         /* the own parts, summed: the total */
    struct validation *val;
    const uint8_t *provider;
};

/* Pays one node of the expansion its own part and walks its components in
 * order (pre-order; a repeated component is paid again). */
static bool pay_node(struct call_walk *w, const uint8_t id[HASH_SIZE], unsigned levels)
{
    struct market_model m;
    struct market_pay pay;
    uint64_t own, cplx, gross, cplx_gross;
    if (!market_get_model(w->v, id, &m))
        return market_read_error(w->val);
    if (!market_own_price(m.base_price, m.macs, w->p->market_fee_per_kmac,
                          market_mult_at(w->p, &m, w->height), &own, &cplx) ||
        !mul_u64(&gross, own, w->calls) || !mul_u64(&cplx_gross, cplx, w->calls))
        return val_fail(w->val, VAL_STATE, REJECT_MARKET_OVERFLOW);
    market_pay_split(gross, cplx_gross, &m.split, w->p->market_burn_bps, &pay);
    /* The burns and the provider's parts are summed over the walk and
     * applied once after it. */
    w->burned += pay.burn;
    uint64_t to_owner = pay.creator;
    if (market_has_data_providers(&m)) {
        if (!amount_add(&w->f.banks, pay.data))
            return val_fail(w->val, VAL_ERROR, REJECT_MARKET_OVERFLOW);
        if (pay.data)
            market_accrue(&m, pay.data);
    } else {
        to_owner += pay.data;
    }
    if (to_owner && !accounts_credit(w->v, m.owner, to_owner, w->val))
        return false;
    w->provider_paid += pay.provider;
    w->gross += gross;
    /* This block's accumulators; the first call of the block queues it. */
    if (m.block_height != w->height) {
        if (!market_touch(w->v, w->height, id, w->val))
            return false;
        m.block_height = w->height;
        m.block_calls = 0;
        m.block_own = 0;
    }
    if (!amount_add(&m.block_own, gross))
        return val_fail(w->val, VAL_ERROR, REJECT_MARKET_OVERFLOW);
    m.block_calls += w->calls;
    /* Statistics, modulo 2^64. */
    m.calls += w->calls;
    m.own_fees += gross;
    m.burned += pay.burn;
    m.paid_creator += pay.creator;
    m.paid_data += pay.data;
    m.paid_provider += pay.provider;
    market_put_model(w->v, id, &m);
    if (m.n_components && levels == 0)
        return market_read_error(w->val);
    for (unsigned i = 0; i < m.n_components; i++)
        if (!pay_node(w, m.components[i], levels - 1))
            return false;
    return true;
}

bool market_apply_call(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                       struct validation *val)
{
    const uint64_t h = ctx->hdr->height;
    struct market_call c;
    struct market_model m;
    struct market_provider pr;
    uint64_t price, total;
    if (!market_call_decode(&c, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_model(v, c.model, &m, val))
        return false;
    if (!market_get_provider(v, c.provider, &pr))
        return view_failed(v) ? market_read_error(val)
                              : val_fail(val, VAL_STATE, REJECT_MARKET_UNKNOWN_PROVIDER);
    /* The price as of the start of the block: multipliers move only at its
     * end. */
    if (!market_price_at(v, ctx->params, c.model, h, &price))
        return view_failed(v) ? market_read_error(val)
                              : val_fail(val, VAL_STATE, REJECT_MARKET_OVERFLOW);
    if (price > c.max_price)
        return val_failf(val, VAL_STATE, REJECT_MARKET_PRICE_ABOVE_MAX, "price %llu, max %llu",
                         (unsigned long long)price, (unsigned long long)c.max_price);
    if (!mul_u64(&total, price, c.calls))
        return val_fail(val, VAL_STATE, REJECT_MARKET_OVERFLOW);
    if (!accounts_debit(v, tx->sender, total, val))
        return false;
    struct call_walk w = {.v = v, .p = ctx->params, .height = h, .calls = c.calls,
                          .val = val, .provider = c.provider};
    if (!market_get_flows(v, &w.f))
        return market_read_error(val);
    if (!pay_node(&w, c.model, MARKET_MAX_DEPTH))
        return false;
    /* The own parts are the price's parts: the walk paid out the total. */
    if (w.gross != total)
        return val_fail(val, VAL_ERROR, REJECT_MARKET_OVERFLOW);
    if (!market_add_height_own(v, h, total, val) || !market_burn_supply(v, w.burned, val) ||
        (w.provider_paid && !accounts_credit(v, c.provider, w.provider_paid, val)))
        return false;
    w.f.call_burned += w.burned;
    if (!market_get_provider(v, c.provider, &pr))
        return market_read_error(val);
    pr.calls += c.calls;
    pr.earned += w.provider_paid;
    market_put_provider(v, c.provider, &pr);
    market_put_flows(v, &w.f);
    market_add_paid_calls(v, c.model, c.provider, tx->sender, c.calls);
    return market_write_done(v, val);
}

/* ---- MARKET_CLAIM ---- */

bool market_apply_claim(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                        struct validation *val)
{
    struct market_claim cl;
    struct market_model m;
    struct market_flows f;
    unsigned __int128 shares = 0, snap;
    (void)ctx;
    if (!market_claim_decode(&cl, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_model(v, cl.model, &m, val))
        return false;
    if (market_has_data_providers(&m) && !market_data_shares(v, &m, tx->sender, &shares))
        return market_read_error(val);
    if (!market_get_snapshot(v, cl.model, tx->sender, &snap))
        return market_read_error(val);
    const uint64_t owed = shares ? market_owed(&m, shares, snap) : 0;
    if (owed == 0)
        return val_fail(val, VAL_STATE, REJECT_MARKET_NOTHING_TO_CLAIM);
    if (!market_get_flows(v, &f))
        return market_read_error(val);
    if (owed > m.bank || owed > f.banks)
        return val_fail(val, VAL_ERROR, REJECT_MARKET_OVERFLOW);
    m.bank -= owed;
    f.banks -= owed;
    if (!accounts_credit(v, tx->sender, owed, val))
        return false;
    market_put_snapshot(v, cl.model, tx->sender, m.acc);
    market_put_model(v, cl.model, &m);
    market_put_flows(v, &f);
    return market_write_done(v, val);
}
