/* fml-agent: the participant client of the FL Alliance.  Declarations
 * shared by its files, internal to the program:
 *
 *   agent.c           main: options and the choice of mode
 *   rpc.c             the connection to the operator's node (JSON-RPC)
 *   data.c            the private CSV: loading, the private split, the
 *                     task's normalization, aggregate feature statistics
 *   model.c           local training and evaluation on Q16.16 weights, and
 *                     the misbehaviours of -malicious
 *   round.c           following a task round by round (join, submit, vote)
 *   dp.c              differential privacy of a proposer's update: clipping,
 *                     Gaussian noise and the Renyi DP accountant
 *   offline.c         the modes that need no task round: local baselines,
 *                     evaluation of a task's model, feature statistics
 *   arena.c           the AI Arena: a training node (-arena-trainer) or a
 *                     validator (-arena-validator) of one task, and the
 *                     losses validators compute
 *
 * Rows of the private data never leave the process: what goes to the node
 * is weights, votes and metrics (and, in -stats mode, per-feature sums that
 * the operator prints and publishes by choice).
 */
#ifndef FML_AGENT_AGENT_H
#define FML_AGENT_AGENT_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ml/dataset.h"
#include "ml/metrics.h"
#include "ml/model.h"
#include "ml/scaler.h"
#include "client/rpcclient.h"
#include "consensus/attr.h"

struct config;

/* ---- rpc.c       ---- */

struct agent_rpc {
    struct rpc_client_options opts;
    char host[256];
    char *datadir;
    char *net_datadir;
    char *cookie;
};

enum agent_call_status {
    AGENT_CALL_OK,
    AGENT_CALL_UNREACHABLE,   /* no connection, no credentials, HTTP failure */
    AGENT_CALL_RPC_ERROR,     /* the node answered with a JSON-RPC error */
};

/* Reads the connection options (-datadir, -conf, -chain/-regtest/-testnet,
 * -rpcconnect, -rpcport, -rpcuser, -rpcpassword, -rpccookiefile,
 * -rpcwallet, -rpcclienttimeout) as fml-cli does. */
bool agent_rpc_setup(struct agent_rpc *r, struct config *cfg, char *err, size_t errlen)
    WARN_UNUSED;
void agent_rpc_free(struct agent_rpc *r);

/* Calls method with params (a JSON array, stolen; NULL: none).  On
 * AGENT_CALL_OK *result (unless NULL) is the decoded result, the caller's to
 * free; otherwise err says what went wrong and *code (unless NULL) holds the
 * JSON-RPC error code (0 when the node was not reached). */
enum agent_call_status agent_call(const struct agent_rpc *r, const char *method, json_t *params,
                                  json_t **result, int64_t *code, char *err, size_t errlen)
    WARN_UNUSED;

/* ---- data.c       ---- */

struct agent_data_opts {
    const char *label;        /* NULL: the last column of the header */
    const char *positive;     /* binary labels: the positive class; or NULL */
    const char *zero_missing; /* comma-separated columns where 0 means missing; or NULL */
};

/* Loads a CSV file (missing values as NAN). */
bool agent_data_load(const char *path, const struct agent_data_opts *o, struct ml_dataset **out,
                     char *err, size_t errlen) WARN_UNUSED;

/* The task's normalization (the "normalization" array of a model spec from
 * flgettask): impute = mean, then (x - mean) / std.  Without one, the
 * identity with missing values imputed by the column means of fit_rows. */
bool agent_data_task_scaler(const json_t *spec, const struct ml_dataset *fit_rows,
                            struct ml_scaler **out, char *err, size_t errlen)
    WARN_UNUSED;

/* Imputes and standardizes a copy of ds with s. */
struct ml_dataset *agent_data_transformed(const struct ml_dataset *ds, const struct ml_scaler *s,
                                          char *err, size_t errlen);
/* The rows of a and b (same columns and classes) in one new dataset. */
struct ml_dataset *agent_data_concat(const struct ml_dataset *a, const struct ml_dataset *b,
                                     char *err, size_t errlen);

/* Per-feature rows, present values, their sum and sum of squares, as JSON:
 * the statistics a participant may publish so that the task's creator can
 * compute a pooled normalization without seeing any row. */
json_t *agent_data_stats(const struct ml_dataset *ds);

/* Replaces every label y by (y + 1) mod n_classes (for -malicious=flip). */
void agent_data_flip_labels(struct ml_dataset *ds);

/* ---- model.c       ---- */

enum agent_malice {
    AGENT_HONEST = 0,
    AGENT_FLIP,    /* trains on flipped labels */
    AGENT_NOISE,   /* submits random weights */
    AGENT_SCALE,   /* multiplies its update (the change from the global model) */
};

/* The factor of AGENT_SCALE, and the bound of AGENT_NOISE's weights. */
#define AGENT_SCALE_FACTOR 25.0
#define AGENT_NOISE_BOUND 5.0

struct agent_train_cfg {
    uint32_t epochs;
    double learning_rate;
    uint32_t batch_size;
    double l2;
    uint64_t seed;
};

/* The ml/ spec of a task's model spec (flgettask's "model"). */
bool agent_model_spec(const json_t *model, struct ml_model_spec *s, char *err, size_t errlen)
    WARN_UNUSED;

/* The weights_q16 array of an flgetmodel result into q[n]. */
bool agent_model_weights(const json_t *model_result, int32_t *q, size_t n, char *err,
                         size_t errlen) WARN_UNUSED;

/* Trains from the weights start[n] on train (transformed rows) and writes
 * the resulting weights to out[n], changed as malice says. */
bool agent_model_train(const struct ml_model_spec *spec, const int32_t *start, size_t n,
                       const struct ml_dataset *train, const struct agent_train_cfg *cfg,
                       enum agent_malice malice, int32_t *out, char *err, size_t errlen)
    WARN_UNUSED;

/* What one revealed update w[n] does to the global model g[n] in an
 * aggregate of k slots: out = g + (w - g) / k, Q16.16 rounded (half away
 * from zero), saturated.  k >= 1. */
void agent_model_candidate(const int32_t *g, const int32_t *w, size_t n, uint32_t k,
                           int32_t *out);

/* Accuracy, AUC and log loss of the weights q[n] on ds (transformed rows). */
bool agent_model_evaluate(const struct ml_model_spec *spec, const int32_t *q, size_t n,
                          const struct ml_dataset *ds, struct ml_eval *out, char *err,
                          size_t errlen) WARN_UNUSED;

/* ---- market.c       ---- */

struct agent_market_opts {
    const char *model;      /* -market-model */
    const char *provider;   /* -market-provider: its address */
    const char *csv;        /* -market-csv: a header and the model's inputs */
    const char *label;      /* -label: a column of the CSV left out */
    const char *out;        /* -market-out, or NULL: standard output */
    const char *max_price;  /* -market-maxprice (FML), or NULL: the current price */
    const char *address;    /* -address: the payer's wallet address, or NULL: the wallet's
                               choice (marketcall, marketsignrequest) */
    bool calls_set;
    uint64_t calls;         /* -market-calls (default: the CSV's rows; 0: buy none) */
    size_t batch;           /* -market-batch: rows per predict request */
    uint32_t wait_s;        /* -market-wait: seconds for the purchase to confirm */
    uint32_t poll_ms;
};

/* Buys o->calls calls through local's wallet (marketcall), waits for the
 * confirmation, then sends the CSV's rows to provider's predict in batches
 * signed by the wallet (marketsignrequest) and writes outputs and classes
 * as CSV.  0 on success; 1 with the error printed. */
int agent_market_buy(const struct agent_rpc *local, const struct agent_rpc *provider,
                     const struct agent_market_opts *o);

/* ---- dp.c       ---- */

#define AGENT_DP_SEEDBYTES 32

/* The orders of the accountant's Renyi DP (1.25 .. 256). */
extern const double agent_dp_orders[];
extern const size_t agent_dp_n_orders;

struct agent_dp {
    double epsilon;        /* -dp-epsilon, the target over `releases`; 0: DP off */
    double delta;          /* -dp-delta */
    double clip;           /* -dp-clip: L2 bound C of a released change, weight units */
    bool seeded;           /* -dp-seed given: the noise repeats (seed_value) */
    uint64_t seed_value;
    /* set by agent_dp_setup: */
    uint32_t releases;     /* the task's rounds: at most one release per round */
    double sigma;          /* noise multiplier: std of the noise = sigma * clip */
    uint32_t released;     /* updates released so far */
    uint8_t seed[AGENT_DP_SEEDBYTES];
};

/* Scales delta[n] to L2 norm clip when its norm is larger; else leaves it.
 * Returns the norm before. */
double agent_dp_clip(double *delta, size_t n, double clip);

/* out[i] = std * N(0, 1), from the ChaCha20 stream keyed by H(seed |
 * stream) (Box-Muller).  False when out of memory. */
bool agent_dp_noise(double *out, size_t n, double std, const uint8_t seed[AGENT_DP_SEEDBYTES],
                    uint64_t stream) WARN_UNUSED;

/* epsilon at delta of `releases` Gaussian mechanisms of noise multiplier
 * sigma (sensitivity 1, std sigma): the minimum over agent_dp_orders of
 * releases * a / (2 sigma^2) + log(1 / delta) / (a - 1); *order (unless
 * NULL) the order reaching it.  INFINITY for sigma <= 0 or delta outside
 * (0, 1). */
double agent_dp_epsilon(double sigma, uint32_t releases, double delta, double *order);

/* The smallest sigma (to a relative 1e-12, rounded up) with
 * agent_dp_epsilon(sigma, releases, delta) <= epsilon.  False (err) when
 * no sigma up to 1e6 reaches it. */
bool agent_dp_calibrate(double epsilon, double delta, uint32_t releases, double *sigma,
                        char *err, size_t errlen) WARN_UNUSED;

/* Calibrates dp (epsilon, delta, clip, seeded/seed_value set) for a task
 * of `rounds` rounds and draws or derives the noise seed. */
bool agent_dp_setup(struct agent_dp *dp, uint32_t rounds, char *err, size_t errlen) WARN_UNUSED;

/* In place: w = g + clip(w - g) + noise (Q16.16 rounded, saturated), the
 * noise of stream `stream` (the round: the chain takes one update per
 * round, so a stream is never released twice, even by an agent that
 * restarted with the same -dp-seed); counts the release in dp->released.
 * *norm: the norm of w - g before clipping. */
bool agent_dp_release(struct agent_dp *dp, const int32_t *g, int32_t *w, size_t n,
                      uint64_t stream, double *norm, char *err, size_t errlen) WARN_UNUSED;

/* ---- round.c       ---- */

struct agent_task_opts {
    const char *task;              /* hex id */
    const char *address;           /* NULL: a new address funded from the wallet */
    const char *stake;             /* FML as text; NULL: the task's min_stake */
    double test_fraction;
    double tolerance;              /* log loss a candidate may lose and still get +1 */
    double max_step;               /* a candidate's change from the global model may be at
                                      most this many times the voter's own one-round
                                      change or a tenth of the global model's norm,
                                      whichever is larger (norms); 0: no bound */
    double max_loss;               /* an update's own weights W may raise the log loss of
                                      this participant's whole file (training and test
                                      rows) by at most this over G's; 0: no bound */
    uint32_t poll_ms;
    enum agent_malice malice;
    struct agent_train_cfg train;  /* seed: also the private split's */
    struct agent_dp dp;            /* -dp-*: epsilon 0 when off; set up when following */
};

/* A voter's vote on a candidate (model.c): +1 when its log loss is within
 * o->tolerance of the global model's, if o->max_step > 0 its change from g
 * is at most o->max_step times the larger of own - g (the voter's own
 * one-round update), a tenth of |g| and 1 (*step_ratio: that ratio), and if
 * o->max_loss > 0 the update's full weights raise the log loss of the
 * voter's whole file by at most o->max_loss (full_rise: that rise); else
 * -1; the reverse for -malicious. */
int agent_model_vote(double cand_loss, double global_loss, double full_rise, const int32_t *g,
                     const int32_t *cand, const int32_t *own, size_t n,
                     const struct agent_task_opts *o, double *step_ratio);

/* Set by the signal handler: stop at the next poll. */
extern volatile sig_atomic_t agent_stop;

/* Joins the task and follows it until it completes, is cancelled, or
 * removes this participant (returns 0), or until an error (1). */
int agent_follow_task(const struct agent_rpc *rpc, const struct agent_task_opts *o,
                      const struct ml_dataset *data);

/* ---- offline.c       ---- */

/* Trains locally on the pooled training files (each split like a
 * participant's with test_fraction and the seed, the training part kept)
 * and prints the metrics on eval_path as JSON. */
int agent_baseline(const char *const *train_paths, size_t n_train, const char *eval_path,
                   const struct agent_data_opts *d, double test_fraction,
                   const struct agent_train_cfg *cfg, bool normalize);

/* Prints the metrics of a task's global model after a round (-1: the
 * current one) on eval_path, normalized as the task says, as JSON. */
int agent_evaluate_task(const struct agent_rpc *rpc, const char *task, int64_t round,
                        const char *eval_path, const struct agent_data_opts *d);

/* Prints agent_data_stats() of path as JSON. */
int agent_print_stats(const char *path, const struct agent_data_opts *d);

/* ---- arena.c       ---- */

/* Probabilities are clipped to [eps, 1 - eps] in the Arena's log loss. */
#define AGENT_ARENA_PROBA_EPS 1e-7

enum agent_arena_loss {
    AGENT_ARENA_LOGLOSS = 0,   /* the task's loss byte 0 */
    AGENT_ARENA_MSE = 1,       /* 1 */
};

enum agent_arena_malice {
    AGENT_ARENA_HONEST = 0,
    AGENT_ARENA_COPY,          /* trainer: commits blind, then reveals another's weights */
    AGENT_ARENA_RANDOM,        /* validator: commits random losses */
    AGENT_ARENA_LAZY,          /* commits, never reveals */
};

struct agent_arena_opts {
    const char *task;              /* hex id */
    const char *address;           /* NULL: a new address funded from the wallet */
    const char *stake;             /* FML as text; NULL: the role's min stake */
    bool validator;                /* -arena-validator; else -arena-trainer */
    enum agent_arena_malice malice;
    const char *drop_features;     /* trainer: comma-separated columns it ignores; or NULL */
    uint32_t poll_ms;
    struct agent_train_cfg train;  /* trainer; seed: also the random scorer's */
};

/* A loss as the chain takes it: u32 Q16.16 (value / 65536), rounded to
 * nearest with halves up, saturated: 0 below zero; 0xFFFFFFFF from 65536
 * on (or where the rounding reaches it) and for NAN. */
uint32_t agent_arena_loss_q16(double loss);

/* A validation set as the chain keeps it: rows of n_inputs Q16.16 features
 * and an i32 label, little-endian. */
struct agent_arena_set {
    size_t n_rows;
    size_t n_inputs;
    double *x;         /* [n_rows][n_inputs], the features' values */
    int32_t *label;    /* [n_rows]: class index (log loss) or Q16.16 target (mse) */
};
bool agent_arena_set_parse(const uint8_t *bytes, size_t len, size_t n_inputs,
                           struct agent_arena_set *s, char *err, size_t errlen) WARN_UNUSED;
void agent_arena_set_free(struct agent_arena_set *s);

/* Mean loss of proba[n][n_outputs] (ml_model_predict_proba's layout)
 * against label[n].  Log loss: natural log of the true class's probability
 * clipped to [AGENT_ARENA_PROBA_EPS, 1 - AGENT_ARENA_PROBA_EPS] (a label
 * out of the model's range counts as the clipped minimum).  MSE: the
 * prediction is the expected class index (P(class 1) for one output), the
 * target label / 65536.  NAN when n == 0. */
double agent_arena_loss_proba(const double *proba, size_t n_outputs, const int32_t *label,
                              size_t n, enum agent_arena_loss kind);

/* The loss of the weights q[n] on s, whose features are first transformed
 * by sc (the task's normalization; NULL: none). */
bool agent_arena_loss(const struct ml_model_spec *spec, const int32_t *q, size_t n,
                      const struct agent_arena_set *s, const struct ml_scaler *sc,
                      enum agent_arena_loss kind, double *loss, char *err, size_t errlen)
    WARN_UNUSED;

/* Sets the named columns (comma-separated) of a standardized dataset to 0,
 * their mean, so that a model learns nothing from them. */
bool agent_arena_drop_features(struct ml_dataset *ds, const char *names, char *err,
                               size_t errlen) WARN_UNUSED;
/* Whether every name is a column of ds (err names the first that is not). */
bool agent_arena_check_features(const struct ml_dataset *ds, const char *names, char *err,
                                size_t errlen) WARN_UNUSED;

/* Takes part in an Arena task until it ends (0) or fails (1).  data: the
 * public training rows (trainer; NULL for a validator). */
int agent_arena_run(const struct agent_rpc *rpc, const struct agent_arena_opts *o,
                    const struct ml_dataset *data);

/* ---- agent.c ---- */

/* A timestamped line on stdout. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
