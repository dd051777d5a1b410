/* Mini-batch training: plain SGD or Adam on the mean cross-entropy (plus an
 * optional L2 penalty) of ml/model.h.
 *
 * Training starts from the model's current parameters, so a participant can
 * continue from the global model of a round.  Given the same model, rows and
 * options (seed included) it produces bit-identical parameters on the same
 * machine and OpenBLAS build.
 */
#ifndef FML_ML_TRAIN_H
#define FML_ML_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ml/dataset.h"
#include "ml/model.h"

enum ml_optimizer {
    ML_OPT_SGD = 1,
    ML_OPT_ADAM = 2,
};

struct ml_train_opts {
    enum ml_optimizer optimizer;
    double learning_rate;
    uint32_t epochs;
    uint32_t batch_size;     /* rows per step; an epoch's last batch may be smaller */
    double l2;               /* penalty (l2 / 2) * sum of squared weights, biases excluded */
    double beta1, beta2;     /* Adam moment decay rates */
    double epsilon;          /* Adam denominator guard */
    uint64_t seed;           /* order of the rows in each epoch */
};

/* Adam, learning rate 0.01, 100 epochs, batches of 32, no L2,
 * beta1 0.9, beta2 0.999, epsilon 1e-8, seed 0. */
void ml_train_opts_init(struct ml_train_opts *o);

/* Trains m on the rows of train (already imputed and standardized).
 * *last_loss (unless NULL) receives the mean loss over the last epoch's
 * batches, measured before each step. */
bool ml_train(struct ml_model *m, const struct ml_dataset *train,
              const struct ml_train_opts *o, double *last_loss,
              char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
