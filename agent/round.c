/* fml-agent following an FL task round by round: it joins with a stake from
 * its wallet, then, in every round, looks up the role the chain drew for it:
 *
 *   proposer  trains from the current global model on its private training
 *             split and submits the weights in the submit window;
 *   voter     measures the candidate against the current global model on
 *             its private test split (log loss, within -tolerance), checks
 *             that the candidate moved no further from the global model
 *             than -maxstep times its own one-round training would (or a
 *             tenth of the global model's norm, if larger), commits
 *             its vote in the commit window and reveals it in the reveal
 *             window.
 *
 * When a round has closed it prints one line: role, local metric, vote,
 * outcome, reward or slash.  It stops when the task completes or is
 * cancelled, or when the chain removes this participant.
 *
 * The node is only polled; a failed call is retried at the next poll, so
 * a node that restarts or lags costs time, not the task.
 */
#include "agent/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Extra FML sent to a new address with its stake, for the fees of a task's
 * transactions. */
#define FEE_MARGIN "1"
/* Seconds to wait for a funding or join transaction to confirm. */
#define CONFIRM_TIMEOUT 120
/* Calls of a round's action before giving up on it (a node that refuses
 * the transaction usually refuses it again). */
#define MAX_TRIES 3

enum role {
    ROLE_UNKNOWN,
    ROLE_NONE,
    ROLE_PROPOSER,
    ROLE_VOTER,
};

struct round_state {
    uint32_t round;
    enum role role;
    bool submitted, committed, revealed;
    uint32_t tries_submit, tries_commit, tries_reveal;   /* failed calls, retried in the window */
    bool have_metric;
    struct ml_eval local;      /* proposer: its model; voter: the candidate */
    struct ml_eval global;     /* voter: the global model */
    double step_ratio;         /* voter: |candidate - global| / |own update - global| */
    int vote;
};

struct follower {
    const struct agent_rpc *rpc;
    const struct agent_task_opts *o;
    char address[128];
    struct ml_model_spec spec;
    size_t n_params;
    struct ml_dataset *train, *test;  /* transformed with the task's normalization */
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

/* flgetmodel TASK [ROUND [candidate]] into q[n_params]. */
static bool get_weights(struct follower *f, json_t *params, int32_t *q)
{
    json_t *m = call(f, "flgetmodel", params, false);
    bool ok = m && agent_model_weights(m, q, f->n_params, f->err, sizeof f->err);
    if (m && !ok)
        agent_log("%s", f->err);
    json_decref(m);
    return ok;
}

static void propose(struct follower *f)
{
    struct round_state *c = &f->cur;
    int32_t *start = calloc(f->n_params, sizeof(*start));
    int32_t *w = calloc(f->n_params, sizeof(*w));
    c->tries_submit++;
    if (!start || !w || !get_weights(f, json_pack("[s]", f->o->task), start))
        goto out;
    struct agent_train_cfg tc = f->o->train;
    tc.seed = f->o->train.seed * 1000003u + c->round;
    if (!agent_model_train(&f->spec, start, f->n_params, f->train, &tc, f->o->malice, w, f->err,
                           sizeof f->err)) {
        agent_log("Round %u: training failed: %s", c->round, f->err);
        goto out;
    }
    c->have_metric = agent_model_evaluate(&f->spec, w, f->n_params, f->test, &c->local, f->err,
                                          sizeof f->err);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < f->n_params; i++)
        json_array_append_new(arr, json_integer(w[i]));
    json_t *txid = arr ? call(f, "flsubmitupdate",
                              json_pack("[sIos]", f->o->task, (json_int_t)c->round, arr, f->address),
                              false)
                       : NULL;
    c->submitted = txid != NULL;
    json_decref(txid);
out:
    free(start);
    free(w);
}

static void commit_vote(struct follower *f)
{
    struct round_state *c = &f->cur;
    int32_t *g = calloc(f->n_params, sizeof(*g));
    int32_t *cand = calloc(f->n_params, sizeof(*cand));
    int32_t *own = calloc(f->n_params, sizeof(*own));
    c->tries_commit++;
    if (!g || !cand || !own || !get_weights(f, json_pack("[s]", f->o->task), g) ||
        !get_weights(f, json_pack("[sIb]", f->o->task, (json_int_t)c->round, 1), cand))
        goto out;
    if (!agent_model_evaluate(&f->spec, cand, f->n_params, f->test, &c->local, f->err,
                              sizeof f->err) ||
        !agent_model_evaluate(&f->spec, g, f->n_params, f->test, &c->global, f->err,
                              sizeof f->err)) {
        agent_log("Round %u: evaluation failed: %s", c->round, f->err);
        goto out;
    }
    c->have_metric = true;
    if (f->o->max_step > 0) {
        /* How far one round of honest training moves the global model here:
         * a candidate that moved much further holds an outsized update. */
        struct agent_train_cfg tc = f->o->train;
        tc.seed = f->o->train.seed * 1000003u + c->round;
        if (!agent_model_train(&f->spec, g, f->n_params, f->train, &tc, AGENT_HONEST, own,
                               f->err, sizeof f->err)) {
            agent_log("Round %u: training failed: %s", c->round, f->err);
            goto out;
        }
    }
    c->vote = agent_model_vote(c->local.log_loss, c->global.log_loss, g, cand, own, f->n_params,
                               f->o, &c->step_ratio);
    char metric[32];
    snprintf(metric, sizeof metric, "%.4f", c->local.accuracy);
    json_t *txid = call(f, "flcommitvote",
                        json_pack("[sIiss]", f->o->task, (json_int_t)c->round, c->vote, metric,
                                  f->address),
                        false);
    c->committed = txid != NULL;
    json_decref(txid);
out:
    free(g);
    free(cand);
    free(own);
}

static void reveal_vote(struct follower *f)
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
    char metric[160] = "no local metric", vote[32] = "-", money[96] = "";
    if (role == ROLE_PROPOSER && c->have_metric)
        snprintf(metric, sizeof metric, "local accuracy %.3f auc %.3f", c->local.accuracy,
                 c->local.auc);
    else if (role == ROLE_VOTER && c->have_metric)
        snprintf(metric, sizeof metric, "candidate accuracy %.3f (global %.3f) log loss %.4f "
                 "(global %.4f) step x%.1f of its own", c->local.accuracy, c->global.accuracy,
                 c->local.log_loss, c->global.log_loss, c->step_ratio);
    if (role == ROLE_VOTER)
        snprintf(vote, sizeof vote, "%s", json_is_integer(json_object_get(e, "vote"))
                                              ? (json_integer_value(json_object_get(e, "vote")) > 0
                                                     ? "+1" : "-1")
                                              : "none");
    else if (role == ROLE_PROPOSER)
        snprintf(vote, sizeof vote, "%s", json_is_true(json_object_get(e, "submitted"))
                                              ? "update submitted" : "no update");
    if (e) {
        double reward = num(e, "reward"), slashed = num(e, "slashed");
        snprintf(money, sizeof money, "%s%.8g FML%s", slashed > 0 ? "slashed " : "reward ",
                 slashed > 0 ? slashed : reward,
                 json_is_true(json_object_get(e, "removed")) ? ", removed" : "");
    }
    const char *roles[] = {"unknown", "none", "proposer", "voter"};
    agent_log("round %u %s: %s; %s; outcome %s; %s", c->round, roles[role], metric, vote,
              str(r, "outcome"), money);
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
        memset(&f->cur, 0, sizeof f->cur);
    }
    if (!running) {
        if (strcmp(state, "open") != 0) {
            agent_log("Task %s %s; this participant %s, rewards %.8g FML, slashed %.8g FML, "
                      "returned %.8g FML", f->o->task, state, me ? str(me, "status") : "unknown",
                      num(me, "rewards"), num(me, "slashed"), num(me, "returned"));
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
        if (r)
            entry_in(f, r, &c->role);
        json_decref(r);
    }
    if (c->role == ROLE_PROPOSER && !c->submitted && c->tries_submit < MAX_TRIES &&
        strcmp(phase, "submit") == 0)
        propose(f);
    else if (c->role == ROLE_VOTER && !c->committed && c->tries_commit < MAX_TRIES &&
             strcmp(phase, "commit") == 0)
        commit_vote(f);
    else if (c->role == ROLE_VOTER && c->committed && !c->revealed &&
             c->tries_reveal < MAX_TRIES && strcmp(phase, "reveal") == 0)
        reveal_vote(f);
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
    json_t *task = get_task(&f, false);
    if (!task) {
        fprintf(stderr, "Error: %s\n", f.err);
        return 1;
    }
    int rc = 1;
    if (prepare_data(&f, task, data) && join(&f, task)) {
        rc = 0;
        while (!agent_stop && step(&f))
            sleep_ms(o->poll_ms);
        if (agent_stop)
            agent_log("Stopped by a signal");
    }
    json_decref(task);
    ml_dataset_free(f.train);
    ml_dataset_free(f.test);
    return agent_stop ? 1 : rc;
}
