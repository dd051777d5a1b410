/* fml-agent -market-buy: a payer of the AI Market.  Buys calls of a model
 * from a compute provider through the local node's wallet (marketcall),
 * waits for the purchase to confirm, then sends the rows of a CSV file to
 * the provider's node (predict) in signed batches (marketsignrequest) and
 * writes the predictions as CSV.
 *
 * The rows do leave this process here, by design: they go to the provider
 * named, who evaluates the model on them.
 */
#include "agent/agent.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 65536
#define MAX_COLUMNS 1024
#define MAX_ROWS 1000000

/* ---- the CSV of rows: a header, numbers; empty or NA is missing ---- */

struct rows {
    size_t n_rows, n_cols;
    double *x; /* [n_rows][n_cols], NAN = missing */
};

static size_t split_line(char *line, char **cells, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *start = p;
        bool quoted = false;
        while (*p && (quoted || *p != ',')) {
            if (*p == '"')
                quoted = !quoted;
            p++;
        }
        char end = *p;
        *p = '\0';
        while (*start == ' ' || *start == '\t' || *start == '"')
            start++;
        char *e = start + strlen(start);
        while (e > start && strchr(" \t\r\n\"", e[-1]))
            *--e = '\0';
        if (n < max)
            cells[n] = start;
        n++;
        if (!end)
            break;
        p++;
    }
    return n;
}

/* Loads path; the column named drop (if any) is left out. */
static bool load_rows(const char *path, const char *drop, struct rows *out, char **header_out,
                      char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    memset(out, 0, sizeof(*out));
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    char *line = malloc(MAX_LINE + 2), *cells[MAX_COLUMNS];
    size_t cap = 0, lineno = 0;
    long drop_col = -1;
    bool ok = line != NULL;
    *header_out = NULL;
    while (ok && fgets(line, MAX_LINE + 2, f)) {
        lineno++;
        if (strlen(line) > MAX_LINE) {
            snprintf(err, errlen, "%s:%zu: line too long", path, lineno);
            ok = false;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb &&
            (unsigned char)s[2] == 0xbf)
            s += 3;
        size_t n = split_line(s, cells, MAX_COLUMNS);
        if (n > MAX_COLUMNS) {
            snprintf(err, errlen, "%s:%zu: more than %d columns", path, lineno, MAX_COLUMNS);
            ok = false;
            break;
        }
        if (!*header_out) {
            for (size_t i = 0; drop && i < n; i++)
                if (strcmp(cells[i], drop) == 0)
                    drop_col = (long)i;
            if (drop && drop_col < 0) {
                snprintf(err, errlen, "%s: no column named %s", path, drop);
                ok = false;
                break;
            }
            out->n_cols = n - (drop_col >= 0);
            *header_out = strdup("");
            continue;
        }
        if (n != out->n_cols + (drop_col >= 0)) {
            snprintf(err, errlen, "%s:%zu: %zu cells, the header has %zu", path, lineno, n,
                     out->n_cols + (drop_col >= 0));
            ok = false;
            break;
        }
        if (out->n_rows == MAX_ROWS) {
            snprintf(err, errlen, "%s: more than %d rows", path, MAX_ROWS);
            ok = false;
            break;
        }
        if (out->n_rows == cap) {
            cap = cap ? 2 * cap : 256;
            double *x = realloc(out->x, cap * out->n_cols * sizeof(*x));
            if (!x) {
                snprintf(err, errlen, "Out of memory");
                ok = false;
                break;
            }
            out->x = x;
        }
        double *row = out->x + out->n_rows * out->n_cols;
        size_t k = 0;
        for (size_t i = 0; ok && i < n; i++) {
            if ((long)i == drop_col)
                continue;
            char *end;
            if (cells[i][0] == '\0' || strcmp(cells[i], "NA") == 0) {
                row[k++] = NAN;
                continue;
            }
            errno = 0;
            double v = strtod(cells[i], &end);
            if (errno || *end || !isfinite(v)) {
                snprintf(err, errlen, "%s:%zu: '%s' is not a number", path, lineno, cells[i]);
                ok = false;
            }
            row[k++] = v;
        }
        out->n_rows++;
    }
    fclose(f);
    free(line);
    if (ok && !*header_out) {
        snprintf(err, errlen, "%s: empty file (a header line is expected)", path);
        ok = false;
    }
    if (ok && out->n_rows == 0) {
        snprintf(err, errlen, "%s: no rows", path);
        ok = false;
    }
    if (!ok) {
        free(out->x);
        out->x = NULL;
        free(*header_out);
        *header_out = NULL;
    }
    return ok;
}

/* ---- the purchase ---- */

static bool sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return !agent_stop;
}

/* Waits until the wallet's transaction txid has a confirmation. */
static bool wait_confirmed(const struct agent_rpc *rpc, const char *txid, double deadline,
                           uint32_t poll_ms, char *err, size_t errlen)
{
    for (;;) {
        json_t *t = NULL;
        if (agent_call(rpc, "gettransaction", json_pack("[s]", txid), &t, NULL, err, errlen) !=
            AGENT_CALL_OK)
            return false;
        json_int_t conf = json_integer_value(json_object_get(t, "confirmations"));
        json_decref(t);
        if (conf >= 1)
            return true;
        if ((double)time(NULL) > deadline) {
            snprintf(err, errlen, "The purchase %s did not confirm in time (-market-wait)", txid);
            return false;
        }
        if (!sleep_ms(poll_ms)) {
            snprintf(err, errlen, "Interrupted");
            return false;
        }
    }
}

static uint64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

int agent_market_buy(const struct agent_rpc *local, const struct agent_rpc *provider,
                     const struct agent_market_opts *o)
{
    char err[1024] = "", *header = NULL;
    struct rows rows = {0};
    json_t *model = NULL, *preds = json_array(), *classes = json_array();
    FILE *out = NULL;
    int rc = 1;
    const double deadline = (double)time(NULL) + o->wait_s;

    if (agent_call(local, "marketgetmodel", json_pack("[s]", o->model), &model, NULL, err,
                   sizeof err) != AGENT_CALL_OK)
        goto done;
    const json_int_t n_inputs = json_integer_value(json_object_get(model, "n_inputs"));
    if (!load_rows(o->csv, o->label, &rows, &header, err, sizeof err))
        goto done;
    if ((json_int_t)rows.n_cols != n_inputs) {
        snprintf(err, sizeof err,
                 "%s has %zu feature columns, the model %lld inputs (leave a label column out "
                 "with -label=<column>)",
                 o->csv, rows.n_cols, (long long)n_inputs);
        goto done;
    }
    const uint64_t calls = o->calls_set ? o->calls : rows.n_rows;
    if (calls > 0) {
        json_t *params = json_pack("[ssI]", o->model, o->provider, (json_int_t)calls), *r = NULL;
        json_array_append_new(params, o->max_price ? json_string(o->max_price) : json_null());
        json_array_append_new(params, o->address ? json_string(o->address) : json_null());
        if (agent_call(local, "marketcall", params, &r, NULL, err, sizeof err) != AGENT_CALL_OK)
            goto done;
        const char *txid = json_is_string(r) ? json_string_value(r)
                                             : json_string_value(json_object_get(r, "txid"));
        char id[80];
        snprintf(id, sizeof id, "%s", txid ? txid : "");
        json_decref(r);
        if (!id[0]) {
            snprintf(err, sizeof err, "marketcall: no txid in its result");
            goto done;
        }
        agent_log("bought %llu calls of %s from %s: %s; waiting for its confirmation",
                  (unsigned long long)calls, o->model, o->provider, id);
        if (!wait_confirmed(local, id, deadline, o->poll_ms, err, sizeof err))
            goto done;
        agent_log("the purchase confirmed");
    }

    uint64_t nonce = now_us();
    for (size_t start = 0; start < rows.n_rows; start += o->batch) {
        size_t n = rows.n_rows - start < o->batch ? rows.n_rows - start : o->batch;
        json_t *sig = NULL;
        if (agent_call(local, "marketsignrequest",
                       json_pack("[ssIIo]", o->model, o->provider, (json_int_t)n,
                                 (json_int_t)nonce,
                                 o->address ? json_string(o->address) : json_null()),
                       &sig, NULL, err, sizeof err) != AGENT_CALL_OK)
            goto done;
        json_t *inputs = json_array();
        for (size_t r = start; r < start + n; r++) {
            json_t *row = json_array();
            for (size_t c = 0; c < rows.n_cols; c++) {
                double v = rows.x[r * rows.n_cols + c];
                json_array_append_new(row, isnan(v) ? json_null() : json_real(v));
            }
            json_array_append_new(inputs, row);
        }
        json_t *res = NULL;
        for (;;) {
            int64_t code = 0;
            json_t *params = json_pack("[ssOIOO]", o->model, o->provider,
                                       json_object_get(sig, "payer"), (json_int_t)nonce,
                                       json_object_get(sig, "signature"), inputs);
            enum agent_call_status st =
                agent_call(provider, "predict", params, &res, &code, err, sizeof err);
            if (st == AGENT_CALL_OK)
                break;
            /* The provider's node may not have the purchase's block yet. */
            if (st != AGENT_CALL_RPC_ERROR || code != -26 || !strstr(err, "unpaid") ||
                (double)time(NULL) > deadline || !sleep_ms(o->poll_ms)) {
                json_decref(sig);
                json_decref(inputs);
                goto done;
            }
        }
        json_decref(sig);
        json_decref(inputs);
        json_array_extend(preds, json_object_get(res, "outputs"));
        json_array_extend(classes, json_object_get(res, "classes"));
        agent_log("rows %zu..%zu predicted; %lld calls left", start + 1, start + n,
                  (long long)json_integer_value(json_object_get(res, "calls_left")));
        json_decref(res);
        nonce++;
    }

    out = o->out ? fopen(o->out, "w") : stdout;
    if (!out) {
        snprintf(err, sizeof err, "%s: cannot write: %s", o->out, strerror(errno));
        goto done;
    }
    const size_t k = json_array_size(json_array_get(preds, 0));
    for (size_t j = 0; j < k; j++)
        fprintf(out, k == 1 ? "p1," : "p%zu,", j);
    fprintf(out, "class\n");
    for (size_t r = 0; r < json_array_size(preds); r++) {
        const json_t *p = json_array_get(preds, r);
        for (size_t j = 0; j < k; j++)
            fprintf(out, "%.17g,", json_number_value(json_array_get(p, j)));
        fprintf(out, "%lld\n", (long long)json_integer_value(json_array_get(classes, r)));
    }
    if (o->out && fclose(out) != 0) {
        out = NULL;
        snprintf(err, sizeof err, "%s: cannot write", o->out);
        goto done;
    }
    if (!o->out)
        fflush(stdout);
    out = NULL;
    if (o->out)
        agent_log("%zu predictions written to %s", json_array_size(preds), o->out);
    rc = 0;
done:
    if (rc != 0 && err[0])
        fprintf(stderr, "Error: %s\n", err);
    if (out && out != stdout)
        fclose(out);
    free(header);
    free(rows.x);
    json_decref(model);
    json_decref(preds);
    json_decref(classes);
    return rc;
}
