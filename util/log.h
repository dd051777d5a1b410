/* Logging by category, with timestamps, to debug.log and optionally stdout.
 *
 * Lower layers (state/, p2p/, rpc/) log through this interface; node/ opens
 * the file and picks the categories (-debug=net,rpc,...).  Thread-safe.
 * Consensus code never logs.
 */
#ifndef FML_UTIL_LOG_H
#define FML_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_category {
    LOG_NONE = 0,
    LOG_NET = 1 << 0,
    LOG_RPC = 1 << 1,
    LOG_MEMPOOL = 1 << 2,
    LOG_VALIDATION = 1 << 3,
    LOG_WALLET = 1 << 4,
    LOG_PRODUCER = 1 << 5,
    LOG_DB = 1 << 6,
    LOG_FL = 1 << 7,
    LOG_HTTP = 1 << 8,
    LOG_ALL = ~0,
};

/* Opens path for appending (NULL: no file).  print_to_console also writes
 * every line to stdout. */
bool log_open(const char *path, bool print_to_console);
void log_close(void);
/* Reopens the file (after rotation, on SIGHUP). */
void log_reopen(void);

/* Enables the categories of "net,rpc" ("1"/"all": every one; "0"/"none"
 * anywhere: turns every one off); false on an unknown name, with nothing
 * changed. */
bool log_enable_categories(const char *list);
/* Disables the categories of a list in the same form (-debugexclude). */
bool log_disable_categories(const char *list);
bool log_category_enabled(enum log_category cat);
/* One name: a category's bit, every bit ("1", "all") or none ("0",
 * "none"); false for an unknown name. */
bool log_parse_category(const char *name, unsigned *mask);
/* The enabled categories as a mask of enum log_category bits. */
unsigned log_get_categories(void);
void log_set_categories(unsigned mask);
/* Category i's name and bit; NULL past the last one. */
const char *log_category_at(size_t i, enum log_category *cat);
void log_set_timestamps_micro(bool micro);

/* Always printed. */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed when cat is enabled; the line is prefixed with [cat]. */
void log_debug(enum log_category cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A broken invariant: something the code rules out has happened.  Always
 * printed, as "INTERNAL ERROR: <message> (file:line)"; the functional tests
 * fail on any such line.  Not for bad input, damaged files or I/O errors. */
void log_internal_error(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define LOG_INTERNAL_ERROR(...) log_internal_error(__FILE__, __LINE__, __VA_ARGS__)

#define LOG_DEBUG(cat, ...) \
    do { \
        if (log_category_enabled(cat)) \
            log_debug(cat, __VA_ARGS__); \
    } while (0)

#endif
