/* The LevelDB wrapper's options: -dbcache shared out between the databases,
 * and every db_tuning option taking effect without changing what is read
 * back. */
#include "state/db.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_util.h"

static const struct db_tuning defaults = {
    .cache = (size_t)DB_CACHE_DEFAULT_MIB << 20,
    .write_buffer = 4u << 20,
    .max_file_size = 2u << 20,
    .max_open_files = 64,
    .bloom_bits = 10,
    .compression = true,
};

START_TEST(test_defaults)
{
    /* The node's defaults are the measured ones (doc/benchmarks.md). */
    ck_assert_uint_eq(db_tuning.cache, defaults.cache);
    ck_assert_uint_eq(db_tuning.write_buffer, defaults.write_buffer);
    ck_assert_uint_eq(db_tuning.max_file_size, defaults.max_file_size);
    ck_assert_int_eq(db_tuning.max_open_files, defaults.max_open_files);
    ck_assert_int_eq(db_tuning.bloom_bits, defaults.bloom_bits);
    ck_assert(db_tuning.compression);
}
END_TEST

START_TEST(test_cache_shares)
{
    const size_t mib = 1u << 20;
    struct db_tuning saved = db_tuning;
    /* Default 256 MiB: 16 to the block index, 4 to the provider ledger,
     * the rest to the chainstate. */
    ck_assert_uint_eq(db_cache_index(), 16 * mib);
    ck_assert_uint_eq(db_cache_provider(), 4 * mib);
    ck_assert_uint_eq(db_cache_state(), 236 * mib);
    /* The smallest -dbcache: 1 MiB floors, the chainstate keeps 2. */
    db_tuning.cache = DB_CACHE_MIN_MIB * mib;
    ck_assert_uint_eq(db_cache_index(), mib);
    ck_assert_uint_eq(db_cache_provider(), mib);
    ck_assert_uint_eq(db_cache_state(), 2 * mib);
    /* Large: the small databases stay at their caps. */
    db_tuning.cache = (size_t)DB_CACHE_MAX_MIB * mib;
    ck_assert_uint_eq(db_cache_index(), 16 * mib);
    ck_assert_uint_eq(db_cache_provider(), 4 * mib);
    ck_assert_uint_eq(db_cache_state(), (size_t)DB_CACHE_MAX_MIB * mib - 20 * mib);
    /* In between: the shares. */
    db_tuning.cache = 64 * mib;
    ck_assert_uint_eq(db_cache_index(), 4 * mib);
    ck_assert_uint_eq(db_cache_provider(), mib);
    ck_assert_uint_eq(db_cache_state(), 59 * mib);
    db_tuning = saved;
}
END_TEST

/* Writes n keys in batches under the current options, reopens and reads
 * every one back. */
static void roundtrip(const char *dir, int n)
{
    char err[256];
    struct db *db = db_open(dir, db_cache_state(), true, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    for (int b = 0; b < n / 1000; b++) {
        struct db_batch *batch = db_batch_new();
        for (int i = b * 1000; i < (b + 1) * 1000; i++) {
            char key[16], val[200];
            snprintf(key, sizeof(key), "k%08d", i);
            memset(val, 'a' + i % 26, sizeof(val));
            db_batch_put(batch, key, strlen(key), val, sizeof(val));
        }
        ck_assert(db_write(db, batch, b % 7 == 0));
        db_batch_free(batch);
    }
    db_close(db);
    db = db_open(dir, db_cache_state(), false, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    for (int i = 0; i < n; i += 37) {
        char key[16];
        uint8_t *val = NULL;
        size_t vlen = 0;
        snprintf(key, sizeof(key), "k%08d", i);
        ck_assert_int_eq(db_get(db, key, strlen(key), &val, &vlen), DB_FOUND);
        ck_assert_uint_eq(vlen, 200);
        ck_assert_int_eq(val[0], 'a' + i % 26);
        free(val);
    }
    ck_assert_int_eq(db_get(db, "missing", 7, &(uint8_t *){NULL}, &(size_t){0}), DB_NOTFOUND);
    db_close(db);
    ck_assert(db_destroy(dir, err, sizeof(err)));
}

START_TEST(test_options_roundtrip)
{
    char dir[] = "/tmp/fml-test-db-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct db_tuning saved = db_tuning;
    roundtrip(dir, 20000);
    /* A small write buffer and table size (many flushes and compactions),
     * no bloom filter, no compression, a tiny table cache. */
    db_tuning.write_buffer = 64u << 10;
    db_tuning.max_file_size = 64u << 10;
    db_tuning.bloom_bits = 0;
    db_tuning.compression = false;
    db_tuning.max_open_files = 20;
    roundtrip(dir, 20000);
    db_tuning = saved;
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_cache_shares);
    tcase_add_test(tc, test_options_roundtrip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
