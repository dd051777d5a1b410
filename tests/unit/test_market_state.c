/* The AI Market on a real chain, each rule by a test that fails without it:
 * the price rising under sustained demand and decaying back to its floor
 * (only the models called have their record rewritten), a composite's
 * payment reaching every component owner to the unit, a self-dealing loop
 * (own model, own provider, own calls) losing at least (beta - kappa) of
 * what it pays every block, also through self-owned compositions of depth
 * 1 to 7, the refusals (price above the max, unknown provider or model, not
 * the owner, expansion above 16, price at the cap above 10^12, shapes that
 * do not chain, a low stake, nothing to claim), an FL task's data providers
 * paid by their recorded contribution, with the conservation of every call
 * payment (paid in + mined = burned + distributed + carried), a settled
 * Arena task's winner paid as its only data provider, the pool cap burn,
 * the bound on the models a block touches, and a reorganization across
 * multiplier updates restoring the state root at every height.  The fixture checks the supply audit (Market stakes and
 * accruals included) after every block. */
#include "chain_fixture.h"
#include "consensus/arena.h"
#include "consensus/emission.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/market.h"
#include "consensus/txtypes.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/audit.h"
#include "state/fl.h"
#include "state/market.h"
#include "state/marketint.h"
#include "state/modules.h"
#include "tests/arena_fixture.h"

#define FEE 10000

static struct chain *chain;
static struct mempool *pool;

static void setup(void)
{
    fixture_setup();
    chain = open_chain();
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
}

static void teardown(void)
{
    mempool_free(pool);
    chain_close(chain);
    fixture_teardown();
}

static void produce_checked(void)
{
    produce(chain, pool);
    struct supply_audit a;
    ck_assert(supply_audit(chain, &a));
    ck_assert_msg(a.market_ok, "height %llu: the Market's totals do not match its records",
                  (unsigned long long)chain_height(chain));
}

static void advance_to(uint64_t h)
{
    while (chain_height(chain) + 1 < h)
        produce_checked();
    ck_assert_uint_eq(chain_height(chain) + 1, h);
}

/* ---- transactions ---- */

static void send(const struct party *p, uint8_t type, struct wbuf *w, const char *expect,
                 uint8_t txid_out[32])
{
    send_from(pool, p, type, w, FEE, expect, txid_out);
}

static void new_party(struct party *p, uint64_t funds)
{
    new_party_from(pool, p, funds, FEE);
}

static struct market_split split_of(uint16_t creator, uint16_t data, uint16_t provider)
{
    struct market_split s = {creator, data, provider};
    return s;
}

static void publish_tx(const struct party *owner, const struct market_publish *pb,
                       const char *expect, uint8_t id[32])
{
    struct wbuf w;
    wbuf_init(&w);
    market_publish_encode(pb, &w);
    send(owner, TX_MARKET_PUBLISH, &w, expect, id);
    wbuf_free(&w);
}

static void base_publish(struct market_publish *pb, const char *name, uint64_t base,
                         uint32_t target, struct market_split split)
{
    memset(pb, 0, sizeof(*pb));
    pb->name_len = (uint8_t)strlen(name);
    memcpy(pb->name, name, pb->name_len);
    pb->base_price = base;
    pb->target = target;
    pb->split = split;
}

/* An uploaded leaf of the given spec sizes (logistic for 2 sizes with out 1,
 * softmax for 2 sizes, MLP above), weights i x 3 - 7. */
static uint8_t upload_bytes[4 * 4096];
static void publish_upload(const struct party *owner, const char *name, const uint32_t *sizes,
                           uint32_t n_sizes, uint64_t base, uint32_t target,
                           struct market_split split, const char *expect, uint8_t id[32])
{
    struct market_publish pb;
    base_publish(&pb, name, base, target, split);
    pb.source = MARKET_SOURCE_UPLOAD;
    pb.spec.kind = n_sizes > 2 ? FL_MODEL_MLP : sizes[1] == 1 ? FL_MODEL_LOGREG : FL_MODEL_SOFTMAX;
    pb.spec.n_sizes = n_sizes;
    memcpy(pb.spec.sizes, sizes, n_sizes * sizeof(uint32_t));
    pb.n_weights = fl_param_count(&pb.spec);
    ck_assert_uint_le(pb.n_weights, 4096);
    for (uint64_t i = 0; i < pb.n_weights; i++)
        write_le32(upload_bytes + 4 * i, (uint32_t)(int32_t)(i * 3 - 7));
    pb.weights = upload_bytes;
    pb.mode = MARKET_MODE_NONE;
    publish_tx(owner, &pb, expect, id);
}

static const uint32_t LOGREG3[2] = {3, 1};

static void publish_leaf(const struct party *owner, uint64_t base, uint32_t target,
                         const char *expect, uint8_t id[32])
{
    publish_upload(owner, "leaf", LOGREG3, 2, base, target, split_of(5000, 0, 5000), expect, id);
}

static void publish_composite(const struct party *owner, uint8_t mode, uint8_t comps[][32],
                              unsigned k, uint64_t base, struct market_split split,
                              const char *expect, uint8_t id[32])
{
    struct market_publish pb;
    base_publish(&pb, "composite", base, 4, split);
    pb.source = MARKET_SOURCE_COMPOSITE;
    pb.mode = mode;
    pb.n_components = (uint8_t)k;
    for (unsigned i = 0; i < k; i++)
        memcpy(pb.components[i], comps[i], 32);
    publish_tx(owner, &pb, expect, id);
}

static void set_price(const struct party *p, const uint8_t model[32], uint64_t base,
                      uint32_t target, const char *expect)
{
    struct market_set_price sp;
    struct wbuf w;
    memcpy(sp.model, model, 32);
    sp.base_price = base;
    sp.target = target;
    wbuf_init(&w);
    market_set_price_encode(&sp, &w);
    send(p, TX_MARKET_SET_PRICE, &w, expect, NULL);
    wbuf_free(&w);
}

static void register_provider(const struct party *p, uint64_t stake, const char *expect)
{
    struct market_provider_register r;
    struct wbuf w;
    memset(&r, 0, sizeof(r));
    r.stake = stake;
    r.endpoint_len = 16;
    memcpy(r.endpoint, "http://127.0.0.1", 16);
    wbuf_init(&w);
    market_provider_register_encode(&r, &w);
    send(p, TX_MARKET_PROVIDER_REGISTER, &w, expect, NULL);
    wbuf_free(&w);
}

static void call(const struct party *payer, const uint8_t model[32], const uint8_t provider[32],
                 uint32_t calls, uint64_t max_price, const char *expect)
{
    struct market_call c;
    struct wbuf w;
    memcpy(c.model, model, 32);
    memcpy(c.provider, provider, 32);
    c.calls = calls;
    c.max_price = max_price;
    wbuf_init(&w);
    market_call_encode(&c, &w);
    send(payer, TX_MARKET_CALL, &w, expect, NULL);
    wbuf_free(&w);
}

static void claim(const struct party *p, const uint8_t model[32], const char *expect)
{
    struct market_claim c;
    struct wbuf w;
    memcpy(c.model, model, 32);
    wbuf_init(&w);
    market_claim_encode(&c, &w);
    send(p, TX_MARKET_CLAIM, &w, expect, NULL);
    wbuf_free(&w);
}

/* ---- state reads ---- */

static struct market_model model_of(const uint8_t id[32])
{
    struct market_model m;
    struct view *v = chain_view(chain);
    ck_assert(market_get_model(v, id, &m));
    view_free(v);
    m.spec.norm = NULL; /* the view is gone */
    return m;
}

/* The price per call for the next block. */
static uint64_t price_now(const uint8_t id[32])
{
    uint64_t price;
    struct view *v = chain_view(chain);
    ck_assert(market_price_at(v, &params, id, chain_height(chain) + 1, &price));
    view_free(v);
    return price;
}

static struct market_flows flows_now(void)
{
    struct market_flows f;
    struct view *v = chain_view(chain);
    ck_assert(market_get_flows(v, &f));
    view_free(v);
    return f;
}

static uint64_t market_pool_now(void)
{
    struct view *v = chain_view(chain);
    uint64_t x = view_get_u64(v, POOL_MARKET_KEY);
    view_free(v);
    return x;
}

static uint64_t supply_now(void)
{
    struct view *v = chain_view(chain);
    uint64_t x = view_get_u64(v, SUPPLY_KEY);
    view_free(v);
    return x;
}

/* gpool/market as the end of the next block finds it, before mining: what
 * it holds now plus that block's emission into it. */
static uint64_t pool_at_next_end(void)
{
    struct emission_split s;
    emission_split(&params, emission_at(&params, chain_height(chain) + 1, supply_now()), &s);
    return market_pool_now() + s.market;
}

/* ---- the price ---- */

/* Sustained demand above the target raises the multiplier by (7t + u)/8t a
 * block up to the cap; without calls it decays back to the floor, lazily:
 * the record is not rewritten.  Two calls in one block pay the same price
 * (as of the start of the block), and a model nobody calls keeps its
 * record. */
START_TEST(price_rises_under_demand_and_decays_back)
{
    struct party owner, payer, payer2, prov;
    uint8_t m[32], idle[32];
    const uint64_t base = 1000000;
    new_party(&owner, 100 * COIN);
    new_party(&payer, 1000 * COIN);
    new_party(&payer2, 1000 * COIN);
    new_party(&prov, 100 * COIN);
    produce_checked();
    publish_leaf(&owner, base, 1, NULL, m);
    publish_leaf(&owner, base, 1, NULL, idle);
    register_provider(&prov, params.market_min_provider_stake, NULL);
    produce_checked();
    const struct market_model idle0 = model_of(idle);
    ck_assert_uint_eq(price_now(m), base);
    uint64_t mult = MARKET_MULT_ONE, prev = base;
    /* Two payers in the first block: the same price for both. */
    {
        const uint64_t b1 = balance_of(chain, payer.pub), b2 = balance_of(chain, payer2.pub);
        call(&payer, m, prov.pub, 2, base, NULL);
        call(&payer2, m, prov.pub, 2, base, NULL);
        produce_checked();
        ck_assert_uint_eq(b1 - balance_of(chain, payer.pub), 2 * base + FEE);
        ck_assert_uint_eq(b2 - balance_of(chain, payer2.pub), 2 * base + FEE);
        mult = market_mult_next(mult, 4, 1, params.market_mult_cap);
        ck_assert_uint_eq(model_of(m).mult, mult);
        ck_assert_uint_gt(price_now(m), prev);
        prev = price_now(m);
    }
    int blocks = 0;
    while (mult < (uint64_t)params.market_mult_cap << 32) {
        ck_assert_int_lt(++blocks, 40);
        call(&payer, m, prov.pub, 4, prev, NULL);
        produce_checked();
        mult = market_mult_next(mult, 4, 1, params.market_mult_cap);
        struct market_model r = model_of(m);
        ck_assert_uint_eq(r.mult, mult);
        ck_assert_uint_eq(r.mult_height, chain_height(chain));
        uint64_t own, cplx;
        ck_assert(market_own_price(base, r.macs, params.market_fee_per_kmac, mult, &own, &cplx));
        ck_assert_uint_eq(price_now(m), own);
        ck_assert_uint_ge(price_now(m), prev);
        prev = price_now(m);
    }
    ck_assert_uint_eq(prev, base * params.market_mult_cap);
    /* Only the model called was rewritten. */
    struct market_model idle1 = model_of(idle);
    ck_assert_uint_eq(idle1.mult, idle0.mult);
    ck_assert_uint_eq(idle1.mult_height, idle0.mult_height);
    ck_assert_uint_eq(price_now(idle), base);
    /* Decay back to the floor without calls: never rising, and the record
     * untouched (the decay is lazy). */
    const struct market_model top = model_of(m);
    blocks = 0;
    while (price_now(m) > base) {
        ck_assert_int_lt(++blocks, 60);
        produce_checked();
        ck_assert_uint_le(price_now(m), prev);
        prev = price_now(m);
    }
    ck_assert_uint_eq(price_now(m), base);
    ck_assert_uint_eq(model_of(m).mult_height, top.mult_height);
    ck_assert_uint_eq(model_of(m).mult, top.mult);
    /* A call now pays the floor price, and the decayed value is the one
     * the end of its block updates. */
    const uint64_t b1 = balance_of(chain, payer.pub);
    call(&payer, m, prov.pub, 1, base, NULL);
    produce_checked();
    ck_assert_uint_eq(b1 - balance_of(chain, payer.pub), base + FEE);
    ck_assert_uint_eq(model_of(m).mult, market_mult_next(MARKET_MULT_ONE, 1, 1,
                                                         params.market_mult_cap));
}
END_TEST

/* ---- the payment ---- */

/* What one node of an expansion gets from `calls` calls at multiplier
 * 1.0 (every model here is fresh). */
static void node_pay(const struct market_model *x, uint64_t calls, struct market_pay *pay)
{
    uint64_t own, cplx;
    ck_assert(market_own_price(x->base_price, x->macs, params.market_fee_per_kmac,
                               MARKET_MULT_ONE, &own, &cplx));
    market_pay_split(calls * own, calls * cplx, &x->split, params.market_burn_bps, pay);
}

/* E = pipeline(D, C) with D = average(A, B), five owners: one payment of n
 * calls of E pays, walking E, D, A, B, C, each owner its model's creator
 * part (no data providers: uploads and composites) plus its mining, the
 * provider every complexity part and provider share, and burns the rest;
 * every amount exact. */
START_TEST(a_composite_pays_every_component_owner)
{
    struct party own[5], payer, prov;
    uint8_t id[5][32]; /* A, B, C, D, E */
    const uint32_t mlp[3] = {32, 32, 4}, soft[2] = {32, 4}, tail[2] = {4, 2};
    for (int i = 0; i < 5; i++)
        new_party(&own[i], 10 * COIN);
    new_party(&payer, 1000 * COIN);
    new_party(&prov, 10 * COIN);
    produce_checked();
    publish_upload(&own[0], "A", mlp, 3, 30000, 10, split_of(6000, 0, 4000), NULL, id[0]);
    publish_upload(&own[1], "B", soft, 2, 20000, 10, split_of(7000, 0, 3000), NULL, id[1]);
    publish_upload(&own[2], "C", tail, 2, 10000, 10, split_of(10000, 0, 0), NULL, id[2]);
    register_provider(&prov, 2 * COIN, NULL);
    produce_checked();
    uint8_t dc[2][32], ec[2][32];
    memcpy(dc[0], id[0], 32);
    memcpy(dc[1], id[1], 32);
    publish_composite(&own[3], MARKET_MODE_AVERAGE, dc, 2, 5000, split_of(8000, 0, 2000), NULL,
                      id[3]);
    produce_checked();
    memcpy(ec[0], id[3], 32);
    memcpy(ec[1], id[2], 32);
    publish_composite(&own[4], MARKET_MODE_PIPELINE, ec, 2, 4000, split_of(9000, 0, 1000), NULL,
                      id[4]);
    produce_checked();
    struct market_model e = model_of(id[4]);
    ck_assert_uint_eq(e.depth, 2);
    ck_assert_uint_eq(e.expansion, 5);
    ck_assert_uint_eq(e.n_inputs, 32);
    ck_assert_uint_eq(e.n_outputs, 2);
    ck_assert_uint_gt(model_of(id[0]).macs, 0);

    const uint32_t n = 7;
    /* Expected parts, walking E, D, A, B, C. */
    const int order[5] = {4, 3, 0, 1, 2};
    struct market_pay pay[5];
    uint64_t total = 0, burn = 0, to_prov = 0, cplx_sum = 0;
    for (int k = 0; k < 5; k++) {
        struct market_model x = model_of(id[order[k]]);
        uint64_t own_p, cplx;
        node_pay(&x, n, &pay[order[k]]);
        ck_assert(market_own_price(x.base_price, x.macs, params.market_fee_per_kmac,
                                   MARKET_MULT_ONE, &own_p, &cplx));
        cplx_sum += cplx;
        total += pay[order[k]].gross;
        burn += pay[order[k]].burn;
        to_prov += pay[order[k]].provider;
    }
    ck_assert_uint_gt(cplx_sum, 0); /* the MLP's multiply-adds cost */
    ck_assert_uint_eq(price_now(id[4]) * n, total);
    uint64_t before[5], prov0 = balance_of(chain, prov.pub), payer0 = balance_of(chain, payer.pub);
    for (int i = 0; i < 5; i++)
        before[i] = balance_of(chain, own[i].pub);
    const struct market_flows f0 = flows_now();
    const uint64_t B = pool_at_next_end();
    call(&payer, id[4], prov.pub, n, price_now(id[4]), NULL);
    produce_checked();
    const struct market_flows f1 = flows_now();
    ck_assert_uint_eq(payer0 - balance_of(chain, payer.pub), total + FEE);
    ck_assert_uint_eq(balance_of(chain, prov.pub) - prov0, to_prov);
    ck_assert_uint_eq(f1.call_burned - f0.call_burned, burn);
    uint64_t mined_sum = 0;
    for (int i = 0; i < 5; i++) {
        struct market_model x = model_of(id[i]);
        const uint64_t mined = market_mined(B, pay[i].gross, total, params.market_mine_bps);
        ck_assert_uint_gt(pay[i].creator, 0);
        ck_assert_uint_eq(x.mined, mined);
        ck_assert_uint_eq(x.calls, n);
        ck_assert_uint_eq(x.own_fees, pay[i].gross);
        ck_assert_uint_eq(x.paid_creator, pay[i].creator);
        ck_assert_uint_eq(balance_of(chain, own[i].pub) - before[i], pay[i].creator + mined);
        mined_sum += mined;
    }
    ck_assert_uint_eq(f1.mined - f0.mined, mined_sum);
    /* The provider's ledger: the calls of the top model paid by the payer. */
    struct view *v = chain_view(chain);
    ck_assert_uint_eq(market_get_paid_calls(v, id[4], prov.pub, payer.pub), n);
    ck_assert_uint_eq(market_get_paid_calls(v, id[3], prov.pub, payer.pub), 0);
    struct market_provider pr;
    ck_assert(market_get_provider(v, prov.pub, &pr));
    ck_assert_uint_eq(pr.calls, n);
    ck_assert_uint_eq(pr.earned, to_prov);
    ck_assert_uint_eq(pr.stake, 2 * COIN);
    /* The block's queue is gone with its end. */
    uint32_t touched;
    uint8_t qkey[MARKET_KEY_QUEUE_SIZE];
    const uint8_t *qv;
    size_t ql;
    ck_assert(market_get_touched(v, chain_height(chain), &touched));
    ck_assert_uint_eq(touched, 0);
    market_queue_key(qkey, chain_height(chain), 0);
    ck_assert(!view_get(v, qkey, sizeof(qkey), &qv, &ql));
    view_free(v);
}
END_TEST

/* ---- self-dealing ---- */

/* One block in which s buys `calls` calls of model from itself as the
 * provider: s's balance falls by at least (beta - kappa) of what it paid,
 * plus the fee. */
static void self_deal_block(const struct party *s, const uint8_t model[32], uint32_t calls)
{
    const uint64_t price = price_now(model);
    const uint64_t paid = price * calls;
    const uint64_t b0 = balance_of(chain, s->pub);
    const struct market_flows f0 = flows_now();
    call(s, model, s->pub, calls, price, NULL);
    produce_checked();
    const uint64_t b1 = balance_of(chain, s->pub);
    const struct market_flows f1 = flows_now();
    ck_assert_uint_gt(f1.mined, f0.mined); /* it did mine */
    ck_assert_msg(b1 < b0, "self-dealing gained %llu", (unsigned long long)(b1 - b0));
    const unsigned __int128 loss = b0 - b1 - FEE;
    ck_assert_msg(loss * 10000 >= (unsigned __int128)paid *
                                      (params.market_burn_bps - params.market_mine_bps),
                  "paid %llu, lost only %llu", (unsigned long long)paid,
                  (unsigned long long)loss);
}

/* A self-dealing loop (own model, own provider, own calls) loses money
 * every block even with a pool far larger than what it pays, directly,
 * through self-owned averages of depth 1 to 7 (depth 8 needs an expansion
 * of 17, above the bound) and through a chain of self-owned one-component
 * wrappers of depth 1 to 8 (depth 9 is above the depth bound). */
START_TEST(self_dealing_loses_every_block_at_any_depth)
{
    struct party s;
    uint8_t leaf[32], comp[8][32];
    new_party(&s, 1000 * COIN);
    for (int i = 0; i < 20; i++)
        produce_checked(); /* a pool of many coins */
    ck_assert_uint_gt(market_pool_now(), 1000 * 1000000ull);
    publish_leaf(&s, 100000, 4, NULL, leaf);
    register_provider(&s, params.market_min_provider_stake, NULL);
    produce_checked();
    for (int b = 0; b < 4; b++)
        self_deal_block(&s, leaf, 10);
    memcpy(comp[0], leaf, 32);
    for (int d = 1; d <= 7; d++) {
        uint8_t c[2][32];
        memcpy(c[0], comp[d - 1], 32);
        memcpy(c[1], leaf, 32);
        publish_composite(&s, MARKET_MODE_AVERAGE, c, 2, 50000, split_of(10000, 0, 0), NULL,
                          comp[d]);
        produce_checked();
        struct market_model m = model_of(comp[d]);
        ck_assert_uint_eq(m.depth, (unsigned)d);
        ck_assert_uint_eq(m.expansion, (unsigned)(2 * d + 1));
        for (int b = 0; b < 2; b++)
            self_deal_block(&s, comp[d], 10);
    }
    /* Depth 8 would be an expansion of 17. */
    uint8_t c[2][32], id[32];
    memcpy(c[0], comp[7], 32);
    memcpy(c[1], leaf, 32);
    publish_composite(&s, MARKET_MODE_AVERAGE, c, 2, 50000, split_of(10000, 0, 0),
                      "market-bad-component", id);
    /* Wrappers: each the one component of the next, every one self-owned
     * and priced. */
    uint8_t wrap[MARKET_MAX_DEPTH + 2][32];
    memcpy(wrap[0], leaf, 32);
    for (int d = 1; d <= MARKET_MAX_DEPTH; d++) {
        uint8_t w1[1][32];
        memcpy(w1[0], wrap[d - 1], 32);
        publish_composite(&s, MARKET_MODE_PIPELINE, w1, 1, 20000, split_of(9000, 0, 1000),
                          NULL, wrap[d]);
        produce_checked();
        struct market_model m = model_of(wrap[d]);
        ck_assert_uint_eq(m.depth, (unsigned)d);
        ck_assert_uint_eq(m.expansion, (unsigned)(d + 1));
        self_deal_block(&s, wrap[d], 10);
    }
    uint8_t w1[1][32];
    memcpy(w1[0], wrap[MARKET_MAX_DEPTH], 32);
    publish_composite(&s, MARKET_MODE_PIPELINE, w1, 1, 20000, split_of(9000, 0, 1000),
                      "market-bad-component", id);
}
END_TEST

/* ---- refusals ---- */

START_TEST(refusals)
{
    struct party owner, other, prov;
    uint8_t a[32], one[32], id[32], unknown[32];
    const uint32_t one_in[2] = {1, 1}, soft[2] = {3, 2};
    new_party(&owner, 100 * COIN);
    new_party(&other, 100 * COIN);
    new_party(&prov, 100 * COIN);
    produce_checked();
    /* A provider's first stake below the minimum. */
    register_provider(&prov, params.market_min_provider_stake - 1, "market-stake-low");
    register_provider(&prov, params.market_min_provider_stake, NULL);
    publish_leaf(&owner, 1000, 1, NULL, a);
    publish_upload(&owner, "one", one_in, 2, 1000, 1, split_of(5000, 0, 5000), NULL, one);
    /* The price at the multiplier cap above 10^12 a call. */
    const uint64_t too_high = MARKET_MAX_PRICE_AT_CAP / params.market_mult_cap + 1;
    publish_leaf(&owner, too_high, 1, "market-price-too-high", id);
    produce_checked();
    publish_leaf(&owner, too_high - 1, 1, NULL, id);
    produce_checked();
    /* A composite's own price at the cap plus its components'. */
    uint8_t c[2][32];
    memcpy(c[0], a, 32);
    memcpy(c[1], id, 32);
    publish_composite(&owner, MARKET_MODE_AVERAGE, c, 2, 1000, split_of(10000, 0, 0),
                      "market-price-too-high", unknown);
    set_price(&owner, a, too_high, 1, "market-price-too-high");
    /* Not the owner. */
    set_price(&other, a, 2000, 1, "market-not-owner");
    /* Shapes: averaging 3 -> 1 with 1 -> 1, a pipeline 3 -> 1 into 3 -> 2. */
    memcpy(c[1], one, 32);
    publish_composite(&owner, MARKET_MODE_AVERAGE, c, 2, 1000, split_of(10000, 0, 0),
                      "market-bad-component", unknown);
    uint8_t sm[32];
    publish_upload(&owner, "soft", soft, 2, 1000, 1, split_of(5000, 0, 5000), NULL, sm);
    produce_checked();
    memcpy(c[1], sm, 32);
    publish_composite(&owner, MARKET_MODE_PIPELINE, c, 2, 1000, split_of(10000, 0, 0),
                      "market-bad-component", unknown);
    /* ... and chained right they pass. */
    memcpy(c[1], one, 32);
    publish_composite(&owner, MARKET_MODE_PIPELINE, c, 2, 1000, split_of(10000, 0, 0), NULL,
                      unknown);
    /* Unknown component, model, provider. */
    uint8_t none[32];
    memset(none, 0x5a, 32);
    memcpy(c[1], none, 32);
    publish_composite(&owner, MARKET_MODE_AVERAGE, c, 2, 1000, split_of(10000, 0, 0),
                      "market-unknown-model", id);
    call(&other, none, prov.pub, 1, 1000, "market-unknown-model");
    call(&other, a, other.pub, 1, 1000, "market-unknown-provider");
    /* The max price. */
    call(&other, a, prov.pub, 1, price_now(a) - 1, "market-price-above-max");
    call(&other, a, prov.pub, 1, price_now(a), NULL);
    /* Nothing to claim from an upload, or from nothing. */
    claim(&other, a, "market-nothing-to-claim");
    claim(&other, none, "market-unknown-model");
    /* Not the owner of an FL task. */
    struct market_publish pb;
    base_publish(&pb, "fl", 1000, 1, split_of(5000, 2000, 3000));
    pb.source = MARKET_SOURCE_FL;
    memset(pb.source_id, 0x11, 32);
    publish_tx(&owner, &pb, "market-source-not-ready", id);
    produce_checked();
}
END_TEST

/* ---- reorganization ---- */

#define MAXH 256
static uint8_t roots[MAXH][32];

/* Publications, a provider, calls that move the multipliers of a
 * composite and its components over several blocks, a price change and
 * the decay after them, then every block disconnected back to before the
 * first, each height's state root restored, and connected again to the
 * same root. */
START_TEST(reorganization_across_multiplier_updates)
{
    struct party owner, payer, prov;
    uint8_t a[32], b[32], comp[32];
    new_party(&owner, 100 * COIN);
    new_party(&payer, 1000 * COIN);
    new_party(&prov, 100 * COIN);
    produce_checked();
    const uint64_t base = chain_height(chain);
    chain_state_root(chain, roots[base]);
    publish_leaf(&owner, 100000, 1, NULL, a);
    publish_leaf(&owner, 200000, 2, NULL, b);
    register_provider(&prov, params.market_min_provider_stake, NULL);
    produce_checked();
    uint8_t c[2][32];
    memcpy(c[0], a, 32);
    memcpy(c[1], b, 32);
    publish_composite(&owner, MARKET_MODE_AVERAGE, c, 2, 5000, split_of(5000, 0, 5000), NULL,
                      comp);
    produce_checked();
    for (int i = 0; i < 4; i++) {
        call(&payer, comp, prov.pub, 5, price_now(comp), NULL);
        call(&payer, a, prov.pub, 3, price_now(a), NULL);
        produce_checked();
    }
    ck_assert_uint_gt(model_of(a).mult, MARKET_MULT_ONE);
    set_price(&owner, a, 150000, 3, NULL);
    produce_checked();
    for (int i = 0; i < 3; i++)
        produce_checked();
    call(&payer, comp, prov.pub, 1, price_now(comp), NULL);
    produce_checked();
    const uint64_t top = chain_height(chain);
    ck_assert_uint_lt(top, MAXH);
    for (uint64_t h = base + 1; h <= top; h++)
        memcpy(roots[h], chain_at(chain, h)->hdr.state_root, 32);
    uint8_t top_root[32], first_hash[32], root[32];
    chain_state_root(chain, top_root);
    ck_assert_mem_eq(top_root, roots[top], 32);
    memcpy(first_hash, chain_at(chain, base + 1)->hash, 32);
    invalidate_to(chain, base, roots);
    struct view *v = chain_view(chain);
    struct market_model m;
    ck_assert(!market_get_model(v, a, &m));
    ck_assert_uint_eq(market_model_count(v), 0);
    view_free(v);
    struct validation val;
    ck_assert(chain_reconsider(chain, first_hash, &val));
    ck_assert_uint_eq(chain_height(chain), top);
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, top_root, 32);
    check_supply(chain);
    ck_assert_uint_eq(model_of(a).base_price, 150000);
}
END_TEST

/* ---- FL data providers ---- */

#define NPARAMS 4
#define NP 4

static void fl_send_payload(const struct party *p, uint8_t type, struct wbuf *w)
{
    send(p, type, w, NULL, NULL);
}

static void salt_of(const struct party *p, uint32_t round, char kind, uint8_t salt[32])
{
    memcpy(salt, p->pub, 32);
    salt[0] ^= (uint8_t)round;
    salt[1] ^= (uint8_t)kind;
}

static void fl_weights(int32_t w[NPARAMS], uint32_t round, int who, uint8_t out[4 * NPARAMS])
{
    for (int j = 0; j < NPARAMS; j++) {
        w[j] = (int32_t)((int64_t)round * 65536 + j * 1000 - who * 7 - (j == 3 ? 200000 : 0));
        write_le32(out + 4 * j, (uint32_t)w[j]);
    }
}

static int fl_role(const uint8_t task[32], uint32_t round, const struct party *p)
{
    struct fl_entry e;
    struct view *v = chain_view(chain);
    bool found = fl_get_entry(v, task, round, p->pub, &e);
    view_free(v);
    return found ? e.role : 0;
}

static struct fl_status fl_status_of(const uint8_t task[32])
{
    struct fl_status st;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_status(v, task, &st));
    view_free(v);
    return st;
}

static unsigned __int128 contribution_of(const uint8_t task[32], const struct party *p)
{
    struct fl_participant fp;
    struct view *v = chain_view(chain);
    bool found = fl_get_participant(v, task, p->pub, &fp);
    view_free(v);
    return found ? fp.contribution : 0;
}

/* One honest round: every proposer's update, every participant's yes. */
static void fl_round(const uint8_t task[32], uint32_t r, struct party *ps)
{
    struct fl_windows win;
    struct fl_task t;
    struct fl_round rd;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_task(v, task, &t) && fl_get_round(v, task, r, &rd));
    fl_round_windows(&t.p, rd.start, &win);
    view_free(v);
    struct wbuf w;
    wbuf_init(&w);
    int32_t wt[NPARAMS];
    uint8_t bytes[4 * NPARAMS], mh[32], salt[32];
    advance_to(win.submit_start);
    for (int i = 0; i < NP; i++)
        if (fl_role(task, r, &ps[i]) == FL_ROLE_PROPOSER) {
            struct fl_update_commit uc;
            fl_weights(wt, r, i, bytes);
            fl_model_hash(mh, bytes, NPARAMS);
            salt_of(&ps[i], r, 'u', salt);
            memcpy(uc.task, task, 32);
            uc.round = r;
            fl_update_commitment(uc.commitment, task, r, ps[i].pub, mh, salt);
            fl_update_commit_encode(&uc, &w);
            fl_send_payload(&ps[i], TX_FL_UPDATE_COMMIT, &w);
        }
    produce_checked();
    advance_to(win.update_reveal_start);
    int nrev = 0;
    for (int i = 0; i < NP; i++)
        if (fl_role(task, r, &ps[i]) == FL_ROLE_PROPOSER) {
            struct fl_update_reveal ur;
            fl_weights(wt, r, i, bytes);
            memcpy(ur.task, task, 32);
            ur.round = r;
            salt_of(&ps[i], r, 'u', ur.salt);
            ur.n = NPARAMS;
            ur.weights = bytes;
            fl_update_reveal_encode(&ur, &w);
            fl_send_payload(&ps[i], TX_FL_UPDATE_REVEAL, &w);
            nrev++;
        }
    produce_checked();
    uint8_t verdicts[FL_VERDICT_SIZE * FL_MAX_SLOTS];
    for (int k = 0; k < nrev; k++) {
        verdicts[FL_VERDICT_SIZE * k] = 1;
        write_le32(verdicts + FL_VERDICT_SIZE * k + 1, 40000);
    }
    advance_to(win.commit_start);
    for (int i = 0; i < NP; i++)
        if (fl_role(task, r, &ps[i]) != 0) {
            struct fl_vote_commit vc;
            salt_of(&ps[i], r, 'v', salt);
            memcpy(vc.task, task, 32);
            vc.round = r;
            fl_vote_commitment(vc.commitment, task, r, ps[i].pub, (size_t)nrev, verdicts, salt);
            fl_vote_commit_encode(&vc, &w);
            fl_send_payload(&ps[i], TX_FL_VOTE_COMMIT, &w);
        }
    produce_checked();
    advance_to(win.reveal_start);
    for (int i = 0; i < NP; i++)
        if (fl_role(task, r, &ps[i]) != 0) {
            struct fl_vote_reveal vr;
            memcpy(vr.task, task, 32);
            vr.round = r;
            salt_of(&ps[i], r, 'v', vr.salt);
            vr.n = (size_t)nrev;
            vr.verdicts = verdicts;
            fl_vote_reveal_encode(&vr, &w);
            fl_send_payload(&ps[i], TX_FL_VOTE_REVEAL, &w);
        }
    produce_checked();
    advance_to(win.reveal_end);
    produce_checked(); /* finalized */
    wbuf_free(&w);
}

/* A completed FL task published by its creator: its data providers are its
 * participants, each with shares = its recorded contribution.  Calls accrue
 * their part lazily; each participant's claim pays floor(contribution x
 * acc / 2^64), the sum within the units of rounding of what accrued, a
 * second claim nothing.  Every call block conserves: what the payer paid
 * plus what was mined = what was burned + credited to the owner and the
 * provider + carried in the accruals; and the audit's Market totals match
 * the records. */
START_TEST(claims_pay_fl_data_providers_by_contribution)
{
    struct party creator, ps[NP], payer, prov;
    uint8_t task[32], model[32];
    new_party(&creator, 2000 * COIN);
    for (int i = 0; i < NP; i++)
        new_party(&ps[i], 1000 * COIN);
    new_party(&payer, 1000 * COIN);
    new_party(&prov, 100 * COIN);
    produce_checked();
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.rounds = 2;
    struct wbuf w;
    wbuf_init(&w);
    fl_task_params_encode(&tp, &w);
    send(&creator, TX_FL_TASK_CREATE, &w, NULL, task);
    produce_checked();
    const uint64_t h0 = chain_height(chain);
    for (int i = 0; i < NP; i++) {
        struct fl_join j;
        memcpy(j.task, task, 32);
        j.stake = 50 * COIN;
        fl_join_encode(&j, &w);
        send(&ps[i], TX_FL_JOIN, &w, NULL, NULL);
    }
    wbuf_free(&w);
    /* Publishing before the task completed is refused. */
    struct market_publish pb;
    base_publish(&pb, "hospitals", 500000, 4, split_of(3000, 5000, 2000));
    pb.source = MARKET_SOURCE_FL;
    memcpy(pb.source_id, task, 32);
    publish_tx(&creator, &pb, "market-source-not-ready", model);
    advance_to(h0 + tp.join_blocks + 1);
    for (uint32_t r = 1; r <= tp.rounds && fl_status_of(task).state == FL_TASK_RUNNING; r++)
        fl_round(task, r, ps);
    while (fl_status_of(task).state == FL_TASK_RUNNING)
        produce_checked();
    const struct fl_status st = fl_status_of(task);
    ck_assert_uint_eq(st.state, FL_TASK_COMPLETED);
    ck_assert_uint_ge(st.model_round, 1);
    unsigned __int128 sum = 0;
    for (int i = 0; i < NP; i++)
        sum += contribution_of(task, &ps[i]);
    ck_assert(st.contribution > 0);
    ck_assert(st.contribution == sum);
    /* Only the task's creator publishes it. */
    publish_tx(&ps[0], &pb, "market-not-owner", model);
    publish_tx(&creator, &pb, NULL, model);
    register_provider(&prov, 3 * COIN, NULL);
    produce_checked();
    struct market_model m = model_of(model);
    ck_assert(m.data_shares == st.contribution);
    ck_assert_uint_eq(m.model_round, st.model_round);
    ck_assert_mem_eq(m.model_hash, st.model_hash, 32);
    ck_assert_uint_eq(m.n_inputs, 3);
    {
        struct view *v = chain_view(chain);
        const uint8_t *wd;
        size_t wl;
        ck_assert(market_get_weights(v, &m, &wd, &wl));
        ck_assert_uint_eq(wl, 4 * NPARAMS);
        view_free(v);
    }
    /* Calls over a few blocks, each conserving. */
    for (int b = 0; b < 3; b++) {
        const uint64_t price = price_now(model);
        const uint32_t n = 9;
        const uint64_t payer0 = balance_of(chain, payer.pub), cr0 = balance_of(chain, creator.pub),
                       pv0 = balance_of(chain, prov.pub);
        const struct market_flows f0 = flows_now();
        /* The exact parts: the payment's split, then the mining split
         * creator : data. */
        const struct market_model m0 = model_of(model);
        uint64_t own_p, cplx;
        ck_assert(market_own_price(m0.base_price, m0.macs, params.market_fee_per_kmac,
                                   market_mult_at(&params, &m0, chain_height(chain) + 1), &own_p,
                                   &cplx));
        ck_assert_uint_eq(own_p, price);
        struct market_pay pay;
        market_pay_split((uint64_t)n * own_p, (uint64_t)n * cplx, &m0.split,
                         params.market_burn_bps, &pay);
        const uint64_t xmined = market_mined(pool_at_next_end(), pay.gross, pay.gross,
                                             params.market_mine_bps);
        const uint64_t xmined_data = xmined * 5000 / 8000;
        call(&payer, model, prov.pub, n, price, NULL);
        produce_checked();
        const struct market_flows f1 = flows_now();
        const uint64_t paid = payer0 - balance_of(chain, payer.pub) - FEE;
        ck_assert_uint_eq(paid, (uint64_t)n * price);
        const uint64_t mined = f1.mined - f0.mined;
        ck_assert_uint_gt(mined, 0);
        ck_assert_uint_eq(mined, xmined);
        ck_assert_uint_gt(pay.data, 0);
        ck_assert_uint_eq(f1.banks - f0.banks, pay.data + xmined_data);
        ck_assert_uint_eq(model_of(model).bank - m0.bank, pay.data + xmined_data);
        ck_assert_uint_eq(balance_of(chain, creator.pub) - cr0, pay.creator + xmined - xmined_data);
        ck_assert_uint_eq(balance_of(chain, prov.pub) - pv0, pay.provider);
        ck_assert_uint_le(mined, paid * params.market_mine_bps / 10000);
        ck_assert_uint_eq(paid + mined, (f1.call_burned - f0.call_burned) +
                                            (balance_of(chain, creator.pub) - cr0) +
                                            (balance_of(chain, prov.pub) - pv0) +
                                            (f1.banks - f0.banks));
    }
    m = model_of(model);
    ck_assert_uint_gt(m.bank, 0);
    struct supply_audit a;
    ck_assert(supply_audit(chain, &a));
    ck_assert_uint_eq(a.market_banks, m.bank);
    ck_assert_uint_eq(a.market_stakes, 3 * COIN);
    ck_assert(a.supply_ok && a.rewards_ok && a.issued_ok);
    /* Each participant claims floor(contribution x acc / 2^64). */
    uint64_t owed[NP], bal[NP], claimed = 0;
    const uint64_t bank0 = m.bank;
    for (int i = 0; i < NP; i++) {
        const unsigned __int128 c = contribution_of(task, &ps[i]);
        owed[i] = market_owed(&m, c, 0);
        struct view *v = chain_view(chain);
        ck_assert_uint_eq(market_pending(v, model, &m, ps[i].pub), owed[i]);
        view_free(v);
        bal[i] = balance_of(chain, ps[i].pub);
        claim(&ps[i], model, owed[i] ? NULL : "market-nothing-to-claim");
        claimed += owed[i];
    }
    /* The creator, no participant, has no shares. */
    claim(&creator, model, "market-nothing-to-claim");
    produce_checked();
    for (int i = 0; i < NP; i++) {
        if (owed[i])
            ck_assert_uint_eq(balance_of(chain, ps[i].pub), bal[i] + owed[i] - FEE);
        else
            ck_assert_uint_eq(balance_of(chain, ps[i].pub), bal[i]);
    }
    ck_assert_uint_gt(claimed, 0);
    ck_assert_uint_le(claimed, bank0);
    ck_assert_uint_ge(claimed + NP, bank0);
    ck_assert_uint_eq(model_of(model).bank, bank0 - claimed);
    ck_assert_uint_eq(flows_now().banks, bank0 - claimed);
    /* Claimed: nothing more until more calls. */
    for (int i = 0; i < NP; i++)
        if (owed[i])
            claim(&ps[i], model, "market-nothing-to-claim");
}
END_TEST

/* ---- an Arena winner ---- */

static bool apply_in(struct view *v, struct block_ctx *ctx, const struct party *p, uint8_t type,
                     struct wbuf *w, uint64_t nonce, struct validation *val, uint8_t id[32])
{
    struct tx tx;
    make_tx_sec(&tx, p->sec, type, w, nonce, 0);
    if (id)
        tx_txid(&tx, id);
    val_init(val);
    bool ok = txrules_get(type)->apply(v, ctx, &tx, val);
    tx_free(&tx);
    wbuf_reset(w);
    return ok;
}

/* A settled Arena task's records written into a view (its rules have their
 * own tests): the creator publishes the winner, the rank-1 trainer with
 * the lowest commit seq, whose revealed weights the record names; the data
 * providers' part of a call accrues to the winner alone (one share), who
 * claims it; another trainer of rank 1 and the creator have nothing to
 * claim; publishing before the settlement or by another is refused. */
START_TEST(an_arena_winner_is_its_data_provider)
{
    struct party creator, t1, t2, t3, prov, payer;
    struct party *all[6] = {&creator, &t1, &t2, &t3, &prov, &payer};
    uint8_t task[32], model[32];
    produce_checked();
    struct view *v = chain_view(chain);
    struct validation val;
    for (int i = 0; i < 6; i++) {
        randombytes_buf(all[i]->sec, 32);
        ck_assert(key_pubkey(all[i]->pub, all[i]->sec));
        ck_assert(accounts_credit(v, all[i]->pub, 100 * COIN, &val));
    }
    /* (The view is dropped: the credits need not balance the supply.) */
    memset(task, 0x7a, 32);
    struct arena_task t;
    memset(&t, 0, sizeof(t));
    memcpy(t.creator, creator.pub, 32);
    t.created_height = 1;
    t.p = fixture_arena_task(10 * COIN);
    arena_windows(&t, &t.w);
    arena_put_task(v, task, &t);
    struct arena_status st;
    memset(&st, 0, sizeof(st));
    st.state = ARENA_SCORING;
    arena_put_status(v, task, &st);
    static struct arena_results res;
    memset(&res, 0, sizeof(res));
    res.k = 2;
    res.m = 3;
    const struct party *tr[3] = {&t1, &t2, &t3};
    const uint16_t rank[3] = {2, 1, 1};
    for (int i = 0; i < 3; i++) {
        memcpy(res.r[i].trainer, tr[i]->pub, 32);
        res.r[i].seq = (uint32_t)i;
        res.r[i].rank = rank[i];
    }
    arena_put_results(v, task, &res);
    uint8_t wb[16];
    for (int j = 0; j < 4; j++)
        write_le32(wb + 4 * j, (uint32_t)(j * 65536 - 3));
    arena_put_weights(v, task, t2.pub, wb, 4);
    arena_put_weights(v, task, t3.pub, wb, 4);

    struct block_header hdr;
    memset(&hdr, 0, sizeof(hdr));
    hdr.height = chain_height(chain) + 1;
    struct block_ctx ctx = {.params = &params, .hdr = &hdr, .prev_slot = 0, .fees = 0};
    struct market_publish pb;
    base_publish(&pb, "arena", 200000, 2, split_of(4000, 4000, 2000));
    pb.source = MARKET_SOURCE_ARENA;
    memcpy(pb.source_id, task, 32);
    struct wbuf w;
    wbuf_init(&w);
    market_publish_encode(&pb, &w);
    ck_assert(!apply_in(v, &ctx, &creator, TX_MARKET_PUBLISH, &w, 0, &val, model));
    ck_assert_str_eq(val.reason, "market-source-not-ready");
    st.state = ARENA_SETTLED;
    arena_put_status(v, task, &st);
    market_publish_encode(&pb, &w);
    ck_assert(!apply_in(v, &ctx, &t2, TX_MARKET_PUBLISH, &w, 0, &val, model));
    ck_assert_str_eq(val.reason, "market-not-owner");
    market_publish_encode(&pb, &w);
    ck_assert_msg(apply_in(v, &ctx, &creator, TX_MARKET_PUBLISH, &w, 0, &val, model), "%s %s",
                  val.reason, val.detail);
    struct market_model m;
    ck_assert(market_get_model(v, model, &m));
    ck_assert_mem_eq(m.winner, t2.pub, 32);
    ck_assert(m.data_shares == 1);
    const uint8_t *wd;
    size_t wl;
    ck_assert(market_get_weights(v, &m, &wd, &wl));
    ck_assert_uint_eq(wl, 16);
    ck_assert_mem_eq(wd, wb, 16);
    uint8_t mh[32];
    fl_model_hash(mh, wb, 4);
    ck_assert_mem_eq(m.model_hash, mh, 32);

    struct market_provider_register r;
    memset(&r, 0, sizeof(r));
    r.stake = params.market_min_provider_stake;
    market_provider_register_encode(&r, &w);
    ck_assert(apply_in(v, &ctx, &prov, TX_MARKET_PROVIDER_REGISTER, &w, 0, &val, NULL));
    struct market_call c;
    memcpy(c.model, model, 32);
    memcpy(c.provider, prov.pub, 32);
    c.calls = 11;
    c.max_price = 200000;
    market_call_encode(&c, &w);
    const uint64_t B = view_get_u64(v, POOL_MARKET_KEY);
    ck_assert(apply_in(v, &ctx, &payer, TX_MARKET_CALL, &w, 0, &val, NULL));
    ck_assert(market_end_block(v, &ctx, &val));
    struct market_pay pay;
    uint64_t own_p, cplx;
    ck_assert(market_own_price(200000, m.macs, params.market_fee_per_kmac, MARKET_MULT_ONE,
                               &own_p, &cplx));
    market_pay_split(11 * own_p, 11 * cplx, &pb.split, params.market_burn_bps, &pay);
    const uint64_t mined = market_mined(B, pay.gross, pay.gross, params.market_mine_bps);
    const uint64_t owed = pay.data + mined * 4000 / 8000;
    ck_assert_uint_gt(owed, 0);
    ck_assert(market_get_model(v, model, &m));
    ck_assert_uint_eq(m.bank, owed);
    ck_assert_uint_eq(market_pending(v, model, &m, t2.pub), owed);
    ck_assert_uint_eq(market_pending(v, model, &m, t3.pub), 0);
    struct market_claim cl;
    memcpy(cl.model, model, 32);
    market_claim_encode(&cl, &w);
    ck_assert(!apply_in(v, &ctx, &t3, TX_MARKET_CLAIM, &w, 0, &val, NULL));
    ck_assert_str_eq(val.reason, "market-nothing-to-claim");
    market_claim_encode(&cl, &w);
    ck_assert(!apply_in(v, &ctx, &creator, TX_MARKET_CLAIM, &w, 1, &val, NULL));
    ck_assert_str_eq(val.reason, "market-nothing-to-claim");
    struct account acct;
    ck_assert(accounts_get(v, t2.pub, &acct));
    const uint64_t b0 = acct.balance;
    market_claim_encode(&cl, &w);
    ck_assert(apply_in(v, &ctx, &t2, TX_MARKET_CLAIM, &w, 0, &val, NULL));
    ck_assert(accounts_get(v, t2.pub, &acct));
    ck_assert_uint_eq(acct.balance, b0 + owed);
    ck_assert(market_get_model(v, model, &m));
    ck_assert_uint_eq(m.bank, 0);
    market_claim_encode(&cl, &w);
    ck_assert(!apply_in(v, &ctx, &t2, TX_MARKET_CLAIM, &w, 1, &val, NULL));
    ck_assert_str_eq(val.reason, "market-nothing-to-claim");
    wbuf_free(&w);
    ck_assert(!view_failed(v));
    view_free(v);
}
END_TEST

/* ---- the pool cap ---- */

/* gpool/market above market_pool_cap_blocks x the Market part of the
 * height's emission is burned at the end of the block: the supply down by
 * it, gstats burned and the pool's burned flow up; emission in is counted
 * in pool_in. */
START_TEST(the_market_pool_cap_burns_the_excess)
{
    for (int i = 0; i < 5; i++)
        produce_checked();
    const uint32_t saved = params.market_pool_cap_blocks;
    struct supply_audit a0, a1;
    ck_assert(supply_audit(chain, &a0));
    const uint64_t in_block = pool_at_next_end() - market_pool_now();
    ck_assert_uint_gt(in_block, 0);
    const uint64_t before = pool_at_next_end();
    params.market_pool_cap_blocks = 2;
    const uint64_t h = chain_height(chain) + 1;
    const uint64_t cap = market_pool_cap(2, emission_at(&params, h, 0), params.split_market_bps);
    ck_assert_uint_gt(before, cap);
    produce_checked();
    params.market_pool_cap_blocks = saved;
    ck_assert(supply_audit(chain, &a1));
    ck_assert_uint_eq(market_pool_now(), cap);
    ck_assert_uint_eq(a1.market_pool_burned - a0.market_pool_burned, before - cap);
    ck_assert_uint_eq(a1.burned - a0.burned, before - cap);
    ck_assert_uint_eq(a1.market_pool_in - a0.market_pool_in, in_block);
    ck_assert_uint_eq(a1.supply + (before - cap), a0.supply + (a1.minted - a0.minted));
    /* The next block under the usual cap burns nothing. */
    produce_checked();
    ck_assert(supply_audit(chain, &a0));
    ck_assert_uint_eq(a0.market_pool_burned, a1.market_pool_burned);
}
END_TEST

/* ---- the work of a block's end ---- */

/* The models one block's calls may touch are bounded: the queue of a
 * height takes MARKET_MAX_HEIGHT_TOUCHED models, the next one is
 * market-height-full; the queue of another height is apart. */
START_TEST(models_touched_per_height_are_bounded)
{
    struct view *v = chain_view(chain);
    struct validation val;
    uint8_t id[32];
    memset(id, 0, 32);
    for (uint32_t i = 0; i < MARKET_MAX_HEIGHT_TOUCHED; i++) {
        write_le32(id, i);
        val_init(&val);
        ck_assert_msg(market_touch(v, 5, id, &val), "touch %u: %s", i, val.reason);
    }
    uint32_t n;
    ck_assert(market_get_touched(v, 5, &n));
    ck_assert_uint_eq(n, MARKET_MAX_HEIGHT_TOUCHED);
    val_init(&val);
    ck_assert(!market_touch(v, 5, id, &val));
    ck_assert_str_eq(val.reason, "market-height-full");
    val_init(&val);
    ck_assert(market_touch(v, 6, id, &val));
    view_free(v);
}
END_TEST

/* ---- bounded records ---- */

/* The bytes a view's changes write (new values) and keep for undo (old
 * values), keys included. */
static size_t change_bytes(struct view *v, size_t *model_record)
{
    size_t n, sum = 0;
    const struct view_change *c = view_changes(v, &n);
    for (size_t i = 0; i < n; i++) {
        sum += c[i].klen + c[i].old_len + c[i].cur_len;
        if (model_record && c[i].klen == MARKET_KEY_MODEL_SIZE && c[i].key[1] == 'M' &&
            c[i].cur_len > *model_record)
            *model_record = c[i].cur_len;
    }
    return sum;
}

/* One call of model in a block of its own (child of v), then the end of that
 * block: the bytes written and kept for undo. */
static size_t call_block_bytes(struct view *v, uint64_t height, const struct party *payer,
                               const struct party *prov, const uint8_t model[32],
                               uint64_t nonce, size_t *model_record)
{
    struct block_header hdr;
    struct validation val;
    struct wbuf w;
    struct market_call c;
    memset(&hdr, 0, sizeof(hdr));
    hdr.height = height;
    struct block_ctx ctx = {.params = &params, .hdr = &hdr, .prev_slot = 0, .fees = 0};
    struct view *b = view_new(NULL, v);
    ck_assert_ptr_nonnull(b);
    memcpy(c.model, model, 32);
    memcpy(c.provider, prov->pub, 32);
    c.calls = 3;
    c.max_price = UINT64_MAX;
    wbuf_init(&w);
    market_call_encode(&c, &w);
    ck_assert_msg(apply_in(b, &ctx, payer, TX_MARKET_CALL, &w, nonce, &val, NULL), "%s %s",
                  val.reason, val.detail);
    wbuf_free(&w);
    ck_assert(market_end_block(b, &ctx, &val));
    size_t bytes = change_bytes(b, model_record);
    view_free(b);
    return bytes;
}

/* The model record is read and rewritten by every call visiting the model
 * and by the end of its block: it must not carry the normalization (up to
 * 65,535 pairs for an upload, more for an FL task).  An upload of the
 * largest normalization (logistic 65535 -> 1, 786 KB of payload) has a
 * record the size of one without any; a block calling it writes and keeps
 * for undo exactly what a block calling the normalization-free twin does;
 * and the full spec is still served by market_get_spec. */
START_TEST(the_model_record_does_not_grow_with_the_normalization)
{
    enum { IN = 65535 };
    struct party owner, payer, prov;
    struct party *all[3] = {&owner, &payer, &prov};
    uint8_t big[32], small[32];
    struct validation val;
    produce_checked();
    struct view *v = chain_view(chain);
    for (int i = 0; i < 3; i++) {
        randombytes_buf(all[i]->sec, 32);
        ck_assert(key_pubkey(all[i]->pub, all[i]->sec));
        ck_assert(accounts_credit(v, all[i]->pub, 10 * params.market_min_provider_stake + 100 * COIN, &val));
    }
    /* (The view is dropped: the credits need not balance the supply.) */
    struct block_header hdr;
    memset(&hdr, 0, sizeof(hdr));
    hdr.height = chain_height(chain) + 1;
    struct block_ctx ctx = {.params = &params, .hdr = &hdr, .prev_slot = 0, .fees = 0};
    struct wbuf w;
    wbuf_init(&w);
    struct market_provider_register r;
    memset(&r, 0, sizeof(r));
    r.stake = params.market_min_provider_stake;
    market_provider_register_encode(&r, &w);
    ck_assert(apply_in(v, &ctx, &prov, TX_MARKET_PROVIDER_REGISTER, &w, 0, &val, NULL));

    uint8_t *norm = malloc((size_t)IN * 8), *weights = calloc(IN + 1, 4);
    ck_assert(norm && weights);
    for (uint32_t i = 0; i < IN; i++) {
        write_le32(norm + 8 * i, (uint32_t)(int32_t)(i % 97) - 40);
        write_le32(norm + 8 * i + 4, 65536 + i);
    }
    struct market_publish pb;
    base_publish(&pb, "wide", 1000, 10, split_of(9000, 0, 1000));
    pb.source = MARKET_SOURCE_UPLOAD;
    pb.spec.kind = FL_MODEL_LOGREG;
    pb.spec.n_sizes = 2;
    pb.spec.sizes[0] = IN;
    pb.spec.sizes[1] = 1;
    pb.spec.n_norm = IN;
    pb.spec.norm = norm;
    pb.n_weights = IN + 1;
    ck_assert_uint_eq(pb.n_weights, MARKET_MAX_UPLOAD_PARAMS);
    pb.weights = weights;
    market_publish_encode(&pb, &w);
    ck_assert_uint_gt(w.len, 780000);
    ck_assert_msg(apply_in(v, &ctx, &owner, TX_MARKET_PUBLISH, &w, 0, &val, big), "%s %s",
                  val.reason, val.detail);
    pb.spec.n_norm = 0;
    pb.spec.norm = NULL;
    market_publish_encode(&pb, &w);
    ck_assert(apply_in(v, &ctx, &owner, TX_MARKET_PUBLISH, &w, 1, &val, small));
    wbuf_free(&w);

    /* The records: bounded and equal; the full spec where it was. */
    uint8_t key[MARKET_KEY_MODEL_SIZE];
    const uint8_t *rec_big, *rec_small;
    size_t len_big, len_small;
    market_model_key(key, big);
    ck_assert(view_get(v, key, sizeof(key), &rec_big, &len_big));
    market_model_key(key, small);
    ck_assert(view_get(v, key, sizeof(key), &rec_small, &len_small));
    ck_assert_uint_eq(len_big, len_small);
    ck_assert_uint_lt(len_big, 512);
    struct market_model m;
    struct fl_spec full;
    ck_assert(market_get_model(v, big, &m));
    ck_assert_uint_eq(m.spec.n_norm, 0);
    ck_assert(market_get_spec(v, &m, &full));
    ck_assert_uint_eq(full.n_norm, IN);
    ck_assert_mem_eq(full.norm, norm, (size_t)IN * 8);
    ck_assert_uint_eq(full.sizes[0], IN);
    ck_assert(market_get_model(v, small, &m));
    ck_assert(market_get_spec(v, &m, &full));
    ck_assert_uint_eq(full.n_norm, 0);

    /* A block of one call: the same writes and undo for both. */
    size_t rec_b = 0, rec_s = 0;
    const size_t bytes_big = call_block_bytes(v, hdr.height + 1, &payer, &prov, big, 0, &rec_b);
    const size_t bytes_small = call_block_bytes(v, hdr.height + 1, &payer, &prov, small, 0, &rec_s);
    ck_assert_uint_eq(bytes_big, bytes_small);
    ck_assert_uint_lt(bytes_big, 4096);
    ck_assert_uint_gt(rec_b, 0);
    ck_assert_uint_lt(rec_b, 512);
    ck_assert_uint_eq(rec_b, rec_s);
    free(norm);
    free(weights);
    view_free(v);
}
END_TEST

/* A leaf's own price at multiplier 1.0 is at least one unit, at publication
 * and at set_price (market-price-zero); a composite's own part may be 0. */
START_TEST(a_leaf_is_never_free)
{
    struct party owner;
    uint8_t leaf[32], comp[32];
    new_party(&owner, 1000 * COIN);
    produce_checked();
    /* logistic 3 -> 1: 3 multiply-adds x 10 units per 1000 is 0 units; base 0. */
    publish_upload(&owner, "free", LOGREG3, 2, 0, 10, split_of(9000, 0, 1000),
                   "market-price-zero", NULL);
    /* One unit of base is enough. */
    publish_upload(&owner, "cheap", LOGREG3, 2, 1, 10, split_of(9000, 0, 1000), NULL, leaf);
    produce_checked();
    ck_assert_uint_eq(price_now(leaf), 1);
    set_price(&owner, leaf, 0, 10, "market-price-zero");
    /* A composite of it with its own part 0 is priced by its component. */
    uint8_t comps[1][32];
    memcpy(comps[0], leaf, 32);
    publish_composite(&owner, MARKET_MODE_AVERAGE, comps, 1, 0, split_of(9000, 0, 1000), NULL, comp);
    produce_checked();
    ck_assert_uint_eq(price_now(comp), 1);
    set_price(&owner, comp, 0, 5, NULL);
    produce_checked();
}
END_TEST

static Suite *market_state_suite(void)
{
    Suite *s = suite_create("market_state");
    TCase *tc = tcase_create("market_state");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, price_rises_under_demand_and_decays_back);
    tcase_add_test(tc, a_composite_pays_every_component_owner);
    tcase_add_test(tc, self_dealing_loses_every_block_at_any_depth);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, reorganization_across_multiplier_updates);
    tcase_add_test(tc, claims_pay_fl_data_providers_by_contribution);
    tcase_add_test(tc, models_touched_per_height_are_bounded);
    tcase_add_test(tc, an_arena_winner_is_its_data_provider);
    tcase_add_test(tc, the_market_pool_cap_burns_the_excess);
    tcase_add_test(tc, the_model_record_does_not_grow_with_the_normalization);
    tcase_add_test(tc, a_leaf_is_never_free);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(market_state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
