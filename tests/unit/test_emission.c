/* Emission: the per-block reward with its halvings, the supply cap, and the
 * split between the proposer and the module pools.
 *
 * Expected values are worked out by hand from the formula in
 * doc/protocol.md (reward = block_reward >> ((height - 1) / halving_blocks),
 * clamped to MAX_SUPPLY - supply; pools floor(amount * bps / 10000), the
 * proposer the rest). */
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/params.h"

#include "tests/unit/test_util.h"

static struct chain_params regtest, mainnet;

static void setup_once(void)
{
    if (sodium_init() < 0 || !params_init(&regtest, NET_REGTEST) ||
        !params_init(&mainnet, NET_MAIN)) {
        fprintf(stderr, "setup failed\n");
        exit(EXIT_FAILURE);
    }
}

/* Rewards on each side of every halving boundary. */
START_TEST(test_halving_boundaries)
{
    const uint64_t hb = regtest.halving_blocks;
    ck_assert_uint_eq(regtest.block_reward, 50 * COIN);
    ck_assert_uint_eq(hb, 150000);

    ck_assert_uint_eq(emission_at(&regtest, 0, 0), 0); /* genesis mints nothing */
    ck_assert_uint_eq(emission_at(&regtest, 1, 0), 50 * COIN);
    ck_assert_uint_eq(emission_at(&regtest, hb, 0), 50 * COIN);
    ck_assert_uint_eq(emission_at(&regtest, hb + 1, 0), 25 * COIN);
    ck_assert_uint_eq(emission_at(&regtest, 2 * hb, 0), 25 * COIN);
    ck_assert_uint_eq(emission_at(&regtest, 2 * hb + 1, 0), 1250000000);
    ck_assert_uint_eq(emission_at(&regtest, 3 * hb + 1, 0), 625000000);
    /* 5e9 >> 32 = 1, >> 33 = 0. */
    ck_assert_uint_eq(emission_at(&regtest, 32 * hb + 1, 0), 1);
    ck_assert_uint_eq(emission_at(&regtest, 33 * hb, 0), 1);
    ck_assert_uint_eq(emission_at(&regtest, 33 * hb + 1, 0), 0);
    /* 64 halvings and beyond: no undefined shift, just zero. */
    ck_assert_uint_eq(emission_at(&regtest, 64 * hb + 1, 0), 0);
    ck_assert_uint_eq(emission_at(&regtest, UINT64_MAX, 0), 0);

    ck_assert_uint_eq(mainnet.block_reward, 20 * COIN);
    ck_assert_uint_eq(emission_at(&mainnet, mainnet.halving_blocks, 0), 20 * COIN);
    ck_assert_uint_eq(emission_at(&mainnet, mainnet.halving_blocks + 1, 0), 10 * COIN);

    /* A large reward where the 64th halving would matter. */
    struct chain_params c = regtest;
    c.block_reward = UINT64_C(1) << 63; /* above the cap: emission is clamped */
    c.halving_blocks = 1;
    ck_assert_uint_eq(emission_at(&c, 1, 0), MAX_SUPPLY);
    ck_assert_uint_eq(emission_at(&c, 57, 0), (UINT64_C(1) << 63) >> 56);
    ck_assert_uint_eq(emission_at(&c, 64, 0), 1);
    ck_assert_uint_eq(emission_at(&c, 65, 0), 0);

    /* No halvings at all when halving_blocks is 0. */
    c = regtest;
    c.halving_blocks = 0;
    ck_assert_uint_eq(emission_at(&c, UINT64_MAX, 0), 50 * COIN);
}
END_TEST

/* The supply never passes MAX_SUPPLY: the last reward is clamped to what
 * is left, then nothing. */
START_TEST(test_supply_cap)
{
    ck_assert_uint_eq(emission_at(&regtest, 1, MAX_SUPPLY - 50 * COIN), 50 * COIN);
    ck_assert_uint_eq(emission_at(&regtest, 1, MAX_SUPPLY - 50 * COIN + 1), 50 * COIN - 1);
    ck_assert_uint_eq(emission_at(&regtest, 1, MAX_SUPPLY - 1), 1);
    ck_assert_uint_eq(emission_at(&regtest, 1, MAX_SUPPLY), 0);
    ck_assert_uint_eq(emission_at(&regtest, 1, MAX_SUPPLY + 1), 0);
    ck_assert_uint_eq(emission_at(&regtest, 1, UINT64_MAX), 0);

    /* Minting block after block from just below the cap lands exactly on it. */
    uint64_t supply = MAX_SUPPLY - 3 * 50 * COIN - 7;
    for (uint64_t h = 1; h <= 10; h++) {
        uint64_t e = emission_at(&regtest, h, supply);
        ck_assert(amount_add(&supply, e));
    }
    ck_assert_uint_eq(supply, MAX_SUPPLY);

    /* Regtest's whole schedule: 150000 blocks per era, reward halving each
     * era, sums to 150000 * (5e9 + 2.5e9 + ... + 1) without the cap. */
    uint64_t total = 0, expect = 0;
    for (uint64_t era = 0; era < 40; era++) {
        uint64_t per_block = emission_at(&regtest, era * regtest.halving_blocks + 1, 0);
        ck_assert_uint_eq(per_block, era < 64 ? (50 * COIN) >> era : 0);
        total += per_block * regtest.halving_blocks;
        expect += ((50 * COIN) >> era) * 150000;
    }
    ck_assert_uint_eq(total, expect);
    ck_assert_uint_lt(total, MAX_SUPPLY);
}
END_TEST

static void check_split(const struct chain_params *p, uint64_t amount)
{
    struct emission_split s;
    emission_split(p, amount, &s);
    ck_assert_uint_eq(s.fl, (uint64_t)((unsigned __int128)amount * p->split_fl_bps / 10000));
    ck_assert_uint_eq(s.arena, (uint64_t)((unsigned __int128)amount * p->split_arena_bps / 10000));
    ck_assert_uint_eq(s.market, (uint64_t)((unsigned __int128)amount * p->split_market_bps / 10000));
    /* The parts sum to the amount exactly (no overflow: each is <= amount). */
    ck_assert_uint_eq((unsigned __int128)s.proposer + s.fl + s.arena + s.market, amount);
    ck_assert_uint_ge(s.proposer, (uint64_t)((unsigned __int128)amount * p->split_proposer_bps / 10000));
}

/* The split of 50 FML and of awkward amounts, by hand; then random amounts
 * and random splits (printed seed) always sum exactly. */
START_TEST(test_split)
{
    struct emission_split s;
    emission_split(&regtest, 50 * COIN, &s);
    ck_assert_uint_eq(s.proposer, 35 * COIN);
    ck_assert_uint_eq(s.fl, 750000000);
    ck_assert_uint_eq(s.arena, 5 * COIN);
    ck_assert_uint_eq(s.market, 250000000);

    emission_split(&regtest, 1, &s);
    ck_assert(s.proposer == 1 && s.fl == 0 && s.arena == 0 && s.market == 0);
    emission_split(&regtest, 10001, &s);
    ck_assert(s.fl == 1500 && s.arena == 1000 && s.market == 500 && s.proposer == 7001);
    emission_split(&regtest, 0, &s);
    ck_assert(s.proposer == 0 && s.fl == 0 && s.arena == 0 && s.market == 0);
    emission_split(&regtest, MAX_SUPPLY, &s);
    ck_assert_uint_eq(s.fl, MAX_SUPPLY / 10000 * 1500);

    struct test_rng rng;
    test_rng_seed(&rng, test_seed("emission split"));
    for (int i = 0; i < 10000; i++) {
        struct chain_params c = regtest;
        uint32_t left = 10000;
        c.split_fl_bps = (uint16_t)test_rand_below(&rng, left + 1);
        left -= c.split_fl_bps;
        c.split_arena_bps = (uint16_t)test_rand_below(&rng, left + 1);
        left -= c.split_arena_bps;
        c.split_market_bps = (uint16_t)test_rand_below(&rng, left + 1);
        left -= c.split_market_bps;
        c.split_proposer_bps = (uint16_t)left;
        uint64_t amount = i % 3 == 0 ? test_rand_below(&rng, 100000)
                        : i % 3 == 1 ? test_rand_below(&rng, MAX_SUPPLY + 1)
                                     : test_rand64(&rng);
        check_split(&c, amount);
    }
}
END_TEST

/* The amount helpers the formulas rely on. */
START_TEST(test_amount_helpers)
{
    uint64_t a = MAX_SUPPLY - 1;
    ck_assert(amount_add(&a, 1) && a == MAX_SUPPLY);
    ck_assert(!amount_add(&a, 1) && a == MAX_SUPPLY);
    a = 0;
    ck_assert(!amount_add(&a, MAX_SUPPLY + 1) && a == 0);
    ck_assert(!amount_sub(&a, 1) && a == 0);
    a = 5;
    ck_assert(amount_sub(&a, 5) && a == 0);
    ck_assert(amount_valid(MAX_SUPPLY) && !amount_valid(MAX_SUPPLY + 1));
    ck_assert_uint_eq(mul_div_floor(UINT64_MAX, UINT64_MAX, UINT64_MAX), UINT64_MAX);
    ck_assert_uint_eq(mul_div_floor(7, 3, 2), 10);
    ck_assert_uint_eq(MAX_SUPPLY, UINT64_C(100000000000000000));
}
END_TEST

static Suite *emission_suite(void)
{
    Suite *s = suite_create("emission");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_halving_boundaries);
    tcase_add_test(tc, test_supply_cap);
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_amount_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setup_once();
    int rc = test_run_suite(emission_suite());
    params_free(&regtest);
    params_free(&mainnet);
    return rc;
}
