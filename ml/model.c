/* Dense models on OpenBLAS: forward pass, cross-entropy and backpropagation.
 *
 * Rows are processed as matrices (row-major, one row per example), so each
 * layer is one dgemm: Z[n][out] = A[n][in] * W^T + b.  Backpropagation:
 * dW = D^T * A, db = D^T * 1, D_prev = (D * W) .* relu'(A_prev). */
#include "ml/model.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ml/internal.h"
#include "ml/quant.h"
#include "ml/rng.h"

/* Rows per forward pass in predict, so memory stays bounded on big inputs. */
#define PREDICT_CHUNK 512

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_openblas(void)
{
    openblas_set_num_threads(1);
}

void ml_init(void)
{
    pthread_once(&init_once, init_openblas);
}

bool ml_spec_logreg(struct ml_model_spec *s, uint32_t n_inputs)
{
    memset(s, 0, sizeof(*s));
    s->kind = ML_LOGREG;
    s->n_layers = 1;
    s->sizes[0] = n_inputs;
    s->sizes[1] = 1;
    return ml_spec_check(s, NULL, 0);
}

bool ml_spec_softmax(struct ml_model_spec *s, uint32_t n_inputs, uint32_t n_classes)
{
    memset(s, 0, sizeof(*s));
    s->kind = ML_SOFTMAX;
    s->n_layers = 1;
    s->sizes[0] = n_inputs;
    s->sizes[1] = n_classes;
    return ml_spec_check(s, NULL, 0);
}

bool ml_spec_mlp(struct ml_model_spec *s, const uint32_t *sizes, size_t n_sizes)
{
    memset(s, 0, sizeof(*s));
    s->kind = ML_MLP;
    if (n_sizes < 2 || n_sizes > ML_MAX_LAYERS + 1)
        return false;
    s->n_layers = (uint32_t)(n_sizes - 1);
    memcpy(s->sizes, sizes, n_sizes * sizeof(uint32_t));
    return ml_spec_check(s, NULL, 0);
}

bool ml_spec_check(const struct ml_model_spec *s, char *err, size_t errlen)
{
    if (s->n_layers < 1 || s->n_layers > ML_MAX_LAYERS) {
        ml_errf(err, errlen, "model has %u layers (1 to %d)", s->n_layers, ML_MAX_LAYERS);
        return false;
    }
    bool known = false;
    switch (s->kind) {
    case ML_LOGREG:
        if (s->n_layers != 1 || s->sizes[1] != 1) {
            ml_errf(err, errlen, "logistic regression is one layer with one output");
            return false;
        }
        known = true;
        break;
    case ML_SOFTMAX:
        if (s->n_layers != 1 || s->sizes[1] < 2) {
            ml_errf(err, errlen, "softmax regression is one layer with at least two outputs");
            return false;
        }
        known = true;
        break;
    case ML_MLP:
        known = true;
        break;
    }
    /* The spec may come from outside, holding a value no case names. */
    if (!known) {
        ml_errf(err, errlen, "unknown model kind %d", (int)s->kind);
        return false;
    }
    uint64_t count = 0;
    for (uint32_t l = 0; l <= s->n_layers; l++) {
        if (s->sizes[l] < 1 || s->sizes[l] > ML_MAX_UNITS) {
            ml_errf(err, errlen, "layer size %u out of range (1 to %u)", s->sizes[l],
                    ML_MAX_UNITS);
            return false;
        }
        if (l > 0)
            count += (uint64_t)s->sizes[l] * s->sizes[l - 1] + s->sizes[l];
    }
    if (count > ML_MAX_PARAMS) {
        ml_errf(err, errlen, "model has %llu parameters (at most %u)",
                (unsigned long long)count, ML_MAX_PARAMS);
        return false;
    }
    return true;
}

size_t ml_param_count(const struct ml_model_spec *s)
{
    size_t count = 0;
    for (uint32_t l = 1; l <= s->n_layers; l++)
        count += (size_t)s->sizes[l] * s->sizes[l - 1] + s->sizes[l];
    return count;
}

uint32_t ml_spec_n_inputs(const struct ml_model_spec *s)
{
    return s->sizes[0];
}

uint32_t ml_spec_n_outputs(const struct ml_model_spec *s)
{
    return s->sizes[s->n_layers];
}

uint32_t ml_spec_n_classes(const struct ml_model_spec *s)
{
    uint32_t out = ml_spec_n_outputs(s);
    return out == 1 ? 2 : out;
}

struct ml_model *ml_model_new(const struct ml_model_spec *spec, char *err, size_t errlen)
{
    if (!ml_spec_check(spec, err, errlen))
        return NULL;
    struct ml_model *m = calloc(1, sizeof(*m));
    if (!m)
        goto oom;
    m->spec = *spec;
    m->n_params = ml_param_count(spec);
    m->params = calloc(m->n_params, sizeof(double));
    if (!m->params) {
        free(m);
        goto oom;
    }
    return m;
oom:
    ml_errf(err, errlen, "out of memory");
    return NULL;
}

void ml_model_free(struct ml_model *m)
{
    if (!m)
        return;
    free(m->params);
    free(m);
}

void ml_model_init_random(struct ml_model *m, uint64_t seed)
{
    struct ml_rng rng;
    ml_rng_seed(&rng, seed);
    double *p = m->params;
    const struct ml_model_spec *s = &m->spec;
    for (uint32_t l = 1; l <= s->n_layers; l++) {
        size_t in = s->sizes[l - 1], out = s->sizes[l];
        double a = l == s->n_layers ? sqrt(6.0 / (double)(in + out)) : sqrt(6.0 / (double)in);
        for (size_t k = 0; k < out * in; k++)
            *p++ = a * (2.0 * ml_rng_uniform(&rng) - 1.0);
        for (size_t k = 0; k < out; k++)
            *p++ = 0.0;
    }
}

bool ml_model_get_params(const struct ml_model *m, double *p, size_t n)
{
    if (n != m->n_params)
        return false;
    memcpy(p, m->params, n * sizeof(double));
    return true;
}

bool ml_model_set_params(struct ml_model *m, const double *p, size_t n)
{
    if (n != m->n_params)
        return false;
    memcpy(m->params, p, n * sizeof(double));
    return true;
}

bool ml_model_get_q16(const struct ml_model *m, int32_t *q, size_t n)
{
    return n == m->n_params && ml_q16_from_doubles(m->params, q, n);
}

bool ml_model_set_q16(struct ml_model *m, const int32_t *q, size_t n)
{
    if (n != m->n_params)
        return false;
    ml_q16_to_doubles(q, m->params, n);
    return true;
}

/* Scratch space for one pass over n rows. */
struct pass {
    size_t n;
    double *hidden[ML_MAX_LAYERS];   /* [n][sizes[l]], ReLU output of hidden layer l */
    double *logits;                  /* [n][out] */
    double *proba;                   /* [n][out] */
    double *delta, *delta_prev;      /* [n][max size], backward only */
    double *ones;                    /* [n], backward only */
    double *block;                   /* owns everything above */
};

static bool pass_alloc(struct pass *ps, const struct ml_model_spec *s, size_t n, bool backward)
{
    memset(ps, 0, sizeof(*ps));
    ps->n = n;
    size_t out = ml_spec_n_outputs(s), widest = out, total = 2 * out;
    for (uint32_t l = 1; l < s->n_layers; l++) {
        total += s->sizes[l];
        if (s->sizes[l] > widest)
            widest = s->sizes[l];
    }
    if (backward)
        total += 2 * widest + 1;
    if (n > SIZE_MAX / sizeof(double) / total)
        return false;
    ps->block = malloc(n * total * sizeof(double));
    if (!ps->block)
        return false;
    double *p = ps->block;
    for (uint32_t l = 1; l < s->n_layers; l++) {
        ps->hidden[l] = p;
        p += n * s->sizes[l];
    }
    ps->logits = p;
    ps->proba = p + n * out;
    if (backward) {
        p += 2 * n * out;
        ps->delta = p;
        ps->delta_prev = p + n * widest;
        ps->ones = p + 2 * n * widest;
        for (size_t r = 0; r < n; r++)
            ps->ones[r] = 1.0;
    }
    return true;
}

static const double *layer_weights(const struct ml_model *m, uint32_t layer)
{
    const double *w = m->params;
    for (uint32_t l = 1; l < layer; l++)
        w += (size_t)m->spec.sizes[l] * m->spec.sizes[l - 1] + m->spec.sizes[l];
    return w;
}

static double sigmoid(double z)
{
    /* Both branches only ever take exp of a non-positive number. */
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* The input of layer l: the rows x for the first layer. */
static const double *layer_input(const struct pass *ps, const double *x, uint32_t l)
{
    return l == 1 ? x : ps->hidden[l - 1];
}

/* Fills hidden[1..L-1], logits and proba for the n rows at x. */
static void forward(const struct ml_model *m, const double *x, struct pass *ps)
{
    const struct ml_model_spec *s = &m->spec;
    size_t n = ps->n;
    for (uint32_t l = 1; l <= s->n_layers; l++) {
        int in = (int)s->sizes[l - 1], out = (int)s->sizes[l];
        const double *w = layer_weights(m, l), *b = w + (size_t)out * in;
        const double *a = layer_input(ps, x, l);
        double *z = l == s->n_layers ? ps->logits : ps->hidden[l];
        if (n == 1)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0, w, in, a, 1, 0.0, z, 1);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, out, in, 1.0, a, in,
                        w, in, 0.0, z, out);
        bool relu = l < s->n_layers;
        for (size_t r = 0; r < n; r++) {
            double *zr = z + r * (size_t)out;
            for (int o = 0; o < out; o++) {
                zr[o] += b[o];
                if (relu && zr[o] < 0)
                    zr[o] = 0;
            }
        }
    }
    size_t out = ml_spec_n_outputs(s);
    for (size_t r = 0; r < n; r++) {
        const double *z = ps->logits + r * out;
        double *p = ps->proba + r * out;
        if (out == 1) {
            p[0] = sigmoid(z[0]);
            continue;
        }
        double max = z[0], sum = 0;
        for (size_t k = 1; k < out; k++)
            if (z[k] > max)
                max = z[k];
        for (size_t k = 0; k < out; k++)
            sum += (p[k] = exp(z[k] - max));
        for (size_t k = 0; k < out; k++)
            p[k] /= sum;
    }
}

/* The API counts rows in size_t, cblas in int. */
#define MAX_PASS_ROWS ((size_t)1 << 30)

bool ml_model_predict_proba(const struct ml_model *m, const double *x, size_t n_rows,
                            double *proba, char *err, size_t errlen)
{
    ml_init();
    size_t in = ml_spec_n_inputs(&m->spec), out = ml_spec_n_outputs(&m->spec);
    size_t chunk = n_rows < PREDICT_CHUNK ? n_rows : PREDICT_CHUNK;
    if (n_rows == 0)
        return true;
    struct pass ps;
    if (!pass_alloc(&ps, &m->spec, chunk, false)) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    for (size_t r = 0; r < n_rows; r += chunk) {
        ps.n = n_rows - r < chunk ? n_rows - r : chunk;
        forward(m, x + r * in, &ps);
        memcpy(proba + r * out, ps.proba, ps.n * out * sizeof(double));
    }
    free(ps.block);
    return true;
}

void ml_proba_to_class(const double *proba, size_t n_rows, uint32_t n_outputs, uint32_t *cls)
{
    for (size_t r = 0; r < n_rows; r++) {
        const double *p = proba + r * n_outputs;
        if (n_outputs == 1) {
            cls[r] = p[0] >= 0.5;
            continue;
        }
        uint32_t best = 0;
        for (uint32_t k = 1; k < n_outputs; k++)
            if (p[k] > p[best])
                best = k;
        cls[r] = best;
    }
}

bool ml_model_predict(const struct ml_model *m, const double *x, size_t n_rows,
                      uint32_t *cls, char *err, size_t errlen)
{
    size_t out = ml_spec_n_outputs(&m->spec);
    if (n_rows > SIZE_MAX / sizeof(double) / out) {
        ml_errf(err, errlen, "too many rows (%zu)", n_rows);
        return false;
    }
    double *proba = malloc((n_rows ? n_rows : 1) * out * sizeof(double));
    if (!proba) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    if (!ml_model_predict_proba(m, x, n_rows, proba, err, errlen)) {
        free(proba);
        return false;
    }
    ml_proba_to_class(proba, n_rows, (uint32_t)out, cls);
    free(proba);
    return true;
}

/* Cross-entropy of row r from its logits, in a form that never takes the log
 * of 0: log(1 + e^z) - y z for one unit, logsumexp(z) - z_y for K. */
static double row_loss(const double *z, size_t out, uint32_t y)
{
    if (out == 1)
        return fmax(z[0], 0.0) - (y ? z[0] : 0.0) + log1p(exp(-fabs(z[0])));
    double max = z[0], sum = 0;
    for (size_t k = 1; k < out; k++)
        if (z[k] > max)
            max = z[k];
    for (size_t k = 0; k < out; k++)
        sum += exp(z[k] - max);
    return max + log(sum) - z[y];
}

bool ml_model_loss_grad(const struct ml_model *m, const double *x, const uint32_t *y,
                        size_t n_rows, double l2, double *loss, double *grad,
                        char *err, size_t errlen)
{
    ml_init();
    const struct ml_model_spec *s = &m->spec;
    size_t out = ml_spec_n_outputs(s);
    uint32_t classes = ml_spec_n_classes(s);
    if (n_rows == 0) {
        ml_errf(err, errlen, "no rows");
        return false;
    }
    if (n_rows > MAX_PASS_ROWS) {
        ml_errf(err, errlen, "too many rows in one pass (%zu)", n_rows);
        return false;
    }
    for (size_t r = 0; r < n_rows; r++) {
        if (y[r] >= classes) {
            ml_errf(err, errlen, "row %zu: label %u but the model has %u classes", r, y[r],
                    classes);
            return false;
        }
    }
    struct pass ps;
    if (!pass_alloc(&ps, s, n_rows, grad != NULL)) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    forward(m, x, &ps);

    double sum = 0;
    for (size_t r = 0; r < n_rows; r++)
        sum += row_loss(ps.logits + r * out, out, y[r]);
    double penalty = 0;
    for (uint32_t l = 1; l <= s->n_layers; l++) {
        const double *w = layer_weights(m, l);
        size_t nw = (size_t)s->sizes[l] * s->sizes[l - 1];
        for (size_t k = 0; k < nw; k++)
            penalty += w[k] * w[k];
    }
    *loss = sum / (double)n_rows + 0.5 * l2 * penalty;
    if (!grad) {
        free(ps.block);
        return true;
    }

    /* Output delta: d(mean loss)/dz = (p - onehot(y)) / n for both the
     * sigmoid and the softmax output. */
    double inv_n = 1.0 / (double)n_rows;
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t k = 0; k < out; k++) {
            double target = out == 1 ? (double)y[r] : (double)(y[r] == k);
            ps.delta[r * out + k] = (ps.proba[r * out + k] - target) * inv_n;
        }
    }
    int n = (int)n_rows;
    for (uint32_t l = s->n_layers; l > 0; l--) {
        int in = (int)s->sizes[l - 1], o = (int)s->sizes[l];
        const double *w = layer_weights(m, l);
        double *gw = grad + (w - m->params), *gb = gw + (size_t)o * in;
        const double *a = layer_input(&ps, x, l);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, in, n, 1.0, ps.delta, o,
                    a, in, 0.0, gw, in);
        cblas_dgemv(CblasRowMajor, CblasTrans, n, o, 1.0, ps.delta, o, ps.ones, 1, 0.0, gb, 1);
        if (l2 != 0.0)
            cblas_daxpy(o * in, l2, w, 1, gw, 1);
        if (l == 1)
            break;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, o, 1.0, ps.delta, o,
                    w, in, 0.0, ps.delta_prev, in);
        /* ReLU passes the gradient where its output was positive. */
        for (size_t k = 0; k < n_rows * (size_t)in; k++)
            if (a[k] <= 0)
                ps.delta_prev[k] = 0;
        double *t = ps.delta;
        ps.delta = ps.delta_prev;
        ps.delta_prev = t;
    }
    free(ps.block);
    return true;
}
