/* fml-agent without a node: its options (through the built program), the
 * private CSV file (loading, refusing malformed files, the task's
 * normalization, published statistics), the model maths (spec, weights from
 * the node, deterministic training, the -malicious changes), the weights it
 * submits (through the node's JSON and the chain's update encoding), a
 * voter's vote on a candidate, and the offline modes (-stats, -baseline). */
#include "agent/agent.h"
#include "consensus/fltx.h"
#include "consensus/serialize.h"
#include "ml/quant.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIMA FML_TEST_DATA_DIR "/pima-indians-diabetes.csv"

static char err[1024];

/* A temporary file holding text; the caller unlinks and frees the name. */
static char *temp_csv(const char *text)
{
    char *path = strdup("/tmp/fml-agent-test-XXXXXX");
    ck_assert_ptr_nonnull(path);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t n = strlen(text);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static bool load_text(const char *text, const struct agent_data_opts *o, struct ml_dataset **ds)
{
    char *path = temp_csv(text);
    err[0] = '\0';
    bool ok = agent_data_load(path, o, ds, err, sizeof err);
    unlink(path);
    free(path);
    return ok;
}

/* stdout and stderr of fn(arg) while it runs, into out; returns fn's result. */
static int capture_output(int (*fn)(const void *), const void *arg, char *out, size_t outlen)
{
    char path[] = "/tmp/fml-agent-out-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    int rc = fn(arg);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved);
    close(saved_err);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return rc;
}

/* ---- the private CSV ---- */

START_TEST(data_label_is_the_last_column)
{
    const struct agent_data_opts o = {0};
    struct ml_dataset *ds;
    ck_assert(load_text("a,b,\"the label\"\r\n1,2.5,0\n3,,1\n", &o, &ds));
    ck_assert_uint_eq(ds->n_rows, 2);
    ck_assert_uint_eq(ds->n_features, 2);
    ck_assert_str_eq(ds->feature_names[0], "a");
    ck_assert_str_eq(ds->feature_names[1], "b");
    ck_assert_double_eq(ds->x[0], 1);
    ck_assert_double_eq(ds->x[1], 2.5);
    ck_assert_double_eq(ds->x[2], 3);
    ck_assert(isnan(ds->x[3])); /* an empty cell is missing */
    ck_assert_uint_eq(ds->y[0], 0);
    ck_assert_uint_eq(ds->y[1], 1);
    ml_dataset_free(ds);

    /* -label picks another column; the last one becomes a feature */
    const struct agent_data_opts byname = {.label = "a"};
    ck_assert(load_text("a,b,c\n1,2,3\n0,5,6\n", &byname, &ds));
    ck_assert_uint_eq(ds->n_features, 2);
    ck_assert_str_eq(ds->feature_names[1], "c");
    ck_assert_uint_eq(ds->y[0], 1);
    ck_assert_double_eq(ds->x[3], 6);
    ml_dataset_free(ds);
}
END_TEST

START_TEST(data_pima_positive_and_zero_missing)
{
    const struct agent_data_opts o = {.positive = "pos", .zero_missing = "insulin,triceps"};
    struct ml_dataset *ds;
    ck_assert_msg(agent_data_load(PIMA, &o, &ds, err, sizeof err), "%s", err);
    ck_assert_uint_eq(ds->n_rows, 768);
    ck_assert_uint_eq(ds->n_features, 8);
    ck_assert_uint_eq(ds->n_classes, 2);
    ck_assert_str_eq(ds->feature_names[7], "age");
    /* 6,148,72,35,0,33.6,0.627,50,pos then 1,85,66,29,0,26.6,0.351,31,neg */
    ck_assert_double_eq(ds->x[1], 148);
    ck_assert(isnan(ds->x[4])); /* insulin 0: missing */
    ck_assert_double_eq(ds->x[3], 35);
    ck_assert_double_eq(ds->x[8 + 6], 0.351);
    ck_assert_uint_eq(ds->y[0], 1);
    ck_assert_uint_eq(ds->y[1], 0);
    ml_dataset_free(ds);
}
END_TEST

START_TEST(data_malformed_files_are_refused)
{
    const struct agent_data_opts o = {0};
    struct ml_dataset *ds = NULL;
    ck_assert(!load_text("", &o, &ds));
    ck_assert_ptr_nonnull(strstr(err, "empty file"));
    ck_assert(!load_text("a,b,y\n", &o, &ds));
    ck_assert_ptr_nonnull(strstr(err, "no data rows after the header"));
    ck_assert_ptr_null(ds);
    ck_assert(!load_text("a,b,y\n1,2,0\n3,4\n", &o, &ds));
    ck_assert_msg(strstr(err, ":3: expected 3 columns, found 2"), "%s", err);
    ck_assert(!load_text("a,b,y\n1,two,0\n", &o, &ds));
    ck_assert_msg(strstr(err, ":2: column 'b'"), "%s", err);
    ck_assert(!load_text("a,b,\n1,2,0\n", &o, &ds));
    ck_assert_msg(strstr(err, "no usable name; give -label"), "%s", err);
    const struct agent_data_opts nolabel = {.label = "nosuch"};
    ck_assert(!load_text("a,b,y\n1,2,0\n", &nolabel, &ds));
    ck_assert_msg(strstr(err, "no column named 'nosuch'"), "%s", err);
    ck_assert(!agent_data_load("/nonexistent/file.csv", &o, &ds, err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/file.csv: cannot open"), "%s", err);
}
END_TEST

/* The task's normalization: missing = mean, then (x - mean) / std. */
START_TEST(data_task_normalization)
{
    const struct agent_data_opts o = {0};
    struct ml_dataset *ds, *t;
    struct ml_scaler *sc;
    ck_assert(load_text("a,b,y\n6,1,0\n,3,1\n10,5,1\n", &o, &ds));
    json_t *spec = json_pack("{s:[{s:i,s:i},{s:i,s:i}]}", "normalization", "mean_q16",
                             2 * 65536, "std_q16", 4 * 65536, "mean_q16", -65536, "std_q16",
                             65536 / 2);
    ck_assert_msg(agent_data_task_scaler(spec, ds, &sc, err, sizeof err), "%s", err);
    t = agent_data_transformed(ds, sc, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    ck_assert_double_eq(t->x[0], 1.0);   /* (6 - 2) / 4 */
    ck_assert_double_eq(t->x[1], 4.0);   /* (1 + 1) / 0.5 */
    ck_assert_double_eq(t->x[2], 0.0);   /* missing: the mean */
    ck_assert_double_eq(t->x[4], 2.0);   /* (10 - 2) / 4 */
    ck_assert_double_eq(t->x[5], 12.0);  /* (5 + 1) / 0.5 */
    ck_assert(isnan(ds->x[2]));          /* the input is left as it was */
    ml_dataset_free(t);
    ml_scaler_free(sc);
    json_decref(spec);

    /* No normalization: raw values, a missing one is the column's mean. */
    spec = json_object();
    ck_assert(agent_data_task_scaler(spec, ds, &sc, err, sizeof err));
    t = agent_data_transformed(ds, sc, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    ck_assert_double_eq(t->x[0], 6);
    ck_assert_double_eq(t->x[2], 8); /* (6 + 10) / 2 */
    ck_assert_double_eq(t->x[5], 5);
    ml_dataset_free(t);
    ml_scaler_free(sc);
    json_decref(spec);

    /* A normalization for another number of features, or a zero std. */
    spec = json_pack("{s:[{s:i,s:i}]}", "normalization", "mean_q16", 0, "std_q16", 65536);
    ck_assert(!agent_data_task_scaler(spec, ds, &sc, err, sizeof err));
    ck_assert_str_eq(err, "The task normalizes 1 inputs; the data has 2 features");
    ck_assert_ptr_null(sc);
    json_decref(spec);
    spec = json_pack("{s:[{s:i,s:i},{s:i,s:i}]}", "normalization", "mean_q16", 0, "std_q16",
                     65536, "mean_q16", 0, "std_q16", 0);
    ck_assert(!agent_data_task_scaler(spec, ds, &sc, err, sizeof err));
    ck_assert_str_eq(err, "The task's normalization[1] is malformed");
    json_decref(spec);
    ml_dataset_free(ds);
}
END_TEST

START_TEST(data_stats_and_flipped_labels)
{
    const struct agent_data_opts o = {0};
    struct ml_dataset *ds;
    ck_assert(load_text("a,b,y\n1,,0\n2,4,1\n3,-1,2\n", &o, &ds));
    json_t *s = agent_data_stats(ds);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "rows")), 3);
    const json_t *fa = json_array_get(json_object_get(s, "features"), 0);
    const json_t *fb = json_array_get(json_object_get(s, "features"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(fa, "name")), "a");
    ck_assert_int_eq(json_integer_value(json_object_get(fa, "count")), 3);
    ck_assert_double_eq(json_real_value(json_object_get(fa, "sum")), 6);
    ck_assert_double_eq(json_real_value(json_object_get(fa, "sumsq")), 14);
    ck_assert_int_eq(json_integer_value(json_object_get(fb, "count")), 2);
    ck_assert_double_eq(json_real_value(json_object_get(fb, "sum")), 3);
    ck_assert_double_eq(json_real_value(json_object_get(fb, "sumsq")), 17);
    json_decref(s);

    ck_assert_uint_eq(ds->n_classes, 3);
    agent_data_flip_labels(ds);
    ck_assert_uint_eq(ds->y[0], 1);
    ck_assert_uint_eq(ds->y[1], 2);
    ck_assert_uint_eq(ds->y[2], 0);
    ml_dataset_free(ds);
}
END_TEST

/* ---- the model ---- */

static bool spec_of(const char *json, struct ml_model_spec *s)
{
    json_t *m = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(m);
    bool ok = agent_model_spec(m, s, err, sizeof err);
    json_decref(m);
    return ok;
}

START_TEST(model_spec_from_task)
{
    struct ml_model_spec s;
    ck_assert(spec_of("{\"kind\":\"logistic\",\"sizes\":[8,1]}", &s));
    ck_assert_uint_eq(ml_param_count(&s), 9);
    ck_assert_uint_eq(ml_spec_n_inputs(&s), 8);
    ck_assert_uint_eq(ml_spec_n_classes(&s), 2);
    ck_assert(spec_of("{\"kind\":\"softmax\",\"sizes\":[64,10]}", &s));
    ck_assert_uint_eq(ml_param_count(&s), 650);
    ck_assert_uint_eq(ml_spec_n_classes(&s), 10);
    ck_assert(spec_of("{\"kind\":\"mlp\",\"sizes\":[4,3,2]}", &s));
    ck_assert_uint_eq(ml_param_count(&s), 4 * 3 + 3 + 3 * 2 + 2);

    ck_assert(!spec_of("{\"kind\":\"logistic\",\"sizes\":[8,2]}", &s));
    ck_assert_str_eq(err, "The task's model (logistic) is not one this agent can train");
    ck_assert(!spec_of("{\"kind\":\"forest\",\"sizes\":[8,1]}", &s));
    ck_assert_str_eq(err, "The task's model (forest) is not one this agent can train");
    ck_assert(!spec_of("{\"kind\":\"logistic\",\"sizes\":[0,1]}", &s));
    ck_assert_str_eq(err, "The task's model spec has a bad size");
    ck_assert(!spec_of("{\"kind\":\"logistic\",\"sizes\":[8]}", &s));
    ck_assert_str_eq(err, "The task's model spec is malformed");
    ck_assert(!spec_of("{\"sizes\":[8,1]}", &s));
    ck_assert_str_eq(err, "The task's model spec is malformed");
}
END_TEST

/* The weights the agent submits (a JSON array of Q16.16 integers), read
 * back as the node's flgetmodel sends them and as the chain encodes an
 * update's reveal: the same integers at each step. */
START_TEST(model_weights_roundtrip)
{
    const int32_t w[5] = {0, 1, -1, INT32_MAX, INT32_MIN};
    json_t *arr = json_array();
    for (size_t i = 0; i < 5; i++)
        json_array_append_new(arr, json_integer(w[i]));
    json_t *res = json_pack("{s:o}", "weights_q16", arr);
    int32_t q[5] = {7, 7, 7, 7, 7};
    ck_assert_msg(agent_model_weights(res, q, 5, err, sizeof err), "%s", err);
    ck_assert_mem_eq(q, w, sizeof w);

    struct fl_update_reveal u = {.round = 3, .n = 5};
    memset(u.task, 0xab, sizeof u.task);
    memset(u.salt, 0x5a, sizeof u.salt);
    uint8_t le[5 * 4];
    for (size_t i = 0; i < 5; i++)
        for (size_t b = 0; b < 4; b++)
            le[4 * i + b] = (uint8_t)((uint32_t)q[i] >> (8 * b));
    u.weights = le;
    struct wbuf wb;
    wbuf_init(&wb);
    fl_update_reveal_encode(&u, &wb);
    struct fl_update_reveal d;
    ck_assert(fl_update_reveal_decode(&d, wb.data, wb.len));
    ck_assert_uint_eq(d.round, 3);
    ck_assert_mem_eq(d.salt, u.salt, sizeof u.salt);
    ck_assert_uint_eq(d.n, 5);
    ck_assert_mem_eq(d.task, u.task, sizeof u.task);
    for (size_t i = 0; i < 5; i++) {
        uint32_t v = 0;
        for (size_t b = 0; b < 4; b++)
            v |= (uint32_t)d.weights[4 * i + b] << (8 * b);
        ck_assert_int_eq((int32_t)v, w[i]);
    }
    wbuf_free(&wb);

    /* Wrong count, or a value outside int32. */
    ck_assert(!agent_model_weights(res, q, 4, err, sizeof err));
    ck_assert_str_eq(err, "The node sent 5 weights, the model has 4");
    json_array_set_new(json_object_get(res, "weights_q16"), 2, json_integer(INT64_C(1) << 31));
    ck_assert(!agent_model_weights(res, q, 5, err, sizeof err));
    ck_assert_str_eq(err, "The node sent a malformed weight at 2");
    json_array_set_new(json_object_get(res, "weights_q16"), 2, json_real(1.5));
    ck_assert(!agent_model_weights(res, q, 5, err, sizeof err));
    ck_assert_str_eq(err, "The node sent a malformed weight at 2");
    json_decref(res);
    json_t *none = json_object();
    ck_assert(!agent_model_weights(none, q, 5, err, sizeof err));
    json_decref(none);
}
END_TEST

/* The Pima rows standardized by their own fit, and a logistic spec. */
static struct ml_dataset *pima_standardized(struct ml_model_spec *spec)
{
    const struct agent_data_opts o = {.positive = "pos"};
    struct ml_dataset *ds;
    struct ml_scaler *sc;
    ck_assert_msg(agent_data_load(PIMA, &o, &ds, err, sizeof err), "%s", err);
    ck_assert(ml_scaler_fit(ds, &sc, err, sizeof err));
    struct ml_dataset *t = agent_data_transformed(ds, sc, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    ml_scaler_free(sc);
    ml_dataset_free(ds);
    ck_assert(ml_spec_logreg(spec, 8));
    return t;
}

START_TEST(model_training_is_deterministic_and_learns)
{
    struct ml_model_spec spec;
    struct ml_dataset *t = pima_standardized(&spec);
    const struct agent_train_cfg cfg = {.epochs = 5, .learning_rate = 0.05, .batch_size = 32,
                                        .seed = 7};
    int32_t zero[9] = {0}, a[9], b[9], c[9];
    ck_assert_msg(agent_model_train(&spec, zero, 9, t, &cfg, AGENT_HONEST, a, err, sizeof err),
                  "%s", err);
    ck_assert(agent_model_train(&spec, zero, 9, t, &cfg, AGENT_HONEST, b, err, sizeof err));
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert(memcmp(a, zero, sizeof a) != 0);

    struct ml_eval e0, e1;
    ck_assert(agent_model_evaluate(&spec, zero, 9, t, &e0, err, sizeof err));
    ck_assert(agent_model_evaluate(&spec, a, 9, t, &e1, err, sizeof err));
    ck_assert_uint_eq(e1.n, 768);
    ck_assert_double_eq_tol(e0.log_loss, log(2.0), 1e-9);
    ck_assert_double_lt(e1.log_loss, 0.55);
    ck_assert_double_gt(e1.accuracy, 0.72);
    ck_assert_double_gt(e1.auc, 0.8);

    /* Another seed shuffles the batches differently. */
    const struct agent_train_cfg other = {.epochs = 5, .learning_rate = 0.05, .batch_size = 32,
                                          .seed = 8};
    ck_assert(agent_model_train(&spec, zero, 9, t, &other, AGENT_HONEST, c, err, sizeof err));
    ck_assert(memcmp(a, c, sizeof a) != 0);

    /* Weights for another model size are refused. */
    ck_assert(!agent_model_evaluate(&spec, a, 8, t, &e1, err, sizeof err));
    ck_assert_str_eq(err, "8 weights for a model of 9 parameters");
    ml_dataset_free(t);
}
END_TEST

/* -malicious=scale multiplies the honest update by AGENT_SCALE_FACTOR;
 * -malicious=noise draws bounded weights from the seed alone. */
START_TEST(model_malicious_updates)
{
    struct ml_model_spec spec;
    struct ml_dataset *t = pima_standardized(&spec);
    const struct agent_train_cfg cfg = {.epochs = 1, .learning_rate = 0.01, .batch_size = 64,
                                        .seed = 3};
    int32_t start[9], honest[9], scaled[9], noise[9], noise2[9];
    for (size_t i = 0; i < 9; i++)
        start[i] = (int32_t)(i * 1000) - 4000;
    ck_assert(agent_model_train(&spec, start, 9, t, &cfg, AGENT_HONEST, honest, err, sizeof err));
    ck_assert(agent_model_train(&spec, start, 9, t, &cfg, AGENT_SCALE, scaled, err, sizeof err));
    bool moved = false;
    for (size_t i = 0; i < 9; i++) {
        double want = start[i] + AGENT_SCALE_FACTOR * ((double)honest[i] - start[i]);
        /* honest[] is rounded to Q16.16, the scaled update is not */
        ck_assert_double_le(fabs(scaled[i] - want), AGENT_SCALE_FACTOR * 0.5 + 1);
        moved = moved || honest[i] != start[i];
    }
    ck_assert(moved);

    ck_assert(agent_model_train(&spec, start, 9, t, &cfg, AGENT_NOISE, noise, err, sizeof err));
    ck_assert(agent_model_train(&spec, honest, 9, t, &cfg, AGENT_NOISE, noise2, err, sizeof err));
    ck_assert_mem_eq(noise, noise2, sizeof noise); /* the start does not matter */
    bool differs = false;
    for (size_t i = 0; i < 9; i++) {
        ck_assert_int_le(abs(noise[i]), (int)(AGENT_NOISE_BOUND * 65536));
        differs = differs || noise[i] != honest[i];
    }
    ck_assert(differs);
    ml_dataset_free(t);
}
END_TEST

/* ---- the round: a voter's vote ---- */

START_TEST(round_vote_rule)
{
    struct agent_task_opts o = {.tolerance = 0.05, .max_step = 0, .malice = AGENT_HONEST};
    const int32_t g[2] = {0, 0}, own[2] = {30, 40}; /* own step 50 */
    int32_t cand[2] = {60, 80};                      /* candidate step 100 */
    double ratio = -1;
    /* the loss rule alone, at the edge of the tolerance */
    ck_assert_int_eq(agent_model_vote(0.50, 0.50, 0, g, cand, own, 2, &o, &ratio), 1);
    ck_assert_int_eq(agent_model_vote(0.55, 0.50, 0, g, cand, own, 2, &o, &ratio), 1);
    ck_assert_int_eq(agent_model_vote(0.5501, 0.50, 0, g, cand, own, 2, &o, &ratio), -1);
    ck_assert_double_eq(ratio, -1); /* no step bound: no ratio */
    o.malice = AGENT_FLIP;
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 0, g, cand, own, 2, &o, &ratio), -1);
    ck_assert_int_eq(agent_model_vote(0.90, 0.50, 0, g, cand, own, 2, &o, &ratio), 1);
    o.malice = AGENT_HONEST;

    /* the step bound: |cand - g| / max(|own - g|, |g| / 10, 1) */
    o.max_step = 2;
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 0, g, cand, own, 2, &o, &ratio), 1);
    ck_assert_double_eq(ratio, 2.0);
    o.max_step = 1.99;
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 0, g, cand, own, 2, &o, &ratio), -1);
    ck_assert_double_eq(ratio, 2.0);
    o.malice = AGENT_SCALE; /* a malicious voter approves the outsized update */
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 0, g, cand, own, 2, &o, &ratio), 1);
    o.malice = AGENT_HONEST;

    /* a voter that did not move: the yardstick is a tenth of |g| */
    const int32_t g2[2] = {3000, 4000}; /* |g| = 5000 */
    const int32_t cand2[2] = {3000 + 600, 4000 + 800}; /* step 1000 */
    o.max_step = 2;
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 0, g2, cand2, g2, 2, &o, &ratio), 1);
    ck_assert_double_eq(ratio, 2.0);
    /* ... and at least 1 */
    const int32_t z[2] = {0, 0}, cand3[2] = {3, 4};
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 0, z, cand3, z, 2, &o, &ratio), -1);
    ck_assert_double_eq(ratio, 5.0);

    /* the whole-file bound on the update's own weights (-maxloss) */
    o.max_step = 0;
    o.max_loss = 1.0;
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 1.0, g, cand, own, 2, &o, &ratio), 1);
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 1.0001, g, cand, own, 2, &o, &ratio), -1);
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, NAN, g, cand, own, 2, &o, &ratio), -1);
    o.malice = AGENT_FLIP; /* a malicious voter approves the confidently wrong update */
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 3.0, g, cand, own, 2, &o, &ratio), 1);
    o.malice = AGENT_HONEST;
    o.max_loss = 0; /* off: any rise passes */
    ck_assert_int_eq(agent_model_vote(0.40, 0.50, 50.0, g, cand, own, 2, &o, &ratio), 1);
}
END_TEST

/* A voter measures G + (W - G) / k: what one update does in an aggregate of
 * k slots. */
START_TEST(round_candidate_of_one_update)
{
    const int32_t g[4] = {0, 65536, -65536, INT32_MAX};
    const int32_t w[4] = {65536, 65536 * 3, 65536, INT32_MIN};
    int32_t c[4];
    agent_model_candidate(g, w, 4, 1, c);
    ck_assert_mem_eq(c, w, sizeof w);                  /* k = 1: the update itself */
    agent_model_candidate(g, w, 4, 2, c);
    ck_assert_int_eq(c[0], 32768);                     /* halfway */
    ck_assert_int_eq(c[1], 65536 * 2);
    ck_assert_int_eq(c[2], 0);
    ck_assert_int_eq(c[3], -1);       /* (MAX + MIN) / 2 = -0.5: away from zero */
    agent_model_candidate(g, w, 4, 3, c);
    ck_assert_int_eq(c[0], 21845);                     /* 65536 / 3 = 21845.33 */
    ck_assert_int_eq(c[1], 65536 + 43691);             /* 2 / 3 of 65536 = 43690.67 */
    ck_assert_int_eq(c[2], -65536 + 43691);
    agent_model_candidate(g, g, 4, 5, c);
    ck_assert_mem_eq(c, g, sizeof g);                  /* no change: G */
}
END_TEST

/* ---- offline modes ---- */

static int run_stats(const void *path)
{
    const struct agent_data_opts o = {0};
    return agent_print_stats(path, &o);
}

START_TEST(offline_stats_prints_sums)
{
    char *path = temp_csv("x,y\n1.5,0\n2.5,1\n");
    char out[4096];
    ck_assert_int_eq(capture_output(run_stats, path, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", out);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "rows")), 2);
    const json_t *f = json_array_get(json_object_get(j, "features"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "name")), "x");
    ck_assert_double_eq(json_real_value(json_object_get(f, "sum")), 4);
    ck_assert_double_eq(json_real_value(json_object_get(f, "sumsq")), 8.5);
    json_decref(j);
    unlink(path);
    free(path);
    ck_assert_int_eq(capture_output(run_stats, "/nonexistent.csv", out, sizeof out), 1);
    ck_assert_str_eq(out, "Error: /nonexistent.csv: cannot open: No such file or directory\n");
}
END_TEST

struct baseline_args {
    const char *train[2];
    size_t n;
    const char *eval;
};

static int run_baseline(const void *p)
{
    const struct baseline_args *a = p;
    const struct agent_data_opts o = {.positive = "pos"};
    const struct agent_train_cfg cfg = {.epochs = 20, .learning_rate = 0.05, .batch_size = 32,
                                        .seed = 1};
    return agent_baseline(a->train, a->n, a->eval, &o, 0.2, &cfg, true);
}

START_TEST(offline_baseline_pools_files)
{
    char out[4096];
    const struct baseline_args one = {{PIMA}, 1, PIMA};
    ck_assert_int_eq(capture_output(run_baseline, &one, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", out);
    /* the training part of the private split: 768 - round(0.2 * 768) */
    ck_assert_int_eq(json_integer_value(json_object_get(j, "train_rows")), 614);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "rows")), 768);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "files")), 1);
    ck_assert_double_gt(json_real_value(json_object_get(j, "accuracy")), 0.72);
    ck_assert_double_gt(json_real_value(json_object_get(j, "auc")), 0.8);
    json_decref(j);

    const struct baseline_args two = {{PIMA, PIMA}, 2, PIMA};
    ck_assert_int_eq(capture_output(run_baseline, &two, out, sizeof out), 0);
    j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "train_rows")), 2 * 614);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "files")), 2);
    json_decref(j);

    /* Files whose columns differ are not pooled. */
    char *other = temp_csv("a,b,diabetes\n1,2,pos\n3,4,neg\n5,6,pos\n7,8,neg\n9,1,pos\n");
    const struct baseline_args bad = {{PIMA, other}, 2, PIMA};
    ck_assert_int_eq(capture_output(run_baseline, &bad, out, sizeof out), 1);
    ck_assert_str_eq(out, "Error: The files have 8 and 2 features\n");
    unlink(other);
    free(other);
}
END_TEST

/* ---- options, through the built program ---- */

/* Runs fml-agent with args (after a -datadir that does not exist, so that
 * nothing is ever read from or sent to a node); its exit code, and stdout
 * and stderr into out. */
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

START_TEST(options_are_checked)
{
    char out[16384];
    ck_assert_int_eq(agent_run("-malicious=bogus -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-malicious=bogus: flip, noise or scale is expected"), "%s", out);
    ck_assert_int_eq(agent_run("-testfraction=0.95 -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-testfraction=0.95: a number from 0.01 to 0.9 is expected"), "%s",
                  out);
    ck_assert_int_eq(agent_run("-learningrate=abc -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-learningrate=abc: a number from"), "%s", out);
    ck_assert_int_eq(agent_run("-tolerance=nan -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-tolerance=nan: a number from"), "%s", out);
    ck_assert_int_eq(agent_run("-epochs=0 -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "epochs"), "%s", out);
    ck_assert_int_eq(agent_run("-data=x.csv", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-data=<file.csv> and -task=<id> are required"), "%s", out);
    ck_assert_int_eq(agent_run("-baseline -stats -data=x.csv", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "Choose one of -baseline, -evaluate, -stats, -arena-trainer, "
                              "-arena-validator and -market-buy"), "%s", out);
    ck_assert_int_eq(agent_run("-market-buy -stats -data=x.csv", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "Choose one of"), "%s", out);
    ck_assert_int_eq(agent_run("-market-buy -market-model=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-market-buy needs -market-model=<id>, -market-provider=<addr> "
                              "and -market-csv=<file>"), "%s", out);
    ck_assert_int_eq(agent_run("-market-buy -market-model=00 -market-provider=x "
                               "-market-csv=x.csv -market-batch=10001", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "market-batch"), "%s", out);
    ck_assert_int_eq(agent_run("-stats", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-stats needs -data=<file.csv>"), "%s", out);
    ck_assert_int_eq(agent_run("-baseline -data=x.csv", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-baseline needs"), "%s", out);
    ck_assert_int_eq(agent_run("-evaluate -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-evaluate needs -task=<id> and -eval=<file.csv>"), "%s", out);
    ck_assert_int_eq(agent_run("-nosuchoption=1", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "Error parsing command line arguments"), "%s", out);
    ck_assert_int_eq(agent_run("-stats stray", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "unexpected argument \"stray\""), "%s", out);
    /* differential privacy: off unless -dp-epsilon; bounds */
    ck_assert_int_eq(agent_run("-dp-delta=1e-6 -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-dp-delta needs -dp-epsilon"), "%s", out);
    ck_assert_int_eq(agent_run("-dp-seed=3 -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-dp-seed needs -dp-epsilon"), "%s", out);
    ck_assert_int_eq(agent_run("-dp-epsilon=0 -data=x.csv -task=00", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "-dp-epsilon=0: a number from"), "%s", out);
    ck_assert_int_eq(agent_run("-dp-epsilon=1 -dp-delta=0.5 -data=x.csv -task=00", out,
                               sizeof out), 1);
    ck_assert_msg(strstr(out, "-dp-delta=0.5: a number from"), "%s", out);
    ck_assert_int_eq(agent_run("-dp-epsilon=1 -dp-clip=-1 -data=x.csv -task=00", out,
                               sizeof out), 1);
    ck_assert_msg(strstr(out, "-dp-clip=-1: a number from"), "%s", out);
    ck_assert_int_eq(agent_run("-help", out, sizeof out), 0);
    ck_assert_msg(strstr(out, "Usage:"), "%s", out);
    ck_assert_msg(strstr(out, "-dp-epsilon=<x>"), "%s", out);
    ck_assert_msg(strstr(out, "-market-buy"), "%s", out);
}
END_TEST

START_TEST(options_stats_and_baseline_modes)
{
    char out[8192];
    ck_assert_int_eq(agent_run("-stats -positive=pos -data=" PIMA, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", out);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "rows")), 768);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "features")), 8);
    json_decref(j);
    ck_assert_int_eq(agent_run("-stats -label=nosuch -data=" PIMA, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "no column named 'nosuch'"), "%s", out);
    ck_assert_int_eq(agent_run("-baseline -epochs=3 -seed=2 -positive=pos -data=" PIMA
                               " -eval=" PIMA, out, sizeof out), 0);
    j = json_loads(out, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", out);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "train_rows")), 614);
    json_decref(j);
    /* -testfraction=0 keeps every row for the baseline */
    ck_assert_int_eq(agent_run("-baseline -epochs=1 -testfraction=0 -positive=pos -data=" PIMA
                               " -eval=" PIMA, out, sizeof out), 0);
    j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "train_rows")), 768);
    json_decref(j);
}
END_TEST

static Suite *agent_suite(void)
{
    Suite *s = suite_create("agent");
    TCase *tc = tcase_create("data");
    tcase_add_test(tc, data_label_is_the_last_column);
    tcase_add_test(tc, data_pima_positive_and_zero_missing);
    tcase_add_test(tc, data_malformed_files_are_refused);
    tcase_add_test(tc, data_task_normalization);
    tcase_add_test(tc, data_stats_and_flipped_labels);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_add_test(tc, model_spec_from_task);
    tcase_add_test(tc, model_weights_roundtrip);
    tcase_add_test(tc, model_training_is_deterministic_and_learns);
    tcase_add_test(tc, model_malicious_updates);
    tcase_add_test(tc, round_vote_rule);
    tcase_add_test(tc, round_candidate_of_one_update);
    suite_add_tcase(s, tc);
    tc = tcase_create("offline");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, offline_stats_prints_sums);
    tcase_add_test(tc, offline_baseline_pools_files);
    tcase_add_test(tc, options_are_checked);
    tcase_add_test(tc, options_stats_and_baseline_modes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ml_init();
    SRunner *sr = srunner_create(agent_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
