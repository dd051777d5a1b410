/* The FL aggregation as it was first written (consensus/flmath.c before the
 * tiled version): 128-bit fedavg accumulators over blocks of 512
 * coordinates, and median / trimmed mean by Batcher's merge-exchange network
 * on four-lane rows.  Kept verbatim as a reference: the unit tests check that
 * fl_aggregate equals it bit for bit, and bench_fl times one against the
 * other in the same run.  Include in one translation unit only. */
#ifndef FML_TESTS_FL_AGGREGATE_REF_H
#define FML_TESTS_FL_AGGREGATE_REF_H

#include "consensus/fl.h"

#include <stdlib.h>
#include <string.h>

static inline int32_t ref_load_i32(const uint8_t *p)
{
    return (int32_t)read_le32(p);
}

/* Coordinates per block: the accumulators (fedavg) or the gathered columns
 * (median, trimmed mean) stay in the first cache levels. */
#define REF_AGG_BLOCK 512
/* The largest total weight fl_aggregate takes. */
#define REF_AGG_MAX_WEIGHT ((uint64_t)FL_MAX_SLOTS * FL_MAX_PARTICIPANTS)

static bool ref_fedavg(const struct fl_update_ref *u, size_t k, size_t n, uint64_t total,
                   uint8_t *out)
{
    __int128 acc[REF_AGG_BLOCK];
    for (size_t j0 = 0; j0 < n; j0 += REF_AGG_BLOCK) {
        size_t len = n - j0 < REF_AGG_BLOCK ? n - j0 : REF_AGG_BLOCK;
        memset(acc, 0, len * sizeof(acc[0]));
        for (size_t i = 0; i < k; i++) {
            /* weight <= REF_AGG_MAX_WEIGHT < 2^17 and |w| <= 2^31: each term
             * below 2^48, the sum below 2^65. */
            const int64_t s = (int64_t)u[i].weight;
            const uint8_t *p = u[i].weights + 4 * j0;
            for (size_t j = 0; j < len; j++)
                acc[j] += (__int128)s * (int64_t)ref_load_i32(p + 4 * j);
        }
        /* |result| <= max |w_i|, so it fits in int32. */
        for (size_t j = 0; j < len; j++)
            write_le32(out + 4 * (j0 + j), (uint32_t)(int32_t)fl_div_round(acc[j], total));
    }
    return true;
}

/* Median and trimmed mean sort each coordinate's k values.  They do it for a
 * block of coordinates at once: row i of the block holds update i's values
 * for those coordinates, and Batcher's merge-exchange network (Knuth, TAOCP
 * 5.2.2, Algorithm M; any k) compare-exchanges whole rows.  No branch
 * depends on the data, the inner loops vectorize, and the result is the
 * sorted column, the same whatever the order of the updates. */

/* Columns in GCC's portable vector types: four lanes (plain SSE2 on x86-64),
 * two vectors per step. */
typedef int32_t ref_v4 __attribute__((vector_size(16)));
#define REF_STEP 8

static inline void ref_cx4(int32_t *a, int32_t *b)
{
    ref_v4 x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    ref_v4 d = (x ^ y) & (x > y); /* x > y is all ones where true */
    x ^= d;
    y ^= d;
    memcpy(a, &x, sizeof(x));
    memcpy(b, &y, sizeof(y));
}

/* Row a gets the smaller value of each column, row b the larger; len is a
 * multiple of REF_STEP. */
static void ref_compare_exchange(int32_t *a, int32_t *b, size_t len)
{
    for (size_t j = 0; j < len; j += REF_STEP) {
        ref_cx4(a + j, b + j);
        ref_cx4(a + j + 4, b + j + 4);
    }
}

static void ref_sort_rows(int32_t *rows, size_t k, size_t stride, size_t len)
{
    if (k < 2)
        return;
    size_t t = 0;
    while (((size_t)1 << t) < k)
        t++;
    for (size_t p = (size_t)1 << (t - 1); p > 0; p >>= 1) {
        size_t q = (size_t)1 << (t - 1), r = 0, d = p;
        for (;;) {
            for (size_t i = 0; i + d < k; i++)
                if ((i & p) == r)
                    ref_compare_exchange(rows + i * stride, rows + (i + d) * stride, len);
            if (q == p)
                break;
            d = q - p;
            q >>= 1;
            r = p;
        }
    }
}

/* Floor of the mean of two values: (a + b) / 2 rounded toward minus infinity. */
static int32_t ref_floor_mean2(int32_t a, int32_t b)
{
    int64_t s = (int64_t)a + b;
    int64_t q = s / 2;
    if (s % 2 != 0 && s < 0)
        q--;
    return (int32_t)q;
}

/* u[0..k) here are single rows: each update appears weight times (see
 * fl_aggregate), so k is the total weight J. */
static bool ref_by_column(uint8_t aggregator, size_t trim, const uint8_t *const *u, size_t k,
                      size_t n, uint8_t *out)
{
    /* About 256 kB of block: a multiple of 16 coordinates, 16 to 1024. */
    size_t block = (65536 / k) & ~(size_t)15;
    block = block < 16 ? 16 : block > 1024 ? 1024 : block;
    int32_t *rows = malloc(k * block * sizeof(*rows));
    int64_t *sums = malloc(block * sizeof(*sums));
    if (!rows || !sums) {
        free(rows);
        free(sums);
        return false;
    }
    const bool median = aggregator == FL_AGG_MEDIAN || k < 2 * trim + 1;
    for (size_t j0 = 0; j0 < n; j0 += block) {
        size_t len = n - j0 < block ? n - j0 : block;
        size_t padded = (len + REF_STEP - 1) / REF_STEP * REF_STEP; /* <= block */
        for (size_t i = 0; i < k; i++) {
            const uint8_t *p = u[i] + 4 * j0;
            int32_t *row = rows + i * block;
            for (size_t j = 0; j < len; j++)
                row[j] = ref_load_i32(p + 4 * j);
            for (size_t j = len; j < padded; j++)
                row[j] = 0;
        }
        ref_sort_rows(rows, k, block, padded);
        if (median) {
            const int32_t *lo = rows + ((k - 1) / 2) * block, *hi = rows + (k / 2) * block;
            for (size_t j = 0; j < len; j++)
                write_le32(out + 4 * (j0 + j),
                           (uint32_t)(k % 2 ? hi[j] : ref_floor_mean2(lo[j], hi[j])));
            continue;
        }
        memset(sums, 0, len * sizeof(*sums));
        for (size_t i = trim; i < k - trim; i++) {
            const int32_t *row = rows + i * block;
            for (size_t j = 0; j < len; j++)
                sums[j] += row[j];
        }
        for (size_t j = 0; j < len; j++)
            write_le32(out + 4 * (j0 + j), (uint32_t)(int32_t)fl_div_round(sums[j], (uint64_t)(k - 2 * trim)));
    }
    free(rows);
    free(sums);
    return true;
}

static bool fl_aggregate_ref(uint8_t aggregator, uint16_t trim_k, const struct fl_update_ref *u, size_t k,
                  size_t n, uint8_t *out)
{
    uint64_t total = 0;
    if (k == 0)
        return false;
    for (size_t i = 0; i < k; i++) {
        if (u[i].weight > REF_AGG_MAX_WEIGHT)
            return false;
        total += u[i].weight;
        if (total > REF_AGG_MAX_WEIGHT)
            return false;
    }
    if (total == 0)
        return false;
    switch (aggregator) {
    case FL_AGG_FEDAVG: return ref_fedavg(u, k, n, total, out);
    case FL_AGG_MEDIAN:
    case FL_AGG_TRIMMED_MEAN: {
        /* Each update counted weight times: J = total rows (the weights are
         * slots, at most FL_MAX_SLOTS per round). */
        const uint8_t **rows = malloc((size_t)total * sizeof(*rows));
        if (!rows)
            return false;
        size_t r = 0;
        for (size_t i = 0; i < k; i++)
            for (uint64_t c = 0; c < u[i].weight; c++)
                rows[r++] = u[i].weights;
        bool ok = ref_by_column(aggregator, trim_k, rows, r, n, out);
        free(rows);
        return ok;
    }
    }
    return false;
}

#endif
