/* Unit tests of custom networks from a genesis file (node/genesisfile.c,
 * doc/protocol.md §11.1): the defaults, the derived magic and genesis hash
 * (a vector), and the refusals with their messages. */
#include "consensus/amount.h"
#include "consensus/hash.h"
#include "node/genesisfile.h"
#include "tests/unit/test_util.h"
#include "util/fs.h"

#include <unistd.h>

#define KEY0 "3db672398d793d551d60932e10d461218418689e66c88cec28ea8a842caf635f"
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define VALIDATOR "{\"pubkey\": \"" KEY0 "\", \"stake\": \"1000\", \"randao_commit\": \"" ZERO32 "\"}"

/* The smallest useful network: one validator, nothing else (vector of
 * doc/protocol.md A.4). */
static const char minimal[] =
    "{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"validators\": [" VALIDATOR "]}";

static bool parse(struct chain_params *p, const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return genesisfile_parse(p, text, strlen(text), err, errlen);
}

START_TEST(test_minimal_vector)
{
    struct chain_params p;
    char err[256];
    uint8_t tag[HASH_SIZE];
    ck_assert_msg(parse(&p, minimal, err, sizeof(err)), "%s", err);
    ck_assert_int_eq(p.net, NET_CUSTOM);
    ck_assert_str_eq(p.name, "h");
    ck_assert_str_eq(p.hrp, "h");
    ck_assert(!p.regtest_rules);
    /* Defaults: regtest's limits and economics, 5-second slots, 32-slot epochs. */
    ck_assert_uint_eq(p.slot_seconds, 5);
    ck_assert_uint_eq(p.epoch_slots, 32);
    ck_assert_uint_eq(p.finality_depth, 20);
    ck_assert_uint_eq(p.unbonding_blocks, 10);
    ck_assert_uint_eq(p.min_validator_stake, 1000 * COIN);
    ck_assert_uint_eq(p.block_reward, 50 * COIN);
    ck_assert_uint_eq(p.halving_blocks, 150000);
    ck_assert_uint_eq(p.max_block_size, 4000000);
    ck_assert_uint_eq(p.split_proposer_bps + p.split_fl_bps + p.split_arena_bps +
                          p.split_market_bps, 10000);
    ck_assert_uint_eq(p.arena_burn_bps, 1000);
    ck_assert_uint_eq(p.arena_match_bps, 500);
    ck_assert_uint_eq(p.arena_pool_cap_blocks, 1000);
    ck_assert_uint_eq(p.fl_burn_bps, 1000);
    ck_assert_uint_eq(p.fl_match_bps, 500);
    ck_assert_uint_eq(p.fl_pool_cap_blocks, 1000);
    ck_assert_uint_eq(p.market_burn_bps, 1000);
    ck_assert_uint_eq(p.market_mine_bps, 500);
    ck_assert_uint_eq(p.market_fee_per_kmac, 10);
    ck_assert_uint_eq(p.market_mult_cap, 16);
    ck_assert_uint_eq(p.market_pool_cap_blocks, 1000);
    ck_assert_uint_eq(p.market_min_provider_stake, 1 * COIN);
    ck_assert_uint_eq(p.n_allocs, 0);
    ck_assert_uint_eq(p.n_validators, 1);
    ck_assert_uint_eq(p.validators[0].stake, 1000 * COIN);
    ck_assert_uint_eq(p.validators[0].commission_bps, 0);
    hash_tagged(tag, HTAG_GENESIS, "h", 1);
    ck_assert_mem_eq(p.magic, tag, 4);
    ck_assert_hex_eq(p.genesis_hash, HASH_SIZE,
                     "ff4d478b2b1217678e66bf95b7da9122a2ee8c17c02c3225ece7e0c14dc8c3b1");
    params_free(&p);
}
END_TEST

START_TEST(test_overrides_and_amounts)
{
    static const char text[] =
        "{\"name\": \"hospitals-1\", \"hrp\": \"hfml\", \"genesis_time\": 1767225600,"
        " \"params\": {\"slot_seconds\": 2, \"epoch_slots\": 16, \"block_reward\": \"0.5\","
        " \"min_validator_stake\": 100, \"max_commission_bps\": 10000,"
        " \"arena_burn_bps\": 2000, \"arena_match_bps\": 1999, \"arena_pool_cap_blocks\": 77,"
        " \"fl_burn_bps\": 3000, \"fl_match_bps\": 2999, \"fl_pool_cap_blocks\": 88,"
        " \"market_burn_bps\": 4000, \"market_mine_bps\": 3999, \"market_fee_per_kmac\": 7,"
        " \"market_mult_cap\": 3, \"market_pool_cap_blocks\": 99,"
        " \"market_min_provider_stake\": \"2.5\"},"
        " \"allocations\": [{\"pubkey\": \"" KEY0 "\", \"amount\": \"5000.00000001\"}],"
        " \"validators\": [{\"pubkey\": \"" KEY0 "\", \"stake\": 100, \"commission_bps\": 10000,"
        " \"randao_commit\": \"" ZERO32 "\"}]}";
    struct chain_params p;
    char err[256];
    ck_assert_msg(parse(&p, text, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(p.slot_seconds, 2);
    ck_assert_uint_eq(p.epoch_slots, 16);
    ck_assert_uint_eq(p.block_reward, COIN / 2);
    ck_assert_uint_eq(p.min_validator_stake, 100 * COIN);
    ck_assert_uint_eq(p.allocs[0].amount, 5000 * COIN + 1);
    ck_assert_uint_eq(p.validators[0].stake, 100 * COIN);
    ck_assert_uint_eq(p.validators[0].commission_bps, 10000);
    ck_assert_uint_eq(p.genesis_time, 1767225600);
    ck_assert_uint_eq(p.arena_burn_bps, 2000);
    ck_assert_uint_eq(p.arena_match_bps, 1999);
    ck_assert_uint_eq(p.arena_pool_cap_blocks, 77);
    ck_assert_uint_eq(p.fl_burn_bps, 3000);
    ck_assert_uint_eq(p.fl_match_bps, 2999);
    ck_assert_uint_eq(p.fl_pool_cap_blocks, 88);
    ck_assert_uint_eq(p.market_burn_bps, 4000);
    ck_assert_uint_eq(p.market_mine_bps, 3999);
    ck_assert_uint_eq(p.market_fee_per_kmac, 7);
    ck_assert_uint_eq(p.market_mult_cap, 3);
    ck_assert_uint_eq(p.market_pool_cap_blocks, 99);
    ck_assert_uint_eq(p.market_min_provider_stake, 5 * COIN / 2);
    params_free(&p);
}
END_TEST

START_TEST(test_refusals)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"", "line"},
        {"[1, 2]", "must hold a JSON object"},
        {"{\"name\": \"a\", \"name\": \"b\"}", "duplicate object key"},
        {"{\"name\": \"regtest\", \"hrp\": \"h\", \"genesis_time\": 0, \"validators\": [" VALIDATOR "]}",
         "name must be"},
        {"{\"name\": \"Big\", \"hrp\": \"h\", \"genesis_time\": 0, \"validators\": [" VALIDATOR "]}",
         "name must be"},
        {"{\"name\": \"h\", \"hrp\": \"h-x\", \"genesis_time\": 0, \"validators\": [" VALIDATOR "]}",
         "hrp must be"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": -1, \"validators\": [" VALIDATOR "]}",
         "genesis_time"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"validators\": []}", "validators"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"slot_secs\": 1},"
         " \"validators\": [" VALIDATOR "]}",
         "unknown parameter params.slot_secs"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"slash_bps\": 70000},"
         " \"validators\": [" VALIDATOR "]}",
         "params.slash_bps has an invalid value"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"arena_match_bps\": 1000},"
         " \"validators\": [" VALIDATOR "]}",
         "arena_match_bps must be below arena_burn_bps"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"arena_burn_bps\": 10001,"
         " \"arena_match_bps\": 0}, \"validators\": [" VALIDATOR "]}",
         "arena_burn_bps above 10000"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"fl_match_bps\": 1000},"
         " \"validators\": [" VALIDATOR "]}",
         "fl_match_bps must be below fl_burn_bps"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"fl_burn_bps\": 10001,"
         " \"fl_match_bps\": 0}, \"validators\": [" VALIDATOR "]}",
         "fl_burn_bps above 10000"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"fl_pool_cap_blocks\": 4294967296},"
         " \"validators\": [" VALIDATOR "]}",
         "params.fl_pool_cap_blocks has an invalid value"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"market_mine_bps\": 1000},"
         " \"validators\": [" VALIDATOR "]}",
         "market_mine_bps must be below market_burn_bps"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"market_burn_bps\": 5001},"
         " \"validators\": [" VALIDATOR "]}",
         "market_burn_bps must be 1..5000"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"market_mult_cap\": 65537},"
         " \"validators\": [" VALIDATOR "]}",
         "market_mult_cap must be 1..65536"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"market_pool_cap_blocks\": 0},"
         " \"validators\": [" VALIDATOR "]}",
         "market_pool_cap_blocks must be positive"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"market_fee_per_kmac\": 1000000001},"
         " \"validators\": [" VALIDATOR "]}",
         "market_fee_per_kmac above 10^9"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"market_min_provider_stake\": 0},"
         " \"validators\": [" VALIDATOR "]}",
         "market_min_provider_stake must be"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"params\": {\"slot_seconds\": 0},"
         " \"validators\": [" VALIDATOR "]}",
         "slot_seconds"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"allocations\": [{\"pubkey\": \"" KEY0
         "\", \"amount\": \"1.123456789\"}], \"validators\": [" VALIDATOR "]}",
         "allocations[0]"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"allocations\": [{\"pubkey\": \"" KEY0
         "\", \"amount\": -1}], \"validators\": [" VALIDATOR "]}",
         "allocations[0]"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"validators\": [{\"pubkey\": \"" KEY0
         "\", \"stake\": \"1000\"}]}",
         "validators[0]"},
        {"{\"name\": \"h\", \"hrp\": \"h\", \"genesis_time\": 0, \"validators\": [" VALIDATOR ", " VALIDATOR "]}",
         "duplicate key"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct chain_params p;
        char err[256];
        ck_assert_msg(!parse(&p, cases[i].text, err, sizeof(err)), "case %zu accepted", i);
        ck_assert_msg(strncmp(err, "genesis file: ", 14) == 0, "case %zu: %s", i, err);
        ck_assert_msg(strstr(err, cases[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i, err,
                      cases[i].needle);
    }
}
END_TEST

START_TEST(test_size_limit_and_file)
{
    char dir[] = "/tmp/fml-test-genesis-XXXXXX", path[64], err[512];
    struct chain_params p;
    size_t n = GENESIS_FILE_MAX + 1;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/g.json", dir);

    /* Over the limit: refused before parsing, in memory and from a file. */
    memset(big, ' ', n);
    memcpy(big, minimal, strlen(minimal));
    err[0] = '\0';
    ck_assert(!genesisfile_parse(&p, big, n, err, sizeof(err)));
    ck_assert_msg(strstr(err, "larger than 8 MiB") != NULL, "%s", err);
    ck_assert(fs_write_atomic(path, big, n, 0600));
    ck_assert(!genesisfile_load(&p, path, err, sizeof(err)));
    ck_assert_msg(strstr(err, path) && strstr(err, "larger than 8 MiB"), "%s", err);
    /* At the limit it is read (trailing whitespace is valid JSON). */
    ck_assert(fs_write_atomic(path, big, n - 1, 0600));
    ck_assert_msg(genesisfile_load(&p, path, err, sizeof(err)), "%s", err);
    ck_assert_hex_eq(p.genesis_hash, HASH_SIZE,
                     "ff4d478b2b1217678e66bf95b7da9122a2ee8c17c02c3225ece7e0c14dc8c3b1");
    params_free(&p);
    /* A refusal from a file names the file once, then what is wrong. */
    ck_assert(fs_write_atomic(path, "{}", 2, 0600));
    ck_assert(!genesisfile_load(&p, path, err, sizeof(err)));
    ck_assert_msg(strncmp(err, "genesis file ", 13) == 0 && strstr(err, path) &&
                      strstr(err, ": name must be") && !strstr(err, "genesis file: "),
                  "%s", err);
    /* A missing file. */
    ck_assert(unlink(path) == 0);
    ck_assert(!genesisfile_load(&p, path, err, sizeof(err)));
    ck_assert_msg(strstr(err, path) && strstr(err, "No such file"), "%s", err);
    ck_assert(rmdir(dir) == 0);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("genesisfile");
    TCase *tc = tcase_create("genesisfile");
    int failed;
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    tcase_add_test(tc, test_minimal_vector);
    tcase_add_test(tc, test_overrides_and_amounts);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_size_limit_and_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
