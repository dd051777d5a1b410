/* Randomized round trips of every decoder.
 *
 * Random transactions and blocks must survive encode -> decode -> encode
 * unchanged.  Random bytes, and valid encodings with random damage, must
 * never crash a decoder, and whenever one accepts its input, encoding the
 * result must give back exactly those bytes: that is what "canonical" means,
 * and it is what keeps two nodes from reading one block two ways.
 *
 * The seed is printed; FML_TEST_SEED=<n> replays a run. */
#include "consensus/accounts.h"
#include "consensus/block.h"
#include "consensus/staking.h"
#include "consensus/tx.h"

#include "tests/unit/test_util.h"

static uint64_t run_seed;

/* Lengths that cross the CompactSize boundaries now and then. */
static size_t random_payload_len(struct test_rng *r)
{
    switch (test_rand_below(r, 8)) {
    case 0: return 0;
    case 1: return 0xfc + test_rand_below(r, 3);  /* 252..254 */
    case 2: return 0xffff + test_rand_below(r, 3); /* 65535..65537 */
    default: return test_rand_below(r, 200);
    }
}

static void random_tx(struct test_rng *r, struct tx *tx)
{
    uint8_t *payload;
    size_t n = random_payload_len(r);
    tx_init(tx);
    tx->version = (uint8_t)test_rand64(r);
    tx->type = (uint8_t)test_rand64(r);
    test_rand_bytes(r, tx->sender, PUBKEY_SIZE);
    tx->nonce = test_rand64(r);
    tx->fee = test_rand64(r);
    payload = malloc(n + 1);
    ck_assert_ptr_nonnull(payload);
    test_rand_bytes(r, payload, n);
    ck_assert(tx_set_payload(tx, payload, n));
    free(payload);
    test_rand_bytes(r, tx->sig, SIG_SIZE);
}

static void random_header(struct test_rng *r, struct block_header *h)
{
    h->version = (uint32_t)test_rand64(r);
    h->height = test_rand64(r);
    test_rand_bytes(r, h->prev, HASH_SIZE);
    h->slot = test_rand64(r);
    h->time = test_rand64(r);
    test_rand_bytes(r, h->tx_root, HASH_SIZE);
    test_rand_bytes(r, h->state_root, HASH_SIZE);
    test_rand_bytes(r, h->proposer, PUBKEY_SIZE);
    test_rand_bytes(r, h->randao_reveal, HASH_SIZE);
    test_rand_bytes(r, h->sig, SIG_SIZE);
}

static uint8_t *tx_bytes(const struct tx *tx, size_t *len)
{
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(tx, &w);
    ck_assert(!w.failed);
    return wbuf_take(&w, len);
}

static uint8_t *block_bytes(const struct block *b, size_t *len)
{
    struct wbuf w;
    wbuf_init(&w);
    block_encode(b, &w);
    ck_assert(!w.failed);
    return wbuf_take(&w, len);
}

/* Decoding data as a transaction either fails or gives back data.  True
 * when it was accepted. */
static bool tx_canonical(const uint8_t *data, size_t len)
{
    struct tx tx;
    if (!tx_decode(&tx, data, len))
        return false;
    size_t n;
    uint8_t *again = tx_bytes(&tx, &n);
    ck_assert_msg(n == len && memcmp(again, data, len) == 0,
                  "tx decoded from %zu bytes re-encodes differently (seed %" PRIu64 ")", len,
                  run_seed);
    ck_assert_uint_eq(tx_encoded_size(&tx), len);
    free(again);
    tx_free(&tx);
    return true;
}

static bool block_canonical(const uint8_t *data, size_t len)
{
    struct block b;
    struct block_header h;
    if (header_decode(&h, data, len)) {
        uint8_t enc[BLOCK_HEADER_SIZE];
        header_encode(&h, enc);
        ck_assert(len == BLOCK_HEADER_SIZE && memcmp(enc, data, len) == 0);
    }
    if (!block_decode(&b, data, len, len))
        return false;
    size_t n;
    uint8_t *again = block_bytes(&b, &n);
    ck_assert_msg(n == len && memcmp(again, data, len) == 0,
                  "block decoded from %zu bytes re-encodes differently (seed %" PRIu64 ")", len,
                  run_seed);
    for (size_t i = 0; i < b.ntx; i++) {
        uint8_t id[HASH_SIZE];
        tx_txid(&b.txs[i], id);
        ck_assert(memcmp(id, b.txids[i], HASH_SIZE) == 0);
    }
    free(again);
    block_free(&b);
    return true;
}

/* The small state decoders, same rule. */
static void state_canonical(const uint8_t *data, size_t len)
{
    struct wbuf w;
    struct transfer t;
    struct account a;
    struct validator v;
    struct schedule s;
    const uint8_t *keys;
    size_t n;
    uint64_t x;
    struct rbuf r;

    wbuf_init(&w);
    if (transfer_decode(&t, data, len)) {
        transfer_encode(&t, &w);
        ck_assert(w.len == len && memcmp(w.data, data, len) == 0);
    }
    wbuf_reset(&w);
    if (account_decode(&a, data, len)) {
        uint8_t enc[ACCOUNT_VALUE_SIZE];
        account_encode(&a, enc);
        ck_assert(len == ACCOUNT_VALUE_SIZE && memcmp(enc, data, len) == 0);
    }
    if (validator_decode(&v, data, len)) {
        validator_encode(&v, &w);
        ck_assert(w.len == len && memcmp(w.data, data, len) == 0);
    }
    wbuf_reset(&w);
    if (validator_list_decode(&keys, &n, data, len, 1000)) {
        validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, n, &w);
        ck_assert(w.len == len && memcmp(w.data, data, len) == 0);
    }
    wbuf_reset(&w);
    if (schedule_decode(&s, data, len, 1000)) {
        schedule_encode(&s, &w);
        ck_assert(w.len == len && memcmp(w.data, data, len) == 0);
        schedule_free(&s);
    }
    wbuf_reset(&w);
    rbuf_init(&r, data, len);
    if (get_compact(&r, &x, UINT64_MAX)) {
        put_compact(&w, x);
        ck_assert(w.len == len - r.left && memcmp(w.data, data, w.len) == 0);
    }
    wbuf_free(&w);
}

/* Damages a copy of data: flips, overwrites, truncates, extends or splices. */
static uint8_t *mutate(struct test_rng *r, const uint8_t *data, size_t len, size_t *out_len)
{
    size_t cap = len + 16;
    uint8_t *m = malloc(cap);
    ck_assert_ptr_nonnull(m);
    memcpy(m, data, len);
    *out_len = len;
    int edits = 1 + (int)test_rand_below(r, 3);
    for (int e = 0; e < edits; e++) {
        switch (test_rand_below(r, 5)) {
        case 0:
            if (*out_len)
                m[test_rand_below(r, *out_len)] ^= (uint8_t)(1u << test_rand_below(r, 8));
            break;
        case 1:
            if (*out_len)
                m[test_rand_below(r, *out_len)] = (uint8_t)test_rand64(r);
            break;
        case 2:
            *out_len = test_rand_below(r, *out_len + 1);
            break;
        case 3:
            if (*out_len < cap)
                m[(*out_len)++] = (uint8_t)test_rand64(r);
            break;
        case 4: {
            /* A CompactSize-looking prefix byte somewhere. */
            static const uint8_t tags[] = {0xfc, 0xfd, 0xfe, 0xff, 0x00};
            if (*out_len)
                m[test_rand_below(r, *out_len)] = tags[test_rand_below(r, sizeof(tags))];
            break;
        }
        }
    }
    return m;
}

/* Random transactions: encode -> decode -> encode, field for field. */
START_TEST(test_random_tx_round_trip)
{
    struct test_rng rng;
    unsigned damaged = 0, accepted = 0;
    test_rng_seed(&rng, run_seed);
    for (int i = 0; i < 3000; i++) {
        struct tx tx, back;
        size_t len, len2;
        uint8_t *a, *b, id1[HASH_SIZE], id2[HASH_SIZE];
        random_tx(&rng, &tx);
        a = tx_bytes(&tx, &len);
        ck_assert_uint_eq(len, tx_encoded_size(&tx));
        ck_assert_msg(tx_decode(&back, a, len), "iteration %d (seed %" PRIu64 ")", i, run_seed);
        ck_assert(back.version == tx.version && back.type == tx.type);
        ck_assert(back.nonce == tx.nonce && back.fee == tx.fee);
        ck_assert(back.payload_len == tx.payload_len);
        ck_assert(tx.payload_len == 0 || memcmp(back.payload, tx.payload, tx.payload_len) == 0);
        b = tx_bytes(&back, &len2);
        ck_assert(len == len2 && memcmp(a, b, len) == 0);
        tx_txid(&tx, id1);
        tx_txid(&back, id2);
        ck_assert(memcmp(id1, id2, HASH_SIZE) == 0);
        if (len < 2000) {
            /* And every damaged copy obeys the canonical rule. */
            for (int k = 0; k < 4; k++) {
                size_t mlen;
                uint8_t *m = mutate(&rng, a, len, &mlen);
                accepted += tx_canonical(m, mlen);
                damaged++;
                free(m);
            }
        }
        free(a);
        free(b);
        tx_free(&tx);
        tx_free(&back);
    }
    /* Some damage leaves a decodable transaction (a changed fee, say): the
     * canonical rule was exercised on both outcomes. */
    ck_assert_uint_gt(accepted, damaged / 20);
    ck_assert_uint_lt(accepted, damaged);
}
END_TEST

/* Random blocks: encode -> decode -> encode, with txids recomputed. */
START_TEST(test_random_block_round_trip)
{
    struct test_rng rng;
    unsigned damaged = 0, accepted = 0;
    test_rng_seed(&rng, run_seed ^ 0xb10c);
    for (int i = 0; i < 300; i++) {
        struct block b, back;
        size_t len, len2, ntx = test_rand_below(&rng, 12);
        uint8_t *a, *c;
        block_init(&b);
        random_header(&rng, &b.hdr);
        for (size_t k = 0; k < ntx; k++) {
            struct tx tx;
            random_tx(&rng, &tx);
            ck_assert(block_add_tx(&b, &tx));
            tx_free(&tx);
        }
        a = block_bytes(&b, &len);
        ck_assert_msg(block_decode(&back, a, len, len), "iteration %d (seed %" PRIu64 ")", i,
                      run_seed);
        ck_assert_uint_eq(back.ntx, ntx);
        for (size_t k = 0; k < ntx; k++)
            ck_assert(memcmp(back.txids[k], b.txids[k], HASH_SIZE) == 0);
        c = block_bytes(&back, &len2);
        ck_assert(len == len2 && memcmp(a, c, len) == 0);
        uint8_t r1[HASH_SIZE], r2[HASH_SIZE];
        block_merkle_root(&b, r1);
        block_merkle_root(&back, r2);
        ck_assert(memcmp(r1, r2, HASH_SIZE) == 0);
        if (len < 3000) {
            for (int k = 0; k < 8; k++) {
                size_t mlen;
                uint8_t *m = mutate(&rng, a, len, &mlen);
                accepted += block_canonical(m, mlen);
                damaged++;
                free(m);
            }
        }
        free(a);
        free(c);
        block_free(&b);
        block_free(&back);
    }
    ck_assert_uint_gt(accepted, damaged / 20);
    ck_assert_uint_lt(accepted, damaged);
}
END_TEST

/* Pure noise into every decoder: no crash, and canonical when accepted. */
START_TEST(test_random_bytes)
{
    struct test_rng rng;
    uint8_t buf[700];
    test_rng_seed(&rng, run_seed ^ 0x4e015e);
    for (int i = 0; i < 20000; i++) {
        size_t len = test_rand_below(&rng, sizeof(buf) + 1);
        test_rand_bytes(&rng, buf, len);
        /* Bias the first bytes towards plausible values half of the time. */
        if (len >= 2 && i % 2) {
            buf[0] = 1;
            buf[1] = 1;
        }
        tx_canonical(buf, len);
        block_canonical(buf, len);
        state_canonical(buf, len);
    }
}
END_TEST

/* Damaged state encodings (schedules, lists, records). */
START_TEST(test_random_state_encodings)
{
    struct test_rng rng;
    test_rng_seed(&rng, run_seed ^ 0x57a7e);
    for (int i = 0; i < 2000; i++) {
        struct wbuf w;
        struct schedule s;
        struct sched_entry entries[4];
        struct validator v = {0};
        uint8_t keys[4][PUBKEY_SIZE];
        size_t n = test_rand_below(&rng, 5), mlen;
        uint8_t *m;

        schedule_init(&s);
        s.epoch = test_rand64(&rng);
        test_rand_bytes(&rng, s.seed, HASH_SIZE);
        for (size_t k = 0; k < n; k++) {
            memset(entries[k].pubkey, (int)(k * 40 + test_rand_below(&rng, 40)), PUBKEY_SIZE);
            memcpy(keys[k], entries[k].pubkey, PUBKEY_SIZE);
            entries[k].stake = 1 + test_rand_below(&rng, 1000000);
        }
        s.entries = entries;
        s.n = n;
        v.self_stake = test_rand64(&rng);
        v.status = (uint8_t)test_rand_below(&rng, 2);

        wbuf_init(&w);
        schedule_encode(&s, &w);
        state_canonical(w.data, w.len);
        m = mutate(&rng, w.data, w.len, &mlen);
        state_canonical(m, mlen);
        free(m);
        wbuf_reset(&w);
        validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, n, &w);
        m = mutate(&rng, w.data, w.len, &mlen);
        state_canonical(m, mlen);
        free(m);
        wbuf_reset(&w);
        validator_encode(&v, &w);
        m = mutate(&rng, w.data, w.len, &mlen);
        state_canonical(m, mlen);
        free(m);
        wbuf_free(&w);
    }
}
END_TEST

static Suite *roundtrip_suite(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_tx_round_trip);
    tcase_add_test(tc, test_random_block_round_trip);
    tcase_add_test(tc, test_random_bytes);
    tcase_add_test(tc, test_random_state_encodings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    run_seed = test_seed("roundtrip");
    return test_run_suite(roundtrip_suite());
}
