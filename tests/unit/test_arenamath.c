/* The AI Arena consensus layer without a chain: every formula on the
 * vectors of tests/data/arena_vectors.json (computed independently by
 * tests/arena_vectors.py and published in doc/protocol.md, section 18.3),
 * the exact multiply-divide against a slow reference, the chunk Merkle tree
 * for 1..64 chunks, the assignment draw's proportions and its indifference
 * to splitting a stake, the codecs of every payload and record, and every
 * stateless reject of the ten transaction types. */
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"
#include "test_util.h"

#include <jansson.h>

typedef unsigned __int128 u128;

static struct chain_params params;
static json_t *vec;

static void setup(void)
{
    char path[1024];
    json_error_t err;
    ck_assert(sodium_init() >= 0);
    ck_assert(params_init(&params, NET_REGTEST));
    test_data_path(path, sizeof(path), "arena_vectors.json");
    vec = json_load_file(path, 0, &err);
    ck_assert_msg(vec != NULL, "%s: %s", path, err.text);
}

static void teardown(void)
{
    json_decref(vec);
    params_free(&params);
}

/* ---- JSON helpers: numbers are JSON integers or decimal strings ---- */

static u128 num(const json_t *v)
{
    if (json_is_integer(v))
        return (u128)(uint64_t)json_integer_value(v);
    ck_assert(json_is_string(v));
    u128 x = 0;
    for (const char *s = json_string_value(v); *s; s++) {
        ck_assert(*s >= '0' && *s <= '9');
        x = x * 10 + (u128)(*s - '0');
    }
    return x;
}

static uint64_t u64(const json_t *v)
{
    u128 x = num(v);
    ck_assert(x >> 64 == 0);
    return (uint64_t)x;
}

static const json_t *group(const char *name)
{
    const json_t *g = json_object_get(vec, name);
    ck_assert_msg(g != NULL, "no group %s", name);
    return g;
}

static void hex32(uint8_t out[32], const json_t *v)
{
    ck_assert(json_is_string(v));
    test_unhex_n(out, 32, json_string_value(v));
}

static void pub_of(uint8_t out[32], unsigned i)
{
    memset(out, (int)i, 32);
}

#define ROW(g, i, j) json_array_get(json_array_get((g), (i)), (j))

/* ---- exact multiply-divide ---- */

START_TEST(muldiv_vectors)
{
    const json_t *g = group("muldiv");
    ck_assert_uint_ge(json_array_size(g), 10);
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_muldiv(u64(ROW(g, i, 0)), num(ROW(g, i, 1)), num(ROW(g, i, 2))) ==
                          u64(ROW(g, i, 3)),
                      "muldiv row %zu", i);
}
END_TEST

/* 256-bit numbers as 8 x 32-bit limbs, little-endian. */
struct big {
    uint32_t l[8];
};

static struct big big_mul(u128 a, u128 b)
{
    struct big r = {{0}};
    uint32_t x[4], y[4];
    for (int i = 0; i < 4; i++) {
        x[i] = (uint32_t)(a >> (32 * i));
        y[i] = (uint32_t)(b >> (32 * i));
    }
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            uint64_t t = (uint64_t)x[i] * y[j] + r.l[i + j] + carry;
            r.l[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        for (int k = i + 4; carry && k < 8; k++) {
            uint64_t t = (uint64_t)r.l[k] + carry;
            r.l[k] = (uint32_t)t;
            carry = t >> 32;
        }
    }
    return r;
}

static int big_cmp(const struct big *a, const struct big *b)
{
    for (int i = 7; i >= 0; i--)
        if (a->l[i] != b->l[i])
            return a->l[i] < b->l[i] ? -1 : 1;
    return 0;
}

/* The slow reference: the largest q < 2^64 with q x c <= a x b, by binary
 * search on 256-bit products (UINT64_MAX when even that is below). */
static uint64_t slow_muldiv(uint64_t a, u128 b, u128 c)
{
    struct big target = big_mul(a, b);
    uint64_t lo = 0, hi = UINT64_MAX;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2 + 1;
        struct big p = big_mul(mid, c);
        if (big_cmp(&p, &target) <= 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

START_TEST(muldiv_matches_slow_reference)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("muldiv"));
    for (int i = 0; i < 4000; i++) {
        uint64_t a = test_rand64(&rng) >> test_rand_below(&rng, 64);
        u128 b = ((u128)test_rand64(&rng) << 64 | test_rand64(&rng)) >> test_rand_below(&rng, 128);
        u128 c = ((u128)test_rand64(&rng) << 64 | test_rand64(&rng)) >> test_rand_below(&rng, 128);
        if (c == 0)
            c = 1;
        if (i % 3 == 0) /* quotients that fit: c near b */
            c = b + test_rand_below(&rng, 1000) + 1;
        ck_assert_msg(arena_muldiv(a, b, c) == slow_muldiv(a, b, c), "case %d", i);
    }
    ck_assert_uint_eq(arena_muldiv(5, 7, 0), 0);
}
END_TEST

/* ---- consensus loss, ranks ---- */

START_TEST(median_vectors)
{
    const json_t *g = group("median");
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *c = json_array_get(g, i), *votes = json_object_get(c, "votes");
        struct arena_vote v[16];
        size_t n = json_array_size(votes);
        ck_assert_uint_le(n, 16);
        for (size_t j = 0; j < n; j++) {
            pub_of(v[j].validator, (unsigned)u64(ROW(votes, j, 0)));
            v[j].loss = (uint32_t)u64(ROW(votes, j, 1));
            v[j].weight = (uint32_t)u64(ROW(votes, j, 2));
        }
        ck_assert_msg(arena_weighted_median(v, n) == u64(json_object_get(c, "median")),
                      "median case %zu", i);
    }
    ck_assert_uint_eq(arena_weighted_median(NULL, 0), 0);
}
END_TEST

/* The median does not depend on the order the votes come in. */
START_TEST(median_order_free)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("median order"));
    for (int t = 0; t < 500; t++) {
        struct arena_vote v[20], w[20];
        size_t n = 1 + test_rand_below(&rng, 20);
        for (size_t i = 0; i < n; i++) {
            pub_of(v[i].validator, (unsigned)i + 1);
            v[i].loss = (uint32_t)test_rand_below(&rng, 5);
            v[i].weight = 1 + (uint32_t)test_rand_below(&rng, 16);
        }
        memcpy(w, v, sizeof(v));
        for (size_t i = n; i-- > 1;) {
            size_t j = test_rand_below(&rng, i + 1);
            struct arena_vote x = w[i];
            w[i] = w[j];
            w[j] = x;
        }
        ck_assert_uint_eq(arena_weighted_median(v, n), arena_weighted_median(w, n));
    }
}
END_TEST

START_TEST(submission_loss_vectors)
{
    const json_t *g = group("submission_loss");
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *c = json_array_get(g, i), *sl = json_object_get(c, "set_loss");
        uint32_t l[ARENA_MAX_SETS] = {0};
        for (size_t k = 0; k < json_array_size(sl); k++)
            l[k] = (uint32_t)u64(json_array_get(sl, k));
        ck_assert_msg(arena_submission_loss(l, (uint8_t)json_array_size(sl),
                                            (uint8_t)u64(json_object_get(c, "mask"))) ==
                          u64(json_object_get(c, "loss")),
                      "case %zu", i);
    }
}
END_TEST

START_TEST(rank_vectors)
{
    const json_t *g = group("ranks");
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *c = json_array_get(g, i), *ls = json_object_get(c, "losses"),
                     *want = json_object_get(c, "ranks");
        uint32_t l[ARENA_MAX_TRAINERS];
        uint16_t r[ARENA_MAX_TRAINERS];
        size_t m = json_array_size(ls);
        for (size_t j = 0; j < m; j++)
            l[j] = (uint32_t)u64(json_array_get(ls, j));
        arena_dense_ranks(l, m, (uint32_t)u64(json_object_get(c, "epsilon")), r);
        for (size_t j = 0; j < m; j++)
            ck_assert_msg(r[j] == u64(json_array_get(want, j)), "case %zu item %zu", i, j);
    }
}
END_TEST

/* Clones share a rank; a loss one unit past the leader's epsilon does not. */
START_TEST(ranks_clones_share)
{
    uint32_t l[4] = {1000, 1000, 1050, 1051};
    uint16_t r[4];
    arena_dense_ranks(l, 4, 50, r);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq(r[2], 1);
    ck_assert_uint_eq(r[3], 2);
    arena_dense_ranks(l, 4, 0, r);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq(r[2], 2);
    ck_assert_uint_eq(r[3], 3);
}
END_TEST

/* ---- rewards ---- */

START_TEST(reward_vectors)
{
    const json_t *g = group("rank_weight");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_rank_weight((uint16_t)u64(ROW(g, i, 0)), (uint16_t)u64(ROW(g, i, 1))) ==
                          u64(ROW(g, i, 2)),
                      "rank_weight %zu", i);
    g = group("validator_group");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_validator_group(u64(ROW(g, i, 0)), (uint16_t)u64(ROW(g, i, 1)),
                                            num(ROW(g, i, 2)), num(ROW(g, i, 3))) ==
                          u64(ROW(g, i, 4)),
                      "validator_group %zu", i);
    g = group("deviation");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_deviation_bps((uint32_t)u64(ROW(g, i, 0)), (uint32_t)u64(ROW(g, i, 1))) ==
                          u64(ROW(g, i, 2)),
                      "deviation %zu", i);
    g = group("mean_deviation");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_mean_deviation(u64(ROW(g, i, 0)), (uint32_t)u64(ROW(g, i, 1)),
                                           (uint32_t)u64(ROW(g, i, 2))) == u64(ROW(g, i, 3)),
                      "mean_deviation %zu", i);
    g = group("closeness");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_closeness_bps((uint32_t)u64(ROW(g, i, 0)), (uint32_t)u64(ROW(g, i, 1))) ==
                          u64(ROW(g, i, 2)),
                      "closeness %zu", i);
    g = group("delegators_part");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_delegators_part(u64(ROW(g, i, 0)), (uint16_t)u64(ROW(g, i, 1)),
                                            u64(ROW(g, i, 2)), u64(ROW(g, i, 3))) ==
                          u64(ROW(g, i, 4)),
                      "delegators_part %zu", i);
    g = group("pro_rata");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_pro_rata(u64(ROW(g, i, 0)), u64(ROW(g, i, 1)), u64(ROW(g, i, 2))) ==
                          u64(ROW(g, i, 3)),
                      "pro_rata %zu", i);
    g = group("match");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_match(u64(ROW(g, i, 0)), u64(ROW(g, i, 1)), (uint16_t)u64(ROW(g, i, 2))) ==
                          u64(ROW(g, i, 3)),
                      "match %zu", i);
    g = group("burn");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_burn(u64(ROW(g, i, 0)), (uint16_t)u64(ROW(g, i, 1))) == u64(ROW(g, i, 2)),
                      "burn %zu", i);
    g = group("pool_cap");
    for (size_t i = 0; i < json_array_size(g); i++)
        ck_assert_msg(arena_pool_cap((uint32_t)u64(ROW(g, i, 0)), u64(ROW(g, i, 1)),
                                     (uint16_t)u64(ROW(g, i, 2))) == u64(ROW(g, i, 3)),
                      "pool_cap %zu", i);
}
END_TEST

START_TEST(share_vectors)
{
    const json_t *g = group("trainer_shares");
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *c = json_array_get(g, i), *rk = json_object_get(c, "ranks"),
                     *st = json_object_get(c, "stakes"), *want = json_object_get(c, "shares");
        uint16_t r[8];
        uint64_t s[8], out[8], sum = 0;
        size_t n = json_array_size(rk);
        for (size_t j = 0; j < n; j++) {
            r[j] = (uint16_t)u64(json_array_get(rk, j));
            s[j] = u64(json_array_get(st, j));
        }
        uint64_t g_t = u64(json_object_get(c, "g_t"));
        uint64_t paid = arena_trainer_shares(g_t, r, s, n, (uint16_t)u64(json_object_get(c, "q")), out);
        for (size_t j = 0; j < n; j++) {
            ck_assert_msg(out[j] == u64(json_array_get(want, j)), "trainer case %zu item %zu", i, j);
            sum += out[j];
        }
        ck_assert_uint_eq(paid, sum);
        ck_assert_uint_le(paid, g_t);
    }
    g = group("validator_shares");
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *c = json_array_get(g, i), *cv = json_object_get(c, "c"),
                     *st = json_object_get(c, "stakes"), *want = json_object_get(c, "shares");
        uint16_t cb[8];
        uint64_t s[8], out[8];
        size_t n = json_array_size(cv);
        for (size_t j = 0; j < n; j++) {
            cb[j] = (uint16_t)u64(json_array_get(cv, j));
            s[j] = u64(json_array_get(st, j));
        }
        uint64_t g_v = u64(json_object_get(c, "g_v"));
        ck_assert_uint_le(arena_validator_shares(g_v, cb, s, n, out), g_v);
        for (size_t j = 0; j < n; j++)
            ck_assert_msg(out[j] == u64(json_array_get(want, j)), "validator case %zu item %zu", i, j);
    }
    g = group("vesting");
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *c = json_array_get(g, i), *tr = json_object_get(c, "tranches");
        uint64_t a = u64(json_object_get(c, "a"));
        uint16_t delta = (uint16_t)u64(json_object_get(c, "delta"));
        uint16_t v = (uint16_t)u64(json_object_get(c, "V"));
        uint64_t A = arena_reward_a(a, delta, v), B = a - A, sum = 0;
        ck_assert_uint_eq(A, u64(json_object_get(c, "A")));
        ck_assert_uint_eq(B, u64(json_object_get(c, "B")));
        ck_assert_uint_eq(json_array_size(tr), v);
        for (uint32_t t = 1; t <= v; t++) {
            uint64_t x = arena_tranche(B, t, v);
            ck_assert_uint_eq(x, u64(json_array_get(tr, t - 1)));
            sum += x;
        }
        ck_assert_uint_eq(sum, B); /* the tranches add up to B exactly */
        ck_assert_uint_eq(arena_tranche(B, 0, v), 0);
        ck_assert_uint_eq(arena_tranche(B, v + 1u, v), 0);
    }
}
END_TEST

/* gamma = 0 splits by stake; gamma = 5000 halves; G_v + G_t = R always. */
START_TEST(validator_group_properties)
{
    ck_assert_uint_eq(arena_validator_group(1000, 0, 300, 100), 250);
    ck_assert_uint_eq(arena_validator_group(1000, 5000, 1, 999), 500);
    ck_assert_uint_eq(arena_validator_group(1000, 5000, 999, 1), 500);
    ck_assert_uint_eq(arena_validator_group(1000, 0, 0, 0), 0);
    ck_assert_uint_le(arena_validator_group(UINT64_MAX, 4999, (u128)1 << 70, (u128)1 << 70), UINT64_MAX);
    /* d_v = D gives no closeness; 0 pairs gives d_v = D. */
    ck_assert_uint_eq(arena_closeness_bps(arena_mean_deviation(0, 0, 777), 777), 0);
    ck_assert_uint_eq(arena_closeness_bps(0, 777), 10000);
    /* Reward A with no vesting is everything. */
    ck_assert_uint_eq(arena_reward_a(999, 0, 0), 999);
}
END_TEST

/* ---- assignment draw ---- */

START_TEST(draw_vectors)
{
    const json_t *d = group("draw"), *cases = json_object_get(d, "cases");
    uint8_t task[32], mix[32];
    hex32(task, json_object_get(d, "task"));
    hex32(mix, json_object_get(d, "mix"));
    for (size_t i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i), *st = json_object_get(c, "stakes"),
                     *picks = json_object_get(c, "picks");
        uint64_t s[16];
        uint8_t count[16 * ARENA_MAX_SETS], want[16 * ARENA_MAX_SETS] = {0};
        size_t n = json_array_size(st);
        uint8_t sets = (uint8_t)u64(json_object_get(c, "sets"));
        uint8_t draws = (uint8_t)u64(json_object_get(c, "draws"));
        for (size_t j = 0; j < n; j++)
            s[j] = u64(json_array_get(st, j));
        for (uint8_t k = 0; k < sets; k++)
            for (uint8_t j = 0; j < draws; j++) {
                size_t pick = (size_t)u64(ROW(picks, k, j));
                ck_assert_msg(arena_draw(task, mix, k, j, s, n) == pick, "case %zu (%u,%u)", i, k, j);
                want[pick * ARENA_MAX_SETS + k]++;
            }
        ck_assert(arena_assign(task, mix, sets, draws, s, n, count));
        ck_assert_mem_eq(count, want, n * ARENA_MAX_SETS);
    }
    uint64_t zero[2] = {0, 0}, huge[2] = {UINT64_MAX, 1};
    uint8_t count[2 * ARENA_MAX_SETS];
    ck_assert(!arena_assign(task, mix, 2, 2, zero, 2, count));
    ck_assert(!arena_assign(task, mix, 2, 2, zero, 0, count));
    ck_assert(!arena_assign(task, mix, 2, 2, huge, 2, count));
}
END_TEST

/* Counts draws per index over `tasks` task ids, 8 sets x 16 draws each. */
static void draw_counts(const uint64_t *stake, size_t n, unsigned tasks, uint32_t tag, uint64_t *hits)
{
    uint8_t task[32] = {0}, mix[32];
    uint8_t count[64 * ARENA_MAX_SETS];
    memset(hits, 0, n * sizeof(*hits));
    memset(mix, 0x5a, sizeof(mix));
    for (unsigned t = 0; t < tasks; t++) {
        write_le32(task, t);
        write_le32(task + 4, tag);
        ck_assert(arena_assign(task, mix, ARENA_MAX_SETS, ARENA_MAX_DRAWS, stake, n, count));
        for (size_t v = 0; v < n; v++)
            for (unsigned k = 0; k < ARENA_MAX_SETS; k++)
                hits[v] += count[v * ARENA_MAX_SETS + k];
    }
}

/* Each validator's share of the draws is within 1% (absolute) of its share
 * of the stake, over 2000 tasks x 128 draws. */
START_TEST(draw_proportional_to_stake)
{
    const uint64_t stake[5] = {100, 200, 300, 400, 1000};
    uint64_t hits[5], total = 0;
    const unsigned tasks = 2000;
    draw_counts(stake, 5, tasks, 1, hits);
    for (size_t v = 0; v < 5; v++)
        total += hits[v];
    ck_assert_uint_eq(total, (uint64_t)tasks * ARENA_MAX_SETS * ARENA_MAX_DRAWS);
    for (size_t v = 0; v < 5; v++) {
        double got = (double)hits[v] / (double)total, want = (double)stake[v] / 2000.0;
        ck_assert_msg(got > want - 0.01 && got < want + 0.01, "validator %zu: %.4f of draws, stake %.4f",
                      v, got, want);
    }
}
END_TEST

/* One address of stake 10s and ten addresses of stake s each, beside the
 * same two others, get the same expected share of draws (within 1%). */
START_TEST(draw_no_gain_from_splitting)
{
    const uint64_t s = 1000;
    uint64_t one[3] = {10 * s, 7000, 3000};
    uint64_t ten[12];
    uint64_t hits1[3], hits10[12], split = 0, total10 = 0, total1 = 0;
    for (int i = 0; i < 10; i++)
        ten[i] = s;
    ten[10] = 7000;
    ten[11] = 3000;
    draw_counts(one, 3, 1500, 2, hits1);
    draw_counts(ten, 12, 1500, 3, hits10);
    for (int i = 0; i < 3; i++)
        total1 += hits1[i];
    for (int i = 0; i < 12; i++) {
        total10 += hits10[i];
        if (i < 10)
            split += hits10[i];
    }
    double a = (double)hits1[0] / (double)total1, b = (double)split / (double)total10;
    ck_assert_msg(a > 0.49 && a < 0.51, "one address: %.4f", a);
    ck_assert_msg(b > 0.49 && b < 0.51, "ten addresses: %.4f", b);
    ck_assert_msg(a - b < 0.01 && b - a < 0.01, "%.4f vs %.4f", a, b);
}
END_TEST

/* ---- chunk Merkle tree ---- */

START_TEST(merkle_vectors)
{
    const json_t *m = group("merkle"), *cases = json_object_get(m, "cases");
    uint8_t salt[32];
    hex32(salt, json_object_get(m, "salt"));
    for (size_t i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i), *chunks = json_object_get(c, "chunks"),
                     *leaves = json_object_get(c, "leaves"), *paths = json_object_get(c, "paths");
        size_t n = json_array_size(chunks);
        uint8_t lv[ARENA_MAX_CHUNKS * 32], root[32], want[32];
        for (size_t j = 0; j < n; j++) {
            uint8_t data[64];
            size_t len;
            ck_assert(test_unhex(data, sizeof(data), &len, json_string_value(json_array_get(chunks, j))));
            arena_leaf_hash(lv + 32 * j, salt, (uint8_t)u64(json_object_get(c, "set")), (uint16_t)j,
                            data, (uint32_t)len);
            hex32(want, json_array_get(leaves, j));
            ck_assert_mem_eq(lv + 32 * j, want, 32);
        }
        ck_assert(arena_merkle_root(root, lv, n));
        hex32(want, json_object_get(c, "root"));
        ck_assert_mem_eq(root, want, 32);
        for (size_t j = 0; paths && j < n; j++) {
            const json_t *p = json_array_get(paths, j);
            uint8_t path[ARENA_MAX_PATH * 32];
            unsigned np;
            ck_assert(arena_merkle_path(path, &np, lv, n, j));
            ck_assert_uint_eq(np, json_array_size(p));
            for (unsigned k = 0; k < np; k++) {
                hex32(want, json_array_get(p, k));
                ck_assert_mem_eq(path + 32 * k, want, 32);
            }
        }
    }
}
END_TEST

/* For 1..64 chunks every leaf's path verifies, has the length
 * arena_merkle_path_len gives (at most 6), and fails with another index, a
 * changed leaf, a changed sibling, a path one hash short or one too long. */
START_TEST(merkle_paths_all_sizes)
{
    uint8_t salt[32];
    memset(salt, 7, sizeof(salt));
    for (size_t n = 1; n <= ARENA_MAX_CHUNKS; n++) {
        uint8_t lv[ARENA_MAX_CHUNKS * 32], root[32];
        for (size_t i = 0; i < n; i++) {
            uint8_t data[3] = {(uint8_t)i, (uint8_t)n, 1};
            arena_leaf_hash(lv + 32 * i, salt, 0, (uint16_t)i, data, sizeof(data));
        }
        ck_assert(arena_merkle_root(root, lv, n));
        if (n == 1)
            ck_assert_mem_eq(root, lv, 32);
        for (size_t i = 0; i < n; i++) {
            uint8_t path[(ARENA_MAX_PATH + 1) * 32];
            unsigned np;
            ck_assert(arena_merkle_path(path, &np, lv, n, i));
            ck_assert_uint_eq(np, arena_merkle_path_len(n, i));
            ck_assert_uint_le(np, ARENA_MAX_PATH);
            ck_assert(arena_merkle_verify(root, n, i, lv + 32 * i, path, np));
            if (n > 1) {
                size_t other = (i + 1) % n;
                ck_assert(!arena_merkle_verify(root, n, other, lv + 32 * i, path, np) ||
                          arena_merkle_path_len(n, other) != np);
                ck_assert(!arena_merkle_verify(root, n, i, lv + 32 * other, path, np));
                path[0] ^= 1;
                ck_assert(!arena_merkle_verify(root, n, i, lv + 32 * i, path, np));
                path[0] ^= 1;
                if (np > 0)
                    ck_assert(!arena_merkle_verify(root, n, i, lv + 32 * i, path, np - 1));
            }
            memset(path + 32 * np, 0, 32);
            ck_assert(!arena_merkle_verify(root, n, i, lv + 32 * i, path, np + 1));
        }
        ck_assert(!arena_merkle_verify(root, n, n, lv, NULL, 0));
    }
    /* The full tree of 64 has paths of exactly 6; odd sizes carry nodes up. */
    ck_assert_uint_eq(arena_merkle_path_len(64, 17), 6);
    ck_assert_uint_eq(arena_merkle_path_len(5, 4), 1);
    ck_assert_uint_eq(arena_merkle_path_len(3, 2), 1);
    ck_assert_uint_eq(arena_merkle_path_len(1, 0), 0);
    uint8_t x[32];
    ck_assert(!arena_merkle_root(x, x, 0));
    ck_assert(!arena_merkle_root(x, x, ARENA_MAX_CHUNKS + 1));
}
END_TEST

/* An odd level carries its last node up unchanged: the root of three leaves
 * is node(node(l0, l1), l2), and duplicating l2 gives another root. */
START_TEST(merkle_odd_level_carries)
{
    uint8_t lv[4 * 32], root[32], a[32], b[32], root4[32];
    for (int i = 0; i < 4; i++)
        memset(lv + 32 * i, i + 1, 32);
    ck_assert(arena_merkle_root(root, lv, 3));
    arena_node_hash(a, lv, lv + 32);
    arena_node_hash(b, a, lv + 64);
    ck_assert_mem_eq(root, b, 32);
    memcpy(lv + 96, lv + 64, 32);
    ck_assert(arena_merkle_root(root4, lv, 4));
    ck_assert(memcmp(root, root4, 32) != 0);
}
END_TEST

START_TEST(commitment_vectors)
{
    const json_t *c = group("commitments"), *ws = json_object_get(c, "weights"),
                 *ls = json_object_get(c, "losses");
    uint8_t task[32], trainer[32], validator[32], salt[32], mh[32], want[32], out[32];
    uint8_t w[64], l[64];
    hex32(task, json_object_get(c, "task"));
    hex32(trainer, json_object_get(c, "trainer"));
    hex32(validator, json_object_get(c, "validator"));
    hex32(salt, json_object_get(c, "salt"));
    for (size_t i = 0; i < json_array_size(ws); i++)
        write_le32(w + 4 * i, (uint32_t)(int32_t)json_integer_value(json_array_get(ws, i)));
    fl_model_hash(mh, w, json_array_size(ws));
    hex32(want, json_object_get(c, "model_hash"));
    ck_assert_mem_eq(mh, want, 32);
    arena_submission_commitment(out, task, trainer, mh, salt);
    hex32(want, json_object_get(c, "submission"));
    ck_assert_mem_eq(out, want, 32);
    for (size_t i = 0; i < json_array_size(ls); i++)
        write_le32(l + 4 * i, (uint32_t)u64(json_array_get(ls, i)));
    arena_scores_commitment(out, task, validator, (uint32_t)json_array_size(ls), l, salt);
    hex32(want, json_object_get(c, "scores"));
    ck_assert_mem_eq(out, want, 32);
    arena_scores_commitment(out, task, validator, 0, NULL, salt);
    hex32(want, json_object_get(c, "scores_empty"));
    ck_assert_mem_eq(out, want, 32);

    const json_t *tags = group("tags_abc");
    const char *tag;
    json_t *h;
    json_object_foreach((json_t *)tags, tag, h) {
        hash_tagged(out, tag, "abc", 3);
        hex32(want, h);
        ck_assert_msg(memcmp(out, want, 32) == 0, "%s", tag);
    }
}
END_TEST

/* ---- codecs ---- */

static void valid_params(struct arena_task_params *t)
{
    memset(t, 0, sizeof(*t));
    t->spec.kind = FL_MODEL_LOGREG;
    t->spec.n_sizes = 2;
    t->spec.sizes[0] = 8;
    t->spec.sizes[1] = 1;
    t->loss = ARENA_LOSS_LOGLOSS;
    memset(t->data_hash, 0xdd, 32);
    strcpy(t->uri, "https://example.org/pima.csv");
    t->uri_len = (uint16_t)strlen(t->uri);
    t->k = 2;
    for (int i = 0; i < 2; i++) {
        memset(t->sets[i].root, 0x10 + i, 32);
        t->sets[i].n_chunks = 2;
        t->sets[i].n_rows = 10;
    }
    t->submit_blocks = 5;
    t->reveal_blocks = 5;
    t->score_commit_blocks = 5;
    t->score_reveal_blocks = 5;
    t->budget = 10 * COIN;
    t->gamma_bps = 2000;
    t->q_bps = 5000;
    t->delta_bps = 5000;
    t->d_bps = 1000;
    t->epsilon = 100;
    t->vest_epochs = 4;
    t->draws_per_set = 4;
    t->max_trainers = 8;
    t->max_validators = 8;
    t->trainer_min_stake = COIN;
    t->validator_min_stake = COIN;
    t->slash_bps = 1000;
}

/* Encodes e, checks that it decodes back to the same bytes, and that one
 * byte more or one byte less does not decode. */
#define CHECK_ROUNDTRIP(type, val, enc, dec)                                   \
    do {                                                                       \
        struct wbuf w_, w2_;                                                   \
        type out_;                                                             \
        wbuf_init(&w_);                                                        \
        wbuf_init(&w2_);                                                       \
        enc(&(val), &w_);                                                      \
        ck_assert(!w_.failed);                                                 \
        ck_assert(dec(&out_, w_.data, w_.len));                                \
        enc(&out_, &w2_);                                                      \
        ck_assert_uint_eq(w2_.len, w_.len);                                    \
        ck_assert_mem_eq(w2_.data, w_.data, w_.len);                           \
        ck_assert(!dec(&out_, w_.data, w_.len - 1));                           \
        put_u8(&w_, 0);                                                        \
        ck_assert(!dec(&out_, w_.data, w_.len));                               \
        wbuf_free(&w_);                                                        \
        wbuf_free(&w2_);                                                       \
    } while (0)

START_TEST(payload_roundtrips)
{
    struct arena_task_params t;
    valid_params(&t);
    CHECK_ROUNDTRIP(struct arena_task_params, t, arena_task_params_encode, arena_task_create_decode);
    struct arena_stake s = {.role = 2, .amount = 12345};
    memset(s.task, 1, 32);
    CHECK_ROUNDTRIP(struct arena_stake, s, arena_stake_encode, arena_stake_decode);
    struct arena_delegate d = {.amount = ARENA_MIN_DELEGATION};
    memset(d.op, 2, 32);
    CHECK_ROUNDTRIP(struct arena_delegate, d, arena_delegate_encode, arena_delegate_decode);
    struct arena_undelegate u;
    memset(&u, 3, sizeof(u));
    CHECK_ROUNDTRIP(struct arena_undelegate, u, arena_undelegate_encode, arena_undelegate_decode);
    struct arena_set_share sh = {.sigma_bps = 2500};
    CHECK_ROUNDTRIP(struct arena_set_share, sh, arena_set_share_encode, arena_set_share_decode);
    struct arena_commit c;
    memset(&c, 4, sizeof(c));
    CHECK_ROUNDTRIP(struct arena_commit, c, arena_commit_encode, arena_commit_decode);
    uint8_t weights[9 * 4];
    memset(weights, 0xab, sizeof(weights));
    struct arena_submit_reveal sr = {.n = 9, .weights = weights};
    CHECK_ROUNDTRIP(struct arena_submit_reveal, sr, arena_submit_reveal_encode,
                    arena_submit_reveal_decode);
    uint8_t path[3 * 32], data[36 * 3];
    memset(path, 5, sizeof(path));
    memset(data, 6, sizeof(data));
    struct arena_reveal_valset rv = {.set = 1, .chunk = 3, .npath = 3, .path = path,
                                     .len = sizeof(data), .data = data};
    CHECK_ROUNDTRIP(struct arena_reveal_valset, rv, arena_reveal_valset_encode,
                    arena_reveal_valset_decode);
    uint8_t losses[16 * 4];
    memset(losses, 7, sizeof(losses));
    struct arena_score_reveal sc = {.n = 16, .losses = losses};
    CHECK_ROUNDTRIP(struct arena_score_reveal, sc, arena_score_reveal_encode,
                    arena_score_reveal_decode);
}
END_TEST

START_TEST(record_roundtrips)
{
    struct arena_task task;
    memset(&task, 0, sizeof(task));
    valid_params(&task.p);
    memset(task.creator, 9, 32);
    task.created_height = 100;
    CHECK_ROUNDTRIP(struct arena_task, task, arena_task_encode, arena_task_decode);
    {
        struct wbuf w;
        struct arena_task back;
        wbuf_init(&w);
        arena_task_encode(&task, &w);
        ck_assert(arena_task_decode(&back, w.data, w.len));
        ck_assert_uint_eq(back.w.submit_end, 105);
        ck_assert_uint_eq(back.w.reveal_end, 110);
        ck_assert_uint_eq(back.w.sets_end, 115);
        ck_assert_uint_eq(back.w.score_commit_end, 120);
        ck_assert_uint_eq(back.w.settle, 125);
        ck_assert_uint_eq(arena_vest_height(&back.w, 8, 3), 149);
        wbuf_free(&w);
    }
    struct arena_status st;
    memset(&st, 0, sizeof(st));
    st.state = ARENA_SETTLED;
    st.rows_revealed[7] = 77;
    st.budget_left = 5;
    st.end_height = 999;
    CHECK_ROUNDTRIP(struct arena_status, st, arena_status_encode, arena_status_decode);
    struct arena_operator op;
    memset(&op, 0, sizeof(op));
    op.role = ARENA_ROLE_VALIDATOR;
    op.flags = ARENA_OP_SCORE_REVEALED | ARENA_OP_ELIGIBLE;
    op.count[3] = 16;
    op.returned = 42;
    CHECK_ROUNDTRIP(struct arena_operator, op, arena_operator_encode, arena_operator_decode);
    struct arena_delegation dl = {.amount = 5, .flags = ARENA_DEL_PRINCIPAL_PAID, .principal = 4,
                                  .claimed = 3};
    CHECK_ROUNDTRIP(struct arena_delegation, dl, arena_delegation_encode, arena_delegation_decode);
    struct arena_results *res = calloc(1, sizeof(*res));
    ck_assert_ptr_nonnull(res);
    res->k = 3;
    res->consensus_mask = 5;
    res->m = 2;
    res->r[1].rank = 2;
    res->r[1].set_loss[2] = 99;
    CHECK_ROUNDTRIP(struct arena_results, *res, arena_results_encode, arena_results_decode);
    free(res);
    struct arena_height h = {.events = 3, .work = 1000};
    CHECK_ROUNDTRIP(struct arena_height, h, arena_height_encode, arena_height_decode);
    struct arena_event_entry ev = {.event = ARENA_EV_VEST, .index = 2};
    CHECK_ROUNDTRIP(struct arena_event_entry, ev, arena_event_encode, arena_event_decode);

    /* Refused values. */
    struct wbuf w;
    wbuf_init(&w);
    op.role = 3;
    arena_operator_encode(&op, &w);
    ck_assert(!arena_operator_decode(&op, w.data, w.len));
    wbuf_reset(&w);
    st.state = 6;
    arena_status_encode(&st, &w);
    ck_assert(!arena_status_decode(&st, w.data, w.len));
    wbuf_reset(&w);
    ev.event = ARENA_EV_SETTLE;
    arena_event_encode(&ev, &w); /* a settle with an index */
    ck_assert(!arena_event_decode(&ev, w.data, w.len));
    wbuf_reset(&w);
    h.work = ARENA_MAX_HEIGHT_WORK + 1;
    arena_height_encode(&h, &w);
    ck_assert(!arena_height_decode(&h, w.data, w.len));
    wbuf_free(&w);
    h.work = ARENA_MAX_HEIGHT_WORK - 10;
    ck_assert(arena_height_room(&h, 10));
    ck_assert(!arena_height_room(&h, 11));

    /* The operator list is strictly ascending. */
    uint8_t keys[3 * 32];
    const uint8_t *view;
    size_t n;
    memset(keys, 1, 32);
    memset(keys + 32, 2, 32);
    memset(keys + 64, 2, 32);
    wbuf_init(&w);
    arena_list_encode(keys, 2, &w);
    ck_assert(arena_list_decode(&view, &n, w.data, w.len));
    ck_assert_uint_eq(n, 2);
    wbuf_reset(&w);
    arena_list_encode(keys, 3, &w);
    ck_assert(!arena_list_decode(&view, &n, w.data, w.len));
    wbuf_reset(&w);
    uint8_t losses[8];
    const uint8_t *lv;
    uint32_t ln;
    arena_losses_encode(losses, 2, &w);
    ck_assert(arena_losses_decode(&lv, &ln, w.data, w.len));
    ck_assert_uint_eq(ln, 2);
    wbuf_reset(&w);
    uint64_t sh;
    arena_slash_height_encode(77, &w);
    ck_assert(arena_slash_height_decode(&sh, w.data, w.len));
    ck_assert_uint_eq(sh, 77);
    ck_assert(!arena_slash_height_decode(&sh, w.data, w.len - 1));
    wbuf_free(&w);
    const uint8_t *wv;
    uint64_t wn;
    ck_assert(arena_weights_decode(&wv, &wn, losses, 8));
    ck_assert_uint_eq(wn, 2);
    ck_assert(!arena_weights_decode(&wv, &wn, losses, 7));
}
END_TEST

START_TEST(keys_layout)
{
    uint8_t task[32], a[32], b[32];
    memset(task, 0x11, 32);
    memset(a, 0x22, 32);
    memset(b, 0x33, 32);
    uint8_t kt[ARENA_KEY_TASK_SIZE], ko[ARENA_KEY_OP_SIZE], kd[ARENA_KEY_DEL_SIZE],
        kc[ARENA_KEY_CHUNK_SIZE], kx[ARENA_KEY_SLASH_SIZE], kq[ARENA_KEY_QUEUE_SIZE],
        ke[ARENA_KEY_EVENT_SIZE];
    arena_key_task(kt, 'S', task);
    ck_assert(kt[0] == 'A' && kt[1] == 'S' && kt[2] == 0x11 && kt[33] == 0x11);
    arena_key_operator(ko, 'O', task, a);
    ck_assert(ko[1] == 'O' && ko[34] == 0x22 && ko[65] == 0x22);
    arena_key_delegation(kd, task, a, b);
    ck_assert(kd[1] == 'D' && kd[34] == 0x22 && kd[66] == 0x33 && kd[97] == 0x33);
    arena_key_operator(ko, 'D', task, a);
    ck_assert_mem_eq(kd, ko, ARENA_KEY_OP_SIZE); /* the prefix of the operator's delegations */
    arena_key_chunk(kc, task, 5, 0x0102);
    ck_assert(kc[1] == 'V' && kc[34] == 5 && kc[35] == 1 && kc[36] == 2);
    arena_key_slash(kx, a);
    ck_assert(kx[0] == 'A' && kx[1] == 'x' && kx[2] == 0x22);
    arena_key_queue(kq, 0x0102030405060708);
    ck_assert(kq[1] == 'q' && kq[2] == 1 && kq[9] == 8);
    arena_key_event(ke, 1, 0x0a0b0c0d);
    ck_assert(ke[1] == 'Q' && ke[9] == 1 && ke[10] == 0x0a && ke[13] == 0x0d);
}
END_TEST

/* ---- stateless checks ---- */

static void expect(uint8_t type, const struct wbuf *w, const uint8_t sender[32], const char *reason)
{
    struct tx tx;
    struct validation v;
    tx_init(&tx);
    tx.type = type;
    if (sender)
        memcpy(tx.sender, sender, 32);
    ck_assert(tx_set_payload(&tx, w->data, w->len));
    val_init(&v);
    bool ok = txtype_check_payload(&tx, &params, &v);
    if (!reason)
        ck_assert_msg(ok, "type %u refused: %s %s", type, v.reason, v.detail);
    else
        ck_assert_msg(!ok && strcmp(v.reason, reason) == 0, "type %u: want %s, got %s (%s)", type,
                      reason, ok ? "accepted" : v.reason, ok ? "" : v.detail);
    tx_free(&tx);
}

static void expect_params(const struct arena_task_params *t, const char *reason)
{
    struct wbuf w;
    wbuf_init(&w);
    arena_task_params_encode(t, &w);
    expect(TX_ARENA_TASK_CREATE, &w, NULL, reason);
    wbuf_free(&w);
}

/* Refused as a bad payload for the reason `detail`. */
static void expect_params_detail(const struct arena_task_params *t, const char *detail)
{
    struct wbuf w;
    struct tx tx;
    struct validation v;
    wbuf_init(&w);
    arena_task_params_encode(t, &w);
    tx_init(&tx);
    tx.type = TX_ARENA_TASK_CREATE;
    ck_assert(tx_set_payload(&tx, w.data, w.len));
    val_init(&v);
    ck_assert(!txtype_check_payload(&tx, &params, &v));
    ck_assert_str_eq(v.reason, "bad-arena-payload");
    ck_assert_str_eq(v.detail, detail);
    tx_free(&tx);
    wbuf_free(&w);
}

START_TEST(task_create_rejects)
{
    struct arena_task_params t;
    valid_params(&t);
    expect_params(&t, NULL);
    t.loss = ARENA_LOSS_MSE;
    expect_params(&t, NULL);

#define BAD(stmt)                          \
    do {                                   \
        valid_params(&t);                  \
        stmt;                              \
        expect_params(&t, "bad-arena-payload"); \
    } while (0)
    BAD(t.spec.kind = 9);
    BAD(t.spec.sizes[1] = 2);                 /* logreg with 2 outputs */
    BAD((t.spec.kind = FL_MODEL_SOFTMAX, t.spec.sizes[0] = 200000, t.spec.sizes[1] = 10)); /* > 10^6 */
    BAD((t.spec.kind = FL_MODEL_SOFTMAX, t.spec.sizes[0] = 30000, t.spec.sizes[1] = 10)); /* > tx */
    BAD((t.spec.kind = FL_MODEL_MLP, t.spec.n_sizes = 3, t.spec.sizes[2] = 1));           /* logloss on mlp */
    BAD(t.loss = 2);
    BAD((t.uri[3] = '\n'));
    BAD((t.uri[3] = (char)0x7f));
    BAD(t.k = 1);
    BAD(t.k = 0);
    BAD(t.sets[1].n_chunks = 0);
    BAD(t.sets[1].n_chunks = ARENA_MAX_CHUNKS + 1);
    BAD(t.sets[0].n_rows = 1);                /* fewer rows than chunks */
    BAD((t.sets[0].n_chunks = 64, t.sets[0].n_rows = 1024 * 1024 / 36 + 1)); /* > 1 MiB */
    BAD((t.sets[0].n_chunks = 1, t.sets[0].n_rows = 65536 / 36 + 1));       /* > one chunk */
    BAD(t.submit_blocks = 0);
    BAD(t.reveal_blocks = ARENA_MAX_WINDOW_BLOCKS + 1);
    BAD(t.score_commit_blocks = 0);
    BAD(t.score_reveal_blocks = 0);
    BAD(t.budget = ARENA_MIN_BUDGET - 1);
    BAD(t.budget = MAX_SUPPLY + 1);
    BAD(t.gamma_bps = 5001);
    BAD(t.q_bps = 0);
    BAD(t.q_bps = 10001);
    BAD(t.delta_bps = 10001);
    BAD(t.d_bps = 0);
    BAD(t.d_bps = ARENA_MAX_D_BPS + 1);
    BAD(t.vest_epochs = ARENA_MAX_VEST + 1);
    BAD(t.draws_per_set = 0);
    BAD(t.draws_per_set = ARENA_MAX_DRAWS + 1);
    BAD(t.max_trainers = 0);
    BAD(t.max_trainers = ARENA_MAX_TRAINERS + 1);
    BAD(t.max_validators = 0);
    BAD(t.max_validators = ARENA_MAX_VALIDATORS + 1);
    BAD(t.trainer_min_stake = 0);
    BAD(t.validator_min_stake = 0);
    BAD(t.validator_min_stake = MAX_SUPPLY + 1);
    BAD(t.slash_bps = 10001);
#undef BAD
    /* The bounds: exactly at each limit is fine. */
    valid_params(&t);
    t.k = ARENA_MAX_SETS;
    for (int i = 0; i < ARENA_MAX_SETS; i++) {
        t.sets[i].n_chunks = ARENA_MAX_CHUNKS;
        t.sets[i].n_rows = 1024 * 1024 / 36;
    }
    t.gamma_bps = 5000;
    t.vest_epochs = ARENA_MAX_VEST;
    t.draws_per_set = ARENA_MAX_DRAWS;
    t.max_trainers = ARENA_MAX_TRAINERS;
    t.max_validators = ARENA_MAX_VALIDATORS;
    t.budget = ARENA_MIN_BUDGET;
    expect_params(&t, NULL);
    /* Its set window (as long as the reveal window) must carry 8 sets of
     * 1 MiB at half of each 4 MB block: 5 blocks do, 4 do not. */
    t.reveal_blocks = 4;
    expect_params_detail(&t, "set window too short for the sets it must carry");
    t.reveal_blocks = 5;
    expect_params(&t, NULL);
    /* Weights of 240,001 parameters (a reveal of 960,192 bytes) from 64
     * trainers need 31 blocks. */
    {
        struct arena_task_params big = t;
        big.spec.kind = FL_MODEL_MLP;
        big.loss = ARENA_LOSS_MSE;
        big.spec.n_sizes = 3;
        big.spec.sizes[0] = 8;
        big.spec.sizes[1] = 24000;
        big.spec.sizes[2] = 1;
        big.k = 2;
        big.sets[0].n_rows = big.sets[1].n_rows = 64;
        big.sets[0].n_chunks = big.sets[1].n_chunks = 1;
        big.reveal_blocks = 30;
        expect_params_detail(&big, "reveal window too short for the weights it must carry");
        big.reveal_blocks = 31;
        expect_params(&big, NULL);
    }
    /* The largest task's events fit one height. */
    /* 29,127 rows of 36 bytes: 1,048,572 bytes, 4,096 units of deletion. */
    ck_assert_uint_eq(arena_event_work(&t, ARENA_EV_SETTLE),
                      8 + 16 * 128 + 8 * 64 * 64 + 8 * 4096);
    ck_assert_uint_le(arena_event_work(&t, ARENA_EV_SETTLE), ARENA_MAX_HEIGHT_WORK);
    ck_assert_uint_eq(arena_event_work(&t, ARENA_EV_ASSIGN), 8 + 16 * 128 + 8 * 16);
    ck_assert_uint_eq(arena_event_work(&t, ARENA_EV_CLOSE), 8 + 16 * 128 + 8);
    ck_assert_uint_eq(arena_event_work(&t, ARENA_EV_VEST), 8 + 16 * 128);

    /* Shapes the decoder refuses: more than 8 sets, a uri over 256 bytes,
     * trailing bytes. */
    struct wbuf w;
    valid_params(&t);
    t.k = ARENA_MAX_SETS + 1;
    wbuf_init(&w);
    arena_task_params_encode(&t, &w); /* writes 8 sets and a count of 9 */
    expect(TX_ARENA_TASK_CREATE, &w, NULL, "bad-txns-payload");
    wbuf_reset(&w);
    valid_params(&t);
    t.uri_len = ARENA_MAX_URI + 1;
    memset(t.uri, 'a', sizeof(t.uri));
    arena_task_params_encode(&t, &w);
    expect(TX_ARENA_TASK_CREATE, &w, NULL, "bad-txns-payload");
    wbuf_reset(&w);
    t.uri_len = ARENA_MAX_URI;
    arena_task_params_encode(&t, &w);
    expect(TX_ARENA_TASK_CREATE, &w, NULL, NULL);
    put_u8(&w, 0);
    expect(TX_ARENA_TASK_CREATE, &w, NULL, "bad-txns-payload");
    wbuf_free(&w);
}
END_TEST

/* The rules that depend on max_tx_size: weights, a chunk, a score reveal
 * each fit one transaction. */
START_TEST(task_create_fits_transactions)
{
    struct arena_task_params t;
    struct chain_params small = params;
    struct validation v;
    small.max_tx_size = 1200;
    valid_params(&t);
    val_init(&v);
    ck_assert_msg(arena_task_params_check(&t, &small, &v), "%s", v.detail);
    /* Weights: 8 inputs -> 9 parameters fit; 300 inputs (301 weights, 1.2 KB) do not. */
    t.spec.sizes[0] = 300;
    t.sets[0].n_rows = t.sets[1].n_rows = 2;
    val_init(&v);
    ck_assert(!arena_task_params_check(&t, &small, &v));
    ck_assert_str_eq(v.detail, "weights do not fit a transaction");
    /* A chunk: 10 rows of 36 bytes in 2 chunks fit; 60 rows in 2 do not. */
    valid_params(&t);
    t.sets[1].n_rows = 60;
    val_init(&v);
    ck_assert(!arena_task_params_check(&t, &small, &v));
    ck_assert_str_eq(v.detail, "chunk does not fit a transaction");
    /* Scores: 8 sets x 64 trainers = 2 KB of losses. */
    valid_params(&t);
    t.k = 8;
    for (int i = 2; i < 8; i++)
        t.sets[i] = t.sets[0];
    t.max_trainers = ARENA_MAX_TRAINERS;
    val_init(&v);
    ck_assert(!arena_task_params_check(&t, &small, &v));
    ck_assert_str_eq(v.detail, "score reveal does not fit a transaction");
    t.max_trainers = 8;
    val_init(&v);
    ck_assert_msg(arena_task_params_check(&t, &small, &v), "%s", v.detail);
}
END_TEST

START_TEST(other_type_rejects)
{
    uint8_t me[32], other[32];
    struct wbuf w;
    memset(me, 0x42, 32);
    memset(other, 0x43, 32);
    wbuf_init(&w);

    struct arena_stake s = {.role = ARENA_ROLE_TRAINER, .amount = 1};
    arena_stake_encode(&s, &w);
    expect(TX_ARENA_STAKE, &w, me, NULL);
    for (uint8_t role = 0; role < 5; role += 3) {
        wbuf_reset(&w);
        s.role = role;
        arena_stake_encode(&s, &w);
        expect(TX_ARENA_STAKE, &w, me, "bad-arena-payload");
    }
    s.role = ARENA_ROLE_VALIDATOR;
    s.amount = 0;
    wbuf_reset(&w);
    arena_stake_encode(&s, &w);
    expect(TX_ARENA_STAKE, &w, me, "bad-arena-payload");
    s.amount = MAX_SUPPLY + 1;
    wbuf_reset(&w);
    arena_stake_encode(&s, &w);
    expect(TX_ARENA_STAKE, &w, me, "bad-arena-payload");
    put_u8(&w, 0);
    expect(TX_ARENA_STAKE, &w, me, "bad-txns-payload");

    struct arena_delegate d = {.amount = ARENA_MIN_DELEGATION};
    memcpy(d.op, other, 32);
    wbuf_reset(&w);
    arena_delegate_encode(&d, &w);
    expect(TX_ARENA_DELEGATE, &w, me, NULL);
    expect(TX_ARENA_DELEGATE, &w, other, "bad-arena-payload"); /* to oneself */
    d.amount = ARENA_MIN_DELEGATION - 1;
    wbuf_reset(&w);
    arena_delegate_encode(&d, &w);
    expect(TX_ARENA_DELEGATE, &w, me, "arena-stake-low");
    d.amount = MAX_SUPPLY + 1;
    wbuf_reset(&w);
    arena_delegate_encode(&d, &w);
    expect(TX_ARENA_DELEGATE, &w, me, "bad-arena-payload");

    struct arena_undelegate u;
    memset(u.task, 1, 32);
    memcpy(u.op, other, 32);
    wbuf_reset(&w);
    arena_undelegate_encode(&u, &w);
    expect(TX_ARENA_UNDELEGATE, &w, me, NULL);
    expect(TX_ARENA_UNDELEGATE, &w, other, "bad-arena-payload");
    w.len--;
    expect(TX_ARENA_UNDELEGATE, &w, me, "bad-txns-payload");

    struct arena_set_share sh = {.sigma_bps = 10000};
    wbuf_reset(&w);
    arena_set_share_encode(&sh, &w);
    expect(TX_ARENA_SET_SHARE, &w, me, NULL);
    sh.sigma_bps = 10001;
    wbuf_reset(&w);
    arena_set_share_encode(&sh, &w);
    expect(TX_ARENA_SET_SHARE, &w, me, "bad-arena-payload");

    struct arena_commit c;
    memset(&c, 9, sizeof(c));
    wbuf_reset(&w);
    arena_commit_encode(&c, &w);
    expect(TX_ARENA_SUBMIT_COMMIT, &w, me, NULL);
    expect(TX_ARENA_SCORE_COMMIT, &w, me, NULL);
    w.len--;
    expect(TX_ARENA_SUBMIT_COMMIT, &w, me, "bad-txns-payload");
    expect(TX_ARENA_SCORE_COMMIT, &w, me, "bad-txns-payload");

    uint8_t weights[8] = {0};
    struct arena_submit_reveal sr = {.n = 2, .weights = weights};
    wbuf_reset(&w);
    arena_submit_reveal_encode(&sr, &w);
    expect(TX_ARENA_SUBMIT_REVEAL, &w, me, NULL);
    sr.n = 0;
    wbuf_reset(&w);
    arena_submit_reveal_encode(&sr, &w);
    expect(TX_ARENA_SUBMIT_REVEAL, &w, me, "bad-arena-payload");
    /* A count above ARENA_MAX_PARAMS does not decode. */
    wbuf_reset(&w);
    put_bytes(&w, sr.task, 32);
    put_bytes(&w, sr.salt, 32);
    put_compact(&w, ARENA_MAX_PARAMS + 1);
    expect(TX_ARENA_SUBMIT_REVEAL, &w, me, "bad-txns-payload");

    uint8_t path[7 * 32] = {0}, data[40] = {0};
    struct arena_reveal_valset rv = {.set = 7, .chunk = 63, .npath = 6, .path = path,
                                     .len = 40, .data = data};
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, NULL);
    rv.set = ARENA_MAX_SETS;
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, "bad-arena-payload");
    rv.set = 0;
    rv.chunk = ARENA_MAX_CHUNKS;
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, "bad-arena-payload");
    rv.chunk = 0;
    rv.len = 0;
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, "bad-arena-payload");
    rv.len = 40;
    rv.npath = ARENA_MAX_PATH + 1;
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, "bad-txns-payload");
    uint8_t *big = calloc(1, ARENA_MAX_CHUNK_BYTES + 1);
    ck_assert_ptr_nonnull(big);
    rv.npath = 0;
    rv.data = big;
    rv.len = ARENA_MAX_CHUNK_BYTES;
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, NULL);
    rv.len = ARENA_MAX_CHUNK_BYTES + 1;
    wbuf_reset(&w);
    arena_reveal_valset_encode(&rv, &w);
    expect(TX_ARENA_REVEAL_VALSET, &w, me, "bad-txns-payload");
    free(big);

    uint8_t losses[(ARENA_MAX_SCORES + 1) * 4] = {0};
    struct arena_score_reveal sc = {.n = ARENA_MAX_SCORES, .losses = losses};
    wbuf_reset(&w);
    arena_score_reveal_encode(&sc, &w);
    expect(TX_ARENA_SCORE_REVEAL, &w, me, NULL);
    sc.n = ARENA_MAX_SCORES + 1;
    wbuf_reset(&w);
    arena_score_reveal_encode(&sc, &w);
    expect(TX_ARENA_SCORE_REVEAL, &w, me, "bad-txns-payload");
    sc.n = 0;
    wbuf_reset(&w);
    arena_score_reveal_encode(&sc, &w);
    expect(TX_ARENA_SCORE_REVEAL, &w, me, "bad-arena-payload");
    wbuf_free(&w);
}
END_TEST

/* The table rows: names, module, two block units. */
START_TEST(txtype_rows)
{
    static const char *names[] = {"arena_task_create", "arena_stake", "arena_delegate",
                                  "arena_undelegate", "arena_set_share", "arena_submit_commit",
                                  "arena_submit_reveal", "arena_reveal_valset",
                                  "arena_score_commit", "arena_score_reveal"};
    ck_assert_uint_eq(TX_TYPE_LIMIT, 66); /* finality's 64 and 65 are the last */
    for (unsigned i = 0; i < 10; i++) {
        uint8_t type = (uint8_t)(TX_ARENA_TASK_CREATE + i);
        ck_assert(txtype_known(type));
        ck_assert_str_eq(txtype_name(type), names[i]);
        ck_assert_str_eq(txtype_get(type)->module, "arena");
        /* ARENA_TASK_CREATE queues up to 55 events: 5.1-6.6 transfers measured
         * (bench/bench_arena_tx), so 8 units; the others 2. */
        ck_assert_uint_eq(txtype_block_units(type), type == TX_ARENA_TASK_CREATE ? 8 : 2);
        ck_assert_uint_eq(txtype_from_name(names[i]), type);
    }
    for (unsigned t = 22; t < 32; t++) /* 16..21: FL */
        ck_assert(!txtype_known((uint8_t)t));
    ck_assert(!txtype_known(42));
}
END_TEST

/* The Arena's chain parameters: defaults per network, committed in the
 * genesis parameters, and kappa < beta <= 10^4. */
START_TEST(chain_parameters)
{
    struct chain_params main_p, test_p, p;
    char err[128];
    ck_assert(params_init(&main_p, NET_MAIN));
    ck_assert(params_init(&test_p, NET_TEST));
    ck_assert_uint_eq(params.arena_burn_bps, 1000);
    ck_assert_uint_eq(params.arena_match_bps, 500);
    ck_assert_uint_eq(params.arena_pool_cap_blocks, 1000);
    ck_assert_uint_eq(main_p.arena_pool_cap_blocks, 518400);
    ck_assert_uint_eq(test_p.arena_pool_cap_blocks, 518400);
    ck_assert_uint_eq(main_p.arena_burn_bps, 1000);
    ck_assert_uint_eq(test_p.arena_match_bps, 500);

    struct wbuf a, b;
    wbuf_init(&a);
    wbuf_init(&b);
    params_encode(&params, &a);
    p = params;
    p.arena_pool_cap_blocks++;
    params_encode(&p, &b);
    ck_assert(a.len == b.len && memcmp(a.data, b.data, a.len) != 0);
    /* 8 bytes before the FL's 8, the Market's 28 and the downtime jail's 14:
     * burn u16 | match u16 | cap u32. */
    const size_t end = a.len - 8 - 28 - 14;
    ck_assert_uint_eq(read_le32(a.data + end - 4), 1000);
    ck_assert_uint_eq(a.data[end - 8] | a.data[end - 7] << 8, 1000);
    ck_assert_uint_eq(a.data[end - 6] | a.data[end - 5] << 8, 500);
    wbuf_free(&a);
    wbuf_free(&b);

    p = params;
    ck_assert_msg(params_validate(&p, err, sizeof(err)), "%s", err);
    p.arena_match_bps = p.arena_burn_bps;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "arena_match_bps"));
    p.arena_match_bps = 0;
    p.arena_burn_bps = 10001;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    p.arena_burn_bps = 10000;
    p.arena_match_bps = 9999;
    ck_assert(params_validate(&p, err, sizeof(err)));
    params_free(&main_p);
    params_free(&test_p);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arenamath");
    TCase *tc = tcase_create("formulas");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, muldiv_vectors);
    tcase_add_test(tc, muldiv_matches_slow_reference);
    tcase_add_test(tc, median_vectors);
    tcase_add_test(tc, median_order_free);
    tcase_add_test(tc, submission_loss_vectors);
    tcase_add_test(tc, rank_vectors);
    tcase_add_test(tc, ranks_clones_share);
    tcase_add_test(tc, reward_vectors);
    tcase_add_test(tc, share_vectors);
    tcase_add_test(tc, validator_group_properties);
    tcase_add_test(tc, draw_vectors);
    tcase_add_test(tc, draw_proportional_to_stake);
    tcase_add_test(tc, draw_no_gain_from_splitting);
    tcase_add_test(tc, merkle_vectors);
    tcase_add_test(tc, merkle_paths_all_sizes);
    tcase_add_test(tc, merkle_odd_level_carries);
    tcase_add_test(tc, commitment_vectors);
    tcase_add_test(tc, payload_roundtrips);
    tcase_add_test(tc, record_roundtrips);
    tcase_add_test(tc, keys_layout);
    tcase_add_test(tc, task_create_rejects);
    tcase_add_test(tc, task_create_fits_transactions);
    tcase_add_test(tc, other_type_rejects);
    tcase_add_test(tc, txtype_rows);
    tcase_add_test(tc, chain_parameters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(arena_suite());
}
