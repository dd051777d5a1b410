/* Command-line and config-file options (see config.h). */
#include "util/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/fs.h"

struct config_entry {
    char *section; /* NULL: any network (top of the file, or plain option) */
    char *key;
    char *value;
    bool negated;
    const char *file; /* NULL: command line */
    int line;
};

struct entry_list {
    struct config_entry *v;
    size_t n, cap;
};

struct config {
    struct entry_list args;
    struct entry_list file;
    char **files; /* names of the files read, referenced by entries */
    size_t n_files;
    char *section; /* active network section */
};

struct config *config_new(void)
{
    return calloc(1, sizeof(struct config));
}

static void list_free(struct entry_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].section);
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    list_free(&cfg->args);
    list_free(&cfg->file);
    for (size_t i = 0; i < cfg->n_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    free(cfg->section);
    free(cfg);
}

static char *dup_range(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || s[0] == '-' || s[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Adds an option given as name (possibly "section.key", possibly "nokey")
 * and value (NULL: none given). */
static bool add_entry(struct entry_list *l, const char *section, const char *name,
                      const char *value, const char *file, int line, char *err, size_t errlen)
{
    const char *dot = strchr(name, '.');
    size_t sec_len = 0;
    const char *key = name;
    if (dot) {
        if (section) {
            err_setf(err, errlen, "option %s in section [%s] may not name another section", name,
                    section);
            return false;
        }
        section = name;
        sec_len = (size_t)(dot - name);
        key = dot + 1;
        if (!valid_name(section, sec_len)) {
            err_setf(err, errlen, "invalid section in option %s", name);
            return false;
        }
    } else if (section) {
        sec_len = strlen(section);
    }
    bool negated = false;
    if (strncmp(key, "no", 2) == 0 && key[2] != '\0') {
        key += 2;
        if (!value || strcmp(value, "1") == 0) {
            negated = true;
        } else if (strcmp(value, "0") == 0) {
            value = "1"; /* -nofoo=0: a double negative */
        } else {
            err_setf(err, errlen, "negated option no%s takes 0 or 1, not '%s'", key, value);
            return false;
        }
    }
    if (!valid_name(key, strlen(key))) {
        err_setf(err, errlen, "invalid option name '%s'", name);
        return false;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct config_entry *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            err_setf(err, errlen, "out of memory");
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    struct config_entry *e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->section = section ? dup_range(section, sec_len) : NULL;
    e->key = strdup(key);
    e->value = strdup(negated ? "0" : value ? value : "1");
    e->negated = negated;
    e->file = file;
    e->line = line;
    if ((section && !e->section) || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        err_setf(err, errlen, "out of memory");
        return false;
    }
    l->n++;
    return true;
}

bool config_parse_args(struct config *cfg, int argc, char *const argv[], int *first_non_option,
                       char *err, size_t errlen)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        const char *name = arg + 1;
        if (*name == '-')
            name++;
        const char *eq = strchr(name, '=');
        char *key = dup_range(name, eq ? (size_t)(eq - name) : strlen(name));
        if (!key) {
            err_setf(err, errlen, "out of memory");
            return false;
        }
        char msg[256];
        bool ok = add_entry(&cfg->args, NULL, key, eq ? eq + 1 : NULL, NULL, 0, msg, sizeof msg);
        free(key);
        if (!ok) {
            err_setf(err, errlen, "Invalid parameter %s: %s", arg, msg);
            return false;
        }
    }
    if (first_non_option)
        *first_non_option = i;
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims spaces around s[0..*n) in place; returns the new start. */
static char *trim(char *s, size_t *n)
{
    while (*n > 0 && is_space(*s)) {
        s++;
        (*n)--;
    }
    while (*n > 0 && is_space(s[*n - 1]))
        (*n)--;
    s[*n] = '\0';
    return s;
}

static bool parse_file(struct config *cfg, const char *file, char *text, char *err, size_t errlen)
{
    char *section = NULL;
    bool ok = true;
    int lineno = 0;
    char *save = NULL;
    for (char *line = text; ok && line; line = save) {
        lineno++;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        char *hash = strchr(line, '#');
        bool used_hash = hash != NULL;
        if (hash)
            *hash = '\0';
        size_t n = strlen(line);
        char *s = trim(line, &n);
        if (n == 0)
            continue;
        if (s[0] == '[' && s[n - 1] == ']') {
            free(section);
            section = dup_range(s + 1, n - 2);
            if (!section || !valid_name(section, n - 2)) {
                err_setf(err, errlen, "%s, line %d: invalid section %s", file, lineno, s);
                ok = false;
            }
            continue;
        }
        if (s[0] == '-') {
            err_setf(err, errlen,
                    "%s, line %d: parse error: %s, options in configuration file must be "
                    "specified without leading hyphen",
                    file, lineno, s);
            ok = false;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            err_setf(err, errlen, "%s, line %d: parse error: %s%s%s%s", file, lineno, s,
                    strncmp(s, "no", 2) == 0 ? ", if you intended to specify a negated option, use " : "",
                    strncmp(s, "no", 2) == 0 ? s : "", strncmp(s, "no", 2) == 0 ? "=1 instead" : "");
            ok = false;
            continue;
        }
        size_t klen = (size_t)(eq - s), vlen = strlen(eq + 1);
        char *key = trim(s, &klen);
        char *value = trim(eq + 1, &vlen);
        if (used_hash && strstr(key, "rpcpassword")) {
            err_setf(err, errlen,
                    "%s, line %d: parse error: using # in rpcpassword can be ambiguous and "
                    "should be avoided",
                    file, lineno);
            ok = false;
            continue;
        }
        const char *bare = strchr(key, '.') ? strchr(key, '.') + 1 : key;
        if (strcmp(bare, "conf") == 0 || strcmp(bare, "includeconf") == 0) {
            err_setf(err, errlen, "%s, line %d: %s cannot be set in the configuration file", file,
                    lineno, bare);
            ok = false;
            continue;
        }
        char msg[256];
        if (!add_entry(&cfg->file, section, key, value, file, lineno, msg, sizeof msg)) {
            err_setf(err, errlen, "%s, line %d: %s", file, lineno, msg);
            ok = false;
        }
    }
    free(section);
    return ok;
}

bool config_read_file(struct config *cfg, const char *path, const char *section, char *err,
                      size_t errlen)
{
    if (section && !config_set_section(cfg, section)) {
        err_setf(err, errlen, "out of memory");
        return false;
    }
    char *text = NULL;
    size_t len = 0;
    if (!fs_read_file(path, CONFIG_MAX_FILE_SIZE, &text, &len)) {
        if (errno == ENOENT && !config_is_set(cfg, "conf"))
            return true;
        err_setf(err, errlen, "%s: cannot read configuration file: %s", path,
                errno == EFBIG ? "file too large" : strerror(errno));
        return false;
    }
    bool ok = config_read_text(cfg, path, text, len, err, errlen);
    free(text);
    return ok;
}

bool config_read_text(struct config *cfg, const char *name, const char *text, size_t len,
                      char *err, size_t errlen)
{
    if (len > CONFIG_MAX_FILE_SIZE) {
        err_setf(err, errlen, "%s: cannot read configuration file: file too large", name);
        return false;
    }
    if (memchr(text, '\0', len)) {
        err_setf(err, errlen, "%s: configuration file contains a NUL byte", name);
        return false;
    }
    /* parse_file cuts the text into lines in place. */
    char *copy = malloc(len + 1);
    char **files = realloc(cfg->files, (cfg->n_files + 1) * sizeof(*files));
    char *file = strdup(name);
    if (files)
        cfg->files = files;
    if (!copy || !files || !file) {
        free(copy);
        free(file);
        err_setf(err, errlen, "out of memory");
        return false;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    cfg->files[cfg->n_files++] = file;
    bool ok = parse_file(cfg, file, copy, err, errlen);
    free(copy);
    return ok;
}

bool config_set_section(struct config *cfg, const char *section)
{
    char *copy = NULL;
    if (section && !(copy = strdup(section)))
        return false;
    free(cfg->section);
    cfg->section = copy;
    return true;
}

char *config_conf_path(const struct config *cfg, const char *datadir)
{
    return fs_path_join(datadir, config_get(cfg, "conf", CONFIG_FILE_NAME));
}

static const char *bare_key(const char *key)
{
    while (*key == '-')
        key++;
    return key;
}

/* Whether an entry applies to the active section. */
static bool entry_applies(const struct config *cfg, const struct config_entry *e, const char *key)
{
    if (strcmp(e->key, key) != 0)
        return false;
    if (!e->section)
        return true;
    return cfg->section && strcmp(e->section, cfg->section) == 0;
}

/* The entry that gives key its single value, or NULL. */
static const struct config_entry *find_entry(const struct config *cfg, const char *key)
{
    key = bare_key(key);
    for (size_t i = cfg->args.n; i-- > 0;)
        if (entry_applies(cfg, &cfg->args.v[i], key))
            return &cfg->args.v[i];
    /* The file: the network section first, then the top; first one wins. */
    for (size_t i = 0; i < cfg->file.n; i++) {
        const struct config_entry *e = &cfg->file.v[i];
        if (e->section && entry_applies(cfg, e, key))
            return e;
    }
    for (size_t i = 0; i < cfg->file.n; i++) {
        const struct config_entry *e = &cfg->file.v[i];
        if (!e->section && entry_applies(cfg, e, key))
            return e;
    }
    return NULL;
}

const char *config_get(const struct config *cfg, const char *key, const char *def)
{
    const struct config_entry *e = find_entry(cfg, key);
    return e ? e->value : def;
}

bool config_is_set(const struct config *cfg, const char *key)
{
    return find_entry(cfg, key) != NULL;
}

bool config_get_int(const struct config *cfg, const char *key, int64_t def, int64_t min,
                    int64_t max, int64_t *out, char *err, size_t errlen)
{
    const struct config_entry *e = find_entry(cfg, key);
    if (!e) {
        *out = def;
        return true;
    }
    char where[300] = "";
    if (e->file)
        snprintf(where, sizeof where, " (%s, line %d)", e->file, e->line);
    errno = 0;
    char *end = NULL;
    long long v = strtoll(e->value, &end, 10);
    if (e->value[0] == '\0' || is_space(e->value[0]) || *end != '\0' || errno == ERANGE ||
        v < min || v > max) {
        err_setf(err, errlen,
                "Invalid value for -%s: '%s' (expected an integer from %" PRId64 " to %" PRId64
                ")%s",
                bare_key(key), e->value, min, max, where);
        return false;
    }
    *out = v;
    return true;
}

bool config_get_bool(const struct config *cfg, const char *key, bool def)
{
    const struct config_entry *e = find_entry(cfg, key);
    if (!e)
        return def;
    if (e->negated)
        return false;
    const char *v = e->value;
    if (v[0] == '\0' || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
        strcasecmp(v, "on") == 0)
        return true;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return end != v && *end == '\0' && n != 0;
}

/* Appends the values of key from list (only entries with or without a
 * section, as wanted) to out; false when a negation ends the merge. */
static bool collect(const struct config *cfg, const struct entry_list *l, bool sectioned,
                    bool any_section, const char *key, const char **out, size_t *n)
{
    size_t start = 0;
    bool negated = false;
    for (size_t i = 0; i < l->n; i++) {
        const struct config_entry *e = &l->v[i];
        if ((any_section || (e->section != NULL) == sectioned) && entry_applies(cfg, e, key) &&
            e->negated) {
            start = i + 1;
            negated = true;
        }
    }
    for (size_t i = start; i < l->n; i++) {
        const struct config_entry *e = &l->v[i];
        if ((any_section || (e->section != NULL) == sectioned) && entry_applies(cfg, e, key))
            out[(*n)++] = e->value;
    }
    return !negated;
}

const char **config_get_multi(const struct config *cfg, const char *key, size_t *n)
{
    key = bare_key(key);
    const char **out = calloc(cfg->args.n + cfg->file.n + 1, sizeof(*out));
    if (!out)
        return NULL;
    size_t k = 0;
    if (collect(cfg, &cfg->args, false, true, key, out, &k) &&
        collect(cfg, &cfg->file, true, false, key, out, &k))
        collect(cfg, &cfg->file, false, false, key, out, &k);
    out[k] = NULL;
    if (n)
        *n = k;
    return out;
}

bool config_get_chain(const struct config *cfg, char *out, size_t outlen, char *err,
                      size_t errlen)
{
    const char *chain = config_get(cfg, "chain", NULL);
    bool regtest = config_get_bool(cfg, "regtest", false);
    bool testnet = config_get_bool(cfg, "testnet", false);
    if ((chain != NULL) + regtest + testnet > 1) {
        err_setf(err, errlen,
                "Invalid combination of -regtest, -testnet and -chain. Can use at most one.");
        return false;
    }
    const char *name = chain ? chain : regtest ? "regtest" : testnet ? "test" : "main";
    if (!valid_name(name, strlen(name))) {
        err_setf(err, errlen, "Invalid chain name '%s'", name);
        return false;
    }
    if (strlen(name) >= outlen) {
        err_setf(err, errlen, "Chain name too long");
        return false;
    }
    strcpy(out, name);
    return true;
}

bool config_check_args(const struct config *cfg, const char *const *known, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < cfg->args.n; i++) {
        const struct config_entry *e = &cfg->args.v[i];
        bool found = false;
        for (size_t k = 0; known[k] && !found; k++)
            found = strcmp(known[k], e->key) == 0;
        if (!found) {
            err_setf(err, errlen, "Invalid parameter -%s%s%s", e->section ? e->section : "",
                    e->section ? "." : "", e->key);
            return false;
        }
    }
    return true;
}
