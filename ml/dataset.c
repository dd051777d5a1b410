/* Datasets: allocation, names, subsets, seeded shuffles and splits. */
#include "ml/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/internal.h"
#include "ml/rng.h"

struct ml_dataset *ml_dataset_new(size_t n_rows, size_t n_features, uint32_t n_classes)
{
    if (n_features != 0 && n_rows > SIZE_MAX / sizeof(double) / n_features)
        return NULL;
    struct ml_dataset *ds = calloc(1, sizeof(*ds));
    if (!ds)
        return NULL;
    ds->n_rows = n_rows;
    ds->n_features = n_features;
    ds->n_classes = n_classes;
    /* calloc(0) may return NULL; allocate at least one element so that NULL
     * always means failure. */
    size_t cells = n_rows * n_features;
    ds->x = calloc(cells ? cells : 1, sizeof(double));
    ds->y = calloc(n_rows ? n_rows : 1, sizeof(uint32_t));
    if (!ds->x || !ds->y) {
        ml_dataset_free(ds);
        return NULL;
    }
    return ds;
}

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void ml_dataset_free(struct ml_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->y);
    free_names(ds->feature_names, ds->n_features);
    free_names(ds->class_names, ds->n_classes);
    free(ds);
}

static char **copy_names(const char *const *names, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof(char *));
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = strdup(names[i]);
        if (!out[i]) {
            free_names(out, i);
            return NULL;
        }
    }
    return out;
}

bool ml_dataset_set_feature_names(struct ml_dataset *ds, const char *const *names)
{
    if (ds->feature_names)
        return false;
    ds->feature_names = copy_names(names, ds->n_features);
    return ds->feature_names != NULL;
}

bool ml_dataset_set_class_names(struct ml_dataset *ds, const char *const *names)
{
    if (ds->class_names)
        return false;
    ds->class_names = copy_names(names, ds->n_classes);
    return ds->class_names != NULL;
}

long ml_dataset_feature_index(const struct ml_dataset *ds, const char *name)
{
    if (!ds->feature_names)
        return -1;
    for (size_t i = 0; i < ds->n_features; i++)
        if (strcmp(ds->feature_names[i], name) == 0)
            return (long)i;
    return -1;
}

size_t ml_dataset_count_missing(const struct ml_dataset *ds)
{
    size_t n = 0;
    for (size_t i = 0; i < ds->n_rows * ds->n_features; i++)
        n += isnan(ds->x[i]) ? 1 : 0;
    return n;
}

struct ml_dataset *ml_dataset_subset(const struct ml_dataset *ds, const size_t *idx, size_t n)
{
    struct ml_dataset *out = ml_dataset_new(n, ds->n_features, ds->n_classes);
    if (!out)
        return NULL;
    size_t nf = ds->n_features;
    for (size_t r = 0; r < n; r++) {
        if (idx[r] >= ds->n_rows) {
            ml_dataset_free(out);
            return NULL;
        }
        memcpy(out->x + r * nf, ds->x + idx[r] * nf, nf * sizeof(double));
        out->y[r] = ds->y[idx[r]];
    }
    if ((ds->feature_names &&
         !ml_dataset_set_feature_names(out, (const char *const *)ds->feature_names)) ||
        (ds->class_names &&
         !ml_dataset_set_class_names(out, (const char *const *)ds->class_names))) {
        ml_dataset_free(out);
        return NULL;
    }
    return out;
}

static size_t *identity(size_t n)
{
    size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
    if (!idx)
        return NULL;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return idx;
}

bool ml_dataset_shuffle(struct ml_dataset *ds, uint64_t seed)
{
    size_t *idx = identity(ds->n_rows);
    if (!idx)
        return false;
    struct ml_rng rng;
    ml_rng_seed(&rng, seed);
    ml_rng_shuffle(&rng, idx, ds->n_rows);
    struct ml_dataset *tmp = ml_dataset_subset(ds, idx, ds->n_rows);
    free(idx);
    if (!tmp)
        return false;
    /* Swap in the permuted storage; names stay where they are. */
    double *x = ds->x;
    uint32_t *y = ds->y;
    ds->x = tmp->x;
    ds->y = tmp->y;
    tmp->x = x;
    tmp->y = y;
    ml_dataset_free(tmp);
    return true;
}

bool ml_dataset_split(const struct ml_dataset *ds, double test_fraction, uint64_t seed,
                      struct ml_dataset **train, struct ml_dataset **test,
                      char *err, size_t errlen)
{
    *train = NULL;
    *test = NULL;
    if (!(test_fraction >= 0.0 && test_fraction < 1.0)) {
        ml_errf(err, errlen, "test fraction %g is not in [0, 1)", test_fraction);
        return false;
    }
    size_t n = ds->n_rows;
    size_t n_test = (size_t)llround((double)n * test_fraction);
    if (n_test > n)
        n_test = n;
    size_t *idx = identity(n);
    if (!idx) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    struct ml_rng rng;
    ml_rng_seed(&rng, seed);
    ml_rng_shuffle(&rng, idx, n);
    *test = ml_dataset_subset(ds, idx, n_test);
    *train = ml_dataset_subset(ds, idx + n_test, n - n_test);
    free(idx);
    if (!*test || !*train) {
        ml_dataset_free(*test);
        ml_dataset_free(*train);
        *test = *train = NULL;
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool ml_dataset_filter_range(const struct ml_dataset *ds, size_t col, double lo, double hi,
                             struct ml_dataset **out, char *err, size_t errlen)
{
    *out = NULL;
    if (col >= ds->n_features) {
        ml_errf(err, errlen, "feature %zu out of range (%zu features)", col, ds->n_features);
        return false;
    }
    size_t *idx = malloc((ds->n_rows ? ds->n_rows : 1) * sizeof(size_t));
    if (!idx) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    size_t n = 0;
    for (size_t r = 0; r < ds->n_rows; r++) {
        double v = ds->x[r * ds->n_features + col];
        if (v >= lo && v < hi) /* false for NAN */
            idx[n++] = r;
    }
    *out = ml_dataset_subset(ds, idx, n);
    free(idx);
    if (!*out) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

void ml_dataset_class_counts(const struct ml_dataset *ds, size_t *counts)
{
    memset(counts, 0, ds->n_classes * sizeof(size_t));
    for (size_t r = 0; r < ds->n_rows; r++)
        if (ds->y[r] < ds->n_classes)
            counts[ds->y[r]]++;
}
