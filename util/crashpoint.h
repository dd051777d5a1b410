/* Simulated crashes inside the node's writes (regtest -dbcrashratio).
 *
 * Storage code marks the instants where a crash would leave its files in an
 * intermediate state: crashpoint("where") before and after each durable
 * write.  When node/ has enabled crash simulation, each mark ends the
 * process with probability 1/ratio through the crash function node/ gave
 * (no cleanup, no flushing), so a test can restart the node and check that
 * nothing it confirmed was lost.  Disabled, a mark costs one load and a
 * branch.  Nothing here exits on its own.
 */
#ifndef FML_UTIL_CRASHPOINT_H
#define FML_UTIL_CRASHPOINT_H

#include <stdbool.h>
#include <stdint.h>

/* Ends the process as a crash would; never returns. */
typedef void (*crashpoint_fn)(const char *where);

/* Turns crash simulation on: each mark crashes with probability 1/ratio
 * (ratio >= 1), drawn from a generator seeded with seed. */
void crashpoint_enable(uint32_t ratio, uint64_t seed, crashpoint_fn crash);

/* True, with probability 1/ratio, when crash simulation is on. */
bool crashpoint_due(void);

/* Calls the crash function with where. */
void crashpoint_crash(const char *where);

/* A mark: crashes here when due. */
static inline void crashpoint(const char *where)
{
    if (crashpoint_due())
        crashpoint_crash(where);
}

#endif
