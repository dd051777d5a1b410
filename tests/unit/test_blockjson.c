/* getblock's transactions written straight into the reply buffer
 * (block_txs_json, rpc/util.c) against the jansson path they replace
 * (tx_to_json / json_hash serialized by rpc_json_dumps): byte for byte, for
 * a block holding every transaction of the tx_payload fuzz corpus (every
 * type, valid and malformed payloads, an unknown type) and for a block of
 * 6,000 transfers, at verbosity 1 and 2; and a json_raw member is written
 * verbatim inside a reply. */
#include "consensus/accounts.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"
#include "rpc/util.h"

#include "tests/unit/test_util.h"

#include <dirent.h>

#ifndef BLOCKJSON_CORPUS
#define BLOCKJSON_CORPUS "tests/fuzz/corpus/tx_payload"
#endif

static struct chain_params params;

/* The reply as the jansson tree gave it: {"size":..,"tx":[...]}. */
static char *reference(const struct block *b, int verbosity, size_t *len)
{
    json_t *o = json_object(), *txs = json_array();
    json_object_set_new(o, "size", json_integer(123));
    for (size_t i = 0; i < b->ntx; i++)
        json_array_append_new(txs, verbosity == 1 ? json_hash(b->txids[i])
                                                  : tx_to_json(&params, &b->txs[i]));
    json_object_set_new(o, "tx", txs);
    char *s = rpc_json_dumps(o, 0, len);
    json_decref(o);
    return s;
}

static char *direct(const struct block *b, int verbosity, size_t *len)
{
    json_t *o = json_object();
    json_object_set_new(o, "size", json_integer(123));
    json_t *txs = block_txs_json(&params, b, verbosity);
    ck_assert(txs != NULL);
    json_object_set_new(o, "tx", txs);
    char *s = rpc_json_dumps(o, 0, len);
    json_decref(o);
    return s;
}

static void check_same(const struct block *b)
{
    for (int verbosity = 1; verbosity <= 2; verbosity++) {
        size_t n_ref, n_new;
        char *ref = reference(b, verbosity, &n_ref);
        char *got = direct(b, verbosity, &n_new);
        size_t i = 0;
        while (i < n_ref && i < n_new && ref[i] == got[i])
            i++;
        ck_assert_msg(n_ref == n_new && i == n_ref,
                      "verbosity %d: differs at byte %zu of %zu/%zu: ref \"%.80s\" got \"%.80s\"",
                      verbosity, i, n_ref, n_new, ref + (i > 20 ? i - 20 : 0),
                      got + (i > 20 ? i - 20 : 0));
        free(ref);
        free(got);
    }
}

static void corpus_tx(struct tx *tx, uint8_t type, const uint8_t *payload, size_t n,
                      uint64_t nonce)
{
    tx_init(tx);
    tx->version = TX_VERSION;
    tx->type = type;
    memcpy(tx->sender, params.validators[0].pubkey, PUBKEY_SIZE);
    tx->nonce = type == TX_FINALITY_VOTE ? 0 : nonce; /* its stateless rule */
    tx->fee = 12345 + nonce;
    for (size_t i = 0; i < SIG_SIZE; i++)
        tx->sig[i] = (uint8_t)(i * 7 + nonce);
    ck_assert(tx_set_payload(tx, payload, n));
}

START_TEST(test_every_type)
{
    bool covered[TX_TYPE_LIMIT] = {false};
    struct block b;
    block_init(&b);
    DIR *dir = opendir(BLOCKJSON_CORPUS);
    struct dirent *de;
    uint64_t nonce = 1;
    ck_assert_msg(dir != NULL, "no corpus at %s", BLOCKJSON_CORPUS);
    while ((de = readdir(dir))) {
        char path[512];
        uint8_t buf[1 << 16];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", BLOCKJSON_CORPUS, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        if (n < 1)
            continue;
        struct tx tx;
        corpus_tx(&tx, buf[0], buf + 1, n - 1, nonce++);
        struct validation v;
        val_init(&v);
        if (txtype_get(tx.type) && txtype_check_payload(&tx, &params, &v))
            covered[tx.type] = true;
        ck_assert(block_add_tx(&b, &tx));
        tx_free(&tx);
    }
    closedir(dir);
    for (unsigned t = 0; t < TX_TYPE_LIMIT; t++)
        if (txtype_known((uint8_t)t))
            ck_assert_msg(covered[t], "type %s: no valid payload in the corpus",
                          txtype_name((uint8_t)t));
    /* An unknown type, a transfer whose payload does not decode, an empty
     * payload. */
    static const uint8_t junk[] = {1, 2, 3, '"', '\\', 0x7f, 0xff};
    struct tx tx;
    corpus_tx(&tx, 250, junk, sizeof(junk), nonce++);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    corpus_tx(&tx, TX_TRANSFER, junk, sizeof(junk), nonce++);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    corpus_tx(&tx, TX_TRANSFER, NULL, 0, nonce++);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    check_same(&b);
    block_free(&b);

    /* An empty block: "tx":[] either way. */
    block_init(&b);
    check_same(&b);
    block_free(&b);
}
END_TEST

START_TEST(test_big_block)
{
    struct block b;
    block_init(&b);
    for (uint64_t i = 0; i < 6000; i++) {
        struct transfer t;
        struct wbuf w;
        for (size_t k = 0; k < PUBKEY_SIZE; k++)
            t.to[k] = (uint8_t)(i * 31 + k);
        /* 0, sub-coin, whole and the largest amounts */
        t.amount = i % 4 == 0 ? i : i % 4 == 1 ? i * 100000000ull + 1
                 : i % 4 == 2 ? 2100000000000000ull : 999999999999999999ull;
        wbuf_init(&w);
        transfer_encode(&t, &w);
        struct tx tx;
        corpus_tx(&tx, TX_TRANSFER, w.data, w.len, i);
        tx.fee = i % 3 ? i * 1000 : 0;
        tx.nonce = i % 5 ? i : UINT64_MAX - i;
        wbuf_free(&w);
        ck_assert(block_add_tx(&b, &tx));
        tx_free(&tx);
    }
    check_same(&b);
    block_free(&b);
}
END_TEST

START_TEST(test_raw_member)
{
    json_t *o = json_object();
    json_object_set_new(o, "a", json_amount(150000000));
    json_object_set_new(o, "r", json_raw("[1,{\"x\":\"y\"}]", 13));
    json_object_set_new(o, "z", json_null());
    char *s = rpc_json_dumps(o, 0, NULL);
    ck_assert_str_eq(s, "{\"a\":1.50000000,\"r\":[1,{\"x\":\"y\"}],\"z\":null}");
    free(s);
    json_decref(o);

    struct rpc_out out = {0};
    rpc_out_ch(&out, '[');
    rpc_out_hex(&out, (const uint8_t *)"\x01\xab", 2);
    rpc_out_ch(&out, ',');
    rpc_out_string(&out, "a\"b\n", 4);
    rpc_out_ch(&out, ',');
    rpc_out_int(&out, -5);
    rpc_out_ch(&out, ']');
    json_t *raw = rpc_out_raw(&out);
    ck_assert_ptr_null(out.p);
    s = rpc_json_dumps(raw, 0, NULL);
    ck_assert_str_eq(s, "[\"01ab\",\"a\\\"b\\n\",-5]");
    free(s);
    json_decref(raw);

    /* Integers and amounts at their edges, as the tree writes them. */
    static const int64_t ints[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, 1234567890123};
    static const uint64_t amounts[] = {0, 1, 99999999, 100000000, 100000001, 2100000000000000,
                                       999999999999999999, UINT64_MAX};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        json_t *v = json_integer(ints[i]);
        char *want = rpc_json_dumps(v, 0, NULL);
        rpc_out_int(&out, ints[i]);
        rpc_out_ch(&out, '\0');
        ck_assert_str_eq(out.p, want);
        out.len = 0;
        free(want);
        json_decref(v);
    }
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        json_t *v = json_amount(amounts[i]);
        char *want = rpc_json_dumps(v, 0, NULL);
        rpc_out_amount(&out, amounts[i]);
        rpc_out_ch(&out, '\0');
        ck_assert_str_eq(out.p, want);
        out.len = 0;
        free(want);
        json_decref(v);
    }
    free(out.p);
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

static Suite *blockjson_suite(void)
{
    Suite *s = suite_create("blockjson");
    TCase *tc = tcase_create("blockjson");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_type);
    tcase_add_test(tc, test_big_block);
    tcase_add_test(tc, test_raw_member);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(blockjson_suite());
}
