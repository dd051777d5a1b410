/* createrawtransaction's reader (rpc/txbuild.c) against the decoder
 * (rpc/txjson.c): for the valid payload of every type in the tx_payload fuzz
 * corpus, the JSON decoderawtransaction prints (plus, for the data it shows
 * only as a count or hash, that data as hex) builds exactly the same
 * payload; every type is covered.  A changed byte of the hex data changes
 * the payload or is refused, and malformed JSON is refused with the field
 * named. */
#include "consensus/arena.h"
#include "consensus/bech32.h"
#include "consensus/finality.h"
#include "consensus/fltx.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/stakingtx.h"
#include "consensus/txtypes.h"
#include "rpc/txbuild.h"
#include "rpc/util.h"

#include "tests/unit/test_util.h"

#include <dirent.h>

#ifndef TXBUILD_CORPUS
#define TXBUILD_CORPUS "tests/fuzz/corpus/tx_payload"
#endif

static struct chain_params params;

static void set_hex(json_t *o, const char *name, const void *data, size_t n)
{
    json_object_set_new(o, name, json_hex(data, n));
}

/* The hex fields for the data the decoded JSON shows only as a count or
 * hash, from the payload's own decoder. */
static void add_data_fields(const struct tx *tx, json_t *pl)
{
    const uint8_t *p = tx->payload;
    size_t n = tx->payload_len;
    switch ((enum tx_type)tx->type) {
    case TX_EVIDENCE: {
        struct evidence e;
        uint8_t a[BLOCK_HEADER_SIZE], b[BLOCK_HEADER_SIZE];
        ck_assert(evidence_decode(&e, p, n));
        header_encode(&e.a, a);
        header_encode(&e.b, b);
        set_hex(pl, "header_a", a, sizeof(a));
        set_hex(pl, "header_b", b, sizeof(b));
        break;
    }
    case TX_FINALITY_EVIDENCE: {
        struct finality_evidence e;
        struct wbuf w;
        ck_assert(finality_evidence_decode(&e, p, n));
        wbuf_init(&w);
        tx_encode(&e.a, &w);
        set_hex(pl, "vote_a_hex", w.data, w.len);
        wbuf_reset(&w);
        tx_encode(&e.b, &w);
        set_hex(pl, "vote_b_hex", w.data, w.len);
        wbuf_free(&w);
        finality_evidence_free(&e);
        break;
    }
    case TX_FL_TASK_CREATE: {
        struct fl_task_params t;
        ck_assert(fl_task_create_decode(&t, p, n));
        set_hex(pl, "normalization_hex", t.spec.norm, (size_t)t.spec.n_norm * 8);
        set_hex(pl, "initial_weights_hex", t.init, (size_t)t.n_init * 4);
        break;
    }
    case TX_FL_UPDATE_REVEAL: {
        struct fl_update_reveal u;
        ck_assert(fl_update_reveal_decode(&u, p, n));
        set_hex(pl, "weights_hex", u.weights, (size_t)u.n * 4);
        break;
    }
    case TX_ARENA_TASK_CREATE: {
        struct arena_task_params t;
        ck_assert(arena_task_create_decode(&t, p, n));
        set_hex(pl, "normalization_hex", t.spec.norm, (size_t)t.spec.n_norm * 8);
        break;
    }
    case TX_ARENA_SUBMIT_REVEAL: {
        struct arena_submit_reveal r;
        ck_assert(arena_submit_reveal_decode(&r, p, n));
        set_hex(pl, "weights_hex", r.weights, (size_t)r.n * 4);
        break;
    }
    case TX_ARENA_REVEAL_VALSET: {
        struct arena_reveal_valset r;
        ck_assert(arena_reveal_valset_decode(&r, p, n));
        set_hex(pl, "path_hex", r.path, (size_t)r.npath * HASH_SIZE);
        set_hex(pl, "data_hex", r.data, r.len);
        break;
    }
    case TX_MARKET_PUBLISH: {
        struct market_publish m;
        ck_assert(market_publish_decode(&m, p, n));
        if (m.source == MARKET_SOURCE_UPLOAD) {
            set_hex(pl, "normalization_hex", m.spec.norm, (size_t)m.spec.n_norm * 8);
            set_hex(pl, "weights_hex", m.weights, (size_t)m.n_weights * 4);
        }
        break;
    }
    default:
        break;
    }
}

/* Amounts as decimal strings, as a client would send them (json_amount
 * values are markers for the writer, not input). */
static void amounts_to_strings(json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;
    uint64_t units;
    char text[32];
    if (json_is_object(j)) {
        json_object_foreach (j, k, v) {
            if (json_amount_units(v, &units)) {
                rpc_format_amount(units, text);
                json_object_set_new(j, k, json_string(text));
            } else {
                amounts_to_strings(v);
            }
        }
    } else if (json_is_array(j)) {
        json_array_foreach (j, i, v) {
            if (json_amount_units(v, &units)) {
                rpc_format_amount(units, text);
                json_array_set_new(j, i, json_string(text));
            } else {
                amounts_to_strings(v);
            }
        }
    }
}

/* {"type", "sender", "nonce", "fee", "payload": {...}} as decoded. */
static json_t *decoded_request(const struct tx *tx)
{
    json_t *d = tx_to_json(&params, tx), *in = json_object();
    amounts_to_strings(d);
    json_t *pl = json_deep_copy(json_object_get(d, "payload"));
    add_data_fields(tx, pl);
    json_object_set(in, "type", json_object_get(d, "type"));
    json_object_set(in, "sender", json_object_get(d, "sender"));
    json_object_set(in, "nonce", json_object_get(d, "nonce"));
    json_object_set(in, "fee", json_object_get(d, "fee"));
    json_object_set_new(in, "payload", pl);
    json_decref(d);
    return in;
}

static bool read_corpus_tx(const char *name, struct tx *tx)
{
    char path[512];
    uint8_t buf[1 << 16];
    snprintf(path, sizeof(path), "%s/%s", TXBUILD_CORPUS, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n < 1)
        return false;
    tx_init(tx);
    tx->version = TX_VERSION;
    tx->type = buf[0];
    memcpy(tx->sender, params.validators[0].pubkey, PUBKEY_SIZE);
    /* A finality vote's envelope nonce is 0 (its stateless rule). */
    tx->nonce = tx->type == TX_FINALITY_VOTE ? 0 : 42;
    tx->fee = 12345;
    ck_assert(tx_set_payload(tx, buf + 1, n - 1));
    return true;
}

START_TEST(test_corpus_round_trip)
{
    bool covered[TX_TYPE_LIMIT] = {false};
    DIR *dir = opendir(TXBUILD_CORPUS);
    struct dirent *de;
    ck_assert_msg(dir != NULL, "no corpus at %s", TXBUILD_CORPUS);
    while ((de = readdir(dir))) {
        struct tx tx, built;
        struct validation v;
        bool have_nonce, have_fee;
        char err[256];
        if (de->d_name[0] == '.' || !read_corpus_tx(de->d_name, &tx))
            continue;
        val_init(&v);
        if (!txtype_get(tx.type) || !txtype_check_payload(&tx, &params, &v)) {
            tx_free(&tx);
            continue; /* only a valid payload can be built */
        }
        json_t *in = decoded_request(&tx);
        bool ok = tx_build_from_json(&params, in, &built, &have_nonce, &have_fee, err,
                                     sizeof(err));
        ck_assert_msg(ok, "%s: %s", de->d_name, err);
        ck_assert(have_nonce && have_fee);
        ck_assert_uint_eq(built.type, tx.type);
        ck_assert_uint_eq(built.nonce, tx.nonce);
        ck_assert_uint_eq(built.fee, 12345);
        ck_assert_mem_eq(built.sender, tx.sender, PUBKEY_SIZE);
        ck_assert_uint_eq(built.payload_len, tx.payload_len);
        ck_assert_msg(tx.payload_len == 0 || memcmp(built.payload, tx.payload, tx.payload_len) == 0,
                      "%s: the payload built differs", de->d_name);
        covered[tx.type] = true;

        /* The same fields beside "type" instead of under "payload". */
        json_t *flat = json_deep_copy(in), *pl = json_object_get(in, "payload");
        json_object_del(flat, "payload");
        json_object_update(flat, pl);
        struct tx again;
        ck_assert_msg(tx_build_from_json(&params, flat, &again, &have_nonce, &have_fee, err,
                                         sizeof(err)),
                      "%s flat: %s", de->d_name, err);
        ck_assert(again.payload_len == tx.payload_len &&
                  (tx.payload_len == 0 || memcmp(again.payload, tx.payload, tx.payload_len) == 0));
        tx_free(&again);

        /* An unknown field is refused, naming it. */
        json_object_set_new(json_object_get(in, "payload"), "extra", json_integer(1));
        ck_assert(!tx_build_from_json(&params, in, &again, &have_nonce, &have_fee, err,
                                      sizeof(err)));
        ck_assert_msg(strstr(err, "payload.extra: unknown field") != NULL, "%s", err);
        json_decref(flat);
        json_decref(in);
        tx_free(&built);
        tx_free(&tx);
    }
    closedir(dir);
    for (unsigned t = 0; t < TX_TYPE_LIMIT; t++)
        if (txtype_known((uint8_t)t))
            ck_assert_msg(covered[t], "type %s: no valid payload in the corpus was built",
                          txtype_name((uint8_t)t));
}
END_TEST

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "%s", e.text);
    return j;
}

START_TEST(test_malformed)
{
    static const struct {
        const char *json, *needle;
    } cases[] = {
        {"[]", "expected a JSON object"},
        {"{\"type\": \"nosuch\"}", "type:"},
        {"{\"type\": 1}", "type:"},
        {"{\"type\": \"transfer\", \"sender\": \"x\"}", "sender:"},
        {"{\"type\": \"transfer\", \"sender\": \"@A\", \"amount\": 1}", "to: missing"},
        {"{\"type\": \"transfer\", \"sender\": \"@A\", \"to\": \"@A\", \"amount\": \"1.000000001\"}",
         "amount: Invalid amount"},
        {"{\"type\": \"transfer\", \"sender\": \"@A\", \"to\": \"@A\", \"amount\": 1, "
         "\"version\": 2}",
         "version:"},
        {"{\"type\": \"transfer\", \"sender\": \"@A\", \"to\": \"@A\", \"amount\": 1, "
         "\"nonce\": \"1\"}",
         "nonce:"},
        {"{\"type\": \"fl_join\", \"sender\": \"@A\", \"task\": \"00\", \"stake\": 1}",
         "task: expected 64 hex digits"},
        {"{\"type\": \"fl_update_commit\", \"sender\": \"@A\", \"task\": \"@H\", "
         "\"round\": 4294967296, \"commitment\": \"@H\"}",
         "round: expected an integer from 0 to 4294967295"},
        {"{\"type\": \"arena_reveal_valset\", \"sender\": \"@A\", \"task\": \"@H\", \"set\": 1, "
         "\"chunk\": 1, \"salt\": \"@H\", \"data_hex\": \"zz\"}",
         "data_hex: expected a hex string"},
        {"{\"type\": \"arena_reveal_valset\", \"sender\": \"@A\", \"task\": \"@H\", \"set\": 1, "
         "\"chunk\": 1, \"salt\": \"@H\", \"data_hex\": \"\"}",
         "refused by the arena_reveal_valset rules"},
        {"{\"type\": \"market_publish\", \"sender\": \"@A\", \"name\": \"x\", \"source\": "
         "\"upload\", \"kind\": \"logistic\", \"sizes\": [2, 0], \"weights_hex\": \"\", "
         "\"base_price\": 1, \"target\": 1, \"split\": {\"creator_bps\": 10000, \"data_bps\": 0, "
         "\"provider_bps\": 0}, \"mode\": \"none\", \"components\": []}",
         "sizes[1]: expected an integer from 1"},
    };
    char addr[ADDRESS_MAX_LEN], hash[2 * HASH_SIZE + 1], text[1024];
    ck_assert(address_encode(addr, params.hrp, params.validators[0].pubkey));
    memset(hash, 'a', 2 * HASH_SIZE);
    hash[2 * HASH_SIZE] = '\0';
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tx tx;
        bool hn, hf;
        char err[256];
        /* @A: an address of this network; @H: a hash. */
        size_t used = 0;
        for (const char *c = cases[i].json; *c && used + 80 < sizeof(text); c++) {
            if (c[0] == '@' && (c[1] == 'A' || c[1] == 'H')) {
                used += (size_t)snprintf(text + used, sizeof(text) - used, "%s",
                                         c[1] == 'A' ? addr : hash);
                c++;
            } else {
                text[used++] = *c;
            }
        }
        text[used] = '\0';
        json_t *in = parse(text);
        ck_assert_msg(!tx_build_from_json(&params, in, &tx, &hn, &hf, err, sizeof(err)),
                      "accepted: %s", text);
        ck_assert_msg(strstr(err, cases[i].needle) != NULL, "%s: got \"%s\"", text, err);
        json_decref(in);
    }
}
END_TEST

static void setup(void)
{
    ck_assert(sodium_init() >= 0);
    ck_assert(params_init(&params, NET_REGTEST));
}

static void teardown(void)
{
    params_free(&params);
}

static Suite *txbuild_suite(void)
{
    Suite *s = suite_create("txbuild");
    TCase *tc = tcase_create("txbuild");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_corpus_round_trip);
    tcase_add_test(tc, test_malformed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(txbuild_suite());
}
