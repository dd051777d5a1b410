/* Prometheus metrics (see metrics.h). */
#include "rpc/metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "consensus/fl.h"
#include "p2p/p2p.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "util/time.h"

/* Upper bounds of the buckets (seconds); +Inf follows. */
static const double rpc_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const double connect_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,    10,   30};
#define NBOUNDS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_BUCKETS 16
/* Distinct methods counted (the tables hold fewer); others count as
 * "unknown". */
#define MAX_METHODS 512

struct histogram {
    uint64_t buckets[MAX_BUCKETS]; /* per bucket, not cumulative; the last is +Inf */
    uint64_t count;
    double sum;
};

struct method_stats {
    const char *name; /* a method table's name (static) */
    struct histogram h;
};

static pthread_mutex_t metrics_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct method_stats methods[MAX_METHODS];
static size_t n_methods;
static struct histogram connect_hist;

static void histogram_add(struct histogram *h, const double *bounds, size_t nb, double v)
{
    size_t i = 0;
    while (i < nb && v > bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += v;
}

void metrics_observe_rpc(const char *method, double seconds)
{
    const char *name = method ? method : "unknown";
    pthread_mutex_lock(&metrics_mutex);
    struct method_stats *m = NULL;
    for (size_t i = 0; i < n_methods && !m; i++)
        if (methods[i].name == name || strcmp(methods[i].name, name) == 0)
            m = &methods[i];
    if (!m && n_methods < MAX_METHODS) {
        m = &methods[n_methods++];
        /* Unknown names come from clients: not kept. */
        m->name = method ? method : "unknown";
    }
    if (m)
        histogram_add(&m->h, rpc_bounds, NBOUNDS(rpc_bounds), seconds);
    pthread_mutex_unlock(&metrics_mutex);
}

void metrics_observe_block_connect(double seconds)
{
    pthread_mutex_lock(&metrics_mutex);
    histogram_add(&connect_hist, connect_bounds, NBOUNDS(connect_bounds), seconds);
    pthread_mutex_unlock(&metrics_mutex);
}

/* ---- exposition ---- */

static void header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
    header(f, name, "gauge", help);
    fprintf(f, "%s %.17g\n", name, v);
}

/* labels: "" or `method="getblock"` (without braces). */
static void histogram_samples(FILE *f, const char *name, const char *labels,
                              const struct histogram *h, const double *bounds, size_t nb)
{
    uint64_t cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (size_t i = 0; i <= nb; i++) {
        cum += h->buckets[i];
        if (i < nb)
            fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i],
                    (unsigned long long)cum);
        else
            fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                    (unsigned long long)cum);
    }
    if (labels[0]) {
        fprintf(f, "%s_sum{%s} %.17g\n", name, labels, h->sum);
        fprintf(f, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->count);
    } else {
        fprintf(f, "%s_sum %.17g\n", name, h->sum);
        fprintf(f, "%s_count %llu\n", name, (unsigned long long)h->count);
    }
}

struct fl_counts {
    uint64_t tasks[FL_TASK_CANCELLED + 1];
    uint64_t rounds; /* rounds that ended, over every task */
    bool ok;
};

static bool count_task(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct fl_counts *fc = arg;
    struct fl_status st;
    if (klen != FL_KEY_TASK_SIZE || !fl_status_decode(&st, val, vlen))
        return fc->ok = false;
    fc->tasks[st.state]++;
    /* A running task's current round is still open. */
    fc->rounds += st.state == FL_TASK_RUNNING && st.round > 0 ? st.round - 1 : st.round;
    return true;
}

/* Resident set size in bytes (0 when /proc is not there). */
static uint64_t resident_bytes(void)
{
    unsigned long long size, resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return got == 2 && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}

/* The gauges of the node's state, read under the node lock. */
static void node_gauges(FILE *f, struct rpc_env *env)
{
    struct p2p_net_stats net;
    struct fl_counts fc;
    memset(&net, 0, sizeof net);
    memset(&fc, 0, sizeof fc);
    fc.ok = true;
    uint64_t height = 0, headers = 0, mp_count = 0, mp_bytes = 0;
    double progress = 0;
    if (env->lock)
        pthread_mutex_lock(env->lock);
    if (env->chain) {
        height = chain_height(env->chain);
        headers = chain_best_header(env->chain)->hdr.height;
        progress = chain_verification_progress(env->chain, time_now());
        if (!chain_scan_state(env->chain, "fS", 2, count_task, &fc))
            fc.ok = false;
    }
    if (env->mempool) {
        mp_count = mempool_count(env->mempool);
        mp_bytes = mempool_bytes(env->mempool);
    }
    if (env->p2p)
        p2p_get_net_stats(env->p2p, &net);
    if (env->lock)
        pthread_mutex_unlock(env->lock);

    gauge(f, "fml_block_height", "Height of the active chain's tip.", (double)height);
    gauge(f, "fml_headers", "Height of the best known valid header chain.", (double)headers);
    gauge(f, "fml_verification_progress",
          "Share of the chain verified, 0..1 (getblockchaininfo verificationprogress).",
          progress);
    header(f, "fml_peers", "gauge", "Connected peers by direction.");
    fprintf(f, "fml_peers{direction=\"in\"} %zu\n", net.connections_in);
    fprintf(f, "fml_peers{direction=\"out\"} %zu\n", net.connections_out);
    gauge(f, "fml_mempool_transactions", "Transactions in the mempool.", (double)mp_count);
    gauge(f, "fml_mempool_bytes", "Serialized size of the mempool's transactions in bytes.",
          (double)mp_bytes);
    if (fc.ok) {
        header(f, "fml_fl_tasks", "gauge", "FL Alliance tasks on the active chain by state.");
        for (uint8_t s = FL_TASK_OPEN; s <= FL_TASK_CANCELLED; s++)
            fprintf(f, "fml_fl_tasks{state=\"%s\"} %llu\n", fl_task_state_name(s),
                    (unsigned long long)fc.tasks[s]);
        header(f, "fml_fl_rounds_total", "counter",
               "FL rounds that ended, over every task of the active chain (falls back on a "
               "reorganization).");
        fprintf(f, "fml_fl_rounds_total %llu\n", (unsigned long long)fc.rounds);
    }
    header(f, "fml_p2p_bytes_total", "counter", "Bytes exchanged with peers by direction.");
    fprintf(f, "fml_p2p_bytes_total{direction=\"recv\"} %llu\n",
            (unsigned long long)net.bytes_recv);
    fprintf(f, "fml_p2p_bytes_total{direction=\"sent\"} %llu\n",
            (unsigned long long)net.bytes_sent);
}

static void process_gauges(FILE *f, const struct rpc_env *env)
{
    uint64_t now = (uint64_t)time(NULL);
    uint64_t start = env->start_time;
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    gauge(f, "fml_uptime_seconds", "Seconds since the node started.",
          (double)(now > start ? now - start : 0));
    gauge(f, "process_start_time_seconds", "Start time of the process since the Unix epoch.",
          (double)start);
    gauge(f, "process_resident_memory_bytes", "Resident memory size in bytes.",
          (double)resident_bytes());
    header(f, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
    fprintf(f, "process_cpu_seconds_total %.6f\n", cpu);
}

static void kept_metrics(FILE *f)
{
    pthread_mutex_lock(&metrics_mutex);
    header(f, "fml_block_connect_seconds", "histogram",
           "Time to connect a block to the active chain (state transition and its write).");
    histogram_samples(f, "fml_block_connect_seconds", "", &connect_hist, connect_bounds,
                      NBOUNDS(connect_bounds));
    header(f, "fml_rpc_requests_total", "counter", "JSON-RPC calls by method.");
    for (size_t i = 0; i < n_methods; i++)
        fprintf(f, "fml_rpc_requests_total{method=\"%s\"} %llu\n", methods[i].name,
                (unsigned long long)methods[i].h.count);
    header(f, "fml_rpc_request_duration_seconds", "histogram",
           "Run time of JSON-RPC calls by method (lock wait included).");
    for (size_t i = 0; i < n_methods; i++) {
        char labels[128];
        snprintf(labels, sizeof labels, "method=\"%s\"", methods[i].name);
        histogram_samples(f, "fml_rpc_request_duration_seconds", labels, &methods[i].h,
                          rpc_bounds, NBOUNDS(rpc_bounds));
    }
    pthread_mutex_unlock(&metrics_mutex);
}

char *metrics_render(struct rpc_env *env, size_t *len)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f)
        return NULL;
    node_gauges(f, env);
    process_gauges(f, env);
    kept_metrics(f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    *len = blen;
    return buf;
}
