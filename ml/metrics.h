/* Evaluation: accuracy, ROC AUC and log loss, on vectors or on a model and a
 * dataset.  Probabilities are laid out as ml_model_predict_proba() writes
 * them: one value P(class 1) per row for binary models, K per row otherwise.
 */
#ifndef FML_ML_METRICS_H
#define FML_ML_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ml/dataset.h"
#include "ml/model.h"

/* Probabilities are clipped to [eps, 1 - eps] before the log. */
#define ML_LOG_LOSS_EPS 1e-15

/* Fraction of rows with pred == y; NAN when n == 0. */
double ml_accuracy(const uint32_t *y, const uint32_t *pred, size_t n);

/* Area under the ROC curve of score for labels y in {0, 1}: the probability
 * that a random positive scores above a random negative, ties counting one
 * half (Mann-Whitney U from ranks, tied scores sharing their average rank).
 * False if a label is not 0/1, a score is NAN, either class is absent, or
 * memory runs out. */
bool ml_roc_auc(const uint32_t *y, const double *score, size_t n, double *auc)
    __attribute__((warn_unused_result));

/* Mean of -log(clipped probability of the true class) over n rows;
 * n_outputs 1 means proba[r] is P(class 1).  NAN when n == 0 or a label is
 * out of range. */
double ml_log_loss(const uint32_t *y, const double *proba, size_t n, uint32_t n_outputs);

struct ml_eval {
    size_t n;
    double accuracy;
    double auc;          /* binary models with both classes present; else NAN */
    double log_loss;
};

/* Predicts every row of ds (already imputed and standardized) and scores it. */
bool ml_evaluate(const struct ml_model *m, const struct ml_dataset *ds, struct ml_eval *out,
                 char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
