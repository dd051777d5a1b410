/* A labelled dataset in memory: rows x features of doubles, row-major, with a
 * class index per row; deterministic shuffles and splits.
 *
 * A missing feature value is NAN until a scaler (ml/scaler.h) imputes it.
 * Splits copy rows into new datasets; the original keeps its own memory.
 */
#ifndef FML_ML_DATASET_H
#define FML_ML_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bound on classes, shared by the CSV loader and the models. */
#define ML_MAX_CLASSES 1024

struct ml_dataset {
    size_t n_rows;
    size_t n_features;
    double *x;              /* [n_rows][n_features]; NAN marks a missing value */
    uint32_t *y;            /* [n_rows], class index in [0, n_classes) */
    uint32_t n_classes;     /* >= 1 */
    char **feature_names;   /* [n_features] or NULL */
    char **class_names;     /* [n_classes] or NULL (numeric labels) */
};

/* A dataset with zeroed x and y and no names; NULL when out of memory or the
 * size overflows. */
struct ml_dataset *ml_dataset_new(size_t n_rows, size_t n_features, uint32_t n_classes);
void ml_dataset_free(struct ml_dataset *ds);

/* Copies names into ds (which must not have any yet); false when out of memory. */
bool ml_dataset_set_feature_names(struct ml_dataset *ds, const char *const *names);
bool ml_dataset_set_class_names(struct ml_dataset *ds, const char *const *names);

/* Index of the feature called name, or -1. */
long ml_dataset_feature_index(const struct ml_dataset *ds, const char *name);

/* Number of missing (NAN) cells. */
size_t ml_dataset_count_missing(const struct ml_dataset *ds);

/* A new dataset holding rows idx[0..n) of ds, in that order, with ds's names;
 * NULL when out of memory or an index is out of range. */
struct ml_dataset *ml_dataset_subset(const struct ml_dataset *ds, const size_t *idx, size_t n);

/* Permutes the rows of ds in place with a Fisher-Yates shuffle seeded by seed. */
bool ml_dataset_shuffle(struct ml_dataset *ds, uint64_t seed) __attribute__((warn_unused_result));

/* Shuffles the row order with seed, then puts round(n_rows * test_fraction)
 * rows in *test and the rest in *train (both new).  test_fraction in [0, 1). */
bool ml_dataset_split(const struct ml_dataset *ds, double test_fraction, uint64_t seed,
                      struct ml_dataset **train, struct ml_dataset **test,
                      char *err, size_t errlen) __attribute__((warn_unused_result));

/* Rows whose value in feature col lies in [lo, hi), in their original order,
 * as a new dataset (possibly with zero rows).  Rows missing that value are
 * left out.  Gives non-IID shares, e.g. hospitals by age range. */
bool ml_dataset_filter_range(const struct ml_dataset *ds, size_t col, double lo, double hi,
                             struct ml_dataset **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Rows per class: counts[0..n_classes). */
void ml_dataset_class_counts(const struct ml_dataset *ds, size_t *counts);

#endif
