/* Mini-batch SGD and Adam. */
#include "ml/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/internal.h"
#include "ml/rng.h"

void ml_train_opts_init(struct ml_train_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->optimizer = ML_OPT_ADAM;
    o->learning_rate = 0.01;
    o->epochs = 100;
    o->batch_size = 32;
    o->l2 = 0.0;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->epsilon = 1e-8;
    o->seed = 0;
}

static bool check_opts(const struct ml_train_opts *o, char *err, size_t errlen)
{
    bool known = false;
    switch (o->optimizer) {
    case ML_OPT_SGD:
    case ML_OPT_ADAM:
        known = true;
        break;
    }
    if (!known) {
        ml_errf(err, errlen, "unknown optimizer %d", (int)o->optimizer);
        return false;
    }
    if (!(o->learning_rate > 0) || !isfinite(o->learning_rate)) {
        ml_errf(err, errlen, "learning rate must be positive");
        return false;
    }
    if (o->batch_size == 0) {
        ml_errf(err, errlen, "batch size must be positive");
        return false;
    }
    if (!(o->l2 >= 0) || !isfinite(o->l2)) {
        ml_errf(err, errlen, "L2 penalty must be >= 0");
        return false;
    }
    if (o->optimizer == ML_OPT_ADAM &&
        !(o->beta1 >= 0 && o->beta1 < 1 && o->beta2 >= 0 && o->beta2 < 1 && o->epsilon > 0)) {
        ml_errf(err, errlen, "Adam needs 0 <= beta1, beta2 < 1 and epsilon > 0");
        return false;
    }
    return true;
}

bool ml_train(struct ml_model *m, const struct ml_dataset *train,
              const struct ml_train_opts *o, double *last_loss, char *err, size_t errlen)
{
    size_t nf = train->n_features, nr = train->n_rows, np = m->n_params;
    if (!check_opts(o, err, errlen))
        return false;
    if (nf != ml_spec_n_inputs(&m->spec)) {
        ml_errf(err, errlen, "model takes %u inputs, data has %zu features",
                ml_spec_n_inputs(&m->spec), nf);
        return false;
    }
    if (nr == 0) {
        ml_errf(err, errlen, "no training rows");
        return false;
    }
    if (ml_dataset_count_missing(train) != 0) {
        ml_errf(err, errlen, "training data has missing values (impute them first)");
        return false;
    }
    size_t batch = o->batch_size < nr ? o->batch_size : nr;
    size_t *order = malloc(nr * sizeof(size_t));
    double *bx = malloc(batch * (nf ? nf : 1) * sizeof(double));
    uint32_t *by = malloc(batch * sizeof(uint32_t));
    /* grad, then Adam's first and second moments. */
    double *work = calloc(3 * np, sizeof(double));
    bool ok = false;
    if (!order || !bx || !by || !work) {
        ml_errf(err, errlen, "out of memory");
        goto done;
    }
    double *grad = work, *m1 = work + np, *m2 = work + 2 * np;
    for (size_t r = 0; r < nr; r++)
        order[r] = r;
    struct ml_rng rng;
    ml_rng_seed(&rng, o->seed);
    double b1t = 1.0, b2t = 1.0; /* beta1^t, beta2^t */
    double epoch_loss = NAN;
    for (uint32_t e = 0; e < o->epochs; e++) {
        /* One generator reshuffles every epoch, so the whole sequence of
         * batches follows from the seed. */
        ml_rng_shuffle(&rng, order, nr);
        double sum = 0;
        for (size_t start = 0; start < nr; start += batch) {
            size_t n = nr - start < batch ? nr - start : batch;
            for (size_t k = 0; k < n; k++) {
                size_t r = order[start + k];
                memcpy(bx + k * nf, train->x + r * nf, nf * sizeof(double));
                by[k] = train->y[r];
            }
            double loss;
            if (!ml_model_loss_grad(m, bx, by, n, o->l2, &loss, grad, err, errlen))
                goto done;
            sum += loss * (double)n;
            double lr = o->learning_rate;
            double *p = m->params;
            switch (o->optimizer) {
            case ML_OPT_SGD:
                for (size_t i = 0; i < np; i++)
                    p[i] -= lr * grad[i];
                break;
            case ML_OPT_ADAM:
                b1t *= o->beta1;
                b2t *= o->beta2;
                for (size_t i = 0; i < np; i++) {
                    m1[i] = o->beta1 * m1[i] + (1 - o->beta1) * grad[i];
                    m2[i] = o->beta2 * m2[i] + (1 - o->beta2) * grad[i] * grad[i];
                    double mh = m1[i] / (1 - b1t), vh = m2[i] / (1 - b2t);
                    p[i] -= lr * mh / (sqrt(vh) + o->epsilon);
                }
                break;
            }
        }
        epoch_loss = sum / (double)nr;
        if (!isfinite(epoch_loss)) {
            ml_errf(err, errlen, "training diverged in epoch %u (learning rate too high?)",
                    e + 1);
            goto done;
        }
    }
    if (last_loss)
        *last_loss = epoch_loss;
    ok = true;
done:
    free(order);
    free(bx);
    free(by);
    free(work);
    return ok;
}
