/* Serving a Market model: the evaluation a compute provider runs for
 * `predict` (not consensus: floating point through ml/ on OpenBLAS).
 *
 * A model is loaded from the chain's view into a tree: a leaf is its spec,
 * its normalization and its Q16.16 weights as an ml/ model; a composite is
 * its components in order (a component named twice is evaluated twice, as
 * it is paid twice).  Evaluation of rows x[rows][n_inputs]:
 *   leaf      each value is normalized as fml-agent normalizes a task's rows
 *             (a missing value, NAN, becomes the feature's mean; then
 *             (x - mean) / std; without a normalization the identity, a
 *             missing value 0), then ml_model_predict_proba: P(class 1) for
 *             one output unit, the class probabilities otherwise;
 *   average   the mean of the components' outputs (summed in component
 *             order, then divided by their count);
 *   pipeline  the first component on the rows, each next one on the
 *             previous one's outputs.
 * Bounds: the expansion at most MARKET_MAX_EXPANSION models (depth at most
 * MARKET_MAX_DEPTH), at most SERVE_MAX_PARAMS parameters loaded for one
 * model (its distinct leaves), and per request at most SERVE_MAX_ROWS rows,
 * SERVE_MAX_OUTPUTS output values (rows x the root's n_outputs: the reply),
 * SERVE_MAX_MEMORY doubles of buffers alive at once (rows x (n_inputs +
 * n_outputs + the root's scratch: every buffer the expansion's evaluation
 * holds at its deepest point, ml/'s activations included)) and
 * SERVE_MAX_MACS multiply-adds (rows x the expansion's, repeats counted).
 * All are checked by serve_check_rows before any buffer is allocated.
 */
#ifndef FML_RPC_SERVE_H
#define FML_RPC_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"
#include "consensus/fl.h"
#include "consensus/market.h"

struct view;
struct ml_model;

#define SERVE_MAX_ROWS 10000
/* rows x the root's n_outputs: 2^20 values in the reply. */
#define SERVE_MAX_OUTPUTS (UINT64_C(1) << 20)
/* rows x (n_inputs + n_outputs + scratch of the root): 2^23 doubles, 64 MiB
 * of buffers alive at once during one evaluation. */
#define SERVE_MAX_MEMORY (UINT64_C(1) << 23)
/* rows x multiply-adds per row of the whole expansion: 2^32, about a second
 * of one core. */
#define SERVE_MAX_MACS (UINT64_C(1) << 32)
/* Parameters of the distinct leaves loaded for one model: 2^25, 256 MiB of
 * doubles. */
#define SERVE_MAX_PARAMS (UINT64_C(1) << 25)

struct serve_node {
    uint8_t id[MARKET_MODEL_ID_SIZE];
    uint8_t mode;               /* MARKET_MODE_NONE for a leaf */
    uint32_t n_inputs, n_outputs;
    uint32_t width;             /* the widest layer of the node's expansion */
    uint32_t expansion;         /* models in its expansion, itself included */
    uint64_t macs;              /* multiply-adds per row of its expansion */
    /* doubles per row its evaluation holds at its peak besides its input
     * and output: a leaf its normalized rows and ml/'s activations; an
     * average the part buffer plus its largest component's scratch; a
     * pipeline, at each step, the previous and next intermediate outputs
     * plus the component's scratch (the largest step) */
    uint64_t scratch;
    /* leaf */
    struct ml_model *ml;
    double *mean, *std;         /* [n_inputs] or NULL (no normalization) */
    /* composite: indexes into serve_model.nodes */
    uint8_t n_children;
    uint8_t children[MARKET_MAX_COMPONENTS];
};

/* A loaded model; nodes[root] is the model served.  A model that appears
 * more than once in the expansion is loaded once. */
struct serve_model {
    size_t n_nodes;
    struct serve_node nodes[MARKET_MAX_EXPANSION];
    size_t root;
    uint32_t expansion;         /* models evaluated per row, repeats included */
    uint64_t params;            /* parameters loaded (distinct leaves) */
};

/* Loads model id from the view.  False with err when it is unknown, a
 * record or weights are missing, malformed or too large for ml/. */
bool serve_load(struct view *v, const uint8_t id[MARKET_MODEL_ID_SIZE], struct serve_model **out,
                char *err, size_t errlen) WARN_UNUSED;

/* Builders without a chain (benchmarks, tests).  A leaf from a spec and
 * its weights (fl_param_count(spec) x i32 LE); a composite of models
 * already in m (its nodes' indexes).  They append to m; the new node's
 * index in *idx. */
struct serve_model *serve_model_new(void);
bool serve_add_leaf(struct serve_model *m, const uint8_t id[MARKET_MODEL_ID_SIZE],
                    const struct fl_spec *spec, const uint8_t *weights, size_t n_weights,
                    size_t *idx, char *err, size_t errlen) WARN_UNUSED;
bool serve_add_composite(struct serve_model *m, const uint8_t id[MARKET_MODEL_ID_SIZE],
                         uint8_t mode, const size_t *children, size_t n_children, size_t *idx,
                         char *err, size_t errlen) WARN_UNUSED;
/* Makes node idx the root and counts its expansion; false when it is
 * above MARKET_MAX_EXPANSION. */
bool serve_set_root(struct serve_model *m, size_t idx, char *err, size_t errlen) WARN_UNUSED;
void serve_model_free(struct serve_model *m);

uint32_t serve_n_inputs(const struct serve_model *m);
uint32_t serve_n_outputs(const struct serve_model *m);

/* Checks the bounds for `rows` rows (SERVE_MAX_ROWS, SERVE_MAX_OUTPUTS,
 * SERVE_MAX_MEMORY, SERVE_MAX_MACS). */
bool serve_check_rows(const struct serve_model *m, size_t rows, char *err, size_t errlen)
    WARN_UNUSED;

/* out[rows][n_outputs] for x[rows][n_inputs] (x is not changed). */
bool serve_eval(const struct serve_model *m, const double *x, size_t rows, double *out,
                char *err, size_t errlen) WARN_UNUSED;

#endif
