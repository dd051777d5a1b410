/* fml-agent: the participant client of the FL Alliance.  Reads its options
 * as fml-cli does (command line, then the node's fml.conf), loads the
 * operator's private CSV and picks a mode:
 *
 *   (default)   follow a task: join it, then train, vote and reveal round
 *               by round until the task ends or removes this participant;
 *   -baseline   train locally (one or several files pooled) and print the
 *               metrics on an evaluation file, as JSON;
 *   -evaluate   print the metrics of a task's global model on a file;
 *   -stats      print per-feature sums a participant may publish;
 *   -arena-trainer    take part in an AI Arena task as a training node:
 *               train on the public training CSV, commit, reveal;
 *   -arena-validator  take part as a validator: score every submission on
 *               the validation sets the chain drew for it.
 *
 * It never sends a data row anywhere: the node sees weights, votes and
 * metrics only.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "consensus/params.h"
#include "util/config.h"
#include "agent/agent.h"

volatile sig_atomic_t agent_stop;

#define DEFAULT_TEST_FRACTION 0.2
#define DEFAULT_SEED 1
#define DEFAULT_EPOCHS 1
#define DEFAULT_BASELINE_EPOCHS 100
#define DEFAULT_BATCH 32
#define DEFAULT_POLL_MS 250
#define DEFAULT_TOLERANCE 0.05
#define DEFAULT_MAX_STEP 3.0
#define DEFAULT_ARENA_EPOCHS 100
#define DEFAULT_DP_DELTA 1e-5
#define DEFAULT_DP_CLIP 1.0

static const char *const known_options[] = {
    "datadir", "conf", "regtest", "testnet", "chain", "rpcconnect", "rpcport", "rpcuser",
    "rpcpassword", "rpccookiefile", "rpcwallet", "rpcclienttimeout", "help", "version",
    "data", "task", "label", "positive", "zeromissing", "testfraction", "seed", "address",
    "stake", "malicious", "epochs", "learningrate", "batchsize", "l2", "tolerance", "maxstep", "maxloss", "pollms",
    "baseline", "evaluate", "eval", "round", "stats", "arena-trainer", "arena-validator",
    "dropfeatures", "dp-epsilon", "dp-delta", "dp-clip", "dp-seed",
    "market-buy", "market-model", "market-provider", "market-calls", "market-csv", "market-out",
    "market-batch", "market-maxprice", "market-wait", "provider-rpc", "provider-rpcuser",
    "provider-rpcpassword", "provider-rpccookiefile", NULL,
};

static void print_usage(void)
{
    printf("fml-agent version %s\n\n"
           "The participant client of the FL Alliance: trains on a private CSV file and takes\n"
           "part in an FL task through its node's wallet.  Data rows never leave this process;\n"
           "only weights, votes and metrics are sent to the node.  It also takes part in AI\n"
           "Arena tasks, as a training node or as a validator.\n\n"
           "Usage:  fml-agent [options] -data=<file.csv> -task=<id>   Join a task and follow it\n"
           "        fml-agent [options] -baseline -data=<file.csv> [-data=...] -eval=<file.csv>\n"
           "        fml-agent [options] -evaluate -task=<id> [-round=<n>] -eval=<file.csv>\n"
           "        fml-agent [options] -stats -data=<file.csv>\n"
           "        fml-agent [options] -arena-trainer -task=<id> -data=<train.csv>\n"
           "        fml-agent [options] -arena-validator -task=<id>\n"
           "        fml-agent [options] -market-buy -market-model=<id> -market-provider=<addr>\n"
           "                  -market-csv=<rows.csv> -provider-rpc=<host:port> ...\n\n"
           "Connection (as fml-cli):\n"
           "  -datadir=<dir>       The node's data directory (default: ~/.fml)\n"
           "  -conf=<file>         Configuration file, relative to the data directory "
           "(default: %s)\n"
           "  -chain=<chain>, -regtest, -testnet   The node's network\n"
           "  -rpcconnect=<ip>     The node's RPC address (default: 127.0.0.1)\n"
           "  -rpcport=<port>      The node's RPC port (default: %u, testnet: %u, regtest: %u)\n"
           "  -rpcuser=<user>, -rpcpassword=<pw>, -rpccookiefile=<loc>   Credentials "
           "(default: the node's cookie)\n"
           "  -rpcwallet=<name>    The wallet that stakes, signs and keeps the vote salts\n"
           "  -rpcclienttimeout=<n>  Seconds per RPC call (default: 120)\n\n"
           "Data:\n"
           "  -data=<file.csv>     The private data: a header line, numeric features, a label\n"
           "                       column (repeat -data in -baseline mode to pool files)\n"
           "  -label=<column>      The label column (default: the last column)\n"
           "  -positive=<value>    Binary labels: the value of the positive class\n"
           "  -zeromissing=<cols>  Comma-separated columns where 0 means a missing value\n"
           "  -testfraction=<x>    Share of the rows kept as the private test split that votes\n"
           "                       are measured on (default: %.1f)\n"
           "  -seed=<n>            Seed of the private split and of training (default: %d)\n\n"
           "Task:\n"
           "  -task=<id>           The FL task (its id is the txid of flcreatetask)\n"
           "  -address=<addr>      The wallet account that joins (default: a new address of\n"
           "                       the wallet, funded from the wallet with the stake)\n"
           "  -stake=<FML>         The stake (default: the task's min_stake)\n"
           "  -epochs=<n>          Local epochs per round (default: %d; -baseline: %d)\n"
           "  -learningrate=<x>    Adam learning rate (default: 0.05)\n"
           "  -batchsize=<n>       Rows per step (default: %d)\n"
           "  -l2=<x>              L2 penalty on the weights (default: 0)\n"
           "  -tolerance=<x>       Log loss a candidate may lose against the global model on\n"
           "                       the private test split and still get a +1 vote "
           "(default: %.2f)\n"
           "  -maxstep=<x>         A voter also votes -1 when the candidate moved from the\n"
           "                       global model more than x times as far (Euclidean norm) as\n"
           "                       its own one-round training does (or as a tenth of the\n"
           "                       global model's norm, if larger); 0: no bound "
           "(default: %.0f)\n"
           "  -maxloss=<x>         A voter also votes -1 when an update's own weights raise\n"
           "                       the log loss of its whole file (training and test rows)\n"
           "                       by more than x over the global model's; 0: no bound\n"
           "                       (default: 0)\n"
           "  -pollms=<n>          Milliseconds between looks at the task (default: %d)\n"
           "  -malicious=<how>     Misbehave, to test the chain's defences: flip (train on\n"
           "                       flipped labels), noise (submit random weights), scale\n"
           "                       (submit its change from the global model x%.0f); a\n"
           "                       malicious agent also votes against its own measurement\n"
           "                       (and adds no differential privacy)\n\n"
           "Differential privacy of a proposer's update (off unless -dp-epsilon is given):\n"
           "  -dp-epsilon=<x>      Privacy budget over the task's rounds: the change from the\n"
           "                       global model is clipped to -dp-clip and Gaussian noise of\n"
           "                       std sigma x clip added to every weight, sigma the smallest\n"
           "                       that keeps epsilon (Renyi DP accountant, every round counted\n"
           "                       as a release) within x at -dp-delta.  It covers the whole\n"
           "                       private file: every record and the participation itself\n"
           "  -dp-delta=<x>        The delta of (epsilon, delta) (default: %g)\n"
           "  -dp-clip=<x>         L2 bound of a released change, in weight units "
           "(default: %g)\n"
           "  -dp-seed=<n>         Repeatable noise (default: a random secret seed; whoever\n"
           "                       knows the seed can remove the noise)\n\n"
           "Other modes:\n"
           "  -baseline            Train from zeros on the training part of each -data file\n"
           "                       (split as a participant's), pooled, standardized on those\n"
           "                       rows; print the metrics on -eval as JSON\n"
           "  -evaluate            Print the metrics of the task's global model after\n"
           "                       -round (default: the current one) on -eval, as JSON\n"
           "  -eval=<file.csv>     The evaluation file of -baseline and -evaluate\n"
           "  -stats               Print the rows and per-feature count, sum and sum of\n"
           "                       squares of -data as JSON (to agree on a normalization)\n"
           "  -help                This help\n"
           "  -version             The version\n\n"
           "AI Arena (a staked contest: trainers submit models, validators score them on\n"
           "hidden validation sets the task's creator reveals after the submissions):\n"
           "  -arena-trainer       Stake as a training node of -task, train from zero weights on\n"
           "                       the public training CSV -data (every row; -epochs default\n"
           "                       %d, -learningrate, -batchsize, -l2 as above; -seed random\n"
           "                       unless given, so no one can repeat the training), commit\n"
           "                       the weights in the submission window; the wallet reveals\n"
           "                       them in the reveal window.  Prints rank and rewards at the end\n"
           "  -arena-validator     Stake as a validator of -task; after the reveal window,\n"
           "                       score every submission on the sets drawn for it (log loss or\n"
           "                       mean squared error, Q16.16) and commit; the wallet reveals\n"
           "  -dropfeatures=<cols> Trainer: ignore these comma-separated columns (a weaker model)\n"
           "  -address, -stake     As above; the default stake is the role's minimum\n"
           "  -malicious=<how>     copy (trainer: commit blind, then try to reveal another\n"
           "                       trainer's weights), random-scores (validator), lazy (commit,\n"
           "                       never reveal)\n\n"
           "AI Market (a payer: buy calls of a model, get predictions from a compute provider):\n"
           "  -market-buy          Buy -market-calls calls of -market-model from\n"
           "                       -market-provider through the wallet (marketcall), wait for\n"
           "                       the purchase to confirm, send the rows of -market-csv to the\n"
           "                       provider's node (predict) in batches the wallet signs\n"
           "                       (marketsignrequest), and write the predictions as CSV.\n"
           "                       The rows go to the provider: that is the service bought\n"
           "  -market-model=<id>   The model (txid of its MARKET_PUBLISH)\n"
           "  -market-provider=<addr>  The compute provider's registered address\n"
           "  -market-csv=<file>   A header line, then one row per prediction: the model's\n"
           "                       inputs in order (empty or NA: missing); -label=<column>\n"
           "                       leaves a column out\n"
           "  -market-calls=<n>    Calls to buy (default: the rows of the file; 0: use calls\n"
           "                       bought before)\n"
           "  -market-maxprice=<FML>  Refuse a price per call above this (default: the\n"
           "                       current price)\n"
           "  -address=<addr>      The payer: a wallet address (default: the wallet's choice)\n"
           "  -market-out=<file>   The predictions: p0..pK-1 (p1 for a one-output model) and\n"
           "                       class per row (default: standard output)\n"
           "  -market-batch=<n>    Rows per predict request (default: 1000, at most 10000)\n"
           "  -market-wait=<s>     Seconds to wait for the purchase (default: 600)\n"
           "  -provider-rpc=<host:port>  The provider's node (default: this node)\n"
           "  -provider-rpcuser=<user>, -provider-rpcpassword=<pw>,\n"
           "  -provider-rpccookiefile=<file>  Its credentials (default: this node's)\n",
           PACKAGE_VERSION, CONFIG_FILE_NAME, params_default_rpc_port(NET_MAIN),
           params_default_rpc_port(NET_TEST), params_default_rpc_port(NET_REGTEST),
           DEFAULT_TEST_FRACTION, DEFAULT_SEED, DEFAULT_EPOCHS, DEFAULT_BASELINE_EPOCHS,
           DEFAULT_BATCH, DEFAULT_TOLERANCE, DEFAULT_MAX_STEP, DEFAULT_POLL_MS, AGENT_SCALE_FACTOR,
           DEFAULT_DP_DELTA, DEFAULT_DP_CLIP, DEFAULT_ARENA_EPOCHS);
}

void agent_log(const char *fmt, ...)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s ", ts);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void on_signal(int sig)
{
    (void)sig;
    agent_stop = 1;
}

/* A decimal option in [min, max]. */
static bool get_double(const struct config *cfg, const char *key, double def, double min,
                       double max, double *out, char *err, size_t errlen)
{
    const char *s = config_get(cfg, key, NULL);
    if (!s) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < min || v > max) {
        snprintf(err, errlen, "-%s=%s: a number from %g to %g is expected", key, s, min, max);
        return false;
    }
    *out = v;
    return true;
}

static bool get_malice(const struct config *cfg, enum agent_malice *out, char *err,
                       size_t errlen)
{
    const char *s = config_get(cfg, "malicious", NULL);
    *out = AGENT_HONEST;
    if (!s || strcmp(s, "0") == 0)
        return true;
    if (strcmp(s, "flip") == 0)
        *out = AGENT_FLIP;
    else if (strcmp(s, "noise") == 0)
        *out = AGENT_NOISE;
    else if (strcmp(s, "scale") == 0)
        *out = AGENT_SCALE;
    else {
        snprintf(err, errlen, "-malicious=%s: flip, noise or scale is expected", s);
        return false;
    }
    return true;
}

/* The training options shared by every mode. */
static bool get_train_cfg(const struct config *cfg, uint32_t default_epochs,
                          struct agent_train_cfg *t, char *err, size_t errlen)
{
    int64_t epochs, batch, seed;
    if (!config_get_int(cfg, "epochs", default_epochs, 1, 100000, &epochs, err, errlen) ||
        !config_get_int(cfg, "batchsize", DEFAULT_BATCH, 1, 1 << 20, &batch, err, errlen) ||
        !config_get_int(cfg, "seed", DEFAULT_SEED, 0, INT64_MAX, &seed, err, errlen) ||
        !get_double(cfg, "learningrate", 0.05, 1e-9, 100, &t->learning_rate, err, errlen) ||
        !get_double(cfg, "l2", 0, 0, 1000, &t->l2, err, errlen))
        return false;
    t->epochs = (uint32_t)epochs;
    t->batch_size = (uint32_t)batch;
    t->seed = (uint64_t)seed;
    return true;
}

/* -dp-*: dp->epsilon stays 0 (off) without -dp-epsilon. */
static bool get_dp(const struct config *cfg, struct agent_dp *dp, char *err, size_t errlen)
{
    memset(dp, 0, sizeof *dp);
    bool on = config_is_set(cfg, "dp-epsilon");
    if (!on) {
        static const char *const others[] = {"dp-delta", "dp-clip", "dp-seed"};
        for (size_t i = 0; i < 3; i++) {
            if (config_is_set(cfg, others[i])) {
                snprintf(err, errlen, "-%s needs -dp-epsilon", others[i]);
                return false;
            }
        }
        return true;
    }
    int64_t seed;
    if (!get_double(cfg, "dp-epsilon", 1, 1e-3, 1e6, &dp->epsilon, err, errlen) ||
        !get_double(cfg, "dp-delta", DEFAULT_DP_DELTA, 1e-15, 0.1, &dp->delta, err, errlen) ||
        !get_double(cfg, "dp-clip", DEFAULT_DP_CLIP, 1e-4, 1e4, &dp->clip, err, errlen) ||
        !config_get_int(cfg, "dp-seed", 0, 0, INT64_MAX, &seed, err, errlen))
        return false;
    dp->seeded = config_is_set(cfg, "dp-seed");
    dp->seed_value = (uint64_t)seed;
    return true;
}

static int run_follow(struct config *cfg, const struct agent_data_opts *d, char *err,
                      size_t errlen)
{
    const char *data = config_get(cfg, "data", NULL);
    const char *task = config_get(cfg, "task", NULL);
    if (!data || !task) {
        snprintf(err, errlen, "-data=<file.csv> and -task=<id> are required (see -help)");
        return 1;
    }
    struct agent_task_opts o = {
        .task = task,
        .address = config_get(cfg, "address", NULL),
        .stake = config_get(cfg, "stake", NULL),
    };
    int64_t poll;
    if (!get_double(cfg, "testfraction", DEFAULT_TEST_FRACTION, 0.01, 0.9, &o.test_fraction,
                    err, errlen) ||
        !get_double(cfg, "tolerance", DEFAULT_TOLERANCE, 0, 1000, &o.tolerance, err, errlen) ||
        !get_double(cfg, "maxstep", DEFAULT_MAX_STEP, 0, 1e6, &o.max_step, err, errlen) ||
        !get_double(cfg, "maxloss", 0, 0, 1e6, &o.max_loss, err, errlen) ||
        !config_get_int(cfg, "pollms", DEFAULT_POLL_MS, 10, 60000, &poll, err, errlen) ||
        !get_malice(cfg, &o.malice, err, errlen) ||
        !get_dp(cfg, &o.dp, err, errlen) ||
        !get_train_cfg(cfg, DEFAULT_EPOCHS, &o.train, err, errlen))
        return 1;
    o.poll_ms = (uint32_t)poll;
    struct agent_rpc rpc;
    if (!agent_rpc_setup(&rpc, cfg, err, errlen))
        return 1;
    struct ml_dataset *ds;
    if (!agent_data_load(data, d, &ds, err, errlen)) {
        agent_rpc_free(&rpc);
        return 1;
    }
    int rc = agent_follow_task(&rpc, &o, ds);
    ml_dataset_free(ds);
    agent_rpc_free(&rpc);
    return rc;
}

static bool get_arena_malice(const struct config *cfg, bool validator,
                             enum agent_arena_malice *out, char *err, size_t errlen)
{
    const char *s = config_get(cfg, "malicious", NULL);
    *out = AGENT_ARENA_HONEST;
    if (!s || strcmp(s, "0") == 0)
        return true;
    if (strcmp(s, "lazy") == 0)
        *out = AGENT_ARENA_LAZY;
    else if (!validator && strcmp(s, "copy") == 0)
        *out = AGENT_ARENA_COPY;
    else if (validator && strcmp(s, "random-scores") == 0)
        *out = AGENT_ARENA_RANDOM;
    else {
        snprintf(err, errlen, "-malicious=%s: %s is expected", s,
                 validator ? "random-scores or lazy" : "copy or lazy");
        return false;
    }
    return true;
}

static int run_arena(struct config *cfg, const struct agent_data_opts *d, bool validator,
                     char *err, size_t errlen)
{
    const char *task = config_get(cfg, "task", NULL);
    const char *data = config_get(cfg, "data", NULL);
    if (!task || (!validator && !data)) {
        snprintf(err, errlen, validator ? "-arena-validator needs -task=<id>"
                                        : "-arena-trainer needs -task=<id> and -data=<file.csv>");
        return 1;
    }
    struct agent_arena_opts o = {
        .task = task,
        .address = config_get(cfg, "address", NULL),
        .stake = config_get(cfg, "stake", NULL),
        .validator = validator,
        .drop_features = config_get(cfg, "dropfeatures", NULL),
    };
    int64_t poll;
    if (!config_get_int(cfg, "pollms", DEFAULT_POLL_MS, 10, 60000, &poll, err, errlen) ||
        !get_arena_malice(cfg, validator, &o.malice, err, errlen) ||
        !get_train_cfg(cfg, DEFAULT_ARENA_EPOCHS, &o.train, err, errlen))
        return 1;
    /* A trainer without -seed trains with a random one: a contest ranks
     * duplicate weights after the first commit, so training anyone can
     * repeat exactly (public data, default settings) could be committed
     * first by someone else. */
    if (!validator && !config_is_set(cfg, "seed")) {
        uint64_t seed;
        randombytes_buf(&seed, sizeof seed);
        o.train.seed = seed >> 1;
    }
    o.poll_ms = (uint32_t)poll;
    if (validator && o.drop_features) {
        snprintf(err, errlen, "-dropfeatures is a trainer's option");
        return 1;
    }
    struct ml_dataset *ds = NULL;
    if (!validator && !agent_data_load(data, d, &ds, err, errlen))
        return 1;
    if (ds && o.drop_features && !agent_arena_check_features(ds, o.drop_features, err, errlen)) {
        ml_dataset_free(ds);
        return 1;
    }
    struct agent_rpc rpc;
    if (!agent_rpc_setup(&rpc, cfg, err, errlen)) {
        ml_dataset_free(ds);
        return 1;
    }
    int rc = agent_arena_run(&rpc, &o, ds);
    ml_dataset_free(ds);
    agent_rpc_free(&rpc);
    return rc;
}

/* -market-buy: the local node's wallet pays and signs; -provider-rpc is the
 * provider's node. */
static int run_market(struct config *cfg, char *err, size_t errlen)
{
    struct agent_market_opts o = {
        .model = config_get(cfg, "market-model", NULL),
        .provider = config_get(cfg, "market-provider", NULL),
        .csv = config_get(cfg, "market-csv", NULL),
        .label = config_get(cfg, "label", NULL),
        .out = config_get(cfg, "market-out", NULL),
        .max_price = config_get(cfg, "market-maxprice", NULL),
        .address = config_get(cfg, "address", NULL),
        .calls_set = config_is_set(cfg, "market-calls"),
    };
    int64_t calls, batch, wait, poll;
    if (!o.model || !o.provider || !o.csv) {
        snprintf(err, errlen,
                 "-market-buy needs -market-model=<id>, -market-provider=<addr> and "
                 "-market-csv=<file>");
        return 1;
    }
    if (!config_get_int(cfg, "market-calls", 0, 0, 1000000, &calls, err, errlen) ||
        !config_get_int(cfg, "market-batch", 1000, 1, 10000, &batch, err, errlen) ||
        !config_get_int(cfg, "market-wait", 600, 1, 86400, &wait, err, errlen) ||
        !config_get_int(cfg, "pollms", DEFAULT_POLL_MS, 10, 60000, &poll, err, errlen))
        return 1;
    o.calls = (uint64_t)calls;
    o.batch = (size_t)batch;
    o.wait_s = (uint32_t)wait;
    o.poll_ms = (uint32_t)poll;
    struct agent_rpc local, prov;
    if (!agent_rpc_setup(&local, cfg, err, errlen))
        return 1;
    prov = local;
    char host[256];
    const char *pr = config_get(cfg, "provider-rpc", NULL);
    if (pr) {
        snprintf(host, sizeof host, "%s", pr);
        char *colon = strrchr(host, ':'), *end;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || *end || port < 1 || port > 65535 || colon == host) {
            snprintf(err, errlen, "-provider-rpc=%s: host:port is expected", pr);
            agent_rpc_free(&local);
            return 1;
        }
        *colon = '\0';
        prov.opts.host = host;
        prov.opts.port = (uint16_t)port;
    }
    if (config_is_set(cfg, "provider-rpcuser") || config_is_set(cfg, "provider-rpcpassword") ||
        config_is_set(cfg, "provider-rpccookiefile")) {
        prov.opts.user = config_get(cfg, "provider-rpcuser", NULL);
        prov.opts.password = config_get(cfg, "provider-rpcpassword", NULL);
        prov.opts.cookie_file = config_get(cfg, "provider-rpccookiefile", NULL);
    }
    prov.opts.wallet = NULL;
    int rc = agent_market_buy(&local, &prov, &o);
    if (rc)
        err[0] = '\0'; /* printed already */
    agent_rpc_free(&local);
    return rc;
}

static int run_baseline(struct config *cfg, const struct agent_data_opts *d, char *err,
                        size_t errlen)
{
    size_t n;
    const char **paths = config_get_multi(cfg, "data", &n);
    const char *eval = config_get(cfg, "eval", NULL);
    if (!paths) {
        snprintf(err, errlen, "Out of memory");
        return 1;
    }
    struct agent_train_cfg t;
    double tf;
    int rc = 1;
    if (n == 0 || !eval)
        snprintf(err, errlen, "-baseline needs -data=<file.csv> (one or more) and -eval=<file.csv>");
    else if (get_double(cfg, "testfraction", DEFAULT_TEST_FRACTION, 0, 0.9, &tf, err, errlen) &&
             get_train_cfg(cfg, DEFAULT_BASELINE_EPOCHS, &t, err, errlen))
        rc = agent_baseline(paths, n, eval, d, tf, &t, true);
    free(paths);
    return rc;
}

static int run_evaluate(struct config *cfg, const struct agent_data_opts *d, char *err,
                        size_t errlen)
{
    const char *task = config_get(cfg, "task", NULL);
    const char *eval = config_get(cfg, "eval", NULL);
    int64_t round;
    if (!task || !eval) {
        snprintf(err, errlen, "-evaluate needs -task=<id> and -eval=<file.csv>");
        return 1;
    }
    if (!config_get_int(cfg, "round", -1, -1, UINT32_MAX, &round, err, errlen))
        return 1;
    struct agent_rpc rpc;
    if (!agent_rpc_setup(&rpc, cfg, err, errlen))
        return 1;
    int rc = agent_evaluate_task(&rpc, task, round, eval, d);
    agent_rpc_free(&rpc);
    return rc;
}

int main(int argc, char **argv)
{
    char err[1024] = "";
    int first = argc;
    struct config *cfg = config_new();
    if (!cfg || !config_parse_args(cfg, argc, argv, &first, err, sizeof err) ||
        !config_check_args(cfg, known_options, err, sizeof err)) {
        fprintf(stderr, "Error parsing command line arguments: %s\n",
                cfg ? err : "out of memory");
        config_free(cfg);
        return 1;
    }
    if (first < argc) {
        fprintf(stderr, "Error: unexpected argument \"%s\" (options start with -; see -help)\n",
                argv[first]);
        config_free(cfg);
        return 1;
    }
    if (config_get_bool(cfg, "help", false) || argc == 1) {
        print_usage();
        config_free(cfg);
        return 0;
    }
    if (config_get_bool(cfg, "version", false)) {
        printf("fml-agent version %s\n", PACKAGE_VERSION);
        config_free(cfg);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0) {
        fprintf(stderr, "Error: libsodium cannot start\n");
        config_free(cfg);
        return 1;
    }
    ml_init();

    const struct agent_data_opts d = {
        .label = config_get(cfg, "label", NULL),
        .positive = config_get(cfg, "positive", NULL),
        .zero_missing = config_get(cfg, "zeromissing", NULL),
    };
    int modes = config_get_bool(cfg, "baseline", false) + config_get_bool(cfg, "evaluate", false) +
                config_get_bool(cfg, "stats", false) +
                config_get_bool(cfg, "arena-trainer", false) +
                config_get_bool(cfg, "arena-validator", false) +
                config_get_bool(cfg, "market-buy", false);
    int rc;
    if (modes > 1) {
        snprintf(err, sizeof err, "Choose one of -baseline, -evaluate, -stats, -arena-trainer, "
                 "-arena-validator and -market-buy");
        rc = 1;
    } else if (config_get_bool(cfg, "market-buy", false)) {
        rc = run_market(cfg, err, sizeof err);
    } else if (config_get_bool(cfg, "arena-trainer", false) ||
               config_get_bool(cfg, "arena-validator", false)) {
        rc = run_arena(cfg, &d, config_get_bool(cfg, "arena-validator", false), err, sizeof err);
    } else if (config_get_bool(cfg, "baseline", false)) {
        rc = run_baseline(cfg, &d, err, sizeof err);
    } else if (config_get_bool(cfg, "evaluate", false)) {
        rc = run_evaluate(cfg, &d, err, sizeof err);
    } else if (config_get_bool(cfg, "stats", false)) {
        const char *data = config_get(cfg, "data", NULL);
        if (!data) {
            snprintf(err, sizeof err, "-stats needs -data=<file.csv>");
            rc = 1;
        } else {
            rc = agent_print_stats(data, &d);
        }
    } else {
        rc = run_follow(cfg, &d, err, sizeof err);
    }
    if (rc != 0 && err[0])
        fprintf(stderr, "Error: %s\n", err);
    config_free(cfg);
    return rc;
}
