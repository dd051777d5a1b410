/* Logging (see log.h). */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static char *log_path;
static bool log_console;
static bool log_micro;
/* Read by every thread, changed by the logging RPC: atomic. */
static unsigned log_categories;

static const struct {
    const char *name;
    enum log_category cat;
} category_names[] = {
    {"net", LOG_NET},           {"rpc", LOG_RPC},   {"mempool", LOG_MEMPOOL},
    {"validation", LOG_VALIDATION}, {"wallet", LOG_WALLET}, {"producer", LOG_PRODUCER},
    {"db", LOG_DB},             {"fl", LOG_FL},     {"http", LOG_HTTP},
};

bool log_open(const char *path, bool print_to_console)
{
    pthread_mutex_lock(&log_mutex);
    log_console = print_to_console;
    free(log_path);
    log_path = path ? strdup(path) : NULL;
    if (log_file)
        fclose(log_file);
    log_file = path ? fopen(path, "a") : NULL;
    if (log_file)
        setvbuf(log_file, NULL, _IOLBF, 0);
    bool ok = !path || log_file;
    pthread_mutex_unlock(&log_mutex);
    return ok;
}

void log_close(void)
{
    pthread_mutex_lock(&log_mutex);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    free(log_path);
    log_path = NULL;
    pthread_mutex_unlock(&log_mutex);
}

void log_reopen(void)
{
    pthread_mutex_lock(&log_mutex);
    if (log_path) {
        FILE *f = fopen(log_path, "a");
        if (f) {
            if (log_file)
                fclose(log_file);
            log_file = f;
            setvbuf(log_file, NULL, _IOLBF, 0);
        }
    }
    pthread_mutex_unlock(&log_mutex);
}

bool log_parse_category(const char *name, unsigned *mask)
{
    if (strcmp(name, "1") == 0 || strcmp(name, "all") == 0) {
        *mask = (unsigned)LOG_ALL;
        return true;
    }
    if (strcmp(name, "0") == 0 || strcmp(name, "none") == 0) {
        *mask = 0;
        return true;
    }
    for (size_t i = 0; i < sizeof(category_names) / sizeof(category_names[0]); i++) {
        if (strcmp(name, category_names[i].name) == 0) {
            *mask = (unsigned)category_names[i].cat;
            return true;
        }
    }
    return false;
}

/* The categories of a comma-separated list; "0"/"none" anywhere in it
 * selects none at all.  False on an unknown name. */
static bool parse_list(const char *list, unsigned *mask)
{
    char *copy = strdup(list), *save = NULL;
    bool ok = copy != NULL, none = false;
    *mask = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned m;
        if (!log_parse_category(tok, &m))
            ok = false;
        else if (m == 0)
            none = true;
        else
            *mask |= m;
    }
    free(copy);
    if (none)
        *mask = 0;
    return ok;
}

bool log_enable_categories(const char *list)
{
    unsigned mask;
    if (!parse_list(list, &mask))
        return false;
    /* "-debug=0" turns off what earlier -debug values turned on. */
    bool none = mask == 0 && *list;
    if (none)
        __atomic_store_n(&log_categories, 0u, __ATOMIC_RELAXED);
    else
        __atomic_fetch_or(&log_categories, mask, __ATOMIC_RELAXED);
    return true;
}

bool log_disable_categories(const char *list)
{
    unsigned mask;
    if (!parse_list(list, &mask))
        return false;
    __atomic_fetch_and(&log_categories, ~mask, __ATOMIC_RELAXED);
    return true;
}

unsigned log_get_categories(void)
{
    return __atomic_load_n(&log_categories, __ATOMIC_RELAXED);
}

void log_set_categories(unsigned mask)
{
    __atomic_store_n(&log_categories, mask, __ATOMIC_RELAXED);
}

const char *log_category_at(size_t i, enum log_category *cat)
{
    if (i >= sizeof(category_names) / sizeof(category_names[0]))
        return NULL;
    *cat = category_names[i].cat;
    return category_names[i].name;
}

bool log_category_enabled(enum log_category cat)
{
    return (__atomic_load_n(&log_categories, __ATOMIC_RELAXED) & (unsigned)cat) != 0;
}

void log_set_timestamps_micro(bool micro)
{
    log_micro = micro;
}

static const char *category_name(enum log_category cat)
{
    for (size_t i = 0; i < sizeof(category_names) / sizeof(category_names[0]); i++)
        if (category_names[i].cat == cat)
            return category_names[i].name;
    return "?";
}

__attribute__((format(printf, 2, 0)))
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    char stamp[64], msg[4096];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    if (log_micro)
        snprintf(stamp + n, sizeof(stamp) - n, ".%06ldZ", (long)tv.tv_usec);
    else
        snprintf(stamp + n, sizeof(stamp) - n, "Z");
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t len = strlen(msg);
    while (len && msg[len - 1] == '\n')
        msg[--len] = '\0';

    pthread_mutex_lock(&log_mutex);
    if (log_file)
        fprintf(log_file, "%s %s%s\n", stamp, prefix, msg);
    if (log_console) {
        fprintf(stdout, "%s %s%s\n", stamp, prefix, msg);
        fflush(stdout);
    }
    pthread_mutex_unlock(&log_mutex);
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void log_internal_error(const char *file, int line, const char *fmt, ...)
{
    char msg[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_printf("INTERNAL ERROR: %s (%s:%d)", msg, file, line);
}

void log_debug(enum log_category cat, const char *fmt, ...)
{
    char prefix[32];
    va_list ap;
    snprintf(prefix, sizeof(prefix), "[%s] ", category_name(cat));
    va_start(ap, fmt);
    vlog(prefix, fmt, ap);
    va_end(ap);
}
