/* Preprocessing that travels with a model: mean imputation of missing values
 * and standardization, both fitted on training rows only.
 *
 * transform(x) = (isnan(x) ? impute : x - mean) / std, per feature.  A model
 * trained on transformed rows is only meaningful together with its scaler, so
 * the scaler encodes to bytes and to Q16.16 ints next to the model weights.
 */
#ifndef FML_ML_SCALER_H
#define FML_ML_SCALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ml/dataset.h"

struct ml_scaler {
    size_t n_features;
    double *impute;   /* [n_features] replaces a missing value */
    double *mean;     /* [n_features] */
    double *std;      /* [n_features], > 0 */
};

/* impute = mean = 0, std = 1 (the identity); NULL when out of memory. */
struct ml_scaler *ml_scaler_new(size_t n_features);
void ml_scaler_free(struct ml_scaler *s);

/* Fits on train: impute = mean of the present values of each feature (0 if a
 * feature has none), then mean and population std of the imputed column
 * (std 1 for a constant column).  Summation is in row order, so the result is
 * deterministic. */
bool ml_scaler_fit(const struct ml_dataset *train, struct ml_scaler **out,
                   char *err, size_t errlen) __attribute__((warn_unused_result));

/* Imputes and standardizes n_rows rows of s->n_features values in place. */
void ml_scaler_transform_rows(const struct ml_scaler *s, double *x, size_t n_rows);
/* The same for a dataset; false if its feature count differs. */
bool ml_scaler_transform(const struct ml_scaler *s, struct ml_dataset *ds,
                         char *err, size_t errlen) __attribute__((warn_unused_result));

/* Byte encoding: "FMLS", uint32 version 1, uint32 n_features, then impute[],
 * mean[], std[] as IEEE 754 binary64, all little-endian. */
size_t ml_scaler_encoded_size(size_t n_features);
/* Writes ml_scaler_encoded_size() bytes; false if len is too small. */
bool ml_scaler_encode(const struct ml_scaler *s, uint8_t *buf, size_t len)
    __attribute__((warn_unused_result));
bool ml_scaler_decode(const uint8_t *buf, size_t len, struct ml_scaler **out,
                      char *err, size_t errlen) __attribute__((warn_unused_result));

/* Q16.16 form: 3 * n_features ints, impute[] then mean[] then std[]
 * (ml/quant.h rounding).  A std that rounds to 0 makes from_q16 fail. */
size_t ml_scaler_q16_count(size_t n_features);
bool ml_scaler_to_q16(const struct ml_scaler *s, int32_t *q, size_t n)
    __attribute__((warn_unused_result));
bool ml_scaler_from_q16(const int32_t *q, size_t n, struct ml_scaler **out,
                        char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
