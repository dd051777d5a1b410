/* The FL Alliance formulas, without a chain: Q16.16 conversions and
 * rounding, the three aggregators weighted by slots on hand-computed vectors
 * and against a naive reference on random inputs in shuffled orders, the
 * slot draw by stake (vectors from an independent implementation, its
 * proportions, and that splitting stake over addresses gains nothing),
 * update and vote commitments and model hashes, the reward, match, burn and
 * harmful arithmetic, the records, model specs, the stateless rules of every
 * transaction type and the FL chain parameters.  The vectors are the ones
 * published in doc/protocol.md, section 17. */
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"
#include "test_util.h"
#include "tests/fl_aggregate_ref.h"

#include <math.h>
#include <time.h>

/* The FL_TASK_CREATE payload of doc/protocol.md 17.12. */
#define TASK_CREATE_HEX                                                        \
    "000203000000010000000004000001000080ffff0000000001000000050000000300" \
    "0a0000ca9a3b0000000004000500000003000000020000000200000002000000000000" \
    "e803d00700e876481700000000"

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

static void set_make(struct upd_set *s, size_t k, size_t n, const int32_t *w, const uint64_t *slots)
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
        s->refs[i].weight = slots ? slots[i] : 1;
    }
}

static void set_free(struct upd_set *s)
{
    free(s->bytes);
    free(s->refs);
}

static void aggregate_expect(uint8_t agg, uint16_t trim, size_t k, size_t n, const int32_t *w,
                             const uint64_t *slots, const int32_t *want)
{
    struct upd_set s;
    uint8_t *out = malloc(4 * n);
    set_make(&s, k, n, w, slots);
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
    /* Slots 1, 1, 2: coordinate 0 is (10 + 20 + 60) / 4 = 22.5 -> 23,
     * coordinate 1 the negative tie -22.5 -> -23, then 15/4 = 3.75 -> 4 and
     * 3/4 -> 1. */
    const int32_t w[] = {10, -10, 3, 1, 20, -20, 4, 2, 30, -30, 4, 0};
    const uint64_t sl[] = {1, 1, 2};
    const int32_t want[] = {23, -23, 4, 1};
    aggregate_expect(FL_AGG_FEDAVG, 0, 3, 4, w, sl, want);

    /* The extremes with the largest total weight: no overflow, exact. */
    const int32_t w2[] = {INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MAX, INT32_MIN, INT32_MIN};
    const uint64_t sl2[] = {FL_MAX_SLOTS * (uint64_t)FL_MAX_PARTICIPANTS - 25, 25};
    __int128 num = (__int128)sl2[0] * (INT32_MAX - 1) + (__int128)sl2[1] * INT32_MIN;
    int32_t c2 = (int32_t)fl_div_round(num, sl2[0] + sl2[1]);
    const int32_t want2[] = {INT32_MAX, INT32_MIN, c2};
    aggregate_expect(FL_AGG_FEDAVG, 0, 2, 3, w2, sl2, want2);

    /* One update is returned unchanged whatever its weight. */
    const int32_t w3[] = {-7, 0, 123456789};
    const uint64_t sl3[] = {5};
    aggregate_expect(FL_AGG_FEDAVG, 0, 1, 3, w3, sl3, w3);
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
    /* Weights count as copies: slots 4, 1, 1, 1 make seven values of which
     * the first update holds the middle one. */
    const uint64_t sl[] = {4, 1, 1, 1};
    const int32_t want_w[] = {1, -1, -3, INT32_MAX, INT32_MIN, 2};
    aggregate_expect(FL_AGG_MEDIAN, 0, 4, 6, even, sl, want_w);
    /* Slots 1, 2, 1 of {0, 10, 20}: J = 4 values 0, 10, 10, 20 -> 10. */
    const int32_t three[] = {0, 10, 20};
    const uint64_t sl3[] = {1, 2, 1};
    const int32_t want3[] = {10};
    aggregate_expect(FL_AGG_MEDIAN, 0, 3, 1, three, sl3, want3);
}
END_TEST

START_TEST(trimmed_mean_vectors)
{
    /* t = 1 of 5: drop the smallest and largest, mean of the rest:
     * (2+3+4)/3 = 3; (1+2+2)/3 = 1.67 -> 2; (-2-1+10)/3 = 2.33 -> 2. */
    const int32_t five[] = {1, -10, -7, 2, 1, -2, 3, 2, -1, 4, 2, 10, 100, 50, 11};
    const int32_t want5[] = {3, 2, 2};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 5, 3, five, NULL, want5);
    /* t = 1 of 4: two values remain; ties go away from zero (1.5 -> 2,
     * -1.5 -> -2). */
    const int32_t four[] = {-5, -9, 1, -2, 2, -1, 9, 5};
    const int32_t want4[] = {2, -2};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 4, 2, four, NULL, want4);
    /* t = 2 of 4 (fewer than 2t + 1): the median. */
    const int32_t want_med[] = {1, -2}; /* floor(1.5) = 1, floor(-1.5) = -2 */
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 2, 4, 2, four, NULL, want_med);
    /* An outlier does not move it. */
    const int32_t outl[] = {100, 101, 99, 102, INT32_MAX};
    const int32_t want_o[] = {101};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 5, 1, outl, NULL, want_o);
    /* Weighted: {0 x1, 10 x3, 1000 x1}, t = 1: drop 0 and 1000, 10. */
    const int32_t wv[] = {0, 10, 1000};
    const uint64_t sl[] = {1, 3, 1};
    const int32_t want_w[] = {10};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 3, 1, wv, sl, want_w);
    /* An update of weight 2 is trimmed twice: {0 x2, 6, 9}, t = 1 keeps 0
     * and 6: 3. */
    const int32_t wv2[] = {0, 6, 9};
    const uint64_t sl2[] = {2, 1, 1};
    const int32_t want_w2[] = {3};
    aggregate_expect(FL_AGG_TRIMMED_MEAN, 1, 3, 1, wv2, sl2, want_w2);
}
END_TEST

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The aggregators written the obvious way, for comparison: each value
 * col[i] listed slots[i] times. */
static int32_t reference(uint8_t agg, uint16_t t, const int32_t *col, const uint64_t *slots,
                         size_t k)
{
    if (agg == FL_AGG_FEDAVG) {
        __int128 num = 0;
        uint64_t den = 0;
        for (size_t i = 0; i < k; i++) {
            num += (__int128)slots[i] * col[i];
            den += slots[i];
        }
        /* round half away from zero, written differently */
        __int128 q = num / (__int128)den, r = num % (__int128)den;
        if (2 * (r < 0 ? -r : r) >= (__int128)den)
            q += num < 0 ? -1 : 1;
        return (int32_t)q;
    }
    size_t J = 0;
    for (size_t i = 0; i < k; i++)
        J += slots[i];
    int32_t *v = malloc(J * sizeof(*v));
    for (size_t i = 0, r = 0; i < k; i++)
        for (uint64_t c = 0; c < slots[i]; c++)
            v[r++] = col[i];
    qsort(v, J, sizeof(*v), cmp_i32);
    int64_t res;
    if (agg == FL_AGG_MEDIAN || J < 2u * t + 1) {
        if (J % 2)
            res = v[J / 2];
        else {
            int64_t s = (int64_t)v[J / 2 - 1] + v[J / 2];
            res = s >= 0 ? s / 2 : -((-s + 1) / 2);
        }
    } else {
        int64_t sum = 0, cnt = (int64_t)(J - 2 * t);
        for (size_t i = t; i < J - t; i++)
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
        size_t k = 1 + (size_t)test_rand_below(&rng, FL_MAX_SLOTS),
               n = 1 + (size_t)test_rand_below(&rng, 1500);
        int32_t *w = malloc(k * n * sizeof(*w)), *col = malloc(k * sizeof(*col));
        uint64_t *slots = malloc(k * sizeof(*slots));
        size_t *perm = malloc(k * sizeof(*perm));
        /* Small ranges make ties frequent; full ranges test the extremes. */
        int32_t range = iter % 3 == 0 ? 5 : iter % 3 == 1 ? 70000 : 0;
        for (size_t i = 0; i < k * n; i++)
            w[i] = range ? (int32_t)test_rand_below(&rng, 2 * (uint64_t)range + 1) - range
                         : (int32_t)(uint32_t)test_rand64(&rng);
        /* Slots 1 to 5, or all ones. */
        for (size_t i = 0; i < k; i++)
            slots[i] = iter % 4 == 3 ? 1 : 1 + test_rand_below(&rng, 5);
        for (uint8_t agg = FL_AGG_FEDAVG; agg <= FL_AGG_TRIMMED_MEAN; agg++) {
            uint16_t t = agg == FL_AGG_TRIMMED_MEAN ? (uint16_t)(1 + test_rand_below(&rng, 20)) : 0;
            uint8_t *out1 = malloc(4 * n), *out2 = malloc(4 * n);
            struct upd_set s1, s2;
            set_make(&s1, k, n, w, slots);
            ck_assert(fl_aggregate(agg, t, s1.refs, k, n, out1));
            /* The same updates in a shuffled order. */
            int32_t *w2 = malloc(k * n * sizeof(*w2));
            uint64_t *sl2 = malloc(k * sizeof(*sl2));
            for (size_t i = 0; i < k; i++)
                perm[i] = i;
            for (size_t i = k; i-- > 1;) {
                size_t j = (size_t)test_rand_below(&rng, i + 1), x = perm[i];
                perm[i] = perm[j];
                perm[j] = x;
            }
            for (size_t i = 0; i < k; i++) {
                memcpy(w2 + i * n, w + perm[i] * n, n * sizeof(*w2));
                sl2[i] = slots[perm[i]];
            }
            set_make(&s2, k, n, w2, sl2);
            ck_assert(fl_aggregate(agg, t, s2.refs, k, n, out2));
            ck_assert_mem_eq(out1, out2, 4 * n);
            for (size_t j = 0; j < n; j++) {
                for (size_t i = 0; i < k; i++)
                    col[i] = w[i * n + j];
                int32_t want = reference(agg, t, col, slots, k);
                ck_assert_msg((int32_t)read_le32(out1 + 4 * j) == want,
                              "aggregator %u k %zu t %u coordinate %zu", agg, k, t, j);
            }
            set_free(&s1);
            set_free(&s2);
            free(w2);
            free(sl2);
            free(out1);
            free(out2);
        }
        free(w);
        free(col);
        free(slots);
        free(perm);
    }
}
END_TEST

/* An update of weight j is the same as j copies of it of weight 1, for every
 * aggregator: a participant gains nothing by splitting its stake over
 * addresses that each submit the same update, nor loses by holding it in
 * one. */
START_TEST(aggregate_weight_is_copies)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("aggregate weights"));
    for (int iter = 0; iter < 60; iter++) {
        size_t k = 1 + (size_t)test_rand_below(&rng, 8), n = 1 + (size_t)test_rand_below(&rng, 40);
        uint64_t slots[8];
        size_t J = 0;
        for (size_t i = 0; i < k; i++) {
            slots[i] = 1 + test_rand_below(&rng, 8);
            J += slots[i];
        }
        int32_t *w = malloc(k * n * sizeof(*w)), *wx = malloc(J * n * sizeof(*wx));
        for (size_t i = 0; i < k * n; i++)
            w[i] = (int32_t)test_rand_below(&rng, 2001) - 1000;
        for (size_t i = 0, r = 0; i < k; i++)
            for (uint64_t c = 0; c < slots[i]; c++, r++)
                memcpy(wx + r * n, w + i * n, n * sizeof(*w));
        for (uint8_t agg = FL_AGG_FEDAVG; agg <= FL_AGG_TRIMMED_MEAN; agg++) {
            uint16_t t = agg == FL_AGG_TRIMMED_MEAN ? (uint16_t)(1 + test_rand_below(&rng, 4)) : 0;
            struct upd_set a, b;
            uint8_t *oa = malloc(4 * n), *ob = malloc(4 * n);
            set_make(&a, k, n, w, slots);
            set_make(&b, J, n, wx, NULL);
            ck_assert(fl_aggregate(agg, t, a.refs, k, n, oa));
            ck_assert(fl_aggregate(agg, t, b.refs, J, n, ob));
            ck_assert_mem_eq(oa, ob, 4 * n);
            /* ...and not the same as counting each update once (unless
             * every weight is 1 or the values agree): the weights are
             * used. */
            set_free(&a);
            set_free(&b);
            free(oa);
            free(ob);
        }
        free(w);
        free(wx);
    }
    /* The weights are used: {0 x3, 100 x1} is 25 by fedavg, 0 by the
     * median; counted once each they would be 50. */
    const int32_t two[] = {0, 100};
    const uint64_t sl[] = {3, 1};
    const int32_t want_f[] = {25}, want_m[] = {0};
    aggregate_expect(FL_AGG_FEDAVG, 0, 2, 1, two, sl, want_f);
    aggregate_expect(FL_AGG_MEDIAN, 0, 2, 1, two, sl, want_m);
}
END_TEST

/* fl_aggregate against the first implementation (tests/fl_aggregate_ref.h)
 * on one input: every aggregator, every trim given, byte for byte.  The
 * weights sit at offset `skew` of their buffer so unaligned updates are
 * covered too. */
static void check_same_as_first(size_t k, size_t n, const int32_t *w, const uint64_t *slots,
                                const uint16_t *trims, size_t ntrims, size_t skew)
{
    uint8_t *buf = malloc(k * n * 4 + skew + 1), *o1 = malloc(4 * n), *o2 = malloc(4 * n);
    struct fl_update_ref *refs = calloc(k, sizeof(*refs));
    ck_assert(buf && o1 && o2 && refs);
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < n; j++)
            write_le32(buf + skew + 4 * (i * n + j), (uint32_t)w[i * n + j]);
        refs[i].weights = buf + skew + 4 * i * n;
        refs[i].weight = slots ? slots[i] : 1;
    }
    for (uint8_t agg = FL_AGG_FEDAVG; agg <= FL_AGG_TRIMMED_MEAN; agg++)
        for (size_t ti = 0; ti < (agg == FL_AGG_TRIMMED_MEAN ? ntrims : 1); ti++) {
            uint16_t t = agg == FL_AGG_TRIMMED_MEAN ? trims[ti] : 0;
            memset(o1, 0xa5, 4 * n);
            ck_assert(fl_aggregate_ref(agg, t, refs, k, n, o1));
            /* With the CPU's instruction set, then with the build's
             * baseline only. */
            for (int base = 0; base < 2; base++) {
                memset(o2, 0x5a, 4 * n);
                fl_aggregate_baseline_only(base);
                bool ok = fl_aggregate(agg, t, refs, k, n, o2);
                fl_aggregate_baseline_only(false);
                ck_assert(ok);
                for (size_t j = 0; j < n; j++)
                    ck_assert_msg(read_le32(o1 + 4 * j) == read_le32(o2 + 4 * j),
                                  "aggregator %u t %u k %zu n %zu baseline %d coordinate %zu: "
                                  "%d, first %d",
                                  agg, t, k, n, base, j, (int32_t)read_le32(o2 + 4 * j),
                                  (int32_t)read_le32(o1 + 4 * j));
            }
        }
    free(buf);
    free(o1);
    free(o2);
    free(refs);
}

/* Trims around the bounds of J = the total weight: none, one, J/2 - 1,
 * (J - 1)/2 (one value left), J/2 (the median instead), more, the most. */
static size_t bound_trims(uint16_t *t, const uint64_t *slots, size_t k)
{
    uint64_t J = 0;
    for (size_t i = 0; i < k; i++)
        J += slots ? slots[i] : 1;
    size_t c = 0;
    t[c++] = 0;
    t[c++] = 1;
    t[c++] = (uint16_t)(J / 2 ? J / 2 - 1 : 0);
    t[c++] = (uint16_t)((J - 1) / 2);
    t[c++] = (uint16_t)(J / 2);
    t[c++] = (uint16_t)(J / 2 + 1);
    t[c++] = UINT16_MAX;
    return c;
}

START_TEST(aggregate_equals_first_implementation_random)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("aggregate first"));
    /* Lengths around the tile and block sizes of both implementations. */
    static const size_t lens[] = {1, 2, 3, 7, 8, 15, 16, 17, 511, 512, 513, 1023, 1024,
                                  1025, 2047, 2048, 2049, 4095, 4096, 4097, 9001};
    for (int iter = 0; iter < 120; iter++) {
        size_t k = 1 + (size_t)test_rand_below(&rng, FL_MAX_SLOTS);
        size_t n = iter < 42 ? lens[iter % (sizeof(lens) / sizeof(lens[0]))]
                             : 1 + (size_t)test_rand_below(&rng, 5000);
        if (k * n > 64 * 2100) /* keeps the run short */
            n = 64 * 2100 / k;
        int32_t *w = malloc(k * n * sizeof(*w));
        uint64_t *slots = malloc(k * sizeof(*slots));
        int kind = iter % 6;
        for (size_t i = 0; i < k * n; i++) {
            uint64_t r = test_rand64(&rng);
            switch (kind) {
            case 0: w[i] = (int32_t)(uint32_t)r; break;                /* full range */
            case 1: w[i] = (int32_t)(r % 3) - 1; break;                /* ties */
            case 2: w[i] = r & 1 ? INT32_MAX : INT32_MIN; break;       /* extremes */
            case 3: w[i] = (int32_t)(r % (16 * 65536)) - 8 * 65536; break; /* trained */
            case 4: w[i] = r % 5 ? INT32_MIN + (int32_t)(r % 3) : INT32_MAX - (int32_t)(r % 3); break;
            default: w[i] = (int32_t)(r % 2001) - 1000; break;
            }
        }
        uint64_t J = 0;
        for (size_t i = 0; i < k; i++) {
            slots[i] = iter % 3 == 0 ? 1 : 1 + test_rand_below(&rng, 4);
            /* Updates of weight 0 count nothing (one in four here). */
            if (iter % 5 == 4 && test_rand_below(&rng, 4) == 0)
                slots[i] = 0;
            J += slots[i];
        }
        if (J == 0)
            slots[0] = 1;
        uint16_t trims[8];
        size_t nt = bound_trims(trims, slots, k);
        check_same_as_first(k, n, w, slots, trims, nt, (size_t)(iter % 4));
        free(w);
        free(slots);
    }
}
END_TEST

START_TEST(aggregate_equals_first_implementation_adversarial)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("aggregate first adversarial"));
    uint16_t trims[8];
    /* Every update equal, at each extreme and at zero; k from 1 to the most
     * slots, odd and even. */
    static const int32_t same[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX};
    for (size_t si = 0; si < sizeof(same) / sizeof(same[0]); si++)
        for (size_t k = 1; k <= FL_MAX_SLOTS; k += k < 4 ? 1 : 13) {
            size_t n = 1100;
            int32_t *w = malloc(k * n * sizeof(*w));
            for (size_t i = 0; i < k * n; i++)
                w[i] = same[si];
            size_t nt = bound_trims(trims, NULL, k);
            check_same_as_first(k, n, w, NULL, trims, nt, 0);
            free(w);
        }
    /* The heaviest total weight fl_aggregate takes, FL_MAX_SLOTS x
     * FL_MAX_PARTICIPANTS: every value at one extreme (the sums at their
     * largest), and the two extremes split around the middle so the rounding
     * of fedavg and of the even median is at stake. */
    {
        size_t k = FL_MAX_SLOTS, n = 40;
        uint64_t slots[FL_MAX_SLOTS];
        int32_t *w = malloc(k * n * sizeof(*w));
        for (size_t i = 0; i < k; i++)
            slots[i] = FL_MAX_PARTICIPANTS;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++)
                w[i * n + j] = j % 4 == 0   ? INT32_MIN
                               : j % 4 == 1 ? INT32_MAX
                               : j % 4 == 2 ? (i < k / 2 ? INT32_MIN : INT32_MAX)
                                            : (i % 2 ? INT32_MIN : INT32_MAX);
        size_t nt = bound_trims(trims, slots, k);
        check_same_as_first(k, n, w, slots, trims, nt, 1);
        free(w);
    }
    /* The most participants, FL_MAX_PARTICIPANTS updates of FL_MAX_SLOTS
     * slots each (the same total weight), random extremes. */
    {
        size_t k = FL_MAX_PARTICIPANTS, n = 17;
        uint64_t *slots = malloc(k * sizeof(*slots));
        int32_t *w = malloc(k * n * sizeof(*w));
        for (size_t i = 0; i < k; i++)
            slots[i] = FL_MAX_SLOTS;
        for (size_t i = 0; i < k * n; i++) {
            uint64_t r = test_rand64(&rng);
            w[i] = r % 3 == 0 ? INT32_MIN : r % 3 == 1 ? INT32_MAX : (int32_t)(uint32_t)(r >> 32);
        }
        size_t nt = bound_trims(trims, slots, k);
        check_same_as_first(k, n, w, slots, trims, nt, 3);
        free(w);
        free(slots);
    }
    /* Uneven weights summing to the largest total (several fedavg groups,
     * one of them heavy), full-range and extreme values. */
    for (int rep = 0; rep < 3; rep++) {
        size_t k = FL_MAX_SLOTS, n = 20;
        uint64_t slots[FL_MAX_SLOTS], left = FL_MAX_SLOTS * (uint64_t)FL_MAX_PARTICIPANTS;
        for (size_t i = 0; i + 1 < k; i++) {
            slots[i] = i % 3 == 0 ? 1 + test_rand_below(&rng, 7) : test_rand_below(&rng, 2000);
            left -= slots[i];
        }
        slots[k - 1] = left;
        int32_t *w = malloc(k * n * sizeof(*w));
        for (size_t i = 0; i < k * n; i++) {
            uint64_t r = test_rand64(&rng);
            w[i] = rep == 0 ? (int32_t)(uint32_t)r : r & 1 ? INT32_MAX : INT32_MIN;
            if (rep == 2 && i % 2)
                w[i] = (int32_t)(r % 131072) - 65536;
        }
        size_t nt = bound_trims(trims, slots, k);
        check_same_as_first(k, n, w, slots, trims, nt, (size_t)rep);
        free(w);
    }
    /* Half-way ties of fedavg in both signs: sums of +-(2m + 1) over 2 and
     * over 4, and weighted ones. */
    {
        static const int32_t w[] = {1, -1, 3, -3, INT32_MAX, INT32_MIN, 0, 0,
                                    2, -2, 4, -4, INT32_MAX, INT32_MIN, 1, -1};
        static const uint64_t slots[] = {1, 1};
        size_t nt = bound_trims(trims, slots, 2);
        check_same_as_first(2, 8, w, slots, trims, nt, 0);
        static const uint64_t slots3[] = {3, 1};
        nt = bound_trims(trims, slots3, 2);
        check_same_as_first(2, 8, w, slots3, trims, nt, 2);
    }
    /* Sorted, reverse-sorted and organ-pipe columns (each coordinate's values
     * in an order that favours one side of a selection), odd and even k. */
    for (size_t k = 62; k <= FL_MAX_SLOTS; k++) {
        size_t n = 3000;
        int32_t *w = malloc(k * n * sizeof(*w));
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++) {
                int32_t v = j % 3 == 0   ? (int32_t)i
                            : j % 3 == 1 ? (int32_t)(k - i)
                                         : (int32_t)(i < k / 2 ? i : k - i);
                w[i * n + j] = v * (int32_t)(j % 7 + 1) - (int32_t)(j % 11);
            }
        size_t nt = bound_trims(trims, NULL, k);
        check_same_as_first(k, n, w, NULL, trims, nt, 0);
        free(w);
    }
}
END_TEST

START_TEST(aggregate_refuses_nothing_to_aggregate)
{
    struct fl_update_ref r = {(const uint8_t *)"\0\0\0\0", 0};
    uint8_t out[4];
    ck_assert(!fl_aggregate(FL_AGG_FEDAVG, 0, &r, 0, 1, out));
    ck_assert(!fl_aggregate(FL_AGG_FEDAVG, 0, &r, 1, 1, out)); /* zero total weight */
    ck_assert(!fl_aggregate(FL_AGG_MEDIAN, 0, &r, 1, 1, out));
    r.weight = 1;
    ck_assert(!fl_aggregate(7, 0, &r, 1, 1, out));
    ck_assert(fl_aggregate(FL_AGG_FEDAVG, 0, &r, 1, 1, out));
    /* A weight beyond any round's slots is refused, not allocated. */
    r.weight = (uint64_t)FL_MAX_SLOTS * FL_MAX_PARTICIPANTS + 1;
    ck_assert(!fl_aggregate(FL_AGG_MEDIAN, 0, &r, 1, 1, out));
    ck_assert(!fl_aggregate(FL_AGG_FEDAVG, 0, &r, 1, 1, out));
    struct fl_update_ref two[2] = {{(const uint8_t *)"\0\0\0\0", UINT64_MAX},
                                   {(const uint8_t *)"\0\0\0\0", 2}};
    ck_assert(!fl_aggregate(FL_AGG_FEDAVG, 0, two, 2, 1, out)); /* no wrap to 1 */
}
END_TEST

/* ---- roles: slots by stake, with replacement ---- */

START_TEST(slot_counts)
{
    static const struct {
        uint32_t k, m, want;
    } v[] = {
        {1, 0, 0}, {1, 1, 0}, {1, 2, 1},   {5, 2, 1},    {5, 3, 2},     {2, 3, 2},
        {64, 1000, 64}, {64, 10, 9}, {1, 1000, 1}, {64, 65, 64}, {64, 64, 63},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        ck_assert_msg(fl_slot_count(v[i].k, v[i].m) == v[i].want, "k %u m %u: %u", v[i].k, v[i].m,
                      fl_slot_count(v[i].k, v[i].m));
}
END_TEST

static uint32_t sum_slots(const uint16_t *slots, uint32_t m)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < m; i++)
        s += slots[i];
    return s;
}

START_TEST(slot_draw_vectors)
{
    /* From an independent implementation (Python hashlib); doc/protocol.md
     * 17.12. */
    uint8_t task[32], mix[32];
    uint16_t slots[7];
    const uint64_t st5[5] = {5 * COIN, 1 * COIN, 3 * COIN, 1 * COIN, 10 * COIN};
    memset(task, 0xaa, 32);
    memset(mix, 0, 32);
    const uint16_t r1[5] = {1, 0, 0, 1, 2}; /* k 8 -> k_eff 4 */
    fl_draw_slots(slots, st5, 5, 8, task, 1, mix);
    ck_assert_mem_eq(slots, r1, sizeof(r1));
    const uint16_t r2[5] = {1, 0, 1, 0, 1};
    fl_draw_slots(slots, st5, 5, 3, task, 2, mix);
    ck_assert_mem_eq(slots, r2, sizeof(r2));
    for (int i = 0; i < 32; i++)
        task[i] = (uint8_t)i;
    memset(mix, 0x5c, 32);
    const uint64_t st3[3] = {1, 1, 1};
    const uint16_t r3[3] = {1, 0, 1};
    fl_draw_slots(slots, st3, 3, 64, task, 3, mix);
    ck_assert_mem_eq(slots, r3, sizeof(r3));
    /* A zero stake is never drawn; a participant may be drawn many times. */
    const uint64_t st7[7] = {7, 0, 9, 100, 3, 50, 1};
    const uint16_t r4[7] = {0, 0, 0, 2, 1, 3, 0};
    fl_draw_slots(slots, st7, 7, 64, task, 9, mix);
    ck_assert_mem_eq(slots, r4, sizeof(r4));
    /* Nothing to draw. */
    fl_draw_slots(slots, st7, 1, 64, task, 9, mix);
    ck_assert_uint_eq(slots[0], 0);
    const uint64_t zero[2] = {0, 0};
    fl_draw_slots(slots, zero, 2, 5, task, 9, mix);
    ck_assert_uint_eq(slots[0] + slots[1], 0);
}
END_TEST

/* Every round draws exactly k_eff slots, leaves at least one voter, and
 * hands out slots in proportion to stake: over many rounds participant i's
 * slots are within 5 standard deviations of k_eff x stake_i / total. */
START_TEST(slot_draw_by_stake)
{
    enum { M = 6, K = 4, ROUNDS = 4000 };
    const uint64_t st[M] = {1, 2, 3, 4, 10, 20}; /* total 40 */
    uint64_t got[M] = {0};
    uint16_t slots[M];
    uint8_t task[32], mix[32];
    memset(task, 0x42, 32);
    memset(mix, 0x17, 32);
    for (uint32_t r = 1; r <= ROUNDS; r++) {
        fl_draw_slots(slots, st, M, K, task, r, mix);
        ck_assert_uint_eq(sum_slots(slots, M), K);
        uint32_t voters = 0;
        for (int i = 0; i < M; i++) {
            voters += slots[i] == 0;
            got[i] += slots[i];
        }
        ck_assert_uint_ge(voters, 1);
    }
    for (int i = 0; i < M; i++) {
        double p = (double)st[i] / 40, mean = (double)ROUNDS * K * p;
        double sd = sqrt((double)ROUNDS * K * p * (1 - p));
        ck_assert_msg(fabs((double)got[i] - mean) < 5 * sd, "participant %d: %llu, want %.0f", i,
                      (unsigned long long)got[i], mean);
    }
    /* k >= m: k_eff = m - 1, so one of two equal stakes always votes. */
    const uint64_t two[2] = {5, 5};
    for (uint32_t r = 1; r <= 50; r++) {
        fl_draw_slots(slots, two, 2, 64, task, r, mix);
        ck_assert_uint_eq(slots[0] + slots[1], 1);
    }
}
END_TEST

/* The Sybil test: with two honest participants of stake 10s present, one
 * address of stake 10s and ten addresses of stake s each get, over 4000
 * seeded rounds, the same mean slots and the same mean aggregation weight
 * (their slots over the round's slots): within 0.06 slots and 0.03 of
 * weight, about 4 standard errors of the difference of the two means
 * (0.015 slots, 0.0075 of weight at k = 2).  Both expectations are exact
 * (slots are drawn with replacement, in proportion to stake: 2/3 slot and
 * 1/3 of the weight), so the tolerance only covers sampling.  Drawn per
 * address instead, the ten addresses would get 10/12 of the slots.
 * k = 2 keeps k_eff the same (m - 1 >= 2) on both sides; with k = 8 the
 * split side gets k_eff = 8 against 2, more slots in all but the same share
 * of the aggregate, which the second half checks. */
START_TEST(sybil_split_gains_nothing)
{
    enum { ROUNDS = 4000 };
    const uint64_t s = 7 * COIN;
    /* In key order the attacker's addresses fall anywhere: here the whole
     * one between the honest two, the ten around them. */
    const uint64_t one[3] = {10 * s, 10 * s, 10 * s};
    const bool one_mine[3] = {false, true, false};
    const uint64_t split[12] = {s, s, s, 10 * s, s, s, s, s, 10 * s, s, s, s};
    const bool split_mine[12] = {true, true, true, false, true, true,
                                 true, true, false, true, true, true};
    uint8_t task[32], mix[32];
    uint16_t slots[12];
    memset(task, 0x5b, 32);
    for (uint32_t k = 2; k <= 8; k += 6) {
        double slots_one = 0, slots_split = 0, w_one = 0, w_split = 0;
        for (uint32_t r = 1; r <= ROUNDS; r++) {
            /* A fresh mix per round, as the chain's RANDAO gives. */
            memset(mix, 0, 32);
            write_le32(mix, r);
            fl_draw_slots(slots, one, 3, k, task, r, mix);
            uint32_t tot = sum_slots(slots, 3), mine = 0;
            for (int i = 0; i < 3; i++)
                mine += one_mine[i] ? slots[i] : 0;
            slots_one += mine;
            w_one += (double)mine / tot;
            fl_draw_slots(slots, split, 12, k, task, r, mix);
            tot = sum_slots(slots, 12);
            mine = 0;
            for (int i = 0; i < 12; i++)
                mine += split_mine[i] ? slots[i] : 0;
            slots_split += mine;
            w_split += (double)mine / tot;
        }
        slots_one /= ROUNDS;
        slots_split /= ROUNDS;
        w_one /= ROUNDS;
        w_split /= ROUNDS;
        printf("sybil k %u: one address %.4f slots, weight %.4f; ten addresses %.4f slots, "
               "weight %.4f (expected weight 1/3)\n",
               k, slots_one, w_one, slots_split, w_split);
        ck_assert_msg(fabs(w_one - w_split) < 0.03, "weight %f vs %f", w_one, w_split);
        ck_assert(fabs(w_one - 1.0 / 3) < 0.03 && fabs(w_split - 1.0 / 3) < 0.03);
        if (k == 2) {
            ck_assert_msg(fabs(slots_one - slots_split) < 0.06, "slots %f vs %f", slots_one,
                          slots_split);
            ck_assert(fabs(slots_one - 2.0 / 3) < 0.06);
        } else {
            /* Ten addresses draw 8 slots a round, one address 2: the mean
             * slots scale with k_eff, the share does not. */
            ck_assert(fabs(slots_split - 8.0 / 3) < 0.12 && fabs(slots_one - 2.0 / 3) < 0.06);
        }
    }
    /* The vote (doc/security.md, "Sybil split, voting stake"): every
     * participant votes, and an update is judged by everyone but its
     * proposer, so the attacker's share of the stake voting on an honest
     * update is its stake over the others' (10s of 20s) whoever is drawn and
     * however it splits.  Printed beside the share the participants drawn no
     * slot would hold if only they voted (the rule before), which the split
     * raised from 0.35 to 0.99. */
    const uint32_t vks[3] = {2, 8, 64};
    for (int q = 0; q < 3; q++) {
        const uint32_t k = vks[q];
        double v_one = 0, v_split = 0, n_one = 0, n_split = 0, u_one = 0, u_split = 0;
        for (uint32_t r = 1; r <= ROUNDS; r++) {
            memset(mix, 0, 32);
            write_le32(mix, r);
            for (int pass = 0; pass < 2; pass++) {
                const uint64_t *st = pass ? split : one;
                const bool *mine_of = pass ? split_mine : one_mine;
                const int m = pass ? 12 : 3;
                double mine = 0, tot = 0, all = 0, att = 0;
                fl_draw_slots(slots, st, (uint32_t)m, k, task, r, mix);
                for (int i = 0; i < m; i++) {
                    all += (double)st[i];
                    att += mine_of[i] ? (double)st[i] : 0;
                    if (!slots[i]) {
                        tot += (double)st[i];
                        mine += mine_of[i] ? (double)st[i] : 0;
                    }
                }
                double *u = pass ? &u_split : &u_one, *v = pass ? &v_split : &v_one;
                double *nu = pass ? &n_split : &n_one;
                *u += tot > 0 ? mine / tot : 0;
                for (int i = 0; i < m; i++)
                    if (slots[i] && !mine_of[i]) { /* an honest update: V_i */
                        double share = att / (all - (double)st[i]);
                        ck_assert(fabs(share - 0.5) < 1e-12);
                        *v += share;
                        *nu += 1;
                    }
            }
        }
        ck_assert(n_one > 0 && n_split > 0);
        printf("sybil k %u: the attacker's share of the stake voting on an honest update: one "
               "address %.3f, ten addresses %.3f (of the stake drawn no slot: %.3f, %.3f)\n",
               k, v_one / n_one, v_split / n_split, u_one / ROUNDS, u_split / ROUNDS);
    }
}
END_TEST

/* ---- commitments and hashes ---- */

/* A task created without initial weights starts from the model of P zeros,
 * whose hash the creation records.  P is up to about 250,000 on the main
 * parameters (an update reveal fits a transaction), and a creation is a
 * transaction of about 150 bytes: hashing 4P zero bytes for each made a
 * block of 10,000 creations (2 units each) hash 10 GB, seconds of
 * validation for a block of fees.  The hash must cost the same whatever P
 * (within a few kB of hashing) and equal fl_model_hash of the zeros. */
START_TEST(zero_model_hash_matches_hashing_the_zeros)
{
    static const uint64_t ns[] = {0, 1, 2, 1023, 1024, 1025, 2048, 4095, 4096, 100000,
                                  249999, 250000, 262145};
    uint8_t *zeros = calloc(262145, 4), a[32], b[32];
    ck_assert_ptr_nonnull(zeros);
    /* Twice over, so both the first and the later calls are checked. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
            fl_zero_model_hash(a, ns[i]);
            fl_model_hash(b, zeros, (size_t)ns[i]);
            ck_assert_msg(memcmp(a, b, 32) == 0, "n = %llu", (unsigned long long)ns[i]);
        }
    free(zeros);
    /* What it costs against hashing the zeros is measured by bench/bench_fl
     * (the zero-model hash row). */
}
END_TEST

START_TEST(commitment_and_model_hash_vectors)
{
    uint8_t task[32], who[32], salt[32], h[32], mh[32];
    memset(task, 0x11, 32);
    memset(who, 0x22, 32);
    memset(salt, 0x33, 32);
    uint8_t w[16];
    write_le32(w, 65536);
    write_le32(w + 4, (uint32_t)-32768);
    write_le32(w + 8, 0);
    write_le32(w + 12, 1);
    fl_model_hash(mh, w, 4);
    ck_assert_hex_eq(mh, 32, "98132c875ff5bdce2ebd1060d5d6418a5564d76c3d5ba2dccc610b195fb8a23f");
    memset(w, 0, sizeof(w));
    fl_model_hash(h, w, 4);
    ck_assert_hex_eq(h, 32, "644ac8f6ab6ea17aac40982d5bfcd27d7ae1de10eaf4554137e457f48d398623");
    /* Vectors from an independent implementation (Python hashlib). */
    fl_update_commitment(h, task, 7, who, mh, salt);
    ck_assert_hex_eq(h, 32, "c575868f09399c6aa614833924a78466ff868ee387021eb9d13b55ef32a0e7bf");
    uint8_t verdicts[2 * FL_VERDICT_SIZE];
    verdicts[0] = 1;
    write_le32(verdicts + 1, 52429);
    verdicts[5] = (uint8_t)-1;
    write_le32(verdicts + 6, (uint32_t)-65536);
    fl_vote_commitment(h, task, 7, who, 2, verdicts, salt);
    ck_assert_hex_eq(h, 32, "05069a79c0253d737fec3ab5aa8a956965879860558dad7b9a13b868485e5b30");
    fl_vote_commitment(h, task, 7, who, 0, NULL, salt);
    ck_assert_hex_eq(h, 32, "f2bbb834e054f475bc80e8eb33554c51bb894d2313e1015803a5f2da607a9b29");
    ck_assert_int_eq(fl_verdict_at(verdicts, 1), -1);
    ck_assert_int_eq(fl_metric_at(verdicts, 1), -65536);
    ck_assert_int_eq(fl_verdict_at(verdicts, 0), 1);
    ck_assert_int_eq(fl_metric_at(verdicts, 0), 52429);
}
END_TEST

/* A commitment binds every input: another proposer (a copier), another
 * task, round, update or salt gives another commitment, so a reveal can
 * only match the commitment its own sender made for those weights. */
START_TEST(update_commitment_binds_proposer)
{
    uint8_t task[32], a[32], b[32], salt[32], mh[32], base[32], h[32];
    memset(task, 1, 32);
    memset(a, 2, 32);
    memset(b, 2, 32);
    b[31] = 3;
    memset(salt, 4, 32);
    memset(mh, 5, 32);
    fl_update_commitment(base, task, 1, a, mh, salt);
    fl_update_commitment(h, task, 1, b, mh, salt);
    ck_assert_mem_ne(h, base, 32); /* the copier's key */
    fl_update_commitment(h, task, 2, a, mh, salt);
    ck_assert_mem_ne(h, base, 32);
    task[0] ^= 1;
    fl_update_commitment(h, task, 1, a, mh, salt);
    ck_assert_mem_ne(h, base, 32);
    task[0] ^= 1;
    mh[31] ^= 1;
    fl_update_commitment(h, task, 1, a, mh, salt);
    ck_assert_mem_ne(h, base, 32);
    mh[31] ^= 1;
    salt[0] ^= 0x80;
    fl_update_commitment(h, task, 1, a, mh, salt);
    ck_assert_mem_ne(h, base, 32);
    salt[0] ^= 0x80;
    fl_update_commitment(h, task, 1, a, mh, salt);
    ck_assert_mem_eq(h, base, 32);
}
END_TEST

START_TEST(vote_commitment_binds_every_verdict)
{
    uint8_t task[32], voter[32], other[32], salt[32], base[32], h[32];
    uint8_t v[3 * FL_VERDICT_SIZE];
    memset(task, 1, 32);
    memset(voter, 2, 32);
    memset(other, 3, 32);
    memset(salt, 4, 32);
    for (int i = 0; i < 3; i++) {
        v[i * FL_VERDICT_SIZE] = i == 1 ? (uint8_t)-1 : 1;
        write_le32(v + i * FL_VERDICT_SIZE + 1, (uint32_t)(1000 * i));
    }
    fl_vote_commitment(base, task, 5, voter, 3, v, salt);
    fl_vote_commitment(h, task, 5, other, 3, v, salt);
    ck_assert_mem_ne(h, base, 32);
    fl_vote_commitment(h, task, 6, voter, 3, v, salt);
    ck_assert_mem_ne(h, base, 32);
    fl_vote_commitment(h, task, 5, voter, 2, v, salt); /* a verdict left out */
    ck_assert_mem_ne(h, base, 32);
    for (size_t i = 0; i < sizeof(v); i++) { /* any verdict or metric byte */
        v[i] ^= 1;
        fl_vote_commitment(h, task, 5, voter, 3, v, salt);
        ck_assert_mem_ne(h, base, 32);
        v[i] ^= 1;
    }
    salt[31] ^= 1;
    fl_vote_commitment(h, task, 5, voter, 3, v, salt);
    ck_assert_mem_ne(h, base, 32);
}
END_TEST

/* ---- rewards, match, burn, slashes ---- */

START_TEST(reward_split_arithmetic)
{
    /* A round with 1000 FML left in the task and 4 rounds left: R = 250 FML,
     * the voters' 20% is 50 FML; accepted updates of slots 1 and 3 share
     * 200 FML as 50 and 150; voters with stake x agree 200, 100 and 100
     * share 50 FML as 25, 12.5 and 12.5 (exact in base units). */
    uint64_t left = 1000 * COIN;
    uint64_t r = fl_round_reward(left, 4);
    ck_assert_uint_eq(r, 250 * COIN);
    uint64_t vp = fl_bps(r, 2000);
    ck_assert_uint_eq(vp, 50 * COIN);
    uint64_t pp = r - vp;
    ck_assert_uint_eq(fl_share(pp, 1, 4), 50 * COIN);
    ck_assert_uint_eq(fl_share(pp, 3, 4), 150 * COIN);
    ck_assert_uint_eq(fl_share128(vp, 200, 400), 25 * COIN);
    ck_assert_uint_eq(fl_share128(vp, 100, 400), 1250000000);
    /* Dust: 10 units among slots 1, 1, 1 -> 3 each, 1 stays in the task. */
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
    /* Voter weights stake x agree: a total above 2^64 (1000 voters of the
     * whole supply agreeing on 64 verdicts) is exact. */
    unsigned __int128 total = (unsigned __int128)(MAX_SUPPLY * 64) * 1000;
    ck_assert_uint_eq(fl_share128(MAX_SUPPLY, MAX_SUPPLY * 64, total), MAX_SUPPLY / 1000);
    ck_assert_uint_eq(fl_share128(7, 1, 0), 0);
    ck_assert_uint_eq(fl_share128(7, 2, 1), 0); /* w > total: refused */
    ck_assert_uint_eq(fl_share128(7, 1, 1), 7);
    /* Slash of 10% of 15 FML, and of a stake too small to lose anything. */
    ck_assert_uint_eq(fl_bps(15 * COIN, 1000), 150000000);
    ck_assert_uint_eq(fl_bps(9, 1000), 0);
}
END_TEST

/* Accepted iff the tally is positive; harmful iff 3 x tally <= -2 x V with
 * V > 0: the boundary itself is harmful, one unit above it is not, and an
 * update nobody voted on is never harmful. */
START_TEST(verdict_thresholds)
{
    ck_assert(fl_accepted(1));
    ck_assert(!fl_accepted(0));
    ck_assert(!fl_accepted(-1));
    ck_assert(fl_accepted(INT64_MAX));
    /* V = 300: harmful at tally <= -200. */
    ck_assert(fl_harmful(-200, 300));
    ck_assert(!fl_harmful(-199, 300));
    ck_assert(fl_harmful(-300, 300));
    /* V = 100: -2V/3 = -66.67; -67 is harmful, -66 not. */
    ck_assert(fl_harmful(-67, 100));
    ck_assert(!fl_harmful(-66, 100));
    ck_assert(!fl_harmful(0, 0));
    ck_assert(!fl_harmful(-5, 0));
    ck_assert(!fl_harmful(0, 1));
    ck_assert(!fl_harmful(1, 3));
    /* Full range: 3 x tally and 2 x V need more than 64 bits. */
    ck_assert(fl_harmful(-(int64_t)(MAX_SUPPLY / 3 * 2), MAX_SUPPLY - MAX_SUPPLY % 3));
    ck_assert(fl_harmful(INT64_MIN, UINT64_C(1) << 63));
    ck_assert(!fl_harmful(INT64_MIN, UINT64_MAX));
    ck_assert(!fl_harmful(INT64_MIN / 3 * 2 + 1, UINT64_MAX / 2));
}
END_TEST

/* The Module-pools arithmetic: the burn at creation, the pool's match of a
 * round (capped by the pool and by kappa of the payouts from budget_left),
 * and the pool cap; and what a creator who is every participant loses. */
START_TEST(pool_arithmetic)
{
    ck_assert_uint_eq(fl_burn(1000 * COIN, 1000), 100 * COIN);
    ck_assert_uint_eq(fl_burn(9, 1000), 0);
    ck_assert_uint_eq(fl_burn(MAX_SUPPLY, 10000), MAX_SUPPLY);
    ck_assert_uint_eq(fl_match(1000 * COIN, 200 * COIN, 500), 10 * COIN);
    ck_assert_uint_eq(fl_match(3 * COIN, 200 * COIN, 500), 3 * COIN); /* the pool runs dry */
    ck_assert_uint_eq(fl_match(0, 200 * COIN, 500), 0);
    ck_assert_uint_eq(fl_match(1000, 19, 500), 0); /* floor */
    /* The cap: blocks x the FL part of a block's emission (regtest's 50 FML
     * x 15% = 7.5 FML, 1000 blocks), saturating. */
    ck_assert_uint_eq(fl_pool_cap(params.fl_pool_cap_blocks, 50 * COIN, params.split_fl_bps),
                      7500 * COIN);
    ck_assert_uint_eq(fl_pool_cap(UINT32_MAX, UINT64_MAX, 10000), UINT64_MAX);
    ck_assert_uint_eq(fl_pool_cap(0, 50 * COIN, 1500), 0);
    /* Self-dealing: a creator who is every participant and gets back every
     * payout and every match still loses at least (beta - kappa) of the
     * budget: budget B, burn beta B, everything else paid back from
     * budget_left, matched at most kappa of it. */
    const uint64_t B = 1000 * COIN;
    uint64_t burn = fl_burn(B, params.fl_burn_bps), paid = B - burn;
    uint64_t match = fl_match(UINT64_MAX, paid, params.fl_match_bps);
    uint64_t loss = B - paid - match;
    ck_assert_uint_ge(loss, fl_bps(B, (uint16_t)(params.fl_burn_bps - params.fl_match_bps)));
    ck_assert_uint_eq(loss, 55 * COIN); /* 100 burned, 45 matched back */
}
END_TEST

/* ---- records, keys, windows ---- */

/* Encodes a record, checks that it decodes back to the same bytes, and that
 * no truncation and no trailing byte decodes. */
#define RECORD_ROUND_TRIP(type, rec, want_hex)                                          \
    do {                                                                                \
        struct wbuf w_, w2_;                                                            \
        struct type back_;                                                              \
        wbuf_init(&w_);                                                                 \
        wbuf_init(&w2_);                                                                \
        type##_encode(&(rec), &w_);                                                     \
        ck_assert_hex_eq(w_.data, w_.len, want_hex);                                    \
        ck_assert(type##_decode(&back_, w_.data, w_.len));                              \
        type##_encode(&back_, &w2_);                                                    \
        ck_assert_uint_eq(w2_.len, w_.len);                                             \
        ck_assert_mem_eq(w2_.data, w_.data, w_.len);                                    \
        for (size_t n_ = 0; n_ < w_.len; n_++)                                          \
            ck_assert_msg(!type##_decode(&back_, w_.data, n_), #type " truncated at %zu", n_); \
        put_u8(&w_, 0);                                                                 \
        ck_assert(!type##_decode(&back_, w_.data, w_.len));                             \
        wbuf_free(&w_);                                                                 \
        wbuf_free(&w2_);                                                                \
    } while (0)

START_TEST(record_codecs)
{
    struct fl_status st = {
        .state = FL_TASK_RUNNING, .round = 3, .round_start = 0x0102, .model_round = 2,
        .n_participants = 5, .n_active = 4, .budget = 1000, .burn = 100, .budget_left = 800,
        .slashed_left = 7, .slashed = 9, .paid = 102, .matched = 5, .returned = 0,
        .end_height = 0, .contribution = (unsigned __int128)3 << 64 | 0x11,
    };
    memset(st.model_hash, 0xab, 32);
    RECORD_ROUND_TRIP(fl_status, st,
                      "0103000000020100000000000002000000abababababababababababababababab"
                      "abababababababababababababababab05000400e8030000000000006400000000"
                      "000000200300000000000007000000000000000900000000000000660000000000"
                      "0000050000000000000000000000000000000000000000000000"
                      "11000000000000000300000000000000");
    st.state = 4;
    ck_assert(!fl_status_decode(&st, (const uint8_t *)"", 0));

    struct fl_participant p = {
        .status = FL_PART_ACTIVE, .stake = 50, .joined_height = 3,
        .contribution = ((unsigned __int128)1 << 64) + 6, .rewards = 11, .matched = 2,
        .slashed = 1, .returned = 0, .rounds_proposer = 2, .rounds_voter = 1, .accepted = 2,
    };
    RECORD_ROUND_TRIP(fl_participant, p,
                      "003200000000000000030000000000000006000000000000000100000000000000"
                      "0b0000000000000002000000000000000100000000000000000000000000000002"
                      "0000000100000002000000");

    struct fl_round r = {
        .start = 10, .n_proposers = 2, .n_slots = 3, .n_voters = 4, .outcome = FL_OUTCOME_ACCEPTED,
        .n_update_commits = 2, .n_update_reveals = 2, .n_vote_commits = 4, .n_vote_reveals = 3,
        .voting_stake = 300, .n_accepted = 1, .accepted_slots = 2, .reward = 100, .voter_part = 20,
        .paid = 99, .matched = 4, .slashed = 6, .model_round = 1, .end_height = 21,
    };
    memset(r.model_hash, 0xcd, 32);
    RECORD_ROUND_TRIP(fl_round, r,
                      "0a000000000000000200030004000102000200040003002c010000000000000100"
                      "020064000000000000001400000000000000630000000000000004000000000000"
                      "000600000000000000cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
                      "cdcdcdcdcdcdcdcd010000001500000000000000");
    r.outcome = FL_OUTCOME_VOID_NO_VOTES + 1;
    struct wbuf w;
    wbuf_init(&w);
    fl_round_encode(&r, &w);
    ck_assert(!fl_round_decode(&r, w.data, w.len));
    wbuf_free(&w);

    struct fl_entry e = {
        .role = FL_ROLE_PROPOSER, .stake = 40, .slots = 2,
        .flags = FL_ENTRY_COMMITTED | FL_ENTRY_REVEALED | FL_ENTRY_HARMFUL, .size = 4,
        .tally = -300, .verdicts = 2, .agree = 1, .reward = 0, .matched = 0, .slash = 4,
        .vote_flags = FL_VOTE_COMMITTED | FL_VOTE_REVEALED,
    };
    memset(e.commitment, 0x11, 32);
    memset(e.vote_commitment, 0x33, 32);
    memset(e.model_hash, 0x22, 32);
    RECORD_ROUND_TRIP(fl_entry, e,
                      "012800000000000000020043111111111111111111111111111111111111111111"
                      "111111111111111111111103333333333333333333333333333333333333333333"
                      "333333333333333333333322222222222222222222222222222222222222222222"
                      "2222222222222222222204000000d4feffffffffffff0200010000000000000000"
                      "0000000000000000000400000000000000");
    /* A role or flag that does not exist does not decode. */
    wbuf_init(&w);
    e.flags = 0x80;
    fl_entry_encode(&e, &w);
    ck_assert(!fl_entry_decode(&e, w.data, w.len));
    wbuf_reset(&w);
    e.flags = 0;
    e.vote_flags = 0x04;
    fl_entry_encode(&e, &w);
    ck_assert(!fl_entry_decode(&e, w.data, w.len));
    wbuf_reset(&w);
    e.vote_flags = 0;
    e.role = 3;
    fl_entry_encode(&e, &w);
    ck_assert(!fl_entry_decode(&e, w.data, w.len));
    wbuf_free(&w);

    struct fl_height h = {.events = 2, .work = 30, .weights = 900, .verdicts = 128};
    RECORD_ROUND_TRIP(fl_height, h, "020000001e000000840300000000000080000000");
    /* A height whose reservations exceed a bound does not decode. */
    wbuf_init(&w);
    h.verdicts = FL_MAX_HEIGHT_VERDICTS + 1;
    fl_height_encode(&h, &w);
    ck_assert(!fl_height_decode(&h, w.data, w.len));
    wbuf_free(&w);
    h = (struct fl_height){.verdicts = FL_MAX_HEIGHT_VERDICTS - 10};
    ck_assert(fl_height_room(&h, 1, 1, 10));
    ck_assert(!fl_height_room(&h, 1, 1, 11));
    h = (struct fl_height){.weights = FL_MAX_HEIGHT_WEIGHTS, .work = 0};
    ck_assert(!fl_height_room(&h, 1, 1, 0));
    ck_assert(fl_height_room(&h, FL_MAX_HEIGHT_WORK, 0, FL_MAX_HEIGHT_VERDICTS));

    /* Events: start and finalize only (2, the v1 aggregation, is gone). */
    struct fl_event_entry ev;
    memset(&ev, 0, sizeof(ev));
    uint8_t evb[33] = {0};
    evb[32] = FL_EV_START;
    ck_assert(fl_event_decode(&ev, evb, 33));
    evb[32] = FL_EV_FINALIZE;
    ck_assert(fl_event_decode(&ev, evb, 33));
    evb[32] = 2;
    ck_assert(!fl_event_decode(&ev, evb, 33));
}
END_TEST

START_TEST(keys_and_windows)
{
    uint8_t task[32], pub[32], key[FL_KEY_ENTRY_SIZE];
    memset(task, 0x77, 32);
    memset(pub, 0x88, 32);
    fl_key_entry(key, 'V', task, 0x01020304, pub);
    ck_assert_uint_eq(key[0], 'f');
    ck_assert_uint_eq(key[1], 'V');
    ck_assert_mem_eq(key + 2, task, 32);
    ck_assert_hex_eq(key + 34, 4, "01020304"); /* big-endian: scans in round order */
    ck_assert_mem_eq(key + 38, pub, 32);

    struct fl_task_params t = {.submit_blocks = 3, .update_reveal_blocks = 2, .commit_blocks = 4,
                               .reveal_blocks = 1};
    struct fl_windows w;
    fl_round_windows(&t, 100, &w);
    ck_assert_uint_eq(w.submit_start, 100);
    ck_assert_uint_eq(w.submit_end, 102);
    ck_assert_uint_eq(w.update_reveal_start, 103);
    ck_assert_uint_eq(w.update_reveal_end, 104);
    ck_assert_uint_eq(w.commit_start, 105);
    ck_assert_uint_eq(w.commit_end, 108);
    ck_assert_uint_eq(w.reveal_start, 109);
    ck_assert_uint_eq(w.reveal_end, 109);
}
END_TEST

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
        .proposer_slots = 4,
        .join_blocks = 5,
        .submit_blocks = 3,
        .update_reveal_blocks = 2,
        .commit_blocks = 2,
        .reveal_blocks = 2,
        .aggregator = FL_AGG_FEDAVG,
        .slash_bps = 1000,
        .voter_reward_bps = 2000,
        .budget = 1000 * COIN,
    };
    return t;
}

static const char *check_reason_on(const struct fl_task_params *t, const struct chain_params *cp)
{
    struct validation v;
    struct wbuf w;
    struct fl_task_params back;
    static char reason[64];
    val_init(&v);
    wbuf_init(&w);
    fl_task_params_encode(t, &w);
    ck_assert(fl_task_create_decode(&back, w.data, w.len));
    bool ok = fl_task_params_check(&back, cp, &v);
    wbuf_free(&w);
    snprintf(reason, sizeof(reason), "%s", ok ? "ok" : v.reason);
    return reason;
}

static const char *check_reason(const struct fl_task_params *t)
{
    return check_reason_on(t, &params);
}

/* The fewest blocks that carry count transactions of `size` bytes at half
 * a block's bytes, and of 2 units each at half a block's units. */
static uint32_t blocks_needed(const struct chain_params *cp, uint64_t count, uint64_t size)
{
    uint64_t half = cp->max_block_size / 2, units = cp->max_block_txs / 2;
    uint64_t by_bytes = (count * size + half - 1) / half;
    uint64_t by_units = (count * 2 + units - 1) / units;
    return (uint32_t)(by_bytes > by_units ? by_bytes : by_units);
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
    /* Too big for an update reveal, for the stored models, for a round. */
    t = good_task();
    t.spec = (struct fl_spec){.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {300000, 1}};
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    t.spec.sizes[0] = 200000; /* P = 200,001 */
    t.rounds = 100;
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    t.rounds = 1;
    t.max_participants = 400;
    t.update_reveal_blocks = 100;
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    /* 300 x 200,001 < 64,000,000; a finalization reads k_eff updates and
     * writes the model: 39 x 200,001 fits a height, 40 x 200,001 does not. */
    t.max_participants = 300;
    t.proposer_slots = 38;
    ck_assert_uint_le(fl_finalize_weights(&t), FL_MAX_HEIGHT_WEIGHTS);
    ck_assert_str_eq(check_reason(&t), "ok");
    t.proposer_slots = 39;
    ck_assert_uint_gt(fl_finalize_weights(&t), FL_MAX_HEIGHT_WEIGHTS);
    ck_assert_str_eq(check_reason(&t), "bad-fl-model-too-large");
    /* ...unless fewer participants bound k_eff: 3 participants, 2 slots. */
    t.min_participants = 2;
    t.max_participants = 3;
    ck_assert_uint_eq(fl_finalize_weights(&t), 3 * 200001);
    ck_assert_str_eq(check_reason(&t), "ok");
    t.min_participants = 3;
    t.max_participants = 300;
    t.proposer_slots = 38;
    /* The update reveal window carries 38 reveals of 800 kB at half of each
     * block. */
    uint32_t need = blocks_needed(&params, 38, fl_update_reveal_tx_size(200001));
    ck_assert_uint_eq(need, 16);
    t.update_reveal_blocks = need - 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-window-length");
    t.update_reveal_blocks = need;
    ck_assert_str_eq(check_reason(&t), "ok");

    /* Each window carries what must land in it at half of each block, by
     * units (blocks of 100 units) and by bytes (blocks of 6000 bytes): 1000
     * participants and 64 slots. */
    struct chain_params by_units = params, by_bytes = params;
    by_units.max_block_txs = 100;
    by_bytes.max_block_size = 6000;
    static const uint32_t want_needs[2][4] = {
        {3, 3, 40, 40},  /* 2 units each, 50 a block: 64 and 1000 transactions */
        {4, 5, 61, 169}, /* 3000 bytes a block: 64 x 183, 64 x 200, 1000 x 183, 1000 x 506 */
    };
    for (int c = 0; c < 2; c++) {
        const struct chain_params *cp = c == 0 ? &by_units : &by_bytes;
        t = good_task();
        t.max_participants = 1000;
        t.proposer_slots = 64;
        t.submit_blocks = t.update_reveal_blocks = t.commit_blocks = t.reveal_blocks = 1000;
        ck_assert_str_eq(check_reason_on(&t, cp), "ok");
        const uint32_t needs[4] = {
            blocks_needed(cp, 64, fl_update_commit_tx_size()),
            blocks_needed(cp, 64, fl_update_reveal_tx_size(4)),
            blocks_needed(cp, 1000, fl_update_commit_tx_size()), /* a vote commit's size */
            blocks_needed(cp, 1000, fl_vote_reveal_tx_size(64)),
        };
        uint32_t *win[4] = {&t.submit_blocks, &t.update_reveal_blocks, &t.commit_blocks,
                            &t.reveal_blocks};
        for (int i = 0; i < 4; i++) {
            ck_assert_uint_eq(needs[i], want_needs[c][i]);
            *win[i] = needs[i] - 1;
            ck_assert_msg(strcmp(check_reason_on(&t, cp), "bad-fl-window-length") == 0,
                          "chain %d window %d", c, i);
            *win[i] = needs[i];
            ck_assert_str_eq(check_reason_on(&t, cp), "ok");
        }
    }
    struct chain_params small = by_bytes;
    /* The vote reveal window depends on proposer_slots (the verdicts each
     * reveal carries): 16 slots make 1000 x 264 bytes, 88 blocks. */
    t.proposer_slots = 16;
    t.submit_blocks = t.update_reveal_blocks = t.commit_blocks = 1000;
    t.reveal_blocks = blocks_needed(&small, 1000, fl_vote_reveal_tx_size(16));
    ck_assert_uint_eq(t.reveal_blocks, 88);
    ck_assert_str_eq(check_reason_on(&t, &small), "ok");
    t.reveal_blocks--;
    ck_assert_str_eq(check_reason_on(&t, &small), "bad-fl-window-length");

    /* No window is longer than FL_MAX_WINDOW_BLOCKS or empty. */
    t = good_task();
    t.submit_blocks = t.join_blocks = t.update_reveal_blocks = t.commit_blocks =
        t.reveal_blocks = FL_MAX_WINDOW_BLOCKS;
    ck_assert_str_eq(check_reason(&t), "ok");
    uint32_t *all[5] = {&t.join_blocks, &t.submit_blocks, &t.update_reveal_blocks,
                        &t.commit_blocks, &t.reveal_blocks};
    for (int i = 0; i < 5; i++) {
        *all[i] = FL_MAX_WINDOW_BLOCKS + 1;
        ck_assert_msg(strcmp(check_reason(&t), "bad-fl-window-length") == 0, "window %d long", i);
        *all[i] = 0;
        ck_assert_msg(strcmp(check_reason(&t), "bad-fl-window-length") == 0, "window %d empty", i);
        *all[i] = FL_MAX_WINDOW_BLOCKS;
    }
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
    /* Slots: 1 .. FL_MAX_SLOTS. */
    t = good_task();
    t.proposer_slots = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-slots");
    t.proposer_slots = FL_MAX_SLOTS + 1;
    ck_assert_str_eq(check_reason(&t), "bad-fl-slots");
    t.proposer_slots = FL_MAX_SLOTS;
    ck_assert_str_eq(check_reason(&t), "ok"); /* more slots than participants: k_eff bounds it */
    t.proposer_slots = 1;
    ck_assert_str_eq(check_reason(&t), "ok");
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
    t.budget = 0;
    ck_assert_str_eq(check_reason(&t), "bad-fl-pool");
    t.budget = MAX_SUPPLY + 1;
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
    ck_assert_hex_eq(b.data, b.len, TASK_CREATE_HEX);
    struct fl_task_params back;
    ck_assert(fl_task_create_decode(&back, b.data, b.len));
    ck_assert_uint_eq(back.budget, 1000 * COIN);
    ck_assert_uint_eq(back.proposer_slots, 4);
    ck_assert_uint_eq(back.update_reveal_blocks, 2);
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

    /* Update commit: 68 bytes exactly, round >= 1. */
    struct fl_update_commit uc = {.round = 1};
    memset(uc.task, 9, 32);
    memset(uc.commitment, 8, 32);
    wbuf_reset(&w);
    fl_update_commit_encode(&uc, &w);
    ck_assert_uint_eq(w.len, 68);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_COMMIT, &w), "ok");
    w.len--;
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_COMMIT, &w), "bad-txns-payload");
    uc.round = 0;
    wbuf_reset(&w);
    fl_update_commit_encode(&uc, &w);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_COMMIT, &w), "bad-fl-round");

    /* Update reveal: the count must match the bytes exactly. */
    uint8_t weights[8] = {1, 0, 0, 0, 2, 0, 0, 0};
    struct fl_update_reveal u = {.round = 1, .n = 2, .weights = weights};
    memset(u.task, 9, 32);
    memset(u.salt, 5, 32);
    wbuf_reset(&w);
    fl_update_reveal_encode(&u, &w);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_REVEAL, &w), "ok");
    struct fl_update_reveal ub;
    ck_assert(fl_update_reveal_decode(&ub, w.data, w.len));
    ck_assert_uint_eq(ub.n, 2);
    ck_assert_mem_eq(ub.salt, u.salt, 32);
    ck_assert_mem_eq(ub.weights, weights, 8);
    w.len--; /* count says 2 weights, 7 bytes follow */
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_REVEAL, &w), "bad-txns-payload");
    put_u8(&w, 0);
    put_u8(&w, 0); /* 9 bytes */
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_REVEAL, &w), "bad-txns-payload");
    u.round = 0;
    wbuf_reset(&w);
    fl_update_reveal_encode(&u, &w);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_REVEAL, &w), "bad-fl-round");
    u.round = 1;
    u.n = 0; /* empty: decodes; the state rule wants n = P */
    wbuf_reset(&w);
    fl_update_reveal_encode(&u, &w);
    ck_assert_str_eq(tx_reason(TX_FL_UPDATE_REVEAL, &w), "ok");

    struct fl_vote_commit c = {.round = 2};
    wbuf_reset(&w);
    fl_vote_commit_encode(&c, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_COMMIT, &w), "ok");
    c.round = 0;
    wbuf_reset(&w);
    fl_vote_commit_encode(&c, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_COMMIT, &w), "bad-fl-round");

    /* Vote reveal: every verdict -1 or +1, at most FL_MAX_SLOTS of them. */
    uint8_t verdicts[(FL_MAX_SLOTS + 1) * FL_VERDICT_SIZE];
    for (int i = 0; i <= FL_MAX_SLOTS; i++) {
        verdicts[i * FL_VERDICT_SIZE] = i % 2 ? 1 : (uint8_t)-1;
        write_le32(verdicts + i * FL_VERDICT_SIZE + 1, (uint32_t)(-5 * i));
    }
    struct fl_vote_reveal r = {.round = 2, .n = FL_MAX_SLOTS, .verdicts = verdicts};
    memset(r.salt, 3, 32);
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_uint_eq(w.len, 32 + 4 + 32 + 1 + FL_MAX_SLOTS * FL_VERDICT_SIZE);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "ok");
    struct fl_vote_reveal rb;
    ck_assert(fl_vote_reveal_decode(&rb, w.data, w.len));
    ck_assert_uint_eq(rb.n, FL_MAX_SLOTS);
    ck_assert_int_eq(fl_metric_at(rb.verdicts, 3), -15);
    w.len--;
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "bad-txns-payload");
    r.n = FL_MAX_SLOTS + 1;
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "bad-fl-vote");
    r.n = 3;
    const int8_t bad[] = {0, 2, -2, 127, -128};
    for (size_t b = 0; b < sizeof(bad); b++)
        for (int at = 0; at < 3; at++) { /* first, middle and last verdict */
            uint8_t keep = verdicts[at * FL_VERDICT_SIZE];
            verdicts[at * FL_VERDICT_SIZE] = (uint8_t)bad[b];
            wbuf_reset(&w);
            fl_vote_reveal_encode(&r, &w);
            ck_assert_msg(strcmp(tx_reason(TX_FL_VOTE_REVEAL, &w), "bad-fl-vote") == 0,
                          "verdict %d at %d", bad[b], at);
            verdicts[at * FL_VERDICT_SIZE] = keep;
        }
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "ok");
    r.round = 0;
    wbuf_reset(&w);
    fl_vote_reveal_encode(&r, &w);
    ck_assert_str_eq(tx_reason(TX_FL_VOTE_REVEAL, &w), "bad-fl-round");
    wbuf_free(&w);
}
END_TEST

/* The payloads of doc/protocol.md 17.12 (bytes from an independent
 * implementation), and that the reveals open the commitments: the update
 * commitment of proposer 22..22 is the one its commit carries, and the vote
 * commitment is recomputed from the reveal's own fields. */
START_TEST(payload_vectors)
{
    uint8_t task[32], who[32], mh[32], h[32];
    memset(task, 0x11, 32);
    memset(who, 0x22, 32);
    struct wbuf w;
    wbuf_init(&w);

    uint8_t weights[16];
    const int32_t wv[4] = {65536, -32768, 0, 1};
    for (int i = 0; i < 4; i++)
        write_le32(weights + 4 * i, (uint32_t)wv[i]);
    struct fl_update_reveal ur = {.round = 7, .n = 4, .weights = weights};
    memcpy(ur.task, task, 32);
    memset(ur.salt, 0x33, 32);
    fl_update_reveal_encode(&ur, &w);
    ck_assert_hex_eq(w.data, w.len,
                     "111111111111111111111111111111111111111111111111111111111111111107000000"
                     "333333333333333333333333333333333333333333333333333333333333333304000001"
                     "000080ffff0000000001000000");
    struct fl_update_reveal urb;
    ck_assert(fl_update_reveal_decode(&urb, w.data, w.len));
    fl_model_hash(mh, urb.weights, (size_t)urb.n);

    struct fl_update_commit uc = {.round = 7};
    memcpy(uc.task, task, 32);
    fl_update_commitment(uc.commitment, urb.task, urb.round, who, mh, urb.salt);
    wbuf_reset(&w);
    fl_update_commit_encode(&uc, &w);
    ck_assert_hex_eq(w.data, w.len,
                     "111111111111111111111111111111111111111111111111111111111111111107000000"
                     "c575868f09399c6aa614833924a78466ff868ee387021eb9d13b55ef32a0e7bf");

    uint8_t verdicts[2 * FL_VERDICT_SIZE];
    verdicts[0] = 1;
    write_le32(verdicts + 1, 52429);
    verdicts[5] = (uint8_t)-1;
    write_le32(verdicts + 6, (uint32_t)-65536);
    struct fl_vote_reveal vr = {.round = 7, .n = 2, .verdicts = verdicts};
    memcpy(vr.task, task, 32);
    memset(vr.salt, 0x33, 32);
    wbuf_reset(&w);
    fl_vote_reveal_encode(&vr, &w);
    ck_assert_hex_eq(w.data, w.len,
                     "111111111111111111111111111111111111111111111111111111111111111107000000"
                     "333333333333333333333333333333333333333333333333333333333333333302"
                     "01cdcc0000ff0000ffff");
    struct fl_vote_reveal vrb;
    ck_assert(fl_vote_reveal_decode(&vrb, w.data, w.len));
    fl_vote_commitment(h, vrb.task, vrb.round, who, vrb.n, vrb.verdicts, vrb.salt);
    ck_assert_hex_eq(h, 32, "05069a79c0253d737fec3ab5aa8a956965879860558dad7b9a13b868485e5b30");
    wbuf_free(&w);
}
END_TEST

START_TEST(transaction_sizes)
{
    /* payload 32 + 4 + 32: tx 114 + 1 + 68. */
    ck_assert_uint_eq(fl_update_commit_tx_size(), 183);
    /* payload 32 + 4 + 32 + 1 + 16 = 85: tx 114 + 1 + 85. */
    ck_assert_uint_eq(fl_update_reveal_tx_size(4), 200);
    /* The largest update reveal of a 1,000,000-byte transaction: 249,952
     * weights (192 + 4n bytes). */
    ck_assert_uint_eq(fl_update_reveal_tx_size(249952), 1000000);
    ck_assert_uint_gt(fl_update_reveal_tx_size(249953), 1000000);
    ck_assert_uint_eq(
        fl_txs_per_block(&params, TX_FL_UPDATE_REVEAL, fl_update_reveal_tx_size(249952)), 3);
    /* Small ones: bounded by the block units, 2 each. */
    ck_assert_uint_eq(fl_txs_per_block(&params, TX_FL_UPDATE_REVEAL, fl_update_reveal_tx_size(4)),
                      params.max_block_txs / 2);
    /* A vote reveal of 64 verdicts: payload 389, tx 114 + 3 + 389. */
    ck_assert_uint_eq(fl_vote_reveal_tx_size(64), 506);
    ck_assert_uint_eq(fl_vote_reveal_tx_size(0), 184);
}
END_TEST

/* The table rows of the FL types: values, names, module and two block
 * units each (the reveals measured like the Arena's). */
START_TEST(txtype_rows)
{
    static const struct {
        uint8_t type;
        const char *name;
    } rows[] = {
        {16, "fl_task_create"}, {17, "fl_join"},        {18, "fl_update_commit"},
        {19, "fl_vote_commit"}, {20, "fl_vote_reveal"}, {21, "fl_update_reveal"},
    };
    ck_assert_uint_eq(TX_FL_UPDATE_COMMIT, 18);
    ck_assert_uint_eq(TX_FL_UPDATE_REVEAL, 21);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ck_assert(txtype_known(rows[i].type));
        ck_assert_str_eq(txtype_name(rows[i].type), rows[i].name);
        ck_assert_str_eq(txtype_get(rows[i].type)->module, "fl");
        ck_assert_uint_eq(txtype_block_units(rows[i].type), 2);
        ck_assert_uint_eq(txtype_from_name(rows[i].name), rows[i].type);
    }
    ck_assert_uint_eq(txtype_from_name("fl_update"), 0);
    for (unsigned t = 22; t < 32; t++)
        ck_assert(!txtype_known((uint8_t)t));
}
END_TEST

/* The FL chain parameters: defaults, validity and their place in the
 * genesis commitment. */
START_TEST(chain_parameters)
{
    struct chain_params main_p, test_p;
    ck_assert(params_init(&main_p, NET_MAIN));
    ck_assert(params_init(&test_p, NET_TEST));
    ck_assert_uint_eq(params.fl_burn_bps, 1000);
    ck_assert_uint_eq(params.fl_match_bps, 500);
    ck_assert_uint_eq(params.fl_pool_cap_blocks, 1000);
    ck_assert_uint_eq(main_p.fl_pool_cap_blocks, 518400);
    ck_assert_uint_eq(test_p.fl_pool_cap_blocks, 518400);
    ck_assert_uint_eq(main_p.fl_burn_bps, 1000);
    ck_assert_uint_eq(test_p.fl_match_bps, 500);
    /* Committed: the encoding has them after the Arena's, before the
     * Market's 28 bytes and the liveness fields' 14. */
    struct wbuf w;
    wbuf_init(&w);
    params_encode(&params, &w);
    ck_assert_hex_eq(w.data + w.len - 14 - 28 - 16, 16, "e803f401e8030000e803f401e8030000");
    wbuf_free(&w);
    char err[128];
    struct chain_params p = params;
    ck_assert(params_validate(&p, err, sizeof(err)));
    p.fl_match_bps = p.fl_burn_bps;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "fl_match_bps"));
    p.fl_match_bps = 0;
    p.fl_burn_bps = 10001;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "fl_burn_bps"));
    p.fl_burn_bps = 10000;
    p.fl_match_bps = 9999;
    ck_assert(params_validate(&p, err, sizeof(err)));
    params_free(&main_p);
    params_free(&test_p);
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
    tcase_add_test(tc, aggregate_weight_is_copies);
    tcase_add_test(tc, aggregate_refuses_nothing_to_aggregate);
    tcase_add_test(tc, aggregate_equals_first_implementation_random);
    tcase_add_test(tc, aggregate_equals_first_implementation_adversarial);
    tcase_add_test(tc, slot_counts);
    tcase_add_test(tc, slot_draw_vectors);
    tcase_add_test(tc, slot_draw_by_stake);
    tcase_add_test(tc, sybil_split_gains_nothing);
    tcase_add_test(tc, commitment_and_model_hash_vectors);
    tcase_add_test(tc, zero_model_hash_matches_hashing_the_zeros);
    tcase_add_test(tc, update_commitment_binds_proposer);
    tcase_add_test(tc, vote_commitment_binds_every_verdict);
    tcase_add_test(tc, reward_split_arithmetic);
    tcase_add_test(tc, verdict_thresholds);
    tcase_add_test(tc, pool_arithmetic);
    tcase_add_test(tc, record_codecs);
    tcase_add_test(tc, keys_and_windows);
    tcase_add_test(tc, param_counts_and_specs);
    tcase_add_test(tc, task_params_rules);
    tcase_add_test(tc, task_create_vector);
    tcase_add_test(tc, transaction_payload_rules);
    tcase_add_test(tc, payload_vectors);
    tcase_add_test(tc, transaction_sizes);
    tcase_add_test(tc, txtype_rows);
    tcase_add_test(tc, chain_parameters);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
