/* Simulated crashes (see crashpoint.h). */
#include "util/crashpoint.h"

#include <pthread.h>
#include <stdlib.h>

static crashpoint_fn crash_fn;
static uint32_t crash_ratio;
static uint64_t rng_state;
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;

/* splitmix64: small, seedable, good enough to pick crash instants. */
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void crashpoint_enable(uint32_t ratio, uint64_t seed, crashpoint_fn crash)
{
    pthread_mutex_lock(&rng_lock);
    crash_ratio = ratio ? ratio : 1;
    rng_state = seed;
    crash_fn = crash;
    pthread_mutex_unlock(&rng_lock);
}

bool crashpoint_due(void)
{
    if (!crash_fn)
        return false;
    pthread_mutex_lock(&rng_lock);
    bool due = next_random() % crash_ratio == 0;
    pthread_mutex_unlock(&rng_lock);
    return due;
}

void crashpoint_crash(const char *where)
{
    if (crash_fn)
        crash_fn(where);
    abort(); /* a crash function that returns is a crash all the same */
}
