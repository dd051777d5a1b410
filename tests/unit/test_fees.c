/* The fee estimator's record of pooled transactions: bounded memory and
 * constant work per transaction entering the pool, also past its cap. */
#include "chain_fixture.h"
#include "rpc/fees.h"

static void setup(void)
{
    fixture_setup();
}

static void teardown(void)
{
    fixture_teardown();
}

static void txid_of(uint64_t i, uint8_t txid[HASH_SIZE])
{
    memset(txid, 0, HASH_SIZE);
    memcpy(txid, &i, sizeof(i));
    txid[31] = 0xfe;
}

/* 250,000 transactions past FEE_MAX_TRACKED: each examines one old record
 * at most (the old prune walked all of them per transaction), the record
 * stays at the cap and holds the newest ones. */
START_TEST(adding_past_the_cap_costs_one_record_each)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct fee_estimator *fe = fee_estimator_new(c, mp);
    ck_assert(fe != NULL);
    uint8_t txid[HASH_SIZE];
    const uint64_t extra = 250000;

    for (uint64_t i = 0; i < FEE_MAX_TRACKED; i++) {
        txid_of(i, txid);
        fee_estimator_track(fe, txid, 5);
    }
    ck_assert_uint_eq(fee_estimator_tracked(fe), FEE_MAX_TRACKED);
    ck_assert_uint_eq(fee_estimator_visits(fe), 0);

    uint64_t worst = 0;
    for (uint64_t i = 0; i < extra; i++) {
        uint64_t before = fee_estimator_visits(fe);
        txid_of(FEE_MAX_TRACKED + i, txid);
        fee_estimator_track(fe, txid, 6);
        uint64_t cost = fee_estimator_visits(fe) - before;
        if (cost > worst)
            worst = cost;
        ck_assert_uint_le(fee_estimator_tracked(fe), FEE_MAX_TRACKED);
    }
    ck_assert_uint_le(worst, 1);
    ck_assert_uint_le(fee_estimator_visits(fe), extra);
    ck_assert_uint_eq(fee_estimator_tracked(fe), FEE_MAX_TRACKED);

    fee_estimator_free(fe);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

static Suite *fees_suite(void)
{
    Suite *s = suite_create("fees");
    TCase *tc = tcase_create("fees");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, adding_past_the_cap_costs_one_record_each);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fees_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
