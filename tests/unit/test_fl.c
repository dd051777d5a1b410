/* The FL Alliance formulas, without a chain: Q16.16 conversions and
 * rounding, the three aggregators on hand-computed vectors and against a
 * naive reference on random inputs in shuffled orders, the role draw
 * (vectors from an independent implementation, and its proportions), vote
 * commitments and model hashes, the reward arithmetic, model specs and the
 * stateless rules of every transaction type.  The vectors are the ones
 * published in doc/protocol.md, section 17. */
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/params.h"
#include "test_util.h"

static struct chain_params params;

static void setup(void)
{
    ck_assert(sodium_init() >= 0);
    ck_assert(params_init(&params, NET_REGTEST));
}

static void teardown(void)
{
    params_free(&params);
}

/* ---- Q16.16 ---- */

START_TEST(div_round_ties_away_from_zero)
{
    static const struct {
        int64_t num;
        uint64_t den;
        int64_t want;
    } v[] = {
        {3, 2, 2},   {-3, 2, -2}, {5, 4, 1},  {-5, 4, -1}, {6, 4, 2},   {-6, 4, -2},
        {7, 4, 2},   {-7, 4, -2}, {1, 3, 0},  {2, 3, 1},   {-2, 3, -1}, {0, 5, 0},
        {1, 2, 1},   {-1, 2, -1}, {-1, 3, 0}, {10, 5, 2},  {-10, 5, -2}, {9, 1, 9},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        ck_assert_msg(fl_div_round(v[i].num, v[i].den) == v[i].want, "%lld / %llu",
                      (long long)v[i].num, (unsigned long long)v[i].den);
    /* A 128-bit numerator: (2^100 + 2^99) / 2^70 = 1.5 x 2^30 exactly. */
    __int128 big = ((__int128)1 << 100) + ((__int128)1 << 99);
    ck_assert(fl_div_round(big, UINT64_C(1) << 63) == (int64_t)3 << 36);
    ck_assert(fl_div_round(-big, UINT64_C(1) << 63) == -((int64_t)3 << 36));
}
END_TEST

START_TEST(q16_format_is_exact)
{
    static const struct {
        int32_t q;
        const char *s;
    } v[] = {
        {0, "0"},
        {65536, "1"},
        {-32768, "-0.5"},
        {98304, "1.5"},
        {1, "0.0000152587890625"},
        {-1, "-0.0000152587890625"},
        {52429, "0.8000030517578125"},
        {INT32_MAX, "32767.9999847412109375"},
        {INT32_MIN, "-32768"},
        {-65536 * 3 - 16384, "-3.25"},
    };
    char buf[FL_Q16_DEC_MAX];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        fl_q16_format(v[i].q, buf);
        ck_assert_str_eq(buf, v[i].s);
    }
}
END_TEST

START_TEST(q16_parse_rounds_to_nearest)
{
    static const struct {
        const char *s;
        int32_t q;
    } good[] = {
        {"1", 65536},
        {"-0.5", -32768},
        {".5", 32768},
        {"0.8", 52429},           /* 52428.8 */
        {"0.00001", 1},           /* 0.65536 */
        {"0.0000076293945312", 0}, /* just below half a unit */
        {"0.00000762939453125", 1}, /* exactly half: away from zero */
        {"-0.00000762939453125", -1},
        {"-0.0000076293945312", 0},
        {"32767.99999", INT32_MAX},
        {"-32768", INT32_MIN},
        {"-0", 0},
        {"007.25", 475136},
    };
    static const char *bad[] = {"", "-", "abc", "1.", "1e3", "+1", "32768", "-32768.00001",
                                "1.2.3", " 1", "0.0000000000000000000000000000001"};
    int32_t q;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(fl_q16_parse(good[i].s, &q), "%s", good[i].s);
        ck_assert_msg(q == good[i].q, "%s: %d, want %d", good[i].s, q, good[i].q);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!fl_q16_parse(bad[i], &q), "accepted %s", bad[i]);
    /* Every value survives format then parse. */
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("q16 round trip"));
    char buf[FL_Q16_DEC_MAX];
    for (int i = 0; i < 100000; i++) {
        int32_t x = (int32_t)(uint32_t)test_rand64(&rng);
        fl_q16_format(x, buf);
        ck_assert(fl_q16_parse(buf, &q));
        ck_assert_int_eq(q, x);
    }
}
END_TEST

/* ---- aggregators ---- */

/* Encodes rows of int32 weights as the LE bytes the aggregator reads. */
struct upd_set {
    size_t k, n;
    uint8_t *bytes;
    struct fl_update_ref *refs;
};

static void set_make(struct upd_set *s, size_t k, size_t n, const int32_t *w, const uint64_t *stakes)
{
    s->k = k;
    s->n = n;
    s->bytes = malloc(k * n * 4 + 1);
    s->refs = calloc(k, sizeof(*s->refs));
    ck_assert(s->bytes && s->refs);
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < n; j++)
            write_le32(s->bytes + 4 * (i * n + j), (uint32_t)w[i * n + j]);
        s->refs[i].weights = s->bytes + 4 * i * n;
        s->refs[i].stake = stakes ? stakes[i] : 1;
    }
}

static void set_free(struct upd_set *s)
{
    free(s->bytes);
    free(s->refs);
}

static void aggregate_expect(uint8_t agg, uint16_t trim, size_t k, size_t n, const int32_t *w,
                             const uint64_t *stakes, const int32_t *want)
{
    struct upd_set s;
    uint8_t *out = malloc(4 * n);
    set_make(&s, k, n, w, stakes);
    ck_assert(fl_aggregate(agg, trim, s.refs, k, n, out));
    for (size_t j = 0; j < n; j++)
        ck_assert_msg((int32_t)read_le32(out + 4 * j) == want[j],
                      "aggregator %u coordinate %zu: %d, want %d", agg, j,
                      (int32_t)read_le32(out + 4 * j), want[j]);
    set_free(&s);
    free(out);
}

START_TEST(fedavg_vectors)
{
    /* Stakes 1, 1, 2: coordinate 0 is (10 + 20 + 60) / 4 = 22.5 -> 23,
     * coordinate 1 the negative tie -22.5 -> -23, then 15/4 = 3.75 -> 4 and
     * 3/4 -> 1. */
    const int32_t w[] = {10, -10, 3, 1, 20, -20, 4, 2, 30, -30, 4, 0};
    const uint64_t st[] = {1, 1, 2};
    const int32_t want[] = {23, -23, 4, 1};
    aggregate_expect(FL_AGG_FEDAVG, 0, 3, 4, w, st, want);

    /* The extremes with stakes near the supply: no overflow, exact. */
    const int32_t w2[] = {INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MAX, INT32_MIN, INT32_MIN};
    const uint64_t st2[] = {6 * (MAX_SUPPLY / 10), 4 * (MAX_SUPPLY / 10)};
    /* Coordinates 0 and 1 are the same in both; coordinate 2 is
     * 0.6 x (2^31 - 2) - 0.4 x 2^31 = 429496728.4 -> 429496728. */
    __int128 num = (__int128)st2[0] * (INT32_MAX - 1) + (__int128)st2[1] * INT32_MIN;
    int32_t c2 = (int32_t)fl_div_round(num, st2[0] + st2[1]);
    const int32_t want2[] = {INT32_MAX, INT32_MIN, c2};
    ck_assert_int_eq(c2, 429496728);
    aggregate_expect(FL_AGG_FEDAVG, 0, 2, 3, w2, st2, want2);

    /* One update is returned unchanged whatever its stake. */
    const int32_t w3[] = {-7, 0, 123456789};
    const uint64_t st3[] = {12345};
    aggregate_expect(FL_AGG_FEDAVG, 0, 1, 3, w3, st3, w3);
}
END_TEST

START_TEST(median_vectors)
{
    /* Odd: the middle value. */
    const int32_t odd[] = {5, -5, 7, 1, -1, 7, 3, -3, 7};
    const int32_t want_odd[] = {3, -3, 7};
    aggregate_expect(FL_AGG_MEDIAN, 0, 3, 3, odd, NULL, want_odd);
    /* Even: floor of the mean of the two middle values (2.5 -> 2, -2.5 -> -3,
     * -0.5 -> -1), and no overflow at the extremes. */
    const int32_t even[] = {
        1, -1, -3, INT32_MAX, INT32_MIN, 2,
        2, -2, -2, INT32_MAX, INT32_MIN, 2,
        3, -3, 1,  INT32_MAX, INT32_MIN, 9,
        4, -4, 5,  INT32_MAX, INT32_MIN, 1,
    };
    const int32_t want_even[] = {2, -3, -1, INT32_MAX, INT32_MIN, 2};
    aggregate_expect(FL_AGG_MEDIAN, 0, 4, 6, even, NULL, want_even);
    /* Stakes do not matter. */
    const uint64_t st[] = {1000, 1, 1, 1};
    aggregate_expect(FL_AGG_MEDIAN, 0, 4, 6, even, st, want_even);
}
END_TEST

START_TEST(trimmed_mean_vectors)
{
    /* k = 1 of 5: drop the smallest and largest, mean of the rest:
     * (2+3+4)/3 = 3; (1+2+2)/3 = 1.67 -> 2; (-2-1+10)/3 = 2.33 -> 2. */
    const int32_t five[] = {1, -10, -7, 2, 1, -2, 3, 2, -1, 4, 2, 10, 100, 50, 11};
    const int32_t want5[] = {3, 2, 2};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 5, 3, five, NULL, want5);
    /* k = 1 of 4: two values remain; ties go away from zero (1.5 -> 2,
     * -1.5 -> -2). */
    const int32_t four[] = {-5, -9, 1, -2, 2, -1, 9, 5};
    const int32_t want4[] = {2, -2};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 4, 2, four, NULL, want4);
    /* k = 2 of 4 (fewer than 2k + 1): the median. */
    const int32_t want_med[] = {1, -2}; /* floor(1.5) = 1, floor(-1.5) = -2 */
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 2, 4, 2, four, NULL, want_med);
    /* An outlier does not move it. */
    const int32_t outl[] = {100, 101, 99, 102, INT32_MAX};
    const int32_t want_o[] = {101};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 5, 1, outl, NULL, want_o);
}
END_TEST

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The aggregators written the obvious way, for comparison. */
static int32_t reference(uint8_t agg, uint16_t t, const int32_t *col, const uint64_t *stakes, size_t k)
{
    if (agg == FL_AGG_FEDAVG) {
        __int128 num = 0;
        uint64_t den = 0;
        for (size_t i = 0; i < k; i++) {
            num += (__int128)stakes[i] * col[i];
            den += stakes[i];
        }
        /* round half away from zero, written differently */
        __int128 q = num / (__int128)den, r = num % (__int128)den;
        if (2 * (r < 0 ? -r : r) >= (__int128)den)
            q += num < 0 ? -1 : 1;
        return (int32_t)q;
    }
    int32_t *v = malloc(k * sizeof(*v));
    memcpy(v, col, k * sizeof(*v));
    qsort(v, k, sizeof(*v), cmp_i32);
    int64_t res;
    if (agg == FL_AGG_MEDIAN || k < 2u * t + 1) {
        if (k % 2)
            res = v[k / 2];
        else {
            int64_t s = (int64_t)v[k / 2 - 1] + v[k / 2];
            res = s >= 0 ? s / 2 : -((-s + 1) / 2);
        }
    } else {
        int64_t sum = 0, cnt = (int64_t)(k - 2 * t);
        for (size_t i = t; i < k - t; i++)
            sum += v[i];
        int64_t q = sum / cnt, r = sum % cnt;
        if (2 * (r < 0 ? -r : r) >= cnt)
            q += sum < 0 ? -1 : 1;
        res = q;
    }
    free(v);
    return (int32_t)res;
}

START_TEST(aggregators_match_reference_in_any_order)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("aggregators"));
    for (int iter = 0; iter < 40; iter++) {
        size_t k = 1 + (size_t)test_rand_below(&rng, 70), n = 1 + (size_t)test_rand_below(&rng, 1500);
        if (iter < 3) { /* large, odd-sized networks too */
            k = iter == 0 ? 257 : iter == 1 ? 999 : 128;
            n = 1 + (size_t)test_rand_below(&rng, 100);
        }
        int32_t *w = malloc(k * n * sizeof(*w)), *col = malloc(k * sizeof(*col));
        uint64_t *stakes = malloc(k * sizeof(*stakes));
        size_t *perm = malloc(k * sizeof(*perm));
        /* Small ranges make ties frequent; full ranges test the extremes. */
        int32_t range = iter % 3 == 0 ? 5 : iter % 3 == 1 ? 70000 : 0;
        for (size_t i = 0; i < k * n; i++)
            w[i] = range ? (int32_t)test_rand_below(&rng, 2 * (uint64_t)range + 1) - range
                         : (int32_t)(uint32_t)test_rand64(&rng);
        for (size_t i = 0; i < k; i++)
            stakes[i] = iter % 2 ? 1 + test_rand_below(&rng, 1000)
                                 : 1 + test_rand_below(&rng, MAX_SUPPLY / 1000);
        for (uint8_t agg = FL_AGG_FEDAVG; agg <= FL_AGG_TRIMMED_MEAN; agg++) {
            uint16_t t = agg == FL_AGG_TRIMMED_MEAN ? (uint16_t)(1 + test_rand_below(&rng, 20)) : 0;
            uint8_t *out1 = malloc(4 * n), *out2 = malloc(4 * n);
            struct upd_set s1, s2;
            set_make(&s1, k, n, w, stakes);
            ck_assert(fl_aggregate(agg, t, s1.refs, k, n, out1));
            /* The same updates in a shuffled order. */
            int32_t *w2 = malloc(k * n * sizeof(*w2));
            uint64_t *st2 = malloc(k * sizeof(*st2));
            for (size_t i = 0; i < k; i++)
                perm[i] = i;
            for (size_t i = k; i-- > 1;) {
                size_t j = (size_t)test_rand_below(&rng, i + 1), x = perm[i];
                perm[i] = perm[j];
                perm[j] = x;
            }
            for (size_t i = 0; i < k; i++) {
                memcpy(w2 + i * n, w + perm[i] * n, n * sizeof(*w2));
                st2[i] = stakes[perm[i]];
            }
            set_make(&s2, k, n, w2, st2);
            ck_assert(fl_aggregate(agg, t, s2.refs, k, n, out2));
            ck_assert_mem_eq(out1, out2, 4 * n);
            for (size_t j = 0; j < n; j++) {
                for (size_t i = 0; i < k; i++)
                    col[i] = w[i * n + j];
                int32_t want = reference(agg, t, col, stakes, k);
                ck_assert_msg((int32_t)read_le32(out1 + 4 * j) == want,
                              "aggregator %u k %zu t %u coordinate %zu", agg, k, t, j);
            }
            set_free(&s1);
            set_free(&s2);
            free(w2);
            free(st2);
            free(out1);
            free(out2);
        }
        free(w);
        free(col);
        free(stakes);
        free(perm);
    }
}
END_TEST

START_TEST(aggregate_refuses_nothing_to_aggregate)
{
    struct fl_update_ref r = {(const uint8_t *)"\0\0\0\0", 0};
    uint8_t out[4];
    ck_assert(!fl_aggregate(FL_AGG_FEDAVG, 0, &r, 0, 1, out));
    ck_assert(!fl_aggregate(FL_AGG_FEDAVG, 0, &r, 1, 1, out)); /* zero total stake */
    ck_assert(!fl_aggregate(7, 0, &r, 1, 1, out));
    r.stake = 1;
    ck_assert(fl_aggregate(FL_AGG_FEDAVG, 0, &r, 1, 1, out));
}
END_TEST

/* ---- roles, commitments, hashes ---- */

START_TEST(role_draw_vectors)
{
    /* From an independent implementation (Python hashlib). */
    uint8_t task[32], mix[32];
    uint32_t order[10];
    memset(task, 0xaa, 32);
    memset(mix, 0, 32);
    const uint32_t r1[10] = {4, 0, 2, 8, 3, 9, 1, 6, 7, 5};
    const uint32_t r2[10] = {6, 8, 7, 2, 5, 0, 1, 4, 3, 9};
    fl_draw_roles(order, 10, task, 1, mix);
    ck_assert_mem_eq(order, r1, sizeof(r1));
    fl_draw_roles(order, 10, task, 2, mix);
    ck_assert_mem_eq(order, r2, sizeof(r2));
    for (int i = 0; i < 32; i++)
        task[i] = (uint8_t)i;
    memset(mix, 0x5c, 32);
    const uint32_t r3[7] = {4, 0, 6, 3, 2, 5, 1};
    fl_draw_roles(order, 7, task, 3, mix);
    ck_assert_mem_eq(order, r3, sizeof(r3));
    /* Two participants: a permutation of {0, 1}. */
    fl_draw_roles(order, 2, task, 3, mix);
    ck_assert(order[0] + order[1] == 1);
}
END_TEST

START_TEST(proposer_counts)
{
    static const struct {
        uint32_t n;
        uint16_t bps;
        uint32_t want;
    } v[] = {
        {2, 5000, 1},  {3, 5000, 2},   {3, 3333, 1},  {3, 3334, 2},   {10, 1, 1},
        {10, 9999, 9}, {4, 2500, 1},   {5, 2500, 2},  {1000, 3333, 334}, {1000, 9999, 999},
        {2, 9999, 1},  {2, 1, 1},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        ck_assert_msg(fl_proposer_count(v[i].n, v[i].bps) == v[i].want, "n %u bps %u: %u",
                      v[i].n, v[i].bps, fl_proposer_count(v[i].n, v[i].bps));
}
END_TEST

START_TEST(role_draw_proportions)
{
    /* Over many rounds each of 10 participants is a proposer about 3 times
     * in 10 (bps 3000), and lands first about once in 10: within 5 standard
     * deviations. */
    enum { N = 10, ROUNDS = 4000 };
    uint32_t order[N], proposer[N] = {0}, first[N] = {0};
    uint8_t task[32], mix[32];
    memset(task, 0x42, 32);
    memset(mix, 0x17, 32);
    uint32_t m = fl_proposer_count(N, 3000);
    ck_assert_uint_eq(m, 3);
    for (uint32_t r = 1; r <= ROUNDS; r++) {
        fl_draw_roles(order, N, task, r, mix);
        uint32_t seen = 0;
        for (uint32_t i = 0; i < N; i++)
            seen |= 1u << order[i];
        ck_assert_uint_eq(seen, (1u << N) - 1); /* a permutation */
        for (uint32_t i = 0; i < m; i++)
            proposer[order[i]]++;
        first[order[0]]++;
    }
    for (int i = 0; i < N; i++) {
        /* mean 1200, sd sqrt(4000 x 0.3 x 0.7) = 29 */
        ck_assert_msg(proposer[i] > 1200 - 145 && proposer[i] < 1200 + 145, "participant %d: %u", i,
                      proposer[i]);
        /* mean 400, sd 19 */
        ck_assert_msg(first[i] > 400 - 95 && first[i] < 400 + 95, "participant %d first %u", i,
                      first[i]);
    }
}
END_TEST

START_TEST(commitment_and_model_hash_vectors)
{
    uint8_t task[32], voter[32], salt[32], h[32];
    memset(task, 0x11, 32);
    memset(voter, 0x22, 32);
    memset(salt, 0x33, 32);
    fl_vote_commitment(h, task, 7, voter, 1, 52429, salt);
    ck_assert_hex_eq(h, 32, "4b1f5f74f175e707f10a93c7b6a8532569b1c7e3e0580cd21bc4ecb36e30cd28");
    fl_vote_commitment(h, task, 7, voter, -1, -65536, salt);
    ck_assert_hex_eq(h, 32, "ae5326fcce3966571cc6e801c5045036ed17dbb63e5648065fc9bee8a100d9f2");
    uint8_t w[16];
    write_le32(w, 65536);
    write_le32(w + 4, (uint32_t)-32768);
    write_le32(w + 8, 0);
    write_le32(w + 12, 1);
    fl_model_hash(h, w, 4);
    ck_assert_hex_eq(h, 32, "98132c875ff5bdce2ebd1060d5d6418a5564d76c3d5ba2dccc610b195fb8a23f");
    memset(w, 0, sizeof(w));
    fl_model_hash(h, w, 4);
    ck_assert_hex_eq(h, 32, "644ac8f6ab6ea17aac40982d5bfcd27d7ae1de10eaf4554137e457f48d398623");
}
END_TEST

/* ---- rewards ---- */

START_TEST(reward_split_arithmetic)
{
    /* A round with 1000 FML in the pool and 4 rounds left: R = 250 FML, the
     * voters' 20% is 50 FML; proposers with stakes 100 and 300 share 200 FML
     * as 50 and 150; +1 voters with stakes 200, 100 and 100 share 50 FML as
     * 25, 12.5 and 12.5 (exact in base units). */
    uint64_t pool = 1000 * COIN;
    uint64_t r = fl_round_reward(pool, 4);
    ck_assert_uint_eq(r, 250 * COIN);
    uint64_t vp = fl_bps(r, 2000);
    ck_assert_uint_eq(vp, 50 * COIN);
    uint64_t pp = r - vp;
    ck_assert_uint_eq(fl_share(pp, 100, 400), 50 * COIN);
    ck_assert_uint_eq(fl_share(pp, 300, 400), 150 * COIN);
    ck_assert_uint_eq(fl_share(vp, 200, 400), 25 * COIN);
    ck_assert_uint_eq(fl_share(vp, 100, 400), 1250000000);
    /* Dust: 10 units among stakes 1, 1, 1 -> 3 each, 1 stays in the pool. */
    ck_assert_uint_eq(fl_share(10, 1, 3), 3);
    /* Floors everywhere. */
    ck_assert_uint_eq(fl_round_reward(1000, 3), 333);
    ck_assert_uint_eq(fl_round_reward(5, 0), 0);
    ck_assert_uint_eq(fl_bps(333, 2000), 66);
    ck_assert_uint_eq(fl_share(267, 30, 70), 114);
    ck_assert_uint_eq(fl_share(267, 30, 0), 0);
    /* 128-bit products. */
    ck_assert_uint_eq(fl_share(MAX_SUPPLY, MAX_SUPPLY - 1, MAX_SUPPLY), MAX_SUPPLY - 1);
    ck_assert_uint_eq(fl_bps(MAX_SUPPLY, 10000), MAX_SUPPLY);
    /* Slash of 10% of 15 FML, and of a stake too small to lose anything. */
    ck_assert_uint_eq(fl_bps(15 * COIN, 1000), 150000000);
    ck_assert_uint_eq(fl_bps(9, 1000), 0);
}
END_TEST

/* ---- specs and stateless rules ---- */

START_TEST(param_counts_and_specs)
{
    struct fl_spec s = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {3, 1}};
    ck_assert(fl_spec_valid(&s));
    ck_assert_uint_eq(fl_param_count(&s), 4);
    s.sizes[1] = 2;
    ck_assert(!fl_spec_valid(&s));
    s = (struct fl_spec){.kind = FL_MODEL_SOFTMAX, .n_sizes = 2, .sizes = {8, 3}};
    ck_assert(fl_spec_valid(&s));
    ck_assert_uint_eq(fl_param_count(&s), 27);
    s.sizes[1] = 1;
    ck_assert(!fl_spec_valid(&s));
    s = (struct fl_spec){.kind = FL_MODEL_MLP, .n_sizes = 3, .sizes = {3, 2, 1}};
    ck_assert(fl_spec_valid(&s));
    ck_assert_uint_eq(fl_param_count(&s), 11); /* the example of ml/model.h */
    s = (struct fl_spec){.kind = FL_MODEL_MLP, .n_sizes = 3, .sizes = {784, 128, 10}};
    ck_assert_uint_eq(fl_param_count(&s), 101770);
    s.n_sizes = 2;
    ck_assert(!fl_spec_valid(&s)); /* an MLP needs a hidden layer */
    s = (struct fl_spec){.kind = FL_MODEL_MLP, .n_sizes = 3, .sizes = {3, 0, 1}};
    ck_assert(!fl_spec_valid(&s));
    s = (struct fl_spec){.kind = 3, .n_sizes = 2, .sizes = {3, 1}};
    ck_assert(!fl_spec_valid(&s));
    /* Normalization: count 0 or the inputs, std > 0. */
    uint8_t norm[3 * 8];
    for (int i = 0; i < 3; i++) {
        write_le32(norm + 8 * i, (uint32_t)(-i * 65536));
        write_le32(norm + 8 * i + 4, 65536);
    }
    s = (struct fl_spec){.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {3, 1}, .n_norm = 3, .norm = norm};
    ck_assert(fl_spec_valid(&s));
    s.n_norm = 2;
    ck_assert(!fl_spec_valid(&s));
    s.n_norm = 3;
    write_le32(norm + 8 + 4, 0);
    ck_assert(!fl_spec_valid(&s));
    /* Encoding round trip. */
    write_le32(norm + 8 + 4, 1);
    struct wbuf w;
    struct rbuf r;
    struct fl_spec back;
    wbuf_init(&w);
    fl_spec_encode(&s, &w);
    rbuf_init(&r, w.data, w.len);
    ck_assert(fl_spec_decode_from(&back, &r) && rbuf_done(&r));
    ck_assert_uint_eq(back.n_norm, 3);
    ck_assert_mem_eq(back.norm, norm, sizeof(norm));
    ck_assert(fl_spec_valid(&back));
    wbuf_free(&w);
}
END_TEST

/* A valid task: logistic regression on 3 inputs. */
static struct fl_task_params good_task(void)
{
    struct fl_task_params t = {
        .spec = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {3, 1}},
        .rounds = 5,
        .min_participants = 3,
        .max_participants = 10,
        .min_stake = 10 * COIN,
        .proposer_fraction_bps = 5000,
        .join_blocks = 5,
        .submit_blocks = 3,
        .commit_blocks = 2,
        .reveal_blocks = 2,
        .aggregator = FL_AGG_FEDAVG,
        .slash_bps = 1000,
        .voter_reward_bps = 2000,
        .reward_pool = 1000 * COIN,
    };
    return t;
}

static const char *check_reason(const struct fl_task_params *t)
{
    struct validation v;
    struct wbuf w;
    struct fl_task_params back;
    static char reason[64];
    val_init(&v);
    wbuf_init(&w);
    fl_task_params_encode(t, &w);
    ck_assert(fl_task_create_decode(&back, w.data, w.len));
    bool ok = fl_task_params_check(&back, &params, &v);
    wbuf_free(&w);
    snprintf(reason, sizeof(reason), "%s", ok ? "ok" : v.reason);
    return reason;
}

START_TEST(task_params_rules)
{
    struct fl_task_params t = good_task();
    ck_assert_str_eq(check_reason(&t), "ok");
    t.spec.sizes[1] = 3;
    ck_assert_str_eq(check_reason(&t), "bad-fl-spec");
    t = good_task();
    t.rounds = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-rounds");
    t.rounds = FL_MAX_ROUNDS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-rounds");
    t = good_task();
    t.min_participants = 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-participants");
    t.min_participants = 5;
    t.max_participants = 4;
    ck_assert_str_eq(check_reason(&t), "bad-fl-participants");
    t.max_participants = FL_MAX_PARTICIPANTS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-participants");
    /* Too big for an update transaction, for the stored models, for a round. */
    t = good_task();
    t.spec = (struct fl_spec){.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {300000, 1}};
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    t.spec.sizes[0] = 200000;
    t.rounds = 100;
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    t.rounds = 1;
    t.max_participants = 400;
    t.submit_blocks = 100;
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    /* 300 x 200,001 < 64,000,000, but 150 proposers x 200,001 is more than
     * one height may aggregate. */
    t.max_participants = 300;
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    t.max_participants = 2 * (uint16_t)(FL_MAX_HEIGHT_WEIGHTS / 200001);
    ck_assert_uint_le(fl_aggregation_weights(&t), FL_MAX_HEIGHT_WEIGHTS);
    ck_assert_str_eq(check_reason(&t), "ok");
    t.max_participants += 2;
    ck_assert_uint_gt(fl_aggregation_weights(&t), FL_MAX_HEIGHT_WEIGHTS);
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    t.max_participants -= 2;
    /* ...and its updates need blocks: max_participants / 2 proposers of
     * 800 kB, 4 a block. */
    uint32_t need = (uint32_t)(t.max_participants / 2 + 3) / 4;
    t.submit_blocks = need - 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t.submit_blocks = need;
    ck_assert_str_eq(check_reason(&t), "ok");
    /* No window is longer than FL_MAX_WINDOW_BLOCKS. */
    t = good_task();
    t.submit_blocks = FL_MAX_WINDOW_BLOCKS;
    t.join_blocks = FL_MAX_WINDOW_BLOCKS;
    t.commit_blocks = FL_MAX_WINDOW_BLOCKS;
    t.reveal_blocks = FL_MAX_WINDOW_BLOCKS;
    ck_assert_str_eq(check_reason(&t), "ok");
    t.submit_blocks = FL_MAX_WINDOW_BLOCKS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t.submit_blocks = FL_MAX_WINDOW_BLOCKS;
    t.join_blocks = FL_MAX_WINDOW_BLOCKS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t.join_blocks = FL_MAX_WINDOW_BLOCKS;
    t.commit_blocks = FL_MAX_WINDOW_BLOCKS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t.commit_blocks = FL_MAX_WINDOW_BLOCKS;
    t.reveal_blocks = FL_MAX_WINDOW_BLOCKS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t = good_task();
    uint8_t init[5 * 4] = {0};
    t.n_init = 5;
    t.init = init;
    ck_assert_str_eq(check_reason(&t), "bad-fl-size");
    t.n_init = 4;
    ck_assert_str_eq(check_reason(&t), "ok");
    t = good_task();
    t.min_stake = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-stake");
    t.min_stake = MAX_SUPPLY + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-stake");
    t = good_task();
    t.proposer_fraction_bps = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-fraction");
    t.proposer_fraction_bps = 10000;
    ck_assert_str_eq(check_reason(&t), "bad-fl-fraction");
    t = good_task();
    t.join_blocks = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t = good_task();
    t.reveal_blocks = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t = good_task();
    t.aggregator = 3;
    ck_assert_str_eq(check_reason(&t), "bad-fl-aggregator");
    t.aggregator = FL_AGG_TRIMMED_MEAN;
    ck_assert_str_eq(check_reason(&t), "bad-fl-aggregator"); /* trim_k 0 */
    t.trim_k = 1;
    ck_assert_str_eq(check_reason(&t), "ok");
    t.aggregator = FL_AGG_MEDIAN;
    ck_assert_str_eq(check_reason(&t), "bad-fl-aggregator"); /* trim_k only for trimmed_mean */
    t = good_task();
    t.slash_bps = 10001;
    ck_assert_str_eq(check_reason(&t), "bad-fl-slash");
    t = good_task();
    t.voter_reward_bps = 10001;
    ck_assert_str_eq(check_reason(&t), "bad-fl-voter-reward");
    t = good_task();
    t.reward_pool = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-pool");
    t.reward_pool = MAX_SUPPLY + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-pool");
    t = good_task();
    uint8_t allow[2][32];
    memset(allow[0], 2, 32);
    memset(allow[1], 1, 32);
    t.n_allow = 2;
    t.allow = allow[0];
    ck_assert_str_eq(check_reason(&t), "bad-fl-allowlist");
    memset(allow[1], 2, 32);
    ck_assert_str_eq(check_reason(&t), "bad-fl-allowlist"); /* duplicate */
    memset(allow[1], 3, 32);
    ck_assert_str_eq(check_reason(&t), "ok");
    ck_assert(fl_task_allows(&t, allow[1]));
    uint8_t other[32];
    memset(other, 4, 32);
    ck_assert(!fl_task_allows(&t, other));
    t.n_allow = 0;
    ck_assert(fl_task_allows(&t, other));
}
END_TEST

static const char *tx_reason(uint8_t type, const struct wbuf *w)
{
    struct tx tx;
    struct validation v;
    uint8_t sec[32];
    static char reason[64];
    memset(sec, 7, sizeof(sec));
    tx_init(&tx);
    tx.type = type;
    ck_assert(key_pubkey(tx.sender, sec));
    tx.fee = 1000;
    ck_assert(tx_set_payload(&tx, w->data, w->len));
    ck_assert(tx_sign(&tx, params.genesis_hash, sec, NULL));
    val_init(&v);
    bool ok = tx_check(&tx, &params, &v);
    snprintf(reason, sizeof(reason), "%s", ok ? "ok" : v.reason);
    tx_free(&tx);
    return reason;
}

START_TEST(task_create_vector)
{
    /* The FL_TASK_CREATE payload of doc/protocol.md 17.12. */
    uint8_t init[16];
    const int32_t w[4] = {65536, -32768, 0, 1};
    for (int i = 0; i < 4; i++)
        write_le32(init + 4 * i, (uint32_t)w[i]);
    struct fl_task_params t = good_task();
    t.n_init = 4;
    t.init = init;
    struct wbuf b;
    wbuf_init(&b);
    fl_task_params_encode(&t, &b);
    ck_assert_hex_eq(b.data, b.len,
                     "000203000000010000000004000001000080ffff0000000001000000050000000300"
                     "0a0000ca9a3b00000000881305000000030000000200000002000000000000e803d0"
                     "0700e876481700000000");
    struct fl_task_params back;
    ck_assert(fl_task_create_decode(&back, b.data, b.len));
    ck_assert_uint_eq(back.reward_pool, 1000 * COIN);
    ck_assert_mem_eq(back.init, init, sizeof(init));
    /* Truncated anywhere, or with a byte more: not a payload. */
    for (size_t n = 0; n < b.len; n++)
        ck_assert(!fl_task_create_decode(&back, b.data, n));
    put_u8(&b, 0);
    ck_assert(!fl_task_create_decode(&back, b.data, b.len));
    wbuf_free(&b);
}
END_TEST

START_TEST(transaction_payload_rules)
{
    struct wbuf w;
    wbuf_init(&w);
    struct fl_task_params t = good_task();
    fl_task_params_encode(&t, &w);
    ck_assert_str_eq(tx_reason(TX_FL_TASK_CREATE, &w), "ok");
    put_u8(&w, 0); /* a trailing byte */
    ck_assert_str_eq(tx_reason(TX_FL_TASK_CREATE, &w), "bad-txns-payload");
    wbuf_reset(&w);
    t.rounds = 0;
    fl_task_params_encode(&t, &w);
    ck_assert_str_eq(tx_reason(TX_FL_TASK_CREATE, &w), "bad-fl-rounds");

    struct fl_join j;
    memset(&j, 0, sizeof(j));
    j.stake = 5;
    wbuf_reset(&w);
    fl_join_encode(&j, &w);
    ck_assert_str_eq(tx_reason(TX_FL_JOIN, &w), "ok");
    j.stake = 0;
    wbuf_reset(&w);
    fl_join_encode(&j, &w);
    ck_assert_str_eq(tx_reason(TX_FL_JOIN, &w), "bad-txns-amount");
    w.len--;
    ck_assert_str_eq(tx_reason(TX_FL_JOIN, &w), "bad-txns-payload");

    uint8_t weights[8] = {1, 0, 0, 0, 2, 0, 0, 0};
    struct fl_update u = {.round = 1, .n = 2, .weights = weights};
    memset(u.task, 9, 32);
    wbuf_reset(&w);
    fl_update_encode(&u, &w);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE, &w), "ok");
    w.len--; /* count says 2 weights, 7 bytes follow */
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE, &w), "bad-txns-payload");
    u.round = 0;
    wbuf_reset(&w);
    fl_update_encode(&u, &w);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE, &w), "bad-fl-round");

    struct fl_vote_commit c = {.round = 2};
    wbuf_reset(&w);
    fl_vote_commit_encode(&c, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_COMMIT, &w), "ok");
    c.round = 0;
    wbuf_reset(&w);
    fl_vote_commit_encode(&c, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_COMMIT, &w), "bad-fl-round");

    struct fl_vote_reveal r = {.round = 2, .vote = -1, .metric = -5};
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "ok");
    r.vote = 0;
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "bad-fl-vote");
    r.vote = 2;
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "bad-fl-vote");
    wbuf_free(&w);
}
END_TEST

START_TEST(update_sizes)
{
    /* payload 32 + 4 + 1 + 16 = 53 bytes; tx 114 + 1 + 53. */
    ck_assert_uint_eq(fl_update_tx_size(4), 168);
    /* The largest update of a 1,000,000-byte transaction: 249,960 weights. */
    ck_assert_uint_le(fl_update_tx_size(249960), 1000000);
    ck_assert_uint_gt(fl_update_tx_size(249961), 1000000);
    ck_assert_uint_eq(fl_updates_per_block(&params, 249960), 3);
    /* Small updates: bounded by the block units, FL_UPDATE weighing 2. */
    ck_assert_uint_eq(fl_updates_per_block(&params, 4), params.max_block_txs / 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fl");
    TCase *tc = tcase_create("fl");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, div_round_ties_away_from_zero);
    tcase_add_test(tc, q16_format_is_exact);
    tcase_add_test(tc, q16_parse_rounds_to_nearest);
    tcase_add_test(tc, fedavg_vectors);
    tcase_add_test(tc, median_vectors);
    tcase_add_test(tc, trimmed_mean_vectors);
    tcase_add_test(tc, aggregators_match_reference_in_any_order);
    tcase_add_test(tc, aggregate_refuses_nothing_to_aggregate);
    tcase_add_test(tc, role_draw_vectors);
    tcase_add_test(tc, proposer_counts);
    tcase_add_test(tc, role_draw_proportions);
    tcase_add_test(tc, commitment_and_model_hash_vectors);
    tcase_add_test(tc, reward_split_arithmetic);
    tcase_add_test(tc, param_counts_and_specs);
    tcase_add_test(tc, task_params_rules);
    tcase_add_test(tc, task_create_vector);
    tcase_add_test(tc, transaction_payload_rules);
    tcase_add_test(tc, update_sizes);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
