/* The node's clock: wall time, or a fixed time set by setmocktime (regtest).
 * Never used by consensus code, which only sees slots in headers. */
#ifndef FML_UTIL_TIME_H
#define FML_UTIL_TIME_H

#include <stdint.h>

/* Unix seconds (the mock time when one is set). */
uint64_t time_now(void);
/* Milliseconds of a monotonic clock (not affected by mock time). */
uint64_t time_mono_ms(void);
/* Microseconds of the same clock. */
uint64_t time_mono_us(void);
/* 0 returns to the real clock. */
void time_set_mock(uint64_t t);
uint64_t time_get_mock(void);

#endif
