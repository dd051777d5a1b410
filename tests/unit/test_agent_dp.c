/* fml-agent's differential privacy (agent/dp.c): the clip of an update's
 * change, the scale and independence of the Gaussian noise, the Renyi DP
 * accountant against numbers computed independently, the calibration of
 * sigma, and a whole release. */
#include "agent/agent.h"
#include "ml/quant.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static char err[512];

static double norm2(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

START_TEST(test_clip_above_makes_norm_c)
{
    double d[4] = {3, -4, 12, 0};   /* norm 13 */
    double norm = agent_dp_clip(d, 4, 1.0);
    ck_assert_double_eq_tol(norm, 13.0, 1e-12);
    ck_assert_double_eq_tol(norm2(d, 4), 1.0, 1e-12);
    /* the direction is kept */
    ck_assert_double_eq_tol(d[0], 3.0 / 13, 1e-15);
    ck_assert_double_eq_tol(d[1], -4.0 / 13, 1e-15);
    ck_assert_double_eq_tol(d[2], 12.0 / 13, 1e-15);
    ck_assert(d[3] == 0);
    double e[3] = {10, 0, 0};
    agent_dp_clip(e, 3, 2.5);
    ck_assert_double_eq_tol(norm2(e, 3), 2.5, 1e-12);
}
END_TEST

START_TEST(test_clip_below_leaves_it)
{
    double d[3] = {0.3, -0.4, 0.0}, k[3];   /* norm 0.5 */
    memcpy(k, d, sizeof d);
    double norm = agent_dp_clip(d, 3, 1.0);
    ck_assert_double_eq_tol(norm, 0.5, 1e-15);
    ck_assert(memcmp(d, k, sizeof d) == 0);
    double z[2] = {0, 0};
    ck_assert(agent_dp_clip(z, 2, 1.0) == 0 && z[0] == 0 && z[1] == 0);
    /* exactly at the bound: unchanged */
    double b[2] = {0.6, 0.8};
    agent_dp_clip(b, 2, 1.0);
    ck_assert(b[0] == 0.6 && b[1] == 0.8);
}
END_TEST

START_TEST(test_noise_scale)
{
    const size_t n = 200001;   /* odd: the last Box-Muller pair is cut */
    const double std = 2.5;
    double *z = malloc(n * sizeof(*z));
    ck_assert_ptr_nonnull(z);
    uint8_t seed[AGENT_DP_SEEDBYTES];
    memset(seed, 7, sizeof seed);
    ck_assert(agent_dp_noise(z, n, std, seed, 0));
    double sum = 0, ss = 0;
    size_t within1 = 0;
    for (size_t i = 0; i < n; i++) {
        sum += z[i];
        within1 += fabs(z[i]) <= std;
    }
    double mean = sum / n;
    for (size_t i = 0; i < n; i++)
        ss += (z[i] - mean) * (z[i] - mean);
    double sd = sqrt(ss / (n - 1));
    /* The sample std of n normals has std ~ std / sqrt(2n) = 0.16%; 1% is
     * six of those.  The mean: five standard errors. */
    ck_assert_double_eq_tol(sd, std, 0.01 * std);
    ck_assert_double_le(fabs(mean), 5 * std / sqrt((double)n));
    /* Normal, not merely of the right variance: P(|z| <= std) = 0.6827. */
    ck_assert_double_eq_tol((double)within1 / n, 0.6827, 0.005);
    free(z);
}
END_TEST

START_TEST(test_noise_streams)
{
    double a[64], b[64], c[64], d[64];
    uint8_t seed[AGENT_DP_SEEDBYTES], other[AGENT_DP_SEEDBYTES];
    memset(seed, 1, sizeof seed);
    memset(other, 2, sizeof other);
    ck_assert(agent_dp_noise(a, 64, 1.0, seed, 3));
    ck_assert(agent_dp_noise(b, 64, 1.0, seed, 3));
    ck_assert(agent_dp_noise(c, 64, 1.0, seed, 4));
    ck_assert(agent_dp_noise(d, 64, 1.0, other, 3));
    ck_assert(memcmp(a, b, sizeof a) == 0);   /* a seed and stream repeat */
    ck_assert(memcmp(a, c, sizeof a) != 0);   /* releases never share noise */
    ck_assert(memcmp(a, d, sizeof a) != 0);
}
END_TEST

/* Values computed independently, by this Python (run once):
 *
 *   import math
 *   ORDERS=[1.25,1.5,1.75,2,2.25,2.5,3,3.5,4,4.5,5,6,7,8,10,12,14,16,20,24,28,
 *           32,40,48,56,64,96,128,192,256]
 *   def eps(sigma,T,delta):
 *       return min((T*a/(2*sigma*sigma)+math.log(1/delta)/(a-1),a) for a in ORDERS)
 *   for s,T,d in [(1.0,1,1e-5),(2.0,10,1e-5),(5.0,20,1e-5),(0.5,3,1e-6),
 *                 (10.0,100,1e-5),(1.1,50,1e-5)]:
 *       e,a=eps(s,T,d); print(s,T,d,repr(e),a)
 */
START_TEST(test_accountant_known_values)
{
    static const struct {
        double sigma;
        uint32_t t;
        double delta, eps, order;
    } v[] = {
        {1.0, 1, 1e-5, 5.302585092994046, 6},
        {2.0, 10, 1e-5, 8.837641821656742, 4},
        {5.0, 20, 1e-5, 4.702585092994045, 6},
        {0.5, 3, 1e-6, 24.21034037197618, 2.5},
        {10.0, 100, 1e-5, 5.302585092994046, 6},
        {1.1, 50, 1e-5, 51.50759208001539, 1.75},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        double order;
        double e = agent_dp_epsilon(v[i].sigma, v[i].t, v[i].delta, &order);
        ck_assert_double_eq_tol(e, v[i].eps, 1e-9);
        ck_assert_double_eq(order, v[i].order);
    }
    ck_assert(isinf(agent_dp_epsilon(0, 1, 1e-5, NULL)));
    ck_assert(isinf(agent_dp_epsilon(1, 1, 0, NULL)));
}
END_TEST

/* Closed form at one order: at a = 6, 1 release, sigma 1, delta 1e-5 the
 * bound is 6/2 + log(1e5)/5; the grid's minimum cannot be above any one
 * order's value, nor below the minimum over all real a > 1, which is
 * T/(2 s^2) + sqrt(2 T log(1/delta)) / s. */
START_TEST(test_accountant_closed_form)
{
    ck_assert_double_eq_tol(agent_dp_epsilon(1, 1, 1e-5, NULL), 3 + log(1e5) / 5, 1e-12);
    const double sig[] = {0.7, 1.3, 3, 8, 20};
    const uint32_t ts[] = {1, 5, 30, 200};
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < 4; j++) {
            double s = sig[i], l = log(1 / 1e-5);
            double e = agent_dp_epsilon(s, ts[j], 1e-5, NULL);
            double lower = ts[j] / (2 * s * s) + sqrt(2 * ts[j] * l) / s;
            ck_assert_double_ge(e, lower - 1e-12);
            for (size_t k = 0; k < agent_dp_n_orders; k++) {
                double a = agent_dp_orders[k];
                ck_assert_double_le(e, ts[j] * a / (2 * s * s) + l / (a - 1) + 1e-12);
            }
            /* more releases spend more */
            ck_assert_double_gt(agent_dp_epsilon(s, ts[j] + 1, 1e-5, NULL), e);
        }
    }
}
END_TEST

START_TEST(test_calibration)
{
    const uint32_t ts[] = {1, 2, 5, 10, 20, 50, 100, 1000};
    const double targets[] = {0.5, 1, 2, 8};
    for (size_t k = 0; k < 4; k++) {
        double prev = 0;
        for (size_t i = 0; i < 8; i++) {
            double s;
            ck_assert_msg(agent_dp_calibrate(targets[k], 1e-5, ts[i], &s, err, sizeof err), "%s",
                          err);
            /* meets the target, and is the smallest that does */
            ck_assert_double_le(agent_dp_epsilon(s, ts[i], 1e-5, NULL), targets[k]);
            ck_assert_double_gt(agent_dp_epsilon(s * (1 - 1e-9), ts[i], 1e-5, NULL),
                                targets[k]);
            /* more rounds: more noise */
            ck_assert_double_gt(s, prev);
            prev = s;
        }
    }
    /* a smaller epsilon or delta needs more noise */
    double a, b, c;
    ck_assert(agent_dp_calibrate(1, 1e-5, 10, &a, err, sizeof err));
    ck_assert(agent_dp_calibrate(2, 1e-5, 10, &b, err, sizeof err));
    ck_assert(agent_dp_calibrate(1, 1e-7, 10, &c, err, sizeof err));
    ck_assert_double_gt(a, b);
    ck_assert_double_gt(c, a);
    /* below what the grid can reach (log(1e5)/255 = 0.045 at infinite sigma) */
    ck_assert(!agent_dp_calibrate(0.04, 1e-5, 1, &a, err, sizeof err));
    ck_assert(strstr(err, "below") != NULL);
    ck_assert(!agent_dp_calibrate(1, 0, 1, &a, err, sizeof err));
    ck_assert(!agent_dp_calibrate(1, 1e-5, 0, &a, err, sizeof err));
}
END_TEST

START_TEST(test_release)
{
    enum { N = 1000 };
    static int32_t g[N], w[N], w2[N];
    for (size_t i = 0; i < N; i++) {
        g[i] = ml_q16_from_double(0.01 * (double)(i % 17) - 0.05);
        w[i] = ml_q16_from_double(ml_q16_to_double(g[i]) + 0.5 * ((i % 3) ? 1 : -1));
    }
    memcpy(w2, w, sizeof w);
    /* a huge epsilon: negligible noise, the change is clipped to C */
    struct agent_dp dp = {.epsilon = 1e9, .delta = 1e-5, .clip = 2.0, .seeded = true,
                          .seed_value = 42};
    ck_assert_msg(agent_dp_setup(&dp, 10, err, sizeof err), "%s", err);
    ck_assert_double_le(dp.sigma, 1e-4);
    double norm;
    ck_assert(agent_dp_release(&dp, g, w, N, 1, &norm, err, sizeof err));
    ck_assert_double_eq_tol(norm, 0.5 * sqrt((double)N), 1e-3);
    ck_assert_int_eq(dp.released, 1);
    double d[N];
    for (size_t i = 0; i < N; i++)
        d[i] = ml_q16_to_double(w[i]) - ml_q16_to_double(g[i]);
    ck_assert_double_eq_tol(norm2(d, N), 2.0, 0.01);

    /* epsilon 1 over 10 rounds: the noise has std sigma * C per coordinate */
    struct agent_dp p = {.epsilon = 1, .delta = 1e-5, .clip = 0.1, .seeded = true,
                         .seed_value = 42};
    ck_assert(agent_dp_setup(&p, 10, err, sizeof err));
    ck_assert_double_le(agent_dp_epsilon(p.sigma, 10, 1e-5, NULL), 1.0);
    memcpy(w, w2, sizeof w);
    ck_assert(agent_dp_release(&p, g, w, N, 1, &norm, err, sizeof err));
    double ss = 0;
    for (size_t i = 0; i < N; i++) {
        double x = ml_q16_to_double(w[i]) - ml_q16_to_double(g[i]);
        ss += x * x;
    }
    /* |clip(delta) + noise|^2 ~ C^2 + N (sigma C)^2 */
    double expect = sqrt(0.01 + N * (p.sigma * 0.1) * (p.sigma * 0.1));
    ck_assert_double_eq_tol(sqrt(ss), expect, 0.1 * expect);
    /* the next round draws other noise; a seeded run repeats a round's */
    int32_t again[N];
    memcpy(again, w2, sizeof w2);
    ck_assert(agent_dp_release(&p, g, again, N, 2, &norm, err, sizeof err));
    ck_assert(memcmp(again, w, sizeof w) != 0);
    ck_assert_int_eq(p.released, 2);
    struct agent_dp q = {.epsilon = 1, .delta = 1e-5, .clip = 0.1, .seeded = true,
                         .seed_value = 42};
    ck_assert(agent_dp_setup(&q, 10, err, sizeof err));
    memcpy(again, w2, sizeof w2);
    ck_assert(agent_dp_release(&q, g, again, N, 1, &norm, err, sizeof err));
    ck_assert(memcmp(again, w, sizeof w) == 0);
    /* without -dp-seed the seed is random */
    struct agent_dp r1 = {.epsilon = 1, .delta = 1e-5, .clip = 0.1};
    struct agent_dp r2 = r1;
    ck_assert(agent_dp_setup(&r1, 10, err, sizeof err));
    ck_assert(agent_dp_setup(&r2, 10, err, sizeof err));
    ck_assert(memcmp(r1.seed, r2.seed, sizeof r1.seed) != 0);
}
END_TEST

static Suite *dp_suite(void)
{
    Suite *s = suite_create("agent_dp");
    TCase *tc = tcase_create("dp");
    tcase_add_test(tc, test_clip_above_makes_norm_c);
    tcase_add_test(tc, test_clip_below_leaves_it);
    tcase_add_test(tc, test_noise_scale);
    tcase_add_test(tc, test_noise_streams);
    tcase_add_test(tc, test_accountant_known_values);
    tcase_add_test(tc, test_accountant_closed_form);
    tcase_add_test(tc, test_calibration);
    tcase_add_test(tc, test_release);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    SRunner *sr = srunner_create(dp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
