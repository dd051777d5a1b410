/* Methods of the RPC layer itself (help, uptime, stop, logging) and the
 * help text that every method table entry produces, in bitcoind's layout.
 *
 * These methods run without the node lock: they touch nothing but the
 * method table, the clock, the log categories and the shutdown callback.
 */
#include "rpc/rpc.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool is_string_type(enum rpc_type t)
{
    return t == RPC_STR || t == RPC_HEX;
}

static const char *help_type_name(enum rpc_type t)
{
    switch (t) {
    case RPC_STR: return "string";
    case RPC_HEX: return "string, hex";
    case RPC_INT:
    case RPC_UINT: return "numeric";
    case RPC_BOOL: return "boolean";
    case RPC_AMOUNT: return "numeric or string";
    case RPC_OBJ: return "json object";
    case RPC_ARR: return "json array";
    case RPC_ANY: return "any";
    }
    return "any";
}

static void write_usage(FILE *f, const struct rpc_method *m)
{
    fputs(m->name, f);
    bool in_optional = false;
    for (size_t i = 0; i < RPC_MAX_ARGS && m->args[i].name; i++) {
        const struct rpc_arg *a = &m->args[i];
        if (!a->required && !in_optional) {
            fputs(" (", f);
            in_optional = true;
        }
        if (is_string_type(a->type))
            fprintf(f, " \"%s\"", a->name);
        else
            fprintf(f, " %s", a->name);
    }
    if (in_optional)
        fputs(" )", f);
}

/* Closes a memstream and returns its text, NULL on failure. */
static char *memstream_finish(FILE *f, char **buf)
{
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

char *rpc_method_usage(const struct rpc_method *m)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    write_usage(f, m);
    return memstream_finish(f, &buf);
}

/* Writes text without its trailing newlines. */
static void write_trimmed(FILE *f, const char *text)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n')
        n--;
    fwrite(text, 1, n, f);
}

char *rpc_method_help(const struct rpc_method *m)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    write_usage(f, m);
    if (m->summary) {
        fputs("\n\n", f);
        write_trimmed(f, m->summary);
    }
    size_t width = 0, nargs = 0;
    for (; nargs < RPC_MAX_ARGS && m->args[nargs].name; nargs++) {
        size_t w = strlen(m->args[nargs].name) + (nargs + 1 >= 10 ? 4 : 3);
        if (w > width)
            width = w;
    }
    if (nargs > 0) {
        fputs("\n\nArguments:", f);
        for (size_t i = 0; i < nargs; i++) {
            const struct rpc_arg *a = &m->args[i];
            int w = fprintf(f, "\n%zu. %s", i + 1, a->name) - 1;
            fprintf(f, "%*s(%s, ", (int)(width - (size_t)w) + 4, "", help_type_name(a->type));
            if (a->required)
                fputs("required", f);
            else if (a->def)
                fprintf(f, "optional, default=%s", a->def);
            else
                fputs("optional", f);
            fputc(')', f);
            if (a->desc)
                fprintf(f, " %s", a->desc);
        }
    }
    if (m->result) {
        fputs("\n\nResult:\n", f);
        write_trimmed(f, m->result);
    }
    if (m->examples) {
        fputs("\n\nExamples:\n", f);
        write_trimmed(f, m->examples);
    }
    return memstream_finish(f, &buf);
}

/* ---- help ---- */

static int compare_methods(const void *a, const void *b)
{
    const struct rpc_method *x = *(const struct rpc_method *const *)a;
    const struct rpc_method *y = *(const struct rpc_method *const *)b;
    int c = strcmp(x->category ? x->category : "", y->category ? y->category : "");
    return c ? c : strcmp(x->name, y->name);
}

static json_t *help_overview(struct rpc_call *call, const struct rpc_table *t)
{
    size_t n = rpc_table_count(t);
    const struct rpc_method **sorted = calloc(n ? n : 1, sizeof(*sorted));
    if (!sorted)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct rpc_method *m = rpc_table_at(t, i);
        if (m->category && strcmp(m->category, "hidden") != 0)
            sorted[k++] = m;
    }
    qsort(sorted, k, sizeof(*sorted), compare_methods);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) {
        free(sorted);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "out of memory");
    }
    const char *category = NULL;
    for (size_t i = 0; i < k; i++) {
        if (!category || strcmp(category, sorted[i]->category) != 0) {
            category = sorted[i]->category;
            fprintf(f, "%s== %s ==\n", i ? "\n" : "", category);
        }
        write_usage(f, sorted[i]);
        if (i + 1 < k)
            fputc('\n', f);
    }
    free(sorted);
    char *text = memstream_finish(f, &buf);
    if (!text)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "out of memory");
    json_t *r = json_string(text);
    free(text);
    return r;
}

static json_t *rpc_help(struct rpc_call *call)
{
    const struct rpc_table *t = rpc_call_table(call);
    const char *name = rpc_str(call, 0, NULL);
    if (!name)
        return help_overview(call, t);
    const struct rpc_method *m = rpc_table_find(t, name);
    if (!m)
        return json_sprintf("help: unknown command: %s", name);
    char *text = rpc_method_help(m);
    if (!text)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "out of memory");
    json_t *r = json_string(text);
    free(text);
    return r;
}

static json_t *rpc_uptime(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint64_t now = (uint64_t)time(NULL);
    uint64_t start = env ? env->start_time : now;
    return json_integer(now > start ? (json_int_t)(now - start) : 0);
}

static json_t *rpc_stop(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    if (env && env->request_shutdown)
        env->request_shutdown();
    return json_string("fmld stopping");
}

/* The category mask of a list argument of logging; false (with the error
 * raised) on a name that is not a string or not a category. */
static bool category_list(struct rpc_call *call, size_t idx, unsigned *mask)
{
    json_t *list = rpc_json(call, idx);
    *mask = 0;
    bool none = false;
    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const char *name = json_string_value(json_array_get(list, i));
        unsigned m;
        if (!name || !log_parse_category(name, &m)) {
            rpc_error(call, RPC_INVALID_PARAMETER, "unknown logging category %s",
                      name ? name : "(not a string)");
            return false;
        }
        if (m == 0)
            none = true;
        *mask |= m;
    }
    /* "none" ignores every other name of its list. */
    if (none)
        *mask = 0;
    return true;
}

static json_t *rpc_logging(struct rpc_call *call)
{
    unsigned include, exclude;
    if (!category_list(call, 0, &include) || !category_list(call, 1, &exclude))
        return NULL;
    if (rpc_has(call, 0) || rpc_has(call, 1))
        log_set_categories((log_get_categories() | include) & ~exclude);
    json_t *o = json_object();
    enum log_category cat;
    const char *name;
    for (size_t i = 0; (name = log_category_at(i, &cat)) != NULL; i++)
        json_object_set_new(o, name, json_boolean(log_category_enabled(cat)));
    return o;
}

const struct rpc_method rpc_control_methods[] = {
    {
        .category = "Control",
        .name = "help",
        .handler = rpc_help,
        .summary = "List all commands, or get help for a specified command.",
        .args = {{"command", RPC_STR, false, "all commands", "The command to get help on"}},
        .result = "\"text\"    (string) The help text",
        .examples = "> fml-cli help\n> fml-cli help getblock",
        .unlocked = true,
    },
    {
        .category = "Control",
        .name = "uptime",
        .handler = rpc_uptime,
        .summary = "Returns the total uptime of the server.",
        .result = "n    (numeric) The number of seconds that the server has been running",
        .examples = "> fml-cli uptime\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"uptime\", \"params\": []}' -H 'content-type: "
                    "application/json' http://127.0.0.1:8732/",
        .unlocked = true,
    },
    {
        .category = "Control",
        .name = "logging",
        .handler = rpc_logging,
        .summary = "Gets and sets the logging configuration.\n"
                   "When called without an argument, returns the list of categories with "
                   "status that are currently being debug logged or not.\n"
                   "When called with arguments, adds or removes categories from debug logging "
                   "and return the lists above.\n"
                   "The arguments are evaluated in order \"include\", \"exclude\".\n"
                   "If an item is both included and excluded, it will thus end up being "
                   "excluded.\n"
                   "The valid logging categories are: net, rpc, mempool, validation, wallet, "
                   "producer, db, fl, http\n"
                   "In addition, the following are available as category names with special "
                   "meanings:\n"
                   "  - \"all\",  \"1\" : represent all logging categories.\n"
                   "  - \"none\", \"0\" : even if other logging categories are specified, "
                   "ignore all of them.\n"
                   "An unknown category is an error and changes nothing.",
        .args = {{"include", RPC_ARR, false, "[]",
                  "The categories to add to debug logging: [\"include_category\",...]"},
                 {"exclude", RPC_ARR, false, "[]",
                  "The categories to remove from debug logging: [\"exclude_category\",...]"}},
        .result = "{                   (json object where keys are the logging categories, and "
                  "values indicates its status\n"
                  "  \"category\": true|false,  (boolean) if being debug logged or not. false:"
                  "inactive, true:active\n"
                  "  ...\n"
                  "}",
        .examples = "> fml-cli logging \"[\\\"all\\\"]\" \"[\\\"http\\\"]\"\n"
                    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": "
                    "\"curltest\", \"method\": \"logging\", \"params\": [[\"all\"], "
                    "[\"http\"]]}' -H 'content-type: application/json' http://127.0.0.1:8732/",
        .unlocked = true,
    },
    {
        .category = "Control",
        .name = "stop",
        .handler = rpc_stop,
        .summary = "Request a graceful shutdown of fmld.",
        .result = "\"str\"    (string) A string with the content 'fmld stopping'",
        .examples = "> fml-cli stop",
        .unlocked = true,
    },
};

const size_t rpc_control_methods_count =
    sizeof(rpc_control_methods) / sizeof(rpc_control_methods[0]);
