/* Mean imputation and standardization, fitted on training rows. */
#include "ml/scaler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/internal.h"
#include "ml/quant.h"

/* Below this a column counts as constant: dividing by its std would only
 * amplify rounding noise. */
#define MIN_STD 1e-12

struct ml_scaler *ml_scaler_new(size_t n_features)
{
    if (n_features > SIZE_MAX / sizeof(double) / 3)
        return NULL;
    struct ml_scaler *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    size_t n = n_features ? n_features : 1;
    /* One block, so that one free releases all three arrays. */
    double *block = calloc(3 * n, sizeof(double));
    if (!block) {
        free(s);
        return NULL;
    }
    s->n_features = n_features;
    s->impute = block;
    s->mean = block + n;
    s->std = block + 2 * n;
    for (size_t f = 0; f < n_features; f++)
        s->std[f] = 1.0;
    return s;
}

void ml_scaler_free(struct ml_scaler *s)
{
    if (!s)
        return;
    free(s->impute);
    free(s);
}

bool ml_scaler_fit(const struct ml_dataset *train, struct ml_scaler **out,
                   char *err, size_t errlen)
{
    size_t nf = train->n_features, nr = train->n_rows;
    struct ml_scaler *s = ml_scaler_new(nf);
    *out = NULL;
    if (!s) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    for (size_t f = 0; f < nf; f++) {
        double sum = 0;
        size_t present = 0;
        for (size_t r = 0; r < nr; r++) {
            double v = train->x[r * nf + f];
            if (!isnan(v)) {
                sum += v;
                present++;
            }
        }
        s->impute[f] = present ? sum / (double)present : 0.0;
        /* The imputed column has the same mean as its present values. */
        s->mean[f] = s->impute[f];
        double ss = 0;
        for (size_t r = 0; r < nr; r++) {
            double v = train->x[r * nf + f];
            double d = isnan(v) ? 0.0 : v - s->mean[f];
            ss += d * d;
        }
        double sd = nr ? sqrt(ss / (double)nr) : 0.0;
        s->std[f] = sd > MIN_STD ? sd : 1.0;
        if (!isfinite(s->impute[f]) || !isfinite(s->std[f])) {
            ml_errf(err, errlen, "feature %zu: values too large to standardize", f);
            ml_scaler_free(s);
            return false;
        }
    }
    *out = s;
    return true;
}

void ml_scaler_transform_rows(const struct ml_scaler *s, double *x, size_t n_rows)
{
    size_t nf = s->n_features;
    for (size_t r = 0; r < n_rows; r++) {
        double *row = x + r * nf;
        for (size_t f = 0; f < nf; f++) {
            double v = isnan(row[f]) ? s->impute[f] : row[f];
            row[f] = (v - s->mean[f]) / s->std[f];
        }
    }
}

bool ml_scaler_transform(const struct ml_scaler *s, struct ml_dataset *ds,
                         char *err, size_t errlen)
{
    if (ds->n_features != s->n_features) {
        ml_errf(err, errlen, "scaler has %zu features, dataset %zu",
                s->n_features, ds->n_features);
        return false;
    }
    ml_scaler_transform_rows(s, ds->x, ds->n_rows);
    return true;
}

static const uint8_t MAGIC[4] = {'F', 'M', 'L', 'S'};
#define HEADER_SIZE 12

size_t ml_scaler_encoded_size(size_t n_features)
{
    return HEADER_SIZE + 3 * 8 * n_features;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void put_f64(uint8_t *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static double get_f64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

bool ml_scaler_encode(const struct ml_scaler *s, uint8_t *buf, size_t len)
{
    size_t nf = s->n_features;
    if (nf > UINT32_MAX || len < ml_scaler_encoded_size(nf))
        return false;
    memcpy(buf, MAGIC, 4);
    put_u32(buf + 4, 1);
    put_u32(buf + 8, (uint32_t)nf);
    uint8_t *p = buf + HEADER_SIZE;
    for (size_t f = 0; f < nf; f++, p += 8)
        put_f64(p, s->impute[f]);
    for (size_t f = 0; f < nf; f++, p += 8)
        put_f64(p, s->mean[f]);
    for (size_t f = 0; f < nf; f++, p += 8)
        put_f64(p, s->std[f]);
    return true;
}

/* Rejects what transform could not use. */
static bool check_values(const struct ml_scaler *s, char *err, size_t errlen)
{
    for (size_t f = 0; f < s->n_features; f++) {
        if (!isfinite(s->impute[f]) || !isfinite(s->mean[f]) || !isfinite(s->std[f]) ||
            !(s->std[f] > 0)) {
            ml_errf(err, errlen, "scaler feature %zu: bad values", f);
            return false;
        }
    }
    return true;
}

bool ml_scaler_decode(const uint8_t *buf, size_t len, struct ml_scaler **out,
                      char *err, size_t errlen)
{
    *out = NULL;
    if (len < HEADER_SIZE || memcmp(buf, MAGIC, 4) != 0 || get_u32(buf + 4) != 1) {
        ml_errf(err, errlen, "not a scaler encoding (version 1)");
        return false;
    }
    size_t nf = get_u32(buf + 8);
    if ((len - HEADER_SIZE) / 24 != nf || (len - HEADER_SIZE) % 24 != 0) {
        ml_errf(err, errlen, "scaler encoding: %zu bytes for %zu features", len, nf);
        return false;
    }
    struct ml_scaler *s = ml_scaler_new(nf);
    if (!s) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    const uint8_t *p = buf + HEADER_SIZE;
    for (size_t f = 0; f < nf; f++, p += 8)
        s->impute[f] = get_f64(p);
    for (size_t f = 0; f < nf; f++, p += 8)
        s->mean[f] = get_f64(p);
    for (size_t f = 0; f < nf; f++, p += 8)
        s->std[f] = get_f64(p);
    if (!check_values(s, err, errlen)) {
        ml_scaler_free(s);
        return false;
    }
    *out = s;
    return true;
}

size_t ml_scaler_q16_count(size_t n_features)
{
    return 3 * n_features;
}

bool ml_scaler_to_q16(const struct ml_scaler *s, int32_t *q, size_t n)
{
    size_t nf = s->n_features;
    if (n != ml_scaler_q16_count(nf))
        return false;
    /* Values are finite by construction, so conversion cannot meet a NAN. */
    return ml_q16_from_doubles(s->impute, q, nf) &&
           ml_q16_from_doubles(s->mean, q + nf, nf) &&
           ml_q16_from_doubles(s->std, q + 2 * nf, nf);
}

bool ml_scaler_from_q16(const int32_t *q, size_t n, struct ml_scaler **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (n % 3 != 0) {
        ml_errf(err, errlen, "scaler: %zu Q16.16 values is not a multiple of 3", n);
        return false;
    }
    size_t nf = n / 3;
    struct ml_scaler *s = ml_scaler_new(nf);
    if (!s) {
        ml_errf(err, errlen, "out of memory");
        return false;
    }
    ml_q16_to_doubles(q, s->impute, nf);
    ml_q16_to_doubles(q + nf, s->mean, nf);
    ml_q16_to_doubles(q + 2 * nf, s->std, nf);
    if (!check_values(s, err, errlen)) {
        ml_scaler_free(s);
        return false;
    }
    *out = s;
    return true;
}
