/* Fuzz target: the training-data CSV loader (ml/csv.c) on an in-memory
 * stream.
 *
 * Input: flags u8 | CSV text.  The flags pick the label column ("label" or
 * "Outcome"), a positive class, zero-as-missing columns and small or default
 * limits.  Properties: a loaded dataset is consistent (labels below
 * n_classes, names present, the row and cell limits kept); a refusal always
 * says why. */
#include "tests/fuzz/fuzz.h"

#include "ml/csv.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ml_csv_opts o;
    struct ml_dataset *ds = NULL;
    char err[256] = "";
    if (size < 2) /* fmemopen refuses an empty buffer */
        return 0;
    uint8_t flags = data[0];
    ml_csv_opts_init(&o, flags & 1 ? "Outcome" : "label");
    if (flags & 2)
        o.positive_class = flags & 4 ? "yes" : "1";
    if (flags & 8)
        o.zero_missing = "a,glucose,b";
    if (flags & 16) {
        o.max_line = 64;
        o.max_columns = 8;
        o.max_rows = 16;
        o.max_cells = 64;
    }
    FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
    FUZZ_CHECK(f != NULL);
    bool ok = ml_csv_read(f, "fuzz.csv", &o, &ds, err, sizeof(err));
    fclose(f);
    if (!ok) {
        FUZZ_CHECK(err[0] != '\0' && ds == NULL);
        return 0;
    }
    FUZZ_CHECK(ds != NULL && ds->n_classes >= 1);
    if (flags & 16)
        FUZZ_CHECK(ds->n_rows <= 16 && ds->n_rows * ds->n_features <= 64);
    if (o.positive_class)
        FUZZ_CHECK(ds->n_classes <= 2);
    for (size_t i = 0; i < ds->n_rows; i++) {
        FUZZ_CHECK(ds->y[i] < ds->n_classes);
        for (size_t j = 0; j < ds->n_features; j++) {
            double x = ds->x[i * ds->n_features + j];
            FUZZ_CHECK(isnan(x) || isfinite(x));
        }
    }
    for (size_t j = 0; j < ds->n_features; j++)
        FUZZ_CHECK(ds->feature_names && ds->feature_names[j]);
    if (ds->class_names)
        for (uint32_t c = 0; c < ds->n_classes; c++)
            FUZZ_CHECK(ds->class_names[c] != NULL);
    (void)ml_dataset_count_missing(ds);
    ml_dataset_free(ds);
    return 0;
}
