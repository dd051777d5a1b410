/* CSV loader: bounded line reader, in-place cell splitter, strict decimal
 * parser, label mapping.  Never trusts the file: every size is checked
 * against a limit before memory grows. */
#include "ml/csv.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml/internal.h"

void ml_csv_opts_init(struct ml_csv_opts *o, const char *label)
{
    memset(o, 0, sizeof(*o));
    o->label = label;
    o->max_line = ML_CSV_MAX_LINE;
    o->max_columns = ML_CSV_MAX_COLUMNS;
    o->max_rows = ML_CSV_MAX_ROWS;
    o->max_cells = ML_CSV_MAX_CELLS;
}

/* Printable, bounded copy of untrusted text for an error message. */
static const char *shown(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 4 < len; s++)
        buf[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (*s) {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }
    buf[n] = '\0';
    return buf;
}

struct loader {
    FILE *f;
    const char *name;
    char *err;
    size_t errlen;
    size_t max_line, max_columns, max_rows, max_cells;
    locale_t c_locale;

    char *line;             /* [max_line + 2] */
    size_t lineno;

    char **cells;           /* [max_columns + 1] pointers into line */
    char **names;           /* header names, owned */
    size_t n_cols;
    size_t label_col;
    bool *zero_missing;     /* [n_cols] */

    double *x;              /* [cap_rows * (n_cols - 1)] */
    uint32_t *label_id;     /* [cap_rows], index into labels */
    size_t n_rows, cap_rows;

    char **labels;          /* distinct label strings, in order of appearance */
    uint32_t *sorted;       /* label ids ordered by strcmp */
    size_t n_labels;
};

/* Reads the next line into l->line.  1: a line; 0: end of file; -1: error. */
static int read_line(struct loader *l)
{
    int c = getc(l->f);
    if (c == EOF) {
        if (ferror(l->f)) {
            ml_errf(l->err, l->errlen, "%s: read error", l->name);
            return -1;
        }
        return 0;
    }
    l->lineno++;
    size_t n = 0;
    for (; c != EOF && c != '\n'; c = getc(l->f)) {
        /* One byte of slack for a '\r' before the '\n'. */
        if (n > l->max_line) {
            ml_errf(l->err, l->errlen, "%s:%zu: line longer than %zu bytes",
                    l->name, l->lineno, l->max_line);
            return -1;
        }
        if (c == '\0') {
            ml_errf(l->err, l->errlen, "%s:%zu: NUL byte in line", l->name, l->lineno);
            return -1;
        }
        l->line[n++] = (char)c;
    }
    if (c == EOF && ferror(l->f)) {
        ml_errf(l->err, l->errlen, "%s: read error", l->name);
        return -1;
    }
    if (n > 0 && l->line[n - 1] == '\r')
        n--;
    if (n > l->max_line) {
        ml_errf(l->err, l->errlen, "%s:%zu: line longer than %zu bytes",
                l->name, l->lineno, l->max_line);
        return -1;
    }
    l->line[n] = '\0';
    return 1;
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

/* Splits l->line in place.  Stores at most cap cell pointers but counts all
 * cells into *n, so a ragged row can say how many it has. */
static bool split_cells(struct loader *l, size_t cap, size_t *n)
{
    char *p = l->line;
    size_t count = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *start, sep;
        if (*p == '"') {
            char *w = start = ++p;
            for (;;) {
                if (*p == '\0') {
                    ml_errf(l->err, l->errlen, "%s:%zu: unterminated quote in column %zu",
                            l->name, l->lineno, count + 1);
                    return false;
                }
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                *w++ = *p++;
            }
            p++; /* closing quote */
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ',' && *p != '\0') {
                ml_errf(l->err, l->errlen, "%s:%zu: text after a closing quote in column %zu",
                        l->name, l->lineno, count + 1);
                return false;
            }
            sep = *p;
            *w = '\0'; /* w is at or before the closing quote, never past p */
        } else {
            start = p;
            while (*p != ',' && *p != '\0')
                p++;
            char *end = p;
            while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            sep = *p;
            *end = '\0';
        }
        if (count < cap)
            l->cells[count] = start;
        count++;
        if (sep == '\0')
            break;
        p++;
    }
    *n = count;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* [+-]digits[.digits][e[+-]digits] with at least one mantissa digit. */
static bool is_decimal(const char *s)
{
    size_t digits = 0;
    if (*s == '+' || *s == '-')
        s++;
    for (; is_digit(*s); s++)
        digits++;
    if (*s == '.')
        for (s++; is_digit(*s); s++)
            digits++;
    if (digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!is_digit(*s))
            return false;
        while (is_digit(*s))
            s++;
    }
    return *s == '\0';
}

/* Parses a finite decimal; false if s is not one. */
static bool parse_number(const struct loader *l, const char *s, double *v)
{
    if (!is_decimal(s))
        return false;
    *v = strtod_l(s, NULL, l->c_locale);
    return isfinite(*v);
}

static bool is_missing(const char *s)
{
    return s[0] == '\0' || strcmp(s, "NA") == 0;
}

static bool parse_header(struct loader *l, const struct ml_csv_opts *o)
{
    char buf[80];
    size_t n;
    if (!split_cells(l, l->max_columns, &n))
        return false;
    if (n > l->max_columns) {
        ml_errf(l->err, l->errlen, "%s:%zu: more than %zu columns",
                l->name, l->lineno, l->max_columns);
        return false;
    }
    if (n < 2) {
        ml_errf(l->err, l->errlen, "%s:%zu: need a label column and at least one feature column",
                l->name, l->lineno);
        return false;
    }
    l->n_cols = n;
    size_t numeric = 0;
    bool found = false;
    l->names = calloc(n, sizeof(char *));
    l->zero_missing = calloc(n, sizeof(bool));
    if (!l->names || !l->zero_missing)
        goto oom;
    for (size_t c = 0; c < n; c++) {
        double v;
        if (parse_number(l, l->cells[c], &v))
            numeric++;
    }
    if (numeric == n) {
        ml_errf(l->err, l->errlen, "%s:%zu: no header line (the first line holds only numbers)",
                l->name, l->lineno);
        return false;
    }
    for (size_t c = 0; c < n; c++) {
        const char *name = l->cells[c];
        if (name[0] == '\0') {
            ml_errf(l->err, l->errlen, "%s:%zu: column %zu has an empty name",
                    l->name, l->lineno, c + 1);
            return false;
        }
        for (size_t d = 0; d < c; d++) {
            if (strcmp(l->names[d], name) == 0) {
                ml_errf(l->err, l->errlen, "%s:%zu: duplicate column name '%s'",
                        l->name, l->lineno, shown(name, buf, sizeof(buf)));
                return false;
            }
        }
        l->names[c] = strdup(name);
        if (!l->names[c])
            goto oom;
        if (strcmp(name, o->label) == 0) {
            l->label_col = c;
            found = true;
        }
    }
    if (!found) {
        ml_errf(l->err, l->errlen, "%s: no column named '%s' in the header%s", l->name,
                shown(o->label, buf, sizeof(buf)),
                numeric ? " (is the header line missing?)" : "");
        return false;
    }
    return true;
oom:
    ml_errf(l->err, l->errlen, "out of memory");
    return false;
}

/* Marks the columns listed (comma-separated) in spec as zero-missing. */
static bool parse_zero_missing(struct loader *l, const char *spec)
{
    char buf[80];
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        while (len > 0 && (*spec == ' ' || *spec == '\t')) {
            spec++;
            len--;
        }
        while (len > 0 && (spec[len - 1] == ' ' || spec[len - 1] == '\t'))
            len--;
        if (len > 0) {
            size_t c = 0;
            while (c < l->n_cols && (strlen(l->names[c]) != len ||
                                     memcmp(l->names[c], spec, len) != 0))
                c++;
            if (c == l->n_cols || c == l->label_col) {
                char want[80];
                snprintf(want, sizeof(want), "%.*s", (int)(len < 64 ? len : 64), spec);
                ml_errf(l->err, l->errlen, "%s: zero-missing column '%s' is not a feature column",
                        l->name, shown(want, buf, sizeof(buf)));
                return false;
            }
            l->zero_missing[c] = true;
        }
        spec = end ? end + 1 : NULL;
    }
    return true;
}

/* The id of label s, adding it to the distinct labels if new. */
static bool intern_label(struct loader *l, const struct ml_csv_opts *o, const char *s,
                         uint32_t *id)
{
    char buf[80], buf2[80];
    size_t lo = 0, hi = l->n_labels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(l->labels[l->sorted[mid]], s);
        if (cmp == 0) {
            *id = l->sorted[mid];
            return true;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *col = shown(l->names[l->label_col], buf2, sizeof(buf2));
    if (o->positive_class && l->n_labels == 2) {
        ml_errf(l->err, l->errlen,
                "%s:%zu: column '%s': a third label '%s' (a positive class needs a binary label)",
                l->name, l->lineno, col, shown(s, buf, sizeof(buf)));
        return false;
    }
    if (l->n_labels == ML_MAX_CLASSES) {
        ml_errf(l->err, l->errlen, "%s:%zu: column '%s': more than %d distinct labels",
                l->name, l->lineno, col, ML_MAX_CLASSES);
        return false;
    }
    if (!l->labels) {
        l->labels = calloc(ML_MAX_CLASSES, sizeof(char *));
        l->sorted = calloc(ML_MAX_CLASSES, sizeof(uint32_t));
        if (!l->labels || !l->sorted)
            goto oom;
    }
    char *copy = strdup(s);
    if (!copy)
        goto oom;
    *id = (uint32_t)l->n_labels;
    l->labels[l->n_labels] = copy;
    memmove(l->sorted + lo + 1, l->sorted + lo, (l->n_labels - lo) * sizeof(uint32_t));
    l->sorted[lo] = *id;
    l->n_labels++;
    return true;
oom:
    ml_errf(l->err, l->errlen, "out of memory");
    return false;
}

static bool grow_rows(struct loader *l)
{
    size_t nf = l->n_cols - 1;
    size_t cap = l->cap_rows ? l->cap_rows * 2 : 64;
    if (cap > l->max_rows)
        cap = l->max_rows;
    if (nf && cap > l->max_cells / nf)
        cap = l->max_cells / nf;
    if (cap <= l->n_rows)
        cap = l->n_rows + 1; /* limits were checked by the caller */
    double *x = realloc(l->x, cap * (nf ? nf : 1) * sizeof(double));
    if (!x)
        return false;
    l->x = x;
    uint32_t *ids = realloc(l->label_id, cap * sizeof(uint32_t));
    if (!ids)
        return false;
    l->label_id = ids;
    l->cap_rows = cap;
    return true;
}

static bool parse_row(struct loader *l, const struct ml_csv_opts *o)
{
    char buf[80], buf2[80];
    size_t n;
    if (!split_cells(l, l->n_cols, &n))
        return false;
    if (n != l->n_cols) {
        ml_errf(l->err, l->errlen, "%s:%zu: expected %zu columns, found %zu",
                l->name, l->lineno, l->n_cols, n);
        return false;
    }
    size_t nf = l->n_cols - 1;
    if (l->n_rows == l->max_rows) {
        ml_errf(l->err, l->errlen, "%s:%zu: more than %zu data rows",
                l->name, l->lineno, l->max_rows);
        return false;
    }
    if (nf && l->n_rows + 1 > l->max_cells / nf) {
        ml_errf(l->err, l->errlen, "%s:%zu: more than %zu cells",
                l->name, l->lineno, l->max_cells);
        return false;
    }
    if (l->n_rows == l->cap_rows && !grow_rows(l)) {
        ml_errf(l->err, l->errlen, "out of memory");
        return false;
    }
    double *row = l->x + l->n_rows * nf;
    size_t f = 0;
    for (size_t c = 0; c < l->n_cols; c++) {
        const char *cell = l->cells[c];
        if (c == l->label_col) {
            if (is_missing(cell)) {
                ml_errf(l->err, l->errlen, "%s:%zu: column '%s': missing label", l->name,
                        l->lineno, shown(l->names[c], buf, sizeof(buf)));
                return false;
            }
            if (!intern_label(l, o, cell, &l->label_id[l->n_rows]))
                return false;
            continue;
        }
        double v;
        if (is_missing(cell)) {
            v = NAN;
        } else if (!parse_number(l, cell, &v)) {
            ml_errf(l->err, l->errlen, "%s:%zu: column '%s': '%s' is %s", l->name, l->lineno,
                    shown(l->names[c], buf, sizeof(buf)), shown(cell, buf2, sizeof(buf2)),
                    is_decimal(cell) ? "out of range" : "not a number");
            return false;
        } else if (v == 0.0 && l->zero_missing[c]) {
            v = NAN;
        }
        row[f++] = v;
    }
    l->n_rows++;
    return true;
}

/* Class of each distinct label id: class_of[id]; sets *n_classes and whether
 * the labels are names (strings) rather than class indices. */
static bool map_labels(struct loader *l, const struct ml_csv_opts *o, uint32_t *class_of,
                       uint32_t *n_classes, bool *named)
{
    char buf[80], buf2[80];
    if (o->positive_class) {
        bool seen = false;
        for (size_t i = 0; i < l->n_labels; i++) {
            class_of[i] = strcmp(l->labels[i], o->positive_class) == 0;
            seen |= class_of[i];
        }
        if (!seen) {
            ml_errf(l->err, l->errlen, "%s: column '%s': positive class '%s' does not occur",
                    l->name, shown(l->names[l->label_col], buf, sizeof(buf)),
                    shown(o->positive_class, buf2, sizeof(buf2)));
            return false;
        }
        *n_classes = 2;
        *named = true;
        return true;
    }
    uint32_t max = 0;
    bool numeric = true;
    for (size_t i = 0; i < l->n_labels && numeric; i++) {
        double v;
        numeric = parse_number(l, l->labels[i], &v) && v >= 0 && v < ML_MAX_CLASSES &&
                  v == floor(v);
        if (numeric) {
            class_of[i] = (uint32_t)v;
            if (class_of[i] > max)
                max = class_of[i];
        }
    }
    if (numeric) {
        *n_classes = max + 1;
        *named = false;
        return true;
    }
    for (size_t r = 0; r < l->n_labels; r++)
        class_of[l->sorted[r]] = (uint32_t)r;
    *n_classes = (uint32_t)l->n_labels;
    *named = true;
    return true;
}

static bool build_dataset(struct loader *l, const struct ml_csv_opts *o,
                          struct ml_dataset **out)
{
    uint32_t class_of[ML_MAX_CLASSES];
    uint32_t n_classes;
    bool named;
    if (!map_labels(l, o, class_of, &n_classes, &named))
        return false;
    size_t nf = l->n_cols - 1;
    struct ml_dataset *ds = ml_dataset_new(l->n_rows, nf, n_classes);
    if (!ds)
        goto oom;
    memcpy(ds->x, l->x, l->n_rows * nf * sizeof(double));
    for (size_t r = 0; r < l->n_rows; r++)
        ds->y[r] = class_of[l->label_id[r]];

    /* n_cols <= max_columns <= ML_CSV_MAX_COLUMNS */
    const char *feat[ML_CSV_MAX_COLUMNS];
    for (size_t c = 0, f = 0; c < l->n_cols; c++)
        if (c != l->label_col)
            feat[f++] = l->names[c];
    if (!ml_dataset_set_feature_names(ds, feat))
        goto oom_ds;

    if (named) {
        const char *cnames[ML_MAX_CLASSES];
        if (o->positive_class) {
            cnames[0] = "";
            cnames[1] = o->positive_class;
            for (size_t i = 0; i < l->n_labels; i++)
                if (!class_of[i])
                    cnames[0] = l->labels[i];
        } else {
            for (size_t r = 0; r < l->n_labels; r++)
                cnames[r] = l->labels[l->sorted[r]];
        }
        if (!ml_dataset_set_class_names(ds, cnames))
            goto oom_ds;
    }
    *out = ds;
    return true;
oom_ds:
    ml_dataset_free(ds);
oom:
    ml_errf(l->err, l->errlen, "out of memory");
    return false;
}

static void loader_free(struct loader *l)
{
    if (l->c_locale)
        freelocale(l->c_locale);
    free(l->line);
    free(l->cells);
    if (l->names)
        for (size_t c = 0; c < l->n_cols; c++)
            free(l->names[c]);
    free(l->names);
    free(l->zero_missing);
    free(l->x);
    free(l->label_id);
    for (size_t i = 0; i < l->n_labels; i++)
        free(l->labels[i]);
    free(l->labels);
    free(l->sorted);
}

bool ml_csv_read(FILE *f, const char *name, const struct ml_csv_opts *o,
                 struct ml_dataset **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!o || !o->label || !o->label[0]) {
        ml_errf(err, errlen, "%s: no label column given", name);
        return false;
    }
    struct loader l = {
        .f = f,
        .name = name,
        .err = err,
        .errlen = errlen,
        .max_line = o->max_line ? o->max_line : ML_CSV_MAX_LINE,
        .max_columns = o->max_columns ? o->max_columns : ML_CSV_MAX_COLUMNS,
        .max_rows = o->max_rows ? o->max_rows : ML_CSV_MAX_ROWS,
        .max_cells = o->max_cells ? o->max_cells : ML_CSV_MAX_CELLS,
    };
    bool ok = false;
    int got;
    if (l.max_columns > ML_CSV_MAX_COLUMNS)
        l.max_columns = ML_CSV_MAX_COLUMNS;
    l.c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    l.line = malloc(l.max_line + 2);
    l.cells = calloc(l.max_columns + 1, sizeof(char *));
    if (!l.c_locale || !l.line || !l.cells) {
        ml_errf(err, errlen, "out of memory");
        goto done;
    }

    while ((got = read_line(&l)) == 1 && is_blank(l.line))
        ;
    if (got < 0)
        goto done;
    if (got == 0) {
        ml_errf(err, errlen, "%s: empty file (no header line)", name);
        goto done;
    }
    /* A UTF-8 byte order mark, as some spreadsheets write. */
    if (strncmp(l.line, "\xEF\xBB\xBF", 3) == 0)
        memmove(l.line, l.line + 3, strlen(l.line + 3) + 1);
    if (!parse_header(&l, o) || !parse_zero_missing(&l, o->zero_missing))
        goto done;

    while ((got = read_line(&l)) == 1) {
        if (is_blank(l.line))
            continue;
        if (!parse_row(&l, o))
            goto done;
    }
    if (got < 0)
        goto done;
    if (l.n_rows == 0) {
        ml_errf(err, errlen, "%s: no data rows after the header", name);
        goto done;
    }
    ok = build_dataset(&l, o, out);
done:
    loader_free(&l);
    return ok;
}

bool ml_csv_load(const char *path, const struct ml_csv_opts *o, struct ml_dataset **out,
                 char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        ml_errf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    bool ok = ml_csv_read(f, path, o, out, err, errlen);
    fclose(f);
    return ok;
}
