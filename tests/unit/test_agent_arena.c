/* fml-agent's side of the AI Arena without a node: the losses a validator
 * computes (log loss with clipped probabilities, mean squared error), their
 * rounding to the chain's Q16.16 u32, the byte format of a validation set,
 * the loss of Q16.16 weights on a set with the task's normalization, the
 * columns a trainer drops, and the -arena-* options of the built program. */
#include "agent/agent.h"
#include "consensus/serialize.h"
#include "ml/quant.h"

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define PIMA FML_TEST_DATA_DIR "/pima-indians-diabetes.csv"

/* arena.c logs through agent.c, which is not linked here. */
volatile sig_atomic_t agent_stop;
void agent_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static char err[1024];

/* ---- Q16.16 rounding ---- */

START_TEST(loss_q16_rounds_to_nearest)
{
    ck_assert_uint_eq(agent_arena_loss_q16(0), 0);
    ck_assert_uint_eq(agent_arena_loss_q16(1.0), 65536);
    ck_assert_uint_eq(agent_arena_loss_q16(0.6931471805599453), 45426);   /* ln 2 = 45426.09 */
    ck_assert_uint_eq(agent_arena_loss_q16(0.5 / 65536), 1);              /* halves go up */
    ck_assert_uint_eq(agent_arena_loss_q16(0.49999 / 65536), 0);
    ck_assert_uint_eq(agent_arena_loss_q16(1.5 / 65536), 2);
    ck_assert_uint_eq(agent_arena_loss_q16(2.5 / 65536), 3);
    ck_assert_uint_eq(agent_arena_loss_q16(2.4999 / 65536), 2);
    ck_assert_uint_eq(agent_arena_loss_q16(16.11809565095832), 1056316);  /* 1056315.52 */
    ck_assert_uint_eq(agent_arena_loss_q16(65535.0), 65535u * 65536u);
}
END_TEST

START_TEST(loss_q16_clamps)
{
    /* 65536 and above do not fit; just below, the rounding saturates */
    ck_assert_uint_eq(agent_arena_loss_q16(65536.0), UINT32_MAX);
    ck_assert_uint_eq(agent_arena_loss_q16(65535.99999), UINT32_MAX);
    ck_assert_uint_eq(agent_arena_loss_q16(65535.5), 65535u * 65536u + 32768u);
    ck_assert_uint_eq(agent_arena_loss_q16(65535.99997), UINT32_MAX - 1);
    ck_assert_uint_eq(agent_arena_loss_q16(1e300), UINT32_MAX);
    ck_assert_uint_eq(agent_arena_loss_q16(INFINITY), UINT32_MAX);
    ck_assert_uint_eq(agent_arena_loss_q16(NAN), UINT32_MAX);
    ck_assert_uint_eq(agent_arena_loss_q16(-1.0), 0);
    ck_assert_uint_eq(agent_arena_loss_q16(-0.0), 0);
}
END_TEST

/* ---- losses ---- */

START_TEST(logloss_binary)
{
    const double p[] = {0.8, 0.3, 0.5};
    const int32_t y[] = {1, 0, 1};
    double want = -(log(0.8) + log(0.7) + log(0.5)) / 3;
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, y, 3, AGENT_ARENA_LOGLOSS), want, 1e-12);
    /* one row */
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, y, 1, AGENT_ARENA_LOGLOSS), -log(0.8),
                            1e-12);
    ck_assert(isnan(agent_arena_loss_proba(p, 1, y, 0, AGENT_ARENA_LOGLOSS)));
}
END_TEST

START_TEST(logloss_clips_at_1e7)
{
    /* A certain wrong answer costs -ln(1e-7), not infinity (nor ml/'s 1e-15). */
    const double p[] = {0.0, 1.0, 1.0, 0.0};
    const int32_t y[] = {1, 0, 1, 0};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, y, 1, AGENT_ARENA_LOGLOSS), -log(1e-7),
                            1e-9);
    ck_assert_double_eq_tol(agent_arena_loss_proba(p + 1, 1, y + 1, 1, AGENT_ARENA_LOGLOSS),
                            -log(1e-7), 1e-9);
    ck_assert_double_eq_tol(agent_arena_loss_proba(p + 2, 1, y + 2, 1, AGENT_ARENA_LOGLOSS),
                            -log(1 - 1e-7), 1e-15);
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, y, 4, AGENT_ARENA_LOGLOSS),
                            (2 * -log(1e-7) + 2 * -log(1 - 1e-7)) / 4, 1e-9);
    ck_assert_uint_eq(agent_arena_loss_q16(agent_arena_loss_proba(p, 1, y, 1,
                                                                  AGENT_ARENA_LOGLOSS)),
                      1056316);
    /* A label the model cannot predict, and a NAN probability, cost the same. */
    const int32_t bad[] = {2};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p + 2, 1, bad, 1, AGENT_ARENA_LOGLOSS),
                            -log(1e-7), 1e-9);
    const double nanp[] = {NAN};
    ck_assert_double_eq_tol(agent_arena_loss_proba(nanp, 1, y, 1, AGENT_ARENA_LOGLOSS),
                            -log(1e-7), 1e-9);
}
END_TEST

START_TEST(logloss_softmax)
{
    const double p[] = {0.2, 0.5, 0.3, 0.6, 0.3, 0.1};
    const int32_t y[] = {2, 0};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 3, y, 2, AGENT_ARENA_LOGLOSS),
                            -(log(0.3) + log(0.6)) / 2, 1e-12);
    const int32_t out[] = {3, -1};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 3, out, 2, AGENT_ARENA_LOGLOSS), -log(1e-7),
                            1e-9);
}
END_TEST

START_TEST(mse_expected_class)
{
    /* one output: the prediction is P(class 1); targets are Q16.16 */
    const double p[] = {0.75, 0.25};
    const int32_t t[] = {ML_Q16_ONE, 0};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, t, 2, AGENT_ARENA_MSE),
                            (0.0625 + 0.0625) / 2, 1e-12);
    const int32_t half[] = {ML_Q16_ONE / 2};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, half, 1, AGENT_ARENA_MSE), 0.0625, 1e-12);
    /* three outputs: the expected class index 0.5 + 2 x 0.3 = 1.1 against 2 */
    const double q[] = {0.2, 0.5, 0.3};
    const int32_t two[] = {2 * ML_Q16_ONE};
    ck_assert_double_eq_tol(agent_arena_loss_proba(q, 3, two, 1, AGENT_ARENA_MSE), 0.81, 1e-12);
    /* a negative target */
    const int32_t neg[] = {-ML_Q16_ONE};
    ck_assert_double_eq_tol(agent_arena_loss_proba(p, 1, neg, 1, AGENT_ARENA_MSE), 1.75 * 1.75,
                            1e-12);
    ck_assert_uint_eq(agent_arena_loss_q16(agent_arena_loss_proba(p, 1, half, 1, AGENT_ARENA_MSE)),
                      4096);
}
END_TEST

/* ---- the validation set's bytes ---- */

/* Rows of (2 features, label) as the chain stores them. */
static uint8_t *set_bytes(const double (*rows)[3], size_t n, size_t *len)
{
    struct wbuf w;
    wbuf_init(&w);
    for (size_t i = 0; i < n; i++) {
        put_i32(&w, ml_q16_from_double(rows[i][0]));
        put_i32(&w, ml_q16_from_double(rows[i][1]));
        put_i32(&w, (int32_t)rows[i][2]);
    }
    return wbuf_take(&w, len);
}

START_TEST(set_parse_rows)
{
    const double rows[][3] = {{1.5, -2.25, 1}, {0, 3, 0}, {-0.5, 0.125, 1}};
    size_t len;
    uint8_t *b = set_bytes(rows, 3, &len);
    ck_assert_uint_eq(len, 36);
    struct agent_arena_set s;
    ck_assert(agent_arena_set_parse(b, len, 2, &s, err, sizeof err));
    ck_assert_uint_eq(s.n_rows, 3);
    ck_assert_uint_eq(s.n_inputs, 2);
    ck_assert_double_eq(s.x[0], 1.5);
    ck_assert_double_eq(s.x[1], -2.25);
    ck_assert_double_eq(s.x[5], 0.125);
    ck_assert_int_eq(s.label[0], 1);
    ck_assert_int_eq(s.label[1], 0);
    agent_arena_set_free(&s);
    /* the bytes little-endian: 1.5 = 0x00018000 */
    ck_assert_uint_eq(b[0], 0x00);
    ck_assert_uint_eq(b[1], 0x80);
    ck_assert_uint_eq(b[2], 0x01);
    ck_assert_uint_eq(b[3], 0x00);
    /* not whole rows, no rows, no inputs */
    ck_assert(!agent_arena_set_parse(b, len - 1, 2, &s, err, sizeof err));
    ck_assert_msg(strstr(err, "not whole rows"), "%s", err);
    ck_assert(!agent_arena_set_parse(b, len, 3, &s, err, sizeof err));   /* 36 % 16 != 0 */
    ck_assert(!agent_arena_set_parse(b, 0, 2, &s, err, sizeof err));
    ck_assert(!agent_arena_set_parse(b, len, 0, &s, err, sizeof err));
    free(b);
}
END_TEST

/* The loss of logistic-regression weights, against the formula by hand. */
START_TEST(loss_of_weights_on_a_set)
{
    const double rows[][3] = {{1, 2, 1}, {-1, 0.5, 0}, {0.25, -1, 1}, {2, 2, 0}};
    size_t len;
    uint8_t *b = set_bytes(rows, 4, &len);
    struct agent_arena_set s;
    ck_assert(agent_arena_set_parse(b, len, 2, &s, err, sizeof err));
    struct ml_model_spec spec;
    ck_assert(ml_spec_logreg(&spec, 2));
    const int32_t w[] = {ml_q16_from_double(0.5), ml_q16_from_double(-0.25),
                         ml_q16_from_double(0.125)};
    double want = 0;
    for (size_t i = 0; i < 4; i++) {
        double z = 0.125 + 0.5 * rows[i][0] - 0.25 * rows[i][1];
        double p = 1 / (1 + exp(-z));
        want += -log(rows[i][2] == 1 ? p : 1 - p);
    }
    want /= 4;
    double got;
    ck_assert(agent_arena_loss(&spec, w, 3, &s, NULL, AGENT_ARENA_LOGLOSS, &got, err, sizeof err));
    ck_assert_double_eq_tol(got, want, 1e-9);

    /* with the task's normalization: (x - mean) / std first */
    struct ml_scaler *sc = ml_scaler_new(2);
    ck_assert_ptr_nonnull(sc);
    sc->mean[0] = 1;
    sc->std[0] = 2;
    sc->mean[1] = -1;
    sc->std[1] = 0.5;
    want = 0;
    for (size_t i = 0; i < 4; i++) {
        double x0 = (rows[i][0] - 1) / 2, x1 = (rows[i][1] + 1) / 0.5;
        double p = 1 / (1 + exp(-(0.125 + 0.5 * x0 - 0.25 * x1)));
        want += -log(rows[i][2] == 1 ? p : 1 - p);
    }
    want /= 4;
    ck_assert(agent_arena_loss(&spec, w, 3, &s, sc, AGENT_ARENA_LOGLOSS, &got, err, sizeof err));
    ck_assert_double_eq_tol(got, want, 1e-9);
    /* the set's rows are not changed by the normalization */
    ck_assert_double_eq(s.x[0], 1);

    /* MSE of the same weights against targets 1 / 0 as Q16.16 */
    struct agent_arena_set t = s;
    int32_t q16_labels[4];
    for (size_t i = 0; i < 4; i++)
        q16_labels[i] = s.label[i] * ML_Q16_ONE;
    t.label = q16_labels;
    want = 0;
    for (size_t i = 0; i < 4; i++) {
        double p = 1 / (1 + exp(-(0.125 + 0.5 * rows[i][0] - 0.25 * rows[i][1])));
        want += (p - rows[i][2]) * (p - rows[i][2]);
    }
    ck_assert(agent_arena_loss(&spec, w, 3, &t, NULL, AGENT_ARENA_MSE, &got, err, sizeof err));
    ck_assert_double_eq_tol(got, want / 4, 1e-9);

    /* wrong weight count, wrong input count */
    ck_assert(!agent_arena_loss(&spec, w, 2, &s, NULL, AGENT_ARENA_LOGLOSS, &got, err, sizeof err));
    struct ml_model_spec three;
    ck_assert(ml_spec_logreg(&three, 3));
    ck_assert(!agent_arena_loss(&three, w, 3, &s, NULL, AGENT_ARENA_LOGLOSS, &got, err,
                                sizeof err));
    ck_assert_msg(strstr(err, "2 inputs, the model 3"), "%s", err);
    ml_scaler_free(sc);
    agent_arena_set_free(&s);
    free(b);
}
END_TEST

/* Zero weights predict 1/2 everywhere: ln 2 whatever the rows. */
START_TEST(zero_weights_cost_ln2)
{
    const double rows[][3] = {{1, 2, 1}, {-1, 0.5, 0}, {0.25, -1, 1}};
    size_t len;
    uint8_t *b = set_bytes(rows, 3, &len);
    struct agent_arena_set s;
    ck_assert(agent_arena_set_parse(b, len, 2, &s, err, sizeof err));
    struct ml_model_spec spec;
    ck_assert(ml_spec_logreg(&spec, 2));
    const int32_t w[3] = {0};
    double got;
    ck_assert(agent_arena_loss(&spec, w, 3, &s, NULL, AGENT_ARENA_LOGLOSS, &got, err, sizeof err));
    ck_assert_uint_eq(agent_arena_loss_q16(got), 45426);
    agent_arena_set_free(&s);
    free(b);
}
END_TEST

/* ---- dropped features ---- */

START_TEST(drop_features_zeroes_columns)
{
    struct ml_dataset *ds = ml_dataset_new(2, 3, 2);
    ck_assert_ptr_nonnull(ds);
    const char *const names[] = {"a", "b", "c"};
    ck_assert(ml_dataset_set_feature_names(ds, names));
    for (size_t i = 0; i < 6; i++)
        ds->x[i] = (double)i + 1;
    ck_assert(agent_arena_check_features(ds, "a,c", err, sizeof err));
    ck_assert_double_eq(ds->x[0], 1);   /* a check changes nothing */
    ck_assert(agent_arena_drop_features(ds, "a,c", err, sizeof err));
    ck_assert_double_eq(ds->x[0], 0);
    ck_assert_double_eq(ds->x[1], 2);
    ck_assert_double_eq(ds->x[2], 0);
    ck_assert_double_eq(ds->x[3], 0);
    ck_assert_double_eq(ds->x[4], 5);
    ck_assert_double_eq(ds->x[5], 0);
    ck_assert(agent_arena_drop_features(ds, NULL, err, sizeof err));
    ck_assert(agent_arena_drop_features(ds, "", err, sizeof err));
    ck_assert(!agent_arena_check_features(ds, "b,nosuch", err, sizeof err));
    ck_assert_msg(strstr(err, "no column \"nosuch\""), "%s", err);
    ml_dataset_free(ds);
}
END_TEST

/* ---- options, through the built program ---- */

static int agent_run(const char *args, char *out, size_t outlen)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' -datadir=/nonexistent/fml-agent-test %s 2>&1", FML_AGENT_BIN,
             args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

START_TEST(arena_options_are_checked)
{
    char out[16384];
    ck_assert_int_eq(agent_run("-arena-trainer -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-arena-trainer needs -task=<id> and -data=<file.csv>"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-validator", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-arena-validator needs -task=<id>"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-trainer -arena-validator -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "Choose one of"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-validator -task=00 -malicious=copy", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-malicious=copy: random-scores or lazy is expected"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-trainer -task=00 -data=" PIMA " -malicious=random-scores",
                               out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-malicious=random-scores: copy or lazy is expected"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-trainer -task=00 -data=" PIMA " -malicious=flip", out,
                               sizeof out), 1);
    ck_assert_msg(strstr(out, "copy or lazy is expected"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-validator -task=00 -dropfeatures=age", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-dropfeatures is a trainer's option"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-trainer -task=00 -positive=pos -data=" PIMA
                               " -dropfeatures=glucose,nosuch", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-dropfeatures: the data has no column \"nosuch\""), "%s", out);
    ck_assert_int_eq(agent_run("-arena-trainer -task=00 -data=" PIMA " -epochs=0", out,
                               sizeof out), 1);
    ck_assert_msg(strstr(out, "epochs"), "%s", out);
    /* valid options get as far as the node: here there is none */
    ck_assert_int_eq(agent_run("-arena-trainer -task=00 -positive=pos -data=" PIMA
                               " -dropfeatures=glucose -malicious=copy", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "does not exist"), "%s", out);
    ck_assert_int_eq(agent_run("-arena-validator -task=00 -malicious=random-scores", out,
                               sizeof out), 1);
    ck_assert_msg(strstr(out, "does not exist"), "%s", out);
    ck_assert_int_eq(agent_run("-help", out, sizeof out), 0);
    ck_assert_msg(strstr(out, "-arena-trainer") && strstr(out, "-arena-validator") &&
                  strstr(out, "-dropfeatures"), "%s", out);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("agent_arena");
    TCase *tc = tcase_create("loss");
    tcase_add_test(tc, loss_q16_rounds_to_nearest);
    tcase_add_test(tc, loss_q16_clamps);
    tcase_add_test(tc, logloss_binary);
    tcase_add_test(tc, logloss_clips_at_1e7);
    tcase_add_test(tc, logloss_softmax);
    tcase_add_test(tc, mse_expected_class);
    tcase_add_test(tc, set_parse_rows);
    tcase_add_test(tc, loss_of_weights_on_a_set);
    tcase_add_test(tc, zero_weights_cost_ln2);
    tcase_add_test(tc, drop_features_zeroes_columns);
    suite_add_tcase(s, tc);
    tc = tcase_create("options");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, arena_options_are_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ml_init();
    SRunner *sr = srunner_create(arena_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
