/* fml-agent's private data: the operator's CSV file, the normalization a
 * task prescribes, and the aggregate statistics a participant may publish.
 *
 * Rows loaded here stay in this process: nothing in this file talks to the
 * node, and nothing derived from single rows is returned to a caller that
 * does (only weights trained on them, metrics and per-feature sums).
 */
#include "agent/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/csv.h"
#include "ml/quant.h"

/* The name of the header's last column, unquoted and trimmed. */
static bool last_column(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %m", path);
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    fclose(f);
    if (len <= 0) {
        free(line);
        snprintf(err, errlen, "%s: empty file (a header line is expected)", path);
        return false;
    }
    char *s = line;
    if ((unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf)
        s += 3;
    bool quoted = false;
    char *start = s;
    for (char *p = s; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted)
            start = p + 1;
    }
    char *end = start + strlen(start);
    while (end > start && strchr(" \t\r\n", end[-1]))
        end--;
    while (start < end && strchr(" \t", *start))
        start++;
    if (end - start >= 2 && *start == '"' && end[-1] == '"') {
        start++;
        end--;
    }
    bool ok = end > start && (size_t)(end - start) < outlen;
    if (ok) {
        memcpy(out, start, (size_t)(end - start));
        out[end - start] = '\0';
    } else {
        snprintf(err, errlen, "%s: the header's last column has no usable name; give -label", path);
    }
    free(line);
    return ok;
}

bool agent_data_load(const char *path, const struct agent_data_opts *o, struct ml_dataset **out,
                     char *err, size_t errlen)
{
    char label[256];
    if (o->label) {
        snprintf(label, sizeof label, "%s", o->label);
    } else if (!last_column(path, label, sizeof label, err, errlen)) {
        return false;
    }
    struct ml_csv_opts co;
    ml_csv_opts_init(&co, label);
    co.positive_class = o->positive;
    co.zero_missing = o->zero_missing;
    if (!ml_csv_load(path, &co, out, err, errlen))
        return false;
    if ((*out)->n_rows == 0) {
        snprintf(err, errlen, "%s: no rows", path);
        ml_dataset_free(*out);
        *out = NULL;
        return false;
    }
    return true;
}

bool agent_data_task_scaler(const json_t *spec, const struct ml_dataset *fit_rows,
                            struct ml_scaler **out, char *err, size_t errlen)
{
    const json_t *norm = json_object_get(spec, "normalization");
    const size_t nf = fit_rows->n_features;
    *out = NULL;
    if (!json_is_array(norm) || json_array_size(norm) == 0) {
        /* No normalization in the task: the model sees raw values, and a
         * missing one is replaced by the column's mean over fit_rows. */
        struct ml_scaler *fitted;
        if (!ml_scaler_fit(fit_rows, &fitted, err, errlen))
            return false;
        for (size_t i = 0; i < nf; i++) {
            fitted->mean[i] = 0;
            fitted->std[i] = 1;
        }
        *out = fitted;
        return true;
    }
    if (json_array_size(norm) != nf) {
        snprintf(err, errlen, "The task normalizes %zu inputs; the data has %zu features",
                 json_array_size(norm), nf);
        return false;
    }
    int32_t *q = calloc(3 * nf, sizeof(*q));
    if (!q) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < nf; i++) {
        const json_t *e = json_array_get(norm, i);
        const json_t *mean = json_object_get(e, "mean_q16"), *std = json_object_get(e, "std_q16");
        ok = json_is_integer(mean) && json_is_integer(std) && json_integer_value(std) > 0 &&
             json_integer_value(mean) >= INT32_MIN && json_integer_value(mean) <= INT32_MAX &&
             json_integer_value(std) <= INT32_MAX;
        if (ok) {
            q[i] = q[nf + i] = (int32_t)json_integer_value(mean);   /* impute with the mean */
            q[2 * nf + i] = (int32_t)json_integer_value(std);
        } else {
            snprintf(err, errlen, "The task's normalization[%zu] is malformed", i);
        }
    }
    ok = ok && ml_scaler_from_q16(q, 3 * nf, out, err, errlen);
    free(q);
    return ok;
}

struct ml_dataset *agent_data_transformed(const struct ml_dataset *ds, const struct ml_scaler *s,
                                          char *err, size_t errlen)
{
    size_t *idx = malloc((ds->n_rows ? ds->n_rows : 1) * sizeof(*idx));
    if (!idx) {
        snprintf(err, errlen, "Out of memory");
        return NULL;
    }
    for (size_t i = 0; i < ds->n_rows; i++)
        idx[i] = i;
    struct ml_dataset *copy = ml_dataset_subset(ds, idx, ds->n_rows);
    free(idx);
    if (!copy) {
        snprintf(err, errlen, "Out of memory");
        return NULL;
    }
    if (!ml_scaler_transform(s, copy, err, errlen)) {
        ml_dataset_free(copy);
        return NULL;
    }
    return copy;
}

json_t *agent_data_stats(const struct ml_dataset *ds)
{
    json_t *o = json_object(), *features = json_array();
    if (!o || !features) {
        json_decref(o);
        json_decref(features);
        return NULL;
    }
    json_object_set_new(o, "rows", json_integer((json_int_t)ds->n_rows));
    for (size_t f = 0; f < ds->n_features; f++) {
        double sum = 0, sumsq = 0;
        size_t count = 0;
        for (size_t r = 0; r < ds->n_rows; r++) {
            double x = ds->x[r * ds->n_features + f];
            if (isnan(x))
                continue;
            count++;
            sum += x;
            sumsq += x * x;
        }
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(ds->feature_names ? ds->feature_names[f] : ""));
        json_object_set_new(e, "count", json_integer((json_int_t)count));
        json_object_set_new(e, "sum", json_real(sum));
        json_object_set_new(e, "sumsq", json_real(sumsq));
        json_array_append_new(features, e);
    }
    json_object_set_new(o, "features", features);
    return o;
}

void agent_data_flip_labels(struct ml_dataset *ds)
{
    const uint32_t k = ds->n_classes < 2 ? 2 : ds->n_classes;
    for (size_t r = 0; r < ds->n_rows; r++)
        ds->y[r] = (ds->y[r] + 1) % k;
}

struct ml_dataset *agent_data_concat(const struct ml_dataset *a, const struct ml_dataset *b,
                                     char *err, size_t errlen)
{
    if (a->n_features != b->n_features) {
        snprintf(err, errlen, "The files have %zu and %zu features", a->n_features,
                 b->n_features);
        return NULL;
    }
    for (size_t i = 0; a->feature_names && b->feature_names && i < a->n_features; i++) {
        if (strcmp(a->feature_names[i], b->feature_names[i]) != 0) {
            snprintf(err, errlen, "The files' columns differ (%s, %s)", a->feature_names[i],
                     b->feature_names[i]);
            return NULL;
        }
    }
    bool named = a->class_names && b->class_names;
    if ((a->class_names || b->class_names) &&
        (!named || a->n_classes != b->n_classes)) {
        snprintf(err, errlen, "The files' labels differ (give -positive=<value> for binary labels)");
        return NULL;
    }
    for (uint32_t k = 0; named && k < a->n_classes; k++) {
        if (strcmp(a->class_names[k], b->class_names[k]) != 0) {
            snprintf(err, errlen, "The files' labels differ (%s, %s); give -positive=<value>",
                     a->class_names[k], b->class_names[k]);
            return NULL;
        }
    }
    uint32_t classes = a->n_classes > b->n_classes ? a->n_classes : b->n_classes;
    struct ml_dataset *d = ml_dataset_new(a->n_rows + b->n_rows, a->n_features, classes);
    if (!d) {
        snprintf(err, errlen, "Out of memory");
        return NULL;
    }
    const size_t nf = a->n_features;
    memcpy(d->x, a->x, a->n_rows * nf * sizeof(*d->x));
    memcpy(d->x + a->n_rows * nf, b->x, b->n_rows * nf * sizeof(*d->x));
    memcpy(d->y, a->y, a->n_rows * sizeof(*d->y));
    memcpy(d->y + a->n_rows, b->y, b->n_rows * sizeof(*d->y));
    if ((a->feature_names &&
         !ml_dataset_set_feature_names(d, (const char *const *)a->feature_names)) ||
        (a->class_names && !ml_dataset_set_class_names(d, (const char *const *)a->class_names))) {
        ml_dataset_free(d);
        snprintf(err, errlen, "Out of memory");
        return NULL;
    }
    return d;
}
