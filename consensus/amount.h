/* Amounts: uint64 base units, 1 FML = 10^8 units, supply capped at 10^9 FML. */
#ifndef FML_CONSENSUS_AMOUNT_H
#define FML_CONSENSUS_AMOUNT_H

#include <stdbool.h>
#include <stdint.h>

#define COIN UINT64_C(100000000)
#define MAX_SUPPLY (UINT64_C(1000000000) * COIN)

static inline bool amount_valid(uint64_t v)
{
    return v <= MAX_SUPPLY;
}

/* *a += b, false (and *a unchanged) on overflow past MAX_SUPPLY. */
static inline bool amount_add(uint64_t *a, uint64_t b)
{
    if (b > MAX_SUPPLY || *a > MAX_SUPPLY - b)
        return false;
    *a += b;
    return true;
}

/* *a -= b, false (and *a unchanged) when b > *a. */
static inline bool amount_sub(uint64_t *a, uint64_t b)
{
    if (b > *a)
        return false;
    *a -= b;
    return true;
}

/* floor(a * num / den) with a 128-bit intermediate; den > 0. */
static inline uint64_t mul_div_floor(uint64_t a, uint64_t num, uint64_t den)
{
    return (uint64_t)((unsigned __int128)a * num / den);
}

#endif
