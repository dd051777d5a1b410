/* Accuracy, exact ROC AUC by ranks, clipped log loss. */
#include "ml/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "ml/internal.h"

double ml_accuracy(const uint32_t *y, const uint32_t *pred, size_t n)
{
    if (n == 0)
        return NAN;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += y[i] == pred[i];
    return (double)hits / (double)n;
}

struct scored {
    double score;
    uint32_t label;
};

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
    return (x > y) - (x < y);
}

bool ml_roc_auc(const uint32_t *y, const double *score, size_t n, double *auc)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] > 1 || isnan(score[i]))
            return false;
        pos += y[i];
    }
    size_t neg = n - pos;
    if (pos == 0 || neg == 0)
        return false;
    struct scored *v = malloc(n * sizeof(*v));
    if (!v)
        return false;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct scored){score[i], y[i]};
    qsort(v, n, sizeof(*v), cmp_scored);
    /* Sum of the 1-based ranks of the positives; a run of equal scores
     * i..j-1 shares the mean rank (i + 1 + j) / 2.  The order qsort leaves
     * within a run does not matter. */
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j].score == v[i].score)
            j++;
        size_t run_pos = 0;
        for (size_t k = i; k < j; k++)
            run_pos += v[k].label;
        rank_sum += (double)run_pos * ((double)(i + 1 + j) / 2.0);
        i = j;
    }
    free(v);
    double u = rank_sum - (double)pos * ((double)pos + 1) / 2.0;
    *auc = u / ((double)pos * (double)neg);
    return true;
}

static double clip(double p)
{
    if (!(p >= ML_LOG_LOSS_EPS)) /* also NAN */
        return ML_LOG_LOSS_EPS;
    if (p > 1 - ML_LOG_LOSS_EPS)
        return 1 - ML_LOG_LOSS_EPS;
    return p;
}

double ml_log_loss(const uint32_t *y, const double *proba, size_t n, uint32_t n_outputs)
{
    if (n == 0 || n_outputs == 0)
        return NAN;
    uint32_t classes = n_outputs == 1 ? 2 : n_outputs;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] >= classes)
            return NAN;
        double p = n_outputs == 1 ? (y[i] ? proba[i] : 1 - proba[i])
                                  : proba[i * n_outputs + y[i]];
        sum -= log(clip(p));
    }
    return sum / (double)n;
}

bool ml_evaluate(const struct ml_model *m, const struct ml_dataset *ds, struct ml_eval *out,
                 char *err, size_t errlen)
{
    size_t out_units = ml_spec_n_outputs(&m->spec), n = ds->n_rows;
    if (ds->n_features != ml_spec_n_inputs(&m->spec)) {
        ml_errf(err, errlen, "model takes %u inputs, data has %zu features",
                ml_spec_n_inputs(&m->spec), ds->n_features);
        return false;
    }
    if (n == 0) {
        ml_errf(err, errlen, "no rows to evaluate");
        return false;
    }
    for (size_t r = 0; r < n; r++) {
        if (ds->y[r] >= ml_spec_n_classes(&m->spec)) {
            ml_errf(err, errlen, "row %zu: label %u but the model has %u classes", r,
                    ds->y[r], ml_spec_n_classes(&m->spec));
            return false;
        }
    }
    if (n > SIZE_MAX / sizeof(double) / out_units) {
        ml_errf(err, errlen, "too many rows (%zu)", n);
        return false;
    }
    double *proba = malloc(n * out_units * sizeof(double));
    uint32_t *pred = malloc(n * sizeof(uint32_t));
    bool ok = false;
    if (!proba || !pred) {
        ml_errf(err, errlen, "out of memory");
        goto done;
    }
    if (!ml_model_predict_proba(m, ds->x, n, proba, err, errlen))
        goto done;
    ml_proba_to_class(proba, n, (uint32_t)out_units, pred);
    out->n = n;
    out->accuracy = ml_accuracy(ds->y, pred, n);
    out->log_loss = ml_log_loss(ds->y, proba, n, (uint32_t)out_units);
    out->auc = NAN;
    if (out_units == 1 && !ml_roc_auc(ds->y, proba, n, &out->auc))
        out->auc = NAN;
    ok = true;
done:
    free(proba);
    free(pred);
    return ok;
}
