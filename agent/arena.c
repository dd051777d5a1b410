/* fml-agent in the AI Arena: a training node or a validator of one task.
 *
 *   -arena-trainer    stakes as a trainer, trains from zero weights on the
 *                     public training CSV (ml/), and commits the Q16.16
 *                     weights with arenasubmit in the submission window; the
 *                     wallet reveals them by itself in the reveal window.
 *   -arena-validator  stakes as a validator; once the reveal window has
 *                     closed, downloads the validation sets the chain drew
 *                     for it (arenagetvalset) and every scoreable submission
 *                     (arenagetsubmission), computes the loss of each on
 *                     each set in floats (log loss or mean squared error),
 *                     rounds it to the chain's Q16.16 u32 and commits the
 *                     list with arenascore; the wallet reveals it by itself.
 *
 * Both follow the task until it ends and print what the chain decided for
 * them (rank, loss, Reward A and B, slashes).
 *
 * -malicious makes the agent misbehave, to show the chain's defences:
 *   copy           (trainer) commits blind, waits for another trainer's
 *                  reveal and tries to reveal those weights as its own; the
 *                  commitment does not match, the node refuses the reveal
 *                  and the chain slashes the missed reveal;
 *   random-scores  (validator) commits random losses;
 *   lazy           commits and never reveals.
 * The dishonest commitments are built here as raw transactions signed by the
 * wallet (signrawtransactionwithwallet), so that the wallet, which reveals
 * what arenasubmit and arenascore commit, has nothing to reveal.
 */
#include "agent/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "consensus/arena.h"
#include "consensus/bech32.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "ml/quant.h"
#include "ml/rng.h"

/* The transactions this agent builds itself (the dishonest modes). */
#define RAW_SUBMIT_COMMIT TX_ARENA_SUBMIT_COMMIT
#define RAW_SUBMIT_REVEAL TX_ARENA_SUBMIT_REVEAL
#define RAW_SCORE_COMMIT TX_ARENA_SCORE_COMMIT
/* Fee rate of the raw transactions, units per byte (the node's minimum is 1). */
#define RAW_FEE_PER_BYTE 10
/* Seconds to wait for a stake to confirm. */
#define CONFIRM_TIMEOUT 120
/* Calls of an action before giving up on it. */
#define MAX_TRIES 3
/* Extra FML sent to a new address with its stake, for fees. */
#define FEE_MARGIN 1.0
/* -malicious=random-scores: losses uniform in [0, this) (Q16.16 units). */
#define RANDOM_LOSS_BOUND (4u * 65536u)

/* ---- losses: pure functions ---- */

uint32_t agent_arena_loss_q16(double loss)
{
    if (isnan(loss) || loss >= 65536.0)
        return UINT32_MAX;
    if (loss <= 0)
        return 0;
    /* Round to nearest, halves up (the value is positive). */
    double v = floor(loss * 65536.0 + 0.5);
    return v >= 4294967295.0 ? UINT32_MAX : (uint32_t)v;
}

void agent_arena_set_free(struct agent_arena_set *s)
{
    if (!s)
        return;
    free(s->x);
    free(s->label);
    memset(s, 0, sizeof(*s));
}

bool agent_arena_set_parse(const uint8_t *b, size_t len, size_t n_inputs,
                           struct agent_arena_set *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    const size_t row = 4 * (n_inputs + 1);
    if (n_inputs == 0 || len == 0 || len % row != 0) {
        snprintf(err, errlen, "A validation set of %zu bytes is not whole rows of %zu inputs",
                 len, n_inputs);
        return false;
    }
    s->n_rows = len / row;
    s->n_inputs = n_inputs;
    s->x = malloc(s->n_rows * n_inputs * sizeof(*s->x));
    s->label = malloc(s->n_rows * sizeof(*s->label));
    if (!s->x || !s->label) {
        agent_arena_set_free(s);
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    struct rbuf r;
    rbuf_init(&r, b, len);
    for (size_t i = 0; i < s->n_rows; i++) {
        for (size_t j = 0; j < n_inputs; j++) {
            int32_t q;
            if (!get_i32(&r, &q))
                goto bad;
            s->x[i * n_inputs + j] = ml_q16_to_double(q);
        }
        if (!get_i32(&r, &s->label[i]))
            goto bad;
    }
    return true;
bad:
    agent_arena_set_free(s);
    snprintf(err, errlen, "A validation set is truncated");
    return false;
}

static double clip_proba(double p)
{
    if (isnan(p))
        return AGENT_ARENA_PROBA_EPS;
    if (p < AGENT_ARENA_PROBA_EPS)
        return AGENT_ARENA_PROBA_EPS;
    if (p > 1 - AGENT_ARENA_PROBA_EPS)
        return 1 - AGENT_ARENA_PROBA_EPS;
    return p;
}

double agent_arena_loss_proba(const double *proba, size_t n_outputs, const int32_t *label,
                              size_t n, enum agent_arena_loss kind)
{
    if (n == 0 || n_outputs == 0)
        return NAN;
    double sum = 0;
    for (size_t r = 0; r < n; r++) {
        const double *p = proba + r * n_outputs;
        if (kind == AGENT_ARENA_LOGLOSS) {
            double pt;
            if (n_outputs == 1)
                pt = label[r] == 1 ? p[0] : label[r] == 0 ? 1 - p[0] : 0;
            else
                pt = label[r] >= 0 && (size_t)label[r] < n_outputs ? p[label[r]] : 0;
            /* A label the model cannot predict counts as the clipped minimum. */
            sum += -log(clip_proba(pt));
        } else {
            /* The prediction is the expected class index (P(class 1) for one
             * output); the target is the Q16.16 label. */
            double pred = 0;
            if (n_outputs == 1)
                pred = p[0];
            else
                for (size_t k = 1; k < n_outputs; k++)
                    pred += (double)k * p[k];
            double d = pred - ml_q16_to_double(label[r]);
            sum += d * d;
        }
    }
    return sum / (double)n;
}

bool agent_arena_loss(const struct ml_model_spec *spec, const int32_t *q, size_t n,
                      const struct agent_arena_set *s, const struct ml_scaler *sc,
                      enum agent_arena_loss kind, double *loss, char *err, size_t errlen)
{
    if (s->n_inputs != ml_spec_n_inputs(spec) || (sc && sc->n_features != s->n_inputs)) {
        snprintf(err, errlen, "The validation set has %zu inputs, the model %u", s->n_inputs,
                 ml_spec_n_inputs(spec));
        return false;
    }
    struct ml_model *m = ml_model_new(spec, err, errlen);
    if (!m)
        return false;
    const size_t nout = ml_spec_n_outputs(spec);
    double *x = malloc(s->n_rows * s->n_inputs * sizeof(*x));
    double *proba = malloc(s->n_rows * nout * sizeof(*proba));
    bool ok = x && proba;
    if (!ok)
        snprintf(err, errlen, "Out of memory");
    if (ok && !ml_model_set_q16(m, q, n)) {
        snprintf(err, errlen, "%zu weights for a model of %zu parameters", n, m->n_params);
        ok = false;
    }
    if (ok) {
        memcpy(x, s->x, s->n_rows * s->n_inputs * sizeof(*x));
        if (sc)
            ml_scaler_transform_rows(sc, x, s->n_rows);
        ok = ml_model_predict_proba(m, x, s->n_rows, proba, err, errlen);
    }
    if (ok)
        *loss = agent_arena_loss_proba(proba, nout, s->label, s->n_rows, kind);
    free(x);
    free(proba);
    ml_model_free(m);
    return ok;
}

/* Each comma-separated name of names is a column of ds (zero it when zero). */
static bool each_feature(struct ml_dataset *ds, const char *names, bool zero, char *err,
                         size_t errlen)
{
    if (!names || !*names)
        return true;
    char *copy = strdup(names), *save = NULL;
    if (!copy) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    bool ok = true;
    for (char *t = strtok_r(copy, ",", &save); ok && t; t = strtok_r(NULL, ",", &save)) {
        long col = ml_dataset_feature_index(ds, t);
        if (col < 0) {
            snprintf(err, errlen, "-dropfeatures: the data has no column \"%s\"", t);
            ok = false;
            break;
        }
        /* Standardized, 0 is the column's mean: the model learns nothing from it. */
        for (size_t r = 0; zero && r < ds->n_rows; r++)
            ds->x[r * ds->n_features + (size_t)col] = 0;
    }
    free(copy);
    return ok;
}

bool agent_arena_drop_features(struct ml_dataset *ds, const char *names, char *err,
                               size_t errlen)
{
    return each_feature(ds, names, true, err, errlen);
}

bool agent_arena_check_features(const struct ml_dataset *ds, const char *names, char *err,
                                size_t errlen)
{
    return each_feature((struct ml_dataset *)ds, names, false, err, errlen);
}

/* ---- following a task ---- */

struct arena {
    const struct agent_rpc *rpc;
    const struct agent_arena_opts *o;
    char address[128];
    struct ml_model_spec spec;
    size_t n_params;
    enum agent_arena_loss loss;
    json_t *model;                 /* the task's model spec, normalization in Q16.16 */
    json_t *task0;                 /* arenagettask at start */
    uint64_t submit_end, reveal_end, sets_end, score_commit_end, settle;
    bool staked, committed, copied, scored, announced;
    uint32_t tries_stake, tries_commit, tries_copy, tries_score;
    int32_t *weights;              /* trainer: what it trained */
    char err[1024];
};

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *call(struct arena *a, const char *method, json_t *params, bool quiet)
{
    json_t *res;
    if (agent_call(a->rpc, method, params, &res, NULL, a->err, sizeof a->err) != AGENT_CALL_OK) {
        if (!quiet)
            agent_log("%s: %s", method, a->err);
        return NULL;
    }
    return res;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* An integer field given as a JSON integer or a decimal string. */
static bool json_u64(const json_t *o, const char *key, uint64_t *v)
{
    const json_t *x = json_object_get(o, key);
    if (json_is_integer(x) && json_integer_value(x) >= 0) {
        *v = (uint64_t)json_integer_value(x);
        return true;
    }
    if (json_is_string(x)) {
        char *end;
        unsigned long long u = strtoull(json_string_value(x), &end, 10);
        if (end != json_string_value(x) && *end == '\0') {
            *v = u;
            return true;
        }
    }
    return false;
}

/* An amount (FML) as text, from a JSON number or string. */
static void amount_text(const json_t *x, char *out, size_t len)
{
    if (json_is_string(x))
        snprintf(out, len, "%s", json_string_value(x));
    else if (json_is_integer(x))
        snprintf(out, len, "%lld", (long long)json_integer_value(x));
    else if (json_is_real(x))
        snprintf(out, len, "%.8f", json_real_value(x));
    else
        snprintf(out, len, "0");
}

static double amount_value(const json_t *x)
{
    if (json_is_string(x))
        return strtod(json_string_value(x), NULL);
    return json_is_number(x) ? json_number_value(x) : 0;
}

static json_t *get_task(struct arena *a, bool quiet)
{
    return call(a, "arenagettask", json_pack("[s]", a->o->task), quiet);
}

static int64_t tip(struct arena *a)
{
    json_t *h = call(a, "getblockcount", NULL, true);
    int64_t v = json_is_integer(h) ? json_integer_value(h) : -1;
    json_decref(h);
    return v;
}

/* This agent's record in arenagettask's operators, or NULL. */
static const json_t *me_in(const struct arena *a, const json_t *task)
{
    const json_t *p;
    size_t i;
    json_array_foreach(json_object_get(task, "operators"), i, p) {
        if (strcmp(str(p, "address"), a->address) == 0)
            return p;
    }
    return NULL;
}

/* A copy of the task's model spec whose normalization, [[mean, std], ...]
 * as arenagettask shows it, is in the form agent_data_task_scaler() reads
 * ({"mean_q16", "std_q16"} per input; the decimals are exact Q16.16). */
static json_t *model_with_q16_normalization(const json_t *model)
{
    json_t *m = json_deep_copy(model);
    const json_t *norm = json_object_get(model, "normalization");
    if (!m || !json_is_array(norm))
        return m;
    json_t *out = json_array();
    const json_t *e;
    size_t i;
    json_array_foreach(norm, i, e) {
        if (json_is_object(e)) {
            json_array_append(out, (json_t *)e);
            continue;
        }
        const json_t *mean = json_array_get(e, 0), *std = json_array_get(e, 1);
        if (!json_is_number(mean) || !json_is_number(std)) {
            json_decref(out);
            json_decref(m);
            return NULL;
        }
        json_array_append_new(out, json_pack("{s:I,s:I}", "mean_q16",
                                             (json_int_t)ml_q16_from_double(json_number_value(mean)),
                                             "std_q16",
                                             (json_int_t)ml_q16_from_double(json_number_value(std))));
    }
    json_object_set_new(m, "normalization", out);
    return m;
}

/* The windows and the model of the task. */
static bool read_task(struct arena *a, const json_t *task)
{
    const json_t *w = json_object_get(task, "windows");
    const json_t *p = json_object_get(task, "params");
    if (!json_u64(w, "submit_end", &a->submit_end) || !json_u64(w, "reveal_end", &a->reveal_end) ||
        !json_u64(w, "sets_end", &a->sets_end) ||
        !json_u64(w, "score_commit_end", &a->score_commit_end) ||
        !(json_u64(w, "settle_height", &a->settle) || json_u64(w, "settle", &a->settle))) {
        snprintf(a->err, sizeof a->err, "The task's windows are malformed");
        return false;
    }
    const json_t *model = json_object_get(p, "model");
    a->model = model_with_q16_normalization(json_is_object(model) ? model : p);
    if (!a->model) {
        snprintf(a->err, sizeof a->err, "The task's normalization is malformed");
        return false;
    }
    if (!agent_model_spec(a->model, &a->spec, a->err, sizeof a->err))
        return false;
    a->n_params = ml_param_count(&a->spec);
    const json_t *loss = json_object_get(p, "loss");
    if (json_is_integer(loss))
        a->loss = json_integer_value(loss) == 1 ? AGENT_ARENA_MSE : AGENT_ARENA_LOGLOSS;
    else
        a->loss = strcmp(json_string_value(loss) ? json_string_value(loss) : "", "mse") == 0
                      ? AGENT_ARENA_MSE : AGENT_ARENA_LOGLOSS;
    return true;
}

/* A new address of the wallet funded with stake + FEE_MARGIN. */
static bool fund_new_address(struct arena *a, const char *stake)
{
    json_t *addr = call(a, "getnewaddress", json_pack("[s]", "arena"), false);
    if (!json_is_string(addr)) {
        json_decref(addr);
        return false;
    }
    snprintf(a->address, sizeof a->address, "%s", json_string_value(addr));
    json_decref(addr);
    double need = strtod(stake, NULL) + FEE_MARGIN;
    char amount[64];
    snprintf(amount, sizeof amount, "%.8f", need);
    json_t *txid = call(a, "sendtoaddress", json_pack("[ss]", a->address, amount), false);
    if (!txid)
        return false;
    json_decref(txid);
    agent_log("Funding %s with %s FML from the wallet", a->address, amount);
    time_t end = time(NULL) + CONFIRM_TIMEOUT;
    while (!agent_stop && time(NULL) < end) {
        json_t *acct = call(a, "getaccount", json_pack("[s]", a->address), true);
        double bal = amount_value(json_object_get(acct, "balance"));
        json_decref(acct);
        if (bal + 1e-9 >= need)
            return true;
        sleep_ms(a->o->poll_ms);
    }
    agent_log("The funding of %s did not confirm", a->address);
    return false;
}

/* ---- raw transactions (the dishonest modes) ---- */

/* Builds a transaction of type with payload from this agent's address,
 * has the wallet sign it and sends it.  True when the node accepted it;
 * otherwise a->err holds the node's reason. */
static bool send_raw(struct arena *a, uint8_t type, const uint8_t *payload, size_t len)
{
    char hrp[BECH32_MAX_LEN + 1];
    const char *one = strrchr(a->address, '1');
    size_t hl = one ? (size_t)(one - a->address) : 0;
    if (hl == 0 || hl >= sizeof hrp) {
        snprintf(a->err, sizeof a->err, "Malformed address %s", a->address);
        return false;
    }
    memcpy(hrp, a->address, hl);
    hrp[hl] = '\0';
    struct tx tx;
    tx_init(&tx);
    tx.version = TX_VERSION;
    tx.type = type;
    if (!address_decode(tx.sender, hrp, a->address) || !tx_set_payload(&tx, payload, len)) {
        tx_free(&tx);
        snprintf(a->err, sizeof a->err, "Cannot build a transaction from %s", a->address);
        return false;
    }
    json_t *acct = call(a, "getaccount", json_pack("[s]", a->address), false);
    uint64_t nonce = 0;
    if (!acct || !(json_u64(acct, "next_nonce", &nonce) || json_u64(acct, "nonce", &nonce))) {
        json_decref(acct);
        tx_free(&tx);
        return false;
    }
    json_decref(acct);
    tx.nonce = nonce;
    tx.fee = (uint64_t)tx_encoded_size(&tx) * RAW_FEE_PER_BYTE;
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(&tx, &w);
    tx_free(&tx);
    char *hex = malloc(2 * w.len + 1);
    if (!hex) {
        wbuf_free(&w);
        return false;
    }
    sodium_bin2hex(hex, 2 * w.len + 1, w.data, w.len);
    wbuf_free(&w);
    json_t *signed_tx = call(a, "signrawtransactionwithwallet", json_pack("[s]", hex), false);
    free(hex);
    if (!signed_tx)
        return false;
    if (!json_is_true(json_object_get(signed_tx, "complete"))) {
        snprintf(a->err, sizeof a->err, "The wallet could not sign for %s", a->address);
        json_decref(signed_tx);
        return false;
    }
    json_t *txid = call(a, "sendrawtransaction",
                        json_pack("[s]", str(signed_tx, "hex")), true);
    json_decref(signed_tx);
    if (!txid)
        return false;
    json_decref(txid);
    return true;
}

static bool task_id(struct arena *a, uint8_t out[32])
{
    if (!hash_from_hex(out, a->o->task)) {
        snprintf(a->err, sizeof a->err, "-task=%s: 64 hex digits expected", a->o->task);
        return false;
    }
    return true;
}

/* A commitment to nothing the wallet knows (type RAW_SUBMIT_COMMIT or
 * RAW_SCORE_COMMIT): random bytes. */
static bool commit_blind(struct arena *a, uint8_t type)
{
    struct arena_commit c;
    if (!task_id(a, c.task))
        return false;
    randombytes_buf(c.commitment, sizeof c.commitment);
    struct wbuf w;
    wbuf_init(&w);
    arena_commit_encode(&c, &w);
    bool ok = send_raw(a, type, w.data, w.len);
    wbuf_free(&w);
    return ok;
}

/* ---- trainer ---- */

static bool stake(struct arena *a, const char *role)
{
    a->tries_stake++;
    char amount[64];
    if (a->o->stake)
        snprintf(amount, sizeof amount, "%s", a->o->stake);
    else
        amount_text(json_object_get(json_object_get(a->task0, "params"),
                                    strcmp(role, "trainer") == 0 ? "trainer_min_stake"
                                                                 : "validator_min_stake"),
                    amount, sizeof amount);
    if (!a->address[0] && !fund_new_address(a, amount))
        return false;
    json_t *txid = call(a, "arenastake", json_pack("[ssss]", a->o->task, role, amount, a->address),
                        false);
    if (!txid)
        return false;
    const json_t *t = json_is_object(txid) ? json_object_get(txid, "txid") : txid;
    agent_log("Staking %s FML as %s of task %s from %s (tx %s)", amount, role, a->o->task,
              a->address, json_string_value(t) ? json_string_value(t) : "?");
    json_decref(txid);
    return true;
}

static bool train(struct arena *a, const struct ml_dataset *data)
{
    if (ml_spec_n_inputs(&a->spec) != data->n_features) {
        snprintf(a->err, sizeof a->err,
                 "The task's model takes %u inputs; the data has %zu features",
                 ml_spec_n_inputs(&a->spec), data->n_features);
        return false;
    }
    if (data->n_classes > ml_spec_n_classes(&a->spec)) {
        snprintf(a->err, sizeof a->err, "The data has %u classes; the task's model predicts %u "
                 "(binary labels need -positive=<value> unless they are 0/1)", data->n_classes,
                 ml_spec_n_classes(&a->spec));
        return false;
    }
    struct ml_scaler *sc = NULL;
    struct ml_dataset *t = NULL;
    int32_t *zero = calloc(a->n_params, sizeof(*zero));
    a->weights = calloc(a->n_params, sizeof(*a->weights));
    bool ok = zero && a->weights &&
              agent_data_task_scaler(a->model, data, &sc, a->err, sizeof a->err) &&
              (t = agent_data_transformed(data, sc, a->err, sizeof a->err)) != NULL &&
              agent_arena_drop_features(t, a->o->drop_features, a->err, sizeof a->err) &&
              agent_model_train(&a->spec, zero, a->n_params, t, &a->o->train, AGENT_HONEST,
                                a->weights, a->err, sizeof a->err);
    if (ok) {
        struct ml_eval e;
        if (agent_model_evaluate(&a->spec, a->weights, a->n_params, t, &e, a->err, sizeof a->err))
            agent_log("Trained on %zu rows (%u epochs, learning rate %g%s%s): training accuracy "
                      "%.3f, log loss %.4f", t->n_rows, a->o->train.epochs,
                      a->o->train.learning_rate, a->o->drop_features ? ", without " : "",
                      a->o->drop_features ? a->o->drop_features : "", e.accuracy, e.log_loss);
    }
    free(zero);
    ml_scaler_free(sc);
    ml_dataset_free(t);
    return ok;
}

static void commit_weights(struct arena *a)
{
    a->tries_commit++;
    if (a->o->malice == AGENT_ARENA_COPY || a->o->malice == AGENT_ARENA_LAZY) {
        if (!commit_blind(a, RAW_SUBMIT_COMMIT)) {
            agent_log("The blind commitment was refused: %s", a->err);
            return;
        }
        a->committed = true;
        agent_log("Committed blind (%s): nothing the wallet could reveal",
                  a->o->malice == AGENT_ARENA_COPY ? "to copy a revealed submission later"
                                                   : "never to reveal");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < a->n_params; i++)
        json_array_append_new(arr, json_integer(a->weights[i]));
    json_t *res = call(a, "arenasubmit", json_pack("[sos]", a->o->task, arr, a->address), false);
    if (!res)
        return;
    a->committed = true;
    agent_log("Committed %zu weights (commitment %s); the wallet reveals them after block %llu",
              a->n_params, str(res, "commitment"), (unsigned long long)a->submit_end);
    json_decref(res);
}

/* -malicious=copy: the weights of another trainer's revealed submission,
 * sent as this agent's reveal. */
static void try_copy(struct arena *a, const json_t *task)
{
    const json_t *p;
    size_t i;
    const char *victim = NULL;
    json_array_foreach(json_object_get(task, "operators"), i, p) {
        if (strcmp(str(p, "address"), a->address) != 0 &&
            json_is_true(json_object_get(p, "revealed"))) {
            victim = str(p, "address");
            break;
        }
    }
    if (!victim)
        return;   /* nobody revealed yet */
    a->tries_copy++;
    json_t *sub = call(a, "arenagetsubmission", json_pack("[ss]", a->o->task, victim), false);
    const json_t *w = json_object_get(sub, "weights_q16");
    if (!json_is_array(w))
        w = json_object_get(sub, "weights");
    if (!sub || json_array_size(w) != a->n_params) {
        json_decref(sub);
        return;
    }
    struct arena_submit_reveal r;
    if (!task_id(a, r.task)) {
        json_decref(sub);
        return;
    }
    /* The salt of the blind commitment is long gone: any salt will do, as
     * no salt makes another trainer's weights match it. */
    randombytes_buf(r.salt, sizeof r.salt);
    struct wbuf ws, b;
    wbuf_init(&ws);
    wbuf_init(&b);
    const json_t *x;
    json_array_foreach(w, i, x) {
        /* weights as Q16.16 integers, or as decimals */
        put_i32(&ws, json_is_integer(x) ? (int32_t)json_integer_value(x)
                                        : ml_q16_from_double(amount_value(x)));
    }
    json_decref(sub);
    r.n = a->n_params;
    r.weights = ws.data;
    arena_submit_reveal_encode(&r, &b);
    wbuf_free(&ws);
    a->copied = true;
    if (send_raw(a, RAW_SUBMIT_REVEAL, b.data, b.len))
        agent_log("Revealed the weights of %s as its own: the node accepted them", victim);
    else
        agent_log("Tried to reveal the weights of %s as its own: refused (%s)", victim, a->err);
    wbuf_free(&b);
}

/* ---- validator ---- */

/* The raw bytes of a revealed set. */
static bool get_set(struct arena *a, uint32_t k, struct agent_arena_set *s)
{
    json_t *v = call(a, "arenagetvalset", json_pack("[sI]", a->o->task, (json_int_t)k), false);
    if (!v)
        return false;
    const char *hex = str(v, "hex");
    size_t hl = strlen(hex);
    uint8_t *bytes = malloc(hl / 2 + 1);
    size_t len = 0;
    bool ok = bytes && json_is_true(json_object_get(v, "complete")) &&
              sodium_hex2bin(bytes, hl / 2 + 1, hex, hl, NULL, &len, NULL) == 0 &&
              agent_arena_set_parse(bytes, len, ml_spec_n_inputs(&a->spec), s, a->err,
                                    sizeof a->err);
    if (!ok && !a->err[0])
        snprintf(a->err, sizeof a->err, "Set %u is not complete on the chain", k);
    free(bytes);
    json_decref(v);
    return ok;
}

static bool get_weights(struct arena *a, const char *addr, int32_t *q)
{
    json_t *sub = call(a, "arenagetsubmission", json_pack("[ss]", a->o->task, addr), false);
    if (!sub)
        return false;
    const json_t *w = json_object_get(sub, "weights_q16");
    bool as_int = json_is_array(w);
    if (!as_int)
        w = json_object_get(sub, "weights");
    bool ok = json_array_size(w) == a->n_params;
    for (size_t i = 0; ok && i < a->n_params; i++) {
        const json_t *x = json_array_get(w, i);
        q[i] = as_int ? (int32_t)json_integer_value(x) : ml_q16_from_double(amount_value(x));
    }
    if (!ok)
        snprintf(a->err, sizeof a->err, "The submission of %s has %zu weights, the model %zu",
                 addr, json_array_size(w), a->n_params);
    json_decref(sub);
    return ok;
}

/* Losses in the chain's order: sets with a draw, ascending, then the
 * scoreable submissions in commit order. */
/* The scoreable submissions, in commit order: arenagettask's submissions
 * (revealed, not duplicates) whose trainer took part at the snapshot
 * (eligible: its own stake reached the minimum by the deadline). */
static json_t *scoreable(const json_t *task)
{
    json_t *out = json_array();
    const json_t *s;
    size_t i;
    json_array_foreach(json_object_get(task, "submissions"), i, s) {
        const json_t *o, *op = NULL;
        size_t j;
        json_array_foreach(json_object_get(task, "operators"), j, o) {
            if (strcmp(str(o, "address"), str(s, "address")) == 0)
                op = o;
        }
        if (op && !json_is_false(json_object_get(op, "eligible")))
            json_array_append(out, (json_t *)s);
    }
    return out;
}

static void score(struct arena *a, const json_t *task, const json_t *me)
{
    a->tries_score++;
    const json_t *assign = json_object_get(me, "assignment");
    json_t *subs = scoreable(task);
    size_t m = json_array_size(subs), nsets = 0;
    for (size_t k = 0; k < json_array_size(assign); k++)
        nsets += json_integer_value(json_array_get(assign, k)) > 0;
    if (nsets == 0 || m == 0) {
        agent_log("No set drawn for this validator or no submission to score: nothing to do");
        a->scored = true;
        json_decref(subs);
        return;
    }
    json_t *losses = json_array();
    /* Every submission's weights, once: [m][n_params]. */
    int32_t *w = calloc(m * a->n_params, sizeof(*w));
    struct ml_scaler *sc = NULL;
    bool ok = losses && w;
    for (size_t j = 0; ok && a->o->malice != AGENT_ARENA_RANDOM && j < m; j++)
        ok = get_weights(a, str(json_array_get(subs, j), "address"), w + j * a->n_params);
    struct ml_rng rng;
    ml_rng_seed(&rng, a->o->train.seed);
    for (size_t k = 0; ok && k < json_array_size(assign); k++) {
        if (json_integer_value(json_array_get(assign, k)) <= 0)
            continue;
        struct agent_arena_set s;
        if (a->o->malice == AGENT_ARENA_RANDOM) {
            for (size_t j = 0; j < m; j++)
                json_array_append_new(losses, json_integer((json_int_t)(ml_rng_uniform(&rng) *
                                                                        RANDOM_LOSS_BOUND)));
            continue;
        }
        if (!get_set(a, (uint32_t)k, &s)) {
            agent_log("Set %zu: %s", k, a->err);
            ok = false;
            break;
        }
        if (!sc) {
            struct ml_dataset *fit = ml_dataset_new(s.n_rows, s.n_inputs, 2);
            ok = fit != NULL;
            if (ok) {
                memcpy(fit->x, s.x, s.n_rows * s.n_inputs * sizeof(*s.x));
                ok = agent_data_task_scaler(a->model, fit, &sc, a->err, sizeof a->err);
            }
            ml_dataset_free(fit);
        }
        char line[1024] = "";
        size_t used = 0;
        for (size_t j = 0; ok && j < m; j++) {
            double l;
            ok = agent_arena_loss(&a->spec, w + j * a->n_params, a->n_params, &s, sc, a->loss,
                                  &l, a->err, sizeof a->err);
            if (ok) {
                json_array_append_new(losses, json_integer(agent_arena_loss_q16(l)));
                if (used < sizeof line - 16)
                    used += (size_t)snprintf(line + used, sizeof line - used, " %.4f", l);
            }
        }
        if (ok)
            agent_log("Set %zu (%zu rows, drawn %lld times): losses%s", k, s.n_rows,
                      (long long)json_integer_value(json_array_get(assign, k)), line);
        agent_arena_set_free(&s);
    }
    free(w);
    json_decref(subs);
    ml_scaler_free(sc);
    if (!ok) {
        agent_log("Scoring failed: %s", a->err);
        json_decref(losses);
        return;
    }
    if (a->o->malice == AGENT_ARENA_LAZY) {
        json_decref(losses);
        if (commit_blind(a, RAW_SCORE_COMMIT)) {
            a->scored = true;
            agent_log("Committed scores blind, never to reveal them");
        } else {
            agent_log("The blind score commitment was refused: %s", a->err);
        }
        return;
    }
    size_t n = json_array_size(losses);
    json_t *res = call(a, "arenascore", json_pack("[sos]", a->o->task, losses, a->address), false);
    if (!res)
        return;
    a->scored = true;
    agent_log("Committed %zu losses%s (commitment %s); the wallet reveals them after block %llu", n,
              a->o->malice == AGENT_ARENA_RANDOM ? " drawn at random" : "",
              str(res, "commitment"), (unsigned long long)a->score_commit_end);
    json_decref(res);
}

/* ---- the end ---- */

static void report(struct arena *a, const json_t *task)
{
    const char *state = str(task, "state");
    const json_t *me = me_in(a, task);
    const json_t *r;
    size_t i;
    char result[256] = "";
    json_array_foreach(json_object_get(task, "results"), i, r) {
        if (strcmp(str(r, "address"), a->address) == 0) {
            uint64_t loss = 0, rank = 0;
            json_u64(r, "loss_raw", &loss);
            json_u64(r, "rank", &rank);
            snprintf(result, sizeof result, "; rank %llu, consensus loss %.4f",
                     (unsigned long long)rank, (double)loss / 65536.0);
        }
    }
    json_t *rw = call(a, "arenagetrewards", json_pack("[s]", a->address), true);
    const json_t *entries = json_object_get(rw, "entries");
    char money[512] = "";
    json_array_foreach(entries, i, r) {
        if (strcmp(str(r, "task"), a->o->task) != 0)
            continue;
        char ra[40], rb[40], fo[40], sl[40];
        amount_text(json_object_get(r, "reward_a"), ra, sizeof ra);
        amount_text(json_object_get(r, "reward_b_vesting"), rb, sizeof rb);
        amount_text(json_object_get(r, "forfeited"), fo, sizeof fo);
        amount_text(json_object_get(r, "slashed"), sl, sizeof sl);
        snprintf(money + strlen(money), sizeof money - strlen(money),
                 "; %s: Reward A %s FML, Reward B %s FML vesting, forfeited %s, slashed %s",
                 str(r, "role"), ra, rb, fo, sl);
    }
    json_decref(rw);
    agent_log("Task %s %s; %s %s%s%s%s", a->o->task, state,
              a->o->validator ? "validator" : "trainer", a->address, me && json_is_true(json_object_get(me, "slashed")) ? " (slashed)" : "",
              result, money);
}

static bool over(const char *state)
{
    return strcmp(state, "settled") == 0 || strcmp(state, "refunded") == 0 ||
           strcmp(state, "failed") == 0;
}

/* One look at the task.  1: go on; 0: the task is over. */
static int step(struct arena *a)
{
    json_t *task = get_task(a, true);
    int64_t h = tip(a);
    if (!task || h < 0) {
        json_decref(task);
        return 1;
    }
    const char *state = str(task, "state");
    if (over(state)) {
        report(a, task);
        json_decref(task);
        return 0;
    }
    const json_t *me = me_in(a, task);
    uint64_t next = (uint64_t)h + 1;   /* the first block a transaction sent now can be in */
    const char *role = a->o->validator ? "validator" : "trainer";
    if (!a->staked && !me && a->tries_stake < MAX_TRIES && next <= a->submit_end) {
        a->staked = stake(a, role);
    } else if (!a->o->validator && me && !a->committed && a->tries_commit < MAX_TRIES &&
               next <= a->submit_end) {
        commit_weights(a);
    } else if (!a->o->validator && a->o->malice == AGENT_ARENA_COPY && a->committed &&
               !a->copied && a->tries_copy < MAX_TRIES && next > a->submit_end &&
               next <= a->reveal_end) {
        try_copy(a, task);
    } else if (a->o->validator && me && !a->scored && a->tries_score < MAX_TRIES &&
               (uint64_t)h >= a->sets_end && next <= a->score_commit_end) {
        score(a, task, me);
    }
    if (!me && next > a->submit_end && !a->announced) {
        a->announced = true;
        agent_log("Not an operator of task %s by its submission deadline (block %llu)",
                  a->o->task, (unsigned long long)a->submit_end);
    }
    json_decref(task);
    return 1;
}

int agent_arena_run(const struct agent_rpc *rpc, const struct agent_arena_opts *o,
                    const struct ml_dataset *data)
{
    struct arena a;
    memset(&a, 0, sizeof a);
    a.rpc = rpc;
    a.o = o;
    if (o->address)
        snprintf(a.address, sizeof a.address, "%s", o->address);
    a.task0 = get_task(&a, false);
    if (!a.task0) {
        fprintf(stderr, "Error: %s\n", a.err);
        return 1;
    }
    int rc = 1;
    if (!read_task(&a, a.task0)) {
        fprintf(stderr, "Error: %s\n", a.err);
    } else if (!o->validator && o->malice != AGENT_ARENA_COPY && o->malice != AGENT_ARENA_LAZY &&
               !train(&a, data)) {
        fprintf(stderr, "Error: %s\n", a.err);
    } else {
        agent_log("Following task %s as %s%s (submissions until block %llu, reveals until %llu, "
                  "scores until %llu, settlement at %llu)", o->task,
                  o->validator ? "validator" : "trainer",
                  o->malice == AGENT_ARENA_COPY ? " (copier)"
                  : o->malice == AGENT_ARENA_RANDOM ? " (random scores)"
                  : o->malice == AGENT_ARENA_LAZY ? " (lazy)" : "",
                  (unsigned long long)a.submit_end, (unsigned long long)a.reveal_end,
                  (unsigned long long)a.score_commit_end, (unsigned long long)a.settle);
        rc = 0;
        while (!agent_stop && step(&a))
            sleep_ms(o->poll_ms);
        if (agent_stop)
            agent_log("Stopped by a signal");
    }
    free(a.weights);
    json_decref(a.model);
    json_decref(a.task0);
    return agent_stop ? 1 : rc;
}
