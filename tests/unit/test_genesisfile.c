/* Unit tests of custom networks from a genesis file (node/genesisfile.c,
 * doc/protocol.md §11.1): the defaults, the derived magic and genesis hash
 * (a vector), and the refusals with their messages. */
#include "consensus/amount.h"
#include "consensus/hash.h"
#include "consensus/staking.h"
#include "node/genesisfile.h"
#include "node/validatorkey.h"
#include "tests/unit/test_util.h"
#include "util/fs.h"

#include <sys/stat.h>
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


/* ---- the launch ceremony ---- */

#define BASE_PARAMS "\"params\": {\"slot_seconds\": 2, \"min_validator_stake\": \"500\", " \
                    "\"max_commission_bps\": 2000}"

/* Three operators' keys and fragments (short onions keep the test fast). */
struct operators {
    struct validator_keyfile k[3];
    char *frag[3];
    struct genesis_fragment f[3];
};

static void make_operators(struct operators *o)
{
    static const char *const names[3] = {"alice.json", "bob.json", "carol.json"};
    for (int i = 0; i < 3; i++) {
        ck_assert(validatorkey_generate(&o->k[i], 50));
        o->frag[i] = validatorkey_fragment(&o->k[i], (uint64_t)(500 + i) * COIN, (uint16_t)(100 * i));
        ck_assert_ptr_nonnull(o->frag[i]);
        o->f[i] = (struct genesis_fragment){names[i], o->frag[i], strlen(o->frag[i])};
    }
}

static void free_operators(struct operators *o)
{
    for (int i = 0; i < 3; i++) {
        validatorkey_clear(&o->k[i]);
        free(o->frag[i]);
    }
}

static bool create(const char *base, const struct genesis_fragment *f, size_t n, char **out,
                   uint8_t hash[HASH_SIZE], char *err, size_t errlen)
{
    err[0] = '\0';
    return genesisfile_create(base, strlen(base), f, n, out, hash, err, errlen);
}

START_TEST(test_create_deterministic)
{
    static const char base1[] =
        "{\"name\": \"launch\", \"hrp\": \"lfml\", \"genesis_time\": 1800000000, " BASE_PARAMS
        ", \"allocations\": [{\"pubkey\": \"" KEY0 "\", \"amount\": \"5.50\"}]}";
    /* The same content: other key order, spacing, amount spelling and case. */
    static const char base2[] =
        "{\"allocations\":[{\"amount\":\"5.5\",\"pubkey\":\"" KEY0 "\"}],"
        "\"params\":{\"max_commission_bps\":2000,\"min_validator_stake\":500,\"slot_seconds\":2},"
        "\"genesis_time\":1800000000,\"hrp\":\"lfml\",\"name\":\"launch\"}";
    struct operators o;
    struct genesis_fragment rev[3];
    char err[512], *out1, *out2;
    uint8_t h1[HASH_SIZE], h2[HASH_SIZE];
    struct chain_params p;
    make_operators(&o);
    rev[0] = o.f[2];
    rev[1] = o.f[0];
    rev[2] = o.f[1];
    ck_assert_msg(create(base1, o.f, 3, &out1, h1, err, sizeof(err)), "%s", err);
    ck_assert_msg(create(base2, rev, 3, &out2, h2, err, sizeof(err)), "%s", err);
    ck_assert_str_eq(out1, out2);
    ck_assert_mem_eq(h1, h2, HASH_SIZE);
    ck_assert(out1[strlen(out1) - 1] == '\n');

    /* What a node reads from it: the same hash, the validators by key. */
    ck_assert_msg(genesisfile_parse(&p, out1, strlen(out1), err, sizeof(err)), "%s", err);
    ck_assert_mem_eq(p.genesis_hash, h1, HASH_SIZE);
    ck_assert_uint_eq(p.n_validators, 3);
    ck_assert_uint_eq(p.slot_seconds, 2);
    ck_assert_uint_eq(p.min_validator_stake, 500 * COIN);
    ck_assert_uint_eq(p.allocs[0].amount, 5 * COIN + COIN / 2);
    for (size_t i = 1; i < 3; i++)
        ck_assert(memcmp(p.validators[i - 1].pubkey, p.validators[i].pubkey, PUBKEY_SIZE) < 0);
    for (int i = 0; i < 3; i++) {
        bool found = false;
        for (size_t j = 0; j < 3; j++)
            if (memcmp(p.validators[j].pubkey, o.k[i].pub, PUBKEY_SIZE) == 0) {
                found = true;
                ck_assert_uint_eq(p.validators[j].stake, (uint64_t)(500 + i) * COIN);
                ck_assert_uint_eq(p.validators[j].commission_bps, 100 * i);
                ck_assert_mem_eq(p.validators[j].randao_commit, o.k[i].randao_commit, HASH_SIZE);
            }
        ck_assert(found);
    }
    params_free(&p);
    ck_assert(strstr(out1, "\"amount\": \"5.5\"") && strstr(out1, "\"min_validator_stake\": \"500\""));
    ck_assert(strstr(out1, "\"max_commission_bps\"") < strstr(out1, "\"slot_seconds\""));
    free(out2);

    /* Any change of content changes the hash: one fragment fewer. */
    ck_assert_msg(create(base1, o.f, 2, &out2, h2, err, sizeof(err)), "%s", err);
    ck_assert(memcmp(h1, h2, HASH_SIZE) != 0);
    free(out2);
    free(out1);
    free_operators(&o);
}
END_TEST

START_TEST(test_create_refusals)
{
    static const char base[] =
        "{\"name\": \"launch\", \"hrp\": \"lfml\", \"genesis_time\": 1800000000, " BASE_PARAMS "}";
    static const char badkey[] =
        "{\"pubkey\": \"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\", "
        "\"stake\": \"600\", \"randao_commit\": \"" ZERO32 "\"}";
    static const char low[] =
        "{\"pubkey\": \"" KEY0 "\", \"stake\": \"499.99999999\", \"randao_commit\": \"" ZERO32 "\"}";
    static const char rich[] = "{\"pubkey\": \"" KEY0 "\", \"stake\": \"600\", \"commission_bps\": "
                               "2001, \"randao_commit\": \"" ZERO32 "\"}";
    static const char extra[] = "{\"pubkey\": \"" KEY0 "\", \"stake\": \"600\", \"randao_commit\": \""
                                ZERO32 "\", \"note\": 1}";
    static const char nocommit[] = "{\"pubkey\": \"" KEY0 "\", \"stake\": \"600\"}";
    struct operators o;
    char err[512], *out;
    uint8_t h[HASH_SIZE];
    make_operators(&o);
    char *keyfile = validatorkey_encode(&o.k[0]);
    ck_assert_ptr_nonnull(keyfile);
    const struct {
        const char *base, *text, *needle;
    } cases[] = {
        {base, badkey, "fragment x.json: \"pubkey\" is not a valid public key"},
        {base, low, "fragment x.json: stake 499.99999999 FML is below min_validator_stake 500 FML"},
        {base, rich, "fragment x.json: \"commission_bps\" must be 0..2000"},
        {base, extra, "fragment x.json: unknown field \"note\""},
        {base, nocommit, "fragment x.json: \"randao_commit\" must be 64 hex"},
        {base, keyfile, "fragment x.json: holds a secret key"},
        {base, "[]", "fragment x.json: not a JSON object"},
        {base, "{\"pubkey\": 1,", "fragment x.json: not a JSON object"},
        {"{\"name\": \"launch\", \"hrp\": \"lfml\", \"genesis_time\": 0, \"validators\": []}", NULL,
         "genesis base: has \"validators\""},
        {"{\"name\": \"launch\", \"hrp\": \"lfml\", \"genesis_time\": 0, \"alocations\": []}", NULL,
         "genesis base: unknown field \"alocations\""},
        {"{\"name\": \"launch\", \"hrp\": \"lfml\", \"genesis_time\": 0, \"params\": {\"slots\": 1}}",
         NULL, "unknown parameter params.slots"},
        {"{\"name\": \"regtest\", \"hrp\": \"lfml\", \"genesis_time\": 0, " BASE_PARAMS "}", NULL,
         "name must be"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct genesis_fragment f[2] = {o.f[1], {"x.json", cases[i].text, 0}};
        size_t n = 1;
        if (cases[i].text) {
            f[1].len = strlen(cases[i].text);
            n = 2;
        }
        out = (char *)1;
        ck_assert_msg(!create(cases[i].base, f, n, &out, h, err, sizeof(err)), "case %zu accepted", i);
        ck_assert_ptr_null(out);
        ck_assert_msg(strstr(err, cases[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i, err,
                      cases[i].needle);
    }
    /* The same validator in two fragments names both. */
    struct genesis_fragment dup[3] = {o.f[0], o.f[1], {"again.json", o.frag[0], strlen(o.frag[0])}};
    ck_assert(!create(base, dup, 3, &out, h, err, sizeof(err)));
    ck_assert_msg(strstr(err, "fragment again.json: validator ") &&
                      strstr(err, "is already in fragment alice.json"), "%s", err);
    /* No fragment at all. */
    ck_assert(!create(base, o.f, 0, &out, h, err, sizeof(err)));
    ck_assert_msg(strstr(err, "needs 1 to 256 validator fragments"), "%s", err);
    /* A base that is not JSON. */
    ck_assert(!create("{", o.f, 1, &out, h, err, sizeof(err)));
    ck_assert_msg(strncmp(err, "genesis base: ", 14) == 0, "%s", err);
    free(keyfile);
    free_operators(&o);
}
END_TEST

START_TEST(test_validator_key_file)
{
    char dir[] = "/tmp/fml-test-vkey-XXXXXX", path[80], err[512];
    struct validator_keyfile k, r;
    struct stat st;
    uint8_t seed[HASH_SIZE], commit[HASH_SIZE];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/v.key", dir);

    ck_assert(!validatorkey_generate(&k, 0));
    ck_assert(validatorkey_generate(&k, 1000));
    /* The commitment is H^1000 of onion generation 0 (doc/protocol.md 9.2). */
    randao_onion_seed(seed, k.sec, 0);
    randao_onion(commit, seed, 1000);
    ck_assert_mem_eq(commit, k.randao_commit, HASH_SIZE);

    /* Written once with mode 0600, read back whole. */
    ck_assert_msg(validatorkey_write(path, &k, err, sizeof(err)), "%s", err);
    ck_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    ck_assert(!validatorkey_write(path, &k, err, sizeof(err)));
    ck_assert_msg(strstr(err, "already exists"), "%s", err);
    ck_assert_msg(validatorkey_load(path, &r, err, sizeof(err)), "%s", err);
    ck_assert_mem_eq(&r, &k, sizeof(k));
    /* Refused when others may read it. */
    ck_assert(chmod(path, 0644) == 0);
    ck_assert(!validatorkey_load(path, &r, err, sizeof(err)));
    ck_assert_msg(strstr(err, "readable by others") && strstr(err, "chmod 600"), "%s", err);
    ck_assert(unlink(path) == 0 && rmdir(dir) == 0);

    /* A key file whose parts do not belong together, or a fragment. */
    char *text = validatorkey_encode(&k), *frag = validatorkey_fragment(&k, COIN, 0);
    ck_assert(text && frag);
    ck_assert(validatorkey_parse(&r, text, strlen(text), err, sizeof(err)));
    char *p = strstr(text, "\"onion_length\": 1000");
    ck_assert_ptr_nonnull(p);
    p[strlen("\"onion_length\": 100")] = '1'; /* 1001 layers: not the commitment */
    ck_assert(!validatorkey_parse(&r, text, strlen(text), err, sizeof(err)));
    ck_assert_msg(strstr(err, "randao_commit"), "%s", err);
    ck_assert(!validatorkey_parse(&r, frag, strlen(frag), err, sizeof(err)));
    ck_assert_msg(strstr(err, "public fragment"), "%s", err);
    ck_assert(!strstr(frag, "privkey"));
    free(text);
    free(frag);
    validatorkey_clear(&k);
}
END_TEST

/* The built-in test network is share/genesis/test.json (doc/protocol.md §11):
 * the compiled-in genesis and the file's are the same, and the file's
 * ceremony inputs give the file again, byte for byte. */
START_TEST(test_builtin_test_network)
{
    static const char *const frag_names[4] = {
        "operator0.fragment.json", "operator1.fragment.json", "operator2.fragment.json",
        "operator3.fragment.json"};
    char path[512], err[512], *text, *base, *made;
    char *frag_text[4];
    struct genesis_fragment f[4];
    size_t len, base_len;
    struct chain_params builtin, p;
    uint8_t hash[HASH_SIZE];
    ck_assert(params_init(&builtin, NET_TEST));
    snprintf(path, sizeof(path), "%s/../../share/genesis/test.json", FML_TEST_DATA_DIR);
    ck_assert_msg(fs_read_file(path, GENESIS_FILE_MAX, &text, &len), "%s", path);
    ck_assert_msg(genesisfile_parse_network(&p, NET_TEST, text, len, err, sizeof(err)), "%s", err);
    ck_assert_mem_eq(p.genesis_hash, builtin.genesis_hash, HASH_SIZE);
    ck_assert_int_eq(p.net, NET_TEST);
    ck_assert_mem_eq(p.magic, builtin.magic, 4);
    ck_assert_uint_eq(p.p2p_port, builtin.p2p_port);
    ck_assert_uint_eq(p.n_validators, 4);
    params_free(&p);
    ck_assert_hex_eq(builtin.genesis_hash, HASH_SIZE,
                     "133380776f4cd90835f0b9b4b782a2cb17285e224202374f7b924c4ec17b9904");
    /* Not a custom network: -genesis refuses a built-in name. */
    ck_assert(!genesisfile_parse(&p, text, len, err, sizeof(err)));
    ck_assert_msg(strstr(err, "not a built-in network"), "%s", err);
    /* None of its validators is the one the old public seeds gave. */
    for (unsigned i = 0; i < 4; i++) {
        uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE];
        char seed[64];
        int n = snprintf(seed, sizeof(seed), "fml testnet validator %u", i);
        hash_tagged(sec, HTAG_KEYSEED, seed, (size_t)n);
        ck_assert(key_pubkey(pub, sec));
        for (size_t j = 0; j < builtin.n_validators; j++)
            ck_assert(memcmp(builtin.validators[j].pubkey, pub, PUBKEY_SIZE) != 0);
    }

    snprintf(path, sizeof(path), "%s/../../share/genesis/test-ceremony/base.json",
             FML_TEST_DATA_DIR);
    ck_assert_msg(fs_read_file(path, GENESIS_FILE_MAX, &base, &base_len), "%s", path);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/../../share/genesis/test-ceremony/%s", FML_TEST_DATA_DIR,
                 frag_names[i]);
        ck_assert_msg(fs_read_file(path, VALIDATOR_KEY_FILE_MAX, &frag_text[i], &f[i].len), "%s",
                      path);
        f[i].name = frag_names[i];
        f[i].text = frag_text[i];
    }
    ck_assert_msg(genesisfile_create(base, base_len, f, 4, &made, hash, err, sizeof(err)), "%s", err);
    ck_assert_str_eq(made, text);
    ck_assert_mem_eq(hash, builtin.genesis_hash, HASH_SIZE);
    free(made);
    for (int i = 0; i < 4; i++)
        free(frag_text[i]);
    free(base);
    free(text);
    params_free(&builtin);
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
    tcase_add_test(tc, test_create_deterministic);
    tcase_add_test(tc, test_create_refusals);
    tcase_add_test(tc, test_validator_key_file);
    tcase_add_test(tc, test_builtin_test_network);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
