/* Read views (state/readview.h) and LevelDB snapshots (state/db.h): a view
 * keeps seeing the state, tx index and active chain of the tip it was
 * published with after newer blocks are written and after a
 * reorganization; the last reference releases it; closing the chain waits
 * for readers; readers on other threads only ever see whole tips. */
#include "state/db.h"
#include "state/readview.h"
#include "tests/unit/chain_fixture.h"

#include <pthread.h>
#include <time.h>

START_TEST(test_db_snapshot_sees_old_state)
{
    char path[300], err[256];
    uint8_t *val;
    size_t vlen;
    fixture_setup();
    snprintf(path, sizeof(path), "%s/db", datadir);
    struct db *db = db_open(path, 1 << 20, true, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    struct db_batch *b = db_batch_new();
    db_batch_put(b, "ka", 2, "v1", 2);
    db_batch_put(b, "kb", 2, "w1", 2);
    ck_assert(db_write(db, b, false));
    db_batch_free(b);

    struct db *snap = db_snapshot(db);
    ck_assert(snap != NULL);
    b = db_batch_new();
    db_batch_put(b, "ka", 2, "v2", 2);
    db_batch_del(b, "kb", 2);
    db_batch_put(b, "kc", 2, "x2", 2);
    ck_assert(db_write(db, b, false));
    /* A snapshot is read-only. */
    ck_assert(!db_write(snap, b, false));
    db_batch_free(b);

    ck_assert_int_eq(db_get(snap, "ka", 2, &val, &vlen), DB_FOUND);
    ck_assert(vlen == 2 && memcmp(val, "v1", 2) == 0);
    free(val);
    ck_assert_int_eq(db_get(snap, "kb", 2, &val, &vlen), DB_FOUND);
    free(val);
    ck_assert_int_eq(db_get(snap, "kc", 2, &val, &vlen), DB_NOTFOUND);
    ck_assert_int_eq(db_get(db, "ka", 2, &val, &vlen), DB_FOUND);
    ck_assert(vlen == 2 && memcmp(val, "v2", 2) == 0);
    free(val);
    ck_assert_int_eq(db_get(db, "kb", 2, &val, &vlen), DB_NOTFOUND);

    /* Iteration through the snapshot: ka=v1, kb=w1, no kc. */
    const uint8_t *k, *v;
    size_t kl, vl, n = 0;
    struct db_iter *it = db_iter_new(snap, "k", 1);
    while (db_iter_next(it, &k, &kl, &v, &vl)) {
        ck_assert(vl == 2 && v[1] == '1');
        n++;
    }
    ck_assert(!db_iter_failed(it));
    db_iter_free(it);
    ck_assert_uint_eq(n, 2);

    db_close(snap);
    db_close(db);
    fixture_teardown();
}
END_TEST

static uint64_t view_balance(struct readview *rv, const uint8_t pub[PUBKEY_SIZE])
{
    struct account a;
    ck_assert(readview_get_account(rv, pub, &a));
    return a.balance;
}

START_TEST(test_view_keeps_its_tip)
{
    uint8_t txid[HASH_SIZE];
    struct tx tx;
    const struct block_index *bi;
    fixture_setup();
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    produce(c, mp);
    ck_assert_uint_eq(readview_live(c), 1);

    struct readview *old = readview_take(c);
    ck_assert(old != NULL);
    ck_assert_uint_eq(readview_live(c), 1); /* the same descriptor, one more reference */
    ck_assert_ptr_eq(readview_tip(old), chain_tip(c));
    const struct block_index *old_tip = readview_tip(old);
    uint64_t before = balance_of(c, pubs[1]);
    ck_assert_uint_eq(view_balance(old, pubs[1]), before);

    ck_assert(fixture_transfer(mp, 0, 1, 12345, 10000, txid));
    produce(c, mp);
    /* The chain moved on: the old view is still alive and still sees its tip. */
    ck_assert_uint_eq(readview_live(c), 2);
    ck_assert_uint_eq(balance_of(c, pubs[1]), before + 12345);
    ck_assert_uint_eq(view_balance(old, pubs[1]), before);
    ck_assert(!readview_find_tx(old, txid, &tx, &bi, NULL));
    const struct block_index *new_tip = readview_lookup(old, chain_tip(c)->hash);
    ck_assert_ptr_eq(new_tip, chain_tip(c));
    ck_assert(!readview_contains(old, new_tip));
    ck_assert(readview_contains(old, old_tip));
    ck_assert_ptr_null(readview_at(old, new_tip->hdr.height));

    struct readview *cur = readview_take(c);
    ck_assert_ptr_eq(readview_tip(cur), chain_tip(c));
    ck_assert_uint_eq(view_balance(cur, pubs[1]), before + 12345);
    ck_assert(readview_find_tx(cur, txid, &tx, &bi, NULL));
    ck_assert_ptr_eq(bi, chain_tip(c));
    tx_free(&tx);
    uint8_t *raw;
    size_t len;
    ck_assert(readview_read_raw(cur, bi, &raw, &len));
    ck_assert_uint_eq(len, bi->size);
    free(raw);

    /* A reorganization (the new tip invalidated): the old view is the
     * chain's again; the newer view keeps its tip and its transaction. */
    struct validation v;
    uint8_t hash[HASH_SIZE];
    memcpy(hash, chain_tip(c)->hash, HASH_SIZE);
    ck_assert(chain_invalidate(c, hash, &v));
    ck_assert_ptr_eq(chain_tip(c), old_tip);
    ck_assert_uint_eq(readview_live(c), 3);
    ck_assert_ptr_eq(readview_tip(cur), new_tip);
    ck_assert(readview_find_tx(cur, txid, &tx, &bi, NULL));
    tx_free(&tx);
    ck_assert_uint_eq(view_balance(cur, pubs[1]), before + 12345);
    struct readview *after = readview_take(c);
    ck_assert_ptr_eq(readview_tip(after), old_tip);
    ck_assert_uint_eq(view_balance(after, pubs[1]), before);
    ck_assert(!readview_contains(after, new_tip));
    /* Still found by hash (its entry lives on), but not on this view's chain. */
    ck_assert_ptr_eq(readview_lookup(after, hash), new_tip);

    /* The last reference releases a view. */
    readview_drop(old);
    ck_assert_uint_eq(readview_live(c), 2);
    readview_drop(cur);
    ck_assert_uint_eq(readview_live(c), 1);
    readview_drop(after);
    ck_assert_uint_eq(readview_live(c), 1); /* the chain's own */
    mempool_free(mp);
    chain_close(c);
    fixture_teardown();
}
END_TEST

struct late_reader {
    struct readview *rv;
    int done; /* atomic */
};

static void *drop_later(void *arg)
{
    struct late_reader *r = arg;
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    (void)view_balance(r->rv, pubs[1]); /* the chainstate is still open */
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    readview_drop(r->rv);
    return NULL;
}

START_TEST(test_close_waits_for_readers)
{
    pthread_t t;
    fixture_setup();
    struct chain *c = open_chain();
    struct late_reader r = {readview_take(c), 0};
    ck_assert(r.rv != NULL);
    ck_assert_int_eq(pthread_create(&t, NULL, drop_later, &r), 0);
    chain_close(c);
    ck_assert_int_eq(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE), 1);
    pthread_join(t, NULL);
    fixture_teardown();
}
END_TEST

/* Readers on their own threads while blocks of transfers connect: every
 * view's balance is the balance at its tip's height, as the producer
 * recorded it under its own (not the readers') knowledge. */
#define CONC_BLOCKS 12
#define CONC_READERS 3
#define MAX_OBS 200000

struct observation {
    uint64_t height, balance;
};

struct conc {
    struct chain *c;
    int stop; /* atomic */
    struct observation *obs[CONC_READERS];
    size_t nobs[CONC_READERS];
};

struct reader_arg {
    struct conc *k;
    int id;
};

static void *reader(void *arg)
{
    struct reader_arg *a = arg;
    struct conc *k = a->k;
    while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE) && k->nobs[a->id] < MAX_OBS) {
        struct readview *rv = readview_take(k->c);
        struct account acct;
        if (!rv)
            continue;
        bool ok = readview_get_account(rv, pubs[2], &acct);
        const struct block_index *tip = readview_tip(rv);
        /* The view's tip is on its own chain, and found by hash. */
        ok = ok && readview_contains(rv, tip) && readview_lookup(rv, tip->hash) == tip;
        struct observation o = {tip->hdr.height, ok ? acct.balance : UINT64_MAX};
        readview_drop(rv);
        k->obs[a->id][k->nobs[a->id]++] = o;
    }
    return NULL;
}

START_TEST(test_readers_see_whole_tips)
{
    static uint64_t at_height[CONC_BLOCKS + 8];
    pthread_t t[CONC_READERS];
    struct reader_arg args[CONC_READERS];
    struct conc k = {0};
    fixture_setup();
    k.c = open_chain();
    struct mempool *mp = mempool_new(k.c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    produce(k.c, mp);
    uint64_t h0 = chain_height(k.c);
    at_height[h0] = balance_of(k.c, pubs[2]);
    for (int i = 0; i < CONC_READERS; i++) {
        k.obs[i] = calloc(MAX_OBS, sizeof(struct observation));
        ck_assert(k.obs[i] != NULL);
        args[i] = (struct reader_arg){&k, i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &args[i]), 0);
    }
    for (int b = 0; b < CONC_BLOCKS; b++) {
        for (int j = 0; j < 20; j++)
            ck_assert(fixture_transfer(mp, j % 2, 2, 1000 + (uint64_t)b, 10000, NULL));
        produce(k.c, mp);
        ck_assert_uint_lt(chain_height(k.c), CONC_BLOCKS + 8);
        at_height[chain_height(k.c)] = balance_of(k.c, pubs[2]);
    }
    __atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
    size_t total = 0;
    for (int i = 0; i < CONC_READERS; i++) {
        pthread_join(t[i], NULL);
        for (size_t j = 0; j < k.nobs[i]; j++) {
            struct observation *o = &k.obs[i][j];
            ck_assert_uint_ge(o->height, h0);
            ck_assert_uint_le(o->height, chain_height(k.c));
            ck_assert_msg(o->balance == at_height[o->height],
                          "a view at height %llu saw balance %llu, not %llu",
                          (unsigned long long)o->height, (unsigned long long)o->balance,
                          (unsigned long long)at_height[o->height]);
            /* Heights never go back on one thread while blocks only connect. */
            if (j > 0)
                ck_assert_uint_ge(o->height, k.obs[i][j - 1].height);
        }
        total += k.nobs[i];
        free(k.obs[i]);
    }
    ck_assert_uint_gt(total, CONC_READERS);
    mempool_free(mp);
    chain_close(k.c);
    fixture_teardown();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("readview");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_db_snapshot_sees_old_state);
    tcase_add_test(tc, test_view_keeps_its_tip);
    tcase_add_test(tc, test_close_waits_for_readers);
    tcase_add_test(tc, test_readers_see_whole_tips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
