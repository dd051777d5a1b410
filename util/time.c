/* Node clock (see time.h). */
#include "util/time.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic uint64_t mock_time;

uint64_t time_now(void)
{
    uint64_t mock = atomic_load(&mock_time);
    if (mock)
        return mock;
    return (uint64_t)time(NULL);
}

uint64_t time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void time_set_mock(uint64_t t)
{
    atomic_store(&mock_time, t);
}

uint64_t time_get_mock(void)
{
    return atomic_load(&mock_time);
}
