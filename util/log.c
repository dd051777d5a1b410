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

bool log_enable_categories(const char *list)
{
    char *copy = strdup(list), *save = NULL;
    bool ok = copy != NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        bool found = false;
        if (strcmp(tok, "1") == 0 || strcmp(tok, "all") == 0) {
            log_categories = (unsigned)LOG_ALL;
            continue;
        }
        if (strcmp(tok, "0") == 0 || strcmp(tok, "none") == 0) {
            log_categories = 0;
            continue;
        }
        for (size_t i = 0; i < sizeof(category_names) / sizeof(category_names[0]); i++) {
            if (strcmp(tok, category_names[i].name) == 0) {
                log_categories |= (unsigned)category_names[i].cat;
                found = true;
            }
        }
        if (!found)
            ok = false;
    }
    free(copy);
    return ok;
}

bool log_category_enabled(enum log_category cat)
{
    return (log_categories & (unsigned)cat) != 0;
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
