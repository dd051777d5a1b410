/* Serving a Market model (see serve.h). */
#include "rpc/serve.h"

#include "consensus/serialize.h"
#include "ml/model.h"
#include "ml/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct serve_model *serve_model_new(void)
{
    return calloc(1, sizeof(struct serve_model));
}

void serve_model_free(struct serve_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_nodes; i++) {
        ml_model_free(m->nodes[i].ml);
        free(m->nodes[i].mean);
        free(m->nodes[i].std);
    }
    free(m);
}

static bool ml_spec_of(const struct fl_spec *s, struct ml_model_spec *out)
{
    if (!fl_spec_valid(s) || s->n_sizes < 2 || s->n_sizes > ML_MAX_LAYERS + 1)
        return false;
    switch (s->kind) {
    case FL_MODEL_LOGREG: return s->n_sizes == 2 && s->sizes[1] == 1 && ml_spec_logreg(out, s->sizes[0]);
    case FL_MODEL_SOFTMAX: return s->n_sizes == 2 && ml_spec_softmax(out, s->sizes[0], s->sizes[1]);
    case FL_MODEL_MLP: return ml_spec_mlp(out, s->sizes, s->n_sizes);
    }
    return false;
}

static struct serve_node *append(struct serve_model *m, const uint8_t id[MARKET_MODEL_ID_SIZE],
                                 size_t *idx, char *err, size_t errlen)
{
    if (m->n_nodes >= MARKET_MAX_EXPANSION) {
        snprintf(err, errlen, "The model has more than %d models in its expansion",
                 MARKET_MAX_EXPANSION);
        return NULL;
    }
    *idx = m->n_nodes;
    struct serve_node *n = &m->nodes[m->n_nodes++];
    memset(n, 0, sizeof(*n));
    memcpy(n->id, id, MARKET_MODEL_ID_SIZE);
    return n;
}

bool serve_add_leaf(struct serve_model *m, const uint8_t id[MARKET_MODEL_ID_SIZE],
                    const struct fl_spec *spec, const uint8_t *weights, size_t n_weights,
                    size_t *idx, char *err, size_t errlen)
{
    struct ml_model_spec ms;
    if (!ml_spec_of(spec, &ms)) {
        snprintf(err, errlen, "The model's spec is not one ml/ evaluates");
        return false;
    }
    if (n_weights != fl_param_count(spec)) {
        snprintf(err, errlen, "The model has %zu weights, its spec %llu", n_weights,
                 (unsigned long long)fl_param_count(spec));
        return false;
    }
    if (m->params + n_weights > SERVE_MAX_PARAMS) {
        snprintf(err, errlen,
                 "The model has more than %llu parameters in all: too large to serve here",
                 (unsigned long long)SERVE_MAX_PARAMS);
        return false;
    }
    struct serve_node *n = append(m, id, idx, err, errlen);
    if (!n)
        return false;
    n->mode = MARKET_MODE_NONE;
    n->n_inputs = spec->sizes[0];
    n->n_outputs = spec->sizes[spec->n_sizes - 1];
    n->expansion = 1;
    for (uint32_t i = 0; i < spec->n_sizes; i++)
        if (spec->sizes[i] > n->width)
            n->width = spec->sizes[i];
    for (uint32_t i = 1; i < spec->n_sizes; i++)
        n->macs += (uint64_t)spec->sizes[i - 1] * spec->sizes[i];
    /* the normalized rows (n_inputs), then ml/'s forward pass: every layer
     * after the input plus logits and probabilities (2 x n_outputs) */
    for (uint32_t i = 0; i < spec->n_sizes; i++)
        n->scratch += spec->sizes[i];
    n->scratch += 2 * (uint64_t)n->n_outputs;
    int32_t *q = malloc((n_weights ? n_weights : 1) * sizeof(*q));
    n->ml = q ? ml_model_new(&ms, err, errlen) : NULL;
    if (!n->ml) {
        free(q);
        if (!q)
            snprintf(err, errlen, "Out of memory");
        m->n_nodes--;
        return false;
    }
    for (size_t i = 0; i < n_weights; i++)
        q[i] = (int32_t)read_le32(weights + 4 * i);
    bool ok = ml_model_set_q16(n->ml, q, n_weights);
    free(q);
    if (ok && spec->n_norm) {
        n->mean = malloc(spec->n_norm * sizeof(double));
        n->std = malloc(spec->n_norm * sizeof(double));
        ok = n->mean && n->std;
        for (uint32_t i = 0; ok && i < spec->n_norm; i++) {
            n->mean[i] = ml_q16_to_double((int32_t)read_le32(spec->norm + 8 * i));
            n->std[i] = ml_q16_to_double((int32_t)read_le32(spec->norm + 8 * i + 4));
            ok = n->std[i] > 0;
        }
    }
    if (ok)
        m->params += n_weights;
    if (!ok) {
        snprintf(err, errlen, "The model's weights or normalization cannot be loaded");
        ml_model_free(n->ml);
        free(n->mean);
        free(n->std);
        m->n_nodes--;
        return false;
    }
    return true;
}

bool serve_add_composite(struct serve_model *m, const uint8_t id[MARKET_MODEL_ID_SIZE],
                         uint8_t mode, const size_t *children, size_t n_children, size_t *idx,
                         char *err, size_t errlen)
{
    if ((mode != MARKET_MODE_AVERAGE && mode != MARKET_MODE_PIPELINE) || n_children < 1 ||
        n_children > MARKET_MAX_COMPONENTS) {
        snprintf(err, errlen, "A composite averages or chains 1..%d models",
                 MARKET_MAX_COMPONENTS);
        return false;
    }
    uint32_t expansion = 1, width = 0;
    uint64_t macs = 0, scratch = 0;
    for (size_t i = 0; i < n_children; i++) {
        if (children[i] >= m->n_nodes) {
            snprintf(err, errlen, "Unknown component");
            return false;
        }
        const struct serve_node *c = &m->nodes[children[i]], *first = &m->nodes[children[0]];
        bool fits = mode == MARKET_MODE_AVERAGE
                        ? c->n_inputs == first->n_inputs && c->n_outputs == first->n_outputs
                        : i == 0 || m->nodes[children[i - 1]].n_outputs == c->n_inputs;
        if (!fits) {
            snprintf(err, errlen, "Component %zu does not fit the %s", i,
                     market_mode_name(mode));
            return false;
        }
        expansion += c->expansion;
        macs += c->macs; /* at most 16 leaves of < 2^25 parameters: no overflow */
        if (c->width > width)
            width = c->width;
        /* scratch alive while component i runs (see serve_node.scratch) */
        uint64_t s = c->scratch;
        if (mode == MARKET_MODE_AVERAGE)
            s += m->nodes[children[n_children - 1]].n_outputs;
        else {
            if (i > 0)
                s += m->nodes[children[i - 1]].n_outputs;
            if (i + 1 < n_children)
                s += c->n_outputs;
        }
        if (s > scratch)
            scratch = s;
    }
    if (expansion > MARKET_MAX_EXPANSION) {
        snprintf(err, errlen, "The model has more than %d models in its expansion",
                 MARKET_MAX_EXPANSION);
        return false;
    }
    struct serve_node *n = append(m, id, idx, err, errlen);
    if (!n)
        return false;
    n->mode = mode;
    n->n_children = (uint8_t)n_children;
    for (size_t i = 0; i < n_children; i++)
        n->children[i] = (uint8_t)children[i];
    n->n_inputs = m->nodes[children[0]].n_inputs;
    n->n_outputs = m->nodes[children[n_children - 1]].n_outputs;
    n->expansion = expansion;
    n->width = width;
    n->macs = macs;
    n->scratch = scratch;
    return true;
}

bool serve_set_root(struct serve_model *m, size_t idx, char *err, size_t errlen)
{
    if (idx >= m->n_nodes || m->nodes[idx].expansion > MARKET_MAX_EXPANSION) {
        snprintf(err, errlen, "The model has more than %d models in its expansion",
                 MARKET_MAX_EXPANSION);
        return false;
    }
    m->root = idx;
    m->expansion = m->nodes[idx].expansion;
    return true;
}

uint32_t serve_n_inputs(const struct serve_model *m)
{
    return m->nodes[m->root].n_inputs;
}

uint32_t serve_n_outputs(const struct serve_model *m)
{
    return m->nodes[m->root].n_outputs;
}

/* ---- evaluation ---- */

bool serve_check_rows(const struct serve_model *m, size_t rows, char *err, size_t errlen)
{
    if (rows == 0 || rows > SERVE_MAX_ROWS) {
        snprintf(err, errlen, "A request carries 1..%d rows (not %zu)", SERVE_MAX_ROWS, rows);
        return false;
    }
    const struct serve_node *r = &m->nodes[m->root];
    /* each term below 2^32 x 16 x 2^8: no overflow in 64 bits */
    uint64_t outputs = (uint64_t)rows * r->n_outputs;
    uint64_t memory = (uint64_t)rows * ((uint64_t)r->n_inputs + r->n_outputs + r->scratch);
    uint64_t macs = r->macs;
    if (outputs > SERVE_MAX_OUTPUTS) {
        snprintf(err, errlen,
                 "%zu rows of this model give %llu output values, above the limit of %llu per "
                 "request: send fewer rows per request",
                 rows, (unsigned long long)outputs, (unsigned long long)SERVE_MAX_OUTPUTS);
        return false;
    }
    if (memory > SERVE_MAX_MEMORY) {
        snprintf(err, errlen,
                 "%zu rows of this model need %llu values of buffers, above the limit of %llu "
                 "per request: send fewer rows per request",
                 rows, (unsigned long long)memory, (unsigned long long)SERVE_MAX_MEMORY);
        return false;
    }
    if (macs > SERVE_MAX_MACS / rows) {
        snprintf(err, errlen,
                 "%zu rows of this model need %llu multiply-adds each, above the limit of "
                 "%llu per request: send fewer rows per request",
                 rows, (unsigned long long)macs, (unsigned long long)SERVE_MAX_MACS);
        return false;
    }
    return true;
}

static bool eval_node(const struct serve_model *m, size_t idx, const double *x, size_t rows,
                      double *out, char *err, size_t errlen)
{
    const struct serve_node *n = &m->nodes[idx];
    if (n->mode == MARKET_MODE_NONE) {
        const size_t nf = n->n_inputs;
        double *t = malloc(rows * nf * sizeof(*t));
        if (!t) {
            snprintf(err, errlen, "Out of memory");
            return false;
        }
        for (size_t r = 0; r < rows; r++) {
            for (size_t f = 0; f < nf; f++) {
                double v = x[r * nf + f];
                if (n->mean)
                    v = ((isnan(v) ? n->mean[f] : v) - n->mean[f]) / n->std[f];
                else if (isnan(v))
                    v = 0;
                t[r * nf + f] = v;
            }
        }
        bool ok = ml_model_predict_proba(n->ml, t, rows, out, err, errlen);
        free(t);
        return ok;
    }
    const size_t no = n->n_outputs;
    bool ok = true;
    if (n->mode == MARKET_MODE_AVERAGE) {
        double *part = malloc(rows * no * sizeof(*part));
        if (!part) {
            snprintf(err, errlen, "Out of memory");
            return false;
        }
        memset(out, 0, rows * no * sizeof(*out));
        for (uint8_t c = 0; ok && c < n->n_children; c++) {
            ok = eval_node(m, n->children[c], x, rows, part, err, errlen);
            for (size_t i = 0; ok && i < rows * no; i++)
                out[i] += part[i];
        }
        for (size_t i = 0; ok && i < rows * no; i++)
            out[i] /= n->n_children;
        free(part);
        return ok;
    }
    /* pipeline */
    const double *in = x;
    double *prev = NULL;
    for (uint8_t c = 0; ok && c < n->n_children; c++) {
        const struct serve_node *cn = &m->nodes[n->children[c]];
        double *dst = c + 1 == n->n_children ? out : malloc(rows * cn->n_outputs * sizeof(*dst));
        if (!dst) {
            snprintf(err, errlen, "Out of memory");
            ok = false;
            break;
        }
        ok = eval_node(m, n->children[c], in, rows, dst, err, errlen);
        free(prev);
        prev = dst == out ? NULL : dst;
        in = dst;
    }
    free(prev);
    return ok;
}

bool serve_eval(const struct serve_model *m, const double *x, size_t rows, double *out,
                char *err, size_t errlen)
{
    if (!serve_check_rows(m, rows, err, errlen))
        return false;
    return eval_node(m, m->root, x, rows, out, err, errlen);
}
