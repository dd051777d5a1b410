/* fml-agent following an FL task round by round: it joins with a stake from
 * its wallet, then, in every round, looks up the role the chain drew for it
 * (proposer slots are drawn by stake, with replacement; the others vote):
 *
 *   proposer  in the submit window, trains from the current global model G
 *             on its private training split, applies differential privacy
 *             when -dp-epsilon is given (the change from G clipped to
 *             -dp-clip, Gaussian noise added; agent/dp.c), and commits to
 *             the weights (flsubmitupdate: only a hash goes on chain, the
 *             wallet keeps weights and salt); in the update reveal window
 *             it reveals them (flrevealupdate);
 *   voter     in the commit window, fetches every revealed update W_i (in
 *             the round's revealed_order) and measures G + (W_i - G) / k,
 *             k the round's slots, against G on its private test split:
 *             +1 when the log loss is within -tolerance of G's and W_i
 *             moved from G no further than -maxstep times its own one-round
 *             training would (or a tenth of G's norm, if larger), else -1;
 *             commits one verdict per update, with the accuracy measured as
 *             its metric, and reveals them in the reveal window.
 *
 * When a round has closed it prints one line: role, local metrics, its
 * verdicts or its update's fate, every update's outcome, reward or slash.
 * It stops when the task completes or is cancelled, or when the chain
 * removes this participant.
 *
 * The node is only polled; a failed call is retried at the next poll, so
 * a node that restarts or lags costs time, not the task.
 */
#include "agent/agent.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ml/quant.h"

/* Extra FML sent to a new address with its stake, for the fees of a task's
 * transactions. */
#define FEE_MARGIN "1"
/* Seconds to wait for a funding or join transaction to confirm. */
#define CONFIRM_TIMEOUT 120
/* Calls of a round's action before giving up on it (a node that refuses
 * the transaction usually refuses it again). */
#define MAX_TRIES 3
/* The most updates a round can reveal (FL_MAX_SLOTS). */
#define MAX_UPDATES 64

enum role {
    ROLE_UNKNOWN,
    ROLE_NONE,
    ROLE_PROPOSER,
    ROLE_VOTER,
};

/* A voter's measurement of one revealed update. */
struct verdict {
    char proposer[128];
    int verdict;
    struct ml_eval eval;       /* G + (W - G) / k on the test split */
    double step_ratio;         /* |W - G| over the yardstick of -maxstep */
};

struct round_state {
    uint32_t round;
    enum role role;
    uint32_t slots;                 /* proposer: times drawn */
    /* proposer */
    int32_t *update;                /* the weights committed (kept for a retry) */
    bool committed_update, revealed_update;
    bool dp_applied;
    double dp_norm, dp_eps, dp_eps_any;
    /* voter */
    bool committed, revealed, nothing_to_vote;
    size_t n_verdicts;
    struct verdict verdicts[MAX_UPDATES];
    struct ml_eval global;          /* G on the test split */
    uint32_t tries_submit, tries_update_reveal, tries_commit, tries_reveal;
    bool have_metric;
    struct ml_eval local;           /* proposer: its update on its test split */
};

struct follower {
    const struct agent_rpc *rpc;
    const struct agent_task_opts *o;
    char address[128];
    struct ml_model_spec spec;
    size_t n_params;
    struct ml_dataset *train, *test;  /* transformed with the task's normalization */
    struct agent_dp dp;               /* epsilon 0: off */
    struct round_state cur;
    char err[1024];
};

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One call; on failure logs what failed (when quiet is false). */
static json_t *call(struct follower *f, const char *method, json_t *params, bool quiet)
{
    json_t *res;
    if (agent_call(f->rpc, method, params, &res, NULL, f->err, sizeof f->err) != AGENT_CALL_OK) {
        if (!quiet)
            agent_log("%s", f->err);
        return NULL;
    }
    return res;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double num(const json_t *o, const char *key)
{
    const json_t *x = json_object_get(o, key);
    return json_is_number(x) ? json_number_value(x) : 0;
}

static json_t *get_task(struct follower *f, bool quiet)
{
    return call(f, "flgettask", json_pack("[s]", f->o->task), quiet);
}

/* This participant's entry in flgettask's participants, or NULL. */
static const json_t *me_in(const struct follower *f, const json_t *task)
{
    const json_t *p;
    size_t i;
    json_array_foreach(json_object_get(task, "participants"), i, p) {
        if (strcmp(str(p, "address"), f->address) == 0)
            return p;
    }
    return NULL;
}

/* Waits until pred holds for the task (or the timeout/stop). */
static bool wait_task(struct follower *f, bool (*pred)(const struct follower *, const json_t *),
                      const char *what)
{
    time_t end = time(NULL) + CONFIRM_TIMEOUT;
    while (!agent_stop && time(NULL) < end) {
        json_t *t = get_task(f, true);
        bool ok = t && pred(f, t);
        json_decref(t);
        if (ok)
            return true;
        sleep_ms(f->o->poll_ms);
    }
    agent_log("Gave up waiting for %s", what);
    return false;
}

static bool joined(const struct follower *f, const json_t *task)
{
    return me_in(f, task) != NULL;
}

/* The stake as text: -stake or the task's min_stake. */
static void stake_text(const struct follower *f, const json_t *task, char *out, size_t len)
{
    if (f->o->stake)
        snprintf(out, len, "%s", f->o->stake);
    else
        snprintf(out, len, "%.8f", num(task, "min_stake"));
}

/* A new address of the wallet, funded with stake + FEE_MARGIN from it. */
static bool fund_new_address(struct follower *f, const char *stake)
{
    json_t *addr = call(f, "getnewaddress", json_pack("[s]", "fl"), false);
    if (!json_is_string(addr)) {
        json_decref(addr);
        return false;
    }
    snprintf(f->address, sizeof f->address, "%s", json_string_value(addr));
    json_decref(addr);
    double need = strtod(stake, NULL) + strtod(FEE_MARGIN, NULL);
    char amount[64];
    snprintf(amount, sizeof amount, "%.8f", need);
    json_t *txid = call(f, "sendtoaddress", json_pack("[ss]", f->address, amount), false);
    if (!txid)
        return false;
    json_decref(txid);
    agent_log("Funding %s with %s FML from the wallet", f->address, amount);
    time_t end = time(NULL) + CONFIRM_TIMEOUT;
    while (!agent_stop && time(NULL) < end) {
        json_t *acct = call(f, "getaccount", json_pack("[s]", f->address), true);
        double bal = num(acct, "balance");
        json_decref(acct);
        if (bal + 1e-9 >= need)
            return true;
        sleep_ms(f->o->poll_ms);
    }
    agent_log("The funding of %s did not confirm", f->address);
    return false;
}

/* Joins the task (unless already in it).  False on failure. */
static bool join(struct follower *f, const json_t *task)
{
    if (f->o->address)
        snprintf(f->address, sizeof f->address, "%s", f->o->address);
    if (f->address[0] && me_in(f, task)) {
        agent_log("Already a participant of task %s as %s", f->o->task, f->address);
        return true;
    }
    if (strcmp(str(task, "state"), "open") != 0) {
        agent_log("Error: task %s is %s: it takes no new participant", f->o->task,
                  str(task, "state"));
        return false;
    }
    char stake[64];
    stake_text(f, task, stake, sizeof stake);
    if (!f->address[0] && !fund_new_address(f, stake))
        return false;
    if (agent_stop)
        return false;
    json_t *txid = call(f, "fljoin", json_pack("[sss]", f->o->task, stake, f->address), false);
    if (!txid)
        return false;
    agent_log("Joining task %s as %s with a stake of %s FML (tx %s)", f->o->task, f->address,
              stake, json_string_value(txid));
    json_decref(txid);
    return wait_task(f, joined, "the join to confirm");
}

/* The private split, with the task's normalization; labels flipped for
 * -malicious=flip. */
static bool prepare_data(struct follower *f, const json_t *task, const struct ml_dataset *data)
{
    const json_t *model = json_object_get(task, "model");
    if (!agent_model_spec(model, &f->spec, f->err, sizeof f->err)) {
        agent_log("Error: %s", f->err);
        return false;
    }
    f->n_params = ml_param_count(&f->spec);
    if (ml_spec_n_inputs(&f->spec) != data->n_features) {
        agent_log("Error: the task's model takes %u inputs; the data has %zu features",
                  ml_spec_n_inputs(&f->spec), data->n_features);
        return false;
    }
    uint32_t classes = ml_spec_n_classes(&f->spec);
    if (data->n_classes > classes) {
        agent_log("Error: the data has %u classes; the task's model predicts %u (binary labels "
                  "need -positive=<value> unless they are 0/1)", data->n_classes, classes);
        return false;
    }
    struct ml_dataset *train_raw, *test_raw;
    if (!ml_dataset_split(data, f->o->test_fraction, f->o->train.seed, &train_raw, &test_raw,
                          f->err, sizeof f->err)) {
        agent_log("Error: %s", f->err);
        return false;
    }
    struct ml_scaler *sc = NULL;
    bool ok = train_raw->n_rows > 0 && test_raw->n_rows > 0;
    if (!ok)
        snprintf(f->err, sizeof f->err, "%zu rows are too few for a training and a test split",
                 data->n_rows);
    ok = ok && agent_data_task_scaler(model, train_raw, &sc, f->err, sizeof f->err);
    if (ok) {
        f->train = agent_data_transformed(train_raw, sc, f->err, sizeof f->err);
        f->test = f->train ? agent_data_transformed(test_raw, sc, f->err, sizeof f->err) : NULL;
        ok = f->train && f->test;
    }
    ml_scaler_free(sc);
    ml_dataset_free(train_raw);
    ml_dataset_free(test_raw);
    if (!ok) {
        agent_log("Error: %s", f->err);
        return false;
    }
    if (f->o->malice == AGENT_FLIP)
        agent_data_flip_labels(f->train);
    agent_log("Private data: %zu training rows, %zu test rows, %zu features (model %s, %zu "
              "parameters)", f->train->n_rows, f->test->n_rows, f->train->n_features,
              str(model, "kind"), f->n_params);
    return true;
}

/* flgetmodel TASK [ROUND] into q[n_params]. */
static bool get_weights(struct follower *f, json_t *params, int32_t *q)
{
    json_t *m = call(f, "flgetmodel", params, false);
    bool ok = m && agent_model_weights(m, q, f->n_params, f->err, sizeof f->err);
    if (m && !ok)
        agent_log("%s", f->err);
    json_decref(m);
    return ok;
}

/* The weights of a revealed update (flgetupdate) into q[n_params]. */
static bool get_update(struct follower *f, uint32_t round, const char *proposer, int32_t *q)
{
    json_t *m = call(f, "flgetupdate", json_pack("[sIs]", f->o->task, (json_int_t)round, proposer),
                     false);
    if (!m)
        return false;
    const json_t *w = json_object_get(m, "weights_q16");
    if (!w)
        w = json_object_get(m, "weights");
    json_t *view = json_pack("{sO}", "weights_q16", w ? w : json_null());
    bool ok = view && agent_model_weights(view, q, f->n_params, f->err, sizeof f->err);
    if (!ok)
        agent_log("Round %u: the update of %s: %s", round, proposer, f->err);
    json_decref(view);
    json_decref(m);
    return ok;
}

/* The last characters of an address, to tell participants apart in logs. */
static const char *short_addr(const char *a)
{
    size_t n = strlen(a);
    return n > 8 ? a + n - 8 : a;
}

static void free_round(struct round_state *c)
{
    free(c->update);
    memset(c, 0, sizeof *c);
}

/* Submit window: train from G, privatize, commit. */
static void commit_update(struct follower *f)
{
    struct round_state *c = &f->cur;
    int32_t *g = NULL;
    c->tries_submit++;
    if (!c->update) {
        /* Trained and privatized once per round: a retried commit sends the
         * same release, so a failed call spends no privacy twice. */
        g = calloc(f->n_params, sizeof(*g));
        int32_t *w = calloc(f->n_params, sizeof(*w));
        if (!g || !w || !get_weights(f, json_pack("[s]", f->o->task), g)) {
            free(w);
            goto out;
        }
        struct agent_train_cfg tc = f->o->train;
        tc.seed = f->o->train.seed * 1000003u + c->round;
        if (!agent_model_train(&f->spec, g, f->n_params, f->train, &tc, f->o->malice, w, f->err,
                               sizeof f->err)) {
            agent_log("Round %u: training failed: %s", c->round, f->err);
            free(w);
            goto out;
        }
        if (f->dp.epsilon > 0 && f->o->malice == AGENT_HONEST) {
            if (!agent_dp_release(&f->dp, g, w, f->n_params, c->round, &c->dp_norm, f->err,
                                  sizeof f->err)) {
                agent_log("Round %u: %s", c->round, f->err);
                free(w);
                goto out;
            }
            c->dp_applied = true;
            c->dp_eps = agent_dp_epsilon(f->dp.sigma, f->dp.released, f->dp.delta, NULL);
            c->dp_eps_any = agent_dp_epsilon(f->dp.sigma / 2, f->dp.released, f->dp.delta, NULL);
            agent_log("Round %u: update %u released with differential privacy: change norm "
                      "%.4f clipped to %.4g, noise std %.4g per weight; epsilon spent %.4f at "
                      "delta %g (%.4f against any other data of this participant)", c->round,
                      f->dp.released, c->dp_norm, f->dp.clip, f->dp.sigma * f->dp.clip,
                      c->dp_eps, f->dp.delta, c->dp_eps_any);
        }
        if (memcmp(g, w, f->n_params * sizeof(*w)) == 0)
            agent_log("Round %u: the update equals the global model (it will earn nothing)",
                      c->round);
        c->update = w;
        c->have_metric = agent_model_evaluate(&f->spec, w, f->n_params, f->test, &c->local,
                                              f->err, sizeof f->err);
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < f->n_params; i++)
        json_array_append_new(arr, json_integer(c->update[i]));
    json_t *txid = arr ? call(f, "flsubmitupdate",
                              json_pack("[sIos]", f->o->task, (json_int_t)c->round, arr, f->address),
                              false)
                       : NULL;
    c->committed_update = txid != NULL;
    json_decref(txid);
out:
    free(g);
}

/* Update reveal window: the wallet sends the weights and salt it kept. */
static void reveal_update(struct follower *f)
{
    struct round_state *c = &f->cur;
    c->tries_update_reveal++;
    json_t *txid = call(f, "flrevealupdate",
                        json_pack("[sIs]", f->o->task, (json_int_t)c->round, f->address), false);
    c->revealed_update = txid != NULL;
    json_decref(txid);
}

/* Commit window: one verdict per revealed update. */
static void commit_votes(struct follower *f)
{
    struct round_state *c = &f->cur;
    int32_t *g = calloc(f->n_params, sizeof(*g));
    int32_t *w = calloc(f->n_params, sizeof(*w));
    int32_t *cand = calloc(f->n_params, sizeof(*cand));
    int32_t *own = calloc(f->n_params, sizeof(*own));
    json_t *r = NULL, *verdicts = NULL;
    c->tries_commit++;
    c->n_verdicts = 0;
    if (!g || !w || !cand || !own || !get_weights(f, json_pack("[s]", f->o->task), g))
        goto out;
    r = call(f, "flgetround", json_pack("[sI]", f->o->task, (json_int_t)c->round), false);
    if (!r)
        goto out;
    const json_t *order = json_object_get(r, "revealed_order");
    size_t n = json_array_size(order);
    json_int_t k = json_integer_value(json_object_get(r, "n_slots"));
    if (n == 0) {
        /* No update revealed: the round is void and nothing is voted on. */
        c->nothing_to_vote = true;
        goto out;
    }
    if (n > MAX_UPDATES || k < 1) {
        agent_log("Round %u: %zu revealed updates over %lld slots: not a round this agent can "
                  "vote on", c->round, n, (long long)k);
        goto out;
    }
    if (!agent_model_evaluate(&f->spec, g, f->n_params, f->test, &c->global, f->err,
                              sizeof f->err)) {
        agent_log("Round %u: evaluation failed: %s", c->round, f->err);
        goto out;
    }
    if (f->o->max_step > 0) {
        /* How far one round of honest training moves the global model here:
         * an update that moved much further is outsized. */
        struct agent_train_cfg tc = f->o->train;
        tc.seed = f->o->train.seed * 1000003u + c->round;
        if (!agent_model_train(&f->spec, g, f->n_params, f->train, &tc, AGENT_HONEST, own,
                               f->err, sizeof f->err)) {
            agent_log("Round %u: training failed: %s", c->round, f->err);
            goto out;
        }
        if (f->dp.epsilon > 0) {
            /* With differential privacy the alliance's releases carry
             * noise: the yardstick is this voter's own update as it would
             * release it (never sent: a stream above every round's, no
             * privacy spent). */
            struct agent_dp y = f->dp;
            double norm;
            if (!agent_dp_release(&y, g, own, f->n_params, (UINT64_C(1) << 32) | c->round, &norm,
                                  f->err, sizeof f->err)) {
                agent_log("Round %u: %s", c->round, f->err);
                goto out;
            }
        }
    }
    verdicts = json_array();
    if (!verdicts)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct verdict *v = &c->verdicts[i];
        const char *addr = json_string_value(json_array_get(order, i));
        if (!addr)
            goto out;
        snprintf(v->proposer, sizeof v->proposer, "%s", addr);
        if (!get_update(f, c->round, addr, w))
            goto out;
        /* What this update alone does to G in an aggregate of k slots. */
        agent_model_candidate(g, w, f->n_params, (uint32_t)k, cand);
        if (!agent_model_evaluate(&f->spec, cand, f->n_params, f->test, &v->eval, f->err,
                                  sizeof f->err)) {
            agent_log("Round %u: evaluation failed: %s", c->round, f->err);
            goto out;
        }
        /* The step bound looks at the whole update, W - G. */
        v->verdict = agent_model_vote(v->eval.log_loss, c->global.log_loss, g, w, own,
                                      f->n_params, f->o, &v->step_ratio);
        char metric[32];
        snprintf(metric, sizeof metric, "%.4f", v->eval.accuracy);
        json_array_append_new(verdicts, json_pack("{sssiss}", "proposer", addr, "verdict",
                                                  v->verdict, "metric", metric));
    }
    c->n_verdicts = n;
    c->have_metric = true;
    json_t *txid = call(f, "flcommitvote",
                        json_pack("[sIOs]", f->o->task, (json_int_t)c->round, verdicts,
                                  f->address),
                        false);
    c->committed = txid != NULL;
    json_decref(txid);
out:
    json_decref(verdicts);
    json_decref(r);
    free(g);
    free(w);
    free(cand);
    free(own);
}

static void reveal_votes(struct follower *f)
{
    struct round_state *c = &f->cur;
    c->tries_reveal++;
    json_t *txid = call(f, "flrevealvote",
                        json_pack("[sIs]", f->o->task, (json_int_t)c->round, f->address), false);
    c->revealed = txid != NULL;
    json_decref(txid);
}

/* This participant's entry in a round's proposers or voters. */
static const json_t *entry_in(const struct follower *f, const json_t *round, enum role *role)
{
    static const char *const lists[] = {"proposers", "voters"};
    for (size_t l = 0; l < 2; l++) {
        const json_t *e;
        size_t i;
        json_array_foreach(json_object_get(round, lists[l]), i, e) {
            if (strcmp(str(e, "address"), f->address) == 0) {
                *role = l == 0 ? ROLE_PROPOSER : ROLE_VOTER;
                return e;
            }
        }
    }
    *role = ROLE_NONE;
    return NULL;
}

/* A JSON value as compact text (numbers as the node wrote them). */
static void json_text(const json_t *v, char *out, size_t len)
{
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(out, len, "%s", s ? s : "-");
    free(s);
}

/* Appends to buf (bounded). */
static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* The line of a closed round. */
static void log_round(struct follower *f)
{
    struct round_state *c = &f->cur;
    if (c->round == 0)
        return;
    json_t *r = call(f, "flgetround", json_pack("[sI]", f->o->task, (json_int_t)c->round), false);
    if (!r)
        return;
    enum role role;
    const json_t *e = entry_in(f, r, &role);
    char mine[2048] = "", updates[2048] = "", money[128] = "", t[64];
    if (role == ROLE_PROPOSER) {
        append(mine, sizeof mine, "slots %lld", (long long)json_integer_value(
                                                    json_object_get(e, "slots")));
        if (c->have_metric)
            append(mine, sizeof mine, ", local accuracy %.3f auc %.3f", c->local.accuracy,
                   c->local.auc);
        if (c->dp_applied)
            append(mine, sizeof mine, ", dp epsilon spent %.4f", c->dp_eps);
        append(mine, sizeof mine, "; update %s", str(e, "status"));
    } else if (role == ROLE_VOTER) {
        if (c->nothing_to_vote)
            append(mine, sizeof mine, "no update to vote on");
        else if (c->have_metric)
            append(mine, sizeof mine, "global accuracy %.3f log loss %.4f; verdicts",
                   c->global.accuracy, c->global.log_loss);
        else
            append(mine, sizeof mine, "no local metric");
        for (size_t i = 0; i < c->n_verdicts; i++) {
            const struct verdict *v = &c->verdicts[i];
            append(mine, sizeof mine, "%s %s %+d (accuracy %.3f log loss %.4f step x%.1f)",
                   i ? "," : "", short_addr(v->proposer), v->verdict, v->eval.accuracy,
                   v->eval.log_loss, v->step_ratio);
        }
        if (!c->committed && !c->nothing_to_vote)
            append(mine, sizeof mine, " (not committed)");
        else if (c->committed && !c->revealed)
            append(mine, sizeof mine, " (not revealed)");
    } else {
        append(mine, sizeof mine, "not drawn");
    }
    const json_t *p;
    size_t i;
    json_array_foreach(json_object_get(r, "proposers"), i, p) {
        json_text(json_object_get(p, "tally"), t, sizeof t);
        append(updates, sizeof updates, "%s%s %s (slots %lld, tally %s)", i ? ", " : "",
               short_addr(str(p, "address")), str(p, "status"),
               (long long)json_integer_value(json_object_get(p, "slots")), t);
    }
    if (e) {
        double reward = num(e, "reward"), slashed = num(e, "slashed"), matched = num(e, "matched");
        if (slashed > 0)
            snprintf(money, sizeof money, "slashed %.8g FML", slashed);
        else
            snprintf(money, sizeof money, "reward %.8g FML (+%.8g matched)", reward, matched);
        if (json_is_true(json_object_get(e, "removed")))
            append(money, sizeof money, ", removed");
    }
    const char *roles[] = {"unknown", "none", "proposer", "voter"};
    agent_log("round %u %s: %s; updates: %s; outcome %s; %s", c->round, roles[role], mine,
              updates[0] ? updates : "none", str(r, "outcome"), money[0] ? money : "-");
    json_decref(r);
}

/* One look at the task and the action it calls for.  Returns 1 to go on,
 * 0 when the task is over for this participant. */
static int step(struct follower *f)
{
    json_t *task = get_task(f, true);
    if (!task)
        return 1;   /* the node may be busy or restarting: retry */
    int go_on = 1;
    const char *state = str(task, "state");
    const char *phase = str(task, "phase");
    uint32_t round = (uint32_t)json_integer_value(json_object_get(task, "round"));
    const json_t *me = me_in(f, task);
    bool running = strcmp(state, "running") == 0;
    if (f->cur.round != 0 && (round != f->cur.round || !running)) {
        log_round(f);
        free_round(&f->cur);
    }
    if (!running) {
        if (strcmp(state, "open") != 0) {
            agent_log("Task %s %s; this participant %s, rewards %.8g FML, slashed %.8g FML, "
                      "returned %.8g FML", f->o->task, state, me ? str(me, "status") : "unknown",
                      num(me, "rewards"), num(me, "slashed"), num(me, "returned"));
            if (f->dp.epsilon > 0 && f->dp.released > 0)
                agent_log("Differential privacy: %u updates released, epsilon spent %.4f at "
                          "delta %g (%.4f against any other data)", f->dp.released,
                          agent_dp_epsilon(f->dp.sigma, f->dp.released, f->dp.delta, NULL),
                          f->dp.delta,
                          agent_dp_epsilon(f->dp.sigma / 2, f->dp.released, f->dp.delta, NULL));
            go_on = 0;
        }
        json_decref(task);
        return go_on;
    }
    if (!me || strcmp(str(me, "status"), "active") != 0) {
        agent_log("Removed from task %s: slashed %.8g FML in all, %.8g FML returned", f->o->task,
                  num(me, "slashed"), num(me, "returned"));
        json_decref(task);
        return 0;
    }
    if (f->cur.round == 0)
        f->cur.round = round;
    struct round_state *c = &f->cur;
    if (c->role == ROLE_UNKNOWN) {
        json_t *r = call(f, "flgetround", json_pack("[sI]", f->o->task, (json_int_t)round), true);
        if (r) {
            const json_t *e = entry_in(f, r, &c->role);
            c->slots = (uint32_t)json_integer_value(json_object_get(e, "slots"));
        }
        json_decref(r);
    }
    if (c->role == ROLE_PROPOSER && !c->committed_update && c->tries_submit < MAX_TRIES &&
        strcmp(phase, "submit") == 0)
        commit_update(f);
    else if (c->role == ROLE_PROPOSER && c->committed_update && !c->revealed_update &&
             c->tries_update_reveal < MAX_TRIES && strcmp(phase, "update_reveal") == 0)
        reveal_update(f);
    else if (c->role == ROLE_VOTER && !c->committed && !c->nothing_to_vote &&
             c->tries_commit < MAX_TRIES && strcmp(phase, "commit") == 0)
        commit_votes(f);
    else if (c->role == ROLE_VOTER && c->committed && !c->revealed &&
             c->tries_reveal < MAX_TRIES && strcmp(phase, "reveal") == 0)
        reveal_votes(f);
    json_decref(task);
    return 1;
}

int agent_follow_task(const struct agent_rpc *rpc, const struct agent_task_opts *o,
                      const struct ml_dataset *data)
{
    struct follower f;
    memset(&f, 0, sizeof f);
    f.rpc = rpc;
    f.o = o;
    f.dp = o->dp;
    json_t *task = get_task(&f, false);
    if (!task) {
        fprintf(stderr, "Error: %s\n", f.err);
        return 1;
    }
    int rc = 1;
    bool ok = prepare_data(&f, task, data);
    if (ok && f.dp.epsilon > 0) {
        uint32_t rounds = (uint32_t)json_integer_value(json_object_get(task, "rounds"));
        if (!agent_dp_setup(&f.dp, rounds, f.err, sizeof f.err)) {
            agent_log("Error: %s", f.err);
            ok = false;
        } else if (o->malice != AGENT_HONEST) {
            agent_log("Differential privacy is off: a malicious participant does not follow it");
            f.dp.epsilon = 0;
        } else {
            double order;
            double e = agent_dp_epsilon(f.dp.sigma, rounds, f.dp.delta, &order);
            agent_log("Differential privacy: epsilon %g at delta %g over at most %u released "
                      "updates (the task's rounds); change clipped to L2 norm %g; noise "
                      "multiplier sigma %.4f (std %.4g per weight); epsilon at the end %.4f "
                      "(Renyi order %g); %.4f against any other data of this participant",
                      f.dp.epsilon, f.dp.delta, rounds, f.dp.clip, f.dp.sigma,
                      f.dp.sigma * f.dp.clip, e, order,
                      agent_dp_epsilon(f.dp.sigma / 2, rounds, f.dp.delta, NULL));
            /* The noise's expected norm against the largest change it hides:
             * far above 1, every release is mostly noise, which honest voters
             * measure as such (votes against, possibly a slash). */
            double ratio = f.dp.sigma * sqrt((double)f.n_params);
            if (ratio > 1)
                agent_log("Warning: the noise's norm (about %.3g) is %.1f times the clip: updates "
                          "this noisy may be voted harmful and slashed; a larger -dp-epsilon, "
                          "fewer rounds or a smaller model lowers it",
                          f.dp.sigma * f.dp.clip * sqrt((double)f.n_params), ratio);
        }
    }
    if (ok && join(&f, task)) {
        rc = 0;
        while (!agent_stop && step(&f))
            sleep_ms(o->poll_ms);
        if (agent_stop)
            agent_log("Stopped by a signal");
    }
    json_decref(task);
    free_round(&f.cur);
    sodium_memzero(f.dp.seed, sizeof f.dp.seed);
    ml_dataset_free(f.train);
    ml_dataset_free(f.test);
    return agent_stop ? 1 : rc;
}
