/* CSV loading for training data: a header line, numeric feature columns and a
 * label column chosen by name.
 *
 * The loader is the boundary to files written by anyone, so it is bounded
 * (line length, columns, rows, cells) and names the file, line and column of
 * the first bad cell: "pima.csv:17: column 'glucose': 'abc' is not a number".
 *
 * Format: comma-separated; a cell may be double-quoted ("" is a quote inside
 * quotes, no newlines inside quotes); spaces and tabs around a cell are
 * ignored; CRLF or LF line ends; blank lines are skipped; a UTF-8 byte order
 * mark before the header is skipped.  Numbers are decimal ([+-]digits[.digits]
 * [e[+-]digits], a '.' decimal point whatever the locale) and finite.
 *
 * Missing feature values: an empty cell or NA, and 0 in the columns named in
 * zero_missing.  They load as NAN; ml_scaler_fit() learns the values that
 * replace them.  A missing label is an error.
 *
 * Labels: with positive_class set, the label is 1 where the cell equals it and
 * 0 elsewhere (at most two distinct values, and positive_class must occur).
 * Otherwise, if every label is a non-negative integer below ML_MAX_CLASSES,
 * the label is that class index (n_classes = largest + 1); else the distinct
 * strings sorted bytewise are classes 0..K-1 and become the class names.
 */
#ifndef FML_ML_CSV_H
#define FML_ML_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ml/dataset.h"

#define ML_CSV_MAX_LINE 65536           /* bytes per line, without the line end */
#define ML_CSV_MAX_COLUMNS 1024
#define ML_CSV_MAX_ROWS 1000000
#define ML_CSV_MAX_CELLS (1u << 25)     /* 256 MiB of doubles */

struct ml_csv_opts {
    const char *label;          /* name of the label column (required) */
    const char *positive_class; /* binary labels: this value is class 1; or NULL */
    const char *zero_missing;   /* comma-separated feature names where 0 means missing; or NULL */
    size_t max_line;            /* limits; 0 means the ML_CSV_MAX_* default */
    size_t max_columns;
    size_t max_rows;
    size_t max_cells;
};

/* Sets the defaults for a label column name. */
void ml_csv_opts_init(struct ml_csv_opts *o, const char *label);

/* Loads path into a new *out (feature columns in file order, named by the
 * header; class names for string labels). */
bool ml_csv_load(const char *path, const struct ml_csv_opts *o, struct ml_dataset **out,
                 char *err, size_t errlen) __attribute__((warn_unused_result));

/* The same from an open stream; name is used in error messages. */
bool ml_csv_read(FILE *f, const char *name, const struct ml_csv_opts *o,
                 struct ml_dataset **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
