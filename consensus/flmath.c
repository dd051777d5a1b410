/* FL Alliance formulas (see fl.h): Q16.16, model hashes, vote commitments,
 * the role draw, the aggregators and the reward arithmetic.  Integer only;
 * nothing here depends on the order of its inputs where fl.h says so. */
#include "consensus/amount.h"
#include "consensus/fl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Q16.16 ---- */

int64_t fl_div_round(__int128 num, uint64_t den)
{
    /* Round half away from zero on the magnitude: floor((|num| + floor(den/2)) / den). */
    unsigned __int128 mag = num < 0 ? (unsigned __int128)(-num) : (unsigned __int128)num;
    unsigned __int128 q = (mag + den / 2) / den;
    return num < 0 ? -(int64_t)q : (int64_t)q;
}

void fl_q16_format(int32_t q, char out[FL_Q16_DEC_MAX])
{
    int64_t v = q;
    uint64_t a = (uint64_t)(v < 0 ? -v : v);
    /* 10^16 / 2^16 = 152587890625, so frac x that is the exact decimal. */
    uint64_t frac = (a & 0xffff) * UINT64_C(152587890625);
    int n = snprintf(out, FL_Q16_DEC_MAX, "%s%llu", v < 0 ? "-" : "",
                     (unsigned long long)(a >> 16));
    if (frac == 0)
        return;
    char digits[17];
    snprintf(digits, sizeof(digits), "%016llu", (unsigned long long)frac);
    int len = 16;
    while (len > 0 && digits[len - 1] == '0')
        len--;
    digits[len] = '\0';
    snprintf(out + n, (size_t)(FL_Q16_DEC_MAX - n), ".%s", digits);
}

#define Q16_PARSE_MAX_FRACTION 30

bool fl_q16_parse(const char *s, int32_t *out)
{
    bool neg = false;
    uint64_t ipart = 0;
    unsigned __int128 frac = 0, scale = 1;
    int idigits = 0, fdigits = 0;
    if (*s == '-') {
        neg = true;
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++, idigits++) {
        ipart = ipart * 10 + (uint64_t)(*s - '0');
        if (ipart > 65536)
            return false;
    }
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++, fdigits++) {
            if (fdigits >= Q16_PARSE_MAX_FRACTION)
                return false;
            frac = frac * 10 + (unsigned)(*s - '0');
            scale *= 10;
        }
        if (fdigits == 0)
            return false;
    }
    if (*s != '\0' || idigits + fdigits == 0)
        return false;
    /* |q| = ipart x 65536 + round(frac x 65536 / scale), half up. */
    unsigned __int128 f = (frac * 65536 * 2 + scale) / (2 * scale);
    unsigned __int128 mag = (unsigned __int128)ipart * 65536 + f;
    if (mag > (neg ? (unsigned __int128)1 << 31 : (unsigned __int128)INT32_MAX))
        return false;
    *out = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
    return true;
}

/* ---- hashes ---- */

void fl_model_hash(uint8_t out[HASH_SIZE], const uint8_t *weights, size_t n)
{
    hash_tagged(out, HTAG_FLMODEL, weights, n * 4);
}

/* The hash of n zero weights is the state after the tag and the whole
 * ZERO_CHUNKs of zeros, then the rest and the final block.  The states after
 * 0, 1, 2, ... chunks are kept (computed once, each from the one before, up
 * to ZERO_STATES_MAX chunks: 32 MB of zeros, the largest transaction's
 * worth), so a call hashes at most one chunk whatever n: a creation costs
 * its bytes, not its model's size.  The states are plain copies of the
 * hasher (no pointers inside); the same bytes are hashed either way, so the
 * result is fl_model_hash of the zeros exactly. */
#define ZERO_CHUNK 4096
#define ZERO_STATES_MAX 8192
static pthread_mutex_t zero_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *zero_states; /* zero_count x sizeof(struct hasher) */
static size_t zero_count;

void fl_zero_model_hash(uint8_t out[HASH_SIZE], uint64_t n)
{
    static const uint8_t zeros[ZERO_CHUNK];
    const size_t sz = sizeof(struct hasher);
    struct hasher h;
    /* n is a parameter count (below 2^47): 4n does not wrap. */
    uint64_t left = n * 4, want = left / ZERO_CHUNK;
    if (want > ZERO_STATES_MAX)
        want = ZERO_STATES_MAX;
    pthread_mutex_lock(&zero_lock);
    if (zero_count <= want) {
        unsigned char *t = realloc(zero_states, ((size_t)want + 1) * sz);
        if (t) {
            zero_states = t;
            if (zero_count == 0) {
                hasher_init(&h, HTAG_FLMODEL);
                memcpy(t, &h, sz);
                zero_count = 1;
            } else {
                memcpy(&h, t + (zero_count - 1) * sz, sz);
            }
            for (; zero_count <= want; zero_count++) {
                hasher_write(&h, zeros, ZERO_CHUNK);
                memcpy(t + zero_count * sz, &h, sz);
            }
        }
    }
    uint64_t have = 0;
    if (zero_count) {
        have = zero_count - 1 < want ? zero_count - 1 : want;
        memcpy(&h, zero_states + (size_t)have * sz, sz);
    } else {
        hasher_init(&h, HTAG_FLMODEL); /* out of memory: hash it all */
    }
    pthread_mutex_unlock(&zero_lock);
    left -= have * ZERO_CHUNK;
    while (left) {
        size_t chunk = left < ZERO_CHUNK ? (size_t)left : ZERO_CHUNK;
        hasher_write(&h, zeros, chunk);
        left -= chunk;
    }
    hasher_final(&h, out);
}

void fl_update_commitment(uint8_t out[HASH_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                          uint32_t round, const uint8_t proposer[PUBKEY_SIZE],
                          const uint8_t model_hash[HASH_SIZE], const uint8_t salt[32])
{
    uint8_t buf[FL_TASK_ID_SIZE + 4 + PUBKEY_SIZE + HASH_SIZE + 32], *p = buf;
    memcpy(p, task, FL_TASK_ID_SIZE);
    p += FL_TASK_ID_SIZE;
    write_le32(p, round);
    p += 4;
    memcpy(p, proposer, PUBKEY_SIZE);
    p += PUBKEY_SIZE;
    memcpy(p, model_hash, HASH_SIZE);
    p += HASH_SIZE;
    memcpy(p, salt, 32);
    hash_tagged(out, HTAG_FLUPDATE, buf, sizeof(buf));
}

void fl_vote_commitment(uint8_t out[HASH_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                        uint32_t round, const uint8_t voter[PUBKEY_SIZE], uint64_t n,
                        const uint8_t *verdicts, const uint8_t salt[32])
{
    uint8_t rb[4], cs[9];
    struct hasher h;
    write_le32(rb, round);
    size_t cs_len = compact_encode(cs, n);
    hasher_init(&h, HTAG_FLVOTE);
    hasher_write(&h, task, FL_TASK_ID_SIZE);
    hasher_write(&h, rb, sizeof(rb));
    hasher_write(&h, voter, PUBKEY_SIZE);
    hasher_write(&h, cs, cs_len);
    hasher_write(&h, verdicts, (size_t)n * FL_VERDICT_SIZE);
    hasher_write(&h, salt, 32);
    hasher_final(&h, out);
}

int8_t fl_verdict_at(const uint8_t *verdicts, size_t i)
{
    return (int8_t)verdicts[i * FL_VERDICT_SIZE];
}

int32_t fl_metric_at(const uint8_t *verdicts, size_t i)
{
    return (int32_t)read_le32(verdicts + i * FL_VERDICT_SIZE + 1);
}

/* ---- roles ---- */

void fl_draw_slots(uint16_t *slots, const uint64_t *stakes, uint32_t m, uint32_t k,
                   const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                   const uint8_t mix[HASH_SIZE])
{
    uint8_t seed[HASH_SIZE], rb[4];
    uint64_t ctr = 0, total = 0;
    bool ok = true;
    struct hasher h;
    const uint32_t k_eff = fl_slot_count(k, m);
    for (uint32_t i = 0; i < m; i++) {
        slots[i] = 0;
        /* Task stakes are amounts and their sum is at most the supply. */
        ok = ok && amount_add(&total, stakes[i]);
    }
    if (k_eff == 0 || total == 0 || !ok)
        return;
    write_le32(rb, round);
    hasher_init(&h, HTAG_FLROLES);
    hasher_write(&h, task, FL_TASK_ID_SIZE);
    hasher_write(&h, rb, sizeof(rb));
    hasher_write(&h, mix, HASH_SIZE);
    hasher_final(&h, seed);
    /* Accept x < 2^64 - (2^64 mod total): x mod total is then uniform. */
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % total + 1) % total;
    for (uint32_t t = 0; t < k_eff; t++) {
        uint64_t x;
        for (;;) {
            uint8_t out[HASH_SIZE];
            hasher_init(&h, HTAG_FLROLES);
            hasher_write(&h, seed, HASH_SIZE);
            hasher_u64(&h, ctr++);
            hasher_final(&h, out);
            x = read_le64(out);
            if (x <= limit)
                break;
        }
        x %= total;
        /* The smallest i whose cumulative stake exceeds x (exists: x < total). */
        uint64_t cum = 0;
        uint32_t i = 0;
        for (; i < m; i++) {
            cum += stakes[i];
            if (cum > x)
                break;
        }
        slots[i]++;
    }
}

/* ---- aggregation ---- */

/* The aggregation reads k updates of n weights once each, in tiles of
 * consecutive coordinates: a tile of every update is read while the tile's
 * sums (fedavg) or its gathered columns (median, trimmed mean) stay in the
 * first cache level, and written out before the next tile.  Every sum is
 * exact in 64 bits and every division exact, so the result is the same
 * whatever the order of the updates, the tile size or the vector width
 * (tests/unit/test_fl.c checks it against the first implementation,
 * tests/fl_aggregate_ref.h). */

/* The largest total weight fl_aggregate takes: 64,000, below 2^16. */
#define FL_AGG_MAX_WEIGHT ((uint64_t)FL_MAX_SLOTS * FL_MAX_PARTICIPANTS)
_Static_assert(FL_AGG_MAX_WEIGHT < 65536, "the sums below rely on a total weight below 2^16");

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AGG_LE 1
#else
#define AGG_LE 0
#endif

static inline int32_t load_i32(const uint8_t *p)
{
    return (int32_t)read_le32(p);
}

/* len LE weights into host int32s (a copy on a little-endian host). */
static inline void decode_run(int32_t *dst, const uint8_t *src, size_t len)
{
#if AGG_LE
    memcpy(dst, src, len * 4);
#else
    for (size_t j = 0; j < len; j++)
        dst[j] = load_i32(src + 4 * j);
#endif
}

static inline void store_i32(uint8_t *p, int32_t v)
{
#if AGG_LE
    memcpy(p, &v, 4);
#else
    write_le32(p, (uint32_t)v);
#endif
}

/* Division by a divisor d < 2^16 fixed for the whole call, rounded half away
 * from zero (fl_div_round) on |num| < 2^47: q = floor(x / d) for x = |num| +
 * floor(d / 2) < 2^48 as the high half of x * ceil(2^64 / d).  With
 * ceil(2^64 / d) = 2^64 / d + e, 0 <= e < 1, the product over 2^64 is x / d
 * + x e / 2^64, off by less than 2^-16 < 1 / d, which never reaches the next
 * integer (the fraction of x / d is at most 1 - 1 / d): exact. */
struct agg_div {
    uint64_t d, m; /* m = ceil(2^64 / d), 0 when d = 1 */
};

static struct agg_div agg_div_make(uint64_t d)
{
    struct agg_div v = {d, d > 1 ? UINT64_MAX / d + 1 : 0};
    return v;
}

static inline int32_t agg_div_round(int64_t num, struct agg_div v)
{
    uint64_t mag = num < 0 ? (uint64_t)0 - (uint64_t)num : (uint64_t)num;
    uint64_t x = mag + v.d / 2;
    uint64_t q = v.m ? (uint64_t)(((unsigned __int128)x * v.m) >> 64) : x;
    /* |result| <= max |w| <= 2^31, the value's bound. */
    return num < 0 ? (int32_t)-(int64_t)q : (int32_t)q;
}

/* GCC's portable vector types (SSE2 on x86-64, NEON on arm64). */
typedef int32_t agg_v4 __attribute__((vector_size(16)));
typedef uint32_t agg_u4 __attribute__((vector_size(16)));

/* ---- fedavg ---- */

/* Coordinates per fedavg tile: 4 KiB of each update, 16 KiB of sums. */
#define FED_TILE 1024

/* sum(j_i x w_i) without a multiplication per weight: the updates are taken
 * by equal weight j, each group's plain sum of weights formed first and
 * multiplied by j once per coordinate.  A group's sum is kept as the sum of
 * the high halves (w >> 16, |.| <= 2^15) and of the low halves (w & 0xffff)
 * in 32 bits: a group has at most 64,000 updates, so the first stays within
 * 2^15 x 64,000 < 2^31 and the second below 65,535 x 64,000 < 2^32, and
 * hi x 2^16 + lo is the group's sum exactly.  The total sum_i j_i |w_i| is
 * at most 64,000 x 2^31 < 2^47. */
struct fed_group {
    uint64_t weight;
    size_t first, count; /* into the updates ordered by weight */
};

/* hi/lo over a tile for the updates p[0..c), len coordinates from j0. */
static inline __attribute__((always_inline)) void
fed_sum_group(const uint8_t *const *p, size_t c, size_t j0, size_t len, int32_t *hi,
              uint32_t *lo, bool pf)
{
    size_t vlen = AGG_LE ? len / 4 * 4 : 0;
    memset(hi, 0, len * sizeof(*hi));
    memset(lo, 0, len * sizeof(*lo));
    size_t i = 0;
    for (; i + 4 <= c; i += 4) {
        const uint8_t *p0 = p[i] + 4 * j0, *p1 = p[i + 1] + 4 * j0, *p2 = p[i + 2] + 4 * j0,
                      *p3 = p[i + 3] + 4 * j0;
        for (size_t j = 0; j < vlen; j += 4) {
            agg_v4 a, b, x, y, h;
            agg_u4 l;
            if (pf && j % 16 == 0) {
                __builtin_prefetch(p0 + 4 * (j + FED_TILE));
                __builtin_prefetch(p1 + 4 * (j + FED_TILE));
                __builtin_prefetch(p2 + 4 * (j + FED_TILE));
                __builtin_prefetch(p3 + 4 * (j + FED_TILE));
            }
            memcpy(&a, p0 + 4 * j, 16);
            memcpy(&b, p1 + 4 * j, 16);
            memcpy(&x, p2 + 4 * j, 16);
            memcpy(&y, p3 + 4 * j, 16);
            memcpy(&h, hi + j, 16);
            memcpy(&l, lo + j, 16);
            h += (a >> 16) + (b >> 16) + (x >> 16) + (y >> 16);
            /* (unsigned: the low halves' sum may pass 2^31) */
            l += (agg_u4)(a & 0xffff) + (agg_u4)(b & 0xffff) + (agg_u4)(x & 0xffff) +
                 (agg_u4)(y & 0xffff);
            memcpy(hi + j, &h, 16);
            memcpy(lo + j, &l, 16);
        }
        for (size_t j = vlen; j < len; j++) {
            int32_t w0 = load_i32(p0 + 4 * j), w1 = load_i32(p1 + 4 * j),
                    w2 = load_i32(p2 + 4 * j), w3 = load_i32(p3 + 4 * j);
            hi[j] += (w0 >> 16) + (w1 >> 16) + (w2 >> 16) + (w3 >> 16);
            lo[j] += (uint32_t)(w0 & 0xffff) + (uint32_t)(w1 & 0xffff) +
                     (uint32_t)(w2 & 0xffff) + (uint32_t)(w3 & 0xffff);
        }
    }
    for (; i < c; i++) {
        const uint8_t *p0 = p[i] + 4 * j0;
        for (size_t j = 0; j < vlen; j += 4) {
            agg_v4 a, h;
            agg_u4 l;
            if (pf && j % 16 == 0)
                __builtin_prefetch(p0 + 4 * (j + FED_TILE));
            memcpy(&a, p0 + 4 * j, 16);
            memcpy(&h, hi + j, 16);
            memcpy(&l, lo + j, 16);
            h += a >> 16;
            l += (agg_u4)(a & 0xffff);
            memcpy(hi + j, &h, 16);
            memcpy(lo + j, &l, 16);
        }
        for (size_t j = vlen; j < len; j++) {
            int32_t w0 = load_i32(p0 + 4 * j);
            hi[j] += w0 >> 16;
            lo[j] += (uint32_t)(w0 & 0xffff);
        }
    }
}

static inline __attribute__((always_inline)) void
fed_tile(const uint8_t *const *p, const struct fed_group *g, size_t ng, size_t j0, size_t len,
         struct agg_div dv, uint8_t *out, bool pf)
{
    int64_t acc[FED_TILE];
    int32_t hi[FED_TILE];
    uint32_t lo[FED_TILE];
    for (size_t gi = 0; gi < ng; gi++) {
        fed_sum_group(p + g[gi].first, g[gi].count, j0, len, hi, lo, pf);
        const int64_t s = (int64_t)g[gi].weight;
        if (gi == 0)
            for (size_t j = 0; j < len; j++)
                acc[j] = s * ((int64_t)hi[j] * 65536 + lo[j]);
        else
            for (size_t j = 0; j < len; j++)
                acc[j] += s * ((int64_t)hi[j] * 65536 + lo[j]);
    }
    for (size_t j = 0; j < len; j++)
        store_i32(out + 4 * (j0 + j), agg_div_round(acc[j], dv));
}

static int cmp_ref_weight(const void *a, const void *b)
{
    const struct fl_update_ref *x = a, *y = b;
    return (x->weight > y->weight) - (x->weight < y->weight);
}

static bool fedavg(const struct fl_update_ref *u, size_t k, size_t n, uint64_t total,
                   uint8_t *out)
{
    /* The updates by weight (any order of equal weights: the sums are
     * exact). */
    struct fl_update_ref *byw = malloc(k * sizeof(*byw));
    const uint8_t **p = malloc(k * sizeof(*p));
    struct fed_group *g = malloc(k * sizeof(*g));
    if (!byw || !p || !g) {
        free(byw);
        free(p);
        free(g);
        return false;
    }
    memcpy(byw, u, k * sizeof(*byw));
    qsort(byw, k, sizeof(*byw), cmp_ref_weight);
    size_t ng = 0, m = 0;
    for (size_t i = 0; i < k; i++) {
        if (byw[i].weight == 0)
            continue; /* counts nothing */
        if (ng == 0 || g[ng - 1].weight != byw[i].weight)
            g[ng++] = (struct fed_group){byw[i].weight, m, 0};
        g[ng - 1].count++;
        p[m++] = byw[i].weights;
    }
    const struct agg_div dv = agg_div_make(total);
    size_t j0 = 0;
    /* The next tile of each update is fetched while this one is summed
     * (while it is a whole tile inside the update). */
    for (; j0 + FED_TILE <= n; j0 += FED_TILE)
        fed_tile(p, g, ng, j0, FED_TILE, dv, out, j0 + 2 * FED_TILE <= n);
    if (j0 < n)
        fed_tile(p, g, ng, j0, n - j0, dv, out, false);
    free(byw);
    free(p);
    free(g);
    return true;
}

/* ---- median and trimmed mean ---- */

/* Median and trimmed mean sort each coordinate's J values (update i's value
 * j_i times).  They do it for a tile of coordinates at once: row r of the
 * tile holds one copy's values for those coordinates, and Batcher's
 * merge-exchange network (Knuth, TAOCP 5.2.2, Algorithm M; any J)
 * compare-exchanges whole rows.  No branch depends on the data, the inner
 * loops are vector operations, and the result is the sorted column, the same
 * whatever the order of the updates.
 *
 * Only the comparators that can change the result run: going back from the
 * end, a comparator whose two rows are both unused, or both within the rows
 * the result is a symmetric function of (the kept rows t..J-t-1 of a trimmed
 * mean, the middle one or two of a median), only permutes values the result
 * does not tell apart, and is dropped; any other one is kept and makes both
 * its rows needed as they are.  (For J up to SORT_LIST_MAX; above, which no
 * round reaches, every comparator runs.) */

#define SORT_LIST_MAX 1024
/* Coordinates per tile: a multiple of 8, the tile about 32 KiB (the first
 * cache level of current x86-64 and arm64 cores). */
#define ROWS_TILE_BYTES 32768
#define STEP 8

struct cx_pair {
    uint16_t a, b;
};

static inline void cx4(int32_t *a, int32_t *b)
{
    agg_v4 x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    agg_v4 d = (x ^ y) & (x > y); /* x > y is all ones where true */
    x ^= d;
    y ^= d;
    memcpy(a, &x, sizeof(x));
    memcpy(b, &y, sizeof(y));
}

/* Row a gets the smaller value of each column, row b the larger; len is a
 * multiple of STEP. */
static inline void compare_exchange(int32_t *a, int32_t *b, size_t len)
{
    for (size_t j = 0; j < len; j += STEP) {
        cx4(a + j, b + j);
        cx4(a + j + 4, b + j + 4);
    }
}

/* The same compare-exchange written as a plain min / max, which compilers
 * turn into pminsd / pmaxsd where SSE4.1 is there (two instructions for four
 * columns instead of five). */
static inline __attribute__((always_inline)) void cx8_minmax(int32_t *restrict a,
                                                             int32_t *restrict b)
{
    for (size_t j = 0; j < STEP; j++) {
        int32_t x = a[j], y = b[j];
        a[j] = x < y ? x : y;
        b[j] = x < y ? y : x;
    }
}

static void run_list(int32_t *rows, const struct cx_pair *list, size_t nlist, size_t tile,
                     size_t padded)
{
    for (size_t c = 0; c < nlist; c++) {
#if defined(__SSE4_1__) || defined(__ARM_NEON)
        int32_t *a = rows + list[c].a * tile, *b = rows + list[c].b * tile;
        for (size_t j = 0; j < padded; j += STEP)
            cx8_minmax(a + j, b + j);
#else
        compare_exchange(rows + list[c].a * tile, rows + list[c].b * tile, padded);
#endif
    }
}

/* On x86-64 built for the baseline (SSE2), a second copy of the network for
 * CPUs with SSE4.1, chosen at run time; both give the same rows (a sorting
 * network's output does not depend on how a comparator is computed), and
 * the unit tests run both (fl_aggregate_baseline_only). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SSE4_1__)
#define AGG_SSE41 1
__attribute__((target("sse4.1"))) static void run_list_sse41(int32_t *rows,
                                                              const struct cx_pair *list,
                                                              size_t nlist, size_t tile,
                                                              size_t padded)
{
    for (size_t c = 0; c < nlist; c++) {
        int32_t *a = rows + list[c].a * tile, *b = rows + list[c].b * tile;
        for (size_t j = 0; j < padded; j += STEP)
            cx8_minmax(a + j, b + j);
    }
}
#else
#define AGG_SSE41 0
#endif

static bool baseline_only;

void fl_aggregate_baseline_only(bool on)
{
    baseline_only = on;
}

/* Runs BODY with A, B the rows of each comparator of the merge-exchange network on J
 * rows, in order. */
#define FOR_EACH_COMPARATOR(J, A, B, BODY)                                          \
    do {                                                                            \
        size_t t_ = 0;                                                              \
        while (((size_t)1 << t_) < (J))                                             \
            t_++;                                                                   \
        for (size_t p_ = (J) < 2 ? 0 : (size_t)1 << (t_ - 1); p_ > 0; p_ >>= 1) {  \
            size_t q_ = (size_t)1 << (t_ - 1), r_ = 0, d_ = p_;                    \
            for (;;) {                                                              \
                for (size_t i_ = 0; i_ + d_ < (J); i_++)                            \
                    if ((i_ & p_) == r_) {                                          \
                        size_t A = i_, B = i_ + d_;                                 \
                        BODY;                                                       \
                    }                                                               \
                if (q_ == p_)                                                       \
                    break;                                                          \
                d_ = q_ - p_;                                                       \
                q_ >>= 1;                                                           \
                r_ = p_;                                                            \
            }                                                                       \
        }                                                                           \
    } while (0)

/* The comparators that matter for rows [lo, hi) of the sorted result, in
 * order, into *out (malloc'd); their count, or SIZE_MAX on allocation
 * failure. */
static size_t needed_comparators(size_t J, size_t lo, size_t hi, struct cx_pair **out)
{
    size_t total = 0;
    FOR_EACH_COMPARATOR(J, a, b, ((void)a, (void)b, total++));
    struct cx_pair *all = malloc((total ? total : 1) * sizeof(*all));
    uint8_t *state = malloc(J); /* 0 unused, 1 in the symmetric set, 2 needed */
    if (!all || !state) {
        free(all);
        free(state);
        return SIZE_MAX;
    }
    size_t c = 0;
    FOR_EACH_COMPARATOR(J, a, b, (all[c].a = (uint16_t)a, all[c].b = (uint16_t)b, c++));
    for (size_t r = 0; r < J; r++)
        state[r] = r >= lo && r < hi ? 1 : 0;
    /* Backwards, marking the dropped ones with a == b. */
    for (size_t i = total; i-- > 0;) {
        uint8_t sa = state[all[i].a], sb = state[all[i].b];
        if (sa != 2 && sa == sb) {
            all[i].b = all[i].a;
            continue;
        }
        state[all[i].a] = state[all[i].b] = 2;
    }
    size_t m = 0;
    for (size_t i = 0; i < total; i++)
        if (all[i].a != all[i].b)
            all[m++] = all[i];
    free(state);
    *out = all;
    return m;
}

/* Floor of the mean of two values: (a + b) / 2 rounded toward minus infinity. */
static inline int32_t floor_mean2(int32_t a, int32_t b)
{
    int64_t s = (int64_t)a + b;
    int64_t q = s / 2;
    if (s % 2 != 0 && s < 0)
        q--;
    return (int32_t)q;
}

/* u[0..J) are single rows (each update appears weight times, see
 * fl_aggregate). */
static bool by_column(uint8_t aggregator, size_t trim, const uint8_t *const *u, size_t J,
                      size_t n, uint8_t *out)
{
    size_t tile = (ROWS_TILE_BYTES / 4 / J) & ~(size_t)(STEP - 1);
    tile = tile < STEP ? STEP : tile > 1024 ? 1024 : tile;
    const bool median = aggregator == FL_AGG_MEDIAN || J < 2 * trim + 1;
    /* The rows the result reads. */
    const size_t lo = median ? (J - 1) / 2 : trim, hi = median ? J / 2 + 1 : J - trim;
    struct cx_pair *list = NULL;
    size_t nlist = 0;
    if (J <= SORT_LIST_MAX) {
        nlist = needed_comparators(J, lo, hi, &list);
        if (nlist == SIZE_MAX)
            return false;
    }
    int32_t *rows = malloc(J * tile * sizeof(*rows));
    int32_t *his = malloc(tile * sizeof(*his));
    uint32_t *los = malloc(tile * sizeof(*los));
    if (!rows || !his || !los) {
        free(rows);
        free(his);
        free(los);
        free(list);
        return false;
    }
    const struct agg_div dv = agg_div_make(median ? 1 : J - 2 * trim);
#if AGG_SSE41
    const bool sse41 = !baseline_only && __builtin_cpu_supports("sse4.1");
#endif
    for (size_t j0 = 0; j0 < n; j0 += tile) {
        size_t len = n - j0 < tile ? n - j0 : tile;
        size_t padded = (len + STEP - 1) / STEP * STEP; /* <= tile */
        const size_t next = j0 + len, next_bytes = 4 * (n - next < tile ? n - next : tile);
        for (size_t r = 0; r < J; r++) {
            int32_t *row = rows + r * tile;
            if (r > 0 && u[r] == u[r - 1]) {
                memcpy(row, row - tile, padded * sizeof(*row));
                continue;
            }
            decode_run(row, u[r] + 4 * j0, len);
            for (size_t j = len; j < padded; j++)
                row[j] = 0;
            /* The next tile of this update, on its way while this one sorts. */
            for (size_t b = 0; b < next_bytes; b += 64)
                __builtin_prefetch(u[r] + 4 * next + b);
        }
        if (list) {
#if AGG_SSE41
            if (sse41)
                run_list_sse41(rows, list, nlist, tile, padded);
            else
#endif
                run_list(rows, list, nlist, tile, padded);
        } else {
            FOR_EACH_COMPARATOR(J, a, b, compare_exchange(rows + a * tile, rows + b * tile, padded));
        }
        if (median) {
            const int32_t *l = rows + ((J - 1) / 2) * tile, *h = rows + (J / 2) * tile;
            for (size_t j = 0; j < len; j++)
                store_i32(out + 4 * (j0 + j), J % 2 ? h[j] : floor_mean2(l[j], h[j]));
            continue;
        }
        /* The kept rows' sum as high and low halves in 32 bits, as fedavg's
         * (at most 64,000 rows). */
        memset(his, 0, padded * sizeof(*his));
        memset(los, 0, padded * sizeof(*los));
        for (size_t r = trim; r < J - trim; r++) {
            const int32_t *row = rows + r * tile;
            for (size_t j = 0; j < padded; j += 4) {
                agg_v4 v, h;
                agg_u4 l;
                memcpy(&v, row + j, 16);
                memcpy(&h, his + j, 16);
                memcpy(&l, los + j, 16);
                h += v >> 16;
                l += (agg_u4)(v & 0xffff);
                memcpy(his + j, &h, 16);
                memcpy(los + j, &l, 16);
            }
        }
        for (size_t j = 0; j < len; j++)
            store_i32(out + 4 * (j0 + j),
                      agg_div_round((int64_t)his[j] * 65536 + los[j], dv));
    }
    free(rows);
    free(his);
    free(los);
    free(list);
    return true;
}

bool fl_aggregate(uint8_t aggregator, uint16_t trim_k, const struct fl_update_ref *u, size_t k,
                  size_t n, uint8_t *out)
{
    uint64_t total = 0;
    if (k == 0)
        return false;
    for (size_t i = 0; i < k; i++) {
        if (u[i].weight > FL_AGG_MAX_WEIGHT)
            return false;
        total += u[i].weight;
        if (total > FL_AGG_MAX_WEIGHT)
            return false;
    }
    if (total == 0)
        return false;
    switch (aggregator) {
    case FL_AGG_FEDAVG: return fedavg(u, k, n, total, out);
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
        bool ok = by_column(aggregator, trim_k, rows, r, n, out);
        free(rows);
        return ok;
    }
    }
    return false;
}

/* ---- rewards ---- */

uint64_t fl_round_reward(uint64_t pool, uint32_t rounds_left)
{
    return rounds_left ? pool / rounds_left : 0;
}

uint64_t fl_bps(uint64_t amount, uint16_t bps)
{
    return mul_div_floor(amount, bps, 10000);
}

uint64_t fl_share(uint64_t part, uint64_t stake, uint64_t total)
{
    return total ? mul_div_floor(part, stake, total) : 0;
}

uint64_t fl_share128(uint64_t part, uint64_t w, unsigned __int128 total)
{
    /* part x w < 2^128: exact; w <= total keeps the quotient below 2^64. */
    if (total == 0 || w > total)
        return 0;
    return (uint64_t)((unsigned __int128)part * w / total);
}

bool fl_accepted(int64_t tally)
{
    return tally > 0;
}

bool fl_harmful(int64_t tally, uint64_t voting_stake)
{
    return voting_stake > 0 && (__int128)3 * tally <= -(__int128)2 * voting_stake;
}

uint64_t fl_match(uint64_t pool, uint64_t x_b, uint16_t match_bps)
{
    uint64_t m = fl_bps(x_b, match_bps);
    return m < pool ? m : pool;
}

uint64_t fl_burn(uint64_t budget, uint16_t burn_bps)
{
    return fl_bps(budget, burn_bps);
}

uint64_t fl_pool_cap(uint32_t cap_blocks, uint64_t emission, uint16_t split_fl_bps)
{
    unsigned __int128 cap = (unsigned __int128)cap_blocks * fl_bps(emission, split_fl_bps);
    return cap >> 64 ? UINT64_MAX : (uint64_t)cap;
}
