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

static inline int32_t load_i32(const uint8_t *p)
{
    return (int32_t)read_le32(p);
}

/* Coordinates per block: the accumulators (fedavg) or the gathered columns
 * (median, trimmed mean) stay in the first cache levels. */
#define AGG_BLOCK 512
/* The largest total weight fl_aggregate takes. */
#define FL_AGG_MAX_WEIGHT ((uint64_t)FL_MAX_SLOTS * FL_MAX_PARTICIPANTS)

static bool fedavg(const struct fl_update_ref *u, size_t k, size_t n, uint64_t total,
                   uint8_t *out)
{
    __int128 acc[AGG_BLOCK];
    for (size_t j0 = 0; j0 < n; j0 += AGG_BLOCK) {
        size_t len = n - j0 < AGG_BLOCK ? n - j0 : AGG_BLOCK;
        memset(acc, 0, len * sizeof(acc[0]));
        for (size_t i = 0; i < k; i++) {
            /* weight <= FL_AGG_MAX_WEIGHT < 2^17 and |w| <= 2^31: each term
             * below 2^48, the sum below 2^65. */
            const int64_t s = (int64_t)u[i].weight;
            const uint8_t *p = u[i].weights + 4 * j0;
            for (size_t j = 0; j < len; j++)
                acc[j] += (__int128)s * (int64_t)load_i32(p + 4 * j);
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
typedef int32_t fl_v4 __attribute__((vector_size(16)));
#define STEP 8

static inline void cx4(int32_t *a, int32_t *b)
{
    fl_v4 x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    fl_v4 d = (x ^ y) & (x > y); /* x > y is all ones where true */
    x ^= d;
    y ^= d;
    memcpy(a, &x, sizeof(x));
    memcpy(b, &y, sizeof(y));
}

/* Row a gets the smaller value of each column, row b the larger; len is a
 * multiple of STEP. */
static void compare_exchange(int32_t *a, int32_t *b, size_t len)
{
    for (size_t j = 0; j < len; j += STEP) {
        cx4(a + j, b + j);
        cx4(a + j + 4, b + j + 4);
    }
}

static void sort_rows(int32_t *rows, size_t k, size_t stride, size_t len)
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
                    compare_exchange(rows + i * stride, rows + (i + d) * stride, len);
            if (q == p)
                break;
            d = q - p;
            q >>= 1;
            r = p;
        }
    }
}

/* Floor of the mean of two values: (a + b) / 2 rounded toward minus infinity. */
static int32_t floor_mean2(int32_t a, int32_t b)
{
    int64_t s = (int64_t)a + b;
    int64_t q = s / 2;
    if (s % 2 != 0 && s < 0)
        q--;
    return (int32_t)q;
}

/* u[0..k) here are single rows: each update appears weight times (see
 * fl_aggregate), so k is the total weight J. */
static bool by_column(uint8_t aggregator, size_t trim, const uint8_t *const *u, size_t k,
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
        size_t padded = (len + STEP - 1) / STEP * STEP; /* <= block */
        for (size_t i = 0; i < k; i++) {
            const uint8_t *p = u[i] + 4 * j0;
            int32_t *row = rows + i * block;
            for (size_t j = 0; j < len; j++)
                row[j] = load_i32(p + 4 * j);
            for (size_t j = len; j < padded; j++)
                row[j] = 0;
        }
        sort_rows(rows, k, block, padded);
        if (median) {
            const int32_t *lo = rows + ((k - 1) / 2) * block, *hi = rows + (k / 2) * block;
            for (size_t j = 0; j < len; j++)
                write_le32(out + 4 * (j0 + j),
                           (uint32_t)(k % 2 ? hi[j] : floor_mean2(lo[j], hi[j])));
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
