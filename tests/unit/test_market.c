/* The AI Market, consensus side, without a chain: the payload and record
 * codecs (exact decoding), every stateless refusal, the price formula, the
 * demand multiplier's rise and decay, the payment split, the mining share,
 * the data providers' accrual, the pool cap, the request hash, the type
 * table rows and the chain parameters.  The vectors are the ones published
 * in doc/protocol.md, section 19.4 (recomputed by tests/market_vectors.py). */
#include "consensus/amount.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"
#include "consensus/validation.h"
#include "test_util.h"

static struct chain_params params;

static void setup(void)
{
    ck_assert(sodium_init() >= 0);
    ck_assert(params_init(&params, NET_REGTEST));
}

static void teardown(void)
{
    params_free(&params);
}

/* The payload of one transaction of `type` through the whole stateless
 * check: "ok" or the reason; the detail in *detail when asked. */
static const char *tx_reason_detail(uint8_t type, const uint8_t *p, size_t n, const char **detail)
{
    struct tx tx;
    struct validation v;
    uint8_t sec[32];
    static char reason[64], det[128];
    memset(sec, 7, sizeof(sec));
    tx_init(&tx);
    tx.type = type;
    ck_assert(key_pubkey(tx.sender, sec));
    tx.fee = 1000;
    ck_assert(tx_set_payload(&tx, p, n));
    ck_assert(tx_sign(&tx, params.genesis_hash, sec, NULL));
    val_init(&v);
    bool ok = tx_check(&tx, &params, &v);
    snprintf(reason, sizeof(reason), "%s", ok ? "ok" : v.reason);
    snprintf(det, sizeof(det), "%s", v.detail);
    if (detail)
        *detail = det;
    tx_free(&tx);
    return reason;
}

static const char *tx_reason(uint8_t type, const struct wbuf *w)
{
    return tx_reason_detail(type, w->data, w->len, NULL);
}

/* Asserts the reason and that the detail names `field`. */
#define ck_refused(type, w, reason, field)                                               \
    do {                                                                                 \
        const char *d_;                                                                  \
        ck_assert_str_eq(tx_reason_detail((type), (w)->data, (w)->len, &d_), (reason));  \
        ck_assert_msg(strstr(d_, (field)) != NULL, "detail \"%s\" lacks \"%s\"", d_,      \
                      (field));                                                          \
    } while (0)

/* ---- payloads ---- */

static const int32_t tiny_weights[3] = {65536, -65536, 0};
static uint8_t tiny_bytes[12];

/* The upload of doc/protocol.md 19.4: "tiny", a logistic model {2, 1}. */
static struct market_publish tiny_upload(void)
{
    struct market_publish m;
    memset(&m, 0, sizeof(m));
    m.name_len = 4;
    memcpy(m.name, "tiny", 4);
    m.source = MARKET_SOURCE_UPLOAD;
    m.spec.kind = FL_MODEL_LOGREG;
    m.spec.n_sizes = 2;
    m.spec.sizes[0] = 2;
    m.spec.sizes[1] = 1;
    for (int i = 0; i < 3; i++)
        write_le32(tiny_bytes + 4 * i, (uint32_t)tiny_weights[i]);
    m.n_weights = 3;
    m.weights = tiny_bytes;
    m.base_price = 100;
    m.target = 5;
    m.split = (struct market_split){7000, 0, 3000};
    return m;
}

static struct market_publish fl_leaf(void)
{
    struct market_publish m;
    memset(&m, 0, sizeof(m));
    m.name_len = 9;
    memcpy(m.name, "hospitals", 9);
    m.source = MARKET_SOURCE_FL;
    memset(m.source_id, 0xab, HASH_SIZE);
    m.base_price = 1000;
    m.target = 10;
    m.split = (struct market_split){2000, 7000, 1000};
    return m;
}

static struct market_publish composite(void)
{
    struct market_publish m;
    memset(&m, 0, sizeof(m));
    m.name_len = 5;
    memcpy(m.name, "combo", 5);
    m.source = MARKET_SOURCE_COMPOSITE;
    m.base_price = 0;
    m.target = 1;
    m.split = (struct market_split){10000, 0, 0};
    m.mode = MARKET_MODE_PIPELINE;
    m.n_components = 3;
    for (int i = 0; i < 3; i++)
        memset(m.components[i], 0x30 + i, MARKET_MODEL_ID_SIZE);
    return m;
}

#define TINY_UPLOAD_HEX                                                         \
    "0474696e7900"                                                              \
    "0000000000000000000000000000000000000000000000000000000000000000"          \
    "00" "02" "02000000" "01000000" "00"                                        \
    "03" "00000100" "0000ffff" "00000000"                                       \
    "6400000000000000" "05000000" "581b" "0000" "b80b" "00" "00"

#define CALL_HEX                                                                \
    "1111111111111111111111111111111111111111111111111111111111111111"          \
    "2222222222222222222222222222222222222222222222222222222222222222"          \
    "05000000" "e803000000000000"

static void publish_round_trip(const struct market_publish *m)
{
    struct wbuf w, w2;
    struct market_publish b;
    wbuf_init(&w);
    wbuf_init(&w2);
    market_publish_encode(m, &w);
    ck_assert(market_publish_decode(&b, w.data, w.len));
    ck_assert_uint_eq(b.name_len, m->name_len);
    ck_assert_mem_eq(b.name, m->name, m->name_len);
    ck_assert_uint_eq(b.name[b.name_len], 0);
    ck_assert_uint_eq(b.source, m->source);
    ck_assert_mem_eq(b.source_id, m->source_id, HASH_SIZE);
    ck_assert_uint_eq(b.n_weights, m->n_weights);
    if (m->n_weights) {
        /* A view into the payload, not a copy. */
        ck_assert(b.weights >= w.data && b.weights + 4 * b.n_weights <= w.data + w.len);
        ck_assert_mem_eq(b.weights, m->weights, 4 * m->n_weights);
    }
    ck_assert_uint_eq(b.spec.kind, m->spec.kind);
    ck_assert_uint_eq(b.spec.n_sizes, m->spec.n_sizes);
    ck_assert_uint_eq(b.base_price, m->base_price);
    ck_assert_uint_eq(b.target, m->target);
    ck_assert_uint_eq(b.split.creator_bps, m->split.creator_bps);
    ck_assert_uint_eq(b.split.data_bps, m->split.data_bps);
    ck_assert_uint_eq(b.split.provider_bps, m->split.provider_bps);
    ck_assert_uint_eq(b.mode, m->mode);
    ck_assert_uint_eq(b.n_components, m->n_components);
    ck_assert_mem_eq(b.components, m->components, (size_t)m->n_components * HASH_SIZE);
    market_publish_encode(&b, &w2);
    ck_assert_uint_eq(w2.len, w.len);
    ck_assert_mem_eq(w2.data, w.data, w.len);
    /* Exact: every shorter prefix fails, and so does a trailing byte. */
    for (size_t n = 0; n < w.len; n++)
        ck_assert_msg(!market_publish_decode(&b, w.data, n), "prefix %zu decodes", n);
    put_u8(&w, 0);
    ck_assert(!market_publish_decode(&b, w.data, w.len));
    wbuf_free(&w);
    wbuf_free(&w2);
}

START_TEST(publish_codec)
{
    struct market_publish m = tiny_upload();
    struct wbuf w;
    wbuf_init(&w);
    market_publish_encode(&m, &w);
    ck_assert_hex_eq(w.data, w.len, TINY_UPLOAD_HEX);
    wbuf_free(&w);
    publish_round_trip(&m);
    m = fl_leaf();
    publish_round_trip(&m);
    m = composite();
    publish_round_trip(&m);

    /* A non-upload source carries no spec or weights: the byte after
     * source_id is base_price's first. */
    m = fl_leaf();
    wbuf_init(&w);
    market_publish_encode(&m, &w);
    ck_assert_uint_eq(w.len, 1 + 9 + 1 + 32 + 8 + 4 + 6 + 1 + 1);
    wbuf_free(&w);

    /* More than MARKET_MAX_COMPONENTS components does not decode. */
    m = composite();
    wbuf_init(&w);
    market_publish_encode(&m, &w);
    w.len -= 1 + 3 * HASH_SIZE;
    put_compact(&w, MARKET_MAX_COMPONENTS + 1);
    for (int i = 0; i <= MARKET_MAX_COMPONENTS; i++)
        put_bytes(&w, m.components[0], HASH_SIZE);
    struct market_publish b;
    ck_assert(!market_publish_decode(&b, w.data, w.len));
    wbuf_free(&w);

    /* A name longer than 32 bytes does not decode. */
    wbuf_init(&w);
    char longname[MARKET_MAX_NAME + 1];
    memset(longname, 'a', sizeof(longname));
    put_varbytes(&w, longname, sizeof(longname));
    ck_assert(!market_publish_decode(&b, w.data, w.len));
    wbuf_free(&w);
}
END_TEST

START_TEST(small_payload_codecs)
{
    struct wbuf w;
    wbuf_init(&w);

    struct market_set_price sp = {.base_price = 77, .target = 9}, spb;
    memset(sp.model, 0x44, HASH_SIZE);
    market_set_price_encode(&sp, &w);
    ck_assert_uint_eq(w.len, 44);
    ck_assert(market_set_price_decode(&spb, w.data, w.len));
    ck_assert_mem_eq(spb.model, sp.model, HASH_SIZE);
    ck_assert_uint_eq(spb.base_price, 77);
    ck_assert_uint_eq(spb.target, 9);
    ck_assert(!market_set_price_decode(&spb, w.data, w.len - 1));
    put_u8(&w, 0);
    ck_assert(!market_set_price_decode(&spb, w.data, w.len));

    struct market_provider_register pr, prb;
    memset(&pr, 0, sizeof(pr));
    pr.stake = 5 * COIN;
    pr.endpoint_len = 22;
    memcpy(pr.endpoint, "http://127.0.0.1:18443", 22);
    wbuf_reset(&w);
    market_provider_register_encode(&pr, &w);
    ck_assert_uint_eq(w.len, 8 + 1 + 22);
    ck_assert(market_provider_register_decode(&prb, w.data, w.len));
    ck_assert_uint_eq(prb.stake, pr.stake);
    ck_assert_uint_eq(prb.endpoint_len, 22);
    ck_assert_str_eq(prb.endpoint, "http://127.0.0.1:18443");
    ck_assert(!market_provider_register_decode(&prb, w.data, w.len - 1));
    put_u8(&w, 0);
    ck_assert(!market_provider_register_decode(&prb, w.data, w.len));
    /* An endpoint of 129 bytes does not decode; 128 does. */
    char ep[MARKET_MAX_ENDPOINT + 1];
    memset(ep, 'e', sizeof(ep));
    wbuf_reset(&w);
    put_u64(&w, 1);
    put_varbytes(&w, ep, MARKET_MAX_ENDPOINT);
    ck_assert(market_provider_register_decode(&prb, w.data, w.len));
    ck_assert_uint_eq(prb.endpoint_len, MARKET_MAX_ENDPOINT);
    wbuf_reset(&w);
    put_u64(&w, 1);
    put_varbytes(&w, ep, MARKET_MAX_ENDPOINT + 1);
    ck_assert(!market_provider_register_decode(&prb, w.data, w.len));

    struct market_call c = {.calls = 5, .max_price = 1000}, cb;
    memset(c.model, 0x11, HASH_SIZE);
    memset(c.provider, 0x22, PUBKEY_SIZE);
    wbuf_reset(&w);
    market_call_encode(&c, &w);
    ck_assert_hex_eq(w.data, w.len, CALL_HEX);
    ck_assert(market_call_decode(&cb, w.data, w.len));
    ck_assert_mem_eq(cb.model, c.model, HASH_SIZE);
    ck_assert_mem_eq(cb.provider, c.provider, PUBKEY_SIZE);
    ck_assert_uint_eq(cb.calls, 5);
    ck_assert_uint_eq(cb.max_price, 1000);
    ck_assert(!market_call_decode(&cb, w.data, w.len - 1));
    put_u8(&w, 0);
    ck_assert(!market_call_decode(&cb, w.data, w.len));

    struct market_claim cl, clb;
    memset(cl.model, 0x55, HASH_SIZE);
    wbuf_reset(&w);
    market_claim_encode(&cl, &w);
    ck_assert_uint_eq(w.len, 32);
    ck_assert(market_claim_decode(&clb, w.data, w.len));
    ck_assert_mem_eq(clb.model, cl.model, HASH_SIZE);
    ck_assert(!market_claim_decode(&clb, w.data, w.len - 1));
    put_u8(&w, 0);
    ck_assert(!market_claim_decode(&clb, w.data, w.len));
    wbuf_free(&w);
}
END_TEST

/* ---- stateless checks ---- */

static void expect_publish(const struct market_publish *m, const char *reason, const char *field)
{
    struct wbuf w;
    wbuf_init(&w);
    market_publish_encode(m, &w);
    if (field)
        ck_refused(TX_MARKET_PUBLISH, &w, reason, field);
    else
        ck_assert_str_eq(tx_reason(TX_MARKET_PUBLISH, &w), reason);
    wbuf_free(&w);
}

START_TEST(publish_rules)
{
    struct market_publish m = tiny_upload();
    expect_publish(&m, "ok", NULL);
    m = fl_leaf();
    expect_publish(&m, "ok", NULL);
    m.source = MARKET_SOURCE_ARENA;
    expect_publish(&m, "ok", NULL);
    m = composite();
    expect_publish(&m, "ok", NULL);
    m.mode = MARKET_MODE_AVERAGE;
    m.n_components = MARKET_MAX_COMPONENTS;
    expect_publish(&m, "ok", NULL);
    m.n_components = 2;
    expect_publish(&m, "ok", NULL);

    /* name */
    m = tiny_upload();
    m.name_len = 0;
    expect_publish(&m, "bad-market-payload", "name");
    m = tiny_upload();
    m.name[1] = 0x1f;
    expect_publish(&m, "bad-market-payload", "name");
    m.name[1] = 0x7f;
    expect_publish(&m, "bad-market-payload", "name");
    m.name[1] = '~';
    m.name_len = MARKET_MAX_NAME;
    memset(m.name, ' ', MARKET_MAX_NAME);
    expect_publish(&m, "ok", NULL);

    /* source and source_id */
    m = fl_leaf();
    m.source = 4;
    expect_publish(&m, "bad-market-payload", "source");
    m = fl_leaf();
    memset(m.source_id, 0, HASH_SIZE);
    expect_publish(&m, "bad-market-payload", "source_id");
    m.source = MARKET_SOURCE_ARENA;
    expect_publish(&m, "bad-market-payload", "source_id");
    m = tiny_upload();
    m.source_id[31] = 1;
    expect_publish(&m, "bad-market-payload", "source_id");
    m = composite();
    m.source_id[0] = 1;
    expect_publish(&m, "bad-market-payload", "source_id");

    /* spec and weights */
    m = tiny_upload();
    m.spec.sizes[1] = 2; /* logistic needs one output */
    expect_publish(&m, "bad-market-payload", "spec");
    m = tiny_upload();
    m.n_weights = 2;
    expect_publish(&m, "bad-market-payload", "weights");
    m = tiny_upload();
    m.spec.kind = FL_MODEL_SOFTMAX;
    m.spec.sizes[0] = 300;
    m.spec.sizes[1] = 300; /* 90,300 parameters */
    m.n_weights = 0;
    expect_publish(&m, "bad-market-payload", "weights");
    /* n above MARKET_MAX_UPLOAD_PARAMS does not even decode. */
    {
        struct wbuf w;
        wbuf_init(&w);
        m = tiny_upload();
        market_publish_encode(&m, &w);
        size_t head = 1 + 4 + 1 + 32 + 1 + 1 + 8 + 1; /* up to the count */
        struct wbuf x;
        wbuf_init(&x);
        put_bytes(&x, w.data, head);
        put_compact(&x, MARKET_MAX_UPLOAD_PARAMS + 1);
        ck_assert_str_eq(tx_reason(TX_MARKET_PUBLISH, &x), "bad-txns-payload");
        wbuf_free(&x);
        wbuf_free(&w);
    }

    /* price terms */
    m = tiny_upload();
    m.base_price = MARKET_MAX_PRICE_AT_CAP;
    expect_publish(&m, "ok", NULL);
    m.base_price = MARKET_MAX_PRICE_AT_CAP + 1;
    expect_publish(&m, "bad-market-payload", "base_price");
    m = tiny_upload();
    m.target = 0;
    expect_publish(&m, "bad-market-payload", "target");

    /* split */
    m = tiny_upload();
    m.split.provider_bps = 2999;
    expect_publish(&m, "bad-market-payload", "split");
    m.split = (struct market_split){65535, 65535, 0}; /* no u16 wrap */
    expect_publish(&m, "bad-market-payload", "split");
    m = tiny_upload();
    m.split = (struct market_split){6000, 1000, 3000};
    expect_publish(&m, "bad-market-payload", "data_bps");
    m = composite();
    m.split = (struct market_split){9000, 1000, 0};
    expect_publish(&m, "bad-market-payload", "data_bps");
    m = fl_leaf();
    m.split = (struct market_split){0, 10000, 0};
    expect_publish(&m, "ok", NULL);

    /* mode and components */
    m = fl_leaf();
    m.mode = MARKET_MODE_AVERAGE;
    expect_publish(&m, "bad-market-payload", "mode");
    m = tiny_upload();
    m.n_components = 1;
    expect_publish(&m, "bad-market-payload", "components");
    m = composite();
    m.mode = MARKET_MODE_NONE;
    expect_publish(&m, "bad-market-payload", "mode");
    m = composite();
    m.mode = 3;
    expect_publish(&m, "bad-market-payload", "mode");
    m = composite();
    m.n_components = 1; /* a wrapper */
    expect_publish(&m, "ok", NULL);
    m.n_components = 0;
    expect_publish(&m, "bad-market-payload", "components");

    /* Short and long payloads. */
    struct wbuf w;
    wbuf_init(&w);
    m = tiny_upload();
    market_publish_encode(&m, &w);
    put_u8(&w, 0);
    ck_assert_str_eq(tx_reason(TX_MARKET_PUBLISH, &w), "bad-txns-payload");
    w.len -= 2;
    ck_assert_str_eq(tx_reason(TX_MARKET_PUBLISH, &w), "bad-txns-payload");
    wbuf_free(&w);
}
END_TEST

START_TEST(other_rules)
{
    struct wbuf w;
    wbuf_init(&w);

    struct market_set_price sp = {.base_price = MARKET_MAX_PRICE_AT_CAP, .target = 1};
    market_set_price_encode(&sp, &w);
    ck_assert_str_eq(tx_reason(TX_MARKET_SET_PRICE, &w), "ok");
    sp.base_price++;
    wbuf_reset(&w);
    market_set_price_encode(&sp, &w);
    ck_refused(TX_MARKET_SET_PRICE, &w, "bad-market-payload", "base_price");
    sp.base_price = 0;
    sp.target = 0;
    wbuf_reset(&w);
    market_set_price_encode(&sp, &w);
    ck_refused(TX_MARKET_SET_PRICE, &w, "bad-market-payload", "target");
    w.len--;
    ck_assert_str_eq(tx_reason(TX_MARKET_SET_PRICE, &w), "bad-txns-payload");

    struct market_provider_register pr;
    memset(&pr, 0, sizeof(pr));
    wbuf_reset(&w);
    market_provider_register_encode(&pr, &w); /* stake 0, no endpoint: a top-up */
    ck_assert_str_eq(tx_reason(TX_MARKET_PROVIDER_REGISTER, &w), "ok");
    pr.stake = MAX_SUPPLY + 1;
    wbuf_reset(&w);
    market_provider_register_encode(&pr, &w);
    ck_refused(TX_MARKET_PROVIDER_REGISTER, &w, "bad-market-payload", "stake");
    pr.stake = COIN;
    pr.endpoint_len = 3;
    memcpy(pr.endpoint, "a\nb", 3);
    wbuf_reset(&w);
    market_provider_register_encode(&pr, &w);
    ck_refused(TX_MARKET_PROVIDER_REGISTER, &w, "bad-market-payload", "endpoint");
    put_u8(&w, 0);
    ck_assert_str_eq(tx_reason(TX_MARKET_PROVIDER_REGISTER, &w), "bad-txns-payload");

    struct market_call c = {.calls = 1, .max_price = 1};
    wbuf_reset(&w);
    market_call_encode(&c, &w);
    ck_assert_str_eq(tx_reason(TX_MARKET_CALL, &w), "ok");
    c.calls = MARKET_MAX_CALLS;
    wbuf_reset(&w);
    market_call_encode(&c, &w);
    ck_assert_str_eq(tx_reason(TX_MARKET_CALL, &w), "ok");
    c.calls = MARKET_MAX_CALLS + 1;
    wbuf_reset(&w);
    market_call_encode(&c, &w);
    ck_refused(TX_MARKET_CALL, &w, "bad-market-payload", "calls");
    c.calls = 0;
    wbuf_reset(&w);
    market_call_encode(&c, &w);
    ck_refused(TX_MARKET_CALL, &w, "bad-market-payload", "calls");
    c.calls = 1;
    c.max_price = 0;
    wbuf_reset(&w);
    market_call_encode(&c, &w);
    ck_refused(TX_MARKET_CALL, &w, "bad-market-payload", "max_price");
    w.len--;
    ck_assert_str_eq(tx_reason(TX_MARKET_CALL, &w), "bad-txns-payload");

    struct market_claim cl;
    memset(&cl, 1, sizeof(cl));
    wbuf_reset(&w);
    market_claim_encode(&cl, &w);
    ck_assert_str_eq(tx_reason(TX_MARKET_CLAIM, &w), "ok");
    put_u8(&w, 0);
    ck_assert_str_eq(tx_reason(TX_MARKET_CLAIM, &w), "bad-txns-payload");
    w.len -= 2;
    ck_assert_str_eq(tx_reason(TX_MARKET_CLAIM, &w), "bad-txns-payload");
    wbuf_free(&w);
}
END_TEST

/* ---- records and keys ---- */

START_TEST(record_codecs)
{
    static const uint8_t norm[16] = {0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0};
    struct market_model m, b;
    memset(&m, 0, sizeof(m));
    memset(m.owner, 1, PUBKEY_SIZE);
    m.published_height = 12;
    m.name_len = 3;
    memcpy(m.name, "abc", 3);
    m.source = MARKET_SOURCE_FL;
    memset(m.source_id, 2, HASH_SIZE);
    memset(m.winner, 3, PUBKEY_SIZE);
    m.model_round = 7;
    m.spec.kind = FL_MODEL_MLP;
    m.spec.n_sizes = 3;
    m.spec.sizes[0] = 2;
    m.spec.sizes[1] = 4;
    m.spec.sizes[2] = 3;
    m.spec.n_norm = 2;
    m.spec.norm = norm;
    memset(m.model_hash, 4, HASH_SIZE);
    m.macs = 20;
    m.mode = MARKET_MODE_AVERAGE;
    m.n_components = 2;
    memset(m.components[0], 5, HASH_SIZE);
    memset(m.components[1], 6, HASH_SIZE);
    m.depth = 3;
    m.expansion = 9;
    m.n_inputs = 2;
    m.n_outputs = 3;
    m.base_price = 1000;
    m.target = 10;
    m.split = (struct market_split){2000, 7000, 1000};
    m.mult = 5 * MARKET_MULT_ONE;
    m.mult_height = 100;
    m.block_height = 101;
    m.block_calls = 102;
    m.block_own = 103;
    m.data_shares = ((unsigned __int128)1 << 100) + 5;
    m.acc = ((unsigned __int128)7 << 90) + 9;
    m.carry = 11;
    m.bank = 12;
    m.calls = 13;
    m.own_fees = 14;
    m.paid_creator = 15;
    m.paid_data = 16;
    m.paid_provider = 17;
    m.burned = 18;
    m.mined = UINT64_MAX;
    struct wbuf w, w2;
    wbuf_init(&w);
    wbuf_init(&w2);
    market_model_encode(&m, &w);
    ck_assert(market_model_decode(&b, w.data, w.len));
    market_model_encode(&b, &w2);
    ck_assert_uint_eq(w.len, w2.len);
    ck_assert_mem_eq(w.data, w2.data, w.len);
    ck_assert(b.data_shares == m.data_shares);
    ck_assert(b.acc == m.acc);
    ck_assert_uint_eq(b.mined, UINT64_MAX);
    ck_assert_uint_eq(b.spec.sizes[2], 3);
    /* The record keeps the spec's shape only: no normalization, so its size
     * does not depend on it (the full spec is under 'M' 'S' or the task). */
    ck_assert_uint_eq(b.spec.n_norm, 0);
    ck_assert_ptr_null(b.spec.norm);
    {
        struct wbuf w3;
        struct market_model big = m;
        wbuf_init(&w3);
        big.spec.n_norm = 0;
        big.spec.norm = NULL;
        market_model_encode(&big, &w3);
        ck_assert_uint_eq(w3.len, w.len);
        /* The largest record: 32-byte name, FL_MAX_SIZES sizes, 8 components. */
        big.name_len = MARKET_MAX_NAME;
        memset(big.name, 'x', MARKET_MAX_NAME);
        big.spec.n_sizes = FL_MAX_SIZES;
        for (uint32_t i = 0; i < FL_MAX_SIZES; i++)
            big.spec.sizes[i] = FL_MAX_UNITS;
        big.n_components = MARKET_MAX_COMPONENTS;
        wbuf_reset(&w3);
        market_model_encode(&big, &w3);
        ck_assert_uint_eq(w3.len, MARKET_MODEL_RECORD_MAX);
        wbuf_free(&w3);
    }
    ck_assert_str_eq(b.name, "abc");
    ck_assert(!market_model_decode(&b, w.data, w.len - 1));
    put_u8(&w2, 0);
    ck_assert(!market_model_decode(&b, w2.data, w2.len));
    /* A composite record (no spec) too. */
    m.spec.kind = 0;
    m.spec.n_sizes = 0;
    m.spec.n_norm = 0;
    m.spec.norm = NULL;
    wbuf_reset(&w);
    market_model_encode(&m, &w);
    ck_assert(market_model_decode(&b, w.data, w.len));
    ck_assert_uint_eq(b.spec.n_sizes, 0);

    struct market_provider p = {.stake = 3, .registered_height = 4, .calls = 5, .earned = 6}, pb;
    p.endpoint_len = 2;
    memcpy(p.endpoint, "xy", 2);
    wbuf_reset(&w);
    market_provider_encode(&p, &w);
    ck_assert(market_provider_decode(&pb, w.data, w.len));
    ck_assert_uint_eq(pb.stake, 3);
    ck_assert_uint_eq(pb.registered_height, 4);
    ck_assert_str_eq(pb.endpoint, "xy");
    ck_assert_uint_eq(pb.calls, 5);
    ck_assert_uint_eq(pb.earned, 6);
    ck_assert(!market_provider_decode(&pb, w.data, w.len - 1));
    put_u8(&w, 0);
    ck_assert(!market_provider_decode(&pb, w.data, w.len));

    struct market_flows f = {1, 2, 3, 4, 5, 6}, fb;
    wbuf_reset(&w);
    market_flows_encode(&f, &w);
    ck_assert_uint_eq(w.len, 48);
    ck_assert(market_flows_decode(&fb, w.data, w.len));
    ck_assert_mem_eq(&fb, &f, sizeof(f));
    ck_assert(!market_flows_decode(&fb, w.data, w.len - 1));
    put_u8(&w, 0);
    ck_assert(!market_flows_decode(&fb, w.data, w.len));
    wbuf_free(&w);
    wbuf_free(&w2);

    ck_assert_str_eq(market_source_name(MARKET_SOURCE_UPLOAD), "upload");
    ck_assert_str_eq(market_source_name(MARKET_SOURCE_FL), "fl");
    ck_assert_str_eq(market_source_name(MARKET_SOURCE_ARENA), "arena");
    ck_assert_str_eq(market_source_name(MARKET_SOURCE_COMPOSITE), "composite");
    ck_assert_ptr_null(market_source_name(4));
    ck_assert_str_eq(market_mode_name(MARKET_MODE_NONE), "none");
    ck_assert_str_eq(market_mode_name(MARKET_MODE_AVERAGE), "average");
    ck_assert_str_eq(market_mode_name(MARKET_MODE_PIPELINE), "pipeline");
    ck_assert_ptr_null(market_mode_name(3));
}
END_TEST

START_TEST(keys)
{
    uint8_t id[HASH_SIZE], a[PUBKEY_SIZE], b[PUBKEY_SIZE];
    memset(id, 0xaa, sizeof(id));
    memset(a, 0xbb, sizeof(a));
    memset(b, 0xcc, sizeof(b));
    uint8_t k[MARKET_KEY_PAID_SIZE];
    ck_assert_uint_eq(market_model_key(k, id), 34);
    ck_assert(k[0] == 'M' && k[1] == 'M' && memcmp(k + 2, id, 32) == 0);
    ck_assert_uint_eq(market_weights_key(k, id), 34);
    ck_assert(k[0] == 'M' && k[1] == 'W' && memcmp(k + 2, id, 32) == 0);
    ck_assert_uint_eq(market_provider_key(k, a), 34);
    ck_assert(k[0] == 'M' && k[1] == 'P' && memcmp(k + 2, a, 32) == 0);
    ck_assert_uint_eq(market_paid_key(k, id, a, b), 98);
    ck_assert(k[0] == 'M' && k[1] == 'C' && memcmp(k + 2, id, 32) == 0 &&
              memcmp(k + 34, a, 32) == 0 && memcmp(k + 66, b, 32) == 0);
    ck_assert_uint_eq(market_snapshot_key(k, id, b), 66);
    ck_assert(k[0] == 'M' && k[1] == 'D' && memcmp(k + 2, id, 32) == 0 &&
              memcmp(k + 34, b, 32) == 0);
    ck_assert_uint_eq(market_list_key(k, 0x0102030405060708), 10);
    ck_assert_hex_eq(k, 10, "4d4c0102030405060708");
    ck_assert_uint_eq(market_height_key(k, 300), 10);
    ck_assert_hex_eq(k, 10, "4d71000000000000012c");
    ck_assert_uint_eq(market_queue_key(k, 300, 0x01020304), 14);
    ck_assert_hex_eq(k, 14, "4d51000000000000012c01020304");
    ck_assert_str_eq(MARKET_COUNT_KEY, "MN");
    ck_assert_str_eq(MARKET_FLOWS_KEY, "MF");
}
END_TEST

/* ---- formulas ---- */

static struct fl_spec mlp_100_50_10(void)
{
    struct fl_spec s;
    memset(&s, 0, sizeof(s));
    s.kind = FL_MODEL_MLP;
    s.n_sizes = 3;
    s.sizes[0] = 100;
    s.sizes[1] = 50;
    s.sizes[2] = 10;
    return s;
}

START_TEST(price_vectors)
{
    struct fl_spec s = mlp_100_50_10();
    uint64_t macs = market_macs(&s);
    ck_assert_uint_eq(macs, 5500);
    static const struct {
        uint64_t mult, own, cplx;
    } v[] = {
        {UINT64_C(4294967296), 255, 55},
        {UINT64_C(5368709120), 318, 68},
        {UINT64_C(68719476736), 4080, 880},
        {UINT64_C(6000000000), 356, 76},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint64_t own = 0, cplx = 0;
        ck_assert(market_own_price(200, macs, 10, v[i].mult, &own, &cplx));
        ck_assert_uint_eq(own, v[i].own);
        ck_assert_uint_eq(cplx, v[i].cplx);
    }
    /* No complexity: own = base x multiplier. */
    uint64_t own, cplx;
    ck_assert(market_own_price(1000, 0, 10, 3 * MARKET_MULT_ONE / 2, &own, &cplx));
    ck_assert_uint_eq(own, 1500);
    ck_assert_uint_eq(cplx, 0);
    /* The 10^12 limit at the cap is reachable exactly. */
    ck_assert(market_own_price(62500000000, 0, 10, 16 * MARKET_MULT_ONE, &own, &cplx));
    ck_assert_uint_eq(own, MARKET_MAX_PRICE_AT_CAP);
    /* 128-bit intermediates: base 2^64 - 1 at mult 1 is exact, at mult 2 does
     * not fit. */
    ck_assert(market_own_price(UINT64_MAX, 0, 0, MARKET_MULT_ONE, &own, &cplx));
    ck_assert_uint_eq(own, UINT64_MAX);
    ck_assert(!market_own_price(UINT64_MAX, 0, 0, 2 * MARKET_MULT_ONE, &own, &cplx));
    ck_assert(!market_own_price(UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, &own, &cplx));
    /* The largest complexity a spec can have, at the largest fee and cap. */
    ck_assert(market_own_price(0, UINT64_C(1) << 44, 1000000000, 65536 * MARKET_MULT_ONE, &own,
                               &cplx) == false);
    ck_assert(market_own_price(0, UINT64_C(1) << 20, 1000000000, 65536 * MARKET_MULT_ONE, &own,
                               &cplx));
    ck_assert_uint_eq(own, (UINT64_C(1) << 20) * 1000000 * 65536);
    ck_assert_uint_eq(cplx, own);

    /* macs: logistic {n, 1} is n; softmax {n, k} is n x k. */
    struct fl_spec l = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {7, 1}};
    ck_assert_uint_eq(market_macs(&l), 7);
    struct fl_spec sm = {.kind = FL_MODEL_SOFTMAX, .n_sizes = 2, .sizes = {7, 3}};
    ck_assert_uint_eq(market_macs(&sm), 21);
}
END_TEST

START_TEST(price_matches_reference_on_random_inputs)
{
    struct test_rng r;
    test_rng_seed(&r, test_seed("price_matches_reference_on_random_inputs"));
    for (int i = 0; i < 20000; i++) {
        uint64_t base = test_rand_below(&r, MARKET_MAX_PRICE_AT_CAP + 1);
        uint64_t macs = test_rand_below(&r, UINT64_C(1) << 44);
        uint64_t fee = test_rand_below(&r, 1000000001);
        uint64_t mult = MARKET_MULT_ONE + test_rand_below(&r, 65535 * MARKET_MULT_ONE + 1);
        /* Reference: floor((a x mult) / (1000 x 2^32)) by a 256-bit-free
         * route: a x mult = (a x (mult >> 32)) x 2^32 + a x (mult mod 2^32). */
        unsigned __int128 a = (unsigned __int128)base * 1000 + (unsigned __int128)macs * fee;
        unsigned __int128 c = (unsigned __int128)macs * fee;
        uint64_t own, cplx;
        bool ok = market_own_price(base, macs, fee, mult, &own, &cplx);
        /* a < 2^75, mult < 2^49: a x mult < 2^124 fits. */
        unsigned __int128 want = a * mult / ((unsigned __int128)1000 << 32);
        unsigned __int128 wantc = c * mult / ((unsigned __int128)1000 << 32);
        ck_assert(ok == (want >> 64 == 0));
        if (ok) {
            ck_assert(own == (uint64_t)want);
            ck_assert(cplx == (uint64_t)wantc);
            ck_assert_uint_le(cplx, own);
        }
    }
}
END_TEST

START_TEST(multiplier_rises_and_decays)
{
    /* doc/protocol.md 19.4: target 10, cap 16, five blocks of 30 calls then
     * five blocks without. */
    static const uint64_t seq[] = {
        UINT64_C(4294967296),  UINT64_C(5368709120),  UINT64_C(6710886400),
        UINT64_C(8388608000),  UINT64_C(10485760000), UINT64_C(13107200000),
        UINT64_C(11468800000), UINT64_C(10035200000), UINT64_C(8780800000),
        UINT64_C(7683200000),  UINT64_C(6722800000),
    };
    uint64_t m = MARKET_MULT_ONE;
    for (int i = 1; i <= 10; i++) {
        m = market_mult_next(m, i <= 5 ? 30 : 0, 10, 16);
        ck_assert_uint_eq(m, seq[i]);
    }
    /* Sustained demand above the target: strictly up each block, to the cap
     * in 13 blocks, and it stays there. */
    m = MARKET_MULT_ONE;
    int blocks = 0;
    while (m < 16 * MARKET_MULT_ONE) {
        uint64_t n = market_mult_next(m, 30, 10, 16);
        ck_assert_uint_gt(n, m);
        m = n;
        blocks++;
        ck_assert_int_le(blocks, 100);
    }
    ck_assert_int_eq(blocks, 13);
    ck_assert_uint_eq(m, 16 * MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_next(m, 1000000, 10, 16), 16 * MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_next(m, UINT64_MAX, 1, 16), 16 * MARKET_MULT_ONE);
    /* Demand at the target keeps it; no demand: strictly down to the floor
     * in 21 blocks, and it stays there. */
    ck_assert_uint_eq(market_mult_next(m, 10, 10, 16), m);
    blocks = 0;
    while (m > MARKET_MULT_ONE) {
        uint64_t n = market_mult_next(m, 0, 10, 16);
        ck_assert_uint_lt(n, m);
        m = n;
        blocks++;
    }
    ck_assert_int_eq(blocks, 21);
    ck_assert_uint_eq(market_mult_next(MARKET_MULT_ONE, 0, 10, 16), MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_next(MARKET_MULT_ONE, 9, 10, 16), MARKET_MULT_ONE);
    /* The cap clamps a multiplier above it, whatever the demand. */
    ck_assert_uint_eq(market_mult_next(100 * MARKET_MULT_ONE, 0, 10, 16), 16 * MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_next(UINT64_MAX, UINT64_MAX, 1, 65536),
                      65536 * MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_next(2 * MARKET_MULT_ONE, 1000, 1, 1), MARKET_MULT_ONE);
}
END_TEST

START_TEST(decay_is_repeated_next_and_bounded)
{
    struct test_rng r;
    test_rng_seed(&r, test_seed("decay_is_repeated_next_and_bounded"));
    for (int i = 0; i < 2000; i++) {
        uint32_t cap = 1 + (uint32_t)test_rand_below(&r, 65536);
        uint64_t m = MARKET_MULT_ONE + test_rand_below(&r, (uint64_t)cap * MARKET_MULT_ONE -
                                                               MARKET_MULT_ONE + 1);
        uint64_t blocks = test_rand_below(&r, 120);
        uint64_t want = m;
        for (uint64_t b = 0; b < blocks; b++)
            want = market_mult_next(want, 0, 1 + (uint32_t)test_rand_below(&r, 1000), cap);
        ck_assert_uint_eq(market_mult_decay(m, blocks, cap), want);
    }
    /* From the largest cap to the floor takes 84 blocks of no demand. */
    uint64_t m = 65536 * MARKET_MULT_ONE;
    ck_assert_uint_eq(market_mult_decay(m, 83, 65536), UINT64_C(4326215932));
    ck_assert_uint_eq(market_mult_decay(16 * MARKET_MULT_ONE, 20, 16), UINT64_C(4755989686));
    ck_assert_uint_eq(market_mult_decay(m, 84, 65536), MARKET_MULT_ONE);
    /* Any number of blocks ends at the floor, fast: 10^6 decays of 2^64 - 1
     * blocks each take no time (the tcase times out otherwise). */
    for (int i = 0; i < 1000000; i++)
        ck_assert(market_mult_decay(65536 * MARKET_MULT_ONE, UINT64_MAX, 65536) ==
                  MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_decay(UINT64_MAX, UINT64_MAX, 65536), MARKET_MULT_ONE);
    ck_assert_uint_eq(market_mult_decay(5 * MARKET_MULT_ONE, 0, 16), 5 * MARKET_MULT_ONE);
}
END_TEST

START_TEST(pay_split_vector_and_sums)
{
    struct market_pay p;
    struct market_split s = {6000, 3000, 1000};
    market_pay_split(3180, 680, &s, 1000, &p);
    ck_assert_uint_eq(p.gross, 3180);
    ck_assert_uint_eq(p.burn, 318);
    ck_assert_uint_eq(p.creator, 1350);
    ck_assert_uint_eq(p.data, 675);
    ck_assert_uint_eq(p.provider, 837);

    struct test_rng r;
    test_rng_seed(&r, test_seed("pay_split_vector_and_sums"));
    for (int i = 0; i < 100000; i++) {
        uint64_t gross = test_rand64(&r) >> test_rand_below(&r, 64);
        uint64_t cg = gross ? test_rand_below(&r, gross) + (test_rand_below(&r, 2) ? 1 : 0) : 0;
        if (cg > gross)
            cg = gross;
        uint16_t c = (uint16_t)test_rand_below(&r, 10001);
        uint16_t d = (uint16_t)test_rand_below(&r, 10001u - c);
        struct market_split sp = {c, d, (uint16_t)(10000 - c - d)};
        uint16_t burn = (uint16_t)(1 + test_rand_below(&r, 5000));
        market_pay_split(gross, cg, &sp, burn, &p);
        unsigned __int128 sum = (unsigned __int128)p.burn + p.creator + p.data + p.provider;
        ck_assert_msg(sum == gross, "gross %llu", (unsigned long long)gross);
        ck_assert(p.burn == gross - mul_div_floor(gross, 10000u - burn, 10000));
        ck_assert_uint_ge(p.provider, mul_div_floor(cg, 10000u - burn, 10000));
        ck_assert_uint_le(p.creator, mul_div_floor(gross, c, 10000));
        ck_assert_uint_le(p.data, mul_div_floor(gross, d, 10000));
    }
}
END_TEST

START_TEST(mined_vectors_and_bound)
{
    ck_assert_uint_eq(market_mined(1000000, 3180, 5000, 500), 159);
    ck_assert_uint_eq(market_mined(100, 3180, 5000, 500), 63);
    ck_assert_uint_eq(market_mined(100, 3180, 0, 500), 0);
    ck_assert_uint_eq(market_mined(UINT64_MAX, UINT64_MAX, UINT64_MAX, 500),
                      mul_div_floor(UINT64_MAX, 500, 10000));

    struct test_rng r;
    test_rng_seed(&r, test_seed("mined_vectors_and_bound"));
    for (int i = 0; i < 2000; i++) {
        uint64_t pool = test_rand64(&r) >> test_rand_below(&r, 64);
        uint16_t kappa = (uint16_t)test_rand_below(&r, 5000);
        unsigned n = 1 + (unsigned)test_rand_below(&r, 64);
        uint64_t e[64], total = 0;
        for (unsigned j = 0; j < n; j++) {
            e[j] = test_rand64(&r) >> (8 + test_rand_below(&r, 56));
            total += e[j];
        }
        unsigned __int128 paid = 0;
        for (unsigned j = 0; j < n; j++) {
            uint64_t x = market_mined(pool, e[j], total, kappa);
            /* Never more than kappa x the model's own part. */
            ck_assert_uint_le(x, mul_div_floor(e[j], kappa, 10000));
            paid += x;
        }
        /* With one B for all, the sum never exceeds the pool. */
        ck_assert(paid <= pool);
    }
}
END_TEST

START_TEST(accrual_vectors_and_conservation)
{
    struct market_model m;
    memset(&m, 0, sizeof(m));
    m.data_shares = 3;
    market_accrue(&m, 10);
    ck_assert(m.acc == ((unsigned __int128)3 << 64) + UINT64_C(6148914691236517205));
    ck_assert_uint_eq(m.carry, 1);
    ck_assert_uint_eq(m.bank, 10);
    ck_assert_uint_eq(market_owed(&m, 1, 0), 3);
    ck_assert_uint_eq(market_owed(&m, 2, 0), 6);
    ck_assert_uint_eq(market_owed(&m, 3, 0), 9); /* 1 unit in the carry */
    ck_assert_uint_eq(market_owed(&m, 1, m.acc), 0);
    ck_assert_uint_eq(market_owed(&m, 1, m.acc + 1), 0);
    /* The carry brings the dust back: 2 more to 3 shares pays 4 to each. */
    market_accrue(&m, 2);
    ck_assert_uint_eq(market_owed(&m, 1, 0), 4);
    ck_assert_uint_eq(market_owed(&m, 3, 0), 12);

    struct test_rng r;
    test_rng_seed(&r, test_seed("accrual_vectors_and_conservation"));
    for (int it = 0; it < 300; it++) {
        unsigned n = 1 + (unsigned)test_rand_below(&r, 20);
        uint64_t shares[20];
        unsigned __int128 snap[20];
        unsigned __int128 total = 0;
        uint64_t scale = test_rand_below(&r, 2) ? 1000 : UINT64_C(1) << 40;
        for (unsigned j = 0; j < n; j++) {
            shares[j] = 1 + test_rand_below(&r, scale);
            total += shares[j];
            snap[j] = 0;
        }
        memset(&m, 0, sizeof(m));
        m.data_shares = total;
        unsigned __int128 accrued = 0, claimed = 0;
        for (int k = 0; k < 50; k++) {
            uint64_t amount = test_rand64(&r) >> (20 + test_rand_below(&r, 44));
            market_accrue(&m, amount);
            accrued += amount;
            /* Some holders claim now (snapshot := acc), as MARKET_CLAIM. */
            for (unsigned j = 0; j < n; j++)
                if (test_rand_below(&r, 4) == 0) {
                    uint64_t owed = market_owed(&m, shares[j], snap[j]);
                    claimed += owed;
                    snap[j] = m.acc;
                    ck_assert(claimed <= accrued);
                }
        }
        unsigned __int128 left = 0;
        for (unsigned j = 0; j < n; j++)
            left += market_owed(&m, shares[j], snap[j]);
        /* Never more than accrued; the dust is below one unit per holder
         * per claim and per accrual. */
        ck_assert(claimed + left <= accrued);
        ck_assert(accrued - (claimed + left) <= (unsigned __int128)n * 51 + 50);
        ck_assert(m.bank == (uint64_t)accrued);
    }
    /* More than 2^64 shares: still never more than accrued. */
    memset(&m, 0, sizeof(m));
    m.data_shares = ((unsigned __int128)1 << 70) + 3;
    market_accrue(&m, UINT64_C(1) << 40);
    ck_assert_uint_le(market_owed(&m, m.data_shares, 0), UINT64_C(1) << 40);
    ck_assert_uint_le(market_owed(&m, (unsigned __int128)1 << 69, 0), UINT64_C(1) << 39);
    /* A product beyond 2^192 saturates rather than wrapping. */
    m.acc = ~(unsigned __int128)0;
    ck_assert_uint_eq(market_owed(&m, ~(unsigned __int128)0, 0), UINT64_MAX);
}
END_TEST

START_TEST(pool_cap_and_request_hash)
{
    ck_assert_uint_eq(market_pool_cap(1000, 50 * COIN, 500), 2500 * COIN);
    ck_assert_uint_eq(market_pool_cap(518400, 20 * COIN, 500), UINT64_C(518400) * COIN);
    ck_assert_uint_eq(market_pool_cap(UINT32_MAX, UINT64_MAX, 10000), UINT64_MAX);
    ck_assert_uint_eq(market_pool_cap(7, 0, 500), 0);

    uint8_t model[HASH_SIZE], prov[PUBKEY_SIZE], h[HASH_SIZE], h2[HASH_SIZE];
    memset(model, 0x11, sizeof(model));
    memset(prov, 0x22, sizeof(prov));
    market_request_hash(h, model, prov, 5, 7);
    ck_assert_hex_eq(h, HASH_SIZE,
                     "31fff49c67256857183f10c95d37d2bab469ed123990cc41dff6a7fe4373c644");
    market_request_hash(h2, model, prov, 5, 8);
    ck_assert(memcmp(h, h2, HASH_SIZE) != 0);
    market_request_hash(h2, model, prov, 6, 7);
    ck_assert(memcmp(h, h2, HASH_SIZE) != 0);
    prov[31] ^= 1;
    market_request_hash(h2, model, prov, 5, 7);
    ck_assert(memcmp(h, h2, HASH_SIZE) != 0);
    prov[31] ^= 1;
    model[0] ^= 1;
    market_request_hash(h2, model, prov, 5, 7);
    ck_assert(memcmp(h, h2, HASH_SIZE) != 0);
}
END_TEST

/* ---- the type table and the chain parameters ---- */

START_TEST(txtype_rows)
{
    static const struct {
        uint8_t type;
        const char *name;
        uint32_t units;
    } rows[] = {
        {TX_MARKET_PUBLISH, "market_publish", 4},
        {TX_MARKET_SET_PRICE, "market_set_price", 2},
        {TX_MARKET_PROVIDER_REGISTER, "market_provider_register", 2},
        {TX_MARKET_CALL, "market_call", 2},
        {TX_MARKET_CLAIM, "market_claim", 2},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ck_assert_uint_eq(rows[i].type, 48 + i);
        ck_assert(txtype_known(rows[i].type));
        const struct txtype *t = txtype_get(rows[i].type);
        ck_assert_ptr_nonnull(t);
        ck_assert_str_eq(t->name, rows[i].name);
        ck_assert_str_eq(t->module, "market");
        ck_assert_uint_eq(txtype_block_units(rows[i].type), rows[i].units);
        ck_assert_uint_eq(txtype_from_name(rows[i].name), rows[i].type);
    }
    ck_assert(!txtype_known(53));
}
END_TEST

START_TEST(chain_parameters)
{
    struct chain_params main_p, test_p, p;
    ck_assert(params_init(&main_p, NET_MAIN));
    ck_assert(params_init(&test_p, NET_TEST));
    const struct chain_params *nets[] = {&main_p, &test_p, &params};
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(nets[i]->market_burn_bps, 1000);
        ck_assert_uint_eq(nets[i]->market_mine_bps, 500);
        ck_assert_uint_eq(nets[i]->market_fee_per_kmac, 10);
        ck_assert_uint_eq(nets[i]->market_mult_cap, 16);
    }
    ck_assert_uint_eq(main_p.market_pool_cap_blocks, 518400);
    ck_assert_uint_eq(test_p.market_pool_cap_blocks, 518400);
    ck_assert_uint_eq(params.market_pool_cap_blocks, 1000);
    ck_assert_uint_eq(main_p.market_min_provider_stake, 100 * COIN);
    ck_assert_uint_eq(test_p.market_min_provider_stake, 100 * COIN);
    ck_assert_uint_eq(params.market_min_provider_stake, 1 * COIN);

    /* The encoding has the six fields, in order, before the liveness
     * fields' 14 bytes (downtime_jail_bps 0, min slots 4, jail epochs 6,
     * slash 1 bps, commission change 100 bps). */
    struct wbuf w;
    wbuf_init(&w);
    params_encode(&params, &w);
    ck_assert_uint_ge(w.len, 42);
    ck_assert_hex_eq(w.data + w.len - 14, 14, "0000" "04000000" "06000000" "0100" "6400");
    ck_assert_hex_eq(w.data + w.len - 14 - 28, 28,
                     "e803" "f401" "0a00000000000000" "10000000" "e8030000" "00e1f50500000000");
    wbuf_free(&w);

    char err[128];
    ck_assert_msg(params_validate(&params, err, sizeof(err)), "%s", err);
    static const struct {
        int field;
        uint64_t value;
        const char *needle;
    } bad[] = {
        {0, 0, "market_burn_bps"},        {0, 5001, "market_burn_bps"},
        {1, 1000, "market_mine_bps"},     {2, 1000000001, "market_fee_per_kmac"},
        {3, 0, "market_mult_cap"},        {3, 65537, "market_mult_cap"},
        {4, 0, "market_pool_cap_blocks"}, {5, 0, "market_min_provider_stake"},
        {5, MAX_SUPPLY + 1, "market_min_provider_stake"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = params;
        switch (bad[i].field) {
        case 0: p.market_burn_bps = (uint16_t)bad[i].value; break;
        case 1: p.market_mine_bps = (uint16_t)bad[i].value; break;
        case 2: p.market_fee_per_kmac = bad[i].value; break;
        case 3: p.market_mult_cap = (uint32_t)bad[i].value; break;
        case 4: p.market_pool_cap_blocks = (uint32_t)bad[i].value; break;
        case 5: p.market_min_provider_stake = bad[i].value; break;
        }
        ck_assert_msg(!params_validate(&p, err, sizeof(err)), "case %zu accepted", i);
        ck_assert_msg(strstr(err, bad[i].needle), "case %zu: %s", i, err);
    }
    /* The edges that pass. */
    p = params;
    p.market_burn_bps = 5000;
    p.market_mine_bps = 4999;
    p.market_fee_per_kmac = 1000000000;
    p.market_mult_cap = 65536;
    p.market_pool_cap_blocks = 1;
    p.market_min_provider_stake = 1;
    ck_assert_msg(params_validate(&p, err, sizeof(err)), "%s", err);
    p.market_burn_bps = 1;
    p.market_mine_bps = 0;
    ck_assert_msg(params_validate(&p, err, sizeof(err)), "%s", err);
    params_free(&main_p);
    params_free(&test_p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("market");
    TCase *tc = tcase_create("market");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, publish_codec);
    tcase_add_test(tc, small_payload_codecs);
    tcase_add_test(tc, publish_rules);
    tcase_add_test(tc, other_rules);
    tcase_add_test(tc, record_codecs);
    tcase_add_test(tc, keys);
    tcase_add_test(tc, price_vectors);
    tcase_add_test(tc, price_matches_reference_on_random_inputs);
    tcase_add_test(tc, multiplier_rises_and_decays);
    tcase_add_test(tc, decay_is_repeated_next_and_bounded);
    tcase_add_test(tc, pay_split_vector_and_sums);
    tcase_add_test(tc, mined_vectors_and_bound);
    tcase_add_test(tc, accrual_vectors_and_conservation);
    tcase_add_test(tc, pool_cap_and_request_hash);
    tcase_add_test(tc, txtype_rows);
    tcase_add_test(tc, chain_parameters);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
