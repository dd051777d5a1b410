/* AI Arena formulas (see arena.h): integer only, every division floors
 * unless said otherwise. */
#include "consensus/arena.h"

#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* ---- exact multiply-divide ---- */

uint64_t arena_muldiv(uint64_t a, u128 b, u128 c)
{
    if (c == 0)
        return 0;
    uint64_t bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    if (bh == 0) {
        /* a x b < 2^128: one division. */
        u128 q = ((u128)a * bl) / c;
        return q >> 64 ? UINT64_MAX : (uint64_t)q;
    }
    /* The 192-bit product n2:n1:n0 = a x bl + (a x bh) << 64. */
    u128 p0 = (u128)a * bl, p1 = (u128)a * bh;
    uint64_t n0 = (uint64_t)p0;
    u128 mid = (p0 >> 64) + (uint64_t)p1;
    uint64_t n1 = (uint64_t)mid;
    uint64_t n2 = (uint64_t)((p1 >> 64) + (mid >> 64));
    /* Restoring long division, one bit at a time, most significant first;
     * the remainder stays below c, and a bit shifted out of it (c >= 2^127)
     * means it exceeds c. */
    u128 rem = 0;
    uint64_t q = 0;
    const uint64_t words[3] = {n2, n1, n0};
    for (int w = 0; w < 3; w++)
        for (int bit = 63; bit >= 0; bit--) {
            bool top = (rem >> 127) != 0;
            rem = rem << 1 | ((words[w] >> bit) & 1);
            if (top || rem >= c) {
                rem -= c;
                if (w < 2)
                    return UINT64_MAX; /* the quotient needs more than 64 bits */
                q |= UINT64_C(1) << bit;
            }
        }
    return q;
}

uint64_t arena_bps(uint64_t a, uint32_t bps)
{
    return arena_muldiv(a, bps, ARENA_BPS);
}

/* ---- consensus loss and ranks ---- */

static int vote_cmp(const void *x, const void *y)
{
    const struct arena_vote *a = x, *b = y;
    if (a->loss != b->loss)
        return a->loss < b->loss ? -1 : 1;
    return memcmp(a->validator, b->validator, PUBKEY_SIZE);
}

uint32_t arena_weighted_median(struct arena_vote *v, size_t n)
{
    uint64_t total = 0, cum = 0;
    if (n == 0)
        return 0;
    /* Distinct validators: (loss, validator) is a total order, so the result
     * does not depend on the sort algorithm. */
    qsort(v, n, sizeof(*v), vote_cmp);
    for (size_t i = 0; i < n; i++)
        total += v[i].weight;
    if (total == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        cum += v[i].weight;
        if (cum * 2 >= total)
            return v[i].loss;
    }
    return v[n - 1].loss;
}

uint32_t arena_submission_loss(const uint32_t *set_loss, uint8_t k, uint8_t mask)
{
    uint64_t sum = 0;
    unsigned n = 0;
    for (unsigned i = 0; i < k && i < ARENA_MAX_SETS; i++)
        if (mask >> i & 1) {
            sum += set_loss[i];
            n++;
        }
    return n ? (uint32_t)(sum / n) : 0;
}

void arena_dense_ranks(const uint32_t *loss, size_t m, uint32_t epsilon, uint16_t *rank)
{
    size_t order[ARENA_MAX_TRAINERS];
    size_t n = m < ARENA_MAX_TRAINERS ? m : ARENA_MAX_TRAINERS;
    /* Insertion sort by (loss, index): stable, and m <= 64. */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && loss[order[j - 1]] > loss[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    uint16_t r = 0;
    uint64_t leader = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = loss[order[i]];
        if (i == 0 || (uint64_t)l > leader + epsilon) {
            r++;
            leader = l;
        }
        rank[order[i]] = r;
    }
}

/* ---- reward groups and shares ---- */

uint64_t arena_rank_weight(uint16_t rank, uint16_t q_bps)
{
    uint64_t p = ARENA_P1;
    if (rank == 0)
        return 0;
    for (uint16_t r = 1; r < rank && p; r++)
        p = (uint64_t)((u128)p * q_bps / ARENA_BPS);
    return p;
}

uint64_t arena_validator_group(uint64_t r, uint16_t gamma_bps, u128 t, u128 sv)
{
    u128 all = t + sv;
    if (all == 0)
        return 0;
    /* gamma <= 5000, so 10^4 - 2 gamma >= 0; stakes are below 2^64 each
     * and at most 128 of them: no overflow. */
    u128 num = (u128)gamma_bps * all + (u128)(ARENA_BPS - 2u * gamma_bps) * sv;
    return arena_muldiv(r, num, (u128)ARENA_BPS * all);
}

uint64_t arena_split(uint64_t total, const u128 *w, size_t n, uint64_t *out)
{
    u128 sum = 0;
    uint64_t paid = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    for (size_t i = 0; i < n; i++) {
        out[i] = sum ? arena_muldiv(total, w[i], sum) : 0;
        paid += out[i];
    }
    return paid;
}

uint64_t arena_trainer_shares(uint64_t g_t, const uint16_t *rank, const uint64_t *stake, size_t n,
                              uint16_t q_bps, uint64_t *out)
{
    u128 w[ARENA_MAX_OPERATORS];
    if (n > ARENA_MAX_OPERATORS)
        n = ARENA_MAX_OPERATORS;
    for (size_t i = 0; i < n; i++)
        w[i] = (u128)arena_rank_weight(rank[i], q_bps) * stake[i];
    return arena_split(g_t, w, n, out);
}

uint32_t arena_deviation_bps(uint32_t l, uint32_t consensus)
{
    uint64_t diff = l > consensus ? (uint64_t)l - consensus : (uint64_t)consensus - l;
    uint64_t den = consensus ? consensus : 1;
    uint64_t dev = diff * ARENA_BPS / den;
    return dev > ARENA_MAX_DEV_BPS ? ARENA_MAX_DEV_BPS : (uint32_t)dev;
}

uint32_t arena_mean_deviation(uint64_t sum_dev, uint32_t pairs, uint32_t d_bps)
{
    if (pairs == 0)
        return d_bps;
    uint64_t d = sum_dev / pairs;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

uint16_t arena_closeness_bps(uint32_t d_v, uint32_t d_bps)
{
    if (d_bps == 0)
        return 0;
    uint64_t x = (uint64_t)d_v * ARENA_BPS / d_bps;
    return (uint16_t)(ARENA_BPS - (x > ARENA_BPS ? ARENA_BPS : x));
}

uint64_t arena_validator_shares(uint64_t g_v, const uint16_t *c_bps, const uint64_t *stake,
                                size_t n, uint64_t *out)
{
    u128 w[ARENA_MAX_OPERATORS];
    if (n > ARENA_MAX_OPERATORS)
        n = ARENA_MAX_OPERATORS;
    for (size_t i = 0; i < n; i++)
        w[i] = (u128)c_bps[i] * stake[i];
    return arena_split(g_v, w, n, out);
}

uint64_t arena_delegators_part(uint64_t f, uint16_t sigma_bps, uint64_t del_total, uint64_t own)
{
    u128 s = (u128)own + del_total;
    if (s == 0)
        return 0;
    return arena_muldiv(f, (u128)sigma_bps * del_total, (u128)ARENA_BPS * s);
}

uint64_t arena_reward_a(uint64_t a, uint16_t delta_bps, uint16_t vest_epochs)
{
    return vest_epochs == 0 ? a : arena_bps(a, delta_bps);
}

uint64_t arena_tranche(uint64_t b, uint32_t i, uint32_t v)
{
    if (v == 0 || i == 0 || i > v)
        return 0;
    return (uint64_t)((u128)b * i / v - (u128)b * (i - 1) / v);
}

uint64_t arena_pro_rata(uint64_t credit, uint64_t x_d, uint64_t del_total)
{
    return del_total ? arena_muldiv(credit, x_d, del_total) : 0;
}

uint64_t arena_slash_amount(uint64_t a, uint16_t slash_bps)
{
    return arena_bps(a, slash_bps);
}

/* ---- assignment draw ---- */

size_t arena_draw(const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t mix[HASH_SIZE], uint8_t k,
                  uint8_t j, const uint64_t *stake, size_t n)
{
    uint8_t seed[HASH_SIZE], kj[2] = {k, j};
    u128 total = 0;
    struct hasher h;
    for (size_t i = 0; i < n; i++)
        total += stake[i];
    if (n == 0 || total == 0 || total >> 64)
        return 0;
    hasher_init(&h, HTAG_ARENA_ASSIGN);
    hasher_write(&h, task, ARENA_TASK_ID_SIZE);
    hasher_write(&h, mix, HASH_SIZE);
    hasher_write(&h, kj, 2);
    hasher_final(&h, seed);
    /* Accept x below the largest multiple of total that fits 2^64: x mod
     * total is then uniform. */
    u128 limit = (((u128)1 << 64) / total) * total;
    uint64_t x;
    for (uint64_t ctr = 0;; ctr++) {
        uint8_t out[HASH_SIZE];
        hasher_init(&h, HTAG_ARENA_ASSIGN);
        hasher_write(&h, seed, HASH_SIZE);
        hasher_u64(&h, ctr);
        hasher_final(&h, out);
        x = read_le64(out);
        if ((u128)x < limit)
            break;
    }
    uint64_t target = (uint64_t)(x % (uint64_t)total), cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += stake[i];
        if (target < cum)
            return i;
    }
    return n - 1; /* not reached: target < total */
}

bool arena_assign(const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t mix[HASH_SIZE], uint8_t sets,
                  uint8_t draws, const uint64_t *stake, size_t n, uint8_t *count)
{
    u128 total = 0;
    for (size_t i = 0; i < n; i++)
        total += stake[i];
    if (n == 0 || total == 0 || total >> 64 || sets > ARENA_MAX_SETS)
        return false;
    memset(count, 0, n * ARENA_MAX_SETS);
    for (uint8_t k = 0; k < sets; k++)
        for (uint8_t j = 0; j < draws; j++)
            count[arena_draw(task, mix, k, j, stake, n) * ARENA_MAX_SETS + k]++;
    return true;
}

/* ---- pool ---- */

uint64_t arena_match(uint64_t pool, uint64_t budget_left, uint16_t match_bps)
{
    uint64_t m = arena_bps(budget_left, match_bps);
    return m < pool ? m : pool;
}

uint64_t arena_burn(uint64_t budget, uint16_t burn_bps)
{
    return arena_bps(budget, burn_bps);
}

uint64_t arena_pool_cap(uint32_t cap_blocks, uint64_t emission, uint16_t split_arena_bps)
{
    u128 cap = (u128)cap_blocks * arena_bps(emission, split_arena_bps);
    return cap >> 64 ? UINT64_MAX : (uint64_t)cap;
}
