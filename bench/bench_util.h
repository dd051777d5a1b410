/* What the benchmark programs share: a monotonic clock and their
 * "-name=value" arguments.  Benchmarks only: nothing here decides anything
 * of consensus. */
#ifndef FML_BENCH_UTIL_H
#define FML_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether arg is "<name>=<n>" (name with its dash), with n in *out. */
static inline bool arg_u64(const char *arg, const char *name, uint64_t *out)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || arg[n] != '=')
        return false;
    *out = strtoull(arg + n + 1, NULL, 10);
    return true;
}

#endif
