/* fml-agent's modes that need no task round: local baselines (one
 * hospital alone, or several files pooled as a centralized reference), the
 * metrics of a task's global model on an evaluation file, and the
 * per-feature statistics a participant may publish.  Each prints one JSON
 * object on stdout, errors on stderr.
 */
#include "agent/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/train.h"

static json_t *metrics_json(const struct ml_eval *e)
{
    return json_pack("{s:I, s:f, s:o, s:f}", "rows", (json_int_t)e->n, "accuracy", e->accuracy,
                     "auc", isnan(e->auc) ? json_null() : json_real(e->auc), "log_loss",
                     e->log_loss);
}

static int print_json(json_t *o)
{
    if (!o) {
        fprintf(stderr, "Error: out of memory\n");
        return 1;
    }
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!s) {
        fprintf(stderr, "Error: out of memory\n");
        return 1;
    }
    printf("%s\n", s);
    free(s);
    return 0;
}


/* The training part of path, split as a participant's. */
static struct ml_dataset *training_rows(const char *path, const struct agent_data_opts *d,
                                        double test_fraction, uint64_t seed, char *err,
                                        size_t errlen)
{
    struct ml_dataset *ds, *train = NULL, *test = NULL;
    if (!agent_data_load(path, d, &ds, err, errlen))
        return NULL;
    if (test_fraction <= 0)
        return ds;
    bool ok = ml_dataset_split(ds, test_fraction, seed, &train, &test, err, errlen);
    ml_dataset_free(ds);
    ml_dataset_free(test);
    return ok ? train : NULL;
}

int agent_baseline(const char *const *train_paths, size_t n_train, const char *eval_path,
                   const struct agent_data_opts *d, double test_fraction,
                   const struct agent_train_cfg *cfg, bool normalize)
{
    char err[1024] = "";
    struct ml_dataset *pool = NULL, *eval = NULL, *train_t = NULL, *eval_t = NULL;
    struct ml_scaler *sc = NULL;
    struct ml_model *m = NULL;
    int rc = 1;
    for (size_t i = 0; i < n_train; i++) {
        struct ml_dataset *part = training_rows(train_paths[i], d, test_fraction, cfg->seed, err,
                                                sizeof err);
        if (!part)
            goto out;
        if (!pool) {
            pool = part;
            continue;
        }
        struct ml_dataset *both = agent_data_concat(pool, part, err, sizeof err);
        ml_dataset_free(part);
        if (!both)
            goto out;
        ml_dataset_free(pool);
        pool = both;
    }
    if (!agent_data_load(eval_path, d, &eval, err, sizeof err))
        goto out;
    if (eval->n_features != pool->n_features) {
        snprintf(err, sizeof err, "%s has %zu features, the training data %zu", eval_path,
                 eval->n_features, pool->n_features);
        goto out;
    }
    if (!ml_scaler_fit(pool, &sc, err, sizeof err))
        goto out;
    if (!normalize) {
        for (size_t i = 0; i < sc->n_features; i++) {
            sc->mean[i] = 0;
            sc->std[i] = 1;
        }
    }
    train_t = agent_data_transformed(pool, sc, err, sizeof err);
    eval_t = train_t ? agent_data_transformed(eval, sc, err, sizeof err) : NULL;
    if (!eval_t)
        goto out;
    uint32_t classes = pool->n_classes > eval->n_classes ? pool->n_classes : eval->n_classes;
    struct ml_model_spec spec;
    bool spec_ok = classes <= 2 ? ml_spec_logreg(&spec, (uint32_t)pool->n_features)
                                : ml_spec_softmax(&spec, (uint32_t)pool->n_features, classes);
    if (!spec_ok) {
        snprintf(err, sizeof err, "No model fits %zu features and %u classes", pool->n_features,
                 classes);
        goto out;
    }
    m = ml_model_new(&spec, err, sizeof err);
    if (!m)
        goto out;
    struct ml_train_opts o;
    ml_train_opts_init(&o);
    o.epochs = cfg->epochs;
    o.learning_rate = cfg->learning_rate;
    o.batch_size = cfg->batch_size;
    o.l2 = cfg->l2;
    o.seed = cfg->seed;
    struct ml_eval e;
    if (!ml_train(m, train_t, &o, NULL, err, sizeof err) ||
        !ml_evaluate(m, eval_t, &e, err, sizeof err))
        goto out;
    json_t *res = metrics_json(&e);
    if (res) {
        json_object_set_new(res, "train_rows", json_integer((json_int_t)pool->n_rows));
        json_object_set_new(res, "files", json_integer((json_int_t)n_train));
    }
    rc = print_json(res);
out:
    if (rc != 0 && err[0])
        fprintf(stderr, "Error: %s\n", err);
    ml_model_free(m);
    ml_scaler_free(sc);
    ml_dataset_free(train_t);
    ml_dataset_free(eval_t);
    ml_dataset_free(eval);
    ml_dataset_free(pool);
    return rc;
}

int agent_evaluate_task(const struct agent_rpc *rpc, const char *task, int64_t round,
                        const char *eval_path, const struct agent_data_opts *d)
{
    char err[1024] = "";
    json_t *t = NULL, *model = NULL;
    struct ml_dataset *eval = NULL, *eval_t = NULL;
    struct ml_scaler *sc = NULL;
    int32_t *q = NULL;
    int rc = 1;
    if (agent_call(rpc, "flgettask", json_pack("[s]", task), &t, NULL, err, sizeof err) !=
        AGENT_CALL_OK)
        goto out;
    json_t *params = round < 0 ? json_pack("[s]", task) : json_pack("[sI]", task, (json_int_t)round);
    if (agent_call(rpc, "flgetmodel", params, &model, NULL, err, sizeof err) != AGENT_CALL_OK)
        goto out;
    const json_t *spec_j = json_object_get(t, "model");
    struct ml_model_spec spec;
    if (!agent_model_spec(spec_j, &spec, err, sizeof err))
        goto out;
    size_t n = ml_param_count(&spec);
    q = calloc(n ? n : 1, sizeof(*q));
    if (!q) {
        snprintf(err, sizeof err, "Out of memory");
        goto out;
    }
    if (!agent_model_weights(model, q, n, err, sizeof err) ||
        !agent_data_load(eval_path, d, &eval, err, sizeof err))
        goto out;
    if (eval->n_features != ml_spec_n_inputs(&spec)) {
        snprintf(err, sizeof err, "%s has %zu features; the task's model takes %u", eval_path,
                 eval->n_features, ml_spec_n_inputs(&spec));
        goto out;
    }
    if (!agent_data_task_scaler(spec_j, eval, &sc, err, sizeof err))
        goto out;
    eval_t = agent_data_transformed(eval, sc, err, sizeof err);
    struct ml_eval e;
    if (!eval_t || !agent_model_evaluate(&spec, q, n, eval_t, &e, err, sizeof err))
        goto out;
    json_t *res = metrics_json(&e);
    if (res) {
        json_object_set_new(res, "task", json_string(task));
        json_object_set(res, "round", json_object_get(model, "round"));
        json_object_set(res, "model_round", json_object_get(model, "model_round"));
        json_object_set(res, "hash", json_object_get(model, "hash"));
    }
    rc = print_json(res);
out:
    if (rc != 0 && err[0])
        fprintf(stderr, "Error: %s\n", err);
    free(q);
    ml_scaler_free(sc);
    ml_dataset_free(eval_t);
    ml_dataset_free(eval);
    json_decref(model);
    json_decref(t);
    return rc;
}

int agent_print_stats(const char *path, const struct agent_data_opts *d)
{
    char err[1024] = "";
    struct ml_dataset *ds;
    if (!agent_data_load(path, d, &ds, err, sizeof err)) {
        fprintf(stderr, "Error: %s\n", err);
        return 1;
    }
    json_t *o = agent_data_stats(ds);
    ml_dataset_free(ds);
    return print_json(o);
}
