/* fml-agent's model maths: a task's model spec as an ml/ spec, local
 * training from Q16.16 weights to Q16.16 weights, evaluation, and the
 * misbehaviours of -malicious (for demos and tests of the chain's defences).
 *
 * Training is deterministic given the weights, the rows and the seed
 * (ml/train.h); only the Q16.16 result ever leaves this file.
 */
#include "agent/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/quant.h"
#include "ml/rng.h"
#include "ml/train.h"

bool agent_model_spec(const json_t *model, struct ml_model_spec *s, char *err, size_t errlen)
{
    const char *kind = json_string_value(json_object_get(model, "kind"));
    const json_t *sizes = json_object_get(model, "sizes");
    uint32_t v[ML_MAX_LAYERS + 1];
    size_t n = json_array_size(sizes);
    if (!kind || !json_is_array(sizes) || n < 2 || n > ML_MAX_LAYERS + 1) {
        snprintf(err, errlen, "The task's model spec is malformed");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(sizes, i);
        if (!json_is_integer(x) || json_integer_value(x) < 1 ||
            json_integer_value(x) > (json_int_t)ML_MAX_UNITS) {
            snprintf(err, errlen, "The task's model spec has a bad size");
            return false;
        }
        v[i] = (uint32_t)json_integer_value(x);
    }
    bool ok;
    if (strcmp(kind, "logistic") == 0)
        ok = n == 2 && v[1] == 1 && ml_spec_logreg(s, v[0]);
    else if (strcmp(kind, "softmax") == 0)
        ok = n == 2 && ml_spec_softmax(s, v[0], v[1]);
    else if (strcmp(kind, "mlp") == 0)
        ok = ml_spec_mlp(s, v, n);
    else
        ok = false;
    if (!ok)
        snprintf(err, errlen, "The task's model (%s) is not one this agent can train", kind);
    return ok;
}

bool agent_model_weights(const json_t *model_result, int32_t *q, size_t n, char *err,
                         size_t errlen)
{
    const json_t *w = json_object_get(model_result, "weights_q16");
    if (!json_is_array(w) || json_array_size(w) != n) {
        snprintf(err, errlen, "The node sent %zu weights, the model has %zu",
                 json_array_size(w), n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(w, i);
        if (!json_is_integer(x) || json_integer_value(x) < INT32_MIN ||
            json_integer_value(x) > INT32_MAX) {
            snprintf(err, errlen, "The node sent a malformed weight at %zu", i);
            return false;
        }
        q[i] = (int32_t)json_integer_value(x);
    }
    return true;
}

static struct ml_model *model_from(const struct ml_model_spec *spec, const int32_t *q, size_t n,
                                   char *err, size_t errlen)
{
    struct ml_model *m = ml_model_new(spec, err, errlen);
    if (m && !ml_model_set_q16(m, q, n)) {
        snprintf(err, errlen, "%zu weights for a model of %zu parameters", n, m->n_params);
        ml_model_free(m);
        return NULL;
    }
    return m;
}

/* Q16.16 of start + factor * (x - start), saturated. */
static void scale_update(const int32_t *start, const double *x, size_t n, double factor,
                         int32_t *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = ml_q16_to_double(start[i]);
        out[i] = ml_q16_from_double(s + factor * (x[i] - s));
    }
}

bool agent_model_train(const struct ml_model_spec *spec, const int32_t *start, size_t n,
                       const struct ml_dataset *train, const struct agent_train_cfg *cfg,
                       enum agent_malice malice, int32_t *out, char *err, size_t errlen)
{
    if (malice == AGENT_NOISE) {
        struct ml_rng rng;
        ml_rng_seed(&rng, cfg->seed);
        for (size_t i = 0; i < n; i++)
            out[i] = ml_q16_from_double((2 * ml_rng_uniform(&rng) - 1) * AGENT_NOISE_BOUND);
        return true;
    }
    struct ml_model *m = model_from(spec, start, n, err, errlen);
    if (!m)
        return false;
    struct ml_train_opts o;
    ml_train_opts_init(&o);
    o.epochs = cfg->epochs;
    o.learning_rate = cfg->learning_rate;
    o.batch_size = cfg->batch_size;
    o.l2 = cfg->l2;
    o.seed = cfg->seed;
    bool ok = ml_train(m, train, &o, NULL, err, errlen);
    if (ok && malice == AGENT_SCALE) {
        scale_update(start, m->params, n, AGENT_SCALE_FACTOR, out);
    } else if (ok && !ml_model_get_q16(m, out, n)) {
        snprintf(err, errlen, "Training diverged (a weight is not a number)");
        ok = false;
    }
    ml_model_free(m);
    return ok;
}

void agent_model_candidate(const int32_t *g, const int32_t *w, size_t n, uint32_t k,
                           int32_t *out)
{
    for (size_t i = 0; i < n; i++) {
        double gi = ml_q16_to_double(g[i]);
        out[i] = ml_q16_from_double(gi + (ml_q16_to_double(w[i]) - gi) / (double)k);
    }
}

bool agent_model_evaluate(const struct ml_model_spec *spec, const int32_t *q, size_t n,
                          const struct ml_dataset *ds, struct ml_eval *out, char *err,
                          size_t errlen)
{
    struct ml_model *m = model_from(spec, q, n, err, errlen);
    if (!m)
        return false;
    bool ok = ml_evaluate(m, ds, out, err, errlen);
    ml_model_free(m);
    return ok;
}

int agent_model_vote(double cand_loss, double global_loss, const int32_t *g, const int32_t *cand,
                     const int32_t *own, size_t n, const struct agent_task_opts *o,
                     double *step_ratio)
{
    int vote = cand_loss <= global_loss + o->tolerance ? 1 : -1;
    if (o->max_step > 0) {
        /* Near convergence a voter's own step shrinks while non-IID
         * proposers still pull their way: the yardstick is at least a
         * tenth of the global model's norm. */
        double dc = 0, dq = 0, gn = 0;
        for (size_t i = 0; i < n; i++) {
            double a = (double)cand[i] - g[i], b = (double)own[i] - g[i];
            dc += a * a;
            dq += b * b;
            gn += (double)g[i] * g[i];
        }
        double yard = fmax(fmax(sqrt(dq), 0.1 * sqrt(gn)), 1);
        *step_ratio = sqrt(dc) / yard;
        if (*step_ratio > o->max_step)
            vote = -1;
    }
    if (o->malice != AGENT_HONEST)
        vote = -vote;
    return vote;
}
