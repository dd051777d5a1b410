/* Models: logistic regression, softmax regression and the multi-layer
 * perceptron, as one flat parameter vector; forward pass, cross-entropy loss
 * and its gradient through OpenBLAS.
 *
 * CANONICAL PARAMETER LAYOUT.  Shared with consensus/, which aggregates the
 * Q16.16 form of this vector (ml/quant.h) and checks its length; changing it
 * changes the chain's rules.
 *
 *   A model is a stack of dense layers sizes[0] -> sizes[1] -> ... -> sizes[L].
 *   The parameters are one flat vector, layer by layer from input to output.
 *   For a layer with `in` inputs and `out` units the block is
 *       W[o*in + i]   o in [0, out), i in [0, in)   weights, row-major [out][in]
 *       b[o]          o in [0, out)                 biases
 *   (out*in + out values), and the next layer's block follows directly.
 *   param_count = sum over layers of (out*in + out).
 *
 *   Unit o computes z[o] = b[o] + sum_i W[o*in + i] * a[i], where a is the
 *   layer's input.  Hidden layers apply ReLU, max(0, z).  The output layer
 *   applies the sigmoid when it has one unit (its value is P(class 1)) and
 *   the softmax over its units when it has K > 1 (class k has probability
 *   exp(z[k]) / sum_j exp(z[j])).
 *
 *   Logistic regression:  one layer in -> 1    (sizes {in, 1}).
 *   Softmax regression:   one layer in -> K    (sizes {in, K}, K >= 2).
 *   MLP:                  sizes {in, h1, ..., hm, out}, ReLU on h1..hm.
 *
 *   Worked example, MLP sizes {3, 2, 1}, 11 parameters:
 *       p[0..5]   layer 1 W: W[0][0] W[0][1] W[0][2] W[1][0] W[1][1] W[1][2]
 *       p[6..7]   layer 1 b: b[0] b[1]
 *       p[8..9]   layer 2 W: W[0][0] W[0][1]
 *       p[10]     layer 2 b: b[0]
 *   so P(class 1 | x) = sigmoid(p[10] + p[8]*relu(p[6] + p[0]x0 + p[1]x1 + p[2]x2)
 *                                     + p[9]*relu(p[7] + p[3]x0 + p[4]x1 + p[5]x2)).
 *
 * Results are deterministic for a given input on a given machine: ml_init()
 * pins OpenBLAS to one thread.  Different CPUs may pick different OpenBLAS
 * kernels and differ in the last bits, which is why only the Q16.16 form of
 * parameters ever reaches consensus.
 */
#ifndef FML_ML_MODEL_H
#define FML_ML_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_MAX_LAYERS 16             /* dense layers, so up to 17 sizes */
#define ML_MAX_UNITS (1u << 20)      /* per layer, inputs included */
#define ML_MAX_PARAMS (1u << 28)

enum ml_model_kind {
    ML_LOGREG = 1,
    ML_SOFTMAX = 2,
    ML_MLP = 3,
};

struct ml_model_spec {
    enum ml_model_kind kind;
    uint32_t n_layers;                   /* dense layers, >= 1 */
    uint32_t sizes[ML_MAX_LAYERS + 1];   /* sizes[0] inputs ... sizes[n_layers] outputs */
};

/* Pins OpenBLAS to one thread so that results do not depend on the thread
 * count.  Idempotent and thread-safe; every entry point below calls it too. */
void ml_init(void);

/* Fill *s and check it (false if a size is 0 or out of bounds). */
bool ml_spec_logreg(struct ml_model_spec *s, uint32_t n_inputs);
bool ml_spec_softmax(struct ml_model_spec *s, uint32_t n_inputs, uint32_t n_classes);
/* sizes[0..n_sizes): inputs, hidden layers, outputs; n_sizes >= 2. */
bool ml_spec_mlp(struct ml_model_spec *s, const uint32_t *sizes, size_t n_sizes);

/* Logistic regression has sizes {in, 1}, softmax regression {in, K >= 2};
 * every size in [1, ML_MAX_UNITS]; at most ML_MAX_PARAMS parameters. */
bool ml_spec_check(const struct ml_model_spec *s, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Number of parameters of a valid spec. */
size_t ml_param_count(const struct ml_model_spec *s);
uint32_t ml_spec_n_inputs(const struct ml_model_spec *s);
uint32_t ml_spec_n_outputs(const struct ml_model_spec *s);
/* Classes the model tells apart: 2 for one output unit, else the outputs. */
uint32_t ml_spec_n_classes(const struct ml_model_spec *s);

struct ml_model {
    struct ml_model_spec spec;
    size_t n_params;
    double *params;          /* [n_params], canonical layout */
};

/* A model with all parameters 0; NULL (and err) for a bad spec or no memory. */
struct ml_model *ml_model_new(const struct ml_model_spec *spec, char *err, size_t errlen);
void ml_model_free(struct ml_model *m);

/* Weights uniform in +-sqrt(6 / (in + out)) (Glorot) for the output layer and
 * +-sqrt(6 / in) (He) for ReLU layers, biases 0, drawn in layout order. */
void ml_model_init_random(struct ml_model *m, uint64_t seed);

/* Copy the flat vector out of / into the model; false if n != n_params. */
bool ml_model_get_params(const struct ml_model *m, double *p, size_t n)
    __attribute__((warn_unused_result));
bool ml_model_set_params(struct ml_model *m, const double *p, size_t n)
    __attribute__((warn_unused_result));
/* The same in Q16.16; get fails on a NAN parameter or n != n_params. */
bool ml_model_get_q16(const struct ml_model *m, int32_t *q, size_t n)
    __attribute__((warn_unused_result));
bool ml_model_set_q16(struct ml_model *m, const int32_t *q, size_t n)
    __attribute__((warn_unused_result));

/* proba[n_rows][n_outputs] for the rows x[n_rows][n_inputs]: P(class 1) for a
 * one-unit output, class probabilities otherwise. */
bool ml_model_predict_proba(const struct ml_model *m, const double *x, size_t n_rows,
                            double *proba, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Most probable class per row of proba[n_rows][n_outputs] (P >= 0.5 is
 * class 1 for one output; ties go to the lower class). */
void ml_proba_to_class(const double *proba, size_t n_rows, uint32_t n_outputs, uint32_t *cls);
/* ml_model_predict_proba() then ml_proba_to_class(). */
bool ml_model_predict(const struct ml_model *m, const double *x, size_t n_rows,
                      uint32_t *cls, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Mean cross-entropy over the rows plus (l2 / 2) * (sum of squared weights,
 * biases excluded) into *loss, and its gradient into grad[n_params] unless
 * grad is NULL.  y[r] < ml_spec_n_classes(); n_rows > 0. */
bool ml_model_loss_grad(const struct ml_model *m, const double *x, const uint32_t *y,
                        size_t n_rows, double l2, double *loss, double *grad,
                        char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
