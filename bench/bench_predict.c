/* bench_predict: what a compute provider's `predict` costs.
 *
 * Throughput: rows per second of the serving evaluation (rpc/serve.c:
 * normalization, ml/ forward pass, composites) for a Pima-sized logistic
 * model (8 -> 1), a digits-sized MLP (64 -> 32 -> 10) and an average of two
 * such MLPs, at a batch of -rows rows, against a bare OpenBLAS dgemm of the
 * same layer sizes (the same number of rows, the same layout, nothing else)
 * in the same run: the ratio says what the rest of the path costs.
 *
 * Latency: one request of one row through everything predict does besides
 * HTTP and JSON parsing: the request hash and the payer's signature check,
 * the ledger read, the evaluation, the ledger's synced write, the result's
 * JSON.  And whole requests of -rows rows with the JSON of the rows parsed
 * too (what predict's rows/s is, short of HTTP), against the same gemm.
 *
 * Options: -rows=<n> (batch, default 1000), -reps=<n> (batches, default
 * 200), -latency=<n> (requests, default 300). */
#include "bench/bench_util.h"
#include "consensus/fl.h"
#include "consensus/key.h"
#include "consensus/market.h"
#include "consensus/serialize.h"
#include "ml/model.h"
#include "ml/rng.h"
#include "rpc/provider.h"
#include "rpc/serve.h"

#include <cblas.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rows_opt = 1000, reps_opt = 200, latency_opt = 300;

static uint8_t *random_weights(const struct fl_spec *s, uint64_t seed, size_t *n)
{
    struct ml_rng rng;
    *n = (size_t)fl_param_count(s);
    uint8_t *w = malloc(4 * *n);
    ml_rng_seed(&rng, seed);
    for (size_t i = 0; i < *n; i++)
        write_le32(w + 4 * i, (uint32_t)(int32_t)((ml_rng_uniform(&rng) - 0.5) * 65536));
    return w;
}

static size_t add_leaf(struct serve_model *m, uint8_t tag, uint8_t kind, const uint32_t *sizes,
                       uint32_t n_sizes, uint64_t seed)
{
    struct fl_spec s = {.kind = kind, .n_sizes = n_sizes};
    uint8_t id[HASH_SIZE] = {tag};
    uint8_t *norm = malloc(8 * sizes[0]);
    memcpy(s.sizes, sizes, n_sizes * sizeof(*sizes));
    for (uint32_t i = 0; i < sizes[0]; i++) {
        write_le32(norm + 8 * i, (uint32_t)(3 * 65536));
        write_le32(norm + 8 * i + 4, (uint32_t)(2 * 65536));
    }
    s.n_norm = sizes[0];
    s.norm = norm;
    size_t n, idx;
    char err[256];
    uint8_t *w = random_weights(&s, seed, &n);
    if (!serve_add_leaf(m, id, &s, w, n, &idx, err, sizeof(err))) {
        fprintf(stderr, "bench_predict: %s\n", err);
        exit(1);
    }
    free(w);
    free(norm);
    return idx;
}

/* The layers (in, out) of every leaf evaluation of the model, repeats
 * included. */
static size_t layers_of(const struct serve_model *m, size_t idx, uint32_t (*lay)[2], size_t k)
{
    const struct serve_node *n = &m->nodes[idx];
    if (n->mode != MARKET_MODE_NONE) {
        for (uint8_t c = 0; c < n->n_children; c++)
            k = layers_of(m, n->children[c], lay, k);
        return k;
    }
    for (uint32_t l = 1; l <= n->ml->spec.n_layers; l++) {
        lay[k][0] = n->ml->spec.sizes[l - 1];
        lay[k++][1] = n->ml->spec.sizes[l];
    }
    return k;
}

#define ROUNDS 5

static double gemm_rows_per_s(const struct serve_model *m, size_t rows)
{
    uint32_t lay[64][2];
    size_t nl = layers_of(m, m->root, lay, 0), maxw = 1;
    for (size_t i = 0; i < nl; i++)
        maxw = lay[i][0] > maxw ? lay[i][0] : lay[i][1] > maxw ? lay[i][1] : maxw;
    double *a = calloc(rows * maxw, sizeof(double)), *w = calloc(maxw * maxw, sizeof(double)),
           *z = calloc(rows * maxw, sizeof(double));
    for (size_t i = 0; i < rows * maxw; i++)
        a[i] = (double)(i % 7) - 3;
    for (size_t i = 0; i < maxw * maxw; i++)
        w[i] = (double)(i % 5) * 0.1;
    double best = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_seconds();
        for (uint64_t r = 0; r < reps_opt; r++)
            for (size_t i = 0; i < nl; i++) {
                int in = (int)lay[i][0], out = (int)lay[i][1];
                if (rows == 1)
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0, w, in, a, 1, 0.0, z, 1);
                else
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, out, in, 1.0, a,
                                in, w, in, 0.0, z, out);
            }
        double rate = (double)rows * (double)reps_opt / (now_seconds() - t0);
        best = rate > best ? rate : best;
    }
    free(a);
    free(w);
    free(z);
    return best;
}

static double serve_rows_per_s(const struct serve_model *m, size_t rows)
{
    const uint32_t nf = serve_n_inputs(m), no = serve_n_outputs(m);
    double *x = malloc(rows * nf * sizeof(double)), *out = malloc(rows * no * sizeof(double));
    char err[256];
    for (size_t i = 0; i < rows * nf; i++)
        x[i] = (double)(i % 11);
    double best = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_seconds();
        for (uint64_t r = 0; r < reps_opt; r++) {
            if (!serve_eval(m, x, rows, out, err, sizeof(err))) {
                fprintf(stderr, "bench_predict: %s\n", err);
                exit(1);
            }
        }
        double rate = (double)rows * (double)reps_opt / (now_seconds() - t0);
        best = rate > best ? rate : best;
    }
    free(x);
    free(out);
    return best;
}

/* One request of `rows` rows, everything predict does but HTTP: the
 * request's JSON parsed, its rows read, the signature checked, the ledger
 * read, the evaluation, the ledger's synced write, the result's JSON
 * written.  Seconds per request, the mean of n. */
static double request_seconds(const struct serve_model *m, struct provider *p, size_t rows,
                              uint64_t n)
{
    uint8_t sec[SECKEY_SIZE] = {7}, payer[PUBKEY_SIZE], prov[PUBKEY_SIZE] = {9}, msg[HASH_SIZE],
            sig[SIG_SIZE];
    const uint8_t *model = m->nodes[m->root].id;
    const uint32_t nf = serve_n_inputs(m), no = serve_n_outputs(m);
    double *x = malloc(rows * nf * sizeof(double)), *out = malloc(rows * no * sizeof(double));
    char err[256];
    if (!key_pubkey(payer, sec))
        exit(1);
    json_t *req = json_array();
    for (size_t r = 0; r < rows; r++) {
        json_t *row = json_array();
        for (uint32_t f = 0; f < nf; f++)
            json_array_append_new(row, json_real((double)((r * nf + f) % 23) * 0.37 - 2));
        json_array_append_new(req, row);
    }
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    static uint64_t nonce = 1u << 20;
    double total = 0;
    for (uint64_t i = 0; i < n; i++) {
        nonce++;
        market_request_hash(msg, model, prov, (uint32_t)rows, nonce);
        if (!key_sign(sig, msg, sec, NULL))
            exit(1);
        double t0 = now_seconds();
        json_error_t jerr;
        json_t *in = json_loads(text, 0, &jerr);
        for (size_t r = 0; r < rows; r++)
            for (uint32_t f = 0; f < nf; f++)
                x[r * nf + f] = json_number_value(json_array_get(json_array_get(in, r), f));
        json_decref(in);
        struct provider_usage u;
        market_request_hash(msg, model, prov, (uint32_t)rows, nonce);
        bool ok = key_verify(sig, msg, HASH_SIZE, payer) &&
                  provider_get_usage(p, model, prov, payer, &u, err, sizeof(err)) &&
                  serve_eval(m, x, rows, out, err, sizeof(err));
        u.used += rows;
        u.last_nonce = nonce;
        ok = ok && provider_put_usage(p, model, prov, payer, &u, err, sizeof(err));
        json_t *o = json_array();
        for (size_t r = 0; r < rows; r++) {
            json_t *row = json_array();
            for (uint32_t k = 0; k < no; k++)
                json_array_append_new(row, json_real(out[r * no + k]));
            json_array_append_new(o, row);
        }
        char *s = json_dumps(o, JSON_COMPACT);
        free(s);
        json_decref(o);
        total += now_seconds() - t0;
        if (!ok) {
            fprintf(stderr, "bench_predict: %s\n", err);
            exit(1);
        }
    }
    free(text);
    free(x);
    free(out);
    return total / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One request of one row, everything but HTTP and JSON parsing: the median
 * over -latency requests. */
struct latency {
    double total, verify, eval, write; /* medians, seconds */
};

static double median_of(double *t, size_t n)
{
    qsort(t, n, sizeof(double), cmp_double);
    return t[n / 2];
}

static struct latency request_latency(const struct serve_model *m, struct provider *p)
{
    uint8_t sec[SECKEY_SIZE] = {7}, payer[PUBKEY_SIZE], prov[PUBKEY_SIZE] = {9}, msg[HASH_SIZE],
            sig[SIG_SIZE];
    const uint8_t *model = m->nodes[m->root].id;
    const uint32_t nf = serve_n_inputs(m), no = serve_n_outputs(m);
    double *x = calloc(nf, sizeof(double)), *out = calloc(no, sizeof(double));
    char err[256];
    if (!key_pubkey(payer, sec))
        exit(1);
    double *times = malloc(4 * latency_opt * sizeof(double)), *tv = times + latency_opt,
           *te = tv + latency_opt, *tw = te + latency_opt;
    for (uint64_t i = 1; i <= latency_opt; i++) {
        market_request_hash(msg, model, prov, 1, i);
        if (!key_sign(sig, msg, sec, NULL))
            exit(1);
        double t0 = now_seconds();
        struct provider_usage u;
        market_request_hash(msg, model, prov, 1, i);
        bool ok = key_verify(sig, msg, HASH_SIZE, payer);
        double t1 = now_seconds();
        ok = ok && provider_get_usage(p, model, prov, payer, &u, err, sizeof(err));
        double t2 = now_seconds();
        ok = ok && serve_eval(m, x, 1, out, err, sizeof(err));
        double t3 = now_seconds();
        u.used += 1;
        u.last_nonce = i;
        ok = ok && provider_put_usage(p, model, prov, payer, &u, err, sizeof(err));
        double t4 = now_seconds();
        tv[i - 1] = t1 - t0;
        te[i - 1] = t3 - t2;
        tw[i - 1] = t4 - t3;
        json_t *o = json_array();
        for (uint32_t k = 0; k < no; k++)
            json_array_append_new(o, json_real(out[k]));
        char *s = json_dumps(o, JSON_COMPACT);
        free(s);
        json_decref(o);
        times[i - 1] = now_seconds() - t0;
        if (!ok) {
            fprintf(stderr, "bench_predict: %s\n", err);
            exit(1);
        }
    }
    free(x);
    free(out);
    struct latency l = {median_of(times, latency_opt), median_of(tv, latency_opt),
                        median_of(te, latency_opt), median_of(tw, latency_opt)};
    free(times);
    return l;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!arg_u64(argv[i], "-rows", &rows_opt) && !arg_u64(argv[i], "-reps", &reps_opt) &&
            !arg_u64(argv[i], "-latency", &latency_opt)) {
            fprintf(stderr, "usage: bench_predict [-rows=N] [-reps=N] [-latency=N]\n");
            return 2;
        }
    }
    if (rows_opt < 1 || rows_opt > SERVE_MAX_ROWS || reps_opt < 1 || latency_opt < 1) {
        fprintf(stderr, "bench_predict: -rows 1..%d, -reps and -latency >= 1\n", SERVE_MAX_ROWS);
        return 2;
    }
    ml_init();
    static const uint32_t pima[] = {8, 1}, digits[] = {64, 32, 10};
    struct serve_model *mp = serve_model_new(), *md = serve_model_new(), *mc = serve_model_new();
    char err[256];
    size_t root, kids[2];
    root = add_leaf(mp, 1, FL_MODEL_LOGREG, pima, 2, 1);
    if (!serve_set_root(mp, root, err, sizeof(err)))
        return 1;
    root = add_leaf(md, 2, FL_MODEL_MLP, digits, 3, 2);
    if (!serve_set_root(md, root, err, sizeof(err)))
        return 1;
    kids[0] = add_leaf(mc, 3, FL_MODEL_MLP, digits, 3, 3);
    kids[1] = add_leaf(mc, 4, FL_MODEL_MLP, digits, 3, 4);
    uint8_t cid[HASH_SIZE] = {5};
    if (!serve_add_composite(mc, cid, MARKET_MODE_AVERAGE, kids, 2, &root, err, sizeof(err)) ||
        !serve_set_root(mc, root, err, sizeof(err))) {
        fprintf(stderr, "bench_predict: %s\n", err);
        return 1;
    }
    const struct {
        const char *name;
        struct serve_model *m;
    } cases[] = {
        {"pima logistic 8-1", mp}, {"digits mlp 64-32-10", md}, {"average of 2 digits mlps", mc}};
    printf("Evaluation, batches of %llu rows (best of %d rounds of %llu batches; "
           "one "
           "OpenBLAS thread):\n\n",
           (unsigned long long)rows_opt, ROUNDS, (unsigned long long)reps_opt);
    printf("| model | serve rows/s | bare gemm rows/s | ratio "
           "|\n|---|---:|---:|---:|\n");
    for (size_t i = 0; i < 3; i++) {
        double s = serve_rows_per_s(cases[i].m, rows_opt);
        double g = gemm_rows_per_s(cases[i].m, rows_opt);
        printf("| %s | %.0f | %.0f | %.3f |\n", cases[i].name, s, g, s / g);
    }
    /* At the work bound: 2048 -> 2048 -> 1 (4,196,352 multiply-adds a row)
     * on 1023 rows, the most a request may ask of one model (2^32). */
    {
        static const uint32_t wide[] = {2048, 2048, 1};
        struct serve_model *mw = serve_model_new();
        root = add_leaf(mw, 6, FL_MODEL_MLP, wide, 3, 6);
        if (!serve_set_root(mw, root, err, sizeof(err)))
            return 1;
        const size_t rows = (size_t)(SERVE_MAX_MACS / mw->nodes[root].macs);
        double *x = calloc(rows * 2048, sizeof(double)), *o = calloc(rows, sizeof(double));
        double best = 1e9;
        for (int r = 0; r < 3; r++) {
            double t0 = now_seconds();
            if (!serve_eval(mw, x, rows, o, err, sizeof(err))) {
                fprintf(stderr, "bench_predict: %s\n", err);
                return 1;
            }
            double dt = now_seconds() - t0;
            best = dt < best ? dt : best;
        }
        printf("\nAt the work bound: a 2048-2048-1 MLP on %zu rows (%.3g multiply-adds, the "
               "most one request may ask): %.3f s (best of 3)\n",
               rows, (double)rows * (double)mw->nodes[root].macs, best);
        free(x);
        free(o);
        serve_model_free(mw);
    }
    char dir[] = "/tmp/bench_predict.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct provider *p = provider_open(dir, NULL, 0, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "bench_predict: %s\n", err);
        return 1;
    }
    printf("\nOne request of one row (signature check, ledger read, evaluation, "
           "synced "
           "ledger write, result JSON; median of %llu):\n\n",
           (unsigned long long)latency_opt);
    printf("| model | whole (us) | signature check | evaluation | synced ledger write |\n"
           "|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < 3; i++) {
        struct latency l = request_latency(cases[i].m, p);
        printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", cases[i].name, 1e6 * l.total,
               1e6 * l.verify, 1e6 * l.eval, 1e6 * l.write);
    }
    printf("\nWhole requests of %llu rows (request JSON parsed, signature, "
           "ledger, evaluation, "
           "synced ledger write, result JSON; no HTTP; mean of %llu):\n\n",
           (unsigned long long)rows_opt, (unsigned long long)(reps_opt / 10 ? reps_opt / 10 : 1));
    printf("| model | request rows/s | ms/request | ratio to bare gemm |\n"
           "|---|---:|---:|---:|\n");
    for (size_t i = 0; i < 3; i++) {
        uint64_t n = reps_opt / 10 ? reps_opt / 10 : 1;
        double t = request_seconds(cases[i].m, p, rows_opt, n);
        double g = gemm_rows_per_s(cases[i].m, rows_opt);
        printf("| %s | %.0f | %.3f | %.4f |\n", cases[i].name, (double)rows_opt / t, 1e3 * t,
               (double)rows_opt / t / g);
    }
    provider_close(p);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_predict: could not remove %s\n", dir);
    serve_model_free(mp);
    serve_model_free(md);
    serve_model_free(mc);
    return 0;
}
